// SPDX-License-Identifier: MIT
/*
 * The codec interface and its three codecs. Speech is real: alsa-utils'
 * /usr/share/sounds/alsa/Front_Center.wav (48 kHz mono S16, 1.43 s), read with
 * audio/wav. Other signals are built here:
 * white noise from a fixed seed, silence, full-scale square waves.
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
#include <zstd.h>

#include "algorithms/hash.h"
#include "audio/codec.h"
#include "audio/wav.h"

#define SPEECH_WAV "/usr/share/sounds/alsa/Front_Center.wav"
#define MAX_SAMPLES VX_CODEC_MAX_FRAME_SAMPLES
#define MAX_VALUES  (VX_CODEC_MAX_FRAME_SAMPLES * VX_CODEC_MAX_CHANNELS)

static const unsigned frame_us[] = { VX_CODEC_FRAME_US_LIST };
#define N_FRAMES (sizeof(frame_us) / sizeof(frame_us[0]))

static int16_t *speech;
static size_t speech_len; /* samples (mono) */

/* --- fixtures ------------------------------------------------------------------ */

static int group_setup(void **state)
{
	char err[VX_WAV_ERR_LEN];

	(void)state;
	if (vx_wav_load(SPEECH_WAV, 1, &speech, &speech_len, err, sizeof(err)) < 0) {
		fprintf(stderr, "test_codec: %s (install alsa-utils)\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(speech);
	return 0;
}

enum signal { SPEECH, NOISE, SILENCE, SQUARE_SLOW, SQUARE_NYQUIST, N_SIGNALS };
static const char *const signal_name[] = { "speech", "noise", "silence", "square/100",
					   "square/2" };

/* @len samples per channel of @sig, interleaved over @channels (channel 1 is a
 * different stretch of the same kind of signal). */
static int16_t *make_signal(enum signal sig, size_t len, unsigned channels)
{
	int16_t *x = malloc(len * channels * sizeof(*x));
	uint64_t seed = 42;

	assert_non_null(x);
	for (size_t i = 0; i < len; i++)
		for (unsigned ch = 0; ch < channels; ch++) {
			size_t j = i + ch * 7919;
			int16_t v = 0;

			switch (sig) {
			case SPEECH:
				v = speech[j % speech_len];
				break;
			case NOISE:
				v = (int16_t)((int32_t)(vx_rand64(&seed) >> 48) - 32768);
				break;
			case SILENCE:
				break;
			case SQUARE_SLOW:
				v = j / 50 % 2 ? INT16_MIN : INT16_MAX;
				break;
			case SQUARE_NYQUIST:
				v = j % 2 ? INT16_MIN : INT16_MAX;
				break;
			case N_SIGNALS:
				break;
			}
			x[i * channels + ch] = v;
		}
	return x;
}

static struct vx_codec *create(const char *name, unsigned channels, unsigned us)
{
	struct vx_codec_config cfg;
	struct vx_codec *c;

	assert_int_equal(vx_codec_config_by_name(&cfg, name), 0);
	cfg.channels = channels;
	cfg.frame_us = us;
	assert_int_equal(vx_codec_create(&c, &cfg), 0);
	return c;
}

static void set(struct vx_codec *c, enum vx_codec_ctl ctl, int value)
{
	assert_int_equal(vx_codec_set(c, ctl, value), 0);
}

/*
 * Encode @x (len samples per channel) frame by frame and decode each packet,
 * appending to @y (same size; a partial last frame is dropped, @y's tail is 0).
 * Return: total packet bytes.
 */
static size_t round_trip(struct vx_codec *c, const int16_t *x, size_t len, int16_t *y)
{
	size_t n = vx_codec_frame_samples(c), ch = vx_codec_channels(c), bytes = 0;
	uint8_t packet[VX_CODEC_MAX_PACKET];

	memset(y, 0, len * ch * sizeof(*y));
	for (size_t i = 0; i + n <= len; i += n) {
		int b = vx_codec_encode(c, x + i * ch, packet, sizeof(packet));

		assert_true(b > 0);
		assert_int_equal(vx_codec_decode(c, packet, (size_t)b, y + i * ch, n), (int)n);
		bytes += (size_t)b;
	}
	return bytes;
}

/* --- configuration ------------------------------------------------------------ */

static void test_codec_config_by_name_knows_each_codec(void **state)
{
	static const struct {
		const char *name;
		int ret;
		enum vx_codec_type type;
		enum vx_codec_app app;
		const char *codec;
	} cases[] = {
		{ "opus", 0, VX_CODEC_OPUS, VX_CODEC_APP_VOIP, "opus" },
		{ "opus-voip", 0, VX_CODEC_OPUS, VX_CODEC_APP_VOIP, "opus" },
		{ "opus-audio", 0, VX_CODEC_OPUS, VX_CODEC_APP_AUDIO, "opus" },
		{ "opus-lowdelay", 0, VX_CODEC_OPUS, VX_CODEC_APP_LOWDELAY, "opus" },
		{ "pcm", 0, VX_CODEC_PCM, VX_CODEC_APP_VOIP, "pcm" },
		{ "zpcm", 0, VX_CODEC_ZPCM, VX_CODEC_APP_VOIP, "zpcm" },
		{ "", -EINVAL, 0, 0, NULL },
		{ "OPUS", -EINVAL, 0, 0, NULL },
		{ "opus-", -EINVAL, 0, 0, NULL },
		{ "flac", -EINVAL, 0, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_codec_config cfg = { .frame_us = 1 };
		struct vx_codec *c;

		assert_int_equal(vx_codec_config_by_name(&cfg, cases[i].name), cases[i].ret);
		if (cases[i].ret < 0) {
			assert_int_equal(cfg.frame_us, 1); /* untouched */
			continue;
		}
		assert_int_equal(cfg.type, cases[i].type);
		assert_int_equal(cfg.app, cases[i].app);
		assert_int_equal(cfg.rate, 48000);
		assert_int_equal(cfg.channels, 1);
		assert_int_equal(cfg.frame_us, 20000);
		assert_int_equal(vx_codec_create(&c, &cfg), 0);
		assert_string_equal(vx_codec_name(c), cases[i].codec);
		assert_int_equal(vx_codec_frame_samples(c), 960);
		vx_codec_destroy(c);
	}
	vx_codec_destroy(NULL);
}

static void test_codec_create_rejects_bad_config(void **state)
{
	static const struct {
		const char *what;
		struct vx_codec_config cfg; /* type filled in per codec */
	} cases[] = {
		{ "rate 44100", { .rate = 44100, .channels = 1, .frame_us = 20000 } },
		{ "rate 16000", { .rate = 16000, .channels = 1, .frame_us = 20000 } },
		{ "rate 0", { .rate = 0, .channels = 1, .frame_us = 20000 } },
		{ "0 channels", { .rate = 48000, .channels = 0, .frame_us = 20000 } },
		{ "3 channels", { .rate = 48000, .channels = 3, .frame_us = 20000 } },
		{ "frame 0", { .rate = 48000, .channels = 1, .frame_us = 0 } },
		{ "frame 1 ms", { .rate = 48000, .channels = 1, .frame_us = 1000 } },
		{ "frame 30 ms", { .rate = 48000, .channels = 1, .frame_us = 30000 } },
		{ "frame 120 ms", { .rate = 48000, .channels = 1, .frame_us = 120000 } },
		{ "app 3", { .rate = 48000, .channels = 1, .frame_us = 20000, .app = 3 } },
	};
	static const enum vx_codec_type types[] = { VX_CODEC_OPUS, VX_CODEC_PCM, VX_CODEC_ZPCM };
	struct vx_codec *c = NULL;

	(void)state;
	for (size_t t = 0; t < 3; t++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct vx_codec_config cfg = cases[i].cfg;

			cfg.type = types[t];
			if (vx_codec_create(&c, &cfg) != -EINVAL)
				fail_msg("type %zu, %s: not rejected", t, cases[i].what);
		}
	struct vx_codec_config bad_type = { .type = 3, .rate = 48000, .channels = 1,
					    .frame_us = 20000 };

	assert_int_equal(vx_codec_create(&c, &bad_type), -EINVAL);
	assert_null(c);
}

static void test_codec_create_accepts_every_frame_size_and_channel_count(void **state)
{
	static const char *const names[] = { "opus-voip", "opus-audio", "opus-lowdelay", "pcm",
					      "zpcm" };
	static const size_t samples[] = { 120, 240, 480, 960, 1920, 2880 };

	(void)state;
	for (size_t k = 0; k < 5; k++)
		for (unsigned ch = 1; ch <= 2; ch++)
			for (size_t f = 0; f < N_FRAMES; f++) {
				struct vx_codec *c = create(names[k], ch, frame_us[f]);
				int us;

				assert_int_equal(vx_codec_frame_samples(c), samples[f]);
				assert_int_equal(vx_codec_channels(c), ch);
				assert_int_equal(vx_codec_get(c, VX_CODEC_FRAME_US, &us), 0);
				assert_int_equal(us, (int)frame_us[f]);
				vx_codec_destroy(c);
			}
}

/* --- Opus: quality, delay, FEC, PLC ---------------------------------------------- */

/* Pearson correlation of the per-10 ms RMS envelopes of x[n] and y[n + delay]. */
static double envelope_correlation(const int16_t *x, const int16_t *y, size_t len, size_t delay)
{
	enum { BLOCK = 480 };
	size_t blocks = (len - delay) / BLOCK;
	double *ex = calloc(blocks, sizeof(double)), *ey = calloc(blocks, sizeof(double));
	double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;

	assert_non_null(ex);
	assert_non_null(ey);
	for (size_t b = 0; b < blocks; b++) {
		for (size_t i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
			ex[b] += (double)x[i] * x[i];
			ey[b] += (double)y[i + delay] * y[i + delay];
		}
		ex[b] = sqrt(ex[b] / BLOCK);
		ey[b] = sqrt(ey[b] / BLOCK);
		mx += ex[b];
		my += ey[b];
	}
	mx /= (double)blocks;
	my /= (double)blocks;
	for (size_t b = 0; b < blocks; b++) {
		sxy += (ex[b] - mx) * (ey[b] - my);
		sxx += (ex[b] - mx) * (ex[b] - mx);
		syy += (ey[b] - my) * (ey[b] - my);
	}
	free(ex);
	free(ey);
	return sxy / sqrt(sxx * syy);
}

static void test_codec_opus_round_trip_keeps_speech_envelope(void **state)
{
	static const struct {
		const char *name;
		unsigned us;
		int bitrate, complexity;
	} cases[] = {
		{ "opus-voip", 20000, 16000, 10 },   { "opus-voip", 20000, 24000, 5 },
		{ "opus-voip", 10000, 32000, 10 },   { "opus-voip", 60000, 12000, 10 },
		{ "opus-audio", 20000, 64000, 10 },  { "opus-audio", 5000, 64000, 5 },
		{ "opus-lowdelay", 2500, 96000, 10 }, { "opus-lowdelay", 10000, 64000, 10 },
	};
	int16_t *y = malloc(speech_len * sizeof(*y));

	(void)state;
	assert_non_null(y);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_codec *c = create(cases[i].name, 1, cases[i].us);
		double r, kbps;
		size_t bytes;

		set(c, VX_CODEC_BITRATE, cases[i].bitrate);
		set(c, VX_CODEC_COMPLEXITY, cases[i].complexity);
		bytes = round_trip(c, speech, speech_len, y);
		r = envelope_correlation(speech, y, speech_len, (size_t)vx_codec_delay(c));
		kbps = (double)bytes * 8 / ((double)speech_len / 48000) / 1000;
		print_message("%-14s %2.1f ms %3d kb/s c%-2d: envelope r = %.4f, %.1f kb/s\n",
			      cases[i].name, cases[i].us / 1000.0, cases[i].bitrate / 1000,
			      cases[i].complexity, r, kbps);
		assert_true(r >= 0.95); /* measured 0.992 (12 kb/s, 60 ms) to 0.9999 */
		/* VBR lands near the target on average. */
		assert_true(kbps < cases[i].bitrate / 1000.0 * 1.5);
		vx_codec_destroy(c);
	}
	free(y);
}

static void test_codec_delay_is_opus_lookahead(void **state)
{
	static const struct {
		const char *name;
		int delay;
	} cases[] = {
		/* 2.5 ms of MDCT overlap + 4 ms of SILK/analysis delay compensation. */
		{ "opus-voip", 312 },
		{ "opus-audio", 312 },
		/* CELT only: just the overlap. */
		{ "opus-lowdelay", 120 },
		{ "pcm", 0 },
		{ "zpcm", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_codec *c = create(cases[i].name, 1, 20000);

		assert_int_equal(vx_codec_delay(c), cases[i].delay);
		vx_codec_destroy(c);
	}
}

static double energy(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return e;
}

static double error_energy(const int16_t *x, const int16_t *y, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
	return e;
}

struct packets {
	uint8_t data[128][VX_CODEC_MAX_PACKET / 4];
	int len[128];
	size_t count;
};

/* Encode the speech sample into @p with @c (at most 128 frames). */
static void encode_speech(struct vx_codec *c, struct packets *p)
{
	size_t n = vx_codec_frame_samples(c);

	p->count = 0;
	for (size_t i = 0; i + n <= speech_len && p->count < 128; i += n, p->count++) {
		p->len[p->count] = vx_codec_encode(c, speech + i, p->data[p->count],
						   sizeof(p->data[0]));
		assert_true(p->len[p->count] > 0);
	}
}

/* A fresh decoder that has decoded packets 0..k-1. */
static struct vx_codec *decoder_after(const char *name, const struct packets *p, size_t k)
{
	struct vx_codec *d = create(name, 1, 20000);
	int16_t y[MAX_SAMPLES];

	for (size_t i = 0; i < k; i++)
		assert_int_equal(vx_codec_decode(d, p->data[i], (size_t)p->len[i], y, MAX_SAMPLES),
				 960);
	return d;
}

/*
 * Lose each active-speech frame in turn and rebuild it from the next packet's
 * FEC, and separately by PLC. Compared with what decoding the frame itself
 * gives, FEC must be close (its copy is the same speech at a lower rate) and
 * much closer than PLC (an extrapolation that cannot know what came next).
 */
static void test_codec_opus_fec_recovers_lost_frame_better_than_plc(void **state)
{
	static struct packets p;
	int16_t ref[128][960], fec[960], plc[960];
	struct vx_codec *enc = create("opus-voip", 1, 20000), *ref_dec;
	double e_ref = 0, e_fec = 0, e_plc = 0, err_fec = 0, err_plc = 0;
	size_t tried = 0, with_fec = 0;

	(void)state;
	/* 24 kb/s at 20 % loss: libopus narrows the bandwidth to afford FEC. */
	set(enc, VX_CODEC_BITRATE, 24000);
	set(enc, VX_CODEC_FEC, 1);
	set(enc, VX_CODEC_LOSS_PERC, 20);
	encode_speech(enc, &p);
	ref_dec = decoder_after("opus-voip", &p, 0);
	for (size_t k = 0; k < p.count; k++)
		assert_int_equal(vx_codec_decode(ref_dec, p.data[k], (size_t)p.len[k], ref[k], 960),
				 960);

	for (size_t k = 1; k + 1 < p.count; k++) {
		struct vx_codec *a, *b;
		int ret;

		if (energy(ref[k], 960) < 960.0 * 300 * 300) /* RMS below ~-40 dBFS */
			continue;
		tried++;
		a = decoder_after("opus-voip", &p, k);
		ret = vx_codec_decode_fec(a, p.data[k + 1], (size_t)p.len[k + 1], fec, 960);
		vx_codec_destroy(a);
		if (ret == -ENODATA)
			continue;
		assert_int_equal(ret, 960);
		with_fec++;
		b = decoder_after("opus-voip", &p, k);
		assert_int_equal(vx_codec_conceal(b, plc, 960), 960);
		vx_codec_destroy(b);

		e_ref += energy(ref[k], 960);
		e_fec += energy(fec, 960);
		e_plc += energy(plc, 960);
		err_fec += error_energy(ref[k], fec, 960);
		err_plc += error_energy(ref[k], plc, 960);
	}
	print_message("active frames %zu, with FEC %zu; energy fec/ref %.3f plc/ref %.3f; "
		      "SNR vs decoded: fec %.2f dB, plc %.2f dB\n",
		      tried, with_fec, e_fec / e_ref, e_plc / e_ref, 10 * log10(e_ref / err_fec),
		      10 * log10(e_ref / err_plc));
	assert_true(with_fec >= tried * 8 / 10);
	assert_true(e_fec / e_ref > 0.7 && e_fec / e_ref < 1.3);
	/* Measured: FEC 9.9 dB, PLC 1.8 dB; energy ratios 0.95 and 0.56. */
	assert_true(10 * log10(e_ref / err_fec) > 6.0);
	assert_true(10 * log10(e_ref / err_plc) < 10 * log10(e_ref / err_fec) - 5.0);
	vx_codec_destroy(ref_dec);
	vx_codec_destroy(enc);
}

/* Where libopus 1.3.1 emits FEC at 20 ms (see vx_codec_decode_fec()'s doc). */
static void test_codec_opus_fec_presence_follows_rate_and_loss(void **state)
{
	static const struct {
		const char *name;
		unsigned us;
		int fec, loss, bitrate;
		bool expect;
	} cases[] = {
		{ "opus-voip", 20000, 0, 20, 32000, false },   /* FEC off */
		{ "opus-voip", 20000, 1, 0, 32000, false },    /* no loss expected */
		{ "opus-voip", 20000, 1, 5, 32000, true },
		{ "opus-voip", 20000, 1, 5, 24000, false },    /* too little rate at <= 5 % */
		{ "opus-voip", 20000, 1, 10, 24000, true },    /* bandwidth narrowed */
		{ "opus-voip", 20000, 1, 25, 16000, true },
		{ "opus-voip", 20000, 1, 25, 12000, false },
		{ "opus-audio", 20000, 1, 5, 64000, true },    /* FEC keeps speech in hybrid */
		{ "opus-voip", 5000, 1, 25, 64000, false },    /* CELT only */
		{ "opus-lowdelay", 20000, 1, 25, 32000, false },
	};
	static struct packets p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_codec *c = create(cases[i].name, 1, cases[i].us);
		size_t n = vx_codec_frame_samples(c), found = 0;
		int16_t y[MAX_SAMPLES];

		set(c, VX_CODEC_BITRATE, cases[i].bitrate);
		set(c, VX_CODEC_FEC, cases[i].fec);
		set(c, VX_CODEC_LOSS_PERC, cases[i].loss);
		encode_speech(c, &p);
		for (size_t k = 0; k < p.count; k++) {
			int ret = vx_codec_decode_fec(c, p.data[k], (size_t)p.len[k], y, n);

			assert_true(ret == (int)n || ret == -ENODATA);
			found += ret > 0;
			assert_int_equal(vx_codec_decode(c, p.data[k], (size_t)p.len[k], y, n),
					 (int)n);
		}
		print_message("%-13s %4.1f ms fec %d loss %2d%% %5d b/s: %zu of %zu packets\n",
			      cases[i].name, cases[i].us / 1000.0, cases[i].fec, cases[i].loss,
			      cases[i].bitrate, found, p.count);
		if (cases[i].expect)
			assert_true(found >= p.count / 2);
		else
			assert_int_equal(found, 0);
		vx_codec_destroy(c);
	}
}

static void test_codec_opus_decode_fec_needs_room_for_next_frame(void **state)
{
	static struct packets p;
	struct vx_codec *c = create("opus-voip", 1, 20000);
	int16_t y[MAX_SAMPLES];
	size_t k;

	(void)state;
	set(c, VX_CODEC_BITRATE, 32000);
	set(c, VX_CODEC_FEC, 1);
	set(c, VX_CODEC_LOSS_PERC, 10);
	encode_speech(c, &p);
	for (k = 1; k < p.count; k++)
		if (vx_codec_decode_fec(c, p.data[k], (size_t)p.len[k], y, 960) == 960)
			break;
	assert_true(k < p.count);
	/* A lost 10 ms frame cannot come from a 20 ms copy. */
	assert_int_equal(vx_codec_decode_fec(c, p.data[k], (size_t)p.len[k], y, 480), -ENODATA);
	/* A lost 40 ms: 20 ms of PLC, then the 20 ms copy. */
	assert_int_equal(vx_codec_decode_fec(c, p.data[k], (size_t)p.len[k], y, 1920), 1920);
	vx_codec_destroy(c);
}

/* After a CELT-only packet libopus would answer a FEC request with PLC: say so. */
static void test_codec_opus_decode_fec_after_celt_returns_enodata(void **state)
{
	static struct packets p;
	struct vx_codec *silk = create("opus-voip", 1, 20000), *celt = create("opus-audio", 1, 20000);
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int16_t y[MAX_SAMPLES];
	int len;
	size_t k;

	(void)state;
	set(silk, VX_CODEC_BITRATE, 32000);
	set(silk, VX_CODEC_FEC, 1);
	set(silk, VX_CODEC_LOSS_PERC, 10);
	encode_speech(silk, &p);
	for (k = 1; k < p.count; k++)
		if (vx_codec_decode_fec(silk, p.data[k], (size_t)p.len[k], y, 960) == 960)
			break;
	assert_true(k < p.count);
	/* 128 kb/s AUDIO without FEC: CELT only. */
	set(celt, VX_CODEC_BITRATE, 128000);
	len = vx_codec_encode(celt, speech + 24000, packet, sizeof(packet));
	assert_true(len > 0);
	assert_true(packet[0] >> 3 >= 16);
	assert_int_equal(vx_codec_decode(silk, packet, (size_t)len, y, 960), 960);
	assert_int_equal(vx_codec_decode_fec(silk, p.data[k], (size_t)p.len[k], y, 960), -ENODATA);
	/* Once a SILK packet is decoded, FEC is usable again. */
	assert_int_equal(vx_codec_decode(silk, p.data[k - 1], (size_t)p.len[k - 1], y, 960), 960);
	assert_int_equal(vx_codec_decode_fec(silk, p.data[k], (size_t)p.len[k], y, 960), 960);
	vx_codec_destroy(celt);
	vx_codec_destroy(silk);
}

static void test_codec_opus_conceal_continues_the_waveform(void **state)
{
	static struct packets p;
	struct vx_codec *enc = create("opus-voip", 1, 20000);
	int16_t y[960], plc[960], plc2[960];
	size_t checked = 0;

	(void)state;
	set(enc, VX_CODEC_BITRATE, 24000);
	encode_speech(enc, &p);
	for (size_t k = 10; k + 1 < p.count; k += 7) {
		struct vx_codec *d = decoder_after("opus-voip", &p, k - 1);
		int max_step = 0, step;

		assert_int_equal(vx_codec_decode(d, p.data[k - 1], (size_t)p.len[k - 1], y, 960),
				 960);
		if (energy(y, 960) < 960.0 * 300 * 300) {
			vx_codec_destroy(d);
			continue;
		}
		for (size_t i = 1; i < 960; i++) {
			step = abs(y[i] - y[i - 1]);
			max_step = step > max_step ? step : max_step;
		}
		assert_int_equal(vx_codec_conceal(d, plc, 960), 960);
		assert_int_equal(vx_codec_conceal(d, plc2, 960), 960);
		step = abs(plc[0] - y[959]);
		print_message("frame %zu: seam step %d (largest in last frame %d), "
			      "energy plc/last %.3f, second plc/last %.3f\n",
			      k, step, max_step, energy(plc, 960) / energy(y, 960),
			      energy(plc2, 960) / energy(y, 960));
		/* Continuous: no step at the seam larger than the signal's own. */
		assert_true(step <= max_step);
		/* Not empty: the first made-up frame carries real energy... */
		assert_true(energy(plc, 960) > 0.01 * energy(y, 960));
		/* ...and successive ones fade rather than grow. */
		assert_true(energy(plc2, 960) < energy(plc, 960) * 1.5);
		checked++;
		vx_codec_destroy(d);
	}
	assert_true(checked >= 3);
	vx_codec_destroy(enc);
}

static void test_codec_opus_dtx_sends_tiny_packets_for_silence(void **state)
{
	struct vx_codec *c = create("opus-voip", 1, 20000);
	int16_t zero[960] = { 0 }, y[960];
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int len, tiny = 0;

	(void)state;
	set(c, VX_CODEC_DTX, 1);
	for (int i = 0; i < 50; i++) {
		len = vx_codec_encode(c, zero, packet, sizeof(packet));
		assert_true(len > 0);
		assert_int_equal(vx_codec_decode(c, packet, (size_t)len, y, 960), 960);
		tiny += len <= 2;
	}
	/* After 200 ms of silence, all but a refresh every 400 ms. */
	print_message("DTX: %d of 50 packets of at most 2 bytes\n", tiny);
	assert_true(tiny >= 35);
	vx_codec_destroy(c);
}

/* --- lossless codecs ------------------------------------------------------------ */

static void test_codec_lossless_round_trip_is_bit_exact(void **state)
{
	static const char *const names[] = { "pcm", "zpcm" };
	enum { LEN = 2880 * 4 }; /* 240 ms: whole frames of every size */

	(void)state;
	for (size_t k = 0; k < 2; k++)
		for (int sig = 0; sig < N_SIGNALS; sig++)
			for (unsigned ch = 1; ch <= 2; ch++) {
				int16_t *x = make_signal((enum signal)sig, LEN, ch);
				int16_t *y = malloc(LEN * ch * sizeof(*y));

				assert_non_null(y);
				for (size_t f = 0; f < N_FRAMES; f++) {
					struct vx_codec *c = create(names[k], ch, frame_us[f]);

					round_trip(c, x, LEN, y);
					if (memcmp(x, y, LEN * ch * sizeof(*y)))
						fail_msg("%s %s %u ch %u us: not bit-exact", names[k],
							 signal_name[sig], ch, frame_us[f]);
					vx_codec_destroy(c);
				}
				free(y);
				free(x);
			}
}

static void test_codec_pcm_packet_is_l16_big_endian(void **state)
{
	static const int16_t head[] = { 0x0102, -2, INT16_MAX, INT16_MIN, 0 };
	static const uint8_t want[] = { 0x01, 0x02, 0xff, 0xfe, 0x7f, 0xff, 0x80, 0x00, 0, 0 };
	struct vx_codec *c = create("pcm", 1, 2500);
	int16_t x[120] = { 0 };
	uint8_t packet[VX_CODEC_MAX_PACKET];

	(void)state;
	memcpy(x, head, sizeof(head));
	assert_int_equal(vx_codec_encode(c, x, packet, sizeof(packet)), 240);
	assert_memory_equal(packet, want, sizeof(want));
	vx_codec_destroy(c);
}

static void test_codec_zpcm_compresses_speech(void **state)
{
	static const struct {
		unsigned us;
		int level;
		double min_ratio; /* measured 2.04, 2.17, 2.21, 2.19 */
	} cases[] = {
		{ 10000, 1, 1.9 },
		{ 20000, 3, 2.0 },
		{ 20000, 19, 2.0 },
		{ 60000, 3, 2.0 },
	};
	int16_t *y = malloc(speech_len * sizeof(*y));

	(void)state;
	assert_non_null(y);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_codec *c = create("zpcm", 1, cases[i].us);
		size_t n = vx_codec_frame_samples(c), whole = speech_len / n * n, bytes;
		double ratio;

		set(c, VX_CODEC_COMPLEXITY, cases[i].level);
		bytes = round_trip(c, speech, speech_len, y);
		ratio = (double)(whole * 2) / (double)bytes;
		print_message("zpcm %2u ms level %2d: ratio %.3f\n", cases[i].us / 1000,
			      cases[i].level, ratio);
		assert_memory_equal(speech, y, whole * sizeof(*y));
		assert_true(ratio > cases[i].min_ratio);
		vx_codec_destroy(c);
	}
	free(y);
}

/* Noise does not compress: every packet falls back to raw, 2 bytes over pcm. */
static void test_codec_zpcm_noise_falls_back_to_raw(void **state)
{
	int16_t *x = make_signal(NOISE, 960, 2);
	struct vx_codec *c = create("zpcm", 2, 20000);
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int16_t y[1920];

	(void)state;
	assert_int_equal(vx_codec_encode(c, x, packet, sizeof(packet)), 2 + 960 * 2 * 2);
	assert_int_equal(packet[0], 0x0b); /* version 0, raw, stereo, 20 ms */
	assert_int_equal(packet[1], 0);
	assert_int_equal(vx_codec_decode(c, packet, 2 + 960 * 2 * 2, y, 960), 960);
	assert_memory_equal(x, y, sizeof(y));
	/* One byte short of the raw packet: no room. */
	assert_int_equal(vx_codec_encode(c, x, packet, 1 + 960 * 2 * 2), -ENOBUFS);
	vx_codec_destroy(c);
	free(x);
}

/* The static zstd workspace is big enough at every level for the largest frame. */
static void test_codec_zpcm_every_level_fits_its_workspace(void **state)
{
	int16_t *x = make_signal(SPEECH, 2880, 2);
	struct vx_codec *c = create("zpcm", 2, 60000);
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int16_t y[2880 * 2];

	(void)state;
	for (int level = 1; level <= 19; level++) {
		int len;

		set(c, VX_CODEC_COMPLEXITY, level);
		len = vx_codec_encode(c, x, packet, sizeof(packet));
		assert_true(len > 2 && len < 2880 * 4);
		assert_int_equal(packet[0] >> 4, 1); /* compressed, not raw */
		assert_int_equal(vx_codec_decode(c, packet, (size_t)len, y, 2880), 2880);
		assert_memory_equal(x, y, sizeof(y));
	}
	vx_codec_destroy(c);
	free(x);
}

static void test_codec_pcm_and_zpcm_conceal_by_reflection_then_silence(void **state)
{
	static const char *const names[] = { "pcm", "zpcm" };
	int16_t *x = make_signal(SPEECH, 960 * 20, 2);

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct vx_codec *c = create(names[k], 2, 20000);
		uint8_t packet[VX_CODEC_MAX_PACKET];
		int16_t y[1920], plc[1920];
		int len;

		/* Before any frame: silence. */
		assert_int_equal(vx_codec_conceal(c, plc, 960), 960);
		assert_true(energy(plc, 1920) == 0);

		len = vx_codec_encode(c, x + 960 * 2 * 10, packet, sizeof(packet));
		assert_int_equal(vx_codec_decode(c, packet, (size_t)len, y, 960), 960);
		assert_int_equal(vx_codec_conceal(c, plc, 960), 960);
		/* The seam: the first made-up sample is the last real one. */
		assert_int_equal(plc[0], y[1918]);
		assert_int_equal(plc[1], y[1919]);
		/* Then the frame runs backwards under a fade. */
		assert_int_equal(plc[480 * 2], y[(959 - 480) * 2] * 480 / 960);
		assert_true(energy(plc, 1920) > 0.1 * energy(y, 1920));
		assert_true(energy(plc, 1920) < energy(y, 1920));
		/* A second loss in a row is silence. */
		assert_int_equal(vx_codec_conceal(c, plc, 1920 / 2), 960);
		assert_true(energy(plc, 1920) == 0);
		/* Only 2.5 ms multiples up to 60 ms. */
		assert_int_equal(vx_codec_conceal(c, plc, 0), -EINVAL);
		assert_int_equal(vx_codec_conceal(c, plc, 100), -EINVAL);
		assert_int_equal(vx_codec_conceal(c, plc, 3000), -EINVAL);
		/* No FEC in these codecs. */
		assert_int_equal(vx_codec_decode_fec(c, packet, (size_t)len, plc, 960), -ENOTSUP);
		vx_codec_destroy(c);
	}
	free(x);
}

