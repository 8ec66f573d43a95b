// SPDX-License-Identifier: MIT
/*
 * Count-Min sketch (Cormode & Muthukrishnan 2005) with optional conservative
 * update (Estan & Varghese 2002). Error bound: with w = ceil(e / epsilon) and
 * d = ceil(ln(1 / delta)), f(x) <= estimate(x) <= f(x) + epsilon * N with
 * probability >= 1 - delta. See cms.h.
 *
 * Invariants: in standard mode every row sums to N (each add puts its weight
 * once in every row) unless saturation clipped a counter of that row; in
 * conservative mode a row gains at most the added weight per add (a counter
 * rises to at most min + c, and it was >= min), so every row sums to <= N.
 * In both modes, for the same stream, each conservative counter is <= the
 * standard one (induction over the adds), hence so is the estimate.
 */
#include "algorithms/cms.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/ser.h"

struct vx_cms {
	uint32_t width;
	uint32_t depth;
	enum vx_cms_mode mode;
	uint64_t total;      /* N, saturating */
	uint32_t counters[]; /* depth rows of width, row-major; saturating */
};

static bool dims_ok(uint64_t width, uint64_t depth, uint64_t mode)
{
	return width >= 1 && depth >= 1 && depth <= VX_CMS_MAX_DEPTH &&
	       width <= VX_CMS_MAX_COUNTERS / depth &&
	       (mode == VX_CMS_STANDARD || mode == VX_CMS_CONSERVATIVE);
}

static struct vx_cms *alloc_sketch(uint32_t width, uint32_t depth, enum vx_cms_mode mode)
{
	struct vx_cms *s = calloc(1, sizeof(*s) + (size_t)width * depth * sizeof(uint32_t));

	if (s) {
		s->width = width;
		s->depth = depth;
		s->mode = mode;
	}
	return s;
}

int vx_cms_create(struct vx_cms **out, double epsilon, double delta, enum vx_cms_mode mode)
{
	double w, d;

	/* The negated comparisons also reject NaN. */
	if (!(epsilon > 0 && epsilon < 1) || !(delta > 0 && delta < 1))
		return -EINVAL;
	w = ceil(M_E / epsilon);
	d = ceil(-log(delta)); /* >= 1: log(delta) < 0 for every double below 1 */
	/* Compare as doubles first: converting an out-of-range double is UB. */
	if (d > VX_CMS_MAX_DEPTH || w > VX_CMS_MAX_COUNTERS ||
	    !dims_ok((uint64_t)w, (uint64_t)d, (uint64_t)mode))
		return -EINVAL;
	*out = alloc_sketch((uint32_t)w, (uint32_t)d, mode);
	return *out ? 0 : -ENOMEM;
}

void vx_cms_destroy(struct vx_cms *s)
{
	free(s);
}

static uint32_t sat_add32(uint32_t c, uint64_t add)
{
	return add >= (uint64_t)(UINT32_MAX - c) ? UINT32_MAX : (uint32_t)(c + add);
}

