// SPDX-License-Identifier: MIT
/*
 * Misra–Gries heavy hitters (Misra & Gries 1982), mergeable (Agarwal et al.
 * 2012); k = 1 is Boyer–Moore majority vote. Error bound: with N the total
 * weight and D the total decrement, f(x) - D <= count(x) <= f(x) and
 * (k + 1) * D <= N - (sum of counters), so D <= N / (k + 1). See mg.h.
 *
 * Layout: k fixed slots (counter, hash, key length), the keys in an arena of
 * k * max_key_bytes bytes (slot i's key at i * max_key_bytes), and an open-
 * addressing index (linear probing, at least 2k positions, so its load stays
 * at or under 1/2) from key hash to slot. Free slots sit on a stack.
 *
 * Why the decrement step may scan everything: it lowers each of the k
 * counters by m >= 1 and drops m units of the newcomer, so it consumes
 * (k + 1) * m >= k + 1 units of weight that never come back. Over a stream
 * of total weight N it runs at most N / (k + 1) times, and its O(k) scan
 * plus the O(k) index rebuild cost O(N) in all: O(1) amortised per unit.
 */
#include "algorithms/mg.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/ser.h"

struct slot {
	uint64_t count; /* the counter; 0 marks a free slot */
	uint64_t hash;  /* vx_hash64() of the key */
	uint32_t len;   /* key bytes */
};

struct vx_mg {
	uint32_t k;
	uint32_t max_key;     /* arena bytes per slot */
	uint32_t used;        /* slots in use, <= k */
	uint32_t nfree;       /* entries on the free stack: k - used */
	uint64_t total;       /* N: weight added, merged included */
	uint64_t decrement;   /* D: the sum of every decrement step's amount */
	size_t index_mask;    /* index positions - 1 (a power of two >= 2k, minus 1) */
	struct slot *slots;   /* k */
	unsigned char *keys;  /* k * max_key */
	/* Index entry: (hash >> 32) << 32 | (slot + 1); 0 is empty. The tag
	 * skips most foreign slots without touching them. */
	uint64_t *index;
	uint32_t *free_slots; /* k: stack of free slot numbers */
	uint32_t *order;      /* k: scratch, slot numbers (serialize sort, merge extras) */
	uint64_t *heap;       /* k + 1: scratch, counters (merge's (k+1)-th largest) */
};

static bool params_ok(size_t k, size_t max_key)
{
	return k >= 1 && k <= VX_MG_MAX_K && max_key <= VX_MG_MAX_KEY_BYTES &&
	       max_key <= VX_MG_MAX_ARENA / k;
}

int vx_mg_create(struct vx_mg **out, size_t k, size_t max_key_bytes)
{
	struct vx_mg *s;
	size_t positions = 2;

	if (!params_ok(k, max_key_bytes))
		return -EINVAL;
	while (positions < 2 * k)
		positions *= 2;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->k = (uint32_t)k;
	s->max_key = (uint32_t)max_key_bytes;
	s->index_mask = positions - 1;
	s->slots = calloc(k, sizeof(*s->slots));
	s->keys = malloc(max_key_bytes ? k * max_key_bytes : 1);
	s->index = calloc(positions, sizeof(*s->index));
	s->free_slots = malloc(k * sizeof(*s->free_slots));
	s->order = malloc(k * sizeof(*s->order));
	s->heap = malloc((k + 1) * sizeof(*s->heap));
	if (!s->slots || !s->keys || !s->index || !s->free_slots || !s->order || !s->heap) {
		vx_mg_destroy(s);
		return -ENOMEM;
	}
	/* Popped from the top: slot 0 is used first. */
	for (uint32_t i = 0; i < s->k; i++)
		s->free_slots[i] = s->k - 1 - i;
	s->nfree = s->k;
	*out = s;
	return 0;
}

void vx_mg_destroy(struct vx_mg *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->keys);
	free(s->index);
	free(s->free_slots);
	free(s->order);
	free(s->heap);
	free(s);
}

static unsigned char *key_of(const struct vx_mg *s, uint32_t slot)
{
	return s->keys + (size_t)slot * s->max_key;
}

/* Byte order of keys: memcmp over the common length, then the shorter first. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int r = n ? memcmp(a, b, n) : 0;

	if (r)
		return r;
	return (alen > blen) - (alen < blen);
}

static uint64_t index_entry(uint64_t hash, uint32_t slot)
{
	return (hash >> 32) << 32 | ((uint64_t)slot + 1);
}

/* The index position holding @key, or the empty position where it would go.
 * Terminates because the index is never more than half full. */
