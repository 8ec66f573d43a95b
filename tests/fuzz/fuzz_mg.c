// SPDX-License-Identifier: MIT
/*
 * Fuzz target for Misra–Gries. The first byte picks the mode:
 *   0: the rest as a whole buffer to vx_mg_deserialize() (fuzzes the envelope);
 *   1: the rest as the payload of a sealed envelope (fuzzes mg's own checks);
 *   2: the rest as a program of adds and merges on two sketches, whose bounds
 *      are then checked against exact counts.
 * Any accepted buffer must answer queries consistently, re-serialize to the
 * same bytes, and stay valid after merging with itself and more adds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/exact.h"
#include "algorithms/mg.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *serialize(const struct vx_mg *s, size_t *len)
{
	ssize_t n = vx_mg_serialize(s, NULL, 0);
	uint8_t *buf;

	CHECK(n > 0);
	buf = malloc((size_t)n);
	CHECK(buf);
	CHECK(vx_mg_serialize(s, buf, (size_t)n) == n);
	*len = (size_t)n;
	return buf;
}

/* Queries agree with the listing, and the invariant (k+1) D + sum <= N holds. */
static void check_queries(const struct vx_mg *s, size_t k)
{
	struct vx_mg_item items[64];
	size_t n = vx_mg_items(s, items, 64), shown = n < 64 ? n : 64;
	uint64_t d = vx_mg_max_error(s), sum = 0;

	CHECK(n <= k);
	for (size_t i = 0; i < shown; i++) {
		uint64_t lo, up;

		vx_mg_query(s, items[i].key, items[i].len, &lo, &up);
		CHECK(lo == items[i].lower && up == items[i].upper && lo >= 1 && up == lo + d);
		CHECK(i == 0 || items[i - 1].lower >= items[i].lower);
		sum += lo;
	}
	CHECK(sum <= vx_mg_total(s));
	CHECK(d <= (vx_mg_total(s) - sum) / (k + 1));
}

/* A serialized sketch that must be accepted, with k and max_key_bytes read
 * from the documented payload. */
static void check_accepted(const uint8_t *buf, size_t len, int depth)
{
	struct vx_mg *s, *twin;
	size_t k, max_key, len2;
	uint8_t *again;

	CHECK(vx_mg_deserialize(&s, buf, len) == 0);
	k = (size_t)buf[12] | (size_t)buf[13] << 8 | (size_t)buf[14] << 16 | (size_t)buf[15] << 24;
	max_key = (size_t)buf[16] | (size_t)buf[17] << 8 | (size_t)buf[18] << 16;
	check_queries(s, k);
	again = serialize(s, &len2);
	CHECK(len2 == len && memcmp(again, buf, len) == 0);
	free(again);
	if (depth == 0) {
		/* Merged with a copy of itself, then fed: still a valid sketch. */
		CHECK(vx_mg_deserialize(&twin, buf, len) == 0);
		if (vx_mg_merge(s, twin) == 0) {
			CHECK(vx_mg_add(s, "fuzz", max_key < 4 ? max_key : 4, 3) != -E2BIG);
			CHECK(vx_mg_add(s, buf, max_key < len ? max_key : len, 1) != -E2BIG);
			again = serialize(s, &len2);
			check_accepted(again, len2, 1);
			free(again);
		}
		vx_mg_destroy(twin);
	}
	vx_mg_destroy(s);
}

static void check_bounds(const struct vx_mg *s, struct vx_exact_counts *ex, size_t k)
{
	size_t nd = vx_exact_counts_distinct(ex);
	struct vx_exact_item *all = malloc((nd ? nd : 1) * sizeof(*all));
	uint64_t n = vx_mg_total(s), d = vx_mg_max_error(s);

	CHECK(all);
	CHECK(n == vx_exact_counts_total(ex));
	CHECK(d <= n / (k + 1));
	CHECK(vx_exact_counts_top(ex, all, nd) == (long)nd);
	for (size_t i = 0; i < nd; i++) {
		uint64_t lo, up, f = all[i].count;

		vx_mg_query(s, all[i].key, all[i].len, &lo, &up);
		CHECK(lo <= f && f <= up && up == lo + d);
		if (f > n / (k + 1))
			CHECK(lo > 0);
	}
	free(all);
}

/* Mode 2: byte 0 = k - 1 (mod 16), byte 1 = max_key_bytes (mod 12); then
 * ops: 0xff merges b into a; otherwise bit 7 picks the sketch, bits 0-3 the
 * key length, bits 4-6 the count - 1, and the key bytes follow. */
static void run_ops(const uint8_t *p, size_t n)
{
	struct vx_exact_counts *ex;
	struct vx_mg *a, *b;
	size_t k, max_key, i = 2, len;
	uint8_t *buf;

	if (n < 2)
		return;
	k = 1 + p[0] % 16;
	max_key = p[1] % 12;
	CHECK(vx_mg_create(&a, k, max_key) == 0);
	CHECK(vx_mg_create(&b, k, max_key) == 0);
	CHECK(vx_exact_counts_create(&ex) == 0);
	while (i < n) {
		uint8_t op = p[i++];
		size_t klen = op & 15;
		uint64_t count = 1 + (op >> 4 & 7);
		int ret;

		if (op == 0xff) {
			CHECK(vx_mg_merge(a, b) == 0);
			vx_mg_destroy(b);
			CHECK(vx_mg_create(&b, k, max_key) == 0);
			continue;
		}
		if (klen > n - i)
			klen = n - i;
		ret = vx_mg_add(op & 0x80 ? b : a, p + i, klen, count);
		CHECK(ret == (klen > max_key ? -E2BIG : 0));
		if (!ret)
			CHECK(vx_exact_counts_add(ex, p + i, klen, count) >= 0);
		i += klen;
	}
	CHECK(vx_mg_merge(a, b) == 0);
	check_bounds(a, ex, k);
	buf = serialize(a, &len);
	check_accepted(buf, len, 0);
	free(buf);
	vx_mg_destroy(a);
	vx_mg_destroy(b);
	vx_exact_counts_destroy(ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_mg *s = NULL;
	uint8_t *buf = NULL;
	const uint8_t *in;
	size_t len;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 2) {
		run_ops(data + 1, size - 1);
		return 0;
	}
	in = vx_fuzz_input(VX_SER_MG, data[0] % 3 == 1, data + 1, size - 1, &len, &buf);
	if (!in)
		return 0;
	if (vx_mg_deserialize(&s, in, len) == 0) {
		vx_mg_destroy(s);
		check_accepted(in, len, 0);
	}
	free(buf);
	return 0;
}
