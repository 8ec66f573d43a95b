// SPDX-License-Identifier: MIT
/*
 * LSH beside its exact baselines (algorithms/exact.h):
 *   MinHash signing per element (hashes precomputed: the sketch's own cost)
 *   against inserting the elements into an exact hash set, and per set or text
 *   line (XXH3 of the elements included); similarity per pair against exact
 *   Jaccard of the sorted sets.
 *   SimHash signing per vector at dim 64 and 256; the cosine estimate per pair
 *   against the exact cosine, with the estimate's measured error.
 *   Near-duplicate search over N sets of 64 elements (clusters of 10 variants of
 *   a base set, query = a perturbed stored set): the banding index with
 *   signatures precomputed outside the timed region (for inserts and queries
 *   alike), against brute-force exact Jaccard with every stored set. Notes give
 *   candidates examined per query and recall against the brute-force truth
 *   (pairs with exact J >= 0.7), before and after filtering by the estimate.
 * --quick: N = 10^3 only and fewer elements, for a smoke run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "algorithms/lsh.h"
#include "bench/harness.h"

#define K         128 /* MinHash slots: standard error <= 0.044 */
#define SET_LEN   64  /* elements per set */
#define LINE_LEN  80  /* bytes per text line */
#define POOL      1024 /* sets, lines, vectors cycled through by the per-item cases */
#define THRESHOLD 0.7 /* near duplicates: exact Jaccard >= this */
#define CLUSTER   10  /* stored sets per cluster of near duplicates */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		perror("bench_lsh");
		exit(1);
	}
	return p;
}

static void check(long ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "bench_lsh: %s failed: %ld\n", what, ret);
		exit(1);
	}
}

