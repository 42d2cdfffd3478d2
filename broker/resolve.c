/* SPDX-License-Identifier: Apache-2.0 */
/* broker: turn key patterns (through env aliases), a bindings key and --from-env names into the
 * named values a run injects and redacts. Every stored key is checked against the policy and
 * its expiry before any value is decrypted; values go from the vault's secure blob straight
 * into locked memory. Naming rules live in policy/ (docs/policy.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker-internal.h"

/* A stored key to load, with the key the user asked for (names come from it) and how the
 * request named it (for messages). */
struct want {
	char *key;
	char *logical;
	char *what;
};

struct wants {
	struct want *v;
	size_t n, cap;
};

static void wants_free(struct wants *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].key);
		free(w->v[i].logical);
		free(w->v[i].what);
	}
	free(w->v);
}

void broker_items_free(struct broker_run *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].env);
		free(r->items[i].key);
		free(r->items[i].field);
		secret_free(r->items[i].value);
	}
	free(r->items);
	r->items = NULL;
	r->nitems = r->cap = 0;
}

char *broker_items_keys(const struct broker_run *r)
{
	AUTO_BUF struct buf b = BUF_INIT;
	for (size_t i = 0; i < r->nitems; i++) {
		const char *k = r->items[i].key;
		bool seen = false;
		if (!k)
			continue;
		/* A multi-field secret yields several items with one key: list it once. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = r->items[j].key && strcmp(r->items[j].key, k) == 0;
		if (seen)
			continue;
		if ((b.len && buf_putc(&b, ',') < 0) || buf_puts(&b, k) < 0)
			return NULL;
	}
	return buf_detach(&b);
}

static const char *item_source(const struct broker_item *it)
{
	return it->key ? it->key : "--from-env";
}

static int nomem(struct reterr *err)
{
	return reterr_set(
		err, -ENOMEM,
		"out of secure memory while loading secrets (locked-memory limit: ulimit -l)");
}

/* Where a value comes from in a secret: its single value (field NULL) or a field, plain when
 * the field is not marked sensitive. */
struct part {
	const char *field;
	bool plain;
};
static const struct part single_value = { NULL, false };

/* Add one variable. env is taken; key and p->field are copied (key NULL for --from-env); the
 * value is copied into secure memory. */
static int add_item(struct broker_run *r, char *env, const char *key, const struct part *p,
		    const void *val, size_t len, struct reterr *err)
{
	AUTO_FREE char *name = env;
	AUTO_FREE char *key_copy = NULL;
	AUTO_FREE char *field_copy = NULL;
	AUTO_SECRET struct secret *value = NULL;
	const char *src = key ? key : "--from-env";
	int e = policy_env_check(name);

	if (e == -EINVAL)
		return reterr_set(err, -EINVAL,
				  "%s: '%s' is not a valid environment variable name (letters, "
				  "digits, '_')",
				  src, name);
	if (e == -EACCES && !r->allow_reserved)
		return reterr_set(err, -EINVAL,
				  "%s would set %s, which is reserved (it changes how programs "
				  "start); rename the secret or binding, or use an env prefix",
				  src, name);
	for (size_t i = 0; i < r->nitems; i++)
		if (strcmp(r->items[i].env, name) == 0)
			return reterr_set(err, -EINVAL,
					  "%s and %s both set the environment variable %s; rename "
					  "one or request them separately",
					  item_source(&r->items[i]), src, name);
	if (r->nitems >= BROKER_ITEMS_MAX)
		return reterr_set(err, -E2BIG,
				  "more than %d secrets requested; narrow the patterns",
				  BROKER_ITEMS_MAX);
	if (r->nitems == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 8;
		struct broker_item *items = reallocarray(r->items, ncap, sizeof(*items));
		if (!items)
			return nomem(err);
		r->items = items;
		r->cap = ncap;
	}
	if (!(value = secret_from(val, len)))
		return nomem(err);
	if ((key && !(key_copy = strdup(key))) || (p->field && !(field_copy = strdup(p->field))))
		return nomem(err);
	r->items[r->nitems++] = (struct broker_item){
		.env = TAKE_PTR(name),
		.key = TAKE_PTR(key_copy),
		.field = TAKE_PTR(field_copy),
		.plain = p->plain,
		.value = TAKE_PTR(value),
	};
	return 0;
}

static int refuse_expired(const struct vault_meta *m, struct reterr *err)
{
	char when[32];
	parse_format_time(m->expires_at, when);
	return reterr_set(err, -EKEYEXPIRED,
			  "secret '%s' expired at %s; refusing to use it: rotate it with "
			  "'secretctl set' (new value and expiry) or clear its expiry",
			  m->key, when);
}

struct add_ctx {
	struct broker_run *r;
	const char *key;
};

static int add_var(void *ctx, char *env, const struct vault_field_meta *field,
		   const unsigned char *value, size_t len, struct reterr *err)
{
	const struct add_ctx *a = ctx;
	struct part p = single_value;
	if (field)
		p = (struct part){ field->name, !field->sensitive };
	return add_item(a->r, env, a->key, &p, value, len, err);
}

/* Decrypt one stored key (already checked) and inject its parts. */
static int load_want(struct broker_run *r, const struct want *w, struct reterr *err)
{
	struct vault_entry *e = NULL;
	int ret = vault_get(r->b->vault, w->key, VAULT_GET_NO_AUDIT, &e, err);

	if (ret == -ENOENT)
		return reterr_set(err, -ENOENT, "no secret %s; see 'secretctl list'", w->what);
	if (ret < 0)
		return ret;
	struct add_ctx a = { r, w->key };
	/* secret_run_with_bindings: exactly the variables its owner chose. */
	ret = broker_entry_vars(e, w->logical, r->env_prefix, r->bindings_key != NULL, add_var, &a,
				err);
	if (ret == -ENOMEM)
		ret = nomem(err);
	vault_entry_free(e); /* wipes the decrypted blob */
	return ret;
}

static bool expired(const struct vault_meta *m, int64_t now)
{
	return m->expires_at != 0 && m->expires_at < now;
}

/* Everything that can refuse a stored key without decrypting it: the policy, the expiry, and
 * for a bindings run the presence of bindings. */
static int check_key(struct broker_run *r, const struct vault_meta *m, int64_t now,
		     struct reterr *err)
{
	int e;
	if (r->judged && (e = policy_key_check(r->b->policy, &r->decision, m->key, err)) < 0)
		return e;
	if (expired(m, now))
		return refuse_expired(m, err);
	if (r->bindings_key && m->nbindings == 0)
		return reterr_set(err, -EINVAL,
				  "secret '%s' has no bindings; add them with 'secretctl set %s "
				  "--binding ENV=field'",
				  m->key, m->key);
	return 0;
}

static int push_want(struct wants *w, const char *pattern, const char *rewritten, const char *key,
		     const char *what, struct reterr *err)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i].key, key) == 0)
			return 0; /* two patterns matching one key inject it once */
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 8;
		struct want *v = reallocarray(w->v, ncap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = ncap;
	}
	if (w->n >= BROKER_ITEMS_MAX)
		return reterr_set(err, -E2BIG,
				  "more than %d secrets requested; narrow the patterns",
				  BROKER_ITEMS_MAX);
	struct want *x = &w->v[w->n];
	*x = (struct want){ 0 };
	x->key = strdup(key);
	x->what = strdup(what);
	int e = x->key && x->what ? policy_alias_origin(pattern, rewritten, key, &x->logical)
				  : -ENOMEM;
	w->n++; /* freed by wants_free whatever happened */
	if (e == -EINVAL)
		return reterr_set(err, -EIO, "cannot map key '%s' back through the env alias", key);
	return e;
}

