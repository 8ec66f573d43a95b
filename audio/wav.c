// SPDX-License-Identifier: MIT
/*
 * WAV reader and writer. One parser reads the header from a byte source, a file
 * descriptor or a memory buffer; after the header the two differ only in fetch(),
 * which hands the decoder a pointer to the next whole frames.
 */
#include "audio/wav.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <speex/speex_resampler.h>

#define FOURCC(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define ID_RIFF FOURCC('R', 'I', 'F', 'F')
#define ID_RIFX FOURCC('R', 'I', 'F', 'X')
#define ID_RF64 FOURCC('R', 'F', '6', '4')
#define ID_WAVE FOURCC('W', 'A', 'V', 'E')
#define ID_FMT  FOURCC('f', 'm', 't', ' ')
#define ID_DATA FOURCC('d', 'a', 't', 'a')
#define ID_FACT FOURCC('f', 'a', 'c', 't')

/* 18 bytes of WAVEFORMATEX plus the largest cbSize (a uint16_t) it can announce. */
#define FMT_MAX_SIZE (18u + 65535u)
/* WAVEFORMATEXTENSIBLE: WAVEFORMATEX (18) + valid bits (2) + mask (4) + GUID (16). */
#define FMT_EXT_SIZE 40u

/* Raw bytes fetched per refill: 4096 frames of 16-bit stereo; one frame at least. */
#define CHUNK_BYTES (16u * 1024u)
/* Resampler output per call, frames. */
#define OUT_FRAMES 1024u

/* Speaker bits of dwChannelMask (Microsoft's SPEAKER_*), by side, for the stereo mix. */
#define SPK_ALL   0x3ffffu
#define SPK_LFE   0x8u
#define SPK_LEFT  (0x1u | 0x10u | 0x40u | 0x200u | 0x1000u | 0x8000u)
#define SPK_RIGHT (0x2u | 0x20u | 0x80u | 0x400u | 0x4000u | 0x20000u)

enum kind { K_U8, K_S16, K_S24, K_S32, K_F32, K_F64 };

/* Where the bytes come from: a memory buffer (fd < 0) or a file descriptor. */
struct src {
	const uint8_t *mem;
	int fd;
	uint64_t pos;   /* bytes consumed so far */
	int64_t size;   /* total bytes, or -1 for a pipe */
};

struct vx_wav_reader {
	struct src src;
	struct vx_wav_info info;
	enum kind kind;
	unsigned align;        /* bytes per frame */
	unsigned out_ch;       /* 1 or 2 */
	uint32_t keep;         /* container bits that hold signal (validBitsPerSample) */
	double *wl, *wr;       /* stereo mix weights, one per input channel, sums 1 */
	uint64_t data_left;    /* bytes of whole frames still to read; UINT64_MAX: to EOF */
	size_t chunk_frames;   /* frames per fetch */
	bool eof;
	bool truncated;
	int error;             /* a read error to report on the next call */
	uint8_t *raw;          /* chunk_frames frames read from the file (fd only) */

	/* Resampling only (rate != VX_WAV_RATE). */
	SpeexResamplerState *rs;
	float *fin;            /* decoded input, out_ch interleaved, int16 units */
	size_t fin_len, fin_pos;
	float *fout;           /* OUT_FRAMES resampled frames */
	uint64_t in_total;     /* input frames decoded */
	uint64_t out_total;    /* output frames delivered */
};

