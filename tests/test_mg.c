// SPDX-License-Identifier: MIT
/*
 * Misra–Gries heavy hitters, through the public header only.
 *
 * The bounds are deterministic theorems, not probabilities: for every key,
 * lower <= f <= upper = lower + D, D <= N / (k + 1), and every key with
 * f > N / (k + 1) is monitored. They hold for any stream, so the cases assert
 * them exactly (no margins) on Zipf, adversarial, split and merged streams;
 * the ground truth is the exact map of counts (algorithms/exact.h).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "algorithms/mg.h"
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

/* Key of rank i: its decimal digits, so keys have 1 to 7 bytes. */
struct key {
	char b[12];
	size_t len;
};

static struct key key_of(uint32_t id)
{
	struct key k;

	k.len = (size_t)snprintf(k.b, sizeof(k.b), "%u", id);
	return k;
}

static void add_key(struct vx_mg *s, struct vx_exact_counts *ex, const void *key, size_t len,
		    uint64_t count)
{
	assert_int_equal(vx_mg_add(s, key, len, count), 0);
	if (ex)
		assert_true(vx_exact_counts_add(ex, key, len, count) >= 0);
}

static void add_ids(struct vx_mg *s, struct vx_exact_counts *ex, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct key k = key_of(ids[i]);

		add_key(s, ex, k.b, k.len, 1);
	}
}

static struct vx_mg *new_mg(size_t k, size_t max_key)
{
	struct vx_mg *s = NULL;

	assert_int_equal(vx_mg_create(&s, k, max_key), 0);
	assert_non_null(s);
	return s;
}

static struct vx_exact_counts *new_exact(void)
{
	struct vx_exact_counts *ex = NULL;

	assert_int_equal(vx_exact_counts_create(&ex), 0);
	return ex;
}

static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int r = n ? memcmp(a, b, n) : 0;

	return r ? r : (alen > blen) - (alen < blen);
}

/* The listing is ordered (counter descending, then key bytes ascending), and
 * each entry agrees with vx_mg_query(). */
static size_t check_items(const struct vx_mg *s, struct vx_mg_item *items, size_t k)
{
	size_t n = vx_mg_items(s, items, k);

	assert_true(n <= k);
	assert_int_equal(vx_mg_items(s, NULL, 0), n);
	for (size_t i = 0; i < n; i++) {
		uint64_t lo, up;

		assert_true(items[i].lower >= 1);
		assert_true(items[i].upper == items[i].lower + vx_mg_max_error(s));
		vx_mg_query(s, items[i].key, items[i].len, &lo, &up);
		assert_true(lo == items[i].lower && up == items[i].upper);
		if (i > 0) {
			assert_true(items[i - 1].lower >= items[i].lower);
			if (items[i - 1].lower == items[i].lower)
				assert_true(key_cmp(items[i - 1].key, items[i - 1].len, items[i].key,
						    items[i].len) < 0);
		}
	}
	return n;
}

/* Every guarantee of mg.h, checked for every key of the exact map:
 * lower <= f <= upper, f - N/(k+1) <= lower, D <= N/(k+1), total == N,
 * f > N/(k+1) => listed, and the invariant (k+1) D + sum of counters <= N.
 * Integer forms avoid rounding: x <= N/(k+1) is checked as x * (k+1) <= N
 * (no overflow: N < 2^40 here). */
static void check_bounds(const struct vx_mg *s, const struct vx_exact_counts *ex, size_t k)
{
	size_t nd = vx_exact_counts_distinct(ex), nitems;
	uint64_t n = vx_exact_counts_total(ex), d = vx_mg_max_error(s);
	struct vx_exact_item *all = malloc((nd ? nd : 1) * sizeof(*all));
	struct vx_mg_item *items = malloc(k * sizeof(*items));

	assert_non_null(all);
	assert_non_null(items);
	assert_true(vx_mg_total(s) == n);
	assert_true(d * (k + 1) <= n);
	nitems = check_items(s, items, k);
	/* The invariant behind the bound: (k + 1) * D + sum of counters <= N. */
	{
		uint64_t sum = 0;

		for (size_t i = 0; i < nitems; i++)
			sum += items[i].lower;
		assert_true(d * (k + 1) + sum <= n);
	}
	assert_int_equal(vx_exact_counts_top(ex, all, nd), (long)nd);
	for (size_t i = 0; i < nd; i++) {
		uint64_t f = all[i].count, lo, up;

		vx_mg_query(s, all[i].key, all[i].len, &lo, &up);
		assert_true(lo <= f);
		assert_true(f <= up);
		assert_true(up == lo + d);
		assert_true((f - lo) * (k + 1) <= n);
		if (f * (k + 1) > n) {
			size_t j = 0;

			assert_true(lo > 0);
			while (j < nitems && key_cmp(items[j].key, items[j].len, all[i].key,
						     all[i].len) != 0)
				j++;
			assert_true(j < nitems);
		}
	}
	/* Keys never added: lower 0, upper D. */
	{
		uint64_t lo, up;

		vx_mg_query(s, "\xff never added", 13, &lo, &up);
		assert_true(lo == 0 && up == d);
	}
	free(items);
	free(all);
}

