// SPDX-License-Identifier: MIT
/*
 * Real-time stage threads, and the proof that the steady state allocates nothing:
 * ring traffic, codec encode/decode (with Opus FEC and PLC), capture paced from a
 * WAV file through the resampler, and the sketches the pipeline tunes itself with.
 *
 * This program is linked with
 *	-Wl,--wrap=malloc,--wrap=free,--wrap=calloc,--wrap=realloc,--wrap=pthread_mutex_lock
 * so every call our objects (this file and the project's libraries) make to those
 * functions lands in a __wrap_ function below, which counts it when the calling
 * thread has declared itself in steady state, and forwards it to the real one.
 * Calls from inside shared libraries (libc, libopus, a sanitizer runtime) are not
 * seen: the linker rewrites only the references in the objects it links.
 * Under ASan and TSan __real_malloc is the sanitizer's malloc, which is fine.
 */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "algorithms/bloom.h"
#include "algorithms/cms.h"
#include "algorithms/hash.h"
#include "algorithms/hll.h"
#include "algorithms/kll.h"
#include "algorithms/mg.h"
#include "audio/codec.h"
#include "audio/wav.h"
#include "pipeline/ring.h"
#include "pipeline/rt.h"

#include "tests/sanitized.h"

/* --- the wrapped functions ------------------------------------------------------------ */

enum wrapped { W_MALLOC, W_FREE, W_CALLOC, W_REALLOC, W_MUTEX_LOCK, W_COUNT };

static const char *const wrapped_name[W_COUNT] = {
	"malloc", "free", "calloc", "realloc", "pthread_mutex_lock",
};

/* Calls made in steady state, by any thread that set its in_steady_state flag. */
static atomic_ulong wrapped_calls[W_COUNT];
static _Thread_local bool in_steady_state;

static void count_call(enum wrapped w)
{
	if (in_steady_state)
		atomic_fetch_add_explicit(&wrapped_calls[w], 1, memory_order_relaxed);
}

void *__real_malloc(size_t size);
void __real_free(void *p);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
int __real_pthread_mutex_lock(pthread_mutex_t *m);
void *__wrap_malloc(size_t size);
void __wrap_free(void *p);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
int __wrap_pthread_mutex_lock(pthread_mutex_t *m);

void *__wrap_malloc(size_t size)
{
	count_call(W_MALLOC);
	return __real_malloc(size);
}

void __wrap_free(void *p)
{
	count_call(W_FREE);
	__real_free(p);
}

void *__wrap_calloc(size_t n, size_t size)
{
	count_call(W_CALLOC);
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	count_call(W_REALLOC);
	return __real_realloc(p, size);
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
	count_call(W_MUTEX_LOCK);
	return __real_pthread_mutex_lock(m);
}

static void reset_wrapped(void)
{
	for (int w = 0; w < W_COUNT; w++)
		atomic_store(&wrapped_calls[w], 0);
}

/* --- the steady-state pipeline under test ---------------------------------------------- */

#define FRAME_SAMPLES 480 /* 10 ms at 48 kHz, mono S16 */

/* What travels through the rings: a sequence number beside the PCM, so order is
 * checked whatever the stages do to the samples. */
struct rt_frame {
	uint64_t seq;
	int16_t pcm[FRAME_SAMPLES];
};

/*
 * One stage of the real-time loop: it turns a 10 ms frame into another, in place,
 * in the rt thread. The loop itself is pop (input ring) -> process -> push (output
 * ring), so a row with no process function tests the rings alone. To put a codec,
 * a resampler or a denoiser under the same proof, add a row: create allocates its
 * state in the control thread, process is the code that must not allocate.
 */
struct rt_stage {
	const char *name;
	bool lossless;                          /* output PCM equals input PCM */
	int (*create)(void **state);            /* control thread, before start */
	int (*process)(void *state, int16_t pcm[FRAME_SAMPLES]); /* rt thread: 0 or -errno */
	void (*destroy)(void *state);
};

