/* SPDX-License-Identifier: Apache-2.0 */
/* interchange .env: reading KEY=VALUE files (comments, `export `, single and double quotes,
 * escapes, values over several lines) and writing them so that a shell and ix_read agree. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <string.h>

struct ep {
	struct ix_doc *d;
	const unsigned char *p;
	size_t n, pos;
	unsigned line;
	struct reterr *err;
};

static bool eol(const struct ep *s)
{
	return s->pos >= s->n || s->p[s->pos] == '\n' ||
	       (s->p[s->pos] == '\r' && (s->pos + 1 >= s->n || s->p[s->pos + 1] == '\n'));
}

static void skip_blank(struct ep *s)
{
	while (s->pos < s->n && (s->p[s->pos] == ' ' || s->p[s->pos] == '\t'))
		s->pos++;
}

static void next_line(struct ep *s)
{
	while (s->pos < s->n && s->p[s->pos] != '\n')
		s->pos++;
	if (s->pos < s->n) {
		s->pos++;
		s->line++;
	}
}

static int bad(struct ep *s, unsigned line, const char *what)
{
	return reterr_set_at(s->err, -EINVAL, (int)line, 0, "line %u: %s", line, what);
}

static bool key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '/' || c == '-';
}

/* After a closing quote: blanks, then a comment or the end of the line. */
static int after_quote(struct ep *s, unsigned line)
{
	skip_blank(s);
	if (!eol(s) && s->p[s->pos] != '#')
		return bad(s, line,
			   "unexpected text after the closing quote (quote the whole "
			   "value, or put a space before a '#' comment)");
	next_line(s);
	return 0;
}

/* A quoted value (pos at the quote), decoded at the arena's end. */
static int quoted(struct ep *s, struct ix_span *ret)
{
	unsigned char q = s->p[s->pos++];
	unsigned start = s->line;
	struct secret *a = s->d->arena;
	unsigned char *out = a->data + a->len;
	size_t len = 0, avail = a->cap - a->len, off;
	for (;;) {
		if (s->pos >= s->n)
			return bad(s, start,
				   q == '"' ? "the double-quoted value is not closed (a "
					      "'\"' is missing)"
					    : "the single-quoted value is not closed (a "
					      "\"'\" is missing)");
		if (len >= avail)
			return reterr_set(s->err, -E2BIG, "file too large");
		unsigned char c = s->p[s->pos++];
		if (c == q)
			break;
		if (c == '\n')
			s->line++;
		if (c == '\\' && q == '"' && s->pos < s->n) {
			static const char from[] = "nrt\\\"$`", to[] = "\n\r\t\\\"$`";
			const char *k = s->p[s->pos] ? strchr(from, s->p[s->pos]) : NULL;
			if (k) {
				c = (unsigned char)to[k - from];
				s->pos++;
			}
		}
		out[len++] = c;
	}
	if (ix_arena_reserve(s->d, len, &off) < 0)
		return reterr_set(s->err, -E2BIG, "file too large");
	*ret = (struct ix_span){ off, len };
	return after_quote(s, start);
}

/* A bare value: to the end of the line, less an inline " #comment" and trailing blanks. */
static int bare(struct ep *s, struct ix_span *ret)
{
	size_t start = s->pos, end;
	while (!eol(s)) {
		if (s->p[s->pos] == '#' && s->pos > start &&
		    (s->p[s->pos - 1] == ' ' || s->p[s->pos - 1] == '\t'))
			break;
		s->pos++;
	}
	end = s->pos;
	while (end > start &&
	       (s->p[end - 1] == ' ' || s->p[end - 1] == '\t' || s->p[end - 1] == '\r'))
		end--;
	next_line(s);
	int r = ix_arena_put(s->d, s->p + start, end - start, ret);
	return r < 0 ? reterr_set(s->err, r, "file too large") : 0;
}

