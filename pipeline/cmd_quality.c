// SPDX-License-Identifier: MIT
/* vox quality: STOI and log-spectral distance of one WAV file against another. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/quality.h"
#include "audio/wav.h"
#include "pipeline/cli.h"

static const char quality_help[] =
	"usage: vox quality REF.wav DEG.wav [--json]\n"
	"\n"
	"Objective speech quality of DEG (what came out) against REF (what went in).\n"
	"Both are read as 48 kHz mono (any WAV is converted: channels mixed, rate\n"
	"resampled). DEG is aligned to REF by cross-correlation, first as a whole,\n"
	"then in 0.5 s pieces, each within 250 ms of the lag before it: an adaptive\n"
	"jitter buffer changes its delay mid-file, and the score is of what was\n"
	"played, not when. Only the part both cover is compared. Each file needs at\n"
	"least 0.5 s, and 384 ms of speech must overlap after alignment.\n"
	"\n"
	"  stoi           short-time objective intelligibility (Taal et al. 2011),\n"
	"                 -1..1: 1 = identical, ~0.75 = hard to follow, ~0 = unrelated\n"
	"  lsd_db         log-spectral distance in dB over 0-24 kHz (20 ms frames,\n"
	"                 power floor -100 dBFS): 0 = identical spectra\n"
	"  delay_ms       how far DEG lags REF overall (negative: DEG is ahead)\n"
	"  delay_changes  how often the lag changes from one piece to the next\n"
	"  delay_min_ms, delay_max_ms  the smallest and largest lag of any piece\n"
	"\n"
	"  --json  one line: {\"stoi\": S, \"lsd_db\": L, \"delay_ms\": D,\n"
	"          \"delay_samples\": N, \"frames\": F, \"overlap_s\": T,\n"
	"          \"delay_changes\": C, \"delay_min_ms\": A, \"delay_max_ms\": B};\n"
	"          these keys are stable\n"
	"\n"
	"Exit status: 0 measured, 1 unreadable file or input too short, 2 bad usage.\n";

static int load(const char *path, int16_t **pcm, size_t *n)
{
	char msg[VX_WAV_ERR_LEN];

	if (vx_wav_load(path, 1, pcm, n, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "vox quality: %s\n", msg);
		return VX_EXIT_FAIL;
	}
	return VX_EXIT_OK;
}

int vx_cmd_quality(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int16_t *ref = NULL, *deg = NULL;
	size_t nref = 0, ndeg = 0;
	struct vx_quality q;
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
			fputs(quality_help, stdout);
			return VX_EXIT_OK;
		default:
			return vx_cli_usage("quality", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return vx_cli_usage("quality", "%s", argc == optind ? "no files given" : "no DEG file given");
	if (argc - optind > 2)
		return vx_cli_usage("quality", "unexpected argument '%s'", argv[optind + 2]);

	ret = load(argv[optind], &ref, &nref);
	if (ret == VX_EXIT_OK)
		ret = load(argv[optind + 1], &deg, &ndeg);
	if (ret != VX_EXIT_OK)
		goto out;

	for (int i = 0; i < 2; i++) {
		size_t n = i ? ndeg : nref;

		if (n < VX_QUALITY_MIN_SAMPLES) {
			fprintf(stderr, "vox quality: %s: %.3f s of audio; each file needs at least "
				"%.1f s\n", argv[optind + i], (double)n / VX_QUALITY_RATE,
				(double)VX_QUALITY_MIN_SAMPLES / VX_QUALITY_RATE);
			ret = VX_EXIT_FAIL;
			goto out;
		}
	}
	ret = vx_quality_compare(ref, nref, deg, ndeg, &q);
	if (ret < 0) {
		fprintf(stderr, "vox quality: %s\n",
			ret == -EINVAL && q.reason ? q.reason : strerror(-ret));
		ret = VX_EXIT_FAIL;
		goto out;
	}
	if (json)
		printf("{\"stoi\": %.4f, \"lsd_db\": %.2f, \"delay_ms\": %.3f, "
		       "\"delay_samples\": %lld, \"frames\": %zu, \"overlap_s\": %.3f, "
		       "\"delay_changes\": %zu, \"delay_min_ms\": %.3f, \"delay_max_ms\": %.3f}\n",
		       q.stoi, q.lsd_db, q.delay_ms, (long long)q.delay_samples, q.frames_used,
		       (double)q.overlap / VX_QUALITY_RATE, q.delay_changes, q.delay_min_ms,
		       q.delay_max_ms);
	else
		printf("STOI       %8.4f\n"
		       "LSD        %8.2f dB\n"
		       "delay      %8.3f ms (%lld samples at 48 kHz)\n"
		       "delays     %8.3f .. %.3f ms, %zu change%s in %zu pieces\n"
		       "compared   %8.3f s (%zu STOI frames of speech)\n",
		       q.stoi, q.lsd_db, q.delay_ms, (long long)q.delay_samples, q.delay_min_ms,
		       q.delay_max_ms, q.delay_changes, q.delay_changes == 1 ? "" : "s", q.pieces,
		       (double)q.overlap / VX_QUALITY_RATE, q.frames_used);
	ret = fflush(stdout) == 0 ? VX_EXIT_OK : VX_EXIT_FAIL;
out:
	free(ref);
	free(deg);
	return ret;
}
