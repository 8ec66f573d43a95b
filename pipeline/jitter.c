// SPDX-License-Identifier: MIT
/*
 * Adaptive jitter buffer: see jitter.h for the definitions (transit, delay
 * variation, due time, target) this file implements.
 *
 * Time arithmetic is in signed 64-bit nanoseconds relative to the first packet
 * (its arrival and its timestamp), so nothing here depends on the epoch of the
 * caller's clock or of the sender's RTP timestamps.
 */
#include "pipeline/jitter.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sonic.h>

#include "algorithms/hash.h"
#include "algorithms/kll.h"
#include "algorithms/mg.h"

/* Largest Opus packet for one frame: 3 x 1275 + 7 bytes (RFC 6716, 3.2.5). */
#define OPUS_MAX_PACKET 3832

/* libsonic's lookahead at 48 kHz, samples per channel: allocateStreamBuffers()
 * sets maxRequired = 2 x maxPeriod = 2 x (rate / SONIC_MIN_PITCH), and
 * changeSpeed() processes a pitch period only with that much input after it. */
#define SONIC_RATE      48000
#define SONIC_LOOKAHEAD (2 * (SONIC_RATE / SONIC_MIN_PITCH))

enum stretch { STRETCH_NONE, STRETCH_GROW, STRETCH_SHRINK };

struct slot {
	int64_t seq;   /* the sequence number this slot last held; -1: never */
	bool present;  /* holds @seq's packet, not yet played */
	bool played;   /* @seq was played from its packet: a copy is a duplicate */
	bool redundant; /* the packet came as a redundant copy (RFC 2198) */
	size_t len;
	uint8_t *data; /* max_packet bytes in jb->arena */
};

struct vx_jitter {
	struct vx_jitter_config cfg;
	size_t frame;          /* samples per channel */
	unsigned channels;
	size_t frame_values;   /* frame x channels */
	int64_t frame_ns;      /* frame duration */

	struct slot *slots;
	size_t cap;
	uint8_t *arena;

	struct vx_kll_window *kll;
	struct vx_kll_window *fast; /* same, sub-windows of fast_window_ns; NULL: none */
	struct vx_mg *mg;
	int16_t *last;         /* the previous output frame */
	bool last_silent;
	uint64_t rng;

	/* Time-stretching (see jitter.h, "Delays"). Decoded frames go to the
	 * FIFO directly, or through libsonic while it runs; pop() plays the
	 * FIFO's first frame. */
	sonicStream sonic;
	int16_t *dec;          /* one decoded frame */
	int16_t *fifo;         /* fifo_cap samples per channel, interleaved */
	size_t fifo_len, fifo_cap;
	unsigned max_decodes;  /* per pop(): bounds its loop */
	enum stretch stretch;  /* what speech does to the delay now */
	int64_t grow_to;       /* growing: the highest D since it started, ns */
	bool busy;             /* libsonic holds input: it ran at speed != 1 since
				* it last ran at 1 (which empties it) */
	bool sonic_failed;     /* a write failed (it cannot): pass through for good */
	float speed;           /* libsonic's current speed */
	double held_in;        /* estimate of the input samples libsonic holds */
	int64_t net;           /* its output - input since it was last empty */

	bool have_ref;         /* a first packet was seen: the fields below are set */
	bool started;          /* the first frame was due: the cursor advances */
	uint64_t ref_arrival;  /* ns, caller's clock */
	int64_t ref_ts;        /* unwrapped RTP timestamp of the first packet */
	int64_t ref_seq;       /* unwrapped sequence number of the first packet */
	int64_t hi_seq;        /* unwrap references: highest seen */
	int64_t hi_ts;
	int64_t cursor;        /* next sequence number to play */

	uint64_t next_rotate;  /* ns: when the KLL window rotates next */
	uint64_t next_fast;    /* ns: when the fast window rotates next */
	bool have_rotate;
	int64_t min_transit;   /* ns, window minimum (last known when empty) */
	double vq;             /* q-quantile of the delay variation, ns (last known) */
	unsigned lookahead;    /* frames added to D for FEC and redundancy */
	uint64_t target;       /* D, ns */

	unsigned concealed_run; /* consecutive frames concealed (PLC or CNG) */
	uint64_t missing_run;   /* consecutive frames missing at playout */
	uint64_t int_due, int_lost; /* since the last report */
	struct vx_jitter_stats st;
};

