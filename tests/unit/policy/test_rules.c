/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of policy/rules.c: the command, key, sandbox, commands and max_concurrent_runs
 * sections: every accepted form with the values kept, every error with its position, limits. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "policy/policy-internal.h"
#include "policy/policy.h"
#include "tests/unit/policy/policy-util.h"
#include "tests/unit/unit.h"

static void words_are(const struct policy_cmd *c, const char *const *want, size_t n)
{
	ck_assert_uint_eq(c->nwords, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(c->words[i], want[i]);
	ck_assert_ptr_null(c->words[n]);
}

/* The user guide's example, verbatim. */
static const char guide[] = "# ~/.secretctl/mcp-policy.yaml\n"
			    "version: 1\n"
			    "default_action: deny\n"
			    "\n"
			    "# Commands the AI can execute with secrets\n"
			    "allowed_commands:\n"
			    "  - npm\n"
			    "  - node\n"
			    "  - python\n"
			    "  - go\n"
			    "  - cargo\n"
			    "  - aws\n"
			    "  - gcloud\n"
			    "  - kubectl\n"
			    "  - curl\n"
			    "  - ./deploy.sh\n"
			    "  - ./test.sh\n"
			    "\n"
			    "# Commands never allowed\n"
			    "denied_commands:\n"
			    "  - rm\n"
			    "  - sudo\n"
			    "  - chmod\n"
			    "  - chown\n"
			    "\n"
			    "# Environment aliases\n"
			    "env_aliases:\n"
			    "  dev:\n"
			    "    - pattern: \"db/*\"\n"
			    "      target: \"dev/db/*\"\n"
			    "  prod:\n"
			    "    - pattern: \"db/*\"\n"
			    "      target: \"prod/db/*\"\n";

START_TEST(test_guide_example)
{
	struct policy *p = pu_load_ok(guide);
	struct policy_summary s;
	policy_summarize(p, &s);
	ck_assert_uint_eq(s.allowed_commands, 11);
	ck_assert_uint_eq(s.denied_commands, 4);
	ck_assert_uint_eq(s.commands, 0);
	ck_assert_int_eq(s.allowed_keys, -1);
	ck_assert_uint_eq(s.denied_keys, 0);
	ck_assert_uint_eq(s.aliases, 2);
	ck_assert_int_eq(s.default_action, POLICY_DENY);
	ck_assert_uint_eq(s.max_concurrent_runs, POLICY_CONCURRENT_DEFAULT);
	ck_assert_str_eq(p->allowed.v[9].words[0], "./deploy.sh");
	ck_assert(p->allowed.v[9].is_path);
	ck_assert(!p->allowed.v[0].is_path);
	ck_assert_int_eq(p->allowed.v[0].line, 7);
	ck_assert_int_eq(p->allowed.v[0].column, 5);
	ck_assert_int_eq(p->denied.v[3].line, 24);
	ck_assert_str_eq(p->denied.v[3].text, "chown");
	policy_free(p);

	/* The guide's "least privilege" list: entries with leading arguments. */
	p = pu_load_ok("version: 1\nallowed_commands:\n  - npm test\n  - npm run build\n"
		       "  - '  ./deploy.sh   --env  prod '\n");
	static const char *const w0[] = { "npm", "test" };
	static const char *const w1[] = { "npm", "run", "build" };
	static const char *const w2[] = { "./deploy.sh", "--env", "prod" };
	words_are(&p->allowed.v[0], w0, 2);
	words_are(&p->allowed.v[1], w1, 3);
	words_are(&p->allowed.v[2], w2, 3);
	ck_assert_str_eq(p->allowed.v[2].text, "  ./deploy.sh   --env  prod ");
	policy_free(p);
}
END_TEST

START_TEST(test_defaults)
{
	struct policy *p = pu_load_ok("version: 1\n");
	struct policy_summary s;
	policy_summarize(p, &s);
	ck_assert_int_eq(s.default_action, POLICY_DENY);
	ck_assert_int_eq(p->default_line, 0);
	ck_assert_uint_eq(policy_max_concurrent_runs(p), 4);
	ck_assert_ptr_null(p->sandbox.pub.profile);
	ck_assert_int_eq(p->sandbox.pub.network, -1);
	ck_assert_ptr_null(p->sandbox.pub.writable);
	ck_assert_int_eq(p->sandbox.pub.timeout_ms, 0);
	policy_free(p);
	ck_assert_uint_eq(policy_max_concurrent_runs(NULL), POLICY_CONCURRENT_DEFAULT);
	policy_summarize(NULL, &s);
	ck_assert_int_eq(s.default_action, POLICY_DENY);
	ck_assert_uint_eq(s.allowed_commands, 0);
	ck_assert_int_eq(s.allowed_keys, -1);
}
END_TEST

START_TEST(test_default_action)
{
	struct policy *p = pu_load_ok("version: 1\ndefault_action: allow\n");
	ck_assert_int_eq(p->default_action, POLICY_ALLOW);
	ck_assert_int_eq(p->default_line, 2);
	policy_free(p);
	p = pu_load_ok("version: 1\ndefault_action: 'deny'\n");
	ck_assert_int_eq(p->default_action, POLICY_DENY);
	policy_free(p);
	pu_load_bad("version: 1\ndefault_action: permit\n", -EINVAL, 2, 17,
		    "'default_action' must be 'allow' or 'deny', not 'permit'");
	pu_load_bad("version: 1\ndefault_action: Allow\n", -EINVAL, 2, 17, "not 'Allow'");
	pu_load_bad("version: 1\ndefault_action:\n", -EINVAL, 2, 16, "must not be empty");
	pu_load_bad("version: 1\ndefault_action: [allow]\n", -EINVAL, 2, 17,
		    "'default_action' must be a scalar, not a list");
	pu_load_bad("version: 1\ndefault_action: deny\ndefault_action: allow\n", -EINVAL, 3, 1,
		    "duplicate key 'default_action'");
}
END_TEST

START_TEST(test_command_entry_errors)
{
	pu_load_bad("version: 1\nallowed_commands: npm\n", -EINVAL, 2, 19,
		    "'allowed_commands' must be a list, not a scalar");
	pu_load_bad("version: 1\nallowed_commands:\n", -EINVAL, 2, 18, "must be a list");
	pu_load_bad("version: 1\ndenied_commands: {rm: 1}\n", -EINVAL, 2, 18,
		    "'denied_commands' must be a list, not a mapping");
	pu_load_bad("version: 1\nallowed_commands:\n  - {npm: test}\n", -EINVAL, 3, 5,
		    "allowed_commands entries must be strings, not a mapping");
	pu_load_bad("version: 1\nallowed_commands:\n  - [npm, test]\n", -EINVAL, 3, 5,
		    "entries must be strings, not a list");
	pu_load_bad("version: 1\nallowed_commands: ['']\n", -EINVAL, 2, 20,
		    "allowed_commands entry an empty entry");
	pu_load_bad("version: 1\nallowed_commands: ['   ']\n", -EINVAL, 2, 20, "an empty entry");
	pu_load_bad("version: 1\nallowed_commands:\n  - npm\n  - \"*\"\n", -EINVAL, 4, 5,
		    "'*' is not allowed: an entry is a command and its leading arguments");
	pu_load_bad("version: 1\nallowed_commands: ['npm *']\n", -EINVAL, 2, 20, "'*'");
	pu_load_bad("version: 1\nallowed_commands: ['ls ?']\n", -EINVAL, 2, 20, "'?'");
	pu_load_bad("version: 1\nallowed_commands: [\"psql -c 'SELECT 1'\"]\n", -EINVAL, 2, 20,
		    "''' is not allowed");
	pu_load_bad("version: 1\ndenied_commands: ['rm; ls']\n", -EINVAL, 2, 19, "';'");
	pu_load_bad("version: 1\ndenied_commands: ['a | b']\n", -EINVAL, 2, 19, "'|'");
	pu_load_bad("version: 1\ndenied_commands: ['a && b']\n", -EINVAL, 2, 19, "'&'");
	pu_load_bad("version: 1\ndenied_commands: ['echo $HOME']\n", -EINVAL, 2, 19, "'$'");
	pu_load_bad("version: 1\ndenied_commands: ['a > b']\n", -EINVAL, 2, 19, "'>'");
	pu_load_bad("version: 1\ndenied_commands: ['echo `id`']\n", -EINVAL, 2, 19, "'`'");
	pu_load_bad("version: 1\ndenied_commands: ['a\\b']\n", -EINVAL, 2, 19, "'\\'");
	pu_load_bad("version: 1\ndenied_commands: [\"npm\\ttest\"]\n", -EINVAL, 2, 19,
		    "control characters");
	pu_load_bad("version: 1\ndenied_commands: [\"npm\\0test\"]\n", -EINVAL, 2, 19,
		    "control characters");
	pu_load_bad("version: 1\ndenied_commands: [\"\\e[31mrm\"]\n", -EINVAL, 2, 19,
		    "'?[31mrm': control characters");
	/* a path entry names a file */
	pu_load_bad("version: 1\nallowed_commands: [./bin/]\n", -EINVAL, 2, 20,
		    "'./bin/': names a directory");
	pu_load_bad("version: 1\nallowed_commands: ['~']\n", -EINVAL, 2, 20,
		    "only '~/' followed by a file name is expanded");
	pu_load_bad("version: 1\nallowed_commands: ['~/']\n", -EINVAL, 2, 20, "only '~/'");
	pu_load_bad("version: 1\nallowed_commands: ['~bob/bin/x']\n", -EINVAL, 2, 20, "only '~/'");
	/* duplicates, compared word by word */
	pu_load_bad("version: 1\nallowed_commands:\n  - npm test\n  - aws\n  - 'npm   test'\n",
		    -EINVAL, 5, 5,
		    "duplicate entry 'npm   test' in allowed_commands (first at line 3)");
	pu_load_bad("version: 1\ndenied_commands: [rm, rm]\n", -EINVAL, 2, 23,
		    "duplicate entry 'rm' in denied_commands (first at line 2)");
	/* one entry in both lists contradicts itself */
	pu_load_bad("version: 1\ndenied_commands: [rm]\nallowed_commands: [ls, rm]\n", -EINVAL, 3,
		    24,
		    "'rm' is in both allowed_commands (line 3) and denied_commands (line 2); "
		    "denied_commands wins");
	pu_load_bad("version: 1\nallowed_commands: [rm]\ndenied_commands: [' rm']\n", -EINVAL, 3,
		    19, "is in both");
	/* different leading words are different entries */
	policy_free(pu_load_ok("version: 1\nallowed_commands: [git]\n"
			       "denied_commands: [git push]\n"));
}
END_TEST

START_TEST(test_command_entry_home)
{
	setenv("HOME", "/home/tester/", 1);
	struct policy *p = pu_load_ok("version: 1\nallowed_commands: ['~/bin/deploy.sh prod']\n");
	static const char *const w[] = { "/home/tester/bin/deploy.sh", "prod" };
	words_are(&p->allowed.v[0], w, 2);
	ck_assert(p->allowed.v[0].is_path);
	ck_assert_str_eq(p->allowed.v[0].text, "~/bin/deploy.sh prod");
	policy_free(p);
	/* '~' only counts at the start of the command word */
	p = pu_load_ok("version: 1\nallowed_commands: ['cat ~/x']\n");
	static const char *const w2[] = { "cat", "~/x" };
	words_are(&p->allowed.v[0], w2, 2);
	policy_free(p);
	setenv("HOME", "relative", 1);
	pu_load_bad("version: 1\nallowed_commands: ['~/bin/x']\n", -EINVAL, 2, 20,
		    "'~/' needs $HOME (an absolute path)");
	unsetenv("HOME");
	pu_load_bad("version: 1\nallowed_commands: ['~/bin/x']\n", -EINVAL, 2, 20, "needs $HOME");
}
END_TEST

/* head, then n times pre + i + post. */
static char *many_entries(const char *head, size_t n, const char *pre, const char *post)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_puts(&b, head), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(buf_printf(&b, "%s%zu%s", pre, i, post), 0);
	return buf_detach(&b);
}

