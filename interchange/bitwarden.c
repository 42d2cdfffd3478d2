/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: Bitwarden's unencrypted JSON export (Tools > Export vault > .json; `bw export
 * --format json`): {"encrypted": false, "folders": [{id, name}], "items": [{type, name,
 * folderId, notes, fields: [{name, value, type}], login | secureNote | card | identity |
 * sshKey, creationDate, revisionDate, deletedDate, ...}]}. Each item becomes one secret whose
 * fields are the item's; docs/import-export.md has the mapping. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Field maps of the item types: Bitwarden's member -> our field name, sensitive or not. */
struct fmap {
	const char *from, *to;
	bool sensitive;
};

static const struct fmap login_map[] = {
	{ "username", "username", false },
	{ "password", "password", true },
	{ "totp", "totp", true },
	{ NULL, NULL, false },
};
static const struct fmap card_map[] = {
	{ "cardholderName", "cardholder_name", false },
	{ "brand", "brand", false },
	{ "number", "number", true },
	{ "expMonth", "exp_month", false },
	{ "expYear", "exp_year", false },
	{ "code", "code", true },
	{ NULL, NULL, false },
};
static const struct fmap identity_map[] = {
	{ "title", "title", false },
	{ "firstName", "first_name", false },
	{ "middleName", "middle_name", false },
	{ "lastName", "last_name", false },
	{ "address1", "address1", false },
	{ "address2", "address2", false },
	{ "address3", "address3", false },
	{ "city", "city", false },
	{ "state", "state", false },
	{ "postalCode", "postal_code", false },
	{ "country", "country", false },
	{ "company", "company", false },
	{ "email", "email", false },
	{ "phone", "phone", false },
	{ "ssn", "ssn", true },
	{ "username", "username", false },
	{ "passportNumber", "passport_number", true },
	{ "licenseNumber", "license_number", true },
	{ NULL, NULL, false },
};
static const struct fmap ssh_map[] = {
	{ "privateKey", "private_key", true },
	{ "publicKey", "public_key", false },
	{ "keyFingerprint", "fingerprint", false },
	{ NULL, NULL, false },
};

struct bp {
	struct ix_doc *d;
	const struct ixj *j;
	bool preserve_case;
	struct reterr *err;
};

static int bad(struct bp *s, size_t node, const char *what)
{
	unsigned line = s->j->nodes[node].line;
	return reterr_set_at(s->err, -EINVAL, (int)line, 0, "line %u: %s", line, what);
}

static size_t get(struct bp *s, size_t obj, const char *name)
{
	return ixj_get(s->d, s->j, obj, name);
}

bool ix_bitwarden_is(const struct ix_doc *d, const struct ixj *j)
{
	size_t items = ixj_get(d, j, 0, "items");
	return items && j->nodes[items].type == IXJ_ARR &&
	       (ixj_get(d, j, 0, "encrypted") || ixj_get(d, j, 0, "folders") ||
		ixj_get(d, j, 0, "collections"));
}

/* A field from a string member (absent, null or "" adds nothing). */
static int map_field(struct bp *s, struct ix_item *it, size_t obj, const struct fmap *m)
{
	struct ix_span v;
	size_t node = get(s, obj, m->from);
	int r = ixj_string(s->j, node, &v);
	if (r < 0 && s->j->nodes[node].type == IXJ_NUM) { /* expMonth may be a number */
		v = s->j->nodes[node].str;
		r = 1;
	}
	if (r < 0) {
		char what[96];
		snprintf(what, sizeof(what), "\"%s\" must be a string", m->from);
		return bad(s, node, what);
	}
	if (r == 0 || v.len == 0)
		return 0;
	r = ix_item_field(s->d, it, m->to, v, m->sensitive);
	return r == -E2BIG ? bad(s, obj, "too many fields") : r;
}

static int map_fields(struct bp *s, struct ix_item *it, size_t obj, const struct fmap *map)
{
	if (!obj)
		return 0;
	if (s->j->nodes[obj].type != IXJ_OBJ)
		return bad(s, obj, "an item's details must be an object");
	for (const struct fmap *m = map; m->from; m++) {
		int r = map_field(s, it, obj, m);
		if (r < 0)
			return r;
	}
	return 0;
}

/* login.uris: the first is the URL, the others fields url_2, url_3 .... */
static int uris(struct bp *s, struct ix_item *it, size_t login)
{
	size_t list = login ? get(s, login, "uris") : 0;
	if (!list || s->j->nodes[list].type == IXJ_NULL)
		return 0;
	if (s->j->nodes[list].type != IXJ_ARR)
		return bad(s, list, "\"uris\" must be an array");
	unsigned k = 1;
	for (size_t u = s->j->nodes[list].child; u; u = s->j->nodes[u].next) {
		struct ix_span v;
		int r = ixj_string(s->j, s->j->nodes[u].type == IXJ_OBJ ? get(s, u, "uri") : u, &v);
		if (r < 0)
			return bad(s, u, "a URI must be a string");
		if (r == 0 || v.len == 0)
			continue;
		const unsigned char *p = ix_span_ptr(s->d, v);
		bool url_ok = v.len <= VAULT_URL_MAX && !memchr(p, 0, v.len);
		for (size_t i = 0; url_ok && i < v.len; i++)
			url_ok = p[i] >= 0x20 && p[i] != 0x7f;
		if (k == 1 && url_ok) {
			if ((r = ix_span_str(s->d, v, &it->url)) < 0)
				return reterr_set(s->err, r, "out of memory");
		} else {
			char name[16];
			snprintf(name, sizeof(name), "url_%u", k);
			if ((r = ix_item_field(s->d, it, k == 1 ? "url" : name, v, false)) < 0)
				return r == -E2BIG ? bad(s, u, "too many fields") : r;
		}
		k++;
	}
	return 0;
}

/* Custom fields: [{name, value, type}]: 0 text, 1 hidden (sensitive), 2 boolean, 3 linked (a
 * pointer to another field: nothing to store). */
static int custom(struct bp *s, struct ix_item *it, size_t list)
{
	if (!list || s->j->nodes[list].type == IXJ_NULL)
		return 0;
	if (s->j->nodes[list].type != IXJ_ARR)
		return bad(s, list, "\"fields\" must be an array");
	for (size_t f = s->j->nodes[list].child; f; f = s->j->nodes[f].next) {
		struct ix_span label, v;
		size_t type = get(s, f, "type");
		if (s->j->nodes[f].type != IXJ_OBJ)
			return bad(s, f, "a custom field must be an object");
		if (ixj_string(s->j, get(s, f, "name"), &label) < 0 ||
		    ixj_string(s->j, get(s, f, "value"), &v) < 0)
			return bad(s, f, "a custom field's name and value must be strings");
		bool hidden = type && s->j->nodes[type].type == IXJ_NUM &&
			      ix_span_eq(s->d, s->j->nodes[type].str, "1", false);
		if (v.len == 0)
			continue;
		char *lbl = NULL, *name = NULL;
		int r = ix_span_str(s->d, label, &lbl);
		if (r == 0)
			r = ix_field_name(it, lbl, s->preserve_case, &name);
		if (r == 0)
			r = ix_item_field(s->d, it, name, v, hidden);
		free(lbl);
		free(name);
		if (r == -E2BIG)
			return bad(s, f, "too many fields");
		if (r < 0)
			return r == -EINVAL ? bad(s, f, "a NUL byte in a field name")
					    : reterr_set(s->err, r, "out of memory");
	}
	return 0;
}

static int dates(struct bp *s, struct ix_item *it, size_t item)
{
	struct ix_span t;
	const char *names[2] = { "creationDate", "revisionDate" };
	int64_t *dst[2] = { &it->created_at, &it->updated_at };
	for (int i = 0; i < 2; i++) {
		char buf[40], *dot;
		if (ixj_string(s->j, get(s, item, names[i]), &t) <= 0 || t.len < 20 || t.len > 32)
			continue;
		memcpy(buf, ix_span_ptr(s->d, t), t.len);
		buf[t.len] = 0;
		/* "2024-01-02T03:04:05.678Z": drop the fraction. */
		if ((dot = strchr(buf, '.')) && buf[t.len - 1] == 'Z')
			memcpy(dot, "Z", 2);
		if (parse_time(buf, dst[i]) < 0)
			*dst[i] = 0;
	}
	return 0;
}

/* The item's own fields by type. */
static int details(struct bp *s, struct ix_item *it, size_t item, long type)
{
	int r = 0;
	size_t login = get(s, item, "login");
	switch (type) {
	case 1:
		if ((r = map_fields(s, it, login, login_map)) == 0)
			r = uris(s, it, login);
		break;
	case 3: r = map_fields(s, it, get(s, item, "card"), card_map); break;
	case 4: r = map_fields(s, it, get(s, item, "identity"), identity_map); break;
	case 5: r = map_fields(s, it, get(s, item, "sshKey"), ssh_map); break;
	default: break; /* 2, a secure note: its notes are the secret */
	}
	return r;
}

static int item(struct bp *s, size_t node, char **ret_folder_id)
{
	struct ix_span name, notes;
	size_t tn = get(s, node, "type"), del = get(s, node, "deletedDate");
	long type = 0;
	int r;
	if (s->j->nodes[node].type != IXJ_OBJ)
		return bad(s, node, "an item must be an object");
	if (del && s->j->nodes[del].type != IXJ_NULL)
		return 0; /* in the trash */
	if (!tn || s->j->nodes[tn].type != IXJ_NUM || s->j->nodes[tn].str.len != 1)
		return bad(s, node, "an item needs a \"type\" (1 to 5)");
	type = ix_span_ptr(s->d, s->j->nodes[tn].str)[0] - '0';
	if (ixj_string(s->j, get(s, node, "name"), &name) < 0 ||
	    ixj_string(s->j, get(s, node, "notes"), &notes) < 0)
		return bad(s, node, "an item's name and notes must be strings");
	struct ix_item *it = ix_item_add(s->d, s->j->nodes[node].line, &r);
	if (!it)
		return reterr_set(s->err, r, r == -E2BIG ? "too many items" : "out of memory");
	if ((r = ix_span_str(s->d, name, &it->name)) < 0)
		return r == -EINVAL ? bad(s, node, "a NUL byte in an item's name") : r;
	if ((r = details(s, it, node, type)) < 0 || (r = custom(s, it, get(s, node, "fields"))) < 0)
		return r;
	if (notes.len && (r = ix_item_field(s->d, it, "notes", notes, true)) < 0)
		return r == -E2BIG ? bad(s, node, "too many fields") : r;
	dates(s, it, node);
	if (!it->nfields)
		return ix_item_skip_empty(s->d);
	struct ix_span fid;
	if (ixj_string(s->j, get(s, node, "folderId"), &fid) > 0 &&
	    (r = ix_span_str(s->d, fid, ret_folder_id)) < 0)
		return r == -EINVAL ? bad(s, node, "a NUL byte in a folder id") : r;
	return 0;
}

/* The folder name of id (NULL when unknown). */
static char *folder_name(struct bp *s, const char *id)
{
	size_t list = get(s, 0, "folders");
	if (!id || !list || s->j->nodes[list].type != IXJ_ARR)
		return NULL;
	for (size_t f = s->j->nodes[list].child; f; f = s->j->nodes[f].next) {
		struct ix_span fid, name;
		char *out = NULL;
		if (ixj_string(s->j, get(s, f, "id"), &fid) > 0 &&
		    ix_span_eq(s->d, fid, id, false) &&
		    ixj_string(s->j, get(s, f, "name"), &name) > 0 &&
		    ix_span_str(s->d, name, &out) == 0)
			return out;
	}
	return NULL;
}

int ix_bitwarden_read(struct ix_doc *d, const struct ixj *j, bool preserve_case, struct reterr *err)
{
	struct bp s = { .d = d, .j = j, .preserve_case = preserve_case, .err = err };
	size_t enc = get(&s, 0, "encrypted"), items = get(&s, 0, "items");
	if ((enc && j->nodes[enc].type == IXJ_TRUE) || get(&s, 0, "passwordProtected"))
		return reterr_set(err, -EPROTO,
				  "this Bitwarden export is encrypted: export the vault again as "
				  "\".json\" (not \"encrypted\"), import it, then delete it");
	if (!items || j->nodes[items].type != IXJ_ARR)
		return reterr_set_at(err, -EINVAL, 1, 0,
				     "line 1: not a Bitwarden export (no \"items\" array)");
	char **folders = calloc(j->nodes[items].count + 1, sizeof(*folders));
	if (!folders)
		return reterr_set(err, -ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = j->nodes[items].child; i && r == 0; i = j->nodes[i].next) {
		char *fid = NULL;
		size_t before = d->n;
		r = item(&s, i, &fid);
		if (r == 0 && d->n > before)
			folders[d->n - 1] = folder_name(&s, fid);
		free(fid);
	}
	if (r == 0)
		r = ix_items_name(d, folders, preserve_case, err);
	for (size_t i = 0; i < j->nodes[items].count; i++)
		free(folders[i]);
	free(folders);
	if (r == -ENOMEM)
		return reterr_set(err, r, "out of memory");
	return r;
}
