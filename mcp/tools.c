/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the nine tools the front offers: their descriptions, input and output schemas and
 * annotations, argument validation into a CALL message, and RESULT messages turned into
 * CallToolResults (structuredContent plus a text rendering). One table row per tool. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "broker/broker.h"
#include "mcp/mcp-internal.h"
#include "mcp/mcp.h"
#include "policy/policy.h"
#include "vault/vault.h"

/* ---- argument descriptions ---------------------------------------------------------------- */

enum arg_type {
	ARG_STR,
	ARG_STRV,
	ARG_BOOL,
};

/* What a string (or each item of a string array) may contain. */
enum arg_chars {
	CH_ANY,		/* any UTF-8 (never NUL: messages with \u0000 are refused earlier) */
	CH_TEXT,	/* no control characters */
	CH_KEY,		/* a vault key: [A-Za-z0-9._/-] */
	CH_PATTERN,	/* a key or a key glob: the key characters and * ? */
	CH_FIELD,	/* a field name: [A-Za-z0-9._-] */
	CH_ENV_PREFIX,	/* an environment name prefix: [A-Z_][A-Z0-9_]* */
	CH_ALIAS,	/* an env alias name: [A-Za-z0-9._-] */
	CH_DURATION,	/* "7d", "12h", "1h30m", "90" (seconds) */
	CH_DURATION_MS, /* the same, also "500ms"; capped at BROKER_TIMEOUT_MAX_MS */
	CH_FOLDER,	/* a folder path ("" where allowed): [A-Za-z0-9._ -/] */
	CH_ICON,	/* UTF-8 without control characters */
	CH_COLOR,	/* "#RRGGBB" */
};

struct arg {
	const char *name;
	enum arg_type type;
	bool required;
	enum arg_chars chars;
	size_t min_len, max_len;     /* bytes of the string, or of each item */
	size_t min_items, max_items; /* ARG_STRV */
	const char *description;
};

enum render {
	RENDER_JSON, /* the structuredContent as compact JSON */
	RENDER_RUN,  /* exit code, duration, then stdout and stderr */
};

struct mcp_tool {
	const char *name, *title, *description;
	bool read_only, destructive, idempotent, open_world;
	const struct arg *args;
	size_t nargs;
	/* JSON Schema with ' for " (the text has no apostrophes); see schema_parse. */
	const char *output_schema;
	enum render render;
	bool folder_write; /* offered only when the policy sets mcp_folder_writes */
};

#define DURATION_MAX 32 /* bytes of a duration string */
#define ENV_PREFIX_MAX 64

#define ARG_KEY(req, chars_, desc)                                        \
	{                                                                 \
		"key", ARG_STR, req, chars_, 1, VAULT_KEY_MAX, 0, 0, desc \
	}
#define ARG_COMMAND                                                                            \
	{                                                                                      \
		"command", ARG_STR, true, CH_ANY, 1, BROKER_COMMAND_MAX, 0, 0,                 \
			"The command line, split into words without a shell (quotes and "      \
			"backslashes "                                                         \
			"work as in "                                                          \
			"sh; $NAME and ${NAME} expand to injected variables). Example: \"npm " \
			"test\" "                                                              \
			"or "                                                                  \
			"\"psql $DATABASE_URL -c 'SELECT 1'\"."                                \
	}
#define ARG_ARGS                                                                            \
	{                                                                                   \
		"args", ARG_STRV, false, CH_ANY, 0, MCP_ARG_MAX, 0, MCP_ARGS_MAX,           \
			"More arguments, appended to the words of command as they are (no " \
			"splitting)."                                                       \
	}
#define ARG_TIMEOUT                                                                                \
	{                                                                                          \
		"timeout", ARG_STR, false, CH_DURATION_MS, 1, DURATION_MAX, 0, 0,                  \
			"Kill the command after this long: 30s, 5m, 1h30m, 500ms. Default 5m; at " \
			"most 1h "                                                                 \
			"(longer values are capped)."                                              \
	}
#define ARG_ENV                                                                                \
	{                                                                                      \
		"env", ARG_STR, false, CH_ALIAS, 1, POLICY_ALIAS_NAME_MAX, 0, 0,               \
			"An environment alias from the policy (for example staging): key "     \
			"patterns "                                                            \
			"are "                                                                 \
			"rewritten through it (db/* reads staging/db/*) while variable names " \
			"stay "                                                                \
			"the same."                                                            \
	}

static const struct arg args_list[] = {
	{ "tag", ARG_STR, false, CH_TEXT, 1, VAULT_TAG_MAX, 0, 0, "Only secrets with this tag." },
	{ "expiring_within", ARG_STR, false, CH_DURATION, 1, DURATION_MAX, 0, 0,
	  "Only secrets that expire within this duration from now (7d, 12h, 2w)." },
};

static const struct arg args_exists[] = {
	ARG_KEY(true, CH_PATTERN,
		"A key, or a glob: * matches within one path segment, ? one character "
		"(aws/* matches aws/key but not aws/x/key)."),
};

static const struct arg args_key[] = {
	ARG_KEY(true, CH_KEY, "The secret's key, for example db/prod."),
};

static const struct arg args_run[] = {
	{ "keys", ARG_STRV, true, CH_PATTERN, 1, VAULT_KEY_MAX, 1, MCP_KEYS_MAX,
	  "Keys or key globs of the secrets to inject. Each becomes an environment variable: "
	  "/ - and . turn into _, letters are upper-cased (aws/access-key is AWS_ACCESS_KEY)." },
	ARG_COMMAND,
	ARG_ARGS,
	ARG_TIMEOUT,
	{ "env_prefix", ARG_STR, false, CH_ENV_PREFIX, 1, ENV_PREFIX_MAX, 0, 0,
	  "Put this before every variable name (APP_ gives APP_DB_PASSWORD)." },
	ARG_ENV,
};

static const struct arg args_get_field[] = {
	ARG_KEY(true, CH_KEY, "The secret's key, for example db/prod."),
	{ "field", ARG_STR, true, CH_FIELD, 1, VAULT_FIELD_NAME_MAX, 0, 0,
	  "The field's name (see secret_list_fields). Sensitive fields cannot be read." },
};

static const struct arg args_run_bindings[] = {
	ARG_KEY(true, CH_KEY,
		"The secret whose bindings to inject (each binding names an "
		"environment variable and the field it takes its value from)."),
	ARG_COMMAND,
	ARG_ARGS,
	ARG_TIMEOUT,
};

