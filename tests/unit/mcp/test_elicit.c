/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of approvals asked through the client, front side (mcp/elicit.c, mcp/front.c): the
 * capability as declared, the form, the client's ElicitResult read strictly, ELICIT turned into
 * an elicitation/create request and its response into ANSWER (a late one dropped), and the
 * 2026-07-28 requestState / inputResponses into CALL fields and input_required out. */
#include <errno.h>
#include <string.h>

#include "mcp-util.h"
#include "tests/unit/unit.h"

#define RUN_ARGS "{\"keys\":[\"k\"],\"command\":\"sh -c true\"}"

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(test_form_declared)
{
	static const struct {
		const char *caps;
		bool form;
	} cases[] = {
		{ "{}", false },
		{ "{\"elicitation\":{}}", true },
		{ "{\"elicitation\":{\"form\":{}}}", true },
		{ "{\"elicitation\":{\"form\":{},\"url\":{}}}", true },
		{ "{\"elicitation\":{\"url\":{}}}", false },
		{ "{\"elicitation\":true}", false },
		{ "{\"sampling\":{}}", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		cJSON *c = parse(cases[i].caps);
		ck_assert_msg(mcp_elicit_form_declared(c) == cases[i].form, "%s", cases[i].caps);
		cJSON_Delete(c);
	}
	ck_assert(!mcp_elicit_form_declared(NULL));
}
END_TEST

START_TEST(test_result_parse)
{
	static const struct {
		const char *json;
		int rc;
		const char *action, *decision;
	} cases[] = {
		{ "{\"action\":\"accept\",\"content\":{\"decision\":\"allow_once\"}}", 0, "accept",
		  "allow_once" },
		{ "{\"action\":\"accept\",\"content\":{\"decision\":\"allow_session\"}}", 0,
		  "accept", "allow_session" },
		{ "{\"action\":\"accept\",\"content\":{\"decision\":\"deny\"}}", 0, "accept",
		  "deny" },
		{ "{\"action\":\"accept\",\"content\":{\"decision\":\"allow_all\"}}", 0, "accept",
		  "" },
		{ "{\"action\":\"accept\",\"content\":{\"decision\":1}}", 0, "accept", "" },
		{ "{\"action\":\"accept\"}", 0, "accept", "" },
		{ "{\"action\":\"decline\"}", 0, "decline", "" },
		{ "{\"action\":\"cancel\"}", 0, "cancel", "" },
		{ "{\"action\":\"ACCEPT\"}", -EINVAL, NULL, NULL },
		{ "{\"action\":\"accept\",\"content\":\"allow_once\"}", -EINVAL, NULL, NULL },
		{ "{\"content\":{\"decision\":\"allow_once\"}}", -EINVAL, NULL, NULL },
		{ "[\"accept\"]", -EINVAL, NULL, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		cJSON *j = parse(cases[i].json);
		const char *a = "untouched", *d = "untouched";
		ck_assert_int_eq(mcp_elicit_result_parse(j, &a, &d), cases[i].rc);
		ck_assert_str_eq(a, cases[i].action ? cases[i].action : "untouched");
		ck_assert_str_eq(d, cases[i].decision ? cases[i].decision : "untouched");
		cJSON_Delete(j);
	}
}
END_TEST

START_TEST(test_form_params)
{
	cJSON *p = mcp_elicit_params("run \xff this?", 11, MCP_PROTO_2025_11_25);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(jstr(p, "mode"), "form");
	ck_assert_str_eq(jstr(p, "message"), "run \xef\xbf\xbd this?"); /* cleaned UTF-8 */
	ck_assert(jeq(jget(p, "requestedSchema|required"), "[\"decision\"]"));
	const cJSON *props = jget(p, "requestedSchema|properties");
	ck_assert_int_eq(cJSON_GetArraySize(props), 1); /* one property: never a value asked */
	const cJSON *one = jget(props, "decision|oneOf");
	ck_assert_int_eq(cJSON_GetArraySize(one), 3);
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(one, 0), "const"), "allow_once");
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(one, 1), "const"), "allow_session");
	ck_assert_str_eq(jstr(cJSON_GetArrayItem(one, 2), "const"), "deny");
	ck_assert_ptr_nonnull(jstr(cJSON_GetArrayItem(one, 1), "title"));
	cJSON_Delete(p);
	/* 2025-06-18 clients know enum with enumNames, and no mode. */
	p = mcp_elicit_params("q", 1, MCP_PROTO_2025_06_18);
	ck_assert_ptr_null(jget(p, "mode"));
	ck_assert(jeq(jget(p, "requestedSchema|properties|decision|enum"),
		      "[\"allow_once\",\"allow_session\",\"deny\"]"));
	ck_assert_int_eq(
		cJSON_GetArraySize(jget(p, "requestedSchema|properties|decision|enumNames")), 3);
	ck_assert_ptr_null(jget(p, "requestedSchema|properties|decision|oneOf"));
	cJSON_Delete(p);
}
END_TEST

