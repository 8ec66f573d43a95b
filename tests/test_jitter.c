// SPDX-License-Identifier: MIT
/*
 * The adaptive jitter buffer on a virtual clock. A sender encodes speech (the
 * alsa-utils sample, separated by pauses of digital silence) into 20 ms packets
 * sent every 20 ms; each packet gets a network delay (a fixed 30 ms plus the
 * case's jitter), may be lost or duplicated, and is inserted when the virtual
 * clock passes its arrival; the playout ticks every 20 ms, 7 ms out of phase
 * with the sender. PCM checks content bit for bit; Opus exercises FEC and PLC.
 * Continuous speech without a pause (a synthetic voiced signal) makes the
 * buffer change its delay by time-stretching instead.
 * Everything is seeded: same run, same figures.
 * Linked with --wrap=malloc,... and libsonic's static archive (see the
 * Makefile) to check that insert and pop allocate nothing once created, the
 * time-stretcher included.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "audio/codec.h"
#include "audio/wav.h"
#include "pipeline/jitter.h"

#include "tests/wrap_alloc.h"

#include <sonic.h>

#define SPEECH     "/usr/share/sounds/alsa/Front_Center.wav"
#define FRAME      960                 /* 20 ms at 48 kHz */
#define FRAME_NS   20000000ull
#define MS         1000000ll
#define BASE_NS    (30 * MS)           /* the network's fixed delay */
#define PHASE_NS   (7 * MS)            /* playout ticks lag the sender's by this */
#define T0_NS      1000000000000ull    /* the virtual clock's start */
#define SEQ0       65500u              /* sequence and timestamp wrap early */
#define TS0        0xffff0000u
#define PAYLOAD    4096
#define PAUSE      20                  /* silent frames between repetitions */

/* ---- input ------------------------------------------------------------------- */

/* Speech, PAUSE silent frames, speech, ...: @frames frames of 20 ms. */
static int16_t *make_input(size_t frames)
{
	int16_t *speech, *in;
	size_t n, pos = 0;
	char err[VX_WAV_ERR_LEN];

	assert_int_equal(vx_wav_load(SPEECH, 1, &speech, &n, err, sizeof(err)), 0);
	in = calloc(frames * FRAME, sizeof(*in));
	assert_non_null(in);
	while (pos < frames * FRAME) {
		size_t take = n < frames * FRAME - pos ? n : frames * FRAME - pos;

		memcpy(in + pos, speech, take * sizeof(*in));
		pos += take + PAUSE * FRAME;
	}
	free(speech);
	return in;
}

static double rms(const int16_t *x)
{
	double e = 0;

	for (size_t i = 0; i < FRAME; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / FRAME);
}

/*
 * Continuous voiced speech, without a pause: a pulse train at a gliding pitch
 * (95 to 170 Hz, a talker's intonation plus vibrato) through two formant
 * resonators (90 Hz wide) gliding between vowels, under a syllable-rate
 * envelope (3.3 Hz) that never falls below 0.3. Every frame is well above
 * the VAD level, so the buffer can change its delay only by stretching; and
 * the pitch is what PICOLA looks for.
 */
static int16_t *make_voiced(size_t frames)
{
	size_t n = frames * FRAME;
	double *y = malloc(n * sizeof(*y)), s1[2] = { 0 }, s2[2] = { 0 }, phase = 0, peak = 0;
	const double r = exp(-M_PI * 90 / 48000);
	int16_t *x = malloc(n * sizeof(*x));

	assert_true(y && x);
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / 48000, v = 0;
		double f0 = 130 + 30 * sin(2 * M_PI * 0.37 * t) + 5 * sin(2 * M_PI * 4.1 * t);
		double fc[2] = { 550 + 250 * sin(2 * M_PI * 0.71 * t),
				 1500 + 600 * sin(2 * M_PI * 0.53 * t + 1) };
		double pulse = 0;

		phase += f0 / 48000;
		if (phase >= 1) {
			phase -= 1;
			pulse = 1;
		}
		for (int k = 0; k < 2; k++) {
			double o = pulse + 2 * r * cos(2 * M_PI * fc[k] / 48000) * s1[k] -
				   r * r * s2[k];

			s2[k] = s1[k];
			s1[k] = o;
			v += k ? 0.5 * o : o;
		}
		y[i] = v * (0.65 + 0.35 * sin(2 * M_PI * 3.3 * t));
		if (fabs(y[i]) > peak)
			peak = fabs(y[i]);
	}
	for (size_t i = 0; i < n; i++)
		x[i] = (int16_t)lround(y[i] * 12000 / peak);
	free(y);
	for (size_t f = 0; f < frames; f++)
		assert_true(rms(x + f * FRAME) > 2 * VX_JITTER_VAD_RMS);
	return x;
}

/* ---- the simulated network and receiver -------------------------------------- */

struct sim {
	const char *codec;     /* "pcm" or "opus" */
	int fec_loss;          /* Opus: FEC on with this expected loss %, 0: off */
	size_t frames;         /* packets sent */
	size_t ticks;          /* playout ticks */
	int16_t *in;
	int64_t *delay;        /* per packet: network delay, ns */
	bool *lost;            /* per packet */
	int64_t *dup;          /* per packet: a copy arrives this long after, 0: none */
	bool count_allocs;
	bool start_delay;      /* keep the start-up floor (the cases measure steady state) */

