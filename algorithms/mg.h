/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_MG_H
#define VX_ALGORITHMS_MG_H

/*
 * Misra–Gries heavy hitters: the frequent items of a stream in k counters.
 *
 *   J. Misra, D. Gries, "Finding repeated elements", Science of Computer
 *   Programming 2(2), 1982.
 *   P. Agarwal, G. Cormode, Z. Huang, J. Phillips, Z. Wei, K. Yi, "Mergeable
 *   summaries", PODS 2012 (the merge).
 *   R. Boyer, J S. Moore, "MJRTY: a fast majority vote algorithm", 1981/1991:
 *   the case k = 1.
 *
 * The sketch keeps at most k (item, counter) pairs. An item already monitored
 * has its counter raised; a new item takes a free counter; when all k are
 * taken, every counter and the newcomer's weight are lowered together until a
 * counter reaches zero (or the newcomer's weight is used up), and the
 * counters at zero are dropped. Each such step discards k + 1 units of the
 * stream for every unit an item's counter loses, so with N the total weight
 * added and D the total decrement (vx_mg_max_error()):
 *
 *   (k + 1) * D + (sum of the counters) <= N,   hence D <= N / (k + 1),
 *   f(x) - D <= count(x) <= f(x)   for every item x,
 *
 * and every item with f(x) > N / (k + 1) is monitored. Merging (Agarwal et
 * al.) adds the counters, then lowers them all by the (k+1)-th largest and
 * drops those at or below zero; the same inequality holds for the union.
 *
 * Items are byte strings of at most max_key_bytes, stored in an arena sized
 * at create, so adding never allocates. A 64-bit integer key (a loss-burst
 * length, or a caller's own hash) is the 8-byte string of its little-endian
 * bytes (vx_mg_add_u64()).
 *
 * Cost: O(1) expected per add, except the decrement step, which costs O(k)
 * and happens at most N / (k + 1) times (each one consumes k + 1 units of
 * weight): O(N) over a stream of total weight N, O(k) for the worst single add.
 *
 * Serialized payload (inside the envelope of ser.h, little-endian):
 *   u32 k, u32 max_key_bytes, u64 N, u64 D, u32 n (monitored items, <= k),
 *   then n entries { u32 len, len bytes of key, u64 count >= 1 }, keys in
 *   strictly increasing byte order (memcmp, a proper prefix first).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Limits of vx_mg_create(): counters, bytes per key, and the key arena (k *
 * max_key_bytes bytes), which a deserialized buffer could otherwise inflate. */
#define VX_MG_MAX_K         (1u << 20)
#define VX_MG_MAX_KEY_BYTES (1u << 16)
#define VX_MG_MAX_ARENA     (1u << 28)

struct vx_mg;

/* A monitored item, as listed by vx_mg_items(). */
struct vx_mg_item {
	const void *key;  /* into the sketch: valid until the next add, merge or destroy */
	size_t len;       /* key bytes */
	uint64_t lower;   /* its counter: occurrences certainly added */
	uint64_t upper;   /* lower + vx_mg_max_error(): occurrences possibly added */
};

/**
 * vx_mg_create() - an empty Misra–Gries sketch.
 * @out:           the new sketch.
 * @k:             counters, 1 .. VX_MG_MAX_K; k = 1 is Boyer–Moore majority vote.
 * @max_key_bytes: longest key accepted, 0 .. VX_MG_MAX_KEY_BYTES, with
 *                 k * max_key_bytes <= VX_MG_MAX_ARENA. Use >= 8 for vx_mg_add_u64().
 *
 * Context: allocates everything the sketch will use.
 * Return: 0, -EINVAL for a parameter out of range, or -ENOMEM.
 */
int vx_mg_create(struct vx_mg **out, size_t k, size_t max_key_bytes);

/**
 * vx_mg_destroy() - free a sketch.
 * @s: from vx_mg_create() or vx_mg_deserialize(), or NULL.
 *
 * Context: frees memory: not on a real-time thread.
 */
void vx_mg_destroy(struct vx_mg *s);

/**
 * vx_mg_add() - add @count occurrences of a key.
 * @s:     sketch.
 * @key:   key bytes (may be NULL when @len is 0: the empty key is a key).
 * @len:   their length.
 * @count: occurrences (weight); 0 changes nothing.
 *
 * Context: real-time safe: no allocation; O(1) amortised, O(k) at worst.
 * Return: 0; -E2BIG if @len exceeds max_key_bytes, or -EOVERFLOW if the total
 * weight would pass UINT64_MAX (the sketch is then unchanged).
 */
int vx_mg_add(struct vx_mg *s, const void *key, size_t len, uint64_t count);

