/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of mcp/tools.c: the schemas (shape, exact input schemas, output schemas against
 * what the broker writes), the schema checker, CALL encoding and RESULT rendering. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/common.h"
#include "mcp/mcp-internal.h"
#include "tests/unit/unit.h"

/* One example of each tool's structuredContent, in the broker's exact format (mcp/calls.c,
 * mcp/runs.c, broker_render_meta); docs/mcp.md shows the same. */
static const struct {
	const char *tool, *json;
} examples[] = {
	{ "secret_list",
	  "{\"secrets\":[{\"key\":\"db/prod\",\"has_value\":false,\"value_length\":0,"
	  "\"field_count\":2,\"fields\":[{\"name\":\"host\",\"sensitive\":false},"
	  "{\"name\":\"password\",\"sensitive\":true}],\"bindings\":[{\"env\":\"PGHOST\","
	  "\"field\":\"host\"},{\"env\":\"PGPASSWORD\",\"field\":\"password\"}],\"tags\":[\"prod\"]"
	  ","
	  "\"notes\":null,\"url\":null,\"has_notes\":false,\"has_url\":false,"
	  "\"created_at\":\"2026-11-20T10:00:00Z\",\"updated_at\":\"2026-11-21T09:30:00Z\","
	  "\"expires_at\":\"2027-02-18T10:00:00Z\"}]}" },
	{ "secret_exists", "{\"exists\":true,\"key\":\"aws/*\",\"matches\":[\"aws/access_key\","
			   "\"aws/secret_key\"]}" },
	{ "secret_exists", "{\"exists\":false,\"key\":\"nope\"}" },
	{ "secret_exists",
	  "{\"key\":\"API_KEY\",\"has_value\":true,\"value_length\":40,\"field_count\":0,"
	  "\"fields\":[],\"bindings\":[],\"tags\":[],\"notes\":\"OpenAI\",\"url\":null,"
	  "\"has_notes\":true,\"has_url\":false,\"created_at\":\"2026-11-20T10:00:00Z\","
	  "\"updated_at\":\"2026-11-20T10:00:00Z\",\"expires_at\":null,\"exists\":true}" },
	{ "secret_get_masked",
	  "{\"key\":\"db/prod\",\"has_value\":true,\"value_length\":12,\"field_count\":2,"
	  "\"fields\":[{\"name\":\"host\",\"sensitive\":false,\"value\":\"db.internal\","
	  "\"value_length\":11},{\"name\":\"password\",\"sensitive\":true,\"masked_value\":"
	  "\"************3xYz\",\"value_length\":16}],\"bindings\":[],\"tags\":[\"prod\"],"
	  "\"notes\":null,\"url\":\"https://db.internal\",\"has_notes\":false,\"has_url\":true,"
	  "\"created_at\":\"2026-11-20T10:00:00Z\",\"updated_at\":\"2026-11-20T10:00:00Z\","
	  "\"expires_at\":null,\"masked_value\":\"********9abc\"}" },
	{ "secret_run", "{\"exit_code\":0,\"stdout\":\"ok [REDACTED:API_KEY]\\n\",\"stderr\":\"\","
			"\"duration_ms\":1532,\"sanitized\":true,\"timed_out\":false,"
			"\"truncated\":false}" },
	{ "secret_list_fields", "{\"key\":\"db/prod\",\"fields\":[{\"name\":\"host\","
				"\"sensitive\":false,\"value_length\":11},{\"name\":\"password\","
				"\"sensitive\":true,\"value_length\":16}]}" },
	{ "secret_get_field", "{\"key\":\"db/prod\",\"field\":\"host\",\"value\":\"db.internal\","
			      "\"sensitive\":false}" },
	{ "secret_run_with_bindings", "{\"exit_code\":2,\"stdout\":\"\",\"stderr\":\"psql: error\","
				      "\"duration_ms\":40,\"sanitized\":false,\"timed_out\":false,"
				      "\"truncated\":false}" },
	{ "security_score",
	  "{\"score\":72,\"total_secrets\":12,\"components\":{\"strength\":80,\"uniqueness\":90,"
	  "\"expiry\":50,\"coverage\":70},\"counts\":{\"weak\":1,\"duplicates\":1,\"expired\":0,"
	  "\"expiring_soon\":2,\"no_expiry\":5},\"weak\":[\"old/pin\"],\"duplicates\":[[\"a\","
	  "\"b\"]],\"expired\":[],\"expiring_soon\":[\"x\",\"y\"],\"suggestions\":[\"replace 1 "
	  "weak secret(s) with long random values (secretctl set KEY)\"]}" },
	{ "policy_check",
	  "{\"allowed\":true,\"rule\":\"allowed_commands: npm\",\"kind\":\"allowed\","
	  "\"resolved_command\":\"/usr/bin/npm\",\"argv\":[\"npm\",\"test\"],\"keys\":[{"
	  "\"pattern\":\"API_KEY\",\"matches\":[\"API_KEY\"],\"allowed\":true,\"reason\":null}],"
	  "\"sandbox\":{\"profile\":\"standard\",\"network\":\"allow\",\"timeout_ms\":300000,"
	  "\"max_output\":1048576,\"memory\":null,\"writable\":[],\"sockets\":[]}}" },
};