/* --- cases ----------------------------------------------------------------- */

static void test_mg_create_rejects_bad_params(void **state)
{
	static const struct {
		size_t k, max_key;
		int ret;
	} cases[] = {
		{ 0, 8, -EINVAL },
		{ VX_MG_MAX_K + 1, 8, -EINVAL },
		{ 1, VX_MG_MAX_KEY_BYTES + 1, -EINVAL },
		{ VX_MG_MAX_ARENA / 1024 + 1, 1024, -EINVAL }, /* arena over the limit */
		{ SIZE_MAX, SIZE_MAX, -EINVAL },
		{ 1, 0, 0 },
		{ 1, VX_MG_MAX_KEY_BYTES, 0 },
		{ VX_MG_MAX_ARENA / 1024, 1024, 0 },
		{ 1000, 64, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_mg *s = NULL;

		assert_int_equal(vx_mg_create(&s, cases[i].k, cases[i].max_key), cases[i].ret);
		if (cases[i].ret == 0) {
			assert_true(vx_mg_footprint(s) >= cases[i].k * cases[i].max_key);
			assert_true(vx_mg_total(s) == 0 && vx_mg_max_error(s) == 0);
			assert_int_equal(vx_mg_items(s, NULL, 0), 0);
		}
		vx_mg_destroy(s);
	}
	vx_mg_destroy(NULL);
}

/* Boyer–Moore MJRTY, the reference for k = 1. */
struct bm {
	char cand;
	uint64_t count;
};

static void bm_step(struct bm *b, char c)
{
	if (b->count == 0) {
		b->cand = c;
		b->count = 1;
	} else if (c == b->cand) {
		b->count++;
	} else {
		b->count--;
	}
}

/* Run a sequence through MG(k=1) and MJRTY side by side: after every element
 * the monitored item is the candidate with the same count (none when the
 * count is 0), and a majority element, if any, is the final candidate. */
static void check_boyer_moore(const char *seq, size_t n)
{
	struct vx_mg *s = new_mg(1, 1);
	struct bm b = { 0, 0 };
	struct vx_mg_item it;
	size_t tally[256] = { 0 };

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vx_mg_add(s, &seq[i], 1, 1), 0);
		bm_step(&b, seq[i]);
		tally[(unsigned char)seq[i]]++;
		if (b.count == 0) {
			assert_int_equal(vx_mg_items(s, &it, 1), 0);
		} else {
			assert_int_equal(vx_mg_items(s, &it, 1), 1);
			assert_int_equal(it.len, 1);
			assert_int_equal(*(const char *)it.key, b.cand);
			assert_true(it.lower == b.count);
		}
	}
	for (size_t c = 0; c < 256; c++)
		if (2 * tally[c] > n) {
			assert_int_equal(vx_mg_items(s, &it, 1), 1);
			assert_int_equal(*(const unsigned char *)it.key, c);
		}
	vx_mg_destroy(s);
}

static void test_mg_k1_is_boyer_moore_majority_vote(void **state)
{
	static const char *table[] = {
		"", "a", "aa", "ab", "ba", "aab", "aba", "baa", "abb", "abc",
		"aabb", "abab", "abba", "aaabb", "ababa", "babaa", "abcabca",
		"aaaabbbbc", "abcdeaaaa", "bbbaaaaac", "abacada", "cabbage",
		"aaaaabbbbbb", "abcdefgha",
	};
	uint64_t rng = 42;
	char seq[64];

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		check_boyer_moore(table[i], strlen(table[i]));
	/* Random sequences over 2 to 4 letters, some with a forced majority. */
	for (int t = 0; t < 3000; t++) {
		size_t n = 1 + vx_rand64(&rng) % sizeof(seq);
		unsigned letters = 2 + (unsigned)(vx_rand64(&rng) % 3);
		bool major = t % 2;

		for (size_t i = 0; i < n; i++)
			seq[i] = (char)('a' + vx_rand64(&rng) % letters);
		if (major)
			for (size_t i = 0; i < n / 2 + 1; i++)
				seq[vx_rand64(&rng) % n] = 'z';
		check_boyer_moore(seq, n);
	}
}

