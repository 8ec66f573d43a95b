// SPDX-License-Identifier: MIT
/*
 * vox devices, vox record, vox play: the sound card from the command line.
 *
 * One thread does it all: the device is read or written a period at a time and
 * the WAV file is written in between. A command-line recorder can afford that (a
 * page-cache write takes microseconds and the buffer holds four periods); the
 * real-time pipeline hands frames to a writer thread through a ring instead.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/alsa.h"
#include "audio/wav.h"
#include "pipeline/cli.h"
#include "pipeline/json.h"

#define DEFAULT_DEVICE   "default"
#define DEFAULT_FRAME_US 20000
#define DEFAULT_PERIODS  4     /* 80 ms of margin at 20 ms: a file needs no low latency */
#define METER_HZ         5     /* meter updates per second of audio */
#define METER_FLOOR_DB   (-60.0)
#define METER_WIDTH      30    /* characters of bar for METER_FLOOR_DB..0 dBFS */

/* ---- stopping on a signal ---------------------------------------------------------- */

/* Set with vx_cli_signal, as an atomic_bool for vx_alsa_retry's stop. */
static atomic_bool stop;
/* The WAV being recorded, for a second signal that ends the process at once. */
static struct vx_wav_writer *volatile recording;

/*
 * vx_cli_catch_signals()'s hook. The first SIGINT or SIGTERM asks the loop to
 * stop after the current period (the read or write it interrupts returns at
 * once). A second one, from a user who does not want to wait, ends the process:
 * the header is then made to count every frame on disk first, which is what the
 * writer's signal-safe finalize is for.
 */
