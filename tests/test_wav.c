// SPDX-License-Identifier: MIT
/*
 * WAV reader and writer. Inputs are built byte by byte here (struct buf), so each
 * case says exactly what the file holds; expected samples come from an independent
 * integer reference (ref_round()) rather than from the reader's own arithmetic.
 * Linked with --wrap=malloc,... (see the Makefile) so a case can check that reads
 * and writes allocate nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "audio/wav.h"
#include "tests/wrap_alloc.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- building WAV bytes -------------------------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void b_bytes(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void b_u8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	b_bytes(b, &x, 1);
}

static void b_u16(struct buf *b, unsigned v)
{
	b_u8(b, v & 0xff);
	b_u8(b, v >> 8 & 0xff);
}

static void b_u32(struct buf *b, uint32_t v)
{
	b_u16(b, v & 0xffff);
	b_u16(b, v >> 16);
}

static void b_le(struct buf *b, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		b_u8(b, (unsigned)(v >> 8 * i) & 0xff);
}

static void b_id(struct buf *b, const char *id)
{
	b_bytes(b, id, 4);
}

static void b_riff(struct buf *b)
{
	b_id(b, "RIFF");
	b_u32(b, 0); /* the reader ignores the RIFF size, as it should */
	b_id(b, "WAVE");
}

/* A chunk with @n bytes of content @d and its pad byte. */
static void b_chunk(struct buf *b, const char *id, const void *d, uint32_t n)
{
	b_id(b, id);
	b_u32(b, n);
	b_bytes(b, d, n);
	if (n & 1)
		b_u8(b, 0);
}

struct fmt {
	const char *name;
	unsigned tag;   /* 1, 3 or 0xfffe */
	unsigned sub;   /* extensible subformat, 1 or 3 */
	unsigned bits;  /* container */
	unsigned valid; /* significant bits */
};

static void b_fmt(struct buf *b, const struct fmt *f, unsigned ch, uint32_t rate, uint32_t mask)
{
	unsigned align = ch * f->bits / 8;
	bool ext = f->tag == 0xfffe;

	b_id(b, "fmt ");
	b_u32(b, ext ? 40 : 16);
	b_u16(b, f->tag);
	b_u16(b, ch);
	b_u32(b, rate);
	b_u32(b, rate * align);
	b_u16(b, align);
	b_u16(b, f->bits);
	if (ext) {
		static const uint8_t tail[14] = { 0, 0, 0, 0, 0x10, 0, 0x80, 0,
						  0, 0xaa, 0, 0x38, 0x9b, 0x71 };
		b_u16(b, 22);
		b_u16(b, f->valid);
		b_u32(b, mask);
		b_u16(b, f->sub);
		b_bytes(b, tail, sizeof(tail));
	}
}

static void b_data_header(struct buf *b, uint32_t size)
{
	b_id(b, "data");
	b_u32(b, size);
}

/* ---- reference conversion ------------------------------------------------------ */

/*
 * Each test sample is a 32-bit left-justified value t (the sample's value in int16
 * units is t / 65536). ref_round() is the documented output: the exact rational
 * num / den rounded to nearest, ties to even, saturated to int16.
 */
static int16_t ref_round(int64_t num, int64_t den)
{
	int64_t q = num / den, r = num % den;

	if (r < 0) {
		q--;
		r += den;
	}
	if (2 * r > den || (2 * r == den && (q & 1)))
		q++;
	return (int16_t)(q > 32767 ? 32767 : q < -32768 ? -32768 : q);
}

/* Encode one sample of value @k (in the container's own integer range, for PCM; a
 * float's numerator over 2^23 or 2^31 otherwise) and return its true value t. */
static int64_t put_sample(struct buf *b, const struct fmt *f, int64_t k)
{
	unsigned fbits = f->tag == 0xfffe ? f->sub : f->tag;

	if (fbits == 3 && f->bits == 32) {
		float x = (float)k * 0x1p-23f;
		uint32_t u;

		memcpy(&u, &x, 4);
		b_u32(b, u);
		return k * 256;
	}
	if (fbits == 3) {
		double x = (double)k * 0x1p-31;
		uint64_t u;

		memcpy(&u, &x, 8);
		b_le(b, u, 8);
		return k;
	}
	if (f->bits == 8)
		b_u8(b, (unsigned)(k + 128));
	else
		b_le(b, (uint64_t)k, f->bits / 8);
	/* The reader clears the bits below validBitsPerSample. */
	k &= ~(((int64_t)1 << (f->bits - f->valid)) - 1);
	return k * ((int64_t)1 << (32 - f->bits));
}

/* A random sample for @f, with the extremes first. */
static int64_t pick(const struct fmt *f, uint64_t *rng, size_t i)
{
	unsigned fbits = f->tag == 0xfffe ? f->sub : f->tag;
	unsigned w = fbits == 3 ? (f->bits == 32 ? 24 : 32) : f->bits;
	int64_t lo = -((int64_t)1 << (w - 1)), hi = ((int64_t)1 << (w - 1)) - 1;

	switch (i) {
	case 0: return lo;
	case 1: return hi;
	case 2: return 0;
	case 3: return -1;
	default: return lo + (int64_t)(vx_rand64(rng) % (uint64_t)(hi - lo + 1));
	}
}

/* ---- helpers ---------------------------------------------------------------------- */

static struct vx_wav_reader *open_mem(const struct buf *b, unsigned out_ch)
{
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	int ret = vx_wav_reader_open_memory(&r, b->p, b->len, "mem.wav", out_ch, err, sizeof(err));

	if (ret)
		fail_msg("open failed (%d): %s", ret, err);
	return r;
}

/* Read everything in reads of @step frames; return the frame count. */
static size_t read_all(struct vx_wav_reader *r, int16_t *pcm, size_t cap, size_t step,
		       unsigned out_ch)
{
	size_t got = 0;

	for (;;) {
		size_t want = cap - got < step ? cap - got : step;
		ssize_t n = vx_wav_reader_read(r, pcm + got * out_ch, want);

		assert_true(n >= 0);
		if (n == 0)
			return got;
		assert_true((size_t)n <= want);
		got += (size_t)n;
		if (got == cap) {
			int16_t spare[2];

			assert_int_equal(vx_wav_reader_read(r, spare, 1), 0);
			return got;
		}
	}
}

static const char *tmp_dir(void)
{
	static char dir[] = "/tmp/test_wav.XXXXXX";
	static bool made;

	if (!made) {
		assert_non_null(mkdtemp(dir));
		made = true;
	}
	return dir;
}

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static unsigned next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmp_dir(), name);
	return p;
}