static void test_mg_bounds_hold_on_zipf_stream(void **state)
{
	/* 10^6 items, Zipf s = 1.1 over 10^5 keys of 1 to 5 bytes. */
	const size_t n = 1000000, m = 100000;
	static const size_t ks[] = { 10, 100, 1000 };
	uint32_t *ids = zipf_stream(n, m, 1.1, 1);
	struct vx_exact_counts *ex = new_exact();

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct key k = key_of(ids[i]);

		assert_true(vx_exact_counts_add(ex, k.b, k.len, 1) >= 0);
	}
	for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
		struct vx_mg *s = new_mg(ks[j], 8);

		add_ids(s, NULL, ids, n);
		check_bounds(s, ex, ks[j]);
		vx_mg_destroy(s);
	}
	vx_exact_counts_destroy(ex);
	free(ids);
}

static void test_mg_round_robin_of_k_plus_1_keys_meets_the_bound_exactly(void **state)
{
	/* k + 1 keys in turn: each arrival of the (k+1)-th empties the table,
	 * so nothing survives and D = N / (k + 1) = f: the bound is tight. */
	const size_t k = 10, rounds = 1000;
	struct vx_mg *s = new_mg(k, 8);
	struct vx_exact_counts *ex = new_exact();

	(void)state;
	for (size_t r = 0; r < rounds; r++)
		for (uint32_t i = 0; i <= k; i++) {
			struct key key = key_of(i);

			add_key(s, ex, key.b, key.len, 1);
		}
	check_bounds(s, ex, k);
	assert_true(vx_mg_max_error(s) == rounds);
	assert_int_equal(vx_mg_items(s, NULL, 0), 0);
	vx_mg_destroy(s);
	vx_exact_counts_destroy(ex);
}

static void test_mg_late_heavy_hitter_after_singletons_is_reported(void **state)
{
	/* 10^5 distinct singletons fill and churn the table; then a key with
	 * f = 10^4 + 1 > N / (k + 1) = 110001 / 11 arrives, one by one in one
	 * stream and as a single weighted add in the other. */
	const size_t k = 10, singles = 100000;
	const uint64_t heavy = singles / k + 1;

	(void)state;
	for (int weighted = 0; weighted < 2; weighted++) {
		struct vx_mg *s = new_mg(k, 16);
		struct vx_exact_counts *ex = new_exact();
		uint64_t lo;

		for (uint32_t i = 0; i < singles; i++) {
			char b[16];
			int len = snprintf(b, sizeof(b), "s%u", i);

			add_key(s, ex, b, (size_t)len, 1);
		}
		if (weighted)
			add_key(s, ex, "HEAVY", 5, heavy);
		else
			for (uint64_t i = 0; i < heavy; i++)
				add_key(s, ex, "HEAVY", 5, 1);
		check_bounds(s, ex, k);
		vx_mg_query(s, "HEAVY", 5, &lo, NULL);
		assert_true(lo >= heavy - vx_mg_max_error(s) && lo > 0);
		vx_mg_destroy(s);
		vx_exact_counts_destroy(ex);
	}
}

static void test_mg_bounds_hold_on_sorted_streams(void **state)
{
	(void)state;
	for (int desc = 0; desc < 2; desc++) {
		/* Key i repeated i times, i = 1..1000, ascending or descending. */
		struct vx_mg *s = new_mg(50, 8);
		struct vx_exact_counts *ex = new_exact();

		for (uint32_t j = 1; j <= 1000; j++) {
			struct key key = key_of(desc ? 1001 - j : j);

			for (uint32_t r = 0; r < (desc ? 1001 - j : j); r++)
				add_key(s, ex, key.b, key.len, 1);
		}
		check_bounds(s, ex, 50);
		vx_mg_destroy(s);
		vx_exact_counts_destroy(ex);

		/* Key i repeated 2^i times, i = 0..15: N = 2^16 - 1, and with
		 * k = 3 both 2^15 and 2^14 exceed N / 4 and must be reported. */
		s = new_mg(3, 8);
		ex = new_exact();
		for (uint32_t j = 0; j < 16; j++) {
			uint32_t i = desc ? 15 - j : j;
			struct key key = key_of(i);

			for (uint32_t r = 0; r < 1u << i; r++)
				add_key(s, ex, key.b, key.len, 1);
		}
		check_bounds(s, ex, 3);
		vx_mg_destroy(s);
		vx_exact_counts_destroy(ex);
	}
}

/* Two sketches hold the same items with the same counters and errors. */
static void assert_same_sketch(const struct vx_mg *a, const struct vx_mg *b, size_t k)
{
	struct vx_mg_item *ia = malloc(k * sizeof(*ia)), *ib = malloc(k * sizeof(*ib));
	size_t n;

	assert_non_null(ia);
	assert_non_null(ib);
	n = vx_mg_items(a, ia, k);
	assert_int_equal(vx_mg_items(b, ib, k), n);
	assert_true(vx_mg_total(a) == vx_mg_total(b));
	assert_true(vx_mg_max_error(a) == vx_mg_max_error(b));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ia[i].len, ib[i].len);
		if (ia[i].len)
			assert_memory_equal(ia[i].key, ib[i].key, ia[i].len);
		assert_true(ia[i].lower == ib[i].lower && ia[i].upper == ib[i].upper);
	}
	free(ia);
	free(ib);
}