	/* results */
	int16_t *out;          /* ticks x FRAME */
	struct vx_jitter_pop_info *info;
	struct vx_jitter_stats st;
	struct vx_jitter_report rep;
	uint8_t (*pay)[PAYLOAD];
	size_t *len;
	unsigned long allocs;
};

struct event {
	uint64_t at;
	size_t pkt;
};

static int by_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->pkt < y->pkt ? -1 : x->pkt > y->pkt;
}

static void sim_init(struct sim *s, const char *codec, size_t frames)
{
	memset(s, 0, sizeof(*s));
	s->codec = codec;
	s->frames = frames;
	s->ticks = frames + 30;
	s->in = make_input(frames);
	s->delay = calloc(frames, sizeof(*s->delay));
	s->lost = calloc(frames, sizeof(*s->lost));
	s->dup = calloc(frames, sizeof(*s->dup));
	assert_true(s->delay && s->lost && s->dup);
	for (size_t i = 0; i < frames; i++)
		s->delay[i] = BASE_NS;
}

/* Voiced speech throughout; uniform jitter of @lo ms, @hi ms from 10 s to 20 s. */
static void sim_init_voiced(struct sim *s, size_t frames, double lo, double hi, uint64_t seed)
{
	uint64_t rng = seed;

	sim_init(s, "pcm", frames);
	free(s->in);
	s->in = make_voiced(frames);
	for (size_t i = 0; i < frames; i++)
		s->delay[i] += (int64_t)(vx_rand_unit(&rng) * (i >= 500 && i < 1000 ? hi : lo) * 1e6);
}

static void sim_free(struct sim *s)
{
	free(s->in);
	free(s->delay);
	free(s->lost);
	free(s->dup);
	free(s->out);
	free(s->info);
	free(s->pay);
	free(s->len);
}

static void set(struct vx_codec *c, enum vx_codec_ctl ctl, int v)
{
	assert_int_equal(vx_codec_set(c, ctl, v), 0);
}

static struct vx_codec *codec_new(const char *name)
{
	struct vx_codec_config cfg;
	struct vx_codec *c = NULL;

	assert_int_equal(vx_codec_config_by_name(&cfg, name), 0);
	assert_int_equal(vx_codec_create(&c, &cfg), 0);
	return c;
}

static size_t frame_of(const struct vx_jitter_pop_info *in)
{
	return (size_t)(uint32_t)(in->seq - SEQ0);
}

static void sim_run(struct sim *s)
{
	struct vx_codec *enc = codec_new(s->codec), *dec = codec_new(s->codec);
	struct vx_jitter_config cfg;
	struct vx_jitter *jb = NULL;
	struct event *ev;
	size_t nev = 0, e = 0;

	if (s->fec_loss) {
		set(enc, VX_CODEC_FEC, 1);
		set(enc, VX_CODEC_LOSS_PERC, s->fec_loss);
		set(enc, VX_CODEC_BITRATE, 32000);
	}
	s->pay = malloc(s->frames * sizeof(*s->pay));
	s->len = calloc(s->frames, sizeof(*s->len));
	ev = calloc(2 * s->frames, sizeof(*ev));
	s->out = calloc(s->ticks * FRAME, sizeof(*s->out));
	s->info = calloc(s->ticks, sizeof(*s->info));
	assert_true(s->pay && s->len && ev && s->out && s->info);

	for (size_t i = 0; i < s->frames; i++) {
		int n = vx_codec_encode(enc, s->in + i * FRAME, s->pay[i], PAYLOAD);
		uint64_t sent = T0_NS + i * FRAME_NS;

		assert_true(n > 0);
		s->len[i] = (size_t)n;
		if (s->lost[i])
			continue;
		ev[nev++] = (struct event){ sent + (uint64_t)s->delay[i], i };
		if (s->dup[i])
			ev[nev++] = (struct event){ sent + (uint64_t)(s->delay[i] + s->dup[i]), i };
	}
	qsort(ev, nev, sizeof(*ev), by_time);

	vx_jitter_config_default(&cfg, dec);
	if (!s->start_delay)
		cfg.start_delay_ns = 0;
	assert_int_equal(vx_jitter_create(&jb, &cfg), 0);
	allocs = 0;
	allocs_armed = s->count_allocs;
	for (size_t k = 0; k < s->ticks; k++) {
		uint64_t now = T0_NS + PHASE_NS + k * FRAME_NS;

		for (; e < nev && ev[e].at <= now; e++) {
			size_t i = ev[e].pkt;

			(void)vx_jitter_insert(jb, SEQ0 + (uint32_t)i, TS0 + (uint32_t)(i * FRAME),
					       s->pay[i], s->len[i], ev[e].at);
		}
		assert_true(vx_jitter_pop(jb, now, s->out + k * FRAME, &s->info[k]) >= 0);
		/* Stop at the last frame sent: after it everything would be "lost". */
		if (s->info[k].advanced && frame_of(&s->info[k]) >= s->frames - 1) {
			s->ticks = k + 1;
			break;
		}
	}
	allocs_armed = false;
	s->allocs = allocs;
	vx_jitter_stats(jb, &s->st);
	vx_jitter_report(jb, &s->rep);
	vx_jitter_destroy(jb);
	vx_codec_destroy(dec);
	vx_codec_destroy(enc);
	free(ev);
}


