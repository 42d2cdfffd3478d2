/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the set command lands. */
#include "cli/cli.h"

int cmd_set(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("set: unavailable in this build");
	return CLI_EIO;
}
