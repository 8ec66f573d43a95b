// SPDX-License-Identifier: MIT
/*
 * ALSA streams, through alsa-lib's real code paths with no sound card:
 *
 * - tests/alsa/asoundrc's null and file PCMs (loaded through ALSA_CONFIG_PATH,
 *   set in main() before the first snd_ call) for the bytes that go in and out,
 *   the negotiation report and the device list. They have no clock, so cases
 *   compare bytes, never timing.
 * - In-process ALSA I/O plugins (snd_pcm_ioplug, "struct fake" below), opened
 *   through the seam of audio/alsa_internal.h. alsa-lib's own snd_pcm_writei(),
 *   snd_pcm_readi() and snd_pcm_recover() run against them; a case puts one into
 *   the XRUN, SUSPENDED or DISCONNECTED state, or makes its pointer report an
 *   xrun, and alsa-lib returns -EPIPE, -ESTRPIPE or -ENODEV exactly there. The
 *   seam's sleep is a recorder, so backoff schedules are checked without waiting.
 *   A fake can also restrict what it accepts (period sizes, rate, channels), as
 *   hardware does, for the cases where negotiation gives less than was asked.
 *
 * Allocation in the transfer path is counted for the whole process, alsa-lib
 * included, not just our own calls (the --wrap trick of STYLE.md would miss
 * libasound's): malloc and friends are replaced below, or, under ASan and TSan,
 * whose runtimes own malloc, the sanitizer's allocation hooks count instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>

#include "algorithms/hash.h"
#include "audio/alsa.h"
#include "audio/alsa_internal.h"
#include "audio/wav.h"

#define ASOUNDRC "tests/alsa/asoundrc"

/* ---- allocation counting ------------------------------------------------------ */

static volatile int counting;
static volatile unsigned allocs;

#include "tests/sanitized.h"

#if SANITIZED
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	allocs += (unsigned)counting;
}

static void on_free(const volatile void *p)
{
	allocs += (unsigned)(counting && p);
}

static void count_allocs_init(void)
{
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

/* The process's malloc: libasound's calls resolve here too. */
void *malloc(size_t n)
{
	allocs += (unsigned)counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	allocs += (unsigned)counting;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	allocs += (unsigned)counting;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	allocs += (unsigned)(counting && p);
	__libc_free(p);
}

static void count_allocs_init(void)
{
}
#endif

/* ---- helpers ---------------------------------------------------------------------- */

static char tmpdir[64];

static void path_in_tmp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* @n samples of seeded noise, full 16-bit range. */
static int16_t *noise(size_t n, uint64_t seed)
{
	int16_t *p = malloc(n * sizeof(*p));

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (int16_t)(vx_rand64(&seed) >> 48);
	return p;
}

static void write_file(const char *path, const void *d, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	*len = (size_t)st.st_size;
	p = malloc(*len + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, *len, f), *len);
	fclose(f);
	return p;
}

static struct vx_alsa_config config(const char *device, enum vx_alsa_stream stream,
				    unsigned channels, unsigned period_us)
{
	return (struct vx_alsa_config){
		.device = device,
		.stream = stream,
		.rate = VX_ALSA_RATE,
		.channels = channels,
		.period_us = period_us,
		.periods = 4,
	};
}

/* ---- a fake device: an in-process ALSA I/O plugin ------------------------------------- */

struct fake_caps {
	unsigned rate_min, rate_max;
	unsigned channels_min, channels_max;
	const unsigned *period_bytes;  /* NULL: any */
	unsigned n_period_bytes;
	bool s32_only;                 /* S32_LE instead of S16_LE */
};

static const struct fake_caps any_caps = { 8000, 192000, 1, 2, NULL, 0, false };

struct fake {
	snd_pcm_ioplug_t io;
	snd_pcm_uframes_t hw;   /* playback: frames consumed since prepare */
	size_t total;           /* frames moved since open */
	bool pointer_fails;     /* the pointer reports an xrun every time */
	bool holds;             /* playback: nothing is consumed (the DAC stalls) */
	int16_t *played;        /* playback: every sample written, in order */
	size_t played_cap;      /* in samples */
	uint16_t next;          /* capture: the next sample value produced */
	bool closed;
};

static void *area_addr(const snd_pcm_channel_area_t *areas, snd_pcm_uframes_t offset)
{
	return (char *)areas[0].addr + (areas[0].first + offset * areas[0].step) / 8;
}

static int fake_start(snd_pcm_ioplug_t *io)
{
	(void)io;
	return 0;
}

static int fake_stop(snd_pcm_ioplug_t *io)
{
	(void)io;
	return 0;
}

/* With SND_PCM_IOPLUG_FLAG_BOUNDARY_WA the position need not wrap at the buffer
 * size, so a transfer of a whole buffer is not mistaken for none. */
static snd_pcm_sframes_t fake_pointer(snd_pcm_ioplug_t *io)
{
	struct fake *f = io->private_data;

	if (f->pointer_fails)
		return -EPIPE;
	if (io->stream == SND_PCM_STREAM_PLAYBACK)
		return (snd_pcm_sframes_t)f->hw; /* consumed as soon as written */
	return (snd_pcm_sframes_t)(io->appl_ptr + io->period_size); /* a period is always ready */
}

