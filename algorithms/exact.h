/* SPDX-License-Identifier: MIT */
#ifndef VX_ALGORITHMS_EXACT_H
#define VX_ALGORITHMS_EXACT_H

/*
 * The naive exact baselines the sketches replace: a hash map of counts (which is
 * also the hash set), a sorted array for quantiles, and brute-force similarity.
 * Memory grows with the input; they exist to give the tests their ground truth
 * and the benchmarks their comparison.
 */
#include <stddef.h>
#include <stdint.h>

struct vx_exact_counts;

struct vx_exact_item {
	const void *key; /* points into the map: valid until the next add */
	size_t len;
	uint64_t count;
};

/**
 * vx_exact_counts_create() - an empty map from byte strings to counts.
 * @out: the new map.
 *
 * Return: 0, or -ENOMEM.
 */
int vx_exact_counts_create(struct vx_exact_counts **out);
void vx_exact_counts_destroy(struct vx_exact_counts *c);

/**
 * vx_exact_counts_add() - add @count occurrences of a key (its bytes are copied).
 * @c:     map.
 * @key:   bytes.
 * @len:   their length.
 * @count: occurrences to add (0 just inserts the key).
 *
 * Return: 1 if the key is new, 0 if it was present, -ENOMEM.
 */
int vx_exact_counts_add(struct vx_exact_counts *c, const void *key, size_t len, uint64_t count);

/** vx_exact_counts_get() - occurrences of a key: 0 if absent. */
uint64_t vx_exact_counts_get(const struct vx_exact_counts *c, const void *key, size_t len);

/** vx_exact_counts_distinct() - number of distinct keys. */
size_t vx_exact_counts_distinct(const struct vx_exact_counts *c);

/** vx_exact_counts_total() - sum of all counts added. */
uint64_t vx_exact_counts_total(const struct vx_exact_counts *c);

/** vx_exact_counts_footprint() - bytes allocated. */
size_t vx_exact_counts_footprint(const struct vx_exact_counts *c);

/**
 * vx_exact_counts_top() - the @k most frequent keys, by count descending, ties
 * broken by key bytes ascending (so the answer is deterministic).
 * @c:     map.
 * @items: room for @k items.
 * @k:     how many.
 *
 * Return: the number written (fewer than @k if there are fewer keys), or -ENOMEM.
 */
long vx_exact_counts_top(const struct vx_exact_counts *c, struct vx_exact_item *items, size_t k);

struct vx_exact_values;

/** vx_exact_values_create() - an empty multiset of doubles. Return: 0 or -ENOMEM. */
int vx_exact_values_create(struct vx_exact_values **out);
void vx_exact_values_destroy(struct vx_exact_values *v);

/** vx_exact_values_add() - add a value. Return: 0 or -ENOMEM. */
int vx_exact_values_add(struct vx_exact_values *v, double x);

/** vx_exact_values_count() - number of values added. */
uint64_t vx_exact_values_count(const struct vx_exact_values *v);

/**
 * vx_exact_values_quantile() - the q-quantile by nearest rank: the smallest value
 * x such that at least q*n values are <= x (the minimum for q <= 0).
 * @v: values (sorted in place on first use after an add).
 * @q: in [0, 1].
 *
 * Return: the value, or NaN when empty.
 */
double vx_exact_values_quantile(struct vx_exact_values *v, double q);

/**
 * vx_exact_values_rank() - how many values are <= @x.
 * @v: values (sorted in place on first use after an add).
 * @x: the value.
 *
 * Return: the count.
 */
uint64_t vx_exact_values_rank(struct vx_exact_values *v, double x);

/** vx_exact_values_footprint() - bytes allocated. */
size_t vx_exact_values_footprint(const struct vx_exact_values *v);

/**
 * vx_exact_sort_unique() - sort 64-bit values and drop repeats, in place.
 * @v: values.
 * @n: their count.
 *
 * Return: the number of distinct values left at the front of @v.
 */
size_t vx_exact_sort_unique(uint64_t *v, size_t n);

/**
 * vx_exact_jaccard() - |A ∩ B| / |A ∪ B| of two sets given as sorted, unique arrays
 * (1 when both are empty).
 */
double vx_exact_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/** vx_exact_cosine() - cosine similarity of two vectors (0 if either is zero). */
double vx_exact_cosine(const float *a, const float *b, size_t dim);

#endif