/* PCM: every frame decoded from its packet and not time-stretched is that input
 * frame, bit for bit; after stretching, @held samples of earlier audio may play
 * ahead of it, so the output's tail is the frame's head. Counted only where the
 * stretcher was idle since the tick before (then @held is exact). */
static size_t check_played_exact(const struct sim *s)
{
	size_t played = 0;

	for (size_t k = 0; k < s->ticks; k++) {
		const struct vx_jitter_pop_info *in = &s->info[k];
		size_t h = in->held;

		if (in->kind != VX_JITTER_PLAYED || in->stretched ||
		    (k > 0 && s->info[k - 1].stretched) || h >= FRAME)
			continue;
		assert_true(frame_of(in) < s->frames);
		assert_memory_equal(s->out + k * FRAME + h, s->in + frame_of(in) * FRAME,
				    (FRAME - h) * sizeof(int16_t));
		played++;
	}
	return played;
}

/* Every sequence number is decoded once, in order: the cursor moves by @advanced
 * frames a tick. Delay changes by whole frames touch silent frames only: a
 * frame skipped was silent input, a frame repeated was a silent output. */
static void check_changes_silent(const struct sim *s, size_t *ins, size_t *drops)
{
	uint32_t next = 0;
	bool started = false;

	*ins = *drops = 0;
	for (size_t k = 0; k < s->ticks; k++) {
		const struct vx_jitter_pop_info *in = &s->info[k];

		if (in->kind == VX_JITTER_IDLE)
			continue;
		if (!started) {
			next = in->seq + 1 - in->advanced;
			started = true;
		}
		if (in->kind == VX_JITTER_INSERTED) {
			assert_true(k > 0 && s->info[k - 1].silent);
			assert_true(rms(s->out + (k - 1) * FRAME) < VX_JITTER_VAD_RMS);
			assert_memory_equal(s->out + k * FRAME, s->out + (k - 1) * FRAME,
					    FRAME * sizeof(int16_t));
			(*ins)++;
		}
		if (in->dropped) {
			size_t f = (size_t)(uint32_t)(next - SEQ0);

			assert_true(f >= s->frames || s->lost[f] ||
				    rms(s->in + f * FRAME) < VX_JITTER_VAD_RMS);
			(*drops)++;
		}
		if (!in->advanced) {
			assert_int_equal(in->seq, next);
			continue;
		}
		assert_int_equal(in->seq, next + in->advanced - 1);
		next = in->seq + 1;
	}
}

/* Mean and p95 of the actual delay (now - due time at D = 0) over played frames. */
static void delay_figures(const struct sim *s, const char *what)
{
	double *d = malloc(s->ticks * sizeof(*d)), sum = 0;
	size_t n = 0;

	assert_non_null(d);
	for (size_t k = 0; k < s->ticks; k++)
		if (s->info[k].kind == VX_JITTER_PLAYED)
			sum += d[n++] = (double)s->info[k].delay_ns / 1e6;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && d[j - 1] > d[j]; j--) {
			double t = d[j];

			d[j] = d[j - 1];
			d[j - 1] = t;
		}
	print_message("%s: jitter-buffer delay mean %.1f ms, p95 %.1f ms over %zu frames; "
		      "late %llu, lost %llu, inserted %llu, dropped %llu; stretched %llu "
		      "(+%.1f ms, -%.1f ms), trimmed %.2f ms\n",
		      what, sum / (double)n, d[(size_t)ceil(0.95 * (double)n) - 1], n,
		      (unsigned long long)s->st.late, (unsigned long long)s->st.lost,
		      (unsigned long long)s->st.inserted, (unsigned long long)s->st.dropped,
		      (unsigned long long)s->st.stretched, (double)s->st.stretch_added / 48.0,
		      (double)s->st.stretch_removed / 48.0, (double)s->st.trimmed / 48.0);
	free(d);
}

/* ---- cases ------------------------------------------------------------------- */

static void test_jitter_clean_network_plays_input_exactly(void **state)
{
	struct sim s;
	size_t first = SIZE_MAX;

	(void)state;
	sim_init(&s, "pcm", 150);
	sim_run(&s);
	for (size_t k = 0; k < s.ticks; k++) {
		if (s.info[k].kind == VX_JITTER_IDLE)
			continue;
		if (first == SIZE_MAX)
			first = k;
		if (k - first >= s.frames)
			break;
		assert_int_equal(s.info[k].kind, VX_JITTER_PLAYED);
		assert_int_equal(frame_of(&s.info[k]), k - first);
	}
	/* Arrival 30 ms after sending, due one frame (the minimum D) later. */
	assert_int_equal(first, 3);
	assert_int_equal(check_played_exact(&s), s.frames);
	assert_int_equal(s.st.lost + s.st.late + s.st.inserted + s.st.dropped, 0);
	assert_int_equal(s.info[first].target_ns, FRAME_NS);
	sim_free(&s);
}

static void test_jitter_uniform_jitter_targets_its_p95(void **state)
{
	struct sim s;
	uint64_t rng = 1;
	size_t ins, drops;
	double target;

	(void)state;
	sim_init(&s, "pcm", 750); /* 15 s */
	for (size_t i = 0; i < s.frames; i++)
		s.delay[i] += (int64_t)(vx_rand_unit(&rng) * 40e6);
	sim_run(&s);
	target = (double)s.info[s.ticks - 1].target_ns / 1e6;
	print_message("uniform 0..40 ms: target %.2f ms (p95 38 ms)\n", target);
	/* k = 512 holds the whole window: the sample p95 of ~450 uniform values,
	 * sd 40 x sqrt(0.95 x 0.05 / 450) = 0.4 ms; less its minimum (~0.1 ms). */
	assert_true(fabs(target - 38.0) < 2.0);
	check_played_exact(&s);
	check_changes_silent(&s, &ins, &drops);
	delay_figures(&s, "uniform 0..40 ms");
	assert_true(s.st.late < s.frames / 20);
	sim_free(&s);
}

