// SPDX-License-Identifier: MIT
/* The sending and receiving ends of a voice stream: see voice.h. */
#include "pipeline/voice.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport/feedback.h"
#include "transport/red.h"
#include "transport/rtp.h"

#define MAX_INNER   VX_SESSION_MAX_DATA
#define MAX_PAYLOAD (MAX_INNER - VX_RTP_HEADER_LEN)
#define RED_MAX_LEN 1023 /* RFC 2198's 10-bit block length */
#define SENT_RING   64   /* send times kept for the RTT echo: 1.28 s at 20 ms */
#define PROTECTION_MEMORY 250 /* packets: 5 s at 20 ms */

/* A sent packet kept for redundancy. */
struct past {
	bool valid;
	uint32_t ts;
	size_t len;
	uint8_t data[RED_MAX_LEN];
};

struct vx_voice_sender {
	struct vx_voice_sender_config cfg;
	struct vx_rtp_packet rtp;
	struct vx_adapt adapt;
	struct vx_adapt_knobs applied;
	bool have_applied;
	struct past past[VX_ADAPT_MAX_DEPTH]; /* [0]: the previous packet */
	uint64_t sent_ns[SENT_RING];          /* send time of seq, by seq % SENT_RING */
	struct vx_voice_sender_stats st;
	uint8_t frame[MAX_PAYLOAD];
	uint8_t payload[MAX_PAYLOAD];
	uint8_t inner[MAX_INNER];
};

struct vx_voice_receiver {
	struct vx_voice_receiver_config cfg;
	struct vx_rtp_source src;
	bool have_media;      /* an RTP packet came: @ssrc and @hi_seq are set */
	uint32_t ssrc;
	uint32_t hi_seq;      /* highest sequence number seen, extended to 32 bits */
	uint64_t seen[VX_RED_MAX_BLOCKS]; /* packet count when protection d + 1 deep came last */
	unsigned lookahead;   /* told to the jitter buffer */
	uint64_t next_report;
	uint32_t echo_ts;     /* RTP timestamp of the newest packet */
	uint64_t echo_arrival; /* when it came, receiver's clock */
	struct vx_voice_receiver_stats st;
	uint8_t inner[MAX_INNER];
};

uint8_t vx_voice_pt(enum vx_codec_type type)
{
	switch (type) {
	case VX_CODEC_OPUS:
		return VX_RTP_PT_OPUS;
	case VX_CODEC_PCM:
		return VX_RTP_PT_L16_MONO_48000;
	default:
		return VX_RTP_PT_ZPCM;
	}
}

int vx_voice_sender_create(struct vx_voice_sender **out, const struct vx_voice_sender_config *cfg)
{
	struct vx_voice_sender *s;

	if (!cfg->codec || !cfg->session)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->rtp.pt = cfg->pt;
	s->rtp.marker = true;
	s->rtp.ssrc = cfg->ssrc;
	s->rtp.seq = cfg->seq;
	s->rtp.ts = cfg->ts;
	vx_adapt_init(&s->adapt, &cfg->adapt, cfg->expected_loss);
	s->st.rtt_ns = -1;
	*out = s;
	return 0;
}

void vx_voice_sender_destroy(struct vx_voice_sender *s)
{
	free(s);
}

/* Bring the encoder to the controller's knobs; a codec without a knob (pcm,
 * zpcm: -ENOTSUP) goes without it, and still gets the redundancy. */
static int set_knob(struct vx_codec *c, enum vx_codec_ctl ctl, int value, bool have, bool changed)
{
	int ret;

	if (have && !changed)
		return 0;
	ret = vx_codec_set(c, ctl, value);
	return ret == -ENOTSUP ? 0 : ret;
}

static int apply_knobs(struct vx_voice_sender *s)
{
	const struct vx_adapt_knobs *k = &s->adapt.knobs, *a = &s->applied;
	struct vx_codec *c = s->cfg.codec;
	bool have = s->have_applied;
	int ret;

	ret = set_knob(c, VX_CODEC_BITRATE, k->bitrate, have, k->bitrate != a->bitrate);
	if (!ret)
		ret = set_knob(c, VX_CODEC_FEC, k->fec, have, k->fec != a->fec);
	if (!ret)
		ret = set_knob(c, VX_CODEC_LOSS_PERC, k->loss_perc, have,
			       k->loss_perc != a->loss_perc);
	if (ret)
		return ret;
	s->applied = *k;
	s->have_applied = true;
	return 0;
}

