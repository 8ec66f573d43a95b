// SPDX-License-Identifier: MIT
/*
 * Count-Min sketch, through the public header only. Ground truth from the
 * exact map of counts (algorithms/exact.h); fixed seeds throughout.
 *
 * Deterministic theorems are asserted exactly: the estimate never under-counts
 * (both update modes), conservative update is never above standard update on
 * the same stream, and merging standard sketches gives the very counters of
 * the concatenated stream. The (epsilon, delta) guarantee is probabilistic and
 * is checked with a binomial margin (see its case).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/cms.h"
#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "algorithms/ser.h"
#include "bench/workload.h"
#include "tests/shadow_alloc.h"

/* --- streams ------------------------------------------------------------- */

/* A stream of n ranks of Zipf(s) over m keys; fixed seeds make every stream
 * the same on every run. */
static uint32_t *zipf_stream(size_t n, size_t m, double s, uint64_t seed)
{
	uint32_t *ids = malloc(n * sizeof(*ids));

	assert_non_null(ids);
	assert_int_equal(vx_workload_zipf(ids, n, m, s, seed), 0);
	return ids;
}

static struct vx_cms *new_cms(double epsilon, double delta, enum vx_cms_mode mode)
{
	struct vx_cms *s = NULL;

	assert_int_equal(vx_cms_create(&s, epsilon, delta, mode), 0);
	assert_non_null(s);
	return s;
}

/* Item i's bytes: its rank as 4 little-endian bytes. */
static void item_bytes(uint8_t b[4], uint32_t id)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(id >> (8 * i));
}

/* Exact counts of a stream of ranks 0 .. m-1. */
static uint64_t *count_ids(const uint32_t *ids, size_t n, size_t m)
{
	uint64_t *f = calloc(m, sizeof(*f));

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		f[ids[i]]++;
	return f;
}

static void add_ids(struct vx_cms *s, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b[4];

		item_bytes(b, ids[i]);
		vx_cms_add(s, b, sizeof(b), 1);
	}
}

static uint64_t estimate_id(const struct vx_cms *s, uint32_t id)
{
	uint8_t b[4];

	item_bytes(b, id);
	return vx_cms_estimate(s, b, sizeof(b));
}

/* --- cases ----------------------------------------------------------------- */

static void test_cms_create_rejects_bad_params(void **state)
{
	static const struct {
		double epsilon, delta;
		int mode;
		int ret;
	} cases[] = {
		{ 0, 0.01, VX_CMS_STANDARD, -EINVAL },
		{ -0.1, 0.01, VX_CMS_STANDARD, -EINVAL },
		{ 1, 0.01, VX_CMS_STANDARD, -EINVAL },
		{ (double)NAN, 0.01, VX_CMS_STANDARD, -EINVAL },
		{ (double)INFINITY, 0.01, VX_CMS_STANDARD, -EINVAL },
		{ 0.01, 0, VX_CMS_STANDARD, -EINVAL },
		{ 0.01, 1, VX_CMS_STANDARD, -EINVAL },
		{ 0.01, -1, VX_CMS_STANDARD, -EINVAL },
		{ 0.01, (double)NAN, VX_CMS_STANDARD, -EINVAL },
		{ 0.01, 0.01, 2, -EINVAL },
		{ 0.01, 0.01, -1, -EINVAL },
		{ 1e-9, 0.5, VX_CMS_STANDARD, -EINVAL },  /* too many counters */
		{ 1e-3, 1e-15, VX_CMS_STANDARD, -EINVAL }, /* ln(1/delta) > 32 rows */
		{ 1e-4, 1e-3, VX_CMS_STANDARD, 0 },
		{ 0.999, 0.999, VX_CMS_CONSERVATIVE, 0 },
		{ 1e-6, 1e-5, VX_CMS_STANDARD, 0 },  /* 2718282 x 12 counters */
		{ 1e-3, 1e-13, VX_CMS_STANDARD, 0 }, /* 2719 x 30 */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_cms *s = NULL;

		assert_int_equal(vx_cms_create(&s, cases[i].epsilon, cases[i].delta,
					       (enum vx_cms_mode)cases[i].mode),
				 cases[i].ret);
		vx_cms_destroy(s);
	}
	vx_cms_destroy(NULL);
}