/**
 * vx_mg_add_u64() - add @count occurrences of an integer key (a burst length,
 * or the caller's own 64-bit hash of a larger key); the key is the 8 bytes of
 * @key in little-endian order, so it is also vx_mg_add(s, bytes, 8, count).
 * @s:     sketch.
 * @key:   the key.
 * @count: occurrences.
 *
 * Context: real-time safe, as vx_mg_add().
 * Return: as vx_mg_add(); -E2BIG if max_key_bytes < 8.
 */
int vx_mg_add_u64(struct vx_mg *s, uint64_t key, uint64_t count);

/**
 * vx_mg_query() - bounds on how often a key was added.
 * @s:     sketch.
 * @key:   key bytes (may be NULL when @len is 0).
 * @len:   their length (any: a key too long to add was never counted).
 * @lower: set to its counter, 0 if not monitored: f(key) >= lower; may be NULL.
 * @upper: set to lower + vx_mg_max_error(): f(key) <= upper; may be NULL.
 *
 * Context: real-time safe.
 */
void vx_mg_query(const struct vx_mg *s, const void *key, size_t len, uint64_t *lower,
		 uint64_t *upper);

/**
 * vx_mg_query_u64() - vx_mg_query() for a key added by vx_mg_add_u64().
 * @s:     sketch.
 * @key:   the key.
 * @lower: as vx_mg_query(); may be NULL.
 * @upper: as vx_mg_query(); may be NULL.
 *
 * Context: real-time safe.
 */
void vx_mg_query_u64(const struct vx_mg *s, uint64_t key, uint64_t *lower, uint64_t *upper);

/**
 * vx_mg_items() - the monitored items, most frequent first (by counter
 * descending, ties by key bytes ascending, a proper prefix first).
 * @s:     sketch.
 * @items: room for @cap items, or NULL when @cap is 0.
 * @cap:   how many to write: the @cap most frequent when more are monitored.
 *
 * An item absent from the list has f(x) <= vx_mg_max_error() <= N / (k + 1).
 *
 * Context: real-time safe: O(n log cap), no allocation.
 * Return: the number of monitored items (at most k); min(that, @cap) written.
 */
size_t vx_mg_items(const struct vx_mg *s, struct vx_mg_item *items, size_t cap);

/**
 * vx_mg_total() - N, the total weight added (merged sketches: the sum).
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: N.
 */
uint64_t vx_mg_total(const struct vx_mg *s);

/**
 * vx_mg_max_error() - D, the total decrement: the most any counter can fall
 * short of its item's true count. D <= N / (k + 1).
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: D.
 */
uint64_t vx_mg_max_error(const struct vx_mg *s);

/**
 * vx_mg_merge() - fold @src into @dst: @dst then summarises both streams,
 * with the same guarantees for the union (Agarwal et al. 2012).
 * @dst: sketch, updated.
 * @src: sketch with the same k and max_key_bytes; unchanged (may be @dst).
 *
 * Context: real-time safe: O(k log k), no allocation.
 * Return: 0, -EINVAL if the sketches differ in k or max_key_bytes, or
 * -EOVERFLOW if the total weight would pass UINT64_MAX (@dst is then unchanged).
 */
int vx_mg_merge(struct vx_mg *dst, const struct vx_mg *src);

/**
 * vx_mg_serialize() - write the sketch in the format above.
 * @s:   sketch.
 * @buf: destination, or NULL to ask for the size.
 * @cap: bytes available at @buf.
 *
 * Uses the sketch's scratch space to sort the keys: like every other call,
 * not concurrently with another call on @s.
 *
 * Context: no allocation; O(n log n) for n monitored keys.
 * Return: bytes written (or needed, when @buf is NULL), or -ENOSPC.
 */
ssize_t vx_mg_serialize(const struct vx_mg *s, void *buf, size_t cap);

/**
 * vx_mg_deserialize() - a sketch from vx_mg_serialize()'s bytes.
 * @out: the new sketch.
 * @buf: serialized bytes.
 * @len: exactly their count.
 *
 * Every field and invariant is checked before allocating; the allocation is
 * that of vx_mg_create() for the buffer's k and max_key_bytes, within its limits.
 *
 * Context: allocates.
 * Return: 0, -EINVAL for a malformed, truncated or corrupted buffer, or -ENOMEM.
 */
int vx_mg_deserialize(struct vx_mg **out, const void *buf, size_t len);

/**
 * vx_mg_footprint() - bytes of memory the sketch holds.
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: the size, constant over the sketch's life.
 */
size_t vx_mg_footprint(const struct vx_mg *s);

#endif
