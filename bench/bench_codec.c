// SPDX-License-Identifier: MIT
/*
 * The codecs on ~11 s of real speech (the eight alsa-utils voice samples, 48 kHz
 * mono, concatenated), against peers doing the same work in the same run:
 *
 *   opus/...      vx_codec Opus, encode + decode frame by frame, in process
 *   peer/opus-tools/...  opusenc + opusdec as child processes on the same PCM,
 *                 same application (--set-ctl-int 4000=app), bitrate, frame
 *                 size, complexity; opusdec --no-dither. They also do Ogg
 *                 (de)muxing and file I/O and start two processes; at 48 kHz in
 *                 and out neither resamples.
 *   pcm, zpcm/... vx_codec lossless, in process
 *   zstd/frame/... plain zstd on the raw L16 of each 20 ms frame (what zpcm
 *                 does, minus the prediction), in process
 *   zstd/file/... plain zstd on the whole raw file at once, in process
 *   peer/flac/... flac -5 / -8 on the raw file and flac -d back, child
 *                 processes (4096-sample blocks, LPC up to order 8/12, Rice
 *                 coding; also an MD5 of the audio, checked on decode)
 *
 * Each row of the harness table is one case: wall-clock ns of encode + decode
 * per 20 ms of audio, whatever the frame size (a repetition is the whole clip). Notes: kb/s of
 * the encoded stream (Ogg and FLAC files: their whole size), compression ratio
 * for the lossless ones, and the per-frame p99 and max of encode + decode in
 * one pass (a real-time deadline is missed by the slowest frame). After the
 * rows, summary tables give CPU seconds per second of audio (median over
 * repetitions; CLOCK_PROCESS_CPUTIME_ID in process, RUSAGE_CHILDREN for peers)
 * and the ratio to the named baseline.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <opus.h>
#include <zstd.h>

#include "audio/codec.h"
#include "audio/wav.h"
#include "bench/harness.h"

extern char **environ;

static const char *const speech_files[] = {
	"Front_Center", "Front_Left", "Front_Right", "Rear_Center",
	"Rear_Left",    "Rear_Right", "Side_Left",   "Side_Right",
};

#define FRAME_20MS 960
#define MAX_CPU    1024

enum kind { OURS, ZSTD_FRAME, ZSTD_FILE, PEER_OPUS, PEER_FLAC };

struct bcase {
	char name[64];
	enum kind kind;
	const char *codec;  /* vx_codec name (OURS) */
	unsigned frame_us;
	int bitrate;        /* Opus, bits/s */
	int effort;         /* Opus complexity or zstd/FLAC level */
	int opus_app;       /* OPUS_APPLICATION_* for opusenc's --set-ctl-int */
	char baseline[64];  /* case name to compare CPU with, or "" */
	/* filled in */
	size_t bytes;       /* encoded size of the clip */
	double cpu[MAX_CPU];
	unsigned ncpu;
	double cpu_median;  /* seconds per second of audio; < 0: not run */
	double frame_p99_us, frame_max_us;
	/* in-process state */
	struct vx_codec *c;
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
};

static struct {
	int16_t *pcm;
	size_t len;      /* samples */
	double seconds;
	uint8_t *raw;    /* little-endian L16, as written to raw_path */
	uint8_t *zbuf, *zout;
	size_t zcap;
	char dir[64];
	char raw_path[96], enc_path[96], dec_path[96];
	unsigned warmup;
} g;

/* --- input ----------------------------------------------------------------------- */

/* Append the samples of a speech file, 48 kHz mono. */
static int append_wav(const char *path)
{
	char err[VX_WAV_ERR_LEN];
	int16_t *pcm, *p;
	size_t n;

	if (vx_wav_load(path, 1, &pcm, &n, err, sizeof(err)) < 0)
		return -1;
	p = realloc(g.pcm, (g.len + n) * sizeof(*p));
	if (!p) {
		free(pcm);
		return -1;
	}
	g.pcm = p;
	memcpy(g.pcm + g.len, pcm, n * sizeof(*pcm));
	g.len += n;
	free(pcm);
	return 0;
}