static size_t probe(const struct vx_mg *s, uint64_t hash, const void *key, size_t len)
{
	uint64_t tag = hash >> 32;

	for (size_t i = hash & s->index_mask;; i = (i + 1) & s->index_mask) {
		uint64_t e = s->index[i];
		const struct slot *sl;

		if (!e)
			return i;
		if (e >> 32 != tag)
			continue;
		sl = &s->slots[(uint32_t)e - 1];
		if (sl->hash == hash && sl->len == len &&
		    (!len || memcmp(key_of(s, (uint32_t)e - 1), key, len) == 0))
			return i;
	}
}

/* Take a free slot for a key known to be absent; @pos is probe()'s answer. */
static void insert(struct vx_mg *s, size_t pos, uint64_t hash, const void *key, size_t len,
		   uint64_t count)
{
	uint32_t slot;

	assert(s->nfree > 0 && !s->index[pos]);
	slot = s->free_slots[--s->nfree];
	if (len)
		memcpy(key_of(s, slot), key, len);
	s->slots[slot] = (struct slot){ .count = count, .hash = hash, .len = (uint32_t)len };
	s->index[pos] = index_entry(hash, slot);
	s->used++;
}

/* Lower every counter by @m (the counters at or below it drop to zero and are
 * freed) and rebuild the index over the survivors. O(k + index positions). */
static void decrement_all(struct vx_mg *s, uint64_t m)
{
	memset(s->index, 0, (s->index_mask + 1) * sizeof(*s->index));
	s->used = 0;
	s->nfree = 0;
	for (uint32_t i = s->k; i-- > 0;) {
		struct slot *sl = &s->slots[i];
		size_t pos;

		if (sl->count <= m) {
			sl->count = 0;
			s->free_slots[s->nfree++] = i;
			continue;
		}
		sl->count -= m;
		pos = sl->hash & s->index_mask;
		while (s->index[pos])
			pos = (pos + 1) & s->index_mask;
		s->index[pos] = index_entry(sl->hash, i);
		s->used++;
	}
}

static void add_hashed(struct vx_mg *s, uint64_t hash, const void *key, size_t len, uint64_t count)
{
	size_t pos = probe(s, hash, key, len);
	uint64_t m;

	s->total += count;
	if (s->index[pos]) {
		/* Cannot overflow: a counter never exceeds the total. */
		s->slots[(uint32_t)s->index[pos] - 1].count += count;
		return;
	}
	if (s->used == s->k) {
		/* Full: lower everything, the newcomer included, by the smallest
		 * of its weight and the counters (all in use, so all >= 1). */
		m = count;
		for (uint32_t i = 0; i < s->k && m > 1; i++)
			if (s->slots[i].count < m)
				m = s->slots[i].count;
		s->decrement += m;
		decrement_all(s, m);
		count -= m;
		if (!count)
			return;
		/* m was the smallest counter, so a slot is free now. */
		pos = probe(s, hash, key, len);
	}
	insert(s, pos, hash, key, len, count);
}

int vx_mg_add(struct vx_mg *s, const void *key, size_t len, uint64_t count)
{
	if (len > s->max_key)
		return -E2BIG;
	if (count > UINT64_MAX - s->total)
		return -EOVERFLOW;
	if (count)
		add_hashed(s, vx_hash64(key, len), key, len, count);
	return 0;
}

static void u64_key(unsigned char b[8], uint64_t key)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(key >> (8 * i));
}

int vx_mg_add_u64(struct vx_mg *s, uint64_t key, uint64_t count)
{
	unsigned char b[8];

	u64_key(b, key);
	return vx_mg_add(s, b, sizeof(b), count);
}

void vx_mg_query(const struct vx_mg *s, const void *key, size_t len, uint64_t *lower,
		 uint64_t *upper)
{
	uint64_t c = 0;

	if (len <= s->max_key) {
		size_t pos = probe(s, vx_hash64(key, len), key, len);

		if (s->index[pos])
			c = s->slots[(uint32_t)s->index[pos] - 1].count;
	}
	if (lower)
		*lower = c;
	/* c + D <= N: the invariant (k + 1) * D + sum <= N rules out overflow. */
	if (upper)
		*upper = c + s->decrement;
}

void vx_mg_query_u64(const struct vx_mg *s, uint64_t key, uint64_t *lower, uint64_t *upper)
{
	unsigned char b[8];

	u64_key(b, key);
	vx_mg_query(s, b, sizeof(b), lower, upper);
}

/* The listing order: a before b when a's counter is larger, or equal with
 * smaller key bytes. */
