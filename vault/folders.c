/* SPDX-License-Identifier: Apache-2.0 */
/* vault folders: create, list, info, rename, move, delete and filing a secret, each in one
 * IMMEDIATE transaction with its audit entry (failures the caller caused audited too). */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* One folder verb: its transaction, state, tree, and what its audit entry says. */
struct fop {
	struct vault *v;
	const char *action;
	struct vault_state st;
	struct vault_folder_tree *t;
	char subject[VAULT_FOLDER_PATH_MAX + VAULT_KEY_MAX + 2];
	bool began;
};

static int fop_begin(struct fop *op, struct vault *v, const char *action, const char *subject,
		     struct reterr *err)
{
	memset(op, 0, sizeof(*op));
	op->v = v;
	op->action = action;
	snprintf(op->subject, sizeof(op->subject), "%s", subject ? subject : "");
	int r = vault_require_unlocked(v, err);
	if (r < 0 || (r = vdb_begin(v, err)) < 0)
		return r;
	op->began = true;
	if ((r = vault_state_load(v, &op->st, err)) < 0)
		return r;
	return vault_folder_tree_load(v, &op->t, err);
}

/* Commit with a success entry, or (r < 0) roll back, and audit the failure when the caller
 * caused it (a name taken, nothing there, invalid input). Returns r or the commit's error. */
static int fop_end(struct fop *op, int r, const char *detail, struct reterr *err)
{
	struct reterr e2;
	if (op->began && r == 0) {
		r = vault_audit_in_tx(op->v, &op->st, op->action, op->subject, true, NULL, detail,
				      err);
		if (r == 0)
			r = vdb_commit(op->v, err);
	}
	if (op->began)
		vdb_rollback(op->v); /* no-op after a commit */
	bool audit = r == -ENOENT || r == -EEXIST || r == -EINVAL || r == -ENOTEMPTY ||
		     r == -ELOOP || r == -E2BIG;
	if (op->began && audit && vdb_begin(op->v, &e2) == 0) {
		if (vault_state_load(op->v, &op->st, &e2) == 0 &&
		    vault_audit_in_tx(op->v, &op->st, op->action, op->subject, false,
				      reterr_str(err, r), NULL, &e2) == 0)
			(void)vdb_commit(op->v, &e2);
		vdb_rollback(op->v);
	}
	vault_folder_tree_free(op->t);
	op->t = NULL;
	return r;
}

/* The folder at path, or -ENOENT naming it. */
static int fop_find(struct fop *op, const char *path, ssize_t *ret, struct reterr *err)
{
	int r = vault_folder_path_check(path, err);
	if (r < 0)
		return r;
	ssize_t k = vault_folder_tree_find(op->t, path);
	if (k < 0)
		return reterr_set(err, -ENOENT, "no folder named %s (see 'secretctl folder list')",
				  path);
	*ret = k;
	return 0;
}

/* Whether a folder under parent (-1: the top) other than skip is named name. */
static bool name_taken(const struct vault_folder_tree *t, ssize_t parent, const char *name,
		       ssize_t skip)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct vault_folder_rec *f = &t->f[i];
		bool same_parent = parent < 0
					   ? !f->has_parent
					   : f->has_parent && !memcmp(f->parent, t->f[parent].fid,
								      VAULT_FOLDER_ID_BYTES);
		if ((ssize_t)i != skip && same_parent && !strcmp(f->pub.name, name))
			return true;
	}
	return false;
}

