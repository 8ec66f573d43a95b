// SPDX-License-Identifier: MIT
/*
 * vox replay: the whole pipeline on a virtual clock (DESIGN.md, "Two clocks, one
 * pipeline", simulated mode). A WAV file goes through the library code a call
 * uses (codec encode -> RTP -> Noise session seal -> impairment model -> open ->
 * RTP parse -> adaptive jitter buffer -> decode/FEC/PLC) into another WAV file,
 * as fast as the CPU allows, and the run is scored as "Measuring quality" asks.
 *
 * Time. Frame k is sent at t_k = T0 + k x frame; the impairment model turns
 * each sealed datagram into 0, 1 or 2 delivery times, held in a queue ordered
 * by (delivery time, send order). The receiver ticks at the same t_k: it opens
 * every queued datagram due by then (arrival = its delivery time), then pops
 * one frame from the jitter buffer. Sending comes first within a tick, so a
 * packet with no delay is in time for the tick it was sent in.
 *
 * Determinism. The session's static keys, the RTP SSRC, first sequence number
 * and timestamp, the loss/jitter draws and the comfort-noise PRNG all derive
 * from --seed. The Noise handshake draws its ephemerals from libsodium, so the
 * ciphertexts differ from run to run, but nothing on the audio path reads a
 * ciphertext byte: the same input, options and seed give a byte-identical
 * OUT.wav. The handshake runs at T0 over an unimpaired path (as do rekeys and
 * keepalives, which a long file would need): the model impairs audio only.
 *
 * Output. Ticks before the first frame is due (IDLE) are not written, so OUT
 * starts with frame 0; the run ends once the jitter buffer has played (or
 * concealed) every frame sent. OUT therefore holds the input rounded up to whole
 * frames, plus any silent frames the buffer inserted to grow its delay, minus
 * any it dropped to shrink it (it does either only in silence).
 *
 * Opus with --loss > 0 turns on in-band FEC with that expected loss, as a
 * caller who knows its path would.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "algorithms/hash.h"
#include "audio/codec.h"
#include "audio/quality.h"
#include "audio/wav.h"
#include "pipeline/cli.h"
#include "pipeline/jitter.h"
#include "transport/impair.h"
#include "transport/noise.h"
#include "transport/rtp.h"
#include "transport/session.h"

#define PT_OPUS 111 /* VX_RTP_PT_OPUS */
#define PT_PCM  96  /* VX_RTP_PT_L16_MONO_48000 */
#define PT_ZPCM 98  /* dynamic: vox's lossless zstd-PCM, as vox send */

#define T0_NS        1000000000ull       /* virtual start: 1 s, clear of 0 */
#define EPOCH_NS     1700000000000000000ull /* fixed TAI64N base: no wall clock */
#define MAX_INNER    VX_SESSION_MAX_DATA /* RTP header + payload */
#define MAX_PAYLOAD  (MAX_INNER - VX_RTP_HEADER_LEN)

static const char usage_text[] =
	"usage: vox replay IN.wav OUT.wav [options]\n"
	"Run IN.wav through the call pipeline (codec, RTP, secure session, impaired\n"
	"network, jitter buffer) on a virtual clock, write what the receiver plays to\n"
	"OUT.wav, and report losses, delays, bitrate, CPU and quality (STOI, LSD).\n"
	"Deterministic: the same input, options and seed give the same OUT.wav.\n"
	"  --codec opus|pcm|zpcm  codec (opus)\n"
	"  --frame-ms N           frame: 2.5, 5, 10, 20, 40 or 60 ms (opus 20, else 10;\n"
	"                         pcm and zpcm at most 10)\n"
	"  --bitrate B            Opus bitrate, bits/s (libopus's choice)\n"
	"  --loss P               packet loss, percent, 0-100 (0); Opus then uses FEC\n"
	"  --burst L              mean loss burst in packets, >= 1 (Gilbert model)\n"
	"  --jitter MS            delay uniform on 0..2 x MS ms (0)\n"
	"  --seed N               seed of keys, RTP fields, losses and jitter (1)\n"
	"  --json                 one JSON object instead of the table\n"
	"Exit status: 0 done, 1 failed (file, codec), 2 bad usage.\n";

