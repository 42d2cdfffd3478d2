/* SPDX-License-Identifier: Apache-2.0 */
/* vault rename and copy: a secret re-encrypted under another name (its row id and AD change
 * with the name), in one IMMEDIATE transaction with its manifest update and audit entry; a
 * rename carries the saved versions along, re-encrypted the same way. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct carry {
	struct vault *v;
	const char *from, *to;
	const unsigned char *to_id;
	const unsigned char *from_id;
};

/* One saved version of from, opened and sealed again for to (same version number, the same
 * when/who/size). */
static int carry_one(void *ctx, sqlite3_stmt *q, const struct vault_version *info,
		     struct reterr *err)
{
	struct carry *c = ctx;
	struct vault_entry e = { 0 };
	struct vault_row_blobs b = { 0 };
	int64_t version;
	int r = vault_row_open(c->v, c->from, c->from_id, q, 0, true, &e, &version);
	if (r < 0 || (uint64_t)version != info->version) {
		r = reterr_set(err, -EBADMSG,
			       "a saved version of %s does not authenticate: the history was "
			       "altered or corrupted",
			       c->from);
		goto out;
	}
	char *name = strdup(c->to);
	if (!name) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	free(e.meta.key);
	e.meta.key = name;
	if ((r = vault_row_seal(c->v, c->to_id, info->version, &e.meta, &e, &b, err)) == 0)
		r = vault_history_insert_sealed(c->v, c->to_id, &b, info, err);
out:
	vault_row_blobs_release(&b);
	vault_entry_release(&e);
	return r;
}

static int move(struct vault *v, const char *from, const char *to, bool keep_source,
		struct reterr *err)
{
	const char *action = keep_source ? "secret.copy" : "secret.rename";
	struct vault_state st = { 0 };
	struct vault_entry e = { 0 }, dst = { 0 };
	unsigned char from_id[VAULT_HASH_BYTES], to_id[VAULT_HASH_BYTES];
	int64_t from_version, to_version;
	char keys[2 * VAULT_KEY_MAX + 2];
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_key_check(from, err)) < 0 || (r = vault_key_check(to, err)) < 0)
		return r;
	if (strcmp(from, to) == 0)
		return reterr_set(err, -EINVAL, "%s and the new name are the same", from);
	snprintf(keys, sizeof(keys), "%s,%s", from, to);
	vault_name_hash(v, from, from_id);
	vault_name_hash(v, to, to_id);
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) < 0)
		goto out;
	if ((r = vault_entry_load(v, from, from_id, true, &e, &from_version, err)) < 0)
		goto out;
	if (r == 0)
		r = reterr_set(err, -ENOENT, "no secret named %s", from);
	else if ((r = vault_entry_load(v, to, to_id, false, &dst, &to_version, err)) > 0)
		r = reterr_set(err, -EEXIST, "a secret named %s already exists", to);
	if (r < 0) {
		struct reterr e2;
		if ((r == -ENOENT || r == -EEXIST) &&
		    vault_audit_in_tx(v, &st, action, keys, false, reterr_str(err, r), NULL, &e2) ==
			    0)
			(void)vdb_commit(v, &e2);
		goto out;
	}
	if (keep_source && st.count >= VAULT_SECRETS_MAX) {
		r = reterr_set(err, -E2BIG, "vault is full (%d secrets)", VAULT_SECRETS_MAX);
		goto out;
	}
	char *name = strdup(to);
	if (!name) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	free(e.meta.key);
	e.meta.key = name;
	e.meta.updated_at = clock_now();
	if (keep_source)
		e.meta.created_at = e.meta.updated_at;
	/* The new row first (its version is the next generation), then the old one goes. */
	struct carry c = { .v = v, .from = from, .to = to, .from_id = from_id, .to_id = to_id };
	if ((r = vault_entry_store(v, &st, to_id, &e.meta, &e, false, 0, err)) < 0 ||
	    (!keep_source && (r = vault_history_each(v, from_id, carry_one, &c, err)) < 0) ||
	    (r = vault_folder_link_move(v, from_id, to_id, keep_source, err)) < 0 ||
	    (!keep_source && (r = vault_row_delete(v, &st, from_id, from_version, err)) < 0) ||
	    (r = vault_audit_in_tx(v, &st, action, keys, true, NULL, NULL, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto out;
	r = 0;
out:
	vdb_rollback(v); /* no-op after a commit */
	vault_entry_release(&e);
	vault_entry_release(&dst);
	return r;
}

int vault_rename(struct vault *v, const char *from, const char *to, struct reterr *err)
{
	return move(v, from, to, false, err);
}

int vault_copy(struct vault *v, const char *from, const char *to, struct reterr *err)
{
	return move(v, from, to, true, err);
}
