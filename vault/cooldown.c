/* SPDX-License-Identifier: Apache-2.0 */
/* vault cooldown: failed unlocks are counted in plaintext (unlock_state) and throttle the next
 * attempts on a schedule; each failure is queued (unlock_pending) and moved into the audit log
 * by the next successful unlock, the first moment the keys are there to write it. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The wait after repeated wrong passwords (docs/vault-format.md, "Cooldown"): from `failures`
 * failed attempts on, the next attempt waits `seconds` after the last failure. Longest first. */
static const struct {
	int64_t failures;
	int64_t seconds;
} cooldown_schedule[] = {
	{ 20, 30 * 60 },
	{ 10, 5 * 60 },
	{ 5, 30 },
};

/* The counter saturates here, so an edited row cannot make it overflow. */
#define FAILURES_MAX 1000000
/* An integer macro as SQL text: the statement and the C code share one constant. */
#define SQL_INT(x) SQL_INT_TEXT(x)
#define SQL_INT_TEXT(x) #x

static int64_t cooldown_for(int64_t failures)
{
	for (size_t i = 0; i < ARRAY_SIZE(cooldown_schedule); i++)
		if (failures >= cooldown_schedule[i].failures)
			return cooldown_schedule[i].seconds;
	return 0;
}

/* Failures and last failure time; an absent or malformed row reads as no failures (the counter
 * is plaintext: it throttles guessing through this tool, not offline attacks). */
int vault_cooldown_read(struct vault *v, int64_t *ret_failures, int64_t *ret_wait,
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
		if (vdb_col_i64(q, 0, &failures) < 0 || vdb_col_i64(q, 1, &last) < 0 ||
		    failures < 0)
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
	int r = vault_cooldown_read(v, &f, &w, NULL);
	if (r < 0)
		return r;
	if (ret_failures)
		*ret_failures = f > UINT32_MAX ? UINT32_MAX : (unsigned)f;
	if (ret_wait_s)
		*ret_wait_s = w;
	return 0;
}

static int failure_record(struct vault *v, const char *reason, bool count, struct reterr *err)
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
		     "typeof(failures) = 'integer'), 0), 0), " SQL_INT(FAILURES_MAX) ") + 1, 0)",
		     err);
	if (r < 0)
		goto out;
	if ((r = vdb_prepare(v, "UPDATE unlock_state SET last_failure = ? WHERE one = 1", &q,
			     err)) < 0)
		goto out;
	if ((rc = sqlite3_bind_int64(q, 1, now)) != SQLITE_OK ||
	    (rc = sqlite3_step(q)) != SQLITE_DONE) {
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

/* A read-only handle still records a failure when the file can be written, through a
 * short-lived read-write connection (checked as vault_open checks), so that the read-only
 * commands are no way around the cooldown. */
static int record_rw(struct vault *v, const char *reason, bool count, struct reterr *err)
{
	struct vault w = { .path = v->path, .dir = v->dir };
	memcpy(w.source, v->source, sizeof(w.source));
	int fd = open(v->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return reterr_set(err, -errno, "cannot record the failed attempt in %s: %s",
				  v->path, strerror(errno));
	int r = vault_file_check(fd, v->path, err);
	if (r == 0)
		r = vdb_open(&w, fd, err);
	if (r == 0)
		r = failure_record(&w, reason, count, err);
	if (w.db)
		sqlite3_close_v2(w.db);
	close(fd);
	return r;
}

int vault_failure_record(struct vault *v, const char *reason, bool count, struct reterr *err)
{
	return v->readonly ? record_rw(v, reason, count, err)
			   : failure_record(v, reason, count, err);
}

int vault_failures_pending(struct vault *v, uint64_t *ret_count, int64_t *ret_last,
			   struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, "SELECT count(*), max(ts) FROM unlock_pending", &q, err);
	if (r < 0)
		return r;
	int64_t n = 0, last = 0;
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW)
		r = vdb_fail(v, rc, err, "reading queued unlock failures");
	else if (vdb_col_i64(q, 0, &n) < 0 || n < 0 || (n > 0 && vdb_col_i64(q, 1, &last) < 0))
		n = 0, last = 0; /* plaintext and unauthenticated: only ever informative */
	sqlite3_finalize(q);
	if (r < 0)
		return r;
	*ret_count = (uint64_t)n;
	*ret_last = last;
	return 0;
}

int vault_note_unlock_failure(struct vault *v, const char *reason, struct reterr *err)
{
	return vault_failure_record(v, reason, false, err);
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
int vault_failures_flush(struct vault *v, struct vault_state *st, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, "SELECT ts, source, reason FROM unlock_pending ORDER BY id", &q,
			    err);
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