static const struct arg args_score[] = {
	{ "include_keys", ARG_BOOL, false, CH_ANY, 0, 0, 0, 0,
	  "List the keys behind each finding (weak, duplicates, expired, expiring_soon). "
	  "Default false: counts only." },
};

static const struct arg args_policy[] = {
	{ "keys", ARG_STRV, true, CH_PATTERN, 1, VAULT_KEY_MAX, 0, MCP_KEYS_MAX,
	  "Keys or key globs the run would inject (may be empty)." },
	ARG_COMMAND,
	ARG_ARGS,
	ARG_ENV,
};

static const struct arg args_folder_list[] = {
	{ "parent", ARG_STR, false, CH_FOLDER, 1, VAULT_FOLDER_PATH_MAX, 0, 0,
	  "Only the folders inside this folder (a path such as work/aws), at any depth." },
};

static const struct arg args_folder_create[] = {
	{ "name", ARG_STR, true, CH_FOLDER, 1, VAULT_FOLDER_NAME_MAX, 0, 0,
	  "The new folder's name: letters, digits, . _ - and space (no /)." },
	{ "parent", ARG_STR, false, CH_FOLDER, 1, VAULT_FOLDER_PATH_MAX, 0, 0,
	  "Create it inside this folder (a path); default: at the top." },
	{ "icon", ARG_STR, false, CH_ICON, 1, VAULT_FOLDER_ICON_MAX, 0, 0,
	  "An icon: an emoji or a short word." },
	{ "color", ARG_STR, false, CH_COLOR, 7, 7, 0, 0, "A colour, #RRGGBB." },
};

static const struct arg args_folder_move[] = {
	ARG_KEY(true, CH_KEY, "The secret to move, for example db/prod."),
	{ "folder", ARG_STR, true, CH_FOLDER, 0, VAULT_FOLDER_PATH_MAX, 0, 0,
	  "The folder to put it in (a path such as work/aws); \"\" takes it out of its folder." },
};

/* ---- output schemas ----------------------------------------------------------------------- */

#define S_STR "{'type':'string'}"
#define S_INT "{'type':'integer'}"
#define S_COUNT "{'type':'integer','minimum':0}"
#define S_BOOL "{'type':'boolean'}"
#define S_STRV "{'type':'array','items':{'type':'string'}}"
#define S_STR_OR_NULL "{'type':['string','null']}"
#define S_TIME_OR_NULL "{'type':['string','null'],'description':'RFC 3339 UTC time'}"
#define S_EXPIRES "{'type':['string','null'],'description':'RFC 3339 UTC time; null: never'}"

/* Only when the text is not UTF-8 (it then shows its bad bytes as \\xNN): the exact bytes. */
#define S_B64(type, what) \
	"{'type':'" type "','description':'Base64 of " what ", present only when not UTF-8'}"

/* The metadata of one secret, as broker_render_meta writes it (shared with `list --json`). */
#define S_FIELD_META                                                               \
	"{'type':'object','properties':{'name':" S_STR ",'sensitive':" S_BOOL "}," \
	"'required':['name','sensitive'],'additionalProperties':false}"
#define S_BINDINGS                                                                             \
	"{'type':'array','description':'Environment variables secret_run_with_bindings sets'," \
	"'items':{'type':'object','properties':{'env':" S_STR ",'field':" S_STR "},"           \
	"'required':['env','field'],'additionalProperties':false}}"
#define META_PROPS(fields)                                                                         \
	"'key':" S_STR ",'has_value':" S_BOOL ",'value_length':" S_COUNT ",'field_count':" S_COUNT \
	",'fields':{'type':'array','items':" fields "},'bindings':" S_BINDINGS ",'tags':" S_STRV   \
	",'notes':" S_STR_OR_NULL ",'url':" S_STR_OR_NULL ",'has_notes':" S_BOOL                   \
	",'has_url':" S_BOOL ",'created_at':" S_TIME_OR_NULL ",'updated_at':" S_TIME_OR_NULL       \
	",'expires_at':" S_EXPIRES                                                                 \
	",'notes_base64':" S_B64("string", "the notes") ",'url_base64':" S_B64(                    \
		"string", "the URL") ",'tags_base64':{'type':'array','items':" S_STR               \
				     ",'description':'Base64 of every tag, present only when one " \
				     "is not UTF-8'}"
#define META_REQUIRED                                                                              \
	"'key','has_value','value_length','field_count','fields','bindings','tags','notes','url'," \
	"'has_notes','has_url','created_at','updated_at','expires_at'"

static const char out_list[] =
	"{'type':'object','properties':{'secrets':{'type':'array','items':{'type':'object',"
	"'properties':{" META_PROPS(S_FIELD_META) "},'required':[" META_REQUIRED "],"
						  "'additionalProperties':false}}},'required':['"
						  "secrets'],'additionalProperties':false}";

/* Not found: exists and key. A glob: exists, key, matches. An exact key: its metadata too. */
static const char out_exists[] =
	"{'type':'object','properties':{'exists':" S_BOOL
	",'matches':{'type':'array','items':" S_STR
	",'description':'The keys a glob matched'}," META_PROPS(
		S_FIELD_META) "},"
			      "'required':['exists','key'],'additionalProperties':false}";

static const char out_masked[] = "{'type':'object','properties':{" META_PROPS(
	"{'type':'object','properties':{'name':" S_STR ",'sensitive':" S_BOOL
	",'value':{'type':'string','description':'A non-sensitive text field in clear'},"
	"'masked_value':{'type':'string','description':'A sensitive (or non-text) field, "
	"masked'},'value_length':" S_COUNT "},'required':['name','sensitive','value_length'],"
	"'additionalProperties':false}") ",'masked_value':{'type':'string','description':'At most "
					 "the "
					 "last 4 characters shown'}},"
					 "'required':[" META_REQUIRED
					 ",'masked_value'],'additionalProperties':false}";

static const char out_run[] =
	"{'type':'object','properties':{'exit_code':{'type':'integer','description':"
	"'The command exit status; 128+N after signal N, 124 timed out, 125 refused or failed "
	"to start, 126 not executable, 127 not found'},'stdout':" S_STR ",'stderr':" S_STR
	",'duration_ms':" S_COUNT ",'sanitized':{'type':'boolean','description':"
	"'Secret values were redacted from the output'},'timed_out':" S_BOOL
	",'truncated':{'type':'boolean','description':'Output past the limit was dropped'}},"
	"'required':['exit_code','stdout','stderr','duration_ms','sanitized','timed_out',"
	"'truncated'],'additionalProperties':false}";

