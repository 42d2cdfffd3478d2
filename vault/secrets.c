/* SPDX-License-Identifier: Apache-2.0 */
/* vault secrets: validation, and set/get/list/delete of encrypted rows (meta blob + value blob),
 * each change in one IMMEDIATE transaction with its manifest update and audit entry. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- validation (before anything is written; never echoes the rejected bytes) --------------- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int vault_key_check(const char *key, struct reterr *err)
{
	if (!key || !*key)
		return reterr_set(err, -EINVAL, "key name is empty");
	size_t n = strlen(key);
	if (n > VAULT_KEY_MAX)
		return reterr_set(err, -EINVAL, "key name too long (%zu > %d characters)", n,
				  VAULT_KEY_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = key[i];
		if (!is_alnum(c) && c != '.' && c != '_' && c != '/' && c != '-')
			return reterr_set(err, -EINVAL,
					  "key name has an invalid character at position %zu "
					  "(allowed: A-Z a-z 0-9 . _ / -)",
					  i + 1);
	}
	const char *seg = key;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (len == 0)
			return reterr_set(err, -EINVAL, "key name has an empty path segment");
		if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return reterr_set(err, -EINVAL, "key name has a '.' or '..' path segment");
		if (!end)
			break;
		seg = end + 1;
	}
	return 0;
}

static bool field_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > VAULT_FIELD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

static bool env_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > VAULT_ENV_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_')
			return false;
	return true;
}

/* No control characters (tabs/newlines allowed where allow_nl). */
static bool text_ok(const char *s, bool allow_nl)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && !(allow_nl && (*p == '\n' || *p == '\t' || *p == '\r'))) ||
		    *p == 0x7f)
			return false;
	return true;
}

int vault_set_in_check(const struct vault_set_in *in, struct reterr *err)
{
	int r = vault_key_check(in->key, err);
	if (r < 0)
		return r;
	if (in->value && in->value->len > VAULT_VALUE_MAX)
		return reterr_set(err, -E2BIG, "value too large (%zu bytes; limit %d)",
				  in->value->len, VAULT_VALUE_MAX);
	if (in->notes && strlen(in->notes) > VAULT_NOTES_MAX)
		return reterr_set(err, -E2BIG, "notes too long (limit %d bytes)", VAULT_NOTES_MAX);
	if (in->notes && !text_ok(in->notes, true))
		return reterr_set(err, -EINVAL, "notes contain control characters");
	if (in->url && strlen(in->url) > VAULT_URL_MAX)
		return reterr_set(err, -E2BIG, "URL too long (limit %d bytes)", VAULT_URL_MAX);
	if (in->url && !text_ok(in->url, false))
		return reterr_set(err, -EINVAL, "URL contains control characters");
	if (in->tags) {
		size_t n = strv_len(in->tags);
		if (n > VAULT_TAGS_MAX)
			return reterr_set(err, -E2BIG, "too many tags (%zu; limit %d)", n,
					  VAULT_TAGS_MAX);
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(in->tags[i]);
			if (l == 0 || l > VAULT_TAG_MAX)
				return reterr_set(err, l ? -E2BIG : -EINVAL,
						  "tag %zu must be 1..%d bytes", i + 1,
						  VAULT_TAG_MAX);
			if (!text_ok(in->tags[i], false) || strchr(in->tags[i], ','))
				return reterr_set(err, -EINVAL,
						  "tag %zu contains a comma or control character",
						  i + 1);
		}
	}
	if (in->set_expires && in->expires_at < 0)
		return reterr_set(err, -EINVAL, "expiry time is negative");
	if (in->set_expires && in->expires_at > VAULT_EXPIRES_MAX)
		return reterr_set(err, -EINVAL, "expiry time is after 9999-12-31T23:59:59Z");
	if (in->nfields > VAULT_FIELDS_MAX)
		return reterr_set(err, -E2BIG, "too many fields (%zu; limit %d)", in->nfields,
				  VAULT_FIELDS_MAX);
	if (in->nfields && (!in->field_names || !in->field_values))
		return reterr_set(err, -EINVAL, "fields given without names or values");
	for (size_t i = 0; i < in->nfields; i++) {
		if (!field_name_ok(in->field_names[i]))
			return reterr_set(err, -EINVAL,
					  "field %zu: name must be 1..%d of A-Z a-z 0-9 _ . -",
					  i + 1, VAULT_FIELD_NAME_MAX);
		if (!in->field_values[i])
			return reterr_set(err, -EINVAL, "field %s has no value",
					  in->field_names[i]);
		if (in->field_values[i]->len > VAULT_VALUE_MAX)
			return reterr_set(err, -E2BIG, "field %s: value too large (limit %d bytes)",
					  in->field_names[i], VAULT_VALUE_MAX);
		for (size_t j = 0; j < i; j++)
			if (strcmp(in->field_names[i], in->field_names[j]) == 0)
				return reterr_set(err, -EINVAL, "field %s given twice",
						  in->field_names[i]);
	}
	if (in->nsensitive > VAULT_FIELDS_MAX || (in->nsensitive && !in->sensitive))
		return reterr_set(err, -EINVAL, "invalid sensitive field list");
	for (size_t i = 0; i < in->nsensitive; i++)
		if (!field_name_ok(in->sensitive[i]))
			return reterr_set(err, -EINVAL, "sensitive field %zu: invalid name", i + 1);
	if (in->nbindings > VAULT_BINDINGS_MAX)
		return reterr_set(err, -E2BIG, "too many bindings (%zu; limit %d)", in->nbindings,
				  VAULT_BINDINGS_MAX);
	if (in->nbindings && !in->bindings)
		return reterr_set(err, -EINVAL, "bindings count given without bindings");
	for (size_t i = 0; i < in->nbindings; i++) {
		const struct vault_binding *b = &in->bindings[i];
		if (!env_name_ok(b->env))
			return reterr_set(err, -EINVAL,
					  "binding %zu: environment name must match "
					  "[A-Za-z_][A-Za-z0-9_]* (at most %d)",
					  i + 1, VAULT_ENV_NAME_MAX);
		if (b->field && *b->field && !field_name_ok(b->field))
			return reterr_set(err, -EINVAL, "binding %s: invalid field name", b->env);
		for (size_t j = 0; j < i; j++)
			if (strcmp(b->env, in->bindings[j].env) == 0)
				return reterr_set(err, -EINVAL, "binding %s given twice", b->env);
	}
	return 0;
}

