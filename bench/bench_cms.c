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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/cms.h"
#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "bench/harness.h"

#define ZIPF_S  1.1
#define EPSILON 1e-4
#define DELTA   1e-3

struct key {
	char b[7];
	uint8_t len;
};

struct stream {
	const struct key *items;   /* the stream */
	size_t n;
	const struct key *queries; /* keys drawn from the stream */
	size_t nq;
};

struct ctx {
	const struct stream *st;
	enum vx_cms_mode mode;
	struct vx_cms *cms;
	struct vx_exact_counts *ex;
};

static void die(const char *what)
{
	fprintf(stderr, "bench_cms: %s failed\n", what);
	exit(1);
}

/* Ranks of Zipf(s) over m keys, by inverse CDF (Vose's alias table would be
 * O(1) per draw; a binary search keeps this short and is untimed). */
static uint32_t *zipf_stream(size_t n, size_t m, double s, uint64_t seed)
{
	double *cdf = malloc(m * sizeof(*cdf)), sum = 0;
	uint32_t *ids = malloc(n * sizeof(*ids));

	if (!cdf || !ids)
		die("malloc");
	for (size_t i = 0; i < m; i++)
		cdf[i] = sum += pow((double)(i + 1), -s);
	for (size_t i = 0; i < m; i++)
		cdf[i] /= sum;
	cdf[m - 1] = 1.0;
	for (size_t i = 0; i < n; i++) {
		double u = vx_rand_unit(&seed);
		size_t lo = 0, hi = m - 1;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		ids[i] = (uint32_t)lo;
	}
	free(cdf);
	return ids;
}

static void cms_setup(void *p)
{
	struct ctx *c = p;

	vx_cms_destroy(c->cms);
	if (vx_cms_create(&c->cms, EPSILON, DELTA, c->mode) < 0)
		die("vx_cms_create");
}

static void cms_add(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct stream *st = c->st;

	for (uint64_t i = 0; i < ops; i++)
		vx_cms_add(c->cms, st->items[i].b, st->items[i].len, 1);
}

static void cms_query(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct stream *st = c->st;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < ops; i++)
		sum += vx_cms_estimate(c->cms, st->queries[i].b, st->queries[i].len);
	vx_bench_keep(sum);
}

static void exact_setup(void *p)
{
	struct ctx *c = p;

	vx_exact_counts_destroy(c->ex);
	if (vx_exact_counts_create(&c->ex) < 0)
		die("vx_exact_counts_create");
}

static void exact_add(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct stream *st = c->st;

	for (uint64_t i = 0; i < ops; i++) {
		const struct key *k = &st->items[i];

		if (vx_exact_counts_add(c->ex, k->b, k->len, 1) < 0)
			die("vx_exact_counts_add");
	}
}

static void exact_query(void *p, uint64_t ops)
{
	struct ctx *c = p;
	const struct stream *st = c->st;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < ops; i++) {
		const struct key *k = &st->queries[i];

		sum += vx_exact_counts_get(c->ex, k->b, k->len);
	}
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
		die("vx_exact_counts_top");
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

static void run_size(struct vx_bench *b, const struct stream *all, size_t n, const char *size)
{
	static const char *mode_name[] = { "std", "con" };
	struct stream st = *all;
	struct ctx ex = { .st = &st };
	char name[64];

	st.n = n;
	st.nq = n < all->nq ? n : all->nq;

	/* The ground truth, also the map the query case reads. */
	exact_setup(&ex);
	exact_add(&ex, n);

	snprintf(name, sizeof(name), "exact/add/%s", size);
	if (vx_bench_selected(b, name)) {
		struct ctx fresh = { .st = &st };

		vx_bench_note(b, "bytes", (double)vx_exact_counts_footprint(ex.ex));
		vx_bench_note(b, "distinct", (double)vx_exact_counts_distinct(ex.ex));
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = exact_setup,
							 .run = exact_add, .ctx = &fresh, .ops = n });
		vx_exact_counts_destroy(fresh.ex);
	}
	snprintf(name, sizeof(name), "exact/query/%s", size);
	vx_bench_note(b, "bytes", (double)vx_exact_counts_footprint(ex.ex));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = exact_query, .ctx = &ex,
						 .ops = st.nq });

	for (int mode = 0; mode < 2; mode++) {
		struct ctx c = { .st = &st, .mode = (enum vx_cms_mode)mode };

		cms_setup(&c);
		cms_add(&c, n);
		snprintf(name, sizeof(name), "cms/add/%s/%s", mode_name[mode], size);
		vx_bench_note(b, "bytes", (double)vx_cms_footprint(c.cms));
		note_error(b, c.cms, ex.ex);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = cms_setup,
							 .run = cms_add, .ctx = &c, .ops = n });
		/* The last repetition leaves the sketch of the whole stream. */
		snprintf(name, sizeof(name), "cms/query/%s/%s", mode_name[mode], size);
		vx_bench_note(b, "bytes", (double)vx_cms_footprint(c.cms));
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = cms_query, .ctx = &c,
							 .ops = st.nq });
		vx_cms_destroy(c.cms);
	}
	vx_exact_counts_destroy(ex.ex);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "cms");
	bool quick = vx_bench_quick(b);
	size_t distinct = quick ? 10000 : 1000000, big = quick ? 100000 : 10000000;
	struct stream st = { .n = big, .nq = 1000000 };
	struct key *keys = malloc(distinct * sizeof(*keys));
	struct key *items = malloc(big * sizeof(*items));
	struct key *queries = malloc(st.nq * sizeof(*queries));
	uint32_t *ids = zipf_stream(big, distinct, ZIPF_S, 1);
	uint64_t rng = 99;

	if (!keys || !items || !queries)
		die("malloc");
	for (size_t i = 0; i < distinct; i++)
		keys[i].len = (uint8_t)snprintf(keys[i].b, sizeof(keys[i].b), "%zu", i);
	for (size_t i = 0; i < big; i++)
		items[i] = keys[ids[i]];
	for (size_t i = 0; i < st.nq; i++)
		queries[i] = items[vx_rand64(&rng) % big];
	free(ids);
	free(keys);
	st.items = items;
	st.queries = queries;

	run_size(b, &st, quick ? 10000 : 100000, quick ? "1e4" : "1e5");
	run_size(b, &st, big, quick ? "1e5" : "1e7");

	free(items);
	free(queries);
	return vx_bench_finish(b);
}
