// SPDX-License-Identifier: MIT
/*
 * What a WAV file costs the pipeline.
 *
 * Reading (ns per 48 kHz output frame; one repetition reads 10 s, or 1 s with
 * --quick, in 960-frame calls; open is untimed):
 *   read/48k-s16-mono/passthrough      baseline: decode only, no resampling
 *   read/44k1-s16-stereo/to-mono/mem   44.1 kHz stereo -> 48 kHz mono, memory reader
 *   read/44k1-s16-stereo/to-mono/file  the same from a file (page cache)
 *   speex/44k1-mono/alone              speexdsp's resampler by itself on mono floats
 *                                      at our quality: the floor for the two above
 * Writing (ns per call of 960 stereo 16-bit frames, 20 ms; 500 calls a repetition,
 * to a file in $TMPDIR or /tmp, truncated before each repetition):
 *   write/raw-pwrite                   baseline: one pwrite of the samples
 *   write/wav                          vx_wav_writer_write: samples + header pwrite
 * The closing table gives each case over its baseline.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <speex/speex_resampler.h>

#include "audio/wav.h"
#include "bench/harness.h"

#define CALL 960

struct rd {
	const uint8_t *mem;
	size_t len;
	const char *path;
	unsigned out_ch;
	struct vx_wav_reader *r;
};

/* A 16-bit WAV of @frames frames of a 440 Hz tone plus a little noise. */
static uint8_t *make_wav(uint32_t rate, unsigned ch, size_t frames, size_t *len)
{
	size_t data = frames * ch * 2;
	uint8_t *p = malloc(44 + data);
	uint32_t v[11] = { 0x46464952, (uint32_t)(36 + data), 0x45564157, 0x20746d66, 16,
			   1 | ch << 16, rate, rate * ch * 2, ch * 2 | 16 << 16, 0x61746164,
			   (uint32_t)data };
	uint64_t rng = 1;

	if (!p)
		exit(1);
	for (int i = 0; i < 11; i++)
		for (int k = 0; k < 4; k++)
			p[i * 4 + k] = (uint8_t)(v[i] >> 8 * k);
	for (size_t i = 0; i < frames * ch; i++) {
		double x = 12000 * sin(2 * M_PI * 440 * (double)(i / ch) / rate);
		int s;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		s = (int)lrint(x) + (int)(rng >> 56) - 128;
		p[44 + 2 * i] = (uint8_t)(s & 0xff);
		p[45 + 2 * i] = (uint8_t)((unsigned)s >> 8 & 0xff);
	}
	*len = 44 + data;
	return p;
}

static void rd_setup(void *ctx)
{
	struct rd *c = ctx;
	char err[VX_WAV_ERR_LEN];
	int ret;

	vx_wav_reader_close(c->r);
	c->r = NULL;
	ret = c->path ? vx_wav_reader_open(&c->r, c->path, c->out_ch, err, sizeof(err))
		      : vx_wav_reader_open_memory(&c->r, c->mem, c->len, NULL, c->out_ch, err,
						  sizeof(err));
	if (ret) {
		fprintf(stderr, "bench_wav: %s\n", err);
		exit(1);
	}
}

static void rd_run(void *ctx, uint64_t ops)
{
	struct rd *c = ctx;
	int16_t pcm[CALL * 2] = { 0 };
	uint64_t got = 0;
	ssize_t n;

	while (got < ops && (n = vx_wav_reader_read(c->r, pcm, CALL)) > 0)
		got += (uint64_t)n;
	vx_bench_keep(pcm[0]);
	if (got != ops) {
		fprintf(stderr, "bench_wav: read %llu of %llu frames\n", (unsigned long long)got,
			(unsigned long long)ops);
		exit(1);
	}
}

struct sp {
	SpeexResamplerState *st;
	float *in, *out;
	size_t in_frames;
};

static void sp_setup(void *ctx)
{
	struct sp *c = ctx;

	speex_resampler_reset_mem(c->st);
	speex_resampler_skip_zeros(c->st);
}

static void sp_run(void *ctx, uint64_t ops)
{
	struct sp *c = ctx;
	size_t pos = 0;
	uint64_t got = 0;

	while (got < ops) {
		spx_uint32_t in_len = (spx_uint32_t)(c->in_frames - pos), out_len = CALL;

		speex_resampler_process_float(c->st, 0, c->in + pos, &in_len, c->out, &out_len);
		pos += in_len;
		got += out_len;
		if (pos == c->in_frames)
			break;
	}
	vx_bench_keep(c->out[0]);
}

struct wr {
	const char *path;
	int fd;
	struct vx_wav_writer *w;
	int16_t pcm[CALL * 2];
};

static void wr_setup_raw(void *ctx)
{
	struct wr *c = ctx;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (c->fd < 0)
		exit(1);
}

static void wr_run_raw(void *ctx, uint64_t ops)
{
	struct wr *c = ctx;

	for (uint64_t i = 0; i < ops; i++)
		if (pwrite(c->fd, c->pcm, sizeof(c->pcm), (off_t)(44 + i * sizeof(c->pcm))) !=
		    (ssize_t)sizeof(c->pcm))
			exit(1);
}

