// SPDX-License-Identifier: MIT
/*
 * SimHash, MinHash and the banding index, graded through algorithms/lsh.h only.
 *
 * The statistical cases build inputs whose true similarity is known exactly
 * (vector pairs at a chosen angle, set pairs with a chosen overlap), count how
 * often the sketch's random event happens over many independent trials, and
 * accept the count when it lies within 4.5 standard deviations of the binomial
 * mean the paper predicts. The runs are deterministic (fixed seeds), but the
 * margin is what makes the case fair to any correct implementation, whatever
 * its internal hashing: a correct one fails a single check with probability
 * about 7e-6 (two-sided normal tail at 4.5σ), and every expected count below is
 * far enough from 0 and from the trial count (n·p·(1−p) >= 36) for the normal
 * approximation to hold.
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

#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "algorithms/lsh.h"

#include "tests/shadow_alloc.h"

#define SIGMAS 4.5

/* |observed − n·p| <= SIGMAS·sqrt(n·p·(1−p)) + 1 (the 1: a count is an integer). */
static void assert_binomial(size_t observed, size_t n, double p)
{
	double mean = (double)n * p, sd = sqrt((double)n * p * (1.0 - p));
	double dev = fabs((double)observed - mean);

	if (dev > SIGMAS * sd + 1.0)
		fail_msg("observed %zu of %zu, expected %.1f ± %.1f (p = %.4f): %.2fσ off",
			 observed, n, mean, SIGMAS * sd, p, dev / sd);
}

/* ---- helpers ----------------------------------------------------------------- */

