// SPDX-License-Identifier: MIT
/* The serialization envelope and the exact baselines. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/exact.h"
#include "algorithms/ser.h"

static ssize_t write_sample(uint8_t *buf, size_t cap)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, VX_SER_CMS);
	vx_ser_u8(&w, 0x11);
	vx_ser_u16(&w, 0x2233);
	vx_ser_u32(&w, 0x44556677);
	vx_ser_u64(&w, 0x8899aabbccddeeffULL);
	vx_ser_f64(&w, 1.5);
	return vx_ser_finish(&w);
}

static void test_ser_layout_is_little_endian_with_envelope(void **state)
{
	static const uint8_t head[] = { 'V', 'X', 'S', 'K', VX_SER_VERSION, VX_SER_CMS, 0, 0,
					23, 0, 0, 0, 0x11, 0x33, 0x22, 0x77, 0x66, 0x55, 0x44,
					0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88 };
	uint8_t buf[64];

	(void)state;
	assert_int_equal(write_sample(NULL, 0), VX_SER_OVERHEAD + 23);
	assert_int_equal(write_sample(buf, sizeof(buf)), VX_SER_OVERHEAD + 23);
	assert_memory_equal(buf, head, sizeof(head));
}

static void test_ser_round_trip_reads_back_every_field(void **state)
{
	struct vx_ser_reader r;
	uint8_t buf[64];
	ssize_t n = write_sample(buf, sizeof(buf));

	(void)state;
	assert_int_equal(vx_ser_open(&r, buf, (size_t)n, VX_SER_CMS), 0);
	assert_int_equal(vx_ser_get_u8(&r), 0x11);
	assert_int_equal(vx_ser_get_u16(&r), 0x2233);
	assert_int_equal(vx_ser_get_u32(&r), 0x44556677);
	assert_true(vx_ser_get_u64(&r) == 0x8899aabbccddeeffULL);
	assert_true(vx_ser_get_f64(&r) == 1.5);
	assert_int_equal(vx_ser_close(&r), 0);
}

static void test_ser_small_buffer_returns_enospc(void **state)
{
	uint8_t buf[64];

	(void)state;
	assert_int_equal(write_sample(buf, VX_SER_OVERHEAD + 22), -ENOSPC);
}

static void test_ser_every_corruption_is_rejected(void **state)
{
	struct vx_ser_reader r;
	uint8_t buf[64];
	size_t n = (size_t)write_sample(buf, sizeof(buf));

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(vx_ser_open(&r, buf, n, VX_SER_CMS), -EINVAL);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	for (size_t len = 0; len < n; len++)
		assert_int_equal(vx_ser_open(&r, buf, len, VX_SER_CMS), -EINVAL);
	assert_int_equal(vx_ser_open(&r, buf, n, VX_SER_HLL), -EINVAL);
}

static void test_ser_reading_past_the_payload_fails_close(void **state)
{
	struct vx_ser_reader r;
	uint8_t buf[64];
	size_t n = (size_t)write_sample(buf, sizeof(buf));

	(void)state;
	assert_int_equal(vx_ser_open(&r, buf, n, VX_SER_CMS), 0);
	assert_non_null(vx_ser_get_bytes(&r, 23));
	assert_int_equal(vx_ser_get_u8(&r), 0);
	assert_int_equal(vx_ser_close(&r), -EINVAL);

	assert_int_equal(vx_ser_open(&r, buf, n, VX_SER_CMS), 0);
	assert_non_null(vx_ser_get_bytes(&r, 22));
	assert_int_equal(vx_ser_close(&r), -EINVAL); /* one byte left unread */
}