static void on_signal(int sig)
{
	if (atomic_load(&stop)) {
		if (recording)
			vx_wav_writer_finalize_signal(recording);
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	atomic_store(&stop, true);
}

/* ---- the level meter ------------------------------------------------------------------ */

/* Peak and RMS over the last 1/METER_HZ s, drawn on a terminal's stderr. */
struct meter {
	bool on;              /* stderr is a terminal */
	bool drawn;           /* a meter line is on screen, unterminated */
	size_t window;        /* frames per update */
	size_t frames;        /* frames in the window so far */
	int peak;             /* largest |sample| */
	double sumsq;         /* sum of squares, in full-scale units */
	long delay_max;       /* frames, over the whole run */
	unsigned rate;
};

static void meter_init(struct meter *m, unsigned rate)
{
	memset(m, 0, sizeof(*m));
	m->on = isatty(STDERR_FILENO);
	m->rate = rate;
	m->window = rate / METER_HZ;
}

static double to_dbfs(double level)
{
	return level > 0 ? 20.0 * log10(level) : -(double)INFINITY;
}

static void meter_draw(struct meter *m, double peak_db, double rms_db, long delay)
{
	char bar[METER_WIDTH + 1];
	int rms_len = (int)lround((rms_db - METER_FLOOR_DB) / -METER_FLOOR_DB * METER_WIDTH);
	int peak_at = (int)lround((peak_db - METER_FLOOR_DB) / -METER_FLOOR_DB * METER_WIDTH) - 1;

	for (int i = 0; i < METER_WIDTH; i++)
		bar[i] = i < rms_len ? '#' : ' ';
	if (peak_at >= 0 && peak_at < METER_WIDTH)
		bar[peak_at] = '|';
	bar[METER_WIDTH] = '\0';
	fprintf(stderr, "\r[%s] peak %6.1f  rms %6.1f dBFS  delay %5.1f ms ", bar,
		peak_db < METER_FLOOR_DB ? METER_FLOOR_DB : peak_db,
		rms_db < METER_FLOOR_DB ? METER_FLOOR_DB : rms_db, 1000.0 * (double)delay / m->rate);
	m->drawn = true;
}

/* Before any other message: end the meter's line. */
static void meter_break(struct meter *m)
{
	if (m->drawn)
		fputc('\n', stderr);
	m->drawn = false;
}

static void meter_feed(struct meter *m, struct vx_alsa *a, const int16_t *pcm, size_t frames,
		       unsigned channels)
{
	size_t n = frames * channels;
	long delay = 0;

	for (size_t i = 0; i < n; i++) {
		int s = pcm[i];
		double x = s / 32768.0;

		if (abs(s) > m->peak)
			m->peak = abs(s);
		m->sumsq += x * x;
	}
	m->frames += frames;
	if (m->frames < m->window)
		return;
	if (vx_alsa_delay(a, &delay) == 0 && delay > m->delay_max)
		m->delay_max = delay;
	if (m->on)
		meter_draw(m, to_dbfs(m->peak / 32768.0),
			   to_dbfs(sqrt(m->sumsq / (double)(m->frames * channels))), delay);
	m->frames = 0;
	m->peak = 0;
	m->sumsq = 0;
}

/* ---- shared pieces ------------------------------------------------------------------------ */

static const char *errno_text(int err)
{
	return strerror(err < 0 ? -err : err);
}

static const char *dir_name(enum vx_alsa_stream s)
{
	return s == VX_ALSA_CAPTURE ? "capture" : "playback";
}

static int open_device(struct vx_alsa **a, const char *cmd, const struct vx_alsa_config *cfg)
{
	const struct vx_alsa_params *p;
	int ret = vx_alsa_open(a, cfg);

	if (ret < 0) {
		const char *why = errno_text(ret);

		if (ret == -ENOENT || ret == -ENODEV)
			why = "no such device";
		else if (ret == -EINVAL)
			why = "not a valid device name";
		else if (ret == -ENOTSUP)
			why = "it cannot do 16-bit mono or stereo (its plughw: twin can)";
		fprintf(stderr, "vox %s: cannot open %s device '%s': %s\n", cmd, dir_name(cfg->stream),
			cfg->device, why);
		return VX_EXIT_FAIL;
	}
	p = vx_alsa_params(*a);
	if (p->differs)
		fprintf(stderr,
			"vox %s: device '%s' gave %u Hz, %u ch, %zu-frame periods, %zu-frame buffer "
			"(asked %u Hz, %u ch, %u us periods, %u periods)\n",
			cmd, cfg->device, p->rate, p->channels, p->period_frames, p->buffer_frames,
			cfg->rate, cfg->channels, cfg->period_us, cfg->periods);
	return VX_EXIT_OK;
}

/* After -ENODEV: say so, and reopen with backoff for up to about ten seconds. */
static int reopen_device(struct vx_alsa *a, struct meter *m, const char *cmd, const char *device)
{
	struct vx_alsa_retry retry = { .attempts = 10, .first_ms = 100, .max_ms = 2000, .stop = &stop };
	int ret;

	meter_break(m);
	fprintf(stderr, "vox %s: device '%s' vanished; reopening\n", cmd, device);
	ret = vx_alsa_reopen(a, &retry);
	if (ret == 0)
		fprintf(stderr, "vox %s: device '%s' is back\n", cmd, device);
	else if (ret != -ECANCELED)
		fprintf(stderr, "vox %s: device '%s' did not come back: %s\n", cmd, device,
			errno_text(ret));
	return ret;
}

static void print_summary(const char *verb, const char *path, uint64_t frames,
			  const struct vx_alsa_params *p, const struct vx_alsa_stats *st,
			  const struct meter *m)
{
	printf("%s %llu frames (%.3f s at %u Hz, %u ch) %s %s; xruns %llu, suspends %llu, "
	       "reopens %llu, max delay %ld frames",
	       verb, (unsigned long long)frames, (double)frames / p->rate, p->rate, p->channels,
	       verb[0] == 'r' ? "to" : "from", path, (unsigned long long)st->xruns,
	       (unsigned long long)st->suspends, (unsigned long long)st->reopens, m->delay_max);
	if (vx_cli_signal)
		printf("; stopped by %s", vx_cli_signal == SIGINT ? "SIGINT" : "SIGTERM");
	printf("\n");
}

/* ---- vox devices ---------------------------------------------------------------------------- */

static const char devices_help[] =
	"usage: vox devices [--json]\n"
	"\n"
	"List the ALSA PCM devices that capture or play: the sound cards' devices and the\n"
	"configuration's named PCMs (default, pulse, ...), with which way each works.\n"
	"\n"
	"  --json  one JSON array: [{\"name\": ..., \"description\": ..., \"direction\":\n"
	"          \"capture\" | \"playback\" | \"both\"}, ...]\n"
	"\n"
	"Any NAME listed is what --device takes in 'vox record' and 'vox play'.\n"
	"Exit status: 0 listed, 1 ALSA failed, 2 bad usage.\n";

static const char *direction(const struct vx_alsa_device *d)
{
	return d->capture && d->playback ? "both" : d->capture ? "capture" : "playback";
}

/* A description on one line: ALSA separates card and device with a newline. */
static void print_one_line(const char *s)
{
	for (; *s; s++)
		if (*s == '\n')
			fputs(" / ", stdout);
		else
			putchar(*s);
}

int vx_cmd_devices(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vx_alsa_device *list;
	size_t n, width = 4;
	bool json = false;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(devices_help, stdout);
			return VX_EXIT_OK;
		default:
			return vx_cli_usage("devices", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vx_cli_usage("devices", "unexpected argument '%s'", argv[optind]);

	ret = vx_alsa_devices(&list, &n);
	if (ret < 0) {
		fprintf(stderr, "vox devices: cannot list ALSA devices: %s\n", errno_text(ret));
		return VX_EXIT_FAIL;
	}
	if (json) {
		putchar('[');
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"name\": ", i ? ", " : "");
			vx_json_string(stdout, list[i].name, strlen(list[i].name));
			printf(", \"description\": ");
			vx_json_string(stdout, list[i].description, strlen(list[i].description));
			printf(", \"direction\": \"%s\"}", direction(&list[i]));
		}
		printf("]\n");
	} else {
		for (size_t i = 0; i < n; i++)
			if (strlen(list[i].name) > width)
				width = strlen(list[i].name);
		printf("%-9s  %-*s  %s\n", "DIRECTION", (int)width, "NAME", "DESCRIPTION");
		for (size_t i = 0; i < n; i++) {
			printf("%-9s  %-*s  ", direction(&list[i]), (int)width, list[i].name);
			print_one_line(list[i].description);
			putchar('\n');
		}
	}
	vx_alsa_devices_free(list, n);
	return fflush(stdout) == 0 ? VX_EXIT_OK : VX_EXIT_FAIL;
}