/* ---- row crypto ------------------------------------------------------------------------------- */

/* AD of a record blob: vault id, row id, row version and which blob ('m' meta, 'v' value). */
#define REC_AD_BYTES (VAULT_AD_BEGIN_BYTES(VAULT_DOMAIN_RECORD) + VAULT_HASH_BYTES + 8 + 1)

/* The row id of a key: a keyed hash, so the db holds no name in clear. */
static void name_hash(const struct vault *v, const char *key, unsigned char id[VAULT_HASH_BYTES])
{
	crypto_generichash(id, VAULT_HASH_BYTES, (const unsigned char *)key, strlen(key),
			   vault_key(v, VK_NAME), VAULT_KEY_BYTES);
}

static void record_ad(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		      uint64_t version, char kind, unsigned char ad[REC_AD_BYTES])
{
	unsigned char *p =
		VAULT_AD_BEGIN(ad, VAULT_DOMAIN_RECORD, (uint32_t)VAULT_FORMAT, v->vault_id);
	memcpy(p, id, VAULT_HASH_BYTES);
	p += VAULT_HASH_BYTES;
	vault_le64(p, version);
	p += 8;
	*p = (unsigned char)kind;
}

struct row {
	int64_t version;
	const unsigned char *mnonce, *meta, *vnonce, *value;
	size_t meta_len, value_len;
};

static int row_read(sqlite3_stmt *q, int col, struct row *row)
{
	size_t n;
	if (vdb_col_i64(q, col, &row->version) < 0 || row->version < 0 ||
	    vdb_col_blob(q, col + 1, VAULT_NONCE_BYTES, VAULT_NONCE_BYTES, &row->mnonce, &n) < 0 ||
	    vdb_col_blob(q, col + 2, VAULT_TAG_BYTES, VAULT_META_MAX + VAULT_TAG_BYTES, &row->meta,
			 &row->meta_len) < 0 ||
	    vdb_col_blob(q, col + 3, VAULT_NONCE_BYTES, VAULT_NONCE_BYTES, &row->vnonce, &n) < 0 ||
	    vdb_col_blob(q, col + 4, VAULT_TAG_BYTES, VAULT_VALUES_MAX + VAULT_TAG_BYTES,
			 &row->value, &row->value_len) < 0)
		return -EBADMSG;
	return 0;
}

/* Plaintext scratch for meta blobs, reused across rows; wiped before it is freed. */
struct scratch {
	unsigned char *p;
	size_t cap;
};

static void scratch_release(struct scratch *s)
{
	if (s->p)
		sodium_memzero(s->p, s->cap);
	free(s->p);
	s->p = NULL;
	s->cap = 0;
}

static int scratch_reserve(struct scratch *s, size_t n)
{
	if (s->p && n <= s->cap)
		return 0;
	scratch_release(s);
	size_t cap = n < 4096 ? 4096 : n;
	s->p = malloc(cap);
	if (!s->p)
		return -ENOMEM;
	s->cap = cap;
	return 0;
}

