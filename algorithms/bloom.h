/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_BLOOM_H
#define VX_ALGORITHMS_BLOOM_H

/*
 * Bloom filters: approximate set membership with no false negatives and a tunable
 * false-positive rate (FPR). Four variants share one header:
 *
 * - vx_bloom, the classic filter (B. H. Bloom, "Space/time trade-offs in hash
 *   coding with allowable errors", CACM 13(7), 1970). m bits, k probes per key.
 *   After n distinct keys the FPR is about (1 - e^{-kn/m})^k, smallest at
 *   k = (m/n) ln 2, where it is 2^-k: m = -n ln p / (ln 2)^2, about 1.44 log2(1/p)
 *   bits per key (9.6 bits for 1%). The k probes come from one 64-bit hash by
 *   double hashing, g_i = h1 + i h2 (A. Kirsch, M. Mitzenmacher, "Less hashing,
 *   same performance: building a better Bloom filter", ESA 2006), which leaves
 *   the asymptotic FPR unchanged.
 *
 * - vx_bloom_blocked, the blocked filter (F. Putze, P. Sanders, J. Singler,
 *   "Cache-, hash- and space-efficient Bloom filters", WEA 2007): each key sets
 *   its k bits inside one 512-bit block (a cache line), so an add or a lookup
 *   touches one line instead of k. Blocks receive a Poisson(lambda = n·512/m)
 *   number of keys and the overloaded ones dominate the error:
 *     FPR = sum_i Poisson(i; lambda) (1 - (1 - 1/512)^{k i})^k,
 *   so for the same p it needs more bits than the classic filter (9.9 bits per
 *   key for 1%, 15.5 for 0.1%). It is sized by searching m for that formula.
 *
 * - vx_bloom_counting, the counting filter (L. Fan, P. Cao, J. Almeida,
 *   A. Broder, "Summary cache: a scalable wide-area web cache sharing protocol",
 *   IEEE/ACM ToN 8(3), 2000): 4-bit counters instead of bits, so keys can be
 *   removed. Same FPR as the classic filter with the same m and k; with the
 *   optimal k and at most n keys, a counter reaches 16 with probability below
 *   1.37e-15 per counter, so 4 bits suffice. A counter that does saturate (15)
 *   is never decremented again: its true count is lost, and decrementing it
 *   could reach zero while keys still map to it, a false negative.
 *
 * - vx_bloom_aging, two generations of classic filters for a sliding time window
 *   (M. Yoon, "Aging Bloom filter with two active buffers for dynamic sets",
 *   IEEE TKDE 22(1), 2010): adds go to the current generation, lookups check
 *   both, and a rotation clears the older one and makes it current. A key is
 *   remembered until two rotations have passed, then forgotten. Each generation
 *   is sized for @capacity keys at FPR p/2, so a lookup, which can err in
 *   either generation, errs with probability at most 1 - (1 - p/2)^2 < p.
 *
 * Every entry point takes either bytes, hashed with vx_hash64(), or a caller's
 * 64-bit hash (the _hash variants: use a keyed hash for untrusted input). Such a
 * hash must be uniform over all 64 bits: the filters use its high bits.
 *
 * Serialized payloads (inside the ser.h envelope), little-endian; this layout is
 * part of the contract:
 *   classic   u64 m (bits, a multiple of 64), u8 k, m/64 u64 words
 *             (bit i of the filter is bit i%64 of word i/64).
 *   blocked   u64 blocks, u8 k, blocks*8 u64 words (block b is words 8b..8b+7).
 *   counting  u64 m (counters, a multiple of 16), u8 k, m/16 u64 words
 *             (counter i is bits 4(i%16)..4(i%16)+3 of word i/16).
 *   aging     u64 capacity, u64 m, u8 k, u64 rotations, u64 count of the current
 *             generation, u64 count of the previous one, then the current
 *             generation's m/64 words and the previous one's.
 * with 1 <= k <= VX_BLOOM_MAX_HASHES and m <= VX_BLOOM_MAX_BITS.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bits per block of the blocked filter: one 64-byte cache line. */
#define VX_BLOOM_BLOCK_BITS 512

