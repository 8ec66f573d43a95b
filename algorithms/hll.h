/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_HLL_H
#define VX_ALGORITHMS_HLL_H

/*
 * HyperLogLog: the number of distinct items in a stream, in 6 bits per register.
 *
 *   P. Flajolet, É. Fusy, O. Gandouet, F. Meunier, "HyperLogLog: the analysis of a
 *   near-optimal cardinality estimation algorithm", AofA 2007.
 *   O. Ertl, "New cardinality estimation algorithms for HyperLogLog sketches",
 *   arXiv:1702.01284, 2017 (the estimator used here: section "improved raw
 *   estimator", Algorithm 6; no empirical bias tables).
 *   S. Heule, M. Nunkesser, A. Hall, "HyperLogLog in practice", EDBT 2013 (the
 *   idea of a sparse form for small cardinalities).
 *
 * Error bound: relative standard error 1.04/sqrt(m) with m = 2^p registers, e.g.
 * 0.81% at p = 14 (12 KiB dense). Ertl's estimator has no bias bump between
 * linear counting and the raw estimate, so the bound holds from 1 to far beyond
 * 10^9; below a few hundred items it answers almost exactly (collisions among
 * m registers are rare).
 *
 * Hashing: 64-bit hashes. The register index is the TOP p bits of the hash; the
 * rank is 1 + the number of leading zeros of the remaining q = 64 - p bits, so
 * 1 <= rank <= q + 1 = 65 - p. With 64 bits no large-range correction is needed
 * (registers saturate only near 2^64 items).
 *
 * Two forms, with the same registers (the sparse form is the dense register set
 * compressed, at the same precision p, so both answer identically):
 *  - dense: m 6-bit registers packed, ceil(6m/8) bytes (+1 byte of padding).
 *    Adds and merges into it never allocate: real-time safe.
 *  - sparse (the default at create): the non-zero registers as a Rice-coded
 *    list, about 1 byte per register, plus a sorted insertion buffer of m/128
 *    entries (4..1024; 512 bytes at p = 14): 1.4 KB in all at 1,000 distinct
 *    and p = 14. Adds to a sparse sketch may allocate: the list is rebuilt
 *    (a new block, exactly sized) when the buffer fills, and the sketch turns
 *    dense (allocating the register array once) when it holds more than m/4
 *    non-zero registers. The footprint reports what is held, so it stays
 *    small while the sketch is; a caller on a real-time thread creates the
 *    sketch with VX_HLL_DENSE instead and pays the full array up front.
 *
 * Serialized payload (inside the ser.h envelope, type VX_SER_HLL), little-endian:
 *
 *   offset  size  field
 *   0       1     p, 4..18
 *   1       1     form: 0 sparse, 1 dense
 *   dense:
 *   2       6m/8  the registers: register i is bits 6i..6i+5 of the byte string
 *                 read as one little-endian number (bit b is bit b%8 of byte b/8);
 *                 every register <= 65 - p
 *   sparse:
 *   2       4     c, the number of non-zero registers, 0 <= c <= m/4
 *   6       rest  a bit stream, bits taken from each byte least significant
 *                 first. For each non-zero register i, in increasing i, with
 *                 prev = -1 before the first:
 *                   g = i - prev - 1, k = max(0, p - bitlen(c)):
 *                   unary(g >> k), the k low bits of g (least significant first),
 *                   unary(rank - 1);
 *                 where unary(u) is u one-bits then a zero-bit and bitlen(c) is
 *                 the number of bits in c (bitlen(1000) = 10). The stream fills
 *                 ceil(bits/8) bytes exactly; the padding bits are zero. Gaps
 *                 make unsorted or repeated indices unrepresentable; a forged
 *                 stream can only run past m - 1, past its bytes or stop short.
 *
 * The form is canonical: a sketch created dense (or turned dense) serializes
 * dense; a sparse one serializes sparse exactly when it has at most m/4 non-zero
 * registers. So deserialize(serialize(s)) re-serializes to the same bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_HLL_P_MIN 4
#define VX_HLL_P_MAX 18

/* The form a sketch starts in. */
enum vx_hll_form {
	VX_HLL_SPARSE, /* small until it grows; adds may allocate until it is dense */
	VX_HLL_DENSE,  /* the full register array from the start; adds never allocate */
};

struct vx_hll;

