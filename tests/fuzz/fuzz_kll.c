// SPDX-License-Identifier: MIT
/*
 * Fuzz the KLL deserializers, then use whatever they accept: a forged buffer
 * that passes validation must behave like a real sketch under queries, adds,
 * compactions and merges (kll.c's asserts are live in this build).
 *
 * First byte: bit 0 picks the sketch (0 KLL, 1 window); bit 1 passes the rest
 * raw instead of sealed in a valid envelope; bit 2 instead runs the rest as a
 * program of operations on fresh sketches, checking their invariants, and
 * loading corrupted copies of their serialized forms.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/kll.h"
#include "tests/fuzz/fuzz.h"

static void check_reserialize(ssize_t (*ser)(const void *, void *, size_t), const void *s,
			      const uint8_t *buf, size_t len)
{
	uint8_t *again = malloc(len);

	if (!again || ser(s, NULL, 0) != (ssize_t)len || ser(s, again, len) != (ssize_t)len ||
	    memcmp(again, buf, len) != 0)
		abort();
	free(again);
}

static ssize_t ser_kll(const void *s, void *buf, size_t cap)
{
	return vx_kll_serialize(s, buf, cap);
}

static ssize_t ser_window(const void *w, void *buf, size_t cap)
{
	return vx_kll_window_serialize(w, buf, cap);
}

static void query_kll(struct vx_kll *s)
{
	double last = -(double)INFINITY;

	for (int i = 0; i <= 20; i++) {
		double x = vx_kll_quantile(s, i / 20.0), r;

		if (vx_kll_count(s) == 0)
			continue;
		if (isnan(x) || x < last || x < vx_kll_min(s) || x > vx_kll_max(s))
			abort();
		r = vx_kll_rank(s, x);
		if (!(r >= 0 && r <= 1))
			abort();
		last = x;
	}
	if (vx_kll_retained(s) > 3 * 65535 + 160)
		abort();
	(void)vx_kll_footprint(s);
}

static void query_window(struct vx_kll_window *w)
{
	for (int i = 0; i <= 20; i++) {
		double x = vx_kll_window_quantile(w, i / 20.0);

		if (vx_kll_window_count(w) && (isnan(x) || x < vx_kll_window_min(w) ||
					       x > vx_kll_window_max(w)))
			abort();
		(void)vx_kll_window_rank(w, x);
	}
	(void)vx_kll_window_footprint(w);
}

static void fuzz_kll(const uint8_t *buf, size_t len)
{
	struct vx_kll *s, *t;

	if (vx_kll_deserialize(&s, buf, len) != 0)
		return;
	query_kll(s);
	check_reserialize(ser_kll, s, buf, len);
	/* Keep using it: merge a copy in, then add until it compacts a few times. */
	if (vx_kll_deserialize(&t, buf, len) == 0) {
		if (vx_kll_merge(s, t) == 0)
			query_kll(s);
		vx_kll_destroy(t);
	}
	for (int i = 0; i < 2000; i++)
		if (vx_kll_add(s, (double)(i % 97)) != 0)
			break;
	query_kll(s);
	vx_kll_destroy(s);
}

static void fuzz_window(const uint8_t *buf, size_t len)
{
	struct vx_kll_window *w;

	if (vx_kll_window_deserialize(&w, buf, len) != 0)
		return;
	query_window(w);
	check_reserialize(ser_window, w, buf, len);
	for (int i = 0; i < 2000; i++) {
		if (vx_kll_window_add(w, (double)(i % 89)) != 0)
			break;
		if (i % 500 == 499)
			vx_kll_window_rotate(w);
	}
	query_window(w);
	vx_kll_window_destroy(w);
}

/* Serialize a live sketch (or the window), set one payload byte and reseal:
 * structured corruptions reach every check, and the ones that stay valid (a
 * value, the PRNG state) reach the accepting path, where the random bytes of
 * the other modes almost never arrive. */
