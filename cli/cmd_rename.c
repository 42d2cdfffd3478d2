/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl rename OLD NEW` and `secretctl copy SRC DST`: one secret under another name,
 * atomically (the two commands differ only in whether the source stays). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

/* Both names valid before the password is asked for. */
static int check(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	if (ctx->argc != 2) {
		cli_error("%s: expected two names, the secret and its new name (see 'secretctl %s "
			  "--help')",
			  ctx->name, ctx->name);
		return CLI_EUSAGE;
	}
	for (int i = 0; i < 2; i++) {
		int r = vault_key_check(ctx->argv[i], &err);
		if (r < 0) {
			cli_error("%s: invalid name '%s': %s", ctx->name, ctx->argv[i],
				  reterr_str(&err, r));
			return CLI_EUSAGE;
		}
	}
	if (strcmp(ctx->argv[0], ctx->argv[1]) == 0) {
		cli_error("%s: the new name is the same as the old one; nothing to do", ctx->name);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	const char *from = ctx->argv[0], *to = ctx->argv[1];
	bool copy = strcmp(ctx->name, "copy") == 0;
	int r = copy ? vault_copy(ctx->vault, from, to, &err)
		     : vault_rename(ctx->vault, from, to, &err);
	if (r == -ENOENT)
		cli_error("%s: no secret named '%s' (see 'secretctl list')", ctx->name, from);
	else if (r == -EEXIST)
		cli_error("%s: a secret named '%s' already exists (delete or rename it first)",
			  ctx->name, to);
	else if (r < 0)
		cli_error("%s: cannot %s %s: %s", ctx->name, ctx->name, from, reterr_str(&err, r));
	if (r < 0)
		return cli_exit_from_errno(r);
	printf("%s %s to %s\n", copy ? "copied" : "renamed", from, to);
	return CLI_OK;
}

#define MOVE_NOTES                                                                                \
	"Exit status: 0 done, 1 usage (the new name exists, invalid names), 2 no such secret or " \
	"vault,\n3 authentication, 4 integrity, 5 I/O. See secretctl-rename(1)."

const struct cli_command cli_cmd_rename = {
	.name = "rename",
	.summary = "give a secret another name",
	.synopsis = "OLD NEW [--password-stdin]",
	.about = "Rename a secret, with its fields, bindings and metadata, in one transaction: "
		 "either\nthe whole change happens or none of it. NEW must not exist. The saved "
		 "previous\nversions ('secretctl history') belong to the old name and are "
		 "forgotten.",
	.notes = MOVE_NOTES,
	.flags = CLI_UNLOCK,
	.max_args = 2,
	.args_hint = "give the secret's name and its new name",
	.check = check,
	.run = run,
};

const struct cli_command cli_cmd_copy = {
	.name = "copy",
	.summary = "copy a secret to a new name",
	.synopsis = "SRC DST [--password-stdin]",
	.about = "Copy a secret, with its fields, bindings and metadata, to a new name in one\n"
		 "transaction. DST must not exist; it starts with an empty history.",
	.notes = MOVE_NOTES,
	.flags = CLI_UNLOCK,
	.max_args = 2,
	.args_hint = "give the secret's name and the name of the copy",
	.check = check,
	.run = run,
};
