/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl unlock` asks for the master password once and starts the session agent,
 * which serves later commands and MCP servers without the password, in the agent scope (or in
 * the full scope for a --full window); `secretctl lock` ends it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"
#include "mcp/mcp.h"

#define FOR_MAX_S (30LL * 24 * 3600)

/* ---- what the agent's children run ------------------------------------------------------- */

static int serve_exec(struct agent_child *c, int argc, char **argv)
{
	cli_session_set(c);
	return cli_dispatch(cli_dispatch_table(), argc, argv);
}

static int serve_mcp(struct agent_child *c, int fd)
{
	cli_session_set(c);
	return mcp_agent_broker_main(c, fd);
}

static const struct agent_ops ops = { .exec = serve_exec, .mcp = serve_mcp };

/* ---- unlock ------------------------------------------------------------------------------- */

static struct {
	int64_t for_s, idle_s;
	bool for_set, idle_set, full, json;
	const char *policy;
} o = { .idle_s = -1 };

static int opt_for(const char *arg)
{
	int64_t ms;
	if (parse_duration_ms(arg, false, &ms) < 0 || ms < 1000 || ms / 1000 > FOR_MAX_S) {
		cli_error("unlock: invalid --for '%s' (a duration from 1s to 30d: 8h, 10m, ...)",
			  arg);
		return CLI_EUSAGE;
	}
	o.for_s = ms / 1000;
	o.for_set = true;
	return CLI_OK;
}

static int opt_idle(const char *arg)
{
	int64_t ms = 0;
	if (strcmp(arg, "never") &&
	    (parse_duration_ms(arg, false, &ms) < 0 || ms < 0 || ms / 1000 > FOR_MAX_S)) {
		cli_error("unlock: invalid --idle '%s' (a duration such as 30m, or 'never')", arg);
		return CLI_EUSAGE;
	}
	o.idle_s = ms / 1000;
	o.idle_set = true;
	return CLI_OK;
}

static const struct cli_opt opts[] = {
	CLI_FN(0, "for", "DURATION", opt_for,
	       "lock after DURATION (default 8h); with --full: how long the\n"
	       "full window lasts (default 10m)"),
	CLI_FN(0, "idle", "DURATION", opt_idle,
	       "lock after DURATION without a request (default 30m; 'never')"),
	CLI_FLAG(0, "full", &o.full,
		 "open a full window: commands that show or change values work\n"
		 "without the password until it ends (then the agent scope)"),
	CLI_STRING(0, "policy", "FILE", &o.policy,
		   "the policy runs are judged by until the next unlock (default:\n"
		   "$SECRETCTL_POLICY, else <vault dir>/mcp-policy.yaml)"),
	CLI_FLAG(0, "json", &o.json, "print what was started as one JSON object"),
	CLI_OPT_END,
};

/* The policy, loaded now (hostile input, before the vault is unlocked) and kept by the agent:
 * later changes to the file need another unlock. A missing default file is no error. */
static int load_policy(const char *dir, struct policy **ret, char **ret_path)
{
	struct reterr err = RETERR_INIT;
	const char *env = secure_getenv(POLICY_ENV);
	int r = policy_load_default(dir, o.policy, POLICY_LOAD_REQUIRED, ret, ret_path, &err);
	if (r == -ENOENT && !o.policy && !(env && *env)) {
		*ret = NULL;
		if (asprintf(ret_path, "%s/%s", dir, POLICY_FILE_NAME) < 0)
			return CLI_EIO;
		return CLI_OK;
	}
	if (r < 0) {
		cli_error("unlock: %s", reterr_str(&err, r));
		return r == -ENOMEM ? CLI_EIO : CLI_EUSAGE;
	}
	return CLI_OK;
}

/* Before anything secret is in this process: the user namespace runs are made from (the agent
 * and its children live in it), then no core dumps and no tracing. */
static int harden(void)
{
	struct reterr err = RETERR_INIT;
	if (broker_process_init(true, &err) == 0)
		return CLI_OK;
	cli_warn("unlock: %s; sandboxed runs through the agent will fail (see 'secretctl doctor')",
		 err.msg);
	int r = proc_harden();
	if (r < 0) {
		cli_error("unlock: cannot harden this process (no core dumps, not traceable): %s",
			  strerror(-r));
		return CLI_EIO;
	}
	return CLI_OK;
}

/* The lifetimes: without --full, --for is the agent's; with it, the window's, and the agent
 * keeps the lifetime of the one it replaces (else the default). */
static void lifetimes(const char *dir, struct agent_opts *ao)
{
	struct agent_conn *c = NULL;
	int64_t left = 0;
	if (o.full && agent_connect(dir, &c, NULL) == 0) {
		left = agent_conn_info(c)->expires - clock_now();
		agent_conn_free(c);
	}
	if (o.full) {
		ao->full_s = o.for_set ? o.for_s : AGENT_FULL_DEFAULT_S;
		ao->for_s = left > 0 ? left : AGENT_FOR_DEFAULT_S;
		if (ao->for_s < ao->full_s)
			ao->for_s = ao->full_s;
	} else {
		ao->for_s = o.for_set ? o.for_s : AGENT_FOR_DEFAULT_S;
	}
	ao->idle_s = o.idle_set ? o.idle_s : AGENT_IDLE_DEFAULT_S;
}

static void report(const struct agent_info *in)
{
	char exp[32], left[32], idle[32], full[32];
	parse_format_time(in->expires, exp);
	cli_format_duration(in->expires - clock_now(), left);
	cli_format_duration(in->idle_s, idle);
	if (o.json) {
		struct outbuf ob;
		outbuf_init_fd(&ob, STDOUT_FILENO);
		outbuf_printf(&ob, "{\"state\":\"unlocked\",\"scope\":\"%s\",\"expires\":",
			      agent_scope_name(in->scope));
		outbuf_json_time(&ob, in->expires);
		outbuf_puts(&ob, ",\"full_until\":");
		outbuf_json_time(&ob, in->full_until);
		outbuf_printf(&ob, ",\"idle_s\":%lld,\"pid\":%d,\"socket\":", (long long)in->idle_s,
			      (int)in->pid);
		outbuf_json_cstr(&ob, in->socket);
		outbuf_puts(&ob, ",\"vault\":");
		outbuf_json_cstr(&ob, in->vault_dir);
		outbuf_puts(&ob, "}\n");
		(void)outbuf_finish(&ob);
		return;
	}
	printf("unlocked until %s (%s)%s%s%s\n", exp, left, in->idle_s ? "; locks after " : "",
	       in->idle_s ? idle : "", in->idle_s ? " without a request" : "");
	if (in->full_until) {
		parse_format_time(in->full_until, full);
		printf("scope: full until %s (values can be shown and changed without the "
		       "password), "
		       "then agent\n",
		       full);
	} else {
		printf("scope: agent (lists, masked values, metadata, runs the policy allows); "
		       "the password is still needed to show or change values\n");
	}
	if (!in->policy_loaded)
		printf("no policy file: runs are refused until you write %s and unlock again\n",
		       in->policy);
	printf("lock with: secretctl lock\n");
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault *v = NULL;
	struct vault_keys *keys = NULL;
	struct policy *pol = NULL;
	AUTO_FREE char *ppath = NULL;
	struct agent_opts ao = { .ops = &ops };
	struct agent_info info;
	int rc;

	if ((rc = harden()) != CLI_OK)
		return rc;
	AUTO_FREE char *dir = vault_dir_default(&err);
	if (!dir) {
		cli_error("unlock: %s", err.msg);
		return CLI_EUSAGE;
	}
	if ((rc = load_policy(dir, &pol, &ppath)) != CLI_OK)
		return rc;
	if ((rc = cli_vault_unlock(ctx->password_stdin, 0, &v)) != CLI_OK) {
		policy_free(pol);
		return rc;
	}
	int r = vault_keys_export(v, &keys, &err);
	vault_free(v);
	if (r < 0) {
		policy_free(pol);
		cli_error("unlock: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	lifetimes(dir, &ao);
	ao.vault_dir = dir;
	/* Takes keys and pol whatever happens. */
	if ((r = agent_start(&ao, keys, pol, ppath, &info, &err)) < 0) {
		cli_error("unlock: %s", reterr_str(&err, r));
		return CLI_EIO;
	}
	report(&info);
	return CLI_OK;
}

const struct cli_command cli_cmd_unlock = {
	.name = "unlock",
	.summary = "start the session agent: the password once, then no more",
	.synopsis = "[--for DURATION] [--idle DURATION] [--full] [--policy FILE] [--json]\n"
		    "[--password-stdin]",
	.about = "Ask for the master password once and start the session agent, a process that "
		 "holds\nthe vault's keys (not the password) in locked memory and serves later "
		 "commands and\nMCP servers of your user without the password. Until it locks they "
		 "get the agent\nscope: what an MCP client may do (list, masked values, metadata, "
		 "runs the policy\nallows). Showing or changing values still needs the password, "
		 "or a --full window.\nThe agent locks at --for, after --idle without use, on "
		 "'secretctl lock', and when\nthe vault file is replaced. Unlocking again replaces "
		 "a running agent (and reloads\nthe policy).",
	.notes = "Exit status: 0 started; 3 wrong or no password; 1 bad usage or policy; 5 the "
		 "agent\ncould not start. See secretctl-unlock(1), secretctl-status(1), "
		 "docs/agent.md.",
	.opts = opts,
	.flags = CLI_PASSWORD,
	.run = run,
};
