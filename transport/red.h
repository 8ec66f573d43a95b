/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_RED_H
#define VX_TRANSPORT_RED_H

/*
 * Redundant audio data, RFC 2198: the payload of an RTP packet of the RED type
 * (VX_RTP_PT_RED) carries older encodings of earlier frames ahead of the
 * primary encoding of this one. Network byte order, as the RFC draws it:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |1|   block PT  |  timestamp offset         |   block length    |  one per
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  redundant block
 * |0|   block PT  |  the primary's header: the last, one byte
 * +-+-+-+-+-+-+-+-+
 * | redundant block data, in header order ... | primary data ...  |
 *
 * A redundant block's timestamp is the RTP header's minus its timestamp offset
 * (14 bits, < 2^14); its length (10 bits, < 2^10 bytes) is given, the primary's
 * is what remains of the payload. vox uses it on dynamic payload type 120 to
 * repeat the previous Opus packet when its successor carries no in-band FEC:
 * docs/PROTOCOL.md, "Redundant audio".
 *
 * Both functions are real-time safe: no allocation, no system call.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_RED_MAX_BLOCKS        4        /* per packet, the primary included */
#define VX_RED_HEADER_BYTES      4        /* a redundant block's header */
#define VX_RED_PRIMARY_HEADER_BYTES 1
#define VX_RED_MAX_TS_OFFSET     0x3fff   /* 14 bits: 341 ms at 48 kHz */
#define VX_RED_MAX_BLOCK_LEN     0x3ff    /* 10 bits, bytes */

/* One block. For the primary, @ts_offset is 0 after parse and ignored by encode. */
struct vx_red_block {
	uint8_t pt;             /* the block's payload type, 0..127 */
	uint32_t ts_offset;     /* RTP header timestamp - this block's, media clock units */
	const uint8_t *data;
	size_t len;             /* bytes of @data */
};

/**
 * vx_red_encode() - write an RFC 2198 payload.
 * @red:     the redundant blocks, oldest first (ts_offset <= VX_RED_MAX_TS_OFFSET,
 *           len <= VX_RED_MAX_BLOCK_LEN, zero-length allowed); NULL if @nred is 0.
 * @nred:    their count, at most VX_RED_MAX_BLOCKS - 1 (the primary takes a block).
 * @primary: the primary block (pt, data, len >= 1; its ts_offset is ignored).
 * @out:     the payload: 1 + 4 x @nred + the blocks' lengths. Must not overlap
 *           any block's data.
 * @cap:     room at @out.
 *
 * Headers and blocks are written in the order given; the order of the
 * timestamp offsets is not checked (the RFC does not require one).
 *
 * Context: real-time safe.
 * Return: the payload's length in bytes; -EINVAL for @nred too large, a pt above
 * 127, a redundant block's ts_offset or len out of range, an empty primary, or a
 * NULL data pointer with a non-zero length; -ENOBUFS if @cap is too small.
 */
ssize_t vx_red_encode(const struct vx_red_block *red, size_t nred,
		      const struct vx_red_block *primary, uint8_t *out, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_red_parse() - read an RFC 2198 payload strictly.
 * @buf:    the RTP payload of a RED-type packet (untrusted).
 * @len:    its bytes.
 * @blocks: filled in wire order: the redundant blocks first, the primary last,
 *          with data pointing into @buf.
 * @max:    room in @blocks (VX_RED_MAX_BLOCKS takes anything vx_red_encode() writes).
 * @n:      set to the number of blocks filled, >= 1, on success.
 *
 * Rejected: an empty payload; a header cut short; more than @max blocks; block
 * lengths adding up to more than the data after the headers, or leaving the
 * primary no byte. Parsing then re-encoding the blocks gives back @buf exactly.
 *
 * Context: real-time safe.
 * Return: 0, or -EBADMSG (@blocks then undefined, *@n unchanged).
 */
int vx_red_parse(const uint8_t *buf, size_t len, struct vx_red_block *blocks, size_t max,
		 size_t *n)
	__attribute__((warn_unused_result));

#endif
