// SPDX-License-Identifier: MIT
/*
 * HyperLogLog: accuracy against theory, the sparse form, merges, serialization.
 *
 * Streams of distinct items are vx_rand64() streams fed to vx_hll_add_hash():
 * 64-bit values from SplitMix64 are distinct (it is a bijection of a counter)
 * and uniform, and cost no hashing, so 10^7 items take a few tens of ms.
 * The standard error of the estimate is sigma = 1.04/sqrt(m) (Flajolet et al.
 * 2007; Ertl 2017 keeps it over the whole range), m = 2^p.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "algorithms/hll.h"
#include "algorithms/ser.h"
#include "tests/shadow_alloc.h"

static struct vx_hll *make(unsigned p, enum vx_hll_form form)
{
	struct vx_hll *s = NULL;

	assert_int_equal(vx_hll_create(&s, p, form), 0);
	assert_non_null(s);
	return s;
}

/* Add the next @n items of the vx_rand64() stream at @state. */
static void feed(struct vx_hll *s, uint64_t *state, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(vx_hll_add_hash(s, vx_rand64(state)), 0);
}

static uint8_t *serialize(const struct vx_hll *s, size_t *len)
{
	ssize_t n = vx_hll_serialize(s, NULL, 0);
	uint8_t *buf;

	assert_true(n > 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(vx_hll_serialize(s, buf, (size_t)n), n);
	*len = (size_t)n;
	return buf;
}

/* Same estimate (bit for bit), same form, same serialized bytes. */
static void assert_same_sketch(const struct vx_hll *a, const struct vx_hll *b)
{
	size_t la, lb;
	uint8_t *ba = serialize(a, &la), *bb = serialize(b, &lb);

	assert_true(vx_hll_estimate(a) == vx_hll_estimate(b));
	assert_int_equal(vx_hll_is_sparse(a), vx_hll_is_sparse(b));
	assert_int_equal(la, lb);
	assert_memory_equal(ba, bb, la);
	free(ba);
	free(bb);
}

static double rel_err(double est, double n)
{
	return est / n - 1;
}

/* The hash that sets register @idx to @rank at precision @p (hll.h: index is
 * the top p bits, rank is 1 + leading zeros of the remaining q = 64 - p). */
static uint64_t hash_for(unsigned p, uint32_t idx, unsigned rank)
{
	unsigned q = 64 - p;

	return (uint64_t)idx << q | (rank <= q ? (uint64_t)1 << (q - rank) : 0);
}

static void test_hll_create_rejects_bad_params(void **state)
{
	struct vx_hll *s = NULL;

	(void)state;
	assert_int_equal(vx_hll_create(&s, 3, VX_HLL_SPARSE), -EINVAL);
	assert_int_equal(vx_hll_create(&s, 19, VX_HLL_DENSE), -EINVAL);
	assert_int_equal(vx_hll_create(&s, 0, VX_HLL_DENSE), -EINVAL);
	assert_int_equal(vx_hll_create(&s, 14, (enum vx_hll_form)7), -EINVAL);
	assert_null(s);
	for (unsigned p = VX_HLL_P_MIN; p <= VX_HLL_P_MAX; p++) {
		s = make(p, VX_HLL_SPARSE);
		vx_hll_destroy(s);
		s = make(p, VX_HLL_DENSE);
		vx_hll_destroy(s);
	}
	vx_hll_destroy(NULL);
}

static void test_hll_empty_sketch_estimates_zero(void **state)
{
	struct vx_hll *sp = make(14, VX_HLL_SPARSE), *de = make(14, VX_HLL_DENSE);

	(void)state;
	assert_true(vx_hll_estimate(sp) == 0);
	assert_true(vx_hll_estimate(de) == 0);
	assert_true(vx_hll_is_sparse(sp));
	assert_false(vx_hll_is_sparse(de));
	vx_hll_destroy(sp);
	vx_hll_destroy(de);
}

/*
 * Small n is nearly exact: n items land in n distinct registers except for C
 * collisions, C ~ Poisson(n^2/2m), and the estimator then behaves like linear
 * counting, n + n^2/2m - C + o(1): standard deviation n/sqrt(2m) (0.55 at
 * n = 100, p = 14). Collisions are discrete, so the bound allows one collision
 * beyond 4 standard deviations: |est - n| <= 1.5 + 4 n/sqrt(2m), which a
 * correct sketch exceeds with probability about 1e-4 per stream (it needs
 * C >= 2 at n = 20, C >= 5 at n = 100). Checked at every n from 1 to 100.
 * (hll.h fixes how hashes map to registers, so any correct implementation
 * sees the same collisions on these streams; only the estimator may differ.)
 */
static void test_hll_small_counts_are_nearly_exact(void **state)
{
	const unsigned p = 14;
	const double m = 16384;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct vx_hll *s = make(p, VX_HLL_SPARSE);
		uint64_t rng = seed * 0x1234567;

		for (unsigned n = 1; n <= 100; n++) {
			feed(s, &rng, 1);
			assert_true(fabs(vx_hll_estimate(s) - n) <= 1.5 + 4 * n / sqrt(2 * m));
			if (n == 1) /* one register set: no collision possible */
				assert_true(fabs(vx_hll_estimate(s) - 1) < 0.01);
		}
		vx_hll_destroy(s);
	}
}

