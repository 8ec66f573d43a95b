// SPDX-License-Identifier: MIT
/*
 * vox sketch: the sketches of algorithms/ as streaming tools over lines of text.
 * Each subcommand reads records (lines) from files or stdin in one pass, in memory
 * that does not grow with the input (but for --exact, which computes the naive
 * answer alongside for comparison, and `similar`, whose index holds a signature
 * per line).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "algorithms/bloom.h"
#include "algorithms/exact.h"
#include "algorithms/hll.h"
#include "algorithms/kll.h"
#include "algorithms/lsh.h"
#include "algorithms/mg.h"
#include "pipeline/cli.h"
#include "pipeline/json.h"
#include "pipeline/lines.h"

/* Options every subcommand takes. */
struct common {
	bool json;
	bool exact;
	bool quiet;
};

enum { OPT_JSON = 1000, OPT_EXACT, OPT_QUIET };

#define COMMON_OPTIONS                                                              \
	{ "json", no_argument, NULL, OPT_JSON }, { "exact", no_argument, NULL, OPT_EXACT }, \
		{ "quiet", no_argument, NULL, OPT_QUIET },                          \
		{ "help", no_argument, NULL, 'h' }

#define COMMON_HELP                                                                  \
	"  --exact        also compute the exact answer the naive way (memory grows with\n" \
	"                 the input) and show it beside the estimate\n"                     \
	"  --json         one JSON object on stdout (schema above)\n"                        \
	"  --quiet        no progress line on a terminal\n"                                 \
	"  -h, --help     this help\n"                                                      \
	"Input: FILEs, or stdin when none or '-'; one record per line.\n"                  \
	"Exit status: 0 done, 1 the work failed (unreadable input, bad file), 2 bad usage.\n"

/* getopt said '?': an unknown option, or one missing its value. */
static int bad_option(const char *cmd, char **argv)
{
	return vx_cli_usage(cmd, "unknown option or missing value: %s", argv[optind - 1]);
}

static bool common_option(struct common *c, int opt)
{
	switch (opt) {
	case OPT_JSON:
		c->json = true;
		return true;
	case OPT_EXACT:
		c->exact = true;
		return true;
	case OPT_QUIET:
		c->quiet = true;
		return true;
	default:
		return false;
	}
}

/* A probability in (0, 1), or in (0, 1] when @closed. */
static bool parse_prob(const char *s, bool closed, double *out)
{
	double v;

	if (!vx_cli_parse_double(s, &v) || !(v > 0 && (closed ? v <= 1 : v < 1)))
		return false;
	*out = v;
	return true;
}

static int fail(const char *cmd, const char *what, int err)
{
	fprintf(stderr, "vox sketch %s: %s: %s\n", cmd, what, strerror(-err));
	return VX_EXIT_FAIL;
}

/* Read every record, calling @fn on each; returns 0 or the exit status of a failure. */
static int each_record(const char *cmd, char **files, int nfiles, const struct common *c,
		       int (*fn)(void *ctx, const char *rec, size_t len, struct vx_lines *l),
		       void *ctx)
{
	struct vx_lines *l;
	const char *rec;
	size_t len;
	int ret;

	ret = vx_lines_open(&l, files, nfiles, !c->quiet);
	if (ret < 0)
		return fail(cmd, "input", ret);
	while ((ret = vx_lines_next(l, &rec, &len)) > 0) {
		ret = fn(ctx, rec, len, l);
		if (ret)
			break;
	}
	if (ret < 0) {
		fail(cmd, vx_lines_error(l), ret);
		ret = VX_EXIT_FAIL;
	}
	vx_lines_close(l);
	return ret;
}

static void print_size(FILE *f, double bytes)
{
	if (bytes < 10 * 1024)
		fprintf(f, "%.0f B", bytes);
	else if (bytes < 10 * 1048576)
		fprintf(f, "%.1f KiB", bytes / 1024);
	else
		fprintf(f, "%.1f MiB", bytes / 1048576);
}

/* ---- distinct --------------------------------------------------------------- */

static const char distinct_help[] =
	"usage: vox sketch distinct [--precision P] [--exact] [--json] [FILE...]\n"
	"Count distinct records with a HyperLogLog sketch (Ertl's estimator):\n"
	"relative standard error 1.04/sqrt(2^P), memory at most 0.75 * 2^P bytes.\n"
	"  -p, --precision P  4..18 (default 14: 0.81%, 12 KiB)\n" COMMON_HELP
	"JSON: {\"estimate\":N,\"bytes\":B,\"records\":R,\"standard_error\":E[,\"exact\":N]}\n";

struct distinct_ctx {
	struct vx_hll *hll;
	struct vx_exact_counts *exact;
};

static int distinct_record(void *ctx, const char *rec, size_t len, struct vx_lines *l)
{
	struct distinct_ctx *d = ctx;
	int ret = vx_hll_add(d->hll, rec, len);

	(void)l;
	if (ret == 0 && d->exact)
		ret = vx_exact_counts_add(d->exact, rec, len, 1);
	return ret < 0 ? ret : 0;
}

