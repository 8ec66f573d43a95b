// SPDX-License-Identifier: MIT
/*
 * Bloom filters: classic, blocked, counting and two-generation aging. The papers,
 * the error bounds and the serialized layouts are at the top of bloom.h.
 *
 * From one 64-bit hash h every variant derives what it needs:
 * - classic, counting, aging: probe i goes to bit reduce(h1 + i*h2, m), with
 *   h1 = h and h2 = mix64(h) | 1 (Kirsch-Mitzenmacher double hashing). reduce()
 *   is Lemire's multiply-shift, (x * m) >> 64 on 128 bits ("A fast alternative
 *   to the modulo reduction", 2016): one multiply instead of a division, any m,
 *   including m beyond 2^32. It keeps the high bits of x, which is why the hash
 *   must be uniform over all 64 bits.
 * - blocked: the block is reduce(h, blocks); the k positions inside it are
 *   9-bit fields of mix64(h) (a fresh mix every 7 probes, see block_set()).
 */
#include "algorithms/bloom.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "algorithms/hash.h"
#include "algorithms/ser.h"

/* Lemire's reduction needs the high half of a 64x64 product. */
__extension__ typedef unsigned __int128 u128;

#define WORD_BITS 64
#define BLOCK_WORDS (VX_BLOOM_BLOCK_BITS / WORD_BITS)
#define BLOCK_BYTES (VX_BLOOM_BLOCK_BITS / 8)
#define NIBBLES_PER_WORD 16
#define COUNTER_MAX 15u

static inline uint64_t reduce(uint64_t x, uint64_t n)
{
	return (uint64_t)(((u128)x * n) >> 64);
}

static inline uint64_t second_hash(uint64_t h)
{
	/* Odd, so that a step of h2 never repeats a probe within 2^64 steps
	 * before reduction; the mixer makes it independent of h1 = h. */
	return vx_hash_mix64(h) | 1;
}

/* --- shared: sizing, words, serialization ---------------------------------------- */

/*
 * Classic geometry for @n keys at FPR @p: m = -n ln p / (ln 2)^2 bits rounded up
 * to a multiple of @align, k = round(log2(1/p)) = round((m/n) ln 2).
 */
static int classic_geometry(uint64_t n, double p, uint64_t align, uint64_t *m, unsigned *k)
{
	double bits, probes;

	if (n == 0 || !(p > 0.0 && p < 1.0)) /* also rejects NaN */
		return -EINVAL;
	bits = ceil(-(double)n * log(p) / (M_LN2 * M_LN2));
	if (!(bits <= (double)VX_BLOOM_MAX_BITS))
		return -EINVAL;
	*m = ((uint64_t)bits + align - 1) / align * align;
	if (*m == 0)
		*m = align;
	if (*m > VX_BLOOM_MAX_BITS)
		return -EINVAL;
	probes = round(-log2(p));
	*k = probes < 1.0 ? 1u : probes > VX_BLOOM_MAX_HASHES ? VX_BLOOM_MAX_HASHES : (unsigned)probes;
	return 0;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_words(struct vx_ser_writer *w, const uint64_t *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		vx_ser_u64(w, v[i]);
}

static void load_words(uint64_t *v, const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		v[i] = get_le64(p + 8 * i);
}

static uint64_t popcount_words(const uint64_t *v, uint64_t n)
{
	uint64_t c = 0;

	for (uint64_t i = 0; i < n; i++)
		c += (uint64_t)__builtin_popcountll(v[i]);
	return c;
}

static void or_words(uint64_t *dst, const uint64_t *src, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		dst[i] |= src[i];
}

/*
 * Zeroed memory for a bit or counter array, aligned to a cache line. Arrays of
 * 2 MiB or more are aligned to 2 MiB and advised for transparent huge pages:
 * every probe of a large filter lands on a random page, and with 4 KiB pages
 * nearly each one misses the TLB. Under virtualisation such a miss costs a
 * two-dimensional page walk: measured on the KVM guest this was written on, a
 * random read in a 12 MB array took 250 ns with 4 KiB pages, 25-70 ns with
 * huge pages. The advice is only a hint; its failure changes nothing else.
 */
#define HUGE_PAGE (2u << 20)

static void *alloc_zeroed(size_t bytes)
{
	size_t align = bytes >= HUGE_PAGE ? HUGE_PAGE : BLOCK_BYTES;
	void *p;

	if (posix_memalign(&p, align, bytes) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (align == HUGE_PAGE)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	memset(p, 0, bytes);
	return p;
}

static bool valid_hashes(unsigned k)
{
	return k >= 1 && k <= VX_BLOOM_MAX_HASHES;
}

/* m bits (or counters) read from a buffer: nonzero, a multiple of @align, in range. */
static bool valid_size(uint64_t m, uint64_t align)
{
	return m != 0 && m % align == 0 && m <= VX_BLOOM_MAX_BITS;
}

/*
 * The classic, blocked and counting filters share one serialized layout (bloom.h):
 * u64 size (bits, blocks or counters), u8 k, then the array as little-endian
 * u64 words. What differs is described here.
 */
struct array_layout {
	enum vx_ser_type type;
	uint64_t align;     /* the size is a nonzero multiple of this, */
	uint64_t max;       /* at most this, */
	unsigned unit_bits; /* and the array holds this many bits per unit of size */
};

static const struct array_layout classic_layout = {
	.type = VX_SER_BLOOM, .align = WORD_BITS, .max = VX_BLOOM_MAX_BITS, .unit_bits = 1,
};
static const struct array_layout blocked_layout = {
	.type = VX_SER_BLOOM_BLOCKED, .align = 1,
	.max = VX_BLOOM_MAX_BITS / VX_BLOOM_BLOCK_BITS, .unit_bits = VX_BLOOM_BLOCK_BITS,
};
static const struct array_layout counting_layout = {
	.type = VX_SER_BLOOM_COUNTING, .align = NIBBLES_PER_WORD, .max = VX_BLOOM_MAX_BITS,
	.unit_bits = 4,
};

/* Array bytes of a filter of @size units (no overflow: size <= max). */
static uint64_t array_bytes(const struct array_layout *l, uint64_t size)
{
	return size * l->unit_bits / 8;
}

static ssize_t serialize_array(const struct array_layout *l, void *buf, size_t cap,
			       uint64_t size, unsigned k, const uint64_t *words)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, l->type);
	vx_ser_u64(&w, size);
	vx_ser_u8(&w, (uint8_t)k);
	put_words(&w, words, array_bytes(l, size) / 8);
	return vx_ser_finish(&w);
}

