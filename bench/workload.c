// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "bench/harness.h"
#include "bench/workload.h"

int vx_workload_zipf(uint32_t *out, size_t n, size_t m, double s, uint64_t seed)
{
	double *cdf = malloc(m * sizeof(*cdf)), sum = 0;

	if (!cdf)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++)
		cdf[i] = sum += pow((double)(i + 1), -s);
	for (size_t i = 0; i < m; i++)
		cdf[i] /= sum;
	/* Rounding may leave the last sum a hair under 1: pin it, so every u
	 * in [0, 1) finds a rank. */
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
		out[i] = (uint32_t)lo;
	}
	free(cdf);
	return 0;
}

int vx_workload_keys_create(struct vx_workload_keys *st, size_t n, size_t m, size_t nq, double s,
			    uint64_t seed, uint64_t query_seed)
{
	struct vx_workload_key *keys = malloc(m * sizeof(*keys));
	struct vx_workload_key *items = malloc(n * sizeof(*items));
	struct vx_workload_key *queries = malloc(nq * sizeof(*queries));
	uint32_t *ids = malloc(n * sizeof(*ids));
	int ret = -ENOMEM;

	if (!keys || !items || !queries || !ids)
		goto err_free;
	ret = vx_workload_zipf(ids, n, m, s, seed);
	if (ret < 0)
		goto err_free;
	for (size_t i = 0; i < m; i++)
		keys[i].len = (uint8_t)snprintf(keys[i].b, sizeof(keys[i].b), "%zu", i);
	for (size_t i = 0; i < n; i++)
		items[i] = keys[ids[i]];
	for (size_t i = 0; i < nq; i++)
		queries[i] = items[vx_rand64(&query_seed) % n];
	free(ids);
	free(keys);
	*st = (struct vx_workload_keys){ .items = items, .n = n, .queries = queries, .nq = nq };
	return 0;

err_free:
	free(ids);
	free(queries);
	free(items);
	free(keys);
	return ret;
}

void vx_workload_keys_destroy(struct vx_workload_keys *st)
{
	free(st->items);
	free(st->queries);
	st->items = st->queries = NULL;
}

/* --- the exact baseline ------------------------------------------------------ */

struct exact_ctx {
	const struct vx_workload_keys *st;
	struct vx_exact_counts *ex;
};

static void exact_setup(void *p)
{
	struct exact_ctx *c = p;

	vx_exact_counts_destroy(c->ex);
	if (vx_exact_counts_create(&c->ex) < 0)
		vx_bench_die("vx_exact_counts_create");
}

static void exact_add(void *p, uint64_t ops)
{
	struct exact_ctx *c = p;
	const struct vx_workload_keys *st = c->st;

	for (uint64_t i = 0; i < ops; i++) {
		const struct vx_workload_key *k = &st->items[i];

		if (vx_exact_counts_add(c->ex, k->b, k->len, 1) < 0)
			vx_bench_die("vx_exact_counts_add");
	}
}

static void exact_query(void *p, uint64_t ops)
{
	struct exact_ctx *c = p;
	const struct vx_workload_keys *st = c->st;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < ops; i++) {
		const struct vx_workload_key *k = &st->queries[i];

		sum += vx_exact_counts_get(c->ex, k->b, k->len);
	}
	vx_bench_keep(sum);
}

void vx_workload_bench_exact(struct vx_bench *b, const struct vx_workload_keys *st, size_t n,
			     const char *size, struct vx_exact_counts **truth)
{
	struct exact_ctx ex = { .st = st };
	uint64_t nq = n < st->nq ? n : st->nq;
	char name[64];

	exact_setup(&ex);
	exact_add(&ex, n);

	snprintf(name, sizeof(name), "exact/add/%s", size);
	if (vx_bench_selected(b, name)) {
		struct exact_ctx fresh = { .st = st };

		vx_bench_note(b, "bytes", (double)vx_exact_counts_footprint(ex.ex));
		vx_bench_note(b, "distinct", (double)vx_exact_counts_distinct(ex.ex));
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = exact_setup,
							 .run = exact_add, .ctx = &fresh, .ops = n });
		vx_exact_counts_destroy(fresh.ex);
	}
	snprintf(name, sizeof(name), "exact/query/%s", size);
	vx_bench_note(b, "bytes", (double)vx_exact_counts_footprint(ex.ex));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = exact_query, .ctx = &ex,
						 .ops = nq });
	*truth = ex.ex;
}
