// SPDX-License-Identifier: MIT
/*
 * vox impair: a UDP proxy that applies transport/impair's model in real time.
 *
 * The first datagram on --listen names the client; from then on its datagrams
 * go to --forward (the server) and the server's replies go back to it. Datagrams
 * from any other address are ignored (and counted). The client-to-server
 * direction is impaired; with --both the replies are too, by a second model
 * seeded with seed + 1 (otherwise they pass at once, in order).
 *
 * Each arriving datagram gets its fate from the model at once (lost, delivered,
 * duplicated, and when) and waits in a time-ordered queue (a binary heap keyed
 * by delivery time, then arrival) until its time comes; the loop sleeps in
 * ppoll() until the next delivery or arrival. Because delivery times are never
 * earlier than the arrival they follow, the order of sending is exactly the
 * order of (delivery time, arrival) keys: the log's "out" lines record it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "pipeline/cli.h"
#include "transport/impair.h"
#include "transport/udp.h"

#define MAX_DGRAM 65536

static const char help[] =
	"usage: vox impair --listen ADDR:PORT --forward ADDR:PORT [options]\n"
	"A UDP proxy that loses, delays, reorders and duplicates packets as the\n"
	"seeded impairment model says. The first sender to --listen is the client:\n"
	"its datagrams are impaired and sent on to --forward; replies go back to it.\n"
	"  --spec SPEC        the model, e.g. \"loss=5%,burst=3,delay=20ms,jitter=5ms,\n"
	"                     dup=1%,reorder=2%\" (keys: see transport/impair.h); none\n"
	"  --seed N           overrides the spec's seed\n"
	"  --both             impair the replies too (seed + 1); else they pass at once\n"
	"  --count N          exit after N client datagrams, once all are delivered\n"
	"  --idle-exit SECS   exit after SECS without traffic and nothing queued\n"
	"  --log FILE         per-packet log (format below)\n"
	"  --stats FILE       write the counters there instead of stderr\n"
	"  --json             counters as one JSON object\n"
	"  --queue N          most datagrams waiting at once (65536); more are dropped\n"
	"  -h, --help         this help\n"
	"Log lines, times in ns since start, SEQ counting each direction's arrivals\n"
	"from 0, DIR c2s or s2c:\n"
	"  in SEQ DIR T FATE [DELIVER [DELIVER2]]   FATE lost, delivered or duplicated\n"
	"  out SEQ DIR T                            a copy sent, in sending order\n"
	"Prints \"vox impair: relaying ADDR -> ADDR\" on stderr once listening (ADDR\n"
	"with the actual port when --listen asks for port 0); stops on SIGINT or\n"
	"SIGTERM too; prints counters on exit.\n"
	"Exit status: 0 done, 1 a socket or file failed, 2 bad usage.\n";

enum { C2S, S2C };
static const char *const dir_name[] = { "c2s", "s2c" };

struct entry {
	uint64_t at;    /* delivery time, ns since start */
	uint64_t order; /* arrival order, for ties */
	uint32_t seq;   /* per-direction arrival number */
	int dir;
	size_t len;
	uint8_t *buf;
};

struct heap {
	struct entry *e;
	size_t n, cap;
};

struct counters {
	uint64_t queue_dropped; /* the queue was full */
	uint64_t send_errors;
	uint64_t sent;          /* copies sent */
};

static bool before(const struct entry *a, const struct entry *b)
{
	return a->at != b->at ? a->at < b->at : a->order < b->order;
}

static void heap_push(struct heap *h, struct entry e)
{
	size_t i = h->n++;

	while (i) {
		size_t parent = (i - 1) / 2;

		if (!before(&e, &h->e[parent]))
			break;
		h->e[i] = h->e[parent];
		i = parent;
	}
	h->e[i] = e;
}

static struct entry heap_pop(struct heap *h)
{
	struct entry top = h->e[0], last = h->e[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(&h->e[c + 1], &h->e[c]))
			c++;
		if (!before(&h->e[c], &last))
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	if (h->n)
		h->e[i] = last;
	return top;
}

