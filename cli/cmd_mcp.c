/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl mcp-server` (options, then mcp/ serves) and `secretctl mcp-config` (the MCP
 * client configuration for this binary). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "mcp/mcp.h"

static struct mcp_server_opts server_opts;

static int run_server(struct cli_ctx *ctx)
{
	(void)ctx;
	return mcp_server_main(&server_opts);
}

static const struct cli_opt server_optv[] = {
	CLI_STRING(0, "policy", "FILE", &server_opts.policy_path,
		   "the policy that decides which commands run (default:\n"
		   "$SECRETCTL_POLICY, else ~/.secretctl/mcp-policy.yaml)"),
	CLI_STRING(0, "password-file", "FILE", &server_opts.password_file,
		   "read the master password from FILE (mode 0600, yours, not\n"
		   "a symlink) instead of $SECRETCTL_PASSWORD"),
	CLI_OPT_END,
};

const struct cli_command cli_cmd_mcp_server = {
	.name = "mcp-server",
	.summary = "serve MCP on stdio for an AI agent (never shows values)",
	.synopsis = "[--policy FILE] [--password-file FILE]",
	.about = "Serve the Model Context Protocol on stdin/stdout (newline-delimited JSON-RPC "
		 "2.0),\nfor an AI agent such as Claude Code: it can list secrets, see masked "
		 "values and\nmetadata, and run the commands the policy allows with secrets "
		 "injected, inside the\nsandbox, with every byte of output redacted. It never "
		 "receives a plaintext value.\nLogs go to stderr. The server ends when the client "
		 "closes stdin.",
	.notes = "Set it up with 'secretctl mcp-config'. See secretctl-mcp-server(1), "
		 "docs/mcp.md.",
	.opts = server_optv,
	.run = run_server,
};

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
	if (*s &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:-") ==
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

static bool generic, json_only, agent_form, password_form;

static int opt_client(const char *arg)
{
	if (strcmp(arg, "claude") && strcmp(arg, "generic")) {
		cli_error("mcp-config: --client must be claude or generic");
		return CLI_EUSAGE;
	}
	generic = !strcmp(arg, "generic");
	return CLI_OK;
}

/* Whether to print the password-free block: asked for, or a session agent serves the vault
 * (and the password form was not asked for). */
static bool use_agent(void)
{
	if (agent_form || password_form)
		return agent_form;
	struct agent_conn *c = NULL;
	AUTO_FREE char *dir = vault_dir_default(NULL);
	if (!dir || agent_connect(dir, &c, NULL) < 0)
		return false;
	agent_conn_free(c);
	return true;
}

static void print_block(const char *self, const char *vdir, bool agent)
{
	printf("{\n  \"mcpServers\": {\n    \"secretctl\": {\n      \"command\": ");
	json_string(self);
	printf(",\n      \"args\": [\"mcp-server\"],\n      \"env\": {");
	if (vdir && *vdir) {
		printf("\n        \"%s\": ", VAULT_DIR_ENV);
		json_string(vdir);
	}
	if (!agent)
		printf("%s\n        \"%s\": \"your-master-password\"", vdir && *vdir ? "," : "",
		       VAULT_PASSWORD_ENV);
	printf("\n      }\n    }\n  }\n}\n");
}

static void print_claude_line(const char *self, const char *vdir, bool agent)
{
	printf("\n# Or let Claude Code write it%s:\nclaude mcp add secretctl",
	       agent ? "" : " (replace the password)");
	if (vdir && *vdir) {
		printf(" -e ");
		char kv[PATH_MAX + 64];
		snprintf(kv, sizeof(kv), "%s=%s", VAULT_DIR_ENV, vdir);
		shell_word(kv);
	}
	if (!agent)
		printf(" -e %s=your-master-password", VAULT_PASSWORD_ENV);
	printf(" -- ");
	shell_word(self);
	printf(" mcp-server\n");
}

static int run_config(struct cli_ctx *ctx)
{
	char self[PATH_MAX];
	(void)ctx;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		cli_error("mcp-config: cannot find this program's path: %s", strerror(errno));
		return CLI_EIO;
	}
	self[n] = '\0';
	const char *vdir = secure_getenv(VAULT_DIR_ENV);
	bool agent = use_agent();
	if (!json_only)
		printf("# Add to ~/.claude.json (or your MCP client's configuration)%s:\n",
		       agent ? "; no password in it: the server uses the session agent" : "");
	print_block(self, vdir, agent);
	if (json_only)
		return CLI_OK;
	if (!generic)
		print_claude_line(self, vdir, agent);
	if (agent)
		printf("\n# The server asks the session agent ('secretctl unlock') for the vault, "
		       "in the\n"
		       "# agent scope. While the vault is locked its calls fail with \"vault "
		       "locked:\n"
		       "# run 'secretctl unlock'\". Runs are judged by the policy loaded at "
		       "unlock\n"
		       "# (~/.secretctl/mcp-policy.yaml, mode 0600): see 'man "
		       "secretctl-policy'.\n");
	else
		printf("\n# The password in that file is readable by every process that runs as "
		       "you,\n"
		       "# including the agent's own file and shell tools: 'secretctl unlock' and\n"
		       "# 'secretctl mcp-config --agent' keep it out. Write "
		       "~/.secretctl/mcp-policy.yaml\n"
		       "# (mode 0600) before the agent can run commands: see 'man "
		       "secretctl-policy'.\n");
	return CLI_OK;
}

static int check_config(struct cli_ctx *ctx)
{
	(void)ctx;
	if (agent_form && password_form) {
		cli_error("mcp-config: --agent and --password exclude each other");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static const struct cli_opt config_optv[] = {
	CLI_FN1(0, "client", "NAME", opt_client, "claude (default) or generic"),
	CLI_FLAG(0, "json", &json_only, "print only the JSON block"),
	CLI_FLAG(0, "agent", &agent_form,
		 "the block without the password, for the session agent\n"
		 "(the default while 'secretctl unlock' serves the vault)"),
	CLI_FLAG(0, "password", &password_form,
		 "the block with SECRETCTL_PASSWORD (the default "
		 "when\nno session agent runs)"),
	CLI_OPT_END,
};

const struct cli_command cli_cmd_mcp_config = {
	.name = "mcp-config",
	.summary = "print the MCP client configuration for this binary",
	.synopsis = "[--client claude|generic] [--agent | --password] [--json]",
	.about = "Print the MCP client configuration that starts this secretctl as an MCP "
		 "server:\nthe \"mcpServers\" block for ~/.claude.json (or any client that reads "
		 "that format)\nand, for Claude Code, the equivalent 'claude mcp add' command "
		 "line. While a session\nagent serves the vault ('secretctl unlock'), the block "
		 "holds no password: the server\nuses the agent.",
	.opts = config_optv,
	.check = check_config,
	.run = run_config,
};