static int cmd_distinct(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "precision", required_argument, NULL, 'p' },
		COMMON_OPTIONS,
		{ 0 },
	};
	struct distinct_ctx d = { 0 };
	struct common c = { 0 };
	uint64_t p = 14;
	double est, se;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
		if (common_option(&c, opt))
			continue;
		if (opt == 'h') {
			fputs(distinct_help, stdout);
			return 0;
		}
		if (opt != 'p')
			return bad_option("sketch distinct", argv);
		if (!vx_cli_parse_u64(optarg, 10, VX_HLL_P_MIN, VX_HLL_P_MAX, &p))
			return vx_cli_usage("sketch distinct", "bad --precision (4..18): %s",
					    optarg);
	}
	ret = vx_hll_create(&d.hll, (unsigned)p, VX_HLL_SPARSE);
	if (ret == 0 && c.exact)
		ret = vx_exact_counts_create(&d.exact);
	if (ret < 0) {
		ret = fail("distinct", "sketch", ret);
		goto out;
	}
	ret = each_record("distinct", argv + optind, argc - optind, &c, distinct_record, &d);
	if (ret) {
		ret = ret < 0 ? fail("distinct", "sketch", ret) : ret;
		goto out;
	}
	est = round(vx_hll_estimate(d.hll));
	se = 1.04 / sqrt(ldexp(1, (int)p));
	if (c.json) {
		printf("{\"estimate\":%.0f,\"bytes\":%zu,\"standard_error\":%.6f", est,
		       vx_hll_footprint(d.hll), se);
		if (d.exact)
			printf(",\"exact\":%zu", vx_exact_counts_distinct(d.exact));
		printf("}\n");
	} else {
		printf("distinct  %.0f  (HyperLogLog p=%llu, standard error %.2f%%, ", est,
		       (unsigned long long)p, 100 * se);
		print_size(stdout, (double)vx_hll_footprint(d.hll));
		printf(")\n");
		if (d.exact) {
			double n = (double)vx_exact_counts_distinct(d.exact);

			printf("exact     %.0f  (hash set, ", n);
			print_size(stdout, (double)vx_exact_counts_footprint(d.exact));
			printf("); error %+.2f%%\n", n > 0 ? 100 * (est - n) / n : 0.0);
		}
	}
	ret = 0;
out:
	vx_hll_destroy(d.hll);
	vx_exact_counts_destroy(d.exact);
	return ret;
}

/* ---- top -------------------------------------------------------------------- */

static const char top_help[] =
	"usage: vox sketch top [-k K] [--counters C] [--max-key BYTES] [--exact] [--json] [FILE...]\n"
	"The K most frequent records, by a Misra-Gries summary of C counters: every record\n"
	"occurring more than N/(C+1) times in N records is kept, and each count is bounded:\n"
	"lower <= true count <= upper, with upper - lower <= N/(C+1).\n"
	"  -k K               records to report (default 10)\n"
	"  -c, --counters C   counters in the summary (default max(1000, 10*K))\n"
	"  --max-key BYTES    longest record kept (default 256); longer ones are\n"
	"                     counted under their first BYTES bytes\n" COMMON_HELP
	"JSON: {\"items\":[{\"item\":S,\"estimate\":E,\"lower\":L,\"upper\":U[,\"exact\":X]}...],\n"
	"       \"records\":N,\"bytes\":B}  (estimate = lower, the Misra-Gries count)\n";

struct top_ctx {
	struct vx_mg *mg;
	struct vx_exact_counts *exact;
	size_t max_key;
	uint64_t truncated;
};

static int top_record(void *ctx, const char *rec, size_t len, struct vx_lines *l)
{
	struct top_ctx *t = ctx;
	int ret;

	(void)l;
	if (len > t->max_key) {
		len = t->max_key;
		t->truncated++;
	}
	ret = vx_mg_add(t->mg, rec, len, 1);
	if (ret == 0 && t->exact)
		ret = vx_exact_counts_add(t->exact, rec, len, 1);
	return ret < 0 ? ret : 0;
}