/* ts / 48 kHz in ns: 10^9 / 48000 = 62500 / 3. */
static int64_t ts_to_ns(int64_t ts)
{
	return ts * 62500 / 3;
}

/* Unwrap a 32-bit counter against the highest value seen: the nearest. */
static int64_t unwrap32(int64_t hi, uint32_t v)
{
	return hi + (int32_t)(v - (uint32_t)hi);
}

void vx_jitter_config_default(struct vx_jitter_config *cfg, struct vx_codec *codec)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->codec = codec;
	cfg->quantile = VX_JITTER_QUANTILE;
	cfg->max_delay_ns = VX_JITTER_MAX_DELAY_NS;
	cfg->start_delay_ns = VX_JITTER_START_DELAY_NS;
	cfg->window_ns = VX_JITTER_WINDOW_NS;
	cfg->fast_window_ns = VX_JITTER_FAST_WINDOW_NS;
	cfg->windows = VX_JITTER_WINDOWS;
	cfg->kll_k = VX_JITTER_KLL_K;
	cfg->cng_after = VX_JITTER_CNG_AFTER;
	cfg->vad_rms = VX_JITTER_VAD_RMS;
	cfg->cng_rms = VX_JITTER_CNG_RMS;
	cfg->seed = 0x6a177e2;
}

/*
 * The libsonic stream, its buffers grown once for good. In libsonic 0.2.0 a
 * write of n samples first makes room for them in the input buffer (which then
 * holds < SONIC_LOOKAHEAD + n: changeSpeed() leaves less than its lookahead,
 * speed 1 copies everything out) and each processing step makes room for its
 * output (at most twice the input it consumes: an inserted pitch period); a
 * buffer that is too small grows by realloc() to its size x 1.5 + the need.
 * pop() writes at most a frame and reads every sample out before the next
 * write, so buffers of 2 x (SONIC_LOOKAHEAD + frame) never grow. One write of
 * that much silence at speed 1 grows both past it (copyToOutput() takes all
 * of it), and reading it back empties the stream again: no sample is held and
 * no pitch period has been searched, as after sonicCreateStream().
 */
static int make_sonic(struct vx_jitter *jb)
{
	int n = (int)(2 * (SONIC_LOOKAHEAD + jb->frame));

	jb->sonic = sonicCreateStream(SONIC_RATE, (int)jb->channels);
	if (!jb->sonic)
		return -ENOMEM;
	/* jb->fifo is zeroed and holds n samples. */
	if (!sonicWriteShortToStream(jb->sonic, jb->fifo, n) ||
	    sonicReadShortFromStream(jb->sonic, jb->fifo, n) != n)
		return -ENOMEM;
	jb->speed = 1.0f;
	return 0;
}

