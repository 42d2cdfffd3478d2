/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the audit command lands. */
#include "cli/cli.h"

int cmd_audit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("audit: unavailable in this build");
	return CLI_EIO;
}
