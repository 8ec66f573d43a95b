// SPDX-License-Identifier: MIT
/*
 * Noise IK handshakes and transport packets, against the libsodium calls beneath.
 *
 * Cases:
 *   x25519/scalarmult, x25519/base   one X25519 DH, one public key from a private one;
 *   ik/handshake          one full IK round per op: initiator write, responder
 *                         read, responder write, initiator read (fresh ephemerals
 *                         from the CSPRNG); the handles are created untimed;
 *   ik/create+handshake   the same plus creating and destroying both handles;
 *   libsodium/seal+open/N crypto_aead_chacha20poly1305_ietf encrypt + decrypt of an
 *                         N-byte payload with an 8-byte header as AD: the floor;
 *   noise/seal+open/N     vx_noise_cipher_seal + vx_noise_cipher_open, same work,
 *                         explicit 64-bit nonces as the transport will send them.
 * N = 64, 160 (a 20 ms Opus voice packet at 64 kb/s) and 1200 bytes.
 *
 * The harness's p99 is over repetitions of many handshakes; the ik/handshake row
 * also notes the distribution of single handshakes (hs_med_us, hs_p99_us,
 * hs_max_us) timed one by one beforehand; each noise/seal+open row notes the
 * median ratio to libsodium over short alternating batches timed in thread CPU
 * time (robust to a busy machine, unlike two rows timed seconds apart). Ratios closing the run: the handshake
 * over its DH floor (an IK round costs 8 DH and 2 public-key derivations, so the
 * rest is hashing, AEAD and bookkeeping), the wrapper over raw libsodium, and a
 * voice packet's seal+open as a share of its 20 ms frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "algorithms/hash.h"
#include "bench/harness.h"
#include "transport/noise.h"

#define MAX_PAIRS 1000

/* ---- X25519 floor ----------------------------------------------------------------- */

struct dh_ctx {
	uint8_t priv[32], pub[32], out[32];
};

static void dh_run(void *p, uint64_t ops)
{
	struct dh_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		if (crypto_scalarmult(c->out, c->priv, c->pub) != 0)
			vx_bench_die("crypto_scalarmult");
		c->priv[0] ^= c->out[0]; /* chain, so no call can be skipped */
	}
}

static void base_run(void *p, uint64_t ops)
{
	struct dh_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		crypto_scalarmult_base(c->out, c->priv);
		c->priv[0] ^= c->out[0];
	}
}

/* ---- IK handshakes ------------------------------------------------------------------ */

struct ik_ctx {
	struct vx_noise_keypair si, sr;
	struct vx_noise_handshake *init[MAX_PAIRS], *resp[MAX_PAIRS];
	uint64_t ops;
};

static void ik_make(struct ik_ctx *c, size_t i)
{
	struct vx_noise_config ci = { .protocol = "Noise_IK_25519_ChaChaPoly_BLAKE2b",
				      .initiator = true, .prologue = "vox1", .prologue_len = 4,
				      .s = &c->si, .rs = c->sr.pub };
	struct vx_noise_config cr = { .protocol = "Noise_IK_25519_ChaChaPoly_BLAKE2b",
				      .prologue = "vox1", .prologue_len = 4, .s = &c->sr };

	if (vx_noise_handshake_create(&c->init[i], &ci) < 0 ||
	    vx_noise_handshake_create(&c->resp[i], &cr) < 0)
		vx_bench_die("vx_noise_handshake_create");
}

static void ik_free(struct ik_ctx *c)
{
	for (size_t i = 0; i < MAX_PAIRS; i++) {
		vx_noise_handshake_destroy(c->init[i]);
		vx_noise_handshake_destroy(c->resp[i]);
		c->init[i] = c->resp[i] = NULL;
	}
}

/* One full round; the payloads are what vox would send (a small hello each way). */
static void ik_round(struct vx_noise_handshake *hi, struct vx_noise_handshake *hr)
{
	uint8_t msg[256], payload[64];
	ssize_t n;

	n = vx_noise_write_message(hi, "vox hello", 9, msg, sizeof(msg));
	if (n < 0 || vx_noise_read_message(hr, msg, (size_t)n, payload, sizeof(payload)) != 9)
		vx_bench_die("IK message 1");
	n = vx_noise_write_message(hr, "vox ok", 6, msg, sizeof(msg));
	if (n < 0 || vx_noise_read_message(hi, msg, (size_t)n, payload, sizeof(payload)) != 6)
		vx_bench_die("IK message 2");
}

static void ik_setup(void *p)
{
	struct ik_ctx *c = p;

	ik_free(c);
	for (size_t i = 0; i < c->ops; i++)
		ik_make(c, i);
}

static void ik_run(void *p, uint64_t ops)
{
	struct ik_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++)
		ik_round(c->init[i], c->resp[i]);
}

