// SPDX-License-Identifier: MIT
/*
 * The codec interface: argument checks common to every codec, then dispatch
 * through the vtable. Also the pieces pcm and zpcm share: frame-size codes, L16
 * and concealment by reflection.
 */
#include "audio/codec.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "audio/codec_internal.h"

static const unsigned frame_us_list[] = { VX_CODEC_FRAME_US_LIST };
#define N_FRAME_SIZES (sizeof(frame_us_list) / sizeof(frame_us_list[0]))

size_t vx_codec_us_to_samples(unsigned us)
{
	for (size_t i = 0; i < N_FRAME_SIZES; i++)
		if (frame_us_list[i] == us)
			return (size_t)us * VX_CODEC_RATE / 1000000u;
	return 0;
}

int vx_codec_samples_to_code(size_t samples)
{
	for (size_t i = 0; i < N_FRAME_SIZES; i++)
		if ((size_t)frame_us_list[i] * VX_CODEC_RATE / 1000000u == samples)
			return (int)i;
	return -1;
}

size_t vx_codec_code_to_samples(unsigned code)
{
	if (code >= N_FRAME_SIZES)
		return 0;
	return (size_t)frame_us_list[code] * VX_CODEC_RATE / 1000000u;
}

void vx_codec_l16_put(uint8_t *out, const int16_t *pcm, size_t values)
{
	for (size_t i = 0; i < values; i++) {
		uint16_t u = (uint16_t)pcm[i];

		out[2 * i] = (uint8_t)(u >> 8);
		out[2 * i + 1] = (uint8_t)u;
	}
}

void vx_codec_l16_get(int16_t *pcm, const uint8_t *in, size_t values)
{
	for (size_t i = 0; i < values; i++) {
		uint16_t u = (uint16_t)(in[2 * i] << 8 | in[2 * i + 1]);

		/* Two's complement by arithmetic, not an implementation-defined cast. */
		pcm[i] = (int16_t)(u < 0x8000u ? (int32_t)u : (int32_t)u - 0x10000);
	}
}

int vx_codec_config_by_name(struct vx_codec_config *cfg, const char *name)
{
	static const struct {
		const char *name;
		enum vx_codec_type type;
		enum vx_codec_app app;
	} names[] = {
		{ "opus", VX_CODEC_OPUS, VX_CODEC_APP_VOIP },
		{ "opus-voip", VX_CODEC_OPUS, VX_CODEC_APP_VOIP },
		{ "opus-audio", VX_CODEC_OPUS, VX_CODEC_APP_AUDIO },
		{ "opus-lowdelay", VX_CODEC_OPUS, VX_CODEC_APP_LOWDELAY },
		{ "pcm", VX_CODEC_PCM, VX_CODEC_APP_VOIP },
		{ "zpcm", VX_CODEC_ZPCM, VX_CODEC_APP_VOIP },
	};

	assert(cfg && name);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, name))
			continue;
		*cfg = (struct vx_codec_config){
			.type = names[i].type,
			.app = names[i].app,
			.rate = VX_CODEC_RATE,
			.channels = 1,
			.frame_us = 20000,
		};
		return 0;
	}
	return -EINVAL;
}

int vx_codec_create(struct vx_codec **out, const struct vx_codec_config *cfg)
{
	const struct vx_codec_ops *ops;
	struct vx_codec *c;
	int ret;

	assert(out && cfg);
	switch (cfg->type) {
	case VX_CODEC_OPUS:
		ops = &vx_codec_opus_ops;
		break;
	case VX_CODEC_PCM:
		ops = &vx_codec_pcm_ops;
		break;
	case VX_CODEC_ZPCM:
		ops = &vx_codec_zpcm_ops;
		break;
	default:
		return -EINVAL;
	}
	if (cfg->rate != VX_CODEC_RATE || cfg->channels < 1 ||
	    cfg->channels > VX_CODEC_MAX_CHANNELS || !vx_codec_us_to_samples(cfg->frame_us))
		return -EINVAL;
	if (cfg->app != VX_CODEC_APP_VOIP && cfg->app != VX_CODEC_APP_AUDIO &&
	    cfg->app != VX_CODEC_APP_LOWDELAY)
		return -EINVAL;

	ret = ops->create(&c, cfg);
	if (ret < 0)
		return ret;
	c->ops = ops;
	c->channels = cfg->channels;
	c->frame_us = cfg->frame_us;
	c->frame_samples = vx_codec_us_to_samples(cfg->frame_us);
	*out = c;
	return 0;
}

void vx_codec_destroy(struct vx_codec *c)
{
	if (c)
		c->ops->destroy(c);
}

const char *vx_codec_name(const struct vx_codec *c)
{
	return c->ops->name;
}

size_t vx_codec_frame_samples(const struct vx_codec *c)
{
	return c->frame_samples;
}

unsigned vx_codec_channels(const struct vx_codec *c)
{
	return c->channels;
}