/* Start-up: on a 0..40 ms path from the first packet, the window knows nothing
 * yet; without the 60 ms floor the first second loses packets to lateness. */
static void test_jitter_start_delay_keeps_the_first_second(void **state)
{
	size_t late[2];

	(void)state;
	for (int floor = 0; floor < 2; floor++) {
		struct sim s;
		uint64_t rng = 4;

		sim_init(&s, "pcm", 100); /* 2 s */
		s.start_delay = floor;
		for (size_t i = 0; i < s.frames; i++)
			s.delay[i] += (int64_t)(vx_rand_unit(&rng) * 40e6);
		sim_run(&s);
		late[floor] = s.st.late;
		for (size_t k = 0; floor && k < s.ticks; k++) {
			if (s.info[k].kind == VX_JITTER_IDLE)
				continue;
			assert_true(s.info[k].target_ns >= VX_JITTER_START_DELAY_NS);
			break;
		}
		sim_free(&s);
	}
	print_message("late in the first 2 s: %zu without the floor, %zu with\n", late[0], late[1]);
	assert_true(late[0] >= 3);
	assert_int_equal(late[1], 0);
}

static void test_jitter_step_grows_within_1s_and_shrinks_within_10s(void **state)
{
	struct sim s;
	uint64_t rng = 2;
	double grow_at = -1, shrink_at = -1;
	size_t ins, drops;

	(void)state;
	sim_init(&s, "pcm", 1600); /* 32 s: 5 ms, 60 ms from 10 s, 5 ms from 20 s */
	for (size_t i = 0; i < s.frames; i++) {
		double j = i >= 500 && i < 1000 ? 60e6 : 5e6;

		s.delay[i] += (int64_t)(vx_rand_unit(&rng) * j);
	}
	sim_run(&s);
	for (size_t k = 0; k < s.ticks; k++) {
		double t = (double)(PHASE_NS + k * FRAME_NS) / 1e9;
		double d = (double)s.info[k].target_ns / 1e6;

		if (t < 10)
			assert_true(d <= 20.0 + 1e-9); /* p95 4.75 ms: the minimum, a frame */
		if (t >= 10 && t < 20 && grow_at < 0 && d >= 0.9 * 57.0)
			grow_at = t - 10;
		if (t >= 20 && shrink_at < 0 && d <= 20.0 + 1e-9)
			shrink_at = t - 20;
	}
	print_message("jitter step 5 -> 60 ms: target at 90%% of p95 after %.2f s; "
		      "60 -> 5 ms: back to one frame after %.2f s\n", grow_at, shrink_at);
	assert_true(grow_at >= 0 && grow_at <= 1.0);
	assert_true(shrink_at >= 0 && shrink_at <= 10.0);
	check_played_exact(&s);
	check_changes_silent(&s, &ins, &drops);
	print_message("delay changes: %zu frames inserted, %zu dropped, all silent\n", ins, drops);
	assert_true(ins > 0 && drops > 0);
	delay_figures(&s, "step 5/60/5 ms");
	sim_free(&s);
}

/* One table: what each packet does on the wire and what insert makes of it. */
static void test_jitter_late_duplicate_and_reordered_packets(void **state)
{
	static const struct {
		size_t pkt;
		int64_t extra;   /* added network delay */
		int64_t dup;     /* a copy this much later */
	} table[] = {
		{ 20, 0, 5 * MS },     /* duplicate while buffered */
		{ 30, 300 * MS, 0 },   /* late: its frame has been concealed */
		{ 40, 15 * MS, 0 },    /* reordered: after 41, still in time */
		{ 50, 0, 400 * MS },   /* duplicate after it was played */
		{ 60, 0, 0 },
	};
	struct sim s;

	(void)state;
	sim_init(&s, "pcm", 120);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		s.delay[table[i].pkt] += table[i].extra;
		s.dup[table[i].pkt] = table[i].dup;
	}
	sim_run(&s);
	assert_int_equal(s.st.duplicate, 2);
	assert_int_equal(s.st.late, 1);
	assert_int_equal(s.st.lost, 1);
	assert_int_equal(s.st.played, s.frames - 1);
	assert_int_equal(check_played_exact(&s), s.frames - 1);
	for (size_t k = 0; k < s.ticks; k++)
		if (s.info[k].kind != VX_JITTER_IDLE && frame_of(&s.info[k]) == 30)
			assert_int_equal(s.info[k].kind, VX_JITTER_PLC);
	sim_free(&s);
}

