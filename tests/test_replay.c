// SPDX-License-Identifier: MIT
/*
 * The anti-replay window: a numbered table of cases in the style of WireGuard's
 * replay self-test (each row is checked both by the window and by a naive model,
 * so a wrong expectation in the table shows up too), then the window against the
 * naive set-based model over 10^6 reordered, duplicated and forged counters.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "transport/replay.h"

#define W    ((uint64_t)VX_REPLAY_WINDOW)
#define BITS ((uint64_t)VX_REPLAY_BITS)
#define MAXC UINT64_MAX

/*
 * The naive model: the set of accepted counters (a sorted array, small here) and
 * the highest. New means above the highest, or within W of it and not in the set.
 */
struct model {
	uint64_t seen[256];
	size_t n;
	uint64_t top;
	bool any;
};

static int model_check(const struct model *m, uint64_t c)
{
	if (!m->any || c > m->top)
		return 0;
	if (m->top - c > W)
		return -ERANGE;
	for (size_t i = 0; i < m->n; i++)
		if (m->seen[i] == c)
			return -EALREADY;
	return 0;
}

static void model_add(struct model *m, uint64_t c)
{
	assert_true(m->n < 256);
	m->seen[m->n++] = c;
	if (!m->any || c > m->top)
		m->top = c;
	m->any = true;
}

enum op { INIT, T, FORGED };

struct row {
	enum op op;
	uint64_t counter;
	int want; /* 0 accepted, -EALREADY, -ERANGE */
};

#define OK  0
#define DUP (-EALREADY)
#define OLD (-ERANGE)

static const struct row table[] = {
	{ INIT, 0, 0 },
	/*  1 */ { T, 0, OK },              /* counters start at 0 */
	/*  2 */ { T, 1, OK },
	/*  3 */ { T, 1, DUP },             /* a replay */
	/*  4 */ { T, 0, DUP },
	/*  5 */ { T, 9, OK },              /* a gap: 2..8 in flight */
	/*  6 */ { T, 8, OK },              /* late ones are fine ... */
	/*  7 */ { T, 7, OK },
	/*  8 */ { T, 7, DUP },             /* ... once */
	/*  9 */ { T, 9 + W - 1, OK },      /* ahead by window - 1: 9 now W - 1 behind */
	/* 10 */ { T, 9, DUP },             /* still remembered */
	/* 11 */ { T, 8, DUP },             /* exactly W behind: remembered */
	/* 12 */ { T, 7, OLD },             /* W + 1 behind: out of the window */
	/* 13 */ { T, 10, OK },             /* W - 2 behind, never seen */
	/* 14 */ { T, 9 + W, OK },          /* ahead by one */
	/* 15 */ { T, 8, OLD },
	/* 16 */ { T, 9, DUP },             /* exactly W behind */
	/* 17 */ { T, 9 + 2 * W, OK },      /* ahead by exactly the window */
	/* 18 */ { T, 9 + W, DUP },         /* the old top, exactly W behind */
	/* 19 */ { T, 8 + W, OLD },
	/* 20 */ { T, 8 + 2 * W, OK },
	/* 21 */ { T, 10 + 3 * W, OK },     /* ahead by window + 1 */
	/* 22 */ { T, 9 + 2 * W, OLD },     /* seen, but W + 1 behind: refused by distance */
	/* 23 */ { T, 10 + 2 * W, OK },     /* exactly W behind, never seen */
	/* 24 */ { T, 10 + 2 * W, DUP },
	/* 25 */ { FORGED, 11 + 3 * W, OK },  /* checks fine, but its tag fails ... */
	/* 26 */ { T, 11 + 3 * W, OK },       /* ... so it was not marked */
	/* 27 */ { FORGED, MAXC, OK },         /* a forged jump to the end ... */
	/* 28 */ { T, 11 + 2 * W, OK },       /* ... did not move the window */
	/* 29 */ { T, 11 + 2 * W, DUP },
	/* 30 */ { T, 1ull << 40, OK },       /* a big jump clears the whole ring */
	/* 31 */ { T, (1ull << 40) - W, OK },
	/* 32 */ { T, (1ull << 40) - W - 1, OLD },
	/* 33 */ { T, 11 + 3 * W, OLD },
	/* 34 */ { T, (1ull << 40) - 1, OK },
	/* 35 */ { T, (1ull << 40) + BITS, OK },      /* a jump of exactly the ring */
	/* 36 */ { T, 1ull << 40, OLD },              /* same bit, BITS behind: distance */
	/* 37 */ { T, (1ull << 40) + BITS - W, OK },  /* same word as a cleared one */
	/* 38 */ { T, (1ull << 40) + BITS - 1, OK },
	/* 39 */ { T, MAXC - 1, OK },                 /* near the top of the range */
	/* 40 */ { T, MAXC, OK },                     /* the maximum counter is valid */
	/* 41 */ { T, MAXC, DUP },
	/* 42 */ { T, MAXC - 1, DUP },
	/* 43 */ { T, MAXC - W, OK },
	/* 44 */ { T, MAXC - W - 1, OLD },
	/* 45 */ { T, 0, OLD },
	/* 46 */ { T, MAXC - 2, OK },

	/* Word edges: top at bit 63 of a word, then bit 0 of the next. */
	{ INIT, 0, 0 },
	/* 47 */ { T, 63, OK },
	/* 48 */ { T, 64, OK },              /* advances into a fresh word */
	/* 49 */ { T, 63, DUP },             /* the previous word was kept */
	/* 50 */ { T, 0, OK },
	/* 51 */ { T, 64 + W, OK },          /* word 32: reuses slot 0, keeps slot 1 */
	/* 52 */ { T, 64, DUP },             /* exactly W behind: its word survived */
	/* 53 */ { T, 63, OLD },             /* W + 1 behind (and its slot was reused) */
	/* 54 */ { T, 65, OK },

	/* The first counter may be anything; nothing before it was seen. */
	{ INIT, 0, 0 },
	/* 55 */ { T, MAXC, OK },
	/* 56 */ { T, MAXC - W, OK },
	/* 57 */ { T, MAXC - W - 1, OLD },
	{ INIT, 0, 0 },
	/* 58 */ { T, W, OK },
	/* 59 */ { T, 0, OK },               /* exactly W behind the first */
	/* 60 */ { T, 0, DUP },
};

