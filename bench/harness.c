// SPDX-License-Identifier: MIT
#include "bench/harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_NOTES 8
#define MAX_REPS  1000

struct vx_bench {
	const char *suite;
	const char *filter;
	unsigned reps;
	unsigned warmup;
	bool json;
	bool quick;
	FILE *table;
	unsigned nnotes;
	const char *note_key[MAX_NOTES];
	double note_val[MAX_NOTES];
	unsigned rows;
};

uint64_t vx_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t vx_bench_peak_rss(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024u;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--json] [--quick] [--reps N] [--warmup N] [FILTER]\n", prog);
}

static unsigned parse_count(const char *prog, const char *s)
{
	char *end;
	unsigned long v = strtoul(s ? s : "", &end, 10);

	if (!s || *end || v == 0 || v > MAX_REPS) {
		usage(prog);
		exit(2);
	}
	return (unsigned)v;
}

struct vx_bench *vx_bench_start(int argc, char **argv, const char *suite)
{
	struct vx_bench *b = calloc(1, sizeof(*b));

	if (!b) {
		perror(suite);
		exit(1);
	}
	b->suite = suite;
	b->reps = 11;
	b->warmup = 1;
	b->table = stdout;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			b->json = true;
			b->table = stderr;
		} else if (!strcmp(a, "--quick")) {
			b->quick = true;
		} else if (!strcmp(a, "--reps")) {
			b->reps = parse_count(argv[0], argv[++i < argc ? i : 0]);
		} else if (!strcmp(a, "--warmup")) {
			b->warmup = parse_count(argv[0], argv[++i < argc ? i : 0]);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(argv[0]);
			exit(0);
		} else if (a[0] == '-' || b->filter) {
			usage(argv[0]);
			exit(2);
		} else {
			b->filter = a;
		}
	}
	if (b->quick && b->reps > 3)
		b->reps = 3;
	return b;
}

bool vx_bench_quick(const struct vx_bench *b)
{
	return b->quick;
}

bool vx_bench_selected(const struct vx_bench *b, const char *name)
{
	return !b->filter || strstr(name, b->filter);
}

void vx_bench_note(struct vx_bench *b, const char *key, double value)
{
	if (b->nnotes == MAX_NOTES)
		return;
	b->note_key[b->nnotes] = key;
	b->note_val[b->nnotes++] = value;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static void print_row(struct vx_bench *b, const char *name, double med, double p99, double max)
{
	double ops = med > 0 ? 1e9 / med : 0;
	double rss_mb = (double)vx_bench_peak_rss() / 1048576.0;

	if (b->rows++ == 0)
		fprintf(b->table, "%-40s %10s %10s %10s %12s %9s  %s\n", b->suite, "ns/op", "p99",
			"max", "ops/s", "rss MB", "notes");
	fprintf(b->table, "%-40s %10.2f %10.2f %10.2f %12.4g %9.1f ", name, med, p99, max, ops,
		rss_mb);
	for (unsigned i = 0; i < b->nnotes; i++)
		fprintf(b->table, " %s=%.6g", b->note_key[i], b->note_val[i]);
	fputc('\n', b->table);
	fflush(b->table);

	if (!b->json)
		return;
	printf("{\"suite\":\"%s\",\"case\":\"%s\",\"reps\":%u,\"ns_per_op\":{\"median\":%.3f,"
	       "\"p99\":%.3f,\"max\":%.3f},\"ops_per_s\":%.1f,\"peak_rss_bytes\":%llu",
	       b->suite, name, b->reps, med, p99, max, ops,
	       (unsigned long long)vx_bench_peak_rss());
	for (unsigned i = 0; i < b->nnotes; i++)
		printf(",\"%s\":%.9g", b->note_key[i], b->note_val[i]);
	printf("}\n");
	fflush(stdout);
}

double vx_bench_run(struct vx_bench *b, const struct vx_bench_case *c)
{
	double t[MAX_REPS], med, p99;
	unsigned n = b->reps;

	if (!vx_bench_selected(b, c->name)) {
		b->nnotes = 0;
		return -1;
	}
	for (unsigned i = 0; i < b->warmup + n; i++) {
		uint64_t start;

		if (c->setup)
			c->setup(c->ctx);
		start = vx_bench_now_ns();
		c->run(c->ctx, c->ops);
		if (i >= b->warmup)
			t[i - b->warmup] = (double)(vx_bench_now_ns() - start) / (double)c->ops;
	}
	qsort(t, n, sizeof(t[0]), cmp_double);
	med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	/* Nearest-rank p99: with few repetitions it is the maximum. */
	p99 = t[(size_t)((99 * (unsigned long)n + 99) / 100) - 1];
	print_row(b, c->name, med, p99, t[n - 1]);
	b->nnotes = 0;
	return med;
}

int vx_bench_finish(struct vx_bench *b)
{
	free(b);
	return 0;
}

void vx_bench_die(const char *what)
{
	fprintf(stderr, "%s: %s failed\n", program_invocation_short_name, what);
	exit(1);
}