static void test_mg_weighted_add_equals_repeated_unit_adds(void **state)
{
	/* Lowering the newcomer and the counters together until one reaches
	 * zero is what w unit adds do one at a time. */
	uint64_t rng = 7;

	(void)state;
	for (int t = 0; t < 50; t++) {
		size_t k = 1 + (size_t)(vx_rand64(&rng) % 8);
		struct vx_mg *w = new_mg(k, 8), *u = new_mg(k, 8);
		struct vx_exact_counts *ex = new_exact();

		for (int i = 0; i < 300; i++) {
			struct key key = key_of((uint32_t)(vx_rand64(&rng) % 20));
			uint64_t c = 1 + vx_rand64(&rng) % 12;

			add_key(w, ex, key.b, key.len, c);
			for (uint64_t j = 0; j < c; j++)
				add_key(u, NULL, key.b, key.len, 1);
		}
		assert_same_sketch(w, u, k);
		check_bounds(w, ex, k);
		vx_mg_destroy(w);
		vx_mg_destroy(u);
		vx_exact_counts_destroy(ex);
	}
}

static void test_mg_merge_keeps_the_bounds_of_the_whole_stream(void **state)
{
	const size_t n = 1000000, m = 100000, k = 100, parts = 8;
	uint32_t *ids = zipf_stream(n, m, 1.1, 2);
	struct vx_exact_counts *ex = new_exact();
	struct vx_mg *a = new_mg(k, 8), *b = new_mg(k, 8), *acc = new_mg(k, 8);

	(void)state;
	/* Two halves. */
	add_ids(a, ex, ids, n / 2);
	add_ids(b, ex, ids + n / 2, n - n / 2);
	assert_int_equal(vx_mg_merge(a, b), 0);
	check_bounds(a, ex, k);

	/* Eight parts folded one by one into an empty sketch. */
	for (size_t p = 0; p < parts; p++) {
		struct vx_mg *part = new_mg(k, 8);

		add_ids(part, NULL, ids + p * (n / parts), n / parts);
		assert_int_equal(vx_mg_merge(acc, part), 0);
		vx_mg_destroy(part);
	}
	check_bounds(acc, ex, k);
	vx_mg_destroy(a);
	vx_mg_destroy(b);
	vx_mg_destroy(acc);
	vx_exact_counts_destroy(ex);
	free(ids);
}

static void test_mg_merge_of_disjoint_streams_cuts_and_keeps_the_bounds(void **state)
{
	/* Two streams on disjoint keys, each filling its sketch: the merge must
	 * lower everything by the (k+1)-th largest counter. */
	const size_t k = 20;
	struct vx_exact_counts *ex = new_exact();
	struct vx_mg *a = new_mg(k, 8), *b = new_mg(k, 8);
	uint64_t rng = 3;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint32_t r = (uint32_t)(vx_rand64(&rng) % 40);
		char key[8];
		int len = snprintf(key, sizeof(key), "%c%u", i % 2 ? 'a' : 'b', r * r % 97);

		add_key(i % 2 ? a : b, ex, key, (size_t)len, 1 + r % 3);
	}
	assert_int_equal(vx_mg_merge(a, b), 0);
	check_bounds(a, ex, k);
	assert_true(vx_mg_max_error(a) > vx_mg_max_error(b));
	vx_mg_destroy(a);
	vx_mg_destroy(b);
	vx_exact_counts_destroy(ex);
}

static void test_mg_merge_with_empty_or_itself(void **state)
{
	const size_t k = 16;
	uint32_t *ids = zipf_stream(20000, 500, 1.1, 4);
	struct vx_exact_counts *twice = new_exact();
	struct vx_mg *s = new_mg(k, 8), *empty = new_mg(k, 8), *copy = new_mg(k, 8);

	(void)state;
	add_ids(s, twice, ids, 20000);
	add_ids(copy, twice, ids, 20000);
	/* Merging an empty sketch, either way round, changes nothing. */
	assert_int_equal(vx_mg_merge(copy, empty), 0);
	assert_same_sketch(copy, s, k);
	assert_int_equal(vx_mg_merge(empty, s), 0);
	assert_same_sketch(empty, s, k);
	/* A sketch merged with itself summarises the stream twice. */
	assert_int_equal(vx_mg_merge(s, s), 0);
	check_bounds(s, twice, k);
	vx_mg_destroy(s);
	vx_mg_destroy(empty);
	vx_mg_destroy(copy);
	vx_exact_counts_destroy(twice);
	free(ids);
}