/* Checks a buffer of layout @l and finds its array (array_bytes(@size) bytes, in
 * place). Return: 0, or -EINVAL. */
static int deserialize_array(const struct array_layout *l, const void *buf, size_t len,
			     uint64_t *size, unsigned *k, const uint8_t **array)
{
	struct vx_ser_reader r;

	if (vx_ser_open(&r, buf, len, l->type) < 0)
		return -EINVAL;
	*size = vx_ser_get_u64(&r);
	*k = vx_ser_get_u8(&r);
	if (r.error || *size == 0 || *size % l->align != 0 || *size > l->max ||
	    !valid_hashes(*k) || vx_ser_remaining(&r) != array_bytes(l, *size))
		return -EINVAL;
	*array = vx_ser_get_bytes(&r, array_bytes(l, *size));
	if (vx_ser_close(&r) < 0)
		return -EINVAL;
	return 0;
}

/* --- shared: the probes of the classic, counting and aging filters ----------------- */

static inline void bits_set(uint64_t *w, uint64_t m, unsigned k, uint64_t h)
{
	uint64_t g = h, h2 = second_hash(h);

	for (unsigned i = 0; i < k; i++, g += h2) {
		uint64_t bit = reduce(g, m);

		w[bit / WORD_BITS] |= UINT64_C(1) << (bit % WORD_BITS);
	}
}

/* bits_set() that also tells whether at least one bit was clear (a new key). */
static inline bool bits_add(uint64_t *w, uint64_t m, unsigned k, uint64_t h)
{
	uint64_t g = h, h2 = second_hash(h), fresh = 0;

	for (unsigned i = 0; i < k; i++, g += h2) {
		uint64_t bit = reduce(g, m);
		uint64_t mask = UINT64_C(1) << (bit % WORD_BITS);

		fresh |= ~w[bit / WORD_BITS] & mask;
		w[bit / WORD_BITS] |= mask;
	}
	return fresh != 0;
}

/*
 * Lookups test the first EARLY_PROBES probes without branching, then branch once
 * before the rest. For an absent key at the optimal fill of one half, three set
 * bits come up with probability 1/8, so that branch is nearly always predicted;
 * a branch after every probe mispredicts half the time (and a misprediction
 * throws away the loads already issued for the next keys), and no branch at all
 * pays for all k probes. Measured on a classic filter with k = 7, negative
 * lookups took 6.1 ns at 10^5 keys against 13.4 (branch per probe) and 7.7 (no
 * branch); 13.5 ns at 10^7 keys against 21.5 and 22.3.
 */
#define EARLY_PROBES 3u

static inline unsigned early_probes(unsigned k)
{
	return k < EARLY_PROBES ? k : EARLY_PROBES;
}

static inline bool bits_test(const uint64_t *w, uint64_t m, unsigned k, uint64_t h)
{
	uint64_t g = h, h2 = second_hash(h), hit = 1;
	unsigned i = 0;

	for (; i < early_probes(k); i++, g += h2) {
		uint64_t bit = reduce(g, m);

		hit &= w[bit / WORD_BITS] >> (bit % WORD_BITS);
	}
	if (!(hit & 1))
		return false;
	for (; i < k; i++, g += h2) {
		uint64_t bit = reduce(g, m);

		hit &= w[bit / WORD_BITS] >> (bit % WORD_BITS);
	}
	return hit & 1;
}

