/* SPDX-License-Identifier: Apache-2.0 */
/* cli: placeholder until the doctor command lands. */
#include "cli/cli.h"

int cmd_doctor(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("doctor: unavailable in this build");
	return CLI_EIO;
}