static double gaussian(uint64_t *state)
{
	double u = 1.0 - vx_rand_unit(state), v = vx_rand_unit(state);

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* SET_LEN distinct values below @universe, sorted (what vx_exact_jaccard takes). */
static void small_universe_set(uint64_t *rng, uint64_t universe, uint64_t *set)
{
	uint8_t seen[4096] = { 0 };
	size_t n = 0;

	while (n < SET_LEN) {
		uint64_t v = vx_rand64(rng) % universe;

		if (!seen[v]) {
			seen[v] = 1;
			n++;
		}
	}
	for (uint64_t v = 0, i = 0; v < universe; v++)
		if (seen[v])
			set[i++] = v;
}

/* ---- MinHash signing and pair similarity -------------------------------------- */

struct mh_ctx {
	struct vx_minhash *m;
	const uint64_t *hashes;    /* per-element cases */
	const uint64_t *sets;      /* POOL sorted sets of SET_LEN */
	const char *lines;         /* POOL lines of LINE_LEN bytes */
	struct vx_minhash **sigs;  /* POOL signatures of the sets */
	struct vx_exact_counts *set;
};

static void run_add_hash(void *p, uint64_t ops)
{
	struct mh_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_minhash_add_hash(c->m, c->hashes[i]);
	vx_bench_keep(vx_minhash_slots(c->m)[0]);
}

static void setup_exact_set(void *p)
{
	struct mh_ctx *c = p;

	vx_exact_counts_destroy(c->set);
	check(vx_exact_counts_create(&c->set), "exact set");
}

static void run_exact_set(void *p, uint64_t ops)
{
	struct mh_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		check(vx_exact_counts_add(c->set, &c->hashes[i], sizeof(c->hashes[i]), 1), "add");
}

static void run_sign_set(void *p, uint64_t ops)
{
	struct mh_ctx *c = p;

	for (uint64_t s = 0; s < ops; s++) {
		const uint64_t *set = c->sets + (s % POOL) * SET_LEN;

		vx_minhash_reset(c->m);
		for (size_t e = 0; e < SET_LEN; e++)
			vx_minhash_add(c->m, &set[e], sizeof(set[e]));
		vx_bench_keep(vx_minhash_slots(c->m)[0]);
	}
}

static void run_sign_line(void *p, uint64_t ops)
{
	struct mh_ctx *c = p;

	for (uint64_t s = 0; s < ops; s++) {
		vx_minhash_reset(c->m);
		check(vx_minhash_add_shingles(c->m, c->lines + (s % POOL) * LINE_LEN, LINE_LEN, 5,
					      VX_SHINGLE_BYTES), "shingles");
		vx_bench_keep(vx_minhash_slots(c->m)[0]);
	}
}

static void run_minhash_similarity(void *p, uint64_t ops)
{
	struct mh_ctx *c = p;
	double acc = 0;

	for (uint64_t i = 0; i < ops; i++)
		acc += vx_minhash_similarity(c->sigs[i % POOL], c->sigs[(i * 7 + 1) % POOL]);
	vx_bench_keep(acc);
}

static void run_exact_jaccard(void *p, uint64_t ops)
{
	struct mh_ctx *c = p;
	double acc = 0;

	for (uint64_t i = 0; i < ops; i++)
		acc += vx_exact_jaccard(c->sets + (i % POOL) * SET_LEN, SET_LEN,
					c->sets + ((i * 7 + 1) % POOL) * SET_LEN, SET_LEN);
	vx_bench_keep(acc);
}

static void bench_minhash(struct vx_bench *b)
{
	static const size_t ks[] = { 32, K };
	size_t elements = vx_bench_quick(b) ? 100000 : 1000000;
	struct mh_ctx c = { 0 };
	uint64_t rng = 1, *hashes = xmalloc(elements * sizeof(*hashes));
	uint64_t *sets = xmalloc(POOL * SET_LEN * sizeof(*sets));
	char *lines = xmalloc(POOL * LINE_LEN);
	double err = 0;
	char name[64];

	for (size_t i = 0; i < elements; i++)
		hashes[i] = vx_rand64(&rng);
	/* Universe 256, 64 elements: random pairs overlap (J about 1/7). */
	for (size_t s = 0; s < POOL; s++)
		small_universe_set(&rng, 256, sets + s * SET_LEN);
	for (size_t i = 0; i < POOL * LINE_LEN; i++) /* 27 letters, '{' plays the space */
		lines[i] = (char)('a' + vx_rand64(&rng) % 27);
	c.hashes = hashes;
	c.sets = sets;
	c.lines = lines;

	for (size_t i = 0; i < 2; i++) {
		check(vx_minhash_create(&c.m, ks[i], 1), "minhash");
		snprintf(name, sizeof(name), "minhash/add_hash(prehashed)/k%zu", ks[i]);
		vx_bench_note(b, "bytes", (double)vx_minhash_footprint(c.m));
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = run_add_hash,
							 .ctx = &c, .ops = elements });
		vx_minhash_destroy(c.m);
	}

	setup_exact_set(&c);
	run_exact_set(&c, elements);
	vx_bench_note(b, "bytes", (double)vx_exact_counts_footprint(c.set));
	snprintf(name, sizeof(name), "exact/set-insert(prehashed)/%zu", elements);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = setup_exact_set,
						 .run = run_exact_set, .ctx = &c, .ops = elements });
	vx_exact_counts_destroy(c.set);

	check(vx_minhash_create(&c.m, K, 1), "minhash");
	vx_bench_run(b, &(struct vx_bench_case){ .name = "minhash/sign-set(xxh3)/64elem/k128",
						 .run = run_sign_set, .ctx = &c, .ops = 2 * POOL });
	vx_bench_run(b, &(struct vx_bench_case){ .name = "minhash/sign-line(5-grams)/80B/k128",
						 .run = run_sign_line, .ctx = &c, .ops = 2 * POOL });

	c.sigs = xmalloc(POOL * sizeof(*c.sigs));
	for (size_t s = 0; s < POOL; s++) {
		check(vx_minhash_create(&c.sigs[s], K, 1), "minhash");
		for (size_t e = 0; e < SET_LEN; e++)
			vx_minhash_add(c.sigs[s], &sets[s * SET_LEN + e], sizeof(uint64_t));
	}
	for (size_t i = 0; i < POOL; i++) {
		size_t j = (i * 7 + 1) % POOL;

		err += fabs(vx_minhash_similarity(c.sigs[i], c.sigs[j]) -
			    vx_exact_jaccard(sets + i * SET_LEN, SET_LEN, sets + j * SET_LEN,
					     SET_LEN));
	}
	vx_bench_note(b, "mean_abs_err", err / POOL);
	vx_bench_run(b, &(struct vx_bench_case){ .name = "minhash/similarity/k128/pair",
						 .run = run_minhash_similarity, .ctx = &c,
						 .ops = 100000 });
	vx_bench_run(b, &(struct vx_bench_case){ .name = "exact/jaccard/64elem/pair",
						 .run = run_exact_jaccard, .ctx = &c, .ops = 100000 });

	for (size_t s = 0; s < POOL; s++)
		vx_minhash_destroy(c.sigs[s]);
	free(c.sigs);
	vx_minhash_destroy(c.m);
	free(hashes);
	free(sets);
	free(lines);
}

