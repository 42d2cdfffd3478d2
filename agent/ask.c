/* SPDX-License-Identifier: Apache-2.0 */
/* agent children: asking the person through the agent whether a run may go on (the broker's
 * approval hook), listing what waits, and answering it (`secretctl approvals|approve|deny`);
 * making, listing and ending grants (`secretctl grant|grants|revoke`). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"

#define CTL_WAIT_MS 5000

static int64_t ask_serial;

/* Wait for the answer to question serial (an answer to an earlier one that gave up is
 * skipped). */
static int wait_answer(struct agent_child *c, int64_t serial, int timeout_ms, struct reterr *err)
{
	AUTO_BUF struct buf ans = BUF_INIT;
	struct agent_msg m;
	char reason[256];
	int64_t end = agent_boot_now() + timeout_ms;
	for (;;) {
		int64_t left = end - agent_boot_now();
		if (left <= 0)
			return reterr_set(err, -EACCES, "no answer from the session agent in time");
		struct pollfd p = { .fd = c->ctl, .events = POLLIN };
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return reterr_set(err, -errno, "waiting for the approval: %s",
					  strerror(errno));
		if (n == 0)
			continue;
		int r = agent_recv(c->ctl, &ans, NULL, &(size_t){ 0 });
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return reterr_set(err, -EPIPE, "the session agent is gone (locked?)");
		if (agent_msg_decode(ans.data, ans.len, &m) < 0 || m.type != AGENT_M_ANSWER ||
		    agent_msg_int(&m, AGENT_T_SERIAL, -1) != serial)
			continue;
		if (agent_msg_int(&m, AGENT_T_VERDICT, AGENT_DENY) != AGENT_DENY)
			return 0;
		if (!agent_msg_cstr(&m, AGENT_T_REASON, reason, sizeof(reason)))
			snprintf(reason, sizeof(reason), "denied");
		return reterr_set(err, -EACCES, "not approved: %s", reason);
	}
}

static int ask_agent(struct agent_child *c, const struct broker_approval *ask, bool no_wait,
		     struct reterr *err)
{
	AUTO_BUF struct buf req = BUF_INIT;
	struct agent_enc e;
	int64_t serial = ++ask_serial;
	agent_enc_begin(&e, &req, AGENT_M_ASK);
	agent_enc_int(&e, AGENT_T_SERIAL, serial);
	agent_enc_int(&e, AGENT_T_LEVEL, ask->level);
	agent_enc_cstr(&e, AGENT_T_WHY, ask->why);
	agent_enc_int(&e, AGENT_T_REQUIRE, ask->require_grant);
	if (ask->require_grant)
		agent_enc_cstr(&e, AGENT_T_GRANT_WHY, ask->grant_why);
	agent_enc_cstr(&e, AGENT_T_SOURCE, ask->source);
	agent_enc_strv(&e, AGENT_T_ARGV, ask->argv, strv_len(ask->argv));
	agent_enc_cstr(&e, AGENT_T_PROGRAM, ask->program);
	agent_enc_strv(&e, AGENT_T_KEYS, ask->keys, strv_len(ask->keys));
	agent_enc_cstr(&e, AGENT_T_PROFILE, ask->profile);
	agent_enc_int(&e, AGENT_T_NETWORK, ask->deny_network);
	agent_enc_int(&e, AGENT_T_TIMEOUT, ask->timeout_ms);
	if (no_wait)
		agent_enc_int(&e, AGENT_T_NO_WAIT, 1);
	int r = agent_enc_end(&e);
	if (r == 0 && req.len > AGENT_DGRAM_MAX)
		r = -E2BIG;
	if (r < 0)
		return reterr_set(err, -EACCES, "the command is too long to ask the person about");
	if ((r = agent_send(c->ctl, &req, NULL, 0)) < 0)
		return reterr_set(err, -EPIPE, "the session agent is gone: %s", strerror(-r));
	return wait_answer(c, serial, (int)ask->timeout_ms + AGENT_ASK_GRACE_MS, err);
}

int agent_child_approve(void *ctx, const struct broker_approval *ask, struct reterr *err)
{
	return ask_agent(ctx, ask, false, err);
}

int agent_child_covered(struct agent_child *c, const struct broker_approval *ask,
			struct reterr *err)
{
	return ask_agent(c, ask, true, err);
}