/* Who is talking, for messages "NAME: problem". */
struct ctx {
	const char *name;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(const struct ctx *c, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return ret;
	n = snprintf(c->err, c->errlen, "%s: ", c->name);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int fail_errno(const struct ctx *c, int ret, const char *what)
{
	char buf[128];

	return fail(c, ret, "%s: %s", what, strerror_r(-ret, buf, sizeof(buf)));
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static uint32_t le32(const uint8_t *p)
{
	return le24(p) | (uint32_t)p[3] << 24;
}

/* A chunk id for a message: 'LIST', or hex escapes for bytes that do not print. */
static const char *id_str(char out[20], const uint8_t *b, size_t n)
{
	char *o = out;

	*o++ = '\'';
	for (size_t i = 0; i < n && i < 4; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\'' && b[i] != '\\')
			*o++ = (char)b[i];
		else
			o += sprintf(o, "\\x%02x", b[i]);
	}
	*o++ = '\'';
	*o = 0;
	return out;
}

static const char *codec_name(unsigned tag)
{
	switch (tag) {
	case 0x0002: return "Microsoft ADPCM";
	case 0x0006: return "A-law";
	case 0x0007: return "mu-law";
	case 0x0011: return "IMA ADPCM";
	case 0x0031: return "GSM 6.10";
	case 0x0050: return "MPEG";
	case 0x0055: return "MPEG layer 3";
	case 0x0092: return "Dolby AC-3 SPDIF";
	case 0x00ff: return "AAC";
	case 0x1610: return "HE-AAC";
	case 0x2000: return "Dolby AC-3";
	case 0x6750: return "Ogg Vorbis";
	case 0xf1ac: return "FLAC";
	default:     return "unknown codec";
	}
}

/* ---- byte sources --------------------------------------------------------- */

/* Read up to @n bytes; fewer only at the end of the input. Return count or -errno. */
static ssize_t src_read(struct src *s, void *buf, size_t n)
{
	size_t got = 0;

	if (s->fd < 0) {
		uint64_t avail = (uint64_t)s->size - s->pos;

		got = n < avail ? n : (size_t)avail;
		if (got)
			memcpy(buf, s->mem + s->pos, got);
	} else {
		while (got < n) {
			ssize_t k = read(s->fd, (uint8_t *)buf + got, n - got);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -errno;
			if (k == 0)
				break;
			got += (size_t)k;
		}
	}
	s->pos += got;
	return (ssize_t)got;
}

/* Skip up to @n bytes; fewer only at the end. Return count or -errno. */
static int64_t src_skip(struct src *s, uint64_t n)
{
	uint8_t junk[4096];
	uint64_t done = 0;

	if (s->size >= 0) {
		uint64_t avail = (uint64_t)s->size - s->pos;

		done = n < avail ? n : avail;
		if (s->fd >= 0 && lseek(s->fd, (off_t)(s->pos + done), SEEK_SET) < 0)
			return -errno;
		s->pos += done;
		return (int64_t)done;
	}
	while (done < n) {
		uint64_t want = n - done < sizeof(junk) ? n - done : sizeof(junk);
		ssize_t k = src_read(s, junk, (size_t)want);

		if (k < 0)
			return k;
		if (k == 0)
			break;
		done += (uint64_t)k;
	}
	return (int64_t)done;
}

/* ---- header ------------------------------------------------------------------ */

/* KSDATAFORMAT_SUBTYPE_PCM and _IEEE_FLOAT share these last 14 bytes. */
static const uint8_t guid_tail[14] = { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
				       0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71 };

static int parse_fmt(struct vx_wav_reader *r, uint32_t size, const struct ctx *c)
{
	struct vx_wav_info *in = &r->info;
	uint8_t b[FMT_EXT_SIZE];
	uint32_t want = size < FMT_EXT_SIZE ? size : FMT_EXT_SIZE;
	unsigned tag, bits, width, align, valid;
	ssize_t n;
	int64_t k;

	if (size < 16)
		return fail(c, -EINVAL, "fmt chunk too small (%u bytes; at least 16)", size);
	if (size > FMT_MAX_SIZE)
		return fail(c, -EINVAL, "absurd fmt chunk size (%u bytes; at most %u)", size,
			    FMT_MAX_SIZE);
	n = src_read(&r->src, b, want);
	if (n < 0)
		return fail_errno(c, (int)n, "read");
	if ((size_t)n < want)
		return fail(c, -EINVAL, "truncated fmt chunk (%zd of %u bytes)", n, size);
	k = src_skip(&r->src, size - want + (size & 1));
	if (k < 0)
		return fail_errno(c, (int)k, "read");
	if ((uint64_t)k < size - want)
		return fail(c, -EINVAL, "truncated fmt chunk (%llu of %u bytes)",
			    (unsigned long long)(want + (uint64_t)k), size);

	tag = le16(b);
	in->channels = le16(b + 2);
	in->rate = le32(b + 4);
	align = le16(b + 12);
	bits = le16(b + 14);
	valid = bits;
	if (tag == VX_WAV_FORMAT_EXTENSIBLE) {
		char g[40];

		if (size < FMT_EXT_SIZE)
			return fail(c, -EINVAL, "extensible fmt chunk too small (%u bytes; 40 needed)",
				    size);
		if (le16(b + 16) < FMT_EXT_SIZE - 18)
			return fail(c, -EINVAL, "extensible fmt chunk with cbSize %u (22 needed)",
				    le16(b + 16));
		in->extensible = true;
		valid = le16(b + 18);
		in->channel_mask = le32(b + 20);
		if (memcmp(b + 26, guid_tail, sizeof(guid_tail))) {
			snprintf(g, sizeof(g), "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
				 le32(b + 24), le16(b + 28), le16(b + 30), b[32], b[33], b[34],
				 b[35], b[36], b[37], b[38], b[39]);
			return fail(c, -ENOTSUP, "unsupported extensible subformat GUID {%s}", g);
		}
		tag = le16(b + 24);
		/* No validBitsPerSample is a writer's shorthand for "all of them". */
		if (valid == 0)
			valid = bits;
	}
	if (tag != VX_WAV_FORMAT_PCM && tag != VX_WAV_FORMAT_FLOAT)
		return fail(c, -ENOTSUP, "unsupported format tag 0x%04x (%s)%s", tag,
			    codec_name(tag), in->extensible ? " in an extensible fmt chunk" : "");
	in->format = (uint16_t)tag;
	if (in->channels == 0)
		return fail(c, -EINVAL, "zero channels");
	if (in->channels > VX_WAV_MAX_CHANNELS)
		return fail(c, -EINVAL, "too many channels (%u; at most %u)", in->channels,
			    VX_WAV_MAX_CHANNELS);
	if (in->rate == 0)
		return fail(c, -EINVAL, "zero sample rate");
	if (in->rate < VX_WAV_MIN_RATE || in->rate > VX_WAV_MAX_RATE)
		return fail(c, -EINVAL, "sample rate %u Hz out of range (%u to %u)", in->rate,
			    VX_WAV_MIN_RATE, VX_WAV_MAX_RATE);

	if (tag == VX_WAV_FORMAT_FLOAT) {
		if (bits != 32 && bits != 64)
			return fail(c, -EINVAL, "unsupported float sample width (%u bits)", bits);
		r->kind = bits == 32 ? K_F32 : K_F64;
		valid = bits;
	} else {
		/* Widths that are not whole bytes sit left-justified in the next one. */
		if (bits == 0 || bits > 32)
			return fail(c, -EINVAL, "unsupported PCM sample width (%u bits)", bits);
		bits = (bits + 7) / 8 * 8;
		if (valid > bits)
			return fail(c, -EINVAL, "valid bits per sample (%u) larger than the %u-bit "
				    "container", valid, bits);
		r->kind = bits == 8 ? K_U8 : bits == 16 ? K_S16 : bits == 24 ? K_S24 : K_S32;
		r->keep = 0xffffffffu << (bits - valid); /* valid >= 1 */
	}
	width = bits / 8;
	if (align != in->channels * width)
		return fail(c, -EINVAL, "block align %u inconsistent with %u channels x %u bits "
			    "(expected %u)", align, in->channels, bits, in->channels * width);
	in->bits = (uint16_t)bits;
	in->valid_bits = (uint16_t)valid;
	r->align = align;
	return 0;
}

/* Read chunks up to the data chunk; leave the source at its first byte. */
static int parse_header(struct vx_wav_reader *r, const struct ctx *c)
{
	uint8_t b[12];
	char id[20];
	bool have_fmt = false;
	ssize_t n;
	int ret;

	n = src_read(&r->src, b, 12);
	if (n < 0)
		return fail_errno(c, (int)n, "read");
	if (n == 0)
		return fail(c, -EINVAL, "empty file");
	if (n >= 4 && le32(b) == ID_RIFX)
		return fail(c, -ENOTSUP, "big-endian RIFX files are not supported");
	if (n >= 4 && le32(b) == ID_RF64)
		return fail(c, -ENOTSUP, "RF64 files are not supported");
	if (n < 4 || le32(b) != ID_RIFF)
		return fail(c, -EINVAL, "not a RIFF/WAVE file (starts with %s)",
			    id_str(id, b, (size_t)n));
	if (n < 12)
		return fail(c, -EINVAL, "truncated RIFF header (%zd of 12 bytes)", n);
	if (le32(b + 8) != ID_WAVE)
		return fail(c, -EINVAL, "RIFF file of form %s, not WAVE", id_str(id, b + 8, 4));

	for (;;) {
		uint32_t ckid, size;
		int64_t k;

		n = src_read(&r->src, b, 8);
		if (n < 0)
			return fail_errno(c, (int)n, "read");
		if (n == 0)
			return fail(c, -EINVAL, "no %s chunk", have_fmt ? "data" : "fmt");
		if (n < 8)
			return fail(c, -EINVAL, "truncated chunk header (%zd of 8 bytes)", n);
		ckid = le32(b);
		size = le32(b + 4);
		if (ckid == ID_FMT) {
			if (have_fmt)
				return fail(c, -EINVAL, "second fmt chunk");
			ret = parse_fmt(r, size, c);
			if (ret < 0)
				return ret;
			have_fmt = true;
		} else if (ckid == ID_DATA) {
			if (!have_fmt)
				return fail(c, -EINVAL, "data chunk before fmt chunk (not supported)");
			r->info.streamed = size == 0 || size == UINT32_MAX;
			r->data_left = r->info.streamed ? UINT64_MAX : size;
			return 0;
		} else {
			k = src_skip(&r->src, (uint64_t)size + (size & 1));
			if (k < 0)
				return fail_errno(c, (int)k, "read");
			if ((uint64_t)k < size)
				return fail(c, -EINVAL, "truncated %s chunk (%lld of %u bytes) before "
					    "the data chunk", id_str(id, b, 4), (long long)k, size);
		}
	}
}

/* ---- setup ------------------------------------------------------------------ */

/* Stereo weights for more than two channels: see wav.h. */
static int make_weights(struct vx_wav_reader *r)
{
	unsigned ch = r->info.channels;
	uint32_t mask = r->info.channel_mask ? r->info.channel_mask : SPK_ALL;
	double suml = 0, sumr = 0;

	r->wl = calloc(ch, sizeof(*r->wl));
	r->wr = calloc(ch, sizeof(*r->wr));
	if (!r->wl || !r->wr)
		return -ENOMEM;
	for (unsigned i = 0; i < ch; i++) {
		uint32_t spk = mask & -mask; /* lowest speaker bit left; 0 past the mask */

		mask &= ~spk;
		if (spk & SPK_LFE)
			continue;
		if (spk & SPK_LEFT)
			r->wl[i] = 1;
		else if (spk & SPK_RIGHT)
			r->wr[i] = 1;
		else
			r->wl[i] = r->wr[i] = 0.5;
		suml += r->wl[i];
		sumr += r->wr[i];
	}
	for (unsigned i = 0; i < ch; i++) {
		if (suml == 0 || sumr == 0) {
			r->wl[i] = r->wr[i] = 1.0 / ch;
		} else {
			r->wl[i] /= suml;
			r->wr[i] /= sumr;
		}
	}
	return 0;
}

static int setup(struct vx_wav_reader *r, const struct ctx *c)
{
	struct vx_wav_info *in = &r->info;
	size_t out_ch = r->out_ch;

	if (r->src.size >= 0) {
		uint64_t avail = (uint64_t)r->src.size - r->src.pos;

		if (r->data_left > avail) {
			r->truncated = !in->streamed;
			r->data_left = avail;
		}
	}
	if (r->data_left != UINT64_MAX) {
		r->data_left -= r->data_left % r->align;
		in->frames = (int64_t)(r->data_left / r->align);
		in->out_frames = (int64_t)(((uint64_t)in->frames * VX_WAV_RATE + in->rate / 2) /
					   in->rate);
	} else {
		in->frames = in->out_frames = -1;
	}

	r->chunk_frames = CHUNK_BYTES / r->align ? CHUNK_BYTES / r->align : 1;
	if (r->src.fd >= 0) {
		r->raw = malloc(r->chunk_frames * r->align);
		if (!r->raw)
			return fail(c, -ENOMEM, "out of memory");
	}
	if (in->channels > 2 && out_ch == 2 && make_weights(r) < 0)
		return fail(c, -ENOMEM, "out of memory");
	if (in->rate != VX_WAV_RATE) {
		int e = 0;

		r->rs = speex_resampler_init((spx_uint32_t)out_ch, in->rate, VX_WAV_RATE,
					     VX_WAV_RESAMPLE_QUALITY, &e);
		if (!r->rs)
			return fail(c, e == RESAMPLER_ERR_ALLOC_FAILED ? -ENOMEM : -EINVAL,
				    "resampler: %s", speex_resampler_strerror(e));
		/* Drop the filter's startup delay, so output frame 0 is input frame 0. */
		speex_resampler_skip_zeros(r->rs);
		r->fin = malloc(r->chunk_frames * out_ch * sizeof(float));
		r->fout = malloc(OUT_FRAMES * out_ch * sizeof(float));
		if (!r->fin || !r->fout)
			return fail(c, -ENOMEM, "out of memory");
	}
	return 0;
}

static int open_common(struct vx_wav_reader *r, unsigned channels, const struct ctx *c)
{
	int ret;

	if (channels != 1 && channels != 2)
		return fail(c, -EINVAL, "output channels must be 1 or 2 (not %u)", channels);
	r->out_ch = channels;
	ret = parse_header(r, c);
	if (ret < 0)
		return ret;
	return setup(r, c);
}

int vx_wav_reader_open(struct vx_wav_reader **out, const char *path, unsigned channels,
		       char *err, size_t errlen)
{
	const struct ctx c = { path, err, errlen };
	struct vx_wav_reader *r;
	struct stat st;
	int ret;

	assert(out && path);
	r = calloc(1, sizeof(*r));
	if (!r)
		return fail(&c, -ENOMEM, "out of memory");
	r->src.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->src.fd < 0) {
		ret = fail_errno(&c, -errno, "open");
		goto err_free;
	}
	if (fstat(r->src.fd, &st) < 0) {
		ret = fail_errno(&c, -errno, "stat");
		goto err_free;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = fail(&c, -EISDIR, "is a directory");
		goto err_free;
	}
	r->src.size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
	ret = open_common(r, channels, &c);
	if (ret < 0)
		goto err_free;
	*out = r;
	return 0;

err_free:
	vx_wav_reader_close(r);
	return ret;
}

int vx_wav_reader_open_memory(struct vx_wav_reader **out, const void *buf, size_t len,
			      const char *name, unsigned channels, char *err, size_t errlen)
{
	const struct ctx c = { name ? name : "<memory>", err, errlen };
	struct vx_wav_reader *r;
	int ret;

	assert(out && (buf || !len));
	r = calloc(1, sizeof(*r));
	if (!r)
		return fail(&c, -ENOMEM, "out of memory");
	r->src.fd = -1;
	r->src.mem = buf;
	r->src.size = (int64_t)len;
	ret = open_common(r, channels, &c);
	if (ret < 0) {
		vx_wav_reader_close(r);
		return ret;
	}
	*out = r;
	return 0;
}

int vx_wav_load(const char *path, unsigned channels, int16_t **pcm, size_t *frames, char *err,
		size_t errlen)
{
	struct vx_wav_reader *r;
	int16_t *buf = NULL, *p;
	size_t cap = 0, n = 0;
	ssize_t got;
	int ret;

	ret = vx_wav_reader_open(&r, path, channels, err, errlen);
	if (ret < 0)
		return ret;
	do {
		if (n + 4800 > cap) {
			cap = cap ? 2 * cap : 48000;
			p = realloc(buf, cap * channels * sizeof(*p));
			if (!p) {
				got = -ENOMEM;
				break;
			}
			buf = p;
		}
		got = vx_wav_reader_read(r, buf + n * channels, cap - n);
		if (got > 0)
			n += (size_t)got;
	} while (got > 0);
	vx_wav_reader_close(r);
	if (got < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror((int)-got));
		free(buf);
		return (int)got;
	}
	*pcm = buf;
	*frames = n;
	return 0;
}

