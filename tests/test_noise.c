// SPDX-License-Identifier: MIT
/*
 * Noise: HMAC/HKDF and the CipherState checked against independent computations
 * (Python's hmac over hashlib.blake2b for the known answers, RFC 2104 rebuilt
 * from crypto_generichash here, libsodium's AEAD called directly with hand-made
 * nonces), the protocol-name parser as a table, every pattern of the spec run
 * between our initiator and our responder, and the error paths of a handshake:
 * each failed read must leave the state as it was. The byte-exact comparison with
 * other implementations is tests/noise_vectors.c over the shared vector file.
 *
 * Linked with --wrap=malloc,... (see the Makefile) so a case can check that
 * sealing and opening allocate nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "algorithms/hash.h"
#include "transport/noise.h"
#include "tests/wrap_alloc.h"

/* ---- helpers ------------------------------------------------------------------------ */

#define SUITE "_25519_ChaChaPoly_BLAKE2b"

static void unhex(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(strlen(s), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void fill(uint8_t *p, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)vx_rand64(seed);
}

static void keypair(struct vx_noise_keypair *kp, uint64_t *seed)
{
	uint8_t priv[VX_NOISE_KEY_BYTES];

	fill(priv, sizeof(priv), seed);
	assert_int_equal(vx_noise_keypair_from_private(kp, priv), 0);
}

struct ik {
	struct vx_noise_keypair si, sr;
	struct vx_noise_handshake *init, *resp;
};

/* A fresh IK pair (the wire protocol of vox): the initiator knows sr.pub. */
static void ik_create(struct ik *p, uint64_t seed)
{
	struct vx_noise_config ci = { .protocol = "Noise_IK" SUITE, .initiator = true,
				      .prologue = "vox", .prologue_len = 3, .s = &p->si };
	struct vx_noise_config cr = { .protocol = "Noise_IK" SUITE, .prologue = "vox",
				      .prologue_len = 3, .s = &p->sr };

	keypair(&p->si, &seed);
	keypair(&p->sr, &seed);
	ci.rs = p->sr.pub;
	assert_int_equal(vx_noise_handshake_create(&p->init, &ci), 0);
	assert_int_equal(vx_noise_handshake_create(&p->resp, &cr), 0);
}

static void ik_destroy(struct ik *p)
{
	vx_noise_handshake_destroy(p->init);
	vx_noise_handshake_destroy(p->resp);
}

/* ---- HMAC and HKDF --------------------------------------------------------------- */

/* Known answers from Python: hmac.new(key, data, hashlib.blake2b). */
static void test_noise_hmac_matches_python_hmac_blake2b(void **state)
{
	static const uint8_t fox[64] =
		"\x04\xee\x74\x26\xde\xfe\x6a\x0b\x87\x3e\xbc\x0a\x47\xf3\x13\x91"
		"\x32\x4e\x13\x53\x4a\xae\xa6\x31\x56\x4f\xca\xc3\x65\x9e\x94\xfe"
		"\x6b\xd0\x75\x01\xe3\x90\x38\xdf\xa6\x3d\x01\x40\xc6\xb0\x3c\x2c"
		"\xb1\xbf\x71\x57\x64\xbc\x98\x07\x89\x44\x74\x14\x1d\x58\xf8\x1e";
	static const uint8_t long_key[64] =
		"\xa5\x4b\x29\x43\xb2\xa2\x02\x27\xd4\x1c\xa4\x6c\x09\x45\xaf\x09"
		"\xbc\x1f\xae\xfb\x2f\x49\x89\x4c\x23\xae\xbc\x55\x7f\xb7\x9c\x48"
		"\x89\xdc\xa7\x44\x08\xdc\x86\x50\x86\x66\x7a\xed\xee\x4a\x31\x85"
		"\xc5\x3a\x49\xc8\x0b\x81\x4c\x4c\x58\x13\xea\x0c\x8b\x38\xa8\xf8";
	static const char d1[] = "The quick brown fox jumps over the lazy dog";
	static const char d2[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	uint8_t key[131], out[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		key[i] = (uint8_t)i;
	vx_noise_hmac(key, 64, d1, strlen(d1), out);
	assert_memory_equal(out, fox, 64);

	memset(key, 0xaa, sizeof(key)); /* longer than BLOCKLEN: hashed first */
	vx_noise_hmac(key, sizeof(key), d2, strlen(d2), out);
	assert_memory_equal(out, long_key, 64);
}

/* RFC 2104 spelled out with one-shot BLAKE2b over concatenated buffers. */
static void rfc2104(const uint8_t *key, size_t klen, const uint8_t *d, size_t dlen, uint8_t *out)
{
	uint8_t k[128] = { 0 }, inner[64], *buf = malloc(128 + (dlen > 64 ? dlen : 64));

	assert_non_null(buf);
	if (klen > 128)
		crypto_generichash(k, 64, key, klen, NULL, 0);
	else
		memcpy(k, key, klen);
	for (int i = 0; i < 128; i++)
		buf[i] = k[i] ^ 0x36;
	memcpy(buf + 128, d, dlen);
	crypto_generichash(inner, 64, buf, 128 + dlen, NULL, 0);
	for (int i = 0; i < 128; i++)
		buf[i] = k[i] ^ 0x5c;
	memcpy(buf + 128, inner, 64);
	crypto_generichash(out, 64, buf, 128 + 64, NULL, 0);
	free(buf);
}

static void test_noise_hmac_matches_rfc2104_built_from_blake2b(void **state)
{
	static const size_t klens[] = { 0, 1, 32, 64, 127, 128, 129, 300 };
	static const size_t dlens[] = { 0, 1, 63, 64, 128, 1000 };
	uint8_t key[300], data[1000], want[64], got[64];
	uint64_t seed = 1;

	(void)state;
	fill(key, sizeof(key), &seed);
	fill(data, sizeof(data), &seed);
	for (size_t i = 0; i < sizeof(klens) / sizeof(klens[0]); i++)
		for (size_t j = 0; j < sizeof(dlens) / sizeof(dlens[0]); j++) {
			rfc2104(key, klens[i], data, dlens[j], want);
			vx_noise_hmac(key, klens[i], data, dlens[j], got);
			assert_memory_equal(got, want, 64);
		}
}

/* Known answers from Python: the spec's HKDF over hmac.new(..., hashlib.blake2b). */
static void test_noise_hkdf_matches_known_answers(void **state)
{
	static const uint8_t o1[64] =
		"\x53\xa2\x23\x34\xfb\x40\x2f\xe7\x57\x48\x0b\x95\x3f\x4e\xa7\x07"
		"\x7e\x9e\xa2\xdf\xb7\xf4\x25\x95\x79\x2c\x1b\x41\xc2\x10\xe7\x3c"
		"\xdd\x9f\x42\xa3\x41\x15\x40\xb5\x2a\x39\xf0\x93\x30\xf4\xc1\x77"
		"\xb6\xdd\x94\xf6\xa9\xd3\xa0\xf3\x4f\xd8\x3d\x3f\x13\xa4\xea\x31";
	static const uint8_t o2[64] =
		"\x21\x77\xd1\xf8\x7d\x50\xdb\xd7\x1a\xb6\xf9\x2a\xe2\xcb\x12\x8e"
		"\x9b\x14\xbe\x6c\xc9\x76\xb8\xef\x31\x00\xe8\xbb\x1a\x50\x59\x32"
		"\x4d\xd8\x54\xb9\xbf\xcf\xa2\xab\xe8\x70\xda\x90\x89\xd3\x23\x46"
		"\x9b\x70\xae\x63\xcf\x4a\xa8\x23\x6f\xbf\xb8\x3e\x9e\xb8\x9b\xcb";
	static const uint8_t o3[64] =
		"\xcf\xc5\xb8\x5a\xe7\xd6\x49\x09\x93\x56\x6c\x9b\x3b\x1e\x04\x14"
		"\x1d\x45\x05\xcc\x9d\xb3\xd8\x96\x17\xab\x10\xe3\x76\x15\xe8\x1f"
		"\xe2\xb8\x24\xd2\xc9\xf8\xbd\x08\x05\x37\xcc\x33\xeb\x43\xbd\x97"
		"\x85\x89\x50\xa7\x63\x51\xf7\xfe\x05\x16\x20\x92\x63\xef\x80\x0d";
	static const uint8_t e1[64] =
		"\x03\xbe\x09\x46\xaf\xb6\x2e\x33\xdc\xc2\xe8\xcb\x76\xdf\xad\x47"
		"\x66\x3d\x28\x4d\x81\xc0\xbd\xe9\x63\xf3\x2a\x28\x3d\xed\xe2\x21"
		"\xbe\x2b\x9e\x3a\x86\xfa\x82\x93\x42\x34\xd2\xa6\xed\x33\x1f\xb6"
		"\x64\xa3\xe6\x70\x25\x2b\x94\x54\xda\x9e\xd2\x56\x7b\x43\x5e\x11";
	static const uint8_t e2[64] =
		"\x84\x81\xb3\x85\x94\x0e\xa1\xdd\xc1\xe3\x72\x43\xd3\x4e\x6a\x00"
		"\xd9\xe3\x5f\xe8\x68\x44\xb7\x5b\xe2\xf9\xd0\x84\xef\xcb\xf4\xa9"
		"\xd1\x8c\x76\x46\x45\xba\xf5\x26\x27\x07\xef\xcb\x49\x0c\x9d\xdf"
		"\xcc\x81\xc7\x8f\xf7\x5e\x1e\x72\x74\x28\xf0\x5b\x9f\xee\x85\x7f";
	uint8_t ck[64], ikm[32], a[64], b[64], c[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		ck[i] = (uint8_t)i;
	for (int i = 0; i < 32; i++)
		ikm[i] = (uint8_t)(0x40 + i);
	vx_noise_hkdf(ck, ikm, sizeof(ikm), 3, a, b, c);
	assert_memory_equal(a, o1, 64);
	assert_memory_equal(b, o2, 64);
	assert_memory_equal(c, o3, 64);
	/* Two outputs are the first two of three. */
	memset(c, 0x77, sizeof(c));
	vx_noise_hkdf(ck, ikm, sizeof(ikm), 2, a, b, c);
	assert_memory_equal(a, o1, 64);
	assert_memory_equal(b, o2, 64);
	assert_int_equal(c[0], 0x77);
	/* Split()'s zero-length input key material. */
	vx_noise_hkdf(ck, NULL, 0, 2, a, b, NULL);
	assert_memory_equal(a, e1, 64);
	assert_memory_equal(b, e2, 64);
}

/* ---- CipherState ---------------------------------------------------------------- */

static void cipher_with_key(struct vx_noise_cipher *cs, uint64_t seed)
{
	uint8_t key[VX_NOISE_KEY_BYTES];

	fill(key, sizeof(key), &seed);
	assert_int_equal(vx_noise_cipher_init(cs, key), 0);
}

static void test_noise_nonce_is_four_zero_bytes_then_little_endian_counter(void **state)
{
	static const uint64_t nonces[] = { 0, 1, 0x0102030405060708ULL, VX_NOISE_NONCE_MAX };
	struct vx_noise_cipher cs;
	uint8_t pt[40], ad[7], want[56], got[56];
	uint64_t seed = 2;

	(void)state;
	cipher_with_key(&cs, 3);
	fill(pt, sizeof(pt), &seed);
	fill(ad, sizeof(ad), &seed);
	for (size_t i = 0; i < sizeof(nonces) / sizeof(nonces[0]); i++) {
		uint8_t npub[12] = { 0 };
		unsigned long long clen;

		for (int b = 0; b < 8; b++)
			npub[4 + b] = (uint8_t)(nonces[i] >> (8 * b));
		crypto_aead_chacha20poly1305_ietf_encrypt(want, &clen, pt, sizeof(pt), ad,
							  sizeof(ad), NULL, npub, cs.key);
		assert_int_equal(clen, sizeof(want));
		assert_int_equal(vx_noise_cipher_seal(&cs, nonces[i], ad, sizeof(ad), pt,
						      sizeof(pt), got, sizeof(got)),
				 sizeof(got));
		assert_memory_equal(got, want, sizeof(want));
	}
	/* The layout itself, for n = 0x0102030405060708: 00 00 00 00 08 07 ... 01. */
	{
		static const uint8_t npub[12] = { 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1 };
		unsigned long long clen;

		crypto_aead_chacha20poly1305_ietf_encrypt(want, &clen, pt, sizeof(pt), NULL, 0,
							  NULL, npub, cs.key);
		assert_int_equal(vx_noise_cipher_seal(&cs, 0x0102030405060708ULL, NULL, 0, pt,
						      sizeof(pt), got, sizeof(got)),
				 sizeof(got));
		assert_memory_equal(got, want, sizeof(want));
	}
}

static void test_noise_implicit_counter_matches_explicit_nonce(void **state)
{
	struct vx_noise_cipher tx, rx;
	uint8_t pt[100], a[116], b[116], back[100];

	(void)state;
	cipher_with_key(&tx, 4);
	rx = tx;
	memset(pt, 0x5a, sizeof(pt));
	for (uint64_t n = 0; n < 5; n++) {
		assert_int_equal(vx_noise_cipher_encrypt(&tx, "ad", 2, pt, sizeof(pt), a, sizeof(a)),
				 sizeof(a));
		assert_int_equal(vx_noise_cipher_seal(&tx, n, "ad", 2, pt, sizeof(pt), b, sizeof(b)),
				 sizeof(b));
		assert_memory_equal(a, b, sizeof(a));
		assert_true(tx.n == n + 1);
		assert_int_equal(vx_noise_cipher_decrypt(&rx, "ad", 2, a, sizeof(a), back,
							 sizeof(back)),
				 sizeof(back));
		assert_memory_equal(back, pt, sizeof(pt));
	}
	vx_noise_cipher_set_nonce(&tx, 1000);
	assert_int_equal(vx_noise_cipher_encrypt(&tx, NULL, 0, pt, 0, a, sizeof(a)), 16);
	assert_int_equal(vx_noise_cipher_open(&rx, 1000, NULL, 0, a, 16, back, 0), 0);
}

/* 2^64-1 is reserved: the counter may reach it but never use it. */
static void test_noise_nonce_max_is_reserved_returns_eoverflow(void **state)
{
	struct vx_noise_cipher tx, rx;
	uint8_t pt[8] = { 0 }, ct[24], back[8];

	(void)state;
	cipher_with_key(&tx, 5);
	rx = tx;
	vx_noise_cipher_set_nonce(&tx, VX_NOISE_NONCE_MAX);
	vx_noise_cipher_set_nonce(&rx, VX_NOISE_NONCE_MAX);
	assert_int_equal(vx_noise_cipher_encrypt(&tx, NULL, 0, pt, 8, ct, sizeof(ct)), 24);
	assert_int_equal(vx_noise_cipher_decrypt(&rx, NULL, 0, ct, 24, back, 8), 8);
	assert_true(tx.n == UINT64_MAX && rx.n == UINT64_MAX);
	assert_int_equal(vx_noise_cipher_encrypt(&tx, NULL, 0, pt, 8, ct, sizeof(ct)), -EOVERFLOW);
	assert_int_equal(vx_noise_cipher_decrypt(&rx, NULL, 0, ct, 24, back, 8), -EOVERFLOW);
	assert_true(tx.n == UINT64_MAX);
	assert_int_equal(vx_noise_cipher_seal(&tx, UINT64_MAX, NULL, 0, pt, 8, ct, sizeof(ct)),
			 -EOVERFLOW);
	assert_int_equal(vx_noise_cipher_open(&rx, UINT64_MAX, NULL, 0, ct, 24, back, 8),
			 -EOVERFLOW);
}

static void test_noise_rekey_is_encrypt_of_zeros_at_max_nonce(void **state)
{
	static const uint8_t npub[12] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff };
	static const uint8_t zeros[32];
	struct vx_noise_cipher cs;
	uint8_t want[48];
	unsigned long long clen;

	(void)state;
	cipher_with_key(&cs, 6);
	vx_noise_cipher_set_nonce(&cs, 17);
	crypto_aead_chacha20poly1305_ietf_encrypt(want, &clen, zeros, 32, NULL, 0, NULL, npub,
						  cs.key);
	assert_int_equal(vx_noise_cipher_rekey(&cs), 0);
	assert_memory_equal(cs.key, want, 32);
	assert_true(cs.n == 17); /* the spec leaves n alone */
}

static void test_noise_cipher_without_key_returns_enokey(void **state)
{
	struct vx_noise_cipher cs;
	uint8_t buf[32] = { 0 };

	(void)state;
	assert_int_equal(vx_noise_cipher_init(&cs, NULL), 0);
	assert_false(vx_noise_cipher_has_key(&cs));
	assert_int_equal(vx_noise_cipher_encrypt(&cs, NULL, 0, buf, 8, buf, 32), -ENOKEY);
	assert_int_equal(vx_noise_cipher_decrypt(&cs, NULL, 0, buf, 24, buf, 32), -ENOKEY);
	assert_int_equal(vx_noise_cipher_seal(&cs, 0, NULL, 0, buf, 8, buf, 32), -ENOKEY);
	assert_int_equal(vx_noise_cipher_open(&cs, 0, NULL, 0, buf, 24, buf, 32), -ENOKEY);
	assert_int_equal(vx_noise_cipher_rekey(&cs), -ENOKEY);
	cipher_with_key(&cs, 7);
	assert_true(vx_noise_cipher_has_key(&cs));
	vx_noise_cipher_wipe(&cs);
	assert_false(vx_noise_cipher_has_key(&cs));
}

static void test_noise_tampered_ciphertext_returns_ebadmsg_and_keeps_counter(void **state)
{
	struct vx_noise_cipher tx, rx;
	uint8_t pt[30], ct[46], back[30];

	(void)state;
	cipher_with_key(&tx, 8);
	rx = tx;
	memset(pt, 1, sizeof(pt));
	assert_int_equal(vx_noise_cipher_encrypt(&tx, "h", 1, pt, sizeof(pt), ct, sizeof(ct)), 46);
	for (size_t i = 0; i < sizeof(ct); i++) {
		ct[i] ^= 0x80;
		assert_int_equal(vx_noise_cipher_decrypt(&rx, "h", 1, ct, 46, back, 30), -EBADMSG);
		ct[i] ^= 0x80;
		assert_true(rx.n == 0);
	}
	assert_int_equal(vx_noise_cipher_decrypt(&rx, "x", 1, ct, 46, back, 30), -EBADMSG);
	assert_int_equal(vx_noise_cipher_open(&rx, 1, "h", 1, ct, 46, back, 30), -EBADMSG);
	assert_int_equal(vx_noise_cipher_decrypt(&rx, "h", 1, ct, 46, back, 30), 30);
	assert_memory_equal(back, pt, 30);
	assert_true(rx.n == 1);
}

static void test_noise_seal_in_place_matches_a_copy(void **state)
{
	struct vx_noise_cipher cs;
	uint8_t buf[216], copy[216], pt[200];
	uint64_t seed = 9;

	(void)state;
	cipher_with_key(&cs, 10);
	fill(pt, sizeof(pt), &seed);
	memcpy(buf, pt, sizeof(pt));
	assert_int_equal(vx_noise_cipher_seal(&cs, 42, NULL, 0, pt, 200, copy, sizeof(copy)), 216);
	assert_int_equal(vx_noise_cipher_seal(&cs, 42, NULL, 0, buf, 200, buf, sizeof(buf)), 216);
	assert_memory_equal(buf, copy, sizeof(buf));
	assert_int_equal(vx_noise_cipher_open(&cs, 42, NULL, 0, buf, 216, buf, sizeof(buf)), 200);
	assert_memory_equal(buf, pt, 200);
}

static void test_noise_cipher_size_limits(void **state)
{
	struct vx_noise_cipher cs;
	uint8_t *big = calloc(1, VX_NOISE_MAX_MESSAGE + 2);

	(void)state;
	assert_non_null(big);
	cipher_with_key(&cs, 11);
	assert_int_equal(vx_noise_cipher_seal(&cs, 0, NULL, 0, big, VX_NOISE_MAX_PAYLOAD + 1, big,
					      VX_NOISE_MAX_MESSAGE + 2),
			 -EMSGSIZE);
	assert_int_equal(vx_noise_cipher_seal(&cs, 0, NULL, 0, big, 10, big, 25), -ENOSPC);
	assert_int_equal(vx_noise_cipher_seal(&cs, 0, NULL, 0, big, VX_NOISE_MAX_PAYLOAD, big,
					      VX_NOISE_MAX_MESSAGE),
			 VX_NOISE_MAX_MESSAGE);
	assert_int_equal(vx_noise_cipher_open(&cs, 0, NULL, 0, big, VX_NOISE_MAX_MESSAGE, big, 10),
			 -ENOSPC);
	assert_int_equal(vx_noise_cipher_open(&cs, 0, NULL, 0, big, VX_NOISE_MAX_MESSAGE, big,
					      VX_NOISE_MAX_PAYLOAD),
			 VX_NOISE_MAX_PAYLOAD);
	assert_int_equal(vx_noise_cipher_open(&cs, 0, NULL, 0, big, VX_NOISE_MAX_MESSAGE + 1, big,
					      VX_NOISE_MAX_MESSAGE + 1),
			 -EINVAL);
	for (size_t n = 0; n < VX_NOISE_TAG_BYTES; n++)
		assert_int_equal(vx_noise_cipher_open(&cs, 0, NULL, 0, big, n, big, 16), -EINVAL);
	free(big);
}

/* ---- protocol names ------------------------------------------------------------- */

static void test_noise_protocol_names_parse_as_table(void **state)
{
	static const struct {
		const char *name;
		int ret;
		unsigned messages, psks;
	} cases[] = {
		{ "Noise_IK" SUITE, 0, 2, 0 },
		{ "Noise_XXpsk3" SUITE, 0, 3, 1 },
		{ "Noise_NNpsk0" SUITE, 0, 2, 1 },
		{ "Noise_NNpsk0+psk2" SUITE, 0, 2, 2 },
		{ "Noise_NXpsk0+psk1+psk2" SUITE, 0, 2, 3 },
		{ "Noise_N" SUITE, 0, 1, 0 },
		{ "Noise_Kpsk0" SUITE, 0, 1, 1 },
		{ "Noise_Xpsk1" SUITE, 0, 1, 1 },
		{ "Noise_I1X1" SUITE, 0, 3, 0 },
		{ "Noise_X1K1psk4" SUITE, 0, 4, 1 },
		{ "Noise_X1Npsk0+psk1+psk2+psk3+psk4" SUITE, 0, 4, 5 },
		/* other suites, patterns and modifiers are not ours */
		{ "Noise_IK_448_ChaChaPoly_BLAKE2b", -ENOTSUP, 0, 0 },
		{ "Noise_IK_25519_AESGCM_BLAKE2b", -ENOTSUP, 0, 0 },
		{ "Noise_IK_25519_ChaChaPoly_SHA256", -ENOTSUP, 0, 0 },
		{ "Noise_IK_25519_ChaChaPoly_BLAKE2s", -ENOTSUP, 0, 0 },
		{ "Noise_IK_25519+Kyber1024_ChaChaPoly_BLAKE2b", -ENOTSUP, 0, 0 },
		{ "Noise_XXfallback" SUITE, -ENOTSUP, 0, 0 },
		{ "Noise_XXhfs" SUITE, -ENOTSUP, 0, 0 },
		{ "Noise_QQ" SUITE, -ENOTSUP, 0, 0 },
		{ "Noise_IK2" SUITE, -ENOTSUP, 0, 0 },
		/* malformed */
		{ "", -EINVAL, 0, 0 },
		{ "Noise", -EINVAL, 0, 0 },
		{ "noise_IK" SUITE, -EINVAL, 0, 0 },
		{ "NoiseIK" SUITE, -EINVAL, 0, 0 },
		{ "Noise__25519_ChaChaPoly_BLAKE2b", -EINVAL, 0, 0 },
		{ "Noise_IK_25519_ChaChaPoly", -EINVAL, 0, 0 },
		{ "Noise_IK_25519_ChaChaPoly_BLAKE2b_", -EINVAL, 0, 0 },
		{ "Noise_IK_25519_ChaChaPoly_BLAKE2b_x", -EINVAL, 0, 0 },
		{ "Noise_IK_25519__BLAKE2b", -EINVAL, 0, 0 },
		{ "Noise_ik" SUITE, -EINVAL, 0, 0 },
		{ "Noise_XXpsk4" SUITE, -EINVAL, 0, 0 },
		{ "Noise_Npsk2" SUITE, -EINVAL, 0, 0 },
		{ "Noise_XXpsk" SUITE, -EINVAL, 0, 0 },
		{ "Noise_XXpsk10" SUITE, -EINVAL, 0, 0 },
		{ "Noise_NNpsk0+psk0" SUITE, -EINVAL, 0, 0 },
		{ "Noise_NNpsk0+" SUITE, -EINVAL, 0, 0 },
		{ "Noise_NN+psk0" SUITE, -EINVAL, 0, 0 },
		{ "Noise_NNpsk0++psk1" SUITE, -EINVAL, 0, 0 },
	};
	char longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vx_noise_info info = { 0 };
		int ret = vx_noise_protocol_parse(cases[i].name, &info);

		if (ret != cases[i].ret)
			fail_msg("%s: %d, want %d", cases[i].name, ret, cases[i].ret);
		if (ret == 0) {
			assert_int_equal(info.messages, cases[i].messages);
			assert_int_equal(info.psks, cases[i].psks);
			assert_int_equal(info.one_way, cases[i].messages == 1);
		}
	}
	memset(longname, 'A', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "Noise_", 6);
	assert_int_equal(vx_noise_protocol_parse(longname, NULL), -EINVAL);
	assert_int_equal(vx_noise_protocol_parse(NULL, NULL), -EINVAL);
}

/* ---- every pattern, initiator against responder ---------------------------------- */

static const char *const pattern_names[] = {
	"N",   "K",   "X",    "NN",   "NK",  "NX",  "KN",  "KK",   "KX",  "XN",
	"XK",  "XX",  "IN",   "IK",   "IX",  "NK1", "NX1", "X1N",  "X1K", "XK1",
	"X1K1", "X1X", "XX1", "X1X1", "K1N", "K1K", "KK1", "K1K1", "K1X", "KX1",
	"K1X1", "I1N", "I1K", "IK1",  "I1K1", "I1X", "IX1", "I1X1",
};

/*
 * Runs a whole handshake plus transport messages; returns 0, or the first error
 * (a read's) when the two sides disagree. The spec's naming tells which statics
 * are known in advance: K as a pattern's first letter means the responder knows
 * the initiator's static, K as the second the reverse (one-way: always the
 * responder's, and K also the initiator's).
 */
static int run_pattern(const char *base, const char *mods, bool wrong_psk, uint64_t seed)
{
	char name[96];
	struct vx_noise_info info;
	struct vx_noise_keypair si, sr;
	uint8_t psks[VX_NOISE_MAX_PSKS][VX_NOISE_KEY_BYTES], psks_r[VX_NOISE_MAX_PSKS][32];
	struct vx_noise_config ci = { .initiator = true, .prologue = "p", .prologue_len = 1 };
	struct vx_noise_config cr = { .prologue = "p", .prologue_len = 1 };
	struct vx_noise_handshake *hi, *hr;
	struct vx_noise_cipher i1, i2, r1, r2;
	uint8_t hash_i[64], hash_r[64], key[32];
	char first = base[0], second = base[1] == '1' ? base[2] : base[1];
	bool one_way = strlen(base) == 1;
	int ret = 0;

	snprintf(name, sizeof(name), "Noise_%s%s" SUITE, base, mods);
	assert_int_equal(vx_noise_protocol_parse(name, &info), 0);
	assert_int_equal(info.one_way, one_way);
	keypair(&si, &seed);
	keypair(&sr, &seed);
	fill(&psks[0][0], sizeof(psks), &seed);
	memcpy(psks_r, psks, sizeof(psks));
	if (wrong_psk)
		psks_r[info.psks - 1][5] ^= 1;

	ci.protocol = cr.protocol = name;
	ci.s = &si;
	cr.s = &sr;
	ci.psks = (const uint8_t(*)[32])psks;
	cr.psks = (const uint8_t(*)[32])psks_r;
	ci.psk_count = cr.psk_count = info.psks;
	if (one_way || second == 'K')
		ci.rs = sr.pub;
	if (first == 'K')
		cr.rs = si.pub;
	assert_int_equal(vx_noise_handshake_create(&hi, &ci), 0);
	assert_int_equal(vx_noise_handshake_create(&hr, &cr), 0);

	for (unsigned m = 0; m < info.messages; m++) {
		struct vx_noise_handshake *w = m % 2 ? hr : hi, *r = m % 2 ? hi : hr;
		uint8_t msg[512], payload[40], back[40];
		ssize_t n;

		assert_true(vx_noise_handshake_is_my_turn(w));
		assert_false(vx_noise_handshake_is_my_turn(r));
		size_t need = vx_noise_message_size(w, 7 + m);

		memset(payload, (int)m, sizeof(payload));
		n = vx_noise_write_message(w, payload, 7 + m, msg, sizeof(msg));
		assert_int_equal(n, need);
		n = vx_noise_read_message(r, msg, (size_t)n, back, sizeof(back));
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		assert_int_equal(n, 7 + m);
		assert_memory_equal(back, payload, 7 + m);
	}
	assert_true(vx_noise_handshake_is_complete(hi) && vx_noise_handshake_is_complete(hr));
	assert_int_equal(vx_noise_handshake_hash(hi, hash_i), 0);
	assert_int_equal(vx_noise_handshake_hash(hr, hash_r), 0);
	assert_memory_equal(hash_i, hash_r, 64);

	/* Each side ends up with the other's static exactly when the pattern gives it. */
	if (one_way || second != 'N') {
		assert_int_equal(vx_noise_remote_static(hi, key), 0);
		assert_memory_equal(key, sr.pub, 32);
	} else {
		assert_int_equal(vx_noise_remote_static(hi, key), -ENOENT);
	}
	if (first != 'N') {
		assert_int_equal(vx_noise_remote_static(hr, key), 0);
		assert_memory_equal(key, si.pub, 32);
	} else {
		assert_int_equal(vx_noise_remote_static(hr, key), -ENOENT);
	}

	assert_int_equal(vx_noise_split(hi, &i1, &i2), 0);
	assert_int_equal(vx_noise_split(hr, &r1, &r2), 0);
	for (int k = 0; k < 3; k++) {
		uint8_t ct[64], back[48];

		assert_int_equal(vx_noise_cipher_encrypt(&i1, NULL, 0, "ping", 4, ct, sizeof(ct)),
				 20);
		assert_int_equal(vx_noise_cipher_decrypt(&r1, NULL, 0, ct, 20, back, sizeof(back)),
				 4);
		assert_memory_equal(back, "ping", 4);
		if (one_way) {
			assert_false(vx_noise_cipher_has_key(&r2));
			assert_false(vx_noise_cipher_has_key(&i2));
			continue;
		}
		assert_int_equal(vx_noise_cipher_encrypt(&r2, NULL, 0, "pong", 4, ct, sizeof(ct)),
				 20);
		assert_int_equal(vx_noise_cipher_decrypt(&i2, NULL, 0, ct, 20, back, sizeof(back)),
				 4);
		assert_memory_equal(back, "pong", 4);
	}
out:
	vx_noise_handshake_destroy(hi);
	vx_noise_handshake_destroy(hr);
	return ret;
}

static void test_noise_every_pattern_completes_between_our_two_sides(void **state)
{
	uint64_t seed = 100;

	(void)state;
	for (size_t i = 0; i < sizeof(pattern_names) / sizeof(pattern_names[0]); i++) {
		const char *base = pattern_names[i];
		struct vx_noise_info info;
		char name[64], mods[64];

		snprintf(name, sizeof(name), "Noise_%s" SUITE, base);
		assert_int_equal(vx_noise_protocol_parse(name, &info), 0);
		assert_int_equal(run_pattern(base, "", false, seed++), 0);
		/* Every single pskN, then all of them at once. */
		for (unsigned k = 0; k <= info.messages; k++) {
			snprintf(mods, sizeof(mods), "psk%u", k);
			assert_int_equal(run_pattern(base, mods, false, seed++), 0);
			/* A wrong PSK is caught by the next encrypted payload, in the handshake. */
			assert_int_equal(run_pattern(base, mods, true, seed++), -EBADMSG);
		}
		strcpy(mods, "psk0");
		for (unsigned k = 1; k <= info.messages; k++)
			snprintf(mods + strlen(mods), sizeof(mods) - strlen(mods), "+psk%u", k);
		assert_int_equal(run_pattern(base, mods, false, seed++), 0);
		assert_int_equal(run_pattern(base, mods, true, seed++), -EBADMSG);
	}
}

/* ---- handshake error paths (IK, the vox handshake) ------------------------------ */

/* cacophony's IK vector (also in shared/vectors/noise): known answers without the file. */
static void test_noise_ik_matches_cacophony_vector(void **state)
{
	static const char m1[] =
		"ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944ba83a447b38c83e3"
		"27ad936929812f624884847b7831e95e197b2f797088efdd2f88f1db7e1fb0e99c64419097af91ce"
		"e64e470f4b6fcd9298ce0b56fe20f86e13bf70439c538e3602a7127af71a29cc";
	static const char m2[] =
		"95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f1448088439f069b267a06b3de"
		"3ecb1043bcb098e9af91d9c64748d998c7b47890871571";
	static const char hh[] =
		"1c8fa891cb414fedba6daa7c6f4ae0a6d98e5f9768cc9cecd27e805614943ee9c8a1b27fbfb76dc1"
		"97255c8aa69f6b4285c423840b8bedf45e652ca64f797d81";
	uint8_t priv[32], want1[sizeof(m1) / 2], want2[sizeof(m2) / 2], wanth[64];
	uint8_t out[256], back[64], h[64];
	struct vx_noise_keypair si, ei, sr, er;
	struct vx_noise_handshake *hi, *hr;

	(void)state;
	unhex("e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1", priv, 32);
	assert_int_equal(vx_noise_keypair_from_private(&si, priv), 0);
	unhex("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a", priv, 32);
	assert_int_equal(vx_noise_keypair_from_private(&ei, priv), 0);
	unhex("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893", priv, 32);
	assert_int_equal(vx_noise_keypair_from_private(&sr, priv), 0);
	unhex("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b", priv, 32);
	assert_int_equal(vx_noise_keypair_from_private(&er, priv), 0);
	unhex(m1, want1, sizeof(want1));
	unhex(m2, want2, sizeof(want2));
	unhex(hh, wanth, 64);

	assert_int_equal(vx_noise_handshake_create(&hi, &(struct vx_noise_config){
		.protocol = "Noise_IK" SUITE, .initiator = true, .prologue = "John Galt",
		.prologue_len = 9, .s = &si, .e = &ei, .rs = sr.pub }), 0);
	assert_int_equal(vx_noise_handshake_create(&hr, &(struct vx_noise_config){
		.protocol = "Noise_IK" SUITE, .prologue = "John Galt", .prologue_len = 9,
		.s = &sr, .e = &er }), 0);
	assert_int_equal(vx_noise_write_message(hi, "Ludwig von Mises", 16, out, sizeof(out)),
			 sizeof(want1));
	assert_memory_equal(out, want1, sizeof(want1));
	assert_int_equal(vx_noise_read_message(hr, out, sizeof(want1), back, sizeof(back)), 16);
	assert_int_equal(vx_noise_write_message(hr, "Murray Rothbard", 15, out, sizeof(out)),
			 sizeof(want2));
	assert_memory_equal(out, want2, sizeof(want2));
	assert_int_equal(vx_noise_read_message(hi, out, sizeof(want2), back, sizeof(back)), 15);
	assert_int_equal(vx_noise_handshake_hash(hi, h), 0);
	assert_memory_equal(h, wanth, 64);
	vx_noise_handshake_destroy(hi);
	vx_noise_handshake_destroy(hr);
}

static void test_noise_tampered_handshake_message_returns_ebadmsg_and_keeps_state(void **state)
{
	struct ik p;
	uint8_t msg[256], back[64];
	ssize_t n;

	(void)state;
	ik_create(&p, 20);
	n = vx_noise_write_message(p.init, "hello", 5, msg, sizeof(msg));
	assert_int_equal(n, 32 + 48 + 5 + 16);
	/* Every byte: e (the DHs then disagree), the encrypted s, the payload, its tag. */
	for (ssize_t i = 0; i < n; i++) {
		msg[i] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, back, sizeof(back)),
				 -EBADMSG);
		msg[i] ^= (uint8_t)(1u << (i % 8));
		assert_false(vx_noise_handshake_is_my_turn(p.resp));
		assert_int_equal(vx_noise_remote_static(p.resp, back), -ENOENT);
	}
	assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, back, sizeof(back)), 5);
	assert_memory_equal(back, "hello", 5);

	n = vx_noise_write_message(p.resp, "", 0, msg, sizeof(msg));
	assert_int_equal(n, 32 + 16);
	for (ssize_t i = 0; i < n; i++) {
		msg[i] ^= 0x40;
		assert_int_equal(vx_noise_read_message(p.init, msg, (size_t)n, back, sizeof(back)),
				 -EBADMSG);
		msg[i] ^= 0x40;
		assert_false(vx_noise_handshake_is_complete(p.init));
	}
	assert_int_equal(vx_noise_read_message(p.init, msg, (size_t)n, back, sizeof(back)), 0);
	assert_true(vx_noise_handshake_is_complete(p.init));
	ik_destroy(&p);
}

