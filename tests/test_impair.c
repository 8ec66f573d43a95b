// SPDX-License-Identifier: MIT
/*
 * The impairment model. Statistical cases run 10^6 packets with a fixed seed and
 * assert bounds from theory: 5 standard deviations of the estimator, whose
 * variance each case derives in its comment (so a failure is a bug, p < 10^-6,
 * not bad luck); IMPAIR_VERBOSE=1 prints each estimate with its z-score. Exact
 * cases: the token bucket's schedule, trace replay, parsing.
 * Linked with --wrap=malloc,... (see the Makefile) so a case can check that
 * decisions allocate nothing.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport/impair.h"

#define N    1000000
#define MS   1000000ull
#define SEND 20000000ull /* 20 ms between packets */

/* ---- allocation counting (--wrap) ------------------------------------------- */

#include "tests/wrap_alloc.h"

/* ---- helpers ------------------------------------------------------------------ */

static struct vx_impair *create_ok(const struct vx_impair_config *cfg)
{
	struct vx_impair *m = NULL;

	assert_int_equal(vx_impair_create(&m, cfg), 0);
	return m;
}

static struct vx_impair *from_spec(const char *spec)
{
	struct vx_impair_config cfg;
	char err[VX_IMPAIR_ERR_LEN];

	if (vx_impair_parse(spec, &cfg, err, sizeof(err)) < 0)
		fail_msg("%s: %s", spec, err);
	return create_ok(&cfg);
}

/* Within k standard deviations, reported with the figures on failure. */
static void near(const char *what, double got, double want, double sd, double k)
{
	if (getenv("IMPAIR_VERBOSE"))
		print_message("%-16s %12.6g theory %12.6g  z=%+.2f\n", what, got, want,
			      (got - want) / sd);
	if (!(fabs(got - want) <= k * sd))
		fail_msg("%s: %.6g, theory %.6g, bound %.3g (%.3g sd)", what, got, want, k * sd,
			 fabs(got - want) / sd);
}

/* Loss indicators of n packets 20 ms apart, 200 bytes each. */
static void losses(struct vx_impair *m, uint8_t *lost, size_t n)
{
	uint64_t d[2];

	for (size_t i = 0; i < n; i++)
		lost[i] = vx_impair_decide(m, i * SEND, 200, d) == 0;
}

struct runs {
	double rate;     /* fraction lost */
	double mean_run; /* mean length of loss runs */
	size_t nruns;
};

static struct runs count_runs(const uint8_t *lost, size_t n)
{
	struct runs r = { 0 };
	size_t lostn = 0;

	for (size_t i = 0; i < n; i++) {
		lostn += lost[i];
		r.nruns += lost[i] && (i == 0 || !lost[i - 1]);
	}
	r.rate = (double)lostn / (double)n;
	r.mean_run = r.nruns ? (double)lostn / (double)r.nruns : 0;
	return r;
}

/* ---- basics ------------------------------------------------------------------- */

static void test_impair_default_delivers_everything_at_once(void **state)
{
	struct vx_impair_config cfg;
	struct vx_impair *m;
	struct vx_impair_stats st;
	uint64_t d[2];

	(void)state;
	vx_impair_config_default(&cfg);
	m = create_ok(&cfg);
	for (uint64_t i = 0; i < 1000; i++) {
		assert_int_equal(vx_impair_decide(m, i * SEND + 7, 1500, d), 1);
		assert_true(d[0] == i * SEND + 7);
	}
	vx_impair_stats(m, &st);
	assert_true(st.packets == 1000 && st.delivered == 1000 && st.lost == 0 &&
		    st.duplicated == 0 && st.reordered == 0 && st.queued == 0);
	vx_impair_destroy(m);
	vx_impair_destroy(NULL);
}

/*
 * Bernoulli(p): the count of losses is binomial, sd sqrt(p (1-p) / n) for the
 * rate. Loss runs are geometric: mean 1 / (1 - p), variance p / (1-p)^2, over
 * about n p (1-p) runs. At 5 % loss a run lasts 1.05 packets: losses are isolated.
 */
static void test_impair_bernoulli_loss_rate_and_runs_match_theory(void **state)
{
	const double p = 0.05;
	struct vx_impair *m = from_spec("loss=5%,seed=11");
	uint8_t *lost = malloc(N);
	struct runs r;

	(void)state;
	assert_non_null(lost);
	losses(m, lost, N);
	r = count_runs(lost, N);
	near("loss rate", r.rate, p, sqrt(p * (1 - p) / N), 5);
	near("mean run", r.mean_run, 1 / (1 - p), sqrt(p / ((1 - p) * (1 - p)) / (double)r.nruns),
	     5);
	free(lost);
	vx_impair_destroy(m);
}

/*
 * Gilbert (losses 0 in good, 1 in bad), p = 1 %, r = 25 %: the loss indicator is
 * the bad-state indicator of a two-state chain. Stationary pi = p / (p + r) =
 * 3.85 %; its sample mean has variance pi (1 - pi) (1 + l) / ((1 - l) n) with the
 * chain's second eigenvalue l = 1 - p - r (lag-k autocorrelation l^k), so sd 5.0e-4
 * here, 2.3 times the Bernoulli one at the same rate. A bad sojourn is a loss
 * burst: geometric, mean 1 / r = 4, variance (1 - r) / r^2 = 12, over about
 * n pi r = 9600 bursts.
 */
