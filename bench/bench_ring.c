// SPDX-License-Identifier: MIT
/*
 * SPSC rings against three baselines, in one run: a mutex+condvar bounded queue
 * (the naive one, below), Concurrency Kit's ck_ring (SPSC), and JACK's
 * jack_ringbuffer.
 *
 * Throughput cases move @ops items from a producer thread to a consumer thread:
 * 8-byte items and 960-byte items (10 ms of 48 kHz mono S16), one per call or 32 per
 * call. Each repetition creates the producer thread and consumes on the calling
 * thread; the thread start (tens of microseconds) is inside the timing, about 0.5 %
 * of a repetition. ns/op is per item. Ping-pong cases bounce one 8-byte item between
 * two threads through two queues; ns/op is one round trip.
 *
 * Every queue holds the same number of slots (ck_ring and JACK keep one of them
 * empty by design). A lock-free side that finds the queue full or empty spins
 * briefly, then yields the CPU: this machine has 2 cores shared with other jobs, so
 * a pure spin could hold a core its partner needs. The mutex queue sleeps on its
 * condition variables instead.
 *
 * At the end, a summary: vx_ring's rate over each other queue's, per case, as the
 * median of paired rounds (see paired_ratios() below).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_ring.h>
#include <jack/ringbuffer.h>

#include "bench/harness.h"
#include "pipeline/ring.h"

#define BATCH      32
#define SPIN_LIMIT 256 /* pause-spins before sched_yield() */

