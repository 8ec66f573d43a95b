// SPDX-License-Identifier: MIT
/*
 * The secure session, two peers in memory on a virtual clock: no sockets, no
 * sleeps. Datagrams go from one session's seal()/poll() straight into the
 * other's open(), or are held back, reordered, damaged or dropped by the test.
 *
 * Linked with -Wl,--wrap=malloc,... (see the Makefile): the steady-state case
 * counts allocations made by our code while transport messages flow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "algorithms/hash.h"
#include "transport/session.h"

#define SEC 1000000000ull
#define MS  1000000ull

/* ---- allocation counting (--wrap) -------------------------------------------------- */

#include "tests/wrap_alloc.h"

/* ---- two peers ------------------------------------------------------------------- */

struct pair {
	struct vx_noise_keypair ka, kb;
	struct vx_session *a; /* initiator */
	struct vx_session *b; /* responder */
	uint64_t now;
};

static struct vx_session *make_session(const struct vx_noise_keypair *local, const uint8_t *peer,
				       bool initiator, uint64_t offset)
{
	struct vx_session_config cfg;
	struct vx_session *s;

	vx_session_config_default(&cfg);
	cfg.local = local;
	cfg.peer_public = peer;
	cfg.initiator = initiator;
	cfg.clock_offset_ns = offset;
	assert_int_equal(vx_session_create(&s, &cfg), 0);
	return s;
}

static void pair_create(struct pair *p)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(vx_noise_keypair_generate(&p->ka), 0);
	assert_int_equal(vx_noise_keypair_generate(&p->kb), 0);
	p->a = make_session(&p->ka, p->kb.pub, true, 1700000000 * SEC);
	p->b = make_session(&p->kb, p->ka.pub, false, 0);
	p->now = 5 * SEC;
}

static void pair_destroy(struct pair *p)
{
	vx_session_destroy(p->a);
	vx_session_destroy(p->b);
}

/* Deliver one datagram; expect it to be taken (>= 0). */
static ssize_t deliver(struct vx_session *to, uint64_t now, const uint8_t *buf, size_t len,
		       enum vx_session_kind *kind, uint8_t *out)
{
	ssize_t n = vx_session_open(to, now, buf, len, kind, out, VX_SESSION_MAX_PACKET);

	assert_true(n >= 0);
	return n;
}

/* Poll @from and deliver everything it has to @to; returns datagrams moved. */
static int pump(struct vx_session *from, struct vx_session *to, uint64_t now)
{
	uint8_t buf[VX_SESSION_MAX_PACKET], out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	ssize_t n;
	int moved = 0;

	while ((n = vx_session_poll(from, now, buf, sizeof(buf))) > 0) {
		deliver(to, now, buf, (size_t)n, &kind, out);
		moved++;
	}
	assert_int_equal(n, 0);
	return moved;
}

/* Initiation, response, keepalive: both sides can send afterwards. */
static void handshake(struct pair *p)
{
	assert_int_equal(pump(p->a, p->b, p->now), 1); /* initiation */
	assert_int_equal(pump(p->b, p->a, p->now), 1); /* response */
	assert_int_equal(pump(p->a, p->b, p->now), 1); /* keepalive: b confirms */
	assert_true(vx_session_is_established(p->a, p->now));
	assert_true(vx_session_is_established(p->b, p->now));
}

static size_t seal_seq(struct vx_session *s, uint64_t now, uint32_t seq, uint8_t *buf)
{
	uint8_t data[160];
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(seq * 31 + i);
	memcpy(data, &seq, sizeof(seq));
	n = vx_session_seal(s, now, VX_SESSION_RTP, data, sizeof(data), buf, VX_SESSION_MAX_PACKET);
	assert_int_equal(n, sizeof(data) + VX_SESSION_OVERHEAD);
	return (size_t)n;
}

static void open_seq(struct vx_session *s, uint64_t now, const uint8_t *buf, size_t len,
		     uint32_t seq)
{
	uint8_t out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	uint32_t got;
	ssize_t n = vx_session_open(s, now, buf, len, &kind, out, sizeof(out));

	assert_int_equal(n, 160);
	assert_int_equal(kind, VX_SESSION_RTP);
	memcpy(&got, out, sizeof(got));
	assert_int_equal(got, seq);
	assert_int_equal(out[159], (uint8_t)(seq * 31 + 159));
}

