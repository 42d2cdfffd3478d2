/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of mcp/jsonrpc.c: the streaming JSON scanner (grammar, UTF-8, limits, the id of a
 * refused message), cleaning what the broker sends, duplicate member names, envelopes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/common.h"
#include "mcp/mcp-internal.h"
#include "tests/unit/unit.h"

/* Scan text whole, and again one byte at a time: both must agree. */
static enum mcp_scan_verdict scan2(const char *text, size_t len, struct mcp_json_scan *ret)
{
	struct mcp_json_scan a, b;
	mcp_json_scan_init(&a);
	mcp_json_scan_feed(&a, text, len);
	enum mcp_scan_verdict va = mcp_json_scan_end(&a);
	mcp_json_scan_init(&b);
	for (size_t i = 0; i < len; i++)
		mcp_json_scan_feed(&b, text + i, 1);
	enum mcp_scan_verdict vb = mcp_json_scan_end(&b);
	ck_assert_msg(va == vb, "split scan differs for %s", text);
	ck_assert_int_eq(a.id_state, b.id_state);
	ck_assert_uint_eq(a.id_len, b.id_len);
	ck_assert_int_eq(memcmp(a.id, b.id, a.id_len), 0);
	ck_assert_int_eq(a.nul, b.nul);
	if (ret)
		*ret = a;
	return va;
}

static enum mcp_scan_verdict scan(const char *text, struct mcp_json_scan *ret)
{
	return scan2(text, strlen(text), ret);
}

START_TEST(test_scan_valid)
{
	static const char *const ok[] = {
		"{}",
		"[]",
		"0",
		"-0",
		"1.5",
		"1e10",
		"1E+2",
		"-1.5e-3",
		"123",
		"\"\"",
		"true",
		"false",
		"null",
		" { \"a\" : [ 1 , 2 , { } ] } ",
		"{\"a\":{\"b\":{\"c\":[null]}}}",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"",
		"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		"\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"",
		"[0,-1,2.50,3e0,4E-0]",
		"\t\r\n{}\r",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
		"\"\x7f\"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct mcp_json_scan s;
		ck_assert_msg(scan(ok[i], &s) == MCP_SCAN_OK, "refused: %s (%s)", ok[i],
			      s.what ? s.what : "");
		/* cJSON must agree that it is JSON. */
		cJSON *j = cJSON_Parse(ok[i]);
		ck_assert_msg(j != NULL, "cJSON refused %s", ok[i]);
		cJSON_Delete(j);
	}
	ck_assert_int_eq(scan("", NULL), MCP_SCAN_EMPTY);
	ck_assert_int_eq(scan(" \t\r", NULL), MCP_SCAN_EMPTY);
}
END_TEST

