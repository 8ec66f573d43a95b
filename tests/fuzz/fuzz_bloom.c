// SPDX-License-Identifier: MIT
/*
 * Fuzz the four Bloom deserializers. First byte: bits 0-1 pick the variant; then
 * - bit 3 set: build a real filter from the next bytes (size, keys, rotations),
 *   serialize it, flip payload bytes as the rest of the input says and re-seal:
 *   valid buffers and near misses, which random bytes rarely reach (a blocked
 *   filter needs 64 exact bytes per block, an aging one consistent counts);
 * - else bit 2 set: the rest raw (fuzzing the envelope);
 * - else the rest sealed in a valid envelope (fuzzing the payload checks).
 * A buffer that loads must re-serialize to the same bytes, and then survive
 * queries, adds, a merge with its copy and a rotation without a false negative.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/bloom.h"
#include "algorithms/hash.h"
#include "tests/fuzz/fuzz.h"

static void check_same(ssize_t n, const uint8_t *out, const uint8_t *buf, size_t len)
{
	if (n < 0 || (size_t)n != len || memcmp(out, buf, len) != 0)
		abort();
}

static void run_classic(const uint8_t *buf, size_t len, uint8_t *out)
{
	struct vx_bloom *f, *g;

	if (vx_bloom_deserialize(&f, buf, len) != 0)
		return;
	check_same(vx_bloom_serialize(f, out, len), out, buf, len);
	if (vx_bloom_deserialize(&g, buf, len) != 0)
		abort();
	for (uint64_t i = 0; i < 16; i++) {
		vx_bloom_add_hash(f, i * 0x9e3779b97f4a7c15ULL);
		vx_bloom_add(f, &i, sizeof(i));
	}
	if (vx_bloom_merge(g, f) != 0)
		abort();
	for (uint64_t i = 0; i < 16; i++)
		if (!vx_bloom_contains_hash(g, i * 0x9e3779b97f4a7c15ULL) ||
		    !vx_bloom_contains(g, &i, sizeof(i)))
			abort();
	if (!(vx_bloom_fill(g) >= 0 && vx_bloom_fill(g) <= 1) || vx_bloom_fpr(g, 100) < 0)
		abort();
	vx_bloom_destroy(f);
	vx_bloom_destroy(g);
}

static void run_blocked(const uint8_t *buf, size_t len, uint8_t *out)
{
	struct vx_bloom_blocked *f, *g;

	if (vx_bloom_blocked_deserialize(&f, buf, len) != 0)
		return;
	check_same(vx_bloom_blocked_serialize(f, out, len), out, buf, len);
	if (vx_bloom_blocked_deserialize(&g, buf, len) != 0)
		abort();
	for (uint64_t i = 0; i < 16; i++) {
		vx_bloom_blocked_add_hash(f, i * 0x9e3779b97f4a7c15ULL);
		vx_bloom_blocked_add(f, &i, sizeof(i));
	}
	if (vx_bloom_blocked_merge(g, f) != 0)
		abort();
	for (uint64_t i = 0; i < 16; i++)
		if (!vx_bloom_blocked_contains_hash(g, i * 0x9e3779b97f4a7c15ULL) ||
		    !vx_bloom_blocked_contains(g, &i, sizeof(i)))
			abort();
	if (!(vx_bloom_blocked_fpr(g, 100) >= 0))
		abort();
	vx_bloom_blocked_destroy(f);
	vx_bloom_blocked_destroy(g);
}

static void run_counting(const uint8_t *buf, size_t len, uint8_t *out)
{
	struct vx_bloom_counting *f, *g;

	if (vx_bloom_counting_deserialize(&f, buf, len) != 0)
		return;
	check_same(vx_bloom_counting_serialize(f, out, len), out, buf, len);
	if (vx_bloom_counting_deserialize(&g, buf, len) != 0)
		abort();
	for (uint64_t i = 0; i < 16; i++) {
		vx_bloom_counting_add_hash(f, i * 0x9e3779b97f4a7c15ULL);
		vx_bloom_counting_add(f, &i, sizeof(i));
	}
	if (vx_bloom_counting_merge(g, f) != 0)
		abort();
	/* Removing keys that were added never fails, whatever the loaded counters. */
	for (uint64_t i = 0; i < 16; i++)
		if (!vx_bloom_counting_contains(g, &i, sizeof(i)) ||
		    vx_bloom_counting_remove_hash(f, i * 0x9e3779b97f4a7c15ULL) != 0)
			abort();
	/* Removing others may corrupt the answers (documented), but must stay safe. */
	for (uint64_t i = 0; i < 16; i++)
		(void)vx_bloom_counting_remove_hash(f, ~i);
	vx_bloom_counting_destroy(f);
	vx_bloom_counting_destroy(g);
}

