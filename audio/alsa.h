/* SPDX-License-Identifier: MIT */
#ifndef VX_AUDIO_ALSA_H
#define VX_AUDIO_ALSA_H

/*
 * ALSA capture and playback in whole codec frames.
 *
 * A stream is a named PCM ("default", "hw:1,0", "plughw:CARD=USB", or any PCM of
 * the ALSA configuration) opened blocking, interleaved S16_LE, with a period of
 * one codec frame (2.5 to 60 ms) and a buffer of 2 to 4 periods. The device may
 * not grant exactly that: vx_alsa_params() says what it did grant, and whether it
 * differs from what was asked, and the caller decides whether it can live with it.
 *
 * Once open, reads and writes make no allocation and no syscall but the device's
 * own I/O; hardware parameters, software parameters and the prepare all happen at
 * open. They recover by themselves from what a stream survives:
 *
 *   -EPIPE     an xrun: the application was late, so the capture buffer overran
 *              or the playback buffer ran dry. snd_pcm_recover() prepares the
 *              stream again (one ioctl); the audio of the gap is lost.
 *   -ESTRPIPE  the system suspended: snd_pcm_recover() resumes the stream, or
 *              prepares it where the hardware cannot resume.
 *
 * Each recovery is counted (struct vx_alsa_stats) and the transfer goes on. A
 * device that vanished (-ENODEV: a USB headset unplugged, a sound server gone) is
 * reported to the caller, whose control thread calls vx_alsa_reopen(), which
 * retries with exponential backoff, a bounded number of times or until told to
 * stop. Other errors are returned as they are.
 *
 * ALSA's own messages ("ALSA lib pcm.c:...: Unknown PCM") are silenced, as library
 * code does not print: every failure comes back as a negative errno instead.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VX_ALSA_RATE        48000 /* Hz: the pipeline's rate */
#define VX_ALSA_MIN_PERIODS 2     /* buffer size, in periods */
#define VX_ALSA_MAX_PERIODS 4
/* Recoveries (xrun or suspend) one read or write may make before it gives up and
 * returns the error: a device that xruns again at once is broken, and a loop with
 * no bound has no place on a real-time thread. */
#define VX_ALSA_MAX_RECOVERIES 4

enum vx_alsa_stream {
	VX_ALSA_CAPTURE,
	VX_ALSA_PLAYBACK,
};

struct vx_alsa_config {
	const char *device;          /* PCM name; copied */
	enum vx_alsa_stream stream;
	unsigned rate;               /* Hz, 8000..192000; VX_ALSA_RATE for the pipeline */
	unsigned channels;           /* 1 or 2 */
	unsigned period_us;          /* one codec frame: 2500, 5000, 10000, 20000,
				      * 40000 or 60000 microseconds */
	unsigned periods;            /* buffer = periods x period, VX_ALSA_MIN_PERIODS..
				      * VX_ALSA_MAX_PERIODS */
};

/* What the device granted. */
struct vx_alsa_params {
	unsigned rate;               /* Hz */
	unsigned channels;
	size_t period_frames;        /* frames per period (a frame: one sample per channel) */
	size_t buffer_frames;        /* frames in the whole buffer */
	bool differs;                /* any of the four differs from what was asked */
};

/* Counters since open. */
struct vx_alsa_stats {
	uint64_t frames;             /* frames read or written */
	uint64_t xruns;              /* -EPIPE recovered: overruns or underruns */
	uint64_t suspends;           /* -ESTRPIPE recovered */
	uint64_t disconnects;        /* -ENODEV seen */
	uint64_t reopens;            /* successful vx_alsa_reopen() calls */
};

/* How vx_alsa_reopen() retries. */
struct vx_alsa_retry {
	unsigned attempts;           /* opens to try, >= 1; 0: until *stop */
	unsigned first_ms;           /* wait after the first failure; doubled each time */
	unsigned max_ms;             /* longest wait */
	const atomic_bool *stop;     /* when set (by a signal handler or another
				      * thread), give up; may be NULL */
};