static void write_file(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* ---- every format, bit for bit at 48 kHz -------------------------------------------- */

static const struct fmt fmts[] = {
	{ "pcm u8", 1, 0, 8, 8 },
	{ "pcm s16", 1, 0, 16, 16 },
	{ "pcm s24", 1, 0, 24, 24 },
	{ "pcm s32", 1, 0, 32, 32 },
	{ "float32", 3, 0, 32, 32 },
	{ "float64", 3, 0, 64, 64 },
	{ "ext s16", 0xfffe, 1, 16, 16 },
	{ "ext s24 valid 20", 0xfffe, 1, 24, 20 },
	{ "ext s32 valid 24", 0xfffe, 1, 32, 24 },
	{ "ext u8 valid 6", 0xfffe, 1, 8, 6 },
	{ "ext float32", 0xfffe, 3, 32, 32 },
	{ "ext float64", 0xfffe, 3, 64, 64 },
};

#define FMT_FRAMES 300

static void check_format(const struct fmt *f, unsigned ch, unsigned out_ch)
{
	static int64_t t[FMT_FRAMES][6];
	int16_t out[FMT_FRAMES * 2];
	uint64_t rng = 42 + ch * 7 + out_ch;
	struct buf b = { 0 };
	struct vx_wav_reader *r;
	const struct vx_wav_info *in;

	b_riff(&b);
	b_fmt(&b, f, ch, 48000, 0);
	b_data_header(&b, FMT_FRAMES * ch * f->bits / 8);
	for (size_t i = 0; i < FMT_FRAMES; i++)
		for (unsigned c = 0; c < ch; c++)
			t[i][c] = put_sample(&b, f, pick(f, &rng, (i + c) % FMT_FRAMES));

	r = open_mem(&b, out_ch);
	in = vx_wav_reader_info(r);
	assert_int_equal(in->rate, 48000);
	assert_int_equal(in->channels, ch);
	assert_int_equal(in->bits, f->bits);
	assert_int_equal(in->valid_bits, f->valid);
	assert_int_equal(in->format, f->tag == 0xfffe ? f->sub : f->tag);
	assert_int_equal(in->extensible, f->tag == 0xfffe);
	assert_int_equal(in->frames, FMT_FRAMES);
	assert_int_equal(in->out_frames, FMT_FRAMES);
	assert_int_equal(read_all(r, out, FMT_FRAMES, 97, out_ch), FMT_FRAMES);
	assert_false(vx_wav_reader_is_truncated(r));
	vx_wav_reader_close(r);

	for (size_t i = 0; i < FMT_FRAMES; i++) {
		int64_t sum = 0;
		int16_t want[2];
		int slack = 0;

		for (unsigned c = 0; c < ch; c++)
			sum += t[i][c];
		if (out_ch == 1) {
			want[0] = ref_round(sum, (int64_t)ch * 65536);
		} else if (ch == 1) {
			want[0] = want[1] = ref_round(t[i][0], 65536);
		} else if (ch == 2) {
			want[0] = ref_round(t[i][0], 65536);
			want[1] = ref_round(t[i][1], 65536);
		} else {
			/* 5.1: FL FR FC LFE BL BR; L = (FL + FC/2 + BL) / 2.5. The weights
			 * 0.4 and 0.2 are inexact in binary, so allow one LSB. */
			want[0] = ref_round(2 * t[i][0] + t[i][2] + 2 * t[i][4], 5 * 65536);
			want[1] = ref_round(2 * t[i][1] + t[i][2] + 2 * t[i][5], 5 * 65536);
			slack = 1;
		}
		for (unsigned c = 0; c < out_ch; c++)
			if (abs(out[i * out_ch + c] - want[c]) > slack)
				fail_msg("%s, %u ch -> %u: frame %zu channel %u: got %d, want %d",
					 f->name, ch, out_ch, i, c, out[i * out_ch + c], want[c]);
	}
	free(b.p);
}

static void test_wav_every_format_reads_exactly_at_48k(void **state)
{
	static const unsigned chans[] = { 1, 2, 6 };

	(void)state;
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
		for (size_t c = 0; c < 3; c++)
			for (unsigned out_ch = 1; out_ch <= 2; out_ch++)
				check_format(&fmts[f], chans[c], out_ch);
}

static void test_wav_float_nan_and_overs_saturate(void **state)
{
	static const float in[] = { NAN, INFINITY, -INFINITY, 2.0f, -2.0f, 1.0f, -1.0f, 0.5f };
	static const int16_t want[] = { 0, 32767, -32768, 32767, -32768, 32767, -32768, 16384 };
	const struct fmt f32 = { "float32", 3, 0, 32, 32 };
	struct buf b = { 0 };
	struct vx_wav_reader *r;
	int16_t out[8];

	(void)state;
	b_riff(&b);
	b_fmt(&b, &f32, 1, 48000, 0);
	b_data_header(&b, sizeof(in));
	b_bytes(&b, in, sizeof(in)); /* little-endian host */
	r = open_mem(&b, 1);
	assert_int_equal(read_all(r, out, 8, 8, 1), 8);
	assert_memory_equal(out, want, sizeof(want));
	vx_wav_reader_close(r);
	free(b.p);
}

/* More than two channels to stereo, placed by dwChannelMask rather than by count. */
static void test_wav_stereo_mix_follows_the_channel_mask(void **state)
{
	const struct fmt ext16 = { "ext s16", 0xfffe, 1, 16, 16 };
	struct buf b = { 0 };
	struct vx_wav_reader *r;
	int16_t out[4];

	(void)state;
	/* Three channels FL, FR, LFE (mask 0xb): L = FL, R = FR, LFE dropped. */
	b_riff(&b);
	b_fmt(&b, &ext16, 3, 48000, 0xb);
	b_data_header(&b, 12);
	b_u16(&b, 1000);
	b_u16(&b, (uint16_t)-2000);
	b_u16(&b, 30000);
	b_u16(&b, 10);
	b_u16(&b, 20);
	b_u16(&b, 30000);
	r = open_mem(&b, 2);
	assert_int_equal(read_all(r, out, 2, 2, 2), 2);
	assert_int_equal(out[0], 1000);
	assert_int_equal(out[1], -2000);
	assert_int_equal(out[2], 10);
	assert_int_equal(out[3], 20);
	vx_wav_reader_close(r);
	free(b.p);

	/* Three centre channels (FC, BC, TC: mask 0x904): both sides get the mean. */
	b = (struct buf){ 0 };
	b_riff(&b);
	b_fmt(&b, &ext16, 3, 48000, 0x904);
	b_data_header(&b, 6);
	b_u16(&b, 300);
	b_u16(&b, 600);
	b_u16(&b, 900);
	r = open_mem(&b, 2);
	assert_int_equal(read_all(r, out, 1, 1, 2), 1);
	assert_int_equal(out[0], 600);
	assert_int_equal(out[1], 600);
	vx_wav_reader_close(r);
	free(b.p);
}

/* ---- other rates: length and frequency ------------------------------------------------ */

struct rate_case {
	uint32_t rate;
	unsigned fmt;      /* index into fmts */
	unsigned ch;       /* input channels */
	unsigned out_ch;
	double freq;       /* Hz, left; right (stereo out) gets half */
	double tol;        /* max error against the ideal sine, int16 units */
};

/*
 * Tolerance, in int16 units against the ideal 0.5-full-scale sine: quality 5 keeps
 * these tones well inside its pass band, so the error is the int16 rounding plus
 * filter ripple; measured at most 1.1, allowed 8 (-66 dB). 8-bit input brings its
 * own quantisation noise (+-128 units before filtering; measured 206, allowed 300).
 * The ends ring (the sine starts and stops abruptly) for half the filter, 40 input
 * samples at quality 5, so the first and last 5 ms + 48 input samples are skipped.
 */
static const struct rate_case rate_cases[] = {
	{ 8000, 1, 1, 1, 440, 8 },
	{ 11025, 0, 1, 1, 1000, 300 },
	{ 16000, 1, 2, 2, 1000, 8 },
	{ 22050, 1, 1, 1, 1000, 8 },
	{ 44100, 1, 2, 1, 1000, 8 },
	{ 44100, 2, 6, 1, 1000, 8 },
	{ 44100, 7, 2, 2, 3000, 8 },
	{ 48000, 1, 1, 1, 1000, 0.5 },
	{ 96000, 4, 2, 1, 1000, 8 },
	{ 192000, 5, 1, 1, 5000, 8 },
	{ 1000, 1, 1, 1, 100, 8 },
	{ 384000, 1, 1, 1, 1000, 8 },
};

static size_t zero_crossings(const int16_t *x, size_t n, size_t stride)
{
	size_t z = 0;

	for (size_t i = 1; i < n; i++)
		z += (x[(i - 1) * stride] < 0) != (x[i * stride] < 0);
	return z;
}

static void check_rate(const struct rate_case *rc)
{
	const struct fmt *f = &fmts[rc->fmt];
	size_t n = rc->rate / 2, edge = 240 + 48 * 48000 / rc->rate; /* 0.5 s */
	size_t want = (n * 48000 + rc->rate / 2) / rc->rate;
	int16_t *out = malloc((want + 1) * 2 * sizeof(*out));
	struct buf b = { 0 };
	struct vx_wav_reader *r;
	double amp = 16384;

	assert_non_null(out);
	b_riff(&b);
	b_fmt(&b, f, rc->ch, rc->rate, 0);
	b_data_header(&b, (uint32_t)(n * rc->ch * f->bits / 8));
	for (size_t i = 0; i < n; i++)
		for (unsigned c = 0; c < rc->ch; c++) {
			double hz = rc->out_ch == 2 && (c & 1) ? rc->freq / 2 : rc->freq;
			double x = 0.5 * sin(2 * M_PI * hz * (double)i / rc->rate);
			unsigned fbits = f->tag == 0xfffe ? f->sub : f->tag;
			unsigned w = fbits == 3 ? (f->bits == 32 ? 24 : 32) : f->bits;

			put_sample(&b, f, llround(x * (double)((int64_t)1 << (w - 1))));
		}

	r = open_mem(&b, rc->out_ch);
	assert_int_equal(vx_wav_reader_info(r)->out_frames, want);
	if (read_all(r, out, want + 1, 1000, rc->out_ch) != want)
		fail_msg("%u Hz %s: wrong length", rc->rate, f->name);
	vx_wav_reader_close(r);

	for (unsigned c = 0; c < rc->out_ch; c++) {
		double hz = c ? rc->freq / 2 : rc->freq, worst = 0;
		size_t z = zero_crossings(out + c, want, rc->out_ch);

		/* 0.5 s of a sine starting at phase 0 crosses zero 2 * 0.5 * hz times. */
		if (fabs((double)z - hz) > 2)
			fail_msg("%u Hz %s: %zu zero crossings, want %.0f", rc->rate, f->name, z, hz);
		for (size_t i = edge; i < want - edge; i++) {
			double e = fabs(out[i * rc->out_ch + c] -
					amp * sin(2 * M_PI * hz * (double)i / 48000));

			worst = e > worst ? e : worst;
		}
		if (worst > rc->tol)
			fail_msg("%u Hz %s ch %u: error %.1f > %.1f", rc->rate, f->name, c, worst,
				 rc->tol);
	}
	free(out);
	free(b.p);
}

static void test_wav_resamples_to_exact_length_and_keeps_the_frequency(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rate_cases) / sizeof(rate_cases[0]); i++)
		check_rate(&rate_cases[i]);
}

