/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the JSON-RPC 2.0 layer of the front: a streaming scanner that checks each message (strict
 * grammar, UTF-8, limits) before cJSON builds a tree, envelope checks, and message builders. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mcp/mcp-internal.h"

/* ---- protocol revisions ------------------------------------------------------------------- */

static const char *const proto_names[] = {
	[MCP_PROTO_2024_11_05] = "2024-11-05", [MCP_PROTO_2025_03_26] = "2025-03-26",
	[MCP_PROTO_2025_06_18] = "2025-06-18", [MCP_PROTO_2025_11_25] = "2025-11-25",
	[MCP_PROTO_2026_07_28] = "2026-07-28",
};

const char *mcp_proto_name(enum mcp_proto p)
{
	if (p <= MCP_PROTO_NONE || p > MCP_PROTO_LATEST)
		return NULL;
	return proto_names[p];
}

enum mcp_proto mcp_proto_parse(const char *s)
{
	for (int p = MCP_PROTO_NONE + 1; p <= MCP_PROTO_LATEST; p++)
		if (s && strcmp(s, proto_names[p]) == 0)
			return (enum mcp_proto)p;
	return MCP_PROTO_NONE;
}

/* ---- errors ------------------------------------------------------------------------------- */

int mcp_rpc_fail(struct mcp_rpc_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		if (n < 0)
			err->msg[0] = '\0';
	}
	return code == MCP_RPC_INTERNAL_ERROR ? -ENOMEM : -EINVAL;
}

void mcp_rpc_err_release(struct mcp_rpc_err *err)
{
	if (err) {
		cJSON_Delete(err->data);
		err->data = NULL;
	}
}

/* ---- streaming scanner -------------------------------------------------------------------- */

enum {
	ST_VALUE,     /* a value must follow */
	ST_VALUE_END, /* after '[': a value or ']' */
	ST_KEY,	      /* after ',' in an object: a member name */
	ST_KEY_END,   /* after '{': a member name or '}' */
	ST_COLON,     /* after a member name */
	ST_AFTER,     /* after a value: ',' or the container's end */
	ST_DONE,      /* after the top-level value: whitespace only */
	ST_STRING,    /* inside a string */
	ST_ESC,	      /* after '\' */
	ST_UHEX,      /* inside \uXXXX */
	ST_UTF8,      /* inside a multi-byte UTF-8 sequence */
	ST_NUMBER,    /* inside a number (sub: N_*) */
	ST_LITERAL,   /* inside true/false/null */
	ST_SKIP,      /* deeper than MCP_JSON_DEPTH_MAX: brackets are counted, nothing else */
	ST_SKIP_STR,  /* a string inside the skipped part */
	ST_SKIP_ESC,
	ST_ERROR,
};

enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void mcp_json_scan_init(struct mcp_json_scan *s)
{
	*s = (struct mcp_json_scan){ .state = ST_VALUE };
}

static void scan_syntax(struct mcp_json_scan *s, const char *what)
{
	s->syntax = true;
	s->what = what;
	s->state = ST_ERROR;
}

static void scan_limit(struct mcp_json_scan *s, const char *what)
{
	if (!s->limit && !s->syntax)
		s->what = what;
	s->limit = true;
}

static void id_put(struct mcp_json_scan *s, unsigned char c)
{
	if (!s->capturing)
		return;
	if (s->id_len >= sizeof(s->id)) {
		s->capturing = false;
		s->id_state = MCP_SCAN_ID_BAD; /* too long to answer with */
		return;
	}
	s->id[s->id_len++] = (char)c;
}

static void id_done(struct mcp_json_scan *s)
{
	if (s->capturing) {
		s->capturing = false;
		s->id_state = MCP_SCAN_ID_DONE;
	}
}

/* A value ended: continue in the enclosing container. */
static void value_end(struct mcp_json_scan *s)
{
	s->state = s->depth == 0 ? ST_DONE : ST_AFTER;
}

