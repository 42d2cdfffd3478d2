/* SPDX-License-Identifier: Apache-2.0 */
/* policy: the command, key and sandbox sections of the schema (default_action, allowed_commands,
 * denied_commands, allowed_keys, denied_keys, sandbox, commands, max_concurrent_runs). Each value
 * is checked, with its position, and bounded before anything is kept. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/policy-internal.h"

void policy_rules_init(struct policy *p)
{
	p->default_action = POLICY_DENY;
	p->sandbox.pub.network = -1;
	p->max_concurrent = POLICY_CONCURRENT_DEFAULT;
}

void policy_cmd_release(struct policy_cmd *c)
{
	c->words = strv_free(c->words);
	free(c->text);
	c->text = NULL;
	c->nwords = 0;
}

static void globs_release(struct policy_globs *g)
{
	g->v = strv_free(g->v);
	free(g->lines);
	g->lines = NULL;
	g->n = 0;
}

static void sandbox_release(struct policy_sandbox_conf *c)
{
	c->writable = strv_free(c->writable);
	c->sockets = strv_free(c->sockets);
}

static void cmd_list_release(struct policy_cmd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		policy_cmd_release(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void policy_rules_release(struct policy *p)
{
	cmd_list_release(&p->allowed);
	cmd_list_release(&p->denied);
	globs_release(&p->allowed_keys);
	globs_release(&p->denied_keys);
	sandbox_release(&p->sandbox);
	for (size_t i = 0; i < p->ncommands; i++) {
		policy_cmd_release(&p->commands[i].match);
		globs_release(&p->commands[i].keys);
		sandbox_release(&p->commands[i].sb);
	}
	free(p->commands);
	p->commands = NULL;
	p->ncommands = 0;
	for (size_t i = 0; i < p->nkey_rules; i++)
		free(p->key_rules[i].match);
	free(p->key_rules);
	p->key_rules = NULL;
	p->nkey_rules = 0;
}

/* ---- scalars ------------------------------------------------------------------------------ */

/* A scalar that is not empty and has no control characters (NUL included: values become C
 * strings, and a NUL would silently cut them). */
static int expect_text(const struct ynode *n, const char *what, struct reterr *err)
{
	int r = ynode_expect(n, YNODE_SCALAR, what, err);
	if (r < 0)
		return r;
	if (n->len == 0)
		return reterr_set_at(err, -EINVAL, n->line, n->column, "%s must not be empty",
				     what);
	for (size_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->str[i];
		if (c < 0x20 || c == 0x7f)
			return reterr_set_at(err, -EINVAL, n->line, n->column,
					     "%s must not contain control characters", what);
	}
	return 0;
}

/* One of words[] (a NULL-terminated table); the index or a positioned -EINVAL. */
static int expect_word(const struct ynode *n, const char *what, const char *const *words,
		       const char *alts, struct reterr *err)
{
	char buf[YSHOW_MAX];
	int r = expect_text(n, what, err);
	if (r < 0)
		return r;
	for (int i = 0; words[i]; i++)
		if (ynode_is(n, words[i]))
			return i;
	return reterr_set_at(err, -EINVAL, n->line, n->column, "%s must be %s, not '%s'", what,
			     alts, ynode_show(n, buf));
}

/* ---- command entries ---------------------------------------------------------------------- */

/* Entries are argv words, not shell text: characters that only mean something to a shell (or
 * look like a wildcard) are refused, so nobody writes "npm *" or "psql -c 'x'" believing it
 * does what a shell would make of it. */
static const char cmd_refused_chars[] = "'\"\\`$;&|<>*?";

static int cmd_check_chars(const char *text, size_t len, struct reterr *err)
{
	char buf[YSHOW_MAX];
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f)
			return reterr_set(err, -EINVAL, "'%s': control characters are not allowed",
					  policy_show(text, len, buf));
		if (c && strchr(cmd_refused_chars, c))
			return reterr_set(
				err, -EINVAL,
				"'%s': '%c' is not allowed: an entry is a command and its "
				"leading arguments separated by spaces, not shell syntax (no "
				"quotes, wildcards, pipes or variables)",
				policy_show(text, len, buf), c);
	}
	return 0;
}

