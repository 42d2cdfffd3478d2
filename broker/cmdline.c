/* SPDX-License-Identifier: Apache-2.0 */
/* broker: command lines as an agent writes them ("psql $DATABASE_URL -c 'SELECT 1'"), split
 * into words without a shell, and $NAME expanded to injected values into locked memory. No
 * shell ever runs unless the policy allows one and the command names it. */
#include <errno.h>
#include <string.h>

#include "broker/broker-internal.h"

/* Output of the splitter: words into a growing secure region, with their start offsets. */
struct words {
	struct secret *mem;
	size_t *starts;
	size_t n, cap;
	bool open; /* a word has started (quotes make an empty word) */
	int err;
};

static void w_put(struct words *w, const void *p, size_t len)
{
	if (!w->err && !w->mem && !(w->mem = secret_new(256)))
		w->err = -ENOMEM;
	if (!w->err && secret_append(&w->mem, p, len) < 0)
		w->err = -ENOMEM;
}

static void w_begin(struct words *w)
{
	if (w->open || w->err)
		return;
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		size_t *s = reallocarray(w->starts, ncap, sizeof(*s));
		if (!s) {
			w->err = -ENOMEM;
			return;
		}
		w->starts = s;
		w->cap = ncap;
	}
	if (w->n >= SUP_ARGV_MAX) {
		w->err = -E2BIG;
		return;
	}
	w->starts[w->n++] = w->mem ? w->mem->len : 0;
	w->open = true;
}

static void w_end(struct words *w)
{
	if (w->open)
		w_put(w, "", 1);
	w->open = false;
}

/* At s[i] == '$': the variable it names, if any. Sets *ret_end past the reference, *ret_name
 * and *ret_len to the name. */
static bool var_ref(const char *s, size_t len, size_t i, size_t *ret_name, size_t *ret_nlen,
		    size_t *ret_end)
{
	size_t j = i + 1;
	if (j < len && s[j] == '{') {
		size_t k = j + 1;
		if (k >= len || !env_name_char(s[k], true))
			return false;
		while (k < len && env_name_char(s[k], false))
			k++;
		if (k >= len || s[k] != '}')
			return false;
		*ret_name = j + 1;
		*ret_nlen = k - (j + 1);
		*ret_end = k + 1;
		return true;
	}
	if (j >= len || !env_name_char(s[j], true))
		return false;
	size_t k = j;
	while (k < len && env_name_char(s[k], false))
		k++;
	*ret_name = j;
	*ret_nlen = k - j;
	*ret_end = k;
	return true;
}

/* Copy s[i..] starting at a '$': the value when lookup knows the name, else the reference as
 * written. Returns the index after it. */
static size_t put_dollar(struct words *w, const char *s, size_t len, size_t i,
			 broker_lookup_fn lookup, void *ctx)
{
	size_t name, nlen, end;
	if (lookup && var_ref(s, len, i, &name, &nlen, &end)) {
		const struct secret *v = lookup(ctx, s + name, nlen);
		if (v) {
			w_put(w, v->data, v->len);
			return end;
		}
	}
	w_put(w, "$", 1);
	return i + 1;
}

