// SPDX-License-Identifier: MIT
/*
 * Test helper for tests/cli/transport.sh (not a cmocka program): both ends of a
 * secure session in one process, talking through a UDP proxy (vox impair).
 *
 *   session_peer PROXY SERVER COUNT SENT_LOG [INTERVAL_US]
 *
 * The initiator's socket is connected to PROXY; the responder is bound to
 * SERVER, which the proxy forwards to. The initiator runs the handshake, then
 * sends COUNT encrypted RTP packets (sequence numbers 0..COUNT-1, 160-byte
 * payloads) every INTERVAL_US (200). SENT_LOG gets one line per datagram the
 * initiator sent, in order, "INDEX KIND RTPSEQ" with KIND init, keepalive or rtp
 * (RTPSEQ -1 for the others): INDEX is then the proxy's c2s arrival number, since
 * loopback keeps order. The responder counts what it accepted, and prints on
 * stdout, once nothing has arrived for 500 ms after the last send:
 *
 *   sent N accepted N lost N reordered N duplicated N forged N other N
 *
 * lost: RTP packets never accepted; reordered: accepted with a sequence number
 * below the highest accepted before it; duplicated: copies the replay window
 * refused; forged and other: any other drop (both should be 0; a delayed
 * duplicate or stale initiation, which the proxy may cause, is not counted).
 * Exit status 0 when the run completed, 1 on a failure (printed on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/socket.h>

#include "transport/rtp.h"
#include "transport/session.h"
#include "transport/udp.h"

#define MS 1000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int die(const char *what, long err)
{
	fprintf(stderr, "session_peer: %s: %s\n", what, strerror((int)-err));
	return 1;
}

struct peer {
	struct vx_session *a, *b;
	struct vx_udp *ua, *ub;
	struct vx_udp_addr b_reply_to;
	bool b_has_addr;
	FILE *sent;
	uint32_t sent_index;
	uint8_t *seen;
	uint32_t count, accepted, reordered, max_seq;
	bool any;
};

static int send_a(struct peer *p, const uint8_t *buf, size_t len, const char *kind, long seq)
{
	ssize_t n = vx_udp_send(p->ua, buf, len);

	if (n < 0)
		return (int)n;
	fprintf(p->sent, "%" PRIu32 " %s %ld\n", p->sent_index++, kind, seq);
	return 0;
}

static int run_timers(struct peer *p, uint64_t now)
{
	uint8_t buf[VX_SESSION_MAX_PACKET];
	ssize_t n;

	while ((n = vx_session_poll(p->a, now, buf, sizeof(buf))) > 0) {
		int ret = send_a(p, buf, (size_t)n,
				 buf[0] == VX_SESSION_MSG_INITIATION ? "init" : "keepalive", -1);
		if (ret < 0)
			return ret;
	}
	if (n < 0)
		return (int)n;
	while ((n = vx_session_poll(p->b, now, buf, sizeof(buf))) > 0)
		if (p->b_has_addr)
			(void)vx_udp_sendto(p->ub, buf, (size_t)n, &p->b_reply_to);
	return n < 0 ? (int)n : 0;
}

static void receive_b(struct peer *p, uint64_t *last_rx)
{
	uint8_t buf[2048], out[VX_SESSION_MAX_PACKET];
	struct vx_udp_msg m = { .buf = buf, .cap = sizeof(buf) };
	enum vx_session_kind kind;
	ssize_t n;

	while ((n = vx_udp_recv(p->ub, &m)) >= 0) {
		uint64_t now = mono_ns();
		struct vx_rtp_packet rtp;

		*last_rx = now;
		n = vx_session_open(p->b, now, buf, (size_t)n, &kind, out, sizeof(out));
		if (n < 0)
			continue; /* counted by the session */
		if (kind == VX_SESSION_HANDSHAKE) {
			p->b_reply_to = m.from;
			p->b_has_addr = true;
			continue;
		}
		if (kind != VX_SESSION_RTP || vx_rtp_parse(&rtp, out, (size_t)n) < 0 ||
		    rtp.seq >= p->count || p->seen[rtp.seq])
			continue;
		p->seen[rtp.seq] = 1;
		p->accepted++;
		if (p->any && rtp.seq < p->max_seq)
			p->reordered++;
		if (!p->any || rtp.seq > p->max_seq)
			p->max_seq = rtp.seq;
		p->any = true;
	}
}

static void receive_a(struct peer *p)
{
	uint8_t buf[2048], out[VX_SESSION_MAX_PACKET];
	struct vx_udp_msg m = { .buf = buf, .cap = sizeof(buf) };
	enum vx_session_kind kind;
	ssize_t n;

	while ((n = vx_udp_recv(p->ua, &m)) >= 0 || n == -ECONNREFUSED)
		if (n >= 0 && vx_session_open(p->a, mono_ns(), buf, (size_t)n, &kind, out,
					      sizeof(out)) < 0)
			continue; /* counted by the session */
}

