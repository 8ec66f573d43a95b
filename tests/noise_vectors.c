// SPDX-License-Identifier: MIT
/*
 * Runs every vector of a Noise test-vector file (the JSON format of cacophony,
 * snow and noise-c: protocol_name, init_/resp_ prologue, static, ephemeral,
 * remote_static, psks, handshake_hash, messages) through transport/noise.
 * Usage: noise_vectors FILE
 *
 * Per vector: the initiator and the responder are built from the vector's keys;
 * the handshake messages alternate, the initiator first; every message written
 * must equal the vector's ciphertext byte for byte and read back to its payload,
 * and both handshake hashes must equal handshake_hash (when the file gives one:
 * snow's and noise-c's do not) and each other. The messages that follow
 * the handshake are transport messages under Split()'s ciphers, continuing the
 * alternation (message i goes initiator to responder when i is even), except
 * after a one-way pattern, where all go initiator to responder.
 *
 * Prints one line per vector ("ok NAME", "FAIL NAME: why", "skip NAME: why" for a
 * protocol this module does not implement, such as another suite) and a closing
 * line "N passed, N failed" (", N skipped" when any were). Exit status 0 only if
 * none failed and at least one passed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "transport/noise.h"

#define MAX_BYTES (VX_NOISE_MAX_MESSAGE + 1)

/* Why a vector failed; the first reason wins. */
struct verdict {
	char why[160];
};

