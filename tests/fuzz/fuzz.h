/* SPDX-License-Identifier: MIT */
#ifndef VX_TESTS_FUZZ_H
#define VX_TESTS_FUZZ_H

/*
 * Fuzz targets feed deserializers. A mutated buffer almost never keeps a valid
 * checksum, so a target that passed raw bytes would only ever test the envelope.
 * vx_fuzz_envelope() wraps the fuzzer's bytes as the payload of a well-formed
 * envelope instead, so mutations reach each sketch's own validation. (The
 * envelope itself is fuzzed by passing raw bytes too.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "algorithms/ser.h"

/**
 * vx_fuzz_envelope() - a sealed buffer whose payload is @payload.
 * @type:    the sketch type tag.
 * @payload: fuzzer bytes.
 * @n:       their count.
 * @len:     set to the buffer's length.
 *
 * Return: a malloc'd buffer (free it), or NULL.
 */
static inline uint8_t *vx_fuzz_envelope(enum vx_ser_type type, const uint8_t *payload, size_t n,
					size_t *len)
{
	struct vx_ser_writer w;
	uint8_t *buf = malloc(n + VX_SER_OVERHEAD);

	if (!buf)
		return NULL;
	vx_ser_begin(&w, buf, n + VX_SER_OVERHEAD, type);
	vx_ser_bytes(&w, payload, n);
	*len = (size_t)vx_ser_finish(&w);
	return buf;
}

/**
 * vx_fuzz_input() - what a deserializer gets: the fuzzer's bytes as they are,
 * or (@sealed) wrapped in a well-formed envelope of @type.
 * @buf: set to the buffer to free afterwards, NULL for raw bytes.
 * @len: set to the input's length.
 *
 * Return: the input, or NULL if the envelope could not be allocated.
 */
static inline const uint8_t *vx_fuzz_input(enum vx_ser_type type, bool sealed,
					   const uint8_t *data, size_t n, size_t *len,
					   uint8_t **buf)
{
	*len = n;
	*buf = sealed ? vx_fuzz_envelope(type, data, n, len) : NULL;
	return sealed ? *buf : data;
}

/* An oracle: a broken invariant is a crash the fuzzer reports. */
#define CHECK(x)                  \
	do {                      \
		if (!(x))         \
			abort();  \
	} while (0)

#endif
