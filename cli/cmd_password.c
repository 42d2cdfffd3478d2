/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl password` changes the master password; only the data key is rewrapped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static enum vault_kdf kdf = VAULT_KDF_MODERATE;
static bool allow_weak;

static int opt_kdf(const char *arg)
{
	return cli_kdf_parse("password", arg, &kdf);
}

static const struct cli_opt opts[] = {
	CLI_FN(0, "kdf", "PROFILE", opt_kdf,
	       "Argon2id cost for the new password (default moderate; test is\n"
	       "INSECURE, for test suites only)"),
	CLI_FLAG(0, "allow-weak", &allow_weak,
		 "accept a new password that is easy to guess (test suites only)"),
	CLI_OPT_END,
};

/* Fail before the unlock when there is nowhere to get the new password from. */
static int check(struct cli_ctx *ctx)
{
	cli_warn_test_kdf(kdf);
	if (!ctx->password_stdin && !secure_getenv(CLI_NEW_PASSWORD_ENV) && !cli_have_tty()) {
		proc_scrub_env(VAULT_PASSWORD_ENV);
		cli_error("password: no new password: set %s, pass --password-stdin (current "
			  "and new password on two lines), or run on a terminal",
			  CLI_NEW_PASSWORD_ENV);
		return CLI_EAUTH;
	}
	return CLI_OK;
}

static int new_password(bool password_stdin, struct secret **ret)
{
	const char *env = secure_getenv(CLI_NEW_PASSWORD_ENV);
	if (!env) {
		/* SECRETCTL_PASSWORD is gone by now (scrubbed by the unlock), so this reads the
		 * next stdin line or asks twice on the terminal. */
		return cli_password(password_stdin, true, "New master password: ", ret);
	}
	AUTO_SECRET struct secret *pw = secret_from(env, strlen(env));
	proc_scrub_env(CLI_NEW_PASSWORD_ENV);
	if (!pw) {
		cli_error("password: out of secure memory");
		return CLI_EIO;
	}
	int rc = cli_password_check(pw, "new password");
	if (rc == CLI_OK)
		*ret = TAKE_PTR(pw);
	return rc;
}

/* A refused change is recorded as one (then the unlock needs no entry of its own). */
static int refused(struct vault *v, const char *why, int rc)
{
	struct reterr err = RETERR_INIT;
	struct audit_event ev = { .action = "vault.password", .success = false, .error = why };
	if (audit_append(v, &ev, &err) < 0) {
		cli_error("password: could not record the refusal in the audit log: %s", err.msg);
		return CLI_EIO;
	}
	return rc;
}

static int run(struct cli_ctx *ctx)
{
	AUTO_SECRET struct secret *pw = NULL;
	struct reterr err = RETERR_INIT;
	int rc = new_password(ctx->password_stdin, &pw);
	if (rc != CLI_OK)
		return rc;
	if ((rc = cli_password_strength(pw, "password", allow_weak)) != CLI_OK)
		return refused(ctx->vault, "the new password is too easy to guess", rc);
	int r = vault_change_password(ctx->vault, pw, kdf, &err);
	if (r == -EEXIST) {
		cli_error("password: the new password is the current one; nothing changed");
		return refused(ctx->vault, "the new password is the current one", CLI_EUSAGE);
	}
	if (r < 0) {
		cli_error("password: cannot change the master password (the old one still works): "
			  "%s",
			  reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	printf("master password changed\n");
	return CLI_OK;
}

static void cleanup(void)
{
	proc_scrub_env(CLI_NEW_PASSWORD_ENV);
}

const struct cli_command cli_cmd_password = {
	.name = "password",
	.summary = "change the master password",
	.synopsis = "[--kdf interactive|moderate|sensitive|test] [--allow-weak]\n"
		    "[--password-stdin]",
	.about = "Change the master password. The current password comes from "
		 "$SECRETCTL_PASSWORD,\nthe first line of stdin (--password-stdin) or the "
		 "terminal; the new one from\n$SECRETCTL_NEW_PASSWORD, the next line of stdin "
		 "(--password-stdin) or the terminal\n(asked twice). Only the data key is "
		 "rewrapped: secrets are not re-encrypted, and\nthe old password keeps working "
		 "until the change is committed. The new password must be\nhard to guess (at "
		 "least 50 bits as zxcvbn estimates it) and differ from the current\none.",
	.opts = opts,
	.flags = CLI_UNLOCK,
	.max_args = 0,
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
