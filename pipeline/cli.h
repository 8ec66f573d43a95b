/* SPDX-License-Identifier: MIT */
#ifndef VX_PIPELINE_CLI_H
#define VX_PIPELINE_CLI_H

/* The vox command line: each subcommand is a main()-like function. */

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

#endif