static snd_pcm_sframes_t fake_transfer(snd_pcm_ioplug_t *io, const snd_pcm_channel_area_t *areas,
				       snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	struct fake *f = io->private_data;
	size_t samples = size * io->channels;
	int16_t *p = area_addr(areas, offset);

	if (io->stream == SND_PCM_STREAM_PLAYBACK) {
		size_t at = f->total * io->channels;

		if (f->played && at + samples <= f->played_cap)
			memcpy(f->played + at, p, samples * sizeof(*p));
		if (!f->holds)
			f->hw += size;
	} else {
		for (size_t i = 0; i < samples; i++)
			p[i] = (int16_t)f->next++;
	}
	f->total += size;
	return (snd_pcm_sframes_t)size;
}

static int fake_prepare(snd_pcm_ioplug_t *io)
{
	struct fake *f = io->private_data;

	f->hw = 0; /* alsa-lib restarts its own pointers at 0 too */
	return 0;
}

/* A device that can resume: back to where it was, ready to go. */
static int fake_resume(snd_pcm_ioplug_t *io)
{
	return snd_pcm_ioplug_set_state(io, SND_PCM_STATE_PREPARED);
}

static int fake_close(snd_pcm_ioplug_t *io)
{
	struct fake *f = io->private_data;

	close(io->poll_fd);
	f->closed = true;
	return 0;
}

static const snd_pcm_ioplug_callback_t fake_callbacks = {
	.start = fake_start,
	.stop = fake_stop,
	.pointer = fake_pointer,
	.transfer = fake_transfer,
	.prepare = fake_prepare,
	.resume = fake_resume,
	.close = fake_close,
};

static int fake_create(struct fake *f, snd_pcm_t **pcm, snd_pcm_stream_t stream,
		       const struct fake_caps *caps)
{
	static const unsigned access[] = { SND_PCM_ACCESS_RW_INTERLEAVED };
	static const unsigned s16[] = { SND_PCM_FORMAT_S16_LE }, s32[] = { SND_PCM_FORMAT_S32_LE };
	snd_pcm_ioplug_t *io = &f->io;
	int ret;

	memset(io, 0, sizeof(*io));
	f->hw = 0;
	f->total = 0;
	f->closed = false;
	io->version = SND_PCM_IOPLUG_VERSION;
	io->name = "vox test fake";
	io->flags = SND_PCM_IOPLUG_FLAG_BOUNDARY_WA;
	io->callback = &fake_callbacks;
	io->private_data = f;
	/* alsa-lib waits on this fd when the buffer is full or empty: /dev/null is
	 * always writable and /dev/zero always readable, so the wait never blocks. */
	if (stream == SND_PCM_STREAM_PLAYBACK) {
		io->poll_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		io->poll_events = POLLOUT;
	} else {
		io->poll_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		io->poll_events = POLLIN;
	}
	if (io->poll_fd < 0)
		return -errno;
	ret = snd_pcm_ioplug_create(io, "vxfake", stream, 0);
	if (ret < 0) {
		close(io->poll_fd);
		return ret;
	}
	if (snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_ACCESS, 1, access) < 0 ||
	    snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_FORMAT, 1,
					  caps->s32_only ? s32 : s16) < 0 ||
	    snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_CHANNELS, caps->channels_min,
					    caps->channels_max) < 0 ||
	    snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_RATE, caps->rate_min,
					    caps->rate_max) < 0 ||
	    snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_PERIODS, 2, 64) < 0 ||
	    (caps->period_bytes &&
	     snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_PERIOD_BYTES,
					   caps->n_period_bytes, caps->period_bytes) < 0)) {
		snd_pcm_ioplug_delete(io);
		return -EINVAL;
	}
	*pcm = io->pcm;
	return 0;
}

/* The seam: opens fakes, failing the first @fail_first attempts with -ENODEV, and
 * records each backoff wait. */
struct seam {
	struct fake fakes[4];   /* one per successful open, in turn */
	unsigned opened;
	unsigned attempts;
	unsigned fail_first;    /* UINT32_MAX: fail every attempt */
	const struct fake_caps *caps;
	unsigned sleeps[32];
	unsigned n_sleeps;
	atomic_bool *stop_after; /* set when n_sleeps reaches stop_at */
	unsigned stop_at;
};

static int seam_open(void *ctx, snd_pcm_t **pcm, const char *name, snd_pcm_stream_t stream,
		     int mode)
{
	struct seam *s = ctx;

	(void)name;
	(void)mode;
	s->attempts++;
	if (s->attempts <= s->fail_first)
		return -ENODEV;
	assert_true(s->opened < 4);
	return fake_create(&s->fakes[s->opened++], pcm, stream, s->caps);
}

static void seam_sleep(void *ctx, unsigned ms, const atomic_bool *stop)
{
	struct seam *s = ctx;

	(void)stop;
	assert_true(s->n_sleeps < 32);
	s->sleeps[s->n_sleeps++] = ms;
	if (s->stop_after && s->n_sleeps == s->stop_at)
		atomic_store(s->stop_after, true);
}

static void seam_install(struct seam *s, const struct fake_caps *caps)
{
	struct vx_alsa_hooks h = { seam_open, seam_sleep, s };

	memset(s, 0, sizeof(*s));
	s->caps = caps;
	vx_alsa_set_hooks(&h);
}

static int teardown_hooks(void **state)
{
	(void)state;
	vx_alsa_set_hooks(NULL);
	return 0;
}

