/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_REPLAY_H
#define VX_TRANSPORT_REPLAY_H

/*
 * Anti-replay window on the 64-bit message counter of the secure session, after
 * RFC 6479 (the scheme WireGuard uses): a ring of VX_REPLAY_BITS bits in 64-bit
 * words, indexed by the counter modulo the ring. Advancing zeroes whole words
 * instead of shifting the bitmap, which is why one word of the ring is never
 * usable: the window is VX_REPLAY_WINDOW = VX_REPLAY_BITS - 64 counters.
 *
 * Accepted: a counter above the highest accepted so far, or one at most
 * VX_REPLAY_WINDOW below it and not accepted before. Everything from 0 to
 * UINT64_MAX is a valid counter (the first message of a session is 0); the
 * session, not this window, rekeys long before a counter could wrap.
 *
 * The contract: vx_replay_check() before the AEAD open, to spend no work on an
 * obvious replay; vx_replay_update() only after the tag verified, so a forged
 * packet cannot move the window. Update checks again (a copy of the same packet
 * may have been accepted in between), so its answer is the final one.
 *
 * The state lives in caller memory (a session embeds it), is not shared between
 * threads (the receive thread owns it), and every function is real-time safe.
 */
#include <stdbool.h>
#include <stdint.h>

#define VX_REPLAY_BITS   2048
#define VX_REPLAY_WORDS  (VX_REPLAY_BITS / 64)
#define VX_REPLAY_WINDOW (VX_REPLAY_BITS - 64) /* 1984 counters behind the highest */

/* Fields are private. */
struct vx_replay {
	uint64_t top;                     /* highest counter accepted */
	bool any;                         /* something was accepted: @top is valid */
	uint64_t ring[VX_REPLAY_WORDS];   /* bit c % BITS: counter c was accepted */
};

/**
 * vx_replay_init() - an empty window: every counter is new.
 * @r: state in caller memory.
 *
 * Context: real-time safe.
 */
void vx_replay_init(struct vx_replay *r);

/**
 * vx_replay_check() - could @counter be accepted? Changes nothing.
 * @r:       window.
 * @counter: the message's counter (from the wire, untrusted).
 *
 * Context: real-time safe.
 * Return: 0 if new, -EALREADY if accepted before (a replay or a duplicate), or
 * -ERANGE if more than VX_REPLAY_WINDOW below the highest (too old to tell).
 */
int vx_replay_check(const struct vx_replay *r, uint64_t counter)
	__attribute__((warn_unused_result));

/**
 * vx_replay_update() - accept @counter: check it again and mark it seen.
 * @r:       window.
 * @counter: a counter whose packet authenticated.
 *
 * Context: real-time safe.
 * Return: 0 if accepted now, or vx_replay_check()'s refusal (-EALREADY, -ERANGE)
 * with the window unchanged: drop the packet then, even though it authenticated.
 */
int vx_replay_update(struct vx_replay *r, uint64_t counter)
	__attribute__((warn_unused_result));

#endif
