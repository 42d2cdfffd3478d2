/* SPDX-License-Identifier: Apache-2.0 */
/* vault folder rows: the encrypted folder records and the encrypted secret -> folder links, their
 * schema (its own migration), validation, and the loaded tree with paths and counts. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FOLDER_CODEC_VERSION 1
#define FOLDER_AD_BYTES (VAULT_AD_BEGIN_BYTES(VAULT_DOMAIN_FOLDER) + VAULT_HASH_BYTES)
/* codec, created, updated, has_parent, parent, then three u8-length strings */
#define FOLDER_FIXED (1 + 8 + 8 + 1 + VAULT_FOLDER_ID_BYTES)
#define FOLDER_PT_MAX (FOLDER_FIXED + 3 + VAULT_FOLDER_NAME_MAX + VAULT_FOLDER_ICON_MAX + 7)

static const char folders_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS folders(n INTEGER PRIMARY KEY, fid BLOB NOT NULL UNIQUE,"
	" nonce BLOB NOT NULL, data BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS folder_items(id BLOB PRIMARY KEY, nonce BLOB NOT NULL,"
	" data BLOB NOT NULL);";

int vault_folders_migrate(struct vault *v, struct reterr *err)
{
	return vdb_exec(v, folders_schema_sql, err);
}

/* ---- validation ---------------------------------------------------------------------------- */

int vault_folder_name_check(const char *name, struct reterr *err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > VAULT_FOLDER_NAME_MAX)
		return reterr_set(err, -EINVAL, "a folder name must be 1..%d characters",
				  VAULT_FOLDER_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == ' '))
			return reterr_set(err, -EINVAL,
					  "folder name has an invalid character at position %zu "
					  "(allowed: A-Z a-z 0-9 . _ - and space)",
					  i + 1);
	}
	if (name[0] == ' ' || name[n - 1] == ' ')
		return reterr_set(err, -EINVAL, "a folder name cannot start or end with a space");
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return reterr_set(err, -EINVAL, "a folder cannot be named . or ..");
	return 0;
}

int vault_folder_path_check(const char *path, struct reterr *err)
{
	char name[VAULT_FOLDER_NAME_MAX + 1];
	size_t depth = 0;
	if (!path || !*path)
		return reterr_set(err, -EINVAL, "the folder path is empty");
	if (strlen(path) > VAULT_FOLDER_PATH_MAX)
		return reterr_set(err, -EINVAL, "folder path too long (limit %d)",
				  VAULT_FOLDER_PATH_MAX);
	for (const char *p = path;; depth++) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > VAULT_FOLDER_NAME_MAX || depth >= VAULT_FOLDER_DEPTH_MAX)
			return reterr_set(err, -EINVAL,
					  "folder path too long or too deep (at most "
					  "%d levels)",
					  VAULT_FOLDER_DEPTH_MAX);
		memcpy(name, p, len);
		name[len] = '\0';
		int r = vault_folder_name_check(name, err);
		if (r < 0)
			return r;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int vault_folder_icon_check(const char *icon, struct reterr *err)
{
	size_t n = icon ? strlen(icon) : 0;
	if (n == 0 || n > VAULT_FOLDER_ICON_MAX || !utf8_valid(icon, n))
		return reterr_set(err, -EINVAL, "an icon must be 1..%d bytes of UTF-8",
				  VAULT_FOLDER_ICON_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)icon[i] < 0x20 || icon[i] == 0x7f)
			return reterr_set(err, -EINVAL,
					  "an icon cannot contain control characters");
	return 0;
}

int vault_folder_color_check(const char *color, struct reterr *err)
{
	bool ok = color && strlen(color) == 7 && color[0] == '#';
	for (size_t i = 1; ok && i < 7; i++) {
		char c = color[i];
		ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	}
	return ok ? 0 : reterr_set(err, -EINVAL, "a colour must be #RRGGBB (six hex digits)");
}

/* ---- crypto -------------------------------------------------------------------------------- */