static void load_speech(bool quick)
{
	char path[128];
	FILE *f;

	for (size_t i = 0; i < sizeof(speech_files) / sizeof(speech_files[0]); i++) {
		snprintf(path, sizeof(path), "/usr/share/sounds/alsa/%s.wav", speech_files[i]);
		if (append_wav(path) < 0) {
			fprintf(stderr, "bench_codec: cannot read %s (install alsa-utils)\n", path);
			exit(1);
		}
	}
	if (quick && g.len > 2 * 48000)
		g.len = 2 * 48000;
	g.len -= g.len % 2880; /* whole frames of every size */
	g.seconds = (double)g.len / 48000;

	g.raw = malloc(2 * g.len);
	g.zcap = ZSTD_compressBound(2 * g.len);
	g.zbuf = malloc(g.zcap);
	g.zout = malloc(2 * g.len);
	if (!g.raw || !g.zbuf || !g.zout)
		exit(1);
	for (size_t i = 0; i < g.len; i++) {
		uint16_t u = (uint16_t)g.pcm[i];

		g.raw[2 * i] = (uint8_t)u;
		g.raw[2 * i + 1] = (uint8_t)(u >> 8);
	}
	snprintf(g.dir, sizeof(g.dir), "/tmp/bench_codec.XXXXXX");
	if (!mkdtemp(g.dir)) {
		perror("bench_codec: mkdtemp");
		exit(1);
	}
	snprintf(g.raw_path, sizeof(g.raw_path), "%s/speech.raw", g.dir);
	snprintf(g.enc_path, sizeof(g.enc_path), "%s/enc", g.dir);
	snprintf(g.dec_path, sizeof(g.dec_path), "%s/dec.raw", g.dir);
	f = fopen(g.raw_path, "wb");
	if (!f || fwrite(g.raw, 1, 2 * g.len, f) != 2 * g.len || fclose(f)) {
		perror("bench_codec: writing the raw input");
		exit(1);
	}
}

/* --- clocks and children ------------------------------------------------------------ */

static double process_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of all waited-for children so far. */
static double children_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* Run a program to completion, its output to /dev/null. Return: 0 on exit 0. */
static int run_child(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret)
		return -1;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static size_t file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n = -1;

	if (f && !fseek(f, 0, SEEK_END))
		n = ftell(f);
	if (f)
		fclose(f);
	return n > 0 ? (size_t)n : 0;
}

/* --- the work ------------------------------------------------------------------------ */

static int peer_opus(const struct bcase *k)
{
	char bitrate[16], framesize[16], comp[16], app[32];

	snprintf(bitrate, sizeof(bitrate), "%g", k->bitrate / 1000.0);
	snprintf(framesize, sizeof(framesize), "%g", k->frame_us / 1000.0);
	snprintf(comp, sizeof(comp), "%d", k->effort);
	snprintf(app, sizeof(app), "4000=%d", k->opus_app); /* OPUS_SET_APPLICATION */
	char *const enc[] = { "opusenc", "--quiet", "--raw", "--raw-rate", "48000",
			      "--raw-chan", "1", "--raw-bits", "16", "--bitrate", bitrate,
			      "--framesize", framesize, "--comp", comp, "--set-ctl-int", app,
			      g.raw_path, g.enc_path, NULL };
	char *const dec[] = { "opusdec", "--quiet", "--rate", "48000", "--no-dither",
			      g.enc_path, g.dec_path, NULL };

	return run_child(enc) || run_child(dec) ? -1 : 0;
}