int vx_jitter_create(struct vx_jitter **out, const struct vx_jitter_config *cfg)
{
	struct vx_jitter *jb;
	size_t i, worst;
	int ret;

	if (!cfg->codec || !(cfg->quantile > 0 && cfg->quantile <= 1) || !cfg->window_ns ||
	    cfg->cng_rms >= cfg->vad_rms || cfg->vad_rms > 32767)
		return -EINVAL;

	jb = calloc(1, sizeof(*jb));
	if (!jb)
		return -ENOMEM;
	jb->cfg = *cfg;
	jb->frame = vx_codec_frame_samples(cfg->codec);
	jb->channels = vx_codec_channels(cfg->codec);
	jb->frame_values = jb->frame * jb->channels;
	jb->frame_ns = ts_to_ns((int64_t)jb->frame);
	if (!jb->cfg.min_delay_ns)
		jb->cfg.min_delay_ns = (uint64_t)jb->frame_ns;
	ret = -EINVAL;
	if (jb->cfg.max_delay_ns <= jb->cfg.min_delay_ns || jb->cfg.max_delay_ns > 10000000000ull)
		goto err_free;

	/* A pcm/zpcm frame is at most 2 bytes of header plus raw L16. */
	worst = 2 + jb->frame_values * 2;
	if (worst < OPUS_MAX_PACKET)
		worst = OPUS_MAX_PACKET;
	if (!jb->cfg.max_packet)
		jb->cfg.max_packet = worst;
	if (jb->cfg.max_packet > VX_CODEC_MAX_PACKET)
		goto err_free;

	/* A packet waits at most D <= max_delay after it is due at D = 0 and can
	 * come as early as that: twice the span, plus room for reordering. */
	jb->cap = 2 * (size_t)((jb->cfg.max_delay_ns + (uint64_t)jb->frame_ns - 1) /
			       (uint64_t)jb->frame_ns) + 8;
	/* The FIFO holds less than a frame before a write, and a write adds at
	 * most twice what libsonic then holds: < 2 x (lookahead + frame). */
	jb->fifo_cap = 3 * jb->frame + 2 * SONIC_LOOKAHEAD;
	/* Each write of a frame at speed != 1 leaves < SONIC_LOOKAHEAD samples in
	 * libsonic and outputs at least half of what it consumes (a deleted
	 * period), so 2 + lookahead / frame writes make a frame; one more at
	 * speed 1 empties it. */
	jb->max_decodes = 3 + (unsigned)((SONIC_LOOKAHEAD + jb->frame - 1) / jb->frame);
	ret = -ENOMEM;
	jb->slots = calloc(jb->cap, sizeof(*jb->slots));
	jb->arena = malloc(jb->cap * jb->cfg.max_packet);
	jb->last = calloc(jb->frame_values, sizeof(*jb->last));
	jb->dec = calloc(jb->frame_values, sizeof(*jb->dec));
	jb->fifo = calloc(jb->fifo_cap * jb->channels, sizeof(*jb->fifo));
	if (!jb->slots || !jb->arena || !jb->last || !jb->dec || !jb->fifo)
		goto err_free;
	ret = make_sonic(jb);
	if (ret < 0)
		goto err_free;
	for (i = 0; i < jb->cap; i++) {
		jb->slots[i].seq = -1;
		jb->slots[i].data = jb->arena + i * jb->cfg.max_packet;
	}

	ret = vx_kll_window_create(&jb->kll, cfg->kll_k, cfg->windows, 0, cfg->seed);
	if (ret < 0)
		goto err_free;
	if (cfg->fast_window_ns) {
		ret = vx_kll_window_create(&jb->fast, cfg->kll_k, cfg->windows, 0, cfg->seed + 1);
		if (ret < 0)
			goto err_free;
	}
	ret = vx_mg_create(&jb->mg, VX_JITTER_MG_K, 8);
	if (ret < 0)
		goto err_free;

	jb->rng = cfg->seed ^ 0xc0ffee;
	jb->last_silent = true;
	jb->target = jb->cfg.min_delay_ns;
	*out = jb;
	return 0;

err_free:
	vx_jitter_destroy(jb);
	return ret;
}

/* Also unwinds a failed create: every part it has not made yet is NULL. */
void vx_jitter_destroy(struct vx_jitter *jb)
{
	if (!jb)
		return;
	vx_mg_destroy(jb->mg);
	vx_kll_window_destroy(jb->fast);
	vx_kll_window_destroy(jb->kll);
	if (jb->sonic) /* sonicDestroyStream() does not take NULL */
		sonicDestroyStream(jb->sonic);
	free(jb->fifo);
	free(jb->dec);
	free(jb->last);
	free(jb->arena);
	free(jb->slots);
	free(jb);
}

size_t vx_jitter_frame_samples(const struct vx_jitter *jb)
{
	return jb->frame;
}

/* Rotate a delay window on the caller's clock, every @period. After a long
 * pause W rotations empty it; more would change nothing. */
static void rotate_one(struct vx_kll_window *w, uint64_t *next, uint64_t period,
		       unsigned windows, uint64_t now)
{
	unsigned n = 0;

	while (now >= *next) {
		if (n++ == windows) {
			*next = now + period;
			break;
		}
		vx_kll_window_rotate(w);
		*next += period;
	}
}

static void rotate(struct vx_jitter *jb, uint64_t now)
{
	if (!jb->have_rotate) {
		jb->next_rotate = now + jb->cfg.window_ns;
		jb->next_fast = now + jb->cfg.fast_window_ns;
		jb->have_rotate = true;
		return;
	}
	rotate_one(jb->kll, &jb->next_rotate, jb->cfg.window_ns, jb->cfg.windows, now);
	if (jb->fast)
		rotate_one(jb->fast, &jb->next_fast, jb->cfg.fast_window_ns, jb->cfg.windows,
			   now);
}