static void ik_full_run(void *p, uint64_t ops)
{
	struct ik_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		ik_make(c, 0);
		ik_round(c->init[0], c->resp[0]);
		vx_noise_handshake_destroy(c->init[0]);
		vx_noise_handshake_destroy(c->resp[0]);
		c->init[0] = c->resp[0] = NULL;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Single handshakes timed one by one: median, p99 (nearest rank) and max, in us. */
static void note_single_handshakes(struct vx_bench *b, struct ik_ctx *c, size_t n)
{
	uint64_t t[MAX_PAIRS];

	for (size_t i = 0; i < n; i++) {
		uint64_t start;

		ik_make(c, 0);
		start = vx_bench_now_ns();
		ik_round(c->init[0], c->resp[0]);
		t[i] = vx_bench_now_ns() - start;
		vx_noise_handshake_destroy(c->init[0]);
		vx_noise_handshake_destroy(c->resp[0]);
		c->init[0] = c->resp[0] = NULL;
	}
	qsort(t, n, sizeof(t[0]), cmp_u64);
	vx_bench_note(b, "hs_n", (double)n);
	vx_bench_note(b, "hs_med_us", (double)t[n / 2] / 1e3);
	vx_bench_note(b, "hs_p99_us", (double)t[(99 * n + 99) / 100 - 1] / 1e3);
	vx_bench_note(b, "hs_max_us", (double)t[n - 1] / 1e3);
}

/* ---- transport packets ---------------------------------------------------------------- */

struct pkt_ctx {
	struct vx_noise_cipher cs;
	size_t len;
	uint8_t hdr[8];
	uint8_t pt[1200], ct[1200 + 16], back[1200];
	uint64_t nonce;
};

static void sodium_run(void *p, uint64_t ops)
{
	struct pkt_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		uint8_t npub[12] = { 0 };
		unsigned long long clen, mlen;
		uint64_t n = c->nonce++;

		for (int k = 0; k < 8; k++)
			npub[4 + k] = (uint8_t)(n >> (8 * k));
		crypto_aead_chacha20poly1305_ietf_encrypt(c->ct, &clen, c->pt, c->len, c->hdr, 8,
							  NULL, npub, c->cs.key);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(c->back, &mlen, NULL, c->ct, clen,
							      c->hdr, 8, npub, c->cs.key) != 0)
			vx_bench_die("libsodium open");
	}
	vx_bench_keep(c->back[0]);
}

