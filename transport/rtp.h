/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_RTP_H
#define VX_TRANSPORT_RTP_H

/*
 * RTP (RFC 3550) on the wire, and the receiver's view of a stream.
 *
 * Packets: vx_rtp_encode() writes the fixed header, the CSRC list, an optional
 * header extension and optional padding; vx_rtp_parse() reads them back strictly.
 * Every malformed packet is -EBADMSG (one code for "not a valid RTP packet", so the
 * caller counts one thing); argument errors on the encode side are -EINVAL.
 *
 * Payload formats used by vox:
 *   Opus (RFC 7587): dynamic payload type (vox uses 111, WebRTC's habit); the RTP
 *     clock is 48 kHz whatever the audio bandwidth the encoder chose, and the SDP
 *     rtpmap always reads "opus/48000/2" (stereo or not is a fmtp parameter). One
 *     Opus packet per RTP packet; the marker bit flags the first packet of a
 *     talkspurt after DTX.
 *   L16 (RFC 3551 section 4.5.11): big-endian 16-bit PCM. Only 44.1 kHz has static
 *     payload types (10 stereo, 11 mono); vox runs at 48 kHz, so L16/48000 takes
 *     the dynamic types 96 (mono) and 97 (stereo). The clock is the sample rate.
 *   RED (RFC 2198, transport/red.h): dynamic type 120, inside the secure session
 *     only; its blocks are Opus packets (type 111) on the same 48 kHz clock.
 *   Dynamic types 98-127 other than 111 and 120 are free for the pipeline's own formats.
 *
 * Streams: struct vx_rtp_source follows one SSRC as RFC 3550 appendix A.1
 * (probation, 32-bit extended sequence numbers, restart detection), counts
 * expected/received/lost as A.3 and estimates interarrival jitter as section 6.4.1
 * and A.8. It lives in caller memory (a receiver embeds one per stream) and never
 * allocates: every function here is real-time safe.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_RTP_VERSION      2
#define VX_RTP_HEADER_LEN   12   /* bytes in the fixed header */
#define VX_RTP_MAX_CSRC     15
#define VX_RTP_MAX_EXT_LEN  (65535u * 4) /* extension data, bytes: the length is 16-bit words */

#define VX_RTP_PT_OPUS       111 /* dynamic (RFC 7587 section 7); the WebRTC habit */
#define VX_RTP_PT_L16_STEREO_44100 10 /* static, RFC 3551 table 4 */
#define VX_RTP_PT_L16_MONO_44100   11 /* static, RFC 3551 table 4 */
#define VX_RTP_PT_L16_MONO_48000   96 /* dynamic: vox's choice */
#define VX_RTP_PT_L16_STEREO_48000 97 /* dynamic: vox's choice */
#define VX_RTP_PT_ZPCM       98  /* dynamic: vox's lossless zstd-PCM (audio/codec.h) */
#define VX_RTP_PT_RED        120 /* dynamic: RFC 2198 redundancy over Opus (transport/red.h) */
#define VX_RTP_OPUS_CLOCK    48000   /* Hz, RFC 7587 section 4.1, always */

/*
 * One packet, both ways. vx_rtp_parse() fills every field, with @ext and @payload
 * pointing into the parsed buffer; vx_rtp_encode() reads them.
 */
struct vx_rtp_packet {
	uint8_t pt;                        /* payload type, 0..127 */
	bool marker;
	uint16_t seq;
	uint32_t ts;                       /* media clock units */
	uint32_t ssrc;
	uint8_t cc;                        /* CSRC count, 0..15 */
	uint32_t csrc[VX_RTP_MAX_CSRC];
	bool has_ext;                      /* X bit: an extension header follows the CSRCs */
	uint16_t ext_profile;              /* e.g. 0xBEDE: RFC 8285 one-byte elements */
	const uint8_t *ext;                /* extension data after its 4-byte header */
	size_t ext_len;                    /* its bytes: a multiple of 4, <= VX_RTP_MAX_EXT_LEN */
	const uint8_t *payload;
	size_t payload_len;
	uint8_t pad;                       /* padding bytes incl. the count byte; 0: P clear */
};

/**
 * vx_rtp_header_len() - bytes before the payload: 12 + 4 x cc, plus 4 + ext_len
 * with an extension.
 * @p: the packet to be encoded.
 *
 * A caller who builds payloads in place writes the payload at this offset of its
 * output buffer and passes that pointer to vx_rtp_encode(), which then copies
 * nothing.
 *
 * Context: real-time safe.
 */
