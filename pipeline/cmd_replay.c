// SPDX-License-Identifier: MIT
/*
 * vox replay: the whole call pipeline on a WAV file (DESIGN.md, "Two clocks, one
 * pipeline"). The sending and receiving ends are pipeline/voice's stages (codec,
 * redundancy, RTP, Noise session, receiver reports, adaptation controller) and
 * the adaptive jitter buffer; this file gives them a network and a clock, two
 * ways, and scores what the receiver played against the input.
 *
 * Simulated (default): a discrete-event run on a virtual clock, as fast as the
 * CPU allows. Frame k is sent at t_k = T0 + k x frame; the impairment model
 * turns each sealed datagram into 0, 1 or 2 delivery times, held in a queue
 * ordered by (delivery time, send order), one queue each way (the reports go
 * back through a second model seeded seed + 1, as `vox impair --both` does).
 * The receiver ticks at the same t_k: it opens every datagram due by then, sends
 * its report when one is due, and pops one frame. Sending comes first within a
 * tick, so a packet with no delay is in time for the tick it was sent in.
 *
 * Real-time (--realtime): a sender thread paced by clock_nanosleep() and a
 * receiver thread ticking on CLOCK_MONOTONIC, each with its own UDP socket on
 * loopback, and a `vox impair --both` child process between them applying the
 * same model. One-way latency is measured per frame: from the time the frame
 * was handed to the encoder to the tick that played it. The threads allocate
 * nothing, take no lock and block only in their own poll or sleep; output goes
 * to a buffer allocated before they start and is written to OUT.wav after. One
 * exception: each thread runs its session's timers, and a rekey (due after
 * VX_SESSION_REKEY_AFTER_NS, 120 s) allocates and does X25519 there; a live
 * call would hand handshake messages to a control thread instead. The
 * receiver publishes its counts in relaxed atomics for the main thread's
 * progress line (on a terminal only).
 *
 * Determinism (simulated). The session's static keys, the RTP SSRC, first
 * sequence number and timestamp, the loss/jitter draws and the comfort-noise
 * PRNG all derive from --seed. The Noise handshake draws its ephemerals from
 * libsodium, so the ciphertexts differ from run to run, but nothing on the audio
 * path reads a ciphertext byte: the same input, options and seed give a
 * byte-identical OUT.wav. The handshake (and any rekey or keepalive) runs over
 * an unimpaired path at once: the model impairs audio and reports only.
 *
 * Output. Ticks before the first frame is due (IDLE) are not written, so OUT
 * starts with frame 0; the run ends once the jitter buffer has decoded (or
 * concealed) every frame sent. OUT therefore holds the input rounded up to whole
 * frames, plus any silent frames the buffer inserted to grow its delay, minus
 * any it dropped to shrink it (both only in silence), plus or minus what
 * time-stretching added or removed in speech, less the audio still held in the
 * buffer at the end (none unless it was stretching).
 *
 * Protection. The sender starts protected (VX_ADAPT_START_LOSS) and adapts to the
 * receiver's reports (pipeline/adapt.h); --adapt off instead fixes the knobs for the
 * expected loss --loss gives, as a caller who knows its path would; --fec off
 * turns in-band FEC and redundancy off either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/wait.h>

#include "algorithms/hash.h"
#include "audio/codec.h"
#include "audio/quality.h"
#include "audio/wav.h"
#include "pipeline/cli.h"
#include "pipeline/jitter.h"
#include "pipeline/rt.h"
#include "pipeline/voice.h"
#include "transport/impair.h"
#include "transport/noise.h"
#include "transport/rtp.h"
#include "transport/session.h"
#include "transport/udp.h"


#define T0_NS        1000000000ull       /* virtual start: 1 s, clear of 0 */
#define EPOCH_NS     1700000000000000000ull /* fixed TAI64N base: no wall clock */
#define MAX_PAYLOAD  (VX_SESSION_MAX_DATA - VX_RTP_HEADER_LEN)
#define HANDSHAKE_NS 5000000000ull       /* real-time: give up on the handshake */
#define LEAD_NS      50000000ull         /* real-time: first frame after the threads start */

static const char usage_text[] =
	"usage: vox replay IN.wav OUT.wav [options]\n"
	"Run IN.wav through the call pipeline (codec, redundancy, RTP, secure session,\n"
	"impaired network, receiver reports, jitter buffer), write what the receiver\n"
	"plays to OUT.wav, and report losses, delays, bitrate, CPU and quality (STOI,\n"
	"LSD). Simulated on a virtual clock by default: deterministic, the same input,\n"
	"options and seed give the same OUT.wav.\n"
	"  --codec opus|pcm|zpcm  codec (opus)\n"
	"  --frame-ms N           frame: 2.5, 5, 10, 20, 40 or 60 ms (opus 20, else 10;\n"
	"                         pcm and zpcm at most 10)\n"
	"  --bitrate B            Opus bitrate without loss, bits/s (24000)\n"
	"  --loss P               packet loss, percent, 0-100 (0)\n"
	"  --burst L              mean loss burst in packets, >= 1 (Gilbert model)\n"
	"  --jitter MS            delay uniform on 0..2 x MS ms (0)\n"
	"  --trace FILE           per-packet delay/loss trace instead of --loss,\n"
	"                         --burst and --jitter (format: vox impair's trace=)\n"
	"  --fec on|off           Opus in-band FEC and RFC 2198 redundancy (on)\n"
	"  --adapt on|off         the sender follows the receiver reports (on); off:\n"
	"                         fixed settings for the expected loss --loss\n"
	"  --quantile Q           jitter-buffer target quantile, 0 < Q <= 1 (0.95)\n"
	"  --max-delay MS         jitter-buffer maximum delay, ms (200)\n"
	"  --realtime             real threads, loopback UDP through a vox impair\n"
	"                         child, real clocks; measures latency per frame\n"
	"  --seed N               seed of keys, RTP fields, losses and jitter (1)\n"
	"  --json                 one JSON object instead of the table\n"
	"Exit status: 0 done, 1 failed (file, codec, network), 2 bad usage.\n";

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