static void backoff(unsigned *spins)
{
	if (++*spins < SPIN_LIMIT) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	sched_yield();
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t pow2_at_least(size_t x)
{
	size_t p = 1;

	while (p < x)
		p *= 2;
	return p;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_ring: %s: %s\n", what, strerror(err));
	exit(1);
}

/*
 * A queue under test: push and pop move up to @n items and return how many they
 * moved, without waiting (except the mutex queue, which waits for at least one).
 */
struct impl {
	const char *name;
	void *(*create)(size_t item, size_t slots);
	void (*destroy)(void *q);
	size_t (*push)(void *q, const void *src, size_t n);
	size_t (*pop)(void *q, void *dst, size_t n);
};

/* --- ours -------------------------------------------------------------------------- */

struct ours {
	struct vx_ring *ring;
	struct vx_bytering *bytes;
	size_t item;
};

static void *ours_create(size_t item, size_t slots)
{
	struct ours *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		die("calloc", ENOMEM);
	o->item = item;
	err = vx_ring_create(&o->ring, slots, item);
	if (!err)
		err = vx_bytering_create(&o->bytes, pow2_at_least(slots * item));
	if (err)
		die("vx_ring_create", -err);
	return o;
}

static void ours_destroy(void *q)
{
	struct ours *o = q;

	vx_ring_destroy(o->ring);
	vx_bytering_destroy(o->bytes);
	free(o);
}

static size_t vx_ring_bench_push(void *q, const void *src, size_t n)
{
	struct ours *o = q;

	if (n == 1)
		return vx_ring_push(o->ring, src) == 0;
	return vx_ring_push_n(o->ring, src, n);
}

static size_t vx_ring_bench_pop(void *q, void *dst, size_t n)
{
	struct ours *o = q;

	if (n == 1)
		return vx_ring_pop(o->ring, dst) == 0;
	return vx_ring_pop_n(o->ring, dst, n);
}

/* The byte ring carries whole items: reserve, copy what fits, commit. */
static size_t vx_bytering_bench_push(void *q, const void *src, size_t n)
{
	struct ours *o = q;
	struct vx_bytering_vec v[2];
	size_t k = vx_bytering_reserve(o->bytes, n * o->item, v) / o->item, len = k * o->item;
	size_t first = min_size(len, v[0].len);

	if (!k)
		return 0;
	memcpy(v[0].data, src, first);
	if (len > first)
		memcpy(v[1].data, (const unsigned char *)src + first, len - first);
	vx_bytering_commit(o->bytes, len);
	return k;
}

static size_t vx_bytering_bench_pop(void *q, void *dst, size_t n)
{
	struct ours *o = q;
	struct vx_bytering_vec v[2];
	size_t k = vx_bytering_peek(o->bytes, n * o->item, v) / o->item, len = k * o->item;
	size_t first = min_size(len, v[0].len);

	if (!k)
		return 0;
	memcpy(dst, v[0].data, first);
	if (len > first)
		memcpy((unsigned char *)dst + first, v[1].data, len - first);
	vx_bytering_release(o->bytes, len);
	return k;
}

/*
 * --- Concurrency Kit: items stored by value through CK_RING_PROTOTYPE ---------------
 * (its enqueue takes a non-const pointer it only reads: hence the casts below)
 */

struct item8 {
	unsigned char b[8];
};
struct item960 {
	unsigned char b[960];
};
CK_RING_PROTOTYPE(item8, item8)
CK_RING_PROTOTYPE(item960, item960)

struct ck {
	ck_ring_t ring;
	void *buf;
	size_t item;
};

static void *ck_create(size_t item, size_t slots)
{
	struct ck *c = aligned_alloc(64, (sizeof(struct ck) + 63) / 64 * 64);

	if (!c || (item != 8 && item != 960))
		die("ck_create", ENOMEM);
	c->item = item;
	c->buf = aligned_alloc(64, slots * item);
	if (!c->buf)
		die("ck_create", ENOMEM);
	ck_ring_init(&c->ring, (unsigned)slots);
	return c;
}

static void ck_destroy(void *q)
{
	struct ck *c = q;

	free(c->buf);
	free(c);
}

/* ck_ring has no batch call: a batch is a loop of single enqueues. */
static size_t ck_bench_push(void *q, const void *src, size_t n)
{
	struct ck *c = q;
	size_t k = 0;

	if (c->item == 8) {
		const struct item8 *s = src;

		while (k < n && ck_ring_enqueue_spsc_item8(&c->ring, c->buf, (struct item8 *)(uintptr_t)&s[k]))
			k++;
	} else {
		const struct item960 *s = src;

		while (k < n &&
		       ck_ring_enqueue_spsc_item960(&c->ring, c->buf, (struct item960 *)(uintptr_t)&s[k]))
			k++;
	}
	return k;
}

static size_t ck_bench_pop(void *q, void *dst, size_t n)
{
	struct ck *c = q;
	size_t k = 0;

	if (c->item == 8) {
		struct item8 *d = dst;

		while (k < n && ck_ring_dequeue_spsc_item8(&c->ring, c->buf, &d[k]))
			k++;
	} else {
		struct item960 *d = dst;

		while (k < n && ck_ring_dequeue_spsc_item960(&c->ring, c->buf, &d[k]))
			k++;
	}
	return k;
}

/* --- JACK: a byte ring; whole items only, as a careful user writes them ------------ */

struct jack {
	jack_ringbuffer_t *rb;
	size_t item;
};

static void *jack_create(size_t item, size_t slots)
{
	struct jack *j = malloc(sizeof(*j));

	if (!j)
		die("jack_create", ENOMEM);
	j->item = item;
	/* Rounded up to a power of two, of which one byte stays unused. */
	j->rb = jack_ringbuffer_create(slots * item);
	if (!j->rb)
		die("jack_ringbuffer_create", ENOMEM);
	return j;
}

static void jack_destroy(void *q)
{
	struct jack *j = q;

	jack_ringbuffer_free(j->rb);
	free(j);
}

static size_t jack_bench_push(void *q, const void *src, size_t n)
{
	struct jack *j = q;
	size_t k = min_size(n, jack_ringbuffer_write_space(j->rb) / j->item);

	if (k)
		jack_ringbuffer_write(j->rb, src, k * j->item);
	return k;
}

static size_t jack_bench_pop(void *q, void *dst, size_t n)
{
	struct jack *j = q;
	size_t k = min_size(n, jack_ringbuffer_read_space(j->rb) / j->item);

	if (k)
		jack_ringbuffer_read(j->rb, dst, k * j->item);
	return k;
}

/* --- the naive baseline: a bounded buffer under one mutex, two condition variables --- */

struct mutexq {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
	unsigned char *buf;
	size_t item, slots;
	size_t first, count; /* in items */
};

static void *mutexq_create(size_t item, size_t slots)
{
	struct mutexq *m = calloc(1, sizeof(*m));

	if (!m)
		die("calloc", ENOMEM);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->not_empty, NULL);
	pthread_cond_init(&m->not_full, NULL);
	m->item = item;
	m->slots = slots;
	m->buf = malloc(slots * item);
	if (!m->buf)
		die("malloc", ENOMEM);
	return m;
}