/* c starts a value. */
static void value_start(struct mcp_json_scan *s, unsigned char c)
{
	bool id_next = s->id_next;
	s->id_next = false;
	if (++s->values > MCP_JSON_VALUES_MAX)
		scan_limit(s, "more than 100000 JSON values");
	if (id_next) {
		if (c == '"' || c == '-' || (c >= '0' && c <= '9')) {
			s->capturing = true;
			s->id_state = MCP_SCAN_ID_CAPTURING;
			id_put(s, c);
		} else {
			s->id_state = MCP_SCAN_ID_BAD;
		}
	}
	switch (c) {
	case '{':
	case '[':
		if (s->depth >= MCP_JSON_DEPTH_MAX) {
			scan_limit(s, "JSON nested deeper than 64 levels");
			s->skip = 1;
			s->state = ST_SKIP;
			return;
		}
		s->stack[s->depth++] = c == '{';
		s->state = c == '{' ? ST_KEY_END : ST_VALUE_END;
		return;
	case '"':
		s->key = false;
		s->state = ST_STRING;
		return;
	case 't':
	case 'f':
	case 'n':
		s->lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		s->lit_len = (unsigned char)strlen(s->lit);
		s->lit_pos = 1;
		s->state = ST_LITERAL;
		return;
	case '-':
		s->sub = N_MINUS;
		s->state = ST_NUMBER;
		return;
	default:
		if (c >= '0' && c <= '9') {
			s->sub = c == '0' ? N_ZERO : N_INT;
			s->state = ST_NUMBER;
			return;
		}
		scan_syntax(s, "expected a JSON value");
	}
}

static void container_end(struct mcp_json_scan *s, unsigned char c)
{
	bool obj = s->stack[s->depth - 1];
	if ((c == '}') != obj) {
		scan_syntax(s, "mismatched bracket");
		return;
	}
	s->depth--;
	value_end(s);
}

/* A string ended: a member name or a value. */
static void string_end(struct mcp_json_scan *s)
{
	if (s->key) {
		s->key_is_id = s->depth == 1 && s->key_pos == 2 && !s->high;
		s->state = ST_COLON;
		return;
	}
	id_done(s);
	value_end(s);
}

/* One character of a member name at depth 1, compared with "id" as it goes (escapes never
 * match: "\u0069d" is not recognised, which only costs the id in an error answer). */
static void key_char(struct mcp_json_scan *s, unsigned char c, bool raw)
{
	if (!s->key || s->depth != 1)
		return;
	if (s->key_pos < 2 && raw && c == "id"[s->key_pos])
		s->key_pos++;
	else
		s->key_pos = 3; /* never "id" */
}

/* A complete \uXXXX escape with value s->u. */
static void uescape_end(struct mcp_json_scan *s)
{
	uint32_t u = s->u;
	if (s->high) {
		if (u < 0xDC00 || u > 0xDFFF) {
			scan_syntax(s, "unpaired UTF-16 surrogate escape");
			return;
		}
		s->high = false;
	} else if (u >= 0xD800 && u <= 0xDBFF) {
		s->high = true; /* a low surrogate escape must follow at once */
	} else if (u >= 0xDC00 && u <= 0xDFFF) {
		scan_syntax(s, "unpaired UTF-16 surrogate escape");
		return;
	} else if (u == 0) {
		s->nul = true;
	}
	s->state = ST_STRING;
}

static void string_byte(struct mcp_json_scan *s, unsigned char c)
{
	if (s->high && c != '\\') {
		scan_syntax(s, "unpaired UTF-16 surrogate escape");
		return;
	}
	if (c == '"') {
		string_end(s);
		return;
	}
	if (c == '\\') {
		s->state = ST_ESC;
		key_char(s, c, false);
		return;
	}
	if (c < 0x20) {
		scan_syntax(s, "control character in a string");
		return;
	}
	key_char(s, c, true);
	if (c < 0x80)
		return;
	/* The first byte of a multi-byte sequence sets the range of the next byte. */
	s->lo = 0x80;
	s->hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		s->need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		s->need = 2;
		if (c == 0xE0)
			s->lo = 0xA0; /* no overlongs */
		else if (c == 0xED)
			s->hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		s->need = 3;
		if (c == 0xF0)
			s->lo = 0x90;
		else if (c == 0xF4)
			s->hi = 0x8F; /* nothing past U+10FFFF */
	} else {
		scan_syntax(s, "invalid UTF-8");
		return;
	}
	s->state = ST_UTF8;
}