/* AD of a folder record (kind 'f', keyed by its id padded) or of a link (kind 'i', keyed by the
 * secret's row id). */
static void folder_ad(const struct vault *v, char kind, const unsigned char *id, size_t idlen,
		      unsigned char ad[FOLDER_AD_BYTES + 1])
{
	unsigned char *p =
		VAULT_AD_BEGIN(ad, VAULT_DOMAIN_FOLDER, (uint32_t)VAULT_FORMAT, v->vault_id);
	memset(p, 0, VAULT_HASH_BYTES + 1);
	p[0] = (unsigned char)kind;
	memcpy(p + 1, id, idlen);
}

static int blob_seal(const struct vault *v, char kind, const unsigned char *id, size_t idlen,
		     const unsigned char *pt, size_t n, unsigned char nonce[VAULT_NONCE_BYTES],
		     unsigned char *ct)
{
	unsigned char ad[FOLDER_AD_BYTES + 1];
	folder_ad(v, kind, id, idlen, ad);
	randombytes_buf(nonce, VAULT_NONCE_BYTES);
	return crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, pt, n, ad, sizeof(ad), NULL,
							  nonce, vault_key(v, VK_RECORD));
}

/* Columns col (nonce) and col + 1 (ciphertext of at most max plaintext bytes) into pt. */
static int blob_open(const struct vault *v, char kind, const unsigned char *id, size_t idlen,
		     sqlite3_stmt *q, int col, size_t max, unsigned char *pt, size_t *ret_n)
{
	const unsigned char *nonce, *ct;
	size_t nn, cn;
	unsigned char ad[FOLDER_AD_BYTES + 1];
	if (vdb_col_blob(q, col, VAULT_NONCE_BYTES, VAULT_NONCE_BYTES, &nonce, &nn) < 0 ||
	    vdb_col_blob(q, col + 1, VAULT_TAG_BYTES, max + VAULT_TAG_BYTES, &ct, &cn) < 0)
		return -EBADMSG;
	folder_ad(v, kind, id, idlen, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct, cn, ad, sizeof(ad),
						       nonce, vault_key(v, VK_RECORD)) != 0)
		return -EBADMSG;
	*ret_n = cn - VAULT_TAG_BYTES;
	return 0;
}

/* ---- folder records ------------------------------------------------------------------------ */

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = (x << 8) | p[i];
	return x;
}

static int put_str(unsigned char *pt, size_t *n, const char *s)
{
	size_t l = strlen(s);
	pt[(*n)++] = (unsigned char)l;
	memcpy(pt + *n, s, l);
	*n += l;
	return 0;
}

static int get_str(const unsigned char *pt, size_t n, size_t *off, char *out, size_t cap)
{
	if (*off >= n || pt[*off] >= cap || *off + 1 + pt[*off] > n)
		return -EBADMSG;
	size_t l = pt[(*off)++];
	memcpy(out, pt + *off, l);
	out[l] = '\0';
	*off += l;
	return 0;
}

int vault_folder_row_store(struct vault *v, const struct vault_folder_rec *f, struct reterr *err)
{
	unsigned char pt[FOLDER_PT_MAX], ct[FOLDER_PT_MAX + VAULT_TAG_BYTES];
	unsigned char nonce[VAULT_NONCE_BYTES];
	sqlite3_stmt *q = NULL;
	size_t n = 0;
	pt[n++] = FOLDER_CODEC_VERSION;
	vault_le64(pt + n, (uint64_t)f->pub.created_at);
	vault_le64(pt + n + 8, (uint64_t)f->pub.updated_at);
	n += 16;
	pt[n++] = f->has_parent;
	memcpy(pt + n, f->parent, VAULT_FOLDER_ID_BYTES);
	n += VAULT_FOLDER_ID_BYTES;
	put_str(pt, &n, f->pub.name);
	put_str(pt, &n, f->pub.icon);
	put_str(pt, &n, f->pub.color);
	blob_seal(v, 'f', f->fid, VAULT_FOLDER_ID_BYTES, pt, n, nonce, ct);
	sodium_memzero(pt, sizeof(pt));
	int r = vault_folders_migrate(v, err);
	if (r < 0 || (r = vdb_prepare(v,
				      "INSERT INTO folders(fid, nonce, data) VALUES (?1, ?2, ?3) "
				      "ON CONFLICT(fid) DO UPDATE SET nonce = ?2, data = ?3",
				      &q, err)) < 0)
		return r;
	int rc = SQLITE_NOMEM;
	if (vdb_bind_blob(q, 1, f->fid, VAULT_FOLDER_ID_BYTES) == 0 &&
	    vdb_bind_blob(q, 2, nonce, sizeof(nonce)) == 0 &&
	    vdb_bind_blob(q, 3, ct, n + VAULT_TAG_BYTES) == 0)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "writing a folder");
	sqlite3_finalize(q);
	return r;
}