/* The read size must not change the samples (buffer boundaries, resampler state). */
static void test_wav_read_size_does_not_change_the_output(void **state)
{
	static const uint32_t rates[] = { 44100, 48000 };
	static const size_t steps[] = { 1, 7, 960, 5000 };
	const size_t n = 4410, cap = 4900;
	int16_t *ref = malloc(cap * sizeof(*ref)), *out = malloc(cap * sizeof(*out));
	uint64_t rng = 7;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct buf b = { 0 };
		struct vx_wav_reader *r;
		size_t len;

		b_riff(&b);
		b_fmt(&b, &fmts[1], 2, rates[k], 0);
		b_data_header(&b, (uint32_t)n * 4);
		for (size_t i = 0; i < 2 * n; i++)
			b_u16(&b, (unsigned)(vx_rand64(&rng) >> 52)); /* 12-bit noise */
		r = open_mem(&b, 1);
		len = read_all(r, ref, cap, cap, 1);
		assert_int_equal(len, (n * 48000 + rates[k] / 2) / rates[k]);
		vx_wav_reader_close(r);
		for (size_t s = 0; s < 4; s++) {
			r = open_mem(&b, 1);
			assert_int_equal(read_all(r, out, cap, steps[s], 1), len);
			assert_memory_equal(out, ref, len * sizeof(*ref));
			vx_wav_reader_close(r);
		}
		free(b.p);
	}
	free(ref);
	free(out);
}

/* ---- chunk layout -------------------------------------------------------------------------- */

static void test_wav_skips_unknown_chunks_and_pad_bytes(void **state)
{
	static const uint8_t junk[7] = { 'J', 'U', 'N', 'K', '!', 0, 1 };
	const int16_t samples[] = { 1, -2, 3, -32768, 32767 };
	struct buf b = { 0 };
	struct vx_wav_reader *r;
	int16_t out[8];

	(void)state;
	b_riff(&b);
	b_chunk(&b, "LIST", junk, 3); /* odd: a pad byte follows */
	b_chunk(&b, "JUNK", junk, 0);
	b_fmt(&b, &fmts[1], 1, 48000, 0);
	b_chunk(&b, "fact", junk, 4);
	b_chunk(&b, "cue ", junk, 7);
	b_chunk(&b, "bext", junk, 1);
	b_chunk(&b, "data", samples, sizeof(samples));
	b_chunk(&b, "LIST", junk, 5); /* after the data: never read */
	r = open_mem(&b, 1);
	assert_int_equal(read_all(r, out, 8, 8, 1), 5);
	assert_memory_equal(out, samples, sizeof(samples));
	vx_wav_reader_close(r);
	free(b.p);
}

/* An odd-sized 8-bit data chunk, its pad byte, and a chunk after it. */
static void test_wav_odd_sized_data_chunk_is_read_exactly(void **state)
{
	static const uint8_t u8[3] = { 0, 128, 255 };
	static const int16_t want[3] = { -32768, 0, 32512 };
	struct buf b = { 0 };
	struct vx_wav_reader *r;
	int16_t out[4];

	(void)state;
	b_riff(&b);
	b_fmt(&b, &fmts[0], 1, 48000, 0);
	b_chunk(&b, "data", u8, 3);
	b_chunk(&b, "LIST", u8, 3);
	r = open_mem(&b, 1);
	assert_int_equal(read_all(r, out, 4, 4, 1), 3);
	assert_memory_equal(out, want, sizeof(want));
	vx_wav_reader_close(r);
	free(b.p);
}

