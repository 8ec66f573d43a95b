// SPDX-License-Identifier: MIT
/* The SPSC rings: single-thread semantics as scripts, then two-thread stress. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "pipeline/ring.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

/*
 * Stress sizes: 10^7 frames and 2^26 bytes in a normal build (0.2 s idle, 2-3 s
 * under the usual load of this shared 2-core machine). ThreadSanitizer sends every
 * atomic operation and memory access through its runtime: the full sizes took 3 s
 * idle but 25 s under load, against a 30 s budget. 2^21 frames (2 * 10^6) and 2^24
 * bytes (1.7 * 10^7) still wrap the rings 2^15 and 2^12 times, which is what
 * exposes a missing acquire/release (try it: see labs/realtime-audio).
 */
#define STRESS_FRAMES (UNDER_TSAN ? (UINT64_C(1) << 21) : UINT64_C(10000000))
#define STRESS_BYTES  (UNDER_TSAN ? (UINT64_C(1) << 24) : (UINT64_C(1) << 26))

/*
 * The huge allocation in the -ENOMEM cases makes ASan and TSan abort by default
 * ("requested allocation size exceeds maximum"); have them return NULL as libc does.
 */
const char *__asan_default_options(void);
const char *__tsan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
const char *__tsan_default_options(void)
{
	return "allocator_may_return_null=1";
}

/* Spin briefly, then give the core away: two cores shared with other jobs. */
static void backoff(unsigned *spins)
{
	if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	sched_yield();
}

/* --- create ----------------------------------------------------------------------- */

