/* SPDX-License-Identifier: MIT */
#ifndef VX_BENCH_WORKLOAD_H
#define VX_BENCH_WORKLOAD_H

/*
 * Synthetic workloads shared by the benchmarks and tests of the frequency
 * sketches (Misra–Gries, Count-Min): Zipf streams of ranks, the same streams
 * as decimal-text keys, and the exact-count baseline they are measured
 * against. Every stream comes from vx_rand_unit() with a fixed seed, so a
 * seed gives the same stream, bit for bit, on every run.
 */
#include <stddef.h>
#include <stdint.h>

struct vx_bench;
struct vx_exact_counts;

/**
 * vx_workload_zipf() - a stream of ranks drawn from Zipf(@s) over @m keys.
 * @out:  n ranks in 0 .. m-1; rank 0 is the most frequent.
 * @n:    number of draws.
 * @m:    number of distinct keys, at least 1.
 * @s:    the exponent: P(rank i) is proportional to (i + 1)^-s.
 * @seed: vx_rand_unit() state to start from.
 *
 * Draws by inverse CDF with a binary search (Vose's alias table would be O(1)
 * a draw; this keeps it short, and callers draw outside timed regions).
 *
 * Return: 0, or -ENOMEM (@out is then untouched).
 */
int vx_workload_zipf(uint32_t *out, size_t n, size_t m, double s, uint64_t seed)
	__attribute__((warn_unused_result));

/* A key of the text streams: the decimal digits of its rank, 1 to 6 bytes. */
struct vx_workload_key {
	char b[7];
	uint8_t len;
};

/* A stream of keys, with a list of queries drawn from it. */
struct vx_workload_keys {
	struct vx_workload_key *items; /* the stream, in order */
	size_t n;
	struct vx_workload_key *queries; /* keys drawn uniformly from items */
	size_t nq;
};

/**
 * vx_workload_keys_create() - a Zipf stream of decimal-text keys.
 * @st:         filled in; free with vx_workload_keys_destroy().
 * @n:          stream length.
 * @m:          distinct keys, at most 10^6 (so a key fits 6 digits).
 * @nq:         number of queries.
 * @s:          Zipf exponent.
 * @seed:       vx_workload_zipf() seed of the stream.
 * @query_seed: vx_rand64() state the queries' positions are drawn from.
 *
 * Return: 0, or -ENOMEM.
 */
int vx_workload_keys_create(struct vx_workload_keys *st, size_t n, size_t m, size_t nq, double s,
			    uint64_t seed, uint64_t query_seed) __attribute__((warn_unused_result));

/** vx_workload_keys_destroy() - free a stream's arrays (accepts a zeroed one). */
void vx_workload_keys_destroy(struct vx_workload_keys *st);

/**
 * vx_workload_bench_exact() - the exact map of counts as the baseline: time
 * its adds (case "exact/add/@size", when selected) and queries
 * ("exact/query/@size") on the first @n items of @st.
 * @b:     the run.
 * @st:    the stream; queries are its first min(@n, nq).
 * @n:     items to add.
 * @size:  the size label of the case names.
 * @truth: set to the map of the first @n items: the ground truth to measure
 *         a sketch's error against. Free with vx_exact_counts_destroy().
 *
 * Exits with status 1 and a message if memory runs out, as the harness does.
 */
void vx_workload_bench_exact(struct vx_bench *b, const struct vx_workload_keys *st, size_t n,
			     const char *size, struct vx_exact_counts **truth);

#endif
