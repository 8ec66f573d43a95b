// SPDX-License-Identifier: MIT
/*
 * Network impairment model: rate limit, loss, delay, reordering, duplication,
 * or a replayed trace. See impair.h for the model; here are its mechanics.
 *
 * Randomness: SplitMix64 (vx_rand64) in four independent streams, one per step,
 * each seeded from the model's seed. A step draws a fixed number of values per
 * packet (fixed by the configuration, not by what happens to the packet), which
 * keeps the streams aligned with the packet sequence.
 *
 * Token bucket: tokens are counted in bit-nanoseconds (bits x 10^9), so that a
 * rate in bit/s adds exactly rate_bps tokens per nanosecond and no rounding
 * accumulates; 128-bit integers hold the products. The bucket's state is valid
 * at tb_time, which runs ahead of the send time while packets queue: the last
 * queued packet's departure.
 */
#include "transport/impair.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "algorithms/hash.h"

__extension__ typedef unsigned __int128 u128;

#define NS_PER_S     1000000000u
#define MAX_RATE_BPS 1000000000000ull /* 1 Tbit/s */
#define MAX_BUCKET   1000000000ull    /* bytes */
#define TWO_PI       6.283185307179586476925

enum { S_LOSS, S_DELAY, S_REORDER, S_DUP, NSTREAMS };

struct vx_impair_trace {
	size_t n;
	int64_t *delay_ns; /* -1: lost */
};

struct vx_impair {
	struct vx_impair_config cfg;
	struct vx_impair_trace trace; /* a copy; n == 0 without one */

	uint64_t rng[NSTREAMS];
	bool ge_bad;
	u128 tokens;         /* bit-ns, valid at tb_time */
	uint64_t tb_time;
	size_t trace_pos;
	uint64_t max_deliver; /* latest arrival of an original so far */
	bool any_delivered;
	struct vx_impair_stats st;
};

/* --- configuration ---------------------------------------------------------------- */

void vx_impair_config_default(struct vx_impair_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->ge_loss_bad = 1;
	cfg->pareto_shape = 1.5;
	cfg->jitter_cap_ns = NS_PER_S;
	cfg->reorder_ns = 30000000;
	cfg->bucket_bytes = 1500;
	cfg->queue_ns = 100000000;
	cfg->jitter_dist = VX_IMPAIR_UNIFORM;
}

