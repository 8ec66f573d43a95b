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
 * carry a lost frame's FEC or redundant copy. Start-up: until the buffer has
 * kept VX_JITTER_START_PACKETS packets (a second at 20 ms) the windows' quantile
 * rests on too few values, and D is at least start_delay (60 ms), so that the
 * first packets of a jittery path are not late while it learns. Frame with timestamp ts is due at
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
 * Playout. Each pop() plays one frame. Frames are decoded in sequence at the
 * cursor: decode its packet, or a redundant copy of it
 * (vx_jitter_insert_redundant()); or, both missing, Opus FEC from the next
 * packet (vx_codec_decode_fec()); or PLC (vx_codec_conceal()); after more than
 * cng_after consecutive concealed frames, comfort noise (white noise from a
 * seeded PRNG at cng_rms, not silence). Decoded audio goes through an output
 * FIFO, directly or through a time-stretcher, and pop() plays the FIFO's first
 * frame: a tick decodes one frame, or, while stretching, none or several. Each
 * sequence number is decoded once, in order (or dropped in silence, below).
 *
 * Delays. The decode delay d (now - due time of the cursor frame at D = 0) is
 * what protects against jitter: a packet with v <= d is in time. The actual
 * delay adds the audio decoded but not played yet, which plays ahead of the
 * cursor frame (FIFO and time-stretcher): it is d + held audio, and without
 * stretching just d, since then the frame decoded is the frame played. Ticks
 * come a frame apart, so d moves in whole frames; the buffer keeps it in the
 * band [D, D + one frame) (in speech, within the margins below), and the held
 * audio under a frame.
 * - In silence (a frame's RMS below vad_rms, a simple energy VAD), exactly and
 *   for free, by whole frames: to grow, pop() plays the previous (silent)
 *   frame again without advancing; to shrink, it decodes the cursor frame,
 *   throws it away and plays the next one; and audio that stretching left in
 *   the FIFO, if silent, is dropped, so that output and frames align again.
 * - In speech, by time-stretching with libsonic (Debian's libsonic 0.2.0: PICOLA,
 *   whole pitch periods inserted or deleted with an overlap-add; pitch, rate
 *   and volume stay 1). While the delay would settle more than an eighth of a
 *   frame below the band, speech plays slower (VX_JITTER_STRETCH_SLOW) until a
 *   quarter frame into it; from two frames and 60 ms above the band
 *   (VX_JITTER_SHRINK_STRETCH_NS; less waits for a pause), faster
 *   (VX_JITTER_STRETCH_FAST) until half a frame into it (pipeline/jitter.c,
 *   steer(), explains the margins: noise in D, and the estimate of what
 *   libsonic holds). Every frame is still decoded once, only its duration
 *   changes; silent frames are not stretched (silence does it better).
 *   libsonic needs 2 x its longest pitch period of input (2 x 48000 / 65 = 1476
 *   samples, 31 ms) beyond what it outputs, so while it runs, frames are
 *   decoded that much earlier, and the decode delay (the protection) is that
 *   much short of the actual delay. Stretching never decodes ahead a frame
 *   whose packet has not arrived while its decode delay is short of D: it
 *   stops instead. Stopping runs libsonic at speed 1, which hands out all it
 *   holds unchanged; the FIFO then keeps less than a frame ahead of the frame
 *   grid (vx_jitter_pop_info.held) until the next silence drops it.
 *
 * Limits: one packet carries one frame of the codec's frame size, and the RTP
 * timestamp advances by that many samples per sequence number (no DTX gaps:
 * the due time of a missing frame is extrapolated from the sequence number).
 *
 * Memory: vx_jitter_create() allocates the slot array (one slot per sequence
 * number, 2 x max_delay / frame + 8 slots of max_packet bytes), the KLL window,
 * the Misra-Gries summary, the output FIFO (3 frames + 2 x 1476 samples per
 * channel) and the libsonic stream. libsonic grows its input and output buffers
 * with realloc() when a write would overflow them. Used as here, a write of n
 * samples leaves it holding fewer than 1476 + n of input and adds at most twice
 * that to its output, which pop() empties after every write of at most a frame.
 * So create() grows both buffers once, past 2 x (1476 + frame) samples, by
 * writing that much silence at speed 1 and reading it back, which leaves the
 * stream as new but for its buffers (pipeline/jitter.c, make_sonic()). Then
 * insert, pop and report never allocate, lock or make a syscall;
 * tests/test_jitter.c links libsonic statically to count its calls too.
 * Insert and pop are not thread-safe against each other: the receive and
 * playout stages share a buffer through their own SPSC ring, or one thread does
 * both, as the simulated pipeline does.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio/codec.h"

/* Defaults of vx_jitter_config_default(). */
#define VX_JITTER_QUANTILE        0.95
#define VX_JITTER_MAX_DELAY_NS    200000000ull  /* 200 ms */
#define VX_JITTER_START_DELAY_NS  60000000ull   /* until START_PACKETS have come */
#define VX_JITTER_START_PACKETS   50
#define VX_JITTER_WINDOW_NS       2500000000ull /* T: sub-window, 2.5 s */
#define VX_JITTER_FAST_WINDOW_NS  250000000ull  /* fast window's sub-window: 0.75..1 s span */
#define VX_JITTER_WINDOWS         4             /* W */
#define VX_JITTER_KLL_K           512
#define VX_JITTER_CNG_AFTER       5    /* concealed frames before comfort noise */
#define VX_JITTER_VAD_RMS         100  /* S16 units: about -50 dBFS */
#define VX_JITTER_CNG_RMS         30   /* S16 units: about -61 dBFS */
#define VX_JITTER_MG_K            16   /* counters for burst lengths */
#define VX_JITTER_REPORT_BURSTS   8    /* burst lengths in one report */

/*
 * Time-stretching speeds (libsonic's: output duration = input / speed). Speech
 * rate varies by tens of percent between phrases and talkers, and time-scale
 * changes of 10-25 % generally go unnoticed. Growing takes the fast end (25 %
 * longer): until the delay has grown, packets come late and are concealed,
 * which is heard. Shrinking only saves latency and takes the gentle end (10 %
 * shorter). So 40 ms of delay take 160 ms of speech to grow, 440 ms to shrink.
 */
#define VX_JITTER_STRETCH_SLOW    0.8f /* growing the delay */
#define VX_JITTER_STRETCH_FAST    1.1f /* shrinking it */
#define VX_JITTER_SHRINK_STRETCH_NS 60000000ull /* less excess waits for a pause */

struct vx_jitter_config {
	struct vx_codec *codec;  /* decoder used by pop(); the caller owns it */
	double quantile;         /* q of the target delay, (0, 1] */
	uint64_t min_delay_ns;   /* 0: one frame */
	uint64_t max_delay_ns;   /* > min_delay */
	uint64_t start_delay_ns; /* least D for the first VX_JITTER_START_PACKETS packets */
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
	VX_JITTER_HELD,     /* no frame decoded: audio held from earlier ones plays
			     * (stretching made it longer: the delay grows) */
};

struct vx_jitter_pop_info {
	enum vx_jitter_kind kind; /* of the last frame decoded, when several were */
	uint32_t seq;         /* extended sequence number of the last frame decoded
			       * (the next one to play for IDLE, INSERTED and HELD) */
	unsigned advanced;    /* frames decoded (or dropped) by this tick: 0 for IDLE,
			       * INSERTED and HELD, 1, or more (a silent frame
			       * dropped, or the time-stretcher taking input) */
	bool dropped;         /* the first frame decoded (seq + 1 - advanced) was
			       * silent and skipped: the delay shrank */
	bool stretched;       /* the time-stretcher ran (speed != 1) in this tick,
			       * or holds audio after it */
	bool silent;          /* the output's RMS is below vad_rms */
	uint32_t held;        /* samples per channel decoded in earlier ticks that
			       * play ahead of the frames decoded now (FIFO and
			       * time-stretcher): 0 when the output starts with the
			       * first frame decoded now */
	int64_t delay_ns;     /* the actual delay (see "Delays"): when the next
			       * frame decoded will play, after the audio held now,
			       * less its due time at D = 0 */
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
	uint64_t stretched;     /* frames through the time-stretcher at speed != 1 */
	uint64_t stretch_added;   /* samples per channel it added (slowing down) */
	uint64_t stretch_removed; /* samples per channel it removed (speeding up) */
	uint64_t trimmed;       /* silent samples per channel dropped to align the
				 * output with the frames again after stretching */
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
 * Decodes as many frames as the output FIFO needs for one frame: one, or,
 * while time-stretching, none or several (at most 4 + 1476 / frame, rounded
 * up: 6 at 20 ms).
 *
 * Context: real-time safe (Opus needs its usual ~80 KB of stack).
 * Return: the kind of frame (enum vx_jitter_kind), or -EIO if the decoder
 * failed on every path for a frame of this tick (that frame is then silence).
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
