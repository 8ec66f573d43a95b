// SPDX-License-Identifier: MIT
/*
 * The RFC 2198 parser on untrusted bytes.
 *
 * Oracles beyond the sanitizers: the blocks of a payload that parses tile it
 * (headers, then each block's data in order, the primary last and not empty);
 * encoding the parsed blocks gives back the input byte for byte, needing
 * exactly its length of room; and a @max one smaller than the block count is
 * refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport/red.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1 << 16];
	struct vx_red_block b[VX_RED_MAX_BLOCKS];
	const uint8_t *at;
	size_t n = 0, nred;
	ssize_t len;

	if (vx_red_parse(data, size, b, VX_RED_MAX_BLOCKS, &n) < 0)
		return 0;
	if (n < 1 || n > VX_RED_MAX_BLOCKS || b[n - 1].len < 1)
		abort();
	nred = n - 1;
	at = data + VX_RED_HEADER_BYTES * nred + VX_RED_PRIMARY_HEADER_BYTES;
	for (size_t i = 0; i < n; i++) {
		if (b[i].data != at || b[i].pt > 127)
			abort();
		if (i < nred && (b[i].len > VX_RED_MAX_BLOCK_LEN ||
				 b[i].ts_offset > VX_RED_MAX_TS_OFFSET))
			abort();
		at += b[i].len;
	}
	if (at != data + size)
		abort();

	if (size > sizeof(out))
		return 0;
	len = vx_red_encode(b, nred, &b[nred], out, sizeof(out));
	if (len < 0 || (size_t)len != size || memcmp(out, data, size))
		abort();
	if (vx_red_encode(b, nred, &b[nred], out, size - 1) != -ENOBUFS)
		abort();
	if (vx_red_parse(data, size, b, n - 1, &n) != -EBADMSG)
		abort();
	return 0;
}