/* The command word: "~/x" becomes $HOME/x; a word with '/' names a file. *ret malloc'd. */
static int cmd_word0(const char *w, const char *home, char **ret, struct reterr *err)
{
	char buf[YSHOW_MAX];
	size_t len = strlen(w);
	if (w[0] == '~') {
		if (w[1] != '/' || len < 3)
			return reterr_set(err, -EINVAL,
					  "'%s': only '~/' followed by a file name is expanded",
					  policy_show(w, len, buf));
		if (!home || home[0] != '/')
			return reterr_set(err, -EINVAL, "'%s': '~/' needs $HOME (an absolute path)",
					  policy_show(w, len, buf));
		size_t hl = strlen(home);
		while (hl > 0 && home[hl - 1] == '/')
			hl--; /* "/home/me/" + "/bin" and "/" + "/bin" */
		if (asprintf(ret, "%.*s%s", (int)hl, home, w + 1) < 0)
			return -ENOMEM;
	} else {
		*ret = strdup(w);
		if (!*ret)
			return -ENOMEM;
	}
	len = strlen(*ret);
	if (len >= PATH_MAX || (strchr(*ret, '/') && (*ret)[len - 1] == '/')) {
		int r = reterr_set(err, -EINVAL, "'%s': %s", policy_show(w, strlen(w), buf),
				   len >= PATH_MAX ? "path too long" : "names a directory");
		free(*ret);
		*ret = NULL;
		return r;
	}
	return 0;
}

int policy_cmd_parse(const char *text, size_t len, const char *home, struct policy_cmd *ret,
		     struct reterr *err)
{
	AUTO_STRV char **words = NULL;
	size_t n = 0, i = 0;
	int r = cmd_check_chars(text, len, err);
	if (r < 0)
		return r;
	while (i < len) {
		while (i < len && text[i] == ' ')
			i++;
		if (i == len)
			break;
		size_t s = i;
		while (i < len && text[i] != ' ')
			i++;
		if (n == POLICY_WORDS_MAX)
			return reterr_set(err, -E2BIG, "more than %d words", POLICY_WORDS_MAX);
		AUTO_FREE char *w = strndup(text + s, i - s);
		AUTO_FREE char *w0 = NULL;
		if (!w)
			return -ENOMEM;
		if (n == 0 && (r = cmd_word0(w, home, &w0, err)) < 0)
			return r;
		if (strv_push(&words, w0 ? w0 : w) < 0)
			return -ENOMEM;
		n++;
	}
	if (n == 0)
		return reterr_set(err, -EINVAL, "an empty entry");
	char *t = strndup(text, len);
	if (!t)
		return -ENOMEM;
	*ret = (struct policy_cmd){ .words = TAKE_PTR(words), .nwords = n, .text = t };
	ret->is_path = strchr(ret->words[0], '/') != NULL;
	return 0;
}

static bool cmd_equal(const struct policy_cmd *a, const struct policy_cmd *b)
{
	if (a->nwords != b->nwords)
		return false;
	for (size_t i = 0; i < a->nwords; i++)
		if (strcmp(a->words[i], b->words[i]) != 0)
			return false;
	return true;
}

/* One entry of a command list, or a commands[].match, with its position. */
static int parse_cmd_node(const struct ynode *n, const char *list, struct policy_cmd *ret,
			  struct reterr *err)
{
	struct reterr e = RETERR_INIT;
	if (n->type != YNODE_SCALAR)
		return reterr_set_at(err, -EINVAL, n->line, n->column,
				     "%s entries must be strings, not %s", list,
				     ynode_type_name(n->type));
	int r = policy_cmd_parse(n->str, n->len, secure_getenv("HOME"), ret, &e);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return reterr_set_at(err, r, n->line, n->column, "%s entry %s", list, e.msg);
	ret->line = n->line;
	ret->column = n->column;
	return 0;
}

