/* SPDX-License-Identifier: MIT */
#ifndef VX_TRANSPORT_UDP_H
#define VX_TRANSPORT_UDP_H

/*
 * A UDP endpoint for IPv4 and IPv6: one non-blocking socket, bound at open,
 * optionally connected to a peer, marked DSCP EF (expedited forwarding, RFC 3246:
 * what voice should get from routers that honour it), with kernel receive
 * timestamps.
 *
 * Addresses are text: "host:port" or "[v6addr]:port" (a bare "port" means the
 * IPv4 wildcard, "0.0.0.0:port"); port 0 binds an ephemeral port. Host names
 * resolve through getaddrinfo() at open (the first result of the socket's
 * family wins), so open and connect are not real-time safe; send, receive and
 * wait are, being I/O on the endpoint's own socket (plus clock_gettime(), a vDSO
 * call, when the kernel gives no timestamp).
 *
 * Best effort, and said so: failing to set EF or to enable timestamps is not an
 * error; vx_udp_info() reports it (an unprivileged container may refuse either).
 * Receive times are CLOCK_REALTIME (SO_TIMESTAMPNS: when the datagram reached
 * the socket); without them, the time the receive call returned, flagged.
 *
 * Errors are negative errno. A connected socket reports a peer that is not
 * listening (ICMP port unreachable) as -ECONNREFUSED from a later send or
 * receive; vx_udp_wait() wakes for it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define VX_UDP_ADDR_STRLEN 72     /* "[" IPv6 "%" scope id "]:65535" and a NUL */
#define VX_UDP_BATCH_MAX   64     /* messages per vx_udp_recv_batch() */
#define VX_UDP_TOS_EF      0xb8   /* DSCP 46 (EF) in the upper six bits of the TOS byte */

struct vx_udp_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* One received datagram. */
struct vx_udp_msg {
	void *buf;                /* in: where to store it */
	size_t cap;               /* in: its size in bytes */
	size_t len;               /* out: bytes stored, <= cap */
	size_t wire_len;          /* out: the datagram's length; > cap when truncated */
	bool truncated;           /* out: MSG_TRUNC: bytes beyond cap were lost */
	bool kernel_ts;           /* out: rx_ns came from the kernel */
	uint64_t rx_ns;           /* out: receive time, CLOCK_REALTIME ns */
	struct vx_udp_addr from;  /* out: the sender */
};

struct vx_udp_info {
	int family;               /* AF_INET or AF_INET6 */
	struct vx_udp_addr local; /* the bound address, with the actual port */
	bool connected;
	int ef_err;               /* 0 if EF marking is on, else the -errno setting it gave */
	int ts_err;               /* 0 if kernel timestamps are on, else -errno: user time */
};

struct vx_udp;

/**
 * vx_udp_addr_parse() - text to an address.
 * @a:       filled in.
 * @s:       "host:port", "[v6]:port" or "port".
 * @passive: for binding: an empty host ("" as in ":5004") is the IPv4 wildcard.
 *
 * Context: not real-time: may resolve a name (DNS).
 * Return: 0, -EINVAL for a malformed string or port, -ENOENT if the host has no
 * address, -EAGAIN if resolution failed for now, -ENOMEM.
 */
int vx_udp_addr_parse(struct vx_udp_addr *a, const char *s, bool passive)
	__attribute__((warn_unused_result));

/**
 * vx_udp_addr_format() - an address as text, "1.2.3.4:5" or "[::1]:5".
 * @a:   address.
 * @buf: output, VX_UDP_ADDR_STRLEN bytes suffice.
 * @len: its size.
 *
 * Context: real-time safe.
 * Return: 0, -EAFNOSUPPORT for a family other than IPv4/IPv6, -ENOSPC.
 */
int vx_udp_addr_format(const struct vx_udp_addr *a, char *buf, size_t len);

/** vx_udp_addr_port() - the port of an IPv4 or IPv6 address, host order; else 0. */
uint16_t vx_udp_addr_port(const struct vx_udp_addr *a);

/**
 * vx_udp_open() - open, bind and (optionally) connect an endpoint.
 * @out:   set to the endpoint on success.
 * @local: address to bind, or NULL for an ephemeral port on the wildcard of
 *         @peer's family.
 * @peer:  address to connect to, or NULL to stay unconnected (vx_udp_sendto()).
 *         An IPv4 peer of an IPv6 socket is reached as ::ffff:a.b.c.d.
 *
 * Context: not real-time: allocates (the batch buffers), may resolve names.
 * Return: 0; -EINVAL if both are NULL or an address is malformed; -EAFNOSUPPORT
 * for an IPv6 peer on an IPv4 socket; or the -errno of resolution, socket(),
 * bind() (-EADDRINUSE...) or connect().
 */
