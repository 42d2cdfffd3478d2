/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl lock` ends the session agent of the vault: it wipes the keys, removes its
 * socket and ends every request it serves. Anyone of the user may lock (it only takes access
 * away); locking a locked vault is no error. */
#include <errno.h>
#include <stdio.h>

#include "agent/agent.h"
#include "cli/cli.h"

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct agent_conn *c = NULL;
	(void)ctx;
	AUTO_FREE char *dir = vault_dir_default(&err);
	if (!dir) {
		cli_error("lock: %s", err.msg);
		return CLI_EUSAGE;
	}
	int r = agent_connect(dir, &c, &err);
	if (r == -ENOENT) {
		printf("already locked (no session agent serves %s)\n", dir);
		return CLI_OK;
	}
	if (r < 0) {
		cli_error("lock: %s", err.msg);
		return CLI_EIO;
	}
	pid_t pid = agent_conn_info(c)->pid;
	r = agent_conn_lock(c, &err);
	agent_conn_free(c);
	if (r < 0) {
		cli_error("lock: %s", err.msg);
		return CLI_EIO;
	}
	printf("locked (the session agent, pid %d, wiped its keys)\n", (int)pid);
	return CLI_OK;
}

const struct cli_command cli_cmd_lock = {
	.name = "lock",
	.summary = "end the session agent (its keys are wiped)",
	.synopsis = "",
	.about = "End the session agent that 'secretctl unlock' started for this vault: it wipes "
		 "the keys,\nremoves its socket and ends every request it is serving (runs are "
		 "killed). MCP servers\nthat use it answer every call with \"vault locked: run "
		 "'secretctl unlock'\" from then on.",
	.notes = "Exit status: 0 locked, or nothing was unlocked. See secretctl-unlock(1).",
	.max_args = 0,
	.run = run,
};
