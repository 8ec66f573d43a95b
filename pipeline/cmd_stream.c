// SPDX-License-Identifier: MIT
/*
 * vox send, vox recv: one audio stream over RTP, secured by a Noise IK session
 * (transport/session.h) unless --insecure asks for bare RTP.
 *
 * send reads a WAV file (any format the reader takes, mixed to 48 kHz mono),
 * encodes it frame by frame and sends one RTP packet per frame at absolute
 * CLOCK_MONOTONIC deadlines start + k x frame (clock_nanosleep TIMER_ABSTIME),
 * so a late wake-up never shifts the frames after it. As the initiator it runs
 * the handshake first and sends no audio until the session is established.
 *
 * recv is the responder. It follows the stream with the rtp module (RFC 3550
 * A.1: probation, extended sequence numbers) and writes 48 kHz mono S16 to a
 * WAV file in sequence order through a deliberately simple fixed playout (the
 * playout_* functions below, to be replaced by the adaptive jitter buffer):
 *
 * - a packet is stored in the slot of its extended sequence number;
 * - frames leave in sequence order as soon as their packet is there;
 * - a missing frame is given up once a packet PLAYOUT_DELAY frames later has
 *   arrived, or PLAYOUT_DELAY frame durations after a later packet first showed
 *   the gap; it is then recovered from the next packet's Opus FEC when that
 *   packet is held and carries some, else concealed (Opus PLC, or the pcm/zpcm
 *   codec's conceal). So every lost frame is either fec_recovered or concealed.
 * - a packet for a frame already written is dropped: a duplicate when that
 *   frame was played from a packet with its number, else late.
 *
 * Payload types: Opus 111 (RFC 7587), L16/48000 mono 96 (rtp.h's dynamic
 * choice), zPCM 98 (vox's own format, dynamic range 98-127). One SSRC per
 * stream: recv locks onto the first one it validates.
 *
 * Real time: every buffer is allocated before the loop (the whole input file,
 * the playout slots, the codec). The loops then only do I/O on their own socket
 * and output file; they are single-threaded command-line tools, not the
 * pipeline's real-time graph.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/random.h>

#include "audio/codec.h"
#include "audio/wav.h"
#include "pipeline/cli.h"
#include "pipeline/voice.h"
#include "transport/keys.h"
#include "transport/rtp.h"
#include "transport/session.h"
#include "transport/udp.h"

#define NS_PER_S   1000000000ull
#define MAX_DGRAM  65536
/* An RTP packet inside a session: 12 header bytes plus the payload must fit. */
#define SECURE_MAX_PAYLOAD (VX_SESSION_MAX_DATA - VX_RTP_HEADER_LEN)

#define PLAYOUT_SLOTS 64 /* frames the playout holds ahead of the next one out */
#define PLAYOUT_DELAY 3  /* frames: how long a gap waits for its packet */

static const char *const insecure_warning =
	"audio is sent unencrypted and unauthenticated";

static const char send_help[] =
	"usage: vox send IN.wav HOST:PORT [options]\n"
	"Stream a WAV file (any format; mixed to 48 kHz mono) as RTP in real time.\n"
	"  --codec opus|pcm|zpcm  codec (opus): RTP PT 111 (RFC 7587), 96 (L16/48000),\n"
	"                         98 (vox's zstd-PCM)\n"
	"  --frame-ms N           frame: 2.5, 5, 10, 20, 40 or 60 ms (opus 20, else 10;\n"
	"                         secured pcm and zpcm allow at most 10)\n"
	"  --bitrate B            Opus bitrate, bits/s (libopus's choice)\n"
	"  --fec PERC             Opus in-band FEC for PERC % expected loss (off)\n"
	"  --key FILE             our private key file (vox keygen)\n"
	"  --peer PUBKEY          the receiver's public key (base64, as vox pubkey prints)\n"
	"  --insecure             bare RTP: no encryption, no authentication\n"
	"  --handshake-timeout S  give up when the receiver has not answered (5)\n"
	"  --json                 summary as one JSON object\n"
	"  -h, --help             this help\n"
	"Secured (--key and --peer) is the default; the handshake completes before any\n"
	"audio is sent. The summary goes to stdout.\n"
	"Exit status: 0 sent, 1 failed (file, socket, no handshake), 2 bad usage.\n";

static const char recv_help[] =
	"usage: vox recv --listen [ADDR:]PORT -o OUT.wav [options]\n"
	"Receive one RTP audio stream and write it, in sequence order, as 48 kHz mono\n"
	"16-bit WAV; lost frames are recovered by Opus FEC or concealed.\n"
	"  --listen [ADDR:]PORT   where to listen (port 0: any; the line\n"
	"                         \"vox recv: listening on ADDR:PORT\" on stderr says which)\n"
	"  -o, --output FILE      the WAV file (its header is valid at all times)\n"
	"  --codec opus|pcm|zpcm  accept only this codec (default: the first packet's)\n"
	"  --key FILE             our private key file (vox keygen)\n"
	"  --peer PUBKEY          the sender's public key (base64)\n"
	"  --insecure             bare RTP: no decryption, no authentication\n"
	"  --idle-exit S          exit S seconds after the last datagram (2)\n"
	"  --json                 summary as one JSON object\n"
	"  -h, --help             this help\n"
	"Stops on SIGINT or SIGTERM too. The summary goes to stdout.\n"
	"Exit status: 0 done, 1 failed (file, socket), 2 bad usage.\n";

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Seconds as a decimal ("1", "0.5") to ns, within (0, max_s]. */
static bool parse_seconds(const char *s, double max_s, uint64_t *ns)
{
	double v;

	if (!vx_cli_parse_double(s, &v) || !(v > 0) || v > max_s)
		return false;
	*ns = (uint64_t)(v * 1e9);
	return true;
}

