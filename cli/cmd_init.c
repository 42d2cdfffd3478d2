/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the init command lands. */
#include "cli/cli.h"

int cmd_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("init: unavailable in this build");
	return CLI_EIO;
}
