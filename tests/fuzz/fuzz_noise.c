// SPDX-License-Identifier: MIT
/*
 * Fuzz target for transport/noise: the bytes an attacker controls are handshake
 * messages and transport ciphertexts. The first byte picks the case:
 *   bit 7 set:   cipher open (explicit nonce: the next 8 bytes) and decrypt
 *                (implicit counter); bit 0 set feeds a genuine ciphertext XORed
 *                with the rest, else the rest as the ciphertext itself;
 *   bit 7 clear: a handshake (IK, XX, NK, NNpsk0, X1K1 with fixed keys) brought
 *                to a state by genuine messages (step = how many), then one party
 *                reads the fuzzer's message (raw, or the genuine next message
 *                XORed with the fuzzer's bytes: second byte's bit 0).
 * Properties: nothing crashes; nothing but the genuine bytes is accepted where
 * the message is authenticated (forging a Poly1305 tag has chance 2^-106 or so);
 * a read out of turn is -EINVAL; and a refused message changes nothing: the
 * genuine message, read next, still works and yields its payload.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "transport/noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SUITE "_25519_ChaChaPoly_BLAKE2b"
#define MAXMSG 2048

static const struct proto {
	const char *name;
	bool init_rs, resp_rs;  /* pre-message statics */
	unsigned messages;
	unsigned open_msgs;     /* bit m: message m is not authenticated (plain "e") */
} protos[] = {
	{ "Noise_IK" SUITE, true, false, 2, 0 },
	{ "Noise_XX" SUITE, false, false, 3, 1u << 0 },
	{ "Noise_NK" SUITE, true, false, 2, 0 },
	{ "Noise_NNpsk0" SUITE, false, false, 2, 0 },
	{ "Noise_X1K1" SUITE, true, false, 4, 1u << 0 },
};
#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

static struct vx_noise_keypair si, sr, ei, er;
static uint8_t psk[1][VX_NOISE_KEY_BYTES];

