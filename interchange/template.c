/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: `inject` templates. A reference is {{ secretctl "KEY" }} or
 * {{ secretctl "KEY" "FIELD" }}; every other byte, other "{{" included, is text. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <string.h>

#define WORD "secretctl"

struct tp {
	const unsigned char *p;
	size_t n, pos;
	unsigned line;
	size_t line_start;
	struct reterr *err;
};

static unsigned column(const struct tp *s, size_t pos)
{
	return (unsigned)(pos - s->line_start + 1);
}

static int bad(struct tp *s, size_t at, const char *what)
{
	unsigned c = column(s, at);
	return reterr_set_at(s->err, -EINVAL, (int)s->line, (int)c, "line %u, column %u: %s",
			     s->line, c, what);
}

static void blanks(struct tp *s)
{
	while (s->pos < s->n && (s->p[s->pos] == ' ' || s->p[s->pos] == '\t'))
		s->pos++;
}

/* Whether a reference starts at pos ("{{", blanks, "secretctl", then a blank or a quote). */
static bool ref_at(const struct tp *s, size_t pos)
{
	if (s->n - pos < 2 || s->p[pos] != '{' || s->p[pos + 1] != '{')
		return false;
	pos += 2;
	while (pos < s->n && (s->p[pos] == ' ' || s->p[pos] == '\t'))
		pos++;
	size_t w = strlen(WORD);
	return s->n - pos > w && !memcmp(s->p + pos, WORD, w) &&
	       (s->p[pos + w] == ' ' || s->p[pos + w] == '\t' || s->p[pos + w] == '"');
}

static int string(struct tp *s, size_t max, char **ret)
{
	size_t start = s->pos;
	struct buf b = BUF_INIT;
	if (s->pos >= s->n || s->p[s->pos] != '"')
		return bad(s, s->pos, "expected a string in double quotes");
	s->pos++;
	for (;;) {
		if (s->pos >= s->n || s->p[s->pos] == '\n') {
			buf_release(&b);
			return bad(s, start, "the string is not closed (a '\"' is missing)");
		}
		unsigned char c = s->p[s->pos++];
		if (c == '"')
			break;
		if (c == '\\' && s->pos < s->n && (s->p[s->pos] == '"' || s->p[s->pos] == '\\'))
			c = s->p[s->pos++];
		int r = b.len >= max		    ? bad(s, start, "the name is too long")
			: c == 0		    ? bad(s, start, "a NUL byte in a name")
			: buf_putc(&b, (char)c) < 0 ? reterr_set(s->err, -ENOMEM, "out of memory")
						    : 0;
		if (r < 0) {
			buf_release(&b);
			return r;
		}
	}
	*ret = buf_detach(&b);
	return 0;
}

/* A reference at pos: parsed into ref, pos after its "}}". */
static int reference(struct tp *s, struct ix_ref *ref)
{
	size_t start = s->pos;
	struct reterr e2 = RETERR_INIT;
	ref->line = s->line;
	ref->column = column(s, start);
	s->pos += 2;
	blanks(s);
	s->pos += strlen(WORD);
	blanks(s);
	int r = string(s, VAULT_KEY_MAX, &ref->key);
	if (r < 0)
		return r;
	if (vault_key_check(ref->key, &e2) < 0)
		return reterr_set_at(s->err, -EINVAL, (int)ref->line, (int)ref->column,
				     "line %u, column %u: invalid key: %s", ref->line, ref->column,
				     e2.msg);
	blanks(s);
	if (s->pos < s->n && s->p[s->pos] == '"' &&
	    (r = string(s, VAULT_FIELD_NAME_MAX, &ref->field)) < 0)
		return r;
	blanks(s);
	if (s->n - s->pos < 2 || s->p[s->pos] != '}' || s->p[s->pos + 1] != '}')
		return bad(s, s->pos,
			   "expected \"}}\" (a reference is {{ secretctl \"KEY\" }} or "
			   "{{ secretctl \"KEY\" \"FIELD\" }})");
	s->pos += 2;
	return 0;
}

/* Advance over text to the next reference (or the end), counting lines. */
static void text(struct tp *s)
{
	while (s->pos < s->n && !ref_at(s, s->pos)) {
		if (s->p[s->pos] == '\n') {
			s->line++;
			s->line_start = s->pos + 1;
		}
		s->pos++;
	}
}

void ix_refs_free(struct ix_ref *refs, size_t n)
{
	for (size_t i = 0; refs && i < n; i++) {
		free(refs[i].key);
		free(refs[i].field);
	}
	free(refs);
}

int ix_template_refs(const unsigned char *p, size_t n, struct ix_ref **ret, size_t *ret_n,
		     struct reterr *err)
{
	struct tp s = { .p = p, .n = n, .line = 1, .err = err };
	struct ix_ref *refs = NULL;
	size_t count = 0;
	int r = 0;
	for (text(&s); s.pos < s.n; text(&s)) {
		if ((count & (count + 1)) == 0 || !refs) {
			struct ix_ref *a = reallocarray(refs, (count + 1) * 2, sizeof(*a));
			if (!a) {
				r = reterr_set(err, -ENOMEM, "out of memory");
				break;
			}
			refs = a;
		}
		memset(&refs[count], 0, sizeof(refs[count]));
		r = reference(&s, &refs[count++]);
		if (r < 0)
			break;
	}
	if (r < 0) {
		ix_refs_free(refs, count);
		return r;
	}
	*ret = refs;
	*ret_n = count;
	return 0;
}

void ix_template_render(struct outbuf *o, const unsigned char *p, size_t n,
			const struct secret *const *values, size_t nvalues)
{
	struct tp s = { .p = p, .n = n, .line = 1 };
	struct ix_ref ref;
	size_t i = 0;
	for (;;) {
		size_t start = s.pos;
		text(&s);
		outbuf_write(o, p + start, s.pos - start);
		if (s.pos >= s.n)
			break;
		memset(&ref, 0, sizeof(ref));
		if (reference(&s, &ref) < 0) { /* checked by ix_template_refs: cannot happen */
			free(ref.key);
			free(ref.field);
			break;
		}
		free(ref.key);
		free(ref.field);
		if (i < nvalues && values[i])
			outbuf_write(o, values[i]->data, values[i]->len);
		i++;
	}
}
