// SPDX-License-Identifier: MIT
/*
 * Opus through libopus 1.3.1. libopus's codes are translated here and nowhere
 * else: OPUS_BAD_ARG is -1, the same number as -EPERM, so a raw code passed up
 * would read as "operation not permitted".
 *
 * libopus does not allocate after opus_{en,de}coder_create() (checked by
 * interposing malloc over a run of every call at every setting): its scratch
 * lives on the stack (C99 arrays or alloca, as Debian builds it), up to ~80 KB
 * at 60 ms stereo, so the real-time threads need that much stack.
 */
#include <errno.h>
#include <stdlib.h>

#include <opus.h>

#include "audio/codec_internal.h"

struct opus_codec {
	struct vx_codec base; /* first: the handle points here */
	OpusEncoder *enc;
	OpusDecoder *dec;
	/* Whether the decoder last decoded a CELT-only packet: libopus then runs
	 * PLC when asked for FEC (opus_decode_native(), 1.3.1), so we say -ENODATA. */
	bool last_celt;
};

static struct opus_codec *to_opus(struct vx_codec *c)
{
	return (struct opus_codec *)c;
}

static int from_opus(int err)
{
	switch (err) {
	case OPUS_OK:
		return 0;
	case OPUS_BAD_ARG:
		return -EINVAL;
	case OPUS_BUFFER_TOO_SMALL:
		return -ENOBUFS;
	case OPUS_INVALID_PACKET:
		return -EBADMSG;
	case OPUS_UNIMPLEMENTED:
		return -ENOTSUP;
	case OPUS_ALLOC_FAIL:
		return -ENOMEM;
	case OPUS_INTERNAL_ERROR:
	case OPUS_INVALID_STATE:
	default:
		return -EIO;
	}
}

/* A libopus count (>= 0) passes through; an error is translated. */
static int from_opus_count(int n)
{
	return n >= 0 ? n : from_opus(n);
}

static int opus_create(struct vx_codec **out, const struct vx_codec_config *cfg)
{
	static const int apps[] = {
		[VX_CODEC_APP_VOIP] = OPUS_APPLICATION_VOIP,
		[VX_CODEC_APP_AUDIO] = OPUS_APPLICATION_AUDIO,
		[VX_CODEC_APP_LOWDELAY] = OPUS_APPLICATION_RESTRICTED_LOWDELAY,
	};
	struct opus_codec *o;
	opus_int32 lookahead;
	int err;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->enc = opus_encoder_create(VX_CODEC_RATE, (int)cfg->channels, apps[cfg->app], &err);
	if (!o->enc)
		goto err_free;
	o->dec = opus_decoder_create(VX_CODEC_RATE, (int)cfg->channels, &err);
	if (!o->dec)
		goto err_enc;
	err = opus_encoder_ctl(o->enc, OPUS_GET_LOOKAHEAD(&lookahead));
	if (err != OPUS_OK)
		goto err_dec;
	o->base.delay = (int)lookahead;
	*out = &o->base;
	return 0;

err_dec:
	opus_decoder_destroy(o->dec);
err_enc:
	opus_encoder_destroy(o->enc);
err_free:
	free(o);
	return from_opus(err);
}

static void opus_destroy(struct vx_codec *c)
{
	struct opus_codec *o = to_opus(c);

	opus_decoder_destroy(o->dec);
	opus_encoder_destroy(o->enc);
	free(o);
}

static opus_int32 clamp_len(size_t n)
{
	return n > VX_CODEC_MAX_PACKET ? VX_CODEC_MAX_PACKET : (opus_int32)n;
}

static int opus_encode_frame(struct vx_codec *c, const int16_t *pcm, uint8_t *packet, size_t cap)
{
	int n = opus_encode(to_opus(c)->enc, pcm, (int)c->frame_samples, packet, clamp_len(cap));

	/* 0 bytes never comes from a valid call; treat it as a failure rather than
	 * hand the caller an empty packet that decode would reject. */
	return n > 0 ? n : n == 0 ? -EIO : from_opus(n);
}

/* TOC byte (RFC 6716 section 3.1): configurations 16-31 are CELT-only. */
static bool is_celt_only(const uint8_t *packet)
{
	return (packet[0] >> 3) >= 16;
}

static int opus_decode_packet(struct vx_codec *c, const uint8_t *packet, size_t len,
			      int16_t *pcm, size_t max_samples)
{
	struct opus_codec *o = to_opus(c);
	int frame = max_samples > INT32_MAX ? INT32_MAX : (int)max_samples;
	int n = opus_decode(o->dec, packet, (opus_int32)len, pcm, frame, 0);

	if (n < 0)
		return from_opus(n);
	o->last_celt = is_celt_only(packet);
	return n;
}

