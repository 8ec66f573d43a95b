// SPDX-License-Identifier: MIT
/* ALSA capture and playback in codec frames; see alsa.h. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <alsa/asoundlib.h>

#include "audio/alsa.h"
#include "audio/alsa_internal.h"
#include "audio/codec.h"

struct vx_alsa {
	snd_pcm_t *pcm;              /* NULL after a failed reopen */
	char *device;                /* cfg.device points here */
	struct vx_alsa_config cfg;   /* as asked */
	struct vx_alsa_params params; /* as granted */
	size_t frame_bytes;          /* channels x 2 */
	/*
	 * Relaxed atomics, so vx_alsa_stats() may read them from another thread. Only
	 * one thread writes at a time (the stream's, or the one reopening it), so a
	 * load and a store replace the locked read-modify-write of atomic_fetch_add.
	 */
	_Atomic uint64_t frames, xruns, suspends, disconnects, reopens;
};

static void bump(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* ---- hooks ------------------------------------------------------------------- */

static int real_open(void *ctx, snd_pcm_t **pcm, const char *name, snd_pcm_stream_t stream,
		     int mode)
{
	(void)ctx;
	return snd_pcm_open(pcm, name, stream, mode);
}

static bool is_stopped(const atomic_bool *stop)
{
	return stop && atomic_load_explicit(stop, memory_order_relaxed);
}

/* Sleeps in slices, so a stop flag set by another thread (which, unlike a signal,
 * does not interrupt nanosleep) is seen within one slice. */
static void real_sleep(void *ctx, unsigned ms, const atomic_bool *stop)
{
	enum { SLICE_MS = 20 };

	(void)ctx;
	while (ms > 0 && !is_stopped(stop)) {
		unsigned step = ms < SLICE_MS ? ms : SLICE_MS;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)step * 1000000L };

		nanosleep(&ts, NULL); /* EINTR: a signal; the flag says whether to stop */
		ms -= step;
	}
}

static struct vx_alsa_hooks hooks = { real_open, real_sleep, NULL };

void vx_alsa_set_hooks(const struct vx_alsa_hooks *h)
{
	hooks.open = h && h->open ? h->open : real_open;
	hooks.sleep = h && h->sleep ? h->sleep : real_sleep;
	hooks.ctx = h ? h->ctx : NULL;
}

/* ---- ALSA's messages ------------------------------------------------------------- */

/* alsa-lib prints its errors to stderr unless an application installs a handler.
 * Library code does not print, and every message it would print is also returned
 * as an errno, so the handler discards them. */
static void quiet(const char *file, int line, const char *function, int err, const char *fmt,
		  ...)
{
	(void)file;
	(void)line;
	(void)function;
	(void)err;
	(void)fmt;
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void install_quiet(void)
{
	snd_lib_error_set_handler(quiet);
}

/* ---- open and configure ------------------------------------------------------------ */

static bool config_is_valid(const struct vx_alsa_config *cfg)
{
	return cfg->device && cfg->device[0] &&
	       (cfg->stream == VX_ALSA_CAPTURE || cfg->stream == VX_ALSA_PLAYBACK) &&
	       cfg->rate >= 8000 && cfg->rate <= 192000 &&
	       (cfg->channels == 1 || cfg->channels == 2) &&
	       vx_codec_us_to_samples(cfg->period_us) != 0 &&
	       cfg->periods >= VX_ALSA_MIN_PERIODS && cfg->periods <= VX_ALSA_MAX_PERIODS;
}

/* Frames in @us microseconds at @rate, rounded to nearest (exact for 48 kHz). */
static size_t us_to_frames(unsigned rate, unsigned us)
{
	return (size_t)(((uint64_t)rate * us + 500000) / 1000000);
}

static int set_hw_params(snd_pcm_t *pcm, const struct vx_alsa_config *cfg,
			 struct vx_alsa_params *got)
{
	snd_pcm_hw_params_t *hw;
	unsigned rate = cfg->rate, channels = cfg->channels;
	snd_pcm_uframes_t period, buffer;
	int dir = 0, ret;

	snd_pcm_hw_params_alloca(&hw);
	ret = snd_pcm_hw_params_any(pcm, hw);
	if (ret < 0)
		return ret;
	if (snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) < 0 ||
	    snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE) < 0)
		return -ENOTSUP;
	ret = snd_pcm_hw_params_set_channels_near(pcm, hw, &channels);
	if (ret < 0)
		return ret;
	ret = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, &dir);
	if (ret < 0)
		return ret;
	ret = snd_pcm_hw_params_set_periods_integer(pcm, hw);
	if (ret < 0)
		return ret;
	/* The period is a duration: at a rate other than the one asked, ask for the
	 * frames that last as long. */
	period = us_to_frames(rate, cfg->period_us);
	dir = 0;
	ret = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir);
	if (ret < 0)
		return ret;
	buffer = period * cfg->periods;
	ret = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer);
	if (ret < 0)
		return ret;
	ret = snd_pcm_hw_params(pcm, hw);
	if (ret < 0)
		return ret;

	/* Read back what was installed rather than trusting the _near results. */
	if (snd_pcm_hw_params_get_channels(hw, &channels) < 0 ||
	    snd_pcm_hw_params_get_rate(hw, &rate, &dir) < 0 ||
	    snd_pcm_hw_params_get_period_size(hw, &period, &dir) < 0 ||
	    snd_pcm_hw_params_get_buffer_size(hw, &buffer) < 0)
		return -EIO;
	got->rate = rate;
	got->channels = channels;
	got->period_frames = period;
	got->buffer_frames = buffer;
	got->differs = rate != cfg->rate || channels != cfg->channels ||
		       period != us_to_frames(cfg->rate, cfg->period_us) ||
		       buffer != us_to_frames(cfg->rate, cfg->period_us) * cfg->periods;
	return 0;
}