static void test_noise_truncated_handshake_message_returns_einval(void **state)
{
	struct ik p;
	uint8_t msg[256], back[64];
	ssize_t n;

	(void)state;
	ik_create(&p, 21);
	n = vx_noise_write_message(p.init, "hello", 5, msg, sizeof(msg));
	assert_int_equal(n, 101);
	/* Shorter than e, s and the payload's tag: malformed, caught before any DH. */
	for (size_t len = 0; len < 96; len++)
		assert_int_equal(vx_noise_read_message(p.resp, msg, len, back, sizeof(back)),
				 -EINVAL);
	/* Long enough, but the payload is cut: its tag no longer verifies. */
	for (size_t len = 96; len < 101; len++)
		assert_int_equal(vx_noise_read_message(p.resp, msg, len, back, sizeof(back)),
				 -EBADMSG);
	assert_int_equal(vx_noise_read_message(p.resp, msg, 101, back, sizeof(back)), 5);
	ik_destroy(&p);
}

static void test_noise_wrong_remote_static_fails_authentication(void **state)
{
	struct vx_noise_keypair si, sr, other;
	struct vx_noise_handshake *hi, *hr;
	uint8_t msg[256], back[64];
	uint64_t seed = 22;
	ssize_t n;

	(void)state;
	keypair(&si, &seed);
	keypair(&sr, &seed);
	keypair(&other, &seed);
	assert_int_equal(vx_noise_handshake_create(&hi, &(struct vx_noise_config){
		.protocol = "Noise_IK" SUITE, .initiator = true, .s = &si, .rs = other.pub }), 0);
	assert_int_equal(vx_noise_handshake_create(&hr, &(struct vx_noise_config){
		.protocol = "Noise_IK" SUITE, .s = &sr }), 0);
	n = vx_noise_write_message(hi, "hi", 2, msg, sizeof(msg));
	assert_true(n > 0);
	assert_int_equal(vx_noise_read_message(hr, msg, (size_t)n, back, sizeof(back)), -EBADMSG);
	assert_int_equal(vx_noise_remote_static(hr, back), -ENOENT);
	vx_noise_handshake_destroy(hi);
	vx_noise_handshake_destroy(hr);
}

