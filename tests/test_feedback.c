// SPDX-License-Identifier: MIT
/*
 * Feedback reports. The layout is checked byte by byte against a report
 * assembled by hand from the table in transport/feedback.h; random reports
 * round-trip; each way a report can be malformed has a row.
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
#include "transport/feedback.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- known answers -------------------------------------------------------------------- */

static struct vx_feedback_rr sample_rr(void)
{
	return (struct vx_feedback_rr){
		.ssrc = 0xcafef00d, .highest_seq = 0x00012345, .fraction_lost = 0x199a,
		.cumulative_lost = 42, .jitter = 480, .target_delay_us = 60000,
		.echo_ts = 0x89abcdef, .echo_delay_us = 1500,
		.bursts = 2, .burst = { { 1, 17 }, { 3, 5 } }, .burst_max_error = 3,
	};
}

static const uint8_t rr_bytes[VX_FEEDBACK_BYTES(2)] = {
	0x01, 0x02,                         /*  0: version 1, type 2 (RR) */
	0x0d, 0xf0, 0xfe, 0xca,             /*  2: ssrc */
	0x45, 0x23, 0x01, 0x00,             /*  6: highest_seq */
	0x9a, 0x19,                         /* 10: fraction_lost: 6554 ~ 0.1 */
	0x2a, 0x00, 0x00, 0x00,             /* 12: cumulative_lost: 42 */
	0xe0, 0x01, 0x00, 0x00,             /* 16: jitter: 480 (10 ms) */
	0x60, 0xea, 0x00, 0x00,             /* 20: target_delay_us: 60000 */
	0xef, 0xcd, 0xab, 0x89,             /* 24: echo_ts */
	0xdc, 0x05, 0x00, 0x00,             /* 28: echo_delay_us: 1500 */
	0x03, 0x00, 0x00, 0x00,             /* 32: burst_max_error: 3 */
	0x02,                               /* 36: bursts */
	0x01, 0x00, 0x11, 0x00, 0x00, 0x00, /* 37: length 1, count 17 */
	0x03, 0x00, 0x05, 0x00, 0x00, 0x00, /* 43: length 3, count 5 */
};

/* Byte offsets in rr_bytes, from the table in feedback.h. */
enum {
	AT_VERSION = 0,
	AT_TYPE = 1,
	AT_BURSTS = 36,
	AT_LENGTH0 = 37,
	AT_COUNT0 = 39,
	AT_LENGTH1 = 43,
	AT_COUNT1 = 45,
};

static void test_feedback_sizes_follow_the_layout(void **state)
{
	(void)state;
	assert_int_equal(VX_FEEDBACK_BYTES(0), 37);
	assert_int_equal(VX_FEEDBACK_BYTES(1), 43);
	assert_int_equal(VX_FEEDBACK_MAX_BYTES, 85);
	assert_int_equal(VX_FEEDBACK_MAX_BYTES, VX_FEEDBACK_BYTES(VX_FEEDBACK_MAX_BURSTS));
	assert_int_equal(sizeof(rr_bytes), 49);
}

static void test_feedback_rr_encodes_to_the_known_bytes(void **state)
{
	struct vx_feedback_rr rr = sample_rr();
	uint8_t out[VX_FEEDBACK_MAX_BYTES];

	(void)state;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), sizeof(rr_bytes));
	assert_memory_equal(out, rr_bytes, sizeof(rr_bytes));
}

