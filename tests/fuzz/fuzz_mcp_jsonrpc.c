/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the MCP front (mcp/front.c, jsonrpc.c, tools.c) on hostile client bytes,
 * with a fake broker that answers every CALL. Input: one flags byte, then the bytes of stdin
 * (lines), fed in chunks whose size the flags choose. Checks that (a) nothing crashes or leaks,
 * (b) every line written to the client is one valid UTF-8 JSON-RPC 2.0 message (a response with
 * an id and exactly one of result/error, or a notification), (c) every message to the broker
 * decodes and is a CALL or CANCEL, a CALL with the fields tool and progress, (d) the scanner
 * never accepts what cJSON cannot parse, (e) no call is left in flight at the end. Flags: bit 0
 * send initialize first (bits 1-2 pick the version), bit 3 answer calls, bit 4 send progress
 * first, bit 5 answer with broken results, bit 6 chunk size, bit 7 start before READY (it comes
 * after the first chunk; with bit 5 the broker fails instead). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/common.h"
#include "mcp/mcp-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CALLS_KEPT 256

struct sink {
	uint64_t calls[CALLS_KEPT];
	size_t ncalls;
};

static int client_line(void *ctx, const char *p, size_t len)
{
	(void)ctx;
	if (len == 0 || p[len - 1] != '\n' || memchr(p, '\n', len - 1) || !utf8_valid(p, len))
		abort();
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(p, len - 1, &end, false);
	if (!j || end != p + len - 1)
		abort();
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "jsonrpc");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0") != 0)
		abort();
	bool has_id = cJSON_HasObjectItem(j, "id");
	bool res = cJSON_HasObjectItem(j, "result"), err = cJSON_HasObjectItem(j, "error");
	bool method = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "method"));
	if (has_id ? (res == err || method) : (!method || res || err))
		abort();
	if (err) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
		if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "code")) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
			abort();
	}
	cJSON_Delete(j);
	return 0;
}

static int broker_msg(void *ctx, const void *p, size_t len)
{
	struct sink *s = ctx;
	struct mcp_wire_msg m;
	if (mcp_wire_decode(p, len, &m) < 0)
		abort();
	if (m.type == MCP_W_CALL) {
		if (!mcp_wire_get(&m, "tool", MCP_WK_STR) ||
		    !mcp_wire_get(&m, "progress", MCP_WK_BOOL))
			abort();
		if (s->ncalls < CALLS_KEPT)
			s->calls[s->ncalls++] = m.id;
	} else if (m.type != MCP_W_CANCEL || m.nfields != 0) {
		abort();
	}
	return 0;
}

/* (d): a differential check of the scanner against cJSON, line by line. */
static void check_scanner(const uint8_t *p, size_t len)
{
	while (len > 0) {
		const uint8_t *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) : len;
		struct mcp_json_scan s;
		mcp_json_scan_init(&s);
		mcp_json_scan_feed(&s, p, n);
		if (mcp_json_scan_end(&s) == MCP_SCAN_OK) {
			cJSON *j = cJSON_ParseWithLength((const char *)p, n);
			if (!j)
				abort();
			cJSON_Delete(j);
		}
		if (!nl)
			break;
		p += n + 1;
		len -= n + 1;
	}
}

static const char *const answers[] = {
	"{\"exit_code\":0,\"stdout\":\"a\\u0000\xff\",\"stderr\":\"\",\"duration_ms\":1,"
	"\"sanitized\":true,\"timed_out\":false,\"truncated\":false}",
	"{\"secrets\":[]}",
	"{\"exists\":false,\"key\":\"k\"}",
};
static const char *const broken[] = { "", "[", "{\"a\":1} 2", "\"s\"", "{\"x\":{}}" };

static void answer(struct mcp_front *f, struct sink *s, uint8_t flags)
{
	for (size_t i = 0; i < s->ncalls; i++) {
		struct buf b = BUF_INIT;
		struct mcp_wire_enc e;
		struct mcp_wire_msg m;
		if (flags & 0x10) {
			mcp_wire_begin(&e, &b, MCP_W_PROGRESS, s->calls[i]);
			mcp_wire_int(&e, "progress", (int64_t)i + 1);
			mcp_wire_int(&e, "total", 10);
			mcp_wire_cstr(&e, "message", "step \xc3");
			if (mcp_wire_end(&e) == 0 && mcp_wire_decode(b.data, b.len, &m) == 0)
				(void)mcp_front_broker(f, &m);
			buf_reset(&b);
		}
		mcp_wire_begin(&e, &b, MCP_W_RESULT, s->calls[i]);
		mcp_wire_bool(&e, "error", i % 3 == 2);
		if (flags & 0x20)
			mcp_wire_cstr(&e, "json", broken[i % ARRAY_SIZE(broken)]);
		else
			mcp_wire_cstr(&e, "json", answers[i % ARRAY_SIZE(answers)]);
		if (i % 3 == 2)
			mcp_wire_cstr(&e, "message", "failed \xff");
		if (mcp_wire_end(&e) == 0 && mcp_wire_decode(b.data, b.len, &m) == 0)
			(void)mcp_front_broker(f, &m);
		buf_release(&b);
	}
	s->ncalls = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const versions[] = { "2024-11-05", "2025-03-26", "2025-06-18",
						"2025-11-25" };
	struct sink s = { .ncalls = 0 };
	struct mcp_front_io io = { client_line, broker_msg, &s };
	if (size == 0)
		return 0;
	uint8_t flags = data[0];
	data++;
	size--;
	check_scanner(data, size);

	bool waiting = flags & 0x80;
	struct mcp_front *f = mcp_front_new(&io, waiting ? NULL : "0.0.0-fuzz", 10);
	if (!f)
		return 0;
	if (flags & 1) {
		struct buf b = BUF_INIT;
		if (buf_printf(&b,
			       "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
			       "{\"protocolVersion\":\"%s\",\"capabilities\":{}}}",
			       versions[(flags >> 1) & 3]) == 0)
			(void)mcp_front_line(f, b.data, b.len);
		buf_release(&b);
	}
	size_t chunk = flags & 0x40 ? 7 : 61;
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (mcp_front_input(f, data + off, n) < 0)
			break;
		if (waiting) {
			waiting = false;
			if (flags & 0x20)
				(void)mcp_front_broker_lost(f);
			else
				(void)mcp_front_ready(f, "1.2.3", 5);
		}
		if (flags & 8)
			answer(f, &s, flags);
	}
	(void)mcp_front_input_end(f);
	if (flags & 8)
		answer(f, &s, flags);
	(void)mcp_front_broker_lost(f);
	if (mcp_front_calls(f) != 0)
		abort();
	mcp_front_free(f);
	return 0;
}
