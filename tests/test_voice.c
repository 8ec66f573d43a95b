// SPDX-License-Identifier: MIT
/*
 * The voice stages end to end in memory: speech (alsa-utils' sample between
 * pauses of digital silence, so that a third of the frames carry no Opus FEC)
 * goes through the sender, a seeded lossy path with a fixed 30 ms delay each
 * way, the receiver and its jitter buffer, with receiver reports flowing back to
 * the adaptation controller every 500 ms. Everything runs on a virtual clock and
 * is seeded. Linked with --wrap=malloc,... (see the Makefile): once the call is
 * set up, a steady stream allocates nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audio/codec.h"
#include "audio/wav.h"
#include "pipeline/jitter.h"
#include "pipeline/voice.h"
#include "transport/impair.h"
#include "transport/noise.h"
#include "transport/session.h"

#include "tests/wrap_alloc.h"

#define SPEECH   "/usr/share/sounds/alsa/Front_Center.wav"
#define FRAME    960
#define FRAME_NS 20000000ull
#define DELAY_NS 30000000ull
#define T0_NS    1000000000ull
#define PAUSE    20     /* silent frames between repetitions of the sample */
#define QUEUE    16     /* datagrams in flight each way: 30 ms is 2 frames */

struct dgram {
	uint64_t at;
	size_t len;
	uint8_t data[VX_SESSION_MAX_PACKET];
};

/* A fixed-delay path: a FIFO, since nothing overtakes. */
struct path {
	struct dgram q[QUEUE];
	size_t head, n;
	struct vx_impair *loss; /* NULL: no loss */
};

struct call {
	struct vx_noise_keypair ka, kb;
	struct vx_session *a, *b;
	struct vx_codec *enc, *dec;
	struct vx_jitter *jb;
	struct vx_voice_sender *snd;
	struct vx_voice_receiver *rcv;
	struct path fwd, rev;
	int16_t *in;
	size_t frames;
};

struct options {
	double loss;      /* forward loss, 0..1 */
	double burst;     /* 0: Bernoulli, else Gilbert with this mean burst */
	bool adaptive;
	bool fec;
	size_t frames;
};

static void push(struct path *p, uint64_t now, const uint8_t *data, size_t len)
{
	uint64_t at[2];
	struct dgram *d;

	if (p->loss && vx_impair_decide(p->loss, now, len, at) == 0)
		return;
	assert_true(p->n < QUEUE);
	d = &p->q[(p->head + p->n++) % QUEUE];
	d->at = now + DELAY_NS;
	d->len = len;
	memcpy(d->data, data, len);
}

static const struct dgram *due(struct path *p, uint64_t now)
{
	const struct dgram *d;

	if (!p->n || p->q[p->head].at > now)
		return NULL;
	d = &p->q[p->head];
	p->head = (p->head + 1) % QUEUE;
	p->n--;
	return d;
}

static void handshake(struct call *c)
{
	uint8_t buf[VX_SESSION_MAX_PACKET], out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	ssize_t n;

	for (int round = 0; round < 4; round++) {
		while ((n = vx_session_poll(c->a, T0_NS, buf, sizeof(buf))) > 0)
			assert_true(vx_session_open(c->b, T0_NS, buf, (size_t)n, &kind, out,
						    sizeof(out)) >= 0);
		while ((n = vx_session_poll(c->b, T0_NS, buf, sizeof(buf))) > 0)
			assert_true(vx_session_open(c->a, T0_NS, buf, (size_t)n, &kind, out,
						    sizeof(out)) >= 0);
	}
	assert_true(vx_session_is_established(c->a, T0_NS));
	assert_true(vx_session_is_established(c->b, T0_NS));
}

