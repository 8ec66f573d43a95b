// SPDX-License-Identifier: MIT
/*
 * KLL quantile sketch: Z. Karnin, K. Lang, E. Liberty, "Optimal quantile
 * approximation in streams", FOCS 2016 (arXiv:1603.05346). The layout, the
 * capacities and the compaction order follow Apache DataSketches' kll_sketch
 * (datasketches-cpp, kll_sketch_impl.hpp and kll_helper_impl.hpp), so its
 * empirical error bound applies: eps(k) = 2.296 / k^0.9723, 1.33% for k = 200,
 * the 99th percentile over trials of the largest rank error over all inputs.
 *
 * Layout. All values live in one array of cap slots, packed against its end:
 *
 *	items: [ free ......... | level 0 | level 1 | ... | level L-1 ]
 *	        0      base      levels[0] levels[1]         levels[L] == cap
 *
 * Level h holds values of weight 2^h; every level but 0 is sorted. Level 0 grows
 * downwards, one slot per add, into the free space; the sketch is full when it
 * reaches base = cap - (capacity of L levels). Capacities go by depth d = L-1-h
 * from the top, cap(d) = max(2, round(k (2/3)^d)): a new top level takes k and
 * every other level moves one depth down, so the total grows by the capacity at
 * depth L. Base moves down by that much and no value moves.
 *
 * The bound on cap. Sum over d of k (2/3)^d is below 3k; rounding adds at most
 * 1/2 and the minimum width of 2 at most 2 per level, and n < 2^64 allows at most
 * 64 levels (see weight_ok()): cap <= 3k + 160, 699 slots for k = 200.
 *
 * Minimum width 2 versus DataSketches' default 8. The variance a level adds is
 * about (number of its compactions) x (its weight)^2, proportional to
 * 2^h / cap(h): relative to the top level, (3/4)^d while cap follows k (2/3)^d,
 * 2^-d k / 2 once it is floored at 2. For k = 200, levels deeper than 8 carry
 * 0.24 of the top level's 1 (against 0.10 with width 8) out of a total of about
 * 3.9, so the standard deviation grows by under 2%.
 *
 * Sorting. Compaction sorts level 0 in place (heapsort: O(r log r), no memory);
 * the higher levels stay sorted because halving a sorted run keeps it sorted and
 * it is merged into the level above in place, front to back, where the write
 * position never passes the unread part of the run it merges with.
 */
#include "algorithms/kll.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/ser.h"

/* Smallest level capacity (the paper's; DataSketches' m may be 2..8). */
#define MIN_WIDTH 2

/* Level arrays carry one boundary past the top, and compaction peeks at one more. */
#define LEVEL_SLOTS (VX_KLL_MAX_LEVELS + 2)

struct vx_kll {
	unsigned k;
	unsigned num_levels;             /* L, 1..VX_KLL_MAX_LEVELS */
	uint32_t cap;                    /* value slots, enough for 64 levels */
	uint32_t base;                   /* cap - total_cap[num_levels] */
	uint32_t levels[LEVEL_SLOTS];    /* level h is items[levels[h], levels[h+1]) */
	uint32_t depth_cap[VX_KLL_MAX_LEVELS];      /* capacity of the level at depth d */
	uint32_t total_cap[VX_KLL_MAX_LEVELS + 1];  /* capacity of L levels */
	uint64_t n;                      /* values represented: sum of weights */
	uint64_t rng;                    /* vx_rand64() state: one bit per compaction */
	double min, max;                 /* exact; meaningless while n == 0 */
	double *items;                   /* cap slots */

	/* Query and merge scratch; NULL in a window's sub-sketches, which are only
	 * ever added to and merged from. */
	double *work;                    /* 2 cap: merge work; first cap: view values */
	uint64_t *cumw;                  /* cap: view cumulative weights */
	uint32_t view_len;
	bool view_valid;                 /* work/cumw hold the sorted view of items */
};

struct vx_kll_window {
	unsigned windows;                /* W */
	unsigned current;                /* slot receiving adds */
	uint64_t rotate_every;           /* 0: by clock only */
	uint64_t count;                  /* sum of sub[]'s n: never wraps, so neither can a merge */
	uint64_t query_seed;
	bool merged_valid;               /* merged holds the union of sub[] */
	struct vx_kll *merged;
	struct vx_kll *sub[VX_KLL_WINDOW_MAX];
};