static void test_jitter_opus_fec_recovers_single_losses(void **state)
{
	struct vx_codec *probe = codec_new("opus");
	int16_t scratch[FRAME];
	struct sim s;
	uint64_t rng = 3;
	size_t lost = 0, with_fec = 0;

	(void)state;
	sim_init(&s, "opus", 1000); /* 20 s */
	s.fec_loss = 10;
	for (size_t i = 0; i < s.frames; i++) {
		s.delay[i] += (int64_t)(vx_rand_unit(&rng) * 10e6);
		s.lost[i] = i > 0 && vx_rand_unit(&rng) < 0.10;
	}
	sim_run(&s);
	/* The reference: losses whose next packet arrived and carries FEC (a
	 * fresh decoder reads the packet's LBRR flag). */
	for (size_t i = 0; i + 1 < s.frames; i++) {
		if (!s.lost[i])
			continue;
		lost++;
		if (!s.lost[i + 1] &&
		    vx_codec_decode_fec(probe, s.pay[i + 1], s.len[i + 1], scratch, FRAME) == FRAME)
			with_fec++;
	}
	print_message("10%% loss: %zu frames lost, %zu with FEC in the next packet, "
		      "%llu recovered by FEC (%.1f%% of lost), %llu concealed\n",
		      lost, with_fec, (unsigned long long)s.st.fec_recovered,
		      100.0 * (double)s.st.fec_recovered / (double)lost,
		      (unsigned long long)s.st.concealed);
	{
		/* The same among lost frames of speech (input above the VAD level). */
		size_t speech = 0, fec = 0;

		for (size_t k = 0; k < s.ticks; k++) {
			size_t f = frame_of(&s.info[k]);

			if (s.info[k].kind == VX_JITTER_IDLE || f >= s.frames || !s.lost[f] ||
			    rms(s.in + f * FRAME) < VX_JITTER_VAD_RMS)
				continue;
			speech++;
			fec += s.info[k].kind == VX_JITTER_FEC;
		}
		print_message("of %zu lost speech frames, %zu (%.1f%%) recovered by FEC\n", speech,
			      fec, 100.0 * (double)fec / (double)speech);
	}
	assert_int_equal(s.st.late, 0);
	assert_int_equal(s.st.lost, lost);
	assert_int_equal(s.st.fec_recovered, with_fec);
	vx_codec_destroy(probe);
	sim_free(&s);
}

static void test_jitter_long_gap_fades_to_comfort_noise_then_recovers(void **state)
{
	struct sim s;
	size_t gap = 0, after = 0;

	(void)state;
	sim_init(&s, "pcm", 200);
	for (size_t i = 100; i < 140; i++)
		s.lost[i] = true;
	sim_run(&s);
	for (size_t k = 0; k < s.ticks; k++) {
		size_t f = frame_of(&s.info[k]);

		if (s.info[k].kind == VX_JITTER_IDLE || f < 100)
			continue;
		if (f < 140) {
			enum vx_jitter_kind want = f - 100 < VX_JITTER_CNG_AFTER ? VX_JITTER_PLC
										  : VX_JITTER_CNG;

			assert_int_equal(s.info[k].kind, want);
			if (want == VX_JITTER_CNG && f > 100 + VX_JITTER_CNG_AFTER) {
				double r = rms(s.out + k * FRAME);

				/* Noise at CNG_RMS: not silence, not audible speech. */
				assert_true(r > 0.5 * VX_JITTER_CNG_RMS && r < VX_JITTER_VAD_RMS);
			}
			gap++;
		} else if (f < s.frames) {
			assert_int_equal(s.info[k].kind, VX_JITTER_PLAYED);
			after++;
		}
	}
	assert_int_equal(gap, 40);
	assert_int_equal(after, 60);
	assert_int_equal(s.st.cng, 40 - VX_JITTER_CNG_AFTER);
	check_played_exact(&s);
	/* The report sees one run of 40. */
	assert_int_equal(s.rep.bursts, 1);
	assert_int_equal(s.rep.burst[0].length, 40);
	assert_int_equal(s.rep.burst[0].count, 1);
	sim_free(&s);
}

static void test_jitter_report_counts_burst_lengths_and_fraction(void **state)
{
	static const struct {
		size_t at, len;
	} bursts[] = { { 10, 1 }, { 20, 1 }, { 30, 1 }, { 40, 2 }, { 50, 2 }, { 60, 3 } };
	struct sim s;

	(void)state;
	sim_init(&s, "pcm", 100);
	for (size_t b = 0; b < sizeof(bursts) / sizeof(bursts[0]); b++)
		for (size_t i = 0; i < bursts[b].len; i++)
			s.lost[bursts[b].at + i] = true;
	sim_run(&s);
	assert_int_equal(s.rep.cumulative_lost, 10);
	assert_int_equal(s.rep.bursts, 3);
	assert_int_equal(s.rep.burst[0].length, 1);
	assert_int_equal(s.rep.burst[0].count, 3);
	assert_int_equal(s.rep.burst[1].length, 2);
	assert_int_equal(s.rep.burst[1].count, 2);
	assert_int_equal(s.rep.burst[2].length, 3);
	assert_int_equal(s.rep.burst[2].count, 1);
	assert_int_equal(s.rep.burst_max_error, 0);
	/* Frames due: every one the cursor moved past. */
	{
		size_t due = 0;

		for (size_t k = 0; k < s.ticks; k++)
			due += s.info[k].advanced;
		assert_true(fabs(s.rep.fraction_lost - 10.0 / (double)due) < 1e-12);
	}
	sim_free(&s);
}

