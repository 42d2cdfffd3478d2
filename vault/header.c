/* SPDX-License-Identifier: Apache-2.0 */
/* vault header: the one row that holds the format, the vault id, the KDF parameters and the data
 * key wrapped under the password's key; its AEAD tag is the password verifier. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

#define WRAP_AD_BYTES (VAULT_AD_BEGIN_BYTES(VAULT_DOMAIN_WRAP) + 4 + 8 + 8 + VAULT_SALT_BYTES)

/* AD of the wrapped data key: format version, vault id and every KDF parameter, so editing any
 * header field makes the verifier fail instead of silently weakening the KDF. */
static void wrap_ad(const struct vault_header *h, unsigned char ad[WRAP_AD_BYTES])
{
	unsigned char *p = VAULT_AD_BEGIN(ad, VAULT_DOMAIN_WRAP, (uint32_t)h->format, h->vault_id);
	vault_le32(p, (uint32_t)h->kdf.alg);
	p += 4;
	vault_le64(p, h->kdf.ops);
	p += 8;
	vault_le64(p, h->kdf.mem);
	p += 8;
	memcpy(p, h->salt, VAULT_SALT_BYTES);
}

int vault_header_load(struct vault *v, struct vault_header *h, struct reterr *err)
{
	sqlite3_stmt *st = NULL;
	int r = vdb_prepare(v,
			    "SELECT format, vault_id, kdf_alg, kdf_ops, kdf_mem, kdf_salt, "
			    "wrap_nonce, wrapped_key FROM header WHERE one = 1",
			    &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? reterr_set(err, -EBADMSG, "vault header is missing")
				      : vdb_fail(v, rc, err, "reading the vault header");
		goto out;
	}
	int64_t alg, ops, mem;
	if (vdb_col_i64(st, 0, &h->format) < 0 ||
	    vdb_col_blob_exact(st, 1, h->vault_id, VAULT_ID_BYTES) < 0 ||
	    vdb_col_i64(st, 2, &alg) < 0 || vdb_col_i64(st, 3, &ops) < 0 ||
	    vdb_col_i64(st, 4, &mem) < 0 ||
	    vdb_col_blob_exact(st, 5, h->salt, VAULT_SALT_BYTES) < 0 ||
	    vdb_col_blob_exact(st, 6, h->nonce, VAULT_NONCE_BYTES) < 0 ||
	    vdb_col_blob_exact(st, 7, h->wrapped, sizeof(h->wrapped)) < 0) {
		r = reterr_set(err, -EBADMSG, "vault header is malformed");
		goto out;
	}
	if (h->format != VAULT_FORMAT) {
		r = reterr_set(err, -EPROTO, "vault format %lld is not supported (this build: %d)",
			       (long long)h->format, VAULT_FORMAT);
		goto out;
	}
	if (alg < 0 || alg > INT32_MAX || ops < 0 || mem < 0) {
		r = reterr_set(err, -EBADMSG, "vault header has invalid KDF parameters");
		goto out;
	}
	h->kdf.alg = (int)alg;
	h->kdf.ops = (uint64_t)ops;
	h->kdf.mem = (uint64_t)mem;
	if (!vault_kdf_params_sane(&h->kdf)) {
		r = reterr_set(err, -EBADMSG, "vault header has out-of-range KDF parameters");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* Password -> KEK -> wrapped data key. kek is a secure scratch area of VAULT_KEY_BYTES. */
int vault_header_wrap(struct vault_header *h, const struct secret *password,
		      const unsigned char *dek, unsigned char *kek, struct reterr *err)
{
	randombytes_buf(h->salt, sizeof(h->salt));
	randombytes_buf(h->nonce, sizeof(h->nonce));
	int r = vault_kdf_derive(&h->kdf, h->salt, password, kek, err);
	if (r < 0)
		return r;
	unsigned char ad[WRAP_AD_BYTES];
	wrap_ad(h, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(h->wrapped, NULL, dek, VAULT_KEY_BYTES, ad,
						   sizeof(ad), NULL, h->nonce, kek);
	sodium_memzero(kek, VAULT_KEY_BYTES);
	return 0;
}

int vault_header_store(struct vault *v, const struct vault_header *h, bool insert,
		       struct reterr *err)
{
	sqlite3_stmt *st = NULL;
	int r = vdb_prepare(
		v,
		insert ? "INSERT INTO header(one, format, vault_id, created_at, kdf_alg, kdf_ops, "
			 "kdf_mem, kdf_salt, wrap_nonce, wrapped_key) "
			 "VALUES (1, ?1, ?2, ?8, ?3, ?4, ?5, ?6, ?7, ?9)"
		       : "UPDATE header SET format = ?1, vault_id = ?2, kdf_alg = ?3, kdf_ops = "
			 "?4, "
			 "kdf_mem = ?5, kdf_salt = ?6, wrap_nonce = ?7, wrapped_key = ?9 "
			 "WHERE one = 1 AND ?8 IS NOT NULL",
		&st, err);
	if (r < 0)
		return r;
	if (sqlite3_bind_int64(st, 1, h->format) != SQLITE_OK ||
	    vdb_bind_blob(st, 2, h->vault_id, VAULT_ID_BYTES) < 0 ||
	    sqlite3_bind_int64(st, 3, h->kdf.alg) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, (int64_t)h->kdf.ops) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, (int64_t)h->kdf.mem) != SQLITE_OK ||
	    vdb_bind_blob(st, 6, h->salt, VAULT_SALT_BYTES) < 0 ||
	    vdb_bind_blob(st, 7, h->nonce, VAULT_NONCE_BYTES) < 0 ||
	    sqlite3_bind_int64(st, 8, clock_now()) != SQLITE_OK ||
	    vdb_bind_blob(st, 9, h->wrapped, sizeof(h->wrapped)) < 0) {
		r = reterr_set(err, -ENOMEM, "out of memory writing the vault header");
		goto out;
	}
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "writing the vault header");
		goto out;
	}
	if (sqlite3_changes(v->db) != 1) {
		r = reterr_set(err, -EBADMSG, "vault header is missing");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

bool vault_header_unwrap(const struct vault_header *h, const unsigned char *kek, unsigned char *dek)
{
	unsigned char ad[WRAP_AD_BYTES];
	wrap_ad(h, ad);
	/* The AEAD tag of the wrapped data key is the password verifier. */
	return crypto_aead_xchacha20poly1305_ietf_decrypt(dek, NULL, NULL, h->wrapped,
							  sizeof(h->wrapped), ad, sizeof(ad),
							  h->nonce, kek) == 0;
}

/* ---- the header's checksum: a damaged header is not a wrong password ------------------------- */

/* A digest of every header field, after an optional domain prefix. */
static void header_hash(const struct vault_header *h, const char *domain, size_t domain_len,
			unsigned char out[VAULT_HASH_BYTES])
{
	crypto_generichash_state s;
	unsigned char b[8];
	crypto_generichash_init(&s, NULL, 0, VAULT_HASH_BYTES);
	if (domain)
		crypto_generichash_update(&s, (const unsigned char *)domain, domain_len);
	vault_le64(b, (uint64_t)h->format);
	crypto_generichash_update(&s, b, 8);
	crypto_generichash_update(&s, h->vault_id, VAULT_ID_BYTES);
	vault_le64(b, (uint64_t)h->kdf.alg);
	crypto_generichash_update(&s, b, 8);
	vault_le64(b, h->kdf.ops);
	crypto_generichash_update(&s, b, 8);
	vault_le64(b, h->kdf.mem);
	crypto_generichash_update(&s, b, 8);
	crypto_generichash_update(&s, h->salt, VAULT_SALT_BYTES);
	crypto_generichash_update(&s, h->nonce, VAULT_NONCE_BYTES);
	crypto_generichash_update(&s, h->wrapped, sizeof(h->wrapped));
	crypto_generichash_final(&s, out, VAULT_HASH_BYTES);
}

void vault_header_sum(const struct vault_header *h, unsigned char out[VAULT_HASH_BYTES])
{
	header_hash(h, VAULT_DOMAIN_HEADER_SUM, VAULT_DOMAIN_LEN(VAULT_DOMAIN_HEADER_SUM), out);
}

void vault_header_digest(const struct vault_header *h, unsigned char out[VAULT_HASH_BYTES])
{
	header_hash(h, NULL, 0, out);
}

/* Whether the header_sum table exists (vaults made before it have none). 1, 0 or -errno. */
static int sum_table(struct vault *v, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v,
			    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
			    "name = 'header_sum'",
			    &q, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(q);
	r = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) > 0
			     : vdb_fail(v, rc, err, "reading the vault schema");
	sqlite3_finalize(q);
	return r;
}