static const char out_fields[] =
	"{'type':'object','properties':{'key':" S_STR ",'fields':{'type':'array','items':"
	"{'type':'object','properties':{'name':" S_STR ",'sensitive':" S_BOOL
	",'value_length':" S_COUNT "},'required':['name','sensitive','value_length'],"
	"'additionalProperties':false}}},'required':['key','fields'],"
	"'additionalProperties':false}";

static const char out_field[] =
	"{'type':'object','properties':{'key':" S_STR ",'field':" S_STR ",'value':" S_STR
	",'sensitive':{'type':'boolean','const':false}},"
	"'required':['key','field','value','sensitive'],'additionalProperties':false}";

static const char out_score[] =
	"{'type':'object','properties':{'score':{'type':'integer','minimum':0,'maximum':100},"
	"'total_secrets':" S_COUNT ",'components':{'type':'object','properties':{'strength':" S_INT
	",'uniqueness':" S_INT ",'expiry':" S_INT ",'coverage':" S_INT "},"
	"'required':['strength','uniqueness','expiry','coverage'],'additionalProperties':false},"
	"'counts':{'type':'object','properties':{'weak':" S_COUNT ",'duplicates':" S_COUNT
	",'expired':" S_COUNT ",'expiring_soon':" S_COUNT ",'no_expiry':" S_COUNT "},"
	"'required':['weak','duplicates','expired','expiring_soon','no_expiry'],"
	"'additionalProperties':false},'weak':" S_STRV
	",'duplicates':{'type':'array','items':" S_STRV
	",'description':'Groups of keys sharing one value'},'expired':" S_STRV
	",'expiring_soon':" S_STRV ",'suggestions':" S_STRV "},"
	"'required':['score','total_secrets','components','counts','weak','duplicates','expired',"
	"'expiring_soon','suggestions'],'additionalProperties':false}";

static const char out_policy[] =
	"{'type':'object','properties':{'allowed':" S_BOOL ",'rule':{'type':'string',"
	"'description':'The policy rule that decided'},'kind':" S_STR ",'resolved_command':" S_STR
	",'argv':" S_STRV ",'keys':{'type':'array','items':"
	"{'type':'object','properties':{'pattern':" S_STR ",'matches':" S_STRV ",'allowed':" S_BOOL
	",'reason':" S_STR_OR_NULL "},"
	"'required':['pattern','matches','allowed','reason'],'additionalProperties':false}},"
	"'sandbox':{'type':'object','properties':{'profile':" S_STR
	",'network':{'type':'string','enum':['allow','deny']},'timeout_ms':" S_COUNT
	",'max_output':" S_COUNT ",'memory':{'type':['integer','null'],'minimum':0},"
	"'writable':" S_STRV ",'sockets':" S_STRV "},'required':['profile','network',"
	"'timeout_ms','max_output','memory','writable','sockets'],'additionalProperties':false}},"
	"'required':['allowed','rule','kind','resolved_command','argv','keys','sandbox'],"
	"'additionalProperties':false}";

/* A folder, as broker_render_folder writes it (shared with `folder list --json`). */
#define S_FOLDER                                                                               \
	"{'type':'object','properties':{'id':" S_STR ",'name':" S_STR ",'path':" S_STR         \
	",'parent_id':" S_STR_OR_NULL ",'icon':" S_STR_OR_NULL ",'color':" S_STR_OR_NULL       \
	",'secret_count':" S_COUNT ",'folder_count':" S_COUNT ",'created_at':" S_TIME_OR_NULL  \
	",'updated_at':" S_TIME_OR_NULL "},'required':['id','name','path','parent_id','icon'," \
	"'color','secret_count','folder_count','created_at','updated_at'],"                    \
	"'additionalProperties':false}"

static const char out_folder_list[] =
	"{'type':'object','properties':{'folders':{'type':'array','items':" S_FOLDER "}},"
	"'required':['folders'],'additionalProperties':false}";

static const char out_folder_create[] =
	"{'type':'object','properties':{'folder':" S_FOLDER "},'required':['folder'],"
	"'additionalProperties':false}";

static const char out_folder_move[] =
	"{'type':'object','properties':{'key':" S_STR ",'folder':{'type':['string','null'],"
	"'description':'The folder path; null: in no folder'}},'required':['key','folder'],"
	"'additionalProperties':false}";

/* ---- the table ---------------------------------------------------------------------------- */

#define ARGS(a) a, ARRAY_SIZE(a)

static const struct mcp_tool tools[] = {
	{ "secret_list", "List secrets",
	  "List the secrets in the vault with their metadata: key, tags, expiry, number of fields, "
	  "value length. Values are never shown. Filter by tag, or by expiry within a duration.",
	  true, false, true, false, ARGS(args_list), out_list, RENDER_JSON, false },
	{ "secret_exists", "Check a secret exists",
	  "Check whether a secret exists, by key or by glob (aws/*). Returns exists, the matching "
	  "keys for a glob, and the metadata of an exact key. Values are never shown.",
	  true, false, true, false, ARGS(args_exists), out_exists, RENDER_JSON, false },
	{ "secret_get_masked", "Show a secret masked",
	  "Show one secret with its value masked (at most the last 4 characters visible), its "
	  "fields (sensitive ones masked), tags, notes and URL.",
	  true, false, true, false, ARGS(args_key), out_masked, RENDER_JSON, false },
	{ "secret_run", "Run a command with secrets",
	  "Run a command with secrets injected as environment variables, in a sandbox, with every "
	  "secret value redacted from its output. The user's policy decides which commands and "
	  "keys are allowed (ask policy_check first). Returns the exit code, stdout and stderr.",
	  false, true, false, true, ARGS(args_run), out_run, RENDER_RUN, false },
	{ "secret_list_fields", "List a secret's fields",
	  "List the fields of a multi-field secret: name, whether it is sensitive, value length.",
	  true, false, true, false, ARGS(args_key), out_fields, RENDER_JSON, false },
	{ "secret_get_field", "Read a non-sensitive field",
	  "Read the value of a non-sensitive field of a secret (a host name, a user name). "
	  "Sensitive fields are refused: use them through secret_run.",
	  true, false, true, false, ARGS(args_get_field), out_field, RENDER_JSON, false },
	{ "secret_run_with_bindings", "Run a command with a secret's bindings",
	  "Run a command with the environment bindings stored with one secret (for example "
	  "PGHOST, PGUSER and PGPASSWORD from the fields of db/prod), sandboxed and redacted "
	  "like secret_run.",
	  false, true, false, true, ARGS(args_run_bindings), out_run, RENDER_RUN, false },
	{ "security_score", "Vault security score",
	  "Score the vault 0-100 from the strength, uniqueness and expiry of its secrets, with "
	  "counts of weak, duplicated, expired and soon-expiring secrets and suggestions.",
	  true, false, true, false, ARGS(args_score), out_score, RENDER_JSON, false },
	{ "policy_check", "Check a run against the policy",
	  "Ask what secret_run would decide for a command and keys, without running anything: "
	  "allowed or not, the rule that decided, which keys match, and the sandbox it would get.",
	  true, false, true, false, ARGS(args_policy), out_policy, RENDER_JSON, false },
	{ "folder_list", "List folders",
	  "List the folders that organise the secrets (all, or those inside parent), sorted by "
	  "path, with the number of secrets and folders in each. Values are never shown.",
	  true, false, true, false, ARGS(args_folder_list), out_folder_list, RENDER_JSON, false },
	{ "folder_create", "Create a folder",
	  "Create a folder, at the top or inside parent, with an optional icon and colour. "
	  "Offered only when the user's policy turns on folder changes (mcp_folder_writes).",
	  false, false, false, false, ARGS(args_folder_create), out_folder_create, RENDER_JSON,
	  true },
	{ "folder_move_secret", "Move a secret to a folder",
	  "Put a secret in a folder (or in none with folder \"\"). The secret itself is not "
	  "changed. Offered only when the user's policy turns on folder changes "
	  "(mcp_folder_writes).",
	  false, false, true, false, ARGS(args_folder_move), out_folder_move, RENDER_JSON, true },
};

