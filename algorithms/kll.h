/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_KLL_H
#define VX_ALGORITHMS_KLL_H

/*
 * KLL quantile sketch over doubles (Z. Karnin, K. Lang, E. Liberty, "Optimal
 * quantile approximation in streams", FOCS 2016, arXiv:1603.05346), laid out as
 * Apache DataSketches implements it, and a windowed form for recent quantiles.
 *
 * What it answers: after n values, rank(x) (the fraction of values <= x) and its
 * inverse quantile(q), each within a normalised rank error eps of the truth,
 * from O(k) retained values instead of n.
 *
 * How: a stack of "compactors". Level h holds values that each stand for 2^h
 * inputs. When the sketch is full, the lowest level at or over its capacity is
 * sorted and halved: one random bit picks the odd- or the even-positioned values,
 * which move up a level with twice the weight. Each such halving shifts any
 * rank by at most 2^h, up or down with equal probability, so the errors are
 * zero-mean and cancel like a random walk; capacities shrink geometrically
 * (by c = 2/3 per level going down, to a minimum of 2), so the few high, heavy
 * levels dominate the error while the many low ones cost little space.
 *
 * Space: with L levels the capacity is sum over depth d = 0..L-1 (counted from
 * the top) of max(2, round(k (2/3)^d)) <= 3k + 2.5 L values. Every level holds
 * at least one value of weight 2^h, so n >= 2^(L-1): L <= 64 for any n < 2^64,
 * and create() allocates once for 64 levels, at most 3k + 160 values (699 for
 * k = 200). The sketch never allocates again.
 *
 * Error bound: DataSketches' fit to the 99th percentile, over thousands of
 * trials, of the largest rank error over every input value of a trial
 * ("single-sided", for rank and quantile queries):
 *     eps(k) = 2.296 / k^0.9723,   1.33% for k = 200, 0.20% for k = 1600
 * (KllSketch.getNormalizedRankError(k, false) in datasketches-java; trials in
 * datasketches-characterization, kll_sketch_accuracy_profile.cpp). The paper's
 * proven bound is eps = O(sqrt(log(1/delta)) / k) with probability 1 - delta.
 * DataSketches uses a minimum level width of 8 by default; with 2, as the paper
 * and here, only the lightest levels shrink, and they carry a few percent of the
 * error variance (computed in kll.c).
 *
 * Queries: quantile(q) returns the retained value whose estimated cumulative
 * weight first reaches ceil(q n) (nearest rank, like vx_exact_values_quantile());
 * quantile(0) and quantile(1) return the exact minimum and maximum. While n <= k
 * nothing has been compacted and every answer is exact.
 *
 * NaN is rejected by add (-EINVAL, not counted); +-infinity are ordinary values.
 *
 * Serialized payload (inside the ser.h envelope, type VX_SER_KLL), little-endian;
 * this layout is part of the contract:
 *   u16 k, u8 levels L (1..64), u64 n, u64 PRNG state,
 *   if n > 0: f64 min, f64 max,
 *   L x u32 level sizes (level 0 first),
 *   the values as f64, level 0 first; within level 0 in stored order, within
 *   every higher level ascending.
 * Valid when: 8 <= k; sum of size_h 2^h == n; the total fits the capacity for L
 * levels; L == 1 when n == 0, else the top level is non-empty; no NaN; levels
 * 1.. ascending; min <= every value <= max, with equality on both ends when
 * L == 1 (nothing compacted: the values are the input).
 *
 * Windowed form (vx_kll_window): W sketches in a ring, one per sub-window. Adds
 * go to the current one; vx_kll_window_rotate() (on the caller's clock, or by
 * count) clears the oldest and makes it current. Queries merge the live sketches
 * into a preallocated scratch sketch (cached until the next add or rotation) and
 * so cover the last W-1 whole sub-windows plus the current partial one: between
 * (W-1) T and W T of history for a sub-window of T seconds.
 *
 * Choosing T and W for a delay target (p95 of packet delay variation, to grow
 * within 1 s of a jitter step and shrink back within 10 s):
 * - Shrinking: a value leaves the window at the W-th rotation after it arrived,
 *   so an old, high level is forgotten within W T: W T <= 10 s.
 * - Growing: the p-quantile moves to a new, higher level once the new values are
 *   more than a fraction 1 - p (+ eps, the sketch's error) of the window, after
 *   (1 - p + eps) x span seconds at a steady packet rate: (0.05 + 0.013) x 10 s
 *   = 0.63 s <= 1 s for p95 (0.23 s for p99), whatever W.
 * - W trades smoothness for cost: the span breathes between (W-1) T and W T,
 *   and a query merges W sketches. W = 4, T = 2.5 s: span 7.5..10 s.
 * - Accuracy: the merged sketch keeps eps(k); if the window holds at most k
 *   values (50 packets/s x 10 s = 500 <= k = 512), answers are exact.
 *
 * Window payload (type VX_SER_KLL_WINDOW): u16 k, u8 W, u8 current slot,
 * u64 rotate_every (0: rotate by clock only), u64 query seed, then the W
 * sketches' payloads (the layout above) in slot order. Valid when 1 <= W <=
 * VX_KLL_WINDOW_MAX, current < W, every sketch is valid with the same k, and
 * none holds more than rotate_every values when that is set.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Smallest and largest k (DataSketches' range; k is serialized as u16). */