START_TEST(test_command_limits)
{
	/* words per entry */
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_puts(&b, "version: 1\nallowed_commands: ['cmd"), 0);
	for (int i = 1; i < POLICY_WORDS_MAX; i++)
		ck_assert_int_eq(buf_printf(&b, " w%d", i), 0);
	ck_assert_int_eq(buf_puts(&b, "']\n"), 0);
	struct policy *p = pu_load_ok(b.data);
	ck_assert_uint_eq(p->allowed.v[0].nwords, POLICY_WORDS_MAX);
	policy_free(p);
	b.len -= 3;
	ck_assert_int_eq(buf_puts(&b, " one-more']\n"), 0);
	pu_load_bad(b.data, -E2BIG, 2, 20, "more than 16 words");
	buf_release(&b);

	/* entries per list: exactly the maximum loads, one more does not */
	char *y =
		many_entries("version: 1\nallowed_commands:\n", POLICY_COMMANDS_MAX, "  - c", "\n");
	p = pu_load_ok(y);
	ck_assert_uint_eq(p->allowed.n, POLICY_COMMANDS_MAX);
	policy_free(p);
	free(y);
	y = many_entries("version: 1\ndenied_commands:\n", POLICY_COMMANDS_MAX + 1, "  - c", "\n");
	pu_load_bad(y, -E2BIG, 3, 3, "'denied_commands' has more than 1024 entries");
	free(y);
	y = many_entries("version: 1\ncommands:\n", POLICY_COMMANDS_MAX + 1, "  - {match: c",
			 "}\n");
	pu_load_bad(y, -E2BIG, 3, 3, "'commands' has more than 1024 entries");
	free(y);
	/* a command path longer than PATH_MAX (a YAML string cannot be: through ~/ it can) */
	struct policy_cmd c;
	struct reterr err = RETERR_INIT;
	char longpath[PATH_MAX + 8];
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	ck_assert_int_eq(policy_cmd_parse(longpath, sizeof(longpath), NULL, &c, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "path too long"));
	longpath[0] = '~';
	longpath[1] = '/';
	longpath[PATH_MAX - 4] = '\0';
	ck_assert_int_eq(policy_cmd_parse(longpath, strlen(longpath), "/home/someone", &c, &err),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "path too long"));
	ck_assert_int_eq(policy_cmd_parse(longpath, strlen(longpath), "/h", &c, &err), 0);
	policy_cmd_release(&c);
}
END_TEST