static int cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "counters", required_argument, NULL, 'c' },
		{ "max-key", required_argument, NULL, 'm' },
		COMMON_OPTIONS,
		{ 0 },
	};
	struct top_ctx t = { 0 };
	struct common c = { 0 };
	struct vx_mg_item *items = NULL;
	uint64_t k = 10, counters = 0, max_key = 256;
	size_t n;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "k:c:h", longopts, NULL)) != -1) {
		if (common_option(&c, opt))
			continue;
		switch (opt) {
		case 'h':
			fputs(top_help, stdout);
			return 0;
		case 'k':
			if (!vx_cli_parse_u64(optarg, 10, 1, 1000000, &k))
				return vx_cli_usage("sketch top", "bad -k: %s", optarg);
			break;
		case 'c':
			if (!vx_cli_parse_u64(optarg, 10, 1, 100000000, &counters))
				return vx_cli_usage("sketch top", "bad --counters: %s", optarg);
			break;
		case 'm':
			if (!vx_cli_parse_u64(optarg, 10, 1, 1 << 20, &max_key))
				return vx_cli_usage("sketch top", "bad --max-key: %s", optarg);
			break;
		default:
			return bad_option("sketch top", argv);
		}
	}
	if (!counters)
		counters = k * 10 > 1000 ? k * 10 : 1000;
	if (counters < k)
		return vx_cli_usage("sketch top", "--counters must be at least -k");
	t.max_key = (size_t)max_key;
	ret = vx_mg_create(&t.mg, (size_t)counters, t.max_key);
	if (ret == 0 && c.exact)
		ret = vx_exact_counts_create(&t.exact);
	items = calloc((size_t)k, sizeof(*items));
	if (ret == 0 && !items)
		ret = -ENOMEM;
	if (ret < 0) {
		ret = fail("top", "summary", ret);
		goto out;
	}
	ret = each_record("top", argv + optind, argc - optind, &c, top_record, &t);
	if (ret)
		goto out;
	n = vx_mg_items(t.mg, items, (size_t)k);
	if (n > k)
		n = (size_t)k;
	if (c.json)
		printf("{\"items\":[");
	else
		printf("%12s %12s %12s%s  record\n", "estimate", "lower", "upper",
		       t.exact ? "        exact" : "");
	for (size_t i = 0; i < n; i++) {
		const struct vx_mg_item *it = &items[i];

		if (c.json) {
			printf("%s{\"item\":", i ? "," : "");
			vx_json_string(stdout, it->key, it->len);
			printf(",\"estimate\":%llu,\"lower\":%llu,\"upper\":%llu",
			       (unsigned long long)it->lower, (unsigned long long)it->lower,
			       (unsigned long long)it->upper);
			if (t.exact)
				printf(",\"exact\":%llu", (unsigned long long)vx_exact_counts_get(
								   t.exact, it->key, it->len));
			printf("}");
		} else {
			printf("%12llu %12llu %12llu", (unsigned long long)it->lower,
			       (unsigned long long)it->lower, (unsigned long long)it->upper);
			if (t.exact)
				printf(" %12llu", (unsigned long long)vx_exact_counts_get(
							  t.exact, it->key, it->len));
			printf("  %.*s\n", (int)it->len, (const char *)it->key);
		}
	}
	if (c.json) {
		printf("],\"records\":%llu,\"bytes\":%zu}\n", (unsigned long long)vx_mg_total(t.mg),
		       vx_mg_footprint(t.mg));
	} else {
		printf("%llu records; Misra-Gries with %llu counters, bound N/(C+1) = %.0f, ",
		       (unsigned long long)vx_mg_total(t.mg), (unsigned long long)counters,
		       (double)vx_mg_total(t.mg) / (double)(counters + 1));
		print_size(stdout, (double)vx_mg_footprint(t.mg));
		if (t.exact) {
			printf("; exact hash map ");
			print_size(stdout, (double)vx_exact_counts_footprint(t.exact));
		}
		putchar('\n');
	}
	if (t.truncated)
		fprintf(stderr, "vox sketch top: %llu records longer than %zu bytes were counted "
			"by their first %zu bytes\n", (unsigned long long)t.truncated, t.max_key,
			t.max_key);
	ret = 0;
out:
	free(items);
	vx_mg_destroy(t.mg);
	vx_exact_counts_destroy(t.exact);
	return ret;
}

/* ---- quantiles ------------------------------------------------------------------ */

#define MAX_QUANTILES 64

static const char quantiles_help[] =
	"usage: vox sketch quantiles [--q Q1,Q2,...] [--k K] [--exact] [--json] [FILE...]\n"
	"Quantiles of numeric records (one number per line; blank lines are skipped)\n"
	"with a KLL sketch: with K = 200, each answer's rank is within 1.33% of the\n"
	"true rank with 99% probability, in memory independent of the input's size.\n"
	"  -q, --q LIST       quantiles in [0, 1], comma-separated (default 0.5,0.9,0.99)\n"
	"  -k, --k K          KLL accuracy parameter, 8..65535 (default 200)\n" COMMON_HELP
	"JSON: {\"quantiles\":{\"Q\":V,...},\"count\":N,\"min\":V,\"max\":V,\"bytes\":B\n"
	"       [,\"exact\":{\"Q\":V,...}]}  (keys are the quantiles as given)\n";

struct quantiles_ctx {
	struct vx_kll *kll;
	struct vx_exact_values *exact;
};