static cJSON *schema_of(const char *tool)
{
	const struct mcp_tool *t = mcp_tool_find(tool);
	ck_assert_ptr_nonnull(t);
	cJSON *s = mcp_tool_output_schema(t);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_examples_match)
{
	for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
		cJSON *s = schema_of(examples[i].tool), *v = cJSON_Parse(examples[i].json);
		struct mcp_rpc_err e = { 0 };
		ck_assert_ptr_nonnull(v);
		ck_assert_msg(mcp_schema_check(s, v, &e) == 0, "%s: %s", examples[i].tool, e.msg);
		cJSON_Delete(s);
		cJSON_Delete(v);
	}
}
END_TEST

/* Replace or add member path (a|b) of example i with value (JSON text; NULL deletes). */
static int check_mutated(size_t i, const char *path, const char *value, char *msg, size_t size)
{
	cJSON *s = schema_of(examples[i].tool), *v = cJSON_Parse(examples[i].json), *o = v;
	char seg[64];
	const char *p = path;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (!bar)
			break;
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, seg[0] - '0')
				     : cJSON_GetObjectItemCaseSensitive(o, seg);
		ck_assert_ptr_nonnull(o);
		p = bar + 1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(o, seg);
	if (value)
		cJSON_AddItemToObject(o, seg, cJSON_Parse(value));
	struct mcp_rpc_err e = { 0 };
	int r = mcp_schema_check(s, v, &e);
	snprintf(msg, size, "%s", e.msg);
	cJSON_Delete(s);
	cJSON_Delete(v);
	return r;
}

START_TEST(test_schema_rejects)
{
	static const struct {
		size_t example;
		const char *path, *value, *msg;
	} cases[] = {
		{ 0, "extra", "1", "(root): unexpected member extra" },
		{ 0, "secrets|0|bindings", NULL, "secrets[0]: missing bindings" },
		{ 0, "secrets|0|value_length", "1.5",
		  "secrets[0].value_length: not of type integer" },
		{ 0, "secrets|0|value_length", "-1", "secrets[0].value_length: below the minimum" },
		{ 0, "secrets|0|tags", "[1]", "secrets[0].tags[0]: not of type string" },
		{ 0, "secrets|0|key", "null", "secrets[0].key: not of type string" },
		{ 0, "secrets|0|expires_at", "5", "secrets[0].expires_at: not of an allowed type" },
		{ 0, "secrets|0|fields|1|value", "\"x\"",
		  "secrets[0].fields[1]: unexpected member value" },
		{ 1, "exists", NULL, "(root): missing exists" },
		{ 4, "fields|1|value_length", NULL, "fields[1]: missing value_length" },
		{ 5, "timed_out", "\"no\"", "timed_out: not of type boolean" },
		{ 5, "exit_code", "\"0\"", "exit_code: not of type integer" },
		{ 7, "sensitive", "true", "sensitive: not the constant" },
		{ 9, "score", "101", "score: above the maximum" },
		{ 9, "duplicates", "[\"a\"]", "duplicates[0]: not of type array" },
		{ 9, "components|extra", "1", "components: unexpected member extra" },
		{ 10, "sandbox|network", "\"maybe\"", "sandbox.network: not one of the enum" },
		{ 10, "sandbox|memory", "-1", "sandbox.memory: below the minimum" },
		{ 10, "keys|0|reason", "false", "keys[0].reason: not of an allowed type" },
	};
	char msg[RETERR_MSG_MAX];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ck_assert_int_eq(check_mutated(cases[i].example, cases[i].path, cases[i].value, msg,
					       sizeof(msg)),
				 -EINVAL);
		ck_assert_str_eq(msg, cases[i].msg);
	}
	/* Null where null is allowed. */
	ck_assert_int_eq(check_mutated(10, "sandbox|memory", "536870912", msg, sizeof(msg)), 0);
	ck_assert_int_eq(check_mutated(0, "secrets|0|url", "\"https://x\"", msg, sizeof(msg)), 0);
}
END_TEST

