// SPDX-License-Identifier: MIT
/*
 * UDP endpoints on loopback, IPv4 (127.0.0.1) and IPv6 (::1). Waits are
 * vx_udp_wait() on the event itself with a generous bound (a liveness limit, not
 * a timing assertion). Receive times are checked only for being present and not
 * before the sender's clock minus one second.
 * Linked with --wrap=malloc,... (see the Makefile) so a case can check that
 * send, wait and receive allocate nothing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "transport/udp.h"

#define LIVENESS_MS 5000

/* ---- allocation counting (--wrap) ------------------------------------------- */

#include "tests/wrap_alloc.h"

/* ---- helpers ------------------------------------------------------------------ */

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct vx_udp *open_ok(const char *local, const char *peer)
{
	struct vx_udp *u = NULL;
	int r = vx_udp_open(&u, local, peer);

	if (r < 0)
		fail_msg("vx_udp_open(%s, %s): %s", local ? local : "NULL", peer ? peer : "NULL",
			 strerror(-r));
	return u;
}

/* The bound address as text, for the other end to use. */
static void local_text(const struct vx_udp *u, char *buf)
{
	struct vx_udp_info info;

	vx_udp_info(u, &info);
	assert_int_equal(vx_udp_addr_format(&info.local, buf, VX_UDP_ADDR_STRLEN), 0);
}

static ssize_t recv_wait(struct vx_udp *u, struct vx_udp_msg *m)
{
	assert_int_equal(vx_udp_wait(u, LIVENESS_MS), 1);
	return vx_udp_recv(u, m);
}

static bool same_addr(const struct vx_udp_addr *a, const struct vx_udp_addr *b)
{
	char x[VX_UDP_ADDR_STRLEN], y[VX_UDP_ADDR_STRLEN];

	assert_int_equal(vx_udp_addr_format(a, x, sizeof(x)), 0);
	assert_int_equal(vx_udp_addr_format(b, y, sizeof(y)), 0);
	return !strcmp(x, y);
}

/* ---- addresses ---------------------------------------------------------------- */