static int quantiles_record(void *ctx, const char *rec, size_t len, struct vx_lines *l)
{
	struct quantiles_ctx *q = ctx;
	char buf[128], *end;
	double v;
	int ret;

	while (len && (rec[len - 1] == ' ' || rec[len - 1] == '\t'))
		len--;
	while (len && (rec[0] == ' ' || rec[0] == '\t'))
		rec++, len--;
	if (!len)
		return 0;
	if (len < sizeof(buf)) {
		memcpy(buf, rec, len);
		buf[len] = '\0';
		errno = 0;
		v = strtod(buf, &end);
		if (end == buf + len && !isnan(v) && !(errno == ERANGE && isinf(v))) {
			ret = vx_kll_add(q->kll, v);
			if (ret == 0 && q->exact)
				ret = vx_exact_values_add(q->exact, v);
			return ret;
		}
	}
	fprintf(stderr, "vox sketch quantiles: %s: not a number: '%.*s'\n", vx_lines_where(l),
		(int)(len < 40 ? len : 40), rec);
	return VX_EXIT_FAIL;
}

static void print_quantiles(const char *name, char **qs, const double *q, size_t n,
			    double (*at)(void *s, double q), void *s, bool json)
{
	if (json) {
		printf(",\"%s\":{", name);
		for (size_t i = 0; i < n; i++)
			printf("%s\"%s\":%.17g", i ? "," : "", qs[i], at(s, q[i]));
		printf("}");
		return;
	}
	printf("%-8s", name);
	for (size_t i = 0; i < n; i++)
		printf("  q%s=%.10g", qs[i], at(s, q[i]));
	putchar('\n');
}

static double kll_at(void *s, double q)
{
	return vx_kll_quantile(s, q);
}

static double exact_at(void *s, double q)
{
	return vx_exact_values_quantile(s, q);
}

static int cmd_quantiles(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "q", required_argument, NULL, 'q' },
		{ "k", required_argument, NULL, 'k' },
		COMMON_OPTIONS,
		{ 0 },
	};
	char def[] = "0.5,0.9,0.99", *list = def, *qs[MAX_QUANTILES], *tok, *save;
	struct quantiles_ctx q = { 0 };
	struct common c = { 0 };
	double qv[MAX_QUANTILES];
	uint64_t k = 200;
	size_t nq = 0;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "q:k:h", longopts, NULL)) != -1) {
		if (common_option(&c, opt))
			continue;
		switch (opt) {
		case 'h':
			fputs(quantiles_help, stdout);
			return 0;
		case 'q':
			list = optarg;
			break;
		case 'k':
			if (!vx_cli_parse_u64(optarg, 10, 8, 65535, &k))
				return vx_cli_usage("sketch quantiles", "bad --k: %s", optarg);
			break;
		default:
			return bad_option("sketch quantiles", argv);
		}
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;

		if (nq == MAX_QUANTILES)
			return vx_cli_usage("sketch quantiles", "too many quantiles (64 at most)");
		qv[nq] = strtod(tok, &end);
		if (end == tok || *end || !(qv[nq] >= 0 && qv[nq] <= 1))
			return vx_cli_usage("sketch quantiles", "bad quantile (0 <= Q <= 1): %s",
					    tok);
		qs[nq++] = tok;
	}
	if (!nq)
		return vx_cli_usage("sketch quantiles", "no quantiles in --q");
	ret = vx_kll_create(&q.kll, (unsigned)k, 1);
	if (ret == 0 && c.exact)
		ret = vx_exact_values_create(&q.exact);
	if (ret < 0) {
		ret = fail("quantiles", "sketch", ret);
		goto out;
	}
	ret = each_record("quantiles", argv + optind, argc - optind, &c, quantiles_record, &q);
	if (ret)
		goto out;
	if (!vx_kll_count(q.kll)) {
		fprintf(stderr, "vox sketch quantiles: no numbers in the input\n");
		ret = VX_EXIT_FAIL;
		goto out;
	}
	if (c.json) {
		printf("{\"count\":%llu,\"min\":%.17g,\"max\":%.17g,\"bytes\":%zu",
		       (unsigned long long)vx_kll_count(q.kll), vx_kll_min(q.kll), vx_kll_max(q.kll),
		       vx_kll_footprint(q.kll));
	} else {
		printf("%llu numbers, min %.10g, max %.10g; KLL k=%llu, rank error within %.2f%% "
		       "(99%%), ", (unsigned long long)vx_kll_count(q.kll), vx_kll_min(q.kll),
		       vx_kll_max(q.kll), (unsigned long long)k,
		       100 * vx_kll_rank_error((unsigned)k));
		print_size(stdout, (double)vx_kll_footprint(q.kll));
		putchar('\n');
	}
	print_quantiles("quantiles", qs, qv, nq, kll_at, q.kll, c.json);
	if (q.exact)
		print_quantiles("exact", qs, qv, nq, exact_at, q.exact, c.json);
	if (c.json)
		printf("}\n");
	ret = 0;
out:
	vx_kll_destroy(q.kll);
	vx_exact_values_destroy(q.exact);
	return ret;
}

/* ---- bloom ------------------------------------------------------------------ */

