// SPDX-License-Identifier: MIT
/*
 * zpcm: lossless PCM in three steps, each undone exactly by the decoder.
 *
 * 1. Predict. For each channel, FLAC's fixed polynomial predictors (Robinson,
 *    "SHORTEN", 1994): order 0 predicts 0, order 1 x[n-1], order 2
 *    2x[n-1] - x[n-2], order 3 3x[n-1] - 3x[n-2] + x[n-3]. The encoder picks,
 *    per frame and channel, the order whose residuals have the least absolute
 *    sum. Samples before the frame count as 0, so each packet decodes alone.
 *    Residuals are kept modulo 2^16: x = pred + r (mod 2^16) is exact whatever
 *    the wrap, so a full-scale square wave (order-3 residuals up to 8 x 32767)
 *    still fits 16 bits.
 * 2. Zig-zag (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...) so small residuals of either
 *    sign have zero high bytes, then split into byte planes: all high bytes,
 *    then all low bytes, per channel. zstd then sees long runs of zeros and
 *    small values in one plane and near-uniform noise (which its entropy coder
 *    still shaves) in the other, instead of the two interleaved. On the
 *    alsa-utils speech at 20 ms, level 3: ratio 2.21 with planes, 1.85 with
 *    interleaved zig-zag words, 1.76 with interleaved two's complement, 1.40
 *    for zstd on the samples themselves.
 * 3. Compress the planes with zstd at the chosen level (VX_CODEC_COMPLEXITY).
 *    When that is no smaller than raw, send the frame as raw L16 instead, so a
 *    packet never exceeds 2 + the pcm size.
 *
 * Packet layout (all fields checked by the decoder):
 *   byte 0: bits 7-6 version (0), bits 5-4 method (0 raw, 1 zstd),
 *           bit 3 channels - 1, bits 2-0 frame-size code (0..5: 2.5 .. 60 ms)
 *   byte 1: bits 1-0 channel 0's order, bits 3-2 channel 1's (0 if mono),
 *           bits 7-4 zero; all zero for raw
 *   then:   raw: samples x channels x 2 bytes of L16 big-endian, interleaved
 *           zstd: one zstd frame whose content is exactly channels x 2 planes of
 *           samples bytes each (high plane, low plane; channel 0 first)
 *
 * zstd runs in static contexts (ZSTD_initStaticCCtx/DCtx, from zstd's
 * experimental API, which Debian's libzstd 1.5 exports but whose ABI zstd does
 * not promise: recheck on a zstd upgrade): the workspace is allocated at
 * create, sized for the largest level and frame, so compression can never
 * fall back to malloc (test_codec tries every level at the largest frame).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "audio/codec_internal.h"

#define ZPCM_HEADER      2
#define ZPCM_RAW         0
#define ZPCM_ZSTD        1
#define ZPCM_MAX_ORDER   3
#define ZPCM_MIN_LEVEL   1
#define ZPCM_MAX_LEVEL   19
#define ZPCM_LEVEL       3 /* zstd's own default: see bench_codec for the trade */
#define ZPCM_MAX_VALUES  (VX_CODEC_MAX_FRAME_SAMPLES * VX_CODEC_MAX_CHANNELS)
#define ZPCM_MAX_PLANES  (2 * ZPCM_MAX_VALUES) /* bytes */

struct zpcm_codec {
	struct vx_codec base; /* first: the handle points here */
	int level;
	ZSTD_CCtx *cctx; /* in cwork */
	ZSTD_DCtx *dctx; /* in dwork */
	void *cwork, *dwork;
	struct vx_codec_plc plc;
	/* Encoder and decoder scratch are separate: they run on different threads. */
	int16_t enc_ch[VX_CODEC_MAX_FRAME_SAMPLES]; /* one channel, deinterleaved */
	uint8_t enc_planes[ZPCM_MAX_PLANES];
	uint8_t enc_out[ZSTD_COMPRESSBOUND(ZPCM_MAX_PLANES)];
	uint8_t dec_planes[ZPCM_MAX_PLANES];
};

static_assert(ZPCM_HEADER + ZPCM_MAX_PLANES <= VX_CODEC_MAX_PACKET, "raw fallback fits");

static struct zpcm_codec *to_zpcm(struct vx_codec *c)
{
	return (struct zpcm_codec *)c;
}

/* Workspace for the worst case: ZSTD_compressCCtx() picks parameters from the
 * level and the source size, so bound over every level at the largest source. */
static size_t cctx_size(void)
{
	size_t max = 0;

	for (int level = ZPCM_MIN_LEVEL; level <= ZPCM_MAX_LEVEL; level++) {
		ZSTD_compressionParameters p = ZSTD_getCParams(level, ZPCM_MAX_PLANES, 0);
		size_t n = ZSTD_estimateCCtxSize_usingCParams(p);

		if (n > max)
			max = n;
	}
	return max;
}

