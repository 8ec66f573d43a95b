/* SPDX-License-Identifier: MIT */
#ifndef VX_AUDIO_CODEC_H
#define VX_AUDIO_CODEC_H

/*
 * One interface, three codecs. A codec turns one frame of interleaved S16 PCM at
 * 48 kHz into one packet and back:
 *
 *   opus  libopus 1.3.1 (RFC 6716): lossy, 6-510 kb/s, PLC and in-band FEC.
 *   pcm   L16 (RFC 3551 section 4.5.11): big-endian S16, 768 kb/s per channel,
 *         bit-exact, no algorithmic delay: the lowest-latency LAN mode.
 *   zpcm  lossless: a fixed linear predictor chosen per frame and channel (FLAC's
 *         orders 0-3), residuals zig-zag coded in byte planes and compressed with
 *         zstd; raw L16 when that does not help. Bit-exact. Layout in codec_zpcm.c.
 *
 * Every packet decodes on its own (no state carried across packets but Opus's
 * own), so a lost packet costs one frame. A handle holds both an encoder and a
 * decoder; they share no state, so the sender's thread may encode while the
 * receiver's thread decodes on the same handle. Controls belong to the encoder's
 * thread.
 *
 * Everything is allocated by vx_codec_create(): encode, decode, conceal,
 * decode_fec, set and get never allocate, lock or make a syscall. libopus keeps
 * its scratch on the stack instead: a thread calling into Opus needs about 80 KB
 * of stack (measured at 60 ms stereo, complexity 10; pcm and zpcm need < 8 KB).
 * zstd runs in static contexts sized at create.
 *
 * Nothing here authenticates a packet: Opus can only reject bad framing, and
 * any payload that frames correctly decodes to some sound. The secure session
 * below the codec drops forged packets first.
 */
#include <stddef.h>
#include <stdint.h>

enum vx_codec_type {
	VX_CODEC_OPUS,
	VX_CODEC_PCM,
	VX_CODEC_ZPCM,
};

/* Opus's three applications (ignored by pcm and zpcm). */
enum vx_codec_app {
	VX_CODEC_APP_VOIP,     /* speech: SILK at speech rates, high-pass filter */
	VX_CODEC_APP_AUDIO,    /* music or mixed content: CELT at higher rates */
	VX_CODEC_APP_LOWDELAY, /* CELT only: 2.5 ms less delay, no SILK, no FEC */
};

/* Knobs for vx_codec_set()/vx_codec_get(); -ENOTSUP where a codec lacks one. */
enum vx_codec_ctl {
	VX_CODEC_BITRATE,    /* bits/s, > 0 (Opus clamps to 500..300000 per channel) */
	VX_CODEC_COMPLEXITY, /* Opus: 0..10; zpcm: the zstd level, 1..19 */
	VX_CODEC_FEC,        /* Opus in-band FEC: 0 or 1 */
	VX_CODEC_LOSS_PERC,  /* Opus: expected packet loss, 0..100 % */
	VX_CODEC_DTX,        /* Opus discontinuous transmission: 0 or 1 */
	VX_CODEC_FRAME_US,   /* all: frame duration, from VX_CODEC_FRAME_US_LIST */
};

#define VX_CODEC_RATE         48000 /* Hz: the only rate */
#define VX_CODEC_MAX_CHANNELS 2
/* Frame durations in microseconds: Opus's six, which the others accept too. */
#define VX_CODEC_FRAME_US_LIST 2500, 5000, 10000, 20000, 40000, 60000
/* Samples per channel in the shortest and longest frames (2.5 and 60 ms). */
#define VX_CODEC_MIN_FRAME_SAMPLES 120
#define VX_CODEC_MAX_FRAME_SAMPLES 2880
/*
 * Bytes in the largest packet any codec produces: zpcm's raw fallback for 60 ms
 * of stereo (2-byte header + 11520 bytes of L16). Opus's largest, 3 x 1275 + 7
 * bytes at 60 ms, and pcm's, 11520, are smaller. Above a 1500-byte MTU (pcm beyond
 * 10 ms mono or 5 ms stereo) a packet travels as IP fragments.
 */
#define VX_CODEC_MAX_PACKET (2 + VX_CODEC_MAX_FRAME_SAMPLES * VX_CODEC_MAX_CHANNELS * 2)

struct vx_codec_config {
	enum vx_codec_type type;
	enum vx_codec_app app;  /* Opus only */
	uint32_t rate;          /* Hz: VX_CODEC_RATE */
	unsigned channels;      /* 1 or 2 */
	unsigned frame_us;      /* frame duration, from VX_CODEC_FRAME_US_LIST */
};

