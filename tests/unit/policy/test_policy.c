/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of policy/: the YAML loader (valid files, every error with its position, limits,
 * file checks), env-alias rewriting and mapping back, env-name mapping and reserved names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "policy/policy.h"
#include "tests/unit/unit.h"

static struct policy *load_ok(const char *yaml)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	int r = policy_load_buf(yaml, strlen(yaml), &p, &err);
	ck_assert_msg(r == 0, "load failed (%d) at %d:%d: %s", r, err.line, err.column, err.msg);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Expect failure code at line:col with a message containing needle. */
static void load_bad(const char *yaml, int code, int line, int col, const char *needle)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	int r = policy_load_buf(yaml, strlen(yaml), &p, &err);
	ck_assert_msg(r == code, "got %d, want %d (%s) for:\n%s", r, code, err.msg, yaml);
	ck_assert_ptr_null(p);
	ck_assert_msg(err.line == line && err.column == col, "position %d:%d, want %d:%d (%s)",
		      err.line, err.column, line, col, err.msg);
	ck_assert_msg(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

static char *rewrite(const struct policy *p, const char *alias, const char *pat, int want)
{
	char *out = NULL;
	int r = policy_alias_rewrite(p, alias, pat, &out);
	ck_assert_msg(r == want, "rewrite(%s, %s) = %d, want %d", alias, pat, r, want);
	return out;
}

static void rewrite_is(const struct policy *p, const char *alias, const char *pat, int want,
		       const char *expect_out)
{
	char *out = rewrite(p, alias, pat, want);
	ck_assert_str_eq(out, expect_out);
	free(out);
}

static const char *const example = "# seed policy\n"
				   "version: 1\n"
				   "env_aliases:\n"
				   "  staging:\n"
				   "    - pattern: \"db/*\"\n"
				   "      target: \"staging/db/*\"\n"
				   "    - pattern: api/*\n"
				   "      target: staging/api/*\n"
				   "    - pattern: special_key\n"
				   "      target: staging/special\n"
				   "  prod:\n"
				   "    - {pattern: 'db/*', target: 'prod/db/*'}\n"
				   "    - {pattern: 'db/admin/*', target: 'vault/admin/*'}\n"
				   "    - {pattern: 'db/admin/root', target: 'break-glass/root'}\n"
				   "    - {pattern: '*', target: 'prod/*'}\n";

START_TEST(test_valid)
{
	struct policy *p = load_ok(example);
	rewrite_is(p, "staging", "db/*", 1, "staging/db/*");
	rewrite_is(p, "staging", "db/password", 1, "staging/db/password");
	rewrite_is(p, "staging", "api/v1/key", 1, "staging/api/v1/key");
	rewrite_is(p, "staging", "special_key", 1, "staging/special");
	rewrite_is(p, "staging", "special_key2", 0, "special_key2"); /* exact rules are exact */
	rewrite_is(p, "staging", "other/x", 0, "other/x");	     /* uncovered: unchanged */
	rewrite_is(p, "staging", "db", 0, "db");		     /* "db/" is the prefix */
	ck_assert_ptr_null(rewrite(p, "dev", "db/*", -ENOENT));
	ck_assert_ptr_null(rewrite(p, "", "db/*", -ENOENT));
	p = policy_free(p);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_precedence)
{
	struct policy *p = load_ok(example);
	/* longest prefix wins, whatever the file order; an exact rule beats any prefix */
	rewrite_is(p, "prod", "db/admin/x", 1, "vault/admin/x");
	rewrite_is(p, "prod", "db/admin/root", 1, "break-glass/root");
	rewrite_is(p, "prod", "db/user", 1, "prod/db/user");
	rewrite_is(p, "prod", "api/key", 1, "prod/api/key"); /* the catch-all "*" */
	rewrite_is(p, "prod", "*", 1, "prod/*");
	rewrite_is(p, "prod", "db/a?c", 1, "prod/db/a?c"); /* the rest of a glob is kept */
	policy_free(p);
}
END_TEST

START_TEST(test_rewrite_limits)
{
	struct policy *p = load_ok("version: 1\nenv_aliases:\n  a:\n    - {pattern: 'x/*', "
				   "target: 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy/*'}\n");
	char pat[POLICY_KEY_MAX + 1];
	memset(pat, 'k', sizeof(pat) - 1);
	pat[0] = 'x';
	pat[1] = '/';
	pat[POLICY_KEY_MAX - 40] = '\0';
	ck_assert_ptr_null(rewrite(p, "a", pat, -E2BIG));
	policy_free(p);
	/* A NULL policy has no aliases. */
	ck_assert_ptr_null(rewrite(NULL, "a", "x", -ENOENT));
}
END_TEST

START_TEST(test_empty_aliases)
{
	struct policy *p = load_ok("version: 1\n");
	ck_assert_ptr_null(rewrite(p, "staging", "db/*", -ENOENT));
	policy_free(p);
	p = load_ok("---\nversion: 1\nenv_aliases: {}\n...\n");
	policy_free(p);
	p = load_ok("version: 1\nenv_aliases:\n  empty: []\n");
	rewrite_is(p, "empty", "db/x", 0, "db/x");
	policy_free(p);
}
END_TEST

START_TEST(test_origin)
{
	char *o = NULL;
	ck_assert_int_eq(policy_alias_origin("db/*", "staging/db/*", "staging/db/password", &o), 0);
	ck_assert_str_eq(o, "db/password");
	free(o);
	ck_assert_int_eq(policy_alias_origin("db/password", "staging/db/password",
					     "staging/db/password", &o),
			 0);
	ck_assert_str_eq(o, "db/password");
	free(o);
	ck_assert_int_eq(policy_alias_origin("special_key", "prod/special", "prod/special", &o), 0);
	ck_assert_str_eq(o, "special_key");
	free(o);
	ck_assert_int_eq(policy_alias_origin("a*", "ba*", "bax", &o), 0);
	ck_assert_str_eq(o, "ax");
	free(o);
	ck_assert_int_eq(policy_alias_origin("db/*", "vault/admin/*", "vault/admin/k", &o), 0);
	ck_assert_str_eq(o, "db/k");
	free(o);
	ck_assert_int_eq(policy_alias_origin("x/*", "x/*", "x/k", &o), 0); /* no alias */
	ck_assert_str_eq(o, "x/k");
	free(o);
	o = NULL;
	ck_assert_int_eq(policy_alias_origin("db/*", "staging/db/*", "prod/db/k", &o), -EINVAL);
	ck_assert_ptr_null(o);
}
END_TEST

START_TEST(test_syntax_errors)
{
	load_bad("version: 1\nenv_aliases: [\n", -EINVAL, 3, 1, "YAML syntax error");
	load_bad("version: 1\n  bad: indent\n", -EINVAL, 2, 6, "YAML syntax error");
	load_bad("version: 1\nenv_aliases: {a: \"unterminated}\n", -EINVAL, 3, 1,
		 "YAML syntax error");
	load_bad("version: 1\n---\nversion: 1\n", -EINVAL, 2, 1, "one YAML document");
	load_bad("version: 1\nx: &anchor 1\n", -EINVAL, 2, 4, "anchors");
	load_bad("a: &x [1]\nb: *x\n", -EINVAL, 1, 4, "anchors");
	load_bad("version: !!str 1\n", -EINVAL, 1, 10, "tags");
	load_bad("version: 1\nenv_aliases: !!map {}\n", -EINVAL, 2, 14, "tags");
	/* control characters are refused by libyaml's reader */
	static const char nul[] = "version: 1\nx\001: 2\n";
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(policy_load_buf(nul, sizeof(nul) - 1, &p, &err), -EINVAL);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_schema_errors)
{
	load_bad("", -EINVAL, 1, 1, "empty policy");
	load_bad("# only a comment\n", -EINVAL, 1, 1, "empty policy");
	load_bad("- 1\n- 2\n", -EINVAL, 1, 1, "must be a mapping");
	load_bad("just text\n", -EINVAL, 1, 1, "must be a mapping");
	load_bad("env_aliases: {}\n", -EINVAL, 1, 1, "missing 'version: 1'");
	load_bad("version: 2\n", -EINVAL, 1, 10, "unsupported policy version '2'");
	load_bad("version: \"1\"\n", -EINVAL, 1, 10, "unsupported policy version");
	load_bad("version: [1]\n", -EINVAL, 1, 10, "unsupported policy version");
	load_bad("version: 1\nversion: 1\n", -EINVAL, 2, 1, "duplicate key 'version'");
	load_bad("version: 1\nfoo: bar\n", -EINVAL, 2, 1, "unknown key 'foo'");
	/* the message names every key this release reads */
	load_bad("version: 1\nallowed_command: [aws]\n", -EINVAL, 2, 1,
		 "unknown key 'allowed_command' (known keys: version, default_action, "
		 "allowed_commands, denied_commands, allowed_keys, denied_keys, env_aliases, "
		 "sandbox, commands, max_concurrent_runs, mcp_folder_writes, approval, "
		 "approval_timeout, approval_channel, keys)");
	/* mcp_folder_writes: true or false, off when absent */
	struct policy *fw = load_ok("version: 1\nmcp_folder_writes: true\n");
	ck_assert(policy_mcp_folder_writes(fw));
	policy_free(fw);
	fw = load_ok("version: 1\nmcp_folder_writes: false\n");
	ck_assert(!policy_mcp_folder_writes(fw));
	policy_free(fw);
	fw = load_ok("version: 1\n");
	ck_assert(!policy_mcp_folder_writes(fw));
	policy_free(fw);
	ck_assert(!policy_mcp_folder_writes(NULL));
	load_bad("version: 1\nmcp_folder_writes: yes\n", -EINVAL, 2, 20,
		 "'mcp_folder_writes' must be true or false, not 'yes'");
	load_bad("version: 1\nmcp_folder_writes: \"true\"\n", -EINVAL, 2, 20,
		 "'mcp_folder_writes' must be true or false");
	/* the reference tool's keys are read now, not refused */
	policy_free(load_ok("version: 1\nallowed_commands: [aws]\ndefault_action: deny\n"
			    "denied_commands: [rm]\n"));
	load_bad("version: 1\n? [a]\n: b\n", -EINVAL, 2, 3, "plain strings");
	load_bad("version: 1\nenv_aliases: [a]\n", -EINVAL, 2, 14,
		 "'env_aliases' must be a mapping");
	load_bad("version: 1\nenv_aliases:\n", -EINVAL, 2, 13, "'env_aliases' must be a mapping");
	load_bad("version: 1\nenv_aliases:\n  dev: {pattern: a, target: b}\n", -EINVAL, 3, 8,
		 "must be a list");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - a\n", -EINVAL, 4, 7,
		 "an alias rule must be a mapping");
	load_bad("version: 1\nenv_aliases:\n  dev: []\n  dev: []\n", -EINVAL, 4, 3,
		 "duplicate key 'dev'");
	load_bad("version: 1\nenv_aliases:\n  'bad name': []\n", -EINVAL, 3, 3,
		 "alias name 'bad name'");
	load_bad("version: 1\nenv_aliases:\n  '': []\n", -EINVAL, 3, 3, "alias name");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'a/*'}\n", -EINVAL, 4, 7,
		 "missing 'target'");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {target: 'a/*'}\n", -EINVAL, 4, 7,
		 "missing 'pattern'");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: a, target: b, x: c}\n", -EINVAL,
		 4, 31, "unknown key 'x' in an alias rule");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: a, pattern: a, target: b}\n",
		 -EINVAL, 4, 20, "duplicate key 'pattern'");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: [a], target: b}\n", -EINVAL, 4,
		 17, "'pattern' must be a scalar");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'db/*', target: 'x'}\n",
		 -EINVAL, 4, 33, "must end with '*'");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'db', target: 'x/*'}\n",
		 -EINVAL, 4, 31, "must not end with '*'");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'd*b', target: 'x'}\n", -EINVAL,
		 4, 17, "only [A-Za-z0-9._/-]");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'a?', target: 'x'}\n", -EINVAL,
		 4, 17, "only [A-Za-z0-9._/-]");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: '', target: 'x'}\n", -EINVAL, 4,
		 17, "pattern must be 1-256");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'a//b', target: 'x'}\n",
		 -EINVAL, 4, 17, "segment");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: '/a', target: 'x'}\n", -EINVAL,
		 4, 17, "segment");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'a/../*', target: 'x/*'}\n",
		 -EINVAL, 4, 17, "segment");
	load_bad("version: 1\nenv_aliases:\n  dev:\n    - {pattern: 'a', target: 'x/.'}\n", -EINVAL,
		 4, 30, "segment");
	load_bad("version: 1\nenv_aliases:\n  dev:\n"
		 "    - {pattern: 'a/*', target: 'x/*'}\n"
		 "    - {pattern: 'a/*', target: 'y/*'}\n",
		 -EINVAL, 5, 17, "duplicate pattern 'a/*' in alias 'dev'");
	/* hostile bytes are not echoed raw */
	load_bad("version: 1\n\"\\e[31mkey\": 1\n", -EINVAL, 2, 1, "unknown key '?[31mkey'");
}
END_TEST

