/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_ADAPT_H
#define VX_PIPELINE_ADAPT_H

/*
 * The sender's adaptation controller: receiver reports in, codec knobs out.
 *
 * Loss estimate. Each report's fraction lost (since the previous report, about
 * 25 frames at 20 ms) is smoothed: e += (f - e) / 5, a moving average of some
 * five reports (2.5 s). The first report of a 10 % loss gives e = 2 %, which
 * turns protection on at once; e reaches 90 % of a steady loss in 10 reports,
 * and after a 10 % loss stops it falls below the FEC-off level in 14 reports
 * (7 s), so a burst every few seconds does not find the sender unprotected. A
 * faster attack (1/2 when f > e) was tried: 25 frames make a noisy fraction
 * (10 % +- 6 %), and the swings of expected loss spend Opus's bits on FEC
 * that the loss did not need: STOI 0.951 against 0.958 at 10 % random loss
 * (bench/peers/voice.sh's clip, simulated).
 *
 * Knobs, from the estimate e and the report's loss-burst histogram:
 * - Opus expected loss = 100 e rounded, at most VX_ADAPT_MAX_LOSS_PERC, and at
 *   least 1 while FEC is on (libopus emits no LBRR at 0 %);
 * - in-band FEC on from e >= 1 % until e < 0.5 % (hysteresis), and never when the
 *   configuration says no FEC;
 * - bitrate: the configured one, raised while FEC is on to the rate at which
 *   libopus 1.3.1 actually emits its LBRR copy for this frame size and loss
 *   (audio/codec.h, vx_codec_decode_fec(): ~32 kb/s at <= 5 % for 20 ms frames,
 *   ~24 kb/s at 10 %, 20 kb/s beyond; 8 kb/s more at 10 ms), at most max_bitrate;
 * - redundancy depth (RFC 2198, transport/red.h) while FEC is on: 1 — the
 *   previous packet rides along when this packet carries no LBRR copy of it (a
 *   silent frame, which is small, or a frame size without LBRR) — or 2 when a
 *   third or more of the loss runs in the report's histogram (Misra-Gries,
 *   since the call began; at least 4 runs) are two frames or longer: then the
 *   packet before the previous one rides along too, whole.
 *
 * A stream starts from VX_ADAPT_START_LOSS (2 %: FEC and redundancy on) rather
 * than from 0: the first report comes after 500 ms, and the buffer needs a frame
 * of lookahead in place before FEC pays, so a path lossy from the start would
 * lose its first second unprotected (at 10 % random loss on bench/peers/voice.sh's
 * clip: 67 of 78 lost frames rebuilt starting from 0, 72 from 2 %; STOI 0.958
 * and 0.961). On a clean path the estimate falls below the FEC-off level after
 * 4 reports (2 s), at the price of 32 kb/s and a frame of delay meanwhile.
 *
 * No allocation, no lock, no system call: it runs in whichever thread takes the
 * reports (the sender's, in vox replay).
 */
#include <stdbool.h>
#include <stdint.h>

#include "transport/feedback.h"

#define VX_ADAPT_BITRATE       24000 /* bits/s without loss */
#define VX_ADAPT_MAX_BITRATE   64000
#define VX_ADAPT_MAX_LOSS_PERC 50
#define VX_ADAPT_MAX_DEPTH     2
#define VX_ADAPT_START_LOSS    0.02  /* a new stream's estimate: protected until told */

struct vx_adapt_config {
	unsigned frame_us;  /* the codec's frame */
	int bitrate;        /* bits/s without loss; 0: VX_ADAPT_BITRATE */
	int max_bitrate;    /* 0: VX_ADAPT_MAX_BITRATE (at least bitrate) */
	bool fec;           /* false: never FEC or redundancy */
};

struct vx_adapt_knobs {
	int bitrate;         /* bits/s */
	int loss_perc;       /* Opus expected loss, 0..VX_ADAPT_MAX_LOSS_PERC */
	bool fec;            /* Opus in-band FEC */
	unsigned red_depth;  /* 0..VX_ADAPT_MAX_DEPTH earlier packets per packet */
};

/* In caller memory; the fields are the controller's. */
struct vx_adapt {
	struct vx_adapt_config cfg;
	double loss;                /* the smoothed estimate, 0..1 */
	unsigned depth;             /* from the last burst histogram */
	struct vx_adapt_knobs knobs;
	uint64_t reports;
};

/**
 * vx_adapt_init() - a controller that assumes @loss until told otherwise.
 * @a:    state.
 * @cfg:  configuration; copied.
 * @loss: initial loss estimate, 0..1 (0 for a sender that knows nothing yet;
 *        a fixed, non-adaptive sender passes its expected loss and never
 *        calls vx_adapt_update()).
 */
void vx_adapt_init(struct vx_adapt *a, const struct vx_adapt_config *cfg, double loss);

/**
 * vx_adapt_update() - take one receiver report.
 * @a:  state.
 * @rr: the report.
 *
 * Return: the knobs to use from now on (valid until the next call).
 */
const struct vx_adapt_knobs *vx_adapt_update(struct vx_adapt *a, const struct vx_feedback_rr *rr);

/** vx_adapt_fec_bitrate() - the bitrate libopus needs for LBRR (0: none possible). */
int vx_adapt_fec_bitrate(unsigned frame_us, int loss_perc);

#endif