/* Decrypt and parse the meta blob into m (zeroed by the caller), reusing scratch. */
static int meta_open(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		     const struct row *row, struct scratch *scratch, struct vault_meta *m)
{
	unsigned char ad[REC_AD_BYTES];
	size_t n = row->meta_len - VAULT_TAG_BYTES;
	int r = scratch_reserve(scratch, n);
	if (r < 0)
		return r;
	record_ad(v, id, (uint64_t)row->version, 'm', ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(scratch->p, NULL, NULL, row->meta,
						       row->meta_len, ad, sizeof(ad), row->mnonce,
						       vault_key(v, VK_RECORD)) != 0)
		return -EBADMSG;
	r = vault_meta_decode(scratch->p, n, m);
	sodium_memzero(scratch->p, n);
	return r;
}

static int values_open(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		       const struct row *row, struct vault_entry *e)
{
	unsigned char ad[REC_AD_BYTES];
	size_t n = row->value_len - VAULT_TAG_BYTES;
	e->blob = secret_new(n);
	if (!e->blob)
		return -ENOMEM;
	record_ad(v, id, (uint64_t)row->version, 'v', ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(e->blob->data, NULL, NULL, row->value,
						       row->value_len, ad, sizeof(ad), row->vnonce,
						       vault_key(v, VK_RECORD)) != 0)
		return -EBADMSG;
	e->blob->len = n;
	e->blob->data[n] = 0;
	return vault_values_decode(e);
}

static int seal(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES], uint64_t version,
		char kind, const unsigned char *pt, size_t len,
		unsigned char nonce[VAULT_NONCE_BYTES], unsigned char **ret)
{
	unsigned char ad[REC_AD_BYTES];
	unsigned char *ct = malloc(len + VAULT_TAG_BYTES);
	if (!ct)
		return -ENOMEM;
	randombytes_buf(nonce, VAULT_NONCE_BYTES);
	record_ad(v, id, version, kind, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, pt, len, ad, sizeof(ad), NULL, nonce,
						   vault_key(v, VK_RECORD));
	*ret = ct;
	return 0;
}

/* Messages name a row by its id's first bytes in hex: enough to tell rows apart. */
#define HEXID_BYTES 8
#define HEXID_SIZE (2 * HEXID_BYTES + 1)

static void hexid(const unsigned char id[VAULT_HASH_BYTES], char out[HEXID_SIZE])
{
	sodium_bin2hex(out, HEXID_SIZE, id, HEXID_BYTES);
}

int vault_row_open(struct vault *v, const char *key, const unsigned char id[VAULT_HASH_BYTES],
		   sqlite3_stmt *q, int col, bool want_values, struct vault_entry *e,
		   int64_t *ret_version)
{
	struct scratch scratch = { 0 };
	struct row row;
	if (row_read(q, col, &row) < 0)
		return -EBADMSG;
	int r = meta_open(v, id, &row, &scratch, &e->meta);
	scratch_release(&scratch);
	if (r == 0 && strcmp(e->meta.key, key) != 0)
		r = -EBADMSG;
	if (r == 0 && want_values)
		r = values_open(v, id, &row, e);
	if (r == 0)
		*ret_version = row.version;
	return r;
}

/* Load the row of key id (inside the caller's transaction, or a one-statement read). Returns 1
 * found (e filled; values only when want_values), 0 absent. */
static int entry_load(struct vault *v, const char *key, const unsigned char id[VAULT_HASH_BYTES],
		      bool want_values, struct vault_entry *e, int64_t *ret_version,
		      struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v,
			    "SELECT version, meta_nonce, meta, value_nonce, value FROM secrets "
			    "WHERE id = ?",
			    &q, err);
	if (r < 0)
		return r;
	if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) < 0) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		r = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		r = vdb_fail(v, rc, err, "reading a secret");
		goto out;
	}
	r = vault_row_open(v, key, id, q, 0, want_values, e, ret_version);
	if (r < 0) {
		if (r == -EBADMSG)
			reterr_set(err, r,
				   "secret %s does not authenticate: its row was altered, copied "
				   "from another secret or corrupted (see `secretctl recover "
				   "--dry-run`)",
				   key);
		else
			reterr_set(err, r, "cannot read secret %s", key);
		goto out;
	}
	r = 1;
out:
	sqlite3_finalize(q);
	return r;
}

static int audit_in_tx(struct vault *v, struct vault_state *st, const char *action, const char *key,
		       bool success, const char *error, const char *detail, struct reterr *err)
{
	struct audit_event ev = {
		.action = action,
		.keys = key,
		.success = success,
		.error = error,
		.detail = detail,
	};
	return audit_append_locked(v, st, &ev, clock_now(), v->source, err);
}

/* ---- set -------------------------------------------------------------------------------------- */

static ssize_t field_find(const struct vault_meta *m, const char *name)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static int str_replace(char **slot, const char *s)
{
	char *n = NULL;
	if (s && *s && !(n = strdup(s)))
		return -ENOMEM;
	free(*slot);
	*slot = n;
	return 0;
}

