/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the front process of `secretctl mcp-server`: newline-delimited JSON-RPC on stdio in both
 * protocol eras (the initialize handshake, and 2026-07-28's per-request _meta), one handler per
 * method, tool calls forwarded to the broker as CALL messages and answered in whatever order
 * their RESULTs arrive. Holds no key and no secret; runs confined (read/write/poll only). */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "mcp/mcp-internal.h"

#define SERVER_NAME "secretctl"
#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"
#define META_INFO "io.modelcontextprotocol/clientInfo"
#define LIST_TTL_MS 3600000 /* tools/list and server/discover: the list is fixed per binary */
#define INSTRUCTIONS                                                                           \
	"secretctl keeps secrets in a local vault and lets you use them without seeing them. " \
	"Find keys with secret_list or secret_exists, inspect them masked with "               \
	"secret_get_masked, ask policy_check whether a command may run, then run it with "     \
	"secret_run: the secrets are in its environment and their values are redacted from "   \
	"its output."

/* A tools/call in flight. */
struct call {
	uint64_t wire_id; /* 0: a free slot */
	cJSON *id;	  /* the request's id */
	cJSON *token;	  /* its progressToken, or NULL */
	const struct mcp_tool *tool;
	enum mcp_proto proto;
	bool modern;
	bool progressed;
	double progress; /* the last progress sent */
	uint64_t asking; /* n of our elicitation/create "secretctl-approval-<n>" waiting, or 0 */
};

enum broker_state {
	BROKER_WAITING, /* no READY yet: requests are held */
	BROKER_READY,
	BROKER_DOWN, /* it stopped before READY: requests are answered with an error */
};

struct mcp_front {
	struct mcp_front_io io;
	enum broker_state state;
	struct buf held;	/* input from the first request that waits for READY */
	char *version;		/* ours, for serverInfo */
	enum mcp_proto session; /* negotiated by initialize; NONE before */
	uint64_t next_wire;
	struct call calls[MCP_CALLS_MAX];
	size_t ncalls;
	/* The line being received: its bytes (until it passes MCP_LINE_MAX: dropping) and the
	 * scanner that sees all of them. */
	struct buf line;
	struct mcp_json_scan scan;
	bool dropping;
	struct buf out;	    /* scratch: one line to the client */
	struct buf wire;    /* scratch: one message to the broker */
	bool folder_writes; /* the policy offers the tools that change folders (READY says) */
	bool elicit_form;   /* initialize declared form elicitation (2025 handshake era) */
	uint64_t next_ask;  /* our elicitation/create requests so far */
};

/* One request being handled. */
struct req {
	const cJSON *id;
	const cJSON *params; /* an object or NULL */
	const cJSON *meta;   /* params._meta: an object or NULL */
	enum mcp_proto proto;
	bool modern; /* served statelessly (2026-07-28 _meta) */
};

/* ---- writing ------------------------------------------------------------------------------ */

/* Send msg (taken) to the client as one line. 0, -EPIPE (the client left), -EIO, -ENOMEM. */
static int send_json(struct mcp_front *f, cJSON *msg)
{
	if (!msg)
		return -ENOMEM;
	char *s = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	if (!s)
		return -ENOMEM;
	buf_reset(&f->out);
	int r = buf_puts(&f->out, s);
	cJSON_free(s);
	if (r == 0)
		r = buf_putc(&f->out, '\n');
	if (r < 0)
		return -ENOMEM;
	r = f->io.client(f->io.ctx, f->out.data, f->out.len);
	if (f->out.cap > (1u << 20))
		buf_release(&f->out); /* do not keep a large result's buffer */
	if (r < 0)
		return r == -EPIPE ? -EPIPE : -EIO;
	return 0;
}

/* After a failure to answer: a lost client or a failed write stops the front; running out of
 * memory loses one answer (logged) and the front goes on. */
static int sent(int r)
{
	if (r == -ENOMEM) {
		mcp_log("out of memory: a response was not sent");
		return 0;
	}
	return r;
}

static int reply_error(struct mcp_front *f, const cJSON *id, int code, const char *msg, cJSON *data)
{
	return sent(send_json(f, mcp_rpc_error(id, code, msg, data)));
}

static int reply_err(struct mcp_front *f, const cJSON *id, struct mcp_rpc_err *e)
{
	cJSON *data = e->data;
	e->data = NULL;
	return reply_error(f, id, e->code, e->msg, data);
}

/* 2026-07-28 results carry resultType and say who answered in _meta. */
static int decorate(struct mcp_front *f, cJSON *result)
{
	cJSON *meta = cJSON_AddObjectToObject(result, "_meta");
	cJSON *info =
		meta ? cJSON_AddObjectToObject(meta, "io.modelcontextprotocol/serverInfo") : NULL;
	if ((!cJSON_HasObjectItem(result, "resultType") &&
	     !cJSON_AddStringToObject(result, "resultType", "complete")) ||
	    !info || !cJSON_AddStringToObject(info, "name", SERVER_NAME) ||
	    !cJSON_AddStringToObject(info, "version", f->version))
		return -ENOMEM;
	return 0;
}

/* Answer request id with result (taken). */
static int reply_result(struct mcp_front *f, const cJSON *id, bool modern, cJSON *result)
{
	if (result && modern && decorate(f, result) < 0) {
		cJSON_Delete(result);
		result = NULL;
	}
	if (!result)
		return reply_error(f, id, MCP_RPC_INTERNAL_ERROR, "Internal error: out of memory",
				   NULL);
	return sent(send_json(f, mcp_rpc_result(id, result)));
}

/* Send one wire message (f->wire) to the broker. -ENOTCONN when it is gone. */
static int send_wire(struct mcp_front *f)
{
	int r = f->io.broker(f->io.ctx, f->wire.data, f->wire.len);
	buf_reset(&f->wire);
	if (f->wire.cap > (1u << 20))
		buf_release(&f->wire);
	return r < 0 ? -ENOTCONN : 0;
}

/* ---- calls in flight ---------------------------------------------------------------------- */

static int ask_withdraw(struct mcp_front *f, struct call *c);
static int client_response(struct mcp_front *f, const cJSON *msg, const cJSON *id);

static struct call *call_by_wire(struct mcp_front *f, uint64_t wire_id)
{
	for (size_t i = 0; i < MCP_CALLS_MAX && wire_id; i++)
		if (f->calls[i].wire_id == wire_id)
			return &f->calls[i];
	return NULL;
}

static struct call *call_by_id(struct mcp_front *f, const cJSON *id)
{
	for (size_t i = 0; i < MCP_CALLS_MAX; i++)
		if (f->calls[i].wire_id && mcp_rpc_id_equal(f->calls[i].id, id))
			return &f->calls[i];
	return NULL;
}

static void call_drop(struct mcp_front *f, struct call *c)
{
	cJSON_Delete(c->id);
	cJSON_Delete(c->token);
	*c = (struct call){ 0 };
	f->ncalls--;
}

size_t mcp_front_calls(const struct mcp_front *f)
{
	return f->ncalls;
}

/* ---- methods ------------------------------------------------------------------------------ */

/* The versions a request may name in its _meta (the handshake revisions are negotiated by
 * initialize instead, as the v2 SDK does); server/discover and UnsupportedProtocolVersion
 * errors list these. */
static const char *const modern_versions[] = { "2026-07-28" };

static cJSON *versions_json(void)
{
	return cJSON_CreateStringArray(modern_versions, (int)ARRAY_SIZE(modern_versions));
}

static cJSON *server_capabilities(void)
{
	cJSON *caps = cJSON_CreateObject();
	if (caps && !cJSON_AddObjectToObject(caps, "tools"))
		caps = (cJSON_Delete(caps), NULL);
	return caps;
}

static int do_initialize(struct mcp_front *f, const struct req *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->params, "protocolVersion");
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(r->params, "capabilities");
	const cJSON *info = cJSON_GetObjectItemCaseSensitive(r->params, "clientInfo");

	if (!r->params)
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: initialize needs params", NULL);
	if (f->session != MCP_PROTO_NONE)
		return reply_error(
			f, r->id, MCP_RPC_INVALID_REQUEST,
			"Invalid Request: initialize was already called on this connection", NULL);
	if (!cJSON_IsString(v))
		return reply_error(
			f, r->id, MCP_RPC_INVALID_PARAMS,
			"Invalid params: initialize needs \"protocolVersion\" (a string)", NULL);
	if (!cJSON_IsObject(caps))
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: initialize needs \"capabilities\" (an object)",
				   NULL);
	if (info && !cJSON_IsObject(info))
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: \"clientInfo\" must be an object", NULL);

	/* The client's version when we speak it, else our latest handshake revision (the client
	 * then decides whether it can go on). 2026-07-28 has no initialize. */
	enum mcp_proto p = mcp_proto_parse(v->valuestring);
	if (p == MCP_PROTO_NONE || p >= MCP_PROTO_MODERN_FIRST)
		p = MCP_PROTO_LEGACY_LATEST;

	cJSON *res = cJSON_CreateObject(), *si;
	if (!res || !cJSON_AddStringToObject(res, "protocolVersion", mcp_proto_name(p)))
		goto nomem;
	cJSON *c = server_capabilities();
	if (!c)
		goto nomem;
	cJSON_AddItemToObject(res, "capabilities", c);
	if (!(si = cJSON_AddObjectToObject(res, "serverInfo")) ||
	    !cJSON_AddStringToObject(si, "name", SERVER_NAME) ||
	    !cJSON_AddStringToObject(si, "version", f->version) ||
	    !cJSON_AddStringToObject(res, "instructions", INSTRUCTIONS))
		goto nomem;
	f->session = p;
	/* Elicitation exists from 2025-06-18. */
	f->elicit_form = p >= MCP_PROTO_2025_06_18 && mcp_elicit_form_declared(caps);
	return reply_result(f, r->id, false, res);