static void test_cms_dimensions_follow_epsilon_and_delta(void **state)
{
	static const struct {
		double epsilon, delta;
		size_t width, depth;
	} cases[] = {
		{ 0.5, 0.5, 6, 1 },      /* e/0.5 = 5.44, ln 2 = 0.69 */
		{ 0.01, 0.01, 272, 5 },  /* 271.8, 4.61 */
		{ 1e-3, 1e-3, 2719, 7 }, /* 2718.3, 6.91 */
		{ 1e-4, 1e-3, 27183, 7 },
		{ 0.999, 0.999, 3, 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_cms *s = new_cms(cases[i].epsilon, cases[i].delta, VX_CMS_STANDARD);

		assert_int_equal(vx_cms_width(s), cases[i].width);
		assert_int_equal(vx_cms_depth(s), cases[i].depth);
		assert_true(vx_cms_footprint(s) >= cases[i].width * cases[i].depth * 4);
		assert_true(vx_cms_total(s) == 0);
		vx_cms_destroy(s);
	}
}

static void test_cms_never_under_counts(void **state)
{
	/* 10^6 items, Zipf 1.1 over 10^5 keys, into a sketch far too small to
	 * be exact (272 x 5), both modes; every key checked, never-added ones
	 * included (f = 0 trivially, but the call must work). */
	const size_t n = 1000000, m = 100000;
	uint32_t *ids = zipf_stream(n, m, 1.1, 1);
	uint64_t *f = count_ids(ids, n, m);

	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct vx_cms *s = new_cms(0.01, 0.01, (enum vx_cms_mode)mode);

		add_ids(s, ids, n);
		assert_true(vx_cms_total(s) == n);
		for (uint32_t id = 0; id < m; id++)
			assert_true(estimate_id(s, id) >= f[id]);
		vx_cms_destroy(s);
	}
	free(f);
	free(ids);
}

static void test_cms_error_exceeds_epsilon_n_with_probability_at_most_delta(void **state)
{
	/*
	 * P[estimate - f > epsilon N] <= delta is over the choice of hash
	 * functions. A learner's sketch hashes its own way, so each trial draws
	 * fresh "hash functions" by feeding vx_cms_add_hash() a salted hash
	 * of the key: T = 20 trials of a Zipf(1.1) stream, 10^5 items over 10^4
	 * keys, every key checked: m = 2 * 10^5 (trial, key) pairs.
	 *
	 * Bound: failures <= delta m + 5 sqrt(m delta (1 - delta)), the binomial
	 * mean plus 5 standard deviations. Keys of one trial share the hash
	 * functions, so their failures are positively correlated and the
	 * binomial variance understates the truth; the margin is still safe
	 * because Markov's inequality, which the delta comes from, is loose by
	 * a large factor here: measured failure rates are about a tenth of
	 * delta or less (run with VX_TEST_VERBOSE=1 to see them), far inside the allowance for any correct sketch.
	 *
	 * The mean error is also checked: a row's excess has expectation
	 * (N - f) / w, and the minimum of d rows is at most any row, so the
	 * mean of (estimate - f) over keys is at most about N / w; we allow
	 * 1.25 N / w (d = 1 makes it an equality in expectation, and 20 trials
	 * of 10^4 keys average the placement of the heavy keys). A width
	 * smaller than ceil(e / epsilon) fails this.
	 */
	static const struct {
		double epsilon, delta;
	} cases[] = { { 0.01, 0.5 }, { 0.01, 0.2 }, { 0.002, 0.05 } };
	const size_t n = 100000, m = 10000, trials = 20;
	uint32_t *ids = zipf_stream(n, m, 1.1, 2);
	uint64_t *f = count_ids(ids, n, m);

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int mode = 0; mode < 2; mode++) {
			double eps = cases[c].epsilon, delta = cases[c].delta, pairs, allowed;
			double excess = 0, width = 0;
			uint64_t fails = 0;

			for (uint64_t t = 0; t < trials; t++) {
				struct vx_cms *s = new_cms(eps, delta, (enum vx_cms_mode)mode);

				width = (double)vx_cms_width(s);
				for (size_t i = 0; i < n; i++)
					vx_cms_add_hash(s, vx_hash_mix64(t << 32 | ids[i]), 1);
				for (uint64_t id = 0; id < m; id++) {
					uint64_t e = vx_cms_estimate_hash(s, vx_hash_mix64(t << 32 | id));

					assert_true(e >= f[id]);
					fails += (double)(e - f[id]) > eps * (double)n;
					excess += (double)(e - f[id]);
				}
				vx_cms_destroy(s);
			}
			pairs = (double)(trials * m);
			allowed = delta * pairs + 5 * sqrt(pairs * delta * (1 - delta));
			if (getenv("VX_TEST_VERBOSE"))
				printf("eps %g delta %g mode %d: failure rate %.5f, mean error %.3f N/w\n",
				       eps, delta, mode, (double)fails / pairs,
				       excess / pairs / ((double)n / width));
			assert_true((double)fails <= allowed);
			assert_true(excess / pairs <= 1.25 * (double)n / width);
		}
	free(f);
	free(ids);
}