START_TEST(test_input_schema_exact)
{
	cJSON *tools = mcp_tools_list(MCP_PROTO_2025_11_25);
	const cJSON *list = cJSON_GetArrayItem(tools, 0), *run = cJSON_GetArrayItem(tools, 3);
	cJSON *want = cJSON_Parse(
		"{\"type\":\"object\",\"properties\":{\"tag\":{\"type\":\"string\",\"minLength\":1,"
		"\"maxLength\":64,\"description\":\"Only secrets with this tag.\"},"
		"\"expiring_within\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":32,"
		"\"pattern\":\"^([0-9]+|([0-9]+[smhdwy])+)$\",\"description\":\"Only secrets that "
		"expire within this duration from now (7d, 12h, 2w).\"}},"
		"\"additionalProperties\":false}");
	ck_assert(cJSON_Compare(cJSON_GetObjectItem(list, "inputSchema"), want, true));
	cJSON_Delete(want);
	const cJSON *props =
		cJSON_GetObjectItem(cJSON_GetObjectItem(run, "inputSchema"), "properties");
	const char *names[] = { "keys", "command", "args", "timeout", "env_prefix", "env" };
	const cJSON *p;
	size_t n = 0;
	cJSON_ArrayForEach(p, props)
	{
		ck_assert_uint_lt(n, ARRAY_SIZE(names));
		ck_assert_str_eq(p->string, names[n++]);
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(p, "description"));
	}
	ck_assert_uint_eq(n, ARRAY_SIZE(names));
	ck_assert_str_eq(
		cJSON_GetObjectItem(cJSON_GetObjectItem(props, "timeout"), "pattern")->valuestring,
		"^([0-9]+|([0-9]+(ms|s|m|h|d|w|y))+)$");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "env_prefix"), "pattern")
				 ->valuestring,
			 "^[A-Z_][A-Z0-9_]*$");
	cJSON_Delete(tools);
}
END_TEST

