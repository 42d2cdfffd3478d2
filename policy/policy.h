/* SPDX-License-Identifier: Apache-2.0 */
/* policy: the user's policy file (YAML, hostile input) loaded into a read-only model, plus the
 * pure naming rules used when secrets become environment variables. See docs/policy.md. */
#ifndef SECRETCTL_POLICY_H
#define SECRETCTL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/common.h"

/* ---- limits (checked while parsing, before anything is kept) ------------------------------ */
#define POLICY_FILE_MAX (1024 * 1024) /* bytes of YAML */
#define POLICY_DEPTH_MAX 16	      /* nested collections */
#define POLICY_NODES_MAX 20000	      /* scalars + collections in the document */
#define POLICY_STRING_MAX 4096	      /* bytes in one scalar */
#define POLICY_ALIASES_MAX 64	      /* entries under env_aliases */
#define POLICY_ALIAS_RULES_MAX 256    /* rules in one alias */
#define POLICY_ALIAS_NAME_MAX 64      /* [A-Za-z0-9_.-] */
#define POLICY_KEY_MAX 256	      /* a rule pattern/target, and a rewritten pattern */
#define POLICY_COMMANDS_MAX 1024      /* entries in allowed_commands, denied_commands, commands */
#define POLICY_WORDS_MAX 16	      /* words in one command entry ("npm run build" is 3) */
#define POLICY_KEY_GLOBS_MAX 1024   /* entries in allowed_keys, denied_keys, one commands[].keys */
#define POLICY_WRITABLE_MAX 64	    /* sandbox.writable paths */
#define POLICY_RULE_MAX 320	    /* bytes of policy_decision.rule */
#define POLICY_CONCURRENT_DEFAULT 4 /* max_concurrent_runs when absent */
#define POLICY_CONCURRENT_MAX 64
#define POLICY_ARGV_MAX 4096 /* arguments policy_decide judges (SUP_ARGV_MAX) */
#define POLICY_TIMEOUT_MAX_MS (7LL * 24 * 3600 * 1000)	 /* sandbox timeout: 7d */
#define POLICY_OUTPUT_MAX (1024ull * 1024 * 1024)	 /* sandbox max_output: 1G */
#define POLICY_MEMORY_MIN (1024ull * 1024)		 /* sandbox memory: 1M ... */
#define POLICY_MEMORY_MAX (1024ull * 1024 * 1024 * 1024) /* ... 1024G */

/* What MCP runs use for a sandbox field the policy leaves unset (`policy check` shows these):
 * profile standard, network allow (deny under profile strict), no memory limit, and: */
#define POLICY_DEFAULT_TIMEOUT_MS (5 * 60 * 1000)	   /* 5m */
#define POLICY_DEFAULT_MAX_OUTPUT (1024 * 1024)		   /* 1M per stream */
#define POLICY_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin" /* policy_request.path NULL */

#define POLICY_ENV "SECRETCTL_POLICY"	      /* path override */
#define POLICY_FILE_NAME "mcp-policy.yaml"    /* in the vault directory (the user guide's name) */
#define POLICY_LEGACY_FILE_NAME "policy.yaml" /* read when mcp-policy.yaml is absent */

/* The loaded policy. Read-only after load; safe to share. */
struct policy;

/* Parse a policy document from memory (len bytes, need not be NUL-terminated). Any failure is
 * -EINVAL (syntax, schema, unknown key, bad value) or -E2BIG (a limit) with err->line/column
 * (1-based) and a message naming the problem; nothing is kept. data is borrowed.
 * *ret is owned by the caller (policy_free). Never blocks. */
int policy_load_buf(const void *data, size_t len, struct policy **ret, struct reterr *err);

/* Load a policy file: opened O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK, must be a regular file owned by the
 * effective uid with no permission bits for group or others (0600 or stricter: -EACCES
 * otherwise, the message names the mode and the `chmod 600 PATH` that fixes it; -ELOOP for a
 * symlink), at most POLICY_FILE_MAX bytes (-E2BIG), then parsed as policy_load_buf. -ENOENT when
 * absent. err->msg starts with the path (and line:column for parse errors). path is borrowed. */
int policy_load(const char *path, struct policy **ret, struct reterr *err);

/* Flags for policy_load_default. */
#define POLICY_LOAD_REQUIRED (1u << 0) /* no file is -ENOENT (MCP runs), not an empty policy */

