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
	CLI_EUSAGE = 1,	    /* bad usage or invalid input */
	CLI_ENOTFOUND = 2,  /* no such secret / no vault */
	CLI_EAUTH = 3,	    /* wrong password, cooldown, no password available */
	CLI_EINTEGRITY = 4, /* tampering detected (vault rows, audit chain) */
	CLI_EIO = 5,	    /* I/O, database or internal failure */
	CLI_EACCESS = 6,    /* access: permission, ownership, mode or a symlink where none may be */
};

/* ---- options -------------------------------------------------------------------------------- */

enum cli_opt_kind {
	CLI_OPT_FLAG,	/* bool *dest = true */
	CLI_OPT_SET,	/* int *dest = value (e.g. --pty 1, --no-pty 0; the last one wins) */
	CLI_OPT_STRING, /* const char **dest = the argument (borrowed from argv); twice is an error */
	CLI_OPT_LIST,	/* char ***dest: the argument appended (repeatable; freed after the run) */
	CLI_OPT_FN,	/* fn(arg): CLI_OK, or an exit code after reporting why; repeatable
			 * unless once (CLI_FN1) */
};

struct cli_opt {
	enum cli_opt_kind kind;
	int short_name;	       /* 0: long form only */
	const char *long_name; /* NULL ends a table */
	const char *arg;       /* the argument's name in the help, NULL when it takes none */
	const char *help;      /* one line; "\n" starts an indented continuation line */
	void *dest;
	int value;
	int (*fn)(const char *arg);
	bool once; /* CLI_OPT_FN: a single-valued option, given twice is an error */
};

#define CLI_FLAG(s, l, d, h)                                                            \
	{                                                                               \
		.kind = CLI_OPT_FLAG, .short_name = (s), .long_name = (l), .dest = (d), \
		.help = (h)                                                             \
	}
#define CLI_SET(l, d, v, h)                                                                   \
	{                                                                                     \
		.kind = CLI_OPT_SET, .long_name = (l), .dest = (d), .value = (v), .help = (h) \
	}
#define CLI_STRING(s, l, a, d, h)                                                        \
	{                                                                                \
		.kind = CLI_OPT_STRING, .short_name = (s), .long_name = (l), .arg = (a), \
		.dest = (d), .help = (h)                                                 \
	}
#define CLI_LIST(s, l, a, d, h)                                                        \
	{                                                                              \
		.kind = CLI_OPT_LIST, .short_name = (s), .long_name = (l), .arg = (a), \
		.dest = (d), .help = (h)                                               \
	}
#define CLI_FN(s, l, a, f, h)                                                                   \
	{                                                                                       \
		.kind = CLI_OPT_FN, .short_name = (s), .long_name = (l), .arg = (a), .fn = (f), \
		.help = (h)                                                                     \
	}
/* A single-valued option parsed by a function: twice is an error, as for CLI_STRING. */
#define CLI_FN1(s, l, a, f, h)                                                                  \
	{                                                                                       \
		.kind = CLI_OPT_FN, .short_name = (s), .long_name = (l), .arg = (a), .fn = (f), \
		.help = (h), .once = true                                                       \
	}
#define CLI_OPT_END               \
	{                         \
		.long_name = NULL \
	}

/* ---- commands ------------------------------------------------------------------------------- */

/* The setup a command needs, done once by the dispatcher in this order: harden (before the
 * options are parsed, as options may copy secrets), parse, check the operands, cmd->check,
 * unlock, cmd->run. */
enum cli_flags {
	CLI_HARDEN = 1u << 0,	   /* non-dumpable, no core, libsodium ready */
	CLI_PASSWORD = 1u << 1,	   /* takes --password-stdin (ctx->password_stdin) */
	CLI_VAULT = 1u << 2,	   /* open and unlock the vault before run (ctx->vault) */
	CLI_KEY = 1u << 3,	   /* exactly one operand, a valid KEY (ctx->key) */
	CLI_COMMAND = 1u << 4,	   /* options end at the first operand: a command line follows */
	CLI_AGENT_SCOPE = 1u << 5, /* with CLI_VAULT: reveals and changes nothing the MCP server
				    * could not, so the agent scope suffices (see cli_scope) */
	CLI_IN_AGENT = 1u << 6,	   /* runs inside the session agent when one serves the vault (it
				 * talks to the agent: status, approvals, grants) */
	CLI_READONLY = 1u << 7,	   /* with CLI_VAULT: open it read-only; the command writes nothing,
				 * not even an audit entry (audit list|verify|export) */
};
#define CLI_UNLOCK (CLI_HARDEN | CLI_PASSWORD | CLI_VAULT)

/* What a command needs of the vault, decided after parsing (cli_command.scope, else from the
 * flags: CLI_VAULT needs CLI_SCOPE_FULL unless CLI_AGENT_SCOPE). The session agent serves a
 * command in its scope; a command that needs more is refused there (the dispatcher checks, so
 * a new command cannot forget it) and asks for the master password here instead. */
enum cli_scope {
	CLI_SCOPE_NONE = 0, /* no vault: runs here, never through the agent */
	CLI_SCOPE_AGENT,    /* what the MCP server may do: list, masked values, metadata, runs
			     * judged by the policy */
	CLI_SCOPE_FULL,	    /* plaintext values, changes: the master password or unlock --full */
};