static void test_impair_gilbert_rate_and_burst_length_match_theory(void **state)
{
	const double p = 0.01, r = 0.25, pi = p / (p + r), l = 1 - p - r;
	struct vx_impair *m = from_spec("ge=1%:25%,seed=12");
	uint8_t *lost = malloc(N);
	struct runs got;

	(void)state;
	assert_non_null(lost);
	losses(m, lost, N);
	got = count_runs(lost, N);
	near("loss rate", got.rate, pi, sqrt(pi * (1 - pi) * (1 + l) / (1 - l) / N), 5);
	near("mean burst", got.mean_run, 1 / r, sqrt((1 - r) / (r * r) / (double)got.nruns), 5);
	near("bursts", (double)got.nruns, N * pi * r, sqrt(N * pi * r), 8); /* roughly */
	free(lost);
	vx_impair_destroy(m);
}

/* loss=5%,burst=3 is the Gilbert chain with r = 1/3 and p = 0.05 r / 0.95. */
static void test_impair_loss_and_burst_set_the_chain(void **state)
{
	const double pi = 0.05, r = 1.0 / 3, p = pi * r / (1 - pi), l = 1 - p - r;
	struct vx_impair_config cfg;
	char err[VX_IMPAIR_ERR_LEN];
	struct vx_impair *m;
	uint8_t *lost = malloc(N);
	struct runs got;

	(void)state;
	assert_non_null(lost);
	assert_int_equal(vx_impair_parse("loss=5%,burst=3,seed=13", &cfg, err, sizeof(err)), 0);
	assert_true(cfg.ge && cfg.loss == 0);
	assert_true(fabs(cfg.ge_r - r) < 1e-15 && fabs(cfg.ge_p - p) < 1e-15);
	assert_true(cfg.ge_loss_good == 0 && cfg.ge_loss_bad == 1);
	m = create_ok(&cfg);
	losses(m, lost, N);
	got = count_runs(lost, N);
	near("loss rate", got.rate, pi, sqrt(pi * (1 - pi) * (1 + l) / (1 - l) / N), 5);
	near("mean burst", got.mean_run, 3, sqrt((1 - r) / (r * r) / (double)got.nruns), 5);
	free(lost);
	vx_impair_destroy(m);
}

/*
 * Gilbert-Elliott with losses g = 1 % in good and b = 50 % in bad: rate
 * (1 - pi) g + pi b. Given the states, losses are independent, so the variance of
 * the count is (b - g)^2 Var(bad count) + sum of the per-packet Bernoulli
 * variances: n [(b - g)^2 pi (1 - pi) (1 + l) / (1 - l) + (1 - pi) g (1 - g) +
 * pi b (1 - b)].
 */
static void test_impair_gilbert_elliott_rate_matches_theory(void **state)
{
	const double p = 0.02, r = 0.2, g = 0.01, b = 0.5, pi = p / (p + r), l = 1 - p - r;
	const double var = (b - g) * (b - g) * pi * (1 - pi) * (1 + l) / (1 - l) +
			   (1 - pi) * g * (1 - g) + pi * b * (1 - b);
	struct vx_impair *m = from_spec("ge=0.02:0.2:1%:50%,seed=14");
	uint8_t *lost = malloc(N);

	(void)state;
	assert_non_null(lost);
	losses(m, lost, N);
	near("loss rate", count_runs(lost, N).rate, (1 - pi) * g + pi * b, sqrt(var / N), 5);
	free(lost);
	vx_impair_destroy(m);
}

/* ---- delay -------------------------------------------------------------------- */

/* One-way delays (ms) of n packets; all must arrive. */
static double *delays(struct vx_impair *m, size_t n)
{
	double *ms = malloc(n * sizeof(*ms));
	uint64_t d[2];

	assert_non_null(ms);
	for (size_t i = 0; i < n; i++) {
		uint64_t t = i * SEND;

		assert_int_equal(vx_impair_decide(m, t, 200, d), 1);
		ms[i] = (double)(d[0] - t) / 1e6;
	}
	return ms;
}

static void moments(const double *x, size_t n, double *mean, double *var)
{
	double s = 0, s2 = 0;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	*mean = s / (double)n;
	for (size_t i = 0; i < n; i++)
		s2 += (x[i] - *mean) * (x[i] - *mean);
	*var = s2 / (double)(n - 1);
}

/*
 * Uniform on [-j, j] around the base: mean d, variance j^2 / 3. The sample mean
 * has sd j / sqrt(3 n); the sample variance sd sqrt((mu4 - sigma^4) / n) with
 * mu4 = j^4 / 5, i.e. j^2 sqrt(4 / (45 n)).
 */