/* ---- vox record --------------------------------------------------------------------------- */

static const char record_help[] =
	"usage: vox record OUT.wav [--device D] [--seconds N] [--channels 1|2]\n"
	"                  [--frame-ms F] [--periods P]\n"
	"\n"
	"Record from an ALSA capture device into a 16-bit WAV file until N seconds are\n"
	"recorded, or until SIGINT (Ctrl-C) or SIGTERM. The file is valid at every\n"
	"moment: its header is brought up to date after each period.\n"
	"\n"
	"  --device D     ALSA PCM name (default \"default\"; see 'vox devices')\n"
	"  --seconds N    stop after N seconds of audio (decimals allowed)\n"
	"  --channels C   1 (default) or 2\n"
	"  --frame-ms F   period: 2.5, 5, 10, 20 (default), 40 or 60 ms\n"
	"  --periods P    buffer size in periods, 2 to 4 (default 4)\n"
	"\n"
	"On a terminal, stderr shows a level meter (peak and RMS in dBFS, and the\n"
	"device's delay). At the end one line on stdout sums up: frames, xruns\n"
	"(overruns recovered), suspends, reopens after the device vanished, and the\n"
	"largest delay seen. The WAV is at the rate and channel count the device\n"
	"granted; a note on stderr says when that differs from what was asked.\n"
	"Exit status: 0 recorded, 1 device or file failed, 2 bad usage.\n";