/*
 * The redundant blocks for the packet just encoded (@frame, @len): the packet
 * @d before it rides along when d >= 2, or when d = 1 and this packet carries
 * no FEC for it. Oldest first, as RFC 2198 orders them.
 */
static size_t pick_redundancy(struct vx_voice_sender *s, size_t len, struct vx_red_block *red)
{
	unsigned depth = s->adapt.knobs.red_depth;
	size_t n = 0, room;

	if (len + 1 >= MAX_PAYLOAD)
		return 0;
	room = MAX_PAYLOAD - len - 1; /* less the primary's header */
	for (unsigned d = depth; d >= 1; d--) {
		const struct past *p = &s->past[d - 1];

		if (!p->valid || 4 + p->len > room)
			continue;
		if (d == 1 && vx_codec_has_fec(s->cfg.codec, s->frame, len) == 1)
			continue;
		red[n++] = (struct vx_red_block){ .pt = s->cfg.pt, .ts_offset = s->rtp.ts - p->ts,
						  .data = p->data, .len = p->len };
		room -= 4 + p->len;
	}
	return n;
}

static void remember(struct vx_voice_sender *s, size_t len)
{
	memmove(&s->past[1], &s->past[0], sizeof(s->past) - sizeof(s->past[0]));
	s->past[0].valid = len <= RED_MAX_LEN;
	s->past[0].ts = s->rtp.ts;
	s->past[0].len = len;
	if (s->past[0].valid)
		memcpy(s->past[0].data, s->frame, len);
}

ssize_t vx_voice_send(struct vx_voice_sender *s, const int16_t *pcm, uint64_t now,
		      uint8_t *dgram, size_t cap)
{
	struct vx_red_block red[VX_ADAPT_MAX_DEPTH];
	size_t nred;
	ssize_t len;
	int plen, ret;

	ret = apply_knobs(s);
	if (ret < 0)
		return ret;
	plen = vx_codec_encode(s->cfg.codec, pcm, s->frame, sizeof(s->frame));
	if (plen < 0)
		return plen;
	nred = pick_redundancy(s, (size_t)plen, red);
	if (nred) {
		struct vx_red_block primary = { .pt = s->cfg.pt, .data = s->frame,
						.len = (size_t)plen };

		len = vx_red_encode(red, nred, &primary, s->payload, sizeof(s->payload));
		if (len < 0)
			return len;
		s->rtp.pt = VX_RTP_PT_RED;
		s->rtp.payload = s->payload;
		s->rtp.payload_len = (size_t)len;
	} else {
		s->rtp.pt = s->cfg.pt;
		s->rtp.payload = s->frame;
		s->rtp.payload_len = (size_t)plen;
	}
	len = vx_rtp_encode(&s->rtp, s->inner, sizeof(s->inner));
	if (len >= 0)
		len = vx_session_seal(s->cfg.session, now, VX_SESSION_RTP, s->inner, (size_t)len,
				      dgram, cap);
	if (len < 0)
		return len;
	s->st.packets++;
	s->st.payload_bytes += s->rtp.payload_len;
	s->st.red_blocks += nred;
	s->sent_ns[s->rtp.seq % SENT_RING] = now;
	remember(s, (size_t)plen);
	s->rtp.marker = false;
	s->rtp.seq++;
	s->rtp.ts += (uint32_t)vx_codec_frame_samples(s->cfg.codec);
	return len;
}

/* The round trip from an RR's echo of a packet sent in the last SENT_RING. */
static void rtt(struct vx_voice_sender *s, const struct vx_feedback_rr *rr, uint64_t now)
{
	uint32_t frame = (uint32_t)vx_codec_frame_samples(s->cfg.codec);
	uint32_t back = (s->rtp.ts - rr->echo_ts) / frame;
	uint64_t sent;

	if ((s->rtp.ts - rr->echo_ts) % frame || back == 0 || back > SENT_RING ||
	    back > s->st.packets)
		return;
	sent = s->sent_ns[(uint16_t)(s->rtp.seq - back) % SENT_RING];
	if (sent + (uint64_t)rr->echo_delay_us * 1000 <= now)
		s->st.rtt_ns = (int64_t)(now - sent - (uint64_t)rr->echo_delay_us * 1000);
}