/* ---- SimHash ------------------------------------------------------------------- */

struct sh_ctx {
	struct vx_simhash *s;
	size_t dim;
	float *vecs;   /* POOL vectors: pair i is (2i, 2i + 1) */
	uint64_t *sig; /* their signatures */
};

static void run_simhash_sign(void *p, uint64_t ops)
{
	struct sh_ctx *c = p;
	uint64_t acc = 0;

	for (uint64_t i = 0; i < ops; i++)
		acc ^= vx_simhash_sign(c->s, c->vecs + (i % POOL) * c->dim);
	vx_bench_keep(acc);
}

static void run_simhash_cosine(void *p, uint64_t ops)
{
	struct sh_ctx *c = p;
	double acc = 0;

	for (uint64_t i = 0; i < ops; i++) {
		size_t pair = i % (POOL / 2);

		acc += vx_simhash_cosine(c->sig[2 * pair], c->sig[2 * pair + 1]);
	}
	vx_bench_keep(acc);
}

static void run_exact_cosine(void *p, uint64_t ops)
{
	struct sh_ctx *c = p;
	double acc = 0;

	for (uint64_t i = 0; i < ops; i++) {
		size_t pair = i % (POOL / 2);

		acc += vx_exact_cosine(c->vecs + 2 * pair * c->dim,
				       c->vecs + (2 * pair + 1) * c->dim, c->dim);
	}
	vx_bench_keep(acc);
}

/* Pairs at angles spread over [0, π]: v = cos θ·u + sin θ·w, w ⟂ u. */
static void angled_pairs(uint64_t *rng, float *vecs, size_t dim)
{
	double *u = xmalloc(dim * sizeof(*u)), *w = xmalloc(dim * sizeof(*w));

	for (size_t pair = 0; pair < POOL / 2; pair++) {
		double theta = M_PI * vx_rand_unit(rng), dot = 0, nu = 0, nw = 0;

		for (size_t i = 0; i < dim; i++) {
			u[i] = gaussian(rng);
			w[i] = gaussian(rng);
			nu += u[i] * u[i];
		}
		for (size_t i = 0; i < dim; i++)
			dot += u[i] * w[i] / nu;
		for (size_t i = 0; i < dim; i++) {
			w[i] -= dot * u[i];
			nw += w[i] * w[i];
		}
		nu = sqrt(nu);
		nw = sqrt(nw);
		for (size_t i = 0; i < dim; i++) {
			vecs[2 * pair * dim + i] = (float)(u[i] / nu);
			vecs[(2 * pair + 1) * dim + i] =
				(float)(cos(theta) * u[i] / nu + sin(theta) * w[i] / nw);
		}
	}
	free(u);
	free(w);
}