static void test_cms_conservative_is_never_above_standard(void **state)
{
	/* Same width, depth and so the same hashing: by induction over the adds
	 * each conservative counter stays <= its standard twin (it rises to at
	 * most min + c <= its old value + c), so on every key
	 * f <= conservative <= standard. */
	const size_t n = 500000, m = 50000;
	uint32_t *ids = zipf_stream(n, m, 1.1, 3);
	uint64_t *f = count_ids(ids, n, m);
	struct vx_cms *std = new_cms(0.005, 0.02, VX_CMS_STANDARD);
	struct vx_cms *con = new_cms(0.005, 0.02, VX_CMS_CONSERVATIVE);
	uint64_t rng = 11, less = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		uint8_t b[4];
		uint64_t c = 1 + vx_rand64(&rng) % 3; /* weighted adds too */

		item_bytes(b, ids[i]);
		vx_cms_add(std, b, sizeof(b), c);
		vx_cms_add(con, b, sizeof(b), c);
		f[ids[i]] += c - 1;
	}
	for (uint32_t id = 0; id < m; id++) {
		uint64_t es = estimate_id(std, id), ec = estimate_id(con, id);

		assert_true(f[id] <= ec);
		assert_true(ec <= es);
		less += ec < es;
	}
	/* And it is a real improvement, not equality: most keys gain. */
	assert_true(less > m / 2);
	assert_true(vx_cms_total(std) == vx_cms_total(con));
	vx_cms_destroy(std);
	vx_cms_destroy(con);
	free(f);
	free(ids);
}

static uint8_t *serialize(const struct vx_cms *s, size_t *len)
{
	ssize_t n = vx_cms_serialize(s, NULL, 0);
	uint8_t *buf;

	assert_true(n > VX_SER_OVERHEAD);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(vx_cms_serialize(s, buf, (size_t)n), n);
	*len = (size_t)n;
	return buf;
}

static void assert_same_bytes(const struct vx_cms *a, const struct vx_cms *b)
{
	size_t la, lb;
	uint8_t *ba = serialize(a, &la), *bb = serialize(b, &lb);

	assert_int_equal(la, lb);
	assert_memory_equal(ba, bb, la);
	free(ba);
	free(bb);
}

