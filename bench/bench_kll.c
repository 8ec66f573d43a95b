// SPDX-License-Identifier: MIT
/*
 * KLL (k = 200) and its windowed form beside the exact baseline they replace,
 * a sorted array (vx_exact_values: append, sort on the first query after an add).
 *
 * Case names: <structure>/<operation>/<size>. Values are uniform doubles drawn
 * before the timed region (the point is the sketch's cost, not the generator's).
 * - add: every repetition adds all <size> values to an emptied structure.
 * - quantile: quantiles at varying q on the full structure, nothing added in
 *   between (KLL answers from its cached sorted view: O(log r)).
 * - add+p95: the jitter buffer's pattern, one add then one p95 query per
 *   operation, so every query sees a changed structure: KLL rebuilds its view
 *   (O(r) merges plus sorting level 0), the baseline re-sorts all n values.
 * - merge: two sketches of <size>/2 values each, one merged into the other.
 * Notes: bytes held; max_rank_err, the largest |rank(x) - true rank| / n over
 * 10^4 values x spread evenly over the sorted input (eps = 0.0133 for k = 200);
 * on kll/add, the slowest single add of 10^6 timed one by one (clock overhead
 * included, ~20 ns), since a real-time caller cares about the worst add.
 *
 * Window cases: W = 4 sub-windows rotating by count. "jitter" is the jitter
 * buffer's scale (50 packets/s, 2.5 s sub-windows: 125 values each, 500 in the
 * window, more than k, so the merged sketch compacts); "<size>" holds <size>
 * values in all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "algorithms/kll.h"
#include "bench/harness.h"

#define K 200
#define EXTRA 100000   /* values beyond n, for the add+p95 cases */

struct ctx {
	size_t n;
	size_t pos;            /* next extra value */
	double *v;             /* the values, n of them used */
	double *extra;         /* EXTRA more, for the add+p95 cases */
	struct vx_kll *kll;
	struct vx_exact_values *exact;
	struct vx_kll_window *win;
	struct vx_kll *parts[2];
	struct vx_kll **dsts;  /* merge: fresh copies of parts[0] */
	uint8_t *image;        /* parts[0] serialized */
	size_t image_len;
	size_t ndst;
	double sink;
};

/* --- KLL and the exact baseline ---------------------------------------------------- */

static void kll_reset(void *p)
{
	struct ctx *c = p;

	vx_kll_reset(c->kll);
}

static void kll_add(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_kll_add(c->kll, c->v[i]);
}

static void exact_reset(void *p)
{
	struct ctx *c = p;

	vx_exact_values_destroy(c->exact);
	if (vx_exact_values_create(&c->exact))
		vx_bench_die("vx_exact_values_create");
}

static void exact_add(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_exact_values_add(c->exact, c->v[i]);
}

static void kll_quantile(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		c->sink += vx_kll_quantile(c->kll, (double)(i % 1000) / 1000);
}

static void exact_quantile(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		c->sink += vx_exact_values_quantile(c->exact, (double)(i % 1000) / 1000);
}

static double next_extra(struct ctx *c)
{
	double x = c->extra[c->pos];

	c->pos = (c->pos + 1) % EXTRA;
	return x;
}

static void kll_add_p95(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		vx_kll_add(c->kll, next_extra(c));
		c->sink += vx_kll_quantile(c->kll, 0.95);
	}
}

static void exact_add_p95(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		vx_exact_values_add(c->exact, next_extra(c));
		c->sink += vx_exact_values_quantile(c->exact, 0.95);
	}
}

/* Fresh copies of parts[0] to merge parts[1] into (allocation stays untimed). */
static void merge_setup(void *p)
{
	struct ctx *c = p;

	for (size_t i = 0; i < c->ndst; i++) {
		vx_kll_destroy(c->dsts[i]);
		if (vx_kll_deserialize(&c->dsts[i], c->image, c->image_len))
			vx_bench_die("vx_kll_deserialize");
	}
}

static void kll_merge(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_kll_merge(c->dsts[i], c->parts[1]);
}

/* The largest |rank(x) - true rank| over 10^4 input values spread evenly. */
static double kll_max_rank_error(struct ctx *c, double (*rank)(void *, double), void *s)
{
	double worst = 0, n = (double)c->n;

	for (int i = 1; i <= 10000; i++) {
		double x = vx_exact_values_quantile(c->exact, i / 10000.0);
		double e = fabs(rank(s, x) - (double)vx_exact_values_rank(c->exact, x) / n);

		if (e > worst)
			worst = e;
	}
	return worst;
}