static void test_noise_handshake_payload_too_large_returns_emsgsize(void **state)
{
	struct ik p;
	uint8_t *payload = calloc(1, VX_NOISE_MAX_MESSAGE), *msg = malloc(VX_NOISE_MAX_MESSAGE + 1);
	size_t max = VX_NOISE_MAX_MESSAGE - 96; /* IK's first message carries 96 bytes of keys */

	(void)state;
	assert_non_null(payload);
	assert_non_null(msg);
	ik_create(&p, 23);
	assert_int_equal(vx_noise_message_size(p.init, max + 1), VX_NOISE_MAX_MESSAGE + 1);
	assert_int_equal(vx_noise_write_message(p.init, payload, max + 1, msg,
						VX_NOISE_MAX_MESSAGE + 1),
			 -EMSGSIZE);
	assert_int_equal(vx_noise_write_message(p.init, payload, max, msg, VX_NOISE_MAX_MESSAGE),
			 VX_NOISE_MAX_MESSAGE);
	assert_int_equal(vx_noise_read_message(p.resp, msg, VX_NOISE_MAX_MESSAGE, payload, max),
			 (ssize_t)max);
	/* And a reader refuses anything longer than the spec's bound. */
	assert_int_equal(vx_noise_read_message(p.init, msg, VX_NOISE_MAX_MESSAGE + 1, payload,
					       VX_NOISE_MAX_MESSAGE),
			 -EINVAL);
	ik_destroy(&p);
	free(payload);
	free(msg);
}

