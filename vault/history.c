/* SPDX-License-Identifier: Apache-2.0 */
/* vault history: the previous versions of each secret, kept (encrypted as they were) in their
 * own table when a secret's row is replaced, trimmed to the vault's keep count. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

#define HIST_CODEC_VERSION 1
/* AD of a history info blob: vault id, row id, the saved row's version. */
#define HIST_AD_BYTES (VAULT_AD_BEGIN_BYTES(VAULT_DOMAIN_HISTORY) + VAULT_HASH_BYTES + 8)
/* Info plaintext: codec version, replaced_at, size, source length, source. */
#define HIST_INFO_FIXED (1 + 8 + 8 + 1)
#define HIST_INFO_MAX (HIST_INFO_FIXED + VAULT_SOURCE_MAX)

/* The history schema, its own migration: added to vaults made before it existed the first time
 * a write needs it. Idempotent; inside the caller's transaction. */
static const char history_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS history(n INTEGER PRIMARY KEY, id BLOB NOT NULL,"
	" version INTEGER NOT NULL, meta_nonce BLOB NOT NULL, meta BLOB NOT NULL,"
	" value_nonce BLOB NOT NULL, value BLOB NOT NULL, info_nonce BLOB NOT NULL,"
	" info BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS history_by_id ON history(id, n);"
	"CREATE TABLE IF NOT EXISTS history_config(one INTEGER PRIMARY KEY CHECK (one = 1),"
	" keep INTEGER NOT NULL);";

int vault_history_migrate(struct vault *v, struct reterr *err)
{
	return vdb_exec(v, history_schema_sql, err);
}

/* Whether the history tables exist (a vault never written since they were added has none). */
static int history_exists(struct vault *v, bool *ret, struct reterr *err)
{
	bool h = false, c = false;
	int r = vdb_table_exists(v, "history", &h, err);
	if (r == 0)
		r = vdb_table_exists(v, "history_config", &c, err);
	if (r == 0)
		*ret = h && c;
	return r;
}

int vault_history_keep_read(struct vault *v, unsigned *ret, struct reterr *err)
{
	bool exists = false;
	int r = history_exists(v, &exists, err);
	if (r < 0)
		return r;
	if (!exists) {
		*ret = VAULT_HISTORY_KEEP_DEFAULT;
		return 0;
	}
	sqlite3_stmt *q = NULL;
	if ((r = vdb_prepare(v, "SELECT keep FROM history_config WHERE one = 1", &q, err)) < 0)
		return r;
	int64_t keep = VAULT_HISTORY_KEEP_DEFAULT;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (vdb_col_i64(q, 0, &keep) < 0 || keep < 0 || keep > VAULT_HISTORY_KEEP_MAX)
			r = reterr_set(err, -EBADMSG,
				       "the history setting is malformed (vault "
				       "tampered with?)");
	} else if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "reading the history setting");
	}
	sqlite3_finalize(q);
	if (r < 0)
		return r;
	*ret = (unsigned)keep;
	return 0;
}

static void info_ad(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		    uint64_t version, unsigned char ad[HIST_AD_BYTES])
{
	unsigned char *p =
		VAULT_AD_BEGIN(ad, VAULT_DOMAIN_HISTORY, (uint32_t)VAULT_FORMAT, v->vault_id);
	memcpy(p, id, VAULT_HASH_BYTES);
	vault_le64(p + VAULT_HASH_BYTES, version);
}

static uint64_t le64_get(const unsigned char *p)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = (x << 8) | p[i];
	return x;
}

/* Remove the oldest saved versions of id beyond keep. */
static int history_trim(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], unsigned keep,
			struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v,
			    "DELETE FROM history WHERE id = ?1 AND n NOT IN (SELECT n FROM history "
			    "WHERE id = ?1 ORDER BY n DESC LIMIT ?2)",
			    &q, err);
	if (r < 0)
		return r;
	int rc = SQLITE_NOMEM;
	if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) == 0 &&
	    sqlite3_bind_int64(q, 2, keep) == SQLITE_OK)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "trimming the history");
	sqlite3_finalize(q);
	return r;
}

/* Seal an info blob (when, who, size) for id's saved version. */
static size_t info_seal(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
			uint64_t version, int64_t when, uint64_t size, const char *source,
			unsigned char nonce[VAULT_NONCE_BYTES],
			unsigned char ct[HIST_INFO_MAX + VAULT_TAG_BYTES])
{
	unsigned char pt[HIST_INFO_MAX], ad[HIST_AD_BYTES];
	size_t slen = strnlen(source, VAULT_SOURCE_MAX);
	pt[0] = HIST_CODEC_VERSION;
	vault_le64(pt + 1, (uint64_t)when);
	vault_le64(pt + 9, size);
	pt[17] = (unsigned char)slen;
	memcpy(pt + HIST_INFO_FIXED, source, slen);
	size_t ptlen = HIST_INFO_FIXED + slen;
	randombytes_buf(nonce, VAULT_NONCE_BYTES);
	info_ad(v, id, version, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, pt, ptlen, ad, sizeof(ad), NULL, nonce,
						   vault_key(v, VK_RECORD));
	return ptlen + VAULT_TAG_BYTES;
}

