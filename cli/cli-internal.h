/* SPDX-License-Identifier: Apache-2.0 */
/* cli: helpers shared by the vault commands only (output writer that keeps secret bytes off the
 * heap, JSON string escaping, masking, terminal prompts). Not included outside cli/. */
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

/* Buffered writer on a stack buffer: secret values pass through it instead of stdio (whose
 * buffer is ordinary heap memory that is never wiped). Errors are sticky; cli_out_finish
 * flushes, wipes the buffer and reports the first error. Never blocks except in write(2). */
struct cli_out {
	int fd;
	int err; /* first write error (negative errno), 0 if none */
	size_t len;
	unsigned char buf[4096];
};

void cli_out_init(struct cli_out *o, int fd);
void cli_out_write(struct cli_out *o, const void *p, size_t n);
void cli_out_puts(struct cli_out *o, const char *s);
/* Formatted text; never pass secret bytes (the formatting goes through a stack temporary that
 * is wiped, but it is meant for metadata only). */
void cli_out_printf(struct cli_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included) of n bytes that must be valid UTF-8. */
void cli_out_json_str(struct cli_out *o, const void *p, size_t n);
/* JSON string of a C string, or null when s is NULL. */
void cli_out_json_cstr(struct cli_out *o, const char *s);
/* Bytes with every non-printable byte (and backslash) shown as \xNN: safe on a terminal. */
void cli_out_escaped(struct cli_out *o, const void *p, size_t n);
/* The masked form of a value: "********" followed by its last 4 bytes when the value is at
 * least CLI_MASK_REVEAL_MIN bytes long and those bytes are printable ASCII. */
#define CLI_MASK_REVEAL_MIN 16
void cli_out_masked(struct cli_out *o, const void *p, size_t n);
/* Flush and wipe. 0 or the first error (-EPIPE when the reader left). */
int cli_out_finish(struct cli_out *o);

/* True when p[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool cli_utf8_valid(const void *p, size_t n);
/* Number of UTF-8 characters (bytes that are not continuation bytes). */
size_t cli_utf8_chars(const void *p, size_t n);

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

/* Options shared by `init` and `password`: --kdf PROFILE, --password-stdin, -h/--help, and no
 * operands. cmd names the command in messages; usage prints its help. Returns -1 to go on,
 * else the exit code to return. */
int cli_parse_kdf_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *f),
		       enum vault_kdf *ret_kdf, bool *ret_password_stdin);

/* run/exec: processes (and threads) in the command's tree unless --limit nproc says otherwise;
 * a fork bomb stops here. */
#define CLI_RUN_NPROC_DEFAULT 4096

#endif
