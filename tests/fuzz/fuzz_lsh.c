// SPDX-License-Identifier: MIT
/*
 * Fuzz the LSH deserializers and the shingle splitter.
 *
 * First byte: which target. 0..5: (SimHash, MinHash, index) × (raw bytes, the rest
 * wrapped in a valid envelope by vx_fuzz_envelope() so mutations reach the
 * payload checks). 6: shingle the rest as text. 7: build a valid object from a
 * few parameter bytes, then apply the remaining bytes as (offset, xor) edits to
 * its payload before sealing it again: an index payload must satisfy several
 * equations at once (b·r <= k, length = n·(8 + 8k)), which blind mutation seldom
 * meets, so this mode starts the search from valid payloads. On a successful
 * parse the object is queried, checked against invariants that hold for any valid
 * object, and re-serialized: the bytes must be identical to the input (abort()
 * otherwise).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/lsh.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-serialize and compare with the input: serialization is canonical. */
#define CHECK_SAME(fn, obj, in, len)                                        \
	do {                                                                \
		ssize_t n_ = fn(obj, NULL, 0);                              \
		uint8_t *b_;                                                \
		if (n_ < 0 || (size_t)n_ != (len))                          \
			abort();                                            \
		b_ = malloc((size_t)n_);                                    \
		if (!b_ || fn(obj, b_, (size_t)n_) != n_ ||                 \
		    memcmp(b_, in, (size_t)n_) != 0)                        \
			abort();                                            \
		free(b_);                                                   \
	} while (0)

static bool check_simhash(const uint8_t *buf, size_t len)
{
	struct vx_simhash *s;
	float *v;
	size_t dim;

	if (vx_simhash_deserialize(&s, buf, len) != 0)
		return false;
	dim = vx_simhash_dim(s);
	if (dim < 1 || dim > VX_SIMHASH_MAX_DIM || vx_simhash_footprint(s) == 0)
		abort();
	v = calloc(dim, sizeof(*v));
	if (!v)
		abort();
	if (vx_simhash_sign(s, v) != UINT64_MAX) /* zero vector: every side >= 0 */
		abort();
	for (size_t i = 0; i < dim; i++)
		v[i] = (float)(i % 7) - 3.0f;
	(void)vx_simhash_sign(s, v);
	free(v);
	CHECK_SAME(vx_simhash_serialize, s, buf, len);
	vx_simhash_destroy(s);
	return true;
}

static bool check_minhash(const uint8_t *buf, size_t len)
{
	struct vx_minhash *m, *copy;

	if (vx_minhash_deserialize(&m, buf, len) != 0)
		return false;
	if (vx_minhash_similarity(m, m) != 1.0)
		abort();
	if (vx_minhash_create(&copy, vx_minhash_k(m), vx_minhash_seed(m)) != 0)
		abort();
	if (vx_minhash_merge(copy, m) != 0 || vx_minhash_similarity(copy, m) != 1.0)
		abort();
	CHECK_SAME(vx_minhash_serialize, m, buf, len);
	vx_minhash_add(m, "x", 1);
	vx_minhash_destroy(copy);
	vx_minhash_destroy(m);
	return true;
}

static bool check_index(const uint8_t *buf, size_t len)
{
	struct vx_lsh_index *x;
	struct vx_lsh_info info;
	struct vx_minhash *m;
	struct vx_lsh_match out[8];
	uint64_t id;

	if (vx_lsh_deserialize(&x, buf, len) != 0)
		return false;
	vx_lsh_info(x, &info);
	if (info.bands < 1 || info.rows < 1 || info.bands * info.rows > info.k)
		abort();
	if (vx_minhash_create(&m, info.k, info.seed) != 0)
		abort();
	/* Each stored item shares every band with itself: the best answer to its own
	 * signature has similarity 1. */
	for (size_t i = 0; i < info.items && i < 64; i++) {
		ssize_t got;

		if (vx_lsh_item(x, i, &id, m) != 0)
			abort();
		got = vx_lsh_query(x, m, 0.0, out, 8);
		if (got < 1 || out[0].similarity != 1.0)
			abort();
		for (ssize_t j = 1; j < got && j < 8; j++)
			if (out[j].similarity > out[j - 1].similarity)
				abort();
	}
	CHECK_SAME(vx_lsh_serialize, x, buf, len);
	vx_minhash_reset(m);
	vx_minhash_add(m, "x", 1);
	if (vx_lsh_insert(x, 1, m) != 0 || vx_lsh_query(x, m, 1.0, out, 8) < 1)
		abort();
	vx_minhash_destroy(m);
	vx_lsh_destroy(x);
	return true;
}

