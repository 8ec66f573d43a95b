/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_CLI_H
#define VX_PIPELINE_CLI_H

/* The vox command line: each subcommand is a main()-like function. */

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Exit codes every subcommand uses. */
enum {
	VX_EXIT_OK = 0,
	VX_EXIT_FAIL = 1,    /* the work failed: unreadable input, bad file, I/O error */
	VX_EXIT_USAGE = 2,   /* bad command line */
};

struct vx_cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
	const char *summary;
};

/**
 * vx_cli_usage() - report a bad command line.
 * @cmd: the command as the user typed it after "vox": "impair", "sketch top".
 * @fmt: printf format of the message, which names the culprit.
 *
 * Prints one line on stderr: "vox CMD: MESSAGE; see 'vox CMD --help'".
 *
 * Return: VX_EXIT_USAGE, so a command can return vx_cli_usage(...).
 */
int vx_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * vx_cli_parse_u64() - an option's value as an unsigned integer.
 * @s:    the whole string must be the number; no sign is accepted.
 * @base: as for strtoull(): 10, or 0 to take 0x hex and 0 octal too.
 * @min:  smallest value accepted.
 * @max:  largest value accepted.
 * @out:  set on success only.
 *
 * Return: true, or false if @s is not a number, overflows, or is out of range.
 */
bool vx_cli_parse_u64(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out)
	__attribute__((warn_unused_result));

/**
 * vx_cli_parse_frame_ms() - a codec frame duration as written on the command line.
 * @s:        milliseconds: 2.5, 5, 10, 20, 40 or 60 (any spelling of those numbers).
 * @frame_us: set to the duration in microseconds.
 *
 * Return: true if @s is one of those.
 */
bool vx_cli_parse_frame_ms(const char *s, unsigned *frame_us) __attribute__((warn_unused_result));

/**
 * vx_cli_parse_double() - an option's value as a decimal number.
 * @s:   the whole string must be the number (strtod() syntax, so "nan" and
 *       "inf" pass: the caller's range test must reject them).
 * @out: set on success only.
 *
 * Return: true, or false if @s is not a number or over- or underflows.
 */
bool vx_cli_parse_double(const char *s, double *out) __attribute__((warn_unused_result));

/*
 * The signal vx_cli_catch_signals() caught last, 0 if none yet. Commands poll it
 * between blocking calls and report it. An atomic (lock-free, so a signal handler
 * may store it): threads other than the one the signal lands on read it too.
 */
extern atomic_int vx_cli_signal;

/**
 * vx_cli_catch_signals() - turn SIGINT and SIGTERM into vx_cli_signal.
 * @hook: NULL, or a function the handler calls first on every signal, while
 *        vx_cli_signal still holds the previous one (0 the first time): a
 *        command's own reaction, such as ending at once on a second signal.
 *        It runs in a signal handler, so it must be async-signal-safe.
 *
 * The handler is installed without SA_RESTART, so a blocking read, poll or
 * sleep returns -EINTR and the command sees the flag at once.
 */
void vx_cli_catch_signals(void (*hook)(int sig));

/**
 * vx_cli_now_ns() - CLOCK_MONOTONIC, in ns.
 *
 * Context: real-time safe (a vDSO call).
 */
uint64_t vx_cli_now_ns(void);

int vx_cmd_sketch(int argc, char **argv);
int vx_cmd_devices(int argc, char **argv);
int vx_cmd_record(int argc, char **argv);
int vx_cmd_play(int argc, char **argv);
int vx_cmd_keygen(int argc, char **argv);
int vx_cmd_pubkey(int argc, char **argv);
int vx_cmd_impair(int argc, char **argv);
int vx_cmd_send(int argc, char **argv);
int vx_cmd_recv(int argc, char **argv);
int vx_cmd_quality(int argc, char **argv);
int vx_cmd_replay(int argc, char **argv);

#endif
