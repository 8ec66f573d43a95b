// SPDX-License-Identifier: MIT
/*
 * The feedback-report parser on untrusted bytes, and the encoder on any fields.
 *
 * Oracles beyond the sanitizers:
 *  - a report that parses re-encodes to the same bytes, needing exactly its
 *    length of room (so the parser neither invents nor drops anything, and the
 *    length check and the layout agree);
 *  - the input read as the fields of a report (burst entries included, valid or
 *    not): whatever the encoder accepts, the parser accepts and reads back the
 *    same; so the two enforce one rule on burst entries;
 *  - the loss fraction converts back to the same 16-bit value, and any double
 *    (the input's first 8 bytes) converts to a value that survives a round trip.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport/feedback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *data, size_t size)
{
	uint8_t out[VX_FEEDBACK_MAX_BYTES];
	struct vx_feedback_rr rr;
	ssize_t n;

	if (vx_feedback_parse(&rr, data, size) < 0)
		return;
	if (size < VX_FEEDBACK_BYTES(0) || size > VX_FEEDBACK_MAX_BYTES ||
	    data[1] != VX_FEEDBACK_TYPE_RR)
		abort();
	n = vx_feedback_encode(&rr, out, sizeof(out));
	if (n < 0 || (size_t)n != size || memcmp(out, data, size))
		abort();
	if (vx_feedback_encode(&rr, out, size - 1) != -ENOBUFS)
		abort();
}

/* Bytes as fields, little-endian, zero past the end of the input. */
struct reader {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct reader *r, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		if (r->n) {
			v |= (uint64_t)*r->p << (8 * i);
			r->p++;
			r->n--;
		}
	}
	return v;
}

static void check_encode(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	uint8_t out[VX_FEEDBACK_MAX_BYTES];
	struct vx_feedback_rr rr, back;
	ssize_t n;

	memset(&rr, 0, sizeof(rr));
	rr.ssrc = (uint32_t)take(&r, 4);
	rr.highest_seq = (uint32_t)take(&r, 4);
	rr.fraction_lost = (uint16_t)take(&r, 2);
	rr.cumulative_lost = (uint32_t)take(&r, 4);
	rr.jitter = (uint32_t)take(&r, 4);
	rr.target_delay_us = (uint32_t)take(&r, 4);
	rr.echo_ts = (uint32_t)take(&r, 4);
	rr.echo_delay_us = (uint32_t)take(&r, 4);
	rr.burst_max_error = (uint32_t)take(&r, 4);
	rr.bursts = (uint8_t)(take(&r, 1) % (VX_FEEDBACK_MAX_BURSTS + 2));
	/* Small values, so that zeros, repeats and ties are common. */
	for (unsigned i = 0; i < VX_FEEDBACK_MAX_BURSTS; i++) {
		rr.burst[i].length = (uint16_t)(take(&r, 1) % 12);
		rr.burst[i].count = (uint32_t)(take(&r, 1) % 12);
	}
	if (take(&r, 1) & 1)
		vx_feedback_sort_bursts(&rr);
	n = vx_feedback_encode(&rr, out, sizeof(out));
	if (n == -EINVAL)
		return;
	if (n != VX_FEEDBACK_BYTES((ssize_t)rr.bursts) || vx_feedback_parse(&back, out, (size_t)n) < 0)
		abort();
	if (back.ssrc != rr.ssrc || back.highest_seq != rr.highest_seq ||
	    back.fraction_lost != rr.fraction_lost || back.cumulative_lost != rr.cumulative_lost ||
	    back.jitter != rr.jitter || back.target_delay_us != rr.target_delay_us ||
	    back.echo_ts != rr.echo_ts || back.echo_delay_us != rr.echo_delay_us ||
	    back.burst_max_error != rr.burst_max_error || back.bursts != rr.bursts)
		abort();
	for (unsigned i = 0; i < rr.bursts; i++)
		if (back.burst[i].length != rr.burst[i].length ||
		    back.burst[i].count != rr.burst[i].count)
			abort();
}

static void check_fraction(const uint8_t *data, size_t size)
{
	uint16_t u, v;
	double f;

	if (size < 8)
		return;
	u = (uint16_t)(data[0] | data[1] << 8);
	if (vx_feedback_fraction_from(vx_feedback_fraction(u)) != u)
		abort();
	memcpy(&f, data, sizeof(f));
	v = vx_feedback_fraction_from(f);
	f = vx_feedback_fraction(v);
	if (!(f >= 0 && f <= 1) || vx_feedback_fraction_from(f) != v)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_encode(data, size);
	check_fraction(data, size);
	return 0;
}
