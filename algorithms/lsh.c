// SPDX-License-Identifier: MIT
/*
 * SimHash, MinHash and a banding index over MinHash signatures.
 *
 * SimHash — Charikar, STOC 2002. A random hyperplane with a Gaussian normal g
 * separates u and v with probability θ/π: the projection of g on the plane of u
 * and v has a uniformly distributed direction (the Gaussian is rotation
 * invariant), and the two signs differ exactly when that direction falls in one
 * of two opposite arcs of angle θ. 64 independent normals give 64 independent
 * bits, each agreeing with probability 1 − θ/π.
 *
 * MinHash — Broder 1997. For a random permutation h, the minimum of h over A ∪ B
 * is equally likely to be any of its elements, and min h(A) = min h(B) exactly
 * when that element lies in A ∩ B: probability J. Our K "permutations" of the
 * 64-bit element hashes x are
 *
 *	h_i(x) = mix64(x ^ key_i),  key_i = the i-th output of SplitMix64(seed),
 *
 * mix64 being SplitMix64's finaliser (vx_hash_mix64), a bijection on 64 bits, so
 * each h_i is a true permutation of the hash space and two distinct hashes never
 * tie within a slot. Why this is independent enough: no compact family is
 * provably min-wise independent, but x is already an XXH3 output (near uniform),
 * the per-slot key moves it to an unrelated point of the space and the finaliser
 * has full avalanche (each input bit flips each output bit with probability about
 * 1/2), so the K orderings of a set behave like K independent random orderings.
 * That is the property the bounds need, and test_lsh.c measures it: slot
 * agreement within a 4.5σ binomial interval of J for several J, and the banding
 * recall curve, which needs r slots to agree jointly with probability J^r. (The
 * classic alternative, (a_i·x + b_i) mod p, is only 2-universal, which is weaker.)
 * The one shortcut left: elements whose 64-bit hashes collide count as one,
 * probability about n²/2^65 for n elements.
 *
 * Banding — Indyk–Motwani 1998; Leskovec, Rajaraman, Ullman ch. 3. With b bands
 * of r slots, a pair of similarity s shares some band with probability
 * 1 − (1 − s^r)^b. Each band has its own chained hash table keyed by a hash of
 * its r slots; a chain entry carries 32 more bits of that hash (a tag) so most
 * bucket collisions are skipped without touching the signature, and a candidate
 * is confirmed by comparing the r slots themselves, so there are no false
 * candidates. An item found in several bands is reported once: the query checks
 * whether it already shares an earlier band (a few slot comparisons), which keeps
 * queries read-only and allocation-free.
 *
 * Payloads (inside the ser.h envelope, little-endian):
 *   SimHash  (VX_SER_SIMHASH):   u32 dim, u64 seed. The hyperplanes are a
 *            deterministic function of both and are regenerated on reading.
 *   MinHash  (VX_SER_MINHASH):   u32 k, u64 seed, k × u64 minima.
 *   Index    (VX_SER_LSH_INDEX): u32 k, u64 seed, u32 bands, u32 rows, u32 n, then
 *            n × (u64 id, k × u64 minima) in insertion order.
 */
#include "algorithms/lsh.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/ser.h"

#define PLANES 64 /* bits in a SimHash signature */

/* ---- SimHash ----------------------------------------------------------------- */

struct vx_simhash {
	size_t dim;
	uint64_t seed;
	/* Normal i's coordinate j at planes[j·64 + i]: one vector element meets
	 * 64 contiguous floats, a loop the compiler vectorises. */
	float planes[];
};

/*
 * Marsaglia's polar method: two independent N(0, 1) values from uniforms. Only
 * sqrt (exact in IEEE 754) and log take part, so the matrix, and with it every
 * signature, is the same wherever libm's log agrees to the last bit.
 */
