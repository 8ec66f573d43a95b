// SPDX-License-Identifier: MIT
/*
 * HyperLogLog with a sparse form, 6-bit dense registers and Ertl's improved raw
 * estimator. Papers, error bound and the serialized format: see hll.h.
 *
 * Registers and entries. A register holds 0 (never hit) or a rank 1..q+1, where
 * q = 64 - p. The sparse form stores only the non-zero registers, each as an
 * entry e = index << 6 | rank: comparing entries compares indices first, and for
 * one index the larger entry carries the larger rank, so "max of two entries"
 * is the register max of a merge.
 *
 * Sparse layout. The list is a Rice-coded bit stream of the entries in index
 * order (exactly the serialized stream, so serialization copies it), plus a
 * buffer of entries not yet in the stream, kept sorted and unique by index so
 * that queries can walk stream and buffer together without sorting or
 * allocating. When the buffer is full the two are merged into a new stream.
 * Rice coding with k = p - bitlen(c) spends about 1 + k bits on each gap plus
 * 2 bits on an average rank (ranks are geometric, for which unary is the
 * optimal code): about 8 bits per entry at c = 1,000 and p = 14.
 *
 * Why m/4: past m/4 entries the stream costs over a quarter of the dense array
 * and every rebuild decodes thousands of entries; the dense form is then both
 * cheap enough and much faster. The count of non-zero registers only grows as
 * items arrive, so "sparse iff count <= m/4" depends on the registers alone,
 * never on the order of adds or merges: that keeps serialization canonical.
 */
#include "algorithms/hll.h"

#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms/hash.h"
#include "algorithms/ser.h"

#define RANK_BITS 6
#define RANK_MASK 63u
#define END       UINT32_MAX /* no more entries: above every real entry */

struct vx_hll {
	unsigned p;
	uint32_t m;
	bool dense;
	uint8_t *regs;       /* dense: dense_bytes(p) + 1 bytes, see reg_get() */
	/* sparse form (NULL/0 when dense) */
	uint8_t *stream;     /* Rice-coded entries: stream_bytes of stream_cap used */
	size_t stream_bytes;
	size_t stream_cap;
	uint32_t count;      /* entries in the stream */
	uint64_t rank_sum;   /* their ranks added up (sizes the next rebuild) */
	uint32_t *buf;       /* entries not yet in the stream: sorted, one per index */
	uint32_t nbuf;
	uint32_t buf_cap;
};

static size_t dense_bytes(unsigned p)
{
	return ((size_t)6 << p) / 8; /* exact: m >= 16 */
}

static uint32_t sparse_max(uint32_t m)
{
	return m / 4;
}

static uint32_t buffer_entries(uint32_t m)
{
	/* A rebuild decodes up to m/4 entries, so each buffered entry pays for
	 * at most 32 of them; capped so that inserting (a memmove of up to the
	 * whole buffer) stays cheap at p = 18. */
	uint32_t n = m / 128;

	return n < 4 ? 4 : n > 1024 ? 1024 : n;
}

static unsigned bitlen(uint32_t c)
{
	return c ? 32u - (unsigned)__builtin_clz(c) : 0;
}

/* Rice parameter: about log2 of the mean gap m/c. */
static unsigned rice_k(unsigned p, uint32_t c)
{
	unsigned b = bitlen(c);

	return p > b ? p - b : 0;
}

/* --- dense registers ---------------------------------------------------------
 * Register i is bits 6i..6i+5 of the array as a little-endian bit string. It
 * spans at most two bytes, so one 16-bit read of bytes (6i/8, 6i/8 + 1) covers
 * it; the array has one byte of padding so the last register can be read so. */

static unsigned reg_get(const uint8_t *regs, uint32_t i)
{
	size_t bit = (size_t)i * 6;
	unsigned w = (unsigned)regs[bit / 8] | (unsigned)regs[bit / 8 + 1] << 8;

	return (w >> (bit % 8)) & RANK_MASK;
}

static uint32_t get24(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
}

static void put24(uint8_t *b, uint32_t w)
{
	b[0] = (uint8_t)(w & 0xff);
	b[1] = (uint8_t)(w >> 8 & 0xff);
	b[2] = (uint8_t)(w >> 16 & 0xff);
}