static const char *pt_codec_name(unsigned pt)
{
	switch (pt) {
	case VX_RTP_PT_OPUS: return "opus";
	case VX_RTP_PT_L16_MONO_48000: return "pcm";
	case VX_RTP_PT_ZPCM: return "zpcm";
	default: return NULL;
	}
}

static bool codec_name_ok(const char *s)
{
	return !strcmp(s, "opus") || !strcmp(s, "pcm") || !strcmp(s, "zpcm");
}

/* Our key pair and the peer's public key, for either role. */
static int load_keys(const char *cmd, const char *key_path, const char *peer_b64,
		     struct vx_noise_keypair *kp, uint8_t *peer_pub)
{
	unsigned mode;
	int ret;

	ret = vx_keys_decode(peer_pub, peer_b64, strlen(peer_b64));
	if (ret < 0) {
		fprintf(stderr, "vox %s: --peer: %s\n", cmd,
			ret == -EMSGSIZE ? "not a 32-byte key" : "not base64");
		return ret;
	}
	ret = vx_keys_read(key_path, kp, &mode);
	if (ret < 0) {
		fprintf(stderr, "vox %s: %s: %s\n", cmd, key_path, vx_keys_strerror(ret));
		return ret;
	}
	if (mode)
		fprintf(stderr, "vox %s: warning: %s has mode %04o; a private key should be 0600\n",
			cmd, key_path, mode);
	return 0;
}

static int make_session(struct vx_session **out, const struct vx_noise_keypair *kp,
			const uint8_t *peer_pub, bool initiator)
{
	struct vx_session_config cfg;

	vx_session_config_default(&cfg);
	cfg.local = kp;
	cfg.peer_public = peer_pub;
	cfg.initiator = initiator;
	cfg.clock_offset_ns = real_ns() - vx_cli_now_ns();
	return vx_session_create(out, &cfg);
}

static void print_session_drops(FILE *f, const struct vx_session_stats *st, bool json)
{
	if (json) {
		fprintf(f,
			"{\"accepted\":%" PRIu64 ",\"handshakes\":%" PRIu64
			",\"truncated\":%" PRIu64 ",\"oversized\":%" PRIu64
			",\"malformed\":%" PRIu64 ",\"unknown_index\":%" PRIu64
			",\"expired\":%" PRIu64 ",\"replayed\":%" PRIu64 ",\"forged\":%" PRIu64
			",\"hs_forged\":%" PRIu64 ",\"hs_unknown_peer\":%" PRIu64
			",\"hs_replayed\":%" PRIu64 ",\"hs_stale\":%" PRIu64
			",\"hs_unexpected\":%" PRIu64 "}",
			st->rx_packets, st->handshakes, st->drop_truncated, st->drop_oversized,
			st->drop_malformed, st->drop_unknown_index, st->drop_expired,
			st->drop_replayed, st->drop_forged, st->drop_hs_forged,
			st->drop_hs_unknown_peer, st->drop_hs_replayed, st->drop_hs_stale,
			st->drop_hs_unexpected);
		return;
	}
	fprintf(f,
		"session: accepted %" PRIu64 " handshakes %" PRIu64 " truncated %" PRIu64
		" oversized %" PRIu64 " malformed %" PRIu64 " unknown_index %" PRIu64
		" expired %" PRIu64 " replayed %" PRIu64 " forged %" PRIu64
		" hs_forged %" PRIu64 " hs_unknown_peer %" PRIu64 " hs_replayed %" PRIu64
		" hs_stale %" PRIu64 " hs_unexpected %" PRIu64 "\n",
		st->rx_packets, st->handshakes, st->drop_truncated, st->drop_oversized,
		st->drop_malformed, st->drop_unknown_index, st->drop_expired, st->drop_replayed,
		st->drop_forged, st->drop_hs_forged, st->drop_hs_unknown_peer,
		st->drop_hs_replayed, st->drop_hs_stale, st->drop_hs_unexpected);
}

/* ================================ vox send ================================ */

struct sender {
	struct vx_udp *u;
	struct vx_session *s; /* NULL: --insecure */
	uint8_t *dgram;       /* MAX_DGRAM */
	uint8_t *inner;       /* MAX_DGRAM */
	uint64_t send_errors;
};

/* Everything the session wants sent now (handshakes, keepalives). */
static int sender_run_timers(struct sender *sd, uint64_t now)
{
	for (;;) {
		ssize_t n = vx_session_poll(sd->s, now, sd->dgram, MAX_DGRAM);

		if (n <= 0)
			return (int)n;
		/* A refused send (receiver not up yet) is retried by the session. */
		if (vx_udp_send(sd->u, sd->dgram, (size_t)n) < 0)
			sd->send_errors++;
	}
}

/* Take whatever arrived: handshake responses, keepalives; audio is not expected. */
static void sender_drain(struct sender *sd, uint64_t now)
{
	struct vx_udp_msg m = { .buf = sd->dgram, .cap = MAX_DGRAM };

	for (;;) {
		enum vx_session_kind kind;
		ssize_t n = vx_udp_recv(sd->u, &m);

		if (n == -EAGAIN || n == -EINTR)
			return;
		if (n < 0)
			continue; /* ECONNREFUSED, EMSGSIZE: nothing to open */
		if (vx_session_open(sd->s, now, sd->dgram, (size_t)n, &kind, sd->inner,
				    MAX_DGRAM) < 0)
			continue; /* counted by the session */
		if (vx_session_next_timeout(sd->s) <= now)
			(void)sender_run_timers(sd, now);
	}
}

