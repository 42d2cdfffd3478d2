/* SPDX-License-Identifier: Apache-2.0 */
/* cli: turn -k patterns (through --env aliases) and --from-env names into the named secrets that
 * run, exec and redact use. Values go from the vault's secure blob straight into secure buffers;
 * every refusal is reported here, once. Naming rules live in policy/ (docs/policy.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "policy/policy.h"

/* Each value is one sodium_malloc (guard pages, locked memory), so the set stays small. */
#define RESOLVE_ITEMS_MAX 1024

struct resolver {
	const struct cli_resolve_opts *o;
	struct cli_secrets *out;
	size_t cap;
	int64_t now;
};

struct cli_secrets *cli_secrets_free(struct cli_secrets *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].env);
		free(s->items[i].key);
		secret_free(s->items[i].value);
	}
	free(s->items);
	free(s);
	return NULL;
}

char *cli_secrets_keys(const struct cli_secrets *s)
{
	AUTO_BUF struct buf b = BUF_INIT;
	for (size_t i = 0; s && i < s->n; i++) {
		const char *k = s->items[i].key;
		bool seen = false;
		if (!k)
			continue;
		/* A multi-field secret yields several items with one key: list it once. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = s->items[j].key && strcmp(s->items[j].key, k) == 0;
		if (seen)
			continue;
		if ((b.len && buf_putc(&b, ',') < 0) || buf_puts(&b, k) < 0)
			return NULL;
	}
	return buf_detach(&b);
}

/* What an item is called in messages: its vault key, or the --from-env option. */
static const char *item_source(const struct cli_secret_item *it)
{
	return it->key ? it->key : "--from-env";
}

static int report_nomem(void)
{
	cli_error("out of secure memory while loading secrets (locked-memory limit: ulimit -l)");
	return CLI_EIO;
}

/* Add one variable. env is taken; key is copied (NULL for --from-env); the value is copied into
 * secure memory. Returns 0 or an exit code after printing why. */
static int add_item(struct resolver *rs, char *env, const char *key, const void *val, size_t len)
{
	AUTO_FREE char *name = env;
	AUTO_FREE char *key_copy = NULL;
	AUTO_SECRET struct secret *value = NULL;
	struct cli_secrets *s = rs->out;
	const char *src = key ? key : "--from-env";
	int r;

	r = policy_env_check(name);
	if (r == -EINVAL) {
		cli_error("%s: '%s' is not a valid environment variable name (letters, digits, '_')",
			  src, name);
		return CLI_EUSAGE;
	}
	if (r == -EACCES && !rs->o->allow_reserved) {
		cli_error("%s would set %s, which is reserved (it changes how programs start); "
			  "rename the secret or binding, or use --env-prefix",
			  src, name);
		return CLI_EUSAGE;
	}
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i].env, name) == 0) {
			cli_error("%s and %s both set the environment variable %s; rename one or "
				  "request them separately",
				  item_source(&s->items[i]), src, name);
			return CLI_EUSAGE;
		}
	if (s->n >= RESOLVE_ITEMS_MAX) {
		cli_error("more than %d secrets requested; narrow the -k patterns",
			  RESOLVE_ITEMS_MAX);
		return CLI_EUSAGE;
	}
	if (s->n == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 8;
		struct cli_secret_item *items = reallocarray(s->items, ncap, sizeof(*items));
		if (!items)
			return report_nomem();
		s->items = items;
		rs->cap = ncap;
	}
	value = secret_from(val, len);
	if (!value)
		return report_nomem();
	if (key) {
		key_copy = strdup(key);
		if (!key_copy)
			return report_nomem();
	}
	s->items[s->n++] = (struct cli_secret_item){
		.env = TAKE_PTR(name),
		.key = TAKE_PTR(key_copy),
		.value = TAKE_PTR(value),
	};
	return 0;
}

static int env_name_for(struct resolver *rs, const char *logical, char **ret)
{
	int r = policy_env_name(logical, rs->o->env_prefix, ret);
	if (r == -ENOMEM) {
		cli_error("out of memory");
		return CLI_EIO;
	}
	if (r < 0) {
		cli_error("key '%s' does not give a valid environment variable name; add "
			  "--env-prefix (a key may not start with a digit without one) or give the "
			  "secret a binding",
			  logical);
		return CLI_EUSAGE;
	}
	return 0;
}

