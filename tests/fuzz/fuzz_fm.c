// SPDX-License-Identifier: MIT
/*
 * Fuzz the Flajolet–Martin deserializer. First byte, low bit: 0 = the rest is a
 * whole serialized buffer, 1 = the rest is a payload sealed in a valid envelope.
 * On a successful load: the queries run, re-serialization must give back the
 * input byte for byte, and a merge with itself must change nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/fm.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_fm *s = NULL;
	const uint8_t *in;
	uint8_t *sealed = NULL, *out;
	size_t len;
	ssize_t n;
	double est;

	if (size < 1)
		return 0;
	in = vx_fuzz_input(VX_SER_FM, data[0] & 1, data + 1, size - 1, &len, &sealed);
	if (!in)
		return 0;
	if (vx_fm_deserialize(&s, in, len) == 0) {
		est = vx_fm_estimate(s);
		if (!(est >= 0) || vx_fm_footprint(s) == 0)
			abort();
		if (vx_fm_merge(s, s) != 0 || vx_fm_estimate(s) != est)
			abort();
		n = vx_fm_serialize(s, NULL, 0);
		if (n < 0 || (size_t)n != len)
			abort();
		out = malloc(len);
		if (!out || vx_fm_serialize(s, out, len) != n || memcmp(out, in, len) != 0)
			abort();
		free(out);
	}
	vx_fm_destroy(s);
	free(sealed);
	return 0;
}
