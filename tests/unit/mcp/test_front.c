/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the MCP front process (mcp/front.c): mcp_front_run in a forked child, the test
 * playing the client on its stdin/stdout and the broker on its socket. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "broker/broker.h"
#include "mcp-util.h"
#include "tests/unit/unit.h"

#define META_MODERN                                                              \
	"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
	"\"io.modelcontextprotocol/clientCapabilities\":{},"                     \
	"\"io.modelcontextprotocol/clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}"

#define RUN_JSON                                                                           \
	"{\"exit_code\":0,\"stdout\":\"hello\\n\",\"stderr\":\"warn\",\"duration_ms\":12," \
	"\"sanitized\":true,\"timed_out\":false,\"truncated\":false}"
#define RUN_TEXT                                                                         \
	"exit_code: 0\nduration_ms: 12\nsanitized: true (secret values were redacted)\n" \
	"--- stdout ---\nhello\n--- stderr ---\nwarn"

static const char *const tool_names[] = {
	"secret_list",	      "secret_exists",	  "secret_get_masked",	      "secret_run",
	"secret_list_fields", "secret_get_field", "secret_run_with_bindings", "security_score",
	"policy_check",	      "folder_list",
};

/* Send a tools/call and return the CALL's wire id. */
static uint64_t call(struct session *s, int id, const char *tool, const char *args,
		     struct mcp_wire_msg *m)
{
	sess_sendf(s,
		   "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/"
		   "call\",\"params\":{\"name\":\"%s\","
		   "\"arguments\":%s}}",
		   id, tool, args);
	return sess_expect_call(s, tool, m);
}

static cJSON *read1(struct session *s)
{
	cJSON *r = sess_read(s, SESS_TIMEOUT_MS);
	ck_assert_msg(r != NULL, "no answer from the front");
	return r;
}

static void expect_line_error(struct session *s, const char *line, const char *id, int code,
			      const char *message)
{
	sess_send(s, line);
	cJSON *r = read1(s);
	expect_error(r, id, code, message);
	cJSON_Delete(r);
}

/* ---- the handshake era -------------------------------------------------------------------- */

START_TEST(test_initialize_versions)
{
	static const struct {
		const char *offered, *answered;
	} cases[] = {
		{ "2025-11-25", "2025-11-25" }, { "2025-06-18", "2025-06-18" },
		{ "2025-03-26", "2025-03-26" }, { "2024-11-05", "2024-11-05" },
		{ "2024-10-07", "2025-11-25" }, { "1999-01-01", "2025-11-25" },
		{ "2026-07-28", "2025-11-25" }, /* no initialize in the stateless revision */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct session s;
		sess_start(&s, true);
		sess_sendf(&s,
			   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
			   "\"protocolVersion\":\"%s\",\"capabilities\":{\"roots\":{}},"
			   "\"clientInfo\":{\"name\":\"c\",\"version\":\"2\"}}}",
			   cases[i].offered);
		cJSON *r = read1(&s);
		ck_assert_int_eq(jget(r, "id")->valueint, 1);
		ck_assert_str_eq(jstr(r, "result|protocolVersion"), cases[i].answered);
		ck_assert(jeq(jget(r, "result|capabilities"), "{\"tools\":{}}"));
		ck_assert(jeq(jget(r, "result|serverInfo"),
			      "{\"name\":\"secretctl\",\"version\":\"" SESS_VERSION "\"}"));
		ck_assert_ptr_nonnull(jstr(r, "result|instructions"));
		ck_assert_ptr_null(jget(r, "result|resultType"));
		ck_assert_int_eq(cJSON_GetArraySize(jget(r, "result")), 4);
		cJSON_Delete(r);
		sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
		sess_sync(&s, 2);
		ck_assert_int_eq(sess_finish(&s), 0);
		sess_release(&s);
	}
}
END_TEST

START_TEST(test_initialize_errors)
{
	struct session s;
	sess_start(&s, true);
	expect_line_error(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}", "1",
			  -32602, "Invalid params: initialize needs params");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{"
			  "\"capabilities\":{}}}",
			  "2", -32602,
			  "Invalid params: initialize needs \"protocolVersion\" (a string)");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{"
			  "\"protocolVersion\":20251125,\"capabilities\":{}}}",
			  "3", -32602,
			  "Invalid params: initialize needs \"protocolVersion\" (a string)");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"initialize\",\"params\":{"
			  "\"protocolVersion\":\"2025-11-25\"}}",
			  "4", -32602,
			  "Invalid params: initialize needs \"capabilities\" (an object)");
	expect_line_error(
		&s,
		"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"initialize\",\"params\":{"
		"\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":7}}",
		"5", -32602, "Invalid params: \"clientInfo\" must be an object");
	/* None of these initialized the session. */
	expect_line_error(&s, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/list\"}", "6",
			  -32602, NULL);
	ck_assert_int_eq(sess_init(&s, "2025-11-25"), MCP_PROTO_2025_11_25);
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\",\"params\":{"
			  "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}",
			  "7", -32600,
			  "Invalid Request: initialize was already called on this connection");
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_before_initialize)
{
	struct session s;
	sess_start(&s, true);
	/* ping needs no handshake. */
	sess_sync(&s, 1);
	expect_line_error(
		&s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", "2", -32602,
		"Invalid params: send initialize first (protocol 2025-11-25 and earlier), "
		"or give _meta \"io.modelcontextprotocol/protocolVersion\" (2026-07-28)");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"secret_list\"}}",
			  "\"c\"", -32602, NULL);
	/* server/discover is of the stateless revision: its _meta is required. */
	expect_line_error(&s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"server/discover\"}", "3",
			  -32602,
			  "Invalid params: _meta \"io.modelcontextprotocol/protocolVersion\" and "
			  "\"io.modelcontextprotocol/clientCapabilities\" are required");
	ck_assert(sess_quiet(&s, 50));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_ping)
{
	struct session s;
	sess_start(&s, true);
	sess_init(&s, "2025-06-18");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"p-1\",\"method\":\"ping\",\"params\":{}}");
	cJSON *r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"id\":\"p-1\",\"result\":{}}"));
	cJSON_Delete(r);
	/* Ids come back as they were sent. */
	static const char *const ids[] = { "0",
					   "-7",
					   "1.5",
					   "-0",
					   "1E+2",
					   "9007199254740991",
					   "9007199254740993",
					   "123456789012345678901234567890",
					   "\"\"",
					   "\"\\u00e9\\n\"",
					   "\"caf\xc3\xa9\"" };
	/* Numbers exactly as written (doubles would round the big ones); strings as values. */
	static const char *const echoed[] = { "0",
					      "-7",
					      "1.5",
					      "-0",
					      "1E+2",
					      "9007199254740991",
					      "9007199254740993",
					      "123456789012345678901234567890",
					      "\"\"",
					      "\"\xc3\xa9\\n\"",
					      "\"caf\xc3\xa9\"" };
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		sess_sendf(&s, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", ids[i]);
		char *line = sess_read_text(&s, SESS_TIMEOUT_MS);
		char want[128];
		snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{}}",
			 echoed[i]);
		ck_assert_str_eq(line, want);
		free(line);
	}
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

/* Every schema node that is an object schema lists only existing properties as required. */
static void check_schema_shape(const cJSON *s)
{
	ck_assert(cJSON_IsObject(s));
	const cJSON *type = jget(s, "type");
	ck_assert(cJSON_IsString(type) || cJSON_IsArray(type));
	if (cJSON_IsString(type) && strcmp(type->valuestring, "object") == 0) {
		const cJSON *props = jget(s, "properties"), *p, *r;
		ck_assert(cJSON_IsObject(props));
		ck_assert(cJSON_IsFalse(jget(s, "additionalProperties")));
		cJSON_ArrayForEach(r, jget(s, "required"))
			ck_assert_ptr_nonnull(jget(props, r->valuestring));
		cJSON_ArrayForEach(p, props) check_schema_shape(p);
	}
	if (cJSON_IsString(type) && strcmp(type->valuestring, "array") == 0)
		check_schema_shape(jget(s, "items"));
}