/* Options, as parsed. */
struct options {
	const char *codec, *in_path, *out_path, *trace;
	unsigned frame_us;
	uint64_t bitrate, seed;
	double loss, burst, jitter_ms, quantile, max_delay_ms;
	bool fec, adapt, realtime, json;
};

/* Everything both modes share. */
struct replay {
	const struct options *o;
	char spec[VX_IMPAIR_PATH_MAX + 128]; /* the impairment, as vox impair takes it */
	struct vx_impair_config icfg;
	struct vx_codec *enc, *dec;
	struct vx_jitter *jb;
	struct peers peers;
	struct vx_voice_sender *snd;
	struct vx_voice_receiver *rcv;
	uint16_t seq0;           /* first RTP sequence number */

	int16_t *in;             /* input, 48 kHz mono */
	size_t nin, fs, nframes;
	uint64_t frame_ns;

	/* Playout, filled by play_tick(): output frame i is out[i x fs..] and
	 * delays[i], i < nout / fs; OUT starts at the first tick not IDLE. */
	int16_t *out;
	size_t nout, max_ticks;
	double *delays;          /* jitter-buffer delay per output frame, ms */
	double *latency;         /* real-time: capture to playout per frame, ms */
	size_t nlatency;
	size_t played;           /* frames the buffer has moved past */
	uint32_t seq_base;       /* latency: frame 0's sequence number as the
				  * buffer extends it, set with latency[0] */
};

struct result {
	double audio_s;
	struct vx_jitter_stats js;
	struct vx_voice_sender_stats ss;
	struct vx_voice_receiver_stats rs;
	double jb_mean_ms, jb_p95_ms;
	bool have_latency;
	double lat_p50, lat_p95, lat_max;
	double bitrate_kbps;
	double cpu_per_audio;
	double handshake_ms;
	bool have_quality;
	struct vx_quality q;
};

/* The k-th frame of the input, the last one padded with silence. */
static ssize_t send_frame(struct replay *r, size_t k, uint64_t now, uint8_t *dgram, size_t cap)
{
	int16_t frame[VX_CODEC_MAX_FRAME_SAMPLES];
	size_t have = r->nin - k * r->fs < r->fs ? r->nin - k * r->fs : r->fs;

	memcpy(frame, r->in + k * r->fs, have * sizeof(*frame));
	memset(frame + have, 0, (r->fs - have) * sizeof(*frame));
	return vx_voice_send(r->snd, frame, now, dgram, cap);
}

/* One playout tick: pop a frame into the output. Real-time safe. */
static void play_tick(struct replay *r, uint64_t now, uint64_t t0)
{
	struct vx_jitter_pop_info info;
	int16_t *pcm = r->out + r->nout;
	uint32_t first;

	(void)vx_jitter_pop(r->jb, now, pcm, &info);
	if (info.kind == VX_JITTER_IDLE && !r->nout)
		return;
	r->delays[r->nout / r->fs] = (double)info.delay_ns / 1e6;
	r->nout += r->fs;
	r->played += info.advanced;
	if (!r->latency || !info.advanced)
		return;
	/* The first frame decoded now (after a dropped silent one) starts after
	 * the held audio. Its index in the input comes from its sequence number:
	 * the sender handed frame i to the encoder at t0 + i x frame. The
	 * receiver extends sequence numbers from the first one it got, so frame
	 * 0's is the first frame played less its distance from seq0 mod 2^16. */
	first = info.seq + 1 - info.advanced + info.dropped;
	if (!r->nlatency)
		r->seq_base = first - (uint16_t)(first - r->seq0);
	r->latency[r->nlatency++] =
		(double)(now + info.held * 1000000000ull / VX_CODEC_RATE -
			 (t0 + (uint32_t)(first - r->seq_base) * r->frame_ns)) / 1e6;
}