static const char *unquoted_refusal(const char *s, size_t len, size_t i, bool word_start)
{
	char c = s[i];
	if (c == '$' && i + 1 < len && s[i + 1] == '(')
		return "command substitution $(...)";
	switch (c) {
	case '|': return "a pipe '|'";
	case '&': return "'&'";
	case ';': return "';'";
	case '<':
	case '>': return "a redirection";
	case '(':
	case ')': return "parentheses";
	case '`': return "command substitution `...`";
	case '*':
	case '?':
	case '[': return "a glob pattern";
	case '~': return word_start ? "'~' (home directory)" : NULL;
	case '#': return word_start ? "a comment '#'" : NULL;
	default: return NULL;
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The splitter proper; lookup NULL leaves every $NAME as written. */
static int split(const char *s, size_t len, broker_lookup_fn lookup, void *ctx, struct words *w,
		 struct reterr *err)
{
	size_t i = 0;
	while (i < len && !w->err) {
		char c = s[i];
		if (is_space(c)) {
			w_end(w);
			i++;
			continue;
		}
		const char *bad = unquoted_refusal(s, len, i, !w->open);
		if (bad)
			return reterr_set(
				err, -EINVAL,
				"the command contains %s at byte %zu, which needs a shell; "
				"no shell runs here: quote it, or pass the words in 'args'",
				bad, i + 1);
		w_begin(w);
		if (c == '\'') {
			size_t j = i + 1;
			while (j < len && s[j] != '\'') {
				/* Expanded inside single quotes too, as the user guide writes it
				 * (curl -H 'Authorization: Bearer $TOKEN'); docs/mcp.md. */
				if (s[j] == '$') {
					j = put_dollar(w, s, len, j, lookup, ctx);
					continue;
				}
				w_put(w, s + j, 1);
				j++;
			}
			if (j >= len)
				return reterr_set(err, -EINVAL,
						  "unterminated single quote in the command");
			i = j + 1;
		} else if (c == '"') {
			size_t j = i + 1;
			while (j < len && s[j] != '"') {
				if (s[j] == '\\' && j + 1 < len &&
				    (s[j + 1] == '"' || s[j + 1] == '\\' || s[j + 1] == '$' ||
				     s[j + 1] == '`')) {
					w_put(w, s + j + 1, 1);
					j += 2;
				} else if (s[j] == '\\' && j + 1 < len && s[j + 1] == '\n') {
					j += 2;
				} else if (s[j] == '$' && j + 1 < len && s[j + 1] == '(') {
					return reterr_set(
						err, -EINVAL,
						"the command contains command substitution "
						"$(...), which needs a shell; no shell runs "
						"here");
				} else if (s[j] == '`') {
					return reterr_set(
						err, -EINVAL,
						"the command contains command substitution "
						"`...`, which needs a shell; no shell runs here");
				} else if (s[j] == '$') {
					j = put_dollar(w, s, len, j, lookup, ctx);
				} else {
					w_put(w, s + j, 1);
					j++;
				}
			}
			if (j >= len)
				return reterr_set(err, -EINVAL,
						  "unterminated double quote in the command");
			i = j + 1;
		} else if (c == '\\') {
			if (i + 1 >= len)
				return reterr_set(err, -EINVAL,
						  "the command ends with a backslash");
			if (s[i + 1] != '\n')
				w_put(w, s + i + 1, 1);
			i += 2;
		} else if (c == '$') {
			i = put_dollar(w, s, len, i, lookup, ctx);
		} else {
			w_put(w, s + i, 1);
			i++;
		}
	}
	w_end(w);
	if (w->err == -E2BIG)
		return reterr_set(err, -E2BIG, "the command has more than %d words", SUP_ARGV_MAX);
	if (w->err)
		return w->err;
	if (w->n == 0)
		return reterr_set(err, -EINVAL, "the command is empty");
	return 0;
}

static void words_release(struct words *w)
{
	secret_free(w->mem);
	free(w->starts);
}

/* Point a NULL-terminated vector into the region. */
static int words_argv(struct words *w, char ***ret)
{
	char **v = calloc(w->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		v[i] = (char *)w->mem->data + w->starts[i];
	*ret = v;
	return 0;
}

int broker_cmdline_split(const char *line, char ***ret, struct reterr *err)
{
	struct words w = { 0 };
	char **v = NULL;
	size_t len = line ? strlen(line) : 0;
	int e;

	if (len > BROKER_COMMAND_MAX)
		return reterr_set(err, -E2BIG, "the command is longer than %d bytes",
				  BROKER_COMMAND_MAX);
	if ((e = split(line ? line : "", len, NULL, NULL, &w, err)) < 0)
		goto out;
	/* The unexpanded words hold no secret: an ordinary strv. */
	for (size_t i = 0; i < w.n && e == 0; i++)
		e = strv_push(&v, (const char *)w.mem->data + w.starts[i]);
	if (e == 0)
		*ret = TAKE_PTR(v);
out:
	strv_free(v);
	words_release(&w);
	return e;
}

int broker_cmdline_expand(const char *line, char *const *argv, broker_lookup_fn lookup, void *ctx,
			  struct secret **ret_mem, char ***ret_argv, struct reterr *err)
{
	struct words w = { 0 };
	int e = 0;

	if (line) {
		e = split(line, strlen(line), lookup, ctx, &w, err);
	} else {
		/* Words given one by one: no quoting, only $NAME. */
		for (size_t i = 0; argv && argv[i] && !w.err; i++) {
			const char *s = argv[i];
			size_t len = strlen(s), j = 0;
			w_begin(&w);
			while (j < len && !w.err) {
				const char *d = memchr(s + j, '$', len - j);
				size_t stop = d ? (size_t)(d - s) : len;
				w_put(&w, s + j, stop - j);
				j = d ? put_dollar(&w, s, len, stop, lookup, ctx) : len;
			}
			w_end(&w);
		}
		e = w.err;
		if (e == 0 && w.n == 0)
			e = reterr_set(err, -EINVAL, "the command is empty");
	}
	if (e == 0)
		e = words_argv(&w, ret_argv);
	if (e == 0) {
		*ret_mem = TAKE_PTR(w.mem);
		w.mem = NULL;
	}
	words_release(&w);
	return e;
}