static void check_tools_list(const cJSON *res, enum mcp_proto p)
{
	const cJSON *tools = jget(res, "tools"), *t;
	ck_assert_int_eq(cJSON_GetArraySize(tools), (int)ARRAY_SIZE(tool_names));
	int i = 0;
	cJSON_ArrayForEach(t, tools)
	{
		ck_assert_str_eq(jstr(t, "name"), tool_names[i++]);
		ck_assert_ptr_nonnull(jstr(t, "description"));
		ck_assert_str_eq(jstr(t, "inputSchema|type"), "object");
		check_schema_shape(jget(t, "inputSchema"));
		int members = 3;
		if (p >= MCP_PROTO_2025_03_26) {
			const cJSON *a = jget(t, "annotations");
			ck_assert_int_eq(cJSON_GetArraySize(a), 5);
			ck_assert(cJSON_IsBool(jget(a, "readOnlyHint")));
			ck_assert(cJSON_IsBool(jget(a, "destructiveHint")));
			ck_assert(cJSON_IsBool(jget(a, "idempotentHint")));
			ck_assert(cJSON_IsBool(jget(a, "openWorldHint")));
			members++;
		} else {
			ck_assert_ptr_null(jget(t, "annotations"));
		}
		if (p >= MCP_PROTO_2025_06_18) {
			ck_assert_ptr_nonnull(jstr(t, "title"));
			ck_assert_str_eq(jstr(t, "annotations|title"), jstr(t, "title"));
			ck_assert_str_eq(jstr(t, "outputSchema|type"), "object");
			check_schema_shape(jget(t, "outputSchema"));
			members += 2;
		} else {
			ck_assert_ptr_null(jget(t, "title"));
			ck_assert_ptr_null(jget(t, "outputSchema"));
		}
		ck_assert_int_eq(cJSON_GetArraySize(t), members);
	}
	if (p >= MCP_PROTO_2025_03_26) {
		const cJSON *run = cJSON_GetArrayItem(tools, 3),
			    *list = cJSON_GetArrayItem(tools, 0);
		ck_assert(jeq(jget(run, "annotations"),
			      "{\"title\":\"Run a command with secrets\",\"readOnlyHint\":false,"
			      "\"destructiveHint\":true,\"idempotentHint\":false,\"openWorldHint\":"
			      "true}"));
		ck_assert(jeq(jget(list, "annotations"),
			      "{\"title\":\"List secrets\",\"readOnlyHint\":true,"
			      "\"destructiveHint\":false,\"idempotentHint\":true,\"openWorldHint\":"
			      "false}"));
	}
	/* The input schema of secret_run, exactly. */
	const cJSON *run = cJSON_GetArrayItem(tools, 3);
	ck_assert(jeq(jget(run, "inputSchema|required"), "[\"keys\",\"command\"]"));
	ck_assert(jeq(jget(run, "inputSchema|properties|keys|items"),
		      "{\"type\":\"string\",\"minLength\":1,\"maxLength\":256,"
		      "\"pattern\":\"^[A-Za-z0-9._/*?-]+$\"}"));
	ck_assert_int_eq(jget(run, "inputSchema|properties|keys|minItems")->valueint, 1);
	ck_assert_int_eq(jget(run, "inputSchema|properties|keys|maxItems")->valueint, 10);
	ck_assert_int_eq(jget(run, "inputSchema|properties|command|maxLength")->valueint, 4096);
	ck_assert_int_eq(jget(run, "inputSchema|properties|args|maxItems")->valueint, 100);
	ck_assert_int_eq(jget(run, "inputSchema|properties|args|items|maxLength")->valueint, 32768);
}

/* With the policy's mcp_folder_writes the two folder-changing tools are listed last and
 * callable (the call reaches the broker). */
START_TEST(test_tools_list_folder_writes)
{
	struct session s;
	sess_start_with(&s, true, true);
	sess_init(&s, "2025-11-25");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}");
	cJSON *r = read1(&s);
	const cJSON *tools = jget(r, "result|tools");
	int n = cJSON_GetArraySize(tools);
	ck_assert_int_eq(n, (int)ARRAY_SIZE(tool_names) + 2);
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(tools, n - 2), "name"), "folder_create");
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(tools, n - 1), "name"), "folder_move_secret");
	ck_assert(
		cJSON_IsFalse(jget(cJSON_GetArrayItem(tools, n - 1), "annotations|readOnlyHint")));
	cJSON_Delete(r);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"folder_create\",\"arguments\":{\"name\":\"work\","
		      "\"color\":\"#00ff00\"}}}");
	struct mcp_wire_msg m;
	ck_assert(sess_broker_recv(&s, &m, SESS_TIMEOUT_MS));
	ck_assert_int_eq(m.type, MCP_W_CALL);
	const struct mcp_wire_field *f = mcp_wire_get(&m, "tool", MCP_WK_STR);
	ck_assert(f && f->len == 13 && !memcmp(f->str, "folder_create", 13));
	f = mcp_wire_get(&m, "color", MCP_WK_STR);
	ck_assert(f && f->len == 7 && !memcmp(f->str, "#00ff00", 7));
	/* A colour that is not #RRGGBB never reaches the broker. */
	expect_line_error(
		&s,
		"{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{"
		"\"name\":\"folder_create\",\"arguments\":{\"name\":\"w\","
		"\"color\":\"#00ff0g\"}}}",
		"11", -32602,
		"Invalid arguments for tool folder_create: property 'color' must be 7 bytes, "
		"# and six hex digits");
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_tools_list_per_version)
{
	static const char *const versions[] = { "2024-11-05", "2025-03-26", "2025-06-18",
						"2025-11-25" };
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		struct session s;
		sess_start(&s, true);
		enum mcp_proto p = sess_init(&s, versions[i]);
		sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}");
		cJSON *r = read1(&s);
		ck_assert_int_eq(jget(r, "id")->valueint, 9);
		check_tools_list(jget(r, "result"), p);
		/* Only tools: no cache hints, no resultType, no nextCursor. */
		ck_assert_int_eq(cJSON_GetArraySize(jget(r, "result")), 1);
		cJSON_Delete(r);
		expect_line_error(&s,
				  "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/list\","
				  "\"params\":{\"cursor\":\"x\"}}",
				  "10", -32602, "Invalid cursor");
		ck_assert_int_eq(sess_finish(&s), 0);
		sess_release(&s);
	}
}
END_TEST

/* ---- the stateless revision --------------------------------------------------------------- */