START_TEST(test_prefix_segments_ok)
{
	/* a prefix may end inside a segment, and '.' may start one */
	struct policy *p = load_ok("version: 1\nenv_aliases:\n  d:\n"
				   "    - {pattern: 'db/pass*', target: 'x/db/pass*'}\n"
				   "    - {pattern: '.env', target: 'x/.env'}\n");
	rewrite_is(p, "d", "db/password", 1, "x/db/password");
	rewrite_is(p, "d", ".env", 1, "x/.env");
	policy_free(p);
}
END_TEST

static char *repeat(const char *unit, size_t n, const char *head, const char *tail)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_puts(&b, head), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(buf_puts(&b, unit), 0);
	ck_assert_int_eq(buf_puts(&b, tail), 0);
	return buf_detach(&b);
}

START_TEST(test_limits)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	char *y;

	/* deep nesting: flow lists deeper than the limit */
	y = repeat("[", POLICY_DEPTH_MAX + 5, "version: 1\nx: ", "");
	ck_assert_int_eq(policy_load_buf(y, strlen(y), &p, &err), -E2BIG);
	ck_assert_int_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "nesting deeper"));
	free(y);

	/* a huge flow list: too many nodes */
	y = repeat("1,", POLICY_NODES_MAX + 10, "version: 1\nx: [", "1]\n");
	ck_assert_int_eq(policy_load_buf(y, strlen(y), &p, &err), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "nodes"));
	free(y);

	/* a long string */
	y = repeat("a", POLICY_STRING_MAX + 1, "version: 1\nx: ", "\n");
	ck_assert_int_eq(policy_load_buf(y, strlen(y), &p, &err), -E2BIG);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 4);
	free(y);

	/* more than POLICY_FILE_MAX bytes (of comments) */
	y = repeat("#23456789\n", POLICY_FILE_MAX / 10 + 1, "version: 1\n", "");
	ck_assert_int_eq(policy_load_buf(y, strlen(y), &p, &err), -E2BIG);
	free(y);

	/* too many aliases */
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_puts(&b, "version: 1\nenv_aliases:\n"), 0);
	for (int i = 0; i <= POLICY_ALIASES_MAX; i++)
		ck_assert_int_eq(buf_printf(&b, "  a%d: []\n", i), 0);
	ck_assert_int_eq(policy_load_buf(b.data, b.len, &p, &err), -E2BIG);
	ck_assert_int_eq(err.line, 3);
	ck_assert_ptr_nonnull(strstr(err.msg, "aliases"));
	buf_release(&b);

	/* exactly the maximum is fine */
	buf_init(&b);
	ck_assert_int_eq(buf_puts(&b, "version: 1\nenv_aliases:\n"), 0);
	for (int i = 0; i < POLICY_ALIASES_MAX; i++)
		ck_assert_int_eq(
			buf_printf(&b, "  a%d: [{pattern: 'k%d/*', target: 'e/k%d/*'}]\n", i, i, i),
			0);
	ck_assert_int_eq(policy_load_buf(b.data, b.len, &p, &err), 0);
	rewrite_is(p, "a63", "k63/x", 1, "e/k63/x");
	p = policy_free(p);
	buf_release(&b);

	/* too many rules in one alias */
	buf_init(&b);
	ck_assert_int_eq(buf_puts(&b, "version: 1\nenv_aliases:\n  big:\n"), 0);
	for (int i = 0; i <= POLICY_ALIAS_RULES_MAX; i++)
		ck_assert_int_eq(buf_printf(&b, "    - {pattern: p%d, target: t%d}\n", i, i), 0);
	ck_assert_int_eq(policy_load_buf(b.data, b.len, &p, &err), -E2BIG);
	ck_assert_int_eq(err.line, 4);
	ck_assert_ptr_nonnull(strstr(err.msg, "rules"));
	buf_release(&b);

	/* a rule pattern longer than a key */
	y = repeat("a", POLICY_KEY_MAX + 1,
		   "version: 1\nenv_aliases:\n  d:\n    - {pattern: ", ", target: b}\n");
	ck_assert_int_eq(policy_load_buf(y, strlen(y), &p, &err), -EINVAL);
	ck_assert_int_eq(err.line, 4);
	ck_assert_int_eq(err.column, 17);
	free(y);
	ck_assert_ptr_null(p);
}
END_TEST