static void test_udp_addr_parse_table(void **state)
{
	static const struct {
		const char *in;
		bool passive;
		int ret;
		const char *out; /* formatted back */
	} rows[] = {
		{ "127.0.0.1:5004", false, 0, "127.0.0.1:5004" },
		{ "[::1]:5004", false, 0, "[::1]:5004" },
		{ "[::]:0", true, 0, "[::]:0" },
		{ "5004", true, 0, "0.0.0.0:5004" },
		{ "0", true, 0, "0.0.0.0:0" },
		{ ":65535", true, 0, "0.0.0.0:65535" },
		{ "[::ffff:10.1.2.3]:9", false, 0, "[::ffff:10.1.2.3]:9" },
		{ "5004", false, -EINVAL, NULL },       /* a peer needs a host */
		{ ":5004", false, -EINVAL, NULL },
		{ "127.0.0.1", false, -EINVAL, NULL },  /* no port */
		{ "127.0.0.1", true, -EINVAL, NULL },   /* nor a port by itself */
		{ "127.0.0.1:", false, -EINVAL, NULL },
		{ "127.0.0.1:65536", false, -EINVAL, NULL },
		{ "127.0.0.1:123456", false, -EINVAL, NULL },
		{ "127.0.0.1:+5", false, -EINVAL, NULL },
		{ "127.0.0.1:-1", false, -EINVAL, NULL },
		{ "127.0.0.1:5x", false, -EINVAL, NULL },
		{ "::1:5004", false, -EINVAL, NULL },   /* IPv6 needs brackets */
		{ "[::1]", false, -EINVAL, NULL },
		{ "[::1]5004", false, -EINVAL, NULL },
		{ "[::1:5004", false, -EINVAL, NULL },
		{ "[]:5004", false, -EINVAL, NULL },
		{ "[127.0.0.1]:5004", false, -ENOENT, NULL }, /* not an IPv6 address */
		{ "", true, -EINVAL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vx_udp_addr a;
		char buf[VX_UDP_ADDR_STRLEN];
		int r = vx_udp_addr_parse(&a, rows[i].in, rows[i].passive);

		if (r != rows[i].ret)
			fail_msg("row %zu \"%s\": %d, want %d", i, rows[i].in, r, rows[i].ret);
		if (r < 0)
			continue;
		assert_int_equal(vx_udp_addr_format(&a, buf, sizeof(buf)), 0);
		assert_string_equal(buf, rows[i].out);
	}
}

static void test_udp_addr_resolves_localhost(void **state)
{
	struct vx_udp_addr a;

	(void)state;
	assert_int_equal(vx_udp_addr_parse(&a, "localhost:7", false), 0);
	assert_true(a.ss.ss_family == AF_INET || a.ss.ss_family == AF_INET6);
	assert_int_equal(vx_udp_addr_port(&a), 7);
}

static void test_udp_addr_format_needs_room(void **state)
{
	struct vx_udp_addr a;
	char buf[VX_UDP_ADDR_STRLEN];

	(void)state;
	assert_int_equal(vx_udp_addr_parse(&a, "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:"
					   "65535", false), 0);
	assert_int_equal(vx_udp_addr_format(&a, buf, sizeof(buf)), 0);
	assert_int_equal(vx_udp_addr_format(&a, buf, strlen(buf)), -ENOSPC);
	memset(&a, 0, sizeof(a));
	a.ss.ss_family = AF_UNIX;
	assert_int_equal(vx_udp_addr_format(&a, buf, sizeof(buf)), -EAFNOSUPPORT);
	assert_int_equal(vx_udp_addr_port(&a), 0);
}

/* ---- endpoints ---------------------------------------------------------------- */

static void test_udp_ephemeral_port_is_reported(void **state)
{
	static const char *const locals[] = { "127.0.0.1:0", "[::1]:0", "0", "[::]:0" };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct vx_udp *u = open_ok(locals[i], NULL);
		struct vx_udp_info info;

		vx_udp_info(u, &info);
		assert_int_equal(info.family, i % 2 ? AF_INET6 : AF_INET);
		assert_int_equal(info.local.ss.ss_family, info.family);
		assert_int_not_equal(vx_udp_addr_port(&info.local), 0);
		assert_false(info.connected);
		vx_udp_close(u);
	}
}

/* Send three datagrams (empty, small, near the IPv4 MTU), echo each back. */
static void exchange(const char *server_addr)
{
	static const size_t sizes[] = { 0, 5, 1472 };
	struct vx_udp *srv = open_ok(server_addr, NULL), *cli;
	struct vx_udp_info ci;
	char addr[VX_UDP_ADDR_STRLEN];
	uint8_t out[1472], in[2000];

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 3);
	local_text(srv, addr);
	cli = open_ok(NULL, addr);
	vx_udp_info(cli, &ci);
	assert_true(ci.connected);

	for (size_t k = 0; k < 3; k++) {
		struct vx_udp_msg m = { .buf = in, .cap = sizeof(in) };
		uint64_t sent = realtime_ns();

		out[0] = (uint8_t)k;
		assert_int_equal(vx_udp_send(cli, out, sizes[k]), sizes[k]);
		assert_int_equal(recv_wait(srv, &m), sizes[k]);
		assert_int_equal(m.len, sizes[k]);
		assert_int_equal(m.wire_len, sizes[k]);
		assert_false(m.truncated);
		assert_memory_equal(in, out, sizes[k]);
		assert_true(same_addr(&m.from, &ci.local));
		assert_true(m.rx_ns != 0 && m.rx_ns >= sent - 1000000000u);
		assert_int_equal(m.kernel_ts, ci.ts_err == 0);

		/* The reply goes to whoever sent. */
		assert_int_equal(vx_udp_sendto(srv, in, m.len, &m.from), sizes[k]);
		m = (struct vx_udp_msg){ .buf = in, .cap = sizeof(in) };
		assert_int_equal(recv_wait(cli, &m), sizes[k]);
		assert_memory_equal(in, out, sizes[k]);
	}
	vx_udp_close(cli);
	vx_udp_close(srv);
}