/* D from the window; the last known values survive an empty window. */
static void update_target(struct vx_jitter *jb)
{
	double lo = vx_kll_window_min(jb->kll);
	double q = vx_kll_window_quantile(jb->kll, jb->cfg.quantile);
	double d;

	if (isnan(lo) || isnan(q))
		return;
	jb->min_transit = (int64_t)lo;
	jb->vq = q - lo;
	d = jb->vq;
	if (jb->fast) {
		/* Attack: the last second's quantile, when higher (see jitter.h). */
		double f = vx_kll_window_quantile(jb->fast, jb->cfg.quantile);

		if (!isnan(f) && f - lo > d)
			d = f - lo;
	}
	if (jb->st.received < VX_JITTER_START_PACKETS && d < (double)jb->cfg.start_delay_ns)
		d = (double)jb->cfg.start_delay_ns;
	if (d < (double)jb->cfg.min_delay_ns)
		d = (double)jb->cfg.min_delay_ns;
	d += (double)jb->lookahead * (double)jb->frame_ns;
	if (d > (double)jb->cfg.max_delay_ns)
		d = (double)jb->cfg.max_delay_ns;
	jb->target = (uint64_t)d;
}

void vx_jitter_set_lookahead(struct vx_jitter *jb, unsigned frames)
{
	jb->lookahead = frames;
}

uint64_t vx_jitter_target_ns(struct vx_jitter *jb)
{
	update_target(jb);
	return jb->target;
}

static void store(struct slot *sl, int64_t s, const uint8_t *payload, size_t len,
		  bool redundant)
{
	sl->seq = s;
	sl->present = true;
	sl->played = false;
	sl->redundant = redundant;
	sl->len = len;
	memcpy(sl->data, payload, len);
}

int vx_jitter_insert(struct vx_jitter *jb, uint32_t seq, uint32_t ts, const uint8_t *payload,
		     size_t len, uint64_t now_ns)
{
	struct slot *sl;
	int64_t s, t, transit;

	if (!len || len > jb->cfg.max_packet)
		return -EMSGSIZE;
	if (!jb->have_ref) {
		/* Start far from 0 so that unwrapped numbers stay positive. */
		jb->hi_seq = jb->ref_seq = jb->cursor = (int64_t)seq + ((int64_t)1 << 32);
		jb->hi_ts = jb->ref_ts = (int64_t)ts + ((int64_t)1 << 32);
		jb->ref_arrival = now_ns;
		jb->have_ref = true;
	}
	rotate(jb, now_ns);
	s = unwrap32(jb->hi_seq, seq);
	t = unwrap32(jb->hi_ts, ts);
	if (s > jb->hi_seq)
		jb->hi_seq = s;
	if (t > jb->hi_ts)
		jb->hi_ts = t;

	sl = &jb->slots[(uint64_t)s % jb->cap];
	if (sl->seq == s && ((sl->present && !sl->redundant) || sl->played)) {
		jb->st.duplicate++;
		return -EALREADY;
	}

	/* Every fresh packet counts for the delay variation, late ones most. */
	transit = (int64_t)(now_ns - jb->ref_arrival) - ts_to_ns(t - jb->ref_ts);
	(void)vx_kll_window_add(jb->kll, (double)transit);
	if (jb->fast)
		(void)vx_kll_window_add(jb->fast, (double)transit);

	if (s < jb->cursor) {
		/* Before playout starts an earlier packet (reordered at the start)
		 * moves the start back, as far as the slots reach. */
		if (!jb->started && jb->hi_seq - s < (int64_t)jb->cap) {
			jb->cursor = s;
		} else {
			jb->st.late++;
			return -ETIME;
		}
	}
	if (s - jb->cursor >= (int64_t)jb->cap) {
		jb->st.overflow++;
		return -ENOBUFS;
	}
	store(sl, s, payload, len, false);
	jb->st.received++;
	return 0;
}

int vx_jitter_insert_redundant(struct vx_jitter *jb, uint32_t seq, const uint8_t *payload,
			       size_t len)
{
	struct slot *sl;
	int64_t s;

	if (!len || len > jb->cfg.max_packet)
		return -EMSGSIZE;
	if (!jb->have_ref)
		return -ETIME;
	s = unwrap32(jb->hi_seq, seq);
	if (s < jb->cursor)
		return -ETIME;
	if (s - jb->cursor >= (int64_t)jb->cap)
		return -ENOBUFS;
	sl = &jb->slots[(uint64_t)s % jb->cap];
	if (sl->seq == s && (sl->present || sl->played))
		return -EALREADY;
	store(sl, s, payload, len, true);
	return 0;
}