/* What the dispatcher hands a command. */
struct cli_ctx {
	const char *name; /* "get", "audit list": for messages */
	int argc;	  /* the operands, options removed */
	char **argv;
	const char *key; /* CLI_KEY */
	bool password_stdin;
	struct vault *vault;			/* CLI_VAULT; freed by the dispatcher */
	const struct cli_command *const *table; /* every command (what completion describes) */
	enum cli_scope scope;			/* what this invocation needs (cli_command.scope) */
};

struct cli_command {
	const char *name;
	const char *summary;  /* one line for 'secretctl --help' */
	const char *synopsis; /* after "usage: secretctl NAME "; "\n" starts another usage line */
	const char *about;    /* the paragraphs after the usage line */
	const char *notes;    /* after the options: exit status, see also (may be NULL) */
	const struct cli_opt *opts; /* NULL or ended by CLI_OPT_END; --help (and --password-stdin
				     * with CLI_PASSWORD) are added */
	unsigned flags;		    /* enum cli_flags */
	int max_args;		    /* operands allowed without CLI_KEY/CLI_COMMAND; -1 any */
	const char *args_hint; /* why too many operands is wrong ("quote the pattern") or NULL */
	int usage_exit;	       /* exit code of a usage error; 0 means CLI_EUSAGE */
	int (*check)(struct cli_ctx *ctx); /* after parsing, before the unlock; CLI_OK goes on */
	/* The scope this invocation needs, from its options (after check); NULL: from the flags.
	 * Commands whose options differ in what they reveal (get --masked) say it here. */
	enum cli_scope (*scope)(const struct cli_ctx *ctx);
	int (*run)(struct cli_ctx *ctx);
	void (*cleanup)(void); /* always called once parsing started; frees what options made */
	const struct cli_command *const *subs; /* subcommands (NULL-terminated) instead of run */
	const struct cli_command *alias; /* another name for this command: all else is alias's */
};

/* Run argv[0] (a command name) from table (NULL-terminated); the exit code. */
int cli_dispatch(const struct cli_command *const *table, int argc, char **argv);
/* The table the first cli_dispatch of this process was given (main's): the session agent's
 * children run command lines from it. */
const struct cli_command *const *cli_dispatch_table(void);
/* Print a command's help (stdout) or its usage lines (stderr, after an error). */
void cli_help(const struct cli_command *cmd, const char *name, FILE *f, bool full);
/* The i-th option the parser accepts for cmd: its own, then --password-stdin (CLI_PASSWORD),
 * then --help; NULL past the last. For completion scripts, which list them from here. */
const struct cli_opt *cli_opt_at(const struct cli_command *cmd, size_t i);
/* The command named by words (e.g. {"audit", "list"}) or NULL. */
const struct cli_command *cli_find(const struct cli_command *const *table, char **words, int nwords,
				   int *ret_used);

extern const struct cli_command cli_cmd_init, cli_cmd_set, cli_cmd_edit, cli_cmd_get, cli_cmd_list,
	cli_cmd_delete, cli_cmd_password, cli_cmd_audit, cli_cmd_recover, cli_cmd_run,
	cli_cmd_redact, cli_cmd_doctor, cli_cmd_policy, cli_cmd_mcp_server, cli_cmd_mcp_config,
	cli_cmd_import, cli_cmd_export, cli_cmd_generate, cli_cmd_inject, cli_cmd_security,
	cli_cmd_completion;
extern const struct cli_command cli_cmd_backup, cli_cmd_restore;
/* History, rename and copy of a secret; folders. */
extern const struct cli_command cli_cmd_rename, cli_cmd_copy, cli_cmd_history, cli_cmd_rollback,
	cli_cmd_folder;
extern const struct cli_command cli_cmd_unlock, cli_cmd_lock, cli_cmd_status, cli_cmd_approvals,
	cli_cmd_approve, cli_cmd_deny, cli_cmd_grant, cli_cmd_grants, cli_cmd_revoke;

/* ---- the session agent (cli/session.c) ------------------------------------------------------ */

struct agent_child;
struct policy;
/* Inside a child of the session agent: its request; NULL in any other process. */
struct agent_child *cli_session(void);
/* CLI_SCOPE_NONE outside the agent, else the scope of the request being served. */
enum cli_scope cli_session_scope(void);
/* The session's policy (loaded at unlock; NULL when there was none) and its path. */
const struct policy *cli_session_policy(const char **ret_path);
/* The dispatcher, once a command's options are parsed and checked: serve it through the
 * session agent when one serves our vault and its scope allows (or this process proved the
 * password), refuse a command that needs more than the scope of the request being served,
 * else let it run here. -1: run here; otherwise the exit code. argv: the whole command line
 * from the command name on (forwarded as it is). */
int cli_session_route(const struct cli_command *c, const struct cli_ctx *ctx, int argc,
		      char **argv);

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
/* The same, also handing over the master password that unlocked it (*ret_pw, caller frees):
 * for commands that derive a key from it (backup). */
int cli_vault_unlock_pw(bool password_stdin, unsigned flags, struct vault **ret,
			struct secret **ret_pw);
/* Done with an unlocked vault (NULL is fine): when the command recorded nothing in the audit
 * log, record the unlock (vault.unlock), then free it. CLI_OK, or CLI_EIO after saying that the
 * record could not be written. */
int cli_vault_close(struct vault *v);

/* Harden this process (non-dumpable, no core) before any secret is loaded. */
void cli_harden(void);

#endif