/* How a pattern is described in messages, with its rewrite under an alias. */
static void describe(char *out, size_t size, const char *alias, const char *pattern,
		     const char *rewritten)
{
	int n;
	if (strcmp(pattern, rewritten) == 0)
		n = snprintf(out, size, "'%s'", pattern);
	else
		n = snprintf(out, size, "'%s' (as '%s' under env alias %s)", pattern, rewritten,
			     alias);
	if (n < 0)
		out[0] = '\0';
}

/* The stored keys one pattern names, each checked. */
static int collect(struct broker_run *r, const char *pattern, const char *rewritten,
		   struct wants *w, int64_t now, struct reterr *err)
{
	char what[2 * VAULT_KEY_MAX + 128];
	struct vault_meta *metas = NULL;
	size_t n = 0;
	int e = 0;

	describe(what, sizeof(what), r->env_alias, pattern, rewritten);
	if (!glob_is_pattern(rewritten)) {
		struct vault_entry *m = NULL;
		e = vault_get(r->b->vault, rewritten, VAULT_GET_NO_AUDIT | VAULT_GET_META_ONLY, &m,
			      err);
		if (e == -ENOENT)
			return reterr_set(err, -ENOENT, "no secret %s; see 'secretctl list'", what);
		if (e == 0 && (e = check_key(r, &m->meta, now, err)) == 0)
			e = push_want(w, pattern, rewritten, rewritten, what, err);
		vault_entry_free(m);
		return e;
	}
	if ((e = vault_list(r->b->vault, rewritten, VAULT_GET_NO_AUDIT, &metas, &n, err)) < 0)
		return e;
	if (n == 0)
		e = reterr_set(err, -ENOENT, "pattern %s matches no secret; see 'secretctl list'",
			       what);
	for (size_t i = 0; i < n && e == 0; i++)
		if ((e = check_key(r, &metas[i], now, err)) == 0)
			e = push_want(w, pattern, rewritten, metas[i].key, what, err);
	vault_meta_array_free(metas, n);
	return e;
}

