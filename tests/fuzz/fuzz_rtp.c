// SPDX-License-Identifier: MIT
/*
 * The RTP parser on untrusted bytes, and the sequence tracker on any numbers.
 *
 * Oracles beyond the sanitizers:
 *  - a packet that parses re-encodes from its fields to the same bytes (padding
 *    bytes before the count aside: the encoder writes zeros there), so the parser
 *    neither invents nor drops anything; the pieces it reports tile the packet;
 *  - the input read as (seq, ts, arrival) triples drives a source: counts never
 *    decrease between resyncs, an OK packet's extended number is the new highest,
 *    and a report's fraction is at most 255/256 of the interval.
 */
#include <stdlib.h>
#include <string.h>

#include "transport/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *data, size_t size)
{
	static uint8_t out[70000];
	struct vx_rtp_packet p;
	ssize_t n;

	if (vx_rtp_parse(&p, data, size) < 0)
		return;
	if (p.payload < data || p.payload + p.payload_len + p.pad != data + size)
		abort();
	if (p.has_ext && (p.ext < data + 16 || p.ext + p.ext_len != p.payload))
		abort();
	if (vx_rtp_header_len(&p) != (size_t)(p.payload - data))
		abort();
	n = vx_rtp_encode(&p, out, sizeof(out));
	if (n < 0 || (size_t)n != size)
		abort();
	if (memcmp(out, data, size - p.pad) || (p.pad && out[size - 1] != data[size - 1]))
		abort();
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_source(const uint8_t *data, size_t size)
{
	struct vx_rtp_source s;
	struct vx_rtp_stats st;
	uint32_t received = 0;

	vx_rtp_source_init(&s);
	for (; size >= 10; data += 10, size -= 10) {
		uint16_t seq = (uint16_t)(data[0] << 8 | data[1]);
		uint32_t ext;
		enum vx_rtp_seq r = vx_rtp_source_update(&s, seq, get32(data + 2), get32(data + 6),
							 &ext);

		if (r == VX_RTP_SEQ_RESYNC)
			received = 0;
		vx_rtp_source_report(&s, &st);
		if ((r == VX_RTP_SEQ_OK || r == VX_RTP_SEQ_RESYNC) &&
		    (ext != st.ext_max_seq || (uint16_t)ext != seq))
			abort();
		if (r == VX_RTP_SEQ_LATE && (uint16_t)ext != seq)
			abort();
		if (r != VX_RTP_SEQ_PROBATION && r != VX_RTP_SEQ_BAD && st.received != ++received)
			abort();
		if (st.jitter_exact < 0 || st.lost != (int64_t)st.expected - st.received)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_source(data, size);
	return 0;
}
