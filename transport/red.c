// SPDX-License-Identifier: MIT
/*
 * RFC 2198 redundant audio data: the block headers (section 3) and the blocks
 * that follow them in the same order.
 */
#include "transport/red.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

static int check_block(const struct vx_red_block *b)
{
	if (b->pt > 127 || (!b->data && b->len))
		return -EINVAL;
	return 0;
}

ssize_t vx_red_encode(const struct vx_red_block *red, size_t nred,
		      const struct vx_red_block *primary, uint8_t *out, size_t cap)
{
	size_t hdr, total;
	uint8_t *q;

	if (nred > VX_RED_MAX_BLOCKS - 1 || (nred && !red))
		return -EINVAL;
	if (check_block(primary) < 0 || primary->len == 0)
		return -EINVAL;
	hdr = VX_RED_HEADER_BYTES * nred + VX_RED_PRIMARY_HEADER_BYTES;
	total = hdr;
	for (size_t i = 0; i < nred; i++) {
		if (check_block(&red[i]) < 0 || red[i].ts_offset > VX_RED_MAX_TS_OFFSET ||
		    red[i].len > VX_RED_MAX_BLOCK_LEN)
			return -EINVAL;
		total += red[i].len; /* at most 13 + 3 x 1023: no overflow */
	}
	/* By subtraction: total + primary->len could overflow size_t. */
	if (cap < total || cap - total < primary->len)
		return -ENOBUFS;
	total += primary->len;
	if (total > SSIZE_MAX)
		return -ENOBUFS;

	q = out;
	for (size_t i = 0; i < nred; i++, q += VX_RED_HEADER_BYTES) {
		/* F = 1 | PT (7) | timestamp offset (14) | block length (10) */
		uint32_t h = 1u << 31 | (uint32_t)red[i].pt << 24 | red[i].ts_offset << 10 |
			     (uint32_t)red[i].len;

		q[0] = (uint8_t)(h >> 24);
		q[1] = (uint8_t)(h >> 16);
		q[2] = (uint8_t)(h >> 8);
		q[3] = (uint8_t)h;
	}
	*q++ = primary->pt; /* F = 0 */
	for (size_t i = 0; i < nred; i++) {
		if (red[i].len)
			memcpy(q, red[i].data, red[i].len);
		q += red[i].len;
	}
	memcpy(q, primary->data, primary->len);
	return (ssize_t)total;
}

int vx_red_parse(const uint8_t *buf, size_t len, struct vx_red_block *blocks, size_t max,
		 size_t *n)
{
	size_t off = 0, count = 0, data_len = 0;

	/* Headers: each redundant one has F set; the first with F clear is the primary's. */
	for (;;) {
		if (off >= len || count >= max)
			return -EBADMSG;
		if (!(buf[off] & 0x80))
			break;
		if (len - off < VX_RED_HEADER_BYTES)
			return -EBADMSG;
		blocks[count].pt = buf[off] & 0x7f;
		blocks[count].ts_offset = (uint32_t)buf[off + 1] << 6 | (uint32_t)buf[off + 2] >> 2;
		blocks[count].len = (size_t)(buf[off + 2] & 0x03) << 8 | buf[off + 3];
		data_len += blocks[count].len; /* < len / 4 x 1024: no overflow */
		off += VX_RED_HEADER_BYTES;
		count++;
	}
	blocks[count].pt = buf[off];
	blocks[count].ts_offset = 0;
	off += VX_RED_PRIMARY_HEADER_BYTES;
	/* The redundant blocks, and at least one byte of primary. */
	if (len - off <= data_len)
		return -EBADMSG;
	blocks[count].len = len - off - data_len;

	for (size_t i = 0; i <= count; i++) {
		blocks[i].data = buf + off;
		off += blocks[i].len;
	}
	*n = count + 1;
	return 0;
}