static void test_noise_small_buffers_return_enospc_and_keep_state(void **state)
{
	struct ik p;
	uint8_t msg[256], back[64];
	size_t need;
	ssize_t n;

	(void)state;
	ik_create(&p, 24);
	need = vx_noise_message_size(p.init, 10);
	assert_int_equal(need, 96 + 10);
	assert_int_equal(vx_noise_write_message(p.init, "0123456789", 10, msg, need - 1), -ENOSPC);
	assert_true(vx_noise_handshake_is_my_turn(p.init));
	n = vx_noise_write_message(p.init, "0123456789", 10, msg, need);
	assert_int_equal(n, need);
	assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, back, 9), -ENOSPC);
	assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, back, 10), 10);
	assert_memory_equal(back, "0123456789", 10);
	ik_destroy(&p);
}

static void test_noise_out_of_turn_returns_einval(void **state)
{
	struct ik p;
	uint8_t msg[256], back[64];
	ssize_t n;

	(void)state;
	ik_create(&p, 25);
	assert_int_equal(vx_noise_message_size(p.resp, 0), 0);
	assert_int_equal(vx_noise_write_message(p.resp, NULL, 0, msg, sizeof(msg)), -EINVAL);
	memset(msg, 0, sizeof(msg));
	assert_int_equal(vx_noise_read_message(p.init, msg, 48, back, sizeof(back)), -EINVAL);
	n = vx_noise_write_message(p.init, NULL, 0, msg, sizeof(msg));
	assert_int_equal(n, 96);
	assert_int_equal(vx_noise_write_message(p.init, NULL, 0, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, NULL, 0), 0);
	n = vx_noise_write_message(p.resp, NULL, 0, msg, sizeof(msg));
	assert_int_equal(vx_noise_read_message(p.init, msg, (size_t)n, NULL, 0), 0);
	/* Complete: nothing more to write or read. */
	assert_int_equal(vx_noise_write_message(p.init, NULL, 0, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(vx_noise_write_message(p.resp, NULL, 0, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(vx_noise_read_message(p.init, msg, (size_t)n, NULL, 0), -EINVAL);
	assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, NULL, 0), -EINVAL);
	assert_false(vx_noise_handshake_is_my_turn(p.init));
	ik_destroy(&p);
}

static void test_noise_missing_or_extra_keys_return_einval(void **state)
{
	struct vx_noise_keypair s, r;
	struct vx_noise_handshake *hs = NULL;
	uint8_t psk[1][32] = { { 0 } };
	uint64_t seed = 26;
	const struct {
		struct vx_noise_config cfg;
		int ret;
	} cases[] = {
		{ { .protocol = "Noise_IK" SUITE, .initiator = true, .s = &s }, -EINVAL },
		{ { .protocol = "Noise_IK" SUITE, .initiator = true, .rs = r.pub }, -EINVAL },
		{ { .protocol = "Noise_IK" SUITE }, -EINVAL },
		{ { .protocol = "Noise_IK" SUITE, .s = &s, .rs = r.pub }, -EINVAL },
		{ { .protocol = "Noise_XX" SUITE, .initiator = true, .s = &s, .rs = r.pub }, -EINVAL },
		{ { .protocol = "Noise_NN" SUITE, .re = r.pub }, -EINVAL },
		{ { .protocol = "Noise_NNpsk0" SUITE }, -EINVAL },
		{ { .protocol = "Noise_NNpsk0" SUITE, .psk_count = 1 }, -EINVAL },
		{ { .protocol = "Noise_NN" SUITE, .psks = (const uint8_t(*)[32])psk, .psk_count = 1 },
		  -EINVAL },
		{ { .protocol = "Noise_NN" SUITE, .prologue_len = 3 }, -EINVAL },
		{ { .protocol = "Noise_NN_25519_AESGCM_SHA256" }, -ENOTSUP },
		{ { .protocol = "Noise_XXpsk9" SUITE }, -EINVAL },
		/* An unused local static is harmless; so is a fixed ephemeral. */
		{ { .protocol = "Noise_NN" SUITE, .s = &s, .e = &r }, 0 },
		{ { .protocol = "Noise_NNpsk0" SUITE, .psks = (const uint8_t(*)[32])psk,
		    .psk_count = 1 }, 0 },
	};

	(void)state;
	keypair(&s, &seed);
	keypair(&r, &seed);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = vx_noise_handshake_create(&hs, &cases[i].cfg);

		if (ret != cases[i].ret)
			fail_msg("case %zu (%s): %d, want %d", i, cases[i].cfg.protocol, ret,
				 cases[i].ret);
		if (ret == 0)
			vx_noise_handshake_destroy(hs);
	}
	vx_noise_handshake_destroy(NULL);
}

static void test_noise_split_and_hash_wait_for_completion(void **state)
{
	struct ik p;
	struct vx_noise_cipher c1, c2, d1, d2;
	uint8_t msg[256], h[64], rs[32];
	ssize_t n;

	(void)state;
	ik_create(&p, 27);
	assert_int_equal(vx_noise_split(p.init, &c1, &c2), -EAGAIN);
	assert_int_equal(vx_noise_handshake_hash(p.init, h), -EAGAIN);
	assert_int_equal(vx_noise_remote_static(p.init, rs), 0); /* the pre-message */
	assert_memory_equal(rs, p.sr.pub, 32);
	assert_int_equal(vx_noise_remote_static(p.resp, rs), -ENOENT);
	n = vx_noise_write_message(p.init, NULL, 0, msg, sizeof(msg));
	assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, NULL, 0), 0);
	assert_int_equal(vx_noise_remote_static(p.resp, rs), 0); /* learned from message 1 */
	assert_memory_equal(rs, p.si.pub, 32);
	assert_int_equal(vx_noise_split(p.resp, &d1, &d2), -EAGAIN);
	n = vx_noise_write_message(p.resp, NULL, 0, msg, sizeof(msg));
	assert_int_equal(vx_noise_read_message(p.init, msg, (size_t)n, NULL, 0), 0);
	assert_int_equal(vx_noise_split(p.init, &c1, &c2), 0);
	assert_int_equal(vx_noise_split(p.init, &c1, &c2), -EALREADY);
	assert_int_equal(vx_noise_split(p.resp, &d1, &d2), 0);
	assert_memory_equal(c1.key, d1.key, 32);
	assert_memory_equal(c2.key, d2.key, 32);
	assert_memory_not_equal(c1.key, c2.key, 32);
	assert_true(c1.n == 0 && c2.n == 0);
	assert_int_equal(vx_noise_handshake_hash(p.init, h), 0);
	ik_destroy(&p);
}

