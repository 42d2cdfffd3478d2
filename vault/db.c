/* SPDX-License-Identifier: Apache-2.0 */
/* vault SQLite layer: opening and configuring the connection, transactions, and the typed,
 * bounded column readers every query of the vault goes through (the db file is hostile input). */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the connection -------------------------------------------------------------------------- */

static int db_setup(struct vault *v, struct reterr *err)
{
	int rc;
	sqlite3_extended_result_codes(v->db, 0);
	if ((rc = sqlite3_busy_timeout(v->db, VAULT_BUSY_MS)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(v->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_db_config(v->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL)) != SQLITE_OK)
		return vdb_fail(v, rc, err, "configuring SQLite");
	/* DELETE journal + FULL sync: a commit is durable when it returns, and there is no
	 * shared-memory file (WAL) to protect. secure_delete overwrites freed pages. */
	static const char *const pragmas[] = {
		"PRAGMA journal_mode = DELETE", "PRAGMA synchronous = FULL",
		"PRAGMA secure_delete = ON",	"PRAGMA temp_store = MEMORY",
		"PRAGMA cell_size_check = ON",
	};
	for (size_t i = 0; i < ARRAY_SIZE(pragmas); i++) {
		rc = sqlite3_exec(v->db, pragmas[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return vdb_fail(v, rc, err, "configuring SQLite");
	}
	return 0;
}

int vdb_open(struct vault *v, int fd, struct reterr *err)
{
	int rc = sqlite3_open_v2(v->path, &v->db,
				 (v->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
					 SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_PRIVATECACHE |
					 SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK)
		return vdb_fail(v, rc, err, "opening the vault database");
	/* Same inode as the file we checked: nobody swapped it in between. */
	struct stat a, b;
	if (fstat(fd, &a) < 0 || lstat(v->path, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return reterr_set(err, -EACCES, "vault file %s changed while it was being opened",
				  v->path);
	return db_setup(v, err);
}

/* ---- statements and transactions ------------------------------------------------------------- */

int vdb_fail(struct vault *v, int rc, struct reterr *err, const char *what)
{
	const char *msg = v && v->db ? sqlite3_errmsg(v->db) : sqlite3_errstr(rc);
	int code;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: code = -EBUSY; break;
	case SQLITE_NOMEM: code = -ENOMEM; break;
	case SQLITE_FULL: code = -ENOSPC; break;
	case SQLITE_READONLY: code = -EROFS; break;
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN: code = -EACCES; break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_SCHEMA:
	case SQLITE_MISMATCH:
	case SQLITE_CONSTRAINT:
	case SQLITE_ERROR: code = -EBADMSG; break;
	default: code = -EIO; break;
	}
	if (code == -EBUSY)
		return reterr_set(err, code,
				  "vault is busy (another process held its lock for %d s) "
				  "while %s",
				  VAULT_BUSY_MS / 1000, what);
	return reterr_set(err, code, "vault database error while %s: %s", what, msg);
}

int vdb_exec(struct vault *v, const char *sql, struct reterr *err)
{
	int rc = sqlite3_exec(v->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : vdb_fail(v, rc, err, "updating the vault");
}

int vdb_prepare(struct vault *v, const char *sql, sqlite3_stmt **ret, struct reterr *err)
{
	int rc = sqlite3_prepare_v2(v->db, sql, -1, ret, NULL);
	if (rc != SQLITE_OK) {
		*ret = NULL;
		/* A missing table or column means this file is not (or no longer) our schema. */
		return vdb_fail(v, rc, err, "reading the vault (is this a secretctl vault?)");
	}
	return 0;
}

int vdb_begin(struct vault *v, struct reterr *err)
{
	if (v->readonly)
		return reterr_set(err, -EROFS,
				  "the vault is open read-only: nothing can be written (not even "
				  "the audit record)");
	int rc = sqlite3_exec(v->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : vdb_fail(v, rc, err, "starting a write transaction");
}

int vdb_commit(struct vault *v, struct reterr *err)
{
	int rc = sqlite3_exec(v->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		if (v->audited_in_tx)
			v->audit_owed = false;
		v->audited_in_tx = false;
		return 0;
	}
	int r = vdb_fail(v, rc, err, "committing");
	vdb_rollback(v);
	return r;
}

void vdb_rollback(struct vault *v)
{
	v->audited_in_tx = false;
	if (!sqlite3_get_autocommit(v->db))
		(void)sqlite3_exec(v->db, "ROLLBACK", NULL, NULL, NULL);
}

int vdb_col_blob(sqlite3_stmt *st, int col, size_t min, size_t max, const unsigned char **ret,
		 size_t *ret_len)
{
	static const unsigned char empty[1];
	if (sqlite3_column_type(st, col) != SQLITE_BLOB)
		return -EBADMSG;
	const unsigned char *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	if (n < 0 || (size_t)n < min || (size_t)n > max)
		return -EBADMSG;
	if (!p) {
		if (n != 0)
			return -ENOMEM;
		p = empty;
	}
	*ret = p;
	*ret_len = (size_t)n;
	return 0;
}

int vdb_col_blob_exact(sqlite3_stmt *st, int col, void *out, size_t len)
{
	const unsigned char *p;
	size_t n;
	int r = vdb_col_blob(st, col, len, len, &p, &n);
	if (r < 0)
		return r;
	memcpy(out, p, len);
	return 0;
}

int vdb_col_i64(sqlite3_stmt *st, int col, int64_t *ret)
{
	if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
		return -EBADMSG;
	*ret = sqlite3_column_int64(st, col);
	return 0;
}

int vdb_bind_blob(sqlite3_stmt *st, int col, const void *p, size_t len)
{
	if (len > INT32_MAX)
		return -E2BIG;
	/* SQLITE_TRANSIENT: SQLite copies, so callers may wipe their buffers right after. */
	return sqlite3_bind_blob(st, col, p ? p : "", (int)len, SQLITE_TRANSIENT) == SQLITE_OK
		       ? 0
		       : -ENOMEM;
}

int vdb_table_exists(struct vault *v, const char *name, bool *ret, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(
		v, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", &q, err);
	if (r < 0)
		return r;
	int64_t n = 0;
	int rc = sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc != SQLITE_ROW || vdb_col_i64(q, 0, &n) < 0)
		r = vdb_fail(v, rc == SQLITE_ROW ? SQLITE_CORRUPT : rc, err, "reading the schema");
	else
		*ret = n > 0;
	sqlite3_finalize(q);
	return r;
}
