// SPDX-License-Identifier: MIT
/*
 * The jitter buffer on whatever a peer may send: any sequence numbers,
 * timestamps, payloads and redundant copies, in any order, with pops on a clock
 * that moves forward by any amount. The session authenticates a packet's origin,
 * not its sense, so these are untrusted bytes too.
 *
 * The input is a program: byte 0 picks the codec (even: PCM, odd: Opus, whose
 * decoder then meets garbage packets); then 4-byte ops — op, a, b, c:
 *   0 insert        seq = base + (int8)a, ts = its nominal + (int8)b x 97,
 *                   payload c bytes from the input's tail, arriving now
 *   1 redundant     seq = base + (int8)a, payload c bytes
 *   2 pop           now += (a x 256 + b) x 10 us, then one pop
 *   3 lookahead     a % 5 frames
 *   4 report
 * Oracles beyond the sanitizers: pop returns a kind or -EIO and fills a frame;
 * a report's fraction lies in [0, 1]; the counters add up (lost = recovered +
 * concealed; redundancy within recovery; comfort noise within concealment).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audio/codec.h"
#include "pipeline/jitter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int16_t pcm[VX_CODEC_MAX_FRAME_SAMPLES * 2];
	struct vx_codec_config ccfg;
	struct vx_jitter_config cfg;
	struct vx_jitter_stats st;
	struct vx_jitter_report rep;
	struct vx_jitter_pop_info info;
	struct vx_codec *dec = NULL;
	struct vx_jitter *jb = NULL;
	uint64_t now = 1000000000ull;
	uint32_t base = 65530; /* wraps the 16-bit range early */
	size_t frame;

	if (size < 1)
		return 0;
	if (vx_codec_config_by_name(&ccfg, data[0] & 1 ? "opus" : "pcm") < 0 ||
	    vx_codec_create(&dec, &ccfg) < 0)
		abort();
	vx_jitter_config_default(&cfg, dec);
	if (vx_jitter_create(&jb, &cfg) < 0)
		abort();
	frame = vx_jitter_frame_samples(jb);
	for (size_t i = 1; i + 4 <= size; i += 4) {
		uint8_t op = data[i] % 5, a = data[i + 1], b = data[i + 2], c = data[i + 3];
		uint32_t seq = base + (uint32_t)(int32_t)(int8_t)a;
		const uint8_t *pay = data + size - (c < size ? c : size);
		size_t len = c < size ? c : size;
		int kind;

		switch (op) {
		case 0:
			(void)vx_jitter_insert(jb, seq, (uint32_t)(seq * frame) +
						   (uint32_t)((int32_t)(int8_t)b * 97),
					       pay, len, now);
			if ((int8_t)a > 0)
				base++; /* the sender moves on */
			break;
		case 1:
			(void)vx_jitter_insert_redundant(jb, seq, pay, len);
			break;
		case 2:
			now += ((uint64_t)a * 256 + b) * 10000;
			kind = vx_jitter_pop(jb, now, pcm, &info);
			if (kind != -EIO && (kind < VX_JITTER_IDLE || kind > VX_JITTER_HELD))
				abort();
			break;
		case 3:
			vx_jitter_set_lookahead(jb, a % 5);
			break;
		default:
			vx_jitter_report(jb, &rep);
			if (!(rep.fraction_lost >= 0 && rep.fraction_lost <= 1))
				abort();
			break;
		}
	}
	vx_jitter_stats(jb, &st);
	if (st.lost != st.fec_recovered + st.concealed || st.red_recovered > st.fec_recovered ||
	    st.cng > st.concealed)
		abort();
	vx_jitter_destroy(jb);
	vx_codec_destroy(dec);
	return 0;
}
