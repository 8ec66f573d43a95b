// SPDX-License-Identifier: MIT
/* vox: one binary, git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include "pipeline/cli.h"

static const struct vx_cli_command commands[] = {
	{ "sketch", vx_cmd_sketch, "streaming sketches over lines of text" },
	{ "devices", vx_cmd_devices, "list ALSA capture and playback devices" },
	{ "record", vx_cmd_record, "record from an ALSA device into a WAV file" },
	{ "play", vx_cmd_play, "play a WAV file on an ALSA device" },
	{ "keygen", vx_cmd_keygen, "make a static key pair for secure sessions" },
	{ "pubkey", vx_cmd_pubkey, "print the public key of a private key file" },
	{ "impair", vx_cmd_impair, "UDP proxy that loses, delays and duplicates packets" },
	{ "send", vx_cmd_send, "stream a WAV file as (secured) RTP in real time" },
	{ "recv", vx_cmd_recv, "receive an RTP stream into a WAV file" },
	{ "quality", vx_cmd_quality, "speech quality (STOI, LSD) of a WAV against its reference" },
	{ "replay", vx_cmd_replay, "the call pipeline on a virtual clock: WAV in, WAV out, scored" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vox <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'vox <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return VX_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vox: '%s' is not a command; see 'vox --help'\n", argv[1]);
	return VX_EXIT_USAGE;
}
