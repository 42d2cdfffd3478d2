/* SPDX-License-Identifier: Apache-2.0 */
/* mcp internals: the message format between the front process (JSON-RPC, no secrets) and the
 * broker process (vault, policy, runs; never parses JSON), and the entry points of each process.
 * See docs/mcp.md "Processes" and "Wire format". Only mcp/ sources, its unit tests and fuzz
 * targets include this. */
#ifndef SECRETCTL_MCP_INTERNAL_H
#define SECRETCTL_MCP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ---- wire format ----------------------------------------------------------------------------
 * One message on the stream socket between front and broker:
 *
 *   u32 len     bytes that follow this field (little endian): MCP_WIRE_HEADER - 4 up to
 *               MCP_WIRE_MAX - 4 (a whole message is at most MCP_WIRE_MAX bytes)
 *   u8  type    enum mcp_wire_type
 *   u8  nfields 0..MCP_WIRE_FIELDS_MAX
 *   u16 zero    must be 0
 *   u64 id      request id chosen by the front (0 for READY)
 *   fields, nfields times:
 *     u8  kind  enum mcp_wire_kind
 *     u8  nlen  1..MCP_WIRE_NAME_MAX, then nlen bytes of name ([a-z0-9_], unique in a message)
 *     STR:  u32 n, then n bytes (any bytes; not NUL-terminated on the wire)
 *     INT:  i64 (little endian)
 *     BOOL: u8 0 or 1
 *     STRV: u32 count (<= MCP_WIRE_STRV_MAX), then count times { u32 n, n bytes }
 *
 * Every length is checked against the bytes left before it is used; trailing bytes after the
 * last field, an unknown type or kind, a duplicate name, a non-zero pad or a bad bool are
 * -EPROTO. A decoded message points into the buffer it was decoded from. The encoder never
 * makes a message the decoder refuses (a name used twice is -EINVAL). */
#define MCP_WIRE_HEADER 16u	 /* len + type + nfields + zero + id */
#define MCP_WIRE_MAX (24u << 20) /* one message, header included */
#define MCP_WIRE_FIELDS_MAX 32
#define MCP_WIRE_NAME_MAX 32
#define MCP_WIRE_STRV_MAX 1024

enum mcp_wire_type {
	MCP_W_READY =
		1,    /* broker -> front: the vault is unlocked, serve (fields: version, policy) */
	MCP_W_CALL,   /* front -> broker: a tool call (fields: tool, progress, then arguments) */
	MCP_W_RESULT, /* broker -> front: the answer to CALL id (fields: error, json, message) */
	MCP_W_PROGRESS, /* broker -> front: a run is in flight (fields: progress, total, message) */
	MCP_W_CANCEL,	/* front -> broker: stop CALL id (a run's tree is killed); no answer */
	MCP_W_ELICIT,	/* broker -> front: ask the client about CALL id (fields: message,
			 * timeout ms): an elicitation/create request (2025 handshake era) */
	MCP_W_ANSWER,	/* front -> broker: the client's answer to ELICIT id (fields: action
			 * accept|decline|cancel|error, decision) */
	MCP_W_TYPE_MAX = MCP_W_ANSWER,
};

enum mcp_wire_kind {
	MCP_WK_STR = 1,
	MCP_WK_INT,
	MCP_WK_BOOL,
	MCP_WK_STRV,
	MCP_WK_MAX = MCP_WK_STRV,
};

struct mcp_wire_field {
	enum mcp_wire_kind kind;
	char name[MCP_WIRE_NAME_MAX + 1];
	/* STR: str/len (points into the message; not NUL-terminated) */
	const char *str;
	size_t len;
	int64_t i; /* INT */
	bool b;	   /* BOOL */
	/* STRV: n items; item k is strv_at(f, k) (see mcp_wire_strv_item) */
	size_t n;
	const unsigned char *strv; /* the raw items, to walk with mcp_wire_strv_item */
	size_t strv_bytes;
};

struct mcp_wire_msg {
	enum mcp_wire_type type;
	uint64_t id;
	size_t nfields;
	struct mcp_wire_field fields[MCP_WIRE_FIELDS_MAX];
};

/* Encoder: builds one message in a struct buf (non-secret bytes only: the front never has
 * secrets, and the broker only sends sanitized output and metadata). Errors are sticky and
 * returned by mcp_wire_end. */
struct mcp_wire_enc {
	struct buf *b;
	size_t start;
	unsigned nfields;
	int err;
};