struct vx_codec;

/**
 * vx_codec_us_to_samples() - samples per channel in a frame of @us microseconds.
 * @us: a duration from VX_CODEC_FRAME_US_LIST.
 *
 * Also the test of a frame duration, as for an ALSA period of one codec frame.
 *
 * Context: real-time safe.
 * Return: 120 to 2880, or 0 if @us is not one of the six durations.
 */
size_t vx_codec_us_to_samples(unsigned us);

/**
 * vx_codec_config_by_name() - a default configuration for a codec by name.
 * @cfg:  filled in: 48 kHz, mono, 20 ms frames, and the name's type and app.
 * @name: "opus" (= "opus-voip"), "opus-audio", "opus-lowdelay", "pcm" or "zpcm".
 *
 * Return: 0, or -EINVAL for an unknown name (@cfg untouched).
 */
int vx_codec_config_by_name(struct vx_codec_config *cfg, const char *name);

/**
 * vx_codec_create() - allocate an encoder and a decoder.
 * @out: set to the new codec on success.
 * @cfg: its configuration; copied.
 *
 * Opus starts with libopus's defaults (VBR, complexity 9, bitrate chosen from
 * the channels and frame size, FEC and DTX off, loss 0 %); zpcm with zstd level 3.
 *
 * Context: not real-time: allocates (Opus 62-76 KB; pcm 12 KB; zpcm 0.73 MB,
 * mostly zstd workspace).
 * Return: 0, -EINVAL for a bad type, app, rate, channel count or frame duration,
 * or -ENOMEM.
 */
int vx_codec_create(struct vx_codec **out, const struct vx_codec_config *cfg)
	__attribute__((warn_unused_result));

/** vx_codec_destroy() - free a codec; NULL is accepted. */
void vx_codec_destroy(struct vx_codec *c);

/** vx_codec_name() - "opus", "pcm" or "zpcm". Context: real-time safe. */
const char *vx_codec_name(const struct vx_codec *c);

/**
 * vx_codec_frame_samples() - samples per channel in the frame vx_codec_encode()
 * takes now (VX_CODEC_FRAME_US / 1e6 x 48000: 120 to 2880).
 * Context: real-time safe.
 */
size_t vx_codec_frame_samples(const struct vx_codec *c);

/** vx_codec_channels() - 1 or 2. Context: real-time safe. */
unsigned vx_codec_channels(const struct vx_codec *c);

/**
 * vx_codec_delay() - the encoder's algorithmic delay (lookahead) in samples per
 * channel: decoded output lags input by this much. Opus: 312 (6.5 ms) for VOIP
 * and AUDIO, 120 (2.5 ms) for LOWDELAY (OPUS_GET_LOOKAHEAD); pcm, zpcm: 0.
 * Context: real-time safe.
 */
int vx_codec_delay(const struct vx_codec *c);

/**
 * vx_codec_encode() - encode one frame.
 * @c:      codec.
 * @pcm:    vx_codec_frame_samples() x channels interleaved samples.
 * @packet: output.
 * @cap:    its size in bytes; VX_CODEC_MAX_PACKET always suffices.
 *
 * Opus with DTX on returns 1 or 2 bytes for a frame of silence: such a packet
 * need not be sent (the receiver conceals, which yields comfort noise).
 *
 * Context: encoder's thread; real-time safe.
 * Return: packet length in bytes (> 0), -ENOBUFS if @cap is too small, or -EIO
 * for an internal codec failure.
 */
int vx_codec_encode(struct vx_codec *c, const int16_t *pcm, uint8_t *packet, size_t cap)
	__attribute__((warn_unused_result));

/**
 * vx_codec_decode() - decode one packet.
 * @c:           codec.
 * @packet:      bytes from the network (untrusted).
 * @len:         their count.
 * @pcm:         output, room for @max_samples x channels interleaved samples.
 * @max_samples: samples per channel @pcm holds.
 *
 * A packet of any of the six frame durations decodes, whatever the local frame
 * size (the sender may change its own). Nothing beyond @max_samples x channels
 * is written, whatever the packet says.
 *
 * Context: decoder's thread; real-time safe.
 * Return: samples per channel written, or -EBADMSG for a malformed packet
 * (including an empty one: call vx_codec_conceal() for a lost one), -EMSGSIZE
 * if @len > VX_CODEC_MAX_PACKET, -ENOBUFS if the frame is longer than
 * @max_samples.
 */
int vx_codec_decode(struct vx_codec *c, const uint8_t *packet, size_t len, int16_t *pcm,
		    size_t max_samples) __attribute__((warn_unused_result));