/* X25519 with a small-order point gives zero; libsodium refuses it, so must we. */
static void test_noise_small_order_ephemeral_returns_ebadmsg(void **state)
{
	static const char *const points[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	};
	struct ik p;
	uint8_t msg[256], back[64];
	ssize_t n;

	(void)state;
	ik_create(&p, 28);
	n = vx_noise_write_message(p.init, NULL, 0, msg, sizeof(msg));
	assert_int_equal(n, 96);
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		uint8_t forged[96];

		memcpy(forged, msg, 96);
		unhex(points[i], forged, 32);
		assert_int_equal(vx_noise_read_message(p.resp, forged, 96, back, sizeof(back)),
				 -EBADMSG);
	}
	assert_int_equal(vx_noise_read_message(p.resp, msg, 96, back, sizeof(back)), 0);
	ik_destroy(&p);
}

static void test_noise_one_way_responder_gets_no_sending_key(void **state)
{
	struct vx_noise_keypair sr;
	struct vx_noise_handshake *hi, *hr;
	struct vx_noise_cipher i1, i2, r1, r2;
	uint8_t msg[128], ct[64];
	uint64_t seed = 29;
	ssize_t n;

	(void)state;
	keypair(&sr, &seed);
	assert_int_equal(vx_noise_handshake_create(&hi, &(struct vx_noise_config){
		.protocol = "Noise_N" SUITE, .initiator = true, .rs = sr.pub }), 0);
	assert_int_equal(vx_noise_handshake_create(&hr, &(struct vx_noise_config){
		.protocol = "Noise_N" SUITE, .s = &sr }), 0);
	n = vx_noise_write_message(hi, NULL, 0, msg, sizeof(msg));
	assert_int_equal(n, 48);
	assert_int_equal(vx_noise_read_message(hr, msg, (size_t)n, NULL, 0), 0);
	assert_int_equal(vx_noise_split(hi, &i1, &i2), 0);
	assert_int_equal(vx_noise_split(hr, &r1, &r2), 0);
	assert_int_equal(vx_noise_cipher_seal(&r2, 0, NULL, 0, "x", 1, ct, sizeof(ct)), -ENOKEY);
	assert_int_equal(vx_noise_cipher_seal(&i1, 0, NULL, 0, "x", 1, ct, sizeof(ct)), 17);
	assert_int_equal(vx_noise_cipher_open(&r1, 0, NULL, 0, ct, 17, msg, sizeof(msg)), 1);
	vx_noise_handshake_destroy(hi);
	vx_noise_handshake_destroy(hr);
}