static void gaussian_pair(uint64_t *state, double *a, double *b)
{
	double u, v, s;

	do {
		u = 2.0 * vx_rand_unit(state) - 1.0;
		v = 2.0 * vx_rand_unit(state) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	s = sqrt(-2.0 * log(s) / s);
	*a = u * s;
	*b = v * s;
}

int vx_simhash_create(struct vx_simhash **out, size_t dim, uint64_t seed)
{
	struct vx_simhash *s;
	uint64_t state = seed;
	size_t n = dim * PLANES;

	if (dim < 1 || dim > VX_SIMHASH_MAX_DIM)
		return -EINVAL;
	s = malloc(sizeof(*s) + n * sizeof(s->planes[0]));
	if (!s)
		return -ENOMEM;
	s->dim = dim;
	s->seed = seed;
	for (size_t i = 0; i < n; i += 2) { /* n is even: 64 per row */
		double a, b;

		gaussian_pair(&state, &a, &b);
		s->planes[i] = (float)a;
		s->planes[i + 1] = (float)b;
	}
	*out = s;
	return 0;
}

void vx_simhash_destroy(struct vx_simhash *s)
{
	free(s);
}

uint64_t vx_simhash_sign(const struct vx_simhash *s, const float *v)
{
	float acc[PLANES] = { 0 };
	uint64_t sig = 0;
	size_t j = 0;

	/* Four coordinates per pass over acc[]: the vectorised loop then loads and
	 * stores the accumulators a quarter as often (about twice as fast). Any
	 * fixed summation order gives a deterministic signature. */
	for (; j + 4 <= s->dim; j += 4) {
		const float *r = s->planes + j * PLANES;
		const float x0 = v[j], x1 = v[j + 1], x2 = v[j + 2], x3 = v[j + 3];

		for (size_t i = 0; i < PLANES; i++)
			acc[i] += (x0 * r[i] + x1 * r[PLANES + i]) +
				  (x2 * r[2 * PLANES + i] + x3 * r[3 * PLANES + i]);
	}
	for (; j < s->dim; j++) {
		const float *row = s->planes + j * PLANES;
		const float x = v[j];

		for (size_t i = 0; i < PLANES; i++)
			acc[i] += x * row[i];
	}
	for (unsigned i = 0; i < PLANES; i++)
		sig |= (uint64_t)(acc[i] >= 0.0f) << i;
	return sig;
}

size_t vx_simhash_dim(const struct vx_simhash *s)
{
	return s->dim;
}

unsigned vx_simhash_distance(uint64_t a, uint64_t b)
{
	return (unsigned)__builtin_popcountll(a ^ b);
}

double vx_simhash_cosine(uint64_t a, uint64_t b)
{
	return cos(M_PI * (double)vx_simhash_distance(a, b) / PLANES);
}

ssize_t vx_simhash_serialize(const struct vx_simhash *s, void *buf, size_t cap)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, VX_SER_SIMHASH);
	vx_ser_u32(&w, (uint32_t)s->dim); /* <= VX_SIMHASH_MAX_DIM */
	vx_ser_u64(&w, s->seed);
	return vx_ser_finish(&w);
}

int vx_simhash_deserialize(struct vx_simhash **out, const void *buf, size_t len)
{
	struct vx_ser_reader r;
	uint32_t dim;
	uint64_t seed;
	int ret;

	ret = vx_ser_open(&r, buf, len, VX_SER_SIMHASH);
	if (ret < 0)
		return ret;
	dim = vx_ser_get_u32(&r);
	seed = vx_ser_get_u64(&r);
	/* The matrix this allocates is not in the payload: its size is bounded by
	 * VX_SIMHASH_MAX_DIM, as for create(). */
	if (vx_ser_close(&r) < 0 || dim < 1 || dim > VX_SIMHASH_MAX_DIM)
		return -EINVAL;
	return vx_simhash_create(out, dim, seed);
}

size_t vx_simhash_footprint(const struct vx_simhash *s)
{
	return sizeof(*s) + s->dim * PLANES * sizeof(s->planes[0]);
}

/* ---- MinHash ----------------------------------------------------------------- */

