// SPDX-License-Identifier: MIT
#include "algorithms/ser.h"

#include <errno.h>
#include <string.h>

#include "algorithms/hash.h"

static const uint8_t magic[4] = { 'V', 'X', 'S', 'K' };

static void put_le(struct vx_ser_writer *w, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++, w->pos++)
		if (w->buf && w->pos < w->cap)
			w->buf[w->pos] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void vx_ser_begin(struct vx_ser_writer *w, void *buf, size_t cap, enum vx_ser_type type)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->pos = 0;
	vx_ser_bytes(w, magic, sizeof(magic));
	vx_ser_u8(w, VX_SER_VERSION);
	vx_ser_u8(w, (uint8_t)type);
	vx_ser_u16(w, 0);
	vx_ser_u32(w, 0); /* payload length, filled in by vx_ser_finish() */
}

void vx_ser_u8(struct vx_ser_writer *w, uint8_t v)
{
	put_le(w, v, 1);
}

void vx_ser_u16(struct vx_ser_writer *w, uint16_t v)
{
	put_le(w, v, 2);
}

void vx_ser_u32(struct vx_ser_writer *w, uint32_t v)
{
	put_le(w, v, 4);
}

void vx_ser_u64(struct vx_ser_writer *w, uint64_t v)
{
	put_le(w, v, 8);
}

void vx_ser_f64(struct vx_ser_writer *w, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	put_le(w, bits, 8);
}

void vx_ser_bytes(struct vx_ser_writer *w, const void *data, size_t len)
{
	if (w->buf && w->pos < w->cap && len <= w->cap - w->pos)
		memcpy(w->buf + w->pos, data, len);
	w->pos += len;
}

ssize_t vx_ser_finish(struct vx_ser_writer *w)
{
	size_t payload = w->pos - VX_SER_HEADER;
	size_t total = w->pos + 8;

	if (payload > UINT32_MAX)
		return -EOVERFLOW;
	if (!w->buf)
		return (ssize_t)total;
	if (total > w->cap)
		return -ENOSPC;
	w->pos = 8;
	put_le(w, payload, 4);
	w->pos = total - 8;
	put_le(w, vx_hash64(w->buf, total - 8), 8);
	return (ssize_t)total;
}

int vx_ser_open(struct vx_ser_reader *r, const void *buf, size_t len, enum vx_ser_type type)
{
	const uint8_t *p = buf;

	r->buf = p;
	r->len = 0;
	r->pos = 0;
	r->error = true;
	if (!p || len < VX_SER_OVERHEAD)
		return -EINVAL;
	if (memcmp(p, magic, sizeof(magic)) != 0 || p[4] != VX_SER_VERSION || p[5] != type ||
	    get_le(p + 6, 2) != 0 || get_le(p + 8, 4) != len - VX_SER_OVERHEAD)
		return -EINVAL;
	if (get_le(p + len - 8, 8) != vx_hash64(p, len - 8))
		return -EINVAL;
	r->len = len - 8;
	r->pos = VX_SER_HEADER;
	r->error = false;
	return 0;
}

const uint8_t *vx_ser_get_bytes(struct vx_ser_reader *r, size_t len)
{
	const uint8_t *p;

	if (r->error || len > r->len - r->pos) {
		r->error = true;
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += len;
	return p;
}

static uint64_t get_n(struct vx_ser_reader *r, size_t n)
{
	const uint8_t *p = vx_ser_get_bytes(r, n);

	return p ? get_le(p, n) : 0;
}

uint8_t vx_ser_get_u8(struct vx_ser_reader *r)
{
	return (uint8_t)get_n(r, 1);
}

uint16_t vx_ser_get_u16(struct vx_ser_reader *r)
{
	return (uint16_t)get_n(r, 2);
}

uint32_t vx_ser_get_u32(struct vx_ser_reader *r)
{
	return (uint32_t)get_n(r, 4);
}

uint64_t vx_ser_get_u64(struct vx_ser_reader *r)
{
	return get_n(r, 8);
}

double vx_ser_get_f64(struct vx_ser_reader *r)
{
	uint64_t bits = get_n(r, 8);
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

size_t vx_ser_remaining(const struct vx_ser_reader *r)
{
	return r->error ? 0 : r->len - r->pos;
}

int vx_ser_close(const struct vx_ser_reader *r)
{
	return !r->error && r->pos == r->len ? 0 : -EINVAL;
}
