/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_SESSION_H
#define VX_TRANSPORT_SESSION_H

/*
 * The secure session between two peers: a WireGuard-style tunnel for RTP,
 * feedback reports and data-channel frames, keyed by Noise
 * IK_25519_ChaChaPoly_BLAKE2b (transport/noise.h). docs/PROTOCOL.md describes
 * every byte on the wire; this header is the API.
 *
 * Roles. Each peer has a static key pair and knows the other's public key. One
 * side is configured as the initiator: it runs the first handshake and every
 * rekey, so the two sides never race two handshakes against each other. The
 * responder only answers; it never sends a handshake initiation.
 *
 * Time. There is no hidden clock: every call that can act on time takes @now, in
 * nanoseconds of any monotonic clock the caller chooses (CLOCK_MONOTONIC in vox,
 * a virtual clock in tests), never decreasing from call to call. The caller
 * drives timers: after each call, vx_session_next_timeout() says when
 * vx_session_poll() next has work (a handshake to start or retransmit, a key to
 * expire), and poll hands out the datagrams to send (handshake messages and
 * keepalives). The initiation's TAI64N timestamp is @now + cfg.clock_offset_ns.
 *
 * Keys. A session holds up to three key pairs (each a send cipher, a receive
 * cipher, a replay window and two 32-bit indices): current, previous (kept
 * cfg.grace_ns after it is replaced, for packets in flight) and, on the
 * responder, next: a key pair from a handshake whose first transport message has
 * not arrived yet (it becomes current when one does, which confirms that the
 * initiator holds it). The initiator rekeys when the current key is
 * cfg.rekey_after_ns old; keys older than cfg.reject_after_ns are used for
 * nothing. A lost handshake is retransmitted (as a fresh initiation: new
 * ephemeral, new timestamp) after cfg.retry_ns, doubling up to cfg.retry_max_ns.
 *
 * Drops. vx_session_open() refuses forged, truncated, oversized, replayed,
 * expired and misaddressed packets with a negative errno and one counter per
 * reason in struct vx_session_stats; a refused packet changes nothing else (the
 * replay window moves only after the tag verifies, a handshake in flight is not
 * disturbed). A replayed initiation is refused twice over: its TAI64N timestamp
 * must be newer than the last one accepted, and a two-generation aging Bloom
 * filter of recent initiator ephemerals (keyed SipHash) catches exact copies
 * before any Diffie-Hellman work.
 *
 * Threads. A session is one object with no lock: calls must not overlap (one
 * thread, or a caller that serialises). Sealing and opening transport messages
 * allocate nothing and make no system call (real-time safe); handshake messages
 * and vx_session_poll() allocate (the Noise handshake state) and do X25519 work.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "transport/noise.h"

/* Message types: the first byte on the wire (then three zero bytes). */
#define VX_SESSION_MSG_INITIATION 1
#define VX_SESSION_MSG_RESPONSE   2
#define VX_SESSION_MSG_TRANSPORT  4 /* 3 is WireGuard's cookie reply: reserved */

#define VX_SESSION_INITIATION_BYTES 116 /* 8 header + 108 Noise IK message 1 */
#define VX_SESSION_RESPONSE_BYTES   60  /* 12 header + 48 Noise IK message 2 */
#define VX_SESSION_HEADER_BYTES     16  /* transport: type, receiver, counter */
#define VX_SESSION_OVERHEAD         (VX_SESSION_HEADER_BYTES + 1 + VX_NOISE_TAG_BYTES)
#define VX_SESSION_MAX_DATA         1400 /* inner bytes after the kind byte */
#define VX_SESSION_MAX_PACKET       (VX_SESSION_MAX_DATA + VX_SESSION_OVERHEAD) /* 1433 */

/* Timer defaults, nanoseconds (WireGuard's values where it has one). */
#define VX_SESSION_REKEY_AFTER_NS  (120ull * 1000000000u)
#define VX_SESSION_REJECT_AFTER_NS (180ull * 1000000000u)
#define VX_SESSION_GRACE_NS        (10ull * 1000000000u)
#define VX_SESSION_RETRY_NS        (1ull * 1000000000u) /* WireGuard: 5 s; voice waits less */
#define VX_SESSION_RETRY_MAX_NS    (8ull * 1000000000u)
#define VX_SESSION_BLOOM_PERIOD_NS (120ull * 1000000000u)