/* ---- negotiation ------------------------------------------------------------------- */

static const unsigned periods_us[] = { 2500, 5000, 10000, 20000 };

static void test_alsa_null_grants_every_period_exactly(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++)
		for (unsigned ch = 1; ch <= 2; ch++)
			for (int dir = 0; dir < 2; dir++) {
				struct vx_alsa_config cfg = config(
					"vxnull", dir ? VX_ALSA_PLAYBACK : VX_ALSA_CAPTURE, ch,
					periods_us[i]);
				const struct vx_alsa_params *p;
				struct vx_alsa *a;

				cfg.periods = 2 + (unsigned)i % 3;
				assert_int_equal(vx_alsa_open(&a, &cfg), 0);
				p = vx_alsa_params(a);
				assert_int_equal(p->rate, 48000);
				assert_int_equal(p->channels, ch);
				assert_int_equal(p->period_frames, periods_us[i] * 48 / 1000);
				assert_int_equal(p->buffer_frames, p->period_frames * cfg.periods);
				assert_false(p->differs);
				vx_alsa_close(a);
			}
}

/*
 * A device that takes power-of-two period sizes in bytes only (as many DMA
 * engines do), 44.1 kHz only and stereo only: each period comes back as the
 * power of two nearest to the frame asked for, and the report says it differs.
 */
static void test_alsa_constrained_device_reports_what_it_granted(void **state)
{
	static const unsigned pow2[] = { 256, 512, 1024, 2048, 4096, 8192, 16384 };
	static const struct fake_caps caps = { 44100, 44100, 2, 2, pow2, 7, false };
	static const struct {
		unsigned period_us;
		size_t period_frames; /* 4-byte frames: the power of two nearest 44.1 x ms */
	} table[] = {
		{ 2500, 128 },   /* 110 frames asked = 441 bytes -> 512 */
		{ 5000, 256 },   /* 221 = 882 -> 1024 */
		{ 10000, 512 },  /* 441 = 1764 -> 2048 */
		{ 20000, 1024 }, /* 882 = 3528 -> 4096 */
	};
	struct seam s;

	(void)state;
	seam_install(&s, &caps);
	for (size_t i = 0; i < 4; i++) {
		struct vx_alsa_config cfg = config("fake", VX_ALSA_PLAYBACK, 1, table[i].period_us);
		const struct vx_alsa_params *p;
		struct vx_alsa *a;

		s.opened = 0;
		assert_int_equal(vx_alsa_open(&a, &cfg), 0);
		p = vx_alsa_params(a);
		assert_int_equal(p->rate, 44100);
		assert_int_equal(p->channels, 2);
		assert_int_equal(p->period_frames, table[i].period_frames);
		assert_int_equal(p->buffer_frames % p->period_frames, 0);
		assert_true(p->buffer_frames >= 2 * p->period_frames);
		assert_true(p->differs);
		vx_alsa_close(a);
	}
}

static void test_alsa_only_the_period_differing_is_reported(void **state)
{
	static const unsigned sizes[] = { 512 };
	static const struct fake_caps caps = { 48000, 48000, 1, 2, sizes, 1, false };
	struct vx_alsa_config cfg = config("fake", VX_ALSA_CAPTURE, 1, 5000);
	struct seam s;
	struct vx_alsa *a;

	(void)state;
	seam_install(&s, &caps);
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	assert_int_equal(vx_alsa_params(a)->rate, 48000);
	assert_int_equal(vx_alsa_params(a)->channels, 1);
	assert_int_equal(vx_alsa_params(a)->period_frames, 256); /* 240 asked */
	assert_true(vx_alsa_params(a)->differs);
	vx_alsa_close(a);

	cfg.period_us = 2500; /* 120 frames: no period size fits but 256 */
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	assert_int_equal(vx_alsa_params(a)->period_frames, 256);
	vx_alsa_close(a);
}

static void test_alsa_bad_config_returns_einval(void **state)
{
	static const struct {
		const char *device;
		unsigned rate, channels, period_us, periods;
	} table[] = {
		{ NULL, 48000, 1, 20000, 2 },   { "", 48000, 1, 20000, 2 },
		{ "vxnull", 0, 1, 20000, 2 },   { "vxnull", 48000, 0, 20000, 2 },
		{ "vxnull", 48000, 3, 20000, 2 }, { "vxnull", 48000, 1, 0, 2 },
		{ "vxnull", 48000, 1, 3000, 2 }, { "vxnull", 48000, 1, 20000, 1 },
		{ "vxnull", 48000, 1, 20000, 5 },
	};
	struct vx_alsa *a = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct vx_alsa_config cfg = {
			.device = table[i].device,
			.stream = VX_ALSA_CAPTURE,
			.rate = table[i].rate,
			.channels = table[i].channels,
			.period_us = table[i].period_us,
			.periods = table[i].periods,
		};

		assert_int_equal(vx_alsa_open(&a, &cfg), -EINVAL);
	}
	assert_null(a);
}

/* Hardware that cannot do 16-bit samples, or only more than two channels: the
 * stream would not fit the pipeline's frames, so open refuses it. */