static void run_table(const struct row *rows, size_t n, unsigned *num)
{
	struct vx_replay r;
	struct model m = { 0 };

	vx_replay_init(&r);
	for (size_t i = 0; i < n; i++) {
		const struct row *t = &rows[i];
		int got, naive;

		if (t->op == INIT) {
			vx_replay_init(&r);
			memset(&m, 0, sizeof(m));
			continue;
		}
		++*num;
		naive = model_check(&m, t->counter);
		if (naive != t->want)
			fail_msg("replay case %u: the table says %d, the naive model %d", *num,
				 t->want, naive);
		got = vx_replay_check(&r, t->counter);
		if (got != t->want)
			fail_msg("replay case %u: check %d, want %d", *num, got, t->want);
		if (t->op == FORGED)
			continue;
		got = vx_replay_update(&r, t->counter);
		if (got != t->want)
			fail_msg("replay case %u: update %d, want %d", *num, got, t->want);
		if (got == 0)
			model_add(&m, t->counter);
	}
}

static void test_replay_numbered_cases(void **state)
{
	unsigned num = 0;

	(void)state;
	run_table(table, sizeof(table) / sizeof(table[0]), &num);
	assert_int_equal(num, 60);
}

/*
 * Whole windows, as WireGuard's self-test ends: fill the window in ascending
 * and descending order and probe both of its ends.
 */
static void test_replay_full_window_ascending_then_its_far_end(void **state)
{
	struct vx_replay r;

	(void)state;
	vx_replay_init(&r);
	for (uint64_t i = 1; i <= W; i++)
		assert_int_equal(vx_replay_update(&r, i), 0);
	assert_int_equal(vx_replay_update(&r, 0), 0);         /* exactly W behind */
	assert_int_equal(vx_replay_update(&r, 0), -EALREADY);
	for (uint64_t i = 0; i <= W; i++)
		assert_int_equal(vx_replay_check(&r, i), -EALREADY);

	vx_replay_init(&r);
	for (uint64_t i = 2; i <= W + 1; i++)
		assert_int_equal(vx_replay_update(&r, i), 0);
	assert_int_equal(vx_replay_update(&r, 1), 0);
	assert_int_equal(vx_replay_update(&r, 0), -ERANGE);
}

static void test_replay_full_window_descending(void **state)
{
	struct vx_replay r;

	(void)state;
	vx_replay_init(&r);
	for (uint64_t i = W + 1; i-- > 0;)
		assert_int_equal(vx_replay_update(&r, i), 0);

	vx_replay_init(&r);
	for (uint64_t i = W + 2; i-- > 1;)
		assert_int_equal(vx_replay_update(&r, i), 0);
	assert_int_equal(vx_replay_update(&r, 0), -ERANGE);

	vx_replay_init(&r);
	for (uint64_t i = W + 1; i-- > 1;)
		assert_int_equal(vx_replay_update(&r, i), 0);
	assert_int_equal(vx_replay_update(&r, W + 1), 0);
	assert_int_equal(vx_replay_update(&r, 0), -ERANGE);
	assert_int_equal(vx_replay_update(&r, 1), -EALREADY);
}

/* In-order traffic goes round the ring many times; every replay is refused. */
static void test_replay_in_order_stream_wraps_the_ring(void **state)
{
	struct vx_replay r;

	(void)state;
	vx_replay_init(&r);
	for (uint64_t c = 0; c < 20 * BITS; c++) {
		assert_int_equal(vx_replay_update(&r, c), 0);
		assert_int_equal(vx_replay_check(&r, c), -EALREADY);
		if (c >= W)
			assert_int_equal(vx_replay_check(&r, c - W), -EALREADY);
		if (c >= W + 1)
			assert_int_equal(vx_replay_check(&r, c - W - 1), -ERANGE);
	}
}

