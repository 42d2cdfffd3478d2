/* SPDX-License-Identifier: Apache-2.0 */
/* cli: main() and the command table; each command lives in cli/cmd_<name>.c and declares its
 * options and setup there; cli/command.c does the rest. */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

static const struct cli_command cmd_exec = {
	.name = "exec",
	.summary = "same as run (CI spelling)",
	.alias = &cli_cmd_run,
};

static const struct cli_command *const commands[] = {
	&cli_cmd_init,	     &cli_cmd_set,	  &cli_cmd_get,	    &cli_cmd_list,
	&cli_cmd_delete,     &cli_cmd_password,	  &cli_cmd_audit,   &cli_cmd_recover,
	&cli_cmd_run,	     &cmd_exec,		  &cli_cmd_redact,  &cli_cmd_doctor,
	&cli_cmd_policy,     &cli_cmd_mcp_server, &cli_cmd_mcp_config, NULL,
};

/* Whether the user's locale (LC_ALL, LC_CTYPE, LANG) is UTF-8: text output then shows UTF-8 as
 * text. The locale is only looked at: the process itself stays in the C locale. */
static bool utf8_locale(void)
{
	bool utf8 = false;
	if (setlocale(LC_CTYPE, "")) {
		const char *cs = nl_langinfo(CODESET);
		utf8 = cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
	}
	setlocale(LC_CTYPE, "C");
	return utf8;
}

int main(int argc, char **argv)
{
	outbuf_set_utf8_text(utf8_locale());
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf("secretctl %s\n", SECRETCTL_VERSION);
		return CLI_OK;
	}
	return cli_dispatch(commands, argc - 1, argv + 1);
}
