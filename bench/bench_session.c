// SPDX-License-Identifier: MIT
/*
 * The secure session's two costs: a handshake, and sealing plus opening one
 * transport message, each beside the primitive it is built on.
 *
 *   handshake/ik          one rekey between two in-memory sessions: initiation,
 *                         response, keepalive (seal + open), on a virtual clock
 *                         that jumps 121 s per handshake; 10 X25519 operations
 *                         (2 key generations, 8 DH) and the BLAKE2b/HKDF chain.
 *   baseline/x25519       one crypto_scalarmult(): the handshake's unit of work;
 *                         the ratio handshake / x25519 is printed after the table.
 *   transport/160B        vx_session_seal() then vx_session_open() of a 160-byte
 *                         payload (a 20 ms Opus frame at 64 kbit/s).
 *   baseline/aead/161B    libsodium's ChaCha20-Poly1305 IETF encrypt + decrypt of
 *                         the same inner packet (kind byte + 160), 16-byte AD:
 *                         the ratio session / raw AEAD is printed after the table
 *                         (on stderr, so --json output stays JSON lines).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench/harness.h"
#include "transport/session.h"

#define SEC 1000000000ull

struct ctx {
	struct vx_noise_keypair ka, kb;
	struct vx_session *a, *b;
	uint64_t now;
	uint8_t payload[160];
	uint8_t wire[VX_SESSION_MAX_PACKET], out[VX_SESSION_MAX_PACKET];
	uint8_t key[32], nonce[12];
};

static void fail(const char *what)
{
	fprintf(stderr, "bench_session: %s failed\n", what);
	exit(1);
}

static void pump(struct ctx *c, struct vx_session *from, struct vx_session *to)
{
	enum vx_session_kind kind;
	ssize_t n;

	while ((n = vx_session_poll(from, c->now, c->wire, sizeof(c->wire))) > 0)
		if (vx_session_open(to, c->now, c->wire, (size_t)n, &kind, c->out,
				    sizeof(c->out)) < 0)
			fail("open");
}

static void handshake(void *p, uint64_t ops)
{
	struct ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		c->now += 121 * SEC; /* past rekey_after: poll starts a handshake */
		pump(c, c->a, c->b);
		pump(c, c->b, c->a);
		pump(c, c->a, c->b);
	}
	if (!vx_session_is_established(c->b, c->now))
		fail("handshake");
}

static void x25519(void *p, uint64_t ops)
{
	struct ctx *c = p;
	uint8_t q[32] = { 0 };

	for (uint64_t i = 0; i < ops; i++) {
		if (crypto_scalarmult(q, c->ka.priv, c->kb.pub) != 0)
			fail("x25519");
		c->ka.priv[0] ^= q[0]; /* a dependency chain: no work is skipped */
	}
	vx_bench_keep(q[0]);
}

static void transport(void *p, uint64_t ops)
{
	struct ctx *c = p;
	enum vx_session_kind kind;

	for (uint64_t i = 0; i < ops; i++) {
		ssize_t n = vx_session_seal(c->a, c->now, VX_SESSION_RTP, c->payload,
					    sizeof(c->payload), c->wire, sizeof(c->wire));

		if (n < 0 || vx_session_open(c->b, c->now, c->wire, (size_t)n, &kind, c->out,
					     sizeof(c->out)) != (ssize_t)sizeof(c->payload))
			fail("transport");
	}
}

static void aead(void *p, uint64_t ops)
{
	struct ctx *c = p;
	uint8_t pt[161], ad[16] = { 4 };
	unsigned long long n;

	memcpy(pt + 1, c->payload, sizeof(c->payload));
	for (uint64_t i = 0; i < ops; i++) {
		memcpy(c->nonce + 4, &i, sizeof(i));
		crypto_aead_chacha20poly1305_ietf_encrypt(c->wire, &n, pt, sizeof(pt), ad,
							  sizeof(ad), NULL, c->nonce, c->key);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(c->out, NULL, NULL, c->wire, n, ad,
							      sizeof(ad), c->nonce, c->key))
			fail("aead");
	}
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "session");
	struct vx_session_config cfg;
	static struct ctx c;
	uint64_t hs_ops = vx_bench_quick(b) ? 20 : 200, tr_ops = vx_bench_quick(b) ? 10000 : 200000;
	double hs, x, tr, raw;
	int rc;

	if (vx_noise_keypair_generate(&c.ka) < 0 || vx_noise_keypair_generate(&c.kb) < 0)
		fail("keys");
	vx_session_config_default(&cfg);
	cfg.local = &c.ka;
	cfg.peer_public = c.kb.pub;
	cfg.initiator = true;
	if (vx_session_create(&c.a, &cfg) < 0)
		fail("create");
	cfg.local = &c.kb;
	cfg.peer_public = c.ka.pub;
	cfg.initiator = false;
	if (vx_session_create(&c.b, &cfg) < 0)
		fail("create");
	c.now = SEC;
	pump(&c, c.a, c.b);
	pump(&c, c.b, c.a);
	pump(&c, c.a, c.b);
	randombytes_buf(c.key, sizeof(c.key));
	randombytes_buf(c.payload, sizeof(c.payload));

	x = vx_bench_run(b, &(struct vx_bench_case){ .name = "baseline/x25519", .run = x25519,
						      .ctx = &c, .ops = hs_ops * 10 });
	hs = vx_bench_run(b, &(struct vx_bench_case){ .name = "handshake/ik", .run = handshake,
						       .ctx = &c, .ops = hs_ops });
	raw = vx_bench_run(b, &(struct vx_bench_case){ .name = "baseline/aead/161B", .run = aead,
							.ctx = &c, .ops = tr_ops });
	tr = vx_bench_run(b, &(struct vx_bench_case){ .name = "transport/160B", .run = transport,
						       .ctx = &c, .ops = tr_ops });
	rc = vx_bench_finish(b);
	fflush(stdout);
	if (hs > 0 && x > 0)
		fprintf(stderr, "# handshake/ik = %.1f x baseline/x25519 (%.0f us each)\n", hs / x,
			hs / 1000);
	if (tr > 0 && raw > 0)
		fprintf(stderr, "# transport/160B = %.2f x baseline/aead/161B (%.0f vs %.0f ns)\n",
			tr / raw, tr, raw);
	vx_session_destroy(c.a);
	vx_session_destroy(c.b);
	return rc;
}
