// SPDX-License-Identifier: MIT
/*
 * HyperLogLog and Flajolet–Martin PCSA against the exact hash set
 * (vx_exact_counts) counting the same distinct keys, in one run.
 *
 * Case names say what is timed:
 *   .../add_hash/...  the sketch's update alone: hashes are precomputed into an
 *                     array outside the timed region (uniform 64-bit values);
 *   .../add/...       the whole update of an 8-byte key, XXH3 (vx_hash64)
 *                     included, as the exact set also hashes its keys;
 *   .../estimate/..., .../merge/...  one query or merge per op.
 * Sizes: 1e5 keys (hashes and sketch in cache) and 1e7 (the 80 MB hash array
 * and the exact set out of cache); --quick uses 1e4 and 1e5. At 1e7 the exact
 * set is built once and each repetition adds 2e5 new keys to it (a rebuild per
 * repetition would take most of the time budget).
 * Notes: bytes = footprint after the case's keys, err = relative error of the
 * final estimate (signed).
 *
 * Error sweep: rows hll/error/p14/n=N (and fm/error/m1024/n=N) for N at four
 * points per decade from 1 to 1e9 (1e6 under --quick), notes n, bias (mean
 * signed relative error), rmse (relative), sigma (the theoretical standard
 * error) and seeds. Each seed is one incremental stream of vx_rand64() hashes
 * checked at every N, so reaching 1e9 costs one pass per seed; fewer seeds go
 * far (64 to 1e6, 16 to 1e7, 6 to 1e8, 3 to 1e9). The row's ns/op is one
 * estimate of the first seed's sketch at that N.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/exact.h"
#include "algorithms/fm.h"
#include "algorithms/hash.h"
#include "algorithms/hll.h"
#include "bench/harness.h"

#define P         14
#define FM_M      1024
#define FM_M_BIG  16384
#define MAX_CHECK 40

struct ctx {
	struct vx_hll *hll;
	struct vx_hll *other;     /* merge source */
	struct vx_fm *fm;
	struct vx_exact_counts *exact;
	const uint64_t *hashes;
	enum vx_hll_form form;
	uint32_t fm_m;
	uint64_t next_key;        /* exact set grown in place: the next new key */
};

/* --- HLL ------------------------------------------------------------------------- */

static void hll_fresh(void *p)
{
	struct ctx *c = p;

	vx_hll_destroy(c->hll);
	if (vx_hll_create(&c->hll, P, c->form) < 0)
		vx_bench_die("vx_hll_create");
}

static void hll_add_hash(void *p, uint64_t ops)
{
	struct ctx *c = p;
	int ret = 0;

	for (uint64_t i = 0; i < ops; i++)
		ret |= vx_hll_add_hash(c->hll, c->hashes[i]);
	if (ret)
		vx_bench_die("vx_hll_add_hash");
}

static void hll_add_key(void *p, uint64_t ops)
{
	struct ctx *c = p;
	int ret = 0;

	for (uint64_t i = 0; i < ops; i++)
		ret |= vx_hll_add(c->hll, &i, sizeof(i));
	if (ret)
		vx_bench_die("vx_hll_add");
}

static void hll_estimate(void *p, uint64_t ops)
{
	struct ctx *c = p;
	double sum = 0;

	for (uint64_t i = 0; i < ops; i++)
		sum += vx_hll_estimate(c->hll);
	vx_bench_keep(sum);
}

static void hll_merge(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		if (vx_hll_merge(c->hll, c->other) < 0)
			vx_bench_die("vx_hll_merge");
}

/* --- FM and the exact set ------------------------------------------------------- */

static void fm_fresh(void *p)
{
	struct ctx *c = p;

	vx_fm_clear(c->fm);
}

static void fm_add_hash(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_fm_add_hash(c->fm, c->hashes[i]);
}

static void fm_add_key(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_fm_add(c->fm, &i, sizeof(i));
}

static void fm_estimate(void *p, uint64_t ops)
{
	struct ctx *c = p;
	double sum = 0;

	for (uint64_t i = 0; i < ops; i++)
		sum += vx_fm_estimate(c->fm);
	vx_bench_keep(sum);
}

static void exact_fresh(void *p)
{
	struct ctx *c = p;

	vx_exact_counts_destroy(c->exact);
	if (vx_exact_counts_create(&c->exact) < 0)
		vx_bench_die("vx_exact_counts_create");
}

static void exact_add_key(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		if (vx_exact_counts_add(c->exact, &i, sizeof(i), 1) < 0)
			vx_bench_die("vx_exact_counts_add");
}

/* New keys into a set that already holds many (see bench_updates()). */
static void exact_add_more(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++, c->next_key++)
		if (vx_exact_counts_add(c->exact, &c->next_key, sizeof(c->next_key), 1) < 0)
			vx_bench_die("vx_exact_counts_add");
}