/**
 * vx_hll_create() - an empty HyperLogLog sketch.
 * @out:  the new sketch.
 * @p:    precision: m = 2^p registers, VX_HLL_P_MIN..VX_HLL_P_MAX; the relative
 *        standard error is 1.04/sqrt(m) (p = 14: 0.81%, 12 KiB dense).
 * @form: VX_HLL_SPARSE (small sketches stay small) or VX_HLL_DENSE (real-time).
 *
 * Return: 0, -EINVAL for a bad @p or @form, or -ENOMEM.
 */
int vx_hll_create(struct vx_hll **out, unsigned p, enum vx_hll_form form);

/**
 * vx_hll_destroy() - free a sketch.
 * @s: from vx_hll_create() or vx_hll_deserialize(), or NULL.
 */
void vx_hll_destroy(struct vx_hll *s);

/**
 * vx_hll_add() - count an item, hashed with vx_hash64().
 * @s:    sketch.
 * @data: the item's bytes (NULL allowed when @len is 0).
 * @len:  their length.
 *
 * Context: real-time safe when the sketch is dense; a sparse sketch may allocate.
 * Return: 0, or -ENOMEM (sparse only: the item is not counted, the sketch is
 * unchanged and still valid).
 */
int vx_hll_add(struct vx_hll *s, const void *data, size_t len);

/**
 * vx_hll_add_hash() - count an item by its 64-bit hash (the caller's own, e.g.
 * keyed; it must be uniform over all 64 bits).
 * @s:    sketch.
 * @hash: the hash: top p bits pick the register, the rest give the rank.
 *
 * Context: real-time safe when the sketch is dense; a sparse sketch may allocate.
 * Return: 0, or -ENOMEM (sparse only, as for vx_hll_add()).
 */
int vx_hll_add_hash(struct vx_hll *s, uint64_t hash);

/**
 * vx_hll_estimate() - the estimated number of distinct items added.
 * @s: sketch.
 *
 * Ertl's improved raw estimator over the histogram of register values: a pure
 * function of the registers, so a sparse and a dense sketch with the same
 * registers give the same double. O(m) when dense, O(non-zero registers) when
 * sparse.
 *
 * Context: real-time safe (no allocation; O(m) time).
 * Return: the estimate, 0 for an empty sketch.
 */
double vx_hll_estimate(const struct vx_hll *s);

/**
 * vx_hll_is_sparse() - whether the sketch is in the sparse form: what
 * vx_hll_serialize() writes. It can say false while the memory is still held
 * sparse, when items waiting in the insertion buffer have just pushed the count
 * of non-zero registers past m/4 (the next add converts).
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: true if sparse.
 */
bool vx_hll_is_sparse(const struct vx_hll *s);

/**
 * vx_hll_clear() - forget every item, keeping the form and the precision.
 * @s: sketch.
 *
 * Context: real-time safe when dense (no allocation); a sparse sketch frees its
 * list.
 */
void vx_hll_clear(struct vx_hll *s);

/**
 * vx_hll_merge() - make @dst the sketch of the union of both streams: each
 * register becomes the max of the two. The result equals, byte for byte, the
 * sketch of the union built in @dst's form; two sparse sketches whose union has
 * at most m/4 non-zero registers stay sparse.
 * @dst: sketch to update (may be @src).
 * @src: sketch to read.
 *
 * Context: real-time safe when @dst is dense; a sparse @dst may allocate.
 * Return: 0, -EINVAL if the precisions differ (no folding), -ENOMEM (sparse @dst
 * only; @dst is then unchanged).
 */
int vx_hll_merge(struct vx_hll *dst, const struct vx_hll *src);

/**
 * vx_hll_serialize() - write the sketch in the format above.
 * @s:   sketch.
 * @buf: destination, or NULL to ask for the size.
 * @cap: bytes available at @buf.
 *
 * Return: bytes written (or needed when @buf is NULL), or -ENOSPC.
 */
ssize_t vx_hll_serialize(const struct vx_hll *s, void *buf, size_t cap);

/**
 * vx_hll_deserialize() - rebuild a sketch from vx_hll_serialize()'s bytes.
 * Every field is checked before anything is allocated.
 * @out: the new sketch.
 * @buf: the bytes.
 * @len: their count, exactly the serialized size.
 *
 * Return: 0, -EINVAL for anything malformed, truncated or non-canonical, or
 * -ENOMEM.
 */
int vx_hll_deserialize(struct vx_hll **out, const void *buf, size_t len);

/**
 * vx_hll_footprint() - bytes of memory the sketch holds (its struct, the
 * register array or the sparse list and buffer; malloc's own overhead aside).
 * @s: sketch.
 *
 * Return: the count.
 */
size_t vx_hll_footprint(const struct vx_hll *s);

#endif