START_TEST(test_key_globs)
{
	struct policy *p = pu_load_ok("version: 1\nallowed_keys: ['db/*', API_KEY, 'a?c/x-y.z_1']\n"
				      "denied_keys:\n  - 'prod/*'\n  - '*/admin'\n");
	ck_assert(p->allowed_keys.present);
	ck_assert_uint_eq(p->allowed_keys.n, 3);
	ck_assert_str_eq(p->allowed_keys.v[1], "API_KEY");
	ck_assert_int_eq(p->allowed_keys.line, 2);
	ck_assert_uint_eq(p->denied_keys.n, 2);
	ck_assert_int_eq(p->denied_keys.lines[1], 5);
	struct policy_summary s;
	policy_summarize(p, &s);
	ck_assert_int_eq(s.allowed_keys, 3);
	ck_assert_uint_eq(s.denied_keys, 2);
	policy_free(p);
	/* an empty allow-list is present: it allows no key */
	p = pu_load_ok("version: 1\nallowed_keys: []\n");
	ck_assert(p->allowed_keys.present);
	ck_assert_uint_eq(p->allowed_keys.n, 0);
	policy_free(p);

	pu_load_bad("version: 1\nallowed_keys: API_KEY\n", -EINVAL, 2, 15,
		    "'allowed_keys' must be a list");
	pu_load_bad("version: 1\ndenied_keys: ['']\n", -EINVAL, 2, 15,
		    "denied_keys entries must be 1-256 characters");
	pu_load_bad("version: 1\ndenied_keys: ['db key']\n", -EINVAL, 2, 15,
		    "denied_keys entry 'db key': only [A-Za-z0-9._/-] and the wildcards");
	pu_load_bad("version: 1\ndenied_keys: ['db/[ab]']\n", -EINVAL, 2, 15, "only");
	pu_load_bad("version: 1\ndenied_keys: ['db//x']\n", -EINVAL, 2, 15,
		    "has an empty, '.' or '..' segment");
	pu_load_bad("version: 1\ndenied_keys: ['/db']\n", -EINVAL, 2, 15, "segment");
	pu_load_bad("version: 1\ndenied_keys: ['db/']\n", -EINVAL, 2, 15, "segment");
	pu_load_bad("version: 1\ndenied_keys: ['../x']\n", -EINVAL, 2, 15, "segment");
	pu_load_bad("version: 1\ndenied_keys: [{a: b}]\n", -EINVAL, 2, 15,
		    "denied_keys entries must be strings, not a mapping");
	pu_load_bad("version: 1\ndenied_keys: [a, b, a]\n", -EINVAL, 2, 21,
		    "duplicate entry 'a' in denied_keys (first at line 2)");
	char *y = many_entries("version: 1\nallowed_keys:\n", POLICY_KEY_GLOBS_MAX + 1, "  - k",
			       "\n");
	pu_load_bad(y, -E2BIG, 3, 3, "'allowed_keys' has more than 1024 entries");
	free(y);
	y = many_entries("version: 1\nallowed_keys:\n", POLICY_KEY_GLOBS_MAX, "  - k", "\n");
	policy_free(pu_load_ok(y));
	free(y);
	char key[POLICY_KEY_MAX + 2];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_printf(&b, "version: 1\ndenied_keys: [%s]\n", key), 0);
	pu_load_bad(b.data, -EINVAL, 2, 15, "1-256 characters");
	buf_release(&b);
}
END_TEST