/* ---- the transport's use: explicit nonces, any order ------------------------------ */

#define TRANSPORT_N 1000
#define TRANSPORT_BYTES 160 /* a 20 ms Opus voice packet */

static void shuffle(uint64_t *v, size_t n, uint64_t *seed)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(vx_rand64(seed) % (i + 1));
		uint64_t t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

/* Seals TRANSPORT_N messages on @tx in one shuffled nonce order, opens on @rx in another. */
static void one_direction(const struct vx_noise_cipher *tx, const struct vx_noise_cipher *rx,
			  const struct vx_noise_cipher *other, uint64_t seed)
{
	enum { CT = TRANSPORT_BYTES + VX_NOISE_TAG_BYTES };
	uint8_t(*pt)[TRANSPORT_BYTES] = malloc(TRANSPORT_N * sizeof(*pt));
	uint8_t(*ct)[CT] = malloc(TRANSPORT_N * sizeof(*ct));
	uint64_t order[TRANSPORT_N];
	uint8_t back[TRANSPORT_BYTES];
	static const uint8_t hdr[8] = "RTPhead"; /* the transport authenticates its header */

	assert_non_null(pt);
	assert_non_null(ct);
	fill(&pt[0][0], TRANSPORT_N * sizeof(*pt), &seed);
	for (uint64_t i = 0; i < TRANSPORT_N; i++)
		order[i] = i;
	shuffle(order, TRANSPORT_N, &seed);
	for (size_t i = 0; i < TRANSPORT_N; i++) {
		uint64_t n = order[i];

		assert_int_equal(vx_noise_cipher_seal(tx, n, hdr, sizeof(hdr), pt[n],
						      TRANSPORT_BYTES, ct[n], CT),
				 CT);
	}
	shuffle(order, TRANSPORT_N, &seed);
	for (size_t i = 0; i < TRANSPORT_N; i++) {
		uint64_t n = order[i];

		assert_int_equal(vx_noise_cipher_open(rx, n, hdr, sizeof(hdr), ct[n], CT, back,
						      sizeof(back)),
				 TRANSPORT_BYTES);
		assert_memory_equal(back, pt[n], TRANSPORT_BYTES);
		if (i % 97 == 0) {
			/* Under another nonce, header or key it is a forgery. */
			assert_int_equal(vx_noise_cipher_open(rx, n + 1, hdr, sizeof(hdr), ct[n],
							      CT, back, sizeof(back)),
					 -EBADMSG);
			assert_int_equal(vx_noise_cipher_open(rx, n, "RTPhea", 7, ct[n], CT, back,
							      sizeof(back)),
					 -EBADMSG);
			assert_int_equal(vx_noise_cipher_open(other, n, hdr, sizeof(hdr), ct[n],
							      CT, back, sizeof(back)),
					 -EBADMSG);
		}
	}
	assert_true(tx->n == 0 && rx->n == 0); /* the explicit form leaves the counter */
	free(pt);
	free(ct);
}