/* ---- cases ------------------------------------------------------------------------- */

static void test_session_seal_before_handshake_returns_enokey(void **state)
{
	struct pair p;
	uint8_t buf[VX_SESSION_MAX_PACKET];

	(void)state;
	pair_create(&p);
	assert_false(vx_session_is_established(p.a, p.now));
	assert_int_equal(vx_session_seal(p.a, p.now, VX_SESSION_RTP, "x", 1, buf, sizeof(buf)),
			 -ENOKEY);
	assert_int_equal(vx_session_next_timeout(p.a), 0); /* initiator: start now */
	assert_int_equal(vx_session_next_timeout(p.b), UINT64_MAX);
	assert_int_equal(vx_session_poll(p.b, p.now, buf, sizeof(buf)), 0);
	pair_destroy(&p);
}

static void test_session_responder_sends_only_after_confirmation(void **state)
{
	struct pair p;
	uint8_t buf[VX_SESSION_MAX_PACKET];

	(void)state;
	pair_create(&p);
	assert_int_equal(pump(p.a, p.b, p.now), 1);
	assert_int_equal(pump(p.b, p.a, p.now), 1);
	/* b has the keys but no proof that a does: it may not send yet. */
	assert_int_equal(vx_session_seal(p.b, p.now, VX_SESSION_RTP, "x", 1, buf, sizeof(buf)),
			 -ENOKEY);
	assert_true(vx_session_is_established(p.a, p.now));
	assert_int_equal(vx_session_next_timeout(p.a), 0); /* the keepalive */
	assert_int_equal(pump(p.a, p.b, p.now), 1);
	assert_true(vx_session_is_established(p.b, p.now));
	pair_destroy(&p);
}

static void test_session_10000_packets_each_way_with_reordering(void **state)
{
	static uint8_t held[64][VX_SESSION_MAX_PACKET];
	size_t len[64];
	uint64_t rng = 42;
	struct vx_session_stats st;
	struct pair p;

	(void)state;
	pair_create(&p);
	handshake(&p);
	for (int dir = 0; dir < 2; dir++) {
		struct vx_session *tx = dir ? p.b : p.a, *rx = dir ? p.a : p.b;

		/* Blocks of 64 delivered in a random order: the window takes them all. */
		for (uint32_t base = 0; base < 10000; base += 64) {
			uint32_t n = 10000 - base < 64 ? 10000 - base : 64, order[64];

			for (uint32_t i = 0; i < n; i++) {
				len[i] = seal_seq(tx, p.now, base + i, held[i]);
				order[i] = i;
			}
			for (uint32_t i = n - 1; i > 0; i--) {
				uint32_t j = (uint32_t)(vx_rand64(&rng) % (i + 1)), t = order[i];

				order[i] = order[j];
				order[j] = t;
			}
			for (uint32_t i = 0; i < n; i++)
				open_seq(rx, p.now, held[order[i]], len[order[i]], base + order[i]);
			p.now += 20 * MS;
		}
	}
	vx_session_stats(p.b, &st);
	assert_int_equal(st.rx_packets, 10000 + 1); /* and the keepalive */
	assert_int_equal(st.tx_packets, 10000);
	assert_int_equal(st.handshakes, 1);
	vx_session_stats(p.a, &st);
	assert_int_equal(st.rx_packets, 10000);
	assert_int_equal(st.tx_packets, 10000 + 1);
	pair_destroy(&p);
}

static void test_session_seal_and_open_do_not_allocate(void **state)
{
	uint8_t buf[VX_SESSION_MAX_PACKET];
	struct pair p;

	(void)state;
	pair_create(&p);
	handshake(&p);
	allocs = 0;
	allocs_armed = true;
	for (uint32_t i = 0; i < 1000; i++) {
		size_t n = seal_seq(p.a, p.now, i, buf);

		open_seq(p.b, p.now, buf, n, i);
		n = seal_seq(p.b, p.now, i, buf);
		open_seq(p.a, p.now, buf, n, i);
	}
	allocs_armed = false;
	assert_int_equal(allocs, 0);
	pair_destroy(&p);
}

