// SPDX-License-Identifier: MIT
/*
 * RTP packets (RFC 3550 section 5.1) and per-source reception statistics
 * (appendix A.1, A.3, A.8).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * |                           timestamp                           |
 * |           synchronization source (SSRC) identifier            |
 * |            contributing source (CSRC) identifiers  (CC x)     |
 * |  defined by profile (X only)  |     length (32-bit words)     |
 * |                   extension data (length x 4 bytes)           |
 * |                   payload ...     | padding ... |  pad count  |
 */
#include "transport/rtp.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#define RTP_SEQ_MOD (1u << 16)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t vx_rtp_header_len(const struct vx_rtp_packet *p)
{
	return VX_RTP_HEADER_LEN + 4u * p->cc + (p->has_ext ? 4 + p->ext_len : 0);
}

ssize_t vx_rtp_encode(const struct vx_rtp_packet *p, uint8_t *out, size_t cap)
{
	size_t hdr, total;
	uint8_t *q;

	if (p->pt > 127 || p->cc > VX_RTP_MAX_CSRC)
		return -EINVAL;
	if (p->has_ext && (p->ext_len % 4 || p->ext_len > VX_RTP_MAX_EXT_LEN ||
			   (!p->ext && p->ext_len)))
		return -EINVAL;
	if (!p->payload && p->payload_len)
		return -EINVAL;
	hdr = vx_rtp_header_len(p);
	/* Compare by subtraction: hdr + payload_len + pad could overflow size_t. */
	if (cap < hdr || cap - hdr < p->pad || cap - hdr - p->pad < p->payload_len)
		return -ENOBUFS;
	total = hdr + p->payload_len + p->pad;
	if (total > SSIZE_MAX)
		return -ENOBUFS;

	/* The payload first: it may already sit in @out, where the header goes. */
	if (p->payload_len)
		memmove(out + hdr, p->payload, p->payload_len);

	out[0] = (uint8_t)(VX_RTP_VERSION << 6 | (p->pad ? 0x20 : 0) | (p->has_ext ? 0x10 : 0) |
			   p->cc);
	out[1] = (uint8_t)((p->marker ? 0x80 : 0) | p->pt);
	put16(out + 2, p->seq);
	put32(out + 4, p->ts);
	put32(out + 8, p->ssrc);
	q = out + VX_RTP_HEADER_LEN;
	for (unsigned i = 0; i < p->cc; i++, q += 4)
		put32(q, p->csrc[i]);
	if (p->has_ext) {
		put16(q, p->ext_profile);
		put16(q + 2, (uint16_t)(p->ext_len / 4));
		if (p->ext_len)
			memmove(q + 4, p->ext, p->ext_len);
	}
	if (p->pad) {
		q = out + hdr + p->payload_len;
		memset(q, 0, p->pad - 1u);
		q[p->pad - 1] = p->pad;
	}
	return (ssize_t)total;
}

int vx_rtp_parse(struct vx_rtp_packet *p, const uint8_t *buf, size_t len)
{
	size_t off, rest;

	if (len < VX_RTP_HEADER_LEN || buf[0] >> 6 != VX_RTP_VERSION)
		return -EBADMSG;
	p->pt = buf[1] & 0x7f;
	if (p->pt >= 72 && p->pt <= 76)
		return -EBADMSG;
	p->marker = buf[1] >> 7;
	p->cc = buf[0] & 0x0f;
	p->has_ext = buf[0] & 0x10;
	p->seq = get16(buf + 2);
	p->ts = get32(buf + 4);
	p->ssrc = get32(buf + 8);

	off = VX_RTP_HEADER_LEN;
	if (len - off < 4u * p->cc)
		return -EBADMSG;
	for (unsigned i = 0; i < p->cc; i++, off += 4)
		p->csrc[i] = get32(buf + off);

	p->ext_profile = 0;
	p->ext = NULL;
	p->ext_len = 0;
	if (p->has_ext) {
		if (len - off < 4)
			return -EBADMSG;
		p->ext_profile = get16(buf + off);
		p->ext_len = 4u * get16(buf + off + 2);
		off += 4;
		if (len - off < p->ext_len)
			return -EBADMSG;
		p->ext = buf + off;
		off += p->ext_len;
	}

	rest = len - off;
	p->pad = 0;
	if (buf[0] & 0x20) {
		/* The count includes itself, so 0 is malformed, and it cannot
		 * reach back into the header. */
		if (rest == 0 || buf[len - 1] == 0 || buf[len - 1] > rest)
			return -EBADMSG;
		p->pad = buf[len - 1];
		rest -= p->pad;
	}
	p->payload = buf + off;
	p->payload_len = rest;
	return 0;
}