/* --- frame size changes ----------------------------------------------------------- */

/* The sender changes its frame size mid-stream; the receiver keeps decoding. */
static void test_codec_decoder_follows_sender_frame_size(void **state)
{
	static const char *const names[] = { "opus-voip", "pcm", "zpcm" };
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int16_t y[MAX_SAMPLES];

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct vx_codec *tx = create(names[k], 1, 20000), *rx = create(names[k], 1, 20000);

		for (size_t f = 0; f < N_FRAMES; f++) {
			size_t n;
			int len;

			set(tx, VX_CODEC_FRAME_US, (int)frame_us[f]);
			n = vx_codec_frame_samples(tx);
			len = vx_codec_encode(tx, speech + 4800, packet, sizeof(packet));
			assert_true(len > 0);
			assert_int_equal(vx_codec_decode(rx, packet, (size_t)len, y, MAX_SAMPLES),
					 (int)n);
			/* Into a buffer one sample short of the frame: refused whole. */
			assert_int_equal(vx_codec_decode(rx, packet, (size_t)len, y, n - 1), -ENOBUFS);
		}
		vx_codec_destroy(rx);
		vx_codec_destroy(tx);
	}
}

/* --- controls ------------------------------------------------------------------- */

static void test_codec_controls_set_get_and_enotsup(void **state)
{
	enum { GET_SAME = 1 << 30 };
	static const struct {
		const char *codec;
		enum vx_codec_ctl ctl;
		int value;
		int set_ret;
		int get_ret;
		int got; /* GET_SAME: the value set */
	} cases[] = {
		{ "opus", VX_CODEC_BITRATE, 24000, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_BITRATE, 100, 0, 0, 500 },          /* clamped by libopus */
		{ "opus", VX_CODEC_BITRATE, 0, -EINVAL, 0, GET_SAME }, /* get: unchanged */
		{ "opus", VX_CODEC_BITRATE, -1, -EINVAL, 0, 0 },       /* not BITRATE_MAX */
		{ "opus", VX_CODEC_BITRATE, -1000, -EINVAL, 0, 0 },    /* not OPUS_AUTO */
		{ "opus", VX_CODEC_COMPLEXITY, 0, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_COMPLEXITY, 5, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_COMPLEXITY, 10, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_COMPLEXITY, 11, -EINVAL, 0, 9 }, /* OPUS_BAD_ARG, not -EPERM */
		{ "opus", VX_CODEC_COMPLEXITY, -1, -EINVAL, 0, 9 },  /* 9: the default */
		{ "opus", VX_CODEC_FEC, 1, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_FEC, 0, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_FEC, 3, -EINVAL, 0, 0 },
		{ "opus", VX_CODEC_LOSS_PERC, 0, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_LOSS_PERC, 100, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_LOSS_PERC, 101, -EINVAL, 0, 0 },
		{ "opus", VX_CODEC_DTX, 1, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_DTX, 2, -EINVAL, 0, 0 },
		{ "opus", VX_CODEC_FRAME_US, 2500, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_FRAME_US, 60000, 0, 0, GET_SAME },
		{ "opus", VX_CODEC_FRAME_US, 30000, -EINVAL, 0, 20000 },
		{ "opus", VX_CODEC_FRAME_US, -20000, -EINVAL, 0, 20000 },
		{ "pcm", VX_CODEC_BITRATE, 24000, -ENOTSUP, -ENOTSUP, 0 },
		{ "pcm", VX_CODEC_COMPLEXITY, 5, -ENOTSUP, -ENOTSUP, 0 },
		{ "pcm", VX_CODEC_FEC, 1, -ENOTSUP, -ENOTSUP, 0 },
		{ "pcm", VX_CODEC_LOSS_PERC, 10, -ENOTSUP, -ENOTSUP, 0 },
		{ "pcm", VX_CODEC_DTX, 1, -ENOTSUP, -ENOTSUP, 0 },
		{ "pcm", VX_CODEC_FRAME_US, 5000, 0, 0, GET_SAME },
		{ "pcm", VX_CODEC_FRAME_US, 0, -EINVAL, 0, 20000 },
		{ "zpcm", VX_CODEC_BITRATE, 24000, -ENOTSUP, -ENOTSUP, 0 },
		{ "zpcm", VX_CODEC_COMPLEXITY, 1, 0, 0, GET_SAME },
		{ "zpcm", VX_CODEC_COMPLEXITY, 19, 0, 0, GET_SAME },
		{ "zpcm", VX_CODEC_COMPLEXITY, 0, -EINVAL, 0, 3 },
		{ "zpcm", VX_CODEC_COMPLEXITY, 20, -EINVAL, 0, 3 },
		{ "zpcm", VX_CODEC_FEC, 1, -ENOTSUP, -ENOTSUP, 0 },
		{ "zpcm", VX_CODEC_LOSS_PERC, 10, -ENOTSUP, -ENOTSUP, 0 },
		{ "zpcm", VX_CODEC_DTX, 1, -ENOTSUP, -ENOTSUP, 0 },
		{ "zpcm", VX_CODEC_FRAME_US, 40000, 0, 0, GET_SAME },
		{ "pcm", (enum vx_codec_ctl)99, 1, -EINVAL, -EINVAL, 0 },
		{ "opus", (enum vx_codec_ctl)99, 1, -EINVAL, -EINVAL, 0 },
		{ "zpcm", (enum vx_codec_ctl)-1, 1, -EINVAL, -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_codec *c = create(cases[i].codec, 1, 20000);
		int got = -12345, want = cases[i].got == GET_SAME ? cases[i].value : cases[i].got;
		int ret = vx_codec_set(c, cases[i].ctl, cases[i].value);

		if (ret != cases[i].set_ret)
			fail_msg("case %zu: set returned %d, want %d", i, ret, cases[i].set_ret);
		ret = vx_codec_get(c, cases[i].ctl, &got);
		if (ret != cases[i].get_ret)
			fail_msg("case %zu: get returned %d, want %d", i, ret, cases[i].get_ret);
		/* The rejected bitrates leave libopus's automatic choice: check it is sane. */
		if (cases[i].ctl == VX_CODEC_BITRATE && cases[i].set_ret && !cases[i].get_ret)
			assert_true(got > 6000 && got < 200000);
		else if (!cases[i].get_ret && got != want)
			fail_msg("case %zu: get gave %d, want %d", i, got, want);
		vx_codec_destroy(c);
	}
}

/* --- malformed packets ------------------------------------------------------------- */

struct bad_packet {
	const char *what;
	uint8_t bytes[256]; /* longer packets: zeros */
	size_t len;
	size_t max_samples; /* 0: a whole 60 ms frame */
	int ret;
};

static void check_bad_packets(const char *codec, unsigned channels,
			      const struct bad_packet *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vx_codec *c = create(codec, channels, 20000);
		size_t max = cases[i].max_samples ? cases[i].max_samples : MAX_SAMPLES;
		int16_t y[MAX_VALUES + 1];
		int ret;

		static const uint8_t zeros[VX_CODEC_MAX_PACKET + 1];
		const uint8_t *bytes = cases[i].len > sizeof(cases[i].bytes) ? zeros : cases[i].bytes;

		y[max * channels] = 0x5a5a; /* canary just past what decode may write */
		ret = vx_codec_decode(c, bytes, cases[i].len, y, max);
		if (ret != cases[i].ret)
			fail_msg("%s: %s: decode returned %d, want %d", codec, cases[i].what, ret,
				 cases[i].ret);
		assert_int_equal(y[max * channels], 0x5a5a);
		vx_codec_destroy(c);
	}
}

