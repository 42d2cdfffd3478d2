/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: streaming multi-pattern redaction, and a terminal-control filter. Bytes in, bytes
 * out; no I/O, no globals. A set holds secrets (each expanded into the forms a program prints it
 * in); a stream filters one output channel through the set, replacing every match, in the raw
 * bytes or in their decoded view (escapes decoded, terminal sequences skipped), with
 * "[REDACTED:NAME]". A term filter neutralises terminal control sequences (san_term_new). */
#ifndef SECRETCTL_SANITIZER_H
#define SECRETCTL_SANITIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAN_NAME_MAX 128	    /* placeholder name: [A-Za-z0-9_.-/], 1..128 */
#define SAN_SECRETS_MAX 10000	    /* secrets per set */
#define SAN_VALUE_MAX (1024 * 1024) /* one secret value */
/* Shorter raw values are refused (-EINVAL): too short to redact
 * without destroying ordinary output; `set` warns below
 * SAN_WARN_SECRET_LEN */
#define SAN_MIN_SECRET_LEN 4
#define SAN_WARN_SECRET_LEN 8
#define SAN_IDLE_FLUSH_MS 75 /* quiet period after which san_flush_idle should be called */
/* Encoded forms shorter than this are not registered: a
 * 4-7 character fragment of base64/hex matches ordinary text */
#define SAN_MIN_VARIANT_LEN 8
#define SAN_MIN_LINE_LEN 8 /* lines of a multi-line value registered on their own */
/* A held partial match of d bytes whose shortest completion is
 * m bytes is "revealing" when d >= min(SAN_REVEAL_LEN, ceil(m/2)):
 * san_flush_idle keeps it held, san_finish redacts it */
#define SAN_REVEAL_LEN 4
/* Forms up to this length are matched whole; a longer form
 * (the forms of a long value) is matched from keys, see below */
#define SAN_WHOLE_MAX 256
/* A long form is found by keys, its SAN_KEY_LEN-byte pieces at
 * every line start and every "key stride" bytes, and a key's
 * match is extended over as much of the form as follows it */
#define SAN_KEY_LEN 32
#define SAN_KEYS_MAX 16384 /* keys per set: the key stride grows to stay within it */
#define SAN_PATTERN_BYTES_MAX (64u * 1024 * 1024) /* whole forms and keys of a set (-E2BIG) */
#define SAN_FORM_BYTES_MAX (64u * 1024 * 1024)	  /* long forms kept for extension (-E2BIG) */

struct san_set;
struct san_stream;

/* Receives output bytes; returns 0 or a negative errno (propagated by san_feed/...). */
typedef int (*san_emit_fn)(void *ctx, const void *buf, size_t len);

/* New empty set. NULL on ENOMEM. */
struct san_set *san_set_new(void);
/* Wipe and free; NULL-safe; returns NULL. */
struct san_set *san_set_free(struct san_set *set);

/* Add a secret under name (copied). value is copied into secure memory; san_set_compile expands
 * it into its forms (raw, without a trailing line break, with its own escapes decoded, hex and
 * base64, lines of multi-line values; see docs/sanitizer.md). -EINVAL (name, too short),
 * -E2BIG (limits), -EBUSY after san_set_compile. */
int san_set_add(struct san_set *set, const char *name, const void *value, size_t len);

/* Build the matcher. After this the set is read-only and may be shared by many streams.
 * -E2BIG when the forms exceed SAN_PATTERN_BYTES_MAX or SAN_FORM_BYTES_MAX; -ENOMEM. */
int san_set_compile(struct san_set *set);

/* Number of secrets (names) in the set, and the i-th name (borrowed). */
size_t san_set_size(const struct san_set *set);
const char *san_set_name(const struct san_set *set, size_t i);

/* New stream over a compiled set (borrowed; must outlive the stream). NULL on ENOMEM/EINVAL. */
struct san_stream *san_stream_new(const struct san_set *set);
/* Wipe held bytes and free; NULL-safe; returns NULL. */
struct san_stream *san_stream_free(struct san_stream *st);