START_TEST(test_discover)
{
	struct session s;
	sess_start(&s, true);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"discover-1\",\"method\":\"server/discover\","
		      "\"params\":{" META_MODERN "}}");
	cJSON *r = read1(&s);
	ck_assert(jeq(r,
		      "{\"jsonrpc\":\"2.0\",\"id\":\"discover-1\",\"result\":{"
		      "\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{\"tools\":{}},"
		      "\"instructions\":\"secretctl keeps secrets in a local vault and lets you "
		      "use them without seeing them. Find keys with secret_list or secret_exists, "
		      "inspect them masked with secret_get_masked, ask policy_check whether a "
		      "command may run, then run it with secret_run: the secrets are in its "
		      "environment and their values are redacted from its output.\","
		      "\"ttlMs\":3600000,\"cacheScope\":\"public\",\"_meta\":{"
		      "\"io.modelcontextprotocol/serverInfo\":{\"name\":\"secretctl\","
		      "\"version\":\"9.8.7\"}},\"resultType\":\"complete\"}}"));
	cJSON_Delete(r);
	/* Stateless: a handshake later on the same connection still works. */
	ck_assert_int_eq(sess_init(&s, "2025-11-25"), MCP_PROTO_2025_11_25);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_modern_errors)
{
	struct session s;
	sess_start(&s, true);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{"
		      "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2099-01-01\","
		      "\"io.modelcontextprotocol/clientCapabilities\":{}}}}");
	cJSON *r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32022,"
			 "\"message\":\"Unsupported protocol version\",\"data\":{"
			 "\"requested\":\"2099-01-01\",\"supported\":[\"2026-07-28\"]}}}"));
	cJSON_Delete(r);
	/* A handshake revision cannot be used per request. */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{"
		      "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2025-11-25\","
		      "\"io.modelcontextprotocol/clientCapabilities\":{}}}}");
	r = read1(&s);
	expect_error(
		r, "2", -32022,
		"Unsupported protocol version: 2025-11-25 is served after initialize, not with "
		"per-request _meta");
	ck_assert_str_eq(jstr(r, "error|data|requested"), "2025-11-25");
	cJSON_Delete(r);
	expect_line_error(
		&s,
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{"
		"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}",
		"3", -32602,
		"Invalid params: _meta \"io.modelcontextprotocol/clientCapabilities\" (an "
		"object) is required");
	expect_line_error(
		&s,
		"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\",\"params\":{"
		"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":7,"
		"\"io.modelcontextprotocol/clientCapabilities\":{}}}}",
		"4", -32602,
		"Invalid params: _meta \"io.modelcontextprotocol/protocolVersion\" must be a "
		"string");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\",\"params\":{"
			  "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
			  "\"io.modelcontextprotocol/clientCapabilities\":{},"
			  "\"io.modelcontextprotocol/clientInfo\":\"me\"}}}",
			  "5", -32602,
			  "Invalid params: _meta \"io.modelcontextprotocol/clientInfo\" must be an "
			  "object");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/list\",\"params\":{"
			  "\"_meta\":[]}}",
			  "6", -32602, "Invalid params: \"_meta\" must be an object");
	/* initialize and ping are gone from 2026-07-28. */
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":\"i\",\"method\":\"initialize\",\"params\":"
			  "{" META_MODERN "}}",
			  "\"i\"", -32601, "Method not found: initialize");
	expect_line_error(
		&s,
		"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{" META_MODERN "}}",
		"7", -32601, "Method not found: ping");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"resources/"
			  "list\",\"params\":{" META_MODERN "}}",
			  "8", -32601, "Method not found: resources/list");
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_modern_tools)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_send(&s,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" META_MODERN
		  "}}");
	cJSON *r = read1(&s);
	check_tools_list(jget(r, "result"), MCP_PROTO_2026_07_28);
	ck_assert_str_eq(jstr(r, "result|resultType"), "complete");
	ck_assert_int_eq(jget(r, "result|ttlMs")->valueint, 3600000);
	ck_assert_str_eq(jstr(r, "result|cacheScope"), "public");
	ck_assert(jeq(jget(r, "result|_meta"),
		      "{\"io.modelcontextprotocol/serverInfo\":{\"name\":\"secretctl\","
		      "\"version\":\"9.8.7\"}}"));
	ck_assert_int_eq(cJSON_GetArraySize(jget(r, "result")), 5);
	cJSON_Delete(r);

	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"secret_run\",\"arguments\":{\"keys\":[\"API_KEY\"],"
		      "\"command\":\"npm test\"}," META_MODERN "}}");
	uint64_t w = sess_expect_call(&s, "secret_run", &m);
	sess_result(&s, w, false, RUN_JSON, NULL);
	r = read1(&s);
	ck_assert(jeq(r,
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","
		      "\"text\":\""
		      "exit_code: 0\\nduration_ms: 12\\nsanitized: true (secret "
		      "values were redacted)\\n--- stdout ---\\nhello\\n--- stderr ---\\nwarn\"}],"
		      "\"structuredContent\":" RUN_JSON ",\"_meta\":{"
		      "\"io.modelcontextprotocol/serverInfo\":{\"name\":\"secretctl\","
		      "\"version\":\"9.8.7\"}},\"resultType\":\"complete\"}}"));
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

/* ---- JSON-RPC errors ---------------------------------------------------------------------- */

START_TEST(test_parse_errors)
{
	static const struct {
		const char *line, *message;
	} cases[] = {
		{ "{", "Parse error: unexpected end of the message" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} x",
		  "Parse error: more than one JSON value in a message" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"ping\"}",
		  "Parse error: malformed number" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":+1,\"method\":\"ping\"}",
		  "Parse error: expected a JSON value" },
		{ "[1,]", "Parse error: expected a JSON value" },
		{ "{\"a\":1,}", "Parse error: expected a member name" },
		{ "{'a':1}", "Parse error: expected a member name" },
		{ "{\"a\" 1}", "Parse error: expected ':'" },
		{ "{\"a\":tru}", "Parse error: expected a JSON value" },
		{ "{\"a\":\"\xff\"}", "Parse error: invalid UTF-8" },
		{ "{\"a\":\"\xc0\xaf\"}", "Parse error: invalid UTF-8" },
		{ "{\"a\":\"\xed\xa0\x80\"}", "Parse error: invalid UTF-8" },
		{ "{\"a\":\"x\ty\"}", "Parse error: control character in a string" },
		{ "{\"a\":\"\\ud800\"}", "Parse error: unpaired UTF-16 surrogate escape" },
		{ "{\"a\":\"\\x\"}", "Parse error: invalid escape in a string" },
		{ "{\"a\":[1}", "Parse error: mismatched bracket" },
		{ "{\"a\":1.}", "Parse error: malformed number" },
		{ "\xef\xbb\xbf{}", "Parse error: expected a JSON value" },
	};
	struct session s;
	sess_start(&s, true);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_line_error(&s, cases[i].line, "null", -32700, cases[i].message);
	sess_sync(&s, 99);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_invalid_requests)
{
	static const struct {
		const char *line, *id;
		int code;
		const char *message;
	} cases[] = {
		{ "{\"id\":7,\"method\":\"ping\"}", "7", -32600,
		  "Invalid Request: \"jsonrpc\" must be \"2.0\"" },
		{ "{\"jsonrpc\":\"1.0\",\"id\":\"x\",\"method\":\"ping\"}", "\"x\"", -32600,
		  "Invalid Request: \"jsonrpc\" must be \"2.0\"" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", "null", -32600,
		  "Invalid Request: \"id\" must be a string or a number (not null)" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", "null", -32600,
		  "Invalid Request: \"id\" must be a string or a number (not null)" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", "null", -32600,
		  NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", "null", -32600, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1e400,\"method\":\"ping\"}", "null", -32600, NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":5}", "3", -32600,
		  "Invalid Request: \"method\" must be a string" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3}", "3", -32600,
		  "Invalid Request: \"method\" is missing" },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":\"x\"}", "null", -32600,
		  "Invalid Request: \"params\" must be an object" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"params\":[1]}", "4", -32602,
		  "Invalid params: \"params\" must be an object" },
		{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", "null", -32600,
		  "Invalid Request: batches (JSON arrays) are not supported" },
		{ "[]", "null", -32600,
		  "Invalid Request: batches (JSON arrays) are not supported" },
		{ "\"ping\"", "null", -32600, "Invalid Request: a message must be a JSON object" },
		{ "42", "null", -32600, "Invalid Request: a message must be a JSON object" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"result\":{}}", "5", -32600,
		  "Invalid Request: a request has no \"result\" or \"error\"" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\",\"method\":\"initialize\"}",
		  "6", -32600, "Invalid Request: member \"method\" appears twice" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":"
		  "\"secret_list\",\"arguments\":{\"tag\":\"a\\u0000b\"}}}",
		  "8", -32600, "Invalid Request: strings must not contain \\u0000" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"foo/bar\"}", "9", -32601,
		  "Method not found: foo/bar" },
	};
	struct session s;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		expect_line_error(&s, cases[i].line, cases[i].id, cases[i].code, cases[i].message);
	struct mcp_wire_msg m;
	ck_assert(!sess_broker_recv(&s, &m, 50)); /* nothing reached the broker */
	sess_sync(&s, 99);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_notifications_unanswered)
{
	struct session s;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\",\"params\":{}}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
		      "\"params\":{\"requestId\":12345}}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
		      "\"params\":{\"progressToken\":1,\"progress\":2}}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}");	  /* no id: no answer */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\"}"); /* no id: no answer */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":[1]}"); /* by position */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}"); /* a response: no answer */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":1,\"message\":\"m\"}}");
	sess_send(&s, "");
	sess_send(&s, "   \r");
	sess_sync(&s, 1);
	struct mcp_wire_msg m;
	ck_assert(!sess_broker_recv(&s, &m, 50));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