static int record_loop(struct vx_alsa *a, struct vx_wav_writer *w, const char *device,
		       uint64_t limit, struct meter *m, uint64_t *frames)
{
	const struct vx_alsa_params *p = vx_alsa_params(a);
	int16_t *buf = calloc(p->period_frames * p->channels, sizeof(*buf));
	int ret = VX_EXIT_OK;

	if (!buf) {
		fprintf(stderr, "vox record: out of memory\n");
		return VX_EXIT_FAIL;
	}
	while (!atomic_load(&stop) && (limit == 0 || *frames < limit)) {
		ssize_t n = vx_alsa_read(a, buf, p->period_frames);
		size_t keep;
		int err;

		if (n == -ENODEV) {
			err = reopen_device(a, m, "record", device);
			if (err == 0)
				continue;
			if (err != -ECANCELED)
				ret = VX_EXIT_FAIL;
			break;
		}
		if (n < 0) {
			/* A signal may surface as any error from a plugin's interrupted
			 * read (the file plugin's says -EPERM): the flag decides. */
			if (n == -EINTR || atomic_load(&stop))
				continue;
			meter_break(m);
			fprintf(stderr, "vox record: reading '%s': %s\n", device, errno_text((int)n));
			ret = VX_EXIT_FAIL;
			break;
		}
		if (n == 0)
			break; /* a source that ends: a file or pipe behind the device */
		/* The period a stop request interrupted may be incomplete: the kernel
		 * returns what it had, and alsa-lib's file plugin pads with whatever
		 * the buffer held. Dropping it loses at most one period of the end. */
		if (atomic_load(&stop))
			break;
		keep = (size_t)n;
		if (limit && keep > limit - *frames)
			keep = (size_t)(limit - *frames);
		err = vx_wav_writer_write(w, buf, keep);
		if (err < 0) {
			meter_break(m);
			fprintf(stderr, "vox record: writing: %s\n", errno_text(err));
			ret = VX_EXIT_FAIL;
			break;
		}
		*frames += keep;
		meter_feed(m, a, buf, keep, p->channels);
	}
	free(buf);
	return ret;
}

/*
 * The options record and play share (--device, --frame-ms, --periods) and getopt's
 * complaints. Return: VX_EXIT_OK, or VX_EXIT_USAGE after saying why.
 */
static int device_option(const char *cmd, int c, struct vx_alsa_config *cfg, char **argv)
{
	uint64_t v;

	switch (c) {
	case 'd':
		cfg->device = optarg;
		return VX_EXIT_OK;
	case 'f':
		if (!vx_cli_parse_frame_ms(optarg, &cfg->period_us))
			return vx_cli_usage(cmd, "--frame-ms takes 2.5, 5, 10, 20, 40 or 60, not '%s'",
					   optarg);
		return VX_EXIT_OK;
	case 'p':
		if (!vx_cli_parse_u64(optarg, 10, VX_ALSA_MIN_PERIODS, VX_ALSA_MAX_PERIODS, &v))
			return vx_cli_usage(cmd, "--periods takes 2, 3 or 4, not '%s'", optarg);
		cfg->periods = (unsigned)v;
		return VX_EXIT_OK;
	case ':':
		return vx_cli_usage(cmd, "%s needs a value", argv[optind - 1]);
	default:
		return vx_cli_usage(cmd, "unknown option '%s'", argv[optind - 1]);
	}
}