static void test_impair_uniform_jitter_moments(void **state)
{
	const double d = 100, j = 10;
	struct vx_impair *m = from_spec("delay=100ms,jitter=10ms:uniform,seed=21");
	double *x = delays(m, N), mean, var, lo = 1e9, hi = 0;

	(void)state;
	moments(x, N, &mean, &var);
	for (size_t i = 0; i < N; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	near("mean", mean, d, j / sqrt(3.0 * N), 5);
	near("variance", var, j * j / 3, j * j * sqrt(4.0 / (45.0 * N)), 5);
	assert_true(lo >= d - j && hi <= d + j);
	free(x);
	vx_impair_destroy(m);
}

/*
 * Normal with sd s (truncation at 0 is 10 sd away: never): the sample mean has
 * sd s / sqrt(n), the sample variance s^2 sqrt(2 / (n - 1)); the fraction within
 * one sd is binomial around erf(1 / sqrt 2) = 68.27 %.
 */
static void test_impair_normal_jitter_moments(void **state)
{
	const double d = 100, s = 10, in1 = erf(1 / sqrt(2.0));
	struct vx_impair *m = from_spec("delay=100ms,jitter=10ms:normal,seed=22");
	double *x = delays(m, N), mean, var;
	size_t within = 0;

	(void)state;
	moments(x, N, &mean, &var);
	for (size_t i = 0; i < N; i++)
		within += fabs(x[i] - d) <= s;
	near("mean", mean, d, s / sqrt(N), 5);
	near("variance", var, s * s, s * s * sqrt(2.0 / (N - 1)), 5);
	near("within 1 sd", (double)within / N, in1, sqrt(in1 * (1 - in1) / N), 5);
	free(x);
	vx_impair_destroy(m);
}

/*
 * Pareto(a, scale k) minus k: P(X > t) = (k / (k + t))^a, median k (2^(1/a) - 1).
 * Fractions of samples below the median and above 5k are binomial. With the cap
 * at 50 ms = 5k, every sample above it is clipped to exactly the cap.
 */
static void test_impair_pareto_jitter_median_tail_and_cap(void **state)
{
	const double a = 1.5, k = 10, med = k * (pow(2, 1 / a) - 1), tail = pow(1.0 / 6, a);
	struct vx_impair *m = from_spec("delay=5ms,jitter=10ms:pareto:1.5,cap=1000s,seed=23");
	double *x = delays(m, N);
	size_t below = 0, above = 0, at_cap = 0;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		assert_true(x[i] >= 5);
		below += x[i] - 5 <= med;
		above += x[i] - 5 > 5 * k;
	}
	near("P(X <= median)", (double)below / N, 0.5, sqrt(0.25 / N), 5);
	near("P(X > 5 scale)", (double)above / N, tail, sqrt(tail * (1 - tail) / N), 5);
	free(x);
	vx_impair_destroy(m);

	m = from_spec("delay=5ms,jitter=10ms:pareto:1.5,cap=50ms,seed=23");
	x = delays(m, N);
	for (size_t i = 0; i < N; i++) {
		assert_true(x[i] <= 55);
		at_cap += x[i] == 55;
	}
	assert_int_equal(at_cap, above); /* the same draws, clipped */
	free(x);
	vx_impair_destroy(m);
}

/* The cap bounds |jitter| whatever the distribution. */
static void test_impair_cap_bounds_every_distribution(void **state)
{
	static const char *const specs[] = {
		"delay=50ms,jitter=40ms:uniform,cap=7ms,seed=3",
		"delay=50ms,jitter=40ms:normal,cap=7ms,seed=3",
		"delay=50ms,jitter=40ms:pareto:0.5,cap=7ms,seed=3",
	};

	(void)state;
	for (size_t s = 0; s < 3; s++) {
		struct vx_impair *m = from_spec(specs[s]);
		double *x = delays(m, 100000);

		for (size_t i = 0; i < 100000; i++)
			assert_true(x[i] >= 43 && x[i] <= 57);
		free(x);
		vx_impair_destroy(m);
	}
}

/* A base delay below the jitter would go negative: it is clamped at zero. */
static void test_impair_delay_never_goes_negative(void **state)
{
	struct vx_impair *m = from_spec("delay=1ms,jitter=10ms:normal,seed=4");
	uint64_t d[2];
	size_t zero = 0;

	(void)state;
	for (uint64_t i = 0; i < 10000; i++) {
		assert_int_equal(vx_impair_decide(m, 1000 * MS + i * SEND, 100, d), 1);
		assert_true(d[0] >= 1000 * MS + i * SEND);
		zero += d[0] == 1000 * MS + i * SEND;
	}
	assert_true(zero > 0);
	vx_impair_destroy(m);
}

/* ---- reordering and duplication ------------------------------------------------ */

/*
 * reorder=2%:30ms, packets 20 ms apart, no jitter: a delayed packet arrives 10 ms
 * after its successor. The count of delayed packets is binomial; the model's
 * "reordered" counter must equal the number of packets that arrive before some
 * earlier-sent one, computed here independently.
 */
