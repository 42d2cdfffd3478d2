/* SPDX-License-Identifier: Apache-2.0 */
/* interchange documents: the locked arena every decoded value lives in, the items read from a
 * file, and the naming rules for keys and fields made from a competitor's item names. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

struct ix_doc *ix_doc_new(enum ix_format format, size_t n)
{
	struct ix_doc *d = secret_lib_init() == 0 ? calloc(1, sizeof(*d)) : NULL;
	if (!d)
		return NULL;
	d->format = format;
	/* Every decoded byte comes from a distinct source byte: n bytes always suffice (the slack
	 * lets a decoder check for a whole UTF-8 sequence at once). */
	if (!(d->arena = secret_new(n + 16)))
		return ix_doc_free(d);
	return d;
}

static void item_release(struct ix_item *it)
{
	free(it->key);
	free(it->name);
	for (size_t i = 0; i < it->nfields; i++)
		free(it->fields[i].name);
	free(it->fields);
	free(it->notes);
	free(it->url);
	strv_free(it->tags);
	for (size_t i = 0; i < it->nbindings; i++) {
		free(it->bindings[i].env);
		free(it->bindings[i].field);
	}
	free(it->bindings);
	memset(it, 0, sizeof(*it));
}

struct ix_doc *ix_doc_free(struct ix_doc *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		item_release(&d->items[i]);
	free(d->items);
	strv_free(d->warnings);
	secret_free(d->arena);
	free(d);
	return NULL;
}

int ix_arena_reserve(struct ix_doc *d, size_t len, size_t *ret_off)
{
	struct secret *a = d->arena;
	if (len > a->cap - a->len)
		return -E2BIG;
	*ret_off = a->len;
	a->len += len;
	return 0;
}

int ix_arena_put(struct ix_doc *d, const void *p, size_t len, struct ix_span *ret)
{
	size_t off;
	int r = ix_arena_reserve(d, len, &off);
	if (r < 0)
		return r;
	if (len)
		memcpy(d->arena->data + off, p, len);
	*ret = (struct ix_span){ off, len };
	return 0;
}

int ix_span_str(const struct ix_doc *d, struct ix_span s, char **ret)
{
	const unsigned char *p = ix_span_ptr(d, s);
	if (memchr(p, 0, s.len))
		return -EINVAL;
	char *c = strndup((const char *)p, s.len);
	if (!c)
		return -ENOMEM;
	*ret = c;
	return 0;
}