/* Start a message of type/id at the end of b (borrowed, must outlive the encoder). */
void mcp_wire_begin(struct mcp_wire_enc *e, struct buf *b, enum mcp_wire_type type, uint64_t id);
void mcp_wire_str(struct mcp_wire_enc *e, const char *name, const void *p, size_t len);
void mcp_wire_cstr(struct mcp_wire_enc *e, const char *name, const char *s);
void mcp_wire_int(struct mcp_wire_enc *e, const char *name, int64_t v);
void mcp_wire_bool(struct mcp_wire_enc *e, const char *name, bool v);
/* A string vector; items given as n pointers and lengths (lens may be NULL: strlen). */
void mcp_wire_strv(struct mcp_wire_enc *e, const char *name, const char *const *items,
		   const size_t *lens, size_t n);
/* Finish: writes the length. 0, or the first error (-E2BIG past a limit, -EINVAL bad name,
 * -ENOMEM); on error the partial message is removed from b. */
int mcp_wire_end(struct mcp_wire_enc *e);

/* Decode one complete message (data/len = exactly one message, length field included).
 * 0 and *ret filled (pointing into data), or -EPROTO (malformed), -E2BIG (over a limit),
 * -ENOMEM; *ret is untouched on failure. Pure;
 * fuzzed (tests/fuzz/fuzz_mcp_wire.c). */
int mcp_wire_decode(const void *data, size_t len, struct mcp_wire_msg *ret);

/* How many bytes the message starting at data needs in total, once at least 4 bytes are there:
 * > 0 the total, 0 need more bytes, -EPROTO/-E2BIG for a length outside the limits. */
ssize_t mcp_wire_frame_len(const void *data, size_t avail);

/* Field lookup by name; NULL when absent or of another kind. */
const struct mcp_wire_field *mcp_wire_get(const struct mcp_wire_msg *m, const char *name,
					  enum mcp_wire_kind kind);
/* Item k (< f->n) of a STRV field: pointer and length into the message. Walks from the start
 * (O(k)); use mcp_wire_strv_next to iterate. */
int mcp_wire_strv_item(const struct mcp_wire_field *f, size_t k, const char **ret_p,
		       size_t *ret_len);
/* Iterate: *cursor starts at 0; 1 and the next item, 0 at the end, -EPROTO on damage. */
int mcp_wire_strv_next(const struct mcp_wire_field *f, size_t *cursor, const char **ret_p,
		       size_t *ret_len);

/* Send and receive whole messages on a blocking stream socket. mcp_wire_send writes all of
 * b->data[0..len) (EINTR handled). mcp_wire_recv reads one message into b (reset first),
 * 0 at a clean EOF before any byte (b->len == 0), -EPROTO/-E2BIG/-errno otherwise. */
int mcp_wire_send(int fd, const struct buf *b);
int mcp_wire_recv(int fd, struct buf *b);

/* ---- the tool calls (names of the CALL fields) ---------------------------------------------
 * The front validates every argument against the tool's inputSchema and limits before it sends
 * CALL; the broker checks again and decides. Field names are the schema's property names; a
 * JSON string is STR, an array of strings STRV, an integer INT, a boolean BOOL; absent optional
 * arguments are absent fields. Two fields are added by the front:
 *   tool      STR   the tool name (one of mcp_tools below)
 *   progress  BOOL  the client asked for progress notifications (a progressToken was given)
 * RESULT fields:
 *   error     BOOL  true: a tool error (isError: true); message says what happened and what to do
 *   json      STR   the structuredContent object as JSON text (present when error is false; may
 *                   be present with error true, e.g. a run that timed out)
 *   message   STR   one human line (always present when error is true)
 *   input_required BOOL  the run waits for the person's answer (2026-07-28): the front answers
 *                  with an input_required result asking message (STR) and carrying
 *                  request_state (STR); error is false and json absent
 * PROGRESS fields: progress INT (ms elapsed), total INT (ms timeout), message STR. */

/* Entry point of the front process: JSON-RPC on in_fd/out_fd (newline-delimited), the broker on
 * broker_fd. Requests wait for READY (in order). EOF before READY: the broker failed to start;
 * every request (held or later) is answered with -32603 saying so until stdin ends (so that a
 * client can show why), then it returns 1. Returns 0 when stdin ends (after telling the broker
 * by closing broker_fd), 1 on a fatal error (logged on stderr; calls in flight are answered with
 * -32603). Takes broker_fd (closed on return); in_fd/out_fd are borrowed. Holds no key and no
 * secret; the caller has confined it already (it uses read, write, poll, close, rt_sigprocmask
 * (SIGPIPE is blocked) and malloc). */