START_TEST(test_scan_invalid)
{
	static const struct {
		const char *text, *what;
	} bad[] = {
		{ "{", "unexpected end of the message" },
		{ "[1", "unexpected end of the message" },
		{ "\"abc", "unexpected end of the message" },
		{ "{\"a\"", "unexpected end of the message" },
		{ "-", "malformed number" },
		{ "01", "malformed number" },
		{ "-01", "malformed number" },
		{ "1.", "malformed number" },
		{ ".5", "expected a JSON value" },
		{ "1e", "malformed number" },
		{ "1e+", "malformed number" },
		{ "+1", "expected a JSON value" },
		{ "0x1", "more than one JSON value in a message" },
		{ "--1", "malformed number" },
		{ "1.2.3", "more than one JSON value in a message" },
		{ "1 2", "more than one JSON value in a message" },
		{ "{} {}", "more than one JSON value in a message" },
		{ "nul", "unexpected end of the message" },
		{ "nulll", "more than one JSON value in a message" },
		{ "True", "expected a JSON value" },
		{ "NaN", "expected a JSON value" },
		{ "[1,]", "expected a JSON value" },
		{ "[,1]", "expected a JSON value" },
		{ "{\"a\":1,}", "expected a member name" },
		{ "{,}", "expected a member name" },
		{ "{1:2}", "expected a member name" },
		{ "{\"a\":1 \"b\":2}", "expected ',' or the end of an array or object" },
		{ "{\"a\"::1}", "expected a JSON value" },
		{ "[1}", "mismatched bracket" },
		{ "{\"a\":1]", "mismatched bracket" },
		{ "]", "expected a JSON value" },
		{ "\"a\nb\"", "control character in a string" },
		{ "\"\x01\"", "control character in a string" },
		{ "\"\\a\"", "invalid escape in a string" },
		{ "\"\\u12G4\"", "invalid \\u escape" },
		{ "\"\\uD83D\"", "unpaired UTF-16 surrogate escape" },
		{ "\"\\uDE00\"", "unpaired UTF-16 surrogate escape" },
		{ "\"\\uD83D\\u0041\"", "unpaired UTF-16 surrogate escape" },
		{ "\"\\uD83Dx\"", "unpaired UTF-16 surrogate escape" },
		{ "\"\\uD83D\\n\"", "unpaired UTF-16 surrogate escape" },
		{ "\"\x80\"", "invalid UTF-8" },
		{ "\"\xc0\x80\"", "invalid UTF-8" },
		{ "\"\xc1\xbf\"", "invalid UTF-8" },
		{ "\"\xe0\x80\x80\"", "invalid UTF-8" },
		{ "\"\xed\xa0\x80\"", "invalid UTF-8" },
		{ "\"\xf0\x80\x80\x80\"", "invalid UTF-8" },
		{ "\"\xf4\x90\x80\x80\"", "invalid UTF-8" },
		{ "\"\xf5\x80\x80\x80\"", "invalid UTF-8" },
		{ "\"\xff\"", "invalid UTF-8" },
		{ "\"\xc3\"", "invalid UTF-8" },
		{ "\"\xe2\x82\"", "invalid UTF-8" },
		{ "\xc3\xa9", "expected a JSON value" },
		{ "\xef\xbb\xbf{}", "expected a JSON value" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mcp_json_scan s;
		ck_assert_msg(scan(bad[i].text, &s) == MCP_SCAN_SYNTAX, "accepted: %s",
			      bad[i].text);
		ck_assert_msg(strcmp(s.what, bad[i].what) == 0, "%s: got '%s', want '%s'",
			      bad[i].text, s.what, bad[i].what);
	}
	/* A NUL byte anywhere. */
	ck_assert_int_eq(scan2("{\"a\":\"x\0\"}", 9, NULL), MCP_SCAN_SYNTAX);
	ck_assert_int_eq(scan2("{}\0", 3, NULL), MCP_SCAN_SYNTAX);
}
END_TEST

START_TEST(test_scan_limits)
{
	struct buf b = BUF_INIT;
	struct mcp_json_scan s;
	/* Depth: arrays only, exactly at and over the limit. */
	for (unsigned d = MCP_JSON_DEPTH_MAX - 1; d <= MCP_JSON_DEPTH_MAX + 2; d++) {
		buf_reset(&b);
		for (unsigned i = 0; i < d; i++)
			buf_putc(&b, '[');
		for (unsigned i = 0; i < d; i++)
			buf_putc(&b, ']');
		enum mcp_scan_verdict v = scan2(b.data, b.len, &s);
		ck_assert_int_eq(v, d <= MCP_JSON_DEPTH_MAX ? MCP_SCAN_OK : MCP_SCAN_LIMIT);
		if (v == MCP_SCAN_LIMIT)
			ck_assert_str_eq(s.what, "JSON nested deeper than 64 levels");
	}
	/* Too deep, then a syntax error: the syntax error wins. */
	buf_reset(&b);
	for (unsigned i = 0; i < 100; i++)
		buf_putc(&b, '[');
	for (unsigned i = 0; i < 100; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "]");
	ck_assert_int_eq(scan2(b.data, b.len, &s), MCP_SCAN_SYNTAX);
	/* Strings with brackets in the skipped part do not count. */
	buf_reset(&b);
	buf_puts(&b, "{\"x\":");
	for (unsigned i = 0; i < 70; i++)
		buf_puts(&b, "[\"]]}\\\"[\",");
	buf_puts(&b, "1");
	for (unsigned i = 0; i < 70; i++)
		buf_putc(&b, ']');
	buf_puts(&b, ",\"id\":\"after\"}");
	ck_assert_int_eq(scan2(b.data, b.len, &s), MCP_SCAN_LIMIT);
	ck_assert_int_eq(s.id_state, MCP_SCAN_ID_DONE);
	ck_assert_uint_eq(s.id_len, 7);
	ck_assert_int_eq(memcmp(s.id, "\"after\"", 7), 0);

	/* Values. */
	buf_reset(&b);
	buf_putc(&b, '[');
	for (int i = 0; i < MCP_JSON_VALUES_MAX - 1; i++)
		buf_puts(&b, i ? ",1" : "1");
	buf_putc(&b, ']');
	ck_assert_int_eq(scan2(b.data, b.len, &s), MCP_SCAN_OK);
	ck_assert_uint_eq(s.values, MCP_JSON_VALUES_MAX);
	b.len--;
	buf_puts(&b, ",1]");
	ck_assert_int_eq(scan2(b.data, b.len, &s), MCP_SCAN_LIMIT);
	ck_assert_str_eq(s.what, "more than 100000 JSON values");

	/* Bytes: counted even though nobody keeps them. */
	mcp_json_scan_init(&s);
	mcp_json_scan_feed(&s, "{\"id\":9,\"x\":\"", 13);
	static char chunk[65536];
	memset(chunk, 'a', sizeof(chunk));
	for (size_t n = 13; n <= MCP_LINE_MAX; n += sizeof(chunk))
		mcp_json_scan_feed(&s, chunk, sizeof(chunk));
	mcp_json_scan_feed(&s, "\"}", 2);
	ck_assert_int_eq(mcp_json_scan_end(&s), MCP_SCAN_LIMIT);
	ck_assert_str_eq(s.what, "message longer than 8 MiB");
	ck_assert_int_eq(s.id_state, MCP_SCAN_ID_DONE);
	ck_assert_int_eq(memcmp(s.id, "9", 1), 0);
	/* Exactly MCP_LINE_MAX is fine. */
	mcp_json_scan_init(&s);
	mcp_json_scan_feed(&s, "\"", 1);
	for (size_t n = 1; n < MCP_LINE_MAX - 1;) {
		size_t k =
			MCP_LINE_MAX - 1 - n < sizeof(chunk) ? MCP_LINE_MAX - 1 - n : sizeof(chunk);
		mcp_json_scan_feed(&s, chunk, k);
		n += k;
	}
	mcp_json_scan_feed(&s, "\"", 1);
	ck_assert_uint_eq(s.bytes, MCP_LINE_MAX);
	ck_assert_int_eq(mcp_json_scan_end(&s), MCP_SCAN_OK);
	buf_release(&b);
}
END_TEST

START_TEST(test_scan_id)
{
	static const struct {
		const char *text;
		int state;
		const char *id;
	} cases[] = {
		{ "{\"id\":5}", MCP_SCAN_ID_DONE, "5" },
		{ "{\"id\":-1.5e3,\"a\":1}", MCP_SCAN_ID_DONE, "-1.5e3" },
		{ "{\"id\" : \"x\\\"y\" }", MCP_SCAN_ID_DONE, "\"x\\\"y\"" },
		{ "{\"a\":{\"id\":1},\"id\":\"top\"}", MCP_SCAN_ID_DONE, "\"top\"" },
		{ "{\"a\":[{\"id\":1}]}", MCP_SCAN_ID_NONE, "" },
		{ "[{\"id\":1}]", MCP_SCAN_ID_NONE, "" },
		{ "{\"id\":null}", MCP_SCAN_ID_BAD, "" },
		{ "{\"id\":true}", MCP_SCAN_ID_BAD, "" },
		{ "{\"id\":[1]}", MCP_SCAN_ID_BAD, "" },
		{ "{\"id\":{\"a\":1}}", MCP_SCAN_ID_BAD, "" },
		{ "{\"id\":1,\"id\":2}", MCP_SCAN_ID_DONE, "1" },
		{ "{\"\\u0069d\":1}", MCP_SCAN_ID_NONE, "" },
		{ "{\"idx\":1,\"i\":2}", MCP_SCAN_ID_NONE, "" },
		{ "{\"x\":\"id\",\"y\":[\"id\"]}", MCP_SCAN_ID_NONE, "" },
		{ "{\"id\":\"\xc3\xa9\"}", MCP_SCAN_ID_DONE, "\"\xc3\xa9\"" },
		{ "{\"id\":0}", MCP_SCAN_ID_DONE, "0" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mcp_json_scan s;
		ck_assert_int_eq(scan(cases[i].text, &s), MCP_SCAN_OK);
		ck_assert_msg(s.id_state == cases[i].state, "%s: id state %d", cases[i].text,
			      s.id_state);
		if (s.id_state == MCP_SCAN_ID_DONE) {
			ck_assert_uint_eq(s.id_len, strlen(cases[i].id));
			ck_assert_int_eq(memcmp(s.id, cases[i].id, s.id_len), 0);
		}
	}
	/* An id too long to answer with. */
	struct buf b = BUF_INIT;
	struct mcp_json_scan s;
	buf_puts(&b, "{\"id\":\"");
	for (int i = 0; i < MCP_JSON_ID_MAX; i++)
		buf_putc(&b, 'i');
	buf_puts(&b, "\"}");
	ck_assert_int_eq(scan2(b.data, b.len, &s), MCP_SCAN_OK);
	ck_assert_int_eq(s.id_state, MCP_SCAN_ID_BAD);
	buf_release(&b);
	/* The longest that fits. */
	buf_puts(&b, "{\"id\":\"");
	for (int i = 0; i < MCP_JSON_ID_MAX - 2; i++)
		buf_putc(&b, 'i');
	buf_puts(&b, "\"}");
	ck_assert_int_eq(scan2(b.data, b.len, &s), MCP_SCAN_OK);
	ck_assert_int_eq(s.id_state, MCP_SCAN_ID_DONE);
	ck_assert_uint_eq(s.id_len, MCP_JSON_ID_MAX);
	buf_release(&b);
}
END_TEST

START_TEST(test_scan_nul)
{
	struct mcp_json_scan s;
	ck_assert_int_eq(scan("{\"a\":\"x\\u0000y\"}", &s), MCP_SCAN_OK);
	ck_assert(s.nul);
	ck_assert_int_eq(scan("{\"a\\u0000\":1}", &s), MCP_SCAN_OK);
	ck_assert(s.nul);
	ck_assert_int_eq(scan("{\"a\":\"\\\\u0000\"}", &s), MCP_SCAN_OK);
	ck_assert(!s.nul);
	ck_assert_int_eq(scan("{\"a\":\"\\u0001\"}", &s), MCP_SCAN_OK);
	ck_assert(!s.nul);
}
END_TEST

START_TEST(test_fix_nul)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "{\"a\":\"x\\u0000y\"}", "{\"a\":\"x\\uFFFDy\"}" },
		{ "{\"a\":\"\\\\u0000\"}", "{\"a\":\"\\\\u0000\"}" },
		{ "{\"a\\u0000\":\"\\u0000\\u0000\"}", "{\"a\\uFFFD\":\"\\uFFFD\\uFFFD\"}" },
		{ "{\"a\":\"\\\"\\u0000\"}", "{\"a\":\"\\\"\\uFFFD\"}" },
		{ "\"\\u000", "\"\\u000" },
		{ "\"\\u0001\"", "\"\\u0001\"" },
		{ "[\"\\u0000\",\"\\\\\",\"\\u0000\"]", "[\"\\uFFFD\",\"\\\\\",\"\\uFFFD\"]" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = strdup(cases[i].in);
		mcp_json_fix_nul(s, strlen(s));
		ck_assert_str_eq(s, cases[i].out);
		free(s);
	}
	/* After the fix cJSON keeps the whole string. */
	char text[] = "{\"a\":\"x\\u0000y\"}";
	mcp_json_fix_nul(text, strlen(text));
	cJSON *j = cJSON_Parse(text);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "a")->valuestring, "x\xef\xbf\xbdy");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_utf8_clean)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{ "plain", 5, "plain" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ "a\0b", 3,
		  "a\xef\xbf\xbd"
		  "b" },
		{ "\xff", 1, "\xef\xbf\xbd" },
		{ "\xc3", 1, "\xef\xbf\xbd" },
		{ "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf0\x9f\x98\x80!", 5, "\xf0\x9f\x98\x80!" },
		{ "", 0, "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct buf b = BUF_INIT;
		ck_assert_int_eq(mcp_utf8_clean(cases[i].in, cases[i].len, &b), 0);
		ck_assert_ptr_nonnull(b.data);
		ck_assert_str_eq(b.data, cases[i].out);
		ck_assert(utf8_valid(b.data, b.len));
		buf_release(&b);
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "ok", "fine");
	cJSON_AddStringToObject(j, "k\xff", "v\xc3");
	cJSON *arr = cJSON_AddArrayToObject(j, "a");
	cJSON_AddItemToArray(arr, cJSON_CreateString("\x80x"));
	ck_assert_int_eq(mcp_json_clean_strings(j), 0);
	char *out = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(out, "{\"ok\":\"fine\",\"k\xef\xbf\xbd\":\"v\xef\xbf\xbd\","
			      "\"a\":[\"\xef\xbf\xbdx\"]}");
	cJSON_free(out);
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_dup_key)
{
	const char *dup = NULL;
	cJSON *j = cJSON_Parse("{\"a\":1,\"b\":{\"c\":1,\"d\":[{\"e\":1,\"e\":2}]}}");
	ck_assert_int_eq(mcp_json_dup_key(j, &dup), 1);
	ck_assert_str_eq(dup, "e");
	cJSON_Delete(j);
	j = cJSON_Parse("{\"a\":1,\"b\":{\"a\":1,\"d\":[{\"e\":1},{\"e\":2}]}}");
	ck_assert_int_eq(mcp_json_dup_key(j, &dup), 0);
	cJSON_Delete(j);
	/* Many members: sorted, not compared pairwise. */
	j = cJSON_CreateObject();
	char name[16];
	for (int i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		cJSON_AddNumberToObject(j, name, i);
	}
	ck_assert_int_eq(mcp_json_dup_key(j, &dup), 0);
	cJSON_AddNumberToObject(j, "k123", 0);
	ck_assert_int_eq(mcp_json_dup_key(j, &dup), 1);
	ck_assert_str_eq(dup, "k123");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_rpc_parse)
{
	static const struct {
		const char *text;
		int ret, kind, code;
		const char *id;
	} cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}", 0, MCP_RPC_REQUEST, 0, "1" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"m\",\"params\":{}}", 0,
		  MCP_RPC_REQUEST, 0, "\"s\"" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}", 0, MCP_RPC_NOTIFICATION, 0, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[1]}", 0, MCP_RPC_NOTIFICATION,
		  0, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}", 0, MCP_RPC_RESPONSE, 0, "2" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{}}", 0, MCP_RPC_RESPONSE, 0, "2" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{},\"error\":{}}", -EINVAL, 0, -32600,
		  "2" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"m\",\"params\":[]}", -EINVAL, 0,
		  -32602, "2" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"m\",\"params\":3}", -EINVAL, 0,
		  -32600, "2" },
		{ "{\"jsonrpc\":2,\"id\":2,\"method\":\"m\"}", -EINVAL, 0, -32600, "2" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":false,\"method\":\"m\"}", -EINVAL, 0, -32600, NULL },
		{ "[]", -EINVAL, 0, -32600, NULL },
		{ "null", -EINVAL, 0, -32600, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		cJSON *j = cJSON_Parse(cases[i].text);
		struct mcp_rpc rpc;
		struct mcp_rpc_err err = { 0 };
		const cJSON *id = NULL;
		ck_assert_ptr_nonnull(j);
		int r = mcp_rpc_parse(j, &rpc, &id, &err);
		ck_assert_msg(r == cases[i].ret, "%s: %d", cases[i].text, r);
		if (r == 0)
			ck_assert_int_eq(rpc.kind, cases[i].kind);
		else
			ck_assert_int_eq(err.code, cases[i].code);
		char *idtext = id ? cJSON_PrintUnformatted(id) : NULL;
		if (cases[i].id)
			ck_assert_str_eq(idtext, cases[i].id);
		else
			ck_assert_ptr_null(idtext);
		cJSON_free(idtext);
		cJSON_Delete(j);
	}
}
END_TEST