static void test_jitter_insert_and_pop_do_not_allocate(void **state)
{
	struct sim s;
	uint64_t rng = 4;

	(void)state;
	sim_init(&s, "opus", 500); /* 10 s */
	s.fec_loss = 5;
	s.count_allocs = true;
	for (size_t i = 0; i < s.frames; i++) {
		s.delay[i] += (int64_t)(vx_rand_unit(&rng) * 40e6);
		s.lost[i] = vx_rand_unit(&rng) < 0.05;
		s.dup[i] = vx_rand_unit(&rng) < 0.02 ? 3 * MS : 0;
	}
	sim_run(&s);
	assert_true(s.st.played > 400 && s.st.fec_recovered > 0 && s.st.duplicate > 0);
	assert_int_equal(s.allocs, 0);
	sim_free(&s);
}

/* ---- time-stretching in speech ------------------------------------------------ */

/* Seconds from @from until the actual delay first satisfies @pred(delay, target). */
static double time_until(const struct sim *s, double from, bool (*pred)(double, double))
{
	for (size_t k = 0; k < s->ticks; k++) {
		double t = (double)(PHASE_NS + k * FRAME_NS) / 1e9;

		if (t >= from && s->info[k].kind != VX_JITTER_IDLE &&
		    pred((double)s->info[k].delay_ns / 1e6, (double)s->info[k].target_ns / 1e6))
			return t - from;
	}
	return -1;
}

static bool grown(double delay, double target)
{
	(void)target;
	return delay >= 0.9 * 57.0; /* 90 % of the p95 of uniform 0..60 ms */
}

static bool target_grown(double delay, double target)
{
	(void)delay;
	return target >= 0.9 * 57.0;
}

static bool shrunk(double delay, double target)
{
	return delay < target + 2 * 20.0 && target <= 20.0 + 1e-9;
}

static bool target_down(double delay, double target)
{
	(void)delay;
	return target <= 20.0 + 1e-9;
}

static void test_jitter_step_up_in_speech_grows_by_stretching_within_1s(void **state)
{
	struct sim s;
	size_t ins, drops;
	double at;

	(void)state;
	sim_init_voiced(&s, 1000, 5, 60, 2); /* 20 s: 5 ms, 60 ms from 10 s */
	sim_run(&s);
	at = time_until(&s, 10, grown);
	print_message("voiced, jitter step 5 -> 60 ms: target at 90%% of p95 after %.2f s, "
		      "delay after %.2f s, by %llu frames stretched (+%.1f ms)\n",
		      time_until(&s, 10, target_grown), at, (unsigned long long)s.st.stretched,
		      (double)s.st.stretch_added / 48.0);
	delay_figures(&s, "voiced step 5/60 ms");
	assert_true(at >= 0 && at <= 1.0);
	assert_true(s.st.stretched > 0 && s.st.stretch_added > 0);
	/* No silence: not a frame repeated or dropped, and every one decoded once. */
	check_changes_silent(&s, &ins, &drops);
	assert_int_equal(s.st.inserted + s.st.dropped + ins + drops, 0);
	/* The rest plays through bit for bit, if behind by what stretching left. */
	assert_true(check_played_exact(&s) > s.frames * 9 / 10);
	sim_free(&s);
}

static void test_jitter_step_down_in_speech_shrinks_by_stretching_within_10s(void **state)
{
	struct sim s;
	size_t ins, drops;
	double at, target_at;

	(void)state;
	sim_init_voiced(&s, 1600, 5, 100, 5); /* 32 s: 5 ms, 100 ms from 10 s, 5 ms from 20 s */
	sim_run(&s);
	target_at = time_until(&s, 20, target_down);
	at = time_until(&s, 20, shrunk);
	print_message("voiced, jitter step 100 -> 5 ms: target at one frame after %.2f s, "
		      "delay within two frames of it after %.2f s, by %llu frames stretched "
		      "(-%.1f ms)\n", target_at, at, (unsigned long long)s.st.stretched,
		      (double)s.st.stretch_removed / 48.0);
	delay_figures(&s, "voiced step 5/100/5 ms");
	assert_true(at >= 0 && at <= 10.0);
	assert_true(s.st.stretch_removed > 0);
	/* Every frame decoded once; from the step down on, none repeated or
	 * dropped. (Growing at 10 s, packets came late in runs, and PCM conceals
	 * all but the first of a run with silence, which the buffer may repeat.) */
	check_changes_silent(&s, &ins, &drops);
	for (size_t k = 0; k < s.ticks; k++)
		if ((double)(PHASE_NS + k * FRAME_NS) / 1e9 >= 20)
			assert_true(s.info[k].kind != VX_JITTER_INSERTED && !s.info[k].dropped);
	assert_true(check_played_exact(&s) > s.frames * 9 / 10);
	sim_free(&s);
}

/*
 * While stretching, every sequence number plays exactly once and in order
 * (check_changes_silent()), and the audio has no seams: no sample step in the
 * output is larger than the input ever makes (the pulses), with a margin. A
 * concealed frame does make seams (PCM's reflection fades out), so ticks that
 * may play one are not checked: frames decoded in the four ticks before.
 */