static int opus_conceal(struct vx_codec *c, int16_t *pcm, size_t samples)
{
	return from_opus_count(opus_decode(to_opus(c)->dec, NULL, 0, pcm, (int)samples, 0));
}

/*
 * Whether @packet carries LBRR (FEC) data for the frame before it. SILK codes
 * its header flags first, each with probability 1/2, so they are the leading
 * bits of the first frame's range-coded bytes (RFC 6716 section 4.2.3): one VAD
 * flag per 20 ms SILK frame, then the LBRR flag; in a stereo packet the side
 * channel's flags follow the mid channel's. (libopus 1.5 adds
 * opus_packet_has_lbrr() doing the same; 1.3.1 lacks it.)
 * Return: 1, 0, or -EBADMSG.
 */
static int has_lbrr(const uint8_t *packet, size_t len)
{
	const unsigned char *frames[48];
	opus_int16 sizes[48];
	int silk_frames, n, lbrr;

	if (is_celt_only(packet))
		return 0;
	n = opus_packet_parse(packet, (opus_int32)len, NULL, frames, sizes, NULL);
	if (n < 0)
		return from_opus(n);
	if (n == 0 || sizes[0] == 0)
		return 0;
	/* SILK-only packets hold 10, 20, 40 or 60 ms; hybrid ones 10 or 20. */
	silk_frames = opus_packet_get_samples_per_frame(packet, VX_CODEC_RATE) / 960;
	if (silk_frames < 1)
		silk_frames = 1;
	lbrr = frames[0][0] >> (7 - silk_frames) & 1;
	if (opus_packet_get_nb_channels(packet) == 2)
		lbrr |= frames[0][0] >> (6 - 2 * silk_frames) & 1;
	return lbrr;
}

static int opus_decode_fec(struct vx_codec *c, const uint8_t *next, size_t len, int16_t *pcm,
			   size_t samples)
{
	struct opus_codec *o = to_opus(c);
	int ret = has_lbrr(next, len);

	if (ret < 0)
		return ret;
	/* libopus would fall back to PLC without saying so in these cases. */
	if (!ret || o->last_celt ||
	    (size_t)opus_packet_get_samples_per_frame(next, VX_CODEC_RATE) > samples)
		return -ENODATA;
	return from_opus_count(opus_decode(o->dec, next, (opus_int32)len, pcm, (int)samples, 1));
}

static int opus_set(struct vx_codec *c, enum vx_codec_ctl ctl, int value)
{
	OpusEncoder *enc = to_opus(c)->enc;

	switch (ctl) {
	case VX_CODEC_BITRATE:
		/* libopus reads -1 and -1000 as "maximum" and "auto": not ours to pass. */
		if (value <= 0)
			return -EINVAL;
		return from_opus(opus_encoder_ctl(enc, OPUS_SET_BITRATE(value)));
	case VX_CODEC_COMPLEXITY:
		return from_opus(opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(value)));
	case VX_CODEC_FEC:
		return from_opus(opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(value)));
	case VX_CODEC_LOSS_PERC:
		return from_opus(opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(value)));
	case VX_CODEC_DTX:
		return from_opus(opus_encoder_ctl(enc, OPUS_SET_DTX(value)));
	case VX_CODEC_FRAME_US:
		break;
	}
	return -EINVAL;
}

static int opus_get(struct vx_codec *c, enum vx_codec_ctl ctl, int *value)
{
	OpusEncoder *enc = to_opus(c)->enc;
	opus_int32 v = 0;
	int err;

	switch (ctl) {
	case VX_CODEC_BITRATE:
		err = opus_encoder_ctl(enc, OPUS_GET_BITRATE(&v));
		break;
	case VX_CODEC_COMPLEXITY:
		err = opus_encoder_ctl(enc, OPUS_GET_COMPLEXITY(&v));
		break;
	case VX_CODEC_FEC:
		err = opus_encoder_ctl(enc, OPUS_GET_INBAND_FEC(&v));
		break;
	case VX_CODEC_LOSS_PERC:
		err = opus_encoder_ctl(enc, OPUS_GET_PACKET_LOSS_PERC(&v));
		break;
	case VX_CODEC_DTX:
		err = opus_encoder_ctl(enc, OPUS_GET_DTX(&v));
		break;
	case VX_CODEC_FRAME_US:
	default:
		return -EINVAL;
	}
	if (err != OPUS_OK)
		return from_opus(err);
	*value = (int)v;
	return 0;
}

const struct vx_codec_ops vx_codec_opus_ops = {
	.name = "opus",
	.create = opus_create,
	.destroy = opus_destroy,
	.encode = opus_encode_frame,
	.decode = opus_decode_packet,
	.conceal = opus_conceal,
	.decode_fec = opus_decode_fec,
	.has_fec = has_lbrr,
	.set = opus_set,
	.get = opus_get,
};