static void test_ring_create_checks_arguments(void **state)
{
	static const struct {
		size_t frames, frame_bytes;
		int want;
	} cases[] = {
		{ 0, 8, -EINVAL },                        /* no capacity */
		{ 3, 8, -EINVAL },                        /* not a power of two */
		{ 12, 8, -EINVAL },
		{ 4, 0, -EINVAL },                        /* empty frames */
		{ SIZE_MAX / 2 + 1, 1, -EINVAL },         /* over SIZE_MAX / 2 bytes */
		{ (size_t)1 << 32, (size_t)1 << 32, -EINVAL }, /* frames * frame_bytes overflows */
		{ 1, 1, 0 },                              /* a ring of one frame */
		{ 4, 960, 0 },
		{ 1024, 24, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_ring *r = NULL;
		int ret = vx_ring_create(&r, cases[i].frames, cases[i].frame_bytes);

		if (ret != cases[i].want)
			print_message("case %zu\n", i);
		assert_int_equal(ret, cases[i].want);
		if (ret == 0) {
			assert_int_equal(vx_ring_capacity(r), cases[i].frames);
			assert_int_equal(vx_ring_frame_bytes(r), cases[i].frame_bytes);
			assert_true(vx_ring_is_empty(r));
		}
		vx_ring_destroy(r);
	}
	vx_ring_destroy(NULL);
}

static void test_ring_create_without_memory_returns_enomem(void **state)
{
	struct vx_ring *r = NULL;

	(void)state;
	/* 2^62 bytes: valid arguments, impossible storage. */
	assert_int_equal(vx_ring_create(&r, (size_t)1 << 31, (size_t)1 << 31), -ENOMEM);
	assert_null(r);
}

static void test_bytering_create_checks_arguments(void **state)
{
	static const struct {
		size_t bytes;
		int want;
	} cases[] = {
		{ 0, -EINVAL }, { 3, -EINVAL }, { 1000, -EINVAL }, { SIZE_MAX / 2 + 1, -EINVAL },
		{ 1, 0 }, { 64, 0 }, { 4096, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_bytering *r = NULL;
		int ret = vx_bytering_create(&r, cases[i].bytes);

		if (ret != cases[i].want)
			print_message("case %zu\n", i);
		assert_int_equal(ret, cases[i].want);
		if (ret == 0) {
			assert_int_equal(vx_bytering_capacity(r), cases[i].bytes);
			assert_true(vx_bytering_is_empty(r));
		}
		vx_bytering_destroy(r);
	}
	vx_bytering_destroy(NULL);
}

static void test_bytering_create_without_memory_returns_enomem(void **state)
{
	struct vx_bytering *r = NULL;

	(void)state;
	assert_int_equal(vx_bytering_create(&r, (size_t)1 << 62), -ENOMEM);
	assert_null(r);
}

/* --- frame ring script --------------------------------------------------------------- */

enum ring_op { PUSH, POP, PUSH_N, POP_N, COUNT, EMPTY, FULL };

struct ring_step {
	enum ring_op op;
	size_t n;   /* frames for PUSH_N/POP_N */
	long want;  /* return value (0/-EAGAIN, frames moved, count, or a bool) */
};

/*
 * A ring of 4 frames, each one uint64_t: the next sequence number on push; pops
 * must return them in order. Indices (head, tail) in the comments.
 */
static const struct ring_step ring_script[] = {
	{ EMPTY, 0, 1 }, { FULL, 0, 0 }, { COUNT, 0, 0 },
	{ POP, 0, -EAGAIN }, { POP_N, 3, 0 },             /* empty: nothing to pop */
	{ PUSH, 0, 0 }, { PUSH, 0, 0 }, { PUSH, 0, 0 },
	{ PUSH, 0, 0 },                                   /* (4,0): all 4 slots used */
	{ FULL, 0, 1 }, { EMPTY, 0, 0 }, { COUNT, 0, 4 },
	{ PUSH, 0, -EAGAIN }, { PUSH_N, 2, 0 },           /* full: nothing goes in */
	{ POP, 0, 0 }, { POP, 0, 0 }, { POP, 0, 0 },      /* (4,3) */
	{ COUNT, 0, 1 },
	{ PUSH_N, 2, 2 },                                 /* (6,3) slots 0-1 */
	{ POP_N, 2, 2 },                                  /* (6,5) */
	{ PUSH_N, 5, 3 },                                 /* partial, wraps: slots 2,3,0 (9,5) */
	{ FULL, 0, 1 }, { COUNT, 0, 4 },
	{ POP_N, 8, 4 },                                  /* partial, wraps: slots 1,2,3,0 (9,9) */
	{ EMPTY, 0, 1 }, { POP_N, 1, 0 },
	{ PUSH_N, 4, 4 },                                 /* a whole ring in one batch, wrapped */
	{ PUSH, 0, -EAGAIN }, { POP, 0, 0 },              /* (13,10) */
	{ PUSH, 0, 0 }, { POP_N, 4, 4 },                  /* (14,14) */
	{ EMPTY, 0, 1 }, { PUSH_N, 0, 0 }, { POP_N, 0, 0 }, /* empty batches are no-ops */
	{ COUNT, 0, 0 },
};

static void test_ring_script_empty_full_wrap_and_partial_batches(void **state)
{
	uint64_t pushed = 0, popped = 0, buf[8];
	struct vx_ring *r;

	(void)state;
	assert_int_equal(vx_ring_create(&r, 4, sizeof(uint64_t)), 0);
	for (size_t i = 0; i < sizeof(ring_script) / sizeof(ring_script[0]); i++) {
		const struct ring_step *s = &ring_script[i];
		long got = 0;

		switch (s->op) {
		case PUSH:
			got = vx_ring_push(r, &pushed);
			pushed += got == 0;
			break;
		case POP:
			buf[0] = UINT64_MAX;
			got = vx_ring_pop(r, buf);
			if (got == 0)
				assert_int_equal(buf[0], popped++);
			break;
		case PUSH_N:
			for (size_t k = 0; k < s->n; k++)
				buf[k] = pushed + k;
			got = (long)vx_ring_push_n(r, buf, s->n);
			pushed += (uint64_t)got;
			break;
		case POP_N:
			got = (long)vx_ring_pop_n(r, buf, s->n);
			for (long k = 0; k < got; k++)
				assert_int_equal(buf[k], popped++);
			break;
		case COUNT:
			got = (long)vx_ring_count(r);
			break;
		case EMPTY:
			got = vx_ring_is_empty(r);
			break;
		case FULL:
			got = vx_ring_is_full(r);
			break;
		}
		if (got != s->want)
			print_message("step %zu\n", i);
		assert_int_equal(got, s->want);
	}
	assert_int_equal(pushed, 14);
	assert_int_equal(popped, 14);
	vx_ring_destroy(r);
}

/* --- byte ring script ------------------------------------------------------------------ */

/* The byte at stream position @p: not periodic in any ring size, so a stale or
 * misplaced byte shows. */
static uint8_t stream_byte(uint64_t p)
{
	return (uint8_t)(vx_hash_mix64(p >> 3) >> ((p & 7) * 8));
}

static void fill_stream(uint64_t pos, const struct vx_bytering_vec v[2])
{
	for (int k = 0; k < 2; k++) {
		uint8_t *d = v[k].data;

		for (size_t i = 0; i < v[k].len; i++)
			d[i] = stream_byte(pos++);
	}
}

/* Number of bytes in @v that differ from the stream at @pos. */
static size_t check_stream(uint64_t pos, const struct vx_bytering_vec v[2])
{
	size_t bad = 0;

	for (int k = 0; k < 2; k++) {
		const uint8_t *d = v[k].data;

		for (size_t i = 0; i < v[k].len; i++)
			bad += d[i] != stream_byte(pos++);
	}
	return bad;
}

enum bytering_op { RESERVE, COMMIT, PEEK, RELEASE, WRITE, READ, BCOUNT, BEMPTY, BFULL };

struct bytering_step {
	enum bytering_op op;
	size_t n;
	long want;            /* return value */
	size_t len0, len1;    /* RESERVE/PEEK: the two regions' lengths */
};

/* A ring of 8 bytes; (head, tail) in the comments. */
static const struct bytering_step bytering_script[] = {
	{ BEMPTY, 0, 1, 0, 0 }, { BFULL, 0, 0, 0, 0 },
	{ PEEK, SIZE_MAX, 0, 0, 0 },                 /* empty: nothing to read */
	{ RELEASE, 1, -EINVAL, 0, 0 },               /* nothing peeked */
	{ RESERVE, 3, 3, 3, 0 }, { COMMIT, 3, 0, 0, 0 }, /* (3,0) */
	{ RESERVE, SIZE_MAX, 5, 5, 0 },              /* all the free space: 5 bytes */
	{ COMMIT, 6, -EINVAL, 0, 0 },                /* more than reserved */
	{ COMMIT, 2, 0, 0, 0 }, { COMMIT, 3, 0, 0, 0 }, /* in two steps: (8,0), full */
	{ BFULL, 0, 1, 0, 0 }, { BCOUNT, 0, 8, 0, 0 }, /* all 8 bytes usable */
	{ RESERVE, 1, 0, 0, 0 }, { COMMIT, 1, -EINVAL, 0, 0 }, /* full: nothing reserved */
	{ PEEK, 5, 5, 5, 0 },
	{ RELEASE, 6, -EINVAL, 0, 0 },               /* more than peeked */
	{ RELEASE, 5, 0, 0, 0 },                     /* (8,5) */
	{ RESERVE, 100, 5, 5, 0 },                   /* more than free: what is free */
	{ COMMIT, 4, 0, 0, 0 },                      /* partial commit: (12,5) */
	{ PEEK, SIZE_MAX, 7, 3, 4 },                 /* wraps: slots 5-7, then 0-3 */
	{ RELEASE, 2, 0, 0, 0 }, { RELEASE, 5, 0, 0, 0 }, /* in two steps: (12,12) */
	{ RELEASE, 1, -EINVAL, 0, 0 }, { BEMPTY, 0, 1, 0, 0 },
	{ RESERVE, 8, 8, 4, 4 },                     /* the whole ring, wrapped: 4-7, 0-3 */
	{ COMMIT, 8, 0, 0, 0 }, { BFULL, 0, 1, 0, 0 }, /* (20,12) */
	{ PEEK, 8, 8, 4, 4 }, { RELEASE, 8, 0, 0, 0 }, /* (20,20) */
	{ WRITE, 6, 6, 0, 0 }, { WRITE, 6, 2, 0, 0 }, /* copies, wrapping; then partial */
	{ READ, 3, 3, 0, 0 }, { READ, 10, 5, 0, 0 }, /* (28,28) */
	{ READ, 1, 0, 0, 0 }, { RESERVE, 0, 0, 0, 0 }, { PEEK, 0, 0, 0, 0 },
	{ BCOUNT, 0, 0, 0, 0 },
};

static void test_bytering_script_reserve_commit_peek_release(void **state)
{
	uint64_t wpos = 0, rpos = 0;
	struct vx_bytering *r;
	struct vx_bytering_vec v[2];
	uint8_t buf[16];

	(void)state;
	assert_int_equal(vx_bytering_create(&r, 8), 0);
	for (size_t i = 0; i < sizeof(bytering_script) / sizeof(bytering_script[0]); i++) {
		const struct bytering_step *s = &bytering_script[i];
		bool regions = false;
		long got = 0;

		switch (s->op) {
		case RESERVE:
			got = (long)vx_bytering_reserve(r, s->n, v);
			fill_stream(wpos, v);
			regions = true;
			break;
		case COMMIT:
			got = vx_bytering_commit(r, s->n);
			if (got == 0)
				wpos += s->n;
			break;
		case PEEK:
			got = (long)vx_bytering_peek(r, s->n, v);
			assert_int_equal(check_stream(rpos, v), 0);
			regions = true;
			break;
		case RELEASE:
			got = vx_bytering_release(r, s->n);
			if (got == 0)
				rpos += s->n;
			break;
		case WRITE:
			for (size_t k = 0; k < s->n; k++)
				buf[k] = stream_byte(wpos + k);
			got = (long)vx_bytering_write(r, buf, s->n);
			wpos += (uint64_t)got;
			break;
		case READ:
			got = (long)vx_bytering_read(r, buf, s->n);
			for (long k = 0; k < got; k++)
				assert_int_equal(buf[k], stream_byte(rpos++));
			break;
		case BCOUNT:
			got = (long)vx_bytering_count(r);
			break;
		case BEMPTY:
			got = vx_bytering_is_empty(r);
			break;
		case BFULL:
			got = vx_bytering_is_full(r);
			break;
		}
		if (got != s->want)
			print_message("step %zu\n", i);
		assert_int_equal(got, s->want);
		if (regions) {
			assert_int_equal(v[0].len, s->len0);
			assert_int_equal(v[1].len, s->len1);
			assert_true(!v[0].len == !v[0].data);
			assert_true(!v[1].len == !v[1].data);
		}
	}
	assert_int_equal(wpos, 28);
	assert_int_equal(rpos, 28);
	vx_bytering_destroy(r);
}

/* --- two threads -------------------------------------------------------------------------- */

/* A frame carries its sequence number twice over and a hash of it. */
struct frame {
	uint64_t seq, hash, inverse;
};

#define MAX_BATCH 100 /* beyond the 64-frame ring: some batches are partial */

struct frame_stress {
	struct vx_ring *ring;
	uint64_t total;
};

static void make_frame(struct frame *f, uint64_t seq)
{
	*f = (struct frame){ seq, vx_hash_mix64(seq), ~seq };
}

static void *frame_producer(void *p)
{
	struct frame_stress *s = p;
	struct frame batch[MAX_BATCH];
	uint64_t seq = 0, rng = 1;
	unsigned spins = 0;

	while (seq < s->total) {
		size_t want = (size_t)(vx_rand64(&rng) % MAX_BATCH) + 1, got;

		if (want > s->total - seq)
			want = (size_t)(s->total - seq);
		if (want & 1) {                 /* odd: one at a time */
			make_frame(&batch[0], seq);
			got = vx_ring_push(s->ring, &batch[0]) == 0;
		} else {
			for (size_t k = 0; k < want; k++)
				make_frame(&batch[k], seq + k);
			got = vx_ring_push_n(s->ring, batch, want);
		}
		seq += got;
		if (got)
			spins = 0;
		else
			backoff(&spins);
	}
	return NULL;
}

static void test_ring_two_threads_keep_order_and_content(void **state)
{
	struct frame_stress s = { .total = STRESS_FRAMES };
	struct frame batch[MAX_BATCH];
	uint64_t seq = 0, bad = 0, rng = 2;
	unsigned spins = 0;
	pthread_t producer;

	(void)state;
	assert_int_equal(vx_ring_create(&s.ring, 64, sizeof(struct frame)), 0);
	assert_int_equal(pthread_create(&producer, NULL, frame_producer, &s), 0);
	/* Count mismatches rather than assert here: a failed assert would longjmp
	 * out with the producer still running. */
	while (seq < s.total) {
		size_t want = (size_t)(vx_rand64(&rng) % MAX_BATCH) + 1, got;

		if (want & 1)
			got = vx_ring_pop(s.ring, &batch[0]) == 0;
		else
			got = vx_ring_pop_n(s.ring, batch, want);
		for (size_t k = 0; k < got; k++, seq++) {
			struct frame f;

			make_frame(&f, seq);
			bad += memcmp(&batch[k], &f, sizeof(f)) != 0;
		}
		if (got)
			spins = 0;
		else
			backoff(&spins);
	}
	assert_int_equal(pthread_join(producer, NULL), 0);
	assert_int_equal(bad, 0);
	assert_true(vx_ring_is_empty(s.ring));
	vx_ring_destroy(s.ring);
}

struct byte_stress {
	struct vx_bytering *ring;
	uint64_t total;
};

static size_t rand_upto(uint64_t *rng, size_t n)
{
	return (size_t)(vx_rand64(rng) % (n + 1));
}

/* Reserve a random amount, write it, commit a random part of it in two steps. */
static void *byte_producer(void *p)
{
	struct byte_stress *s = p;
	struct vx_bytering_vec v[2];
	uint64_t pos = 0, rng = 3;
	unsigned spins = 0;

	while (pos < s->total) {
		size_t want = rand_upto(&rng, 3000) + 1, got, first, second;

		if (want > s->total - pos)
			want = (size_t)(s->total - pos);
		got = vx_bytering_reserve(s->ring, want, v);
		if (!got) {
			backoff(&spins);
			continue;
		}
		spins = 0;
		fill_stream(pos, v);
		first = rand_upto(&rng, got);
		second = rand_upto(&rng, got - first);
		if (!first && !second)
			first = got;
		(void)vx_bytering_commit(s->ring, first);
		(void)vx_bytering_commit(s->ring, second);
		pos += first + second;
	}
	return NULL;
}

static void test_bytering_two_threads_keep_the_stream(void **state)
{
	struct byte_stress s = { .total = STRESS_BYTES };
	struct vx_bytering_vec v[2];
	uint64_t pos = 0, bad = 0, errors = 0, rng = 4;
	unsigned spins = 0;
	pthread_t producer;

	(void)state;
	assert_int_equal(vx_bytering_create(&s.ring, 4096), 0);
	assert_int_equal(pthread_create(&producer, NULL, byte_producer, &s), 0);
	while (pos < s.total) {
		size_t want = rand_upto(&rng, 3000) + 1, got, first, second;

		got = vx_bytering_peek(s.ring, want, v);
		if (!got) {
			backoff(&spins);
			continue;
		}
		spins = 0;
		bad += check_stream(pos, v);
		first = rand_upto(&rng, got);
		second = rand_upto(&rng, got - first);
		if (!first && !second)
			first = got;
		errors += vx_bytering_release(s.ring, first) != 0;
		errors += vx_bytering_release(s.ring, second) != 0;
		pos += first + second;
	}
	assert_int_equal(pthread_join(producer, NULL), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(errors, 0);
	assert_int_equal(pos, s.total);
	assert_true(vx_bytering_is_empty(s.ring));
	vx_bytering_destroy(s.ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_create_checks_arguments),
		cmocka_unit_test(test_ring_create_without_memory_returns_enomem),
		cmocka_unit_test(test_bytering_create_checks_arguments),
		cmocka_unit_test(test_bytering_create_without_memory_returns_enomem),
		cmocka_unit_test(test_ring_script_empty_full_wrap_and_partial_batches),
		cmocka_unit_test(test_bytering_script_reserve_commit_peek_release),
		cmocka_unit_test(test_ring_two_threads_keep_order_and_content),
		cmocka_unit_test(test_bytering_two_threads_keep_the_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