/* A line of total bytes: {"jsonrpc":"2.0","method":"tools/call","params":{"pad":"xxx..."}<tail> */
static void send_big(struct session *s, size_t total, const char *tail)
{
	static const char head[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"pad\":\"";
	size_t fixed = strlen(head) + strlen("\"}") + strlen(tail);
	ck_assert_uint_gt(total, fixed);
	char *pad = malloc(total - fixed);
	ck_assert_ptr_nonnull(pad);
	memset(pad, 'x', total - fixed);
	sess_write(s, head, strlen(head));
	sess_write(s, pad, total - fixed);
	sess_write(s, "\"}", 2);
	sess_write(s, tail, strlen(tail));
	sess_write(s, "\n", 1);
	free(pad);
}

START_TEST(test_oversized_lines)
{
	struct session s;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	/* One byte over: refused, answered with the id that comes last (as the SDKs write it). */
	send_big(&s, MCP_LINE_MAX + 1, ",\"id\":42}");
	cJSON *r = read1(&s);
	expect_error(r, "42", -32600, "Invalid Request: message longer than 8 MiB");
	cJSON_Delete(r);
	sess_sync(&s, 1);
	/* Much larger, with a string id. */
	send_big(&s, MCP_LINE_MAX + 3000000, ",\"id\":\"big\"}");
	r = read1(&s);
	expect_error(r, "\"big\"", -32600, "Invalid Request: message longer than 8 MiB");
	cJSON_Delete(r);
	/* Without an id. */
	send_big(&s, MCP_LINE_MAX + 10, "}");
	r = read1(&s);
	expect_error(r, "null", -32600, "Invalid Request: message longer than 8 MiB");
	cJSON_Delete(r);
	/* A big number id, answered as written. */
	send_big(&s, MCP_LINE_MAX + 10, ",\"id\":123456789012345678901}");
	char *line = sess_read_text(&s, SESS_TIMEOUT_MS);
	ck_assert_str_eq(line,
			 "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901,\"error\":{\"code\":"
			 "-32600,\"message\":\"Invalid Request: message longer than 8 MiB\"}}");
	free(line);
	/* Too long and broken: a parse error. */
	send_big(&s, MCP_LINE_MAX + 10, ",]");
	r = read1(&s);
	expect_error(r, "null", -32700, NULL);
	cJSON_Delete(r);
	/* Exactly at the limit: served (a tools/call without a name). */
	send_big(&s, MCP_LINE_MAX, ",\"id\":43}");
	r = read1(&s);
	expect_error(r, "43", -32602, NULL); /* tools/call without a name */
	cJSON_Delete(r);
	sess_sync(&s, 2);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

static void send_nested(struct session *s, int id, int depth)
{
	/* Top-level object and params are 2 levels; the rest are arrays inside params.x. */
	struct buf b = BUF_INIT;
	ck_assert_int_eq(
		buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":{\"x\":"), 0);
	for (int i = 0; i < depth - 2; i++)
		ck_assert_int_eq(buf_putc(&b, '['), 0);
	for (int i = 0; i < depth - 2; i++)
		ck_assert_int_eq(buf_putc(&b, ']'), 0);
	ck_assert_int_eq(buf_printf(&b, "},\"id\":%d}", id), 0);
	sess_send(s, b.data);
	buf_release(&b);
}

START_TEST(test_deep_nesting)
{
	struct session s;
	sess_start(&s, true);
	send_nested(&s, 1, MCP_JSON_DEPTH_MAX);
	cJSON *r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
	cJSON_Delete(r);
	send_nested(&s, 2, MCP_JSON_DEPTH_MAX + 1);
	r = read1(&s);
	expect_error(r, "2", -32600, "Invalid Request: JSON nested deeper than 64 levels");
	cJSON_Delete(r);
	send_nested(&s, 3, 100000);
	r = read1(&s);
	expect_error(r, "3", -32600, "Invalid Request: JSON nested deeper than 64 levels");
	cJSON_Delete(r);
	/* Deep and broken inside the skipped part is still told apart at the end. */
	sess_send(&s, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	r = read1(&s);
	expect_error(r, "null", -32700, "Parse error: unexpected end of the message");
	cJSON_Delete(r);
	sess_sync(&s, 4);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_too_many_values)
{
	struct session s;
	struct buf b = BUF_INIT;
	sess_start(&s, true);
	ck_assert_int_eq(buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\","
				      "\"params\":{\"x\":["),
			 0);
	for (int i = 0; i < MCP_JSON_VALUES_MAX; i++)
		ck_assert_int_eq(buf_puts(&b, i ? ",0" : "0"), 0);
	ck_assert_int_eq(buf_puts(&b, "]}}"), 0);
	sess_send(&s, b.data);
	buf_release(&b);
	cJSON *r = read1(&s);
	expect_error(r, "5", -32600, "Invalid Request: more than 100000 JSON values");
	cJSON_Delete(r);
	sess_sync(&s, 6);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

/* ---- tools/call --------------------------------------------------------------------------- */

START_TEST(test_unknown_tool)
{
	struct session s;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"secret_reveal\",\"arguments\":{}}}",
			  "1", -32602, "Unknown tool: secret_reveal");
	/* Not offered without the policy's mcp_folder_writes: unknown, never sent to the broker. */
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"folder_create\",\"arguments\":{\"name\":\"x\"}}}",
			  "11", -32602, "Unknown tool: folder_create");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"folder_move_secret\",\"arguments\":{\"key\":\"k\","
			  "\"folder\":\"\"}}}",
			  "12", -32602, "Unknown tool: folder_move_secret");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
			  "\"arguments\":{}}}",
			  "2", -32602, "Invalid params: tools/call needs \"name\" (a string)");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"secret_list\",\"arguments\":[1]}}",
			  "3", -32602, "Invalid params: \"arguments\" must be an object");
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"secret_list\",\"_meta\":{\"progressToken\":true}}}",
			  "4", -32602,
			  "Invalid params: _meta.progressToken must be a string or a number");
	struct mcp_wire_msg m;
	ck_assert(!sess_broker_recv(&s, &m, 50));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_argument_validation)
{
	static char long_cmd[BROKER_COMMAND_MAX + 100], long_arg[(32 << 10) + 100];
	static char many_keys[512], many_args[1024], long_key[400];
	static const struct {
		const char *tool, *args, *message;
	} cases[] = {
		{ "secret_list", "{\"tag\":5}", "property 'tag' must be a string" },
		{ "secret_list", "{\"foo\":1}", "unknown property 'foo'" },
		{ "secret_list", "{\"tag\":\"\"}",
		  "property 'tag' must be 1 to 64 bytes without control characters" },
		{ "secret_list", "{\"tag\":\"a\\nb\"}",
		  "property 'tag' must be 1 to 64 bytes without control characters" },
		{ "secret_list", "{\"expiring_within\":\"7x\"}",
		  "property 'expiring_within' must be a duration such as 7d, 12h or 2w (got "
		  "\"7x\")" },
		{ "secret_list", "{\"expiring_within\":\"500ms\"}",
		  "property 'expiring_within' must be a duration such as 7d, 12h or 2w (got "
		  "\"500ms\")" },
		{ "secret_exists", "{}", "missing required property 'key'" },
		{ "secret_exists", "{\"key\":\"a b\"}",
		  "property 'key' must be 1 to 256 bytes of A-Z a-z 0-9 . _ / - * ?" },
		{ "secret_exists", "{\"key\":null}", "property 'key' must be a string" },
		{ "secret_get_masked", "{\"key\":\"aws/*\"}",
		  "property 'key' must be 1 to 256 bytes of A-Z a-z 0-9 . _ / -" },
		{ "secret_get_masked", "{\"key\":\"k\",\"extra\":true}",
		  "unknown property 'extra'" },
		{ "secret_run", "{\"keys\":[],\"command\":\"x\"}",
		  "property 'keys' must have 1 to 10 items (it has 0)" },
		{ "secret_run", many_keys, "property 'keys' must have 1 to 10 items (it has 11)" },
		{ "secret_run", "{\"keys\":[\"a\",1],\"command\":\"x\"}",
		  "property 'keys' must be an array of strings" },
		{ "secret_run", "{\"keys\":\"a\",\"command\":\"x\"}",
		  "property 'keys' must be an array of strings" },
		{ "secret_run", "{\"keys\":[\"a\",\"\"],\"command\":\"x\"}",
		  "property 'keys' item 1 must be 1 to 256 bytes of A-Z a-z 0-9 . _ / - * ?" },
		{ "secret_run", long_key,
		  "property 'keys' item 0 must be 1 to 256 bytes of A-Z a-z 0-9 . _ / - * ?" },
		{ "secret_run", "{\"keys\":[\"a\"]}", "missing required property 'command'" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"\"}",
		  "property 'command' must be 1 to 4096 bytes" },
		{ "secret_run", long_cmd, "property 'command' must be 1 to 4096 bytes" },
		{ "secret_run", many_args,
		  "property 'args' must have 0 to 100 items (it has 101)" },
		{ "secret_run", long_arg, "property 'args' item 0 must be 0 to 32768 bytes" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"args\":[1]}",
		  "property 'args' must be an array of strings" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"timeout\":\"5x\"}",
		  "property 'timeout' must be a duration such as 30s, 5m or 1h30m (got \"5x\")" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"timeout\":\"0s\"}",
		  "property 'timeout' must be a duration such as 30s, 5m or 1h30m (got \"0s\")" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"timeout\":30}",
		  "property 'timeout' must be a string" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"env_prefix\":\"app_\"}",
		  "property 'env_prefix' must be 1 to 64 bytes of A-Z 0-9 _, not starting with a "
		  "digit" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"env_prefix\":\"1A\"}",
		  "property 'env_prefix' must be 1 to 64 bytes of A-Z 0-9 _, not starting with a "
		  "digit" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"env\":\"st aging\"}",
		  "property 'env' must be 1 to 64 bytes of A-Z a-z 0-9 . _ -" },
		{ "secret_run", "{\"keys\":[\"a\"],\"command\":\"x\",\"key\":\"a\"}",
		  "unknown property 'key'" },
		{ "secret_list_fields", "{}", "missing required property 'key'" },
		{ "secret_get_field", "{\"key\":\"db/prod\"}",
		  "missing required property 'field'" },
		{ "secret_get_field", "{\"key\":\"db/prod\",\"field\":\"a/b\"}",
		  "property 'field' must be 1 to 64 bytes of A-Z a-z 0-9 . _ -" },
		{ "secret_run_with_bindings", "{\"key\":\"db\",\"command\":\"x\",\"keys\":[\"a\"]}",
		  "unknown property 'keys'" },
		{ "secret_run_with_bindings", "{\"command\":\"x\"}",
		  "missing required property 'key'" },
		{ "security_score", "{\"include_keys\":\"yes\"}",
		  "property 'include_keys' must be a boolean" },
		{ "security_score", "{\"include_keys\":1}",
		  "property 'include_keys' must be a boolean" },
		{ "policy_check", "{\"command\":\"x\"}", "missing required property 'keys'" },
		{ "policy_check", "{\"keys\":[],\"command\":\"x\",\"timeout\":\"5m\"}",
		  "unknown property 'timeout'" },
	};
	/* The long cases, built once. */
	memset(long_cmd, 0, sizeof(long_cmd));
	strcpy(long_cmd, "{\"keys\":[\"a\"],\"command\":\"");
	memset(long_cmd + strlen(long_cmd), 'c', BROKER_COMMAND_MAX + 1);
	strcat(long_cmd, "\"}");
	memset(long_arg, 0, sizeof(long_arg));
	strcpy(long_arg, "{\"keys\":[\"a\"],\"command\":\"x\",\"args\":[\"");
	memset(long_arg + strlen(long_arg), 'a', (32 << 10) + 1);
	strcat(long_arg, "\"]}");
	strcpy(many_keys, "{\"command\":\"x\",\"keys\":[\"k\"");
	for (int i = 0; i < 10; i++)
		strcat(many_keys, ",\"k\"");
	strcat(many_keys, "]}");
	strcpy(many_args, "{\"keys\":[\"a\"],\"command\":\"x\",\"args\":[\"\"");
	for (int i = 0; i < 100; i++)
		strcat(many_args, ",\"\"");
	strcat(many_args, "]}");
	memset(long_key, 0, sizeof(long_key));
	strcpy(long_key, "{\"command\":\"x\",\"keys\":[\"");
	memset(long_key + strlen(long_key), 'k', 257);
	strcat(long_key, "\"]}");

	struct session s;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char want[512];
		snprintf(want, sizeof(want), "Invalid arguments for tool %s: %s", cases[i].tool,
			 cases[i].message);
		sess_sendf(&s,
			   "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"tools/call\",\"params\":{"
			   "\"name\":\"%s\",\"arguments\":%s}}",
			   i, cases[i].tool, cases[i].args);
		cJSON *r = read1(&s);
		char id[32];
		snprintf(id, sizeof(id), "%zu", i);
		expect_error(r, id, -32602, want);
		cJSON_Delete(r);
	}
	struct mcp_wire_msg m;
	ck_assert(!sess_broker_recv(&s, &m, 50)); /* no CALL for any of them */
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