static uint64_t sat_add64(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* The counter an item uses in the current row: the next SplitMix64 output of
 * its hash, top 32 bits scaled to [0, width) (Lemire's multiply-shift: no
 * division, bias below width / 2^32). */
static uint32_t row_pos(uint64_t *state, uint32_t width)
{
	return (uint32_t)(((vx_rand64(state) >> 32) * width) >> 32);
}

void vx_cms_add_hash(struct vx_cms *s, uint64_t hash, uint64_t count)
{
	uint32_t *cell[VX_CMS_MAX_DEPTH];
	uint32_t *row = s->counters, lo = UINT32_MAX, to;
	uint64_t state = hash;

	s->total = sat_add64(s->total, count);
	if (s->mode == VX_CMS_STANDARD) {
		for (uint32_t i = 0; i < s->depth; i++, row += s->width) {
			uint32_t *c = &row[row_pos(&state, s->width)];

			*c = sat_add32(*c, count);
		}
		return;
	}
	for (uint32_t i = 0; i < s->depth; i++, row += s->width) {
		cell[i] = &row[row_pos(&state, s->width)];
		if (*cell[i] < lo)
			lo = *cell[i];
	}
	/* Estan–Varghese: the new estimate is min + count; a counter already
	 * above it carries other items' weight and stays. */
	to = sat_add32(lo, count);
	for (uint32_t i = 0; i < s->depth; i++)
		if (*cell[i] < to)
			*cell[i] = to;
}

void vx_cms_add(struct vx_cms *s, const void *data, size_t len, uint64_t count)
{
	vx_cms_add_hash(s, vx_hash64(data, len), count);
}

uint64_t vx_cms_estimate_hash(const struct vx_cms *s, uint64_t hash)
{
	const uint32_t *row = s->counters;
	uint32_t lo = UINT32_MAX;
	uint64_t state = hash;

	for (uint32_t i = 0; i < s->depth; i++, row += s->width) {
		uint32_t c = row[row_pos(&state, s->width)];

		if (c < lo)
			lo = c;
	}
	return lo;
}

uint64_t vx_cms_estimate(const struct vx_cms *s, const void *data, size_t len)
{
	return vx_cms_estimate_hash(s, vx_hash64(data, len));
}

uint64_t vx_cms_total(const struct vx_cms *s)
{
	return s->total;
}

size_t vx_cms_width(const struct vx_cms *s)
{
	return s->width;
}

size_t vx_cms_depth(const struct vx_cms *s)
{
	return s->depth;
}

int vx_cms_merge(struct vx_cms *dst, const struct vx_cms *src)
{
	size_t n = (size_t)dst->width * dst->depth;

	if (dst->width != src->width || dst->depth != src->depth || dst->mode != src->mode)
		return -EINVAL;
	/* Saturating addition is associative on non-negative counts, so the
	 * merged standard sketch equals the one of the concatenation even when
	 * a counter saturates. */
	for (size_t i = 0; i < n; i++)
		dst->counters[i] = sat_add32(dst->counters[i], src->counters[i]);
	dst->total = sat_add64(dst->total, src->total);
	return 0;
}

ssize_t vx_cms_serialize(const struct vx_cms *s, void *buf, size_t cap)
{
	struct vx_ser_writer w;
	size_t n = (size_t)s->width * s->depth;

	vx_ser_begin(&w, buf, cap, VX_SER_CMS);
	vx_ser_u32(&w, s->width);
	vx_ser_u32(&w, s->depth);
	vx_ser_u8(&w, (uint8_t)s->mode);
	vx_ser_u64(&w, s->total);
	for (size_t i = 0; i < n; i++)
		vx_ser_u32(&w, s->counters[i]);
	return vx_ser_finish(&w);
}

int vx_cms_deserialize(struct vx_cms **out, const void *buf, size_t len)
{
	struct vx_ser_reader r, counters;
	uint32_t width, depth;
	uint8_t mode;
	uint64_t total;
	struct vx_cms *s;

	if (vx_ser_open(&r, buf, len, VX_SER_CMS) < 0)
		return -EINVAL;
	width = vx_ser_get_u32(&r);
	depth = vx_ser_get_u32(&r);
	mode = vx_ser_get_u8(&r);
	total = vx_ser_get_u64(&r);
	if (r.error || !dims_ok(width, depth, mode) ||
	    vx_ser_remaining(&r) != (size_t)width * depth * sizeof(uint32_t))
		return -EINVAL;

	/* Row sums, before allocating; a row holds at most 2^26 counters below
	 * 2^32, so its sum fits in 64 bits. */
	counters = r;
	for (uint32_t i = 0; i < depth; i++) {
		uint64_t sum = 0;
		bool saturated = false;

		for (uint32_t j = 0; j < width; j++) {
			uint32_t c = vx_ser_get_u32(&r);

			sum += c;
			saturated |= c == UINT32_MAX;
		}
		if (sum > total || (mode == VX_CMS_STANDARD && !saturated && sum != total))
			return -EINVAL;
	}
	if (vx_ser_close(&r) < 0)
		return -EINVAL;

	s = alloc_sketch(width, depth, (enum vx_cms_mode)mode);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < (size_t)width * depth; i++)
		s->counters[i] = vx_ser_get_u32(&counters);
	s->total = total;
	*out = s;
	return 0;
}

size_t vx_cms_footprint(const struct vx_cms *s)
{
	return sizeof(*s) + (size_t)s->width * s->depth * sizeof(uint32_t);
}