nomem:
	cJSON_Delete(res);
	return reply_result(f, r->id, false, NULL);
}

static int do_ping(struct mcp_front *f, const struct req *r)
{
	return reply_result(f, r->id, false, cJSON_CreateObject());
}

static int do_discover(struct mcp_front *f, const struct req *r)
{
	cJSON *res = cJSON_CreateObject(), *v = versions_json(), *c = server_capabilities();
	if (!res || !v || !c) {
		cJSON_Delete(v);
		cJSON_Delete(c);
		goto nomem;
	}
	cJSON_AddItemToObject(res, "supportedVersions", v);
	cJSON_AddItemToObject(res, "capabilities", c);
	if (!cJSON_AddStringToObject(res, "instructions", INSTRUCTIONS) ||
	    !cJSON_AddNumberToObject(res, "ttlMs", LIST_TTL_MS) ||
	    !cJSON_AddStringToObject(res, "cacheScope", "public"))
		goto nomem;
	return reply_result(f, r->id, r->modern, res);
nomem:
	cJSON_Delete(res);
	return reply_result(f, r->id, r->modern, NULL);
}

static int do_tools_list(struct mcp_front *f, const struct req *r)
{
	/* One page holds every tool, so no cursor we could have issued exists. */
	if (cJSON_GetObjectItemCaseSensitive(r->params, "cursor"))
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS, "Invalid cursor", NULL);
	cJSON *res = cJSON_CreateObject(), *tools = mcp_tools_list_with(r->proto, f->folder_writes);
	if (!res || !tools) {
		cJSON_Delete(res);
		cJSON_Delete(tools);
		return reply_result(f, r->id, r->modern, NULL);
	}
	cJSON_AddItemToObject(res, "tools", tools);
	/* 2026-07-28: list results are cacheable; this list is the same for every caller. */
	if (r->modern && (!cJSON_AddNumberToObject(res, "ttlMs", LIST_TTL_MS) ||
			  !cJSON_AddStringToObject(res, "cacheScope", "public"))) {
		cJSON_Delete(res);
		res = NULL;
	}
	return reply_result(f, r->id, r->modern, res);
}

