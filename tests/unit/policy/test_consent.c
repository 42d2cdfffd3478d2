/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the consent settings: `approval` (top level and per commands: entry), the
 * `keys:` section and `approval_timeout` as parsed (values and positioned errors), and
 * policy_approval_for: the strictest rule wins and is named. */
#include <errno.h>
#include <string.h>

#include "common/common.h"
#include "policy/policy-internal.h"
#include "policy/policy.h"
#include "tests/unit/policy/policy-util.h"
#include "tests/unit/unit.h"

static const char doc[] = "version: 1\n"
			  "allowed_commands: [psql, aws, make]\n"
			  "approval: once\n"
			  "approval_timeout: 90s\n"
			  "commands:\n"
			  "  - match: psql\n"
			  "    approval: session\n"
			  "  - match: make\n"
			  "    keys: [\"build/*\"]\n"
			  "keys:\n"
			  "  - match: \"aws/*\"\n"
			  "    approval: always\n"
			  "  - match: \"build/*\"\n"
			  "    approval: never\n";

START_TEST(test_parse)
{
	struct policy *p = pu_load_ok(doc);
	ck_assert_int_eq(p->approval, POLICY_APPROVAL_ONCE);
	ck_assert_int_eq(p->approval_line, 3);
	ck_assert_int_eq(policy_approval_timeout_ms(p), 90000);
	ck_assert_int_eq(p->commands[0].approval, POLICY_APPROVAL_SESSION);
	ck_assert_int_eq(p->commands[0].approval_line, 7);
	ck_assert_int_eq(p->commands[1].approval, POLICY_APPROVAL_NEVER);
	ck_assert_uint_eq(p->nkey_rules, 2);
	ck_assert_str_eq(p->key_rules[0].match, "aws/*");
	ck_assert_int_eq(p->key_rules[0].approval, POLICY_APPROVAL_ALWAYS);
	ck_assert_int_eq(p->key_rules[0].line, 11);
	policy_free(p);
	/* Absent: never, the default timeout (today's policies keep working). */
	p = pu_load_ok("version: 1\nallowed_commands: [psql]\n");
	ck_assert_int_eq(p->approval, POLICY_APPROVAL_NEVER);
	ck_assert_int_eq(policy_approval_timeout_ms(p), POLICY_APPROVAL_TIMEOUT_DEFAULT_MS);
	ck_assert_int_eq(policy_approval_timeout_ms(NULL), POLICY_APPROVAL_TIMEOUT_DEFAULT_MS);
	/* approval_channel: the client (elicitation) unless the policy says agent. */
	ck_assert_int_eq(policy_approval_channel(p), POLICY_CHANNEL_CLIENT);
	ck_assert_int_eq(policy_approval_channel(NULL), POLICY_CHANNEL_CLIENT);
	policy_free(p);
	p = pu_load_ok("version: 1\napproval_channel: agent\n");
	ck_assert_int_eq(policy_approval_channel(p), POLICY_CHANNEL_AGENT);
	ck_assert_str_eq(policy_approval_channel_name(policy_approval_channel(p)), "agent");
	policy_free(p);
	p = pu_load_ok("version: 1\napproval_channel: client\n");
	ck_assert_int_eq(policy_approval_channel(p), POLICY_CHANNEL_CLIENT);
	ck_assert_str_eq(policy_approval_channel_name(policy_approval_channel(p)), "client");
	policy_free(p);
}
END_TEST

START_TEST(test_errors)
{
	pu_load_bad("version: 1\napproval: sometimes\n", -EINVAL, 2, 11,
		    "'approval' must be never, once, session or always, not 'sometimes'");
	pu_load_bad("version: 1\napproval: [once]\n", -EINVAL, 2, 11, "'approval'");
	pu_load_bad("version: 1\ncommands:\n  - match: psql\n    approval: yes\n", -EINVAL, 4, 15,
		    "'approval' must be never, once, session or always");
	pu_load_bad("version: 1\napproval_timeout: 0s\n", -EINVAL, 2, 19,
		    "'approval_timeout' must be a duration from 1s to 10m");
	pu_load_bad("version: 1\napproval_timeout: 11m\n", -EINVAL, 2, 19, "from 1s to 10m");
	pu_load_bad("version: 1\napproval_channel: password\n", -EINVAL, 2, 19,
		    "'approval_channel' must be client or agent, not 'password'");
	pu_load_bad("version: 1\napproval_channel: [agent]\n", -EINVAL, 2, 19,
		    "'approval_channel'");
	pu_load_bad("version: 1\nkeys: {match: a}\n", -EINVAL, 2, 7, "'keys'");
	pu_load_bad("version: 1\nkeys:\n  - match: \"aws/*\"\n", -EINVAL, 3, 5,
		    "a 'keys' entry needs 'match' (a key glob) and 'approval'");
	pu_load_bad("version: 1\nkeys:\n  - approval: once\n", -EINVAL, 3, 5, "needs 'match'");
	pu_load_bad("version: 1\nkeys:\n  - {match: a, require_grant: yes}\n", -EINVAL, 3, 31,
		    "'require_grant' must be true or false, not 'yes'");
	pu_load_bad("version: 1\nkeys:\n  - match: \"a/../b\"\n    approval: once\n", -EINVAL, 3,
		    12, "empty, '.' or '..' segment");
	pu_load_bad("version: 1\nkeys:\n  - match: a\n    approval: once\n    grant: x\n", -EINVAL,
		    5, 5,
		    "unknown key 'grant' in a 'keys' entry (known keys: match, approval, "
		    "require_grant)");
	pu_load_bad("version: 1\nkeys:\n  - {match: a, approval: once}\n  - {match: a, approval: "
		    "never}\n",
		    -EINVAL, 4, 1, "duplicate 'match' 'a' in keys (first at line 3)");
	pu_load_bad("version: 1\nkeys:\n  - {match: a, approval: once, match: b}\n", -EINVAL, 3, 32,
		    "");
}
END_TEST