/* The RMS of @n samples per channel is below vad_rms. */
static bool is_silent_n(const struct vx_jitter *jb, const int16_t *pcm, size_t n)
{
	size_t i, values = n * jb->channels;
	uint64_t e = 0;

	for (i = 0; i < values; i++)
		e += (uint64_t)((int32_t)pcm[i] * pcm[i]);
	return e < (uint64_t)jb->cfg.vad_rms * jb->cfg.vad_rms * values;
}

static bool is_silent(const struct vx_jitter *jb, const int16_t *pcm)
{
	return is_silent_n(jb, pcm, jb->frame);
}

/* Uniform noise in [-a, a] has RMS a / sqrt(3). The first comfort-noise frame
 * fades in over the codec's concealment in @pcm, which fades out. */
static void comfort_noise(struct vx_jitter *jb, int16_t *pcm, bool crossfade)
{
	int32_t a = (int32_t)lround(jb->cfg.cng_rms * sqrt(3.0));
	size_t i;

	for (i = 0; i < jb->frame_values; i++) {
		int32_t n = (int32_t)(vx_rand64(&jb->rng) % (uint64_t)(2 * a + 1)) - a;

		if (crossfade) {
			int64_t w = (int64_t)i, m = (int64_t)jb->frame_values;

			/* |result| <= max(|pcm|, |n|): no overflow. */
			n = (int32_t)((pcm[i] * (m - w) + n * w) / m);
		}
		pcm[i] = (int16_t)n;
	}
}

static void end_missing_run(struct vx_jitter *jb)
{
	if (jb->missing_run) {
		(void)vx_mg_add_u64(jb->mg, jb->missing_run, 1);
		jb->missing_run = 0;
	}
}

/* Play the frame at the cursor into @pcm and advance. */
static int play_one(struct vx_jitter *jb, int16_t *pcm, uint32_t *seq_out)
{
	int64_t s = jb->cursor++;
	struct slot *sl = &jb->slots[(uint64_t)s % jb->cap];
	struct slot *next = &jb->slots[(uint64_t)(s + 1) % jb->cap];
	int n;

	*seq_out = (uint32_t)s;
	jb->int_due++;
	if (sl->seq == s && sl->present) {
		sl->present = false;
		sl->played = true;
		n = vx_codec_decode(jb->cfg.codec, sl->data, sl->len, pcm, jb->frame);
		if (n >= 0) {
			/* A shorter frame than ours: the rest is silence. */
			memset(pcm + (size_t)n * jb->channels, 0,
			       (jb->frame - (size_t)n) * jb->channels * sizeof(*pcm));
			jb->concealed_run = 0;
			if (sl->redundant) {
				/* Its own packet was lost: a loss, recovered whole. */
				jb->st.lost++;
				jb->int_lost++;
				jb->missing_run++;
				jb->st.fec_recovered++;
				jb->st.red_recovered++;
				return VX_JITTER_FEC;
			}
			jb->st.played++;
			end_missing_run(jb);
			return VX_JITTER_PLAYED;
		}
		/* A malformed packet is a lost one. */
		sl->played = false;
	}
	if (sl->seq != s) {
		sl->seq = s;
		sl->present = false;
		sl->played = false;
		sl->redundant = false;
	}
	jb->st.lost++;
	jb->int_lost++;
	jb->missing_run++;

	if (next->seq == s + 1 && next->present &&
	    vx_codec_decode_fec(jb->cfg.codec, next->data, next->len, pcm, jb->frame) >= 0) {
		jb->st.fec_recovered++;
		jb->concealed_run = 0;
		return VX_JITTER_FEC;
	}
	jb->st.concealed++;
	if (jb->concealed_run++ < jb->cfg.cng_after) {
		if (vx_codec_conceal(jb->cfg.codec, pcm, jb->frame) < 0) {
			memset(pcm, 0, jb->frame_values * sizeof(*pcm));
			return -EIO;
		}
		return VX_JITTER_PLC;
	}
	if (jb->concealed_run == jb->cfg.cng_after + 1 &&
	    vx_codec_conceal(jb->cfg.codec, pcm, jb->frame) >= 0)
		comfort_noise(jb, pcm, true);
	else
		comfort_noise(jb, pcm, false);
	jb->st.cng++;
	return VX_JITTER_CNG;
}

/* Due time of frame @seq at D = 0: its timestamp plus the window's smallest
 * transit, relative to the first packet. */
