/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_SER_H
#define VX_ALGORITHMS_SER_H

/*
 * The envelope every serialized sketch shares, little-endian throughout:
 *
 *   offset  size  field
 *   0       4     magic "VXSK"
 *   4       1     format version (VX_SER_VERSION)
 *   5       1     sketch type (enum vx_ser_type)
 *   6       2     reserved, zero
 *   8       4     payload length in bytes (n)
 *   12      n     payload, defined by each sketch
 *   12+n    8     XXH3-64 of bytes 0 .. 12+n-1
 *
 * The checksum makes every corruption of a buffer detectable, not only those
 * that break the payload's structure; each sketch still validates its fields,
 * since a buffer can be forged with a correct checksum.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_SER_VERSION  1
#define VX_SER_HEADER   12
#define VX_SER_OVERHEAD (VX_SER_HEADER + 8)

enum vx_ser_type {
	VX_SER_BLOOM = 1,
	VX_SER_BLOOM_BLOCKED,
	VX_SER_BLOOM_COUNTING,
	VX_SER_BLOOM_AGING,
	VX_SER_FM,
	VX_SER_HLL,
	VX_SER_MINHASH,
	VX_SER_LSH_INDEX,
	VX_SER_MG,
	VX_SER_CMS,
	VX_SER_KLL,
	VX_SER_KLL_WINDOW,
	VX_SER_SIMHASH,
};

/* Writer: counts every byte; stores them only while they fit. */
struct vx_ser_writer {
	uint8_t *buf;
	size_t cap;
	size_t pos;
};

/* Reader: any read past the end sets @error and yields zeros. */
struct vx_ser_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	bool error;
};

/**
 * vx_ser_begin() - start a buffer: writes the header.
 * @w:    writer to initialise.
 * @buf:  destination, or NULL to only measure.
 * @cap:  bytes available at @buf.
 * @type: the sketch's type tag.
 */
void vx_ser_begin(struct vx_ser_writer *w, void *buf, size_t cap, enum vx_ser_type type);

void vx_ser_u8(struct vx_ser_writer *w, uint8_t v);
void vx_ser_u16(struct vx_ser_writer *w, uint16_t v);
void vx_ser_u32(struct vx_ser_writer *w, uint32_t v);
void vx_ser_u64(struct vx_ser_writer *w, uint64_t v);
void vx_ser_f64(struct vx_ser_writer *w, double v);
void vx_ser_bytes(struct vx_ser_writer *w, const void *data, size_t len);

/**
 * vx_ser_finish() - write the payload length and checksum.
 * @w: writer from vx_ser_begin().
 *
 * Return: the total size in bytes; when the buffer was NULL, the size it needs;
 * -ENOSPC if a buffer was given and is too small; -EOVERFLOW past 4 GiB.
 */
ssize_t vx_ser_finish(struct vx_ser_writer *w);

/**
 * vx_ser_open() - check a buffer's envelope and position a reader on its payload.
 * @r:    reader to initialise.
 * @buf:  serialized bytes.
 * @len:  their count: must be exactly the serialized size.
 * @type: the type expected.
 *
 * Return: 0, or -EINVAL for a wrong magic, version, type, length or checksum.
 */
int vx_ser_open(struct vx_ser_reader *r, const void *buf, size_t len, enum vx_ser_type type);

uint8_t vx_ser_get_u8(struct vx_ser_reader *r);
uint16_t vx_ser_get_u16(struct vx_ser_reader *r);
uint32_t vx_ser_get_u32(struct vx_ser_reader *r);
uint64_t vx_ser_get_u64(struct vx_ser_reader *r);
double vx_ser_get_f64(struct vx_ser_reader *r);

/**
 * vx_ser_get_bytes() - the next @len payload bytes, in place.
 * @r:   reader.
 * @len: how many.
 *
 * Return: a pointer into the buffer, or NULL (and @r->error set) if fewer remain.
 */
const uint8_t *vx_ser_get_bytes(struct vx_ser_reader *r, size_t len);

/**
 * vx_ser_remaining() - payload bytes not yet read.
 * @r: reader.
 *
 * Return: the count (0 after an error).
 */
size_t vx_ser_remaining(const struct vx_ser_reader *r);

/**
 * vx_ser_close() - the payload must have been read exactly, without error.
 * @r: reader.
 *
 * Return: 0, or -EINVAL.
 */
int vx_ser_close(const struct vx_ser_reader *r);

#endif