static void setup_call(struct call *c, const struct options *o)
{
	struct vx_codec_config ccfg;
	struct vx_jitter_config jcfg;
	struct vx_session_config scfg;
	struct vx_impair_config icfg;
	uint8_t priv[VX_NOISE_KEY_BYTES];
	int16_t *speech;
	size_t n, pos = 0;
	char err[VX_WAV_ERR_LEN];

	memset(c, 0, sizeof(*c));
	memset(priv, 0x11, sizeof(priv));
	assert_int_equal(vx_noise_keypair_from_private(&c->ka, priv), 0);
	memset(priv, 0x22, sizeof(priv));
	assert_int_equal(vx_noise_keypair_from_private(&c->kb, priv), 0);
	vx_session_config_default(&scfg);
	scfg.clock_offset_ns = 1700000000000000000ull;
	scfg.local = &c->ka;
	scfg.peer_public = c->kb.pub;
	scfg.initiator = true;
	assert_int_equal(vx_session_create(&c->a, &scfg), 0);
	scfg.local = &c->kb;
	scfg.peer_public = c->ka.pub;
	scfg.initiator = false;
	assert_int_equal(vx_session_create(&c->b, &scfg), 0);
	handshake(c);

	assert_int_equal(vx_codec_config_by_name(&ccfg, "opus"), 0);
	ccfg.frame_us = 20000;
	assert_int_equal(vx_codec_create(&c->enc, &ccfg), 0);
	assert_int_equal(vx_codec_create(&c->dec, &ccfg), 0);
	vx_jitter_config_default(&jcfg, c->dec);
	assert_int_equal(vx_jitter_create(&c->jb, &jcfg), 0);
	assert_int_equal(vx_voice_sender_create(&c->snd, &(struct vx_voice_sender_config){
		.codec = c->enc, .session = c->a, .pt = 111, .ssrc = 0x5eed, .seq = 65000,
		.ts = 0xfff00000u, .adapt = { .frame_us = 20000, .fec = o->fec },
		.expected_loss = o->adaptive ? VX_ADAPT_START_LOSS : o->loss,
		.adaptive = o->adaptive }), 0);
	assert_int_equal(vx_voice_receiver_create(&c->rcv, &(struct vx_voice_receiver_config){
		.codec = c->dec, .session = c->b, .jitter = c->jb, .pt = 111 }), 0);

	vx_impair_config_default(&icfg);
	icfg.seed = 5;
	if (o->burst > 0)
		assert_int_equal(vx_impair_ge_from_mean(&icfg, o->loss, o->burst), 0);
	else
		icfg.loss = o->loss;
	assert_int_equal(vx_impair_create(&c->fwd.loss, &icfg), 0);

	/* Speech, PAUSE silent frames, speech, ... */
	c->frames = o->frames;
	assert_int_equal(vx_wav_load(SPEECH, 1, &speech, &n, err, sizeof(err)), 0);
	c->in = calloc(c->frames * FRAME, sizeof(*c->in));
	assert_non_null(c->in);
	while (pos < c->frames * FRAME) {
		size_t take = n < c->frames * FRAME - pos ? n : c->frames * FRAME - pos;

		memcpy(c->in + pos, speech, take * sizeof(*c->in));
		pos += take + PAUSE * FRAME;
	}
	free(speech);
}

static void teardown_call(struct call *c)
{
	vx_voice_sender_destroy(c->snd);
	vx_voice_receiver_destroy(c->rcv);
	vx_jitter_destroy(c->jb);
	vx_codec_destroy(c->enc);
	vx_codec_destroy(c->dec);
	vx_session_destroy(c->a);
	vx_session_destroy(c->b);
	vx_impair_destroy(c->fwd.loss);
	free(c->in);
}