static void test_alsa_device_without_s16_or_stereo_returns_enotsup(void **state)
{
	static const struct fake_caps s32 = { 48000, 48000, 1, 2, NULL, 0, true };
	static const struct fake_caps surround = { 48000, 48000, 6, 8, NULL, 0, false };
	struct vx_alsa_config cfg = config("fake", VX_ALSA_CAPTURE, 2, 20000);
	struct vx_alsa *a = NULL;
	struct seam s;

	(void)state;
	seam_install(&s, &s32);
	assert_int_equal(vx_alsa_open(&a, &cfg), -ENOTSUP);
	assert_true(s.fakes[0].closed);
	seam_install(&s, &surround);
	assert_int_equal(vx_alsa_open(&a, &cfg), -ENOTSUP);
	assert_true(s.fakes[0].closed);
	assert_null(a);
}

/* A device name the configuration does not know, and cards that are not there:
 * ALSA's errno comes back, and alsa-lib prints nothing to stderr. */
static void test_alsa_missing_device_fails_quietly(void **state)
{
	static const struct {
		const char *name;
		int ret;
	} table[] = {
		{ "vx-no-such-pcm", -ENOENT },
		{ "hw:7,0", -ENOENT },
		{ "plughw:7,0", -ENOENT },
		{ "hw:CARD=NoSuchCard", -ENODEV },
	};
	char path[128];
	struct vx_alsa *a = NULL;
	int saved, fd, got[4];
	struct stat st;

	(void)state;
	path_in_tmp(path, sizeof(path), "stderr.txt");
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	for (size_t i = 0; i < 4; i++) {
		struct vx_alsa_config cfg = config(table[i].name, VX_ALSA_PLAYBACK, 1, 20000);

		got[i] = vx_alsa_open(&a, &cfg);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(got[i], table[i].ret);
	assert_null(a);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
}

/* ---- bytes in and out ------------------------------------------------------------ */

/* Every sample written reaches the file device, in order: whole periods and a
 * short tail, mono and stereo, raw. */
static void test_alsa_playback_writes_exactly_the_samples(void **state)
{
	(void)state;
	for (unsigned ch = 1; ch <= 2; ch++) {
		char out[128], dev[192];
		struct vx_alsa_config cfg;
		struct vx_alsa_stats st;
		struct vx_alsa *a;
		size_t frames = 48000 + 77, period, len;
		int16_t *pcm = noise(frames * ch, ch);
		void *got;

		path_in_tmp(out, sizeof(out), "play.raw");
		snprintf(dev, sizeof(dev), "vxout:%s", out);
		cfg = config(dev, VX_ALSA_PLAYBACK, ch, 10000);
		assert_int_equal(vx_alsa_open(&a, &cfg), 0);
		period = vx_alsa_params(a)->period_frames;
		for (size_t at = 0; at < frames; at += period) {
			size_t n = frames - at < period ? frames - at : period;

			assert_int_equal(vx_alsa_write(a, pcm + at * ch, n), (ssize_t)n);
		}
		assert_int_equal(vx_alsa_drain(a), 0);
		vx_alsa_stats(a, &st);
		assert_int_equal(st.frames, frames);
		assert_int_equal(st.xruns, 0);
		vx_alsa_close(a);

		got = read_file(out, &len);
		assert_int_equal(len, frames * ch * 2);
		assert_memory_equal(got, pcm, len);
		free(got);
		free(pcm);
	}
}

/* Drain hands the file plugin's buffered tail to the file before close. */
static void test_alsa_drain_flushes_before_close(void **state)
{
	char out[128], dev[192];
	struct vx_alsa_config cfg;
	struct vx_alsa *a;
	int16_t *pcm = noise(960 * 3, 3);
	struct stat st;

	(void)state;
	path_in_tmp(out, sizeof(out), "drain.raw");
	snprintf(dev, sizeof(dev), "vxout:%s", out);
	cfg = config(dev, VX_ALSA_PLAYBACK, 1, 20000);
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	assert_int_equal(vx_alsa_write(a, pcm, 960 * 3), 960 * 3);
	assert_int_equal(vx_alsa_drain(a), 0);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_size, 960 * 3 * 2);
	/* the stream is prepared again and goes on */
	assert_int_equal(vx_alsa_write(a, pcm, 960), 960);
	vx_alsa_close(a);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_size, 960 * 4 * 2);
	free(pcm);
}

/* The file device's own WAV output holds the same samples, read back with our
 * reader. */
static void test_alsa_playback_to_wav_device_reads_back(void **state)
{
	char out[128], dev[192], err[VX_WAV_ERR_LEN];
	struct vx_alsa_config cfg;
	struct vx_alsa *a;
	size_t frames = 4800, got_frames;
	int16_t *pcm = noise(frames * 2, 7), *got;

	(void)state;
	path_in_tmp(out, sizeof(out), "play.wav");
	snprintf(dev, sizeof(dev), "vxout:FILE=%s,FORMAT=wav", out);
	cfg = config(dev, VX_ALSA_PLAYBACK, 2, 5000);
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	for (size_t at = 0; at < frames; at += 240)
		assert_int_equal(vx_alsa_write(a, pcm + at * 2, 240), 240);
	vx_alsa_close(a);
	assert_int_equal(vx_wav_load(out, 2, &got, &got_frames, err, sizeof(err)), 0);
	assert_int_equal(got_frames, frames);
	assert_memory_equal(got, pcm, frames * 4);
	free(got);
	free(pcm);
}