START_TEST(test_encode_call)
{
	const struct mcp_tool *t = mcp_tool_find("secret_run");
	cJSON *args = cJSON_Parse("{\"command\":\"make\",\"keys\":[\"a/*\"],\"timeout\":\"61m\"}");
	struct buf b = BUF_INIT;
	struct mcp_rpc_err err = { 0 };
	struct mcp_wire_msg m;
	ck_assert_int_eq(mcp_tool_encode_call(t, args, true, NULL, 77, &b, &err), 0);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	ck_assert_int_eq(m.type, MCP_W_CALL);
	ck_assert_uint_eq(m.id, 77);
	ck_assert_uint_eq(m.nfields, 5);
	ck_assert_str_eq(m.fields[2].name, "keys");
	ck_assert_str_eq(m.fields[3].name, "command");
	ck_assert_str_eq(m.fields[4].name, "timeout");
	const struct mcp_wire_field *f = mcp_wire_get(&m, "timeout", MCP_WK_STR);
	ck_assert(f->len == 2 && memcmp(f->str, "1h", 2) == 0); /* capped */
	ck_assert(mcp_wire_get(&m, "progress", MCP_WK_BOOL)->b);
	cJSON_Delete(args);

	/* An error leaves the buffer as it was. */
	size_t before = b.len;
	args = cJSON_Parse("{\"command\":\"make\",\"keys\":[\"a/*\"],\"timeout\":\"soon\"}");
	ck_assert_int_eq(mcp_tool_encode_call(t, args, false, NULL, 78, &b, &err), -EINVAL);
	ck_assert_int_eq(err.code, MCP_RPC_INVALID_PARAMS);
	ck_assert_uint_eq(b.len, before);
	cJSON_Delete(args);
	args = cJSON_Parse("{\"keys\":[\"a/*\"]}");
	ck_assert_int_eq(mcp_tool_encode_call(t, args, false, NULL, 78, &b, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "Invalid arguments for tool secret_run: missing required "
				  "property 'command'");
	ck_assert_uint_eq(b.len, before);
	cJSON_Delete(args);

	/* A timeout of exactly an hour is kept as written. */
	buf_reset(&b);
	args = cJSON_Parse("{\"command\":\"make\",\"keys\":[\"a\"],\"timeout\":\"60m\"}");
	ck_assert_int_eq(mcp_tool_encode_call(t, args, false, NULL, 1, &b, &err), 0);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	f = mcp_wire_get(&m, "timeout", MCP_WK_STR);
	ck_assert(f->len == 3 && memcmp(f->str, "60m", 3) == 0);
	cJSON_Delete(args);

	/* No arguments object at all. */
	buf_reset(&b);
	ck_assert_int_eq(mcp_tool_encode_call(mcp_tool_find("security_score"), NULL, false, NULL, 2,
					      &b, &err),
			 0);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	ck_assert_uint_eq(m.nfields, 2);
	buf_release(&b);
	ck_assert_ptr_null(mcp_tool_find("nope"));
	ck_assert_ptr_null(mcp_tool_find(NULL));
}
END_TEST

static void result_msg(struct buf *b, bool error, const char *json, const char *message)
{
	struct mcp_wire_enc e;
	buf_reset(b);
	mcp_wire_begin(&e, b, MCP_W_RESULT, 1);
	mcp_wire_bool(&e, "error", error);
	if (json)
		mcp_wire_cstr(&e, "json", json);
	if (message)
		mcp_wire_cstr(&e, "message", message);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
}

START_TEST(test_results_every_tool)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
		const struct mcp_tool *t = mcp_tool_find(examples[i].tool);
		struct mcp_wire_msg m;
		struct mcp_rpc_err err = { 0 };
		cJSON *res = NULL, *want = cJSON_Parse(examples[i].json);
		result_msg(&b, false, examples[i].json, NULL);
		ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);

		ck_assert_int_eq(
			mcp_tool_result(t, MCP_PROTO_2025_06_18, &m, MCP_RESPONSE_MAX, &res, &err),
			0);
		ck_assert(cJSON_Compare(cJSON_GetObjectItem(res, "structuredContent"), want, true));
		ck_assert_ptr_null(cJSON_GetObjectItem(res, "isError"));
		const char *text =
			cJSON_GetObjectItem(
				cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0), "text")
				->valuestring;
		if (strstr(examples[i].tool, "_run")) {
			ck_assert(strncmp(text, "exit_code: ", 11) == 0);
		} else {
			/* The JSON as text, for clients that read only content. */
			cJSON *back = cJSON_Parse(text);
			ck_assert(cJSON_Compare(back, want, true));
			cJSON_Delete(back);
		}
		cJSON_Delete(res);

		ck_assert_int_eq(
			mcp_tool_result(t, MCP_PROTO_2025_03_26, &m, MCP_RESPONSE_MAX, &res, &err),
			0);
		ck_assert_ptr_null(cJSON_GetObjectItem(res, "structuredContent"));
		ck_assert_int_eq(cJSON_GetArraySize(res), 1);
		cJSON_Delete(res);
		cJSON_Delete(want);
	}
	buf_release(&b);
}
END_TEST

START_TEST(test_run_rendering)
{
	static const struct {
		const char *json, *text;
	} cases[] = {
		{ "{\"exit_code\":0,\"stdout\":\"\",\"stderr\":\"\",\"duration_ms\":3,"
		  "\"sanitized\":false,\"timed_out\":false,\"truncated\":false}",
		  "exit_code: 0\nduration_ms: 3\n--- stdout ---\n--- stderr ---\n" },
		{ "{\"exit_code\":137,\"stdout\":\"a\\nb\",\"stderr\":\"e\\n\",\"duration_ms\":9,"
		  "\"sanitized\":true,\"timed_out\":true,\"truncated\":true}",
		  "exit_code: 137\nduration_ms: 9\ntimed_out: true (the command was killed)\n"
		  "truncated: true (output past the limit was dropped)\nsanitized: true (secret "
		  "values "
		  "were redacted)\n--- stdout ---\na\nb\n--- stderr ---\ne\n" },
		{ "{\"exit_code\":-1,\"stdout\":\"x\\n\",\"stderr\":\"\",\"duration_ms\":0,"
		  "\"sanitized\":false,\"timed_out\":false,\"truncated\":false}",
		  "exit_code: -1\nduration_ms: 0\n--- stdout ---\nx\n--- stderr ---\n" },
	};
	const struct mcp_tool *t = mcp_tool_find("secret_run");
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mcp_wire_msg m;
		struct mcp_rpc_err err = { 0 };
		cJSON *res = NULL;
		result_msg(&b, false, cases[i].json, NULL);
		ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
		ck_assert_int_eq(
			mcp_tool_result(t, MCP_PROTO_2025_11_25, &m, MCP_RESPONSE_MAX, &res, &err),
			0);
		ck_assert_str_eq(
			cJSON_GetObjectItem(
				cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0), "text")
				->valuestring,
			cases[i].text);
		cJSON_Delete(res);
	}
	/* An error without message. */
	struct mcp_wire_msg m;
	struct mcp_rpc_err err = { 0 };
	cJSON *res = NULL;
	result_msg(&b, true, NULL, NULL);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	ck_assert_int_eq(mcp_tool_result(t, MCP_PROTO_2025_11_25, &m, MCP_RESPONSE_MAX, &res, &err),
			 0);
	char *s = cJSON_PrintUnformatted(res);
	ck_assert_str_eq(s, "{\"content\":[{\"type\":\"text\",\"text\":\"the tool failed\"}],"
			    "\"isError\":true}");
	cJSON_free(s);
	cJSON_Delete(res);
	buf_release(&b);
}
END_TEST