/* A name from the client, for an error message: at most SHOWN_MAX bytes, cut at a UTF-8
 * character boundary, copied into out (so the compiler can bound what snprintf writes). */
#define SHOWN_MAX 64
static void shown(const char *s, char out[static SHOWN_MAX + 1])
{
	size_t n = strnlen(s, SHOWN_MAX + 1);
	if (n > SHOWN_MAX)
		for (n = SHOWN_MAX; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80;)
			n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

static int do_tools_call(struct mcp_front *f, const struct req *r)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(r->params, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(r->params, "arguments");
	const cJSON *token = cJSON_GetObjectItemCaseSensitive(r->meta, "progressToken");
	struct mcp_rpc_err err = { 0 };
	char msg[160];

	if (!cJSON_IsString(name))
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: tools/call needs \"name\" (a string)", NULL);
	const struct mcp_tool *t = mcp_tool_find(name->valuestring);
	/* Tools the policy does not offer are not listed, and unknown here too. */
	if (t && mcp_tool_folder_write(t) && !f->folder_writes)
		t = NULL;
	if (!t) {
		char nm[SHOWN_MAX + 1];
		shown(name->valuestring, nm);
		snprintf(msg, sizeof(msg), "Unknown tool: %s", nm);
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS, msg, NULL);
	}
	if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: \"arguments\" must be an object", NULL);
	if (token && !cJSON_IsString(token) && !cJSON_IsNumber(token))
		return reply_error(
			f, r->id, MCP_RPC_INVALID_PARAMS,
			"Invalid params: _meta.progressToken must be a string or a number", NULL);
	/* Ids identify calls for cancellation: two calls in flight may not share one. */
	if (call_by_id(f, r->id))
		return reply_error(f, r->id, MCP_RPC_INVALID_REQUEST,
				   "Invalid Request: this id belongs to a request still in flight",
				   NULL);

	/* How the person can be asked about a run: per request in 2026-07-28 (its answer comes
	 * back in this request), per connection in the handshake era. */
	struct mcp_call_approval ap = { 0 };
	if (r->modern) {
		const cJSON *caps = cJSON_GetObjectItemCaseSensitive(r->meta, META_CAPS);
		ap.elicitation =
			mcp_elicit_form_declared(caps) ? MCP_ELICIT_INPUT : MCP_ELICIT_NONE;
		if (mcp_elicit_call_params(r->params, &ap, &err) < 0)
			return reply_err(f, r->id, &err);
	} else if (f->elicit_form) {
		ap.elicitation = MCP_ELICIT_FORM;
	}
	/* The wire id is taken only when the call is sent. */
	uint64_t wire_id = f->next_wire + 1;
	buf_reset(&f->wire);
	int e = mcp_tool_encode_call(t, cJSON_IsObject(args) ? args : NULL, token != NULL, &ap,
				     wire_id, &f->wire, &err);
	if (e < 0)
		return reply_err(f, r->id, &err);

	if (f->ncalls == MCP_CALLS_MAX) {
		buf_reset(&f->wire);
		snprintf(msg, sizeof(msg),
			 "%d tool calls are already running; wait for one to finish or cancel one",
			 MCP_CALLS_MAX);
		cJSON *res = mcp_tool_error_result(msg);
		return reply_result(f, r->id, r->modern, res);
	}
	struct call *c = NULL;
	for (size_t i = 0; i < MCP_CALLS_MAX && !c; i++)
		if (!f->calls[i].wire_id)
			c = &f->calls[i];
	*c = (struct call){
		.wire_id = wire_id,
		.id = cJSON_Duplicate(r->id, false),
		.token = token ? cJSON_Duplicate(token, false) : NULL,
		.tool = t,
		.proto = r->proto,
		.modern = r->modern,
	};
	f->ncalls++;
	f->next_wire = wire_id;
	if (!c->id || (token && !c->token)) {
		call_drop(f, c);
		buf_reset(&f->wire);
		return reply_result(f, r->id, r->modern, NULL);
	}
	if (send_wire(f) < 0) {
		/* The broker is gone; the caller answers every call in flight (this one too). */
		return -ENOTCONN;
	}
	return 0;
}

enum {
	M_LEGACY = 1u << 0,  /* served after initialize (and this revision's requests) */
	M_MODERN = 1u << 1,  /* served with 2026-07-28 per-request _meta */
	M_PREINIT = 1u << 2, /* served before initialize too */
};

struct method {
	const char *name;
	int (*fn)(struct mcp_front *f, const struct req *r);
	unsigned flags;
};

static const struct method methods[] = {
	{ "initialize", do_initialize, M_LEGACY | M_PREINIT },
	{ "ping", do_ping, M_LEGACY | M_PREINIT }, /* removed in 2026-07-28 */
	{ "server/discover", do_discover, M_MODERN },
	{ "tools/list", do_tools_list, M_LEGACY | M_MODERN },
	{ "tools/call", do_tools_call, M_LEGACY | M_MODERN },
};

