/* SPDX-License-Identifier: Apache-2.0 */
/* vault head: the authenticated state every write transaction starts from, one MAC binding the
 * audit chain's tail (seq, last MAC) to the manifest; written with every append. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

void vault_head_mac(const struct vault *v, const struct vault_state *st,
		    unsigned char out[VAULT_MAC_BYTES])
{
	crypto_auth_hmacsha512256_state s;
	unsigned char b[8];
	crypto_auth_hmacsha512256_init(&s, vault_key(v, VK_AUDIT_MAC), VAULT_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&s, (const unsigned char *)VAULT_DOMAIN_HEAD,
					 VAULT_DOMAIN_LEN(VAULT_DOMAIN_HEAD));
	crypto_auth_hmacsha512256_update(&s, v->vault_id, VAULT_ID_BYTES);
	vault_le64(b, st->seq);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	crypto_auth_hmacsha512256_update(&s, st->last_mac, VAULT_MAC_BYTES);
	vault_le64(b, st->gen);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	vault_le64(b, st->count);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	crypto_auth_hmacsha512256_update(&s, st->man_mac, VAULT_MAC_BYTES);
	crypto_auth_hmacsha512256_final(&s, out);
	sodium_memzero(&s, sizeof(s));
}

int vault_head_store(struct vault *v, const struct vault_state *st, struct reterr *err)
{
	unsigned char hm[VAULT_MAC_BYTES];
	sqlite3_stmt *q = NULL;
	vault_head_mac(v, st, hm);
	int r = vdb_prepare(v,
			    "INSERT OR REPLACE INTO audit_head(one, seq, mac, head_mac) "
			    "VALUES (1, ?, ?, ?)",
			    &q, err);
	if (r < 0)
		return r;
	int rc;
	if ((rc = sqlite3_bind_int64(q, 1, (int64_t)st->seq)) != SQLITE_OK ||
	    vdb_bind_blob(q, 2, st->last_mac, VAULT_MAC_BYTES) < 0 ||
	    vdb_bind_blob(q, 3, hm, sizeof(hm)) < 0 || (rc = sqlite3_step(q)) != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "writing the audit head");
	sqlite3_finalize(q);
	return r;
}

static int state_read(struct vault *v, struct vault_state *st, unsigned char head_mac[],
		      struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v,
			    "SELECT h.seq, h.mac, h.head_mac, m.generation, m.count, m.mac, "
			    "(SELECT max(seq) FROM audit), "
			    "(SELECT mac FROM audit WHERE seq = h.seq), m.acc "
			    "FROM audit_head h, manifest m WHERE h.one = 1 AND m.one = 1",
			    &q, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? reterr_set(err, -EBADMSG,
						   "vault integrity check failed: the "
						   "authenticated head or manifest is missing")
				      : vdb_fail(v, rc, err, "reading the vault state");
		goto out;
	}
	int64_t seq, gen, count;
	if (vdb_col_i64(q, 0, &seq) < 0 || seq < 0 ||
	    vdb_col_blob_exact(q, 1, st->last_mac, VAULT_MAC_BYTES) < 0 ||
	    vdb_col_blob_exact(q, 2, head_mac, VAULT_MAC_BYTES) < 0 ||
	    vdb_col_i64(q, 3, &gen) < 0 || gen < 0 || vdb_col_i64(q, 4, &count) < 0 || count < 0 ||
	    vdb_col_blob_exact(q, 5, st->man_mac, VAULT_MAC_BYTES) < 0 ||
	    vdb_col_blob_exact(q, 8, st->man_acc, VAULT_MAC_BYTES) < 0) {
		r = reterr_set(err, -EBADMSG,
			       "vault integrity check failed: the authenticated head is malformed");
		goto out;
	}
	st->seq = (uint64_t)seq;
	st->gen = (uint64_t)gen;
	st->count = (uint64_t)count;
	int64_t maxseq = 0;
	if (sqlite3_column_type(q, 6) != SQLITE_NULL && vdb_col_i64(q, 6, &maxseq) < 0)
		maxseq = -1;
	if (maxseq != seq) {
		r = reterr_set(
			err, -EBADMSG,
			"vault integrity check failed: the audit log ends at seq %lld but its "
			"authenticated head says %lld (entries %s); run `secretctl audit "
			"verify`",
			(long long)maxseq, (long long)seq, maxseq < seq ? "deleted" : "added");
		goto out;
	}
	if (seq > 0) {
		unsigned char tail[VAULT_MAC_BYTES];
		if (vdb_col_blob_exact(q, 7, tail, sizeof(tail)) < 0 ||
		    sodium_memcmp(tail, st->last_mac, VAULT_MAC_BYTES) != 0) {
			r = reterr_set(err, -EBADMSG,
				       "vault integrity check failed: the last audit entry (seq "
				       "%lld) does not match the authenticated head",
				       (long long)seq);
			goto out;
		}
	}
	r = 0;
out:
	sqlite3_finalize(q);
	return r;
}

int vault_state_load(struct vault *v, struct vault_state *st, struct reterr *err)
{
	unsigned char stored[VAULT_MAC_BYTES], want[VAULT_MAC_BYTES];
	int r = state_read(v, st, stored, err);
	if (r < 0)
		return r;
	vault_manifest_mac(v, st, want);
	if (sodium_memcmp(st->man_mac, want, VAULT_MAC_BYTES) != 0)
		return reterr_set(err, -EBADMSG,
				  "vault integrity check failed: the manifest was altered");
	vault_head_mac(v, st, want);
	if (sodium_memcmp(stored, want, VAULT_MAC_BYTES) != 0)
		return reterr_set(err, -EBADMSG,
				  "vault integrity check failed: the authenticated head does not "
				  "match (manifest or audit head replaced)");
	return 0;
}