static void reg_max(uint8_t *regs, uint32_t i, unsigned rank)
{
	size_t bit = (size_t)i * 6;
	unsigned sh = (unsigned)(bit % 8);
	unsigned w = (unsigned)regs[bit / 8] | (unsigned)regs[bit / 8 + 1] << 8;

	if (rank <= ((w >> sh) & RANK_MASK))
		return;
	w = (w & ~(RANK_MASK << sh)) | rank << sh;
	regs[bit / 8] = (uint8_t)(w & 0xff);
	regs[bit / 8 + 1] = (uint8_t)(w >> 8);
}

/* --- bit streams -------------------------------------------------------------- */

struct bit_writer {
	uint8_t *out;              /* memory, or NULL to write through @ser */
	struct vx_ser_writer *ser;
	size_t pos;
	uint64_t acc;              /* pending bits, the oldest lowest */
	unsigned n;                /* how many, < 8 between calls */
};

static void put_bits(struct bit_writer *w, uint64_t v, unsigned k)
{
	/* k <= 32 and n < 8, so the accumulator never overflows. */
	w->acc |= v << w->n;
	w->n += k;
	while (w->n >= 8) {
		uint8_t b = (uint8_t)(w->acc & 0xff);

		if (w->out)
			w->out[w->pos] = b;
		else
			vx_ser_u8(w->ser, b);
		w->pos++;
		w->acc >>= 8;
		w->n -= 8;
	}
}

static void put_unary(struct bit_writer *w, uint32_t u)
{
	for (; u >= 32; u -= 32)
		put_bits(w, 0xffffffffu, 32);
	put_bits(w, ((uint64_t)1 << u) - 1, u + 1);
}

static void put_end(struct bit_writer *w)
{
	if (w->n)
		put_bits(w, 0, 8 - w->n);
}

struct bit_reader {
	const uint8_t *in;
	size_t len;
	size_t pos;
	uint64_t acc;  /* loaded bits, the next lowest; bits above @n are zero */
	unsigned n;
	bool bad;      /* read past the end or a field out of range */
};

static inline void refill(struct bit_reader *r)
{
	if (r->n < 56 && r->len - r->pos >= 8) {
		/* One load for the whole bytes that fit; masking them keeps the
		 * bits above @n zero. */
		unsigned bytes = (63 - r->n) / 8; /* 1..7 */
		uint64_t v;

		memcpy(&v, r->in + r->pos, sizeof(v));
		v = le64toh(v) & (((uint64_t)1 << (8 * bytes)) - 1);
		r->acc |= v << r->n;
		r->pos += bytes;
		r->n += 8 * bytes;
		return;
	}
	while (r->n <= 56 && r->pos < r->len) {
		r->acc |= (uint64_t)r->in[r->pos++] << r->n;
		r->n += 8;
	}
}

static inline void consume(struct bit_reader *r, unsigned c)
{
	r->acc = c >= 64 ? 0 : r->acc >> c;
	r->n -= c;
}

static inline uint32_t get_bits(struct bit_reader *r, unsigned k)
{
	uint32_t v;

	if (r->n < k)
		refill(r);
	if (r->n < k) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)(r->acc & (((uint64_t)1 << k) - 1));
	consume(r, k);
	return v;
}

/* Count one-bits up to a zero-bit; more than @max of them is an error, so a
 * forged stream cannot make the loop run long. */
static inline uint32_t get_unary(struct bit_reader *r, uint32_t max)
{
	uint32_t u = 0;

	for (;;) {
		uint64_t zeros;
		unsigned t;

		if (r->n == 0)
			refill(r);
		if (r->n == 0) {
			r->bad = true;
			return 0;
		}
		zeros = ~r->acc;
		t = zeros ? (unsigned)__builtin_ctzll(zeros) : 64;
		if (t < r->n) {
			consume(r, t + 1);
			u += t;
			break;
		}
		u += r->n;
		consume(r, r->n);
		if (u > max)
			break;
	}
	if (u > max) {
		r->bad = true;
		return 0;
	}
	return u;
}

