/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl get` prints a secret's value, one field, its fields or its metadata, as text
 * or JSON. Values are written from secure memory through a wiped stack buffer, never stdio. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: secretctl get KEY [--field NAME | --fields | --show-metadata] [--masked]\n"
	"                         [--json] [--password-stdin]\n"
	"\n"
	"Print the secret's single value, byte for byte; a newline is added only when\n"
	"standard output is a terminal, so `$(secretctl get KEY)` and pipes get the exact\n"
	"value.\n"
	"\n"
	"  --field NAME       print the value of field NAME instead\n"
	"  --fields           print every field as 'name: value', sensitive values masked\n"
	"  --show-metadata    print notes, URL, tags, fields, bindings and dates, never a value\n"
	"                     (values are not even decrypted)\n"
	"  --masked           print values masked: ******** plus the last 4 characters of\n"
	"                     values of 16 bytes or more\n"
	"  --json             one JSON object: the metadata plus what was asked for; values\n"
	"                     that are not UTF-8 appear as value_base64\n"
	"  --password-stdin   read the master password from the first line of stdin\n"
	"  -h, --help         show this help\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

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

/* "value": "..." (or "value_base64") for a JSON object member, masked on request. */
static int out_json_value(struct outbuf *o, const unsigned char *p, size_t n, bool masked)
{
	if (masked) {
		outbuf_puts(o, "\"value\":\"");
		cli_out_masked(o, p, n);
		outbuf_puts(o, "\"");
		return 0;
	}
	if (utf8_valid(p, n)) {
		outbuf_puts(o, "\"value\":");
		outbuf_json_str(o, p, n);
		return 0;
	}
	size_t enc_len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	struct secret *enc = secret_new(enc_len);
	if (!enc)
		return -ENOMEM;
	sodium_bin2base64((char *)enc->data, enc_len, p, n, sodium_base64_VARIANT_ORIGINAL);
	outbuf_puts(o, "\"value_base64\":\"");
	outbuf_write(o, enc->data, strlen((const char *)enc->data));
	outbuf_puts(o, "\"");
	secret_free(enc);
	return 0;
}

struct field_values {
	const struct vault_entry *e;
	bool masked;
};

/* get --fields --json: each field's value inside its metadata object. */
static int field_value(struct outbuf *o, size_t i, void *ctx)
{
	const struct field_values *fv = ctx;
	const struct vault_entry *e = fv->e;
	outbuf_puts(o, ",");
	return out_json_value(o, e->field_values[i], e->field_lens[i],
			      fv->masked || e->meta.fields[i].sensitive);
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

int cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "field", required_argument, NULL, 'f' },
		{ "fields", no_argument, NULL, 'F' },
		{ "show-metadata", no_argument, NULL, 'm' },
		{ "masked", no_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum get_mode mode = GET_VALUE;
	unsigned nmodes = 0;
	const char *field = NULL;
	bool masked = false, json = false, password_stdin = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			field = optarg;
			mode = GET_FIELD;
			nmodes++;
			break;
		case 'F':
			mode = GET_FIELDS;
			nmodes++;
			break;
		case 'm':
			mode = GET_META;
			nmodes++;
			break;
		case 'M':
			masked = true;
			break;
		case 'j':
			json = true;
			break;
		case 'P':
			password_stdin = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_EUSAGE;
		}
	}
	if (argc - optind != 1) {
		cli_error("get: expected exactly one KEY (see 'secretctl get --help')");
		return CLI_EUSAGE;
	}
	if (nmodes > 1) {
		cli_error("get: --field, --fields and --show-metadata exclude each other");
		return CLI_EUSAGE;
	}
	const char *key = argv[optind];
	struct reterr err = { .msg = "" };
	if (vault_key_check(key, &err) < 0) {
		cli_error("get: invalid key: %s", err.msg[0] ? err.msg : key);
		return CLI_EUSAGE;
	}

	cli_harden();
	struct vault *v = NULL;
	int rc = cli_vault_unlock(password_stdin, &v);
	if (rc != CLI_OK)
		return rc;

	struct vault_entry *e = NULL;
	int r = vault_get(v, key, mode == GET_META ? VAULT_GET_META_ONLY : 0, &e, &err);
	if (r < 0) {
		if (r == -ENOENT)
			cli_error("get: no secret named '%s' (see 'secretctl list')", key);
		else
			cli_error("get: cannot read %s: %s", key,
				  err.msg[0] ? err.msg : strerror(-r));
		vault_free(v);
		return cli_exit_from_errno(r);
	}

	struct outbuf o;
	outbuf_init_fd(&o, STDOUT_FILENO);
	const struct vault_meta *m = &e->meta;
	const unsigned char *val = NULL;
	size_t val_len = 0;
	int fi = -1;
	rc = CLI_OK;

	if (mode == GET_VALUE) {
		if (!m->has_value) {
			cli_error("get: %s has no single value, only fields (use --field NAME or "
				  "--fields)", key);
			rc = CLI_ENOTFOUND;
			goto out;
		}
		val = e->value;
		val_len = e->value_len;
	} else if (mode == GET_FIELD) {
		fi = find_field(e, field);
		if (fi < 0) {
			cli_error("get: %s has no field '%s' (see 'secretctl get %s --fields')",
				  key, field, key);
			rc = CLI_ENOTFOUND;
			goto out;
		}
		val = e->field_values[fi];
		val_len = e->field_lens[fi];
	}

	/* Flush anything stdio holds before writing around it. */
	fflush(stdout);
	if (json) {
		struct field_values fv = { e, masked };
		struct broker_render_opts ro = { .open_end = true,
						 .field_extra = mode == GET_FIELDS ? field_value : NULL,
						 .ctx = &fv };
		r = broker_render_meta(&o, m, &ro);
		if (mode == GET_FIELD) {
			outbuf_puts(&o, ",\"field\":");
			outbuf_json_cstr(&o, field);
		}
		if (r == 0 && (mode == GET_VALUE || mode == GET_FIELD)) {
			outbuf_puts(&o, ",");
			r = out_json_value(&o, val, val_len, masked);
		}
		outbuf_puts(&o, "}\n");
	} else if (mode == GET_META) {
		out_meta_text(&o, m);
	} else if (mode == GET_FIELDS) {
		for (size_t i = 0; i < m->nfields; i++) {
			outbuf_escaped(&o, m->fields[i].name, strlen(m->fields[i].name));
			outbuf_puts(&o, ": ");
			if (masked || m->fields[i].sensitive)
				cli_out_masked(&o, e->field_values[i], e->field_lens[i]);
			else
				outbuf_escaped(&o, e->field_values[i], e->field_lens[i]);
			outbuf_puts(&o, "\n");
		}
	} else if (masked) {
		cli_out_masked(&o, val, val_len);
		outbuf_puts(&o, "\n");
	} else {
		outbuf_write(&o, val, val_len);
		if (isatty(STDOUT_FILENO))
			outbuf_puts(&o, "\n");
	}
	if (r < 0) {
		cli_error("get: out of secure memory");
		rc = CLI_EIO;
	}
out:
	r = outbuf_finish(&o);
	if (r < 0 && r != -EPIPE && rc == CLI_OK) {
		cli_error("get: cannot write the output: %s", strerror(-r));
		rc = CLI_EIO;
	}
	vault_entry_free(e);
	vault_free(v);
	return rc;
}
