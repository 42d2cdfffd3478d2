/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the run command lands. */
#include "cli/cli.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("run: unavailable in this build");
	return CLI_EIO;
}