static void test_codec_pcm_rejects_malformed_packets(void **state)
{
	/* Only the length matters to L16: the bytes are zeros. */
	static const struct bad_packet mono[] = {
		{ "empty", { 0 }, 0, 0, -EBADMSG },
		{ "one byte", { 0 }, 1, 0, -EBADMSG },
		{ "odd length", { 0 }, 241, 0, -EBADMSG },
		{ "not a frame size", { 0 }, 238, 0, -EBADMSG },
		{ "one sample over 60 ms", { 0 }, 2 * 2880 + 2, 0, -EBADMSG },
		{ "two 60 ms frames", { 0 }, 2 * 2 * 2880, 0, -EBADMSG },
		{ "beyond the maximum packet", { 0 }, VX_CODEC_MAX_PACKET + 1, 0, -EMSGSIZE },
		{ "2.5 ms into 119 samples", { 0 }, 240, 119, -ENOBUFS },
	};
	static const struct bad_packet stereo[] = {
		{ "one sample of one channel", { 0 }, 2, 0, -EBADMSG },
		{ "2.5 ms, one channel's sample short", { 0 }, 478, 0, -EBADMSG },
		{ "2.5 ms, one sample short", { 0 }, 476, 0, -EBADMSG },
		{ "mono 2.5 ms read as stereo", { 0 }, 240, 0, -EBADMSG },
		{ "2.5 ms into 119 samples", { 0 }, 480, 119, -ENOBUFS },
	};

	(void)state;
	check_bad_packets("pcm", 1, mono, sizeof(mono) / sizeof(mono[0]));
	check_bad_packets("pcm", 2, stereo, sizeof(stereo) / sizeof(stereo[0]));
}