static double rel(double est, uint64_t n)
{
	return est / (double)n - 1;
}

/* The figures of one untimed pass, noted on the row that follows. */
static void note_hll(struct vx_bench *b, struct ctx *c, void (*run)(void *, uint64_t), uint64_t n)
{
	hll_fresh(c);
	run(c, n);
	vx_bench_note(b, "bytes", (double)vx_hll_footprint(c->hll));
	vx_bench_note(b, "err", rel(vx_hll_estimate(c->hll), n));
	vx_bench_note(b, "sparse", vx_hll_is_sparse(c->hll));
}

static void note_fm(struct vx_bench *b, struct ctx *c, void (*run)(void *, uint64_t), uint64_t n)
{
	fm_fresh(c);
	run(c, n);
	vx_bench_note(b, "bytes", (double)vx_fm_footprint(c->fm));
	vx_bench_note(b, "err", rel(vx_fm_estimate(c->fm), n));
}

static void bench_updates(struct vx_bench *b, const uint64_t *hashes, uint64_t n, const char *size)
{
	struct ctx c = { .hashes = hashes, .form = VX_HLL_DENSE };
	char name[96];

	snprintf(name, sizeof(name), "hll/add_hash/p14-dense/%s", size);
	if (vx_bench_selected(b, name)) {
		note_hll(b, &c, hll_add_hash, n);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = hll_fresh,
							 .run = hll_add_hash, .ctx = &c, .ops = n });
	}
	snprintf(name, sizeof(name), "hll/add/p14-dense/%s", size);
	if (vx_bench_selected(b, name)) {
		note_hll(b, &c, hll_add_key, n);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = hll_fresh,
							 .run = hll_add_key, .ctx = &c, .ops = n });
	}
	/* The default form: sparse until m/4 = 4096 registers, then dense. */
	c.form = VX_HLL_SPARSE;
	snprintf(name, sizeof(name), "hll/add_hash/p14-sparse-start/%s", size);
	if (vx_bench_selected(b, name)) {
		note_hll(b, &c, hll_add_hash, n);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = hll_fresh,
							 .run = hll_add_hash, .ctx = &c, .ops = n });
	}
	vx_hll_destroy(c.hll);

	for (int big = 0; big < 2; big++) {
		c.fm_m = big ? FM_M_BIG : FM_M;
		if (vx_fm_create(&c.fm, c.fm_m) < 0)
			vx_bench_die("vx_fm_create");
		snprintf(name, sizeof(name), "fm/add_hash/m%u/%s", c.fm_m, size);
		if (vx_bench_selected(b, name)) {
			note_fm(b, &c, fm_add_hash, n);
			vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = fm_fresh,
								 .run = fm_add_hash, .ctx = &c, .ops = n });
		}
		snprintf(name, sizeof(name), "fm/add/m%u/%s", c.fm_m, size);
		if (!big && vx_bench_selected(b, name)) {
			note_fm(b, &c, fm_add_key, n);
			vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = fm_fresh,
								 .run = fm_add_key, .ctx = &c, .ops = n });
		}
		vx_fm_destroy(c.fm);
		c.fm = NULL;
	}

	snprintf(name, sizeof(name), "exact/add/hash-set/%s", size);
	if (vx_bench_selected(b, name)) {
		exact_fresh(&c);
		exact_add_key(&c, n);
		vx_bench_note(b, "bytes", (double)vx_exact_counts_footprint(c.exact));
		vx_bench_note(b, "err", rel((double)vx_exact_counts_distinct(c.exact), n));
		if (n <= 1000000) {
			vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = exact_fresh,
								 .run = exact_add_key, .ctx = &c,
								 .ops = n });
		} else {
			/* Rebuilding 10^7 keys for every repetition would take most of
			 * a minute: time batches of new keys added to the set built
			 * above instead, the steady cost at this size. n/50 per
			 * repetition keeps 12 repetitions under the table's next
			 * doubling (at 0.75 * 2^24 = 12.6M keys). */
			c.next_key = n;
			vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = exact_add_more,
								 .ctx = &c, .ops = n / 50 });
		}
		vx_exact_counts_destroy(c.exact);
	}
}