static void test_impair_explicit_reordering(void **state)
{
	struct vx_impair *m = from_spec("delay=10ms,reorder=2%:30ms,seed=31");
	struct vx_impair_stats st;
	uint64_t d[2], latest = 0;
	size_t delayed = 0, overtakers = 0;

	(void)state;
	for (uint64_t i = 0; i < N; i++) {
		assert_int_equal(vx_impair_decide(m, i * SEND, 100, d), 1);
		assert_true(d[0] - i * SEND == 10 * MS || d[0] - i * SEND == 40 * MS);
		delayed += d[0] - i * SEND == 40 * MS;
		overtakers += d[0] < latest;
		latest = d[0] > latest ? d[0] : latest;
	}
	vx_impair_stats(m, &st);
	near("delayed", (double)delayed / N, 0.02, sqrt(0.02 * 0.98 / N), 5);
	assert_int_equal(st.reordered, overtakers);
	/* Each delayed packet is overtaken by its successor unless that one is
	 * delayed too: about n r (1 - r). */
	near("overtakers", (double)overtakers / N, 0.02 * 0.98, sqrt(0.02 / N), 5);
	vx_impair_destroy(m);
}

/* Jitter wider than the send spacing reorders by itself. */
static void test_impair_jitter_alone_reorders(void **state)
{
	struct vx_impair *m = from_spec("delay=100ms,jitter=30ms,seed=32");
	struct vx_impair_stats st;
	uint64_t d[2];

	(void)state;
	for (uint64_t i = 0; i < 10000; i++)
		vx_impair_decide(m, i * SEND, 100, d);
	vx_impair_stats(m, &st);
	assert_true(st.reordered > 1000);
	vx_impair_destroy(m);

	m = from_spec("delay=100ms,jitter=9ms,seed=32"); /* spread 18 ms < 20 ms */
	for (uint64_t i = 0; i < 10000; i++)
		vx_impair_decide(m, i * SEND, 100, d);
	vx_impair_stats(m, &st);
	assert_int_equal(st.reordered, 0);
	vx_impair_destroy(m);
}

/* dup=1%: binomially many packets arrive twice, each copy with its own delay. */
static void test_impair_duplication(void **state)
{
	struct vx_impair *m = from_spec("delay=20ms,jitter=5ms,dup=1%,seed=33");
	struct vx_impair_stats st;
	uint64_t d[2];
	size_t dups = 0, differ = 0;

	(void)state;
	for (uint64_t i = 0; i < N; i++) {
		unsigned n = vx_impair_decide(m, i * SEND, 100, d);

		assert_true(n == 1 || n == 2);
		if (n == 2) {
			dups++;
			assert_true(d[1] >= i * SEND + 15 * MS && d[1] <= i * SEND + 25 * MS);
			differ += d[0] != d[1];
		}
	}
	vx_impair_stats(m, &st);
	near("duplicated", (double)dups / N, 0.01, sqrt(0.01 * 0.99 / N), 5);
	assert_int_equal(st.duplicated, dups);
	assert_int_equal(st.delivered, N + dups);
	assert_true(differ > dups * 9 / 10);
	vx_impair_destroy(m);
}

/* ---- rate limit ------------------------------------------------------------------- */

/* 8000 bit/s = 1 byte per ms, bucket 100 B: an exact schedule. */
static void test_impair_token_bucket_exact_schedule(void **state)
{
	struct vx_impair *m = from_spec("rate=8kbit,bucket=100,queue=150ms");
	struct vx_impair_stats st;
	uint64_t d[2];

	(void)state;
	assert_int_equal(vx_impair_decide(m, 0, 100, d), 1); /* the full bucket */
	assert_true(d[0] == 0);
	assert_int_equal(vx_impair_decide(m, 0, 100, d), 1); /* waits 100 ms */
	assert_true(d[0] == 100 * MS);
	assert_int_equal(vx_impair_decide(m, 0, 100, d), 0); /* would wait 200 ms */
	assert_int_equal(vx_impair_decide(m, 10 * MS, 50, d), 1); /* behind #2 */
	assert_true(d[0] == 150 * MS);
	assert_int_equal(vx_impair_decide(m, 400 * MS, 100, d), 1); /* refilled */
	assert_true(d[0] == 400 * MS);
	assert_int_equal(vx_impair_decide(m, 400 * MS, 101, d), 0); /* above the bucket */
	vx_impair_stats(m, &st);
	assert_true(st.lost == 2 && st.rate_dropped == 2 && st.queued == 2);
	vx_impair_destroy(m);

	m = from_spec("rate=8kbit,bucket=100,queue=0"); /* a policer */
	assert_int_equal(vx_impair_decide(m, 0, 60, d), 1);
	assert_int_equal(vx_impair_decide(m, 0, 60, d), 0);     /* 40 tokens left */
	assert_int_equal(vx_impair_decide(m, 19 * MS, 60, d), 0); /* 59 */
	assert_int_equal(vx_impair_decide(m, 20 * MS, 60, d), 1); /* 60 */
	assert_true(d[0] == 20 * MS);
	vx_impair_destroy(m);
}

/*
 * Offered 2.5 times the rate (200 B every 10 ms against 64 kbit/s): in every
 * interval between two departures, bytes out <= bucket + rate x interval, the
 * token bucket's envelope; and saturated, the long-run throughput is the rate.
 */
