// SPDX-License-Identifier: MIT
/*
 * Flajolet–Martin PCSA (JCSS 1985): m 64-bit bitmaps, estimate (m/phi) 2^(mean R),
 * relative standard error 0.78/sqrt(m), accurate only for n >> m. See fm.h.
 */
#include "algorithms/fm.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/ser.h"

/* The paper's correction constant: E[R] ~ log2(phi n) for one bitmap. */
#define FM_PHI 0.77351

struct vx_fm {
	uint32_t m;
	unsigned log2m;
	uint64_t bitmap[];
};

static bool valid_m(uint64_t m)
{
	return m >= VX_FM_M_MIN && m <= VX_FM_M_MAX && (m & (m - 1)) == 0;
}

/* Bits no hash can set: rho <= 63 - log2(m). */
static uint64_t impossible_bits(unsigned log2m)
{
	return log2m ? ~(uint64_t)0 << (64 - log2m) : 0;
}

static struct vx_fm *alloc_fm(uint32_t m)
{
	struct vx_fm *s = calloc(1, sizeof(*s) + (size_t)m * sizeof(s->bitmap[0]));

	if (!s)
		return NULL;
	s->m = m;
	s->log2m = (unsigned)__builtin_ctz(m);
	return s;
}

int vx_fm_create(struct vx_fm **out, uint32_t m)
{
	struct vx_fm *s;

	if (!valid_m(m))
		return -EINVAL;
	s = alloc_fm(m);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

void vx_fm_destroy(struct vx_fm *s)
{
	free(s);
}

void vx_fm_add_hash(struct vx_fm *s, uint64_t hash)
{
	uint64_t j = hash & (s->m - 1);
	/* The marker caps rho at 63 - log2(m) when the remaining bits are all zero. */
	uint64_t rest = hash >> s->log2m | (uint64_t)1 << (63 - s->log2m);

	s->bitmap[j] |= (uint64_t)1 << __builtin_ctzll(rest);
}

void vx_fm_add(struct vx_fm *s, const void *data, size_t len)
{
	vx_fm_add_hash(s, vx_hash64(data, len));
}

double vx_fm_estimate(const struct vx_fm *s)
{
	uint64_t sum = 0, any = 0;

	for (uint32_t j = 0; j < s->m; j++) {
		uint64_t zeros = ~s->bitmap[j];

		any |= s->bitmap[j];
		sum += zeros ? (uint64_t)__builtin_ctzll(zeros) : 64;
	}
	if (!any)
		return 0;
	return (double)s->m / FM_PHI * exp2((double)sum / (double)s->m);
}

void vx_fm_clear(struct vx_fm *s)
{
	memset(s->bitmap, 0, (size_t)s->m * sizeof(s->bitmap[0]));
}

int vx_fm_merge(struct vx_fm *dst, const struct vx_fm *src)
{
	if (dst->m != src->m)
		return -EINVAL;
	for (uint32_t j = 0; j < dst->m; j++)
		dst->bitmap[j] |= src->bitmap[j];
	return 0;
}

ssize_t vx_fm_serialize(const struct vx_fm *s, void *buf, size_t cap)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, VX_SER_FM);
	vx_ser_u32(&w, s->m);
	for (uint32_t j = 0; j < s->m; j++)
		vx_ser_u64(&w, s->bitmap[j]);
	return vx_ser_finish(&w);
}

int vx_fm_deserialize(struct vx_fm **out, const void *buf, size_t len)
{
	struct vx_ser_reader r, check;
	struct vx_fm *s;
	uint64_t bad;
	uint32_t m;
	int ret;

	ret = vx_ser_open(&r, buf, len, VX_SER_FM);
	if (ret < 0)
		return ret;
	m = vx_ser_get_u32(&r);
	if (r.error || !valid_m(m) || vx_ser_remaining(&r) != (size_t)m * 8)
		return -EINVAL;
	bad = impossible_bits((unsigned)__builtin_ctz(m));
	check = r;
	for (uint32_t j = 0; j < m; j++)
		if (vx_ser_get_u64(&check) & bad)
			return -EINVAL;
	if (vx_ser_close(&check) < 0)
		return -EINVAL;

	s = alloc_fm(m);
	if (!s)
		return -ENOMEM;
	for (uint32_t j = 0; j < m; j++)
		s->bitmap[j] = vx_ser_get_u64(&r);
	*out = s;
	return 0;
}

size_t vx_fm_footprint(const struct vx_fm *s)
{
	return sizeof(*s) + (size_t)s->m * sizeof(s->bitmap[0]);
}
