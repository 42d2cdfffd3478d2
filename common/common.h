/* SPDX-License-Identifier: Apache-2.0 */
/* common: the small shared pieces every module uses: secure buffers, byte buffers, error detail,
 * cleanup helpers, durations, key globs, EINTR-safe fd I/O, environment variable names and
 * process hardening. Each section below names the file that implements it. */
#ifndef SECRETCTL_COMMON_H
#define SECRETCTL_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- error detail (error.c) --------------------------------------------------------------- */

#define RETERR_MSG_MAX 512

/* Rich, user-facing detail for a failure; functions still return -errno.
 * A NULL struct reterr * is allowed everywhere: detail is then dropped. */
struct reterr {
	char msg[RETERR_MSG_MAX];
	int line;   /* 1-based source line of a parsed file, 0 if not applicable */
	int column; /* 1-based column, 0 if not applicable */
};

/* Format msg into err (if non-NULL) and return code (a negative errno), so callers can write
 * `return reterr_set(err, -EINVAL, "bad key %s", key);`. Never put secret bytes in msg. */
int reterr_set(struct reterr *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like reterr_set, with a YAML/line position. */
int reterr_set_at(struct reterr *err, int code, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* An empty detail, for declarations: `struct reterr err = RETERR_INIT;`. */
#define RETERR_INIT       \
	{                 \
		.msg = "" \
	}
/* What to tell the user about a failure: err's detail when one was set, else strerror(-code).
 * Borrowed from err or static; never NULL. */
const char *reterr_str(const struct reterr *err, int code);

/* ---- secure memory (secure.c) ------------------------------------------------------------- */

/* Secret bytes: a sodium_malloc'd region (guard pages, mlock'd, wiped on free) that holds this
 * header and, after it, the cap + 1 bytes data points to; so data is fixed for the secret's life
 * and growing (secret_append) makes a new secret. data is always NUL-terminated at data[len] for
 * convenience (len <= cap, and data has room for cap + 1 bytes); the NUL is not part of the
 * value, and values may contain NUL bytes. */
struct secret {
	unsigned char *data;
	size_t len;
	size_t cap;
};

/* Allocate an empty secret with room for cap bytes (+1 for the terminator). NULL on ENOMEM.
 * Initialise libsodium first (secret_lib_init). */
struct secret *secret_new(size_t cap);
/* Allocate a secret holding a copy of len bytes from p. NULL on ENOMEM. */
struct secret *secret_from(const void *p, size_t len);
/* Wipe and free; NULL-safe; returns NULL. */
struct secret *secret_free(struct secret *s);
/* Append bytes; grows by replacing *s with a new secret (the old region is wiped and freed, so
 * pointers into the old data go stale). -ENOMEM/-E2BIG, *s unchanged. */
int secret_append(struct secret **s, const void *p, size_t len);
/* Constant-time equality of two secrets (lengths compared first; length is not hidden). */
bool secret_equal(const struct secret *a, const struct secret *b);
/* Initialise libsodium once; returns 0 or -EIO. Safe to call many times. */
int secret_lib_init(void);

/* Raw secure regions (sodium_malloc: guard pages, mlock'd, wiped on free) for modules that
 * manage their own layout; secrets are made of them too. Every live region is recorded, so that
 * a process created by fork can drop its copy of all of them at once (secure_forget_all).
 * secure_alloc returns NULL on ENOMEM; secure_free is NULL-safe. */
void *secure_alloc(size_t n);
void secure_free(void *p);
/* In a child made by fork (or clone without CLONE_VM) that will never free them: drop this
 * process's copy-on-write view of every live secure region (MADV_DONTNEED: the pages read as
 * zeros from now on; the parent's are untouched). The sandbox's init calls it once the command
 * has started, so it holds no copy of the supervisor's secrets while the command runs. */
void secure_forget_all(void);
/* fd_read_all (below) into secure memory, read there directly with no copy in ordinary memory.
 * *ret is allocated on success (caller frees). */
int fd_read_all_secret(int fd, size_t max, struct secret **ret);

/* ---- byte buffers (non-secret data; may hold NUL bytes) (buf.c) --------------------------- */

struct buf {
	char *data; /* NUL-terminated at data[len] when non-NULL */
	size_t len;
	size_t cap;
};
#define BUF_INIT           \
	{                  \
		NULL, 0, 0 \
	}

void buf_init(struct buf *b);
/* Free storage; the struct can be reused after buf_init. */
void buf_release(struct buf *b);
/* Take the data pointer (caller frees); buf is reset. Never returns NULL (empty string). */
char *buf_detach(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_reset(struct buf *b);

/* ---- strings (inline) ------------------------------------------------------------------- */

/* True when s starts with the literal prefix (its length taken from the literal, not typed). */
static inline bool str_has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}
/* True when the n bytes at s (not NUL-terminated) are exactly the string lit. */
static inline bool str_eq_n(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

/* ---- string vectors (strv.c) -------------------------------------------------------------- */

/* NULL-terminated vector of malloc'd strings. */
char **strv_free(char **v);
size_t strv_len(char *const *v);
/* Append a copy of s; *v may be NULL. -ENOMEM. */
int strv_push(char ***v, const char *s);
/* A copy of v (NULL or empty: an empty vector, never NULL on success). NULL on ENOMEM. */
char **strv_dup(char *const *v);
/* Split s at each sep into a new vector (empty items dropped). -ENOMEM. */
int strv_split(const char *s, char sep, char ***ret);
/* Join with sep into a malloc'd string; NULL on ENOMEM. */
char *strv_join(char *const *v, const char *sep);

/* ---- cleanup helpers (cleanup.c) ---------------------------------------------------------- */

void cleanup_free(void *p);
void cleanup_close(int *fd);
void cleanup_secret(struct secret **s);
void cleanup_strv(char ***v);
void cleanup_buf(struct buf *b);
#define AUTO_FREE __attribute__((cleanup(cleanup_free)))
#define AUTO_CLOSE __attribute__((cleanup(cleanup_close)))
#define AUTO_SECRET __attribute__((cleanup(cleanup_secret)))
#define AUTO_STRV __attribute__((cleanup(cleanup_strv)))
#define AUTO_BUF __attribute__((cleanup(cleanup_buf)))

/* Hand ownership on: returns the pointer/fd and clears the variable. */
#define TAKE_PTR(p)                               \
	({                                        \
		__typeof__(p) take_ptr_tmp = (p); \
		(p) = NULL;                       \
		take_ptr_tmp;                     \
	})
#define TAKE_FD(fd)                     \
	({                              \
		int take_fd_tmp = (fd); \
		(fd) = -1;              \
		take_fd_tmp;            \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fd I/O (fd.c) ------------------------------------------------------------------------ */

/* The one place EINTR is handled: each helper below retries its call when a signal interrupted
 * it, and blocks exactly as the call does (a descriptor with O_NONBLOCK gives -EAGAIN).
 * Loops that poll treat EINTR as one more turn of the loop instead. */

/* One read(), retried on EINTR. Bytes read (0 at EOF) or -errno. */
ssize_t fd_read(int fd, void *p, size_t len);
/* One recvmsg(), retried on EINTR. Bytes received (0 at EOF) or -errno; *msg is filled as
 * recvmsg(2) fills it (msg_flags, msg_controllen, descriptors passed with SCM_RIGHTS). */
struct msghdr;
ssize_t fd_recvmsg(int fd, struct msghdr *msg, int flags);
/* Write everything (EINTR and short writes handled). 0 or -errno (-EPIPE when the reader left). */
int fd_write_all(int fd, const void *p, size_t len);
/* Read until EOF, at most max bytes; -E2BIG if more arrives. Result in *ret (buf_init'd by caller). */
int fd_read_all(int fd, size_t max, struct buf *ret);

/* ---- secret-safe output writer (out.c) ---------------------------------------------------- */

/* Buffered writer over a stack buffer: secret values pass through it instead of stdio (whose
 * buffer is ordinary heap memory that is never wiped); the buffer is wiped after every flush.
 * It writes to an fd (outbuf_init_fd) or appends to a struct buf (outbuf_init_buf: for
 * non-secret text only, such as metadata JSON sent between processes). Errors are sticky;
 * outbuf_finish flushes, wipes and reports the first one (-EPIPE when the reader left). Never
 * blocks except in write(2). */
struct outbuf {
	int fd;
	struct buf *b;
	int err;
	size_t len;
	unsigned char stage[4096];
};

void outbuf_init_fd(struct outbuf *o, int fd);
/* b is borrowed and must outlive the writer. */
void outbuf_init_buf(struct outbuf *o, struct buf *b);
void outbuf_write(struct outbuf *o, const void *p, size_t n);
void outbuf_puts(struct outbuf *o, const char *s);
/* Formatted text; meant for metadata, never secret bytes (the formatting goes through a stack
 * temporary that is wiped). */
void outbuf_printf(struct outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included) of n bytes: control characters escaped, and every
 * byte that is not part of well-formed UTF-8 written as the four characters \xNN (in JSON text
 * "\\xNN"), so the result is always valid JSON and no two strings collapse into one U+FFFD.
 * Where the exact bytes matter, use outbuf_json_member. */
void outbuf_json_str(struct outbuf *o, const void *p, size_t n);
/* An object member "name":"..." (outbuf_json_str; null when p is NULL), followed, when the bytes
 * are not well-formed UTF-8, by "name_base64":"..." holding them exactly (standard base64):
 * the readable form and the lossless one. name is a JSON-safe literal. For metadata only. */
void outbuf_json_member(struct outbuf *o, const char *name, const void *p, size_t n);
void outbuf_json_member_cstr(struct outbuf *o, const char *name, const char *s);
/* "name":[...] of a strv, and when any string is not UTF-8, "name_base64":[...] of every one. */
void outbuf_json_member_strv(struct outbuf *o, const char *name, char *const *v);
/* JSON string of a C string, or null when s is NULL. */
void outbuf_json_cstr(struct outbuf *o, const char *s);
void outbuf_json_bool(struct outbuf *o, bool v);
/* An RFC 3339 UTC time as a JSON string, or null for 0. */
void outbuf_json_time(struct outbuf *o, int64_t t);
/* A JSON array of the strings of a strv (NULL gives []). */
void outbuf_json_strv(struct outbuf *o, char *const *v);
/* Bytes with every non-printable byte (and backslash) shown as \xNN: safe on a terminal. After
 * outbuf_set_utf8_text(true) (a UTF-8 locale: the CLI decides once at start-up) well-formed
 * UTF-8 is shown as text, except C1 controls and invisible characters that reorder or hide
 * text (bidi controls, zero-width characters, separators), whose bytes stay \xNN. */
void outbuf_escaped(struct outbuf *o, const void *p, size_t n);
/* A command word as a shell would need it quoted ('...' unless it is made of safe characters
 * only), every byte outbuf_escaped would escape as \xNN (`secretctl approvals`, MCP
 * elicitation). */
void outbuf_shell_word(struct outbuf *o, const char *w);
void outbuf_set_utf8_text(bool on);
/* Flush and wipe. 0 or the first error. */
int outbuf_finish(struct outbuf *o);

/* True when p[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const void *p, size_t n);
/* Number of UTF-8 characters (bytes that are not continuation bytes). */
size_t utf8_chars(const void *p, size_t n);

/* ---- parsing (parse.c) -------------------------------------------------------------------- */

/* Parse a duration "90s", "5m", "12h", "30d", "2w", "1y", or a bare number of seconds; also
 * "500ms" when allow_ms. Units may combine ("1h30m"). Result in milliseconds. -EINVAL/-ERANGE. */
int parse_duration_ms(const char *s, bool allow_ms, int64_t *ret_ms);
/* Parse a size: a positive decimal number of bytes, optionally followed by K, M or G (binary
 * multiples; either case): "4096", "512K", "1M". -EINVAL for anything else, zero, or an
 * overflow. */
int parse_bytes(const char *s, uint64_t *ret);
/* Parse an unsigned decimal integer in [min, max]. -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* Format a UNIX time (seconds) as RFC 3339 UTC ("2026-11-22T02:39:03Z"). out >= 21 bytes. */
void parse_format_time(int64_t t, char out[static 32]);
/* Parse RFC 3339 UTC back ("...Z"). -EINVAL. */
int parse_time(const char *s, int64_t *ret);

/* Key glob: '*' matches any run of characters except '/', '?' one such character; no other
 * metacharacters. So "aws/<star>" matches "aws/key" but not "aws/x/key"; "**" is not special. */
bool glob_match(const char *pattern, const char *key);
/* True when pattern contains a glob metacharacter. */
bool glob_is_pattern(const char *pattern);

/* ---- environment variable names (env.c) --------------------------------------------------- */

/* The longest name any module accepts or makes, in bytes. */
#define ENV_NAME_MAX 256

/* True when c may stand in a name: a letter, '_', or (not first) a digit. */
bool env_name_char(char c, bool first);
/* True for a name: 1..ENV_NAME_MAX bytes of env_name_char ([A-Za-z_][A-Za-z0-9_]*). NULL is
 * not a name. Pure. */
bool env_name_valid(const char *name);
/* The same without lower-case letters ([A-Z_][A-Z0-9_]*): the names secretctl makes from keys,
 * and their prefixes. Pure. */
bool env_name_valid_upper(const char *name);
/* True for a name no child receives from secretctl, whoever asks: the names and families that
 * change how a loader, shell, interpreter or a program the command starts behaves, the process
 * basics the caller's own environment supplies (PATH, HOME, LC_*, ...), and secretctl's own
 * (SECRETCTL_*). The one list: policy/ refuses such names for secrets (policy_env_check), the
 * supervisor refuses to put them in a child's environment (sup_spec_env); docs/policy.md
 * "Reserved names" shows it. name must not be NULL. Pure. */
bool env_name_denied(const char *name);

/* ---- time (clock.c) ----------------------------------------------------------------------- */

/* Wall clock in seconds. Tests may replace it through clock_set_fn (injectable clock). */
int64_t clock_now(void);
void clock_set_fn(int64_t (*fn)(void));

/* ---- process hardening (proc.c) ----------------------------------------------------------- */

/* For processes that hold key material: not dumpable (no ptrace, no /proc/<pid>/mem by the same
 * uid, no core dump of any kind), RLIMIT_CORE soft 0 and hard at most 1 (the sandbox gives its
 * commands exactly 1: see supervisor/child.c). 0 or -errno. */
int proc_harden(void);
/* waitpid(pid, status, 0), retried on EINTR: blocks until that child has ended and reaps it.
 * 0 with its wait status in *ret_status, or -errno (-ECHILD: not our child, or reaped). */
int proc_wait(pid_t pid, int *ret_status);
/* Overwrite the value of NAME in our own environment block in place (so /proc/<pid>/environ no
 * longer shows it) and unsetenv it. No-op when unset. */
void proc_scrub_env(const char *name);

#endif
