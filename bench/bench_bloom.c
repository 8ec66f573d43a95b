// SPDX-License-Identifier: MIT
/*
 * Bloom filters beside the exact hash set they replace.
 *
 * Case names: <variant>/<operation>/<keys>/<size>. "hash" cases feed 64-bit
 * hashes computed before the timed region (the filter's own cost); "bytes" cases
 * feed 8-16-byte keys through vx_hash64() inside it. A repetition runs at most
 * 10^6 operations (see next_chunk()); the lookups run against a structure
 * holding exactly <size> keys, filled untimed after the insert case.
 * "lookup-neg" probes keys never inserted; its "fpr" note is the fraction of
 * them reported present (over the first 10^6).
 *
 * The blocked filter is sized for 1% by the Putze formula (about 9.9 bits per
 * key); the classic filter gets the same bits per key, with its own optimal k.
 *
 * "hash-batch" is the same lookups through vx_bloom_blocked_contains_batch(),
 * which prefetches a few keys ahead.
 *
 * memory/chase and memory/gather give the machine's random-access latency and
 * throughput at the same array size, to read the filters' figures against.
 *
 * The fpr/<variant>/load=L rows sweep the load (keys inserted / capacity) for a
 * plot of FPR against load; they time negative lookups at that load.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "algorithms/bloom.h"
#include "algorithms/exact.h"
#include "algorithms/hash.h"
#include "bench/harness.h"

#define KEY_SLOT 16       /* bytes reserved per key; keys are 8..16 bytes */
#define CHUNK 1000000     /* most operations per repetition */
#define TARGET_FPR 0.01

struct ctx {
	uint64_t n;           /* keys in each set */
	uint64_t chunk;       /* operations per repetition: min(n, CHUNK) */
	uint64_t next;        /* insert repetitions so far */
	uint64_t off;         /* first key of this repetition's chunk */
	uint64_t *in, *out;   /* hashes of inserted and of absent keys */
	uint8_t *kin, *kout;  /* key bytes, KEY_SLOT apart */
	uint8_t *klen;        /* length of key i, shared by both sets */
	bool *answers;        /* chunk answers of a batched lookup */
	struct vx_bloom *classic;
	struct vx_bloom_blocked *blocked;
	struct vx_bloom_counting *counting;
	struct vx_bloom_aging *aging;
	struct vx_exact_counts *exact;
	uint64_t sink;
};

/*
 * Inserts at 10^7 keys: repetition r inserts chunk r mod 10 of the keys, and the
 * structure is emptied before chunk 0. Every insert lands in a structure sized
 * for (and, for the exact set, growing to) the full set; the median repetition
 * is a tenth of a full build. Lookups probe the first chunk of keys.
 */
static bool next_chunk(struct ctx *c)
{
	c->off = c->next++ % (c->n / c->chunk) * c->chunk;
	return c->off == 0;
}

/*
 * The timed loops, one set per variant, written out (by macro) rather than
 * through function pointers so each op is a direct call, as in real use. Not
 * every variant runs every loop.
 */
#define MAYBE_UNUSED __attribute__((unused))