/* What the inner packet is: its first byte, under the AEAD. */
enum vx_session_kind {
	VX_SESSION_KEEPALIVE = 0, /* empty: confirms a new key, keeps NAT state */
	VX_SESSION_RTP = 1,       /* an RTP packet (RFC 3550) */
	VX_SESSION_FEEDBACK = 2,  /* a receiver report */
	VX_SESSION_DATA = 3,      /* a data-channel frame */
	VX_SESSION_KIND_MAX = VX_SESSION_DATA,
	VX_SESSION_HANDSHAKE = 255, /* not on the wire: open() consumed a handshake message */
};

struct vx_session_config {
	const struct vx_noise_keypair *local; /* this peer's static key pair */
	const uint8_t *peer_public;           /* the other's, VX_NOISE_DH_BYTES */
	bool initiator;
	uint64_t clock_offset_ns; /* @now + this = ns since the Unix epoch (for TAI64N) */
	uint64_t rekey_after_ns;  /* 0: the defaults above, for each of these */
	uint64_t reject_after_ns;
	uint64_t grace_ns;
	uint64_t retry_ns;
	uint64_t retry_max_ns;
	uint64_t bloom_period_ns;
};

/* Counters since create. Every refused packet bumps exactly one drop_* counter. */
struct vx_session_stats {
	uint64_t rx_packets;         /* transport messages accepted */
	uint64_t tx_packets;         /* transport messages sealed */
	uint64_t handshakes;         /* completed (either role) */
	uint64_t initiations_sent;   /* including retransmissions */
	uint64_t retransmits;
	uint64_t rekeys;             /* handshakes started because a key grew old */

	uint64_t drop_truncated;     /* shorter than its type needs, or no type byte */
	uint64_t drop_oversized;     /* longer than its type allows */
	uint64_t drop_malformed;     /* unknown type, non-zero reserved bytes, bad inner kind */
	uint64_t drop_unknown_index; /* no live key pair or handshake has that index */
	uint64_t drop_expired;       /* key pair past its grace period or reject_after */
	uint64_t drop_replayed;      /* counter seen before or too old for the window */
	uint64_t drop_forged;        /* transport tag did not verify */
	uint64_t drop_hs_forged;     /* handshake message did not authenticate */
	uint64_t drop_hs_unknown_peer; /* authenticated, but by a static key not our peer's */
	uint64_t drop_hs_replayed;   /* initiation ephemeral seen recently (Bloom) */
	uint64_t drop_hs_stale;      /* initiation timestamp not newer than the last */
	uint64_t drop_hs_unexpected; /* a message this role never takes, or none awaited */
};

struct vx_session;

/**
 * vx_session_config_default() - zeroed timers (the defaults), responder role.
 * @cfg: filled in; the caller sets local and peer_public (and initiator).
 */
void vx_session_config_default(struct vx_session_config *cfg);

/**
 * vx_session_create() - a session with no keys yet.
 * @out: the new session.
 * @cfg: keys and timers (copied).
 *
 * An initiator's first vx_session_poll() sends the first initiation
 * (vx_session_next_timeout() is 0 until then).
 *
 * Context: not real-time: allocates everything the transport path needs.
 * Return: 0, -EINVAL (missing key, grace or timers out of order: retry_ns >
 *         retry_max_ns, rekey_after_ns >= reject_after_ns), -ENOMEM, -EIO
 *         (libsodium cannot initialise).
 */
int vx_session_create(struct vx_session **out, const struct vx_session_config *cfg)
	__attribute__((warn_unused_result));

/** vx_session_destroy() - wipe every key and free; NULL is accepted. */
void vx_session_destroy(struct vx_session *s);