static void test_jitter_stretching_plays_every_frame_once_without_seams(void **state)
{
	struct sim s;
	size_t ins, drops, checked = 0, checked_stretched = 0, conceal_tick = 0;
	int max_in = 0, max_out = 0;
	uint32_t next;

	(void)state;
	sim_init_voiced(&s, 1600, 5, 100, 6);
	sim_run(&s);
	check_changes_silent(&s, &ins, &drops);
	assert_int_equal(drops, 0);
	assert_true(s.st.stretch_added > 0 && s.st.stretch_removed > 0);
	for (size_t i = 1; i < s.frames * FRAME; i++) {
		int d = abs(s.in[i] - s.in[i - 1]);

		max_in = d > max_in ? d : max_in;
	}
	next = SEQ0;
	for (size_t k = 0; k < s.ticks; k++) {
		const struct vx_jitter_pop_info *in = &s.info[k];
		uint64_t now = T0_NS + PHASE_NS + k * FRAME_NS;

		if (in->kind == VX_JITTER_IDLE)
			continue;
		/* The frames this tick decoded: concealed if not there by now. */
		for (uint32_t q = next; in->advanced && q != in->seq + 1; q++) {
			size_t f = (size_t)(uint32_t)(q - SEQ0);

			if (f < s.frames &&
			    (s.lost[f] || T0_NS + f * FRAME_NS + (uint64_t)s.delay[f] > now))
				conceal_tick = k + 1;
		}
		if (in->advanced)
			next = in->seq + 1;
		if (k == 0 || s.info[k - 1].kind == VX_JITTER_IDLE ||
		    (conceal_tick && k < conceal_tick + 4))
			continue;
		for (size_t i = 0; i < FRAME; i++) {
			int d = abs(s.out[k * FRAME + i] - s.out[k * FRAME + i - 1]);

			max_out = d > max_out ? d : max_out;
		}
		checked++;
		checked_stretched += in->stretched;
	}
	print_message("seams: largest output step %d (input %d) over %zu ticks, %zu of them "
		      "stretched; %llu frames concealed\n", max_out, max_in, checked,
		      checked_stretched, (unsigned long long)s.st.concealed);
	assert_true(checked > s.ticks * 3 / 4 && checked_stretched > 20);
	assert_true(max_out <= max_in * 5 / 4);
	sim_free(&s);
}

/*
 * The time-stretcher allocates nothing after create, stretching both ways. The
 * positive control first: test_jitter links libsonic's archive, so the wrap
 * sees its calls too. A stream takes five callocs (itself, input, output,
 * pitch and down-sampling buffers); a write bigger than its 1476-sample
 * buffers reallocs the input and then the output buffer (libsonic 0.2.0: a
 * different count means the sizing in make_sonic() needs a new look).
 */
static void test_jitter_stretching_does_not_allocate(void **state)
{
	static short big[4000];
	sonicStream st;
	struct sim s;

	(void)state;
	allocs = 0;
	allocs_armed = true;
	st = sonicCreateStream(48000, 1);
	assert_non_null(st);
	assert_int_equal(sonicWriteShortToStream(st, big, 4000), 1);
	allocs_armed = false;
	assert_int_equal(allocs, 5 + 2);
	sonicDestroyStream(st);

	sim_init_voiced(&s, 1600, 5, 100, 7);
	s.count_allocs = true;
	sim_run(&s);
	assert_true(s.st.stretched > 20 && s.st.stretch_added > 0 && s.st.stretch_removed > 0);
	assert_int_equal(s.allocs, 0);
	sim_free(&s);
}

/* ---- error paths --------------------------------------------------------------- */

static void test_jitter_create_rejects_bad_config(void **state)
{
	struct vx_codec *c = codec_new("pcm");
	struct vx_jitter_config cfg;
	struct vx_jitter *jb = NULL;

	(void)state;
	vx_jitter_config_default(&cfg, NULL);
	assert_int_equal(vx_jitter_create(&jb, &cfg), -EINVAL);
	vx_jitter_config_default(&cfg, c);
	cfg.quantile = 0;
	assert_int_equal(vx_jitter_create(&jb, &cfg), -EINVAL);
	vx_jitter_config_default(&cfg, c);
	cfg.cng_rms = cfg.vad_rms;
	assert_int_equal(vx_jitter_create(&jb, &cfg), -EINVAL);
	vx_jitter_config_default(&cfg, c);
	cfg.max_delay_ns = FRAME_NS;
	assert_int_equal(vx_jitter_create(&jb, &cfg), -EINVAL);
	vx_jitter_config_default(&cfg, c);
	cfg.max_packet = VX_CODEC_MAX_PACKET + 1;
	assert_int_equal(vx_jitter_create(&jb, &cfg), -EINVAL);
	vx_jitter_config_default(&cfg, c);
	cfg.windows = 17;
	assert_int_equal(vx_jitter_create(&jb, &cfg), -EINVAL);
	vx_jitter_destroy(NULL);
	vx_codec_destroy(c);
}

/*
 * A redundant copy (RFC 2198, vx_jitter_insert_redundant()) of a lost packet
 * plays that frame whole, counted lost and recovered; it is not a transit
 * sample, arrives too late to matter once the frame is played, and gives way to
 * the packet itself if that still comes. The lookahead adds whole frames to D.
 */