static void keys_once(void)
{
	static bool done;
	uint8_t priv[VX_NOISE_KEY_BYTES];

	if (done)
		return;
	for (int i = 0; i < 4; i++) {
		struct vx_noise_keypair *kp[] = { &si, &sr, &ei, &er };

		memset(priv, 0x11 * (i + 1), sizeof(priv));
		CHECK(vx_noise_keypair_from_private(kp[i], priv) == 0);
	}
	memset(psk, 0x5a, sizeof(psk));
	done = true;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void fuzz_cipher(bool xor_mode, const uint8_t *p, size_t n)
{
	static uint8_t buf[MAXMSG + 16], ct[MAXMSG + 16], pt[MAXMSG];
	struct vx_noise_cipher cs;
	uint8_t key[VX_NOISE_KEY_BYTES];
	uint64_t nonce = 0;
	size_t len;
	ssize_t r;

	if (n < 8)
		return;
	for (int i = 0; i < 8; i++)
		nonce |= (uint64_t)p[i] << (8 * i);
	p += 8;
	n -= 8;
	if (n > MAXMSG)
		n = MAXMSG;
	memset(key, 0x42, sizeof(key));
	CHECK(vx_noise_cipher_init(&cs, key) == 0);

	if (!xor_mode) {
		r = vx_noise_cipher_open(&cs, nonce, "ad", 2, p, n, buf, sizeof(buf));
		CHECK(r == -EBADMSG || r == -EINVAL || r == -EOVERFLOW);
		vx_noise_cipher_set_nonce(&cs, nonce);
		r = vx_noise_cipher_decrypt(&cs, "ad", 2, p, n, buf, sizeof(buf));
		CHECK(r == -EBADMSG || r == -EINVAL || r == -EOVERFLOW);
		CHECK(cs.n == nonce);
		return;
	}
	/* A genuine message as long as the mask, the mask XORed in. */
	if (n < VX_NOISE_TAG_BYTES)
		return;
	len = n - VX_NOISE_TAG_BYTES;
	memset(pt, 0xa5, len);
	r = vx_noise_cipher_seal(&cs, nonce, "ad", 2, pt, len, ct, sizeof(ct));
	if (nonce == UINT64_MAX) {
		CHECK(r == -EOVERFLOW);
		return;
	}
	CHECK(r == (ssize_t)n);
	for (size_t i = 0; i < n; i++)
		ct[i] ^= p[i];
	r = vx_noise_cipher_open(&cs, nonce, "ad", 2, ct, n, buf, sizeof(buf));
	if (is_zero(p, n)) {
		CHECK(r == (ssize_t)len && memcmp(buf, pt, len) == 0);
	} else {
		CHECK(r == -EBADMSG);
	}
}

static struct vx_noise_handshake *make(const struct proto *pr, bool initiator)
{
	struct vx_noise_config cfg = {
		.protocol = pr->name, .initiator = initiator, .prologue = "fuzz", .prologue_len = 4,
		.s = initiator ? &si : &sr, .e = initiator ? &ei : &er,
	};
	struct vx_noise_handshake *hs;

	if (initiator && pr->init_rs)
		cfg.rs = sr.pub;
	if (!initiator && pr->resp_rs)
		cfg.rs = si.pub;
	if (strstr(pr->name, "psk")) {
		cfg.psks = (const uint8_t(*)[VX_NOISE_KEY_BYTES])psk;
		cfg.psk_count = 1;
	}
	CHECK(vx_noise_handshake_create(&hs, &cfg) == 0);
	return hs;
}

static void fuzz_handshake(uint8_t sel, bool xor_mode, const uint8_t *p, size_t n)
{
	static uint8_t msg[MAXMSG], fz[MAXMSG], back[MAXMSG];
	const struct proto *pr = &protos[sel % NPROTOS];
	bool target_init = (sel / NPROTOS) % 2;
	unsigned step = (sel / NPROTOS / 2) % (pr->messages + 1);
	struct vx_noise_handshake *hi = make(pr, true), *hr = make(pr, false);
	struct vx_noise_handshake *target = target_init ? hi : hr;
	struct vx_noise_handshake *other = target_init ? hr : hi;
	uint8_t payload[8] = "payload";
	ssize_t len, r;

	if (n > MAXMSG)
		n = MAXMSG;
	/* Bring both sides to the chosen state with genuine messages. */
	for (unsigned m = 0; m < step; m++) {
		struct vx_noise_handshake *w = m % 2 ? hr : hi, *rd = m % 2 ? hi : hr;

		len = vx_noise_write_message(w, payload, m + 1, msg, sizeof(msg));
		CHECK(len > 0);
		CHECK(vx_noise_read_message(rd, msg, (size_t)len, back, sizeof(back)) == m + 1);
	}

	if (vx_noise_handshake_is_complete(target) || vx_noise_handshake_is_my_turn(target)) {
		CHECK(vx_noise_read_message(target, p, n, back, sizeof(back)) == -EINVAL);
		goto out;
	}
	len = vx_noise_write_message(other, payload, step + 1, msg, sizeof(msg));
	CHECK(len > 0);
	if (xor_mode) {
		memcpy(fz, msg, (size_t)len);
		for (size_t i = 0; i < n && i < (size_t)len; i++)
			fz[i] ^= p[i];
		n = (size_t)len;
	} else {
		memcpy(fz, p, n);
	}
	r = vx_noise_read_message(target, fz, n, back, sizeof(back));
	if (n == (size_t)len && memcmp(fz, msg, n) == 0) {
		CHECK(r == (ssize_t)step + 1);
		goto out;
	}
	if (r >= 0) {
		/* Only an unauthenticated message (a bare "e") may be taken. */
		CHECK(pr->open_msgs & (1u << step));
		goto out;
	}
	CHECK(r == -EINVAL || r == -EBADMSG);
	/* Refused: nothing changed, so the genuine message still goes through. */
	CHECK(!vx_noise_handshake_is_my_turn(target));
	CHECK(vx_noise_read_message(target, msg, (size_t)len, back, sizeof(back)) ==
	      (ssize_t)step + 1);
	CHECK(memcmp(back, payload, step + 1) == 0);
out:
	vx_noise_handshake_destroy(hi);
	vx_noise_handshake_destroy(hr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	keys_once();
	if (data[0] & 0x80)
		fuzz_cipher(data[0] & 1, data + 1, size - 1);
	else
		fuzz_handshake(data[0], data[1] & 1, data + 2, size - 2);
	return 0;
}
