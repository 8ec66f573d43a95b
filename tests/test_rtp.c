// SPDX-License-Identifier: MIT
/*
 * RTP packets and per-source statistics. Packets are checked byte by byte against
 * hand-assembled RFC 3550 layouts; the sequence tracker against tables that walk
 * appendix A.1's branches with their exact edges; jitter against the closed form
 * of section 6.4.1's filter.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "transport/rtp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- packets ------------------------------------------------------------------------ */

static const uint8_t ext_data[4] = { 0x10, 0xaa, 0x00, 0x00 }; /* RFC 8285: id 1, len 1 */
static const uint8_t payload3[3] = { 0xde, 0xad, 0x01 };

static struct vx_rtp_packet sample(void)
{
	return (struct vx_rtp_packet){
		.pt = 111, .marker = true, .seq = 0x1234, .ts = 0x89abcdef, .ssrc = 0xcafef00d,
		.cc = 2, .csrc = { 0x01020304, 0xa0b0c0d0 },
		.has_ext = true, .ext_profile = 0xbede, .ext = ext_data, .ext_len = 4,
		.payload = payload3, .payload_len = 3, .pad = 4,
	};
}

static const uint8_t sample_bytes[] = {
	0xb2, 0xef, 0x12, 0x34,             /* V=2 P X CC=2 | M PT=111 | seq */
	0x89, 0xab, 0xcd, 0xef,             /* timestamp */
	0xca, 0xfe, 0xf0, 0x0d,             /* SSRC */
	0x01, 0x02, 0x03, 0x04,             /* CSRC 1 */
	0xa0, 0xb0, 0xc0, 0xd0,             /* CSRC 2 */
	0xbe, 0xde, 0x00, 0x01,             /* extension profile, 1 word */
	0x10, 0xaa, 0x00, 0x00,             /* extension data */
	0xde, 0xad, 0x01,                   /* payload */
	0x00, 0x00, 0x00, 0x04,             /* padding, count 4 */
};

static void test_rtp_encode_writes_rfc3550_layout(void **state)
{
	struct vx_rtp_packet p = sample();
	uint8_t out[64];

	(void)state;
	assert_int_equal(vx_rtp_header_len(&p), 28);
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), sizeof(sample_bytes));
	assert_memory_equal(out, sample_bytes, sizeof(sample_bytes));
}

static void test_rtp_parse_reads_every_field(void **state)
{
	struct vx_rtp_packet p;

	(void)state;
	assert_int_equal(vx_rtp_parse(&p, sample_bytes, sizeof(sample_bytes)), 0);
	assert_int_equal(p.pt, 111);
	assert_true(p.marker);
	assert_int_equal(p.seq, 0x1234);
	assert_int_equal(p.ts, 0x89abcdef);
	assert_int_equal(p.ssrc, 0xcafef00d);
	assert_int_equal(p.cc, 2);
	assert_int_equal(p.csrc[0], 0x01020304);
	assert_int_equal(p.csrc[1], 0xa0b0c0d0);
	assert_true(p.has_ext);
	assert_int_equal(p.ext_profile, 0xbede);
	assert_ptr_equal(p.ext, sample_bytes + 24);
	assert_int_equal(p.ext_len, 4);
	assert_ptr_equal(p.payload, sample_bytes + 28);
	assert_int_equal(p.payload_len, 3);
	assert_int_equal(p.pad, 4);
}

static void test_rtp_minimal_header_has_empty_payload(void **state)
{
	static const uint8_t min[12] = { 0x80, 0x0b, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 };
	struct vx_rtp_packet p;

	(void)state;
	assert_int_equal(vx_rtp_parse(&p, min, sizeof(min)), 0);
	assert_int_equal(p.pt, 11);
	assert_false(p.marker);
	assert_false(p.has_ext);
	assert_null(p.ext);
	assert_int_equal(p.cc, 0);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.pad, 0);
}

static void test_rtp_padding_may_fill_everything_after_the_header(void **state)
{
	static const uint8_t all_pad[16] = { 0xa0, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 9, 9, 9, 4 };
	struct vx_rtp_packet p;

	(void)state;
	assert_int_equal(vx_rtp_parse(&p, all_pad, sizeof(all_pad)), 0);
	assert_int_equal(p.pad, 4);
	assert_int_equal(p.payload_len, 0);
	assert_ptr_equal(p.payload, all_pad + 12);
}

static void test_rtp_empty_extension_parses(void **state)
{
	static const uint8_t ext0[16] = { 0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
					  0x10, 0x00, 0x00, 0x00 };
	struct vx_rtp_packet p;

	(void)state;
	assert_int_equal(vx_rtp_parse(&p, ext0, sizeof(ext0)), 0);
	assert_true(p.has_ext);
	assert_int_equal(p.ext_profile, 0x1000);
	assert_int_equal(p.ext_len, 0);
	assert_int_equal(p.payload_len, 0);
}