/* --- walking the entries of a sketch in index order ----------------------------- */

struct stream_iter {
	struct bit_reader br;
	uint32_t left;   /* entries still to decode */
	uint32_t next;   /* lowest index the next entry may have */
	uint32_t m;
	unsigned k;
	unsigned q;
};

static void stream_init(struct stream_iter *it, const uint8_t *in, size_t len, unsigned p,
			uint32_t count)
{
	memset(it, 0, sizeof(*it));
	it->br.in = in;
	it->br.len = len;
	it->left = count;
	it->m = (uint32_t)1 << p;
	it->k = rice_k(p, count);
	it->q = 64 - p;
}

/* Return: the next entry, or END when done or when the stream is bad. */
static inline uint32_t stream_next(struct stream_iter *it)
{
	uint32_t gap, idx, rank;

	if (!it->left || it->br.bad)
		return END;
	if (it->next >= it->m) {
		it->br.bad = true;
		return END;
	}
	refill(&it->br); /* most entries then decode without another load */
	gap = get_unary(&it->br, (it->m - 1 - it->next) >> it->k) << it->k;
	gap |= get_bits(&it->br, it->k);
	rank = get_unary(&it->br, it->q) + 1; /* rank <= q + 1 */
	if (it->br.bad || gap > it->m - 1 - it->next) {
		it->br.bad = true;
		return END;
	}
	idx = it->next + gap;
	it->next = idx + 1;
	it->left--;
	return idx << RANK_BITS | rank;
}

/* All non-zero registers of one sketch, whatever its form. */
struct view {
	const struct vx_hll *s;
	struct stream_iter st;
	uint32_t st_e;   /* the stream's next entry, decoded ahead */
	uint32_t bi;     /* next buffer entry */
	uint32_t di;     /* next dense register to look at */
};

static void view_init(struct view *v, const struct vx_hll *s)
{
	v->s = s;
	v->bi = 0;
	v->di = 0;
	v->st_e = END;
	if (!s->dense) {
		stream_init(&v->st, s->stream, s->stream_bytes, s->p, s->count);
		v->st_e = stream_next(&v->st);
	}
}

static inline uint32_t view_next(struct view *v)
{
	const struct vx_hll *s = v->s;
	uint32_t b, e;

	if (s->dense) {
		for (; v->di < s->m; v->di++) {
			unsigned r = reg_get(s->regs, v->di);

			if (r)
				return v->di++ << RANK_BITS | r;
		}
		return END;
	}
	b = v->bi < s->nbuf ? s->buf[v->bi] : END;
	e = v->st_e;
	if (e == END && b == END)
		return END;
	/* Same index in both: the larger entry is the larger rank. */
	if (b >> RANK_BITS <= e >> RANK_BITS) {
		v->bi++;
		if (b >> RANK_BITS == e >> RANK_BITS) {
			v->st_e = stream_next(&v->st);
			return b > e ? b : e;
		}
		return b;
	}
	v->st_e = stream_next(&v->st);
	return e;
}

/* The union of two sketches' entries (or of one, with @b NULL). */
struct union_iter {
	struct view a, b;
	uint32_t ea, eb;
};

static void union_init(struct union_iter *u, const struct vx_hll *a, const struct vx_hll *b)
{
	view_init(&u->a, a);
	u->ea = view_next(&u->a);
	u->eb = END;
	if (b) {
		view_init(&u->b, b);
		u->eb = view_next(&u->b);
	}
}

static uint32_t union_next(struct union_iter *u)
{
	uint32_t ia = u->ea >> RANK_BITS, ib = u->eb >> RANK_BITS, e;

	if (ia < ib) {
		e = u->ea;
		u->ea = view_next(&u->a);
	} else if (ib < ia) {
		e = u->eb;
		u->eb = view_next(&u->b);
	} else {
		e = u->ea > u->eb ? u->ea : u->eb; /* END when both are done */
		if (e != END) {
			u->ea = view_next(&u->a);
			u->eb = view_next(&u->b);
		}
	}
	return e;
}