static void test_jitter_redundant_copies_and_lookahead(void **state)
{
	struct vx_codec *c = codec_new("pcm");
	struct vx_jitter_config cfg;
	struct vx_jitter_stats st;
	struct vx_jitter_pop_info info;
	struct vx_jitter *jb = NULL;
	int16_t pcm[10][FRAME], out[FRAME];
	uint8_t pay[10][PAYLOAD];
	int len[10];
	uint64_t d0;

	(void)state;
	for (int i = 0; i < 10; i++) {
		for (int k = 0; k < FRAME; k++)
			pcm[i][k] = (int16_t)(1000 * (i + 1) + k % 50);
		len[i] = vx_codec_encode(c, pcm[i], pay[i], PAYLOAD);
		assert_true(len[i] > 0);
	}
	vx_jitter_config_default(&cfg, c);
	cfg.start_delay_ns = 0;
	assert_int_equal(vx_jitter_create(&jb, &cfg), 0);
	/* Packets 0..9 arrive on time, but 3 and 6 are lost; 3's copy rides in 4,
	 * 6's copy comes after its frame was played, and 8's copy before 8. With
	 * D = one frame, the tick of iteration i plays frame i - 1. */
	for (int i = 0; i < 10; i++) {
		uint64_t now = T0_NS + FRAME_NS * (unsigned)i;

		if (i != 3 && i != 6)
			assert_int_equal(vx_jitter_insert(jb, SEQ0 + (uint32_t)i,
							  TS0 + (uint32_t)(i * FRAME), pay[i],
							  (size_t)len[i], now), 0);
		if (i == 4)
			assert_int_equal(vx_jitter_insert_redundant(jb, SEQ0 + 3, pay[3],
								    (size_t)len[3]), 0);
		if (i == 7)
			assert_int_equal(vx_jitter_insert_redundant(jb, SEQ0 + 8, pay[8],
								    (size_t)len[8]), 0);
		if (i == 8)
			assert_int_equal(vx_jitter_insert_redundant(jb, SEQ0 + 6, pay[6],
								    (size_t)len[6]), -ETIME);
		assert_true(vx_jitter_pop(jb, now + PHASE_NS, out, &info) >= 0);
		if (info.advanced && frame_of(&info) == 3) {
			assert_int_equal(info.kind, VX_JITTER_FEC);
			assert_memory_equal(out, pcm[3], sizeof(out));
		}
	}
	vx_jitter_stats(jb, &st);
	assert_int_equal(st.received, 8); /* copies are not received packets */
	assert_int_equal(st.lost, 2);
	assert_int_equal(st.fec_recovered, 1);
	assert_int_equal(st.red_recovered, 1);
	assert_int_equal(st.concealed, 1);
	assert_int_equal(st.duplicate, 0); /* 8 replaced its copy */
	d0 = vx_jitter_target_ns(jb);
	vx_jitter_set_lookahead(jb, 2);
	assert_true(vx_jitter_target_ns(jb) == d0 + 2 * FRAME_NS);
	vx_jitter_set_lookahead(jb, 0);
	assert_true(vx_jitter_target_ns(jb) == d0);
	vx_jitter_destroy(jb);
	vx_codec_destroy(c);
}

static void test_jitter_insert_rejects_bad_sizes(void **state)
{
	struct vx_codec *c = codec_new("pcm");
	struct vx_jitter_config cfg;
	struct vx_jitter *jb = NULL;
	static uint8_t big[VX_CODEC_MAX_PACKET + 1];

	(void)state;
	vx_jitter_config_default(&cfg, c);
	assert_int_equal(vx_jitter_create(&jb, &cfg), 0);
	assert_int_equal(vx_jitter_insert(jb, 1, 0, big, 0, T0_NS), -EMSGSIZE);
	assert_int_equal(vx_jitter_insert(jb, 1, 0, big, 3833, T0_NS), -EMSGSIZE);
	assert_int_equal(vx_jitter_insert(jb, 1, 0, big, 3832, T0_NS), 0);
	assert_int_equal(vx_jitter_insert(jb, 1, 0, big, 3832, T0_NS), -EALREADY);
	/* Beyond the slots: 2 x 200 ms / 20 ms + 8 = 28 frames ahead. */
	assert_int_equal(vx_jitter_insert(jb, 1 + 28, 28 * FRAME, big, 10, T0_NS), -ENOBUFS);
	assert_int_equal(vx_jitter_insert(jb, 1 + 27, 27 * FRAME, big, 10, T0_NS), 0);
	vx_jitter_destroy(jb);
	vx_codec_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jitter_clean_network_plays_input_exactly),
		cmocka_unit_test(test_jitter_uniform_jitter_targets_its_p95),
		cmocka_unit_test(test_jitter_start_delay_keeps_the_first_second),
		cmocka_unit_test(test_jitter_step_grows_within_1s_and_shrinks_within_10s),
		cmocka_unit_test(test_jitter_late_duplicate_and_reordered_packets),
		cmocka_unit_test(test_jitter_opus_fec_recovers_single_losses),
		cmocka_unit_test(test_jitter_long_gap_fades_to_comfort_noise_then_recovers),
		cmocka_unit_test(test_jitter_report_counts_burst_lengths_and_fraction),
		cmocka_unit_test(test_jitter_insert_and_pop_do_not_allocate),
		cmocka_unit_test(test_jitter_step_up_in_speech_grows_by_stretching_within_1s),
		cmocka_unit_test(test_jitter_step_down_in_speech_shrinks_by_stretching_within_10s),
		cmocka_unit_test(test_jitter_stretching_plays_every_frame_once_without_seams),
		cmocka_unit_test(test_jitter_stretching_does_not_allocate),
		cmocka_unit_test(test_jitter_redundant_copies_and_lookahead),
		cmocka_unit_test(test_jitter_create_rejects_bad_config),
		cmocka_unit_test(test_jitter_insert_rejects_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