/* One row per way a packet is malformed. */
static void test_rtp_parse_rejects_each_malformation(void **state)
{
	static const struct {
		const char *why;
		uint8_t bytes[24];
		size_t len;
	} bad[] = {
		{ "empty", { 0 }, 0 },
		{ "11 bytes", { 0x80, 0x60 }, 11 },
		{ "version 0", { 0x00, 0x60 }, 12 },
		{ "version 1", { 0x40, 0x60 }, 12 },
		{ "version 3", { 0xc0, 0x60 }, 12 },
		{ "RTCP SR (PT 72 + M)", { 0x80, 0xc8 }, 12 },
		{ "RTCP RR (PT 73 + M)", { 0x80, 0xc9 }, 12 },
		{ "PT 74", { 0x80, 0x4a }, 12 },
		{ "PT 75", { 0x80, 0x4b }, 12 },
		{ "RTCP APP (PT 76)", { 0x80, 0xcc }, 12 },
		{ "CSRC list past the end", { 0x82, 0x60 }, 19 },
		{ "15 CSRCs in 24 bytes", { 0x8f, 0x60 }, 24 },
		{ "extension header cut", { 0x90, 0x60 }, 15 },
		{ "extension data past the end", { 0x90, 0x60, [12] = 0, 0, 0, 2 }, 23 },
		{ "extension after CSRC past the end", { 0x91, 0x60, [16] = 0, 0, 0, 1 }, 23 },
		{ "padding without room for the count", { 0xa0, 0x60 }, 12 },
		{ "padding count 0", { 0xa0, 0x60, [15] = 0 }, 16 },
		{ "padding count beyond the payload", { 0xa0, 0x60, [15] = 5 }, 16 },
		{ "padding count reaching into the extension",
		  { 0xb0, 0x60, [12] = 0, 0, 0, 1, [19] = 5 }, 20 },
		{ "padding count 255 in a short packet", { 0xa0, 0x60, [23] = 255 }, 24 },
	};
	struct vx_rtp_packet p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = vx_rtp_parse(&p, bad[i].bytes, bad[i].len);

		if (r != -EBADMSG)
			fail_msg("row %zu (%s): got %d", i, bad[i].why, r);
	}
}

/* The rows above with one byte changed are valid: each check has its exact edge. */
static void test_rtp_parse_accepts_the_edges(void **state)
{
	static const struct {
		const char *why;
		uint8_t bytes[24];
		size_t len;
		size_t payload_len;
	} good[] = {
		{ "PT 71", { 0x80, 0x47 }, 12, 0 },
		{ "PT 77", { 0x80, 0xcd }, 12, 0 },
		{ "2 CSRCs exactly", { 0x82, 0x60 }, 20, 0 },
		{ "extension data exactly", { 0x90, 0x60, [12] = 0, 0, 0, 2 }, 24, 0 },
		{ "padding count equal to the rest", { 0xa0, 0x60, [15] = 4 }, 16, 0 },
		{ "padding count 1", { 0xa0, 0x60, [15] = 1 }, 16, 3 },
		{ "no P bit: a trailing 0 is payload", { 0x80, 0x60, [15] = 0 }, 16, 4 },
	};
	struct vx_rtp_packet p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		int r = vx_rtp_parse(&p, good[i].bytes, good[i].len);

		if (r != 0 || p.payload_len != good[i].payload_len)
			fail_msg("row %zu (%s): got %d, payload %zu", i, good[i].why, r,
				 p.payload_len);
	}
}

static void test_rtp_encode_rejects_bad_arguments(void **state)
{
	struct vx_rtp_packet p;
	uint8_t out[64];

	(void)state;
	p = sample();
	p.pt = 128;
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), -EINVAL);
	p = sample();
	p.cc = 16;
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), -EINVAL);
	p = sample();
	p.ext_len = 3;
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), -EINVAL);
	p = sample();
	p.ext_len = VX_RTP_MAX_EXT_LEN + 4;
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), -EINVAL);
	p = sample();
	p.ext = NULL;
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), -EINVAL);
	p = sample();
	p.payload = NULL;
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), -EINVAL);
}

static void test_rtp_encode_needs_exactly_its_length(void **state)
{
	struct vx_rtp_packet p = sample();
	uint8_t out[64];

	(void)state;
	for (size_t cap = 0; cap < sizeof(sample_bytes); cap++)
		assert_int_equal(vx_rtp_encode(&p, out, cap), -ENOBUFS);
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(sample_bytes)), sizeof(sample_bytes));
	p.payload_len = SIZE_MAX; /* the overflow-safe comparison */
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), -ENOBUFS);
}

