/* SPDX-License-Identifier: Apache-2.0 */
/* vault restore merge: a verified backup read secret by secret (values, metadata, folder) and
 * merged into an unlocked vault through the bulk writer, in one transaction under one audit
 * entry; what the backup's vault holds is only ever read. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One backup secret held for the bulk write: the entry and the views vault_set_in borrows. */
struct held {
	struct vault_entry *e;
	char *folder;
	struct secret value;   /* view of e->value */
	struct secret *fviews; /* views of e->field_values */
	const struct secret **fvals;
	const char **fnames, **sens;
};

static int link_cmp(const void *a, const void *b)
{
	return memcmp(((const struct vault_folder_link *)a)->id,
		      ((const struct vault_folder_link *)b)->id, VAULT_HASH_BYTES);
}

/* The backup's folders, with its links sorted by row id for folder_of. */
static int folders_load(struct vault *bv, struct vault_folder_tree **ret, struct reterr *err)
{
	int r = vault_folder_tree_load(bv, ret, err);
	if (r == 0 && (*ret)->nlinks > 1)
		qsort((*ret)->links, (*ret)->nlinks, sizeof((*ret)->links[0]), link_cmp);
	return r;
}

/* The path of key's folder in the backup ("" in none); NULL when its link names no folder. */
static const char *folder_of(struct vault *bv, const struct vault_folder_tree *t, const char *key)
{
	struct vault_folder_link k;
	vault_row_id(bv, key, k.id);
	const struct vault_folder_link *l =
		t->nlinks ? bsearch(&k, t->links, t->nlinks, sizeof(k), link_cmp) : NULL;
	if (!l)
		return "";
	ssize_t i = vault_folder_tree_by_id(t, l->fid);
	return i < 0 ? NULL : t->f[i].pub.path;
}

static int entry_read(struct vault *bv, const struct vault_folder_tree *t, const char *key,
		      struct vault_entry **ret, char **ret_folder, struct reterr *err)
{
	struct vault_entry *e = NULL;
	int r = vault_get(bv, key, VAULT_GET_NO_AUDIT, &e, err);
	if (r < 0)
		return r;
	const char *f = folder_of(bv, t, key);
	char *folder = f ? strdup(f) : NULL;
	if (!folder) {
		vault_entry_free(e);
		return f ? reterr_set(err, -ENOMEM, "out of memory")
			 : reterr_set(err, -EBADMSG,
				      "the backup files %s in a folder it does not hold", key);
	}
	*ret = e;
	if (ret_folder)
		*ret_folder = folder;
	else
		free(folder);
	return 0;
}

int vault_restore_keys(struct vault_restore *rs, char ***ret, struct reterr *err)
{
	struct vault_meta *m = NULL;
	size_t n = 0;
	char **keys = NULL;
	int r = vault_list(vault_restore_vault(rs), NULL, VAULT_GET_NO_AUDIT, &m, &n, err);
	if (r < 0)
		return r;
	if (!(keys = calloc(n + 1, sizeof(*keys))))
		r = reterr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		keys[i] = m[i].key;
		m[i].key = NULL;
	}
	vault_meta_array_free(m, n);
	if (r == 0)
		*ret = keys;
	return r;
}

int vault_restore_get(struct vault_restore *rs, const char *key, struct vault_entry **ret,
		      char **ret_folder, struct reterr *err)
{
	struct vault *bv = vault_restore_vault(rs);
	struct vault_folder_tree *t = NULL;
	int r = folders_load(bv, &t, err);
	if (r == 0)
		r = entry_read(bv, t, key, ret, ret_folder, err);
	vault_folder_tree_free(t);
	return r;
}

static void held_release(struct held *h)
{
	vault_entry_free(h->e);
	free(h->folder);
	free(h->fviews);
	free(h->fvals);
	free(h->fnames);
	free(h->sens);
}

/* The bulk item carrying e whole: what it lacks is given as empty, so that an overwrite
 * (a replace) leaves nothing of the secret it replaces. */
static int item_build(struct held *h, struct vault_bulk_item *it, enum vault_conflict conflict)
{
	const struct vault_entry *e = h->e;
	const struct vault_meta *m = &e->meta;
	size_t nf = m->nfields, ns = 0;
	if (!(h->fviews = calloc(nf + 1, sizeof(*h->fviews))) ||
	    !(h->fvals = calloc(nf + 1, sizeof(*h->fvals))) ||
	    !(h->fnames = calloc(nf + 1, sizeof(*h->fnames))) ||
	    !(h->sens = calloc(nf + 1, sizeof(*h->sens))))
		return -ENOMEM;
	for (size_t i = 0; i < nf; i++) {
		h->fviews[i] = (struct secret){ .data = (unsigned char *)e->field_values[i],
						.len = e->field_lens[i],
						.cap = e->field_lens[i] };
		h->fvals[i] = &h->fviews[i];
		h->fnames[i] = m->fields[i].name;
		if (m->fields[i].sensitive)
			h->sens[ns++] = m->fields[i].name;
	}
	h->value = (struct secret){ .data = (unsigned char *)e->value,
				    .len = e->value_len,
				    .cap = e->value_len };
	struct vault_set_in *in = &it->in;
	in->key = m->key;
	in->value = m->has_value ? &h->value : NULL;
	in->notes = m->notes ? m->notes : "";
	in->url = m->url ? m->url : "";
	in->tags = m->tags;
	in->set_expires = true;
	in->expires_at = m->expires_at;
	in->field_names = h->fnames;
	in->field_values = h->fvals;
	in->nfields = nf;
	in->sensitive = h->sens;
	in->nsensitive = ns;
	in->bindings = m->bindings;
	in->nbindings = m->nbindings;
	in->folder = h->folder;
	it->created_at = m->created_at;
	it->updated_at = m->updated_at;
	it->replace = conflict == VAULT_CONFLICT_OVERWRITE;
	return 0;
}

