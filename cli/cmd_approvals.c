/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl approvals` lists the runs waiting for the person's approval in the session
 * agent: the exact command, the file it runs, the keys, the sandbox, who asked and why the
 * policy asks. What an agent wrote is shown escaped (no terminal sequence gets through). */
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static bool json;

static const struct cli_opt opts[] = {
	CLI_FLAG(0, "json", &json, "a JSON array, one object per waiting run"),
	CLI_OPT_END,
};

static void text_one(struct outbuf *o, const struct agent_pending_info *p)
{
	char waited[32], left[32];
	cli_format_duration(clock_now() - p->asked, waited);
	cli_format_duration(p->left_ms > 0 ? (p->left_ms + 999) / 1000 : 0, left);
	outbuf_printf(o, "%lld  from ", (long long)p->id);
	outbuf_escaped(o, p->source, strlen(p->source));
	outbuf_printf(o, ", waiting %s, times out in %s\n  command: ", waited, left);
	for (size_t i = 0; p->argv && p->argv[i]; i++) {
		if (i)
			outbuf_puts(o, " ");
		outbuf_shell_word(o, p->argv[i]);
	}
	outbuf_puts(o, "\n  program: ");
	outbuf_escaped(o, p->program, strlen(p->program));
	outbuf_puts(o, "\n  keys:    ");
	for (size_t i = 0; p->keys && p->keys[i]; i++) {
		outbuf_puts(o, i ? ", " : "");
		outbuf_escaped(o, p->keys[i], strlen(p->keys[i]));
	}
	outbuf_puts(o, "\n  sandbox: ");
	outbuf_escaped(o, p->profile, strlen(p->profile));
	outbuf_printf(o, ", network %s\n  asks:    ", p->deny_network ? "denied" : "allowed");
	outbuf_escaped(o, p->why, strlen(p->why));
	outbuf_printf(o, "\n  answer:  secretctl approve %lld%s | secretctl deny %lld\n",
		      (long long)p->id, p->level == POLICY_APPROVAL_ALWAYS ? "" : " [--session]",
		      (long long)p->id);
}

static void json_one(struct outbuf *o, const struct agent_pending_info *p, bool first)
{
	outbuf_printf(o, "%s{\"id\":%lld,\"source\":", first ? "" : ",", (long long)p->id);
	outbuf_json_cstr(o, p->source);
	outbuf_puts(o, ",\"argv\":");
	outbuf_json_strv(o, p->argv);
	outbuf_puts(o, ",\"program\":");
	outbuf_json_cstr(o, p->program);
	outbuf_puts(o, ",\"keys\":");
	outbuf_json_strv(o, p->keys);
	outbuf_puts(o, ",\"profile\":");
	outbuf_json_cstr(o, p->profile);
	outbuf_printf(o, ",\"network\":\"%s\",\"approval\":\"%s\",\"why\":",
		      p->deny_network ? "deny" : "allow", policy_approval_name(p->level));
	outbuf_json_cstr(o, p->why);
	outbuf_puts(o, ",\"asked\":");
	outbuf_json_time(o, p->asked);
	outbuf_printf(o, ",\"timeout_in_ms\":%lld}", (long long)(p->left_ms > 0 ? p->left_ms : 0));
}

static int item(struct agent_child *c, int64_t *after, struct outbuf *o, bool as_json, bool first,
		struct reterr *err)
{
	struct agent_pending_info p;
	int r = agent_child_pending(c, *after, &p, err);
	if (r <= 0)
		return r;
	if (as_json)
		json_one(o, &p, first);
	else
		text_one(o, &p);
	*after = p.id;
	agent_pending_info_release(&p);
	return 1;
}

static int run(struct cli_ctx *ctx)
{
	const struct cli_agent_list l = {
		.name = ctx->name,
		.json = json,
		.item = item,
		.empty = "no run waits for approval",
		.locked = "the vault is locked, so no run waits for approval ('secretctl unlock' "
			  "starts the session agent that asks)",
	};
	return cli_agent_list(&l);
}

static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	return CLI_SCOPE_AGENT;
}

const struct cli_command cli_cmd_approvals = {
	.name = "approvals",
	.summary = "list the runs waiting for your approval",
	.synopsis = "[--json]",
	.about = "List the runs the policy wants you to approve ('approval:' in the policy) that "
		 "wait in the\nsession agent: the exact command, the file it runs, the keys it "
		 "would get, its sandbox,\nwho asked and which policy rule asks. Answer with "
		 "'secretctl approve ID' or\n'secretctl deny ID'; unanswered, a run is refused "
		 "when approval_timeout passes.",
	.notes = "Exit status: 0; 3 locked (nothing can wait). See secretctl-approve(1).",
	.opts = opts,
	.flags = CLI_IN_AGENT,
	.max_args = 0,
	.scope = scope,
	.run = run,
};