static void mutexq_destroy(void *q)
{
	struct mutexq *m = q;

	pthread_cond_destroy(&m->not_empty);
	pthread_cond_destroy(&m->not_full);
	pthread_mutex_destroy(&m->lock);
	free(m->buf);
	free(m);
}

/* Wait for room, then copy in as many as fit (one item at a time: naive). */
static size_t mutexq_push(void *q, const void *src, size_t n)
{
	struct mutexq *m = q;
	size_t k;

	pthread_mutex_lock(&m->lock);
	while (m->count == m->slots)
		pthread_cond_wait(&m->not_full, &m->lock);
	for (k = 0; k < n && m->count < m->slots; k++, m->count++)
		memcpy(m->buf + (m->first + m->count) % m->slots * m->item,
		       (const unsigned char *)src + k * m->item, m->item);
	pthread_cond_signal(&m->not_empty);
	pthread_mutex_unlock(&m->lock);
	return k;
}

static size_t mutexq_pop(void *q, void *dst, size_t n)
{
	struct mutexq *m = q;
	size_t k;

	pthread_mutex_lock(&m->lock);
	while (m->count == 0)
		pthread_cond_wait(&m->not_empty, &m->lock);
	for (k = 0; k < n && m->count; k++, m->count--, m->first = (m->first + 1) % m->slots)
		memcpy((unsigned char *)dst + k * m->item, m->buf + m->first * m->item, m->item);
	pthread_cond_signal(&m->not_full);
	pthread_mutex_unlock(&m->lock);
	return k;
}

enum { VX_RING, VX_BYTERING, CK_RING, JACK, MUTEX, NIMPL };

static const struct impl impls[NIMPL] = {
	[VX_RING] = { "vx_ring", ours_create, ours_destroy, vx_ring_bench_push, vx_ring_bench_pop },
	[VX_BYTERING] = { "vx_bytering", ours_create, ours_destroy, vx_bytering_bench_push,
			  vx_bytering_bench_pop },
	[CK_RING] = { "ck_ring", ck_create, ck_destroy, ck_bench_push, ck_bench_pop },
	[JACK] = { "jack", jack_create, jack_destroy, jack_bench_push, jack_bench_pop },
	[MUTEX] = { "mutex", mutexq_create, mutexq_destroy, mutexq_push, mutexq_pop },
};

/* --- drivers ------------------------------------------------------------------------- */

struct ctx {
	const struct impl *impl;
	void *q, *back;            /* back: the return queue of a ping-pong */
	size_t item, batch;
	uint64_t ops;
	unsigned char *pbuf, *cbuf; /* batch * item bytes each */
	uint64_t errors;           /* items out of order: must stay 0 */
};

/* Each item starts with its sequence number; the consumer checks the order. */
static void *producer(void *p)
{
	struct ctx *c = p;
	uint64_t seq = 0;
	unsigned spins = 0;

	while (seq < c->ops) {
		size_t n = (size_t)(c->ops - seq < c->batch ? c->ops - seq : c->batch), k;

		for (size_t i = 0; i < n; i++) {
			uint64_t s = seq + i;

			memcpy(c->pbuf + i * c->item, &s, sizeof(s));
		}
		k = c->impl->push(c->q, c->pbuf, n);
		seq += k;
		if (k)
			spins = 0;
		else
			backoff(&spins);
	}
	return NULL;
}