/* Run the handshake to completion, or fail after @timeout_ns. */
static int sender_handshake(struct sender *sd, uint64_t timeout_ns)
{
	uint64_t start = vx_cli_now_ns(), deadline = start + timeout_ns;

	for (;;) {
		uint64_t now = vx_cli_now_ns(), next;
		int ret;

		if (vx_session_next_timeout(sd->s) <= now) {
			ret = sender_run_timers(sd, now);
			if (ret < 0 && ret != -ENOMEM && ret != -EIO)
				return ret;
		}
		if (vx_session_is_established(sd->s, now))
			return 0;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (vx_cli_signal)
			return -EINTR;
		next = vx_session_next_timeout(sd->s);
		if (next > deadline)
			next = deadline;
		ret = vx_udp_wait(sd->u, next > now ? (int)((next - now + 999999) / 1000000) : 0);
		if (ret < 0 && ret != -EINTR)
			return ret;
		sender_drain(sd, vx_cli_now_ns());
	}
}

int vx_cmd_send(int argc, char **argv)
{
	enum { O_CODEC = 1000, O_FRAME, O_BITRATE, O_FEC, O_KEY, O_PEER, O_INSECURE, O_HS,
	       O_JSON };
	static const struct option longopts[] = {
		{ "codec", required_argument, NULL, O_CODEC },
		{ "frame-ms", required_argument, NULL, O_FRAME },
		{ "bitrate", required_argument, NULL, O_BITRATE },
		{ "fec", required_argument, NULL, O_FEC },
		{ "key", required_argument, NULL, O_KEY },
		{ "peer", required_argument, NULL, O_PEER },
		{ "insecure", no_argument, NULL, O_INSECURE },
		{ "handshake-timeout", required_argument, NULL, O_HS },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *codec_name = "opus", *key_path = NULL, *peer_b64 = NULL, *in, *dest;
	unsigned frame_us = 0;
	int bitrate = 0, fec = -1, opt, ret, status = VX_EXIT_FAIL;
	bool insecure = false, json = false;
	uint64_t hs_timeout = 5 * NS_PER_S, v;
	struct vx_codec_config ccfg;
	struct vx_codec *codec = NULL;
	struct vx_noise_keypair kp;
	uint8_t peer_pub[VX_NOISE_DH_BYTES];
	struct sender sd = { 0 };
	char err[VX_WAV_ERR_LEN];
	int16_t *pcm = NULL, *frame = NULL;
	size_t frames_in = 0, fs, nframes, max_payload;
	uint64_t sent = 0, payload_bytes = 0, wire_bytes = 0, overruns = 0, seal_errors = 0;
	uint64_t start = 0, end = 0;
	bool have_keys = false;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_CODEC:
			if (!codec_name_ok(optarg))
				return vx_cli_usage("send", "--codec wants opus, pcm or zpcm: %s",
						    optarg);
			codec_name = optarg;
			break;
		case O_FRAME:
			if (!vx_cli_parse_frame_ms(optarg, &frame_us))
				return vx_cli_usage("send",
						    "--frame-ms wants 2.5, 5, 10, 20, 40 or 60: %s",
						    optarg);
			break;
		case O_BITRATE:
			if (!vx_cli_parse_u64(optarg, 10, 500, 512000, &v))
				return vx_cli_usage("send",
						    "--bitrate wants 500 to 512000 bits/s: %s",
						    optarg);
			bitrate = (int)v;
			break;
		case O_FEC:
			if (!vx_cli_parse_u64(optarg, 10, 0, 100, &v))
				return vx_cli_usage("send",
						    "--fec wants a loss percentage, 0 to 100: %s",
						    optarg);
			fec = (int)v;
			break;
		case O_KEY: key_path = optarg; break;
		case O_PEER: peer_b64 = optarg; break;
		case O_INSECURE: insecure = true; break;
		case O_JSON: json = true; break;
		case O_HS:
			if (!parse_seconds(optarg, 3600, &hs_timeout))
				return vx_cli_usage("send", "--handshake-timeout wants seconds: %s",
						    optarg);
			break;
		case 'h':
			fputs(send_help, stdout);
			return VX_EXIT_OK;
		default:
			return vx_cli_usage("send", "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return vx_cli_usage("send", "IN.wav and HOST:PORT are needed");
	if (argc - optind > 2)
		return vx_cli_usage("send", "unexpected argument: %s", argv[optind + 2]);
	in = argv[optind];
	dest = argv[optind + 1];
	if (insecure && (key_path || peer_b64))
		return vx_cli_usage("send", "--insecure excludes --key and --peer");
	if (!insecure && (!key_path || !peer_b64))
		return vx_cli_usage("send", "--key and --peer are needed (or --insecure)");
	(void)vx_codec_config_by_name(&ccfg, codec_name);
	if (!frame_us)
		frame_us = ccfg.type == VX_CODEC_OPUS ? 20000 : 10000;
	ccfg.frame_us = frame_us;
	fs = (size_t)frame_us * VX_CODEC_RATE / 1000000;
	if (ccfg.type != VX_CODEC_OPUS && (bitrate || fec >= 0))
		return vx_cli_usage("send", "--bitrate and --fec are for opus");
	/* A session carries at most VX_SESSION_MAX_DATA bytes; raw L16 (and zpcm's
	 * raw fallback) past 10 ms would not fit, and IP fragments are not sealed. */
	max_payload = insecure ? MAX_DGRAM - VX_RTP_HEADER_LEN : SECURE_MAX_PAYLOAD;
	if (ccfg.type != VX_CODEC_OPUS && 2 + 2 * fs > max_payload)
		return vx_cli_usage("send", "a secured pcm or zpcm frame is at most 10 ms");
	if (max_payload > VX_CODEC_MAX_PACKET)
		max_payload = VX_CODEC_MAX_PACKET;

	if (insecure)
		fprintf(stderr, "vox send: --insecure: %s\n", insecure_warning);
	ret = vx_wav_load(in, 1, &pcm, &frames_in, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vox send: %s\n", err[0] ? err : strerror(-ret));
		goto out;
	}
	if (!insecure) {
		if (load_keys("send", key_path, peer_b64, &kp, peer_pub) < 0)
			goto out;
		have_keys = true;
	}
	ret = vx_codec_create(&codec, &ccfg);
	if (ret < 0) {
		fprintf(stderr, "vox send: codec: %s\n", strerror(-ret));
		goto out;
	}
	if ((bitrate && vx_codec_set(codec, VX_CODEC_BITRATE, bitrate) < 0) ||
	    (fec > 0 && (vx_codec_set(codec, VX_CODEC_FEC, 1) < 0 ||
			 vx_codec_set(codec, VX_CODEC_LOSS_PERC, fec) < 0))) {
		fprintf(stderr, "vox send: cannot set the Opus controls\n");
		goto out;
	}
	ret = vx_udp_open(&sd.u, NULL, dest);
	if (ret < 0) {
		fprintf(stderr, "vox send: %s: %s\n", dest, strerror(-ret));
		goto out;
	}
	sd.dgram = malloc(MAX_DGRAM);
	sd.inner = malloc(MAX_DGRAM);
	frame = calloc(fs, sizeof(*frame));
	if (!sd.dgram || !sd.inner || !frame) {
		fprintf(stderr, "vox send: out of memory\n");
		goto out;
	}
	vx_cli_catch_signals(NULL);
	if (!insecure) {
		ret = make_session(&sd.s, &kp, peer_pub, true);
		if (ret < 0) {
			fprintf(stderr, "vox send: session: %s\n", strerror(-ret));
			goto out;
		}
		ret = sender_handshake(&sd, hs_timeout);
		if (ret == -ETIMEDOUT) {
			fprintf(stderr, "vox send: no handshake response from %s within %.1f s "
					"(is vox recv running there, with our public key as --peer "
					"and its key matching --peer?)\n",
				dest, (double)hs_timeout / 1e9);
			goto out;
		}
		if (ret < 0) {
			fprintf(stderr, "vox send: handshake: %s\n", strerror(-ret));
			goto out;
		}
	}

	{
		uint32_t rnd[3];
		struct vx_rtp_packet p = { .pt = vx_voice_pt(ccfg.type), .marker = true };
		uint64_t frame_ns = (uint64_t)frame_us * 1000u;

		/* RFC 3550 section 5.1: random SSRC, first sequence number and timestamp. */
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			fprintf(stderr, "vox send: getrandom: %s\n", strerror(errno));
			goto out;
		}
		p.ssrc = rnd[0];
		p.seq = (uint16_t)rnd[1];
		p.ts = rnd[2];
		nframes = (frames_in + fs - 1) / fs;
		start = vx_cli_now_ns();
		for (size_t k = 0; k < nframes && !vx_cli_signal; k++) {
			uint64_t deadline = start + k * frame_ns, now;
			size_t have = frames_in - k * fs < fs ? frames_in - k * fs : fs;
			uint8_t *payload = sd.inner + VX_RTP_HEADER_LEN;
			struct timespec ts = { .tv_sec = (time_t)(deadline / NS_PER_S),
					       .tv_nsec = (long)(deadline % NS_PER_S) };
			ssize_t len, n;
			int plen;

			/* Absolute deadlines: a late wake-up does not delay the next frame. */
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
			       !vx_cli_signal)
				;
			if (vx_cli_signal)
				break;
			now = vx_cli_now_ns();
			if (now > deadline + frame_ns)
				overruns++;
			memcpy(frame, pcm + k * fs, have * sizeof(*frame));
			memset(frame + have, 0, (fs - have) * sizeof(*frame)); /* last frame */
			plen = vx_codec_encode(codec, frame, payload, max_payload);
			if (plen < 0) {
				fprintf(stderr, "vox send: encode: %s\n", strerror(-plen));
				goto out;
			}
			p.payload = payload;
			p.payload_len = (size_t)plen;
			len = vx_rtp_encode(&p, sd.inner, MAX_DGRAM);
			if (len < 0) {
				fprintf(stderr, "vox send: RTP: %s\n", strerror((int)-len));
				goto out;
			}
			if (sd.s) {
				sender_drain(&sd, now);
				if (vx_session_next_timeout(sd.s) <= now)
					(void)sender_run_timers(&sd, now);
				n = vx_session_seal(sd.s, now, VX_SESSION_RTP, sd.inner, (size_t)len,
						    sd.dgram, MAX_DGRAM);
				if (n < 0) {
					seal_errors++;
					n = 0;
				} else if (vx_udp_send(sd.u, sd.dgram, (size_t)n) < 0) {
					sd.send_errors++;
					n = 0;
				}
			} else {
				n = vx_udp_send(sd.u, sd.inner, (size_t)len);
				if (n < 0) {
					sd.send_errors++;
					n = 0;
				}
			}
			if (n > 0) {
				sent++;
				payload_bytes += (uint64_t)plen;
				wire_bytes += (uint64_t)n;
			}
			p.seq++;
			p.ts += (uint32_t)fs;
			p.marker = false;
		}
		end = vx_cli_now_ns();
	}
	status = VX_EXIT_OK;
	{
		double audio_s = (double)sent * (double)frame_us / 1e6;
		double wall_s = (double)(end - start) / 1e9;

		if (json)
			printf("{\"codec\":\"%s\",\"secure\":%s,\"frame_ms\":%g,\"frames\":%" PRIu64
			       ",\"payload_bytes\":%" PRIu64 ",\"wire_bytes\":%" PRIu64
			       ",\"duration_s\":%.3f,\"elapsed_s\":%.3f,\"overruns\":%" PRIu64
			       ",\"send_errors\":%" PRIu64 ",\"seal_errors\":%" PRIu64 "}\n",
			       codec_name, insecure ? "false" : "true", (double)frame_us / 1000.0, sent,
			       payload_bytes, wire_bytes, audio_s, wall_s, overruns, sd.send_errors,
			       seal_errors);
		else
			printf("sent %" PRIu64 " frames of %g ms (%s%s), %" PRIu64
			       " payload bytes, %" PRIu64 " on the wire, %.3f s of audio in %.3f s"
			       "; overruns %" PRIu64 ", send errors %" PRIu64 ", seal errors %" PRIu64
			       "\n",
			       sent, (double)frame_us / 1000.0, codec_name,
			       insecure ? ", insecure" : "", payload_bytes, wire_bytes, audio_s,
			       wall_s, overruns, sd.send_errors, seal_errors);
		if (fflush(stdout) != 0)
			status = VX_EXIT_FAIL;
	}
out:
	if (have_keys)
		vx_noise_keypair_wipe(&kp);
	vx_session_destroy(sd.s);
	vx_udp_close(sd.u);
	vx_codec_destroy(codec);
	free(sd.dgram);
	free(sd.inner);
	free(frame);
	free(pcm);
	return status;
}

