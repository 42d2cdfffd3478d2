/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: `secretctl mcp-server`, the Model Context Protocol server (JSON-RPC 2.0 over stdio) that
 * lets an agent list secrets, see masked values and run allowed commands with secrets injected,
 * without ever receiving a plaintext value. Three kinds of process (docs/mcp.md "Processes"): a
 * confined front that parses JSON and holds nothing, a broker that holds the vault and never
 * parses JSON, and one worker per run. */
#ifndef SECRETCTL_MCP_H
#define SECRETCTL_MCP_H

#include <stdbool.h>

#define MCP_RUN_TIMEOUT_DEFAULT_MS (5 * 60 * 1000) /* secret_run without timeout */
#define MCP_OUTPUT_DEFAULT (1024 * 1024)	   /* per stream, unless the policy says */
#define MCP_KEYS_MAX 10				   /* key patterns per secret_run */
#define MCP_ARGS_MAX 100
#define MCP_ARG_MAX (32 * 1024)
#define MCP_PROGRESS_MS 1000 /* progress notification interval */

struct mcp_server_opts {
	const char *policy_path;   /* --policy FILE, or NULL for the default location */
	const char *password_file; /* --password-file FILE (0600, ours, not a symlink), or NULL */
};

/* Serve MCP on stdin/stdout until the client closes stdin; every run still in flight is then
 * killed. Messages go to stderr, prefixed "secretctl mcp-server: ". Returns the process exit
 * code: 0 after a clean end, 1 when the server could not start (no vault, no or a wrong
 * password, a bad policy file) or failed. Forks; call from a single-threaded process. */
int mcp_server_main(const struct mcp_server_opts *opts);

/* In a child of the session agent: the broker side of an mcp-server whose front is on fd (the
 * mcp-server process relays between them): the vault unlocked with the agent's keys, the policy
 * the agent loaded at unlock, always the agent scope. Returns the exit code. */
struct agent_child;
int mcp_agent_broker_main(struct agent_child *c, int fd);

#endif