#define VX_KLL_MIN_K 8
#define VX_KLL_MAX_K 65535

/* DataSketches' default: eps = 1.33% with 99% confidence. */
#define VX_KLL_DEFAULT_K 200

/* Levels needed for any n < 2^64: level h exists only once n >= 2^h. */
#define VX_KLL_MAX_LEVELS 64

/* Most sub-windows in a vx_kll_window. */
#define VX_KLL_WINDOW_MAX 16

struct vx_kll;

/**
 * vx_kll_create() - an empty sketch.
 * @out:  the new sketch.
 * @k:    accuracy parameter, VX_KLL_MIN_K..VX_KLL_MAX_K (200: eps = 1.33%).
 * @seed: seeds the PRNG that chooses which half a compaction keeps: the same
 *        seed and input give the same sketch, bit for bit.
 *
 * Allocates the values for 64 levels (at most 3k + 160) plus query and merge
 * scratch: 32 bytes per value slot, 23232 bytes in all for k = 200.
 *
 * Context: allocates; not real-time safe.
 * Return: 0, -EINVAL if @k is out of range, or -ENOMEM.
 */
int vx_kll_create(struct vx_kll **out, unsigned k, uint64_t seed);

/**
 * vx_kll_destroy() - free a sketch.
 * @s: sketch, or NULL.
 */
void vx_kll_destroy(struct vx_kll *s);

/**
 * vx_kll_add() - add one value.
 * @s: sketch.
 * @x: the value.
 *
 * Amortised O(log k); a compaction sorts one level in place (heapsort), so the
 * slowest add is O(k log k).
 *
 * Context: real-time safe: never allocates.
 * Return: 0; -EINVAL if @x is NaN (ignored, not counted); -EOVERFLOW once n is
 * 2^64 - 1 (centuries of adds, or a deserialized sketch near the limit).
 */
int vx_kll_add(struct vx_kll *s, double x);

/**
 * vx_kll_reset() - forget every value; keep k and the PRNG running.
 * @s: sketch.
 *
 * Context: real-time safe.
 */
void vx_kll_reset(struct vx_kll *s);

/**
 * vx_kll_quantile() - estimated q-quantile, by nearest rank.
 * @s: sketch.
 * @q: normalised rank; clamped to [0, 1].
 *
 * The first query after an add or merge sorts a preallocated scratch copy of the
 * retained values, O(r log r) for r retained values; later ones are O(log r).
 * The scratch is why @s is not const: do not query one sketch from two threads.
 *
 * Context: real-time safe: never allocates.
 * Return: the smallest retained value whose estimated rank reaches ceil(q n);
 * the exact min for q <= 0 and max for q >= 1; NaN if empty or @q is NaN.
 */
double vx_kll_quantile(struct vx_kll *s, double q);

/**
 * vx_kll_rank() - estimated fraction of the values that are <= @x.
 * @s: sketch.
 * @x: the value.
 *
 * Same cost and scratch as vx_kll_quantile().
 *
 * Context: real-time safe: never allocates.
 * Return: the normalised rank in [0, 1] (exactly 0 below the min, 1 from the
 * max up); NaN if empty or @x is NaN.
 */