/* Check the CALL's fields: names and kinds in order. */
static void expect_fields(const struct mcp_wire_msg *m, const char *names, const char *kinds)
{
	char got_names[512] = "", got_kinds[64] = "";
	for (size_t i = 0; i < m->nfields; i++) {
		if (i)
			strcat(got_names, ",");
		strcat(got_names, m->fields[i].name);
		got_kinds[i] = "?SIBV"[m->fields[i].kind];
	}
	ck_assert_str_eq(got_names, names);
	ck_assert_str_eq(got_kinds, kinds);
}

static void expect_strv(const struct mcp_wire_msg *m, const char *name, const char *joined)
{
	const struct mcp_wire_field *f = mcp_wire_get(m, name, MCP_WK_STRV);
	struct buf b = BUF_INIT;
	size_t cur = 0;
	const char *p;
	size_t len;
	ck_assert_ptr_nonnull(f);
	while (mcp_wire_strv_next(f, &cur, &p, &len) == 1) {
		if (b.len)
			buf_putc(&b, '|');
		buf_append(&b, p, len);
	}
	ck_assert_str_eq(b.len ? b.data : "", joined);
	buf_release(&b);
}

static void expect_str(const struct mcp_wire_msg *m, const char *name, const char *want)
{
	char *v = wire_str(m, name);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, want);
	free(v);
}