/* --- capacities ------------------------------------------------------------------- */

/*
 * round(k (2/3)^depth), floored at MIN_WIDTH, in integers as DataSketches'
 * int_cap_aux_aux(): (2k 2^d / 3^d + 1) / 2. Past depth 30 the value is below
 * 65535 (2/3)^31 < 1, so the floor applies.
 */
static uint32_t depth_capacity(unsigned k, unsigned depth)
{
	uint64_t pow3 = 1, c;

	if (depth > 30)
		return MIN_WIDTH;
	for (unsigned i = 0; i < depth; i++)
		pow3 *= 3;
	c = ((((uint64_t)k << 1) << depth) / pow3 + 1) >> 1;
	return c < MIN_WIDTH ? MIN_WIDTH : (uint32_t)c;
}

static uint32_t total_capacity(unsigned k, unsigned levels)
{
	uint32_t sum = 0;

	for (unsigned d = 0; d < levels; d++)
		sum += depth_capacity(k, d);
	return sum;
}

static uint32_t level_capacity(const struct vx_kll *s, unsigned num_levels, unsigned level)
{
	return s->depth_cap[num_levels - 1 - level];
}

static uint32_t level_size(const struct vx_kll *s, unsigned level)
{
	return level < s->num_levels ? s->levels[level + 1] - s->levels[level] : 0;
}

/* --- in-place sorting and halving ------------------------------------------------- */

static void sift_down(double *a, size_t root, size_t n)
{
	double v = a[root];

	for (;;) {
		size_t child = 2 * root + 1;

		if (child >= n)
			break;
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (!(a[child] > v))
			break;
		a[root] = a[child];
		root = child;
	}
	a[root] = v;
}

/* Ascending, in place, O(n log n) worst case and no memory: heapsort, with
 * insertion sort for the short runs where it is faster. */
static void sort_values(double *a, size_t n)
{
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			double v = a[i];
			size_t j = i;

			for (; j > 0 && a[j - 1] > v; j--)
				a[j] = a[j - 1];
			a[j] = v;
		}
		return;
	}
	for (size_t i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (size_t end = n - 1; end > 0; end--) {
		double t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift_down(a, 0, end);
	}
}

/* Keep a[start + 2i + bit], i < len/2, in a[start, start + len/2). */
static void halve_down(double *a, uint32_t start, uint32_t len, unsigned bit)
{
	for (uint32_t i = 0; i < len / 2; i++)
		a[start + i] = a[start + 2 * i + bit];
}

/* The same selection into the upper half, a[start + len/2, start + len): going
 * down, each write lands at or above the read it follows and above every read
 * still to come. */
static void halve_up(double *a, uint32_t start, uint32_t len, unsigned bit)
{
	uint32_t half = len / 2;

	for (uint32_t i = half; i-- > 0;)
		a[start + half + i] = a[start + 2 * i + bit];
}

/*
 * Merge the sorted runs a[x, x+nx) and a[y, y+ny), where y == x + 2 nx, into
 * a[x+nx, y+ny). Front to back: the write index x + nx + i + j (i, j consumed
 * from each run) never exceeds y + j, the next unread value of the second run,
 * and when the first run runs out the rest of the second is already in place.
 */
static void merge_in_place(double *a, uint32_t x, uint32_t nx, uint32_t y, uint32_t ny)
{
	uint32_t i = x, xe = x + nx, j = y, ye = y + ny, d = x + nx;

	assert(y == x + 2 * nx);
	while (i < xe && j < ye)
		a[d++] = a[j] < a[i] ? a[j++] : a[i++];
	while (i < xe)
		a[d++] = a[i++];
}

/* Merge two sorted arrays into a third that overlaps neither. */
static void merge_runs(double *d, const double *a, uint32_t na, const double *b, uint32_t nb)
{
	uint32_t i = 0, j = 0;

	while (i < na && j < nb)
		*d++ = b[j] < a[i] ? b[j++] : a[i++];
	memcpy(d, a + i, (na - i) * sizeof(*d));
	d += na - i;
	memcpy(d, b + j, (nb - j) * sizeof(*d));
}

static unsigned random_bit(struct vx_kll *s)
{
	return (unsigned)(vx_rand64(&s->rng) >> 63);
}

/* --- create / destroy --------------------------------------------------------------- */