static void init_version(struct session *s, const char *version, const char *caps)
{
	sess_sendf(s,
		   "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
		   "\"protocolVersion\":\"%s\",\"capabilities\":%s,"
		   "\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
		   version, caps);
	cJSON *r = sess_read(s, SESS_TIMEOUT_MS);
	ck_assert_ptr_nonnull(r);
	cJSON_Delete(r);
	sess_send(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
}

static void init_with(struct session *s, const char *caps)
{
	init_version(s, "2025-11-25", caps);
}

static uint64_t run_call(struct session *s, int id, struct mcp_wire_msg *m)
{
	sess_sendf(s,
		   "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{"
		   "\"name\":\"secret_run\",\"arguments\":" RUN_ARGS "}}",
		   id);
	return sess_expect_call(s, "secret_run", m);
}

static void send_elicit(struct session *s, uint64_t id)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_ELICIT, id);
	mcp_wire_cstr(&e, "message", "command: sh -c true");
	mcp_wire_int(&e, "timeout", 5000);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(s, &b);
}

/* The elicitation/create request the front sent; returns its id (malloc'd). */
static char *expect_ask(struct session *s)
{
	cJSON *q = sess_read(s, SESS_TIMEOUT_MS);
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(jstr(q, "method"), "elicitation/create");
	ck_assert_str_eq(jstr(q, "params|mode"), "form");
	ck_assert_str_eq(jstr(q, "params|message"), "command: sh -c true");
	char *id = strdup(jstr(q, "id"));
	cJSON_Delete(q);
	return id;
}

static void expect_answer(struct session *s, uint64_t id, const char *action, const char *dec)
{
	struct mcp_wire_msg m;
	ck_assert(sess_broker_recv(s, &m, SESS_TIMEOUT_MS));
	ck_assert_int_eq(m.type, MCP_W_ANSWER);
	ck_assert_uint_eq(m.id, id);
	AUTO_FREE char *a = wire_str(&m, "action");
	AUTO_FREE char *d = wire_str(&m, "decision");
	ck_assert_str_eq(a, action);
	ck_assert_str_eq(d, dec);
}

