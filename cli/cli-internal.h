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
/* True when /dev/tty can be opened (a controlling terminal exists). */
bool cli_have_tty(void);
/* Ask a yes/no question on /dev/tty (echo on). 1 yes, 0 no, -ENXIO without a terminal. */
int cli_tty_confirm(const char *question);
/* Check a password's length (characters, VAULT_PASSWORD_MIN..MAX) and that it has no NUL byte;
 * prints why on failure. 0 or CLI_EUSAGE. what names it in the message ("password"). */
int cli_password_check(const struct secret *pw, const char *what);

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

#endif