static int zpcm_create(struct vx_codec **out, const struct vx_codec_config *cfg)
{
	struct zpcm_codec *z;
	size_t csize = cctx_size(), dsize = ZSTD_estimateDCtxSize();

	(void)cfg;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	/* zstd wants 8-byte alignment; malloc gives 16. */
	z->cwork = malloc(csize);
	z->dwork = malloc(dsize);
	if (!z->cwork || !z->dwork)
		goto err_free;
	z->cctx = ZSTD_initStaticCCtx(z->cwork, csize);
	z->dctx = ZSTD_initStaticDCtx(z->dwork, dsize);
	if (!z->cctx || !z->dctx)
		goto err_free;
	z->level = ZPCM_LEVEL;
	*out = &z->base;
	return 0;

err_free:
	free(z->dwork);
	free(z->cwork);
	free(z);
	return -ENOMEM;
}

static void zpcm_destroy(struct vx_codec *c)
{
	struct zpcm_codec *z = to_zpcm(c);

	free(z->dwork);
	free(z->cwork);
	free(z);
}

/* Prediction from the three previous samples, in int32 (no overflow: |p| <= 7 x 32768). */
static int32_t predict(unsigned order, int32_t x1, int32_t x2, int32_t x3)
{
	switch (order) {
	case 1:
		return x1;
	case 2:
		return 2 * x1 - x2;
	case 3:
		return 3 * x1 - 3 * x2 + x3;
	default:
		return 0;
	}
}

static uint16_t zigzag(uint16_t r)
{
	return (uint16_t)((uint32_t)r << 1 ^ (0u - (uint32_t)(r >> 15)));
}

static uint16_t unzigzag(uint16_t z)
{
	return (uint16_t)((uint32_t)z >> 1 ^ (0u - (uint32_t)(z & 1)));
}

/* The order with the least sum of |residual| over the frame (ties: lower order). */
static unsigned choose_order(const int16_t *x, size_t n)
{
	uint64_t sum[ZPCM_MAX_ORDER + 1] = { 0 };
	int32_t x1 = 0, x2 = 0, x3 = 0;
	unsigned best = 0;

	for (size_t i = 0; i < n; i++) {
		for (unsigned k = 0; k <= ZPCM_MAX_ORDER; k++) {
			int32_t r = x[i] - predict(k, x1, x2, x3);

			sum[k] += (uint64_t)(r < 0 ? -(int64_t)r : r);
		}
		x3 = x2;
		x2 = x1;
		x1 = x[i];
	}
	for (unsigned k = 1; k <= ZPCM_MAX_ORDER; k++)
		if (sum[k] < sum[best])
			best = k;
	return best;
}

/* Residuals of @x (n samples) into the high and low planes. */
static void to_planes(const int16_t *x, size_t n, unsigned order, uint8_t *hi, uint8_t *lo)
{
	int32_t x1 = 0, x2 = 0, x3 = 0;

	for (size_t i = 0; i < n; i++) {
		uint16_t r = (uint16_t)((uint32_t)(x[i] - predict(order, x1, x2, x3)) & 0xffffu);
		uint16_t z = zigzag(r);

		hi[i] = (uint8_t)(z >> 8);
		lo[i] = (uint8_t)z;
		x3 = x2;
		x2 = x1;
		x1 = x[i];
	}
}

/* Inverse of to_planes(), writing every @stride-th sample of @out. */
static void from_planes(const uint8_t *hi, const uint8_t *lo, size_t n, unsigned order,
			int16_t *out, unsigned stride)
{
	int32_t x1 = 0, x2 = 0, x3 = 0;

	for (size_t i = 0; i < n; i++) {
		uint16_t r = unzigzag((uint16_t)(hi[i] << 8 | lo[i]));
		uint32_t u = ((uint32_t)predict(order, x1, x2, x3) + r) & 0xffffu;
		int32_t x = u < 0x8000u ? (int32_t)u : (int32_t)u - 0x10000;

		out[i * stride] = (int16_t)x;
		x3 = x2;
		x2 = x1;
		x1 = x;
	}
}

static int encode_raw(const int16_t *pcm, size_t values, uint8_t *packet, size_t cap,
		      uint8_t head)
{
	if (cap < ZPCM_HEADER + 2 * values)
		return -ENOBUFS;
	packet[0] = head;
	packet[1] = 0;
	vx_codec_l16_put(packet + ZPCM_HEADER, pcm, values);
	return (int)(ZPCM_HEADER + 2 * values);
}

