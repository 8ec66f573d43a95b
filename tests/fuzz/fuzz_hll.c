// SPDX-License-Identifier: MIT
/*
 * Fuzz the HyperLogLog deserializer, and the sparse/dense machinery behind it.
 * First byte, low two bits:
 *   0: the rest is a whole serialized buffer (fuzzes the envelope too);
 *   1: the rest is a payload, sealed in a valid envelope (reaches the sketch's
 *      own validation: precision, form, Rice stream, register values);
 *   2, 3: the rest is a precision byte and 16-bit words: each word picks a
 *      register and a rank, and is added (as a hash) to a sparse sketch, or
 *      merged in from a small second sketch; the result must round-trip.
 * On a successful load: the queries run, re-serialization must give back the
 * input byte for byte, merging into an empty sparse sketch must give the same
 * estimate, and further adds must leave a sketch that round-trips.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/hll.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *serialize(const struct vx_hll *s, size_t *len)
{
	ssize_t n = vx_hll_serialize(s, NULL, 0);
	uint8_t *buf;

	if (n <= 0)
		abort();
	buf = malloc((size_t)n);
	if (!buf || vx_hll_serialize(s, buf, (size_t)n) != n)
		abort();
	*len = (size_t)n;
	return buf;
}

/* serialize -> deserialize -> serialize gives the same bytes and answers. */
static void check_round_trip(const struct vx_hll *s)
{
	struct vx_hll *t = NULL;
	size_t len, len2;
	uint8_t *buf = serialize(s, &len), *buf2;

	if (vx_hll_deserialize(&t, buf, len) != 0)
		abort();
	buf2 = serialize(t, &len2);
	if (len != len2 || memcmp(buf, buf2, len) != 0 ||
	    vx_hll_estimate(s) != vx_hll_estimate(t) || vx_hll_is_sparse(s) != vx_hll_is_sparse(t))
		abort();
	free(buf);
	free(buf2);
	vx_hll_destroy(t);
}

/* A hash that sets register (w % m) to a rank from the word's top bits. */
static uint64_t word_hash(unsigned p, uint16_t w)
{
	unsigned q = 64 - p, rank = 1 + (w >> 10) % (q + 1);
	uint64_t idx = w & ((1u << p) - 1);

	return idx << q | (rank <= q ? (uint64_t)1 << (q - rank) : 0);
}

static void build(const uint8_t *data, size_t size, bool with_merge)
{
	struct vx_hll *s = NULL, *o = NULL;
	unsigned p;

	if (size < 1)
		return;
	p = VX_HLL_P_MIN + data[0] % 8; /* 4..11: small enough to fill */
	if (vx_hll_create(&s, p, VX_HLL_SPARSE) != 0 || vx_hll_create(&o, p, VX_HLL_SPARSE) != 0)
		abort();
	for (size_t i = 1; i + 1 < size; i += 2) {
		uint16_t w = (uint16_t)(data[i] | data[i + 1] << 8);

		if (vx_hll_add_hash(with_merge && (w & 0x200) ? o : s, word_hash(p, w)) != 0)
			abort();
		if (with_merge && (i % 64) == 1 && vx_hll_merge(s, o) != 0)
			abort();
	}
	if (with_merge && vx_hll_merge(s, o) != 0)
		abort();
	check_round_trip(s);
	vx_hll_destroy(s);
	vx_hll_destroy(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_hll *s = NULL, *e = NULL;
	const uint8_t *in;
	uint8_t *sealed = NULL, *out;
	size_t len, out_len;
	unsigned mode;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	if (mode >= 2) {
		build(data + 1, size - 1, mode == 3);
		return 0;
	}
	in = vx_fuzz_input(VX_SER_HLL, mode == 1, data + 1, size - 1, &len, &sealed);
	if (!in)
		return 0;
	if (vx_hll_deserialize(&s, in, len) == 0) {
		(void)vx_hll_footprint(s);
		out = serialize(s, &out_len);
		if (out_len != len || memcmp(out, in, len) != 0)
			abort();
		free(out);
		/* The payload starts with p (hll.h); an empty sketch merged with
		 * this one holds the same registers. */
		if (vx_hll_create(&e, in[VX_SER_HEADER], VX_HLL_SPARSE) != 0 ||
		    vx_hll_merge(e, s) != 0 || vx_hll_estimate(e) != vx_hll_estimate(s))
			abort();
		check_round_trip(e);
		vx_hll_destroy(e);
		for (uint64_t i = 0; i < 64; i++)
			if (vx_hll_add_hash(s, vx_hash_mix64(i + len)) != 0)
				abort();
		check_round_trip(s);
	}
	vx_hll_destroy(s);
	free(sealed);
	return 0;
}