static void run_aging(const uint8_t *buf, size_t len, uint8_t *out)
{
	struct vx_bloom_aging *f, *g;

	if (vx_bloom_aging_deserialize(&f, buf, len) != 0)
		return;
	check_same(vx_bloom_aging_serialize(f, out, len), out, buf, len);
	if (vx_bloom_aging_deserialize(&g, buf, len) != 0)
		abort();
	if (vx_bloom_aging_merge(g, f) != 0)
		abort();
	for (uint64_t i = 0; i < 16; i++) {
		uint64_t rot = vx_bloom_aging_rotations(f);

		vx_bloom_aging_add(f, &i, sizeof(i));
		/* Present unless the add itself rotated twice, which it cannot. */
		if (vx_bloom_aging_rotations(f) - rot > 1 || !vx_bloom_aging_contains(f, &i, sizeof(i)))
			abort();
	}
	vx_bloom_aging_rotate(f);
	(void)vx_bloom_aging_contains_hash(f, 42);
	vx_bloom_aging_destroy(f);
	vx_bloom_aging_destroy(g);
}

/* Serialize a filter of @variant built from @data (see the top of this file). */
static ssize_t build(unsigned variant, const uint8_t *data, size_t size, uint8_t *buf, size_t cap)
{
	static const double fprs[4] = { 0.5, 0.1, 0.01, 0.001 };
	uint64_t capacity = 1 + (size > 0 ? data[0] : 0);
	double fpr = fprs[size > 1 ? data[1] & 3 : 0];
	unsigned keys = size > 2 ? data[2] : 0, rotations = size > 3 ? data[3] & 3 : 0;
	ssize_t n = -1;

	switch (variant) {
	case 0: {
		struct vx_bloom *f;

		if (vx_bloom_create(&f, capacity, fpr) == 0) {
			for (uint64_t i = 0; i < keys; i++)
				vx_bloom_add_hash(f, vx_hash_mix64(i));
			n = vx_bloom_serialize(f, buf, cap);
			vx_bloom_destroy(f);
		}
		break;
	}
	case 1: {
		struct vx_bloom_blocked *f;

		if (vx_bloom_blocked_create(&f, capacity, fpr) == 0) {
			for (uint64_t i = 0; i < keys; i++)
				vx_bloom_blocked_add_hash(f, vx_hash_mix64(i));
			n = vx_bloom_blocked_serialize(f, buf, cap);
			vx_bloom_blocked_destroy(f);
		}
		break;
	}
	case 2: {
		struct vx_bloom_counting *f;

		if (vx_bloom_counting_create(&f, capacity, fpr) == 0) {
			for (uint64_t i = 0; i < keys; i++)
				vx_bloom_counting_add_hash(f, vx_hash_mix64(i % 32));
			n = vx_bloom_counting_serialize(f, buf, cap);
			vx_bloom_counting_destroy(f);
		}
		break;
	}
	default: {
		struct vx_bloom_aging *f;

		if (vx_bloom_aging_create(&f, capacity, fpr) == 0) {
			for (uint64_t i = 0; i < keys; i++) {
				vx_bloom_aging_add_hash(f, vx_hash_mix64(i));
				if (rotations && i % (keys / rotations + 1) == 0)
					vx_bloom_aging_rotate(f);
			}
			n = vx_bloom_aging_serialize(f, buf, cap);
			vx_bloom_aging_destroy(f);
		}
		break;
	}
	}
	return n;
}

static uint8_t *generated(unsigned variant, const uint8_t *data, size_t size, size_t *len)
{
	static const enum vx_ser_type types[4] = { VX_SER_BLOOM, VX_SER_BLOOM_BLOCKED,
						   VX_SER_BLOOM_COUNTING, VX_SER_BLOOM_AGING };
	uint8_t buf[8192], *payload;
	ssize_t n = build(variant, data, size, buf, sizeof(buf));
	size_t plen;

	if (n <= (ssize_t)VX_SER_OVERHEAD)
		return NULL;
	payload = buf + VX_SER_HEADER;
	plen = (size_t)n - VX_SER_OVERHEAD;
	/* The rest: (offset, xor) patches of the payload, then it is sealed again. */
	for (size_t i = 4; plen && i + 2 < size; i += 3)
		payload[(data[i] | (size_t)data[i + 1] << 8) % plen] ^= data[i + 2];
	return vx_fuzz_envelope(types[variant], payload, plen, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum vx_ser_type types[4] = { VX_SER_BLOOM, VX_SER_BLOOM_BLOCKED,
						   VX_SER_BLOOM_COUNTING, VX_SER_BLOOM_AGING };
	unsigned variant;
	uint8_t *buf, *out;
	size_t len;

	if (size < 1)
		return 0;
	variant = data[0] & 3;
	if (data[0] & 8) {
		buf = generated(variant, data + 1, size - 1, &len);
		if (!buf)
			return 0;
	} else if (data[0] & 4) {
		len = size - 1;
		buf = malloc(len ? len : 1);
		if (!buf)
			return 0;
		memcpy(buf, data + 1, len);
	} else {
		buf = vx_fuzz_envelope(types[variant], data + 1, size - 1, &len);
		if (!buf)
			return 0;
	}
	out = malloc(len ? len : 1);
	if (out) {
		switch (variant) {
		case 0:
			run_classic(buf, len, out);
			break;
		case 1:
			run_blocked(buf, len, out);
			break;
		case 2:
			run_counting(buf, len, out);
			break;
		default:
			run_aging(buf, len, out);
			break;
		}
	}
	free(out);
	free(buf);
	return 0;
}