/* Filter len bytes; emits everything that can no longer be part of a match. buf is borrowed; an
 * emitted pointer is either into buf or valid only during the emit call. Any chunking of the
 * same input gives the same output. After an error the stream must only be freed. Never blocks
 * (emit may). */
int san_feed(struct san_stream *st, const void *buf, size_t len, san_emit_fn emit, void *ctx);
/* After SAN_IDLE_FLUSH_MS of quiet: release held bytes that are too short to reveal anything
 * (everything except the longest "revealing" held partial match, see SAN_REVEAL_LEN); pending
 * placeholders are emitted. */
int san_flush_idle(struct san_stream *st, san_emit_fn emit, void *ctx);
/* End of stream: releases the rest; a held partial match long enough to matter is redacted
 * (fail closed). */
int san_finish(struct san_stream *st, san_emit_fn emit, void *ctx);
/* Input bytes whose output is not decided yet (held back, or inside a pending placeholder). */
size_t san_stream_pending(const struct san_stream *st);
/* Redactions made so far by this stream for the i-th name of the set. */
uint64_t san_stream_count(const struct san_stream *st, size_t i);

/* ---- terminal control filter ----------------------------------------------------------------
 * Neutralises (removes) terminal control sequences a command writes, by mode:
 *   SAN_TERM_OFF           everything passes (--raw-terminal).
 *   SAN_TERM_OSC52         output to a pipe or file: only clipboard writes are removed (OSC 52
 *                          and OSC 5522, 7- and 8-bit introducers), since a pipe usually ends at
 *                          a terminal (`| tee`, `| less -R`); all other bytes pass unchanged.
 *   SAN_TERM_KEEP_COLOURS  output to a terminal: colours (SGR), cursor movement, erasing,
 *                          scrolling regions and a few display modes pass; everything else is
 *                          removed: OSC (titles, clipboard, colour queries, hyperlinks), DCS,
 *                          SOS, PM, APC, report-back queries (DSR, DA, window reports, mode
 *                          queries, ENQ), mouse and focus reporting modes, C1 controls.
 *   SAN_TERM_STRIP_ALL     MCP responses and --json: every escape sequence, C1 control and C0
 *                          control except TAB, LF and CR is removed.
 * Removed means gone: no visible replacement. A sequence is decided when complete; an
 * incomplete kept sequence is held (at most SAN_TERM_SEQ_MAX bytes; a longer one is removed),
 * a removed string sequence (OSC/DCS/...) is dropped as it streams and ends after
 * SAN_TERM_STRING_MAX bytes without terminator. Chunking never changes the output.
 * Chain it BEFORE the redaction stream (term -> san_feed -> sink): the redactor then sees the
 * bytes the reader gets, so removing a sequence can never join two halves of a secret into
 * unredacted plaintext. */
#define SAN_TERM_SEQ_MAX 64
#define SAN_TERM_STRING_MAX (64 * 1024)

enum san_term_mode {
	SAN_TERM_OFF = 0,
	SAN_TERM_OSC52 = 1,
	SAN_TERM_KEEP_COLOURS = 2,
	SAN_TERM_STRIP_ALL = 3,
};

struct san_term;

/* New filter in mode. NULL on ENOMEM or an unknown mode. */
struct san_term *san_term_new(enum san_term_mode mode);
/* Wipe and free; NULL-safe; returns NULL. */
struct san_term *san_term_free(struct san_term *t);
/* Filter len bytes (borrowed) to emit; emitted pointers are into buf or valid during the call
 * only. Returns 0 or emit's negative errno. Never blocks (emit may). */
int san_term_feed(struct san_term *t, const void *buf, size_t len, san_emit_fn emit, void *ctx);
/* End of stream: an incomplete sequence still held is removed. 0 or emit's error. */
int san_term_finish(struct san_term *t, san_emit_fn emit, void *ctx);
/* Sequences removed so far (each removed byte run counts once). */
uint64_t san_term_removed(const struct san_term *t);

#endif
