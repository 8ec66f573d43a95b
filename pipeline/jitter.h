/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_JITTER_H
#define VX_PIPELINE_JITTER_H

/*
 * The receiver's adaptive jitter buffer: packets in (any order, any time),
 * one frame of 48 kHz S16 PCM out per playout tick, with loss concealment.
 *
 * Clock. There is no hidden clock: every call takes the caller's time in
 * nanoseconds (@now_ns, any epoch, never going back). The simulated pipeline
 * passes a virtual clock, the real-time one CLOCK_MONOTONIC; the code is the same.
 *
 * Delay variation. For a packet with RTP timestamp ts (48 kHz units, unwrapped)
 * arriving at a, the transit is t = a - ts / 48 kHz (the sender's clock offset
 * is unknown but constant, so only differences of t matter). The buffer keeps t
 * of every packet it receives (late ones included, duplicates not) in a windowed
 * KLL sketch (algorithms/kll.h) and defines the delay variation of a packet as
 * v = t - min(t over the window): how much later than the fastest recent packet
 * it came. The fastest recent packet thus has v = 0, and a slow route change
 * or clock drift leaves the window within W T seconds.
 *
 * Target delay. D = min(max(quantile_q(v), quantile_q(v_fast), min_delay) +
 * lookahead x frame, max_delay) with q = 0.95 by default; the lookahead (0 unless
 * vx_jitter_set_lookahead() says otherwise) waits for the later packets that
 * carry a lost frame's FEC or redundant copy. Frame with timestamp ts is due at
 * ts / 48 kHz + min(t) + D: a packet with v <= D is in time.
 * - Release: the main window is W = 4 sub-windows rotated every T = 2.5 s of the
 *   caller's clock (inside insert/pop), so a jitter burst is forgotten within
 *   W T = 10 s.
 * - Attack: in a 10 s window the p95 starts to move after 5 % of new values
 *   (0.5 s, kll.h's arithmetic), but it reaches 90 % of the new p95 only when
 *   5 % of the window lies above that level: for a step to uniform 0..60 ms,
 *   where 15 % of the new values exceed 0.9 x 57 ms, that is 0.05 x 500 / 0.15
 *   = 167 packets, 3.3 s (measured: 2.6 s). So a second, fast window (W
 *   sub-windows of 250 ms: 0.75..1 s of history) supplies its own q-quantile,
 *   and D takes the larger: 90 % after about 0.35 s of new values. It costs
 *   some noise upwards: its p95 rests on ~50 packets.
 * With k = 512 and 20 ms frames each window holds <= 500 values, so both
 * quantiles are exact (the minimum min(t) is the main window's).
 *
 * Playout. Each pop() plays the frame at the cursor and advances it: decode
 * its packet, or a redundant copy of it (vx_jitter_insert_redundant());
 * or, both missing, Opus FEC from the next packet (vx_codec_decode_fec());
 * or PLC (vx_codec_conceal()); after more than cng_after consecutive concealed
 * frames, comfort noise (white noise from a seeded PRNG at cng_rms, not silence).
 * The actual delay (now - due time of the cursor frame at D = 0) is kept in
 * [D, D + one frame): to grow it pop() repeats a frame without advancing, to
 * shrink it pop() decodes the cursor frame, throws it away and plays the next.
 * Both happen only when the frame concerned is silent by a simple energy VAD
 * (RMS below vad_rms), so no speech is ever dropped or repeated; in a long
 * talkspurt the delay waits for the next pause. Time-stretching (libsonic) is
 * not used: sonicWriteShortToStream() grows its buffers with realloc while
 * streaming, which the real-time path must not do.
 *
 * Limits: one packet carries one frame of the codec's frame size, and the RTP
 * timestamp advances by that many samples per sequence number (no DTX gaps:
 * the due time of a missing frame is extrapolated from the sequence number).
 *
 * Memory: vx_jitter_create() allocates the slot array (one slot per sequence
 * number, 2 x max_delay / frame + 8 slots of max_packet bytes), the KLL window
 * and the Misra-Gries summary; insert, pop and report never allocate, lock or
 * make a syscall. Insert and pop are not thread-safe against each other: the
 * receive and playout stages share a buffer through their own SPSC ring, or
 * one thread does both, as the simulated pipeline does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio/codec.h"

/* Defaults of vx_jitter_config_default(). */
#define VX_JITTER_QUANTILE        0.95
#define VX_JITTER_MAX_DELAY_NS    200000000ull  /* 200 ms */
#define VX_JITTER_WINDOW_NS       2500000000ull /* T: sub-window, 2.5 s */
#define VX_JITTER_FAST_WINDOW_NS  250000000ull  /* fast window's sub-window: 0.75..1 s span */
#define VX_JITTER_WINDOWS         4             /* W */
#define VX_JITTER_KLL_K           512
#define VX_JITTER_CNG_AFTER       5    /* concealed frames before comfort noise */
#define VX_JITTER_VAD_RMS         100  /* S16 units: about -50 dBFS */
#define VX_JITTER_CNG_RMS         30   /* S16 units: about -61 dBFS */
#define VX_JITTER_MG_K            16   /* counters for burst lengths */
#define VX_JITTER_REPORT_BURSTS   8    /* burst lengths in one report */