static void wr_setup_wav(void *ctx)
{
	struct wr *c = ctx;

	if (c->w)
		(void)vx_wav_writer_close(c->w);
	if (vx_wav_writer_open(&c->w, c->path, 48000, 2, VX_WAV_S16))
		exit(1);
}

static void wr_run_wav(void *ctx, uint64_t ops)
{
	struct wr *c = ctx;

	for (uint64_t i = 0; i < ops; i++)
		if (vx_wav_writer_write(c->w, c->pcm, CALL))
			exit(1);
}

int main(int argc, char **argv)
{
	struct vx_bench *b = vx_bench_start(argc, argv, "wav");
	unsigned secs = vx_bench_quick(b) ? 1 : 10;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path_in[512], path_out[512];
	size_t len48, len44;
	uint8_t *w48 = make_wav(48000, 1, 48000 * secs, &len48);
	uint8_t *w44 = make_wav(44100, 2, 44100 * secs, &len44);
	struct rd pass = { w48, len48, NULL, 1, NULL }, mem = { w44, len44, NULL, 1, NULL };
	struct rd file = { NULL, 0, path_in, 1, NULL };
	struct sp sp = { 0 };
	struct wr wr = { .path = path_out, .fd = -1 };
	double ns[6];
	int err = 0;
	FILE *f, *out;
	bool json = false;

	for (int i = 1; i < argc; i++)
		json |= !strcmp(argv[i], "--json");
	snprintf(path_in, sizeof(path_in), "%s/bench_wav.%d.in.wav", tmp, (int)getpid());
	snprintf(path_out, sizeof(path_out), "%s/bench_wav.%d.out.wav", tmp, (int)getpid());
	f = fopen(path_in, "wb");
	if (!f || fwrite(w44, 1, len44, f) != len44 || fclose(f))
		return 1;

	sp.in_frames = 44100 * secs;
	sp.in = malloc(sp.in_frames * sizeof(float));
	sp.out = malloc(CALL * sizeof(float));
	sp.st = speex_resampler_init(1, 44100, 48000, VX_WAV_RESAMPLE_QUALITY, &err);
	if (!sp.in || !sp.out || !sp.st)
		return 1;
	for (size_t i = 0; i < sp.in_frames; i++)
		sp.in[i] = (float)(int16_t)(uint16_t)(w44[44 + 4 * i] | w44[45 + 4 * i] << 8);

	ns[0] = vx_bench_run(b, &(struct vx_bench_case){ "read/48k-s16-mono/passthrough",
							 rd_setup, rd_run, &pass, 48000u * secs });
	ns[1] = vx_bench_run(b, &(struct vx_bench_case){ "read/44k1-s16-stereo/to-mono/mem",
							 rd_setup, rd_run, &mem, 48000u * secs });
	ns[2] = vx_bench_run(b, &(struct vx_bench_case){ "read/44k1-s16-stereo/to-mono/file",
							 rd_setup, rd_run, &file, 48000u * secs });
	ns[3] = vx_bench_run(b, &(struct vx_bench_case){ "speex/44k1-mono/alone", sp_setup,
							 sp_run, &sp, 48000u * secs });
	ns[4] = vx_bench_run(b, &(struct vx_bench_case){ "write/raw-pwrite", wr_setup_raw,
							 wr_run_raw, &wr, 500 });
	ns[5] = vx_bench_run(b, &(struct vx_bench_case){ "write/wav", wr_setup_wav, wr_run_wav,
							 &wr, 500 });

	out = json ? stderr : stdout;
	fprintf(out, "\n%-36s %12s %12s\n", "case", "over", "ratio");
	if (ns[0] > 0 && ns[1] > 0)
		fprintf(out, "%-36s %12s %11.2fx\n", "resample mem", "passthrough", ns[1] / ns[0]);
	if (ns[1] > 0 && ns[2] > 0)
		fprintf(out, "%-36s %12s %11.2fx\n", "resample file", "mem", ns[2] / ns[1]);
	if (ns[1] > 0 && ns[3] > 0)
		fprintf(out, "%-36s %12s %11.2fx\n", "resample mem", "speex alone", ns[1] / ns[3]);
	if (ns[4] > 0 && ns[5] > 0)
		fprintf(out, "%-36s %12s %11.2fx\n", "wav write (header kept valid)", "raw pwrite",
			ns[5] / ns[4]);
	if (json && ns[0] > 0 && ns[1] > 0 && ns[3] > 0 && ns[4] > 0 && ns[5] > 0)
		printf("{\"suite\":\"wav\",\"case\":\"ratios\",\"resample_over_passthrough\":%.4f,"
		       "\"resample_over_speex\":%.4f,\"wav_write_over_raw_pwrite\":%.4f}\n",
		       ns[1] / ns[0], ns[1] / ns[3], ns[5] / ns[4]);

	vx_wav_reader_close(pass.r);
	vx_wav_reader_close(mem.r);
	vx_wav_reader_close(file.r);
	(void)vx_wav_writer_close(wr.w);
	if (wr.fd >= 0)
		close(wr.fd);
	unlink(path_in);
	unlink(path_out);
	speex_resampler_destroy(sp.st);
	free(sp.in);
	free(sp.out);
	free(w48);
	free(w44);
	return vx_bench_finish(b);
}
