/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl mcp-server` (options, then mcp/ serves) and `secretctl mcp-config` (the MCP
 * client configuration for this binary). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "mcp/mcp.h"

static void server_usage(FILE *f)
{
	fputs("usage: secretctl mcp-server [--policy FILE] [--password-file FILE]\n"
	      "\n"
	      "Serve the Model Context Protocol on stdin/stdout (newline-delimited JSON-RPC 2.0),\n"
	      "for an AI agent such as Claude Code: it can list secrets, see masked values and\n"
	      "metadata, and run the commands the policy allows with secrets injected, inside the\n"
	      "sandbox, with every byte of output redacted. It never receives a plaintext value.\n"
	      "Logs go to stderr. The server ends when the client closes stdin.\n"
	      "\n"
	      "  --policy FILE         the policy that decides which commands run (default:\n"
	      "                        $SECRETCTL_POLICY, else ~/.secretctl/mcp-policy.yaml)\n"
	      "  --password-file FILE  read the master password from FILE (mode 0600, yours, not\n"
	      "                        a symlink) instead of $SECRETCTL_PASSWORD\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "Set it up with 'secretctl mcp-config'. See secretctl-mcp-server(1), docs/mcp.md.\n",
	      f);
}

int cmd_mcp_server(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mcp_server_opts o = { 0 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.policy_path = optarg; break;
		case 'P': o.password_file = optarg; break;
		case 'h': server_usage(stdout); return CLI_OK;
		default: server_usage(stderr); return CLI_EUSAGE;
		}
	}
	if (optind < argc) {
		cli_error("mcp-server: unexpected argument '%s'", argv[optind]);
		return CLI_EUSAGE;
	}
	return mcp_server_main(&o);
}

static void config_usage(FILE *f)
{
	fputs("usage: secretctl mcp-config [--client claude|generic] [--json]\n"
	      "\n"
	      "Print the MCP client configuration that starts this secretctl as an MCP server:\n"
	      "the \"mcpServers\" block for ~/.claude.json (or any client that reads that format)\n"
	      "and, for Claude Code, the equivalent 'claude mcp add' command line.\n"
	      "\n"
	      "  --client NAME   claude (default) or generic\n"
	      "  --json          print only the JSON block\n"
	      "  -h, --help      show this help\n",
	      f);
}

/* A JSON string of s (paths and variable values we print; quotes and backslashes escaped). */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* A word for a POSIX shell: single-quoted when it has anything but [A-Za-z0-9_./=:-]. */
static void shell_word(const char *s)
{
	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:-") ==
			  strlen(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

int cmd_mcp_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "client", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool claude = true, json_only = false;
	char self[PATH_MAX];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!strcmp(optarg, "claude"))
				claude = true;
			else if (!strcmp(optarg, "generic"))
				claude = false;
			else {
				cli_error("mcp-config: --client must be claude or generic");
				return CLI_EUSAGE;
			}
			break;
		case 'j': json_only = true; break;
		case 'h': config_usage(stdout); return CLI_OK;
		default: config_usage(stderr); return CLI_EUSAGE;
		}
	}
	if (optind < argc) {
		cli_error("mcp-config: unexpected argument '%s'", argv[optind]);
		return CLI_EUSAGE;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		cli_error("mcp-config: cannot find this program's path: %s", strerror(errno));
		return CLI_EIO;
	}
	self[n] = '\0';
	const char *vdir = secure_getenv(VAULT_DIR_ENV);
	if (!json_only)
		printf("# Add to ~/.claude.json (or your MCP client's configuration):\n");
	printf("{\n  \"mcpServers\": {\n    \"secretctl\": {\n      \"command\": ");
	json_string(self);
	printf(",\n      \"args\": [\"mcp-server\"],\n      \"env\": {\n");
	if (vdir && *vdir) {
		printf("        \"%s\": ", VAULT_DIR_ENV);
		json_string(vdir);
		printf(",\n");
	}
	printf("        \"%s\": \"your-master-password\"\n      }\n    }\n  }\n}\n",
	       VAULT_PASSWORD_ENV);
	if (json_only)
		return CLI_OK;
	if (claude) {
		printf("\n# Or let Claude Code write it (replace the password):\nclaude mcp add "
		       "secretctl");
		if (vdir && *vdir) {
			printf(" -e ");
			char kv[PATH_MAX + 64];
			snprintf(kv, sizeof(kv), "%s=%s", VAULT_DIR_ENV, vdir);
			shell_word(kv);
		}
		printf(" -e %s=your-master-password -- ", VAULT_PASSWORD_ENV);
		shell_word(self);
		printf(" mcp-server\n");
	}
	printf("\n# The password in that file is readable by every process that runs as you,\n"
	       "# including the agent's own file and shell tools. Write ~/.secretctl/mcp-policy.yaml\n"
	       "# (mode 0600) before the agent can run commands: see 'man secretctl-policy'.\n");
	return CLI_OK;
}
