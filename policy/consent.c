/* SPDX-License-Identifier: Apache-2.0 */
/* policy: what the loaded consent settings (approval, approval_timeout, keys:) ask of a run.
 * The sections are parsed with the others (rules.c); this file only reads the model. */
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy-internal.h"

const char *policy_approval_name(enum policy_approval a)
{
	switch (a) {
	case POLICY_APPROVAL_NEVER: return "never";
	case POLICY_APPROVAL_ONCE: return "once";
	case POLICY_APPROVAL_SESSION: return "session";
	case POLICY_APPROVAL_ALWAYS: return "always";
	}
	return "never";
}

/* Keep the stricter of *have and a, with the rule that asked for it. */
static void stricter(enum policy_approval *have, enum policy_approval a, char why[POLICY_RULE_MAX],
		     const char *kind, const char *what, int line)
{
	char show[YSHOW_MAX];
	if (a <= *have)
		return;
	*have = a;
	if (!why)
		return;
	if (what)
		snprintf(why, POLICY_RULE_MAX, "%s '%s' (line %d): approval %s", kind,
			 policy_show(what, strlen(what), show), line, policy_approval_name(a));
	else
		snprintf(why, POLICY_RULE_MAX, "%s (line %d): %s", kind, line,
			 policy_approval_name(a));
}

enum policy_approval policy_approval_for(const struct policy *p, const struct policy_decision *d,
					 char *const *keys, size_t n, char ret_why[POLICY_RULE_MAX])
{
	enum policy_approval a = POLICY_APPROVAL_NEVER;
	if (ret_why)
		ret_why[0] = '\0';
	if (!p)
		return a;
	stricter(&a, p->approval, ret_why, "approval", NULL, p->approval_line);
	if (d && d->command_index >= 0 && (size_t)d->command_index < p->ncommands) {
		const struct policy_cmd_rule *cr = &p->commands[d->command_index];
		stricter(&a, cr->approval, ret_why, "commands entry", cr->match.text,
			 cr->approval_line);
	}
	for (size_t r = 0; r < p->nkey_rules; r++) {
		const struct policy_key_rule *kr = &p->key_rules[r];
		for (size_t i = 0; i < n && keys && keys[i]; i++) {
			if (!glob_match(kr->match, keys[i]))
				continue;
			stricter(&a, kr->approval, ret_why, "keys entry", kr->match, kr->line);
			break;
		}
	}
	return a;
}

bool policy_requires_grant(const struct policy *p, char *const *keys, size_t n,
			   char ret_why[POLICY_RULE_MAX])
{
	char ks[YSHOW_MAX], ms[YSHOW_MAX];
	if (ret_why)
		ret_why[0] = '\0';
	for (size_t r = 0; p && r < p->nkey_rules; r++) {
		const struct policy_key_rule *kr = &p->key_rules[r];
		for (size_t i = 0; kr->require_grant && i < n && keys && keys[i]; i++) {
			if (!glob_match(kr->match, keys[i]))
				continue;
			if (ret_why)
				snprintf(ret_why, POLICY_RULE_MAX,
					 "key '%s' needs a grant (keys entry '%s' (line %d): "
					 "require_grant)",
					 policy_show(keys[i], strlen(keys[i]), ks),
					 policy_show(kr->match, strlen(kr->match), ms), kr->line);
			return true;
		}
	}
	return false;
}

int64_t policy_approval_timeout_ms(const struct policy *p)
{
	return p && p->approval_timeout_ms ? p->approval_timeout_ms
					   : POLICY_APPROVAL_TIMEOUT_DEFAULT_MS;
}

enum policy_approval_channel policy_approval_channel(const struct policy *p)
{
	return p ? p->approval_channel : POLICY_CHANNEL_CLIENT;
}

const char *policy_approval_channel_name(enum policy_approval_channel c)
{
	return c == POLICY_CHANNEL_AGENT ? "agent" : "client";
}
