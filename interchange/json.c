/* SPDX-License-Identifier: Apache-2.0 */
/* interchange JSON: a strict RFC 8259 parser whose strings are decoded straight into the
 * document's locked arena (cJSON would keep values in ordinary heap memory). Nodes hold only
 * types, spans and links. Recursive descent, depth-bounded. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <string.h>

struct jp {
	struct ix_doc *d;
	struct ixj *j;
	const unsigned char *p;
	size_t n, pos;
	unsigned line;
	struct reterr *err;
};

static int fail(struct jp *s, const char *what)
{
	return reterr_set_at(s->err, -EINVAL, (int)s->line, 0, "line %u: invalid JSON: %s", s->line,
			     what);
}

static void skip_ws(struct jp *s)
{
	while (s->pos < s->n) {
		unsigned char c = s->p[s->pos];
		if (c == '\n')
			s->line++;
		else if (c != ' ' && c != '\t' && c != '\r')
			return;
		s->pos++;
	}
}

static int node_new(struct jp *s, enum ixj_type t, size_t *ret)
{
	struct ixj *j = s->j;
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct ixj_node *a = reallocarray(j->nodes, cap, sizeof(*a));
		if (!a)
			return reterr_set(s->err, -ENOMEM, "out of memory");
		j->nodes = a;
		j->cap = cap;
	}
	struct ixj_node *nd = &j->nodes[j->n];
	memset(nd, 0, sizeof(*nd));
	nd->type = t;
	nd->line = s->line;
	*ret = j->n++;
	return 0;
}

static int hex4(const unsigned char *p, unsigned *ret)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		unsigned x = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
						    : 16u;
		if (x == 16)
			return -1;
		v = v << 4 | x;
	}
	*ret = v;
	return 0;
}

static size_t utf8_put(unsigned char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A \uXXXX escape (pos at the 'u'), with its low surrogate when it is a high one. */
static int unicode_escape(struct jp *s, unsigned char *out, size_t *ret_len)
{
	unsigned cp, lo;
	if (s->n - s->pos < 5 || hex4(s->p + s->pos + 1, &cp) < 0)
		return fail(s, "bad \\u escape");
	s->pos += 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(s, "lone low surrogate in a \\u escape");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (s->n - s->pos < 6 || s->p[s->pos] != '\\' || s->p[s->pos + 1] != 'u' ||
		    hex4(s->p + s->pos + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(s, "high surrogate without its low half");
		s->pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	*ret_len = utf8_put(out, cp);
	return 0;
}

/* A string (pos at the opening quote) decoded into the arena. Escapes never make the text
 * longer than its source, so it is written in place at the arena's end. */
static int string(struct jp *s, struct ix_span *ret)
{
	size_t off, avail = s->d->arena->cap - s->d->arena->len;
	unsigned char *out = s->d->arena->data + s->d->arena->len;
	size_t len = 0;
	s->pos++;
	for (;;) {
		if (s->pos >= s->n)
			return fail(s, "unterminated string");
		unsigned char c = s->p[s->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(s, c == '\n' ? "newline inside a string"
						 : "control character "
						   "inside a string");
		if (len + 4 > avail)
			return reterr_set(s->err, -E2BIG, "document too large");
		if (c != '\\') {
			out[len++] = c;
			s->pos++;
			continue;
		}
		if (++s->pos >= s->n)
			return fail(s, "unterminated string");
		c = s->p[s->pos];
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		const char *k = c ? strchr(from, c) : NULL;
		if (k) {
			out[len++] = (unsigned char)to[k - from];
			s->pos++;
		} else if (c == 'u') {
			size_t l = 0;
			int r = unicode_escape(s, out + len, &l);
			if (r < 0)
				return r;
			len += l;
		} else {
			return fail(s, "bad escape in a string");
		}
	}
	s->pos++;
	if (ix_arena_reserve(s->d, len, &off) < 0)
		return reterr_set(s->err, -E2BIG, "document too large");
	*ret = (struct ix_span){ off, len };
	return 0;
}

static bool digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int number(struct jp *s, struct ix_span *ret)
{
	size_t start = s->pos;
	const unsigned char *p = s->p;
	if (s->pos < s->n && p[s->pos] == '-')
		s->pos++;
	if (s->pos < s->n && p[s->pos] == '0')
		s->pos++;
	else if (s->pos < s->n && digit(p[s->pos]))
		while (s->pos < s->n && digit(p[s->pos]))
			s->pos++;
	else
		return fail(s, "bad number");
	if (s->pos < s->n && p[s->pos] == '.') {
		if (++s->pos >= s->n || !digit(p[s->pos]))
			return fail(s, "bad number");
		while (s->pos < s->n && digit(p[s->pos]))
			s->pos++;
	}
	if (s->pos < s->n && (p[s->pos] == 'e' || p[s->pos] == 'E')) {
		s->pos++;
		if (s->pos < s->n && (p[s->pos] == '+' || p[s->pos] == '-'))
			s->pos++;
		if (s->pos >= s->n || !digit(p[s->pos]))
			return fail(s, "bad number");
		while (s->pos < s->n && digit(p[s->pos]))
			s->pos++;
	}
	if (ix_arena_put(s->d, p + start, s->pos - start, ret) < 0)
		return reterr_set(s->err, -E2BIG, "document too large");
	return 0;
}

static int value(struct jp *s, unsigned depth, size_t *ret);

/* Link child after prev (or as parent's first). */
static void child_link(struct ixj *j, size_t parent, size_t *prev, size_t child)
{
	if (*prev)
		j->nodes[*prev].next = child;
	else
		j->nodes[parent].child = child;
	*prev = child;
	j->nodes[parent].count++;
}

static int container(struct jp *s, unsigned depth, bool obj, size_t node)
{
	unsigned char close = obj ? '}' : ']';
	size_t prev = 0;
	s->pos++;
	skip_ws(s);
	if (s->pos < s->n && s->p[s->pos] == close) {
		s->pos++;
		return 0;
	}
	for (;;) {
		struct ix_span name = { 0, 0 };
		size_t child;
		int r;
		skip_ws(s);
		if (obj) {
			if (s->pos >= s->n || s->p[s->pos] != '"')
				return fail(s, "expected a member name in double quotes");
			if ((r = string(s, &name)) < 0)
				return r;
			skip_ws(s);
			if (s->pos >= s->n || s->p[s->pos] != ':')
				return fail(s, "expected ':' after a member name");
			s->pos++;
		}
		if ((r = value(s, depth + 1, &child)) < 0)
			return r;
		s->j->nodes[child].name = name;
		child_link(s->j, node, &prev, child);
		skip_ws(s);
		if (s->pos < s->n && s->p[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (s->pos < s->n && s->p[s->pos] == close) {
			s->pos++;
			return 0;
		}
		return fail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int literal(struct jp *s, const char *word, enum ixj_type t, size_t *ret)
{
	size_t n = strlen(word);
	if (s->n - s->pos < n || memcmp(s->p + s->pos, word, n) != 0)
		return fail(s, "unexpected character");
	s->pos += n;
	return node_new(s, t, ret);
}

static int value(struct jp *s, unsigned depth, size_t *ret)
{
	int r;
	if (depth > IX_JSON_DEPTH_MAX)
		return reterr_set_at(s->err, -E2BIG, (int)s->line, 0,
				     "line %u: JSON nested deeper than %d levels", s->line,
				     IX_JSON_DEPTH_MAX);
	skip_ws(s);
	if (s->pos >= s->n)
		return fail(s, "unexpected end of the document");
	unsigned char c = s->p[s->pos];
	size_t node;
	switch (c) {
	case '{':
	case '[':
		if ((r = node_new(s, c == '{' ? IXJ_OBJ : IXJ_ARR, &node)) < 0 ||
		    (r = container(s, depth, c == '{', node)) < 0)
			return r;
		break;
	case '"':
		if ((r = node_new(s, IXJ_STR, &node)) < 0)
			return r;
		if ((r = string(s, &s->j->nodes[node].str)) < 0)
			return r;
		break;
	case 't': return literal(s, "true", IXJ_TRUE, ret);
	case 'f': return literal(s, "false", IXJ_FALSE, ret);
	case 'n': return literal(s, "null", IXJ_NULL, ret);
	default:
		if (c != '-' && !digit(c))
			return fail(s, "unexpected character");
		if ((r = node_new(s, IXJ_NUM, &node)) < 0)
			return r;
		if ((r = number(s, &s->j->nodes[node].str)) < 0)
			return r;
	}
	*ret = node;
	return 0;
}

int ixj_parse(struct ix_doc *d, const unsigned char *p, size_t n, struct ixj *j, struct reterr *err)
{
	struct jp s = { .d = d, .j = j, .p = p, .n = n, .line = 1, .err = err };
	size_t root;
	memset(j, 0, sizeof(*j));
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		s.pos = 3;
	int r = value(&s, 1, &root);
	if (r == 0) {
		skip_ws(&s);
		if (s.pos != s.n)
			r = fail(&s, "text after the end of the document");
	}
	if (r < 0)
		ixj_release(j);
	return r;
}

void ixj_release(struct ixj *j)
{
	free(j->nodes);
	memset(j, 0, sizeof(*j));
}

size_t ixj_get(const struct ix_doc *d, const struct ixj *j, size_t obj, const char *name)
{
	if (j->nodes[obj].type != IXJ_OBJ)
		return 0;
	for (size_t c = j->nodes[obj].child; c; c = j->nodes[c].next)
		if (ix_span_eq(d, j->nodes[c].name, name, false))
			return c;
	return 0;
}

int ixj_string(const struct ixj *j, size_t node, struct ix_span *ret)
{
	if (!node || j->nodes[node].type == IXJ_NULL) {
		*ret = (struct ix_span){ 0, 0 };
		return 0;
	}
	if (j->nodes[node].type != IXJ_STR)
		return -EINVAL;
	*ret = j->nodes[node].str;
	return 1;
}