START_TEST(test_ids_and_versions)
{
	cJSON *a = cJSON_CreateNumber(1), *b = cJSON_CreateString("1"), *c = cJSON_CreateNumber(1);
	cJSON *d = cJSON_CreateString("1");
	ck_assert(!mcp_rpc_id_equal(a, b));
	ck_assert(mcp_rpc_id_equal(a, c));
	ck_assert(mcp_rpc_id_equal(b, d));
	ck_assert(!mcp_rpc_id_equal(a, NULL));
	/* Numbers kept as written compare by value, and by text beyond 2^53. */
	cJSON *m1 = cJSON_Parse("{\"id\":1}"), *m2 = cJSON_Parse("{\"id\":9007199254740993}");
	cJSON *m3 = cJSON_Parse("{\"id\":9007199254740992}");
	mcp_rpc_keep_id(m1, "1.0", 3);
	mcp_rpc_keep_id(m2, "9007199254740993", 16);
	mcp_rpc_keep_id(m3, "9007199254740992", 16);
	ck_assert(cJSON_IsRaw(cJSON_GetObjectItem(m1, "id")));
	ck_assert(mcp_rpc_id_equal(cJSON_GetObjectItem(m1, "id"), a));
	ck_assert(!mcp_rpc_id_equal(cJSON_GetObjectItem(m2, "id"), cJSON_GetObjectItem(m3, "id")));
	ck_assert(mcp_rpc_id_equal(cJSON_GetObjectItem(m2, "id"), cJSON_GetObjectItem(m2, "id")));
	cJSON *copy = mcp_rpc_id_copy(cJSON_GetObjectItem(m2, "id"));
	char *t = cJSON_PrintUnformatted(copy);
	ck_assert_str_eq(t, "9007199254740993");
	cJSON_free(t);
	cJSON_Delete(copy);
	cJSON_Delete(m1);
	cJSON_Delete(m2);
	cJSON_Delete(m3);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(d);

	ck_assert_int_eq(mcp_proto_parse("2024-11-05"), MCP_PROTO_2024_11_05);
	ck_assert_int_eq(mcp_proto_parse("2026-07-28"), MCP_PROTO_2026_07_28);
	ck_assert_int_eq(mcp_proto_parse("2025-11-25 "), MCP_PROTO_NONE);
	ck_assert_int_eq(mcp_proto_parse(NULL), MCP_PROTO_NONE);
	ck_assert_str_eq(mcp_proto_name(MCP_PROTO_2025_06_18), "2025-06-18");
	ck_assert_ptr_null(mcp_proto_name(MCP_PROTO_NONE));
	ck_assert_ptr_null(mcp_proto_name((enum mcp_proto)99));

	/* Builders. */
	cJSON *id = cJSON_CreateString("x");
	cJSON *m = mcp_rpc_error(id, -32601, "Method not found: y", NULL);
	char *s = cJSON_PrintUnformatted(m);
	ck_assert_str_eq(s, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-32601,"
			    "\"message\":\"Method not found: y\"}}");
	cJSON_free(s);
	cJSON_Delete(m);
	m = mcp_rpc_error(NULL, -32700, "Parse error", cJSON_CreateString("d"));
	s = cJSON_PrintUnformatted(m);
	ck_assert_str_eq(s, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
			    "\"message\":\"Parse error\",\"data\":\"d\"}}");
	cJSON_free(s);
	cJSON_Delete(m);
	m = mcp_rpc_result(id, cJSON_CreateObject());
	s = cJSON_PrintUnformatted(m);
	ck_assert_str_eq(s, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":{}}");
	cJSON_free(s);
	cJSON_Delete(m);
	m = mcp_rpc_notification("notifications/progress", NULL);
	s = cJSON_PrintUnformatted(m);
	ck_assert_str_eq(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}");
	cJSON_free(s);
	cJSON_Delete(m);
	ck_assert_ptr_null(mcp_rpc_result(id, NULL));
	cJSON_Delete(id);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mcp-jsonrpc");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_scan_valid);
	tcase_add_test(tc, test_scan_invalid);
	tcase_add_test(tc, test_scan_limits);
	tcase_add_test(tc, test_scan_id);
	tcase_add_test(tc, test_scan_nul);
	tcase_add_test(tc, test_fix_nul);
	tcase_add_test(tc, test_utf8_clean);
	tcase_add_test(tc, test_dup_key);
	tcase_add_test(tc, test_rpc_parse);
	tcase_add_test(tc, test_ids_and_versions);
	suite_add_tcase(s, tc);
	return s;
}