/* Copy id's current row (its blobs as they are, still bound to id and its version) into the
 * history with a sealed info blob. Returns 1 saved, 0 no current row. */
static int history_insert(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], uint64_t size,
			  struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	unsigned char ct[HIST_INFO_MAX + VAULT_TAG_BYTES];
	unsigned char nonce[VAULT_NONCE_BYTES];
	int64_t version;
	int r = vdb_prepare(v, "SELECT version FROM secrets WHERE id = ?", &q, err);
	if (r < 0)
		return r;
	int rc = vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) < 0 ? SQLITE_NOMEM : sqlite3_step(q);
	if (rc == SQLITE_ROW && (vdb_col_i64(q, 0, &version) < 0 || version < 0))
		rc = SQLITE_CORRUPT;
	sqlite3_finalize(q);
	q = NULL;
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return vdb_fail(v, rc, err, "reading the secret to save in the history");
	size_t clen = info_seal(v, id, (uint64_t)version, clock_now(), size, v->source, nonce, ct);
	if ((r = vdb_prepare(
		     v,
		     "INSERT INTO history(id, version, meta_nonce, meta, value_nonce, value,"
		     " info_nonce, info) SELECT id, version, meta_nonce, meta, value_nonce,"
		     " value, ?2, ?3 FROM secrets WHERE id = ?1",
		     &q, err)) < 0)
		return r;
	rc = SQLITE_NOMEM;
	if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) == 0 &&
	    vdb_bind_blob(q, 2, nonce, sizeof(nonce)) == 0 && vdb_bind_blob(q, 3, ct, clen) == 0)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? 1 : vdb_fail(v, rc, err, "saving the previous version");
	sqlite3_finalize(q);
	return r;
}

int vault_history_push(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], uint64_t size,
		       struct reterr *err)
{
	unsigned keep;
	int r = vault_history_keep_read(v, &keep, err);
	if (r < 0)
		return r;
	if ((r = vault_history_migrate(v, err)) < 0)
		return r;
	if (keep > 0 && (r = history_insert(v, id, size, err)) < 0)
		return r;
	return history_trim(v, id, keep, err);
}

int vault_history_purge(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
			struct reterr *err)
{
	bool exists = false;
	int r = history_exists(v, &exists, err);
	if (r < 0 || !exists)
		return r;
	return history_trim(v, id, 0, err);
}

int vault_history_keep_store(struct vault *v, unsigned keep, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	if (keep > VAULT_HISTORY_KEEP_MAX)
		return reterr_set(err, -EINVAL, "history keeps at most %d versions",
				  VAULT_HISTORY_KEEP_MAX);
	int r = vault_history_migrate(v, err);
	if (r < 0)
		return r;
	if ((r = vdb_prepare(v, "INSERT OR REPLACE INTO history_config(one, keep) VALUES (1, ?)",
			     &q, err)) < 0)
		return r;
	int rc = sqlite3_bind_int64(q, 1, keep) == SQLITE_OK ? sqlite3_step(q) : SQLITE_NOMEM;
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "storing the history setting");
	sqlite3_finalize(q);
	if (r < 0)
		return r;
	/* Apply the new bound to every secret now: a lowered count forgets at once. */
	r = vdb_exec(v,
		     keep == 0 ? "DELETE FROM history"
			       : "DELETE FROM history WHERE n IN (SELECT n FROM (SELECT n, "
				 "row_number() OVER (PARTITION BY id ORDER BY n DESC) AS k FROM "
				 "history) WHERE k > (SELECT keep FROM history_config))",
		     err);
	return r;
}

/* Decrypt and parse the info blob of the current row of q (columns: version at 0, info_nonce at
 * icol, info at icol + 1). */
static int info_open(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], sqlite3_stmt *q,
		     int icol, struct vault_version *out)
{
	const unsigned char *nonce, *ct;
	size_t nlen, clen;
	unsigned char pt[HIST_INFO_MAX], ad[HIST_AD_BYTES];
	int64_t version;
	if (vdb_col_i64(q, 0, &version) < 0 || version < 0 ||
	    vdb_col_blob(q, icol, VAULT_NONCE_BYTES, VAULT_NONCE_BYTES, &nonce, &nlen) < 0 ||
	    vdb_col_blob(q, icol + 1, HIST_INFO_FIXED + VAULT_TAG_BYTES,
			 HIST_INFO_MAX + VAULT_TAG_BYTES, &ct, &clen) < 0)
		return -EBADMSG;
	info_ad(v, id, (uint64_t)version, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct, clen, ad, sizeof(ad),
						       nonce, vault_key(v, VK_RECORD)) != 0)
		return -EBADMSG;
	size_t ptlen = clen - VAULT_TAG_BYTES;
	if (pt[0] != HIST_CODEC_VERSION || pt[17] > VAULT_SOURCE_MAX ||
	    HIST_INFO_FIXED + (size_t)pt[17] != ptlen)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->version = (uint64_t)version;
	out->replaced_at = (int64_t)le64_get(pt + 1);
	out->size = le64_get(pt + 9);
	memcpy(out->source, pt + HIST_INFO_FIXED, pt[17]);
	return 0;
}