static double gaussian(uint64_t *state)
{
	double u = 1.0 - vx_rand_unit(state), v = vx_rand_unit(state); /* u in (0, 1] */

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Unit vectors u, v in R^dim at exactly angle theta (up to float rounding,
 * ~1e-7 rad): u random, w a random direction orthogonalised against u (Gram–
 * Schmidt), v = cos θ·u + sin θ·w. Random orientations, so the pair does not
 * line up with any coordinate axis. */
static void vectors_at_angle(uint64_t *state, size_t dim, double theta, float *u, float *v)
{
	double a[64], b[64], na = 0, nb = 0, dot = 0;

	assert_true(dim <= 64);
	for (size_t i = 0; i < dim; i++) {
		a[i] = gaussian(state);
		b[i] = gaussian(state);
		na += a[i] * a[i];
	}
	na = sqrt(na);
	for (size_t i = 0; i < dim; i++) {
		a[i] /= na;
		dot += a[i] * b[i];
	}
	for (size_t i = 0; i < dim; i++) {
		b[i] -= dot * a[i];
		nb += b[i] * b[i];
	}
	nb = sqrt(nb);
	for (size_t i = 0; i < dim; i++) {
		b[i] /= nb;
		u[i] = (float)a[i];
		v[i] = (float)(cos(theta) * a[i] + sin(theta) * b[i]);
	}
}

static struct vx_minhash *new_minhash(size_t k, uint64_t seed)
{
	struct vx_minhash *m;

	assert_int_equal(vx_minhash_create(&m, k, seed), 0);
	return m;
}

static void add_u64(struct vx_minhash *m, uint64_t e)
{
	vx_minhash_add(m, &e, sizeof(e));
}

/* Sets A = {base .. base+a+c} and B = {base+a .. base+a+c+b}: |A ∩ B| = c,
 * |A ∪ B| = a + b + c, so J = c / (a + b + c) exactly. */
static void sign_pair(struct vx_minhash *ma, struct vx_minhash *mb, uint64_t base, size_t a,
		      size_t b, size_t c)
{
	vx_minhash_reset(ma);
	vx_minhash_reset(mb);
	for (uint64_t e = base; e < base + a + c; e++)
		add_u64(ma, e);
	for (uint64_t e = base + a; e < base + a + c + b; e++)
		add_u64(mb, e);
}

static uint8_t *serialize_minhash(const struct vx_minhash *m, size_t *len)
{
	ssize_t n = vx_minhash_serialize(m, NULL, 0);
	uint8_t *buf;

	assert_true(n > 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(vx_minhash_serialize(m, buf, (size_t)n), n);
	*len = (size_t)n;
	return buf;
}

static uint8_t *serialize_index(const struct vx_lsh_index *x, size_t *len)
{
	ssize_t n = vx_lsh_serialize(x, NULL, 0);
	uint8_t *buf;

	assert_true(n > 0);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(vx_lsh_serialize(x, buf, (size_t)n), n);
	*len = (size_t)n;
	return buf;
}

/* ---- SimHash ----------------------------------------------------------------- */

static void test_simhash_create_rejects_bad_dim(void **state)
{
	struct vx_simhash *s = NULL;

	(void)state;
	assert_int_equal(vx_simhash_create(&s, 0, 1), -EINVAL);
	assert_int_equal(vx_simhash_create(&s, VX_SIMHASH_MAX_DIM + 1, 1), -EINVAL);
	assert_null(s);
	assert_int_equal(vx_simhash_create(&s, VX_SIMHASH_MAX_DIM, 1), 0);
	assert_int_equal(vx_simhash_dim(s), VX_SIMHASH_MAX_DIM);
	vx_simhash_destroy(s);
	vx_simhash_destroy(NULL);
}

static void test_simhash_same_seed_signs_alike_other_seed_differs(void **state)
{
	struct vx_simhash *a, *b, *c;
	uint64_t rng = 11;
	float v[48];
	size_t differ = 0;

	(void)state;
	assert_int_equal(vx_simhash_create(&a, 48, 5), 0);
	assert_int_equal(vx_simhash_create(&b, 48, 5), 0);
	assert_int_equal(vx_simhash_create(&c, 48, 6), 0);
	for (int t = 0; t < 20; t++) {
		for (size_t i = 0; i < 48; i++)
			v[i] = (float)gaussian(&rng);
		assert_true(vx_simhash_sign(a, v) == vx_simhash_sign(b, v));
		/* Other hyperplanes: each bit agrees with probability 1/2. */
		differ += vx_simhash_sign(a, v) != vx_simhash_sign(c, v);
	}
	assert_int_equal(differ, 20);
	vx_simhash_destroy(a);
	vx_simhash_destroy(b);
	vx_simhash_destroy(c);
}

/* Negating a vector negates every projection exactly (IEEE negation and sums
 * are symmetric), scaling by 4 scales them exactly: the sides do not change. */
static void test_simhash_negation_flips_every_bit_and_scaling_keeps_all(void **state)
{
	struct vx_simhash *s;
	uint64_t rng = 3;
	float v[32], neg[32], big[32];

	(void)state;
	assert_int_equal(vx_simhash_create(&s, 32, 9), 0);
	for (int t = 0; t < 50; t++) {
		for (size_t i = 0; i < 32; i++) {
			v[i] = (float)gaussian(&rng);
			neg[i] = -v[i];
			big[i] = 4.0f * v[i];
		}
		assert_true(vx_simhash_sign(s, neg) == ~vx_simhash_sign(s, v));
		assert_true(vx_simhash_sign(s, big) == vx_simhash_sign(s, v));
		assert_int_equal(vx_simhash_distance(vx_simhash_sign(s, v), vx_simhash_sign(s, neg)),
				 64);
	}
	vx_simhash_destroy(s);
}

/*
 * Charikar: for vectors at angle θ, each of the 64 bits agrees with probability
 * p = 1 − θ/π over the choice of hyperplanes, independently. Each trial takes a
 * fresh seed (fresh hyperplanes) and a fresh pair in a random orientation, so
 * the agreements over T trials are Binomial(64·T, p). T = 1000: n = 64000,
 * σ <= 126 bits, the interval within ±0.9% of p.
 */
static void test_simhash_bit_agreement_is_one_minus_theta_over_pi(void **state)
{
	static const double thetas[] = { M_PI / 6, M_PI / 4, M_PI / 3, M_PI / 2,
					  2 * M_PI / 3, 5 * M_PI / 6 };
	enum { DIM = 32, TRIALS = 1000 };
	uint64_t rng = 2024;
	float u[DIM], v[DIM];

	(void)state;
	for (size_t a = 0; a < sizeof(thetas) / sizeof(thetas[0]); a++) {
		size_t agree = 0;

		for (uint64_t t = 0; t < TRIALS; t++) {
			struct vx_simhash *s;

			assert_int_equal(vx_simhash_create(&s, DIM, 1000 * a + t), 0);
			vectors_at_angle(&rng, DIM, thetas[a], u, v);
			agree += 64 - vx_simhash_distance(vx_simhash_sign(s, u),
							  vx_simhash_sign(s, v));
			vx_simhash_destroy(s);
		}
		assert_binomial(agree, 64 * TRIALS, 1.0 - thetas[a] / M_PI);
	}
}

static void test_simhash_cosine_estimate_from_hamming_distance(void **state)
{
	uint64_t a = 0x0123456789abcdefULL;

	(void)state;
	assert_true(vx_simhash_cosine(a, a) == 1.0);
	assert_true(fabs(vx_simhash_cosine(a, ~a) + 1.0) < 1e-12);
	assert_true(fabs(vx_simhash_cosine(0, 0xffffffffULL)) < 1e-12);       /* d = 32 */
	assert_true(fabs(vx_simhash_cosine(0, 0xffffULL) - sqrt(0.5)) < 1e-12); /* d = 16 */
	assert_int_equal(vx_simhash_distance(0, 0x8000000000000001ULL), 2);
}

static void test_simhash_round_trip_signs_alike(void **state)
{
	struct vx_simhash *s, *t;
	uint8_t buf[256], again[256];
	uint64_t rng = 8;
	float v[100];
	ssize_t n;

	(void)state;
	assert_int_equal(vx_simhash_create(&s, 100, 0xfeed), 0);
	n = vx_simhash_serialize(s, NULL, 0);
	assert_true(n > 0 && (size_t)n <= sizeof(buf));
	assert_int_equal(vx_simhash_serialize(s, buf, (size_t)n - 1), -ENOSPC);
	assert_int_equal(vx_simhash_serialize(s, buf, sizeof(buf)), n);
	assert_int_equal(vx_simhash_deserialize(&t, buf, (size_t)n), 0);
	assert_int_equal(vx_simhash_dim(t), 100);
	for (int i = 0; i < 20; i++) {
		for (size_t j = 0; j < 100; j++)
			v[j] = (float)gaussian(&rng);
		assert_true(vx_simhash_sign(s, v) == vx_simhash_sign(t, v));
	}
	assert_int_equal(vx_simhash_serialize(t, again, sizeof(again)), n);
	assert_memory_equal(buf, again, (size_t)n);
	assert_true(vx_simhash_footprint(t) > 0);
	assert_int_equal(vx_simhash_footprint(t), vx_simhash_footprint(s));
	vx_simhash_destroy(s);
	vx_simhash_destroy(t);
}

static void test_simhash_every_corruption_is_rejected(void **state)
{
	struct vx_simhash *s, *t = NULL;
	struct vx_minhash *m = new_minhash(4, 1);
	uint8_t buf[256];
	size_t n, mlen;
	uint8_t *mbuf = serialize_minhash(m, &mlen);

	(void)state;
	assert_int_equal(vx_simhash_create(&s, 16, 77), 0);
	n = (size_t)vx_simhash_serialize(s, buf, sizeof(buf));
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(vx_simhash_deserialize(&t, buf, n), -EINVAL);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	for (size_t len = 0; len < n; len++)
		assert_int_equal(vx_simhash_deserialize(&t, buf, len), -EINVAL);
	assert_int_equal(vx_simhash_deserialize(&t, mbuf, mlen), -EINVAL); /* wrong type */
	assert_null(t);
	free(mbuf);
	vx_minhash_destroy(m);
	vx_simhash_destroy(s);
}

/* ---- MinHash ----------------------------------------------------------------- */

static void test_minhash_create_rejects_bad_k(void **state)
{
	struct vx_minhash *m = NULL;

	(void)state;
	assert_int_equal(vx_minhash_create(&m, 0, 1), -EINVAL);
	assert_int_equal(vx_minhash_create(&m, VX_MINHASH_MAX_K + 1, 1), -EINVAL);
	assert_null(m);
	m = new_minhash(VX_MINHASH_MAX_K, 1);
	assert_int_equal(vx_minhash_k(m), VX_MINHASH_MAX_K);
	assert_true(vx_minhash_seed(m) == 1);
	vx_minhash_destroy(m);
	vx_minhash_destroy(NULL);
}

/*
 * Broder: slot i of two signatures agrees with probability J = |A ∩ B| / |A ∪ B|.
 * For each J, T = 1000 trials with a fresh seed and fresh elements, k = 128 slots:
 * Binomial(128000, J) agreements if the slots behave as independent min-wise
 * hashes, σ <= 179 slots, the interval within ±0.63% of J.
 */
static void test_minhash_slot_agreement_is_jaccard(void **state)
{
	static const size_t overlap[] = { 4, 10, 20, 30, 36 }; /* of 40: J = .1 .25 .5 .75 .9 */
	enum { K = 128, TRIALS = 1000, UNION = 40 };
	uint64_t sa[UNION], sb[UNION];

	(void)state;
	for (size_t j = 0; j < sizeof(overlap) / sizeof(overlap[0]); j++) {
		size_t c = overlap[j], a = (UNION - c) / 2, b = UNION - c - a, agree = 0;
		double jac = (double)c / UNION;

		for (uint64_t t = 0; t < TRIALS; t++) {
			struct vx_minhash *ma = new_minhash(K, 1000 * j + t);
			struct vx_minhash *mb = new_minhash(K, 1000 * j + t);
			uint64_t base = (j * TRIALS + t) << 16;

			sign_pair(ma, mb, base, a, b, c);
			if (t == 0) { /* the construction's J, checked once */
				for (size_t e = 0; e < a + c; e++)
					sa[e] = base + e;
				for (size_t e = 0; e < b + c; e++)
					sb[e] = base + a + e;
				assert_true(vx_exact_jaccard(sa, a + c, sb, b + c) == jac);
			}
			agree += (size_t)lround(vx_minhash_similarity(ma, mb) * K);
			vx_minhash_destroy(ma);
			vx_minhash_destroy(mb);
		}
		assert_binomial(agree, K * TRIALS, jac);
	}
}

static void test_minhash_merge_equals_signature_of_union(void **state)
{
	struct vx_minhash *a = new_minhash(64, 42), *b = new_minhash(64, 42);
	struct vx_minhash *u = new_minhash(64, 42);
	uint8_t *bm, *bu;
	size_t lm, lu;

	(void)state;
	for (uint64_t e = 0; e < 300; e++) {
		if (e % 3 != 0)
			add_u64(a, e);
		if (e % 2 == 0)
			add_u64(b, e);
		if (e % 3 != 0 || e % 2 == 0)
			add_u64(u, e);
	}
	assert_int_equal(vx_minhash_merge(a, b), 0);
	assert_memory_equal(vx_minhash_slots(a), vx_minhash_slots(u), 64 * sizeof(uint64_t));
	assert_true(vx_minhash_similarity(a, u) == 1.0);
	bm = serialize_minhash(a, &lm);
	bu = serialize_minhash(u, &lu);
	assert_int_equal(lm, lu);
	assert_memory_equal(bm, bu, lm);
	free(bm);
	free(bu);
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
	vx_minhash_destroy(u);
}

static void test_minhash_ignores_order_and_repeats(void **state)
{
	struct vx_minhash *a = new_minhash(32, 7), *b = new_minhash(32, 7);

	(void)state;
	for (uint64_t e = 0; e < 100; e++)
		add_u64(a, e);
	for (uint64_t e = 100; e-- > 0;) {
		add_u64(b, e);
		add_u64(b, e / 2);
	}
	assert_memory_equal(vx_minhash_slots(a), vx_minhash_slots(b), 32 * sizeof(uint64_t));
	vx_minhash_add_hash(b, vx_hash64("x", 1));
	vx_minhash_add(a, "x", 1);
	assert_memory_equal(vx_minhash_slots(a), vx_minhash_slots(b), 32 * sizeof(uint64_t));
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
}

/* Two empty sets are equal (J = 1, as vx_exact_jaccard says); an empty and a
 * non-empty set share nothing. */
static void test_minhash_empty_sets(void **state)
{
	struct vx_minhash *a = new_minhash(64, 1), *b = new_minhash(64, 1);

	(void)state;
	assert_true(vx_minhash_is_empty(a));
	assert_true(vx_minhash_similarity(a, b) == 1.0);
	add_u64(b, 5);
	assert_false(vx_minhash_is_empty(b));
	assert_true(vx_minhash_similarity(a, b) == 0.0);
	assert_int_equal(vx_minhash_merge(a, b), 0);
	assert_true(vx_minhash_similarity(a, b) == 1.0);
	vx_minhash_reset(a);
	assert_true(vx_minhash_is_empty(a));
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
}

static void test_minhash_incompatible_signatures_are_refused(void **state)
{
	struct vx_minhash *a = new_minhash(64, 1), *k = new_minhash(32, 1);
	struct vx_minhash *s = new_minhash(64, 2);

	(void)state;
	add_u64(a, 1);
	assert_true(isnan(vx_minhash_similarity(a, k)));
	assert_true(isnan(vx_minhash_similarity(a, s)));
	assert_int_equal(vx_minhash_merge(a, k), -EINVAL);
	assert_int_equal(vx_minhash_merge(a, s), -EINVAL);
	assert_int_equal(vx_minhash_merge(k, a), -EINVAL);
	assert_false(vx_minhash_is_empty(a));
	vx_minhash_destroy(a);
	vx_minhash_destroy(k);
	vx_minhash_destroy(s);
}

static void test_minhash_byte_shingles_are_the_windows(void **state)
{
	static const char *grams[] = { "abc", "bcd", "cde", "def" };
	struct vx_minhash *a = new_minhash(32, 3), *b = new_minhash(32, 3);

	(void)state;
	assert_int_equal(vx_minhash_add_shingles(a, "abcdef", 6, 3, VX_SHINGLE_BYTES), 0);
	for (size_t i = 0; i < 4; i++)
		vx_minhash_add(b, grams[i], 3);
	assert_memory_equal(vx_minhash_slots(a), vx_minhash_slots(b), 32 * sizeof(uint64_t));

	/* Shorter than n: the whole text is one shingle. Empty: nothing. */
	vx_minhash_reset(a);
	vx_minhash_reset(b);
	assert_int_equal(vx_minhash_add_shingles(a, "ab", 2, 3, VX_SHINGLE_BYTES), 0);
	vx_minhash_add(b, "ab", 2);
	assert_memory_equal(vx_minhash_slots(a), vx_minhash_slots(b), 32 * sizeof(uint64_t));
	vx_minhash_reset(a);
	assert_int_equal(vx_minhash_add_shingles(a, NULL, 0, 3, VX_SHINGLE_BYTES), 0);
	assert_true(vx_minhash_is_empty(a));

	assert_int_equal(vx_minhash_add_shingles(a, "abc", 3, 0, VX_SHINGLE_BYTES), -EINVAL);
	assert_int_equal(vx_minhash_add_shingles(a, "abc", 3, VX_SHINGLE_MAX_N + 1,
						 VX_SHINGLE_BYTES), -EINVAL);
	assert_int_equal(vx_minhash_add_shingles(a, "abc", 3, 2, (enum vx_shingle_unit)7),
			 -EINVAL);
	assert_true(vx_minhash_is_empty(a));
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
}

static void sign_words(struct vx_minhash *m, const char *text, size_t n)
{
	vx_minhash_reset(m);
	assert_int_equal(vx_minhash_add_shingles(m, text, strlen(text), n, VX_SHINGLE_WORDS), 0);
}

static void test_minhash_word_shingles_depend_on_words_only(void **state)
{
	struct vx_minhash *a = new_minhash(64, 4), *b = new_minhash(64, 4);

	(void)state;
	sign_words(a, "the quick brown fox jumps", 2);
	sign_words(b, "  the quick\t\tbrown\nfox   jumps\r\n", 2);
	assert_true(vx_minhash_similarity(a, b) == 1.0);
	/* Order matters inside a shingle: {ab, bc} and {ba, ac} share nothing. */
	sign_words(a, "aa bb cc", 2);
	sign_words(b, "bb aa cc", 2);
	assert_true(vx_minhash_similarity(a, b) < 0.3);
	/* ...but with n = 1 the shingles are the words, a set. */
	sign_words(a, "aa bb cc", 1);
	sign_words(b, "cc aa bb aa", 1);
	assert_true(vx_minhash_similarity(a, b) == 1.0);
	/* Fewer words than n: one shingle; blank text: none. */
	sign_words(a, "only two", 3);
	assert_false(vx_minhash_is_empty(a));
	sign_words(b, " \t\n ", 3);
	assert_true(vx_minhash_is_empty(b));
	assert_int_equal(vx_minhash_add_shingles(a, "x", 1, 0, VX_SHINGLE_WORDS), -EINVAL);
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
}

static void test_shingle_hashes_are_the_elements_minhash_adds(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		enum vx_shingle_unit unit;
		ssize_t count;
	} cases[] = {
		{ "abcdef", 3, VX_SHINGLE_BYTES, 4 },
		{ "ab", 3, VX_SHINGLE_BYTES, 1 },
		{ "", 3, VX_SHINGLE_BYTES, 0 },
		{ "  one two  three four ", 2, VX_SHINGLE_WORDS, 3 },
		{ "one", 2, VX_SHINGLE_WORDS, 1 },
		{ " \t ", 2, VX_SHINGLE_WORDS, 0 },
	};
	uint64_t h[8];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].text;
		struct vx_minhash *a, *b;
		ssize_t n;

		assert_int_equal(vx_shingle_hashes(t, strlen(t), cases[i].n, cases[i].unit, NULL, 0),
				 cases[i].count);
		n = vx_shingle_hashes(t, strlen(t), cases[i].n, cases[i].unit, h, 8);
		assert_int_equal(n, cases[i].count);
		assert_int_equal(vx_minhash_create(&a, 64, 9), 0);
		assert_int_equal(vx_minhash_create(&b, 64, 9), 0);
		assert_int_equal(vx_minhash_add_shingles(a, t, strlen(t), cases[i].n, cases[i].unit), 0);
		for (ssize_t j = 0; j < n; j++)
			vx_minhash_add_hash(b, h[j]);
		assert_memory_equal(vx_minhash_slots(a), vx_minhash_slots(b), 64 * sizeof(uint64_t));
		vx_minhash_destroy(a);
		vx_minhash_destroy(b);
	}
	/* Counting goes on past the room given; bad n is refused. */
	assert_int_equal(vx_shingle_hashes("abcdefgh", 8, 1, VX_SHINGLE_BYTES, h, 2), 8);
	assert_int_equal(vx_shingle_hashes("abc", 3, 0, VX_SHINGLE_BYTES, h, 8), -EINVAL);
}