static void run_throughput(void *p, uint64_t ops)
{
	struct ctx *c = p;
	uint64_t seq = 0;
	unsigned spins = 0;
	pthread_t t;
	int err;

	c->ops = ops;
	err = pthread_create(&t, NULL, producer, c);
	if (err)
		die("pthread_create", err);
	while (seq < ops) {
		size_t k = c->impl->pop(c->q, c->cbuf, c->batch);

		for (size_t i = 0; i < k; i++, seq++) {
			uint64_t s;

			memcpy(&s, c->cbuf + i * c->item, sizeof(s));
			c->errors += s != seq;
		}
		if (k)
			spins = 0;
		else
			backoff(&spins);
	}
	pthread_join(t, NULL);
}

static void *ponger(void *p)
{
	struct ctx *c = p;
	unsigned spins = 0;

	for (uint64_t i = 0; i < c->ops; i++) {
		while (!c->impl->pop(c->q, c->cbuf, 1))
			backoff(&spins);
		spins = 0;
		while (!c->impl->push(c->back, c->cbuf, 1))
			backoff(&spins);
		spins = 0;
	}
	return NULL;
}

static void run_pingpong(void *p, uint64_t ops)
{
	struct ctx *c = p;
	unsigned spins = 0;
	unsigned char reply[8];
	pthread_t t;
	int err;

	c->ops = ops;
	err = pthread_create(&t, NULL, ponger, c);
	if (err)
		die("pthread_create", err);
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t s;

		memcpy(c->pbuf, &i, sizeof(i));
		while (!c->impl->push(c->q, c->pbuf, 1))
			backoff(&spins);
		spins = 0;
		while (!c->impl->pop(c->back, reply, 1))
			backoff(&spins);
		spins = 0;
		memcpy(&s, reply, sizeof(s));
		c->errors += s != i;
	}
	pthread_join(t, NULL);
}

struct shape {
	const char *name;
	size_t item, slots, batch;
	uint64_t ops, mutex_ops; /* the mutex queue is slower: fewer items, same rigour */
	bool pingpong;
};

