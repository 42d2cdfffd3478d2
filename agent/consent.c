/* SPDX-License-Identifier: Apache-2.0 */
/* agent: the approvals waiting for the person. A child whose run the policy wants approved asks
 * (ASK); an earlier "allow for this session" that covers it answers at once, otherwise the
 * question waits here until `secretctl approve|deny ID` (a child with the full scope for
 * approving) decides it, or it times out, or its asker goes away. Only metadata travels: the
 * command's words, key names, the sandbox; never a value (nothing is decrypted yet). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"

static void answer(struct agent_conn_slot *c, int64_t serial, enum agent_verdict v,
		   const char *reason)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	if (c->ctl < 0)
		return;
	agent_enc_begin(&e, &b, AGENT_M_ANSWER);
	agent_enc_int(&e, AGENT_T_SERIAL, serial);
	agent_enc_int(&e, AGENT_T_VERDICT, v);
	agent_enc_cstr(&e, AGENT_T_REASON, reason);
	if (agent_enc_end(&e) == 0)
		(void)agent_send(c->ctl, &b, NULL, 0);
}

static void pending_free(struct agent_pending *p)
{
	buf_release(&p->ask);
	*p = (struct agent_pending){ 0 };
}

/* The asker is still there (its slot was not closed or reused since). */
static bool live(const struct agent_pending *p)
{
	return p->id && p->slot->serial == p->slot_serial && p->slot->ctl >= 0;
}

/* What an "allow for this session" answer covers: the file run, the keys, the sandbox. Not
 * the arguments: the person allows a program with those keys, not one command line. */
static char *subject(const struct agent_msg *m)
{
	AUTO_BUF struct buf b = BUF_INIT;
	const struct agent_field *f;
	static const uint8_t tags[] = { AGENT_T_PROGRAM, AGENT_T_KEYS, AGENT_T_PROFILE };
	for (size_t i = 0; i < sizeof(tags); i++) {
		if (!(f = agent_msg_get(m, tags[i], i == 1 ? AGENT_K_STRV : AGENT_K_STR)))
			return NULL;
		if (buf_printf(&b, "%zu:", f->len) < 0 || buf_append(&b, f->str, f->len) < 0)
			return NULL;
	}
	if (buf_printf(&b, "net=%lld", (long long)agent_msg_int(m, AGENT_T_NETWORK, 0)) < 0)
		return NULL;
	return buf_detach(&b);
}

static bool remembered(const struct agent_state *a, const struct agent_conn_slot *c,
		       enum policy_approval level, const char *what)
{
	for (size_t i = 0; i < AGENT_REMEMBER_MAX; i++) {
		const struct agent_remembered *r = &a->remembered[i];
		if (!r->what || strcmp(r->what, what))
			continue;
		if ((r->session == 0 && level <= POLICY_APPROVAL_ONCE) ||
		    (r->session == c->serial && level <= POLICY_APPROVAL_SESSION))
			return true;
	}
	return false;
}

static void remember(struct agent_state *a, const struct agent_pending *p)
{
	struct agent_msg m;
	if (agent_msg_decode(p->ask.data, p->ask.len, &m) < 0)
		return;
	int64_t level = agent_msg_int(&m, AGENT_T_LEVEL, POLICY_APPROVAL_ALWAYS);
	if (level >= POLICY_APPROVAL_ALWAYS)
		return; /* every run asks: nothing to keep */
	char *what = subject(&m);
	if (!what)
		return;
	struct agent_remembered *r = &a->remembered[a->remembered_next++ % AGENT_REMEMBER_MAX];
	free(r->what);
	r->what = what;
	r->session = level <= POLICY_APPROVAL_ONCE ? 0 : p->slot_serial;
}

void agent_consent_ask(struct agent_state *a, struct agent_conn_slot *c, const struct buf *b,
		       const struct agent_msg *m)
{
	int64_t serial = agent_msg_int(m, AGENT_T_SERIAL, -1);
	int64_t level = agent_msg_int(m, AGENT_T_LEVEL, -1);
	int64_t timeout = agent_msg_int(m, AGENT_T_TIMEOUT, POLICY_APPROVAL_TIMEOUT_DEFAULT_MS);
	bool require = agent_msg_int(m, AGENT_T_REQUIRE, 0) != 0;
	char why[POLICY_RULE_MAX + 96], gwhy[POLICY_RULE_MAX];
	AUTO_FREE char *what = subject(m);
	if (a->locking)
		return answer(c, serial, AGENT_DENY, "the session agent is locking");
	if (level < POLICY_APPROVAL_NEVER || level > POLICY_APPROVAL_ALWAYS ||
	    (level == POLICY_APPROVAL_NEVER && !require) || !what ||
	    !agent_msg_get(m, AGENT_T_ARGV, AGENT_K_STRV))
		return answer(c, serial, AGENT_DENY, "a malformed approval question");
	int64_t grant = agent_grants_cover(a, m);
	if (grant) {
		snprintf(why, sizeof(why), "allowed by grant %lld", (long long)grant);
		return answer(c, serial, AGENT_ALLOW_ONCE, why);
	}
	if (require) {
		if (!agent_msg_cstr(m, AGENT_T_GRANT_WHY, gwhy, sizeof(gwhy)))
			snprintf(gwhy, sizeof(gwhy), "a key needs a grant");
		snprintf(why, sizeof(why),
			 "%s, and no live grant covers this run ('secretctl grant')", gwhy);
		return answer(c, serial, AGENT_DENY, why);
	}
	if (remembered(a, c, (enum policy_approval)level, what))
		return answer(c, serial, AGENT_ALLOW_ONCE,
			      "allowed earlier (approve --session) for this program and keys");
	if (agent_msg_int(m, AGENT_T_NO_WAIT, 0))
		return answer(c, serial, AGENT_DENY, "no grant or earlier answer covers this run");
	struct agent_pending *p = NULL;
	for (size_t i = 0; i < AGENT_PENDING_MAX && !p; i++)
		if (!a->pending[i].id)
			p = &a->pending[i];
	if (!p)
		return answer(c, serial, AGENT_DENY,
			      "too many approvals are waiting already; answer them first "
			      "(secretctl approvals)");
	if (buf_append(&p->ask, b->data, b->len) < 0) {
		pending_free(p);
		return answer(c, serial, AGENT_DENY, "out of memory");
	}
	if (timeout < 1000 || timeout > POLICY_APPROVAL_TIMEOUT_MAX_MS)
		timeout = POLICY_APPROVAL_TIMEOUT_DEFAULT_MS;
	p->id = ++a->next_id;
	p->slot = c;
	p->slot_serial = c->serial;
	p->serial = serial;
	p->asked = agent_now();
	p->deadline = agent_boot_now() + timeout;
}