int mcp_front_run(int in_fd, int out_fd, int broker_fd);

/* ==== the front's internals (mcp/front.c, mcp/jsonrpc.c, mcp/tools.c) =======================
 * Added by the front's author; used by those files, tests/unit/mcp/ and the fuzz targets. */

/* cJSON trees appear only as struct cJSON (no cJSON.h here: the broker never sees JSON). */
struct cJSON;

/* ---- limits on what the client sends (docs/mcp.md "Protocol") ---- */
#define MCP_LINE_MAX (8u << 20)	   /* bytes of one JSON-RPC message (one line) */
#define MCP_JSON_DEPTH_MAX 64	   /* nested arrays/objects in one message */
#define MCP_JSON_VALUES_MAX 100000 /* JSON values in one message */
#define MCP_JSON_ID_MAX 256	   /* bytes of a request id as written */
#define MCP_CALLS_MAX 64	   /* tools/call requests in flight */
/* One line to the client. The SDKs' stdio readers close the connection past 10 MiB
 * (STDIO_DEFAULT_MAX_BUFFER_SIZE), counting what follows the line in the same read. */
#define MCP_RESPONSE_MAX (8u << 20)

/* ---- protocol revisions ---- */
enum mcp_proto {
	MCP_PROTO_NONE = 0,
	MCP_PROTO_2024_11_05, /* tools without annotations; progress without message */
	MCP_PROTO_2025_03_26, /* + tool annotations, progress message */
	MCP_PROTO_2025_06_18, /* + title, outputSchema, structuredContent */
	MCP_PROTO_2025_11_25, /* latest handshake revision */
	MCP_PROTO_2026_07_28, /* stateless: per-request _meta, server/discover, resultType, ttlMs */
};
#define MCP_PROTO_LEGACY_LATEST MCP_PROTO_2025_11_25
#define MCP_PROTO_MODERN_FIRST MCP_PROTO_2026_07_28
#define MCP_PROTO_LATEST MCP_PROTO_2026_07_28

/* "2025-11-25" for MCP_PROTO_2025_11_25; NULL for NONE or out of range. */
const char *mcp_proto_name(enum mcp_proto p);
/* The revision named s (NUL-terminated), or MCP_PROTO_NONE when unknown. */
enum mcp_proto mcp_proto_parse(const char *s);

/* ---- JSON-RPC error codes ---- */
#define MCP_RPC_PARSE_ERROR -32700
#define MCP_RPC_INVALID_REQUEST -32600
#define MCP_RPC_METHOD_NOT_FOUND -32601
#define MCP_RPC_INVALID_PARAMS -32602
#define MCP_RPC_INTERNAL_ERROR -32603
#define MCP_RPC_UNSUPPORTED_VERSION -32022 /* 2026-07-28: UnsupportedProtocolVersionError */

/* A JSON-RPC error to answer with. Functions that fail with one return -EINVAL (or -ENOMEM,
 * then code is MCP_RPC_INTERNAL_ERROR) and fill it through mcp_rpc_fail. */
struct mcp_rpc_err {
	int code;
	char msg[RETERR_MSG_MAX];
	struct cJSON *data; /* error.data or NULL; owned (mcp_rpc_err_release) */
};
/* Set code and message (printf-style; a NULL err is allowed) and return -EINVAL, or -ENOMEM
 * for MCP_RPC_INTERNAL_ERROR. */