static void bench_simhash(struct vx_bench *b)
{
	static const size_t dims[] = { 64, 256 };
	uint64_t rng = 2;
	char name[64];

	for (size_t d = 0; d < 2; d++) {
		struct sh_ctx c = { .dim = dims[d] };
		double err = 0;

		check(vx_simhash_create(&c.s, c.dim, 7), "simhash");
		c.vecs = xmalloc(POOL * c.dim * sizeof(*c.vecs));
		c.sig = xmalloc(POOL * sizeof(*c.sig));
		angled_pairs(&rng, c.vecs, c.dim);
		for (size_t i = 0; i < POOL; i++)
			c.sig[i] = vx_simhash_sign(c.s, c.vecs + i * c.dim);
		for (size_t pair = 0; pair < POOL / 2; pair++)
			err += fabs(vx_simhash_cosine(c.sig[2 * pair], c.sig[2 * pair + 1]) -
				    vx_exact_cosine(c.vecs + 2 * pair * c.dim,
						    c.vecs + (2 * pair + 1) * c.dim, c.dim));

		vx_bench_note(b, "bytes", (double)vx_simhash_footprint(c.s));
		snprintf(name, sizeof(name), "simhash/sign/d%zu", c.dim);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = run_simhash_sign,
							 .ctx = &c, .ops = 20000 });
		if (d == 1) {
			vx_bench_note(b, "mean_abs_err", err / (POOL / 2));
			vx_bench_note(b, "bytes_per_vector", 8);
			vx_bench_run(b, &(struct vx_bench_case){
						.name = "simhash/cosine-estimate/pair",
						.run = run_simhash_cosine, .ctx = &c, .ops = 100000 });
			vx_bench_note(b, "bytes_per_vector", (double)(c.dim * sizeof(float)));
			snprintf(name, sizeof(name), "exact/cosine/d%zu/pair", c.dim);
			vx_bench_run(b, &(struct vx_bench_case){ .name = name,
								 .run = run_exact_cosine,
								 .ctx = &c, .ops = 100000 });
		}
		free(c.vecs);
		free(c.sig);
		vx_simhash_destroy(c.s);
	}
}

/* ---- near-duplicate search --------------------------------------------------- */

struct nd_ctx {
	size_t n;               /* stored sets */
	size_t q;               /* queries (LSH, and the truth) */
	size_t qb;              /* queries timed for brute force (it is slow) */
	uint64_t *sets;         /* n sorted sets of SET_LEN */
	uint64_t *queries;      /* q sorted sets of SET_LEN */
	struct vx_minhash **qsig;
	size_t *truth_off;      /* truth of query j: truth_id[truth_off[j] .. truth_off[j+1]) */
	uint32_t *truth_id;
	struct vx_lsh_index *index, *fresh;
	size_t bands, rows;
	struct vx_minhash *tmp;
	struct vx_lsh_match *out; /* room for n */
};

static void perturb(uint64_t *rng, const uint64_t *from, uint64_t *to, unsigned changes)
{
	memcpy(to, from, SET_LEN * sizeof(*to));
	for (unsigned i = 0; i < changes; i++)
		to[vx_rand64(rng) % SET_LEN] = vx_rand64(rng);
	if (vx_exact_sort_unique(to, SET_LEN) != SET_LEN) { /* 2^-58: never */
		fprintf(stderr, "bench_lsh: element collision\n");
		exit(1);
	}
}