static void test_feedback_rr_parses_every_field(void **state)
{
	struct vx_feedback_rr rr;

	(void)state;
	memset(&rr, 0xa5, sizeof(rr));
	assert_int_equal(vx_feedback_parse(&rr, rr_bytes, sizeof(rr_bytes)), 0);
	assert_int_equal(rr.ssrc, 0xcafef00d);
	assert_int_equal(rr.highest_seq, 0x12345);
	assert_int_equal(rr.fraction_lost, 0x199a);
	assert_int_equal(rr.cumulative_lost, 42);
	assert_int_equal(rr.jitter, 480);
	assert_int_equal(rr.target_delay_us, 60000);
	assert_int_equal(rr.echo_ts, 0x89abcdef);
	assert_int_equal(rr.echo_delay_us, 1500);
	assert_int_equal(rr.burst_max_error, 3);
	assert_int_equal(rr.bursts, 2);
	assert_int_equal(rr.burst[0].length, 1);
	assert_int_equal(rr.burst[0].count, 17);
	assert_int_equal(rr.burst[1].length, 3);
	assert_int_equal(rr.burst[1].count, 5);
	/* The unused entries are zeroed, not left as they were. */
	for (size_t i = 2; i < VX_FEEDBACK_MAX_BURSTS; i++)
		assert_true(rr.burst[i].length == 0 && rr.burst[i].count == 0);
}

static void test_feedback_rr_without_bursts_is_the_fixed_part(void **state)
{
	struct vx_feedback_rr rr = sample_rr(), back;
	uint8_t out[VX_FEEDBACK_MAX_BYTES];

	(void)state;
	rr.bursts = 0;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), 37);
	assert_memory_equal(out, rr_bytes, AT_BURSTS);
	assert_int_equal(out[AT_BURSTS], 0);
	assert_int_equal(vx_feedback_parse(&back, out, 37), 0);
	assert_int_equal(back.bursts, 0);
	assert_int_equal(back.echo_ts, 0x89abcdef);
}

/* --- round trips ---------------------------------------------------------------------- */

static struct vx_feedback_rr random_report(uint64_t *rng)
{
	struct vx_feedback_rr rr;
	uint64_t r = vx_rand64(rng);

	memset(&rr, 0, sizeof(rr));
	rr.ssrc = (uint32_t)vx_rand64(rng);
	rr.highest_seq = (uint32_t)vx_rand64(rng);
	rr.fraction_lost = (uint16_t)vx_rand64(rng);
	rr.cumulative_lost = (uint32_t)vx_rand64(rng);
	rr.jitter = (uint32_t)vx_rand64(rng);
	rr.target_delay_us = (uint32_t)vx_rand64(rng);
	rr.echo_ts = (uint32_t)vx_rand64(rng);
	rr.echo_delay_us = (uint32_t)vx_rand64(rng);
	rr.burst_max_error = (uint32_t)vx_rand64(rng);
	rr.bursts = (uint8_t)((r >> 8) % (VX_FEEDBACK_MAX_BURSTS + 1));
	/* Distinct lengths (i + 1 plus a multiple of 9), then most frequent first. */
	for (unsigned i = 0; i < rr.bursts; i++) {
		uint64_t v = vx_rand64(rng);

		rr.burst[i].length = (uint16_t)(i + 1 + 9 * (v % 7281));
		/* Small counts now and then, so that ties get sorted too. */
		rr.burst[i].count = v >> 63 ? (uint32_t)(v >> 13) % 3 + 1 : (uint32_t)(v >> 16) | 1;
	}
	vx_feedback_sort_bursts(&rr);
	return rr;
}

/* Field by field: struct copies need not keep padding bytes. */
static void assert_report_equal(const struct vx_feedback_rr *a, const struct vx_feedback_rr *b)
{
	assert_int_equal(a->ssrc, b->ssrc);
	assert_int_equal(a->highest_seq, b->highest_seq);
	assert_int_equal(a->fraction_lost, b->fraction_lost);
	assert_int_equal(a->cumulative_lost, b->cumulative_lost);
	assert_int_equal(a->jitter, b->jitter);
	assert_int_equal(a->target_delay_us, b->target_delay_us);
	assert_int_equal(a->echo_ts, b->echo_ts);
	assert_int_equal(a->echo_delay_us, b->echo_delay_us);
	assert_int_equal(a->burst_max_error, b->burst_max_error);
	assert_int_equal(a->bursts, b->bursts);
	for (unsigned i = 0; i < a->bursts; i++) {
		assert_int_equal(a->burst[i].length, b->burst[i].length);
		assert_int_equal(a->burst[i].count, b->burst[i].count);
	}
}