/* --- classic --------------------------------------------------------------------- */

struct vx_bloom {
	uint64_t *words; /* m/64 words */
	uint64_t m;      /* bits, a multiple of 64 */
	unsigned k;
};

static int bloom_alloc(struct vx_bloom **out, uint64_t m, unsigned k)
{
	struct vx_bloom *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->words = alloc_zeroed(m / 8);
	if (!f->words) {
		free(f);
		return -ENOMEM;
	}
	f->m = m;
	f->k = k;
	*out = f;
	return 0;
}

int vx_bloom_create(struct vx_bloom **out, uint64_t capacity, double fpr)
{
	uint64_t m;
	unsigned k;
	int ret = classic_geometry(capacity, fpr, WORD_BITS, &m, &k);

	if (ret < 0)
		return ret;
	return bloom_alloc(out, m, k);
}

void vx_bloom_destroy(struct vx_bloom *f)
{
	if (!f)
		return;
	free(f->words);
	free(f);
}

void vx_bloom_add_hash(struct vx_bloom *f, uint64_t hash)
{
	bits_set(f->words, f->m, f->k, hash);
}

void vx_bloom_add(struct vx_bloom *f, const void *data, size_t len)
{
	bits_set(f->words, f->m, f->k, vx_hash64(data, len));
}

bool vx_bloom_contains_hash(const struct vx_bloom *f, uint64_t hash)
{
	return bits_test(f->words, f->m, f->k, hash);
}

bool vx_bloom_contains(const struct vx_bloom *f, const void *data, size_t len)
{
	return bits_test(f->words, f->m, f->k, vx_hash64(data, len));
}

void vx_bloom_clear(struct vx_bloom *f)
{
	memset(f->words, 0, f->m / 8);
}

uint64_t vx_bloom_bits(const struct vx_bloom *f)
{
	return f->m;
}

unsigned vx_bloom_hashes(const struct vx_bloom *f)
{
	return f->k;
}

double vx_bloom_fill(const struct vx_bloom *f)
{
	return (double)popcount_words(f->words, f->m / WORD_BITS) / (double)f->m;
}

static double classic_fpr(uint64_t m, unsigned k, uint64_t n)
{
	return pow(-expm1(-(double)k * (double)n / (double)m), (double)k);
}

double vx_bloom_fpr(const struct vx_bloom *f, uint64_t n)
{
	return classic_fpr(f->m, f->k, n);
}

int vx_bloom_merge(struct vx_bloom *dst, const struct vx_bloom *src)
{
	if (dst->m != src->m || dst->k != src->k)
		return -EINVAL;
	or_words(dst->words, src->words, dst->m / WORD_BITS);
	return 0;
}

ssize_t vx_bloom_serialize(const struct vx_bloom *f, void *buf, size_t cap)
{
	return serialize_array(&classic_layout, buf, cap, f->m, f->k, f->words);
}

int vx_bloom_deserialize(struct vx_bloom **out, const void *buf, size_t len)
{
	const uint8_t *bits;
	struct vx_bloom *f;
	uint64_t m;
	unsigned k;
	int ret;

	ret = deserialize_array(&classic_layout, buf, len, &m, &k, &bits);
	if (ret < 0)
		return ret;
	ret = bloom_alloc(&f, m, k);
	if (ret < 0)
		return ret;
	load_words(f->words, bits, m / WORD_BITS);
	*out = f;
	return 0;
}

size_t vx_bloom_footprint(const struct vx_bloom *f)
{
	return sizeof(*f) + f->m / 8;
}

/* --- blocked --------------------------------------------------------------------- */

/*
 * A key's k positions in its block are consecutive 9-bit fields of probe words
 * w_j = mix64(hash + j * golden): probe i reads field i % 7 of w_{i / 7} (7
 * fields use 63 of the 64 bits). Disjoint fields of a well-mixed word are
 * independent and uniform over the 512 bits: k draws with replacement, the
 * model of the Putze formula.
 */
#define BLOCK_POS_BITS 9
#define PROBES_PER_WORD 7u
#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)

struct vx_bloom_blocked {
	uint64_t *words; /* blocks * 8 words, 64-byte aligned: a block is a cache line */
	uint64_t blocks;
	unsigned k;
};

static int blocked_alloc(struct vx_bloom_blocked **out, uint64_t blocks, unsigned k)
{
	struct vx_bloom_blocked *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->words = alloc_zeroed(blocks * BLOCK_BYTES);
	if (!f->words) {
		free(f);
		return -ENOMEM;
	}
	f->blocks = blocks;
	f->k = k;
	*out = f;
	return 0;
}