size_t vx_rtp_header_len(const struct vx_rtp_packet *p);

/**
 * vx_rtp_encode() - write one packet.
 * @p:   header fields, extension, payload and padding count. @payload may already
 *       sit at @out + vx_rtp_header_len(@p) (or anywhere inside @out: memmove).
 * @out: output buffer.
 * @cap: its size in bytes.
 *
 * Padding bytes are zero but for the last, which holds @p->pad.
 *
 * Context: real-time safe.
 * Return: the packet's length in bytes, -EINVAL for pt > 127, cc > 15, an ext_len
 * not a multiple of 4 or above VX_RTP_MAX_EXT_LEN, or a NULL ext/payload with a
 * non-zero length; -ENOBUFS if @cap is too small.
 */
ssize_t vx_rtp_encode(const struct vx_rtp_packet *p, uint8_t *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_rtp_parse() - read one packet strictly.
 * @p:   filled in; ext and payload point into @buf.
 * @buf: bytes from the network (untrusted).
 * @len: their count.
 *
 * Rejected: fewer than 12 bytes; a version other than 2; payload types 72-76
 * (with the marker bit these are RTCP's SR, RR, SDES, BYE and APP: RFC 5761
 * section 4 forbids them for RTP, so this is an RTCP packet on the wrong path); a
 * CSRC list or extension that runs past @len; with the P bit, no room for the
 * count byte, a count of 0, or a count beyond the bytes after the header. An
 * empty payload is valid (a keep-alive, or all padding).
 *
 * Context: real-time safe.
 * Return: 0, or -EBADMSG (@p then undefined).
 */
int vx_rtp_parse(struct vx_rtp_packet *p, const uint8_t *buf, size_t len)
	__attribute__((warn_unused_result));

/*
 * Payload formats: what an SDP offer says about each (a=rtpmap:<pt> <rtpmap>).
 */
struct vx_rtp_format {
	const char *encoding;  /* "opus" or "L16" */
	uint8_t pt;
	uint32_t clock;        /* RTP timestamp units per second */
	unsigned channels;
	const char *rtpmap;    /* "opus/48000/2" */
};

/**
 * vx_rtp_format_find() - the payload format vox uses for an encoding.
 * @encoding: "opus" or "L16" (case-insensitive, as SDP).
 * @rate:     audio sample rate in Hz (Opus: any of its rates; the clock stays 48 kHz).
 * @channels: 1 or 2.
 *
 * Context: real-time safe.
 * Return: the format, or NULL when there is none (L16 at a rate other than 44.1
 * or 48 kHz, Opus at a rate it does not code, a channel count other than 1 or 2).
 */
const struct vx_rtp_format *vx_rtp_format_find(const char *encoding, uint32_t rate,
					       unsigned channels);

/**
 * vx_rtp_format_by_pt() - the format behind a payload type vox uses, or NULL.
 * For Opus, whose one type serves mono and stereo, the mono entry.
 * Context: real-time safe.
 */
const struct vx_rtp_format *vx_rtp_format_by_pt(uint8_t pt);

/**
 * vx_rtp_ts_step() - timestamp increment per packet.
 * @clock:    RTP clock in Hz (VX_RTP_OPUS_CLOCK for Opus whatever its bandwidth).
 * @frame_us: packet duration in microseconds.
 *
 * Context: real-time safe.
 * Return: the step in clock units (960 for 20 ms at 48 kHz), or -EINVAL if it is
 * not a whole number (2.5 ms at 44.1 kHz) or zero, or does not fit in an int.
 */
int vx_rtp_ts_step(uint32_t clock, uint32_t frame_us);

/**
 * vx_rtp_ts_from_ns() - a wall-clock time in RTP clock units, modulo 2^32.
 * @ns:    nanoseconds (any epoch; only differences matter to jitter).
 * @clock: Hz.
 *
 * Used to express arrival times for vx_rtp_source_update(). Exact: floor(@ns x
 * @clock / 10^9) modulo 2^32, for every @ns and @clock.
 *
 * Context: real-time safe.
 */
uint32_t vx_rtp_ts_from_ns(uint64_t ns, uint32_t clock);

/* --- receiving a stream (RFC 3550 appendix A) --------------------------------------- */

#define VX_RTP_MAX_DROPOUT   3000 /* A.1: largest forward jump taken as loss */
#define VX_RTP_MAX_MISORDER  100  /* A.1: a packet this far behind (or more) is a restart */
#define VX_RTP_MIN_SEQUENTIAL 2   /* A.1: in-order packets before a source is valid */

/* What vx_rtp_source_update() made of a packet. */
enum vx_rtp_seq {
	VX_RTP_SEQ_OK,        /* in order, maybe after a gap below MAX_DROPOUT: counted */
	VX_RTP_SEQ_LATE,      /* a duplicate, or up to MAX_MISORDER - 1 behind: counted (A.1) */
	VX_RTP_SEQ_PROBATION, /* the source is not yet valid: not counted, not for playout */
	VX_RTP_SEQ_BAD,       /* a jump of MAX_DROPOUT or more: dropped, and remembered */
	VX_RTP_SEQ_RESYNC,    /* the packet after a BAD one: the sender restarted; the
			       * statistics start again at this packet, which is counted */
};

/*
 * Per-source state, in caller memory. Fields are private: read them through
 * vx_rtp_source_report(). Names follow RFC 3550 appendix A.1.
 */
struct vx_rtp_source {
	uint16_t max_seq;        /* highest sequence number seen */
	uint32_t cycles;         /* wraps of the sequence number, times 65536 */
	uint32_t base_seq;       /* first counted sequence number */
	uint32_t bad_seq;        /* the next expected after a jump; 65537: none */
	uint32_t probation;      /* in-order packets still needed */
	uint32_t received;       /* packets counted */
	uint32_t expected_prior; /* at the last report */
	uint32_t received_prior;
	bool started;            /* a first packet was seen */
	bool have_transit;       /* @transit holds a previous packet's */
	uint32_t transit;        /* arrival - timestamp of the last counted packet */
	double jitter;           /* section 6.4.1 estimate, in timestamp units */
};

/* A.3's figures for a receiver report. */
struct vx_rtp_stats {
	uint32_t ext_max_seq;   /* extended highest sequence number: cycles + max_seq */
	uint32_t expected;      /* ext_max_seq - base + 1 */
	uint32_t received;      /* counted packets, duplicates and late ones included */
	int64_t lost;           /* expected - received: negative with duplicates */
	int32_t lost_rr;        /* @lost clamped to the report's 24-bit signed field */
	uint8_t fraction_lost;  /* since the previous report, in 1/256 (floor) */
	uint32_t jitter;        /* the report's field: the estimate rounded to a unit */
	double jitter_exact;    /* the estimate itself, timestamp units */
};

/**
 * vx_rtp_source_init() - forget everything; the next packet starts probation.
 * @s: state in caller memory.
 *
 * Context: real-time safe.
 */
void vx_rtp_source_init(struct vx_rtp_source *s);

/**
 * vx_rtp_source_update() - account for one received packet of this source.
 * @s:       state.
 * @seq:     the packet's sequence number.
 * @ts:      its RTP timestamp.
 * @arrival: its arrival time in the same clock units (vx_rtp_ts_from_ns()).
 * @ext_seq: if not NULL, set to the packet's extended sequence number (modulo
 *           2^32, like the report's field): for OK, LATE and RESYNC packets; a
 *           LATE packet from the previous cycle gets that cycle's number.
 *
 * A.1's algorithm with one fix: the probation test "seq == max_seq + 1" is done
 * modulo 2^16 (the appendix's C compares an int promotion, so probation across
 * the wrap 65535 -> 0 would fail). Jitter: every counted packet but the first after
 * init or resync updates J += (|D| - J) / 16, D being the change in transit time
 * (arrival - ts) from the previous counted packet; kept in double rather than A.8's
 * integer x16 form, whose rounding settles one unit low (J16 -> 16x - 8).
 *
 * Context: real-time safe.
 * Return: what the packet was (enum vx_rtp_seq).
 */
enum vx_rtp_seq vx_rtp_source_update(struct vx_rtp_source *s, uint16_t seq, uint32_t ts,
				     uint32_t arrival, uint32_t *ext_seq);

/**
 * vx_rtp_source_report() - the figures for a receiver report, and start a new
 * interval for fraction_lost (A.3).
 * @s:  state.
 * @st: filled in. Before the source is valid everything is 0.
 *
 * Context: real-time safe.
 */
void vx_rtp_source_report(struct vx_rtp_source *s, struct vx_rtp_stats *st);

#endif