static void test_feedback_random_reports_round_trip(void **state)
{
	uint64_t rng = 2024;
	uint8_t out[VX_FEEDBACK_MAX_BYTES], again[VX_FEEDBACK_MAX_BYTES];
	unsigned seen[VX_FEEDBACK_MAX_BURSTS + 1] = { 0 };

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct vx_feedback_rr rr = random_report(&rng), back;
		ssize_t n = vx_feedback_encode(&rr, out, sizeof(out));

		assert_int_equal(n, VX_FEEDBACK_BYTES((size_t)rr.bursts));
		assert_int_equal(vx_feedback_parse(&back, out, (size_t)n), 0);
		assert_report_equal(&back, &rr);
		assert_int_equal(vx_feedback_encode(&back, again, sizeof(again)), n);
		assert_memory_equal(again, out, (size_t)n);
		seen[rr.bursts]++;
	}
	/* Every burst count came up. */
	for (size_t b = 0; b <= VX_FEEDBACK_MAX_BURSTS; b++)
		assert_true(seen[b] > 0);
}

/* --- malformed reports ---------------------------------------------------------------- */

static void test_feedback_every_truncation_is_rejected(void **state)
{
	struct vx_feedback_rr rr = sample_rr(), back;
	uint8_t none[VX_FEEDBACK_BYTES(0)], max[VX_FEEDBACK_MAX_BYTES];
	const struct {
		const uint8_t *bytes;
		size_t len;
	} reports[] = {
		{ none, sizeof(none) },
		{ rr_bytes, sizeof(rr_bytes) },
		{ max, sizeof(max) },
	};

	(void)state;
	rr.bursts = 0;
	assert_int_equal(vx_feedback_encode(&rr, none, sizeof(none)), sizeof(none));
	rr.bursts = VX_FEEDBACK_MAX_BURSTS;
	for (unsigned i = 0; i < VX_FEEDBACK_MAX_BURSTS; i++) {
		rr.burst[i].length = (uint16_t)(100 + i);
		rr.burst[i].count = 50 - i;
	}
	assert_int_equal(vx_feedback_encode(&rr, max, sizeof(max)), sizeof(max));
	for (size_t r = 0; r < ARRAY_SIZE(reports); r++) {
		assert_int_equal(vx_feedback_parse(&back, reports[r].bytes, reports[r].len), 0);
		for (size_t len = 0; len < reports[r].len; len++)
			if (vx_feedback_parse(&back, reports[r].bytes, len) != -EBADMSG)
				fail_msg("report %zu cut to %zu bytes was accepted", r, len);
	}
}

static void test_feedback_trailing_bytes_are_rejected(void **state)
{
	uint8_t buf[VX_FEEDBACK_MAX_BYTES + 8];
	struct vx_feedback_rr rr;

	(void)state;
	for (size_t extra = 1; extra <= 8; extra++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, rr_bytes, sizeof(rr_bytes));
		assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(rr_bytes) + extra), -EBADMSG);
		/* Without bursts too. */
		buf[AT_BURSTS] = 0;
		assert_int_equal(vx_feedback_parse(&rr, buf, VX_FEEDBACK_BYTES(0)), 0);
		assert_int_equal(vx_feedback_parse(&rr, buf, VX_FEEDBACK_BYTES(0) + extra), -EBADMSG);
	}
	/* Six trailing bytes look like one more entry, but the count says two. */
	memcpy(buf, rr_bytes, sizeof(rr_bytes));
	memcpy(buf + sizeof(rr_bytes), (const uint8_t[]){ 4, 0, 1, 0, 0, 0 }, 6);
	assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(rr_bytes) + 6), -EBADMSG);
	buf[AT_BURSTS] = 3;
	assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(rr_bytes) + 6), 0);
	assert_int_equal(rr.burst[2].length, 4);
	assert_int_equal(rr.burst[2].count, 1);
}