/* Most probes per key: 2^-32 is the FPR where more would be needed. */
#define VX_BLOOM_MAX_HASHES 32

/* Largest filter (bits or counters): 128 GiB of bits, far beyond 2^32. */
#define VX_BLOOM_MAX_BITS (UINT64_C(1) << 40)

/* --- classic ---------------------------------------------------------------------- */

struct vx_bloom;

/**
 * vx_bloom_create() - an empty classic filter for @capacity keys at FPR @fpr.
 * @out:      the new filter.
 * @capacity: number of distinct keys it is sized for (n), at least 1.
 * @fpr:      target false-positive rate once @capacity keys are in, in (0, 1).
 *
 * m = -n ln(p) / (ln 2)^2 bits, rounded up to a multiple of 64;
 * k = round(log2(1/p)), clamped to [1, VX_BLOOM_MAX_HASHES].
 *
 * Context: allocates.
 * Return: 0, -EINVAL for bad parameters (also when m exceeds VX_BLOOM_MAX_BITS),
 * -ENOMEM.
 */
int vx_bloom_create(struct vx_bloom **out, uint64_t capacity, double fpr);

/**
 * vx_bloom_destroy() - free a filter.
 * @f: filter, or NULL.
 */
void vx_bloom_destroy(struct vx_bloom *f);

/**
 * vx_bloom_add() - insert a key.
 * @f:    filter.
 * @data: key bytes (may be NULL when @len is 0).
 * @len:  their count.
 *
 * Context: real-time safe.
 */
void vx_bloom_add(struct vx_bloom *f, const void *data, size_t len);

/**
 * vx_bloom_add_hash() - insert a key by its 64-bit hash.
 * @f:    filter.
 * @hash: uniform 64-bit hash of the key.
 *
 * Context: real-time safe.
 */
void vx_bloom_add_hash(struct vx_bloom *f, uint64_t hash);

/**
 * vx_bloom_contains() - membership query.
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Context: real-time safe.
 * Return: false if the key was never added; true if it was, or by a false
 * positive.
 */
bool vx_bloom_contains(const struct vx_bloom *f, const void *data, size_t len);

/**
 * vx_bloom_contains_hash() - membership query by hash, as vx_bloom_contains().
 * @f:    filter.
 * @hash: the key's hash, as given to vx_bloom_add_hash().
 *
 * Context: real-time safe.
 * Return: false if absent; true if present or a false positive.
 */
bool vx_bloom_contains_hash(const struct vx_bloom *f, uint64_t hash);

/**
 * vx_bloom_clear() - remove every key.
 * @f: filter.
 *
 * Context: real-time safe; O(m).
 */
void vx_bloom_clear(struct vx_bloom *f);

/**
 * vx_bloom_bits() - size of the bit array.
 * @f: filter.
 *
 * Return: m, in bits.
 */
uint64_t vx_bloom_bits(const struct vx_bloom *f);

/**
 * vx_bloom_hashes() - probes per key.
 * @f: filter.
 *
 * Return: k.
 */
unsigned vx_bloom_hashes(const struct vx_bloom *f);

/**
 * vx_bloom_fill() - fraction of bits set. Its k-th power is the FPR the filter
 * shows right now, whatever was added.
 * @f: filter.
 *
 * Context: real-time safe; O(m).
 * Return: the fraction, in [0, 1].
 */
double vx_bloom_fill(const struct vx_bloom *f);

/**
 * vx_bloom_fpr() - theoretical FPR after @n distinct keys, (1 - e^{-kn/m})^k.
 * @f: filter (for m and k).
 * @n: number of distinct keys inserted.
 *
 * Return: the rate.
 */
double vx_bloom_fpr(const struct vx_bloom *f, uint64_t n);

/**
 * vx_bloom_merge() - union: @dst answers true for every key of either filter.
 * @dst: filter, updated.
 * @src: filter with the same m and k (created with the same parameters).
 *
 * Context: real-time safe; O(m).
 * Return: 0, or -EINVAL if the filters differ in m or k (@dst unchanged).
 */
int vx_bloom_merge(struct vx_bloom *dst, const struct vx_bloom *src);