int vx_codec_delay(const struct vx_codec *c)
{
	return c->delay;
}

int vx_codec_encode(struct vx_codec *c, const int16_t *pcm, uint8_t *packet, size_t cap)
{
	assert(c && pcm && packet);
	if (cap == 0)
		return -ENOBUFS;
	return c->ops->encode(c, pcm, packet, cap);
}

int vx_codec_decode(struct vx_codec *c, const uint8_t *packet, size_t len, int16_t *pcm,
		    size_t max_samples)
{
	assert(c && pcm);
	if (len == 0 || !packet)
		return -EBADMSG;
	if (len > VX_CODEC_MAX_PACKET)
		return -EMSGSIZE;
	if (max_samples == 0)
		return -ENOBUFS;
	return c->ops->decode(c, packet, len, pcm, max_samples);
}

static bool valid_lost_samples(size_t samples)
{
	return samples > 0 && samples <= VX_CODEC_MAX_FRAME_SAMPLES &&
	       samples % VX_CODEC_MIN_FRAME_SAMPLES == 0;
}

int vx_codec_conceal(struct vx_codec *c, int16_t *pcm, size_t samples)
{
	assert(c && pcm);
	if (!valid_lost_samples(samples))
		return -EINVAL;
	return c->ops->conceal(c, pcm, samples);
}

int vx_codec_decode_fec(struct vx_codec *c, const uint8_t *next, size_t len, int16_t *pcm,
			size_t samples)
{
	assert(c && pcm);
	if (!c->ops->decode_fec)
		return -ENOTSUP;
	if (!valid_lost_samples(samples))
		return -EINVAL;
	if (len == 0 || !next)
		return -EBADMSG;
	if (len > VX_CODEC_MAX_PACKET)
		return -EMSGSIZE;
	return c->ops->decode_fec(c, next, len, pcm, samples);
}

int vx_codec_has_fec(const struct vx_codec *c, const uint8_t *packet, size_t len)
{
	assert(c);
	if (!c->ops->has_fec)
		return 0;
	if (len == 0 || !packet)
		return -EBADMSG;
	if (len > VX_CODEC_MAX_PACKET)
		return -EMSGSIZE;
	return c->ops->has_fec(packet, len);
}

int vx_codec_set(struct vx_codec *c, enum vx_codec_ctl ctl, int value)
{
	size_t samples;

	assert(c);
	switch (ctl) {
	case VX_CODEC_FRAME_US:
		samples = value > 0 ? vx_codec_us_to_samples((unsigned)value) : 0;
		if (!samples)
			return -EINVAL;
		c->frame_us = (unsigned)value;
		c->frame_samples = samples;
		return 0;
	case VX_CODEC_BITRATE:
	case VX_CODEC_COMPLEXITY:
	case VX_CODEC_FEC:
	case VX_CODEC_LOSS_PERC:
	case VX_CODEC_DTX:
		return c->ops->set ? c->ops->set(c, ctl, value) : -ENOTSUP;
	}
	return -EINVAL;
}

int vx_codec_get(struct vx_codec *c, enum vx_codec_ctl ctl, int *value)
{
	assert(c && value);
	switch (ctl) {
	case VX_CODEC_FRAME_US:
		*value = (int)c->frame_us;
		return 0;
	case VX_CODEC_BITRATE:
	case VX_CODEC_COMPLEXITY:
	case VX_CODEC_FEC:
	case VX_CODEC_LOSS_PERC:
	case VX_CODEC_DTX:
		return c->ops->get ? c->ops->get(c, ctl, value) : -ENOTSUP;
	}
	return -EINVAL;
}

void vx_codec_plc_remember(struct vx_codec_plc *p, const int16_t *pcm, size_t samples,
			   unsigned channels)
{
	assert(samples <= VX_CODEC_MAX_FRAME_SAMPLES && channels <= VX_CODEC_MAX_CHANNELS);
	memcpy(p->last, pcm, samples * channels * sizeof(*pcm));
	p->samples = samples;
	p->losses = 0;
}

void vx_codec_plc_conceal(struct vx_codec_plc *p, int16_t *pcm, size_t samples,
			  unsigned channels)
{
	size_t n = p->losses == 0 ? p->samples : 0;

	if (n > samples)
		n = samples;
	/* Gain (samples - i) / samples: 1 at the seam, falling to 1/samples; it
	 * never exceeds 1, so the product fits int16 without saturation. */
	for (size_t i = 0; i < n; i++)
		for (unsigned ch = 0; ch < channels; ch++) {
			int32_t x = p->last[(p->samples - 1 - i) * channels + ch];

			pcm[i * channels + ch] =
				(int16_t)(x * (int32_t)(samples - i) / (int32_t)samples);
		}
	memset(pcm + n * channels, 0, (samples - n) * channels * sizeof(*pcm));
	if (p->losses < UINT_MAX)
		p->losses++;
}