void agent_pending_info_release(struct agent_pending_info *p)
{
	free(p->why);
	free(p->source);
	free(p->program);
	free(p->profile);
	strv_free(p->argv);
	strv_free(p->keys);
	*p = (struct agent_pending_info){ 0 };
}

static char *field(const struct agent_msg *m, uint8_t tag)
{
	const struct agent_field *f = agent_msg_get(m, tag, AGENT_K_STR);
	if (!f || memchr(f->str, '\0', f->len))
		return strdup("");
	return strndup(f->str, f->len);
}

int agent_child_pending(struct agent_child *c, int64_t after, struct agent_pending_info *ret,
			struct reterr *err)
{
	AUTO_BUF struct buf req = BUF_INIT;
	AUTO_BUF struct buf ans = BUF_INIT;
	struct agent_enc e;
	struct agent_msg m;
	struct agent_pending_info p = { 0 };
	agent_enc_begin(&e, &req, AGENT_M_PENDING);
	agent_enc_int(&e, AGENT_T_ID, after);
	int r = agent_enc_end(&e);
	if (r < 0)
		return reterr_set(err, r, "out of memory");
	if ((r = agent_child_call(c, &req, AGENT_M_ITEM, CTL_WAIT_MS, &ans, &m, err)) < 0)
		return r;
	if (!(p.id = agent_msg_int(&m, AGENT_T_ID, 0)))
		return 0;
	int64_t level = agent_msg_int(&m, AGENT_T_LEVEL, POLICY_APPROVAL_ALWAYS);
	p.level = level > 0 && level <= POLICY_APPROVAL_ALWAYS ? (enum policy_approval)level
							       : POLICY_APPROVAL_ALWAYS;
	p.deny_network = agent_msg_int(&m, AGENT_T_NETWORK, 0) != 0;
	p.asked = agent_msg_int(&m, AGENT_T_ASKED, 0);
	p.left_ms = agent_msg_int(&m, AGENT_T_LEFT, 0);
	p.why = field(&m, AGENT_T_WHY);
	p.source = field(&m, AGENT_T_SOURCE);
	p.program = field(&m, AGENT_T_PROGRAM);
	p.profile = field(&m, AGENT_T_PROFILE);
	r = agent_msg_strv(&m, AGENT_T_ARGV, AGENT_ARGS_MAX, &p.argv);
	if (r == 0)
		r = agent_msg_strv(&m, AGENT_T_KEYS, AGENT_ARGS_MAX, &p.keys);
	if (r == 0 && (!p.why || !p.source || !p.program || !p.profile))
		r = -ENOMEM;
	if (r < 0) {
		agent_pending_info_release(&p);
		return reterr_set(err, r, "the session agent sent a malformed approval");
	}
	*ret = p;
	return 1;
}

int agent_child_decide(struct agent_child *c, int64_t id, enum agent_verdict v, struct reterr *err)
{
	AUTO_BUF struct buf req = BUF_INIT;
	AUTO_BUF struct buf ans = BUF_INIT;
	struct agent_enc e;
	struct agent_msg m;
	char reason[256];
	agent_enc_begin(&e, &req, AGENT_M_DECIDE);
	agent_enc_int(&e, AGENT_T_ID, id);
	agent_enc_int(&e, AGENT_T_VERDICT, v);
	int r = agent_enc_end(&e);
	if (r < 0)
		return reterr_set(err, r, "out of memory");
	if ((r = agent_child_call(c, &req, AGENT_M_DECIDED, CTL_WAIT_MS, &ans, &m, err)) < 0)
		return r;
	int64_t st = agent_msg_int(&m, AGENT_T_STATUS, -EPROTO);
	if (st == 0)
		return 0;
	if (!agent_msg_cstr(&m, AGENT_T_REASON, reason, sizeof(reason)))
		snprintf(reason, sizeof(reason), "refused");
	return reterr_set(err, st < 0 && st > -4096 ? (int)st : -EPROTO, "%s", reason);
}

/* ---- grants ------------------------------------------------------------------------------ */

/* Send req, wait for want; then its STATUS: 0, or -errno with why. */
static int call_status(struct agent_child *c, const struct buf *req, int want, struct buf *ans,
		       struct agent_msg *m, struct reterr *err)
{
	int r = agent_child_call(c, req, want, CTL_WAIT_MS, ans, m, err);
	if (r < 0)
		return r;
	int64_t st = agent_msg_int(m, AGENT_T_STATUS, -EPROTO);
	return st <= 0 && st > -4096 ? (int)st : -EPROTO;
}