static const struct shape shapes[] = {
	{ "8B/single", 8, 1024, 1, 1000000, 500000, false },
	{ "8B/batch32", 8, 1024, BATCH, 2000000, 1000000, false },
	{ "960B/single", 960, 64, 1, 100000, 100000, false },
	{ "960B/batch32", 960, 64, BATCH, 100000, 50000, false },
	{ "8B/pingpong", 8, 64, 1, 50000, 5000, true },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static void ctx_open(struct ctx *c, const struct shape *s, int which)
{
	*c = (struct ctx){ .impl = &impls[which], .item = s->item, .batch = s->batch };
	c->q = c->impl->create(s->item, s->slots);
	if (s->pingpong)
		c->back = c->impl->create(s->item, s->slots);
	c->pbuf = calloc(s->batch, s->item);
	c->cbuf = calloc(s->batch, s->item);
	if (!c->pbuf || !c->cbuf)
		die("calloc", ENOMEM);
}

static void ctx_close(struct ctx *c, const char *name)
{
	if (c->errors)
		fprintf(stderr, "bench_ring: %s: %llu items out of order\n", name,
			(unsigned long long)c->errors);
	c->impl->destroy(c->q);
	if (c->back)
		c->impl->destroy(c->back);
	free(c->pbuf);
	free(c->cbuf);
}

static uint64_t case_ops(const struct vx_bench *b, const struct shape *s, int which)
{
	return (which == MUTEX ? s->mutex_ops : s->ops) / (vx_bench_quick(b) ? 10 : 1);
}

/* One row of the table: the harness's warm-up and timed repetitions. */
static double run_case(struct vx_bench *b, const struct shape *s, int which)
{
	struct ctx c;
	char name[64];
	double ns, load;
	bool ok;

	snprintf(name, sizeof(name), "%s/%s", s->name, impls[which].name);
	if (!vx_bench_selected(b, name))
		return -1;
	ctx_open(&c, s, which);
	vx_bench_note(b, "item_bytes", (double)s->item);
	vx_bench_note(b, "batch", (double)s->batch);
	/* Other jobs' load on the 2 cores explains much of the spread: record it. */
	if (getloadavg(&load, 1) == 1)
		vx_bench_note(b, "load1", load);
	ns = vx_bench_run(b, &(struct vx_bench_case){
		.name = name,
		.run = s->pingpong ? run_pingpong : run_throughput,
		.ctx = &c,
		.ops = case_ops(b, s, which),
	});
	ok = !c.errors;
	ctx_close(&c, name);
	return ok ? ns : -1;
}

/*
 * The ratios. On a shared machine the load, and even which host cores the two
 * virtual CPUs sit on, drift over seconds, so medians taken a minute apart compare
 * different machines. Instead each round times one repetition of every queue back
 * to back (in a rotating order) and takes each one's time over vx_ring's; the
 * summary reports the median of these ratios over the rounds, with its quartiles.
 */
#define MAX_ROUNDS 31

static double time_once(const struct vx_bench *b, const struct shape *s, int which)
{
	uint64_t ops = case_ops(b, s, which), start;
	struct ctx c;
	double ns;

	ctx_open(&c, s, which);
	start = vx_bench_now_ns();
	(s->pingpong ? run_pingpong : run_throughput)(&c, ops);
	ns = (double)(vx_bench_now_ns() - start) / (double)ops;
	if (c.errors)
		ns = -1;
	ctx_close(&c, s->name);
	return ns;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* ratio[i][r]: queue i's time per item over vx_ring's, in round r; each row sorted. */
static void paired_ratios(const struct vx_bench *b, const struct shape *s, unsigned rounds,
			  double ratio[NIMPL][MAX_ROUNDS])
{
	for (unsigned r = 0; r < rounds; r++) {
		double t[NIMPL];

		for (int k = 0; k < NIMPL; k++) {
			int i = (int)((r + (unsigned)k) % NIMPL);

			t[i] = time_once(b, s, i);
		}
		for (int i = 0; i < NIMPL; i++)
			ratio[i][r] = t[i] / t[VX_RING];
	}
	for (int i = 0; i < NIMPL; i++)
		qsort(ratio[i], rounds, sizeof(double), cmp_double);
}

/* Quartiles q = 1, 2, 3 of n sorted values, by nearest rank. */
static double quartile(const double *v, unsigned n, unsigned q)
{
	return v[(q * n + 3) / 4 - 1];
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "ring");
	double ns[NSHAPES][NIMPL], ratio[NIMPL][MAX_ROUNDS];
	unsigned rounds = 11;
	bool json = false;
	FILE *out;

	for (int i = 1; i < argc; i++) {
		json |= !strcmp(argv[i], "--json");
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			rounds = (unsigned)atoi(argv[i + 1]);
	}
	if (vx_bench_quick(b))
		rounds = 3;
	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;

	for (size_t s = 0; s < NSHAPES; s++)
		for (int i = 0; i < NIMPL; i++)
			ns[s][i] = run_case(b, &shapes[s], i);

	out = json ? stderr : stdout;
	fprintf(out, "\nvx_ring's rate over each queue's: median [quartiles] of %u paired rounds\n"
		"%-13s %13s", rounds, "case", "vx_ring ops/s");
	for (int i = VX_BYTERING; i < NIMPL; i++)
		fprintf(out, " %20s", impls[i].name);
	fputc('\n', out);
	for (size_t s = 0; s < NSHAPES; s++) {
		if (ns[s][VX_RING] <= 0)
			continue;
		paired_ratios(b, &shapes[s], rounds, ratio);
		fprintf(out, "%-13s %13.4g", shapes[s].name, 1e9 / ns[s][VX_RING]);
		if (json)
			printf("{\"suite\":\"ring\",\"case\":\"ratio/%s\",\"rounds\":%u",
			       shapes[s].name, rounds);
		for (int i = VX_BYTERING; i < NIMPL; i++) {
			fprintf(out, " %6.2fx [%5.2f,%5.2f]", quartile(ratio[i], rounds, 2),
				quartile(ratio[i], rounds, 1), quartile(ratio[i], rounds, 3));
			if (json)
				printf(",\"vx_ring_over_%s\":{\"median\":%.4f,\"q1\":%.4f,\"q3\":%.4f}",
				       impls[i].name, quartile(ratio[i], rounds, 2),
				       quartile(ratio[i], rounds, 1), quartile(ratio[i], rounds, 3));
		}
		fputc('\n', out);
		if (json)
			printf("}\n");
	}
	return vx_bench_finish(b);
}
