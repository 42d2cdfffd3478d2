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
	&cli_cmd_init,	    &cli_cmd_set,	 &cli_cmd_edit,
	&cli_cmd_get,	    &cli_cmd_list,	 &cli_cmd_delete,
	&cli_cmd_rename,    &cli_cmd_copy,	 &cli_cmd_history,
	&cli_cmd_rollback,  &cli_cmd_folder,	 &cli_cmd_password,
	&cli_cmd_import,    &cli_cmd_export,	 &cli_cmd_backup,
	&cli_cmd_restore,   &cli_cmd_generate,	 &cli_cmd_inject,
	&cli_cmd_security,  &cli_cmd_audit,	 &cli_cmd_run,
	&cmd_exec,	    &cli_cmd_redact,	 &cli_cmd_doctor,
	&cli_cmd_policy,    &cli_cmd_mcp_server, &cli_cmd_mcp_config,
	&cli_cmd_unlock,    &cli_cmd_lock,	 &cli_cmd_status,
	&cli_cmd_approvals, &cli_cmd_approve,	 &cli_cmd_deny,
	&cli_cmd_grant,	    &cli_cmd_grants,	 &cli_cmd_revoke,
	&cli_cmd_recover,   &cli_cmd_completion, NULL,
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
		if (argc > 2) {
			cli_error("%s: takes no arguments (see 'secretctl --help')", argv[1]);
			return CLI_EUSAGE;
		}
		printf("secretctl %s\n", SECRETCTL_VERSION);
		return CLI_OK;
	}
	return cli_dispatch(commands, argc - 1, argv + 1);
}