static void test_minhash_round_trip_is_exact(void **state)
{
	struct vx_minhash *m = new_minhash(100, 0xabc), *t, *e = new_minhash(5, 1);
	uint8_t *buf, *again, small[8];
	size_t n, n2;

	(void)state;
	for (uint64_t i = 0; i < 1000; i++)
		add_u64(m, i * 7);
	buf = serialize_minhash(m, &n);
	assert_int_equal(vx_minhash_serialize(m, small, sizeof(small)), -ENOSPC);
	assert_int_equal(vx_minhash_deserialize(&t, buf, n), 0);
	assert_int_equal(vx_minhash_k(t), 100);
	assert_true(vx_minhash_seed(t) == 0xabc);
	assert_true(vx_minhash_similarity(m, t) == 1.0);
	assert_int_equal(vx_minhash_footprint(t), vx_minhash_footprint(m));
	/* The hash functions come back too: adding more keeps them in step. */
	add_u64(m, 123456789);
	add_u64(t, 123456789);
	assert_memory_equal(vx_minhash_slots(m), vx_minhash_slots(t), 100 * sizeof(uint64_t));
	free(buf);
	buf = serialize_minhash(m, &n);
	again = serialize_minhash(t, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(buf, again, n);
	free(buf);
	free(again);
	vx_minhash_destroy(t);

	/* An empty signature round-trips empty. */
	buf = serialize_minhash(e, &n);
	assert_int_equal(vx_minhash_deserialize(&t, buf, n), 0);
	assert_true(vx_minhash_is_empty(t));
	free(buf);
	vx_minhash_destroy(t);
	vx_minhash_destroy(e);
	vx_minhash_destroy(m);
}

static void test_minhash_every_corruption_is_rejected(void **state)
{
	struct vx_minhash *m = new_minhash(16, 5), *t = NULL;
	struct vx_simhash *s;
	uint8_t *buf, sbuf[64];
	size_t n, slen;

	(void)state;
	for (uint64_t i = 0; i < 50; i++)
		add_u64(m, i);
	buf = serialize_minhash(m, &n);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(vx_minhash_deserialize(&t, buf, n), -EINVAL);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	for (size_t len = 0; len < n; len++)
		assert_int_equal(vx_minhash_deserialize(&t, buf, len), -EINVAL);
	assert_int_equal(vx_simhash_create(&s, 4, 1), 0);
	slen = (size_t)vx_simhash_serialize(s, sbuf, sizeof(sbuf));
	assert_int_equal(vx_minhash_deserialize(&t, sbuf, slen), -EINVAL); /* wrong type */
	assert_null(t);
	vx_simhash_destroy(s);
	free(buf);
	vx_minhash_destroy(m);
}

/* ---- banding index ----------------------------------------------------------- */

static void test_lsh_params_put_the_knee_near_the_threshold(void **state)
{
	static const double ts[] = { 0.3, 0.5, 0.7, 0.8, 0.9 };
	size_t b = 0, r = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		assert_int_equal(vx_lsh_params(128, ts[i], &b, &r), 0);
		assert_true(b >= 1 && r >= 1 && b * r <= 128);
		assert_true(fabs(pow(1.0 / (double)b, 1.0 / (double)r) - ts[i]) <= 0.1);
	}
	assert_int_equal(vx_lsh_params(0, 0.5, &b, &r), -EINVAL);
	assert_int_equal(vx_lsh_params(VX_MINHASH_MAX_K + 1, 0.5, &b, &r), -EINVAL);
	assert_int_equal(vx_lsh_params(128, 0.0, &b, &r), -EINVAL);
	assert_int_equal(vx_lsh_params(128, -0.5, &b, &r), -EINVAL);
	assert_int_equal(vx_lsh_params(128, 1.5, &b, &r), -EINVAL);
	assert_int_equal(vx_lsh_params(128, nan(""), &b, &r), -EINVAL);
}