static void nd_generate(struct nd_ctx *c, uint64_t seed)
{
	uint64_t rng = seed, base[SET_LEN];
	size_t total = 0, cap = 16 * c->q;

	c->sets = xmalloc(c->n * SET_LEN * sizeof(*c->sets));
	c->queries = xmalloc(c->q * SET_LEN * sizeof(*c->queries));
	for (size_t i = 0; i < c->n; i++) {
		if (i % CLUSTER == 0)
			for (size_t e = 0; e < SET_LEN; e++)
				base[e] = vx_rand64(&rng);
		/* Up to 24 of 64 replaced: J with the base from 1 down to 0.45. */
		perturb(&rng, base, c->sets + i * SET_LEN, (unsigned)(vx_rand64(&rng) % 25));
	}
	for (size_t j = 0; j < c->q; j++)
		perturb(&rng, c->sets + (vx_rand64(&rng) % c->n) * SET_LEN,
			c->queries + j * SET_LEN, (unsigned)(vx_rand64(&rng) % 17));

	c->qsig = xmalloc(c->q * sizeof(*c->qsig));
	for (size_t j = 0; j < c->q; j++) {
		check(vx_minhash_create(&c->qsig[j], K, 99), "minhash");
		for (size_t e = 0; e < SET_LEN; e++)
			vx_minhash_add_hash(c->qsig[j], c->queries[j * SET_LEN + e]);
	}

	/* The brute-force truth, untimed. */
	c->truth_off = xmalloc((c->q + 1) * sizeof(*c->truth_off));
	c->truth_id = xmalloc(cap * sizeof(*c->truth_id));
	for (size_t j = 0; j < c->q; j++) {
		c->truth_off[j] = total;
		for (size_t i = 0; i < c->n; i++) {
			if (vx_exact_jaccard(c->queries + j * SET_LEN, SET_LEN,
					     c->sets + i * SET_LEN, SET_LEN) < THRESHOLD)
				continue;
			if (total == cap) {
				cap *= 2;
				c->truth_id = realloc(c->truth_id, cap * sizeof(*c->truth_id));
				if (!c->truth_id)
					check(-1, "realloc");
			}
			c->truth_id[total++] = (uint32_t)i;
		}
	}
	c->truth_off[c->q] = total;
	check(vx_minhash_create(&c->tmp, K, 99), "minhash");
	c->out = xmalloc(c->n * sizeof(*c->out));
}

static void nd_free(struct nd_ctx *c)
{
	for (size_t j = 0; j < c->q; j++)
		vx_minhash_destroy(c->qsig[j]);
	free(c->qsig);
	free(c->sets);
	free(c->queries);
	free(c->truth_off);
	free(c->truth_id);
	free(c->out);
	vx_minhash_destroy(c->tmp);
}

static void run_brute(void *p, uint64_t ops)
{
	struct nd_ctx *c = p;
	size_t hits = 0;

	for (uint64_t j = 0; j < ops; j++) {
		const uint64_t *q = c->queries + (j % c->qb) * SET_LEN;

		for (size_t i = 0; i < c->n; i++)
			hits += vx_exact_jaccard(q, SET_LEN, c->sets + i * SET_LEN, SET_LEN) >=
				THRESHOLD;
	}
	vx_bench_keep(hits);
}

static void run_lsh_query(void *p, uint64_t ops)
{
	struct nd_ctx *c = p;
	ssize_t hits = 0;

	for (uint64_t j = 0; j < ops; j++)
		hits += vx_lsh_query(c->index, c->qsig[j % c->q], 0.0, c->out, c->n);
	vx_bench_keep(hits);
}

static void setup_insert(void *p)
{
	struct nd_ctx *c = p;

	vx_lsh_destroy(c->fresh);
	check(vx_lsh_create(&c->fresh, K, 99, c->bands, c->rows), "lsh");
}

/* Copying each signature out of the built index is the only way to hold 10^5
 * presigned sets without 10^5 signature objects: it costs one k·8-byte memcpy. */
static void run_insert(void *p, uint64_t ops)
{
	struct nd_ctx *c = p;
	uint64_t id;

	for (uint64_t i = 0; i < ops; i++) {
		check(vx_lsh_item(c->index, i, &id, c->tmp), "item");
		check(vx_lsh_insert(c->fresh, id, c->tmp), "insert");
	}
}

/* Candidates per query, and the fraction of true pairs (exact J >= 0.7) that are
 * candidates, or that pass the estimate filter (estimated J >= 0.7). */
