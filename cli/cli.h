/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the command table (each command declares its options, operands and the setup it needs;
 * cli/command.c parses, hardens, unlocks and prints help for all of them), exit codes, and the
 * error and password helpers every command shares. */
#ifndef SECRETCTL_CLI_H
#define SECRETCTL_CLI_H

#include <stdbool.h>
#include <stdio.h>

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
	CLI_EACCESS = 6,  /* access: permission, ownership, mode or a symlink where none may be */
};

/* ---- options -------------------------------------------------------------------------------- */

enum cli_opt_kind {
	CLI_OPT_FLAG,   /* bool *dest = true */
	CLI_OPT_SET,    /* int *dest = value (e.g. --pty 1, --no-pty 0; the last one wins) */
	CLI_OPT_STRING, /* const char **dest = the argument (borrowed from argv); twice is an error */
	CLI_OPT_LIST,   /* char ***dest: the argument appended (repeatable; freed after the run) */
	CLI_OPT_FN,     /* fn(arg): CLI_OK, or an exit code after reporting why */
};

struct cli_opt {
	enum cli_opt_kind kind;
	int short_name; /* 0: long form only */
	const char *long_name; /* NULL ends a table */
	const char *arg;  /* the argument's name in the help, NULL when it takes none */
	const char *help; /* one line; "\n" starts an indented continuation line */
	void *dest;
	int value;
	int (*fn)(const char *arg);
};

#define CLI_FLAG(s, l, d, h) { .kind = CLI_OPT_FLAG, .short_name = (s), .long_name = (l), \
			      .dest = (d), .help = (h) }
#define CLI_SET(l, d, v, h) { .kind = CLI_OPT_SET, .long_name = (l), .dest = (d), .value = (v), \
			     .help = (h) }
#define CLI_STRING(s, l, a, d, h) { .kind = CLI_OPT_STRING, .short_name = (s), \
				   .long_name = (l), .arg = (a), .dest = (d), .help = (h) }
#define CLI_LIST(s, l, a, d, h) { .kind = CLI_OPT_LIST, .short_name = (s), .long_name = (l), \
				 .arg = (a), .dest = (d), .help = (h) }
#define CLI_FN(s, l, a, f, h) { .kind = CLI_OPT_FN, .short_name = (s), .long_name = (l), \
			       .arg = (a), .fn = (f), .help = (h) }
#define CLI_OPT_END { .long_name = NULL }

/* ---- commands ------------------------------------------------------------------------------- */

/* The setup a command needs, done once by the dispatcher in this order: harden (before the
 * options are parsed, as options may copy secrets), parse, check the operands, cmd->check,
 * unlock, cmd->run. */
enum cli_flags {
	CLI_HARDEN = 1u << 0,   /* non-dumpable, no core, libsodium ready */
	CLI_PASSWORD = 1u << 1, /* takes --password-stdin (ctx->password_stdin) */
	CLI_VAULT = 1u << 2,    /* open and unlock the vault before run (ctx->vault) */
	CLI_KEY = 1u << 3,      /* exactly one operand, a valid KEY (ctx->key) */
	CLI_COMMAND = 1u << 4,  /* options end at the first operand: a command line follows */
	CLI_READONLY = 1u << 5, /* with CLI_VAULT: open it read-only; the command writes nothing,
				 * not even an audit entry (audit list|verify|export) */
};
#define CLI_UNLOCK (CLI_HARDEN | CLI_PASSWORD | CLI_VAULT)

/* What the dispatcher hands a command. */
struct cli_ctx {
	const char *name; /* "get", "audit list": for messages */
	int argc;         /* the operands, options removed */
	char **argv;
	const char *key;  /* CLI_KEY */
	bool password_stdin;
	struct vault *vault; /* CLI_VAULT; freed by the dispatcher */
};

struct cli_command {
	const char *name;
	const char *summary;   /* one line for 'secretctl --help' */
	const char *synopsis;  /* after "usage: secretctl NAME "; "\n" starts another usage line */
	const char *about;     /* the paragraphs after the usage line */
	const char *notes;     /* after the options: exit status, see also (may be NULL) */
	const struct cli_opt *opts; /* NULL or ended by CLI_OPT_END; --help (and --password-stdin
				     * with CLI_PASSWORD) are added */
	unsigned flags;        /* enum cli_flags */
	int max_args;          /* operands allowed without CLI_KEY/CLI_COMMAND; -1 any */
	const char *args_hint; /* why too many operands is wrong ("quote the pattern") or NULL */
	int usage_exit;        /* exit code of a usage error; 0 means CLI_EUSAGE */
	int (*check)(struct cli_ctx *ctx); /* after parsing, before the unlock; CLI_OK goes on */
	int (*run)(struct cli_ctx *ctx);
	void (*cleanup)(void); /* always called once parsing started; frees what options made */
	const struct cli_command *const *subs; /* subcommands (NULL-terminated) instead of run */
	const struct cli_command *alias; /* another name for this command: all else is alias's */
};

/* Run argv[0] (a command name) from table (NULL-terminated); the exit code. */
int cli_dispatch(const struct cli_command *const *table, int argc, char **argv);
/* Print a command's help (stdout) or its usage lines (stderr, after an error). */
void cli_help(const struct cli_command *cmd, const char *name, FILE *f, bool full);
/* The command named by words (e.g. {"audit", "list"}) or NULL. */
const struct cli_command *cli_find(const struct cli_command *const *table, char **words,
				   int nwords, int *ret_used);

extern const struct cli_command cli_cmd_init, cli_cmd_set, cli_cmd_get, cli_cmd_list,
	cli_cmd_delete, cli_cmd_password, cli_cmd_audit, cli_cmd_recover, cli_cmd_run,
	cli_cmd_redact, cli_cmd_doctor, cli_cmd_policy, cli_cmd_mcp_server, cli_cmd_mcp_config;

/* ---- reporting and the vault ---------------------------------------------------------------- */

/* Print "secretctl: <msg>" to stderr with one write(2), so that messages of two processes on
 * one terminal do not interleave. Never pass secret bytes. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Map a negative errno from a module to an exit code (ENOENT->2, EKEYREJECTED->3, EBADMSG->4,
 * EACCES/EPERM/ELOOP->6, ...). */
int cli_exit_from_errno(int r);

/* Obtain the master password: one line of stdin when from_stdin (an explicit flag wins), else
 * $SECRETCTL_PASSWORD, else a no-echo prompt on /dev/tty (twice when confirm). The variable is
 * scrubbed from our environment block in place whichever source is used.
 * Checks 8..128 characters. 0 and *ret (caller frees) or an exit code after printing why. */
int cli_password(bool from_stdin, bool confirm, const char *prompt, struct secret **ret);

/* Open the vault in the default directory and unlock it (password as cli_password), reporting
 * every failure once; after failed attempts since the last unlock, say how many and when (as
 * ssh does). flags: CLI_READONLY, 0 (or CLI_UNLOCK_RECOVERY, cli-internal.h). 0 and *ret, or
 * an exit code. For commands that unlock
 * only sometimes (run, redact); the others declare CLI_VAULT. */
int cli_vault_unlock(bool password_stdin, unsigned flags, struct vault **ret);
/* Done with an unlocked vault (NULL is fine): when the command recorded nothing in the audit
 * log, record the unlock (vault.unlock), then free it. CLI_OK, or CLI_EIO after saying that the
 * record could not be written. */
int cli_vault_close(struct vault *v);

/* Harden this process (non-dumpable, no core) before any secret is loaded. */
void cli_harden(void);

#endif