static void test_mg_keys_of_different_lengths_are_distinct(void **state)
{
	/* The empty key, prefixes of one another, and bytes with NULs. */
	static const struct {
		const char *key;
		size_t len;
		uint64_t count;
	} keys[] = {
		{ "", 0, 5 }, { "a", 1, 4 }, { "aa", 2, 3 }, { "a\0", 2, 2 },
		{ "\0", 1, 6 }, { "\0\0", 2, 1 }, { "aaaaaaaa", 8, 7 },
	};
	const size_t nk = sizeof(keys) / sizeof(keys[0]);
	struct vx_mg *s = new_mg(nk, 8);
	struct vx_exact_counts *ex = new_exact();
	struct vx_mg_item items[8];
	uint64_t lo, up;

	(void)state;
	for (size_t i = 0; i < nk; i++)
		add_key(s, ex, keys[i].key, keys[i].len, keys[i].count);
	/* NULL with length 0 is the empty key. */
	assert_int_equal(vx_mg_add(s, NULL, 0, 1), 0);
	assert_true(vx_exact_counts_add(ex, "", 0, 1) >= 0);
	for (size_t i = 0; i < nk; i++) {
		vx_mg_query(s, keys[i].key, keys[i].len, &lo, &up);
		assert_true(lo == keys[i].count + (keys[i].len == 0));
		assert_true(up == lo); /* k counters for k keys: no decrement ever */
	}
	vx_mg_query(s, NULL, 0, &lo, NULL);
	assert_true(lo == 6);
	assert_int_equal(check_items(s, items, 8), nk);
	/* 7, then the tie at 6 by key bytes: "" (a prefix of all) before "\0". */
	assert_int_equal(items[0].len, 8);
	assert_int_equal(items[1].len, 0);
	assert_int_equal(items[2].len, 1);
	assert_int_equal(*(const char *)items[2].key, 0);
	check_bounds(s, ex, nk);
	vx_mg_destroy(s);
	vx_exact_counts_destroy(ex);
}

static void test_mg_too_long_key_returns_e2big_and_changes_nothing(void **state)
{
	struct vx_mg *s = new_mg(4, 5), *small = new_mg(4, 7);
	uint64_t lo, up;

	(void)state;
	assert_int_equal(vx_mg_add(s, "12345", 5, 1), 0);
	assert_int_equal(vx_mg_add(s, "123456", 6, 1), -E2BIG);
	assert_int_equal(vx_mg_add(s, "123456", 6, 0), -E2BIG);
	assert_true(vx_mg_total(s) == 1);
	assert_int_equal(vx_mg_items(s, NULL, 0), 1);
	vx_mg_query(s, "123456", 6, &lo, &up);
	assert_true(lo == 0 && up == 0);
	/* An integer key is 8 bytes. */
	assert_int_equal(vx_mg_add_u64(small, 1, 1), -E2BIG);
	assert_true(vx_mg_total(small) == 0);
	vx_mg_destroy(s);
	vx_mg_destroy(small);
}