static void test_wav_data_size_with_a_partial_frame_drops_it(void **state)
{
	struct buf b = { 0 };
	struct vx_wav_reader *r;
	int16_t out[4];

	(void)state;
	b_riff(&b);
	b_fmt(&b, &fmts[1], 2, 48000, 0);
	b_data_header(&b, 10); /* two frames of 4 bytes and half of one */
	for (unsigned i = 0; i < 5; i++)
		b_u16(&b, i + 1);
	r = open_mem(&b, 2);
	assert_int_equal(vx_wav_reader_info(r)->frames, 2);
	assert_int_equal(read_all(r, out, 2, 2, 2), 2);
	assert_int_equal(out[3], 4);
	assert_false(vx_wav_reader_is_truncated(r));
	vx_wav_reader_close(r);
	free(b.p);
}

/* Build a 16-bit mono file of @n samples 1..n with a given data size field. */
static void b_counting(struct buf *b, uint32_t size_field, unsigned n)
{
	b_riff(b);
	b_chunk(b, "LIST", "abc", 3);
	b_fmt(b, &fmts[1], 1, 48000, 0);
	b_data_header(b, size_field);
	for (unsigned i = 1; i <= n; i++)
		b_u16(b, i);
}

static void check_counting(struct vx_wav_reader *r, unsigned n, bool truncated)
{
	int16_t out[64];

	assert_int_equal(read_all(r, out, 64, 5, 1), n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(out[i], i + 1);
	assert_int_equal(vx_wav_reader_is_truncated(r), truncated);
	vx_wav_reader_close(r);
}

/* A pipe's read end holding @b (small enough for the pipe buffer), as a path. */
static const char *as_pipe(const struct buf *b, int *rfd)
{
	static char path[64];
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], b->p, b->len), (ssize_t)b->len);
	close(fds[1]);
	*rfd = fds[0];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	return path;
}

/* Sources: 0 memory, 1 regular file, 2 pipe (no size, no seeking). */
static struct vx_wav_reader *open_source(const struct buf *b, int source)
{
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	const char *path = tmp_path("src.wav");
	int fd = -1, ret;

	if (source == 0)
		return open_mem(b, 1);
	if (source == 1)
		write_file(path, b->p, b->len);
	else
		path = as_pipe(b, &fd);
	ret = vx_wav_reader_open(&r, path, 1, err, sizeof(err));
	if (fd >= 0)
		close(fd);
	if (ret)
		fail_msg("open %s: %s", path, err);
	return r;
}

static void test_wav_streamed_sizes_read_to_the_end(void **state)
{
	static const uint32_t sizes[] = { 0, 0xffffffff };

	(void)state;
	for (int src = 0; src < 3; src++)
		for (size_t k = 0; k < 2; k++) {
			struct buf b = { 0 };
			struct vx_wav_reader *r;

			b_counting(&b, sizes[k], 37);
			b_u8(&b, 0x55); /* a partial last frame, as a killed writer leaves */
			r = open_source(&b, src);
			assert_true(vx_wav_reader_info(r)->streamed);
			assert_int_equal(vx_wav_reader_info(r)->frames, src == 2 ? -1 : 37);
			check_counting(r, 37, false);
			free(b.p);
		}
}

static void test_wav_data_larger_than_file_reads_what_is_there_and_flags_it(void **state)
{
	(void)state;
	for (int src = 0; src < 3; src++) {
		struct buf b = { 0 };
		struct vx_wav_reader *r;

		b_counting(&b, 1000000, 21);
		b_u8(&b, 0x55);
		r = open_source(&b, src);
		assert_false(vx_wav_reader_info(r)->streamed);
		/* Memory and regular files know at open; a pipe only at the end. */
		assert_int_equal(vx_wav_reader_is_truncated(r), src != 2);
		check_counting(r, 21, true);
		free(b.p);
	}
}

/* ---- bad input: one case per error path ----------------------------------------------- */

struct bad {
	const char *name;
	void (*build)(struct buf *b);
	int err;
	const char *msg;
};

static void bad_empty(struct buf *b)
{
	(void)b;
}

static void bad_ogg(struct buf *b)
{
	b_bytes(b, "OggS\0\2\0\0\0\0\0\0\0\0", 14);
}

static void bad_rifx(struct buf *b)
{
	b_bytes(b, "RIFX\0\0\0\0WAVE", 12);
}

static void bad_rf64(struct buf *b)
{
	b_bytes(b, "RF64\xff\xff\xff\xffWAVE", 12);
}

static void bad_short_riff(struct buf *b)
{
	b_bytes(b, "RIFF\0\0\0\0", 8);
}

static void bad_avi(struct buf *b)
{
	b_bytes(b, "RIFF\0\0\0\0AVI LIST", 16);
}

static void bad_short_chunk_header(struct buf *b)
{
	b_riff(b);
	b_bytes(b, "fmt \x10", 5);
}

static void bad_no_fmt(struct buf *b)
{
	b_riff(b);
	b_chunk(b, "LIST", "x", 1);
}

static void bad_no_data(struct buf *b)
{
	b_riff(b);
	b_fmt(b, &fmts[1], 1, 48000, 0);
	b_chunk(b, "LIST", "x", 1);
}

static void bad_data_first(struct buf *b)
{
	b_riff(b);
	b_chunk(b, "data", "\0\0\0\0", 4);
	b_fmt(b, &fmts[1], 1, 48000, 0);
}

static void bad_two_fmts(struct buf *b)
{
	b_riff(b);
	b_fmt(b, &fmts[1], 1, 48000, 0);
	b_fmt(b, &fmts[1], 1, 48000, 0);
	b_data_header(b, 0);
}

/* A fmt chunk with fields given, @size declared, @have bytes of it present. */
static void b_fmt_raw(struct buf *b, uint32_t size, size_t have, unsigned tag, unsigned ch,
		      uint32_t rate, unsigned align, unsigned bits)
{
	struct buf f = { 0 };

	b_u16(&f, tag);
	b_u16(&f, ch);
	b_u32(&f, rate);
	b_u32(&f, rate * align);
	b_u16(&f, align);
	b_u16(&f, bits);
	while (f.len < have)
		b_u8(&f, 0);
	b_id(b, "fmt ");
	b_u32(b, size);
	b_bytes(b, f.p, have);
	free(f.p);
}

static void bad_fmt_small(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 14, 14, 1, 1, 48000, 2, 16);
	b_data_header(b, 0);
}

static void bad_fmt_huge(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 0x7fffffff, 16, 1, 1, 48000, 2, 16);
}

static void bad_fmt_truncated(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 12, 1, 1, 48000, 2, 16);
}

static void bad_fmt_truncated_tail(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 50, 44, 1, 1, 48000, 2, 16);
}

static void bad_zero_channels(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 0, 48000, 0, 16);
	b_data_header(b, 0);
}

static void bad_many_channels(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 300, 48000, 600, 16);
	b_data_header(b, 0);
}

static void bad_zero_rate(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 1, 0, 2, 16);
	b_data_header(b, 0);
}

static void bad_low_rate(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 1, 500, 2, 16);
	b_data_header(b, 0);
}

static void bad_high_rate(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 1, 768000, 2, 16);
	b_data_header(b, 0);
}

static void bad_adpcm(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 20, 20, 2, 1, 8000, 256, 4);
	b_data_header(b, 0);
}

static void bad_mulaw(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 18, 18, 7, 1, 8000, 1, 8);
	b_data_header(b, 0);
}

