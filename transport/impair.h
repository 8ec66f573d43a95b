/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_IMPAIR_H
#define VX_TRANSPORT_IMPAIR_H

/*
 * The network we test against: a seeded, deterministic model of what a path does
 * to each packet. Given a packet's send time and size it answers when the packet
 * arrives: never (lost), once, or twice (duplicated). Pure computation: no
 * sockets, no clocks (times are whatever the caller counts in: a virtual clock or
 * CLOCK_MONOTONIC), no allocation after create.
 *
 * Per packet, in this order:
 *   1. rate limit: a token bucket of @rate_bps filled to @bucket_bytes. A packet
 *      that finds too few tokens waits in a FIFO queue until they accrue, unless
 *      its wait would exceed @queue_ns (tail drop); with @queue_ns = 0 the bucket
 *      is a policer and drops instead. Departures never exceed the bucket's
 *      envelope: bytes leaving in any interval dt <= bucket + rate x dt.
 *   2. loss: Bernoulli with probability @loss, or a Gilbert-Elliott chain (below),
 *      or the trace.
 *   3. delay: @delay_ns plus a jitter draw (uniform, normal or Pareto, limited to
 *      +-@jitter_cap_ns), never below zero in total; with probability @reorder an
 *      extra @reorder_ns, which makes the packet arrive after later ones. Jitter
 *      alone reorders too, whenever it varies by more than the send spacing.
 *   4. duplication: with probability @dup a second copy arrives, delayed by its
 *      own draw of the same delay model.
 *
 * Gilbert-Elliott: two states, good and bad, one step per packet. From good the
 * chain moves to bad with probability p, from bad back to good with probability
 * r; a packet is lost with probability @ge_loss_good or @ge_loss_bad depending on
 * the state it meets. With the classic losses 0 and 1 ("Gilbert"), the loss rate
 * is pi_bad = p / (p + r) and loss bursts last 1 / r packets on average
 * (geometric). vx_impair_ge_from_mean() picks p and r from those two figures.
 * The chain starts in its stationary distribution, so the loss rate holds from
 * the first packet.
 *
 * A trace (vx_impair_trace_parse()) replaces steps 2 and 3: packet i gets the
 * trace's line i (cyclically, when there are more packets than lines).
 *
 * Each step draws from its own random stream, derived from @seed, and draws the
 * same number of values for every packet whatever happens: so the same seed and
 * send sequence give the same decisions, and (say) changing the jitter leaves
 * the loss pattern exactly as it was.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VX_IMPAIR_ERR_LEN  256
#define VX_IMPAIR_PATH_MAX 256
#define VX_IMPAIR_MAX_TRACE 10000000 /* lines */
#define VX_IMPAIR_MAX_TIME_NS (3600ull * 1000000000u) /* any one delay: an hour */

enum vx_impair_jitter {
	VX_IMPAIR_UNIFORM, /* uniform on [-jitter, +jitter]: sd jitter / sqrt 3 */
	VX_IMPAIR_NORMAL,  /* normal with sd = jitter */
	VX_IMPAIR_PARETO,  /* Pareto(shape, scale = jitter) minus its scale: >= 0, heavy tail */
};

struct vx_impair_trace;

struct vx_impair_config {
	uint64_t seed;

	double loss;                  /* Bernoulli loss probability, 0..1 */
	bool ge;                      /* Gilbert-Elliott instead of Bernoulli */
	double ge_p;                  /* P(good -> bad) per packet */
	double ge_r;                  /* P(bad -> good) per packet */
	double ge_loss_good;          /* loss probability in the good state (often 0) */
	double ge_loss_bad;           /* loss probability in the bad state (often 1) */

	uint64_t delay_ns;            /* base one-way delay */
	uint64_t jitter_ns;           /* jitter scale, by distribution (above) */
	enum vx_impair_jitter jitter_dist;
	double pareto_shape;          /* alpha > 0; the tail falls as t^-alpha */
	uint64_t jitter_cap_ns;       /* |jitter| <= this; needed for small alpha */