static const struct method *find_method(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/* A request with 2026-07-28 _meta: check its version and the required fields. */
static int check_modern(struct mcp_front *f, struct req *r, const cJSON *version)
{
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(r->meta, META_CAPS);
	const cJSON *info = cJSON_GetObjectItemCaseSensitive(r->meta, META_INFO);
	char msg[160];

	if (!cJSON_IsString(version))
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: _meta \"" META_VERSION "\" must be a string",
				   NULL);
	enum mcp_proto p = mcp_proto_parse(version->valuestring);
	if (p < MCP_PROTO_MODERN_FIRST) {
		cJSON *data = cJSON_CreateObject(), *v = versions_json();
		if (!data || !v ||
		    !cJSON_AddStringToObject(data, "requested", version->valuestring)) {
			cJSON_Delete(data);
			cJSON_Delete(v);
			data = NULL;
		} else {
			cJSON_AddItemToObject(data, "supported", v);
		}
		if (p != MCP_PROTO_NONE)
			snprintf(msg, sizeof(msg),
				 "Unsupported protocol version: %s is served after initialize, not "
				 "with per-request _meta",
				 version->valuestring);
		else
			snprintf(msg, sizeof(msg), "Unsupported protocol version");
		return reply_error(f, r->id, MCP_RPC_UNSUPPORTED_VERSION, msg, data);
	}
	if (!cJSON_IsObject(caps))
		return reply_error(
			f, r->id, MCP_RPC_INVALID_PARAMS,
			"Invalid params: _meta \"" META_CAPS "\" (an object) is required", NULL);
	if (info && !cJSON_IsObject(info))
		return reply_error(f, r->id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: _meta \"" META_INFO "\" must be an object",
				   NULL);
	r->proto = p;
	r->modern = true;
	return 1;
}

static int handle_request(struct mcp_front *f, const struct mcp_rpc *rpc)
{
	struct req r = { .id = rpc->id, .params = rpc->params };
	const struct method *m = find_method(rpc->method);
	char msg[160];

	r.meta = cJSON_GetObjectItemCaseSensitive(r.params, "_meta");
	if (r.meta && !cJSON_IsObject(r.meta))
		return reply_error(f, r.id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: \"_meta\" must be an object", NULL);
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(r.meta, META_VERSION);

	char nm[SHOWN_MAX + 1];
	shown(rpc->method, nm);
	snprintf(msg, sizeof(msg), "Method not found: %s", nm);
	/* Until the broker is ready every request waits, in order: even server/discover, which
	 * needs nothing from it, so that a server that cannot start (a wrong password) never looks
	 * connected to a client that probes first. */
	if (f->state == BROKER_WAITING)
		return -EAGAIN;
	if (f->state == BROKER_DOWN)
		return reply_error(f, r.id, MCP_RPC_INTERNAL_ERROR,
				   "Internal error: secretctl could not start (no vault, a wrong "
				   "password or a bad policy file?); its stderr says why",
				   NULL);
	/* A 2026-07-28 request names a method of that revision: initialize and ping are not. */
	if (version) {
		int e = check_modern(f, &r, version);
		if (e <= 0)
			return e;
		if (!m || !(m->flags & M_MODERN))
			return reply_error(f, r.id, MCP_RPC_METHOD_NOT_FOUND, msg, NULL);
		return m->fn(f, &r);
	}
	if (!m)
		return reply_error(f, r.id, MCP_RPC_METHOD_NOT_FOUND, msg, NULL);
	if (!(m->flags & M_LEGACY))
		return reply_error(f, r.id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: _meta \"" META_VERSION "\" and \"" META_CAPS
				   "\" are required",
				   NULL);
	if (f->session == MCP_PROTO_NONE && !(m->flags & M_PREINIT))
		return reply_error(f, r.id, MCP_RPC_INVALID_PARAMS,
				   "Invalid params: send initialize first (protocol 2025-11-25 and "
				   "earlier), or give _meta \"" META_VERSION "\" (2026-07-28)",
				   NULL);
	r.proto = f->session;
	return m->fn(f, &r);
}

static int handle_notification(struct mcp_front *f, const struct mcp_rpc *rpc)
{
	/* notifications/initialized needs nothing: requests are served once initialize was
	 * answered (clients send tools/list right after the notification anyway). */
	if (strcmp(rpc->method, "notifications/cancelled") == 0) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(rpc->params, "requestId");
		struct call *c = call_by_id(f, id);
		if (!c)
			return 0; /* finished already, or never ours to cancel */
		/* No answer is sent for a cancelled request: forget it now; a RESULT or PROGRESS
		 * that was already on its way finds no call and is dropped. */
		struct mcp_wire_enc e;
		buf_reset(&f->wire);
		mcp_wire_begin(&e, &f->wire, MCP_W_CANCEL, c->wire_id);
		if (ask_withdraw(f, c) < 0) {
			call_drop(f, c);
			return -EPIPE;
		}
		call_drop(f, c);
		if (mcp_wire_end(&e) < 0)
			return 0;
		return send_wire(f);
	}
	return 0; /* other notifications need nothing from us */
}

/* ---- lines -------------------------------------------------------------------------------- */

/* The id written in a message refused before it was parsed, when it is a usable id. */
static cJSON *scanned_id(const struct mcp_json_scan *s)
{
	if (s->id_state != MCP_SCAN_ID_DONE)
		return NULL;
	cJSON *id = cJSON_ParseWithLength(s->id, s->id_len);
	if (!cJSON_IsString(id) && !(cJSON_IsNumber(id) && isfinite(id->valuedouble)))
		id = (cJSON_Delete(id), NULL);
	if (cJSON_IsNumber(id)) {
		/* As written, like the id of a message that parses (mcp_rpc_keep_id). */
		cJSON *wrap = cJSON_CreateObject();
		if (wrap) {
			cJSON_AddItemToObject(wrap, "id", id);
			mcp_rpc_keep_id(wrap, s->id, s->id_len);
			id = cJSON_DetachItemFromObjectCaseSensitive(wrap, "id");
			cJSON_Delete(wrap);
		}
	}
	return id;
}

static int handle_message(struct mcp_front *f, const cJSON *msg)
{
	struct mcp_rpc rpc;
	struct mcp_rpc_err err = { 0 };
	const cJSON *id;
	if (mcp_rpc_parse(msg, &rpc, &id, &err) < 0)
		return reply_err(f, id, &err);
	switch (rpc.kind) {
	case MCP_RPC_REQUEST: return handle_request(f, &rpc);
	case MCP_RPC_NOTIFICATION: return handle_notification(f, &rpc);
	case MCP_RPC_RESPONSE: return client_response(f, msg, id);
	}
	return 0;
}