static void bad_alaw(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 18, 18, 6, 1, 8000, 1, 8);
	b_data_header(b, 0);
}

static void bad_ext_small(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 18, 18, 0xfffe, 1, 48000, 2, 16);
	b_data_header(b, 0);
}

static void bad_ext_cbsize(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 40, 40, 0xfffe, 1, 48000, 2, 16); /* cbSize and the rest zero */
	b_data_header(b, 0);
}

/* An extensible fmt whose GUID is @guid (16 bytes). */
static void b_ext_guid(struct buf *b, const uint8_t *guid)
{
	b_riff(b);
	b_fmt_raw(b, 40, 16, 0xfffe, 1, 48000, 2, 16);
	b_u16(b, 22);
	b_u16(b, 16);
	b_u32(b, 4);
	b_bytes(b, guid, 16);
	b_data_header(b, 0);
}

static void bad_ext_guid(struct buf *b)
{
	/* KSDATAFORMAT_SUBTYPE_ADPCM's neighbour: a made-up vendor GUID. */
	static const uint8_t g[16] = { 1, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4, 5, 6, 7, 8 };

	b_ext_guid(b, g);
}

static void bad_ext_mulaw(struct buf *b)
{
	static const uint8_t g[16] = { 7, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38,
				       0x9b, 0x71 };

	b_ext_guid(b, g);
}

static void bad_float16(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 3, 1, 48000, 2, 16);
	b_data_header(b, 0);
}

static void bad_pcm40(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 1, 48000, 5, 40);
	b_data_header(b, 0);
}

static void bad_pcm0(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 1, 48000, 0, 0);
	b_data_header(b, 0);
}

static void bad_valid_bits(struct buf *b)
{
	const struct fmt f = { "", 0xfffe, 1, 16, 20 };

	b_riff(b);
	b_fmt(b, &f, 1, 48000, 0);
	b_data_header(b, 0);
}

static void bad_align(struct buf *b)
{
	b_riff(b);
	b_fmt_raw(b, 16, 16, 1, 2, 48000, 3, 16);
	b_data_header(b, 0);
}

static void bad_truncated_list(struct buf *b)
{
	b_riff(b);
	b_fmt(b, &fmts[1], 1, 48000, 0);
	b_id(b, "LIST");
	b_u32(b, 100);
	b_bytes(b, "0123456789", 10);
}

static struct bad bads[] = {
	{ "test_wav_rejects_empty_input", bad_empty, -EINVAL, "mem.wav: empty file" },
	{ "test_wav_rejects_non_riff", bad_ogg, -EINVAL, "not a RIFF/WAVE file (starts with 'OggS')" },
	{ "test_wav_rejects_rifx", bad_rifx, -ENOTSUP, "big-endian RIFX files are not supported" },
	{ "test_wav_rejects_rf64", bad_rf64, -ENOTSUP, "RF64 files are not supported" },
	{ "test_wav_rejects_truncated_riff_header", bad_short_riff, -EINVAL,
	  "truncated RIFF header (8 of 12 bytes)" },
	{ "test_wav_rejects_riff_not_wave", bad_avi, -EINVAL, "RIFF file of form 'AVI ', not WAVE" },
	{ "test_wav_rejects_truncated_chunk_header", bad_short_chunk_header, -EINVAL,
	  "truncated chunk header (5 of 8 bytes)" },
	{ "test_wav_rejects_missing_fmt", bad_no_fmt, -EINVAL, "no fmt chunk" },
	{ "test_wav_rejects_missing_data", bad_no_data, -EINVAL, "no data chunk" },
	{ "test_wav_rejects_data_before_fmt", bad_data_first, -EINVAL,
	  "data chunk before fmt chunk" },
	{ "test_wav_rejects_second_fmt", bad_two_fmts, -EINVAL, "second fmt chunk" },
	{ "test_wav_rejects_small_fmt", bad_fmt_small, -EINVAL,
	  "fmt chunk too small (14 bytes; at least 16)" },
	{ "test_wav_rejects_huge_fmt", bad_fmt_huge, -EINVAL,
	  "absurd fmt chunk size (2147483647 bytes; at most 65553)" },
	{ "test_wav_rejects_truncated_fmt", bad_fmt_truncated, -EINVAL,
	  "mem.wav: truncated fmt chunk (12 of 16 bytes)" },
	{ "test_wav_rejects_truncated_fmt_tail", bad_fmt_truncated_tail, -EINVAL,
	  "truncated fmt chunk (44 of 50 bytes)" },
	{ "test_wav_rejects_zero_channels", bad_zero_channels, -EINVAL, "zero channels" },
	{ "test_wav_rejects_too_many_channels", bad_many_channels, -EINVAL,
	  "too many channels (300; at most 256)" },
	{ "test_wav_rejects_zero_rate", bad_zero_rate, -EINVAL, "zero sample rate" },
	{ "test_wav_rejects_low_rate", bad_low_rate, -EINVAL,
	  "sample rate 500 Hz out of range (1000 to 384000)" },
	{ "test_wav_rejects_high_rate", bad_high_rate, -EINVAL, "sample rate 768000 Hz out of range" },
	{ "test_wav_rejects_adpcm_by_name", bad_adpcm, -ENOTSUP,
	  "unsupported format tag 0x0002 (Microsoft ADPCM)" },
	{ "test_wav_rejects_mulaw_by_name", bad_mulaw, -ENOTSUP,
	  "unsupported format tag 0x0007 (mu-law)" },
	{ "test_wav_rejects_alaw_by_name", bad_alaw, -ENOTSUP, "unsupported format tag 0x0006 (A-law)" },
	{ "test_wav_rejects_small_extensible_fmt", bad_ext_small, -EINVAL,
	  "extensible fmt chunk too small (18 bytes; 40 needed)" },
	{ "test_wav_rejects_extensible_cbsize", bad_ext_cbsize, -EINVAL,
	  "extensible fmt chunk with cbSize 0 (22 needed)" },
	{ "test_wav_rejects_unknown_subformat_guid", bad_ext_guid, -ENOTSUP,
	  "unsupported extensible subformat GUID {00000001-3412-7856-0102-030405060708}" },
	{ "test_wav_rejects_extensible_mulaw", bad_ext_mulaw, -ENOTSUP,
	  "unsupported format tag 0x0007 (mu-law) in an extensible fmt chunk" },
	{ "test_wav_rejects_16_bit_float", bad_float16, -EINVAL,
	  "unsupported float sample width (16 bits)" },
	{ "test_wav_rejects_40_bit_pcm", bad_pcm40, -EINVAL, "unsupported PCM sample width (40 bits)" },
	{ "test_wav_rejects_0_bit_pcm", bad_pcm0, -EINVAL, "unsupported PCM sample width (0 bits)" },
	{ "test_wav_rejects_valid_bits_over_container", bad_valid_bits, -EINVAL,
	  "valid bits per sample (20) larger than the 16-bit container" },
	{ "test_wav_rejects_inconsistent_block_align", bad_align, -EINVAL,
	  "block align 3 inconsistent with 2 channels x 16 bits (expected 4)" },
	{ "test_wav_rejects_truncated_chunk_before_data", bad_truncated_list, -EINVAL,
	  "truncated 'LIST' chunk (10 of 100 bytes) before the data chunk" },
};