static void nd_measure(struct nd_ctx *c, double *cands, double *recall, double *recall_est,
		       double *precision_est)
{
	uint32_t *stamp = calloc(c->n, sizeof(*stamp));
	size_t found = 0, found_est = 0, passed = 0, truths = 0, all = 0;

	if (!stamp)
		check(-1, "calloc");
	for (size_t j = 0; j < c->q; j++) {
		ssize_t got = vx_lsh_query(c->index, c->qsig[j], 0.0, c->out, c->n);

		check(got, "query");
		all += (size_t)got;
		for (ssize_t i = 0; i < got; i++)
			stamp[c->out[i].id] = c->out[i].similarity >= THRESHOLD ? 2 : 1;
		for (size_t t = c->truth_off[j]; t < c->truth_off[j + 1]; t++) {
			found += stamp[c->truth_id[t]] >= 1;
			found_est += stamp[c->truth_id[t]] == 2;
		}
		for (ssize_t i = 0; i < got; i++) {
			passed += c->out[i].similarity >= THRESHOLD;
			stamp[c->out[i].id] = 0;
		}
		truths += c->truth_off[j + 1] - c->truth_off[j];
	}
	*cands = (double)all / (double)c->q;
	*recall = truths ? (double)found / (double)truths : 1.0;
	*recall_est = truths ? (double)found_est / (double)truths : 1.0;
	*precision_est = passed ? (double)found_est / (double)passed : 1.0;
	free(stamp);
}

static void bench_near_duplicates(struct vx_bench *b, size_t n, size_t q, size_t qb)
{
	static const double knees[] = { THRESHOLD, THRESHOLD - 0.1 };
	struct nd_ctx c = { .n = n, .q = q, .qb = qb };
	char name[80];

	nd_generate(&c, n);

	vx_bench_note(b, "cands", (double)n);
	vx_bench_note(b, "recall", 1.0);
	vx_bench_note(b, "true_per_query", (double)c.truth_off[q] / (double)q);
	vx_bench_note(b, "bytes", (double)(n * SET_LEN * sizeof(uint64_t)));
	snprintf(name, sizeof(name), "exact/brute-jaccard-query/%zu", n);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = run_brute, .ctx = &c,
						 .ops = qb });

	for (size_t kn = 0; kn < 2; kn++) {
		double cands, recall, recall_est, precision_est;

		check(vx_lsh_params(K, knees[kn], &c.bands, &c.rows), "params");
		check(vx_lsh_create(&c.index, K, 99, c.bands, c.rows), "lsh");
		for (size_t i = 0; i < n; i++) {
			vx_minhash_reset(c.tmp);
			for (size_t e = 0; e < SET_LEN; e++)
				vx_minhash_add_hash(c.tmp, c.sets[i * SET_LEN + e]);
			check(vx_lsh_insert(c.index, i, c.tmp), "insert");
		}
		if (kn == 0) {
			vx_bench_note(b, "bytes", (double)vx_lsh_footprint(c.index));
			snprintf(name, sizeof(name), "lsh/insert(presigned+copy)/%zu", n);
			vx_bench_run(b, &(struct vx_bench_case){ .name = name,
								 .setup = setup_insert,
								 .run = run_insert, .ctx = &c,
								 .ops = n });
			vx_lsh_destroy(c.fresh);
			c.fresh = NULL;
		}
		nd_measure(&c, &cands, &recall, &recall_est, &precision_est);
		vx_bench_note(b, "b", (double)c.bands);
		vx_bench_note(b, "r", (double)c.rows);
		vx_bench_note(b, "cands", cands);
		vx_bench_note(b, "recall", recall);
		vx_bench_note(b, "recall_est", recall_est);
		vx_bench_note(b, "precision_est", precision_est);
		vx_bench_note(b, "bytes", (double)vx_lsh_footprint(c.index));
		snprintf(name, sizeof(name), "lsh/query(presigned)/knee%.1f/%zu", knees[kn], n);
		vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = run_lsh_query,
							 .ctx = &c, .ops = q });
		vx_lsh_destroy(c.index);
		c.index = NULL;
	}
	nd_free(&c);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "lsh");

	bench_minhash(b);
	bench_simhash(b);
	if (vx_bench_quick(b)) {
		bench_near_duplicates(b, 1000, 100, 100);
	} else {
		bench_near_duplicates(b, 10000, 1000, 50);
		bench_near_duplicates(b, 100000, 200, 10);
	}
	return vx_bench_finish(b);
}
