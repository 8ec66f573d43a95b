// SPDX-License-Identifier: MIT
/*
 * Fuzz the secure session's receive path with datagrams nobody can have sealed.
 * First byte: bits 0-1 pick the receiver,
 *   0  a responder that has seen nothing (initiation parsing, Bloom, Noise read);
 *   1  the responder of an established pair (transport open, replay window);
 *   2  an initiator waiting for its response (response parsing);
 *   3  the established responder again, but the rest of the input is XORed onto
 *      a genuine transport packet (or, with bit 2, the genuine initiation), so
 *      mutations reach the tag check and the replay window with valid headers;
 * the rest is the datagram. Nothing may crash, and nothing may be accepted:
 * every datagram must come back refused (and counted), except a mutation that
 * left the genuine packet intact, which may open once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/session.h"

static struct vx_session *fresh, *init_wait, *ea, *eb;
static struct vx_noise_keypair ka, kb;
static uint8_t genuine[VX_SESSION_MAX_PACKET], init_msg[VX_SESSION_INITIATION_BYTES];
static size_t genuine_len;
static uint64_t now = 1000000000;

static struct vx_session *make(const struct vx_noise_keypair *l, const uint8_t *peer, bool ini)
{
	struct vx_session_config cfg;
	struct vx_session *s;

	vx_session_config_default(&cfg);
	cfg.local = l;
	cfg.peer_public = peer;
	cfg.initiator = ini;
	if (vx_session_create(&s, &cfg) < 0)
		abort();
	return s;
}

static void pump(struct vx_session *from, struct vx_session *to)
{
	uint8_t buf[VX_SESSION_MAX_PACKET], out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	ssize_t n;

	while ((n = vx_session_poll(from, now, buf, sizeof(buf))) > 0)
		if (vx_session_open(to, now, buf, (size_t)n, &kind, out, sizeof(out)) < 0)
			abort();
}

static void setup(void)
{
	uint8_t buf[VX_SESSION_MAX_PACKET];
	ssize_t n;

	if (vx_noise_keypair_generate(&ka) < 0 || vx_noise_keypair_generate(&kb) < 0)
		abort();
	fresh = make(&kb, ka.pub, false);
	init_wait = make(&ka, kb.pub, true);
	if (vx_session_poll(init_wait, now, buf, sizeof(buf)) != VX_SESSION_INITIATION_BYTES)
		abort();
	ea = make(&ka, kb.pub, true);
	eb = make(&kb, ka.pub, false);
	if (vx_session_poll(ea, now, init_msg, sizeof(init_msg)) != VX_SESSION_INITIATION_BYTES)
		abort();
	{
		uint8_t out[VX_SESSION_MAX_PACKET];
		enum vx_session_kind kind;

		if (vx_session_open(eb, now, init_msg, sizeof(init_msg), &kind, out, sizeof(out)))
			abort();
	}
	pump(eb, ea);
	pump(ea, eb);
	n = vx_session_seal(ea, now, VX_SESSION_RTP, "genuine", 7, genuine, sizeof(genuine));
	if (n < 0)
		abort();
	genuine_len = (size_t)n;
}

/* The sessions live in libsodium's guarded pages, which LeakSanitizer does not
 * scan: the Bloom filters they point to would look leaked at exit. */
static void teardown(void)
{
	vx_session_destroy(fresh);
	vx_session_destroy(init_wait);
	vx_session_destroy(ea);
	vx_session_destroy(eb);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	atexit(teardown);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[VX_SESSION_MAX_PACKET + 256], out[VX_SESSION_MAX_PACKET + 256];
	enum vx_session_kind kind;
	struct vx_session *to;
	bool intact = false;
	size_t len;
	ssize_t n;

	if (!size)
		return 0;
	now += 1000; /* time moves, slowly: keys stay valid for the whole run */
	len = size - 1 < sizeof(buf) ? size - 1 : sizeof(buf);
	switch (data[0] & 3) {
	case 0: to = fresh; memcpy(buf, data + 1, len); break;
	case 1: to = eb; memcpy(buf, data + 1, len); break;
	case 2: to = init_wait; memcpy(buf, data + 1, len); break;
	default: {
		const uint8_t *base = data[0] & 4 ? init_msg : genuine;
		size_t blen = data[0] & 4 ? sizeof(init_msg) : genuine_len;

		to = eb;
		/* Lengths around the genuine one: truncations and extensions too. */
		len = blen - 8 + (data[0] >> 4);
		memset(buf, 0, len);
		memcpy(buf, base, len < blen ? len : blen);
		for (size_t i = 1; i < size && i - 1 < len; i++)
			buf[i - 1] ^= data[i];
		intact = len == blen && !memcmp(buf, base, blen);
		break;
	}
	}
	n = vx_session_open(to, now, buf, len, &kind, out, sizeof(out));
	if (n >= 0 && !intact)
		abort(); /* accepted something nobody sealed */
	/* Whatever came in, a handshake answer must not leak out of a refusal. */
	if (n < 0 && vx_session_poll(to, now, out, sizeof(out)) > 0 && to != init_wait)
		abort();
	return 0;
}