int vx_udp_open(struct vx_udp **out, const char *local, const char *peer)
	__attribute__((warn_unused_result));

/** vx_udp_close() - close the socket and free the endpoint; NULL is accepted. */
void vx_udp_close(struct vx_udp *u);

/** vx_udp_info() - what the endpoint is and which best-effort features it got. */
void vx_udp_info(const struct vx_udp *u, struct vx_udp_info *info);

/** vx_udp_fd() - the socket, for a caller's own poll set. Context: real-time safe. */
int vx_udp_fd(const struct vx_udp *u);

/**
 * vx_udp_connect() - (re)connect to a peer: sends go there and only its datagrams
 * are received.
 * @u:    endpoint.
 * @peer: address (an IPv4 one is mapped on an IPv6 socket).
 *
 * Context: not real-time.
 * Return: 0, -EAFNOSUPPORT, or connect()'s -errno.
 */
int vx_udp_connect(struct vx_udp *u, const struct vx_udp_addr *peer)
	__attribute__((warn_unused_result));

/**
 * vx_udp_set_tos() - set the traffic class byte (TOS/TCLASS): VX_UDP_TOS_EF at
 * open; 0 for best effort.
 * @u:   endpoint.
 * @tos: DSCP << 2 (ECN bits are the kernel's).
 *
 * Context: not real-time.
 * Return: 0 or setsockopt()'s -errno (also recorded as info.ef_err).
 */
int vx_udp_set_tos(struct vx_udp *u, uint8_t tos);

/**
 * vx_udp_send() - send one datagram to the connected peer.
 * @u:   connected endpoint.
 * @buf: bytes.
 * @len: their count.
 *
 * Context: real-time safe.
 * Return: @len, or -EAGAIN (socket buffer full: the datagram is not sent),
 * -ECONNREFUSED (the peer was not listening), -EMSGSIZE, -EDESTADDRREQ if not
 * connected, or another send()'s -errno.
 */
ssize_t vx_udp_send(struct vx_udp *u, const void *buf, size_t len);

/**
 * vx_udp_sendto() - send one datagram to @to (which overrides a connected peer
 * only on an unconnected socket: a connected one gives -EISCONN).
 *
 * Context: real-time safe.
 * Return: as vx_udp_send().
 */
ssize_t vx_udp_sendto(struct vx_udp *u, const void *buf, size_t len,
		      const struct vx_udp_addr *to);

/**
 * vx_udp_wait() - wait until a datagram (or an error such as a refused peer) can
 * be received.
 * @u:          endpoint.
 * @timeout_ms: 0 polls; -1 waits forever.
 *
 * Context: real-time safe (the receive thread's only blocking call).
 * Return: 1 if vx_udp_recv() has something to report, 0 on timeout, -EINTR if a
 * signal interrupted the wait (the caller checks its stop flag), or poll()'s -errno.
 */
int vx_udp_wait(struct vx_udp *u, int timeout_ms);

/**
 * vx_udp_recv() - receive one datagram without blocking.
 * @u: endpoint.
 * @m: buf and cap in; the rest out.
 *
 * Context: real-time safe.
 * Return: the bytes stored (0 for an empty datagram); -EMSGSIZE if the datagram
 * was longer than @m->cap (it is consumed; @m tells how long it was and holds its
 * first cap bytes); -EAGAIN if nothing is waiting; -ECONNREFUSED; or recvmsg()'s
 * -errno.
 */
ssize_t vx_udp_recv(struct vx_udp *u, struct vx_udp_msg *m);

/**
 * vx_udp_recv_batch() - receive up to @n datagrams in one system call (recvmmsg).
 * @u: endpoint.
 * @m: @n messages, buf and cap in; the rest out for the ones received.
 * @n: at most VX_UDP_BATCH_MAX.
 *
 * A truncated datagram is flagged in its message (truncated, wire_len), not
 * returned as an error.
 *
 * Context: real-time safe.
 * Return: the number received (>= 1), -EAGAIN if none was waiting, -EINVAL for a
 * bad @n, or -errno as vx_udp_recv().
 */
int vx_udp_recv_batch(struct vx_udp *u, struct vx_udp_msg *m, unsigned n);

#endif