int vx_impair_ge_from_mean(struct vx_impair_config *cfg, double loss, double burst)
{
	double r, p;

	if (!(loss >= 0 && loss < 1) || !(burst >= 1) || isinf(burst))
		return -EINVAL;
	r = 1 / burst;
	p = loss * r / (1 - loss);
	/* Exactly at the limit (burst = loss / (1 - loss)) rounding may give
	 * 1 + 2^-52: that is p = 1, a chain that never stays good. */
	if (p > 1 + 1e-12)
		return -EINVAL;
	p = p > 1 ? 1 : p;
	cfg->ge = true;
	cfg->ge_p = p;
	cfg->ge_r = r;
	cfg->ge_loss_good = 0;
	cfg->ge_loss_bad = 1;
	return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_prob(double p)
{
	return p >= 0 && p <= 1; /* false for NaN */
}

/* The one validation, for create (no message) and parse (a message). */
static int check(const struct vx_impair_config *c, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} probs[] = {
		{ "loss", offsetof(struct vx_impair_config, loss) },
		{ "ge p", offsetof(struct vx_impair_config, ge_p) },
		{ "ge r", offsetof(struct vx_impair_config, ge_r) },
		{ "ge good-state loss", offsetof(struct vx_impair_config, ge_loss_good) },
		{ "ge bad-state loss", offsetof(struct vx_impair_config, ge_loss_bad) },
		{ "reorder", offsetof(struct vx_impair_config, reorder) },
		{ "dup", offsetof(struct vx_impair_config, dup) },
	}, times[] = {
		{ "delay", offsetof(struct vx_impair_config, delay_ns) },
		{ "jitter", offsetof(struct vx_impair_config, jitter_ns) },
		{ "cap", offsetof(struct vx_impair_config, jitter_cap_ns) },
		{ "reorder delay", offsetof(struct vx_impair_config, reorder_ns) },
		{ "queue", offsetof(struct vx_impair_config, queue_ns) },
	};

	for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++) {
		double p;

		memcpy(&p, (const char *)c + probs[i].off, sizeof(p));
		if (!is_prob(p))
			return fail(err, errlen, "impair: %s must be a probability, 0..100%%",
				    probs[i].name);
	}
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		uint64_t t;

		memcpy(&t, (const char *)c + times[i].off, sizeof(t));
		if (t > VX_IMPAIR_MAX_TIME_NS)
			return fail(err, errlen, "impair: %s is longer than an hour", times[i].name);
	}
	if (c->ge && c->loss > 0)
		return fail(err, errlen, "impair: loss= and ge= are exclusive (use loss= with "
					 "burst=, or ge= alone)");
	if (c->jitter_dist != VX_IMPAIR_UNIFORM && c->jitter_dist != VX_IMPAIR_NORMAL &&
	    c->jitter_dist != VX_IMPAIR_PARETO)
		return fail(err, errlen, "impair: unknown jitter distribution");
	if (c->jitter_dist == VX_IMPAIR_PARETO &&
	    !(c->pareto_shape > 0 && c->pareto_shape <= 1000))
		return fail(err, errlen, "impair: the Pareto shape must be > 0 (and <= 1000)");
	if (c->rate_bps > MAX_RATE_BPS)
		return fail(err, errlen, "impair: rate above 1 Tbit/s");
	if (c->rate_bps && (c->bucket_bytes == 0 || c->bucket_bytes > MAX_BUCKET))
		return fail(err, errlen, "impair: bucket must be 1 byte to 1 GB");
	if (c->trace && (c->loss > 0 || c->ge || c->delay_ns || c->jitter_ns || c->reorder > 0))
		return fail(err, errlen, "impair: a trace replaces loss, burst, ge, delay, "
					 "jitter and reorder: give one or the other");
	return 0;
}

/* --- spec strings ---------------------------------------------------------------- */

/*
 * A decimal number: digits with at most one point, no sign or exponent. Returns
 * the characters used (0 if none), with *dot telling whether a point was seen.
 */
static size_t scan_decimal(const char *s, size_t n, double *out, bool *dot)
{
	char buf[64];
	size_t i = 0, digits = 0;

	*dot = false;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && !*dot)
			*dot = true;
		else
			break;
	}
	if (!digits || i >= sizeof(buf))
		return 0;
	memcpy(buf, s, i);
	buf[i] = '\0';
	*out = strtod(buf, NULL);
	return i;
}

static bool suffix_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(s, word, n);
}

static int parse_prob(const char *s, size_t n, double *out)
{
	bool dot;
	size_t used = scan_decimal(s, n, out, &dot);

	if (!used)
		return -EINVAL;
	if (used + 1 == n && s[used] == '%') {
		*out /= 100;
	} else if (used != n || (!dot && *out != 0)) {
		return -EINVAL; /* a bare "5": 5 % or 500 %? */
	}
	return is_prob(*out) ? 0 : -ERANGE;
}

/* A unit suffix and what one of it is worth in the base unit. */
struct unit {
	const char *name;
	double scale;
};

/* A decimal number with one of @units after it, scaled and rounded, at most @max. */
static int parse_scaled(const char *s, size_t n, const struct unit *units, size_t count,
			double max, uint64_t *out)
{
	bool dot;
	double v;
	size_t used = scan_decimal(s, n, &v, &dot);

	if (!used)
		return -EINVAL;
	for (size_t i = 0; i < count; i++)
		if (suffix_is(s + used, n - used, units[i].name)) {
			v = round(v * units[i].scale);
			if (v > max)
				return -ERANGE;
			*out = (uint64_t)v;
			return 0;
		}
	return -EINVAL;
}