/* The positive control: a stage that does everything the proof forbids. */
static int allocating_process(void *state, int16_t pcm[FRAME_SAMPLES])
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	/* volatile: the compiler may otherwise drop a malloc/free pair */
	void *volatile p = malloc(64);
	void *volatile q = calloc(1, 64);

	(void)state;
	(void)pcm;
	p = realloc(p, 128);
	free(p);
	free(q);
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	return 0;
}

/* --- codec stages: encode then decode each frame ------------------------------------- */

struct codec_state {
	struct vx_codec *enc, *dec;
	uint64_t frames;
};

static int codec_create(void **state, const char *name)
{
	struct vx_codec_config cfg;
	struct codec_state *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	ret = vx_codec_config_by_name(&cfg, name);
	cfg.frame_us = FRAME_SAMPLES * 1000000u / 48000u;
	if (ret == 0)
		ret = vx_codec_create(&c->enc, &cfg);
	if (ret == 0)
		ret = vx_codec_create(&c->dec, &cfg);
	if (ret == 0 && cfg.type == VX_CODEC_OPUS) {
		ret = vx_codec_set(c->enc, VX_CODEC_FEC, 1);
		if (ret == 0)
			ret = vx_codec_set(c->enc, VX_CODEC_LOSS_PERC, 10);
	}
	*state = c;
	return ret;
}

static void codec_destroy(void *state)
{
	struct codec_state *c = state;

	if (!c)
		return;
	vx_codec_destroy(c->enc);
	vx_codec_destroy(c->dec);
	free(c);
}

static int opus_create(void **state)
{
	return codec_create(state, "opus");
}

static int pcm_create(void **state)
{
	return codec_create(state, "pcm");
}

static int zpcm_create(void **state)
{
	return codec_create(state, "zpcm");
}

/* Lossless codecs: a plain round trip, which the ring check then compares. */
static int codec_process(void *state, int16_t pcm[FRAME_SAMPLES])
{
	struct codec_state *c = state;
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int len = vx_codec_encode(c->enc, pcm, packet, sizeof(packet));

	if (len < 0)
		return len;
	len = vx_codec_decode(c->dec, packet, (size_t)len, pcm, FRAME_SAMPLES);
	return len < 0 ? len : 0;
}

/* Opus also takes the loss paths: every 8th frame is "lost" and rebuilt from the
 * next packet's FEC when it carries some, else concealed. */
static int opus_process(void *state, int16_t pcm[FRAME_SAMPLES])
{
	struct codec_state *c = state;
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int len = vx_codec_encode(c->enc, pcm, packet, sizeof(packet)), ret;

	if (len < 0)
		return len;
	if (++c->frames % 8 == 0) {
		ret = vx_codec_decode_fec(c->dec, packet, (size_t)len, pcm, FRAME_SAMPLES);
		if (ret == -ENODATA)
			ret = vx_codec_conceal(c->dec, pcm, FRAME_SAMPLES);
		if (ret < 0)
			return ret;
	}
	ret = vx_codec_decode(c->dec, packet, (size_t)len, pcm, FRAME_SAMPLES);
	return ret < 0 ? ret : 0;
}

/* --- capture from a WAV file: 44.1 kHz stereo, downmixed and resampled ---------------- */

#define WAV_RATE 44100u
#define WAV_SECONDS 45u /* more than the frames the loop runs */

struct wav_state {
	uint8_t *file;
	struct vx_wav_reader *r;
};

