/* SPDX-License-Identifier: Apache-2.0 */
/* policy: turn libyaml's event stream into a small, bounded document tree, and the helpers that
 * read it. The policy file is hostile input, so every size, depth and count is capped while
 * events arrive, and YAML features the schema never needs (anchors, aliases, tags, several
 * documents) are refused outright. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <yaml.h>

#include "policy/policy.h"
#include "policy/policy-internal.h"

const char *ynode_type_name(enum ynode_type t)
{
	switch (t) {
	case YNODE_SCALAR: return "a scalar";
	case YNODE_SEQ: return "a list";
	case YNODE_MAP: return "a mapping";
	}
	return "a node";
}

struct ynode *ynode_free(struct ynode *n)
{
	if (!n)
		return NULL;
	for (size_t i = 0; i < n->nkids; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
	return NULL;
}

/* libyaml marks are 0-based size_t; reterr wants 1-based int. */
static int mark_pos(size_t v)
{
	return v >= (size_t)INT_MAX ? INT_MAX : (int)v + 1;
}

static int kid_push(struct ynode *parent, struct ynode *kid)
{
	if (parent->nkids == parent->cap) {
		size_t ncap = parent->cap ? parent->cap * 2 : 4;
		size_t bytes;
		if (__builtin_mul_overflow(ncap, sizeof(*parent->kids), &bytes))
			return -ENOMEM;
		struct ynode **k = realloc(parent->kids, bytes);
		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->cap = ncap;
	}
	parent->kids[parent->nkids++] = kid;
	return 0;
}

struct builder {
	struct ynode *root;
	struct ynode *stack[POLICY_DEPTH_MAX];
	size_t depth;
	size_t nodes;
	unsigned docs;
};

/* Create a node for an event, check the limits, hang it under the open collection. */
static int node_add(struct builder *b, enum ynode_type type, const yaml_event_t *ev,
		    struct ynode **ret, struct reterr *err)
{
	int line = mark_pos(ev->start_mark.line), col = mark_pos(ev->start_mark.column);

	if (++b->nodes > POLICY_NODES_MAX)
		return reterr_set_at(err, -E2BIG, line, col,
				     "document too large: more than %d nodes", POLICY_NODES_MAX);
	if (type != YNODE_SCALAR && b->depth >= POLICY_DEPTH_MAX)
		return reterr_set_at(err, -E2BIG, line, col, "nesting deeper than %d levels",
				     POLICY_DEPTH_MAX);

	struct ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->type = type;
	n->line = line;
	n->column = col;

	if (type == YNODE_SCALAR) {
		size_t len = ev->data.scalar.length;
		if (len > POLICY_STRING_MAX) {
			free(n);
			return reterr_set_at(err, -E2BIG, line, col, "string longer than %d bytes",
					     POLICY_STRING_MAX);
		}
		n->str = malloc(len + 1);
		if (!n->str) {
			free(n);
			return -ENOMEM;
		}
		if (len)
			memcpy(n->str, ev->data.scalar.value, len);
		n->str[len] = '\0';
		n->len = len;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	}

	if (b->depth == 0) {
		/* Only one document is accepted, so the first top-level node is the root. */
		b->root = n;
	} else {
		int r = kid_push(b->stack[b->depth - 1], n);
		if (r < 0) {
			ynode_free(n);
			return r;
		}
	}
	*ret = n;
	return 0;
}

/* Anchors and tags make the document mean something other than what it shows (aliases
 * can also expand exponentially), and the schema needs neither. */
static int check_plain_node(const yaml_char_t *anchor, const yaml_char_t *tag,
			    const yaml_event_t *ev, struct reterr *err)
{
	int line = mark_pos(ev->start_mark.line), col = mark_pos(ev->start_mark.column);
	if (anchor)
		return reterr_set_at(err, -EINVAL, line, col,
				     "YAML anchors (&name) are not allowed");
	if (tag)
		return reterr_set_at(err, -EINVAL, line, col, "YAML tags (!tag) are not allowed");
	return 0;
}

