/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the command table, shared option/password/vault helpers and exit codes of `secretctl`. */
#ifndef SECRETCTL_CLI_H
#define SECRETCTL_CLI_H

#include <stdbool.h>

#include "common/common.h"
#include "vault/vault.h"

/* Exit codes of the vault commands (run/exec follow env(1)/timeout(1) instead: see cmd_run.c). */
enum cli_exit {
	CLI_OK = 0,
	CLI_EUSAGE = 1,   /* bad usage or invalid input */
	CLI_ENOTFOUND = 2, /* no such secret / no vault */
	CLI_EAUTH = 3,    /* wrong password, cooldown, no password available */
	CLI_EINTEGRITY = 4, /* tampering detected (vault rows, audit chain) */
	CLI_EIO = 5,      /* I/O, database or internal failure */
};

/* One subcommand: returns the process exit code. argv[0] is the command name. */
struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_init(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_password(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_redact(int argc, char **argv);
int cmd_run(int argc, char **argv);   /* also `exec` */
int cmd_doctor(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_mcp_server(int argc, char **argv);
int cmd_mcp_config(int argc, char **argv);

/* Print "secretctl: <msg>" to stderr (one line). Never pass secret bytes. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Map a negative errno from a module to an exit code (ENOENT->2, EBADMSG->4 or 3, ...). */
int cli_exit_from_errno(int r);

/* Obtain the master password: one line of stdin when from_stdin (an explicit flag wins), else
 * $SECRETCTL_PASSWORD, else a no-echo prompt on /dev/tty (twice when confirm). The variable is
 * scrubbed from our environment block in place whichever source is used.
 * Checks 8..128 characters. 0 and *ret (caller frees) or an exit code after printing why. */
int cli_password(bool from_stdin, bool confirm, const char *prompt, struct secret **ret);

/* Open the vault in the default directory and unlock it (password as cli_password), reporting
 * every failure once. 0 and *ret, or an exit code. */
int cli_vault_unlock(bool password_stdin, struct vault **ret);

/* Harden this process (non-dumpable, no core) before any secret is loaded. */
void cli_harden(void);

#endif