/* One 20 ms tick: send frame k (if any), deliver, report, play. */
static void tick(struct call *c, size_t k)
{
	uint64_t now = T0_NS + k * FRAME_NS;
	uint8_t buf[VX_SESSION_MAX_PACKET];
	int16_t pcm[FRAME];
	const struct dgram *d;
	ssize_t n;

	if (k < c->frames) {
		n = vx_voice_send(c->snd, c->in + k * FRAME, now, buf, sizeof(buf));
		assert_true(n > 0);
		push(&c->fwd, now, buf, (size_t)n);
	}
	while ((d = due(&c->fwd, now)))
		assert_int_equal(vx_voice_receive(c->rcv, d->data, d->len, d->at), 0);
	n = vx_voice_receiver_poll(c->rcv, now, buf, sizeof(buf));
	assert_true(n >= 0);
	if (n)
		push(&c->rev, now, buf, (size_t)n);
	while ((d = due(&c->rev, now)))
		assert_int_equal(vx_voice_sender_take(c->snd, d->data, d->len, d->at), 0);
	assert_true(vx_jitter_pop(c->jb, now, pcm, NULL) >= 0);
}

/* Until every frame sent has been played or counted lost (as vox replay). */
static void run(struct call *c)
{
	struct vx_jitter_stats js = { 0 };

	for (size_t k = 0; js.played + js.lost < c->frames; k++) {
		assert_true(k < c->frames + 50);
		tick(c, k);
		vx_jitter_stats(c->jb, &js);
	}
}

/* A whole call with these options: the sender's and the jitter buffer's figures. */
static void whole_call(const struct options *o, struct vx_voice_sender_stats *ss,
		       struct vx_jitter_stats *js)
{
	struct call c;

	setup_call(&c, o);
	run(&c);
	vx_voice_sender_stats(c.snd, ss);
	vx_jitter_stats(c.jb, js);
	teardown_call(&c);
}

/*
 * The target: at 10 % random loss, >= 85 % of lost frames recovered
 * (the ceiling is 90 %: the next packet is lost too one time in ten). Opus LBRR
 * covers frames of speech; the silent third rides along whole as RFC 2198
 * redundancy. The sender starts protected (VX_ADAPT_START_LOSS) and follows the
 * reports from then on.
 */
static void test_fec_recovery_at_10_percent(void **state)
{
	struct options o = { .loss = 0.10, .adaptive = true, .fec = true, .frames = 1500 };
	struct vx_voice_sender_stats ss;
	struct vx_jitter_stats js;
	double share;

	(void)state;
	whole_call(&o, &ss, &js);
	share = (double)js.fec_recovered / (double)js.lost;
	print_message("lost %llu, recovered %llu (%.1f %%; %llu from redundancy), "
		      "reports %llu, %llu redundant copies sent, bitrate now %d b/s\n",
		      (unsigned long long)js.lost, (unsigned long long)js.fec_recovered,
		      100 * share, (unsigned long long)js.red_recovered,
		      (unsigned long long)ss.reports, (unsigned long long)ss.red_blocks,
		      ss.knobs.bitrate);
	assert_true(js.lost > 100);
	assert_true(share >= 0.85);
	assert_true(js.red_recovered > 0 && js.red_recovered < js.fec_recovered);
	assert_true(ss.knobs.fec);
	assert_true(ss.knobs.loss_perc >= 5 && ss.knobs.loss_perc <= 20);
	/* 1500 frames = 30 s: a report every 500 ms from the first packet on. */
	assert_true(ss.reports >= 58 && ss.reports <= 60);
	assert_int_equal(ss.refused, 0);
}

/* Without FEC every loss is concealed; with it fixed from the start (no
 * adaptation) recovery is as good. */
static void test_fec_off_and_fixed(void **state)
{
	struct options off = { .loss = 0.10, .adaptive = true, .fec = false, .frames = 500 };
	struct options fixed = { .loss = 0.10, .adaptive = false, .fec = true, .frames = 500 };
	struct vx_voice_sender_stats ss;
	struct vx_jitter_stats js;

	(void)state;
	whole_call(&off, &ss, &js);
	assert_true(js.lost > 20);
	assert_int_equal(js.fec_recovered, 0);
	assert_int_equal(ss.red_blocks, 0);
	assert_false(ss.knobs.fec);

	whole_call(&fixed, &ss, &js);
	print_message("fixed: lost %llu, recovered %llu\n", (unsigned long long)js.lost,
		      (unsigned long long)js.fec_recovered);
	assert_true(ss.knobs.fec);
	assert_int_equal(ss.knobs.loss_perc, 10); /* unchanged by the reports */
	assert_true(ss.reports > 0);
	assert_true((double)js.fec_recovered >= 0.85 * (double)js.lost);
}