int vx_cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 's' },
		{ "channels", required_argument, NULL, 'c' },
		{ "frame-ms", required_argument, NULL, 'f' },
		{ "periods", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vx_alsa_config cfg = {
		.device = DEFAULT_DEVICE,
		.stream = VX_ALSA_CAPTURE,
		.rate = VX_ALSA_RATE,
		.channels = 1,
		.period_us = DEFAULT_FRAME_US,
		.periods = DEFAULT_PERIODS,
	};
	const struct vx_alsa_params *p;
	struct vx_wav_writer *w;
	struct vx_alsa_stats st;
	struct vx_alsa *a;
	struct meter m;
	double seconds = 0;
	uint64_t limit = 0, frames = 0, channels;
	const char *path;
	int c, ret, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!vx_cli_parse_double(optarg, &seconds) || !(seconds > 0 && seconds <= 86400))
				return vx_cli_usage("record", "--seconds takes a number of seconds "
					"above 0, up to 86400, not '%s'", optarg);
			break;
		case 'c':
			if (!vx_cli_parse_u64(optarg, 10, 1, 2, &channels))
				return vx_cli_usage("record", "--channels takes 1 or 2, not '%s'", optarg);
			cfg.channels = (unsigned)channels;
			break;
		case 'h':
			fputs(record_help, stdout);
			return VX_EXIT_OK;
		default:
			ret = device_option("record", c, &cfg, argv);
			if (ret != VX_EXIT_OK)
				return ret;
		}
	}
	if (optind >= argc)
		return vx_cli_usage("record", "%s", "no output file given");
	if (optind + 1 < argc)
		return vx_cli_usage("record", "unexpected argument '%s'", argv[optind + 1]);
	path = argv[optind];

	vx_cli_catch_signals(on_signal);
	ret = open_device(&a, "record", &cfg);
	if (ret != VX_EXIT_OK)
		return ret;
	p = vx_alsa_params(a);
	/* At least one frame: a limit of 0 would mean none at all. */
	if (seconds > 0)
		limit = (uint64_t)llround(seconds * p->rate);
	if (seconds > 0 && !limit)
		limit = 1;
	err = vx_wav_writer_open(&w, path, p->rate, p->channels, VX_WAV_S16);
	if (err < 0) {
		fprintf(stderr, "vox record: cannot create '%s': %s\n", path, errno_text(err));
		vx_alsa_close(a);
		return VX_EXIT_FAIL;
	}
	recording = w;
	meter_init(&m, p->rate);
	ret = record_loop(a, w, cfg.device, limit, &m, &frames);
	meter_break(&m);
	recording = NULL;
	err = vx_wav_writer_close(w);
	if (err < 0 && ret == VX_EXIT_OK) {
		fprintf(stderr, "vox record: closing '%s': %s\n", path, errno_text(err));
		ret = VX_EXIT_FAIL;
	}
	vx_alsa_stats(a, &st);
	print_summary("recorded", path, frames, p, &st, &m);
	vx_alsa_close(a);
	return ret;
}

/* ---- vox play --------------------------------------------------------------------------- */

static const char play_help[] =
	"usage: vox play IN.wav [--device D] [--frame-ms F] [--periods P]\n"
	"\n"
	"Play a WAV file on an ALSA playback device. Any PCM or float WAV is accepted;\n"
	"it is played at 48 kHz (resampled if need be), mono if the file is mono and\n"
	"stereo otherwise (more channels are mixed down).\n"
	"\n"
	"  --device D     ALSA PCM name (default \"default\"; see 'vox devices')\n"
	"  --frame-ms F   period: 2.5, 5, 10, 20 (default), 40 or 60 ms\n"
	"  --periods P    buffer size in periods, 2 to 4 (default 4)\n"
	"\n"
	"On a terminal, stderr shows a level meter. SIGINT or SIGTERM stops at once.\n"
	"At the end one line on stdout sums up: frames, xruns (underruns recovered),\n"
	"suspends, reopens and the largest delay seen.\n"
	"Exit status: 0 played, 1 device or file failed, 2 bad usage.\n";

static int open_reader(struct vx_wav_reader **r, const char *path, unsigned channels)
{
	char msg[VX_WAV_ERR_LEN];
	int err = vx_wav_reader_open(r, path, channels, msg, sizeof(msg));

	if (err < 0) {
		fprintf(stderr, "vox play: %s\n", msg);
		return VX_EXIT_FAIL;
	}
	return VX_EXIT_OK;
}