static void test_replay_update_without_check_is_still_safe(void **state)
{
	struct vx_replay r;

	(void)state;
	vx_replay_init(&r);
	assert_int_equal(vx_replay_check(&r, 5), 0);
	assert_int_equal(vx_replay_check(&r, 5), 0); /* check marks nothing */
	assert_int_equal(vx_replay_update(&r, 5), 0);
	assert_int_equal(vx_replay_update(&r, 5), -EALREADY);
}

/* --- against the naive model --------------------------------------------------------- */

struct pkt {
	uint64_t key;     /* arrival order */
	uint32_t counter; /* offset from the base */
	bool forged;
};

static int cmp_pkt(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/*
 * 10^6 counters, with a gap of up to 3000 after one in 1000 (the sender's own
 * jumps); each delayed at random, 98 % by 0-39 packets and 2 % by up to 5000 (past
 * the window); 5 % duplicated up to 200 packets later; 5 % followed by a forgery
 * (checked, never updated) of a nearby counter or of one 100000 ahead. Arrival
 * order by delay. The naive model is a byte per counter and the highest accepted.
 * About 98 % are accepted, 4.4 % refused as seen, 2 % as too old (seed 1).
 */
static void against_model(bool at_top, uint64_t seed)
{
	const size_t n = 1000000, cap = n + n / 5;
	struct pkt *p = malloc(cap * sizeof(*p));
	uint8_t *seen;
	size_t np = 0, span;
	uint64_t rng = seed, top = 0, base;
	uint32_t c = 0;
	bool any = false;
	struct vx_replay r;
	size_t accepted = 0, dups = 0, olds = 0;

	assert_non_null(p);
	for (size_t i = 0; i < n && np + 3 <= cap; i++) {
		uint64_t u = vx_rand64(&rng), delay;

		c += u % 1000 == 0 ? 1 + (uint32_t)(u >> 32) % 3000 : 1; /* sender's gaps */
		delay = u % 100 < 2 ? (u >> 8) % 5000 : (u >> 8) % 40;
		p[np++] = (struct pkt){ .key = (uint64_t)i * 16 + delay * 16, .counter = c };
		if (u % 100 >= 95) /* a duplicate, later */
			p[np++] = (struct pkt){ .key = (uint64_t)i * 16 + ((u >> 20) % 200) * 16 + 1,
						.counter = c };
		if (u % 100 < 5) /* a forgery of a nearby or a far counter */
			p[np++] = (struct pkt){ .key = (uint64_t)i * 16 + 2,
						.counter = u & (1u << 30) ? c + 100000 :
						c - (uint32_t)((u >> 40) % 100),
						.forged = true };
	}
	span = (size_t)c + 100001;
	base = at_top ? MAXC - (span - 1) : 0; /* at the top, a forgery may be MAXC */
	seen = calloc(span, 1);
	assert_non_null(seen);
	qsort(p, np, sizeof(*p), cmp_pkt);

	vx_replay_init(&r);
	for (size_t i = 0; i < np; i++) {
		uint64_t k = p[i].counter, ctr = base + k;
		int want = 0, got;

		if (any && ctr <= top)
			want = top - ctr > W ? -ERANGE : seen[k] ? -EALREADY : 0;
		got = vx_replay_check(&r, ctr);
		if (got != want)
			fail_msg("packet %zu (counter base+%llu): check %d, model %d", i,
				 (unsigned long long)k, got, want);
		if (p[i].forged)
			continue;
		got = vx_replay_update(&r, ctr);
		if (got != want)
			fail_msg("packet %zu (counter base+%llu): update %d, model %d", i,
				 (unsigned long long)k, got, want);
		if (want == 0) {
			seen[k] = 1;
			if (!any || ctr > top)
				top = ctr;
			any = true;
			accepted++;
		} else {
			dups += want == -EALREADY;
			olds += want == -ERANGE;
		}
	}
	/* The stream exercised all three answers. */
	assert_true(accepted > n * 95 / 100 && dups > 40000 && olds > 5000);
	free(seen);
	free(p);
}

static void test_replay_matches_naive_model_on_reordered_stream(void **state)
{
	(void)state;
	against_model(false, 1);
}

static void test_replay_matches_naive_model_at_the_top_of_the_range(void **state)
{
	(void)state;
	against_model(true, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_numbered_cases),
		cmocka_unit_test(test_replay_full_window_ascending_then_its_far_end),
		cmocka_unit_test(test_replay_full_window_descending),
		cmocka_unit_test(test_replay_in_order_stream_wraps_the_ring),
		cmocka_unit_test(test_replay_update_without_check_is_still_safe),
		cmocka_unit_test(test_replay_matches_naive_model_on_reordered_stream),
		cmocka_unit_test(test_replay_matches_naive_model_at_the_top_of_the_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
