// SPDX-License-Identifier: MIT
/*
 * L16 (RFC 3551 section 4.5.11): interleaved signed 16-bit samples, most
 * significant byte first ("network byte order"), nothing else. A packet's length
 * is its frame size, so the decoder accepts exactly the six frame durations and
 * rejects every other length.
 */
#include <errno.h>
#include <stdlib.h>

#include "audio/codec_internal.h"

struct pcm_codec {
	struct vx_codec base; /* first: the handle points here */
	struct vx_codec_plc plc;
};

static struct pcm_codec *to_pcm(struct vx_codec *c)
{
	return (struct pcm_codec *)c;
}

static int pcm_create(struct vx_codec **out, const struct vx_codec_config *cfg)
{
	struct pcm_codec *p = calloc(1, sizeof(*p));

	(void)cfg;
	if (!p)
		return -ENOMEM;
	*out = &p->base;
	return 0;
}

static void pcm_destroy(struct vx_codec *c)
{
	free(to_pcm(c));
}

static int pcm_encode(struct vx_codec *c, const int16_t *pcm, uint8_t *packet, size_t cap)
{
	size_t n = c->frame_samples * c->channels;

	if (cap < 2 * n)
		return -ENOBUFS;
	vx_codec_l16_put(packet, pcm, n);
	return (int)(2 * n);
}

static int pcm_decode(struct vx_codec *c, const uint8_t *packet, size_t len, int16_t *pcm,
		      size_t max_samples)
{
	size_t frame_bytes = 2 * c->channels;
	size_t samples = len / frame_bytes;

	if (len % frame_bytes || vx_codec_samples_to_code(samples) < 0)
		return -EBADMSG;
	if (samples > max_samples)
		return -ENOBUFS;
	vx_codec_l16_get(pcm, packet, samples * c->channels);
	vx_codec_plc_remember(&to_pcm(c)->plc, pcm, samples, c->channels);
	return (int)samples;
}

static int pcm_conceal(struct vx_codec *c, int16_t *pcm, size_t samples)
{
	vx_codec_plc_conceal(&to_pcm(c)->plc, pcm, samples, c->channels);
	return (int)samples;
}

const struct vx_codec_ops vx_codec_pcm_ops = {
	.name = "pcm",
	.create = pcm_create,
	.destroy = pcm_destroy,
	.encode = pcm_encode,
	.decode = pcm_decode,
	.conceal = pcm_conceal,
};