static bool same_addr(const struct vx_udp_addr *a, const struct vx_udp_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
		const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

struct proxy {
	struct vx_udp *lu, *fu;
	struct vx_impair *model[2]; /* NULL: pass at once */
	struct heap q;
	size_t queue_max;
	struct vx_udp_addr client;
	bool have_client;
	uint64_t start, order, ignored;
	uint32_t seq[2];
	struct counters c[2];
	FILE *log;
};

/* One arriving datagram: its fate now, its copies into the queue. */
static void arrive(struct proxy *p, int dir, const uint8_t *buf, size_t len, uint64_t now)
{
	uint64_t deliver[2];
	unsigned copies = 1;
	uint32_t seq = p->seq[dir]++;

	if (p->model[dir])
		copies = vx_impair_decide(p->model[dir], now, len, deliver);
	else
		deliver[0] = now;
	if (p->log) {
		fprintf(p->log, "in %" PRIu32 " %s %" PRIu64 " %s", seq, dir_name[dir], now,
			copies == 0 ? "lost" : copies == 1 ? "delivered" : "duplicated");
		for (unsigned i = 0; i < copies; i++)
			fprintf(p->log, " %" PRIu64, deliver[i]);
		fputc('\n', p->log);
	}
	for (unsigned i = 0; i < copies; i++) {
		struct entry e = { .at = deliver[i], .order = p->order++, .seq = seq, .dir = dir,
				   .len = len };

		if (p->q.n == p->queue_max || !(e.buf = malloc(len ? len : 1))) {
			p->c[dir].queue_dropped++;
			continue;
		}
		memcpy(e.buf, buf, len);
		heap_push(&p->q, e);
	}
}

static void deliver_due(struct proxy *p, uint64_t now)
{
	while (p->q.n && p->q.e[0].at <= now) {
		struct entry e = heap_pop(&p->q);
		ssize_t n;

		if (e.dir == C2S)
			n = vx_udp_send(p->fu, e.buf, e.len);
		else
			n = vx_udp_sendto(p->lu, e.buf, e.len, &p->client);
		if (n < 0)
			p->c[e.dir].send_errors++;
		else
			p->c[e.dir].sent++;
		if (p->log)
			fprintf(p->log, "out %" PRIu32 " %s %" PRIu64 "\n", e.seq, dir_name[e.dir],
				now);
		free(e.buf);
	}
}

/* Drain a socket. Return: datagrams taken, or a -errno that ends the run. */
static int receive(struct proxy *p, int dir, uint8_t *buf, uint64_t *count_left)
{
	struct vx_udp_msg m = { .buf = buf, .cap = MAX_DGRAM };
	int got = 0;

	for (;;) {
		ssize_t n = vx_udp_recv(dir == C2S ? p->lu : p->fu, &m);

		if (n == -EAGAIN || n == -EINTR)
			return got;
		/* A server not (yet) listening: its ICMP error is not ours to end on. */
		if (n == -ECONNREFUSED || n == -EMSGSIZE)
			continue;
		if (n < 0)
			return (int)n;
		if (dir == C2S) {
			if (!*count_left) {
				p->ignored++;
				continue;
			}
			if (!p->have_client) {
				p->client = m.from;
				p->have_client = true;
			} else if (!same_addr(&p->client, &m.from)) {
				p->ignored++;
				continue;
			}
			(*count_left)--;
		} else if (!p->have_client) {
			p->ignored++;
			continue;
		}
		arrive(p, dir, buf, (size_t)n, vx_cli_now_ns() - p->start);
		got++;
	}
}

static void print_stats(const struct proxy *p, FILE *f, bool json)
{
	if (json)
		fputc('{', f);
	for (int d = 0; d < 2; d++) {
		struct vx_impair_stats st = { 0 };

		if (p->model[d])
			vx_impair_stats(p->model[d], &st);
		else
			st.packets = st.delivered = p->seq[d];
		if (json)
			fprintf(f,
				"%s\"%s\":{\"packets\":%" PRIu64 ",\"delivered\":%" PRIu64
				",\"lost\":%" PRIu64 ",\"duplicated\":%" PRIu64
				",\"reordered\":%" PRIu64 ",\"rate_dropped\":%" PRIu64
				",\"queue_dropped\":%" PRIu64 ",\"sent\":%" PRIu64
				",\"send_errors\":%" PRIu64 "}",
				d ? "," : "", dir_name[d], st.packets, st.delivered, st.lost,
				st.duplicated, st.reordered, st.rate_dropped, p->c[d].queue_dropped,
				p->c[d].sent, p->c[d].send_errors);
		else
			fprintf(f,
				"%s: packets %" PRIu64 ", delivered %" PRIu64 ", lost %" PRIu64
				" (rate %" PRIu64 "), duplicated %" PRIu64 ", reordered %" PRIu64
				", queue-dropped %" PRIu64 ", sent %" PRIu64 ", send errors %" PRIu64
				"\n",
				dir_name[d], st.packets, st.delivered, st.lost, st.rate_dropped,
				st.duplicated, st.reordered, p->c[d].queue_dropped, p->c[d].sent,
				p->c[d].send_errors);
	}
	if (json)
		fprintf(f, ",\"ignored\":%" PRIu64 "}\n", p->ignored);
	else
		fprintf(f, "ignored (other senders): %" PRIu64 "\n", p->ignored);
}

static int make_model(struct vx_impair **out, const struct vx_impair_config *base, uint64_t seed)
{
	char err[VX_IMPAIR_ERR_LEN] = "";
	int ret = vx_impair_create_seeded(out, base, seed, err, sizeof(err));

	if (ret < 0)
		fprintf(stderr, "vox impair: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}

int vx_cmd_impair(int argc, char **argv)
{
	enum { O_LISTEN = 1000, O_FORWARD, O_SPEC, O_SEED, O_BOTH, O_COUNT, O_IDLE, O_LOG,
	       O_STATS, O_JSON, O_QUEUE };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "forward", required_argument, NULL, O_FORWARD },
		{ "spec", required_argument, NULL, O_SPEC },
		{ "seed", required_argument, NULL, O_SEED },
		{ "both", no_argument, NULL, O_BOTH },
		{ "count", required_argument, NULL, O_COUNT },
		{ "idle-exit", required_argument, NULL, O_IDLE },
		{ "log", required_argument, NULL, O_LOG },
		{ "stats", required_argument, NULL, O_STATS },
		{ "json", no_argument, NULL, O_JSON },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *forward = NULL, *spec = "", *log_path = NULL, *stats_path = NULL;
	uint64_t seed = 0, count = UINT64_MAX, idle_s = 0, queue = 65536;
	bool have_seed = false, both = false, json = false;
	struct vx_impair_config cfg;
	char err[VX_IMPAIR_ERR_LEN];
	struct proxy p = { 0 };
	uint8_t *buf = NULL;
	uint64_t last;
	int opt, ret, status = VX_EXIT_FAIL;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN: listen = optarg; break;
		case O_FORWARD: forward = optarg; break;
		case O_SPEC: spec = optarg; break;
		case O_BOTH: both = true; break;
		case O_LOG: log_path = optarg; break;
		case O_STATS: stats_path = optarg; break;
		case O_JSON: json = true; break;
		case O_SEED:
			if (!vx_cli_parse_u64(optarg, 0, 0, UINT64_MAX, &seed))
				return vx_cli_usage("impair", "--seed wants a number: %s", optarg);
			have_seed = true;
			break;
		case O_COUNT:
			if (!vx_cli_parse_u64(optarg, 0, 1, UINT64_MAX, &count))
				return vx_cli_usage("impair", "--count wants a positive number: %s",
						    optarg);
			break;
		case O_IDLE:
			if (!vx_cli_parse_u64(optarg, 0, 1, 86400, &idle_s))
				return vx_cli_usage("impair",
						    "--idle-exit wants seconds, 1 to 86400: %s",
						    optarg);
			break;
		case O_QUEUE:
			if (!vx_cli_parse_u64(optarg, 0, 1, 1u << 24, &queue))
				return vx_cli_usage("impair", "--queue wants 1 to 16777216: %s",
						    optarg);
			break;
		case 'h':
			fputs(help, stdout);
			return VX_EXIT_OK;
		default:
			return vx_cli_usage("impair", "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vx_cli_usage("impair", "unexpected argument: %s", argv[optind]);
	if (!listen || !forward)
		return vx_cli_usage("impair", "--listen and --forward are both needed");
	if (vx_impair_parse(spec, &cfg, err, sizeof(err)) < 0)
		return vx_cli_usage("impair", "%s", err);
	if (!have_seed)
		seed = cfg.seed;

	if (make_model(&p.model[C2S], &cfg, seed) < 0)
		goto out;
	if (both && make_model(&p.model[S2C], &cfg, seed + 1) < 0)
		goto out;
	ret = vx_udp_open(&p.lu, listen, NULL);
	if (ret < 0) {
		fprintf(stderr, "vox impair: --listen %s: %s\n", listen, strerror(-ret));
		goto out;
	}
	ret = vx_udp_open(&p.fu, NULL, forward);
	if (ret < 0) {
		fprintf(stderr, "vox impair: --forward %s: %s\n", forward, strerror(-ret));
		goto out;
	}
	/* Bursts wait in the kernel while we sleep: a datagram dropped there would
	 * be a loss the log cannot account for. Forcing the size needs
	 * CAP_NET_ADMIN; without it the plain request is capped by rmem_max. */
	for (int d = 0; d < 2; d++) {
		int fd = vx_udp_fd(d == C2S ? p.lu : p.fu), size = 8 << 20;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	if (log_path && !(p.log = fopen(log_path, "w"))) {
		fprintf(stderr, "vox impair: %s: %s\n", log_path, strerror(errno));
		goto out;
	}
	p.queue_max = (size_t)queue;
	p.q.cap = p.queue_max;
	p.q.e = malloc(p.q.cap * sizeof(*p.q.e));
	buf = malloc(MAX_DGRAM);
	if (!p.q.e || !buf) {
		fprintf(stderr, "vox impair: out of memory\n");
		goto out;
	}
	{
		struct vx_udp_info info;
		char a[VX_UDP_ADDR_STRLEN];

		/* One line once the socket is bound: a script can wait for it. */
		vx_udp_info(p.lu, &info);
		if (vx_udp_addr_format(&info.local, a, sizeof(a)) < 0)
			strcpy(a, listen);
		fprintf(stderr, "vox impair: relaying %s -> %s\n", a, forward);
	}
	vx_cli_catch_signals(NULL); /* ppoll returns EINTR */

	p.start = vx_cli_now_ns();
	last = 0;
	while (!vx_cli_signal) {
		struct pollfd fds[2] = {
			{ .fd = vx_udp_fd(p.lu), .events = POLLIN },
			{ .fd = vx_udp_fd(p.fu), .events = POLLIN },
		};
		uint64_t now = vx_cli_now_ns() - p.start, wait = UINT64_MAX;
		struct timespec ts;

		deliver_due(&p, now);
		if (!p.q.n && !count)
			break; /* --count reached and all delivered */
		if (!p.q.n && idle_s && now - last >= idle_s * 1000000000u)
			break;
		if (p.q.n)
			wait = p.q.e[0].at - now;
		if (idle_s && !p.q.n)
			wait = last + idle_s * 1000000000u - now;
		ts.tv_sec = (time_t)(wait / 1000000000u);
		ts.tv_nsec = (long)(wait % 1000000000u);
		ret = ppoll(fds, 2, wait == UINT64_MAX ? NULL : &ts, NULL);
		if (ret < 0 && errno != EINTR) {
			fprintf(stderr, "vox impair: poll: %s\n", strerror(errno));
			goto out;
		}
		if (ret <= 0)
			continue;
		for (int d = 0; d < 2; d++) {
			if (!fds[d].revents)
				continue;
			ret = receive(&p, d, buf, &count);
			if (ret < 0) {
				fprintf(stderr, "vox impair: receive: %s\n", strerror(-ret));
				goto out;
			}
			if (ret > 0)
				last = vx_cli_now_ns() - p.start;
		}
	}
	status = VX_EXIT_OK;
out:
	if (p.log && fclose(p.log) != 0) {
		fprintf(stderr, "vox impair: %s: %s\n", log_path, strerror(errno));
		status = VX_EXIT_FAIL;
	}
	if (p.lu) {
		FILE *f = stats_path ? fopen(stats_path, "w") : stderr;

		if (!f) {
			fprintf(stderr, "vox impair: %s: %s\n", stats_path, strerror(errno));
			status = VX_EXIT_FAIL;
		} else {
			print_stats(&p, f, json);
			if (f != stderr)
				fclose(f);
		}
	}
	while (p.q.n)
		free(heap_pop(&p.q).buf);
	free(p.q.e);
	free(buf);
	vx_udp_close(p.lu);
	vx_udp_close(p.fu);
	vx_impair_destroy(p.model[C2S]);
	vx_impair_destroy(p.model[S2C]);
	return status;
}