static int by_id_and_sql(struct vault *v, const char *sql, const unsigned char *id, size_t idlen,
			 struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, sql, &q, err);
	if (r < 0)
		return r;
	int rc = vdb_bind_blob(q, 1, id, idlen) == 0 ? sqlite3_step(q) : SQLITE_NOMEM;
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "updating the folders");
	sqlite3_finalize(q);
	return r;
}

int vault_folder_row_delete(struct vault *v, const unsigned char fid[VAULT_FOLDER_ID_BYTES],
			    struct reterr *err)
{
	return by_id_and_sql(v, "DELETE FROM folders WHERE fid = ?", fid, VAULT_FOLDER_ID_BYTES,
			     err);
}

static int rec_decode(const unsigned char *pt, size_t n, struct vault_folder_rec *f)
{
	size_t off = FOLDER_FIXED;
	if (n < FOLDER_FIXED || pt[0] != FOLDER_CODEC_VERSION || pt[17] > 1)
		return -EBADMSG;
	f->pub.created_at = (int64_t)get_le64(pt + 1);
	f->pub.updated_at = (int64_t)get_le64(pt + 9);
	f->has_parent = pt[17];
	memcpy(f->parent, pt + 18, VAULT_FOLDER_ID_BYTES);
	if (get_str(pt, n, &off, f->pub.name, sizeof(f->pub.name)) < 0 ||
	    get_str(pt, n, &off, f->pub.icon, sizeof(f->pub.icon)) < 0 ||
	    get_str(pt, n, &off, f->pub.color, sizeof(f->pub.color)) < 0 || off != n ||
	    vault_folder_name_check(f->pub.name, NULL) < 0)
		return -EBADMSG;
	sodium_bin2hex(f->pub.id, sizeof(f->pub.id), f->fid, VAULT_FOLDER_ID_BYTES);
	if (f->has_parent)
		sodium_bin2hex(f->pub.parent_id, sizeof(f->pub.parent_id), f->parent,
			       VAULT_FOLDER_ID_BYTES);
	return 0;
}

static int recs_read(struct vault *v, struct vault_folder_tree *t, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	unsigned char pt[FOLDER_PT_MAX];
	int rc, r = vdb_prepare(v, "SELECT fid, nonce, data FROM folders", &q, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (t->n >= VAULT_FOLDERS_MAX) {
			r = reterr_set(err, -EBADMSG,
				       "more folders than allowed (vault tampered "
				       "with?)");
			break;
		}
		struct vault_folder_rec *f = &t->f[t->n];
		size_t n;
		memset(f, 0, sizeof(*f));
		if (vdb_col_blob_exact(q, 0, f->fid, VAULT_FOLDER_ID_BYTES) < 0 ||
		    blob_open(v, 'f', f->fid, VAULT_FOLDER_ID_BYTES, q, 1, FOLDER_PT_MAX, pt, &n) <
			    0 ||
		    rec_decode(pt, n, f) < 0) {
			r = reterr_set(err, -EBADMSG,
				       "a folder record does not authenticate: the "
				       "folders were altered or corrupted");
			break;
		}
		t->n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "reading the folders");
	sqlite3_finalize(q);
	return r;
}

