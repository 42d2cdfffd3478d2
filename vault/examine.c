/* SPDX-License-Identifier: Apache-2.0 */
/* vault examine: what a damaged vault still holds, row by row (which rows authenticate, which
 * keys the audit log says are missing or rolled back), and whether its manifest, head and audit
 * chain verify; also the short list of bad rows an unlock names when the vault fails its check. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ROWS_SQL \
	"SELECT n, id, version, meta_nonce, meta, value_nonce, value FROM secrets ORDER BY n"

/* A row counts as rolled back when its update time is older than its last logged set by more
 * than this: vaults written before a set's entry carried the row's own time logged the set up
 * to a second after it. */
#define STALE_SLACK_S 1

/* The rows as the audit log knows them: the last successful secret.set of each key still
 * present (secret.delete and a recovery's removals take keys out). */
struct logged {
	char **keys;
	int64_t *ts;
	size_t n;
};

static void logged_release(struct logged *l)
{
	strv_free(l->keys);
	free(l->ts);
	memset(l, 0, sizeof(*l));
}

static ssize_t logged_find(const struct logged *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->keys[i][0] && strcmp(l->keys[i], key) == 0)
			return (ssize_t)i;
	return -1;
}

/* key was set at ts (the latest set wins). */
static int logged_set(struct logged *l, const char *key, int64_t ts)
{
	ssize_t i = logged_find(l, key);
	if (i >= 0) {
		l->ts[i] = ts;
		return 0;
	}
	int64_t *nt = realloc(l->ts, (l->n + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	l->ts = nt;
	if (strv_push(&l->keys, key) < 0)
		return -ENOMEM;
	l->ts[l->n++] = ts;
	return 0;
}

static int logged_apply(struct logged *l, const struct audit_record *a)
{
	bool set = !strcmp(a->action, "secret.set");
	bool del = !strcmp(a->action, "secret.delete") || !strcmp(a->action, "vault.recover");
	AUTO_STRV char **keys = NULL;
	if (a->unreadable || !a->success || (!set && !del) || !a->keys[0])
		return 0;
	if (strv_split(a->keys, ',', &keys) < 0)
		return -ENOMEM;
	for (size_t k = 0; keys[k]; k++) {
		ssize_t i = logged_find(l, keys[k]);
		if (del && i >= 0)
			l->keys[i][0] = '\0'; /* gone */
		else if (set && logged_set(l, keys[k], a->ts) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int logged_read(struct vault *v, struct logged *l, struct reterr *err)
{
	struct audit_record *a = NULL;
	size_t n = 0;
	int r = vault_audit_read(v, NULL, &a, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (a[i].seq && (r = logged_apply(l, &a[i])) < 0)
			reterr_set(err, r, "out of memory");
	audit_records_free(a, n);
	return r;
}

/* ---- the rows -------------------------------------------------------------------------------- */

static int bad_push(struct vault_examination *ex, struct vault_row_check *c)
{
	struct vault_bad_row *nb = realloc(ex->bad, (ex->nbad + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	ex->bad = nb;
	struct vault_bad_row *b = &nb[ex->nbad++];
	b->rowid = c->n;
	b->key = c->key;
	c->key = NULL;
	b->problem = c->problem;
	if (c->id_ok)
		sodium_bin2hex(b->id, sizeof(b->id), c->id, (sizeof(b->id) - 1) / 2);
	else
		snprintf(b->id, sizeof(b->id), "?");
	return 0;
}

/* One pass over the rows: the bad ones into ex, the intact ones' tags into acc, their keys and
 * update times into *intact (for the log's cross-check; may be NULL). */
static int scan_rows(struct vault *v, struct vault_examination *ex,
		     unsigned char acc[VAULT_MAC_BYTES], struct logged *intact, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, ROWS_SQL, &q, err), rc = SQLITE_DONE;
	while (r == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vault_row_check c;
		unsigned char t[VAULT_MAC_BYTES];
		if ((r = vault_row_examine(v, q, &c)) < 0)
			break;
		ex->rows++;
		if (c.problem) {
			r = bad_push(ex, &c);
		} else {
			ex->intact++;
			vault_manifest_row_tag(v, c.id, (uint64_t)c.version, t);
			for (size_t i = 0; i < VAULT_MAC_BYTES; i++)
				acc[i] ^= t[i];
			r = intact ? logged_set(intact, c.key, c.updated_at) : 0;
		}
		free(c.key);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "reading the secrets");
	else if (r < 0)
		reterr_set(err, r, "out of memory");
	sqlite3_finalize(q);
	return r;
}

/* ---- the manifest, the head, the chain ------------------------------------------------------- */

static void check_manifest(struct vault *v, struct vault_examination *ex,
			   const unsigned char acc[VAULT_MAC_BYTES])
{
	struct vault_state st = { 0 };
	unsigned char mac[VAULT_MAC_BYTES];
	sqlite3_stmt *q = NULL;
	int64_t gen, count;
	if (vdb_prepare(v, "SELECT generation, count, acc, mac FROM manifest WHERE one = 1", &q,
			NULL) < 0)
		return;
	if (sqlite3_step(q) == SQLITE_ROW && vdb_col_i64(q, 0, &gen) == 0 && gen >= 0 &&
	    vdb_col_i64(q, 1, &count) == 0 && count >= 0 &&
	    vdb_col_blob_exact(q, 2, st.man_acc, VAULT_MAC_BYTES) == 0 &&
	    vdb_col_blob_exact(q, 3, st.man_mac, VAULT_MAC_BYTES) == 0) {
		st.gen = (uint64_t)gen;
		st.count = (uint64_t)count;
		vault_manifest_mac(v, &st, mac);
		ex->manifest_ok = sodium_memcmp(mac, st.man_mac, VAULT_MAC_BYTES) == 0;
		ex->rows_match = ex->manifest_ok && st.count == ex->intact &&
				 sodium_memcmp(acc, st.man_acc, VAULT_MAC_BYTES) == 0;
	}
	sqlite3_finalize(q);
}

static void check_head(struct vault *v, struct vault_examination *ex)
{
	struct vault_state st;
	struct reterr e = RETERR_INIT;
	int r = vdb_exec(v, "BEGIN", &e);
	if (r == 0)
		r = vault_state_load(v, &st, &e);
	vdb_rollback(v);
	ex->head_ok = r == 0;
	snprintf(ex->head_msg, sizeof(ex->head_msg), "%s", r == 0 ? "" : reterr_str(&e, r));
}

static void check_chain(struct vault *v, struct vault_examination *ex)
{
	struct reterr e = RETERR_INIT;
	/* One read transaction: the chain and its head are seen at one instant. */
	int r = vdb_exec(v, "BEGIN", &e);
	if (r == 0) {
		r = vault_audit_verify_chain(v, &ex->audit_entries, &ex->audit_bad_seq, &e);
		vdb_rollback(v);
	}
	ex->audit_ok = r == 0;
	snprintf(ex->audit_msg, sizeof(ex->audit_msg), "%s", r == 0 ? "" : reterr_str(&e, r));
}

/* Whether key is the name of a bad row: its name, or (when that no longer decrypts) its row id
 * is the key's, which then names the row. */
static int bad_named(const struct vault *v, struct vault_examination *ex, const char *key)
{
	unsigned char id[VAULT_HASH_BYTES];
	char hex[sizeof(ex->bad[0].id)];
	vault_row_id(v, key, id);
	sodium_bin2hex(hex, sizeof(hex), id, (sizeof(hex) - 1) / 2);
	for (size_t b = 0; b < ex->nbad; b++) {
		if (ex->bad[b].key && !strcmp(ex->bad[b].key, key))
			return 1;
		if (!ex->bad[b].key && !strcmp(ex->bad[b].id, hex))
			return (ex->bad[b].key = strdup(key)) ? 1 : -ENOMEM;
	}
	return 0;
}

/* Keys the log knows that no intact or bad row holds; intact rows older than their last set. */
static int cross_check(const struct vault *v, struct vault_examination *ex,
		       const struct logged *log, const struct logged *intact, char ***missing,
		       char ***stale)
{
	for (size_t i = 0; i < log->n; i++) {
		const char *k = log->keys[i];
		ssize_t j = k[0] ? logged_find(intact, k) : -1;
		int named = k[0] && j < 0 ? bad_named(v, ex, k) : 1;
		if (named < 0 || (!named && strv_push(missing, k) < 0))
			return -ENOMEM;
		if (j >= 0 && intact->ts[j] < log->ts[i] - STALE_SLACK_S && strv_push(stale, k) < 0)
			return -ENOMEM;
	}
	return 0;
}

int vault_examine(struct vault *v, struct vault_examination *ret, struct reterr *err)
{
	struct vault_examination ex = { 0 };
	struct logged log = { 0 }, intact = { 0 };
	unsigned char acc[VAULT_MAC_BYTES] = { 0 };
	if (!v || !v->db || !v->keys)
		return reterr_set(err, -EINVAL, "the vault is not unlocked");
	int r = scan_rows(v, &ex, acc, &intact, err);
	if (r == 0) {
		check_manifest(v, &ex, acc);
		check_head(v, &ex);
		check_chain(v, &ex);
		/* Entries that do not authenticate are skipped: only what the log proves counts. */
		if ((r = logged_read(v, &log, err)) == 0 &&
		    (r = cross_check(v, &ex, &log, &intact, &ex.missing, &ex.stale)) < 0)
			reterr_set(err, r, "out of memory");
	}
	sodium_memzero(acc, sizeof(acc));
	logged_release(&log);
	logged_release(&intact);
	if (r < 0) {
		vault_examination_release(&ex);
		return r;
	}
	*ret = ex;
	return 0;
}

bool vault_examination_clean(const struct vault_examination *ex)
{
	return !ex->nbad && !ex->missing && !ex->stale && ex->rows_match && ex->head_ok;
}

void vault_examination_release(struct vault_examination *ex)
{
	for (size_t i = 0; ex->bad && i < ex->nbad; i++)
		free(ex->bad[i].key);
	free(ex->bad);
	strv_free(ex->missing);
	strv_free(ex->stale);
	memset(ex, 0, sizeof(*ex));
}

int vault_damage_summary(struct vault *v, char *out, size_t size)
{
	struct vault_examination ex = { 0 };
	unsigned char acc[VAULT_MAC_BYTES] = { 0 };
	struct buf b = BUF_INIT;
	struct logged log = { 0 };
	int r = scan_rows(v, &ex, acc, NULL, NULL);
	/* Rows whose name no longer decrypts are named through the log where it can. */
	if (r == 0 && ex.nbad && logged_read(v, &log, NULL) == 0)
		for (size_t i = 0; r == 0 && i < log.n; i++)
			if (log.keys[i][0])
				r = bad_named(v, &ex, log.keys[i]) < 0 ? -ENOMEM : 0;
	logged_release(&log);
	for (size_t i = 0; r == 0 && i < ex.nbad && i < 3; i++) {
		const struct vault_bad_row *bad = &ex.bad[i];
		if (bad->key)
			r = buf_printf(&b, "%ssecret '%s': %s", i ? "; " : "", bad->key,
				       bad->problem);
		else
			r = buf_printf(&b, "%srow %s: %s", i ? "; " : "", bad->id, bad->problem);
	}
	if (r == 0 && ex.nbad > 3)
		r = buf_printf(&b, "; and %zu more", ex.nbad - 3);
	snprintf(out, size, "%s", r == 0 && b.data ? b.data : "");
	sodium_memzero(acc, sizeof(acc));
	buf_release(&b);
	vault_examination_release(&ex);
	return r;
}
