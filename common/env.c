/* SPDX-License-Identifier: Apache-2.0 */
/* common: environment variable names: their character class, their one maximum length, and the
 * one list of names no child receives from secretctl (policy/ and supervisor/ both ask it). */
#include "common/common.h"

#include <string.h>

/* Whole names. Each family says why a child must not get them from us; where the two lists this
 * one replaces differed, the stricter won. Keep docs/policy.md "Reserved names" in step. */
static const char *const denied_names[] = {
	/* process basics: the caller's own (the supervisor copies PATH HOME USER LOGNAME LANG
	 * LANGUAGE TERM TZ TMPDIR from it) or the shell's; a secret never replaces them. Most pick
	 * what runs or what is read: PATH the programs, HOME the start-up files, SHELL the shell
	 * programs start, TMPDIR/TMP/TEMP where temporary files go, TERM/TERMINFO the terminal
	 * description that is parsed, TZ the zone file, LANG/LANGUAGE the message catalogues. */
	"PATH",
	"HOME",
	"USER",
	"LOGNAME",
	"SHELL",
	"TERM",
	"TZ",
	"PWD",
	"OLDPWD",
	"TMPDIR",
	"TMP",
	"TEMP",
	"LANG",
	"LANGUAGE",
	"MAIL",
	"TERMINFO",
	/* shells: start-up files, field splitting, prompts and traces evaluated as code, a history
	 * file written wherever it names */
	"IFS",
	"CDPATH",
	"GLOBIGNORE",
	"SHELLOPTS",
	"BASHOPTS",
	"BASH_ENV",
	"ENV",
	"PS4",
	"PROMPT_COMMAND",
	"HISTFILE",
	/* glibc: modules it loads, files it reads, its allocator's debugging (most are on glibc's
	 * own list of variables it ignores in setuid programs) */
	"GCONV_PATH",
	"GLIBC_TUNABLES",
	"HOSTALIASES",
	"LOCALDOMAIN",
	"RES_OPTIONS",
	"NLSPATH",
	"MALLOC_CHECK_",
	"MALLOC_PERTURB_",
	/* interpreters: code, or paths code is loaded from, at start-up */
	"PYTHONSTARTUP",
	"PYTHONPATH",
	"PYTHONHOME",
	"PYTHONINSPECT",
	"PYTHONUSERBASE",
	"NODE_OPTIONS",
	"NODE_PATH",
	"PERL5OPT",
	"PERL5LIB",
	"PERLLIB",
	"PERL5DB",
	"RUBYOPT",
	"RUBYLIB",
	"JAVA_TOOL_OPTIONS",
	"JDK_JAVA_OPTIONS",
	"_JAVA_OPTIONS",
	"CLASSPATH",
	/* programs that run a command a variable names */
	"PAGER",
	"EDITOR",
	"VISUAL",
	"LESSOPEN",
	"LESSCLOSE",
	"SSH_ASKPASS",
	"GIT_ASKPASS",
	"GIT_SSH",
	"GIT_SSH_COMMAND",
	"GIT_EXEC_PATH",
	"GIT_EXTERNAL_DIFF",
	"GIT_PAGER",
	"GIT_EDITOR",
};

/* Whole families: the locale (which locale files glibc loads), the dynamic loader's
 * (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...; DYLD_ is macOS's), secretctl's own
 * (SECRETCTL_PASSWORD, SECRETCTL_POLICY, ...), exported bash functions (code every bash runs),
 * and git configuration given through the environment (core.sshCommand, core.pager, ...). */
static const char *const denied_prefixes[] = {
	"LC_", "LD_", "DYLD_", "SECRETCTL_", "BASH_FUNC_", "GIT_CONFIG",
};

bool env_name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static bool name_valid(const char *name, bool upper)
{
	size_t n = name ? strnlen(name, ENV_NAME_MAX + 1) : 0;
	if (n == 0 || n > ENV_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!env_name_char(name[i], i == 0) || (upper && name[i] >= 'a' && name[i] <= 'z'))
			return false;
	}
	return true;
}

bool env_name_valid(const char *name)
{
	return name_valid(name, false);
}

bool env_name_valid_upper(const char *name)
{
	return name_valid(name, true);
}

bool env_name_denied(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(denied_prefixes); i++)
		if (str_has_prefix(name, denied_prefixes[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(denied_names); i++)
		if (!strcmp(name, denied_names[i]))
			return true;
	return false;
}