/* ---- links: secret row id -> folder id ------------------------------------------------------ */

int vault_folder_link(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		      const unsigned char *fid, struct reterr *err)
{
	bool exists = false;
	int r = vdb_table_exists(v, "folder_items", &exists, err);
	if (r < 0 || (!fid && !exists))
		return r;
	if (!fid)
		return by_id_and_sql(v, "DELETE FROM folder_items WHERE id = ?", id,
				     VAULT_HASH_BYTES, err);
	unsigned char nonce[VAULT_NONCE_BYTES], ct[VAULT_FOLDER_ID_BYTES + VAULT_TAG_BYTES];
	sqlite3_stmt *q = NULL;
	blob_seal(v, 'i', id, VAULT_HASH_BYTES, fid, VAULT_FOLDER_ID_BYTES, nonce, ct);
	if ((r = vault_folders_migrate(v, err)) < 0 ||
	    (r = vdb_prepare(v,
			     "INSERT OR REPLACE INTO folder_items(id, nonce, data) "
			     "VALUES (?, ?, ?)",
			     &q, err)) < 0)
		return r;
	int rc = SQLITE_NOMEM;
	if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) == 0 &&
	    vdb_bind_blob(q, 2, nonce, sizeof(nonce)) == 0 &&
	    vdb_bind_blob(q, 3, ct, sizeof(ct)) == 0)
		rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "filing a secret in a folder");
	sqlite3_finalize(q);
	return r;
}

int vault_folder_link_move(struct vault *v, const unsigned char from[VAULT_HASH_BYTES],
			   const unsigned char to[VAULT_HASH_BYTES], bool keep, struct reterr *err)
{
	struct vault_folder_tree *t = NULL;
	int r = vault_folder_tree_load(v, &t, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->nlinks; i++) {
		if (memcmp(t->links[i].id, from, VAULT_HASH_BYTES) != 0)
			continue;
		r = vault_folder_link(v, to, t->links[i].fid, err);
		if (r == 0 && !keep)
			r = vault_folder_link(v, from, NULL, err);
		break;
	}
	vault_folder_tree_free(t);
	return r;
}

static int links_read(struct vault *v, struct vault_folder_tree *t, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int rc, r = vdb_prepare(v, "SELECT id, nonce, data FROM folder_items", &q, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct vault_folder_link *l;
		size_t n;
		if (t->nlinks == t->caplinks) {
			size_t nc = t->caplinks ? t->caplinks * 2 : 64;
			if (nc > VAULT_SECRETS_MAX) {
				r = reterr_set(err, -EBADMSG,
					       "more folder links than secrets allowed "
					       "(vault tampered with?)");
				break;
			}
			l = realloc(t->links, nc * sizeof(*l));
			if (!l) {
				r = reterr_set(err, -ENOMEM, "out of memory");
				break;
			}
			t->links = l;
			t->caplinks = nc;
		}
		l = &t->links[t->nlinks];
		if (vdb_col_blob_exact(q, 0, l->id, VAULT_HASH_BYTES) < 0 ||
		    blob_open(v, 'i', l->id, VAULT_HASH_BYTES, q, 1, VAULT_FOLDER_ID_BYTES, l->fid,
			      &n) < 0 ||
		    n != VAULT_FOLDER_ID_BYTES) {
			r = reterr_set(err, -EBADMSG,
				       "a secret's folder link does not authenticate: "
				       "the folders were altered or corrupted");
			break;
		}
		t->nlinks++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "reading the folder links");
	sqlite3_finalize(q);
	return r;
}

/* ---- the tree ------------------------------------------------------------------------------ */

ssize_t vault_folder_tree_by_id(const struct vault_folder_tree *t,
				const unsigned char fid[VAULT_FOLDER_ID_BYTES])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->f[i].fid, fid, VAULT_FOLDER_ID_BYTES) == 0)
			return (ssize_t)i;
	return -1;
}