static void fail(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex into @out; returns the byte count or -1 (bad hex, too long). */
static long unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* A hex field of exactly @len bytes; absent is fine (returns 0), else 1 or -1. */
static int field_fixed(json_t *vec, const char *key, uint8_t *out, size_t len,
		       struct verdict *v)
{
	json_t *f = json_object_get(vec, key);

	if (!f)
		return 0;
	if (!json_is_string(f) || unhex(json_string_value(f), out, len) != (long)len) {
		fail(v, "%s is not %zu bytes of hex", key, len);
		return -1;
	}
	return 1;
}

struct side {
	struct vx_noise_keypair s, e;
	uint8_t rs[VX_NOISE_DH_BYTES], re[VX_NOISE_DH_BYTES];
	uint8_t psks[VX_NOISE_MAX_PSKS][VX_NOISE_KEY_BYTES];
	uint8_t prologue[1024];
	struct vx_noise_config cfg;
	struct vx_noise_handshake *hs;
	struct vx_noise_cipher send, recv;
};

/* One party's configuration from the fields prefixed @who ("init" or "resp"). */
static int load_side(json_t *vec, const char *who, bool initiator, const char *name,
		     struct side *sd, struct verdict *v)
{
	uint8_t priv[VX_NOISE_KEY_BYTES];
	char key[64];
	json_t *f;
	int r;

	memset(sd, 0, sizeof(*sd));
	sd->cfg.protocol = name;
	sd->cfg.initiator = initiator;

	snprintf(key, sizeof(key), "%s_prologue", who);
	f = json_object_get(vec, key);
	if (f) {
		long n = json_is_string(f) ? unhex(json_string_value(f), sd->prologue,
						   sizeof(sd->prologue)) : -1;

		if (n < 0) {
			fail(v, "%s is not hex", key);
			return -1;
		}
		sd->cfg.prologue = sd->prologue;
		sd->cfg.prologue_len = (size_t)n;
	}

	snprintf(key, sizeof(key), "%s_static", who);
	if ((r = field_fixed(vec, key, priv, sizeof(priv), v)) < 0)
		return -1;
	if (r) {
		if (vx_noise_keypair_from_private(&sd->s, priv) < 0) {
			fail(v, "%s: bad private key", key);
			return -1;
		}
		sd->cfg.s = &sd->s;
	}
	snprintf(key, sizeof(key), "%s_ephemeral", who);
	if ((r = field_fixed(vec, key, priv, sizeof(priv), v)) < 0)
		return -1;
	if (r) {
		if (vx_noise_keypair_from_private(&sd->e, priv) < 0) {
			fail(v, "%s: bad private key", key);
			return -1;
		}
		sd->cfg.e = &sd->e;
	}
	snprintf(key, sizeof(key), "%s_remote_static", who);
	if ((r = field_fixed(vec, key, sd->rs, sizeof(sd->rs), v)) < 0)
		return -1;
	if (r)
		sd->cfg.rs = sd->rs;
	snprintf(key, sizeof(key), "%s_remote_ephemeral", who);
	if ((r = field_fixed(vec, key, sd->re, sizeof(sd->re), v)) < 0)
		return -1;
	if (r)
		sd->cfg.re = sd->re;

	snprintf(key, sizeof(key), "%s_psks", who);
	f = json_object_get(vec, key);
	if (f) {
		size_t i;
		json_t *p;

		if (!json_is_array(f) || json_array_size(f) > VX_NOISE_MAX_PSKS) {
			fail(v, "%s is not an array of at most %d keys", key, VX_NOISE_MAX_PSKS);
			return -1;
		}
		json_array_foreach(f, i, p) {
			if (!json_is_string(p) ||
			    unhex(json_string_value(p), sd->psks[i], VX_NOISE_KEY_BYTES) !=
				    VX_NOISE_KEY_BYTES) {
				fail(v, "%s[%zu] is not 32 bytes of hex", key, i);
				return -1;
			}
		}
		sd->cfg.psks = (const uint8_t(*)[VX_NOISE_KEY_BYTES])sd->psks;
		sd->cfg.psk_count = json_array_size(f);
	}

	r = vx_noise_handshake_create(&sd->hs, &sd->cfg);
	if (r < 0) {
		fail(v, "%s: vx_noise_handshake_create: %s", who, strerror(-r));
		return -1;
	}
	return 0;
}

struct bufs {
	uint8_t payload[MAX_BYTES], want[MAX_BYTES], got[MAX_BYTES], back[MAX_BYTES];
};

/* Message @i: write or seal on @from, compare, read or open on @to, compare. */
static void run_message(json_t *m, size_t i, struct side *from, struct side *to,
			struct bufs *b, struct verdict *v)
{
	json_t *jp = json_object_get(m, "payload"), *jc = json_object_get(m, "ciphertext");
	long plen, clen;
	ssize_t n, back;
	bool handshake = !vx_noise_handshake_is_complete(from->hs);

	plen = json_is_string(jp) ? unhex(json_string_value(jp), b->payload, MAX_BYTES) : -1;
	clen = json_is_string(jc) ? unhex(json_string_value(jc), b->want, MAX_BYTES) : -1;
	if (plen < 0 || clen < 0) {
		fail(v, "message %zu: payload or ciphertext is not hex", i);
		return;
	}
	if (handshake)
		n = vx_noise_write_message(from->hs, b->payload, (size_t)plen, b->got, MAX_BYTES);
	else
		n = vx_noise_cipher_encrypt(&from->send, NULL, 0, b->payload, (size_t)plen,
					    b->got, MAX_BYTES);
	if (n < 0) {
		fail(v, "message %zu: %s: %s", i, handshake ? "write" : "encrypt",
		     strerror((int)-n));
		return;
	}
	if (n != clen || memcmp(b->got, b->want, (size_t)n) != 0) {
		fail(v, "message %zu: ciphertext differs", i);
		return;
	}
	if (handshake)
		back = vx_noise_read_message(to->hs, b->want, (size_t)clen, b->back, MAX_BYTES);
	else
		back = vx_noise_cipher_decrypt(&to->recv, NULL, 0, b->want, (size_t)clen,
					       b->back, MAX_BYTES);
	if (back < 0) {
		fail(v, "message %zu: %s: %s", i, handshake ? "read" : "decrypt",
		     strerror((int)-back));
		return;
	}
	if (back != plen || memcmp(b->back, b->payload, (size_t)plen) != 0)
		fail(v, "message %zu: payload read back differs", i);
}

/* Both complete: compare the hashes, then give each side its send/receive pair. */
static void finish_handshake(json_t *vec, struct side *init, struct side *resp,
			     struct verdict *v)
{
	uint8_t want[VX_NOISE_HASH_BYTES], hi[VX_NOISE_HASH_BYTES], hr[VX_NOISE_HASH_BYTES];
	int r;

	if (!vx_noise_handshake_is_complete(resp->hs)) {
		fail(v, "responder not complete with the initiator");
		return;
	}
	if (vx_noise_handshake_hash(init->hs, hi) < 0 || vx_noise_handshake_hash(resp->hs, hr) < 0)
		fail(v, "no handshake hash");
	else if (memcmp(hi, hr, sizeof(hi)) != 0)
		fail(v, "initiator and responder hashes differ");
	/* snow's and noise-c's files carry no handshake_hash; cacophony's do. */
	r = field_fixed(vec, "handshake_hash", want, sizeof(want), v);
	if (r > 0 && memcmp(hi, want, sizeof(want)) != 0)
		fail(v, "handshake hash differs");
	if (vx_noise_split(init->hs, &init->send, &init->recv) < 0 ||
	    vx_noise_split(resp->hs, &resp->recv, &resp->send) < 0)
		fail(v, "split failed");
}

static void run_vector(json_t *vec, const char *name, struct bufs *b, struct verdict *v)
{
	json_t *msgs = json_object_get(vec, "messages"), *m;
	struct vx_noise_info info;
	struct side *init = calloc(1, sizeof(*init)), *resp = calloc(1, sizeof(*resp));
	size_t i;

	if (!init || !resp) {
		fail(v, "out of memory");
		goto out;
	}
	if (vx_noise_protocol_parse(name, &info) < 0 || !json_is_array(msgs)) {
		fail(v, "no messages");
		goto out;
	}
	if (load_side(vec, "init", true, name, init, v) < 0 ||
	    load_side(vec, "resp", false, name, resp, v) < 0)
		goto out;

	json_array_foreach(msgs, i, m) {
		bool from_init = info.one_way || i % 2 == 0;

		if (!vx_noise_handshake_is_complete(init->hs) &&
		    vx_noise_handshake_is_my_turn(init->hs) != from_init) {
			fail(v, "message %zu: out of turn", i);
			break;
		}
		run_message(m, i, from_init ? init : resp, from_init ? resp : init, b, v);
		if (v->why[0])
			break;
		if (i + 1 == info.messages)
			finish_handshake(vec, init, resp, v);
		if (v->why[0])
			break;
	}
	if (!v->why[0] && json_array_size(msgs) < info.messages)
		fail(v, "only %zu messages for a %u-message handshake", json_array_size(msgs),
		     info.messages);
out:
	if (init) {
		vx_noise_handshake_destroy(init->hs);
		vx_noise_cipher_wipe(&init->send);
		vx_noise_cipher_wipe(&init->recv);
	}
	if (resp) {
		vx_noise_handshake_destroy(resp->hs);
		vx_noise_cipher_wipe(&resp->send);
		vx_noise_cipher_wipe(&resp->recv);
	}
	free(init);
	free(resp);
}

/* Reasons to skip rather than run: a protocol we do not implement, or a vector
 * of a kind this runner does not drive (fallback handshakes, expected failures). */
static const char *skip_reason(json_t *vec, const char *name)
{
	int r = vx_noise_protocol_parse(name, NULL);

	if (r == -ENOTSUP)
		return "protocol not implemented here (other suite, pattern or modifier)";
	if (r < 0)
		return NULL; /* malformed: run it, and let it fail */
	if (json_object_get(vec, "fallback") || json_object_get(vec, "fallback_pattern"))
		return "fallback vector";
	if (json_is_true(json_object_get(vec, "fail")))
		return "expected-failure vector";
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0, skipped = 0;
	json_error_t err;
	json_t *root, *vectors, *vec;
	struct bufs *b;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.json\n", argv[0]);
		return 2;
	}
	root = json_load_file(argv[1], 0, &err);
	if (!root) {
		fprintf(stderr, "noise_vectors: %s: %s (line %d)\n", argv[1], err.text, err.line);
		return 2;
	}
	vectors = json_is_array(root) ? root : json_object_get(root, "vectors");
	b = malloc(sizeof(*b));
	if (!json_is_array(vectors) || !b) {
		fprintf(stderr, "noise_vectors: %s: no \"vectors\" array\n", argv[1]);
		json_decref(root);
		free(b);
		return 2;
	}

	json_array_foreach(vectors, i, vec) {
		json_t *jn = json_object_get(vec, "protocol_name");
		const char *name = json_is_string(jn) ? json_string_value(jn) : "(unnamed)";
		struct verdict v = { { 0 } };
		const char *why = json_is_string(jn) ? skip_reason(vec, name) : NULL;

		if (why) {
			printf("skip %s: %s\n", name, why);
			skipped++;
			continue;
		}
		if (!json_is_string(jn))
			fail(&v, "vector %zu has no protocol_name", i);
		else
			run_vector(vec, name, b, &v);
		if (v.why[0]) {
			printf("FAIL %s: %s\n", name, v.why);
			failed++;
		} else {
			printf("ok   %s\n", name);
			passed++;
		}
	}
	if (skipped)
		printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	else
		printf("%u passed, %u failed\n", passed, failed);
	free(b);
	json_decref(root);
	return failed == 0 && passed > 0 ? 0 : 1;
}
