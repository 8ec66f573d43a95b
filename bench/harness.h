/* SPDX-License-Identifier: MIT */
#ifndef VX_BENCH_HARNESS_H
#define VX_BENCH_HARNESS_H

/*
 * The one timing harness every benchmark uses. A benchmark program starts a run,
 * times cases and finishes:
 *
 *	struct vx_bench *b = vx_bench_start(argc, argv, "bloom");
 *	vx_bench_note(b, "bytes", (double)footprint);     // extra fields, next row only
 *	vx_bench_run(b, &(struct vx_bench_case){ .name = "blocked/insert/1e7",
 *	              .run = insert, .ctx = &ctx, .ops = 10000000 });
 *	return vx_bench_finish(b);
 *
 * Each case runs warm-up repetitions, then timed ones; the row reports per-op time
 * (median, p99, max over repetitions), operations per second at the median, and
 * the process's peak RSS so far. Output: a table on stdout, or with --json one JSON
 * object per line on stdout (and the table on stderr).
 *
 * Options every benchmark takes: --json, --reps N, --warmup N, --quick (smaller
 * sizes: programs read it through vx_bench_quick()), and a substring to select cases.
 */
#include <stdbool.h>
#include <stdint.h>

struct vx_bench;

struct vx_bench_case {
	const char *name;                       /* "suite/what/size", no quotes */
	void (*setup)(void *ctx);               /* optional, before each repetition, untimed */
	void (*run)(void *ctx, uint64_t ops);   /* one repetition of @ops operations */
	void *ctx;
	uint64_t ops;                           /* operations per repetition */
};

/**
 * vx_bench_start() - parse the common options and begin a run.
 * @argc, @argv: the program's.
 * @suite:       name of the benchmark program, first field of every row.
 *
 * Exits with status 2 and a usage line on a bad option.
 * Return: the run.
 */
struct vx_bench *vx_bench_start(int argc, char **argv, const char *suite);

/** vx_bench_quick() - true under --quick: use small sizes. */
bool vx_bench_quick(const struct vx_bench *b);

/** vx_bench_die() - "PROGRAM: @what failed" on stderr, exit status 1: a benchmark's
 * set-up failed and there is nothing to measure. */
void vx_bench_die(const char *what) __attribute__((noreturn));

/** vx_bench_selected() - true if a case of this name runs (the filter matches). */
bool vx_bench_selected(const struct vx_bench *b, const char *name);

/**
 * vx_bench_note() - attach a named figure (bytes, measured error, ratio...) to the
 * next row. At most 8 per row.
 */
void vx_bench_note(struct vx_bench *b, const char *key, double value);

/**
 * vx_bench_run() - time a case and print its row (skipped if not selected).
 * @b: run.
 * @c: the case.
 *
 * Return: median ns per operation, or -1 if the case was not selected.
 */
double vx_bench_run(struct vx_bench *b, const struct vx_bench_case *c);

/**
 * vx_bench_finish() - end the run and free it.
 * Return: the exit status for main().
 */
int vx_bench_finish(struct vx_bench *b);

/** vx_bench_now_ns() - CLOCK_MONOTONIC in nanoseconds. */
uint64_t vx_bench_now_ns(void);

/** vx_bench_peak_rss() - the process's peak resident set, in bytes. */
uint64_t vx_bench_peak_rss(void);

/* Keep a value alive so the compiler cannot drop the work that made it. */
#define vx_bench_keep(v) __asm__ volatile("" : : "g"(v) : "memory")

#endif