/**
 * vx_codec_conceal() - make up a lost frame (packet loss concealment).
 * @c:       codec.
 * @pcm:     output, room for @samples x channels interleaved samples.
 * @samples: the lost frame's duration in samples per channel: a multiple of 120
 *           (2.5 ms), at most VX_CODEC_MAX_FRAME_SAMPLES.
 *
 * Opus extrapolates the last pitch period and fades to comfort noise over
 * successive losses. pcm and zpcm play the last frame time-reversed under a
 * linear fade to zero (continuous at the seam, no pitch analysis), then silence.
 *
 * Context: decoder's thread; real-time safe.
 * Return: @samples, or -EINVAL for a bad @samples.
 */
int vx_codec_conceal(struct vx_codec *c, int16_t *pcm, size_t samples)
	__attribute__((warn_unused_result));

/**
 * vx_codec_decode_fec() - recover a lost frame from the redundancy (Opus in-band
 * FEC, "LBRR") carried by the packet that follows it.
 * @c:       codec.
 * @next:    the packet after the lost one (untrusted).
 * @len:     its length in bytes.
 * @pcm:     output, room for @samples x channels interleaved samples.
 * @samples: the lost frame's duration in samples per channel (as for conceal);
 *           at least @next's frame duration.
 *
 * Then decode @next itself with vx_codec_decode() as usual.
 *
 * libopus 1.3.1 puts a low-bitrate copy of the previous frame into a packet
 * only when all of these hold (measured on the alsa-utils speech samples,
 * mono; test_codec checks the 20 ms figures):
 * - FEC on and expected loss > 0 %. This also keeps speech in SILK or hybrid
 *   mode at any bitrate, in the AUDIO application too;
 * - 10 ms frames or longer, and not LOWDELAY (2.5 and 5 ms are CELT-only);
 * - enough bitrate for the copy, which libopus buys by narrowing the audio
 *   bandwidth only when loss > 5 %: at 20 ms frames, from ~32 kb/s at 1-5 %
 *   loss, ~20 kb/s at 10 %, ~16 kb/s at 25 %; at 10 ms, ~40, ~24 and ~20 kb/s;
 * - the previous frame was active speech (about 2/3 of this speech's packets).
 * This function reads the packet's LBRR flag to tell.
 *
 * Context: decoder's thread; real-time safe.
 * Return: @samples (the tail from FEC, any head beyond @next's frame from PLC),
 * -ENODATA if @next carries no FEC (or the decoder last ran in CELT mode, where
 * libopus would silently substitute PLC: call vx_codec_conceal()), -ENOTSUP for
 * pcm and zpcm, -EINVAL for a bad @samples, or decode's errors for a malformed
 * @next.
 */
int vx_codec_decode_fec(struct vx_codec *c, const uint8_t *next, size_t len, int16_t *pcm,
			size_t samples) __attribute__((warn_unused_result));

/**
 * vx_codec_has_fec() - whether a packet carries FEC for the frame before it
 * (the LBRR flag vx_codec_decode_fec() reads). A sender uses it to know which
 * frames a loss would leave without FEC.
 * @c:      codec (any instance of the packet's codec).
 * @packet: @len bytes (untrusted).
 *
 * Context: real-time safe.
 * Return: 1, 0 (also always for pcm and zpcm), -EBADMSG or -EMSGSIZE.
 */
int vx_codec_has_fec(const struct vx_codec *c, const uint8_t *packet, size_t len);

/**
 * vx_codec_set() - set a control (enum vx_codec_ctl documents units and ranges).
 * @c:     codec.
 * @ctl:   which.
 * @value: new value.
 *
 * Changing VX_CODEC_FRAME_US changes the frame the next vx_codec_encode() takes.
 *
 * Context: encoder's thread; real-time safe.
 * Return: 0, -EINVAL for a value out of range or an unknown @ctl, or -ENOTSUP
 * if the codec lacks the control (pcm: all but FRAME_US; zpcm: all but
 * FRAME_US and COMPLEXITY).
 */
int vx_codec_set(struct vx_codec *c, enum vx_codec_ctl ctl, int value)
	__attribute__((warn_unused_result));

/**
 * vx_codec_get() - read a control.
 * @c:     codec.
 * @ctl:   which.
 * @value: set to the current value (Opus's BITRATE before any set: the rate
 *         libopus chose for the channels and frame size).
 *
 * Context: encoder's thread; real-time safe.
 * Return: 0, or -ENOTSUP as for vx_codec_set(), -EINVAL for an unknown @ctl.
 */
int vx_codec_get(struct vx_codec *c, enum vx_codec_ctl ctl, int *value)
	__attribute__((warn_unused_result));

#endif