	double reorder;               /* probability of an extra delay */
	uint64_t reorder_ns;          /* that extra delay */
	double dup;                   /* duplication probability */

	uint64_t rate_bps;            /* bits per second; 0: no limit */
	uint64_t bucket_bytes;        /* bucket depth (the largest burst at line rate) */
	uint64_t queue_ns;            /* longest queueing delay; 0: police (drop) */

	const struct vx_impair_trace *trace; /* replaces loss and delay; copied by create */
	char trace_path[VX_IMPAIR_PATH_MAX]; /* from the spec string: the caller loads it
					      * (vx_impair_trace_load) into @trace */
};

struct vx_impair_stats {
	uint64_t packets;      /* offered */
	uint64_t delivered;    /* copies delivered, duplicates included */
	uint64_t lost;         /* all losses, rate drops included */
	uint64_t rate_dropped; /* of which by the rate limiter */
	uint64_t duplicated;   /* packets delivered twice */
	uint64_t reordered;    /* packets that arrive before an earlier-sent one */
	uint64_t queued;       /* packets the rate limiter delayed */
};

struct vx_impair;

/**
 * vx_impair_config_default() - no impairment: every packet arrives at once.
 * @cfg: filled in: seed 1, Pareto shape 1.5, jitter cap 1 s, reorder extra 30 ms,
 *       bucket 1500 bytes, queue 100 ms (these matter only once their feature is on).
 */
void vx_impair_config_default(struct vx_impair_config *cfg);

/**
 * vx_impair_ge_from_mean() - a Gilbert chain with a given loss rate and mean
 * burst length: r = 1 / @burst, p = @loss x r / (1 - @loss), losses 0 and 1.
 * @cfg:   its ge fields are set (ge = true).
 * @loss:  stationary loss rate, 0 <= loss < 1.
 * @burst: mean burst length in packets, >= 1.
 *
 * Return: 0, or -EINVAL when no chain has these figures (p would exceed 1:
 * @burst < @loss / (1 - @loss)) or an argument is out of range.
 */
int vx_impair_ge_from_mean(struct vx_impair_config *cfg, double loss, double burst);

/**
 * vx_impair_parse() - a configuration from a compact spec string.
 * @spec:   comma-separated key=value, e.g.
 *          "loss=5%,burst=3,delay=20ms,jitter=10ms:normal,dup=1%,reorder=2%,
 *           rate=64kbit,seed=7". Keys:
 *            loss=P            Bernoulli loss; with burst=, Gilbert
 *            burst=N           mean loss burst in packets (>= 1), needs loss=
 *            ge=P:R[:G[:B]]    Gilbert-Elliott p, r, loss in good (0), bad (100%)
 *            delay=T           base delay
 *            jitter=T[:uniform|:normal|:pareto[:SHAPE]]
 *            cap=T             jitter cap
 *            reorder=P[:T]     probability, extra delay (30ms)
 *            dup=P             duplication probability
 *            rate=R            R[bit|kbit|mbit|gbit] (or bps, kbps, ...), per second
 *            bucket=N          bytes (B, kB: 1000)
 *            queue=T           longest queueing delay; 0 drops instead
 *            trace=FILE        delay/loss trace (rest of the string up to a comma)
 *            seed=N            decimal or 0x hex
 *          P is N% or a fraction with a point ("0.05"; "0" and "1.0" too): a bare
 *          "5" is refused as ambiguous. T is a number with ns, us, ms or s
 *          (bare: ms). "" and "none" mean no impairment.
 * @cfg:    set to the defaults, then to the spec.
 * @err:    on failure, "impair: " and what is wrong with which key.
 * @errlen: its size; VX_IMPAIR_ERR_LEN is enough.
 *
 * Return: 0, or -EINVAL.
 */