/* A time in ns; a bare number is in ms. */
static int parse_time(const char *s, size_t n, uint64_t *out)
{
	static const struct unit units[] = {
		{ "", 1e6 }, { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};

	return parse_scaled(s, n, units, sizeof(units) / sizeof(units[0]),
			    (double)VX_IMPAIR_MAX_TIME_NS, out);
}

/* A rate in bits per second. */
static int parse_rate(const char *s, size_t n, uint64_t *out)
{
	static const struct unit units[] = {
		{ "", 1 },        { "bit", 1 },     { "bps", 1 },     { "k", 1e3 },
		{ "kbit", 1e3 },  { "kbps", 1e3 },  { "m", 1e6 },     { "mbit", 1e6 },
		{ "mbps", 1e6 },  { "g", 1e9 },     { "gbit", 1e9 },  { "gbps", 1e9 },
	};

	return parse_scaled(s, n, units, sizeof(units) / sizeof(units[0]), (double)MAX_RATE_BPS,
			    out);
}

static int parse_bytes(const char *s, size_t n, uint64_t *out)
{
	bool dot;
	double v;
	size_t used = scan_decimal(s, n, &v, &dot);

	if (!used)
		return -EINVAL;
	if (suffix_is(s + used, n - used, "kB"))
		v *= 1000;
	else if (used != n && !suffix_is(s + used, n - used, "B"))
		return -EINVAL;
	v = round(v);
	if (v < 1 || v > (double)MAX_BUCKET)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

static int parse_seed(const char *s, size_t n, uint64_t *out)
{
	char buf[32];
	char *end;

	if (n == 0 || n >= sizeof(buf) || !(s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 0);
	return *end || errno ? -EINVAL : 0;
}

/* Split "a:b:c" at the first colon: the head's length, and the tail (or NULL). */
static size_t head(const char *s, size_t n, const char **tail, size_t *tail_n)
{
	const char *c = memchr(s, ':', n);

	if (!c) {
		*tail = NULL;
		*tail_n = 0;
		return n;
	}
	*tail = c + 1;
	*tail_n = n - (size_t)(c + 1 - s);
	return (size_t)(c - s);
}

struct seen {
	bool loss, burst, ge, delay, jitter, cap, reorder, dup, rate, bucket, queue, trace, seed;
};

static int parse_item(const char *key, size_t kn, const char *v, size_t vn,
		      struct vx_impair_config *cfg, struct seen *seen, double *burst,
		      char *err, size_t errlen)
{
	const char *t;
	size_t tn, hn;
	int r = 0;

#define KEY(name) (kn == strlen(name) && !memcmp(key, name, kn))
#define ONCE(flag)                                                                  \
	do {                                                                        \
		if (seen->flag)                                                     \
			return fail(err, errlen, "impair: %.*s= given twice", (int)kn, key); \
		seen->flag = true;                                                  \
	} while (0)
#define BAD(what)                                                                   \
	fail(err, errlen, "impair: %.*s=%.*s: %s", (int)kn, key, (int)(vn > 64 ? 64 : vn), v, \
	     what)
#define PROB_MSG(r) \
	((r) == -ERANGE ? "a probability is 0..100%" : "write a percentage like 5% or a fraction like 0.05")
#define TIME_MSG(r) \
	((r) == -ERANGE ? "longer than an hour" : "write a time like 20ms (units ns, us, ms, s)")

	if (KEY("loss")) {
		ONCE(loss);
		if ((r = parse_prob(v, vn, &cfg->loss)) < 0)
			return BAD(PROB_MSG(r));
	} else if (KEY("burst")) {
		bool dot;

		ONCE(burst);
		if (scan_decimal(v, vn, burst, &dot) != vn || !(*burst >= 1) || *burst > 1e9)
			return BAD("the mean burst length is a number of packets, >= 1");
	} else if (KEY("ge")) {
		double *f[4] = { &cfg->ge_p, &cfg->ge_r, &cfg->ge_loss_good, &cfg->ge_loss_bad };
		unsigned k = 0;

		ONCE(ge);
		for (t = v, tn = vn; t && k < 4; k++) {
			const char *rest;
			size_t rn;

			hn = head(t, tn, &rest, &rn);
			if ((r = parse_prob(t, hn, f[k])) < 0)
				return BAD("write ge=P:R[:LOSS_GOOD[:LOSS_BAD]] with probabilities "
					   "like 1% or 0.25");
			t = rest;
			tn = rn;
		}
		if (t || k < 2)
			return BAD("write ge=P:R[:LOSS_GOOD[:LOSS_BAD]]");
		cfg->ge = true;
	} else if (KEY("delay")) {
		ONCE(delay);
		if ((r = parse_time(v, vn, &cfg->delay_ns)) < 0)
			return BAD(TIME_MSG(r));
	} else if (KEY("jitter")) {
		ONCE(jitter);
		hn = head(v, vn, &t, &tn);
		if ((r = parse_time(v, hn, &cfg->jitter_ns)) < 0)
			return BAD(TIME_MSG(r));
		if (t) {
			const char *shape;
			size_t sn, dn = head(t, tn, &shape, &sn);

			if (suffix_is(t, dn, "uniform") && !shape)
				cfg->jitter_dist = VX_IMPAIR_UNIFORM;
			else if (suffix_is(t, dn, "normal") && !shape)
				cfg->jitter_dist = VX_IMPAIR_NORMAL;
			else if (suffix_is(t, dn, "pareto"))
				cfg->jitter_dist = VX_IMPAIR_PARETO;
			else
				return BAD("the distribution is uniform, normal or pareto[:SHAPE]");
			if (shape) {
				bool dot;

				if (scan_decimal(shape, sn, &cfg->pareto_shape, &dot) != sn ||
				    !(cfg->pareto_shape > 0) || cfg->pareto_shape > 1000)
					return BAD("the Pareto shape is a number > 0 (and <= 1000)");
			}
		}
	} else if (KEY("cap")) {
		ONCE(cap);
		if ((r = parse_time(v, vn, &cfg->jitter_cap_ns)) < 0)
			return BAD(TIME_MSG(r));
	} else if (KEY("reorder")) {
		ONCE(reorder);
		hn = head(v, vn, &t, &tn);
		if ((r = parse_prob(v, hn, &cfg->reorder)) < 0)
			return BAD(PROB_MSG(r));
		if (t && (r = parse_time(t, tn, &cfg->reorder_ns)) < 0)
			return BAD("write reorder=P[:T], e.g. 2%:30ms");
	} else if (KEY("dup")) {
		ONCE(dup);
		if ((r = parse_prob(v, vn, &cfg->dup)) < 0)
			return BAD(PROB_MSG(r));
	} else if (KEY("rate")) {
		ONCE(rate);
		if ((r = parse_rate(v, vn, &cfg->rate_bps)) < 0)
			return BAD(r == -ERANGE ? "above 1 Tbit/s" :
				   "write a rate like 64kbit (bit, kbit, mbit, gbit; or bps...)");
	} else if (KEY("bucket")) {
		ONCE(bucket);
		if ((r = parse_bytes(v, vn, &cfg->bucket_bytes)) < 0)
			return BAD("write a size in bytes like 3000 or 3kB (1 B to 1 GB)");
	} else if (KEY("queue")) {
		ONCE(queue);
		if ((r = parse_time(v, vn, &cfg->queue_ns)) < 0)
			return BAD(TIME_MSG(r));
	} else if (KEY("trace")) {
		ONCE(trace);
		if (vn == 0 || vn >= sizeof(cfg->trace_path) || memchr(v, '\0', vn))
			return BAD("the path is empty or too long");
		memcpy(cfg->trace_path, v, vn);
		cfg->trace_path[vn] = '\0';
	} else if (KEY("seed")) {
		ONCE(seed);
		if (parse_seed(v, vn, &cfg->seed) < 0)
			return BAD("the seed is a 64-bit number, decimal or 0x hex");
	} else {
		return fail(err, errlen, "impair: unknown key '%.*s' (keys: loss, burst, ge, delay, "
					 "jitter, cap, reorder, dup, rate, bucket, queue, trace, seed)",
			    (int)(kn > 32 ? 32 : kn), key);
	}
	return 0;
#undef KEY
#undef ONCE
#undef BAD
#undef PROB_MSG
#undef TIME_MSG
}

int vx_impair_parse(const char *spec, struct vx_impair_config *cfg, char *err, size_t errlen)
{
	struct seen seen = { 0 };
	double burst = 0;
	const char *s = spec;
	int r;

	vx_impair_config_default(cfg);
	if (errlen)
		err[0] = '\0';
	if (!strcmp(spec, "") || !strcmp(spec, "none"))
		return 0;
	for (;;) {
		const char *end = strchr(s, ','), *eq;
		size_t n = end ? (size_t)(end - s) : strlen(s);

		eq = memchr(s, '=', n);
		if (n == 0)
			return fail(err, errlen, "impair: empty item in \"%.64s\"", spec);
		if (!eq || eq == s)
			return fail(err, errlen, "impair: '%.*s' is not key=value", (int)(n > 64 ? 64 : n),
				    s);
		r = parse_item(s, (size_t)(eq - s), eq + 1, n - (size_t)(eq - s) - 1, cfg, &seen,
			       &burst, err, errlen);
		if (r < 0)
			return r;
		if (!end)
			break;
		s = end + 1;
	}
	if (seen.burst) {
		if (!seen.loss)
			return fail(err, errlen, "impair: burst= needs loss= (the mean loss rate)");
		if (seen.ge)
			return fail(err, errlen, "impair: burst= and ge= are exclusive");
		if (cfg->loss >= 1)
			return fail(err, errlen, "impair: burst= needs a loss= below 100%%");
		if (vx_impair_ge_from_mean(cfg, cfg->loss, burst) < 0)
			return fail(err, errlen, "impair: burst=%g is too short for loss=%g%%: no "
						 "Gilbert chain has it (burst >= %g needed)",
				    burst, cfg->loss * 100, cfg->loss / (1 - cfg->loss));
		cfg->loss = 0; /* now carried by the chain */
	}
	if (seen.trace && (seen.loss || seen.ge || seen.delay || seen.jitter || seen.reorder))
		return fail(err, errlen, "impair: trace= replaces loss, burst, ge, delay, jitter "
					 "and reorder: give one or the other");
	return check(cfg, err, errlen);
}

/* --- traces ------------------------------------------------------------------------- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int vx_impair_trace_parse(struct vx_impair_trace **out, const char *text, size_t len,
			  const char *name, char *err, size_t errlen)
{
	struct vx_impair_trace *t;
	size_t cap = 0, line = 0;
	const char *p = text, *end = text + len;
	bool first = true;
	int ret;

	if (!name)
		name = "trace";
	if (errlen)
		err[0] = '\0';
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *hash = memchr(p, '#', (size_t)(e - p));
		size_t n;
		int64_t d;

		line++;
		if (hash)
			e = hash;
		while (p < e && is_space(*p))
			p++;
		while (e > p && is_space(e[-1]))
			e--;
		n = (size_t)(e - p);
		if (n == 0)
			goto next;
		if (first && suffix_is(p, n, "delay_ms")) {
			first = false;
			goto next;
		}
		first = false;
		if (suffix_is(p, n, "lost") || (n == 2 && !memcmp(p, "-1", 2))) {
			d = -1;
		} else {
			bool dot;
			double ms;

			if (scan_decimal(p, n, &ms, &dot) != n) {
				ret = -EINVAL;
				fail(err, errlen, "%s:%zu: '%.*s' is not a delay in ms, 'lost' or -1",
				     name, line, (int)(n > 40 ? 40 : n), p);
				goto err_free;
			}
			if (ms * 1e6 > (double)VX_IMPAIR_MAX_TIME_NS) {
				ret = -EINVAL;
				fail(err, errlen, "%s:%zu: %.*s ms is longer than an hour", name, line,
				     (int)(n > 40 ? 40 : n), p);
				goto err_free;
			}
			d = (int64_t)llround(ms * 1e6);
		}
		if (t->n == cap) {
			int64_t *grown;

			if (cap == VX_IMPAIR_MAX_TRACE) {
				ret = -E2BIG;
				snprintf(err, errlen, "%s:%zu: more than %d packets", name, line,
					 VX_IMPAIR_MAX_TRACE);
				goto err_free;
			}
			cap = cap ? cap * 2 : 256;
			if (cap > VX_IMPAIR_MAX_TRACE)
				cap = VX_IMPAIR_MAX_TRACE;
			grown = realloc(t->delay_ns, cap * sizeof(*grown));
			if (!grown) {
				ret = -ENOMEM;
				snprintf(err, errlen, "%s: out of memory", name);
				goto err_free;
			}
			t->delay_ns = grown;
		}
		t->delay_ns[t->n++] = d;
next:
		p = nl ? nl + 1 : end;
	}
	if (t->n == 0) {
		ret = -EINVAL;
		fail(err, errlen, "%s: no packets (one line per packet: delay in ms, or lost)",
		     name);
		goto err_free;
	}
	*out = t;
	return 0;

err_free:
	vx_impair_trace_destroy(t);
	return ret;
}

int vx_impair_trace_load(struct vx_impair_trace **out, const char *path, char *err,
			 size_t errlen)
{
	struct stat sb;
	char *text;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &sb) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto err_close;
	}
	/* A trace is at most 10^7 short lines: refuse anything absurd. */
	if (sb.st_size > 1 << 30) {
		ret = -E2BIG;
		snprintf(err, errlen, "%s: larger than 1 GB", path);
		goto err_close;
	}
	text = malloc((size_t)sb.st_size + 1);
	if (!text) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto err_close;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, text + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(-ret) : "short read");
			goto err_text;
		}
		got += (size_t)n;
	}
	ret = vx_impair_trace_parse(out, text, got, path, err, errlen);