static int parse_cmd_list(struct policy_cmd_list *l, const struct ynode *v, const char *list,
			  int *ret_line, struct reterr *err)
{
	char what[48], buf[YSHOW_MAX];
	snprintf(what, sizeof(what), "'%s'", list);
	int r = ynode_expect(v, YNODE_SEQ, what, err);
	if (r < 0)
		return r;
	if (v->nkids > POLICY_COMMANDS_MAX)
		return reterr_set_at(err, -E2BIG, v->line, v->column,
				     "'%s' has more than %d entries", list, POLICY_COMMANDS_MAX);
	l->v = calloc(v->nkids ? v->nkids : 1, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	*ret_line = v->line;
	for (size_t i = 0; i < v->nkids; i++) {
		struct policy_cmd *c = &l->v[i];
		r = parse_cmd_node(v->kids[i], list, c, err);
		if (r < 0)
			return r;
		l->n = i + 1;
		for (size_t j = 0; j < i; j++)
			if (cmd_equal(&l->v[j], c))
				return reterr_set_at(
					err, -EINVAL, c->line, c->column,
					"duplicate entry '%s' in %s (first at line %d)",
					policy_show(c->text, strlen(c->text), buf), list,
					l->v[j].line);
	}
	return 0;
}

int policy_parse_allowed_commands(struct policy *p, const struct ynode *v, struct reterr *err)
{
	return parse_cmd_list(&p->allowed, v, "allowed_commands", &p->allowed_line, err);
}

int policy_parse_denied_commands(struct policy *p, const struct ynode *v, struct reterr *err)
{
	return parse_cmd_list(&p->denied, v, "denied_commands", &p->denied_line, err);
}

int policy_parse_default_action(struct policy *p, const struct ynode *v, struct reterr *err)
{
	static const char *const words[] = { "deny", "allow", NULL };
	int r = expect_word(v, "'default_action'", words, "'allow' or 'deny'", err);
	if (r < 0)
		return r;
	p->default_action = r == 1 ? POLICY_ALLOW : POLICY_DENY;
	p->default_line = v->line;
	return 0;
}

int policy_parse_max_concurrent_runs(struct policy *p, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	uint64_t n;
	if (v->type != YNODE_SCALAR || !v->plain || memchr(v->str, '\0', v->len) ||
	    parse_u64(v->str, 1, POLICY_CONCURRENT_MAX, &n) < 0)
		return reterr_set_at(
			err, -EINVAL, v->line, v->column,
			"'max_concurrent_runs' must be a number from 1 to %d, not '%s'",
			POLICY_CONCURRENT_MAX, ynode_show(v, buf));
	p->max_concurrent = (unsigned)n;
	return 0;
}

int policy_parse_mcp_folder_writes(struct policy *p, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	bool t = v->type == YNODE_SCALAR && v->plain && v->len == 4 && !memcmp(v->str, "true", 4);
	bool f = v->type == YNODE_SCALAR && v->plain && v->len == 5 && !memcmp(v->str, "false", 5);
	if (!t && !f)
		return reterr_set_at(err, -EINVAL, v->line, v->column,
				     "'mcp_folder_writes' must be true or false, not '%s'",
				     ynode_show(v, buf));
	p->mcp_folder_writes = t;
	return 0;
}

/* ---- key globs ---------------------------------------------------------------------------- */

/* A key glob: 1..POLICY_KEY_MAX of [A-Za-z0-9._/-] and the glob characters '*' '?', with no
 * empty, "." or ".." segment (vault keys have none, so such a glob could never match). */
static int check_key_glob(const struct ynode *n, const char *list, struct reterr *err)
{
	char buf[YSHOW_MAX];
	const char *s = n->str;
	if (n->type != YNODE_SCALAR)
		return reterr_set_at(err, -EINVAL, n->line, n->column,
				     "%s entries must be strings, not %s", list,
				     ynode_type_name(n->type));
	if (n->len == 0 || n->len > POLICY_KEY_MAX)
		return reterr_set_at(err, -EINVAL, n->line, n->column,
				     "%s entries must be 1-%d characters", list, POLICY_KEY_MAX);
	for (size_t i = 0; i < n->len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '/' || c == '-' || c == '*' || c == '?'))
			return reterr_set_at(err, -EINVAL, n->line, n->column,
					     "%s entry '%s': only [A-Za-z0-9._/-] and the "
					     "wildcards '*' and '?' are allowed",
					     list, ynode_show(n, buf));
	}
	for (size_t i = 0, start = 0; i <= n->len; i++) {
		if (i < n->len && s[i] != '/')
			continue;
		size_t seg = i - start;
		if (seg == 0 || (seg == 1 && s[start] == '.') ||
		    (seg == 2 && s[start] == '.' && s[start + 1] == '.'))
			return reterr_set_at(err, -EINVAL, n->line, n->column,
					     "%s entry '%s' has an empty, '.' or '..' segment",
					     list, ynode_show(n, buf));
		start = i + 1;
	}
	return 0;
}

