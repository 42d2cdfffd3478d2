/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl rollback KEY [--version N]` makes a saved previous version current again. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static uint64_t version;

static int opt_version(const char *arg)
{
	if (parse_u64(arg, 1, INT64_MAX, &version) < 0) {
		cli_error("rollback: invalid --version '%s' (a VERSION from 'secretctl history "
			  "KEY')",
			  arg);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static const struct cli_opt opts[] = {
	CLI_FN(0, "version", "N", opt_version,
	       "the saved version to restore (default: the newest saved)"),
	CLI_OPT_END,
};

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	uint64_t restored = 0;
	int r = vault_rollback(ctx->vault, ctx->key, version, &restored, &err);
	if (r == -ENOENT)
		cli_error("rollback: %s", reterr_str(&err, r));
	else if (r < 0)
		cli_error("rollback: cannot roll back %s: %s", ctx->key, reterr_str(&err, r));
	if (r < 0)
		return cli_exit_from_errno(r);
	printf("rolled back %s to version %" PRIu64 "\n", ctx->key, restored);
	return CLI_OK;
}

const struct cli_command cli_cmd_rollback = {
	.name = "rollback",
	.summary = "restore a previous version of a secret",
	.synopsis = "KEY [--version N] [--password-stdin]",
	.about = "Make a saved previous version of KEY (see 'secretctl history KEY') its "
		 "current value\nagain, with the fields and metadata it had. The value it "
		 "replaces is saved in turn,\nso a rollback can itself be rolled back.",
	.notes = "Exit status: 0 restored, 1 usage, 2 no such secret, version or vault, 3 "
		 "authentication,\n4 integrity, 5 I/O. See secretctl-rollback(1).",
	.opts = opts,
	.flags = CLI_UNLOCK | CLI_KEY,
	.run = run,
};