/*
 * One stream of 10^7 items at p = 14, checked at every decade: each estimate
 * within 3 sigma (3 * 1.04/128 = 2.44%), and the sparse sketch answering as the
 * dense one fed the same items.
 * Why 3 sigma cannot flake: hll.h fixes how a hash maps to a register and a
 * rank, so every correct implementation holds exactly these registers at each
 * checkpoint; only the estimator may differ. On this stream Ertl's estimator
 * errs by +0.03%, +0.31%, -0.01%, -0.50%, +0.65%, -0.09%, -1.02% at 10^1..10^7
 * (at most 1.25 sigma), leaving over 1.4% for another sound estimator
 * (HLL++'s bias tables, a linear-counting switch) to differ by. A fresh random
 * stream would fail some decade with probability about 1.5%: at 10 and 100
 * items a single or a third collision already costs 10% or 3%.
 */
static void test_hll_error_within_3_sigma_at_every_decade(void **state)
{
	struct vx_hll *sp = make(14, VX_HLL_SPARSE), *de = make(14, VX_HLL_DENSE);
	const double bound = 3 * 1.04 / sqrt(16384);
	uint64_t rng = 42, n = 0;

	(void)state;
	for (uint64_t target = 10; target <= 10000000; target *= 10) {
		for (; n < target; n++) {
			uint64_t h = vx_rand64(&rng);

			assert_int_equal(vx_hll_add_hash(sp, h), 0);
			assert_int_equal(vx_hll_add_hash(de, h), 0);
		}
		assert_true(fabs(rel_err(vx_hll_estimate(sp), (double)n)) <= bound);
		assert_true(vx_hll_estimate(sp) == vx_hll_estimate(de));
	}
	vx_hll_destroy(sp);
	vx_hll_destroy(de);
}

/*
 * Over K = 300 independent streams of N = 10^5 items at p = 12 (N = 24m, in the
 * raw estimator's range), the RMS relative error estimates sigma = 1.04/64 with
 * relative standard deviation about 1/sqrt(2K) = 4.1% (for near-normal errors):
 * the +-20% band is nearly 5 of those. The mean error has standard deviation
 * sigma/sqrt(K) = 0.094%; Ertl's estimator is unbiased there to well below
 * that, so |mean| <= 4 sigma/sqrt(K) also holds. Measured on these streams:
 * RMS = 0.917 sigma, mean = +1.7 sigma/sqrt(K).
 */
static void test_hll_rms_error_matches_1_04_over_sqrt_m(void **state)
{
	const unsigned p = 12, K = 300;
	const double sigma = 1.04 / sqrt(4096), n = 100000;
	struct vx_hll *s = make(p, VX_HLL_DENSE);
	double sum = 0, sum2 = 0;

	(void)state;
	for (unsigned k = 0; k < K; k++) {
		uint64_t rng = 1000003 * (k + 1);
		double e;

		vx_hll_clear(s);
		feed(s, &rng, (uint64_t)n);
		e = rel_err(vx_hll_estimate(s), n);
		sum += e;
		sum2 += e * e;
	}
	assert_true(sqrt(sum2 / K) >= 0.8 * sigma && sqrt(sum2 / K) <= 1.2 * sigma);
	assert_true(fabs(sum / K) <= 4 * sigma / sqrt(K));
	vx_hll_destroy(s);
}