/* Apply in to m (moved from the old entry, or fresh). fv/fl hold the field values, pointing
 * into the old blob or the caller's secrets; *value is the single value. */
static int merge(struct vault_meta *m, const struct vault_set_in *in, const unsigned char **fv,
		 size_t *fl, const unsigned char **value, struct reterr *err)
{
	int r;
	if (in->value) {
		m->has_value = in->value->len > 0;
		m->value_len = in->value->len;
		*value = in->value->data;
	}
	if ((in->notes && (r = str_replace(&m->notes, in->notes)) < 0) ||
	    (in->url && (r = str_replace(&m->url, in->url)) < 0))
		return reterr_set(err, -ENOMEM, "out of memory");
	if (in->tags) {
		char **t = strv_dup(in->tags);
		if (!t)
			return reterr_set(err, -ENOMEM, "out of memory");
		strv_free(m->tags);
		m->tags = t;
	}
	if (in->set_expires)
		m->expires_at = in->expires_at;
	for (size_t i = 0; i < in->nfields; i++) {
		ssize_t k = field_find(m, in->field_names[i]);
		if (k < 0) {
			if (m->nfields >= VAULT_FIELDS_MAX)
				return reterr_set(err, -E2BIG, "too many fields (limit %d)",
						  VAULT_FIELDS_MAX);
			struct vault_field_meta *nf =
				realloc(m->fields, (m->nfields + 1) * sizeof(*nf));
			if (!nf)
				return reterr_set(err, -ENOMEM, "out of memory");
			m->fields = nf;
			nf[m->nfields].sensitive = false;
			if (!(nf[m->nfields].name = strdup(in->field_names[i])))
				return reterr_set(err, -ENOMEM, "out of memory");
			k = (ssize_t)m->nfields++;
		}
		fv[k] = in->field_values[i]->data;
		fl[k] = in->field_values[i]->len;
	}
	for (size_t i = 0; i < in->nsensitive; i++) {
		ssize_t k = field_find(m, in->sensitive[i]);
		if (k < 0)
			return reterr_set(err, -EINVAL, "cannot mark %s sensitive: no such field",
					  in->sensitive[i]);
		m->fields[k].sensitive = true;
	}
	if (in->nbindings) {
		struct vault_binding *nb = calloc(in->nbindings, sizeof(*nb));
		if (!nb)
			return reterr_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < m->nbindings; i++) {
			free(m->bindings[i].env);
			free(m->bindings[i].field);
		}
		free(m->bindings);
		m->bindings = nb;
		m->nbindings = in->nbindings;
		for (size_t i = 0; i < in->nbindings; i++) {
			const char *f = in->bindings[i].field ? in->bindings[i].field : "";
			if (!(nb[i].env = strdup(in->bindings[i].env)) ||
			    !(nb[i].field = strdup(f)))
				return reterr_set(err, -ENOMEM, "out of memory");
		}
	}
	if (!m->has_value && m->nfields == 0)
		return reterr_set(err, -EINVAL, "a secret needs a value or at least one field");
	for (size_t i = 0; i < m->nbindings; i++) {
		const char *f = m->bindings[i].field;
		if (*f ? field_find(m, f) < 0 : !m->has_value)
			return reterr_set(err, -EINVAL, "binding %s refers to a missing %s",
					  m->bindings[i].env, *f ? "field" : "value");
	}
	return 0;
}

static int row_store(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], uint64_t version,
		     const struct buf *meta, const struct secret *values, struct reterr *err)
{
	unsigned char mn[VAULT_NONCE_BYTES], vn[VAULT_NONCE_BYTES];
	unsigned char *mc = NULL, *vc = NULL;
	sqlite3_stmt *q = NULL;
	int r = seal(v, id, version, 'm', (const unsigned char *)meta->data, meta->len, mn, &mc);
	if (r == 0)
		r = seal(v, id, version, 'v', values->data, values->len, vn, &vc);
	if (r < 0) {
		r = reterr_set(err, r, "out of memory");
		goto out;
	}
	if ((r = vdb_prepare(v,
			     "INSERT OR REPLACE INTO secrets(id, version, meta_nonce, meta, "
			     "value_nonce, value) VALUES (?, ?, ?, ?, ?, ?)",
			     &q, err)) < 0)
		goto out;
	if (vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) < 0 ||
	    sqlite3_bind_int64(q, 2, (int64_t)version) != SQLITE_OK ||
	    vdb_bind_blob(q, 3, mn, sizeof(mn)) < 0 ||
	    vdb_bind_blob(q, 4, mc, meta->len + VAULT_TAG_BYTES) < 0 ||
	    vdb_bind_blob(q, 5, vn, sizeof(vn)) < 0 ||
	    vdb_bind_blob(q, 6, vc, values->len + VAULT_TAG_BYTES) < 0) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	int rc = sqlite3_step(q);
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "writing a secret");
out:
	sqlite3_finalize(q);
	free(mc);
	free(vc);
	return r;
}

