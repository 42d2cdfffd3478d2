/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the policy YAML loader (policy_load_buf) on arbitrary bytes, then alias
 * rewriting and mapping back, command decisions (a fixed argv set, cwd "/") and key checks on
 * whatever policy loaded, and env-name mapping on the input. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct policy *p, const char *alias, const char *pattern)
{
	char *rw = NULL, *origin = NULL;
	if (policy_alias_rewrite(p, alias, pattern, &rw) < 0)
		return;
	/* A key equal to the rewritten pattern must map back when it has no metacharacters. */
	if (!glob_is_pattern(rw) && policy_alias_origin(pattern, rw, rw, &origin) == 0 &&
	    strcmp(pattern, rw) == 0 && strcmp(origin, pattern) != 0)
		abort();
	free(origin);
	free(rw);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* What every decision must satisfy, whatever the policy says. */
static void check_decision(const struct policy *p, char *const *argv,
			   const struct policy_decision *d)
{
	static const char *const keys[] = { "API_KEY", "db/password", "aws/x", "TEST_X" };
	struct policy_summary s;
	policy_summarize(p, &s);
	if (d->verdict != POLICY_ALLOW && d->verdict != POLICY_DENY)
		abort();
	if (d->verdict == POLICY_ALLOW && d->kind != POLICY_RULE_ALLOWED &&
	    d->kind != POLICY_RULE_DEFAULT)
		abort();
	if (!d->rule[0] || strnlen(d->rule, sizeof(d->rule)) == sizeof(d->rule) ||
	    !printable(d->rule))
		abort(); /* one printable line, always */
	if (d->kind == POLICY_RULE_NOT_FOUND && d->resolved[0])
		abort();
	if (d->command_index < -1 ||
	    (d->command_index >= 0 && (size_t)d->command_index >= s.commands))
		abort();
	/* no policy can allow these */
	if (!strcmp(argv[0], "env") || !strcmp(argv[0], "printenv") ||
	    (argv[1] && !strcmp(argv[1], "/proc/self/environ")))
		if (d->verdict != POLICY_DENY || d->kind != POLICY_RULE_BUILTIN)
			abort();
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		struct reterr err = RETERR_INIT;
		int r = policy_key_check(p, d, keys[k], &err);
		if (r != 0 && (r != -EACCES || !err.msg[0] || !printable(err.msg)))
			abort();
	}
}

static void exercise_decide(const struct policy *p)
{
	static const char *const cmds[][4] = {
		{ "npm", "test", NULL },
		{ "env", NULL },
		{ "printenv", "HOME", NULL },
		{ "sh", "-c", "id", NULL },
		{ "cat", "/proc/self/environ", NULL },
		{ "./deploy.sh", NULL },
		{ "python3", "-V", NULL },
		{ "busybox", "env", NULL },
		{ "nosuch-command", NULL },
		{ "/usr/bin/git", "push", NULL },
	};
	struct policy_summary s;
	policy_summarize(p, &s);
	/* Each entry may cost a PATH search per command: keep fuzzing fast. */
	if (s.allowed_commands + s.denied_commands + s.commands > 64)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		/* policy_decide never writes argv; the type is execve's. */
		char *const *argv = (char *const *)cmds[i];
		struct policy_request rq = { .argv = argv, .cwd = "/", .path = NULL };
		struct policy_decision d;
		struct reterr err = RETERR_INIT;
		if (policy_decide(p, &rq, &d, &err) != 0)
			abort();
		check_decision(p, argv, &d);
	}
	if (policy_max_concurrent_runs(p) < 1 ||
	    policy_max_concurrent_runs(p) > POLICY_CONCURRENT_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	static const char *const aliases[] = { "dev", "staging", "prod", "a" };
	static const char *const patterns[] = { "db/*", "db/password", "api/v1/key", "*", "x" };

	if (policy_load_buf(data, size, &p, &err) == 0) {
		for (size_t a = 0; a < ARRAY_SIZE(aliases); a++)
			for (size_t i = 0; i < ARRAY_SIZE(patterns); i++)
				exercise(p, aliases[a], patterns[i]);
		exercise_decide(p);
		policy_free(p);
	} else if (p) {
		abort(); /* nothing may be returned on failure */
	}

	/* The same bytes as a key for the env-name rules. */
	if (size <= POLICY_KEY_MAX) {
		char key[POLICY_KEY_MAX + 1], *env = NULL;
		memcpy(key, data, size);
		key[size] = '\0';
		if (policy_env_name(key, NULL, &env) == 0) {
			if (policy_env_check(env) == -EINVAL)
				abort(); /* a mapped name is always a valid name */
			free(env);
		}
	}
	return 0;
}
