/* SPDX-License-Identifier: Apache-2.0 */
/* vault bulk writes: many secrets in one IMMEDIATE transaction under one audit entry (import),
 * all or nothing; a dry run goes the same way and rolls back. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int key_cmp(const void *a, const void *b)
{
	const struct vault_bulk_item *x = *(const struct vault_bulk_item *const *)a;
	const struct vault_bulk_item *y = *(const struct vault_bulk_item *const *)b;
	return strcmp(x->in.key, y->in.key);
}

/* Every key is checked and distinct; a repeated one is marked FAILED. */
static int keys_check(struct vault_bulk_item *items, size_t n, struct reterr *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = vault_key_check(items[i].in.key, err);
		if (r < 0) {
			items[i].outcome = VAULT_OUTCOME_FAILED;
			return r;
		}
	}
	if (n < 2)
		return 0;
	struct vault_bulk_item **sorted = calloc(n, sizeof(*sorted));
	if (!sorted)
		return reterr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof(*sorted), key_cmp);
	int r = 0;
	for (size_t i = 1; i < n && r == 0; i++) {
		if (strcmp(sorted[i - 1]->in.key, sorted[i]->in.key) == 0) {
			struct vault_bulk_item *later =
				sorted[i - 1] > sorted[i] ? sorted[i - 1] : sorted[i];
			later->outcome = VAULT_OUTCOME_FAILED;
			r = reterr_set(err, -EINVAL, "%s is given twice", later->in.key);
		}
	}
	free(sorted);
	return r;
}

/* One item: created, updated, or skipped (conflict policy). */
static int item_store(struct vault *v, struct vault_state *st, struct vault_bulk_item *it,
		      enum vault_conflict conflict, struct reterr *err)
{
	struct vault_set_opts so = {
		.only_new = conflict != VAULT_CONFLICT_OVERWRITE,
		.created_at = it->created_at,
		.updated_at = it->updated_at,
		.replace = it->replace,
	};
	bool created = false;
	int r = vault_set_locked(v, st, &it->in, &so, &created, err);
	if (r == -EEXIST && conflict == VAULT_CONFLICT_SKIP) {
		it->outcome = VAULT_OUTCOME_SKIPPED;
		return 0;
	}
	if (r < 0) {
		it->outcome = VAULT_OUTCOME_FAILED;
		return r;
	}
	it->outcome = created ? VAULT_OUTCOME_CREATED : VAULT_OUTCOME_UPDATED;
	return 0;
}

/* Append ev listing keys[0..n) (comma-separated) in as few entries as AUDIT_FIELD_MAX allows
 * (a key is at most VAULT_KEY_MAX bytes, so every entry holds at least one); with several,
 * ev->detail (a JSON object or NULL) gains "part" and "parts". Inside the caller's
 * transaction. */
static int append_keys(struct vault *v, struct vault_state *st, const struct audit_event *ev,
		       const char *const *keys, size_t n, struct reterr *err)
{
	size_t parts = 1, len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t kl = strlen(keys[i]);
		if (len && len + 1 + kl > AUDIT_FIELD_MAX) {
			parts++;
			len = 0;
		}
		len += (len ? 1 : 0) + kl;
	}
	struct buf list = BUF_INIT, detail = BUF_INIT;
	const char *base = ev->detail && ev->detail[0] == '{' ? ev->detail : "{}";
	size_t blen = strlen(base);
	int64_t now = clock_now();
	int r = 0;
	for (size_t part = 1, i = 0; part <= parts && r == 0; part++) {
		buf_reset(&list);
		buf_reset(&detail);
		for (; i < n && r == 0; i++) {
			size_t kl = strlen(keys[i]);
			if (list.len && list.len + 1 + kl > AUDIT_FIELD_MAX)
				break;
			if ((list.len && buf_putc(&list, ',') < 0) ||
			    buf_append(&list, keys[i], kl) < 0)
				r = -ENOMEM;
		}
		if (r == 0 && parts > 1)
			r = buf_append(&detail, base, blen - 1) < 0 ||
					    buf_printf(&detail, "%s\"part\":%zu,\"parts\":%zu}",
						       blen > 2 ? "," : "", part, parts) < 0
				    ? -ENOMEM
				    : 0;
		struct audit_event e = *ev;
		e.keys = list.data ? list.data : "";
		e.detail = parts > 1 ? detail.data : ev->detail;
		if (r == 0)
			r = audit_append_locked(v, st, &e, now, v->source, err);
		else
			reterr_set(err, r, "out of memory");
	}
	buf_release(&list);
	buf_release(&detail);
	return r;
}

int audit_append_keys(struct vault *v, const struct audit_event *ev, const char *const *keys,
		      size_t n, struct reterr *err)
{
	struct vault_state st;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) == 0 &&
	    (r = append_keys(v, &st, ev, keys, n, err)) == 0)
		r = vdb_commit(v, err);
	vdb_rollback(v); /* no-op after a commit */
	return r;
}

/* The entries of a bulk write: the keys created or updated, with the counts as detail. */
static int audit_keys(struct vault *v, struct vault_state *st, const char *action,
		      const struct vault_bulk_item *items, size_t n, struct reterr *err)
{
	size_t count[VAULT_OUTCOME_FAILED + 1] = { 0 }, nk = 0;
	const char **keys = calloc(n + 1, sizeof(*keys));
	if (!keys)
		return reterr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		count[items[i].outcome]++;
		if (items[i].outcome == VAULT_OUTCOME_CREATED ||
		    items[i].outcome == VAULT_OUTCOME_UPDATED)
			keys[nk++] = items[i].in.key;
	}
	char detail[128];
	snprintf(detail, sizeof(detail), "{\"created\":%zu,\"updated\":%zu,\"skipped\":%zu}",
		 count[VAULT_OUTCOME_CREATED], count[VAULT_OUTCOME_UPDATED],
		 count[VAULT_OUTCOME_SKIPPED]);
	struct audit_event ev = { .action = action, .success = true, .detail = detail };
	int r = append_keys(v, st, &ev, keys, nk, err);
	free(keys);
	return r;
}

int vault_set_many(struct vault *v, struct vault_bulk_item *items, size_t n,
		   const struct vault_bulk_opts *o, struct reterr *err)
{
	struct vault_state st;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if (!o || !o->action || (n && !items))
		return reterr_set(err, -EINVAL, "nothing to store");
	for (size_t i = 0; i < n; i++)
		items[i].outcome = VAULT_OUTCOME_NONE;
	if (n > VAULT_SECRETS_MAX)
		return reterr_set(err, -E2BIG,
				  "too many secrets at once (%zu; the vault holds at "
				  "most %d)",
				  n, VAULT_SECRETS_MAX);
	if ((r = keys_check(items, n, err)) < 0)
		return r;
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((r = item_store(v, &st, &items[i], o->conflict, err)) < 0)
			goto out;
		if (o->progress)
			o->progress(o->progress_ctx, i + 1, n);
	}
	if (o->dry_run) {
		r = 0;
		goto out; /* rolled back below */
	}
	if ((r = audit_keys(v, &st, o->action, items, n, err)) < 0 || (r = vdb_commit(v, err)) < 0)
		goto out;
	r = 0;
out:
	vdb_rollback(v); /* no-op after a commit */
	return r;
}