err_text:
	free(text);
err_close:
	close(fd);
	return ret;
}

size_t vx_impair_trace_len(const struct vx_impair_trace *t)
{
	return t->n;
}

void vx_impair_trace_destroy(struct vx_impair_trace *t)
{
	if (!t)
		return;
	free(t->delay_ns);
	free(t);
}

/* --- the model ------------------------------------------------------------------------ */

int vx_impair_create(struct vx_impair **out, const struct vx_impair_config *cfg)
{
	struct vx_impair *m;

	if (check(cfg, NULL, 0) < 0)
		return -EINVAL;
	/* A spec named a trace that nobody loaded: refuse rather than run an
	 * unimpaired network by mistake. */
	if (cfg->trace_path[0] && !cfg->trace)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	m->cfg.trace = NULL;
	if (cfg->trace) {
		m->trace.n = cfg->trace->n;
		m->trace.delay_ns = malloc(m->trace.n * sizeof(int64_t));
		if (!m->trace.delay_ns) {
			free(m);
			return -ENOMEM;
		}
		memcpy(m->trace.delay_ns, cfg->trace->delay_ns, m->trace.n * sizeof(int64_t));
	}
	vx_impair_reset(m);
	*out = m;
	return 0;
}

int vx_impair_create_seeded(struct vx_impair **out, const struct vx_impair_config *base,
			    uint64_t seed, char *err, size_t errlen)
{
	struct vx_impair_config cfg = *base;
	struct vx_impair_trace *t = NULL;
	int ret;

	cfg.seed = seed;
	if (cfg.trace_path[0]) {
		ret = vx_impair_trace_load(&t, cfg.trace_path, err, errlen);
		if (ret < 0)
			return ret;
		cfg.trace = t;
	}
	ret = vx_impair_create(out, &cfg);
	vx_impair_trace_destroy(t); /* create copied it */
	if (ret < 0)
		snprintf(err, errlen, "impair: the model: %s", strerror(-ret));
	return ret;
}

