/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl grants` lists the live grants the session agent holds: pattern, program,
 * time and runs left, runs let through. Needs no password. */
#include <errno.h>
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
	outbuf_escaped(o, *g->command ? g->command : "any", strlen(*g->command ? g->command : "any"));
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

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct outbuf o;
	int64_t after = 0;
	int r, n = 0;
	if (!cli_session()) {
		if (json)
			printf("[]\n");
		cli_error("%s: the vault is locked, so no grant is live ('secretctl unlock', then "
			  "'secretctl grant')",
			  ctx->name);
		return CLI_EAUTH;
	}
	outbuf_init_fd(&o, STDOUT_FILENO);
	if (json)
		outbuf_puts(&o, "[");
	for (;;) {
		struct agent_grant_info g;
		if ((r = agent_child_grants(cli_session(), after, &g, &err)) <= 0)
			break;
		if (json)
			json_one(&o, &g, n == 0);
		else
			text_one(&o, &g);
		after = g.id;
		n++;
		agent_grant_info_release(&g);
	}
	if (json)
		outbuf_puts(&o, "]\n");
	else if (r == 0 && n == 0)
		outbuf_puts(&o, "no live grant\n");
	if (outbuf_finish(&o) < 0 && r == 0)
		r = -EIO;
	if (r < 0) {
		cli_error("%s: %s", ctx->name, reterr_str(&err, r));
		return CLI_EIO;
	}
	return CLI_OK;
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
		 "the\nprogram it is limited to, when it ends, the runs it may still let through and "
		 "the runs\nit let through.",
	.notes = "Exit status: 0; 3 locked (no grant can be live). See secretctl-grant(1).",
	.opts = opts,
	.flags = CLI_IN_AGENT,
	.max_args = 0,
	.scope = scope,
	.run = run,
};