/* Store m with its values as the row of id under a new version and update the manifest, in the
 * caller's transaction (st advanced). */
static int row_write(struct vault *v, struct vault_state *st,
		     const unsigned char id[VAULT_HASH_BYTES], bool had_old, int64_t old_version,
		     const struct vault_meta *m, const unsigned char *value,
		     const unsigned char *const *fv, const size_t *fl, struct reterr *err)
{
	struct buf mb = BUF_INIT;
	struct secret *values = NULL;
	uint64_t version = st->gen + 1;
	int r;
	if ((r = vault_meta_encode(m, &mb)) < 0 ||
	    (r = vault_values_encode(m->has_value, value, m->value_len, fv, fl, m->nfields,
				     &values)) < 0) {
		reterr_set(err, r, r == -ENOMEM ? "out of memory" : "secret too large");
		goto out;
	}
	if ((r = row_store(v, id, version, &mb, values, err)) < 0)
		goto out;
	r = vault_manifest_apply(v, st, id, had_old, (uint64_t)old_version, false, version, err);
out:
	if (mb.data)
		sodium_memzero(mb.data, mb.cap);
	buf_release(&mb);
	secret_free(values);
	return r;
}

int vault_set_locked(struct vault *v, struct vault_state *st, const struct vault_set_in *in,
		     const struct vault_set_opts *o, bool *ret_created, struct reterr *err)
{
	struct vault_entry old = { 0 };
	struct vault_meta m = { 0 };
	const unsigned char *fv[VAULT_FIELDS_MAX] = { 0 };
	size_t fl[VAULT_FIELDS_MAX] = { 0 };
	const unsigned char *value = NULL;
	unsigned char id[VAULT_HASH_BYTES];
	int64_t old_version = 0;
	uint64_t old_size = 0;
	int r = vault_set_in_check(in, err);
	if (r < 0)
		return r;
	name_hash(v, in->key, id);
	if ((r = entry_load(v, in->key, id, !(o && o->only_new), &old, &old_version, err)) < 0)
		goto out;
	bool created = r == 0;
	if (!created && o && o->only_new) {
		r = reterr_set(err, -EEXIST, "a secret named %s exists", in->key);
		goto out;
	}
	int64_t now = clock_now();
	/* A replaced secret starts afresh like a new one, keeping only its creation time (its
	 * history saves the old row as for any update). */
	if (created || (o && o->replace)) {
		if (created && st->count >= VAULT_SECRETS_MAX) {
			r = reterr_set(err, -E2BIG, "vault is full (%d secrets)",
				       VAULT_SECRETS_MAX);
			goto out;
		}
		m.tags = calloc(1, sizeof(char *));
		if (!m.tags || !(m.key = strdup(in->key))) {
			r = reterr_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		m.created_at = !created			? old.meta.created_at
			       : o && o->created_at > 0 ? o->created_at
							: now;
		old_size = created ? 0 : vault_entry_size(&old);
	} else {
		old_size = vault_entry_size(&old);
		m = old.meta;
		memset(&old.meta, 0, sizeof(old.meta));
		for (size_t i = 0; i < m.nfields; i++) {
			fv[i] = old.field_values[i];
			fl[i] = old.field_lens[i];
		}
		value = old.value;
	}
	m.updated_at = o && o->updated_at > 0 ? o->updated_at : now;
	if ((r = merge(&m, in, fv, fl, &value, err)) < 0 ||
	    (!created && (r = vault_history_push(v, id, old_size, err)) < 0) ||
	    (r = row_write(v, st, id, !created, old_version, &m, value, fv, fl, err)) < 0 ||
	    (in->folder && (r = vault_folder_file(v, id, in->folder, err)) < 0))
		goto out;
	if (ret_created)
		*ret_created = created;
	r = 0;
out:
	vault_meta_release(&m);
	vault_entry_release(&old);
	sodium_memzero(fv, sizeof(fv));
	sodium_memzero(fl, sizeof(fl));
	return r;
}

int vault_set(struct vault *v, const struct vault_set_in *in, bool *ret_created, struct reterr *err)
{
	struct vault_state st;
	bool created = false;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if (!in)
		return reterr_set(err, -EINVAL, "nothing to set");
	if ((r = vault_set_in_check(in, err)) < 0)
		return r;
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	char detail[32];
	/* One clock reading for the row and its entry: recovery compares the two (rolled back). */
	int64_t now = clock_now();
	struct vault_set_opts o = { .created_at = now, .updated_at = now };
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = vault_set_locked(v, &st, in, &o, &created, err)) < 0)
		goto out;
	snprintf(detail, sizeof(detail), "{\"created\":%s}", created ? "true" : "false");
	struct audit_event ev = {
		.action = "secret.set", .keys = in->key, .success = true, .detail = detail
	};
	if ((r = audit_append_locked(v, &st, &ev, now, v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto out;
	if (ret_created)
		*ret_created = created;
	r = 0;
out:
	vdb_rollback(v); /* no-op after a commit */
	return r;
}

/* In the open transaction: audit a refused change of key (err's message is the reason) and
 * commit that record alone; the refusal's code is kept. */
static int audit_refusal(struct vault *v, struct vault_state *st, const char *action,
			 const char *key, int r, struct reterr *err)
{
	struct reterr e2;
	if (audit_in_tx(v, st, action, key, false, reterr_str(err, r), NULL, &e2) == 0)
		(void)vdb_commit(v, &e2);
	return r;
}

int vault_secret_rewrite(struct vault *v, const char *key, const char *action,
			 vault_rewrite_fn change, void *ctx, struct reterr *err)
{
	struct vault_entry e = { 0 };
	struct vault_state st;
	struct buf detail = BUF_INIT;
	unsigned char id[VAULT_HASH_BYTES];
	int64_t version = 0;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_key_check(key, err)) < 0)
		return r;
	name_hash(v, key, id);
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = entry_load(v, key, id, true, &e, &version, err)) < 0)
		goto out;
	if (r == 0) {
		r = audit_refusal(v, &st, action, key,
				  reterr_set(err, -ENOENT, "no secret named %s", key), err);
		goto out;
	}
	uint64_t old_size = vault_entry_size(&e);
	r = change(&e, ctx, &detail, err);
	if (r < 0) {
		audit_refusal(v, &st, action, key, r, err);
	} else if (r == 0) {
		if ((r = audit_in_tx(v, &st, action, key, true, NULL, detail.data, err)) == 0)
			r = vdb_commit(v, err);
	} else {
		e.meta.updated_at = clock_now();
		/* The row being replaced is kept in the history, as vault_set keeps it. */
		if ((r = vault_history_push(v, id, old_size, err)) == 0 &&
		    (r = row_write(v, &st, id, true, version, &e.meta, e.value,
				   (const unsigned char *const *)e.field_values, e.field_lens,
				   err)) == 0 &&
		    (r = audit_in_tx(v, &st, action, key, true, NULL, detail.data, err)) == 0)
			r = vdb_commit(v, err);
	}