struct vx_alsa;

/**
 * vx_alsa_open() - open a PCM and set it up for one codec frame per period.
 * @out: set to the new stream on success.
 * @cfg: device, direction and the format asked for.
 *
 * Asks for S16_LE interleaved (required), and for the rate, channels, period and
 * buffer nearest to @cfg. Playback starts when the buffer is full; capture starts
 * with the first read. The stream is left prepared.
 *
 * Context: not real-time (opens, allocates).
 * Return: 0; -EINVAL for a bad @cfg; -ENOTSUP for a device without S16_LE or
 * that insists on more than two channels (its "plughw:" twin has neither
 * problem); -ENOMEM; or ALSA's negative errno: -ENOENT for a name the
 * configuration does not know or a card number with no card (hw:7), -ENODEV for
 * a card name with no card (hw:CARD=USB), -EINVAL for a malformed name (hw:77),
 * -EBUSY for a device in use.
 */
int vx_alsa_open(struct vx_alsa **out, const struct vx_alsa_config *cfg)
	__attribute__((warn_unused_result));

/**
 * vx_alsa_close() - stop the stream at once (no drain), close it, free it.
 * @a: stream, or NULL.
 *
 * Context: not real-time.
 */
void vx_alsa_close(struct vx_alsa *a);

/**
 * vx_alsa_params() - what the device granted at open (and at the last reopen).
 * @a: stream.
 *
 * Context: any; real-time safe.
 * Return: the parameters, valid until vx_alsa_close().
 */
const struct vx_alsa_params *vx_alsa_params(const struct vx_alsa *a);

/**
 * vx_alsa_read() - capture frames.
 * @a:      a capture stream.
 * @pcm:    room for @frames x channels interleaved samples.
 * @frames: frames wanted: one period is the unit; at most buffer_frames.
 *
 * Blocks until @frames are read, recovering from xruns and suspends on the way
 * (counted in the stats). @pcm is zeroed first, so a device that delivers no
 * data (the null PCM) reads as silence rather than as stale memory.
 *
 * Context: the stream's thread; real-time safe: no allocation, no lock, and
 * syscalls on the device only. A suspend's recovery waits until the system has
 * resumed (alsa-lib polls once a second): there is no deadline to meet then.
 * Return: @frames; fewer if a signal interrupted the wait after some frames, or
 * if the source ended (0 once it has: a pipe behind alsa-lib's file plugin);
 * -EINTR if a signal came before any frame; -ENODEV if the device vanished (call
 * vx_alsa_reopen()); -EINVAL if @frames exceeds the buffer; or ALSA's negative
 * errno, e.g. -EPIPE after VX_ALSA_MAX_RECOVERIES xruns in one call. Frames
 * read before an error are counted in the stats but not returned.
 */
ssize_t vx_alsa_read(struct vx_alsa *a, int16_t *pcm, size_t frames)
	__attribute__((warn_unused_result));

/**
 * vx_alsa_write() - play frames.
 * @a:      a playback stream.
 * @pcm:    @frames x channels interleaved samples.
 * @frames: frames to queue; one period is the unit; at most buffer_frames.
 *
 * Blocks until all @frames are queued, recovering as vx_alsa_read() does. After
 * an underrun the stream restarts once the buffer is full again.
 *
 * Context: as vx_alsa_read().
 * Return: as vx_alsa_read().
 */
ssize_t vx_alsa_write(struct vx_alsa *a, const int16_t *pcm, size_t frames)
	__attribute__((warn_unused_result));

/**
 * vx_alsa_recover() - recover from a transfer error, and count it.
 * @a:   stream.
 * @err: the negative errno a transfer returned.
 *
 * vx_alsa_read() and vx_alsa_write() call this themselves; it is public for a
 * caller that drives the PCM some other way, and for tests.
 *
 * Context: the stream's thread; real-time safe for -EPIPE and -EINTR; -ESTRPIPE
 * waits as vx_alsa_read() says.
 * Return: 0 when the stream is ready again (-EPIPE counted as an xrun, -ESTRPIPE
 * as a suspend; -EINTR needs nothing); -ENODEV (counted as a disconnect) when the
 * device is gone; any other @err, or the error of a failed recovery, as it is.
 */