/*
 * Putze et al.: a block holds Poisson(lambda) keys; with i keys each of its bits
 * is clear with probability (1 - 1/512)^{k i}, and a lookup probes k bits:
 *   FPR = sum_i e^{-lambda} lambda^i / i! * (1 - (1 - 1/512)^{k i})^k.
 * The sum runs over lambda +- 12 standard deviations (plus slack for small
 * lambda); the terms outside weigh less than 1e-30.
 */
static double putze_fpr(double lambda, unsigned k)
{
	double ln_clear = log1p(-1.0 / VX_BLOOM_BLOCK_BITS);
	double sd = sqrt(lambda), lo, hi, pmf, sum = 0.0;

	if (lambda <= 0.0)
		return 0.0;
	lo = floor(fmax(0.0, lambda - 12.0 * sd - 12.0));
	hi = ceil(lambda + 12.0 * sd + 30.0);
	pmf = exp(-lambda + lo * log(lambda) - lgamma(lo + 1.0));
	for (double i = lo; i <= hi; i += 1.0) {
		sum += pmf * pow(-expm1((double)k * i * ln_clear), (double)k);
		pmf *= lambda / (i + 1.0);
	}
	return sum;
}

/*
 * The lowest FPR any k reaches with @blocks blocks and @n keys. The FPR falls
 * with k while an extra probe filters more than its extra bits fill, then rises:
 * stop at the first k that does not improve.
 */
static double blocked_min_fpr(uint64_t n, uint64_t blocks)
{
	double lambda = (double)n / (double)blocks, best = 2.0;

	for (unsigned k = 1; k <= VX_BLOOM_MAX_HASHES; k++) {
		double f = putze_fpr(lambda, k);

		if (!(f < best))
			break;
		best = f;
	}
	return best;
}

int vx_bloom_blocked_create(struct vx_bloom_blocked **out, uint64_t capacity, double fpr)
{
	const uint64_t max_blocks = VX_BLOOM_MAX_BITS / VX_BLOOM_BLOCK_BITS;
	uint64_t m, lo, hi;
	unsigned k;
	int ret;

	/* Blocking only costs bits: start the search at the classic size. */
	ret = classic_geometry(capacity, fpr, VX_BLOOM_BLOCK_BITS, &m, &k);
	if (ret < 0)
		return ret;
	lo = m / VX_BLOOM_BLOCK_BITS;
	if (blocked_min_fpr(capacity, lo) > fpr) {
		/* Invariant: lo fails, hi meets the target (FPR falls as blocks grow). */
		hi = lo;
		do {
			lo = hi;
			if (hi >= max_blocks)
				return -EINVAL;
			hi = hi > max_blocks / 2 ? max_blocks : 2 * hi;
		} while (blocked_min_fpr(capacity, hi) > fpr);
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;

			if (blocked_min_fpr(capacity, mid) > fpr)
				lo = mid;
			else
				hi = mid;
		}
		lo = hi;
	}
	/* The fewest probes that meet the target at this size: the cheapest
	 * lookups (a tiny filter would otherwise take the maximum k). */
	for (k = 1; k < VX_BLOOM_MAX_HASHES && putze_fpr((double)capacity / (double)lo, k) > fpr;
	     k++)
		;
	return blocked_alloc(out, lo, k);
}

void vx_bloom_blocked_destroy(struct vx_bloom_blocked *f)
{
	if (!f)
		return;
	free(f->words);
	free(f);
}

static inline uint64_t *block_of(const struct vx_bloom_blocked *f, uint64_t hash)
{
	return f->words + reduce(hash, f->blocks) * BLOCK_WORDS;
}

static inline uint64_t probe_word(uint64_t hash, unsigned j)
{
	return vx_hash_mix64(hash + j * GOLDEN);
}

/*
 * The probe loops take k as an argument and are always inlined, so that the
 * callers below can pass the usual k as constants: the compiler then unrolls
 * the loop and folds the i % 7 away, which cuts the instructions per key by a
 * third. That matters out of cache too: there the time per key is about the
 * memory latency divided by the number of keys whose instructions fit in the
 * core's reorder window at once. Measured with k = 6 against the plain loop
 * (block_set_any): inserts 5.6 ns against 7.5 at 10^5 keys, 25 against 36 at
 * 10^7.
 */
static inline __attribute__((always_inline)) void block_set(uint64_t *blk, uint64_t hash,
							    uint64_t x, unsigned k)
{
#pragma GCC unroll 16
	for (unsigned i = 0; i < k; i++, x >>= BLOCK_POS_BITS) {
		if (i && i % PROBES_PER_WORD == 0)
			x = probe_word(hash, i / PROBES_PER_WORD);
		blk[x / WORD_BITS % BLOCK_WORDS] |= UINT64_C(1) << (x % WORD_BITS);
	}
}