const struct mcp_tool *mcp_tool_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		if (name && strcmp(name, tools[i].name) == 0)
			return &tools[i];
	return NULL;
}

const char *mcp_tool_name(const struct mcp_tool *t)
{
	return t->name;
}

/* ---- schemas as JSON ---------------------------------------------------------------------- */

/* The output schemas are written with ' for " to stay readable in C. */
static cJSON *schema_parse(const char *text)
{
	size_t n = strlen(text);
	char *copy = malloc(n + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		copy[i] = text[i] == '\'' ? '"' : text[i];
	cJSON *s = cJSON_ParseWithLength(copy, n);
	free(copy);
	return s;
}

cJSON *mcp_tool_output_schema(const struct mcp_tool *t)
{
	return schema_parse(t->output_schema);
}

static const char *chars_pattern(enum arg_chars c)
{
	switch (c) {
	case CH_KEY: return "^[A-Za-z0-9._/-]+$";
	case CH_PATTERN: return "^[A-Za-z0-9._/*?-]+$";
	case CH_FIELD:
	case CH_ALIAS: return "^[A-Za-z0-9._-]+$";
	case CH_ENV_PREFIX: return "^[A-Z_][A-Z0-9_]*$";
	case CH_DURATION: return "^([0-9]+|([0-9]+[smhdwy])+)$";
	case CH_DURATION_MS: return "^([0-9]+|([0-9]+(ms|s|m|h|d|w|y))+)$";
	case CH_FOLDER: return "^[A-Za-z0-9._ /-]*$";
	case CH_COLOR: return "^#[0-9A-Fa-f]{6}$";
	default: return NULL;
	}
}

/* The JSON Schema of one string under c (lengths in bytes; every allowed byte of a pattern is
 * one character, and maxLength in characters is then never stricter than our byte limit). */
static cJSON *string_schema(const struct arg *a)
{
	cJSON *s = cJSON_CreateObject();
	const char *pat = chars_pattern(a->chars);
	if (!s || !cJSON_AddStringToObject(s, "type", "string") ||
	    (a->min_len && !cJSON_AddNumberToObject(s, "minLength", (double)a->min_len)) ||
	    !cJSON_AddNumberToObject(s, "maxLength", (double)a->max_len) ||
	    (pat && !cJSON_AddStringToObject(s, "pattern", pat))) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

static cJSON *arg_schema(const struct arg *a)
{
	cJSON *s = NULL;
	switch (a->type) {
	case ARG_STR: s = string_schema(a); break;
	case ARG_BOOL:
		s = cJSON_CreateObject();
		if (s && !cJSON_AddStringToObject(s, "type", "boolean"))
			s = (cJSON_Delete(s), NULL);
		break;
	case ARG_STRV: {
		cJSON *items = string_schema(a);
		s = cJSON_CreateObject();
		if (!s || !items || !cJSON_AddStringToObject(s, "type", "array")) {
			cJSON_Delete(items);
			cJSON_Delete(s);
			return NULL;
		}
		cJSON_AddItemToObject(s, "items", items);
		if ((a->min_items &&
		     !cJSON_AddNumberToObject(s, "minItems", (double)a->min_items)) ||
		    !cJSON_AddNumberToObject(s, "maxItems", (double)a->max_items))
			s = (cJSON_Delete(s), NULL);
		break;
	}
	}
	if (s && !cJSON_AddStringToObject(s, "description", a->description))
		s = (cJSON_Delete(s), NULL);
	return s;
}

/* The inputSchema, made from the same rows that validate the arguments. */
static cJSON *input_schema(const struct mcp_tool *t)
{
	cJSON *s = cJSON_CreateObject(), *props = cJSON_CreateObject(), *req = cJSON_CreateArray();
	if (!s || !props || !req || !cJSON_AddStringToObject(s, "type", "object"))
		goto fail;
	for (size_t i = 0; i < t->nargs; i++) {
		cJSON *p = arg_schema(&t->args[i]);
		if (!p)
			goto fail;
		cJSON_AddItemToObject(props, t->args[i].name, p);
		if (t->args[i].required) {
			cJSON *n = cJSON_CreateString(t->args[i].name);
			if (!n)
				goto fail;
			cJSON_AddItemToArray(req, n);
		}
	}
	cJSON_AddItemToObject(s, "properties", props);
	props = NULL;
	if (cJSON_GetArraySize(req) > 0) {
		cJSON_AddItemToObject(s, "required", req);
		req = NULL;
	}
	cJSON_Delete(req);
	if (!cJSON_AddFalseToObject(s, "additionalProperties"))
		goto fail_s;
	return s;
fail:
	cJSON_Delete(props);
	cJSON_Delete(req);
fail_s:
	cJSON_Delete(s);
	return NULL;
}

static cJSON *tool_json(const struct mcp_tool *t, enum mcp_proto proto)
{
	cJSON *o = cJSON_CreateObject(), *x;
	if (!o || !cJSON_AddStringToObject(o, "name", t->name))
		goto fail;
	if (proto >= MCP_PROTO_2025_06_18 && !cJSON_AddStringToObject(o, "title", t->title))
		goto fail;
	if (!cJSON_AddStringToObject(o, "description", t->description))
		goto fail;
	if (!(x = input_schema(t)))
		goto fail;
	cJSON_AddItemToObject(o, "inputSchema", x);
	if (proto >= MCP_PROTO_2025_06_18) {
		if (!(x = mcp_tool_output_schema(t)))
			goto fail;
		cJSON_AddItemToObject(o, "outputSchema", x);
	}
	if (proto >= MCP_PROTO_2025_03_26) {
		x = cJSON_AddObjectToObject(o, "annotations");
		if (!x || !cJSON_AddStringToObject(x, "title", t->title) ||
		    !cJSON_AddBoolToObject(x, "readOnlyHint", t->read_only) ||
		    !cJSON_AddBoolToObject(x, "destructiveHint", t->destructive) ||
		    !cJSON_AddBoolToObject(x, "idempotentHint", t->idempotent) ||
		    !cJSON_AddBoolToObject(x, "openWorldHint", t->open_world))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

bool mcp_tool_folder_write(const struct mcp_tool *t)
{
	return t->folder_write;
}

cJSON *mcp_tools_list(enum mcp_proto proto)
{
	return mcp_tools_list_with(proto, false);
}

cJSON *mcp_tools_list_with(enum mcp_proto proto, bool folder_writes)
{
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; list && i < ARRAY_SIZE(tools); i++) {
		if (tools[i].folder_write && !folder_writes)
			continue;
		cJSON *t = tool_json(&tools[i], proto);
		if (!t) {
			cJSON_Delete(list);
			return NULL;
		}
		cJSON_AddItemToArray(list, t);
	}
	return list;
}

/* ---- validating arguments into a CALL ----------------------------------------------------- */

/* Length of the longest prefix of s, at most max bytes, that does not cut a UTF-8 sequence
 * (s is valid UTF-8: the scanner checked every string of the message). */
static int shown_len(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return (int)n;
}

static bool chars_ok(enum arg_chars c, const char *s)
{
	if (c == CH_ENV_PREFIX)
		return env_name_valid_upper(s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char x = *p;
		bool alnum =
			(x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || (x >= '0' && x <= '9');
		switch (c) {
		case CH_ANY: break;
		case CH_TEXT:
			if (x < 0x20 || x == 0x7f)
				return false;
			break;
		case CH_KEY:
			if (!alnum && !strchr("._/-", x))
				return false;
			break;
		case CH_PATTERN:
			if (!alnum && !strchr("._/-*?", x))
				return false;
			break;
		case CH_FIELD:
		case CH_ALIAS:
			if (!alnum && !strchr("._-", x))
				return false;
			break;
		case CH_ENV_PREFIX: break; /* above */
		case CH_DURATION:
		case CH_DURATION_MS: break; /* parse_duration_ms decides */
		case CH_FOLDER:
			if (!alnum && !strchr("._ /-", x))
				return false;
			break;
		case CH_ICON:
			if (x < 0x20 || x == 0x7f)
				return false;
			break;
		case CH_COLOR:
			if (p == (const unsigned char *)s
				    ? x != '#'
				    : !(alnum && strchr("0123456789abcdefABCDEF", x)))
				return false;
			break;
		}
	}
	return true;
}

static const char *chars_text(enum arg_chars c)
{
	switch (c) {
	case CH_TEXT: return " without control characters";
	case CH_KEY: return " of A-Z a-z 0-9 . _ / -";
	case CH_PATTERN: return " of A-Z a-z 0-9 . _ / - * ?";
	case CH_FIELD:
	case CH_ALIAS: return " of A-Z a-z 0-9 . _ -";
	case CH_ENV_PREFIX: return " of A-Z 0-9 _, not starting with a digit";
	case CH_FOLDER: return " of A-Z a-z 0-9 . _ - / and space";
	case CH_ICON: return " without control characters";
	case CH_COLOR: return ", # and six hex digits";
	default: return "";
	}
}

/* Check one string of argument a; item < 0 for a plain string. On success *ret_capped says the
 * duration was over the maximum (the caller sends the maximum instead). */
static int check_string(const struct mcp_tool *t, const struct arg *a, long item, const char *s,
			bool *ret_capped, struct mcp_rpc_err *err)
{
	size_t n = strlen(s);
	char where[64];
	if (item < 0)
		snprintf(where, sizeof(where), "property '%s'", a->name);
	else
		snprintf(where, sizeof(where), "property '%s' item %ld", a->name, item);

	if (n < a->min_len || n > a->max_len || !chars_ok(a->chars, s)) {
		if (a->min_len == a->max_len)
			return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
					    "Invalid arguments for tool %s: %s must be %zu bytes%s",
					    t->name, where, a->max_len, chars_text(a->chars));
		return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
				    "Invalid arguments for tool %s: %s must be %zu to %zu bytes%s",
				    t->name, where, a->min_len, a->max_len, chars_text(a->chars));
	}
	*ret_capped = false;
	if (a->chars == CH_DURATION || a->chars == CH_DURATION_MS) {
		int64_t ms;
		bool with_ms = a->chars == CH_DURATION_MS;
		if (parse_duration_ms(s, with_ms, &ms) < 0 || (with_ms && ms <= 0))
			return mcp_rpc_fail(
				err, MCP_RPC_INVALID_PARAMS,
				"Invalid arguments for tool %s: %s must be a duration such "
				"as %s (got \"%.*s\")",
				t->name, where, with_ms ? "30s, 5m or 1h30m" : "7d, 12h or 2w",
				shown_len(s, 32), s);
		*ret_capped = with_ms && ms > BROKER_TIMEOUT_MAX_MS;
	}
	return 0;
}

static const struct arg *find_arg(const struct mcp_tool *t, const char *name)
{
	for (size_t i = 0; i < t->nargs; i++)
		if (strcmp(t->args[i].name, name) == 0)
			return &t->args[i];
	return NULL;
}

static const char *type_text(const struct arg *a)
{
	switch (a->type) {
	case ARG_STR: return "a string";
	case ARG_BOOL: return "a boolean";
	case ARG_STRV: return "an array of strings";
	}
	return "?";
}

/* Check argument a's value v and add it to the CALL. */
static int add_arg(const struct mcp_tool *t, const struct arg *a, const cJSON *v,
		   struct mcp_wire_enc *e, struct mcp_rpc_err *err)
{
	bool capped;
	int r;
	switch (a->type) {
	case ARG_BOOL:
		if (!cJSON_IsBool(v))
			break;
		mcp_wire_bool(e, a->name, cJSON_IsTrue(v));
		return 0;
	case ARG_STR:
		if (!cJSON_IsString(v))
			break;
		if ((r = check_string(t, a, -1, v->valuestring, &capped, err)) < 0)
			return r;
		mcp_wire_cstr(e, a->name, capped ? "1h" : v->valuestring);
		return 0;
	case ARG_STRV: {
		const char *items[MCP_ARGS_MAX > MCP_KEYS_MAX ? MCP_ARGS_MAX : MCP_KEYS_MAX];
		size_t n = 0;
		if (!cJSON_IsArray(v))
			break;
		for (const cJSON *it = v->child; it; it = it->next)
			if (!cJSON_IsString(it))
				goto bad_type;
		size_t count = (size_t)cJSON_GetArraySize(v);
		if (count < a->min_items || count > a->max_items || count > ARRAY_SIZE(items))
			return mcp_rpc_fail(
				err, MCP_RPC_INVALID_PARAMS,
				"Invalid arguments for tool %s: property '%s' must have "
				"%zu to %zu items (it has %zu)",
				t->name, a->name, a->min_items, a->max_items, count);
		for (const cJSON *it = v->child; it; it = it->next, n++) {
			if ((r = check_string(t, a, (long)n, it->valuestring, &capped, err)) < 0)
				return r;
			items[n] = it->valuestring;
		}
		mcp_wire_strv(e, a->name, items, NULL, n);
		return 0;
	}
	}
bad_type:
	return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
			    "Invalid arguments for tool %s: property '%s' must be %s", t->name,
			    a->name, type_text(a));
}

int mcp_tool_encode_call(const struct mcp_tool *t, const cJSON *args, bool progress,
			 const struct mcp_call_approval *ap, uint64_t id, struct buf *out,
			 struct mcp_rpc_err *err)
{
	struct mcp_wire_enc e;
	int r;

	if (args && !cJSON_IsObject(args))
		return mcp_rpc_fail(err, MCP_RPC_INVALID_PARAMS,
				    "Invalid arguments for tool %s: arguments must be an object",
				    t->name);
	for (const cJSON *m = args ? args->child : NULL; m; m = m->next)
		if (!find_arg(t, m->string))
			return mcp_rpc_fail(
				err, MCP_RPC_INVALID_PARAMS,
				"Invalid arguments for tool %s: unknown property '%.*s'", t->name,
				shown_len(m->string, 64), m->string);

	mcp_wire_begin(&e, out, MCP_W_CALL, id);
	mcp_wire_cstr(&e, "tool", t->name);
	mcp_wire_bool(&e, "progress", progress);
	if (ap && ap->elicitation)
		mcp_wire_int(&e, "elicitation", ap->elicitation);
	if (ap && ap->state)
		mcp_wire_cstr(&e, "request_state", ap->state);
	if (ap && ap->action) {
		mcp_wire_cstr(&e, "approval_action", ap->action);
		mcp_wire_cstr(&e, "approval_decision", ap->decision ? ap->decision : "");
	}
	for (size_t i = 0; i < t->nargs; i++) {
		const struct arg *a = &t->args[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, a->name);
		if (!v) {
			if (!a->required)
				continue;
			r = mcp_rpc_fail(
				err, MCP_RPC_INVALID_PARAMS,
				"Invalid arguments for tool %s: missing required property '%s'",
				t->name, a->name);
			e.err = r;
			mcp_wire_end(&e);
			return r;
		}
		if ((r = add_arg(t, a, v, &e, err)) < 0) {
			e.err = r;
			mcp_wire_end(&e);
			return r;
		}
	}
	r = mcp_wire_end(&e);
	if (r < 0)
		return mcp_rpc_fail(
			err, r == -ENOMEM ? MCP_RPC_INTERNAL_ERROR : MCP_RPC_INVALID_PARAMS,
			"Invalid arguments for tool %s: the call is too large", t->name);
	return 0;
}

/* ---- a subset of JSON Schema, for what the broker returns --------------------------------- */

struct path {
	char s[256];
	size_t len;
};

/* Append to the path (truncated when long); returns the length to restore with path_pop. */
static size_t path_push(struct path *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(struct path *p, const char *fmt, ...)
{
	size_t saved = p->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p->s + p->len, sizeof(p->s) - p->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len += (size_t)n < sizeof(p->s) - p->len ? (size_t)n : sizeof(p->s) - p->len - 1;
	return saved;
}

static void path_pop(struct path *p, size_t saved)
{
	p->len = saved;
	p->s[saved] = '\0';
}

static bool type_is(const char *type, const cJSON *v)
{
	if (strcmp(type, "object") == 0)
		return cJSON_IsObject(v);
	if (strcmp(type, "array") == 0)
		return cJSON_IsArray(v);
	if (strcmp(type, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(type, "boolean") == 0)
		return cJSON_IsBool(v);
	if (strcmp(type, "null") == 0)
		return cJSON_IsNull(v);
	if (strcmp(type, "number") == 0)
		return cJSON_IsNumber(v);
	if (strcmp(type, "integer") == 0)
		return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
		       floor(v->valuedouble) == v->valuedouble;
	return false;
}

static int check_node(const cJSON *sch, const cJSON *v, struct path *p, struct mcp_rpc_err *err)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(sch, "type");
	const cJSON *x;
	const char *at = p->len ? p->s : "(root)";

	if (cJSON_IsString(type) && !type_is(type->valuestring, v))
		return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: not of type %s", at,
				    type->valuestring);
	if (cJSON_IsArray(type)) {
		bool ok = false;
		cJSON_ArrayForEach(x, type) ok =
			ok || (cJSON_IsString(x) && type_is(x->valuestring, v));
		if (!ok)
			return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR,
					    "%s: not of an allowed type", at);
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(sch, "const")) && !cJSON_Compare(x, v, true))
		return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: not the constant", at);
	if ((x = cJSON_GetObjectItemCaseSensitive(sch, "enum"))) {
		const cJSON *e;
		bool ok = false;
		cJSON_ArrayForEach(e, x) ok = ok || cJSON_Compare(e, v, true);
		if (!ok)
			return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: not one of the enum",
					    at);
	}
	if (cJSON_IsNumber(v)) {
		if ((x = cJSON_GetObjectItemCaseSensitive(sch, "minimum")) &&
		    v->valuedouble < x->valuedouble)
			return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: below the minimum",
					    at);
		if ((x = cJSON_GetObjectItemCaseSensitive(sch, "maximum")) &&
		    v->valuedouble > x->valuedouble)
			return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: above the maximum",
					    at);
	}
	if (cJSON_IsArray(v)) {
		int n = cJSON_GetArraySize(v), i = 0;
		if ((x = cJSON_GetObjectItemCaseSensitive(sch, "minItems")) && n < x->valuedouble)
			return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: too few items", at);
		if ((x = cJSON_GetObjectItemCaseSensitive(sch, "maxItems")) && n > x->valuedouble)
			return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: too many items", at);
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(sch, "items"), *it;
		if (cJSON_IsObject(items)) {
			cJSON_ArrayForEach(it, v)
			{
				size_t saved = path_push(p, "[%d]", i++);
				int r = check_node(items, it, p, err);
				path_pop(p, saved);
				if (r < 0)
					return r;
			}
		}
	}
	if (cJSON_IsObject(v)) {
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(sch, "properties");
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(sch, "required"), *m;
		bool closed = cJSON_IsFalse(
			cJSON_GetObjectItemCaseSensitive(sch, "additionalProperties"));
		cJSON_ArrayForEach(m, req)
		{
			if (cJSON_IsString(m) &&
			    !cJSON_GetObjectItemCaseSensitive(v, m->valuestring))
				return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "%s: missing %s",
						    at, m->valuestring);
		}
		cJSON_ArrayForEach(m, v)
		{
			const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, m->string);
			if (!ps) {
				if (closed)
					return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR,
							    "%s: unexpected member %.*s", at,
							    shown_len(m->string, 64), m->string);
				continue;
			}
			size_t saved = path_push(p, "%s%.*s", p->len ? "." : "",
						 shown_len(m->string, 64), m->string);
			int r = check_node(ps, m, p, err);
			path_pop(p, saved);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int mcp_schema_check(const cJSON *schema, const cJSON *value, struct mcp_rpc_err *err)
{
	struct path p = { .len = 0 };
	p.s[0] = '\0';
	return check_node(schema, value, &p, err) < 0 ? -EINVAL : 0;
}