/* --- payload formats -------------------------------------------------------------- */

static const struct vx_rtp_format formats[] = {
	{ "opus", VX_RTP_PT_OPUS, VX_RTP_OPUS_CLOCK, 1, "opus/48000/2" },
	{ "opus", VX_RTP_PT_OPUS, VX_RTP_OPUS_CLOCK, 2, "opus/48000/2" },
	{ "L16", VX_RTP_PT_L16_MONO_44100, 44100, 1, "L16/44100/1" },
	{ "L16", VX_RTP_PT_L16_STEREO_44100, 44100, 2, "L16/44100/2" },
	{ "L16", VX_RTP_PT_L16_MONO_48000, 48000, 1, "L16/48000/1" },
	{ "L16", VX_RTP_PT_L16_STEREO_48000, 48000, 2, "L16/48000/2" },
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct vx_rtp_format *vx_rtp_format_find(const char *encoding, uint32_t rate,
					       unsigned channels)
{
	bool opus = !strcasecmp(encoding, "opus");

	/* RFC 7587: Opus's timestamp runs at 48 kHz whatever rate it codes at. */
	if (opus && rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 &&
	    rate != 48000)
		return NULL;
	for (size_t i = 0; i < NFORMATS; i++)
		if (!strcasecmp(formats[i].encoding, encoding) && formats[i].channels == channels &&
		    (opus || formats[i].clock == rate))
			return &formats[i];
	return NULL;
}

const struct vx_rtp_format *vx_rtp_format_by_pt(uint8_t pt)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (formats[i].pt == pt)
			return &formats[i];
	return NULL;
}

int vx_rtp_ts_step(uint32_t clock, uint32_t frame_us)
{
	uint64_t units = (uint64_t)clock * frame_us;

	if (units % 1000000 || units == 0 || units / 1000000 > INT32_MAX)
		return -EINVAL;
	return (int)(units / 1000000);
}

uint32_t vx_rtp_ts_from_ns(uint64_t ns, uint32_t clock)
{
	/* Whole seconds and the rest apart: (ns % 1e9) * clock < 1e9 * 2^32 < 2^64. */
	uint64_t s = ns / 1000000000u, rem = ns % 1000000000u;

	return (uint32_t)(s * clock + rem * clock / 1000000000u);
}

/* --- reception statistics (RFC 3550 appendix A) ------------------------------------ */

void vx_rtp_source_init(struct vx_rtp_source *s)
{
	memset(s, 0, sizeof(*s));
}

/* A.1's init_seq(): the statistics start at @seq. */
static void init_seq(struct vx_rtp_source *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
	s->have_transit = false;
}

/* Section 6.4.1: J += (|D(i-1, i)| - J) / 16, in timestamp units. */
static void update_jitter(struct vx_rtp_source *s, uint32_t ts, uint32_t arrival)
{
	uint32_t transit = arrival - ts;

	if (s->have_transit) {
		/* Both transits are modulo 2^32; their difference is small and signed. */
		int64_t d = (int32_t)(transit - s->transit);

		s->jitter += ((double)(d < 0 ? -d : d) - s->jitter) / 16;
	}
	s->transit = transit;
	s->have_transit = true;
}