/*
 * The bad-packet table. Each row builds one datagram that b must refuse, with
 * the return code and the one counter it must bump; afterwards every other
 * counter is as it was and a fresh packet from a still opens.
 */
struct fixture {
	struct pair p;
	uint8_t valid[VX_SESSION_MAX_PACKET]; /* sealed by a, never delivered */
	size_t valid_len;
	uint8_t old[VX_SESSION_MAX_PACKET];   /* sealed by a, delivered */
	size_t old_len;
	uint8_t init[VX_SESSION_INITIATION_BYTES]; /* the accepted initiation */
	struct pair other;                     /* another pair: other keys */
	struct vx_noise_keypair stranger;
};

static struct fixture fx;

static size_t copy_valid(uint8_t *b)
{
	memcpy(b, fx.valid, fx.valid_len);
	return fx.valid_len;
}

static size_t bad_tag(uint8_t *b)
{
	size_t n = copy_valid(b);

	b[n - 1] ^= 1;
	return n;
}

static size_t bad_ciphertext(uint8_t *b)
{
	size_t n = copy_valid(b);

	b[40] ^= 0x80;
	return n;
}

static size_t bad_counter(uint8_t *b)
{
	size_t n = copy_valid(b);

	b[14] ^= 1; /* the counter is the nonce and associated data */
	return n;
}

static size_t short_0(uint8_t *b) { (void)b; return 0; }
static size_t short_3(uint8_t *b) { copy_valid(b); return 3; }
static size_t short_header(uint8_t *b) { copy_valid(b); return 16; }
static size_t short_no_tag(uint8_t *b) { copy_valid(b); return VX_SESSION_OVERHEAD - 1; }
static size_t short_by_one(uint8_t *b) { return copy_valid(b) - 1; }

static size_t oversized(uint8_t *b)
{
	copy_valid(b);
	memset(b + fx.valid_len, 0, VX_SESSION_MAX_PACKET + 1 - fx.valid_len);
	return VX_SESSION_MAX_PACKET + 1;
}

static size_t replayed(uint8_t *b)
{
	memcpy(b, fx.old, fx.old_len);
	return fx.old_len;
}

static size_t wrong_index(uint8_t *b)
{
	size_t n = copy_valid(b);

	b[4] ^= 0x5a;
	return n;
}

static size_t wrong_key(uint8_t *b)
{
	size_t n = seal_seq(fx.other.a, fx.other.now, 7, b);

	memcpy(b + 4, fx.valid + 4, 4); /* aimed at b's key pair */
	b[13] = 1;                      /* with a counter b has not seen */
	return n;
}

static size_t reserved_set(uint8_t *b)
{
	size_t n = copy_valid(b);

	b[2] = 1;
	return n;
}

static size_t type_3(uint8_t *b)
{
	size_t n = copy_valid(b);

	b[0] = 3;
	return n;
}

static size_t bare_rtp(uint8_t *b)
{
	size_t n = copy_valid(b);

	b[0] = 0x80; /* an RTP version-2 header */
	b[1] = b[2] = b[3] = 0;
	return n;
}

static size_t reserved_nonce(uint8_t *b)
{
	size_t n = copy_valid(b);

	memset(b + 8, 0xff, 8);
	return n;
}

static size_t init_short(uint8_t *b)
{
	memcpy(b, fx.init, sizeof(fx.init));
	return sizeof(fx.init) - 1;
}

static size_t init_long(uint8_t *b)
{
	memcpy(b, fx.init, sizeof(fx.init));
	b[sizeof(fx.init)] = 0;
	return sizeof(fx.init) + 1;
}

static size_t init_replayed(uint8_t *b)
{
	memcpy(b, fx.init, sizeof(fx.init));
	return sizeof(fx.init);
}

