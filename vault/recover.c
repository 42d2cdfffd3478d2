/* SPDX-License-Identifier: Apache-2.0 */
/* vault recover: rebuild a vault that fails its integrity check from what is intact. A new file
 * gets the header, every secret row that authenticates, the whole audit log as stored, a
 * recomputed manifest and head and a vault.recover event; the damaged file is kept beside it
 * (vault.db.damaged-<time>) and the new one renamed over vault.db in one step. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Bytes of the vault.recover event's keys and detail fields, below AUDIT_FIELD_MAX. */
#define RECOVER_TEXT_MAX (AUDIT_FIELD_MAX - 1024)

int vault_unlock_for_recovery(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
			      struct reterr *err)
{
	if (!v || !v->db)
		return reterr_set(err, -EINVAL, "no vault open");
	return vault_unlock_keys(v, password, ret_wait_s, err);
}

/* Copy every row of table (the columns named, as stored: types and bytes untouched). */
static int copy_table(struct vault *from, struct vault *to, const char *table, const char *cols,
		      int ncols, struct reterr *err)
{
	char sel[256], ins[512], marks[64];
	sqlite3_stmt *s = NULL, *i = NULL;
	size_t m = 0;
	for (int k = 0; k < ncols && m + 3 < sizeof(marks); k++) {
		if (k)
			marks[m++] = ',';
		marks[m++] = '?';
	}
	marks[m] = '\0';
	snprintf(sel, sizeof(sel), "SELECT %s FROM %s", cols, table);
	snprintf(ins, sizeof(ins), "INSERT INTO %s(%s) VALUES (%s)", table, cols, marks);
	int r = vdb_prepare(from, sel, &s, err), rc = SQLITE_DONE;
	if (r == 0)
		r = vdb_prepare(to, ins, &i, err);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int k = 0; k < ncols && rc == SQLITE_ROW; k++)
			if (sqlite3_bind_value(i, k + 1, sqlite3_column_value(s, k)) != SQLITE_OK)
				rc = SQLITE_NOMEM;
		if (rc != SQLITE_ROW || (rc = sqlite3_step(i)) != SQLITE_DONE)
			r = vdb_fail(to, rc, err, "copying the vault");
		sqlite3_reset(i);
		sqlite3_clear_bindings(i);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vdb_fail(from, rc, err, "reading the damaged vault");
	sqlite3_finalize(s);
	sqlite3_finalize(i);
	return r;
}

static int copy_all(struct vault *v, struct vault *w, const struct vault_examination *ex,
		    struct reterr *err)
{
	static const struct {
		const char *table, *cols;
		int n;
	} tables[] = {
		{ "header",
		  "one, format, vault_id, created_at, kdf_alg, kdf_ops, kdf_mem, "
		  "kdf_salt, wrap_nonce, wrapped_key",
		  10 },
		{ "secrets", "n, id, version, meta_nonce, meta, value_nonce, value", 7 },
		{ "audit", "seq, ts, nonce, payload, mac", 5 },
		{ "unlock_state", "one, failures, last_failure", 3 },
		{ "unlock_pending", "id, ts, source, reason", 4 },
	};
	sqlite3_stmt *q = NULL;
	int r = vdb_exec(w, "DELETE FROM unlock_state", err); /* the schema's row is replaced */
	for (size_t t = 0; r == 0 && t < ARRAY_SIZE(tables); t++)
		r = copy_table(v, w, tables[t].table, tables[t].cols, tables[t].n, err);
	if (r == 0)
		r = vdb_prepare(w, "DELETE FROM secrets WHERE n = ?", &q, err);
	for (size_t b = 0; r == 0 && b < ex->nbad; b++) {
		int rc = sqlite3_bind_int64(q, 1, ex->bad[b].rowid);
		if (rc != SQLITE_OK || (rc = sqlite3_step(q)) != SQLITE_DONE)
			r = vdb_fail(w, rc, err, "dropping a damaged row");
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	return r;
}

/* The highest generation the damaged manifest (if readable) or any row has seen: new rows must
 * get versions above it, so that no old copy of a row can ever match the manifest again. */
static uint64_t old_generation(struct vault *v)
{
	sqlite3_stmt *q = NULL;
	int64_t gen = 0;
	if (vdb_prepare(v, "SELECT generation FROM manifest WHERE one = 1", &q, NULL) == 0 &&
	    sqlite3_step(q) == SQLITE_ROW && (vdb_col_i64(q, 0, &gen) < 0 || gen < 0))
		gen = 0;
	sqlite3_finalize(q);
	return (uint64_t)gen;
}

/* A new manifest over the rows kept and a new head over the log's last entry. */
static int reseal(struct vault *v, struct vault *w, struct vault_state *st, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	uint64_t maxv = 0, old = old_generation(v);
	int r = vault_manifest_compute(w, &st->count, st->man_acc, &maxv, err);
	if (r < 0)
		return r;
	st->gen = (maxv > old ? maxv : old) + 1;
	if ((r = vdb_prepare(w, "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1", &q, err)) <
	    0)
		return r;
	int64_t seq = 0;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && (vdb_col_i64(q, 0, &seq) < 0 || seq < 1 ||
				 vdb_col_blob_exact(q, 1, st->last_mac, VAULT_MAC_BYTES) < 0))
		r = reterr_set(err, -EBADMSG,
			       "the last audit entry is malformed: the log cannot be continued; "
			       "restore vault.db from a backup");
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = vdb_fail(w, rc, err, "reading the audit log");
	sqlite3_finalize(q);
	st->seq = (uint64_t)seq;
	if (r == 0 && (r = vault_manifest_store(w, st, err)) == 0)
		r = vault_head_store(w, st, err);
	return r;
}