/* The sparse form is the dense register set compressed: same answers exactly. */
static void test_hll_sparse_and_dense_agree_exactly(void **state)
{
	static const unsigned ps[] = { VX_HLL_P_MIN, 5, 8, 11, 14, VX_HLL_P_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		unsigned p = ps[i];
		struct vx_hll *sp = make(p, VX_HLL_SPARSE), *de = make(p, VX_HLL_DENSE);
		uint64_t rng = p;

		for (uint64_t n = 0; n < ((uint64_t)1 << p); n++) {
			uint64_t h = vx_rand64(&rng);

			assert_int_equal(vx_hll_add_hash(sp, h), 0);
			assert_int_equal(vx_hll_add_hash(de, h), 0);
			/* Often while small (every buffer state), then sparsely. */
			if (n % (n < 4096 ? 97 : 4099) == 0)
				assert_true(vx_hll_estimate(sp) == vx_hll_estimate(de));
		}
		assert_true(vx_hll_estimate(sp) == vx_hll_estimate(de));
		vx_hll_destroy(sp);
		vx_hll_destroy(de);
	}
}

static void test_hll_sparse_footprint_at_1000_is_under_2kb(void **state)
{
	struct vx_hll *s = make(14, VX_HLL_SPARSE), *d = make(14, VX_HLL_DENSE);
	uint64_t rng = 7;

	(void)state;
	feed(s, &rng, 1000);
	assert_true(vx_hll_is_sparse(s));
	assert_true(vx_hll_footprint(s) <= 2048);
	/* The dense form holds ceil(6m/8) = 12 KiB of registers. */
	assert_true(vx_hll_footprint(d) >= 12288);
	/* Repeats change nothing. */
	rng = 7;
	feed(s, &rng, 1000);
	assert_true(vx_hll_footprint(s) <= 2048);
	assert_true(fabs(vx_hll_estimate(s) - 1000) <= 1000 * 3 * 1.04 / 128);
	vx_hll_destroy(s);
	vx_hll_destroy(d);
}

static void test_hll_sparse_turns_dense_as_it_grows(void **state)
{
	struct vx_hll *s = make(10, VX_HLL_SPARSE);
	uint64_t rng = 99;

	(void)state;
	feed(s, &rng, 20);
	assert_true(vx_hll_is_sparse(s));
	feed(s, &rng, 5000); /* about 1017 of 1024 registers hit: far past m/4 */
	assert_false(vx_hll_is_sparse(s));
	assert_true(vx_hll_footprint(s) >= 768);
	vx_hll_destroy(s);
}

static void test_hll_add_hashes_bytes_with_vx_hash64(void **state)
{
	struct vx_hll *a = make(12, VX_HLL_SPARSE), *b = make(12, VX_HLL_SPARSE);
	uint32_t key[3] = { 0x6b657973, 0, 0 };

	(void)state;
	for (uint32_t i = 0; i < 2000; i++) {
		key[1] = i;
		key[2] = i * i;
		assert_int_equal(vx_hll_add(a, key, sizeof(key)), 0);
		assert_int_equal(vx_hll_add_hash(b, vx_hash64(key, sizeof(key))), 0);
	}
	assert_int_equal(vx_hll_add(a, NULL, 0), 0);
	assert_int_equal(vx_hll_add_hash(b, vx_hash64(NULL, 0)), 0);
	assert_same_sketch(a, b);
	vx_hll_destroy(a);
	vx_hll_destroy(b);
}

/* Build A from stream sa (na items), B from sb (nb items), and U from both in
 * A's form; merge(A, B) must be U, byte for byte. */