#define LOOPS(V, T)                                                                      \
	MAYBE_UNUSED static void V##_insert_hash(void *p, uint64_t ops)                  \
	{                                                                                \
		struct ctx *c = p;                                                       \
		for (uint64_t i = c->off; i < c->off + ops; i++)                         \
			T##_add_hash(c->V, c->in[i]);                                    \
	}                                                                                \
	MAYBE_UNUSED static void V##_neg_hash(void *p, uint64_t ops)                     \
	{                                                                                \
		struct ctx *c = p;                                                       \
		uint64_t hits = 0;                                                       \
		for (uint64_t i = 0; i < ops; i++)                                       \
			hits += T##_contains_hash(c->V, c->out[i]);                      \
		c->sink += hits;                                                         \
	}                                                                                \
	MAYBE_UNUSED static void V##_pos_hash(void *p, uint64_t ops)                     \
	{                                                                                \
		struct ctx *c = p;                                                       \
		uint64_t hits = 0;                                                       \
		for (uint64_t i = 0; i < ops; i++)                                       \
			hits += T##_contains_hash(c->V, c->in[i]);                       \
		c->sink += hits;                                                         \
	}                                                                                \
	MAYBE_UNUSED static void V##_insert_bytes(void *p, uint64_t ops)                 \
	{                                                                                \
		struct ctx *c = p;                                                       \
		for (uint64_t i = c->off; i < c->off + ops; i++)                         \
			T##_add(c->V, c->kin + i * KEY_SLOT, c->klen[i]);                \
	}                                                                                \
	MAYBE_UNUSED static void V##_neg_bytes(void *p, uint64_t ops)                    \
	{                                                                                \
		struct ctx *c = p;                                                       \
		uint64_t hits = 0;                                                       \
		for (uint64_t i = 0; i < ops; i++)                                       \
			hits += T##_contains(c->V, c->kout + i * KEY_SLOT, c->klen[i]);  \
		c->sink += hits;                                                         \
	}                                                                                \
	MAYBE_UNUSED static double V##_fpr_hash(const struct ctx *c, uint64_t probes)    \
	{                                                                                \
		uint64_t hits = 0;                                                       \
		for (uint64_t i = 0; i < probes; i++)                                    \
			hits += T##_contains_hash(c->V, c->out[i]);                      \
		return (double)hits / (double)probes;                                    \
	}                                                                                \
	MAYBE_UNUSED static double V##_fpr_bytes(const struct ctx *c, uint64_t probes)   \
	{                                                                                \
		uint64_t hits = 0;                                                       \
		for (uint64_t i = 0; i < probes; i++)                                    \
			hits += T##_contains(c->V, c->kout + i * KEY_SLOT, c->klen[i]);  \
		return (double)hits / (double)probes;                                    \
	}                                                                                \
	/* untimed: all n keys in, whatever the insert repetitions left */               \
	MAYBE_UNUSED static void V##_fill_hash(struct ctx *c)                            \
	{                                                                                \
		for (uint64_t i = 0; i < c->n; i++)                                      \
			T##_add_hash(c->V, c->in[i]);                                    \
	}                                                                                \
	MAYBE_UNUSED static void V##_fill_bytes(struct ctx *c)                           \
	{                                                                                \
		for (uint64_t i = 0; i < c->n; i++)                                      \
			T##_add(c->V, c->kin + i * KEY_SLOT, c->klen[i]);                \
	}

LOOPS(classic, vx_bloom)
LOOPS(blocked, vx_bloom_blocked)
LOOPS(counting, vx_bloom_counting)
LOOPS(aging, vx_bloom_aging)

static void classic_setup(void *p)
{
	if (next_chunk(p))
		vx_bloom_clear(((struct ctx *)p)->classic);
}

static void blocked_setup(void *p)
{
	if (next_chunk(p))
		vx_bloom_blocked_clear(((struct ctx *)p)->blocked);
}

static void counting_setup(void *p)
{
	if (next_chunk(p))
		vx_bloom_counting_clear(((struct ctx *)p)->counting);
}

/* Two rotations empty both generations. */
static void aging_setup(void *p)
{
	struct ctx *c = p;

	if (next_chunk(c)) {
		vx_bloom_aging_rotate(c->aging);
		vx_bloom_aging_rotate(c->aging);
	}
}

static void blocked_neg_batch(void *p, uint64_t ops)
{
	struct ctx *c = p;

	c->sink += vx_bloom_blocked_contains_batch(c->blocked, c->out, ops, c->answers);
}

static void aging_rotate(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		vx_bloom_aging_rotate(c->aging);
}

/* Counting removes: each repetition removes a chunk; all keys go back in first. */
static void counting_remove_setup(void *p)
{
	struct ctx *c = p;

	if (next_chunk(c)) {
		vx_bloom_counting_clear(c->counting);
		counting_fill_hash(c);
	}
}