static int play_loop(struct vx_alsa *a, struct vx_wav_reader *r, const char *path,
		     const char *device, struct meter *m, uint64_t *frames)
{
	const struct vx_alsa_params *p = vx_alsa_params(a);
	int16_t *buf = calloc(p->period_frames * p->channels, sizeof(*buf));
	int ret = VX_EXIT_OK;

	if (!buf) {
		fprintf(stderr, "vox play: out of memory\n");
		return VX_EXIT_FAIL;
	}
	while (!atomic_load(&stop)) {
		ssize_t n = vx_wav_reader_read(r, buf, p->period_frames), done = 0;

		if (n < 0) {
			meter_break(m);
			fprintf(stderr, "vox play: reading '%s': %s\n", path, errno_text((int)n));
			ret = VX_EXIT_FAIL;
			break;
		}
		if (n == 0)
			break;
		/* A signal may cut a write short; the rest of the period is dropped. */
		while (done < n && !atomic_load(&stop)) {
			ssize_t w = vx_alsa_write(a, buf + (size_t)done * p->channels,
						  (size_t)(n - done));
			int err;

			if (w == -ENODEV) {
				err = reopen_device(a, m, "play", device);
				if (err == 0)
					continue; /* this period again, on the new stream */
				if (err != -ECANCELED)
					ret = VX_EXIT_FAIL;
				goto out;
			}
			if (w < 0) {
				if (w == -EINTR || atomic_load(&stop))
					continue;
				meter_break(m);
				fprintf(stderr, "vox play: writing to '%s': %s\n", device,
					errno_text((int)w));
				ret = VX_EXIT_FAIL;
				goto out;
			}
			done += w;
		}
		*frames += (uint64_t)done;
		meter_feed(m, a, buf, (size_t)done, p->channels);
	}
	/* Let the buffer's last periods be heard, unless asked to stop. */
	if (ret == VX_EXIT_OK && !atomic_load(&stop)) {
		int err = vx_alsa_drain(a);

		if (err < 0 && !atomic_load(&stop)) {
			meter_break(m);
			fprintf(stderr, "vox play: draining '%s': %s\n", device, errno_text(err));
			ret = VX_EXIT_FAIL;
		}
	}
out:
	free(buf);
	return ret;
}

int vx_cmd_play(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "frame-ms", required_argument, NULL, 'f' },
		{ "periods", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vx_alsa_config cfg = {
		.device = DEFAULT_DEVICE,
		.stream = VX_ALSA_PLAYBACK,
		.rate = VX_ALSA_RATE,
		.period_us = DEFAULT_FRAME_US,
		.periods = DEFAULT_PERIODS,
	};
	const struct vx_alsa_params *p;
	struct vx_wav_reader *r;
	struct vx_alsa_stats st;
	struct vx_alsa *a;
	struct meter m;
	uint64_t frames = 0;
	const char *path;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(play_help, stdout);
			return VX_EXIT_OK;
		}
		ret = device_option("play", c, &cfg, argv);
		if (ret != VX_EXIT_OK)
			return ret;
	}
	if (optind >= argc)
		return vx_cli_usage("play", "%s", "no input file given");
	if (optind + 1 < argc)
		return vx_cli_usage("play", "unexpected argument '%s'", argv[optind + 1]);
	path = argv[optind];

	/* The file first: a bad file is reported without touching the device. */
	ret = open_reader(&r, path, 2); /* mono files are reopened for mono below */
	if (ret != VX_EXIT_OK)
		return ret;
	cfg.channels = vx_wav_reader_info(r)->channels == 1 ? 1 : 2;
	vx_cli_catch_signals(on_signal);
	ret = open_device(&a, "play", &cfg);
	if (ret != VX_EXIT_OK)
		goto out_reader;
	p = vx_alsa_params(a);
	if (p->rate != VX_WAV_RATE) {
		fprintf(stderr, "vox play: device '%s' runs at %u Hz, not %u; use a plug device "
			"(plughw:..., default)\n", cfg.device, p->rate, VX_WAV_RATE);
		ret = VX_EXIT_FAIL;
		goto out_device;
	}
	if (p->channels != 2) {
		/* The reader was opened for stereo to read the header; the device
		 * plays mono (as asked for a mono file, or because it insists on it):
		 * the reader mixes down. */
		vx_wav_reader_close(r);
		ret = open_reader(&r, path, p->channels);
		if (ret != VX_EXIT_OK) {
			r = NULL;
			goto out_device;
		}
	}
	meter_init(&m, p->rate);
	ret = play_loop(a, r, path, cfg.device, &m, &frames);
	meter_break(&m);
	vx_alsa_stats(a, &st);
	print_summary("played", path, frames, p, &st, &m);
out_device:
	vx_alsa_close(a);
out_reader:
	vx_wav_reader_close(r);
	return ret;
}