out:
	vdb_rollback(v); /* no-op after a commit */
	vault_entry_release(&e);
	buf_release(&detail);
	return r < 0 ? r : 0;
}
/* ---- get / list / delete ---------------------------------------------------------------------- */

int vault_get(struct vault *v, const char *key, unsigned flags, struct vault_entry **ret,
	      struct reterr *err)
{
	struct vault_entry *e = NULL;
	struct vault_state st;
	unsigned char id[VAULT_HASH_BYTES];
	int64_t version = 0;
	bool audit = !(flags & VAULT_GET_NO_AUDIT);
	bool values = !(flags & VAULT_GET_META_ONLY);
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_key_check(key, err)) < 0)
		return r;
	e = calloc(1, sizeof(*e));
	if (!e)
		return reterr_set(err, -ENOMEM, "out of memory");
	name_hash(v, key, id);
	if (audit) {
		/* Read and audit in one write transaction: no read escapes the log. */
		if ((r = vdb_begin(v, err)) < 0)
			goto out;
		if ((r = vault_state_load(v, &st, err)) < 0)
			goto out;
	}
	r = entry_load(v, key, id, values, e, &version, err);
	if (r < 0)
		goto out;
	if (r == 0) {
		r = reterr_set(err, -ENOENT, "no secret named %s", key);
		if (audit) {
			struct reterr e2;
			int a = audit_in_tx(v, &st, "secret.get", key, false, "not found", NULL,
					    &e2);
			if (a == 0)
				a = vdb_commit(v, &e2);
			if (a < 0) {
				r = a;
				if (err)
					*err = e2;
			}
		}
		goto out;
	}
	if (audit) {
		if ((r = audit_in_tx(v, &st, "secret.get", key, true, NULL,
				     values ? NULL : "{\"meta_only\":true}", err)) < 0)
			goto out;
		if ((r = vdb_commit(v, err)) < 0)
			goto out;
	}
	*ret = e;
	e = NULL;
	r = 0;
out:
	vdb_rollback(v); /* no-op after a commit */
	vault_entry_free(e);
	return r;
}

static int meta_cmp(const void *a, const void *b)
{
	return strcmp(((const struct vault_meta *)a)->key, ((const struct vault_meta *)b)->key);
}