static void put_le(uint8_t *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int wav_create(void **state)
{
	const uint32_t frames = WAV_RATE * WAV_SECONDS, data = frames * 4;
	struct wav_state *w = calloc(1, sizeof(*w));
	uint64_t rng = 7;
	uint8_t *p;

	if (!w || !(w->file = malloc(44 + (size_t)data))) {
		free(w);
		return -ENOMEM;
	}
	p = w->file;
	memcpy(p, "RIFF", 4);
	put_le(p + 4, 36 + data, 4);
	memcpy(p + 8, "WAVEfmt ", 8);
	put_le(p + 16, 16, 4);
	put_le(p + 20, 1, 2);                /* PCM */
	put_le(p + 22, 2, 2);                /* stereo */
	put_le(p + 24, WAV_RATE, 4);
	put_le(p + 28, WAV_RATE * 4, 4);
	put_le(p + 32, 4, 2);
	put_le(p + 34, 16, 2);
	memcpy(p + 36, "data", 4);
	put_le(p + 40, data, 4);
	for (uint32_t i = 0; i < data; i += 2)
		put_le(p + 44 + i, (uint32_t)(vx_rand64(&rng) >> 52), 2);
	*state = w;
	return vx_wav_reader_open_memory(&w->r, w->file, 44 + (size_t)data, "capture", 1, NULL, 0);
}

static int wav_process(void *state, int16_t pcm[FRAME_SAMPLES])
{
	struct wav_state *w = state;
	ssize_t n = vx_wav_reader_read(w->r, pcm, FRAME_SAMPLES);

	return n == FRAME_SAMPLES ? 0 : n < 0 ? (int)n : -ENODATA;
}

static void wav_destroy(void *state)
{
	struct wav_state *w = state;

	if (!w)
		return;
	vx_wav_reader_close(w->r);
	free(w->file);
	free(w);
}

/* --- the sketches the pipeline tunes itself with ---------------------------------------- */

struct sketch_state {
	struct vx_kll_window *delay;  /* jitter buffer: p95 of delay variation */
	struct vx_hll *distinct;      /* dense: data channel content */
	struct vx_cms *rates;         /* per-source packet counts */
	struct vx_mg *bursts;         /* loss-burst lengths */
	struct vx_bloom_aging *seen;  /* recent handshake ephemerals */
	uint64_t frames;
};

static int sketch_create(void **state)
{
	struct sketch_state *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	*state = s;
	ret = vx_kll_window_create(&s->delay, 200, 4, 0, 1);
	if (ret == 0)
		ret = vx_hll_create(&s->distinct, 12, VX_HLL_DENSE);
	if (ret == 0)
		ret = vx_cms_create(&s->rates, 0.001, 0.01, VX_CMS_CONSERVATIVE);
	if (ret == 0)
		ret = vx_mg_create(&s->bursts, 16, 8);
	if (ret == 0)
		ret = vx_bloom_aging_create(&s->seen, 1000, 0.01);
	return ret;
}

static int sketch_process(void *state, int16_t pcm[FRAME_SAMPLES])
{
	struct sketch_state *s = state;
	int ret = 0;

	for (int i = 0; i < FRAME_SAMPLES && ret == 0; i += 16) {
		uint64_t h = vx_hash_mix64((uint64_t)(uint16_t)pcm[i]);

		ret = vx_kll_window_add(s->delay, pcm[i]);
		if (ret == 0)
			ret = vx_hll_add_hash(s->distinct, h);
		vx_cms_add_hash(s->rates, h, 1);
		if (ret == 0)
			ret = vx_mg_add_u64(s->bursts, (uint16_t)pcm[i] % 7, 1);
		if (!vx_bloom_aging_contains_hash(s->seen, h))
			vx_bloom_aging_add_hash(s->seen, h);
	}
	if (ret == 0 && vx_kll_window_quantile(s->delay, 0.95) != vx_kll_window_quantile(s->delay, 0.95))
		ret = -EDOM; /* NaN: the window lost its values */
	if (++s->frames % 100 == 0)
		vx_kll_window_rotate(s->delay);
	return ret;
}

static void sketch_destroy(void *state)
{
	struct sketch_state *s = state;

	if (!s)
		return;
	vx_kll_window_destroy(s->delay);
	vx_hll_destroy(s->distinct);
	vx_cms_destroy(s->rates);
	vx_mg_destroy(s->bursts);
	vx_bloom_aging_destroy(s->seen);
	free(s);
}

static const struct rt_stage stages[] = {
	{ .name = "rings only", .lossless = true },
	{ "opus encode+decode, FEC and PLC", false, opus_create, opus_process, codec_destroy },
	{ "pcm encode+decode", true, pcm_create, codec_process, codec_destroy },
	{ "zpcm encode+decode", true, zpcm_create, codec_process, codec_destroy },
	{ "capture from WAV, resampled", false, wav_create, wav_process, wav_destroy },
	{ "sketches", true, sketch_create, sketch_process, sketch_destroy },
};

static const struct rt_stage allocating_stage = {
	.name = "allocating (control)", .lossless = true, .process = allocating_process,
};

#define WARMUP_FRAMES 64    /* first calls may set up lazily: not yet steady */
#define STEADY_FRAMES 4096
#define RING_FRAMES   64

struct rt_run {
	const struct rt_stage *stage;
	void *state;
	struct vx_ring *in, *out;
	atomic_bool steady;      /* the rt thread has entered steady state */
	uint64_t process_errors; /* read after join */
};

/*
 * Waiting on an empty or full ring: a real stage blocks in its device (snd_pcm_readi,
 * recvfrom) or on its clock. Here a 20 us sleep stands in for that, which also keeps
 * a SCHED_FIFO thread from starving the feeder on a busy machine.
 */
static void wait_a_little(void)
{
	struct timespec ts = { 0, 20000 };

	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

static void *rt_loop(void *p)
{
	struct rt_run *run = p;
	struct rt_frame f;

	for (uint64_t n = 0; n < WARMUP_FRAMES + STEADY_FRAMES; n++) {
		if (n == WARMUP_FRAMES) {
			in_steady_state = true;
			atomic_store_explicit(&run->steady, true, memory_order_release);
		}
		while (vx_ring_pop(run->in, &f) != 0)
			wait_a_little();
		if (run->stage->process && run->stage->process(run->state, f.pcm) < 0)
			run->process_errors++;
		while (vx_ring_push(run->out, &f) != 0)
			wait_a_little();
	}
	in_steady_state = false;
	return NULL;
}

static void make_pcm(int16_t pcm[FRAME_SAMPLES], uint64_t seq)
{
	uint64_t rng = seq;

	for (int i = 0; i < FRAME_SAMPLES; i++)
		pcm[i] = (int16_t)(vx_rand64(&rng) >> 48);
}

struct run_result {
	uint64_t received, out_of_order, corrupted, process_errors;
	bool steady;
	enum vx_rt_policy policy;
	int fifo_error;
};

/* Feed and drain a stage's rt thread from this (control) thread. */
static int run_stage(const struct rt_stage *stage, struct run_result *res)
{
	const struct vx_rt_config cfg = { .name = "vx-test-stage", .priority = 10 };
	const uint64_t total = WARMUP_FRAMES + STEADY_FRAMES;
	struct rt_run run = { .stage = stage };
	struct vx_rt_thread *t;
	struct rt_frame f, g;
	uint64_t sent = 0;
	unsigned idle = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	if (stage->create && (ret = stage->create(&run.state)) < 0)
		return ret;
	if ((ret = vx_ring_create(&run.in, RING_FRAMES, sizeof(struct rt_frame))) < 0 ||
	    (ret = vx_ring_create(&run.out, RING_FRAMES, sizeof(struct rt_frame))) < 0)
		goto out;
	ret = vx_rt_start(&t, &cfg, rt_loop, &run);
	if (ret < 0)
		goto out;
	res->policy = vx_rt_policy(t, &res->fifo_error);

	while (res->received < total) {
		bool moved = false;

		if (sent < total) {
			f.seq = sent;
			make_pcm(f.pcm, sent);
			if (vx_ring_push(run.in, &f) == 0) {
				sent++;
				moved = true;
			}
		}
		if (vx_ring_pop(run.out, &g) == 0) {
			res->out_of_order += g.seq != res->received;
			if (stage->lossless) {
				make_pcm(f.pcm, g.seq);
				res->corrupted += memcmp(f.pcm, g.pcm, sizeof(f.pcm)) != 0;
			}
			res->received++;
			moved = true;
		}
		if (moved)
			idle = 0;
		else if (++idle > 64)
			sched_yield();
	}
	vx_rt_destroy(t);
	res->steady = atomic_load(&run.steady);
	res->process_errors = run.process_errors;
out:
	vx_ring_destroy(run.in);
	vx_ring_destroy(run.out);
	if (stage->destroy)
		stage->destroy(run.state);
	return ret;
}

static void test_rt_stages_do_not_allocate_or_lock_in_steady_state(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		unsigned long forbidden = 0;
		struct run_result res;

		reset_wrapped();
		assert_int_equal(run_stage(&stages[i], &res), 0);
		print_message("stage \"%s\": %s%s%s\n", stages[i].name,
			      vx_rt_policy_name(res.policy), res.fifo_error ? ", FIFO refused: " : "",
			      res.fifo_error ? strerror(res.fifo_error) : "");
		assert_true(res.steady);
		assert_int_equal(res.received, WARMUP_FRAMES + STEADY_FRAMES);
		assert_int_equal(res.out_of_order, 0);
		assert_int_equal(res.corrupted, 0);
		assert_int_equal(res.process_errors, 0);
		for (int w = 0; w < W_COUNT; w++) {
			unsigned long calls = atomic_load(&wrapped_calls[w]);

			if (calls)
				print_message("stage \"%s\" called %s %lu times in steady state\n",
					      stages[i].name, wrapped_name[w], calls);
			forbidden += calls;
		}
		assert_int_equal(forbidden, 0);
	}
}

/* Without this, a broken --wrap (a missing link flag) would pass the test above. */
static void test_rt_wrap_counts_an_allocating_stage(void **state)
{
	struct run_result res;

	(void)state;
	reset_wrapped();
	assert_int_equal(run_stage(&allocating_stage, &res), 0);
	assert_true(res.steady);
	assert_int_equal(res.received, WARMUP_FRAMES + STEADY_FRAMES);
	/* At least: this test must not fail because of a stray call elsewhere. */
	assert_true(atomic_load(&wrapped_calls[W_MALLOC]) >= STEADY_FRAMES);
	assert_true(atomic_load(&wrapped_calls[W_CALLOC]) >= STEADY_FRAMES);
	assert_true(atomic_load(&wrapped_calls[W_REALLOC]) >= STEADY_FRAMES);
	assert_true(atomic_load(&wrapped_calls[W_FREE]) >= 2 * STEADY_FRAMES);
	assert_true(atomic_load(&wrapped_calls[W_MUTEX_LOCK]) >= STEADY_FRAMES);
}

/* --- starting threads ---------------------------------------------------------------------- */

/* What a stage thread sees of itself, recorded by its function for the test to check. */
struct observed {
	int policy, priority;
	int cpu;
	cpu_set_t affinity;
	char name[16];
};

static void *observe(void *p)
{
	struct observed *o = p;
	struct sched_param sp;

	pthread_getschedparam(pthread_self(), &o->policy, &sp);
	o->priority = sp.sched_priority;
	o->cpu = sched_getcpu();
	pthread_getaffinity_np(pthread_self(), sizeof(o->affinity), &o->affinity);
	pthread_getname_np(pthread_self(), o->name, sizeof(o->name));
	return o;
}

static void start_and_observe(const struct vx_rt_config *cfg, struct vx_rt_status *st,
			      struct observed *o)
{
	struct vx_rt_thread *t;
	void *ret = NULL;

	memset(o, 0, sizeof(*o));
	assert_int_equal(vx_rt_start(&t, cfg, observe, o), 0);
	assert_int_equal(vx_rt_join(t, &ret), 0);
	assert_ptr_equal(ret, o);
	*st = *vx_rt_status(t);
	vx_rt_destroy(t);
}

/* Passes both ways: FIFO granted (root, CAP_SYS_NICE, RLIMIT_RTPRIO) or refused. */
static void test_rt_start_reports_the_policy_the_thread_runs_under(void **state)
{
	const struct vx_rt_config cfg = { .priority = 10 };
	struct vx_rt_status st;
	struct observed o;

	(void)state;
	start_and_observe(&cfg, &st, &o);
	print_message("FIFO here: %s\n", st.policy == VX_RT_FIFO ? "granted" : "refused");
	if (st.policy == VX_RT_FIFO) {
		assert_int_equal(st.fifo_error, 0);
		assert_int_equal(st.priority, 10);
		assert_int_equal(o.policy, SCHED_FIFO);
		assert_int_equal(o.priority, 10);
	} else {
		assert_int_equal(st.fifo_error, EPERM);
		assert_int_equal(st.priority, 0);
		assert_int_equal(o.policy, SCHED_OTHER);
	}
}

static void test_rt_invalid_priority_falls_back_to_other_with_einval(void **state)
{
	const struct vx_rt_config cfg = { .priority = 1000 };
	struct vx_rt_status st;
	struct observed o;

	(void)state;
	start_and_observe(&cfg, &st, &o);
	assert_int_equal(st.policy, VX_RT_OTHER);
	assert_int_equal(st.fifo_error, EINVAL);
	assert_int_equal(o.policy, SCHED_OTHER);
}

static void test_rt_priority_zero_does_not_ask_for_fifo(void **state)
{
	const struct vx_rt_config cfg = { .priority = 0 };
	struct vx_rt_status st;
	struct observed o;

	(void)state;
	start_and_observe(&cfg, &st, &o);
	assert_int_equal(st.policy, VX_RT_OTHER);
	assert_int_equal(st.fifo_error, 0);
	assert_int_equal(o.policy, SCHED_OTHER);
}

/*
 * The unprivileged case, made deterministic even as root: capabilities are
 * per-thread on Linux and inherited by the threads a thread creates, so a helper
 * thread drops CAP_SYS_NICE from its effective set and starts the stage thread.
 * With RLIMIT_RTPRIO below the priority asked, the kernel must refuse with EPERM.
 */
struct unprivileged {
	int priority;
	int setup_error;
	struct vx_rt_status st;
	struct observed o;
};

static void *start_without_cap_sys_nice(void *p)
{
	struct unprivileged *u = p;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const struct vx_rt_config cfg = { .priority = u->priority };
	struct vx_rt_thread *t;

	if (syscall(SYS_capget, &hdr, data) < 0) {
		u->setup_error = errno;
		return NULL;
	}
	data[CAP_SYS_NICE / 32].effective &= ~(1u << (CAP_SYS_NICE % 32));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		u->setup_error = errno;
		return NULL;
	}
	u->setup_error = -vx_rt_start(&t, &cfg, observe, &u->o);
	if (u->setup_error)
		return NULL;
	u->st = *vx_rt_status(t);
	vx_rt_destroy(t);
	return NULL;
}