/* Simulated mode: both ends and both directions of the network in one loop. */
static int run_simulated(struct replay *r, struct result *res)
{
	struct vx_impair *fwd = NULL, *rev = NULL;
	struct net net[2] = { 0 }; /* [0] sender to receiver, [1] back */
	char err[VX_IMPAIR_ERR_LEN] = "";
	uint8_t dgram[VX_SESSION_MAX_PACKET];
	struct flight fl;
	uint64_t cpu0;
	int ret;

	ret = vx_impair_create_seeded(&fwd, &r->icfg, r->o->seed, err, sizeof(err));
	if (ret >= 0)
		ret = vx_impair_create_seeded(&rev, &r->icfg, r->o->seed + 1, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vox replay: %s\n", err[0] ? err : strerror(-ret));
		goto out;
	}
	cpu0 = cpu_ns();
	ret = pump_control(&r->peers, T0_NS);
	if (ret >= 0 && !(vx_session_is_established(r->peers.a, T0_NS) &&
			  vx_session_is_established(r->peers.b, T0_NS)))
		ret = -EPROTO;
	if (ret < 0) {
		fprintf(stderr, "vox replay: handshake: %s\n", strerror(-ret));
		goto out;
	}
	res->handshake_ms = (double)(cpu_ns() - cpu0) / 1e6;

	for (size_t k = 0; k < r->max_ticks && r->played < r->nframes; k++) {
		uint64_t now = T0_NS + k * r->frame_ns, at[2];
		ssize_t n = 0;

		ret = pump_control(&r->peers, now);
		if (ret < 0) {
			fprintf(stderr, "vox replay: rekey: %s\n", strerror(-ret));
			goto out;
		}
		for (int dir = 0; dir < 2; dir++) {
			n = dir == 0 ? k < r->nframes ? send_frame(r, k, now, dgram, sizeof(dgram)) : 0
				     : vx_voice_receiver_poll(r->rcv, now, dgram, sizeof(dgram));
			if (n < 0) {
				fprintf(stderr, "vox replay: %s: %s\n", dir ? "report" : "send",
					strerror((int)-n));
				ret = (int)n;
				goto out;
			}
			for (unsigned c = n ? vx_impair_decide(dir ? rev : fwd, now, (size_t)n, at)
					    : 0; c--;) {
				ret = net_push(&net[dir], at[c], dgram, (size_t)n);
				if (ret < 0) {
					fprintf(stderr, "vox replay: %s\n", strerror(-ret));
					goto out;
				}
			}
			/* Deliver what is due: a network duplicate is refused by
			 * the session as a replay, as on a real path. */
			while (net[dir].n && net[dir].h[0].at <= now) {
				net_pop(&net[dir], &fl);
				if (dir == 0)
					(void)vx_voice_receive(r->rcv, fl.data, fl.len, fl.at);
				else
					(void)vx_voice_sender_take(r->snd, fl.data, fl.len, fl.at);
			}
		}
		play_tick(r, now, T0_NS);
	}
	res->cpu_per_audio = (double)(cpu_ns() - cpu0) / 1e9;
	ret = 0;
out:
	free(net[0].h);
	free(net[1].h);
	vx_impair_destroy(fwd);
	vx_impair_destroy(rev);
	return ret;
}

/* Real-time mode. */
struct rt {
	struct replay *r;
	struct vx_udp *tx, *rx;    /* the sender's socket (to the proxy), the receiver's */
	struct vx_udp_addr back;   /* where the receiver's datagrams go: the proxy */
	bool have_back;
	pid_t proxy;
	uint64_t t0;               /* frame 0 is sent at t0 */
	int err_send, err_recv;    /* each thread's failure, 0 if none */
	/* For the progress line: the receiver publishes, the main thread reads. */
	atomic_size_t played, lost;
	atomic_bool done;
};

/* Take every datagram waiting on the sender's socket. */
static void drain_sender(struct rt *t, uint8_t *buf)
{
	struct vx_udp_msg m = { .buf = buf, .cap = VX_SESSION_MAX_PACKET };

	while (vx_udp_recv(t->tx, &m) >= 0)
		(void)vx_voice_sender_take(t->r->snd, buf, m.len, vx_cli_now_ns());
}

/* Take every datagram waiting on the receiver's socket; it learns the way back. */
static void drain_receiver(struct rt *t, uint8_t *buf)
{
	struct vx_udp_msg m = { .buf = buf, .cap = VX_SESSION_MAX_PACKET };

	while (vx_udp_recv(t->rx, &m) >= 0) {
		if (vx_voice_receive(t->r->rcv, buf, m.len, vx_cli_now_ns()) == 0) {
			t->back = m.from;
			t->have_back = true;
		}
	}
}

/* Hand out whatever the session's timers produced (keepalives; a rekey). */
static void send_control(struct rt *t, struct vx_session *s, bool sender, uint8_t *buf)
{
	ssize_t n;

	while ((n = vx_session_poll(s, vx_cli_now_ns(), buf, VX_SESSION_MAX_PACKET)) > 0) {
		if (sender)
			(void)vx_udp_send(t->tx, buf, (size_t)n);
		else if (t->have_back)
			(void)vx_udp_sendto(t->rx, buf, (size_t)n, &t->back);
	}
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		if (vx_cli_signal)
			return;
}

static void *sender_thread(void *arg)
{
	struct rt *t = arg;
	struct replay *r = t->r;
	uint8_t dgram[VX_SESSION_MAX_PACKET], buf[VX_SESSION_MAX_PACKET];

	for (size_t k = 0; k < r->nframes && !vx_cli_signal; k++) {
		ssize_t n;

		sleep_until(t->t0 + k * r->frame_ns);
		drain_sender(t, buf);
		n = send_frame(r, k, vx_cli_now_ns(), dgram, sizeof(dgram));
		if (n < 0) {
			t->err_send = (int)n;
			break;
		}
		/* A full socket buffer drops the datagram, as a network would. */
		(void)vx_udp_send(t->tx, dgram, (size_t)n);
		send_control(t, r->peers.a, true, buf);
	}
	return NULL;
}

static void publish(struct rt *t)
{
	struct vx_jitter_stats st;

	vx_jitter_stats(t->r->jb, &st);
	atomic_store_explicit(&t->played, t->r->played, memory_order_relaxed);
	atomic_store_explicit(&t->lost, (size_t)st.lost, memory_order_relaxed);
}