/* ---- results ------------------------------------------------------------------------------ */

/* {content: [{type: "text", text}]} and isError: true for an error. */
static cJSON *text_result(const char *text, bool is_error)
{
	cJSON *r = cJSON_CreateObject(), *content = cJSON_CreateArray(),
	      *block = cJSON_CreateObject();
	if (!r || !content || !block || !cJSON_AddStringToObject(block, "type", "text") ||
	    !cJSON_AddStringToObject(block, "text", text)) {
		cJSON_Delete(r);
		cJSON_Delete(content);
		cJSON_Delete(block);
		return NULL;
	}
	cJSON_AddItemToArray(content, block);
	cJSON_AddItemToObject(r, "content", content);
	if (is_error && !cJSON_AddTrueToObject(r, "isError")) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

cJSON *mcp_tool_error_result(const char *text)
{
	return text_result(text, true);
}

/* Parse the structuredContent text of a RESULT: an object, strings made valid UTF-8. */
static int parse_structured(const struct mcp_wire_field *f, cJSON **ret, struct mcp_rpc_err *err)
{
	struct buf b = BUF_INIT;
	const char *end = NULL;
	if (buf_append(&b, f->str, f->len) < 0)
		return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "out of memory");
	mcp_json_fix_nul(b.data, b.len);
	cJSON *j = cJSON_ParseWithLengthOpts(b.data, b.len, &end, false);
	size_t used = end && j ? (size_t)(end - b.data) : 0;
	while (used < b.len && strchr(" \t\r\n", b.data[used]) && b.data[used])
		used++;
	buf_release(&b);
	if (!cJSON_IsObject(j) || used != f->len) {
		cJSON_Delete(j);
		return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR,
				    "the broker's result is not a JSON object");
	}
	if (mcp_json_clean_strings(j) < 0) {
		cJSON_Delete(j);
		return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "out of memory");
	}
	*ret = j;
	return 0;
}

