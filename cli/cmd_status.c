/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl status` says whether the vault is unlocked (a session agent serves it) and,
 * if so, in which scope, until when, with which policy, KDF profile and number of secrets. It
 * runs inside the agent (which knows itself); without one it says "locked". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static bool json;

static const struct cli_opt opts[] = {
	CLI_FLAG(0, "json", &json, "one JSON object"),
	CLI_OPT_END,
};

static int locked(void)
{
	AUTO_FREE char *dir = vault_dir_default(NULL);
	if (json) {
		struct outbuf o;
		outbuf_init_fd(&o, STDOUT_FILENO);
		outbuf_puts(&o, "{\"state\":\"locked\",\"vault\":");
		outbuf_json_cstr(&o, dir);
		outbuf_puts(&o, "}\n");
		(void)outbuf_finish(&o);
	} else {
		printf("state:    locked (no session agent; 'secretctl unlock' starts one)\n"
		       "vault:    %s\n",
		       dir ? dir : "?");
	}
	return CLI_EAUTH;
}

static void json_out(const struct agent_info *in, const struct vault_stat *vs)
{
	struct outbuf o;
	outbuf_init_fd(&o, STDOUT_FILENO);
	outbuf_printf(&o, "{\"state\":\"unlocked\",\"scope\":\"%s\",\"expires\":",
		      agent_scope_name(in->scope));
	outbuf_json_time(&o, in->expires);
	outbuf_printf(&o, ",\"expires_in_s\":%lld,\"full_until\":",
		      (long long)(in->expires - clock_now()));
	outbuf_json_time(&o, in->full_until);
	outbuf_printf(&o, ",\"idle_s\":%lld,\"idle_at\":", (long long)in->idle_s);
	outbuf_json_time(&o, in->idle_at);
	outbuf_puts(&o, ",\"vault\":");
	outbuf_json_cstr(&o, in->vault_dir);
	outbuf_puts(&o, ",\"kdf\":");
	outbuf_json_cstr(&o, vs->kdf);
	outbuf_printf(&o, ",\"secrets\":%llu,\"policy\":", (unsigned long long)vs->secrets);
	outbuf_json_cstr(&o, in->policy);
	outbuf_printf(&o, ",\"policy_loaded\":%s,\"policy_changed\":%s,\"socket\":",
		      in->policy_loaded ? "true" : "false", in->policy_changed ? "true" : "false");
	outbuf_json_cstr(&o, in->socket);
	outbuf_printf(&o, ",\"pid\":%d,\"serving\":%u,\"pending_approvals\":%u,\"grants\":%u}\n",
		      (int)in->pid, in->serving ? in->serving - 1 : 0, in->pending, in->grants);
	(void)outbuf_finish(&o);
}

static void text_out(const struct agent_info *in, const struct vault_stat *vs)
{
	char t[32], d[32];
	printf("state:    unlocked\n");
	if (in->full_until) {
		parse_format_time(in->full_until, t);
		printf("scope:    full until %s, then agent\n", t);
	} else {
		printf("scope:    agent (the password is needed to show or change values)\n");
	}
	parse_format_time(in->expires, t);
	cli_format_duration(in->expires - clock_now(), d);
	printf("expires:  %s (in %s)\n", t, d);
	cli_format_duration(in->idle_s, d);
	if (in->idle_s)
		printf("idle:     locks after %s without a request\n", d);
	else
		printf("idle:     never locks for idleness\n");
	printf("vault:    %s\nkdf:      %s\nsecrets:  %llu\n", in->vault_dir, vs->kdf,
	       (unsigned long long)vs->secrets);
	if (!in->policy_loaded)
		printf("policy:   none was loaded (write %s, then unlock again)\n", in->policy);
	else
		printf("policy:   %s (loaded at unlock%s)\n", in->policy,
		       in->policy_changed ? "; the file changed since: unlock again to load it"
					  : "");
	printf("waiting:  %u run%s for your approval%s\ngrants:   %u live%s\n", in->pending,
	       in->pending == 1 ? "" : "s", in->pending ? " ('secretctl approvals')" : "",
	       in->grants, in->grants ? " ('secretctl grants')" : "");
	printf("socket:   %s\npid:      %d\n", in->socket, (int)in->pid);
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct agent_info in;
	struct vault_stat vs;
	(void)ctx;
	if (!cli_session())
		return locked();
	int r = agent_child_status(cli_session(), &in, &err);
	if (r < 0) {
		cli_error("status: %s", err.msg);
		return CLI_EIO;
	}
	struct vault *v = NULL;
	int rc = cli_vault_unlock(false, 0, &v);
	if (rc != CLI_OK)
		return rc;
	r = vault_stat(v, &vs, &err);
	vault_free(v);
	if (r < 0) {
		cli_error("status: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	if (json)
		json_out(&in, &vs);
	else
		text_out(&in, &vs);
	return CLI_OK;
}

static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	return CLI_SCOPE_AGENT;
}

const struct cli_command cli_cmd_status = {
	.name = "status",
	.summary = "is the vault unlocked? scope, expiry, policy, secrets",
	.synopsis = "[--json]",
	.about = "Say whether a session agent serves the vault ('secretctl unlock') and, if so, "
		 "its scope\n(agent, or full until a time), when it locks (its time limit and "
		 "idle limit), the\nvault's path, KDF profile and number of secrets, the policy it "
		 "loaded at unlock, its\nsocket and pid. Never needs the password.",
	.notes = "Exit status: 0 unlocked; 3 locked. See secretctl-unlock(1).",
	.opts = opts,
	.flags = CLI_IN_AGENT,
	.max_args = 0,
	.scope = scope,
	.run = run,
};