/* ================================ vox recv ================================ */

struct recv_stats {
	uint64_t datagrams;     /* everything that arrived */
	uint64_t packets;       /* RTP packets of our stream, late and duplicate included */
	uint64_t frames;        /* frames written */
	uint64_t lost;          /* frames written without their packet */
	uint64_t concealed;     /* ... filled by PLC / the codec's conceal */
	uint64_t fec_recovered; /* ... filled from the next packet's FEC */
	uint64_t late;          /* arrived after their frame was written */
	uint64_t duplicate;     /* a second copy */
	uint64_t decode_errors; /* malformed payload: the frame is concealed instead */
	uint64_t not_rtp;       /* not a valid RTP packet */
	uint64_t wrong_pt;      /* not the codec we play */
	uint64_t wrong_ssrc;    /* another stream */
	uint64_t probation;     /* before RFC 3550 A.1 validated the source */
	uint64_t write_errors;
};

/* One frame's packet, in the slot of its extended sequence number. */
struct slot {
	uint32_t seq;
	bool full;   /* holds seq's packet, not yet played */
	bool played; /* seq was played from its own packet (to tell duplicates) */
	size_t len;
	uint8_t *data;
};

/*
 * The fixed playout (see the top of this file). Replaceable as a unit: insert,
 * run, next_deadline and flush are all the receive loop knows of it.
 */