static void check_merge(unsigned p, enum vx_hll_form fa, uint64_t na, enum vx_hll_form fb,
			uint64_t nb, uint64_t overlap, bool union_sparse)
{
	struct vx_hll *a = make(p, fa), *b = make(p, fb), *u = make(p, fa);
	uint64_t ra = 11, rb = 11, ru = 11;

	/* A and B share their first @overlap items. */
	feed(a, &ra, na);
	feed(b, &rb, overlap);
	rb = 0xbeef;
	feed(b, &rb, nb - overlap);
	feed(u, &ru, na > overlap ? na : overlap);
	ru = 0xbeef;
	feed(u, &ru, nb - overlap);

	assert_int_equal(vx_hll_merge(a, b), 0);
	assert_same_sketch(a, u);
	assert_int_equal(vx_hll_is_sparse(a), union_sparse);
	vx_hll_destroy(a);
	vx_hll_destroy(b);
	vx_hll_destroy(u);
}

static void test_hll_merge_equals_sketch_of_union(void **state)
{
	(void)state;
	/* sparse + sparse, small union: stays sparse */
	check_merge(14, VX_HLL_SPARSE, 300, VX_HLL_SPARSE, 400, 100, true);
	/* sparse + sparse, union past the sparse range (all 256 registers hit) */
	check_merge(8, VX_HLL_SPARSE, 3000, VX_HLL_SPARSE, 3000, 0, false);
	/* sparse + dense and dense + sparse */
	check_merge(14, VX_HLL_SPARSE, 500, VX_HLL_DENSE, 200000, 50, false);
	check_merge(14, VX_HLL_DENSE, 200000, VX_HLL_SPARSE, 500, 50, false);
	/* dense + dense */
	check_merge(14, VX_HLL_DENSE, 100000, VX_HLL_DENSE, 150000, 30000, false);
	/* empty into anything, anything into empty */
	check_merge(12, VX_HLL_SPARSE, 0, VX_HLL_SPARSE, 0, 0, true);
	check_merge(12, VX_HLL_SPARSE, 0, VX_HLL_SPARSE, 100, 0, true);
	check_merge(12, VX_HLL_SPARSE, 100, VX_HLL_DENSE, 0, 0, true);
}

static void test_hll_merge_with_itself_changes_nothing(void **state)
{
	enum vx_hll_form forms[] = { VX_HLL_SPARSE, VX_HLL_DENSE };

	(void)state;
	for (int f = 0; f < 2; f++) {
		struct vx_hll *a = make(12, forms[f]), *b = make(12, forms[f]);
		uint64_t ra = 5, rb = 5;

		feed(a, &ra, 700);
		feed(b, &rb, 700);
		assert_int_equal(vx_hll_merge(a, a), 0);
		assert_same_sketch(a, b);
		vx_hll_destroy(a);
		vx_hll_destroy(b);
	}
}

static void test_hll_merge_rejects_other_precision(void **state)
{
	struct vx_hll *a = make(12, VX_HLL_SPARSE), *b = make(13, VX_HLL_SPARSE);
	struct vx_hll *c = make(12, VX_HLL_DENSE), *d = make(14, VX_HLL_DENSE);

	(void)state;
	assert_int_equal(vx_hll_merge(a, b), -EINVAL);
	assert_int_equal(vx_hll_merge(c, d), -EINVAL);
	assert_int_equal(vx_hll_merge(c, b), -EINVAL);
	assert_int_equal(vx_hll_merge(a, d), -EINVAL);
	vx_hll_destroy(a);
	vx_hll_destroy(b);
	vx_hll_destroy(c);
	vx_hll_destroy(d);
}

static void test_hll_clear_forgets_and_keeps_form(void **state)
{
	struct vx_hll *sp = make(10, VX_HLL_SPARSE), *de = make(10, VX_HLL_DENSE);
	struct vx_hll *fresh = make(10, VX_HLL_SPARSE);
	uint64_t r1 = 3, r2 = 3;

	(void)state;
	feed(sp, &r1, 50);
	feed(de, &r2, 50);
	vx_hll_clear(sp);
	vx_hll_clear(de);
	assert_true(vx_hll_estimate(sp) == 0 && vx_hll_estimate(de) == 0);
	assert_true(vx_hll_is_sparse(sp));
	assert_false(vx_hll_is_sparse(de));
	assert_same_sketch(sp, fresh);
	vx_hll_destroy(sp);
	vx_hll_destroy(de);
	vx_hll_destroy(fresh);
}