void vx_wav_reader_close(struct vx_wav_reader *r)
{
	if (!r)
		return;
	if (r->src.fd >= 0)
		close(r->src.fd);
	if (r->rs)
		speex_resampler_destroy(r->rs);
	free(r->fin);
	free(r->fout);
	free(r->raw);
	free(r->wl);
	free(r->wr);
	free(r);
}

const struct vx_wav_info *vx_wav_reader_info(const struct vx_wav_reader *r)
{
	return &r->info;
}

bool vx_wav_reader_is_truncated(const struct vx_wav_reader *r)
{
	return r->truncated;
}

/* ---- reading ------------------------------------------------------------------ */

/* Up to @max whole frames: *p points at them. Return frame count, 0 at the end. */
static ssize_t fetch(struct vx_wav_reader *r, size_t max, const uint8_t **p)
{
	uint64_t want = (uint64_t)(max < r->chunk_frames ? max : r->chunk_frames) * r->align;
	ssize_t got;

	if (r->eof)
		return 0;
	if (want > r->data_left)
		want = r->data_left;
	if (want == 0) {
		r->eof = true;
		return 0;
	}
	if (r->src.fd < 0) {
		*p = r->src.mem + r->src.pos;
		r->src.pos += want; /* setup() clamped data_left to the buffer */
		got = (ssize_t)want;
	} else {
		got = src_read(&r->src, r->raw, (size_t)want);
		if (got < 0)
			return got;
		*p = r->raw;
	}
	if ((uint64_t)got < want) {
		/* A pipe ended early; a partial last frame is dropped. */
		r->eof = true;
		r->truncated = !r->info.streamed;
	}
	if (r->data_left != UINT64_MAX)
		r->data_left -= (uint64_t)got;
	return got / (ssize_t)r->align;
}