static const char bloom_help[] =
	"usage: vox sketch bloom build --capacity N --fpr P -o FILTER [--blocked] [FILE...]\n"
	"       vox sketch bloom query FILTER [--exact KEYS] [--json] [FILE...]\n"
	"build: add every record to a Bloom filter sized for N keys at false-positive\n"
	"rate P (classic, Kirsch-Mitzenmacher double hashing; --blocked: one 64-byte\n"
	"block per key, faster, a little larger) and write it to FILTER.\n"
	"query: print the records the filter reports present, one per line.\n"
	"  -n, --capacity N   keys the filter is sized for (default 1000000)\n"
	"  -p, --fpr P        target false-positive rate at capacity (default 0.01)\n"
	"  -o, --output F     the filter file to write (build)\n"
	"  --blocked          cache-line blocked filter (build)\n"
	"  --exact KEYS       (query) the keys the filter was built from: report true\n"
	"                     and false positives and the measured rate on stderr\n"
	"  --json             (query) each present record as a JSON string, one per line\n"
	"  --quiet            no progress line on a terminal\n"
	"  -h, --help         this help\n"
	"Exit status: 0 done, 1 the work failed (unreadable input, bad filter file), 2 bad usage.\n";

/* A filter of either kind, as read from a file. */
struct filter {
	struct vx_bloom *classic;
	struct vx_bloom_blocked *blocked;
};

static void filter_destroy(struct filter *f)
{
	vx_bloom_destroy(f->classic);
	vx_bloom_blocked_destroy(f->blocked);
}

static bool filter_contains(const struct filter *f, const char *rec, size_t len)
{
	return f->classic ? vx_bloom_contains(f->classic, rec, len)
			  : vx_bloom_blocked_contains(f->blocked, rec, len);
}

/* Write a file whole or not at all: a temporary beside it, then rename. */
static int write_file(const char *path, const void *buf, size_t len)
{
	char tmp[4096];
	const char *p = buf;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int read_file(const char *path, void **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if (ret) {
		close(fd);
		return ret;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*len = got;
	return 0;
}

struct bloom_ctx {
	struct filter f;
	uint64_t records;
	uint64_t present;
	uint64_t truly;
	struct vx_exact_counts *keys;
	bool json;
};

static int bloom_add_record(void *ctx, const char *rec, size_t len, struct vx_lines *l)
{
	struct bloom_ctx *b = ctx;

	(void)l;
	b->records++;
	/* Keys the filter did not hold yet: the distinct keys, less the few that
	 * were false positives, which is what the capacity is about. */
	if (filter_contains(&b->f, rec, len))
		return 0;
	b->present++;
	if (b->f.classic)
		vx_bloom_add(b->f.classic, rec, len);
	else
		vx_bloom_blocked_add(b->f.blocked, rec, len);
	return 0;
}

static int bloom_key_record(void *ctx, const char *rec, size_t len, struct vx_lines *l)
{
	struct bloom_ctx *b = ctx;

	(void)l;
	return vx_exact_counts_add(b->keys, rec, len, 1) < 0 ? -ENOMEM : 0;
}

static int bloom_query_record(void *ctx, const char *rec, size_t len, struct vx_lines *l)
{
	struct bloom_ctx *b = ctx;

	(void)l;
	b->records++;
	if (!filter_contains(&b->f, rec, len))
		return 0;
	b->present++;
	if (b->keys && vx_exact_counts_get(b->keys, rec, len))
		b->truly++;
	if (b->json) {
		vx_json_string(stdout, rec, len);
		putchar('\n');
	} else {
		fwrite(rec, 1, len, stdout);
		putchar('\n');
	}
	return 0;
}

static int bloom_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "capacity", required_argument, NULL, 'n' },
		{ "fpr", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "blocked", no_argument, NULL, 'b' },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bloom_ctx b = { 0 };
	struct common c = { 0 };
	uint64_t capacity = 1000000;
	double fpr = 0.01;
	const char *out = NULL;
	bool blocked = false;
	void *buf = NULL;
	ssize_t len;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "n:p:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_QUIET:
			c.quiet = true;
			break;
		case 'h':
			fputs(bloom_help, stdout);
			return 0;
		case 'n':
			if (!vx_cli_parse_u64(optarg, 10, 1, UINT64_C(1) << 40, &capacity))
				return vx_cli_usage("sketch bloom build", "bad --capacity: %s",
						    optarg);
			break;
		case 'p':
			if (!parse_prob(optarg, false, &fpr))
				return vx_cli_usage("sketch bloom build",
						    "bad --fpr (0 < P < 1): %s", optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'b':
			blocked = true;
			break;
		default:
			return bad_option("sketch bloom build", argv);
		}
	}
	if (!out)
		return vx_cli_usage("sketch bloom build",
				    "say where to write the filter with -o FILE");
	ret = blocked ? vx_bloom_blocked_create(&b.f.blocked, capacity, fpr)
		      : vx_bloom_create(&b.f.classic, capacity, fpr);
	if (ret < 0)
		return fail("bloom build", "filter", ret);
	ret = each_record("bloom build", argv + optind, argc - optind, &c, bloom_add_record, &b);
	if (ret)
		goto out;
	len = b.f.classic ? vx_bloom_serialize(b.f.classic, NULL, 0)
			  : vx_bloom_blocked_serialize(b.f.blocked, NULL, 0);
	buf = len > 0 ? malloc((size_t)len) : NULL;
	if (!buf) {
		ret = fail("bloom build", "filter", len < 0 ? (int)len : -ENOMEM);
		goto out;
	}
	len = b.f.classic ? vx_bloom_serialize(b.f.classic, buf, (size_t)len)
			  : vx_bloom_blocked_serialize(b.f.blocked, buf, (size_t)len);
	ret = len < 0 ? (int)len : write_file(out, buf, (size_t)len);
	if (ret < 0) {
		ret = fail("bloom build", out, ret);
		goto out;
	}
	fprintf(stderr, "bloom build: %llu records, %llu distinct, into a %s filter of ",
		(unsigned long long)b.records, (unsigned long long)b.present,
		blocked ? "blocked" : "classic");
	print_size(stderr, (double)len);
	fprintf(stderr, " (%.1f bits per key at capacity %llu), written to %s\n",
		(double)len * 8 / (double)capacity, (unsigned long long)capacity, out);
	if (b.present > capacity)
		fprintf(stderr, "bloom build: warning: %llu distinct records exceed the capacity "
			"%llu: false positives will exceed %g\n",
			(unsigned long long)b.present, (unsigned long long)capacity, fpr);
	ret = 0;
