/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_RING_H
#define VX_PIPELINE_RING_H

/*
 * Lock-free single-producer single-consumer rings: how the real-time threads meet.
 *
 *  - struct vx_ring: fixed-size frames (a 10 ms block of PCM, a packet slot), copied
 *    in and out one at a time or in batches.
 *  - struct vx_bytering: a byte stream with a zero-copy API. The producer reserves
 *    space and writes in place, then commits; the consumer peeks and reads in place,
 *    then releases. Each side gets up to two regions, because the free or the filled
 *    span may wrap around the end of the storage.
 *
 * Both hold a power-of-two number of units (frames or bytes), and all of them are
 * usable: head and tail count the units written and read since create (free-running
 * size_t, masked only to address storage), so head - tail is the fill level from 0 to
 * the capacity and no slot is sacrificed to tell full from empty.
 *
 * One producer thread and one consumer thread: each side stores only its own index
 * and loads the other's. Every call is wait-free (a bounded number of steps whatever
 * the other thread does), takes no lock and allocates nothing, so either side may be
 * a real-time thread. Storage is allocated at create, aligned to a cache line.
 *
 * Memory ordering, the whole of it: the producer writes a slot, then stores head
 * with release; the consumer loads head with acquire, so it sees the slot's bytes.
 * The consumer reads a slot, then stores tail with release; the producer loads tail
 * with acquire, so it never overwrites bytes still being read. Nothing else is
 * ordered and no standalone fence is used: ThreadSanitizer models acquire/release
 * on an atomic but not a fence.
 *
 * Each side keeps its index on its own cache line, and caches the other side's
 * index there; it reloads the other's index only when the cached value says full
 * (producer) or empty (consumer), or too little for the batch asked. While data
 * streams, most calls touch only their own line and the slots.
 *
 * count/is_empty/is_full read both indices. Called from the producer or consumer
 * while the other side runs, the answer may be stale by the time it returns, but
 * only in the safe direction for the caller's side: a producer that sees "not full"
 * or a consumer that sees "not empty" can rely on it. From a third thread they are
 * a monitoring snapshot only.
 */
#include <stdbool.h>
#include <stddef.h>

/* --- fixed-size frames ------------------------------------------------------- */

struct vx_ring;

/**
 * vx_ring_create() - a ring of fixed-size frames.
 * @out:         the new ring.
 * @frames:      capacity in frames: a power of two, all of them usable.
 * @frame_bytes: size of one frame in bytes (e.g. 480 samples * 2 bytes = 960).
 *
 * Context: any thread; allocates.
 * Return: 0, -EINVAL if @frames is not a power of two, @frame_bytes is 0 or the
 * storage would exceed SIZE_MAX / 2 bytes, or -ENOMEM.
 */
int vx_ring_create(struct vx_ring **out, size_t frames, size_t frame_bytes)
	__attribute__((warn_unused_result));

/** vx_ring_destroy() - free a ring; accepts NULL. Neither side may still use it. */
void vx_ring_destroy(struct vx_ring *ring);

/**
 * vx_ring_push() - copy one frame into the ring.
 * @ring:  from vx_ring_create().
 * @frame: frame_bytes to copy.
 *
 * Context: producer thread only; real-time safe.
 * Return: 0, or -EAGAIN if the ring is full (nothing is copied).
 */
int vx_ring_push(struct vx_ring *ring, const void *frame) __attribute__((warn_unused_result));

/**
 * vx_ring_pop() - copy the oldest frame out of the ring.
 * @ring:  from vx_ring_create().
 * @frame: room for frame_bytes.
 *
 * Context: consumer thread only; real-time safe.
 * Return: 0, or -EAGAIN if the ring is empty (@frame is untouched).
 */
int vx_ring_pop(struct vx_ring *ring, void *frame) __attribute__((warn_unused_result));

/**
 * vx_ring_push_n() - copy up to @n consecutive frames into the ring, as many as fit,
 * and publish them at once (one index store for the batch).
 * @ring:   from vx_ring_create().
 * @frames: @n * frame_bytes bytes.
 * @n:      frames offered.
 *
 * Context: producer thread only; real-time safe.
 * Return: frames copied, 0 to @n (0 when full).
 */
size_t vx_ring_push_n(struct vx_ring *ring, const void *frames, size_t n)
	__attribute__((warn_unused_result));

/**
 * vx_ring_pop_n() - copy up to @n of the oldest frames out of the ring, as many as
 * there are.
 * @ring:   from vx_ring_create().
 * @frames: room for @n * frame_bytes bytes.
 * @n:      frames wanted.
 *
 * Context: consumer thread only; real-time safe.
 * Return: frames copied, 0 to @n (0 when empty).
 */
size_t vx_ring_pop_n(struct vx_ring *ring, void *frames, size_t n)
	__attribute__((warn_unused_result));

/**
 * vx_ring_count() - frames in the ring: exact when the other side is idle,
 * otherwise approximate (see the top of this file).
 *
 * Context: any thread; real-time safe.
 */
size_t vx_ring_count(const struct vx_ring *ring);

/** vx_ring_is_empty() - no frame to pop; approximate like vx_ring_count(). */
bool vx_ring_is_empty(const struct vx_ring *ring);