static void test_noise_ik_then_1000_messages_each_way_out_of_order(void **state)
{
	struct ik p;
	struct vx_noise_cipher i1, i2, r1, r2;
	uint8_t msg[256], back[64];
	ssize_t n;

	(void)state;
	ik_create(&p, 30);
	n = vx_noise_write_message(p.init, "call", 4, msg, sizeof(msg));
	assert_int_equal(vx_noise_read_message(p.resp, msg, (size_t)n, back, sizeof(back)), 4);
	n = vx_noise_write_message(p.resp, "ok", 2, msg, sizeof(msg));
	assert_int_equal(vx_noise_read_message(p.init, msg, (size_t)n, back, sizeof(back)), 2);
	assert_int_equal(vx_noise_split(p.init, &i1, &i2), 0);
	assert_int_equal(vx_noise_split(p.resp, &r1, &r2), 0);
	one_direction(&i1, &r1, &r2, 31);
	one_direction(&r2, &i2, &i1, 32);
	ik_destroy(&p);
}

static void test_noise_seal_and_open_allocate_nothing(void **state)
{
	struct vx_noise_cipher cs;
	uint8_t buf[1200 + 16], pt[1200];
	uint64_t seed = 33, n;
	ssize_t enc;
	int rekey;

	(void)state;
	cipher_with_key(&cs, 34);
	fill(pt, sizeof(pt), &seed);

	allocs = 0;
	allocs_armed = true;
	for (n = 0; n < 1000; n++) {
		size_t len = 64 + (size_t)(n % 1137);
		ssize_t c = vx_noise_cipher_seal(&cs, n, "hdr", 3, pt, len, buf, sizeof(buf));

		if (c != (ssize_t)(len + 16) ||
		    vx_noise_cipher_open(&cs, n, "hdr", 3, buf, (size_t)c, buf, sizeof(buf)) !=
			    (ssize_t)len)
			break;
	}
	enc = vx_noise_cipher_encrypt(&cs, NULL, 0, pt, 100, buf, sizeof(buf));
	rekey = vx_noise_cipher_rekey(&cs);
	allocs_armed = false;
	assert_true(n == 1000);
	assert_int_equal(enc, 116);
	assert_int_equal(rekey, 0);
	assert_int_equal(allocs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noise_hmac_matches_python_hmac_blake2b),
		cmocka_unit_test(test_noise_hmac_matches_rfc2104_built_from_blake2b),
		cmocka_unit_test(test_noise_hkdf_matches_known_answers),
		cmocka_unit_test(test_noise_nonce_is_four_zero_bytes_then_little_endian_counter),
		cmocka_unit_test(test_noise_implicit_counter_matches_explicit_nonce),
		cmocka_unit_test(test_noise_nonce_max_is_reserved_returns_eoverflow),
		cmocka_unit_test(test_noise_rekey_is_encrypt_of_zeros_at_max_nonce),
		cmocka_unit_test(test_noise_cipher_without_key_returns_enokey),
		cmocka_unit_test(test_noise_tampered_ciphertext_returns_ebadmsg_and_keeps_counter),
		cmocka_unit_test(test_noise_seal_in_place_matches_a_copy),
		cmocka_unit_test(test_noise_cipher_size_limits),
		cmocka_unit_test(test_noise_protocol_names_parse_as_table),
		cmocka_unit_test(test_noise_every_pattern_completes_between_our_two_sides),
		cmocka_unit_test(test_noise_ik_matches_cacophony_vector),
		cmocka_unit_test(test_noise_tampered_handshake_message_returns_ebadmsg_and_keeps_state),
		cmocka_unit_test(test_noise_truncated_handshake_message_returns_einval),
		cmocka_unit_test(test_noise_wrong_remote_static_fails_authentication),
		cmocka_unit_test(test_noise_handshake_payload_too_large_returns_emsgsize),
		cmocka_unit_test(test_noise_small_buffers_return_enospc_and_keep_state),
		cmocka_unit_test(test_noise_out_of_turn_returns_einval),
		cmocka_unit_test(test_noise_missing_or_extra_keys_return_einval),
		cmocka_unit_test(test_noise_split_and_hash_wait_for_completion),
		cmocka_unit_test(test_noise_small_order_ephemeral_returns_ebadmsg),
		cmocka_unit_test(test_noise_one_way_responder_gets_no_sending_key),
		cmocka_unit_test(test_noise_ik_then_1000_messages_each_way_out_of_order),
		cmocka_unit_test(test_noise_seal_and_open_allocate_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