int agent_child_grant(struct agent_child *c, const char *pattern, const char *command, int64_t ms,
		      int64_t runs, int64_t *ret_id, struct reterr *err)
{
	AUTO_BUF struct buf req = BUF_INIT;
	AUTO_BUF struct buf ans = BUF_INIT;
	struct agent_enc e;
	struct agent_msg m;
	agent_enc_begin(&e, &req, AGENT_M_GRANT);
	agent_enc_cstr(&e, AGENT_T_PATTERN, pattern);
	agent_enc_cstr(&e, AGENT_T_COMMAND, command ? command : "");
	agent_enc_int(&e, AGENT_T_TIMEOUT, ms);
	agent_enc_int(&e, AGENT_T_RUNS, runs);
	int r = agent_enc_end(&e);
	if (r < 0)
		return reterr_set(err, r, "out of memory");
	r = call_status(c, &req, AGENT_M_GRANTED, &ans, &m, err);
	if (r == -EPERM)
		return reterr_set(err, r, "granting needs the master password");
	if (r == -ENOSPC)
		return reterr_set(err, r, "%d grants are live already; revoke some first",
				  AGENT_GRANTS_MAX);
	if (r < 0)
		return reterr_set(err, r, "the session agent refused the grant: %s", strerror(-r));
	*ret_id = agent_msg_int(&m, AGENT_T_ID, 0);
	return 0;
}

void agent_grant_info_release(struct agent_grant_info *g)
{
	free(g->pattern);
	free(g->command);
	*g = (struct agent_grant_info){ 0 };
}

int agent_child_grants(struct agent_child *c, int64_t after, struct agent_grant_info *ret,
		       struct reterr *err)
{
	AUTO_BUF struct buf req = BUF_INIT;
	AUTO_BUF struct buf ans = BUF_INIT;
	struct agent_enc e;
	struct agent_msg m;
	struct agent_grant_info g = { 0 };
	agent_enc_begin(&e, &req, AGENT_M_GRANTS);
	agent_enc_int(&e, AGENT_T_ID, after);
	int r = agent_enc_end(&e);
	if (r < 0)
		return reterr_set(err, r, "out of memory");
	if ((r = agent_child_call(c, &req, AGENT_M_GRANT_ITEM, CTL_WAIT_MS, &ans, &m, err)) < 0)
		return r;
	if (!(g.id = agent_msg_int(&m, AGENT_T_ID, 0)))
		return 0;
	g.pattern = field(&m, AGENT_T_PATTERN);
	g.command = field(&m, AGENT_T_COMMAND);
	g.created = agent_msg_int(&m, AGENT_T_ASKED, 0);
	g.left_ms = agent_msg_int(&m, AGENT_T_LEFT, 0);
	g.runs = agent_msg_int(&m, AGENT_T_RUNS, -1);
	g.used = agent_msg_int(&m, AGENT_T_USED, 0);
	if (!g.pattern || !g.command) {
		agent_grant_info_release(&g);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	*ret = g;
	return 1;
}

int agent_child_revoke(struct agent_child *c, int64_t id, bool all, int64_t *ret_n,
		       struct reterr *err)
{
	AUTO_BUF struct buf req = BUF_INIT;
	AUTO_BUF struct buf ans = BUF_INIT;
	struct agent_enc e;
	struct agent_msg m;
	agent_enc_begin(&e, &req, AGENT_M_REVOKE);
	agent_enc_int(&e, AGENT_T_ID, id);
	agent_enc_int(&e, AGENT_T_ALL, all);
	int r = agent_enc_end(&e);
	if (r < 0)
		return reterr_set(err, r, "out of memory");
	r = call_status(c, &req, AGENT_M_REVOKED, &ans, &m, err);
	if (r == -ENOENT)
		return reterr_set(err, r,
				  "no live grant %lld (it ran out or was revoked); see "
				  "'secretctl grants'",
				  (long long)id);
	if (r < 0)
		return reterr_set(err, r, "the session agent refused: %s", strerror(-r));
	*ret_n = agent_msg_int(&m, AGENT_T_COUNT, 0);
	return 0;
}