static void *receiver_thread(void *arg)
{
	struct rt *t = arg;
	struct replay *r = t->r;
	uint8_t dgram[VX_SESSION_MAX_PACKET], buf[VX_SESSION_MAX_PACKET];

	for (size_t k = 0; k < r->max_ticks && r->played < r->nframes && !vx_cli_signal; k++) {
		uint64_t tick = t->t0 + k * r->frame_ns, now;
		ssize_t n;

		while ((now = vx_cli_now_ns()) < tick && !vx_cli_signal) {
			struct pollfd pfd = { .fd = vx_udp_fd(t->rx), .events = POLLIN };
			uint64_t wait = tick - now;
			struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000u),
					       .tv_nsec = (long)(wait % 1000000000u) };

			if (ppoll(&pfd, 1, &ts, NULL) > 0)
				drain_receiver(t, buf);
		}
		drain_receiver(t, buf);
		n = vx_voice_receiver_poll(r->rcv, now, dgram, sizeof(dgram));
		if (n > 0 && t->have_back)
			(void)vx_udp_sendto(t->rx, dgram, (size_t)n, &t->back);
		else if (n < 0)
			t->err_recv = (int)n;
		send_control(t, r->peers.b, false, buf);
		play_tick(r, vx_cli_now_ns(), t->t0);
		publish(t);
	}
	atomic_store(&t->done, true);
	return NULL;
}

/* On a terminal, a line of progress every 200 ms until the receiver is done. */
static void show_progress(struct rt *t)
{
	const struct timespec period = { .tv_nsec = 200000000 };
	double frame_s = (double)t->r->frame_ns / 1e9;

	if (!isatty(STDERR_FILENO))
		return;
	while (!atomic_load(&t->done)) {
		(void)nanosleep(&period, NULL);
		fprintf(stderr, "\rvox replay: %.1f of %.1f s played, %zu frames lost",
			(double)atomic_load_explicit(&t->played, memory_order_relaxed) * frame_s,
			(double)t->r->nframes * frame_s,
			atomic_load_explicit(&t->lost, memory_order_relaxed));
	}
	fputs("\r\033[K", stderr);
}