static void test_rt_without_cap_sys_nice_falls_back_to_other_with_eperm(void **state)
{
	struct unprivileged u = { 0 };
	struct rlimit rl;
	pthread_t helper;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_RTPRIO, &rl), 0);
	if (rl.rlim_cur >= 99) {
		print_message("RLIMIT_RTPRIO allows every priority: nothing to refuse\n");
		skip();
	}
	u.priority = (int)rl.rlim_cur + 1;
	assert_int_equal(pthread_create(&helper, NULL, start_without_cap_sys_nice, &u), 0);
	assert_int_equal(pthread_join(helper, NULL), 0);
	assert_int_equal(u.setup_error, 0);
	assert_int_equal(u.st.policy, VX_RT_OTHER);
	assert_int_equal(u.st.fifo_error, EPERM);
	assert_int_equal(u.o.policy, SCHED_OTHER);
}

static unsigned first_allowed_cpu(void)
{
	cpu_set_t set;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (unsigned c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	fail();
	return 0;
}

static void test_rt_pins_to_the_cpu_asked(void **state)
{
	const struct vx_rt_config cfg = { .pin = true, .cpu = first_allowed_cpu() };
	struct vx_rt_status st;
	struct observed o;

	(void)state;
	start_and_observe(&cfg, &st, &o);
	assert_true(st.pinned);
	assert_int_equal(st.pin_error, 0);
	assert_int_equal(o.cpu, (int)cfg.cpu);
	assert_int_equal(CPU_COUNT(&o.affinity), 1);
	assert_true(CPU_ISSET(cfg.cpu, &o.affinity));
}

static void test_rt_pin_to_a_missing_cpu_is_noted_not_fatal(void **state)
{
	static const unsigned missing[] = { CPU_SETSIZE - 1, CPU_SETSIZE, 1u << 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		const struct vx_rt_config cfg = { .pin = true, .cpu = missing[i] };
		struct vx_rt_status st;
		struct observed o;

		start_and_observe(&cfg, &st, &o);
		assert_false(st.pinned);
		assert_int_equal(st.pin_error, EINVAL);
		assert_true(CPU_COUNT(&o.affinity) >= 1);
	}
}

static void test_rt_names_the_thread_cut_to_15_bytes(void **state)
{
	const struct vx_rt_config cfg = { .name = "vx-capture-and-encode" };
	struct vx_rt_status st;
	struct observed o;

	(void)state;
	start_and_observe(&cfg, &st, &o);
	assert_string_equal(o.name, "vx-capture-and-");
}

/* Locked memory in kB, from /proc/self/status. */
static long locked_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void test_rt_lock_memory_is_granted_or_noted(void **state)
{
	const struct vx_rt_config cfg = { .lock_memory = true, .stack_bytes = 256 * 1024 };
	struct vx_rt_status st;
	struct observed o;

	(void)state;
	start_and_observe(&cfg, &st, &o);
	print_message("mlockall here: %s\n",
		      st.memory_locked ? "granted" : strerror(st.lock_error));
	if (SANITIZED) {
		assert_false(st.memory_locked);
		assert_int_equal(st.lock_error, ENOTSUP);
	} else if (st.memory_locked) {
		assert_int_equal(st.lock_error, 0);
		assert_true(locked_kb() > 0);
	} else {
		assert_true(st.lock_error == EPERM || st.lock_error == ENOMEM ||
			    st.lock_error == EAGAIN);
	}
	/* Process-wide and sticky: do not let it change the cases after this one. */
	munlockall();
}

static void *return_arg(void *p)
{
	return p;
}

static void test_rt_join_returns_the_stage_result_once(void **state)
{
	struct vx_rt_thread *t;
	int token;
	void *ret = NULL;

	(void)state;
	assert_int_equal(vx_rt_start(&t, NULL, return_arg, &token), 0);
	assert_int_equal(vx_rt_join(t, &ret), 0);
	assert_ptr_equal(ret, &token);
	assert_int_equal(vx_rt_join(t, NULL), -EINVAL);
	assert_int_equal(vx_rt_policy(t, NULL), VX_RT_OTHER);
	vx_rt_destroy(t);
	vx_rt_destroy(NULL);
}

struct gate {
	atomic_bool open, done;
};

static void *wait_for_gate(void *p)
{
	struct gate *g = p;

	while (!atomic_load(&g->open))
		sched_yield();
	atomic_store(&g->done, true);
	return NULL;
}

static void test_rt_destroy_joins_a_running_thread(void **state)
{
	struct gate g = { false, false };
	struct vx_rt_thread *t;

	(void)state;
	assert_int_equal(vx_rt_start(&t, NULL, wait_for_gate, &g), 0);
	atomic_store(&g.open, true);
	vx_rt_destroy(t);
	assert_true(atomic_load(&g.done));
}

static void test_rt_start_checks_arguments(void **state)
{
	const struct vx_rt_config tiny_stack = { .stack_bytes = 1 };
	struct vx_rt_thread *t = NULL;

	(void)state;
	assert_int_equal(vx_rt_start(&t, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(vx_rt_start(&t, &tiny_stack, return_arg, NULL), -EINVAL);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_start_checks_arguments),
		cmocka_unit_test(test_rt_start_reports_the_policy_the_thread_runs_under),
		cmocka_unit_test(test_rt_invalid_priority_falls_back_to_other_with_einval),
		cmocka_unit_test(test_rt_priority_zero_does_not_ask_for_fifo),
		cmocka_unit_test(test_rt_without_cap_sys_nice_falls_back_to_other_with_eperm),
		cmocka_unit_test(test_rt_pins_to_the_cpu_asked),
		cmocka_unit_test(test_rt_pin_to_a_missing_cpu_is_noted_not_fatal),
		cmocka_unit_test(test_rt_names_the_thread_cut_to_15_bytes),
		cmocka_unit_test(test_rt_lock_memory_is_granted_or_noted),
		cmocka_unit_test(test_rt_join_returns_the_stage_result_once),
		cmocka_unit_test(test_rt_destroy_joins_a_running_thread),
		cmocka_unit_test(test_rt_stages_do_not_allocate_or_lock_in_steady_state),
		cmocka_unit_test(test_rt_wrap_counts_an_allocating_stage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
