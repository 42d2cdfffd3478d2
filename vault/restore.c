/* SPDX-License-Identifier: Apache-2.0 */
/* vault restore: decrypt a backup and verify everything in it (stream, image, header, manifest,
 * audit chain) in memory, then make it the vault with one rename; nothing is touched before. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vault_restore {
	struct vault *v; /* over the in-memory image, unlocked */
	struct vault_backup_header h;
	uint64_t secrets, entries;
};

int vault_backup_inspect(const void *file, size_t len, struct vault_backup_info *ret,
			 struct reterr *err)
{
	struct vault_backup_header h;
	int r = vault_backup_header_parse(file, len, &h, err);
	if (r < 0)
		return r;
	*ret = (struct vault_backup_info){ .version = h.version,
					   .flags = h.flags,
					   .mode = (enum vault_backup_mode)h.mode,
					   .created_at = h.created_at,
					   .image_bytes = h.image_len };
	memcpy(ret->vault_id, h.vault_id, VAULT_ID_BYTES);
	return 0;
}

/* Load the decrypted image into an in-memory connection, configured like a vault file, and
 * refuse anything a vault never holds (it is authenticated, but only by the backup key). */
static int image_load(struct vault *v, unsigned char *img, size_t len, struct reterr *err)
{
	unsigned char *copy = sqlite3_malloc64(len);
	sqlite3_stmt *q = NULL;
	if (!copy ||
	    sqlite3_open_v2(":memory:", &v->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_free(copy);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	memcpy(copy, img, len);
	int rc =
		sqlite3_deserialize(v->db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
	if (rc != SQLITE_OK ||
	    sqlite3_db_config(v->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_db_config(v->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK)
		return reterr_set(err, -EBADMSG, "the backup's database cannot be loaded");
	int r = vdb_exec(v, "PRAGMA cell_size_check = ON; PRAGMA secure_delete = ON", err);
	if (r < 0 ||
	    (r = vdb_prepare(v,
			     "SELECT (SELECT application_id FROM pragma_application_id), "
			     "(SELECT quick_check FROM pragma_quick_check LIMIT 1), "
			     "(SELECT count(*) FROM sqlite_master WHERE type IN ('trigger', "
			     "'view'))",
			     &q, err)) < 0)
		return reterr_set(err, -EBADMSG, "the backup's database is damaged");
	rc = sqlite3_step(q);
	bool ok = rc == SQLITE_ROW && sqlite3_column_int64(q, 0) == VAULT_APP_ID &&
		  sqlite3_column_type(q, 1) == SQLITE_TEXT &&
		  !strcmp((const char *)sqlite3_column_text(q, 1), "ok") &&
		  sqlite3_column_int64(q, 2) == 0;
	sqlite3_finalize(q);
	return ok ? 0
		  : reterr_set(err, -EBADMSG,
			       "the backup's database is damaged or is not a "
			       "secretctl vault");
}

/* The unlock's checks without its writes: the password unwraps the data key, the head, the
 * manifest over every row, and the whole audit chain verify. */
static int image_verify(struct vault_restore *rs, const struct secret *password, struct reterr *err)
{
	struct vault *v = rs->v;
	struct vault_header h;
	struct vault_state st = { 0 };
	int r = vault_header_load(v, &h, err);
	if (r < 0)
		return r;
	memcpy(v->vault_id, h.vault_id, VAULT_ID_BYTES);
	struct secret *kek = secret_new(VAULT_KEY_BYTES);
	if (!(v->keys = vault_keys_new()) || !kek) {
		secret_free(kek);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	bool ok = false;
	if (password && password->len >= 1 && password->len <= VAULT_PASSWORD_MAX) {
		r = vault_kdf_derive(&h.kdf, h.salt, password, kek->data, err);
		ok = r == 0 && vault_header_unwrap(&h, kek->data, v->keys->data);
	}
	secret_free(kek);
	if (r < 0)
		return r;
	if (!ok)
		return reterr_set(err, -EKEYREJECTED,
				  "the master password does not unlock the vault in the backup (it "
				  "needs the password the vault had when it was backed up)");
	vault_keys_derive(v);
	v->unlocked = true;
	if ((r = vdb_exec(v, "BEGIN", err)) < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) == 0 &&
	    (r = vault_manifest_check(v, &st, err)) == 0)
		r = vault_audit_verify_locked(v, &rs->entries, NULL, err);
	vdb_rollback(v);
	rs->secrets = st.count;
	return r;
}

int vault_restore_open(const void *file, size_t len, const struct secret *key_material,
		       const struct secret *password, const struct vault_progress *progress,
		       struct vault_restore **ret, struct vault_backup_info *ret_info,
		       struct reterr *err)
{
	unsigned char *img = NULL;
	size_t img_len = 0;
	struct secret *key = secret_new(VAULT_KEY_BYTES);
	struct vault_restore *rs = calloc(1, sizeof(*rs));
	int r;
	if (!key || !rs || !(rs->v = vault_alloc("(backup)"))) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = vault_backup_header_parse(file, len, &rs->h, err)) < 0 ||
	    (r = vault_backup_key(&rs->h, key_material, key->data, err)) < 0 ||
	    (r = vault_backup_unseal(file, len, key->data, progress, &img, &img_len, err)) < 0 ||
	    (r = image_load(rs->v, img, img_len, err)) < 0 ||
	    (r = image_verify(rs, password, err)) < 0)
		goto out;
	if (sodium_memcmp(rs->v->vault_id, rs->h.vault_id, VAULT_ID_BYTES) != 0) {
		r = reterr_set(err, -EBADMSG,
			       "the backup's header names another vault than the one "
			       "inside it");
		goto out;
	}
	if (ret_info) {
		(void)vault_backup_inspect(file, len, ret_info, NULL);
		ret_info->secrets = rs->secrets;
		ret_info->audit_entries = rs->entries;
	}
	*ret = rs;
	rs = NULL;
out:
	if (img)
		sodium_memzero(img, img_len);
	free(img);
	secret_free(key);
	vault_restore_free(rs);
	return r;
}

struct vault *vault_restore_vault(const struct vault_restore *rs)
{
	return rs->v;
}

struct vault_restore *vault_restore_free(struct vault_restore *rs)
{
	if (rs) {
		vault_free(rs->v);
		free(rs);
	}
	return NULL;
}

/* Write the image into a new 0600 file tmp in dfd through the backup API, synced. */
static int image_write(struct vault_restore *rs, int dfd, const char *dir, const char *tmp,
		       const struct vault_progress *progress, struct reterr *err)
{
	char path[4096];
	sqlite3 *out = NULL;
	int fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return reterr_set(err, -errno, "cannot create a file in %s: %s", dir,
				  strerror(errno));
	int r = snprintf(path, sizeof(path), "%s/%s", dir, tmp) >= (int)sizeof(path)
			? reterr_set(err, -ENAMETOOLONG, "the vault path is too long")
			: 0;
	if (r == 0 && sqlite3_open_v2(path, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
				      NULL) != SQLITE_OK)
		r = reterr_set(err, -EIO, "cannot open %s: %s", path, sqlite3_errmsg(out));
	if (r == 0 && vault_db_copy(out, rs->v->db, 0, progress, VAULT_PROGRESS_WRITE, NULL) < 0)
		r = reterr_set(err, -EIO, "cannot write %s: %s", path, sqlite3_errmsg(out));
	if (sqlite3_close(out) != SQLITE_OK && r == 0)
		r = reterr_set(err, -EIO, "cannot close %s", path);
	if (r == 0 && fsync(fd) < 0)
		r = reterr_set(err, -errno, "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	return r;
}

/* The directory (made 0700 when missing), checked; and whether a vault is there already.
 * A journal is refused: it belongs to the vault being replaced and must not meet the new one. */
static int target_open(const char *dir, bool replace, struct reterr *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return reterr_set(err, -errno, "cannot create vault directory %s: %s", dir,
				  strerror(errno));
	int dfd = vault_dir_open(dir, err);
	if (dfd < 0)
		return dfd;
	struct stat sb;
	int r = 0;
	if (faccessat(dfd, VAULT_DB_NAME "-journal", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		r = reterr_set(err, -EBUSY,
			       "%s holds a %s-journal (a vault in use, or one that "
			       "crashed): open the vault once, then restore",
			       dir, VAULT_DB_NAME);
	else if (fstatat(dfd, VAULT_DB_NAME, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !replace)
		r = reterr_set(err, -EEXIST, "a vault already exists in %s", dir);
	if (r < 0) {
		close(dfd);
		return r;
	}
	return dfd;
}

int vault_restore_apply(struct vault_restore *rs, const char *dir, unsigned flags,
			const struct vault_progress *progress, struct reterr *err)
{
	char tmp[64];
	bool with_audit = flags & VAULT_BACKUP_WITH_AUDIT;
	if (with_audit && !(rs->h.flags & VAULT_BACKUP_WITH_AUDIT))
		return reterr_set(err, -EINVAL,
				  "this backup does not carry the audit log (make it "
				  "with `backup --with-audit`)");
	/* The restore is recorded in the restored vault; the copy's log is cut unless kept. */
	struct audit_event ev = { .action = "vault.restore",
				  .success = true,
				  .detail = with_audit ? "{\"with_audit\":true}"
						       : "{\"with_audit\":false}" };
	mode_t old_mask = umask(077);
	int dfd = target_open(dir, flags & VAULT_RESTORE_REPLACE, err);
	int r = dfd;
	if (dfd < 0)
		goto out;
	if ((r = vault_snapshot_prepare(rs->v, with_audit, &ev, err)) < 0)
		goto out;
	(void)snprintf(tmp, sizeof(tmp), ".%s.restore.%08x", VAULT_DB_NAME, randombytes_random());
	if ((r = image_write(rs, dfd, dir, tmp, progress, err)) < 0 ||
	    (renameat(dfd, tmp, dfd, VAULT_DB_NAME) < 0 &&
	     (r = reterr_set(err, -errno, "cannot replace %s/%s: %s", dir, VAULT_DB_NAME,
			     strerror(errno))) < 0)) {
		char journal[80];
		(void)snprintf(journal, sizeof(journal), "%s-journal", tmp);
		(void)unlinkat(dfd, tmp, 0);
		(void)unlinkat(dfd, journal, 0);
		goto out;
	}
	(void)fsync(dfd);
	r = 0;
out:
	if (dfd >= 0)
		close(dfd);
	umask(old_mask);
	return r;
}