/* Every secret of the backup, read and made into bulk items. */
static int hold_all(struct vault *bv, const struct vault_meta *m, size_t n, struct held *held,
		    struct vault_bulk_item *items, enum vault_conflict conflict, struct reterr *err)
{
	struct vault_folder_tree *t = NULL;
	int r = folders_load(bv, &t, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = entry_read(bv, t, m[i].key, &held[i].e, &held[i].folder, err);
		if (r == 0 && item_build(&held[i], &items[i], conflict) < 0)
			r = reterr_set(err, -ENOMEM, "out of memory");
	}
	vault_folder_tree_free(t);
	return r;
}

/* Saved previous versions in the backup (they stay behind). */
static int versions_count(struct vault *bv, uint64_t *ret, struct reterr *err)
{
	bool exists = false;
	sqlite3_stmt *q = NULL;
	int64_t n = 0;
	int r = vdb_table_exists(bv, "history", &exists, err);
	if (r < 0 || !exists) {
		*ret = 0;
		return r;
	}
	if ((r = vdb_prepare(bv, "SELECT count(*) FROM history", &q, err)) < 0)
		return r;
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW || vdb_col_i64(q, 0, &n) < 0 || n < 0)
		r = vdb_fail(bv, rc == SQLITE_ROW ? SQLITE_CORRUPT : rc, err, "counting versions");
	else
		*ret = (uint64_t)n;
	sqlite3_finalize(q);
	return r;
}

static void merge_progress(void *ctx, size_t done, size_t total)
{
	vault_progress_tell(ctx, VAULT_PROGRESS_MERGE, done, total);
}

/* Say which secret the bulk write failed on, in the words of a restore. */
static int merge_failed(const struct held *held, const struct vault_bulk_item *items, size_t n,
			int r, struct reterr *err)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].outcome != VAULT_OUTCOME_FAILED)
			continue;
		if (r == -EEXIST)
			return reterr_set(err, r, "%s exists in this vault", items[i].in.key);
		if (r == -ENOENT && held[i].folder[0])
			return reterr_set(err, r,
					  "%s is in folder %s in the backup, which this vault "
					  "does not have (create it with `secretctl folder "
					  "create`)",
					  items[i].in.key, held[i].folder);
		char msg[RETERR_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", reterr_str(err, r));
		return reterr_set(err, r, "%s: %s", items[i].in.key, msg);
	}
	return r;
}

/* The result's keys, made before the write so that nothing can fail after its commit. */
static int result_alloc(const struct vault_meta *m, size_t n, struct vault_merge_result *res)
{
	*res = (struct vault_merge_result){ .n = n };
	if (!(res->items = calloc(n + 1, sizeof(*res->items))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(res->items[i].key = strdup(m[i].key)))
			return -ENOMEM;
	return 0;
}

static void result_count(const struct vault_bulk_item *items, struct vault_merge_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		res->items[i].outcome = items[i].outcome;
		res->created += items[i].outcome == VAULT_OUTCOME_CREATED;
		res->updated += items[i].outcome == VAULT_OUTCOME_UPDATED;
		res->skipped += items[i].outcome == VAULT_OUTCOME_SKIPPED;
	}
}

int vault_restore_merge(struct vault_restore *rs, struct vault *v, const struct vault_merge_opts *o,
			struct vault_merge_result *ret, struct reterr *err)
{
	struct vault *bv = vault_restore_vault(rs);
	struct vault_meta *m = NULL;
	size_t n = 0;
	uint64_t versions = 0;
	int r = vault_require_unlocked(v, err);
	if (r < 0 || (r = vault_list(bv, NULL, VAULT_GET_NO_AUDIT, &m, &n, err)) < 0)
		return r;
	struct vault_merge_result res;
	struct held *held = calloc(n + 1, sizeof(*held));
	struct vault_bulk_item *items = calloc(n + 1, sizeof(*items));
	if (result_alloc(m, n, &res) < 0 || !held || !items) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = versions_count(bv, &versions, err)) < 0 ||
	    (r = hold_all(bv, m, n, held, items, o->conflict, err)) < 0)
		goto out;
	struct vault_bulk_opts bo = { .action = "vault.restore",
				      .conflict = o->conflict,
				      .dry_run = o->dry_run,
				      .progress = o->progress ? merge_progress : NULL,
				      .progress_ctx = (void *)o->progress };
	if ((r = vault_set_many(v, items, n, &bo, err)) < 0) {
		r = merge_failed(held, items, n, r, err);
		goto out;
	}
	result_count(items, &res);
	res.versions = versions;
	*ret = res;
	res.items = NULL;
out:
	vault_merge_result_release(&res);
	for (size_t i = 0; held && i < n; i++)
		held_release(&held[i]);
	free(held);
	free(items);
	vault_meta_array_free(m, n);
	return r;
}

void vault_merge_result_release(struct vault_merge_result *r)
{
	for (size_t i = 0; r->items && i < r->n; i++)
		free(r->items[i].key);
	free(r->items);
	memset(r, 0, sizeof(*r));
}
