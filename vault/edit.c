/* SPDX-License-Identifier: Apache-2.0 */
/* vault edit: change an existing secret without touching its values (metadata, removed fields,
 * sensitivity, bindings, its folder) as one audited row rewrite, naming what changed and nothing
 * else. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What an edit changed, for the audit detail and the caller. */
enum edit_change {
	CH_NOTES = 1u << 0,
	CH_URL = 1u << 1,
	CH_TAGS = 1u << 2,
	CH_EXPIRES = 1u << 3,
	CH_FIELDS = 1u << 4,
	CH_SENSITIVITY = 1u << 5,
	CH_BINDINGS = 1u << 6,
	CH_FOLDER = 1u << 7, /* a link beside the row: the row itself is not rewritten for it */
};
static const char *const change_names[] = { "notes",  "url",	     "tags",	 "expires",
					    "fields", "sensitivity", "bindings", "folder" };

struct edit {
	struct vault *v;
	const struct vault_edit_in *in;
	unsigned changed;
	/* names for the audit detail: borrowed from in */
	const char *sens[VAULT_FIELDS_MAX], *unsens[VAULT_FIELDS_MAX];
	size_t nsens, nunsens;
	const char *bound[VAULT_BINDINGS_MAX], *unbound[VAULT_BINDINGS_MAX];
	size_t nbound, nunbound;
};

static bool names_ok(const char *const *v, size_t n, size_t max)
{
	if (n > max || (n && !v))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!v[i])
			return false;
	return true;
}

static int input_check(const struct vault_edit_in *in, struct reterr *err)
{
	/* What a vault_set_in can also hold goes through the same checks. */
	struct vault_set_in s = {
		.key = in->key,
		.notes = in->notes,
		.url = in->url,
		.tags = in->tags,
		.set_expires = in->set_expires,
		.expires_at = in->expires_at,
		.sensitive = in->sensitive,
		.nsensitive = in->nsensitive,
		.bindings = in->bindings,
		.nbindings = in->nbindings,
	};
	int r = vault_set_in_check(&s, err);
	if (r < 0)
		return r;
	if (!names_ok(in->remove_fields, in->nremove_fields, VAULT_FIELDS_MAX) ||
	    !names_ok(in->not_sensitive, in->nnot_sensitive, VAULT_FIELDS_MAX) ||
	    !names_ok(in->unbind, in->nunbind, VAULT_BINDINGS_MAX))
		return reterr_set(err, -EINVAL, "invalid list of fields or bindings to edit");
	if (in->folder && *in->folder && (r = vault_folder_path_check(in->folder, err)) < 0)
		return r;
	for (size_t i = 0; i < in->nsensitive; i++)
		for (size_t j = 0; j < in->nnot_sensitive; j++)
			if (!strcmp(in->sensitive[i], in->not_sensitive[j]))
				return reterr_set(err, -EINVAL,
						  "field %.64s cannot be marked both sensitive and "
						  "not sensitive",
						  in->sensitive[i]);
	return 0;
}

static ssize_t field_index(const struct vault_meta *m, const char *name)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (!strcmp(m->fields[i].name, name))
			return (ssize_t)i;
	return -1;
}

static ssize_t binding_index(const struct vault_meta *m, const char *env)
{
	for (size_t i = 0; i < m->nbindings; i++)
		if (!strcmp(m->bindings[i].env, env))
			return (ssize_t)i;
	return -1;
}

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* notes/url: "" stores nothing. */
static int text_set(char **slot, const char *s, unsigned bit, unsigned *changed)
{
	if (!s || same_str(*slot, s))
		return 0;
	char *n = NULL;
	if (*s && !(n = strdup(s)))
		return -ENOMEM;
	free(*slot);
	*slot = n;
	*changed |= bit;
	return 0;
}