int vault_list(struct vault *v, const char *pattern, unsigned flags, struct vault_meta **ret,
	       size_t *ret_n, struct reterr *err)
{
	struct vault_meta *a = NULL;
	size_t n = 0, cap = 0;
	struct scratch scratch = { 0 };
	sqlite3_stmt *q = NULL;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	/* One statement = one read snapshot; only meta blobs are fetched and decrypted. */
	if ((r = vdb_prepare(v, "SELECT id, version, meta_nonce, meta FROM secrets", &q, err)) < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		unsigned char id[VAULT_HASH_BYTES];
		struct row row = { 0 };
		size_t nn;
		char hid[HEXID_SIZE] = "?";
		struct vault_meta m = { 0 };
		bool id_ok = vdb_col_blob_exact(q, 0, id, sizeof(id)) == 0;
		if (id_ok)
			hexid(id, hid);
		if (!id_ok || vdb_col_i64(q, 1, &row.version) < 0 || row.version < 0 ||
		    vdb_col_blob(q, 2, VAULT_NONCE_BYTES, VAULT_NONCE_BYTES, &row.mnonce, &nn) <
			    0 ||
		    vdb_col_blob(q, 3, VAULT_TAG_BYTES, VAULT_META_MAX + VAULT_TAG_BYTES, &row.meta,
				 &row.meta_len) < 0) {
			r = reterr_set(err, -EBADMSG,
				       "secret row %s is malformed (vault tampered with?)", hid);
			goto out;
		}
		if ((r = meta_open(v, id, &row, &scratch, &m)) < 0) {
			reterr_set(err, r,
				   r == -EBADMSG
					   ? "secret row %s does not authenticate (altered or "
					     "copied from another secret; see `secretctl "
					     "recover --dry-run`)"
					   : "cannot read secret row %s",
				   hid);
			goto out;
		}
		if (pattern && !glob_match(pattern, m.key)) {
			vault_meta_release(&m);
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct vault_meta *na = realloc(a, nc * sizeof(*na));
			if (!na) {
				vault_meta_release(&m);
				r = reterr_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			a = na;
			cap = nc;
		}
		a[n++] = m;
	}
	if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "listing secrets");
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (n > 1)
		qsort(a, n, sizeof(*a), meta_cmp);
	if (!(flags & VAULT_GET_NO_AUDIT)) {
		struct vault_state st;
		char detail[48];
		snprintf(detail, sizeof(detail), "{\"count\":%zu}", n);
		if ((r = vdb_begin(v, err)) < 0)
			goto out;
		if ((r = vault_state_load(v, &st, err)) < 0 ||
		    (r = audit_in_tx(v, &st, "secret.list", pattern ? pattern : "", true, NULL,
				     detail, err)) < 0 ||
		    (r = vdb_commit(v, err)) < 0) {
			vdb_rollback(v);
			goto out;
		}
	}
	if (!a && !(a = calloc(1, sizeof(*a)))) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	*ret = a;
	*ret_n = n;
	a = NULL;
	n = 0;
	r = 0;
out:
	sqlite3_finalize(q);
	scratch_release(&scratch);
	vault_meta_array_free(a, n);
	return r;
}