START_TEST(test_sandbox)
{
	setenv("HOME", "/home/t", 1);
	struct policy *p = pu_load_ok("version: 1\nsandbox:\n  profile: strict\n  network: deny\n"
				      "  writable: [/tmp/a, '~/cache/', '//var///x//']\n"
				      "  allow_sockets: [/run/postgresql/.s.PGSQL.5432]\n"
				      "  timeout: 1h30m\n  max_output: 512K\n  memory: 2G\n");
	const struct policy_sandbox *s = &p->sandbox.pub;
	ck_assert_str_eq(s->profile, "strict");
	ck_assert_int_eq(s->network, 1);
	ck_assert_str_eq(s->writable[0], "/tmp/a");
	ck_assert_str_eq(s->writable[1], "/home/t/cache");
	ck_assert_str_eq(s->writable[2], "/var/x");
	ck_assert_ptr_null(s->writable[3]);
	ck_assert_str_eq(s->sockets[0], "/run/postgresql/.s.PGSQL.5432");
	ck_assert_ptr_null(s->sockets[1]);
	ck_assert_int_eq(s->timeout_ms, 5400000);
	ck_assert_uint_eq(s->max_output, 512 * 1024);
	ck_assert_uint_eq(s->memory, 2ull << 30);
	policy_free(p);

	/* other spellings */
	p = pu_load_ok("version: 1\nsandbox: {profile: 'off', network: allow, timeout: 300, "
		       "max_output: 4096, memory: 1m, writable: [], allow_sockets: ['/']}\n");
	s = &p->sandbox.pub;
	ck_assert_str_eq(s->profile, "off");
	ck_assert_int_eq(s->network, 0);
	ck_assert_int_eq(s->timeout_ms, 300000);
	ck_assert_uint_eq(s->max_output, 4096);
	ck_assert_uint_eq(s->memory, 1024 * 1024);
	ck_assert_ptr_nonnull(s->writable); /* set, and empty */
	ck_assert_ptr_null(s->writable[0]);
	ck_assert_str_eq(s->sockets[0], "/");
	policy_free(p);
	p = pu_load_ok("version: 1\nsandbox: {timeout: 500ms, profile: standard}\n");
	ck_assert_int_eq(p->sandbox.pub.timeout_ms, 500);
	ck_assert_int_eq(p->sandbox.pub.network, -1);
	policy_free(p);
	p = pu_load_ok("version: 1\nsandbox: {}\n");
	ck_assert_ptr_null(p->sandbox.pub.profile);
	policy_free(p);
}
END_TEST