int vault_history_read(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		       struct vault_version **ret, size_t *ret_n, struct reterr *err)
{
	bool exists = false;
	sqlite3_stmt *q = NULL;
	struct vault_version *a = calloc(VAULT_HISTORY_KEEP_MAX + 1, sizeof(*a));
	size_t n = 0;
	int r = a ? history_exists(v, &exists, err) : reterr_set(err, -ENOMEM, "out of memory");
	if (r < 0 || !exists)
		goto out;
	if ((r = vdb_prepare(v,
			     "SELECT version, info_nonce, info FROM history WHERE id = ? "
			     "ORDER BY n DESC",
			     &q, err)) < 0)
		goto out;
	if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) < 0) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n > VAULT_HISTORY_KEEP_MAX) {
			r = reterr_set(err, -EBADMSG,
				       "the history holds more versions than any "
				       "setting allows (vault tampered with?)");
			goto out;
		}
		if (info_open(v, id, q, 1, &a[n]) < 0) {
			r = reterr_set(err, -EBADMSG,
				       "a saved version does not authenticate: the "
				       "history was altered or corrupted");
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "reading the history");
out:
	sqlite3_finalize(q);
	if (r < 0) {
		free(a);
		return r;
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

void vault_row_blobs_release(struct vault_row_blobs *b)
{
	free(b->meta);
	free(b->value);
	memset(b, 0, sizeof(*b));
}

int vault_history_each(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		       vault_history_fn fn, void *ctx, struct reterr *err)
{
	bool exists = false;
	sqlite3_stmt *q = NULL;
	struct vault_version info;
	int r = history_exists(v, &exists, err);
	if (r < 0 || !exists)
		return r;
	if ((r = vdb_prepare(v,
			     "SELECT version, meta_nonce, meta, value_nonce, value, info_nonce, "
			     "info FROM history WHERE id = ? ORDER BY n",
			     &q, err)) < 0)
		return r;
	int rc = vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) < 0 ? SQLITE_NOMEM : SQLITE_OK;
	for (size_t n = 0; rc == SQLITE_OK || rc == SQLITE_ROW; n++) {
		if ((rc = sqlite3_step(q)) != SQLITE_ROW)
			break;
		if (n > VAULT_HISTORY_KEEP_MAX || info_open(v, id, q, 5, &info) < 0) {
			r = reterr_set(err, -EBADMSG,
				       "a saved version does not authenticate: the history was "
				       "altered or corrupted");
			goto out;
		}
		if ((r = fn(ctx, q, &info, err)) < 0)
			goto out;
	}
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "reading the history");
out:
	sqlite3_finalize(q);
	return r;
}

int vault_history_insert_sealed(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
				const struct vault_row_blobs *b, const struct vault_version *info,
				struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	unsigned char ct[HIST_INFO_MAX + VAULT_TAG_BYTES], nonce[VAULT_NONCE_BYTES];
	if (info->version > INT64_MAX)
		return reterr_set(err, -EINVAL, "invalid version");
	int r = vault_history_migrate(v, err);
	if (r < 0)
		return r;
	size_t clen = info_seal(v, id, info->version, info->replaced_at, info->size, info->source,
				nonce, ct);
	if ((r = vdb_prepare(v,
			     "INSERT INTO history(id, version, meta_nonce, meta, value_nonce, "
			     "value, info_nonce, info) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			     &q, err)) < 0)
		return r;
	int rc = SQLITE_NOMEM;
	if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) == 0 &&
	    sqlite3_bind_int64(q, 2, (int64_t)info->version) == SQLITE_OK &&
	    vdb_bind_blob(q, 3, b->mnonce, sizeof(b->mnonce)) == 0 &&
	    vdb_bind_blob(q, 4, b->meta, b->meta_len) == 0 &&
	    vdb_bind_blob(q, 5, b->vnonce, sizeof(b->vnonce)) == 0 &&
	    vdb_bind_blob(q, 6, b->value, b->value_len) == 0 &&
	    vdb_bind_blob(q, 7, nonce, sizeof(nonce)) == 0 && vdb_bind_blob(q, 8, ct, clen) == 0)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "saving a version in the history");
	sqlite3_finalize(q);
	return r;
}
