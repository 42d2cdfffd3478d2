/* SPDX-License-Identifier: Apache-2.0 */
/* vault storage: the vault directory and file checks, SQLite setup, the header with the wrapped
 * data key (Argon2id KEK), unlock with its persisted cooldown, password change and the manifest. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the handle: open, source, free ---------------------------------------------------------- */

struct vault *vault_alloc(const char *dir)
{
	struct vault *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->dir = strdup(dir);
	if (!v->dir || asprintf(&v->path, "%s/%s", dir, VAULT_DB_NAME) < 0) {
		v->path = NULL;
		return vault_free(v);
	}
	snprintf(v->source, sizeof(v->source), "cli");
	return v;
}

struct vault *vault_free(struct vault *v)
{
	if (!v)
		return NULL;
	if (v->db)
		sqlite3_close_v2(v->db);
	secret_free(v->keys);
	free(v->dir);
	free(v->path);
	free(v);
	return NULL;
}

void vault_set_source(struct vault *v, const char *source)
{
	if (!v || !source || !*source || strlen(source) > VAULT_SOURCE_MAX)
		return;
	for (const char *p = source; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return;
	snprintf(v->source, sizeof(v->source), "%s", source);
}

int vault_require_unlocked(const struct vault *v, struct reterr *err)
{
	if (!v || !v->db)
		return reterr_set(err, -EINVAL, "no vault open");
	if (!v->unlocked || !v->keys)
		return reterr_set(err, -EACCES, "vault is locked: unlock it first");
	return 0;
}

static int app_id_check(struct vault *v, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, "PRAGMA application_id", &q, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW)
		r = vdb_fail(v, rc, err, "reading the vault file header");
	else if (sqlite3_column_int64(q, 0) != VAULT_APP_ID)
		r = reterr_set(err, -EBADMSG, "%s is not a secretctl vault", v->path);
	sqlite3_finalize(q);
	return r;
}

int vault_open(const char *dir, struct vault **ret, struct reterr *err)
{
	struct vault *v = NULL;
	int dfd = -1, fd = -1, r;
	if ((r = secret_lib_init()) < 0)
		return reterr_set(err, r, "libsodium failed to initialise");
	if (!dir || !*dir)
		return reterr_set(err, -EINVAL, "no vault directory given");
	dfd = vault_dir_open(dir, err);
	if (dfd < 0) {
		r = dfd;
		if (r == -ENOENT)
			reterr_set(err, r, "no vault at %s: run `secretctl init` first", dir);
		goto out;
	}
	fd = openat(dfd, VAULT_DB_NAME, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			reterr_set(err, r, "no vault at %s: run `secretctl init` first", dir);
		else if (r == -ELOOP)
			reterr_set(err, r, "refusing vault file %s/%s: it is a symlink", dir,
				   VAULT_DB_NAME);
		else
			reterr_set(err, r, "cannot open %s/%s: %s", dir, VAULT_DB_NAME,
				   strerror(-r));
		goto out;
	}
	v = vault_alloc(dir);
	if (!v) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = vault_file_check(fd, v->path, err)) < 0 || (r = vault_journal_check(dfd, dir, err)) < 0 ||
	    (r = vdb_open(v, fd, err)) < 0 || (r = app_id_check(v, err)) < 0)
		goto out;
	struct vault_header h;
	if ((r = vault_header_load(v, &h, err)) < 0)
		goto out;
	memcpy(v->vault_id, h.vault_id, VAULT_ID_BYTES);
	*ret = v;
	v = NULL;
	r = 0;
out:
	vault_free(v);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* ---- unlock and cooldown --------------------------------------------------------------------- */

static int64_t cooldown_for(int64_t failures)
{
	if (failures >= 20)
		return 30 * 60;
	if (failures >= 10)
		return 5 * 60;
	if (failures >= 5)
		return 30;
	return 0;
}

/* Failures and last failure time; an absent or malformed row reads as no failures (the counter
 * is plaintext: it throttles guessing through this tool, not offline attacks). */
