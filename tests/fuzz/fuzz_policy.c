/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the policy YAML loader (policy_load_buf) on arbitrary bytes, then alias
 * rewriting and mapping back on whatever policy loaded, and env-name mapping on the input. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	struct reterr err = { .msg = "" };
	static const char *const aliases[] = { "dev", "staging", "prod", "a" };
	static const char *const patterns[] = { "db/*", "db/password", "api/v1/key", "*", "x" };

	if (policy_load_buf(data, size, &p, &err) == 0) {
		for (size_t a = 0; a < ARRAY_SIZE(aliases); a++)
			for (size_t i = 0; i < ARRAY_SIZE(patterns); i++)
				exercise(p, aliases[a], patterns[i]);
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