/**
 * vx_bloom_serialize() - write the filter in the envelope of ser.h.
 * @f:   filter.
 * @buf: destination, or NULL to ask for the size.
 * @cap: bytes available at @buf.
 *
 * Return: bytes written (or needed when @buf is NULL), -ENOSPC if @cap is too
 * small, -EOVERFLOW if the filter exceeds the envelope's 4 GiB payload.
 */
ssize_t vx_bloom_serialize(const struct vx_bloom *f, void *buf, size_t cap);

/**
 * vx_bloom_deserialize() - rebuild a filter from vx_bloom_serialize() output.
 * @out: the new filter.
 * @buf: serialized bytes (untrusted).
 * @len: their count, exactly.
 *
 * Context: allocates, only after the whole buffer has been validated.
 * Return: 0, -EINVAL for a malformed, truncated or foreign buffer, -ENOMEM.
 */
int vx_bloom_deserialize(struct vx_bloom **out, const void *buf, size_t len);

/**
 * vx_bloom_footprint() - memory held by the filter.
 * @f: filter.
 *
 * Return: bytes.
 */
size_t vx_bloom_footprint(const struct vx_bloom *f);

/* --- blocked ---------------------------------------------------------------------- */

struct vx_bloom_blocked;

/**
 * vx_bloom_blocked_create() - an empty blocked filter for @capacity keys at FPR
 * @fpr by the Putze formula.
 * @out:      the new filter.
 * @capacity: number of distinct keys it is sized for (n), at least 1.
 * @fpr:      target false-positive rate once @capacity keys are in, in (0, 1).
 *
 * The number of 512-bit blocks is the smallest for which some k in
 * [1, VX_BLOOM_MAX_HASHES] brings vx_bloom_blocked_fpr(@capacity) to @fpr or
 * below; k is then the smallest that meets @fpr.
 *
 * Context: allocates; the search costs up to a few milliseconds.
 * Return: 0, -EINVAL for bad parameters (also when m would exceed
 * VX_BLOOM_MAX_BITS), -ENOMEM.
 */
int vx_bloom_blocked_create(struct vx_bloom_blocked **out, uint64_t capacity, double fpr);

/**
 * vx_bloom_blocked_destroy() - free a filter.
 * @f: filter, or NULL.
 */
void vx_bloom_blocked_destroy(struct vx_bloom_blocked *f);

/**
 * vx_bloom_blocked_add() - insert a key.
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Context: real-time safe.
 */
void vx_bloom_blocked_add(struct vx_bloom_blocked *f, const void *data, size_t len);

/**
 * vx_bloom_blocked_add_hash() - insert a key by its 64-bit hash.
 * @f:    filter.
 * @hash: uniform 64-bit hash of the key.
 *
 * Context: real-time safe.
 */
void vx_bloom_blocked_add_hash(struct vx_bloom_blocked *f, uint64_t hash);

/**
 * vx_bloom_blocked_contains() - membership query.
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Context: real-time safe.
 * Return: false if absent; true if present or a false positive.
 */
bool vx_bloom_blocked_contains(const struct vx_bloom_blocked *f, const void *data, size_t len);

/**
 * vx_bloom_blocked_contains_hash() - membership query by hash.
 * @f:    filter.
 * @hash: the key's hash.
 *
 * Context: real-time safe.
 * Return: false if absent; true if present or a false positive.
 */
bool vx_bloom_blocked_contains_hash(const struct vx_bloom_blocked *f, uint64_t hash);

/**
 * vx_bloom_blocked_contains_batch() - membership of many keys by hash. Same
 * answers as vx_bloom_blocked_contains_hash() on each, faster on a filter out of
 * cache: it prefetches the block of the key a few places ahead, so that many
 * cache misses are in flight at once.
 * @f:      filter.
 * @hashes: @n hashes.
 * @n:      their count.
 * @out:    @n answers, or NULL if only the count is wanted.
 *
 * Context: real-time safe.
 * Return: the number of hashes reported present.
 */
size_t vx_bloom_blocked_contains_batch(const struct vx_bloom_blocked *f, const uint64_t *hashes,
				       size_t n, bool *out);

/**
 * vx_bloom_blocked_clear() - remove every key.
 * @f: filter.
 *
 * Context: real-time safe; O(m).
 */
