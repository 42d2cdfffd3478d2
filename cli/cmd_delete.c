/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl delete` removes a secret after a confirmation on the terminal (or --yes). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: secretctl delete KEY [--yes] [--password-stdin]\n"
	"\n"
	"Delete a secret with its fields, bindings and metadata. Asks for confirmation on the\n"
	"terminal; without a terminal --yes is required.\n"
	"\n"
	"  -y, --yes            do not ask\n"
	"  --password-stdin     read the master password from the first line of stdin\n"
	"  -h, --help           show this help\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool yes = false, password_stdin = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hy", opts, NULL)) != -1) {
		switch (c) {
		case 'y':
			yes = true;
			break;
		case 'P':
			password_stdin = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_EUSAGE;
		}
	}
	if (argc - optind != 1) {
		cli_error("delete: expected exactly one KEY (see 'secretctl delete --help')");
		return CLI_EUSAGE;
	}
	const char *key = argv[optind];
	struct reterr err = { .msg = "" };
	if (vault_key_check(key, &err) < 0) {
		cli_error("delete: invalid key: %s", err.msg[0] ? err.msg : key);
		return CLI_EUSAGE;
	}
	/* Decided before the password so a script without --yes fails fast and changes nothing. */
	if (!yes && !cli_have_tty()) {
		cli_error("delete: refusing to delete '%s' without confirmation: there is no "
			  "terminal to ask on; pass --yes", key);
		return CLI_EUSAGE;
	}

	cli_harden();
	struct vault *v = NULL;
	int rc = cli_vault_unlock(password_stdin, &v);
	if (rc != CLI_OK)
		return rc;

	int r;
	if (!yes) {
		/* Only ask about a secret that exists; this look-up is not a read of the value. */
		struct vault_entry *e = NULL;
		r = vault_get(v, key, VAULT_GET_META_ONLY | VAULT_GET_NO_AUDIT, &e, &err);
		vault_entry_free(e);
		if (r < 0)
			goto fail;
		char q[VAULT_KEY_MAX + 64];
		snprintf(q, sizeof(q), "Delete secret '%s'? [y/N] ", key);
		r = cli_tty_confirm(q);
		if (r <= 0) {
			cli_error("delete: not confirmed; '%s' was kept", key);
			vault_free(v);
			return CLI_EUSAGE;
		}
	}
	r = vault_delete(v, key, &err);
	if (r < 0)
		goto fail;
	vault_free(v);
	printf("deleted %s\n", key);
	return CLI_OK;
fail:
	if (r == -ENOENT)
		cli_error("delete: no secret named '%s' (see 'secretctl list')", key);
	else
		cli_error("delete: cannot delete %s: %s", key, err.msg[0] ? err.msg : strerror(-r));
	vault_free(v);
	return cli_exit_from_errno(r);
}
