/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: which format a file is (ix_detect) and reading it (ix_read): the parser of that
 * format, then the checks every format shares (distinct keys). */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const names[] = {
	[IX_AUTO] = "auto",	      [IX_ENV] = "env",
	[IX_JSON] = "json",	      [IX_1PASSWORD] = "1password",
	[IX_BITWARDEN] = "bitwarden", [IX_LASTPASS] = "lastpass",
};

int ix_format_parse(const char *s, enum ix_format *ret)
{
	for (size_t i = IX_ENV; i < ARRAY_SIZE(names); i++) {
		if (!strcasecmp(s, names[i])) {
			*ret = (enum ix_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ix_format_name(enum ix_format f)
{
	return (size_t)f < ARRAY_SIZE(names) ? names[f] : "?";
}

static bool json_start(const unsigned char *p, size_t n)
{
	size_t i = n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i < n && p[i] == '{';
}

/* The CSV format whose header the first record is, or IX_AUTO. The header alone is parsed
 * (a bounded prefix: a header never needs more). */
static enum ix_format csv_header(const unsigned char *p, size_t n)
{
	size_t len = n < 4096 ? n : 4096;
	const unsigned char *nl = memchr(p, '\n', len);
	if (nl)
		len = (size_t)(nl - p) + 1;
	struct ix_doc *d = ix_doc_new(IX_AUTO, len);
	struct ix_span f[IX_CSV_COLUMNS_MAX];
	struct ixc c;
	size_t nf;
	unsigned line;
	enum ix_format fmt = IX_AUTO;
	if (!d)
		return IX_AUTO;
	ixc_init(&c, p, len);
	if (ixc_next(&c, d, f, &nf, &line, NULL) == 1 && nf > 1) {
		if (ix_lastpass_header(d, f, nf))
			fmt = IX_LASTPASS;
		else if (ix_1password_header(d, f, nf))
			fmt = IX_1PASSWORD;
	}
	ix_doc_free(d);
	return fmt;
}

enum ix_format ix_detect(const unsigned char *p, size_t n)
{
	if (json_start(p, n)) {
		struct ix_doc *d = ix_doc_new(IX_AUTO, n);
		struct ixj j;
		enum ix_format f = IX_JSON;
		if (d && ixj_parse(d, p, n, &j, NULL) == 0) {
			if (ix_bitwarden_is(d, &j))
				f = IX_BITWARDEN;
			ixj_release(&j);
		}
		ix_doc_free(d);
		return f;
	}
	enum ix_format f = csv_header(p, n);
	return f == IX_AUTO ? IX_ENV : f;
}

/* ---- shared checks ----------------------------------------------------------------------------- */

static int item_cmp(const void *a, const void *b)
{
	const struct ix_item *x = *(const struct ix_item *const *)a;
	const struct ix_item *y = *(const struct ix_item *const *)b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* In .env and JSON a key given twice is a mistake worth stopping for (which one was meant?). */
static int keys_distinct(struct ix_doc *d, struct reterr *err)
{
	if (d->n < 2)
		return 0;
	struct ix_item **s = calloc(d->n, sizeof(*s));
	if (!s)
		return reterr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++)
		s[i] = &d->items[i];
	qsort(s, d->n, sizeof(*s), item_cmp);
	int r = 0;
	for (size_t i = 1; i < d->n && r == 0; i++)
		if (!strcmp(s[i - 1]->key, s[i]->key))
			r = reterr_set_at(err, -EINVAL, (int)s[i]->line, 0,
					  "line %u: %s is given twice (first on line %u)",
					  s[i]->line, s[i]->key, s[i - 1]->line);
	free(s);
	return r;
}

static int read_json(struct ix_doc *d, const unsigned char *p, size_t n, const struct ix_opts *o,
		     struct reterr *err)
{
	struct ixj j;
	int r = ixj_parse(d, p, n, &j, err);
	if (r < 0)
		return r;
	if (d->format == IX_AUTO)
		d->format = ix_bitwarden_is(d, &j) ? IX_BITWARDEN : IX_JSON;
	if (d->format == IX_BITWARDEN)
		r = ix_bitwarden_read(d, &j, o->preserve_case, err);
	else
		r = ix_native_read(d, &j, err);
	ixj_release(&j);
	return r;
}

int ix_read(const unsigned char *p, size_t n, const struct ix_opts *o, struct ix_doc **ret,
	    struct reterr *err)
{
	struct ix_opts none = { .format = IX_AUTO };
	if (!o)
		o = &none;
	if (n > IX_FILE_MAX)
		return reterr_set(err, -E2BIG, "file too large (%zu bytes; at most %u)", n,
				  IX_FILE_MAX);
	enum ix_format f = o->format;
	if (f == IX_AUTO)
		f = json_start(p, n) ? IX_AUTO : csv_header(p, n);
	if (f == IX_AUTO && !json_start(p, n))
		f = IX_ENV;
	struct ix_doc *d = ix_doc_new(f, n);
	if (!d)
		return reterr_set(err, -ENOMEM, "out of memory");
	int r;
	switch (f) {
	case IX_ENV: r = ix_env_read(d, p, n, err); break;
	case IX_1PASSWORD: r = ix_1password_read(d, p, n, o->preserve_case, err); break;
	case IX_LASTPASS: r = ix_lastpass_read(d, p, n, o->preserve_case, err); break;
	default: r = read_json(d, p, n, o, err); break;
	}
	if (r == 0 && (d->format == IX_ENV || d->format == IX_JSON))
		r = keys_distinct(d, err);
	if (r < 0) {
		ix_doc_free(d);
		return r;
	}
	*ret = d;
	return 0;
}
