/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the redact command lands. */
#include "cli/cli.h"

int cmd_redact(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("redact: unavailable in this build");
	return CLI_EIO;
}