/* ---- files -------------------------------------------------------------------------------- */

static char tmpdir[64];

static void setup_dir(void)
{
	strcpy(tmpdir, "/tmp/test_policy.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *write_file(const char *name, const char *content, mode_t mode)
{
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", tmpdir, name), 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fd_write_all(fd, content, strlen(content)), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

START_TEST(test_file_ok)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	char *path = write_file("policy.yaml", example, 0600);
	ck_assert_int_eq(policy_load(path, &p, &err), 0);
	rewrite_is(p, "staging", "db/x", 1, "staging/db/x");
	policy_free(p);
	free(path);
	/* stricter than 0600 is fine */
	static const mode_t fine[] = { 0400, 0200, 0700, 0500 };
	for (size_t i = 0; i < ARRAY_SIZE(fine); i++) {
		path = write_file("ro.yaml", "version: 1\n", fine[i]);
		ck_assert_msg(policy_load(path, &p, &err) == 0, "mode %o: %s", fine[i], err.msg);
		policy_free(p);
		free(path);
	}
}
END_TEST

START_TEST(test_file_errors)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	char *path, *link = NULL;

	/* a parse error is reported as path:line:column */
	path = write_file("bad.yaml", "version: 1\nnope: 1\n", 0600);
	ck_assert_int_eq(policy_load(path, &p, &err), -EINVAL);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad.yaml:2:1: unknown key 'nope'"));
	free(path);

	/* any permission bit for group or others: 0600 or stricter only, like the reference */
	path = write_file("gw.yaml", "version: 1\n", 0620);
	ck_assert_int_eq(policy_load(path, &p, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "writable by group or others (mode 0620"));
	char *hint = NULL;
	ck_assert_int_ge(asprintf(&hint, "run 'chmod 600 %s'", path), 0);
	ck_assert_msg(strstr(err.msg, hint), "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	static const struct {
		mode_t mode;
		const char *what;
	} unsafe[] = {
		{ 0602, "writable by group or others (mode 0602" },
		{ 0644, "readable by group or others (mode 0644" },
		{ 0640, "readable by group or others (mode 0640" },
		{ 0604, "readable by group or others (mode 0604" },
		{ 0610, "accessible by group or others (mode 0610" },
		{ 0601, "accessible by group or others (mode 0601" },
		{ 0666, "writable by group or others (mode 0666" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(unsafe); i++) {
		ck_assert_int_eq(chmod(path, unsafe[i].mode), 0);
		ck_assert_int_eq(policy_load(path, &p, &err), -EACCES);
		ck_assert_msg(strstr(err.msg, unsafe[i].what) && strstr(err.msg, hint) &&
				      strstr(err.msg, "0600 or stricter"),
			      "mode %o: %s", unsafe[i].mode, err.msg);
	}
	free(hint);

	/* a symlink, even to a good file */
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_ge(asprintf(&link, "%s/link.yaml", tmpdir), 0);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(policy_load(link, &p, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.msg, "symbolic link"));
	free(link);

	/* owned by someone else (tests run as root here; skip the check otherwise) */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path, 4242, 4242), 0);
		ck_assert_int_eq(policy_load(path, &p, &err), -EACCES);
		ck_assert_ptr_nonnull(strstr(err.msg, "owned by uid 4242"));
	}
	free(path);

	/* not a regular file */
	ck_assert_int_eq(policy_load(tmpdir, &p, &err), -EACCES);
	ck_assert_int_ge(asprintf(&path, "%s/fifo", tmpdir), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(policy_load(path, &p, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	free(path);

	/* absent */
	ck_assert_int_ge(asprintf(&path, "%s/none.yaml", tmpdir), 0);
	ck_assert_int_eq(policy_load(path, &p, &err), -ENOENT);
	free(path);

	/* too large */
	char *big = repeat("#23456789\n", POLICY_FILE_MAX / 10 + 1, "version: 1\n", "");
	path = write_file("big.yaml", big, 0600);
	ck_assert_int_eq(policy_load(path, &p, &err), -E2BIG);
	free(big);
	free(path);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_load_default)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	char *used = NULL, *path;

	unsetenv(POLICY_ENV);
	/* no file in the vault dir: empty policy */
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, 0, &p, &used, &err), 0);
	ck_assert_ptr_nonnull(strstr(used, "/mcp-policy.yaml"));
	ck_assert_ptr_null(rewrite(p, "staging", "db/x", -ENOENT));
	p = policy_free(p);
	free(used);
	ck_assert_int_eq(policy_load_default(NULL, NULL, 0, &p, NULL, &err), -EINVAL);

	/* the vault dir's file */
	path = write_file("policy.yaml", example, 0600);
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, 0, &p, NULL, &err), 0);
	rewrite_is(p, "staging", "db/x", 1, "staging/db/x");
	p = policy_free(p);
	free(path);

	/* $SECRETCTL_POLICY wins; a missing file named there is an error */
	path = write_file("other.yaml",
			  "version: 1\nenv_aliases: {dev: [{pattern: 'a', "
			  "target: 'dev/a'}]}\n",
			  0600);
	setenv(POLICY_ENV, path, 1);
	ck_assert_int_eq(policy_load_default(NULL, NULL, 0, &p, &used, &err), 0);
	ck_assert_str_eq(used, path);
	rewrite_is(p, "dev", "a", 1, "dev/a");
	ck_assert_ptr_null(rewrite(p, "staging", "db/x", -ENOENT));
	p = policy_free(p);
	free(used);
	free(path);
	setenv(POLICY_ENV, "/nonexistent/policy.yaml", 1);
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, 0, &p, NULL, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "SECRETCTL_POLICY"));
	unsetenv(POLICY_ENV);
}
END_TEST

