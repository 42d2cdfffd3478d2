/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the list command lands. */
#include "cli/cli.h"

int cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("list: unavailable in this build");
	return CLI_EIO;
}