int vx_voice_sender_take(struct vx_voice_sender *s, const uint8_t *dgram, size_t len,
			 uint64_t now)
{
	struct vx_feedback_rr rr;
	enum vx_session_kind kind;
	ssize_t n;
	int ret;

	n = vx_session_open(s->cfg.session, now, dgram, len, &kind, s->inner, sizeof(s->inner));
	if (n < 0) {
		s->st.refused++;
		return (int)n;
	}
	if (kind == VX_SESSION_KEEPALIVE || kind == VX_SESSION_HANDSHAKE)
		return 0;
	ret = kind == VX_SESSION_FEEDBACK ? vx_feedback_parse(&rr, s->inner, (size_t)n) : -EPROTO;
	if (ret < 0 || rr.ssrc != s->cfg.ssrc) {
		s->st.refused++;
		return ret < 0 ? ret : -EBADMSG;
	}
	rtt(s, &rr, now);
	if (s->cfg.adaptive)
		(void)vx_adapt_update(&s->adapt, &rr);
	s->st.reports++;
	return 0;
}

void vx_voice_sender_stats(const struct vx_voice_sender *s, struct vx_voice_sender_stats *st)
{
	*st = s->st;
	st->knobs = s->adapt.knobs;
}

int vx_voice_receiver_create(struct vx_voice_receiver **out,
			     const struct vx_voice_receiver_config *cfg)
{
	struct vx_voice_receiver *r;

	if (!cfg->session || !cfg->jitter || !cfg->codec)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	vx_rtp_source_init(&r->src);
	*out = r;
	return 0;
}

void vx_voice_receiver_destroy(struct vx_voice_receiver *r)
{
	free(r);
}

/* A 16-bit RTP sequence number extended to 32 bits: the nearest to the highest. */
static uint32_t extend_seq(struct vx_voice_receiver *r, uint16_t seq)
{
	int32_t d = (int16_t)(uint16_t)(seq - (uint16_t)r->hi_seq);
	uint32_t e = r->hi_seq + (uint32_t)d;

	if ((int32_t)(e - r->hi_seq) > 0)
		r->hi_seq = e;
	return e;
}

/*
 * The jitter buffer waits as many frames beyond the delay variation as the
 * deepest protection seen in the last PROTECTION_MEMORY packets reaches back
 * (Opus FEC: one; redundancy: its depth): a lost frame's rebuilding packet must
 * be in when the frame is due. Without protection there is nothing to wait for.
 */
static void follow_protection(struct vx_voice_receiver *r, uint32_t depth)
{
	unsigned want = 0;

	if (depth > VX_RED_MAX_BLOCKS)
		depth = VX_RED_MAX_BLOCKS;
	if (depth)
		r->seen[depth - 1] = r->st.packets;
	for (unsigned d = VX_RED_MAX_BLOCKS; d >= 1 && !want; d--)
		if (r->seen[d - 1] && r->st.packets - r->seen[d - 1] < PROTECTION_MEMORY)
			want = d;
	if (want != r->lookahead) {
		r->lookahead = want;
		vx_jitter_set_lookahead(r->cfg.jitter, want);
	}
}

