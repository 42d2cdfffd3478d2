/* SPDX-License-Identifier: Apache-2.0 */
/* cli: helpers shared by the vault commands only (masking, terminal prompts, option parsing).
 * Not included outside cli/. */
#ifndef SECRETCTL_CLI_INTERNAL_H
#define SECRETCTL_CLI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>

#include "common/common.h"
#include "vault/vault.h"

/* Environment variable holding the new password for `secretctl password` (scrubbed like
 * SECRETCTL_PASSWORD). */
#define CLI_NEW_PASSWORD_ENV "SECRETCTL_NEW_PASSWORD"

/* The masked form of a value: "********" followed by its last 4 bytes when the value is at
 * least CLI_MASK_REVEAL_MIN bytes long and those bytes are printable ASCII. */
#define CLI_MASK_REVEAL_MIN 16
void cli_out_masked(struct outbuf *o, const void *p, size_t n);

/* Colour on fd: only a terminal, never with NO_COLOR set (no-color.org) or TERM=dumb. */
bool cli_use_color(int fd);

/* A JSON member "value": "..." for UTF-8 text, else "value_base64": "..." (the encoding in
 * locked memory); masked: "value": "<masked form>". -ENOMEM. */
int cli_out_json_value(struct outbuf *o, const unsigned char *p, size_t n, bool masked);

/* A duration in seconds for people: "7h59m", "12m05s", "45s", "2d3h". */
void cli_format_duration(int64_t s, char out[static 32]);

/* Parse --since: a duration back from now ("24h", "7d"), a date ("2026-01-31": its start, UTC)
 * or an RFC 3339 UTC time. -EINVAL. */
int cli_parse_since(const char *s, int64_t *ret_ts);

/* Read one line (without "\n" / "\r\n") from fd 0 byte by byte, so that the rest of stdin is
 * left for the caller, into secure memory. At most max bytes, else -E2BIG. -ENODATA on EOF
 * before any byte. */
int cli_read_stdin_line(size_t max, struct secret **ret);
/* Prompt on /dev/tty with echo off and read one line into secure memory (at most max bytes).
 * -ENXIO when there is no terminal. Restores the terminal on every path, signals included. */
int cli_tty_read_secret(const char *prompt, size_t max, struct secret **ret);
/* Prompt on /dev/tty with echo off and read a value that may span lines into secure memory (at
 * most max bytes). Enter or Ctrl-D ends it, except that a paste is kept whole: a bracketed paste
 * (the terminal marks it; requested here) with its newlines, and input that arrives right
 * behind an Enter (a paste on a terminal without bracketed paste). Backspace and Ctrl-U edit;
 * other keys' escape sequences are dropped; CR, LF and CR LF become LF. The line end that ends
 * the value is not part of it. -ENXIO no terminal, -ENODATA empty, -E2BIG over max and -EBUSY
 * when input followed Ctrl-D (in both cases the rest is read and wiped, never left for the
 * shell). Restores the terminal on every path, signals included. */
int cli_tty_read_value(const char *prompt, size_t max, struct secret **ret);
/* True when standard input is not a terminal and holds data now (a file with bytes left, a
 * pipe or socket with bytes waiting; a writer that has not written yet gets 50 ms). Reads
 * nothing. */
bool cli_stdin_pending(void);
/* True when /dev/tty can be opened (a controlling terminal exists). */
bool cli_have_tty(void);
/* Ask a yes/no question on /dev/tty (echo on). 1 yes, 0 no, -ENXIO without a terminal. */
int cli_tty_confirm(const char *question);
/* Check a password's length (characters, VAULT_PASSWORD_MIN..MAX) and that it has no NUL byte;
 * prints why on failure. 0 or CLI_EUSAGE. what names it in the message ("password"). */
int cli_password_check(const struct secret *pw, const char *what);

/* The options `set` and `edit` share (meta.c). Each parser reports why it refuses and returns
 * CLI_OK or an exit code; cmd ("set", "edit") starts the messages. */
