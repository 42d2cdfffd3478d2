/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the JSON of an approval asked through the client (docs/mcp.md "Approvals"): whether a
 * client declares form elicitation, the elicitation/create form (one enum: allow once, allow
 * for this session, deny; never a secret value), the 2026-07-28 input_required result, and the
 * client's ElicitResult, read strictly. The broker decides; this only translates. */
#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mcp/mcp-internal.h"

bool mcp_elicit_form_declared(const struct cJSON *caps)
{
	const cJSON *el = cJSON_GetObjectItemCaseSensitive(caps, "elicitation");
	if (!cJSON_IsObject(el))
		return false;
	/* {} means form mode (2025-06-18 clients know no other); {url:{}} alone does not. */
	return !el->child || cJSON_GetObjectItemCaseSensitive(el, "form") != NULL;
}

static const struct {
	const char *value, *title;
} choices[] = {
	{ "allow_once", "Allow once" },
	{ "allow_session", "Allow for this session" },
	{ "deny", "Deny" },
};

/* The one property: a titled single-select enum (2025-11-25 on: oneOf of const and title), or
 * for a 2025-06-18 client the form it knows (enum with enumNames). */
static bool add_decision(cJSON *props, bool legacy)
{
	cJSON *dec = cJSON_AddObjectToObject(props, "decision"), *v, *names = NULL;
	if (!dec || !cJSON_AddStringToObject(dec, "type", "string") ||
	    !cJSON_AddStringToObject(dec, "title", "Decision") ||
	    !cJSON_AddStringToObject(dec, "description",
				     "Run the command above with the named secrets?") ||
	    !(v = cJSON_AddArrayToObject(dec, legacy ? "enum" : "oneOf")) ||
	    (legacy && !(names = cJSON_AddArrayToObject(dec, "enumNames"))))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(choices); i++) {
		cJSON *c = legacy ? cJSON_CreateString(choices[i].value) : cJSON_CreateObject();
		if (!c)
			return false;
		cJSON_AddItemToArray(v, c);
		if (legacy ? !cJSON_AddItemToArray(names, cJSON_CreateString(choices[i].title))
			   : !cJSON_AddStringToObject(c, "const", choices[i].value) ||
				     !cJSON_AddStringToObject(c, "title", choices[i].title))
			return false;
	}
	return true;
}

struct cJSON *mcp_elicit_params(const char *message, size_t len, enum mcp_proto proto)
{
	bool legacy = proto < MCP_PROTO_2025_11_25;
	struct buf text = BUF_INIT;
	cJSON *p = cJSON_CreateObject(), *schema, *props, *req;
	if (!p || mcp_utf8_clean(message, len, &text) < 0 ||
	    (!legacy && !cJSON_AddStringToObject(p, "mode", "form")) ||
	    !cJSON_AddStringToObject(p, "message", text.data ? text.data : "") ||
	    !(schema = cJSON_AddObjectToObject(p, "requestedSchema")) ||
	    !cJSON_AddStringToObject(schema, "type", "object") ||
	    !(props = cJSON_AddObjectToObject(schema, "properties")) ||
	    !add_decision(props, legacy) ||
	    !(req = cJSON_CreateStringArray((const char *[]){ "decision" }, 1))) {
		buf_release(&text);
		cJSON_Delete(p);
		return NULL;
	}
	cJSON_AddItemToObject(schema, "required", req);
	buf_release(&text);
	return p;
}

struct cJSON *mcp_elicit_input_required(const char *message, size_t len, const char *state,
					size_t state_len)
{
	cJSON *res = cJSON_CreateObject(), *reqs, *ask,
	      *params = mcp_elicit_params(message, len, MCP_PROTO_2026_07_28);
	struct buf st = BUF_INIT;
	if (!res || !params || mcp_utf8_clean(state, state_len, &st) < 0 ||
	    !cJSON_AddStringToObject(res, "resultType", "input_required") ||
	    !(reqs = cJSON_AddObjectToObject(res, "inputRequests")) ||
	    !(ask = cJSON_AddObjectToObject(reqs, "approval")) ||
	    !cJSON_AddStringToObject(ask, "method", "elicitation/create") ||
	    !cJSON_AddStringToObject(res, "requestState", st.data ? st.data : "")) {
		cJSON_Delete(params);
		cJSON_Delete(res);
		buf_release(&st);
		return NULL;
	}
	cJSON_AddItemToObject(ask, "params", params);
	buf_release(&st);
	return res;
}

int mcp_elicit_result_parse(const struct cJSON *res, const char **ret_action,
			    const char **ret_decision)
{
	static const char *const actions[] = { "accept", "decline", "cancel" };
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(res, "action");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(res, "content");
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(content, "decision");
	const char *a = NULL;
	if (!cJSON_IsObject(res) || !cJSON_IsString(action))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (!strcmp(action->valuestring, actions[i]))
			a = actions[i];
	if (!a || (content && !cJSON_IsObject(content)))
		return -EINVAL;
	*ret_action = a;
	*ret_decision = "";
	/* Only a known choice is passed on; anything else is no decision (denied). */
	for (size_t i = 0; cJSON_IsString(dec) && i < ARRAY_SIZE(choices); i++)
		if (!strcmp(dec->valuestring, choices[i].value))
			*ret_decision = choices[i].value;
	return 0;
}

int mcp_elicit_call_params(const struct cJSON *params, struct mcp_call_approval *ret,
			   struct mcp_rpc_err *err)
{
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(params, "requestState");
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(params, "inputResponses");
	const cJSON *ans = cJSON_GetObjectItemCaseSensitive(resp, "approval");
	struct mcp_call_approval a = { .elicitation = ret->elicitation };
	if (state && (!cJSON_IsString(state) || strlen(state->valuestring) > MCP_REQUEST_STATE_MAX))
		return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
				    "Invalid params: \"requestState\" must be a string of at most "
				    "%d bytes (echo the one the server sent)",
				    MCP_REQUEST_STATE_MAX);
	if (resp && !cJSON_IsObject(resp))
		return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
				    "Invalid params: \"inputResponses\" must be an object");
	if (ans && mcp_elicit_result_parse(ans, &a.action, &a.decision) < 0)
		return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
				    "Invalid params: inputResponses.approval must be an "
				    "ElicitResult: {\"action\": \"accept\"|\"decline\"|\"cancel\", "
				    "\"content\": {\"decision\": ...}}");
	a.state = state ? state->valuestring : NULL;
	*ret = a;
	return 0;
}