static void strv_json(struct outbuf *o, struct buf *keys, char *const *v)
{
	outbuf_puts(o, "[");
	for (size_t i = 0; v && v[i] && keys->len < RECOVER_TEXT_MAX; i++) {
		outbuf_puts(o, i ? "," : "");
		outbuf_json_cstr(o, v[i]);
		(void)buf_printf(keys, "%s%s", keys->len ? "," : "", v[i]);
	}
	outbuf_puts(o, "]");
}

/* The vault.recover event: the keys involved, and a detail saying what was dropped, found
 * missing or rolled back, and where the damaged file is. */
static int recover_event(const struct vault_examination *ex, const char *backup, struct buf *keys,
			 struct buf *detail)
{
	struct outbuf o;
	outbuf_init_buf(&o, detail);
	outbuf_printf(&o, "{\"kept\":%zu,\"removed\":[", ex->intact);
	for (size_t i = 0; i < ex->nbad && detail->len < RECOVER_TEXT_MAX; i++) {
		outbuf_printf(&o, "%s{\"row\":\"%s\",\"key\":", i ? "," : "", ex->bad[i].id);
		outbuf_json_cstr(&o, ex->bad[i].key);
		outbuf_puts(&o, ",\"problem\":");
		outbuf_json_cstr(&o, ex->bad[i].problem);
		outbuf_puts(&o, "}");
		if (ex->bad[i].key)
			(void)buf_printf(keys, "%s%s", keys->len ? "," : "", ex->bad[i].key);
	}
	outbuf_puts(&o, "],\"missing\":");
	strv_json(&o, keys, ex->missing);
	outbuf_puts(&o, ",\"stale\":");
	strv_json(&o, keys, ex->stale);
	outbuf_printf(&o, ",\"head\":\"%s\",", ex->head_ok ? "ok" : "resealed");
	if (!ex->head_ok) {
		outbuf_puts(&o, "\"head_error\":");
		outbuf_json_cstr(&o, ex->head_msg);
		outbuf_puts(&o, ",");
	}
	outbuf_puts(&o, "\"audit_chain\":");
	if (ex->audit_ok)
		outbuf_puts(&o, "\"ok\"");
	else
		outbuf_printf(&o, "\"broken at seq %llu\"", (unsigned long long)ex->audit_bad_seq);
	outbuf_puts(&o, ",\"backup\":");
	outbuf_json_cstr(&o, backup);
	outbuf_puts(&o, "}");
	return outbuf_finish(&o);
}

/* Fill the new file w from v, in one transaction. */
static int rebuild(struct vault *v, struct vault *w, int fd, const struct vault_examination *ex,
		   const char *backup, struct reterr *err)
{
	struct vault_header h;
	struct vault_state st = { 0 };
	struct buf keys = BUF_INIT, detail = BUF_INIT;
	int r;
	if ((r = vdb_open(w, fd, err)) < 0 || (r = vdb_begin(w, err)) < 0)
		return r;
	if ((r = vault_schema_create(w, err)) < 0 || (r = copy_all(v, w, ex, err)) < 0 ||
	    (r = vault_header_load(w, &h, err)) < 0 ||
	    (r = vault_header_sum_store(w, &h, err)) < 0 || (r = reseal(v, w, &st, err)) < 0)
		goto out;
	if (recover_event(ex, backup, &keys, &detail) < 0 || keys.len > AUDIT_FIELD_MAX ||
	    detail.len > AUDIT_FIELD_MAX) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	struct audit_event ev = {
		.action = "vault.recover", .keys = keys.data, .success = true, .detail = detail.data
	};
	if ((r = audit_append_locked(w, &st, &ev, clock_now(), v->source, err)) == 0)
		r = vdb_commit(w, err);
out:
	vdb_rollback(w);
	buf_release(&keys);
	buf_release(&detail);
	if (w->db) {
		sqlite3_close_v2(w->db);
		w->db = NULL;
	}
	return r;
}