static void test_mg_u64_keys_are_their_little_endian_bytes(void **state)
{
	static const unsigned char three[8] = { 3, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char big[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	struct vx_mg *s = new_mg(8, 8);
	uint64_t lo, up;

	(void)state;
	/* Burst lengths: 3 three times, a long one once, 0 twice. */
	assert_int_equal(vx_mg_add_u64(s, 3, 2), 0);
	assert_int_equal(vx_mg_add(s, three, 8, 1), 0);
	assert_int_equal(vx_mg_add_u64(s, 0x0102030405060708ULL, 1), 0);
	assert_int_equal(vx_mg_add_u64(s, 0, 2), 0);
	vx_mg_query_u64(s, 3, &lo, &up);
	assert_true(lo == 3 && up == 3);
	vx_mg_query(s, big, 8, &lo, NULL);
	assert_true(lo == 1);
	vx_mg_query_u64(s, 0, &lo, NULL);
	assert_true(lo == 2);
	vx_mg_query_u64(s, 4, &lo, NULL);
	assert_true(lo == 0);
	assert_int_equal(vx_mg_items(s, NULL, 0), 3);
	vx_mg_destroy(s);
}

static void test_mg_items_lists_the_top_cap_in_order(void **state)
{
	/* Counters 1..30 on 30 keys in scrambled order, plus ties. */
	struct vx_mg *s = new_mg(40, 8);
	struct vx_mg_item all[40], top[5];

	(void)state;
	for (uint32_t i = 0; i < 30; i++) {
		uint32_t j = (i * 17) % 30;
		struct key key = key_of(1000 + j);

		assert_int_equal(vx_mg_add(s, key.b, key.len, j / 2 + 1), 0);
	}
	assert_int_equal(check_items(s, all, 40), 30);
	for (size_t cap = 0; cap <= 5; cap++) {
		assert_int_equal(vx_mg_items(s, top, cap), 30);
		for (size_t i = 0; i < cap; i++) {
			assert_true(top[i].lower == all[i].lower);
			assert_int_equal(key_cmp(top[i].key, top[i].len, all[i].key, all[i].len), 0);
		}
	}
	assert_true(all[0].lower == 15 && all[1].lower == 15);
	assert_memory_equal(all[0].key, "1028", 4);
	assert_memory_equal(all[1].key, "1029", 4);
	vx_mg_destroy(s);
}

static void test_mg_add_past_uint64_max_returns_eoverflow(void **state)
{
	struct vx_mg *s = new_mg(2, 8), *t = new_mg(2, 8);
	uint64_t lo;

	(void)state;
	assert_int_equal(vx_mg_add(s, "a", 1, UINT64_MAX - 1), 0);
	assert_int_equal(vx_mg_add(s, "b", 1, 2), -EOVERFLOW);
	assert_int_equal(vx_mg_add(s, "b", 1, 1), 0);
	assert_true(vx_mg_total(s) == UINT64_MAX);
	assert_int_equal(vx_mg_add(t, "a", 1, 1), 0);
	assert_int_equal(vx_mg_merge(s, t), -EOVERFLOW);
	vx_mg_query(s, "a", 1, &lo, NULL);
	assert_true(lo == UINT64_MAX - 1 && vx_mg_total(s) == UINT64_MAX);
	vx_mg_destroy(s);
	vx_mg_destroy(t);
}

/* --- serialization --------------------------------------------------------- */

/* A sketch that has seen decrements, merges and odd keys. */
static struct vx_mg *sample_sketch(size_t k)
{
	struct vx_mg *s = new_mg(k, 12), *t = new_mg(k, 12);
	uint64_t rng = 5;

	for (int i = 0; i < 2000; i++) {
		struct key key = key_of((uint32_t)(vx_rand64(&rng) % 50 * (vx_rand64(&rng) % 3)));

		assert_int_equal(vx_mg_add(i % 3 ? s : t, key.b, key.len, 1 + (uint64_t)i % 4), 0);
	}
	assert_int_equal(vx_mg_add(s, NULL, 0, 3000), 0);
	assert_int_equal(vx_mg_add(s, "\0\xff\0", 3, 2500), 0);
	assert_int_equal(vx_mg_merge(s, t), 0);
	vx_mg_destroy(t);
	return s;
}

static uint8_t *serialize(const struct vx_mg *s, size_t *len)
{
	ssize_t n = vx_mg_serialize(s, NULL, 0);
	uint8_t *buf;

	assert_true(n > VX_SER_OVERHEAD);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(vx_mg_serialize(s, buf, (size_t)n), n);
	*len = (size_t)n;
	return buf;
}

/* Recompute the envelope's checksum after editing a buffer on purpose. */
static void reseal(uint8_t *buf, size_t len)
{
	uint64_t h = vx_hash64(buf, len - 8);

	for (int i = 0; i < 8; i++)
		buf[len - 8 + (size_t)i] = (uint8_t)(h >> (8 * i));
}

static void test_mg_serialize_round_trip_is_exact(void **state)
{
	static const size_t ks[] = { 1, 5, 64 };

	(void)state;
	for (size_t j = 0; j < 3; j++) {
		struct vx_mg *s = sample_sketch(ks[j]), *r = NULL;
		size_t len, len2;
		uint8_t *buf = serialize(s, &len), *buf2;

		assert_int_equal(vx_mg_deserialize(&r, buf, len), 0);
		assert_same_sketch(s, r, ks[j]);
		assert_int_equal(vx_mg_footprint(s), vx_mg_footprint(r));
		buf2 = serialize(r, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(buf, buf2, len);
		/* Both stay usable and keep agreeing. */
		assert_int_equal(vx_mg_add(s, "x", 1, 9), 0);
		assert_int_equal(vx_mg_add(r, "x", 1, 9), 0);
		assert_same_sketch(s, r, ks[j]);
		assert_int_equal(vx_mg_serialize(s, buf, len - 1), -ENOSPC);
		free(buf);
		free(buf2);
		vx_mg_destroy(s);
		vx_mg_destroy(r);
	}
}

static void test_mg_serialization_is_independent_of_insertion_order(void **state)
{
	struct vx_mg *a = new_mg(8, 8), *b = new_mg(8, 8);
	size_t la, lb;
	uint8_t *ba, *bb;

	(void)state;
	for (uint32_t i = 0; i < 6; i++) {
		struct key x = key_of(i), y = key_of(5 - i);

		assert_int_equal(vx_mg_add(a, x.b, x.len, 10 + i), 0);
		assert_int_equal(vx_mg_add(b, y.b, y.len, 15 - i), 0);
	}
	ba = serialize(a, &la);
	bb = serialize(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(ba, bb, la);
	free(ba);
	free(bb);
	vx_mg_destroy(a);
	vx_mg_destroy(b);
}

static void test_mg_every_bit_flip_and_truncation_is_rejected(void **state)
{
	struct vx_mg *s = sample_sketch(6), *r = NULL;
	size_t len;
	uint8_t *buf = serialize(s, &len);

	(void)state;
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(vx_mg_deserialize(&r, buf, len), -EINVAL);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	for (size_t n = 0; n < len; n++)
		assert_int_equal(vx_mg_deserialize(&r, buf, n), -EINVAL);
	assert_int_equal(vx_mg_deserialize(&r, NULL, 0), -EINVAL);
	/* The right bytes under another sketch's type tag. */
	buf[5] = VX_SER_CMS;
	reseal(buf, len);
	assert_int_equal(vx_mg_deserialize(&r, buf, len), -EINVAL);
	buf[5] = VX_SER_MG;
	reseal(buf, len);
	assert_int_equal(vx_mg_deserialize(&r, buf, len), 0);
	vx_mg_destroy(r);
	vx_mg_destroy(s);
	free(buf);
}

/* Payloads in the documented format with a correct checksum, so that only
 * the sketch's own validation stands between them and a broken sketch. */
struct entry {
	const char *key;
	uint32_t len;
	uint64_t count;
};

static const struct entry good[] = { { "", 0, 4 }, { "a", 1, 3 }, { "ab", 2, 1 } };

static ssize_t forge(uint8_t *buf, size_t cap, uint32_t k, uint32_t max_key, uint64_t total,
		     uint64_t dec, uint32_t n, const struct entry *e, size_t ne, bool trailing)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, VX_SER_MG);
	vx_ser_u32(&w, k);
	vx_ser_u32(&w, max_key);
	vx_ser_u64(&w, total);
	vx_ser_u64(&w, dec);
	vx_ser_u32(&w, n);
	for (size_t i = 0; i < ne; i++) {
		vx_ser_u32(&w, e[i].len);
		vx_ser_bytes(&w, e[i].key, e[i].len);
		vx_ser_u64(&w, e[i].count);
	}
	if (trailing)
		vx_ser_u8(&w, 0);
	return vx_ser_finish(&w);
}

static int try_forged(uint32_t k, uint32_t max_key, uint64_t total, uint64_t dec, uint32_t n,
		      const struct entry *e, size_t ne, bool trailing)
{
	uint8_t buf[256];
	struct vx_mg *s = NULL;
	ssize_t len = forge(buf, sizeof(buf), k, max_key, total, dec, n, e, ne, trailing);
	int ret;

	assert_true(len > 0);
	ret = vx_mg_deserialize(&s, buf, (size_t)len);
	if (ret == 0) {
		uint8_t again[256];

		/* Accepted means canonical: it serializes to the same bytes. */
		assert_int_equal(vx_mg_serialize(s, again, sizeof(again)), len);
		assert_memory_equal(again, buf, (size_t)len);
	}
	vx_mg_destroy(s);
	return ret;
}

static void test_mg_deserialize_rejects_forged_payloads(void **state)
{
	const struct entry unordered[] = { { "a", 1, 3 }, { "", 0, 4 }, { "ab", 2, 1 } };
	const struct entry twice[] = { { "a", 1, 3 }, { "a", 1, 4 }, { "ab", 2, 1 } };
	const struct entry zero[] = { { "", 0, 4 }, { "a", 1, 0 }, { "ab", 2, 1 } };
	const struct entry huge[] = { { "", 0, UINT64_MAX }, { "a", 1, 2 }, { "ab", 2, 1 } };

	(void)state;
	/* The control: N = 8 = sum, D = 0; N = 28 allows D = (28 - 8) / 5 = 4. */
	assert_int_equal(try_forged(4, 2, 8, 0, 3, good, 3, false), 0);
	assert_int_equal(try_forged(4, 2, 28, 4, 3, good, 3, false), 0);
	assert_int_equal(try_forged(3, 2, 8, 0, 3, good, 3, false), 0);
	assert_int_equal(try_forged(1, 0, 0, 0, 0, NULL, 0, false), 0);

	assert_int_equal(try_forged(0, 2, 8, 0, 3, good, 3, false), -EINVAL);   /* k = 0 */
	assert_int_equal(try_forged(VX_MG_MAX_K + 1, 2, 8, 0, 3, good, 3, false), -EINVAL);
	assert_int_equal(try_forged(4, VX_MG_MAX_KEY_BYTES + 1, 8, 0, 3, good, 3, false),
			 -EINVAL);
	assert_int_equal(try_forged(VX_MG_MAX_K, 1024, 8, 0, 3, good, 3, false), -EINVAL);
	assert_int_equal(try_forged(2, 2, 8, 0, 3, good, 3, false), -EINVAL);   /* n > k */
	assert_int_equal(try_forged(4, 1, 8, 0, 3, good, 3, false), -EINVAL);   /* key > max */
	assert_int_equal(try_forged(4, 2, 7, 0, 3, good, 3, false), -EINVAL);   /* sum > N */
	assert_int_equal(try_forged(4, 2, 28, 5, 3, good, 3, false), -EINVAL);  /* 5D + 8 > N */
	assert_int_equal(try_forged(4, 2, 8, 0, 4, good, 3, false), -EINVAL);   /* n > entries */
	assert_int_equal(try_forged(4, 2, 8, 0, 2, good, 3, false), -EINVAL);   /* n < entries */
	assert_int_equal(try_forged(4, 2, 8, 0, 3, good, 3, true), -EINVAL);    /* trailing */
	assert_int_equal(try_forged(4, 2, 8, 0, 3, unordered, 3, false), -EINVAL);
	assert_int_equal(try_forged(4, 2, 8, 0, 3, twice, 3, false), -EINVAL);
	assert_int_equal(try_forged(4, 2, 8, 0, 3, zero, 3, false), -EINVAL);
	assert_int_equal(try_forged(4, 2, UINT64_MAX, 0, 3, huge, 3, false), -EINVAL);
}

static void test_mg_merge_rejects_incompatible_sketches(void **state)
{
	struct vx_mg *a = new_mg(8, 8), *k9 = new_mg(9, 8), *wide = new_mg(8, 9);

	(void)state;
	assert_int_equal(vx_mg_add(k9, "x", 1, 1), 0);
	assert_int_equal(vx_mg_add(wide, "x", 1, 1), 0);
	assert_int_equal(vx_mg_merge(a, k9), -EINVAL);
	assert_int_equal(vx_mg_merge(k9, a), -EINVAL);
	assert_int_equal(vx_mg_merge(a, wide), -EINVAL);
	assert_true(vx_mg_total(a) == 0);
	vx_mg_destroy(a);
	vx_mg_destroy(k9);
	vx_mg_destroy(wide);
}

static void test_mg_add_query_merge_do_not_allocate(void **state)
{
	const size_t k = 64;
	struct vx_mg *s = new_mg(k, 8), *t = new_mg(k, 8);
	struct vx_mg_item items[64];
	uint8_t buf[4096];
	uint64_t rng = 9, lo, up, sum = 0;

	(void)state;
	allocs = 0;
	allocs_armed = true;
	/* Enough distinct keys to run many decrement steps. */
	for (int i = 0; i < 100000; i++) {
		uint64_t x = vx_rand64(&rng) % 1000;

		sum += (uint64_t)vx_mg_add_u64(i % 2 ? s : t, x * x, 1 + x % 3) != 0;
		vx_mg_query_u64(s, x, &lo, &up);
	}
	sum += vx_mg_merge(s, t) != 0;
	sum += vx_mg_items(s, items, k) > k;
	sum += vx_mg_serialize(s, buf, sizeof(buf)) <= 0;
	allocs_armed = false;
	assert_true(sum == 0);
	if (COUNT_ALLOCS)
		assert_int_equal(allocs, 0);
	vx_mg_destroy(s);
	vx_mg_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mg_create_rejects_bad_params),
		cmocka_unit_test(test_mg_k1_is_boyer_moore_majority_vote),
		cmocka_unit_test(test_mg_bounds_hold_on_zipf_stream),
		cmocka_unit_test(test_mg_round_robin_of_k_plus_1_keys_meets_the_bound_exactly),
		cmocka_unit_test(test_mg_late_heavy_hitter_after_singletons_is_reported),
		cmocka_unit_test(test_mg_bounds_hold_on_sorted_streams),
		cmocka_unit_test(test_mg_weighted_add_equals_repeated_unit_adds),
		cmocka_unit_test(test_mg_merge_keeps_the_bounds_of_the_whole_stream),
		cmocka_unit_test(test_mg_merge_of_disjoint_streams_cuts_and_keeps_the_bounds),
		cmocka_unit_test(test_mg_merge_with_empty_or_itself),
		cmocka_unit_test(test_mg_keys_of_different_lengths_are_distinct),
		cmocka_unit_test(test_mg_too_long_key_returns_e2big_and_changes_nothing),
		cmocka_unit_test(test_mg_u64_keys_are_their_little_endian_bytes),
		cmocka_unit_test(test_mg_items_lists_the_top_cap_in_order),
		cmocka_unit_test(test_mg_add_past_uint64_max_returns_eoverflow),
		cmocka_unit_test(test_mg_serialize_round_trip_is_exact),
		cmocka_unit_test(test_mg_serialization_is_independent_of_insertion_order),
		cmocka_unit_test(test_mg_every_bit_flip_and_truncation_is_rejected),
		cmocka_unit_test(test_mg_deserialize_rejects_forged_payloads),
		cmocka_unit_test(test_mg_merge_rejects_incompatible_sketches),
		cmocka_unit_test(test_mg_add_query_merge_do_not_allocate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
