/* SPDX-License-Identifier: MIT */
#ifndef VX_AUDIO_ALSA_INTERNAL_H
#define VX_AUDIO_ALSA_INTERNAL_H

/*
 * A seam for tests: what vx_alsa_open() and vx_alsa_reopen() call to open a PCM
 * and to wait between attempts. tests/test_alsa.c opens in-process ALSA I/O
 * plugins (snd_pcm_ioplug) through it, which it can put into the XRUN, SUSPENDED
 * or DISCONNECTED state at will, so alsa-lib's own transfer functions return
 * -EPIPE, -ESTRPIPE and -ENODEV exactly when a case wants; and it replaces the
 * backoff's sleep by a recorder, so retry schedules are checked without waiting.
 */
#include <stdatomic.h>

#include <alsa/asoundlib.h>

struct vx_alsa_hooks {
	/* As snd_pcm_open(): 0 and *pcm set, or a negative errno. */
	int (*open)(void *ctx, snd_pcm_t **pcm, const char *name, snd_pcm_stream_t stream,
		    int mode);
	/* Wait @ms milliseconds, or less once *stop is set (stop may be NULL). */
	void (*sleep)(void *ctx, unsigned ms, const atomic_bool *stop);
	void *ctx;
};

/**
 * vx_alsa_set_hooks() - replace the open and sleep functions for every stream
 * opened or reopened from now on.
 * @hooks: copied; NULL restores snd_pcm_open() and the real sleep. A NULL member
 *         keeps the real function.
 *
 * Context: tests only; not thread-safe.
 */
void vx_alsa_set_hooks(const struct vx_alsa_hooks *hooks);

#endif
