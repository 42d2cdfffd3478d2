/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl audit prune` removes old audit entries behind an authenticated checkpoint, so
 * `audit verify` keeps checking what is left. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static const char *older_than;
static int64_t before;
static bool dry_run, force, json;

static const struct cli_opt opts[] = {
	CLI_STRING(0, "older-than", "WHEN", &older_than,
		   "remove entries older than a duration (90d, 12h) or an RFC 3339 time"),
	CLI_FLAG('n', "dry-run", &dry_run, "only say what would be removed"),
	CLI_FLAG(0, "force", &force, "do not ask for confirmation"),
	CLI_FLAG(0, "json", &json, "print the result as a JSON object"),
	CLI_OPT_END,
};

/* Decided before the password: a script without --force fails fast and changes nothing. */
static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	if (!older_than) {
		cli_error("audit prune: --older-than is required (e.g. --older-than 90d)");
		return CLI_EUSAGE;
	}
	if (cli_parse_since(older_than, &before) < 0) {
		cli_error("audit prune: invalid --older-than '%s' (use e.g. 90d, 12h or "
			  "2026-01-31T00:00:00Z)",
			  older_than);
		return CLI_EUSAGE;
	}
	if (!force && !dry_run && !cli_have_tty()) {
		cli_error("audit prune: refusing to remove audit entries without confirmation: "
			  "there is no terminal to ask on; pass --force (or --dry-run)");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static void report(const struct audit_prune_result *res, bool would)
{
	if (json) {
		printf("{\"removed\":%llu,\"through_seq\":%llu,\"dry_run\":%s}\n",
		       (unsigned long long)res->removed, (unsigned long long)res->through_seq,
		       would ? "true" : "false");
	} else if (res->removed == 0) {
		printf("nothing to prune: no entry at the start of the log is older than %s\n",
		       older_than);
	} else {
		printf("%s %llu audit entries (through seq %llu)%s\n",
		       would ? "would remove" : "removed", (unsigned long long)res->removed,
		       (unsigned long long)res->through_seq,
		       would ? ""
			     : "; `secretctl audit verify` checks the rest from the checkpoint");
	}
}

static int fail(int r, const struct reterr *err)
{
	if (r == -EBADMSG) {
		cli_error("audit prune: the audit log does not verify, nothing was removed: %s "
			  "(see `secretctl audit verify`)",
			  reterr_str(err, r));
		return CLI_EINTEGRITY;
	}
	cli_error("audit prune: %s", reterr_str(err, r));
	return cli_exit_from_errno(r);
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct audit_prune_result res = { 0 };
	bool ask = !force && !dry_run;
	int r = audit_prune(ctx->vault, before, dry_run || ask, &res, &err);
	if (r < 0)
		return fail(r, &err);
	if (ask && res.removed > 0) {
		char question[160];
		snprintf(question, sizeof(question),
			 "Remove %llu audit entries (seq through %llu) for good? [y/N] ",
			 (unsigned long long)res.removed, (unsigned long long)res.through_seq);
		if (cli_tty_confirm(question) <= 0) {
			cli_error("audit prune: not confirmed; nothing was removed");
			return CLI_EUSAGE;
		}
		if ((r = audit_prune(ctx->vault, before, false, &res, &err)) < 0)
			return fail(r, &err);
	}
	report(&res, dry_run);
	return CLI_OK;
}

const struct cli_command cli_cmd_audit_prune = {
	.name = "prune",
	.summary = "remove entries older than a time, keeping the rest verifiable",
	.synopsis = "--older-than WHEN [--dry-run] [--force] [--json]",
	.about = "Remove the oldest audit entries, those older than WHEN, up to the first entry "
		 "that\nis not (the log is only ever cut at its start). The whole log is verified "
		 "first: a\nlog that does not verify is not pruned (exit 4). An authenticated "
		 "checkpoint records\nwhere the chain now starts, so `audit verify` keeps checking "
		 "every remaining entry,\nand the prune itself is recorded (audit.prune). Asks for "
		 "confirmation on the terminal;\nwithout one --force is required.",
	.notes = "Exit status: 0 done (also when nothing was old enough), 1 usage or not "
		 "confirmed,\n3 authentication, 4 the log does not verify, 5 I/O.",
	.opts = opts,
	.flags = CLI_UNLOCK,
	.check = check,
	.run = run,
};