START_TEST(test_call_fields)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");

	uint64_t w = call(&s, 1, "secret_run",
			  "{\"env\":\"staging\",\"keys\":[\"db/*\",\"API_KEY\"],\"command\":"
			  "\"psql $DB_URL -c 'SELECT 1'\",\"args\":[\"--x\",\"\",\"caf\xc3\xa9\"],"
			  "\"timeout\":\"90s\",\"env_prefix\":\"APP_\"}",
			  &m);
	ck_assert_uint_eq(w, 1);
	expect_fields(&m, "tool,progress,keys,command,args,timeout,env_prefix,env", "SBVSVSSS");
	ck_assert(!mcp_wire_get(&m, "progress", MCP_WK_BOOL)->b);
	expect_strv(&m, "keys", "db/*|API_KEY");
	expect_str(&m, "command", "psql $DB_URL -c 'SELECT 1'");
	expect_strv(&m, "args", "--x||caf\xc3\xa9");
	expect_str(&m, "timeout", "90s");
	expect_str(&m, "env_prefix", "APP_");
	expect_str(&m, "env", "staging");
	sess_result(&s, w, false, RUN_JSON, NULL);
	cJSON_Delete(read1(&s));

	/* A timeout over an hour is capped. */
	w = call(&s, 2, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\",\"timeout\":\"2h\"}",
		 &m);
	ck_assert_uint_eq(w, 2);
	expect_fields(&m, "tool,progress,keys,command,timeout", "SBVSS");
	expect_str(&m, "timeout", "1h");
	sess_result(&s, w, false, RUN_JSON, NULL);
	cJSON_Delete(read1(&s));

	/* No arguments at all. */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"secret_list\"}}");
	w = sess_expect_call(&s, "secret_list", &m);
	expect_fields(&m, "tool,progress", "SB");
	sess_result(&s, w, false, "{\"secrets\":[]}", NULL);
	cJSON_Delete(read1(&s));

	w = call(&s, 4, "security_score", "{\"include_keys\":true}", &m);
	expect_fields(&m, "tool,progress,include_keys", "SBB");
	ck_assert(mcp_wire_get(&m, "include_keys", MCP_WK_BOOL)->b);
	sess_result(&s, w, true, NULL, "no vault");
	cJSON_Delete(read1(&s));

	w = call(&s, 5, "policy_check", "{\"keys\":[],\"command\":\"ls\",\"args\":[\"-l\"]}", &m);
	expect_fields(&m, "tool,progress,keys,command,args", "SBVSV");
	expect_strv(&m, "keys", "");
	sess_result(&s, w, true, NULL, "x");
	cJSON_Delete(read1(&s));

	w = call(&s, 6, "secret_get_field", "{\"field\":\"host\",\"key\":\"db/prod\"}", &m);
	expect_fields(&m, "tool,progress,key,field", "SBSS");
	sess_result(&s, w, true, NULL, "x");
	cJSON_Delete(read1(&s));

	w = call(&s, 7, "secret_run_with_bindings",
		 "{\"key\":\"db/prod\",\"command\":\"psql\",\"timeout\":\"500ms\"}", &m);
	expect_fields(&m, "tool,progress,key,command,timeout", "SBSSS");
	expect_str(&m, "timeout", "500ms");
	sess_result(&s, w, true, NULL, "x");
	cJSON_Delete(read1(&s));

	w = call(&s, 8, "secret_list", "{\"tag\":\"prod\",\"expiring_within\":\"7d\"}", &m);
	expect_fields(&m, "tool,progress,tag,expiring_within", "SBSS");
	sess_result(&s, w, true, NULL, "x");
	cJSON_Delete(read1(&s));

	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_results)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");

	/* A run: text rendering plus structuredContent, no isError. */
	uint64_t w = call(&s, 1, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\"}", &m);
	sess_result(&s, w, false, RUN_JSON, NULL);
	cJSON *r = read1(&s);
	ck_assert(jeq(r,
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\","
		      "\"text\":\"exit_code: 0\\nduration_ms: 12\\nsanitized: true (secret values "
		      "were redacted)\\n--- stdout ---\\nhello\\n--- stderr ---\\nwarn\"}],"
		      "\"structuredContent\":" RUN_JSON "}}"));
	cJSON_Delete(r);

	/* Others: the structured content as compact JSON text. */
	static const char list_json[] =
		"{\"secrets\":[{\"key\":\"API_KEY\",\"has_value\":true,\"value_length\":12,"
		"\"field_count\":0,\"fields\":[],\"bindings\":[],\"tags\":[\"prod\"],\"notes\":"
		"null,"
		"\"url\":\"https://x\",\"has_notes\":false,\"has_url\":true,"
		"\"created_at\":\"2026-01-02T03:04:05Z\",\"updated_at\":\"2026-01-02T03:04:05Z\","
		"\"expires_at\":null}]}";
	w = call(&s, 2, "secret_list", "{}", &m);
	sess_result(&s, w, false, list_json, NULL);
	r = read1(&s);
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(jget(r, "result|content"), 0), "text"), list_json);
	ck_assert(jeq(jget(r, "result|structuredContent"), list_json));
	ck_assert_int_eq(cJSON_GetArraySize(jget(r, "result")), 2);
	cJSON_Delete(r);

	/* A tool error: isError and the message, no structuredContent. */
	w = call(&s, 3, "secret_run", "{\"keys\":[\"k\"],\"command\":\"rm -rf /\"}", &m);
	sess_result(&s, w, true, NULL, "rm: denied by policy (denied_commands: rm)");
	r = read1(&s);
	ck_assert(jeq(
		r, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\","
		   "\"text\":\"rm: denied by policy (denied_commands: rm)\"}],\"isError\":true}}"));
	cJSON_Delete(r);

	/* A run that timed out: an error with its output. */
	static const char timed_out[] =
		"{\"exit_code\":124,\"stdout\":\"partial\",\"stderr\":\"\",\"duration_ms\":5000,"
		"\"sanitized\":false,\"timed_out\":true,\"truncated\":true}";
	w = call(&s, 4, "secret_run", "{\"keys\":[\"k\"],\"command\":\"sleep 9\"}", &m);
	sess_result(&s, w, true, timed_out, "timed out after 5000 ms");
	r = read1(&s);
	ck_assert(jeq(r,
		      "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"content\":[{\"type\":\"text\","
		      "\"text\":\"timed out after 5000 ms\\nexit_code: 124\\nduration_ms: 5000\\n"
		      "timed_out: true (the command was killed)\\ntruncated: true (output past the "
		      "limit was dropped)\\n--- stdout ---\\npartial\\n--- stderr ---\\n\"}],"
		      "\"isError\":true,\"structuredContent\":"
		      "{\"exit_code\":124,\"stdout\":"
		      "\"partial\",\"stderr\":\"\",\"duration_ms\":5000,\"sanitized\":false,"
		      "\"timed_out\":true,\"truncated\":true}"
		      "}}"));
	cJSON_Delete(r);

	/* An error whose json does not match the schema: dropped, message kept. */
	w = call(&s, 5, "secret_get_masked", "{\"key\":\"k\"}", &m);
	sess_result(&s, w, true, "{\"why\":1}", "not found: k");
	r = read1(&s);
	ck_assert(jeq(r,
		      "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[{\"type\":\"text\","
		      "\"text\":\"not found: k\"}],\"isError\":true}}"));
	cJSON_Delete(r);

	/* Output with NUL bytes and invalid UTF-8 reaches the client as valid JSON. */
	w = call(&s, 6, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\"}", &m);
	sess_result(&s, w, false,
		    "{\"exit_code\":1,\"stdout\":\"a\\u0000b\xff"
		    "c\",\"stderr\":\"\",\"duration_ms\":1,"
		    "\"sanitized\":false,\"timed_out\":false,\"truncated\":false}",
		    NULL);
	r = read1(&s);
	ck_assert_str_eq(jstr(r, "result|structuredContent|stdout"), "a\xef\xbf\xbd"
								     "b\xef\xbf\xbd"
								     "c");
	cJSON_Delete(r);

	/* A message with bytes that are not UTF-8. */
	w = call(&s, 7, "secret_list", "{}", &m);
	sess_result(&s, w, true, NULL, "bad \xc3 byte");
	r = read1(&s);
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(jget(r, "result|content"), 0), "text"),
			 "bad \xef\xbf\xbd byte");
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_results_old_versions)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-03-26");
	uint64_t w = call(&s, 1, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\"}", &m);
	sess_result(&s, w, false, RUN_JSON, NULL);
	cJSON *r = read1(&s);
	/* No structuredContent before 2025-06-18: the text carries it all. */
	ck_assert(jeq(r,
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\","
		      "\"text\":\"exit_code: 0\\nduration_ms: 12\\nsanitized: true (secret values "
		      "were redacted)\\n--- stdout ---\\nhello\\n--- stderr ---\\nwarn\"}]}}"));
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_unusable_results)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	static const char *const bad_json[] = { "not json", "[1,2]", "{\"a\":1} x", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_json); i++) {
		uint64_t w = call(&s, (int)i, "secret_list", "{}", &m);
		sess_result(&s, w, false, bad_json[i], NULL);
		cJSON *r = read1(&s);
		char id[8];
		snprintf(id, sizeof(id), "%zu", i);
		expect_error(r, id, -32603, "Internal error: the broker sent an unusable result");
		cJSON_Delete(r);
	}
	/* No error field; no json on success. */
	uint64_t w = call(&s, 10, "secret_list", "{}", &m);
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_RESULT, w);
	mcp_wire_cstr(&e, "json", "{}");
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(&s, &b);
	buf_release(&b);
	cJSON *r = read1(&s);
	expect_error(r, "10", -32603, NULL);
	cJSON_Delete(r);
	w = call(&s, 11, "secret_list", "{}", &m);
	sess_result(&s, w, false, NULL, NULL);
	r = read1(&s);
	expect_error(r, "11", -32603, NULL);
	cJSON_Delete(r);
	/* A RESULT for an id that is not in flight is dropped. */
	sess_result(&s, 9999, false, "{}", NULL);
	sess_sync(&s, 12);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

static uint64_t call_big(struct session *s)
{
	struct mcp_wire_msg m;
	sess_send(s, "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"tools/call\","
		     "\"params\":{\"name\":\"secret_list\"}}");
	return sess_expect_call(s, "secret_list", &m);
}