/* Load the policy in force, first match wins:
 *   1. explicit (--policy FILE; may be NULL): a missing file is -ENOENT;
 *   2. $SECRETCTL_POLICY (secure_getenv, non-empty): a missing file is -ENOENT;
 *   3. <vault_dir>/mcp-policy.yaml;
 *   4. <vault_dir>/policy.yaml (the earlier name; same schema).
 * When neither 3 nor 4 exists: -ENOENT with a message naming <vault_dir>/mcp-policy.yaml as the
 * file to create (and `chmod 600`) under POLICY_LOAD_REQUIRED, else an empty policy
 * (default_action deny, no aliases). vault_dir (borrowed; the caller passes vault_dir_default(),
 * so policy/ stays independent of vault/) may be NULL only when 1 or 2 applies (-EINVAL
 * otherwise). *ret_path (optional, caller frees) receives the path consulted (the one to create
 * when none exists). */
int policy_load_default(const char *vault_dir, const char *explicit_path, unsigned flags,
			struct policy **ret, char **ret_path, struct reterr *err);

/* Free; NULL-safe; returns NULL. */
struct policy *policy_free(struct policy *p);

/* Rewrite one key pattern through env alias `alias`. A rule whose pattern has no '*' applies to
 * an equal key pattern; a rule "PREFIX<star>" applies to every key pattern starting with PREFIX
 * and replaces that prefix by the target's prefix: "db/<star>" -> "staging/db/<star>" turns
 * "db/password" into "staging/db/password" and "db/<star>" into "staging/db/<star>". An exact
 * rule beats a prefix rule; among prefix rules the longest prefix wins. A pattern no rule covers
 * is returned unchanged. ("<star>" stands for '*', which cannot follow '/' in a C comment.)
 * Returns 1 when rewritten, 0 when unchanged, -ENOENT for an unknown alias (also on a NULL or
 * empty policy), -E2BIG when the result exceeds POLICY_KEY_MAX, -ENOMEM.
 * *ret_rewritten is malloc'd (caller frees). Arguments are borrowed. */
int policy_alias_rewrite(const struct policy *p, const char *alias, const char *pattern,
			 char **ret_rewritten);

/* Map a key matched by a rewritten pattern back to the key the user asked for, so environment
 * names stay the same in every environment: given pattern "db/<star>" that was rewritten to
 * "staging/db/<star>" and the matched key "staging/db/password", gives "db/password". With
 * rewritten == pattern the key is returned as is. -EINVAL when key cannot have come from
 * rewritten. *ret malloc'd (caller frees). Pure. */
int policy_alias_origin(const char *pattern, const char *rewritten, const char *key, char **ret);

/* Environment variable name for a key: '/', '-' and '.' become '_', letters are upper-cased,
 * prefix (may be NULL; must itself be [A-Z0-9_]) is prepended. The result must match
 * [A-Z_][A-Z0-9_]* and be at most ENV_NAME_MAX bytes (env_name_valid_upper): -EINVAL otherwise
 * (a key starting with a digit needs a prefix), -ENOMEM. *ret malloc'd (caller frees). Pure. */
int policy_env_name(const char *key, const char *prefix, char **ret);

/* Check a name that will be put in a child's environment: -EINVAL unless env_name_valid
 * ([A-Za-z_][A-Za-z0-9_]*, at most ENV_NAME_MAX bytes; checked first), -EACCES when reserved
 * (env_name_denied: names that change how the child's loader, shell or interpreter behaves, the
 * process basics, secretctl's own: PATH HOME LD_* LC_* ...; docs/policy.md has the list), else 0.
 * Pure. */
int policy_env_check(const char *name);

/* ---- command decisions (docs/policy.md "Commands") ---------------------------------------- */

/* Sandbox settings a policy gives runs: the top-level `sandbox:` mapping, overridden field by
 * field by the matched `commands:` entry. Unset fields are left to the caller's defaults.
 * Pointers are borrowed from the policy and live as long as it does. */
struct policy_sandbox {
	const char *profile; /* "standard", "strict", "off", or NULL (unset) */
	int network;	     /* -1 unset, 0 allow, 1 deny */
	char *const
		*writable;    /* NULL unset; absolute paths ("~/" expanded against $HOME at load) */
	char *const *sockets; /* NULL unset; absolute paths of host sockets a run may connect to
				 * (key `allow_sockets`) */
	int64_t timeout_ms;   /* 0 unset */
	uint64_t max_output;  /* bytes per output stream, 0 unset */
	uint64_t memory;      /* bytes of address space (RLIMIT_AS), 0 unset */
};

