/* SPDX-License-Identifier: Apache-2.0 */
/* agent children: what a child serving one request may ask of the agent over its control
 * channel (what the agent is, lock it, activity, a replaced vault), and the vault handle it
 * unlocks with the keys it inherited. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent-internal.h"

#define CTL_WAIT_MS 5000

enum agent_scope agent_child_scope(const struct agent_child *c)
{
	return c->scope;
}

const char *agent_child_vault_dir(const struct agent_child *c)
{
	return c->vault_dir;
}

int agent_child_tty(const struct agent_child *c)
{
	return c->tty;
}

const struct policy *agent_child_policy(const struct agent_child *c, const char **ret_path)
{
	if (ret_path)
		*ret_path = c->policy_path;
	return c->policy;
}

/* A message with no fields. */
static int send_bare(struct agent_child *c, enum agent_msg_type type)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	agent_enc_begin(&e, &b, type);
	int r = agent_enc_end(&e);
	return r < 0 ? r : agent_send(c->ctl, &b, NULL, 0);
}

int agent_child_call(struct agent_child *c, const struct buf *req, int want, int timeout_ms,
		     struct buf *ans, struct agent_msg *ret, struct reterr *err)
{
	int r = agent_send(c->ctl, req, NULL, 0);
	if (r < 0)
		return reterr_set(err, r, "the session agent is gone: %s", strerror(-r));
	for (;;) {
		struct pollfd p = { .fd = c->ctl, .events = POLLIN };
		int n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return reterr_set(err, n < 0 ? -errno : -ETIMEDOUT,
					  "the session agent did not answer");
		r = agent_recv(c->ctl, ans, NULL, &(size_t){ 0 });
		if (r == -EAGAIN)
			continue;
		if (r < 0)
			return reterr_set(err, r == -ENODATA ? -EPIPE : r,
					  "the session agent is gone (locked?)");
		if (agent_msg_decode(ans->data, ans->len, ret) < 0)
			return reterr_set(err, -EPROTO,
					  "the session agent sent a malformed answer");
		if (ret->type == want)
			return 0;
	}
}

int agent_child_status(struct agent_child *c, struct agent_info *ret, struct reterr *err)
{
	AUTO_BUF struct buf req = BUF_INIT;
	AUTO_BUF struct buf ans = BUF_INIT;
	struct agent_enc e;
	struct agent_msg m;
	agent_enc_begin(&e, &req, AGENT_M_STATUS);
	int r = agent_enc_end(&e);
	if (r < 0)
		return reterr_set(err, r, "out of memory");
	if ((r = agent_child_call(c, &req, AGENT_M_INFO, CTL_WAIT_MS, &ans, &m, err)) < 0)
		return r;
	agent_info_decode(&m, ret);
	return 0;
}

int agent_child_lock(struct agent_child *c, struct reterr *err)
{
	int r = send_bare(c, AGENT_M_LOCK);
	return r < 0 ? reterr_set(err, r, "the session agent is gone") : 0;
}

void agent_child_touch(struct agent_child *c)
{
	int64_t now = agent_boot_now();
	if (now - c->last_touch < AGENT_TOUCH_EVERY_S * 1000)
		return;
	c->last_touch = now;
	(void)send_bare(c, AGENT_M_TOUCH);
}

int agent_child_vault(struct agent_child *c, struct vault **ret, struct reterr *err)
{
	struct vault *v = NULL;
	int r = vault_open(c->vault_dir, &v, err);
	if (r < 0)
		return r;
	vault_set_via(v, "agent");
	if ((r = vault_unlock_with_keys(v, c->keys, err)) < 0) {
		if (r == -ESTALE)
			(void)send_bare(c, AGENT_M_STALE);
		vault_free(v);
		return r;
	}
	*ret = v;
	return 0;
}
