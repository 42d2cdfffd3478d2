/* SPDX-License-Identifier: Apache-2.0 */
/* cli: main() and the command table; each command lives in cli/cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command commands[] = {
	{ "init", cmd_init, "create a new encrypted vault" },
	{ "set", cmd_set, "store or update a secret (value from stdin)" },
	{ "get", cmd_get, "read a secret, a field, or its metadata" },
	{ "list", cmd_list, "list secret names and metadata (never values)" },
	{ "delete", cmd_delete, "delete a secret" },
	{ "password", cmd_password, "change the master password" },
	{ "audit", cmd_audit, "list, verify or export the audit log" },
	{ "run", cmd_run, "run a command with secrets injected, sandboxed, output redacted" },
	{ "exec", cmd_run, "same as run (CI spelling)" },
	{ "redact", cmd_redact, "filter stdin to stdout, redacting secrets" },
	{ "doctor", cmd_doctor, "show which sandbox protections this kernel supports" },
	{ "policy", cmd_policy, "validate the policy file, or check what it allows" },
	{ "mcp-server", cmd_mcp_server, "serve MCP on stdio for an AI agent (never shows values)" },
	{ "mcp-config", cmd_mcp_config, "print the MCP client configuration for this binary" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: secretctl <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'secretctl <command> --help' for a command's options; 'man secretctl' for "
		   "the manual.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("secretctl %s\n", SECRETCTL_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	}
	cli_error("unknown command '%s' (see 'secretctl --help')", argv[1]);
	return CLI_EUSAGE;
}
