/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_VOICE_H
#define VX_PIPELINE_VOICE_H

/*
 * The two ends of a one-way voice stream over a secure session, as stages that
 * take and give datagrams and never touch a socket or a clock of their own: the
 * simulated replay feeds them an in-memory network and a virtual clock, the
 * real-time one UDP sockets and CLOCK_MONOTONIC.
 *
 * Sender: a frame of PCM in, one sealed datagram out — codec, then RFC 2198
 * redundancy when the controller asks for it (transport/red.h), then RTP, then
 * the session's seal. The receiver's reports it takes in feed the adaptation
 * controller (pipeline/adapt.h), whose knobs apply from the next frame, and
 * give the round trip: a report echoes the RTP timestamp of the newest packet
 * received and how long ago it came, and the sender remembers when it sent it.
 *
 * Receiver: datagrams in — opened by the session; RTP of the stream's payload
 * type goes into the jitter buffer (a RED packet's primary as a packet, its
 * older blocks as redundant copies), whose lookahead follows the protection
 * the packets carry. Every VX_VOICE_REPORT_NS it has a report
 * to send: the jitter buffer's loss figures and burst histogram, RFC 3550
 * jitter, the echo. Playout is
 * vx_jitter_pop() on the buffer the caller created.
 *
 * Each end belongs to one thread; its session must not be used by another
 * thread meanwhile. Handshake datagrams that reach them are passed to the
 * session (which allocates then: a real-time caller routes session message types
 * other than transport to its control thread instead). Create allocates; the
 * rest does not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "audio/codec.h"
#include "pipeline/adapt.h"
#include "pipeline/jitter.h"
#include "transport/rtp.h"
#include "transport/session.h"

#define VX_VOICE_REPORT_NS 500000000ull /* receiver reports, every 500 ms */

struct vx_voice_sender_config {
	struct vx_codec *codec;      /* encoder; the caller owns it */
	struct vx_session *session;  /* established before the first frame */
	uint8_t pt;                  /* the codec's RTP payload type */
	uint32_t ssrc;
	uint16_t seq;                /* first sequence number */
	uint32_t ts;                 /* first RTP timestamp */
	struct vx_adapt_config adapt;
	double expected_loss;        /* initial loss estimate, 0..1 */
	bool adaptive;               /* false: the knobs never change */
};

struct vx_voice_sender_stats {
	uint64_t packets;            /* RTP packets sealed */
	uint64_t payload_bytes;      /* RTP payload bytes (RED headers and copies included) */
	uint64_t red_blocks;         /* redundant copies sent */
	uint64_t reports;            /* receiver reports taken */
	uint64_t refused;            /* datagrams the session or the parser refused */
	int64_t rtt_ns;              /* last round trip from a report's echo; -1: none yet */
	struct vx_adapt_knobs knobs; /* in force */
};

struct vx_voice_receiver_config {
	struct vx_codec *codec;      /* the decoder (to read FEC flags); the caller owns it */
	struct vx_session *session;
	struct vx_jitter *jitter;    /* the caller owns it and pops from it */
	uint8_t pt;                  /* the codec's RTP payload type */
};

struct vx_voice_receiver_stats {
	uint64_t packets;            /* RTP packets of the stream taken */
	uint64_t red_blocks;         /* redundant copies kept by the jitter buffer */
	uint64_t reports;            /* receiver reports sealed */
	uint64_t refused;            /* datagrams refused (session, RTP, RED, payload type) */
	struct vx_rtp_stats rtp;     /* RFC 3550 A.1/A.8 figures */
};

struct vx_voice_sender;
struct vx_voice_receiver;

/**
 * vx_voice_pt() - the RTP payload type vox gives a codec's packets: Opus 111,
 * L16 mono 48 kHz 96, zPCM 98 (transport/rtp.h).
 * Context: real-time safe.
 */
uint8_t vx_voice_pt(enum vx_codec_type type);

int vx_voice_sender_create(struct vx_voice_sender **out, const struct vx_voice_sender_config *cfg)
	__attribute__((warn_unused_result));
void vx_voice_sender_destroy(struct vx_voice_sender *s);

/**
 * vx_voice_send() - one frame of PCM into one sealed datagram.
 * @s:     sender.
 * @pcm:   the codec's frame of interleaved S16.
 * @now:   ns, the sender's clock.
 * @dgram: out; VX_SESSION_MAX_PACKET bytes are enough.
 * @cap:   room at @dgram.
 *
 * Return: datagram bytes, or a negative errno from the codec, RTP or session.
 */
ssize_t vx_voice_send(struct vx_voice_sender *s, const int16_t *pcm, uint64_t now,
		      uint8_t *dgram, size_t cap);

/**
 * vx_voice_sender_take() - one datagram from the receiver.
 * Return: 0 (taken: a report, a keepalive, a handshake message), or the session's or
 * the report parser's negative errno (counted as refused).
 */
int vx_voice_sender_take(struct vx_voice_sender *s, const uint8_t *dgram, size_t len,
			 uint64_t now);

void vx_voice_sender_stats(const struct vx_voice_sender *s, struct vx_voice_sender_stats *st);

int vx_voice_receiver_create(struct vx_voice_receiver **out,
			     const struct vx_voice_receiver_config *cfg)
	__attribute__((warn_unused_result));
void vx_voice_receiver_destroy(struct vx_voice_receiver *r);

/**
 * vx_voice_receive() - one datagram from the sender.
 * @now: its arrival time, ns, the receiver's clock.
 * Return: 0 (taken: RTP into the jitter buffer, a keepalive, a handshake
 * message), or a negative errno (refused and counted).
 */
int vx_voice_receive(struct vx_voice_receiver *r, const uint8_t *dgram, size_t len,
		     uint64_t now);

/**
 * vx_voice_receiver_poll() - the receiver report, when one is due (not before
 * the first RTP packet).
 * Return: datagram bytes, 0 if none is due, or a negative errno from the session.
 */
ssize_t vx_voice_receiver_poll(struct vx_voice_receiver *r, uint64_t now, uint8_t *dgram,
			       size_t cap);

void vx_voice_receiver_stats(const struct vx_voice_receiver *r,
			     struct vx_voice_receiver_stats *st);

#endif