/* Capture from the file device reproduces the raw input exactly. */
static void test_alsa_capture_reads_exactly_the_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		unsigned ch = 1 + (unsigned)i % 2;
		char in[128], dev[192];
		struct vx_alsa_config cfg = { 0 };
		struct vx_alsa_stats st;
		struct vx_alsa *a;
		size_t period = periods_us[i] * 48 / 1000, n = 50 * period;
		int16_t *src = noise(n * ch, 100 + i), *got = malloc(n * ch * 2);

		assert_non_null(got);
		path_in_tmp(in, sizeof(in), "capture.raw");
		write_file(in, src, n * ch * 2);
		snprintf(dev, sizeof(dev), "vxin:%s", in);
		cfg = config(dev, VX_ALSA_CAPTURE, ch, periods_us[i]);
		assert_int_equal(vx_alsa_open(&a, &cfg), 0);
		for (size_t at = 0; at < n; at += period)
			assert_int_equal(vx_alsa_read(a, got + at * ch, period), (ssize_t)period);
		vx_alsa_stats(a, &st);
		assert_int_equal(st.frames, n);
		vx_alsa_close(a);
		assert_memory_equal(got, src, n * ch * 2);
		free(got);
		free(src);
	}
}

/* The null device leaves the buffer alone; the read zeroes it first. */
static void test_alsa_null_capture_reads_silence(void **state)
{
	struct vx_alsa_config cfg = config("vxnull", VX_ALSA_CAPTURE, 2, 20000);
	static int16_t buf[960 * 2], zero[960 * 2];
	struct vx_alsa *a;
	long delay = -1;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	assert_int_equal(vx_alsa_read(a, buf, 960), 960);
	assert_memory_equal(buf, zero, sizeof(buf));
	assert_int_equal(vx_alsa_delay(a, &delay), 0);
	assert_int_equal(delay, 0); /* no clock, no latency */
	vx_alsa_close(a);
}

static void test_alsa_transfer_longer_than_buffer_returns_einval(void **state)
{
	struct vx_alsa_config cfg = config("vxnull", VX_ALSA_CAPTURE, 1, 2500);
	static int16_t buf[4096];
	struct vx_alsa *a;
	size_t buffer;

	(void)state;
	cfg.periods = 2;
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	buffer = vx_alsa_params(a)->buffer_frames;
	assert_int_equal(vx_alsa_read(a, buf, buffer), (ssize_t)buffer);
	assert_int_equal(vx_alsa_read(a, buf, buffer + 1), -EINVAL);
	vx_alsa_close(a);
}

/* The delay counts what is queued and not yet played: a stalled device holding
 * three periods says 1440 frames. */
static void test_alsa_delay_counts_queued_frames(void **state)
{
	static int16_t buf[480];
	struct seam s;
	struct vx_alsa *a;
	struct vx_alsa_config cfg = config("fake", VX_ALSA_PLAYBACK, 1, 10000);
	long delay = -1;

	(void)state;
	seam_install(&s, &any_caps);
	s.fakes[0].holds = true;
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(vx_alsa_write(a, buf, 480), 480);
	assert_int_equal(vx_alsa_delay(a, &delay), 0);
	assert_int_equal(delay, 1440);
	vx_alsa_close(a);
}

/* ---- recovery ---------------------------------------------------------------------- */

/* The recovery function with each error code injected, on a real (null) stream:
 * snd_pcm_recover() prepares it for real. */
static void test_alsa_recover_counts_each_error_once(void **state)
{
	static const struct {
		int err, ret;
		uint64_t xruns, suspends, disconnects;
	} table[] = {
		{ -EINTR, 0, 0, 0, 0 },
		{ -EPIPE, 0, 1, 0, 0 },
		{ -ESTRPIPE, 0, 0, 1, 0 },
		{ -ENODEV, -ENODEV, 0, 0, 1 },
		{ -EIO, -EIO, 0, 0, 0 },
		{ -EBADFD, -EBADFD, 0, 0, 0 },
	};

	(void)state;
	for (int dir = 0; dir < 2; dir++)
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
			struct vx_alsa_config cfg = config(
				"vxnull", dir ? VX_ALSA_PLAYBACK : VX_ALSA_CAPTURE, 1, 10000);
			static int16_t buf[480];
			struct vx_alsa_stats st;
			struct vx_alsa *a;

			assert_int_equal(vx_alsa_open(&a, &cfg), 0);
			assert_int_equal(vx_alsa_recover(a, table[i].err), table[i].ret);
			vx_alsa_stats(a, &st);
			assert_int_equal(st.xruns, table[i].xruns);
			assert_int_equal(st.suspends, table[i].suspends);
			assert_int_equal(st.disconnects, table[i].disconnects);
			/* the stream still works after a recovery */
			if (table[i].ret == 0)
				assert_int_equal(dir ? vx_alsa_write(a, buf, 480)
						     : vx_alsa_read(a, buf, 480),
						 480);
			vx_alsa_close(a);
		}
}

static struct vx_alsa *open_fake(struct seam *s, enum vx_alsa_stream stream, unsigned ch,
				 int16_t *played, size_t played_cap)
{
	struct vx_alsa_config cfg = config("fake", stream, ch, 10000);
	struct vx_alsa *a;

	seam_install(s, &any_caps);
	s->fakes[0].played = played;
	s->fakes[0].played_cap = played_cap;
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	assert_int_equal(vx_alsa_params(a)->period_frames, 480);
	return a;
}