static int check_prefix(const char *p, struct reterr *err)
{
	/* At most half a name: room is left for the key's part. */
	if (!env_name_valid_upper(p) || strlen(p) > ENV_NAME_MAX / 2)
		return reterr_set(err, -EINVAL,
				  "env prefix '%s': use upper-case letters, digits and '_', not "
				  "starting with a digit",
				  p);
	return 0;
}

/* The pattern as the vault is searched: through the env alias when one is given. */
static int rewrite(struct broker_run *r, const char *pat, char **ret, struct reterr *err)
{
	const char *path = broker_policy_path(r->b);
	if (!r->env_alias) {
		*ret = strdup(pat);
		return *ret ? 0 : -ENOMEM;
	}
	int e = policy_alias_rewrite(broker_policy(r->b), r->env_alias, pat, ret);
	if (e == -ENOENT)
		return reterr_set(err, -EINVAL,
				  "env alias '%s': no such alias under env_aliases in %s (see "
				  "docs/policy.md)",
				  r->env_alias, path ? path : "the policy (none loaded)");
	if (e == -E2BIG)
		return reterr_set(err, -EINVAL, "key pattern '%s' is too long under env alias %s",
				  pat, r->env_alias);
	return e < 0 ? e : 0;
}

/* ---- approval ----------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *profile_name(enum sup_profile p)
{
	return p == SUP_PROFILE_STRICT ? "strict" : p == SUP_PROFILE_OFF ? "off" : "standard";
}

/* The keys of w, sorted, each once (borrowed strings in a new vector). */
static char **want_keys(const struct wants *w, size_t *ret_n)
{
	char **v = calloc(w->n + 1, sizeof(*v));
	size_t n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		v[i] = w->v[i].key;
	qsort(v, w->n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < w->n; i++)
		if (!n || strcmp(v[n - 1], v[i]))
			v[n++] = v[i];
	v[n] = NULL;
	*ret_n = n;
	return v;
}