static int64_t due_ns(const struct vx_jitter *jb, int64_t seq)
{
	return ts_to_ns((seq - jb->ref_seq) * (int64_t)jb->frame) + jb->min_transit;
}

/* Audio decoded and not played yet, samples per channel: the FIFO, and what
 * libsonic holds as it would come out if it stopped now (at speed 1, as is). */
static double held(const struct vx_jitter *jb)
{
	return (double)jb->fifo_len + jb->held_in;
}

static int64_t samples_to_ns(double n)
{
	return (int64_t)llround(n * 62500.0 / 3.0);
}

/* floor(@err / @f) x @f: how far @err lies from [0, @f), in whole frames. */
static int64_t band_floor(int64_t err, int64_t f)
{
	return (err >= 0 ? err / f : -((f - 1 - err) / f)) * f;
}

/*
 * What speech does to the delay (jitter.h, "Delays"). @d is the decode delay,
 * @q the audio held, ns. When stretching stops, libsonic hands out what it
 * holds, and each whole frame of held audio is a frame decoded a tick later:
 * the decode delay settles at d + floor(q / frame) frames, and the rest of q
 * stays in the FIFO. So with x = floor((d - D) / frame) frames + q, it settles
 * in the band [D, D + frame) for x in [0, frame), and the FIFO keeps x mod
 * frame ahead of the frame grid.
 * - Grow when the settled decode delay would fall short of D by more than an
 *   eighth of a frame, until x >= frame / 4 for the highest D seen meanwhile.
 *   D is a p95 of some 50 packets and moves by a few ms, while the decode
 *   delay moves by whole frames: chasing every wobble across a grid point
 *   would cost a frame of stretching for a fraction of a millisecond.
 *   Silence still inserts a frame for any shortfall.
 * - Shrink from two frames and VX_JITTER_SHRINK_STRETCH_NS above the band
 *   (latency only: smaller excesses wait for a pause, which drops them exactly;
 *   and hysteresis against the same wobble), until x < frame / 2.
 * The stops allow for held_in's error. Slowing down, it underestimates what
 * libsonic holds (by up to 0.6 pitch period, just after an inserted period),
 * so x ends higher than where it stopped, by up to a tick's growth (4 ms at
 * 20 ms frames) plus 9 ms at 65 Hz: within the band at 20 ms frames; with
 * shorter ones the decode delay may settle a frame above it (latency only).
 * Speeding up, it overestimates it (by up to 0.9 period, after a deleted
 * one), so x ends lower, by up to a tick's shrinking (2 ms) plus 9 ms at
 * 100 Hz: at worst 1 ms below 0, within the shortfall tolerated; 6 ms at
 * 65 Hz, and then it grows again.
 */
static void steer(struct vx_jitter *jb, int64_t d, int64_t q)
{
	int64_t f = jb->frame_ns, target = (int64_t)jb->target, x;

	if (jb->stretch == STRETCH_GROW) {
		if (target > jb->grow_to)
			jb->grow_to = target;
		if (band_floor(d - jb->grow_to, f) + q >= f / 4)
			jb->stretch = STRETCH_NONE;
		return;
	}
	x = band_floor(d - target, f) + q;
	if (d + band_floor(q, f) - target < -(f / 8)) {
		jb->stretch = STRETCH_GROW;
		jb->grow_to = target;
	} else if (x >= 2 * f && x >= (int64_t)VX_JITTER_SHRINK_STRETCH_NS) {
		jb->stretch = STRETCH_SHRINK;
	} else if (jb->stretch == STRETCH_SHRINK && x < f / 2) {
		jb->stretch = STRETCH_NONE;
	}
}

/* Move what libsonic made of @in samples into the FIFO (make_sonic() sized it
 * for all of it). At speed 1 libsonic skips changeSpeed() and copies all it
 * holds to its output: it is empty again, and what it added or removed since
 * it last was is exact. */
static void collect(struct vx_jitter *jb, size_t in)
{
	int n = sonicReadShortFromStream(jb->sonic, jb->fifo + jb->fifo_len * jb->channels,
					 (int)(jb->fifo_cap - jb->fifo_len));

	jb->fifo_len += (size_t)n;
	jb->net += n - (int64_t)in;
	if (jb->speed == 1.0f) {
		if (jb->net > 0)
			jb->st.stretch_added += (uint64_t)jb->net;
		else
			jb->st.stretch_removed += (uint64_t)-jb->net;
		jb->net = 0;
		jb->held_in = 0;
		jb->busy = false;
		return;
	}
	/* Each sample out stands for @speed samples in, on average over a PICOLA
	 * cycle (an inserted or deleted pitch period, then plain copying); and
	 * libsonic holds less than its lookahead after any write. */
	jb->held_in += (double)in - (double)n * (double)jb->speed;
	if (jb->held_in < 0)
		jb->held_in = 0;
	if (jb->held_in > SONIC_LOOKAHEAD)
		jb->held_in = SONIC_LOOKAHEAD;
	jb->busy = true;
}

