/* SPDX-License-Identifier: Apache-2.0 */
/* interchange CSV: RFC 4180 records (the dialect 1Password and LastPass export), fields decoded
 * into the document's arena, lines counted for messages. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <string.h>

void ixc_init(struct ixc *c, const unsigned char *p, size_t n)
{
	c->p = p;
	c->n = n;
	c->pos = n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
	c->line = 1;
}

/* A quoted field (pos after the opening quote) into out; pos ends after the closing quote. */
static int quoted(struct ixc *c, unsigned char *out, size_t *len, size_t avail, unsigned start,
		  struct reterr *err)
{
	for (;;) {
		if (*len >= avail)
			return reterr_set(err, -E2BIG, "document too large");
		if (c->pos >= c->n)
			return reterr_set_at(err, -EINVAL, (int)start, 0,
					     "line %u: a quoted field is not closed (a '\"' is "
					     "missing)",
					     start);
		unsigned char ch = c->p[c->pos++];
		if (ch == '"') {
			if (c->pos < c->n && c->p[c->pos] == '"') {
				out[(*len)++] = '"';
				c->pos++;
				continue;
			}
			return 0;
		}
		if (ch == '\n')
			c->line++;
		out[(*len)++] = ch;
	}
}

static bool at_eol(const struct ixc *c)
{
	return c->pos >= c->n || c->p[c->pos] == '\n' ||
	       (c->p[c->pos] == '\r' && (c->pos + 1 >= c->n || c->p[c->pos + 1] == '\n'));
}

static void skip_eol(struct ixc *c)
{
	if (c->pos < c->n && c->p[c->pos] == '\r')
		c->pos++;
	if (c->pos < c->n && c->p[c->pos] == '\n') {
		c->pos++;
		c->line++;
	}
}

/* One field at pos, decoded at the arena's end and reserved. */
static int field(struct ixc *c, struct ix_doc *d, struct ix_span *ret, struct reterr *err)
{
	struct secret *a = d->arena;
	unsigned char *out = a->data + a->len;
	size_t len = 0, off, avail = a->cap - a->len;
	unsigned start = c->line;
	if (c->pos < c->n && c->p[c->pos] == '"') {
		c->pos++;
		int r = quoted(c, out, &len, avail, start, err);
		if (r < 0)
			return r;
		if (!at_eol(c) && c->p[c->pos] != ',')
			return reterr_set_at(err, -EINVAL, (int)c->line, 0,
					     "line %u: text after the closing quote of a field (a "
					     "'\"' inside a quoted field is written '\"\"')",
					     c->line);
	} else {
		while (!at_eol(c) && c->p[c->pos] != ',') {
			if (len >= avail)
				return reterr_set(err, -E2BIG, "document too large");
			out[len++] = c->p[c->pos++];
		}
	}
	if (ix_arena_reserve(d, len, &off) < 0)
		return reterr_set(err, -E2BIG, "document too large");
	*ret = (struct ix_span){ off, len };
	return 0;
}

int ixc_next(struct ixc *c, struct ix_doc *d, struct ix_span *fields, size_t *ret_n,
	     unsigned *ret_line, struct reterr *err)
{
	while (c->pos < c->n && at_eol(c))
		skip_eol(c);
	if (c->pos >= c->n)
		return 0;
	unsigned line = c->line;
	size_t n = 0;
	for (;;) {
		if (n == IX_CSV_COLUMNS_MAX)
			return reterr_set_at(err, -E2BIG, (int)line, 0,
					     "line %u: more than %d columns", line,
					     IX_CSV_COLUMNS_MAX);
		int r = field(c, d, &fields[n++], err);
		if (r < 0)
			return r;
		if (at_eol(c))
			break;
		c->pos++; /* the comma */
	}
	skip_eol(c);
	*ret_n = n;
	*ret_line = line;
	return 1;
}

static bool header_is(const struct ix_doc *d, struct ix_span h, const char *name, size_t n)
{
	const unsigned char *p = ix_span_ptr(d, h);
	size_t lo = 0, hi = h.len;
	while (lo < hi && (p[lo] == ' ' || p[lo] == '\t'))
		lo++;
	while (hi > lo && (p[hi - 1] == ' ' || p[hi - 1] == '\t'))
		hi--;
	if (hi - lo != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = p[lo + i], b = (unsigned char)name[i];
		if ((a >= 'A' && a <= 'Z' ? a + 32 : a) != (b >= 'A' && b <= 'Z' ? b + 32 : b))
			return false;
	}
	return true;
}

void ixc_columns(const struct ix_doc *d, const struct ix_span *hdr, size_t nh,
		 const char *const *names, size_t nnames, int *cols)
{
	for (size_t k = 0; k < nnames; k++) {
		cols[k] = -1;
		for (const char *alt = names[k]; *alt && cols[k] < 0;) {
			size_t n = strcspn(alt, "|");
			for (size_t i = 0; i < nh && cols[k] < 0; i++)
				if (header_is(d, hdr[i], alt, n))
					cols[k] = (int)i;
			alt += n + (alt[n] == '|');
		}
	}
}
