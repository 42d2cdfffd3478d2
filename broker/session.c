/* SPDX-License-Identifier: Apache-2.0 */
/* broker: a front end's session: its policy, loaded and checked before any secret exists, its
 * vault once unlocked, and the defaults its runs start from. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker-internal.h"

int broker_new(const struct broker_opts *o, struct broker **ret, struct reterr *err)
{
	struct broker *b = calloc(1, sizeof(*b));
	int e;

	if (!b)
		return -ENOMEM;
	b->judge = o->judge_commands;
	b->default_timeout_ms = o->default_timeout_ms;
	b->default_max_output = o->default_max_output;
	b->approve = o->approve;
	b->approve_ctx = o->approve_ctx;
	b->source = strdup(o->source ? o->source : "cli");
	b->vault_dir = o->vault_dir ? strdup(o->vault_dir) : vault_dir_default(NULL);
	if (!b->source) {
		broker_free(b);
		return -ENOMEM;
	}
	if (o->use_policy) {
		b->policy = (struct policy *)o->policy;
		b->policy_borrowed = true;
		if (o->policy_file && !(b->policy_path = strdup(o->policy_file))) {
			broker_free(b);
			return -ENOMEM;
		}
	} else if (o->judge_commands || o->want_policy || o->policy_path) {
		/* Hostile input, parsed before the vault is unlocked. Without judging, a missing
		 * file is an empty policy (no aliases); while judging it is an error that names the
		 * file to create. */
		e = policy_load_default(b->vault_dir, o->policy_path,
					o->judge_commands ? POLICY_LOAD_REQUIRED : 0, &b->policy,
					&b->policy_path, err);
		const char *env = secure_getenv(POLICY_ENV);
		bool named = o->policy_path || (env && *env);
		if (e == -ENOENT && o->judge_commands && o->policy_may_be_missing && !named &&
		    b->vault_dir) {
			/* Remember the file to create, for the refusal. */
			if (asprintf(&b->policy_path, "%s/%s", b->vault_dir, POLICY_FILE_NAME) <
			    0) {
				b->policy_path = NULL;
				e = -ENOMEM;
			} else {
				e = 0;
			}
		}
		if (e < 0) {
			broker_free(b);
			return e;
		}
	}
	*ret = b;
	return 0;
}

void broker_set_vault(struct broker *b, struct vault *v)
{
	b->vault = v;
	if (v)
		vault_set_source(v, b->source);
}

struct vault *broker_vault(const struct broker *b)
{
	return b->vault;
}

const struct policy *broker_policy(const struct broker *b)
{
	return b->policy;
}

const char *broker_policy_path(const struct broker *b)
{
	return b->policy_path;
}

struct broker *broker_free(struct broker *b)
{
	if (!b)
		return NULL;
	if (!b->policy_borrowed)
		policy_free(b->policy);
	free(b->policy_path);
	free(b->vault_dir);
	free(b->source);
	free(b);
	return NULL;
}

int broker_process_init(bool sandboxed, struct reterr *err)
{
	int e;
	if (sandboxed && (e = sup_userns_enter(err)) < 0)
		return e;
	if (secret_lib_init() < 0)
		return reterr_set(err, -EIO, "cannot initialise libsodium");
	if ((e = proc_harden()) < 0)
		return reterr_set(err, e,
				  "cannot harden this process (no core dumps, not traceable): %s",
				  strerror(-e));
	return 0;
}
