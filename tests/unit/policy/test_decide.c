/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of policy/decide.c: resolving argv[0], every match form of command entries, the
 * order of rules, the built-in denies (and the tricks around them), sandbox merging, key scopes.
 * Each test gets a scratch directory with fake executables, symlinks and a controlled PATH. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "policy/policy.h"
#include "tests/unit/policy/policy-util.h"
#include "tests/unit/unit.h"

static char *bin, *bin2, *work, *other, *search;

static void exe(const char *rel)
{
	free(pu_write(rel, "#!/bin/sh\nexit 0\n", 0755));
}

static void lnk(const char *target, const char *rel)
{
	char *p = pu_path(rel);
	ck_assert_msg(symlink(target, p) == 0, "symlink %s", p);
	free(p);
}

static void setup(void)
{
	pu_dir_setup();
	static const char *const dirs[] = { "bin", "bin2", "work", "work/sub", "other" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *p = pu_path(dirs[i]);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		free(p);
	}
	static const char *const exes[] = {
		"bin/npm",	 "bin/node",	  "bin/python3.11", "bin/psql",	    "bin/rm",
		"bin/env",	 "bin/printenv",  "bin/bash",	    "bin/dash",	    "bin/fish",
		"bin/busybox",	 "bin/coreutils", "bin/nice",	    "bin/sudo",	    "bin/ls",
		"bin/cat",	 "bin/bash5.2",	  "bin/curl",	    "bin/grep",	    "bin2/npm",
		"bin/secretctl", "bin2/only2",	  "work/deploy.sh", "work/test.sh", "bin/git",
		"bin/timeout",
	};
	for (size_t i = 0; i < ARRAY_SIZE(exes); i++)
		exe(exes[i]);
	free(pu_write("bin/notexec", "data\n", 0644));
	lnk("python3.11", "bin/python");
	lnk("python3.11", "bin/python3");
	lnk("bash", "bin/sh");
	lnk("env", "bin/foo");
	lnk("../bin/bash", "work/npm");
	lnk("/proc/self/environ", "work/e");
	char *env = pu_path("bin/env"), *hl = pu_path("bin/hl");
	ck_assert_int_eq(link(env, hl), 0);
	free(env);
	free(hl);
	bin = pu_path("bin");
	bin2 = pu_path("bin2");
	work = pu_path("work");
	other = pu_path("other");
	ck_assert_int_ge(asprintf(&search, "%s:%s", bin, bin2), 0);
}

static void teardown(void)
{
	free(bin);
	free(bin2);
	free(work);
	free(other);
	free(search);
	pu_dir_teardown();
}

static struct policy_decision d;