static double rank_kll(void *s, double x)
{
	return vx_kll_rank(s, x);
}

static double rank_window(void *s, double x)
{
	return vx_kll_window_rank(s, x);
}

/*
 * The slowest of 10^6 adds, each timed alone. A preemption can land on any one
 * add, so the sequence is replayed three times from the same seed (the same
 * compactions at the same adds) and each add keeps its fastest time: what is
 * left is the sketch's own worst case, plus the clock's overhead.
 */
static double worst_add_ns(struct ctx *c)
{
	const size_t n = 1000000;
	uint32_t *best = malloc(n * sizeof(*best));
	struct vx_kll *s;
	uint32_t worst = 0;

	if (!best)
		vx_bench_die("malloc");
	for (int run = 0; run < 3; run++) {
		if (vx_kll_create(&s, K, 5))
			vx_bench_die("vx_kll_create");
		for (size_t i = 0; i < n; i++) {
			uint64_t t0 = vx_bench_now_ns(), t;

			vx_kll_add(s, c->v[i % c->n]);
			t = vx_bench_now_ns() - t0;
			if (run == 0 || t < best[i])
				best[i] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
		}
		vx_kll_destroy(s);
	}
	for (size_t i = 0; i < n; i++)
		if (best[i] > worst)
			worst = best[i];
	free(best);
	return worst;
}

static void bench_kll(struct vx_bench *b, struct ctx *c, const char *size)
{
	char name[64];

	snprintf(name, sizeof(name), "kll/add/%s", size);
	if (vx_bench_selected(b, name))
		vx_bench_note(b, "worst_add_ns", worst_add_ns(c));
	vx_bench_note(b, "bytes", (double)vx_kll_footprint(c->kll));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = kll_reset, .run = kll_add,
						 .ctx = c, .ops = c->n });
	/* Leave both structures full, whichever cases the filter selected. */
	kll_reset(c);
	kll_add(c, c->n);
	exact_reset(c);
	exact_add(c, c->n);

	snprintf(name, sizeof(name), "exact/add/%s", size);
	vx_bench_note(b, "bytes", (double)vx_exact_values_footprint(c->exact));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = exact_reset,
						 .run = exact_add, .ctx = c, .ops = c->n });
	exact_reset(c);
	exact_add(c, c->n);

	snprintf(name, sizeof(name), "kll/quantile/%s", size);
	vx_bench_note(b, "max_rank_err", kll_max_rank_error(c, rank_kll, c->kll));
	vx_bench_note(b, "eps", vx_kll_rank_error(K));
	vx_bench_note(b, "retained", (double)vx_kll_retained(c->kll));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = kll_quantile, .ctx = c,
						 .ops = 100000 });
	snprintf(name, sizeof(name), "exact/quantile/%s", size);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = exact_quantile, .ctx = c,
						 .ops = 100000 });

	snprintf(name, sizeof(name), "kll/add+p95/%s", size);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = kll_add_p95, .ctx = c,
						 .ops = 10000 });
	/* A full sort per query: 10^5 values take milliseconds, 10^7 a second. */
	snprintf(name, sizeof(name), "exact/add+p95/%s", size);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = exact_add_p95, .ctx = c,
						 .ops = c->n >= 1000000 ? 1 : 20 });

	/* Merge: two halves of the input. */
	for (int i = 0; i < 2; i++) {
		if (vx_kll_create(&c->parts[i], K, 100 + (uint64_t)i))
			vx_bench_die("vx_kll_create");
		for (size_t j = (size_t)i; j < c->n; j += 2)
			vx_kll_add(c->parts[i], c->v[j]);
	}
	c->image_len = (size_t)vx_kll_serialize(c->parts[0], NULL, 0);
	c->image = malloc(c->image_len);
	c->ndst = 100;
	c->dsts = calloc(c->ndst, sizeof(*c->dsts));
	if (!c->image || !c->dsts || vx_kll_serialize(c->parts[0], c->image, c->image_len) < 0)
		vx_bench_die("merge setup");
	snprintf(name, sizeof(name), "kll/merge/%s", size);
	if (vx_bench_selected(b, name)) {
		exact_reset(c); /* the add+p95 cases added more values */
		exact_add(c, c->n);
		merge_setup(c);
		vx_kll_merge(c->dsts[0], c->parts[1]);
		vx_bench_note(b, "max_rank_err", kll_max_rank_error(c, rank_kll, c->dsts[0]));
	}
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = merge_setup,
						 .run = kll_merge, .ctx = c, .ops = c->ndst });
	for (size_t i = 0; i < c->ndst; i++)
		vx_kll_destroy(c->dsts[i]);
	free(c->dsts);
	free(c->image);
	vx_kll_destroy(c->parts[0]);
	vx_kll_destroy(c->parts[1]);
}