START_TEST(test_legacy_round_trip)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	init_with(&s, "{\"elicitation\":{}}");
	uint64_t w = run_call(&s, 1, &m);
	const struct mcp_wire_field *f = mcp_wire_get(&m, "elicitation", MCP_WK_INT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->i, MCP_ELICIT_FORM);
	send_elicit(&s, w);
	AUTO_FREE char *ask = expect_ask(&s);
	ck_assert_str_eq(ask, "secretctl-approval-1");
	sess_sendf(&s,
		   "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"action\":\"accept\","
		   "\"content\":{\"decision\":\"allow_session\"}}}",
		   ask);
	expect_answer(&s, w, "accept", "allow_session");
	/* Asked again: a malformed result and an error response both answer "error". */
	send_elicit(&s, w);
	AUTO_FREE char *ask2 = expect_ask(&s);
	sess_sendf(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"action\":\"yes\"}}", ask2);
	expect_answer(&s, w, "error", "");
	send_elicit(&s, w);
	AUTO_FREE char *ask3 = expect_ask(&s);
	sess_sendf(&s,
		   "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"error\":{\"code\":-32601,\"message\":"
		   "\"no\"}}",
		   ask3);
	expect_answer(&s, w, "error", "");
	/* An answer to nothing we asked is dropped. */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"secretctl-approval-99\",\"result\":{"
		      "\"action\":\"accept\"}}");
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}");
	ck_assert(!sess_broker_recv(&s, &m, 100));
	sess_result(&s, w, false,
		    "{\"exit_code\":0,\"stdout\":\"\",\"stderr\":\"\",\"duration_ms\":"
		    "1,\"sanitized\":false,\"timed_out\":false,\"truncated\":false}",
		    NULL);
	cJSON *r = sess_read(&s, SESS_TIMEOUT_MS);
	ck_assert_int_eq(jget(r, "id")->valueint, 1);
	cJSON_Delete(r);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_legacy_late_answer)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	init_with(&s, "{\"elicitation\":{\"form\":{}}}");
	uint64_t w = run_call(&s, 1, &m);
	send_elicit(&s, w);
	AUTO_FREE char *ask = expect_ask(&s);
	/* The broker gave up (timed out): the client is told the question is moot, then gets the
	 * call's answer; its late answer reaches no one. */
	sess_result(&s, w, true, NULL, "not approved: no answer");
	cJSON *n = sess_read(&s, SESS_TIMEOUT_MS);
	ck_assert_str_eq(jstr(n, "method"), "notifications/cancelled");
	ck_assert_str_eq(jstr(n, "params|requestId"), ask);
	cJSON_Delete(n);
	cJSON *r = sess_read(&s, SESS_TIMEOUT_MS);
	ck_assert_int_eq(jget(r, "id")->valueint, 1);
	ck_assert(cJSON_IsTrue(jget(r, "result|isError")));
	cJSON_Delete(r);
	sess_sendf(&s,
		   "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"action\":\"accept\","
		   "\"content\":{\"decision\":\"allow_once\"}}}",
		   ask);
	sess_sync(&s, 2);
	ck_assert(!sess_broker_recv(&s, &m, 100));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

START_TEST(test_legacy_without_capability)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	init_with(&s, "{\"elicitation\":{\"url\":{}}}"); /* URL mode only: not asked by form */
	uint64_t w = run_call(&s, 1, &m);
	ck_assert_ptr_null(mcp_wire_get(&m, "elicitation", MCP_WK_INT));
	send_elicit(&s, w); /* a broker that asks anyway gets "error" at once */
	expect_answer(&s, w, "error", "");
	ck_assert(sess_quiet(&s, 50));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
	/* Before 2025-06-18 there is no elicitation, whatever the capabilities say. */
	sess_start(&s, true);
	init_version(&s, "2025-03-26", "{\"elicitation\":{}}");
	run_call(&s, 1, &m);
	ck_assert_ptr_null(mcp_wire_get(&m, "elicitation", MCP_WK_INT));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
	/* 2025-06-18: asked, with the enum form that revision knows. */
	sess_start(&s, true);
	init_version(&s, "2025-06-18", "{\"elicitation\":{}}");
	w = run_call(&s, 1, &m);
	ck_assert_int_eq(mcp_wire_get(&m, "elicitation", MCP_WK_INT)->i, MCP_ELICIT_FORM);
	send_elicit(&s, w);
	cJSON *q = sess_read(&s, SESS_TIMEOUT_MS);
	ck_assert_str_eq(jstr(q, "method"), "elicitation/create");
	ck_assert_ptr_nonnull(jget(q, "params|requestedSchema|properties|decision|enumNames"));
	cJSON_Delete(q);
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

