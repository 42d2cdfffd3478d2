/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: streaming multi-pattern redaction. Bytes in, bytes out; no I/O, no globals.
 * A set holds secrets (each expanded to its encoded variants); a stream filters one output
 * channel through the set, replacing every match with "[REDACTED:NAME]". */
#ifndef SECRETCTL_SANITIZER_H
#define SECRETCTL_SANITIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAN_NAME_MAX 128            /* placeholder name: [A-Za-z0-9_.-/], 1..128 */
#define SAN_SECRETS_MAX 10000       /* secrets per set */
#define SAN_VALUE_MAX (1024 * 1024) /* one secret value */
#define SAN_MIN_SECRET_LEN 4        /* shorter raw values are refused (-EINVAL): too short to redact
				     * without destroying ordinary output; `set` warns below
				     * SAN_WARN_SECRET_LEN */
#define SAN_WARN_SECRET_LEN 8
#define SAN_IDLE_FLUSH_MS 75        /* quiet period after which san_flush_idle should be called */
#define SAN_MIN_VARIANT_LEN 8       /* encoded variants shorter than this are not registered: a
				     * 4-7 character fragment of base64/hex matches ordinary text */
#define SAN_MIN_LINE_LEN 8          /* lines of a multi-line value registered on their own */
#define SAN_REVEAL_LEN 4            /* a held partial match of d bytes whose shortest completion is
				     * m bytes is "revealing" when d >= min(SAN_REVEAL_LEN, ceil(m/2)):
				     * san_flush_idle keeps it held, san_finish redacts it */
#define SAN_PATTERN_BYTES_MAX (64u * 1024 * 1024) /* all variants of all secrets (-E2BIG) */

struct san_set;
struct san_stream;

/* Receives output bytes; returns 0 or a negative errno (propagated by san_feed/...). */
typedef int (*san_emit_fn)(void *ctx, const void *buf, size_t len);

/* New empty set. NULL on ENOMEM. */
struct san_set *san_set_new(void);
/* Wipe and free; NULL-safe; returns NULL. */
struct san_set *san_set_free(struct san_set *set);

/* Add a secret under name (copied). value is copied into secure memory, expanded into its
 * variants (raw, base64 forms, hex, URL, JSON, shell quoting, per-line for multi-line values,
 * CRLF). -EINVAL (name, too short), -E2BIG (limits), -EBUSY after san_set_compile. */
int san_set_add(struct san_set *set, const char *name, const void *value, size_t len);

/* Build the matcher. After this the set is read-only and may be shared by many streams. */
int san_set_compile(struct san_set *set);

/* Number of secrets (names) in the set, and the i-th name (borrowed). */
size_t san_set_size(const struct san_set *set);
const char *san_set_name(const struct san_set *set, size_t i);

/* New stream over a compiled set (borrowed; must outlive the stream). NULL on ENOMEM/EINVAL. */
struct san_stream *san_stream_new(const struct san_set *set);
/* Wipe held bytes and free; NULL-safe; returns NULL. */
struct san_stream *san_stream_free(struct san_stream *st);

/* Filter len bytes; emits everything that can no longer be part of a match. buf is borrowed; an
 * emitted pointer is either into buf or valid only during the emit call. Any chunking of the same input gives the
 * same output. After an error the stream must only be freed. Never blocks (emit may). */
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

#endif