static void test_lsh_create_rejects_bad_params(void **state)
{
	struct vx_lsh_index *x = NULL;

	(void)state;
	assert_int_equal(vx_lsh_create(&x, 0, 1, 1, 1), -EINVAL);
	assert_int_equal(vx_lsh_create(&x, VX_MINHASH_MAX_K + 1, 1, 1, 1), -EINVAL);
	assert_int_equal(vx_lsh_create(&x, 64, 1, 0, 4), -EINVAL);
	assert_int_equal(vx_lsh_create(&x, 64, 1, 16, 0), -EINVAL);
	assert_int_equal(vx_lsh_create(&x, 64, 1, 16, 5), -EINVAL); /* 80 slots > 64 */
	assert_int_equal(vx_lsh_create(&x, 64, 1, SIZE_MAX, 2), -EINVAL);
	assert_null(x);
	assert_int_equal(vx_lsh_create(&x, 64, 1, 13, 4), 0); /* b·r < k is fine */
	vx_lsh_destroy(x);
	vx_lsh_destroy(NULL);
}

static void test_lsh_empty_index_returns_no_candidates(void **state)
{
	struct vx_lsh_index *x;
	struct vx_minhash *m = new_minhash(32, 9);
	struct vx_lsh_match out[4];
	struct vx_lsh_info info;

	(void)state;
	assert_int_equal(vx_lsh_create(&x, 32, 9, 8, 4), 0);
	assert_int_equal(vx_lsh_query(x, m, 0.0, out, 4), 0); /* empty query set too */
	add_u64(m, 1);
	assert_int_equal(vx_lsh_query(x, m, 0.0, out, 4), 0);
	assert_int_equal(vx_lsh_query(x, m, 0.0, NULL, 0), 0);
	vx_lsh_info(x, &info);
	assert_int_equal(info.items, 0);
	assert_int_equal(info.k, 32);
	assert_int_equal(info.bands, 8);
	assert_int_equal(info.rows, 4);
	assert_true(info.seed == 9);
	vx_lsh_destroy(x);
	vx_minhash_destroy(m);
}