int main(int argc, char **argv)
{
	struct vx_noise_keypair ka, kb;
	struct vx_session_config cfg;
	struct vx_session_stats st;
	struct peer p = { 0 };
	uint64_t interval, next_send, done_at = 0, last_rx, start;
	uint32_t i = 0;
	int rcvbuf = 8 << 20;
	long ret;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: session_peer PROXY SERVER COUNT SENT_LOG [INTERVAL_US]\n");
		return 2;
	}
	p.count = (uint32_t)strtoul(argv[3], NULL, 10);
	interval = (argc == 6 ? strtoull(argv[5], NULL, 10) : 200) * 1000u;
	if (!p.count || p.count > 65536)
		return die("COUNT", -EINVAL);
	p.seen = calloc(p.count, 1);
	p.sent = fopen(argv[4], "w");
	if (!p.seen || !p.sent)
		return die(argv[4], -errno);

	if (vx_noise_keypair_generate(&ka) < 0 || vx_noise_keypair_generate(&kb) < 0)
		return die("keys", -EIO);
	vx_session_config_default(&cfg);
	cfg.retry_ns = 50 * MS; /* a lost initiation costs 50 ms, not a second */
	cfg.retry_max_ns = 200 * MS;
	cfg.local = &ka;
	cfg.peer_public = kb.pub;
	cfg.initiator = true;
	ret = vx_session_create(&p.a, &cfg);
	if (ret < 0)
		return die("session", ret);
	cfg.local = &kb;
	cfg.peer_public = ka.pub;
	cfg.initiator = false;
	ret = vx_session_create(&p.b, &cfg);
	if (ret < 0)
		return die("session", ret);

	ret = vx_udp_open(&p.ub, argv[2], NULL);
	if (ret < 0)
		return die(argv[2], ret);
	ret = vx_udp_open(&p.ua, NULL, argv[1]);
	if (ret < 0)
		return die(argv[1], ret);
	/* Room for a scheduling hiccup: a datagram the kernel drops would be a loss
	 * the proxy's log cannot account for. */
	setsockopt(vx_udp_fd(p.ub), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));

	start = last_rx = mono_ns();
	next_send = start;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = vx_udp_fd(p.ua), .events = POLLIN },
			{ .fd = vx_udp_fd(p.ub), .events = POLLIN },
		};
		uint64_t now = mono_ns(), wake = now + MS;
		struct timespec ts;

		ret = run_timers(&p, now);
		if (ret < 0)
			return die("send", ret);
		if (vx_session_is_established(p.a, now) && i < p.count && now >= next_send) {
			uint8_t payload[160], pkt[256], wire[VX_SESSION_MAX_PACKET];
			struct vx_rtp_packet rtp = { .pt = VX_RTP_PT_OPUS, .seq = (uint16_t)i,
						     .ts = i * 960, .ssrc = 0x766f7800,
						     .payload = payload,
						     .payload_len = sizeof(payload) };
			ssize_t n;

			memset(payload, (int)(i & 0xff), sizeof(payload));
			n = vx_rtp_encode(&rtp, pkt, sizeof(pkt));
			if (n < 0)
				return die("rtp", n);
			n = vx_session_seal(p.a, now, VX_SESSION_RTP, pkt, (size_t)n, wire,
					    sizeof(wire));
			if (n < 0)
				return die("seal", n);
			ret = send_a(&p, wire, (size_t)n, "rtp", (long)i);
			if (ret < 0)
				return die("send", ret);
			i++;
			next_send += interval;
			if (i == p.count)
				done_at = now;
		}
		if (done_at && now - done_at >= 500 * MS && now - last_rx >= 500 * MS)
			break;
		if (!done_at && now - start > 10000 * MS)
			return die("handshake or sending took over 10 s", -ETIMEDOUT);
		if (i < p.count && vx_session_is_established(p.a, now) && next_send < wake)
			wake = next_send;
		if (vx_session_next_timeout(p.a) < wake)
			wake = vx_session_next_timeout(p.a);
		wake = wake > now ? wake - now : 0;
		ts.tv_sec = (time_t)(wake / 1000000000u);
		ts.tv_nsec = (long)(wake % 1000000000u);
		if (ppoll(fds, 2, &ts, NULL) < 0 && errno != EINTR)
			return die("poll", -errno);
		receive_a(&p);
		receive_b(&p, &last_rx);
	}

	vx_session_stats(p.b, &st);
	printf("sent %" PRIu32 " accepted %" PRIu32 " lost %" PRIu32 " reordered %" PRIu32
	       " duplicated %" PRIu64 " forged %" PRIu64 " other %" PRIu64 "\n",
	       p.count, p.accepted, p.count - p.accepted, p.reordered, st.drop_replayed,
	       st.drop_forged + st.drop_hs_forged,
	       st.drop_truncated + st.drop_oversized + st.drop_malformed +
		       st.drop_unknown_index + st.drop_expired + st.drop_hs_unknown_peer +
		       st.drop_hs_unexpected);
	if (fclose(p.sent) != 0)
		return die(argv[4], -errno);
	vx_udp_close(p.ua);
	vx_udp_close(p.ub);
	vx_session_destroy(p.a);
	vx_session_destroy(p.b);
	vx_noise_keypair_wipe(&ka);
	vx_noise_keypair_wipe(&kb);
	free(p.seen);
	return 0;
}