/*
 * alsa-lib's snd_pcm_writei() returns -EPIPE in the XRUN state and -ESTRPIPE in
 * the SUSPENDED one; the write recovers, counts, and still delivers every frame:
 * after an underrun nothing queued is lost on our side (the gap is in time).
 */
static void test_alsa_playback_recovers_from_xrun_and_suspend(void **state)
{
	static int16_t played[480 * 10];
	int16_t *pcm = noise(480 * 10, 11);
	struct vx_alsa_stats st;
	struct seam s;
	struct vx_alsa *a = open_fake(&s, VX_ALSA_PLAYBACK, 1, played, 480 * 10);

	(void)state;
	for (size_t i = 0; i < 10; i++) {
		if (i == 3 || i == 4 || i == 8)
			snd_pcm_ioplug_set_state(&s.fakes[0].io, SND_PCM_STATE_XRUN);
		if (i == 6)
			snd_pcm_ioplug_set_state(&s.fakes[0].io, SND_PCM_STATE_SUSPENDED);
		assert_int_equal(vx_alsa_write(a, pcm + i * 480, 480), 480);
	}
	vx_alsa_stats(a, &st);
	assert_int_equal(st.xruns, 3);
	assert_int_equal(st.suspends, 1);
	assert_int_equal(st.disconnects, 0);
	assert_int_equal(st.frames, 4800);
	assert_memory_equal(played, pcm, sizeof(played));
	vx_alsa_close(a);
	free(pcm);
}

/* Capture after an overrun goes on reading whole periods. */
static void test_alsa_capture_recovers_from_xrun(void **state)
{
	static int16_t buf[480 * 2];
	struct vx_alsa_stats st;
	struct seam s;
	struct vx_alsa *a = open_fake(&s, VX_ALSA_CAPTURE, 2, NULL, 0);

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		if (i == 2)
			snd_pcm_ioplug_set_state(&s.fakes[0].io, SND_PCM_STATE_XRUN);
		assert_int_equal(vx_alsa_read(a, buf, 480), 480);
	}
	/* the fake counts samples up from 0: the last period is the 6th */
	assert_int_equal((uint16_t)buf[0], 5 * 960);
	assert_int_equal((uint16_t)buf[959], 6 * 960 - 1);
	vx_alsa_stats(a, &st);
	assert_int_equal(st.xruns, 1);
	assert_int_equal(st.frames, 6 * 480);
	vx_alsa_close(a);
}

/* A device that xruns again after every recovery: the write gives up after
 * VX_ALSA_MAX_RECOVERIES rather than spin on a real-time thread. */
static void test_alsa_endless_xruns_give_up_after_the_bound(void **state)
{
	static int16_t buf[480];
	struct vx_alsa_stats st;
	struct seam s;
	struct vx_alsa *a = open_fake(&s, VX_ALSA_PLAYBACK, 1, NULL, 0);

	(void)state;
	s.fakes[0].pointer_fails = true;
	assert_int_equal(vx_alsa_write(a, buf, 480), -EPIPE);
	vx_alsa_stats(a, &st);
	assert_int_equal(st.xruns, VX_ALSA_MAX_RECOVERIES);
	s.fakes[0].pointer_fails = false;
	assert_int_equal(vx_alsa_write(a, buf, 480), 480);
	vx_alsa_close(a);
}

/* ---- a vanished device ---------------------------------------------------------------- */

/* -ENODEV comes back to the caller; a reopen that fails twice waits 10 then 20 ms
 * and then succeeds, and the stream works again. */
static void test_alsa_vanished_device_is_reported_and_reopened(void **state)
{
	static int16_t buf[480];
	struct vx_alsa_retry retry = { .attempts = 5, .first_ms = 10, .max_ms = 1000 };
	struct vx_alsa_stats st;
	struct seam s;
	struct vx_alsa *a = open_fake(&s, VX_ALSA_PLAYBACK, 1, NULL, 0);

	(void)state;
	assert_int_equal(vx_alsa_write(a, buf, 480), 480);
	snd_pcm_ioplug_set_state(&s.fakes[0].io, SND_PCM_STATE_DISCONNECTED);
	assert_int_equal(vx_alsa_write(a, buf, 480), -ENODEV);
	assert_int_equal(vx_alsa_write(a, buf, 480), -ENODEV);

	s.attempts = 0;
	s.fail_first = 2;
	assert_int_equal(vx_alsa_reopen(a, &retry), 0);
	assert_true(s.fakes[0].closed);
	assert_int_equal(s.attempts, 3);
	assert_int_equal(s.n_sleeps, 2);
	assert_int_equal(s.sleeps[0], 10);
	assert_int_equal(s.sleeps[1], 20);
	assert_int_equal(vx_alsa_write(a, buf, 480), 480);
	assert_int_equal(s.fakes[1].total, 480);

	vx_alsa_stats(a, &st);
	assert_int_equal(st.disconnects, 2);
	assert_int_equal(st.reopens, 1);
	assert_int_equal(st.frames, 960);
	vx_alsa_close(a);
}

/* Bounded attempts: the backoff doubles up to its cap, then the error comes back,
 * and the closed stream says -ENODEV until a later reopen succeeds. */
