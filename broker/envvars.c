/* SPDX-License-Identifier: Apache-2.0 */
/* broker: the environment variables a secret gives a command (its value, its bindings or its
 * fields, named by the one env-name rule): what `run` injects and what `export -f env` writes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "policy/policy.h"

static int name_for(const char *logical, const char *prefix, char **ret, struct reterr *err)
{
	int e = policy_env_name(logical, prefix, ret);
	if (e == -ENOMEM)
		return reterr_set(err, -ENOMEM, "out of memory");
	if (e < 0)
		return reterr_set(
			err, -EINVAL,
			"key '%s' does not give a valid environment variable name; add an "
			"env prefix (a key may not start with a digit without one) or give "
			"the secret a binding",
			logical);
	return 0;
}

/* Its bindings (prefixed; a binding to field "" is the single value), else every field as
 * <logical>_<FIELD>. */
static int fields(const struct vault_entry *e, const char *logical, const char *prefix,
		  broker_var_fn fn, void *ctx, struct reterr *err)
{
	const char *pre = prefix ? prefix : "";
	char *env = NULL;
	int r;
	if (e->meta.nbindings == 0) {
		for (size_t f = 0; f < e->meta.nfields; f++) {
			char *joined = NULL;
			if (asprintf(&joined, "%s_%s", logical, e->meta.fields[f].name) < 0)
				return reterr_set(err, -ENOMEM, "out of memory");
			r = name_for(joined, prefix, &env, err);
			free(joined);
			if (r == 0)
				r = fn(ctx, env, &e->meta.fields[f], e->field_values[f],
				       e->field_lens[f], err);
			if (r)
				return r;
		}
		return 0;
	}
	for (size_t i = 0; i < e->meta.nbindings; i++) {
		const struct vault_binding *bd = &e->meta.bindings[i];
		const unsigned char *val = NULL;
		const struct vault_field_meta *fm = NULL;
		size_t len = 0;
		if (!bd->field[0] && e->meta.has_value) {
			val = e->value;
			len = e->value_len;
		}
		for (size_t f = 0; !val && bd->field[0] && f < e->meta.nfields; f++)
			if (strcmp(e->meta.fields[f].name, bd->field) == 0) {
				val = e->field_values[f];
				len = e->field_lens[f];
				fm = &e->meta.fields[f];
			}
		if (!val)
			return reterr_set(
				err, -EINVAL,
				"secret '%s': binding %s names a missing %s%s%s; fix it with "
				"'secretctl set'",
				e->meta.key, bd->env, bd->field[0] ? "field '" : "value", bd->field,
				bd->field[0] ? "'" : "");
		if (asprintf(&env, "%s%s", pre, bd->env) < 0)
			return reterr_set(err, -ENOMEM, "out of memory");
		if ((r = fn(ctx, env, fm, val, len, err)) != 0)
			return r;
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

int broker_entry_vars(const struct vault_entry *e, const char *logical, const char *prefix,
		      bool bindings_only, broker_var_fn fn, void *ctx, struct reterr *err)
{
	char *env = NULL;
	int r;
	if (!e->meta.has_value && e->meta.nfields == 0)
		return reterr_set(err, -EINVAL, "secret '%s' has neither a value nor fields",
				  e->meta.key);
	if (bindings_only)
		return fields(e, logical, prefix, fn, ctx, err);
	if (e->meta.has_value && !value_bound(e)) {
		if ((r = name_for(logical, prefix, &env, err)) != 0 ||
		    (r = fn(ctx, env, NULL, e->value, e->value_len, err)) != 0)
			return r;
	}
	return fields(e, logical, prefix, fn, ctx, err);
}