/* Disjoint random sets: a different set shares a band only if r 64-bit minima
 * collide, probability ~2^-64 per slot, so the item itself is the only answer. */
static void test_lsh_query_finds_identical_item_once_with_similarity_one(void **state)
{
	struct vx_lsh_index *x;
	struct vx_minhash *m = new_minhash(64, 5);
	struct vx_lsh_match out[8];

	(void)state;
	assert_int_equal(vx_lsh_create(&x, 64, 5, 16, 4), 0);
	for (uint64_t id = 0; id < 100; id++) {
		vx_minhash_reset(m);
		for (uint64_t e = 0; e < 20; e++)
			add_u64(m, id << 32 | e);
		assert_int_equal(vx_lsh_insert(x, id * 10, m), 0);
	}
	for (uint64_t id = 0; id < 100; id += 7) {
		vx_minhash_reset(m);
		for (uint64_t e = 0; e < 20; e++)
			add_u64(m, id << 32 | e);
		assert_int_equal(vx_lsh_query(x, m, 0.0, out, 8), 1);
		assert_true(out[0].id == id * 10);
		assert_true(out[0].similarity == 1.0);
		assert_int_equal(vx_lsh_query(x, m, 1.0, out, 8), 1);
	}
	vx_lsh_destroy(x);
	vx_minhash_destroy(m);
}