int vault_header_sum_check(struct vault *v, const struct vault_header *h, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	unsigned char want[VAULT_HASH_BYTES], got[VAULT_HASH_BYTES];
	int r = sum_table(v, err);
	if (r <= 0)
		return r;
	if ((r = vdb_prepare(v, "SELECT sum FROM header_sum WHERE one = 1", &q, err)) < 0)
		return r;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		r = 0;
	else if (rc != SQLITE_ROW)
		r = vdb_fail(v, rc, err, "reading the vault header's checksum");
	else if (vdb_col_blob_exact(q, 0, got, sizeof(got)) < 0)
		r = -EBADMSG;
	else {
		vault_header_sum(h, want);
		r = sodium_memcmp(want, got, sizeof(got)) == 0 ? 1 : -EBADMSG;
	}
	sqlite3_finalize(q);
	if (r == -EBADMSG)
		reterr_set(err, r,
			   "vault header is damaged: the wrapped key, salt, nonce or KDF "
			   "parameters no longer match their checksum (this is not a wrong "
			   "password, and it does not count toward the cooldown); restore %s from "
			   "a backup",
			   v->path);
	return r;
}

int vault_header_sum_store(struct vault *v, const struct vault_header *h, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	unsigned char sum[VAULT_HASH_BYTES];
	int r = vdb_exec(v, VAULT_HEADER_SUM_SQL, err);
	if (r < 0)
		return r;
	if ((r = vdb_prepare(v, "INSERT OR REPLACE INTO header_sum(one, sum) VALUES (1, ?)", &q,
			     err)) < 0)
		return r;
	vault_header_sum(h, sum);
	int rc = SQLITE_NOMEM;
	if (vdb_bind_blob(q, 1, sum, sizeof(sum)) < 0 || (rc = sqlite3_step(q)) != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "writing the vault header's checksum");
	sqlite3_finalize(q);
	return r;
}
