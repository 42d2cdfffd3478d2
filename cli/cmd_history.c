/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl history KEY` lists a secret's saved previous versions (when, by what, size;
 * never values); `secretctl history --keep N` sets how many are kept. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static struct {
	bool json, set_keep;
	uint64_t keep;
} o;

static int opt_keep(const char *arg)
{
	if (parse_u64(arg, 0, VAULT_HISTORY_KEEP_MAX, &o.keep) < 0) {
		cli_error("history: invalid --keep '%s' (a number of versions, 0..%d)", arg,
			  VAULT_HISTORY_KEEP_MAX);
		return CLI_EUSAGE;
	}
	o.set_keep = true;
	return CLI_OK;
}

static const struct cli_opt opts[] = {
	CLI_FLAG(0, "json", &o.json, "a JSON object: key, keep, versions"),
	CLI_FN(0, "keep", "N", opt_keep,
	       "keep N previous versions of every secret (0..100; default 5);\n"
	       "without KEY. Lowering it forgets the oldest versions at once"),
	CLI_OPT_END,
};

static int check(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	if (o.set_keep == (ctx->argc == 1)) {
		cli_error("history: give either a KEY to list or --keep N to set how many versions "
			  "are kept (see 'secretctl history --help')");
		return CLI_EUSAGE;
	}
	if (ctx->argc == 1 && vault_key_check(ctx->argv[0], &err) < 0) {
		cli_error("history: invalid key: %s", reterr_str(&err, -EINVAL));
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static void print(struct outbuf *out, const char *key, unsigned keep, const struct vault_version *a,
		  size_t n)
{
	char ts[32];
	if (o.json)
		outbuf_printf(out, "{\"key\":\"%s\",\"keep\":%u,\"versions\":[", key, keep);
	else if (n)
		outbuf_printf(out, "%-10s  %-20s  %-4s  %s\n", "VERSION", "REPLACED", "BY", "SIZE");
	else
		outbuf_printf(out, "%s has no saved versions (keeping up to %u)\n", key, keep);
	for (size_t i = 0; i < n; i++) {
		parse_format_time(a[i].replaced_at, ts);
		if (o.json)
			outbuf_printf(out,
				      "%s{\"version\":%" PRIu64 ",\"replaced_at\":\"%s\","
				      "\"source\":\"%s\",\"size\":%" PRIu64 "}",
				      i ? "," : "", a[i].version, ts, a[i].source, a[i].size);
		else
			outbuf_printf(out, "%-10" PRIu64 "  %-20s  %-4s  %" PRIu64 "\n",
				      a[i].version, ts, a[i].source, a[i].size);
	}
	if (o.json)
		outbuf_puts(out, "]}\n");
}

static int set_keep(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	int r = vault_history_set_keep(ctx->vault, (unsigned)o.keep, &err);
	if (r < 0) {
		cli_error("history: cannot change the number of versions kept: %s",
			  reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	printf("history: keeping up to %" PRIu64 " previous versions of each secret\n", o.keep);
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault_version *a = NULL;
	size_t n = 0;
	unsigned keep = 0;
	if (o.set_keep)
		return set_keep(ctx);
	const char *key = ctx->argv[0];
	int r = vault_history_keep(ctx->vault, &keep, &err);
	if (r == 0)
		r = vault_history(ctx->vault, key, &a, &n, &err);
	if (r == -ENOENT)
		cli_error("history: no secret named '%s' (see 'secretctl list')", key);
	else if (r < 0)
		cli_error("history: cannot read the history of %s: %s", key, reterr_str(&err, r));
	if (r < 0)
		return cli_exit_from_errno(r);
	struct outbuf out;
	outbuf_init_fd(&out, STDOUT_FILENO);
	print(&out, key, keep, a, n);
	free(a);
	r = outbuf_finish(&out);
	if (r < 0 && r != -EPIPE) {
		cli_error("history: cannot write the output: %s", strerror(-r));
		return CLI_EIO;
	}
	return CLI_OK;
}

const struct cli_command cli_cmd_history = {
	.name = "history",
	.summary = "list a secret's previous versions (never values)",
	.synopsis = "KEY [--json] [--password-stdin]\n--keep N [--password-stdin]",
	.about = "List the previous versions of KEY that 'set' and 'rollback' saved, newest "
		 "first: the\nversion number 'rollback --version' takes, when it was replaced, "
		 "through what (cli or\nmcp) and the size in bytes of its value and fields. "
		 "Values are never shown. Saved\nversions are encrypted like the secrets; "
		 "'delete' and 'rename' forget them.",
	.notes = "Exit status: 0 listed or set, 1 usage, 2 no such secret or vault, 3 "
		 "authentication,\n4 integrity (a saved version does not authenticate), 5 I/O. "
		 "See secretctl-history(1).",
	.opts = opts,
	.flags = CLI_UNLOCK,
	.max_args = 1,
	.args_hint = "at most one KEY",
	.check = check,
	.run = run,
};