/* One sample in int16 units (see wav.h), exactly for every integer width. */
static inline double sample(const uint8_t *p, enum kind k, uint32_t keep)
{
	uint32_t u;
	float f;
	double d;

	switch (k) {
	case K_U8:
		return ((double)(p[0] & keep) - 128.0) * 256.0;
	case K_S16:
		u = le16(p) & keep;
		return (double)((int32_t)u - (int32_t)((u & 0x8000u) << 1));
	case K_S24:
		u = le24(p) & keep;
		return (double)((int32_t)u - (int32_t)((u & 0x800000u) << 1)) * 0x1p-8;
	case K_S32:
		u = le32(p) & keep;
		return (double)((int64_t)u - ((int64_t)(u & 0x80000000u) << 1)) * 0x1p-16;
	case K_F32:
		u = le32(p);
		memcpy(&f, &u, sizeof(f));
		d = (double)f * 32768.0;
		break;
	case K_F64: {
		uint64_t v = (uint64_t)le32(p + 4) << 32 | le32(p);

		memcpy(&d, &v, sizeof(d));
		d *= 32768.0;
		break;
	}
	default:
		return 0;
	}
	/* Float files may hold anything: keep NaN and infinities out of the filter. */
	if (isnan(d))
		return 0;
	return d < -32768.0 ? -32768.0 : d > 32768.0 ? 32768.0 : d;
}