static size_t init_forged(uint8_t *b)
{
	memcpy(b, fx.init, sizeof(fx.init));
	/* A changed ephemeral passes the Bloom filter (a copy would not) and
	 * makes the encrypted static key fail to open. */
	b[8] ^= 1;
	return sizeof(fx.init);
}

/* A fresh initiation from a session whose clock says an earlier time. */
static size_t init_stale(uint8_t *b)
{
	struct vx_session *a2 = make_session(&fx.p.ka, fx.p.kb.pub, true, 0);
	ssize_t n = vx_session_poll(a2, fx.p.now, b, VX_SESSION_MAX_PACKET);

	assert_int_equal(n, VX_SESSION_INITIATION_BYTES);
	vx_session_destroy(a2);
	return (size_t)n;
}

/* A valid initiation to b's key from a static key b does not know. */
static size_t init_stranger(uint8_t *b)
{
	struct vx_session *c = make_session(&fx.stranger, fx.p.kb.pub, true, 1800000000 * SEC);
	ssize_t n = vx_session_poll(c, fx.p.now, b, VX_SESSION_MAX_PACKET);

	assert_int_equal(n, VX_SESSION_INITIATION_BYTES);
	vx_session_destroy(c);
	return (size_t)n;
}

/* b is the responder: it never takes a response. */
static size_t response_to_responder(uint8_t *b)
{
	memset(b, 0, VX_SESSION_RESPONSE_BYTES);
	b[0] = VX_SESSION_MSG_RESPONSE;
	return VX_SESSION_RESPONSE_BYTES;
}

#define DROP(field) offsetof(struct vx_session_stats, field)

static const struct bad_row {
	const char *what;
	size_t (*make)(uint8_t *b);
	int err;
	size_t counter;
} bad_rows[] = {
	/*  1 */ { "forged tag", bad_tag, -EBADMSG, DROP(drop_forged) },
	/*  2 */ { "flipped ciphertext bit", bad_ciphertext, -EBADMSG, DROP(drop_forged) },
	/*  3 */ { "changed counter", bad_counter, -EBADMSG, DROP(drop_forged) },
	/*  4 */ { "empty datagram", short_0, -EMSGSIZE, DROP(drop_truncated) },
	/*  5 */ { "3 bytes: no full type word", short_3, -EMSGSIZE, DROP(drop_truncated) },
	/*  6 */ { "header only", short_header, -EMSGSIZE, DROP(drop_truncated) },
	/*  7 */ { "one byte short of the minimum", short_no_tag, -EMSGSIZE,
		   DROP(drop_truncated) },
	/*  8 */ { "truncated by one byte: tag fails", short_by_one, -EBADMSG, DROP(drop_forged) },
	/*  9 */ { "oversized", oversized, -EMSGSIZE, DROP(drop_oversized) },
	/* 10 */ { "replayed", replayed, -EALREADY, DROP(drop_replayed) },
	/* 11 */ { "wrong receiver index", wrong_index, -ENOENT, DROP(drop_unknown_index) },
	/* 12 */ { "wrong key", wrong_key, -EBADMSG, DROP(drop_forged) },
	/* 13 */ { "reserved byte set", reserved_set, -EPROTO, DROP(drop_malformed) },
	/* 14 */ { "type 3 (cookie reply, unused)", type_3, -EPROTO, DROP(drop_malformed) },
	/* 15 */ { "bare RTP", bare_rtp, -EPROTO, DROP(drop_malformed) },
	/* 16 */ { "counter 2^64-1 (Noise reserved)", reserved_nonce, -EPROTO,
		   DROP(drop_malformed) },
	/* 17 */ { "initiation truncated", init_short, -EMSGSIZE, DROP(drop_truncated) },
	/* 18 */ { "initiation oversized", init_long, -EMSGSIZE, DROP(drop_oversized) },
	/* 19 */ { "replayed initiation", init_replayed, -EEXIST, DROP(drop_hs_replayed) },
	/* 20 */ { "forged initiation", init_forged, -EBADMSG, DROP(drop_hs_forged) },
	/* 21 */ { "initiation with a stale timestamp", init_stale, -ESTALE, DROP(drop_hs_stale) },
	/* 22 */ { "initiation from an unknown peer", init_stranger, -EACCES,
		   DROP(drop_hs_unknown_peer) },
	/* 23 */ { "response sent to the responder", response_to_responder, -EPERM,
		   DROP(drop_hs_unexpected) },
};