/* Dense adds, merges, clears and queries are real-time safe: no allocation. */
static void test_hll_dense_add_and_merge_do_not_allocate(void **state)
{
	struct vx_hll *a = make(14, VX_HLL_DENSE), *b = make(14, VX_HLL_DENSE);
	struct vx_hll *sp = make(14, VX_HLL_SPARSE);
	size_t foot = vx_hll_footprint(a);
	uint64_t rng = 8;
	double sum = 0;

	(void)state;
	feed(sp, &rng, 300);
	allocs = 0;
	allocs_armed = true;
	for (int round = 0; round < 10; round++) {
		feed(a, &rng, 10000);
		feed(b, &rng, 10000);
		assert_int_equal(vx_hll_merge(a, b), 0);
		assert_int_equal(vx_hll_merge(a, sp), 0);
		sum += vx_hll_estimate(a);
		vx_hll_clear(b);
	}
	allocs_armed = false;
	if (COUNT_ALLOCS)
		assert_int_equal(allocs, 0);
	assert_true(vx_hll_footprint(a) == foot);
	assert_true(sum > 0);
	vx_hll_destroy(a);
	vx_hll_destroy(b);
	vx_hll_destroy(sp);
}

static void check_round_trip(const struct vx_hll *s)
{
	size_t len, len2;
	uint8_t *buf = serialize(s, &len), *buf2;
	struct vx_hll *t = NULL;

	assert_int_equal(vx_hll_deserialize(&t, buf, len), 0);
	assert_true(vx_hll_estimate(t) == vx_hll_estimate(s));
	assert_int_equal(vx_hll_is_sparse(t), vx_hll_is_sparse(s));
	buf2 = serialize(t, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, buf2, len);
	/* A buffer one byte short is refused (its partial contents are garbage). */
	assert_int_equal(vx_hll_serialize(s, buf2, len - 1), -ENOSPC);
	free(buf);
	free(buf2);
	vx_hll_destroy(t);
}

static void test_hll_serialization_round_trips_exactly(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 17, 1000, 4000, 5000, 100000 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct vx_hll *sp = make(14, VX_HLL_SPARSE), *de = make(14, VX_HLL_DENSE);
		uint64_t r1 = i, r2 = i;

		feed(sp, &r1, sizes[i]);
		feed(de, &r2, sizes[i]);
		check_round_trip(sp);
		check_round_trip(de);
		vx_hll_destroy(sp);
		vx_hll_destroy(de);
	}
	/* A restored sketch keeps working: more adds and merges. */
	{
		struct vx_hll *a = make(10, VX_HLL_SPARSE), *b = NULL, *c = make(10, VX_HLL_SPARSE);
		uint64_t ra = 77, rc = 77;
		size_t len;
		uint8_t *buf;

		feed(a, &ra, 100);
		buf = serialize(a, &len);
		assert_int_equal(vx_hll_deserialize(&b, buf, len), 0);
		feed(b, &ra, 100);
		feed(c, &rc, 200);
		assert_same_sketch(b, c);
		free(buf);
		vx_hll_destroy(a);
		vx_hll_destroy(b);
		vx_hll_destroy(c);
	}
}