static void envelope(const char *spec, bool policer)
{
	enum { PKTS = 4000 };
	struct vx_impair *m = from_spec(spec);
	static uint64_t t[PKTS];
	uint64_t d[2], sum = 0;
	size_t n = 0;
	const double rate = 64000 / 8.0 / 1e9, bucket = 1500; /* bytes per ns, bytes */

	for (uint64_t i = 0; i < PKTS; i++)
		if (vx_impair_decide(m, i * 10 * MS, 200, d)) {
			assert_true(d[0] >= i * 10 * MS);
			assert_true(d[0] - i * 10 * MS <= (policer ? 0 : 200 * MS));
			assert_true(n == 0 || d[0] >= t[n - 1]); /* FIFO */
			t[n++] = d[0];
		}
	for (size_t i = 0; i < n; i++) {
		uint64_t bytes = 0;

		for (size_t k = i; k < n; k++) {
			bytes += 200;
			if ((double)bytes > bucket + rate * (double)(t[k] - t[i]) + 1e-6)
				fail_msg("%s: %llu bytes in [%zu, %zu], %.0f ns", spec,
					 (unsigned long long)bytes, i, k, (double)(t[k] - t[i]));
		}
		sum += 200;
	}
	/* Throughput over the run: at most the envelope, and at least 98 % of
	 * the rate (a policer loses a fraction of a packet's tokens per gap). */
	assert_true((double)sum <= bucket + rate * (double)(t[n - 1] - t[0]));
	assert_true((double)sum >= 0.98 * rate * (double)(t[n - 1] - t[0]));
	vx_impair_destroy(m);
}

static void test_impair_rate_limit_keeps_the_token_bucket_envelope(void **state)
{
	(void)state;
	envelope("rate=64kbit,bucket=1500,queue=200ms", false);
	envelope("rate=64kbit,bucket=1500,queue=0", true);
}

/* ---- traces ----------------------------------------------------------------------- */

static const char trace_text[] =
	"# per-packet one-way delay, ms\r\n"
	"delay_ms\n"
	"10\n"
	"lost\n"
	"  12.5   # trailing comment\n"
	"\n"
	"-1\n"
	"0\r\n"
	"0.000001";

static void test_impair_trace_replays_exactly_and_cycles(void **state)
{
	static const int64_t want[] = { 10000000, -1, 12500000, -1, 0, 1 };
	struct vx_impair_trace *t;
	struct vx_impair_config cfg;
	struct vx_impair_stats st;
	struct vx_impair *m;
	char err[VX_IMPAIR_ERR_LEN];
	uint64_t d[2];

	(void)state;
	assert_int_equal(vx_impair_trace_parse(&t, trace_text, strlen(trace_text), "t.csv", err,
					       sizeof(err)), 0);
	assert_int_equal(vx_impair_trace_len(t), 6);
	vx_impair_config_default(&cfg);
	cfg.trace = t;
	m = create_ok(&cfg);
	vx_impair_trace_destroy(t); /* the model holds a copy */
	for (uint64_t i = 0; i < 18; i++) {
		unsigned n = vx_impair_decide(m, i * SEND, 100, d);
		int64_t w = want[i % 6];

		assert_int_equal(n, w >= 0);
		if (n)
			assert_true(d[0] == i * SEND + (uint64_t)w);
	}
	vx_impair_stats(m, &st);
	assert_true(st.lost == 6 && st.delivered == 12);
	vx_impair_destroy(m);
}

static void test_impair_trace_errors_name_the_line(void **state)
{
	static const struct {
		const char *text;
		int ret;
		const char *msg;
	} rows[] = {
		{ "10\n20\nabc\n", -EINVAL, "t.csv:3: 'abc' is not a delay in ms, 'lost' or -1" },
		{ "10\n-2\n", -EINVAL, "t.csv:2: '-2' is not a delay in ms, 'lost' or -1" },
		{ "1e3\n", -EINVAL, "t.csv:1: '1e3' is not a delay in ms, 'lost' or -1" },
		{ "12,5\n", -EINVAL, "t.csv:1: '12,5' is not a delay in ms, 'lost' or -1" },
		{ "1.2.3\n", -EINVAL, "t.csv:1: '1.2.3' is not a delay in ms, 'lost' or -1" },
		{ "10\ndelay_ms\n", -EINVAL,
		  "t.csv:2: 'delay_ms' is not a delay in ms, 'lost' or -1" },
		{ "# c\n\n5000000\n", -EINVAL, "t.csv:3: 5000000 ms is longer than an hour" },
		{ "", -EINVAL, "t.csv: no packets (one line per packet: delay in ms, or lost)" },
		{ "# only\n\n  \n", -EINVAL,
		  "t.csv: no packets (one line per packet: delay in ms, or lost)" },
		{ "delay_ms\n", -EINVAL,
		  "t.csv: no packets (one line per packet: delay in ms, or lost)" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vx_impair_trace *t = NULL;
		char err[VX_IMPAIR_ERR_LEN];
		int r = vx_impair_trace_parse(&t, rows[i].text, strlen(rows[i].text), "t.csv", err,
					      sizeof(err));

		assert_int_equal(r, rows[i].ret);
		assert_string_equal(err, rows[i].msg);
		assert_null(t);
	}
}

static void test_impair_trace_loads_from_a_file(void **state)
{
	char path[] = "/tmp/test_impair.XXXXXX", err[VX_IMPAIR_ERR_LEN];
	struct vx_impair_trace *t;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, trace_text, strlen(trace_text)), (ssize_t)strlen(trace_text));
	close(fd);
	assert_int_equal(vx_impair_trace_load(&t, path, err, sizeof(err)), 0);
	assert_int_equal(vx_impair_trace_len(t), 6);
	vx_impair_trace_destroy(t);
	unlink(path);
	assert_int_equal(vx_impair_trace_load(&t, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
}

/* ---- determinism -------------------------------------------------------------------- */

#define FULL "loss=3%,burst=2,delay=30ms,jitter=8ms:normal,reorder=1%,dup=1%,rate=1mbit,"

static void run_log(struct vx_impair *m, uint64_t *log, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t d[2] = { 0, 0 };
		unsigned k = vx_impair_decide(m, i * 5 * MS, 300 + i % 900, d);

		log[3 * i] = k;
		log[3 * i + 1] = k ? d[0] : 0;
		log[3 * i + 2] = k == 2 ? d[1] : 0;
	}
}