/* A run the policy wants approved is asked about now: keys named and checked, nothing
 * decrypted. A refusal is audited as secret.run_denied (with the reason) here. */
static int approve(struct broker_run *r, const struct wants *w, struct reterr *err)
{
	char why[POLICY_RULE_MAX], gwhy[POLICY_RULE_MAX];
	size_t n = 0;
	int e;
	if (!r->judged || r->dry_run)
		return 0;
	AUTO_FREE char **keys = want_keys(w, &n);
	if (!keys)
		return -ENOMEM;
	enum policy_approval level = policy_approval_for(r->b->policy, &r->decision, keys, n, why);
	bool grant = policy_requires_grant(r->b->policy, keys, n, gwhy);
	if (level == POLICY_APPROVAL_NEVER && !grant)
		return 0;
	struct broker_approval ask = {
		.level = level,
		.why = why,
		.require_grant = grant,
		.grant_why = gwhy,
		.source = r->b->source,
		.argv = r->argv,
		.program = r->decision.found,
		.keys = keys,
		.profile = profile_name(r->sandbox.profile),
		.deny_network = r->sandbox.deny_network,
		.timeout_ms = policy_approval_timeout_ms(r->b->policy),
	};
	broker_run_hash(r, keys, (int)level, ask.run_hash);
	e = r->b->approve ? r->b->approve(r->b->approve_ctx, &ask, err) : -ENOSYS;
	if (e >= 0) {
		r->approved_via = e == BROKER_APPROVED_CLIENT ? "elicitation" : "agent";
		return 0;
	}
	if (e == -EAGAIN) {
		r->consent_pending = true; /* asked again with the answer: no record now */
		return e;
	}
	if (e == -ENOSYS && grant)
		e = reterr_set(err, -EACCES,
			       "%s; grants live in the session agent: run 'secretctl unlock', then "
			       "'secretctl grant' (see 'man secretctl-grant')",
			       gwhy);
	else if (e == -ENOSYS)
		e = reterr_set(err, -EACCES,
			       "this run needs the person's approval (%s), which is asked through "
			       "the session agent: run 'secretctl unlock' (see 'man "
			       "secretctl-approve')",
			       why);
	if (e == -EACCES)
		r->consent_denied = true; /* audited by the run as secret.run_denied */
	return e;
}

static int resolve_vault(struct broker_run *r, struct reterr *err)
{
	struct wants w = { 0 };
	int64_t now = clock_now();
	int e = 0;
	char *one[2] = { r->bindings_key, NULL };
	char **pats = r->bindings_key ? one : r->patterns;

	if (!r->b->vault)
		return reterr_set(err, -EINVAL,
				  "internal error: secrets requested without a vault");
	/* Every key is named and checked before the first value is decrypted. */
	for (size_t i = 0; pats && pats[i] && e == 0; i++) {
		char *rw = NULL;
		if (!*pats[i]) {
			e = reterr_set(err, -EINVAL, "empty key pattern");
			break;
		}
		if ((e = rewrite(r, pats[i], &rw, err)) == 0) {
			e = strv_push(&r->patterns_used, rw);
			if (e == 0)
				e = collect(r, pats[i], rw, &w, now, err);
		}
		free(rw);
	}
	if (e == 0)
		e = approve(r, &w, err);
	for (size_t i = 0; i < w.n && e == 0; i++)
		e = load_want(r, &w.v[i], err);
	wants_free(&w);
	return e;
}