static char fold(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

bool ix_span_eq(const struct ix_doc *d, struct ix_span s, const char *str, bool nocase)
{
	size_t n = strlen(str);
	if (s.len != n)
		return false;
	const unsigned char *p = ix_span_ptr(d, s);
	for (size_t i = 0; i < n; i++) {
		unsigned char a = p[i], b = (unsigned char)str[i];
		if (nocase ? fold(a) != fold(b) : a != b)
			return false;
	}
	return true;
}

struct ix_item *ix_item_add(struct ix_doc *d, unsigned line, int *ret_err)
{
	if (d->n >= IX_ITEMS_MAX) {
		*ret_err = -E2BIG;
		return NULL;
	}
	if ((d->n & (d->n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow to the next power of two */
		size_t cap = d->n ? d->n * 2 : 16;
		struct ix_item *a = reallocarray(d->items, cap, sizeof(*a));
		if (!a) {
			*ret_err = -ENOMEM;
			return NULL;
		}
		d->items = a;
	}
	struct ix_item *it = &d->items[d->n++];
	memset(it, 0, sizeof(*it));
	it->line = line;
	return it;
}

void ix_doc_truncate(struct ix_doc *d, size_t n)
{
	while (d->n > n)
		item_release(&d->items[--d->n]);
}

int ix_item_skip_empty(struct ix_doc *d)
{
	char shown[72];
	if (!d->n)
		return 0;
	struct ix_item *it = &d->items[--d->n];
	unsigned line = it->line;
	ix_name_show(it->name, shown);
	item_release(it);
	return ix_warn(d, "line %u: \"%s\" holds nothing to store: skipped", line, shown);
}

int ix_item_field(struct ix_doc *d, struct ix_item *it, const char *name, struct ix_span s,
		  bool sensitive)
{
	if (it->nfields >= VAULT_FIELDS_MAX)
		return -E2BIG;
	struct ix_field *f = reallocarray(it->fields, it->nfields + 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	it->fields = f;
	f = &f[it->nfields];
	if (!(f->name = strdup(name)))
		return -ENOMEM;
	f->value = (struct secret){ d->arena->data + s.off, s.len, s.len };
	f->sensitive = sensitive;
	it->nfields++;
	return 0;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > VAULT_TAG_MAX || strchr(t, ','))
		return false;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

int ix_item_tag(struct ix_doc *d, struct ix_item *it, const char *tag)
{
	char shown[72];
	for (size_t i = 0; it->tags && it->tags[i]; i++)
		if (!strcmp(it->tags[i], tag))
			return 0;
	ix_name_show(tag, shown);
	if (!tag_ok(tag))
		return ix_warn(d,
			       "line %u: tag \"%s\" dropped (a tag is 1..%d bytes without commas "
			       "or control characters)",
			       it->line, shown, VAULT_TAG_MAX);
	if (strv_len(it->tags) >= VAULT_TAGS_MAX)
		return ix_warn(d, "line %u: tag \"%s\" dropped (at most %d tags)", it->line, shown,
			       VAULT_TAGS_MAX);
	return strv_push(&it->tags, tag);
}

int ix_doc_tag_all(struct ix_doc *d, const char *tag, struct reterr *err)
{
	if (!tag_ok(tag))
		return reterr_set(err, -EINVAL,
				  "a tag is 1..%d bytes without commas or control "
				  "characters",
				  VAULT_TAG_MAX);
	for (size_t i = 0; i < d->n; i++) {
		struct ix_item *it = &d->items[i];
		bool has = false;
		for (size_t k = 0; it->tags && it->tags[k] && !has; k++)
			has = !strcmp(it->tags[k], tag);
		if (has)
			continue;
		if (strv_len(it->tags) >= VAULT_TAGS_MAX)
			return reterr_set(err, -E2BIG, "%s (line %u) has %d tags already", it->key,
					  it->line, VAULT_TAGS_MAX);
		if (strv_push(&it->tags, tag) < 0)
			return reterr_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int ix_warn(struct ix_doc *d, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return strv_push(&d->warnings, line);
}

void ix_name_show(const char *name, char out[static 72])
{
	size_t i = 0;
	for (; name && name[i] && i < 64; i++) {
		unsigned char c = (unsigned char)name[i];
		out[i] = c >= 0x20 && c != 0x7f && c != '"' && c != '\\' ? (char)c : '?';
	}
	if (name && name[i])
		memcpy(out + i, "...", 4);
	else
		out[i] = 0;
}

/* ---- naming ----------------------------------------------------------------------------------- */

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Append the sanitized form of s[0..n) to b (see ix_key_from_name). Returns whether anything
 * was appended. */
static int level_append(struct buf *b, const char *s, size_t n, bool preserve_case, bool *ret_any)
{
	size_t start = b->len;
	bool gap = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!name_char(c)) {
			gap = true;
			continue;
		}
		if (gap && b->len > start && buf_putc(b, '_') < 0)
			return -ENOMEM;
		gap = false;
		if (buf_putc(b, preserve_case ? (char)c : fold(c)) < 0)
			return -ENOMEM;
	}
	/* '_' at either end is dropped: the runs above never add one there; the name's own go. */
	if (b->len == start) {
		*ret_any = false;
		return 0;
	}
	size_t lo = start;
	while (lo < b->len && b->data[lo] == '_')
		lo++;
	size_t hi = b->len;
	while (hi > lo && b->data[hi - 1] == '_')
		hi--;
	memmove(b->data + start, b->data + lo, hi - lo);
	b->len = start + (hi - lo);
	b->data[b->len] = 0;
	size_t len = b->len - start;
	if ((len == 1 && b->data[start] == '.') ||
	    (len == 2 && b->data[start] == '.' && b->data[start + 1] == '.')) {
		b->len = start;
		if (buf_putc(b, '_') < 0)
			return -ENOMEM;
	}
	*ret_any = b->len > start;
	return 0;
}

/* Room left for "-NNNNNN" when a repeat needs a suffix. */
#define KEY_BASE_MAX (VAULT_KEY_MAX - 8)

int ix_key_from_name(const char *folder, const char *name, bool preserve_case, char **ret)
{
	struct buf b = BUF_INIT;
	bool any;
	int r = 0;
	for (const char *f = folder; f && *f && r == 0;) {
		size_t n = strcspn(f, "/\\");
		size_t before = b.len;
		if (b.len && (r = buf_putc(&b, '/')) < 0)
			break;
		if ((r = level_append(&b, f, n, preserve_case, &any)) < 0)
			break;
		if (!any) /* an empty level is dropped with its separator */
			b.len = before;
		f += n + (f[n] != 0);
	}
	size_t before = b.len;
	if (r == 0 && b.len)
		r = buf_putc(&b, '/');
	if (r == 0)
		r = level_append(&b, name ? name : "", name ? strlen(name) : 0, preserve_case,
				 &any);
	if (r == 0 && !any) {
		b.len = before + (before ? 1 : 0);
		r = buf_puts(&b, "item");
	}
	if (r < 0) {
		buf_release(&b);
		return r;
	}
	if (b.len > KEY_BASE_MAX) {
		b.len = KEY_BASE_MAX;
		while (b.len && (b.data[b.len - 1] == '/' || b.data[b.len - 1] == '_'))
			b.len--;
		b.data[b.len] = 0;
	}
	*ret = buf_detach(&b);
	return 0;
}

/* Keys sorted with their item index, to find repeats. */
struct keyref {
	const char *key;
	size_t i;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static bool taken(const struct keyref *sorted, size_t n, const char *key)
{
	struct keyref probe = { key, 0 };
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sorted[mid].key, probe.key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(sorted[lo].key, key) == 0;
}

/* Give item i (whose natural key is taken) the first "<key>-N" (N >= 2) that no item has by
 * right and none was given yet. given: keys handed out as suffixes so far. */
static int rename_repeat(struct ix_doc *d, size_t i, const struct keyref *natural, size_t n,
			 char ***given)
{
	struct ix_item *it = &d->items[i];
	char *cand = NULL;
	for (unsigned k = 2;; k++) {
		free(cand);
		if (asprintf(&cand, "%s-%u", it->key, k) < 0)
			return -ENOMEM;
		bool used = taken(natural, n, cand);
		for (size_t g = 0; !used && *given && (*given)[g]; g++)
			used = !strcmp((*given)[g], cand);
		if (!used)
			break;
	}
	char shown[72];
	ix_name_show(it->name, shown);
	int r = strv_push(given, cand);
	if (r == 0)
		r = ix_warn(d, "line %u: \"%s\" is stored as %s (%s is taken by an earlier item)",
			    it->line, shown, cand, it->key);
	free(it->key);
	it->key = cand;
	return r;
}

int ix_items_name(struct ix_doc *d, char *const *folders, bool preserve_case, struct reterr *err)
{
	int r = 0;
	for (size_t i = 0; i < d->n && r == 0; i++) {
		struct ix_item *it = &d->items[i];
		free(it->key);
		it->key = NULL;
		r = ix_key_from_name(folders ? folders[i] : NULL, it->name, preserve_case,
				     &it->key);
	}
	if (r < 0)
		return reterr_set(err, r, "out of memory");
	struct keyref *natural = calloc(d->n + 1, sizeof(*natural));
	char **given = NULL;
	if (!natural)
		return reterr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++)
		natural[i] = (struct keyref){ d->items[i].key, i };
	qsort(natural, d->n, sizeof(*natural), keyref_cmp);
	/* The first item (in file order) of each natural key keeps it; the later ones, in file
	 * order, get a suffix. Sorting by (key, index) puts them right after their first. */
	bool *repeat = calloc(d->n + 1, sizeof(*repeat));
	if (!repeat) {
		free(natural);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	for (size_t k = 1; k < d->n; k++)
		if (!strcmp(natural[k].key, natural[k - 1].key))
			repeat[natural[k].i] = true;
	/* The natural keys are needed while renaming: copy them, as renaming frees item keys. */
	char **copies = calloc(d->n + 1, sizeof(*copies));
	for (size_t k = 0; copies && k < d->n && r == 0; k++)
		if (!(copies[k] = strdup(natural[k].key)))
			r = -ENOMEM;
	for (size_t k = 0; copies && k < d->n && r == 0; k++)
		natural[k].key = copies[k];
	if (!copies)
		r = -ENOMEM;
	for (size_t i = 0; i < d->n && r == 0; i++)
		if (repeat[i])
			r = rename_repeat(d, i, natural, d->n, &given);
	strv_free(copies);
	strv_free(given);
	free(repeat);
	free(natural);
	return r < 0 ? reterr_set(err, r, "out of memory") : 0;
}

int ix_field_name(const struct ix_item *it, const char *label, bool preserve_case, char **ret)
{
	struct buf b = BUF_INIT;
	bool any;
	int r = level_append(&b, label, strlen(label), preserve_case, &any);
	if (r == 0 && !any)
		r = buf_puts(&b, "field");
	if (r < 0) {
		buf_release(&b);
		return r;
	}
	if (b.len > VAULT_FIELD_NAME_MAX - 4) {
		b.len = VAULT_FIELD_NAME_MAX - 4;
		b.data[b.len] = 0;
	}
	char *base = buf_detach(&b), *cand = strdup(base);
	for (unsigned k = 2; cand;) {
		bool used = false;
		for (size_t i = 0; i < it->nfields && !used; i++)
			used = !strcmp(it->fields[i].name, cand);
		if (!used || k > 999)
			break;
		free(cand);
		cand = NULL;
		if (asprintf(&cand, "%s_%u", base, k++) < 0)
			cand = NULL;
	}
	free(base);
	if (!cand)
		return -ENOMEM;
	*ret = cand;
	return 0;
}

void ix_item_set_in(const struct ix_item *it, const char **names, const struct secret **values,
		    const char **sensitive, struct vault_set_in *in)
{
	size_t nsens = 0;
	memset(in, 0, sizeof(*in));
	in->key = it->key;
	in->value = it->has_value ? &it->value : NULL;
	in->notes = it->notes;
	in->url = it->url;
	in->tags = it->tags;
	in->set_expires = it->set_expires;
	in->expires_at = it->expires_at;
	for (size_t i = 0; i < it->nfields; i++) {
		names[i] = it->fields[i].name;
		values[i] = &it->fields[i].value;
		if (it->fields[i].sensitive)
			sensitive[nsens++] = it->fields[i].name;
	}
	in->field_names = names;
	in->field_values = values;
	in->nfields = it->nfields;
	in->sensitive = sensitive;
	in->nsensitive = nsens;
	in->bindings = it->bindings;
	in->nbindings = it->nbindings;
}
