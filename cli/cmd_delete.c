/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl delete` removes a secret after a confirmation on the terminal (or --yes). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static bool yes;

static const struct cli_opt opts[] = {
	CLI_FLAG('y', "yes", &yes, "do not ask"),
	CLI_OPT_END,
};

/* Decided before the password so a script without --yes fails fast and changes nothing. */
static int check(struct cli_ctx *ctx)
{
	if (!yes && !cli_have_tty()) {
		cli_error("delete: refusing to delete '%s' without confirmation: there is no "
			  "terminal to ask on; pass --yes",
			  ctx->key);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int report(const char *key, int r, const struct reterr *err)
{
	if (r == -ENOENT)
		cli_error("delete: no secret named '%s' (see 'secretctl list')", key);
	else
		cli_error("delete: cannot delete %s: %s", key, reterr_str(err, r));
	return cli_exit_from_errno(r);
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	int r;
	if (!yes) {
		/* Only ask about a secret that exists; this look-up is not a read of the value. */
		struct vault_entry *e = NULL;
		r = vault_get(ctx->vault, ctx->key, VAULT_GET_META_ONLY | VAULT_GET_NO_AUDIT, &e,
			      &err);
		vault_entry_free(e);
		if (r < 0)
			return report(ctx->key, r, &err);
		char q[VAULT_KEY_MAX + 64];
		snprintf(q, sizeof(q), "Delete secret '%s'? [y/N] ", ctx->key);
		if (cli_tty_confirm(q) <= 0) {
			cli_error("delete: not confirmed; '%s' was kept", ctx->key);
			return CLI_EUSAGE;
		}
	}
	r = vault_delete(ctx->vault, ctx->key, &err);
	if (r < 0)
		return report(ctx->key, r, &err);
	printf("deleted %s\n", ctx->key);
	return CLI_OK;
}

const struct cli_command cli_cmd_delete = {
	.name = "delete",
	.summary = "delete a secret",
	.synopsis = "KEY [--yes] [--password-stdin]",
	.about = "Delete a secret with its fields, bindings and metadata. Asks for confirmation "
		 "on the\nterminal; without a terminal --yes is required.",
	.opts = opts,
	.flags = CLI_UNLOCK | CLI_KEY,
	.check = check,
	.run = run,
};