int vault_folder_create(struct vault *v, const char *name, const char *parent, const char *icon,
			const char *color, struct vault_folder *ret, struct reterr *err)
{
	struct fop op;
	char path[VAULT_FOLDER_PATH_MAX + 2];
	bool top = !parent || !*parent;
	snprintf(path, sizeof(path), "%s%s%s", top ? "" : parent, top ? "" : "/", name ? name : "");
	int r = fop_begin(&op, v, "folder.create", path, err);
	ssize_t p = -1;
	if (r == 0)
		r = vault_folder_name_check(name, err);
	if (r == 0 && icon && *icon)
		r = vault_folder_icon_check(icon, err);
	if (r == 0 && color && *color)
		r = vault_folder_color_check(color, err);
	if (r == 0 && !top)
		r = fop_find(&op, parent, &p, err);
	if (r == 0 && name_taken(op.t, p, name, -1))
		r = reterr_set(err, -EEXIST, "a folder named %s already exists", path);
	if (r == 0 && op.t->n >= VAULT_FOLDERS_MAX)
		r = reterr_set(err, -E2BIG, "too many folders (limit %d)", VAULT_FOLDERS_MAX);
	if (r == 0)
		r = vault_folder_path_check(path, err); /* depth and length */
	if (r < 0)
		return fop_end(&op, r, NULL, err);
	struct vault_folder_rec *f = &op.t->f[op.t->n++];
	memset(f, 0, sizeof(*f));
	randombytes_buf(f->fid, sizeof(f->fid));
	if (p >= 0) {
		f->has_parent = 1;
		memcpy(f->parent, op.t->f[p].fid, VAULT_FOLDER_ID_BYTES);
	}
	snprintf(f->pub.name, sizeof(f->pub.name), "%s", name);
	snprintf(f->pub.icon, sizeof(f->pub.icon), "%s", icon ? icon : "");
	snprintf(f->pub.color, sizeof(f->pub.color), "%s", color ? color : "");
	f->pub.created_at = f->pub.updated_at = clock_now();
	sodium_bin2hex(f->pub.id, sizeof(f->pub.id), f->fid, VAULT_FOLDER_ID_BYTES);
	if (p >= 0)
		sodium_bin2hex(f->pub.parent_id, sizeof(f->pub.parent_id), f->parent,
			       VAULT_FOLDER_ID_BYTES);
	struct vault_folder made;
	r = vault_folder_tree_index(op.t, err);
	if (r == 0)
		r = vault_folder_row_store(v, f, err);
	made = f->pub;
	if ((r = fop_end(&op, r, NULL, err)) == 0 && ret)
		*ret = made;
	return r;
}

static int folder_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vault_folder *)a)->path,
		      ((const struct vault_folder *)b)->path);
}

/* Whether folder i is below folder anc (strictly). */
static bool below(const struct vault_folder_tree *t, size_t i, size_t anc)
{
	const char *p = t->f[i].pub.path, *a = t->f[anc].pub.path;
	size_t n = strlen(a);
	return strncmp(p, a, n) == 0 && p[n] == '/';
}

int vault_folder_list(struct vault *v, const char *parent, struct vault_folder **ret, size_t *ret_n,
		      struct reterr *err)
{
	struct fop op;
	struct vault_folder *a = NULL;
	size_t n = 0;
	ssize_t p = -1;
	char detail[48];
	int r = fop_begin(&op, v, "folder.list", parent, err);
	if (r == 0 && parent && *parent)
		r = fop_find(&op, parent, &p, err);
	if (r == 0 && !(a = calloc(op.t->n + 1, sizeof(*a))))
		r = reterr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < op.t->n; i++)
		if (p < 0 || below(op.t, i, (size_t)p))
			a[n++] = op.t->f[i].pub;
	snprintf(detail, sizeof(detail), "{\"count\":%zu}", n);
	if ((r = fop_end(&op, r, detail, err)) < 0) {
		free(a);
		return r;
	}
	qsort(a, n, sizeof(*a), folder_cmp);
	*ret = a;
	*ret_n = n;
	return 0;
}

/* The keys of the secrets directly in folder k: every secret's name is hashed and looked up in
 * the links (names are not stored anywhere in clear). */