static uint32_t union_count(const struct vx_hll *a, const struct vx_hll *b, uint64_t *rank_sum)
{
	struct union_iter u;
	uint32_t c = 0, e;

	*rank_sum = 0;
	union_init(&u, a, b);
	while ((e = union_next(&u)) != END) {
		c++;
		*rank_sum += e & RANK_MASK;
	}
	return c;
}

/* Write the union's entries as a Rice stream with parameter @k; count them. */
static uint32_t encode_union(struct bit_writer *w, const struct vx_hll *a, const struct vx_hll *b,
			     unsigned k, uint64_t *rank_sum)
{
	uint32_t next = 0, count = 0, e;
	struct union_iter u;

	*rank_sum = 0;
	union_init(&u, a, b);
	while ((e = union_next(&u)) != END) {
		uint32_t idx = e >> RANK_BITS, gap = idx - next;

		put_unary(w, gap >> k);
		put_bits(w, gap & ((1u << k) - 1), k);
		put_unary(w, (e & RANK_MASK) - 1);
		next = idx + 1;
		count++;
		*rank_sum += e & RANK_MASK;
	}
	put_end(w);
	return count;
}

/* An upper bound on a Rice stream with parameter @k of at most @count entries
 * whose ranks add up to at most @rank_sum: the unary gap parts add up to at
 * most (sum of gaps) >> k <= m >> k bits, plus one stop bit each. */
static size_t stream_bound(unsigned p, unsigned k, uint64_t count, uint64_t rank_sum)
{
	uint64_t bits = count * (k + 1) + ((uint64_t)1 << p >> k) + rank_sum;

	return (size_t)((bits + 7) / 8);
}

/* --- form changes (the only places a sketch allocates after create) ----------- */

/* Empty the sparse list: stream and buffer, keeping the buffer's memory. */
static void drop_stream(struct vx_hll *s)
{
	free(s->stream);
	s->stream = NULL;
	s->stream_bytes = 0;
	s->stream_cap = 0;
	s->count = 0;
	s->rank_sum = 0;
	s->nbuf = 0;
}

static void drop_sparse(struct vx_hll *s)
{
	drop_stream(s);
	free(s->buf);
	s->buf = NULL;
	s->buf_cap = 0;
}

/* Make sparse @s dense, holding the union of @s and @src (NULL: just @s). */
static int to_dense(struct vx_hll *s, const struct vx_hll *src)
{
	uint8_t *regs = calloc(1, dense_bytes(s->p) + 1);
	struct union_iter u;
	uint32_t e;

	if (!regs)
		return -ENOMEM;
	union_init(&u, s, src);
	while ((e = union_next(&u)) != END)
		reg_max(regs, e >> RANK_BITS, e & RANK_MASK);
	drop_sparse(s);
	s->regs = regs;
	s->dense = true;
	return 0;
}

/* Encode the union of @s and @src with parameter @k into a new block of @cap
 * bytes and install it, if the count it finds has that same parameter.
 * Return: 0, 1 if @k was wrong (nothing changed), or -ENOMEM. */
static int install_stream(struct vx_hll *s, const struct vx_hll *src, unsigned k, size_t cap)
{
	struct bit_writer w = { 0 };
	uint64_t rank_sum;
	uint32_t count;
	uint8_t *out = malloc(cap), *shrunk;

	if (!out)
		return -ENOMEM;
	w.out = out;
	count = encode_union(&w, s, src, k, &rank_sum);
	if (rice_k(s->p, count) != k) {
		free(out);
		return 1;
	}
	/* Give back the bound's slack so the footprint is the encoding's size
	 * (a failed shrink keeps the larger block, and says so). */
	if (w.pos < cap) {
		shrunk = realloc(out, w.pos);
		if (shrunk) {
			out = shrunk;
			cap = w.pos;
		}
	}
	free(s->stream);
	s->stream = out;
	s->stream_bytes = w.pos;
	s->stream_cap = cap;
	s->count = count;
	s->rank_sum = rank_sum;
	s->nbuf = 0;
	return 0;
}

/* Fold the buffer (and @src's entries, if any) into a new stream, or turn dense
 * when the union has more than m/4 entries. On -ENOMEM @s is unchanged. */