out:
	free(buf);
	filter_destroy(&b.f);
	return ret;
}

static int bloom_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "exact", required_argument, NULL, 'x' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bloom_ctx b = { 0 };
	struct common c = { 0 };
	char *keys = NULL;
	const char *path;
	void *buf = NULL;
	size_t len = 0;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (common_option(&c, opt))
			continue;
		if (opt == 'h') {
			fputs(bloom_help, stdout);
			return 0;
		}
		if (opt != 'x')
			return bad_option("sketch bloom query", argv);
		keys = optarg;
	}
	if (optind >= argc)
		return vx_cli_usage("sketch bloom query", "name the filter file");
	path = argv[optind++];
	ret = read_file(path, &buf, &len);
	if (ret < 0)
		return fail("bloom query", path, ret);
	ret = vx_bloom_deserialize(&b.f.classic, buf, len);
	if (ret == -EINVAL)
		ret = vx_bloom_blocked_deserialize(&b.f.blocked, buf, len);
	free(buf);
	if (ret == -EINVAL) {
		fprintf(stderr, "vox sketch bloom query: %s: not a Bloom filter file, or corrupt\n",
			path);
		return VX_EXIT_FAIL;
	}
	if (ret < 0)
		return fail("bloom query", path, ret);
	b.json = c.json;
	if (keys) {
		struct common quiet = { .quiet = c.quiet };

		ret = vx_exact_counts_create(&b.keys);
		if (ret < 0) {
			ret = fail("bloom query", "keys", ret);
			goto out;
		}
		ret = each_record("bloom query", &keys, 1, &quiet, bloom_key_record, &b);
		if (ret)
			goto out;
	}
	ret = each_record("bloom query", argv + optind, argc - optind, &c, bloom_query_record, &b);
	if (ret)
		goto out;
	fprintf(stderr, "bloom query: %llu of %llu records reported present",
		(unsigned long long)b.present, (unsigned long long)b.records);
	if (b.keys) {
		uint64_t absent = b.records - b.truly, fp = b.present - b.truly;

		fprintf(stderr, "; %llu truly present, %llu false positives (%.3f%% of %llu absent)",
			(unsigned long long)b.truly, (unsigned long long)fp,
			absent ? 100.0 * (double)fp / (double)absent : 0.0,
			(unsigned long long)absent);
	}
	fputc('\n', stderr);
out:
	vx_exact_counts_destroy(b.keys);
	filter_destroy(&b.f);
	return ret;
}

static int cmd_bloom(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "build"))
		return bloom_build(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "query"))
		return bloom_query(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(bloom_help, stdout);
		return 0;
	}
	fputs(bloom_help, stderr);
	return VX_EXIT_USAGE;
}

/* ---- similar ----------------------------------------------------------------- */

