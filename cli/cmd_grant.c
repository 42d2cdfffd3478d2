/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl grant PATTERN [--for 30m] [--runs N] [--command NAME]`: for a while, runs
 * whose keys all match grants go on without asking the person, and keys the policy keeps for
 * grants (require_grant) may be used. Needs the master password (an agent cannot grant itself
 * anything); runs inside the session agent, which holds the grant until it runs out, is
 * revoked, or the vault locks. Audited as agent.grant. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

#define GRANT_FOR_DEFAULT_MS (30 * 60 * 1000)
#define GRANT_FOR_MAX_MS (24LL * 3600 * 1000)
#define GRANT_RUNS_MAX 1000000

static struct {
	int64_t ms, runs;
	const char *command;
	bool json;
} o;

static int opt_for(const char *arg)
{
	if (parse_duration_ms(arg, false, &o.ms) < 0 || o.ms < 1000 || o.ms > GRANT_FOR_MAX_MS) {
		cli_error("grant: invalid --for '%s' (a duration from 1s to 24h: 30m, 2h, ...)",
			  arg);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int opt_runs(const char *arg)
{
	uint64_t n;
	if (parse_u64(arg, 1, GRANT_RUNS_MAX, &n) < 0) {
		cli_error("grant: invalid --runs '%s' (a number from 1 to %d)", arg,
			  GRANT_RUNS_MAX);
		return CLI_EUSAGE;
	}
	o.runs = (int64_t)n;
	return CLI_OK;
}

static const struct cli_opt opts[] = {
	CLI_FN(0, "for", "DURATION", opt_for,
	       "how long the grant lasts (default 30m; at most 24h,\n"
	       "and never past the vault's lock)"),
	CLI_FN(0, "runs", "N", opt_runs, "end it after N runs it let through (default: no limit)"),
	CLI_STRING(0, "command", "NAME", &o.command,
		   "only runs of a program with this name (the file's last\n"
		   "component: aws, psql)"),
	CLI_FLAG(0, "json", &o.json, "print the grant as one JSON object"),
	CLI_OPT_END,
};

/* The pattern: a key glob as the policy writes them. */
static bool glob_ok(const char *p)
{
	size_t n = strlen(p);
	return n > 0 && n <= POLICY_KEY_MAX &&
	       strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-*?") ==
		       n;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < 256 && strcmp(s, ".") && strcmp(s, "..") &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == n;
}

static int check(struct cli_ctx *ctx)
{
	if (ctx->argc != 1) {
		cli_error(
			"grant: which keys? give one key pattern ('aws/*', quoted for the shell)");
		return CLI_EUSAGE;
	}
	if (!glob_ok(ctx->argv[0])) {
		cli_error("grant: '%s' is not a key pattern (1-%d of A-Z a-z 0-9 . _ / - and the "
			  "wildcards * ?)",
			  ctx->argv[0], POLICY_KEY_MAX);
		return CLI_EUSAGE;
	}
	if (o.command && !name_ok(o.command)) {
		cli_error("grant: --command '%s' is not a program name (no '/': aws, psql)",
			  o.command);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static void audit(int64_t id, const char *pattern, int64_t ms, int64_t runs)
{
	struct vault *v = NULL;
	char detail[128];
	if (cli_session_vault(&v) != CLI_OK)
		return;
	snprintf(detail, sizeof(detail), "{\"id\":%lld,\"for_s\":%lld,\"runs\":%lld}",
		 (long long)id, (long long)(ms / 1000), (long long)runs);
	struct audit_event ev = { .action = "agent.grant",
				  .keys = pattern,
				  .command = o.command,
				  .success = true,
				  .detail = detail };
	(void)audit_append(v, &ev, NULL);
	vault_free(v);
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	int64_t id = 0, ms = o.ms ? o.ms : GRANT_FOR_DEFAULT_MS, runs = o.runs ? o.runs : -1;
	if (!cli_session()) {
		cli_error("grant: the vault is locked; grants live in the session agent: run "
			  "'secretctl unlock' first");
		return CLI_EAUTH;
	}
	int r = agent_child_grant(cli_session(), ctx->argv[0], o.command, ms, runs, &id, &err);
	if (r < 0) {
		cli_error("grant: %s", reterr_str(&err, r));
		return r == -EPERM		      ? CLI_EAUTH
		       : r == -ENOSPC || r == -EINVAL ? CLI_EUSAGE
						      : CLI_EIO;
	}
	audit(id, ctx->argv[0], ms, runs);
	char d[32], n[48] = "";
	cli_format_duration(ms / 1000, d);
	if (runs > 0)
		snprintf(n, sizeof(n), " or %lld run%s", (long long)runs, runs == 1 ? "" : "s");
	if (o.json)
		printf("{\"id\":%lld,\"pattern\":\"%s\",\"for_s\":%lld,\"runs\":%lld}\n",
		       (long long)id, ctx->argv[0], (long long)(ms / 1000), (long long)runs);
	else
		printf("grant %lld: runs with keys matching %s%s%s%s go on without asking, for "
		       "%s%s\n",
		       (long long)id, ctx->argv[0], o.command ? " (program " : "",
		       o.command ? o.command : "", o.command ? ")" : "", d, n);
	return CLI_OK;
}

static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	return CLI_SCOPE_FULL;
}

static void cleanup(void)
{
	o.ms = o.runs = 0;
	o.command = NULL;
}

const struct cli_command cli_cmd_grant = {
	.name = "grant",
	.summary = "let runs use keys without asking, for a while",
	.synopsis = "[--for DURATION] [--runs N] [--command NAME] PATTERN",
	.about = "For --for (default 30m) or --runs runs, runs served by the session agent (an "
		 "agent's\nsecret_run, 'secretctl run' in the agent scope) whose keys all match "
		 "live "
		 "grants go on\nwithout asking you, even when the policy says approval:, and may "
		 "use "
		 "keys the policy\nkeeps for grants (require_grant: true). Needs the master "
		 "password. "
		 "'secretctl grants'\nlists them, 'secretctl revoke' ends them; locking the vault "
		 "ends them all.",
	.notes = "Exit status: 0 granted; 1 bad pattern or option, or too many grants; 3 locked, "
		 "or no\nor a wrong password. See secretctl-grant(1).",
	.opts = opts,
	.flags = CLI_PASSWORD | CLI_IN_AGENT,
	.max_args = 1,
	.check = check,
	.scope = scope,
	.run = run,
	.cleanup = cleanup,
};