/**
 * vx_session_seal() - one transport message.
 * @s:    session.
 * @now:  ns, caller's clock.
 * @kind: what @data is (not VX_SESSION_HANDSHAKE).
 * @data: @len bytes (at most VX_SESSION_MAX_DATA); may be NULL when @len is 0.
 * @out:  the datagram: @len + VX_SESSION_OVERHEAD bytes. Must not overlap @data.
 * @cap:  room at @out.
 *
 * Seals with the current key pair (the responder's, once confirmed).
 * Context: real-time safe: no allocation, no lock, no system call.
 * Return: datagram bytes; -ENOKEY (no confirmed key, or it is past
 *         reject_after: wait for the handshake), -EINVAL (kind, @len too big),
 *         -ENOSPC (@cap), -EOVERFLOW (the key's counter is spent).
 */
ssize_t vx_session_seal(struct vx_session *s, uint64_t now, enum vx_session_kind kind,
			const void *data, size_t len, void *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_session_open() - take one received datagram.
 * @s:    session.
 * @now:  ns, caller's clock.
 * @in:   @len bytes from the network (untrusted).
 * @kind: set to the inner packet's kind, or VX_SESSION_HANDSHAKE.
 * @out:  the inner packet's data (without the kind byte); at most @len bytes.
 * @cap:  room at @out.
 *
 * A handshake message is consumed here (its answer, if any, waits for
 * vx_session_poll()); a transport message is authenticated, checked against the
 * replay window of its key pair, and its data copied out.
 *
 * Context: transport messages: real-time safe. Handshake messages: not (they
 * allocate the Noise state and do X25519); a real-time receive thread can look
 * at the first byte (vx_session_msg_type()) and pass those to a control thread.
 * Return: data bytes (>= 0, 0 for a keepalive or a handshake); or the packet is
 *   dropped, counted, and nothing else changes:
 *   -EMSGSIZE   truncated or oversized     -EPROTO     malformed
 *   -ENOENT     unknown receiver index     -EKEYEXPIRED key pair too old
 *   -EALREADY   replayed (or too old for the window)
 *   -EBADMSG    forged (transport or handshake)
 *   -EACCES     handshake from a static key that is not the peer's
 *   -ESTALE     initiation timestamp not newer      -EEXIST  initiation replayed
 *   -EPERM      a handshake message this role or state does not take
 *   and, without counting: -ENOSPC if @cap is too small (nothing changes).
 */
ssize_t vx_session_open(struct vx_session *s, uint64_t now, const void *in, size_t len,
			enum vx_session_kind *kind, void *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_session_poll() - run the timers; hand out one datagram to send, if any.
 * @s:   session.
 * @now: ns, caller's clock.
 * @out: the datagram (handshake initiation or response, or a keepalive).
 * @cap: room: VX_SESSION_INITIATION_BYTES is enough.
 *
 * Call it when vx_session_next_timeout() is due and after each open() of a
 * handshake message; call again while it returns a datagram.
 * Context: not real-time when it starts a handshake (allocates, X25519).
 * Return: datagram bytes, 0 when there is nothing to send, -ENOSPC, or a
 *         handshake error (-ENOMEM, -EIO; the attempt is retried later).
 */
ssize_t vx_session_poll(struct vx_session *s, uint64_t now, void *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_session_next_timeout() - when vx_session_poll() next has work.
 * Return: an absolute time on the caller's clock (ns; <= now means at once), or
 *         UINT64_MAX when nothing is scheduled.
 */
uint64_t vx_session_next_timeout(const struct vx_session *s);

/** vx_session_is_established() - true once seal() has a key to send with. */
bool vx_session_is_established(const struct vx_session *s, uint64_t now);

/** vx_session_stats() - the counters. Context: real-time safe. */
void vx_session_stats(const struct vx_session *s, struct vx_session_stats *st);

/**
 * vx_session_msg_type() - the message type of a datagram, without checking it.
 * Return: VX_SESSION_MSG_* , or 0 for an empty datagram. An RTP packet (version
 *         2, first byte 0x80-0xbf) never collides with a session message type.
 * Context: real-time safe.
 */
unsigned vx_session_msg_type(const void *in, size_t len);

#endif