/* Every version but 1 and every type but 2, at the sample's own length. */
static void test_feedback_parse_rejects_other_versions_and_types(void **state)
{
	uint8_t buf[sizeof(rr_bytes)];
	struct vx_feedback_rr rr;

	(void)state;
	for (unsigned v = 0; v <= UINT8_MAX; v++) {
		memcpy(buf, rr_bytes, sizeof(buf));
		buf[AT_VERSION] = (uint8_t)v;
		if (vx_feedback_parse(&rr, buf, sizeof(buf)) != (v == VX_FEEDBACK_VERSION ? 0 : -EBADMSG))
			fail_msg("version %u", v);
	}
	for (unsigned t = 0; t <= UINT8_MAX; t++) {
		memcpy(buf, rr_bytes, sizeof(buf));
		buf[AT_TYPE] = (uint8_t)t;
		if (vx_feedback_parse(&rr, buf, sizeof(buf)) != (t == VX_FEEDBACK_TYPE_RR ? 0 : -EBADMSG))
			fail_msg("type %u", t);
	}
	/* The removed sender report: type 1 at its old length of 22 bytes. */
	memcpy(buf, rr_bytes, 22);
	buf[AT_TYPE] = 1;
	assert_int_equal(vx_feedback_parse(&rr, buf, 22), -EBADMSG);
}

/* One row per malformation of the sample: the byte at @at becomes @value. */
static void test_feedback_parse_rejects_each_bad_field(void **state)
{
	static const struct {
		const char *why;
		size_t at;
		uint8_t value;
	} bad[] = {
		{ "version 0", AT_VERSION, 0 },
		{ "version 2", AT_VERSION, 2 },
		{ "version 255", AT_VERSION, 255 },
		{ "type 0", AT_TYPE, 0 },
		{ "type 1 (the old SR)", AT_TYPE, 1 },
		{ "type 3", AT_TYPE, 3 },
		{ "type 255", AT_TYPE, 255 },
		{ "bursts 0 at 2's length", AT_BURSTS, 0 },
		{ "bursts 1 at 2's length", AT_BURSTS, 1 },
		{ "bursts 3 at 2's length", AT_BURSTS, 3 },
		{ "bursts 9", AT_BURSTS, 9 },
		{ "bursts 255", AT_BURSTS, 255 },
		{ "burst length 0", AT_LENGTH0, 0 },
		{ "second burst length 0", AT_LENGTH1, 0 },
		{ "burst count 0", AT_COUNT0, 0 },
		{ "second burst count 0", AT_COUNT1, 0 },
		{ "a length twice", AT_LENGTH1, 1 },
		{ "counts increasing", AT_COUNT1, 18 },
	};
	uint8_t buf[sizeof(rr_bytes)];
	struct vx_feedback_rr rr;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r;

		memcpy(buf, rr_bytes, sizeof(buf));
		buf[bad[i].at] = bad[i].value;
		r = vx_feedback_parse(&rr, buf, sizeof(buf));
		if (r != -EBADMSG)
			fail_msg("row %zu (%s): got %d", i, bad[i].why, r);
	}
}

