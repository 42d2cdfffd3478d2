/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers for mcp/: a front process (mcp_front_run in a forked child) driven through pipes
 * as its stdin/stdout and a socketpair as its broker; the test plays client and broker. */
#ifndef SECRETCTL_TESTS_MCP_UTIL_H
#define SECRETCTL_TESTS_MCP_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "common/common.h"
#include "mcp/mcp-internal.h"

#define SESS_VERSION "9.8.7"
#define SESS_TIMEOUT_MS 10000

struct session {
	pid_t pid;
	int in;		   /* the front's stdin (we write) */
	int out;	   /* the front's stdout (we read) */
	int broker;	   /* our end of the broker socket */
	struct buf outbuf; /* bytes read from stdout, not yet returned */
	struct buf bbuf;   /* bytes read from the broker socket */
	struct buf msg;	   /* the last broker message returned (fields point into it) */
	int status;	   /* the front's exit status after sess_wait */
};

/* Fork the front; when ready is true, send READY {version SESS_VERSION, policy}. */
void sess_start(struct session *s, bool ready);
/* The same; READY also says folder_writes (the policy's mcp_folder_writes) when asked. */
void sess_start_with(struct session *s, bool ready, bool folder_writes);
/* Close stdin (EOF) and wait: returns the exit code of the front (-1: killed or timeout). */
int sess_finish(struct session *s);
/* Wait for the front to exit without closing anything. */
int sess_wait(struct session *s);
/* Free buffers and close our descriptors (after finish/wait). */
void sess_release(struct session *s);

/* Write raw bytes / a line (a '\n' is appended) to the front's stdin. */
void sess_write(struct session *s, const void *p, size_t len);
void sess_send(struct session *s, const char *line);
/* printf-style line. */
void sess_sendf(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The next line from stdout, parsed (caller frees), or NULL on timeout/EOF (a test failure
 * unless expected). The line must be exactly one JSON value (checked). */
cJSON *sess_read(struct session *s, int timeout_ms);
/* The next line as text (caller frees), NULL on timeout/EOF. */
char *sess_read_text(struct session *s, int timeout_ms);
/* True when nothing arrives on stdout within ms. */
bool sess_quiet(struct session *s, int ms);

/* Send ping (id given) and assert that the very next line is its answer: proves that nothing
 * was sent for what came before. */
void sess_sync(struct session *s, int id);

/* initialize with version, check the answer, send notifications/initialized. Returns the
 * negotiated version's enum. */
enum mcp_proto sess_init(struct session *s, const char *version);

/* The next message from the front on the broker socket (decoded into *m, pointing into the
 * session's buffer until the next call). false on timeout/EOF. */
bool sess_broker_recv(struct session *s, struct mcp_wire_msg *m, int timeout_ms);
/* True when the front closed its end of the broker socket (EOF) within ms. */
bool sess_broker_eof(struct session *s, int ms);
/* Send a message built by the caller (complete frame in b). */
void sess_broker_send(struct session *s, const struct buf *b);
/* RESULT for wire id: error flag, json text (NULL: absent), message (NULL: absent). */
void sess_result(struct session *s, uint64_t id, bool error, const char *json, const char *message);
/* PROGRESS for wire id. */
void sess_progress(struct session *s, uint64_t id, int64_t progress, int64_t total,
		   const char *message);

/* Receive a CALL and check its tool; returns its wire id (0 on failure, after ck_assert). */
uint64_t sess_expect_call(struct session *s, const char *tool, struct mcp_wire_msg *m);

/* A field of a decoded message as a C string (malloc'd), NULL when absent. */
char *wire_str(const struct mcp_wire_msg *m, const char *name);

/* JSON helpers: member by path "a.b.c" (no arrays), string of a member or NULL. */
const cJSON *jget(const cJSON *o, const char *path);
const char *jstr(const cJSON *o, const char *path);
/* Compare the compact print of o with expected (compact JSON text). */
bool jeq(const cJSON *o, const char *expected);
/* Assert a JSON-RPC error answer: id (compact JSON text, "null" for null), code, and, when
 * message is non-NULL, the exact message. */
void expect_error(const cJSON *msg, const char *id, int code, const char *message);

#endif