int vx_impair_parse(const char *spec, struct vx_impair_config *cfg, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/**
 * vx_impair_trace_parse() - a per-packet trace from text.
 * @out:    set to the trace on success.
 * @text:   the trace: one line per packet, holding a delay in milliseconds
 *          (decimal, >= 0, e.g. "12.5"), or "lost" or "-1" for a loss. Blank lines
 *          and "#" comments (whole-line or trailing) are skipped; a first line
 *          "delay_ms" is a CSV header and skipped too. CRLF is fine.
 * @len:    its length in bytes (no NUL needed).
 * @name:   for messages ("trace.csv"); may be NULL.
 * @err:    on failure, "name:line: what is wrong".
 * @errlen: its size.
 *
 * Context: not real-time: allocates.
 * Return: 0, -EINVAL for a malformed line or an empty trace, -E2BIG beyond
 * VX_IMPAIR_MAX_TRACE lines, -ENOMEM.
 */
int vx_impair_trace_parse(struct vx_impair_trace **out, const char *text, size_t len,
			  const char *name, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/**
 * vx_impair_trace_load() - vx_impair_trace_parse() of a file.
 * Return: as vx_impair_trace_parse(), or the -errno of reading @path.
 */
int vx_impair_trace_load(struct vx_impair_trace **out, const char *path, char *err,
			 size_t errlen) __attribute__((warn_unused_result));

/** vx_impair_trace_len() - packets (lines) in the trace. */
size_t vx_impair_trace_len(const struct vx_impair_trace *t);

/** vx_impair_trace_destroy() - free a trace; NULL is accepted. */
void vx_impair_trace_destroy(struct vx_impair_trace *t);

/**
 * vx_impair_create() - a model in its initial state.
 * @out: set to the model on success.
 * @cfg: configuration; copied (a trace too).
 *
 * Context: not real-time: allocates.
 * Return: 0, -EINVAL for a probability outside 0..1, a delay beyond
 * VX_IMPAIR_MAX_TIME_NS, a Pareto shape <= 0, a rate without a bucket, a trace
 * together with loss or delay settings, or a @trace_path without a loaded
 * @trace; -ENOMEM.
 */
int vx_impair_create(struct vx_impair **out, const struct vx_impair_config *cfg)
	__attribute__((warn_unused_result));

/**
 * vx_impair_create_seeded() - a model from a parsed spec (vx_impair_parse()),
 * with its own seed and the trace its trace_path names, if any, loaded.
 * @out:    set to the model on success.
 * @base:   the configuration; not changed.
 * @seed:   replaces base->seed (two directions of one path differ by it).
 * @err:    on failure, what failed: the trace's "name:line: ..." or the model.
 * @errlen: its size; VX_IMPAIR_ERR_LEN is enough.
 *
 * Context: not real-time: allocates, reads the file.
 * Return: 0, or vx_impair_trace_load()'s or vx_impair_create()'s error.
 */
int vx_impair_create_seeded(struct vx_impair **out, const struct vx_impair_config *base,
			    uint64_t seed, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/** vx_impair_destroy() - free a model; NULL is accepted. */
void vx_impair_destroy(struct vx_impair *m);

/**
 * vx_impair_reset() - back to the initial state: the same decisions again.
 * Context: real-time safe.
 */
void vx_impair_reset(struct vx_impair *m);

/**
 * vx_impair_decide() - what happens to one packet.
 * @m:       model.
 * @send_ns: its send time; non-decreasing from call to call.
 * @bytes:   its size (for the rate limit).
 * @deliver: set to the delivery times, in the same clock: the original first,
 *           then the duplicate. Saturates at UINT64_MAX.
 *
 * Context: real-time safe.
 * Return: the number of copies delivered: 0 (lost), 1 or 2.
 */
unsigned vx_impair_decide(struct vx_impair *m, uint64_t send_ns, size_t bytes,
			  uint64_t deliver[2]);

/** vx_impair_stats() - counts since create or reset. Context: real-time safe. */
void vx_impair_stats(const struct vx_impair *m, struct vx_impair_stats *st);

#endif