static void counting_remove_hash(void *p, uint64_t ops)
{
	struct ctx *c = p;
	uint64_t ok = 0;

	for (uint64_t i = c->off; i < c->off + ops; i++)
		ok += vx_bloom_counting_remove_hash(c->counting, c->in[i]) == 0;
	c->sink += ok;
}

static void exact_setup(void *p)
{
	struct ctx *c = p;

	if (next_chunk(c)) {
		vx_exact_counts_destroy(c->exact);
		if (vx_exact_counts_create(&c->exact) < 0)
			abort();
	}
}

static void exact_insert_bytes(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = c->off; i < c->off + ops; i++)
		if (vx_exact_counts_add(c->exact, c->kin + i * KEY_SLOT, c->klen[i], 1) < 0)
			abort();
}

static void exact_fill_bytes(struct ctx *c)
{
	for (uint64_t i = 0; i < c->n; i++)
		if (vx_exact_counts_add(c->exact, c->kin + i * KEY_SLOT, c->klen[i], 1) < 0)
			abort();
}

static void exact_neg_bytes(void *p, uint64_t ops)
{
	struct ctx *c = p;
	uint64_t hits = 0;

	for (uint64_t i = 0; i < ops; i++)
		hits += vx_exact_counts_get(c->exact, c->kout + i * KEY_SLOT, c->klen[i]);
	c->sink += hits;
}

static void exact_pos_bytes(void *p, uint64_t ops)
{
	struct ctx *c = p;
	uint64_t hits = 0;

	for (uint64_t i = 0; i < ops; i++)
		hits += vx_exact_counts_get(c->exact, c->kin + i * KEY_SLOT, c->klen[i]);
	c->sink += hits;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		perror("bench_bloom");
		exit(1);
	}
	return p;
}

static void fill_keys(struct ctx *c, uint64_t n, uint64_t seed)
{
	uint64_t s = seed;

	c->n = n;
	c->chunk = n < CHUNK ? n : CHUNK;
	c->in = xmalloc(n * sizeof(uint64_t));
	c->out = xmalloc(n * sizeof(uint64_t));
	c->kin = xmalloc(n * KEY_SLOT);
	c->kout = xmalloc(n * KEY_SLOT);
	c->klen = xmalloc(n);
	c->answers = xmalloc(c->chunk * sizeof(bool));
	for (uint64_t i = 0; i < n; i++) {
		/* Random key bytes: inserted and absent sets collide with odds 2^-64. */
		for (unsigned j = 0; j < KEY_SLOT; j += 8) {
			uint64_t a = vx_rand64(&s), b = vx_rand64(&s);

			memcpy(c->kin + i * KEY_SLOT + j, &a, 8);
			memcpy(c->kout + i * KEY_SLOT + j, &b, 8);
		}
		c->klen[i] = (uint8_t)(8 + i % 9);
		c->in[i] = vx_rand64(&s);
		c->out[i] = vx_rand64(&s);
	}
}

static void free_keys(struct ctx *c)
{
	free(c->in);
	free(c->out);
	free(c->kin);
	free(c->kout);
	free(c->klen);
	free(c->answers);
}

static double run(struct vx_bench *b, const char *what, const char *size,
		  void (*setup)(void *), void (*fn)(void *, uint64_t), struct ctx *c, uint64_t ops)
{
	char name[96];

	snprintf(name, sizeof(name), "%s/%s", what, size);
	c->next = 0;
	c->off = 0;
	return vx_bench_run(b, &(struct vx_bench_case){
				       .name = name, .setup = setup, .run = fn, .ctx = c, .ops = ops });
}

static void note_size(struct vx_bench *b, size_t bytes, uint64_t bits, uint64_t n, unsigned k)
{
	vx_bench_note(b, "bytes", (double)bytes);
	vx_bench_note(b, "bits_per_key", (double)bits / (double)n);
	vx_bench_note(b, "k", k);
}

struct speed {
	double insert, neg;
};