START_TEST(test_sandbox_errors)
{
	setenv("HOME", "/home/t", 1);
	pu_load_bad("version: 1\nsandbox: strict\n", -EINVAL, 2, 10,
		    "'sandbox' must be a mapping, not a scalar");
	pu_load_bad("version: 1\nsandbox:\n  profile: strict\n  netwrok: deny\n", -EINVAL, 4, 3,
		    "unknown key 'netwrok' in 'sandbox' (known keys: profile, network, writable, "
		    "allow_sockets, timeout, max_output, memory)");
	pu_load_bad("version: 1\nsandbox: {profile: paranoid}\n", -EINVAL, 2, 20,
		    "'profile' must be 'standard', 'strict' or 'off', not 'paranoid'");
	pu_load_bad("version: 1\nsandbox: {network: none}\n", -EINVAL, 2, 20,
		    "'network' must be 'allow' or 'deny', not 'none'");
	pu_load_bad("version: 1\nsandbox: {network: false}\n", -EINVAL, 2, 20, "not 'false'");
	pu_load_bad("version: 1\nsandbox: {network: deny, profile: 'off'}\n", -EINVAL, 2, 10,
		    "'network: deny' needs a sandbox, but the profile is 'off'");
	pu_load_bad("version: 1\nsandbox: {profile: strict, profile: off}\n", -EINVAL, 2, 28,
		    "duplicate key 'profile' in 'sandbox'");
	/* paths */
	pu_load_bad("version: 1\nsandbox: {writable: /tmp}\n", -EINVAL, 2, 21,
		    "'writable' must be a list, not a scalar");
	pu_load_bad("version: 1\nsandbox: {writable: [tmp/x]}\n", -EINVAL, 2, 22,
		    "writable entry 'tmp/x' must be an absolute path (or start with '~/')");
	pu_load_bad("version: 1\nsandbox: {writable: ['']}\n", -EINVAL, 2, 22,
		    "writable entries must not be empty");
	pu_load_bad("version: 1\nsandbox: {writable: [/a/../etc]}\n", -EINVAL, 2, 22,
		    "writable entry '/a/../etc' has a '.' or '..' segment");
	pu_load_bad("version: 1\nsandbox: {allow_sockets: [/run/./x]}\n", -EINVAL, 2, 27,
		    "allow_sockets entry '/run/./x' has a '.' or '..' segment");
	pu_load_bad("version: 1\nsandbox: {writable: ['~bob/x']}\n", -EINVAL, 2, 22,
		    "only '~/' is expanded");
	pu_load_bad("version: 1\nsandbox: {writable: [\"/tmp/\\nx\"]}\n", -EINVAL, 2, 22,
		    "must not contain control characters");
	pu_load_bad("version: 1\nsandbox: {writable: [/a, '/a/']}\n", -EINVAL, 2, 26,
		    "duplicate entry '/a/' in writable");
	pu_load_bad("version: 1\nsandbox: {writable: [[/a]]}\n", -EINVAL, 2, 22,
		    "writable entries must be a scalar, not a list");
	char *y = many_entries("version: 1\nsandbox:\n  writable:\n", POLICY_WRITABLE_MAX + 1,
			       "    - /w/", "\n");
	pu_load_bad(y, -E2BIG, 4, 5, "'writable' has more than 64 entries");
	free(y);
	unsetenv("HOME");
	pu_load_bad("version: 1\nsandbox: {allow_sockets: ['~/s']}\n", -EINVAL, 2, 27,
		    "'~/' needs $HOME");
	/* durations and sizes */
	pu_load_bad("version: 1\nsandbox: {timeout: 0}\n", -EINVAL, 2, 20,
		    "'timeout' must be a duration from 1ms to 7d such as 90s, 5m, 1h30m or 500ms, "
		    "not '0'");
	pu_load_bad("version: 1\nsandbox: {timeout: 5 minutes}\n", -EINVAL, 2, 20,
		    "not '5 minutes'");
	pu_load_bad("version: 1\nsandbox: {timeout: 8d}\n", -EINVAL, 2, 20, "not '8d'");
	pu_load_bad("version: 1\nsandbox: {timeout: -5s}\n", -EINVAL, 2, 20, "duration");
	pu_load_bad("version: 1\nsandbox: {timeout: 99999999999999999999s}\n", -EINVAL, 2, 20,
		    "duration");
	pu_load_bad("version: 1\nsandbox: {timeout: [5m]}\n", -EINVAL, 2, 20,
		    "'timeout' must be a scalar");
	pu_load_bad("version: 1\nsandbox: {max_output: 0}\n", -EINVAL, 2, 23,
		    "'max_output' must be a size from 1 to 1G (bytes, or with K, M or G) such as "
		    "512K or 1M, not '0'");
	pu_load_bad("version: 1\nsandbox: {max_output: 2G}\n", -EINVAL, 2, 23, "not '2G'");
	pu_load_bad("version: 1\nsandbox: {max_output: 1.5M}\n", -EINVAL, 2, 23, "not '1.5M'");
	pu_load_bad("version: 1\nsandbox: {max_output: 1MB}\n", -EINVAL, 2, 23, "not '1MB'");
	pu_load_bad("version: 1\nsandbox: {max_output: 99999999999999999999}\n", -EINVAL, 2, 23,
		    "size");
	pu_load_bad("version: 1\nsandbox: {max_output: 18014398509481984G}\n", -EINVAL, 2, 23,
		    "size");
	pu_load_bad("version: 1\nsandbox: {memory: 512K}\n", -EINVAL, 2, 19,
		    "'memory' must be a size from 1M to 1024G");
	pu_load_bad("version: 1\nsandbox: {memory: 2048G}\n", -EINVAL, 2, 19, "not '2048G'");
	policy_free(pu_load_ok("version: 1\nsandbox: {memory: 1024G, max_output: 1G, "
			       "timeout: 7d}\n"));
}
END_TEST