/* More than the maximum of burst entries, at the length they would call for. */
static void test_feedback_parse_rejects_too_many_bursts(void **state)
{
	uint8_t buf[VX_FEEDBACK_BYTES(VX_FEEDBACK_MAX_BURSTS + 1)];
	struct vx_feedback_rr rr;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, rr_bytes, AT_BURSTS);
	for (unsigned i = 0; i <= VX_FEEDBACK_MAX_BURSTS; i++) {
		uint8_t *b = buf + AT_LENGTH0 + 6 * i;

		b[0] = (uint8_t)(i + 1); /* length i + 1, count 100 - i */
		b[2] = (uint8_t)(100 - i);
	}
	buf[AT_BURSTS] = VX_FEEDBACK_MAX_BURSTS;
	assert_int_equal(vx_feedback_parse(&rr, buf, VX_FEEDBACK_MAX_BYTES), 0);
	buf[AT_BURSTS] = VX_FEEDBACK_MAX_BURSTS + 1;
	assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(buf)), -EBADMSG);
	assert_int_equal(vx_feedback_parse(&rr, buf, VX_FEEDBACK_MAX_BYTES), -EBADMSG);
}

/* The edges next to those rows are valid. */
static void test_feedback_parse_accepts_the_edges(void **state)
{
	uint8_t buf[sizeof(rr_bytes)];
	struct vx_feedback_rr rr;

	(void)state;
	memcpy(buf, rr_bytes, sizeof(buf));
	buf[AT_COUNT1] = 17; /* equal counts */
	assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(buf)), 0);
	buf[AT_LENGTH1] = 0xff, buf[AT_LENGTH1 + 1] = 0xff; /* the longest burst */
	assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(buf)), 0);
	assert_int_equal(rr.burst[1].length, 65535);
	buf[AT_LENGTH0] = 0, buf[AT_LENGTH0 + 1] = 1; /* lengths in any order */
	assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(buf)), 0);
	assert_int_equal(rr.burst[0].length, 256);
	/* The largest count. */
	memset(buf + AT_COUNT0, 0xff, 4);
	assert_int_equal(vx_feedback_parse(&rr, buf, sizeof(buf)), 0);
	assert_int_equal(rr.burst[0].count, UINT32_MAX);
}

static void test_feedback_encode_rejects_bad_fields(void **state)
{
	uint8_t out[VX_FEEDBACK_MAX_BYTES];
	struct vx_feedback_rr rr;

	(void)state;
	rr = sample_rr();
	rr.bursts = VX_FEEDBACK_MAX_BURSTS + 1;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	rr = sample_rr();
	rr.bursts = 255;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	rr = sample_rr();
	rr.burst[1].length = 0;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	rr = sample_rr();
	rr.burst[0].length = 0;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	rr = sample_rr();
	rr.burst[0].count = 0;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	rr = sample_rr();
	rr.burst[1].count = 0;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	rr = sample_rr();
	rr.burst[1].length = rr.burst[0].length;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	rr = sample_rr();
	rr.burst[1].count = rr.burst[0].count + 1;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), -EINVAL);
	/* Equal counts are fine. */
	rr = sample_rr();
	rr.burst[1].count = rr.burst[0].count;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), sizeof(rr_bytes));
	/* Entries past @bursts are not read. */
	rr = sample_rr();
	rr.burst[2].length = 0;
	rr.burst[3].length = 1;
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), sizeof(rr_bytes));
	assert_memory_equal(out, rr_bytes, sizeof(rr_bytes));
	/* -EINVAL wins over -ENOBUFS. */
	rr.bursts = 9;
	assert_int_equal(vx_feedback_encode(&rr, out, 0), -EINVAL);
}

static void test_feedback_encode_needs_exactly_its_length(void **state)
{
	struct vx_feedback_rr rr = sample_rr();
	uint8_t out[VX_FEEDBACK_MAX_BYTES];

	(void)state;
	for (size_t cap = 0; cap < sizeof(rr_bytes); cap++)
		assert_int_equal(vx_feedback_encode(&rr, out, cap), -ENOBUFS);
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(rr_bytes)), sizeof(rr_bytes));
	rr.bursts = 0;
	for (size_t cap = 0; cap < VX_FEEDBACK_BYTES(0); cap++)
		assert_int_equal(vx_feedback_encode(&rr, out, cap), -ENOBUFS);
	assert_int_equal(vx_feedback_encode(&rr, out, VX_FEEDBACK_BYTES(0)), VX_FEEDBACK_BYTES(0));
}