int vx_alsa_recover(struct vx_alsa *a, int err) __attribute__((warn_unused_result));

/**
 * vx_alsa_delay() - the stream's latency now (snd_pcm_delay()).
 * @a:      stream.
 * @frames: set to the delay in frames. Playback: until a frame written now is
 *          heard. Capture: since the oldest frame not yet read was captured.
 *
 * Devices with no clock (null, file) say 0.
 *
 * Context: the stream's thread; real-time safe (one ioctl).
 * Return: 0, -ENODEV if the device vanished, or ALSA's negative errno (-EPIPE in
 * an xrun).
 */
int vx_alsa_delay(struct vx_alsa *a, long *frames) __attribute__((warn_unused_result));

/**
 * vx_alsa_drain() - playback: wait until every queued frame has been played, then
 * stop. Capture: stop, dropping what was not read.
 * @a: stream.
 *
 * The stream is prepared again afterwards, so it can go on.
 *
 * Context: not real-time (blocks for up to a buffer's duration).
 * Return: 0, -ENODEV, or ALSA's negative errno.
 */
int vx_alsa_drain(struct vx_alsa *a);

/**
 * vx_alsa_reopen() - close a stream whose device vanished and open it again.
 * @a:     stream; its device name and asked-for format are kept.
 * @retry: how many times and how long to wait between attempts.
 *
 * Waits first_ms after the first failed attempt, twice that after the second, and
 * so on up to max_ms; *@retry->stop ends the wait early. The device must come back
 * with the same rate, channels and period, since the caller's buffers are sized
 * for them; the buffer may differ. On failure the stream stays closed: reads and
 * writes return -ENODEV, and vx_alsa_reopen() may be called again.
 *
 * Context: any one thread while no read or write runs on @a (the stream's thread
 * after its -ENODEV, or the control thread it handed over to); not real-time
 * (sleeps, opens, allocates).
 * Return: 0 (and counts a reopen); -ECANCELED if told to stop; -EPROTO if the
 * device came back with another rate, channel count or period; otherwise the
 * last attempt's error (-ENODEV, -ENOENT, ...) once the attempts are spent.
 */
int vx_alsa_reopen(struct vx_alsa *a, const struct vx_alsa_retry *retry)
	__attribute__((warn_unused_result));

/**
 * vx_alsa_stats() - a copy of the counters.
 * @a:   stream.
 * @out: filled in.
 *
 * Context: any thread: the counters are relaxed atomics, each exact, though not
 * all from the same instant.
 */
void vx_alsa_stats(const struct vx_alsa *a, struct vx_alsa_stats *out);

/* ------------------------------------------------------------------------------ */

/* One PCM of the ALSA configuration, as snd_device_name_hint() describes it. */
struct vx_alsa_device {
	char *name;                  /* what vx_alsa_config.device takes */
	char *description;           /* free text, may hold newlines; "" if none */
	bool capture;                /* usable for capture */
	bool playback;               /* usable for playback */
};

/**
 * vx_alsa_devices() - the PCMs the ALSA configuration lists: cards' devices and
 * the configuration's PCMs that ask to be shown (a "hint" with "show on").
 * @out:   set to a malloc'd array, in ALSA's order (free with
 *         vx_alsa_devices_free()).
 * @count: set to its length.
 *
 * Context: not real-time (reads the configuration, allocates).
 * Return: 0, -ENOMEM, or ALSA's negative errno.
 */
int vx_alsa_devices(struct vx_alsa_device **out, size_t *count)
	__attribute__((warn_unused_result));

/** vx_alsa_devices_free() - free vx_alsa_devices()'s array; NULL is accepted. */
void vx_alsa_devices_free(struct vx_alsa_device *list, size_t count);

#endif