double vx_kll_rank(struct vx_kll *s, double x);

/**
 * vx_kll_count() - values added (and merged in) since creation or reset.
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: n.
 */
uint64_t vx_kll_count(const struct vx_kll *s);

/**
 * vx_kll_min() - the smallest value added, exactly.
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: the minimum, or NaN if empty.
 */
double vx_kll_min(const struct vx_kll *s);

/**
 * vx_kll_max() - the largest value added, exactly.
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: the maximum, or NaN if empty.
 */
double vx_kll_max(const struct vx_kll *s);

/**
 * vx_kll_retained() - values the sketch stores, at most 3k + 160.
 * @s: sketch.
 *
 * Context: real-time safe.
 * Return: the count (equal to n while nothing has been compacted).
 */
size_t vx_kll_retained(const struct vx_kll *s);

/**
 * vx_kll_rank_error() - the normalised rank error eps(k) = 2.296 / k^0.9723 that
 * a single rank or quantile query stays within with 99% confidence (the fit in
 * Apache DataSketches; see the top of this file).
 * @k: accuracy parameter.
 *
 * Context: real-time safe.
 * Return: eps as a fraction (0.0133 for k = 200), or NaN if @k is out of range.
 */
double vx_kll_rank_error(unsigned k);

/**
 * vx_kll_merge() - fold @src into @dst, as if @dst had seen both streams.
 * @dst: sketch to update.
 * @src: sketch with the same k; unchanged.
 *
 * Concatenates the levels and compacts until the result fits (DataSketches'
 * general compress), using @dst's scratch. The result keeps eps(k) against the
 * union of the two inputs. O(k) plus one level-0 sort.
 *
 * Context: real-time safe: never allocates.
 * Return: 0; -EINVAL if the k differ or @src is @dst; -EOVERFLOW if the counts'
 * sum does not fit 64 bits (@dst unchanged in every error case).
 */
int vx_kll_merge(struct vx_kll *dst, const struct vx_kll *src);

/**
 * vx_kll_serialize() - write the sketch in the layout at the top of this file.
 * @s:   sketch.
 * @buf: destination, or NULL to ask the size.
 * @cap: bytes at @buf.
 *
 * Context: real-time safe.
 * Return: bytes written (or needed when @buf is NULL), or -ENOSPC.
 */
ssize_t vx_kll_serialize(const struct vx_kll *s, void *buf, size_t cap);

/**
 * vx_kll_deserialize() - rebuild a sketch from vx_kll_serialize() output.
 * @out: the new sketch.
 * @buf: serialized bytes.
 * @len: their count.
 *
 * Every field and invariant is checked before anything is allocated; the
 * allocation is that of vx_kll_create() for the buffer's k (at most 6.3 MB for
 * k = 65535). Re-serializing gives back the same bytes.
 *
 * Context: allocates; not real-time safe.
 * Return: 0, -EINVAL for anything malformed, truncated or inconsistent, -ENOMEM.
 */
int vx_kll_deserialize(struct vx_kll **out, const void *buf, size_t len);

/**
 * vx_kll_footprint() - bytes of memory the sketch holds (constant for a k).
 * @s: sketch.
 *
 * Return: the size.
 */
size_t vx_kll_footprint(const struct vx_kll *s);

/* --- windowed form ------------------------------------------------------------- */

struct vx_kll_window;

/**
 * vx_kll_window_create() - an empty window of @windows sub-windows.
 * @out:          the new window.
 * @k:            each sketch's accuracy parameter, as for vx_kll_create().
 * @windows:      W, 1..VX_KLL_WINDOW_MAX (see the top of this file for choosing
 *                W and the sub-window length).
 * @rotate_every: also rotate when the current sub-window holds this many values
 *                (checked on add); 0 to rotate only by vx_kll_window_rotate().
 * @seed:         seeds the sketches' PRNGs and the query merge's.
 *
 * Memory: W sketches' values (8 bytes per slot) plus one full scratch sketch.
 *
 * Context: allocates; not real-time safe.
 * Return: 0, -EINVAL for a bad @k or @windows, or -ENOMEM.
 */