static inline int16_t sat16(double v)
{
	long q = lrint(v);

	return (int16_t)(q > INT16_MAX ? INT16_MAX : q < INT16_MIN ? INT16_MIN : q);
}

static inline int16_t sat16f(float v)
{
	long q = lrintf(v);

	return (int16_t)(q > INT16_MAX ? INT16_MAX : q < INT16_MIN ? INT16_MIN : q);
}

/* Decode and mix @n frames to out_ch channels, into floats or into int16. */
static void decode(const struct vx_wav_reader *r, const uint8_t *p, size_t n, float *f,
		   int16_t *s)
{
	const unsigned ch = r->info.channels, width = r->info.bits / 8;
	const enum kind k = r->kind;
	const uint32_t keep = r->keep;
	double v[2];

	for (size_t i = 0; i < n; i++, p += r->align) {
		if (ch == 1) {
			v[0] = v[1] = sample(p, k, keep);
		} else if (ch == 2 && r->out_ch == 2) {
			v[0] = sample(p, k, keep);
			v[1] = sample(p + width, k, keep);
		} else if (ch == 2) {
			v[0] = (sample(p, k, keep) + sample(p + width, k, keep)) * 0.5;
		} else if (r->out_ch == 1) {
			/* Sum, then divide: the mean is then correctly rounded. */
			v[0] = 0;
			for (unsigned c = 0; c < ch; c++)
				v[0] += sample(p + c * width, k, keep);
			v[0] /= ch;
		} else {
			v[0] = v[1] = 0;
			for (unsigned c = 0; c < ch; c++) {
				double x = sample(p + c * width, k, keep);

				v[0] += r->wl[c] * x;
				v[1] += r->wr[c] * x;
			}
		}
		for (unsigned c = 0; c < r->out_ch; c++) {
			if (f)
				*f++ = (float)v[c];
			else
				*s++ = sat16(v[c]);
		}
	}
}