struct playout {
	struct slot slot[PLAYOUT_SLOTS];
	bool started;
	uint32_t next;        /* extended sequence number of the next frame out */
	uint32_t highest;     /* highest inserted */
	uint64_t gap_since;   /* when a later packet first showed @next missing; 0: none */
	size_t frame_samples; /* of the last decoded frame: a lost frame's length */
	int16_t *pcm;         /* VX_CODEC_MAX_FRAME_SAMPLES */
	struct vx_codec *codec;
	bool opus;
	struct vx_wav_writer *w;
	struct recv_stats *st;
};

static int playout_init(struct playout *po, struct recv_stats *st)
{
	memset(po, 0, sizeof(*po));
	po->st = st;
	po->pcm = malloc(VX_CODEC_MAX_FRAME_SAMPLES * sizeof(*po->pcm));
	if (!po->pcm)
		return -ENOMEM;
	for (size_t i = 0; i < PLAYOUT_SLOTS; i++)
		if (!(po->slot[i].data = malloc(VX_CODEC_MAX_PACKET)))
			return -ENOMEM;
	return 0;
}

static void playout_free(struct playout *po)
{
	for (size_t i = 0; i < PLAYOUT_SLOTS; i++)
		free(po->slot[i].data);
	free(po->pcm);
}

static void emit(struct playout *po, size_t samples)
{
	if (vx_wav_writer_write(po->w, po->pcm, samples) < 0)
		po->st->write_errors++;
	po->st->frames++;
}

/* Fill frame @po->next without its packet: FEC from the next one, else conceal. */
static void play_missing(struct playout *po)
{
	struct slot *after = &po->slot[(po->next + 1) % PLAYOUT_SLOTS];
	size_t n = po->frame_samples;
	int r = -ENODATA;

	po->st->lost++;
	if (po->opus && after->full && after->seq == po->next + 1)
		r = vx_codec_decode_fec(po->codec, after->data, after->len, po->pcm, n);
	if (r > 0) {
		po->st->fec_recovered++;
	} else {
		if (vx_codec_conceal(po->codec, po->pcm, n) < 0)
			memset(po->pcm, 0, n * sizeof(*po->pcm));
		po->st->concealed++;
	}
	emit(po, n);
}

static void play_one(struct playout *po)
{
	struct slot *sl = &po->slot[po->next % PLAYOUT_SLOTS];

	if (sl->full && sl->seq == po->next) {
		int r = vx_codec_decode(po->codec, sl->data, sl->len, po->pcm,
					VX_CODEC_MAX_FRAME_SAMPLES);

		sl->full = false;
		sl->played = true;
		if (r > 0) {
			po->frame_samples = (size_t)r;
			emit(po, (size_t)r);
		} else {
			po->st->decode_errors++;
			if (vx_codec_conceal(po->codec, po->pcm, po->frame_samples) < 0)
				memset(po->pcm, 0, po->frame_samples * sizeof(*po->pcm));
			emit(po, po->frame_samples);
		}
	} else {
		sl->seq = po->next;
		sl->played = false;
		play_missing(po);
	}
	po->next++;
	po->gap_since = 0;
}