START_TEST(test_cancellation)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	sess_send(
		&s,
		"{\"jsonrpc\":\"2.0\",\"id\":\"run-1\",\"method\":\"tools/call\",\"params\":{"
		"\"name\":\"secret_run\",\"arguments\":{\"keys\":[\"k\"],\"command\":\"sleep 60\"},"
		"\"_meta\":{\"progressToken\":\"t1\"}}}");
	uint64_t w = sess_expect_call(&s, "secret_run", &m);
	uint64_t w2 = call(&s, 2, "secret_list", "{}", &m);
	/* A number 1 is not the string "1": no cancel for the wrong type. */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
		      "\"requestId\":\"2\"}}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
		      "\"requestId\":\"run-1\",\"reason\":\"user pressed stop\"}}");
	ck_assert(sess_broker_recv(&s, &m, SESS_TIMEOUT_MS));
	ck_assert_int_eq(m.type, MCP_W_CANCEL);
	ck_assert_uint_eq(m.id, w);
	ck_assert_uint_eq(m.nfields, 0);
	/* Whatever the broker still sends for it is dropped. */
	sess_progress(&s, w, 100, 60000, "running");
	sess_result(&s, w, true, NULL, "cancelled");
	sess_sync(&s, 3);
	/* A big number id in flight, cancelled by its value. */
	uint64_t w3 = call_big(&s);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
		      "\"requestId\":9007199254740993}}");
	ck_assert(sess_broker_recv(&s, &m, SESS_TIMEOUT_MS));
	ck_assert_int_eq(m.type, MCP_W_CANCEL);
	ck_assert_uint_eq(m.id, w3);
	/* A second cancel of the same request does nothing. */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
		      "\"requestId\":\"run-1\"}}");
	sess_sync(&s, 4);
	ck_assert(!sess_broker_recv(&s, &m, 50));
	/* The other call is unaffected, and the cancelled id can be used again. */
	sess_result(&s, w2, false, "{\"secrets\":[]}", NULL);
	cJSON *r = read1(&s);
	ck_assert_int_eq(jget(r, "id")->valueint, 2);
	cJSON_Delete(r);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"run-1\",\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"secret_list\"}}");
	w = sess_expect_call(&s, "secret_list", &m);
	sess_result(&s, w, false, "{\"secrets\":[]}", NULL);
	r = read1(&s);
	ck_assert_str_eq(jstr(r, "id"), "run-1");
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_progress)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	sess_send(&s,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
		  "\"name\":\"secret_run\",\"arguments\":{\"keys\":[\"k\"],\"command\":\"make\"},"
		  "\"_meta\":{\"progressToken\":\"tok-1\"}}}");
	uint64_t w = sess_expect_call(&s, "secret_run", &m);
	ck_assert(mcp_wire_get(&m, "progress", MCP_WK_BOOL)->b);
	sess_progress(&s, w, 1000, 300000, "running for 1 s");
	cJSON *r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{"
			 "\"progressToken\":\"tok-1\",\"progress\":1000,\"total\":300000,"
			 "\"message\":\"running for 1 s\"}}"));
	cJSON_Delete(r);
	/* Not increasing: dropped. */
	sess_progress(&s, w, 1000, 300000, "again");
	sess_progress(&s, w, 999, 300000, "back");
	sess_progress(&s, w, 2000, 0, NULL); /* total 0: unknown, left out */
	r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{"
			 "\"progressToken\":\"tok-1\",\"progress\":2000}}"));
	cJSON_Delete(r);
	sess_result(&s, w, false, RUN_JSON, NULL);
	r = read1(&s);
	ck_assert_int_eq(jget(r, "id")->valueint, 1);
	cJSON_Delete(r);
	/* After the result: no more progress. */
	sess_progress(&s, w, 3000, 0, NULL);

	/* Without a token: progress false, and PROGRESS is dropped. */
	w = call(&s, 2, "secret_run", "{\"keys\":[\"k\"],\"command\":\"make\"}", &m);
	ck_assert(!mcp_wire_get(&m, "progress", MCP_WK_BOOL)->b);
	sess_progress(&s, w, 1000, 0, "x");
	sess_sync(&s, 3);
	sess_result(&s, w, false, RUN_JSON, NULL);
	cJSON_Delete(read1(&s));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_progress_2024)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2024-11-05");
	sess_send(&s,
		  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
		  "\"name\":\"secret_run\",\"arguments\":{\"keys\":[\"k\"],\"command\":\"make\"},"
		  "\"_meta\":{\"progressToken\":9007199254740993}}}");
	uint64_t w = sess_expect_call(&s, "secret_run", &m);
	sess_progress(&s, w, 5, 10, "no message field in 2024-11-05");
	/* The token comes back digit for digit (as the double it was read into). */
	char *line = sess_read_text(&s, SESS_TIMEOUT_MS);
	ck_assert_str_eq(line,
			 "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{"
			 "\"progressToken\":9007199254740992,\"progress\":5,\"total\":10}}");
	free(line);
	cJSON *r;
	sess_result(&s, w, false, RUN_JSON, NULL);
	r = read1(&s);
	/* No structuredContent, no annotations era: text only. */
	ck_assert_int_eq(cJSON_GetArraySize(jget(r, "result")), 1);
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_out_of_order)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	uint64_t w1 = call(&s, 1, "secret_run", "{\"keys\":[\"k\"],\"command\":\"sleep 3\"}", &m);
	uint64_t w2 = call(&s, 2, "secret_run", "{\"keys\":[\"k\"],\"command\":\"sleep 2\"}", &m);
	/* A quick call answers while the runs are in flight. */
	uint64_t w3 = call(&s, 3, "secret_exists", "{\"key\":\"aws/*\"}", &m);
	ck_assert(w1 != w2 && w2 != w3 && w1 != w3);
	sess_result(&s, w3, false, "{\"exists\":true,\"key\":\"aws/*\",\"matches\":[\"aws/a\"]}",
		    NULL);
	cJSON *r = read1(&s);
	ck_assert_int_eq(jget(r, "id")->valueint, 3);
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(jget(r, "result|content"), 0), "text"),
			 "{\"exists\":true,\"key\":\"aws/*\",\"matches\":[\"aws/a\"]}");
	cJSON_Delete(r);
	sess_result(&s, w2, false, RUN_JSON, NULL);
	r = read1(&s);
	ck_assert_int_eq(jget(r, "id")->valueint, 2);
	cJSON_Delete(r);
	sess_result(&s, w1, false, RUN_JSON, NULL);
	r = read1(&s);
	ck_assert_int_eq(jget(r, "id")->valueint, 1);
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_duplicate_id_in_flight)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	uint64_t w = call(&s, 5, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\"}", &m);
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"secret_list\"}}",
			  "5", -32600,
			  "Invalid Request: this id belongs to a request still in flight");
	ck_assert(!sess_broker_recv(&s, &m, 50));
	sess_result(&s, w, false, RUN_JSON, NULL);
	cJSON *r = read1(&s);
	ck_assert_ptr_nonnull(jget(r, "result|structuredContent"));
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_calls_max)
{
	struct session s;
	struct mcp_wire_msg m;
	uint64_t w[MCP_CALLS_MAX];
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	for (int i = 0; i < MCP_CALLS_MAX; i++)
		w[i] = call(&s, 100 + i, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\"}", &m);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"secret_list\"}}");
	cJSON *r = read1(&s);
	ck_assert(jeq(r,
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\","
		      "\"text\":\"64 tool calls are already running; wait for one to finish or "
		      "cancel one\"}],\"isError\":true}}"));
	cJSON_Delete(r);
	ck_assert(!sess_broker_recv(&s, &m, 50));
	sess_result(&s, w[10], false, RUN_JSON, NULL);
	r = read1(&s);
	ck_assert_int_eq(jget(r, "id")->valueint, 110);
	cJSON_Delete(r);
	/* A slot is free again. */
	uint64_t x = call(&s, 2, "secret_list", "{}", &m);
	ck_assert_uint_eq(x, MCP_CALLS_MAX + 1);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

/* ---- the two ends ------------------------------------------------------------------------- */

START_TEST(test_broker_eof)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	call(&s, 1, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\"}", &m);
	call(&s, 2, "secret_list", "{}", &m);
	shutdown(s.broker, SHUT_RDWR);
	cJSON *a = read1(&s), *b = read1(&s);
	const char *msg = "Internal error: the secretctl broker process stopped; restart the MCP "
			  "server (its stderr says why)";
	expect_error(a, "1", -32603, msg);
	expect_error(b, "2", -32603, msg);
	cJSON_Delete(a);
	cJSON_Delete(b);
	ck_assert_int_eq(sess_wait(&s), 1);
	ck_assert_ptr_null(sess_read_text(&s, 100));
	sess_release(&s);
}
END_TEST

START_TEST(test_broker_garbage)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	call(&s, 1, "secret_run", "{\"keys\":[\"k\"],\"command\":\"x\"}", &m);
	/* A frame with an unknown type. */
	static const unsigned char bad[16] = { 12, 0, 0, 0, 99 };
	ck_assert_int_eq(fd_write_all(s.broker, bad, sizeof(bad)), 0);
	cJSON *r = read1(&s);
	expect_error(r, "1", -32603, NULL);
	cJSON_Delete(r);
	ck_assert_int_eq(sess_wait(&s), 1);
	sess_release(&s);

	/* A CALL from the broker is a protocol violation too. */
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(&s, &b);
	buf_release(&b);
	ck_assert_int_eq(sess_wait(&s), 1);
	sess_release(&s);
}
END_TEST