static int zpcm_encode(struct vx_codec *c, const int16_t *pcm, uint8_t *packet, size_t cap)
{
	struct zpcm_codec *z = to_zpcm(c);
	size_t n = c->frame_samples, values = n * c->channels, clen;
	uint8_t head = (uint8_t)((c->channels - 1) << 3 | (unsigned)vx_codec_samples_to_code(n));
	uint8_t orders = 0;

	for (unsigned ch = 0; ch < c->channels; ch++) {
		uint8_t *hi = z->enc_planes + 2 * n * ch;
		unsigned order;

		for (size_t i = 0; i < n; i++)
			z->enc_ch[i] = pcm[i * c->channels + ch];
		order = choose_order(z->enc_ch, n);
		to_planes(z->enc_ch, n, order, hi, hi + n);
		orders |= (uint8_t)(order << (2 * ch));
	}
	clen = ZSTD_compressCCtx(z->cctx, z->enc_out, sizeof(z->enc_out), z->enc_planes,
				 2 * values, z->level);
	if (ZSTD_isError(clen))
		return -EIO; /* the bound and the workspace are both sized: a bug */
	if (clen >= 2 * values)
		return encode_raw(pcm, values, packet, cap, (uint8_t)(ZPCM_RAW << 4 | head));
	if (cap < ZPCM_HEADER + clen)
		return -ENOBUFS;
	packet[0] = (uint8_t)(ZPCM_ZSTD << 4 | head);
	packet[1] = orders;
	memcpy(packet + ZPCM_HEADER, z->enc_out, clen);
	return (int)(ZPCM_HEADER + clen);
}

static int zpcm_decode(struct vx_codec *c, const uint8_t *packet, size_t len, int16_t *pcm,
		       size_t max_samples)
{
	struct zpcm_codec *z = to_zpcm(c);
	unsigned method = packet[0] >> 4 & 3, orders;
	size_t n, values, got;

	if (len < ZPCM_HEADER || packet[0] >> 6 || (packet[0] >> 3 & 1) != c->channels - 1 ||
	    packet[1] >> (2 * c->channels) || method > ZPCM_ZSTD)
		return -EBADMSG;
	n = vx_codec_code_to_samples(packet[0] & 7u);
	if (!n)
		return -EBADMSG;
	values = n * c->channels;
	orders = packet[1];
	packet += ZPCM_HEADER;
	len -= ZPCM_HEADER;

	if (method == ZPCM_RAW && (orders || len != 2 * values))
		return -EBADMSG;
	if (n > max_samples)
		return -ENOBUFS;
	if (method == ZPCM_RAW) {
		vx_codec_l16_get(pcm, packet, values);
	} else {
		/* Into a buffer of exactly the planes' size: zstd stops at its
		 * capacity, so a frame claiming more content fails here instead of
		 * writing past it; one claiming less fails the size check. */
		got = ZSTD_decompressDCtx(z->dctx, z->dec_planes, 2 * values, packet, len);
		if (ZSTD_isError(got) || got != 2 * values)
			return -EBADMSG;
		for (unsigned ch = 0; ch < c->channels; ch++) {
			const uint8_t *hi = z->dec_planes + 2 * n * ch;

			from_planes(hi, hi + n, n, orders >> (2 * ch) & 3, pcm + ch, c->channels);
		}
	}
	vx_codec_plc_remember(&z->plc, pcm, n, c->channels);
	return (int)n;
}

static int zpcm_conceal(struct vx_codec *c, int16_t *pcm, size_t samples)
{
	vx_codec_plc_conceal(&to_zpcm(c)->plc, pcm, samples, c->channels);
	return (int)samples;
}

static int zpcm_set(struct vx_codec *c, enum vx_codec_ctl ctl, int value)
{
	if (ctl != VX_CODEC_COMPLEXITY)
		return -ENOTSUP;
	if (value < ZPCM_MIN_LEVEL || value > ZPCM_MAX_LEVEL)
		return -EINVAL;
	to_zpcm(c)->level = value;
	return 0;
}

static int zpcm_get(struct vx_codec *c, enum vx_codec_ctl ctl, int *value)
{
	if (ctl != VX_CODEC_COMPLEXITY)
		return -ENOTSUP;
	*value = to_zpcm(c)->level;
	return 0;
}

const struct vx_codec_ops vx_codec_zpcm_ops = {
	.name = "zpcm",
	.create = zpcm_create,
	.destroy = zpcm_destroy,
	.encode = zpcm_encode,
	.decode = zpcm_decode,
	.conceal = zpcm_conceal,
	.set = zpcm_set,
	.get = zpcm_get,
};