/* One packet of frame @seq (extended), payload copied into its slot. */
static void playout_insert(struct playout *po, uint32_t seq, const uint8_t *data, size_t len)
{
	struct slot *sl;

	if (!po->started) {
		po->started = true;
		po->next = seq;
		po->highest = seq;
	}
	if ((int32_t)(seq - po->next) < 0) {
		sl = &po->slot[seq % PLAYOUT_SLOTS];
		if (po->next - seq <= PLAYOUT_SLOTS && sl->seq == seq && sl->played)
			po->st->duplicate++;
		else
			po->st->late++;
		return;
	}
	/* Too far ahead for the slots: give up the oldest frames to make room. */
	while (seq - po->next >= PLAYOUT_SLOTS)
		play_one(po);
	sl = &po->slot[seq % PLAYOUT_SLOTS];
	if (sl->full && sl->seq == seq) {
		po->st->duplicate++;
		return;
	}
	if (len > VX_CODEC_MAX_PACKET) {
		po->st->decode_errors++;
		len = 0; /* decodes as an error: concealed in its turn */
	}
	memcpy(sl->data, data, len);
	sl->len = len;
	sl->seq = seq;
	sl->full = true;
	sl->played = false;
	if ((int32_t)(seq - po->highest) > 0)
		po->highest = seq;
}

static uint64_t frame_ns(const struct playout *po)
{
	return (uint64_t)po->frame_samples * NS_PER_S / VX_CODEC_RATE;
}

/* Play every frame that is due at @now; with @flush, everything up to the highest. */
static void playout_run(struct playout *po, uint64_t now, bool flush)
{
	while (po->started && (int32_t)(po->highest - po->next) >= 0) {
		struct slot *sl = &po->slot[po->next % PLAYOUT_SLOTS];

		if (!(sl->full && sl->seq == po->next)) {
			/* A gap, and a later packet exists since highest > next. */
			if (!po->gap_since)
				po->gap_since = now ? now : 1;
			if (!flush && po->highest - po->next < PLAYOUT_DELAY &&
			    now - po->gap_since < PLAYOUT_DELAY * frame_ns(po))
				return;
		}
		play_one(po);
	}
}

/* When playout_run() has work without a new packet (a gap timing out), or UINT64_MAX. */
static uint64_t playout_next_deadline(const struct playout *po)
{
	return po->gap_since ? po->gap_since + PLAYOUT_DELAY * frame_ns(po) : UINT64_MAX;
}

struct receiver {
	struct vx_udp *u;
	struct vx_session *s;   /* NULL: --insecure */
	struct vx_udp_addr peer;
	bool have_peer;
	uint8_t *dgram, *inner; /* MAX_DGRAM each */
	struct vx_rtp_source src;
	bool have_ssrc;
	uint32_t ssrc;
	int want_pt;            /* -1: the first packet's */
	struct vx_codec *codec;
	struct playout po;
	struct recv_stats st;
	/* A.1 does not count the first packet of probation; we still play it. */
	bool held;
	uint16_t held_seq;
	size_t held_len;
	uint8_t *held_data;     /* VX_CODEC_MAX_PACKET */
};

static void recv_run_timers(struct receiver *rc, uint64_t now)
{
	for (;;) {
		ssize_t n = vx_session_poll(rc->s, now, rc->dgram, MAX_DGRAM);

		if (n <= 0)
			return;
		if (rc->have_peer)
			(void)vx_udp_sendto(rc->u, rc->dgram, (size_t)n, &rc->peer);
	}
}

static int start_codec(struct receiver *rc, unsigned pt)
{
	struct vx_codec_config cfg;
	int ret;

	(void)vx_codec_config_by_name(&cfg, pt_codec_name(pt));
	ret = vx_codec_create(&rc->codec, &cfg);
	if (ret < 0)
		return ret;
	rc->po.codec = rc->codec;
	rc->po.opus = pt == VX_RTP_PT_OPUS;
	rc->po.frame_samples = vx_codec_frame_samples(rc->codec);
	rc->want_pt = (int)pt;
	return 0;
}

/* One RTP packet (bare or unsealed). */
static int recv_rtp(struct receiver *rc, const uint8_t *buf, size_t len, uint64_t rx_ns)
{
	struct vx_rtp_packet p;
	enum vx_rtp_seq r;
	uint32_t ext;
	int ret;

	if (vx_rtp_parse(&p, buf, len) < 0) {
		rc->st.not_rtp++;
		return 0;
	}
	if (rc->want_pt < 0 ? !pt_codec_name(p.pt) : p.pt != rc->want_pt) {
		rc->st.wrong_pt++;
		return 0;
	}
	if (!rc->have_ssrc) {
		rc->ssrc = p.ssrc;
		rc->have_ssrc = true;
		vx_rtp_source_init(&rc->src);
	} else if (p.ssrc != rc->ssrc) {
		rc->st.wrong_ssrc++;
		return 0;
	}
	if (!rc->codec) {
		/* Once, at the stream's first packet: the one allocation after start. */
		ret = start_codec(rc, p.pt);
		if (ret < 0)
			return ret;
	}
	rc->st.packets++;
	r = vx_rtp_source_update(&rc->src, p.seq, p.ts, vx_rtp_ts_from_ns(rx_ns, VX_RTP_OPUS_CLOCK),
				 &ext);
	switch (r) {
	case VX_RTP_SEQ_PROBATION:
		rc->st.probation++;
		rc->held = p.payload_len <= VX_CODEC_MAX_PACKET;
		rc->held_seq = p.seq;
		rc->held_len = p.payload_len;
		if (rc->held)
			memcpy(rc->held_data, p.payload, p.payload_len);
		return 0;
	case VX_RTP_SEQ_BAD:
		rc->st.late++; /* a wild jump: not played (A.1 waits for a second one) */
		return 0;
	case VX_RTP_SEQ_RESYNC:
		/* The sender restarted: start the playout again at this packet. */
		playout_run(&rc->po, 0, true);
		rc->po.started = false;
		break;
	case VX_RTP_SEQ_OK:
	case VX_RTP_SEQ_LATE:
		break;
	}
	/* The probation packet just before the validating one starts the stream. */
	if (rc->held && r == VX_RTP_SEQ_OK && rc->held_seq == (uint16_t)(p.seq - 1) &&
	    !rc->po.started)
		playout_insert(&rc->po, ext - 1, rc->held_data, rc->held_len);
	rc->held = false;
	playout_insert(&rc->po, ext, p.payload, p.payload_len);
	return 0;
}