static int key(struct ep *s, unsigned line, char **ret)
{
	if (s->n - s->pos > 7 && !memcmp(s->p + s->pos, "export", 6) &&
	    (s->p[s->pos + 6] == ' ' || s->p[s->pos + 6] == '\t')) {
		s->pos += 6;
		skip_blank(s);
	}
	size_t start = s->pos;
	while (s->pos < s->n && key_char(s->p[s->pos]))
		s->pos++;
	size_t klen = s->pos - start;
	skip_blank(s);
	if (s->pos >= s->n || s->p[s->pos] != '=')
		return bad(s, line,
			   klen ? "expected KEY=VALUE (a key is A-Z a-z 0-9 . _ / -)"
				: "expected KEY=VALUE");
	s->pos++;
	char *k = strndup((const char *)s->p + start, klen);
	if (!k)
		return reterr_set(s->err, -ENOMEM, "out of memory");
	struct reterr e2 = RETERR_INIT;
	if (vault_key_check(k, &e2) < 0) {
		free(k);
		return reterr_set_at(s->err, -EINVAL, (int)line, 0, "line %u: invalid key: %s",
				     line, e2.msg);
	}
	*ret = k;
	return 0;
}

static int entry(struct ep *s)
{
	unsigned line = s->line;
	char *k = NULL;
	struct ix_span v;
	int r = key(s, line, &k);
	if (r < 0)
		return r;
	skip_blank(s);
	if (s->pos < s->n && (s->p[s->pos] == '"' || s->p[s->pos] == '\''))
		r = quoted(s, &v);
	else
		r = bare(s, &v);
	if (r == 0 && v.len == 0) {
		r = ix_warn(s->d, "line %u: %s has an empty value: skipped", line, k);
		free(k);
		return r < 0 ? reterr_set(s->err, r, "out of memory") : 0;
	}
	struct ix_item *it = r == 0 ? ix_item_add(s->d, line, &r) : NULL;
	if (!it) {
		free(k);
		return r == -E2BIG    ? reterr_set_at(s->err, r, (int)line, 0,
						      "line %u: more than %d "
							 "entries",
						      line, IX_ITEMS_MAX)
		       : r == -ENOMEM ? reterr_set(s->err, r, "out of memory")
				      : r;
	}
	it->key = k;
	it->has_value = true;
	it->value = (struct secret){ s->d->arena->data + v.off, v.len, v.len };
	return 0;
}

int ix_env_read(struct ix_doc *d, const unsigned char *p, size_t n, struct reterr *err)
{
	struct ep s = { .d = d, .p = p, .n = n, .line = 1, .err = err };
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		s.pos = 3;
	while (s.pos < s.n) {
		skip_blank(&s);
		if (eol(&s) || s.p[s.pos] == '#') {
			next_line(&s);
			continue;
		}
		int r = entry(&s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- writing ---------------------------------------------------------------------------------- */

static bool bare_ok(const unsigned char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_./:@%+,=-", c)))
			return false;
	}
	return true;
}

int ix_env_write(struct outbuf *o, const char *name, const unsigned char *p, size_t n)
{
	if (memchr(p, 0, n))
		return -EINVAL;
	outbuf_puts(o, name);
	outbuf_puts(o, "=");
	if (bare_ok(p, n)) {
		outbuf_write(o, p, n);
	} else if (!memchr(p, '\'', n)) {
		outbuf_puts(o, "'");
		outbuf_write(o, p, n);
		outbuf_puts(o, "'");
	} else {
		size_t run = 0;
		outbuf_puts(o, "\"");
		for (size_t i = 0; i < n; i++) {
			if (!strchr("\\\"$`", p[i]))
				continue;
			outbuf_write(o, p + run, i - run);
			outbuf_write(o, "\\", 1);
			run = i;
		}
		outbuf_write(o, p + run, n - run);
		outbuf_puts(o, "\"");
	}
	outbuf_puts(o, "\n");
	return 0;
}
