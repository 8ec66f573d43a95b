/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_FEEDBACK_H
#define VX_TRANSPORT_FEEDBACK_H

/*
 * Feedback reports: the inner packets of kind VX_SESSION_FEEDBACK (2). A
 * stream's receiver sends its sender a receiver report every ~500 ms. It plays
 * RTCP's RR part (RFC 3550 section 6.4) with vox's own fields: a finer loss
 * fraction, the jitter buffer's target delay and a Misra-Gries summary of
 * loss-burst lengths (algorithms/mg.h) for the sender's adaptation controller.
 * The round trip comes from an echo, as RTCP's LSR/DLSR but without a sender
 * report: the RR echoes the RTP timestamp of the newest packet received and how
 * long ago it came; the sender, which knows when it sent that packet, measures
 *   rtt = now - sent(echo_ts) - echo_delay_us x 1000
 * on its own clock alone, so the peers' clocks need not agree.
 *
 * Wire format, little-endian like the rest of the session (docs/PROTOCOL.md,
 * "Feedback reports"), VX_FEEDBACK_BYTES(n) = 37 + 6n bytes for n loss-burst
 * entries:
 *
 *   offset bytes field
 *        0     1 version = 1
 *        1     1 type = 2 (receiver report; the only type so far)
 *        2     4 ssrc
 *        6     4 highest_seq
 *       10     2 fraction_lost
 *       12     4 cumulative_lost
 *       16     4 jitter
 *       20     4 target_delay_us
 *       24     4 echo_ts
 *       28     4 echo_delay_us
 *       32     4 burst_max_error
 *       36     1 bursts = n, 0..VX_FEEDBACK_MAX_BURSTS
 *   37 + 6i    2 burst[i].length, >= 1
 *   39 + 6i    4 burst[i].count,  >= 1, never above burst[i - 1].count
 *
 * The layout has no reserved bits and no padding, so a report that parses is
 * exactly the encoding of what it parsed to: encode(parse(x)) == x.
 *
 * Every function here is real-time safe: no allocation, no system call.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_FEEDBACK_VERSION      1
#define VX_FEEDBACK_TYPE_RR      2
#define VX_FEEDBACK_MAX_BURSTS   8
#define VX_FEEDBACK_BYTES(n)     (37 + 6 * (n)) /* with n burst entries */
#define VX_FEEDBACK_MAX_BYTES    VX_FEEDBACK_BYTES(VX_FEEDBACK_MAX_BURSTS) /* 85 */

/* Receiver -> sender, every ~500 ms. */
struct vx_feedback_rr {
	uint32_t ssrc;               /* the media source reported on */
	uint32_t highest_seq;        /* extended highest sequence number received */
	uint16_t fraction_lost;      /* since the last report, in 1/65536 units (65535 = all) */
	uint32_t cumulative_lost;    /* frames missing at playout since start */
	uint32_t jitter;             /* RFC 3550 A.8 interarrival jitter, timestamp units (48 kHz) */
	uint32_t target_delay_us;    /* the jitter buffer's current target delay */
	uint32_t echo_ts;            /* RTP timestamp of the newest packet received */
	uint32_t echo_delay_us;      /* time between its arrival and this report */
	uint8_t bursts;              /* entries in burst[], 0..VX_FEEDBACK_MAX_BURSTS */
	struct {
		uint16_t length;     /* frames lost in a row, >= 1 */
		uint32_t count;      /* bursts of that length (a Misra-Gries lower bound), >= 1 */
	} burst[VX_FEEDBACK_MAX_BURSTS]; /* most frequent first; lengths distinct */
	uint32_t burst_max_error;    /* Misra-Gries: any count may be short by this much */
};

/**
 * vx_feedback_encode() - write one report.
 * @rr:  the report; only burst[0 .. bursts - 1] is read.
 * @out: output buffer; VX_FEEDBACK_MAX_BYTES is always enough.
 * @cap: its size in bytes.
 *
 * The burst entries must be what vx_feedback_parse() accepts: each length
 * and count at least 1, no length twice, counts not increasing (most frequent
 * first; vx_feedback_sort_bursts() puts them in that order).
 *
 * Context: real-time safe.
 * Return: the report's length in bytes; -EINVAL for bursts > VX_FEEDBACK_MAX_BURSTS
 * or a burst entry as above; -ENOBUFS if @cap is too small.
 */
ssize_t vx_feedback_encode(const struct vx_feedback_rr *rr, uint8_t *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_feedback_parse() - read one report strictly.
 * @rr:  filled in; unused burst entries are zeroed.
 * @buf: the inner packet's data (untrusted, even though it authenticated: a
 *       buggy or older peer must not crash us).
 * @len: its bytes.
 *
 * Rejected: a version other than 1, a type other than 2, a length other than the
 * one the burst count gives (no truncation, nothing trailing), bursts > VX_FEEDBACK_MAX_BURSTS, and
 * burst entries that encode would refuse (length or count 0, a length twice, a
 * count above the one before it).
 *
 * Context: real-time safe.
 * Return: 0, or -EBADMSG (@rr then undefined).
 */
int vx_feedback_parse(struct vx_feedback_rr *rr, const uint8_t *buf, size_t len)
	__attribute__((warn_unused_result));

/**
 * vx_feedback_sort_bursts() - order a report's burst entries most frequent first,
 * shorter bursts first among equal counts.
 * @rr: the report; burst[0 .. bursts - 1] are sorted in place (bursts is
 *      clamped to VX_FEEDBACK_MAX_BURSTS first).
 *
 * Context: real-time safe (an insertion sort of at most 8 entries).
 */
void vx_feedback_sort_bursts(struct vx_feedback_rr *rr);

/**
 * vx_feedback_fraction() - fraction_lost as a number.
 * @fraction_lost: in 1/65536 units; 65535 means everything was lost.
 *
 * Context: real-time safe.
 * Return: @fraction_lost / 65536 in [0, 65534/65536], or exactly 1 for 65535.
 */
double vx_feedback_fraction(uint16_t fraction_lost);

/**
 * vx_feedback_fraction_from() - a loss fraction in the report's units.
 * @f: lost / expected. Clamped to [0, 1]; NaN counts as 0.
 *
 * Rounds to the nearest 1/65536 (halves up) and saturates at 65535 ("all"), so
 * vx_feedback_fraction_from(vx_feedback_fraction(u)) == u for every u.
 *
 * Context: real-time safe.
 */
uint16_t vx_feedback_fraction_from(double f);

#endif