static void check_error(int ret, const char *err, int want_ret, const char *want_msg)
{
	if (ret != want_ret || !strstr(err, want_msg))
		fail_msg("got %d \"%s\", want %d \"...%s...\"", ret, err, want_ret, want_msg);
}

static void run_bad(void **state)
{
	const struct bad *t = *state;
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	struct buf b = { 0 };
	int ret;

	t->build(&b);
	ret = vx_wav_reader_open_memory(&r, b.p, b.len, "mem.wav", 1, err, sizeof(err));
	check_error(ret, err, t->err, t->msg);
	assert_null(r);
	/* The message starts with the input's name. */
	assert_int_equal(strncmp(err, "mem.wav: ", 9), 0);
	free(b.p);
}

static void test_wav_rejects_a_directory(void **state)
{
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";

	(void)state;
	check_error(vx_wav_reader_open(&r, tmp_dir(), 1, err, sizeof(err)), err, -EISDIR,
		    "is a directory");
	assert_int_equal(strncmp(err, tmp_dir(), strlen(tmp_dir())), 0);
}

static void test_wav_rejects_a_missing_file(void **state)
{
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	const char *path = tmp_path("no-such.wav");

	(void)state;
	check_error(vx_wav_reader_open(&r, path, 1, err, sizeof(err)), err, -ENOENT,
		    "no-such.wav: open: No such file or directory");
}

static void test_wav_rejects_an_empty_file(void **state)
{
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	const char *path = tmp_path("empty.wav");

	(void)state;
	write_file(path, "", 0);
	check_error(vx_wav_reader_open(&r, path, 1, err, sizeof(err)), err, -EINVAL,
		    "empty.wav: empty file");
}

static void test_wav_rejects_three_output_channels(void **state)
{
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	struct buf b = { 0 };

	(void)state;
	b_counting(&b, 8, 4);
	check_error(vx_wav_reader_open_memory(&r, b.p, b.len, NULL, 3, err, sizeof(err)), err,
		    -EINVAL, "<memory>: output channels must be 1 or 2 (not 3)");
	free(b.p);
}

static void test_wav_short_message_buffer_is_terminated(void **state)
{
	struct vx_wav_reader *r = NULL;
	char err[12];
	struct buf b = { 0 };

	(void)state;
	bad_ogg(&b);
	memset(err, 'x', sizeof(err));
	assert_int_equal(vx_wav_reader_open_memory(&r, b.p, b.len, "mem.wav", 1, err, 8), -EINVAL);
	assert_string_equal(err, "mem.wav");
	assert_int_equal(err[8], 'x');
	assert_int_equal(vx_wav_reader_open_memory(&r, b.p, b.len, "mem.wav", 1, NULL, 0), -EINVAL);
	free(b.p);
}

/* Plain PCM of 12 bits: left-justified in 16, the low 4 bits cleared. */
static void test_wav_pcm_12_bit_sits_in_a_16_bit_container(void **state)
{
	static const int16_t want[3] = { 0x1230, -16, -32768 };
	struct vx_wav_reader *r;
	struct buf b = { 0 };
	int16_t out[3];

	(void)state;
	b_riff(&b);
	b_fmt_raw(&b, 16, 16, 1, 1, 48000, 2, 12);
	b_data_header(&b, 6);
	b_u16(&b, 0x1234);
	b_u16(&b, 0xffff);
	b_u16(&b, 0x800f);
	r = open_mem(&b, 1);
	assert_int_equal(vx_wav_reader_info(r)->bits, 16);
	assert_int_equal(vx_wav_reader_info(r)->valid_bits, 12);
	assert_int_equal(read_all(r, out, 3, 3, 1), 3);
	assert_memory_equal(out, want, sizeof(want));
	vx_wav_reader_close(r);
	free(b.p);
}

/* ---- real files ------------------------------------------------------------------------------ */

/* alsa-utils is a project dependency: its speech files must be there. */
static void test_wav_reads_alsa_front_center_bit_exact(void **state)
{
	const char *path = "/usr/share/sounds/alsa/Front_Center.wav";
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	uint8_t *file;
	int16_t *out;
	size_t len, at = 12, data = 0, frames;
	FILE *f;

	(void)state;
	f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: missing: install alsa-utils (a project dependency)", path);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	file = malloc(len);
	assert_non_null(file);
	assert_int_equal(fread(file, 1, len, f), len);
	fclose(f);
	/* Find the data chunk by walking the chunks: an independent reading. */
	while (at + 8 <= len && !data) {
		uint32_t size = (uint32_t)file[at + 4] | (uint32_t)file[at + 5] << 8 |
				(uint32_t)file[at + 6] << 16 | (uint32_t)file[at + 7] << 24;

		if (!memcmp(file + at, "data", 4))
			data = at + 8;
		else
			at += 8 + size + (size & 1);
	}
	assert_true(data > 0);
	frames = (size_t)(file[data - 4] | file[data - 3] << 8 | file[data - 2] << 16) / 2;
	assert_true(data + frames * 2 <= len);

	assert_int_equal(vx_wav_reader_open(&r, path, 1, err, sizeof(err)), 0);
	assert_int_equal(vx_wav_reader_info(r)->rate, 48000);
	assert_int_equal(vx_wav_reader_info(r)->channels, 1);
	assert_int_equal(vx_wav_reader_info(r)->bits, 16);
	assert_true(frames > 48000); /* over a second of speech */
	out = malloc(frames * sizeof(*out));
	assert_non_null(out);
	assert_int_equal(read_all(r, out, frames, 960, 1), frames);
	assert_memory_equal(out, file + data, frames * 2); /* little-endian host */
	vx_wav_reader_close(r);
	free(out);
	free(file);
}