static int parse_globs(struct policy_globs *g, const struct ynode *v, const char *list,
		       struct reterr *err)
{
	char what[48], buf[YSHOW_MAX];
	snprintf(what, sizeof(what), "'%s'", list);
	int r = ynode_expect(v, YNODE_SEQ, what, err);
	if (r < 0)
		return r;
	if (v->nkids > POLICY_KEY_GLOBS_MAX)
		return reterr_set_at(err, -E2BIG, v->line, v->column,
				     "'%s' has more than %d entries", list, POLICY_KEY_GLOBS_MAX);
	g->v = calloc(v->nkids + 1, sizeof(*g->v));
	g->lines = calloc(v->nkids ? v->nkids : 1, sizeof(*g->lines));
	if (!g->v || !g->lines)
		return -ENOMEM;
	g->present = true;
	g->line = v->line;
	for (size_t i = 0; i < v->nkids; i++) {
		const struct ynode *k = v->kids[i];
		r = check_key_glob(k, list, err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(g->v[j], k->str) == 0)
				return reterr_set_at(
					err, -EINVAL, k->line, k->column,
					"duplicate entry '%s' in %s (first at line %d)",
					ynode_show(k, buf), list, g->lines[j]);
		g->v[i] = ynode_strdup(k);
		if (!g->v[i])
			return -ENOMEM;
		g->lines[i] = k->line;
		g->n = i + 1;
	}
	return 0;
}

int policy_parse_allowed_keys(struct policy *p, const struct ynode *v, struct reterr *err)
{
	return parse_globs(&p->allowed_keys, v, "allowed_keys", err);
}

int policy_parse_denied_keys(struct policy *p, const struct ynode *v, struct reterr *err)
{
	return parse_globs(&p->denied_keys, v, "denied_keys", err);
}

/* ---- sandbox settings --------------------------------------------------------------------- */

/* A path: absolute or "~/..." (expanded with $HOME now), without "." or ".." segments; repeated
 * and trailing slashes are dropped. *ret malloc'd. */
static int parse_path(const struct ynode *n, const char *list, char **ret, struct reterr *err)
{
	char what[48], buf[YSHOW_MAX];
	const char *home = secure_getenv("HOME"), *s = n->str;
	AUTO_BUF struct buf b = BUF_INIT;
	snprintf(what, sizeof(what), "%s entries", list);
	int r = expect_text(n, what, err);
	if (r < 0)
		return r;
	if (s[0] == '~') {
		if (s[1] != '/' && s[1] != '\0')
			return reterr_set_at(err, -EINVAL, n->line, n->column,
					     "%s entry '%s': only '~/' is expanded", list,
					     ynode_show(n, buf));
		if (!home || home[0] != '/')
			return reterr_set_at(err, -EINVAL, n->line, n->column,
					     "%s entry '%s': '~/' needs $HOME (an absolute path)",
					     list, ynode_show(n, buf));
		if (buf_puts(&b, home) < 0 || buf_puts(&b, s + 1) < 0)
			return -ENOMEM;
		s = b.data;
	} else if (s[0] != '/') {
		return reterr_set_at(err, -EINVAL, n->line, n->column,
				     "%s entry '%s' must be an absolute path (or start with '~/')",
				     list, ynode_show(n, buf));
	}
	AUTO_BUF struct buf out = BUF_INIT;
	for (const char *p = s; *p;) {
		while (*p == '/')
			p++;
		size_t l = strcspn(p, "/");
		if (l == 0)
			break;
		if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return reterr_set_at(err, -EINVAL, n->line, n->column,
					     "%s entry '%s' has a '.' or '..' segment", list,
					     ynode_show(n, buf));
		if (buf_putc(&out, '/') < 0 || buf_append(&out, p, l) < 0)
			return -ENOMEM;
		p += l;
	}
	if (out.len == 0 && buf_putc(&out, '/') < 0)
		return -ENOMEM;
	if (out.len >= PATH_MAX)
		return reterr_set_at(err, -EINVAL, n->line, n->column,
				     "%s entry '%s': path too long", list, ynode_show(n, buf));
	*ret = buf_detach(&out);
	return 0;
}