/* A datagram in flight on the virtual network. */
struct flight {
	uint64_t at;    /* delivery time, ns */
	uint64_t order; /* send order: ties keep it */
	size_t len;
	uint8_t data[VX_SESSION_MAX_PACKET];
};

/* A binary min-heap of datagrams by (at, order). Simulated mode: it may grow. */
struct net {
	struct flight *h;
	size_t n, cap;
	uint64_t order;
};

static bool flight_before(const struct flight *a, const struct flight *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void swap_flight(struct flight *a, struct flight *b)
{
	struct flight t = *a;

	*a = *b;
	*b = t;
}

static int net_push(struct net *q, uint64_t at, const uint8_t *data, size_t len)
{
	size_t i;

	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		struct flight *h = realloc(q->h, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		q->h = h;
		q->cap = cap;
	}
	i = q->n++;
	q->h[i].at = at;
	q->h[i].order = q->order++;
	q->h[i].len = len;
	memcpy(q->h[i].data, data, len);
	while (i && flight_before(&q->h[i], &q->h[(i - 1) / 2])) {
		swap_flight(&q->h[i], &q->h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	return 0;
}

/* Remove the earliest datagram into @out; the caller checks q->n and q->h[0].at. */
static void net_pop(struct net *q, struct flight *out)
{
	size_t i = 0;

	*out = q->h[0];
	q->h[0] = q->h[--q->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < q->n && flight_before(&q->h[l], &q->h[m]))
			m = l;
		if (r < q->n && flight_before(&q->h[r], &q->h[m]))
			m = r;
		if (m == i)
			break;
		swap_flight(&q->h[i], &q->h[m]);
		i = m;
	}
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Both peers in memory: a sends audio (initiator), b receives. */
struct peers {
	struct vx_noise_keypair ka, kb;
	struct vx_session *a, *b;
};

/* Move every control datagram (handshake, keepalive) between the peers at once. */
static int pump_control(struct peers *p, uint64_t now)
{
	uint8_t buf[VX_SESSION_MAX_PACKET], out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	bool moved = true;
	ssize_t n;

	while (moved) {
		moved = false;
		while ((n = vx_session_poll(p->a, now, buf, sizeof(buf))) > 0) {
			/* A refused one is counted in the session's stats; the
			 * handshake check after the first pump catches failure. */
			if (vx_session_open(p->b, now, buf, (size_t)n, &kind, out, sizeof(out)) < 0)
				continue;
			moved = true;
		}
		if (n < 0)
			return (int)n;
		while ((n = vx_session_poll(p->b, now, buf, sizeof(buf))) > 0) {
			if (vx_session_open(p->a, now, buf, (size_t)n, &kind, out, sizeof(out)) < 0)
				continue;
			moved = true;
		}
		if (n < 0)
			return (int)n;
	}
	return 0;
}

static int peers_create(struct peers *p, uint64_t seed)
{
	struct vx_session_config cfg;
	uint8_t priv[VX_NOISE_KEY_BYTES];
	uint64_t x = seed ^ 0x6b657973ull; /* "keys": a stream apart from the others */
	int ret;

	for (int who = 0; who < 2; who++) {
		for (size_t i = 0; i < sizeof(priv); i += 8) {
			uint64_t v = vx_rand64(&x);

			memcpy(priv + i, &v, 8);
		}
		ret = vx_noise_keypair_from_private(who ? &p->kb : &p->ka, priv);
		if (ret < 0)
			return ret;
	}
	vx_session_config_default(&cfg);
	cfg.clock_offset_ns = EPOCH_NS;
	cfg.local = &p->ka;
	cfg.peer_public = p->kb.pub;
	cfg.initiator = true;
	ret = vx_session_create(&p->a, &cfg);
	if (ret < 0)
		return ret;
	cfg.local = &p->kb;
	cfg.peer_public = p->ka.pub;
	cfg.initiator = false;
	return vx_session_create(&p->b, &cfg);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct result {
	double audio_s;
	uint64_t sent;
	struct vx_jitter_stats js;
	double jb_mean_ms, jb_p95_ms;
	double bitrate_kbps;
	double cpu_per_audio;
	double handshake_ms;
	bool have_quality;
	struct vx_quality q;
};

static void print_result(const struct result *r, bool json)
{
	char stoi[32] = "null", lsd[32] = "null";

	if (r->have_quality) {
		snprintf(stoi, sizeof(stoi), "%.4f", r->q.stoi);
		snprintf(lsd, sizeof(lsd), "%.2f", r->q.lsd_db);
	}
	if (json) {
		printf("{\"audio_s\": %.3f, \"frames\": {\"sent\": %" PRIu64 ", \"received\": %" PRIu64
		       ", \"lost\": %" PRIu64 ", \"late\": %" PRIu64 ", \"duplicate\": %" PRIu64
		       ", \"concealed\": %" PRIu64 ", \"fec_recovered\": %" PRIu64 "}, "
		       "\"jitter_buffer_ms\": {\"mean\": %.2f, \"p95\": %.2f}, "
		       "\"latency_ms\": {\"p50\": null, \"p95\": null, \"max\": null}, "
		       "\"bitrate_kbps\": %.2f, \"cpu_s_per_audio_s\": %.4f, \"handshake_ms\": %.3f, "
		       "\"stoi\": %s, \"lsd_db\": %s}\n",
		       r->audio_s, r->sent, r->js.received, r->js.lost, r->js.late, r->js.duplicate,
		       r->js.concealed, r->js.fec_recovered, r->jb_mean_ms, r->jb_p95_ms,
		       r->bitrate_kbps, r->cpu_per_audio, r->handshake_ms, stoi, lsd);
		return;
	}
	printf("audio              %10.3f s\n"
	       "frames sent        %10" PRIu64 "\n"
	       "  received         %10" PRIu64 "\n"
	       "  lost             %10" PRIu64 "  (concealed %" PRIu64 ", FEC %" PRIu64 ")\n"
	       "  late             %10" PRIu64 "\n"
	       "  duplicate        %10" PRIu64 "\n"
	       "jitter buffer      %10.2f ms mean, %.2f ms p95\n"
	       "latency                   n/a (simulated)\n"
	       "bitrate            %10.2f kb/s\n"
	       "CPU                %10.4f s per audio s\n"
	       "handshake          %10.3f ms CPU\n"
	       "STOI               %10s\n"
	       "LSD                %10s dB\n",
	       r->audio_s, r->sent, r->js.received, r->js.lost, r->js.concealed,
	       r->js.fec_recovered, r->js.late, r->js.duplicate, r->jb_mean_ms, r->jb_p95_ms,
	       r->bitrate_kbps, r->cpu_per_audio, r->handshake_ms, stoi, lsd);
}

int vx_cmd_replay(int argc, char **argv)
{
	enum { O_CODEC = 1000, O_FRAME, O_BITRATE, O_LOSS, O_BURST, O_JITTER, O_SEED, O_JSON };
	static const struct option longopts[] = {
		{ "codec", required_argument, NULL, O_CODEC },
		{ "frame-ms", required_argument, NULL, O_FRAME },
		{ "bitrate", required_argument, NULL, O_BITRATE },
		{ "loss", required_argument, NULL, O_LOSS },
		{ "burst", required_argument, NULL, O_BURST },
		{ "jitter", required_argument, NULL, O_JITTER },
		{ "seed", required_argument, NULL, O_SEED },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *codec_name = "opus", *in_path, *out_path;
	unsigned frame_us = 0;
	uint64_t bitrate = 0, seed = 1;
	double loss = 0, burst = 0, jitter_ms = 0;
	bool json = false;
	int opt, ret, status = VX_EXIT_FAIL;
	char err[VX_WAV_ERR_LEN] = "";
	struct vx_codec_config ccfg;
	struct vx_impair_config icfg;
	struct vx_jitter_config jcfg;
	struct vx_codec *enc = NULL, *dec = NULL;
	struct vx_impair *imp = NULL;
	struct vx_jitter *jb = NULL;
	struct vx_wav_writer *w = NULL;
	struct peers peers = { 0 };
	struct net net = { 0 };
	struct flight fl;
	struct result res = { 0 };
	int16_t *in = NULL, *out = NULL, frame[VX_CODEC_MAX_FRAME_SAMPLES] = { 0 };
	double *delays = NULL;
	size_t nin = 0, fs, nframes, nout = 0, ndelays = 0, max_ticks;
	uint64_t frame_ns, payload_bytes = 0, cpu0, cpu1;
	uint8_t inner[MAX_INNER], dgram[VX_SESSION_MAX_PACKET], rx[VX_SESSION_MAX_PACKET];

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_CODEC:
			if (strcmp(optarg, "opus") && strcmp(optarg, "pcm") && strcmp(optarg, "zpcm"))
				return vx_cli_usage("replay", "--codec wants opus, pcm or zpcm: %s",
						    optarg);
			codec_name = optarg;
			break;
		case O_FRAME:
			if (!vx_cli_parse_frame_ms(optarg, &frame_us))
				return vx_cli_usage("replay",
						    "--frame-ms wants 2.5, 5, 10, 20, 40 or 60: %s",
						    optarg);
			break;
		case O_BITRATE:
			if (!vx_cli_parse_u64(optarg, 10, 500, 512000, &bitrate))
				return vx_cli_usage("replay", "--bitrate wants 500 to 512000 bits/s: %s",
						    optarg);
			break;
		case O_LOSS:
			if (!vx_cli_parse_double(optarg, &loss) || !(loss >= 0 && loss <= 100))
				return vx_cli_usage("replay", "--loss wants a percentage, 0 to 100: %s",
						    optarg);
			break;
		case O_BURST:
			if (!vx_cli_parse_double(optarg, &burst) || !(burst >= 1 && burst <= 1e6))
				return vx_cli_usage("replay", "--burst wants packets, >= 1: %s", optarg);
			break;
		case O_JITTER:
			if (!vx_cli_parse_double(optarg, &jitter_ms) ||
			    !(jitter_ms >= 0 && jitter_ms <= 1000))
				return vx_cli_usage("replay", "--jitter wants 0 to 1000 ms: %s", optarg);
			break;
		case O_SEED:
			if (!vx_cli_parse_u64(optarg, 0, 0, UINT64_MAX, &seed))
				return vx_cli_usage("replay", "--seed wants an unsigned integer: %s",
						    optarg);
			break;
		case O_JSON:
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return VX_EXIT_OK;
		default:
			return vx_cli_usage("replay", "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return vx_cli_usage("replay", "IN.wav and OUT.wav are needed");
	if (argc - optind > 2)
		return vx_cli_usage("replay", "unexpected argument: %s", argv[optind + 2]);
	in_path = argv[optind];
	out_path = argv[optind + 1];

	(void)vx_codec_config_by_name(&ccfg, codec_name);
	if (!frame_us)
		frame_us = ccfg.type == VX_CODEC_OPUS ? 20000 : 10000;
	ccfg.frame_us = frame_us;
	fs = (size_t)frame_us * VX_CODEC_RATE / 1000000;
	frame_ns = (uint64_t)frame_us * 1000u;
	if (ccfg.type != VX_CODEC_OPUS && bitrate)
		return vx_cli_usage("replay", "--bitrate is for opus");
	/* A sealed datagram carries at most VX_SESSION_MAX_DATA bytes: raw L16 (and
	 * zpcm's raw fallback) past 10 ms would not fit. */
	if (ccfg.type != VX_CODEC_OPUS && 2 + 2 * fs > MAX_PAYLOAD)
		return vx_cli_usage("replay", "a pcm or zpcm frame is at most 10 ms");

	vx_impair_config_default(&icfg);
	icfg.seed = seed;
	if (burst > 0) {
		if (vx_impair_ge_from_mean(&icfg, loss / 100, burst) < 0)
			return vx_cli_usage("replay", "no loss model has --loss %g with --burst %g",
					    loss, burst);
	} else {
		icfg.loss = loss / 100;
	}
	/* Uniform jitter around a base delay of the same size: never clipped at 0. */
	icfg.jitter_ns = (uint64_t)(jitter_ms * 1e6);
	icfg.delay_ns = icfg.jitter_ns;
	icfg.jitter_dist = VX_IMPAIR_UNIFORM;

	ret = vx_wav_load(in_path, 1, &in, &nin, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vox replay: %s\n", err[0] ? err : strerror(-ret));
		return VX_EXIT_FAIL;
	}
	nframes = (nin + fs - 1) / fs;
	res.audio_s = (double)nin / VX_WAV_RATE;
	res.sent = nframes;
	/* Enough ticks to drain the largest buffer delay, plus the frames the
	 * buffer may repeat to grow it. */
	max_ticks = 2 * nframes + 2 * (size_t)((VX_JITTER_MAX_DELAY_NS + 2000000000ull) / frame_ns) + 16;

	ret = vx_codec_create(&enc, &ccfg);
	if (ret >= 0)
		ret = vx_codec_create(&dec, &ccfg);
	if (ret >= 0 && bitrate)
		ret = vx_codec_set(enc, VX_CODEC_BITRATE, (int)bitrate);
	if (ret >= 0 && ccfg.type == VX_CODEC_OPUS && loss > 0) {
		ret = vx_codec_set(enc, VX_CODEC_FEC, 1);
		if (ret >= 0)
			ret = vx_codec_set(enc, VX_CODEC_LOSS_PERC, (int)ceil(loss));
	}
	if (ret < 0) {
		fprintf(stderr, "vox replay: codec: %s\n", strerror(-ret));
		goto out;
	}
	ret = vx_impair_create(&imp, &icfg);
	if (ret < 0) {
		fprintf(stderr, "vox replay: impairment model: %s\n", strerror(-ret));
		goto out;
	}
	vx_jitter_config_default(&jcfg, dec);
	jcfg.seed = seed;
	ret = vx_jitter_create(&jb, &jcfg);
	if (ret < 0) {
		fprintf(stderr, "vox replay: jitter buffer: %s\n", strerror(-ret));
		goto out;
	}
	out = malloc(max_ticks * fs * sizeof(*out));
	delays = malloc(max_ticks * sizeof(*delays));
	if (!out || !delays) {
		fprintf(stderr, "vox replay: %s\n", strerror(ENOMEM));
		goto out;
	}
	ret = vx_wav_writer_open(&w, out_path, VX_WAV_RATE, 1, VX_WAV_S16);
	if (ret < 0) {
		fprintf(stderr, "vox replay: %s: %s\n", out_path, strerror(-ret));
		goto out;
	}

	cpu0 = cpu_ns();
	ret = peers_create(&peers, seed);
	if (ret >= 0)
		ret = pump_control(&peers, T0_NS);
	if (ret >= 0 && !(vx_session_is_established(peers.a, T0_NS) &&
			  vx_session_is_established(peers.b, T0_NS)))
		ret = -EPROTO;
	if (ret < 0) {
		fprintf(stderr, "vox replay: handshake: %s\n", strerror(-ret));
		goto out;
	}
	res.handshake_ms = (double)(cpu_ns() - cpu0) / 1e6;

	{
		uint64_t x = seed ^ 0x727470ull; /* "rtp" */
		uint64_t r = vx_rand64(&x);
		struct vx_rtp_packet p = {
			.pt = ccfg.type == VX_CODEC_OPUS ? PT_OPUS : ccfg.type == VX_CODEC_PCM ? PT_PCM
												 : PT_ZPCM,
			.marker = true,
			.ssrc = (uint32_t)r,
			.seq = (uint16_t)(r >> 32),
			.ts = (uint32_t)vx_rand64(&x),
		};
		size_t played = 0; /* frames the buffer has moved past */
		bool started = false;

		for (size_t k = 0; k < max_ticks && played < nframes; k++) {
			uint64_t now = T0_NS + k * frame_ns, at[2];
			struct vx_jitter_pop_info info;
			int16_t pcm[VX_CODEC_MAX_FRAME_SAMPLES];
			unsigned copies;

			ret = pump_control(&peers, now);
			if (ret < 0) {
				fprintf(stderr, "vox replay: rekey: %s\n", strerror(-ret));
				goto out;
			}
			if (k < nframes) {
				size_t have = nin - k * fs < fs ? nin - k * fs : fs;
				ssize_t len;
				int plen;

				memcpy(frame, in + k * fs, have * sizeof(*frame));
				memset(frame + have, 0, (fs - have) * sizeof(*frame));
				plen = vx_codec_encode(enc, frame, inner + VX_RTP_HEADER_LEN, MAX_PAYLOAD);
				if (plen < 0) {
					fprintf(stderr, "vox replay: encode: %s\n", strerror(-plen));
					goto out;
				}
				payload_bytes += (uint64_t)plen;
				p.payload = inner + VX_RTP_HEADER_LEN;
				p.payload_len = (size_t)plen;
				len = vx_rtp_encode(&p, inner, sizeof(inner));
				if (len >= 0)
					len = vx_session_seal(peers.a, now, VX_SESSION_RTP, inner,
							      (size_t)len, dgram, sizeof(dgram));
				if (len < 0) {
					fprintf(stderr, "vox replay: send: %s\n", strerror((int)-len));
					goto out;
				}
				p.marker = false;
				p.seq++;
				p.ts += (uint32_t)fs;
				copies = vx_impair_decide(imp, now, (size_t)len, at);
				for (unsigned c = 0; c < copies; c++) {
					ret = net_push(&net, at[c], dgram, (size_t)len);
					if (ret < 0) {
						fprintf(stderr, "vox replay: %s\n", strerror(-ret));
						goto out;
					}
				}
			}
			while (net.n && net.h[0].at <= now) {
				enum vx_session_kind kind;
				struct vx_rtp_packet rp;
				ssize_t n;

				net_pop(&net, &fl);
				n = vx_session_open(peers.b, fl.at, fl.data, fl.len, &kind, rx,
						    sizeof(rx));
				/* A network duplicate is refused here as a replay, as on a real
				 * path: the session drops it before RTP sees it. */
				if (n < 0 || kind != VX_SESSION_RTP)
					continue;
				if (vx_rtp_parse(&rp, rx, (size_t)n) < 0 || rp.pt != p.pt ||
				    !rp.payload_len)
					continue;
				(void)vx_jitter_insert(jb, rp.seq, rp.ts, rp.payload, rp.payload_len,
						       fl.at);
			}
			ret = vx_jitter_pop(jb, now, pcm, &info);
			if (ret == VX_JITTER_IDLE && !started)
				continue;
			started = true;
			if (info.kind != VX_JITTER_IDLE && info.kind != VX_JITTER_INSERTED)
				played += info.dropped ? 2 : 1;
			delays[ndelays++] = (double)info.delay_ns / 1e6;
			memcpy(out + nout, pcm, fs * sizeof(*pcm));
			nout += fs;
		}
		ret = vx_wav_writer_write(w, out, nout);
		if (ret < 0) {
			fprintf(stderr, "vox replay: %s: %s\n", out_path, strerror(-ret));
			goto out;
		}
	}
	cpu1 = cpu_ns();
	ret = vx_wav_writer_close(w);
	w = NULL;
	if (ret < 0) {
		fprintf(stderr, "vox replay: %s: %s\n", out_path, strerror(-ret));
		goto out;
	}

	vx_jitter_stats(jb, &res.js);
	if (ndelays) {
		double sum = 0;

		for (size_t i = 0; i < ndelays; i++)
			sum += delays[i];
		res.jb_mean_ms = sum / (double)ndelays;
		qsort(delays, ndelays, sizeof(*delays), cmp_double);
		res.jb_p95_ms = delays[(size_t)ceil(0.95 * (double)ndelays) - 1];
	}
	res.bitrate_kbps = res.audio_s > 0 ? (double)payload_bytes * 8 / res.audio_s / 1000 : 0;
	res.cpu_per_audio = res.audio_s > 0 ? (double)(cpu1 - cpu0) / 1e9 / res.audio_s : 0;
	/* Too short or silent input has no score: reported as null. */
	res.have_quality = vx_quality_compare(in, nin, out, nout, &res.q) == 0;
	print_result(&res, json);
	status = VX_EXIT_OK;
out:
	if (w)
		(void)vx_wav_writer_close(w);
	free(net.h);
	free(delays);
	free(out);
	free(in);
	vx_session_destroy(peers.a);
	vx_session_destroy(peers.b);
	vx_jitter_destroy(jb);
	vx_impair_destroy(imp);
	vx_codec_destroy(enc);
	vx_codec_destroy(dec);
	return status;
}