#define CLI_EXPIRES_MAX "100y"
#define CLI_EXPIRES_MAX_S (100LL * 365 * 86400) /* parse_duration_ms's year is 365 days */
struct cli_meta {
	const char *notes, *url; /* NULL: not given ("" clears); borrowed from argv */
	char **tags;		 /* NULL: not given; --tags "" gives an empty vector (clears) */
	bool set_expires;
	int64_t expires_at; /* with set_expires: a time, or 0 for never */
	struct vault_binding bindings[VAULT_BINDINGS_MAX]; /* field "" is the single value */
	size_t nbindings;
	const char *folder; /* --folder PATH: NULL not given, "" out of any folder; borrowed */
};
/* --tags a,b (replaces an earlier one: CLI_FN1 refuses a second). */
int cli_meta_tags(struct cli_meta *m, const char *cmd, const char *arg);
/* --expires DURATION|never: at most CLI_EXPIRES_MAX from now. */
int cli_meta_expires(struct cli_meta *m, const char *cmd, const char *arg);
/* --binding ENV=FIELD or ENV= (the single value); an ENV given twice is refused. */
int cli_meta_binding(struct cli_meta *m, const char *cmd, const char *arg);
/* The vault's limits on notes, URL and tags, and the folder path's syntax, checked before the
 * password is asked for. */
int cli_meta_check(const struct cli_meta *m, const char *cmd);
/* Whether any of these options was given. */
bool cli_meta_given(const struct cli_meta *m);
void cli_meta_release(struct cli_meta *m);

/* ---- the session agent (cli/session.c) ---- */
struct agent_child;
/* In an agent's child: the request being served (set first thing). */
void cli_session_set(struct agent_child *c);
/* A client met an agent whose scope was too small for its command. */
void cli_session_note_agent(void);
/* The client's terminal in an agent's child (a descriptor to dup), else -1. */
int cli_session_tty(void);
/* True once this command found an agent whose scope was too small for it (for messages). */
bool cli_session_agent_seen(void);
/* In an agent's child: the vault unlocked with the agent's keys (reporting failures). CLI_OK
 * and *ret, or an exit code. */
int cli_session_vault(struct vault **ret);

/* A list the session agent holds (cli/agent-list.c). item prints the item with the smallest id
 * above *after (first: no separator before it in JSON), moves *after to its id and returns 1;
 * 0 when there is none; -errno with err. */
struct cli_agent_list {
	const char *name;   /* the command, for messages */
	const char *locked; /* why nothing can be listed without an agent (what to do) */
	const char *empty;  /* the text line for an empty list */
	bool json;
	int (*item)(struct agent_child *c, int64_t *after, struct outbuf *o, bool json, bool first,
		    struct reterr *err);
};
/* Print it; CLI_OK, CLI_EAUTH (locked), CLI_EIO. */
int cli_agent_list(const struct cli_agent_list *l);
/* cli_vault_unlock for `recover`: check the password only (vault_unlock_for_recovery), not the
 * vault's integrity. */
#define CLI_UNLOCK_RECOVERY (1u << 16)

/* Refuse a new master password that is easy to guess (below VAULT_PASSWORD_MIN_BITS as zxcvbn
 * estimates it, the user's name and the tool's counting as easy words), unless allow_weak
 * (--allow-weak). CLI_OK, or CLI_EUSAGE after saying why and what to do; cmd names the command
 * in the message. */
int cli_password_strength(const struct secret *pw, const char *cmd, bool allow_weak);

/* --kdf PROFILE of `init` and `password`: CLI_OK and *ret, or CLI_EUSAGE after saying why. */
int cli_kdf_parse(const char *cmd, const char *arg, enum vault_kdf *ret);
/* Warn that the test profile is insecure (no-op for the others). */
void cli_warn_test_kdf(enum vault_kdf kdf);

/* ---- field templates of `set --template` (template.c) ------------------------------------------ */