static const char *get_str(const cJSON *o, const char *name)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(x) ? x->valuestring : "";
}

/* exit code, duration and flags, then the two streams. */
static int render_run(const cJSON *sc, struct buf *b)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(sc, "exit_code");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(sc, "duration_ms");
	const char *out = get_str(sc, "stdout"), *errs = get_str(sc, "stderr");
	int r = buf_printf(b, "exit_code: %.0f\nduration_ms: %.0f\n",
			   cJSON_IsNumber(code) ? code->valuedouble : -1.0,
			   cJSON_IsNumber(ms) ? ms->valuedouble : 0.0);
	if (r == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "timed_out")))
		r = buf_puts(b, "timed_out: true (the command was killed)\n");
	if (r == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "truncated")))
		r = buf_puts(b, "truncated: true (output past the limit was dropped)\n");
	if (r == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "sanitized")))
		r = buf_puts(b, "sanitized: true (secret values were redacted)\n");
	if (r == 0)
		r = buf_printf(b, "--- stdout ---\n%s%s--- stderr ---\n%s", out,
			       *out && out[strlen(out) - 1] != '\n' ? "\n" : "", errs);
	return r < 0 ? -ENOMEM : 0;
}

static int render(const struct mcp_tool *t, const cJSON *sc, struct buf *b)
{
	if (t->render == RENDER_RUN)
		return render_run(sc, b);
	char *s = cJSON_PrintUnformatted(sc);
	int r = s ? buf_puts(b, s) : -ENOMEM;
	cJSON_free(s);
	return r < 0 ? -ENOMEM : 0;
}