static int peer_flac(const struct bcase *k)
{
	char level[8];

	snprintf(level, sizeof(level), "-%d", k->effort);
	char *const enc[] = { "flac", "--totally-silent", "-f", level, "--no-padding",
			      "--no-seektable", "--force-raw-format", "--endian=little",
			      "--sign=signed", "--channels=1", "--bps=16", "--sample-rate=48000",
			      "-o", g.enc_path, g.raw_path, NULL };
	char *const dec[] = { "flac", "--totally-silent", "-f", "-d", "--force-raw-format",
			      "--endian=little", "--sign=signed", "-o", g.dec_path, g.enc_path,
			      NULL };

	return run_child(enc) || run_child(dec) ? -1 : 0;
}

/* One pass over the clip. With @frame_ns, also time each frame into it. */
static int one_pass(struct bcase *k, double *frame_ns)
{
	static uint8_t packet[VX_CODEC_MAX_PACKET];
	static int16_t out[VX_CODEC_MAX_FRAME_SAMPLES];
	size_t n, got;

	k->bytes = 0;
	switch (k->kind) {
	case OURS:
		n = vx_codec_frame_samples(k->c);
		for (size_t i = 0; i + n <= g.len; i += n) {
			uint64_t t0 = frame_ns ? vx_bench_now_ns() : 0;
			int len = vx_codec_encode(k->c, g.pcm + i, packet, sizeof(packet));

			if (len <= 0 || vx_codec_decode(k->c, packet, (size_t)len, out,
							VX_CODEC_MAX_FRAME_SAMPLES) != (int)n)
				return -1;
			if (frame_ns) {
				frame_ns[i / n] = (double)(vx_bench_now_ns() - t0);
				/* Lossless means bit-exact: check it while here. */
				if (strcmp(k->codec, "pcm") == 0 || strcmp(k->codec, "zpcm") == 0)
					if (memcmp(out, g.pcm + i, n * sizeof(*out)))
						return -1;
			}
			k->bytes += (size_t)len;
		}
		return 0;
	case ZSTD_FRAME:
		for (size_t i = 0; i + FRAME_20MS <= g.len; i += FRAME_20MS) {
			uint64_t t0 = frame_ns ? vx_bench_now_ns() : 0;
			size_t z = ZSTD_compressCCtx(k->cctx, g.zbuf, g.zcap, g.raw + 2 * i,
						     2 * FRAME_20MS, k->effort);

			if (ZSTD_isError(z))
				return -1;
			got = ZSTD_decompressDCtx(k->dctx, g.zout, 2 * FRAME_20MS, g.zbuf, z);
			if (got != 2 * FRAME_20MS)
				return -1;
			if (frame_ns)
				frame_ns[i / FRAME_20MS] = (double)(vx_bench_now_ns() - t0);
			k->bytes += z;
		}
		return 0;
	case ZSTD_FILE:
		k->bytes = ZSTD_compressCCtx(k->cctx, g.zbuf, g.zcap, g.raw, 2 * g.len, k->effort);
		if (ZSTD_isError(k->bytes))
			return -1;
		got = ZSTD_decompressDCtx(k->dctx, g.zout, 2 * g.len, g.zbuf, k->bytes);
		return got == 2 * g.len && !memcmp(g.zout, g.raw, got) ? 0 : -1;
	case PEER_OPUS:
		if (peer_opus(k))
			return -1;
		k->bytes = file_size(g.enc_path);
		return file_size(g.dec_path) == 2 * g.len ? 0 : -1;
	case PEER_FLAC:
		if (peer_flac(k))
			return -1;
		k->bytes = file_size(g.enc_path);
		return file_size(g.dec_path) == 2 * g.len ? 0 : -1;
	}
	return -1;
}

static void run_case(void *ctx, uint64_t ops)
{
	struct bcase *k = ctx;
	bool child = k->kind == PEER_OPUS || k->kind == PEER_FLAC;
	double t0 = child ? children_cpu_s() : process_cpu_s(), t1;

	(void)ops;
	if (one_pass(k, NULL)) {
		fprintf(stderr, "bench_codec: %s failed\n", k->name);
		exit(1);
	}
	t1 = child ? children_cpu_s() : process_cpu_s();
	if (k->ncpu < MAX_CPU)
		k->cpu[k->ncpu++] = (t1 - t0) / g.seconds;
}

