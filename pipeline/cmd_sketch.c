// SPDX-License-Identifier: MIT
#include <stdio.h>

#include "pipeline/cli.h"

int vx_cmd_sketch(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vox sketch: not built yet\n");
	return VX_EXIT_FAIL;
}