static int parse_paths(const struct ynode *v, const char *list, char ***ret, struct reterr *err)
{
	char what[48], buf[YSHOW_MAX];
	snprintf(what, sizeof(what), "'%s'", list);
	int r = ynode_expect(v, YNODE_SEQ, what, err);
	if (r < 0)
		return r;
	if (v->nkids > POLICY_WRITABLE_MAX)
		return reterr_set_at(err, -E2BIG, v->line, v->column,
				     "'%s' has more than %d entries", list, POLICY_WRITABLE_MAX);
	/* An empty list is a vector without elements: set, and it overrides with "none". */
	AUTO_STRV char **out = calloc(v->nkids + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < v->nkids; i++) {
		const struct ynode *k = v->kids[i];
		r = parse_path(k, list, &out[i], err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (strcmp(out[j], out[i]) == 0)
				return reterr_set_at(err, -EINVAL, k->line, k->column,
						     "duplicate entry '%s' in %s",
						     ynode_show(k, buf), list);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int sb_profile(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err)
{
	static const char *const words[] = { "standard", "strict", "off", NULL };
	int r = expect_word(v, "'profile'", words, "'standard', 'strict' or 'off'", err);
	if (r < 0)
		return r;
	c->pub.profile = words[r];
	return 0;
}

static int sb_network(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err)
{
	static const char *const words[] = { "allow", "deny", NULL };
	int r = expect_word(v, "'network'", words, "'allow' or 'deny'", err);
	if (r < 0)
		return r;
	c->pub.network = r;
	return 0;
}

static int sb_writable(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err)
{
	int r = parse_paths(v, "writable", &c->writable, err);
	c->pub.writable = c->writable;
	return r;
}

static int sb_sockets(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err)
{
	int r = parse_paths(v, "allow_sockets", &c->sockets, err);
	c->pub.sockets = c->sockets;
	return r;
}

static int sb_timeout(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	int64_t ms = 0;
	int r = expect_text(v, "'timeout'", err);
	if (r < 0)
		return r;
	r = parse_duration_ms(v->str, true, &ms);
	if (r < 0 || ms <= 0 || ms > POLICY_TIMEOUT_MAX_MS)
		return reterr_set_at(err, -EINVAL, v->line, v->column,
				     "'timeout' must be a duration from 1ms to 7d such as 90s, 5m, "
				     "1h30m or 500ms, not '%s'",
				     ynode_show(v, buf));
	c->pub.timeout_ms = ms;
	return 0;
}

static int sb_size(const struct ynode *v, const char *what, uint64_t min, uint64_t max,
		   const char *range, uint64_t *ret, struct reterr *err)
{
	char buf[YSHOW_MAX];
	uint64_t n = 0;
	int r = expect_text(v, what, err);
	if (r < 0)
		return r;
	if (parse_bytes(v->str, &n) < 0 || n < min || n > max)
		return reterr_set_at(err, -EINVAL, v->line, v->column,
				     "%s must be a size from %s (bytes, or with K, M or G) such as "
				     "512K or 1M, not '%s'",
				     what, range, ynode_show(v, buf));
	*ret = n;
	return 0;
}

static int sb_max_output(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err)
{
	return sb_size(v, "'max_output'", 1, POLICY_OUTPUT_MAX, "1 to 1G", &c->pub.max_output, err);
}

static int sb_memory(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err)
{
	return sb_size(v, "'memory'", POLICY_MEMORY_MIN, POLICY_MEMORY_MAX, "1M to 1024G",
		       &c->pub.memory, err);
}

static const struct sb_field {
	const char *key;
	int (*parse)(struct policy_sandbox_conf *c, const struct ynode *v, struct reterr *err);
} sb_fields[] = {
	{ "profile", sb_profile },	 { "network", sb_network }, { "writable", sb_writable },
	{ "allow_sockets", sb_sockets }, { "timeout", sb_timeout }, { "max_output", sb_max_output },
	{ "memory", sb_memory },
};

#define SB_KEYS "profile, network, writable, allow_sockets, timeout, max_output, memory"

/* A sandbox key of map m (key k, value v); 1 when it was one, 0 when k is not a sandbox key. */
static int sb_field(struct policy_sandbox_conf *c, const struct ynode *k, const struct ynode *v,
		    struct reterr *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(sb_fields); i++)
		if (ynode_is(k, sb_fields[i].key)) {
			int r = sb_fields[i].parse(c, v, err);
			return r < 0 ? r : 1;
		}
	return 0;
}

int policy_parse_sandbox(struct policy *p, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	int r = ynode_expect(v, YNODE_MAP, "'sandbox'", err);
	if (r < 0)
		return r;
	r = ynode_check_map_keys(v, "'sandbox'", err);
	if (r < 0)
		return r;
	p->sandbox.line = v->line;
	p->sandbox.column = v->column;
	for (size_t i = 0; i < v->nkids; i += 2) {
		const struct ynode *k = v->kids[i];
		r = sb_field(&p->sandbox, k, v->kids[i + 1], err);
		if (r < 0)
			return r;
		if (r == 0)
			return reterr_set_at(err, -EINVAL, k->line, k->column,
					     "unknown key '%s' in 'sandbox' (known keys: " SB_KEYS
					     ")",
					     ynode_show(k, buf));
	}
	return 0;
}

/* ---- consent: approval, approval_timeout, approval_channel, keys ------------------------- */

static int parse_approval_word(const struct ynode *v, enum policy_approval *ret, struct reterr *err)
{
	static const char *const words[] = { "never", "once", "session", "always", NULL };
	int r = expect_word(v, "'approval'", words, "never, once, session or always", err);
	if (r < 0)
		return r;
	*ret = (enum policy_approval)r;
	return 0;
}

int policy_parse_approval(struct policy *p, const struct ynode *v, struct reterr *err)
{
	p->approval_line = v->line;
	return parse_approval_word(v, &p->approval, err);
}

int policy_parse_approval_timeout(struct policy *p, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	int64_t ms = 0;
	int r = expect_text(v, "'approval_timeout'", err);
	if (r < 0)
		return r;
	r = parse_duration_ms(v->str, false, &ms);
	if (r < 0 || ms < 1000 || ms > POLICY_APPROVAL_TIMEOUT_MAX_MS)
		return reterr_set_at(err, -EINVAL, v->line, v->column,
				     "'approval_timeout' must be a duration from 1s to 10m such as "
				     "45s or 2m, not '%s'",
				     ynode_show(v, buf));
	p->approval_timeout_ms = ms;
	return 0;
}

int policy_parse_approval_channel(struct policy *p, const struct ynode *v, struct reterr *err)
{
	static const char *const words[] = { "client", "agent", NULL };
	int r = expect_word(v, "'approval_channel'", words, "client or agent", err);
	if (r < 0)
		return r;
	p->approval_channel = (enum policy_approval_channel)r;
	return 0;
}

static int parse_key_rule(struct policy_key_rule *kr, const struct ynode *m, struct reterr *err)
{
	static const char *const bools[] = { "false", "true", NULL };
	char buf[YSHOW_MAX];
	bool have_approval = false, have_grant = false;
	int r = ynode_expect(m, YNODE_MAP, "a 'keys' entry", err);
	if (r < 0 || (r = ynode_check_map_keys(m, "a 'keys' entry", err)) < 0)
		return r;
	kr->line = m->line;
	for (size_t i = 0; i < m->nkids; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		if (ynode_is(k, "match")) {
			if ((r = check_key_glob(v, "keys 'match'", err)) < 0)
				return r;
			if (!(kr->match = ynode_strdup(v)))
				return -ENOMEM;
		} else if (ynode_is(k, "approval")) {
			if ((r = parse_approval_word(v, &kr->approval, err)) < 0)
				return r;
			have_approval = true;
		} else if (ynode_is(k, "require_grant")) {
			r = expect_word(v, "'require_grant'", bools, "true or false", err);
			if (r < 0)
				return r;
			kr->require_grant = r == 1;
			have_grant = true;
		} else {
			return reterr_set_at(
				err, -EINVAL, k->line, k->column,
				"unknown key '%s' in a 'keys' entry (known keys: match, "
				"approval, require_grant)",
				ynode_show(k, buf));
		}
	}
	if (!kr->match || (!have_approval && !have_grant))
		return reterr_set_at(err, -EINVAL, m->line, m->column,
				     "a 'keys' entry needs 'match' (a key glob) and 'approval' or "
				     "'require_grant'");
	return 0;
}

int policy_parse_key_rules(struct policy *p, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	int r = ynode_expect(v, YNODE_SEQ, "'keys'", err);
	if (r < 0)
		return r;
	if (v->nkids > POLICY_KEY_RULES_MAX)
		return reterr_set_at(err, -E2BIG, v->line, v->column,
				     "'keys' has more than %d entries", POLICY_KEY_RULES_MAX);
	p->key_rules = calloc(v->nkids ? v->nkids : 1, sizeof(*p->key_rules));
	if (!p->key_rules)
		return -ENOMEM;
	for (size_t i = 0; i < v->nkids; i++) {
		struct policy_key_rule *kr = &p->key_rules[i];
		p->nkey_rules = i + 1; /* so policy_free releases a half-filled entry too */
		if ((r = parse_key_rule(kr, v->kids[i], err)) < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->key_rules[j].match, kr->match))
				return reterr_set_at(
					err, -EINVAL, kr->line, 1,
					"duplicate 'match' '%s' in keys (first at line "
					"%d)",
					policy_show(kr->match, strlen(kr->match), buf),
					p->key_rules[j].line);
	}
	return 0;
}

/* ---- commands: per-command keys and sandbox ----------------------------------------------- */

static int parse_cmd_rule(struct policy_cmd_rule *cr, const struct ynode *m, struct reterr *err)
{
	char buf[YSHOW_MAX];
	bool have_match = false;
	cr->sb.pub.network = -1;
	cr->line = m->line;
	cr->column = m->column;
	int r = ynode_expect(m, YNODE_MAP, "a 'commands' entry", err);
	if (r < 0)
		return r;
	r = ynode_check_map_keys(m, "a 'commands' entry", err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->nkids; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];
		if (ynode_is(k, "match")) {
			r = parse_cmd_node(v, "commands 'match'", &cr->match, err);
			have_match = r == 0;
		} else if (ynode_is(k, "keys")) {
			r = parse_globs(&cr->keys, v, "keys", err);
		} else if (ynode_is(k, "approval")) {
			r = parse_approval_word(v, &cr->approval, err);
			cr->approval_line = v->line;
		} else {
			r = sb_field(&cr->sb, k, v, err);
			if (r == 0)
				return reterr_set_at(
					err, -EINVAL, k->line, k->column,
					"unknown key '%s' in a 'commands' entry (known "
					"keys: match, keys, approval, " SB_KEYS ")",
					ynode_show(k, buf));
		}
		if (r < 0)
			return r;
	}
	if (!have_match)
		return reterr_set_at(
			err, -EINVAL, m->line, m->column,
			"a 'commands' entry needs 'match' (the command it applies to)");
	return 0;
}

