// SPDX-License-Identifier: MIT
/*
 * Fuzz target for Count-Min. The first byte picks the mode:
 *   0: the rest as a whole buffer to vx_cms_deserialize() (fuzzes the envelope);
 *   1: the rest as the payload of a sealed envelope (fuzzes cms's own checks);
 *   2: the rest as a program of weighted adds to a sketch, split over two
 *      halves too, then checked: never under-counts, conservative <= standard,
 *      standard halves merge to the whole.
 * Any accepted buffer must answer queries, re-serialize to the same bytes,
 * and stay valid after merging with itself and more adds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/cms.h"
#include "algorithms/hash.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *serialize(const struct vx_cms *s, size_t *len)
{
	ssize_t n = vx_cms_serialize(s, NULL, 0);
	uint8_t *buf;

	CHECK(n > 0);
	buf = malloc((size_t)n);
	CHECK(buf);
	CHECK(vx_cms_serialize(s, buf, (size_t)n) == n);
	*len = (size_t)n;
	return buf;
}

static void check_accepted(const uint8_t *buf, size_t len, int depth)
{
	struct vx_cms *s, *twin;
	uint8_t *again;
	size_t len2;

	CHECK(vx_cms_deserialize(&s, buf, len) == 0);
	for (uint64_t h = 0; h < 16; h++)
		CHECK(vx_cms_estimate_hash(s, h) <= UINT32_MAX);
	CHECK(vx_cms_estimate(s, buf, len) <= vx_cms_total(s));
	again = serialize(s, &len2);
	CHECK(len2 == len && memcmp(again, buf, len) == 0);
	free(again);
	if (depth == 0) {
		CHECK(vx_cms_deserialize(&twin, buf, len) == 0);
		CHECK(vx_cms_merge(s, twin) == 0);
		vx_cms_add(s, buf, len, 7);
		vx_cms_add_hash(s, len, UINT64_MAX / 3);
		again = serialize(s, &len2);
		check_accepted(again, len2, 1);
		free(again);
		vx_cms_destroy(twin);
	}
	vx_cms_destroy(s);
}

/* Mode 2: byte 0 picks epsilon (0.05 .. 0.8) and depth (1 .. 4); then ops of
 * two bytes: the key (one byte) and the count (0 .. 255, 255 meaning 2^32). */
static void run_ops(const uint8_t *p, size_t n)
{
	struct vx_cms *std, *con, *half[2];
	uint64_t f[256] = { 0 };
	double eps, delta;
	uint8_t *a, *b;
	size_t la, lb;

	if (n < 1)
		return;
	eps = 0.05 * (1 + p[0] % 16);
	delta = 0.9 / (1 + (p[0] >> 4) % 4 * 3);
	CHECK(vx_cms_create(&std, eps, delta, VX_CMS_STANDARD) == 0);
	CHECK(vx_cms_create(&con, eps, delta, VX_CMS_CONSERVATIVE) == 0);
	CHECK(vx_cms_create(&half[0], eps, delta, VX_CMS_STANDARD) == 0);
	CHECK(vx_cms_create(&half[1], eps, delta, VX_CMS_STANDARD) == 0);
	for (size_t i = 1; i + 1 < n; i += 2) {
		uint64_t c = p[i + 1] == 255 ? 1ull << 32 : p[i + 1];

		vx_cms_add(std, &p[i], 1, c);
		vx_cms_add(con, &p[i], 1, c);
		vx_cms_add(half[i / 2 % 2], &p[i], 1, c);
		f[p[i]] += c;
	}
	for (int key = 0; key < 256; key++) {
		uint8_t k = (uint8_t)key;
		uint64_t es = vx_cms_estimate(std, &k, 1), ec = vx_cms_estimate(con, &k, 1);
		uint64_t want = f[key] < UINT32_MAX ? f[key] : UINT32_MAX;

		CHECK(want <= ec && ec <= es);
	}
	CHECK(vx_cms_merge(half[0], half[1]) == 0);
	a = serialize(half[0], &la);
	b = serialize(std, &lb);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	check_accepted(a, la, 0);
	free(a);
	free(b);
	a = serialize(con, &la);
	check_accepted(a, la, 0);
	free(a);
	vx_cms_destroy(std);
	vx_cms_destroy(con);
	vx_cms_destroy(half[0]);
	vx_cms_destroy(half[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_cms *s = NULL;
	uint8_t *buf = NULL;
	const uint8_t *in;
	size_t len;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 2) {
		run_ops(data + 1, size - 1);
		return 0;
	}
	in = vx_fuzz_input(VX_SER_CMS, data[0] % 3 == 1, data + 1, size - 1, &len, &buf);
	if (!in)
		return 0;
	if (vx_cms_deserialize(&s, in, len) == 0) {
		vx_cms_destroy(s);
		check_accepted(in, len, 0);
	}
	free(buf);
	return 0;
}
