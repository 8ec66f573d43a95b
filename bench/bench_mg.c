// SPDX-License-Identifier: MIT
/*
 * Misra–Gries against the exact map of counts, on a Zipf(1.1) stream over
 * 10^6 distinct keys (decimal text, 1 to 6 bytes): 10^5 stream items (the
 * sketch and most touched keys in cache) and 10^7 (the exact map is not).
 * The stream is precomputed outside the timed region as the key bytes
 * themselves, in stream order (8 bytes an item, read sequentially), so add
 * and query time the structure's own work plus XXH3 of the key.
 * Each add repetition starts from an empty structure (created untimed).
 * Notes: bytes held, and the measured error over every distinct key of the
 * stream as a fraction of N: max and mean of f - lower, beside the bound
 * 1 / (k + 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/exact.h"
#include "algorithms/mg.h"
#include "bench/harness.h"
#include "bench/workload.h"

#define ZIPF_S 1.1

struct ctx {
	const struct vx_workload_keys *st;
	size_t k;
	struct vx_mg *mg;
};

static void mg_setup(void *p)
{
	struct ctx *c = p;

	vx_mg_destroy(c->mg);
	if (vx_mg_create(&c->mg, c->k, sizeof(c->st->items[0].b)) < 0)
		vx_bench_die("vx_mg_create");
}

static void mg_add(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct vx_workload_keys *st = c->st;

	for (uint64_t i = 0; i < ops; i++) {
		const struct vx_workload_key *k = &st->items[i];

		vx_mg_add(c->mg, k->b, k->len, 1);
	}
}

static void mg_query(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct vx_workload_keys *st = c->st;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < ops; i++) {
		const struct vx_workload_key *k = &st->queries[i];
		uint64_t lo;

		vx_mg_query(c->mg, k->b, k->len, &lo, NULL);
		sum += lo;
	}
	vx_bench_keep(sum);
}

/* Max and mean of (f - lower) / N over every distinct key of the stream. */
static void note_error(struct vx_bench *b, const struct vx_mg *mg,
		       const struct vx_exact_counts *ex, size_t k)
{
	size_t nd = vx_exact_counts_distinct(ex);
	struct vx_exact_item *all = malloc(nd * sizeof(*all));
	double n = (double)vx_exact_counts_total(ex), max = 0, sum = 0;

	if (!all || vx_exact_counts_top(ex, all, nd) < 0)
		vx_bench_die("vx_exact_counts_top");
	for (size_t i = 0; i < nd; i++) {
		uint64_t lo;
		double e;

		vx_mg_query(mg, all[i].key, all[i].len, &lo, NULL);
		e = (double)(all[i].count - lo) / n;
		sum += e;
		if (e > max)
			max = e;
	}
	free(all);
	vx_bench_note(b, "max_err/N", max);
	vx_bench_note(b, "mean_err/N", sum / (double)nd);
	vx_bench_note(b, "bound/N", 1.0 / (double)(k + 1));
	vx_bench_note(b, "D/N", (double)vx_mg_max_error(mg) / n);
}

static void run_size(struct vx_bench *b, const struct vx_workload_keys *all, size_t n,
		     const char *size)
{
	static const size_t ks[] = { 100, 1000 };
	struct vx_workload_keys st = *all;
	struct vx_exact_counts *ex;
	char name[64];

	st.n = n;
	st.nq = n < all->nq ? n : all->nq;

	/* The ground truth, also the map the query case reads. */
	vx_workload_bench_exact(b, &st, n, size, &ex);

	for (size_t j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
		struct ctx c = { .st = &st, .k = ks[j] };

		mg_setup(&c);
		mg_add(&c, n);
		snprintf(name, sizeof(name), "mg/add/k%zu/%s", ks[j], size);
		vx_bench_note(b, "bytes", (double)vx_mg_footprint(c.mg));
		note_error(b, c.mg, ex, ks[j]);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = mg_setup,
							 .run = mg_add, .ctx = &c, .ops = n });
		/* The last repetition leaves the sketch of the whole stream. */
		snprintf(name, sizeof(name), "mg/query/k%zu/%s", ks[j], size);
		vx_bench_note(b, "bytes", (double)vx_mg_footprint(c.mg));
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = mg_query, .ctx = &c,
							 .ops = st.nq });
		vx_mg_destroy(c.mg);
	}
	vx_exact_counts_destroy(ex);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "mg");
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