static void test_cms_merged_standard_sketch_equals_sketch_of_concatenation(void **state)
{
	/* Exact counter equality, compared through the serialized bytes (which
	 * hold every counter and N): halves, and eight parts folded in. */
	const size_t n = 200000, m = 20000, parts = 8;
	uint32_t *ids = zipf_stream(n, m, 1.1, 4);
	struct vx_cms *whole = new_cms(0.001, 0.01, VX_CMS_STANDARD);
	struct vx_cms *a = new_cms(0.001, 0.01, VX_CMS_STANDARD);
	struct vx_cms *b = new_cms(0.001, 0.01, VX_CMS_STANDARD);
	struct vx_cms *acc = new_cms(0.001, 0.01, VX_CMS_STANDARD);

	(void)state;
	add_ids(whole, ids, n);
	add_ids(a, ids, n / 2);
	add_ids(b, ids + n / 2, n - n / 2);
	assert_int_equal(vx_cms_merge(a, b), 0);
	assert_same_bytes(a, whole);
	for (size_t p = 0; p < parts; p++) {
		struct vx_cms *part = new_cms(0.001, 0.01, VX_CMS_STANDARD);

		add_ids(part, ids + p * (n / parts), n / parts);
		assert_int_equal(vx_cms_merge(acc, part), 0);
		vx_cms_destroy(part);
	}
	assert_same_bytes(acc, whole);
	/* Merged with itself: the stream twice. */
	add_ids(whole, ids, n);
	assert_int_equal(vx_cms_merge(acc, acc), 0);
	assert_same_bytes(acc, whole);
	vx_cms_destroy(whole);
	vx_cms_destroy(a);
	vx_cms_destroy(b);
	vx_cms_destroy(acc);
	free(ids);
}

static void test_cms_merge_of_conservative_sketches_never_under_counts(void **state)
{
	/* Not the conservative sketch of the union, but still f <= estimate, and
	 * never above the standard sketch of the union (counter by counter,
	 * each conservative half is below its standard half). */
	const size_t n = 200000, m = 20000;
	uint32_t *ids = zipf_stream(n, m, 1.1, 5);
	uint64_t *f = count_ids(ids, n, m);
	struct vx_cms *a = new_cms(0.005, 0.05, VX_CMS_CONSERVATIVE);
	struct vx_cms *b = new_cms(0.005, 0.05, VX_CMS_CONSERVATIVE);
	struct vx_cms *std = new_cms(0.005, 0.05, VX_CMS_STANDARD);

	(void)state;
	add_ids(a, ids, n / 2);
	add_ids(b, ids + n / 2, n - n / 2);
	add_ids(std, ids, n);
	assert_int_equal(vx_cms_merge(a, b), 0);
	assert_true(vx_cms_total(a) == n);
	for (uint32_t id = 0; id < m; id++) {
		uint64_t e = estimate_id(a, id);

		assert_true(f[id] <= e);
		assert_true(e <= estimate_id(std, id));
	}
	vx_cms_destroy(a);
	vx_cms_destroy(b);
	vx_cms_destroy(std);
	free(f);
	free(ids);
}

static void test_cms_add_is_add_hash_of_vx_hash64(void **state)
{
	struct vx_cms *a = new_cms(0.01, 0.01, VX_CMS_CONSERVATIVE);
	struct vx_cms *b = new_cms(0.01, 0.01, VX_CMS_CONSERVATIVE);

	(void)state;
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t k[4];

		item_bytes(k, i % 777);
		vx_cms_add(a, k, sizeof(k), i % 5);
		vx_cms_add_hash(b, vx_hash64(k, sizeof(k)), i % 5);
	}
	vx_cms_add(a, NULL, 0, 3);
	vx_cms_add_hash(b, vx_hash64("", 0), 3);
	assert_same_bytes(a, b);
	assert_true(vx_cms_estimate(a, NULL, 0) >= 3);
	assert_true(vx_cms_estimate(a, "", 0) == vx_cms_estimate_hash(b, vx_hash64(NULL, 0)));
	vx_cms_destroy(a);
	vx_cms_destroy(b);
}

static void test_cms_zero_count_changes_nothing(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct vx_cms *a = new_cms(0.1, 0.1, (enum vx_cms_mode)mode);
		struct vx_cms *b = new_cms(0.1, 0.1, (enum vx_cms_mode)mode);

		vx_cms_add(a, "x", 1, 4);
		vx_cms_add(b, "x", 1, 4);
		vx_cms_add(a, "y", 1, 0);
		vx_cms_add_hash(a, 99, 0);
		assert_same_bytes(a, b);
		vx_cms_destroy(a);
		vx_cms_destroy(b);
	}
}

