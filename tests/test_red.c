// SPDX-License-Identifier: MIT
/*
 * RFC 2198 redundant audio data. Payloads are checked byte by byte against
 * headers assembled by hand from the RFC's bit layout (F | PT 7 | ts offset 14 |
 * length 10, then F | PT 7 for the primary); random payloads round-trip; each
 * way a payload can be malformed has a row.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "transport/red.h"
#include "transport/rtp.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t prev[3] = { 0xaa, 0xbb, 0xcc };
static const uint8_t older[2] = { 0x11, 0x22 };
static const uint8_t newer[1] = { 0x33 };
static const uint8_t cur[4] = { 0x01, 0x02, 0x03, 0x04 };

/* One redundant block: the previous 20 ms Opus packet, 960 units back. */
static const uint8_t one_bytes[] = {
	0xef, 0x0f, 0x00, 0x03, /* F=1 PT=111 | offset 960 = 0b00001111000000 | length 3 */
	0x6f,                   /* F=0 PT=111: the primary */
	0xaa, 0xbb, 0xcc,       /* redundant data */
	0x01, 0x02, 0x03, 0x04, /* primary data */
};

/* Two: 1920 units back (2 bytes) and 960 units back (1 byte), oldest first. */
static const uint8_t two_bytes[] = {
	0xef, 0x1e, 0x00, 0x02, /* F=1 PT=111 | offset 1920 | length 2 */
	0xef, 0x0f, 0x00, 0x01, /* F=1 PT=111 | offset 960 | length 1 */
	0x6f,                   /* F=0 PT=111 */
	0x11, 0x22,             /* oldest */
	0x33,                   /* newer */
	0x01, 0x02, 0x03, 0x04, /* primary */
};

static const struct vx_red_block primary = { .pt = 111, .data = cur, .len = sizeof(cur) };

static void test_red_one_redundant_block_matches_rfc2198(void **state)
{
	const struct vx_red_block red = { .pt = 111, .ts_offset = 960, .data = prev, .len = 3 };
	struct vx_red_block b[VX_RED_MAX_BLOCKS];
	uint8_t out[64];
	size_t n = 0;

	(void)state;
	assert_int_equal(vx_red_encode(&red, 1, &primary, out, sizeof(out)), sizeof(one_bytes));
	assert_memory_equal(out, one_bytes, sizeof(one_bytes));

	assert_int_equal(vx_red_parse(one_bytes, sizeof(one_bytes), b, ARRAY_SIZE(b), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].pt, 111);
	assert_int_equal(b[0].ts_offset, 960);
	assert_ptr_equal(b[0].data, one_bytes + 5);
	assert_int_equal(b[0].len, 3);
	assert_int_equal(b[1].pt, 111);
	assert_int_equal(b[1].ts_offset, 0);
	assert_ptr_equal(b[1].data, one_bytes + 8);
	assert_int_equal(b[1].len, 4);
}