/* Queries and merges, and the sparse form at 1,000 distinct. */
static void bench_queries(struct vx_bench *b, const uint64_t *hashes)
{
	struct ctx c = { .hashes = hashes, .form = VX_HLL_SPARSE };

	/* Sparse at 1,000: adds from empty (list rebuilds included), then queries. */
	note_hll(b, &c, hll_add_hash, 1000);
	vx_bench_run(b, &(struct vx_bench_case){ .name = "hll/add_hash/p14-sparse/n=1000",
						 .setup = hll_fresh, .run = hll_add_hash, .ctx = &c,
						 .ops = 1000 });
	vx_bench_note(b, "bytes", (double)vx_hll_footprint(c.hll));
	vx_bench_run(b, &(struct vx_bench_case){ .name = "hll/estimate/p14-sparse/n=1000",
						 .run = hll_estimate, .ctx = &c, .ops = 1000 });
	/* Merging two sparse 1,000-item sketches (stays sparse: allocates). */
	if (vx_hll_create(&c.other, P, VX_HLL_SPARSE) < 0)
		vx_bench_die("vx_hll_create");
	for (int i = 0; i < 1000; i++)
		if (vx_hll_add_hash(c.other, vx_hash_mix64((uint64_t)i + 0xabcdef)) < 0)
			vx_bench_die("vx_hll_add_hash");
	hll_merge(&c, 1);
	vx_bench_note(b, "bytes", (double)vx_hll_footprint(c.hll));
	vx_bench_note(b, "sparse", vx_hll_is_sparse(c.hll));
	vx_bench_run(b, &(struct vx_bench_case){ .name = "hll/merge/p14-sparse+sparse/n=2000",
						 .run = hll_merge, .ctx = &c, .ops = 1000 });
	vx_hll_destroy(c.other);
	vx_hll_destroy(c.hll);

	/* Dense: estimate is O(m); merge of two dense arrays is O(m). */
	c.form = VX_HLL_DENSE;
	c.hll = NULL;
	hll_fresh(&c);
	hll_add_hash(&c, 100000);
	if (vx_hll_create(&c.other, P, VX_HLL_DENSE) < 0)
		vx_bench_die("vx_hll_create");
	for (int i = 0; i < 100000; i++)
		if (vx_hll_add_hash(c.other, vx_hash_mix64((uint64_t)i + 0xabcdef)) < 0)
			vx_bench_die("vx_hll_add_hash");
	vx_bench_note(b, "bytes", (double)vx_hll_footprint(c.hll));
	vx_bench_run(b, &(struct vx_bench_case){ .name = "hll/estimate/p14-dense/n=1e5",
						 .run = hll_estimate, .ctx = &c, .ops = 100 });
	vx_bench_run(b, &(struct vx_bench_case){ .name = "hll/merge/p14-dense+dense",
						 .run = hll_merge, .ctx = &c, .ops = 100 });
	vx_hll_destroy(c.other);
	vx_hll_destroy(c.hll);

	if (vx_fm_create(&c.fm, FM_M) < 0)
		vx_bench_die("vx_fm_create");
	fm_add_hash(&c, 100000);
	vx_bench_note(b, "bytes", (double)vx_fm_footprint(c.fm));
	vx_bench_run(b, &(struct vx_bench_case){ .name = "fm/estimate/m1024/n=1e5",
						 .run = fm_estimate, .ctx = &c, .ops = 1000 });
	vx_fm_destroy(c.fm);
}

/* --- error sweep ------------------------------------------------------------------ */

struct sweep {
	unsigned nchecks;
	uint64_t n[MAX_CHECK];
	double sum[MAX_CHECK], sum2[MAX_CHECK];
	unsigned seeds[MAX_CHECK];
	uint8_t *snap[MAX_CHECK]; /* the first seed's sketch at n[k], serialized */
	size_t snap_len[MAX_CHECK];
};

/* Four points per decade: round(10^(k/4)). */
static unsigned checkpoints(uint64_t *n, uint64_t max)
{
	unsigned c = 0;

	for (unsigned k = 0; c < MAX_CHECK; k++) {
		uint64_t v = (uint64_t)llround(pow(10, k / 4.0));

		if (v > max)
			break;
		n[c++] = v;
	}
	return c;
}

/* How far seed @s goes: fewer seeds the further out. */
static uint64_t seed_reach(unsigned s, bool quick)
{
	if (quick)
		return s < 8 ? 1000000 : 100000;
	return s < 3 ? 1000000000 : s < 6 ? 100000000 : s < 16 ? 10000000 : 1000000;
}

