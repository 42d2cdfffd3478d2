/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl policy validate|check`: load the command policy (mcp-policy.yaml) as MCP runs
 * do and say whether it is valid, or what it decides for a command and keys. Runs nothing and
 * opens no vault, so no secret is ever in this process. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "cli/cli.h"
#include "policy/policy.h"

enum { CHECK_ALLOWED = 0, CHECK_DENIED = 1, CHECK_ERROR = 2 };

/* Load the policy in force, reporting any failure once. */
static int load(const char *opt_policy, struct policy **ret, char **ret_path)
{
	char *dir = vault_dir_default(NULL);
	struct reterr err = RETERR_INIT;
	int r = policy_load_default(dir, opt_policy, POLICY_LOAD_REQUIRED, ret, ret_path, &err);
	free(dir);
	if (r < 0)
		cli_error("policy: %s", reterr_str(&err, r));
	return r;
}

/* Text from the command line or a file name, safe on a terminal and in JSON: bytes outside
 * printable ASCII become '?'. Caller frees; NULL on ENOMEM. */
static char *printable(const char *s)
{
	char *o = strdup(s);
	for (size_t i = 0; o && o[i]; i++)
		if ((unsigned char)o[i] < 0x20 || (unsigned char)o[i] >= 0x7f)
			o[i] = '?';
	return o;
}

static const char *opt_policy;

static int validate(struct cli_ctx *ctx)
{
	(void)ctx;
	struct policy *p = NULL;
	char *path = NULL;
	int r = load(opt_policy, &p, &path);
	if (r < 0)
		return r == -ENOENT		   ? CLI_ENOTFOUND
		       : r == -ENOMEM || r == -EIO ? CLI_EIO
						   : CLI_EUSAGE;
	struct policy_summary s;
	policy_summarize(p, &s);
	char keys[32] = "any";
	if (s.allowed_keys >= 0)
		snprintf(keys, sizeof(keys), "%ld", s.allowed_keys);
	char *shown = printable(path);
	printf("%s: ok (%zu allowed, %zu denied commands, %zu command rules, allowed keys: %s, "
	       "%zu denied keys, %zu env aliases, default_action %s, max_concurrent_runs %u)\n",
	       shown ? shown : "policy", s.allowed_commands, s.denied_commands, s.commands, keys,
	       s.denied_keys, s.aliases, s.default_action == POLICY_ALLOW ? "allow" : "deny",
	       s.max_concurrent_runs);
	free(shown);
	free(path);
	policy_free(p);
	return CLI_OK;
}

/* ---- check -------------------------------------------------------------------------------- */

static struct check_opts {
	const char *cwd;
	char **keys;
	bool json;
} co;

/* The run's directory: --cwd made absolute and symlink-free, else ours. */
static int check_cwd(const char *opt, char out[PATH_MAX])
{
	struct stat st;
	if (!opt) {
		if (getcwd(out, PATH_MAX))
			return 0;
		cli_error("policy check: cannot determine the working directory: %s",
			  strerror(errno));
		return -1;
	}
	const char *why = NULL;
	if (!realpath(opt, out) || stat(out, &st) < 0)
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a directory";
	if (!why)
		return 0;
	char *shown = printable(opt);
	cli_error("policy check: --cwd %s: %s", shown ? shown : "", why);
	free(shown);
	return -1;
}

/* "5m", "1h30m", "90s" -> "1m30s", "500ms". */
static void fmt_duration(int64_t ms, char out[static 64])
{
	static const struct {
		const char *u;
		int64_t ms;
	} units[] = {
		{ "d", 86400000 },
		{ "h", 3600000 },
		{ "m", 60000 },
		{ "s", 1000 },
	};
	struct buf b = BUF_INIT;
	if (ms % 1000)
		buf_printf(&b, "%lldms", (long long)ms);
	for (size_t i = 0; !(ms % 1000) && i < ARRAY_SIZE(units); i++) {
		if (ms < units[i].ms)
			continue;
		buf_printf(&b, "%lld%s", (long long)(ms / units[i].ms), units[i].u);
		ms %= units[i].ms;
	}
	snprintf(out, 64, "%.40s", b.data ? b.data : "?");
	buf_release(&b);
}

/* 1048576 -> "1M", 524288 -> "512K", else bytes. */
static void fmt_size(uint64_t v, char *out, size_t n)
{
	if (v && v % (1024ull * 1024 * 1024) == 0)
		snprintf(out, n, "%lluG", (unsigned long long)(v >> 30));
	else if (v && v % (1024 * 1024) == 0)
		snprintf(out, n, "%lluM", (unsigned long long)(v >> 20));
	else if (v && v % 1024 == 0)
		snprintf(out, n, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(out, n, "%llu", (unsigned long long)v);
}

/* The sandbox a run gets: the policy's values, unset ones filled with the MCP defaults. */
struct shown_sandbox {
	const char *profile, *network;
	int64_t timeout_ms;
	uint64_t max_output, memory; /* memory 0: unlimited */
	bool dflt_profile, dflt_network, dflt_timeout, dflt_output;
};

static void settle(const struct policy_sandbox *s, struct shown_sandbox *o)
{
	o->dflt_profile = !s->profile;
	o->profile = s->profile ? s->profile : "standard";
	o->dflt_network = s->network < 0;
	if (s->network >= 0)
		o->network = s->network ? "deny" : "allow";
	else
		o->network = !strcmp(o->profile, "strict") ? "deny" : "allow";
	o->dflt_timeout = !s->timeout_ms;
	o->timeout_ms = s->timeout_ms ? s->timeout_ms : POLICY_DEFAULT_TIMEOUT_MS;
	o->dflt_output = !s->max_output;
	o->max_output = s->max_output ? s->max_output : POLICY_DEFAULT_MAX_OUTPUT;
	o->memory = s->memory;
}

/* One -k pattern: allowed (NULL) or why not (*ret_why, malloc'd). */
static int key_verdict(const struct policy *p, const struct policy_decision *d, const char *key,
		       char **ret_why)
{
	struct reterr err = RETERR_INIT;
	int r = policy_key_check(p, d, key, &err);
	*ret_why = NULL;
	if (r == 0)
		return 0;
	*ret_why = printable(reterr_str(&err, r));
	return r;
}

static void print_paths(const char *label, char *const *v)
{
	printf("%-12s", label);
	if (!v || !v[0])
		printf(" -");
	for (size_t i = 0; v && v[i]; i++) {
		char *s = printable(v[i]);
		printf("%s%s", i ? ", " : " ", s ? s : "?");
		free(s);
	}
	printf("\n");
}

static bool print_text(const struct policy *p, const struct policy_decision *d,
		       const struct check_opts *o, const char *path)
{
	struct shown_sandbox sb;
	char t[64], m[32], mem[32];
	const char *match = NULL, *dflt = " (default)";
	int line = 0;
	bool ok = d->verdict == POLICY_ALLOW;
	char *shown = printable(d->resolved[0] ? d->resolved : "-");
	char *pshown = printable(path);
	printf("%-12s %s\n", "verdict:", ok ? "allow" : "deny");
	printf("%-12s %s\n", "rule:", d->rule);
	printf("%-12s %s\n", "command:", shown ? shown : "?");
	if (policy_command_info(p, d->command_index, &match, &line) == 0) {
		char *ms = printable(match);
		printf("%-12s '%s' (line %d)\n", "commands:", ms ? ms : "?", line);
		free(ms);
	}
	for (size_t i = 0; o->keys && o->keys[i]; i++) {
		char *why = NULL, *k = printable(o->keys[i]);
		bool kok = key_verdict(p, d, o->keys[i], &why) == 0;
		printf("key %s: %s%s\n", k ? k : "?", kok ? "allowed" : "refused: ",
		       kok   ? ""
		       : why ? why
			     : "?");
		ok = ok && kok;
		free(why);
		free(k);
	}
	settle(&d->sandbox, &sb);
	fmt_duration(sb.timeout_ms, t);
	fmt_size(sb.max_output, m, sizeof(m));
	if (sb.memory)
		fmt_size(sb.memory, mem, sizeof(mem));
	printf("%-12s %s%s\n", "profile:", sb.profile, sb.dflt_profile ? dflt : "");
	printf("%-12s %s%s\n", "network:", sb.network, sb.dflt_network ? dflt : "");
	printf("%-12s %s%s\n", "timeout:", t, sb.dflt_timeout ? dflt : "");
	printf("%-12s %s%s\n", "max_output:", m, sb.dflt_output ? dflt : "");
	printf("%-12s %s\n", "memory:", sb.memory ? mem : "unlimited (default)");
	print_paths("writable:", d->sandbox.writable);
	print_paths("sockets:", d->sandbox.sockets);
	char why[POLICY_RULE_MAX];
	enum policy_approval a =
		policy_approval_for(p, d, o->keys, o->keys ? strv_len(o->keys) : 0, why);
	printf("%-12s %s%s%s%s\n", "approval:", policy_approval_name(a), *why ? " (" : "", why,
	       *why ? ")" : "");
	if (a != POLICY_APPROVAL_NEVER)
		printf("%-12s %s\n", "asked via:",
		       policy_approval_channel(p) == POLICY_CHANNEL_AGENT
			       ? "the session agent (approval_channel: agent)"
			       : "the MCP client's elicitation when it offers one, else the "
				 "session agent (approval_channel: client)");
	printf("%-12s %s\n", "policy:", pshown ? pshown : "?");
	free(shown);
	free(pshown);
	return ok;
}

static cJSON *json_paths(char *const *v)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && v && v[i]; i++) {
		char *s = printable(v[i]);
		cJSON_AddItemToArray(a, s ? cJSON_CreateString(s) : cJSON_CreateNull());
		free(s);
	}
	return a;
}

static cJSON *json_sandbox(const struct policy_sandbox *s)
{
	struct shown_sandbox sb;
	cJSON *o = cJSON_CreateObject(), *dflt = cJSON_CreateArray();
	settle(s, &sb);
	if (!o || !dflt) {
		cJSON_Delete(o);
		cJSON_Delete(dflt);
		return NULL;
	}
	cJSON_AddStringToObject(o, "profile", sb.profile);
	cJSON_AddStringToObject(o, "network", sb.network);
	cJSON_AddNumberToObject(o, "timeout_ms", (double)sb.timeout_ms);
	cJSON_AddNumberToObject(o, "max_output", (double)sb.max_output);
	cJSON_AddItemToObject(o, "memory",
			      sb.memory ? cJSON_CreateNumber((double)sb.memory)
					: cJSON_CreateNull());
	cJSON_AddItemToObject(o, "writable", json_paths(s->writable));
	cJSON_AddItemToObject(o, "allow_sockets", json_paths(s->sockets));
	static const char *const names[] = { "profile", "network", "timeout", "max_output" };
	const bool set[] = { sb.dflt_profile, sb.dflt_network, sb.dflt_timeout, sb.dflt_output };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (set[i])
			cJSON_AddItemToArray(dflt, cJSON_CreateString(names[i]));
	cJSON_AddItemToObject(o, "defaults", dflt);
	return o;
}

/* The keys array; *ok cleared when one is refused. */
static cJSON *json_keys(const struct policy *p, const struct policy_decision *d, char *const *keys,
			bool *ok)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && keys && keys[i]; i++) {
		char *why = NULL, *k = printable(keys[i]);
		bool kok = key_verdict(p, d, keys[i], &why) == 0;
		cJSON *e = cJSON_CreateObject();
		if (e) {
			cJSON_AddStringToObject(e, "key", k ? k : "?");
			cJSON_AddBoolToObject(e, "allowed", kok);
			cJSON_AddItemToObject(e, "reason",
					      why ? cJSON_CreateString(why) : cJSON_CreateNull());
			cJSON_AddItemToArray(a, e);
		}
		*ok = *ok && kok;
		free(why);
		free(k);
	}
	return a;
}

/* -1 on ENOMEM, else whether everything was allowed. */
static int print_json(const struct policy *p, const struct policy_decision *d,
		      const struct check_opts *o, const char *path)
{
	bool ok = d->verdict == POLICY_ALLOW;
	const char *match = NULL;
	int line = 0;
	char *resolved = d->resolved[0] ? printable(d->resolved) : NULL;
	char *ppath = printable(path);
	cJSON *j = cJSON_CreateObject();
	if (j) {
		cJSON_AddStringToObject(j, "verdict", ok ? "allow" : "deny");
		cJSON_AddStringToObject(j, "kind", policy_rule_kind_name(d->kind));
		cJSON_AddStringToObject(j, "rule", d->rule);
		cJSON_AddItemToObject(j, "resolved",
				      resolved ? cJSON_CreateString(resolved) : cJSON_CreateNull());
		bool has = policy_command_info(p, d->command_index, &match, &line) == 0;
		char *ms = has ? printable(match) : NULL;
		cJSON_AddItemToObject(j, "command_index",
				      has ? cJSON_CreateNumber(d->command_index)
					  : cJSON_CreateNull());
		cJSON_AddItemToObject(j, "command_match",
				      ms ? cJSON_CreateString(ms) : cJSON_CreateNull());
		free(ms);
		cJSON_AddItemToObject(j, "keys", json_keys(p, d, o->keys, &ok));
		char why[POLICY_RULE_MAX];
		enum policy_approval a =
			policy_approval_for(p, d, o->keys, o->keys ? strv_len(o->keys) : 0, why);
		cJSON_AddStringToObject(j, "approval", policy_approval_name(a));
		cJSON_AddItemToObject(j, "approval_rule",
				      *why ? cJSON_CreateString(why) : cJSON_CreateNull());
		cJSON_AddStringToObject(j, "approval_channel",
					policy_approval_channel_name(policy_approval_channel(p)));
		cJSON_AddItemToObject(j, "sandbox", json_sandbox(&d->sandbox));
		cJSON_AddStringToObject(j, "policy", ppath ? ppath : "?");
		cJSON_AddBoolToObject(j, "allowed", ok);
	}
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(j);
	free(resolved);
	free(ppath);
	return text ? ok : -1;
}

static int check(struct cli_ctx *ctx)
{
	struct policy *p = NULL;
	char *path = NULL, cwd[PATH_MAX];
	int rc = CHECK_ERROR;
	if (check_cwd(co.cwd, cwd) < 0 || load(opt_policy, &p, &path) < 0)
		goto out;
	struct policy_request rq = { .argv = ctx->argv, .cwd = cwd, .path = getenv("PATH") };
	struct policy_decision d;
	struct reterr err = RETERR_INIT;
	int r = policy_decide(p, &rq, &d, &err);
	if (r < 0) {
		cli_error("policy check: %s", reterr_str(&err, r));
		goto out;
	}
	r = co.json ? print_json(p, &d, &co, path) : print_text(p, &d, &co, path);
	if (r < 0)
		cli_error("out of memory");
	else
		rc = r ? CHECK_ALLOWED : CHECK_DENIED;
	if (fflush(stdout) != 0 && rc != CHECK_ERROR) {
		cli_error("policy check: cannot write the output: %s", strerror(errno));
		rc = CHECK_ERROR;
	}
out:
	policy_free(p);
	free(path);
	return rc;
}

#define OPT_POLICY(h) CLI_STRING(0, "policy", "FILE", &opt_policy, h)

static const struct cli_opt validate_opts[] = {
	OPT_POLICY("the file to check (default: $SECRETCTL_POLICY, else\n"
		   "<vault dir>/mcp-policy.yaml, else <vault dir>/policy.yaml)"),
	CLI_OPT_END,
};

static const struct cli_opt check_opts[] = {
	CLI_LIST('k', "key", "PATTERN", &co.keys,
		 "check PATTERN's text as a key name (repeatable); secret_run also\n"
		 "checks every stored key a pattern matches"),
	CLI_STRING(0, "cwd", "DIR", &co.cwd,
		   "the run's working directory (default: the current "
		   "one)"),
	OPT_POLICY("the policy (default as for 'policy validate')"),
	CLI_FLAG(0, "json", &co.json, "one JSON object instead of text"),
	CLI_OPT_END,
};

static const struct cli_command validate_cmd = {
	.name = "validate",
	.summary = "check the policy file (owner, mode 0600, schema) and summarise it",
	.synopsis = "[--policy FILE]",
	.about = "Load the policy as MCP runs do (a regular file you own, not a symbolic link, "
		 "mode 0600 or\nstricter; every key known, every value checked) and print a "
		 "summary, or the first error\nwith its line and column.",
	.notes = "Exit status: 0 valid; 1 invalid, unsafe, or a usage error; 2 no policy file.",
	.opts = validate_opts,
	.run = validate,
};

static const struct cli_command check_cmd = {
	.name = "check",
	.summary = "show what the policy decides for COMMAND, its -k keys and its sandbox",
	.synopsis = "[--policy FILE] [-k PATTERN]... [--cwd DIR] [--json]\n-- COMMAND [ARGS...]",
	.about = "Show what the policy decides for COMMAND (argv words, not a shell line) run in "
		 "DIR with\nthis PATH: allow or deny, the rule that decided, the file COMMAND "
		 "resolves to, whether each\nkey may go to it, and the sandbox it would run in. "
		 "Nothing is run; no vault is opened.",
	.notes = "Exit status: 0 the command and every -k key are allowed; 1 something is "
		 "denied;\n2 an error (usage, no policy file, an invalid or unsafe policy, a bad "
		 "--cwd).",
	.opts = check_opts,
	.flags = CLI_COMMAND,
	.usage_exit = CHECK_ERROR,
	.run = check,
};

static const struct cli_command *const policy_subs[] = { &validate_cmd, &check_cmd, NULL };

const struct cli_command cli_cmd_policy = {
	.name = "policy",
	.summary = "validate the policy file, or check what it allows",
	.about = "The command policy MCP runs obey: which commands an agent may run, which keys "
		 "they may\nreceive, and the sandbox they run in.\n\nThe file: --policy FILE, else "
		 "$SECRETCTL_POLICY, else <vault dir>/mcp-policy.yaml, else\n<vault "
		 "dir>/policy.yaml. See secretctl-policy(1) and docs/policy.md.",
	.subs = policy_subs,
};