int policy_parse_commands(struct policy *p, const struct ynode *v, struct reterr *err)
{
	char buf[YSHOW_MAX];
	int r = ynode_expect(v, YNODE_SEQ, "'commands'", err);
	if (r < 0)
		return r;
	if (v->nkids > POLICY_COMMANDS_MAX)
		return reterr_set_at(err, -E2BIG, v->line, v->column,
				     "'commands' has more than %d entries", POLICY_COMMANDS_MAX);
	p->commands = calloc(v->nkids ? v->nkids : 1, sizeof(*p->commands));
	if (!p->commands)
		return -ENOMEM;
	for (size_t i = 0; i < v->nkids; i++) {
		struct policy_cmd_rule *cr = &p->commands[i];
		p->ncommands = i + 1; /* so policy_free releases a half-filled entry too */
		r = parse_cmd_rule(cr, v->kids[i], err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (cmd_equal(&p->commands[j].match, &cr->match))
				return reterr_set_at(
					err, -EINVAL, cr->match.line, cr->match.column,
					"duplicate 'match' '%s' in commands (first at line %d): "
					"the "
					"first entry would always win",
					policy_show(cr->match.text, strlen(cr->match.text), buf),
					p->commands[j].match.line);
	}
	return 0;
}

/* ---- across sections ---------------------------------------------------------------------- */

/* network deny isolates the network inside a sandbox; profile off has none to isolate it in. */
static int check_sandbox(const struct policy_sandbox_conf *top, const struct policy_cmd_rule *cr,
			 struct reterr *err)
{
	char buf[YSHOW_MAX];
	const char *profile = top->pub.profile;
	int network = top->pub.network;
	if (cr && cr->sb.pub.profile)
		profile = cr->sb.pub.profile;
	if (cr && cr->sb.pub.network >= 0)
		network = cr->sb.pub.network;
	if (!profile || strcmp(profile, "off") != 0 || network != 1)
		return 0;
	if (!cr)
		return reterr_set_at(err, -EINVAL, top->line, top->column,
				     "sandbox: 'network: deny' needs a sandbox, but the profile is "
				     "'off'");
	return reterr_set_at(err, -EINVAL, cr->line, cr->column,
			     "commands entry '%s': 'network: deny' needs a sandbox, but the "
			     "profile is 'off'",
			     policy_show(cr->match.text, strlen(cr->match.text), buf));
}

int policy_parse_finish(struct policy *p, struct reterr *err)
{
	char buf[YSHOW_MAX];
	for (size_t i = 0; i < p->allowed.n; i++)
		for (size_t j = 0; j < p->denied.n; j++) {
			const struct policy_cmd *a = &p->allowed.v[i], *d = &p->denied.v[j];
			if (!cmd_equal(a, d))
				continue;
			const struct policy_cmd *later =
				a->line > d->line || (a->line == d->line && a->column > d->column)
					? a
					: d;
			return reterr_set_at(
				err, -EINVAL, later->line, later->column,
				"'%s' is in both allowed_commands (line %d) and "
				"denied_commands (line %d); denied_commands wins: remove "
				"one",
				policy_show(a->text, strlen(a->text), buf), a->line, d->line);
		}
	int r = check_sandbox(&p->sandbox, NULL, err);
	for (size_t i = 0; r == 0 && i < p->ncommands; i++)
		r = check_sandbox(&p->sandbox, &p->commands[i], err);
	return r;
}

/* ---- queries ------------------------------------------------------------------------------ */

unsigned policy_max_concurrent_runs(const struct policy *p)
{
	return p ? p->max_concurrent : POLICY_CONCURRENT_DEFAULT;
}

bool policy_mcp_folder_writes(const struct policy *p)
{
	return p && p->mcp_folder_writes;
}

void policy_summarize(const struct policy *p, struct policy_summary *ret)
{
	*ret = (struct policy_summary){ .default_action = POLICY_DENY,
					.allowed_keys = -1,
					.max_concurrent_runs = POLICY_CONCURRENT_DEFAULT };
	if (!p)
		return;
	ret->default_action = p->default_action;
	ret->allowed_commands = p->allowed.n;
	ret->denied_commands = p->denied.n;
	ret->commands = p->ncommands;
	ret->allowed_keys = p->allowed_keys.present ? (long)p->allowed_keys.n : -1;
	ret->denied_keys = p->denied_keys.n;
	ret->aliases = p->naliases;
	ret->max_concurrent_runs = p->max_concurrent;
}

int policy_command_info(const struct policy *p, int index, const char **ret_match, int *ret_line)
{
	if (!p || index < 0 || (size_t)index >= p->ncommands)
		return -ENOENT;
	if (ret_match)
		*ret_match = p->commands[index].match.text;
	if (ret_line)
		*ret_line = p->commands[index].match.line;
	return 0;
}