enum { SMALL_K = 8, SMALL_B = 4, SMALL_R = 2, SMALL_ITEMS = 200 };

/* Small sets from a small universe so that bands collide often. */
static void small_set(struct vx_minhash *m, uint64_t *rng)
{
	vx_minhash_reset(m);
	for (int e = 0; e < 6; e++)
		add_u64(m, vx_rand64(rng) % 12);
}

static bool shares_band(const struct vx_minhash *a, const struct vx_minhash *b)
{
	const uint64_t *sa = vx_minhash_slots(a), *sb = vx_minhash_slots(b);

	for (size_t j = 0; j < SMALL_B; j++)
		if (!memcmp(sa + j * SMALL_R, sb + j * SMALL_R, SMALL_R * sizeof(*sa)))
			return true;
	return false;
}

/*
 * Banding is exact set logic once the signatures are known: the candidates are
 * the items whose r slots of some band (band j = slots j·r .. j·r + r − 1) equal
 * the query's, each once, with the signature similarity; the threshold keeps
 * those at or above it; the answers come best first, ties by id.
 */
static void test_lsh_candidates_are_exactly_the_items_sharing_a_band(void **state)
{
	struct vx_lsh_index *x;
	struct vx_minhash *items[SMALL_ITEMS], *q = new_minhash(SMALL_K, 77);
	struct vx_lsh_match out[SMALL_ITEMS], top[3];
	uint64_t rng = 99;
	size_t total_candidates = 0;

	(void)state;
	assert_int_equal(vx_lsh_create(&x, SMALL_K, 77, SMALL_B, SMALL_R), 0);
	for (size_t i = 0; i < SMALL_ITEMS; i++) {
		items[i] = new_minhash(SMALL_K, 77);
		small_set(items[i], &rng);
		assert_int_equal(vx_lsh_insert(x, i, items[i]), 0);
	}
	for (int t = 0; t < 50; t++) {
		const double thresholds[] = { 0.0, 0.5 };

		small_set(q, &rng);
		for (size_t th = 0; th < 2; th++) {
			bool seen[SMALL_ITEMS] = { false };
			size_t want = 0;
			ssize_t got;

			for (size_t i = 0; i < SMALL_ITEMS; i++)
				want += shares_band(q, items[i]) &&
					vx_minhash_similarity(q, items[i]) >= thresholds[th];
			got = vx_lsh_query(x, q, thresholds[th], out, SMALL_ITEMS);
			assert_int_equal(got, want);
			for (ssize_t i = 0; i < got; i++) {
				uint64_t id = out[i].id;

				assert_true(id < SMALL_ITEMS && !seen[id]);
				seen[id] = true;
				assert_true(shares_band(q, items[id]));
				assert_true(out[i].similarity == vx_minhash_similarity(q, items[id]));
				assert_true(out[i].similarity >= thresholds[th]);
				if (i > 0)
					assert_true(out[i - 1].similarity > out[i].similarity ||
						    (out[i - 1].similarity == out[i].similarity &&
						     out[i - 1].id < id));
			}
			if (th == 0)
				total_candidates += (size_t)got;
			/* Short of room: the same count, the best answers first. */
			if (got > 3) {
				assert_int_equal(vx_lsh_query(x, q, thresholds[th], top, 3), got);
				assert_memory_equal(top, out, sizeof(top));
			}
		}
	}
	assert_true(total_candidates > 100); /* the case did exercise collisions */
	for (size_t i = 0; i < SMALL_ITEMS; i++)
		vx_minhash_destroy(items[i]);
	vx_minhash_destroy(q);
	vx_lsh_destroy(x);
}

/*
 * LRU ch. 3: a pair of similarity s becomes a candidate with probability
 * P(s) = 1 − (1 − s^r)^b when its k = b·r slots agree independently, each with
 * probability s. With b = 16, r = 4 and 3000 pairs of exact similarity s (disjoint
 * from every other pair, so their events are independent), the number of pairs
 * found is Binomial(3000, P(s)). For s in .3 .. .7, P(s) runs .12 .. .988: every
 * n·P·(1−P) >= 36, so the 4.5σ normal interval (at most ±4.1%) is honest.
 */
static void test_lsh_recall_follows_the_s_curve(void **state)
{
	static const size_t overlap[] = { 18, 24, 30, 36, 42 }; /* of 60: s = .3 .4 .5 .6 .7 */
	enum { K = 64, B = 16, R = 4, PAIRS = 3000, UNION = 60 };
	struct vx_minhash *a = new_minhash(K, 31), *b = new_minhash(K, 31);
	struct vx_lsh_match out[16];

	(void)state;
	for (size_t j = 0; j < sizeof(overlap) / sizeof(overlap[0]); j++) {
		size_t c = overlap[j], na = (UNION - c) / 2, nb = UNION - c - na, found = 0;
		double s = (double)c / UNION;
		struct vx_lsh_index *x;

		assert_int_equal(vx_lsh_create(&x, K, 31, B, R), 0);
		for (uint64_t p = 0; p < PAIRS; p++) {
			sign_pair(a, b, (j * PAIRS + p) << 16, na, nb, c);
			assert_int_equal(vx_lsh_insert(x, p, a), 0);
		}
		for (uint64_t p = 0; p < PAIRS; p++) {
			ssize_t got;

			sign_pair(a, b, (j * PAIRS + p) << 16, na, nb, c);
			got = vx_lsh_query(x, b, 0.0, out, 16);
			assert_true(got >= 0 && got <= 16);
			for (ssize_t i = 0; i < got; i++)
				found += out[i].id == p;
		}
		assert_binomial(found, PAIRS, 1.0 - pow(1.0 - pow(s, R), B));
		vx_lsh_destroy(x);
	}
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
}