static void test_red_two_redundant_blocks_match_rfc2198(void **state)
{
	const struct vx_red_block red[2] = {
		{ .pt = 111, .ts_offset = 1920, .data = older, .len = 2 },
		{ .pt = 111, .ts_offset = 960, .data = newer, .len = 1 },
	};
	struct vx_red_block b[VX_RED_MAX_BLOCKS];
	uint8_t out[64];
	size_t n = 0;

	(void)state;
	assert_int_equal(vx_red_encode(red, 2, &primary, out, sizeof(out)), sizeof(two_bytes));
	assert_memory_equal(out, two_bytes, sizeof(two_bytes));

	assert_int_equal(vx_red_parse(two_bytes, sizeof(two_bytes), b, ARRAY_SIZE(b), &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(b[0].ts_offset, 1920);
	assert_int_equal(b[0].len, 2);
	assert_ptr_equal(b[0].data, two_bytes + 9);
	assert_int_equal(b[1].ts_offset, 960);
	assert_int_equal(b[1].len, 1);
	assert_ptr_equal(b[1].data, two_bytes + 11);
	assert_int_equal(b[2].pt, 111);
	assert_int_equal(b[2].len, 4);
	assert_ptr_equal(b[2].data, two_bytes + 12);
}

static void test_red_without_redundancy_is_one_header_byte(void **state)
{
	static const uint8_t bytes[] = { 0x6f, 0x01, 0x02, 0x03, 0x04 };
	struct vx_red_block b[1];
	uint8_t out[16];
	size_t n = 0;

	(void)state;
	assert_int_equal(vx_red_encode(NULL, 0, &primary, out, sizeof(out)), sizeof(bytes));
	assert_memory_equal(out, bytes, sizeof(bytes));
	assert_int_equal(vx_red_parse(bytes, sizeof(bytes), b, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].pt, 111);
	assert_ptr_equal(b[0].data, bytes + 1);
	assert_int_equal(b[0].len, 4);
}

/* Each field lands in its own bits: one row per field edge. */
static void test_red_header_fields_are_independent(void **state)
{
	static const struct {
		uint8_t pt;
		uint32_t ts_offset;
		size_t len;
		uint8_t header[4];
	} rows[] = {
		{ 0, 0, 0, { 0x80, 0x00, 0x00, 0x00 } },
		{ 0, 1, 0, { 0x80, 0x00, 0x04, 0x00 } },       /* offset's lowest bit */
		{ 0, 0x2000, 0, { 0x80, 0x80, 0x00, 0x00 } },  /* offset's highest bit */
		{ 0, 0, 1, { 0x80, 0x00, 0x00, 0x01 } },
		{ 0, 0, 0x100, { 0x80, 0x00, 0x01, 0x00 } },   /* length's bit 8 */
		{ 0, 0, 0x200, { 0x80, 0x00, 0x02, 0x00 } },   /* length's highest bit */
		{ 1, 0, 0, { 0x81, 0x00, 0x00, 0x00 } },
		{ 127, 0, 0, { 0xff, 0x00, 0x00, 0x00 } },
		{ 127, VX_RED_MAX_TS_OFFSET, VX_RED_MAX_BLOCK_LEN, { 0xff, 0xff, 0xff, 0xff } },
		{ 0, VX_RED_MAX_TS_OFFSET, 0, { 0x80, 0xff, 0xfc, 0x00 } },
		{ 0, 0, VX_RED_MAX_BLOCK_LEN, { 0x80, 0x00, 0x03, 0xff } },
	};
	static uint8_t data[VX_RED_MAX_BLOCK_LEN], out[VX_RED_MAX_BLOCK_LEN + 16];
	const struct vx_red_block p = { .pt = 0, .data = cur, .len = 1 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct vx_red_block red = { .pt = rows[i].pt, .ts_offset = rows[i].ts_offset,
						  .data = data, .len = rows[i].len };
		struct vx_red_block b[2];
		size_t n = 0;
		ssize_t len = vx_red_encode(&red, 1, &p, out, sizeof(out));

		assert_int_equal(len, 4 + 1 + rows[i].len + 1);
		if (memcmp(out, rows[i].header, 4))
			fail_msg("row %zu: header %02x %02x %02x %02x", i, out[0], out[1], out[2],
				 out[3]);
		assert_int_equal(out[4], 0x00);
		assert_int_equal(vx_red_parse(out, (size_t)len, b, 2, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(b[0].pt, rows[i].pt);
		assert_int_equal(b[0].ts_offset, rows[i].ts_offset);
		assert_int_equal(b[0].len, rows[i].len);
		assert_int_equal(b[1].len, 1);
	}
}

/* A RED payload inside an RTP packet: the redundant block's own timestamp. */
static void test_red_in_rtp_recovers_the_previous_packet(void **state)
{
	const struct vx_red_block red = { .pt = VX_RTP_PT_OPUS, .ts_offset = 960, .data = prev,
					  .len = sizeof(prev) };
	struct vx_rtp_packet p = { .pt = VX_RTP_PT_RED, .seq = 7, .ts = 500, .ssrc = 1 }, q;
	struct vx_red_block b[VX_RED_MAX_BLOCKS];
	uint8_t payload[64], packet[128];
	ssize_t plen, len;
	size_t n = 0;

	(void)state;
	plen = vx_red_encode(&red, 1, &primary, payload, sizeof(payload));
	assert_true(plen > 0);
	p.payload = payload;
	p.payload_len = (size_t)plen;
	len = vx_rtp_encode(&p, packet, sizeof(packet));
	assert_int_equal(len, VX_RTP_HEADER_LEN + sizeof(one_bytes));
	assert_int_equal(packet[1], 120);
	assert_int_equal(vx_rtp_parse(&q, packet, (size_t)len), 0);
	assert_int_equal(vx_red_parse(q.payload, q.payload_len, b, ARRAY_SIZE(b), &n), 0);
	assert_int_equal(n, 2);
	/* Across the wrap: 500 - 960 modulo 2^32. */
	assert_int_equal(q.ts - b[0].ts_offset, 4294966836u);
	assert_memory_equal(b[0].data, prev, sizeof(prev));
	assert_memory_equal(b[1].data, cur, sizeof(cur));
}

/* --- round trips ---------------------------------------------------------------------- */

static void test_red_random_payloads_round_trip(void **state)
{
	static uint8_t data[VX_RED_MAX_BLOCKS][1500], out[8192], again[8192];
	uint64_t rng = 2198;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		struct vx_red_block red[VX_RED_MAX_BLOCKS - 1], p, b[VX_RED_MAX_BLOCKS];
		size_t nred = vx_rand64(&rng) % VX_RED_MAX_BLOCKS, n = 0, total = 1 + 4 * nred;
		ssize_t len;

		for (size_t k = 0; k < nred; k++) {
			uint64_t r = vx_rand64(&rng);

			red[k].pt = (uint8_t)(r & 0x7f);
			red[k].ts_offset = (uint32_t)(r >> 8) & VX_RED_MAX_TS_OFFSET;
			red[k].len = (size_t)(r >> 24) % (VX_RED_MAX_BLOCK_LEN + 1);
			red[k].data = data[k];
			total += red[k].len;
		}
		p.pt = (uint8_t)(vx_rand64(&rng) & 0x7f);
		p.ts_offset = 12345; /* ignored */
		p.len = vx_rand64(&rng) % 1500 + 1;
		p.data = data[VX_RED_MAX_BLOCKS - 1];
		total += p.len;
		for (size_t k = 0; k < VX_RED_MAX_BLOCKS; k++)
			for (size_t j = 0; j < 1500; j += 8)
				data[k][j] = (uint8_t)vx_rand64(&rng);

		len = vx_red_encode(red, nred, &p, out, sizeof(out));
		assert_int_equal(len, total);
		assert_int_equal(vx_red_parse(out, (size_t)len, b, ARRAY_SIZE(b), &n), 0);
		assert_int_equal(n, nred + 1);
		for (size_t k = 0; k < nred; k++) {
			assert_int_equal(b[k].pt, red[k].pt);
			assert_int_equal(b[k].ts_offset, red[k].ts_offset);
			assert_int_equal(b[k].len, red[k].len);
			assert_memory_equal(b[k].data, red[k].data, red[k].len);
		}
		assert_int_equal(b[nred].pt, p.pt);
		assert_int_equal(b[nred].len, p.len);
		assert_memory_equal(b[nred].data, p.data, p.len);
		assert_int_equal(vx_red_encode(b, nred, &b[nred], again, sizeof(again)), len);
		assert_memory_equal(again, out, (size_t)len);
	}
}

/* --- malformed payloads --------------------------------------------------------------- */

static void test_red_parse_rejects_each_malformation(void **state)
{
	static const struct {
		const char *why;
		uint8_t bytes[24];
		size_t len;
	} bad[] = {
		{ "empty", { 0 }, 0 },
		{ "primary header only: empty primary", { 0x6f }, 1 },
		{ "redundant header cut to 1 byte", { 0xef }, 1 },
		{ "redundant header cut to 2 bytes", { 0xef, 0x0f }, 2 },
		{ "redundant header cut to 3 bytes", { 0xef, 0x0f, 0x00 }, 3 },
		{ "no primary header", { 0xef, 0x0f, 0x00, 0x00 }, 4 },
		{ "second header cut", { 0xef, 0x0f, 0x00, 0x00, 0xef, 0x00 }, 6 },
		{ "F set to the end", { 0xef, 0, 0, 0, 0xef, 0, 0, 0, 0x80, 0, 0, 0 }, 12 },
		{ "block longer than the data", { 0xef, 0x0f, 0x00, 0x05, 0x6f, 1, 2, 3 }, 8 },
		{ "block exactly the data: empty primary",
		  { 0xef, 0x0f, 0x00, 0x03, 0x6f, 1, 2, 3 }, 8 },
		{ "length 1023 in a short payload", { 0x80, 0x00, 0x03, 0xff, 0x00, 1 }, 6 },
		{ "lengths adding up past the data",
		  { 0xef, 0x00, 0x00, 0x02, 0xef, 0x00, 0x00, 0x02, 0x6f, 1, 2, 3 }, 12 },
		{ "lengths adding up to the data: empty primary",
		  { 0xef, 0x00, 0x00, 0x02, 0xef, 0x00, 0x00, 0x02, 0x6f, 1, 2, 3, 4 }, 13 },
		{ "four redundant blocks and a primary: five blocks",
		  { 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0x00, 1 }, 18 },
	};
	struct vx_red_block b[VX_RED_MAX_BLOCKS];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t n = 99;
		int r = vx_red_parse(bad[i].bytes, bad[i].len, b, ARRAY_SIZE(b), &n);

		if (r != -EBADMSG || n != 99)
			fail_msg("row %zu (%s): got %d, n %zu", i, bad[i].why, r, n);
	}
}

static void test_red_parse_holds_at_most_max_blocks(void **state)
{
	struct vx_red_block b[VX_RED_MAX_BLOCKS];
	size_t n = 0;

	(void)state;
	assert_int_equal(vx_red_parse(two_bytes, sizeof(two_bytes), b, 2, &n), -EBADMSG);
	assert_int_equal(vx_red_parse(two_bytes, sizeof(two_bytes), b, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(vx_red_parse(one_bytes, sizeof(one_bytes), b, 1, &n), -EBADMSG);
	assert_int_equal(vx_red_parse(one_bytes + 4, sizeof(one_bytes) - 4, b, 0, &n), -EBADMSG);
	assert_int_equal(vx_red_parse(one_bytes + 4, 2, b, 1, &n), 0);
	assert_int_equal(n, 1);
}

/* The primary's length is implicit: cutting the payload shortens it until it is gone. */
static void test_red_truncation_is_rejected_once_it_reaches_the_primary(void **state)
{
	const size_t floor_len = 4 + 4 + 1 + 3; /* headers and redundant data */
	struct vx_red_block b[VX_RED_MAX_BLOCKS];

	(void)state;
	for (size_t len = 0; len < sizeof(two_bytes); len++) {
		size_t n = 0;
		int r = vx_red_parse(two_bytes, len, b, ARRAY_SIZE(b), &n);

		if (len <= floor_len) {
			if (r != -EBADMSG)
				fail_msg("cut to %zu bytes: got %d", len, r);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(n, 3);
			assert_int_equal(b[2].len, len - floor_len);
		}
	}
}

/* A zero-length redundant block is legal (RFC 2198 does not forbid it). */
static void test_red_empty_redundant_block_parses(void **state)
{
	static const uint8_t bytes[] = { 0xef, 0x0f, 0x00, 0x00, 0x6f, 0x42 };
	struct vx_red_block b[2];
	size_t n = 0;

	(void)state;
	assert_int_equal(vx_red_parse(bytes, sizeof(bytes), b, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].len, 0);
	assert_int_equal(b[1].len, 1);
	assert_ptr_equal(b[1].data, bytes + 5);
}

static void test_red_encode_rejects_bad_arguments(void **state)
{
	struct vx_red_block red[VX_RED_MAX_BLOCKS], p;
	uint8_t out[64];

	(void)state;
	for (size_t k = 0; k < VX_RED_MAX_BLOCKS; k++)
		red[k] = (struct vx_red_block){ .pt = 111, .ts_offset = 960, .data = prev, .len = 3 };
	assert_int_equal(vx_red_encode(red, VX_RED_MAX_BLOCKS - 1, &primary, out, sizeof(out)),
			 1 + 4 * 3 + 9 + 4);
	assert_int_equal(vx_red_encode(red, VX_RED_MAX_BLOCKS, &primary, out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(vx_red_encode(NULL, 1, &primary, out, sizeof(out)), -EINVAL);
	red[0].pt = 128;
	assert_int_equal(vx_red_encode(red, 1, &primary, out, sizeof(out)), -EINVAL);
	red[0].pt = 111;
	red[0].ts_offset = VX_RED_MAX_TS_OFFSET + 1;
	assert_int_equal(vx_red_encode(red, 1, &primary, out, sizeof(out)), -EINVAL);
	red[0].ts_offset = 960;
	red[0].len = VX_RED_MAX_BLOCK_LEN + 1;
	assert_int_equal(vx_red_encode(red, 1, &primary, out, sizeof(out)), -EINVAL);
	red[0].len = 3;
	red[0].data = NULL;
	assert_int_equal(vx_red_encode(red, 1, &primary, out, sizeof(out)), -EINVAL);
	red[0].len = 0; /* NULL with no bytes is fine */
	assert_int_equal(vx_red_encode(red, 1, &primary, out, sizeof(out)), 4 + 1 + 4);

	p = primary;
	p.pt = 128;
	assert_int_equal(vx_red_encode(NULL, 0, &p, out, sizeof(out)), -EINVAL);
	p = primary;
	p.len = 0;
	assert_int_equal(vx_red_encode(NULL, 0, &p, out, sizeof(out)), -EINVAL);
	p = primary;
	p.data = NULL;
	assert_int_equal(vx_red_encode(NULL, 0, &p, out, sizeof(out)), -EINVAL);
	p = primary;
	p.ts_offset = UINT32_MAX; /* ignored */
	assert_int_equal(vx_red_encode(NULL, 0, &p, out, sizeof(out)), 5);
}

static void test_red_encode_needs_exactly_its_length(void **state)
{
	const struct vx_red_block red[2] = {
		{ .pt = 111, .ts_offset = 1920, .data = older, .len = 2 },
		{ .pt = 111, .ts_offset = 960, .data = newer, .len = 1 },
	};
	struct vx_red_block p = primary;
	uint8_t out[64];

	(void)state;
	for (size_t cap = 0; cap < sizeof(two_bytes); cap++)
		assert_int_equal(vx_red_encode(red, 2, &primary, out, cap), -ENOBUFS);
	assert_int_equal(vx_red_encode(red, 2, &primary, out, sizeof(two_bytes)),
			 sizeof(two_bytes));
	p.len = SIZE_MAX; /* the overflow-safe comparison */
	assert_int_equal(vx_red_encode(red, 2, &p, out, sizeof(out)), -ENOBUFS);
	p.len = SIZE_MAX - 12; /* fits a cap of SIZE_MAX, but the length is no ssize_t */
	assert_int_equal(vx_red_encode(red, 2, &p, out, SIZE_MAX), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_red_one_redundant_block_matches_rfc2198),
		cmocka_unit_test(test_red_two_redundant_blocks_match_rfc2198),
		cmocka_unit_test(test_red_without_redundancy_is_one_header_byte),
		cmocka_unit_test(test_red_header_fields_are_independent),
		cmocka_unit_test(test_red_in_rtp_recovers_the_previous_packet),
		cmocka_unit_test(test_red_random_payloads_round_trip),
		cmocka_unit_test(test_red_parse_rejects_each_malformation),
		cmocka_unit_test(test_red_parse_holds_at_most_max_blocks),
		cmocka_unit_test(test_red_truncation_is_rejected_once_it_reaches_the_primary),
		cmocka_unit_test(test_red_empty_redundant_block_parses),
		cmocka_unit_test(test_red_encode_rejects_bad_arguments),
		cmocka_unit_test(test_red_encode_needs_exactly_its_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
