/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: secretctl's own JSON, as `export -f json` writes it: {"KEY": "value"}, or with
 * --with-metadata {"KEY": {"value"|"value_base64", "fields", "bindings", "tags", "url",
 * "notes", "created_at", "updated_at", "expires_at"}}. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

struct np {
	struct ix_doc *d;
	const struct ixj *j;
	struct reterr *err;
	const char *key; /* the member being read, for messages */
};

static int bad(struct np *s, size_t node, const char *what)
{
	unsigned line = s->j->nodes[node].line;
	return reterr_set_at(s->err, -EINVAL, (int)line, 0, "line %u: %s: %s", line, s->key, what);
}

static int nomem(struct np *s)
{
	return reterr_set(s->err, -ENOMEM, "out of memory");
}

/* "value" or "value_base64" (exactly one of the two may be given) into a span. Returns 1 when
 * a value was given. */
static int value_of(struct np *s, size_t obj, const char *plain, const char *b64,
		    struct ix_span *ret)
{
	size_t v = ixj_get(s->d, s->j, obj, plain), b = ixj_get(s->d, s->j, obj, b64);
	if (v && b)
		return bad(s, obj, "give \"value\" or \"value_base64\", not both");
	if (v) {
		if (ixj_string(s->j, v, ret) < 0)
			return bad(s, v, "\"value\" must be a string");
		return s->j->nodes[v].type == IXJ_STR;
	}
	if (!b)
		return 0;
	struct ix_span enc;
	size_t off, len = 0;
	if (ixj_string(s->j, b, &enc) <= 0)
		return bad(s, b, "\"value_base64\" must be a string");
	if (ix_arena_reserve(s->d, enc.len, &off) < 0)
		return reterr_set(s->err, -E2BIG, "file too large");
	if (sodium_base642bin(s->d->arena->data + off, enc.len,
			      (const char *)ix_span_ptr(s->d, enc), enc.len, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return bad(s, b, "\"value_base64\" is not valid base64");
	s->d->arena->len = off + len; /* give back what decoding did not use */
	*ret = (struct ix_span){ off, len };
	return 1;
}

static int text(struct np *s, size_t node, const char *what, char **ret)
{
	struct ix_span sp;
	int r = ixj_string(s->j, node, &sp);
	if (r < 0)
		return bad(s, node, what);
	if (r == 0)
		return 0;
	if ((r = ix_span_str(s->d, sp, ret)) < 0)
		return r == -ENOMEM ? nomem(s) : bad(s, node, "a NUL byte in text");
	return 0;
}

static int timestamp(struct np *s, size_t node, int64_t *ret, bool *ret_set)
{
	char *t = NULL;
	int r = text(s, node, "a time must be an RFC 3339 string or null", &t);
	if (r < 0 || !node)
		return r;
	if (ret_set)
		*ret_set = true;
	if (!t) {
		*ret = 0;
		return 0;
	}
	r = parse_time(t, ret);
	free(t);
	return r < 0 ? bad(s, node, "a time must look like 2026-01-31T12:00:00Z") : 0;
}

static int fields(struct np *s, struct ix_item *it, size_t node)
{
	if (s->j->nodes[node].type != IXJ_ARR)
		return bad(s, node, "\"fields\" must be an array of {name, value, sensitive}");
	for (size_t f = s->j->nodes[node].child; f; f = s->j->nodes[f].next) {
		char *name = NULL;
		struct ix_span v = { 0, 0 };
		if (s->j->nodes[f].type != IXJ_OBJ)
			return bad(s, f, "each field must be an object");
		int r = text(s, ixj_get(s->d, s->j, f, "name"), "a field's name must be a string",
			     &name);
		if (r == 0 && !name)
			r = bad(s, f, "a field needs a \"name\"");
		if (r == 0 && (r = value_of(s, f, "value", "value_base64", &v)) == 0)
			r = bad(s, f, "a field needs a \"value\"");
		size_t sens = ixj_get(s->d, s->j, f, "sensitive");
		if (r >= 0 && sens && s->j->nodes[sens].type != IXJ_TRUE &&
		    s->j->nodes[sens].type != IXJ_FALSE)
			r = bad(s, sens, "\"sensitive\" must be true or false");
		if (r >= 0) {
			r = ix_item_field(s->d, it, name, v,
					  sens && s->j->nodes[sens].type == IXJ_TRUE);
			if (r == -E2BIG)
				r = bad(s, f, "too many fields");
			else if (r < 0)
				r = nomem(s);
		}
		free(name);
		if (r < 0)
			return r;
	}
	return 0;
}

static int bindings(struct np *s, struct ix_item *it, size_t node)
{
	if (s->j->nodes[node].type != IXJ_OBJ)
		return bad(s, node, "\"bindings\" must be an object of ENV: field");
	size_t n = s->j->nodes[node].count;
	if (n > VAULT_BINDINGS_MAX)
		return bad(s, node, "too many bindings");
	if (n && !(it->bindings = calloc(n, sizeof(*it->bindings))))
		return nomem(s);
	for (size_t b = s->j->nodes[node].child; b; b = s->j->nodes[b].next) {
		struct vault_binding *vb = &it->bindings[it->nbindings++];
		int r = ix_span_str(s->d, s->j->nodes[b].name, &vb->env);
		if (r == 0)
			r = text(s, b, "a binding names a field (a string; \"\" is the value)",
				 &vb->field);
		if (r < 0)
			return r == -ENOMEM   ? nomem(s)
			       : r == -EINVAL ? bad(s, b, "bad binding")
					      : r;
		if (!vb->field && !(vb->field = strdup("")))
			return nomem(s);
	}
	return 0;
}

static int tags(struct np *s, struct ix_item *it, size_t node)
{
	if (s->j->nodes[node].type != IXJ_ARR)
		return bad(s, node, "\"tags\" must be an array of strings");
	if (!(it->tags = calloc(1, sizeof(char *)))) /* present: [] clears the tags */
		return nomem(s);
	for (size_t t = s->j->nodes[node].child; t; t = s->j->nodes[t].next) {
		char *tag = NULL;
		int r = text(s, t, "a tag must be a string", &tag);
		if (r == 0 && tag)
			r = strv_push(&it->tags, tag) < 0 ? nomem(s) : 0;
		free(tag);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *const known[] = { "value",	   "value_base64", "fields", "bindings",
				     "tags",	   "url",	   "notes",  "created_at",
				     "updated_at", "expires_at" };

static int meta_entry(struct np *s, struct ix_item *it, size_t obj)
{
	struct ix_span v = { 0, 0 };
	size_t node;
	int r = value_of(s, obj, "value", "value_base64", &v);
	if (r < 0)
		return r;
	it->has_value = r == 1 && v.len > 0;
	it->value = (struct secret){ s->d->arena->data + v.off, v.len, v.len };
	if ((node = ixj_get(s->d, s->j, obj, "fields")) && (r = fields(s, it, node)) < 0)
		return r;
	if ((node = ixj_get(s->d, s->j, obj, "bindings")) && (r = bindings(s, it, node)) < 0)
		return r;
	if ((node = ixj_get(s->d, s->j, obj, "tags")) && (r = tags(s, it, node)) < 0)
		return r;
	if ((r = text(s, ixj_get(s->d, s->j, obj, "url"), "\"url\" must be a string or null",
		      &it->url)) < 0 ||
	    (r = text(s, ixj_get(s->d, s->j, obj, "notes"), "\"notes\" must be a string or null",
		      &it->notes)) < 0 ||
	    (r = timestamp(s, ixj_get(s->d, s->j, obj, "created_at"), &it->created_at, NULL)) < 0 ||
	    (r = timestamp(s, ixj_get(s->d, s->j, obj, "updated_at"), &it->updated_at, NULL)) < 0 ||
	    (r = timestamp(s, ixj_get(s->d, s->j, obj, "expires_at"), &it->expires_at,
			   &it->set_expires)) < 0)
		return r;
	for (size_t m = s->j->nodes[obj].child; m; m = s->j->nodes[m].next) {
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(known) && !ok; k++)
			ok = ix_span_eq(s->d, s->j->nodes[m].name, known[k], false);
		if (!ok && ix_warn(s->d, "line %u: %s: unknown member ignored", s->j->nodes[m].line,
				   s->key) < 0)
			return nomem(s);
	}
	if (!it->has_value && !it->nfields)
		return bad(s, obj, "has neither a \"value\" nor \"fields\"");
	return 0;
}

/* One top-level member. */
static int member(struct np *s, size_t m)
{
	const struct ixj_node *nd = &s->j->nodes[m];
	char *key = NULL;
	struct reterr e2 = RETERR_INIT;
	int r = ix_span_str(s->d, nd->name, &key);
	if (r < 0)
		return r == -ENOMEM ? nomem(s)
				    : reterr_set_at(s->err, -EINVAL, (int)nd->line, 0,
						    "line %u: a key holds a NUL byte", nd->line);
	if (vault_key_check(key, &e2) < 0) {
		free(key);
		return reterr_set_at(s->err, -EINVAL, (int)nd->line, 0, "line %u: invalid key: %s",
				     nd->line, e2.msg);
	}
	s->key = key;
	struct ix_span v;
	if (nd->type == IXJ_NULL || (nd->type == IXJ_STR && nd->str.len == 0)) {
		r = ix_warn(s->d, "line %u: %s has no value: skipped", nd->line, key);
		free(key);
		return r < 0 ? nomem(s) : 0;
	}
	if (nd->type == IXJ_ARR) {
		r = bad(s, m,
			"an array is not a secret (give a string, or an object with "
			"\"value\" or \"fields\")");
		free(key);
		return r;
	}
	struct ix_item *it = ix_item_add(s->d, nd->line, &r);
	if (!it) {
		free(key);
		return r == -ENOMEM ? nomem(s)
				    : reterr_set(s->err, r, "more than %d entries", IX_ITEMS_MAX);
	}
	it->key = key;
	if (nd->type == IXJ_OBJ)
		return meta_entry(s, it, m);
	if (nd->type == IXJ_STR || nd->type == IXJ_NUM) {
		v = nd->str;
	} else { /* true / false, as the text */
		const char *t = nd->type == IXJ_TRUE ? "true" : "false";
		if (ix_arena_put(s->d, t, strlen(t), &v) < 0)
			return reterr_set(s->err, -E2BIG, "file too large");
	}
	it->has_value = true;
	it->value = (struct secret){ s->d->arena->data + v.off, v.len, v.len };
	return 0;
}

int ix_native_read(struct ix_doc *d, const struct ixj *j, struct reterr *err)
{
	struct np s = { .d = d, .j = j, .err = err, .key = "" };
	if (j->nodes[0].type != IXJ_OBJ)
		return reterr_set_at(err, -EINVAL, (int)j->nodes[0].line, 0,
				     "line %u: expected a JSON object of \"KEY\": value members",
				     j->nodes[0].line);
	for (size_t m = j->nodes[0].child; m; m = j->nodes[m].next) {
		int r = member(&s, m);
		if (r < 0)
			return r;
	}
	return 0;
}
