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

/* A duration in seconds for people: "7h59m", "12m05s", "45s", "2d3h". */
void cli_format_duration(int64_t s, char out[static 32]);

/* Parse --since: a duration back from now ("24h", "7d") or an RFC 3339 UTC time. -EINVAL. */
int cli_parse_since(const char *s, int64_t *ret_ts);

/* Read one line (without "\n" / "\r\n") from fd 0 byte by byte, so that the rest of stdin is
 * left for the caller, into secure memory. At most max bytes, else -E2BIG. -ENODATA on EOF
 * before any byte. */
int cli_read_stdin_line(size_t max, struct secret **ret);
/* Prompt on /dev/tty with echo off and read one line into secure memory (at most max bytes).
 * -ENXIO when there is no terminal. Restores the terminal on every path, signals included. */
int cli_tty_read_secret(const char *prompt, size_t max, struct secret **ret);
/* True when /dev/tty can be opened (a controlling terminal exists). */
bool cli_have_tty(void);
/* Ask a yes/no question on /dev/tty (echo on). 1 yes, 0 no, -ENXIO without a terminal. */
int cli_tty_confirm(const char *question);
/* Check a password's length (characters, VAULT_PASSWORD_MIN..MAX) and that it has no NUL byte;
 * prints why on failure. 0 or CLI_EUSAGE. what names it in the message ("password"). */
int cli_password_check(const struct secret *pw, const char *what);

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

/* --kdf PROFILE of `init` and `password`: CLI_OK and *ret, or CLI_EUSAGE after saying why. */
int cli_kdf_parse(const char *cmd, const char *arg, enum vault_kdf *ret);
/* Warn that the test profile is insecure (no-op for the others). */
void cli_warn_test_kdf(enum vault_kdf kdf);

#endif