/* --- windowed form ------------------------------------------------------------------- */

static void win_add(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_kll_window_add(c->win, c->v[i % c->n]);
}

static void win_rotate(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_kll_window_rotate(c->win);
}

static void win_add_p95(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		vx_kll_window_add(c->win, next_extra(c));
		c->sink += vx_kll_window_quantile(c->win, 0.95);
	}
}

static void win_p95(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		c->sink += vx_kll_window_quantile(c->win, (double)(i % 1000) / 1000);
}

static void bench_window(struct vx_bench *b, struct ctx *c, const char *size, uint64_t per_sub)
{
	char name[64];

	if (vx_kll_window_create(&c->win, K, 4, per_sub, 7))
		vx_bench_die("vx_kll_window_create");
	snprintf(name, sizeof(name), "window/add/%s", size);
	vx_bench_note(b, "bytes", (double)vx_kll_window_footprint(c->win));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = win_add, .ctx = c,
						 .ops = 100000 });
	snprintf(name, sizeof(name), "window/add+p95/%s", size);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = win_add_p95, .ctx = c,
						 .ops = per_sub < 1000 ? 10000 : 1000 });
	snprintf(name, sizeof(name), "window/quantile/%s", size);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = win_p95, .ctx = c,
						 .ops = 100000 });
	snprintf(name, sizeof(name), "window/rotate/%s", size);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = win_rotate, .ctx = c,
						 .ops = 100000 });
	vx_kll_window_destroy(c->win);
}

/* The window's accuracy: exactly c->n values live (4 sub-windows of n/4). */
static void window_error(struct vx_bench *b, struct ctx *c, const char *size)
{
	char name[64];

	snprintf(name, sizeof(name), "window/fill/%s", size);
	if (vx_kll_window_create(&c->win, K, 4, c->n / 4, 9))
		vx_bench_die("vx_kll_window_create");
	vx_bench_note(b, "bytes", (double)vx_kll_window_footprint(c->win));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = win_add, .ctx = c,
						 .ops = c->n });
	/* The last repetition leaves exactly the n values in the window (every
	 * repetition adds n, 4 whole sub-windows). */
	if (vx_kll_window_count(c->win) == c->n) {
		snprintf(name, sizeof(name), "window/quantile/%s", size);
		vx_bench_note(b, "max_rank_err", kll_max_rank_error(c, rank_window, c->win));
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = win_p95, .ctx = c,
							 .ops = 100000 });
	}
	vx_kll_window_destroy(c->win);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "kll");
	bool quick = vx_bench_quick(b);
	static const char *names[2][2] = { { "1e5", "1e7" }, { "1e4", "1e5" } };
	const size_t sizes[2][2] = { { 100000, 10000000 }, { 10000, 100000 } };
	struct ctx c = { 0 };
	uint64_t rng = 1;
	int ret;

	c.v = malloc((sizes[quick][1] + EXTRA) * sizeof(*c.v));
	if (!c.v || vx_kll_create(&c.kll, K, 1) || vx_exact_values_create(&c.exact))
		vx_bench_die("setup");
	for (size_t i = 0; i < sizes[quick][1] + EXTRA; i++)
		c.v[i] = vx_rand_unit(&rng);
	c.extra = c.v + sizes[quick][1];

	for (int s = 0; s < 2; s++) {
		c.n = sizes[quick][s];
		bench_kll(b, &c, names[quick][s]);
	}

	c.n = sizes[quick][1];
	bench_window(b, &c, "jitter", 125);
	bench_window(b, &c, names[quick][0], sizes[quick][0] / 4);
	c.n = sizes[quick][0];
	exact_reset(&c);
	exact_add(&c, c.n);
	window_error(b, &c, names[quick][0]);

	vx_bench_keep(c.sink);
	ret = vx_bench_finish(b);
	vx_kll_destroy(c.kll);
	vx_exact_values_destroy(c.exact);
	free(c.v);
	return ret;
}