static void test_session_bad_packets_are_dropped_and_counted_without_state_change(void **state)
{
	static uint8_t buf[VX_SESSION_MAX_PACKET + 64], out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	ssize_t n;
	uint32_t seq = 100;

	(void)state;
	memset(&fx, 0, sizeof(fx));
	pair_create(&fx.p);
	pair_create(&fx.other);
	handshake(&fx.other);
	assert_int_equal(vx_noise_keypair_generate(&fx.stranger), 0);

	n = vx_session_poll(fx.p.a, fx.p.now, fx.init, sizeof(fx.init));
	assert_int_equal(n, VX_SESSION_INITIATION_BYTES);
	deliver(fx.p.b, fx.p.now, fx.init, sizeof(fx.init), &kind, out);
	assert_int_equal(pump(fx.p.b, fx.p.a, fx.p.now), 1);
	assert_int_equal(pump(fx.p.a, fx.p.b, fx.p.now), 1);
	fx.old_len = seal_seq(fx.p.a, fx.p.now, 1, fx.old);
	open_seq(fx.p.b, fx.p.now, fx.old, fx.old_len, 1);
	fx.valid_len = seal_seq(fx.p.a, fx.p.now, 2, fx.valid);

	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		const struct bad_row *r = &bad_rows[i];
		struct vx_session_stats before, after;
		size_t len;

		fx.p.now += MS;
		vx_session_stats(fx.p.b, &before);
		len = r->make(buf);
		n = vx_session_open(fx.p.b, fx.p.now, buf, len, &kind, out, sizeof(out));
		if (n != r->err)
			fail_msg("row %zu (%s): returned %zd, expected %d", i + 1, r->what, n,
				 r->err);
		vx_session_stats(fx.p.b, &after);
		(*(uint64_t *)((char *)&before + r->counter))++;
		if (memcmp(&before, &after, sizeof(before)))
			fail_msg("row %zu (%s): wrong counter", i + 1, r->what);
		/* Nothing else moved: no response queued, keys and window intact. */
		assert_int_equal(vx_session_poll(fx.p.b, fx.p.now, out, sizeof(out)), 0);
		len = seal_seq(fx.p.a, fx.p.now, seq, buf);
		open_seq(fx.p.b, fx.p.now, buf, len, seq++);
	}
	/* The oldest genuine packet, held through all of it, still opens once. */
	open_seq(fx.p.b, fx.p.now, fx.valid, fx.valid_len, 2);
	assert_int_equal(vx_session_open(fx.p.b, fx.p.now, fx.valid, fx.valid_len, &kind, out,
					 sizeof(out)),
			 -EALREADY);
	pair_destroy(&fx.p);
	pair_destroy(&fx.other);
}

static void test_session_small_output_buffer_returns_enospc_and_changes_nothing(void **state)
{
	uint8_t buf[VX_SESSION_MAX_PACKET], out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	struct pair p;
	size_t n;

	(void)state;
	pair_create(&p);
	handshake(&p);
	n = seal_seq(p.a, p.now, 5, buf);
	assert_int_equal(vx_session_open(p.b, p.now, buf, n, &kind, out, 159), -ENOSPC);
	open_seq(p.b, p.now, buf, n, 5);
	assert_int_equal(vx_session_seal(p.a, p.now, VX_SESSION_RTP, out, 160, buf, 160), -ENOSPC);
	assert_int_equal(vx_session_seal(p.a, p.now, VX_SESSION_RTP, out, VX_SESSION_MAX_DATA + 1,
					 buf, sizeof(buf)),
			 -EINVAL);
	pair_destroy(&p);
}

