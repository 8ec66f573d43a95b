// SPDX-License-Identifier: MIT
/* What the vox subcommands share: usage errors, number parsing, signals, the clock. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/codec.h"
#include "pipeline/cli.h"

atomic_int vx_cli_signal;
static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler stores vx_cli_signal");

/* Set once, before the handler is installed, so the handler reads a settled value. */
static void (*signal_hook)(int sig);

int vx_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vox %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'vox %s --help'\n", cmd);
	return VX_EXIT_USAGE;
}

bool vx_cli_parse_u64(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull() takes "-1" as 2^64 - 1: refuse the sign rather than wrap. */
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool vx_cli_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

static void on_signal(int sig)
{
	int saved = errno;

	if (signal_hook)
		signal_hook(sig);
	vx_cli_signal = sig;
	errno = saved;
}

void vx_cli_catch_signals(void (*hook)(int sig))
{
	struct sigaction sa;

	signal_hook = hook;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read, poll or sleep returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t vx_cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool vx_cli_parse_frame_ms(const char *s, unsigned *frame_us)
{
	double ms;

	if (!vx_cli_parse_double(s, &ms) || !(ms > 0 && ms <= 60) ||
	    !vx_codec_us_to_samples((unsigned)lround(ms * 1000)))
		return false;
	*frame_us = (unsigned)lround(ms * 1000);
	return true;
}