static void test_cms_counters_saturate_instead_of_wrapping(void **state)
{
	/* 32-bit counters (or wider): an estimate may stop at UINT32_MAX but
	 * never wraps to a small number, and never decreases. */
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct vx_cms *s = new_cms(0.1, 0.1, (enum vx_cms_mode)mode);
		struct vx_cms *t = new_cms(0.1, 0.1, (enum vx_cms_mode)mode);
		uint64_t prev = 0, want = 0;
		static const uint64_t adds[] = { 3000000000u, 3000000000u, 1, UINT64_MAX / 2,
						 UINT64_MAX };

		for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
			uint64_t e;

			vx_cms_add(s, "big", 3, adds[i]);
			want = adds[i] > UINT32_MAX - want ? UINT32_MAX : want + adds[i];
			e = vx_cms_estimate(s, "big", 3);
			assert_true(e >= want && e >= prev);
			prev = e;
		}
		assert_true(vx_cms_total(s) == UINT64_MAX);
		/* Merging saturated sketches saturates too. */
		vx_cms_add(t, "big", 3, UINT32_MAX);
		assert_int_equal(vx_cms_merge(t, s), 0);
		assert_true(vx_cms_estimate(t, "big", 3) >= UINT32_MAX);
		assert_true(vx_cms_total(t) == UINT64_MAX);
		vx_cms_destroy(s);
		vx_cms_destroy(t);
	}
}

/* --- serialization --------------------------------------------------------- */

static struct vx_cms *sample_sketch(double epsilon, double delta, enum vx_cms_mode mode)
{
	struct vx_cms *s = new_cms(epsilon, delta, mode);
	uint64_t rng = 6;

	for (int i = 0; i < 500; i++) {
		uint8_t k[4];

		item_bytes(k, (uint32_t)(vx_rand64(&rng) % 40));
		vx_cms_add(s, k, sizeof(k), 1 + (uint64_t)i % 7);
	}
	return s;
}

static void reseal(uint8_t *buf, size_t len)
{
	uint64_t h = vx_hash64(buf, len - 8);

	for (int i = 0; i < 8; i++)
		buf[len - 8 + (size_t)i] = (uint8_t)(h >> (8 * i));
}

static void test_cms_serialize_round_trip_is_exact(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct vx_cms *s = sample_sketch(0.01, 0.01, (enum vx_cms_mode)mode), *r = NULL;
		size_t len;
		uint8_t *buf = serialize(s, &len);

		assert_int_equal(vx_cms_deserialize(&r, buf, len), 0);
		assert_int_equal(vx_cms_width(r), vx_cms_width(s));
		assert_int_equal(vx_cms_depth(r), vx_cms_depth(s));
		assert_true(vx_cms_total(r) == vx_cms_total(s));
		assert_int_equal(vx_cms_footprint(r), vx_cms_footprint(s));
		for (uint32_t id = 0; id < 100; id++)
			assert_true(estimate_id(r, id) == estimate_id(s, id));
		assert_same_bytes(r, s);
		/* The mode survives: the same adds keep both identical. */
		vx_cms_add(s, "a", 1, 5);
		vx_cms_add(r, "a", 1, 5);
		vx_cms_add(s, "b", 1, 2);
		vx_cms_add(r, "b", 1, 2);
		assert_same_bytes(r, s);
		assert_int_equal(vx_cms_serialize(s, buf, len - 1), -ENOSPC);
		free(buf);
		vx_cms_destroy(s);
		vx_cms_destroy(r);
	}
}

static void test_cms_every_bit_flip_and_truncation_is_rejected(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct vx_cms *s = sample_sketch(0.3, 0.1, (enum vx_cms_mode)mode), *r = NULL;
		size_t len;
		uint8_t *buf = serialize(s, &len);

		for (size_t i = 0; i < len; i++)
			for (int bit = 0; bit < 8; bit++) {
				buf[i] ^= (uint8_t)(1u << bit);
				assert_int_equal(vx_cms_deserialize(&r, buf, len), -EINVAL);
				buf[i] ^= (uint8_t)(1u << bit);
			}
		for (size_t n = 0; n < len; n++)
			assert_int_equal(vx_cms_deserialize(&r, buf, n), -EINVAL);
		assert_int_equal(vx_cms_deserialize(&r, NULL, 0), -EINVAL);
		buf[5] = VX_SER_MG;
		reseal(buf, len);
		assert_int_equal(vx_cms_deserialize(&r, buf, len), -EINVAL);
		buf[5] = VX_SER_CMS;
		reseal(buf, len);
		assert_int_equal(vx_cms_deserialize(&r, buf, len), 0);
		vx_cms_destroy(r);
		free(buf);
		vx_cms_destroy(s);
	}
}