static void set_speed(struct vx_jitter *jb, float speed)
{
	if (speed != jb->speed) {
		sonicSetSpeed(jb->sonic, speed);
		jb->speed = speed;
	}
}

/* Stop stretching now: libsonic hands out what it holds. Writing nothing cannot
 * fail (addShortSamplesToInputBuffer() returns at once). */
static void release(struct vx_jitter *jb)
{
	set_speed(jb, 1.0f);
	(void)sonicWriteShortToStream(jb->sonic, NULL, 0);
	collect(jb, 0);
}

/* One decoded frame into the FIFO: straight in while libsonic is empty and not
 * needed, else through it at @speed. */
static void feed(struct vx_jitter *jb, int16_t *pcm, float speed)
{
	if (!jb->busy && (speed == 1.0f || jb->sonic_failed)) {
		memcpy(jb->fifo + jb->fifo_len * jb->channels, pcm,
		       jb->frame_values * sizeof(*pcm));
		jb->fifo_len += jb->frame;
		return;
	}
	set_speed(jb, speed);
	if (!sonicWriteShortToStream(jb->sonic, pcm, (int)jb->frame)) {
		/* Only a failed realloc(), which make_sonic() rules out. libsonic
		 * then lost its buffer: pass frames through from now on. */
		jb->sonic_failed = true;
		jb->busy = false;
		jb->held_in = 0;
		feed(jb, pcm, 1.0f);
		return;
	}
	collect(jb, jb->frame);
	if (speed != 1.0f)
		jb->st.stretched++;
}

/* The packet of frame @seq is here. */
static bool arrived(const struct vx_jitter *jb, int64_t seq)
{
	const struct slot *sl = &jb->slots[(uint64_t)seq % jb->cap];

	return sl->seq == seq && sl->present;
}

/*
 * Decode frames into the FIFO until it holds one to play. @now: the tick,
 * relative to the first packet; @k: the decode delay's distance from the band
 * [D, D + frame), in whole frames. Sets @in's seq, advanced, dropped, held and
 * stretched, and *@failed if a decoder failed. Return: the kind of the last
 * frame decoded (negative if its decoder failed), VX_JITTER_HELD if none.
 */
static int fill(struct vx_jitter *jb, int64_t now, int64_t k, struct vx_jitter_pop_info *in,
		bool *failed)
{
	int kind = VX_JITTER_HELD;
	unsigned i;

	in->held = (uint32_t)lround(held(jb));
	for (i = 0; jb->fifo_len < jb->frame; i++) {
		float speed = 1.0f;
		bool silent;

		if (jb->busy && !arrived(jb, jb->cursor) &&
		    now - due_ns(jb, jb->cursor) < (int64_t)jb->target) {
			/* libsonic's lookahead makes stretching decode ahead, but
			 * not a frame whose packet may still come in time: stop
			 * instead, and play what libsonic holds. */
			release(jb);
			continue;
		}
		kind = play_one(jb, jb->dec, &in->seq);
		*failed |= kind < 0;
		in->advanced++;
		silent = is_silent(jb, jb->dec);
		if (in->advanced == 1 && k >= 1 && silent && !jb->busy) {
			/* A frame late or more and this one silent: skip it. */
			jb->st.dropped++;
			in->dropped = true;
			k--;
			kind = play_one(jb, jb->dec, &in->seq);
			*failed |= kind < 0;
			in->advanced++;
			silent = is_silent(jb, jb->dec);
		}
		if (silent) {
			/* What stretching left ahead of the frame grid can go now,
			 * unless the delay is short (a frame is repeated then). */
			if (!jb->busy && k >= 0 && jb->fifo_len &&
			    is_silent_n(jb, jb->fifo, jb->fifo_len)) {
				jb->st.trimmed += jb->fifo_len;
				jb->fifo_len = 0;
			}
		} else if (jb->stretch == STRETCH_GROW) {
			speed = VX_JITTER_STRETCH_SLOW;
		} else if (jb->stretch == STRETCH_SHRINK) {
			speed = VX_JITTER_STRETCH_FAST;
		}
		/* The loop's bound (see max_decodes): speed 1 ends it. */
		if (i + 1 >= jb->max_decodes)
			speed = 1.0f;
		if (in->advanced == (in->dropped ? 2u : 1u))
			in->held = (uint32_t)lround(held(jb));
		feed(jb, jb->dec, speed);
		in->stretched |= jb->busy;
	}
	return kind;
}