void vx_bloom_blocked_clear(struct vx_bloom_blocked *f);

/**
 * vx_bloom_blocked_bits() - size of the bit array.
 * @f: filter.
 *
 * Return: m, in bits: a multiple of VX_BLOOM_BLOCK_BITS.
 */
uint64_t vx_bloom_blocked_bits(const struct vx_bloom_blocked *f);

/**
 * vx_bloom_blocked_hashes() - bits set per key, all in its block.
 * @f: filter.
 *
 * Return: k.
 */
unsigned vx_bloom_blocked_hashes(const struct vx_bloom_blocked *f);

/**
 * vx_bloom_blocked_fpr() - theoretical FPR after @n distinct keys (Putze et al.):
 * sum_i Poisson(i; n·512/m) (1 - (1 - 1/512)^{k i})^k.
 * @f: filter (for m and k).
 * @n: number of distinct keys inserted.
 *
 * Return: the rate.
 */
double vx_bloom_blocked_fpr(const struct vx_bloom_blocked *f, uint64_t n);

/**
 * vx_bloom_blocked_merge() - union, as vx_bloom_merge().
 * @dst: filter, updated.
 * @src: filter with the same m and k.
 *
 * Context: real-time safe; O(m).
 * Return: 0, or -EINVAL if incompatible (@dst unchanged).
 */
int vx_bloom_blocked_merge(struct vx_bloom_blocked *dst, const struct vx_bloom_blocked *src);

/**
 * vx_bloom_blocked_serialize() - as vx_bloom_serialize().
 * @f:   filter.
 * @buf: destination, or NULL to ask for the size.
 * @cap: bytes available at @buf.
 *
 * Return: bytes written or needed, -ENOSPC, -EOVERFLOW.
 */
ssize_t vx_bloom_blocked_serialize(const struct vx_bloom_blocked *f, void *buf, size_t cap);

/**
 * vx_bloom_blocked_deserialize() - as vx_bloom_deserialize().
 * @out: the new filter.
 * @buf: serialized bytes (untrusted).
 * @len: their count, exactly.
 *
 * Context: allocates, only after validation.
 * Return: 0, -EINVAL, -ENOMEM.
 */
int vx_bloom_blocked_deserialize(struct vx_bloom_blocked **out, const void *buf, size_t len);

/**
 * vx_bloom_blocked_footprint() - memory held by the filter.
 * @f: filter.
 *
 * Return: bytes.
 */
size_t vx_bloom_blocked_footprint(const struct vx_bloom_blocked *f);

/* --- counting --------------------------------------------------------------------- */

struct vx_bloom_counting;

/**
 * vx_bloom_counting_create() - an empty counting filter for @capacity keys at
 * FPR @fpr: m 4-bit counters and k probes, sized as vx_bloom_create() (m rounded
 * up to a multiple of 16).
 * @out:      the new filter.
 * @capacity: number of distinct keys it is sized for, at least 1.
 * @fpr:      target false-positive rate, in (0, 1).
 *
 * Context: allocates.
 * Return: 0, -EINVAL for bad parameters, -ENOMEM.
 */
int vx_bloom_counting_create(struct vx_bloom_counting **out, uint64_t capacity, double fpr);

/**
 * vx_bloom_counting_destroy() - free a filter.
 * @f: filter, or NULL.
 */
void vx_bloom_counting_destroy(struct vx_bloom_counting *f);

/**
 * vx_bloom_counting_add() - insert one occurrence of a key: each of its k
 * counters goes up by one, except those already saturated at 15.
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Context: real-time safe.
 */
void vx_bloom_counting_add(struct vx_bloom_counting *f, const void *data, size_t len);

/**
 * vx_bloom_counting_add_hash() - insert by hash, as vx_bloom_counting_add().
 * @f:    filter.
 * @hash: uniform 64-bit hash of the key.
 *
 * Context: real-time safe.
 */
void vx_bloom_counting_add_hash(struct vx_bloom_counting *f, uint64_t hash);