static int rebuild(struct vx_hll *s, const struct vx_hll *src)
{
	uint64_t count_ub = (uint64_t)s->count + s->nbuf, ranks_ub = s->rank_sum, rank_sum;
	uint32_t count;
	unsigned k;
	int ret;

	/* The common case, the buffer filling up: the union has at most
	 * count + nbuf entries, and encoding with that count's parameter is
	 * right unless repeats took the count under a power of two. One pass. */
	if (!src && count_ub <= sparse_max(s->m)) {
		for (uint32_t i = 0; i < s->nbuf; i++)
			ranks_ub += s->buf[i] & RANK_MASK;
		k = rice_k(s->p, (uint32_t)count_ub);
		ret = install_stream(s, NULL, k, stream_bound(s->p, k, count_ub, ranks_ub));
		if (ret <= 0)
			return ret;
	}
	count = union_count(s, src, &rank_sum);
	if (count > sparse_max(s->m))
		return to_dense(s, src);
	if (count == 0) {
		vx_hll_clear(s);
		return 0;
	}
	k = rice_k(s->p, count);
	ret = install_stream(s, src, k, stream_bound(s->p, k, count, rank_sum));
	return ret < 0 ? ret : 0;
}

/* --- public API ------------------------------------------------------------------ */

static struct vx_hll *alloc_sketch(unsigned p, enum vx_hll_form form)
{
	struct vx_hll *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->p = p;
	s->m = (uint32_t)1 << p;
	if (form == VX_HLL_DENSE) {
		s->dense = true;
		s->regs = calloc(1, dense_bytes(p) + 1);
		if (!s->regs)
			goto err_free;
	} else {
		s->buf_cap = buffer_entries(s->m);
		s->buf = calloc(s->buf_cap, sizeof(*s->buf));
		if (!s->buf)
			goto err_free;
	}
	return s;

err_free:
	free(s);
	return NULL;
}

int vx_hll_create(struct vx_hll **out, unsigned p, enum vx_hll_form form)
{
	struct vx_hll *s;

	if (p < VX_HLL_P_MIN || p > VX_HLL_P_MAX || (form != VX_HLL_SPARSE && form != VX_HLL_DENSE))
		return -EINVAL;
	s = alloc_sketch(p, form);
	if (!s)
		return -ENOMEM;
	*out = s;
	return 0;
}

void vx_hll_destroy(struct vx_hll *s)
{
	if (!s)
		return;
	free(s->regs);
	free(s->stream);
	free(s->buf);
	free(s);
}

static int sparse_add(struct vx_hll *s, uint32_t idx, unsigned rank)
{
	uint32_t e = idx << RANK_BITS | rank, lo = 0, hi = s->nbuf;
	int ret;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->buf[mid] >> RANK_BITS < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nbuf && s->buf[lo] >> RANK_BITS == idx) {
		if (s->buf[lo] < e)
			s->buf[lo] = e;
		return 0;
	}
	if (s->nbuf == s->buf_cap) {
		ret = rebuild(s, NULL);
		if (ret < 0)
			return ret;
		if (s->dense) {
			reg_max(s->regs, idx, rank);
			return 0;
		}
		lo = 0;
	}
	memmove(&s->buf[lo + 1], &s->buf[lo], (s->nbuf - lo) * sizeof(*s->buf));
	s->buf[lo] = e;
	s->nbuf++;
	return 0;
}

int vx_hll_add_hash(struct vx_hll *s, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> (64 - s->p));
	/* The marker bit stops the count at q when the q low bits are all zero. */
	uint64_t rest = hash << s->p | (uint64_t)1 << (s->p - 1);
	unsigned rank = (unsigned)__builtin_clzll(rest) + 1;

	if (s->dense) {
		reg_max(s->regs, idx, rank);
		return 0;
	}
	return sparse_add(s, idx, rank);
}

int vx_hll_add(struct vx_hll *s, const void *data, size_t len)
{
	return vx_hll_add_hash(s, vx_hash64(data, len));
}

/* Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1): the contribution of the empty
 * registers (x = C0/m). Infinite at x = 1, making the estimate of an empty
 * sketch exactly 0. */
