/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl export` writes secrets in plaintext as .env (the variables `run` would give a
 * command) or JSON (the format `import` reads back), to stdout or to a 0600 file written whole
 * or not at all. Audited before any plaintext leaves. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"
#include "interchange/interchange.h"
#include "policy/policy.h"

static struct {
	char **keys;
	const char *format, *output;
	bool with_metadata, force, json;
} o;

static const struct cli_opt opts[] = {
	CLI_LIST('k', "key", "PATTERN", &o.keys,
		 "export the keys matching PATTERN (glob; "
		 "repeatable; default: all)"),
	CLI_STRING('f', "format", "env|json", &o.format, "output format (default: env)"),
	CLI_STRING('o', "output", "FILE", &o.output,
		   "write FILE (mode 0600, replaced whole) instead of stdout"),
	CLI_FLAG(0, "with-metadata", &o.with_metadata,
		 "JSON: add tags, url, notes and dates to each secret"),
	CLI_FLAG(0, "force", &o.force, "replace FILE when it exists"),
	CLI_OPT_END,
};

static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	if (o.format && strcmp(o.format, "env") && strcmp(o.format, "json")) {
		cli_error("export: unknown --format '%s' (use env or json)", o.format);
		return CLI_EUSAGE;
	}
	o.json = o.format && !strcmp(o.format, "json");
	if (o.with_metadata && !o.json) {
		cli_error("export: --with-metadata needs -f json (a .env file has no room for it)");
		return CLI_EUSAGE;
	}
	return o.output ? cli_plainfile_check("export", o.output, o.force) : CLI_OK;
}

/* The secrets to export: all, or those a -k pattern matches (each must match one). */
static int select_keys(struct vault *v, struct vault_meta **ret, size_t *ret_n)
{
	struct reterr err = RETERR_INIT;
	struct vault_meta *m = NULL;
	size_t n = 0, kept = 0;
	int r = vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &n, &err);
	if (r < 0) {
		cli_error("export: cannot list the secrets: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	bool *used = calloc(strv_len(o.keys) + 1, sizeof(*used));
	for (size_t i = 0; used && i < n; i++) {
		bool keep = !o.keys;
		for (size_t k = 0; o.keys && o.keys[k]; k++)
			if (glob_match(o.keys[k], m[i].key))
				keep = used[k] = true;
		if (!keep)
			continue;
		struct vault_meta tmp = m[kept];
		m[kept++] = m[i];
		m[i] = tmp;
	}
	for (size_t k = 0; used && o.keys && o.keys[k]; k++) {
		if (!used[k]) {
			cli_error("export: -k '%s' matches no secret (see 'secretctl list')",
				  o.keys[k]);
			r = -ENOENT;
			break;
		}
	}
	free(used);
	if (!used || r < 0) {
		vault_meta_array_free(m, n);
		return used ? CLI_ENOTFOUND : CLI_EIO;
	}
	for (size_t i = kept; i < n; i++)
		vault_meta_release(&m[i]);
	*ret = m;
	*ret_n = kept;
	return CLI_OK;
}

/* ---- .env ----------------------------------------------------------------------------------- */

struct env_ctx {
	bool names_only;    /* collect the names (the values are not there yet) */
	struct outbuf *out; /* else write, or with NULL only check the values */
	char **names;
	const char *key;
};

static int env_var(void *ctx, char *env, const struct vault_field_meta *field,
		   const unsigned char *value, size_t len, struct reterr *err)
{
	(void)field;
	struct env_ctx *c = ctx;
	AUTO_FREE char *name = env;
	int e = policy_env_check(name);
	if (e == -EINVAL)
		return reterr_set(err, -EINVAL, "%s gives '%s', not an environment variable name",
				  c->key, name);
	if (e == -EACCES)
		return reterr_set(err, -EINVAL,
				  "%s would set %s, which is reserved (it changes how programs "
				  "start); rename the secret or binding, or use -f json",
				  c->key, name);
	if (c->names_only)
		return strv_push(&c->names, name) < 0 ? reterr_set(err, -ENOMEM, "out of memory")
						      : 0;
	if (memchr(value, 0, len))
		return reterr_set(err, -EINVAL,
				  "%s holds a NUL byte, which .env cannot carry; use "
				  "-f json",
				  c->key);
	return c->out ? ix_env_write(c->out, name, value, len) : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Before anything is decrypted: the names every secret gives, distinct. Needs only metadata
 * (the values are not looked at). */
static int env_names(const struct vault_meta *m, size_t n, struct reterr *err)
{
	struct env_ctx c = { .names_only = true };
	static const unsigned char none[1];
	const unsigned char *fv[VAULT_FIELDS_MAX];
	size_t fl[VAULT_FIELDS_MAX] = { 0 };
	int r = 0;
	for (size_t f = 0; f < VAULT_FIELDS_MAX; f++)
		fv[f] = none;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct vault_entry e = {
			.meta = m[i], .value = none, .field_values = fv, .field_lens = fl
		};
		c.key = m[i].key;
		r = broker_entry_vars(&e, m[i].key, NULL, false, env_var, &c, err);
	}
	size_t nn = strv_len(c.names);
	if (r == 0 && nn > 1) {
		qsort(c.names, nn, sizeof(char *), cmp_str);
		for (size_t i = 1; i < nn && r == 0; i++)
			if (!strcmp(c.names[i - 1], c.names[i]))
				r = reterr_set(err, -EINVAL,
					       "two secrets both give %s; export them "
					       "separately (-k) or use -f json",
					       c.names[i]);
	}
	strv_free(c.names);
	return r;
}

static int env_entry(struct outbuf *out, const struct vault_entry *e, struct reterr *err)
{
	struct env_ctx c = { .out = out, .key = e->meta.key };
	return broker_entry_vars(e, e->meta.key, NULL, false, env_var, &c, err);
}

/* ---- JSON ----------------------------------------------------------------------------------- */

/* The separator before the next member of an entry's object: "{" first, then ",". */
static void member(struct outbuf *out, bool *first, const char *name)
{
	outbuf_puts(out, *first ? "{\n    \"" : ",\n    \"");
	outbuf_puts(out, name);
	outbuf_puts(out, "\": ");
	*first = false;
}

static int json_fields(struct outbuf *out, const struct vault_entry *e, bool *first)
{
	const struct vault_meta *m = &e->meta;
	member(out, first, "fields");
	outbuf_puts(out, "[");
	for (size_t f = 0; f < m->nfields; f++) {
		outbuf_puts(out, f ? ",\n      {\"name\": " : "\n      {\"name\": ");
		outbuf_json_cstr(out, m->fields[f].name);
		outbuf_puts(out, ", ");
		if (cli_out_json_value(out, e->field_values[f], e->field_lens[f], false) < 0)
			return -ENOMEM;
		outbuf_printf(out, ", \"sensitive\": %s}",
			      m->fields[f].sensitive ? "true" : "false");
	}
	outbuf_puts(out, "\n    ]");
	if (m->nbindings) {
		member(out, first, "bindings");
		outbuf_puts(out, "{");
		for (size_t b = 0; b < m->nbindings; b++) {
			outbuf_puts(out, b ? ", " : "");
			outbuf_json_cstr(out, m->bindings[b].env);
			outbuf_puts(out, ": ");
			outbuf_json_cstr(out, m->bindings[b].field);
		}
		outbuf_puts(out, "}");
	}
	return 0;
}

static void json_meta(struct outbuf *out, const struct vault_meta *m, bool *first)
{
	member(out, first, "tags");
	outbuf_json_strv(out, m->tags);
	if (m->url) {
		member(out, first, "url");
		outbuf_json_cstr(out, m->url);
	}
	if (m->notes) {
		member(out, first, "notes");
		outbuf_json_cstr(out, m->notes);
	}
	member(out, first, "created_at");
	outbuf_json_time(out, m->created_at);
	member(out, first, "updated_at");
	outbuf_json_time(out, m->updated_at);
	member(out, first, "expires_at");
	outbuf_json_time(out, m->expires_at);
}

/* "KEY": "text", or an object when there is more to say: fields and bindings, bytes that are
 * not UTF-8 (value_base64), metadata. */
static int json_entry(struct outbuf *out, const struct vault_entry *e, bool first_entry)
{
	const struct vault_meta *m = &e->meta;
	bool first = true;
	outbuf_puts(out, first_entry ? "\n  " : ",\n  ");
	outbuf_json_cstr(out, m->key);
	outbuf_puts(out, ": ");
	if (!o.with_metadata && !m->nfields && m->has_value && utf8_valid(e->value, e->value_len)) {
		outbuf_json_str(out, e->value, e->value_len);
		return 0;
	}
	if (m->has_value) {
		outbuf_puts(out, "{\n    ");
		first = false;
		if (cli_out_json_value(out, e->value, e->value_len, false) < 0)
			return -ENOMEM;
	}
	if (m->nfields && json_fields(out, e, &first) < 0)
		return -ENOMEM;
	if (o.with_metadata)
		json_meta(out, m, &first);
	outbuf_puts(out, "\n  }");
	return 0;
}

/* ---- the run -------------------------------------------------------------------------------- */

/* Decrypt and write (or, out NULL, only check that .env can carry) every secret. */
static int write_all(struct outbuf *out, struct vault *v, const struct vault_meta *m, size_t n,
		     struct reterr *err)
{
	int r = 0;
	if (out && o.json)
		outbuf_puts(out, "{");
	for (size_t i = 0; i < n && r == 0; i++) {
		struct vault_entry *e = NULL;
		if ((r = vault_get(v, m[i].key, VAULT_GET_NO_AUDIT, &e, err)) < 0)
			break;
		if (o.json)
			r = out ? json_entry(out, e, i == 0) : 0;
		else
			r = env_entry(out, e, err);
		if (r == -ENOMEM)
			reterr_set(err, r, "out of memory");
		vault_entry_free(e); /* wipes the values */
	}
	if (out && o.json)
		outbuf_puts(out, n ? "\n}\n" : "}\n");
	return r;
}

static int audit(struct vault *v, const struct vault_meta *m, size_t n, struct reterr *err)
{
	const char **keys = calloc(n + 1, sizeof(*keys));
	char detail[128];
	if (!keys)
		return reterr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		keys[i] = m[i].key;
	snprintf(detail, sizeof(detail), "{\"format\":\"%s\",\"count\":%zu,\"to\":\"%s\"}",
		 o.json ? "json" : "env", n, o.output ? "file" : "stdout");
	struct audit_event ev = { .action = "secret.export", .success = true, .detail = detail };
	int r = audit_append_keys(v, &ev, keys, n, err);
	free(keys);
	return r;
}

/* To a file: written whole to a temporary file, audited, then renamed into place. */
static int to_file(struct vault *v, const struct vault_meta *m, size_t n, struct reterr *err)
{
	struct cli_plainfile f;
	struct outbuf out;
	int rc = cli_plainfile_open(&f, "export", o.output, o.force);
	if (rc != CLI_OK)
		return rc;
	outbuf_init_fd(&out, f.fd);
	int r = write_all(&out, v, m, n, err);
	int w = outbuf_finish(&out);
	if (r == 0 && w < 0)
		r = reterr_set(err, w, "cannot write %s: %s", o.output, strerror(-w));
	if (r == 0)
		r = audit(v, m, n, err);
	if (r < 0) {
		cli_plainfile_abort(&f);
		cli_error("export: %s; nothing was written", reterr_str(err, r));
		return cli_exit_from_errno(r);
	}
	if ((rc = cli_plainfile_commit(&f, "export")) == CLI_OK)
		printf("exported %zu secret%s to %s\n", n, n == 1 ? "" : "s", o.output);
	return rc;
}

/* To stdout: everything that can fail is checked first, then audited, then written. */
static int to_stdout(struct vault *v, const struct vault_meta *m, size_t n, struct reterr *err)
{
	struct outbuf out;
	int r = o.json ? 0 : write_all(NULL, v, m, n, err);
	if (r == 0)
		r = audit(v, m, n, err);
	if (r < 0) {
		cli_error("export: %s; nothing was written", reterr_str(err, r));
		return cli_exit_from_errno(r);
	}
	outbuf_init_fd(&out, STDOUT_FILENO);
	r = write_all(&out, v, m, n, err);
	int w = outbuf_finish(&out);
	if (r < 0 || (w < 0 && w != -EPIPE)) {
		cli_error("export: %s", r < 0 ? reterr_str(err, r) : strerror(-w));
		return r < 0 ? cli_exit_from_errno(r) : CLI_EIO;
	}
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	struct vault_meta *m = NULL;
	size_t n = 0;
	struct reterr err = RETERR_INIT;
	int rc = select_keys(ctx->vault, &m, &n);
	if (rc != CLI_OK)
		return rc;
	int r = o.json ? 0 : env_names(m, n, &err);
	if (r < 0) {
		cli_error("export: %s; nothing was written", reterr_str(&err, r));
		rc = cli_exit_from_errno(r);
	} else {
		cli_warn_plaintext("export", o.output);
		rc = o.output ? to_file(ctx->vault, m, n, &err) : to_stdout(ctx->vault, m, n, &err);
	}
	vault_meta_array_free(m, n);
	return rc;
}

const struct cli_command cli_cmd_export = {
	.name = "export",
	.summary = "write secrets in plaintext as .env or JSON",
	.synopsis = "[-k PATTERN]... [-f env|json] [-o FILE] [--with-metadata] [--force]\n"
		    "[--password-stdin]",
	.about = "Write the secrets (or those matching -k) in plaintext. .env (the default) "
		 "holds the\nvariables 'secretctl run -k KEY' would give a command, quoted so a "
		 "shell and\n'secretctl import' read back the same bytes. JSON is "
		 "{\"KEY\": \"value\", ...}; a secret\nwith fields, or bytes that are not UTF-8, "
		 "is an object, and --with-metadata adds\ntags, url, notes and dates: "
		 "'secretctl import' restores it all.\n"
		 "-o writes a 0600 file in one piece (never half-written) and never replaces an "
		 "existing\none without --force. Every export is recorded in the audit log "
		 "(secret.export).",
	.notes = "Exit status: 0 exported, 1 bad usage or a secret that cannot be written in the "
		 "format\n(FILE exists without --force, NUL bytes in .env, two secrets giving one "
		 "name),\n2 no vault or -k matches nothing, 3 password problem, 4 integrity "
		 "failure, 5 I/O error.",
	.opts = opts,
	.flags = CLI_UNLOCK,
	.max_args = 0,
	.args_hint = "export takes no operand; name keys with -k PATTERN",
	.check = check,
	.run = run,
};