int vx_jitter_pop(struct vx_jitter *jb, uint64_t now_ns, int16_t *pcm,
		  struct vx_jitter_pop_info *info)
{
	struct vx_jitter_pop_info in = { 0 };
	int64_t now, d, q, k;
	bool failed = false;
	int kind;

	rotate(jb, now_ns);
	update_target(jb);
	in.target_ns = jb->target;
	if (!jb->have_ref)
		goto idle;

	/* The decode delay d, and the playout delay of the next frame to
	 * decode: d plus the audio held ahead of it. */
	now = (int64_t)(now_ns - jb->ref_arrival);
	d = now - due_ns(jb, jb->cursor);
	q = samples_to_ns(held(jb));
	in.delay_ns = d + q;
	in.seq = (uint32_t)jb->cursor;
	if (!jb->started) {
		if (d < (int64_t)jb->target)
			goto idle;
		jb->started = true;
	}
	k = band_floor(d - (int64_t)jb->target, jb->frame_ns) / jb->frame_ns;
	steer(jb, d, q);
	if (k * jb->frame_ns + q < 0 && !jb->busy && jb->last_silent) {
		/* Too early: play the silent frame again and let the cursor wait. */
		memcpy(pcm, jb->last, jb->frame_values * sizeof(*pcm));
		jb->st.inserted++;
		in.kind = VX_JITTER_INSERTED;
		in.silent = true;
		goto out;
	}

	kind = fill(jb, now, k, &in, &failed);
	in.kind = (enum vx_jitter_kind)(kind < 0 ? VX_JITTER_PLC : kind);
	in.stretched |= jb->busy;
	if (in.advanced)
		in.delay_ns = now - due_ns(jb, jb->cursor) + samples_to_ns(held(jb));
	memcpy(pcm, jb->fifo, jb->frame_values * sizeof(*pcm));
	jb->fifo_len -= jb->frame;
	memmove(jb->fifo, jb->fifo + jb->frame_values,
		jb->fifo_len * jb->channels * sizeof(*pcm));
	in.silent = is_silent(jb, pcm);
	memcpy(jb->last, pcm, jb->frame_values * sizeof(*pcm));
	jb->last_silent = in.silent;
	if (info)
		*info = in;
	return failed ? -EIO : (int)in.kind;

idle:
	memset(pcm, 0, jb->frame_values * sizeof(*pcm));
	in.kind = VX_JITTER_IDLE;
	in.silent = true;
out:
	if (info)
		*info = in;
	return (int)in.kind;
}

void vx_jitter_stats(const struct vx_jitter *jb, struct vx_jitter_stats *st)
{
	*st = jb->st;
}

void vx_jitter_report(struct vx_jitter *jb, struct vx_jitter_report *r)
{
	struct vx_mg_item items[VX_JITTER_REPORT_BURSTS];
	size_t n, i, b;

	memset(r, 0, sizeof(*r));
	update_target(jb);
	r->fraction_lost = jb->int_due ? (double)jb->int_lost / (double)jb->int_due : 0.0;
	jb->int_due = jb->int_lost = 0;
	r->cumulative_lost = jb->st.lost;
	r->target_ns = jb->target;
	r->jitter_p95_ns = jb->vq;
	n = vx_mg_items(jb->mg, items, VX_JITTER_REPORT_BURSTS);
	if (n > VX_JITTER_REPORT_BURSTS)
		n = VX_JITTER_REPORT_BURSTS;
	for (i = 0; i < n; i++) {
		const uint8_t *k = items[i].key;
		uint64_t v = 0;

		/* vx_mg_add_u64() keys are little-endian. */
		for (b = 0; b < 8 && b < items[i].len; b++)
			v |= (uint64_t)k[b] << (8 * b);
		r->burst[i].length = v;
		r->burst[i].count = items[i].lower;
	}
	r->bursts = n;
	r->burst_max_error = vx_mg_max_error(jb->mg);
}