struct vx_minhash {
	size_t k;
	uint64_t seed;
	/* slot[0 .. k): the minima (UINT64_MAX = no element yet);
	 * slot[k .. 2k): key_i of each hash function, derived from seed. */
	uint64_t slot[];
};

int vx_minhash_create(struct vx_minhash **out, size_t k, uint64_t seed)
{
	struct vx_minhash *m;
	uint64_t state = seed;

	if (k < 1 || k > VX_MINHASH_MAX_K)
		return -EINVAL;
	m = malloc(sizeof(*m) + 2 * k * sizeof(m->slot[0]));
	if (!m)
		return -ENOMEM;
	m->k = k;
	m->seed = seed;
	for (size_t i = 0; i < k; i++)
		m->slot[k + i] = vx_rand64(&state);
	vx_minhash_reset(m);
	*out = m;
	return 0;
}

void vx_minhash_destroy(struct vx_minhash *m)
{
	free(m);
}

void vx_minhash_reset(struct vx_minhash *m)
{
	for (size_t i = 0; i < m->k; i++)
		m->slot[i] = UINT64_MAX;
}

void vx_minhash_add_hash(struct vx_minhash *m, uint64_t hash)
{
	uint64_t *mins = m->slot;
	const uint64_t *keys = m->slot + m->k;

	for (size_t i = 0; i < m->k; i++) {
		uint64_t h = vx_hash_mix64(hash ^ keys[i]);

		mins[i] = h < mins[i] ? h : mins[i];
	}
}

void vx_minhash_add(struct vx_minhash *m, const void *data, size_t len)
{
	vx_minhash_add_hash(m, vx_hash64(data, len));
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* One element for words ring[first], ..., in order: chaining the bijective
 * finaliser makes the hash depend on the order of the words. */
static uint64_t words_hash(const uint64_t *ring, size_t first, size_t count)
{
	uint64_t h = 0;

	for (size_t i = 0; i < count; i++)
		h = vx_hash_mix64(h ^ ring[(first + i) % VX_SHINGLE_MAX_N]);
	return h;
}

/* Where the shingles of a text go: a signature, or an array of hashes. */
struct shingle_sink {
	struct vx_minhash *m;
	uint64_t *out;
	size_t cap;
	size_t count;
};

static void emit(struct shingle_sink *sink, uint64_t h)
{
	if (sink->m)
		vx_minhash_add_hash(sink->m, h);
	else if (sink->count < sink->cap)
		sink->out[sink->count] = h;
	sink->count++;
}

static void word_shingles(struct shingle_sink *sink, const char *text, size_t len, size_t n)
{
	uint64_t ring[VX_SHINGLE_MAX_N]; /* hashes of the last n words */
	size_t words = 0, i = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_space((unsigned char)text[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_space((unsigned char)text[i]))
			i++;
		ring[words % VX_SHINGLE_MAX_N] = vx_hash64(text + start, i - start);
		words++;
		if (words >= n)
			emit(sink, words_hash(ring, words - n, n));
	}
	if (words > 0 && words < n)
		emit(sink, words_hash(ring, 0, words));
}

static int shingles(struct shingle_sink *sink, const char *text, size_t len, size_t n,
		    enum vx_shingle_unit unit)
{
	if (n < 1 || n > VX_SHINGLE_MAX_N)
		return -EINVAL;
	switch (unit) {
	case VX_SHINGLE_BYTES:
		if (len > 0 && len < n)
			emit(sink, vx_hash64(text, len));
		for (size_t i = 0; i + n <= len; i++)
			emit(sink, vx_hash64(text + i, n));
		return 0;
	case VX_SHINGLE_WORDS:
		word_shingles(sink, text, len, n);
		return 0;
	}
	return -EINVAL;
}

int vx_minhash_add_shingles(struct vx_minhash *m, const char *text, size_t len, size_t n,
			    enum vx_shingle_unit unit)
{
	struct shingle_sink sink = { .m = m };

	return shingles(&sink, text, len, n, unit);
}

ssize_t vx_shingle_hashes(const char *text, size_t len, size_t n, enum vx_shingle_unit unit,
			  uint64_t *out, size_t cap)
{
	struct shingle_sink sink = { .out = out, .cap = out ? cap : 0 };
	int ret = shingles(&sink, text, len, n, unit);

	return ret < 0 ? ret : (ssize_t)sink.count;
}

static bool minhash_compatible(const struct vx_minhash *a, const struct vx_minhash *b)
{
	return a->k == b->k && a->seed == b->seed;
}

static size_t equal_slots(const uint64_t *a, const uint64_t *b, size_t k)
{
	size_t same = 0;

	for (size_t i = 0; i < k; i++)
		same += a[i] == b[i];
	return same;
}

double vx_minhash_similarity(const struct vx_minhash *a, const struct vx_minhash *b)
{
	if (!minhash_compatible(a, b))
		return nan("");
	return (double)equal_slots(a->slot, b->slot, a->k) / (double)a->k;
}

int vx_minhash_merge(struct vx_minhash *dst, const struct vx_minhash *src)
{
	if (!minhash_compatible(dst, src))
		return -EINVAL;
	for (size_t i = 0; i < dst->k; i++)
		dst->slot[i] = src->slot[i] < dst->slot[i] ? src->slot[i] : dst->slot[i];
	return 0;
}

size_t vx_minhash_k(const struct vx_minhash *m)
{
	return m->k;
}

uint64_t vx_minhash_seed(const struct vx_minhash *m)
{
	return m->seed;
}

const uint64_t *vx_minhash_slots(const struct vx_minhash *m)
{
	return m->slot;
}

bool vx_minhash_is_empty(const struct vx_minhash *m)
{
	for (size_t i = 0; i < m->k; i++)
		if (m->slot[i] != UINT64_MAX)
			return false;
	return true;
}

ssize_t vx_minhash_serialize(const struct vx_minhash *m, void *buf, size_t cap)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, VX_SER_MINHASH);
	vx_ser_u32(&w, (uint32_t)m->k); /* <= VX_MINHASH_MAX_K */
	vx_ser_u64(&w, m->seed);
	for (size_t i = 0; i < m->k; i++)
		vx_ser_u64(&w, m->slot[i]);
	return vx_ser_finish(&w);
}

