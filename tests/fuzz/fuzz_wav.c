// SPDX-License-Identifier: MIT
/*
 * The WAV reader on untrusted bytes: open from memory, read every frame, close.
 *
 * Raw bytes rarely spell a valid RIFF header, so most inputs would die in the first
 * twelve bytes. The first byte therefore picks a mode:
 *   odd:  the rest is the file, as is (the parser's own validation);
 *   even: the next six bytes describe a header this target builds (format, channel
 *         count, rate, data size field, extra chunks, validBitsPerSample, read size)
 *         and the rest follows as sample data, so mutations reach the decoders, the
 *         channel mixes, the resampler and the end-of-data paths at once.
 * Oracle beyond the sanitizers: when the reader announces a length, it delivers
 * exactly that many frames; a read never returns more than asked or an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEP 1786

struct out {
	uint8_t *p;
	size_t len;
};

static void put(struct out *o, const void *d, size_t n)
{
	memcpy(o->p + o->len, d, n);
	o->len += n;
}

static void put16(struct out *o, unsigned v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(o, b, 2);
}

static void put32(struct out *o, uint32_t v)
{
	put16(o, v & 0xffff);
	put16(o, v >> 16);
}

/* tag, extensible subformat (0: plain), container bits */
static const uint16_t formats[][3] = {
	{ 1, 0, 8 }, { 1, 0, 16 }, { 1, 0, 24 }, { 1, 0, 32 }, { 3, 0, 32 }, { 3, 0, 64 },
	{ 0xfffe, 1, 8 }, { 0xfffe, 1, 16 }, { 0xfffe, 1, 24 }, { 0xfffe, 1, 32 },
	{ 0xfffe, 3, 32 }, { 0xfffe, 3, 64 }, { 1, 0, 12 }, { 1, 0, 20 }, { 7, 0, 8 },
	{ 3, 0, 16 },
};

/* Common rates, the limits and just past them, and ones with awkward ratios. */
static const uint32_t rates[] = { 8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000,
				  192000, 384000, 1000, 999, 384001, 0, 7919, 383999 };

static uint8_t *build(const uint8_t *d, size_t n, size_t *len, unsigned *out_ch,
		      size_t *step)
{
	const uint16_t *f = formats[d[0] % 16];
	unsigned ch = d[1] & 0x80 ? (unsigned)(d[1] & 0x7f) * 3 : d[1] % 8 + 1;
	uint32_t rate = rates[d[2] % 16];
	unsigned flags = d[3], bits = f[2], align = ch * ((bits + 7) / 8);
	unsigned valid = bits - d[4] % 8 * (flags >> 6 & 1);
	uint32_t sizes[4] = { 0, 0, 0xffffffff, 0x7ffffff0 };
	struct out o;

	*step = (size_t)d[5] * 7 + 1;
	*out_ch = flags >> 5 & 1 ? 2 : 1;
	d += 6;
	n -= 6;
	sizes[0] = (uint32_t)n;
	o.p = malloc(n + 128);
	o.len = 0;
	if (!o.p)
		return NULL;
	put(&o, "RIFF\0\0\0\0WAVE", 12);
	if (flags & 4)
		put(&o, "LIST\3\0\0\0abc\0", 12);
	put(&o, "fmt ", 4);
	put32(&o, f[1] ? 40 : 16);
	put16(&o, f[0]);
	put16(&o, ch);
	put32(&o, rate);
	put32(&o, rate * align);
	put16(&o, align);
	put16(&o, bits);
	if (f[1]) {
		put16(&o, 22);
		put16(&o, valid);
		put32(&o, (uint32_t)d[-2] << 12 | d[-3]); /* some channel mask */
		put16(&o, f[1]);
		put(&o, "\0\0\0\0\x10\0\x80\0\0\xaa\0\x38\x9b\x71", 14);
	}
	if (flags & 8)
		put(&o, "fact\4\0\0\0\0\0\0\0", 12);
	put(&o, "data", 4);
	put32(&o, sizes[flags & 3]);
	put(&o, d, n);
	if (flags & 16)
		put(&o, "LIST\1\0\0\0x\0", 10);
	*len = o.len;
	return o.p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int16_t pcm[MAX_STEP * 2];
	struct vx_wav_reader *r;
	char err[VX_WAV_ERR_LEN];
	const uint8_t *file = data + 1;
	uint8_t *built = NULL;
	size_t len = size - 1, step = 960, total = 0;
	unsigned out_ch = 1;
	ssize_t got;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		if (size < 7)
			return 0;
		built = build(data + 1, size - 1, &len, &out_ch, &step);
		if (!built)
			return 0;
		file = built;
	} else {
		out_ch = (data[0] >> 1 & 1) + 1;
		step = (size_t)(data[0] >> 2) * 28 + 1;
	}
	if (vx_wav_reader_open_memory(&r, file, len, "fuzz.wav", out_ch, err, sizeof(err)) == 0) {
		int64_t want = vx_wav_reader_info(r)->out_frames;

		while ((got = vx_wav_reader_read(r, pcm, step)) > 0) {
			if ((size_t)got > step)
				abort();
			total += (size_t)got;
		}
		if (got < 0 || (want >= 0 && total != (uint64_t)want))
			abort();
		vx_wav_reader_close(r);
	} else if (!memchr(err, 0, sizeof(err)) || strncmp(err, "fuzz.wav: ", 10)) {
		abort(); /* every failure explains itself */
	}
	free(built);
	return 0;
}
