/* SPDX-License-Identifier: Apache-2.0 */
/* vault versions: list a secret's saved versions, roll back to one, and the keep setting; each
 * in one IMMEDIATE transaction with its audit entry. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

_Static_assert(sizeof(((struct vault_version *)0)->source) == VAULT_SOURCE_MAX + 1,
	       "vault_version.source holds a handle's source");

/* Begin a write transaction, load the state and key's current row (meta only). 1 found, or
 * -ENOENT (message names the key) with the transaction still open for a failure event. */
static int begin_with(struct vault *v, const char *key, unsigned char id[VAULT_HASH_BYTES],
		      struct vault_state *st, struct vault_entry *cur, int64_t *ret_version,
		      bool want_values, struct reterr *err)
{
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_key_check(key, err)) < 0)
		return r;
	vault_name_hash(v, key, id);
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_state_load(v, st, err)) < 0)
		return r;
	r = vault_entry_load(v, key, id, want_values, cur, ret_version, err);
	if (r == 0)
		r = reterr_set(err, -ENOENT, "no secret named %s", key);
	return r;
}

/* Record a failed verb on key when the failure is the caller's (no such key or version). */
static void audit_failure(struct vault *v, struct vault_state *st, const char *action,
			  const char *key, int r, const struct reterr *err)
{
	struct reterr e2;
	if (r != -ENOENT)
		return;
	if (vault_audit_in_tx(v, st, action, key, false, reterr_str(err, r), NULL, &e2) == 0)
		(void)vdb_commit(v, &e2);
}

int vault_history(struct vault *v, const char *key, struct vault_version **ret, size_t *ret_n,
		  struct reterr *err)
{
	struct vault_state st = { 0 };
	struct vault_entry cur = { 0 };
	struct vault_version *a = NULL;
	unsigned char id[VAULT_HASH_BYTES];
	int64_t version;
	size_t n = 0;
	char detail[48];
	int r = begin_with(v, key, id, &st, &cur, &version, false, err);
	if (r < 0) {
		audit_failure(v, &st, "secret.history", key, r, err);
		goto out;
	}
	if ((r = vault_history_read(v, id, &a, &n, err)) < 0)
		goto out;
	snprintf(detail, sizeof(detail), "{\"versions\":%zu}", n);
	if ((r = vault_audit_in_tx(v, &st, "secret.history", key, true, NULL, detail, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto out;
	*ret = a;
	*ret_n = n;
	a = NULL;
	r = 0;
out:
	vdb_rollback(v); /* no-op after a commit */
	free(a);
	vault_entry_release(&cur);
	return r;
}

/* Load saved version `version` of key (0: the newest) into e. */
static int saved_load(struct vault *v, const char *key, const unsigned char id[VAULT_HASH_BYTES],
		      uint64_t version, struct vault_entry *e, int64_t *ret_version,
		      struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vault_history_migrate(v, err); /* a vault without history yet has none to load */
	if (r < 0)
		return r;
	if ((r = vdb_prepare(v,
			     "SELECT version, meta_nonce, meta, value_nonce, value FROM history "
			     "WHERE id = ?1 AND (?2 = 0 OR version = ?2) ORDER BY n DESC LIMIT 1",
			     &q, err)) < 0)
		return r;
	int rc = SQLITE_NOMEM;
	if (version > INT64_MAX) {
		rc = SQLITE_DONE;
	} else if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) == 0 &&
		   sqlite3_bind_int64(q, 2, (int64_t)version) == SQLITE_OK) {
		rc = sqlite3_step(q);
	}
	if (rc == SQLITE_DONE)
		r = version ? reterr_set(err, -ENOENT,
					 "%s has no saved version %" PRIu64
					 " (see 'secretctl history %s')",
					 key, version, key)
			    : reterr_set(err, -ENOENT, "%s has no saved version to roll back to",
					 key);
	else if (rc != SQLITE_ROW)
		r = vdb_fail(v, rc, err, "reading the history");
	else if ((r = vault_row_open(v, key, id, q, 0, true, e, ret_version)) < 0)
		reterr_set(err, r,
			   r == -EBADMSG ? "saved version of %s does not authenticate: the "
					   "history was altered or corrupted"
					 : "cannot read a saved version of %s",
			   key);
	sqlite3_finalize(q);
	return r;
}

int vault_rollback(struct vault *v, const char *key, uint64_t version, uint64_t *ret_version,
		   struct reterr *err)
{
	struct vault_state st = { 0 };
	struct vault_entry cur = { 0 }, old = { 0 };
	unsigned char id[VAULT_HASH_BYTES];
	int64_t cur_version, old_version;
	char detail[64];
	int r = begin_with(v, key, id, &st, &cur, &cur_version, true, err);
	if (r < 0) {
		audit_failure(v, &st, "secret.rollback", key, r, err);
		goto out;
	}
	if ((r = saved_load(v, key, id, version, &old, &old_version, err)) < 0) {
		audit_failure(v, &st, "secret.rollback", key, r, err);
		goto out;
	}
	old.meta.created_at = cur.meta.created_at;
	old.meta.updated_at = clock_now();
	snprintf(detail, sizeof(detail), "{\"version\":%" PRId64 "}", old_version);
	if ((r = vault_history_push(v, id, vault_entry_size(&cur), err)) < 0 ||
	    (r = vault_entry_store(v, &st, id, &old.meta, &old, true, cur_version, err)) < 0 ||
	    (r = vault_audit_in_tx(v, &st, "secret.rollback", key, true, NULL, detail, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto out;
	if (ret_version)
		*ret_version = (uint64_t)old_version;
	r = 0;
out:
	vdb_rollback(v); /* no-op after a commit */
	vault_entry_release(&cur);
	vault_entry_release(&old);
	return r;
}

int vault_history_keep(struct vault *v, unsigned *ret, struct reterr *err)
{
	int r = vault_require_unlocked(v, err);
	return r < 0 ? r : vault_history_keep_read(v, ret, err);
}

int vault_history_set_keep(struct vault *v, unsigned keep, struct reterr *err)
{
	struct vault_state st;
	char detail[32];
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if (keep > VAULT_HISTORY_KEEP_MAX)
		return reterr_set(err, -EINVAL, "at most %d versions can be kept",
				  VAULT_HISTORY_KEEP_MAX);
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	snprintf(detail, sizeof(detail), "{\"keep\":%u}", keep);
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = vault_history_keep_store(v, keep, err)) < 0 ||
	    (r = vault_audit_in_tx(v, &st, "vault.history_keep", NULL, true, NULL, detail, err)) <
		    0 ||
	    (r = vdb_commit(v, err)) < 0) {
		vdb_rollback(v);
		return r;
	}
	return 0;
}