/* Past the first table sizes, every item is still filed in every band. */
static void test_lsh_growth_keeps_every_item_findable(void **state)
{
	struct vx_lsh_index *x;
	struct vx_minhash *m = new_minhash(16, 2), *back = new_minhash(16, 2);
	struct vx_lsh_match out[4];
	struct vx_lsh_info info;
	uint64_t id;

	(void)state;
	assert_int_equal(vx_lsh_create(&x, 16, 2, 8, 2), 0);
	for (uint64_t i = 0; i < 3000; i++) {
		vx_minhash_reset(m);
		add_u64(m, i);
		add_u64(m, i + (1ULL << 40));
		assert_int_equal(vx_lsh_insert(x, i + 1000, m), 0);
	}
	vx_lsh_info(x, &info);
	assert_int_equal(info.items, 3000);
	assert_true(vx_lsh_footprint(x) >= 3000 * 16 * sizeof(uint64_t));
	for (uint64_t i = 0; i < 3000; i += 13) {
		vx_minhash_reset(m);
		add_u64(m, i);
		add_u64(m, i + (1ULL << 40));
		assert_int_equal(vx_lsh_query(x, m, 1.0, out, 4), 1);
		assert_true(out[0].id == i + 1000);
		assert_int_equal(vx_lsh_item(x, (size_t)i, &id, back), 0);
		assert_true(id == i + 1000);
		assert_true(vx_minhash_similarity(m, back) == 1.0);
	}
	assert_int_equal(vx_lsh_item(x, 3000, &id, back), -EINVAL);
	vx_lsh_destroy(x);
	vx_minhash_destroy(m);
	vx_minhash_destroy(back);
}

static void test_lsh_refuses_incompatible_signatures(void **state)
{
	struct vx_lsh_index *x;
	struct vx_minhash *ok = new_minhash(32, 1), *k = new_minhash(16, 1);
	struct vx_minhash *s = new_minhash(32, 2);
	struct vx_lsh_match out[2];
	uint64_t id;

	(void)state;
	assert_int_equal(vx_lsh_create(&x, 32, 1, 8, 4), 0);
	assert_int_equal(vx_lsh_insert(x, 1, k), -EINVAL);
	assert_int_equal(vx_lsh_insert(x, 1, s), -EINVAL);
	assert_int_equal(vx_lsh_insert(x, 1, ok), 0);
	assert_int_equal(vx_lsh_query(x, k, 0.0, out, 2), -EINVAL);
	assert_int_equal(vx_lsh_query(x, s, 0.0, out, 2), -EINVAL);
	assert_int_equal(vx_lsh_query(x, ok, nan(""), out, 2), -EINVAL);
	assert_int_equal(vx_lsh_item(x, 0, &id, s), -EINVAL);
	assert_int_equal(vx_lsh_query(x, ok, 0.0, out, 2), 1);
	vx_lsh_destroy(x);
	vx_minhash_destroy(ok);
	vx_minhash_destroy(k);
	vx_minhash_destroy(s);
}

static struct vx_lsh_index *small_index(uint64_t rng, size_t items)
{
	struct vx_lsh_index *x;
	struct vx_minhash *m = new_minhash(SMALL_K, 77);

	assert_int_equal(vx_lsh_create(&x, SMALL_K, 77, SMALL_B, SMALL_R), 0);
	for (size_t i = 0; i < items; i++) {
		small_set(m, &rng);
		assert_int_equal(vx_lsh_insert(x, 1000 + i, m), 0);
	}
	vx_minhash_destroy(m);
	return x;
}

static void test_lsh_round_trip_answers_alike(void **state)
{
	struct vx_lsh_index *x = small_index(5, 150), *y;
	struct vx_minhash *q = new_minhash(SMALL_K, 77);
	struct vx_lsh_match ox[150], oy[150];
	struct vx_lsh_info ix, iy;
	uint8_t *buf, *again, small[16];
	size_t n, n2;
	uint64_t rng = 6;

	(void)state;
	buf = serialize_index(x, &n);
	assert_int_equal(vx_lsh_serialize(x, small, sizeof(small)), -ENOSPC);
	assert_int_equal(vx_lsh_deserialize(&y, buf, n), 0);
	vx_lsh_info(x, &ix);
	vx_lsh_info(y, &iy);
	assert_memory_equal(&ix, &iy, sizeof(ix));
	for (int t = 0; t < 30; t++) {
		ssize_t gx, gy;

		small_set(q, &rng);
		gx = vx_lsh_query(x, q, 0.25, ox, 150);
		gy = vx_lsh_query(y, q, 0.25, oy, 150);
		assert_int_equal(gx, gy);
		assert_memory_equal(ox, oy, (size_t)gx * sizeof(ox[0]));
	}
	again = serialize_index(y, &n2);
	assert_int_equal(n, n2);
	assert_memory_equal(buf, again, n);
	/* Still an index: it takes inserts after the trip. */
	assert_int_equal(vx_lsh_insert(y, 7, q), 0);
	assert_true(vx_lsh_query(y, q, 1.0, ox, 150) >= 1);
	free(buf);
	free(again);
	vx_lsh_destroy(x);
	vx_lsh_destroy(y);

	/* An empty index round-trips empty. */
	x = small_index(5, 0);
	buf = serialize_index(x, &n);
	assert_int_equal(vx_lsh_deserialize(&y, buf, n), 0);
	vx_lsh_info(y, &iy);
	assert_int_equal(iy.items, 0);
	assert_int_equal(vx_lsh_query(y, q, 0.0, ox, 150), 0);
	free(buf);
	vx_lsh_destroy(x);
	vx_lsh_destroy(y);
	vx_minhash_destroy(q);
}