/* Copy the fields of the stored question a lister may see (not the child's serial). */
static void copy_fields(struct agent_enc *e, const struct agent_msg *q)
{
	for (size_t i = 0; i < q->nfields; i++) {
		const struct agent_field *f = &q->f[i];
		if (f->tag == AGENT_T_SERIAL)
			continue;
		if (f->kind == AGENT_K_INT) {
			agent_enc_int(e, f->tag, f->i);
		} else if (f->kind == AGENT_K_STR) {
			agent_enc_str(e, f->tag, f->str, f->len);
		} else {
			char **v = NULL;
			if (agent_msg_strv(q, f->tag, AGENT_ARGS_MAX, &v) == 0)
				agent_enc_strv(e, f->tag, v, strv_len(v));
			strv_free(v);
		}
	}
}

void agent_consent_list(struct agent_state *a, struct agent_conn_slot *c, const struct agent_msg *m)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	struct agent_msg q;
	int64_t after = agent_msg_int(m, AGENT_T_ID, 0);
	const struct agent_pending *next = NULL;
	for (size_t i = 0; i < AGENT_PENDING_MAX; i++) {
		const struct agent_pending *p = &a->pending[i];
		if (live(p) && p->id > after && (!next || p->id < next->id))
			next = p;
	}
	agent_enc_begin(&e, &b, AGENT_M_ITEM);
	if (next && agent_msg_decode(next->ask.data, next->ask.len, &q) == 0) {
		copy_fields(&e, &q);
		agent_enc_int(&e, AGENT_T_ID, next->id);
		agent_enc_int(&e, AGENT_T_ASKED, next->asked);
		agent_enc_int(&e, AGENT_T_LEFT, next->deadline - agent_boot_now());
	}
	if (agent_enc_end(&e) == 0)
		(void)agent_send(c->ctl, &b, NULL, 0);
}

static void decided(struct agent_conn_slot *c, int status, const char *reason)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	agent_enc_begin(&e, &b, AGENT_M_DECIDED);
	agent_enc_int(&e, AGENT_T_STATUS, status);
	agent_enc_cstr(&e, AGENT_T_REASON, reason);
	if (agent_enc_end(&e) == 0)
		(void)agent_send(c->ctl, &b, NULL, 0);
}

void agent_consent_decide(struct agent_state *a, struct agent_conn_slot *c,
			  const struct agent_msg *m)
{
	char why[96];
	int64_t id = agent_msg_int(m, AGENT_T_ID, 0);
	int64_t v = agent_msg_int(m, AGENT_T_VERDICT, AGENT_DENY);
	struct agent_pending *p = NULL;
	for (size_t i = 0; i < AGENT_PENDING_MAX && !p; i++)
		if (live(&a->pending[i]) && a->pending[i].id == id)
			p = &a->pending[i];
	if (!p)
		return decided(c, -ENOENT,
			       "no such approval is waiting (it was answered, timed "
			       "out, or its run ended); see 'secretctl approvals'");
	if (v != AGENT_DENY && c->scope != AGENT_SCOPE_FULL)
		return decided(c, -EPERM, "allowing a run needs the master password");
	if (v == AGENT_DENY) {
		snprintf(why, sizeof(why), "denied by the person (secretctl deny %lld)",
			 (long long)id);
		answer(p->slot, p->serial, AGENT_DENY, why);
	} else {
		answer(p->slot, p->serial, AGENT_ALLOW_ONCE, "allowed by the person");
		if (v == AGENT_ALLOW_SESSION)
			remember(a, p);
	}
	pending_free(p);
	decided(c, 0, "");
}

void agent_consent_expire(struct agent_state *a, int64_t now)
{
	char why[128];
	agent_grants_expire(a, now);
	for (size_t i = 0; i < AGENT_PENDING_MAX; i++) {
		struct agent_pending *p = &a->pending[i];
		if (!p->id)
			continue;
		if (!live(p)) {
			pending_free(p); /* its run ended (cancelled, client gone) */
		} else if (now >= p->deadline) {
			snprintf(why, sizeof(why),
				 "no answer within the approval timeout (secretctl approve %lld)",
				 (long long)p->id);
			answer(p->slot, p->serial, AGENT_DENY, why);
			pending_free(p);
		}
	}
}

int64_t agent_consent_deadline(const struct agent_state *a)
{
	int64_t t = 0;
	for (size_t i = 0; i < AGENT_PENDING_MAX; i++)
		if (a->pending[i].id && (!t || a->pending[i].deadline < t))
			t = a->pending[i].deadline;
	return t;
}