int vx_minhash_deserialize(struct vx_minhash **out, const void *buf, size_t len)
{
	struct vx_ser_reader r;
	struct vx_minhash *m;
	uint32_t k;
	uint64_t seed;
	int ret;

	ret = vx_ser_open(&r, buf, len, VX_SER_MINHASH);
	if (ret < 0)
		return ret;
	k = vx_ser_get_u32(&r);
	seed = vx_ser_get_u64(&r);
	/* Every 64-bit value is a possible minimum, so k and the length are all
	 * there is to check; k is checked against the payload before allocating. */
	if (k < 1 || k > VX_MINHASH_MAX_K || vx_ser_remaining(&r) != (size_t)k * 8)
		return -EINVAL;
	ret = vx_minhash_create(&m, k, seed);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < k; i++)
		m->slot[i] = vx_ser_get_u64(&r);
	if (vx_ser_close(&r) < 0) { /* cannot happen after the length check */
		vx_minhash_destroy(m);
		return -EINVAL;
	}
	*out = m;
	return 0;
}

size_t vx_minhash_footprint(const struct vx_minhash *m)
{
	return sizeof(*m) + 2 * m->k * sizeof(m->slot[0]);
}

/* ---- Banding index ----------------------------------------------------------- */

/* Item numbers travel as uint32 + 1 in the chains (0 ends a chain). */
#define MAX_ITEMS ((size_t)UINT32_MAX - 1)

struct lsh_link {
	uint32_t next; /* next item + 1 in this band's bucket, 0 at the end */
	uint32_t tag;  /* low 32 bits of the item's band hash */
};