START_TEST(test_commands)
{
	struct policy *p = pu_load_ok("version: 1\n"
				      "commands:\n"
				      "  - match: npm test\n"
				      "    keys: [TEST_*, NPM_TOKEN]\n"
				      "    timeout: 10m\n"
				      "  - match: ./deploy.sh\n"
				      "    profile: strict\n"
				      "    network: allow\n"
				      "    writable: [/srv/out]\n"
				      "    allow_sockets: [/run/x.sock]\n"
				      "    max_output: 2M\n"
				      "    memory: 4G\n"
				      "  - {match: psql, keys: []}\n");
	ck_assert_uint_eq(p->ncommands, 3);
	static const char *const w0[] = { "npm", "test" };
	words_are(&p->commands[0].match, w0, 2);
	ck_assert_int_eq(p->commands[0].match.line, 3);
	ck_assert_int_eq(p->commands[0].match.column, 12);
	ck_assert_uint_eq(p->commands[0].keys.n, 2);
	ck_assert_str_eq(p->commands[0].keys.v[1], "NPM_TOKEN");
	ck_assert_int_eq(p->commands[0].sb.pub.timeout_ms, 600000);
	ck_assert_ptr_null(p->commands[0].sb.pub.profile);
	ck_assert_int_eq(p->commands[0].sb.pub.network, -1);
	const struct policy_sandbox *s = &p->commands[1].sb.pub;
	ck_assert_str_eq(s->profile, "strict");
	ck_assert_int_eq(s->network, 0);
	ck_assert_str_eq(s->writable[0], "/srv/out");
	ck_assert_str_eq(s->sockets[0], "/run/x.sock");
	ck_assert_uint_eq(s->max_output, 2u << 20);
	ck_assert_uint_eq(s->memory, 4ull << 30);
	ck_assert(!p->commands[1].keys.present);
	ck_assert(p->commands[2].keys.present);
	ck_assert_uint_eq(p->commands[2].keys.n, 0);
	const char *m = NULL;
	int line = 0;
	ck_assert_int_eq(policy_command_info(p, 1, &m, &line), 0);
	ck_assert_str_eq(m, "./deploy.sh");
	ck_assert_int_eq(line, 6);
	ck_assert_int_eq(policy_command_info(p, 3, &m, &line), -ENOENT);
	ck_assert_int_eq(policy_command_info(p, -1, NULL, NULL), -ENOENT);
	ck_assert_int_eq(policy_command_info(NULL, 0, NULL, NULL), -ENOENT);
	struct policy_summary sum;
	policy_summarize(p, &sum);
	ck_assert_uint_eq(sum.commands, 3);
	policy_free(p);
}
END_TEST