void vx_impair_destroy(struct vx_impair *m)
{
	if (!m)
		return;
	free(m->trace.delay_ns);
	free(m);
}

void vx_impair_reset(struct vx_impair *m)
{
	const struct vx_impair_config *c = &m->cfg;

	/* Streams far apart: distinct SplitMix64 states from mixed seeds. */
	for (unsigned i = 0; i < NSTREAMS; i++)
		m->rng[i] = vx_hash_mix64(c->seed ^ vx_hash_mix64(0x5eed0000u + i));
	/* The chain starts in its stationary distribution: bad with p / (p + r). */
	m->ge_bad = false;
	if (c->ge && c->ge_p + c->ge_r > 0)
		m->ge_bad = vx_rand_unit(&m->rng[S_LOSS]) < c->ge_p / (c->ge_p + c->ge_r);
	else if (c->ge)
		(void)vx_rand_unit(&m->rng[S_LOSS]);
	m->tokens = (u128)c->bucket_bytes * 8 * NS_PER_S; /* a full bucket */
	m->tb_time = 0;
	m->trace_pos = 0;
	m->max_deliver = 0;
	m->any_delivered = false;
	memset(&m->st, 0, sizeof(m->st));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * The token bucket. True if the packet leaves (at *depart, >= t); false if it is
 * dropped, which leaves the bucket as it was.
 */
static bool rate_admit(struct vx_impair *m, uint64_t t, size_t bytes, uint64_t *depart)
{
	const struct vx_impair_config *c = &m->cfg;
	u128 depth = (u128)c->bucket_bytes * 8 * NS_PER_S, need = (u128)bytes * 8 * NS_PER_S;
	u128 tokens = m->tokens;
	uint64_t start = m->tb_time;

	/* A packet larger than the bucket could never conform. */
	if (need > depth)
		return false;
	if (t > start) {
		u128 fill = (u128)(t - start) * c->rate_bps;

		/* A remainder after a queued departure may top a tiny bucket. */
		tokens = tokens >= depth || fill >= depth - tokens ? depth : tokens + fill;
		start = t;
	}
	if (tokens >= need) {
		m->tokens = tokens - need;
		m->tb_time = start;
		*depart = start;
		return true;
	}
	{
		u128 wait = (need - tokens + c->rate_bps - 1) / c->rate_bps; /* ns, rounded up */

		/* Queueing delay beyond the limit (or any, when policing): drop. */
		if (wait > c->queue_ns || start - t > c->queue_ns - wait)
			return false;
		*depart = start + (uint64_t)wait;
		m->tokens = tokens + wait * c->rate_bps - need;
		m->tb_time = *depart;
		return true;
	}
}

static bool loss_step(struct vx_impair *m)
{
	const struct vx_impair_config *c = &m->cfg;
	bool lost;

	if (c->ge) {
		double u = vx_rand_unit(&m->rng[S_LOSS]), v = vx_rand_unit(&m->rng[S_LOSS]);

		lost = u < (m->ge_bad ? c->ge_loss_bad : c->ge_loss_good);
		m->ge_bad = m->ge_bad ? !(v < c->ge_r) : v < c->ge_p;
		return lost;
	}
	return c->loss > 0 && vx_rand_unit(&m->rng[S_LOSS]) < c->loss;
}

/* One jitter value in ns, within +-cap; no draw without jitter. */
static double jitter(const struct vx_impair_config *c, uint64_t *rng)
{
	double j = (double)c->jitter_ns, cap = (double)c->jitter_cap_ns, x;

	if (!c->jitter_ns)
		return 0;
	switch (c->jitter_dist) {
	case VX_IMPAIR_NORMAL: {
		/* Box-Muller, cosine half: two draws per value, always. */
		double u1 = 1 - vx_rand_unit(rng), u2 = vx_rand_unit(rng);

		x = j * sqrt(-2 * log(u1)) * cos(TWO_PI * u2);
		break;
	}
	case VX_IMPAIR_PARETO:
		/* Inverse CDF of Pareto(shape, scale j), minus j: P(x > t) =
		 * (j / (j + t))^shape. u in (0, 1] keeps it finite but for tiny
		 * shapes, which the cap handles. */
		x = j * (pow(1 - vx_rand_unit(rng), -1 / c->pareto_shape) - 1);
		break;
	default:
		x = j * (2 * vx_rand_unit(rng) - 1);
		break;
	}
	return x > cap ? cap : x < -cap ? -cap : x;
}

static uint64_t path_delay(const struct vx_impair_config *c, double jit)
{
	double d = (double)c->delay_ns + jit;

	return d <= 0 ? 0 : (uint64_t)llround(d);
}

unsigned vx_impair_decide(struct vx_impair *m, uint64_t send_ns, size_t bytes,
			  uint64_t deliver[2])
{
	const struct vx_impair_config *c = &m->cfg;
	uint64_t depart = send_ns, d0, d1 = 0;
	bool admitted = true, lost, reorder = false, dup = false;
	int64_t traced = 0;
	double j0, j1 = 0;

	m->st.packets++;
	if (c->rate_bps)
		admitted = rate_admit(m, send_ns, bytes, &depart);

	/* Every stream draws whatever the packet's fate (see the top). */
	lost = loss_step(m);
	if (m->trace.n) {
		traced = m->trace.delay_ns[m->trace_pos];
		m->trace_pos = m->trace_pos + 1 == m->trace.n ? 0 : m->trace_pos + 1;
		lost = traced < 0;
	}
	j0 = jitter(c, &m->rng[S_DELAY]);
	if (c->reorder > 0)
		reorder = vx_rand_unit(&m->rng[S_REORDER]) < c->reorder;
	if (c->dup > 0) {
		dup = vx_rand_unit(&m->rng[S_DUP]) < c->dup;
		j1 = jitter(c, &m->rng[S_DUP]);
	}

	if (!admitted) {
		m->st.lost++;
		m->st.rate_dropped++;
		return 0;
	}
	if (depart > send_ns)
		m->st.queued++;
	if (lost) {
		m->st.lost++;
		return 0;
	}
	if (m->trace.n) {
		d0 = (uint64_t)traced;
		d1 = d0;
	} else {
		d0 = path_delay(c, j0);
		if (reorder)
			d0 = add_sat(d0, c->reorder_ns);
		if (dup)
			d1 = path_delay(c, j1);
	}
	deliver[0] = add_sat(depart, d0);
	if (m->any_delivered && deliver[0] < m->max_deliver)
		m->st.reordered++;
	if (!m->any_delivered || deliver[0] > m->max_deliver)
		m->max_deliver = deliver[0];
	m->any_delivered = true;
	m->st.delivered++;
	if (!dup)
		return 1;
	deliver[1] = add_sat(depart, d1);
	m->st.duplicated++;
	m->st.delivered++;
	return 2;
}

void vx_impair_stats(const struct vx_impair *m, struct vx_impair_stats *st)
{
	*st = m->st;
}