static int recv_datagram(struct receiver *rc, const struct vx_udp_msg *m, size_t len,
			 uint64_t now)
{
	enum vx_session_kind kind;
	ssize_t n;

	rc->st.datagrams++;
	if (!rc->s) {
		rc->peer = m->from;
		rc->have_peer = true;
		return recv_rtp(rc, rc->dgram, len, m->rx_ns);
	}
	n = vx_session_open(rc->s, now, rc->dgram, len, &kind, rc->inner, MAX_DGRAM);
	if (n < 0)
		return 0; /* counted by the session */
	/* Reply where authenticated traffic comes from (WireGuard's roaming). */
	rc->peer = m->from;
	rc->have_peer = true;
	if (kind == VX_SESSION_HANDSHAKE) {
		recv_run_timers(rc, now);
		return 0;
	}
	if (kind != VX_SESSION_RTP)
		return 0; /* keepalive; feedback and data are not ours */
	return recv_rtp(rc, rc->inner, (size_t)n, m->rx_ns);
}

static void print_recv_summary(const struct receiver *rc, bool json)
{
	struct vx_rtp_stats rs;
	struct vx_rtp_source src = rc->src;
	const struct recv_stats *st = &rc->st;
	const char *codec = rc->codec ? vx_codec_name(rc->codec) : "none";
	double jitter_ms;

	if (rc->have_ssrc)
		vx_rtp_source_report(&src, &rs);
	else
		memset(&rs, 0, sizeof(rs));
	jitter_ms = rs.jitter_exact * 1000.0 / VX_RTP_OPUS_CLOCK;
	if (json) {
		printf("{\"codec\":\"%s\",\"secure\":%s,\"datagrams\":%" PRIu64
		       ",\"packets\":%" PRIu64 ",\"frames\":%" PRIu64 ",\"lost\":%" PRIu64
		       ",\"concealed\":%" PRIu64 ",\"fec_recovered\":%" PRIu64 ",\"late\":%" PRIu64
		       ",\"duplicate\":%" PRIu64 ",\"decode_errors\":%" PRIu64
		       ",\"not_rtp\":%" PRIu64 ",\"wrong_pt\":%" PRIu64 ",\"wrong_ssrc\":%" PRIu64
		       ",\"probation\":%" PRIu64 ",\"write_errors\":%" PRIu64
		       ",\"rtp_expected\":%" PRIu32 ",\"rtp_lost\":%" PRId64 ",\"jitter_ms\":%.3f",
		       codec, rc->s ? "true" : "false", st->datagrams, st->packets, st->frames,
		       st->lost, st->concealed, st->fec_recovered, st->late, st->duplicate,
		       st->decode_errors, st->not_rtp, st->wrong_pt, st->wrong_ssrc, st->probation,
		       st->write_errors, rs.expected, rs.lost, jitter_ms);
		if (rc->s) {
			struct vx_session_stats ss;

			vx_session_stats(rc->s, &ss);
			printf(",\"session\":");
			print_session_drops(stdout, &ss, true);
		}
		printf("}\n");
		return;
	}
	printf("received %" PRIu64 " packets (%s%s), wrote %" PRIu64 " frames\n", st->packets,
	       codec, rc->s ? "" : ", insecure", st->frames);
	printf("lost %" PRIu64 " concealed %" PRIu64 " fec_recovered %" PRIu64 " late %" PRIu64
	       " duplicate %" PRIu64 " decode_errors %" PRIu64 "\n",
	       st->lost, st->concealed, st->fec_recovered, st->late, st->duplicate,
	       st->decode_errors);
	printf("datagrams %" PRIu64 " not_rtp %" PRIu64 " wrong_pt %" PRIu64 " wrong_ssrc %" PRIu64
	       " probation %" PRIu64 " write_errors %" PRIu64 "\n",
	       st->datagrams, st->not_rtp, st->wrong_pt, st->wrong_ssrc, st->probation,
	       st->write_errors);
	printf("rtp: expected %" PRIu32 " lost %" PRId64 " jitter %.3f ms\n", rs.expected, rs.lost,
	       jitter_ms);
	if (rc->s) {
		struct vx_session_stats ss;

		vx_session_stats(rc->s, &ss);
		print_session_drops(stdout, &ss, false);
	}
}

