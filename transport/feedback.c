// SPDX-License-Identifier: MIT
/*
 * Feedback reports: a fixed little-endian layout (see feedback.h and
 * docs/PROTOCOL.md), read strictly.
 */
#include "transport/feedback.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

static_assert(VX_FEEDBACK_MAX_BYTES == 85, "docs/PROTOCOL.md gives 85 bytes");
static_assert(VX_FEEDBACK_MAX_BURSTS <= UINT8_MAX, "the count is one byte");

/* Field offsets: the table in feedback.h. */
enum {
	RR_SSRC = 2,
	RR_HIGHEST_SEQ = 6,
	RR_FRACTION = 10,
	RR_CUM_LOST = 12,
	RR_JITTER = 16,
	RR_TARGET = 20,
	RR_ECHO_TS = 24,
	RR_ECHO_DELAY = 28,
	RR_MAX_ERROR = 32,
	RR_BURSTS = 36,
	RR_BURST0 = 37,
	BURST_BYTES = 6,
};

static_assert(RR_BURST0 == VX_FEEDBACK_BYTES(0), "fixed part");

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * The one rule for burst entries, shared by encode and parse so that each
 * accepts exactly what the other produces.
 */
static bool bursts_valid(const struct vx_feedback_rr *rr)
{
	if (rr->bursts > VX_FEEDBACK_MAX_BURSTS)
		return false;
	for (unsigned i = 0; i < rr->bursts; i++) {
		if (rr->burst[i].length == 0 || rr->burst[i].count == 0)
			return false;
		if (i && rr->burst[i].count > rr->burst[i - 1].count)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (rr->burst[j].length == rr->burst[i].length)
				return false;
	}
	return true;
}

ssize_t vx_feedback_encode(const struct vx_feedback_rr *rr, uint8_t *out, size_t cap)
{
	size_t len;

	if (!bursts_valid(rr))
		return -EINVAL;
	len = VX_FEEDBACK_BYTES((size_t)rr->bursts);
	if (cap < len)
		return -ENOBUFS;
	out[0] = VX_FEEDBACK_VERSION;
	out[1] = VX_FEEDBACK_TYPE_RR;
	put32(out + RR_SSRC, rr->ssrc);
	put32(out + RR_HIGHEST_SEQ, rr->highest_seq);
	put16(out + RR_FRACTION, rr->fraction_lost);
	put32(out + RR_CUM_LOST, rr->cumulative_lost);
	put32(out + RR_JITTER, rr->jitter);
	put32(out + RR_TARGET, rr->target_delay_us);
	put32(out + RR_ECHO_TS, rr->echo_ts);
	put32(out + RR_ECHO_DELAY, rr->echo_delay_us);
	put32(out + RR_MAX_ERROR, rr->burst_max_error);
	out[RR_BURSTS] = rr->bursts;
	for (unsigned i = 0; i < rr->bursts; i++) {
		uint8_t *b = out + RR_BURST0 + BURST_BYTES * i;

		put16(b, rr->burst[i].length);
		put32(b + 2, rr->burst[i].count);
	}
	return (ssize_t)len;
}

int vx_feedback_parse(struct vx_feedback_rr *rr, const uint8_t *buf, size_t len)
{
	/* The count first: it fixes the length, checked before any entry is read. */
	if (len < VX_FEEDBACK_BYTES(0) || buf[0] != VX_FEEDBACK_VERSION ||
	    buf[1] != VX_FEEDBACK_TYPE_RR || buf[RR_BURSTS] > VX_FEEDBACK_MAX_BURSTS ||
	    len != VX_FEEDBACK_BYTES((size_t)buf[RR_BURSTS]))
		return -EBADMSG;
	memset(rr, 0, sizeof(*rr));
	rr->ssrc = get32(buf + RR_SSRC);
	rr->highest_seq = get32(buf + RR_HIGHEST_SEQ);
	rr->fraction_lost = get16(buf + RR_FRACTION);
	rr->cumulative_lost = get32(buf + RR_CUM_LOST);
	rr->jitter = get32(buf + RR_JITTER);
	rr->target_delay_us = get32(buf + RR_TARGET);
	rr->echo_ts = get32(buf + RR_ECHO_TS);
	rr->echo_delay_us = get32(buf + RR_ECHO_DELAY);
	rr->burst_max_error = get32(buf + RR_MAX_ERROR);
	rr->bursts = buf[RR_BURSTS];
	for (unsigned i = 0; i < rr->bursts; i++) {
		const uint8_t *b = buf + RR_BURST0 + BURST_BYTES * i;

		rr->burst[i].length = get16(b);
		rr->burst[i].count = get32(b + 2);
	}
	return bursts_valid(rr) ? 0 : -EBADMSG;
}

void vx_feedback_sort_bursts(struct vx_feedback_rr *rr)
{
	if (rr->bursts > VX_FEEDBACK_MAX_BURSTS)
		rr->bursts = VX_FEEDBACK_MAX_BURSTS;
	for (unsigned i = 1; i < rr->bursts; i++) {
		uint16_t length = rr->burst[i].length;
		uint32_t count = rr->burst[i].count;
		unsigned j = i;

		for (; j > 0; j--) {
			uint32_t c = rr->burst[j - 1].count;

			if (c > count || (c == count && rr->burst[j - 1].length <= length))
				break;
			rr->burst[j] = rr->burst[j - 1];
		}
		rr->burst[j].length = length;
		rr->burst[j].count = count;
	}
}

double vx_feedback_fraction(uint16_t fraction_lost)
{
	return fraction_lost == UINT16_MAX ? 1.0 : fraction_lost / 65536.0;
}

uint16_t vx_feedback_fraction_from(double f)
{
	double units;

	/* !(f > 0) is also true for NaN. */
	if (!(f > 0))
		return 0;
	units = floor(f * 65536.0 + 0.5);
	return units >= UINT16_MAX ? UINT16_MAX : (uint16_t)units;
}