static inline __attribute__((always_inline)) bool block_test(const uint64_t *blk, uint64_t hash,
							     uint64_t x, unsigned k)
{
	uint64_t hit = 1;

#pragma GCC unroll 16
	for (unsigned i = 0; i < k; i++, x >>= BLOCK_POS_BITS) {
		/* One line holds all k bits; this branch is there only to keep
		 * mispredictions rare, as in bits_test(). */
		if (i == EARLY_PROBES && !(hit & 1))
			return false;
		if (i && i % PROBES_PER_WORD == 0)
			x = probe_word(hash, i / PROBES_PER_WORD);
		hit &= blk[x / WORD_BITS % BLOCK_WORDS] >> (x % WORD_BITS);
	}
	return hit & 1;
}

/* The same loops for any other k: out of line and not unrolled, so that the
 * usual path stays short. */
static __attribute__((noinline)) void block_set_any(uint64_t *blk, uint64_t hash, uint64_t x,
						    unsigned k)
{
	for (unsigned i = 0; i < k; i++, x >>= BLOCK_POS_BITS) {
		if (i && i % PROBES_PER_WORD == 0)
			x = probe_word(hash, i / PROBES_PER_WORD);
		blk[x / WORD_BITS % BLOCK_WORDS] |= UINT64_C(1) << (x % WORD_BITS);
	}
}

static __attribute__((noinline)) bool block_test_any(const uint64_t *blk, uint64_t hash,
						     uint64_t x, unsigned k)
{
	uint64_t hit = 1;

	for (unsigned i = 0; i < k; i++, x >>= BLOCK_POS_BITS) {
		if (i == EARLY_PROBES && !(hit & 1))
			return false;
		if (i && i % PROBES_PER_WORD == 0)
			x = probe_word(hash, i / PROBES_PER_WORD);
		hit &= blk[x / WORD_BITS % BLOCK_WORDS] >> (x % WORD_BITS);
	}
	return hit & 1;
}

void vx_bloom_blocked_add_hash(struct vx_bloom_blocked *f, uint64_t hash)
{
	uint64_t *blk = block_of(f, hash), x = probe_word(hash, 0);

	/* The usual k as constants (6 for p = 1%, 9 for 0.1%); an if chain, not
	 * a switch, which would dispatch through a jump table. */
	if (f->k == 6)
		block_set(blk, hash, x, 6);
	else if (f->k == 7)
		block_set(blk, hash, x, 7);
	else if (f->k == 9)
		block_set(blk, hash, x, 9);
	else
		block_set_any(blk, hash, x, f->k);
}

void vx_bloom_blocked_add(struct vx_bloom_blocked *f, const void *data, size_t len)
{
	vx_bloom_blocked_add_hash(f, vx_hash64(data, len));
}

bool vx_bloom_blocked_contains_hash(const struct vx_bloom_blocked *f, uint64_t hash)
{
	const uint64_t *blk = block_of(f, hash);
	uint64_t x = probe_word(hash, 0);

	if (f->k == 6)
		return block_test(blk, hash, x, 6);
	if (f->k == 7)
		return block_test(blk, hash, x, 7);
	if (f->k == 9)
		return block_test(blk, hash, x, 9);
	return block_test_any(blk, hash, x, f->k);
}

/*
 * How many keys ahead to prefetch: enough to cover a miss of a few hundred ns at
 * a few ns of work per key, few enough that the lines are still in L1 (16 of
 * its 512+ lines) when their turn comes.
 */
#define PREFETCH_AHEAD 16

size_t vx_bloom_blocked_contains_batch(const struct vx_bloom_blocked *f, const uint64_t *hashes,
				       size_t n, bool *out)
{
	size_t hits = 0;

	for (size_t i = 0; i < n; i++) {
		bool hit;

		if (i + PREFETCH_AHEAD < n)
			__builtin_prefetch(block_of(f, hashes[i + PREFETCH_AHEAD]));
		hit = vx_bloom_blocked_contains_hash(f, hashes[i]);
		if (out)
			out[i] = hit;
		hits += hit;
	}
	return hits;
}

bool vx_bloom_blocked_contains(const struct vx_bloom_blocked *f, const void *data, size_t len)
{
	return vx_bloom_blocked_contains_hash(f, vx_hash64(data, len));
}

void vx_bloom_blocked_clear(struct vx_bloom_blocked *f)
{
	memset(f->words, 0, f->blocks * BLOCK_BYTES);
}

uint64_t vx_bloom_blocked_bits(const struct vx_bloom_blocked *f)
{
	return f->blocks * VX_BLOOM_BLOCK_BITS;
}

unsigned vx_bloom_blocked_hashes(const struct vx_bloom_blocked *f)
{
	return f->k;
}