/* Start `vox impair --both` between the sockets; learn its listening address. */
static int start_proxy(struct rt *t, char *listen, size_t len)
{
	struct vx_udp_info info;
	char forward[VX_UDP_ADDR_STRLEN], line[256] = "";
	int fds[2];
	FILE *f;
	char *p, *end;

	vx_udp_info(t->rx, &info);
	if (vx_udp_addr_format(&info.local, forward, sizeof(forward)) < 0 || pipe(fds) < 0)
		return -EIO;
	t->proxy = fork();
	if (t->proxy < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (t->proxy == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(fds[1], STDERR_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		close(fds[0]);
		execl("/proc/self/exe", "vox", "impair", "--listen", "127.0.0.1:0", "--forward",
		      forward, "--both", "--spec", t->r->spec, "--stats", "/dev/null", (char *)NULL);
		fprintf(stderr, "vox impair: exec: %s\n", strerror(errno));
		_exit(VX_EXIT_FAIL);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	if (!f) {
		close(fds[0]);
		return -errno;
	}
	/* "vox impair: relaying ADDR -> ADDR", or its error. */
	p = fgets(line, sizeof(line), f) ? strstr(line, "relaying ") : NULL;
	end = p ? strstr(p, " -> ") : NULL;
	fclose(f); /* the proxy writes nothing more: its stats go to /dev/null */
	if (!end && vx_cli_signal)
		return -EINTR; /* Ctrl-C while it started */
	if (!end) {
		line[strcspn(line, "\n")] = '\0';
		fprintf(stderr, "vox replay: the impairment proxy failed: %s\n", line);
		return -EIO;
	}
	*end = '\0';
	snprintf(listen, len, "%s", p + strlen("relaying "));
	return 0;
}

static void stop_proxy(struct rt *t)
{
	if (t->proxy <= 0)
		return;
	kill(t->proxy, SIGTERM);
	while (waitpid(t->proxy, NULL, 0) < 0 && errno == EINTR)
		;
	t->proxy = 0;
}

/* The handshake through the proxy: both ends' timers until both have keys. */
static int rt_handshake(struct rt *t)
{
	uint8_t buf[VX_SESSION_MAX_PACKET];
	uint64_t deadline = vx_cli_now_ns() + HANDSHAKE_NS;
	struct vx_session *a = t->r->peers.a, *b = t->r->peers.b;

	for (;;) {
		uint64_t now = vx_cli_now_ns();
		struct pollfd pfd[2] = {
			{ .fd = vx_udp_fd(t->tx), .events = POLLIN },
			{ .fd = vx_udp_fd(t->rx), .events = POLLIN },
		};

		send_control(t, a, true, buf);
		send_control(t, b, false, buf);
		if (vx_session_is_established(a, now) && vx_session_is_established(b, now))
			return 0;
		if (vx_cli_signal)
			return -EINTR;
		if (now >= deadline)
			return -ETIMEDOUT;
		(void)poll(pfd, 2, 10);
		drain_sender(t, buf);
		drain_receiver(t, buf);
	}
}

static int run_realtime(struct replay *r, struct result *res)
{
	static const struct vx_rt_config send_cfg = { .name = "vox-send" };
	static const struct vx_rt_config recv_cfg = { .name = "vox-recv" };
	struct rt t = { .r = r };
	char listen[VX_UDP_ADDR_STRLEN];
	struct vx_rt_thread *ts, *tr;
	uint64_t t_hs, cpu0;
	int ret;

	vx_cli_catch_signals(NULL);
	ret = vx_udp_open(&t.rx, "127.0.0.1:0", NULL);
	if (ret < 0) {
		fprintf(stderr, "vox replay: receiver socket: %s\n", strerror(-ret));
		return ret;
	}
	ret = start_proxy(&t, listen, sizeof(listen));
	if (ret < 0) {
		if (ret != -EIO && ret != -EINTR)
			fprintf(stderr, "vox replay: impairment proxy: %s\n", strerror(-ret));
		goto out;
	}
	ret = vx_udp_open(&t.tx, NULL, listen);
	if (ret < 0) {
		fprintf(stderr, "vox replay: sender socket to %s: %s\n", listen, strerror(-ret));
		goto out;
	}
	cpu0 = cpu_ns();
	t_hs = vx_cli_now_ns();
	ret = rt_handshake(&t);
	if (ret < 0 && ret != -EINTR) {
		fprintf(stderr, "vox replay: handshake through the proxy: %s\n", strerror(-ret));
		goto out;
	}
	res->handshake_ms = (double)(vx_cli_now_ns() - t_hs) / 1e6;

	t.t0 = vx_cli_now_ns() + LEAD_NS;
	ret = vx_rt_start(&ts, &send_cfg, sender_thread, &t);
	if (ret < 0)
		goto out;
	ret = vx_rt_start(&tr, &recv_cfg, receiver_thread, &t);
	if (ret < 0) {
		vx_cli_signal = SIGTERM; /* stop the sender */
		vx_rt_destroy(ts);
		goto out;
	}
	show_progress(&t);
	vx_rt_destroy(ts);
	vx_rt_destroy(tr);
	res->cpu_per_audio = (double)(cpu_ns() - cpu0) / 1e9;
	ret = t.err_send ? t.err_send : t.err_recv;
	if (ret < 0)
		fprintf(stderr, "vox replay: %s: %s\n", t.err_send ? "send" : "report",
			strerror(-ret));
	else if (vx_cli_signal)
		ret = -EINTR;
out:
	stop_proxy(&t);
	vx_udp_close(t.tx);
	vx_udp_close(t.rx);
	return ret;
}

/* The q-quantile of @n values (sorted in place), nearest rank. */
static double quantile(double *v, size_t n, double q)
{
	size_t i = (size_t)ceil(q * (double)n);

	qsort(v, n, sizeof(*v), cmp_double);
	return v[i ? i - 1 : 0];
}

static double mean(const double *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / (double)n : 0;
}

static void print_result(const struct result *r, bool realtime, bool json)
{
	char stoi[32] = "null", lsd[32] = "null", rtt[32] = "null", changes[32] = "null";
	char lat[128] = "\"p50\": null, \"p95\": null, \"max\": null";

	if (r->have_quality) {
		snprintf(stoi, sizeof(stoi), "%.4f", r->q.stoi);
		snprintf(lsd, sizeof(lsd), "%.2f", r->q.lsd_db);
		snprintf(changes, sizeof(changes), "%zu", r->q.delay_changes);
	}
	if (r->ss.rtt_ns >= 0)
		snprintf(rtt, sizeof(rtt), "%.2f", (double)r->ss.rtt_ns / 1e6);
	if (r->have_latency)
		snprintf(lat, sizeof(lat), "\"p50\": %.2f, \"p95\": %.2f, \"max\": %.2f", r->lat_p50,
			 r->lat_p95, r->lat_max);
	if (json) {
		printf("{\"mode\": \"%s\", \"audio_s\": %.3f, \"frames\": {\"sent\": %" PRIu64
		       ", \"received\": %" PRIu64 ", \"lost\": %" PRIu64 ", \"late\": %" PRIu64
		       ", \"duplicate\": %" PRIu64 ", \"concealed\": %" PRIu64
		       ", \"fec_recovered\": %" PRIu64 ", \"red_recovered\": %" PRIu64
		       ", \"inserted\": %" PRIu64 ", \"dropped\": %" PRIu64 ", \"stretched\": %" PRIu64
		       "}, "
		       "\"jitter_buffer_ms\": {\"mean\": %.2f, \"p95\": %.2f}, "
		       "\"latency_ms\": {%s}, "
		       "\"bitrate_kbps\": %.2f, \"cpu_s_per_audio_s\": %.4f, \"handshake_ms\": %.3f, "
		       "\"stoi\": %s, \"lsd_db\": %s, \"delay_changes\": %s, "
		       "\"feedback\": {\"reports\": %" PRIu64 ", \"rtt_ms\": %s, \"fec\": %s, "
		       "\"loss_perc\": %d, \"bitrate\": %d, \"red_depth\": %u}}\n",
		       realtime ? "realtime" : "simulated", r->audio_s, r->ss.packets, r->js.received,
		       r->js.lost, r->js.late, r->js.duplicate, r->js.concealed, r->js.fec_recovered,
		       r->js.red_recovered, r->js.inserted, r->js.dropped, r->js.stretched,
		       r->jb_mean_ms, r->jb_p95_ms, lat, r->bitrate_kbps,
		       r->cpu_per_audio, r->handshake_ms, stoi, lsd, changes, r->ss.reports, rtt,
		       r->ss.knobs.fec ? "true" : "false", r->ss.knobs.loss_perc, r->ss.knobs.bitrate,
		       r->ss.knobs.red_depth);
		return;
	}
	printf("audio              %10.3f s (%s)\n"
	       "frames sent        %10" PRIu64 "\n"
	       "  received         %10" PRIu64 "\n"
	       "  lost             %10" PRIu64 "  (concealed %" PRIu64 ", FEC %" PRIu64
	       ", of which redundancy %" PRIu64 ")\n"
	       "  late             %10" PRIu64 "\n"
	       "  duplicate        %10" PRIu64 "\n"
	       "jitter buffer      %10.2f ms mean, %.2f ms p95\n",
	       r->audio_s, realtime ? "real time" : "simulated", r->ss.packets, r->js.received,
	       r->js.lost, r->js.concealed, r->js.fec_recovered, r->js.red_recovered, r->js.late,
	       r->js.duplicate, r->jb_mean_ms, r->jb_p95_ms);
	if (r->have_latency)
		printf("latency            %10.2f ms p50, %.2f ms p95, %.2f ms max\n", r->lat_p50,
		       r->lat_p95, r->lat_max);
	else
		printf("latency                   n/a (simulated)\n");
	printf("bitrate            %10.2f kb/s\n"
	       "CPU                %10.4f s per audio s\n"
	       "handshake          %10.3f ms%s\n"
	       "reports            %10" PRIu64 "  (RTT %s ms; now FEC %s, loss %d%%, %d b/s, "
	       "redundancy %u)\n"
	       "STOI               %10s  (%s delay changes, aligned piecewise)\n"
	       "LSD                %10s dB\n",
	       r->bitrate_kbps, r->cpu_per_audio, r->handshake_ms, realtime ? "" : " CPU",
	       r->ss.reports, rtt, r->ss.knobs.fec ? "on" : "off", r->ss.knobs.loss_perc,
	       r->ss.knobs.bitrate, r->ss.knobs.red_depth, stoi, changes, lsd);
}

static bool parse_on_off(const char *s, bool *out)
{
	if (!strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "off"))
		*out = false;
	else
		return false;
	return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { O_CODEC = 1000, O_FRAME, O_BITRATE, O_LOSS, O_BURST, O_JITTER, O_TRACE, O_FEC,
	       O_ADAPT, O_QUANTILE, O_MAXDELAY, O_REALTIME, O_SEED, O_JSON };
	static const struct option longopts[] = {
		{ "codec", required_argument, NULL, O_CODEC },
		{ "frame-ms", required_argument, NULL, O_FRAME },
		{ "bitrate", required_argument, NULL, O_BITRATE },
		{ "loss", required_argument, NULL, O_LOSS },
		{ "burst", required_argument, NULL, O_BURST },
		{ "jitter", required_argument, NULL, O_JITTER },
		{ "trace", required_argument, NULL, O_TRACE },
		{ "fec", required_argument, NULL, O_FEC },
		{ "adapt", required_argument, NULL, O_ADAPT },
		{ "quantile", required_argument, NULL, O_QUANTILE },
		{ "max-delay", required_argument, NULL, O_MAXDELAY },
		{ "realtime", no_argument, NULL, O_REALTIME },
		{ "seed", required_argument, NULL, O_SEED },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*o = (struct options){ .codec = "opus", .seed = 1, .quantile = VX_JITTER_QUANTILE,
			       .max_delay_ms = VX_JITTER_MAX_DELAY_NS / 1e6, .fec = true,
			       .adapt = true };
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_CODEC:
			if (strcmp(optarg, "opus") && strcmp(optarg, "pcm") && strcmp(optarg, "zpcm"))
				return vx_cli_usage("replay", "--codec wants opus, pcm or zpcm: %s",
						    optarg);
			o->codec = optarg;
			break;
		case O_FRAME:
			if (!vx_cli_parse_frame_ms(optarg, &o->frame_us))
				return vx_cli_usage("replay",
						    "--frame-ms wants 2.5, 5, 10, 20, 40 or 60: %s",
						    optarg);
			break;
		case O_BITRATE:
			if (!vx_cli_parse_u64(optarg, 10, 500, 512000, &o->bitrate))
				return vx_cli_usage("replay", "--bitrate wants 500 to 512000 bits/s: %s",
						    optarg);
			break;
		case O_LOSS:
			if (!vx_cli_parse_double(optarg, &o->loss) || !(o->loss >= 0 && o->loss <= 100))
				return vx_cli_usage("replay", "--loss wants a percentage, 0 to 100: %s",
						    optarg);
			break;
		case O_BURST:
			if (!vx_cli_parse_double(optarg, &o->burst) ||
			    !(o->burst >= 1 && o->burst <= 1e6))
				return vx_cli_usage("replay", "--burst wants packets, >= 1: %s", optarg);
			break;
		case O_JITTER:
			if (!vx_cli_parse_double(optarg, &o->jitter_ms) ||
			    !(o->jitter_ms >= 0 && o->jitter_ms <= 1000))
				return vx_cli_usage("replay", "--jitter wants 0 to 1000 ms: %s", optarg);
			break;
		case O_TRACE:
			if (!*optarg || strchr(optarg, ','))
				return vx_cli_usage("replay", "--trace wants a file name without commas: %s",
						    optarg);
			o->trace = optarg;
			break;
		case O_FEC:
			if (!parse_on_off(optarg, &o->fec))
				return vx_cli_usage("replay", "--fec wants on or off: %s", optarg);
			break;
		case O_ADAPT:
			if (!parse_on_off(optarg, &o->adapt))
				return vx_cli_usage("replay", "--adapt wants on or off: %s", optarg);
			break;
		case O_QUANTILE:
			if (!vx_cli_parse_double(optarg, &o->quantile) ||
			    !(o->quantile > 0 && o->quantile <= 1))
				return vx_cli_usage("replay", "--quantile wants 0 < Q <= 1: %s", optarg);
			break;
		case O_MAXDELAY:
			if (!vx_cli_parse_double(optarg, &o->max_delay_ms) ||
			    !(o->max_delay_ms >= 1 && o->max_delay_ms <= 10000))
				return vx_cli_usage("replay", "--max-delay wants 1 to 10000 ms: %s",
						    optarg);
			break;
		case O_REALTIME:
			o->realtime = true;
			break;
		case O_SEED:
			if (!vx_cli_parse_u64(optarg, 0, 0, UINT64_MAX, &o->seed))
				return vx_cli_usage("replay", "--seed wants an unsigned integer: %s",
						    optarg);
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			return vx_cli_usage("replay", "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return vx_cli_usage("replay", "IN.wav and OUT.wav are needed");
	if (argc - optind > 2)
		return vx_cli_usage("replay", "unexpected argument: %s", argv[optind + 2]);
	if (o->trace && (o->loss > 0 || o->burst > 0 || o->jitter_ms > 0))
		return vx_cli_usage("replay", "--trace replaces --loss, --burst and --jitter");
	if (o->burst > 0 && !(o->loss > 0 && o->loss < 100))
		return vx_cli_usage("replay", "--burst needs a --loss between 0 and 100");
	o->in_path = argv[optind];
	o->out_path = argv[optind + 1];
	return 0;
}

/*
 * The impairment as one spec string for both modes: parsed here for the
 * simulated network, handed to `vox impair --spec` for the real one. Uniform
 * jitter around a base delay of the same size: never clipped at 0.
 */
static int make_spec(struct replay *r)
{
	const struct options *o = r->o;
	char err[VX_IMPAIR_ERR_LEN];
	int n;

	if (o->trace)
		n = snprintf(r->spec, sizeof(r->spec), "trace=%s,seed=%" PRIu64, o->trace, o->seed);
	else if (o->burst > 0)
		n = snprintf(r->spec, sizeof(r->spec),
			     "loss=%.9g%%,burst=%.9g,delay=%.9gms,jitter=%.9gms:uniform,seed=%" PRIu64,
			     o->loss, o->burst, o->jitter_ms, o->jitter_ms, o->seed);
	else
		n = snprintf(r->spec, sizeof(r->spec),
			     "loss=%.9g%%,delay=%.9gms,jitter=%.9gms:uniform,seed=%" PRIu64, o->loss,
			     o->jitter_ms, o->jitter_ms, o->seed);
	if (n < 0 || (size_t)n >= sizeof(r->spec))
		return vx_cli_usage("replay", "--trace: file name too long");
	if (vx_impair_parse(r->spec, &r->icfg, err, sizeof(err)) < 0)
		return vx_cli_usage("replay", "%s", err);
	return 0;
}

/* Codecs, jitter buffer, sessions and both ends; seeded. */
static int setup(struct replay *r, const struct vx_codec_config *ccfg)
{
	const struct options *o = r->o;
	struct vx_jitter_config jcfg;
	uint64_t x = o->seed ^ 0x727470ull; /* "rtp" */
	uint64_t v = vx_rand64(&x);
	struct vx_voice_sender_config scfg = {
		.pt = vx_voice_pt(ccfg->type),
		.ssrc = (uint32_t)v,
		.seq = (uint16_t)(v >> 32),
		.ts = (uint32_t)vx_rand64(&x),
		.adapt = { .frame_us = o->frame_us, .bitrate = (int)o->bitrate, .fec = o->fec },
		.expected_loss = o->adapt ? VX_ADAPT_START_LOSS : o->loss / 100,
		.adaptive = o->adapt,
	};
	struct vx_voice_receiver_config rcfg = { .pt = scfg.pt };
	const char *what = "codec";
	int ret;

	r->seq0 = scfg.seq;
	ret = vx_codec_create(&r->enc, ccfg);
	if (ret >= 0)
		ret = vx_codec_create(&r->dec, ccfg);
	if (ret >= 0) {
		what = "jitter buffer";
		vx_jitter_config_default(&jcfg, r->dec);
		jcfg.seed = o->seed;
		jcfg.quantile = o->quantile;
		jcfg.max_delay_ns = (uint64_t)(o->max_delay_ms * 1e6);
		ret = vx_jitter_create(&r->jb, &jcfg);
	}
	if (ret >= 0) {
		what = "session";
		ret = peers_create(&r->peers, o->seed);
	}
	if (ret >= 0) {
		what = "sender";
		scfg.codec = r->enc;
		scfg.session = r->peers.a;
		ret = vx_voice_sender_create(&r->snd, &scfg);
	}
	if (ret >= 0) {
		what = "receiver";
		rcfg.codec = r->dec;
		rcfg.session = r->peers.b;
		rcfg.jitter = r->jb;
		ret = vx_voice_receiver_create(&r->rcv, &rcfg);
	}
	if (ret < 0)
		fprintf(stderr, "vox replay: %s: %s\n", what, strerror(-ret));
	return ret;
}

int vx_cmd_replay(int argc, char **argv)
{
	struct options o;
	struct replay r = { .o = &o };
	struct result res = { 0 };
	struct vx_codec_config ccfg;
	struct vx_wav_writer *w = NULL;
	char err[VX_WAV_ERR_LEN] = "";
	int ret, status = VX_EXIT_FAIL;
	bool interrupted;
	double sent_s;

	ret = parse_options(argc, argv, &o);
	if (ret)
		return ret < 0 ? VX_EXIT_OK : ret;
	(void)vx_codec_config_by_name(&ccfg, o.codec);
	if (!o.frame_us)
		o.frame_us = ccfg.type == VX_CODEC_OPUS ? 20000 : 10000;
	ccfg.frame_us = o.frame_us;
	r.fs = (size_t)o.frame_us * VX_CODEC_RATE / 1000000;
	r.frame_ns = (uint64_t)o.frame_us * 1000u;
	if (ccfg.type != VX_CODEC_OPUS && o.bitrate)
		return vx_cli_usage("replay", "--bitrate is for opus");
	/* A sealed datagram carries at most VX_SESSION_MAX_DATA bytes: raw L16 (and
	 * zpcm's raw fallback) past 10 ms would not fit. */
	if (ccfg.type != VX_CODEC_OPUS && 2 + 2 * r.fs > MAX_PAYLOAD)
		return vx_cli_usage("replay", "a pcm or zpcm frame is at most 10 ms");
	ret = make_spec(&r);
	if (ret)
		return ret;

	ret = vx_wav_load(o.in_path, 1, &r.in, &r.nin, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "vox replay: %s\n", err[0] ? err : strerror(-ret));
		return VX_EXIT_FAIL;
	}
	r.nframes = (r.nin + r.fs - 1) / r.fs;
	res.audio_s = (double)r.nin / VX_WAV_RATE;
	/* Enough ticks to drain the largest buffer delay, plus the frames the
	 * buffer may repeat to grow it. */
	r.max_ticks = 2 * r.nframes +
		      2 * (size_t)(((uint64_t)(o.max_delay_ms * 1e6) + 2000000000ull) / r.frame_ns) +
		      16;
	r.out = malloc(r.max_ticks * r.fs * sizeof(*r.out));
	r.delays = malloc(r.max_ticks * sizeof(*r.delays));
	r.latency = o.realtime ? malloc(r.max_ticks * sizeof(*r.latency)) : NULL;
	if (!r.out || !r.delays || (o.realtime && !r.latency)) {
		fprintf(stderr, "vox replay: %s\n", strerror(ENOMEM));
		goto out;
	}
	if (setup(&r, &ccfg) < 0)
		goto out;
	ret = vx_wav_writer_open(&w, o.out_path, VX_WAV_RATE, 1, VX_WAV_S16);
	if (ret < 0) {
		fprintf(stderr, "vox replay: %s: %s\n", o.out_path, strerror(-ret));
		goto out;
	}

	/* Interrupted, the run still writes and reports what was played. */
	ret = o.realtime ? run_realtime(&r, &res) : run_simulated(&r, &res);
	interrupted = ret == -EINTR;
	if (ret < 0 && !interrupted)
		goto out;
	ret = vx_wav_writer_write(w, r.out, r.nout);
	if (ret >= 0)
		ret = vx_wav_writer_close(w);
	w = NULL;
	if (ret < 0) {
		fprintf(stderr, "vox replay: %s: %s\n", o.out_path, strerror(-ret));
		goto out;
	}

	vx_jitter_stats(r.jb, &res.js);
	vx_voice_sender_stats(r.snd, &res.ss);
	vx_voice_receiver_stats(r.rcv, &res.rs);
	sent_s = (double)res.ss.packets * (double)r.frame_ns / 1e9;
	res.jb_mean_ms = mean(r.delays, r.nout / r.fs);
	res.jb_p95_ms = r.nout ? quantile(r.delays, r.nout / r.fs, 0.95) : 0;
	if (r.nlatency) {
		res.have_latency = true;
		res.lat_p50 = quantile(r.latency, r.nlatency, 0.5);
		res.lat_p95 = quantile(r.latency, r.nlatency, 0.95);
		res.lat_max = r.latency[r.nlatency - 1]; /* sorted by quantile() */
	}
	/* Per second of audio sent: all of IN, unless interrupted. */
	res.bitrate_kbps = sent_s > 0 ? (double)res.ss.payload_bytes * 8 / sent_s / 1000 : 0;
	res.cpu_per_audio = sent_s > 0 ? res.cpu_per_audio / sent_s : 0;
	/* Too short or silent input has no score: reported as null. */
	res.have_quality = vx_quality_compare(r.in, r.nin, r.out, r.nout, &res.q) == 0;
	print_result(&res, o.realtime, o.json);
	status = VX_EXIT_OK;
	if (interrupted) {
		fprintf(stderr, "vox replay: interrupted: %s holds the %.2f s played\n", o.out_path,
			(double)r.nout / VX_CODEC_RATE);
		status = VX_EXIT_FAIL;
	}
out:
	if (w)
		(void)vx_wav_writer_close(w);
	free(r.latency);
	free(r.delays);
	free(r.out);
	free(r.in);
	vx_voice_sender_destroy(r.snd);
	vx_voice_receiver_destroy(r.rcv);
	vx_session_destroy(r.peers.a);
	vx_session_destroy(r.peers.b);
	vx_jitter_destroy(r.jb);
	vx_codec_destroy(r.enc);
	vx_codec_destroy(r.dec);
	return status;
}