/* A zstd frame of @content bytes (all 0) after a zpcm header @h0 @h1. */
static size_t zstd_packet(uint8_t *out, size_t cap, uint8_t h0, uint8_t h1, size_t content)
{
	static uint8_t zero[2 * 2 * 2880 + 64];
	size_t n;

	assert_true(content <= sizeof(zero));
	out[0] = h0;
	out[1] = h1;
	n = ZSTD_compress(out + 2, cap - 2, zero, content, 1);
	assert_false(ZSTD_isError(n));
	return 2 + n;
}

static void test_codec_zpcm_rejects_malformed_packets(void **state)
{
	/* Mono, 20 ms: header 0x13 (zstd, code 3) or 0x03 (raw); planes 1920 bytes. */
	static const struct bad_packet fixed[] = {
		{ "empty", { 0 }, 0, 0, -EBADMSG },
		{ "header only", { 0x13, 0x00 }, 2, 0, -EBADMSG },
		{ "one byte", { 0x13 }, 1, 0, -EBADMSG },
		{ "version 1", { 0x53, 0x00, 0 }, 3, 0, -EBADMSG },
		{ "method 2", { 0x23, 0x00, 0 }, 3, 0, -EBADMSG },
		{ "stereo packet to a mono decoder", { 0x1b, 0x00, 0 }, 3, 0, -EBADMSG },
		{ "frame code 6", { 0x16, 0x00, 0 }, 3, 0, -EBADMSG },
		{ "frame code 7", { 0x17, 0x00, 0 }, 3, 0, -EBADMSG },
		{ "order bits for a missing channel", { 0x13, 0x04, 0 }, 3, 0, -EBADMSG },
		{ "raw, too short", { 0x03, 0x00, 1, 2, 3, 4 }, 6, 0, -EBADMSG },
		{ "raw 2.5 ms, orders set", { 0x00, 0x01 }, 2 + 240, 0, -EBADMSG },
		{ "not a zstd frame", { 0x13, 0x00, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 0, -EBADMSG },
	};
	static const struct {
		const char *what;
		size_t content;
		size_t max_samples;
		int ret;
	} zstd_cases[] = {
		{ "zstd content one byte short", 1919, 0, -EBADMSG },
		{ "zstd content one byte long", 1921, 0, -EBADMSG },
		{ "zstd content of a 60 ms stereo frame", 2 * 2 * 2880, 0, -EBADMSG },
		{ "zstd content empty", 0, 0, -EBADMSG },
		{ "exact content into too small a buffer", 1920, 959, -ENOBUFS },
		{ "exact content: decodes", 1920, 0, 960 },
	};
	uint8_t packet[VX_CODEC_MAX_PACKET];
	int16_t y[MAX_VALUES + 1];

	(void)state;
	check_bad_packets("zpcm", 1, fixed, sizeof(fixed) / sizeof(fixed[0]));
	for (size_t i = 0; i < sizeof(zstd_cases) / sizeof(zstd_cases[0]); i++) {
		struct vx_codec *c = create("zpcm", 1, 20000);
		size_t max = zstd_cases[i].max_samples ? zstd_cases[i].max_samples : MAX_SAMPLES;
		size_t len = zstd_packet(packet, sizeof(packet), 0x13, 0x00, zstd_cases[i].content);
		int ret;

		y[max] = 0x5a5a;
		ret = vx_codec_decode(c, packet, len, y, max);
		if (ret != zstd_cases[i].ret)
			fail_msg("zpcm: %s: decode returned %d", zstd_cases[i].what, ret);
		assert_int_equal(y[max], 0x5a5a);
		/* Every truncation of the packet fails cleanly. */
		for (size_t cut = 0; cut < len; cut++)
			assert_true(vx_codec_decode(c, packet, cut, y, MAX_SAMPLES) < 0);
		vx_codec_destroy(c);
	}
	/* Oversized. */
	{
		struct vx_codec *c = create("zpcm", 2, 20000);
		static uint8_t big[VX_CODEC_MAX_PACKET + 1];

		assert_int_equal(vx_codec_decode(c, big, sizeof(big), y, MAX_SAMPLES), -EMSGSIZE);
		vx_codec_destroy(c);
	}
}

static void test_codec_opus_rejects_malformed_packets(void **state)
{
	/* TOC byte (RFC 6716 3.1): config << 3 | stereo << 2 | code. Config 1 is
	 * SILK NB 20 ms; 31 is CELT FB 20 ms; 19 is CELT NB 20 ms. */
	static const struct bad_packet cases[] = {
		{ "empty", { 0 }, 0, 0, -EBADMSG },
		{ "code 1 (two equal frames), odd payload", { 1 << 3 | 1, 0, 0, 0 }, 4, 0, -EBADMSG },
		{ "code 2, frame length past the end", { 1 << 3 | 2, 200, 0 }, 3, 0, -EBADMSG },
		{ "code 3 without a count byte", { 1 << 3 | 3 }, 1, 0, -EBADMSG },
		{ "code 3 with 0 frames", { 1 << 3 | 3, 0 }, 2, 0, -EBADMSG },
		{ "code 3, 7 x 20 ms = 140 ms > 120 ms", { 1 << 3 | 3, 7, 0 }, 3, 0, -EBADMSG },
		{ "code 3, padding past the end", { 1 << 3 | 3, 0x41, 250 }, 3, 0, -EBADMSG },
		{ "20 ms into a 10 ms buffer", { 31 << 3, 0 }, 2, 480, -ENOBUFS },
		{ "2 x 20 ms into a 20 ms buffer", { 31 << 3 | 1, 0, 0 }, 3, 960, -ENOBUFS },
	};
	struct vx_codec *c = create("opus", 1, 20000);
	static uint8_t big[VX_CODEC_MAX_PACKET + 1];
	int16_t y[MAX_VALUES];

	(void)state;
	check_bad_packets("opus", 1, cases, sizeof(cases) / sizeof(cases[0]));
	check_bad_packets("opus", 2, cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(vx_codec_decode(c, big, sizeof(big), y, MAX_SAMPLES), -EMSGSIZE);
	/* FEC decoding checks the packet the same way. */
	assert_int_equal(vx_codec_decode_fec(c, cases[0].bytes, 0, y, 960), -EBADMSG);
	assert_int_equal(vx_codec_decode_fec(c, cases[4].bytes, 2, y, 960), -EBADMSG);
	assert_int_equal(vx_codec_decode_fec(c, big, sizeof(big), y, 960), -EMSGSIZE);
	assert_int_equal(vx_codec_decode_fec(c, big, 10, y, 100), -EINVAL);
	assert_int_equal(vx_codec_conceal(c, y, 121), -EINVAL);
	vx_codec_destroy(c);
}

static void test_codec_encode_without_room_returns_enobufs(void **state)
{
	static const char *const names[] = { "opus", "pcm", "zpcm" };
	uint8_t packet[VX_CODEC_MAX_PACKET];

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct vx_codec *c = create(names[k], 1, 20000);

		assert_int_equal(vx_codec_encode(c, speech, packet, 0), -ENOBUFS);
		if (k > 0) /* Opus shrinks its packet to fit instead */
			assert_int_equal(vx_codec_encode(c, speech, packet, 3), -ENOBUFS);
		vx_codec_destroy(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_config_by_name_knows_each_codec),
		cmocka_unit_test(test_codec_create_rejects_bad_config),
		cmocka_unit_test(test_codec_create_accepts_every_frame_size_and_channel_count),
		cmocka_unit_test(test_codec_opus_round_trip_keeps_speech_envelope),
		cmocka_unit_test(test_codec_delay_is_opus_lookahead),
		cmocka_unit_test(test_codec_opus_fec_recovers_lost_frame_better_than_plc),
		cmocka_unit_test(test_codec_opus_fec_presence_follows_rate_and_loss),
		cmocka_unit_test(test_codec_opus_decode_fec_needs_room_for_next_frame),
		cmocka_unit_test(test_codec_opus_decode_fec_after_celt_returns_enodata),
		cmocka_unit_test(test_codec_opus_conceal_continues_the_waveform),
		cmocka_unit_test(test_codec_opus_dtx_sends_tiny_packets_for_silence),
		cmocka_unit_test(test_codec_lossless_round_trip_is_bit_exact),
		cmocka_unit_test(test_codec_pcm_packet_is_l16_big_endian),
		cmocka_unit_test(test_codec_zpcm_compresses_speech),
		cmocka_unit_test(test_codec_zpcm_noise_falls_back_to_raw),
		cmocka_unit_test(test_codec_zpcm_every_level_fits_its_workspace),
		cmocka_unit_test(test_codec_pcm_and_zpcm_conceal_by_reflection_then_silence),
		cmocka_unit_test(test_codec_decoder_follows_sender_frame_size),
		cmocka_unit_test(test_codec_controls_set_get_and_enotsup),
		cmocka_unit_test(test_codec_pcm_rejects_malformed_packets),
		cmocka_unit_test(test_codec_zpcm_rejects_malformed_packets),
		cmocka_unit_test(test_codec_opus_rejects_malformed_packets),
		cmocka_unit_test(test_codec_encode_without_room_returns_enobufs),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