static double sigma(double x)
{
	double y = 1, z = x, prev;

	if (x == 1.0)
		return HUGE_VAL;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

/* Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3: the
 * contribution of the saturated registers (x = 1 - C_{q+1}/m). */
static double tau(double x)
{
	double y = 1, z = 1 - x, prev;

	if (x == 0.0 || x == 1.0)
		return 0;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != prev);
	return z / 3;
}

double vx_hll_estimate(const struct vx_hll *s)
{
	uint32_t hist[64 + 2] = { 0 }, nonzero = 0;
	unsigned q = 64 - s->p;
	double m = (double)s->m, z;

	if (s->dense) {
		/* Four registers in every three bytes (m is a multiple of 4), counted
		 * in four histograms: neighbours mostly share a value, and one
		 * counter would serialise the increments. */
		uint32_t lane[4][64] = { { 0 } };

		for (size_t g = 0; g < dense_bytes(s->p); g += 3) {
			uint32_t w = get24(s->regs + g);

			lane[0][w & RANK_MASK]++;
			lane[1][w >> 6 & RANK_MASK]++;
			lane[2][w >> 12 & RANK_MASK]++;
			lane[3][w >> 18]++;
		}
		for (unsigned v = 0; v < 64; v++)
			hist[v] = lane[0][v] + lane[1][v] + lane[2][v] + lane[3][v];
	} else {
		struct view v;
		uint32_t e;

		view_init(&v, s);
		while ((e = view_next(&v)) != END) {
			hist[e & RANK_MASK]++;
			nonzero++;
		}
		hist[0] = s->m - nonzero;
	}
	/* Algorithm 6 of Ertl 2017: z approximates sum_i 2^-reg[i] with the
	 * empty and saturated registers replaced by their expected shares. */
	z = m * tau(1 - hist[q + 1] / m);
	for (unsigned k = q; k >= 1; k--)
		z = 0.5 * (z + hist[k]);
	z += m * sigma(hist[0] / m);
	return m * m / (2 * M_LN2) / z; /* alpha_inf = 1 / (2 ln 2) */
}

bool vx_hll_is_sparse(const struct vx_hll *s)
{
	uint64_t rank_sum;

	if (s->dense)
		return false;
	if ((uint64_t)s->count + s->nbuf <= sparse_max(s->m))
		return true;
	return union_count(s, NULL, &rank_sum) <= sparse_max(s->m);
}

void vx_hll_clear(struct vx_hll *s)
{
	if (s->dense)
		memset(s->regs, 0, dense_bytes(s->p));
	else
		drop_stream(s);
}

int vx_hll_merge(struct vx_hll *dst, const struct vx_hll *src)
{
	if (dst->p != src->p)
		return -EINVAL;
	if (!dst->dense)
		return rebuild(dst, src);
	if (src->dense) {
		for (size_t g = 0; g < dense_bytes(dst->p); g += 3) {
			uint32_t a = get24(dst->regs + g), b = get24(src->regs + g), w = 0;

			for (unsigned sh = 0; sh < 24; sh += 6) {
				uint32_t ra = a >> sh & RANK_MASK, rb = b >> sh & RANK_MASK;

				w |= (ra > rb ? ra : rb) << sh;
			}
			if (w != a)
				put24(dst->regs + g, w);
		}
	} else {
		struct view v;
		uint32_t e;

		view_init(&v, src);
		while ((e = view_next(&v)) != END)
			reg_max(dst->regs, e >> RANK_BITS, e & RANK_MASK);
	}
	return 0;
}

