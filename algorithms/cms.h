/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_CMS_H
#define VX_ALGORITHMS_CMS_H

/*
 * Count-Min sketch: approximate counts of every item in d rows of w counters.
 *
 *   G. Cormode, S. Muthukrishnan, "An improved data stream summary: the
 *   count-min sketch and its applications", J. Algorithms 55(1), 2005.
 *   C. Estan, G. Varghese, "New directions in traffic measurement and
 *   accounting", SIGCOMM 2002 (conservative update).
 *
 * Each row maps an item to one of its w counters; adding c occurrences adds c
 * to that counter in every row, and the estimate is the smallest of the d
 * counters. Other items only ever add to a counter, so the estimate never
 * under-counts; a row's excess over f(x) has mean <= N / w, so by Markov it
 * exceeds e * N / w with probability <= 1/e, and all d rows do with
 * probability <= e^-d. With w = ceil(e / epsilon), d = ceil(ln(1 / delta)):
 *
 *   f(x) <= estimate(x) <= f(x) + epsilon * N   with probability >= 1 - delta,
 *
 * N being the total weight added. Conservative update raises each of the d
 * counters only as far as the new minimum (min + c), never below its value:
 * the estimate still never under-counts and is never above the standard
 * sketch's on the same stream, often far below it.
 *
 * Rows: the item's 64-bit hash seeds a SplitMix64 sequence (vx_rand64());
 * row i uses its (i+1)-th output, reduced to [0, w) by multiply-shift on the
 * top 32 bits (w is exactly ceil(e / epsilon), not a power of two). Sketches
 * of the same width and depth therefore hash alike, as merging needs.
 *
 * Counters are 32 bits and saturate at UINT32_MAX instead of wrapping: an item
 * whose true count passes 2^32 - 1 then reads UINT32_MAX, the one case where
 * the estimate can fall below the truth. N is 64 bits and saturates too.
 *
 * Merging adds counters (and N): for standard update the result is exactly
 * the sketch of the concatenated streams. For conservative update it still
 * never under-counts and never exceeds the standard sketch of the union, but
 * it is not the conservative sketch of the union (which depends on the order
 * of the updates): item by item it lands above or below it, with about the
 * same mean error (on a Zipf(1.1) stream of 10^6 items, w = 2719, d = 5:
 * mean excess 34.7 merged from halves, 34.3 in one pass, 61.1 standard).
 *
 * Serialized payload (inside the envelope of ser.h, little-endian):
 *   u32 width, u32 depth, u8 mode (enum vx_cms_mode), u64 N,
 *   then depth rows of width u32 counters. In standard mode every row sums to
 *   N, unless it holds a saturated counter (then to at most N); in
 *   conservative mode every row sums to at most N.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Limits of vx_cms_create(): rows, and counters in all (4 bytes each). */
#define VX_CMS_MAX_DEPTH    32u
#define VX_CMS_MAX_COUNTERS (1u << 26)

enum vx_cms_mode {
	VX_CMS_STANDARD = 0,     /* add c to each row's counter */
	VX_CMS_CONSERVATIVE = 1, /* raise each row's counter to at most min + c */
};

struct vx_cms;

/**
 * vx_cms_create() - an empty Count-Min sketch sized for its error bound.
 * @out:     the new sketch.
 * @epsilon: error as a fraction of N, in (0, 1): width = ceil(e / epsilon).
 * @delta:   probability of a larger error, in (0, 1): depth = ceil(ln(1 / delta)).
 * @mode:    VX_CMS_STANDARD or VX_CMS_CONSERVATIVE.
 *
 * The sketch holds width * depth counters of 4 bytes. depth must not exceed
 * VX_CMS_MAX_DEPTH (delta >= e^-32) nor width * depth VX_CMS_MAX_COUNTERS.
 *
 * Context: allocates everything the sketch will use.
 * Return: 0, -EINVAL for a parameter out of range (NaN included), or -ENOMEM.
 */
int vx_cms_create(struct vx_cms **out, double epsilon, double delta, enum vx_cms_mode mode);