static void test_session_rekeys_after_120s_and_keeps_old_key_for_grace(void **state)
{
	uint8_t xa[3][VX_SESSION_MAX_PACKET], xb[3][VX_SESSION_MAX_PACKET];
	uint8_t out[VX_SESSION_MAX_PACKET];
	size_t la[3], lb[3];
	enum vx_session_kind kind;
	struct vx_session_stats st;
	struct pair p;
	uint64_t t0;

	(void)state;
	pair_create(&p);
	handshake(&p);
	t0 = p.now;
	assert_true(vx_session_next_timeout(p.a) == t0 + 120 * SEC);

	/* Packets sealed under the old keys, still in flight when the rekey lands. */
	p.now = t0 + 120 * SEC - 1;
	for (uint32_t i = 0; i < 3; i++) {
		la[i] = seal_seq(p.a, p.now, i, xa[i]);
		lb[i] = seal_seq(p.b, p.now, i, xb[i]);
	}
	assert_int_equal(vx_session_poll(p.a, p.now, out, sizeof(out)), 0);

	p.now = t0 + 120 * SEC;
	assert_int_equal(pump(p.a, p.b, p.now), 1); /* the rekey initiation */
	assert_int_equal(pump(p.b, p.a, p.now), 1); /* a now sends on the new key */
	open_seq(p.a, p.now, xb[0], lb[0], 0);      /* b's old key: a's previous */
	assert_int_equal(pump(p.a, p.b, p.now), 1); /* keepalive: b switches */
	open_seq(p.b, p.now, xa[0], la[0], 0);      /* a's old key: b's previous */

	/* The new keys work both ways. */
	la[0] = seal_seq(p.a, p.now, 50, out);
	open_seq(p.b, p.now, out, la[0], 50);
	lb[0] = seal_seq(p.b, p.now, 60, out);
	open_seq(p.a, p.now, out, lb[0], 60);

	p.now += 10 * SEC - 1; /* the last moment of the grace period */
	open_seq(p.a, p.now, xb[1], lb[1], 1);
	open_seq(p.b, p.now, xa[1], la[1], 1);
	p.now += 1;            /* grace over */
	assert_int_equal(vx_session_open(p.a, p.now, xb[2], lb[2], &kind, out, sizeof(out)),
			 -EKEYEXPIRED);
	assert_int_equal(vx_session_open(p.b, p.now, xa[2], la[2], &kind, out, sizeof(out)),
			 -EKEYEXPIRED);
	/* Once the timer has run the old key is gone altogether. */
	assert_int_equal(vx_session_poll(p.a, p.now, out, sizeof(out)), 0);
	assert_int_equal(vx_session_open(p.a, p.now, xb[2], lb[2], &kind, out, sizeof(out)),
			 -ENOENT);

	vx_session_stats(p.a, &st);
	assert_int_equal(st.rekeys, 1);
	assert_int_equal(st.handshakes, 2);
	assert_int_equal(st.drop_expired, 1);
	assert_int_equal(st.drop_unknown_index, 1);
	vx_session_stats(p.b, &st);
	assert_int_equal(st.handshakes, 2);
	assert_int_equal(st.drop_expired, 1);
	pair_destroy(&p);
}

static void test_session_without_rekey_keys_expire_after_reject_time(void **state)
{
	uint8_t buf[VX_SESSION_MAX_PACKET];
	struct pair p;

	(void)state;
	pair_create(&p);
	handshake(&p);
	/* a never polls: no rekey happens, and after 180 s the key is refused. */
	p.now += 180 * SEC;
	assert_false(vx_session_is_established(p.a, p.now));
	assert_int_equal(vx_session_seal(p.a, p.now, VX_SESSION_RTP, "x", 1, buf, sizeof(buf)),
			 -ENOKEY);
	assert_int_equal(vx_session_seal(p.b, p.now, VX_SESSION_RTP, "x", 1, buf, sizeof(buf)),
			 -ENOKEY);
	pair_destroy(&p);
}