/* Bursts of mean length 3: the histogram deepens the redundancy to 2. */
static void test_bursts_deepen_redundancy(void **state)
{
	struct options o = { .loss = 0.10, .burst = 3, .adaptive = true, .fec = true,
			     .frames = 1500 };
	struct vx_voice_sender_stats ss;
	struct vx_jitter_stats js;

	(void)state;
	whole_call(&o, &ss, &js);
	assert_int_equal(ss.knobs.red_depth, 2);
}

/* The round trip from the echo: 30 ms each way, whatever the report's phase. */
static void test_rtt_echo(void **state)
{
	struct options o = { .adaptive = true, .fec = true, .frames = 100 };
	struct vx_voice_sender_stats ss;
	struct vx_jitter_stats js;

	(void)state;
	whole_call(&o, &ss, &js);
	assert_int_equal(ss.rtt_ns, 2 * DELAY_NS);
}

/* Forged or misdirected datagrams are refused and counted, nothing else. */
static void test_refusals(void **state)
{
	struct options o = { .adaptive = true, .fec = true, .frames = 30 };
	uint8_t junk[64] = { 4 }, buf[VX_SESSION_MAX_PACKET];
	struct vx_voice_receiver_stats rs;
	struct vx_voice_sender_stats ss;
	struct vx_jitter_stats js;
	struct call c;
	ssize_t n;

	(void)state;
	setup_call(&c, &o);
	run(&c);
	assert_true(vx_voice_receive(c.rcv, junk, sizeof(junk), T0_NS + 5 * 1000000000ull) < 0);
	assert_true(vx_voice_sender_take(c.snd, junk, sizeof(junk), T0_NS + 5 * 1000000000ull) < 0);
	/* The sender's own RTP, back at it: not its peer's key. */
	n = vx_voice_send(c.snd, c.in, T0_NS + 6 * 1000000000ull, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(vx_voice_sender_take(c.snd, buf, (size_t)n, T0_NS + 6 * 1000000000ull) < 0);
	vx_voice_receiver_stats(c.rcv, &rs);
	vx_voice_sender_stats(c.snd, &ss);
	vx_jitter_stats(c.jb, &js);
	assert_int_equal(rs.refused, 1);
	assert_int_equal(ss.refused, 2);
	assert_int_equal(js.lost, 0);
	teardown_call(&c);
}

/* Set up, stream a second, then count: ten seconds with losses, reports and
 * knob changes allocate nothing. */
static void test_steady_state_allocates_nothing(void **state)
{
	struct options o = { .loss = 0.10, .burst = 2, .adaptive = true, .fec = true,
			     .frames = 600 };
	struct vx_voice_sender_stats ss;
	struct call c;

	(void)state;
	setup_call(&c, &o);
	for (size_t k = 0; k < 50; k++)
		tick(&c, k);
	allocs = 0;
	allocs_armed = true;
	for (size_t k = 50; k < c.frames; k++)
		tick(&c, k);
	allocs_armed = false;
	vx_voice_sender_stats(c.snd, &ss);
	assert_true(ss.reports > 10 && ss.red_blocks > 0);
	assert_int_equal(allocs, 0);
	/* The counter works: a create in the armed window shows. */
	allocs_armed = true;
	vx_voice_receiver_destroy(c.rcv);
	c.rcv = NULL;
	allocs_armed = false;
	assert_true(allocs > 0);
	teardown_call(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fec_recovery_at_10_percent),
		cmocka_unit_test(test_fec_off_and_fixed),
		cmocka_unit_test(test_bursts_deepen_redundancy),
		cmocka_unit_test(test_rtt_echo),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_steady_state_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