static bool expired(const struct resolver *rs, const struct vault_meta *m)
{
	return m->expires_at != 0 && m->expires_at < rs->now;
}

static int report_expired(const struct vault_meta *m)
{
	char when[32];
	parse_format_time(m->expires_at, when);
	cli_error("secret '%s' expired at %s; refusing to use it: rotate it with 'secretctl set' "
		  "(new value and expiry) or clear its expiry",
		  m->key, when);
	return CLI_EUSAGE;
}

/* A secret's named parts: its bindings when it has any (exactly the variables its owner chose,
 * prefixed; a binding to field "" is the single value), else every field as <KEY>_<FIELD>. */
static int add_fields(struct resolver *rs, const struct vault_entry *e, const char *key,
		      const char *logical)
{
	const char *pre = rs->o->env_prefix ? rs->o->env_prefix : "";
	int ret;

	if (e->meta.nbindings == 0) {
		for (size_t f = 0; f < e->meta.nfields; f++) {
			AUTO_FREE char *joined = NULL;
			char *env = NULL;
			if (asprintf(&joined, "%s_%s", logical, e->meta.fields[f].name) < 0) {
				joined = NULL;
				return report_nomem();
			}
			ret = env_name_for(rs, joined, &env);
			if (ret == 0)
				ret = add_item(rs, env, key, e->field_values[f], e->field_lens[f]);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (size_t i = 0; i < e->meta.nbindings; i++) {
		const struct vault_binding *bd = &e->meta.bindings[i];
		const unsigned char *val = NULL;
		size_t len = 0;
		char *env = NULL;
		if (!bd->field[0] && e->meta.has_value) {
			val = e->value;
			len = e->value_len;
		}
		for (size_t f = 0; !val && bd->field[0] && f < e->meta.nfields; f++)
			if (strcmp(e->meta.fields[f].name, bd->field) == 0) {
				val = e->field_values[f];
				len = e->field_lens[f];
			}
		if (!val) {
			cli_error("secret '%s': binding %s names a missing %s%s%s; fix it with "
				  "'secretctl set'",
				  key, bd->env, bd->field[0] ? "field '" : "value",
				  bd->field, bd->field[0] ? "'" : "");
			return CLI_EUSAGE;
		}
		if (asprintf(&env, "%s%s", pre, bd->env) < 0)
			return report_nomem();
		ret = add_item(rs, env, key, val, len);
		if (ret)
			return ret;
	}
	return 0;
}

/* True when a binding gives the single value its own name. */
static bool value_bound(const struct vault_entry *e)
{
	for (size_t i = 0; i < e->meta.nbindings; i++)
		if (!e->meta.bindings[i].field[0])
			return true;
	return false;
}

/* Inject one vault secret. key is the stored key, logical the key the user asked for (they
 * differ under --env; env names come from logical so they match in every environment). what
 * names the -k pattern in a not-found message. */
static int add_entry(struct resolver *rs, struct vault *v, const char *key, const char *logical,
		     const char *what)
{
	struct vault_entry *e = NULL;
	struct reterr err = { .msg = "" };
	char *env = NULL;
	int r, ret = 0;

	r = vault_get(v, key, VAULT_GET_NO_AUDIT, &e, &err);
	if (r == -ENOENT) {
		cli_error("no secret %s; see 'secretctl list'", what);
		return CLI_ENOTFOUND;
	}
	if (r < 0) {
		cli_error("cannot read secret '%s': %s", key, err.msg[0] ? err.msg : strerror(-r));
		return cli_exit_from_errno(r);
	}
	if (expired(rs, &e->meta)) {
		ret = report_expired(&e->meta);
		goto out;
	}
	if (!e->meta.has_value && e->meta.nfields == 0) {
		cli_error("secret '%s' has neither a value nor fields", key);
		ret = CLI_EUSAGE;
		goto out;
	}
	if (e->meta.has_value && !value_bound(e)) {
		ret = env_name_for(rs, logical, &env);
		if (ret)
			goto out;
		ret = add_item(rs, env, key, e->value, e->value_len);
		if (ret)
			goto out;
	}
	ret = add_fields(rs, e, key, logical);
out:
	vault_entry_free(e); /* wipes the decrypted blob */
	return ret;
}

static bool already_added(const struct resolver *rs, const char *key)
{
	for (size_t i = 0; i < rs->out->n; i++)
		if (rs->out->items[i].key && strcmp(rs->out->items[i].key, key) == 0)
			return true;
	return false;
}

/* How a pattern is described in messages, with its rewrite under --env. A message cut short
 * by the bound is still correct as far as it goes. */
static void describe(char *out, size_t size, const char *alias, const char *pattern,
		     const char *rewritten)
{
	int n;
	if (strcmp(pattern, rewritten) == 0)
		n = snprintf(out, size, "'%s'", pattern);
	else
		n = snprintf(out, size, "'%s' (as '%s' under --env %s)", pattern, rewritten,
			     alias);
	if (n < 0)
		out[0] = '\0';
}

static int add_key(struct resolver *rs, struct vault *v, const char *pattern,
		   const char *rewritten, const char *key, const char *what)
{
	AUTO_FREE char *logical = NULL;
	int r;

	if (already_added(rs, key))
		return 0; /* two patterns matching one key inject it once */
	r = policy_alias_origin(pattern, rewritten, key, &logical);
	if (r < 0) {
		cli_error("cannot map key '%s' back through --env %s", key, rs->o->env_alias);
		return CLI_EIO;
	}
	return add_entry(rs, v, key, logical, what);
}

static int resolve_pattern(struct resolver *rs, struct vault *v, const char *pattern,
			   const char *rewritten)
{
	char what[2 * VAULT_KEY_MAX + 128];
	struct reterr err = { .msg = "" };
	struct vault_meta *metas = NULL;
	size_t n = 0;
	int r, ret = 0;

	describe(what, sizeof(what), rs->o->env_alias, pattern, rewritten);
	if (!glob_is_pattern(rewritten)) {
		return add_key(rs, v, pattern, rewritten, rewritten, what);
	}

	r = vault_list(v, rewritten, VAULT_GET_NO_AUDIT, &metas, &n, &err);
	if (r < 0) {
		cli_error("cannot list secrets for %s: %s", what, err.msg[0] ? err.msg : strerror(-r));
		return cli_exit_from_errno(r);
	}
	if (n == 0) {
		cli_error("pattern %s matches no secret; see 'secretctl list'", what);
		ret = CLI_ENOTFOUND;
		goto out;
	}
	/* Refuse before decrypting anything when an expired secret is in the set. */
	for (size_t i = 0; i < n; i++)
		if (expired(rs, &metas[i])) {
			ret = report_expired(&metas[i]);
			goto out;
		}
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = add_key(rs, v, pattern, rewritten, metas[i].key, what);
out:
	vault_meta_array_free(metas, n);
	return ret;
}

static int load_policy(struct policy **ret, char **ret_path)
{
	struct reterr err = { .msg = "" };
	AUTO_FREE char *dir = NULL;
	int r;

	/* With $SECRETCTL_POLICY set the vault directory is not needed. */
	dir = vault_dir_default(NULL);
	r = policy_load_default(dir, ret, ret_path, &err);
	if (r == 0)
		return 0;
	cli_error("%s", err.msg[0] ? err.msg : strerror(-r));
	switch (-r) {
	case ENOENT: return CLI_ENOTFOUND;
	case EINVAL: case E2BIG: case EACCES: case ELOOP: return CLI_EUSAGE;
	default: return CLI_EIO;
	}
}

static int check_prefix(const char *p)
{
	bool ok = p[0] == '_' || (p[0] >= 'A' && p[0] <= 'Z');
	for (size_t i = 0; ok && p[i]; i++)
		ok = p[i] == '_' || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9');
	if (!ok || strlen(p) > POLICY_ENV_NAME_MAX / 2) {
		cli_error("--env-prefix '%s': use upper-case letters, digits and '_', not starting "
			  "with a digit",
			  p);
		return CLI_EUSAGE;
	}
	return 0;
}

static int resolve_all(struct resolver *rs, struct vault *v)
{
	const struct cli_resolve_opts *o = rs->o;
	struct policy *pol = NULL;
	AUTO_FREE char *pol_path = NULL;
	int ret = 0;

	if (o->env_prefix && *o->env_prefix) {
		ret = check_prefix(o->env_prefix);
		if (ret)
			return ret;
	}
	if (o->patterns && o->patterns[0]) {
		if (!v) {
			cli_error("internal error: secrets requested without an open vault");
			return CLI_EIO;
		}
		if (o->env_alias) {
			ret = load_policy(&pol, &pol_path);
			if (ret)
				return ret;
		}
	} else if (o->env_alias) {
		cli_warn("--env %s has no effect without -k", o->env_alias);
	}

	for (size_t i = 0; o->patterns && o->patterns[i] && ret == 0; i++) {
		const char *pat = o->patterns[i];
		char *rewritten = NULL;
		if (!*pat) {
			cli_error("empty -k pattern");
			ret = CLI_EUSAGE;
			break;
		}
		if (o->env_alias) {
			int r = policy_alias_rewrite(pol, o->env_alias, pat, &rewritten);
			if (r == -ENOENT) {
				cli_error("--env %s: no such alias under env_aliases in %s%s (see "
					  "docs/policy.md)",
					  o->env_alias, pol_path,
					  access(pol_path, F_OK) == 0 ? "" : ", which does not exist");
				ret = CLI_EUSAGE;
				break;
			}
			if (r < 0) {
				cli_error("-k %s: cannot rewrite through --env %s: %s", pat,
					  o->env_alias, r == -E2BIG ? "result too long" : strerror(-r));
				ret = r == -E2BIG ? CLI_EUSAGE : CLI_EIO;
				break;
			}
		} else {
			rewritten = strdup(pat);
			if (!rewritten) {
				cli_error("out of memory");
				ret = CLI_EIO;
				break;
			}
		}
		ret = resolve_pattern(rs, v, pat, rewritten);
		free(rewritten);
	}
	policy_free(pol);

	for (size_t i = 0; o->from_env && o->from_env[i] && ret == 0; i++) {
		const char *name = o->from_env[i];
		const char *val;
		char *env;
		if (policy_env_check(name) == -EINVAL) {
			cli_error("--from-env '%s': not a valid environment variable name", name);
			return CLI_EUSAGE;
		}
		val = secure_getenv(name);
		if (!val) {
			cli_error("--from-env %s: the variable is not set in this environment; export "
				  "it first",
				  name);
			return CLI_EUSAGE;
		}
		env = strdup(name);
		if (!env) {
			cli_error("out of memory");
			return CLI_EIO;
		}
		/* Named as given, without --env-prefix: the caller chose this name. */
		ret = add_item(rs, env, NULL, val, strlen(val));
	}
	/* The values now live in secure memory only: wipe them from our environment block (which
	 * /proc/<pid>/environ shows, and which the sandbox's init would inherit), as for
	 * SECRETCTL_PASSWORD. Only after the loop: a name may be given twice. */
	for (size_t i = 0; ret == 0 && o->from_env && o->from_env[i]; i++)
		proc_scrub_env(o->from_env[i]);
	return ret;
}

int cli_resolve(struct vault *v, const struct cli_resolve_opts *o, struct cli_secrets **ret)
{
	struct resolver rs = { .o = o, .now = clock_now() };
	int r;

	if (secret_lib_init() < 0) {
		cli_error("cannot initialise libsodium");
		return CLI_EIO;
	}
	rs.out = calloc(1, sizeof(*rs.out));
	if (!rs.out) {
		cli_error("out of memory");
		return CLI_EIO;
	}
	r = resolve_all(&rs, v);
	if (r) {
		cli_secrets_free(rs.out);
		return r;
	}
	*ret = rs.out;
	return CLI_OK;
}
