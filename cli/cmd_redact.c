/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl redact` filters stdin to stdout through the sanitizer, replacing secrets from
 * the vault (-k) or from the caller's environment (--from-env) and their encodings. The keys,
 * the redaction set and the filtering are broker/'s; this file parses options and reports. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "cli/cli.h"

static int redact_steps(struct broker *b, struct broker_run *run, bool vault_keys, bool count)
{
	struct reterr err = RETERR_INIT;
	struct vault *v = NULL;
	uint64_t *counts = NULL;
	int e, rc = CLI_OK;

	/* stdin carries the data, so the password comes from $SECRETCTL_PASSWORD or the tty. */
	if (vault_keys) {
		if ((rc = cli_vault_unlock(false, 0, &v)) != CLI_OK)
			return rc;
		broker_set_vault(b, v);
	}
	e = broker_run_prepare(run, &err);
	broker_set_vault(b, NULL);
	if ((rc = cli_vault_close(v)) != CLI_OK)
		return rc;
	for (char *const *w = broker_run_warnings(run); *w; w++)
		cli_warn("redact: %s", *w);
	if (e < 0) {
		cli_error("redact: %s", reterr_str(&err, e));
		return cli_exit_from_errno(e);
	}
	if ((e = broker_redact_fd(run, STDIN_FILENO, STDOUT_FILENO, count ? &counts : NULL, &err)) <
	    0) {
		cli_error("redact: %s", reterr_str(&err, e));
		return CLI_EIO;
	}
	for (size_t i = 0; counts && i < broker_run_nnames(run); i++)
		fprintf(stderr, "%s %llu\n", broker_run_name(run, i),
			(unsigned long long)counts[i]);
	free(counts);
	return CLI_OK;
}

static struct broker_req q = { .profile = -1, .network = -1, .stdin_fd = -1 };
static char **patterns, **from_env;
static bool count;

static const struct cli_opt opts[] = {
	CLI_LIST('k', "key", "PATTERN", &patterns,
		 "redact vault secrets whose key matches PATTERN (glob, as in run);\n"
		 "opens the vault (password from $SECRETCTL_PASSWORD or the tty)"),
	CLI_LIST(0, "from-env", "NAME", &from_env,
		 "redact the value of the environment "
		 "variable NAME"),
	CLI_STRING(0, "env", "ALIAS", &q.env_alias,
		   "resolve -k patterns through the policy's "
		   "environment alias"),
	CLI_STRING(0, "env-prefix", "P", &q.env_prefix,
		   "prefix placeholder names as run would "
		   "prefix variables"),
	CLI_FLAG(0, "count", &count,
		 "print the number of redactions per name to stderr at the "
		 "end"),
	CLI_FLAG(0, "raw-terminal", &q.raw_terminal,
		 "pass terminal control sequences through (by default clipboard\n"
		 "writes are removed, and on a terminal titles and queries too)"),
	CLI_OPT_END,
};

static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	if (!patterns && !from_env) {
		cli_error("redact: nothing to redact: give -k PATTERN or --from-env NAME");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* Redacting vault secrets decrypts them, and what comes out tells whether a guess was right:
 * only with the master password (the MCP server has no such tool). */
static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	return patterns ? CLI_SCOPE_FULL : CLI_SCOPE_NONE;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct broker *b = NULL;
	struct broker_run *r = NULL;
	int e, rc;
	(void)ctx;
	q.patterns = patterns;
	q.from_env = from_env;
	struct broker_opts bo = { .source = "cli", .want_policy = q.env_alias != NULL };
	if ((e = broker_new(&bo, &b, &err)) < 0 || (e = broker_process_init(false, &err)) < 0 ||
	    (e = broker_run_new(b, &q, &r, &err)) < 0) {
		cli_error("redact: %s", reterr_str(&err, e));
		rc = cli_exit_from_errno(e);
	} else {
		rc = redact_steps(b, r, patterns != NULL, count);
	}
	broker_run_free(r);
	broker_free(b);
	return rc;
}

const struct cli_command cli_cmd_redact = {
	.name = "redact",
	.summary = "filter stdin to stdout, redacting secrets",
	.synopsis = "[-k PATTERN]... [--from-env NAME]... [--env ALIAS]\n"
		    "[--env-prefix P] [--count]",
	.about = "Copy stdin to stdout, replacing every secret with [REDACTED:NAME]: its raw "
		 "bytes,\nhex and base64 (also wrapped), and any escaped form of it (URL, JSON, "
		 "HTML, shell\nquoting, colour codes inside). Input is read from stdin only.",
	.opts = opts,
	.check = check,
	.scope = scope,
	.run = run,
};
