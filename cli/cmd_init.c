/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl init` creates a new encrypted vault; it never overwrites an existing one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: secretctl init [--kdf interactive|moderate|sensitive|test] [--password-stdin]\n"
	"\n"
	"Create a new encrypted vault in $SECRETCTL_VAULT_DIR (default ~/.secretctl).\n"
	"The master password (8 to 128 characters) comes from $SECRETCTL_PASSWORD, the first\n"
	"line of standard input (--password-stdin), or is asked twice on the terminal.\n"
	"\n"
	"  --kdf PROFILE      Argon2id cost: interactive (64 MiB), moderate (256 MiB, default),\n"
	"                     sensitive (1 GiB); test is INSECURE and meant for test suites only\n"
	"  --password-stdin   read the master password from the first line of stdin\n"
	"  -h, --help         show this help\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int cmd_init(int argc, char **argv)
{
	enum vault_kdf kdf;
	bool password_stdin;
	int rc = cli_parse_kdf_args(argc, argv, "init", usage, &kdf, &password_stdin);
	if (rc >= 0)
		return rc;

	struct reterr err = { .msg = "" };
	AUTO_FREE char *dir = vault_dir_default(&err);
	if (!dir) {
		cli_error("init: %s", err.msg[0] ? err.msg : "cannot find the vault directory");
		return CLI_EUSAGE;
	}
	/* Say so before asking for a password that would be thrown away. */
	AUTO_FREE char *db = NULL;
	struct stat st;
	if (asprintf(&db, "%s/%s", dir, VAULT_DB_NAME) < 0) {
		db = NULL;
		cli_error("init: out of memory");
		return CLI_EIO;
	}
	if (lstat(db, &st) == 0) {
		cli_error("init: a vault already exists in %s; refusing to overwrite it (delete %s "
			  "yourself if you really mean to start over)", dir, db);
		return CLI_EUSAGE;
	}
	if (kdf == VAULT_KDF_TEST)
		cli_warn("--kdf test is INSECURE: its password hash is cheap to "
			 "brute-force; use it for test suites only");

	cli_harden();
	AUTO_SECRET struct secret *pw = NULL;
	rc = cli_password(password_stdin, true, "New master password: ", &pw);
	if (rc != CLI_OK)
		return rc;
	int r = vault_create(dir, pw, kdf, &err);
	if (r < 0) {
		cli_error("init: cannot create the vault in %s: %s", dir,
			  err.msg[0] ? err.msg : strerror(-r));
		return cli_exit_from_errno(r);
	}
	printf("vault created in %s\n", dir);
	return CLI_OK;
}