static void test_alsa_reopen_gives_up_after_the_attempts(void **state)
{
	static const unsigned expect[] = { 10, 20, 40, 80, 100, 100, 100 };
	static int16_t buf[480];
	struct vx_alsa_retry retry = { .attempts = 8, .first_ms = 10, .max_ms = 100 };
	struct seam s;
	struct vx_alsa *a = open_fake(&s, VX_ALSA_CAPTURE, 1, NULL, 0);
	long delay;

	(void)state;
	s.attempts = 0;
	s.fail_first = UINT32_MAX;
	assert_int_equal(vx_alsa_reopen(a, &retry), -ENODEV);
	assert_int_equal(s.attempts, 8);
	assert_int_equal(s.n_sleeps, 7);
	assert_memory_equal(s.sleeps, expect, sizeof(expect));
	assert_int_equal(vx_alsa_read(a, buf, 480), -ENODEV);
	assert_int_equal(vx_alsa_delay(a, &delay), -ENODEV);
	assert_int_equal(vx_alsa_drain(a), -ENODEV);

	s.fail_first = 0;
	s.attempts = 0;
	assert_int_equal(vx_alsa_reopen(a, &retry), 0);
	assert_int_equal(vx_alsa_read(a, buf, 480), 480);
	vx_alsa_close(a);
}

/* attempts = 0 retries until told to stop; the stop is seen after the wait. */
static void test_alsa_reopen_stops_when_told(void **state)
{
	struct vx_alsa_retry retry = { .attempts = 0, .first_ms = 50, .max_ms = 200 };
	atomic_bool stop = false;
	struct seam s;
	struct vx_alsa *a = open_fake(&s, VX_ALSA_PLAYBACK, 1, NULL, 0);

	(void)state;
	retry.stop = &stop;
	s.attempts = 0;
	s.fail_first = UINT32_MAX;
	s.stop_after = &stop;
	s.stop_at = 5;
	assert_int_equal(vx_alsa_reopen(a, &retry), -ECANCELED);
	assert_int_equal(s.attempts, 5);
	assert_int_equal(s.n_sleeps, 5);
	assert_int_equal(s.sleeps[4], 200);

	/* already stopped: no attempt at all */
	s.attempts = 0;
	assert_int_equal(vx_alsa_reopen(a, &retry), -ECANCELED);
	assert_int_equal(s.attempts, 0);
	vx_alsa_close(a);
}

/* A device that comes back with another period would break the caller's
 * buffers: the reopen refuses it. */
static void test_alsa_reopen_refuses_a_changed_device(void **state)
{
	static const unsigned sizes[] = { 2048 };
	static const struct fake_caps other = { 48000, 48000, 1, 2, sizes, 1, false };
	struct vx_alsa_retry retry = { .attempts = 3, .first_ms = 1, .max_ms = 1 };
	struct seam s;
	struct vx_alsa *a = open_fake(&s, VX_ALSA_PLAYBACK, 1, NULL, 0);

	(void)state;
	s.caps = &other;
	s.attempts = 0;
	assert_int_equal(vx_alsa_reopen(a, &retry), -EPROTO);
	assert_int_equal(s.attempts, 1);
	vx_alsa_close(a);
}

/* Through snd_pcm_open() itself: the first attempt succeeds, no wait. */
static void test_alsa_reopen_of_a_device_that_never_left_succeeds_at_once(void **state)
{
	struct vx_alsa_config cfg = config("vxnull", VX_ALSA_PLAYBACK, 1, 20000);
	struct vx_alsa_retry retry = { .attempts = 2, .first_ms = 1, .max_ms = 1 };
	struct vx_alsa_stats st;
	struct vx_alsa *a;

	(void)state;
	assert_int_equal(vx_alsa_open(&a, &cfg), 0);
	/* the same name opens again: a reopen of a device that never left */
	assert_int_equal(vx_alsa_reopen(a, &retry), 0);
	vx_alsa_stats(a, &st);
	assert_int_equal(st.reopens, 1);
	vx_alsa_close(a);
}

/* ---- real-time safety --------------------------------------------------------------- */

/* Once open, reads, writes, recoveries and delay queries allocate nothing, in our
 * code or in alsa-lib's, on the file, null and fake devices. */