double vx_bloom_blocked_fpr(const struct vx_bloom_blocked *f, uint64_t n)
{
	return putze_fpr((double)n / (double)f->blocks, f->k);
}

int vx_bloom_blocked_merge(struct vx_bloom_blocked *dst, const struct vx_bloom_blocked *src)
{
	if (dst->blocks != src->blocks || dst->k != src->k)
		return -EINVAL;
	or_words(dst->words, src->words, dst->blocks * BLOCK_WORDS);
	return 0;
}

ssize_t vx_bloom_blocked_serialize(const struct vx_bloom_blocked *f, void *buf, size_t cap)
{
	return serialize_array(&blocked_layout, buf, cap, f->blocks, f->k, f->words);
}

int vx_bloom_blocked_deserialize(struct vx_bloom_blocked **out, const void *buf, size_t len)
{
	struct vx_bloom_blocked *f;
	const uint8_t *bits;
	uint64_t blocks;
	unsigned k;
	int ret;

	ret = deserialize_array(&blocked_layout, buf, len, &blocks, &k, &bits);
	if (ret < 0)
		return ret;
	ret = blocked_alloc(&f, blocks, k);
	if (ret < 0)
		return ret;
	load_words(f->words, bits, blocks * BLOCK_WORDS);
	*out = f;
	return 0;
}

size_t vx_bloom_blocked_footprint(const struct vx_bloom_blocked *f)
{
	return sizeof(*f) + f->blocks * BLOCK_BYTES;
}

/* --- counting -------------------------------------------------------------------- */

struct vx_bloom_counting {
	uint64_t *words; /* m/16 words of 16 packed 4-bit counters */
	uint64_t m;      /* counters, a multiple of 16 */
	unsigned k;
};

static inline unsigned counter_shift(uint64_t idx)
{
	return (unsigned)(idx % NIBBLES_PER_WORD) * 4;
}

static int counting_alloc(struct vx_bloom_counting **out, uint64_t m, unsigned k)
{
	struct vx_bloom_counting *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->words = alloc_zeroed(m / 2);
	if (!f->words) {
		free(f);
		return -ENOMEM;
	}
	f->m = m;
	f->k = k;
	*out = f;
	return 0;
}

int vx_bloom_counting_create(struct vx_bloom_counting **out, uint64_t capacity, double fpr)
{
	uint64_t m;
	unsigned k;
	int ret = classic_geometry(capacity, fpr, NIBBLES_PER_WORD, &m, &k);

	if (ret < 0)
		return ret;
	return counting_alloc(out, m, k);
}

void vx_bloom_counting_destroy(struct vx_bloom_counting *f)
{
	if (!f)
		return;
	free(f->words);
	free(f);
}

void vx_bloom_counting_add_hash(struct vx_bloom_counting *f, uint64_t hash)
{
	uint64_t g = hash, h2 = second_hash(hash);

	for (unsigned i = 0; i < f->k; i++, g += h2) {
		uint64_t idx = reduce(g, f->m);
		uint64_t *w = &f->words[idx / NIBBLES_PER_WORD];
		unsigned sh = counter_shift(idx);

		if ((*w >> sh & COUNTER_MAX) != COUNTER_MAX)
			*w += UINT64_C(1) << sh;
	}
}

void vx_bloom_counting_add(struct vx_bloom_counting *f, const void *data, size_t len)
{
	vx_bloom_counting_add_hash(f, vx_hash64(data, len));
}

static inline uint64_t counter_at(const struct vx_bloom_counting *f, uint64_t idx)
{
	return f->words[idx / NIBBLES_PER_WORD] >> counter_shift(idx) & COUNTER_MAX;
}

bool vx_bloom_counting_contains_hash(const struct vx_bloom_counting *f, uint64_t hash)
{
	uint64_t g = hash, h2 = second_hash(hash);
	bool hit = true;
	unsigned i = 0;

	/* As bits_test(): one predictable branch after EARLY_PROBES probes. */
	for (; i < early_probes(f->k); i++, g += h2)
		hit &= counter_at(f, reduce(g, f->m)) != 0;
	if (!hit)
		return false;
	for (; i < f->k; i++, g += h2)
		hit &= counter_at(f, reduce(g, f->m)) != 0;
	return hit;
}

bool vx_bloom_counting_contains(const struct vx_bloom_counting *f, const void *data, size_t len)
{
	return vx_bloom_counting_contains_hash(f, vx_hash64(data, len));
}