static bool tags_equal(char *const *a, char *const *b)
{
	size_t n = strv_len(a);
	if (n != strv_len(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static int meta_apply(struct vault_meta *m, const struct vault_edit_in *in, unsigned *changed,
		      struct reterr *err)
{
	if (text_set(&m->notes, in->notes, CH_NOTES, changed) < 0 ||
	    text_set(&m->url, in->url, CH_URL, changed) < 0)
		return reterr_set(err, -ENOMEM, "out of memory");
	if (in->tags && !tags_equal(m->tags, in->tags)) {
		char **t = strv_dup(in->tags);
		if (!t)
			return reterr_set(err, -ENOMEM, "out of memory");
		strv_free(m->tags);
		m->tags = t;
		*changed |= CH_TAGS;
	}
	if (in->set_expires && m->expires_at != in->expires_at) {
		m->expires_at = in->expires_at;
		*changed |= CH_EXPIRES;
	}
	return 0;
}

/* Drop field k with its value pointer (the bytes stay in the blob until it is freed). */
static void field_drop(struct vault_entry *e, size_t k)
{
	struct vault_meta *m = &e->meta;
	size_t rest = m->nfields - k - 1;
	free(m->fields[k].name);
	memmove(&m->fields[k], &m->fields[k + 1], rest * sizeof(m->fields[0]));
	memmove(&e->field_values[k], &e->field_values[k + 1], rest * sizeof(e->field_values[0]));
	memmove(&e->field_lens[k], &e->field_lens[k + 1], rest * sizeof(e->field_lens[0]));
	m->nfields--;
}

static int fields_apply(struct vault_entry *e, struct edit *ed, struct reterr *err)
{
	const struct vault_edit_in *in = ed->in;
	struct vault_meta *m = &e->meta;
	for (size_t i = 0; i < in->nremove_fields; i++) {
		ssize_t k = field_index(m, in->remove_fields[i]);
		if (k < 0)
			return reterr_set(err, -EINVAL,
					  "cannot remove field %.64s: %s has no such "
					  "field",
					  in->remove_fields[i], m->key);
		field_drop(e, (size_t)k);
		ed->changed |= CH_FIELDS;
	}
	for (size_t pass = 0; pass < 2; pass++) {
		const char *const *names = pass ? in->not_sensitive : in->sensitive;
		size_t n = pass ? in->nnot_sensitive : in->nsensitive;
		for (size_t i = 0; i < n; i++) {
			ssize_t k = field_index(m, names[i]);
			if (k < 0)
				return reterr_set(err, -EINVAL,
						  "cannot mark field %.64s %s: %s has "
						  "no such field",
						  names[i], pass ? "not sensitive" : "sensitive",
						  m->key);
			if (m->fields[k].sensitive == !pass)
				continue;
			m->fields[k].sensitive = !pass;
			ed->changed |= CH_SENSITIVITY;
			if (pass)
				ed->unsens[ed->nunsens++] = names[i];
			else
				ed->sens[ed->nsens++] = names[i];
		}
	}
	return 0;
}

static void binding_drop(struct vault_meta *m, size_t k)
{
	free(m->bindings[k].env);
	free(m->bindings[k].field);
	memmove(&m->bindings[k], &m->bindings[k + 1],
		(m->nbindings - k - 1) * sizeof(m->bindings[0]));
	m->nbindings--;
}

/* Bind env to field (NULL: the single value): replace its binding or add one. */
static int binding_put(struct vault_meta *m, const struct vault_binding *b, bool *ret_changed)
{
	const char *field = b->field ? b->field : "";
	ssize_t k = binding_index(m, b->env);
	if (k >= 0 && !strcmp(m->bindings[k].field, field))
		return 0;
	char *f = strdup(field);
	if (!f)
		return -ENOMEM;
	if (k >= 0) {
		free(m->bindings[k].field);
		m->bindings[k].field = f;
	} else {
		struct vault_binding *nb = NULL;
		char *env = strdup(b->env);
		if (m->nbindings < VAULT_BINDINGS_MAX && env)
			nb = realloc(m->bindings, (m->nbindings + 1) * sizeof(*nb));
		if (!nb) {
			free(env);
			free(f);
			return m->nbindings < VAULT_BINDINGS_MAX ? -ENOMEM : -E2BIG;
		}
		m->bindings = nb;
		nb[m->nbindings++] = (struct vault_binding){ .env = env, .field = f };
	}
	*ret_changed = true;
	return 0;
}

static int bindings_apply(struct vault_meta *m, struct edit *ed, struct reterr *err)
{
	const struct vault_edit_in *in = ed->in;
	/* Every binding named for removal must exist, even when all are cleared too. */
	for (size_t i = 0; i < in->nunbind; i++) {
		ssize_t k = binding_index(m, in->unbind[i]);
		if (k < 0)
			return reterr_set(err, -EINVAL,
					  "cannot unbind %.128s: %s has no such "
					  "binding",
					  in->unbind[i], m->key);
		binding_drop(m, (size_t)k);
		ed->unbound[ed->nunbound++] = in->unbind[i];
		ed->changed |= CH_BINDINGS;
	}
	if (in->clear_bindings && m->nbindings) {
		while (m->nbindings)
			binding_drop(m, m->nbindings - 1);
		ed->changed |= CH_BINDINGS;
	}
	for (size_t i = 0; i < in->nbindings; i++) {
		bool changed = false;
		int r = binding_put(m, &in->bindings[i], &changed);
		if (r < 0)
			return reterr_set(err, r,
					  r == -E2BIG ? "too many bindings (limit %d)"
						      : "out of memory",
					  VAULT_BINDINGS_MAX);
		if (changed) {
			ed->bound[ed->nbound++] = in->bindings[i].env;
			ed->changed |= CH_BINDINGS;
		}
	}
	return 0;
}

/* What must hold after any edit: something to store, and every binding naming something. */
static int result_check(const struct vault_meta *m, struct reterr *err)
{
	if (!m->has_value && m->nfields == 0)
		return reterr_set(err, -EINVAL,
				  "%s would have neither a value nor a field; delete it instead",
				  m->key);
	for (size_t i = 0; i < m->nbindings; i++) {
		const char *f = m->bindings[i].field;
		if (*f ? field_index(m, f) >= 0 : m->has_value)
			continue;
		if (*f)
			return reterr_set(err, -EINVAL,
					  "binding %s names field %s, which %s does "
					  "not have (any more): unbind or rebind it in the same "
					  "edit",
					  m->bindings[i].env, f, m->key);
		return reterr_set(err, -EINVAL,
				  "binding %s names the single value, which %s "
				  "does not have",
				  m->bindings[i].env, m->key);
	}
	return 0;
}

static void detail_names(struct outbuf *o, const char *label, const char *const *v, size_t n)
{
	if (!n)
		return;
	outbuf_printf(o, ",\"%s\":[", label);
	for (size_t i = 0; i < n; i++) {
		outbuf_puts(o, i ? "," : "");
		outbuf_json_cstr(o, v[i]);
	}
	outbuf_puts(o, "]");
}

/* File the secret in in->folder ("" none) inside the rewrite's transaction, when it is not there
 * already. */
static int folder_apply(struct edit *ed, struct reterr *err)
{
	const char *to = ed->in->folder;
	struct vault_folder_tree *t = NULL;
	unsigned char id[VAULT_HASH_BYTES];
	if (!to)
		return 0;
	int r = vault_folder_tree_load(ed->v, &t, err);
	if (r < 0)
		return r;
	ssize_t want = *to ? vault_folder_tree_find(t, to) : -1;
	if (*to && want < 0) {
		r = reterr_set(err, -ENOENT, "no folder named %s (see 'secretctl folder list')",
			       to);
		goto out;
	}
	vault_name_hash(ed->v, ed->in->key, id);
	const unsigned char *cur = NULL;
	for (size_t i = 0; i < t->nlinks && !cur; i++)
		if (!memcmp(t->links[i].id, id, sizeof(id)))
			cur = t->links[i].fid;
	const unsigned char *fid = want < 0 ? NULL : t->f[want].fid;
	if (fid ? !(cur && !memcmp(cur, fid, VAULT_FOLDER_ID_BYTES)) : cur != NULL) {
		if ((r = vault_folder_link(ed->v, id, fid, err)) == 0)
			ed->changed |= CH_FOLDER;
	}
out:
	vault_folder_tree_free(t);
	return r;
}

/* The audit detail: which attributes changed, and the names of fields and bindings involved;
 * never a value, note, URL or tag. */
static int detail_write(const struct edit *ed, struct buf *detail)
{
	struct outbuf o;
	outbuf_init_buf(&o, detail);
	outbuf_puts(&o, "{\"changed\":[");
	for (size_t i = 0, n = 0; i < ARRAY_SIZE(change_names); i++) {
		if (!(ed->changed & (1u << i)))
			continue;
		outbuf_puts(&o, n++ ? "," : "");
		outbuf_json_cstr(&o, change_names[i]);
	}
	outbuf_puts(&o, "]");
	detail_names(&o, "fields_removed", ed->in->remove_fields, ed->in->nremove_fields);
	detail_names(&o, "sensitive", ed->sens, ed->nsens);
	detail_names(&o, "not_sensitive", ed->unsens, ed->nunsens);
	detail_names(&o, "bindings_set", ed->bound, ed->nbound);
	detail_names(&o, "bindings_removed", ed->unbound, ed->nunbound);
	if (ed->in->clear_bindings)
		outbuf_puts(&o, ",\"bindings_cleared\":true");
	if (ed->changed & CH_FOLDER) {
		/* A path, as `secret.move` records it (checked: no value can be in it). */
		outbuf_puts(&o, ",\"folder\":");
		outbuf_json_cstr(&o, ed->in->folder);
	}
	outbuf_puts(&o, "}");
	return outbuf_finish(&o);
}

static int apply(struct vault_entry *e, void *ctx, struct buf *detail, struct reterr *err)
{
	struct edit *ed = ctx;
	int r;
	if ((r = meta_apply(&e->meta, ed->in, &ed->changed, err)) < 0 ||
	    (r = fields_apply(e, ed, err)) < 0 || (r = bindings_apply(&e->meta, ed, err)) < 0 ||
	    (r = result_check(&e->meta, err)) < 0 || (r = folder_apply(ed, err)) < 0)
		return r;
	if (detail_write(ed, detail) < 0)
		return reterr_set(err, -ENOMEM, "out of memory");
	/* A folder change alone commits the link and its audit entry without a new row. */
	return ed->changed & ~(unsigned)CH_FOLDER ? 1 : 0;
}

static char *changed_list(unsigned changed)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(change_names); i++) {
		if (!(changed & (1u << i)))
			continue;
		if ((b.len && buf_putc(&b, ',') < 0) || buf_puts(&b, change_names[i]) < 0) {
			buf_release(&b);
			return NULL;
		}
	}
	return buf_detach(&b);
}

int vault_edit(struct vault *v, const struct vault_edit_in *in, char **ret_changed,
	       struct reterr *err)
{
	struct edit ed = { .v = v, .in = in };
	if (!in)
		return reterr_set(err, -EINVAL, "nothing to edit");
	int r = input_check(in, err);
	if (r < 0)
		return r;
	r = vault_secret_rewrite(v, in->key, "secret.edit", apply, &ed, err);
	if (r < 0)
		return r;
	if (ret_changed) {
		char *c = changed_list(ed.changed);
		if (!c)
			return reterr_set(err, -ENOMEM, "out of memory (the edit was stored)");
		*ret_changed = c;
	}
	return 0;
}