static void test_udp_ipv4_exchanges_exact_bytes_with_timestamps(void **state)
{
	(void)state;
	exchange("127.0.0.1:0");
}

static void test_udp_ipv6_exchanges_exact_bytes_with_timestamps(void **state)
{
	(void)state;
	exchange("[::1]:0");
}

/* An IPv6 wildcard socket reaches an IPv4 peer through a mapped address. */
static void test_udp_dual_stack_socket_talks_to_ipv4(void **state)
{
	struct vx_udp *srv = open_ok("127.0.0.1:0", NULL), *cli;
	char addr[VX_UDP_ADDR_STRLEN];
	uint8_t in[16];
	struct vx_udp_msg m = { .buf = in, .cap = sizeof(in) };
	struct vx_udp_info info;

	(void)state;
	local_text(srv, addr);
	cli = open_ok("[::]:0", addr);
	vx_udp_info(cli, &info);
	assert_int_equal(info.family, AF_INET6);
	assert_int_equal(vx_udp_send(cli, "v4", 2), 2);
	assert_int_equal(recv_wait(srv, &m), 2);
	assert_memory_equal(in, "v4", 2);
	assert_int_equal(m.from.ss.ss_family, AF_INET);
	vx_udp_close(cli);
	vx_udp_close(srv);
}

static void check_tos(const char *local, int level, int opt)
{
	struct vx_udp *u = open_ok(local, NULL);
	struct vx_udp_info info;
	int v = -1;
	socklen_t len = sizeof(v);

	vx_udp_info(u, &info);
	if (info.ef_err) {
		/* Best effort: a refusal is reported, not fatal. */
		print_message("note: %s: EF not set (%s)\n", local, strerror(-info.ef_err));
		vx_udp_close(u);
		skip();
	}
	assert_int_equal(getsockopt(vx_udp_fd(u), level, opt, &v, &len), 0);
	assert_int_equal(v, VX_UDP_TOS_EF);
	assert_int_equal(vx_udp_set_tos(u, 0), 0);
	len = sizeof(v);
	assert_int_equal(getsockopt(vx_udp_fd(u), level, opt, &v, &len), 0);
	assert_int_equal(v, 0);
	vx_udp_close(u);
}

static void test_udp_ipv4_is_marked_ef(void **state)
{
	(void)state;
	check_tos("127.0.0.1:0", IPPROTO_IP, IP_TOS);
}

static void test_udp_ipv6_is_marked_ef(void **state)
{
	(void)state;
	check_tos("[::1]:0", IPPROTO_IPV6, IPV6_TCLASS);
}

/*
 * A connected socket learns of the ICMP port unreachable its datagram caused.
 * The client binds its port while the closed one is still taken: an ephemeral
 * port picked afterwards could be that very port, and a socket connected to
 * itself hears its own datagram instead of a refusal.
 */
static void refused(const char *local)
{
	struct vx_udp *gone = open_ok(local, NULL), *cli = open_ok(local, NULL);
	char addr[VX_UDP_ADDR_STRLEN];
	struct vx_udp_addr a;
	uint8_t in[8];
	struct vx_udp_msg m = { .buf = in, .cap = sizeof(in) };
	ssize_t r;

	local_text(gone, addr);
	vx_udp_close(gone); /* nobody listens there now */
	assert_int_equal(vx_udp_addr_parse(&a, addr, false), 0);
	assert_int_equal(vx_udp_connect(cli, &a), 0);
	assert_int_equal(vx_udp_send(cli, "anyone?", 7), 7);
	assert_int_equal(vx_udp_wait(cli, LIVENESS_MS), 1);
	r = vx_udp_recv(cli, &m);
	assert_int_equal(r, -ECONNREFUSED);
	/* The error is reported once; then the socket is quiet again. */
	assert_int_equal(vx_udp_recv(cli, &m), -EAGAIN);
	vx_udp_close(cli);
}

static void test_udp_ipv4_refused_peer_is_reported(void **state)
{
	(void)state;
	refused("127.0.0.1:0");
}

static void test_udp_ipv6_refused_peer_is_reported(void **state)
{
	(void)state;
	refused("[::1]:0");
}