static int set_sw_params(snd_pcm_t *pcm, const struct vx_alsa_config *cfg,
			 const struct vx_alsa_params *got)
{
	snd_pcm_sw_params_t *sw;
	int ret;

	snd_pcm_sw_params_alloca(&sw);
	ret = snd_pcm_sw_params_current(pcm, sw);
	if (ret < 0)
		return ret;
	/* Playback starts on a full buffer, so the first periods have the whole buffer
	 * as their margin; capture starts with the first read. */
	ret = snd_pcm_sw_params_set_start_threshold(
		pcm, sw, cfg->stream == VX_ALSA_PLAYBACK ? got->buffer_frames : 1);
	if (ret < 0)
		return ret;
	/* Wake the blocked transfer once a whole period is ready, not per sample. */
	ret = snd_pcm_sw_params_set_avail_min(pcm, sw, got->period_frames);
	if (ret < 0)
		return ret;
	return snd_pcm_sw_params(pcm, sw);
}

#ifdef SND_PCM_EINTR
#define OPEN_MODE SND_PCM_EINTR
#else
#define OPEN_MODE 0
#endif

/* Open the device and set it up; on success a->pcm is set and *got filled. */
static int pcm_start(struct vx_alsa *a, struct vx_alsa_params *got)
{
	snd_pcm_t *pcm;
	int ret;

	/*
	 * Blocking I/O that a signal interrupts. The kernel's hw devices return -EINTR
	 * by themselves; alsa-lib's plugins (pulse, dmix, file...) wait on through
	 * signals unless the stream is opened with SND_PCM_EINTR (alsa-lib >= 1.2.9)
	 * or put in abort mode, which 1.2.8 offers for exactly this. Either way a
	 * stop request ends a blocked read or write at once, on every device.
	 */
	ret = hooks.open(hooks.ctx, &pcm, a->device,
			 a->cfg.stream == VX_ALSA_PLAYBACK ? SND_PCM_STREAM_PLAYBACK
							   : SND_PCM_STREAM_CAPTURE,
			 OPEN_MODE);
	if (ret < 0)
		return ret;
#ifndef SND_PCM_EINTR
	snd_pcm_abort(pcm);
#endif
	ret = set_hw_params(pcm, &a->cfg, got);
	if (ret < 0)
		goto err_close;
	ret = set_sw_params(pcm, &a->cfg, got);
	if (ret < 0)
		goto err_close;
	ret = snd_pcm_prepare(pcm);
	if (ret < 0)
		goto err_close;
	a->pcm = pcm;
	return 0;

err_close:
	snd_pcm_close(pcm);
	return ret;
}