START_TEST(test_load_default_order)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	char *used = NULL, *want;
	unsetenv(POLICY_ENV);

	/* REQUIRED and no file: -ENOENT naming the file to create and the chmod */
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, POLICY_LOAD_REQUIRED, &p, &used, &err),
			 -ENOENT);
	ck_assert_ptr_null(p);
	ck_assert_ptr_null(used);
	want = NULL;
	ck_assert_int_ge(asprintf(&want, "create %s/mcp-policy.yaml", tmpdir), 0);
	ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
	free(want);

	/* the legacy name is read when mcp-policy.yaml is absent, and named */
	free(write_file("policy.yaml", "version: 1\nenv_aliases: {old: []}\n", 0600));
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, POLICY_LOAD_REQUIRED, &p, &used, &err),
			 0);
	ck_assert_ptr_nonnull(strstr(used, "/policy.yaml"));
	ck_assert_ptr_null(strstr(used, "mcp-policy"));
	rewrite_is(p, "old", "x", 0, "x");
	p = policy_free(p);
	free(used);

	/* mcp-policy.yaml wins over policy.yaml */
	free(write_file("mcp-policy.yaml", "version: 1\nenv_aliases: {new: []}\n", 0600));
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, 0, &p, &used, &err), 0);
	ck_assert_ptr_nonnull(strstr(used, "/mcp-policy.yaml"));
	rewrite_is(p, "new", "x", 0, "x");
	ck_assert_ptr_null(rewrite(p, "old", "x", -ENOENT));
	p = policy_free(p);
	free(used);

	/* an unsafe mcp-policy.yaml is an error, never a fall-back to policy.yaml */
	char *m = NULL;
	ck_assert_int_ge(asprintf(&m, "%s/mcp-policy.yaml", tmpdir), 0);
	ck_assert_int_eq(chmod(m, 0644), 0);
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, 0, &p, NULL, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
	ck_assert_int_eq(chmod(m, 0600), 0);

	/* --policy wins over $SECRETCTL_POLICY, which wins over the vault directory */
	char *env = write_file("env.yaml", "version: 1\nenv_aliases: {env: []}\n", 0600);
	char *expl = write_file("expl.yaml", "version: 1\nenv_aliases: {expl: []}\n", 0600);
	setenv(POLICY_ENV, env, 1);
	ck_assert_int_eq(policy_load_default(tmpdir, NULL, 0, &p, &used, &err), 0);
	ck_assert_str_eq(used, env);
	p = policy_free(p);
	free(used);
	ck_assert_int_eq(policy_load_default(NULL, expl, 0, &p, &used, &err), 0);
	ck_assert_str_eq(used, expl);
	rewrite_is(p, "expl", "x", 0, "x");
	p = policy_free(p);
	free(used);
	/* a missing --policy file is an error naming --policy, even without REQUIRED */
	ck_assert_int_eq(policy_load_default(tmpdir, "/nonexistent/p.yaml", 0, &p, NULL, &err),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/p.yaml (from --policy)"));
	/* an empty --policy means "not given" */
	ck_assert_int_eq(policy_load_default(tmpdir, "", 0, &p, &used, &err), 0);
	ck_assert_str_eq(used, env);
	p = policy_free(p);
	free(used);
	unsetenv(POLICY_ENV);
	free(env);
	free(expl);
	free(m);
}
END_TEST