static void test_session_lost_initiation_is_retransmitted_with_backoff(void **state)
{
	/* Retransmissions after 1, 2, 4, 8, 8 s (the cap): absolute times below. */
	static const uint64_t at[] = { 0, 1, 3, 7, 15, 23 };
	uint8_t init[6][VX_SESSION_INITIATION_BYTES], buf[VX_SESSION_MAX_PACKET];
	uint8_t resp[VX_SESSION_RESPONSE_BYTES], out[VX_SESSION_MAX_PACKET];
	enum vx_session_kind kind;
	struct vx_session_stats st;
	struct pair p;
	uint64_t t0;

	(void)state;
	pair_create(&p);
	t0 = p.now;
	for (size_t i = 0; i < 6; i++) {
		uint64_t t = t0 + at[i] * SEC;

		if (i) {
			assert_true(vx_session_next_timeout(p.a) == t);
			/* Nothing before its time. */
			assert_int_equal(vx_session_poll(p.a, t - 1, buf, sizeof(buf)), 0);
		}
		assert_int_equal(vx_session_poll(p.a, t, init[i], sizeof(init[i])),
				 VX_SESSION_INITIATION_BYTES);
		assert_int_equal(vx_session_poll(p.a, t, buf, sizeof(buf)), 0);
	}
	p.now = t0 + 23 * SEC;

	/* b answers the fourth (lost on the way back), then the sixth. */
	deliver(p.b, p.now, init[3], sizeof(init[3]), &kind, out);
	assert_int_equal(vx_session_poll(p.b, p.now, resp, sizeof(resp)), sizeof(resp));
	/* The fifth is older than the fourth: refused as stale. */
	assert_int_equal(vx_session_open(p.b, p.now, init[2], sizeof(init[2]), &kind, out,
					 sizeof(out)),
			 -ESTALE);
	deliver(p.b, p.now, init[5], sizeof(init[5]), &kind, out);
	/* The response to a superseded initiation names an index a has dropped. */
	assert_int_equal(vx_session_open(p.a, p.now, resp, sizeof(resp), &kind, out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(pump(p.b, p.a, p.now), 1);
	assert_int_equal(pump(p.a, p.b, p.now), 1);
	assert_true(vx_session_is_established(p.b, p.now));

	vx_session_stats(p.a, &st);
	assert_int_equal(st.initiations_sent, 6);
	assert_int_equal(st.retransmits, 5);
	assert_int_equal(st.handshakes, 1);
	assert_int_equal(st.rekeys, 0);
	/* Backoff starts again from 1 s for the next handshake. */
	assert_true(vx_session_next_timeout(p.a) == p.now + 120 * SEC);
	vx_session_stats(p.b, &st);
	assert_int_equal(st.handshakes, 2); /* the fourth's key pair was replaced */
	assert_int_equal(st.drop_hs_stale, 1);
	pair_destroy(&p);
}

static void test_session_create_rejects_bad_config(void **state)
{
	struct vx_session_config cfg;
	struct vx_noise_keypair k;
	struct vx_session *s = NULL;

	(void)state;
	assert_int_equal(vx_noise_keypair_generate(&k), 0);
	vx_session_config_default(&cfg);
	assert_int_equal(vx_session_create(&s, &cfg), -EINVAL);
	cfg.local = &k;
	cfg.peer_public = k.pub;
	cfg.rekey_after_ns = 200 * SEC; /* beyond reject_after */
	assert_int_equal(vx_session_create(&s, &cfg), -EINVAL);
	cfg.rekey_after_ns = 0;
	cfg.retry_ns = 10 * SEC; /* beyond retry_max */
	assert_int_equal(vx_session_create(&s, &cfg), -EINVAL);
	assert_null(s);
	vx_session_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_seal_before_handshake_returns_enokey),
		cmocka_unit_test(test_session_responder_sends_only_after_confirmation),
		cmocka_unit_test(test_session_10000_packets_each_way_with_reordering),
		cmocka_unit_test(test_session_seal_and_open_do_not_allocate),
		cmocka_unit_test(test_session_bad_packets_are_dropped_and_counted_without_state_change),
		cmocka_unit_test(test_session_small_output_buffer_returns_enospc_and_changes_nothing),
		cmocka_unit_test(test_session_rekeys_after_120s_and_keeps_old_key_for_grace),
		cmocka_unit_test(test_session_without_rekey_keys_expire_after_reject_time),
		cmocka_unit_test(test_session_lost_initiation_is_retransmitted_with_backoff),
		cmocka_unit_test(test_session_create_rejects_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