static void test_rtp_encode_in_place_moves_nothing(void **state)
{
	struct vx_rtp_packet p = sample();
	uint8_t out[64];

	(void)state;
	memcpy(out + vx_rtp_header_len(&p), payload3, sizeof(payload3));
	p.payload = out + vx_rtp_header_len(&p);
	assert_int_equal(vx_rtp_encode(&p, out, sizeof(out)), sizeof(sample_bytes));
	assert_memory_equal(out, sample_bytes, sizeof(sample_bytes));
}

/* Random headers survive encode -> parse with every field intact. */
static void test_rtp_random_packets_round_trip(void **state)
{
	uint64_t rng = 42;
	uint8_t payload[300], ext[64], out[1024];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct vx_rtp_packet p = { 0 }, q;
		uint64_t r = vx_rand64(&rng);
		ssize_t n;

		p.pt = (uint8_t)(r & 0x7f);
		if (p.pt >= 72 && p.pt <= 76)
			p.pt = 111;
		p.marker = r >> 7 & 1;
		p.seq = (uint16_t)(r >> 8);
		p.ts = (uint32_t)(r >> 24);
		p.ssrc = (uint32_t)vx_rand64(&rng);
		p.cc = (uint8_t)(r >> 56 & 15);
		for (unsigned k = 0; k < p.cc; k++)
			p.csrc[k] = (uint32_t)vx_rand64(&rng);
		p.has_ext = r >> 60 & 1;
		p.ext_profile = (uint16_t)(r >> 40);
		p.ext_len = p.has_ext ? 4 * (vx_rand64(&rng) % 17) : 0;
		p.ext = ext;
		for (size_t k = 0; k < sizeof(ext); k++)
			ext[k] = (uint8_t)vx_rand64(&rng);
		p.payload_len = vx_rand64(&rng) % sizeof(payload);
		p.payload = payload;
		for (size_t k = 0; k < p.payload_len; k++)
			payload[k] = (uint8_t)vx_rand64(&rng);
		p.pad = r >> 61 & 1 ? (uint8_t)(vx_rand64(&rng) % 255 + 1) : 0;

		n = vx_rtp_encode(&p, out, sizeof(out));
		assert_int_equal(n, vx_rtp_header_len(&p) + p.payload_len + p.pad);
		assert_int_equal(vx_rtp_parse(&q, out, (size_t)n), 0);
		assert_int_equal(q.pt, p.pt);
		assert_int_equal(q.marker, p.marker);
		assert_int_equal(q.seq, p.seq);
		assert_int_equal(q.ts, p.ts);
		assert_int_equal(q.ssrc, p.ssrc);
		assert_int_equal(q.cc, p.cc);
		assert_memory_equal(q.csrc, p.csrc, p.cc * sizeof(p.csrc[0]));
		assert_int_equal(q.has_ext, p.has_ext);
		if (p.has_ext) {
			assert_int_equal(q.ext_profile, p.ext_profile);
			assert_int_equal(q.ext_len, p.ext_len);
			assert_memory_equal(q.ext, ext, p.ext_len);
		}
		assert_int_equal(q.payload_len, p.payload_len);
		assert_memory_equal(q.payload, payload, p.payload_len);
		assert_int_equal(q.pad, p.pad);
	}
}

/* --- payload formats ---------------------------------------------------------------- */