/*
 * Context rows: the machine's random-access cost over an array the size of the
 * blocked filter, allocated as bloom.c allocates it (2 MiB aligned, huge pages
 * advised). "chase" follows a random cycle through its cache lines, one load
 * after the other: the latency of one miss. "gather" sums independent random
 * loads: the throughput when misses overlap. A per-key filter call sits between
 * the two, nearer the latency the more instructions it spends per key.
 */
struct mem {
	uint64_t *line; /* one uint64_t used per 64-byte line */
	uint64_t lines, pos, sink;
	const uint64_t *hashes;
};

static void mem_chase(void *p, uint64_t ops)
{
	struct mem *m = p;
	uint64_t pos = m->pos;

	for (uint64_t i = 0; i < ops; i++)
		pos = m->line[pos * 8];
	m->pos = pos;
}

static void mem_gather(void *p, uint64_t ops)
{
	struct mem *m = p;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < ops; i++)
		sum += m->line[((m->hashes[i] >> 32) * m->lines >> 32) * 8];
	m->sink += sum;
}

static void bench_memory(struct vx_bench *b, size_t bytes, const uint64_t *hashes, uint64_t ops,
			 const char *size)
{
	struct mem m = { .lines = bytes / 64, .hashes = hashes };
	uint64_t s = 7;
	char name[64];

	if (posix_memalign((void **)&m.line, 2u << 20, m.lines * 64) != 0)
		abort();
#ifdef MADV_HUGEPAGE
	(void)madvise(m.line, m.lines * 64, MADV_HUGEPAGE);
#endif
	/* Sattolo's shuffle: one cycle through every line. */
	for (uint64_t i = 0; i < m.lines; i++)
		m.line[i * 8] = i;
	for (uint64_t i = m.lines - 1; i > 0; i--) {
		uint64_t j = vx_rand64(&s) % i, t = m.line[i * 8];

		m.line[i * 8] = m.line[j * 8];
		m.line[j * 8] = t;
	}
	snprintf(name, sizeof(name), "memory/chase/%s", size);
	vx_bench_note(b, "bytes", (double)(m.lines * 64));
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = mem_chase, .ctx = &m,
						 .ops = ops / 10 });
	snprintf(name, sizeof(name), "memory/gather/%s", size);
	vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = mem_gather, .ctx = &m,
						 .ops = ops });
	vx_bench_keep(m.pos + m.sink);
	free(m.line);
}

/* One size: every variant and the exact set, on the same keys. */
static void bench_size(struct vx_bench *b, uint64_t n, const char *size, struct speed *blocked,
		       struct speed *classic)
{
	struct ctx c = { 0 };
	double bpk, theory;
	uint64_t ops;

	fill_keys(&c, n, 0x5eed + n);
	ops = c.chunk;
	bench_memory(b, (size_t)((double)n * 9.9 / 8), c.in, ops, size);
	if (vx_bloom_blocked_create(&c.blocked, n, TARGET_FPR) < 0)
		abort();
	bpk = (double)vx_bloom_blocked_bits(c.blocked) / (double)n;
	/* Classic at the blocked filter's bits per key: p = e^{-(m/n) ln^2 2}. */
	if (vx_bloom_create(&c.classic, n, exp(-bpk * M_LN2 * M_LN2)) < 0 ||
	    vx_bloom_counting_create(&c.counting, n, TARGET_FPR) < 0 ||
	    vx_bloom_aging_create(&c.aging, n, TARGET_FPR) < 0 ||
	    vx_exact_counts_create(&c.exact) < 0)
		abort();