/* 48 kHz input: decode straight into the caller's buffer. */
static ssize_t read_direct(struct vx_wav_reader *r, int16_t *pcm, size_t frames)
{
	const uint8_t *p;
	ssize_t n = fetch(r, frames, &p);

	if (n > 0)
		decode(r, p, (size_t)n, NULL, pcm);
	return n;
}

/* Other rates: at least one resampled frame, or 0 at the end. */
static ssize_t read_resampled(struct vx_wav_reader *r, int16_t *pcm, size_t frames)
{
	const size_t out_ch = r->out_ch;

	for (;;) {
		spx_uint32_t in_len, out_len = (spx_uint32_t)(frames < OUT_FRAMES ? frames :
							       OUT_FRAMES);
		const float *in = NULL;

		if (r->fin_pos == r->fin_len && !r->eof) {
			const uint8_t *p;
			ssize_t n = fetch(r, r->chunk_frames, &p);

			if (n < 0)
				return n;
			decode(r, p, (size_t)n, r->fin, NULL);
			r->fin_len = (size_t)n;
			r->fin_pos = 0;
			r->in_total += (uint64_t)n;
		}
		if (r->fin_pos < r->fin_len) {
			in = r->fin + r->fin_pos * out_ch;
			in_len = (spx_uint32_t)(r->fin_len - r->fin_pos);
		} else {
			/* End of input: feed silence (in == NULL) until the filter has
			 * given out round(in_total * 48000 / rate) frames in all. */
			uint64_t end = (r->in_total * VX_WAV_RATE + r->info.rate / 2) / r->info.rate;

			if (r->out_total >= end)
				return 0;
			if (out_len > end - r->out_total)
				out_len = (spx_uint32_t)(end - r->out_total);
			in_len = (spx_uint32_t)r->chunk_frames;
		}
		speex_resampler_process_interleaved_float(r->rs, in, &in_len, r->fout, &out_len);
		if (in)
			r->fin_pos += in_len;
		for (size_t i = 0; i < out_len * out_ch; i++)
			pcm[i] = sat16f(r->fout[i]);
		r->out_total += out_len;
		if (out_len)
			return out_len;
	}
}

