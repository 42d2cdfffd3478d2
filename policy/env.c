/* SPDX-License-Identifier: Apache-2.0 */
/* policy: how vault keys become environment variable names, and the check every name a secret
 * takes passes (the name rules and the deny list themselves are common/'s). */
#include <errno.h>
#include <string.h>

#include "policy/policy.h"

int policy_env_check(const char *name)
{
	if (!env_name_valid(name))
		return -EINVAL;
	return env_name_denied(name) ? -EACCES : 0;
}

int policy_env_name(const char *key, const char *prefix, char **ret)
{
	size_t kl, pl, total;
	char *out;

	if (!key)
		return -EINVAL;
	if (!prefix)
		prefix = "";
	kl = strlen(key);
	pl = strlen(prefix);
	if (kl == 0)
		return -EINVAL;
	if (__builtin_add_overflow(kl, pl, &total) || total > ENV_NAME_MAX)
		return -EINVAL;
	out = malloc(total + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, prefix, pl);
	for (size_t i = 0; i < kl; i++) {
		char c = key[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (c == '/' || c == '-' || c == '.')
			c = '_';
		out[pl + i] = c;
	}
	out[total] = '\0';
	/* Whatever the key and prefix held that has no place in a name ends up here. */
	if (!env_name_valid_upper(out)) {
		free(out);
		return -EINVAL;
	}
	*ret = out;
	return 0;
}