static void test_udp_truncated_datagram_is_detected(void **state)
{
	struct vx_udp *srv = open_ok("127.0.0.1:0", NULL), *cli;
	char addr[VX_UDP_ADDR_STRLEN];
	uint8_t out[100], in[10];
	struct vx_udp_msg m = { .buf = in, .cap = sizeof(in) };

	(void)state;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)i;
	local_text(srv, addr);
	cli = open_ok(NULL, addr);
	assert_int_equal(vx_udp_send(cli, out, 100), 100);
	assert_int_equal(vx_udp_send(cli, out, 10), 10);
	assert_int_equal(recv_wait(srv, &m), -EMSGSIZE);
	assert_true(m.truncated);
	assert_int_equal(m.len, 10);
	assert_int_equal(m.wire_len, 100);
	assert_memory_equal(in, out, 10);
	/* It was consumed: the next one is whole (exactly cap bytes fit). */
	memset(in, 0, sizeof(in));
	assert_int_equal(recv_wait(srv, &m), 10);
	assert_false(m.truncated);
	assert_memory_equal(in, out, 10);
	vx_udp_close(cli);
	vx_udp_close(srv);
}

static void test_udp_batch_receives_in_order_and_flags_truncation(void **state)
{
	enum { N = 40 };
	struct vx_udp *srv = open_ok("[::1]:0", NULL), *cli;
	char addr[VX_UDP_ADDR_STRLEN];
	static uint8_t bufs[N][64];
	struct vx_udp_msg m[N];
	unsigned got = 0;

	(void)state;
	local_text(srv, addr);
	cli = open_ok(NULL, addr);
	for (unsigned i = 0; i < N; i++) {
		uint8_t out[80];

		memset(out, (int)i, sizeof(out));
		/* Datagram 17 is longer than its buffer. */
		assert_int_equal(vx_udp_send(cli, out, i == 17 ? 80 : i), i == 17 ? 80 : i);
	}
	while (got < N) {
		int n;

		for (unsigned i = got; i < N; i++)
			m[i] = (struct vx_udp_msg){ .buf = bufs[i], .cap = sizeof(bufs[i]) };
		assert_int_equal(vx_udp_wait(srv, LIVENESS_MS), 1);
		n = vx_udp_recv_batch(srv, m + got, N - got > 16 ? 16 : N - got);
		assert_true(n >= 1);
		got += (unsigned)n;
	}
	for (unsigned i = 0; i < N; i++) {
		uint8_t want[80];

		memset(want, (int)i, sizeof(want));
		assert_int_equal(m[i].wire_len, i == 17 ? 80 : i);
		assert_int_equal(m[i].len, i == 17 ? 64 : i);
		assert_int_equal(m[i].truncated, i == 17);
		assert_memory_equal(bufs[i], want, m[i].len);
		assert_true(m[i].rx_ns != 0);
	}
	assert_int_equal(vx_udp_recv_batch(srv, m, 1), -EAGAIN);
	vx_udp_close(cli);
	vx_udp_close(srv);
}

static void test_udp_idle_socket_times_out_and_says_eagain(void **state)
{
	struct vx_udp *u = open_ok("127.0.0.1:0", NULL);
	uint8_t in[8];
	struct vx_udp_msg m = { .buf = in, .cap = sizeof(in) };

	(void)state;
	assert_int_equal(vx_udp_wait(u, 0), 0);
	assert_int_equal(vx_udp_wait(u, 1), 0);
	assert_int_equal(vx_udp_recv(u, &m), -EAGAIN);
	assert_int_equal(vx_udp_recv_batch(u, &m, 1), -EAGAIN);
	vx_udp_close(u);
}