/* A payload in the documented format with a correct checksum. */
static int try_forged(uint32_t width, uint32_t depth, uint8_t mode, uint64_t total,
		      const uint32_t *counters, size_t n)
{
	uint8_t buf[256], again[256];
	struct vx_ser_writer w;
	struct vx_cms *s = NULL;
	ssize_t len;
	int ret;

	vx_ser_begin(&w, buf, sizeof(buf), VX_SER_CMS);
	vx_ser_u32(&w, width);
	vx_ser_u32(&w, depth);
	vx_ser_u8(&w, mode);
	vx_ser_u64(&w, total);
	for (size_t i = 0; i < n; i++)
		vx_ser_u32(&w, counters[i]);
	len = vx_ser_finish(&w);
	assert_true(len > 0);
	ret = vx_cms_deserialize(&s, buf, (size_t)len);
	if (ret == 0) {
		assert_int_equal(vx_cms_serialize(s, again, sizeof(again)), len);
		assert_memory_equal(again, buf, (size_t)len);
	}
	vx_cms_destroy(s);
	return ret;
}

static void test_cms_deserialize_rejects_forged_payloads(void **state)
{
	/* 3 x 2, rows summing to N = 6 (standard) or at most 6. */
	static const uint32_t ok[] = { 1, 2, 3, 0, 6, 0 };
	static const uint32_t uneven[] = { 1, 2, 3, 0, 5, 0 };
	static const uint32_t over[] = { 1, 2, 4, 0, 6, 0 };
	static const uint32_t sat[] = { UINT32_MAX, 0, 0, UINT32_MAX, 0, 0 };
	static const uint32_t sat_under[] = { UINT32_MAX, 0, 0, 5, 0, 0 };

	(void)state;
	assert_int_equal(try_forged(3, 2, VX_CMS_STANDARD, 6, ok, 6), 0);
	assert_int_equal(try_forged(3, 2, VX_CMS_CONSERVATIVE, 6, ok, 6), 0);
	assert_int_equal(try_forged(3, 2, VX_CMS_CONSERVATIVE, 6, uneven, 6), 0);
	assert_int_equal(try_forged(3, 2, VX_CMS_STANDARD, UINT64_MAX, sat, 6), 0);
	assert_int_equal(try_forged(6, 1, VX_CMS_STANDARD, 12, ok, 6), 0); /* one row of 6 */

	assert_int_equal(try_forged(3, 2, VX_CMS_STANDARD, 6, uneven, 6), -EINVAL);
	assert_int_equal(try_forged(3, 2, VX_CMS_STANDARD, 7, ok, 6), -EINVAL);
	assert_int_equal(try_forged(3, 2, VX_CMS_CONSERVATIVE, 6, over, 6), -EINVAL);
	assert_int_equal(try_forged(3, 2, VX_CMS_STANDARD, 6, over, 6), -EINVAL);
	assert_int_equal(try_forged(3, 2, VX_CMS_STANDARD, UINT64_MAX, sat_under, 6), -EINVAL);
	assert_int_equal(try_forged(3, 2, 2, 6, ok, 6), -EINVAL);   /* mode */
	assert_int_equal(try_forged(0, 2, 0, 0, ok, 0), -EINVAL);   /* width 0 */
	assert_int_equal(try_forged(6, 0, 0, 0, ok, 0), -EINVAL);   /* depth 0 */
	assert_int_equal(try_forged(1, VX_CMS_MAX_DEPTH + 1, 0, 0, ok, 0), -EINVAL);
	assert_int_equal(try_forged(VX_CMS_MAX_COUNTERS, 2, 0, 0, ok, 0), -EINVAL);
	assert_int_equal(try_forged(3, 2, VX_CMS_STANDARD, 6, ok, 5), -EINVAL); /* short */
	assert_int_equal(try_forged(2, 2, VX_CMS_STANDARD, 6, ok, 6), -EINVAL); /* long */
	assert_int_equal(try_forged(UINT32_MAX, UINT32_MAX, 0, 6, ok, 6), -EINVAL);
}