int vault_delete(struct vault *v, const char *key, struct reterr *err)
{
	struct vault_state st;
	struct vault_entry e = { 0 };
	unsigned char id[VAULT_HASH_BYTES];
	int64_t version = 0;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_key_check(key, err)) < 0)
		return r;
	name_hash(v, key, id);
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) < 0)
		goto out;
	/* Authenticate the row's meta first: only delete what really is this key. */
	if ((r = entry_load(v, key, id, false, &e, &version, err)) < 0)
		goto out;
	if (r == 0) {
		r = reterr_set(err, -ENOENT, "no secret named %s", key);
		struct reterr e2;
		if (audit_in_tx(v, &st, "secret.delete", key, false, "not found", NULL, &e2) == 0)
			(void)vdb_commit(v, &e2);
		goto out;
	}
	if ((r = vault_row_delete(v, &st, id, version, err)) < 0 ||
	    (r = audit_in_tx(v, &st, "secret.delete", key, true, NULL, NULL, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto out;
	r = 0;
out:
	vdb_rollback(v);
	vault_entry_release(&e);
	return r;
}

/* ---- row helpers for the verbs above this file (vault-internal.h) ------------------------------ */

void vault_name_hash(const struct vault *v, const char *key, unsigned char id[VAULT_HASH_BYTES])
{
	name_hash(v, key, id);
}

int vault_entry_load(struct vault *v, const char *key, const unsigned char id[VAULT_HASH_BYTES],
		     bool want_values, struct vault_entry *e, int64_t *ret_version,
		     struct reterr *err)
{
	return entry_load(v, key, id, want_values, e, ret_version, err);
}

int vault_audit_in_tx(struct vault *v, struct vault_state *st, const char *action, const char *key,
		      bool success, const char *error, const char *detail, struct reterr *err)
{
	return audit_in_tx(v, st, action, key, success, error, detail, err);
}

uint64_t vault_entry_size(const struct vault_entry *e)
{
	uint64_t n = e->meta.has_value ? e->value_len : 0;
	for (size_t i = 0; e->field_lens && i < e->meta.nfields; i++)
		n += e->field_lens[i];
	return n;
}

int vault_entry_store(struct vault *v, struct vault_state *st,
		      const unsigned char id[VAULT_HASH_BYTES], const struct vault_meta *m,
		      const struct vault_entry *e, bool had_old, int64_t old_version,
		      struct reterr *err)
{
	struct buf mb = BUF_INIT;
	struct secret *values = NULL;
	uint64_t version = st->gen + 1;
	int r = vault_meta_encode(m, &mb);
	if (r == 0)
		r = vault_values_encode(m->has_value, e->value, m->value_len, e->field_values,
					e->field_lens, m->nfields, &values);
	if (r < 0)
		reterr_set(err, r, r == -ENOMEM ? "out of memory" : "secret too large");
	else if ((r = row_store(v, id, version, &mb, values, err)) == 0)
		r = vault_manifest_apply(v, st, id, had_old, (uint64_t)old_version, false, version,
					 err);
	if (mb.data)
		sodium_memzero(mb.data, mb.cap);
	buf_release(&mb);
	secret_free(values);
	return r;
}

int vault_row_seal(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], uint64_t version,
		   const struct vault_meta *m, const struct vault_entry *e,
		   struct vault_row_blobs *ret, struct reterr *err)
{
	struct buf mb = BUF_INIT;
	struct secret *values = NULL;
	struct vault_row_blobs b = { 0 };
	int r = vault_meta_encode(m, &mb);
	if (r == 0)
		r = vault_values_encode(m->has_value, e->value, m->value_len, e->field_values,
					e->field_lens, m->nfields, &values);
	if (r == 0 && (r = seal(v, id, version, 'm', (const unsigned char *)mb.data, mb.len,
				b.mnonce, &b.meta)) == 0) {
		b.meta_len = mb.len + VAULT_TAG_BYTES;
		if ((r = seal(v, id, version, 'v', values->data, values->len, b.vnonce,
			      &b.value)) == 0)
			b.value_len = values->len + VAULT_TAG_BYTES;
	}
	if (r < 0) {
		reterr_set(err, r, r == -ENOMEM ? "out of memory" : "secret too large");
		vault_row_blobs_release(&b);
	} else {
		*ret = b;
	}
	if (mb.data)
		sodium_memzero(mb.data, mb.cap);
	buf_release(&mb);
	secret_free(values);
	return r;
}

int vault_row_delete(struct vault *v, struct vault_state *st,
		     const unsigned char id[VAULT_HASH_BYTES], int64_t version, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, "DELETE FROM secrets WHERE id = ?", &q, err);
	if (r < 0)
		return r;
	int rc = vdb_bind_blob(q, 1, id, VAULT_HASH_BYTES) < 0 ? SQLITE_NOMEM : sqlite3_step(q);
	r = rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "deleting a secret");
	sqlite3_finalize(q);
	if (r == 0)
		r = vault_history_purge(v, id, err);
	if (r == 0)
		r = vault_folder_link(v, id, NULL, err);
	if (r == 0)
		r = vault_manifest_apply(v, st, id, true, (uint64_t)version, true, 0, err);
	return r;
}

/* ---- examining rows (recovery) ---------------------------------------------------------------- */

int vault_row_examine(const struct vault *v, sqlite3_stmt *q, struct vault_row_check *ret)
{
	struct vault_entry e = { 0 };
	struct scratch scratch = { 0 };
	struct row row;
	unsigned char want[VAULT_HASH_BYTES];
	int r;
	memset(ret, 0, sizeof(*ret));
	ret->n = sqlite3_column_int64(q, 0);
	ret->id_ok = vdb_col_blob_exact(q, 1, ret->id, sizeof(ret->id)) == 0;
	if (!ret->id_ok || row_read(q, 2, &row) < 0) {
		ret->problem = "malformed: a column has the wrong type or size";
		return 0;
	}
	ret->version = row.version;
	r = meta_open(v, ret->id, &row, &scratch, &e.meta);
	scratch_release(&scratch);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		ret->problem = "its name and metadata do not authenticate (altered, copied from "
			       "another row or vault, or corrupted)";
		return 0;
	}
	ret->updated_at = e.meta.updated_at;
	ret->key = strdup(e.meta.key);
	name_hash(v, e.meta.key, want);
	if (!ret->key)
		r = -ENOMEM;
	else if (sodium_memcmp(want, ret->id, VAULT_HASH_BYTES) != 0)
		ret->problem = "its row id does not match its name";
	else if ((r = values_open(v, ret->id, &row, &e)) == -EBADMSG)
		ret->problem = "its value does not authenticate (altered or corrupted)";
	vault_entry_release(&e);
	return r == -ENOMEM ? r : 0;
}

void vault_row_id(const struct vault *v, const char *key, unsigned char id[VAULT_HASH_BYTES])
{
	name_hash(v, key, id);
}