START_TEST(test_no_ready)
{
	struct session s;
	sess_start(&s, false);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
	ck_assert(sess_quiet(&s, 100)); /* held until READY */
	/* The broker failed to start (a wrong password): what waited gets an error. */
	shutdown(s.broker, SHUT_RDWR);
	const char *down = "Internal error: secretctl could not start (no vault, a wrong password "
			   "or a bad policy file?); its stderr says why";
	cJSON *r = read1(&s);
	expect_error(r, "1", -32603, down);
	cJSON_Delete(r);
	r = read1(&s);
	expect_error(r, "2", -32603, down);
	cJSON_Delete(r);
	/* It keeps answering so, until the client leaves. */
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{"
			  "\"name\":\"secret_list\"," META_MODERN "}}",
			  "3", -32603, down);
	/* server/discover too: a server that cannot start must not look like a modern one. */
	expect_line_error(&s,
			  "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"server/"
			  "discover\",\"params\":{" META_MODERN "}}",
			  "4", -32603, down);
	expect_line_error(&s, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"nope\"}", "5", -32603,
			  down);
	ck_assert_int_eq(sess_finish(&s), 1);
	ck_assert_ptr_null(sess_read_text(&s, 100));
	sess_release(&s);

	/* Lines sent before READY are served after it. */
	sess_start(&s, false);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	ck_assert(sess_quiet(&s, 50));
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_READY, 0);
	ck_assert_int_eq(mcp_wire_end(&e), 0); /* no version: our own */
	sess_broker_send(&s, &b);
	buf_release(&b);
	r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
	cJSON_Delete(r);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{"
		      "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}}}");
	r = read1(&s);
	ck_assert_str_eq(jstr(r, "result|serverInfo|version"), SECRETCTL_VERSION);
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);

	/* Something other than READY first: the same. */
	sess_start(&s, false);
	sess_result(&s, 1, false, "{}", NULL);
	ck_assert(sess_broker_eof(&s, SESS_TIMEOUT_MS));
	expect_line_error(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "1", -32603,
			  NULL);
	ck_assert_int_eq(sess_finish(&s), 1);
	sess_release(&s);
}
END_TEST

/* Before READY (the vault is being unlocked) requests wait, server/discover too, in order;
 * malformed lines need nothing and are answered at once. */
START_TEST(test_requests_wait_for_ready)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, false);
	expect_line_error(&s, "{", "null", -32700, NULL);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"server-discover-probe-1\",\"method\":"
		      "\"server/discover\",\"params\":{" META_MODERN "}}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"secret_list\"," META_MODERN "}}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"d2\",\"method\":\"server/discover\","
		      "\"params\":{" META_MODERN "}}");
	ck_assert(sess_quiet(&s, 100));
	ck_assert(!sess_broker_recv(&s, &m, 10));
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_READY, 0);
	mcp_wire_cstr(&e, "version", SESS_VERSION);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(&s, &b);
	buf_release(&b);
	cJSON *r = read1(&s);
	ck_assert_str_eq(jstr(r, "id"), "server-discover-probe-1");
	ck_assert(jeq(jget(r, "result|supportedVersions"), "[\"2026-07-28\"]"));
	ck_assert_str_eq(jstr(r, "result|_meta|io.modelcontextprotocol/serverInfo|version"),
			 SESS_VERSION);
	cJSON_Delete(r);
	uint64_t w = sess_expect_call(&s, "secret_list", &m);
	r = read1(&s); /* the second discover, after the held call was sent */
	ck_assert_str_eq(jstr(r, "id"), "d2");
	cJSON_Delete(r);
	sess_result(&s, w, false, "{\"secrets\":[]}", NULL);
	r = read1(&s);
	ck_assert_int_eq(jget(r, "id")->valueint, 1);
	ck_assert_str_eq(jstr(r, "result|resultType"), "complete");
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);

	/* A client that leaves before READY: the front ends (0) and closes the broker socket. */
	sess_start(&s, false);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"server/discover\","
		      "\"params\":{" META_MODERN "}}");
	ck_assert(sess_quiet(&s, 50));
	close(s.in);
	s.in = -1;
	ck_assert(!sess_broker_eof(&s, 200)); /* held input: stdin is not read until READY */
	struct buf r2 = BUF_INIT;
	mcp_wire_begin(&e, &r2, MCP_W_READY, 0);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(&s, &r2);
	buf_release(&r2);
	r = read1(&s);
	ck_assert_str_eq(jstr(r, "id"), "p");
	cJSON_Delete(r);
	ck_assert(sess_broker_eof(&s, SESS_TIMEOUT_MS));
	ck_assert_int_eq(sess_wait(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_stdin_eof)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	call(&s, 1, "secret_run", "{\"keys\":[\"k\"],\"command\":\"sleep 100\"}", &m);
	/* The client leaves: the front closes the broker socket (the broker then stops the runs)
	 * and exits 0 without answering. */
	close(s.in);
	s.in = -1;
	ck_assert(sess_broker_eof(&s, SESS_TIMEOUT_MS));
	ck_assert_int_eq(sess_wait(&s), 0);
	ck_assert_ptr_null(sess_read_text(&s, 50));
	sess_release(&s);
}
END_TEST

START_TEST(test_last_line_without_newline)
{
	struct session s;
	sess_start(&s, true);
	const char ping[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
	sess_write(&s, ping, strlen(ping));
	ck_assert(sess_quiet(&s, 50)); /* a line ends at its newline */
	ck_assert_int_eq(sess_finish(&s), 0);
	cJSON *r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
	cJSON_Delete(r);
	sess_release(&s);
}
END_TEST

START_TEST(test_split_writes)
{
	/* Lines split at every byte, and several lines in one write. */
	struct session s;
	sess_start(&s, true);
	const char two[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"
			   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n";
	for (size_t i = 0; i < sizeof(two) - 1; i++)
		sess_write(&s, two + i, 1);
	cJSON *r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
	cJSON_Delete(r);
	r = read1(&s);
	ck_assert(jeq(r, "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}"));
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_large_result)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_init(&s, "2025-11-25");
	uint64_t w = call(&s, 1, "secret_run", "{\"keys\":[\"k\"],\"command\":\"cat big\"}", &m);
	size_t n = 3u << 20;
	struct buf j = BUF_INIT;
	ck_assert_int_eq(buf_puts(&j, "{\"exit_code\":0,\"stdout\":\""), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(buf_putc(&j, (char)('a' + i % 26)), 0);
	ck_assert_int_eq(buf_puts(&j, "\",\"stderr\":\"\",\"duration_ms\":1,\"sanitized\":false,"
				      "\"timed_out\":false,\"truncated\":false}"),
			 0);
	sess_result(&s, w, false, j.data, NULL);
	buf_release(&j);
	cJSON *r = sess_read(&s, 30000);
	ck_assert_ptr_nonnull(r);
	const char *out = jstr(r, "result|structuredContent|stdout");
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert_int_eq(out[n - 1], 'a' + (int)((n - 1) % 26));
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mcp-front");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_initialize_versions);
	tcase_add_test(tc, test_initialize_errors);
	tcase_add_test(tc, test_before_initialize);
	tcase_add_test(tc, test_ping);
	tcase_add_test(tc, test_tools_list_per_version);
	tcase_add_test(tc, test_tools_list_folder_writes);
	tcase_add_test(tc, test_discover);
	tcase_add_test(tc, test_modern_errors);
	tcase_add_test(tc, test_modern_tools);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_invalid_requests);
	tcase_add_test(tc, test_notifications_unanswered);
	tcase_add_test(tc, test_oversized_lines);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_too_many_values);
	tcase_add_test(tc, test_unknown_tool);
	tcase_add_test(tc, test_argument_validation);
	tcase_add_test(tc, test_call_fields);
	tcase_add_test(tc, test_results);
	tcase_add_test(tc, test_results_old_versions);
	tcase_add_test(tc, test_unusable_results);
	tcase_add_test(tc, test_cancellation);
	tcase_add_test(tc, test_progress);
	tcase_add_test(tc, test_progress_2024);
	tcase_add_test(tc, test_out_of_order);
	tcase_add_test(tc, test_duplicate_id_in_flight);
	tcase_add_test(tc, test_calls_max);
	tcase_add_test(tc, test_broker_eof);
	tcase_add_test(tc, test_broker_garbage);
	tcase_add_test(tc, test_no_ready);
	tcase_add_test(tc, test_requests_wait_for_ready);
	tcase_add_test(tc, test_stdin_eof);
	tcase_add_test(tc, test_last_line_without_newline);
	tcase_add_test(tc, test_split_writes);
	tcase_add_test(tc, test_large_result);
	suite_add_tcase(s, tc);
	return s;
}