/* Does sc match the tool's output schema? A mismatch is logged: clients that validate
 * (the v1 TypeScript SDK does) would reject the result. */
static bool matches_schema(const struct mcp_tool *t, const cJSON *sc)
{
	struct mcp_rpc_err e = { 0 };
	cJSON *schema = mcp_tool_output_schema(t);
	bool ok = schema && mcp_schema_check(schema, sc, &e) == 0;
	cJSON_Delete(schema);
	if (!ok)
		mcp_log("%s: the broker's result does not match the output schema: %s", t->name,
			e.msg);
	return ok;
}

/* The CallToolResult: text (the message of an error, the rendering of a success, or a short
 * note when long is false), and structuredContent (a copy of sc) when with_sc. */
static cJSON *build_result(const struct mcp_tool *t, bool error, const char *message,
			   const cJSON *sc, bool with_sc, bool long_text)
{
	struct buf text = BUF_INIT;
	cJSON *res = NULL;
	int r = 0;

	if (error) {
		r = buf_puts(&text, message);
		if (r == 0 && sc && long_text && t->render == RENDER_RUN) {
			r = buf_puts(&text, "\n");
			if (r == 0)
				r = render_run(sc, &text);
		}
	} else if (long_text) {
		r = render(t, sc, &text);
	} else if (t->render == RENDER_RUN) {
		cJSON *head = cJSON_Duplicate(sc, true);
		if (!head)
			r = -ENOMEM;
		cJSON_DeleteItemFromObjectCaseSensitive(head, "stdout");
		cJSON_DeleteItemFromObjectCaseSensitive(head, "stderr");
		if (r == 0)
			r = render_run(head, &text);
		if (r == 0)
			r = buf_puts(&text, "(stdout and stderr are too long to repeat here: see "
					    "structuredContent)");
		cJSON_Delete(head);
	} else {
		r = buf_puts(&text,
			     "The result is too large to repeat as text: see structuredContent.");
	}
	if (r == 0 && (res = text_result(text.data, error)) && with_sc) {
		cJSON *copy = cJSON_Duplicate(sc, true);
		if (!copy)
			res = (cJSON_Delete(res), NULL);
		else
			cJSON_AddItemToObject(res, "structuredContent", copy);
	}
	buf_release(&text);
	return res;
}

