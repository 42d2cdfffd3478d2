/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl grants` lists the live grants the session agent holds: pattern, program,
 * time and runs left, runs let through. Needs no password. */
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static bool json;

static const struct cli_opt opts[] = {
	CLI_FLAG(0, "json", &json, "a JSON array, one object per live grant"),
	CLI_OPT_END,
};

static void text_one(struct outbuf *o, const struct agent_grant_info *g)
{
	char left[32];
	cli_format_duration(g->left_ms > 0 ? (g->left_ms + 999) / 1000 : 0, left);
	outbuf_printf(o, "%lld  ", (long long)g->id);
	outbuf_escaped(o, g->pattern, strlen(g->pattern));
	outbuf_puts(o, "  program ");
	outbuf_escaped(o, *g->command ? g->command : "any",
		       strlen(*g->command ? g->command : "any"));
	outbuf_printf(o, "  ends in %s", left);
	if (g->runs >= 0)
		outbuf_printf(o, " or after %lld more run%s", (long long)g->runs,
			      g->runs == 1 ? "" : "s");
	outbuf_printf(o, "  used %lld\n", (long long)g->used);
}

static void json_one(struct outbuf *o, const struct agent_grant_info *g, bool first)
{
	outbuf_printf(o, "%s{\"id\":%lld,\"pattern\":", first ? "" : ",", (long long)g->id);
	outbuf_json_cstr(o, g->pattern);
	outbuf_puts(o, ",\"command\":");
	outbuf_json_cstr(o, *g->command ? g->command : NULL);
	outbuf_puts(o, ",\"created\":");
	outbuf_json_time(o, g->created);
	outbuf_printf(o, ",\"ends_in_ms\":%lld,\"runs_left\":", (long long)g->left_ms);
	if (g->runs >= 0)
		outbuf_printf(o, "%lld", (long long)g->runs);
	else
		outbuf_puts(o, "null");
	outbuf_printf(o, ",\"used\":%lld}", (long long)g->used);
}

static int item(struct agent_child *c, int64_t *after, struct outbuf *o, bool as_json, bool first,
		struct reterr *err)
{
	struct agent_grant_info g;
	int r = agent_child_grants(c, *after, &g, err);
	if (r <= 0)
		return r;
	if (as_json)
		json_one(o, &g, first);
	else
		text_one(o, &g);
	*after = g.id;
	agent_grant_info_release(&g);
	return 1;
}

static int run(struct cli_ctx *ctx)
{
	const struct cli_agent_list l = {
		.name = ctx->name,
		.json = json,
		.item = item,
		.empty = "no live grant",
		.locked = "the vault is locked, so no grant is live ('secretctl unlock', then "
			  "'secretctl grant')",
	};
	return cli_agent_list(&l);
}

static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	return CLI_SCOPE_AGENT;
}

const struct cli_command cli_cmd_grants = {
	.name = "grants",
	.summary = "list the live grants",
	.synopsis = "[--json]",
	.about = "List the grants ('secretctl grant') the session agent holds: the key pattern, "
		 "the\nprogram it is limited to, when it ends, the runs it may still let through "
		 "and "
		 "the runs\nit let through.",
	.notes = "Exit status: 0; 3 locked (no grant can be live). See secretctl-grant(1).",
	.opts = opts,
	.flags = CLI_IN_AGENT,
	.max_args = 0,
	.scope = scope,
	.run = run,
};