static void test_cms_merge_rejects_incompatible_sketches(void **state)
{
	struct vx_cms *a = new_cms(0.01, 0.01, VX_CMS_STANDARD);
	struct vx_cms *wide = new_cms(0.001, 0.01, VX_CMS_STANDARD);
	struct vx_cms *deep = new_cms(0.01, 0.001, VX_CMS_STANDARD);
	struct vx_cms *con = new_cms(0.01, 0.01, VX_CMS_CONSERVATIVE);
	struct vx_cms *same = new_cms(0.01, 0.01, VX_CMS_STANDARD);

	(void)state;
	vx_cms_add(wide, "x", 1, 1);
	vx_cms_add(deep, "x", 1, 1);
	vx_cms_add(con, "x", 1, 1);
	assert_int_equal(vx_cms_merge(a, wide), -EINVAL);
	assert_int_equal(vx_cms_merge(wide, a), -EINVAL);
	assert_int_equal(vx_cms_merge(a, deep), -EINVAL);
	assert_int_equal(vx_cms_merge(a, con), -EINVAL);
	assert_int_equal(vx_cms_merge(con, a), -EINVAL);
	assert_same_bytes(a, same);
	vx_cms_destroy(a);
	vx_cms_destroy(wide);
	vx_cms_destroy(deep);
	vx_cms_destroy(con);
	vx_cms_destroy(same);
}

static void test_cms_add_estimate_merge_do_not_allocate(void **state)
{
	(void)state;
	for (int mode = 0; mode < 2; mode++) {
		struct vx_cms *s = new_cms(1e-3, 1e-3, (enum vx_cms_mode)mode);
		struct vx_cms *t = new_cms(1e-3, 1e-3, (enum vx_cms_mode)mode);
		uint64_t rng = 10, sum = 0;

		allocs = 0;
		allocs_armed = true;
		for (int i = 0; i < 100000; i++) {
			uint64_t x = vx_rand64(&rng) % 5000;

			vx_cms_add(i % 2 ? s : t, &x, sizeof(x), 1 + x % 3);
			vx_cms_add_hash(s, x, 1);
			sum += vx_cms_estimate(s, &x, sizeof(x)) + vx_cms_estimate_hash(t, x);
		}
		sum += (uint64_t)vx_cms_merge(s, t);
		allocs_armed = false;
		assert_true(sum > 0);
		if (COUNT_ALLOCS)
			assert_int_equal(allocs, 0);
		vx_cms_destroy(s);
		vx_cms_destroy(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cms_create_rejects_bad_params),
		cmocka_unit_test(test_cms_dimensions_follow_epsilon_and_delta),
		cmocka_unit_test(test_cms_never_under_counts),
		cmocka_unit_test(test_cms_error_exceeds_epsilon_n_with_probability_at_most_delta),
		cmocka_unit_test(test_cms_conservative_is_never_above_standard),
		cmocka_unit_test(test_cms_merged_standard_sketch_equals_sketch_of_concatenation),
		cmocka_unit_test(test_cms_merge_of_conservative_sketches_never_under_counts),
		cmocka_unit_test(test_cms_add_is_add_hash_of_vx_hash64),
		cmocka_unit_test(test_cms_zero_count_changes_nothing),
		cmocka_unit_test(test_cms_counters_saturate_instead_of_wrapping),
		cmocka_unit_test(test_cms_serialize_round_trip_is_exact),
		cmocka_unit_test(test_cms_every_bit_flip_and_truncation_is_rejected),
		cmocka_unit_test(test_cms_deserialize_rejects_forged_payloads),
		cmocka_unit_test(test_cms_merge_rejects_incompatible_sketches),
		cmocka_unit_test(test_cms_add_estimate_merge_do_not_allocate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