int vx_cmd_recv(int argc, char **argv)
{
	enum { O_LISTEN = 1000, O_CODEC, O_KEY, O_PEER, O_INSECURE, O_IDLE, O_JSON };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "output", required_argument, NULL, 'o' },
		{ "codec", required_argument, NULL, O_CODEC },
		{ "key", required_argument, NULL, O_KEY },
		{ "peer", required_argument, NULL, O_PEER },
		{ "insecure", no_argument, NULL, O_INSECURE },
		{ "idle-exit", required_argument, NULL, O_IDLE },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *out_path = NULL, *codec_name = NULL, *key_path = NULL;
	const char *peer_b64 = NULL;
	bool insecure = false, json = false, have_keys = false;
	uint64_t idle_ns = 2 * NS_PER_S, last_rx = 0;
	struct vx_noise_keypair kp;
	uint8_t peer_pub[VX_NOISE_DH_BYTES];
	struct receiver rc;
	int opt, ret, status = VX_EXIT_FAIL;

	memset(&rc, 0, sizeof(rc));
	rc.want_pt = -1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN: listen = optarg; break;
		case 'o': out_path = optarg; break;
		case O_CODEC:
			if (!codec_name_ok(optarg))
				return vx_cli_usage("recv", "--codec wants opus, pcm or zpcm: %s",
						    optarg);
			codec_name = optarg;
			break;
		case O_KEY: key_path = optarg; break;
		case O_PEER: peer_b64 = optarg; break;
		case O_INSECURE: insecure = true; break;
		case O_JSON: json = true; break;
		case O_IDLE:
			if (!parse_seconds(optarg, 86400, &idle_ns))
				return vx_cli_usage("recv", "--idle-exit wants seconds: %s",
						    optarg);
			break;
		case 'h':
			fputs(recv_help, stdout);
			return VX_EXIT_OK;
		default:
			return vx_cli_usage("recv", "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vx_cli_usage("recv", "unexpected argument: %s", argv[optind]);
	if (!listen || !out_path)
		return vx_cli_usage("recv", "--listen and -o are both needed");
	if (insecure && (key_path || peer_b64))
		return vx_cli_usage("recv", "--insecure excludes --key and --peer");
	if (!insecure && (!key_path || !peer_b64))
		return vx_cli_usage("recv", "--key and --peer are needed (or --insecure)");

	if (insecure)
		fprintf(stderr, "vox recv: --insecure: %s\n", insecure_warning);
	if (!insecure) {
		if (load_keys("recv", key_path, peer_b64, &kp, peer_pub) < 0)
			goto out;
		have_keys = true;
		ret = make_session(&rc.s, &kp, peer_pub, false);
		if (ret < 0) {
			fprintf(stderr, "vox recv: session: %s\n", strerror(-ret));
			goto out;
		}
	}
	ret = playout_init(&rc.po, &rc.st);
	rc.dgram = malloc(MAX_DGRAM);
	rc.inner = malloc(MAX_DGRAM);
	rc.held_data = malloc(VX_CODEC_MAX_PACKET);
	if (ret < 0 || !rc.dgram || !rc.inner || !rc.held_data) {
		fprintf(stderr, "vox recv: out of memory\n");
		goto out;
	}
	if (codec_name) {
		struct vx_codec_config cfg;

		(void)vx_codec_config_by_name(&cfg, codec_name);
		ret = start_codec(&rc, vx_voice_pt(cfg.type));
		if (ret < 0) {
			fprintf(stderr, "vox recv: codec: %s\n", strerror(-ret));
			goto out;
		}
	}
	ret = vx_wav_writer_open(&rc.po.w, out_path, VX_CODEC_RATE, 1, VX_WAV_S16);
	if (ret < 0) {
		fprintf(stderr, "vox recv: %s: %s\n", out_path, strerror(-ret));
		goto out;
	}
	ret = vx_udp_open(&rc.u, listen, NULL);
	if (ret < 0) {
		fprintf(stderr, "vox recv: --listen %s: %s\n", listen, strerror(-ret));
		goto out;
	}
	vx_cli_catch_signals(NULL);
	{
		struct vx_udp_info info;
		char a[VX_UDP_ADDR_STRLEN];

		/* One line once bound: a script (or a person) can start the sender. */
		vx_udp_info(rc.u, &info);
		if (vx_udp_addr_format(&info.local, a, sizeof(a)) < 0)
			snprintf(a, sizeof(a), "%s", listen);
		fprintf(stderr, "vox recv: listening on %s\n", a);
		fflush(stderr);
	}

	while (!vx_cli_signal) {
		uint64_t now = vx_cli_now_ns(), wake = UINT64_MAX, t;
		struct vx_udp_msg m = { .buf = rc.dgram, .cap = MAX_DGRAM };

		if (rc.st.datagrams && now - last_rx >= idle_ns)
			break;
		if (rc.st.datagrams)
			wake = last_rx + idle_ns;
		if (rc.s && (t = vx_session_next_timeout(rc.s)) < wake)
			wake = t;
		if ((t = playout_next_deadline(&rc.po)) < wake)
			wake = t;
		ret = vx_udp_wait(rc.u, wake == UINT64_MAX ? -1 :
				  wake <= now ? 0 : (int)((wake - now + 999999) / 1000000));
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "vox recv: wait: %s\n", strerror(-ret));
			goto out;
		}
		for (;;) {
			ssize_t n = vx_udp_recv(rc.u, &m);

			if (n == -EAGAIN || n == -EINTR)
				break;
			now = vx_cli_now_ns();
			if (n == -EMSGSIZE) {
				rc.st.datagrams++;
				rc.st.not_rtp++;
				last_rx = now;
				continue;
			}
			if (n < 0)
				continue; /* an ICMP error from an earlier reply */
			last_rx = now;
			ret = recv_datagram(&rc, &m, (size_t)n, now);
			if (ret < 0) {
				fprintf(stderr, "vox recv: codec: %s\n", strerror(-ret));
				goto out;
			}
		}
		now = vx_cli_now_ns();
		if (rc.s && vx_session_next_timeout(rc.s) <= now)
			recv_run_timers(&rc, now);
		playout_run(&rc.po, now, false);
	}
	/* The stream is over: what is held plays, gaps before it concealed. */
	playout_run(&rc.po, vx_cli_now_ns(), true);
	status = rc.st.write_errors ? VX_EXIT_FAIL : VX_EXIT_OK;
	if (rc.st.write_errors)
		fprintf(stderr, "vox recv: %s: %" PRIu64 " frames could not be written\n", out_path,
			rc.st.write_errors);
	print_recv_summary(&rc, json);
	if (fflush(stdout) != 0)
		status = VX_EXIT_FAIL;
out:
	if (rc.po.w) {
		ret = vx_wav_writer_close(rc.po.w);
		if (ret < 0) {
			fprintf(stderr, "vox recv: %s: %s\n", out_path, strerror(-ret));
			status = VX_EXIT_FAIL;
		}
	}
	if (have_keys)
		vx_noise_keypair_wipe(&kp);
	vx_session_destroy(rc.s);
	vx_udp_close(rc.u);
	vx_codec_destroy(rc.codec);
	playout_free(&rc.po);
	free(rc.dgram);
	free(rc.inner);
	free(rc.held_data);
	return status;
}
