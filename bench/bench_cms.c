// SPDX-License-Identifier: MIT
/*
 * Count-Min (epsilon = 1e-4, delta = 1e-3: 27183 x 7 counters, standard and
 * conservative update) against the exact map of counts, on a Zipf(1.1)
 * stream over 10^6 distinct keys (decimal text, 1 to 6 bytes): 10^5 stream
 * items and 10^7. The stream is precomputed outside the timed region as the
 * key bytes themselves, in stream order, so add and query time the sketch's
 * own work plus XXH3 of the key. Each add repetition starts from an empty
 * structure (created untimed). Notes: bytes held, and the measured error over
 * every distinct key of the stream as a fraction of N: max and mean of
 * estimate - f, beside epsilon, and the fraction of keys over epsilon N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/cms.h"
#include "algorithms/exact.h"
#include "bench/harness.h"
#include "bench/workload.h"

#define ZIPF_S  1.1
#define EPSILON 1e-4
#define DELTA   1e-3

struct ctx {
	const struct vx_workload_keys *st;
	enum vx_cms_mode mode;
	struct vx_cms *cms;
};

static void cms_setup(void *p)
{
	struct ctx *c = p;

	vx_cms_destroy(c->cms);
	if (vx_cms_create(&c->cms, EPSILON, DELTA, c->mode) < 0)
		vx_bench_die("vx_cms_create");
}

static void cms_add(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct vx_workload_keys *st = c->st;

	for (uint64_t i = 0; i < ops; i++)
		vx_cms_add(c->cms, st->items[i].b, st->items[i].len, 1);
}

static void cms_query(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct vx_workload_keys *st = c->st;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < ops; i++)
		sum += vx_cms_estimate(c->cms, st->queries[i].b, st->queries[i].len);
	vx_bench_keep(sum);
}

/* Max and mean of (estimate - f) / N over every distinct key of the stream. */
static void note_error(struct vx_bench *b, const struct vx_cms *cms,
		       const struct vx_exact_counts *ex)
{
	size_t nd = vx_exact_counts_distinct(ex), over = 0;
	struct vx_exact_item *all = malloc(nd * sizeof(*all));
	double n = (double)vx_exact_counts_total(ex), max = 0, sum = 0;

	if (!all || vx_exact_counts_top(ex, all, nd) < 0)
		vx_bench_die("vx_exact_counts_top");
	for (size_t i = 0; i < nd; i++) {
		double e = (double)(vx_cms_estimate(cms, all[i].key, all[i].len) - all[i].count) / n;

		sum += e;
		over += e > EPSILON;
		if (e > max)
			max = e;
	}
	free(all);
	vx_bench_note(b, "max_err/N", max);
	vx_bench_note(b, "mean_err/N", sum / (double)nd);
	vx_bench_note(b, "epsilon", EPSILON);
	vx_bench_note(b, "P[err>eps*N]", (double)over / (double)nd);
}

static void run_size(struct vx_bench *b, const struct vx_workload_keys *all, size_t n,
		     const char *size)
{
	static const char *mode_name[] = { "std", "con" };
	struct vx_workload_keys st = *all;
	struct vx_exact_counts *ex;
	char name[64];

	st.n = n;
	st.nq = n < all->nq ? n : all->nq;

	/* The ground truth, also the map the query case reads. */
	vx_workload_bench_exact(b, &st, n, size, &ex);

	for (int mode = 0; mode < 2; mode++) {
		struct ctx c = { .st = &st, .mode = (enum vx_cms_mode)mode };

		cms_setup(&c);
		cms_add(&c, n);
		snprintf(name, sizeof(name), "cms/add/%s/%s", mode_name[mode], size);
		vx_bench_note(b, "bytes", (double)vx_cms_footprint(c.cms));
		note_error(b, c.cms, ex);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = cms_setup,
							 .run = cms_add, .ctx = &c, .ops = n });
		/* The last repetition leaves the sketch of the whole stream. */
		snprintf(name, sizeof(name), "cms/query/%s/%s", mode_name[mode], size);
		vx_bench_note(b, "bytes", (double)vx_cms_footprint(c.cms));
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = cms_query, .ctx = &c,
							 .ops = st.nq });
		vx_cms_destroy(c.cms);
	}
	vx_exact_counts_destroy(ex);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "cms");
	bool quick = vx_bench_quick(b);
	size_t distinct = quick ? 10000 : 1000000, big = quick ? 100000 : 10000000;
	struct vx_workload_keys st;

	if (vx_workload_keys_create(&st, big, distinct, 1000000, ZIPF_S, 1, 99) < 0)
		vx_bench_die("vx_workload_keys_create");

	run_size(b, &st, quick ? 10000 : 100000, quick ? "1e4" : "1e5");
	run_size(b, &st, big, quick ? "1e5" : "1e7");

	vx_workload_keys_destroy(&st);
	return vx_bench_finish(b);
}
