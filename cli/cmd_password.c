/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl password` changes the master password; only the data key is rewrapped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: secretctl password [--kdf interactive|moderate|sensitive|test]\n"
	"                          [--password-stdin]\n"
	"\n"
	"Change the master password. The current password comes from $SECRETCTL_PASSWORD,\n"
	"the first line of stdin (--password-stdin) or the terminal; the new one from\n"
	"$SECRETCTL_NEW_PASSWORD, the next line of stdin (--password-stdin) or the terminal\n"
	"(asked twice). Only the data key is rewrapped: secrets are not re-encrypted, and\n"
	"the old password keeps working until the change is committed.\n"
	"\n"
	"  --kdf PROFILE      Argon2id cost for the new password (default moderate; test is\n"
	"                     INSECURE, for test suites only)\n"
	"  --password-stdin   read the current and the new password from stdin, one per line\n"
	"  -h, --help         show this help\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int cmd_password(int argc, char **argv)
{
	enum vault_kdf kdf;
	bool password_stdin;
	int rc = cli_parse_kdf_args(argc, argv, "password", usage, &kdf, &password_stdin);
	if (rc >= 0)
		return rc;
	if (kdf == VAULT_KDF_TEST)
		cli_warn("--kdf test is INSECURE: its password hash is cheap to "
			 "brute-force; use it for test suites only");

	if (!password_stdin && !secure_getenv(CLI_NEW_PASSWORD_ENV) && !cli_have_tty()) {
		proc_scrub_env(VAULT_PASSWORD_ENV);
		cli_error("password: no new password: set %s, pass --password-stdin (current "
			  "and new password on two lines), or run on a terminal",
			  CLI_NEW_PASSWORD_ENV);
		return CLI_EAUTH;
	}

	cli_harden();
	struct vault *v = NULL;
	rc = cli_vault_unlock(password_stdin, &v);
	if (rc != CLI_OK) {
		proc_scrub_env(CLI_NEW_PASSWORD_ENV);
		return rc;
	}

	AUTO_SECRET struct secret *pw = NULL;
	const char *env = secure_getenv(CLI_NEW_PASSWORD_ENV);
	if (env) {
		pw = secret_from(env, strlen(env));
		proc_scrub_env(CLI_NEW_PASSWORD_ENV);
		if (!pw) {
			cli_error("password: out of secure memory");
			vault_free(v);
			return CLI_EIO;
		}
		rc = cli_password_check(pw, "new password");
	} else {
		/* SECRETCTL_PASSWORD is gone by now (scrubbed by the unlock), so this reads the
		 * next stdin line or asks twice on the terminal. */
		rc = cli_password(password_stdin, true, "New master password: ", &pw);
	}
	if (rc != CLI_OK) {
		vault_free(v);
		return rc;
	}

	struct reterr err = { .msg = "" };
	int r = vault_change_password(v, pw, kdf, &err);
	vault_free(v);
	if (r < 0) {
		cli_error("password: cannot change the master password (the old one still works): "
			  "%s", err.msg[0] ? err.msg : strerror(-r));
		return cli_exit_from_errno(r);
	}
	printf("master password changed\n");
	return CLI_OK;
}