static void check_every_corruption_rejected(const struct vx_hll *s)
{
	struct vx_hll *t = NULL;
	size_t len;
	uint8_t *buf = serialize(s, &len);

	for (size_t i = 0; i < len; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(vx_hll_deserialize(&t, buf, len), -EINVAL);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	for (size_t n = 0; n < len; n++)
		assert_int_equal(vx_hll_deserialize(&t, buf, n), -EINVAL);
	assert_null(t);
	free(buf);
}

static void test_hll_every_bit_flip_and_truncation_is_rejected(void **state)
{
	struct vx_hll *sp = make(14, VX_HLL_SPARSE), *de = make(8, VX_HLL_DENSE);
	uint64_t r1 = 1, r2 = 2;

	(void)state;
	feed(sp, &r1, 200);
	feed(de, &r2, 2000);
	check_every_corruption_rejected(sp);
	check_every_corruption_rejected(de);
	vx_hll_destroy(sp);
	vx_hll_destroy(de);
}

static void test_hll_wrong_type_is_rejected(void **state)
{
	struct vx_ser_writer w;
	struct vx_hll *t = NULL;
	uint8_t buf[64];
	ssize_t n;

	(void)state;
	/* A valid empty sparse payload, sealed as an FM sketch. */
	vx_ser_begin(&w, buf, sizeof(buf), VX_SER_FM);
	vx_ser_u8(&w, 14);
	vx_ser_u8(&w, 0);
	vx_ser_u32(&w, 0);
	n = vx_ser_finish(&w);
	assert_true(n > 0);
	assert_int_equal(vx_hll_deserialize(&t, buf, (size_t)n), -EINVAL);
	assert_int_equal(vx_hll_deserialize(&t, NULL, 0), -EINVAL);
	assert_null(t);
}

/* --- forged payloads, written from the format in hll.h ------------------------- */

struct bits {
	uint8_t b[4096];
	size_t n; /* bits written */
};

static void put(struct bits *w, uint64_t v, unsigned k)
{
	for (unsigned i = 0; i < k; i++, w->n++)
		if (v >> i & 1)
			w->b[w->n / 8] |= (uint8_t)(1u << (w->n % 8));
}

static void put_unary(struct bits *w, uint32_t u)
{
	for (uint32_t i = 0; i < u; i++)
		put(w, 1, 1);
	put(w, 0, 1);
}

static unsigned bitlen(uint32_t c)
{
	unsigned b = 0;

	for (; c; c >>= 1)
		b++;
	return b;
}

/* Rice-code entries (idx[i], rank[i]) as hll.h says, with k from @count_for_k;
 * indices are used as given, so a forger can break the rules. */
static void encode_entries(struct bits *w, unsigned p, uint32_t count_for_k, const uint32_t *idx,
			   const unsigned *rank, size_t n)
{
	unsigned k = p > bitlen(count_for_k) ? p - bitlen(count_for_k) : 0;
	uint32_t next = 0;

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < n; i++) {
		uint32_t gap = idx[i] - next;

		put_unary(w, gap >> k);
		put(w, gap & ((1u << k) - 1), k);
		put_unary(w, rank[i] - 1);
		next = idx[i] + 1;
	}
}

/* Seal a payload: p, form, then for sparse the count and @data. */
static size_t seal(uint8_t *out, size_t cap, unsigned p, unsigned form, uint32_t count,
		   const uint8_t *data, size_t n)
{
	struct vx_ser_writer w;
	ssize_t len;

	vx_ser_begin(&w, out, cap, VX_SER_HLL);
	vx_ser_u8(&w, (uint8_t)p);
	vx_ser_u8(&w, (uint8_t)form);
	if (form == 0)
		vx_ser_u32(&w, count);
	if (n)
		vx_ser_bytes(&w, data, n);
	len = vx_ser_finish(&w);
	assert_true(len > 0);
	return (size_t)len;
}

static int load(const uint8_t *buf, size_t len)
{
	struct vx_hll *t = NULL;
	int ret = vx_hll_deserialize(&t, buf, len);

	assert_true(ret == 0 ? t != NULL : t == NULL);
	vx_hll_destroy(t);
	return ret;
}

/* The format in hll.h, checked both ways on a known answer: the sketch of three
 * chosen hashes serializes to the hand-encoded stream, which loads back. */
static void test_hll_sparse_format_matches_the_header(void **state)
{
	const unsigned p = 8; /* m = 256, q = 56, ranks 1..57 */
	const uint32_t idx[] = { 0, 5, 255 };
	const unsigned rank[] = { 1, 3, 57 };
	struct vx_hll *s = make(p, VX_HLL_SPARSE), *t = NULL;
	static uint8_t want[8192];
	struct bits w;
	size_t len, got_len;
	uint8_t *got;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(vx_hll_add_hash(s, hash_for(p, idx[i], rank[i])), 0);
	encode_entries(&w, p, 3, idx, rank, 3);
	len = seal(want, sizeof(want), p, 0, 3, w.b, (w.n + 7) / 8);
	got = serialize(s, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, want, len);
	assert_int_equal(vx_hll_deserialize(&t, want, len), 0);
	assert_same_sketch(s, t);
	free(got);
	vx_hll_destroy(s);
	vx_hll_destroy(t);
}