	/* blocked */
	note_size(b, vx_bloom_blocked_footprint(c.blocked), vx_bloom_blocked_bits(c.blocked), n,
		  vx_bloom_blocked_hashes(c.blocked));
	blocked->insert = run(b, "blocked/insert/hash", size, blocked_setup, blocked_insert_hash,
			      &c, ops);
	blocked_fill_hash(&c);
	theory = vx_bloom_blocked_fpr(c.blocked, n);
	vx_bench_note(b, "fpr", blocked_fpr_hash(&c, ops));
	vx_bench_note(b, "fpr_theory", theory);
	blocked->neg = run(b, "blocked/lookup-neg/hash", size, NULL, blocked_neg_hash, &c, ops);
	run(b, "blocked/lookup-pos/hash", size, NULL, blocked_pos_hash, &c, ops);
	run(b, "blocked/lookup-neg/hash-batch", size, NULL, blocked_neg_batch, &c, ops);
	run(b, "blocked/insert/bytes", size, blocked_setup, blocked_insert_bytes, &c, ops);
	vx_bloom_blocked_clear(c.blocked);
	blocked_fill_bytes(&c);
	vx_bench_note(b, "fpr", blocked_fpr_bytes(&c, ops));
	vx_bench_note(b, "fpr_theory", theory);
	run(b, "blocked/lookup-neg/bytes", size, NULL, blocked_neg_bytes, &c, ops);

	/* classic */
	note_size(b, vx_bloom_footprint(c.classic), vx_bloom_bits(c.classic), n,
		  vx_bloom_hashes(c.classic));
	classic->insert = run(b, "classic/insert/hash", size, classic_setup, classic_insert_hash,
			      &c, ops);
	classic_fill_hash(&c);
	theory = vx_bloom_fpr(c.classic, n);
	vx_bench_note(b, "fpr", classic_fpr_hash(&c, ops));
	vx_bench_note(b, "fpr_theory", theory);
	classic->neg = run(b, "classic/lookup-neg/hash", size, NULL, classic_neg_hash, &c, ops);
	run(b, "classic/lookup-pos/hash", size, NULL, classic_pos_hash, &c, ops);
	run(b, "classic/insert/bytes", size, classic_setup, classic_insert_bytes, &c, ops);
	vx_bloom_clear(c.classic);
	classic_fill_bytes(&c);
	vx_bench_note(b, "fpr", classic_fpr_bytes(&c, ops));
	vx_bench_note(b, "fpr_theory", theory);
	run(b, "classic/lookup-neg/bytes", size, NULL, classic_neg_bytes, &c, ops);

	/* counting: 4-bit counters, sized for 1% as the classic formula says */
	note_size(b, vx_bloom_counting_footprint(c.counting),
		  4 * vx_bloom_counting_counters(c.counting), n, vx_bloom_counting_hashes(c.counting));
	run(b, "counting/insert/hash", size, counting_setup, counting_insert_hash, &c, ops);
	vx_bloom_counting_clear(c.counting);
	counting_fill_hash(&c);
	vx_bench_note(b, "fpr", counting_fpr_hash(&c, ops));
	run(b, "counting/lookup-neg/hash", size, NULL, counting_neg_hash, &c, ops);
	run(b, "counting/remove/hash", size, counting_remove_setup, counting_remove_hash, &c, ops);

	/* aging: capacity n per generation at 1%/2 each; inserts fill the current one */
	vx_bench_note(b, "bytes", (double)vx_bloom_aging_footprint(c.aging));
	run(b, "aging/insert/hash", size, aging_setup, aging_insert_hash, &c, ops);
	aging_fill_hash(&c);
	vx_bench_note(b, "fpr", aging_fpr_hash(&c, ops));
	run(b, "aging/lookup-neg/hash", size, NULL, aging_neg_hash, &c, ops);
	vx_bench_note(b, "generation_bytes", (double)vx_bloom_aging_footprint(c.aging) / 2);
	run(b, "aging/rotate", size, NULL, aging_rotate, &c, 16);

	/* the exact hash set on the same byte keys */
	run(b, "exact/insert/bytes", size, exact_setup, exact_insert_bytes, &c, ops);
	exact_fill_bytes(&c);
	vx_bench_note(b, "bytes", (double)vx_exact_counts_footprint(c.exact));
	vx_bench_note(b, "bits_per_key", 8.0 * (double)vx_exact_counts_footprint(c.exact) / (double)n);
	vx_bench_note(b, "fpr", 0);
	run(b, "exact/lookup-neg/bytes", size, NULL, exact_neg_bytes, &c, ops);
	run(b, "exact/lookup-pos/bytes", size, NULL, exact_pos_bytes, &c, ops);