/* Serialized size of res, 0 on ENOMEM. */
static size_t json_size(const cJSON *res)
{
	char *s = cJSON_PrintUnformatted(res);
	size_t n = s ? strlen(s) : 0;
	cJSON_free(s);
	return n;
}

/* Halve a string member (never cutting a UTF-8 sequence); false when already empty. */
static bool halve(cJSON *o, const char *name)
{
	cJSON *x = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsString(x) || !x->valuestring[0])
		return false;
	size_t n = strlen(x->valuestring) / 2;
	while (n > 0 && ((unsigned char)x->valuestring[n] & 0xC0) == 0x80)
		n--;
	x->valuestring[n] = '\0';
	return true;
}

/* A large successful result (secret_list of a big vault) goes out as the broker wrote it: its
 * JSON text is spliced into the answer as structuredContent (a cJSON raw node: no parse, no
 * copy of a tree, no second print), with a short text note, since a client of this revision
 * reads structuredContent. The broker's writer (common/out.c) only ever writes valid JSON with
 * valid UTF-8 strings; results up to MCP_RAW_RESULT_MIN are parsed and checked against the
 * output schema as before, which is what the tests exercise. */
#define MCP_RAW_RESULT_MIN (256u * 1024)

static cJSON *raw_result(const struct mcp_wire_field *json)
{
	char note[160];
	char *copy = malloc(json->len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, json->str, json->len);
	copy[json->len] = '\0';
	snprintf(note, sizeof(note),
		 "The result is large (%zu bytes of JSON): see structuredContent.", json->len);
	cJSON *res = text_result(note, false), *raw = res ? cJSON_CreateRaw(copy) : NULL;
	free(copy);
	if (!raw) {
		cJSON_Delete(res);
		return NULL;
	}
	cJSON_AddItemToObject(res, "structuredContent", raw);
	return res;
}

int mcp_tool_result(const struct mcp_tool *t, enum mcp_proto proto, const struct mcp_wire_msg *m,
		    size_t max, cJSON **ret, struct mcp_rpc_err *err)
{
	const struct mcp_wire_field *error = mcp_wire_get(m, "error", MCP_WK_BOOL);
	const struct mcp_wire_field *json = mcp_wire_get(m, "json", MCP_WK_STR);
	const struct mcp_wire_field *message = mcp_wire_get(m, "message", MCP_WK_STR);
	struct buf msg = BUF_INIT;
	cJSON *sc = NULL, *res = NULL;
	size_t size = 0;
	int r;

	if (!error) {
		mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "a RESULT without the error field");
		return -EPROTO;
	}
	if (!error->b && json && json->len > MCP_RAW_RESULT_MIN && json->len + 1024 <= max &&
	    t->render != RENDER_RUN && proto >= MCP_PROTO_2025_06_18 && json->str[0] == '{' &&
	    !memchr(json->str, '\0', json->len)) {
		if (!(*ret = raw_result(json)))
			return mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "out of memory");
		return 0;
	}
	if (json && parse_structured(json, &sc, err) < 0) {
		if (!error->b)
			return -EPROTO;
		sc = NULL; /* a failure's detail we cannot use: the message still says it */
	}
	if (!error->b && !sc) {
		mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "a successful RESULT without json");
		return -EPROTO;
	}
	bool sc_ok = sc && matches_schema(t, sc);
	if (error->b) {
		r = message ? mcp_utf8_clean(message->str, message->len, &msg)
			    : buf_puts(&msg, "the tool failed");
		if (r < 0)
			goto nomem;
		if (!sc_ok) {
			/* Its detail does not fit the schema; validating clients check
			 * structuredContent whenever it is present. The message still says it. */
			cJSON_Delete(sc);
			sc = NULL;
		}
	}
	/* structuredContent exists from 2025-06-18. */
	bool with_sc = sc && proto >= MCP_PROTO_2025_06_18;

	/* Keep the answer under max: the text stops repeating what structuredContent says, then
	 * a run's output is cut (truncated: true), then the result is replaced by an error. */
	for (int step = 0; step < 40; step++) {
		bool long_text = !(with_sc && step > 0);
		cJSON_Delete(res);
		if (!(res = build_result(t, error->b, msg.data, sc, with_sc, long_text)) ||
		    !(size = json_size(res)))
			goto nomem;
		if (size <= max)
			break;
		if (step == 0 && with_sc)
			continue;
		if (t->render != RENDER_RUN || !sc)
			break;
		bool cut = halve(sc, "stdout");
		cut = halve(sc, "stderr") || cut;
		if (!cut)
			break;
		cJSON_DeleteItemFromObjectCaseSensitive(sc, "truncated");
		cJSON_AddTrueToObject(sc, "truncated");
	}
	if (size > max) {
		char text[256];
		snprintf(text, sizeof(text),
			 "The result of %s is too large to send (%zu bytes; the limit is %zu): "
			 "narrow "
			 "the request, or make the command print less",
			 t->name, size, max);
		cJSON_Delete(res);
		if (!(res = mcp_tool_error_result(text)))
			goto nomem;
	}
	*ret = res;
	cJSON_Delete(sc);
	buf_release(&msg);
	return 0;
nomem:
	cJSON_Delete(res);
	cJSON_Delete(sc);
	buf_release(&msg);
	mcp_rpc_fail(err, MCP_RPC_INTERNAL_ERROR, "out of memory");
	return -ENOMEM;
}