ssize_t vx_hll_serialize(const struct vx_hll *s, void *buf, size_t cap)
{
	struct vx_ser_writer w;
	struct bit_writer bw = { .ser = &w };
	uint64_t rank_sum;
	uint32_t count = 0;
	bool sparse = !s->dense;

	if (sparse) {
		count = s->nbuf ? union_count(s, NULL, &rank_sum) : s->count;
		sparse = count <= sparse_max(s->m);
	}
	vx_ser_begin(&w, buf, cap, VX_SER_HLL);
	vx_ser_u8(&w, (uint8_t)s->p);
	vx_ser_u8(&w, sparse ? 0 : 1);
	if (s->dense) {
		vx_ser_bytes(&w, s->regs, dense_bytes(s->p));
	} else if (sparse) {
		vx_ser_u32(&w, count);
		if (s->nbuf)
			encode_union(&bw, s, NULL, rice_k(s->p, count), &rank_sum);
		else if (s->stream_bytes)
			vx_ser_bytes(&w, s->stream, s->stream_bytes);
	} else {
		/* Past m/4 with entries still buffered: write the dense form the next
		 * add would convert to, packing registers in index order. */
		struct union_iter u;
		uint32_t next = 0, e;

		union_init(&u, s, NULL);
		while ((e = union_next(&u)) != END) {
			for (; next < e >> RANK_BITS; next++)
				put_bits(&bw, 0, RANK_BITS);
			put_bits(&bw, e & RANK_MASK, RANK_BITS);
			next++;
		}
		for (; next < s->m; next++)
			put_bits(&bw, 0, RANK_BITS);
	}
	return vx_ser_finish(&w);
}

/* Check a sparse stream completely: @count entries, in range, and exactly the
 * bytes given, with zero padding. */
static bool stream_valid(const uint8_t *in, size_t len, unsigned p, uint32_t count,
			 uint64_t *rank_sum)
{
	struct stream_iter it;
	uint32_t e;

	*rank_sum = 0;
	stream_init(&it, in, len, p, count);
	while (it.left) {
		e = stream_next(&it);
		if (e == END)
			return false;
		*rank_sum += e & RANK_MASK;
	}
	refill(&it.br);
	return !it.br.bad && it.br.pos == len && it.br.n < 8 && it.br.acc == 0;
}

int vx_hll_deserialize(struct vx_hll **out, const void *buf, size_t len)
{
	struct vx_ser_reader r;
	const uint8_t *data;
	struct vx_hll *s;
	unsigned p, form;
	uint32_t count = 0;
	uint64_t rank_sum = 0;
	size_t n;
	int ret;

	ret = vx_ser_open(&r, buf, len, VX_SER_HLL);
	if (ret < 0)
		return ret;
	p = vx_ser_get_u8(&r);
	form = vx_ser_get_u8(&r);
	if (r.error || p < VX_HLL_P_MIN || p > VX_HLL_P_MAX || form > 1)
		return -EINVAL;
	if (form == 1) {
		n = dense_bytes(p);
	} else {
		count = vx_ser_get_u32(&r);
		n = vx_ser_remaining(&r);
	}
	data = vx_ser_get_bytes(&r, n);
	if (!data || vx_ser_close(&r) < 0)
		return -EINVAL;

	if (form == 1) {
		/* Read the registers from a bit reader: the payload has no padding
		 * byte for reg_get(). */
		struct bit_reader br = { .in = data, .len = n };

		for (uint32_t i = 0; i < (uint32_t)1 << p; i++)
			if (get_bits(&br, RANK_BITS) > 65 - p)
				return -EINVAL;
	} else if (count > sparse_max((uint32_t)1 << p) ||
		   !stream_valid(data, n, p, count, &rank_sum)) {
		return -EINVAL;
	}

	s = alloc_sketch(p, form == 1 ? VX_HLL_DENSE : VX_HLL_SPARSE);
	if (!s)
		return -ENOMEM;
	if (form == 1) {
		memcpy(s->regs, data, n);
	} else if (n) {
		s->stream = malloc(n);
		if (!s->stream) {
			vx_hll_destroy(s);
			return -ENOMEM;
		}
		memcpy(s->stream, data, n);
		s->stream_bytes = n;
		s->stream_cap = n;
		s->count = count;
		s->rank_sum = rank_sum;
	}
	*out = s;
	return 0;
}

size_t vx_hll_footprint(const struct vx_hll *s)
{
	size_t bytes = sizeof(*s) + s->stream_cap + (size_t)s->buf_cap * sizeof(*s->buf);

	if (s->regs)
		bytes += dense_bytes(s->p) + 1;
	return bytes;
}