START_TEST(test_tools_list_eras)
{
	static const enum mcp_proto ps[] = { MCP_PROTO_2024_11_05, MCP_PROTO_2025_03_26,
					     MCP_PROTO_2025_06_18, MCP_PROTO_2025_11_25,
					     MCP_PROTO_2026_07_28 };
	static const int members[] = { 3, 4, 6, 6, 6 };
	for (size_t i = 0; i < ARRAY_SIZE(ps); i++) {
		cJSON *tools = mcp_tools_list(ps[i]), *t;
		ck_assert_int_eq(cJSON_GetArraySize(tools), 10);
		cJSON_ArrayForEach(t, tools) ck_assert_int_eq(cJSON_GetArraySize(t), members[i]);
		cJSON_Delete(tools);
		/* The policy's mcp_folder_writes adds the two tools that change folders. */
		tools = mcp_tools_list_with(ps[i], true);
		ck_assert_int_eq(cJSON_GetArraySize(tools), 12);
		cJSON_Delete(tools);
	}
	/* Truthful annotations, per tool. */
	static const struct {
		const char *tool;
		bool ro, destructive, idempotent, open;
	} ann[] = {
		{ "secret_list", true, false, true, false },
		{ "secret_exists", true, false, true, false },
		{ "secret_get_masked", true, false, true, false },
		{ "secret_run", false, true, false, true },
		{ "secret_list_fields", true, false, true, false },
		{ "secret_get_field", true, false, true, false },
		{ "secret_run_with_bindings", false, true, false, true },
		{ "security_score", true, false, true, false },
		{ "policy_check", true, false, true, false },
		{ "folder_list", true, false, true, false },
		{ "folder_create", false, false, false, false },
		{ "folder_move_secret", false, false, true, false },
	};
	cJSON *tools = mcp_tools_list_with(MCP_PROTO_2025_11_25, true);
	ck_assert(mcp_tool_folder_write(mcp_tool_find("folder_create")));
	ck_assert(!mcp_tool_folder_write(mcp_tool_find("folder_list")));
	for (size_t i = 0; i < ARRAY_SIZE(ann); i++) {
		cJSON *t = cJSON_GetArrayItem(tools, (int)i);
		cJSON *a = cJSON_GetObjectItem(t, "annotations");
		ck_assert_str_eq(cJSON_GetObjectItem(t, "name")->valuestring, ann[i].tool);
		ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItem(a, "readOnlyHint")), ann[i].ro);
		ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItem(a, "destructiveHint")),
				 ann[i].destructive);
		ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItem(a, "idempotentHint")),
				 ann[i].idempotent);
		ck_assert_int_eq(cJSON_IsTrue(cJSON_GetObjectItem(a, "openWorldHint")),
				 ann[i].open);
	}
	cJSON_Delete(tools);
}
END_TEST

static const char *text_of(const cJSON *res)
{
	return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0),
				   "text")
		->valuestring;
}