static void test_impair_same_seed_same_decisions(void **state)
{
	enum { PKTS = 20000 };
	static uint64_t a[3 * PKTS], b[3 * PKTS], c[3 * PKTS];
	struct vx_impair *m1 = from_spec(FULL "seed=7"), *m2 = from_spec(FULL "seed=7");
	struct vx_impair *m3 = from_spec(FULL "seed=8");

	(void)state;
	run_log(m1, a, PKTS);
	run_log(m2, b, PKTS);
	run_log(m3, c, PKTS);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
	vx_impair_reset(m1);
	run_log(m1, b, PKTS);
	assert_memory_equal(a, b, sizeof(a));
	vx_impair_destroy(m1);
	vx_impair_destroy(m2);
	vx_impair_destroy(m3);
}

/* Each step has its own stream: changing the delay model keeps the loss pattern. */
static void test_impair_loss_pattern_is_independent_of_delay_settings(void **state)
{
	static uint8_t a[100000], b[100000];
	struct vx_impair *m1 = from_spec("loss=10%,burst=3,seed=5");
	struct vx_impair *m2 = from_spec("loss=10%,burst=3,delay=40ms,jitter=20ms:pareto,"
					 "reorder=5%,dup=5%,seed=5");

	(void)state;
	losses(m1, a, sizeof(a));
	losses(m2, b, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
	vx_impair_destroy(m1);
	vx_impair_destroy(m2);
}

static void test_impair_stats_add_up(void **state)
{
	struct vx_impair *m = from_spec(FULL "seed=9");
	struct vx_impair_stats st;
	uint64_t d[2], copies = 0;

	(void)state;
	for (uint64_t i = 0; i < 100000; i++)
		copies += vx_impair_decide(m, i * MS, 200, d);
	vx_impair_stats(m, &st);
	assert_int_equal(st.packets, 100000);
	assert_int_equal(st.delivered, copies);
	assert_int_equal(st.packets, st.lost + st.delivered - st.duplicated);
	assert_true(st.rate_dropped > 0 && st.rate_dropped < st.lost); /* 1.6 Mbit/s offered */
	assert_true(st.queued > 0 && st.reordered > 0 && st.duplicated > 0);
	vx_impair_destroy(m);
}

/* Decisions allocate nothing. */
static void test_impair_decide_allocates_nothing(void **state)
{
	struct vx_impair *m = from_spec(FULL "seed=10");
	uint64_t d[2];

	(void)state;
	allocs = 0;
	allocs_armed = true;
	for (uint64_t i = 0; i < 100000; i++)
		vx_impair_decide(m, i * MS, 200, d);
	vx_impair_reset(m);
	allocs_armed = false;
	assert_int_equal(allocs, 0);
	vx_impair_destroy(m);
}

/* ---- configuration -------------------------------------------------------------------- */

static void test_impair_parse_the_example_spec(void **state)
{
	struct vx_impair_config cfg;
	char err[VX_IMPAIR_ERR_LEN];

	(void)state;
	assert_int_equal(vx_impair_parse("loss=5%,burst=3,delay=20ms,jitter=10ms:normal,dup=1%,"
					 "reorder=2%,rate=64kbit,seed=7", &cfg, err, sizeof(err)),
			 0);
	assert_string_equal(err, "");
	assert_true(cfg.ge && fabs(cfg.ge_r - 1.0 / 3) < 1e-15);
	assert_true(cfg.delay_ns == 20 * MS && cfg.jitter_ns == 10 * MS);
	assert_int_equal(cfg.jitter_dist, VX_IMPAIR_NORMAL);
	assert_true(cfg.dup == 0.01 && cfg.reorder == 0.02 && cfg.reorder_ns == 30 * MS);
	assert_true(cfg.rate_bps == 64000 && cfg.bucket_bytes == 1500 && cfg.queue_ns == 100 * MS);
	assert_true(cfg.seed == 7);

	assert_int_equal(vx_impair_parse("ge=0.5%:0.3:0:0.9,jitter=1.5s:pareto:0.8,cap=2s,"
					 "reorder=10%:5ms,rate=2.5mbps,bucket=3kB,queue=0,"
					 "seed=0xff,trace=/x/y:z", &cfg, err, sizeof(err)),
			 -EINVAL); /* a trace with ge and jitter */
	assert_int_equal(vx_impair_parse("ge=0.5%:0.3:0:0.9,jitter=1.5s:pareto:0.8,cap=2s,"
					 "reorder=10%:5ms,rate=2.5mbps,bucket=3kB,queue=0,"
					 "seed=0xff,delay=1us", &cfg, err, sizeof(err)), 0);
	assert_true(cfg.ge && cfg.ge_p == 0.005 && cfg.ge_r == 0.3 && cfg.ge_loss_good == 0 &&
		    cfg.ge_loss_bad == 0.9);
	assert_true(cfg.jitter_ns == 1500 * MS && cfg.jitter_dist == VX_IMPAIR_PARETO &&
		    cfg.pareto_shape == 0.8 && cfg.jitter_cap_ns == 2000 * MS);
	assert_true(cfg.reorder == 0.1 && cfg.reorder_ns == 5 * MS);
	assert_true(cfg.rate_bps == 2500000 && cfg.bucket_bytes == 3000 && cfg.queue_ns == 0);
	assert_true(cfg.seed == 255 && cfg.delay_ns == 1000);

	assert_int_equal(vx_impair_parse("trace=/x/y:z,dup=1.0", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.trace_path, "/x/y:z");
	assert_true(cfg.dup == 1);
	assert_int_equal(vx_impair_parse("none", &cfg, err, sizeof(err)), 0);
	assert_int_equal(vx_impair_parse("", &cfg, err, sizeof(err)), 0);
	assert_true(cfg.loss == 0 && !cfg.ge && cfg.delay_ns == 0 && cfg.rate_bps == 0);
}

static void test_impair_parse_errors_are_clear(void **state)
{
	static const struct {
		const char *spec, *msg;
	} rows[] = {
		{ "loss=5", "impair: loss=5: write a percentage like 5% or a fraction like 0.05" },
		{ "loss=150%", "impair: loss=150%: a probability is 0..100%" },
		{ "loss=1.5", "impair: loss=1.5: a probability is 0..100%" },
		{ "loss=-1%", "impair: loss=-1%: write a percentage like 5% or a fraction like 0.05" },
		{ "loss=5%,loss=6%", "impair: loss= given twice" },
		{ "lose=5%", "impair: unknown key 'lose' (keys: loss, burst, ge, delay, jitter, cap, "
			     "reorder, dup, rate, bucket, queue, trace, seed)" },
		{ "loss", "impair: 'loss' is not key=value" },
		{ "=5%", "impair: '=5%' is not key=value" },
		{ "loss=5%,", "impair: empty item in \"loss=5%,\"" },
		{ "burst=3", "impair: burst= needs loss= (the mean loss rate)" },
		{ "burst=0.5,loss=1%", "impair: burst=0.5: the mean burst length is a number of "
				       "packets, >= 1" },
		{ "loss=60%,burst=1.2", "impair: burst=1.2 is too short for loss=60%: no Gilbert "
					"chain has it (burst >= 1.5 needed)" },
		{ "loss=100%,burst=2", "impair: burst= needs a loss= below 100%" },
		{ "loss=1%,ge=1%:10%", "impair: loss= and ge= are exclusive (use loss= with "
				       "burst=, or ge= alone)" },
		{ "loss=1%,burst=2,ge=1%:10%", "impair: burst= and ge= are exclusive" },
		{ "ge=1%", "impair: ge=1%: write ge=P:R[:LOSS_GOOD[:LOSS_BAD]]" },
		{ "ge=1%:2%:3%:4%:5%", "impair: ge=1%:2%:3%:4%:5%: write "
				       "ge=P:R[:LOSS_GOOD[:LOSS_BAD]]" },
		{ "ge=1%:x", "impair: ge=1%:x: write ge=P:R[:LOSS_GOOD[:LOSS_BAD]] with "
			     "probabilities like 1% or 0.25" },
		{ "delay=20xs", "impair: delay=20xs: write a time like 20ms (units ns, us, ms, s)" },
		{ "delay=2h", "impair: delay=2h: write a time like 20ms (units ns, us, ms, s)" },
		{ "delay=3601s", "impair: delay=3601s: longer than an hour" },
		{ "jitter=10ms:gauss", "impair: jitter=10ms:gauss: the distribution is uniform, "
				       "normal or pareto[:SHAPE]" },
		{ "jitter=10ms:normal:2", "impair: jitter=10ms:normal:2: the distribution is "
					  "uniform, normal or pareto[:SHAPE]" },
		{ "jitter=10ms:pareto:0", "impair: jitter=10ms:pareto:0: the Pareto shape is a "
					  "number > 0 (and <= 1000)" },
		{ "reorder=2%:x", "impair: reorder=2%:x: write reorder=P[:T], e.g. 2%:30ms" },
		{ "rate=64kbyte", "impair: rate=64kbyte: write a rate like 64kbit (bit, kbit, mbit, "
				  "gbit; or bps...)" },
		{ "rate=2000gbit", "impair: rate=2000gbit: above 1 Tbit/s" },
		{ "bucket=0", "impair: bucket=0: write a size in bytes like 3000 or 3kB (1 B to "
			      "1 GB)" },
		{ "seed=-1", "impair: seed=-1: the seed is a 64-bit number, decimal or 0x hex" },
		{ "seed=99999999999999999999", "impair: seed=99999999999999999999: the seed is a "
					       "64-bit number, decimal or 0x hex" },
		{ "trace=", "impair: trace=: the path is empty or too long" },
		{ "trace=t.csv,delay=5ms", "impair: trace= replaces loss, burst, ge, delay, jitter "
					   "and reorder: give one or the other" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vx_impair_config cfg;
		char err[VX_IMPAIR_ERR_LEN];

		if (vx_impair_parse(rows[i].spec, &cfg, err, sizeof(err)) != -EINVAL)
			fail_msg("\"%s\" was accepted", rows[i].spec);
		if (strcmp(err, rows[i].msg))
			fail_msg("\"%s\":\n got  %s\n want %s", rows[i].spec, err, rows[i].msg);
	}
}

/* One case per check in create. */
static void test_impair_create_rejects_bad_configs(void **state)
{
	struct vx_impair_config c;
	struct vx_impair_trace *t;
	struct vx_impair *m = NULL;
	char err[VX_IMPAIR_ERR_LEN];

#define REJECT(stmt)                                                  \
	do {                                                          \
		vx_impair_config_default(&c);                         \
		stmt;                                                 \
		assert_int_equal(vx_impair_create(&m, &c), -EINVAL);  \
		assert_null(m);                                       \
	} while (0)

	(void)state;
	REJECT(c.loss = -0.1);
	REJECT(c.loss = (double)NAN);
	REJECT(c.dup = 1.01);
	REJECT(c.reorder = 2);
	REJECT((c.ge = true, c.ge_p = 1.5));
	REJECT((c.ge = true, c.ge_r = -1));
	REJECT((c.ge = true, c.ge_loss_good = 2));
	REJECT((c.ge = true, c.ge_loss_bad = (double)NAN));
	REJECT((c.ge = true, c.loss = 0.1));
	REJECT(c.delay_ns = VX_IMPAIR_MAX_TIME_NS + 1);
	REJECT(c.jitter_ns = VX_IMPAIR_MAX_TIME_NS + 1);
	REJECT(c.queue_ns = VX_IMPAIR_MAX_TIME_NS + 1);
	REJECT(c.jitter_dist = (enum vx_impair_jitter)7);
	REJECT((c.jitter_dist = VX_IMPAIR_PARETO, c.pareto_shape = 0));
	REJECT(c.rate_bps = 1000000000001ull);
	REJECT((c.rate_bps = 64000, c.bucket_bytes = 0));
	REJECT(strcpy(c.trace_path, "named.csv")); /* named but not loaded */
	assert_int_equal(vx_impair_trace_parse(&t, "1\n", 2, NULL, err, sizeof(err)), 0);
	REJECT((c.trace = t, c.delay_ns = 1));
	REJECT((c.trace = t, c.loss = 0.01));
	vx_impair_trace_destroy(t);
#undef REJECT

	vx_impair_config_default(&c);
	assert_int_equal(vx_impair_ge_from_mean(&c, 0.5, 0.99), -EINVAL);
	assert_int_equal(vx_impair_ge_from_mean(&c, 1, 5), -EINVAL);
	assert_int_equal(vx_impair_ge_from_mean(&c, 0.9, 8), -EINVAL); /* needs 9 */
	assert_false(c.ge);
	assert_int_equal(vx_impair_ge_from_mean(&c, 0.9, 9), 0);
	assert_true(c.ge && c.ge_p == 1); /* exactly at the limit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_impair_default_delivers_everything_at_once),
		cmocka_unit_test(test_impair_bernoulli_loss_rate_and_runs_match_theory),
		cmocka_unit_test(test_impair_gilbert_rate_and_burst_length_match_theory),
		cmocka_unit_test(test_impair_loss_and_burst_set_the_chain),
		cmocka_unit_test(test_impair_gilbert_elliott_rate_matches_theory),
		cmocka_unit_test(test_impair_uniform_jitter_moments),
		cmocka_unit_test(test_impair_normal_jitter_moments),
		cmocka_unit_test(test_impair_pareto_jitter_median_tail_and_cap),
		cmocka_unit_test(test_impair_cap_bounds_every_distribution),
		cmocka_unit_test(test_impair_delay_never_goes_negative),
		cmocka_unit_test(test_impair_explicit_reordering),
		cmocka_unit_test(test_impair_jitter_alone_reorders),
		cmocka_unit_test(test_impair_duplication),
		cmocka_unit_test(test_impair_token_bucket_exact_schedule),
		cmocka_unit_test(test_impair_rate_limit_keeps_the_token_bucket_envelope),
		cmocka_unit_test(test_impair_trace_replays_exactly_and_cycles),
		cmocka_unit_test(test_impair_trace_errors_name_the_line),
		cmocka_unit_test(test_impair_trace_loads_from_a_file),
		cmocka_unit_test(test_impair_same_seed_same_decisions),
		cmocka_unit_test(test_impair_loss_pattern_is_independent_of_delay_settings),
		cmocka_unit_test(test_impair_stats_add_up),
		cmocka_unit_test(test_impair_decide_allocates_nothing),
		cmocka_unit_test(test_impair_parse_the_example_spec),
		cmocka_unit_test(test_impair_parse_errors_are_clear),
		cmocka_unit_test(test_impair_create_rejects_bad_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