/**
 * vx_bloom_counting_remove() - remove one occurrence of a key added before.
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Each of the key's counters goes down by one, except saturated ones (see the
 * top of this file). Removing a key that was never added but tests positive
 * (a false positive) corrupts the filter, as in any counting Bloom filter: it
 * can cause false negatives for other keys. Remove only keys you added.
 *
 * Context: real-time safe.
 * Return: 0, or -ENOENT if the key is certainly absent (a counter is zero);
 * the filter is then unchanged.
 */
int vx_bloom_counting_remove(struct vx_bloom_counting *f, const void *data, size_t len);

/**
 * vx_bloom_counting_remove_hash() - remove by hash, as vx_bloom_counting_remove().
 * @f:    filter.
 * @hash: the key's hash.
 *
 * Context: real-time safe.
 * Return: 0, or -ENOENT (filter unchanged).
 */
int vx_bloom_counting_remove_hash(struct vx_bloom_counting *f, uint64_t hash);

/**
 * vx_bloom_counting_contains() - membership query.
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Context: real-time safe.
 * Return: false if absent; true if present or a false positive.
 */
bool vx_bloom_counting_contains(const struct vx_bloom_counting *f, const void *data, size_t len);

/**
 * vx_bloom_counting_contains_hash() - membership query by hash.
 * @f:    filter.
 * @hash: the key's hash.
 *
 * Context: real-time safe.
 * Return: false if absent; true if present or a false positive.
 */
bool vx_bloom_counting_contains_hash(const struct vx_bloom_counting *f, uint64_t hash);

/**
 * vx_bloom_counting_clear() - remove every key.
 * @f: filter.
 *
 * Context: real-time safe; O(m).
 */
void vx_bloom_counting_clear(struct vx_bloom_counting *f);

/**
 * vx_bloom_counting_counters() - number of counters.
 * @f: filter.
 *
 * Return: m.
 */
uint64_t vx_bloom_counting_counters(const struct vx_bloom_counting *f);

/**
 * vx_bloom_counting_hashes() - counters per key.
 * @f: filter.
 *
 * Return: k.
 */
unsigned vx_bloom_counting_hashes(const struct vx_bloom_counting *f);

/**
 * vx_bloom_counting_merge() - multiset union: counters add, saturating at 15.
 * @dst: filter, updated.
 * @src: filter with the same m and k.
 *
 * Context: real-time safe; O(m).
 * Return: 0, or -EINVAL if incompatible (@dst unchanged).
 */
int vx_bloom_counting_merge(struct vx_bloom_counting *dst, const struct vx_bloom_counting *src);

/**
 * vx_bloom_counting_serialize() - as vx_bloom_serialize().
 * @f:   filter.
 * @buf: destination, or NULL to ask for the size.
 * @cap: bytes available at @buf.
 *
 * Return: bytes written or needed, -ENOSPC, -EOVERFLOW.
 */
ssize_t vx_bloom_counting_serialize(const struct vx_bloom_counting *f, void *buf, size_t cap);

/**
 * vx_bloom_counting_deserialize() - as vx_bloom_deserialize().
 * @out: the new filter.
 * @buf: serialized bytes (untrusted).
 * @len: their count, exactly.
 *
 * Context: allocates, only after validation.
 * Return: 0, -EINVAL, -ENOMEM.
 */
int vx_bloom_counting_deserialize(struct vx_bloom_counting **out, const void *buf, size_t len);

/**
 * vx_bloom_counting_footprint() - memory held by the filter.
 * @f: filter.
 *
 * Return: bytes.
 */
size_t vx_bloom_counting_footprint(const struct vx_bloom_counting *f);

/* --- aging (two generations) -------------------------------------------------------- */

struct vx_bloom_aging;

/**
 * vx_bloom_aging_create() - an empty two-generation filter.
 * @out:      the new filter.
 * @capacity: keys per generation, at least 1: the most new keys one rotation
 *            period may bring (peak rate times period).
 * @fpr:      target FPR of a lookup, in (0, 1); each generation is a classic
 *            filter sized for @capacity keys at @fpr / 2.
 *
 * The caller rotates on its own clock with vx_bloom_aging_rotate(). The filter
 * also rotates itself, inside an add, when the current generation already holds
 * @capacity new keys (adds that set at least one bit): the FPR then never exceeds
 * @fpr, at the price of a shorter memory under a flood; vx_bloom_aging_rotations()
 * lets the caller notice.
 *
 * Context: allocates.
 * Return: 0, -EINVAL for bad parameters, -ENOMEM.
 */
