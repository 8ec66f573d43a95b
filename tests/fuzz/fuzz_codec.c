// SPDX-License-Identifier: MIT
/*
 * Packets from the network into every codec's decoder. The first byte picks the
 * codec (b % 3), channels (b / 3 % 2 + 1), frame duration (b / 6 % 6) and mode
 * (b / 36 % 2):
 *   mode 0: the rest is a packet: decode, decode_fec and conceal it;
 *   mode 1: the rest is PCM: encode it, check pcm/zpcm give it back bit-exact,
 *           then flip bytes of the packet (positions and masks from the input's
 *           head) and decode again, reaching past the packet checks into zstd
 *           and the predictor, which random bytes rarely do.
 * Output buffers are malloc'd to the exact size decode may fill, so ASan sees
 * a write one sample too far.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned frame_us[] = { VX_CODEC_FRAME_US_LIST };
static const char *const names[] = { "opus", "pcm", "zpcm" };

static void decode_all(struct vx_codec *c, const uint8_t *packet, size_t len, size_t n,
		       unsigned ch)
{
	int16_t *frame = malloc(n * ch * sizeof(*frame));
	int16_t *big = malloc(VX_CODEC_MAX_FRAME_SAMPLES * ch * sizeof(*big));
	int ret;

	if (!frame || !big)
		abort();
	ret = vx_codec_decode(c, packet, len, frame, n);
	if (ret > (int)n)
		abort();
	ret = vx_codec_decode(c, packet, len, big, VX_CODEC_MAX_FRAME_SAMPLES);
	if (ret > VX_CODEC_MAX_FRAME_SAMPLES)
		abort();
	ret = vx_codec_decode_fec(c, packet, len, frame, n);
	if (ret > (int)n)
		abort();
	ret = vx_codec_conceal(c, frame, n);
	if (ret != (int)n)
		abort();
	free(big);
	free(frame);
}

static void encode_mutate(struct vx_codec *c, const uint8_t *data, size_t size, size_t n,
			  unsigned ch)
{
	size_t values = n * ch;
	int16_t *pcm = calloc(values, sizeof(*pcm));
	int16_t *out = malloc(values * sizeof(*out));
	uint8_t *packet = malloc(VX_CODEC_MAX_PACKET);
	int len, ret;

	if (!pcm || !out || !packet)
		abort();
	/* Byte 0 sets the effort (zstd level, Opus complexity; out of range is
	 * refused, pcm has none); then the input's byte pairs, repeated, are the
	 * samples. */
	if (size > 0) {
		ret = vx_codec_set(c, VX_CODEC_COMPLEXITY, data[0] % 20);
		(void)ret;
	}
	for (size_t i = 0; size >= 2 && i < values; i++) {
		size_t j = 2 * (i % (size / 2));

		pcm[i] = (int16_t)((int32_t)(data[j] << 8 | data[j + 1]) - 32768);
	}
	len = vx_codec_encode(c, pcm, packet, VX_CODEC_MAX_PACKET);
	if (len <= 0 || len > VX_CODEC_MAX_PACKET)
		abort();
	ret = vx_codec_decode(c, packet, (size_t)len, out, n);
	if (ret != (int)n)
		abort();
	if (strcmp(vx_codec_name(c), "opus") && memcmp(pcm, out, values * sizeof(*out)))
		abort(); /* lossless codecs must be bit-exact */
	/* Up to 8 byte flips: (position, xor mask) pairs from the input's head. */
	for (size_t k = 0; k + 1 < size && k < 16; k += 2)
		packet[data[k] % (size_t)len] ^= data[k + 1];
	decode_all(c, packet, (size_t)len, n, ch);
	/* And truncations of it: header-sized and a cut payload. */
	for (size_t cut = 1; cut < 4 && cut < (size_t)len; cut++)
		decode_all(c, packet, cut, n, ch);
	decode_all(c, packet, (size_t)len / 2, n, ch);
	decode_all(c, packet, (size_t)len - 1, n, ch);
	free(packet);
	free(out);
	free(pcm);
}

/*
 * pcm and zpcm decoders keep nothing between packets but the concealment
 * source, so one codec per configuration serves every input (creating zpcm's
 * zstd workspace per input would dominate the run). Opus keeps real decoder
 * state; a fresh one per input keeps every crash reproducible from its input.
 */
static struct vx_codec *get_codec(unsigned pick, bool *fresh)
{
	static struct vx_codec *cache[36];
	struct vx_codec_config cfg;
	struct vx_codec *c;

	*fresh = pick % 3 == 0;
	if (!*fresh && cache[pick])
		return cache[pick];
	if (vx_codec_config_by_name(&cfg, names[pick % 3]) < 0)
		abort();
	cfg.channels = pick / 3 % 2 + 1u;
	cfg.frame_us = frame_us[pick / 6 % 6];
	if (vx_codec_create(&c, &cfg) < 0)
		abort();
	if (!*fresh)
		cache[pick] = c;
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_codec *c;
	bool fresh;
	unsigned ch;
	size_t n;

	if (size < 1)
		return 0;
	c = get_codec(data[0] % 36u, &fresh);
	ch = vx_codec_channels(c);
	n = vx_codec_frame_samples(c);
	if (data[0] / 36 % 2)
		encode_mutate(c, data + 1, size - 1, n, ch);
	else
		decode_all(c, data + 1, size - 1, n, ch);
	if (fresh)
		vx_codec_destroy(c);
	return 0;
}