static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int open_case(struct bcase *k)
{
	struct vx_codec_config cfg;

	switch (k->kind) {
	case OURS:
		if (vx_codec_config_by_name(&cfg, k->codec) < 0)
			return -1;
		cfg.frame_us = k->frame_us;
		if (vx_codec_create(&k->c, &cfg) < 0)
			return -1;
		if (k->bitrate && vx_codec_set(k->c, VX_CODEC_BITRATE, k->bitrate) < 0)
			return -1;
		if (k->effort && vx_codec_set(k->c, VX_CODEC_COMPLEXITY, k->effort) < 0)
			return -1;
		return 0;
	case ZSTD_FRAME:
	case ZSTD_FILE:
		k->cctx = ZSTD_createCCtx();
		k->dctx = ZSTD_createDCtx();
		return k->cctx && k->dctx ? 0 : -1;
	case PEER_OPUS:
	case PEER_FLAC:
		return 0;
	}
	return -1;
}

static void close_case(struct bcase *k)
{
	vx_codec_destroy(k->c);
	ZSTD_freeCCtx(k->cctx);
	ZSTD_freeDCtx(k->dctx);
	k->c = NULL;
	k->cctx = NULL;
	k->dctx = NULL;
}

static void bench_case(struct vx_bench *b, struct bcase *k)
{
	size_t frames = g.len / (k->kind == OURS ? k->frame_us * 48 / 1000 : FRAME_20MS);
	double *frame_ns;

	k->cpu_median = -1;
	if (!vx_bench_selected(b, k->name))
		return;
	frame_ns = calloc(frames, sizeof(*frame_ns));
	if (!frame_ns || open_case(k) < 0) {
		fprintf(stderr, "bench_codec: %s: cannot set up\n", k->name);
		exit(1);
	}
	/* Untimed pass: output size, bit-exactness, per-frame latency; a peer
	 * program that is missing or fails skips its row. */
	if (one_pass(k, k->kind == OURS || k->kind == ZSTD_FRAME ? frame_ns : NULL)) {
		fprintf(stderr, "bench_codec: %s: skipped (%s failed)\n", k->name,
			k->kind == PEER_OPUS ? "opusenc/opusdec" :
			k->kind == PEER_FLAC ? "flac" : "round trip");
		if (k->kind != PEER_OPUS && k->kind != PEER_FLAC)
			exit(1);
		free(frame_ns);
		return;
	}
	vx_bench_note(b, "kbps", (double)k->bytes * 8 / g.seconds / 1000);
	if (k->kind != PEER_OPUS && (k->kind != OURS || strncmp(k->codec, "opus", 4)))
		vx_bench_note(b, "ratio", (double)(2 * g.len) / (double)k->bytes);
	if (k->kind == OURS || k->kind == ZSTD_FRAME) {
		size_t n = frames;

		qsort(frame_ns, n, sizeof(*frame_ns), cmp_double);
		k->frame_p99_us = frame_ns[(99 * n + 99) / 100 - 1] / 1000;
		k->frame_max_us = frame_ns[n - 1] / 1000;
		vx_bench_note(b, "frame_p99_us", k->frame_p99_us);
		vx_bench_note(b, "frame_max_us", k->frame_max_us);
	}
	free(frame_ns);
	k->ncpu = 0;
	vx_bench_run(b, &(struct vx_bench_case){ .name = k->name, .run = run_case, .ctx = k,
						 .ops = g.len / FRAME_20MS });
	/* The first calls were the harness's warm-up. */
	if (k->ncpu > g.warmup)
		k->cpu_median = median(k->cpu + g.warmup, k->ncpu - g.warmup);
	close_case(k);
}