int mcp_rpc_fail(struct mcp_rpc_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mcp_rpc_err_release(struct mcp_rpc_err *err);

/* ---- approvals through the client (mcp/elicit.c; docs/mcp.md "Approvals") ---- */
#define MCP_REQUEST_STATE_MAX 128 /* bytes of a requestState (ours are 76) */
enum {
	MCP_ELICIT_NONE = 0, /* no elicitation: the session agent asks (secretctl approve) */
	MCP_ELICIT_FORM,     /* 2025: the front sends elicitation/create (ELICIT -> ANSWER) */
	MCP_ELICIT_INPUT,    /* 2026-07-28: an input_required result, answered in a new call */
};

/* How a tools/call may ask the person, and a 2026-07-28 call's answer (CALL fields
 * "elicitation", "request_state", "approval_action", "approval_decision": mcp/mcp-server.h).
 * Strings are borrowed from the request. */
struct mcp_call_approval {
	int elicitation;      /* MCP_ELICIT_* */
	const char *state;    /* params.requestState, or NULL */
	const char *action;   /* inputResponses.approval.action, or NULL when absent */
	const char *decision; /* its content.decision when one of ours, else "" */
};
/* Whether client capabilities caps declare form elicitation: "elicitation" is {} or has
 * "form" ({"url": {}} alone does not). */
bool mcp_elicit_form_declared(const struct cJSON *caps);
/* The params of an elicitation/create request asking message in revision proto (mode form;
 * requestedSchema: one required string property "decision", oneOf allow_once / allow_session /
 * deny with titles; for 2025-06-18, no mode and enum with enumNames). NULL on ENOMEM. */
struct cJSON *mcp_elicit_params(const char *message, size_t len, enum mcp_proto proto);
/* A 2026-07-28 tools/call result asking that question: resultType input_required,
 * inputRequests.approval (elicitation/create) and requestState. NULL on ENOMEM. */
struct cJSON *mcp_elicit_input_required(const char *message, size_t len, const char *state,
					size_t state_len);
/* An ElicitResult: 0 with *ret_action ("accept", "decline", "cancel") and *ret_decision (one
 * of the choices, or "" for none or an unknown one), static strings; -EINVAL when it is not an
 * object with a known action and an object content (if any). */
int mcp_elicit_result_parse(const struct cJSON *res, const char **ret_action,
			    const char **ret_decision);
/* Read params.requestState and params.inputResponses.approval of a 2026-07-28 tools/call into
 * *ret (its elicitation is kept). 0, or -EINVAL with err (-32602) for a malformed one. */
int mcp_elicit_call_params(const struct cJSON *params, struct mcp_call_approval *ret,
			   struct mcp_rpc_err *err);

/* ---- the streaming JSON scanner (mcp/jsonrpc.c) ----
 * Checks one message while its bytes arrive, before anything is buffered or parsed: strict
 * RFC 8259 grammar (cJSON alone accepts "+1", "01", raw control characters and invalid UTF-8),
 * UTF-8 (no overlongs, surrogates or code points past U+10FFFF), the limits above, and
 * remembers the top-level "id" member as written so that a message refused for a limit can
 * still be answered with its id. Pure; fuzzed (tests/fuzz/fuzz_mcp_jsonrpc.c). */
enum mcp_scan_verdict {
	MCP_SCAN_OK = 0, /* one complete JSON value, nothing else but whitespace */
	MCP_SCAN_EMPTY,	 /* whitespace only */
	MCP_SCAN_SYNTAX, /* not JSON (what says why) */
	MCP_SCAN_LIMIT,	 /* JSON, but over a limit (what says which) */
};

struct mcp_json_scan {
	/* results, valid after mcp_json_scan_end */
	size_t bytes;	  /* bytes fed so far */
	size_t values;	  /* values seen */
	bool nul;	  /* a string holds \u0000 (cJSON would cut the string there) */
	const char *what; /* static text: the first problem, or NULL */
	/* The top-level "id" member of an object, as written (a string token with its quotes or
	 * a number), when id_state is MCP_SCAN_ID_DONE. */
	char id[MCP_JSON_ID_MAX];
	size_t id_len;
	int id_state;
	/* private */
	bool syntax, limit;
	unsigned char state, ret, sub, ulen, need, lo, hi, lit_len, lit_pos;
	bool key, key_is_id, id_next, capturing, high;
	unsigned depth, skip, key_pos;
	uint32_t u;
	const char *lit;
	unsigned char stack[MCP_JSON_DEPTH_MAX]; /* 1 object, 0 array */
};
enum { MCP_SCAN_ID_NONE = 0, MCP_SCAN_ID_CAPTURING, MCP_SCAN_ID_DONE, MCP_SCAN_ID_BAD };

void mcp_json_scan_init(struct mcp_json_scan *s);
/* Feed the next len bytes of the message (any split, no newline). */
void mcp_json_scan_feed(struct mcp_json_scan *s, const void *p, size_t len);
/* The message ended. Syntax errors win over limits. */
enum mcp_scan_verdict mcp_json_scan_end(struct mcp_json_scan *s);

/* In JSON text produced by the broker (trusted structure, untrusted string contents), rewrite
 * each \u0000 escape inside a string to \uFFFD in place (same length), so cJSON does not cut the
 * string at the NUL. */
void mcp_json_fix_nul(char *p, size_t len);
/* Append p[0..len) to out as valid UTF-8 without NUL: each byte of an invalid sequence and each
 * NUL becomes U+FFFD. 0 or -ENOMEM. */
int mcp_utf8_clean(const void *p, size_t len, struct buf *out);
/* Replace every string (and member name) in the tree that is not valid UTF-8 by its cleaned
 * form. 0 or -ENOMEM. */
int mcp_json_clean_strings(struct cJSON *node);
/* 1 and *ret_key (borrowed) when some object in the tree has a member name twice, 0 when not,
 * -ENOMEM. */
int mcp_json_dup_key(const struct cJSON *node, const char **ret_key);

/* ---- JSON-RPC envelopes (mcp/jsonrpc.c) ---- */
enum mcp_rpc_kind {
	MCP_RPC_REQUEST,
	MCP_RPC_NOTIFICATION,
	MCP_RPC_RESPONSE, /* the client answered something (we never send requests): ignored */
};

struct mcp_rpc {
	enum mcp_rpc_kind kind;
	const struct cJSON
		*id;	    /* REQUEST, RESPONSE: a string or a number (borrowed from the tree) */
	const char *method; /* REQUEST, NOTIFICATION */
	const struct cJSON *params; /* an object, or NULL when absent */
};

/* Check a parsed message against JSON-RPC 2.0 as MCP uses it (jsonrpc "2.0"; id a string or a
 * number, never null; method a string; params an object; no batches). 0 and *ret (pointing
 * into msg), or -EINVAL with err filled and *ret_id set to the request's id when it could be
 * read (else NULL: answer with id null). */
int mcp_rpc_parse(const struct cJSON *msg, struct mcp_rpc *ret, const struct cJSON **ret_id,
		  struct mcp_rpc_err *err);
/* Message builders; NULL on ENOMEM. id is copied (NULL: null); result, data and params are
 * taken (also on failure). */
struct cJSON *mcp_rpc_result(const struct cJSON *id, struct cJSON *result);
struct cJSON *mcp_rpc_error(const struct cJSON *id, int code, const char *message,
			    struct cJSON *data);
struct cJSON *mcp_rpc_notification(const char *method, struct cJSON *params);
/* Keep the request id of msg (a number) exactly as written, text/len (from the scanner): it is
 * replaced by a raw node, which the functions here treat as a number and print verbatim, so
 * 123456789012345678 comes back as sent, not rounded to a double. */
void mcp_rpc_keep_id(struct cJSON *msg, const char *text, size_t len);
/* A copy of an id (or a progress token) for an answer: a string, or a number kept as written,
 * as it is; another number as the shortest text that reads back as the same value (cJSON alone
 * may round it). NULL on ENOMEM. */
struct cJSON *mcp_rpc_id_copy(const struct cJSON *id);
/* Two ids are the same request: same type and equal value. */
bool mcp_rpc_id_equal(const struct cJSON *a, const struct cJSON *b);

/* ---- the tools (mcp/tools.c) ---- */
struct mcp_tool;

/* The tool named name (NUL-terminated), or NULL. */
const struct mcp_tool *mcp_tool_find(const char *name);
const char *mcp_tool_name(const struct mcp_tool *t);
/* The tools/list "tools" array as proto describes a tool (no annotations before 2025-03-26, no
 * title/outputSchema before 2025-06-18). NULL on ENOMEM. Caller frees (cJSON_Delete). */
struct cJSON *mcp_tools_list(enum mcp_proto proto);
/* The same with the tools that change folders when folder_writes (the policy's
 * mcp_folder_writes); mcp_tools_list leaves them out. */
struct cJSON *mcp_tools_list_with(enum mcp_proto proto, bool folder_writes);
/* Whether t changes folders (offered only when the policy turns that on). */
bool mcp_tool_folder_write(const struct mcp_tool *t);
/* The output schema of a tool as a new tree (caller frees), NULL on ENOMEM. */
struct cJSON *mcp_tool_output_schema(const struct mcp_tool *t);
/* Validate args (an object or NULL for none) against the tool's input schema and limits and
 * append the CALL message (id, fields tool, progress, the approval fields of ap (may be NULL)
 * and the arguments) to out. 0, or -EINVAL
 * with err (MCP_RPC_INVALID_PARAMS, a message naming the property), -ENOMEM, -E2BIG. */
int mcp_tool_encode_call(const struct mcp_tool *t, const struct cJSON *args, bool progress,
			 const struct mcp_call_approval *ap, uint64_t id, struct buf *out,
			 struct mcp_rpc_err *err);
/* Turn a RESULT message into a CallToolResult (content, structuredContent from 2025-06-18,
 * isError) whose compact JSON is at most max bytes (a text that repeats structuredContent is
 * shortened first, then a run's stdout/stderr are cut (truncated: true), else the result is a
 * tool error saying it was too large). 0 and *ret (caller frees), -EPROTO for a RESULT the
 * front cannot use (reason in err), -ENOMEM. */
int mcp_tool_result(const struct mcp_tool *t, enum mcp_proto proto, const struct mcp_wire_msg *m,
		    size_t max, struct cJSON **ret, struct mcp_rpc_err *err);
/* A CallToolResult with isError true and one text block. NULL on ENOMEM. */
struct cJSON *mcp_tool_error_result(const char *text);
/* Check value against the subset of JSON Schema the tool schemas use (type, properties,
 * required, additionalProperties false, items, enum, const, minimum, maximum, minItems,
 * maxItems). 0, or -EINVAL with the JSON path of the first mismatch in err->msg. */
int mcp_schema_check(const struct cJSON *schema, const struct cJSON *value,
		     struct mcp_rpc_err *err);

/* ---- the front (mcp/front.c) ---- */
struct mcp_front;

/* Where the front writes. Both return 0 or -errno. */
struct mcp_front_io {
	/* One protocol message for the client, its '\n' included; -EPIPE: the client left. */
	int (*client)(void *ctx, const char *p, size_t len);
	/* One complete wire message for the broker (mcp_front_run queues it: it must not block);
	 * any error means the broker is unusable. */
	int (*broker)(void *ctx, const void *p, size_t len);
	void *ctx;
};

/* A front that serves as secretctl version (bytes, cleaned; from READY). With version NULL the
 * broker is not ready yet: the first request and all input after it are held until
 * mcp_front_ready (or answered with -32603 after mcp_front_broker_lost); malformed lines and
 * notifications before it are handled at once. io is copied. NULL on ENOMEM. */
struct mcp_front *mcp_front_new(const struct mcp_front_io *io, const char *version,
				size_t version_len);
/* READY said whether the policy offers the tools that change folders (before mcp_front_ready;
 * off until then): they are listed and callable only when it does. */
void mcp_front_set_folder_writes(struct mcp_front *f, bool on);
/* READY arrived: serve as version and handle the held input. Returns as mcp_front_input. */
int mcp_front_ready(struct mcp_front *f, const char *version, size_t version_len);
/* Input is held for READY: the caller stops reading the client until then. */
bool mcp_front_holding(const struct mcp_front *f);
/* Free; NULL-safe; returns NULL. Calls in flight are forgotten (nothing is sent). */
struct mcp_front *mcp_front_free(struct mcp_front *f);
/* Bytes from the client, split anywhere: each complete line is handled as it ends (lines longer
 * than MCP_LINE_MAX are answered with an error and skipped). 0, or -EPIPE (the client is gone:
 * stop), -ENOTCONN (the broker cannot be written: call mcp_front_broker_lost and stop), -EIO (a
 * write to the client failed), -ENOMEM (input could not be kept). */
int mcp_front_input(struct mcp_front *f, const void *p, size_t len);
/* The client's input ended: a last line without '\n' is handled. Same returns. */
int mcp_front_input_end(struct mcp_front *f);
/* One complete line (without its '\n'); mcp_front_input calls it. Same returns. */
int mcp_front_line(struct mcp_front *f, const char *line, size_t len);
/* One decoded message from the broker (RESULT or PROGRESS; a RESULT or PROGRESS for no call in
 * flight, e.g. a cancelled one, is dropped). 0, -EPROTO for a message the broker must not send
 * (the caller gives up: mcp_front_broker_lost), or as above. */
int mcp_front_broker(struct mcp_front *f, const struct mcp_wire_msg *m);
/* The broker is gone: every call in flight (before READY: every held request) is answered
 * with -32603. Same returns. */
int mcp_front_broker_lost(struct mcp_front *f);
/* Calls in flight (for tests). */
size_t mcp_front_calls(const struct mcp_front *f);

/* Log one line on stderr ("secretctl mcp-server: ..."), unbuffered (write(2) only: the front
 * is confined). Control characters in the text are shown as '?'. */
void mcp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