static void test_rtp_formats_follow_rfc7587_and_rfc3551(void **state)
{
	static const struct {
		const char *enc;
		uint32_t rate;
		unsigned ch;
		int pt; /* -1: none */
		uint32_t clock;
		const char *rtpmap;
	} rows[] = {
		{ "opus", 48000, 1, 111, 48000, "opus/48000/2" },
		{ "opus", 48000, 2, 111, 48000, "opus/48000/2" },
		{ "OPUS", 16000, 1, 111, 48000, "opus/48000/2" }, /* clock stays 48 kHz */
		{ "opus", 8000, 2, 111, 48000, "opus/48000/2" },
		{ "opus", 44100, 1, -1, 0, NULL },
		{ "opus", 48000, 3, -1, 0, NULL },
		{ "L16", 44100, 1, 11, 44100, "L16/44100/1" },
		{ "l16", 44100, 2, 10, 44100, "L16/44100/2" },
		{ "L16", 48000, 1, 96, 48000, "L16/48000/1" },
		{ "L16", 48000, 2, 97, 48000, "L16/48000/2" },
		{ "L16", 16000, 1, -1, 0, NULL },
		{ "PCMU", 8000, 1, -1, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct vx_rtp_format *f = vx_rtp_format_find(rows[i].enc, rows[i].rate,
								   rows[i].ch);

		if (rows[i].pt < 0) {
			assert_null(f);
			continue;
		}
		assert_non_null(f);
		assert_int_equal(f->pt, rows[i].pt);
		assert_int_equal(f->clock, rows[i].clock);
		assert_string_equal(f->rtpmap, rows[i].rtpmap);
	}
	assert_string_equal(vx_rtp_format_by_pt(11)->rtpmap, "L16/44100/1");
	assert_string_equal(vx_rtp_format_by_pt(111)->encoding, "opus");
	assert_null(vx_rtp_format_by_pt(0));
}

static void test_rtp_ts_step_is_exact_or_einval(void **state)
{
	static const struct {
		uint32_t clock, frame_us;
		int step;
	} rows[] = {
		{ 48000, 2500, 120 },   { 48000, 20000, 960 }, { 48000, 60000, 2880 },
		{ 44100, 20000, 882 },  { 8000, 20000, 160 },  { 44100, 2500, -EINVAL },
		{ 48000, 0, -EINVAL },  { 0, 20000, -EINVAL }, { 48000, 1, -EINVAL },
		{ 4000000000u, 1000000, -EINVAL }, /* does not fit in an int */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		assert_int_equal(vx_rtp_ts_step(rows[i].clock, rows[i].frame_us), rows[i].step);
}

__extension__ typedef unsigned __int128 u128;

static void test_rtp_ts_from_ns_is_exact_modulo_2_32(void **state)
{
	static const uint32_t clocks[] = { 8000, 44100, 48000, 90000, 4294967295u };
	uint64_t rng = 7;

	(void)state;
	assert_int_equal(vx_rtp_ts_from_ns(1000000000, 48000), 48000);
	assert_int_equal(vx_rtp_ts_from_ns(20833, 48000), 0);    /* 0.99984 units */
	assert_int_equal(vx_rtp_ts_from_ns(20834, 48000), 1);
	for (int i = 0; i < 10000; i++) {
		uint64_t ns = i ? vx_rand64(&rng) : UINT64_MAX;
		uint32_t clock = clocks[(size_t)i % ARRAY_SIZE(clocks)];

		assert_int_equal(vx_rtp_ts_from_ns(ns, clock),
				 (uint32_t)((u128)ns * clock / 1000000000u));
	}
}

/* --- sequence numbers (A.1) --------------------------------------------------------- */

struct step {
	uint16_t seq;
	enum vx_rtp_seq want;
	uint32_t ext; /* checked for OK, LATE, RESYNC */
};

static void walk(struct vx_rtp_source *s, const struct step *steps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t ext = 0xdeadbeef;
		enum vx_rtp_seq r = vx_rtp_source_update(s, steps[i].seq, 0, 0, &ext);

		if (r != steps[i].want)
			fail_msg("%s step %zu (seq %u): result %d, want %d", name, i, steps[i].seq,
				 r, steps[i].want);
		if (r != VX_RTP_SEQ_PROBATION && r != VX_RTP_SEQ_BAD && ext != steps[i].ext)
			fail_msg("%s step %zu (seq %u): ext %u, want %u", name, i, steps[i].seq,
				 ext, steps[i].ext);
	}
}

#define WALK(s, t) walk(s, t, ARRAY_SIZE(t), #t)

static void report(struct vx_rtp_source *s, uint32_t ext_max, uint32_t expected,
		   uint32_t received, int64_t lost, uint8_t fraction)
{
	struct vx_rtp_stats st;

	vx_rtp_source_report(s, &st);
	assert_int_equal(st.ext_max_seq, ext_max);
	assert_int_equal(st.expected, expected);
	assert_int_equal(st.received, received);
	assert_int_equal(st.lost, lost);
	assert_int_equal(st.lost_rr, lost);
	assert_int_equal(st.fraction_lost, fraction);
}

static void test_rtp_seq_probation_needs_two_in_order(void **state)
{
	static const struct step restart[] = {
		{ 10, VX_RTP_SEQ_PROBATION, 0 },
		{ 12, VX_RTP_SEQ_PROBATION, 0 }, /* not 11: probation starts over */
		{ 14, VX_RTP_SEQ_PROBATION, 0 },
		{ 15, VX_RTP_SEQ_OK, 15 },       /* valid; the first counted packet */
		{ 16, VX_RTP_SEQ_OK, 16 },
	};
	struct vx_rtp_source s;
	struct vx_rtp_stats st;

	(void)state;
	vx_rtp_source_init(&s);
	vx_rtp_source_report(&s, &st);
	assert_int_equal(st.expected, 0);
	vx_rtp_source_update(&s, 10, 0, 0, NULL);
	vx_rtp_source_report(&s, &st); /* still on probation: nothing to report */
	assert_int_equal(st.expected, 0);
	assert_int_equal(st.received, 0);

	vx_rtp_source_init(&s);
	WALK(&s, restart);
	report(&s, 16, 2, 2, 0, 0);
}

/* The appendix's C would compare 0 with the int 65536 here and never validate. */
static void test_rtp_seq_probation_crosses_the_wrap(void **state)
{
	static const struct step wrap[] = {
		{ 65535, VX_RTP_SEQ_PROBATION, 0 },
		{ 0, VX_RTP_SEQ_OK, 0 },
		{ 1, VX_RTP_SEQ_OK, 1 },
	};
	struct vx_rtp_source s;

	(void)state;
	vx_rtp_source_init(&s);
	WALK(&s, wrap);
	report(&s, 1, 2, 2, 0, 0);
}

static void test_rtp_seq_extends_across_wraps_and_counts_late_packets(void **state)
{
	static const struct step steps[] = {
		{ 65533, VX_RTP_SEQ_PROBATION, 0 },
		{ 65534, VX_RTP_SEQ_OK, 65534 },
		{ 65535, VX_RTP_SEQ_OK, 65535 },
		{ 0, VX_RTP_SEQ_OK, 65536 },      /* cycle 1 */
		{ 1, VX_RTP_SEQ_OK, 65537 },
		{ 65535, VX_RTP_SEQ_LATE, 65535 }, /* a duplicate from cycle 0 */
		{ 1, VX_RTP_SEQ_LATE, 65537 },     /* a duplicate of the highest */
		{ 3, VX_RTP_SEQ_OK, 65539 },      /* 2 is missing */
		{ 2, VX_RTP_SEQ_LATE, 65538 },     /* ... and arrives late */
	};
	struct vx_rtp_source s;

	(void)state;
	vx_rtp_source_init(&s);
	WALK(&s, steps);
	/* A.3 counts duplicates as received, so "lost" goes negative. */
	report(&s, 65539, 6, 8, -2, 0);
}

static void test_rtp_seq_dropout_and_misorder_edges(void **state)
{
	static const struct step steps[] = {
		{ 99, VX_RTP_SEQ_PROBATION, 0 },
		{ 100, VX_RTP_SEQ_OK, 100 },
		{ 100 + 2999, VX_RTP_SEQ_OK, 3099 },       /* MAX_DROPOUT - 1 ahead: a gap */
		{ 3099 + 3000, VX_RTP_SEQ_BAD, 0 },        /* MAX_DROPOUT ahead: a jump */
		{ 3100, VX_RTP_SEQ_OK, 3100 },             /* the stream goes on */
		{ 3100 - 99, VX_RTP_SEQ_LATE, 3001 },      /* MAX_MISORDER - 1 behind: late */
		{ 3100 - 100, VX_RTP_SEQ_BAD, 0 },         /* MAX_MISORDER behind: a jump */
		{ 3101, VX_RTP_SEQ_OK, 3101 },
	};
	struct vx_rtp_source s;

	(void)state;
	vx_rtp_source_init(&s);
	WALK(&s, steps);
	/* 100..3101: 3002 expected; 100, 3099, 3100, 3001, 3101 received. */
	report(&s, 3101, 3002, 5, 2997, (uint8_t)(2997 * 256 / 3002));
}

static void test_rtp_seq_two_sequential_jumps_resync(void **state)
{
	static const struct step steps[] = {
		{ 9, VX_RTP_SEQ_PROBATION, 0 },
		{ 10, VX_RTP_SEQ_OK, 10 },
		{ 11, VX_RTP_SEQ_OK, 11 },
		{ 40000, VX_RTP_SEQ_BAD, 0 },
		{ 12, VX_RTP_SEQ_OK, 12 },         /* the old stream, interleaved */
		{ 40001, VX_RTP_SEQ_RESYNC, 40001 }, /* follows the jump: a restart */
		{ 40002, VX_RTP_SEQ_OK, 40002 },
		{ 12, VX_RTP_SEQ_BAD, 0 },         /* the old stream is now the jump */
		{ 40003, VX_RTP_SEQ_OK, 40003 },
		{ 20000, VX_RTP_SEQ_BAD, 0 },
		{ 30000, VX_RTP_SEQ_BAD, 0 },      /* not 20001: no resync */
		{ 40004, VX_RTP_SEQ_OK, 40004 },
	};
	struct vx_rtp_source s;

	(void)state;
	vx_rtp_source_init(&s);
	WALK(&s, steps);
	/* The statistics restarted at 40001. */
	report(&s, 40004, 4, 4, 0, 0);
}

/*
 * Far-behind packets: one MAX_MISORDER behind is a jump, but the one after it is
 * merely late (the late branch wins); two in a row that are both jumps resync.
 */
static void test_rtp_seq_two_old_packets_in_a_row_resync(void **state)
{
	static const struct step steps[] = {
		{ 999, VX_RTP_SEQ_PROBATION, 0 },
		{ 1000, VX_RTP_SEQ_OK, 1000 },
		{ 900, VX_RTP_SEQ_BAD, 0 },
		{ 901, VX_RTP_SEQ_LATE, 901 },
		{ 899, VX_RTP_SEQ_BAD, 0 },
		{ 900, VX_RTP_SEQ_RESYNC, 900 },
	};
	struct vx_rtp_source s;

	(void)state;
	vx_rtp_source_init(&s);
	WALK(&s, steps);
	report(&s, 900, 1, 1, 0, 0);
}

static void test_rtp_seq_fraction_lost_per_interval(void **state)
{
	struct vx_rtp_source s;
	uint16_t seq = 0;

	(void)state;
	vx_rtp_source_init(&s);
	vx_rtp_source_update(&s, seq++, 0, 0, NULL); /* probation */
	/* Interval 1: 1..1000, every 10th (10, 20, ...) lost: 100 of 1000. */
	for (; seq <= 1000; seq++)
		if (seq % 10)
			assert_int_equal(vx_rtp_source_update(&s, seq, 0, 0, NULL), VX_RTP_SEQ_OK);
	/* seq 1000 is lost, so the highest is 999: expected 999, lost 99. */
	report(&s, 999, 999, 900, 99, (uint8_t)(99 * 256 / 999));
	/* Interval 2: 1000..1499, nothing lost but what interval 1 left. */
	for (seq = 1001; seq < 1500; seq++)
		vx_rtp_source_update(&s, seq, 0, 0, NULL);
	report(&s, 1499, 1499, 1399, 100, (uint8_t)(1 * 256 / 500));
	/* Interval 3: half lost. */
	for (seq = 1500; seq < 1700; seq++)
		if (seq % 2)
			vx_rtp_source_update(&s, seq, 0, 0, NULL);
	report(&s, 1699, 1699, 1499, 200, 128);
	/* Interval 4: no progress, only duplicates: fraction 0, lost goes down. */
	for (int i = 0; i < 30; i++)
		vx_rtp_source_update(&s, 1699, 0, 0, NULL);
	report(&s, 1699, 1699, 1529, 170, 0);
	/* Interval 5: nothing at all. */
	report(&s, 1699, 1699, 1529, 170, 0);
}

static void test_rtp_seq_lost_clamps_to_24_bits(void **state)
{
	struct vx_rtp_source s;
	struct vx_rtp_stats st;
	uint16_t seq = 0;

	(void)state;
	vx_rtp_source_init(&s);
	vx_rtp_source_update(&s, seq, 0, 0, NULL);
	vx_rtp_source_update(&s, ++seq, 0, 0, NULL);
	/* 3000 gaps of 2998: 8994000 lost, above 2^23 - 1. */
	for (int i = 0; i < 3000; i++)
		assert_int_equal(vx_rtp_source_update(&s, seq += 2999, 0, 0, NULL), VX_RTP_SEQ_OK);
	vx_rtp_source_report(&s, &st);
	assert_int_equal(st.lost, 3000 * 2998);
	assert_int_equal(st.lost_rr, 0x7fffff);
	assert_int_equal(st.fraction_lost, (uint8_t)((uint64_t)3000 * 2998 * 256 / st.expected));

	/* 2^23 + 2 duplicates: below -2^23. */
	vx_rtp_source_init(&s);
	vx_rtp_source_update(&s, 0, 0, 0, NULL);
	vx_rtp_source_update(&s, 1, 0, 0, NULL);
	for (int i = 0; i < 0x800002; i++)
		vx_rtp_source_update(&s, 1, 0, 0, NULL);
	vx_rtp_source_report(&s, &st);
	assert_int_equal(st.lost, -0x800002);
	assert_int_equal(st.lost_rr, -0x800000);
}

/* A long stream over many wraps with loss and local reordering, against a count. */
static void test_rtp_seq_long_stream_matches_ground_truth(void **state)
{
	struct vx_rtp_source s;
	struct vx_rtp_stats st;
	uint64_t rng = 3, received = 1;
	const uint32_t n = 300000, start = 60000;
	uint32_t i = 2, max_sent = start + 1;

	(void)state;
	vx_rtp_source_init(&s);
	vx_rtp_source_update(&s, (uint16_t)start, 0, 0, NULL); /* probation */
	vx_rtp_source_update(&s, (uint16_t)(start + 1), 0, 0, NULL); /* valid, counted */
	while (i < n) {
		uint32_t ext, a = start + i;
		uint64_t r = vx_rand64(&rng) % 100;

		if (r < 3) { /* lost */
			i++;
			continue;
		}
		if (r < 6 && i + 1 < n) { /* swapped with the next one */
			assert_int_equal(vx_rtp_source_update(&s, (uint16_t)(a + 1), 0, 0, &ext),
					 VX_RTP_SEQ_OK);
			assert_int_equal(ext, a + 1);
			assert_int_equal(vx_rtp_source_update(&s, (uint16_t)a, 0, 0, &ext),
					 VX_RTP_SEQ_LATE);
			assert_int_equal(ext, a);
			received += 2;
			max_sent = a + 1;
			i += 2;
			continue;
		}
		assert_int_equal(vx_rtp_source_update(&s, (uint16_t)a, 0, 0, &ext), VX_RTP_SEQ_OK);
		assert_int_equal(ext, a);
		received++;
		max_sent = a;
		i++;
	}
	vx_rtp_source_report(&s, &st);
	assert_int_equal(st.ext_max_seq, max_sent);
	assert_int_equal(st.expected, max_sent - (start + 1) + 1);
	assert_int_equal(st.received, received);
	assert_int_equal(st.lost, (int64_t)st.expected - (int64_t)received);
}

/* --- jitter (6.4.1, A.8) ------------------------------------------------------------- */

/* Feed packets 20 ms apart whose transit times are @transit[i]; timestamps start
 * near 2^32 so they wrap on the way. Returns the estimate after each packet. */
static void feed(struct vx_rtp_source *s, const int64_t *transit, size_t n, double *j)
{
	uint32_t ts = 0xffffff00u, base = 123456789u;

	for (size_t i = 0; i < n; i++, ts += 960) {
		struct vx_rtp_stats st;

		assert_int_not_equal(vx_rtp_source_update(s, (uint16_t)(7 + i), ts,
							  ts + base + (uint32_t)transit[i], NULL),
				     VX_RTP_SEQ_BAD);
		vx_rtp_source_report(s, &st);
		j[i] = st.jitter_exact;
	}
}

static void test_rtp_jitter_of_constant_transit_is_zero(void **state)
{
	int64_t transit[50];
	double j[50];
	struct vx_rtp_source s;

	(void)state;
	for (size_t i = 0; i < 50; i++)
		transit[i] = 777;
	vx_rtp_source_init(&s);
	feed(&s, transit, 50, j);
	for (size_t i = 0; i < 50; i++)
		assert_true(j[i] == 0);
}

/*
 * Transit alternating 0 and x makes |D| = x for every pair, so from J = 0 the
 * filter gives J_k = x (1 - (15/16)^k) after k differences: it rises towards x and
 * never reaches or passes it. The first packet validates nothing (probation), the
 * second starts the count, so packet i >= 2 carries k = i - 1 differences. After
 * 400 packets (15/16)^399 < 7e-12: J is within that fraction of x.
 */
static void test_rtp_jitter_of_alternating_transit_converges_to_x(void **state)
{
	static const int64_t xs[] = { 1, 480, 48000, 1 << 30 };
	int64_t transit[400];
	double j[400];

	(void)state;
	for (size_t t = 0; t < ARRAY_SIZE(xs); t++) {
		struct vx_rtp_source s;
		double x = (double)xs[t];

		for (size_t i = 0; i < 400; i++)
			transit[i] = i % 2 ? xs[t] : 0;
		vx_rtp_source_init(&s);
		feed(&s, transit, 400, j);
		assert_true(j[0] == 0 && j[1] == 0);
		for (size_t i = 2; i < 400; i++) {
			double want = x * (1 - pow(15.0 / 16, (double)(i - 1)));

			if (fabs(j[i] - want) > 1e-12 * x || j[i] > x)
				fail_msg("x=%g packet %zu: J=%.17g, want %.17g", x, i, j[i], want);
		}
		assert_true(x - j[399] < 7e-12 * x);
	}
}

/* One step of x in transit: J jumps to x/16, then decays by 15/16 a packet. */
static void test_rtp_jitter_after_one_step_decays_geometrically(void **state)
{
	int64_t transit[100];
	double j[100];
	struct vx_rtp_source s;
	struct vx_rtp_stats st;

	(void)state;
	for (size_t i = 0; i < 100; i++)
		transit[i] = i < 10 ? 100 : 100 + 1600;
	vx_rtp_source_init(&s);
	feed(&s, transit, 100, j);
	assert_true(j[9] == 0);
	assert_true(j[10] == 100);
	for (size_t i = 11; i < 100; i++)
		assert_true(fabs(j[i] - 100 * pow(15.0 / 16, (double)(i - 10))) < 1e-9);
	vx_rtp_source_report(&s, &st);
	assert_int_equal(st.jitter, lrint(j[99]));
}

/* Negative steps count like positive ones: |D|. */
static void test_rtp_jitter_uses_the_magnitude_of_d(void **state)
{
	int64_t up[3] = { 0, 0, 1600 }, down[3] = { 1600, 1600, 0 };
	double ju[3], jd[3];
	struct vx_rtp_source s;

	(void)state;
	vx_rtp_source_init(&s);
	feed(&s, up, 3, ju);
	vx_rtp_source_init(&s);
	feed(&s, down, 3, jd);
	assert_true(ju[2] == 100 && jd[2] == 100);
}

/* A restart gives new timestamps: no difference across it, but J is kept. */
static void test_rtp_jitter_survives_a_resync_without_a_spurious_d(void **state)
{
	struct vx_rtp_source s;
	struct vx_rtp_stats st;

	(void)state;
	vx_rtp_source_init(&s);
	vx_rtp_source_update(&s, 1, 0, 1000, NULL);
	vx_rtp_source_update(&s, 2, 960, 1960, NULL);
	vx_rtp_source_update(&s, 3, 1920, 2920 + 160, NULL); /* D = 160: J = 10 */
	assert_int_equal(vx_rtp_source_update(&s, 30000, 5, 9, NULL), VX_RTP_SEQ_BAD);
	assert_int_equal(vx_rtp_source_update(&s, 30001, 999999, 7, NULL), VX_RTP_SEQ_RESYNC);
	vx_rtp_source_report(&s, &st);
	assert_true(st.jitter_exact == 10);
	vx_rtp_source_update(&s, 30002, 999999 + 960, 7 + 960 + 32, NULL); /* D = 32 */
	vx_rtp_source_report(&s, &st);
	assert_true(st.jitter_exact == 10 + (32 - 10) / 16.0);
	assert_int_equal(st.jitter, 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_encode_writes_rfc3550_layout),
		cmocka_unit_test(test_rtp_parse_reads_every_field),
		cmocka_unit_test(test_rtp_minimal_header_has_empty_payload),
		cmocka_unit_test(test_rtp_padding_may_fill_everything_after_the_header),
		cmocka_unit_test(test_rtp_empty_extension_parses),
		cmocka_unit_test(test_rtp_parse_rejects_each_malformation),
		cmocka_unit_test(test_rtp_parse_accepts_the_edges),
		cmocka_unit_test(test_rtp_encode_rejects_bad_arguments),
		cmocka_unit_test(test_rtp_encode_needs_exactly_its_length),
		cmocka_unit_test(test_rtp_encode_in_place_moves_nothing),
		cmocka_unit_test(test_rtp_random_packets_round_trip),
		cmocka_unit_test(test_rtp_formats_follow_rfc7587_and_rfc3551),
		cmocka_unit_test(test_rtp_ts_step_is_exact_or_einval),
		cmocka_unit_test(test_rtp_ts_from_ns_is_exact_modulo_2_32),
		cmocka_unit_test(test_rtp_seq_probation_needs_two_in_order),
		cmocka_unit_test(test_rtp_seq_probation_crosses_the_wrap),
		cmocka_unit_test(test_rtp_seq_extends_across_wraps_and_counts_late_packets),
		cmocka_unit_test(test_rtp_seq_dropout_and_misorder_edges),
		cmocka_unit_test(test_rtp_seq_two_sequential_jumps_resync),
		cmocka_unit_test(test_rtp_seq_two_old_packets_in_a_row_resync),
		cmocka_unit_test(test_rtp_seq_fraction_lost_per_interval),
		cmocka_unit_test(test_rtp_seq_lost_clamps_to_24_bits),
		cmocka_unit_test(test_rtp_seq_long_stream_matches_ground_truth),
		cmocka_unit_test(test_rtp_jitter_of_constant_transit_is_zero),
		cmocka_unit_test(test_rtp_jitter_of_alternating_transit_converges_to_x),
		cmocka_unit_test(test_rtp_jitter_after_one_step_decays_geometrically),
		cmocka_unit_test(test_rtp_jitter_uses_the_magnitude_of_d),
		cmocka_unit_test(test_rtp_jitter_survives_a_resync_without_a_spurious_d),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
