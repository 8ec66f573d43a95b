// SPDX-License-Identifier: MIT
/*
 * vox keygen, vox pubkey: the static X25519 key pairs of secure sessions.
 * The file format is in transport/keys.h (and docs/PROTOCOL.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/cli.h"
#include "transport/keys.h"

static const char keygen_help[] =
	"usage: vox keygen [-o FILE]\n"
	"Make a static X25519 key pair for secure sessions.\n"
	"  -o FILE      write the private key file there (mode 0600; an existing file\n"
	"               is never overwritten) and print the public key on stdout\n"
	"  -h, --help   this help\n"
	"Without -o the private key file's text goes to stdout and the public key to\n"
	"stderr. The public key is base64, one line: give it to the peer.\n"
	"Exit status: 0 done, 1 the file could not be written, 2 bad usage.\n";

static const char pubkey_help[] =
	"usage: vox pubkey FILE\n"
	"Print the public key (base64) of a private key file made by 'vox keygen'.\n"
	"Warns when the file is readable or writable by group or others.\n"
	"Exit status: 0 done, 1 unreadable or malformed file, 2 bad usage.\n";

int vx_cmd_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vx_noise_keypair kp;
	char pub[VX_KEYS_B64_CHARS + 1];
	const char *path = NULL;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			path = optarg;
			break;
		case 'h':
			fputs(keygen_help, stdout);
			return VX_EXIT_OK;
		default:
			return vx_cli_usage("keygen", "unknown option or missing value: %s",
					    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vx_cli_usage("keygen", "unexpected argument: %s", argv[optind]);

	if (vx_noise_keypair_generate(&kp) < 0) {
		fprintf(stderr, "vox keygen: cannot initialise libsodium\n");
		return VX_EXIT_FAIL;
	}
	vx_keys_encode(kp.pub, pub);
	if (path) {
		ret = vx_keys_write(path, &kp);
		vx_noise_keypair_wipe(&kp);
		if (ret == -EEXIST) {
			fprintf(stderr, "vox keygen: %s exists; not overwriting a key\n", path);
			return VX_EXIT_FAIL;
		}
		if (ret < 0) {
			fprintf(stderr, "vox keygen: %s: %s\n", path, strerror(-ret));
			return VX_EXIT_FAIL;
		}
		printf("%s\n", pub);
	} else {
		char priv[VX_KEYS_B64_CHARS + 1];

		vx_keys_encode(kp.priv, priv);
		vx_noise_keypair_wipe(&kp);
		printf("%s\n%s\n", VX_KEYS_HEADER, priv);
		memset(priv, 0, sizeof(priv));
		fprintf(stderr, "public key: %s\n", pub);
	}
	return fflush(stdout) == 0 ? VX_EXIT_OK : VX_EXIT_FAIL;
}

int vx_cmd_pubkey(int argc, char **argv)
{
	struct vx_noise_keypair kp;
	char pub[VX_KEYS_B64_CHARS + 1];
	unsigned mode;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(pubkey_help, stdout);
		return VX_EXIT_OK;
	}
	if (argc < 2)
		return vx_cli_usage("pubkey", "missing FILE");
	if (argc > 2)
		return vx_cli_usage("pubkey", "one FILE only: %s", argv[2]);
	ret = vx_keys_read(argv[1], &kp, &mode);
	if (ret < 0) {
		fprintf(stderr, "vox pubkey: %s: %s\n", argv[1], vx_keys_strerror(ret));
		return VX_EXIT_FAIL;
	}
	if (mode)
		fprintf(stderr, "vox pubkey: warning: %s has mode %04o; a private key should be "
				"0600 (chmod 600 %s)\n",
			argv[1], mode, argv[1]);
	vx_keys_encode(kp.pub, pub);
	vx_noise_keypair_wipe(&kp);
	printf("%s\n", pub);
	return VX_EXIT_OK;
}
