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
#define POLICY_DEPTH_MAX 16           /* nested collections */
#define POLICY_NODES_MAX 20000        /* scalars + collections in the document */
#define POLICY_STRING_MAX 4096        /* bytes in one scalar */
#define POLICY_ALIASES_MAX 64         /* entries under env_aliases */
#define POLICY_ALIAS_RULES_MAX 256    /* rules in one alias */
#define POLICY_ALIAS_NAME_MAX 64      /* [A-Za-z0-9_.-] */
#define POLICY_KEY_MAX 256            /* a rule pattern/target, and a rewritten pattern */
#define POLICY_ENV_NAME_MAX 256       /* an environment variable name we produce */

#define POLICY_ENV "SECRETCTL_POLICY" /* path override */
#define POLICY_FILE_NAME "policy.yaml" /* in the vault directory */

/* The loaded policy. Read-only after load; safe to share. */
struct policy;

/* Parse a policy document from memory (len bytes, need not be NUL-terminated). Any failure is
 * -EINVAL (syntax, schema, unknown key, bad value) or -E2BIG (a limit) with err->line/column
 * (1-based) and a message naming the problem; nothing is kept. data is borrowed.
 * *ret is owned by the caller (policy_free). Never blocks. */
int policy_load_buf(const void *data, size_t len, struct policy **ret, struct reterr *err);

/* Load a policy file: opened O_NOFOLLOW|O_CLOEXEC, must be a regular file owned by the effective
 * uid and not group/world-writable (-EACCES otherwise; -ELOOP for a symlink), at most
 * POLICY_FILE_MAX bytes (-E2BIG), then parsed as policy_load_buf. -ENOENT when absent.
 * err->msg starts with the path (and line:column for parse errors). path is borrowed. */
int policy_load(const char *path, struct policy **ret, struct reterr *err);

/* Load the policy in force: the file named by $SECRETCTL_POLICY (secure_getenv; a missing file
 * is -ENOENT), else <vault_dir>/policy.yaml, where a missing file gives an empty policy.
 * vault_dir (borrowed; the caller passes vault_dir_default(), so policy/ stays independent of
 * vault/) may be NULL only when $SECRETCTL_POLICY is set (-EINVAL otherwise).
 * *ret_path (optional, caller frees) receives the path consulted. */
int policy_load_default(const char *vault_dir, struct policy **ret, char **ret_path,
			struct reterr *err);

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
 * [A-Z_][A-Z0-9_]* and be at most POLICY_ENV_NAME_MAX bytes: -EINVAL otherwise (a key starting
 * with a digit needs a prefix), -ENOMEM. *ret malloc'd (caller frees). Pure. */
int policy_env_name(const char *key, const char *prefix, char **ret);

/* Check a name that will be put in a child's environment: [A-Za-z_][A-Za-z0-9_]*, at most
 * POLICY_ENV_NAME_MAX bytes (-EINVAL), and not reserved (-EACCES): names that change how the
 * child's loader, shell or interpreter behaves, or secretctl's own (PATH HOME LD_* LC_* ...;
 * full list in docs/policy.md). Pure. */
int policy_env_check(const char *name);

#endif
