// SPDX-License-Identifier: MIT
/*
 * audio/quality: alignment, STOI and LSD. Speech is real: alsa-utils'
 * Front_Center.wav and Front_Left.wav (48 kHz mono, 1.43 s and 1.48 s), read with
 * audio/wav and concatenated into 2.9 s. Noise is Gaussian from a fixed seed, at
 * an SNR measured over the whole utterance. Bounds were measured, then given
 * margin; the measured values are in the comments.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "audio/codec.h"
#include "audio/quality.h"
#include "audio/wav.h"

#define CENTER_WAV "/usr/share/sounds/alsa/Front_Center.wav"
#define LEFT_WAV   "/usr/share/sounds/alsa/Front_Left.wav"
#define CLEAN      ((double)NAN) /* degrade(): no noise added */

static int16_t *center, *left, *speech;
static size_t center_len, left_len, speech_len;

static int group_setup(void **state)
{
	char err[VX_WAV_ERR_LEN];

	(void)state;
	if (vx_wav_load(CENTER_WAV, 1, &center, &center_len, err, sizeof(err)) < 0 ||
	    vx_wav_load(LEFT_WAV, 1, &left, &left_len, err, sizeof(err)) < 0) {
		fprintf(stderr, "test_quality: %s (install alsa-utils)\n", err);
		return -1;
	}
	speech_len = center_len + left_len;
	speech = malloc(speech_len * sizeof(*speech));
	if (!speech)
		return -1;
	memcpy(speech, center, center_len * sizeof(*speech));
	memcpy(speech + center_len, left, left_len * sizeof(*speech));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(center);
	free(left);
	free(speech);
	return 0;
}

/* ---- signal helpers ----------------------------------------------------------- */

static int16_t sat16(double v)
{
	if (v >= 32767.0)
		return 32767;
	if (v <= -32768.0)
		return -32768;
	return (int16_t)lrint(v);
}

