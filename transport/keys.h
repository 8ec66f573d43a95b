/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_KEYS_H
#define VX_TRANSPORT_KEYS_H

/*
 * Static key files, as `vox keygen` writes them: two lines of text,
 *
 *   vox-x25519-private-key
 *   <the 32-byte X25519 private key in standard base64 (RFC 4648 section 4), 44 chars>
 *
 * each ending in a newline (a CRLF or a missing final newline is accepted on
 * reading; nothing else is). Created with mode 0600 and never overwritten. Public
 * keys travel as the same base64 on one line, as WireGuard's do.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/noise.h"

#define VX_KEYS_HEADER    "vox-x25519-private-key"
#define VX_KEYS_B64_CHARS 44                       /* base64 of 32 bytes, with padding */
#define VX_KEYS_MAX_FILE  4096                     /* a longer file is not a key file */

/**
 * vx_keys_write() - create a key file holding @kp's private key.
 * @path: the new file: created with O_EXCL and mode 0600 (whatever the umask).
 * @kp:   key pair.
 *
 * On a write error the partial file is removed.
 * Context: not real-time (file I/O).
 * Return: 0, -EEXIST if @path exists (it is left alone), or open()'s and
 *         write()'s -errno.
 */
int vx_keys_write(const char *path, const struct vx_noise_keypair *kp)
	__attribute__((warn_unused_result));

/**
 * vx_keys_read() - load a key file and derive the public key.
 * @path:       file.
 * @kp:         filled in on success (wipe it with vx_noise_keypair_wipe()).
 * @loose_mode: set to the file's permission bits when group or others may
 *              read or write it (the caller warns), else to 0. May be NULL.
 *
 * Context: not real-time.
 * Return: 0; -ENOTSUP if the first line is not VX_KEYS_HEADER; -EINVAL for a
 *         second line that is not base64, or text after it; -EMSGSIZE if the
 *         key does not decode to exactly 32 bytes (or the file exceeds
 *         VX_KEYS_MAX_FILE); or open()'s and read()'s -errno.
 */
int vx_keys_read(const char *path, struct vx_noise_keypair *kp, unsigned *loose_mode)
	__attribute__((warn_unused_result));

/**
 * vx_keys_strerror() - what a vx_keys_read() error means, for a message.
 * @err: its negative return.
 *
 * Return: a static string (strerror()'s for the errno values of open() and read()).
 */
const char *vx_keys_strerror(int err);

/**
 * vx_keys_encode() - a 32-byte key as base64.
 * @key: VX_NOISE_DH_BYTES.
 * @out: VX_KEYS_B64_CHARS + 1 bytes: the text and a NUL.
 */
void vx_keys_encode(const uint8_t *key, char *out);

/**
 * vx_keys_decode() - base64 text to a 32-byte key.
 * @key: VX_NOISE_DH_BYTES, set on success.
 * @s:   text; surrounding whitespace is ignored.
 * @len: its length.
 *
 * Return: 0, -EINVAL (not base64), -EMSGSIZE (not 32 bytes).
 */
int vx_keys_decode(uint8_t *key, const char *s, size_t len) __attribute__((warn_unused_result));

#endif
