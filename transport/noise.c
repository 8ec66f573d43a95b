// SPDX-License-Identifier: MIT
/*
 * Noise (revision 34) for 25519_ChaChaPoly_BLAKE2b on libsodium. The code follows
 * the spec's objects: CipherState (struct vx_noise_cipher), SymmetricState (struct
 * symmetric) and HandshakeState (struct vx_noise_handshake), and its pseudocode
 * names (MixKey, MixHash, EncryptAndHash...). Patterns are token tables below.
 *
 * libsodium returns -1 for a forged ciphertext or an all-zero DH output; those are
 * translated to -EBADMSG here and nowhere else.
 */
#include "transport/noise.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#define BLOCKLEN 128 /* BLAKE2b's block, the B of RFC 2104 */

static_assert(VX_NOISE_HASH_BYTES == crypto_generichash_BYTES_MAX, "BLAKE2b-512");
static_assert(VX_NOISE_KEY_BYTES == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key");
static_assert(VX_NOISE_TAG_BYTES == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag");
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "nonce");
static_assert(VX_NOISE_DH_BYTES == crypto_scalarmult_curve25519_BYTES, "X25519");

/* libsodium picks its fastest code paths in sodium_init(); it is idempotent. */
static int sodium_ready(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

/* ---- key pairs -------------------------------------------------------------------- */

int vx_noise_keypair_from_private(struct vx_noise_keypair *kp, const uint8_t *priv)
{
	int ret = sodium_ready();

	if (ret < 0)
		return ret;
	if (kp->priv != priv)
		memcpy(kp->priv, priv, sizeof(kp->priv));
	if (crypto_scalarmult_curve25519_base(kp->pub, kp->priv) != 0)
		return -EINVAL;
	return 0;
}

int vx_noise_keypair_generate(struct vx_noise_keypair *kp)
{
	int ret = sodium_ready();

	if (ret < 0)
		return ret;
	randombytes_buf(kp->priv, sizeof(kp->priv));
	return vx_noise_keypair_from_private(kp, kp->priv);
}

void vx_noise_keypair_wipe(struct vx_noise_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

/* ---- HMAC-HASH and HKDF (section 4.3) ----------------------------------------- */

/*
 * RFC 2104 with B = 128: H((K ^ opad) || H((K ^ ipad) || data)), K zero-padded
 * to B (hashed first if longer). The data comes in two parts so that HKDF's
 * "output1 || byte(0x02)" needs no copy.
 */
static void hmac2(const uint8_t *key, size_t key_len, const void *a, size_t a_len,
		  const void *b, size_t b_len, uint8_t out[VX_NOISE_HASH_BYTES])
{
	crypto_generichash_state st;
	uint8_t k[BLOCKLEN] = { 0 }, pad[BLOCKLEN], inner[VX_NOISE_HASH_BYTES];

	if (key_len > BLOCKLEN)
		crypto_generichash(k, VX_NOISE_HASH_BYTES, key, key_len, NULL, 0);
	else if (key_len)
		memcpy(k, key, key_len);

	for (size_t i = 0; i < BLOCKLEN; i++)
		pad[i] = k[i] ^ 0x36;
	crypto_generichash_init(&st, NULL, 0, VX_NOISE_HASH_BYTES);
	crypto_generichash_update(&st, pad, BLOCKLEN);
	crypto_generichash_update(&st, a, a_len);
	crypto_generichash_update(&st, b, b_len);
	crypto_generichash_final(&st, inner, VX_NOISE_HASH_BYTES);

	for (size_t i = 0; i < BLOCKLEN; i++)
		pad[i] = k[i] ^ 0x5c;
	crypto_generichash_init(&st, NULL, 0, VX_NOISE_HASH_BYTES);
	crypto_generichash_update(&st, pad, BLOCKLEN);
	crypto_generichash_update(&st, inner, VX_NOISE_HASH_BYTES);
	crypto_generichash_final(&st, out, VX_NOISE_HASH_BYTES);

	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

void vx_noise_hmac(const uint8_t *key, size_t key_len, const void *data, size_t data_len,
		   uint8_t *out)
{
	hmac2(key, key_len, data, data_len, NULL, 0, out);
}

void vx_noise_hkdf(const uint8_t *ck, const void *ikm, size_t ikm_len, unsigned outputs,
		   uint8_t *out1, uint8_t *out2, uint8_t *out3)
{
	static const uint8_t one = 0x01, two = 0x02, three = 0x03;
	uint8_t temp_key[VX_NOISE_HASH_BYTES];

	assert(outputs == 2 || outputs == 3);
	hmac2(ck, VX_NOISE_HASH_BYTES, ikm, ikm_len, NULL, 0, temp_key);
	hmac2(temp_key, sizeof(temp_key), &one, 1, NULL, 0, out1);
	hmac2(temp_key, sizeof(temp_key), out1, VX_NOISE_HASH_BYTES, &two, 1, out2);
	if (outputs == 3)
		hmac2(temp_key, sizeof(temp_key), out2, VX_NOISE_HASH_BYTES, &three, 1, out3);
	sodium_memzero(temp_key, sizeof(temp_key));
}

/* ---- CipherState (section 5.1) ------------------------------------------------ */

/* Section 12.3: 32 bits of zeros, then the 64-bit nonce little-endian. */
static void nonce_bytes(uint8_t out[12], uint64_t n)
{
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

int vx_noise_cipher_init(struct vx_noise_cipher *cs, const uint8_t *key)
{
	int ret = sodium_ready();

	if (ret < 0)
		return ret;
	vx_noise_cipher_wipe(cs);
	if (key) {
		memcpy(cs->key, key, sizeof(cs->key));
		cs->has_key = true;
	}
	return 0;
}

void vx_noise_cipher_wipe(struct vx_noise_cipher *cs)
{
	sodium_memzero(cs, sizeof(*cs));
}

bool vx_noise_cipher_has_key(const struct vx_noise_cipher *cs)
{
	return cs->has_key;
}

void vx_noise_cipher_set_nonce(struct vx_noise_cipher *cs, uint64_t n)
{
	cs->n = n;
}

/* ENCRYPT(k, n, ad, plaintext); the caller has checked key, nonce and sizes. */
static size_t encrypt_raw(const uint8_t key[VX_NOISE_KEY_BYTES], uint64_t n, const void *ad,
			  size_t ad_len, const void *in, size_t len, void *out)
{
	unsigned long long clen;
	uint8_t nonce[12];

	nonce_bytes(nonce, n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, in, len, ad, ad_len, NULL, nonce,
						  key);
	return (size_t)clen;
}

/* DECRYPT(k, n, ad, ciphertext); -EBADMSG is libsodium's -1, translated here. */
static ssize_t decrypt_raw(const uint8_t key[VX_NOISE_KEY_BYTES], uint64_t n, const void *ad,
			   size_t ad_len, const void *in, size_t len, void *out)
{
	unsigned long long mlen;
	uint8_t nonce[12];

	nonce_bytes(nonce, n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, in, len, ad, ad_len, nonce,
						      key) != 0)
		return -EBADMSG;
	return (ssize_t)mlen;
}

static int check_seal(const struct vx_noise_cipher *cs, uint64_t n, size_t len, size_t cap)
{
	if (!cs->has_key)
		return -ENOKEY;
	if (n > VX_NOISE_NONCE_MAX)
		return -EOVERFLOW;
	if (len > VX_NOISE_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < len + VX_NOISE_TAG_BYTES)
		return -ENOSPC;
	return 0;
}

static int check_open(const struct vx_noise_cipher *cs, uint64_t n, size_t len, size_t cap)
{
	if (!cs->has_key)
		return -ENOKEY;
	if (n > VX_NOISE_NONCE_MAX)
		return -EOVERFLOW;
	if (len < VX_NOISE_TAG_BYTES || len > VX_NOISE_MAX_MESSAGE)
		return -EINVAL;
	if (cap < len - VX_NOISE_TAG_BYTES)
		return -ENOSPC;
	return 0;
}

ssize_t vx_noise_cipher_seal(const struct vx_noise_cipher *cs, uint64_t nonce, const void *ad,
			     size_t ad_len, const void *in, size_t len, void *out, size_t cap)
{
	int ret = check_seal(cs, nonce, len, cap);

	if (ret < 0)
		return ret;
	return (ssize_t)encrypt_raw(cs->key, nonce, ad, ad_len, in, len, out);
}

ssize_t vx_noise_cipher_open(const struct vx_noise_cipher *cs, uint64_t nonce, const void *ad,
			     size_t ad_len, const void *in, size_t len, void *out, size_t cap)
{
	int ret = check_open(cs, nonce, len, cap);

	if (ret < 0)
		return ret;
	return decrypt_raw(cs->key, nonce, ad, ad_len, in, len, out);
}

ssize_t vx_noise_cipher_encrypt(struct vx_noise_cipher *cs, const void *ad, size_t ad_len,
				const void *in, size_t len, void *out, size_t cap)
{
	ssize_t ret = vx_noise_cipher_seal(cs, cs->n, ad, ad_len, in, len, out, cap);

	if (ret >= 0)
		cs->n++;
	return ret;
}

ssize_t vx_noise_cipher_decrypt(struct vx_noise_cipher *cs, const void *ad, size_t ad_len,
				const void *in, size_t len, void *out, size_t cap)
{
	ssize_t ret = vx_noise_cipher_open(cs, cs->n, ad, ad_len, in, len, out, cap);

	if (ret >= 0)
		cs->n++;
	return ret;
}

int vx_noise_cipher_rekey(struct vx_noise_cipher *cs)
{
	static const uint8_t zeros[VX_NOISE_KEY_BYTES];
	uint8_t out[VX_NOISE_KEY_BYTES + VX_NOISE_TAG_BYTES];

	if (!cs->has_key)
		return -ENOKEY;
	encrypt_raw(cs->key, UINT64_MAX, NULL, 0, zeros, sizeof(zeros), out);
	memcpy(cs->key, out, VX_NOISE_KEY_BYTES);
	sodium_memzero(out, sizeof(out));
	return 0;
}

/* ---- handshake patterns (sections 7 and 9) ------------------------------------ */

enum token { END = 0, E, S, EE, ES, SE, SS, PSK };

#define MAX_TOKENS 8 /* IX's five, plus psk0 and pskN on one message, plus END */

/*
 * Pre-messages: [0] the initiator's keys the responder knows in advance ("-> s"),
 * [1] the responder's ("<- s"). Messages alternate, the initiator's first, so
 * their direction is their index's parity. Each row reads as the spec's text.
 */
struct pattern {
	const char *name;
	uint8_t pre[2][3];
	uint8_t msg[VX_NOISE_MAX_MESSAGES][6];
};

static const struct pattern patterns[] = {
	/* 7.4 one-way */
	{ "N",    { { 0 }, { S } }, { { E, ES } } },
	{ "K",    { { S }, { S } }, { { E, ES, SS } } },
	{ "X",    { { 0 }, { S } }, { { E, ES, S, SS } } },
	/* 7.5 interactive, fundamental */
	{ "NN",   { { 0 }, { 0 } }, { { E }, { E, EE } } },
	{ "NK",   { { 0 }, { S } }, { { E, ES }, { E, EE } } },
	{ "NX",   { { 0 }, { 0 } }, { { E }, { E, EE, S, ES } } },
	{ "KN",   { { S }, { 0 } }, { { E }, { E, EE, SE } } },
	{ "KK",   { { S }, { S } }, { { E, ES, SS }, { E, EE, SE } } },
	{ "KX",   { { S }, { 0 } }, { { E }, { E, EE, SE, S, ES } } },
	{ "XN",   { { 0 }, { 0 } }, { { E }, { E, EE }, { S, SE } } },
	{ "XK",   { { 0 }, { S } }, { { E, ES }, { E, EE }, { S, SE } } },
	{ "XX",   { { 0 }, { 0 } }, { { E }, { E, EE, S, ES }, { S, SE } } },
	{ "IN",   { { 0 }, { 0 } }, { { E, S }, { E, EE, SE } } },
	{ "IK",   { { 0 }, { S } }, { { E, ES, S, SS }, { E, EE, SE } } },
	{ "IX",   { { 0 }, { 0 } }, { { E, S }, { E, EE, SE, S, ES } } },
	/* 7.6 interactive, deferred */
	{ "NK1",  { { 0 }, { S } }, { { E }, { E, EE, ES } } },
	{ "NX1",  { { 0 }, { 0 } }, { { E }, { E, EE, S }, { ES } } },
	{ "X1N",  { { 0 }, { 0 } }, { { E }, { E, EE }, { S }, { SE } } },
	{ "X1K",  { { 0 }, { S } }, { { E, ES }, { E, EE }, { S }, { SE } } },
	{ "XK1",  { { 0 }, { S } }, { { E }, { E, EE, ES }, { S, SE } } },
	{ "X1K1", { { 0 }, { S } }, { { E }, { E, EE, ES }, { S }, { SE } } },
	{ "X1X",  { { 0 }, { 0 } }, { { E }, { E, EE, S, ES }, { S }, { SE } } },
	{ "XX1",  { { 0 }, { 0 } }, { { E }, { E, EE, S }, { ES, S, SE } } },
	{ "X1X1", { { 0 }, { 0 } }, { { E }, { E, EE, S }, { ES, S }, { SE } } },
	{ "K1N",  { { S }, { 0 } }, { { E }, { E, EE }, { SE } } },
	{ "K1K",  { { S }, { S } }, { { E, ES }, { E, EE }, { SE } } },
	{ "KK1",  { { S }, { S } }, { { E }, { E, EE, SE, ES } } },
	{ "K1K1", { { S }, { S } }, { { E }, { E, EE, ES }, { SE } } },
	{ "K1X",  { { S }, { 0 } }, { { E }, { E, EE, S, ES }, { SE } } },
	{ "KX1",  { { S }, { 0 } }, { { E }, { E, EE, SE, S }, { ES } } },
	{ "K1X1", { { S }, { 0 } }, { { E }, { E, EE, S }, { SE, ES } } },
	{ "I1N",  { { 0 }, { 0 } }, { { E, S }, { E, EE }, { SE } } },
	{ "I1K",  { { 0 }, { S } }, { { E, ES, S }, { E, EE }, { SE } } },
	{ "IK1",  { { 0 }, { S } }, { { E, S }, { E, EE, SE, ES } } },
	{ "I1K1", { { 0 }, { S } }, { { E, S }, { E, EE, ES }, { SE } } },
	{ "I1X",  { { 0 }, { 0 } }, { { E, S }, { E, EE, S, ES }, { SE } } },
	{ "IX1",  { { 0 }, { 0 } }, { { E, S }, { E, EE, SE, S }, { ES } } },
	{ "I1X1", { { 0 }, { 0 } }, { { E, S }, { E, EE, S }, { SE, ES } } },
};

/* A pattern with its modifiers applied: what a handshake runs. */
struct plan {
	uint8_t pre[2][3];
	uint8_t msg[VX_NOISE_MAX_MESSAGES][MAX_TOKENS];
	unsigned messages, psks;
	bool psk_mode; /* any psk modifier: "e" also calls MixKey (section 9.2) */
};

static size_t tokens_len(const uint8_t *t)
{
	size_t n = 0;

	while (t[n] != END)
		n++;
	return n;
}

static int parse_modifiers(const char *p, size_t len, struct plan *plan)
{
	unsigned seen = 0;

	while (len > 0) {
		const char *plus = memchr(p, '+', len);
		size_t n = plus ? (size_t)(plus - p) : len;
		unsigned k;

		if (n < 3 || memcmp(p, "psk", 3) != 0) {
			/* fallback, hfs and the like are modifiers we do not do. */
			bool word = n > 0;

			for (size_t i = 0; i < n; i++)
				word = word && p[i] >= 'a' && p[i] <= 'z';
			return word ? -ENOTSUP : -EINVAL;
		}
		if (n != 4 || p[3] < '0' || p[3] > '9')
			return -EINVAL;
		k = (unsigned)(p[3] - '0');
		if (k > plan->messages || (seen & (1u << k)))
			return -EINVAL;
		seen |= 1u << k;
		if (k == 0) {
			uint8_t *m = plan->msg[0];

			memmove(m + 1, m, tokens_len(m) + 1);
			m[0] = PSK;
		} else {
			uint8_t *m = plan->msg[k - 1];
			size_t t = tokens_len(m);

			m[t] = PSK;
			m[t + 1] = END;
		}
		plan->psks++;
		plan->psk_mode = true;
		if (!plus)
			break;
		len -= n + 1;
		p += n + 1;
		if (len == 0)
			return -EINVAL; /* a trailing '+' */
	}
	return 0;
}

/* "Noise_<pattern>_<dh>_<cipher>_<hash>" into a plan; the suite must be ours. */
static int parse_name(const char *name, struct plan *plan)
{
	const char *f[4], *p;
	size_t flen[4], base;
	const struct pattern *pat = NULL;
	int nf = 0, ret;

	if (!name || strnlen(name, 256) > 255 || strncmp(name, "Noise_", 6) != 0)
		return -EINVAL;
	for (p = name + 6;;) {
		const char *end = strchr(p, '_');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (nf == 4 || len == 0)
			return -EINVAL;
		f[nf] = p;
		flen[nf++] = len;
		if (!end)
			break;
		p = end + 1;
	}
	if (nf != 4)
		return -EINVAL;

	/* The pattern's name is capitals and digits; modifiers follow in lower case. */
	for (base = 0; base < flen[0]; base++) {
		char c = f[0][base];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			break;
	}
	if (base == 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (strlen(patterns[i].name) == base && memcmp(patterns[i].name, f[0], base) == 0)
			pat = &patterns[i];
	if (!pat)
		return -ENOTSUP;

	memset(plan, 0, sizeof(*plan));
	memcpy(plan->pre, pat->pre, sizeof(plan->pre));
	for (unsigned m = 0; m < VX_NOISE_MAX_MESSAGES && pat->msg[m][0] != END; m++) {
		memcpy(plan->msg[m], pat->msg[m], sizeof(pat->msg[m]));
		plan->messages = m + 1;
	}
	ret = parse_modifiers(f[0] + base, flen[0] - base, plan);
	if (ret < 0)
		return ret;

	if (flen[1] != 5 || memcmp(f[1], "25519", 5) != 0)
		return -ENOTSUP;
	if (flen[2] != 10 || memcmp(f[2], "ChaChaPoly", 10) != 0)
		return -ENOTSUP;
	if (flen[3] != 7 || memcmp(f[3], "BLAKE2b", 7) != 0)
		return -ENOTSUP;
	return 0;
}

int vx_noise_protocol_parse(const char *name, struct vx_noise_info *info)
{
	struct plan plan;
	int ret = parse_name(name, &plan);

	if (ret < 0)
		return ret;
	if (info) {
		info->messages = plan.messages;
		info->psks = plan.psks;
		info->one_way = plan.messages == 1;
	}
	return 0;
}

/* ---- SymmetricState (section 5.2) --------------------------------------------- */

struct symmetric {
	uint8_t ck[VX_NOISE_HASH_BYTES];
	uint8_t h[VX_NOISE_HASH_BYTES];
	struct vx_noise_cipher cs;
};

static void mix_hash(struct symmetric *ss, const void *data, size_t len)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, VX_NOISE_HASH_BYTES);
	crypto_generichash_update(&st, ss->h, sizeof(ss->h));
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, ss->h, sizeof(ss->h));
	sodium_memzero(&st, sizeof(st)); /* it has seen PSK-derived hash inputs */
}

static void initialize_symmetric(struct symmetric *ss, const char *name)
{
	size_t len = strlen(name);

	memset(ss, 0, sizeof(*ss));
	if (len <= VX_NOISE_HASH_BYTES)
		memcpy(ss->h, name, len); /* zero-padded to HASHLEN */
	else
		crypto_generichash(ss->h, sizeof(ss->h), (const uint8_t *)name, len, NULL, 0);
	memcpy(ss->ck, ss->h, sizeof(ss->ck));
}

/* HASHLEN is 64, so temp_k is truncated to the cipher's 32 bytes. */
static void mix_key(struct symmetric *ss, const uint8_t *ikm, size_t len)
{
	uint8_t ck[VX_NOISE_HASH_BYTES], k[VX_NOISE_HASH_BYTES];

	vx_noise_hkdf(ss->ck, ikm, len, 2, ck, k, NULL);
	memcpy(ss->ck, ck, sizeof(ck));
	memcpy(ss->cs.key, k, VX_NOISE_KEY_BYTES);
	ss->cs.has_key = true;
	ss->cs.n = 0;
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(k, sizeof(k));
}

static void mix_key_and_hash(struct symmetric *ss, const uint8_t *ikm, size_t len)
{
	uint8_t ck[VX_NOISE_HASH_BYTES], th[VX_NOISE_HASH_BYTES], k[VX_NOISE_HASH_BYTES];

	vx_noise_hkdf(ss->ck, ikm, len, 3, ck, th, k);
	memcpy(ss->ck, ck, sizeof(ck));
	mix_hash(ss, th, sizeof(th));
	memcpy(ss->cs.key, k, VX_NOISE_KEY_BYTES);
	ss->cs.has_key = true;
	ss->cs.n = 0;
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(th, sizeof(th));
	sodium_memzero(k, sizeof(k));
}

/* Returns the bytes written: len, or len + 16 once a key exists. */
static size_t encrypt_and_hash(struct symmetric *ss, const void *in, size_t len, uint8_t *out)
{
	size_t n = len;

	if (ss->cs.has_key) {
		/* A handshake sends a handful of messages: n cannot near 2^64-1. */
		n = encrypt_raw(ss->cs.key, ss->cs.n++, ss->h, sizeof(ss->h), in, len, out);
	} else if (len) {
		memcpy(out, in, len);
	}
	mix_hash(ss, out, n);
	return n;
}

/* @len includes the tag when a key exists; @out gets the plaintext. */
static int decrypt_and_hash(struct symmetric *ss, const uint8_t *in, size_t len, void *out)
{
	if (ss->cs.has_key) {
		if (decrypt_raw(ss->cs.key, ss->cs.n, ss->h, sizeof(ss->h), in, len, out) < 0)
			return -EBADMSG;
		ss->cs.n++;
	} else if (len) {
		memcpy(out, in, len);
	}
	mix_hash(ss, in, len);
	return 0;
}

/* ---- HandshakeState (section 5.3) --------------------------------------------- */

/* Everything a message changes, so that a failed read can be undone wholesale. */
struct progress {
	struct symmetric ss;
	struct vx_noise_keypair e;
	uint8_t re[VX_NOISE_DH_BYTES];
	uint8_t rs[VX_NOISE_DH_BYTES];
	bool has_e, has_re, has_rs;
	unsigned msg;      /* index of the next message */
	unsigned psk_next; /* index of the next PSK to mix */
};

struct vx_noise_handshake {
	struct progress st;      /* committed */
	struct progress work;    /* a message in progress, copied back on success */
	struct vx_noise_keypair s;
	uint8_t psks[VX_NOISE_MAX_PSKS][VX_NOISE_KEY_BYTES];
	struct vx_noise_cipher c1, c2;
	struct plan plan;
	bool initiator, has_s, split_done;
};

static bool my_turn(const struct vx_noise_handshake *hs, unsigned msg)
{
	return (msg % 2 == 0) == hs->initiator;
}

/* An ephemeral public key, sent, received or pre-known: MixHash(), and in psk
 * mode MixKey() too (the spec's section 9.2). */
static void mix_e(const struct vx_noise_handshake *hs, struct symmetric *ss, const uint8_t *pub)
{
	mix_hash(ss, pub, VX_NOISE_DH_BYTES);
	if (hs->plan.psk_mode)
		mix_key(ss, pub, VX_NOISE_DH_BYTES);
}

/* The spec's DH(), then MixKey(). */
static int mix_dh(struct progress *w, const struct vx_noise_keypair *local, const uint8_t *remote)
{
	uint8_t shared[VX_NOISE_DH_BYTES];
	int ret = 0;

	/* libsodium refuses an all-zero result: the peer sent a small-order point. */
	if (crypto_scalarmult_curve25519(shared, local->priv, remote) != 0)
		ret = -EBADMSG;
	else
		mix_key(&w->ss, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return ret;
}

static int dh_token(const struct vx_noise_handshake *hs, struct progress *w, uint8_t tok)
{
	/* es: the initiator's e with the responder's s, seen from either side. */
	bool local_s = tok == SS || (tok == ES) != hs->initiator;
	bool remote_s = tok == SS || (tok == ES) == hs->initiator;

	if (tok == EE)
		local_s = remote_s = false;
	assert(local_s ? hs->has_s : w->has_e);
	assert(remote_s ? w->has_rs : w->has_re);
	return mix_dh(w, local_s ? &hs->s : &w->e, remote_s ? w->rs : w->re);
}

/*
 * Bytes of the next message but its payload: the tokens' keys, and the tags of
 * its encrypted static and payload once a key exists (from the committed state).
 */
static size_t overhead(const struct vx_noise_handshake *hs)
{
	bool has_key = hs->st.ss.cs.has_key;
	size_t n = 0;

	for (const uint8_t *t = hs->plan.msg[hs->st.msg]; *t != END; t++) {
		switch (*t) {
		case E:
			n += VX_NOISE_DH_BYTES;
			has_key = has_key || hs->plan.psk_mode;
			break;
		case S:
			n += VX_NOISE_DH_BYTES;
			if (has_key)
				n += VX_NOISE_TAG_BYTES;
			break;
		default: /* ee, es, se, ss, psk all call MixKey */
			has_key = true;
			break;
		}
	}
	return has_key ? n + VX_NOISE_TAG_BYTES : n;
}

size_t vx_noise_message_size(const struct vx_noise_handshake *hs, size_t payload_len)
{
	if (hs->st.msg >= hs->plan.messages || !my_turn(hs, hs->st.msg))
		return 0;
	return overhead(hs) + payload_len;
}

bool vx_noise_handshake_is_complete(const struct vx_noise_handshake *hs)
{
	return hs->st.msg >= hs->plan.messages;
}

bool vx_noise_handshake_is_my_turn(const struct vx_noise_handshake *hs)
{
	return !vx_noise_handshake_is_complete(hs) && my_turn(hs, hs->st.msg);
}

/* After the last message: derive the transport keys, wipe what is no longer needed. */
static void finish(struct vx_noise_handshake *hs)
{
	uint8_t k1[VX_NOISE_HASH_BYTES], k2[VX_NOISE_HASH_BYTES];
	struct progress *st = &hs->st;

	vx_noise_hkdf(st->ss.ck, NULL, 0, 2, k1, k2, NULL);
	vx_noise_cipher_wipe(&hs->c1);
	vx_noise_cipher_wipe(&hs->c2);
	memcpy(hs->c1.key, k1, VX_NOISE_KEY_BYTES);
	hs->c1.has_key = true;
	/* One-way patterns: the spec discards the second cipher. */
	if (hs->plan.messages > 1) {
		memcpy(hs->c2.key, k2, VX_NOISE_KEY_BYTES);
		hs->c2.has_key = true;
	}
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	sodium_memzero(st->ss.ck, sizeof(st->ss.ck));
	vx_noise_cipher_wipe(&st->ss.cs);
	vx_noise_keypair_wipe(&st->e);
	vx_noise_keypair_wipe(&hs->s);
	sodium_memzero(hs->psks, sizeof(hs->psks));
}

/* Make the work copy the committed state; always leave the work copy wiped. */
static void commit(struct vx_noise_handshake *hs, int ret)
{
	if (ret >= 0) {
		hs->st = hs->work;
		if (vx_noise_handshake_is_complete(hs))
			finish(hs);
	}
	sodium_memzero(&hs->work, sizeof(hs->work));
}

static int write_tokens(struct vx_noise_handshake *hs, struct progress *w, uint8_t *p,
			size_t *n)
{
	int ret;

	for (const uint8_t *t = hs->plan.msg[w->msg]; *t != END; t++) {
		switch (*t) {
		case E:
			if (!w->has_e) {
				ret = vx_noise_keypair_generate(&w->e);
				if (ret < 0)
					return ret;
				w->has_e = true;
			}
			memcpy(p + *n, w->e.pub, VX_NOISE_DH_BYTES);
			*n += VX_NOISE_DH_BYTES;
			mix_e(hs, &w->ss, w->e.pub);
			break;
		case S:
			assert(hs->has_s);
			*n += encrypt_and_hash(&w->ss, hs->s.pub, VX_NOISE_DH_BYTES, p + *n);
			break;
		case PSK:
			mix_key_and_hash(&w->ss, hs->psks[w->psk_next++], VX_NOISE_KEY_BYTES);
			break;
		default:
			ret = dh_token(hs, w, *t);
			if (ret < 0)
				return ret;
			break;
		}
	}
	return 0;
}

ssize_t vx_noise_write_message(struct vx_noise_handshake *hs, const void *payload, size_t len,
			       void *out, size_t cap)
{
	struct progress *w = &hs->work;
	size_t need, n = 0;
	int ret;

	if (!vx_noise_handshake_is_my_turn(hs))
		return -EINVAL;
	need = vx_noise_message_size(hs, len);
	if (need > VX_NOISE_MAX_MESSAGE)
		return -EMSGSIZE;
	if (need > cap)
		return -ENOSPC;

	*w = hs->st;
	ret = write_tokens(hs, w, out, &n);
	if (ret >= 0) {
		n += encrypt_and_hash(&w->ss, payload, len, (uint8_t *)out + n);
		assert(n == need);
		w->msg++;
	}
	commit(hs, ret);
	return ret < 0 ? ret : (ssize_t)n;
}

static int read_tokens(struct vx_noise_handshake *hs, struct progress *w, const uint8_t *p,
		       size_t *n)
{
	int ret;

	for (const uint8_t *t = hs->plan.msg[w->msg]; *t != END; t++) {
		switch (*t) {
		case E:
			memcpy(w->re, p + *n, VX_NOISE_DH_BYTES);
			w->has_re = true;
			*n += VX_NOISE_DH_BYTES;
			mix_e(hs, &w->ss, w->re);
			break;
		case S: {
			size_t sl = w->ss.cs.has_key ? VX_NOISE_DH_BYTES + VX_NOISE_TAG_BYTES
						     : VX_NOISE_DH_BYTES;

			ret = decrypt_and_hash(&w->ss, p + *n, sl, w->rs);
			if (ret < 0)
				return ret;
			w->has_rs = true;
			*n += sl;
			break;
		}
		case PSK:
			mix_key_and_hash(&w->ss, hs->psks[w->psk_next++], VX_NOISE_KEY_BYTES);
			break;
		default:
			ret = dh_token(hs, w, *t);
			if (ret < 0)
				return ret;
			break;
		}
	}
	return 0;
}

ssize_t vx_noise_read_message(struct vx_noise_handshake *hs, const void *msg, size_t len,
			      void *payload, size_t cap)
{
	struct progress *w = &hs->work;
	size_t fixed, plen, n = 0;
	int ret;

	if (vx_noise_handshake_is_complete(hs) || vx_noise_handshake_is_my_turn(hs))
		return -EINVAL;
	/* The keys' and tags' sizes are known before any work: check them first. */
	fixed = overhead(hs);
	if (len < fixed || len > VX_NOISE_MAX_MESSAGE)
		return -EINVAL;
	plen = len - fixed;
	if (plen > cap)
		return -ENOSPC;

	*w = hs->st;
	ret = read_tokens(hs, w, msg, &n);
	if (ret >= 0)
		ret = decrypt_and_hash(&w->ss, (const uint8_t *)msg + n, len - n, payload);
	if (ret >= 0)
		w->msg++;
	commit(hs, ret);
	return ret < 0 ? ret : (ssize_t)plen;
}

/* Which keys the pattern needs at the start: its pre-messages, and our static. */
static int check_keys(const struct plan *plan, const struct vx_noise_config *cfg)
{
	unsigned me = cfg->initiator ? 0 : 1;
	bool need_s = false, need_rs = false, need_re = false, need_e = false;

	for (const uint8_t *t = plan->pre[me]; *t != END; t++) {
		need_s = need_s || *t == S;
		need_e = need_e || *t == E;
	}
	for (const uint8_t *t = plan->pre[!me]; *t != END; t++) {
		need_rs = need_rs || *t == S;
		need_re = need_re || *t == E;
	}
	for (unsigned m = 0; m < plan->messages; m++)
		for (const uint8_t *t = plan->msg[m]; *t != END; t++) {
			bool mine = (m % 2) == me;

			if (*t == SS || (*t == S && mine) || (*t == ES && me == 1) ||
			    (*t == SE && me == 0))
				need_s = true;
		}
	if ((need_s && !cfg->s) || (need_e && !cfg->e))
		return -EINVAL;
	if (need_rs != (cfg->rs != NULL) || need_re != (cfg->re != NULL))
		return -EINVAL;
	if (cfg->psk_count != plan->psks || (cfg->psk_count && !cfg->psks))
		return -EINVAL;
	return 0;
}

/* A pre-message: MixHash() of each public key, plus MixKey() in psk mode (9.2). */
static void mix_premessage(struct vx_noise_handshake *hs, unsigned who)
{
	struct progress *st = &hs->st;
	bool mine = who == (hs->initiator ? 0u : 1u);

	for (const uint8_t *t = hs->plan.pre[who]; *t != END; t++) {
		const uint8_t *key;

		if (*t == E)
			key = mine ? st->e.pub : st->re;
		else
			key = mine ? hs->s.pub : st->rs;
		if (*t == E)
			mix_e(hs, &st->ss, key);
		else
			mix_hash(&st->ss, key, VX_NOISE_DH_BYTES);
	}
}

int vx_noise_handshake_create(struct vx_noise_handshake **out, const struct vx_noise_config *cfg)
{
	struct vx_noise_handshake *hs;
	struct plan plan;
	int ret;

	ret = parse_name(cfg->protocol, &plan);
	if (ret < 0)
		return ret;
	ret = check_keys(&plan, cfg);
	if (ret < 0)
		return ret;
	if (cfg->prologue_len && !cfg->prologue)
		return -EINVAL;
	ret = sodium_ready();
	if (ret < 0)
		return ret;

	/* Guarded, locked memory: keys stay out of swap and core dumps, and
	 * sodium_free() wipes it. */
	hs = sodium_malloc(sizeof(*hs));
	if (!hs)
		return -ENOMEM;
	memset(hs, 0, sizeof(*hs));
	hs->plan = plan;
	hs->initiator = cfg->initiator;
	if (cfg->s) {
		hs->s = *cfg->s;
		hs->has_s = true;
	}
	if (cfg->e) {
		hs->st.e = *cfg->e;
		hs->st.has_e = true;
	}
	if (cfg->rs) {
		memcpy(hs->st.rs, cfg->rs, VX_NOISE_DH_BYTES);
		hs->st.has_rs = true;
	}
	if (cfg->re) {
		memcpy(hs->st.re, cfg->re, VX_NOISE_DH_BYTES);
		hs->st.has_re = true;
	}
	if (cfg->psk_count)
		memcpy(hs->psks, cfg->psks, cfg->psk_count * VX_NOISE_KEY_BYTES);

	initialize_symmetric(&hs->st.ss, cfg->protocol);
	mix_hash(&hs->st.ss, cfg->prologue, cfg->prologue_len);
	mix_premessage(hs, 0);
	mix_premessage(hs, 1);
	*out = hs;
	return 0;
}

void vx_noise_handshake_destroy(struct vx_noise_handshake *hs)
{
	if (hs)
		sodium_free(hs); /* zeroes the whole allocation first */
}

int vx_noise_split(struct vx_noise_handshake *hs, struct vx_noise_cipher *c1,
		   struct vx_noise_cipher *c2)
{
	if (!vx_noise_handshake_is_complete(hs))
		return -EAGAIN;
	if (hs->split_done)
		return -EALREADY;
	*c1 = hs->c1;
	*c2 = hs->c2;
	vx_noise_cipher_wipe(&hs->c1);
	vx_noise_cipher_wipe(&hs->c2);
	hs->split_done = true;
	return 0;
}

int vx_noise_handshake_hash(const struct vx_noise_handshake *hs, uint8_t *out)
{
	if (!vx_noise_handshake_is_complete(hs))
		return -EAGAIN;
	memcpy(out, hs->st.ss.h, VX_NOISE_HASH_BYTES);
	return 0;
}

int vx_noise_remote_static(const struct vx_noise_handshake *hs, uint8_t *out)
{
	if (!hs->st.has_rs)
		return -ENOENT;
	memcpy(out, hs->st.rs, VX_NOISE_DH_BYTES);
	return 0;
}