/* An RTP packet of the stream: the primary into the buffer, then the copies. */
static int take_rtp(struct vx_voice_receiver *r, const uint8_t *inner, size_t len, uint64_t now)
{
	struct vx_red_block b[VX_RED_MAX_BLOCKS];
	struct vx_rtp_packet p;
	size_t n = 1;
	uint32_t seq, depth;
	int ret;

	ret = vx_rtp_parse(&p, inner, len);
	if (ret < 0)
		return ret;
	if (p.pt == VX_RTP_PT_RED) {
		ret = vx_red_parse(p.payload, p.payload_len, b, VX_RED_MAX_BLOCKS, &n);
		if (ret < 0)
			return ret;
	} else {
		b[0] = (struct vx_red_block){ .pt = p.pt, .data = p.payload, .len = p.payload_len };
	}
	for (size_t i = 0; i < n; i++)
		if (b[i].pt != r->cfg.pt)
			return -EPROTO;
	if (!b[n - 1].len)
		return -EBADMSG;
	depth = n > 1 ? b[0].ts_offset / (uint32_t)vx_jitter_frame_samples(r->cfg.jitter)
		      : vx_codec_has_fec(r->cfg.codec, b[0].data, b[0].len) == 1;
	if (r->have_media && p.ssrc != r->ssrc)
		return -EPROTO;
	(void)vx_rtp_source_update(&r->src, p.seq, p.ts,
				   vx_rtp_ts_from_ns(now, VX_RTP_OPUS_CLOCK), NULL);
	if (!r->have_media)
		r->hi_seq = p.seq;
	r->ssrc = p.ssrc;
	r->have_media = true;
	r->st.packets++;
	follow_protection(r, depth);
	seq = extend_seq(r, p.seq);
	if (seq == r->hi_seq) {
		r->echo_ts = p.ts;
		r->echo_arrival = now;
	}
	(void)vx_jitter_insert(r->cfg.jitter, seq, p.ts, b[n - 1].data, b[n - 1].len, now);
	/* A copy's timestamp offset says how many frames back it is: every
	 * frame has the buffer's size (one that does not is ignored). */
	for (size_t i = 0; i + 1 < n; i++) {
		size_t frame = vx_jitter_frame_samples(r->cfg.jitter);
		uint32_t back = b[i].ts_offset / (uint32_t)frame;

		if (!back || b[i].ts_offset % frame)
			continue;
		if (vx_jitter_insert_redundant(r->cfg.jitter, seq - back, b[i].data,
					       b[i].len) == 0)
			r->st.red_blocks++;
	}
	return 0;
}

int vx_voice_receive(struct vx_voice_receiver *r, const uint8_t *dgram, size_t len, uint64_t now)
{
	enum vx_session_kind kind;
	ssize_t n;
	int ret = 0;

	n = vx_session_open(r->cfg.session, now, dgram, len, &kind, r->inner, sizeof(r->inner));
	if (n < 0) {
		ret = (int)n;
	} else if (kind == VX_SESSION_RTP) {
		ret = take_rtp(r, r->inner, (size_t)n, now);
	} else if (kind != VX_SESSION_KEEPALIVE && kind != VX_SESSION_HANDSHAKE) {
		ret = -EPROTO; /* reports flow to the sender; nothing else is spoken here */
	}
	if (ret < 0)
		r->st.refused++;
	return ret;
}

ssize_t vx_voice_receiver_poll(struct vx_voice_receiver *r, uint64_t now, uint8_t *dgram,
			       size_t cap)
{
	struct vx_feedback_rr rr = { 0 };
	uint8_t buf[VX_FEEDBACK_MAX_BYTES];
	struct vx_jitter_report jr;
	struct vx_rtp_stats rs;
	ssize_t n;

	if (!r->have_media)
		return 0;
	if (!r->next_report)
		r->next_report = now + VX_VOICE_REPORT_NS;
	if (now < r->next_report)
		return 0;
	vx_jitter_report(r->cfg.jitter, &jr);
	vx_rtp_source_report(&r->src, &rs);
	rr.ssrc = r->ssrc;
	rr.highest_seq = rs.ext_max_seq;
	rr.fraction_lost = vx_feedback_fraction_from(jr.fraction_lost);
	rr.cumulative_lost = (uint32_t)jr.cumulative_lost;
	rr.jitter = rs.jitter;
	rr.target_delay_us = (uint32_t)(jr.target_ns / 1000);
	rr.echo_ts = r->echo_ts;
	rr.echo_delay_us = (uint32_t)((now - r->echo_arrival) / 1000);
	for (size_t i = 0; i < jr.bursts && i < VX_FEEDBACK_MAX_BURSTS; i++) {
		rr.burst[i].length = jr.burst[i].length > UINT16_MAX ? UINT16_MAX
								       : (uint16_t)jr.burst[i].length;
		rr.burst[i].count = (uint32_t)jr.burst[i].count;
		rr.bursts++;
	}
	rr.burst_max_error = (uint32_t)jr.burst_max_error;
	vx_feedback_sort_bursts(&rr);
	n = vx_feedback_encode(&rr, buf, sizeof(buf));
	if (n >= 0)
		n = vx_session_seal(r->cfg.session, now, VX_SESSION_FEEDBACK, buf, (size_t)n,
				    dgram, cap);
	if (n < 0)
		return n;
	r->next_report = now + VX_VOICE_REPORT_NS;
	r->st.reports++;
	r->st.rtp = rs;
	return n;
}

void vx_voice_receiver_stats(const struct vx_voice_receiver *r,
			     struct vx_voice_receiver_stats *st)
{
	*st = r->st;
}