static void number_byte(struct mcp_json_scan *s, unsigned char c)
{
	bool digit = c >= '0' && c <= '9';
	switch (s->sub) {
	case N_MINUS:
		if (!digit)
			goto bad;
		s->sub = c == '0' ? N_ZERO : N_INT;
		return;
	case N_ZERO:
	case N_INT:
		if (digit && s->sub == N_INT)
			return;
		if (digit)
			goto bad; /* a leading zero */
		if (c == '.') {
			s->sub = N_DOT;
			return;
		}
		if (c == 'e' || c == 'E') {
			s->sub = N_E;
			return;
		}
		goto end;
	case N_DOT:
		if (!digit)
			goto bad;
		s->sub = N_FRAC;
		return;
	case N_FRAC:
		if (digit)
			return;
		if (c == 'e' || c == 'E') {
			s->sub = N_E;
			return;
		}
		goto end;
	case N_E:
		if (c == '+' || c == '-') {
			s->sub = N_ESIGN;
			return;
		}
		if (!digit)
			goto bad;
		s->sub = N_EXP;
		return;
	case N_ESIGN:
		if (!digit)
			goto bad;
		s->sub = N_EXP;
		return;
	case N_EXP:
		if (digit)
			return;
		goto end;
	}
bad:
	scan_syntax(s, "malformed number");
	return;
end:
	/* c is not part of the number: the number ended before it. */
	id_done(s);
	value_end(s);
}

static bool number_complete(const struct mcp_json_scan *s)
{
	return s->sub == N_ZERO || s->sub == N_INT || s->sub == N_FRAC || s->sub == N_EXP;
}

static void scan_byte(struct mcp_json_scan *s, unsigned char c)
{
	switch (s->state) {
	case ST_ERROR: return;
	case ST_STRING:
		id_put(s, c);
		string_byte(s, c);
		return;
	case ST_ESC:
		id_put(s, c);
		if (s->high && c != 'u') {
			scan_syntax(s, "unpaired UTF-16 surrogate escape");
			return;
		}
		if (c == 'u') {
			s->u = 0;
			s->ulen = 0;
			s->state = ST_UHEX;
			return;
		}
		if (!strchr("\"\\/bfnrt", c) || c == '\0') {
			scan_syntax(s, "invalid escape in a string");
			return;
		}
		s->state = ST_STRING;
		return;
	case ST_UHEX: {
		id_put(s, c);
		int h = hexval(c);
		if (h < 0) {
			scan_syntax(s, "invalid \\u escape");
			return;
		}
		s->u = s->u << 4 | (uint32_t)h;
		if (++s->ulen == 4)
			uescape_end(s);
		return;
	}
	case ST_UTF8:
		id_put(s, c);
		if (c < s->lo || c > s->hi) {
			scan_syntax(s, "invalid UTF-8");
			return;
		}
		s->lo = 0x80;
		s->hi = 0xBF;
		if (--s->need == 0)
			s->state = ST_STRING;
		return;
	case ST_NUMBER:
		if (s->capturing && ((c >= '0' && c <= '9') || strchr(".eE+-", c)) && c)
			id_put(s, c);
		number_byte(s, c);
		if (s->state == ST_NUMBER || s->state == ST_ERROR)
			return;
		break; /* the number ended: c belongs to what follows */
	case ST_LITERAL:
		if (c != (unsigned char)s->lit[s->lit_pos]) {
			scan_syntax(s, "expected a JSON value");
			return;
		}
		if (++s->lit_pos == s->lit_len)
			value_end(s);
		return;
	case ST_SKIP:
		if (c == '"')
			s->state = ST_SKIP_STR;
		else if (c == '[' || c == '{')
			s->skip++;
		else if ((c == ']' || c == '}') && --s->skip == 0)
			value_end(s);
		return;
	case ST_SKIP_STR:
		if (c == '\\')
			s->state = ST_SKIP_ESC;
		else if (c == '"')
			s->state = ST_SKIP;
		return;
	case ST_SKIP_ESC: s->state = ST_SKIP_STR; return;
	default: break;
	}

	if (is_ws(c))
		return;
	switch (s->state) {
	case ST_VALUE: value_start(s, c); return;
	case ST_VALUE_END:
		if (c == ']')
			container_end(s, c);
		else
			value_start(s, c);
		return;
	case ST_KEY_END:
	case ST_KEY:
		if (c == '}' && s->state == ST_KEY_END) {
			container_end(s, c);
			return;
		}
		if (c != '"') {
			scan_syntax(s, "expected a member name");
			return;
		}
		s->key = true;
		s->key_pos = 0;
		s->state = ST_STRING;
		return;
	case ST_COLON:
		if (c != ':') {
			scan_syntax(s, "expected ':'");
			return;
		}
		if (s->key_is_id && s->id_state == MCP_SCAN_ID_NONE)
			s->id_next = true;
		s->key_is_id = false;
		s->state = ST_VALUE;
		return;
	case ST_AFTER:
		if (c == ',') {
			s->state = s->stack[s->depth - 1] ? ST_KEY : ST_VALUE;
			return;
		}
		if (c == ']' || c == '}') {
			container_end(s, c);
			return;
		}
		scan_syntax(s, "expected ',' or the end of an array or object");
		return;
	case ST_DONE: scan_syntax(s, "more than one JSON value in a message"); return;
	default: scan_syntax(s, "scanner state"); return;
	}
}