static void check_shingles(const uint8_t *data, size_t size)
{
	struct vx_minhash *a, *b;
	size_t n;
	unsigned unit;
	int ret, want;

	if (size < 2)
		return;
	n = data[0] % (VX_SHINGLE_MAX_N + 2); /* 0 and MAX + 1 are invalid */
	unit = data[1] % 3u;                     /* 2 is invalid */
	want = n >= 1 && n <= VX_SHINGLE_MAX_N && unit < 2 ? 0 : -EINVAL;
	if (vx_minhash_create(&a, 16, 1) != 0 || vx_minhash_create(&b, 16, 1) != 0)
		abort();
	ret = vx_minhash_add_shingles(a, (const char *)data + 2, size - 2, n,
				      (enum vx_shingle_unit)unit);
	if (ret != want)
		abort();
	/* Deterministic, and adding the same shingles twice changes nothing. */
	(void)vx_minhash_add_shingles(b, (const char *)data + 2, size - 2, n,
				      (enum vx_shingle_unit)unit);
	(void)vx_minhash_add_shingles(b, (const char *)data + 2, size - 2, n,
				      (enum vx_shingle_unit)unit);
	if (vx_minhash_similarity(a, b) != 1.0)
		abort();
	if (ret == 0 && size > 2 && unit == VX_SHINGLE_BYTES && vx_minhash_is_empty(a))
		abort();
	vx_minhash_destroy(a);
	vx_minhash_destroy(b);
}

/* A valid serialized object of type @which (0 SimHash, 1 MinHash, 2 index) whose
 * shape comes from p[0..3]; the caller frees it. */
static uint8_t *build_valid(unsigned which, const uint8_t *p, size_t *len)
{
	size_t k = 1 + p[0] % 12u, bands = 1 + p[1] % k, rows = 1 + p[2] % (k / bands);
	size_t items = p[3] % 6u;
	struct vx_minhash *m;
	struct vx_simhash *s;
	struct vx_lsh_index *x;
	ssize_t n = -1;
	uint8_t *buf = malloc(4096);

	if (!buf)
		abort();
	if (which == 0) {
		if (vx_simhash_create(&s, k, p[1]) != 0)
			abort();
		n = vx_simhash_serialize(s, buf, 4096);
		vx_simhash_destroy(s);
	} else {
		if (vx_minhash_create(&m, k, p[1]) != 0 ||
		    vx_lsh_create(&x, k, p[1], bands, rows) != 0)
			abort();
		for (size_t i = 0; i < items; i++) {
			/* Few distinct elements, so that items share bands. */
			vx_minhash_reset(m);
			for (size_t e = 0; e <= i; e++)
				vx_minhash_add_hash(m, (e * 7 + p[2]) % 5);
			if (vx_lsh_insert(x, i, m) != 0)
				abort();
		}
		n = which == 1 ? vx_minhash_serialize(m, buf, 4096) : vx_lsh_serialize(x, buf, 4096);
		vx_minhash_destroy(m);
		vx_lsh_destroy(x);
	}
	if (n < VX_SER_OVERHEAD)
		abort();
	*len = (size_t)n;
	return buf;
}

static void check_edited(const uint8_t *data, size_t size)
{
	static const enum vx_ser_type types[] = { VX_SER_SIMHASH, VX_SER_MINHASH,
						  VX_SER_LSH_INDEX };
	unsigned which;
	uint8_t *valid, *buf;
	size_t len, payload, blen;
	bool parsed;

	if (size < 5)
		return;
	which = data[0] % 3u;
	valid = build_valid(which, data + 1, &len);
	payload = len - VX_SER_OVERHEAD;
	for (size_t i = 5; i + 1 < size; i += 2)
		if (payload > 0)
			valid[VX_SER_HEADER + data[i] % payload] ^= data[i + 1];
	buf = vx_fuzz_envelope(types[which], valid + VX_SER_HEADER, payload, &blen);
	if (!buf)
		abort();
	parsed = which == 0 ? check_simhash(buf, blen) :
		 which == 1 ? check_minhash(buf, blen) : check_index(buf, blen);
	if (!parsed && size < 7) /* no edit: a valid buffer must parse */
		abort();
	free(buf);
	free(valid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum vx_ser_type types[] = { VX_SER_SIMHASH, VX_SER_MINHASH,
						  VX_SER_LSH_INDEX };
	static bool (*const check[])(const uint8_t *, size_t) = { check_simhash,
								  check_minhash, check_index };
	unsigned mode;
	uint8_t *buf;
	size_t len;

	if (size < 1)
		return 0;
	mode = data[0] % 8u;
	data++;
	size--;
	if (mode == 6) {
		check_shingles(data, size);
		return 0;
	}
	if (mode == 7) {
		check_edited(data, size);
		return 0;
	}
	if (mode % 2 == 0) {
		(void)check[mode / 2](data, size);
		return 0;
	}
	buf = vx_fuzz_envelope(types[mode / 2], data, size, &len);
	if (!buf)
		return 0;
	(void)check[mode / 2](buf, len);
	free(buf);
	return 0;
}