/* Keep the damaged file as vault.db.damaged-<UTC time>[-N]: a hard link, so that the rename of
 * the new file over vault.db leaves it as it was. *ret_name malloc'd. */
static int keep_damaged(int dfd, const char *dir, char **ret_name, struct reterr *err)
{
	char stamp[32];
	struct tm tm;
	time_t now = (time_t)clock_now();
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
	for (int n = 1; n < 100; n++) {
		char *name = NULL;
		if ((n == 1 ? asprintf(&name, "%s.damaged-%s", VAULT_DB_NAME, stamp)
			    : asprintf(&name, "%s.damaged-%s-%d", VAULT_DB_NAME, stamp, n)) < 0)
			return reterr_set(err, -ENOMEM, "out of memory");
		if (linkat(dfd, VAULT_DB_NAME, dfd, name, 0) == 0) {
			*ret_name = name;
			return 0;
		}
		int e = errno;
		free(name);
		if (e != EEXIST)
			return reterr_set(err, -e,
					  "cannot keep a copy of the damaged vault in %s: %s", dir,
					  strerror(e));
	}
	return reterr_set(err, -EEXIST, "too many copies of the damaged vault in %s", dir);
}

static struct vault *twin(const struct vault *v, const char *name)
{
	struct vault *w = vault_alloc(v->dir);
	if (!w)
		return NULL;
	free(w->path);
	w->keys = vault_keys_new();
	if (asprintf(&w->path, "%s/%s", v->dir, name) < 0 || !w->keys) {
		w->path = NULL;
		return vault_free(w);
	}
	memcpy(w->keys->data, v->keys->data, w->keys->len);
	memcpy(w->vault_id, v->vault_id, VAULT_ID_BYTES);
	memcpy(w->source, v->source, sizeof(w->source));
	return w;
}

static int recover_at(struct vault *v, int dfd, const struct vault_examination *ex,
		      char **ret_backup, struct reterr *err)
{
	AUTO_FREE char *name = NULL, *backup = NULL;
	struct vault *w = NULL;
	int fd = -1, r;
	vault_tmp_cleanup(dfd);
	if ((fd = r = vault_tmp_create(dfd, v->dir, &name, err)) < 0)
		return r;
	if (!(w = twin(v, name))) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = vault_file_check(fd, w->path, err)) < 0 ||
	    (r = keep_damaged(dfd, v->dir, &backup, err)) < 0)
		goto out;
	if ((r = rebuild(v, w, fd, ex, backup, err)) < 0 ||
	    (r = vault_tmp_install(dfd, v->dir, name, fd, true, err)) < 0) {
		(void)unlinkat(dfd, backup, 0); /* vault.db is still the damaged file */
		goto out;
	}
	if (asprintf(ret_backup, "%s/%s", v->dir, backup) < 0)
		*ret_backup = NULL;
out:
	if (r < 0)
		vault_tmp_remove(dfd, name);
	vault_free(w);
	close(fd);
	return r;
}

int vault_recover(struct vault *v, const struct vault_examination *ex, char **ret_backup,
		  struct reterr *err)
{
	if (!v || !v->db || !v->keys || !ex)
		return reterr_set(err, -EINVAL, "the vault is not unlocked for recovery");
	*ret_backup = NULL;
	if (vault_examination_clean(ex))
		return 0;
	mode_t old_mask = umask(077);
	int dfd = vault_dir_open(v->dir, err), r = dfd;
	/* The write lock on the damaged file: nobody changes it while it is copied. */
	if (dfd >= 0 && (r = vdb_begin(v, err)) == 0)
		r = recover_at(v, dfd, ex, ret_backup, err);
	vdb_rollback(v);
	if (dfd >= 0)
		close(dfd);
	umask(old_mask);
	return r;
}