int vx_alsa_open(struct vx_alsa **out, const struct vx_alsa_config *cfg)
{
	struct vx_alsa *a;
	int ret;

	if (!config_is_valid(cfg))
		return -EINVAL;
	pthread_once(&quiet_once, install_quiet);

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->device = strdup(cfg->device);
	if (!a->device) {
		ret = -ENOMEM;
		goto err_free;
	}
	a->cfg = *cfg;
	a->cfg.device = a->device;

	ret = pcm_start(a, &a->params);
	if (ret < 0)
		goto err_free_name;
	/* Channels beyond two would not fit the caller's frames; the plug layer can
	 * always give 1 or 2, so say which device to use instead. */
	if (a->params.channels > 2) {
		ret = -ENOTSUP;
		goto err_close;
	}
	a->frame_bytes = a->params.channels * sizeof(int16_t);
	*out = a;
	return 0;

err_close:
	snd_pcm_close(a->pcm);
err_free_name:
	free(a->device);
err_free:
	free(a);
	return ret;
}

void vx_alsa_close(struct vx_alsa *a)
{
	if (!a)
		return;
	if (a->pcm) {
		snd_pcm_drop(a->pcm);
		snd_pcm_close(a->pcm);
	}
	free(a->device);
	free(a);
}

const struct vx_alsa_params *vx_alsa_params(const struct vx_alsa *a)
{
	return &a->params;
}

/* ---- transfer ------------------------------------------------------------------ */

int vx_alsa_recover(struct vx_alsa *a, int err)
{
	int ret;

	switch (err) {
	case -EINTR:
		return 0;
	case -EPIPE:
	case -ESTRPIPE:
		if (!a->pcm)
			return -ENODEV;
		/* silent = 1: no "underrun occurred" on stderr; the counter says it. */
		ret = snd_pcm_recover(a->pcm, err, 1);
		if (ret == -ENODEV)
			break;
		if (ret < 0)
			return ret;
		bump(err == -EPIPE ? &a->xruns : &a->suspends, 1);
		return 0;
	case -ENODEV:
		break;
	default:
		return err;
	}
	bump(&a->disconnects, 1);
	return -ENODEV;
}

/* One loop for both directions: snd_pcm_readi and snd_pcm_writei differ only in
 * the constness of the buffer. */
