// SPDX-License-Identifier: MIT
/*
 * The secure session: Noise IK handshakes, WireGuard's message layout and timers
 * (simplified: one fixed initiator, no cookies), RFC 6479 replay windows. See
 * session.h for the contract and docs/PROTOCOL.md for the bytes.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "algorithms/bloom.h"
#include "transport/replay.h"
#include "transport/session.h"

#define PROTOCOL "Noise_IK_25519_ChaChaPoly_BLAKE2b"
/* Hashed into every handshake: a vox peer never completes a handshake meant for
 * another protocol that happens to use the same Noise pattern and keys. */
static const char prologue[] = "vox session v1";

#define TAI64N_BYTES 12
#define NOISE_MSG1_BYTES (VX_SESSION_INITIATION_BYTES - 8) /* 32 e + 48 s + 28 payload */
#define NOISE_MSG2_BYTES (VX_SESSION_RESPONSE_BYTES - 12)  /* 32 e + 16 empty payload */
#define MIN_TRANSPORT (VX_SESSION_HEADER_BYTES + 1 + VX_NOISE_TAG_BYTES)

/* Recent initiator ephemerals: a period rarely sees more than a few initiations
 * from the one peer; 4096 leaves room for a restarting, retrying peer, and a false
 * positive (1 in 10^4) costs one retransmission. Only authenticated initiations
 * are added, so a flood of forged ones cannot fill it. */
#define BLOOM_CAPACITY 4096
#define BLOOM_FPR 1e-4

struct keypair {
	struct vx_noise_cipher send;
	struct vx_noise_cipher recv;
	struct vx_replay replay;
	uint64_t send_counter; /* next nonce to seal with */
	uint64_t born;         /* ns: handshake completed */
	uint64_t until;        /* ns: a previous key's end of grace; UINT64_MAX otherwise */
	uint32_t local_index;  /* receiver index of messages to us */
	uint32_t remote_index; /* receiver index of messages we send */
	bool live;
};

struct vx_session {
	struct vx_session_config cfg;
	struct vx_noise_keypair local;
	uint8_t peer[VX_NOISE_DH_BYTES];

	struct keypair cur;  /* sends; receives */
	struct keypair prev; /* receives until its grace ends */
	struct keypair next; /* responder: receives; becomes cur on its first packet */

	/* Initiator: the handshake in flight and the timers around it. */
	struct vx_noise_handshake *hs;
	uint32_t hs_index;
	uint64_t hs_retry_at;  /* when to send a fresh initiation if no response came */
	uint64_t hs_backoff;   /* the wait after the latest initiation */
	uint64_t hs_start_at;  /* no handshake in flight: when to start one */
	bool keepalive_due;    /* a new key waits for its first packet (confirmation) */

	/* Responder: replayed-initiation defences. */
	uint8_t last_ts[TAI64N_BYTES];
	bool have_ts;
	struct vx_bloom_aging *seen;
	uint64_t seen_rotate_at;
	uint8_t sip_key[crypto_shorthash_KEYBYTES];

	uint8_t outbox[VX_SESSION_RESPONSE_BYTES]; /* a response waiting for poll() */
	size_t outbox_len;