/* A line has ended: s saw all of its bytes, line holds them unless it was too long (NULL). */
static int handle_scanned(struct mcp_front *f, struct mcp_json_scan *s, const char *line,
			  size_t len)
{
	enum mcp_scan_verdict v = mcp_json_scan_end(s);
	char msg[160];
	cJSON *id = NULL;
	int r;

	if (v == MCP_SCAN_EMPTY)
		return 0;
	if (v == MCP_SCAN_SYNTAX) {
		snprintf(msg, sizeof(msg), "Parse error: %s", s->what);
		return reply_error(f, NULL, MCP_RPC_PARSE_ERROR, msg, NULL);
	}
	id = scanned_id(s);
	if (v == MCP_SCAN_OK && !line) {
		/* mcp_front_input could not keep the line. */
		r = reply_error(f, id, MCP_RPC_INTERNAL_ERROR, "Internal error: out of memory",
				NULL);
		goto out;
	}
	if (v == MCP_SCAN_LIMIT) {
		snprintf(msg, sizeof(msg), "Invalid Request: %s",
			 s->what ? s->what : "message too large");
		r = reply_error(f, id, MCP_RPC_INVALID_REQUEST, msg, NULL);
		goto out;
	}
	if (s->nul) {
		r = reply_error(f, id, MCP_RPC_INVALID_REQUEST,
				"Invalid Request: strings must not contain \\u0000", NULL);
		goto out;
	}
	cJSON *msg_json = cJSON_ParseWithLength(line, len);
	if (!msg_json) {
		/* The scanner accepted it, so only memory can be missing. */
		r = reply_error(f, id, MCP_RPC_INTERNAL_ERROR, "Internal error: out of memory",
				NULL);
		goto out;
	}
	const char *dup = NULL;
	int d = mcp_json_dup_key(msg_json, &dup);
	if (d == 0 && s->id_state == MCP_SCAN_ID_DONE)
		mcp_rpc_keep_id(msg_json, s->id, s->id_len);
	if (d != 0) {
		if (d > 0) {
			char nm[SHOWN_MAX + 1];
			shown(dup, nm);
			snprintf(msg, sizeof(msg), "Invalid Request: member \"%s\" appears twice",
				 nm);
		}
		r = reply_error(f, id, d > 0 ? MCP_RPC_INVALID_REQUEST : MCP_RPC_INTERNAL_ERROR,
				d > 0 ? msg : "Internal error: out of memory", NULL);
	} else {
		r = handle_message(f, msg_json);
	}
	cJSON_Delete(msg_json);
out:
	cJSON_Delete(id);
	return r;
}

int mcp_front_line(struct mcp_front *f, const char *line, size_t len)
{
	struct mcp_json_scan s;
	mcp_json_scan_init(&s);
	mcp_json_scan_feed(&s, line, len);
	return handle_scanned(f, &s, len <= MCP_LINE_MAX ? line : NULL, len);
}

static int end_line(struct mcp_front *f)
{
	int r = handle_scanned(f, &f->scan, f->dropping ? NULL : f->line.data, f->line.len);
	if (r == -EAGAIN) {
		/* Held for READY: keep the line (it was not too long: it parsed). */
		if (buf_append(&f->held, f->line.data, f->line.len) < 0 ||
		    buf_putc(&f->held, '\n') < 0)
			r = -ENOMEM;
	}
	mcp_json_scan_init(&f->scan);
	f->dropping = false;
	buf_reset(&f->line);
	if (f->line.cap > (1u << 20))
		buf_release(&f->line);
	return r;
}