int vx_bloom_aging_create(struct vx_bloom_aging **out, uint64_t capacity, double fpr);

/**
 * vx_bloom_aging_destroy() - free a filter.
 * @f: filter, or NULL.
 */
void vx_bloom_aging_destroy(struct vx_bloom_aging *f);

/**
 * vx_bloom_aging_add() - insert a key into the current generation.
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Context: real-time safe; O(m) when it rotates (one memset of a generation).
 */
void vx_bloom_aging_add(struct vx_bloom_aging *f, const void *data, size_t len);

/**
 * vx_bloom_aging_add_hash() - insert by hash, as vx_bloom_aging_add().
 * @f:    filter.
 * @hash: uniform 64-bit hash of the key.
 *
 * Context: real-time safe; O(m) when it rotates.
 */
void vx_bloom_aging_add_hash(struct vx_bloom_aging *f, uint64_t hash);

/**
 * vx_bloom_aging_contains() - was the key added since the last-but-one rotation?
 * @f:    filter.
 * @data: key bytes.
 * @len:  their count.
 *
 * Context: real-time safe.
 * Return: true if it was (or by a false positive); false if it was not, or was
 * added only before the last two rotations (or a false positive).
 */
bool vx_bloom_aging_contains(const struct vx_bloom_aging *f, const void *data, size_t len);

/**
 * vx_bloom_aging_contains_hash() - query by hash, as vx_bloom_aging_contains().
 * @f:    filter.
 * @hash: the key's hash.
 *
 * Context: real-time safe.
 * Return: as vx_bloom_aging_contains().
 */
bool vx_bloom_aging_contains_hash(const struct vx_bloom_aging *f, uint64_t hash);

/**
 * vx_bloom_aging_rotate() - start a new generation: forget the older one's keys,
 * keep the current one's as the previous generation.
 * @f: filter.
 *
 * Context: real-time safe; O(m), one memset of a generation.
 */
void vx_bloom_aging_rotate(struct vx_bloom_aging *f);

/**
 * vx_bloom_aging_rotations() - rotations so far, explicit and automatic.
 * @f: filter.
 *
 * Return: the count.
 */
uint64_t vx_bloom_aging_rotations(const struct vx_bloom_aging *f);

/**
 * vx_bloom_aging_merge() - generation-wise union: current with current, previous
 * with previous. Meaningful only when both filters rotate on the same clock
 * (e.g. one per receive thread, rotated by one timer). The new-key counts add,
 * so a merged generation may hold more than @capacity keys until the next
 * rotation (the next add rotates it); @dst keeps its rotation count.
 * @dst: filter, updated.
 * @src: filter with the same capacity, m and k.
 *
 * Context: real-time safe; O(m).
 * Return: 0, or -EINVAL if incompatible (@dst unchanged).
 */
int vx_bloom_aging_merge(struct vx_bloom_aging *dst, const struct vx_bloom_aging *src);

/**
 * vx_bloom_aging_serialize() - as vx_bloom_serialize().
 * @f:   filter.
 * @buf: destination, or NULL to ask for the size.
 * @cap: bytes available at @buf.
 *
 * Return: bytes written or needed, -ENOSPC, -EOVERFLOW.
 */
ssize_t vx_bloom_aging_serialize(const struct vx_bloom_aging *f, void *buf, size_t cap);

/**
 * vx_bloom_aging_deserialize() - as vx_bloom_deserialize(). Besides ranges, it
 * checks each generation against its count: no bit set iff the count is 0, and
 * at most count*k bits set.
 * @out: the new filter.
 * @buf: serialized bytes (untrusted).
 * @len: their count, exactly.
 *
 * Context: allocates, only after validation.
 * Return: 0, -EINVAL, -ENOMEM.
 */
int vx_bloom_aging_deserialize(struct vx_bloom_aging **out, const void *buf, size_t len);

/**
 * vx_bloom_aging_footprint() - memory held by the filter.
 * @f: filter.
 *
 * Return: bytes.
 */
size_t vx_bloom_aging_footprint(const struct vx_bloom_aging *f);

#endif