static int handle_event(struct builder *b, const yaml_event_t *ev, struct reterr *err)
{
	int line = mark_pos(ev->start_mark.line), col = mark_pos(ev->start_mark.column);
	struct ynode *n;
	int r;

	switch (ev->type) {
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT: return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return reterr_set_at(err, -EINVAL, line, col,
					     "only one YAML document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return reterr_set_at(err, -EINVAL, line, col,
				     "YAML aliases (*name) are not allowed");
	case YAML_SCALAR_EVENT:
		/* An untagged scalar still reports implicit resolution only; tag is NULL then. */
		r = check_plain_node(ev->data.scalar.anchor, ev->data.scalar.tag, ev, err);
		if (r < 0)
			return r;
		return node_add(b, YNODE_SCALAR, ev, &n, err);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		r = check_plain_node(
			seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor,
			seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag, ev, err);
		if (r < 0)
			return r;
		r = node_add(b, seq ? YNODE_SEQ : YNODE_MAP, ev, &n, err);
		if (r < 0)
			return r;
		b->stack[b->depth++] = n;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		/* libyaml guarantees balance; the check keeps a library bug from underflowing. */
		if (b->depth == 0)
			return reterr_set_at(err, -EINVAL, line, col, "unbalanced YAML collection");
		b->depth--;
		return 0;
	}
	return reterr_set_at(err, -EINVAL, line, col, "unexpected YAML event");
}

int ydoc_parse(const void *data, size_t len, struct ynode **ret, struct reterr *err)
{
	struct builder b = { 0 };
	yaml_parser_t parser;
	int r = 0;

	if (len > POLICY_FILE_MAX)
		return reterr_set_at(err, -E2BIG, 1, 1, "policy larger than %d bytes",
				     POLICY_FILE_MAX);
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	/* libyaml reads the buffer in place and never writes it. */
	yaml_parser_set_input_string(&parser, len ? data : (const unsigned char *)"", len);

	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				r = -ENOMEM;
			} else {
				r = reterr_set_at(err, -EINVAL, mark_pos(parser.problem_mark.line),
						  mark_pos(parser.problem_mark.column),
						  "YAML syntax error: %s%s%s",
						  parser.problem ? parser.problem
								 : "invalid document",
						  parser.context ? " " : "",
						  parser.context ? parser.context : "");
			}
			break;
		}
		bool end = ev.type == YAML_STREAM_END_EVENT;
		r = handle_event(&b, &ev, err);
		yaml_event_delete(&ev);
		if (r < 0 || end)
			break;
	}
	yaml_parser_delete(&parser);

	if (r < 0) {
		ynode_free(b.root);
		return r;
	}
	*ret = b.root;
	return 0;
}

/* ---- reading the tree ------------------------------------------------------------------- */

const char *policy_show(const char *s, size_t len, char out[static YSHOW_MAX])
{
	size_t i, o = 0;
	for (i = 0; i < len && o < 64; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *ynode_show(const struct ynode *n, char out[static YSHOW_MAX])
{
	if (n->type != YNODE_SCALAR)
		return ynode_type_name(n->type);
	return policy_show(n->str, n->len, out);
}

int ynode_expect(const struct ynode *n, enum ynode_type t, const char *what, struct reterr *err)
{
	if (n->type == t)
		return 0;
	return reterr_set_at(err, -EINVAL, n->line, n->column, "%s must be %s, not %s", what,
			     ynode_type_name(t), ynode_type_name(n->type));
}

/* Mapping keys must be distinct scalars; libyaml does not check either. */
int ynode_check_map_keys(const struct ynode *map, const char *what, struct reterr *err)
{
	char buf[YSHOW_MAX];
	for (size_t i = 0; i < map->nkids; i += 2) {
		const struct ynode *k = map->kids[i];
		if (k->type != YNODE_SCALAR)
			return reterr_set_at(err, -EINVAL, k->line, k->column,
					     "keys in %s must be plain strings", what);
		for (size_t j = 0; j < i; j += 2) {
			const struct ynode *o = map->kids[j];
			if (o->len == k->len && memcmp(o->str, k->str, k->len) == 0)
				return reterr_set_at(err, -EINVAL, k->line, k->column,
						     "duplicate key '%s' in %s (first at line %d)",
						     ynode_show(k, buf), what, o->line);
		}
	}
	return 0;
}

bool ynode_is(const struct ynode *n, const char *s)
{
	size_t l = strlen(s);
	return n->type == YNODE_SCALAR && n->len == l && memcmp(n->str, s, l) == 0;
}

/* Alias names appear on command lines (--env NAME) and in messages. */

char *ynode_strdup(const struct ynode *n)
{
	char *s = malloc(n->len + 1);
	if (s)
		memcpy(s, n->str, n->len + 1);
	return s;
}
