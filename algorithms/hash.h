/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_HASH_H
#define VX_ALGORITHMS_HASH_H

/*
 * The one hash every sketch uses for bytes: XXH3-64 from libxxhash, inlined so a
 * sketch update costs a few nanoseconds. Callers who need a keyed hash (untrusted
 * input, flood resistance) compute their own 64-bit hash and use the sketch's
 * *_add_hash() entry point instead.
 */
#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/**
 * vx_hash64() - 64-bit XXH3 of a byte string, seed 0.
 * @data: bytes (may be NULL when @len is 0).
 * @len:  length in bytes.
 *
 * Context: real-time safe.
 * Return: the hash.
 */
static inline uint64_t vx_hash64(const void *data, size_t len)
{
	return XXH3_64bits(data, len);
}

/**
 * vx_hash_mix64() - a bijective 64-bit finaliser (SplitMix64's), to derive a
 * second, well-mixed hash from a first one or to turn a counter into keys.
 * @x: input.
 *
 * Return: the mixed value.
 */
static inline uint64_t vx_hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/**
 * vx_rand64() - SplitMix64 step: a small, seedable generator for tests,
 * benchmarks and randomised sketches (KLL compaction, MinHash permutations).
 * @state: generator state, advanced.
 *
 * Return: the next 64 random bits.
 */
static inline uint64_t vx_rand64(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return vx_hash_mix64(*state);
}

/**
 * vx_rand_unit() - a double uniform in [0, 1) from vx_rand64().
 * @state: generator state, advanced.
 *
 * Return: the value.
 */
static inline double vx_rand_unit(uint64_t *state)
{
	return (double)(vx_rand64(state) >> 11) * 0x1.0p-53;
}

#endif
