/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_NOISE_H
#define VX_TRANSPORT_NOISE_H

/*
 * The Noise Protocol Framework (revision 34, noiseprotocol.org/noise.html) for the
 * one suite vox speaks, 25519_ChaChaPoly_BLAKE2b, on libsodium:
 *   DH     X25519; an all-zero shared secret (a small-order public key) is an error
 *   CIPHER ChaCha20-Poly1305 (IETF), nonce = 4 zero bytes || 64-bit little-endian n
 *   HASH   BLAKE2b-512, with HMAC (BLOCKLEN 128) and HKDF built as the spec says
 *
 * The spec's three objects map onto this module as follows:
 *   CipherState    struct vx_noise_cipher, caller-owned (the transport embeds two
 *                  per session), so sealing and opening never allocate;
 *   SymmetricState private to noise.c;
 *   HandshakeState struct vx_noise_handshake, an opaque handle whose secrets live
 *                  in libsodium's guarded, locked memory and are wiped on destroy.
 *
 * Handshake patterns are tables of tokens (e, s, ee, es, se, ss, psk) with their
 * pre-messages: every one-way, fundamental and deferred pattern of the spec's
 * section 7, with any number of pskN modifiers, chosen by protocol name, e.g.
 * "Noise_IK_25519_ChaChaPoly_BLAKE2b" or "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b".
 *
 * A handshake runs: create, then write_message/read_message in turn until
 * vx_noise_handshake_is_complete(), then vx_noise_split() for the two transport
 * ciphers. A message that fails to read (forged, truncated, out of turn) leaves the
 * handshake exactly as it was: on UDP a corrupted or duplicated datagram does not
 * kill a handshake in flight, and the next genuine message still completes it. The
 * spec says to abandon a handshake on a decryption error; a caller that wants
 * that destroys the handle.
 *
 * Errors are negative errno values: -EINVAL for malformed input (bad length, wrong
 * turn, missing key), -EBADMSG for a message that fails authentication,
 * -ENOTSUP for a protocol this module does not implement, -ENOSPC for a small
 * output buffer, -EMSGSIZE for more than 65535 bytes on the wire, -EOVERFLOW for
 * an exhausted nonce.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_NOISE_DH_BYTES     32    /* DHLEN: X25519 public keys and DH outputs */
#define VX_NOISE_KEY_BYTES    32    /* cipher keys, X25519 private keys, PSKs */
#define VX_NOISE_HASH_BYTES   64    /* HASHLEN of BLAKE2b */
#define VX_NOISE_TAG_BYTES    16    /* Poly1305 tag appended to every ciphertext */
#define VX_NOISE_MAX_MESSAGE  65535 /* the spec's bound on any Noise message */
#define VX_NOISE_MAX_PAYLOAD  (VX_NOISE_MAX_MESSAGE - VX_NOISE_TAG_BYTES)
#define VX_NOISE_MAX_MESSAGES 4     /* longest pattern (the deferred X1N, X1K...) */
#define VX_NOISE_MAX_PSKS     (VX_NOISE_MAX_MESSAGES + 1) /* psk0 ... psk4 */

/* The nonce 2^64-1 is reserved (rekey uses it); the counter stops below it. */
#define VX_NOISE_NONCE_MAX    (UINT64_MAX - 1)

struct vx_noise_keypair {
	uint8_t priv[VX_NOISE_KEY_BYTES];
	uint8_t pub[VX_NOISE_DH_BYTES];
};

/*
 * One direction's transport key and counter (the spec's CipherState). Caller-owned
 * so that a session needs no allocation; treat the fields as private.
 */
struct vx_noise_cipher {
	uint8_t key[VX_NOISE_KEY_BYTES];
	uint64_t n;     /* next nonce of the implicit-counter form */
	bool has_key;
};

/* What a protocol name describes (see vx_noise_protocol_parse()). */
struct vx_noise_info {
	unsigned messages; /* handshake messages, 1 for the one-way patterns */
	unsigned psks;     /* pre-shared keys the handshake mixes in */
	bool one_way;      /* N, K, X and their psk forms: initiator sends only */
};