static struct vx_kll *kll_alloc(unsigned k, uint64_t seed, bool scratch)
{
	struct vx_kll *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->k = k;
	for (unsigned d = 0; d < VX_KLL_MAX_LEVELS; d++) {
		s->depth_cap[d] = depth_capacity(k, d);
		s->total_cap[d + 1] = s->total_cap[d] + s->depth_cap[d];
	}
	s->cap = s->total_cap[VX_KLL_MAX_LEVELS];
	s->rng = seed;
	s->items = malloc(s->cap * sizeof(*s->items));
	if (!s->items)
		goto err_free;
	if (scratch) {
		s->work = malloc(2 * (size_t)s->cap * sizeof(*s->work));
		if (!s->work)
			goto err_items;
		s->cumw = malloc(s->cap * sizeof(*s->cumw));
		if (!s->cumw)
			goto err_work;
	}
	vx_kll_reset(s);
	return s;

err_work:
	free(s->work);
err_items:
	free(s->items);
err_free:
	free(s);
	return NULL;
}

int vx_kll_create(struct vx_kll **out, unsigned k, uint64_t seed)
{
	if (k < VX_KLL_MIN_K || k > VX_KLL_MAX_K)
		return -EINVAL;
	*out = kll_alloc(k, seed, true);
	return *out ? 0 : -ENOMEM;
}

void vx_kll_destroy(struct vx_kll *s)
{
	if (!s)
		return;
	free(s->cumw);
	free(s->work);
	free(s->items);
	free(s);
}

void vx_kll_reset(struct vx_kll *s)
{
	s->num_levels = 1;
	s->levels[0] = s->cap;
	s->levels[1] = s->cap;
	s->base = s->cap - s->total_cap[1];
	s->n = 0;
	s->min = (double)NAN;
	s->max = (double)NAN;
	s->view_valid = false;
}

/* --- update ------------------------------------------------------------------------- */

/* The lowest level at or over its capacity; a full sketch has one, since the
 * level sizes then add up to the sum of the capacities. */
static unsigned find_level_to_compact(const struct vx_kll *s)
{
	unsigned h;

	for (h = 0; h < s->num_levels - 1; h++)
		if (level_size(s, h) >= level_capacity(s, s->num_levels, h))
			break;
	return h;
}

/*
 * Room for one more value at level 0, for a full sketch (levels[0] == base):
 * compact the lowest level at capacity, adding a level first if it is the top.
 * Only the top can need a new level, and a compaction there puts at least one
 * value of weight 2^L at level L, so n < 2^64 keeps L <= 64.
 */
static void compress_for_add(struct vx_kll *s)
{
	unsigned level = find_level_to_compact(s);
	uint32_t raw_beg, raw_lim, raw_pop, pop_above, adj_beg, adj_pop, half, odd;

	if (level == s->num_levels - 1) {
		assert(s->num_levels < VX_KLL_MAX_LEVELS);
		s->num_levels++;
		s->levels[s->num_levels] = s->cap; /* the new top level, empty */
		s->base = s->cap - s->total_cap[s->num_levels];
	}

	raw_beg = s->levels[level];
	raw_lim = s->levels[level + 1];
	raw_pop = raw_lim - raw_beg;
	pop_above = s->levels[level + 2] - raw_lim;
	odd = raw_pop & 1;
	adj_beg = raw_beg + odd;
	adj_pop = raw_pop - odd;
	half = adj_pop / 2;

	if (level == 0)
		sort_values(s->items + adj_beg, adj_pop);
	if (pop_above == 0) {
		halve_up(s->items, adj_beg, adj_pop, random_bit(s));
	} else {
		halve_down(s->items, adj_beg, adj_pop, random_bit(s));
		merge_in_place(s->items, adj_beg, half, raw_lim, pop_above);
	}
	s->levels[level + 1] -= half;
	/* An odd value out stays behind, just below the level above. */
	s->levels[level] = s->levels[level + 1] - odd;
	if (odd)
		s->items[s->levels[level]] = s->items[raw_beg];
	assert(s->levels[level] == raw_beg + half);

	/* Slide the levels below up into the half freed, so level 0 borders the free space. */
	if (level > 0) {
		memmove(s->items + s->levels[0] + half, s->items + s->levels[0],
			(raw_beg - s->levels[0]) * sizeof(*s->items));
		for (unsigned h = 0; h < level; h++)
			s->levels[h] += half;
	}
}