/* A command to judge: the parsed argv (never a shell string) and where it would run. */
struct policy_request {
	char *const *argv; /* argv[0] as written ("npm", "./deploy.sh", "/usr/bin/psql") */
	const char *cwd;   /* absolute working directory of the run */
	const char
		*path; /* PATH that resolves a bare argv[0]; NULL: "/usr/local/bin:/usr/bin:/bin" */
};

enum policy_verdict {
	POLICY_DENY = 0,
	POLICY_ALLOW = 1,
};

/* What decided, for messages, `policy check` and the audit log. */
enum policy_rule_kind {
	POLICY_RULE_BUILTIN, /* a built-in deny (env, printenv, export, set, shell -c, /proc/<pid>/environ) */
	POLICY_RULE_DENIED,    /* an entry of denied_commands */
	POLICY_RULE_ALLOWED,   /* an entry of allowed_commands */
	POLICY_RULE_DEFAULT,   /* default_action (absent = deny) */
	POLICY_RULE_NOT_FOUND, /* argv[0] does not resolve to an executable file: deny */
};

struct policy_decision {
	enum policy_verdict verdict;
	enum policy_rule_kind kind;
	/* One line naming the rule, e.g. "denied_commands: 'rm' (line 12)", "allowed_commands:
	 * 'npm test' (line 5)", "built-in: 'printenv' prints the environment", "default_action: deny
	 * (no allowed_commands entry matches '/usr/bin/python3.11')". No secret ever appears: argv
	 * words are judged, values are not injected yet. */
	char rule[POLICY_RULE_MAX];
	/* argv[0] resolved: through PATH when it has no '/', against cwd when relative; absolute
	 * and symlink-free (realpath). Empty when it does not resolve. */
	char resolved[4096];
	/* argv[0] as execvp would run it: absolute, through PATH or against cwd, symlinks kept
	 * ("/usr/bin/psql", which a wrapper script dispatches on). Empty when it does not
	 * resolve. The run executes this path, checked to still be the file judged (dev, ino). */
	char found[4096];
	uint64_t dev, ino;
	int command_index;	       /* the matching `commands:` entry, -1 when none */
	struct policy_sandbox sandbox; /* merged as described above */
};

/* Judge a command. Order: built-in denies, then denied_commands, then allowed_commands, then
 * default_action. An entry is a command optionally followed by leading arguments ("npm" allows
 * any npm invocation, "npm test" only "npm test ..."; words compare exactly). An entry with a
 * '/' names a file (relative entries resolve against rq->cwd) and matches when it resolves to the
 * same file as argv[0]; a bare entry matches when the basename of the resolved argv[0] equals it,
 * or when the entry resolved through rq->path is the same file (so "python" matches
 * /usr/bin/python3.11 reached through the python symlink, but a local ./npm that links to
 * /bin/sh does not match "npm"). Built-in denies look at argv[0] as written and as resolved (and
 * at what a wrapper or multi-call binary would run: "nice env", "busybox sh -c"; the full list
 * is in docs/policy.md "Built-in denies").
 * p may be NULL only when nothing is configured (every command is then denied by default).
 * Touches the filesystem (stat, realpath) but nothing else. 0 and *ret filled (allowed or not),
 * -EINVAL for an empty argv or a cwd that is not absolute, -E2BIG for more than POLICY_ARGV_MAX
 * arguments, -ENOMEM. Callers should execute ret->resolved, the file that was judged, not argv[0]. */
int policy_decide(const struct policy *p, const struct policy_request *rq,
		  struct policy_decision *ret, struct reterr *err);

/* May the vault key `key` (a stored key, after alias rewriting) go to the command judged in d?
 * In order: a denied_keys glob matches -> no; allowed_keys present and no glob matches -> no;
 * the matched commands: entry lists keys: one matches -> yes, none matches -> no; a `keys` glob
 * of another commands: entry matches (keys listed under a command go to that command only)
 * -> no. The verdict is not looked at: callers check it first. 0 yes, -EACCES with err saying
 * which rule refused (the key name may appear, made printable; it is not secret), -EINVAL for a
 * NULL or empty key or a decision whose command_index this policy does not have. Pure. */