void mcp_json_scan_feed(struct mcp_json_scan *s, const void *p, size_t len)
{
	const unsigned char *c = p;
	if (__builtin_add_overflow(s->bytes, len, &s->bytes))
		s->bytes = SIZE_MAX;
	if (s->bytes > MCP_LINE_MAX)
		scan_limit(s, "message longer than 8 MiB");
	for (size_t i = 0; i < len && s->state != ST_ERROR; i++)
		scan_byte(s, c[i]);
}

enum mcp_scan_verdict mcp_json_scan_end(struct mcp_json_scan *s)
{
	if (s->state == ST_NUMBER) {
		if (!number_complete(s))
			scan_syntax(s, "malformed number");
		else {
			id_done(s);
			value_end(s);
		}
	}
	if (s->syntax)
		return MCP_SCAN_SYNTAX;
	if (s->state == ST_VALUE && s->depth == 0 && s->values == 0 && !s->limit)
		return MCP_SCAN_EMPTY;
	if (s->state != ST_DONE) {
		scan_syntax(s, "unexpected end of the message");
		return MCP_SCAN_SYNTAX;
	}
	return s->limit ? MCP_SCAN_LIMIT : MCP_SCAN_OK;
}

/* ---- cleaning what the broker sends ------------------------------------------------------- */

void mcp_json_fix_nul(char *p, size_t len)
{
	bool in = false;
	for (size_t i = 0; i < len; i++) {
		if (!in) {
			in = p[i] == '"';
			continue;
		}
		if (p[i] == '"') {
			in = false;
		} else if (p[i] == '\\' && i + 1 < len) {
			if (p[i + 1] == 'u' && i + 5 < len && memcmp(p + i + 2, "0000", 4) == 0)
				memcpy(p + i + 2, "FFFD", 4);
			i++; /* the escaped character (or 'u': its hex digits are ordinary bytes) */
		}
	}
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 when invalid or NUL. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need;
	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return need + 1;
}

int mcp_utf8_clean(const void *p, size_t len, struct buf *out)
{
	const unsigned char *c = p;
	size_t i = 0;
	while (i < len) {
		size_t run = i, k;
		while (run < len && (k = utf8_seq(c + run, len - run)) > 0)
			run += k;
		if (run > i && buf_append(out, c + i, run - i) < 0)
			return -ENOMEM;
		i = run;
		if (i < len) {
			if (buf_append(out, "\xEF\xBF\xBD", 3) < 0)
				return -ENOMEM;
			i++;
		}
	}
	/* An empty input still leaves a valid (empty) C string behind. */
	return buf_append(out, "", 0) < 0 ? -ENOMEM : 0;
}

/* Replace a malloc'd C string (cJSON's allocator) by its cleaned copy. */
static int clean_cstr(char **s)
{
	if (!*s || utf8_valid(*s, strlen(*s)))
		return 0;
	struct buf b = BUF_INIT;
	if (mcp_utf8_clean(*s, strlen(*s), &b) < 0) {
		buf_release(&b);
		return -ENOMEM;
	}
	char *copy = cJSON_malloc(b.len + 1);
	if (!copy) {
		buf_release(&b);
		return -ENOMEM;
	}
	memcpy(copy, b.data, b.len + 1);
	buf_release(&b);
	cJSON_free(*s);
	*s = copy;
	return 0;
}