	uint8_t scratch[1 + VX_SESSION_MAX_DATA]; /* an opened inner packet */
	struct vx_session_stats st;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* TAI64N (cr.yp.to/libtai/tai64.html), as WireGuard sends it: the label 2^62 + 10
 * plus Unix seconds, big-endian, then nanoseconds, big-endian. Big-endian makes
 * "newer" a plain memcmp. */
static void tai64n(uint8_t out[TAI64N_BYTES], uint64_t unix_ns)
{
	uint64_t sec = 0x400000000000000aull + unix_ns / 1000000000u;
	uint32_t ns = (uint32_t)(unix_ns % 1000000000u);

	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(sec >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(ns >> (24 - 8 * i));
}

static void keypair_wipe(struct keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

static bool index_in_use(const struct vx_session *s, uint32_t idx)
{
	return (s->cur.live && s->cur.local_index == idx) ||
	       (s->prev.live && s->prev.local_index == idx) ||
	       (s->next.live && s->next.local_index == idx) || (s->hs && s->hs_index == idx);
}

/* Indices are random so that they say nothing about how many sessions a host
 * runs or how often it rekeyed; unique among this session's live ones. */
static uint32_t new_index(const struct vx_session *s)
{
	uint32_t idx;

	do
		idx = randombytes_random();
	while (index_in_use(s, idx));
	return idx;
}

void vx_session_config_default(struct vx_session_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

int vx_session_create(struct vx_session **out, const struct vx_session_config *cfg)
{
	struct vx_session *s;
	struct vx_session_config c = *cfg;
	int ret;

	if (!c.local || !c.peer_public)
		return -EINVAL;
	if (!c.rekey_after_ns)
		c.rekey_after_ns = VX_SESSION_REKEY_AFTER_NS;
	if (!c.reject_after_ns)
		c.reject_after_ns = VX_SESSION_REJECT_AFTER_NS;
	if (!c.grace_ns)
		c.grace_ns = VX_SESSION_GRACE_NS;
	if (!c.retry_ns)
		c.retry_ns = VX_SESSION_RETRY_NS;
	if (!c.retry_max_ns)
		c.retry_max_ns = VX_SESSION_RETRY_MAX_NS;
	if (!c.bloom_period_ns)
		c.bloom_period_ns = VX_SESSION_BLOOM_PERIOD_NS;
	if (c.retry_ns > c.retry_max_ns || c.rekey_after_ns >= c.reject_after_ns)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;

	/* Guarded, locked pages (mlock), wiped by sodium_free(): the session holds
	 * the static private key and every transport key. */
	s = sodium_malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->local = *c.local;
	memcpy(s->peer, c.peer_public, sizeof(s->peer));
	c.local = NULL;
	c.peer_public = NULL;
	s->cfg = c;

	ret = vx_bloom_aging_create(&s->seen, BLOOM_CAPACITY, BLOOM_FPR);
	if (ret < 0)
		goto err_free;
	crypto_shorthash_keygen(s->sip_key);
	s->hs_backoff = c.retry_ns;
	s->hs_retry_at = UINT64_MAX;
	s->hs_start_at = c.initiator ? 0 : UINT64_MAX;
	*out = s;
	return 0;

err_free:
	sodium_free(s);
	return ret;
}

void vx_session_destroy(struct vx_session *s)
{
	if (!s)
		return;
	vx_noise_handshake_destroy(s->hs);
	vx_bloom_aging_destroy(s->seen);
	sodium_free(s); /* zeroes the keys */
}

static bool too_old(const struct vx_session *s, const struct keypair *kp, uint64_t now)
{
	return now >= kp->until || now - kp->born >= s->cfg.reject_after_ns;
}

/* The old current key stays for packets in flight, until its grace ends. */
static void retire_current(struct vx_session *s, uint64_t now)
{
	keypair_wipe(&s->prev);
	if (s->cur.live) {
		s->prev = s->cur;
		s->prev.until = sat_add(now, s->cfg.grace_ns);
	}
	keypair_wipe(&s->cur);
}

static void expire_keys(struct vx_session *s, uint64_t now)
{
	if (s->prev.live && too_old(s, &s->prev, now))
		keypair_wipe(&s->prev);
	if (s->cur.live && too_old(s, &s->cur, now))
		keypair_wipe(&s->cur);
	if (s->next.live && too_old(s, &s->next, now))
		keypair_wipe(&s->next);
}

static int install(struct keypair *kp, struct vx_noise_handshake *hs, bool initiator, uint64_t now,
		   uint32_t local_index, uint32_t remote_index)
{
	struct vx_noise_cipher c1, c2;
	int ret = vx_noise_split(hs, &c1, &c2);

	if (ret < 0)
		return ret;
	keypair_wipe(kp);
	/* Split's first cipher carries initiator-to-responder traffic. */
	kp->send = initiator ? c1 : c2;
	kp->recv = initiator ? c2 : c1;
	sodium_memzero(&c1, sizeof(c1));
	sodium_memzero(&c2, sizeof(c2));
	vx_replay_init(&kp->replay);
	kp->born = now;
	kp->until = UINT64_MAX;
	kp->local_index = local_index;
	kp->remote_index = remote_index;
	kp->live = true;
	return 0;
}

static int new_handshake(struct vx_session *s, struct vx_noise_handshake **hs, bool initiator)
{
	const struct vx_noise_config nc = {
		.protocol = PROTOCOL,
		.initiator = initiator,
		.prologue = prologue,
		.prologue_len = sizeof(prologue) - 1,
		.s = &s->local,
		.rs = initiator ? s->peer : NULL,
	};

	return vx_noise_handshake_create(hs, &nc);
}

/* ---- transport ------------------------------------------------------------------- */

ssize_t vx_session_seal(struct vx_session *s, uint64_t now, enum vx_session_kind kind,
			const void *data, size_t len, void *out, size_t cap)
{
	struct keypair *kp = &s->cur;
	uint8_t *o = out;
	ssize_t n;

	if ((unsigned)kind > VX_SESSION_KIND_MAX || len > VX_SESSION_MAX_DATA)
		return -EINVAL;
	if (!kp->live || too_old(s, kp, now))
		return -ENOKEY;
	if (cap < len + VX_SESSION_OVERHEAD)
		return -ENOSPC;
	if (kp->send_counter > VX_NOISE_NONCE_MAX)
		return -EOVERFLOW;

	o[0] = VX_SESSION_MSG_TRANSPORT;
	o[1] = o[2] = o[3] = 0;
	put_le32(o + 4, kp->remote_index);
	put_le64(o + 8, kp->send_counter);
	o[16] = (uint8_t)kind;
	if (len)
		memcpy(o + 17, data, len);
	/* The header is the associated data: type, index and counter cannot be
	 * changed without failing the tag. */
	n = vx_noise_cipher_seal(&kp->send, kp->send_counter, o, VX_SESSION_HEADER_BYTES, o + 16,
				 len + 1, o + 16, cap - 16);
	if (n < 0)
		return n;
	kp->send_counter++;
	s->keepalive_due = false;
	s->st.tx_packets++;
	return n + VX_SESSION_HEADER_BYTES;
}

static struct keypair *find_keypair(struct vx_session *s, uint32_t idx)
{
	if (s->cur.live && s->cur.local_index == idx)
		return &s->cur;
	if (s->next.live && s->next.local_index == idx)
		return &s->next;
	if (s->prev.live && s->prev.local_index == idx)
		return &s->prev;
	return NULL;
}

static ssize_t open_transport(struct vx_session *s, uint64_t now, const uint8_t *in, size_t len,
			      enum vx_session_kind *kind, void *out, size_t cap)
{
	struct keypair *kp;
	uint64_t counter;
	ssize_t n;

	if (len < MIN_TRANSPORT) {
		s->st.drop_truncated++;
		return -EMSGSIZE;
	}
	if (len > VX_SESSION_MAX_PACKET) {
		s->st.drop_oversized++;
		return -EMSGSIZE;
	}
	counter = get_le64(in + 8);
	if (counter > VX_NOISE_NONCE_MAX) { /* 2^64-1 is Noise's reserved nonce */
		s->st.drop_malformed++;
		return -EPROTO;
	}
	if (cap < len - MIN_TRANSPORT)
		return -ENOSPC;
	kp = find_keypair(s, get_le32(in + 4));
	if (!kp) {
		s->st.drop_unknown_index++;
		return -ENOENT;
	}
	if (too_old(s, kp, now)) {
		s->st.drop_expired++;
		return -EKEYEXPIRED;
	}
	/* A cheap refusal first; the window moves only after the tag verifies. */
	if (vx_replay_check(&kp->replay, counter) < 0) {
		s->st.drop_replayed++;
		return -EALREADY;
	}
	n = vx_noise_cipher_open(&kp->recv, counter, in, VX_SESSION_HEADER_BYTES, in + 16, len - 16,
				 s->scratch, sizeof(s->scratch));
	if (n < 1) {
		s->st.drop_forged++;
		return -EBADMSG;
	}
	if (s->scratch[0] > VX_SESSION_KIND_MAX) {
		/* Authentic but from a newer protocol: refused, and the window left
		 * alone like every other refusal. */
		s->st.drop_malformed++;
		return -EPROTO;
	}
	if (vx_replay_update(&kp->replay, counter) < 0) {
		s->st.drop_replayed++;
		return -EALREADY;
	}
	if (kp == &s->next) {
		/* The initiator used the new key: it holds it. Switch to it. */
		retire_current(s, now);
		s->cur = s->next;
		keypair_wipe(&s->next);
	}
	s->st.rx_packets++;
	*kind = (enum vx_session_kind)s->scratch[0];
	memcpy(out, s->scratch + 1, (size_t)n - 1);
	return n - 1;
}

/* ---- handshake ------------------------------------------------------------------- */

static ssize_t write_initiation(struct vx_session *s, uint64_t now, uint8_t *out, size_t cap)
{
	struct vx_noise_handshake *hs;
	uint8_t ts[TAI64N_BYTES];
	uint32_t idx;
	ssize_t n;
	int ret;

	if (cap < VX_SESSION_INITIATION_BYTES)
		return -ENOSPC;
	ret = new_handshake(s, &hs, true);
	if (ret < 0)
		return ret;
	tai64n(ts, sat_add(now, s->cfg.clock_offset_ns));
	n = vx_noise_write_message(hs, ts, sizeof(ts), out + 8, cap - 8);
	if (n != NOISE_MSG1_BYTES) {
		vx_noise_handshake_destroy(hs);
		return n < 0 ? n : -EPROTO;
	}
	/* A fresh initiation replaces the one in flight: a late response to the
	 * old one finds no matching index and is dropped. */
	vx_noise_handshake_destroy(s->hs);
	s->hs = NULL;
	idx = new_index(s);
	s->hs = hs;
	s->hs_index = idx;
	out[0] = VX_SESSION_MSG_INITIATION;
	out[1] = out[2] = out[3] = 0;
	put_le32(out + 4, idx);
	s->st.initiations_sent++;
	return VX_SESSION_INITIATION_BYTES;
}

static ssize_t open_initiation(struct vx_session *s, uint64_t now, const uint8_t *in, size_t len)
{
	struct vx_noise_handshake *hs;
	uint8_t ts[TAI64N_BYTES + 1], rs[VX_NOISE_DH_BYTES];
	uint64_t h;
	uint32_t idx;
	ssize_t n;
	int ret;

	if (len != VX_SESSION_INITIATION_BYTES) {
		if (len < VX_SESSION_INITIATION_BYTES)
			s->st.drop_truncated++;
		else
			s->st.drop_oversized++;
		return -EMSGSIZE;
	}
	if (s->cfg.initiator) {
		s->st.drop_hs_unexpected++;
		return -EPERM;
	}
	/* The initiator's ephemeral is the message's first 32 bytes, in the clear.
	 * Keyed (SipHash, secret per session) so that nobody can aim collisions at
	 * the filter. */
	{
		uint8_t hb[crypto_shorthash_BYTES];

		crypto_shorthash(hb, in + 8, VX_NOISE_DH_BYTES, s->sip_key);
		memcpy(&h, hb, sizeof(h));
	}
	while (now >= s->seen_rotate_at) {
		if (s->seen_rotate_at && now - s->seen_rotate_at >= 2 * s->cfg.bloom_period_ns)
			s->seen_rotate_at = now; /* long idle: two rotations forget all */
		vx_bloom_aging_rotate(s->seen);
		s->seen_rotate_at = sat_add(s->seen_rotate_at, s->cfg.bloom_period_ns);
	}
	if (vx_bloom_aging_contains_hash(s->seen, h)) {
		s->st.drop_hs_replayed++;
		return -EEXIST;
	}

	ret = new_handshake(s, &hs, false);
	if (ret < 0)
		return ret;
	n = vx_noise_read_message(hs, in + 8, NOISE_MSG1_BYTES, ts, sizeof(ts));
	if (n < 0) {
		s->st.drop_hs_forged++;
		ret = -EBADMSG;
		goto out;
	}
	if (n != TAI64N_BYTES) {
		s->st.drop_malformed++;
		ret = -EPROTO;
		goto out;
	}
	if (vx_noise_remote_static(hs, rs) < 0 || sodium_memcmp(rs, s->peer, sizeof(rs)) != 0) {
		s->st.drop_hs_unknown_peer++;
		ret = -EACCES;
		goto out;
	}
	if (s->have_ts && memcmp(ts, s->last_ts, TAI64N_BYTES) <= 0) {
		s->st.drop_hs_stale++;
		ret = -ESTALE;
		goto out;
	}

	idx = new_index(s);
	n = vx_noise_write_message(hs, NULL, 0, s->outbox + 12, sizeof(s->outbox) - 12);
	if (n != NOISE_MSG2_BYTES) {
		ret = n < 0 ? (int)n : -EPROTO;
		goto out;
	}
	/* A newer initiation replaces an unconfirmed key pair. */
	ret = install(&s->next, hs, false, now, idx, get_le32(in + 4));
	if (ret < 0)
		goto out;
	s->outbox[0] = VX_SESSION_MSG_RESPONSE;
	s->outbox[1] = s->outbox[2] = s->outbox[3] = 0;
	put_le32(s->outbox + 4, idx);
	memcpy(s->outbox + 8, in + 4, 4);
	s->outbox_len = VX_SESSION_RESPONSE_BYTES;
	memcpy(s->last_ts, ts, TAI64N_BYTES);
	s->have_ts = true;
	vx_bloom_aging_add_hash(s->seen, h);
	s->st.handshakes++;
	ret = 0;
out:
	vx_noise_handshake_destroy(hs);
	return ret;
}

static ssize_t open_response(struct vx_session *s, uint64_t now, const uint8_t *in, size_t len)
{
	uint8_t payload[NOISE_MSG2_BYTES];
	ssize_t n;
	int ret;

	if (len != VX_SESSION_RESPONSE_BYTES) {
		if (len < VX_SESSION_RESPONSE_BYTES)
			s->st.drop_truncated++;
		else
			s->st.drop_oversized++;
		return -EMSGSIZE;
	}
	if (!s->cfg.initiator || !s->hs) {
		s->st.drop_hs_unexpected++;
		return -EPERM;
	}
	if (get_le32(in + 8) != s->hs_index) {
		s->st.drop_unknown_index++;
		return -ENOENT;
	}
	/* A failed read leaves the handshake as it was: a forgery does not cancel
	 * the genuine response that may still come. */
	n = vx_noise_read_message(s->hs, in + 12, NOISE_MSG2_BYTES, payload, sizeof(payload));
	if (n < 0) {
		s->st.drop_hs_forged++;
		return -EBADMSG;
	}
	retire_current(s, now);
	ret = install(&s->cur, s->hs, true, now, s->hs_index, get_le32(in + 4));
	vx_noise_handshake_destroy(s->hs);
	s->hs = NULL;
	if (ret < 0)
		return ret;
	s->hs_retry_at = UINT64_MAX;
	s->hs_backoff = s->cfg.retry_ns;
	s->hs_start_at = sat_add(now, s->cfg.rekey_after_ns);
	s->keepalive_due = true; /* the responder switches keys on our first packet */
	s->st.handshakes++;
	return 0;
}

ssize_t vx_session_open(struct vx_session *s, uint64_t now, const void *in, size_t len,
			enum vx_session_kind *kind, void *out, size_t cap)
{
	const uint8_t *p = in;
	ssize_t ret;

	if (len < 4) {
		s->st.drop_truncated++;
		return -EMSGSIZE;
	}
	if (p[1] || p[2] || p[3]) {
		s->st.drop_malformed++;
		return -EPROTO;
	}
	switch (p[0]) {
	case VX_SESSION_MSG_TRANSPORT:
		return open_transport(s, now, p, len, kind, out, cap);
	case VX_SESSION_MSG_INITIATION:
		ret = open_initiation(s, now, p, len);
		break;
	case VX_SESSION_MSG_RESPONSE:
		ret = open_response(s, now, p, len);
		break;
	default:
		s->st.drop_malformed++;
		return -EPROTO;
	}
	if (ret == 0)
		*kind = VX_SESSION_HANDSHAKE;
	return ret;
}

/* ---- timers ---------------------------------------------------------------------- */

ssize_t vx_session_poll(struct vx_session *s, uint64_t now, void *out, size_t cap)
{
	ssize_t n;

	expire_keys(s, now);
	if (s->outbox_len) {
		if (cap < s->outbox_len)
			return -ENOSPC;
		memcpy(out, s->outbox, s->outbox_len);
		n = (ssize_t)s->outbox_len;
		s->outbox_len = 0;
		return n;
	}
	if (s->cfg.initiator) {
		bool retry = s->hs && now >= s->hs_retry_at;
		bool start = !s->hs && now >= s->hs_start_at;

		if (retry || start) {
			n = write_initiation(s, now, out, cap);
			if (n == -ENOSPC)
				return n;
			if (retry) {
				s->st.retransmits++;
				s->hs_backoff = min_u64(2 * s->hs_backoff, s->cfg.retry_max_ns);
			} else {
				s->hs_backoff = s->cfg.retry_ns;
				if (s->cur.live)
					s->st.rekeys++;
			}
			/* On failure (no memory, no entropy) try again at the next step. */
			s->hs_retry_at = sat_add(now, s->hs_backoff);
			s->hs_start_at = UINT64_MAX;
			if (n < 0 && !s->hs)
				s->hs_start_at = s->hs_retry_at;
			return n;
		}
	}
	if (s->keepalive_due && s->cur.live) {
		n = vx_session_seal(s, now, VX_SESSION_KEEPALIVE, NULL, 0, out, cap);
		return n;
	}
	return 0;
}

uint64_t vx_session_next_timeout(const struct vx_session *s)
{
	uint64_t t = UINT64_MAX;

	if (s->outbox_len || (s->keepalive_due && s->cur.live))
		return 0;
	if (s->cfg.initiator)
		t = s->hs ? s->hs_retry_at : s->hs_start_at;
	if (s->prev.live)
		t = min_u64(t, s->prev.until);
	if (s->cur.live)
		t = min_u64(t, sat_add(s->cur.born, s->cfg.reject_after_ns));
	if (s->next.live)
		t = min_u64(t, sat_add(s->next.born, s->cfg.reject_after_ns));
	return t;
}

bool vx_session_is_established(const struct vx_session *s, uint64_t now)
{
	return s->cur.live && !too_old(s, &s->cur, now);
}

void vx_session_stats(const struct vx_session *s, struct vx_session_stats *st)
{
	*st = s->st;
}

unsigned vx_session_msg_type(const void *in, size_t len)
{
	return len ? ((const uint8_t *)in)[0] : 0;
}