/* ---- environment names -------------------------------------------------------------------- */

static void env_is(const char *key, const char *prefix, const char *want)
{
	char *out = NULL;
	int r = policy_env_name(key, prefix, &out);
	ck_assert_msg(r == 0, "policy_env_name(%s) = %d", key, r);
	ck_assert_str_eq(out, want);
	free(out);
}

static void env_bad(const char *key, const char *prefix)
{
	char *out = NULL;
	ck_assert_int_eq(policy_env_name(key, prefix, &out), -EINVAL);
	ck_assert_ptr_null(out);
}

START_TEST(test_env_name)
{
	env_is("db/password", NULL, "DB_PASSWORD");
	env_is("aws/access-key.id", NULL, "AWS_ACCESS_KEY_ID");
	env_is("API_KEY", NULL, "API_KEY");
	env_is("Mixed/Case9", "", "MIXED_CASE9");
	env_is("db/password", "APP_", "APP_DB_PASSWORD");
	env_is("1password", "X_", "X_1PASSWORD");
	env_is("_x", NULL, "_X");
	env_is(".env", NULL, "_ENV");
	env_bad("", NULL);
	env_bad("1password", NULL); /* would start with a digit */
	env_bad("db/pass word", NULL);
	env_bad("db/*", NULL);
	env_bad("a", "app_"); /* prefix must already be upper-case */
	env_bad("a", "A-");
	env_bad("a", "9");  /* nor start with a digit */
	env_bad("a", "A/"); /* a prefix is not mapped like a key */
	char longkey[ENV_NAME_MAX + 2];
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	env_bad(longkey, NULL);
	longkey[ENV_NAME_MAX] = '\0';
	char *out = NULL;
	ck_assert_int_eq(policy_env_name(longkey, NULL, &out), 0);
	free(out);
	env_bad(longkey, "P_");
}
END_TEST