/** vx_ring_is_full() - no room to push; approximate like vx_ring_count(). */
bool vx_ring_is_full(const struct vx_ring *ring);

/** vx_ring_capacity() - capacity in frames, as created. */
size_t vx_ring_capacity(const struct vx_ring *ring);

/** vx_ring_frame_bytes() - size of a frame in bytes, as created. */
size_t vx_ring_frame_bytes(const struct vx_ring *ring);

/* --- byte stream, zero-copy ----------------------------------------------------- */

struct vx_bytering;

/* One contiguous region of a byte ring's storage. */
struct vx_bytering_vec {
	void *data;  /* first byte; NULL when len is 0 */
	size_t len;  /* bytes */
};

/**
 * vx_bytering_create() - a byte ring.
 * @out:   the new ring.
 * @bytes: capacity in bytes: a power of two, all of them usable.
 *
 * Context: any thread; allocates.
 * Return: 0, -EINVAL if @bytes is not a power of two or exceeds SIZE_MAX / 2,
 * or -ENOMEM.
 */
int vx_bytering_create(struct vx_bytering **out, size_t bytes)
	__attribute__((warn_unused_result));

/** vx_bytering_destroy() - free a byte ring; accepts NULL. */
void vx_bytering_destroy(struct vx_bytering *ring);

/**
 * vx_bytering_reserve() - free space to write in place, up to @n bytes.
 * @ring: from vx_bytering_create().
 * @n:    bytes wanted; SIZE_MAX for all the free space.
 * @vec:  set to two regions, in stream order: vec[0] then vec[1] (vec[1].len is 0
 *        unless the space wraps around the end of the storage).
 *
 * The reservation replaces any earlier one. Write into the regions, then
 * vx_bytering_commit() what you wrote; nothing is visible to the consumer before.
 *
 * Context: producer thread only; real-time safe.
 * Return: bytes reserved, vec[0].len + vec[1].len: @n, or less if less is free
 * (0 when the ring is full).
 */
size_t vx_bytering_reserve(struct vx_bytering *ring, size_t n, struct vx_bytering_vec vec[2])
	__attribute__((warn_unused_result));

/**
 * vx_bytering_commit() - publish the first @n bytes of the reservation to the
 * consumer. What remains of the reservation stays reserved, starting after them.
 * @ring: from vx_bytering_create().
 * @n:    bytes written, at most the bytes still reserved.
 *
 * Context: producer thread only; real-time safe.
 * Return: 0, or -EINVAL if @n exceeds the reservation (nothing is published).
 */
int vx_bytering_commit(struct vx_bytering *ring, size_t n);

/**
 * vx_bytering_peek() - bytes to read in place, up to @n, oldest first.
 * @ring: from vx_bytering_create().
 * @n:    bytes wanted; SIZE_MAX for all there are.
 * @vec:  set to two regions in stream order, as for vx_bytering_reserve().
 *
 * The regions stay valid and unchanged until vx_bytering_release() gives them back.
 *
 * Context: consumer thread only; real-time safe.
 * Return: bytes available in @vec, @n or less (0 when the ring is empty).
 */
size_t vx_bytering_peek(struct vx_bytering *ring, size_t n, struct vx_bytering_vec vec[2])
	__attribute__((warn_unused_result));

/**
 * vx_bytering_release() - give the first @n peeked bytes back to the producer.
 * What remains of the peeked span may be released later.
 * @ring: from vx_bytering_create().
 * @n:    bytes consumed, at most the bytes still peeked.
 *
 * Context: consumer thread only; real-time safe.
 * Return: 0, or -EINVAL if @n exceeds what was peeked (nothing is released).
 */
int vx_bytering_release(struct vx_bytering *ring, size_t n);

/**
 * vx_bytering_write() - copy up to @n bytes in: reserve, copy, commit.
 * @ring: from vx_bytering_create().
 * @src:  bytes.
 * @n:    their count.
 *
 * Context: producer thread only; real-time safe. Replaces any open reservation.
 * Return: bytes copied, @n or less if less is free.
 */
size_t vx_bytering_write(struct vx_bytering *ring, const void *src, size_t n)
	__attribute__((warn_unused_result));

/**
 * vx_bytering_read() - copy up to @n bytes out: peek, copy, release.
 * @ring: from vx_bytering_create().
 * @dst:  room for @n bytes.
 * @n:    bytes wanted.
 *
 * Context: consumer thread only; real-time safe. Replaces any open peek.
 * Return: bytes copied, @n or less if fewer are available.
 */
size_t vx_bytering_read(struct vx_bytering *ring, void *dst, size_t n)
	__attribute__((warn_unused_result));

/** vx_bytering_count() - bytes readable; approximate like vx_ring_count(). */
size_t vx_bytering_count(const struct vx_bytering *ring);

/** vx_bytering_is_empty() - nothing to read; approximate like vx_ring_count(). */
bool vx_bytering_is_empty(const struct vx_bytering *ring);

/** vx_bytering_is_full() - no room to write; approximate like vx_ring_count(). */
bool vx_bytering_is_full(const struct vx_bytering *ring);

/** vx_bytering_capacity() - capacity in bytes, as created. */
size_t vx_bytering_capacity(const struct vx_bytering *ring);

#endif