static ssize_t transfer(struct vx_alsa *a, int16_t *rbuf, const int16_t *wbuf, size_t frames)
{
	unsigned recoveries = 0;
	size_t done = 0;
	ssize_t ret = 0;

	if (!a->pcm)
		return -ENODEV;
	if (frames > a->params.buffer_frames)
		return -EINVAL; /* alsa-lib's file plugin fails such a read */

	/* Each pass moves frames or spends one of a bounded number of recoveries;
	 * a pass that moves nothing without an error ends the call. */
	while (done < frames) {
		size_t off = done * a->params.channels;
		snd_pcm_sframes_t n = rbuf ? snd_pcm_readi(a->pcm, rbuf + off, frames - done)
					   : snd_pcm_writei(a->pcm, wbuf + off, frames - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			break; /* a file source at its end */
		if (n == -EINTR) {
			ret = -EINTR;
			break;
		}
		if (++recoveries > VX_ALSA_MAX_RECOVERIES) {
			ret = n;
			break;
		}
		ret = vx_alsa_recover(a, (int)n);
		if (ret < 0)
			break;
	}
	bump(&a->frames, done);
	if (done > 0 && ret == -EINTR)
		return (ssize_t)done;
	return ret < 0 ? ret : (ssize_t)done;
}

ssize_t vx_alsa_read(struct vx_alsa *a, int16_t *pcm, size_t frames)
{
	assert(a->cfg.stream == VX_ALSA_CAPTURE);
	if (a->pcm && frames <= a->params.buffer_frames)
		memset(pcm, 0, frames * a->frame_bytes);
	return transfer(a, pcm, NULL, frames);
}

ssize_t vx_alsa_write(struct vx_alsa *a, const int16_t *pcm, size_t frames)
{
	assert(a->cfg.stream == VX_ALSA_PLAYBACK);
	return transfer(a, NULL, pcm, frames);
}

int vx_alsa_delay(struct vx_alsa *a, long *frames)
{
	snd_pcm_sframes_t d;
	int ret;

	if (!a->pcm)
		return -ENODEV;
	ret = snd_pcm_delay(a->pcm, &d);
	if (ret < 0)
		return ret;
	*frames = d;
	return 0;
}

int vx_alsa_drain(struct vx_alsa *a)
{
	int ret;

	if (!a->pcm)
		return -ENODEV;
	ret = a->cfg.stream == VX_ALSA_PLAYBACK ? snd_pcm_drain(a->pcm) : snd_pcm_drop(a->pcm);
	if (ret < 0)
		return ret;
	return snd_pcm_prepare(a->pcm);
}

/* ---- reopen ---------------------------------------------------------------------- */

int vx_alsa_reopen(struct vx_alsa *a, const struct vx_alsa_retry *retry)
{
	struct vx_alsa_params got;
	unsigned wait = retry->first_ms;
	int ret = -ENODEV;

	if (a->pcm) {
		snd_pcm_close(a->pcm);
		a->pcm = NULL;
	}
	for (unsigned i = 0; retry->attempts == 0 || i < retry->attempts; i++) {
		if (i > 0) {
			hooks.sleep(hooks.ctx, wait, retry->stop);
			wait = wait > retry->max_ms / 2 ? retry->max_ms : wait * 2;
		}
		if (is_stopped(retry->stop))
			return -ECANCELED;
		ret = pcm_start(a, &got);
		if (ret < 0)
			continue;
		if (got.rate != a->params.rate || got.channels != a->params.channels ||
		    got.period_frames != a->params.period_frames) {
			snd_pcm_close(a->pcm);
			a->pcm = NULL;
			return -EPROTO;
		}
		a->params.buffer_frames = got.buffer_frames;
		bump(&a->reopens, 1);
		return 0;
	}
	return ret;
}

void vx_alsa_stats(const struct vx_alsa *a, struct vx_alsa_stats *out)
{
	out->frames = atomic_load_explicit(&a->frames, memory_order_relaxed);
	out->xruns = atomic_load_explicit(&a->xruns, memory_order_relaxed);
	out->suspends = atomic_load_explicit(&a->suspends, memory_order_relaxed);
	out->disconnects = atomic_load_explicit(&a->disconnects, memory_order_relaxed);
	out->reopens = atomic_load_explicit(&a->reopens, memory_order_relaxed);
}

/* ---- device list ------------------------------------------------------------------ */

void vx_alsa_devices_free(struct vx_alsa_device *list, size_t count)
{
	if (!list)
		return;
	for (size_t i = 0; i < count; i++) {
		free(list[i].name);
		free(list[i].description);
	}
	free(list);
}

/* Append one hint's device to the list; a hint without a name is skipped. */
static int add_device(struct vx_alsa_device **list, size_t *n, size_t *cap, const void *hint)
{
	char *name = snd_device_name_get_hint(hint, "NAME");
	char *desc = snd_device_name_get_hint(hint, "DESC");
	char *ioid = snd_device_name_get_hint(hint, "IOID"); /* NULL: both directions */
	int ret = 0;

	if (!name)
		goto out;
	if (*n == *cap) {
		size_t grow = *cap ? *cap * 2 : 16;
		struct vx_alsa_device *bigger = realloc(*list, grow * sizeof(**list));

		if (!bigger) {
			ret = -ENOMEM;
			goto out;
		}
		*list = bigger;
		*cap = grow;
	}
	if (!desc && !(desc = strdup(""))) {
		ret = -ENOMEM;
		goto out;
	}
	(*list)[*n] = (struct vx_alsa_device){
		.name = name,
		.description = desc,
		.capture = !ioid || !strcmp(ioid, "Input"),
		.playback = !ioid || !strcmp(ioid, "Output"),
	};
	(*n)++;
	name = desc = NULL;
out:
	free(name);
	free(desc);
	free(ioid);
	return ret;
}

int vx_alsa_devices(struct vx_alsa_device **out, size_t *count)
{
	struct vx_alsa_device *list = NULL;
	size_t n = 0, cap = 0;
	void **hints;
	int ret;

	pthread_once(&quiet_once, install_quiet);
	ret = snd_device_name_hint(-1, "pcm", &hints);
	if (ret < 0)
		return ret;
	for (void **h = hints; *h && ret == 0; h++)
		ret = add_device(&list, &n, &cap, *h);
	snd_device_name_free_hint(hints);
	if (ret < 0) {
		vx_alsa_devices_free(list, n);
		return ret;
	}
	*out = list;
	*count = n;
	return 0;
}
