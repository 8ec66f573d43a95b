// SPDX-License-Identifier: MIT
/*
 * The per-packet costs of the transport layer, each beside a baseline doing the
 * least comparable work, in one run:
 *
 *   rtp/...     parse, encode, parse + re-encode of a 172-byte Opus packet (12-byte
 *               header + 160 bytes: 20 ms at 64 kb/s), over 1024 distinct packets
 *               in memory; and the RFC 3550 A.1/A.8 source update per packet.
 *               Baseline: memcpy of the same 172 bytes (touching the packet at all).
 *   replay/...  check + update of the RFC 6479 window (2048-bit ring, words zeroed
 *               on advance) on 2^20 counters: in order, and reordered as a bad
 *               path does (2 % delayed by up to 5000 packets, 5 % duplicated).
 *               Baseline: the classic RFC 4303 sliding window of the same size,
 *               which shifts the whole bitmap when the top advances.
 *   impair/...  one decision of the impairment model per packet, by feature.
 *               Baseline: the model with everything off (the call itself).
 *
 * Rows: ns per packet (median, p99 and max over repetitions). After the rows, a
 * summary gives each case's ratio to its baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "bench/harness.h"
#include "transport/impair.h"
#include "transport/replay.h"
#include "transport/rtp.h"

#define NPKT     1024
#define PKT_LEN  172
#define NCTR     (1u << 20)

/* --- RTP ---------------------------------------------------------------------------- */

static struct {
	uint8_t pkt[NPKT][PKT_LEN];
	uint8_t out[PKT_LEN + 64];
	uint32_t arrival[NPKT];
} r;

static void rtp_setup_packets(void)
{
	uint64_t rng = 1;

	for (unsigned i = 0; i < NPKT; i++) {
		uint8_t payload[PKT_LEN - 12];
		struct vx_rtp_packet p = { .pt = VX_RTP_PT_OPUS, .seq = (uint16_t)i,
					   .ts = 960 * i, .ssrc = 0x1234abcd,
					   .payload = payload, .payload_len = sizeof(payload) };

		for (size_t k = 0; k < sizeof(payload); k++)
			payload[k] = (uint8_t)vx_rand64(&rng);
		if (vx_rtp_encode(&p, r.pkt[i], PKT_LEN) != PKT_LEN)
			vx_bench_die("vx_rtp_encode");
		r.arrival[i] = 960 * i + 5000 + (uint32_t)(vx_rand64(&rng) % 480);
	}
}

static void rtp_memcpy(void *ctx, uint64_t ops)
{
	(void)ctx;
	for (uint64_t i = 0; i < ops; i++) {
		memcpy(r.out, r.pkt[i % NPKT], PKT_LEN);
		vx_bench_keep(r.out[0]);
	}
}

static void rtp_parse(void *ctx, uint64_t ops)
{
	struct vx_rtp_packet p;
	uint64_t sum = 0;

	(void)ctx;
	for (uint64_t i = 0; i < ops; i++) {
		if (vx_rtp_parse(&p, r.pkt[i % NPKT], PKT_LEN) < 0)
			vx_bench_die("vx_rtp_parse");
		sum += p.seq + p.payload_len;
	}
	vx_bench_keep(sum);
}

static void rtp_encode(void *ctx, uint64_t ops)
{
	struct vx_rtp_packet p = { .pt = VX_RTP_PT_OPUS, .ssrc = 0x1234abcd,
				   .payload_len = PKT_LEN - 12 };

	(void)ctx;
	for (uint64_t i = 0; i < ops; i++) {
		p.seq = (uint16_t)i;
		p.ts = 960 * (uint32_t)i;
		p.payload = r.pkt[i % NPKT] + 12;
		if (vx_rtp_encode(&p, r.out, sizeof(r.out)) != PKT_LEN)
			vx_bench_die("vx_rtp_encode");
		vx_bench_keep(r.out[0]);
	}
}

static void rtp_parse_encode(void *ctx, uint64_t ops)
{
	struct vx_rtp_packet p;

	(void)ctx;
	for (uint64_t i = 0; i < ops; i++) {
		if (vx_rtp_parse(&p, r.pkt[i % NPKT], PKT_LEN) < 0)
			vx_bench_die("vx_rtp_parse");
		p.ssrc ^= 1; /* a relay rewriting a field */
		if (vx_rtp_encode(&p, r.out, sizeof(r.out)) != PKT_LEN)
			vx_bench_die("vx_rtp_encode");
		vx_bench_keep(r.out[0]);
	}
}

static void rtp_source(void *ctx, uint64_t ops)
{
	struct vx_rtp_source s;
	uint64_t sum = 0;

	(void)ctx;
	vx_rtp_source_init(&s);
	for (uint64_t i = 0; i < ops; i++) {
		unsigned k = (unsigned)(i % NPKT);

		sum += vx_rtp_source_update(&s, (uint16_t)i, 960 * (uint32_t)i,
					    960 * (uint32_t)i + r.arrival[k] - 960 * k, NULL);
	}
	vx_bench_keep(sum);
}