START_TEST(test_commands_errors)
{
	pu_load_bad("version: 1\ncommands: {match: npm}\n", -EINVAL, 2, 11,
		    "'commands' must be a list, not a mapping");
	pu_load_bad("version: 1\ncommands: [npm]\n", -EINVAL, 2, 12,
		    "a 'commands' entry must be a mapping, not a scalar");
	pu_load_bad("version: 1\ncommands:\n  - keys: [A]\n    timeout: 5m\n", -EINVAL, 3, 5,
		    "a 'commands' entry needs 'match' (the command it applies to)");
	pu_load_bad("version: 1\ncommands:\n  - match: npm\n    key: [A]\n", -EINVAL, 4, 5,
		    "unknown key 'key' in a 'commands' entry (known keys: match, keys, approval, "
		    "profile, "
		    "network, writable, allow_sockets, timeout, max_output, memory)");
	pu_load_bad("version: 1\ncommands:\n  - match: [npm]\n", -EINVAL, 3, 12,
		    "commands 'match' entries must be strings, not a list");
	pu_load_bad("version: 1\ncommands:\n  - match: 'npm *'\n", -EINVAL, 3, 12,
		    "commands 'match' entry 'npm *': '*' is not allowed");
	pu_load_bad("version: 1\ncommands:\n  - match: ''\n", -EINVAL, 3, 12, "an empty entry");
	pu_load_bad("version: 1\ncommands:\n  - {match: npm, keys: A}\n", -EINVAL, 3, 24,
		    "'keys' must be a list");
	pu_load_bad("version: 1\ncommands:\n  - {match: npm, keys: ['a b']}\n", -EINVAL, 3, 25,
		    "keys entry 'a b'");
	pu_load_bad("version: 1\ncommands:\n  - {match: npm, timeout: never}\n", -EINVAL, 3, 27,
		    "'timeout' must be a duration");
	pu_load_bad("version: 1\ncommands:\n  - {match: npm, match: node}\n", -EINVAL, 3, 18,
		    "duplicate key 'match' in a 'commands' entry");
	pu_load_bad("version: 1\ncommands:\n  - match: npm test\n  - match: ' npm  test'\n",
		    -EINVAL, 4, 12,
		    "duplicate 'match' ' npm  test' in commands (first at line 3): the first entry "
		    "would always win");
	/* the merged result must make sense: network deny needs a sandbox */
	pu_load_bad("version: 1\nsandbox: {network: deny}\ncommands:\n  - match: npm\n"
		    "    profile: 'off'\n",
		    -EINVAL, 4, 5,
		    "commands entry 'npm': 'network: deny' needs a sandbox, but the profile is "
		    "'off'");
	pu_load_bad("version: 1\nsandbox: {profile: 'off'}\ncommands:\n  - {match: npm, "
		    "network: deny}\n",
		    -EINVAL, 4, 5, "needs a sandbox");
	/* ... unless the entry switches it back */
	policy_free(pu_load_ok("version: 1\nsandbox: {network: deny}\ncommands:\n  - {match: npm, "
			       "profile: 'off', network: allow}\n"));
}
END_TEST