/* --- helpers -------------------------------------------------------------------------- */

static void test_feedback_sort_bursts_puts_the_most_frequent_first(void **state)
{
	struct vx_feedback_rr rr = {
		.bursts = 6,
		.burst = { { 2, 3 }, { 1, 40 }, { 7, 3 }, { 5, 9 }, { 4, 3 }, { 9, 1 } },
	};
	static const struct { uint16_t length; uint32_t count; } want[] = {
		{ 1, 40 }, { 5, 9 }, { 2, 3 }, { 4, 3 }, { 7, 3 }, { 9, 1 },
	};
	uint8_t out[VX_FEEDBACK_MAX_BYTES];

	(void)state;
	vx_feedback_sort_bursts(&rr);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(rr.burst[i].length, want[i].length);
		assert_int_equal(rr.burst[i].count, want[i].count);
	}
	assert_int_equal(vx_feedback_encode(&rr, out, sizeof(out)), VX_FEEDBACK_BYTES(6));
	rr.bursts = 200;
	vx_feedback_sort_bursts(&rr);
	assert_int_equal(rr.bursts, VX_FEEDBACK_MAX_BURSTS);
}

static void test_feedback_fraction_conversions(void **state)
{
	static const struct {
		double f;
		uint16_t u;
	} from[] = {
		{ 0.0, 0 },
		{ -0.5, 0 },
		{ -(double)INFINITY, 0 },
		{ (double)NAN, 0 },
		{ 0.49 / 65536, 0 },
		{ 0.5 / 65536, 1 },       /* halves round up */
		{ 1.0 / 65536, 1 },
		{ 0.1, 6554 },            /* 6553.6 */
		{ 0.25, 16384 },
		{ 0.5, 32768 },
		{ 65534.49 / 65536, 65534 },
		{ 65534.5 / 65536, 65535 },
		{ 1.0, 65535 },
		{ 1.5, 65535 },
		{ (double)INFINITY, 65535 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(from); i++)
		if (vx_feedback_fraction_from(from[i].f) != from[i].u)
			fail_msg("row %zu: %g -> %u, want %u", i, from[i].f,
				 vx_feedback_fraction_from(from[i].f), from[i].u);
	assert_true(vx_feedback_fraction(0) == 0.0);
	assert_true(vx_feedback_fraction(32768) == 0.5);
	assert_true(vx_feedback_fraction(65534) == 65534 / 65536.0);
	assert_true(vx_feedback_fraction(65535) == 1.0);
	for (uint32_t u = 0; u <= UINT16_MAX; u++)
		assert_int_equal(vx_feedback_fraction_from(vx_feedback_fraction((uint16_t)u)), u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feedback_sizes_follow_the_layout),
		cmocka_unit_test(test_feedback_rr_encodes_to_the_known_bytes),
		cmocka_unit_test(test_feedback_rr_parses_every_field),
		cmocka_unit_test(test_feedback_rr_without_bursts_is_the_fixed_part),
		cmocka_unit_test(test_feedback_random_reports_round_trip),
		cmocka_unit_test(test_feedback_every_truncation_is_rejected),
		cmocka_unit_test(test_feedback_trailing_bytes_are_rejected),
		cmocka_unit_test(test_feedback_parse_rejects_other_versions_and_types),
		cmocka_unit_test(test_feedback_parse_rejects_each_bad_field),
		cmocka_unit_test(test_feedback_parse_rejects_too_many_bursts),
		cmocka_unit_test(test_feedback_parse_accepts_the_edges),
		cmocka_unit_test(test_feedback_encode_rejects_bad_fields),
		cmocka_unit_test(test_feedback_encode_needs_exactly_its_length),
		cmocka_unit_test(test_feedback_sort_bursts_puts_the_most_frequent_first),
		cmocka_unit_test(test_feedback_fraction_conversions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