/* A standard normal deviate (Box-Muller) from the test's generator. */
static double gauss(uint64_t *seed)
{
	double u1 = ((double)(vx_rand64(seed) >> 11) + 1.0) / 9007199254740993.0;
	double u2 = (double)(vx_rand64(seed) >> 11) / 9007199254740992.0;

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* @x delayed by @delay samples (negative: advanced, its start cut), plus white
 * noise @snr_db below the speech's mean power (none if snr_db is NaN).
 * Same length as x when delay <= 0, delay longer when positive. */
static int16_t *degrade(const int16_t *x, size_t n, long delay, double snr_db, uint64_t seed,
			size_t *out_len)
{
	size_t len = delay >= 0 ? n + (size_t)delay : n - (size_t)-delay;
	int16_t *y = malloc(len * sizeof(*y));
	double p = 0, sigma;

	assert_non_null(y);
	for (size_t i = 0; i < n; i++)
		p += (double)x[i] * x[i];
	p /= (double)n;
	sigma = isnan(snr_db) ? 0 : sqrt(p / pow(10.0, snr_db / 10.0));
	for (size_t i = 0; i < len; i++) {
		long j = (long)i - delay;
		double v = j >= 0 && (size_t)j < n ? x[j] : 0;

		y[i] = sat16(v + sigma * gauss(&seed));
	}
	*out_len = len;
	return y;
}

static struct vx_quality compare_ok(const int16_t *ref, size_t nref, const int16_t *deg,
				    size_t ndeg)
{
	struct vx_quality q;

	assert_int_equal(vx_quality_compare(ref, nref, deg, ndeg, &q), 0);
	assert_null(q.reason);
	return q;
}

/* ---- cases ------------------------------------------------------------------------ */

static void test_quality_identical_signals_score_perfect(void **state)
{
	struct vx_quality q = compare_ok(speech, speech_len, speech, speech_len);

	(void)state;
	assert_true(q.stoi >= 0.99 && q.stoi <= 1.0 + 1e-9);
	assert_true(q.lsd_db < 0.1);
	assert_int_equal(q.delay_samples, 0);
	assert_true(q.delay_ms == 0.0);
	assert_int_equal(q.overlap, speech_len);
	assert_true(q.frames_used >= VX_QUALITY_STOI_N);
	assert_true(q.lsd_frames > 100);
}

/*
 * Measured (seed 7), SNR 20 .. -10 dB: STOI 0.995, 0.963, 0.924, 0.875, 0.816, 0.749;
 * LSD 30.6, 38.7, 43.0, 47.4, 51.9, 56.5 dB. STOI stays high because the noise is
 * white over 0-24 kHz and STOI hears only 0-5 kHz (about a fifth of the noise
 * power: the in-band SNR is 7 dB better). LSD is large because the recording has
 * almost nothing above 8 kHz, where every bin of noise counts against the floor.
 */
static void test_quality_stoi_falls_as_noise_rises(void **state)
{
	static const double snr[] = { 20, 10, 5, 0, -5, -10 };
	double prev_stoi = 2, prev_lsd = -1;

	(void)state;
	for (size_t i = 0; i < sizeof(snr) / sizeof(snr[0]); i++) {
		size_t n;
		int16_t *deg = degrade(speech, speech_len, 0, snr[i], 7, &n);
		struct vx_quality q = compare_ok(speech, speech_len, deg, n);

		print_message("SNR %5.1f dB: STOI %.4f, LSD %.2f dB, delay %lld\n", snr[i], q.stoi,
			      q.lsd_db, (long long)q.delay_samples);
		assert_true(q.stoi < prev_stoi);
		assert_true(q.lsd_db > prev_lsd);
		assert_int_equal(q.delay_samples, 0);
		prev_stoi = q.stoi;
		prev_lsd = q.lsd_db;
		free(deg);
	}
}

static void test_quality_finds_known_delay_exactly(void **state)
{
	static const struct {
		long delay;
		double snr_db;
	} cases[] = {
		{ 1234, CLEAN }, { -480, CLEAN }, { 1234, 10 }, { -480, 10 },
		{ 96000, CLEAN }, { -96000, 10 }, { 1, CLEAN }, { -1, 10 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		int16_t *deg = degrade(speech, speech_len, cases[i].delay, cases[i].snr_db, 11, &n);
		struct vx_quality q;
		int ret = vx_quality_compare(speech, speech_len, deg, n, &q);

		/* +-2 s leaves only 0.9 s in common: enough to align, and STOI may
		 * still refuse it for lack of speech. Alignment is what is tested. */
		if (ret == -EINVAL)
			assert_int_equal(labs(cases[i].delay), 96000);
		else
			assert_int_equal(ret, 0);
		assert_int_equal(q.delay_samples, cases[i].delay);
		assert_true(fabs(q.delay_ms - (double)cases[i].delay / 48.0) < 1e-9);
		if (ret == 0 && isnan(cases[i].snr_db))
			assert_true(q.stoi >= 0.99);
		free(deg);
	}
}

/* Measured: STOI 0.432, LSD 13.5 dB for Front_Left scored against Front_Center
 * (the same voice and level, so the band envelopes share some shape). */
static void test_quality_different_utterance_scores_low(void **state)
{
	size_t n = center_len < left_len ? center_len : left_len;
	struct vx_quality q = compare_ok(center, n, left, n);

	(void)state;
	print_message("Front_Left vs Front_Center: STOI %.4f, LSD %.2f dB\n", q.stoi, q.lsd_db);
	assert_true(q.stoi < 0.5);
	assert_true(q.lsd_db > 5.0);
}

/*
 * The figure for the docs: Opus VOIP at 24 kb/s, 20 ms frames, no loss. Measured:
 * STOI 0.993, LSD 7.97 dB, delay 306 samples: the waveform's delay, 6 samples short
 * of the 312-sample lookahead Opus reports (its SILK path's filters add phase).
 */
static void test_quality_opus_voip_24k_stays_intelligible(void **state)
{
	struct vx_codec_config cfg;
	struct vx_codec *c;
	size_t fs, frames;
	int16_t *out;
	uint8_t pkt[VX_CODEC_MAX_PACKET];
	struct vx_quality q;

	(void)state;
	assert_int_equal(vx_codec_config_by_name(&cfg, "opus-voip"), 0);
	assert_int_equal(vx_codec_create(&c, &cfg), 0);
	assert_int_equal(vx_codec_set(c, VX_CODEC_BITRATE, 24000), 0);
	fs = vx_codec_frame_samples(c);
	frames = speech_len / fs;
	out = calloc(frames * fs, sizeof(*out));
	assert_non_null(out);
	for (size_t f = 0; f < frames; f++) {
		int len = vx_codec_encode(c, speech + f * fs, pkt, sizeof(pkt));

		assert_true(len > 0);
		assert_int_equal(vx_codec_decode(c, pkt, (size_t)len, out + f * fs, fs), (int)fs);
	}
	q = compare_ok(speech, frames * fs, out, frames * fs);
	print_message("Opus VOIP 24 kb/s: STOI %.4f, LSD %.2f dB, delay %lld samples\n", q.stoi,
		      q.lsd_db, (long long)q.delay_samples);
	assert_true(llabs(q.delay_samples - vx_codec_delay(c)) <= 48); /* 1 ms */
	assert_true(q.stoi > 0.97);
	assert_true(q.lsd_db < 12.0);
	free(out);
	vx_codec_destroy(c);
}

static void test_quality_empty_input_returns_einval(void **state)
{
	struct vx_quality q;

	(void)state;
	assert_int_equal(vx_quality_compare(speech, 0, speech, speech_len, &q), -EINVAL);
	assert_string_equal(q.reason, "empty input");
	assert_int_equal(vx_quality_compare(speech, speech_len, speech, 0, &q), -EINVAL);
	assert_string_equal(q.reason, "empty input");
}

static void test_quality_too_short_input_returns_einval(void **state)
{
	struct vx_quality q;

	(void)state;
	assert_int_equal(vx_quality_compare(speech, VX_QUALITY_MIN_SAMPLES - 1, speech,
					    speech_len, &q), -EINVAL);
	assert_string_equal(q.reason, "input shorter than 0.5 s");
}

/* 0.5 s of input, but only its first 0.1 s is speech: too few STOI frames. */
static void test_quality_too_little_speech_returns_einval(void **state)
{
	int16_t *x = calloc(VX_QUALITY_MIN_SAMPLES, sizeof(*x));
	struct vx_quality q;

	(void)state;
	assert_non_null(x);
	memcpy(x, speech + 9600, 4800 * sizeof(*x));
	assert_int_equal(vx_quality_compare(x, VX_QUALITY_MIN_SAMPLES, x,
					    VX_QUALITY_MIN_SAMPLES, &q), -EINVAL);
	assert_non_null(strstr(q.reason, "30 frames"));
	free(x);
}

static void test_quality_silent_reference_returns_einval(void **state)
{
	int16_t *x = calloc(speech_len, sizeof(*x));
	struct vx_quality q;

	(void)state;
	assert_non_null(x);
	assert_int_equal(vx_quality_compare(x, speech_len, speech, speech_len, &q), -EINVAL);
	assert_non_null(strstr(q.reason, "silent"));
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quality_identical_signals_score_perfect),
		cmocka_unit_test(test_quality_stoi_falls_as_noise_rises),
		cmocka_unit_test(test_quality_finds_known_delay_exactly),
		cmocka_unit_test(test_quality_different_utterance_scores_low),
		cmocka_unit_test(test_quality_opus_voip_24k_stays_intelligible),
		cmocka_unit_test(test_quality_empty_input_returns_einval),
		cmocka_unit_test(test_quality_too_short_input_returns_einval),
		cmocka_unit_test(test_quality_too_little_speech_returns_einval),
		cmocka_unit_test(test_quality_silent_reference_returns_einval),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