/* The fixture script's espeak-ng passage: 22050 Hz speech, about 26 s. */
static void test_wav_reads_the_espeak_passage_fixture(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char dir[256], cmd[600], path[300], err[VX_WAV_ERR_LEN] = "";
	struct vx_wav_reader *r = NULL;
	const struct vx_wav_info *in;
	int16_t pcm[960];
	size_t total = 0;
	double energy = 0;
	ssize_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/data/speech", build);
	snprintf(cmd, sizeof(cmd), "tests/data/make-speech.sh '%s'", dir);
	if (system(cmd) != 0)
		fail_msg("%s failed (run from the source tree; needs espeak-ng, sox, alsa-utils)", cmd);
	snprintf(path, sizeof(path), "%s/passage.wav", dir);
	if (vx_wav_reader_open(&r, path, 1, err, sizeof(err)))
		fail_msg("%s", err);
	in = vx_wav_reader_info(r);
	assert_int_equal(in->rate, 22050);
	assert_true(in->frames > 20 * 22050 && in->frames < 30 * 22050);
	while ((n = vx_wav_reader_read(r, pcm, 960)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			energy += (double)pcm[i] * pcm[i];
		total += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, in->out_frames);
	assert_int_equal(total, ((uint64_t)in->frames * 48000 + 11025) / 22050);
	assert_true(sqrt(energy / (double)total) > 300); /* speech, not silence */
	vx_wav_reader_close(r);

	snprintf(path, sizeof(path), "%s/front_center.wav", dir);
	if (vx_wav_reader_open(&r, path, 2, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(vx_wav_reader_info(r)->rate, 48000);
	vx_wav_reader_close(r);
}

/* ---- writer -------------------------------------------------------------------------------- */

static void fill_tone(int16_t *pcm, size_t n, uint64_t seed)
{
	uint64_t rng = seed;

	for (size_t i = 0; i < n; i++)
		pcm[i] = (int16_t)(vx_rand64(&rng) >> 48);
	if (n > 2) {
		pcm[0] = INT16_MIN;
		pcm[1] = INT16_MAX;
	}
}

/* Read @path back at its own rate (48 kHz) and compare with @want. */
static void check_file(const char *path, unsigned ch, const int16_t *want, size_t frames)
{
	struct vx_wav_reader *r = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	int16_t *out = malloc((frames + 1) * ch * sizeof(*out));

	assert_non_null(out);
	if (vx_wav_reader_open(&r, path, ch, err, sizeof(err)))
		fail_msg("%s", err);
	assert_false(vx_wav_reader_info(r)->streamed);
	assert_int_equal(vx_wav_reader_info(r)->frames, frames);
	assert_int_equal(read_all(r, out, frames + 1, 4000, ch), frames);
	assert_false(vx_wav_reader_is_truncated(r));
	assert_memory_equal(out, want, frames * ch * sizeof(*out));
	vx_wav_reader_close(r);
	free(out);
}

static void test_wav_writer_round_trips_s16_and_f32_mono_and_stereo(void **state)
{
	const size_t frames = 10000;
	int16_t *pcm = malloc(frames * 2 * sizeof(*pcm));
	float *fl = malloc(frames * 2 * sizeof(*fl));

	(void)state;
	assert_non_null(pcm);
	assert_non_null(fl);
	for (unsigned ch = 1; ch <= 2; ch++)
		for (int enc = VX_WAV_S16; enc <= VX_WAV_F32; enc++)
			for (int use_float = 0; use_float < 2; use_float++) {
				const char *path = tmp_path("rt.wav");
				struct vx_wav_writer *w;
				size_t done = 0;

				fill_tone(pcm, frames * ch, ch * 10 + (unsigned)enc);
				for (size_t i = 0; i < frames * ch; i++)
					fl[i] = (float)pcm[i] / 32768.0f;
				assert_int_equal(vx_wav_writer_open(&w, path, 48000, ch,
								    (enum vx_wav_encoding)enc), 0);
				/* Uneven calls, one larger than the writer's buffer. */
				for (size_t step = 1; done < frames; step = step * 7 + 3) {
					size_t n = frames - done < step ? frames - done : step;

					if (use_float)
						assert_int_equal(vx_wav_writer_write_float(w, fl + done * ch, n), 0);
					else
						assert_int_equal(vx_wav_writer_write(w, pcm + done * ch, n), 0);
					done += n;
				}
				assert_int_equal(vx_wav_writer_frames(w), frames);
				assert_int_equal(vx_wav_writer_close(w), 0);
				check_file(path, ch, pcm, frames);
			}
	free(pcm);
	free(fl);
}

static void test_wav_writer_header_is_canonical(void **state)
{
	static const uint8_t want[44] = {
		'R', 'I', 'F', 'F', 44 - 8 + 8, 0, 0, 0, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 2, 0, 0x44, 0xac, 0, 0,
		0x10, 0xb1, 2, 0, 4, 0, 16, 0, 'd', 'a', 't', 'a', 8, 0, 0, 0 };
	static const uint8_t want_f[58] = {
		'R', 'I', 'F', 'F', 58 - 8 + 4, 0, 0, 0, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 18, 0, 0, 0, 3, 0, 1, 0, 0x80, 0xbb, 0, 0,
		0, 0xee, 2, 0, 4, 0, 32, 0, 0, 0, 'f', 'a', 'c', 't', 4, 0, 0, 0,
		1, 0, 0, 0, 'd', 'a', 't', 'a', 4, 0, 0, 0 };
	const int16_t pcm[4] = { 1, 2, 3, 4 };
	const char *path = tmp_path("hdr.wav");
	struct vx_wav_writer *w;
	uint8_t got[64];
	FILE *f;

	(void)state;
	assert_int_equal(vx_wav_writer_open(&w, path, 44100, 2, VX_WAV_S16), 0);
	assert_int_equal(vx_wav_writer_write(w, pcm, 2), 0);
	assert_int_equal(vx_wav_writer_close(w), 0);
	f = fopen(path, "rb");
	assert_int_equal(fread(got, 1, sizeof(got), f), 44 + 8);
	fclose(f);
	assert_memory_equal(got, want, 44);

	assert_int_equal(vx_wav_writer_open(&w, path, 48000, 1, VX_WAV_F32), 0);
	assert_int_equal(vx_wav_writer_write(w, pcm, 1), 0);
	assert_int_equal(vx_wav_writer_close(w), 0);
	f = fopen(path, "rb");
	assert_int_equal(fread(got, 1, sizeof(got), f), 58 + 4);
	fclose(f);
	assert_memory_equal(got, want_f, 58);
}

static void test_wav_writer_rejects_bad_arguments(void **state)
{
	struct vx_wav_writer *w = NULL;
	const char *path = tmp_path("args.wav");

	(void)state;
	assert_int_equal(vx_wav_writer_open(&w, path, 0, 1, VX_WAV_S16), -EINVAL);
	assert_int_equal(vx_wav_writer_open(&w, path, 400000, 1, VX_WAV_S16), -EINVAL);
	assert_int_equal(vx_wav_writer_open(&w, path, 48000, 3, VX_WAV_S16), -EINVAL);
	assert_int_equal(vx_wav_writer_open(&w, path, 48000, 1, (enum vx_wav_encoding)9), -EINVAL);
	assert_int_equal(vx_wav_writer_open(&w, tmp_dir(), 48000, 1, VX_WAV_S16), -EISDIR);
	assert_null(w);
	assert_int_equal(vx_wav_writer_close(NULL), 0);
}

/*
 * Recording killed by a signal. The child writes @calls calls of 480 frames, then
 * (if @extra) appends @extra frames behind the writer's back, as a write the signal
 * interrupted before its header update would leave them; it tells the parent over a
 * pipe and waits. The parent sends @sig; for SIGTERM the child's handler calls
 * vx_wav_writer_finalize_signal() and re-raises. No sleeps: the pipe orders it all.
 */
static struct vx_wav_writer *recording;

static void on_term(int sig)
{
	vx_wav_writer_finalize_signal(recording);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void record_and_die(const char *path, int sig, size_t calls, size_t extra,
			   const int16_t *pcm)
{
	int go[2], status;
	pid_t pid;
	char c = 0;

	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[0]);
		if (vx_wav_writer_open(&recording, path, 48000, 2, VX_WAV_S16))
			_exit(2);
		if (sig == SIGTERM)
			signal(SIGTERM, on_term);
		for (size_t i = 0; i < calls; i++)
			if (vx_wav_writer_write(recording, pcm + i * 480 * 2, 480))
				_exit(3);
		if (extra) {
			int fd = open(path, O_WRONLY | O_APPEND);

			if (fd < 0 || write(fd, pcm + calls * 480 * 2, extra * 4) != (ssize_t)extra * 4)
				_exit(4);
			close(fd);
		}
		if (write(go[1], "k", 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	close(go[1]);
	assert_int_equal(read(go[0], &c, 1), 1);
	close(go[0]);
	assert_int_equal(kill(pid, sig), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
}

static void test_wav_writer_header_is_valid_after_sigkill(void **state)
{
	const size_t calls = 25; /* 0.25 s in 10 ms calls */
	int16_t *pcm = malloc(calls * 480 * 2 * sizeof(*pcm));
	const char *path = tmp_path("killed.wav");

	(void)state;
	fill_tone(pcm, calls * 480 * 2, 3);
	record_and_die(path, SIGKILL, calls, 0, pcm);
	check_file(path, 2, pcm, calls * 480);
	free(pcm);
}

static void test_wav_writer_finalize_signal_counts_an_interrupted_write(void **state)
{
	const size_t calls = 10, extra = 100;
	int16_t *pcm = malloc((calls * 480 + extra) * 2 * sizeof(*pcm));
	const char *path = tmp_path("termed.wav");

	(void)state;
	fill_tone(pcm, (calls * 480 + extra) * 2, 4);
	record_and_die(path, SIGTERM, calls, extra, pcm);
	check_file(path, 2, pcm, calls * 480 + extra);
	free(pcm);
}

static void test_wav_writer_full_disk_returns_enospc(void **state)
{
	static const int16_t pcm[5000];
	struct vx_wav_writer *w = NULL;
	const char *path = tmp_path("full.wav");
	int probe, full;

	(void)state;
	/* The header cannot be written: open fails. */
	assert_int_equal(vx_wav_writer_open(&w, "/dev/full", 48000, 1, VX_WAV_S16), -ENOSPC);
	assert_null(w);

	/* The disk fills after open: the writer's file descriptor (the lowest free
	 * one, found by probing) is swapped for /dev/full under it. */
	probe = open("/dev/null", O_RDONLY);
	assert_true(probe >= 0);
	close(probe);
	assert_int_equal(vx_wav_writer_open(&w, path, 48000, 1, VX_WAV_S16), 0);
	assert_int_equal(vx_wav_writer_write(w, pcm, 960), 0);
	full = open("/dev/full", O_WRONLY);
	assert_true(full >= 0);
	assert_int_equal(dup2(full, probe), probe);
	close(full);
	assert_int_equal(vx_wav_writer_write(w, pcm, 960), -ENOSPC);
	assert_int_equal(vx_wav_writer_write(w, pcm, 5000), -ENOSPC);
	assert_int_equal(vx_wav_writer_frames(w), 960);
	vx_wav_writer_close(w); /* fsync on /dev/full: its result does not matter here */
}

/* ---- real-time path ------------------------------------------------------------------------ */

static void test_wav_read_and_write_do_not_allocate(void **state)
{
	const struct fmt *f = &fmts[2];
	struct vx_wav_reader *rm, *rf, *rp;
	struct vx_wav_writer *w;
	struct buf b = { 0 };
	int16_t pcm[960 * 2];
	float fl[960 * 2] = { 0 };
	uint64_t rng = 5;
	const char *path = tmp_path("rt-src.wav");
	char err[VX_WAV_ERR_LEN];

	(void)state;
	allocs = 0;

	b_riff(&b);
	b_fmt(&b, f, 6, 44100, 0);
	b_data_header(&b, 44100 * 6 * 3);
	for (size_t i = 0; i < 44100 * 6; i++)
		put_sample(&b, f, pick(f, &rng, i));
	write_file(path, b.p, b.len);
	rm = open_mem(&b, 2);
	assert_int_equal(vx_wav_reader_open(&rf, path, 1, err, sizeof(err)), 0);
	assert_int_equal(vx_wav_reader_open(&rp, path, 2, err, sizeof(err)), 0);
	assert_int_equal(vx_wav_writer_open(&w, tmp_path("rt-dst.wav"), 48000, 2, VX_WAV_F32), 0);

	allocs_armed = true;
	while (vx_wav_reader_read(rm, pcm, 960) > 0)
		(void)!vx_wav_writer_write(w, pcm, 960);
	while (vx_wav_reader_read(rf, pcm, 960) > 0)
		(void)!vx_wav_writer_write_float(w, fl, 960);
	while (vx_wav_reader_read(rp, pcm, 960) > 0)
		continue;
	allocs_armed = false;
	assert_int_equal(allocs, 0);

	vx_wav_reader_close(rm);
	vx_wav_reader_close(rf);
	vx_wav_reader_close(rp);
	assert_int_equal(vx_wav_writer_close(w), 0);
	free(b.p);
}

static int remove_tmp(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir());
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wav_every_format_reads_exactly_at_48k),
		cmocka_unit_test(test_wav_float_nan_and_overs_saturate),
		cmocka_unit_test(test_wav_stereo_mix_follows_the_channel_mask),
		cmocka_unit_test(test_wav_resamples_to_exact_length_and_keeps_the_frequency),
		cmocka_unit_test(test_wav_read_size_does_not_change_the_output),
		cmocka_unit_test(test_wav_skips_unknown_chunks_and_pad_bytes),
		cmocka_unit_test(test_wav_odd_sized_data_chunk_is_read_exactly),
		cmocka_unit_test(test_wav_data_size_with_a_partial_frame_drops_it),
		cmocka_unit_test(test_wav_streamed_sizes_read_to_the_end),
		cmocka_unit_test(test_wav_data_larger_than_file_reads_what_is_there_and_flags_it),
		cmocka_unit_test(test_wav_rejects_a_directory),
		cmocka_unit_test(test_wav_rejects_a_missing_file),
		cmocka_unit_test(test_wav_rejects_an_empty_file),
		cmocka_unit_test(test_wav_rejects_three_output_channels),
		cmocka_unit_test(test_wav_short_message_buffer_is_terminated),
		cmocka_unit_test(test_wav_pcm_12_bit_sits_in_a_16_bit_container),
		cmocka_unit_test(test_wav_reads_alsa_front_center_bit_exact),
		cmocka_unit_test(test_wav_reads_the_espeak_passage_fixture),
		cmocka_unit_test(test_wav_writer_round_trips_s16_and_f32_mono_and_stereo),
		cmocka_unit_test(test_wav_writer_header_is_canonical),
		cmocka_unit_test(test_wav_writer_rejects_bad_arguments),
		cmocka_unit_test(test_wav_writer_header_is_valid_after_sigkill),
		cmocka_unit_test(test_wav_writer_finalize_signal_counts_an_interrupted_write),
		cmocka_unit_test(test_wav_writer_full_disk_returns_enospc),
		cmocka_unit_test(test_wav_read_and_write_do_not_allocate),
	};
	enum { NBAD = sizeof(bads) / sizeof(bads[0]) };
	struct CMUnitTest bad_tests[NBAD];
	int failed;

	/* One named case per rejected input, from the table. */
	for (size_t i = 0; i < NBAD; i++)
		bad_tests[i] = (struct CMUnitTest){ .name = bads[i].name, .test_func = run_bad,
						    .initial_state = (void *)&bads[i] };
	failed = cmocka_run_group_tests_name("wav", tests, NULL, NULL);
	failed += _cmocka_run_group_tests("wav bad input", bad_tests, NBAD, NULL, remove_tmp);
	return failed;
}