int vx_kll_add(struct vx_kll *s, double x)
{
	if (isnan(x))
		return -EINVAL;
	/* 2^64 - 1 values would take centuries; refusing one more keeps the sum of
	 * weights, and with it the level count, in range for a forged near-full n. */
	if (s->n == UINT64_MAX)
		return -EOVERFLOW;
	if (s->levels[0] == s->base)
		compress_for_add(s);
	s->items[--s->levels[0]] = x;
	if (s->n == 0 || x < s->min)
		s->min = x;
	if (s->n == 0 || x > s->max)
		s->max = x;
	s->n++;
	s->view_valid = false;
	return 0;
}

/* --- queries -------------------------------------------------------------------------- */

/*
 * The sorted view: every retained value with its cumulative weight. Level 0 is
 * copied and sorted, then each level merged in from below, back to front. Level
 * sizes grow roughly by 3/2 going up, so the merges cost about 3r moves in all;
 * the sort of level 0 is O(r log r) at worst (exact mode, everything at level 0).
 */
static void build_view(struct vx_kll *s)
{
	double *v = s->work;
	uint64_t *w = s->cumw;
	uint32_t len = level_size(s, 0);

	memcpy(v, s->items + s->levels[0], len * sizeof(*v));
	sort_values(v, len);
	for (uint32_t i = 0; i < len; i++)
		w[i] = 1;
	for (unsigned h = 1; h < s->num_levels; h++) {
		const double *run = s->items + s->levels[h];
		uint32_t i = len, j = level_size(s, h), d = len + j;
		uint64_t weight = UINT64_C(1) << h;

		len = d;
		while (j > 0) {
			d--;
			if (i > 0 && v[i - 1] > run[j - 1]) {
				i--;
				v[d] = v[i];
				w[d] = w[i];
			} else {
				j--;
				v[d] = run[j];
				w[d] = weight;
			}
		}
	}
	for (uint32_t i = 1; i < len; i++)
		w[i] += w[i - 1];
	assert(len > 0 && w[len - 1] == s->n);
	s->view_len = len;
	s->view_valid = true;
}

/* Smallest target cumulative weight for quantile q in (0, 1): ceil(q n) in 1..n. */
static uint64_t rank_target(double q, uint64_t n)
{
	double t = ceil(q * (double)n);

	if (t < 1)
		return 1;
	if (t >= (double)n)
		return n;
	return (uint64_t)t;
}

double vx_kll_quantile(struct vx_kll *s, double q)
{
	uint32_t lo = 0, hi;
	uint64_t target;

	if (s->n == 0 || isnan(q))
		return (double)NAN;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	target = rank_target(q, s->n);
	if (!s->view_valid)
		build_view(s);
	hi = s->view_len - 1; /* cumw[last] == n >= target */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->cumw[mid] >= target)
			hi = mid;
		else
			lo = mid + 1;
	}
	return s->work[lo];
}