START_TEST(test_strictest)
{
	char why[POLICY_RULE_MAX];
	struct policy *p = pu_load_ok(doc);
	struct policy_decision psql = { .verdict = POLICY_ALLOW, .command_index = 0 };
	struct policy_decision make = { .verdict = POLICY_ALLOW, .command_index = 1 };
	struct policy_decision other = { .verdict = POLICY_ALLOW, .command_index = -1 };
	char k_db[] = "db/url", k_aws[] = "aws/key", k_build[] = "build/token";
	char *none[] = { NULL };
	char *db[] = { k_db, NULL };
	char *aws[] = { k_db, k_aws, NULL };
	char *build[] = { k_build, NULL };

	/* The top-level once, the commands entry's session, a key's always: the strictest. */
	ck_assert_int_eq(policy_approval_for(p, &other, none, 0, why), POLICY_APPROVAL_ONCE);
	ck_assert_str_eq(why, "approval (line 3): once");
	ck_assert_int_eq(policy_approval_for(p, &psql, db, 1, why), POLICY_APPROVAL_SESSION);
	ck_assert_str_eq(why, "commands entry 'psql' (line 7): approval session");
	ck_assert_int_eq(policy_approval_for(p, &psql, aws, 2, why), POLICY_APPROVAL_ALWAYS);
	ck_assert_str_eq(why, "keys entry 'aws/*' (line 11): approval always");
	/* A rule saying never does not lower what another rule asks. */
	ck_assert_int_eq(policy_approval_for(p, &make, build, 1, NULL), POLICY_APPROVAL_ONCE);
	policy_free(p);

	/* No policy, or nothing asked: never, and no rule named. */
	ck_assert_int_eq(policy_approval_for(NULL, &other, aws, 2, why), POLICY_APPROVAL_NEVER);
	ck_assert_str_eq(why, "");
	p = pu_load_ok("version: 1\nkeys:\n  - {match: \"aws/*\", approval: session}\n");
	ck_assert_int_eq(policy_approval_for(p, &other, db, 1, why), POLICY_APPROVAL_NEVER);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(policy_approval_for(p, &other, aws, 2, why), POLICY_APPROVAL_SESSION);
	policy_free(p);
	ck_assert_str_eq(policy_approval_name(POLICY_APPROVAL_ALWAYS), "always");
}
END_TEST

START_TEST(test_require_grant)
{
	char why[POLICY_RULE_MAX];
	char k_aws[] = "aws/key", k_db[] = "db/url";
	char *aws[] = { k_db, k_aws, NULL };
	char *db[] = { k_db, NULL };
	struct policy *p =
		pu_load_ok("version: 1\nkeys:\n  - match: \"aws/*\"\n"
			   "    require_grant: true\n  - {match: \"db/*\", approval: once, "
			   "require_grant: false}\n");
	ck_assert(p->key_rules[0].require_grant);
	ck_assert_int_eq(p->key_rules[0].approval, POLICY_APPROVAL_NEVER);
	ck_assert(!p->key_rules[1].require_grant);
	ck_assert(policy_requires_grant(p, aws, 2, why));
	ck_assert_str_eq(why, "key 'aws/key' needs a grant (keys entry 'aws/*' (line 3): "
			      "require_grant)");
	ck_assert(!policy_requires_grant(p, db, 1, why));
	ck_assert_str_eq(why, "");
	ck_assert(!policy_requires_grant(NULL, aws, 2, NULL));
	policy_free(p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("policy-consent");
	TCase *tc = tcase_create("consent");
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_strictest);
	tcase_add_test(tc, test_require_grant);
	suite_add_tcase(s, tc);
	return s;
}