struct vx_lsh_index {
	size_t k, bands, rows;
	uint64_t seed;
	size_t n;        /* items stored */
	size_t cap;      /* items the arrays below have room for */
	size_t buckets;  /* per band: a power of two, 2·cap once allocated */
	uint64_t *ids;   /* [cap] */
	uint64_t *sigs;  /* [cap·k]: item i's minima at i·k */
	struct lsh_link *links; /* [cap·bands]: item i's link in band j at i·bands + j */
	uint32_t *heads; /* [bands·buckets]: item + 1 heading each chain, 0 = empty */
};

int vx_lsh_params(size_t k, double threshold, size_t *bands, size_t *rows)
{
	if (k < 1 || k > VX_MINHASH_MAX_K || !(threshold > 0.0 && threshold <= 1.0))
		return -EINVAL;
	for (size_t r = k; r >= 1; r--) {
		double want = pow(threshold, -(double)r);
		size_t b;

		if (want > (double)k)
			continue;
		/* The margin keeps pow()'s last-bit error from rounding 10.000…02 up. */
		b = (size_t)ceil(want * (1.0 - 1e-12));
		if (b < 1)
			b = 1;
		if (b * r <= k) {
			*bands = b;
			*rows = r;
			return 0;
		}
	}
	*bands = k;
	*rows = 1;
	return 0;
}

int vx_lsh_create(struct vx_lsh_index **out, size_t k, uint64_t seed, size_t bands, size_t rows)
{
	struct vx_lsh_index *x;

	if (k < 1 || k > VX_MINHASH_MAX_K || bands < 1 || rows < 1 || bands > k ||
	    rows > k / bands)
		return -EINVAL;
	/* The tables come with the first insert: an empty index holds no buckets. */
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->k = k;
	x->seed = seed;
	x->bands = bands;
	x->rows = rows;
	*out = x;
	return 0;
}

void vx_lsh_destroy(struct vx_lsh_index *x)
{
	if (!x)
		return;
	free(x->ids);
	free(x->sigs);
	free(x->links);
	free(x->heads);
	free(x);
}

static uint64_t band_hash(const uint64_t *slots, size_t rows)
{
	return vx_hash64(slots, rows * sizeof(*slots));
}

/* The bucket takes the high half of the band hash, the tag the low half, so the
 * tag still tells apart items that share a bucket. */
static size_t bucket_of(const struct vx_lsh_index *x, size_t band, uint64_t h)
{
	return band * x->buckets + (size_t)((h >> 32) & (x->buckets - 1));
}

/* File item i (its signature already stored) in the bucket of each band. */
static void link_item(struct vx_lsh_index *x, size_t i)
{
	const uint64_t *sig = x->sigs + i * x->k;

	for (size_t j = 0; j < x->bands; j++) {
		uint64_t h = band_hash(sig + j * x->rows, x->rows);
		uint32_t *head = &x->heads[bucket_of(x, j, h)];
		struct lsh_link *l = &x->links[i * x->bands + j];

		l->next = *head;
		l->tag = (uint32_t)h;
		*head = (uint32_t)(i + 1);
	}
}