double vx_kll_rank(struct vx_kll *s, double x)
{
	uint32_t lo = 0, hi;

	if (s->n == 0 || isnan(x))
		return (double)NAN;
	if (x < s->min)
		return 0;
	if (x >= s->max)
		return 1;
	if (!s->view_valid)
		build_view(s);
	hi = s->view_len;
	while (lo < hi) { /* lo: how many view values are <= x */
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->work[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (double)s->cumw[lo - 1] / (double)s->n : 0;
}

uint64_t vx_kll_count(const struct vx_kll *s)
{
	return s->n;
}

double vx_kll_min(const struct vx_kll *s)
{
	return s->n ? s->min : (double)NAN;
}

double vx_kll_max(const struct vx_kll *s)
{
	return s->n ? s->max : (double)NAN;
}

size_t vx_kll_retained(const struct vx_kll *s)
{
	return s->cap - s->levels[0];
}

double vx_kll_rank_error(unsigned k)
{
	if (k < VX_KLL_MIN_K || k > VX_KLL_MAX_K)
		return (double)NAN;
	return 2.296 / pow(k, 0.9723);
}

size_t vx_kll_footprint(const struct vx_kll *s)
{
	size_t slots = s->work ? 4 : 1; /* items, plus work (2) and cumw (1) */

	return sizeof(*s) + slots * s->cap * sizeof(double);
}

/* --- merge ------------------------------------------------------------------------------ */

/*
 * DataSketches' general_compress(): one pass up the levels of @a (level h is
 * a[in[h], in[h+1]), every level but 0 sorted), compacting each level that is at
 * capacity while the whole is over the capacity of the current level count,
 * adding levels as the top overflows. Data only moves down, into out[]'s
 * boundaries. Return: the new level count; *count is the values left.
 */
static unsigned general_compress(struct vx_kll *s, unsigned num_levels, double *a, uint32_t *in,
				 uint32_t *out, uint32_t *count)
{
	uint32_t items = in[num_levels] - in[0];
	uint32_t target = s->total_cap[num_levels];

	out[0] = 0;
	for (unsigned level = 0;; level++) {
		uint32_t raw_beg, raw_lim, raw_pop;

		/* An empty level above the top, for the compaction below to look at. */
		if (level == num_levels - 1)
			in[level + 2] = in[level + 1];
		raw_beg = in[level];
		raw_lim = in[level + 1];
		raw_pop = raw_lim - raw_beg;

		if (items < target || raw_pop < level_capacity(s, num_levels, level)) {
			memmove(a + out[level], a + raw_beg, raw_pop * sizeof(*a));
			out[level + 1] = out[level] + raw_pop;
		} else {
			uint32_t pop_above = in[level + 2] - raw_lim;
			uint32_t odd = raw_pop & 1;
			uint32_t adj_beg = raw_beg + odd, adj_pop = raw_pop - odd;
			uint32_t half = adj_pop / 2;

			if (odd)
				a[out[level]] = a[raw_beg];
			out[level + 1] = out[level] + odd;
			if (level == 0)
				sort_values(a + adj_beg, adj_pop);
			if (pop_above == 0) {
				halve_up(a, adj_beg, adj_pop, random_bit(s));
			} else {
				halve_down(a, adj_beg, adj_pop, random_bit(s));
				merge_in_place(a, adj_beg, half, raw_lim, pop_above);
			}
			items -= half;
			in[level + 1] -= half;
			if (level == num_levels - 1) {
				num_levels++;
				assert(num_levels <= VX_KLL_MAX_LEVELS);
				target = s->total_cap[num_levels];
			}
		}
		if (level == num_levels - 1)
			break;
	}
	assert(out[num_levels] - out[0] == items);
	*count = items;
	return num_levels;
}

/* @dst is empty: take @src's state as it is (exact, no compaction). */
static void copy_state(struct vx_kll *dst, const struct vx_kll *src)
{
	uint32_t first = src->levels[0];

	dst->num_levels = src->num_levels;
	memcpy(dst->levels, src->levels, sizeof(dst->levels));
	dst->base = src->base;
	memcpy(dst->items + first, src->items + first, (dst->cap - first) * sizeof(*dst->items));
	dst->n = src->n;
	dst->min = src->min;
	dst->max = src->max;
}

/* Both non-empty, same k; dst has scratch. */
static void merge_levels(struct vx_kll *dst, const struct vx_kll *src)
{
	uint32_t in[LEVEL_SLOTS + 1], out[LEVEL_SLOTS + 1], count;
	unsigned levels = dst->num_levels > src->num_levels ? dst->num_levels : src->num_levels;
	double *a = dst->work;

	/* Level 0 of src joins as ordinary adds (compacting dst as they require). */
	for (uint32_t i = src->levels[0]; i < src->levels[1]; i++) {
		if (dst->levels[0] == dst->base)
			compress_for_add(dst);
		dst->items[--dst->levels[0]] = src->items[i];
	}
	if (dst->num_levels > levels)
		levels = dst->num_levels;
	if (src->num_levels == 1)
		return;

	/* Concatenate level by level into the work buffer: at most dst's capacity
	 * plus src's, 2 cap. */
	in[0] = 0;
	in[1] = level_size(dst, 0);
	memcpy(a, dst->items + dst->levels[0], in[1] * sizeof(*a));
	for (unsigned h = 1; h < levels; h++) {
		uint32_t na = level_size(dst, h), nb = level_size(src, h);

		merge_runs(a + in[h], dst->items + (h < dst->num_levels ? dst->levels[h] : 0), na,
			   src->items + (h < src->num_levels ? src->levels[h] : 0), nb);
		in[h + 1] = in[h] + na + nb;
	}
	assert(in[levels] <= 2 * dst->cap);

	levels = general_compress(dst, levels, a, in, out, &count);
	assert(count <= dst->total_cap[levels]);
	memcpy(dst->items + dst->cap - count, a, count * sizeof(*a));
	for (unsigned h = 0; h <= levels; h++)
		dst->levels[h] = dst->cap - count + out[h];
	dst->num_levels = levels;
	dst->base = dst->cap - dst->total_cap[levels];
}

static void merge_into(struct vx_kll *dst, const struct vx_kll *src)
{
	uint64_t n = dst->n + src->n;

	if (src->n == 0)
		return;
	dst->view_valid = false;
	if (dst->n == 0) {
		copy_state(dst, src);
		return;
	}
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	merge_levels(dst, src);
	dst->n = n;
}

int vx_kll_merge(struct vx_kll *dst, const struct vx_kll *src)
{
	if (dst == src || dst->k != src->k)
		return -EINVAL;
	if (src->n > UINT64_MAX - dst->n)
		return -EOVERFLOW;
	merge_into(dst, src);
	return 0;
}

/* --- serialization ------------------------------------------------------------------------ */

static void write_payload(struct vx_ser_writer *wr, const struct vx_kll *s)
{
	vx_ser_u16(wr, (uint16_t)s->k);
	vx_ser_u8(wr, (uint8_t)s->num_levels);
	vx_ser_u64(wr, s->n);
	vx_ser_u64(wr, s->rng);
	if (s->n) {
		vx_ser_f64(wr, s->min);
		vx_ser_f64(wr, s->max);
	}
	for (unsigned h = 0; h < s->num_levels; h++)
		vx_ser_u32(wr, level_size(s, h));
	/* Levels are contiguous, 0 first: the whole tail of items in order. */
	for (uint32_t i = s->levels[0]; i < s->cap; i++)
		vx_ser_f64(wr, s->items[i]);
}

ssize_t vx_kll_serialize(const struct vx_kll *s, void *buf, size_t cap)
{
	struct vx_ser_writer wr;

	vx_ser_begin(&wr, buf, cap, VX_SER_KLL);
	write_payload(&wr, s);
	return vx_ser_finish(&wr);
}

/* A payload checked against every invariant, pointing into the buffer. */
struct kll_image {
	unsigned k, num_levels;
	uint64_t n, rng;
	double min, max;
	uint32_t sizes[VX_KLL_MAX_LEVELS];
	uint32_t total;
	const uint8_t *values; /* total little-endian f64 */
};

static double le_f64(const uint8_t *p)
{
	uint64_t bits = 0;
	double v;

	for (unsigned i = 0; i < 8; i++)
		bits |= (uint64_t)p[i] << (8 * i);
	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* The sum of size_h 2^h is exactly n, without overflow. This is also what bounds
 * the level count: a level h value alone stands for 2^h inputs. */
static bool weight_ok(const struct kll_image *im)
{
	uint64_t sum = 0;

	for (unsigned h = 0; h < im->num_levels; h++) {
		uint64_t size = im->sizes[h];

		if (size > (UINT64_MAX >> h))
			return false;
		if ((size << h) > UINT64_MAX - sum)
			return false;
		sum += size << h;
	}
	return sum == im->n;
}

static bool values_ok(const struct kll_image *im)
{
	const uint8_t *p = im->values;
	double lo = (double)INFINITY, hi = -(double)INFINITY;

	for (unsigned h = 0; h < im->num_levels; h++) {
		for (uint32_t i = 0; i < im->sizes[h]; i++, p += 8) {
			double v = le_f64(p);

			if (isnan(v) || v < im->min || v > im->max)
				return false;
			/* Levels above 0 ascending (the comparison fails for equal neighbours
			 * only if the earlier is larger, so ties are fine). */
			if (h > 0 && i > 0 && le_f64(p - 8) > v)
				return false;
			if (v < lo)
				lo = v;
			if (v > hi)
				hi = v;
		}
	}
	/* Nothing compacted yet: the values are the input, so its min and max. */
	if (im->num_levels == 1 && im->n > 0 && (lo != im->min || hi != im->max))
		return false;
	return true;
}

static int read_payload(struct vx_ser_reader *r, struct kll_image *im)
{
	uint64_t total = 0;

	im->k = vx_ser_get_u16(r);
	im->num_levels = vx_ser_get_u8(r);
	im->n = vx_ser_get_u64(r);
	im->rng = vx_ser_get_u64(r);
	if (r->error || im->k < VX_KLL_MIN_K || im->num_levels < 1 ||
	    im->num_levels > VX_KLL_MAX_LEVELS)
		return -EINVAL;
	im->min = (double)NAN;
	im->max = (double)NAN;
	if (im->n) {
		im->min = vx_ser_get_f64(r);
		im->max = vx_ser_get_f64(r);
		if (isnan(im->min) || isnan(im->max) || im->min > im->max)
			return -EINVAL;
	}
	for (unsigned h = 0; h < im->num_levels; h++) {
		im->sizes[h] = vx_ser_get_u32(r);
		total += im->sizes[h];
	}
	if (r->error || total > total_capacity(im->k, im->num_levels))
		return -EINVAL;
	im->total = (uint32_t)total;
	if (im->n == 0 ? im->num_levels != 1 : im->sizes[im->num_levels - 1] == 0)
		return -EINVAL;
	if (!weight_ok(im))
		return -EINVAL;
	im->values = vx_ser_get_bytes(r, total * 8);
	if (!im->values || !values_ok(im))
		return -EINVAL;
	return 0;
}

/* Fill a fresh sketch (of the image's k) from a checked image. */
static void load_image(struct vx_kll *s, const struct kll_image *im)
{
	uint32_t at = s->cap;

	s->num_levels = im->num_levels;
	s->levels[im->num_levels] = s->cap;
	for (unsigned h = im->num_levels; h-- > 0;) {
		at -= im->sizes[h];
		s->levels[h] = at;
	}
	s->base = s->cap - s->total_cap[s->num_levels];
	for (uint32_t i = 0; i < im->total; i++)
		s->items[at + i] = le_f64(im->values + 8 * (size_t)i);
	s->n = im->n;
	s->rng = im->rng;
	s->min = im->min;
	s->max = im->max;
	s->view_valid = false;
}

int vx_kll_deserialize(struct vx_kll **out, const void *buf, size_t len)
{
	struct vx_ser_reader r;
	struct kll_image im;
	struct vx_kll *s;

	if (vx_ser_open(&r, buf, len, VX_SER_KLL) < 0 || read_payload(&r, &im) < 0 ||
	    vx_ser_close(&r) < 0)
		return -EINVAL;
	s = kll_alloc(im.k, 0, true);
	if (!s)
		return -ENOMEM;
	load_image(s, &im);
	*out = s;
	return 0;
}

/* --- windowed form ------------------------------------------------------------------------ */

int vx_kll_window_create(struct vx_kll_window **out, unsigned k, unsigned windows,
			 uint64_t rotate_every, uint64_t seed)
{
	struct vx_kll_window *w;
	uint64_t rng = seed;

	if (k < VX_KLL_MIN_K || k > VX_KLL_MAX_K || windows < 1 || windows > VX_KLL_WINDOW_MAX)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->windows = windows;
	w->rotate_every = rotate_every;
	w->query_seed = vx_rand64(&rng);
	w->merged = kll_alloc(k, 0, true);
	if (!w->merged)
		goto err;
	for (unsigned i = 0; i < windows; i++) {
		w->sub[i] = kll_alloc(k, vx_rand64(&rng), false);
		if (!w->sub[i])
			goto err;
	}
	*out = w;
	return 0;

err:
	vx_kll_window_destroy(w);
	return -ENOMEM;
}

void vx_kll_window_destroy(struct vx_kll_window *w)
{
	if (!w)
		return;
	for (unsigned i = 0; i < w->windows; i++)
		vx_kll_destroy(w->sub[i]);
	vx_kll_destroy(w->merged);
	free(w);
}

void vx_kll_window_rotate(struct vx_kll_window *w)
{
	w->current = (w->current + 1) % w->windows;
	w->count -= w->sub[w->current]->n;
	vx_kll_reset(w->sub[w->current]);
	w->merged_valid = false;
}

int vx_kll_window_add(struct vx_kll_window *w, double x)
{
	int ret;

	if (isnan(x))
		return -EINVAL;
	if (w->rotate_every && w->sub[w->current]->n >= w->rotate_every)
		vx_kll_window_rotate(w);
	if (w->count == UINT64_MAX)
		return -EOVERFLOW;
	ret = vx_kll_add(w->sub[w->current], x);
	if (ret == 0) {
		w->count++;
		w->merged_valid = false;
	}
	return ret;
}

uint64_t vx_kll_window_count(const struct vx_kll_window *w)
{
	return w->count;
}

/*
 * The union of the live sketches, oldest first, in the scratch sketch. Its PRNG
 * restarts from the query seed mixed with the count at every rebuild, so the
 * answer is a function of the window's contents, however often it is asked.
 */
static struct vx_kll *window_merged(struct vx_kll_window *w)
{
	struct vx_kll *m = w->merged;

	if (w->merged_valid)
		return m;
	vx_kll_reset(m);
	m->rng = vx_hash_mix64(w->query_seed ^ vx_kll_window_count(w));
	for (unsigned i = 1; i <= w->windows; i++)
		merge_into(m, w->sub[(w->current + i) % w->windows]);
	w->merged_valid = true;
	return m;
}

double vx_kll_window_quantile(struct vx_kll_window *w, double q)
{
	return vx_kll_quantile(window_merged(w), q);
}

double vx_kll_window_rank(struct vx_kll_window *w, double x)
{
	return vx_kll_rank(window_merged(w), x);
}

double vx_kll_window_min(const struct vx_kll_window *w)
{
	double min = (double)NAN;

	for (unsigned i = 0; i < w->windows; i++)
		if (w->sub[i]->n && !(w->sub[i]->min >= min))
			min = w->sub[i]->min;
	return min;
}

double vx_kll_window_max(const struct vx_kll_window *w)
{
	double max = (double)NAN;

	for (unsigned i = 0; i < w->windows; i++)
		if (w->sub[i]->n && !(w->sub[i]->max <= max))
			max = w->sub[i]->max;
	return max;
}

ssize_t vx_kll_window_serialize(const struct vx_kll_window *w, void *buf, size_t cap)
{
	struct vx_ser_writer wr;

	vx_ser_begin(&wr, buf, cap, VX_SER_KLL_WINDOW);
	vx_ser_u16(&wr, (uint16_t)w->merged->k);
	vx_ser_u8(&wr, (uint8_t)w->windows);
	vx_ser_u8(&wr, (uint8_t)w->current);
	vx_ser_u64(&wr, w->rotate_every);
	vx_ser_u64(&wr, w->query_seed);
	for (unsigned i = 0; i < w->windows; i++)
		write_payload(&wr, w->sub[i]);
	return vx_ser_finish(&wr);
}

int vx_kll_window_deserialize(struct vx_kll_window **out, const void *buf, size_t len)
{
	struct kll_image im[VX_KLL_WINDOW_MAX];
	struct vx_ser_reader r;
	struct vx_kll_window *w;
	unsigned k, windows, current;
	uint64_t rotate_every, query_seed, count = 0;

	if (vx_ser_open(&r, buf, len, VX_SER_KLL_WINDOW) < 0)
		return -EINVAL;
	k = vx_ser_get_u16(&r);
	windows = vx_ser_get_u8(&r);
	current = vx_ser_get_u8(&r);
	rotate_every = vx_ser_get_u64(&r);
	query_seed = vx_ser_get_u64(&r);
	if (r.error || k < VX_KLL_MIN_K || windows < 1 || windows > VX_KLL_WINDOW_MAX ||
	    current >= windows)
		return -EINVAL;
	for (unsigned i = 0; i < windows; i++) {
		if (read_payload(&r, &im[i]) < 0 || im[i].k != k)
			return -EINVAL;
		if (rotate_every && im[i].n > rotate_every)
			return -EINVAL;
		if (im[i].n > UINT64_MAX - count)
			return -EINVAL;
		count += im[i].n;
	}
	if (vx_ser_close(&r) < 0)
		return -EINVAL;

	if (vx_kll_window_create(&w, k, windows, rotate_every, 0) < 0)
		return -ENOMEM;
	w->current = current;
	w->count = count;
	w->query_seed = query_seed;
	for (unsigned i = 0; i < windows; i++)
		load_image(w->sub[i], &im[i]);
	*out = w;
	return 0;
}

size_t vx_kll_window_footprint(const struct vx_kll_window *w)
{
	size_t bytes = sizeof(*w) + vx_kll_footprint(w->merged);

	for (unsigned i = 0; i < w->windows; i++)
		bytes += vx_kll_footprint(w->sub[i]);
	return bytes;
}