/* A.1's update_seq(), returning what the packet was instead of 0/1. */
static enum vx_rtp_seq update_seq(struct vx_rtp_source *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation) {
		/* Modulo 2^16, unlike the appendix's int promotion. */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return VX_RTP_SEQ_OK;
			}
		} else {
			s->probation = VX_RTP_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return VX_RTP_SEQ_PROBATION;
	}
	if (udelta == 0) {
		/* A duplicate of the highest: A.1 counts it (its last branch in effect). */
		s->received++;
		return VX_RTP_SEQ_LATE;
	}
	if (udelta < VX_RTP_MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD; /* wrapped: another 64K cycle */
		s->max_seq = seq;
		s->received++;
		return VX_RTP_SEQ_OK;
	}
	if (udelta <= RTP_SEQ_MOD - VX_RTP_MAX_MISORDER) {
		/* A very large jump. Two in a row: the sender restarted without
		 * telling us, so start again here. */
		if (seq == s->bad_seq) {
			init_seq(s, seq);
			s->received++;
			return VX_RTP_SEQ_RESYNC;
		}
		s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
		return VX_RTP_SEQ_BAD;
	}
	s->received++; /* duplicate or reordered: counted, as A.1 does */
	return VX_RTP_SEQ_LATE;
}

enum vx_rtp_seq vx_rtp_source_update(struct vx_rtp_source *s, uint16_t seq, uint32_t ts,
				     uint32_t arrival, uint32_t *ext_seq)
{
	enum vx_rtp_seq r;

	if (!s->started) {
		/* A.1: a new source starts on probation, as if its previous
		 * packet had been seq - 1. */
		init_seq(s, seq);
		s->max_seq = (uint16_t)(seq - 1);
		s->probation = VX_RTP_MIN_SEQUENTIAL;
		s->started = true;
	}
	r = update_seq(s, seq);
	if (r == VX_RTP_SEQ_OK || r == VX_RTP_SEQ_LATE || r == VX_RTP_SEQ_RESYNC)
		update_jitter(s, ts, arrival);
	if (ext_seq) {
		uint32_t ext_max = s->cycles + s->max_seq;

		/* A late packet is (max_seq - seq) mod 2^16 behind the highest,
		 * which places it in the previous cycle when it wrapped. */
		*ext_seq = r == VX_RTP_SEQ_LATE ? ext_max - (uint16_t)(s->max_seq - seq) :
			   r == VX_RTP_SEQ_OK || r == VX_RTP_SEQ_RESYNC ? ext_max : seq;
	}
	return r;
}

void vx_rtp_source_report(struct vx_rtp_source *s, struct vx_rtp_stats *st)
{
	uint32_t expected, expected_interval, received_interval;
	int64_t lost_interval;

	memset(st, 0, sizeof(*st));
	if (!s->started || s->probation)
		return;
	st->ext_max_seq = s->cycles + s->max_seq;
	expected = st->ext_max_seq - s->base_seq + 1;
	st->expected = expected;
	st->received = s->received;
	st->lost = (int64_t)expected - s->received;
	st->lost_rr = st->lost > 0x7fffff ? 0x7fffff :
		      st->lost < -0x800000 ? -0x800000 : (int32_t)st->lost;

	expected_interval = expected - s->expected_prior;
	s->expected_prior = expected;
	received_interval = s->received - s->received_prior;
	s->received_prior = s->received;
	lost_interval = (int64_t)expected_interval - received_interval;
	if (expected_interval && lost_interval > 0) {
		uint64_t f = ((uint64_t)lost_interval << 8) / expected_interval;

		/* 256 would need an interval with nothing received, which cannot
		 * advance the expected count; clamp anyway. */
		st->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
	}

	st->jitter_exact = s->jitter;
	st->jitter = (uint32_t)lrint(s->jitter);
}