struct vx_jitter_config {
	struct vx_codec *codec;  /* decoder used by pop(); the caller owns it */
	double quantile;         /* q of the target delay, (0, 1] */
	uint64_t min_delay_ns;   /* 0: one frame */
	uint64_t max_delay_ns;   /* > min_delay */
	uint64_t window_ns;      /* T, sub-window of the delay-variation sketch */
	uint64_t fast_window_ns; /* the attack window's sub-window, 0: no attack window */
	unsigned windows;        /* W, 1..VX_KLL_WINDOW_MAX (both windows) */
	unsigned kll_k;          /* each sub-window's KLL accuracy */
	unsigned cng_after;      /* concealed frames before comfort noise */
	unsigned vad_rms;        /* a frame with RMS below this is silent */
	unsigned cng_rms;        /* comfort noise level, < vad_rms */
	size_t max_packet;       /* 0: the most the codec can make for one frame */
	uint64_t seed;           /* comfort noise and sketch PRNGs */
};

/* What one pop() produced. */
enum vx_jitter_kind {
	VX_JITTER_IDLE,     /* before the first frame is due: silence */
	VX_JITTER_PLAYED,   /* decoded from its own packet */
	VX_JITTER_FEC,      /* rebuilt from the next packet's FEC */
	VX_JITTER_PLC,      /* concealed by the codec */
	VX_JITTER_CNG,      /* comfort noise in a long gap */
	VX_JITTER_INSERTED, /* the previous (silent) frame again: the delay grows */
};

struct vx_jitter_pop_info {
	enum vx_jitter_kind kind;
	uint32_t seq;         /* extended sequence number of the frame played (the
			       * next one to play for IDLE and INSERTED) */
	bool dropped;         /* a silent frame (seq - 1) was skipped: the delay shrank */
	bool silent;          /* the output's RMS is below vad_rms */
	int64_t delay_ns;     /* now - due time at D = 0 (of seq): the actual delay */
	uint64_t target_ns;   /* D at this tick */
};

/* Counters since create (frames and packets). */
struct vx_jitter_stats {
	uint64_t received;      /* packets inserted and kept */
	uint64_t played;        /* frames decoded from their own packet */
	uint64_t fec_recovered; /* missing frames rebuilt by FEC or redundancy */
	uint64_t red_recovered; /* of those, decoded from a redundant copy */
	uint64_t concealed;     /* missing frames filled by PLC or comfort noise */
	uint64_t cng;           /* of those, comfort noise */
	uint64_t lost;          /* frames missing at their playout: fec_recovered + concealed */
	uint64_t late;          /* packets arriving after their frame was played: dropped */
	uint64_t duplicate;     /* packets already held or played: dropped */
	uint64_t overflow;      /* packets too far ahead for the slot array: dropped */
	uint64_t inserted;      /* frames repeated to grow the delay */
	uint64_t dropped;       /* silent frames skipped to shrink the delay */
};

/* For the receiver report (encoding comes later). */
struct vx_jitter_report {
	double fraction_lost;     /* frames missing at playout / frames due, since the last report */
	uint64_t cumulative_lost; /* frames missing at playout since create */
	uint64_t target_ns;       /* current D */
	double jitter_p95_ns;     /* q-quantile of the delay variation, before clamping */
	size_t bursts;            /* entries in @burst (Misra-Gries, most frequent first) */
	struct {
		uint64_t length;  /* consecutive frames missing */
		uint64_t count;   /* runs of that length, certainly seen (lower bound) */
	} burst[VX_JITTER_REPORT_BURSTS];
	uint64_t burst_max_error; /* any count may be short by this much */
};

struct vx_jitter;

/**
 * vx_jitter_config_default() - the defaults above for a decoder.
 * @cfg:   filled in.
 * @codec: the decoder pop() will use.
 */
void vx_jitter_config_default(struct vx_jitter_config *cfg, struct vx_codec *codec);

/**
 * vx_jitter_create() - allocate a jitter buffer.
 * @out: the new buffer.
 * @cfg: configuration; copied.
 *
 * Context: allocates; not real-time safe.
 * Return: 0, -EINVAL for a bad configuration, or -ENOMEM.
 */
int vx_jitter_create(struct vx_jitter **out, const struct vx_jitter_config *cfg)
	__attribute__((warn_unused_result));

