// SPDX-License-Identifier: MIT
/*
 * UDP endpoint: one non-blocking socket plus the buffers a batch receive needs,
 * allocated at open so that receiving allocates nothing.
 */
#include "transport/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room for one SCM_TIMESTAMPNS; CMSG_SPACE keeps every row aligned. */
#define CONTROL_LEN CMSG_SPACE(sizeof(struct timespec))

struct vx_udp {
	int fd;
	struct vx_udp_info info;
	struct mmsghdr hdr[VX_UDP_BATCH_MAX];
	struct iovec iov[VX_UDP_BATCH_MAX];
	alignas(struct cmsghdr) char control[VX_UDP_BATCH_MAX][CONTROL_LEN];
};

/* --- addresses ----------------------------------------------------------------------- */

static int gai_errno(int rc)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	case EAI_FAIL:
		return -EIO;
	default:
		return -EINVAL;
	}
}

/* A port is 1 to 5 decimal digits, at most 65535. */
static int parse_port(const char *s, char *out)
{
	size_t n = strlen(s);
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	snprintf(out, 6, "%lu", v);
	return 0;
}

int vx_udp_addr_parse(struct vx_udp_addr *a, const char *s, bool passive)
{
	char host[256], port[6];
	const char *port_text;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_UDP,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res;
	int rc;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host) ||
		    close == s + 1)
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		port_text = close + 2;
		hints.ai_family = AF_INET6;
		hints.ai_flags |= AI_NUMERICHOST;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon) {
			if (!passive)
				return -EINVAL;
			port_text = s; /* a bare port */
			host[0] = '\0';
		} else {
			/* Two colons without brackets: an IPv6 address whose port
			 * cannot be told apart. */
			if (memchr(s, ':', (size_t)(colon - s)) ||
			    (size_t)(colon - s) >= sizeof(host))
				return -EINVAL;
			memcpy(host, s, (size_t)(colon - s));
			host[colon - s] = '\0';
			port_text = colon + 1;
		}
		if (!host[0]) {
			if (!passive)
				return -EINVAL;
			strcpy(host, "0.0.0.0");
		}
	}
	if (parse_port(port_text, port) < 0)
		return -EINVAL;
	if (passive)
		hints.ai_flags |= AI_PASSIVE;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return gai_errno(rc);
	if (res->ai_addrlen > sizeof(a->ss)) {
		freeaddrinfo(res);
		return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int vx_udp_addr_format(const struct vx_udp_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		n = snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		if (in6->sin6_scope_id)
			n = snprintf(buf, len, "[%s%%%u]:%u", ip, in6->sin6_scope_id,
				     ntohs(in6->sin6_port));
		else
			n = snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		return -EAFNOSUPPORT;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

uint16_t vx_udp_addr_port(const struct vx_udp_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

/* An IPv4 peer of an IPv6 socket becomes ::ffff:a.b.c.d. */
static int peer_for(const struct vx_udp *u, const struct vx_udp_addr *peer,
		    struct vx_udp_addr *out)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&peer->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->ss;

	if (peer->ss.ss_family == u->info.family) {
		*out = *peer;
		return 0;
	}
	if (u->info.family != AF_INET6 || peer->ss.ss_family != AF_INET)
		return -EAFNOSUPPORT;
	memset(out, 0, sizeof(*out));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = in->sin_port;
	in6->sin6_addr.s6_addr[10] = 0xff;
	in6->sin6_addr.s6_addr[11] = 0xff;
	memcpy(&in6->sin6_addr.s6_addr[12], &in->sin_addr, 4);
	out->len = sizeof(*in6);
	return 0;
}

/* --- endpoint -------------------------------------------------------------------------- */

int vx_udp_set_tos(struct vx_udp *u, uint8_t tos)
{
	int v = tos, ret = 0;

	if (u->info.family == AF_INET6) {
		if (setsockopt(u->fd, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v)) < 0)
			ret = -errno;
		/* Also for IPv4 traffic of a dual-stack socket; an IPv6-only
		 * socket may refuse, which is no loss. */
		(void)setsockopt(u->fd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	} else if (setsockopt(u->fd, IPPROTO_IP, IP_TOS, &v, sizeof(v)) < 0) {
		ret = -errno;
	}
	u->info.ef_err = ret;
	return ret;
}

int vx_udp_connect(struct vx_udp *u, const struct vx_udp_addr *peer)
{
	struct vx_udp_addr to;
	int ret = peer_for(u, peer, &to);

	if (ret < 0)
		return ret;
	if (connect(u->fd, (const struct sockaddr *)&to.ss, to.len) < 0)
		return -errno;
	u->info.connected = true;
	return 0;
}

static void wildcard(struct vx_udp_addr *a, int family)
{
	memset(a, 0, sizeof(*a));
	a->ss.ss_family = (sa_family_t)family;
	a->len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	/* The wildcard address and port 0 are all zero bytes. */
}

int vx_udp_open(struct vx_udp **out, const char *local, const char *peer)
{
	struct vx_udp_addr la, pa;
	struct vx_udp *u;
	int one = 1, ret;

	if (!local && !peer)
		return -EINVAL;
	if (peer) {
		ret = vx_udp_addr_parse(&pa, peer, false);
		if (ret < 0)
			return ret;
	}
	if (local) {
		ret = vx_udp_addr_parse(&la, local, true);
		if (ret < 0)
			return ret;
	} else {
		wildcard(&la, pa.ss.ss_family);
	}

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->info.family = la.ss.ss_family;
	u->fd = socket(u->info.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (u->fd < 0) {
		ret = -errno;
		goto err_free;
	}
	/* Best effort, both: recorded in info, never fatal. */
	(void)vx_udp_set_tos(u, VX_UDP_TOS_EF);
	if (setsockopt(u->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
		u->info.ts_err = -errno;

	if (bind(u->fd, (const struct sockaddr *)&la.ss, la.len) < 0) {
		ret = -errno;
		goto err_close;
	}
	if (peer) {
		ret = vx_udp_connect(u, &pa);
		if (ret < 0)
			goto err_close;
	}
	u->info.local.len = sizeof(u->info.local.ss);
	if (getsockname(u->fd, (struct sockaddr *)&u->info.local.ss, &u->info.local.len) < 0) {
		ret = -errno;
		goto err_close;
	}
	*out = u;
	return 0;

err_close:
	close(u->fd);
err_free:
	free(u);
	return ret;
}

void vx_udp_close(struct vx_udp *u)
{
	if (!u)
		return;
	close(u->fd);
	free(u);
}

void vx_udp_info(const struct vx_udp *u, struct vx_udp_info *info)
{
	*info = u->info;
}

int vx_udp_fd(const struct vx_udp *u)
{
	return u->fd;
}

/* --- I/O ----------------------------------------------------------------------------- */

ssize_t vx_udp_send(struct vx_udp *u, const void *buf, size_t len)
{
	ssize_t n = send(u->fd, buf, len, MSG_DONTWAIT);

	return n < 0 ? -errno : n;
}

ssize_t vx_udp_sendto(struct vx_udp *u, const void *buf, size_t len,
		      const struct vx_udp_addr *to)
{
	struct vx_udp_addr dst;
	int ret = peer_for(u, to, &dst);
	ssize_t n;

	if (ret < 0)
		return ret;
	n = sendto(u->fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&dst.ss, dst.len);
	return n < 0 ? -errno : n;
}

int vx_udp_wait(struct vx_udp *u, int timeout_ms)
{
	struct pollfd p = { .fd = u->fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n > 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void prepare(struct vx_udp *u, struct vx_udp_msg *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &u->hdr[i].msg_hdr;

		u->iov[i].iov_base = m[i].buf;
		u->iov[i].iov_len = m[i].cap;
		h->msg_name = &m[i].from.ss;
		h->msg_namelen = sizeof(m[i].from.ss);
		h->msg_iov = &u->iov[i];
		h->msg_iovlen = 1;
		h->msg_control = u->control[i];
		h->msg_controllen = sizeof(u->control[i]);
		h->msg_flags = 0;
	}
}

/* Fill @m from what recvmsg left in @h; @wire is the datagram's full length.
 * rx_ns stays 0 without a kernel timestamp. */
static void finish(struct vx_udp_msg *m, struct msghdr *h, size_t wire)
{
	struct cmsghdr *c;

	m->wire_len = wire;
	m->len = wire < m->cap ? wire : m->cap;
	m->truncated = h->msg_flags & MSG_TRUNC;
	m->from.len = h->msg_namelen;
	m->kernel_ts = false;
	m->rx_ns = 0;
	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			m->rx_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			m->kernel_ts = true;
		}
}

ssize_t vx_udp_recv(struct vx_udp *u, struct vx_udp_msg *m)
{
	struct msghdr *h = &u->hdr[0].msg_hdr;
	ssize_t n;

	prepare(u, m, 1);
	/* MSG_TRUNC: return the datagram's real length, not what fitted. */
	n = recvmsg(u->fd, h, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -errno;
	finish(m, h, (size_t)n);
	if (!m->kernel_ts)
		m->rx_ns = realtime_ns();
	return m->truncated ? -EMSGSIZE : (ssize_t)m->len;
}

int vx_udp_recv_batch(struct vx_udp *u, struct vx_udp_msg *m, unsigned n)
{
	uint64_t now = 0;
	int got;

	if (n == 0 || n > VX_UDP_BATCH_MAX)
		return -EINVAL;
	prepare(u, m, n);
	got = recvmmsg(u->fd, u->hdr, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (got < 0)
		return -errno;
	for (int i = 0; i < got; i++) {
		finish(&m[i], &u->hdr[i].msg_hdr, u->hdr[i].msg_len);
		if (!m[i].kernel_ts) {
			if (!now)
				now = realtime_ns();
			m[i].rx_ns = now;
		}
	}
	return got;
}
