// SPDX-License-Identifier: MIT
#include "algorithms/exact.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"

/* Open addressing, linear probing; keys live in one growing arena. */
struct slot {
	uint64_t hash;
	size_t off; /* key offset in the arena; SIZE_MAX marks an empty slot */
	size_t len;
	uint64_t count;
};

struct vx_exact_counts {
	struct slot *slots;
	size_t mask;
	size_t used;
	uint64_t total;
	unsigned char *arena;
	size_t arena_len;
	size_t arena_cap;
};

static struct slot *alloc_slots(size_t n)
{
	struct slot *s = malloc(n * sizeof(*s));

	if (s)
		for (size_t i = 0; i < n; i++)
			s[i].off = SIZE_MAX;
	return s;
}

int vx_exact_counts_create(struct vx_exact_counts **out)
{
	struct vx_exact_counts *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->mask = 1023;
	c->slots = alloc_slots(c->mask + 1);
	/* Never NULL, so a key's address is valid even when every key is empty. */
	c->arena_cap = 4096;
	c->arena = malloc(c->arena_cap);
	if (!c->slots || !c->arena) {
		free(c->slots);
		free(c->arena);
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void vx_exact_counts_destroy(struct vx_exact_counts *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->arena);
	free(c);
}

static struct slot *find(const struct vx_exact_counts *c, uint64_t h, const void *key, size_t len)
{
	for (size_t i = h & c->mask;; i = (i + 1) & c->mask) {
		struct slot *s = &c->slots[i];

		if (s->off == SIZE_MAX)
			return s;
		if (s->hash == h && s->len == len && memcmp(c->arena + s->off, key, len) == 0)
			return s;
	}
}

static int grow(struct vx_exact_counts *c)
{
	size_t n = (c->mask + 1) * 2;
	struct slot *old = c->slots, *s = alloc_slots(n);

	if (!s)
		return -ENOMEM;
	c->slots = s;
	c->mask = n - 1;
	for (size_t i = 0; i < n / 2; i++) {
		if (old[i].off == SIZE_MAX)
			continue;
		size_t j = old[i].hash & c->mask;

		while (s[j].off != SIZE_MAX)
			j = (j + 1) & c->mask;
		s[j] = old[i];
	}
	free(old);
	return 0;
}

int vx_exact_counts_add(struct vx_exact_counts *c, const void *key, size_t len, uint64_t count)
{
	uint64_t h = vx_hash64(key, len);
	struct slot *s = find(c, h, key, len);

	if (s->off != SIZE_MAX) {
		s->count += count;
		c->total += count;
		return 0;
	}
	if (c->arena_len + len > c->arena_cap) {
		size_t cap = c->arena_cap;
		unsigned char *a;

		while (cap < c->arena_len + len)
			cap *= 2;
		a = realloc(c->arena, cap);
		if (!a)
			return -ENOMEM;
		c->arena = a;
		c->arena_cap = cap;
	}
	if (len)
		memcpy(c->arena + c->arena_len, key, len);
	*s = (struct slot){ .hash = h, .off = c->arena_len, .len = len, .count = count };
	c->arena_len += len;
	c->total += count;
	/* Keep the load under 3/4 so probes stay short. */
	if (++c->used * 4 > (c->mask + 1) * 3 && grow(c) < 0)
		return -ENOMEM;
	return 1;
}

uint64_t vx_exact_counts_get(const struct vx_exact_counts *c, const void *key, size_t len)
{
	const struct slot *s = find(c, vx_hash64(key, len), key, len);

	return s->off == SIZE_MAX ? 0 : s->count;
}

size_t vx_exact_counts_distinct(const struct vx_exact_counts *c)
{
	return c->used;
}

uint64_t vx_exact_counts_total(const struct vx_exact_counts *c)
{
	return c->total;
}

size_t vx_exact_counts_footprint(const struct vx_exact_counts *c)
{
	return sizeof(*c) + (c->mask + 1) * sizeof(struct slot) + c->arena_cap;
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct vx_exact_item *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int r;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	r = n ? memcmp(a->key, b->key, n) : 0;
	if (r)
		return r;
	return (a->len > b->len) - (a->len < b->len);
}

long vx_exact_counts_top(const struct vx_exact_counts *c, struct vx_exact_item *items, size_t k)
{
	struct vx_exact_item *all = malloc((c->used ? c->used : 1) * sizeof(*all));
	size_t n = 0;

	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i <= c->mask; i++) {
		const struct slot *s = &c->slots[i];

		if (s->off != SIZE_MAX)
			all[n++] = (struct vx_exact_item){ c->arena + s->off, s->len, s->count };
	}
	qsort(all, n, sizeof(*all), item_cmp);
	if (k > n)
		k = n;
	memcpy(items, all, k * sizeof(*items));
	free(all);
	return (long)k;
}

struct vx_exact_values {
	double *v;
	size_t n;
	size_t cap;
	bool sorted;
};

int vx_exact_values_create(struct vx_exact_values **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void vx_exact_values_destroy(struct vx_exact_values *v)
{
	if (!v)
		return;
	free(v->v);
	free(v);
}

int vx_exact_values_add(struct vx_exact_values *v, double x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		double *p = realloc(v->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	v->sorted = false;
	return 0;
}

uint64_t vx_exact_values_count(const struct vx_exact_values *v)
{
	return v->n;
}

static int double_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static void sort_values(struct vx_exact_values *v)
{
	if (!v->sorted)
		qsort(v->v, v->n, sizeof(*v->v), double_cmp);
	v->sorted = true;
}

double vx_exact_values_quantile(struct vx_exact_values *v, double q)
{
	double r;
	size_t i;

	if (!v->n)
		return nan("");
	sort_values(v);
	r = ceil(q * (double)v->n);
	i = r <= 1 ? 0 : (size_t)r - 1;
	return v->v[i < v->n ? i : v->n - 1];
}

uint64_t vx_exact_values_rank(struct vx_exact_values *v, double x)
{
	size_t lo = 0, hi = v->n;

	sort_values(v);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t vx_exact_values_footprint(const struct vx_exact_values *v)
{
	return sizeof(*v) + v->cap * sizeof(*v->v);
}

static int u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

size_t vx_exact_sort_unique(uint64_t *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), u64_cmp);
	for (size_t i = 0; i < n; i++)
		if (!out || v[out - 1] != v[i])
			v[out++] = v[i];
	return out;
}

double vx_exact_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, both = 0;

	if (!na && !nb)
		return 1.0;
	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			both++;
			i++;
			j++;
		} else if (a[i] < b[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)both / (double)(na + nb - both);
}

double vx_exact_cosine(const float *a, const float *b, size_t dim)
{
	double dot = 0, na = 0, nb = 0;

	for (size_t i = 0; i < dim; i++) {
		dot += (double)a[i] * (double)b[i];
		na += (double)a[i] * (double)a[i];
		nb += (double)b[i] * (double)b[i];
	}
	if (na == 0 || nb == 0)
		return 0;
	return dot / sqrt(na * nb);
}