static int cooldown_read(struct vault *v, int64_t *ret_failures, int64_t *ret_wait,
			 struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, "SELECT failures, last_failure FROM unlock_state WHERE one = 1", &q,
			    err);
	if (r < 0)
		return r;
	int64_t failures = 0, last = 0;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (vdb_col_i64(q, 0, &failures) < 0 || vdb_col_i64(q, 1, &last) < 0 || failures < 0)
			failures = 0;
	} else if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "reading the unlock state");
	}
	sqlite3_finalize(q);
	if (r < 0)
		return r;
	int64_t cd = cooldown_for(failures), wait = 0;
	if (cd > 0) {
		int64_t now = clock_now();
		if (__builtin_sub_overflow(last, now, &wait) ||
		    __builtin_add_overflow(wait, cd, &wait))
			wait = cd;
		if (wait > cd) /* clock went backwards: never wait longer than the cooldown */
			wait = cd;
		if (wait < 0)
			wait = 0;
	}
	*ret_failures = failures;
	*ret_wait = wait;
	return 0;
}

int vault_cooldown(struct vault *v, unsigned *ret_failures, int64_t *ret_wait_s)
{
	int64_t f, w;
	int r = cooldown_read(v, &f, &w, NULL);
	if (r < 0)
		return r;
	if (ret_failures)
		*ret_failures = f > UINT32_MAX ? UINT32_MAX : (unsigned)f;
	if (ret_wait_s)
		*ret_wait_s = w;
	return 0;
}

/* Queue a vault.unlock_failed event (written to the audit log at the next unlock); when count,
 * it also counts toward the cooldown. */
static int record_failure(struct vault *v, const char *reason, bool count, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_begin(v, err);
	if (r < 0)
		return r;
	int64_t now = clock_now();
	int rc;
	if (!count)
		goto queue;
	/* Keep the counter sane even if the row was edited or removed. */
	r = vdb_exec(v,
		     "INSERT OR REPLACE INTO unlock_state(one, failures, last_failure) VALUES (1, "
		     "min(max(coalesce((SELECT failures FROM unlock_state WHERE one = 1 AND "
		     "typeof(failures) = 'integer'), 0), 0), 1000000) + 1, 0)",
		     err);
	if (r < 0)
		goto out;
	if ((r = vdb_prepare(v, "UPDATE unlock_state SET last_failure = ? WHERE one = 1", &q,
			     err)) < 0)
		goto out;
	if ((rc = sqlite3_bind_int64(q, 1, now)) != SQLITE_OK || (rc = sqlite3_step(q)) != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "recording a failed unlock");
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
queue:
	if ((r = vdb_prepare(v,
			     "INSERT INTO unlock_pending(ts, source, reason) SELECT ?, ?, ? "
			     "WHERE (SELECT count(*) FROM unlock_pending) < ?",
			     &q, err)) < 0)
		goto out;
	if ((rc = sqlite3_bind_int64(q, 1, now)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(q, 2, v->source, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(q, 3, reason, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(q, 4, VAULT_PENDING_MAX)) != SQLITE_OK ||
	    (rc = sqlite3_step(q)) != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "recording a failed unlock");
		goto out;
	}
	r = vdb_commit(v, err);
out:
	sqlite3_finalize(q);
	if (r < 0)
		vdb_rollback(v);
	return r;
}

static int copy_text_col(sqlite3_stmt *q, int col, size_t max, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	int n = sqlite3_column_bytes(q, col);
	if (sqlite3_column_type(q, col) != SQLITE_TEXT || !t || n < 0 || (size_t)n > max ||
	    memchr(t, 0, (size_t)n))
		return snprintf(out, outsz, "invalid"), 0;
	snprintf(out, outsz, "%s", (const char *)t);
	return 0;
}

/* Move queued failure records into the audit log (we hold the keys now), then reset. */
static int flush_failures(struct vault *v, struct vault_state *st, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, "SELECT ts, source, reason FROM unlock_pending ORDER BY id", &q, err);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t ts = 0;
		char source[VAULT_SOURCE_MAX + 1], reason[128];
		if (vdb_col_i64(q, 0, &ts) < 0)
			ts = 0;
		copy_text_col(q, 1, VAULT_SOURCE_MAX, source, sizeof(source));
		copy_text_col(q, 2, sizeof(reason) - 1, reason, sizeof(reason));
		struct audit_event ev = {
			.action = "vault.unlock_failed",
			.success = false,
			.error = reason,
			.detail = "{\"queued\":true}",
		};
		if ((r = audit_append_locked(v, st, &ev, ts, source, err)) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "reading queued unlock failures");
		goto out;
	}
	r = vdb_exec(v,
		     "DELETE FROM unlock_pending;"
		     "INSERT OR REPLACE INTO unlock_state(one, failures, last_failure) "
		     "VALUES (1, 0, 0);",
		     err);
out:
	sqlite3_finalize(q);
	return r;
}

