/* SPDX-License-Identifier: Apache-2.0 */
/* policy: the schema helpers over the YAML tree, the top-level section table, version and
 * env_aliases, safe file loading and env-alias rewriting. The command, key and sandbox sections
 * are in rules.c, decisions in decide.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy-internal.h"

struct policy *policy_free(struct policy *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->naliases; i++) {
		struct policy_alias *a = &p->aliases[i];
		for (size_t j = 0; j < a->nrules; j++) {
			free(a->rules[j].pattern);
			free(a->rules[j].target);
		}
		free(a->rules);
		free(a->name);
	}
	free(p->aliases);
	policy_rules_release(p);
	free(p);
	return NULL;
}

/* ---- schema helpers ----------------------------------------------------------------------- */

static int check_alias_name(const struct ynode *n, struct reterr *err)
{
	char buf[YSHOW_MAX];
	bool ok = n->len >= 1 && n->len <= POLICY_ALIAS_NAME_MAX;
	for (size_t i = 0; ok && i < n->len; i++) {
		char c = n->str[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '_' || c == '.' || c == '-';
	}
	if (!ok)
		return reterr_set_at(err, -EINVAL, n->line, n->column,
				     "alias name '%s' must be 1-%d characters of [A-Za-z0-9_.-]",
				     ynode_show(n, buf), POLICY_ALIAS_NAME_MAX);
	return 0;
}

/* A rule pattern or target: a vault key (1..POLICY_KEY_MAX of [A-Za-z0-9._/-], no empty, "."
 * or ".." segment) optionally ending in one '*' (then the part before it is a key prefix). */
static int check_rule_key(const struct ynode *n, const char *what, bool *ret_prefix,
			  struct reterr *err)
{
	char buf[YSHOW_MAX];
	const char *s = n->str;
	size_t len = n->len, lit;
	bool prefix;

	if (len == 0 || len > POLICY_KEY_MAX)
		return reterr_set_at(err, -EINVAL, n->line, n->column, "%s must be 1-%d characters",
				     what, POLICY_KEY_MAX);
	prefix = s[len - 1] == '*';
	lit = prefix ? len - 1 : len;
	for (size_t i = 0; i < lit; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '/' || c == '-'))
			return reterr_set_at(
				err, -EINVAL, n->line, n->column,
				"%s '%s': only [A-Za-z0-9._/-] and one final '*' are allowed", what,
				ynode_show(n, buf));
	}
	/* Complete segments (followed by '/', or the last one of an exact key) must be proper
	 * key segments; a prefix may end inside a segment ("db/pass*"). */
	size_t start = 0;
	for (size_t i = 0; i <= lit; i++) {
		if (i < lit && s[i] != '/')
			continue;
		if (i == lit && prefix)
			break;
		size_t seg = i - start;
		if (seg == 0 || (seg == 1 && s[start] == '.') ||
		    (seg == 2 && s[start] == '.' && s[start + 1] == '.'))
			return reterr_set_at(err, -EINVAL, n->line, n->column,
					     "%s '%s' has an empty, '.' or '..' segment", what,
					     ynode_show(n, buf));
		start = i + 1;
	}
	*ret_prefix = prefix;
	return 0;
}

/* ---- sections ----------------------------------------------------------------------------- */

static int parse_version(struct policy *p, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	if (v->type != YNODE_SCALAR || !v->plain || !ynode_is(v, "1"))
		return reterr_set_at(
			err, -EINVAL, v->line, v->column,
			"unsupported policy version '%s' (this release reads version 1)",
			v->type == YNODE_SCALAR ? ynode_show(v, buf) : ynode_type_name(v->type));
	p->version = POLICY_VERSION;
	return 0;
}

static int parse_rule(struct policy_rule *rule, const struct ynode *m, struct reterr *err)
{
	const struct ynode *pat = NULL, *tgt = NULL;
	bool ppre = false, tpre = false;
	char buf[YSHOW_MAX];
	int r;

	r = ynode_expect(m, YNODE_MAP, "an alias rule", err);
	if (r < 0)
		return r;
	r = ynode_check_map_keys(m, "an alias rule", err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->nkids; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		if (ynode_is(k, "pattern"))
			pat = v;
		else if (ynode_is(k, "target"))
			tgt = v;
		else
			return reterr_set_at(
				err, -EINVAL, k->line, k->column,
				"unknown key '%s' in an alias rule (expected 'pattern' "
				"and 'target')",
				ynode_show(k, buf));
	}
	if (!pat || !tgt)
		return reterr_set_at(err, -EINVAL, m->line, m->column,
				     "alias rule needs both 'pattern' and 'target' (missing '%s')",
				     pat ? "target" : "pattern");
	r = ynode_expect(pat, YNODE_SCALAR, "'pattern'", err);
	if (r < 0)
		return r;
	r = ynode_expect(tgt, YNODE_SCALAR, "'target'", err);
	if (r < 0)
		return r;
	r = check_rule_key(pat, "pattern", &ppre, err);
	if (r < 0)
		return r;
	r = check_rule_key(tgt, "target", &tpre, err);
	if (r < 0)
		return r;
	if (ppre != tpre)
		return reterr_set_at(err, -EINVAL, tgt->line, tgt->column,
				     ppre ? "target '%s' must end with '*' like its pattern"
					  : "target '%s' must not end with '*': its pattern is an "
					    "exact key",
				     ynode_show(tgt, buf));

	rule->pattern = ynode_strdup(pat);
	rule->target = ynode_strdup(tgt);
	if (!rule->pattern || !rule->target)
		return -ENOMEM; /* the caller frees what was set */
	rule->prefix = ppre;
	rule->plen = ppre ? pat->len - 1 : pat->len;
	rule->tlen = tpre ? tgt->len - 1 : tgt->len;
	return 0;
}

