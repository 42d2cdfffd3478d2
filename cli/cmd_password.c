/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the password command lands. */
#include "cli/cli.h"

int cmd_password(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("password: unavailable in this build");
	return CLI_EIO;
}