int mcp_front_input(struct mcp_front *f, const void *p, size_t len)
{
	const char *c = p;
	if (f->held.len)
		return buf_append(&f->held, p, len) < 0 ? -ENOMEM : 0;
	while (len > 0) {
		const char *nl = memchr(c, '\n', len);
		size_t seg = nl ? (size_t)(nl - c) : len;
		mcp_json_scan_feed(&f->scan, c, seg);
		if (!f->dropping) {
			if (f->line.len + seg > MCP_LINE_MAX) {
				/* Keep scanning (for its id) but stop keeping it. */
				f->dropping = true;
				buf_release(&f->line);
			} else if (buf_append(&f->line, c, seg) < 0) {
				mcp_log("out of memory: a message was dropped");
				f->dropping = true;
				buf_release(&f->line);
			}
		}
		if (!nl)
			break;
		int r = end_line(f);
		c += seg + 1;
		len -= seg + 1;
		if (r == -EAGAIN) /* everything after a held line waits too */
			return buf_append(&f->held, c, len) < 0 ? -ENOMEM : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int mcp_front_input_end(struct mcp_front *f)
{
	if (f->held.len)
		return 0; /* the caller stops reading while input is held */
	int r = f->scan.bytes > 0 ? end_line(f) : 0;
	return r == -EAGAIN ? 0 : r;
}

bool mcp_front_holding(const struct mcp_front *f)
{
	return f->held.len > 0;
}

/* The broker's state changed: go through the held input again. */
static int replay(struct mcp_front *f)
{
	struct buf held = f->held;
	buf_init(&f->held);
	int r = held.len ? mcp_front_input(f, held.data, held.len) : 0;
	buf_release(&held);
	return r;
}

void mcp_front_set_folder_writes(struct mcp_front *f, bool on)
{
	f->folder_writes = on;
}

int mcp_front_ready(struct mcp_front *f, const char *version, size_t version_len)
{
	struct buf v = BUF_INIT;
	if (mcp_utf8_clean(version, version_len, &v) < 0)
		return -ENOMEM;
	free(f->version);
	f->version = buf_detach(&v);
	f->state = BROKER_READY;
	return replay(f);
}

/* ---- broker messages ---------------------------------------------------------------------- */

#define ASK_PREFIX "secretctl-approval-"

/* Our elicitation/create for call c is moot (its call was answered: the broker gave up
 * waiting, or the client went on): tell the client, and forget it, so that a late answer finds
 * nothing to answer. */
static int ask_withdraw(struct mcp_front *f, struct call *c)
{
	char id[48];
	if (!c->asking)
		return 0;
	snprintf(id, sizeof(id), ASK_PREFIX "%llu", (unsigned long long)c->asking);
	c->asking = 0;
	cJSON *params = cJSON_CreateObject();
	if (!params || !cJSON_AddStringToObject(params, "requestId", id) ||
	    !cJSON_AddStringToObject(params, "reason", "the approval is no longer needed")) {
		cJSON_Delete(params);
		return sent(-ENOMEM);
	}
	return sent(send_json(f, mcp_rpc_notification("notifications/cancelled", params)));
}

/* A run waits for the person (2026-07-28): answer with the question and the broker's
 * requestState; the client repeats the call with both. */
static int input_required(struct mcp_front *f, struct call *c, const struct mcp_wire_msg *m)
{
	const struct mcp_wire_field *msg = mcp_wire_get(m, "message", MCP_WK_STR);
	const struct mcp_wire_field *st = mcp_wire_get(m, "request_state", MCP_WK_STR);
	if (!c->modern || !msg || !st) {
		mcp_log("%s: an input_required result for a call that cannot take one",
			mcp_tool_name(c->tool));
		return reply_error(f, c->id, MCP_RPC_INTERNAL_ERROR,
				   "Internal error: the broker sent an unusable result", NULL);
	}
	return reply_result(f, c->id, true,
			    mcp_elicit_input_required(msg->str, msg->len, st->str, st->len));
}

static int broker_result(struct mcp_front *f, const struct mcp_wire_msg *m)
{
	struct call *c = call_by_wire(f, m->id);
	const struct mcp_wire_field *ir = mcp_wire_get(m, "input_required", MCP_WK_BOOL);
	struct mcp_rpc_err err = { 0 };
	cJSON *res = NULL;
	int r;

	if (!c)
		return 0; /* cancelled: no answer */
	if ((r = ask_withdraw(f, c)) < 0) {
		call_drop(f, c);
		return r;
	}
	if (ir && ir->b) {
		r = input_required(f, c, m);
		call_drop(f, c);
		return r;
	}
	/* Room for the envelope: id (at most MCP_JSON_ID_MAX bytes, escaped) and _meta. */
	int e = mcp_tool_result(c->tool, c->proto, m, MCP_RESPONSE_MAX - 4096, &res, &err);
	if (e == -EPROTO) {
		mcp_log("%s: unusable result from the broker: %s", mcp_tool_name(c->tool), err.msg);
		r = reply_error(f, c->id, MCP_RPC_INTERNAL_ERROR,
				"Internal error: the broker sent an unusable result", NULL);
	} else {
		r = reply_result(f, c->id, c->modern, e < 0 ? NULL : res);
	}
	call_drop(f, c);
	return r;
}

/* Tell the broker what the client answered to the question about call c. */
static int send_answer(struct mcp_front *f, uint64_t wire_id, const char *action,
		       const char *decision)
{
	struct mcp_wire_enc e;
	buf_reset(&f->wire);
	mcp_wire_begin(&e, &f->wire, MCP_W_ANSWER, wire_id);
	mcp_wire_cstr(&e, "action", action);
	mcp_wire_cstr(&e, "decision", decision);
	if (mcp_wire_end(&e) < 0)
		return sent(-ENOMEM);
	return send_wire(f);
}

/* The broker wants the person asked about call m->id (2025 handshake era): send the client an
 * elicitation/create request of our own. */
static int broker_elicit(struct mcp_front *f, const struct mcp_wire_msg *m)
{
	struct call *c = call_by_wire(f, m->id);
	const struct mcp_wire_field *msg = mcp_wire_get(m, "message", MCP_WK_STR);
	char id[48];
	if (!c)
		return 0; /* cancelled meanwhile: the broker sees the CANCEL */
	if (!msg || c->modern || !f->elicit_form || c->asking)
		return send_answer(f, c->wire_id, "error", "");
	c->asking = ++f->next_ask;
	snprintf(id, sizeof(id), ASK_PREFIX "%llu", (unsigned long long)c->asking);
	cJSON *req = cJSON_CreateObject(),
	      *params = mcp_elicit_params(msg->str, msg->len, c->proto);
	if (!req || !params || !cJSON_AddStringToObject(req, "jsonrpc", "2.0") ||
	    !cJSON_AddStringToObject(req, "id", id) ||
	    !cJSON_AddStringToObject(req, "method", "elicitation/create")) {
		cJSON_Delete(req);
		cJSON_Delete(params);
		c->asking = 0;
		return send_answer(f, c->wire_id, "error", "");
	}
	cJSON_AddItemToObject(req, "params", params);
	return send_json(f, req);
}

/* A response from the client: the answer to one of our elicitation/create requests, or
 * something nothing waits for (ignored). */
static int client_response(struct mcp_front *f, const cJSON *msg, const cJSON *id)
{
	const char *action = "error", *decision = "";
	unsigned long long n = 0;
	int used = 0;
	if (!cJSON_IsString(id) || sscanf(id->valuestring, ASK_PREFIX "%llu%n", &n, &used) != 1 ||
	    id->valuestring[used] != '\0' || !n)
		return 0;
	struct call *c = NULL;
	for (size_t i = 0; i < MCP_CALLS_MAX && !c; i++)
		if (f->calls[i].wire_id && f->calls[i].asking == n)
			c = &f->calls[i];
	if (!c)
		return 0; /* too late: the broker gave up, or the call was cancelled */
	c->asking = 0;
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(msg, "result");
	if (res && mcp_elicit_result_parse(res, &action, &decision) < 0) {
		action = "error"; /* malformed: denied */
		decision = "";
	}
	return send_answer(f, c->wire_id, action, decision);
}

static int broker_progress(struct mcp_front *f, const struct mcp_wire_msg *m)
{
	struct call *c = call_by_wire(f, m->id);
	const struct mcp_wire_field *p = mcp_wire_get(m, "progress", MCP_WK_INT);
	const struct mcp_wire_field *t = mcp_wire_get(m, "total", MCP_WK_INT);
	const struct mcp_wire_field *msg = mcp_wire_get(m, "message", MCP_WK_STR);

	if (!c || !c->token || !p)
		return 0;
	double v = (double)p->i;
	/* Progress must increase with every notification. */
	if (c->progressed && v <= c->progress)
		return 0;
	cJSON *params = cJSON_CreateObject(), *tok = mcp_rpc_id_copy(c->token);
	if (!params || !tok) {
		cJSON_Delete(params);
		cJSON_Delete(tok);
		return sent(-ENOMEM);
	}
	cJSON_AddItemToObject(params, "progressToken", tok);
	bool ok = cJSON_AddNumberToObject(params, "progress", v) != NULL;
	if (ok && t && t->i > 0)
		ok = cJSON_AddNumberToObject(params, "total", (double)t->i) != NULL;
	/* message exists from 2025-03-26. */
	if (ok && msg && c->proto >= MCP_PROTO_2025_03_26) {
		struct buf b = BUF_INIT;
		ok = mcp_utf8_clean(msg->str, msg->len, &b) == 0 &&
		     cJSON_AddStringToObject(params, "message", b.data) != NULL;
		buf_release(&b);
	}
	if (!ok) {
		cJSON_Delete(params);
		return sent(-ENOMEM);
	}
	c->progressed = true;
	c->progress = v;
	return sent(send_json(f, mcp_rpc_notification("notifications/progress", params)));
}

int mcp_front_broker(struct mcp_front *f, const struct mcp_wire_msg *m)
{
	switch (m->type) {
	case MCP_W_RESULT: return broker_result(f, m);
	case MCP_W_PROGRESS: return broker_progress(f, m);
	case MCP_W_ELICIT: return broker_elicit(f, m);
	default: return -EPROTO;
	}
}

int mcp_front_broker_lost(struct mcp_front *f)
{
	int r = 0;
	if (f->state == BROKER_WAITING) {
		f->state = BROKER_DOWN;
		return replay(f);
	}
	for (size_t i = 0; i < MCP_CALLS_MAX; i++) {
		struct call *c = &f->calls[i];
		if (!c->wire_id)
			continue;
		if (r == 0)
			r = reply_error(f, c->id, MCP_RPC_INTERNAL_ERROR,
					"Internal error: the secretctl broker process stopped; "
					"restart the MCP server (its stderr says why)",
					NULL);
		call_drop(f, c);
	}
	return r;
}

/* ---- the front ---------------------------------------------------------------------------- */

struct mcp_front *mcp_front_new(const struct mcp_front_io *io, const char *version,
				size_t version_len)
{
	struct mcp_front *f = calloc(1, sizeof(*f));
	struct buf v = BUF_INIT;
	if (!f)
		return NULL;
	f->io = *io;
	f->state = version ? BROKER_READY : BROKER_WAITING;
	mcp_json_scan_init(&f->scan);
	if (!version) {
		version = SECRETCTL_VERSION; /* this binary's, as the broker's READY will say */
		version_len = strlen(version);
	}
	if (mcp_utf8_clean(version, version_len, &v) < 0) {
		free(f);
		return NULL;
	}
	f->version = buf_detach(&v);
	if (!f->version) {
		free(f);
		return NULL;
	}
	return f;
}

struct mcp_front *mcp_front_free(struct mcp_front *f)
{
	if (!f)
		return NULL;
	for (size_t i = 0; i < MCP_CALLS_MAX; i++)
		if (f->calls[i].wire_id)
			call_drop(f, &f->calls[i]);
	buf_release(&f->line);
	buf_release(&f->held);
	buf_release(&f->out);
	buf_release(&f->wire);
	free(f->version);
	free(f);
	return NULL;
}

/* ---- the process: a poll loop over stdin and the broker ----------------------------------- */

/* Messages for the broker wait in a queue and go out in chunks when the socket has room, so
 * the front never sits in a write to the broker: the broker writes RESULTs blocking, and a
 * large CALL written blocking while a large RESULT waits for us would deadlock both. A chunk
 * this small after POLLOUT never blocks (POLLOUT on a unix stream socket means at most a quarter
 * of the default 208 KiB send buffer is in use). */
#define BROKER_CHUNK (16u << 10)
/* Past this many queued bytes stdin is not read until the broker catches up. */
#define BROKER_QUEUE_HIGH (8u << 20)

struct fds {
	int out, broker;
	struct buf q; /* for the broker, from qoff */
	size_t qoff;
};

static int fd_client(void *ctx, const char *p, size_t len)
{
	const struct fds *d = ctx;
	return fd_write_all(d->out, p, len);
}

static int fd_broker(void *ctx, const void *p, size_t len)
{
	struct fds *d = ctx;
	return buf_append(&d->q, p, len) < 0 ? -ENOMEM : 0;
}

enum run_state {
	RUN_ON,
	RUN_DONE,   /* stdin ended or the client left: exit 0 */
	RUN_BROKEN, /* the broker is gone or broke the protocol: exit 1 */
	RUN_FAILED, /* we cannot go on (a write to stdout failed): exit 1 */
};

static enum run_state after_input(int r)
{
	if (r == -ENOTCONN) {
		mcp_log("cannot queue a message for the broker: out of memory");
		return RUN_BROKEN;
	}
	if (r == -EPIPE) {
		mcp_log("stdout was closed: stopping");
		return RUN_DONE;
	}
	if (r < 0) {
		mcp_log("cannot write to stdout: %s", strerrordesc_np(-r));
		return RUN_FAILED;
	}
	return RUN_ON;
}

/* Take every complete message out of in (from offset 0); compacts in. */
static enum run_state broker_messages(struct mcp_front *f, bool *ready, struct buf *in)
{
	size_t off = 0;
	enum run_state st = RUN_ON;
	while (st == RUN_ON) {
		ssize_t total = mcp_wire_frame_len(in->data + off, in->len - off);
		if (total == 0 || (total > 0 && (size_t)total > in->len - off))
			break;
		struct mcp_wire_msg m;
		if (total < 0 || mcp_wire_decode(in->data + off, (size_t)total, &m) < 0) {
			mcp_log("malformed message from the broker");
			st = RUN_BROKEN;
			break;
		}
		off += (size_t)total;
		int r;
		if (!*ready) {
			const struct mcp_wire_field *v = mcp_wire_get(&m, "version", MCP_WK_STR);
			if (m.type != MCP_W_READY) {
				mcp_log("the broker did not start with READY");
				st = RUN_BROKEN;
				continue;
			}
			*ready = true;
			const struct mcp_wire_field *fw =
				mcp_wire_get(&m, "folder_writes", MCP_WK_BOOL);
			mcp_front_set_folder_writes(f, fw && fw->b);
			r = mcp_front_ready(f, v ? v->str : SECRETCTL_VERSION,
					    v ? v->len : strlen(SECRETCTL_VERSION));
			st = after_input(r);
			continue;
		}
		r = mcp_front_broker(f, &m);
		if (r == -EPROTO) {
			mcp_log("unexpected message (type %d) from the broker", (int)m.type);
			st = RUN_BROKEN;
		} else if (r == -EPIPE) {
			mcp_log("stdout was closed: stopping");
			st = RUN_DONE;
		} else if (r < 0) {
			mcp_log("cannot write to stdout: %s", strerrordesc_np(-r));
			st = RUN_FAILED;
		}
	}
	if (off > 0) {
		memmove(in->data, in->data + off, in->len - off);
		in->len -= off;
		in->data[in->len] = '\0';
	}
	return st;
}

/* Write one chunk of the queue (the socket had room). */
static enum run_state flush_chunk(struct fds *d)
{
	size_t left = d->q.len - d->qoff;
	ssize_t n =
		write(d->broker, d->q.data + d->qoff, left < BROKER_CHUNK ? left : BROKER_CHUNK);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return RUN_ON;
		mcp_log("the broker stopped (%s)", strerrordesc_np(errno));
		return RUN_BROKEN;
	}
	d->qoff += (size_t)n;
	if (d->qoff == d->q.len) {
		d->qoff = 0;
		buf_reset(&d->q);
		if (d->q.cap > (1u << 20))
			buf_release(&d->q);
	}
	return RUN_ON;
}

/* The broker's socket is readable: take what it sent. */
static enum run_state broker_input(struct mcp_front *f, int broker_fd, bool *ready,
				   struct buf *from_broker)
{
	static char chunk[1u << 16];
	ssize_t n = fd_read(broker_fd, chunk, sizeof(chunk));
	if (n <= 0) {
		mcp_log(*ready ? "the broker stopped" : "the broker stopped before it was ready");
		return RUN_BROKEN;
	}
	if (buf_append(from_broker, chunk, (size_t)n) < 0) {
		mcp_log("out of memory");
		return RUN_FAILED;
	}
	return broker_messages(f, ready, from_broker);
}

/* stdin is readable (or ended). */
static enum run_state client_input(struct mcp_front *f, int in_fd)
{
	static char chunk[1u << 16];
	ssize_t n = fd_read(in_fd, chunk, sizeof(chunk));
	if (n < 0)
		mcp_log("reading stdin: %s", strerrordesc_np((int)-n));
	if (n > 0)
		return after_input(mcp_front_input(f, chunk, (size_t)n));
	enum run_state st = after_input(mcp_front_input_end(f));
	return st == RUN_ON ? RUN_DONE : st;
}

int mcp_front_run(int in_fd, int out_fd, int broker_fd)
{
	struct fds d = { .out = out_fd, .broker = broker_fd, .q = BUF_INIT };
	struct mcp_front_io io = { fd_client, fd_broker, &d };
	struct mcp_front *f = mcp_front_new(&io, NULL, 0);
	struct buf from_broker = BUF_INIT;
	bool ready = false, down = false;
	enum run_state st = RUN_ON;
	sigset_t pipe_set;

	/* A reader that left must be an EPIPE we handle, not a signal that kills us (the
	 * confined front may not install a handler; blocking is allowed). */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, NULL);

	if (!f) {
		mcp_log("out of memory");
		close(broker_fd);
		return 1;
	}
	while (st == RUN_ON) {
		size_t queued = d.q.len - d.qoff;
		/* Input held until READY, or a broker that is behind: stdin waits in the pipe. */
		bool read_stdin = !mcp_front_holding(f) && queued < BROKER_QUEUE_HIGH;
		struct pollfd p[2] = {
			{ .fd = down ? -1 : broker_fd,
			  .events = (short)(POLLIN | (queued ? POLLOUT : 0)) },
			{ .fd = read_stdin ? in_fd : -1, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			mcp_log("poll: %s", strerrordesc_np(errno));
			st = RUN_FAILED;
			break;
		}
		if (p[0].revents & POLLOUT)
			st = flush_chunk(&d);
		if (st == RUN_ON && (p[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
			st = broker_input(f, broker_fd, &ready, &from_broker);
		if (st == RUN_ON && read_stdin && p[1].revents)
			st = client_input(f, in_fd);
		if (st == RUN_BROKEN && !ready && !down) {
			/* The broker could not start (no vault, a wrong password, a bad policy):
			 * every request gets that answer until the client leaves, so that it can
			 * show the user why instead of "connection closed". */
			down = true;
			close(broker_fd);
			broker_fd = -1;
			st = after_input(mcp_front_broker_lost(f));
		}
	}
	if (st == RUN_BROKEN && mcp_front_broker_lost(f) < 0)
		mcp_log("could not answer the calls in flight");
	/* Closing our end tells the broker to stop every run. */
	if (broker_fd >= 0)
		close(broker_fd);
	mcp_front_free(f);
	buf_release(&from_broker);
	buf_release(&d.q);
	return st == RUN_DONE && !down ? 0 : 1;
}