int vx_bloom_counting_remove_hash(struct vx_bloom_counting *f, uint64_t hash)
{
	uint64_t g = hash, h2 = second_hash(hash);

	/* All or nothing: a key with a zero counter was never added. */
	if (!vx_bloom_counting_contains_hash(f, hash))
		return -ENOENT;
	for (unsigned i = 0; i < f->k; i++, g += h2) {
		uint64_t idx = reduce(g, f->m);
		uint64_t *w = &f->words[idx / NIBBLES_PER_WORD];
		unsigned sh = counter_shift(idx);
		unsigned c = (unsigned)(*w >> sh & COUNTER_MAX);

		/* Zero only if two probes of a false-positive key share a counter
		 * of 1: skip it rather than borrow from the next nibble. */
		if (c != COUNTER_MAX && c != 0)
			*w -= UINT64_C(1) << sh;
	}
	return 0;
}

int vx_bloom_counting_remove(struct vx_bloom_counting *f, const void *data, size_t len)
{
	return vx_bloom_counting_remove_hash(f, vx_hash64(data, len));
}

void vx_bloom_counting_clear(struct vx_bloom_counting *f)
{
	memset(f->words, 0, f->m / 2);
}

uint64_t vx_bloom_counting_counters(const struct vx_bloom_counting *f)
{
	return f->m;
}

unsigned vx_bloom_counting_hashes(const struct vx_bloom_counting *f)
{
	return f->k;
}

int vx_bloom_counting_merge(struct vx_bloom_counting *dst, const struct vx_bloom_counting *src)
{
	if (dst->m != src->m || dst->k != src->k)
		return -EINVAL;
	for (uint64_t i = 0; i < dst->m / NIBBLES_PER_WORD; i++) {
		uint64_t a = dst->words[i], b = src->words[i], sum = 0;

		for (unsigned sh = 0; sh < WORD_BITS; sh += 4) {
			uint64_t c = (a >> sh & COUNTER_MAX) + (b >> sh & COUNTER_MAX);

			sum |= (c > COUNTER_MAX ? COUNTER_MAX : c) << sh;
		}
		dst->words[i] = sum;
	}
	return 0;
}

ssize_t vx_bloom_counting_serialize(const struct vx_bloom_counting *f, void *buf, size_t cap)
{
	return serialize_array(&counting_layout, buf, cap, f->m, f->k, f->words);
}

int vx_bloom_counting_deserialize(struct vx_bloom_counting **out, const void *buf, size_t len)
{
	struct vx_bloom_counting *f;
	const uint8_t *counters;
	uint64_t m;
	unsigned k;
	int ret;

	ret = deserialize_array(&counting_layout, buf, len, &m, &k, &counters);
	if (ret < 0)
		return ret;
	ret = counting_alloc(&f, m, k);
	if (ret < 0)
		return ret;
	load_words(f->words, counters, m / NIBBLES_PER_WORD);
	*out = f;
	return 0;
}

size_t vx_bloom_counting_footprint(const struct vx_bloom_counting *f)
{
	return sizeof(*f) + f->m / 2;
}

/* --- aging ----------------------------------------------------------------------- */

struct vx_bloom_aging {
	uint64_t *words;    /* both generations, m/64 words each */
	uint64_t *gen[2];   /* gen[cur] is current, gen[!cur] previous */
	uint64_t count[2];  /* new keys each generation took since it was cleared */
	uint64_t capacity;  /* keys per generation before it rotates itself */
	uint64_t m;         /* bits per generation, a multiple of 64 */
	uint64_t rotations;
	unsigned k;
	unsigned cur;
};

static int aging_alloc(struct vx_bloom_aging **out, uint64_t capacity, uint64_t m, unsigned k)
{
	struct vx_bloom_aging *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->words = alloc_zeroed(2 * (m / 8));
	if (!f->words) {
		free(f);
		return -ENOMEM;
	}
	f->gen[0] = f->words;
	f->gen[1] = f->words + m / WORD_BITS;
	f->capacity = capacity;
	f->m = m;
	f->k = k;
	*out = f;
	return 0;
}

int vx_bloom_aging_create(struct vx_bloom_aging **out, uint64_t capacity, double fpr)
{
	uint64_t m;
	unsigned k;
	int ret;

	/* A lookup errs if either generation does: give each half the budget. */
	if (!(fpr > 0.0 && fpr < 1.0))
		return -EINVAL;
	ret = classic_geometry(capacity, fpr / 2, WORD_BITS, &m, &k);
	if (ret < 0)
		return ret;
	return aging_alloc(out, capacity, m, k);
}

void vx_bloom_aging_destroy(struct vx_bloom_aging *f)
{
	if (!f)
		return;
	free(f->words);
	free(f);
}

void vx_bloom_aging_rotate(struct vx_bloom_aging *f)
{
	unsigned old = f->cur ^ 1;

	memset(f->gen[old], 0, f->m / 8);
	f->count[old] = 0;
	f->cur = old;
	f->rotations++;
}

