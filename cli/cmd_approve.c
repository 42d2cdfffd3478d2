/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl approve ID [--session]` and `secretctl deny ID` answer a run that waits for
 * the person (`secretctl approvals`). Approving needs the master password (or an `unlock
 * --full` window), so an agent that can reach a shell cannot answer its own question; denying
 * only takes access away and needs nothing. Both run inside the session agent. */
#include <errno.h>
#include <stdio.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static bool session;

static const struct cli_opt approve_opts[] = {
	CLI_FLAG(0, "session", &session,
		 "also allow later runs of the same program with the same keys\n"
		 "and sandbox: for the rest of that MCP session (policy\n"
		 "approval: session), or until the vault locks (approval: once);\n"
		 "a run whose policy says approval: always still asks each time"),
	CLI_OPT_END,
};

static int decide(const struct cli_ctx *ctx, enum agent_verdict v)
{
	struct reterr err = RETERR_INIT;
	uint64_t id;
	if (parse_u64(ctx->argv[0], 1, INT64_MAX, &id) < 0) {
		cli_error("%s: '%s' is not an approval ID (a number 'secretctl approvals' shows)",
			  ctx->name, ctx->argv[0]);
		return CLI_EUSAGE;
	}
	if (!cli_session()) {
		cli_error("%s: the vault is locked, so no run waits for approval ('secretctl "
			  "unlock' starts the session agent that asks)",
			  ctx->name);
		return CLI_EAUTH;
	}
	int r = agent_child_decide(cli_session(), (int64_t)id, v, &err);
	if (r == -ENOENT) {
		cli_error("%s: %s", ctx->name, err.msg);
		return CLI_ENOTFOUND;
	}
	if (r < 0) {
		cli_error("%s: %s", ctx->name, reterr_str(&err, r));
		return r == -EPERM ? CLI_EAUTH : CLI_EIO;
	}
	printf("%s %llu\n",
	       v == AGENT_DENY		  ? "denied"
	       : v == AGENT_ALLOW_SESSION ? "allowed for the session"
					  : "allowed once",
	       (unsigned long long)id);
	return CLI_OK;
}

static int one_id(struct cli_ctx *ctx)
{
	if (ctx->argc == 1)
		return CLI_OK;
	cli_error("%s: which approval? give its ID ('secretctl approvals' lists them)", ctx->name);
	return CLI_EUSAGE;
}

static int run_approve(struct cli_ctx *ctx)
{
	return decide(ctx, session ? AGENT_ALLOW_SESSION : AGENT_ALLOW_ONCE);
}

static int run_deny(struct cli_ctx *ctx)
{
	return decide(ctx, AGENT_DENY);
}

static enum cli_scope full(const struct cli_ctx *ctx)
{
	(void)ctx;
	return CLI_SCOPE_FULL;
}

static enum cli_scope agent(const struct cli_ctx *ctx)
{
	(void)ctx;
	return CLI_SCOPE_AGENT;
}

const struct cli_command cli_cmd_approve = {
	.name = "approve",
	.summary = "let a run that waits for your approval go on",
	.synopsis = "[--session] ID",
	.about = "Allow the run with this ID ('secretctl approvals' lists them with the exact "
		 "command,\nits keys and its sandbox). Needs the master password, asked here (or "
		 "an 'unlock --full'\nwindow): the agent that asked for the run cannot answer "
		 "for you.",
	.notes = "Exit status: 0 allowed; 1 bad ID; 2 no such approval waits; 3 locked, or no "
		 "password.\nSee secretctl-approve(1) and docs/policy.md \"Approvals\".",
	.opts = approve_opts,
	.flags = CLI_PASSWORD | CLI_IN_AGENT,
	.check = one_id,
	.max_args = 1,
	.scope = full,
	.run = run_approve,
};

const struct cli_command cli_cmd_deny = {
	.name = "deny",
	.summary = "refuse a run that waits for your approval",
	.synopsis = "ID",
	.about = "Refuse the run with this ID ('secretctl approvals'): its caller gets an error "
		 "saying it\nwas denied, and the audit log records secret.run_denied. Needs no "
		 "password.",
	.notes = "Exit status: 0 denied; 1 bad ID; 2 no such approval waits; 3 locked.\n"
		 "See secretctl-approve(1).",
	.flags = CLI_IN_AGENT,
	.check = one_id,
	.max_args = 1,
	.scope = agent,
	.run = run_deny,
};