static int resolve_from_env(struct broker_run *r, struct reterr *err)
{
	int e = 0;
	for (size_t i = 0; r->from_env && r->from_env[i] && e == 0; i++) {
		const char *name = r->from_env[i];
		const char *val;
		char *env;
		if (policy_env_check(name) == -EINVAL)
			return reterr_set(err, -EINVAL,
					  "--from-env '%s': not a valid environment variable name",
					  name);
		if (!(val = secure_getenv(name)))
			return reterr_set(err, -EINVAL,
					  "--from-env %s: the variable is not set in this "
					  "environment; export it first",
					  name);
		if (!(env = strdup(name)))
			return -ENOMEM;
		/* Named as given, without the prefix: the caller chose this name. */
		e = add_item(r, env, NULL, &single_value, val, strlen(val), err);
	}
	/* The values now live in locked memory only: wipe them from our environment block (which
	 * /proc/<pid>/environ shows, and which the sandbox's init would inherit), as for
	 * SECRETCTL_PASSWORD. Only after the loop: a name may be given twice. */
	for (size_t i = 0; e == 0 && r->from_env && r->from_env[i]; i++)
		proc_scrub_env(r->from_env[i]);
	return e;
}

int broker_resolve(struct broker_run *r, struct reterr *err)
{
	int e;
	if (secret_lib_init() < 0)
		return reterr_set(err, -EIO, "cannot initialise libsodium");
	if (r->env_prefix && *r->env_prefix && (e = check_prefix(r->env_prefix, err)) < 0)
		return e;
	if (((r->patterns && r->patterns[0]) || r->bindings_key) && (e = resolve_vault(r, err)) < 0)
		return e;
	return resolve_from_env(r, err);
}

void broker_key_checks_free(struct broker_key_check *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].pattern);
		strv_free(c[i].matches);
		free(c[i].reason);
	}
	free(c);
}

/* One pattern of broker_run_check_keys. */
static int check_one(struct broker_run *r, const char *pat, struct broker_key_check *c, int64_t now)
{
	struct reterr e1 = RETERR_INIT;
	struct vault_meta *metas = NULL;
	struct vault_entry *one = NULL;
	AUTO_FREE char *rw = NULL;
	size_t n = 0;
	int e;

	if (!(c->pattern = strdup(pat)))
		return -ENOMEM;
	if ((e = rewrite(r, pat, &rw, &e1)) < 0)
		goto refused;
	if (!glob_is_pattern(rw)) {
		e = vault_get(r->b->vault, rw, VAULT_GET_NO_AUDIT | VAULT_GET_META_ONLY, &one, &e1);
		if (e == 0) {
			metas = &one->meta;
			n = 1;
		}
	} else {
		e = vault_list(r->b->vault, rw, VAULT_GET_NO_AUDIT, &metas, &n, &e1);
	}
	if (e == -ENOENT || (e == 0 && n == 0)) {
		e = reterr_set(&e1, -ENOENT, "matches no secret");
		goto refused;
	}
	for (size_t i = 0; i < n && e == 0; i++)
		if ((e = strv_push(&c->matches, metas[i].key)) == 0)
			e = check_key(r, &metas[i], now, &e1);
	if (one)
		vault_entry_free(one);
	else
		vault_meta_array_free(metas, n);
	if (e == -ENOMEM)
		return e;
	if (e == 0) {
		c->allowed = true;
		return 0;
	}
refused:
	c->allowed = false;
	c->reason = strdup(e1.msg[0] ? e1.msg : strerror(-e));
	return c->reason ? 0 : -ENOMEM;
}

int broker_run_check_keys(struct broker_run *r, struct broker_key_check **ret, size_t *ret_n,
			  struct reterr *err)
{
	char *one[2] = { r->bindings_key, NULL };
	char **pats = r->bindings_key ? one : r->patterns;
	size_t n = strv_len(pats);
	struct broker_key_check *c;
	int64_t now = clock_now();

	if (!r->b->vault)
		return reterr_set(err, -EINVAL, "internal error: key checks without a vault");
	if (!(c = calloc(n ? n : 1, sizeof(*c))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int e = check_one(r, pats[i], &c[i], now);
		if (e < 0) {
			broker_key_checks_free(c, n);
			return reterr_set(err, e, "out of memory");
		}
	}
	*ret = c;
	*ret_n = n;
	return 0;
}