START_TEST(test_env_check)
{
	static const char *const reserved[] = {
		"PATH",
		"HOME",
		"USER",
		"LOGNAME",
		"SHELL",
		"TERM",
		"TZ",
		"TMPDIR",
		"LANG",
		"LC_ALL",
		"LC_CTYPE",
		"PWD",
		"IFS",
		"LD_PRELOAD",
		"LD_LIBRARY_PATH",
		"LD_AUDIT",
		"BASH_ENV",
		"ENV",
		"PROMPT_COMMAND",
		"PYTHONSTARTUP",
		"PYTHONPATH",
		"NODE_OPTIONS",
		"PERL5OPT",
		"RUBYOPT",
		"SECRETCTL_PASSWORD",
		"SECRETCTL_POLICY",
		"GCONV_PATH",
		"GLIBC_TUNABLES",
		"BASH_FUNC_x",
		"GIT_SSH_COMMAND",
		"GIT_CONFIG_COUNT",
		"JAVA_TOOL_OPTIONS",
		"CDPATH",
		"PS4",
	};
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		int r = policy_env_check(reserved[i]);
		ck_assert_msg(r == -EACCES, "%s: %d", reserved[i], r);
	}
	/* The name is checked first: an exported bash function's real name is not a valid one. */
	ck_assert_int_eq(policy_env_check("BASH_FUNC_x%%"), -EINVAL);
	ck_assert_int_eq(policy_env_check("APP_PATH"), 0);
	ck_assert_int_eq(policy_env_check("DB_PASSWORD"), 0);
	ck_assert_int_eq(policy_env_check("PATHS"), 0); /* exact names are exact */
	/* The one list: what the policy reserves is what the supervisor never passes. */
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		ck_assert(env_name_denied(reserved[i]));
	ck_assert_int_eq(policy_env_check("my_var"), 0);
	ck_assert_int_eq(policy_env_check("LC"), 0);
	ck_assert_int_eq(policy_env_check(""), -EINVAL);
	ck_assert_int_eq(policy_env_check("1A"), -EINVAL);
	ck_assert_int_eq(policy_env_check("A=B"), -EINVAL);
	ck_assert_int_eq(policy_env_check("A B"), -EINVAL);
	ck_assert_int_eq(policy_env_check(NULL), -EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_rewrite_limits);
	tcase_add_test(tc, test_empty_aliases);
	tcase_add_test(tc, test_origin);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_schema_errors);
	tcase_add_test(tc, test_prefix_segments_ok);
	tcase_add_test(tc, test_limits);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	TCase *tf = tcase_create("files");
	tcase_add_checked_fixture(tf, setup_dir, teardown_dir);
	tcase_add_test(tf, test_file_ok);
	tcase_add_test(tf, test_file_errors);
	tcase_add_test(tf, test_load_default);
	tcase_add_test(tf, test_load_default_order);
	suite_add_tcase(s, tf);

	TCase *te = tcase_create("env");
	tcase_add_test(te, test_env_name);
	tcase_add_test(te, test_env_check);
	suite_add_tcase(s, te);

	return s;
}