#define CLI_TEMPLATE_FIELDS 5
struct cli_template_field {
	const char *name;
	bool sensitive, required;
	const char *env; /* default binding, or NULL */
};
struct cli_template {
	const char *name;
	struct cli_template_field fields[CLI_TEMPLATE_FIELDS]; /* name NULL ends */
};
/* "login", "database", "api", "ssh", or NULL. */
const struct cli_template *cli_template_find(const char *name);

/* ---- plaintext files (plainfile.c): export, inject ------------------------------------------ */

/* A file being written: a private temporary (0600, O_EXCL) beside path, renamed over it by
 * commit; path is borrowed. */
struct cli_plainfile {
	int fd;
	const char *path;
	char *tmp;
	bool force;
};
/* Before anything is decrypted: CLI_OK when path may be written (absent, or force and not a
 * directory), else an exit code after saying why. */
int cli_plainfile_check(const char *cmd, const char *path, bool force);
/* Create the temporary file. CLI_OK or an exit code after saying why. */
int cli_plainfile_open(struct cli_plainfile *f, const char *cmd, const char *path, bool force);
/* fsync, then rename over path (never replacing an existing file without force), then fsync
 * the directory. CLI_OK or an exit code after saying why (the temporary file is removed). */
int cli_plainfile_commit(struct cli_plainfile *f, const char *cmd);
/* Remove the temporary file (nothing reaches path). */
void cli_plainfile_abort(struct cli_plainfile *f);
/* On a terminal (stderr), warn that plaintext secrets are written to where (NULL: stdout). */
void cli_warn_plaintext(const char *cmd, const char *where);

/* ---- clipboard (clipboard.c) ----------------------------------------------------------------- */

/* Copy p[0..n) to the clipboard with the session's tool (wl-copy on Wayland, xclip or xsel on
 * X11), through a pipe; then a detached process clears it after $SECRETCTL_CLIPBOARD_SECONDS
 * (30) when it still holds this value. CLI_OK, or an exit code after saying why (no tool:
 * CLI_EUSAGE). */
int cli_clipboard_copy(const char *cmd, const unsigned char *p, size_t n);

/* --conflict / --on-conflict of import and restore (conflict.c): arg is "error", "skip" or
 * "overwrite"; *slot gets the mode's static name (given twice, the option must agree) and *ret
 * the mode. cmd and opt start the messages. CLI_OK, or CLI_EUSAGE after saying why. */
int cli_conflict_parse(const char *cmd, const char *opt, const char *arg, const char **slot,
		       enum vault_conflict *ret);

/* ---- progress (progress.c) ---------------------------------------------------------------------- */

/* A bar on stderr for an operation of total steps, only when stderr is a terminal. */
struct cli_progress {
	const char *label;
	size_t total, shown;
	bool on;
};
void cli_progress_init(struct cli_progress *p, const char *label, size_t total);
void cli_progress_update(struct cli_progress *p, size_t done);
/* Erase the bar. */
void cli_progress_done(struct cli_progress *p);
/* A struct vault_progress callback drawing on ctx (a struct cli_progress, initialised with
 * cli_progress_init(p, NULL, 0)): one bar per step of a backup or restore, labelled with it. */
void cli_progress_vault(void *ctx, enum vault_progress_step step, uint64_t done, uint64_t total);

/* `audit prune` (cmd_audit_prune.c), a subcommand of `audit`. */
extern const struct cli_command cli_cmd_audit_prune;

/* Keys of backup/restore besides the master password (backupkey.c). Both report once and
 * return CLI_OK with *ret (caller frees) or an exit code. */
#define CLI_BACKUP_PASSWORD_ENV "SECRETCTL_BACKUP_PASSWORD"
/* $SECRETCTL_BACKUP_PASSWORD (scrubbed) or a prompt (twice when confirm). */
int cli_backup_password(const char *cmd, bool confirm, struct secret **ret);
/* The bytes of a key file: regular, no symlink, ours, mode 0600 or stricter, 32..4096 bytes. */
int cli_key_file_read(const char *cmd, const char *path, struct secret **ret);

#endif
