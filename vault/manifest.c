/* SPDX-License-Identifier: Apache-2.0 */
/* vault manifest: the authenticated count, generation and XOR of per-row tags of the secrets
 * table, so rows deleted, added, replaced or rolled back outside secretctl are detected. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

/* Per-row tag: a PRF (HMAC with the manifest key) of the row's identity and version. */
static void row_tag(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		    uint64_t version, unsigned char out[VAULT_MAC_BYTES])
{
	crypto_auth_hmacsha512256_state s;
	unsigned char b[8];
	crypto_auth_hmacsha512256_init(&s, vault_key(v, VK_MANIFEST), VAULT_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&s, (const unsigned char *)VAULT_DOMAIN_ROW,
					 VAULT_DOMAIN_LEN(VAULT_DOMAIN_ROW));
	crypto_auth_hmacsha512256_update(&s, v->vault_id, VAULT_ID_BYTES);
	crypto_auth_hmacsha512256_update(&s, id, VAULT_HASH_BYTES);
	vault_le64(b, version);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	crypto_auth_hmacsha512256_final(&s, out);
	sodium_memzero(&s, sizeof(s));
}

static void xor_into(unsigned char acc[VAULT_MAC_BYTES], const unsigned char t[VAULT_MAC_BYTES])
{
	for (size_t i = 0; i < VAULT_MAC_BYTES; i++)
		acc[i] ^= t[i];
}

void vault_manifest_mac(const struct vault *v, const struct vault_state *st,
			unsigned char out[VAULT_MAC_BYTES])
{
	crypto_auth_hmacsha512256_state s;
	unsigned char b[8];
	crypto_auth_hmacsha512256_init(&s, vault_key(v, VK_MANIFEST), VAULT_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&s, (const unsigned char *)VAULT_DOMAIN_MANIFEST,
					 VAULT_DOMAIN_LEN(VAULT_DOMAIN_MANIFEST));
	crypto_auth_hmacsha512256_update(&s, v->vault_id, VAULT_ID_BYTES);
	vault_le64(b, st->gen);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	vault_le64(b, st->count);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	crypto_auth_hmacsha512256_update(&s, st->man_acc, VAULT_MAC_BYTES);
	crypto_auth_hmacsha512256_final(&s, out);
	sodium_memzero(&s, sizeof(s));
}

int vault_manifest_compute(struct vault *v, uint64_t *ret_count,
			   unsigned char ret_acc[VAULT_MAC_BYTES], uint64_t *ret_max_version,
			   struct reterr *err)
{
	/* Full recomputation over the rows as stored. */
	sqlite3_stmt *q = NULL;
	unsigned char acc[VAULT_MAC_BYTES] = { 0 }, t[VAULT_MAC_BYTES];
	uint64_t have = 0, maxv = 0;
	int r = vdb_prepare(v, "SELECT id, version FROM secrets", &q, err);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		unsigned char id[VAULT_HASH_BYTES];
		int64_t ver;
		if (vdb_col_blob_exact(q, 0, id, sizeof(id)) < 0 || vdb_col_i64(q, 1, &ver) < 0 ||
		    ver < 0) {
			r = reterr_set(err, -EBADMSG,
				       "vault integrity check failed: a secret row is malformed");
			goto out;
		}
		row_tag(v, id, (uint64_t)ver, t);
		xor_into(acc, t);
		have++;
		if ((uint64_t)ver > maxv)
			maxv = (uint64_t)ver;
	}
	if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "checking the manifest");
		goto out;
	}
	*ret_count = have;
	memcpy(ret_acc, acc, VAULT_MAC_BYTES);
	if (ret_max_version)
		*ret_max_version = maxv;
	r = 0;
out:
	sodium_memzero(acc, sizeof(acc));
	sqlite3_finalize(q);
	return r;
}

int vault_manifest_check(struct vault *v, const struct vault_state *st, struct reterr *err)
{
	/* The set of (id, version) pairs stored must be exactly the one the manifest
	 * authenticates. */
	unsigned char acc[VAULT_MAC_BYTES];
	uint64_t have = 0;
	int r = vault_manifest_compute(v, &have, acc, NULL, err);
	if (r < 0)
		return r;
	if (have < st->count)
		r = reterr_set(err, -EBADMSG,
			       "vault integrity check failed: %llu secret(s) missing (rows deleted "
			       "outside secretctl)",
			       (unsigned long long)(st->count - have));
	else if (have > st->count)
		r = reterr_set(err, -EBADMSG,
			       "vault integrity check failed: %llu secret row(s) added outside "
			       "secretctl",
			       (unsigned long long)(have - st->count));
	else if (sodium_memcmp(acc, st->man_acc, VAULT_MAC_BYTES) != 0)
		r = reterr_set(
			err, -EBADMSG,
			"vault integrity check failed: secret rows do not match the manifest "
			"(a row was rolled back to an older version, replaced or altered)");
	sodium_memzero(acc, sizeof(acc));
	return r;
}

int vault_manifest_store(struct vault *v, struct vault_state *st, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	unsigned char mac[VAULT_MAC_BYTES];
	if (st->gen > INT64_MAX || st->count > INT64_MAX)
		return reterr_set(err, -EOVERFLOW, "manifest counter overflow");
	vault_manifest_mac(v, st, mac);
	int r = vdb_prepare(v,
			    "INSERT OR REPLACE INTO manifest(one, generation, count, acc, mac) "
			    "VALUES (1, ?, ?, ?, ?)",
			    &q, err);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(q, 1, (int64_t)st->gen) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 2, (int64_t)st->count) != SQLITE_OK ||
	    vdb_bind_blob(q, 3, st->man_acc, VAULT_MAC_BYTES) < 0 ||
	    vdb_bind_blob(q, 4, mac, VAULT_MAC_BYTES) < 0) {
		r = reterr_set(err, -ENOMEM, "out of memory writing the manifest");
		goto out;
	}
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "writing the manifest");
		goto out;
	}
	memcpy(st->man_mac, mac, VAULT_MAC_BYTES);
	r = 0;
out:
	sqlite3_finalize(q);
	return r;
}

int vault_manifest_apply(struct vault *v, struct vault_state *st,
			 const unsigned char id[VAULT_HASH_BYTES], bool had_old,
			 uint64_t old_version, bool remove, uint64_t new_version,
			 struct reterr *err)
{
	/* Incremental: take the old row's tag out and the new one in. Rows we do not touch keep
	 * their tags, so any tampering with them still shows at the next full check (unlock). */
	unsigned char t[VAULT_MAC_BYTES];
	if (had_old) {
		row_tag(v, id, old_version, t);
		xor_into(st->man_acc, t);
		st->count--;
	}
	if (!remove) {
		row_tag(v, id, new_version, t);
		xor_into(st->man_acc, t);
		st->count++;
	}
	st->gen++;
	return vault_manifest_store(v, st, err);
}

void vault_manifest_row_tag(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
			    uint64_t version, unsigned char out[VAULT_MAC_BYTES])
{
	row_tag(v, id, version, out);
}