/**
 * vx_cms_destroy() - free a sketch.
 * @s: from vx_cms_create() or vx_cms_deserialize(), or NULL.
 *
 * Context: frees memory: not on a real-time thread.
 */
void vx_cms_destroy(struct vx_cms *s);

/**
 * vx_cms_add() - add @count occurrences of an item.
 * @s:     sketch.
 * @data:  item bytes, hashed with vx_hash64() (may be NULL when @len is 0).
 * @len:   their length.
 * @count: occurrences (weight); 0 changes nothing.
 *
 * Context: real-time safe: d counter updates, no allocation.
 */
void vx_cms_add(struct vx_cms *s, const void *data, size_t len, uint64_t count);

/**
 * vx_cms_add_hash() - add @count occurrences of an item given by the caller's
 * own 64-bit hash (e.g. a keyed hash of a source address, against floods
 * crafted to collide).
 * @s:     sketch.
 * @hash:  the item's hash.
 * @count: occurrences.
 *
 * Context: real-time safe.
 */
void vx_cms_add_hash(struct vx_cms *s, uint64_t hash, uint64_t count);

/**
 * vx_cms_estimate() - how often an item was added, never less (short of a
 * saturated counter), at most epsilon * N more with probability >= 1 - delta.
 * @s:    sketch.
 * @data: item bytes (may be NULL when @len is 0).
 * @len:  their length.
 *
 * Context: real-time safe.
 * Return: the smallest of the item's d counters.
 */
uint64_t vx_cms_estimate(const struct vx_cms *s, const void *data, size_t len);

/**
 * vx_cms_estimate_hash() - vx_cms_estimate() for an item added by its hash.
 * @s:    sketch.
 * @hash: the item's hash.
 *
 * Context: real-time safe.
 * Return: the estimate.
 */
uint64_t vx_cms_estimate_hash(const struct vx_cms *s, uint64_t hash);

/**
 * vx_cms_total() - N, the total weight added (saturating at UINT64_MAX).
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: N.
 */
uint64_t vx_cms_total(const struct vx_cms *s);

/**
 * vx_cms_width() - counters per row, ceil(e / epsilon).
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: w.
 */
size_t vx_cms_width(const struct vx_cms *s);

/**
 * vx_cms_depth() - rows, ceil(ln(1 / delta)).
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: d.
 */
size_t vx_cms_depth(const struct vx_cms *s);

/**
 * vx_cms_merge() - add @src's counters into @dst (see the top of this file
 * for what that means under conservative update).
 * @dst: sketch, updated.
 * @src: sketch of the same width, depth and mode; unchanged (may be @dst).
 *
 * Context: real-time safe: O(w * d), no allocation.
 * Return: 0, or -EINVAL if the sketches differ in width, depth or mode.
 */
int vx_cms_merge(struct vx_cms *dst, const struct vx_cms *src);

/**
 * vx_cms_serialize() - write the sketch in the format above.
 * @s:   sketch.
 * @buf: destination, or NULL to ask for the size.
 * @cap: bytes available at @buf.
 *
 * Context: no allocation; O(w * d).
 * Return: bytes written (or needed, when @buf is NULL), or -ENOSPC.
 */
ssize_t vx_cms_serialize(const struct vx_cms *s, void *buf, size_t cap);

/**
 * vx_cms_deserialize() - a sketch from vx_cms_serialize()'s bytes.
 * @out: the new sketch.
 * @buf: serialized bytes.
 * @len: exactly their count.
 *
 * Every field and the row sums are checked before allocating; the allocation
 * is the size of the counters in the buffer.
 *
 * Context: allocates.
 * Return: 0, -EINVAL for a malformed, truncated or corrupted buffer, or -ENOMEM.
 */
int vx_cms_deserialize(struct vx_cms **out, const void *buf, size_t len);

/**
 * vx_cms_footprint() - bytes of memory the sketch holds.
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: the size.
 */
size_t vx_cms_footprint(const struct vx_cms *s);

#endif