int vx_kll_window_create(struct vx_kll_window **out, unsigned k, unsigned windows,
			 uint64_t rotate_every, uint64_t seed);

/**
 * vx_kll_window_destroy() - free a window.
 * @w: window, or NULL.
 */
void vx_kll_window_destroy(struct vx_kll_window *w);

/**
 * vx_kll_window_add() - add one value to the current sub-window (rotating first
 * if it already holds rotate_every values).
 * @w: window.
 * @x: the value.
 *
 * Context: real-time safe: never allocates.
 * Return: 0; -EINVAL if @x is NaN (ignored); -EOVERFLOW once the window holds
 * 2^64 - 1 values.
 */
int vx_kll_window_add(struct vx_kll_window *w, double x);

/**
 * vx_kll_window_rotate() - drop the oldest sub-window and start a new, empty one.
 * @w: window.
 *
 * Call it every T seconds from the caller's clock. O(1).
 *
 * Context: real-time safe.
 */
void vx_kll_window_rotate(struct vx_kll_window *w);

/**
 * vx_kll_window_quantile() - estimated q-quantile of the values in the window.
 * @w: window.
 * @q: normalised rank; clamped to [0, 1].
 *
 * The first query after an add or rotation merges the W sketches into the
 * scratch sketch (O(W k) plus sorting, tens of microseconds for k = 200) with a
 * PRNG seeded from the window's state, so answers do not depend on how often one
 * asks; later queries reuse the merge, O(log k).
 *
 * Context: real-time safe: never allocates. Not from two threads at once.
 * Return: as vx_kll_quantile() over the window; NaN if the window is empty.
 */
double vx_kll_window_quantile(struct vx_kll_window *w, double q);

/**
 * vx_kll_window_rank() - estimated fraction of the window's values <= @x.
 * @w: window.
 * @x: the value.
 *
 * Context: real-time safe: never allocates. Not from two threads at once.
 * Return: as vx_kll_rank() over the window; NaN if the window is empty.
 */
double vx_kll_window_rank(struct vx_kll_window *w, double x);

/**
 * vx_kll_window_count() - values in the window (all live sub-windows).
 * @w: window.
 *
 * Context: real-time safe.
 * Return: the count.
 */
uint64_t vx_kll_window_count(const struct vx_kll_window *w);

/**
 * vx_kll_window_min() - the smallest value in the window, exactly.
 * @w: window.
 *
 * Context: real-time safe.
 * Return: the minimum, or NaN if empty.
 */
double vx_kll_window_min(const struct vx_kll_window *w);

/**
 * vx_kll_window_max() - the largest value in the window, exactly.
 * @w: window.
 *
 * Context: real-time safe.
 * Return: the maximum, or NaN if empty.
 */
double vx_kll_window_max(const struct vx_kll_window *w);

/**
 * vx_kll_window_serialize() - write the window in the layout at the top of this
 * file.
 * @w:   window.
 * @buf: destination, or NULL to ask the size.
 * @cap: bytes at @buf.
 *
 * Context: real-time safe.
 * Return: bytes written (or needed when @buf is NULL), or -ENOSPC.
 */
ssize_t vx_kll_window_serialize(const struct vx_kll_window *w, void *buf, size_t cap);

/**
 * vx_kll_window_deserialize() - rebuild a window from vx_kll_window_serialize()
 * output; validated completely before allocating, as vx_kll_deserialize().
 * @out: the new window.
 * @buf: serialized bytes.
 * @len: their count.
 *
 * The allocation is that of vx_kll_window_create() for the buffer's k and W:
 * at most 31.5 MB (k = 65535, W = 16).
 *
 * Context: allocates; not real-time safe.
 * Return: 0, -EINVAL for anything malformed, truncated or inconsistent, -ENOMEM.
 */
int vx_kll_window_deserialize(struct vx_kll_window **out, const void *buf, size_t len);

/**
 * vx_kll_window_footprint() - bytes of memory the window holds.
 * @w: window.
 *
 * Return: the size.
 */
size_t vx_kll_window_footprint(const struct vx_kll_window *w);

#endif