int policy_key_check(const struct policy *p, const struct policy_decision *d, const char *key,
		     struct reterr *err);

/* ---- consent (docs/policy.md "Approvals") ------------------------------------------------- */

/* Whether a run must be approved by the person before any value is decrypted, from least to
 * most asking: never; once (the first approval holds until the vault locks); session (an
 * approval "for this session" holds for the rest of that MCP session); always (every run). */
enum policy_approval {
	POLICY_APPROVAL_NEVER = 0,
	POLICY_APPROVAL_ONCE,
	POLICY_APPROVAL_SESSION,
	POLICY_APPROVAL_ALWAYS,
};
#define POLICY_KEY_RULES_MAX 1024 /* entries under keys: */
/* Approval_timeout when absent (under
 * the 60 s an MCP SDK waits by default) */
#define POLICY_APPROVAL_TIMEOUT_DEFAULT_MS (50 * 1000)
#define POLICY_APPROVAL_TIMEOUT_MAX_MS (10 * 60 * 1000)

/* "never", "once", "session", "always". */
const char *policy_approval_name(enum policy_approval a);
/* The approval a run of the command judged in d (allowed) with the stored keys keys[0..n) needs:
 * the strictest of the top-level `approval`, the matched `commands:` entry's `approval`, and the
 * `approval` of every `keys:` entry whose glob matches one of the keys. NEVER when p is NULL.
 * ret_why (optional) receives a line naming the rule that asks most (empty for NEVER). Pure. */
enum policy_approval policy_approval_for(const struct policy *p, const struct policy_decision *d,
					 char *const *keys, size_t n,
					 char ret_why[POLICY_RULE_MAX]);
/* True when one of keys[0..n) matches a `keys:` entry with `require_grant: true`: such a run
 * goes on only under a live grant (`secretctl grant`). ret_why (optional) names the first such
 * entry and key. Pure. */
bool policy_requires_grant(const struct policy *p, char *const *keys, size_t n,
			   char ret_why[POLICY_RULE_MAX]);
/* How long a run waits for an answer: `approval_timeout`, else the default. */
int64_t policy_approval_timeout_ms(const struct policy *p);
/* Who is asked (`approval_channel`): CLIENT asks through the MCP client's elicitation when the
 * client declares it (else the session agent); AGENT always asks through the session agent
 * (`secretctl approve`, which needs the master password). */
enum policy_approval_channel {
	POLICY_CHANNEL_CLIENT = 0,
	POLICY_CHANNEL_AGENT,
};
/* `approval_channel`, CLIENT when absent or p is NULL. */
enum policy_approval_channel policy_approval_channel(const struct policy *p);
/* "client", "agent". */
const char *policy_approval_channel_name(enum policy_approval_channel c);

/* max_concurrent_runs (POLICY_CONCURRENT_DEFAULT when absent or p is NULL). */
unsigned policy_max_concurrent_runs(const struct policy *p);
/* mcp_folder_writes: whether the MCP server offers the tools that change folders
 * (folder_create, folder_move_secret). false when absent or p is NULL. */
bool policy_mcp_folder_writes(const struct policy *p);

/* True when word (a program name or a path: its last component counts, version suffixes such as
 * "bash5.2" too) names a shell, or a program that hands a command line to one (su, script,
 * flock, ...): the table behind the built-in "shell -c" rule. Pure. */
bool policy_is_shell(const char *word);

/* Text of one rule kind ("built-in", "denied_commands", ...). */
const char *policy_rule_kind_name(enum policy_rule_kind k);

/* Counts for `policy validate`. */
struct policy_summary {
	enum policy_verdict default_action;
	size_t allowed_commands, denied_commands, commands, denied_keys, aliases;
	long allowed_keys; /* -1 when absent (no allow-list of keys) */
	unsigned max_concurrent_runs;
};

/* Fill *ret from p (NULL: the empty policy). Pure. */
void policy_summarize(const struct policy *p, struct policy_summary *ret);

/* The `match` text and line of commands entry index (policy_decision.command_index): 0, or
 * -ENOENT when there is no such entry. *ret_match (optional) is borrowed from p. Pure. */
int policy_command_info(const struct policy *p, int index, const char **ret_match, int *ret_line);

#endif