static int members(struct vault *v, const struct vault_folder_tree *t, size_t k, char ***ret,
		   struct reterr *err)
{
	struct vault_meta *metas = NULL;
	size_t n = 0;
	char **keys = calloc(1, sizeof(char *));
	int r = keys ? 0 : reterr_set(err, -ENOMEM, "out of memory");
	if (r == 0 && t->f[k].pub.secrets)
		r = vault_list(v, NULL, VAULT_GET_NO_AUDIT, &metas, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		unsigned char id[VAULT_HASH_BYTES];
		vault_name_hash(v, metas[i].key, id);
		for (size_t j = 0; j < t->nlinks; j++) {
			if (memcmp(t->links[j].id, id, VAULT_HASH_BYTES) ||
			    memcmp(t->links[j].fid, t->f[k].fid, VAULT_FOLDER_ID_BYTES))
				continue;
			if (strv_push(&keys, metas[i].key) < 0)
				r = reterr_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	vault_meta_array_free(metas, n);
	if (r < 0) {
		strv_free(keys);
		return r;
	}
	*ret = keys; /* vault_list sorted the keys */
	return 0;
}

int vault_folder_info(struct vault *v, const char *path, struct vault_folder *ret, char ***ret_keys,
		      struct reterr *err)
{
	struct fop op;
	struct vault_folder f;
	char **keys = NULL;
	ssize_t k = -1;
	int r = fop_begin(&op, v, "folder.info", path, err);
	if (r == 0)
		r = fop_find(&op, path, &k, err);
	if (r == 0) {
		f = op.t->f[k].pub;
		r = members(v, op.t, (size_t)k, &keys, err);
	}
	if ((r = fop_end(&op, r, NULL, err)) < 0) {
		strv_free(keys);
		return r;
	}
	*ret = f;
	*ret_keys = keys;
	return 0;
}

int vault_folder_keys(struct vault *v, const char *folder, char ***ret_keys, struct reterr *err)
{
	struct vault_folder_tree *t = NULL;
	int r = vault_require_unlocked(v, err);
	if (r < 0 || (r = vault_folder_path_check(folder, err)) < 0 ||
	    (r = vault_folder_tree_load(v, &t, err)) < 0)
		return r;
	ssize_t k = vault_folder_tree_find(t, folder);
	if (k < 0)
		r = reterr_set(err, -ENOENT, "no folder named %s (see 'secretctl folder list')",
			       folder);
	else
		r = members(v, t, (size_t)k, ret_keys, err);
	vault_folder_tree_free(t);
	return r;
}

/* Store folder k with a new name and/or parent (np: -1 the top), after checking the tree it
 * makes: no name clash, no cycle, not too deep. */
static int relocate(struct fop *op, size_t k, const char *name, ssize_t np, struct reterr *err)
{
	struct vault_folder_rec *f = &op->t->f[k];
	if (np >= 0 && ((size_t)np == k || below(op->t, (size_t)np, k)))
		return reterr_set(err, -ELOOP, "cannot move %s into itself", f->pub.path);
	if (name_taken(op->t, np, name, (ssize_t)k))
		return reterr_set(err, -EEXIST, "a folder named %s already exists there", name);
	if (name != f->pub.name) /* a move passes the folder's own name */
		snprintf(f->pub.name, sizeof(f->pub.name), "%s", name);
	f->has_parent = np >= 0;
	memset(f->parent, 0, sizeof(f->parent));
	f->pub.parent_id[0] = '\0';
	if (np >= 0) {
		memcpy(f->parent, op->t->f[np].fid, VAULT_FOLDER_ID_BYTES);
		snprintf(f->pub.parent_id, sizeof(f->pub.parent_id), "%s", op->t->f[np].pub.id);
	}
	f->pub.updated_at = clock_now();
	int r = vault_folder_tree_index(op->t, err);
	if (r == -EBADMSG)
		r = reterr_set(err, -E2BIG, "folders can be at most %d levels deep",
			       VAULT_FOLDER_DEPTH_MAX);
	for (size_t i = 0; r == 0 && i < op->t->n; i++)
		if (strlen(op->t->f[i].pub.path) >= VAULT_FOLDER_PATH_MAX)
			r = reterr_set(err, -E2BIG, "folder path too long");
	return r < 0 ? r : vault_folder_row_store(op->v, f, err);
}

static ssize_t parent_of(const struct fop *op, size_t k)
{
	const struct vault_folder_rec *f = &op->t->f[k];
	return f->has_parent ? vault_folder_tree_by_id(op->t, f->parent) : -1;
}

int vault_folder_rename(struct vault *v, const char *path, const char *new_name, struct reterr *err)
{
	struct fop op;
	ssize_t k = -1;
	int r = fop_begin(&op, v, "folder.rename", path, err);
	if (r == 0)
		r = fop_find(&op, path, &k, err);
	if (r == 0)
		r = vault_folder_name_check(new_name, err);
	if (r == 0) {
		snprintf(op.subject, sizeof(op.subject), "%s,%s", path, new_name);
		r = relocate(&op, (size_t)k, new_name, parent_of(&op, (size_t)k), err);
	}
	return fop_end(&op, r, NULL, err);
}

int vault_folder_move(struct vault *v, const char *path, const char *new_parent, struct reterr *err)
{
	struct fop op;
	ssize_t k = -1, np = -1;
	int r = fop_begin(&op, v, "folder.move", path, err);
	if (r == 0)
		r = fop_find(&op, path, &k, err);
	if (r == 0 && new_parent && *new_parent)
		r = fop_find(&op, new_parent, &np, err);
	if (r == 0) {
		snprintf(op.subject, sizeof(op.subject), "%s,%s", path,
			 new_parent && *new_parent ? new_parent : "/");
		r = relocate(&op, (size_t)k, op.t->f[k].pub.name, np, err);
	}
	return fop_end(&op, r, NULL, err);
}

int vault_folder_delete(struct vault *v, const char *path, bool force, size_t *ret_unfiled,
			struct reterr *err)
{
	struct fop op;
	ssize_t k = -1;
	size_t unfiled = 0, gone = 0;
	char detail[64];
	int r = fop_begin(&op, v, "folder.delete", path, err);
	if (r == 0)
		r = fop_find(&op, path, &k, err);
	if (r == 0 && !force && (op.t->f[k].pub.secrets || op.t->f[k].pub.folders))
		r = reterr_set(err, -ENOTEMPTY,
			       "folder %s holds %zu secret(s) and %zu folder(s) (move them out, or "
			       "delete with --force: the secrets are kept, in no folder)",
			       path, op.t->f[k].pub.secrets, op.t->f[k].pub.folders);
	for (size_t i = 0; r == 0 && i < op.t->n; i++) {
		if (i != (size_t)k && !below(op.t, i, (size_t)k))
			continue;
		for (size_t j = 0; r == 0 && j < op.t->nlinks; j++)
			if (!memcmp(op.t->links[j].fid, op.t->f[i].fid, VAULT_FOLDER_ID_BYTES) &&
			    (r = vault_folder_link(v, op.t->links[j].id, NULL, err)) == 0)
				unfiled++;
		if (r == 0 && (r = vault_folder_row_delete(v, op.t->f[i].fid, err)) == 0)
			gone++;
	}
	snprintf(detail, sizeof(detail), "{\"folders\":%zu,\"unfiled\":%zu}", gone, unfiled);
	if ((r = fop_end(&op, r, detail, err)) == 0 && ret_unfiled)
		*ret_unfiled = unfiled;
	return r;
}

int vault_folder_assign(struct vault *v, const char *key, const char *folder, struct reterr *err)
{
	struct fop op;
	struct vault_entry e = { 0 };
	unsigned char id[VAULT_HASH_BYTES];
	int64_t version;
	char detail[VAULT_FOLDER_PATH_MAX + 32];
	const char *to = folder && *folder ? folder : "";
	int r = fop_begin(&op, v, "secret.move", key, err);
	if (r == 0)
		r = vault_key_check(key, err);
	if (r == 0 && *to)
		r = vault_folder_path_check(to, err);
	if (r == 0) {
		vault_name_hash(v, key, id);
		r = vault_entry_load(v, key, id, false, &e, &version, err);
		if (r == 0)
			r = reterr_set(err, -ENOENT, "no secret named %s", key);
	}
	if (r > 0)
		r = vault_folder_file(v, id, to, err);
	vault_entry_release(&e);
	/* The path is checked above: only [A-Za-z0-9._ -/] go into the JSON. */
	snprintf(detail, sizeof(detail), "{\"folder\":\"%s\"}", to);
	return fop_end(&op, r, detail, err);
}