ssize_t vx_wav_reader_read(struct vx_wav_reader *r, int16_t *pcm, size_t frames)
{
	size_t done = 0;
	ssize_t n;

	assert(r && (pcm || !frames));
	if (r->error) {
		n = r->error;
		r->error = 0;
		return n;
	}
	if (frames > SSIZE_MAX / 2)
		frames = SSIZE_MAX / 2;
	while (done < frames) {
		int16_t *dst = pcm + done * r->out_ch;

		n = r->rs ? read_resampled(r, dst, frames - done) : read_direct(r, dst, frames - done);
		if (n < 0) {
			if (!done)
				return n;
			r->error = (int)n;
			break;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* ---- writer ------------------------------------------------------------------ */

#define WRITE_FRAMES 4096u
#define HEADER_MAX   58u

struct vx_wav_writer {
	int fd;
	enum vx_wav_encoding enc;
	unsigned channels;
	uint32_t rate;
	unsigned align;       /* bytes per frame */
	unsigned header_len;  /* 44 for PCM, 58 for float (fmt of 18 bytes + fact) */
	uint64_t max_frames;  /* the most a 32-bit RIFF size can describe */
	uint64_t frames;      /* frames written and counted in the header */
	uint8_t *buf;         /* WRITE_FRAMES frames, encoded */
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void put_id(uint8_t *p, uint32_t id)
{
	put32(p, id);
}

/* The whole header for @frames frames. Plain stores only: the signal path uses it. */
static void build_header(const struct vx_wav_writer *w, uint64_t frames, uint8_t *h)
{
	uint32_t data = (uint32_t)(frames * w->align);
	bool flt = w->enc == VX_WAV_F32;
	uint8_t *p = h + 12;

	put_id(h, ID_RIFF);
	put32(h + 4, w->header_len - 8 + data);
	put_id(h + 8, ID_WAVE);
	put_id(p, ID_FMT);
	put32(p + 4, flt ? 18 : 16);
	put16(p + 8, flt ? VX_WAV_FORMAT_FLOAT : VX_WAV_FORMAT_PCM);
	put16(p + 10, w->channels);
	put32(p + 12, w->rate);
	put32(p + 16, w->rate * w->align);
	put16(p + 20, w->align);
	put16(p + 22, flt ? 32 : 16);
	p += 24;
	if (flt) {
		/* cbSize 0; then the fact chunk that non-PCM formats carry. */
		put16(p, 0);
		put_id(p + 2, ID_FACT);
		put32(p + 6, 4);
		put32(p + 10, (uint32_t)frames);
		p += 14;
	}
	put_id(p, ID_DATA);
	put32(p + 4, data);
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
	const uint8_t *b = buf;

	while (n) {
		ssize_t k = pwrite(fd, b, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int write_header(const struct vx_wav_writer *w, uint64_t frames)
{
	uint8_t h[HEADER_MAX];

	build_header(w, frames, h);
	return pwrite_all(w->fd, h, w->header_len, 0);
}

int vx_wav_writer_open(struct vx_wav_writer **out, const char *path, uint32_t rate,
		       unsigned channels, enum vx_wav_encoding enc)
{
	struct vx_wav_writer *w;
	int ret;

	assert(out && path);
	if (rate < VX_WAV_MIN_RATE || rate > VX_WAV_MAX_RATE || (channels != 1 && channels != 2) ||
	    (enc != VX_WAV_S16 && enc != VX_WAV_F32))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->enc = enc;
	w->channels = channels;
	w->rate = rate;
	w->align = channels * (enc == VX_WAV_F32 ? 4 : 2);
	w->header_len = enc == VX_WAV_F32 ? 58 : 44;
	w->max_frames = (UINT32_MAX - (w->header_len - 8)) / w->align;
	w->buf = malloc(WRITE_FRAMES * w->align);
	if (!w->buf) {
		ret = -ENOMEM;
		goto err_free;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (w->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = write_header(w, 0);
	if (ret < 0)
		goto err_close;
	*out = w;
	return 0;

err_close:
	close(w->fd);
err_free:
	free(w->buf);
	free(w);
	return ret;
}

static void encode(const struct vx_wav_writer *w, const int16_t *s, const float *f, size_t n)
{
	uint8_t *p = w->buf;

	for (size_t i = 0; i < n * w->channels; i++) {
		if (w->enc == VX_WAV_S16) {
			put16(p, (uint16_t)(s ? s[i] : sat16f(f[i] * 32768.0f)));
			p += 2;
		} else {
			float x = s ? (float)s[i] * 0x1p-15f : f[i];
			uint32_t u;

			memcpy(&u, &x, sizeof(u));
			put32(p, u);
			p += 4;
		}
	}
}

static int write_frames(struct vx_wav_writer *w, const int16_t *s, const float *f,
			size_t frames)
{
	uint64_t off;
	size_t done = 0;
	int ret;

	assert(w && (s || f || !frames));
	off = w->header_len + w->frames * w->align;
	if (frames > w->max_frames - w->frames)
		return -EFBIG;
	while (done < frames) {
		size_t n = frames - done < WRITE_FRAMES ? frames - done : WRITE_FRAMES;
		size_t at = done * w->channels;

		encode(w, s ? s + at : NULL, f ? f + at : NULL, n);
		ret = pwrite_all(w->fd, w->buf, n * w->align, off);
		if (ret < 0)
			return ret;
		off += n * w->align;
		done += n;
	}
	/* Samples first, then the sizes that count them: the header never
	 * claims bytes the file lacks. */
	ret = write_header(w, w->frames + frames);
	if (ret < 0)
		return ret;
	w->frames += frames;
	return 0;
}

int vx_wav_writer_write(struct vx_wav_writer *w, const int16_t *pcm, size_t frames)
{
	return write_frames(w, pcm, NULL, frames);
}

int vx_wav_writer_write_float(struct vx_wav_writer *w, const float *pcm, size_t frames)
{
	return write_frames(w, NULL, pcm, frames);
}

uint64_t vx_wav_writer_frames(const struct vx_wav_writer *w)
{
	return w->frames;
}

void vx_wav_writer_finalize_signal(const struct vx_wav_writer *w)
{
	int saved = errno;
	struct stat st;
	uint64_t frames = 0;

	if (!w || fstat(w->fd, &st) < 0)
		goto out;
	if ((uint64_t)st.st_size > w->header_len)
		frames = ((uint64_t)st.st_size - w->header_len) / w->align;
	if (frames > w->max_frames)
		frames = w->max_frames;
	(void)write_header(w, frames);
out:
	errno = saved;
}

int vx_wav_writer_close(struct vx_wav_writer *w)
{
	int ret = 0;

	if (!w)
		return 0;
	if (fsync(w->fd) < 0)
		ret = -errno;
	if (close(w->fd) < 0 && !ret)
		ret = -errno;
	free(w->buf);
	free(w);
	return ret;
}
