/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl revoke ID|--all` ends grants at once. Needs no password (it only takes
 * access away). Audited as agent.revoke. */
#include <errno.h>
#include <stdio.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static bool all;

static const struct cli_opt opts[] = {
	CLI_FLAG(0, "all", &all, "end every grant"),
	CLI_OPT_END,
};

static int check(struct cli_ctx *ctx)
{
	if (all != (ctx->argc == 0)) {
		cli_error("revoke: give one grant ID ('secretctl grants' lists them) or --all");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static void audit(const char *detail)
{
	struct vault *v = NULL;
	if (cli_session_vault(&v) != CLI_OK)
		return;
	struct audit_event ev = { .action = "agent.revoke", .success = true, .detail = detail };
	(void)audit_append(v, &ev, NULL);
	vault_free(v);
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	uint64_t id = 0;
	int64_t n = 0;
	char detail[96];
	if (!all && parse_u64(ctx->argv[0], 1, INT64_MAX, &id) < 0) {
		cli_error("revoke: '%s' is not a grant ID (a number 'secretctl grants' shows)",
			  ctx->argv[0]);
		return CLI_EUSAGE;
	}
	if (!cli_session()) {
		if (all) {
			printf("no grant to revoke (the vault is locked: grants ended with it)\n");
			return CLI_OK;
		}
		cli_error("revoke: the vault is locked: every grant ended with it");
		return CLI_ENOTFOUND;
	}
	int r = agent_child_revoke(cli_session(), (int64_t)id, all, &n, &err);
	if (r < 0) {
		cli_error("revoke: %s", reterr_str(&err, r));
		return r == -ENOENT ? CLI_ENOTFOUND : CLI_EIO;
	}
	if (all)
		snprintf(detail, sizeof(detail), "{\"all\":true,\"revoked\":%lld}", (long long)n);
	else
		snprintf(detail, sizeof(detail), "{\"id\":%llu}", (unsigned long long)id);
	audit(detail);
	if (all)
		printf("revoked %lld grant%s\n", (long long)n, n == 1 ? "" : "s");
	else
		printf("revoked grant %llu\n", (unsigned long long)id);
	return CLI_OK;
}

static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	return CLI_SCOPE_AGENT;
}

const struct cli_command cli_cmd_revoke = {
	.name = "revoke",
	.summary = "end a grant, or all of them",
	.synopsis = "ID | --all",
	.about = "End the grant with this ID ('secretctl grants'), or every grant with --all: "
		 "runs that\nneed approval ask again, keys that need a grant are refused. Needs no "
		 "password.",
	.notes = "Exit status: 0; 1 bad ID; 2 no such live grant. See secretctl-grant(1).",
	.opts = opts,
	.flags = CLI_IN_AGENT,
	.max_args = 1,
	.check = check,
	.scope = scope,
	.run = run,
};