static void test_exact_counts_count_and_rank_top(void **state)
{
	static const char *words[] = { "b", "a", "c", "a", "b", "a", "", "" };
	struct vx_exact_counts *c;
	struct vx_exact_item top[8];

	(void)state;
	assert_int_equal(vx_exact_counts_create(&c), 0);
	for (size_t i = 0; i < 8; i++)
		assert_true(vx_exact_counts_add(c, words[i], strlen(words[i]), 1) >= 0);
	assert_int_equal(vx_exact_counts_distinct(c), 4);
	assert_int_equal(vx_exact_counts_total(c), 8);
	assert_int_equal(vx_exact_counts_get(c, "a", 1), 3);
	assert_int_equal(vx_exact_counts_get(c, "z", 1), 0);
	assert_int_equal(vx_exact_counts_top(c, top, 8), 4);
	assert_int_equal(top[0].count, 3);
	assert_memory_equal(top[0].key, "a", 1);
	assert_int_equal(top[1].len, 0); /* "" and "b" tie at 2: "" sorts first */
	assert_memory_equal(top[2].key, "b", 1);
	vx_exact_counts_destroy(c);
}

static void test_exact_counts_survive_growth(void **state)
{
	struct vx_exact_counts *c;

	(void)state;
	assert_int_equal(vx_exact_counts_create(&c), 0);
	for (uint32_t i = 0; i < 100000; i++)
		assert_int_equal(vx_exact_counts_add(c, &i, sizeof(i), i), 1);
	for (uint32_t i = 0; i < 100000; i += 997)
		assert_int_equal(vx_exact_counts_get(c, &i, sizeof(i)), i);
	assert_int_equal(vx_exact_counts_distinct(c), 100000);
	vx_exact_counts_destroy(c);
}

static void test_exact_values_quantile_by_nearest_rank(void **state)
{
	struct vx_exact_values *v;

	(void)state;
	assert_int_equal(vx_exact_values_create(&v), 0);
	assert_true(isnan(vx_exact_values_quantile(v, 0.5)));
	for (int i = 100; i >= 1; i--)
		assert_int_equal(vx_exact_values_add(v, i), 0);
	assert_true(vx_exact_values_quantile(v, 0) == 1);
	assert_true(vx_exact_values_quantile(v, 0.5) == 50);
	assert_true(vx_exact_values_quantile(v, 0.99) == 99);
	assert_true(vx_exact_values_quantile(v, 1) == 100);
	assert_int_equal(vx_exact_values_rank(v, 0.5), 0);
	assert_int_equal(vx_exact_values_rank(v, 50), 50);
	assert_int_equal(vx_exact_values_rank(v, 1000), 100);
	vx_exact_values_destroy(v);
}

static void test_exact_similarity(void **state)
{
	uint64_t a[] = { 5, 1, 3, 3, 7 }, b[] = { 3, 4, 5, 6 };
	float x[] = { 1, 0 }, y[] = { 1, 1 }, z[] = { 0, 0 };
	size_t na, nb;

	(void)state;
	na = vx_exact_sort_unique(a, 5);
	nb = vx_exact_sort_unique(b, 4);
	assert_int_equal(na, 4);
	assert_true(vx_exact_jaccard(a, na, b, nb) == 2.0 / 6.0);
	assert_true(vx_exact_jaccard(a, 0, b, 0) == 1.0);
	assert_true(fabs(vx_exact_cosine(x, y, 2) - sqrt(0.5)) < 1e-12);
	assert_true(vx_exact_cosine(x, z, 2) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ser_layout_is_little_endian_with_envelope),
		cmocka_unit_test(test_ser_round_trip_reads_back_every_field),
		cmocka_unit_test(test_ser_small_buffer_returns_enospc),
		cmocka_unit_test(test_ser_every_corruption_is_rejected),
		cmocka_unit_test(test_ser_reading_past_the_payload_fails_close),
		cmocka_unit_test(test_exact_counts_count_and_rank_top),
		cmocka_unit_test(test_exact_counts_survive_growth),
		cmocka_unit_test(test_exact_values_quantile_by_nearest_rank),
		cmocka_unit_test(test_exact_similarity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