static void test_alsa_transfers_allocate_nothing(void **state)
{
	static int16_t buf[960 * 2];
	char in[128], out[128], dev_in[192], dev_out[192];
	struct vx_alsa *play, *rec, *null_rec, *fake;
	struct vx_alsa_config cfg;
	struct seam s;
	unsigned n;
	long delay;
	bool ok = true;

	(void)state;
	path_in_tmp(in, sizeof(in), "rt-in.raw");
	path_in_tmp(out, sizeof(out), "rt-out.raw");
	write_file(in, buf, sizeof(buf));
	snprintf(dev_in, sizeof(dev_in), "vxin:%s", in);
	snprintf(dev_out, sizeof(dev_out), "vxout:%s", out);
	cfg = config(dev_out, VX_ALSA_PLAYBACK, 2, 20000);
	assert_int_equal(vx_alsa_open(&play, &cfg), 0);
	cfg = config(dev_in, VX_ALSA_CAPTURE, 2, 20000);
	assert_int_equal(vx_alsa_open(&rec, &cfg), 0);
	cfg = config("vxnull", VX_ALSA_CAPTURE, 2, 20000);
	assert_int_equal(vx_alsa_open(&null_rec, &cfg), 0);
	fake = open_fake(&s, VX_ALSA_PLAYBACK, 2, NULL, 0);
	/* one warm-up pass: alsa-lib may set things up on first use */
	ok &= vx_alsa_write(play, buf, 960) == 960;
	ok &= vx_alsa_read(rec, buf, 960) == 960;

	/* the counter sees an allocation made through a library's call */
	allocs = 0;
	counting = 1;
	free(strdup("x"));
	counting = 0;
	assert_int_equal(allocs, 2);

	allocs = 0;
	counting = 1;
	for (int i = 0; i < 200; i++) {
		ok &= vx_alsa_write(play, buf, 960) == 960;
		ok &= vx_alsa_read(rec, buf, 960) == 960;
		ok &= vx_alsa_read(null_rec, buf, 960) == 960;
		if (i % 50 == 7)
			snd_pcm_ioplug_set_state(&s.fakes[0].io, SND_PCM_STATE_XRUN);
		ok &= vx_alsa_write(fake, buf, 480) == 480;
		ok &= vx_alsa_delay(play, &delay) == 0;
	}
	counting = 0;
	n = allocs;

	assert_true(ok);
	assert_int_equal(n, 0);
	vx_alsa_close(play);
	vx_alsa_close(rec);
	vx_alsa_close(null_rec);
	vx_alsa_close(fake);
}

/* ---- device list ---------------------------------------------------------------------- */

static void test_alsa_devices_lists_the_test_pcms_with_directions(void **state)
{
	static const struct {
		const char *name;
		bool capture, playback;
	} expect[] = {
		{ "vxnull", true, true },
		{ "vxout", false, true },
		{ "vxin", true, false },
	};
	struct vx_alsa_device *list;
	size_t n;

	(void)state;
	assert_int_equal(vx_alsa_devices(&list, &n), 0);
	for (size_t i = 0; i < 3; i++) {
		size_t j = 0;

		while (j < n && strcmp(list[j].name, expect[i].name))
			j++;
		assert_true(j < n);
		assert_non_null(strstr(list[j].description, "vox test"));
		assert_null(strchr(list[j].description, '|'));
		assert_int_equal(list[j].capture, expect[i].capture);
		assert_int_equal(list[j].playback, expect[i].playback);
	}
	vx_alsa_devices_free(list, n);
	vx_alsa_devices_free(NULL, 0);
}

/* ---- main --------------------------------------------------------------------------- */

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vx-test-alsa-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	static const char *names[] = { "stderr.txt", "play.raw", "drain.raw", "play.wav",
				       "capture.raw", "rt-in.raw", "rt-out.raw" };
	char path[128];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in_tmp(path, sizeof(path), names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alsa_null_grants_every_period_exactly),
		cmocka_unit_test_teardown(test_alsa_constrained_device_reports_what_it_granted,
					  teardown_hooks),
		cmocka_unit_test_teardown(test_alsa_only_the_period_differing_is_reported,
					  teardown_hooks),
		cmocka_unit_test(test_alsa_bad_config_returns_einval),
		cmocka_unit_test_teardown(test_alsa_device_without_s16_or_stereo_returns_enotsup,
					  teardown_hooks),
		cmocka_unit_test(test_alsa_missing_device_fails_quietly),
		cmocka_unit_test(test_alsa_playback_writes_exactly_the_samples),
		cmocka_unit_test(test_alsa_drain_flushes_before_close),
		cmocka_unit_test(test_alsa_playback_to_wav_device_reads_back),
		cmocka_unit_test(test_alsa_capture_reads_exactly_the_file),
		cmocka_unit_test(test_alsa_null_capture_reads_silence),
		cmocka_unit_test(test_alsa_transfer_longer_than_buffer_returns_einval),
		cmocka_unit_test_teardown(test_alsa_delay_counts_queued_frames, teardown_hooks),
		cmocka_unit_test(test_alsa_recover_counts_each_error_once),
		cmocka_unit_test_teardown(test_alsa_playback_recovers_from_xrun_and_suspend,
					  teardown_hooks),
		cmocka_unit_test_teardown(test_alsa_capture_recovers_from_xrun, teardown_hooks),
		cmocka_unit_test_teardown(test_alsa_endless_xruns_give_up_after_the_bound,
					  teardown_hooks),
		cmocka_unit_test_teardown(test_alsa_vanished_device_is_reported_and_reopened,
					  teardown_hooks),
		cmocka_unit_test_teardown(test_alsa_reopen_gives_up_after_the_attempts,
					  teardown_hooks),
		cmocka_unit_test_teardown(test_alsa_reopen_stops_when_told, teardown_hooks),
		cmocka_unit_test_teardown(test_alsa_reopen_refuses_a_changed_device,
					  teardown_hooks),
		cmocka_unit_test(test_alsa_reopen_of_a_device_that_never_left_succeeds_at_once),
		cmocka_unit_test_teardown(test_alsa_transfers_allocate_nothing, teardown_hooks),
		cmocka_unit_test(test_alsa_devices_lists_the_test_pcms_with_directions),
	};

	/* Before the first snd_ call: alsa-lib reads its configuration once. */
	if (access(ASOUNDRC, R_OK) != 0) {
		fprintf(stderr, "test_alsa: %s not found; run from the repository root\n",
			ASOUNDRC);
		return 1;
	}
	setenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:" ASOUNDRC, 1);
	count_allocs_init();
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