static void test_hll_dense_format_matches_the_header(void **state)
{
	const unsigned p = 4; /* m = 16: 12 bytes of registers */
	uint8_t regs[12] = { 0 }, want[64];
	struct vx_hll *s = make(p, VX_HLL_DENSE);
	size_t len, got_len;
	uint8_t *got;

	(void)state;
	for (uint32_t i = 0; i < 16; i++) {
		unsigned r = (i * 7) % 62; /* 0..61 = 65 - p at most */
		size_t bit = 6 * (size_t)i;

		if (r)
			assert_int_equal(vx_hll_add_hash(s, hash_for(p, i, r)), 0);
		for (unsigned j = 0; j < 6; j++, bit++)
			if (r >> j & 1)
				regs[bit / 8] |= (uint8_t)(1u << (bit % 8));
	}
	len = seal(want, sizeof(want), p, 1, 0, regs, sizeof(regs));
	got = serialize(s, &got_len);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, want, len);
	free(got);
	vx_hll_destroy(s);
}

static void test_hll_forged_payloads_are_rejected(void **state)
{
	const unsigned p = 8;
	static uint8_t buf[8192];
	uint8_t regs[192];
	struct bits w;
	size_t len;

	(void)state;
	/* Baseline: a well-formed payload loads. */
	{
		const uint32_t idx[] = { 3, 200 };
		const unsigned rank[] = { 2, 57 };

		encode_entries(&w, p, 2, idx, rank, 2);
		len = seal(buf, sizeof(buf), p, 0, 2, w.b, (w.n + 7) / 8);
		assert_int_equal(load(buf, len), 0);
		/* one trailing byte too many */
		len = seal(buf, sizeof(buf), p, 0, 2, w.b, (w.n + 7) / 8 + 1);
		assert_int_equal(load(buf, len), -EINVAL);
		/* one byte short */
		len = seal(buf, sizeof(buf), p, 0, 2, w.b, (w.n + 7) / 8 - 1);
		assert_int_equal(load(buf, len), -EINVAL);
		/* a padding bit set */
		if (w.n % 8) {
			put(&w, 1, 1);
			len = seal(buf, sizeof(buf), p, 0, 2, w.b, (w.n + 7) / 8);
			assert_int_equal(load(buf, len), -EINVAL);
		}
		/* the count says more entries than the stream holds */
		encode_entries(&w, p, 20, idx, rank, 2);
		len = seal(buf, sizeof(buf), p, 0, 20, w.b, (w.n + 7) / 8);
		assert_int_equal(load(buf, len), -EINVAL);
		/* an empty sparse sketch has no stream bytes */
		len = seal(buf, sizeof(buf), p, 0, 0, NULL, 0);
		assert_int_equal(load(buf, len), 0);
		len = seal(buf, sizeof(buf), p, 0, 0, w.b, 1);
		assert_int_equal(load(buf, len), -EINVAL);
	}
	/* A rank above 65 - p. */
	{
		const uint32_t idx[] = { 3, 200 };
		const unsigned rank[] = { 2, 58 };

		encode_entries(&w, p, 2, idx, rank, 2);
		len = seal(buf, sizeof(buf), p, 0, 2, w.b, (w.n + 7) / 8);
		assert_int_equal(load(buf, len), -EINVAL);
	}
	/* An index past m - 1: with gap coding this is the only way entries can
	 * go out of order (unsorted or repeated indices are unrepresentable). */
	{
		const uint32_t idx[] = { 3, 256 };
		const unsigned rank[] = { 2, 1 };

		encode_entries(&w, p, 2, idx, rank, 2);
		len = seal(buf, sizeof(buf), p, 0, 2, w.b, (w.n + 7) / 8);
		assert_int_equal(load(buf, len), -EINVAL);
	}
	/* More than m/4 entries in sparse form is not canonical: the sketch
	 * would serialize dense. 64 entries load, 65 do not. */
	{
		uint32_t idx[65];
		unsigned rank[65];

		for (uint32_t i = 0; i < 65; i++) {
			idx[i] = 3 * i;
			rank[i] = 1 + i % 5;
		}
		encode_entries(&w, p, 64, idx, rank, 64);
		len = seal(buf, sizeof(buf), p, 0, 64, w.b, (w.n + 7) / 8);
		assert_int_equal(load(buf, len), 0);
		encode_entries(&w, p, 65, idx, rank, 65);
		len = seal(buf, sizeof(buf), p, 0, 65, w.b, (w.n + 7) / 8);
		assert_int_equal(load(buf, len), -EINVAL);
	}
	/* Bad precision or form byte. */
	len = seal(buf, sizeof(buf), 3, 0, 0, NULL, 0);
	assert_int_equal(load(buf, len), -EINVAL);
	len = seal(buf, sizeof(buf), 19, 0, 0, NULL, 0);
	assert_int_equal(load(buf, len), -EINVAL);
	len = seal(buf, sizeof(buf), p, 2, 0, NULL, 0);
	assert_int_equal(load(buf, len), -EINVAL);
	/* Dense: register 65 - p = 57 is the largest allowed, 58 is not; the size
	 * must be exactly 6m/8 bytes. */
	memset(regs, 0, sizeof(regs));
	regs[0] = 57;
	len = seal(buf, sizeof(buf), p, 1, 0, regs, sizeof(regs));
	assert_int_equal(load(buf, len), 0);
	regs[0] = 58;
	len = seal(buf, sizeof(buf), p, 1, 0, regs, sizeof(regs));
	assert_int_equal(load(buf, len), -EINVAL);
	regs[0] = 0;
	regs[191] = 0xfc; /* the last register (bits 1530..1535) = 63 */
	len = seal(buf, sizeof(buf), p, 1, 0, regs, sizeof(regs));
	assert_int_equal(load(buf, len), -EINVAL);
	regs[191] = 0;
	len = seal(buf, sizeof(buf), p, 1, 0, regs, sizeof(regs) - 1);
	assert_int_equal(load(buf, len), -EINVAL);
	len = seal(buf, sizeof(buf), p, 1, 0, w.b, sizeof(regs) + 1);
	assert_int_equal(load(buf, len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hll_create_rejects_bad_params),
		cmocka_unit_test(test_hll_empty_sketch_estimates_zero),
		cmocka_unit_test(test_hll_small_counts_are_nearly_exact),
		cmocka_unit_test(test_hll_error_within_3_sigma_at_every_decade),
		cmocka_unit_test(test_hll_rms_error_matches_1_04_over_sqrt_m),
		cmocka_unit_test(test_hll_sparse_and_dense_agree_exactly),
		cmocka_unit_test(test_hll_sparse_footprint_at_1000_is_under_2kb),
		cmocka_unit_test(test_hll_sparse_turns_dense_as_it_grows),
		cmocka_unit_test(test_hll_add_hashes_bytes_with_vx_hash64),
		cmocka_unit_test(test_hll_merge_equals_sketch_of_union),
		cmocka_unit_test(test_hll_merge_with_itself_changes_nothing),
		cmocka_unit_test(test_hll_merge_rejects_other_precision),
		cmocka_unit_test(test_hll_clear_forgets_and_keeps_form),
		cmocka_unit_test(test_hll_dense_add_and_merge_do_not_allocate),
		cmocka_unit_test(test_hll_serialization_round_trips_exactly),
		cmocka_unit_test(test_hll_every_bit_flip_and_truncation_is_rejected),
		cmocka_unit_test(test_hll_wrong_type_is_rejected),
		cmocka_unit_test(test_hll_sparse_format_matches_the_header),
		cmocka_unit_test(test_hll_dense_format_matches_the_header),
		cmocka_unit_test(test_hll_forged_payloads_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