void vx_bloom_aging_add_hash(struct vx_bloom_aging *f, uint64_t hash)
{
	/* Rotate before the add, not after, so the key just added is never the
	 * one forgotten first, and a full generation stays full only until the
	 * next key arrives. */
	if (f->count[f->cur] >= f->capacity)
		vx_bloom_aging_rotate(f);
	if (bits_add(f->gen[f->cur], f->m, f->k, hash))
		f->count[f->cur]++;
}

void vx_bloom_aging_add(struct vx_bloom_aging *f, const void *data, size_t len)
{
	vx_bloom_aging_add_hash(f, vx_hash64(data, len));
}

bool vx_bloom_aging_contains_hash(const struct vx_bloom_aging *f, uint64_t hash)
{
	return bits_test(f->gen[f->cur], f->m, f->k, hash) ||
	       bits_test(f->gen[f->cur ^ 1], f->m, f->k, hash);
}

bool vx_bloom_aging_contains(const struct vx_bloom_aging *f, const void *data, size_t len)
{
	return vx_bloom_aging_contains_hash(f, vx_hash64(data, len));
}

uint64_t vx_bloom_aging_rotations(const struct vx_bloom_aging *f)
{
	return f->rotations;
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int vx_bloom_aging_merge(struct vx_bloom_aging *dst, const struct vx_bloom_aging *src)
{
	if (dst->capacity != src->capacity || dst->m != src->m || dst->k != src->k)
		return -EINVAL;
	for (unsigned g = 0; g < 2; g++) {
		const uint64_t *s = src->gen[src->cur ^ g];
		uint64_t *d = dst->gen[dst->cur ^ g];

		or_words(d, s, dst->m / WORD_BITS);
		dst->count[dst->cur ^ g] =
			add_saturating(dst->count[dst->cur ^ g], src->count[src->cur ^ g]);
	}
	return 0;
}

ssize_t vx_bloom_aging_serialize(const struct vx_bloom_aging *f, void *buf, size_t cap)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, VX_SER_BLOOM_AGING);
	vx_ser_u64(&w, f->capacity);
	vx_ser_u64(&w, f->m);
	vx_ser_u8(&w, (uint8_t)f->k);
	vx_ser_u64(&w, f->rotations);
	vx_ser_u64(&w, f->count[f->cur]);
	vx_ser_u64(&w, f->count[f->cur ^ 1]);
	put_words(&w, f->gen[f->cur], f->m / WORD_BITS);
	put_words(&w, f->gen[f->cur ^ 1], f->m / WORD_BITS);
	return vx_ser_finish(&w);
}

/*
 * A generation that took @count new keys has at least one bit set iff count > 0
 * (a key counts only if it set a bit; merges add counts and OR bits), and at
 * most count*k bits set.
 */
static bool valid_generation(const uint8_t *p, uint64_t nwords, uint64_t count, unsigned k)
{
	uint64_t set = 0;

	for (uint64_t i = 0; i < nwords; i++)
		set += (uint64_t)__builtin_popcountll(get_le64(p + 8 * i));
	if ((set == 0) != (count == 0))
		return false;
	/* set <= count * k, without overflowing the product */
	return count >= set / k + (set % k != 0);
}

int vx_bloom_aging_deserialize(struct vx_bloom_aging **out, const void *buf, size_t len)
{
	uint64_t capacity, m, rotations, count[2], nwords;
	struct vx_ser_reader r;
	struct vx_bloom_aging *f;
	const uint8_t *gen[2];
	unsigned k;
	int ret;

	if (vx_ser_open(&r, buf, len, VX_SER_BLOOM_AGING) < 0)
		return -EINVAL;
	capacity = vx_ser_get_u64(&r);
	m = vx_ser_get_u64(&r);
	k = vx_ser_get_u8(&r);
	rotations = vx_ser_get_u64(&r);
	count[0] = vx_ser_get_u64(&r);
	count[1] = vx_ser_get_u64(&r);
	if (r.error || capacity == 0 || !valid_size(m, WORD_BITS) || !valid_hashes(k) ||
	    vx_ser_remaining(&r) != 2 * (m / 8))
		return -EINVAL;
	nwords = m / WORD_BITS;
	gen[0] = vx_ser_get_bytes(&r, m / 8);
	gen[1] = vx_ser_get_bytes(&r, m / 8);
	if (vx_ser_close(&r) < 0 || !valid_generation(gen[0], nwords, count[0], k) ||
	    !valid_generation(gen[1], nwords, count[1], k))
		return -EINVAL;

	ret = aging_alloc(&f, capacity, m, k);
	if (ret < 0)
		return ret;
	/* Canonical order: current first, so cur = 0. */
	for (unsigned g = 0; g < 2; g++) {
		load_words(f->gen[g], gen[g], nwords);
		f->count[g] = count[g];
	}
	f->rotations = rotations;
	*out = f;
	return 0;
}

size_t vx_bloom_aging_footprint(const struct vx_bloom_aging *f)
{
	return sizeof(*f) + 2 * (f->m / 8);
}