static bool item_before(const struct vx_mg_item *a, const struct vx_mg_item *b)
{
	if (a->lower != b->lower)
		return a->lower > b->lower;
	return key_cmp(a->key, a->len, b->key, b->len) < 0;
}

/* A heap rooted at the item listed last (the worst kept so far): no parent
 * is listed before its children. */
static void item_sift_down(struct vx_mg_item *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		struct vx_mg_item t;

		if (l < n && item_before(&h[w], &h[l]))
			w = l;
		if (r < n && item_before(&h[w], &h[r]))
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void item_sift_up(struct vx_mg_item *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct vx_mg_item t;

		if (!item_before(&h[p], &h[i]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

size_t vx_mg_items(const struct vx_mg *s, struct vx_mg_item *items, size_t cap)
{
	size_t n = 0;

	if (!items)
		cap = 0;
	/* Keep the best @cap in a heap rooted at the worst of them, then sort
	 * by moving the worst to the back repeatedly. */
	for (uint32_t i = 0; i < s->k && cap; i++) {
		const struct slot *sl = &s->slots[i];
		struct vx_mg_item it;

		if (!sl->count)
			continue;
		it = (struct vx_mg_item){ .key = key_of(s, i), .len = sl->len, .lower = sl->count,
					  .upper = sl->count + s->decrement };
		if (n < cap) {
			items[n] = it;
			item_sift_up(items, n++);
		} else if (item_before(&it, &items[0])) {
			items[0] = it;
			item_sift_down(items, n, 0);
		}
	}
	for (size_t end = n; end > 1; end--) {
		struct vx_mg_item t = items[0];

		items[0] = items[end - 1];
		items[end - 1] = t;
		item_sift_down(items, end - 1, 0);
	}
	return s->used;
}

uint64_t vx_mg_total(const struct vx_mg *s)
{
	return s->total;
}

uint64_t vx_mg_max_error(const struct vx_mg *s)
{
	return s->decrement;
}

/* Min-heap of counters: after pushing all, with k + 1 kept, the root is the
 * (k+1)-th largest. */
static void heap_push(uint64_t *h, size_t *n, size_t cap, uint64_t v)
{
	size_t i;

	if (*n < cap) {
		i = (*n)++;
		while (i > 0 && h[(i - 1) / 2] > v) {
			h[i] = h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		h[i] = v;
		return;
	}
	if (v <= h[0])
		return;
	/* Full: v replaces the root (the smallest) and sinks. */
	i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, c;

		if (l >= cap)
			break;
		c = r < cap && h[r] < h[l] ? r : l;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

int vx_mg_merge(struct vx_mg *dst, const struct vx_mg *src)
{
	uint32_t nextra = 0;
	size_t nheap = 0;
	uint64_t cut = 0;

	if (dst->k != src->k || dst->max_key != src->max_key)
		return -EINVAL;
	if (src->total > UINT64_MAX - dst->total)
		return -EOVERFLOW;

	/* Add the counters of keys both monitor; remember src's others. When
	 * src == dst every key matches itself and its counter doubles. */
	for (uint32_t i = 0; i < src->k; i++) {
		const struct slot *sl = &src->slots[i];
		size_t pos;

		if (!sl->count)
			continue;
		pos = probe(dst, sl->hash, key_of(src, i), sl->len);
		if (dst->index[pos])
			dst->slots[(uint32_t)dst->index[pos] - 1].count += sl->count;
		else
			dst->order[nextra++] = i;
	}

	/* The (k+1)-th largest of the up to 2k combined counters. */
	for (uint32_t i = 0; i < dst->k; i++)
		if (dst->slots[i].count)
			heap_push(dst->heap, &nheap, (size_t)dst->k + 1, dst->slots[i].count);
	for (uint32_t j = 0; j < nextra; j++)
		heap_push(dst->heap, &nheap, (size_t)dst->k + 1, src->slots[dst->order[j]].count);
	if (nheap == (size_t)dst->k + 1)
		cut = dst->heap[0];

	/* Lower all by the cut: at most k counters stay above it, so src's
	 * survivors find free slots. The top k + 1 lose cut each, which keeps
	 * (k + 1) * D + sum <= N with D grown by cut. */
	if (cut)
		decrement_all(dst, cut);
	for (uint32_t j = 0; j < nextra; j++) {
		uint32_t i = dst->order[j];
		const struct slot *sl = &src->slots[i];

		if (sl->count > cut)
			insert(dst, probe(dst, sl->hash, key_of(src, i), sl->len), sl->hash,
			       key_of(src, i), sl->len, sl->count - cut);
	}
	dst->total += src->total;
	dst->decrement += src->decrement + cut;
	return 0;
}

/* Sort slot numbers by key (heapsort: no allocation, bounded time). */
static bool slot_key_less(const struct vx_mg *s, uint32_t a, uint32_t b)
{
	return key_cmp(key_of(s, a), s->slots[a].len, key_of(s, b), s->slots[b].len) < 0;
}

static void order_sift_down(const struct vx_mg *s, uint32_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t t;

		if (l < n && slot_key_less(s, h[m], h[l]))
			m = l;
		if (r < n && slot_key_less(s, h[m], h[r]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sort_by_key(const struct vx_mg *s, uint32_t *h, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		order_sift_down(s, h, n, i);
	for (size_t end = n; end > 1; end--) {
		uint32_t t = h[0];

		h[0] = h[end - 1];
		h[end - 1] = t;
		order_sift_down(s, h, end - 1, 0);
	}
}

ssize_t vx_mg_serialize(const struct vx_mg *s, void *buf, size_t cap)
{
	struct vx_ser_writer w;
	uint32_t *order = s->order; /* scratch: see the header */
	size_t n = 0;

	for (uint32_t i = 0; i < s->k; i++)
		if (s->slots[i].count)
			order[n++] = i;
	/* Key order makes the bytes canonical and lets deserialize find a
	 * repeated key by comparing neighbours. The size does not depend on it. */
	if (buf)
		sort_by_key(s, order, n);

	vx_ser_begin(&w, buf, cap, VX_SER_MG);
	vx_ser_u32(&w, s->k);
	vx_ser_u32(&w, s->max_key);
	vx_ser_u64(&w, s->total);
	vx_ser_u64(&w, s->decrement);
	vx_ser_u32(&w, s->used);
	for (size_t j = 0; j < n; j++) {
		const struct slot *sl = &s->slots[order[j]];

		vx_ser_u32(&w, sl->len);
		vx_ser_bytes(&w, key_of(s, order[j]), sl->len);
		vx_ser_u64(&w, sl->count);
	}
	return vx_ser_finish(&w);
}

/* One entry of the payload; false on a short read. */
static bool read_entry(struct vx_ser_reader *r, uint32_t max_key, const uint8_t **key,
		       uint32_t *len, uint64_t *count)
{
	*len = vx_ser_get_u32(r);
	if (r->error || *len > max_key)
		return false;
	*key = vx_ser_get_bytes(r, *len);
	*count = vx_ser_get_u64(r);
	return !r->error;
}

int vx_mg_deserialize(struct vx_mg **out, const void *buf, size_t len)
{
	struct vx_ser_reader r, entries;
	const uint8_t *key, *prev = NULL;
	uint32_t k, max_key, n, klen, prev_len = 0;
	uint64_t total, decrement, count, sum = 0;
	struct vx_mg *s;
	int ret;

	if (vx_ser_open(&r, buf, len, VX_SER_MG) < 0)
		return -EINVAL;
	k = vx_ser_get_u32(&r);
	max_key = vx_ser_get_u32(&r);
	total = vx_ser_get_u64(&r);
	decrement = vx_ser_get_u64(&r);
	n = vx_ser_get_u32(&r);
	if (r.error || !params_ok(k, max_key) || n > k)
		return -EINVAL;

	/* First pass: validate everything before allocating. */
	entries = r;
	for (uint32_t i = 0; i < n; i++) {
		if (!read_entry(&r, max_key, &key, &klen, &count) || !count ||
		    count > UINT64_MAX - sum)
			return -EINVAL;
		if (prev && key_cmp(prev, prev_len, key, klen) >= 0)
			return -EINVAL; /* out of order, or a key twice */
		sum += count;
		prev = key;
		prev_len = klen;
	}
	if (vx_ser_close(&r) < 0 || sum > total || decrement > (total - sum) / ((uint64_t)k + 1))
		return -EINVAL;

	ret = vx_mg_create(&s, k, max_key);
	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t h;

		read_entry(&entries, max_key, &key, &klen, &count);
		h = vx_hash64(key, klen);
		insert(s, probe(s, h, key, klen), h, key, klen, count);
	}
	s->total = total;
	s->decrement = decrement;
	*out = s;
	return 0;
}

size_t vx_mg_footprint(const struct vx_mg *s)
{
	size_t k = s->k;

	return sizeof(*s) + k * sizeof(*s->slots) + (s->max_key ? k * s->max_key : 1) +
	       (s->index_mask + 1) * sizeof(*s->index) + k * sizeof(*s->free_slots) +
	       k * sizeof(*s->order) + (k + 1) * sizeof(*s->heap);
}