START_TEST(test_result_size_bound)
{
	const struct mcp_tool *run = mcp_tool_find("secret_run");
	const struct mcp_tool *list = mcp_tool_find("secret_list");
	struct buf b = BUF_INIT, j = BUF_INIT;
	struct mcp_wire_msg m;
	struct mcp_rpc_err err = { 0 };
	cJSON *res = NULL;

	/* 1000 bytes of stdout, 200 of stderr. */
	buf_puts(&j, "{\"exit_code\":3,\"stdout\":\"");
	for (int i = 0; i < 1000; i++)
		buf_putc(&j, (char)('a' + i % 26));
	buf_puts(&j, "\",\"stderr\":\"");
	for (int i = 0; i < 200; i++)
		buf_putc(&j, 'e');
	buf_puts(&j, "\",\"duration_ms\":5,\"sanitized\":false,\"timed_out\":false,"
		     "\"truncated\":false}");
	result_msg(&b, false, j.data, NULL);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);

	/* Everything fits. */
	ck_assert_int_eq(mcp_tool_result(run, MCP_PROTO_2025_11_25, &m, 4000, &res, &err), 0);
	ck_assert_uint_eq(
		strlen(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "structuredContent"), "stdout")
			       ->valuestring),
		1000);
	ck_assert_ptr_nonnull(strstr(text_of(res), "--- stdout ---"));
	cJSON_Delete(res);

	/* The text stops repeating the output. */
	ck_assert_int_eq(mcp_tool_result(run, MCP_PROTO_2025_11_25, &m, 2000, &res, &err), 0);
	ck_assert_str_eq(text_of(res), "exit_code: 3\nduration_ms: 5\n--- stdout ---\n--- stderr "
				       "---\n(stdout and stderr are too long to repeat here: see "
				       "structuredContent)");
	const cJSON *sc = cJSON_GetObjectItem(res, "structuredContent");
	ck_assert_uint_eq(strlen(cJSON_GetObjectItem(sc, "stdout")->valuestring), 1000);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(sc, "truncated")));
	char *s = cJSON_PrintUnformatted(res);
	ck_assert_uint_le(strlen(s), 2000);
	cJSON_free(s);
	cJSON_Delete(res);

	/* The output is cut (halved until it fits), and says so. */
	ck_assert_int_eq(mcp_tool_result(run, MCP_PROTO_2025_11_25, &m, 1100, &res, &err), 0);
	sc = cJSON_GetObjectItem(res, "structuredContent");
	ck_assert_uint_eq(strlen(cJSON_GetObjectItem(sc, "stdout")->valuestring), 500);
	ck_assert_uint_eq(strlen(cJSON_GetObjectItem(sc, "stderr")->valuestring), 100);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(sc, "truncated")));
	cJSON *schema = mcp_tool_output_schema(run);
	ck_assert_int_eq(mcp_schema_check(schema, sc, &err), 0);
	cJSON_Delete(schema);
	cJSON_Delete(res);

	/* Without structuredContent (2025-03-26) the text itself is cut. */
	ck_assert_int_eq(mcp_tool_result(run, MCP_PROTO_2025_03_26, &m, 900, &res, &err), 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(res, "structuredContent"));
	ck_assert_ptr_nonnull(strstr(text_of(res), "truncated: true"));
	s = cJSON_PrintUnformatted(res);
	ck_assert_uint_le(strlen(s), 900);
	cJSON_free(s);
	cJSON_Delete(res);

	/* Nothing left to cut: a tool error instead. */
	ck_assert_int_eq(mcp_tool_result(run, MCP_PROTO_2025_11_25, &m, 100, &res, &err), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
	ck_assert_ptr_nonnull(
		strstr(text_of(res), "The result of secret_run is too large to send"));
	cJSON_Delete(res);
	result_msg(&b, false, examples[0].json, NULL);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	ck_assert_int_eq(mcp_tool_result(list, MCP_PROTO_2025_11_25, &m, 700, &res, &err), 0);
	ck_assert_str_eq(text_of(res), "The result is too large to repeat as text: see "
				       "structuredContent.");
	cJSON_Delete(res);
	ck_assert_int_eq(mcp_tool_result(list, MCP_PROTO_2025_11_25, &m, 300, &res, &err), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
	cJSON_Delete(res);
	buf_release(&b);
	buf_release(&j);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mcp-tools");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_examples_match);
	tcase_add_test(tc, test_schema_rejects);
	tcase_add_test(tc, test_input_schema_exact);
	tcase_add_test(tc, test_encode_call);
	tcase_add_test(tc, test_results_every_tool);
	tcase_add_test(tc, test_run_rendering);
	tcase_add_test(tc, test_tools_list_eras);
	tcase_add_test(tc, test_result_size_bound);
	suite_add_tcase(s, tc);
	return s;
}