#define META_ELICIT                                                              \
	"\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
	"\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}"

START_TEST(test_modern)
{
	struct session s;
	struct mcp_wire_msg m;
	sess_start(&s, true);
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"secret_run\",\"arguments\":" RUN_ARGS "," META_ELICIT "}}");
	uint64_t w = sess_expect_call(&s, "secret_run", &m);
	ck_assert_int_eq(mcp_wire_get(&m, "elicitation", MCP_WK_INT)->i, MCP_ELICIT_INPUT);
	ck_assert_ptr_null(mcp_wire_get(&m, "request_state", MCP_WK_STR));
	ck_assert_ptr_null(mcp_wire_get(&m, "approval_action", MCP_WK_STR));
	AUTO_BUF struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_RESULT, w);
	mcp_wire_bool(&e, "error", false);
	mcp_wire_bool(&e, "input_required", true);
	mcp_wire_cstr(&e, "message", "command: sh -c true");
	mcp_wire_cstr(&e, "request_state", "STATE-1");
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(&s, &b);
	cJSON *r = sess_read(&s, SESS_TIMEOUT_MS);
	ck_assert_str_eq(jstr(r, "result|resultType"), "input_required");
	ck_assert_str_eq(jstr(r, "result|requestState"), "STATE-1");
	ck_assert_str_eq(jstr(r, "result|inputRequests|approval|method"), "elicitation/create");
	ck_assert_str_eq(jstr(r, "result|inputRequests|approval|params|message"),
			 "command: sh -c true");
	ck_assert_ptr_null(jget(r, "result|content"));
	cJSON_Delete(r);
	/* The repeated call carries the state and the answer. */
	sess_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
		      "\"name\":\"secret_run\",\"arguments\":" RUN_ARGS ",\"requestState\":"
		      "\"STATE-1\",\"inputResponses\":{\"approval\":{\"action\":\"accept\","
		      "\"content\":{\"decision\":\"allow_once\"}}}," META_ELICIT "}}");
	w = sess_expect_call(&s, "secret_run", &m);
	AUTO_FREE char *st = wire_str(&m, "request_state");
	AUTO_FREE char *act = wire_str(&m, "approval_action");
	AUTO_FREE char *dec = wire_str(&m, "approval_decision");
	ck_assert_str_eq(st, "STATE-1");
	ck_assert_str_eq(act, "accept");
	ck_assert_str_eq(dec, "allow_once");
	sess_result(&s, w, true, NULL, "not approved");
	cJSON_Delete(sess_read(&s, SESS_TIMEOUT_MS));
	/* Malformed: -32602, nothing reaches the broker. */
	static const char *const bad[] = {
		"\"requestState\":1",
		"\"inputResponses\":[]",
		"\"inputResponses\":{\"approval\":{\"action\":\"maybe\"}}",
		"\"inputResponses\":{\"approval\":{\"action\":\"accept\",\"content\":[]}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		sess_sendf(&s,
			   "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"tools/call\",\"params\":{"
			   "\"name\":\"secret_run\",\"arguments\":" RUN_ARGS ",%s," META_ELICIT
			   "}}",
			   10 + i, bad[i]);
		cJSON *er = sess_read(&s, SESS_TIMEOUT_MS);
		ck_assert_int_eq(jget(er, "error|code")->valueint, MCP_RPC_INVALID_PARAMS);
		cJSON_Delete(er);
	}
	ck_assert(!sess_broker_recv(&s, &m, 50));
	ck_assert_int_eq(sess_finish(&s), 0);
	sess_release(&s);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mcp-elicit");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_form_declared);
	tcase_add_test(tc, test_result_parse);
	tcase_add_test(tc, test_form_params);
	tcase_add_test(tc, test_legacy_round_trip);
	tcase_add_test(tc, test_legacy_late_answer);
	tcase_add_test(tc, test_legacy_without_capability);
	tcase_add_test(tc, test_modern);
	suite_add_tcase(s, tc);
	return s;
}
