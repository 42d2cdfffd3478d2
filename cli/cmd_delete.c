/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the delete command lands. */
#include "cli/cli.h"

int cmd_delete(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("delete: unavailable in this build");
	return CLI_EIO;
}