/* Everything a handshake starts from. Unused remote keys must be NULL. */
struct vx_noise_config {
	const char *protocol;   /* "Noise_IK_25519_ChaChaPoly_BLAKE2b" */
	bool initiator;
	const void *prologue;   /* bytes both sides hash first; may be NULL if 0 long */
	size_t prologue_len;
	const struct vx_noise_keypair *s; /* local static key pair, or NULL */
	const struct vx_noise_keypair *e; /* fixed ephemeral, for test vectors only;
					   * NULL draws a fresh one (always, in use) */
	const uint8_t *rs;      /* remote static public key known in advance (the
				 * pattern's pre-message), VX_NOISE_DH_BYTES, or NULL */
	const uint8_t *re;      /* remote ephemeral pre-message (no pattern here uses
				 * one), or NULL */
	const uint8_t (*psks)[VX_NOISE_KEY_BYTES]; /* psk_count keys, in token order */
	size_t psk_count;
};

struct vx_noise_handshake;

/* ---- key pairs ------------------------------------------------------------------ */

/**
 * vx_noise_keypair_generate() - a fresh X25519 key pair from the system's CSPRNG.
 * @kp: filled in.
 *
 * Context: any thread; not real-time (initialises libsodium on first use).
 * Return: 0, or -EIO if libsodium cannot initialise.
 */
int vx_noise_keypair_generate(struct vx_noise_keypair *kp);

/**
 * vx_noise_keypair_from_private() - complete a key pair from its private half.
 * @kp:   @kp->pub is computed from @priv, which is copied to @kp->priv.
 * @priv: VX_NOISE_KEY_BYTES (X25519 clamps it; any 32 bytes are accepted).
 *
 * Return: 0, -EIO if libsodium cannot initialise, or -EINVAL if the public key
 *         comes out all zero (libsodium's check; not for a clamped scalar).
 */
int vx_noise_keypair_from_private(struct vx_noise_keypair *kp, const uint8_t *priv);

/** vx_noise_keypair_wipe() - zero a key pair (sodium_memzero, not optimised out). */
void vx_noise_keypair_wipe(struct vx_noise_keypair *kp);

/* ---- HASH-based functions of the spec's section 4.3 -------------------------- */

/**
 * vx_noise_hmac() - HMAC-HASH(key, data): RFC 2104 over BLAKE2b-512, BLOCKLEN 128.
 * @key, @key_len:   any length (longer than 128 bytes is hashed first, as RFC 2104
 *                   says; Noise only ever passes 64-byte keys).
 * @data, @data_len: the message.
 * @out:             VX_NOISE_HASH_BYTES.
 *
 * Exported for the known-answer tests and the lab; the handshake uses it inside.
 * Context: real-time safe.
 */
void vx_noise_hmac(const uint8_t *key, size_t key_len, const void *data, size_t data_len,
		   uint8_t *out);

/**
 * vx_noise_hkdf() - HKDF(chaining_key, input_key_material, num_outputs).
 * @ck:      VX_NOISE_HASH_BYTES chaining key.
 * @ikm:     input key material, 0, 32 or DHLEN bytes in Noise (any length works).
 * @ikm_len: its length.
 * @outputs: 2 or 3.
 * @out1, @out2, @out3: VX_NOISE_HASH_BYTES each; @out3 only when @outputs is 3.
 *
 * temp_key = HMAC(ck, ikm); out1 = HMAC(temp_key, 0x01);
 * out2 = HMAC(temp_key, out1 || 0x02); out3 = HMAC(temp_key, out2 || 0x03).
 * Context: real-time safe.
 */
void vx_noise_hkdf(const uint8_t *ck, const void *ikm, size_t ikm_len, unsigned outputs,
		   uint8_t *out1, uint8_t *out2, uint8_t *out3);

/* ---- CipherState --------------------------------------------------------------- */

/**
 * vx_noise_cipher_init() - InitializeKey(): set the key, reset the counter to 0.
 * @cs:  caller memory.
 * @key: VX_NOISE_KEY_BYTES, or NULL for a cipher without a key.
 *
 * Return: 0, or -EIO if libsodium cannot initialise.
 */
int vx_noise_cipher_init(struct vx_noise_cipher *cs, const uint8_t *key);

/** vx_noise_cipher_wipe() - forget the key (sodium_memzero); @cs then has no key. */
void vx_noise_cipher_wipe(struct vx_noise_cipher *cs);

/** vx_noise_cipher_has_key() - HasKey(). */
bool vx_noise_cipher_has_key(const struct vx_noise_cipher *cs);

/**
 * vx_noise_cipher_set_nonce() - SetNonce(): the next implicit nonce.
 * Context: real-time safe.
 */
void vx_noise_cipher_set_nonce(struct vx_noise_cipher *cs, uint64_t n);

