/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl redact` filters stdin to stdout through the sanitizer, replacing secrets from
 * the vault (-k) or from the caller's environment (--from-env) and their encodings. The keys,
 * the redaction set and the filtering are broker/'s; this file parses options and reports. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs("usage: secretctl redact [-k PATTERN]... [--from-env NAME]... [--env ALIAS]\n"
	      "                        [--env-prefix P] [--count]\n"
	      "\n"
	      "Copy stdin to stdout, replacing every secret (and its base64, hex, URL, JSON and\n"
	      "shell-quoted forms) with [REDACTED:NAME].\n"
	      "\n"
	      "  -k PATTERN        redact vault secrets whose key matches PATTERN (glob, as in run);\n"
	      "                    opens the vault (password from $SECRETCTL_PASSWORD or the tty)\n"
	      "  --from-env NAME   redact the value of the environment variable NAME\n"
	      "  --env ALIAS       resolve -k patterns through the policy's environment alias\n"
	      "  --env-prefix P    prefix placeholder names as run would prefix variables\n"
	      "  --count           print the number of redactions per name to stderr at the end\n"
	      "  -h, --help        show this help\n",
	      f);
}

static int redact_steps(struct broker *b, struct broker_run *run, bool vault_keys, bool count)
{
	struct reterr err = { .msg = "" };
	struct vault *v = NULL;
	uint64_t *counts = NULL;
	int e, rc = CLI_OK;

	/* stdin carries the data, so the password comes from $SECRETCTL_PASSWORD or the tty. */
	if (vault_keys) {
		if ((rc = cli_vault_unlock(false, &v)) != CLI_OK)
			return rc;
		broker_set_vault(b, v);
	}
	e = broker_run_prepare(run, &err);
	broker_set_vault(b, NULL);
	v = vault_free(v);
	for (char *const *w = broker_run_warnings(run); *w; w++)
		cli_warn("redact: %s", *w);
	if (e < 0) {
		cli_error("redact: %s", err.msg[0] ? err.msg : strerror(-e));
		return cli_exit_from_errno(e);
	}
	if ((e = broker_redact_fd(run, STDIN_FILENO, STDOUT_FILENO, count ? &counts : NULL,
				  &err)) < 0) {
		cli_error("redact: %s", err.msg[0] ? err.msg : strerror(-e));
		return CLI_EIO;
	}
	for (size_t i = 0; counts && i < broker_run_nnames(run); i++)
		fprintf(stderr, "%s %llu\n", broker_run_name(run, i), (unsigned long long)counts[i]);
	free(counts);
	return CLI_OK;
}

int cmd_redact(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-env", required_argument, NULL, 'f' },
		{ "env", required_argument, NULL, 'e' },
		{ "env-prefix", required_argument, NULL, 'p' },
		{ "count", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct broker_req q = { .profile = -1, .network = -1, .stdin_fd = -1 };
	char **patterns = NULL, **from_env = NULL;
	struct reterr err = { .msg = "" };
	struct broker *b = NULL;
	struct broker_run *run = NULL;
	bool count = false;
	int c, e, rc = CLI_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+k:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (strv_push(&patterns, optarg) < 0)
				goto nomem;
			break;
		case 'f':
			if (strv_push(&from_env, optarg) < 0)
				goto nomem;
			break;
		case 'e': q.env_alias = optarg; break;
		case 'p': q.env_prefix = optarg; break;
		case 'c': count = true; break;
		case 'h':
			usage(stdout);
			goto out;
		default:
			usage(stderr);
			rc = CLI_EUSAGE;
			goto out;
		}
	}
	if (optind < argc) {
		cli_error("redact: unexpected argument '%s' (input is read from stdin)", argv[optind]);
		rc = CLI_EUSAGE;
		goto out;
	}
	if (!patterns && !from_env) {
		cli_error("redact: nothing to redact: give -k PATTERN or --from-env NAME");
		rc = CLI_EUSAGE;
		goto out;
	}
	q.patterns = patterns;
	q.from_env = from_env;
	struct broker_opts bo = { .source = "cli", .want_policy = q.env_alias != NULL };
	if ((e = broker_new(&bo, &b, &err)) < 0 || (e = broker_process_init(false, &err)) < 0 ||
	    (e = broker_run_new(b, &q, &run, &err)) < 0) {
		cli_error("redact: %s", err.msg[0] ? err.msg : strerror(-e));
		rc = cli_exit_from_errno(e);
		goto out;
	}
	rc = redact_steps(b, run, patterns != NULL, count);
	goto out;
nomem:
	cli_error("redact: out of memory");
	rc = CLI_EIO;
out:
	broker_run_free(run);
	broker_free(b);
	strv_free(patterns);
	strv_free(from_env);
	return rc;
}