/* --- cases and summary ------------------------------------------------------------- */

#define MAX_CASES 64
static struct bcase cases[MAX_CASES];
static size_t ncases;

static struct bcase *add(enum kind kind, const char *codec, unsigned frame_us, int bitrate,
			 int effort, int opus_app)
{
	struct bcase *k = &cases[ncases++];

	k->kind = kind;
	k->codec = codec;
	k->frame_us = frame_us;
	k->bitrate = bitrate;
	k->effort = effort;
	k->opus_app = opus_app;
	return k;
}

static const struct bcase *find(const char *name)
{
	for (size_t i = 0; *name && i < ncases; i++)
		if (!strcmp(cases[i].name, name) && cases[i].cpu_median >= 0)
			return &cases[i];
	return NULL;
}

static void build_cases(void)
{
	static const struct {
		const char *codec, *label;
		int bitrate, app;
	} opus[] = {
		{ "opus-voip", "voip", 16000, OPUS_APPLICATION_VOIP },
		{ "opus-voip", "voip", 24000, OPUS_APPLICATION_VOIP },
		{ "opus-voip", "voip", 32000, OPUS_APPLICATION_VOIP },
		{ "opus-audio", "audio", 64000, OPUS_APPLICATION_AUDIO },
		{ "opus-lowdelay", "lowdelay", 64000, OPUS_APPLICATION_RESTRICTED_LOWDELAY },
	};
	static const unsigned frames[] = { 20000, 10000 };
	static const int levels[] = { 1, 3, 9 };
	struct bcase *k;

	for (size_t i = 0; i < sizeof(opus) / sizeof(opus[0]); i++)
		for (size_t f = 0; f < 2; f++) {
			char peer[64];

			snprintf(peer, sizeof(peer), "peer/opus-tools/%s/%dk/%ums/c10", opus[i].label,
				 opus[i].bitrate / 1000, frames[f] / 1000);
			/* Baselines: c10 against opus-tools at c10; c5 against our c10. */
			for (int c = 10; c >= 5; c -= 5) {
				k = add(OURS, opus[i].codec, frames[f], opus[i].bitrate, c, 0);
				snprintf(k->name, sizeof(k->name), "opus/%s/%dk/%ums/c%d", opus[i].label,
					 opus[i].bitrate / 1000, frames[f] / 1000, c);
				if (c == 10)
					memcpy(k->baseline, peer, sizeof(peer));
				else
					memcpy(k->baseline, k[-1].name, sizeof(k->baseline));
			}
			k = add(PEER_OPUS, NULL, frames[f], opus[i].bitrate, 10, opus[i].app);
			memcpy(k->name, peer, sizeof(peer));
		}

	k = add(OURS, "pcm", 20000, 0, 0, 0);
	snprintf(k->name, sizeof(k->name), "pcm/20ms");
	for (size_t l = 0; l < 3; l++) {
		k = add(OURS, "zpcm", 20000, 0, levels[l], 0);
		snprintf(k->name, sizeof(k->name), "zpcm/20ms/l%d", levels[l]);
	}
	k = add(OURS, "zpcm", 60000, 0, 3, 0);
	snprintf(k->name, sizeof(k->name), "zpcm/60ms/l3");
	for (size_t l = 0; l < 3; l++) {
		k = add(ZSTD_FRAME, NULL, 20000, 0, levels[l], 0);
		snprintf(k->name, sizeof(k->name), "zstd/frame/20ms/l%d", levels[l]);
	}
	for (size_t l = 0; l < 3; l++) {
		k = add(ZSTD_FILE, NULL, 20000, 0, levels[l], 0);
		snprintf(k->name, sizeof(k->name), "zstd/file/l%d", levels[l]);
	}
	k = add(PEER_FLAC, NULL, 20000, 0, 5, 0);
	snprintf(k->name, sizeof(k->name), "peer/flac/-5");
	k = add(PEER_FLAC, NULL, 20000, 0, 8, 0);
	snprintf(k->name, sizeof(k->name), "peer/flac/-8");
}