/** vx_jitter_destroy() - free a buffer; NULL is accepted. */
void vx_jitter_destroy(struct vx_jitter *jb);

/**
 * vx_jitter_insert() - one received packet.
 * @jb:      buffer.
 * @seq:     sequence number extended to 32 bits (a bare 16-bit RTP one would
 *           jump back at its wrap); unwrapped here against the highest seen.
 * @ts:      RTP timestamp, 48 kHz units.
 * @payload: codec packet (untrusted; copied).
 * @len:     its bytes, 1..max_packet.
 * @now_ns:  arrival time on the caller's clock.
 *
 * Records the transit time, then keeps the packet unless it is late, a
 * duplicate or too far ahead (each counted).
 *
 * Context: real-time safe.
 * Return: 0 if kept; -EALREADY (duplicate), -ETIME (late), -ENOBUFS (too far
 * ahead) when dropped; -EMSGSIZE if @len is 0 or above max_packet.
 */
int vx_jitter_insert(struct vx_jitter *jb, uint32_t seq, uint32_t ts, const uint8_t *payload,
		     size_t len, uint64_t now_ns);

/**
 * vx_jitter_insert_redundant() - a redundant copy of an earlier frame's packet
 * (an RFC 2198 block that arrived inside a later packet).
 * @jb:      buffer.
 * @seq:     the frame's sequence number (the carrying packet's minus the
 *           block's distance).
 * @payload: codec packet (untrusted; copied).
 * @len:     its bytes, 1..max_packet.
 *
 * Kept only where the frame's own packet is not held and not yet played: it then
 * plays as a lost frame recovered (VX_JITTER_FEC; counted in lost,
 * fec_recovered and red_recovered) unless its own packet still arrives in time.
 * The copy says nothing of the network's delay (it came late by design), so it
 * is not a transit sample, and an unused copy is not counted anywhere.
 *
 * Context: real-time safe.
 * Return: 0 if kept; -ETIME (before the cursor, or no packet yet), -EALREADY
 * (held or played), -ENOBUFS (too far ahead), -EMSGSIZE.
 */
int vx_jitter_insert_redundant(struct vx_jitter *jb, uint32_t seq, const uint8_t *payload,
			       size_t len);

/**
 * vx_jitter_pop() - the frame to play now.
 * @jb:     buffer.
 * @now_ns: the tick, once per frame period on the caller's clock.
 * @pcm:    output: frame samples x channels interleaved S16.
 * @info:   if not NULL, what was played.
 *
 * Context: real-time safe (Opus needs its usual ~80 KB of stack).
 * Return: the kind of frame (enum vx_jitter_kind), or -EIO if the decoder
 * failed on every path (the frame is then silence).
 */
int vx_jitter_pop(struct vx_jitter *jb, uint64_t now_ns, int16_t *pcm,
		  struct vx_jitter_pop_info *info);

/**
 * vx_jitter_set_lookahead() - frames to wait beyond the delay variation.
 * @jb:     buffer.
 * @frames: how many frames after a frame the packets that can rebuild it come
 *          (1 for Opus FEC, the depth for RFC 2198 redundancy), 0 for none.
 *
 * The delay moves to the new target as any target change does.
 * Context: real-time safe; the thread that inserts and pops.
 */
void vx_jitter_set_lookahead(struct vx_jitter *jb, unsigned frames);

/**
 * vx_jitter_target_ns() - the current target delay D.
 * @jb: buffer.
 *
 * Context: real-time safe (may merge the window's sketches: tens of us).
 */
uint64_t vx_jitter_target_ns(struct vx_jitter *jb);

/**
 * vx_jitter_frame_samples() - samples per channel in a popped frame.
 * Context: real-time safe.
 */
size_t vx_jitter_frame_samples(const struct vx_jitter *jb);

/**
 * vx_jitter_stats() - copy the counters.
 * @jb: buffer.
 * @st: filled in.
 *
 * Context: real-time safe; the playout thread's (or under its exclusion).
 */
void vx_jitter_stats(const struct vx_jitter *jb, struct vx_jitter_stats *st);

/**
 * vx_jitter_report() - loss and burst figures for a receiver report; starts a
 * new interval for fraction_lost.
 * @jb: buffer.
 * @r:  filled in.
 *
 * Burst lengths are the runs of consecutive frames missing at playout (late
 * packets count as missing), counted in a Misra-Gries summary of
 * VX_JITTER_MG_K counters since create: a length seen more than N / (k + 1)
 * times out of N runs is certainly listed. A run still open is not counted yet.
 *
 * Context: real-time safe; the playout thread's (or under its exclusion).
 */
void vx_jitter_report(struct vx_jitter *jb, struct vx_jitter_report *r);

#endif