static void mutate_and_load(const struct vx_kll *s, const struct vx_kll_window *w, bool window,
			    size_t pos, uint8_t byte)
{
	ssize_t n = window ? vx_kll_window_serialize(w, NULL, 0) : vx_kll_serialize(s, NULL, 0);
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL, *sealed;
	size_t plen, len;

	if (!buf)
		return;
	if (n != (window ? vx_kll_window_serialize(w, buf, (size_t)n)
			 : vx_kll_serialize(s, buf, (size_t)n)))
		abort();
	plen = (size_t)n - VX_SER_OVERHEAD;
	buf[VX_SER_HEADER + pos % plen] = byte;
	sealed = vx_fuzz_envelope(window ? VX_SER_KLL_WINDOW : VX_SER_KLL, buf + VX_SER_HEADER,
				  plen, &len);
	if (sealed) {
		if (window)
			fuzz_window(sealed, len);
		else
			fuzz_kll(sealed, len);
	}
	free(sealed);
	free(buf);
}

/* Operations from the bytes: each byte adds a run of values (its low bits set
 * the value range and run length) to one of two sketches and a window, or
 * merges, rotates, queries, round-trips a sketch through serialization, or loads
 * a corrupted copy of one (the next three bytes: position and new byte). */
static void fuzz_program(const uint8_t *data, size_t size)
{
	struct vx_kll *s[2] = { NULL, NULL };
	struct vx_kll_window *w = NULL;
	unsigned k = size ? 8 + data[0] % 64 : 8;

	if (vx_kll_create(&s[0], k, 1) || vx_kll_create(&s[1], k, 2) ||
	    vx_kll_window_create(&w, k, 1 + k % 4, k % 3 ? 0 : 3 * k, 3))
		goto out;
	for (size_t i = 1; i < size; i++) {
		unsigned op = data[i] >> 5, arg = data[i] & 31;
		struct vx_kll *a = s[op & 1];

		switch (op) {
		case 0:
		case 1:
		case 2:
			for (unsigned j = 0; j <= arg * 8; j++) {
				uint64_t range = arg + 1 + 1000 * (op >> 1);
				double x = (double)(vx_hash_mix64(i * 1000 + j) % range);

				vx_kll_add(a, x);
				vx_kll_window_add(w, x);
			}
			break;
		case 4:
			vx_kll_merge(s[arg & 1], s[!(arg & 1)]);
			break;
		case 5:
			vx_kll_window_rotate(w);
			break;
		case 6: {
			ssize_t n = vx_kll_serialize(a, NULL, 0);
			uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
			struct vx_kll *r;

			if (buf && vx_kll_serialize(a, buf, (size_t)n) == n &&
			    vx_kll_deserialize(&r, buf, (size_t)n) == 0) {
				check_reserialize(ser_kll, r, buf, (size_t)n);
				vx_kll_destroy(s[op & 1]);
				s[op & 1] = r;
			} else {
				abort(); /* our own output must load */
			}
			free(buf);
			break;
		}
		case 3:
			query_kll(a);
			query_window(w);
			break;
		case 7:
			if (i + 3 < size) {
				size_t pos = (size_t)data[i + 1] << 8 | data[i + 2];

				mutate_and_load(a, w, arg & 1, pos, data[i + 3]);
				i += 3;
			}
			break;
		}
	}
	query_kll(s[0]);
	query_kll(s[1]);
	query_window(w);
out:
	vx_kll_destroy(s[0]);
	vx_kll_destroy(s[1]);
	vx_kll_window_destroy(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;
	bool window;
	uint8_t *buf;
	size_t len;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	if (sel & 4) {
		fuzz_program(data, size);
		return 0;
	}
	window = sel & 1;
	if (sel & 2) {
		buf = malloc(size ? size : 1);
		if (!buf)
			return 0;
		memcpy(buf, data, size);
		len = size;
	} else {
		buf = vx_fuzz_envelope(window ? VX_SER_KLL_WINDOW : VX_SER_KLL, data, size, &len);
		if (!buf)
			return 0;
	}
	if (window)
		fuzz_window(buf, len);
	else
		fuzz_kll(buf, len);
	free(buf);
	return 0;
}