static void summary(FILE *out, bool json)
{
	const struct bcase *flac5 = find("peer/flac/-5");

	fprintf(out, "\nOpus: CPU seconds (encode + decode) per second of audio, median over "
		     "repetitions; %.1f s of speech\n", g.seconds);
	fprintf(out, "%-36s %8s %10s %9s  %-36s %8s\n", "case", "kb/s", "cpu s/s", "x realtime",
		"baseline", "cpu/base");
	for (size_t i = 0; i < ncases; i++) {
		const struct bcase *k = &cases[i], *base = find(k->baseline);

		if (k->cpu_median < 0 || (k->kind != PEER_OPUS && (k->kind != OURS ||
								  strncmp(k->codec, "opus", 4))))
			continue;
		fprintf(out, "%-36s %8.1f %10.5f %9.0f  %-36s ", k->name,
			(double)k->bytes * 8 / g.seconds / 1000, k->cpu_median, 1 / k->cpu_median,
			base ? base->name : "-");
		if (base)
			fprintf(out, "%8.2f\n", k->cpu_median / base->cpu_median);
		else
			fprintf(out, "%8s\n", "-");
	}

	fprintf(out, "\nLossless: compression ratio and CPU seconds per second of audio "
		     "(encode + decode)\n");
	fprintf(out, "%-36s %8s %8s %10s %9s %12s %12s\n", "case", "ratio", "kb/s", "cpu s/s",
		"x realtime", "ratio/flac5", "cpu/flac5");
	for (size_t i = 0; i < ncases; i++) {
		const struct bcase *k = &cases[i];
		double ratio = (double)(2 * g.len) / (double)k->bytes;

		if (k->cpu_median < 0 || (k->kind == OURS && !strncmp(k->codec, "opus", 4)) ||
		    k->kind == PEER_OPUS)
			continue;
		fprintf(out, "%-36s %8.3f %8.1f %10.5f %9.0f ", k->name, ratio,
			(double)k->bytes * 8 / g.seconds / 1000, k->cpu_median, 1 / k->cpu_median);
		if (flac5)
			fprintf(out, "%12.3f %12.3f\n",
				ratio / ((double)(2 * g.len) / (double)flac5->bytes),
				k->cpu_median / flac5->cpu_median);
		else
			fprintf(out, "%12s %12s\n", "-", "-");
	}
	fflush(out);

	if (!json)
		return;
	for (size_t i = 0; i < ncases; i++) {
		const struct bcase *k = &cases[i], *base = find(k->baseline);

		if (k->cpu_median < 0)
			continue;
		printf("{\"suite\":\"codec\",\"case\":\"%s\",\"summary\":true,"
		       "\"cpu_s_per_audio_s\":%.9g,\"kbps\":%.6g,\"ratio\":%.6g",
		       k->name, k->cpu_median, (double)k->bytes * 8 / g.seconds / 1000,
		       (double)(2 * g.len) / (double)k->bytes);
		if (base)
			printf(",\"baseline\":\"%s\",\"cpu_vs_baseline\":%.6g", base->name,
			       k->cpu_median / base->cpu_median);
		printf("}\n");
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "codec");
	bool json = false;

	/* The harness hides these two; the summary needs them. */
	g.warmup = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
			g.warmup = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	load_speech(vx_bench_quick(b));
	build_cases();
	for (size_t i = 0; i < ncases; i++)
		bench_case(b, &cases[i]);
	summary(json ? stderr : stdout, json);

	unlink(g.raw_path);
	unlink(g.enc_path);
	unlink(g.dec_path);
	rmdir(g.dir);
	free(g.zout);
	free(g.zbuf);
	free(g.raw);
	free(g.pcm);
	return vx_bench_finish(b);
}