/**
 * vx_noise_cipher_encrypt() - EncryptWithAd() with the implicit counter n, then n++.
 * @cs:     a cipher with a key.
 * @ad:     associated data (may be NULL when @ad_len is 0).
 * @in:     @len bytes of plaintext.
 * @out:    @len + VX_NOISE_TAG_BYTES bytes; may be @in itself (in place).
 * @cap:    room at @out.
 *
 * Unlike the spec's EncryptWithAd(), a cipher without a key is an error, not a
 * pass-through: a transport message is never sent in the clear by accident.
 * Context: real-time safe.
 * Return: ciphertext bytes, or -ENOKEY (no key), -EOVERFLOW (n reached 2^64-1),
 *         -EMSGSIZE (ciphertext over 65535 bytes), -ENOSPC (@cap too small).
 */
ssize_t vx_noise_cipher_encrypt(struct vx_noise_cipher *cs, const void *ad, size_t ad_len,
				const void *in, size_t len, void *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_noise_cipher_decrypt() - DecryptWithAd() with the implicit counter, then n++.
 * @out: @len - VX_NOISE_TAG_BYTES bytes; may be @in itself.
 *
 * On failure n stays unchanged, so the next genuine message still opens.
 * Context: real-time safe.
 * Return: plaintext bytes, or -ENOKEY, -EOVERFLOW, -EINVAL (@len under the tag
 *         size or over 65535), -ENOSPC, -EBADMSG (authentication failed; @out may
 *         have been zeroed).
 */
ssize_t vx_noise_cipher_decrypt(struct vx_noise_cipher *cs, const void *ad, size_t ad_len,
				const void *in, size_t len, void *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_noise_cipher_seal() - ENCRYPT(k, nonce, ad, plaintext) with an explicit nonce.
 * @cs:    a cipher with a key; its counter is neither read nor changed.
 * @nonce: the message's 64-bit counter, sent in the clear by the transport; must
 *         never repeat under one key (that is the caller's duty).
 * Others as vx_noise_cipher_encrypt().
 *
 * Context: real-time safe (no allocation, no lock, no syscall).
 * Return: ciphertext bytes, or -ENOKEY, -EOVERFLOW (@nonce is 2^64-1, reserved),
 *         -EMSGSIZE, -ENOSPC.
 */
ssize_t vx_noise_cipher_seal(const struct vx_noise_cipher *cs, uint64_t nonce, const void *ad,
			     size_t ad_len, const void *in, size_t len, void *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_noise_cipher_open() - DECRYPT(k, nonce, ad, ciphertext) with an explicit nonce.
 * Replay protection is the caller's: accept a nonce only after this succeeds.
 *
 * Context: real-time safe.
 * Return: plaintext bytes, or -ENOKEY, -EOVERFLOW, -EINVAL, -ENOSPC, -EBADMSG.
 */
ssize_t vx_noise_cipher_open(const struct vx_noise_cipher *cs, uint64_t nonce, const void *ad,
			     size_t ad_len, const void *in, size_t len, void *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_noise_cipher_rekey() - Rekey(): k = first 32 bytes of ENCRYPT(k, 2^64-1, "",
 * 32 zero bytes). The counter is left alone, as the spec says.
 *
 * Context: real-time safe.
 * Return: 0, or -ENOKEY.
 */
int vx_noise_cipher_rekey(struct vx_noise_cipher *cs);

/* ---- HandshakeState ------------------------------------------------------------ */

/**
 * vx_noise_protocol_parse() - check a protocol name and describe it.
 * @name: "Noise_<pattern><modifiers>_25519_ChaChaPoly_BLAKE2b", modifiers being
 *        "psk0".."psk4" joined by '+' ("NNpsk0+psk2").
 * @info: filled in on success; may be NULL.
 *
 * Return: 0; -ENOTSUP for another DH, cipher or hash, an unknown pattern or a
 *         modifier other than pskN (fallback, hfs); -EINVAL for a malformed name
 *         (fields, pskN beyond the last message, a repeated modifier).
 */
int vx_noise_protocol_parse(const char *name, struct vx_noise_info *info);

/**
 * vx_noise_handshake_create() - Initialize(): a handshake ready for its first message.
 * @out: the new handle.
 * @cfg: the protocol, role, prologue and keys (copied; @cfg may go away).
 *
 * Keys are checked against the pattern: the local static pair must be given when
 * the pattern uses it, a remote key exactly when a pre-message holds it, and
 * exactly info.psks pre-shared keys. The prologue, pre-message keys and protocol
 * name are hashed here.
 *
 * Context: not real-time (allocates locked memory).
 * Return: 0; the errors of vx_noise_protocol_parse(); -EINVAL for a missing or
 *         extra key; -ENOMEM; -EIO if libsodium cannot initialise.
 */
int vx_noise_handshake_create(struct vx_noise_handshake **out, const struct vx_noise_config *cfg)
	__attribute__((warn_unused_result));

/** vx_noise_handshake_destroy() - wipe and free; accepts NULL. */
void vx_noise_handshake_destroy(struct vx_noise_handshake *hs);

/** vx_noise_handshake_is_complete() - true once the last message is written or read. */
bool vx_noise_handshake_is_complete(const struct vx_noise_handshake *hs);

/** vx_noise_handshake_is_my_turn() - true if the next step is a write (false when complete). */
bool vx_noise_handshake_is_my_turn(const struct vx_noise_handshake *hs);

/**
 * vx_noise_message_size() - the length vx_noise_write_message() would produce now.
 * @hs:          a handshake whose turn it is to write.
 * @payload_len: the payload's length.
 *
 * Return: bytes (which may exceed VX_NOISE_MAX_MESSAGE), or 0 if it is not this
 *         side's turn to write.
 */
size_t vx_noise_message_size(const struct vx_noise_handshake *hs, size_t payload_len);

/**
 * vx_noise_write_message() - WriteMessage(): the next handshake message.
 * @hs:      this side's turn to write.
 * @payload: @len bytes sent with the message (encrypted once a key exists).
 * @out:     the message; must not overlap @payload.
 * @cap:     room at @out (vx_noise_message_size() tells the need).
 *
 * Generates the ephemeral key when the pattern sends "e" (unless @cfg->e fixed it).
 * On error nothing changes.
 * Context: not real-time (DH, hashing; may read the CSPRNG).
 * Return: message bytes, or -EINVAL (not this side's turn, or complete),
 *         -EMSGSIZE (the message would exceed 65535 bytes), -ENOSPC, -EBADMSG (a
 *         DH with a small-order remote key gave zero), -EIO (no CSPRNG).
 */
ssize_t vx_noise_write_message(struct vx_noise_handshake *hs, const void *payload, size_t len,
			       void *out, size_t cap) __attribute__((warn_unused_result));

/**
 * vx_noise_read_message() - ReadMessage(): take the peer's next handshake message.
 * @hs:      the peer's turn to write.
 * @msg:     @len bytes as received.
 * @payload: room for the decrypted payload; must not overlap @msg.
 * @cap:     its size (at most @len bytes are needed).
 *
 * On any error the handshake is exactly as before the call.
 * Context: not real-time.
 * Return: payload bytes, or -EINVAL (out of turn, complete, or a length that
 *         cannot hold the pattern's keys and tags), -EBADMSG (authentication
 *         failed, or a small-order public key), -ENOSPC (@cap too small).
 */
ssize_t vx_noise_read_message(struct vx_noise_handshake *hs, const void *msg, size_t len,
			      void *payload, size_t cap) __attribute__((warn_unused_result));

/**
 * vx_noise_split() - Split(): the transport ciphers of a complete handshake.
 * @hs: complete.
 * @c1: initiator-to-responder cipher (the initiator seals with it).
 * @c2: responder-to-initiator cipher; keyless after a one-way pattern.
 *
 * Both start at nonce 0. The handle keeps no copy afterwards (it wipes its own).
 * Return: 0, -EAGAIN if the handshake is not complete, -EALREADY if split before.
 */
int vx_noise_split(struct vx_noise_handshake *hs, struct vx_noise_cipher *c1,
		   struct vx_noise_cipher *c2);

/**
 * vx_noise_handshake_hash() - GetHandshakeHash(): h after the last message, the
 * same on both sides; a channel binding for the session.
 * @out: VX_NOISE_HASH_BYTES.
 *
 * Return: 0, or -EAGAIN if the handshake is not complete.
 */
int vx_noise_handshake_hash(const struct vx_noise_handshake *hs, uint8_t *out);

/**
 * vx_noise_remote_static() - the peer's static public key (rs), as given or as
 * received (an IK responder learns it from the first message and must check it
 * against the peers it accepts before answering).
 * @out: VX_NOISE_DH_BYTES.
 *
 * Return: 0, or -ENOENT if it is not known (yet).
 */
int vx_noise_remote_static(const struct vx_noise_handshake *hs, uint8_t *out);

#endif