int mcp_json_clean_strings(cJSON *node)
{
	for (; node; node = node->next) {
		/* A constant key is a literal of ours; names from a parse are owned. */
		if (!(node->type & cJSON_StringIsConst) && clean_cstr(&node->string) < 0)
			return -ENOMEM;
		if (cJSON_IsString(node) && !(node->type & cJSON_IsReference) &&
		    clean_cstr(&node->valuestring) < 0)
			return -ENOMEM;
		if (node->child && mcp_json_clean_strings(node->child) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int mcp_json_dup_key(const cJSON *node, const char **ret_key)
{
	for (; node; node = node->next) {
		if (cJSON_IsObject(node)) {
			size_t n = 0, k = 0;
			for (const cJSON *c = node->child; c; c = c->next)
				n++;
			if (n > 1) {
				const char **names = calloc(n, sizeof(*names));
				if (!names)
					return -ENOMEM;
				for (const cJSON *c = node->child; c; c = c->next)
					names[k++] = c->string ? c->string : "";
				qsort(names, n, sizeof(*names), cmp_names);
				for (k = 1; k < n; k++)
					if (strcmp(names[k - 1], names[k]) == 0)
						break;
				const char *dup = k < n ? names[k] : NULL;
				free(names);
				if (dup) {
					*ret_key = dup;
					return 1;
				}
			}
		}
		if (node->child) {
			int r = mcp_json_dup_key(node->child, ret_key);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

/* ---- envelopes ---------------------------------------------------------------------------- */

/* A number id kept as written (mcp_rpc_keep_id): a raw node. */
static bool id_number(const cJSON *id, double *ret)
{
	if (cJSON_IsNumber(id))
		*ret = id->valuedouble;
	else if (cJSON_IsRaw(id) && id->valuestring)
		*ret = strtod(id->valuestring, NULL);
	else
		return false;
	return true;
}

/* A string, or a number that prints back as itself (1e400 would come back as null). */
static bool id_ok(const cJSON *id)
{
	double v;
	return cJSON_IsString(id) || (id_number(id, &v) && isfinite(v));
}

void mcp_rpc_keep_id(cJSON *msg, const char *text, size_t len)
{
	cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	char raw[MCP_JSON_ID_MAX + 1];
	if (!cJSON_IsNumber(id) || !isfinite(id->valuedouble) || len == 0 || len >= sizeof(raw))
		return;
	memcpy(raw, text, len);
	raw[len] = '\0';
	cJSON *r = cJSON_CreateRaw(raw);
	if (r)
		cJSON_ReplaceItemInObjectCaseSensitive(msg, "id", r);
}

int mcp_rpc_parse(const cJSON *msg, struct mcp_rpc *ret, const cJSON **ret_id,
		  struct mcp_rpc_err *err)
{
	*ret_id = NULL;
	if (cJSON_IsArray(msg))
		return mcp_rpc_fail(err, MCP_RPC_INVALID_REQUEST,
				    "Invalid Request: batches (JSON arrays) are not supported");
	if (!cJSON_IsObject(msg))
		return mcp_rpc_fail(err, MCP_RPC_INVALID_REQUEST,
				    "Invalid Request: a message must be a JSON object");

	const cJSON *jsonrpc = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	bool has_result = cJSON_HasObjectItem(msg, "result");
	bool has_error = cJSON_HasObjectItem(msg, "error");

	if (id_ok(id))
		*ret_id = id;
	if (!cJSON_IsString(jsonrpc) || strcmp(jsonrpc->valuestring, "2.0") != 0)
		return mcp_rpc_fail(err, MCP_RPC_INVALID_REQUEST,
				    "Invalid Request: \"jsonrpc\" must be \"2.0\"");
	if (id && !id_ok(id))
		return mcp_rpc_fail(
			err, MCP_RPC_INVALID_REQUEST,
			"Invalid Request: \"id\" must be a string or a number (not null)");
	if (!method) {
		if (id && has_result != has_error) {
			*ret = (struct mcp_rpc){ .kind = MCP_RPC_RESPONSE, .id = id };
			return 0;
		}
		return mcp_rpc_fail(err, MCP_RPC_INVALID_REQUEST,
				    "Invalid Request: \"method\" is missing");
	}
	if (!cJSON_IsString(method))
		return mcp_rpc_fail(err, MCP_RPC_INVALID_REQUEST,
				    "Invalid Request: \"method\" must be a string");
	if (has_result || has_error)
		return mcp_rpc_fail(err, MCP_RPC_INVALID_REQUEST,
				    "Invalid Request: a request has no \"result\" or \"error\"");
	if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params))
		return mcp_rpc_fail(err, MCP_RPC_INVALID_REQUEST,
				    "Invalid Request: \"params\" must be an object");
	/* By-position params are JSON-RPC, but every MCP method takes an object. */
	if (cJSON_IsArray(params) && id)
		return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
				    "Invalid params: \"params\" must be an object");
	*ret = (struct mcp_rpc){
		.kind = id ? MCP_RPC_REQUEST : MCP_RPC_NOTIFICATION,
		.id = id,
		.method = method->valuestring,
		.params = cJSON_IsObject(params) ? params : NULL,
	};
	return 0;
}

/* A copy of a request id to answer with. cJSON prints numbers with "%1.15g" and keeps that when
 * it is equal within a relative epsilon, so 9007199254740991 would come back as
 * 9.00719925474099e+15: print the shortest text that reads back as exactly the same double. */
cJSON *mcp_rpc_id_copy(const cJSON *id)
{
	if (!cJSON_IsNumber(id))
		return cJSON_Duplicate(id, false); /* a string, or a number kept as written */
	char text[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, id->valuedouble);
		if (strtod(text, NULL) == id->valuedouble)
			break;
	}
	return cJSON_CreateRaw(text);
}

static cJSON *envelope(const cJSON *id, bool with_id)
{
	cJSON *m = cJSON_CreateObject();
	if (!m || !cJSON_AddStringToObject(m, "jsonrpc", "2.0"))
		goto fail;
	if (with_id) {
		cJSON *i = id ? mcp_rpc_id_copy(id) : cJSON_CreateNull();
		if (!i)
			goto fail;
		cJSON_AddItemToObject(m, "id", i);
	}
	return m;
fail:
	cJSON_Delete(m);
	return NULL;
}

cJSON *mcp_rpc_result(const cJSON *id, cJSON *result)
{
	cJSON *m = result ? envelope(id, true) : NULL;
	if (!m) {
		cJSON_Delete(result);
		return NULL;
	}
	cJSON_AddItemToObject(m, "result", result);
	return m;
}

cJSON *mcp_rpc_error(const cJSON *id, int code, const char *message, cJSON *data)
{
	cJSON *m = envelope(id, true);
	cJSON *e = cJSON_CreateObject();
	if (!m || !e || !cJSON_AddNumberToObject(e, "code", code) ||
	    !cJSON_AddStringToObject(e, "message", message)) {
		cJSON_Delete(m);
		cJSON_Delete(e);
		cJSON_Delete(data);
		return NULL;
	}
	if (data)
		cJSON_AddItemToObject(e, "data", data);
	cJSON_AddItemToObject(m, "error", e);
	return m;
}

cJSON *mcp_rpc_notification(const char *method, cJSON *params)
{
	cJSON *m = envelope(NULL, false);
	if (!m || !cJSON_AddStringToObject(m, "method", method)) {
		cJSON_Delete(m);
		cJSON_Delete(params);
		return NULL;
	}
	if (params)
		cJSON_AddItemToObject(m, "params", params);
	return m;
}

bool mcp_rpc_id_equal(const cJSON *a, const cJSON *b)
{
	double x, y;
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring) == 0;
	/* Numbers by value; two numbers as written beyond 2^53 (where doubles collide) by text. */
	if (cJSON_IsRaw(a) && cJSON_IsRaw(b) && strcmp(a->valuestring, b->valuestring) == 0)
		return true;
	if (!id_number(a, &x) || !id_number(b, &y) || x != y)
		return false;
	return !(cJSON_IsRaw(a) && cJSON_IsRaw(b)) || fabs(x) < 9007199254740992.0;
}