static void test_lsh_every_corruption_is_rejected(void **state)
{
	struct vx_lsh_index *x = small_index(8, 3), *y = NULL;
	struct vx_minhash *m = new_minhash(SMALL_K, 77), *back = NULL;
	uint8_t *buf, *mbuf;
	size_t n, mlen;

	(void)state;
	buf = serialize_index(x, &n);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(vx_lsh_deserialize(&y, buf, n), -EINVAL);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	for (size_t len = 0; len < n; len++)
		assert_int_equal(vx_lsh_deserialize(&y, buf, len), -EINVAL);
	mbuf = serialize_minhash(m, &mlen);
	assert_int_equal(vx_lsh_deserialize(&y, mbuf, mlen), -EINVAL); /* wrong type */
	assert_int_equal(vx_minhash_deserialize(&back, buf, n), -EINVAL);
	assert_null(y);
	assert_null(back);
	free(buf);
	free(mbuf);
	vx_minhash_destroy(m);
	vx_lsh_destroy(x);
}

/*
 * lsh.h's real-time calls allocate nothing: SimHash signing, MinHash adds (bytes,
 * hashes, shingles), similarity, merge, serialize into room given, and queries
 * of an index built beforehand (insert allocates, and says so).
 */
static void test_lsh_real_time_calls_do_not_allocate(void **state)
{
	static const char text[] = "the quick brown fox jumps over the lazy dog again";
	struct vx_minhash *a = new_minhash(64, 3), *b = new_minhash(64, 3);
	struct vx_simhash *sh;
	struct vx_lsh_index *x;
	struct vx_lsh_match m[8];
	float v[16];
	uint64_t rng = 13, h[64], sum = 0;
	uint8_t buf[4096];
	ssize_t n;

	(void)state;
	assert_int_equal(vx_simhash_create(&sh, 16, 5), 0);
	assert_int_equal(vx_lsh_create(&x, 64, 3, 16, 4), 0);
	for (uint64_t i = 0; i < 100; i++) {
		add_u64(a, i);
		assert_int_equal(vx_lsh_insert(x, i, a), 0);
	}
	allocs = 0;
	allocs_armed = true;
	for (int i = 0; i < 1000; i++) {
		for (size_t d = 0; d < 16; d++)
			v[d] = (float)vx_rand_unit(&rng);
		sum += vx_simhash_sign(sh, v);
		vx_minhash_reset(b);
		add_u64(b, vx_rand64(&rng) % 200);
		vx_minhash_add_hash(b, vx_rand64(&rng));
		sum += (uint64_t)vx_minhash_add_shingles(b, text, sizeof(text) - 1, 2,
							 VX_SHINGLE_WORDS);
		sum += (uint64_t)vx_shingle_hashes(text, sizeof(text) - 1, 3, VX_SHINGLE_BYTES, h,
						   64);
		sum += (uint64_t)(vx_minhash_similarity(a, b) * 100);
		sum += (uint64_t)vx_lsh_query(x, b, 0.1, m, 8);
	}
	sum += (uint64_t)vx_minhash_merge(b, a);
	n = vx_minhash_serialize(a, buf, sizeof(buf));
	allocs_armed = false;
	assert_true(n > 0 && sum > 0);
	if (COUNT_ALLOCS)
		assert_int_equal(allocs, 0);
	vx_lsh_destroy(x);
	vx_simhash_destroy(sh);
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simhash_create_rejects_bad_dim),
		cmocka_unit_test(test_simhash_same_seed_signs_alike_other_seed_differs),
		cmocka_unit_test(test_simhash_negation_flips_every_bit_and_scaling_keeps_all),
		cmocka_unit_test(test_simhash_bit_agreement_is_one_minus_theta_over_pi),
		cmocka_unit_test(test_simhash_cosine_estimate_from_hamming_distance),
		cmocka_unit_test(test_simhash_round_trip_signs_alike),
		cmocka_unit_test(test_simhash_every_corruption_is_rejected),
		cmocka_unit_test(test_minhash_create_rejects_bad_k),
		cmocka_unit_test(test_minhash_slot_agreement_is_jaccard),
		cmocka_unit_test(test_minhash_merge_equals_signature_of_union),
		cmocka_unit_test(test_minhash_ignores_order_and_repeats),
		cmocka_unit_test(test_minhash_empty_sets),
		cmocka_unit_test(test_minhash_incompatible_signatures_are_refused),
		cmocka_unit_test(test_minhash_byte_shingles_are_the_windows),
		cmocka_unit_test(test_minhash_word_shingles_depend_on_words_only),
		cmocka_unit_test(test_shingle_hashes_are_the_elements_minhash_adds),
		cmocka_unit_test(test_minhash_round_trip_is_exact),
		cmocka_unit_test(test_minhash_every_corruption_is_rejected),
		cmocka_unit_test(test_lsh_params_put_the_knee_near_the_threshold),
		cmocka_unit_test(test_lsh_create_rejects_bad_params),
		cmocka_unit_test(test_lsh_real_time_calls_do_not_allocate),
		cmocka_unit_test(test_lsh_empty_index_returns_no_candidates),
		cmocka_unit_test(test_lsh_query_finds_identical_item_once_with_similarity_one),
		cmocka_unit_test(test_lsh_candidates_are_exactly_the_items_sharing_a_band),
		cmocka_unit_test(test_lsh_recall_follows_the_s_curve),
		cmocka_unit_test(test_lsh_growth_keeps_every_item_findable),
		cmocka_unit_test(test_lsh_refuses_incompatible_signatures),
		cmocka_unit_test(test_lsh_round_trip_answers_alike),
		cmocka_unit_test(test_lsh_every_corruption_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