static void sweep_hll(struct sweep *w, bool quick)
{
	unsigned nseeds = quick ? 32 : 64;

	memset(w, 0, sizeof(*w));
	w->nchecks = checkpoints(w->n, seed_reach(0, quick));
	for (unsigned s = 0; s < nseeds; s++) {
		uint64_t rng = 0x5eed0000 + s, done = 0, reach = seed_reach(s, quick);
		struct vx_hll *h;

		if (vx_hll_create(&h, P, VX_HLL_SPARSE) < 0)
			vx_bench_die("vx_hll_create");
		for (unsigned k = 0; k < w->nchecks && w->n[k] <= reach; k++) {
			double e;

			for (; done < w->n[k]; done++)
				if (vx_hll_add_hash(h, vx_rand64(&rng)) < 0)
					vx_bench_die("vx_hll_add_hash");
			e = rel(vx_hll_estimate(h), done);
			w->sum[k] += e;
			w->sum2[k] += e * e;
			w->seeds[k]++;
			if (s == 0) {
				ssize_t len = vx_hll_serialize(h, NULL, 0);

				w->snap[k] = malloc((size_t)len);
				if (!w->snap[k] || vx_hll_serialize(h, w->snap[k], (size_t)len) != len)
					vx_bench_die("vx_hll_serialize");
				w->snap_len[k] = (size_t)len;
			}
		}
		vx_hll_destroy(h);
	}
}

static void sweep_fm(struct sweep *w, bool quick)
{
	unsigned nseeds = quick ? 16 : 32;

	memset(w, 0, sizeof(*w));
	w->nchecks = checkpoints(w->n, quick ? 100000 : 10000000);
	for (unsigned s = 0; s < nseeds; s++) {
		uint64_t rng = 0xf00d0000 + s, done = 0;
		uint64_t reach = s < 8 ? w->n[w->nchecks - 1] : w->n[w->nchecks - 1] / 10;
		struct vx_fm *f;

		if (vx_fm_create(&f, FM_M) < 0)
			vx_bench_die("vx_fm_create");
		for (unsigned k = 0; k < w->nchecks && w->n[k] <= reach; k++) {
			double e;

			for (; done < w->n[k]; done++)
				vx_fm_add_hash(f, vx_rand64(&rng));
			e = rel(vx_fm_estimate(f), done);
			w->sum[k] += e;
			w->sum2[k] += e * e;
			w->seeds[k]++;
			if (s == 0) {
				ssize_t len = vx_fm_serialize(f, NULL, 0);

				w->snap[k] = malloc((size_t)len);
				if (!w->snap[k] || vx_fm_serialize(f, w->snap[k], (size_t)len) != len)
					vx_bench_die("vx_fm_serialize");
				w->snap_len[k] = (size_t)len;
			}
		}
		vx_fm_destroy(f);
	}
}

static void report_sweep(struct vx_bench *b, struct sweep *w, bool is_hll)
{
	const double sigma = is_hll ? 1.04 / sqrt(1 << P) : 0.78 / sqrt(FM_M);
	struct ctx c = { 0 };
	char name[96];

	for (unsigned k = 0; k < w->nchecks; k++) {
		double mean = w->sum[k] / w->seeds[k];

		if (is_hll) {
			snprintf(name, sizeof(name), "hll/error/p14/n=%llu", (unsigned long long)w->n[k]);
			if (vx_hll_deserialize(&c.hll, w->snap[k], w->snap_len[k]) < 0)
				vx_bench_die("vx_hll_deserialize");
		} else {
			snprintf(name, sizeof(name), "fm/error/m1024/n=%llu", (unsigned long long)w->n[k]);
			if (vx_fm_deserialize(&c.fm, w->snap[k], w->snap_len[k]) < 0)
				vx_bench_die("vx_fm_deserialize");
		}
		vx_bench_note(b, "n", (double)w->n[k]);
		vx_bench_note(b, "bias", mean);
		vx_bench_note(b, "rmse", sqrt(w->sum2[k] / w->seeds[k]));
		vx_bench_note(b, "sigma", sigma);
		vx_bench_note(b, "seeds", w->seeds[k]);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name,
							 .run = is_hll ? hll_estimate : fm_estimate,
							 .ctx = &c, .ops = 10 });
		vx_hll_destroy(c.hll);
		vx_fm_destroy(c.fm);
		c.hll = NULL;
		c.fm = NULL;
		free(w->snap[k]);
	}
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "hll");
	bool quick = vx_bench_quick(b);
	uint64_t small = quick ? 10000 : 100000, large = quick ? 100000 : 10000000;
	uint64_t rng = 1;
	uint64_t *hashes = malloc(large * sizeof(*hashes));
	static struct sweep w;

	if (!hashes)
		vx_bench_die("malloc");
	for (uint64_t i = 0; i < large; i++)
		hashes[i] = vx_rand64(&rng);

	bench_updates(b, hashes, small, quick ? "1e4" : "1e5");
	bench_updates(b, hashes, large, quick ? "1e5" : "1e7");
	bench_queries(b, hashes);
	free(hashes);

	if (vx_bench_selected(b, "hll/error/")) {
		sweep_hll(&w, quick);
		report_sweep(b, &w, true);
	}
	if (vx_bench_selected(b, "fm/error/")) {
		sweep_fm(&w, quick);
		report_sweep(b, &w, false);
	}
	return vx_bench_finish(b);
}