static const char similar_help[] =
	"usage: vox sketch similar [--threshold T] [--shingle N] [--words] [--slots K]\n"
	"                          [--exact] [--json] [FILE...]\n"
	"Find pairs of near-duplicate records: a MinHash signature of each record's\n"
	"shingles (every N-byte window, or every run of N words with --words), indexed\n"
	"by LSH banding tuned for T. Each pair is printed once, when its later record\n"
	"arrives: the two record numbers (from 1, across all input) and the estimated\n"
	"Jaccard similarity of their shingle sets, tab-separated. Empty records are\n"
	"skipped. Memory grows by about 8*K bytes per record.\n"
	"  -t, --threshold T  report pairs with estimated similarity >= T (default 0.8)\n"
	"  -s, --shingle N    shingle length (default 5 bytes, or 3 words)\n"
	"  -w, --words        shingles of words, not bytes\n"
	"  -k, --slots K      MinHash signature size (default 128)\n" COMMON_HELP
	"--exact compares every pair of records' shingle sets (N^2 / 2 comparisons)\n"
	"and reports the recall and precision of the pairs found.\n"
	"JSON: {\"pairs\":[{\"a\":A,\"b\":B,\"similarity\":S}...],\"records\":N,\"bytes\":B\n"
	"       [,\"exact\":{\"pairs\":P,\"found\":F,\"recall\":R,\"precision\":Q}]}\n";

struct shingle_set {
	uint64_t *h;
	size_t n;
};

struct similar_ctx {
	struct vx_minhash *sig;
	struct vx_lsh_index *index;
	size_t n;
	enum vx_shingle_unit unit;
	double threshold;
	bool json;
	uint64_t records;
	uint64_t pairs;
	struct vx_lsh_match *match;
	size_t match_cap;
	/* --exact */
	struct vx_exact_counts *found; /* pairs reported, keyed by (a, b) */
	struct shingle_set *sets;      /* by record number - 1 */
	size_t nsets;
	size_t sets_cap;
	uint64_t *scratch;
	size_t scratch_cap;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Keep record @id's shingle set, sorted and unique, for the brute-force pass. */
static int similar_keep_set(struct similar_ctx *s, uint64_t id, const char *rec, size_t len)
{
	struct shingle_set *set;
	ssize_t n = vx_shingle_hashes(rec, len, s->n, s->unit, NULL, 0);

	if (n < 0)
		return (int)n;
	if (grow((void **)&s->sets, &s->sets_cap, (size_t)id, sizeof(*s->sets)) < 0)
		return -ENOMEM;
	set = &s->sets[id - 1];
	set->h = malloc(((size_t)n ? (size_t)n : 1) * sizeof(*set->h));
	if (!set->h)
		return -ENOMEM;
	vx_shingle_hashes(rec, len, s->n, s->unit, set->h, (size_t)n);
	set->n = vx_exact_sort_unique(set->h, (size_t)n);
	s->nsets = (size_t)id;
	return 0;
}

static int similar_record(void *ctx, const char *rec, size_t len, struct vx_lines *l)
{
	struct similar_ctx *s = ctx;
	uint64_t id = ++s->records;
	ssize_t n;
	int ret;

	(void)l;
	if (s->sets) {
		ret = similar_keep_set(s, id, rec, len);
		if (ret < 0)
			return ret;
	}
	vx_minhash_reset(s->sig);
	ret = vx_minhash_add_shingles(s->sig, rec, len, s->n, s->unit);
	if (ret < 0)
		return ret;
	if (vx_minhash_is_empty(s->sig))
		return 0;
	for (;;) {
		n = vx_lsh_query(s->index, s->sig, s->threshold, s->match, s->match_cap);
		if (n < 0)
			return (int)n;
		if ((size_t)n <= s->match_cap)
			break;
		if (grow((void **)&s->match, &s->match_cap, (size_t)n, sizeof(*s->match)) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < (size_t)n; i++) {
		uint64_t key[2] = { s->match[i].id, id };

		if (s->json)
			printf("%s{\"a\":%llu,\"b\":%llu,\"similarity\":%.4f}", s->pairs ? "," : "",
			       (unsigned long long)key[0], (unsigned long long)key[1],
			       s->match[i].similarity);
		else
			printf("%llu\t%llu\t%.4f\n", (unsigned long long)key[0],
			       (unsigned long long)key[1], s->match[i].similarity);
		s->pairs++;
		if (s->found && vx_exact_counts_add(s->found, key, sizeof(key), 1) < 0)
			return -ENOMEM;
	}
	return vx_lsh_insert(s->index, id, s->sig);
}

/* --exact: every pair of kept shingle sets against the pairs found. */
static void similar_exact(const struct similar_ctx *s)
{
	uint64_t exact = 0, hit = 0;
	double recall, precision;

	for (uint64_t a = 1; a <= s->records; a++) {
		const struct shingle_set *x = &s->sets[a - 1];

		if (!x->n)
			continue;
		for (uint64_t b = a + 1; b <= s->records; b++) {
			const struct shingle_set *y = &s->sets[b - 1];
			uint64_t key[2] = { a, b };

			if (!y->n || vx_exact_jaccard(x->h, x->n, y->h, y->n) < s->threshold)
				continue;
			exact++;
			hit += vx_exact_counts_get(s->found, key, sizeof(key)) != 0;
		}
	}
	recall = exact ? (double)hit / (double)exact : 1.0;
	precision = s->pairs ? (double)hit / (double)s->pairs : 1.0;
	if (s->json)
		printf(",\"exact\":{\"pairs\":%llu,\"found\":%llu,\"recall\":%.4f,\"precision\":%.4f}",
		       (unsigned long long)exact, (unsigned long long)hit, recall, precision);
	else
		fprintf(stderr, "similar: exact: %llu pairs at Jaccard >= %g; %llu of them found "
			"(recall %.1f%%); precision %.1f%%\n", (unsigned long long)exact,
			s->threshold, (unsigned long long)hit, 100 * recall, 100 * precision);
}

static int cmd_similar(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "shingle", required_argument, NULL, 's' },
		{ "words", no_argument, NULL, 'w' },
		{ "slots", required_argument, NULL, 'k' },
		COMMON_OPTIONS,
		{ 0 },
	};
	struct similar_ctx s = { .unit = VX_SHINGLE_BYTES, .threshold = 0.8 };
	struct common c = { 0 };
	uint64_t n = 0, k = 128;
	size_t bands, rows;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "t:s:wk:h", longopts, NULL)) != -1) {
		if (common_option(&c, opt))
			continue;
		switch (opt) {
		case 'h':
			fputs(similar_help, stdout);
			return 0;
		case 't':
			if (!parse_prob(optarg, true, &s.threshold))
				return vx_cli_usage("sketch similar",
						    "bad --threshold (0 < T <= 1): %s", optarg);
			break;
		case 's':
			if (!vx_cli_parse_u64(optarg, 10, 1, VX_SHINGLE_MAX_N, &n))
				return vx_cli_usage("sketch similar", "bad --shingle: %s", optarg);
			break;
		case 'w':
			s.unit = VX_SHINGLE_WORDS;
			break;
		case 'k':
			if (!vx_cli_parse_u64(optarg, 10, 1, VX_MINHASH_MAX_K, &k))
				return vx_cli_usage("sketch similar", "bad --slots: %s", optarg);
			break;
		default:
			return bad_option("sketch similar", argv);
		}
	}
	s.n = n ? (size_t)n : s.unit == VX_SHINGLE_WORDS ? 3 : 5;
	s.json = c.json;
	ret = vx_lsh_params((size_t)k, s.threshold, &bands, &rows);
	if (ret == 0)
		ret = vx_minhash_create(&s.sig, (size_t)k, 1);
	if (ret == 0)
		ret = vx_lsh_create(&s.index, (size_t)k, 1, bands, rows);
	if (ret == 0 && c.exact) {
		ret = vx_exact_counts_create(&s.found);
		if (ret == 0 && grow((void **)&s.sets, &s.sets_cap, 1, sizeof(*s.sets)) < 0)
			ret = -ENOMEM;
	}
	if (ret < 0) {
		ret = fail("similar", "index", ret);
		goto out;
	}
	if (s.json)
		printf("{\"pairs\":[");
	ret = each_record("similar", argv + optind, argc - optind, &c, similar_record, &s);
	if (ret)
		goto out;
	if (s.json)
		printf("],\"records\":%llu,\"bytes\":%zu", (unsigned long long)s.records,
		       vx_lsh_footprint(s.index));
	else
		fprintf(stderr, "similar: %llu pairs among %llu records (LSH %zu bands x %zu rows, "
			"index %.1f MiB)\n", (unsigned long long)s.pairs,
			(unsigned long long)s.records, bands, rows,
			(double)vx_lsh_footprint(s.index) / 1048576);
	if (c.exact)
		similar_exact(&s);
	if (s.json)
		printf("}\n");