/* Judge cmd (words split at spaces) run in cwd with PATH `search`; fills d. */
static void judge_in(const struct policy *p, const char *cwd, const char *path, const char *cmd)
{
	char *copy = strdup(cmd), *save = NULL, *argv[64];
	size_t n = 0;
	ck_assert_ptr_nonnull(copy);
	for (char *w = strtok_r(copy, " ", &save); w && n < 63; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	struct policy_request rq = { .argv = argv, .cwd = cwd, .path = path };
	struct reterr err = RETERR_INIT;
	memset(&d, 0x5a, sizeof(d));
	int r = policy_decide(p, &rq, &d, &err);
	ck_assert_msg(r == 0, "policy_decide(%s) = %d: %s", cmd, r, err.msg);
	free(copy);
}

static void judge(const struct policy *p, const char *cmd)
{
	judge_in(p, work, search, cmd);
}

static void verdict(const struct policy *p, const char *cmd, enum policy_verdict v,
		    enum policy_rule_kind k)
{
	judge(p, cmd);
	ck_assert_msg(d.verdict == v && d.kind == k, "'%s': verdict %d kind %d (%s), want %d %d",
		      cmd, d.verdict, d.kind, d.rule, v, k);
}

static void rule_is(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rule_is(const char *fmt, ...)
{
	char want[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	ck_assert_str_eq(d.rule, want);
}

static void rule_has(const char *needle)
{
	ck_assert_msg(strstr(d.rule, needle), "rule '%s' lacks '%s'", d.rule, needle);
}

static void resolved_is(const char *rel)
{
	char *want = pu_path(rel);
	ck_assert_str_eq(d.resolved, want);
	free(want);
}

/* ---- resolving argv[0] -------------------------------------------------------------------- */

START_TEST(test_resolve)
{
	verdict(NULL, "npm test", POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("bin/npm"); /* bin before bin2 */
	verdict(NULL, "only2", POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("bin2/only2");
	verdict(NULL, "python", POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("bin/python3.11"); /* symlink-free */
	verdict(NULL, "./deploy.sh", POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("work/deploy.sh");
	verdict(NULL, "sub/../deploy.sh", POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("work/deploy.sh");
	verdict(NULL, "./npm", POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("bin/bash");
	char *abs = pu_path("bin2/npm");
	verdict(NULL, abs, POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("bin2/npm");
	free(abs);
	ck_assert_int_eq(d.command_index, -1);

	/* not found: each kind of miss */
	verdict(NULL, "nosuch", POLICY_DENY, POLICY_RULE_NOT_FOUND);
	rule_is("not found: no executable 'nosuch' in PATH");
	ck_assert_str_eq(d.resolved, "");
	verdict(NULL, "./nosuch", POLICY_DENY, POLICY_RULE_NOT_FOUND);
	rule_is("not found: './nosuch' is not an executable file");
	verdict(NULL, "notexec", POLICY_DENY, POLICY_RULE_NOT_FOUND);
	verdict(NULL, "sub", POLICY_DENY, POLICY_RULE_NOT_FOUND);	/* not in PATH */
	verdict(NULL, "./sub", POLICY_DENY, POLICY_RULE_NOT_FOUND);	/* a directory */
	verdict(NULL, "deploy.sh", POLICY_DENY, POLICY_RULE_NOT_FOUND); /* bare: PATH only */

	/* PATH entries that are not absolute (empty = the cwd) are skipped */
	judge_in(NULL, work, ":.:work", "deploy.sh");
	ck_assert_int_eq(d.kind, POLICY_RULE_NOT_FOUND);
	judge_in(NULL, work, "", "npm");
	ck_assert_int_eq(d.kind, POLICY_RULE_NOT_FOUND);

	/* no PATH given: the default one */
	struct stat st;
	if (stat("/usr/bin/true", &st) == 0 || stat("/bin/true", &st) == 0) {
		judge_in(NULL, "/", NULL, "true");
		ck_assert_int_eq(d.kind, POLICY_RULE_DEFAULT);
		ck_assert_msg(d.resolved[0] == '/' && strstr(d.resolved, "true"), "%s", d.resolved);
	}

	/* hostile argv[0]: control bytes are not echoed, huge names do not overflow */
	verdict(NULL, "\x1b[31mx", POLICY_DENY, POLICY_RULE_NOT_FOUND);
	rule_is("not found: no executable '?[31mx' in PATH");
	char huge[PATH_MAX * 2];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	verdict(NULL, huge, POLICY_DENY, POLICY_RULE_NOT_FOUND);
	ck_assert_uint_lt(strlen(d.rule), POLICY_RULE_MAX);
	ck_assert_ptr_nonnull(strstr(d.rule, "..."));
	huge[0] = '/';
	verdict(NULL, huge, POLICY_DENY, POLICY_RULE_NOT_FOUND);
}
END_TEST

START_TEST(test_decide_errors)
{
	struct policy_decision keep;
	struct reterr err = RETERR_INIT;
	char *argv[] = { (char *)"npm", NULL }, *empty[] = { NULL };
	struct policy_request rq = { .argv = argv, .cwd = work, .path = search };
	memset(&keep, 0x33, sizeof(keep));
	d = keep;
	rq.argv = empty;
	ck_assert_int_eq(policy_decide(NULL, &rq, &d, &err), -EINVAL);
	rq.argv = NULL;
	ck_assert_int_eq(policy_decide(NULL, &rq, &d, &err), -EINVAL);
	rq.argv = argv;
	rq.cwd = "work";
	ck_assert_int_eq(policy_decide(NULL, &rq, &d, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "absolute"));
	rq.cwd = NULL;
	ck_assert_int_eq(policy_decide(NULL, &rq, &d, &err), -EINVAL);
	ck_assert_int_eq(policy_decide(NULL, NULL, &d, &err), -EINVAL);
	ck_assert_int_eq(memcmp(&d, &keep, sizeof(d)), 0); /* written only on success */

	/* POLICY_ARGV_MAX arguments are judged, one more is refused */
	char **many = calloc(POLICY_ARGV_MAX + 2, sizeof(*many));
	ck_assert_ptr_nonnull(many);
	for (size_t i = 0; i <= POLICY_ARGV_MAX; i++)
		many[i] = (char *)"x";
	many[0] = (char *)"npm";
	rq = (struct policy_request){ .argv = many, .cwd = work, .path = search };
	ck_assert_int_eq(policy_decide(NULL, &rq, &d, &err), -E2BIG);
	many[POLICY_ARGV_MAX] = NULL;
	ck_assert_int_eq(policy_decide(NULL, &rq, &d, &err), 0);
	ck_assert_int_eq(d.kind, POLICY_RULE_DEFAULT);
	free(many);
}
END_TEST

/* ---- entries ------------------------------------------------------------------------------ */

START_TEST(test_bare_and_leading_words)
{
	struct policy *p = pu_load_ok("version: 1\nallowed_commands:\n  - npm test\n  - node\n"
				      "  - git log --oneline\n");
	verdict(p, "npm test", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	rule_is("allowed_commands: 'npm test' (line 3)");
	verdict(p, "npm test --watch", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	verdict(p, "npm run test", POLICY_DENY, POLICY_RULE_DEFAULT);
	rule_is("default_action: deny (no allowed_commands entry matches '%s/npm run')", bin);
	verdict(p, "npm", POLICY_DENY, POLICY_RULE_DEFAULT);
	rule_is("default_action: deny (no allowed_commands entry matches '%s/npm')", bin);
	verdict(p, "npm tes", POLICY_DENY, POLICY_RULE_DEFAULT);
	verdict(p, "npm Test", POLICY_DENY, POLICY_RULE_DEFAULT);
	verdict(p, "npm testing", POLICY_DENY, POLICY_RULE_DEFAULT);
	verdict(p, "node", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	rule_is("allowed_commands: 'node' (line 4)");
	verdict(p, "node -e 1", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	verdict(p, "git log --oneline -5", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	verdict(p, "git log", POLICY_DENY, POLICY_RULE_DEFAULT);
	verdict(p, "git --oneline log", POLICY_DENY, POLICY_RULE_DEFAULT);
	/* by basename: any file named npm, wherever it was reached */
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "%s/npm test", bin2), 0);
	verdict(p, cmd, POLICY_ALLOW, POLICY_RULE_ALLOWED);
	free(cmd);
	ck_assert_int_ge(asprintf(&cmd, "%s/../bin/npm test", bin2), 0);
	verdict(p, cmd, POLICY_ALLOW, POLICY_RULE_ALLOWED);
	free(cmd);
	/* a local ./npm that is really bash is not "npm" */
	verdict(p, "./npm test", POLICY_DENY, POLICY_RULE_DEFAULT);
	resolved_is("bin/bash");
	policy_free(p);
}
END_TEST

START_TEST(test_symlinked_interpreter)
{
	struct policy *p = pu_load_ok("version: 1\nallowed_commands: [python, psql]\n");
	/* python -> python3.11: every name of that file is "python" */
	verdict(p, "python -m pytest", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	resolved_is("bin/python3.11");
	rule_is("allowed_commands: 'python' (line 2)");
	verdict(p, "python3 x.py", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	verdict(p, "python3.11", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "%s/python3.11 -V", bin), 0);
	verdict(p, cmd, POLICY_ALLOW, POLICY_RULE_ALLOWED);
	free(cmd);
	verdict(p, "node", POLICY_DENY, POLICY_RULE_DEFAULT);
	policy_free(p);
	/* the same rule denies */
	p = pu_load_ok("version: 1\ndefault_action: allow\ndenied_commands: [python]\n");
	verdict(p, "python3 -V", POLICY_DENY, POLICY_RULE_DENIED);
	rule_is("denied_commands: 'python' (line 3)");
	verdict(p, "psql", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	rule_is("default_action: allow (no denied_commands or allowed_commands entry matches "
		"'%s/psql')",
		bin);
	policy_free(p);
}
END_TEST

START_TEST(test_path_entries)
{
	struct buf y = BUF_INIT;
	ck_assert_int_eq(buf_printf(&y,
				    "version: 1\nallowed_commands:\n  - ./deploy.sh\n"
				    "  - %s/psql\n  - bin/git\n  - ./test.sh --ci\n",
				    bin),
			 0);
	struct policy *p = pu_load_ok(y.data);
	buf_release(&y);
	verdict(p, "./deploy.sh prod", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	rule_is("allowed_commands: './deploy.sh' (line 3)");
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "%s/deploy.sh", work), 0);
	verdict(p, cmd, POLICY_ALLOW, POLICY_RULE_ALLOWED);
	free(cmd);
	verdict(p, "sub/../deploy.sh", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	/* relative entries resolve against the run's cwd: elsewhere, ./deploy.sh is another file */
	judge_in(p, other, search, "../work/deploy.sh");
	ck_assert_int_eq(d.verdict, POLICY_DENY);
	ck_assert_int_eq(d.kind, POLICY_RULE_DEFAULT);
	/* an absolute entry matches the file however it is reached */
	verdict(p, "psql -c select", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	ck_assert_ptr_nonnull(strstr(d.rule, "/bin/psql' (line 4)"));
	/* "bin/git" names <cwd>/bin/git */
	judge_in(p, pu_dir(), search, "git status");
	ck_assert_int_eq(d.verdict, POLICY_ALLOW);
	verdict(p, "git status", POLICY_DENY, POLICY_RULE_DEFAULT); /* cwd work: no work/bin/git */
	/* leading words after a path entry */
	verdict(p, "./test.sh --ci -v", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	verdict(p, "./test.sh", POLICY_DENY, POLICY_RULE_DEFAULT);
	/* relative entries trust the run's directory: in other/, ./deploy.sh is other/deploy.sh,
	 * whatever that is (docs/policy.md says to prefer absolute entries) */
	char *link = pu_path("other/deploy.sh");
	ck_assert_int_eq(symlink("../bin/ls", link), 0);
	judge_in(p, other, search, "./deploy.sh");
	ck_assert_int_eq(d.verdict, POLICY_ALLOW);
	resolved_is("bin/ls");
	free(link);
	policy_free(p);
	/* a symlink entry is the file it points to */
	lnk("deploy.sh", "work/deploy-link");
	p = pu_load_ok("version: 1\ndenied_commands: [./deploy-link]\ndefault_action: allow\n");
	verdict(p, "./deploy.sh", POLICY_DENY, POLICY_RULE_DENIED);
	verdict(p, "./test.sh", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	policy_free(p);
}
END_TEST

START_TEST(test_order)
{
	struct policy *p = pu_load_ok("version: 1\n"
				      "allowed_commands: [npm, npm test, git]\n"
				      "denied_commands:\n"
				      "  - git push\n"
				      "  - rm\n"
				      "  - npm publish\n");
	/* denied before allowed, whatever the order in the file */
	verdict(p, "git push origin", POLICY_DENY, POLICY_RULE_DENIED);
	rule_is("denied_commands: 'git push' (line 4)");
	verdict(p, "git pull", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	rule_is("allowed_commands: 'git' (line 2)");
	verdict(p, "npm publish", POLICY_DENY, POLICY_RULE_DENIED);
	rule_is("denied_commands: 'npm publish' (line 6)");
	/* the first matching entry is the one named */
	verdict(p, "npm test", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	rule_is("allowed_commands: 'npm' (line 2)");
	verdict(p, "rm -rf x", POLICY_DENY, POLICY_RULE_DENIED);
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "%s/rm x", bin), 0);
	verdict(p, cmd, POLICY_DENY, POLICY_RULE_DENIED);
	free(cmd);
	verdict(p, "node", POLICY_DENY, POLICY_RULE_DEFAULT);
	policy_free(p);

	/* default_action allow: still denied_commands and the built-ins */
	p = pu_load_ok("version: 1\ndefault_action: allow\ndenied_commands: [rm]\n");
	verdict(p, "node x", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	verdict(p, "rm x", POLICY_DENY, POLICY_RULE_DENIED);
	verdict(p, "printenv", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "nosuch", POLICY_DENY, POLICY_RULE_NOT_FOUND);
	policy_free(p);

	/* an empty policy denies everything */
	p = pu_load_ok("version: 1\n");
	verdict(p, "npm", POLICY_DENY, POLICY_RULE_DEFAULT);
	policy_free(p);
}
END_TEST

/* ---- built-in denies ---------------------------------------------------------------------- */

START_TEST(test_builtin_env)
{
	struct policy *p = pu_load_ok("version: 1\ndefault_action: allow\n"
				      "allowed_commands: [env, printenv]\n");
	/* even when listed */
	verdict(p, "env", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'env' prints the environment");
	verdict(p, "printenv HOME", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'printenv' prints the environment");
	verdict(p, "env npm test", POLICY_DENY, POLICY_RULE_BUILTIN);
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "%s/env", bin), 0);
	verdict(p, cmd, POLICY_DENY, POLICY_RULE_BUILTIN);
	free(cmd);
	/* by name as written even when no such file exists */
	verdict(p, "/nonexistent/printenv", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "export", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "set", POLICY_DENY, POLICY_RULE_BUILTIN);
	/* a symlink with another name */
	verdict(p, "foo", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'foo' (the file is %s/env) prints the environment", bin);
	/* a hard link with another name */
	verdict(p, "hl", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'hl' (a hard link of 'env') prints the environment");
	/* multi-call binaries run their first argument */
	verdict(p, "busybox env", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'env' (run by 'busybox') prints the environment");
	verdict(p, "busybox printenv PATH", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "busybox ls -l", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	verdict(p, "busybox --list", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	verdict(p, "coreutils --coreutils-prog=env", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: '--coreutils-prog=env' (run by 'coreutils') prints the environment");
	verdict(p, "coreutils --coreutils-prog=ls", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	/* wrappers run their arguments */
	verdict(p, "nice env", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'env' (run by 'nice') prints the environment");
	verdict(p, "nice -n 5 printenv", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "sudo -u root timeout 5 foo", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "busybox nice env", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "nice ls", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	/* secretctl itself: by name, and by file (/proc/self/exe is this test's binary) */
	verdict(p, "secretctl get k", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'secretctl' is secretctl itself (a run must not reach the vault or "
		"start runs)");
	verdict(p, "/proc/self/exe run", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_has("is secretctl itself");
	verdict(p, "nice /proc/self/exe", POLICY_DENY, POLICY_RULE_BUILTIN);
	/* an argument named env is only a command after a wrapper */
	verdict(p, "npm run env", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	verdict(p, "git config set x", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	policy_free(p);
}
END_TEST

START_TEST(test_builtin_shell)
{
	struct policy *p = pu_load_ok("version: 1\ndefault_action: allow\n");
	static const char *const denied[] = {
		"bash -c id",
		"bash -xc id",
		"bash -ec id",
		"bash -o pipefail -c id",
		"sh -c id",
		"dash -c id",
		"bash5.2 -c id",
		"bash --command id",
		"fish -C id",
		"fish -c id",
		"fish --init-command=id",
		"busybox sh -c id",
		"busybox ash -c id",
		"nice bash -c id",
		"nice -n 5 sh -ec id",
		"timeout 5 ./npm -c id", /* ./npm is bash */
	};
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		verdict(p, denied[i], POLICY_DENY, POLICY_RULE_BUILTIN);
		rule_has("with -c runs a command line (list that shell in allowed_commands");
	}
	verdict(p, "bash -c id", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: 'bash' with -c runs a command line (list that shell in "
		"allowed_commands to allow it)");
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "%s/sh -c id", bin), 0);
	verdict(p, cmd, POLICY_DENY, POLICY_RULE_BUILTIN);
	free(cmd);
	/* a shell reached through a symlink with another name */
	verdict(p, "./npm -c id", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: './npm' (the file is %s/bash) with -c runs a command line (list that "
		"shell in allowed_commands to allow it)",
		bin);
	/* shells without -c, and -c for programs that are not shells */
	static const char *const fine[] = { "bash script.sh", "bash -C x",	"sh ./run.sh -x",
					    "grep -c x f",    "psql -c select", "busybox grep -c x",
					    "bash -",	      "nice -c 5 ls" };
	for (size_t i = 0; i < ARRAY_SIZE(fine); i++)
		verdict(p, fine[i], POLICY_ALLOW, POLICY_RULE_DEFAULT);
	/* a -c before the shell is not the shell's */
	verdict(p, "nice -c 5 bash x.sh", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	policy_free(p);
}
END_TEST

START_TEST(test_builtin_shell_listed)
{
	/* listing the shell allows its -c (sh is the same file as bash here) */
	struct policy *p = pu_load_ok("version: 1\nallowed_commands: [bash, bash5.2 build.sh]\n");
	verdict(p, "bash -c id", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	rule_is("allowed_commands: 'bash' (line 2)");
	verdict(p, "sh -c id", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	verdict(p, "dash -c id", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "bash5.2 -c id", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "bash5.2 build.sh -c release", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	/* ... but only that shell: a listed wrapper does not waive the shell it runs */
	policy_free(p);
	p = pu_load_ok("version: 1\nallowed_commands: [nice]\n");
	verdict(p, "nice ls", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	verdict(p, "nice dash -c id", POLICY_DENY, POLICY_RULE_BUILTIN);
	policy_free(p);
	p = pu_load_ok("version: 1\nallowed_commands: [nice, dash]\n");
	verdict(p, "nice dash -c id", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	policy_free(p);
	/* denied_commands still apply to a listed shell */
	p = pu_load_ok("version: 1\nallowed_commands: [bash]\ndenied_commands: [bash -c]\n");
	verdict(p, "bash -c id", POLICY_DENY, POLICY_RULE_DENIED);
	verdict(p, "bash x.sh", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	policy_free(p);
}
END_TEST

START_TEST(test_builtin_proc_environ)
{
	struct policy *p = pu_load_ok("version: 1\ndefault_action: allow\n");
	static const char *const denied[] = {
		"cat /proc/self/environ",
		"cat /proc/1/environ",
		"cat /proc/thread-self/environ",
		"cat /proc/self/task/1/environ",
		"cat //proc//self//environ",
		"cat /proc/self/./environ",
		"curl -d @/proc/self/environ",
		"grep --file=/proc/self/environ x",
		"cat /proc/self/mem",
		"cat ./e", /* a symlink to /proc/self/environ */
		"cat e",
		"cat /proc/*/environ",
	};
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		verdict(p, denied[i], POLICY_DENY, POLICY_RULE_BUILTIN);
		rule_has("reads a process's environment or memory");
	}
	verdict(p, "curl -d @/proc/self/environ", POLICY_DENY, POLICY_RULE_BUILTIN);
	rule_is("built-in: argument '@/proc/self/environ' reads a process's environment or "
		"memory");
	static const char *const fine[] = {
		"cat /proc/self/status",
		"grep --environment=prod x",
		"cat environ",
		"ls /proc",
		"cat /proc/self/environment",
		"npm run environ",
	};
	for (size_t i = 0; i < ARRAY_SIZE(fine); i++)
		verdict(p, fine[i], POLICY_ALLOW, POLICY_RULE_DEFAULT);
	/* in /proc itself, a bare "environ" is a process's */
	judge_in(p, "/proc/self", search, "cat environ");
	ck_assert_int_eq(d.kind, POLICY_RULE_BUILTIN);
	judge_in(p, "/proc", search, "cat 1/environ");
	ck_assert_int_eq(d.kind, POLICY_RULE_BUILTIN);
	policy_free(p);
}
END_TEST

/* ---- sandbox ------------------------------------------------------------------------------ */

START_TEST(test_sandbox_merge)
{
	struct policy *p = pu_load_ok("version: 1\n"
				      "default_action: allow\n"
				      "sandbox:\n"
				      "  profile: strict\n"
				      "  timeout: 5m\n"
				      "  writable: [/a]\n"
				      "  max_output: 1M\n"
				      "commands:\n"
				      "  - {match: npm test, timeout: 10m, network: deny}\n"
				      "  - {match: npm, profile: standard, writable: []}\n"
				      "  - {match: npm test --ci, memory: 1G}\n"
				      "  - {match: ./deploy.sh, allow_sockets: [/run/pg.sock]}\n");
	verdict(p, "npm test --ci", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, 0); /* the first match wins */
	ck_assert_str_eq(d.sandbox.profile, "strict");
	ck_assert_int_eq(d.sandbox.network, 1);
	ck_assert_int_eq(d.sandbox.timeout_ms, 600000);
	ck_assert_str_eq(d.sandbox.writable[0], "/a");
	ck_assert_uint_eq(d.sandbox.max_output, 1024 * 1024);
	ck_assert_uint_eq(d.sandbox.memory, 0);
	ck_assert_ptr_null(d.sandbox.sockets);

	verdict(p, "npm install", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, 1);
	ck_assert_str_eq(d.sandbox.profile, "standard");
	ck_assert_int_eq(d.sandbox.network, -1);
	ck_assert_int_eq(d.sandbox.timeout_ms, 300000);
	ck_assert_ptr_nonnull(d.sandbox.writable);
	ck_assert_ptr_null(d.sandbox.writable[0]); /* overridden with none */

	verdict(p, "./deploy.sh", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, 3);
	ck_assert_str_eq(d.sandbox.sockets[0], "/run/pg.sock");
	ck_assert_str_eq(d.sandbox.writable[0], "/a");

	verdict(p, "node", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, -1);
	ck_assert_str_eq(d.sandbox.profile, "strict");
	ck_assert_int_eq(d.sandbox.timeout_ms, 300000);
	/* the same match forms as the lists: ./npm is bash, not npm */
	verdict(p, "./npm test", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, -1);
	/* a denied command still names its entry; an unresolved one has none */
	verdict(p, "nice env", POLICY_DENY, POLICY_RULE_BUILTIN);
	verdict(p, "nosuch", POLICY_DENY, POLICY_RULE_NOT_FOUND);
	ck_assert_int_eq(d.command_index, -1);
	ck_assert_str_eq(d.sandbox.profile, "strict");
	policy_free(p);

	/* nothing configured: everything unset */
	verdict(NULL, "npm", POLICY_DENY, POLICY_RULE_DEFAULT);
	ck_assert_ptr_null(d.sandbox.profile);
	ck_assert_int_eq(d.sandbox.network, -1);
	ck_assert_ptr_null(d.sandbox.writable);
	ck_assert_ptr_null(d.sandbox.sockets);
	ck_assert_int_eq(d.sandbox.timeout_ms, 0);
	ck_assert_uint_eq(d.sandbox.max_output, 0);
}
END_TEST

/* ---- keys --------------------------------------------------------------------------------- */

static void key_ok(const struct policy *p, const char *key)
{
	struct reterr err = RETERR_INIT;
	int r = policy_key_check(p, &d, key, &err);
	ck_assert_msg(r == 0, "key %s refused: %s", key, err.msg);
}

static void key_refused(const struct policy *p, const char *key, const char *msg)
{
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(policy_key_check(p, &d, key, &err), -EACCES);
	ck_assert_str_eq(err.msg, msg);
}

static const char key_policy[] =
	"version: 1\n"
	"default_action: allow\n"
	"allowed_keys: ['app/*', 'TEST_*', NPM_TOKEN, DEPLOY_KEY, 'db/*']\n"
	"denied_keys:\n"
	"  - app/admin\n"
	"  - 'db/prod*'\n"
	"commands:\n"
	"  - match: npm test\n"
	"    keys: ['TEST_*', NPM_TOKEN]\n"
	"  - match: ./deploy.sh\n"
	"    keys: [DEPLOY_KEY]\n"
	"  - match: psql\n";

START_TEST(test_keys)
{
	struct policy *p = pu_load_ok(key_policy);
	verdict(p, "npm test", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, 0);
	key_ok(p, "TEST_DB");
	key_ok(p, "NPM_TOKEN");
	key_refused(p, "app/x",
		    "key 'app/x' is not in the keys of commands entry 'npm test' (line 8)");
	key_refused(p, "app/admin",
		    "key 'app/admin' is refused by denied_keys 'app/admin' (line 5)");
	key_refused(p, "OTHER", "key 'OTHER' is not in allowed_keys (line 3)");

	verdict(p, "node", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, -1);
	key_ok(p, "app/x");
	key_ok(p, "db/dev");
	key_refused(p, "TEST_DB",
		    "key 'TEST_DB' is reserved for commands entry 'npm test' (line 8) by its keys "
		    "entry 'TEST_*'");
	key_refused(
		p, "DEPLOY_KEY",
		"key 'DEPLOY_KEY' is reserved for commands entry './deploy.sh' (line 10) by its "
		"keys entry 'DEPLOY_KEY'");
	key_refused(p, "db/prod1", "key 'db/prod1' is refused by denied_keys 'db/prod*' (line 6)");
	/* '*' stays within one level */
	key_refused(p, "app/x/y", "key 'app/x/y' is not in allowed_keys (line 3)");

	verdict(p, "psql", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(d.command_index, 2); /* an entry without keys: global rules only */
	key_ok(p, "app/x");
	key_refused(
		p, "NPM_TOKEN",
		"key 'NPM_TOKEN' is reserved for commands entry 'npm test' (line 8) by its keys "
		"entry 'NPM_TOKEN'");

	verdict(p, "./deploy.sh", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	key_ok(p, "DEPLOY_KEY");
	key_refused(p, "TEST_X",
		    "key 'TEST_X' is not in the keys of commands entry './deploy.sh' (line 10)");
	/* hostile key text is not echoed raw */
	key_refused(p, "\x1b[2Jk", "key '?[2Jk' is not in allowed_keys (line 3)");
	policy_free(p);
}
END_TEST

START_TEST(test_keys_edges)
{
	struct reterr err = RETERR_INIT;
	/* no policy, no key rules */
	verdict(NULL, "npm", POLICY_DENY, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(policy_key_check(NULL, &d, "anything", &err), 0);
	ck_assert_int_eq(policy_key_check(NULL, &d, "", &err), -EINVAL);
	ck_assert_int_eq(policy_key_check(NULL, &d, NULL, &err), -EINVAL);
	ck_assert_int_eq(policy_key_check(NULL, NULL, "k", &err), -EINVAL);
	/* an empty allow-list allows nothing */
	struct policy *p = pu_load_ok("version: 1\nallowed_keys: []\n");
	verdict(p, "npm", POLICY_DENY, POLICY_RULE_DEFAULT);
	key_refused(p, "k", "key 'k' is not in allowed_keys (line 2)");
	/* a decision of another policy (an index this one has not) */
	struct policy *q = pu_load_ok(key_policy);
	verdict(q, "psql", POLICY_ALLOW, POLICY_RULE_DEFAULT);
	ck_assert_int_eq(policy_key_check(p, &d, "k", &err), -EINVAL);
	/* no key rules at all: every key */
	policy_free(p);
	p = pu_load_ok("version: 1\nallowed_commands: [npm]\n");
	verdict(p, "npm", POLICY_ALLOW, POLICY_RULE_ALLOWED);
	key_ok(p, "any/key");
	policy_free(p);
	policy_free(q);
}
END_TEST

/* Many words after a wrapper, many entries: each entry is looked up once per decision, not
 * once per word (this took seconds before the lookups were remembered). */
START_TEST(test_cost_bounded)
{
	struct buf y = BUF_INIT;
	ck_assert_int_eq(buf_puts(&y, "version: 1\nallowed_commands:\n"), 0);
	for (int i = 0; i < POLICY_COMMANDS_MAX - 2; i++)
		ck_assert_int_eq(buf_printf(&y, "  - nosuch%d\n", i), 0);
	ck_assert_int_eq(buf_puts(&y, "  - nice\n  - bash\n"), 0);
	struct policy *p = pu_load_ok(y.data);
	buf_release(&y);
	char **argv = calloc(POLICY_ARGV_MAX + 1, sizeof(*argv));
	ck_assert_ptr_nonnull(argv);
	argv[0] = (char *)"nice";
	for (size_t i = 1; i < POLICY_ARGV_MAX - 1; i++)
		argv[i] = (char *)"bash";
	argv[POLICY_ARGV_MAX - 1] = (char *)"-c";
	struct policy_request rq = { .argv = argv, .cwd = work, .path = search };
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(policy_decide(p, &rq, &d, &err), 0);
	ck_assert_int_eq(d.verdict, POLICY_ALLOW); /* every bash is listed, so is nice */
	rule_is("allowed_commands: 'nice' (line 1025)");
	argv[1] = (char *)"dash";
	ck_assert_int_eq(policy_decide(p, &rq, &d, &err), 0);
	ck_assert_int_eq(d.kind, POLICY_RULE_BUILTIN);
	free(argv);
	policy_free(p);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(policy_rule_kind_name(POLICY_RULE_BUILTIN), "built-in");
	ck_assert_str_eq(policy_rule_kind_name(POLICY_RULE_DENIED), "denied_commands");
	ck_assert_str_eq(policy_rule_kind_name(POLICY_RULE_ALLOWED), "allowed_commands");
	ck_assert_str_eq(policy_rule_kind_name(POLICY_RULE_DEFAULT), "default_action");
	ck_assert_str_eq(policy_rule_kind_name(POLICY_RULE_NOT_FOUND), "not found");
	ck_assert_str_eq(policy_rule_kind_name((enum policy_rule_kind)99), "unknown");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("policy-decide");
	TCase *tc = tcase_create("decide");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_decide_errors);
	tcase_add_test(tc, test_bare_and_leading_words);
	tcase_add_test(tc, test_symlinked_interpreter);
	tcase_add_test(tc, test_path_entries);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_builtin_env);
	tcase_add_test(tc, test_builtin_shell);
	tcase_add_test(tc, test_builtin_shell_listed);
	tcase_add_test(tc, test_builtin_proc_environ);
	tcase_add_test(tc, test_sandbox_merge);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_keys_edges);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_cost_bounded);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);

	return s;
}
