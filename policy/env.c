/* SPDX-License-Identifier: Apache-2.0 */
/* policy: how vault keys become environment variable names, and which names a secret may never
 * take because they change how the child's loader, shell or interpreters behave. */
#include <errno.h>
#include <string.h>

#include "policy/policy.h"

/* Exact names. Keep docs/policy.md in step. */
static const char *const reserved_names[] = {
	/* identity and basic process environment */
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "PWD", "OLDPWD", "TMPDIR", "TMP",
	"TEMP", "LANG", "LANGUAGE", "MAIL", "TERMINFO",
	/* shells: startup files, field splitting, prompts evaluated as code */
	"IFS", "CDPATH", "GLOBIGNORE", "SHELLOPTS", "BASHOPTS", "BASH_ENV", "ENV", "PS4",
	"PROMPT_COMMAND", "HISTFILE",
	/* glibc: loaded modules and resolver files */
	"GCONV_PATH", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS", "NLSPATH",
	"MALLOC_CHECK_", "MALLOC_PERTURB_",
	/* interpreters: code or module paths run at start-up */
	"PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "PYTHONINSPECT", "PYTHONUSERBASE",
	"NODE_OPTIONS", "NODE_PATH", "PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB", "RUBYOPT",
	"RUBYLIB", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "CLASSPATH",
	/* programs that run a command named by a variable */
	"PAGER", "EDITOR", "VISUAL", "LESSOPEN", "LESSCLOSE", "SSH_ASKPASS", "GIT_ASKPASS",
	"GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "GIT_EXTERNAL_DIFF", "GIT_PAGER",
	"GIT_EDITOR",
};

/* Prefixes: whole families (locale, dynamic loader, our own settings, exported bash functions,
 * git's environment-supplied configuration). */
static const char *const reserved_prefixes[] = {
	"LC_", "LD_", "SECRETCTL_", "BASH_FUNC_", "DYLD_", "GIT_CONFIG",
};

static bool is_upper_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int policy_env_check(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len > POLICY_ENV_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(reserved_names); i++)
		if (strcmp(name, reserved_names[i]) == 0)
			return -EACCES;
	for (size_t i = 0; i < ARRAY_SIZE(reserved_prefixes); i++)
		if (strncmp(name, reserved_prefixes[i], strlen(reserved_prefixes[i])) == 0)
			return -EACCES;
	return 0;
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
	if (__builtin_add_overflow(kl, pl, &total) || total > POLICY_ENV_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < pl; i++)
		if (!is_upper_alnum(prefix[i]))
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
		if (!is_upper_alnum(c)) {
			free(out);
			return -EINVAL;
		}
		out[pl + i] = c;
	}
	out[total] = '\0';
	if (out[0] >= '0' && out[0] <= '9') {
		free(out);
		return -EINVAL;
	}
	*ret = out;
	return 0;
}
