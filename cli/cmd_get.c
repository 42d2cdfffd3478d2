/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl get` prints a secret's value, one field, its fields or its metadata, as text
 * or JSON. Values are written from secure memory through a wiped stack buffer, never stdio. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

enum get_mode { GET_VALUE, GET_FIELD, GET_FIELDS, GET_META };

static void out_time(struct outbuf *o, int64_t t, bool json)
{
	char ts[32];
	if (!t) {
		outbuf_puts(o, json ? "null" : "never");
		return;
	}
	parse_format_time(t, ts);
	if (json)
		outbuf_json_cstr(o, ts);
	else
		outbuf_puts(o, ts);
}

/* Text metadata values may hold anything the user typed: keep newlines (indented under their
 * label) and show other control bytes escaped so they cannot drive the terminal. */
static void out_text_block(struct outbuf *o, const char *s)
{
	const char *p = s;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		outbuf_escaped(o, p, n);
		if (!nl)
			break;
		outbuf_puts(o, "\n           ");
		p = nl + 1;
	}
}

struct field_values {
	const struct vault_entry *e;
	bool masked;	/* every value masked (--masked) */
	bool sensitive; /* sensitive values shown too (get KEY --json: the whole secret) */
};

/* get --fields --json and get KEY --json: each field's value inside its metadata object. */
static int field_value(struct outbuf *o, size_t i, void *ctx)
{
	const struct field_values *fv = ctx;
	const struct vault_entry *e = fv->e;
	outbuf_puts(o, ",");
	return cli_out_json_value(o, e->field_values[i], e->field_lens[i],
				  fv->masked || (e->meta.fields[i].sensitive && !fv->sensitive));
}

static void out_meta_text(struct outbuf *o, const struct vault_meta *m)
{
	int64_t now = clock_now();
	outbuf_puts(o, "key:       ");
	outbuf_escaped(o, m->key, strlen(m->key));
	if (m->has_value)
		outbuf_printf(o, "\nvalue:     (%zu bytes, hidden)", m->value_len);
	else
		outbuf_puts(o, "\nvalue:     (none)");
	outbuf_puts(o, "\nfields:    ");
	for (size_t i = 0; i < m->nfields; i++) {
		if (i)
			outbuf_puts(o, ", ");
		outbuf_escaped(o, m->fields[i].name, strlen(m->fields[i].name));
		if (m->fields[i].sensitive)
			outbuf_puts(o, " (sensitive)");
	}
	outbuf_puts(o, "\nbindings:  ");
	for (size_t i = 0; i < m->nbindings; i++) {
		outbuf_printf(o, "%s%s=%s", i ? ", " : "", m->bindings[i].env,
			      m->bindings[i].field);
	}
	outbuf_puts(o, "\ntags:      ");
	for (size_t i = 0; m->tags && m->tags[i]; i++) {
		if (i)
			outbuf_puts(o, ", ");
		outbuf_escaped(o, m->tags[i], strlen(m->tags[i]));
	}
	outbuf_puts(o, "\nnotes:     ");
	if (m->notes)
		out_text_block(o, m->notes);
	outbuf_puts(o, "\nurl:       ");
	if (m->url)
		outbuf_escaped(o, m->url, strlen(m->url));
	outbuf_puts(o, "\ncreated:   ");
	out_time(o, m->created_at, false);
	outbuf_puts(o, "\nupdated:   ");
	out_time(o, m->updated_at, false);
	outbuf_puts(o, "\nexpires:   ");
	out_time(o, m->expires_at, false);
	if (m->expires_at && m->expires_at <= now)
		outbuf_puts(o, " (expired)");
	outbuf_puts(o, "\n");
}

static int find_field(const struct vault_entry *e, const char *name)
{
	for (size_t i = 0; i < e->meta.nfields; i++) {
		if (!strcmp(e->meta.fields[i].name, name))
			return (int)i;
	}
	return -1;
}

static struct {
	const char *field;
	bool fields, meta, masked, json;
} o;

static const struct cli_opt opts[] = {
	CLI_STRING(0, "field", "NAME", &o.field, "print the value of field NAME instead"),
	CLI_FLAG(0, "fields", &o.fields,
		 "print every field as 'name: value', sensitive values "
		 "masked"),
	CLI_FLAG(0, "show-metadata", &o.meta,
		 "print notes, URL, tags, fields, bindings and dates, never a value\n"
		 "(values are not even decrypted)"),
	CLI_FLAG(0, "masked", &o.masked,
		 "print values masked: ******** plus the last 4 "
		 "characters of\nvalues of 16 bytes or more"),
	CLI_FLAG(0, "json", &o.json,
		 "one JSON object: the metadata plus what was asked for;\n"
		 "without --field/--fields every value, sensitive fields\n"
		 "included; values that are not UTF-8 appear as value_base64"),
	CLI_OPT_END,
};

static enum get_mode mode(void)
{
	return o.field ? GET_FIELD : o.fields ? GET_FIELDS : o.meta ? GET_META : GET_VALUE;
}

static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	if (!!o.field + o.fields + o.meta > 1) {
		cli_error("get: --field, --fields and --show-metadata exclude each other");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* What this invocation reveals: a value in clear needs the full scope; masked values,
 * metadata, and fields as secret_get_masked shows them (sensitive ones masked) do not. One
 * field in clear is served in the agent scope only when it is not sensitive (checked in pick,
 * as secret_get_field does). */
static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	return o.masked || o.meta || o.fields || o.field ? CLI_SCOPE_AGENT : CLI_SCOPE_FULL;
}

/* The bytes asked for (the value or one field): 0, or an exit code after saying why. A secret
 * without a single value still has a JSON form: its fields. */
static int pick(const struct vault_entry *e, const char *key, const unsigned char **ret,
		size_t *ret_len)
{
	if (mode() == GET_VALUE && o.json && !e->meta.has_value)
		return CLI_OK;
	if (mode() == GET_VALUE) {
		if (!e->meta.has_value) {
			cli_error("get: %s has no single value, only fields (use --field NAME or "
				  "--fields)",
				  key);
			return CLI_ENOTFOUND;
		}
		*ret = e->value;
		*ret_len = e->value_len;
	} else if (mode() == GET_FIELD) {
		int fi = find_field(e, o.field);
		if (fi < 0) {
			cli_error("get: %s has no field '%s' (see 'secretctl get %s --fields')",
				  key, o.field, key);
			return CLI_ENOTFOUND;
		}
		if (e->meta.fields[fi].sensitive && !o.masked &&
		    cli_session_scope() == CLI_SCOPE_AGENT) {
			cli_error("get: field '%s' of %s is sensitive: showing it needs the master "
				  "password (run it with the password, add --masked, or open a "
				  "window with 'secretctl unlock --full --for 10m')",
				  o.field, key);
			return CLI_EAUTH;
		}
		*ret = e->field_values[fi];
		*ret_len = e->field_lens[fi];
	}
	return CLI_OK;
}

static int print_json(struct outbuf *out, const struct vault_entry *e, const unsigned char *val,
		      size_t val_len)
{
	/* The whole secret (get KEY --json) shows every field's value, sensitive ones too: the
	 * owner asked for the secret. --fields masks those, as it does in text. */
	struct field_values fv = { e, o.masked, mode() == GET_VALUE };
	bool fields = mode() == GET_FIELDS || mode() == GET_VALUE;
	struct broker_render_opts ro = { .open_end = true,
					 .field_extra = fields ? field_value : NULL,
					 .ctx = &fv };
	int r = broker_render_meta(out, &e->meta, &ro);
	if (mode() == GET_FIELD) {
		outbuf_puts(out, ",\"field\":");
		outbuf_json_cstr(out, o.field);
	}
	if (r == 0 && ((mode() == GET_VALUE && e->meta.has_value) || mode() == GET_FIELD)) {
		outbuf_puts(out, ",");
		r = cli_out_json_value(out, val, val_len, o.masked);
	}
	outbuf_puts(out, "}\n");
	return r;
}

static int print_text(struct outbuf *out, const struct vault_entry *e, const unsigned char *val,
		      size_t val_len)
{
	const struct vault_meta *m = &e->meta;
	if (mode() == GET_META) {
		out_meta_text(out, m);
	} else if (mode() == GET_FIELDS) {
		for (size_t i = 0; i < m->nfields; i++) {
			outbuf_escaped(out, m->fields[i].name, strlen(m->fields[i].name));
			outbuf_puts(out, ": ");
			if (o.masked || m->fields[i].sensitive)
				cli_out_masked(out, e->field_values[i], e->field_lens[i]);
			else
				outbuf_escaped(out, e->field_values[i], e->field_lens[i]);
			outbuf_puts(out, "\n");
		}
	} else if (o.masked) {
		cli_out_masked(out, val, val_len);
		outbuf_puts(out, "\n");
	} else {
		outbuf_write(out, val, val_len);
		if (isatty(STDOUT_FILENO))
			outbuf_puts(out, "\n");
	}
	return 0;
}

/* Reading an expired secret works (it is the way to look at it before rotating), but says so:
 * 'run' refuses it. */
static void warn_expired(const struct vault_meta *m)
{
	char when[32];
	if (!m->expires_at || m->expires_at > clock_now())
		return;
	parse_format_time(m->expires_at, when);
	cli_warn("get: %s expired at %s ('secretctl run' refuses it): rotate it ('secretctl set "
		 "%s --expires DURATION') or change its expiry ('secretctl edit %s --expires "
		 "DURATION|never')",
		 m->key, when, m->key, m->key);
}

/* The read's audit entry, written after the outcome is known (a get that fails after the read,
 * such as a missing field, is recorded as failed) and before anything is printed: no value is
 * shown that the log does not record. */
static int audit_get(struct vault *v, const char *key, const char *error)
{
	struct reterr err = RETERR_INIT;
	struct audit_event ev = { .action = "secret.get",
				  .keys = key,
				  .success = !error,
				  .error = error,
				  .detail = mode() == GET_META ? "{\"meta_only\":true}" : NULL };
	int r = audit_append(v, &ev, &err);
	if (r == 0)
		return CLI_OK;
	cli_error("get: cannot record the read in the audit log, so nothing is shown: %s",
		  reterr_str(&err, r));
	return cli_exit_from_errno(r);
}

static int print(const struct vault_entry *e, const unsigned char *val, size_t val_len)
{
	struct outbuf out;
	int rc = CLI_OK;
	outbuf_init_fd(&out, STDOUT_FILENO);
	/* Flush anything stdio holds before writing around it. */
	fflush(stdout);
	int r = o.json ? print_json(&out, e, val, val_len) : print_text(&out, e, val, val_len);
	if (r < 0) {
		cli_error("get: out of secure memory");
		rc = CLI_EIO;
	}
	r = outbuf_finish(&out);
	if (r < 0 && r != -EPIPE && rc == CLI_OK) {
		cli_error("get: cannot write the output: %s", strerror(-r));
		rc = CLI_EIO;
	}
	return rc;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault_entry *e = NULL;
	const unsigned char *val = NULL;
	size_t val_len = 0;
	unsigned flags = VAULT_GET_NO_AUDIT | (mode() == GET_META ? VAULT_GET_META_ONLY : 0);
	int r = vault_get(ctx->vault, ctx->key, flags, &e, &err);
	if (r == -ENOENT) {
		int rc = audit_get(ctx->vault, ctx->key, "not found");
		cli_error("get: no secret named '%s' (see 'secretctl list')", ctx->key);
		return rc == CLI_OK ? CLI_ENOTFOUND : rc;
	}
	if (r < 0) {
		cli_error("get: cannot read %s: %s", ctx->key, reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	warn_expired(&e->meta);
	int rc = pick(e, ctx->key, &val, &val_len);
	const char *why = mode() == GET_FIELD ? "no such field" : "no value";
	int arc = audit_get(ctx->vault, ctx->key, rc == CLI_OK ? NULL : why);
	if (rc == CLI_OK)
		rc = arc == CLI_OK ? print(e, val, val_len) : arc;
	vault_entry_free(e);
	return rc;
}

const struct cli_command cli_cmd_get = {
	.name = "get",
	.summary = "read a secret, a field, or its metadata",
	.synopsis = "KEY [--field NAME | --fields | --show-metadata] [--masked]\n"
		    "[--json] [--password-stdin]",
	.about = "Print the secret's single value, byte for byte; a newline is added only when\n"
		 "standard output is a terminal, so `$(secretctl get KEY)` and pipes get the "
		 "exact\nvalue.",
	.opts = opts,
	.flags = CLI_UNLOCK | CLI_KEY,
	.check = check,
	.scope = scope,
	.run = run,
};