/* --- replay ---------------------------------------------------------------------------- */

static uint64_t *ctr_in_order, *ctr_reordered;

struct pkt {
	uint64_t key, counter;
};

static int cmp_pkt(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static void replay_setup_counters(void)
{
	struct pkt *p = malloc(2 * NCTR * sizeof(*p));
	uint64_t rng = 5;
	size_t n = 0;

	ctr_in_order = malloc(NCTR * sizeof(uint64_t));
	ctr_reordered = malloc(NCTR * sizeof(uint64_t));
	if (!p || !ctr_in_order || !ctr_reordered)
		vx_bench_die("malloc");
	for (uint64_t i = 0; i < NCTR; i++) {
		uint64_t u = vx_rand64(&rng), delay = u % 100 < 2 ? (u >> 8) % 5000 : (u >> 8) % 40;

		ctr_in_order[i] = i;
		p[n++] = (struct pkt){ i * 16 + delay * 16, i };
		if (u % 100 >= 95)
			p[n++] = (struct pkt){ i * 16 + ((u >> 20) % 200) * 16 + 1, i };
	}
	qsort(p, n, sizeof(*p), cmp_pkt);
	for (size_t i = 0; i < NCTR; i++)
		ctr_reordered[i] = p[i].counter;
	free(p);
}

/*
 * RFC 4303 section 3.4.3 style: bit k of the bitmap is counter top - k; an
 * advance by d shifts the whole bitmap left by d bits.
 */
struct shift_window {
	uint64_t top;
	bool any;
	uint64_t bits[VX_REPLAY_WORDS]; /* bits[0] bit 0 = top */
};

static void shift_left(struct shift_window *w, uint64_t d)
{
	size_t words = (size_t)(d / 64);
	unsigned bits = (unsigned)(d % 64);

	if (d >= VX_REPLAY_BITS) {
		memset(w->bits, 0, sizeof(w->bits));
		return;
	}
	for (size_t i = VX_REPLAY_WORDS; i-- > 0;) {
		uint64_t hi = i >= words ? w->bits[i - words] : 0;
		uint64_t lo = i >= words + 1 ? w->bits[i - words - 1] : 0;

		w->bits[i] = bits ? hi << bits | lo >> (64 - bits) : hi;
	}
}

static int shift_check(const struct shift_window *w, uint64_t c)
{
	uint64_t k;

	if (!w->any || c > w->top)
		return 0;
	k = w->top - c;
	if (k > VX_REPLAY_WINDOW)
		return -1;
	return w->bits[k / 64] >> (k % 64) & 1 ? -1 : 0;
}

static void shift_update(struct shift_window *w, uint64_t c)
{
	uint64_t k;

	if (!w->any || c > w->top) {
		if (w->any)
			shift_left(w, c - w->top);
		w->any = true;
		w->top = c;
	}
	k = w->top - c;
	w->bits[k / 64] |= 1ull << (k % 64);
}

static uint64_t shift_accepts(const uint64_t *c, uint64_t ops)
{
	struct shift_window w = { 0 };
	uint64_t ok = 0;

	for (uint64_t i = 0; i < ops; i++)
		if (shift_check(&w, c[i]) == 0) {
			shift_update(&w, c[i]);
			ok++;
		}
	return ok;
}

static void replay_shift(void *ctx, uint64_t ops)
{
	vx_bench_keep(shift_accepts(ctx, ops));
}

static uint64_t rfc6479_accepts(const uint64_t *c, uint64_t ops)
{
	struct vx_replay w;
	uint64_t ok = 0;

	vx_replay_init(&w);
	for (uint64_t i = 0; i < ops; i++)
		if (vx_replay_check(&w, c[i]) == 0)
			ok += vx_replay_update(&w, c[i]) == 0;
	return ok;
}

static void replay_rfc6479(void *ctx, uint64_t ops)
{
	vx_bench_keep(rfc6479_accepts(ctx, ops));
}

/* --- impair ------------------------------------------------------------------------------ */

struct impair_ctx {
	struct vx_impair *m;
};

static void impair_setup(void *ctx)
{
	vx_impair_reset(((struct impair_ctx *)ctx)->m);
}

static void impair_run(void *ctx, uint64_t ops)
{
	struct vx_impair *m = ((struct impair_ctx *)ctx)->m;
	uint64_t d[2], sum = 0;

	for (uint64_t i = 0; i < ops; i++)
		sum += vx_impair_decide(m, i * 20000000, 172, d);
	vx_bench_keep(sum);
}

/* --- main -------------------------------------------------------------------------------- */

struct result {
	const char *name, *baseline;
	double ns;
};

static struct result results[32];
static unsigned nresults;

static void run(struct vx_bench *b, const char *name, const char *baseline,
		void (*fn)(void *, uint64_t), void (*setup)(void *), void *ctx, uint64_t ops)
{
	double ns = vx_bench_run(b, &(struct vx_bench_case){ .name = name, .setup = setup,
							     .run = fn, .ctx = ctx, .ops = ops });

	if (ns >= 0 && nresults < 32)
		results[nresults++] = (struct result){ name, baseline, ns };
}

static void summary(FILE *out)
{
	fprintf(out, "\n%-34s %10s  %-28s %8s\n", "case", "ns/pkt", "baseline", "ratio");
	for (unsigned i = 0; i < nresults; i++) {
		const struct result *base = NULL;

		for (unsigned k = 0; k < nresults; k++)
			if (results[i].baseline && !strcmp(results[k].name, results[i].baseline))
				base = &results[k];
		fprintf(out, "%-34s %10.2f  %-28s ", results[i].name, results[i].ns,
			results[i].baseline ? results[i].baseline : "-");
		if (base && base->ns > 0)
			fprintf(out, "%8.2f\n", results[i].ns / base->ns);
		else
			fprintf(out, "%8s\n", "-");
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name, *spec;
	} models[] = {
		{ "impair/none", "none" },
		{ "impair/bernoulli-5%", "loss=5%" },
		{ "impair/gilbert-5%-burst3", "loss=5%,burst=3" },
		{ "impair/jitter-uniform", "delay=20ms,jitter=10ms:uniform" },
		{ "impair/jitter-normal", "delay=20ms,jitter=10ms:normal" },
		{ "impair/jitter-pareto", "delay=20ms,jitter=10ms:pareto:1.5" },
		{ "impair/rate-64kbit", "rate=64kbit,bucket=3000" },
		{ "impair/all", "loss=5%,burst=3,delay=20ms,jitter=10ms:normal,dup=1%,reorder=2%,"
				"rate=64kbit" },
	};
	struct vx_bench *b = vx_bench_start(argc, argv, "transport");
	uint64_t ops = vx_bench_quick(b) ? 1u << 16 : NCTR;
	bool json = false;

	for (int i = 1; i < argc; i++)
		json |= !strcmp(argv[i], "--json");
	rtp_setup_packets();
	replay_setup_counters();

	run(b, "rtp/memcpy/172B", NULL, rtp_memcpy, NULL, NULL, ops);
	run(b, "rtp/parse/172B", "rtp/memcpy/172B", rtp_parse, NULL, NULL, ops);
	run(b, "rtp/encode/172B", "rtp/memcpy/172B", rtp_encode, NULL, NULL, ops);
	run(b, "rtp/parse+encode/172B", "rtp/memcpy/172B", rtp_parse_encode, NULL, NULL, ops);
	run(b, "rtp/source-update", "rtp/memcpy/172B", rtp_source, NULL, NULL, ops);

	/* Both windows must make the same decisions, or the comparison is void. */
	for (int k = 0; k < 2; k++) {
		const uint64_t *c = k ? ctr_reordered : ctr_in_order;

		if (shift_accepts(c, ops) != rfc6479_accepts(c, ops))
			vx_bench_die("the two replay windows disagree:");
	}
	run(b, "replay/rfc4303-shift/in-order", NULL, replay_shift, NULL, ctr_in_order, ops);
	run(b, "replay/rfc6479/in-order", "replay/rfc4303-shift/in-order", replay_rfc6479, NULL,
	    ctr_in_order, ops);
	vx_bench_note(b, "accepted", (double)rfc6479_accepts(ctr_reordered, ops) / (double)ops);
	run(b, "replay/rfc4303-shift/reordered", NULL, replay_shift, NULL, ctr_reordered, ops);
	vx_bench_note(b, "accepted", (double)rfc6479_accepts(ctr_reordered, ops) / (double)ops);
	run(b, "replay/rfc6479/reordered", "replay/rfc4303-shift/reordered", replay_rfc6479,
	    NULL, ctr_reordered, ops);

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		struct vx_impair_config cfg;
		char err[VX_IMPAIR_ERR_LEN];
		struct impair_ctx c;

		if (vx_impair_parse(models[i].spec, &cfg, err, sizeof(err)) < 0 ||
		    vx_impair_create(&c.m, &cfg) < 0)
			vx_bench_die(models[i].spec);
		run(b, models[i].name, i ? "impair/none" : NULL, impair_run, impair_setup, &c, ops);
		vx_impair_destroy(c.m);
	}

	summary(json ? stderr : stdout);
	free(ctr_in_order);
	free(ctr_reordered);
	return vx_bench_finish(b);
}
