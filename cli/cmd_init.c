/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl init` creates a new encrypted vault; it never overwrites an existing one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static enum vault_kdf kdf = VAULT_KDF_MODERATE;
static bool allow_weak;

static int opt_kdf(const char *arg)
{
	return cli_kdf_parse("init", arg, &kdf);
}

static const struct cli_opt opts[] = {
	CLI_FN(0, "kdf", "PROFILE", opt_kdf,
	       "Argon2id cost: interactive (64 MiB), moderate (256 MiB, default),\n"
	       "sensitive (1 GiB); test is INSECURE and meant for test suites only"),
	CLI_FLAG(0, "allow-weak", &allow_weak,
		 "accept a password that is easy to guess (test suites only)"),
	CLI_OPT_END,
};

/* The first directory above the vault directory path that does not exist yet (what init will
 * create besides the vault directory), or NULL. */
static char *first_missing_parent(const char *path)
{
	AUTO_FREE char *p = strdup(path);
	char *missing = NULL, *last;
	struct stat st;
	if (!p)
		return NULL;
	for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = '\0';
	if (!(last = strrchr(p, '/')) || last == p)
		return NULL; /* the parent is "." or "/" */
	*last = '\0';
	for (;;) {
		if (lstat(p, &st) == 0 || errno != ENOENT)
			break;
		free(missing);
		missing = strdup(p);
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	return missing;
}

static char *missing_dir; /* what init creates, for the message */

/* Say so before asking for a password that would be thrown away. */
static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	struct reterr err = RETERR_INIT;
	AUTO_FREE char *dir = vault_dir_default(&err);
	AUTO_FREE char *db = NULL;
	struct stat st;
	if (!dir) {
		cli_error("init: %s", err.msg[0] ? err.msg : "cannot find the vault directory");
		return CLI_EUSAGE;
	}
	if (asprintf(&db, "%s/%s", dir, VAULT_DB_NAME) < 0) {
		db = NULL;
		cli_error("init: out of memory");
		return CLI_EIO;
	}
	/* An empty vault.db is what an interrupted init of an older version left: replaced. */
	if (lstat(db, &st) == 0 && !(S_ISREG(st.st_mode) && st.st_size == 0)) {
		cli_error("init: a vault already exists in %s; refusing to overwrite it (delete %s "
			  "yourself if you really mean to start over)",
			  dir, db);
		return CLI_EUSAGE;
	}
	missing_dir = first_missing_parent(dir);
	cli_warn_test_kdf(kdf);
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	AUTO_SECRET struct secret *pw = NULL;
	AUTO_FREE char *dir = vault_dir_default(&err);
	if (!dir) {
		cli_error("init: %s", reterr_str(&err, -ENOENT));
		return CLI_EUSAGE;
	}
	int rc = cli_password(ctx->password_stdin, true,
			      "New master password (it cannot be recovered if lost): ", &pw);
	if (rc != CLI_OK || (rc = cli_password_strength(pw, "init", allow_weak)) != CLI_OK)
		return rc;
	int r = vault_create(dir, pw, kdf, &err);
	if (r < 0) {
		cli_error("init: cannot create the vault in %s: %s", dir, reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	printf("vault created in %s\n", dir);
	if (missing_dir)
		printf("created the missing directory %s and those below it (mode 0700)\n",
		       missing_dir);
	printf("Keep the master password safe: it cannot be recovered or reset, and without it "
	       "nothing in the vault can be decrypted.\n");
	return CLI_OK;
}

static void cleanup(void)
{
	free(missing_dir);
	missing_dir = NULL;
}

const struct cli_command cli_cmd_init = {
	.name = "init",
	.summary = "create a new encrypted vault",
	.synopsis = "[--kdf interactive|moderate|sensitive|test] [--allow-weak]\n"
		    "[--password-stdin]",
	.about = "Create a new encrypted vault in $SECRETCTL_VAULT_DIR (default ~/.secretctl),\n"
		 "creating the directory and any missing parent (mode 0700). The master password "
		 "(8 to\n128 characters, hard to guess: at least 50 bits as zxcvbn estimates it) "
		 "comes from\n$SECRETCTL_PASSWORD, the first line of standard input "
		 "(--password-stdin), or is\nasked twice on the terminal. It cannot be recovered "
		 "if lost: without it nothing in\nthe vault can be decrypted.",
	.opts = opts,
	.flags = CLI_HARDEN | CLI_PASSWORD,
	.max_args = 0,
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