	vx_bench_keep(c.sink);
	vx_bloom_destroy(c.classic);
	vx_bloom_blocked_destroy(c.blocked);
	vx_bloom_counting_destroy(c.counting);
	vx_bloom_aging_destroy(c.aging);
	vx_exact_counts_destroy(c.exact);
	free_keys(&c);
}

/* FPR against load for the classic and blocked filters sized for @cap keys at 1%. */
static void bench_sweep(struct vx_bench *b, uint64_t cap, uint64_t probes)
{
	static const double loads[] = { 0.1, 0.2, 0.3, 0.4, 0.5,  0.6, 0.75,
					0.9, 1.0, 1.25, 1.5, 1.75, 2.0 };
	struct ctx c = { 0 };
	char name[96];

	fill_keys(&c, probes > 2 * cap ? probes : 2 * cap, 0xf00d);
	if (vx_bloom_create(&c.classic, cap, TARGET_FPR) < 0 ||
	    vx_bloom_blocked_create(&c.blocked, cap, TARGET_FPR) < 0)
		abort();
	for (unsigned v = 0; v < 2; v++) {
		for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++) {
			uint64_t keys = (uint64_t)llround(loads[i] * (double)cap);

			snprintf(name, sizeof(name), "fpr/%s/load=%.2f", v ? "blocked" : "classic",
				 loads[i]);
			if (!vx_bench_selected(b, name))
				continue;
			vx_bench_note(b, "load", loads[i]);
			if (v == 0) {
				vx_bloom_clear(c.classic);
				classic_insert_hash(&c, keys);
				vx_bench_note(b, "fpr", classic_fpr_hash(&c, probes));
				vx_bench_note(b, "fpr_theory", vx_bloom_fpr(c.classic, keys));
				vx_bench_run(b, &(struct vx_bench_case){ .name = name,
					.run = classic_neg_hash, .ctx = &c, .ops = probes });
			} else {
				vx_bloom_blocked_clear(c.blocked);
				blocked_insert_hash(&c, keys);
				vx_bench_note(b, "fpr", blocked_fpr_hash(&c, probes));
				vx_bench_note(b, "fpr_theory", vx_bloom_blocked_fpr(c.blocked, keys));
				vx_bench_run(b, &(struct vx_bench_case){ .name = name,
					.run = blocked_neg_hash, .ctx = &c, .ops = probes });
			}
		}
	}
	vx_bench_keep(c.sink);
	vx_bloom_destroy(c.classic);
	vx_bloom_blocked_destroy(c.blocked);
	free_keys(&c);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "bloom");
	bool quick = vx_bench_quick(b);
	struct speed blocked[2], classic[2];
	const char *size[2] = { quick ? "1e4" : "1e5", quick ? "1e5" : "1e7" };
	uint64_t n[2] = { quick ? 10000 : 100000, quick ? 100000 : 10000000 };

	for (unsigned i = 0; i < 2; i++)
		bench_size(b, n[i], size[i], &blocked[i], &classic[i]);
	bench_sweep(b, quick ? 10000 : 100000, quick ? 100000 : 1000000);

	/* Speedups are ratios of two rows, so they go to stderr beside the table. */
	for (unsigned i = 0; i < 2; i++)
		if (blocked[i].insert > 0 && classic[i].insert > 0 && blocked[i].neg > 0 &&
		    classic[i].neg > 0)
			fprintf(stderr,
				"bloom: blocked vs classic at %s keys, same bits/key: "
				"insert %.2fx, negative lookup %.2fx faster\n",
				size[i], classic[i].insert / blocked[i].insert,
				classic[i].neg / blocked[i].neg);
	return vx_bench_finish(b);
}
