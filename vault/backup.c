/* SPDX-License-Identifier: Apache-2.0 */
/* vault backup: a consistent snapshot of the open vault through SQLite's online backup API into
 * memory, its audit log cut unless asked for, sealed into the backup file (backup-format.c). */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BACKUP_BUSY_TRIES 200 /* x 50 ms: as long as VAULT_BUSY_MS */

/* Copy src's main database into a new in-memory connection under SQLite's locking (a writer
 * in the middle of a transaction is waited for, never half-copied). */
int vault_db_snapshot(sqlite3 *src, const struct vault_progress *progress, sqlite3 **ret,
		      struct reterr *err)
{
	sqlite3 *mem = NULL;
	int rc =
		sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(mem);
		return reterr_set(err, -ENOMEM, "cannot open an in-memory database");
	}
	int r = vault_db_copy(mem, src, BACKUP_BUSY_TRIES, progress, VAULT_PROGRESS_COPY, err);
	if (r < 0) {
		sqlite3_close(mem);
		return r;
	}
	*ret = mem;
	return 0;
}

/* On a snapshot (c: a handle sharing v's keys): drop what is local to this machine (the unlock
 * counter and queue) and, without the log, cut it behind an event. Freed pages are then
 * vacuumed away so the image carries no trace of what was removed. */
int vault_snapshot_prepare(struct vault *c, bool keep_log, const struct audit_event *ev,
			   struct reterr *err)
{
	struct vault_state st;
	int r = vdb_exec(c, "PRAGMA secure_delete = ON", err);
	if (r < 0 || (r = vdb_begin(c, err)) < 0)
		return r;
	if ((r = vault_state_load(c, &st, err)) < 0 ||
	    (r = vdb_exec(c,
			  "UPDATE unlock_state SET failures = 0, last_failure = 0;"
			  "DELETE FROM unlock_pending",
			  err)) < 0)
		goto fail;
	r = keep_log ? audit_append_locked(c, &st, ev, clock_now(), c->source, err)
		     : vault_audit_cut_locked(c, &st, ev, err);
	if (r < 0 || (r = vdb_commit(c, err)) < 0)
		goto fail;
	return keep_log ? 0 : vdb_exec(c, "VACUUM", err);
fail:
	vdb_rollback(c);
	return r;
}

static const char *mode_name(enum vault_backup_mode m)
{
	return m == VAULT_BACKUP_MASTER	    ? "master-password"
	       : m == VAULT_BACKUP_PASSWORD ? "backup-password"
					    : "key-file";
}

static int seal_image(struct vault_backup_header *bh, sqlite3 *mem, const struct secret *material,
		      int fd, const struct vault_progress *progress, struct reterr *err)
{
	sqlite3_int64 size = 0;
	unsigned char *img = sqlite3_serialize(mem, "main", &size, 0);
	struct secret *key = NULL;
	int r;
	if (!img || size <= 0) {
		r = reterr_set(err, -ENOMEM, "cannot serialize the database");
		goto out;
	}
	if ((uint64_t)size > VAULT_BACKUP_IMAGE_MAX) {
		r = reterr_set(err, -E2BIG,
			       "the vault is too large to back up (%lld bytes; the "
			       "limit is %llu)",
			       (long long)size, (unsigned long long)VAULT_BACKUP_IMAGE_MAX);
		goto out;
	}
	bh->image_len = (uint64_t)size;
	if (!(key = secret_new(VAULT_KEY_BYTES))) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = vault_backup_key(bh, material, key->data, err)) < 0)
		goto out;
	r = vault_backup_seal(bh, key->data, img, fd, progress, err);
out:
	secret_free(key);
	sqlite3_free(img);
	return r;
}

int vault_backup(struct vault *v, unsigned flags, enum vault_backup_mode mode,
		 const struct secret *key_material, int fd, const struct vault_progress *progress,
		 struct vault_backup_info *ret, struct reterr *err)
{
	struct vault_header h;
	sqlite3 *mem = NULL;
	bool with_audit = flags & VAULT_BACKUP_WITH_AUDIT;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if (mode < VAULT_BACKUP_MASTER || mode > VAULT_BACKUP_KEYFILE ||
	    (flags & ~VAULT_BACKUP_WITH_AUDIT))
		return reterr_set(err, -EINVAL, "invalid backup mode or flags");
	struct vault_backup_header bh = { .version = VAULT_BACKUP_VERSION,
					  .flags = with_audit ? VAULT_BACKUP_WITH_AUDIT : 0,
					  .mode = (uint32_t)mode,
					  .created_at = clock_now() };
	if ((r = vault_header_load(v, &h, err)) < 0)
		return r;
	if (mode != VAULT_BACKUP_KEYFILE)
		bh.kdf = h.kdf; /* the vault's own cost: a backup is no cheaper to attack */
	randombytes_buf(bh.salt, sizeof(bh.salt));
	memcpy(bh.vault_id, v->vault_id, VAULT_ID_BYTES);
	if ((r = vault_db_snapshot(v->db, progress, &mem, err)) < 0)
		return r;
	struct vault c = *v; /* the snapshot with v's keys: borrowed, never freed through c */
	c.db = mem;
	char detail[96];
	(void)snprintf(detail, sizeof(detail), "{\"with_audit\":%s,\"key\":\"%s\"}",
		       with_audit ? "true" : "false", mode_name(mode));
	struct audit_event ev = { .action = "vault.backup", .success = true, .detail = detail };
	if ((r = vault_snapshot_prepare(&c, with_audit, &ev, err)) < 0 ||
	    (r = seal_image(&bh, mem, key_material, fd, progress, err)) < 0)
		goto out;
	/* The vault itself records that a copy of it left (the copy records it as well). */
	if ((r = audit_append(v, &ev, err)) < 0)
		goto out;
	if (ret) {
		*ret = (struct vault_backup_info){ .version = bh.version,
						   .flags = bh.flags,
						   .mode = mode,
						   .created_at = bh.created_at,
						   .image_bytes = bh.image_len };
		memcpy(ret->vault_id, bh.vault_id, VAULT_ID_BYTES);
	}
out:
	sqlite3_close(mem);
	return r;
}