static int grow(void **p, size_t count, size_t size)
{
	void *q = realloc(*p, count * size);

	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

/* Make room for @want items: arrays and tables double, then every chain is rebuilt
 * for the larger tables. On failure the index is unchanged in content. */
static int reserve(struct vx_lsh_index *x, size_t want)
{
	size_t cap = x->cap ? x->cap : 4, buckets;
	uint32_t *heads;

	if (want <= x->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	if (cap > SIZE_MAX / 2 / x->bands / sizeof(*heads) || cap > SIZE_MAX / x->k / 8)
		return -ENOMEM;
	if (grow((void **)&x->ids, cap, sizeof(*x->ids)) < 0 ||
	    grow((void **)&x->sigs, cap * x->k, sizeof(*x->sigs)) < 0 ||
	    grow((void **)&x->links, cap * x->bands, sizeof(*x->links)) < 0)
		return -ENOMEM;
	x->cap = cap;

	buckets = 2 * cap; /* load at most 1/2 per band */
	heads = calloc(buckets * x->bands, sizeof(*heads));
	if (!heads)
		return -ENOMEM;
	free(x->heads);
	x->heads = heads;
	x->buckets = buckets;
	for (size_t i = 0; i < x->n; i++)
		link_item(x, i);
	return 0;
}

static bool index_compatible(const struct vx_lsh_index *x, const struct vx_minhash *sig)
{
	return sig->k == x->k && sig->seed == x->seed;
}

int vx_lsh_insert(struct vx_lsh_index *x, uint64_t id, const struct vx_minhash *sig)
{
	int ret;

	if (!index_compatible(x, sig))
		return -EINVAL;
	if (x->n >= MAX_ITEMS)
		return -ENOSPC;
	ret = reserve(x, x->n + 1);
	if (ret < 0)
		return ret;
	x->ids[x->n] = id;
	memcpy(x->sigs + x->n * x->k, sig->slot, x->k * sizeof(*x->sigs));
	link_item(x, x->n);
	x->n++;
	return 0;
}

static bool same_slots(const uint64_t *a, const uint64_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Whether an item met in band @band already shares an earlier band with the
 * query: then it was reported there. */
static bool met_before(const struct vx_lsh_index *x, const uint64_t *item, const uint64_t *q,
		       size_t band)
{
	for (size_t j = 0; j < band; j++)
		if (same_slots(item + j * x->rows, q + j * x->rows, x->rows))
			return true;
	return false;
}

/* Order of the answers: a before b when a is the better match. */
static bool better(const struct vx_lsh_match *a, const struct vx_lsh_match *b)
{
	return a->similarity > b->similarity || (a->similarity == b->similarity && a->id < b->id);
}

/* out[0 .. n) is a heap with the worst match at the root. */
static void sift_down(struct vx_lsh_match *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		struct vx_lsh_match t;

		if (l < n && better(&h[w], &h[l]))
			w = l;
		if (r < n && better(&h[w], &h[r]))
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void sift_up(struct vx_lsh_match *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct vx_lsh_match t;

		if (!better(&h[p], &h[i]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

/* Keep the @cap best matches seen so far in the heap out[0 .. *n). */
static void offer(struct vx_lsh_match *out, size_t cap, size_t *n, struct vx_lsh_match m)
{
	if (*n < cap) {
		out[*n] = m;
		sift_up(out, (*n)++);
	} else if (cap > 0 && better(&m, &out[0])) {
		out[0] = m;
		sift_down(out, cap, 0);
	}
}

ssize_t vx_lsh_query(const struct vx_lsh_index *x, const struct vx_minhash *sig,
		     double threshold, struct vx_lsh_match *out, size_t cap)
{
	const uint64_t *q = sig->slot;
	size_t found = 0, kept = 0;

	if (!index_compatible(x, sig) || isnan(threshold))
		return -EINVAL;
	if (x->n == 0)
		return 0;
	for (size_t j = 0; j < x->bands; j++) {
		const uint64_t *qb = q + j * x->rows;
		uint64_t h = band_hash(qb, x->rows);
		uint32_t e = x->heads[bucket_of(x, j, h)];

		for (; e; e = x->links[(size_t)(e - 1) * x->bands + j].next) {
			size_t i = (size_t)e - 1;
			const uint64_t *item = x->sigs + i * x->k;
			struct vx_lsh_match m;

			if (x->links[i * x->bands + j].tag != (uint32_t)h ||
			    !same_slots(item + j * x->rows, qb, x->rows) || met_before(x, item, q, j))
				continue;
			m.id = x->ids[i];
			m.similarity = (double)equal_slots(item, q, x->k) / (double)x->k;
			if (m.similarity < threshold)
				continue;
			found++;
			offer(out, cap, &kept, m);
		}
	}
	/* Heap sort: move the worst to the end, repeatedly, leaving the best first. */
	for (size_t n = kept; n > 1; n--) {
		struct vx_lsh_match t = out[0];

		out[0] = out[n - 1];
		out[n - 1] = t;
		sift_down(out, n - 1, 0);
	}
	return (ssize_t)found;
}

int vx_lsh_item(const struct vx_lsh_index *x, size_t i, uint64_t *id, struct vx_minhash *sig)
{
	if (i >= x->n || !index_compatible(x, sig))
		return -EINVAL;
	*id = x->ids[i];
	memcpy(sig->slot, x->sigs + i * x->k, x->k * sizeof(*x->sigs));
	return 0;
}

void vx_lsh_info(const struct vx_lsh_index *x, struct vx_lsh_info *info)
{
	info->k = x->k;
	info->seed = x->seed;
	info->bands = x->bands;
	info->rows = x->rows;
	info->items = x->n;
}

ssize_t vx_lsh_serialize(const struct vx_lsh_index *x, void *buf, size_t cap)
{
	struct vx_ser_writer w;

	vx_ser_begin(&w, buf, cap, VX_SER_LSH_INDEX);
	vx_ser_u32(&w, (uint32_t)x->k); /* all three <= VX_MINHASH_MAX_K */
	vx_ser_u64(&w, x->seed);
	vx_ser_u32(&w, (uint32_t)x->bands);
	vx_ser_u32(&w, (uint32_t)x->rows);
	vx_ser_u32(&w, (uint32_t)x->n); /* <= MAX_ITEMS */
	for (size_t i = 0; i < x->n; i++) {
		vx_ser_u64(&w, x->ids[i]);
		for (size_t s = 0; s < x->k; s++)
			vx_ser_u64(&w, x->sigs[i * x->k + s]);
	}
	return vx_ser_finish(&w);
}

int vx_lsh_deserialize(struct vx_lsh_index **out, const void *buf, size_t len)
{
	struct vx_ser_reader r;
	struct vx_lsh_index *x;
	uint32_t k, bands, rows, n;
	uint64_t seed;
	int ret;

	ret = vx_ser_open(&r, buf, len, VX_SER_LSH_INDEX);
	if (ret < 0)
		return ret;
	k = vx_ser_get_u32(&r);
	seed = vx_ser_get_u64(&r);
	bands = vx_ser_get_u32(&r);
	rows = vx_ser_get_u32(&r);
	n = vx_ser_get_u32(&r);
	/* Shape first, then the length the items must fill exactly; only then
	 * allocate, in proportion to the payload (tables: about 2·bands·4 bytes per
	 * item against 8·k >= 8·bands in the payload). */
	if (r.error || k < 1 || k > VX_MINHASH_MAX_K || bands < 1 || rows < 1 ||
	    (uint64_t)bands * rows > k || n > MAX_ITEMS ||
	    (uint64_t)vx_ser_remaining(&r) != (uint64_t)n * (8 + 8 * (uint64_t)k))
		return -EINVAL;
	ret = vx_lsh_create(&x, k, seed, bands, rows);
	if (ret < 0)
		return ret;
	ret = reserve(x, n);
	if (ret < 0)
		goto err_destroy;
	for (size_t i = 0; i < n; i++) {
		x->ids[i] = vx_ser_get_u64(&r);
		for (size_t s = 0; s < k; s++)
			x->sigs[i * k + s] = vx_ser_get_u64(&r);
		link_item(x, i);
		x->n = i + 1;
	}
	if (vx_ser_close(&r) < 0) { /* cannot happen after the length check */
		ret = -EINVAL;
		goto err_destroy;
	}
	*out = x;
	return 0;

err_destroy:
	vx_lsh_destroy(x);
	return ret;
}

size_t vx_lsh_footprint(const struct vx_lsh_index *x)
{
	return sizeof(*x) +
	       x->cap * (sizeof(*x->ids) + x->k * sizeof(*x->sigs) +
			 x->bands * sizeof(*x->links)) +
	       x->buckets * x->bands * sizeof(*x->heads);
}
