/* SPDX-License-Identifier: Apache-2.0 */
/* cli: master password input (environment, stdin, no-echo terminal prompt), process hardening
 * and the open-and-unlock sequence every vault command shares. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

/* ---- passwords ---------------------------------------------------------------------------- */

int cli_password_check(const struct secret *pw, const char *what)
{
	if (memchr(pw->data, 0, pw->len)) {
		cli_error("the %s contains a NUL byte", what);
		return CLI_EUSAGE;
	}
	/* At least 8 characters, at most 128 bytes: the vault bounds the KDF input in bytes. */
	size_t chars = utf8_chars(pw->data, pw->len);
	if (chars < VAULT_PASSWORD_MIN || pw->len > VAULT_PASSWORD_MAX) {
		cli_error("the %s must be %d to %d characters long (at most %d bytes)", what,
			  VAULT_PASSWORD_MIN, VAULT_PASSWORD_MAX, VAULT_PASSWORD_MAX);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

int cli_password_strength(const struct secret *pw, const char *cmd, bool allow_weak)
{
	const struct passwd *u = getpwuid(geteuid());
	const char *words[] = {
		"secretctl", "vault", "master", "password", u && u->pw_name ? u->pw_name : NULL,
		NULL
	};
	double bits = 0;
	if (allow_weak)
		return CLI_OK;
	int r = vault_password_strength(pw, words, &bits);
	if (r == -ENOSYS) {
		cli_error(
			"%s: cannot rate the password: libzxcvbn.so.0 is missing (install Debian's "
			"libzxcvbn0)",
			cmd);
		return CLI_EIO;
	}
	if (r < 0) {
		cli_error("%s: cannot rate the password: %s", cmd, strerror(-r));
		return CLI_EIO;
	}
	if (bits >= VAULT_PASSWORD_MIN_BITS)
		return CLI_OK;
	cli_error("%s: this password is too easy to guess (about %.0f bits; at least %d needed): "
		  "use a longer passphrase, such as four or five random words; nothing was "
		  "changed",
		  cmd, bits, VAULT_PASSWORD_MIN_BITS);
	return CLI_EUSAGE;
}

/* Longest line read as a password: one byte more than allowed, so the check can say why. */
#define PASSWORD_READ_MAX ((size_t)VAULT_PASSWORD_MAX + 1)

/* The password typed on the terminal (twice when confirm). CLI_OK and *ret, or an exit code. */
static int password_from_tty(bool confirm, const char *prompt, struct secret **ret)
{
	AUTO_SECRET struct secret *pw = NULL;
	int r = cli_tty_read_secret(prompt, PASSWORD_READ_MAX, &pw);
	if (r == -ENXIO && cli_session_agent_seen()) {
		cli_error("this needs the master password, and the session agent serves only "
			  "what an MCP client may do: set %s, pass --password-stdin, run on a "
			  "terminal, or open a window with 'secretctl unlock --full --for 10m'",
			  VAULT_PASSWORD_ENV);
		return CLI_EAUTH;
	}
	if (r == -ENXIO) {
		cli_error("no master password: set %s, pass --password-stdin, run on a "
			  "terminal, or start the session agent with 'secretctl unlock'",
			  VAULT_PASSWORD_ENV);
		return CLI_EAUTH;
	}
	if (r == -E2BIG) {
		cli_error("the password must be %d to %d characters long", VAULT_PASSWORD_MIN,
			  VAULT_PASSWORD_MAX);
		return CLI_EUSAGE;
	}
	if (r < 0) {
		cli_error("cannot read the password from the terminal: %s",
			  r == -ENODATA ? "end of input" : strerror(-r));
		return CLI_EAUTH;
	}
	r = cli_password_check(pw, "password");
	if (r != CLI_OK)
		return r;
	if (confirm) {
		AUTO_SECRET struct secret *again = NULL;
		r = cli_tty_read_secret("Repeat the password: ", PASSWORD_READ_MAX, &again);
		if (r < 0) {
			cli_error("cannot read the password from the terminal: %s",
				  r == -ENODATA ? "end of input" : strerror(-r));
			return CLI_EAUTH;
		}
		if (!secret_equal(pw, again)) {
			cli_error("the passwords do not match; nothing changed");
			return CLI_EUSAGE;
		}
	}
	*ret = TAKE_PTR(pw);
	return CLI_OK;
}

int cli_password(bool from_stdin, bool confirm, const char *prompt, struct secret **ret)
{
	AUTO_SECRET struct secret *pw = NULL;
	int r;

	if (secret_lib_init() < 0) {
		cli_error("cannot initialise libsodium");
		return CLI_EIO;
	}
	const char *env = secure_getenv(VAULT_PASSWORD_ENV);
	if (from_stdin) {
		/* An explicit --password-stdin wins over an inherited variable; the variable is
		 * still wiped so no child or /proc reader sees it. */
		proc_scrub_env(VAULT_PASSWORD_ENV);
		r = cli_read_stdin_line(PASSWORD_READ_MAX, &pw);
		if (r == -ENODATA) {
			cli_error("--password-stdin: standard input is empty (expected the master "
				  "password on the first line)");
			return CLI_EAUTH;
		}
		if (r == -E2BIG) {
			cli_error("the password must be %d to %d characters long",
				  VAULT_PASSWORD_MIN, VAULT_PASSWORD_MAX);
			return CLI_EUSAGE;
		}
		if (r < 0) {
			cli_error("cannot read the password from standard input: %s", strerror(-r));
			return CLI_EIO;
		}
	} else if (env) {
		pw = secret_from(env, strlen(env));
		proc_scrub_env(VAULT_PASSWORD_ENV);
		if (!pw) {
			cli_error("out of secure memory (check 'ulimit -l')");
			return CLI_EIO;
		}
	} else if ((r = password_from_tty(confirm, prompt, &pw)) != CLI_OK) {
		return r;
	}
	r = cli_password_check(pw, "password");
	if (r != CLI_OK)
		return r;
	*ret = TAKE_PTR(pw);
	return CLI_OK;
}

void cli_harden(void)
{
	if (secret_lib_init() < 0)
		cli_warn("cannot initialise libsodium");
	int r = proc_harden();
	if (r < 0)
		cli_warn("cannot harden this process (no core dumps, not traceable): %s",
			 strerror(-r));
}

/* Open the vault (read-only or not), reporting why not. 0 and *ret or an exit code. */
static int vault_open_cli(bool readonly, struct vault **ret)
{
	struct reterr err = RETERR_INIT;
	AUTO_FREE char *dir = vault_dir_default(&err);
	if (!dir) {
		proc_scrub_env(VAULT_PASSWORD_ENV);
		cli_error("%s", err.msg[0] ? err.msg
					   : "cannot find the vault directory (set " VAULT_DIR_ENV
					     " or HOME)");
		return CLI_EUSAGE;
	}
	int r = readonly ? vault_open_readonly(dir, ret, &err) : vault_open(dir, ret, &err);
	if (r == 0)
		return CLI_OK;
	proc_scrub_env(VAULT_PASSWORD_ENV);
	if (r == -ENOENT)
		cli_error("%s", err.msg[0] ? err.msg : "no vault here: run 'secretctl init' first");
	else if (r == -EROFS)
		cli_error("cannot open the vault in %s for writing: %s; this command records an "
			  "audit entry and does not run without one (audit list, verify and export "
			  "work read-only)",
			  dir, reterr_str(&err, r));
	else
		cli_error("cannot open the vault in %s: %s", dir, reterr_str(&err, r));
	return cli_exit_from_errno(r);
}

static void cooldown_error(int64_t wait_s)
{
	cli_error("too many wrong passwords: the vault is in cooldown; try again in %lld seconds "
		  "(this attempt is recorded too)",
		  (long long)wait_s);
}

/* Tell the user about failed attempts since the vault was last unlocked, as ssh does. */
static void report_failures(const struct vault *v)
{
	unsigned n = 0;
	int64_t last = 0;
	char when[32];
	vault_unlock_failures(v, &n, &last);
	if (!n)
		return;
	parse_format_time(last, when);
	cli_warn("%u failed attempt%s to unlock the vault since it was last unlocked, the last at "
		 "%s (see 'secretctl audit list')",
		 n, n == 1 ? "" : "s", when);
}

/* Report a failed vault_unlock: the exit code. */
static int unlock_failed(struct vault *v, int r, int64_t wait_s, const struct reterr *err)
{
	unsigned failures = 0;
	if (r == -EAGAIN) {
		cooldown_error(wait_s);
		return CLI_EAUTH;
	}
	if (r == -EKEYREJECTED) {
		(void)vault_cooldown(v, &failures, &wait_s);
		bool ro = strstr(err->msg, "read-only") != NULL;
		cli_error("wrong master password%s%s",
			  wait_s > 0 ? " (further attempts are delayed)" : "",
			  ro ? " (not recorded: the vault is read-only)" : "");
		return CLI_EAUTH;
	}
	if (r == -EBADMSG) {
		/* The vault's message already says "integrity check failed" (or "damaged"), and
		 * why. */
		cli_error("%s", err->msg[0] ? err->msg : "vault integrity check failed");
		return CLI_EINTEGRITY;
	}
	cli_error("cannot unlock the vault: %s", reterr_str(err, r));
	return cli_exit_from_errno(r);
}

int cli_vault_unlock(bool password_stdin, unsigned flags, struct vault **ret)
{
	if (cli_session())
		return cli_session_vault(ret);
	return cli_vault_unlock_pw(password_stdin, flags, ret, NULL);
}

int cli_vault_unlock_pw(bool password_stdin, unsigned flags, struct vault **ret,
			struct secret **ret_pw)
{
	struct reterr err = RETERR_INIT;
	AUTO_SECRET struct secret *pw = NULL;
	struct vault *v = NULL;
	unsigned failures = 0;
	int64_t wait_s = 0;
	int rc = vault_open_cli(flags & CLI_READONLY, &v);
	if (rc != CLI_OK)
		return rc;
	/* Refuse during a cooldown before asking for a password the vault will not check; the
	 * refusal is an attempt too, and recorded as one (not counted). */
	if (vault_cooldown(v, &failures, &wait_s) == 0 && wait_s > 0) {
		proc_scrub_env(VAULT_PASSWORD_ENV);
		(void)vault_note_unlock_failure(v, "refused: cooldown", NULL);
		cooldown_error(wait_s);
		vault_free(v);
		return CLI_EAUTH;
	}
	rc = cli_password(password_stdin, false, "Master password: ", &pw);
	if (rc != CLI_OK) {
		vault_free(v);
		return rc;
	}
	wait_s = 0;
	int r = flags & CLI_UNLOCK_RECOVERY ? vault_unlock_for_recovery(v, pw, &wait_s, &err)
					    : vault_unlock(v, pw, &wait_s, &err);
	if (r < 0) {
		rc = unlock_failed(v, r, wait_s, &err);
		vault_free(v);
		return rc;
	}
	report_failures(v);
	if (ret_pw)
		*ret_pw = TAKE_PTR(pw);
	*ret = v;
	return CLI_OK;
}

int cli_vault_close(struct vault *v)
{
	struct reterr err = RETERR_INIT;
	int r = vault_audit_unlock(v, &err);
	vault_free(v);
	if (r == 0)
		return CLI_OK;
	cli_error("could not record the unlock in the audit log: %s", reterr_str(&err, r));
	return CLI_EIO;
}
