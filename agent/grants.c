/* SPDX-License-Identifier: Apache-2.0 */
/* agent: grants (`secretctl grant`): for a while, or for a number of runs, runs whose keys a
 * grant covers go on without asking the person, and keys that need a grant (require_grant)
 * may be used. Grants live in the agent only: locking ends them all. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"

bool agent_grant_live(const struct agent_grant *g, int64_t now)
{
	return g->id && g->runs != 0 && now < g->until;
}

static void grant_free(struct agent_grant *g)
{
	free(g->pattern);
	free(g->command);
	*g = (struct agent_grant){ 0 };
}

/* The last component of a path. */
static const char *base(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

void agent_grants_expire(struct agent_state *a, int64_t now)
{
	for (size_t i = 0; i < AGENT_GRANTS_MAX; i++)
		if (a->grants[i].id && !agent_grant_live(&a->grants[i], now))
			grant_free(&a->grants[i]);
}

static bool covers(const struct agent_grant *g, const char *key, const char *program)
{
	return glob_match(g->pattern, key) && (!g->command || !strcmp(g->command, base(program)));
}

int64_t agent_grants_cover(struct agent_state *a, const struct agent_msg *m)
{
	char program[AGENT_PATH_MAX];
	char **keys = NULL;
	bool used[AGENT_GRANTS_MAX] = { false }, all = true;
	int64_t now = agent_boot_now(), first = 0;
	if (!agent_msg_cstr(m, AGENT_T_PROGRAM, program, sizeof(program)) ||
	    agent_msg_strv(m, AGENT_T_KEYS, AGENT_ARGS_MAX, &keys) < 0 || !keys || !keys[0]) {
		strv_free(keys);
		return 0;
	}
	for (size_t k = 0; keys[k] && all; k++) {
		size_t i = 0;
		while (i < AGENT_GRANTS_MAX && !(agent_grant_live(&a->grants[i], now) &&
						 covers(&a->grants[i], keys[k], program)))
			i++;
		if (i == AGENT_GRANTS_MAX)
			all = false;
		else
			used[i] = true;
	}
	strv_free(keys);
	if (!all)
		return 0;
	for (size_t i = 0; i < AGENT_GRANTS_MAX; i++) {
		struct agent_grant *g = &a->grants[i];
		if (!used[i])
			continue;
		g->used++;
		if (g->runs > 0)
			g->runs--;
		if (!first || g->id < first)
			first = g->id;
	}
	return first;
}

static void reply(struct agent_conn_slot *c, enum agent_msg_type type, int64_t status, uint8_t tag,
		  int64_t v)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	agent_enc_begin(&e, &b, type);
	agent_enc_int(&e, AGENT_T_STATUS, status);
	agent_enc_int(&e, tag, v);
	if (agent_enc_end(&e) == 0)
		(void)agent_send(c->ctl, &b, NULL, 0);
}

void agent_consent_grant(struct agent_state *a, struct agent_conn_slot *c,
			 const struct agent_msg *m)
{
	char pattern[POLICY_KEY_MAX + 1], command[256];
	int64_t ms = agent_msg_int(m, AGENT_T_TIMEOUT, 0);
	int64_t runs = agent_msg_int(m, AGENT_T_RUNS, -1);
	int64_t now = agent_boot_now();
	struct agent_grant *g = NULL;
	if (c->scope != AGENT_SCOPE_FULL)
		return reply(c, AGENT_M_GRANTED, -EPERM, AGENT_T_ID, 0);
	if (!agent_msg_cstr(m, AGENT_T_PATTERN, pattern, sizeof(pattern)) || !*pattern ||
	    !agent_msg_cstr(m, AGENT_T_COMMAND, command, sizeof(command)) || ms <= 0 || runs == 0 ||
	    runs < -1)
		return reply(c, AGENT_M_GRANTED, -EINVAL, AGENT_T_ID, 0);
	for (size_t i = 0; i < AGENT_GRANTS_MAX; i++) {
		if (a->grants[i].id && !agent_grant_live(&a->grants[i], now))
			grant_free(&a->grants[i]); /* ran out: its place is free */
		if (!a->grants[i].id && !g)
			g = &a->grants[i];
	}
	if (!g)
		return reply(c, AGENT_M_GRANTED, -ENOSPC, AGENT_T_ID, 0);
	g->pattern = strdup(pattern);
	g->command = *command ? strdup(command) : NULL;
	if (!g->pattern || (*command && !g->command)) {
		grant_free(g);
		return reply(c, AGENT_M_GRANTED, -ENOMEM, AGENT_T_ID, 0);
	}
	g->id = ++a->next_grant_id;
	g->created = agent_now();
	g->until = now + ms;
	g->runs = runs;
	reply(c, AGENT_M_GRANTED, 0, AGENT_T_ID, g->id);
}

void agent_consent_grants(struct agent_state *a, struct agent_conn_slot *c,
			  const struct agent_msg *m)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	int64_t after = agent_msg_int(m, AGENT_T_ID, 0), now = agent_boot_now();
	const struct agent_grant *next = NULL;
	for (size_t i = 0; i < AGENT_GRANTS_MAX; i++) {
		const struct agent_grant *g = &a->grants[i];
		if (agent_grant_live(g, now) && g->id > after && (!next || g->id < next->id))
			next = g;
	}
	agent_enc_begin(&e, &b, AGENT_M_GRANT_ITEM);
	if (next) {
		agent_enc_int(&e, AGENT_T_ID, next->id);
		agent_enc_cstr(&e, AGENT_T_PATTERN, next->pattern);
		agent_enc_cstr(&e, AGENT_T_COMMAND, next->command ? next->command : "");
		agent_enc_int(&e, AGENT_T_ASKED, next->created);
		agent_enc_int(&e, AGENT_T_LEFT, next->until - now);
		agent_enc_int(&e, AGENT_T_RUNS, next->runs);
		agent_enc_int(&e, AGENT_T_USED, next->used);
	}
	if (agent_enc_end(&e) == 0)
		(void)agent_send(c->ctl, &b, NULL, 0);
}

void agent_consent_revoke(struct agent_state *a, struct agent_conn_slot *c,
			  const struct agent_msg *m)
{
	int64_t id = agent_msg_int(m, AGENT_T_ID, 0), n = 0, now = agent_boot_now();
	bool all = agent_msg_int(m, AGENT_T_ALL, 0) != 0;
	for (size_t i = 0; i < AGENT_GRANTS_MAX; i++) {
		struct agent_grant *g = &a->grants[i];
		if (!g->id || (!all && g->id != id))
			continue;
		n += agent_grant_live(g, now);
		grant_free(g);
	}
	reply(c, AGENT_M_REVOKED, all || n ? 0 : -ENOENT, AGENT_T_COUNT, n);
}
