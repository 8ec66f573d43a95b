/* SPDX-License-Identifier: MIT */
#ifndef VX_AUDIO_CODEC_INTERNAL_H
#define VX_AUDIO_CODEC_INTERNAL_H

/*
 * Private to audio/codec*.c: the vtable each codec fills in and the state every
 * codec shares. codec.c validates the arguments common to all codecs (frame
 * sizes, lengths, control ranges it can check alone) before dispatching, so an
 * implementation sees only well-formed calls.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio/codec.h"

struct vx_codec_ops {
	const char *name;
	/* Allocates the codec (embedding struct vx_codec first) and fills in *out. */
	int (*create)(struct vx_codec **out, const struct vx_codec_config *cfg);
	void (*destroy)(struct vx_codec *c);
	/* @cap >= 1; pcm holds c->frame_samples x channels. */
	int (*encode)(struct vx_codec *c, const int16_t *pcm, uint8_t *packet, size_t cap);
	/* 1 <= @len <= VX_CODEC_MAX_PACKET, @max_samples >= 1. */
	int (*decode)(struct vx_codec *c, const uint8_t *packet, size_t len, int16_t *pcm,
		      size_t max_samples);
	/* @samples: a multiple of 120, at most VX_CODEC_MAX_FRAME_SAMPLES. */
	int (*conceal)(struct vx_codec *c, int16_t *pcm, size_t samples);
	/* Same checks as decode and conceal; NULL: the codec has no FEC. */
	int (*decode_fec)(struct vx_codec *c, const uint8_t *next, size_t len, int16_t *pcm,
			  size_t samples);
	/* 1 if @packet (1..VX_CODEC_MAX_PACKET bytes) carries FEC for the frame
	 * before it, 0 if not, -EBADMSG; NULL: the codec has no FEC. */
	int (*has_fec)(const uint8_t *packet, size_t len);
	/* All controls but FRAME_US, which codec.c handles; NULL: none supported. */
	int (*set)(struct vx_codec *c, enum vx_codec_ctl ctl, int value);
	int (*get)(struct vx_codec *c, enum vx_codec_ctl ctl, int *value);
};

struct vx_codec {
	const struct vx_codec_ops *ops;
	unsigned channels;
	unsigned frame_us;     /* the encoder's frame duration */
	size_t frame_samples;  /* the same in samples per channel */
	int delay;             /* algorithmic delay, samples per channel */
};

extern const struct vx_codec_ops vx_codec_opus_ops;
extern const struct vx_codec_ops vx_codec_pcm_ops;
extern const struct vx_codec_ops vx_codec_zpcm_ops;

/* Frame-size codes 0..5 for the six durations, as pcm and zpcm need them. */
int vx_codec_samples_to_code(size_t samples);
size_t vx_codec_code_to_samples(unsigned code);

/* L16 (RFC 3551 section 4.5.11), big-endian S16: pcm's packets, zpcm's raw fallback. */
void vx_codec_l16_put(uint8_t *out, const int16_t *pcm, size_t values);
void vx_codec_l16_get(int16_t *pcm, const uint8_t *in, size_t values);

/*
 * Concealment by reflection for codecs without a model of speech (pcm, zpcm):
 * the decoder remembers its last frame; the first lost frame replays it
 * time-reversed, so the first made-up sample equals the last real one (no step,
 * no click), under a linear fade to zero; later losses are silence. Reversal
 * keeps the frame's spectrum and level, which is as much as can be had without
 * pitch analysis. Storage is inline: the decoder allocates nothing later.
 */
struct vx_codec_plc {
	int16_t last[VX_CODEC_MAX_FRAME_SAMPLES * VX_CODEC_MAX_CHANNELS];
	size_t samples;  /* per channel in last[]; 0 before the first frame */
	unsigned losses; /* consecutive concealed frames */
};

void vx_codec_plc_remember(struct vx_codec_plc *p, const int16_t *pcm, size_t samples,
			   unsigned channels);
void vx_codec_plc_conceal(struct vx_codec_plc *p, int16_t *pcm, size_t samples,
			  unsigned channels);

#endif