out:
	for (size_t i = 0; i < s.nsets; i++)
		free(s.sets[i].h);
	free(s.sets);
	free(s.match);
	vx_exact_counts_destroy(s.found);
	vx_lsh_destroy(s.index);
	vx_minhash_destroy(s.sig);
	return ret;
}

/* ---- main dispatch ------------------------------------------------------------ */

static const char sketch_help[] =
	"usage: vox sketch <command> [options] [FILE...]\n"
	"Streaming sketches over records, one per line, from FILEs or stdin.\n\n"
	"commands:\n"
	"  distinct    count distinct records (HyperLogLog)\n"
	"  top         most frequent records with error bounds (Misra-Gries)\n"
	"  quantiles   quantiles of numeric records (KLL)\n"
	"  bloom       build a Bloom filter file, or query lines against one\n"
	"  similar     near-duplicate records (MinHash over shingles, LSH banding)\n\n"
	"'vox sketch <command> --help' describes each, with its JSON schema.\n";

int vx_cmd_sketch(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
		{ "distinct", cmd_distinct },
		{ "top", cmd_top },
		{ "quantiles", cmd_quantiles },
		{ "bloom", cmd_bloom },
		{ "similar", cmd_similar },
	};

	if (argc < 2) {
		fputs(sketch_help, stderr);
		return VX_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(sketch_help, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		optind = 1;
		opterr = 0; /* bad_option() says it in one line */
		return subs[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "vox sketch: '%s' is not a command; see 'vox sketch --help'\n", argv[1]);
	return VX_EXIT_USAGE;
}