int vault_unlock(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
		 struct reterr *err)
{
	struct vault_header h;
	struct secret *keys = NULL, *kek = NULL;
	int64_t failures, wait;
	int r = cooldown_read(v, &failures, &wait, err);
	if (r < 0)
		return r;
	if (ret_wait_s)
		*ret_wait_s = wait;
	if (wait > 0)
		return reterr_set(err, -EAGAIN,
				  "too many failed unlock attempts (%lld): try again in %lld s",
				  (long long)failures, (long long)wait);
	if ((r = vault_header_load(v, &h, err)) < 0)
		return r;
	if (sodium_memcmp(h.vault_id, v->vault_id, VAULT_ID_BYTES) != 0)
		return reterr_set(err, -EBADMSG, "vault header changed while open");
	keys = vault_keys_new();
	kek = secret_new(VAULT_KEY_BYTES);
	if (!keys || !kek) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	bool ok = false;
	if (password && password->len >= 1 && password->len <= VAULT_PASSWORD_MAX) {
		if (crypto_pwhash(kek->data, VAULT_KEY_BYTES, (const char *)password->data,
				  password->len, h.salt, h.kdf.ops, (size_t)h.kdf.mem,
				  h.kdf.alg) != 0) {
			r = reterr_set(err, -ENOMEM,
				       "key derivation failed (not enough memory for %llu MiB?)",
				       (unsigned long long)(h.kdf.mem >> 20));
			goto out;
		}
		ok = vault_header_unwrap(&h, kek->data, keys->data);
	}
	if (!ok) {
		r = record_failure(v, "wrong password", true, err);
		if (r < 0)
			goto out;
		(void)cooldown_read(v, &failures, &wait, NULL);
		if (ret_wait_s)
			*ret_wait_s = wait;
		if (wait > 0)
			r = reterr_set(err, -EKEYREJECTED,
				       "wrong password (%lld failed attempts: next try in %lld s)",
				       (long long)failures, (long long)wait);
		else
			r = reterr_set(err, -EKEYREJECTED, "wrong password");
		goto out;
	}
	struct secret *old = v->keys;
	v->keys = keys;
	keys = NULL;
	vault_keys_derive(v);
	struct vault_state st;
	if ((r = vdb_begin(v, err)) < 0)
		goto fail;
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = vault_manifest_check(v, &st, err)) < 0 ||
	    (r = flush_failures(v, &st, err)) < 0)
		goto fail;
	struct audit_event ev = { .action = "vault.unlock", .success = true };
	if ((r = audit_append_locked(v, &st, &ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto fail;
	secret_free(old);
	v->unlocked = true;
	if (ret_wait_s)
		*ret_wait_s = 0;
	r = 0;
	goto out;
fail:
	vdb_rollback(v);
	/* Integrity failure with the right password: keep the handle locked, old keys (if any)
	 * stay wiped too, nothing can be read from a vault that does not verify. */
	secret_free(v->keys);
	secret_free(old);
	v->keys = NULL;
	v->unlocked = false;
out:
	secret_free(keys);
	secret_free(kek);
	return r;
}

int vault_note_unlock_failure(struct vault *v, const char *reason, struct reterr *err)
{
	return record_failure(v, reason, false, err);
}

int vault_change_password(struct vault *v, const struct secret *new_password, enum vault_kdf kdf,
			  struct reterr *err)
{
	struct vault_header h;
	struct vault_state st;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_password_check(new_password, err)) < 0)
		return r;
	if ((unsigned)kdf > VAULT_KDF_SENSITIVE)
		return reterr_set(err, -EINVAL, "unknown KDF profile");
	if ((r = vault_header_load(v, &h, err)) < 0)
		return r;
	struct secret *kek = secret_new(VAULT_KEY_BYTES);
	if (!kek)
		return reterr_set(err, -ENOMEM, "out of memory");
	/* KDF before taking the write lock: other writers are not held up for its duration. */
	h.kdf = vault_kdf_profile(kdf);
	r = vault_header_wrap(&h, new_password, vault_key(v, VK_DATA), kek->data, err);
	secret_free(kek);
	if (r < 0)
		return r;
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	struct audit_event ev = { .action = "vault.password", .success = true };
	if ((r = vault_state_load(v, &st, err)) < 0 || (r = vault_header_store(v, &h, false, err)) < 0 ||
	    (r = audit_append_locked(v, &st, &ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0) {
		vdb_rollback(v);
		return r;
	}
	return 0;
}