static int parse_alias(struct policy_alias *a, const struct ynode *k, const struct ynode *v,
		       struct reterr *err)
{
	char buf[YSHOW_MAX];
	int r = check_alias_name(k, err);
	if (r < 0)
		return r;
	a->name = ynode_strdup(k);
	if (!a->name)
		return -ENOMEM;
	r = ynode_expect(v, YNODE_SEQ, "an alias (a list of {pattern, target} rules)", err);
	if (r < 0)
		return r;
	if (v->nkids > POLICY_ALIAS_RULES_MAX)
		return reterr_set_at(err, -E2BIG, v->line, v->column,
				     "alias '%s' has more than %d rules", a->name,
				     POLICY_ALIAS_RULES_MAX);
	if (v->nkids == 0)
		return 0;
	a->rules = calloc(v->nkids, sizeof(*a->rules));
	if (!a->rules)
		return -ENOMEM;
	for (size_t i = 0; i < v->nkids; i++) {
		r = parse_rule(&a->rules[i], v->kids[i], err);
		a->nrules = i + 1; /* so policy_free releases a half-filled rule too */
		if (r < 0)
			return r;
		/* Two rules with one pattern would make the outcome depend on file order. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->rules[j].pattern, a->rules[i].pattern) == 0) {
				const struct ynode *pn = v->kids[i];
				for (size_t q = 0; q < pn->nkids; q += 2)
					if (ynode_is(pn->kids[q], "pattern"))
						pn = pn->kids[q + 1];
				return reterr_set_at(err, -EINVAL, pn->line, pn->column,
						     "duplicate pattern '%s' in alias '%s'",
						     ynode_show(pn, buf), a->name);
			}
	}
	return 0;
}

static int parse_env_aliases(struct policy *p, const struct ynode *v, struct reterr *err)
{
	int r = ynode_expect(v, YNODE_MAP, "'env_aliases'", err);
	if (r < 0)
		return r;
	size_t n = v->nkids / 2;
	if (n > POLICY_ALIASES_MAX)
		return reterr_set_at(err, -E2BIG, v->line, v->column,
				     "'env_aliases' has more than %d aliases", POLICY_ALIASES_MAX);
	r = ynode_check_map_keys(v, "'env_aliases'", err);
	if (r < 0)
		return r;
	if (n == 0)
		return 0;
	p->aliases = calloc(n, sizeof(*p->aliases));
	if (!p->aliases)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		p->naliases = i + 1;
		r = parse_alias(&p->aliases[i], v->kids[2 * i], v->kids[2 * i + 1], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct policy_section {
	const char *key;
	int (*parse)(struct policy *p, const struct ynode *value, struct reterr *err);
} sections[] = {
	{ "version", parse_version },
	{ "default_action", policy_parse_default_action },
	{ "allowed_commands", policy_parse_allowed_commands },
	{ "denied_commands", policy_parse_denied_commands },
	{ "allowed_keys", policy_parse_allowed_keys },
	{ "denied_keys", policy_parse_denied_keys },
	{ "env_aliases", parse_env_aliases },
	{ "sandbox", policy_parse_sandbox },
	{ "commands", policy_parse_commands },
	{ "max_concurrent_runs", policy_parse_max_concurrent_runs },
	{ "mcp_folder_writes", policy_parse_mcp_folder_writes },
	{ "approval", policy_parse_approval },
	{ "approval_timeout", policy_parse_approval_timeout },
	{ "approval_channel", policy_parse_approval_channel },
	{ "keys", policy_parse_key_rules },
};

static int unknown_key(const struct ynode *k, struct reterr *err)
{
	char buf[YSHOW_MAX], known[320];
	size_t o = 0;
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		int n = snprintf(known + o, sizeof(known) - o, "%s%s", s ? ", " : "",
				 sections[s].key);
		if (n < 0 || (size_t)n >= sizeof(known) - o)
			break;
		o += (size_t)n;
	}
	return reterr_set_at(err, -EINVAL, k->line, k->column, "unknown key '%s' (known keys: %s)",
			     ynode_show(k, buf), known);
}

static int parse_root(struct policy *p, const struct ynode *root, struct reterr *err)
{
	bool have_version = false;
	int r;

	if (!root)
		return reterr_set_at(err, -EINVAL, 1, 1,
				     "empty policy: expected a mapping starting with 'version: 1'");
	r = ynode_expect(root, YNODE_MAP, "the policy", err);
	if (r < 0)
		return r;
	r = ynode_check_map_keys(root, "the policy", err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < root->nkids; i += 2) {
		const struct ynode *k = root->kids[i], *v = root->kids[i + 1];
		const struct policy_section *sec = NULL;
		for (size_t s = 0; s < ARRAY_SIZE(sections); s++)
			if (ynode_is(k, sections[s].key))
				sec = &sections[s];
		if (!sec)
			return unknown_key(k, err);
		r = sec->parse(p, v, err);
		if (r < 0)
			return r;
		if (sec->parse == parse_version)
			have_version = true;
	}
	if (!have_version)
		return reterr_set_at(err, -EINVAL, root->line, root->column,
				     "missing 'version: 1'");
	return policy_parse_finish(p, err);
}

static struct policy *policy_new_empty(void)
{
	struct policy *p = calloc(1, sizeof(*p));
	if (p) {
		p->version = POLICY_VERSION;
		policy_rules_init(p);
	}
	return p;
}

int policy_load_buf(const void *data, size_t len, struct policy **ret, struct reterr *err)
{
	struct ynode *root = NULL;
	struct policy *p;
	int r;

	if (!data && len)
		return -EINVAL;
	r = ydoc_parse(data, len, &root, err);
	if (r < 0)
		return r;
	p = policy_new_empty();
	if (!p) {
		ynode_free(root);
		return -ENOMEM;
	}
	p->version = 0;
	r = parse_root(p, root, err);
	ynode_free(root);
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* ---- files -------------------------------------------------------------------------------- */

int policy_load(const char *path, struct policy **ret, struct reterr *err)
{
	AUTO_CLOSE int fd = -1;
	AUTO_BUF struct buf b = BUF_INIT;
	struct reterr e = RETERR_INIT;
	struct stat st;
	int r;

	if (!path || !*path)
		return reterr_set(err, -EINVAL, "empty policy path");
	/* O_NONBLOCK: a FIFO planted at the path must not hang us before fstat refuses it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return reterr_set(err, r, "%s: no such policy file", path);
		if (r == -ELOOP)
			return reterr_set(
				err, r, "%s: is a symbolic link; refusing it (name the real file)",
				path);
		return reterr_set(err, r, "%s: cannot open policy: %s", path, strerror(-r));
	}
	if (fstat(fd, &st) < 0)
		return reterr_set(err, -errno, "%s: cannot stat policy: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return reterr_set(err, -EACCES, "%s: policy is not a regular file", path);
	/* Whoever can write the policy can redirect which secrets a command gets. */
	if (st.st_uid != geteuid())
		return reterr_set(err, -EACCES,
				  "%s: policy is owned by uid %u, not by you (uid %u): use a file "
				  "you own",
				  path, (unsigned)st.st_uid, (unsigned)geteuid());
	/* Whoever can write it redirects secrets; whoever can read it learns which commands and
	 * keys an agent may use. The reference tool asks for 0600 too. */
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return reterr_set(err, -EACCES,
				  "%s: policy is %s by group or others (mode %04o; it must be 0600 "
				  "or stricter): run 'chmod 600 %s'",
				  path,
				  st.st_mode & (S_IWGRP | S_IWOTH)   ? "writable"
				  : st.st_mode & (S_IRGRP | S_IROTH) ? "readable"
								     : "accessible",
				  (unsigned)(st.st_mode & 07777), path);
	if (st.st_size > POLICY_FILE_MAX)
		return reterr_set(err, -E2BIG, "%s: policy larger than %d bytes", path,
				  POLICY_FILE_MAX);
	r = fd_read_all(fd, POLICY_FILE_MAX, &b);
	if (r == -E2BIG)
		return reterr_set(err, r, "%s: policy larger than %d bytes", path, POLICY_FILE_MAX);
	if (r < 0)
		return reterr_set(err, r, "%s: cannot read policy: %s", path, strerror(-r));

	r = policy_load_buf(b.data, b.len, ret, &e);
	if (r < 0) {
		if (e.line > 0)
			return reterr_set_at(err, r, e.line, e.column, "%s:%d:%d: %s", path, e.line,
					     e.column, e.msg);
		return reterr_set(err, r, "%s: %s", path, reterr_str(&e, r));
	}
	return 0;
}

/* Load path into *ret; with $SECRETCTL_POLICY or --policy a missing file says where the name
 * came from. */
static int load_named(const char *path, const char *origin, struct policy **ret, struct reterr *err)
{
	int r = policy_load(path, ret, err);
	if (r == -ENOENT)
		reterr_set(err, r, "%s (from %s): no such policy file", path, origin);
	return r;
}

int policy_load_default(const char *vault_dir, const char *explicit_path, unsigned flags,
			struct policy **ret, char **ret_path, struct reterr *err)
{
	static const char *const names[] = { POLICY_FILE_NAME, POLICY_LEGACY_FILE_NAME };
	AUTO_FREE char *path = NULL;
	const char *env = secure_getenv(POLICY_ENV);
	int r = -ENOENT;

	if ((explicit_path && *explicit_path) || (env && *env)) {
		bool expl = explicit_path && *explicit_path;
		path = strdup(expl ? explicit_path : env);
		if (!path)
			return -ENOMEM;
		r = load_named(path, expl ? "--policy" : "$" POLICY_ENV, ret, err);
	} else {
		if (!vault_dir || !*vault_dir)
			return reterr_set(err, -EINVAL, "no vault directory to look for %s in",
					  POLICY_FILE_NAME);
		for (size_t i = 0; i < ARRAY_SIZE(names) && r == -ENOENT; i++) {
			free(path);
			if (asprintf(&path, "%s/%s", vault_dir, names[i]) < 0) {
				path = NULL;
				return -ENOMEM;
			}
			r = policy_load(path, ret, err);
		}
		if (r == -ENOENT) {
			free(path);
			if (asprintf(&path, "%s/%s", vault_dir, POLICY_FILE_NAME) < 0) {
				path = NULL;
				return -ENOMEM;
			}
			if (flags & POLICY_LOAD_REQUIRED) {
				r = reterr_set(
					err, -ENOENT,
					"no policy file: create %s (see 'man secretctl-policy') "
					"and run 'chmod 600 %s'",
					path, path);
			} else {
				/* No policy file is the common case for the CLI: nothing is aliased. */
				*ret = policy_new_empty();
				r = *ret ? 0 : -ENOMEM;
			}
		}
	}
	if (r < 0)
		return r;
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

/* ---- aliases ------------------------------------------------------------------------------ */

int policy_alias_rewrite(const struct policy *p, const char *alias, const char *pattern,
			 char **ret_rewritten)
{
	const struct policy_alias *a = NULL;
	const struct policy_rule *best = NULL;
	char *out;

	if (!alias || !pattern)
		return -EINVAL;
	for (size_t i = 0; p && i < p->naliases; i++)
		if (strcmp(p->aliases[i].name, alias) == 0)
			a = &p->aliases[i];
	if (!a)
		return -ENOENT;

	for (size_t i = 0; i < a->nrules; i++) {
		const struct policy_rule *rl = &a->rules[i];
		if (!rl->prefix) {
			if (strcmp(pattern, rl->pattern) == 0) {
				best = rl;
				break; /* an exact rule beats every prefix rule */
			}
		} else if (strncmp(pattern, rl->pattern, rl->plen) == 0 &&
			   (!best || rl->plen > best->plen)) {
			best = rl;
		}
	}
	if (!best) {
		out = strdup(pattern);
		if (!out)
			return -ENOMEM;
		*ret_rewritten = out;
		return 0;
	}

	const char *rest = best->prefix ? pattern + best->plen : "";
	size_t rlen = strlen(rest), total;
	if (__builtin_add_overflow(best->tlen, rlen, &total) || total > POLICY_KEY_MAX)
		return -E2BIG;
	out = malloc(total + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, best->target, best->tlen);
	memcpy(out + best->tlen, rest, rlen + 1);
	*ret_rewritten = out;
	return 1;
}

int policy_alias_origin(const char *pattern, const char *rewritten, const char *key, char **ret)
{
	size_t pl, rl, kl, s = 0;

	if (!pattern || !rewritten || !key)
		return -EINVAL;
	pl = strlen(pattern);
	rl = strlen(rewritten);
	kl = strlen(key);
	/* A rewrite swaps a literal prefix and keeps the rest, so the longest common suffix of
	 * pattern and rewritten contains the kept rest; what precedes it in rewritten is a
	 * literal prefix of every key the rewritten pattern matches. */
	while (s < pl && s < rl && pattern[pl - 1 - s] == rewritten[rl - 1 - s])
		s++;
	size_t xp = pl - s, tp = rl - s;
	if (kl < tp || memcmp(key, rewritten, tp) != 0)
		return -EINVAL;
	char *out = malloc(xp + (kl - tp) + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, pattern, xp);
	memcpy(out + xp, key + tp, kl - tp + 1);
	*ret = out;
	return 0;
}
