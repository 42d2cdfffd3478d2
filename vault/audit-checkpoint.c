/* SPDX-License-Identifier: Apache-2.0 */
/* vault audit checkpoint: after `audit prune` the chain starts at a later seq; one authenticated
 * row says where (the last pruned seq and its chain MAC), so verify can start there. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

/* The table is created by the first prune (older vaults do not have it; a vault without it has
 * never been pruned and its chain starts at seq 1). Its own function so that a versioned schema
 * migration can take it over. */
int vault_checkpoint_schema(struct vault *v, struct reterr *err)
{
	return vdb_exec(v,
			"CREATE TABLE IF NOT EXISTS audit_checkpoint(one INTEGER PRIMARY KEY "
			"CHECK (one = 1), seq INTEGER NOT NULL, mac BLOB NOT NULL, "
			"pruned_at INTEGER NOT NULL, ck_mac BLOB NOT NULL)",
			err);
}

static void checkpoint_mac(const struct vault *v, const struct vault_checkpoint *c,
			   unsigned char out[VAULT_MAC_BYTES])
{
	crypto_auth_hmacsha512256_state s;
	unsigned char b[8];
	crypto_auth_hmacsha512256_init(&s, vault_key(v, VK_AUDIT_MAC), VAULT_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&s, (const unsigned char *)VAULT_DOMAIN_AUDIT_CKPT,
					 VAULT_DOMAIN_LEN(VAULT_DOMAIN_AUDIT_CKPT));
	crypto_auth_hmacsha512256_update(&s, v->vault_id, VAULT_ID_BYTES);
	vault_le64(b, c->seq);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	crypto_auth_hmacsha512256_update(&s, c->mac, VAULT_MAC_BYTES);
	vault_le64(b, (uint64_t)c->pruned_at);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	crypto_auth_hmacsha512256_final(&s, out);
	sodium_memzero(&s, sizeof(s));
}

static bool checkpoint_table_exists(struct vault *v)
{
	sqlite3_stmt *q = NULL;
	bool found = false;
	if (sqlite3_prepare_v2(v->db,
			       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
			       "name = 'audit_checkpoint'",
			       -1, &q, NULL) == SQLITE_OK)
		found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

int vault_checkpoint_load(struct vault *v, struct vault_checkpoint *ret, struct reterr *err)
{
	struct vault_checkpoint c = { 0 };
	unsigned char stored[VAULT_MAC_BYTES], want[VAULT_MAC_BYTES];
	sqlite3_stmt *q = NULL;
	if (!checkpoint_table_exists(v)) {
		*ret = c;
		return 0;
	}
	int r = vdb_prepare(v, "SELECT seq, mac, pruned_at, ck_mac FROM audit_checkpoint", &q, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(q);
	int64_t seq = 0;
	if (rc == SQLITE_DONE) {
		/* An empty table is what a prune leaves only if it never committed: same as none. */
		r = 0;
	} else if (rc != SQLITE_ROW || vdb_col_i64(q, 0, &seq) < 0 || seq < 1 ||
		   vdb_col_blob_exact(q, 1, c.mac, VAULT_MAC_BYTES) < 0 ||
		   vdb_col_i64(q, 2, &c.pruned_at) < 0 ||
		   vdb_col_blob_exact(q, 3, stored, VAULT_MAC_BYTES) < 0 ||
		   sqlite3_step(q) != SQLITE_DONE) {
		r = reterr_set(err, -EBADMSG,
			       "the audit checkpoint (left by `audit prune`) is "
			       "malformed (edited)");
	} else {
		c.seq = (uint64_t)seq;
		checkpoint_mac(v, &c, want);
		r = sodium_memcmp(stored, want, VAULT_MAC_BYTES) == 0
			    ? 0
			    : reterr_set(err, -EBADMSG,
					 "the audit checkpoint (left by `audit prune`) does not "
					 "authenticate (edited or forged)");
	}
	sqlite3_finalize(q);
	if (r == 0)
		*ret = c;
	return r;
}

int vault_checkpoint_store(struct vault *v, const struct vault_checkpoint *c, struct reterr *err)
{
	unsigned char m[VAULT_MAC_BYTES];
	sqlite3_stmt *q = NULL;
	int r = vault_checkpoint_schema(v, err);
	if (r < 0 || (r = vdb_prepare(v,
				      "INSERT OR REPLACE INTO audit_checkpoint(one, seq, mac, "
				      "pruned_at, ck_mac) VALUES (1, ?, ?, ?, ?)",
				      &q, err)) < 0)
		return r;
	checkpoint_mac(v, c, m);
	int rc;
	if ((rc = sqlite3_bind_int64(q, 1, (int64_t)c->seq)) != SQLITE_OK ||
	    vdb_bind_blob(q, 2, c->mac, VAULT_MAC_BYTES) < 0 ||
	    (rc = sqlite3_bind_int64(q, 3, c->pruned_at)) != SQLITE_OK ||
	    vdb_bind_blob(q, 4, m, sizeof(m)) < 0 || (rc = sqlite3_step(q)) != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "writing the audit checkpoint");
	sqlite3_finalize(q);
	return r;
}
