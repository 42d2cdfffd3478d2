/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the get command lands. */
#include "cli/cli.h"

int cmd_get(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("get: unavailable in this build");
	return CLI_EIO;
}