ssize_t vault_folder_tree_find(const struct vault_folder_tree *t, const char *path)
{
	for (size_t i = 0; path && i < t->n; i++)
		if (strcmp(t->f[i].pub.path, path) == 0)
			return (ssize_t)i;
	return -1;
}

/* Paths (walking up at most the depth limit: a longer chain is a cycle someone made) and
 * counts. A link to a folder that is gone counts nowhere: that secret is in no folder. */
int vault_folder_tree_index(struct vault_folder_tree *t, struct reterr *err)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct vault_folder_rec *chain[VAULT_FOLDER_DEPTH_MAX];
		size_t depth = 0;
		const struct vault_folder_rec *f = &t->f[i];
		t->f[i].pub.secrets = t->f[i].pub.folders = 0;
		for (;;) {
			if (depth == VAULT_FOLDER_DEPTH_MAX)
				return reterr_set(err, -EBADMSG,
						  "the folders form a cycle or are too "
						  "deep (vault tampered with?)");
			chain[depth++] = f;
			if (!f->has_parent)
				break;
			ssize_t p = vault_folder_tree_by_id(t, f->parent);
			if (p < 0)
				return reterr_set(err, -EBADMSG,
						  "folder %s has lost its parent "
						  "(vault tampered with?)",
						  f->pub.name);
			f = &t->f[p];
		}
		/* depth <= 8 names of <= 64 bytes and 7 slashes fit VAULT_FOLDER_PATH_MAX */
		char *out = t->f[i].pub.path;
		size_t at = 0;
		for (size_t k = depth; k-- > 0;) {
			size_t l = strlen(chain[k]->pub.name);
			memcpy(out + at, chain[k]->pub.name, l);
			at += l;
			if (k)
				out[at++] = '/';
		}
		out[at] = '\0';
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->f[i].has_parent) {
			ssize_t p = vault_folder_tree_by_id(t, t->f[i].parent);
			t->f[p].pub.folders++;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->f[i].pub.path, t->f[j].pub.path) == 0)
				return reterr_set(err, -EBADMSG,
						  "two folders are named %s (vault "
						  "tampered with?)",
						  t->f[i].pub.path);
	}
	for (size_t i = 0; i < t->nlinks; i++) {
		ssize_t p = vault_folder_tree_by_id(t, t->links[i].fid);
		if (p >= 0)
			t->f[p].pub.secrets++;
	}
	return 0;
}

int vault_folder_tree_load(struct vault *v, struct vault_folder_tree **ret, struct reterr *err)
{
	bool f = false, l = false;
	struct vault_folder_tree *t = calloc(1, sizeof(*t));
	int r = t ? 0 : reterr_set(err, -ENOMEM, "out of memory");
	if (r == 0 && (r = vdb_table_exists(v, "folders", &f, err)) == 0)
		r = vdb_table_exists(v, "folder_items", &l, err);
	if (r == 0 && f)
		r = recs_read(v, t, err);
	if (r == 0 && l)
		r = links_read(v, t, err);
	if (r == 0)
		r = vault_folder_tree_index(t, err);
	if (r < 0) {
		vault_folder_tree_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

void vault_folder_tree_free(struct vault_folder_tree *t)
{
	if (!t)
		return;
	free(t->links);
	sodium_memzero(t, sizeof(*t));
	free(t);
}

int vault_folder_file(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], const char *path,
		      struct reterr *err)
{
	struct vault_folder_tree *t = NULL;
	if (!*path)
		return vault_folder_link(v, id, NULL, err);
	int r = vault_folder_tree_load(v, &t, err);
	if (r < 0)
		return r;
	ssize_t k = vault_folder_tree_find(t, path);
	if (k < 0)
		r = reterr_set(err, -ENOENT, "no folder named %s (see 'secretctl folder list')",
			       path);
	else
		r = vault_folder_link(v, id, t->f[k].fid, err);
	vault_folder_tree_free(t);
	return r;
}