static void noise_run(void *p, uint64_t ops)
{
	struct pkt_ctx *c = p;

	for (uint64_t i = 0; i < ops; i++) {
		uint64_t n = c->nonce++;
		ssize_t clen = vx_noise_cipher_seal(&c->cs, n, c->hdr, 8, c->pt, c->len, c->ct,
						    sizeof(c->ct));

		if (clen < 0 || vx_noise_cipher_open(&c->cs, n, c->hdr, 8, c->ct, (size_t)clen,
						     c->back, sizeof(c->back)) != (ssize_t)c->len)
			vx_bench_die("noise seal/open");
	}
	vx_bench_keep(c->back[0]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The wrapper's cost over libsodium is a few percent at most, less than the drift
 * of a shared machine between two rows; so time the two alternately in short
 * batches and note the median of the per-batch ratios beside the rows.
 */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double note_interleaved_ratio(struct vx_bench *b, struct pkt_ctx *c, unsigned rounds)
{
	double r[201];

	if (rounds > 201)
		rounds = 201;
	for (unsigned i = 0; i < rounds; i++) {
		bool noise_first = i % 2; /* neither side always runs on a cold start */
		uint64_t t0, t1, t2;

		t0 = cpu_ns();
		noise_first ? noise_run(c, 500) : sodium_run(c, 500);
		t1 = cpu_ns();
		noise_first ? sodium_run(c, 500) : noise_run(c, 500);
		t2 = cpu_ns();
		r[i] = noise_first ? (double)(t1 - t0) / (double)(t2 - t1)
				   : (double)(t2 - t1) / (double)(t1 - t0);
	}
	qsort(r, rounds, sizeof(r[0]), cmp_double);
	vx_bench_note(b, "vs_libsodium_interleaved", r[rounds / 2]);
	return r[rounds / 2];
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 64, 160, 1200 };
	struct vx_bench *b = vx_bench_start(argc, argv, "noise");
	bool quick = vx_bench_quick(b), json = false;
	uint64_t pkt_ops = quick ? 20000 : 200000, seed = 1;
	size_t singles = quick ? 100 : 1000;
	struct dh_ctx dh;
	struct ik_ctx *ik = calloc(1, sizeof(*ik));
	struct pkt_ctx pkt = { .hdr = "RTPhdr8" };
	double ns_dh, ns_base, ns_hs, ns_full, ns_raw[3], ns_noise[3], inter[3] = { 0 };
	uint8_t key[32];
	FILE *out;

	for (int i = 1; i < argc; i++)
		json = json || strcmp(argv[i], "--json") == 0;
	if (!ik || sodium_init() < 0)
		vx_bench_die("setup");
	if (vx_noise_keypair_generate(&ik->si) < 0 || vx_noise_keypair_generate(&ik->sr) < 0)
		vx_bench_die("vx_noise_keypair_generate");
	randombytes_buf(dh.priv, 32);
	crypto_scalarmult_base(dh.pub, dh.priv);

	ns_dh = vx_bench_run(b, &(struct vx_bench_case){ .name = "x25519/scalarmult",
							 .run = dh_run, .ctx = &dh, .ops = 2000 });
	ns_base = vx_bench_run(b, &(struct vx_bench_case){ .name = "x25519/base", .run = base_run,
							   .ctx = &dh, .ops = 2000 });

	ik->ops = quick ? 50 : 200;
	if (vx_bench_selected(b, "ik/handshake"))
		note_single_handshakes(b, ik, singles);
	ns_hs = vx_bench_run(b, &(struct vx_bench_case){ .name = "ik/handshake", .setup = ik_setup,
							 .run = ik_run, .ctx = ik, .ops = ik->ops });
	ik_free(ik);
	ns_full = vx_bench_run(b, &(struct vx_bench_case){ .name = "ik/create+handshake",
							   .run = ik_full_run, .ctx = ik,
							   .ops = ik->ops });

	for (size_t i = 0; i < sizeof(pkt.pt); i++)
		pkt.pt[i] = (uint8_t)vx_rand64(&seed);
	randombytes_buf(key, sizeof(key));
	if (vx_noise_cipher_init(&pkt.cs, key) < 0)
		vx_bench_die("vx_noise_cipher_init");
	for (size_t s = 0; s < 3; s++) {
		char name[64];

		pkt.len = sizes[s];
		snprintf(name, sizeof(name), "libsodium/seal+open/%zu", sizes[s]);
		ns_raw[s] = vx_bench_run(b, &(struct vx_bench_case){ .name = name, .run = sodium_run,
								     .ctx = &pkt, .ops = pkt_ops });
		snprintf(name, sizeof(name), "noise/seal+open/%zu", sizes[s]);
		vx_bench_note(b, "bytes", (double)sizes[s]);
		if (vx_bench_selected(b, name))
			inter[s] = note_interleaved_ratio(b, &pkt, quick ? 51 : 201);
		ns_noise[s] = vx_bench_run(b, &(struct vx_bench_case){ .name = name,
								       .run = noise_run, .ctx = &pkt,
								       .ops = pkt_ops });
	}

	out = json ? stderr : stdout;
	fprintf(out, "\n%-40s %-28s %10s\n", "case", "over", "ratio");
	if (ns_hs > 0 && ns_dh > 0 && ns_base > 0)
		fprintf(out, "%-40s %-28s %9.2fx\n", "ik/handshake", "8 DH + 2 base (floor)",
			ns_hs / (8 * ns_dh + 2 * ns_base));
	if (ns_hs > 0 && ns_full > 0)
		fprintf(out, "%-40s %-28s %9.2fx\n", "ik/create+handshake", "ik/handshake",
			ns_full / ns_hs);
	for (size_t s = 0; s < 3; s++)
		if (ns_raw[s] > 0 && ns_noise[s] > 0)
			fprintf(out, "noise/seal+open/%-24zu libsodium (rows)%-12s %9.3fx\n",
				sizes[s], "", ns_noise[s] / ns_raw[s]);
	for (size_t s = 0; s < 3; s++)
		if (inter[s] > 0)
			fprintf(out, "noise/seal+open/%-24zu libsodium (interleaved)%-5s %9.3fx\n",
				sizes[s], "", inter[s]);
	if (ns_noise[1] > 0)
		fprintf(out, "%-40s %-28s %9.2e\n", "noise/seal+open/160", "20 ms frame",
			ns_noise[1] / 20e6);
	if (json && ns_hs > 0 && ns_dh > 0 && ns_base > 0 && ns_noise[1] > 0 && inter[0] > 0 &&
	    inter[1] > 0 && inter[2] > 0)
		printf("{\"suite\":\"noise\",\"case\":\"ratios\",\"ik_over_dh_floor\":%.4f,"
		       "\"seal_open_64_over_libsodium\":%.4f,\"seal_open_160_over_libsodium\":%.4f,"
		       "\"seal_open_1200_over_libsodium\":%.4f,\"seal_open_160_over_frame\":%.3e}\n",
		       ns_hs / (8 * ns_dh + 2 * ns_base), inter[0], inter[1], inter[2],
		       ns_noise[1] / 20e6);

	vx_noise_cipher_wipe(&pkt.cs);
	ik_free(ik);
	free(ik);
	return vx_bench_finish(b);
}
