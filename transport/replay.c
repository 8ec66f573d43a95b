// SPDX-License-Identifier: MIT
/*
 * RFC 6479 anti-replay window.
 *
 * Counter c lives at bit c % 64 of word (c / 64) % WORDS. When the highest
 * counter moves from word w to word w' > w, words w+1 .. w' (modulo the ring;
 * all of them if w' - w >= WORDS) are zeroed: they held counters 64 x WORDS older
 * than the ones they will hold now. The word of the highest counter is never
 * zeroed while it is the highest, so the ring always covers the whole word of
 * @top plus the WORDS - 1 words before it: at least (WORDS - 1) x 64 =
 * VX_REPLAY_WINDOW counters below @top, whatever @top's offset in its word.
 * Counters further back than that are refused by arithmetic, never by a bit.
 */
#include "transport/replay.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

static_assert(VX_REPLAY_WORDS >= 2 && (VX_REPLAY_WORDS & (VX_REPLAY_WORDS - 1)) == 0,
	      "the ring is a power of two words");

void vx_replay_init(struct vx_replay *r)
{
	memset(r, 0, sizeof(*r));
}

static uint64_t bit(uint64_t counter)
{
	return 1ull << (counter & 63);
}

static uint64_t word(uint64_t counter)
{
	return (counter >> 6) & (VX_REPLAY_WORDS - 1);
}

int vx_replay_check(const struct vx_replay *r, uint64_t counter)
{
	if (!r->any || counter > r->top)
		return 0;
	if (r->top - counter > VX_REPLAY_WINDOW)
		return -ERANGE;
	return r->ring[word(counter)] & bit(counter) ? -EALREADY : 0;
}

int vx_replay_update(struct vx_replay *r, uint64_t counter)
{
	int ret = vx_replay_check(r, counter);

	if (ret < 0)
		return ret;
	if (!r->any) {
		r->any = true;
		r->top = counter;
	} else if (counter > r->top) {
		uint64_t from = r->top >> 6, to = counter >> 6;
		uint64_t n = to - from < VX_REPLAY_WORDS ? to - from : VX_REPLAY_WORDS;

		for (uint64_t i = 1; i <= n; i++)
			r->ring[(from + i) & (VX_REPLAY_WORDS - 1)] = 0;
		r->top = counter;
	}
	r->ring[word(counter)] |= bit(counter);
	return 0;
}