START_TEST(test_max_concurrent_runs)
{
	struct policy *p = pu_load_ok("version: 1\nmax_concurrent_runs: 1\n");
	ck_assert_uint_eq(policy_max_concurrent_runs(p), 1);
	policy_free(p);
	p = pu_load_ok("version: 1\nmax_concurrent_runs: 64\n");
	ck_assert_uint_eq(policy_max_concurrent_runs(p), 64);
	policy_free(p);
	pu_load_bad("version: 1\nmax_concurrent_runs: 0\n", -EINVAL, 2, 22,
		    "'max_concurrent_runs' must be a number from 1 to 64, not '0'");
	pu_load_bad("version: 1\nmax_concurrent_runs: 65\n", -EINVAL, 2, 22, "not '65'");
	pu_load_bad("version: 1\nmax_concurrent_runs: '4'\n", -EINVAL, 2, 22, "not '4'");
	pu_load_bad("version: 1\nmax_concurrent_runs: -1\n", -EINVAL, 2, 22, "not '-1'");
	pu_load_bad("version: 1\nmax_concurrent_runs: 4.0\n", -EINVAL, 2, 22, "not '4.0'");
	pu_load_bad("version: 1\nmax_concurrent_runs: [4]\n", -EINVAL, 2, 22, "not 'a list'");
	pu_load_bad("version: 1\nmax_concurrent_runs: 99999999999999999999999\n", -EINVAL, 2, 22,
		    "from 1 to 64");
}
END_TEST

START_TEST(test_cmd_parse_direct)
{
	struct policy_cmd c;
	struct reterr err = RETERR_INIT;
	/* not NUL-terminated input: len bytes only */
	ck_assert_int_eq(policy_cmd_parse("npm testXXX", 8, NULL, &c, &err), 0);
	static const char *const w[] = { "npm", "test" };
	words_are(&c, w, 2);
	ck_assert_str_eq(c.text, "npm test");
	policy_cmd_release(&c);
	ck_assert_ptr_null(c.words);
	ck_assert_int_eq(policy_cmd_parse("", 0, NULL, &c, &err), -EINVAL);
	ck_assert_int_eq(policy_cmd_parse("~/x", 3, NULL, &c, &err), -EINVAL);
	ck_assert_int_eq(policy_cmd_parse("~/x", 3, "/h", &c, &err), 0);
	ck_assert_str_eq(c.words[0], "/h/x");
	ck_assert(c.is_path);
	policy_cmd_release(&c);
	ck_assert_int_eq(policy_cmd_parse("~/x", 3, "/", &c, &err), 0);
	ck_assert_str_eq(c.words[0], "/x");
	policy_cmd_release(&c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("policy-rules");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, test_guide_example);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_default_action);
	tcase_add_test(tc, test_command_entry_errors);
	tcase_add_test(tc, test_command_entry_home);
	tcase_add_test(tc, test_command_limits);
	tcase_add_test(tc, test_key_globs);
	tcase_add_test(tc, test_sandbox);
	tcase_add_test(tc, test_sandbox_errors);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_commands_errors);
	tcase_add_test(tc, test_max_concurrent_runs);
	tcase_add_test(tc, test_cmd_parse_direct);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	return s;
}