/* One case per error exit of open, and the argument checks of the I/O calls. */
static void test_udp_errors_are_negative_errno(void **state)
{
	struct vx_udp *u = NULL, *v;
	char addr[VX_UDP_ADDR_STRLEN];
	struct vx_udp_addr a;
	uint8_t in[8];
	struct vx_udp_msg m = { .buf = in, .cap = sizeof(in) };

	(void)state;
	assert_int_equal(vx_udp_open(&u, NULL, NULL), -EINVAL);
	assert_int_equal(vx_udp_open(&u, "127.0.0.1:x", NULL), -EINVAL);
	assert_int_equal(vx_udp_open(&u, NULL, "nohost"), -EINVAL);
	assert_int_equal(vx_udp_open(&u, "127.0.0.1:0", "[::1]:9"), -EAFNOSUPPORT);
	assert_int_equal(vx_udp_open(&u, "[::1]:0", "127.0.0.1:9"), -ENETUNREACH);
	v = open_ok("127.0.0.1:0", NULL);
	local_text(v, addr);
	assert_int_equal(vx_udp_open(&u, addr, NULL), -EADDRINUSE);
	assert_null(u);

	assert_int_equal(vx_udp_send(v, "x", 1), -EDESTADDRREQ);
	assert_int_equal(vx_udp_recv_batch(v, &m, 0), -EINVAL);
	assert_int_equal(vx_udp_recv_batch(v, &m, VX_UDP_BATCH_MAX + 1), -EINVAL);
	assert_int_equal(vx_udp_addr_parse(&a, "[::1]:9", false), 0);
	assert_int_equal(vx_udp_sendto(v, "x", 1, &a), -EAFNOSUPPORT);
	assert_int_equal(vx_udp_connect(v, &a), -EAFNOSUPPORT);
	vx_udp_close(v);
	vx_udp_close(NULL);
}

/* Once open, the real-time calls allocate nothing. */
static void test_udp_io_allocates_nothing(void **state)
{
	struct vx_udp *srv = open_ok("127.0.0.1:0", NULL), *cli;
	char addr[VX_UDP_ADDR_STRLEN];
	uint8_t bufs[4][32];
	struct vx_udp_msg m[4];

	(void)state;
	allocs = 0;
	local_text(srv, addr);
	cli = open_ok(NULL, addr);

	allocs_armed = true;
	for (int i = 0; i < 100; i++) {
		for (int k = 0; k < 4; k++)
			m[k] = (struct vx_udp_msg){ .buf = bufs[k], .cap = sizeof(bufs[k]) };
		assert_int_equal(vx_udp_send(cli, "ping", 4), 4);
		assert_int_equal(vx_udp_wait(srv, LIVENESS_MS), 1);
		if (i % 2)
			assert_int_equal(vx_udp_recv(srv, &m[0]), 4);
		else
			assert_int_equal(vx_udp_recv_batch(srv, m, 4), 1);
		assert_int_equal(vx_udp_sendto(srv, "pong", 4, &m[0].from), 4);
		assert_int_equal(vx_udp_wait(cli, LIVENESS_MS), 1);
		assert_int_equal(vx_udp_recv(cli, &m[1]), 4);
	}
	allocs_armed = false;
	assert_int_equal(allocs, 0);
	vx_udp_close(cli);
	vx_udp_close(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_addr_parse_table),
		cmocka_unit_test(test_udp_addr_resolves_localhost),
		cmocka_unit_test(test_udp_addr_format_needs_room),
		cmocka_unit_test(test_udp_ephemeral_port_is_reported),
		cmocka_unit_test(test_udp_ipv4_exchanges_exact_bytes_with_timestamps),
		cmocka_unit_test(test_udp_ipv6_exchanges_exact_bytes_with_timestamps),
		cmocka_unit_test(test_udp_dual_stack_socket_talks_to_ipv4),
		cmocka_unit_test(test_udp_ipv4_is_marked_ef),
		cmocka_unit_test(test_udp_ipv6_is_marked_ef),
		cmocka_unit_test(test_udp_ipv4_refused_peer_is_reported),
		cmocka_unit_test(test_udp_ipv6_refused_peer_is_reported),
		cmocka_unit_test(test_udp_truncated_datagram_is_detected),
		cmocka_unit_test(test_udp_batch_receives_in_order_and_flags_truncation),
		cmocka_unit_test(test_udp_idle_socket_times_out_and_says_eagain),
		cmocka_unit_test(test_udp_errors_are_negative_errno),
		cmocka_unit_test(test_udp_io_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
