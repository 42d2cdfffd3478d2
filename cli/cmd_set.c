/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl set` stores or updates a secret: a single value read from stdin (or asked for
 * on the terminal), named fields, bindings and metadata. Values go straight into secure memory. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"
#include "sanitizer/sanitizer.h"

struct field_in {
	char *name;
	struct secret *value; /* NULL until read when no =VALUE was given */
	bool inline_value;
	bool optional; /* a template's optional field: an empty answer leaves it out */
};

/* What the options collected; freed by cleanup() whatever happens. */
static struct {
	struct field_in fields[VAULT_FIELDS_MAX];
	size_t nfields, nstdin_fields;
	char **sensitive;
	struct cli_meta meta;
	bool binary;
	struct secret *value;
	const char *key, *template;
} o;

/* An empty value: when only metadata was given, the user most likely meant `edit`. */
static int refuse_empty(const char *what)
{
	if (o.nfields == 0 && (cli_meta_given(&o.meta) || o.sensitive))
		cli_error("set: %s is empty; nothing stored (to change only the tags, notes, URL, "
			  "expiry, sensitivity or bindings of %s, use 'secretctl edit %s')",
			  what, o.key, o.key);
	else
		cli_error("set: %s is empty; nothing stored", what);
	return CLI_EUSAGE;
}

/* Apply the stdin rules to a value just read: strip one trailing newline, refuse NUL bytes
 * unless binary, refuse empty and over-limit values. 0 or an exit code after reporting. */
static int value_finish(struct secret *s, bool binary, const char *what)
{
	if (!binary && s->len && s->data[s->len - 1] == '\n')
		s->data[--s->len] = 0;
	if (s->len > VAULT_VALUE_MAX) {
		cli_error("set: %s is too large: the limit is %d bytes", what, VAULT_VALUE_MAX);
		return CLI_EUSAGE;
	}
	if (s->len == 0)
		return refuse_empty(what);
	if (!binary && memchr(s->data, 0, s->len)) {
		cli_error("set: %s contains a NUL byte; pass --binary to store binary data", what);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* Read a value from stdin when it is not a terminal, else ask for it with echo off. */
static int value_read(bool binary, const char *what, const char *prompt, struct secret **ret)
{
	struct secret *s = NULL;
	int r;
	if (!isatty(STDIN_FILENO)) {
		/* One byte over the limit for the newline that is stripped. */
		r = fd_read_all_secret(STDIN_FILENO, (size_t)VAULT_VALUE_MAX + 1, &s);
	} else {
		r = cli_tty_read_value(prompt, (size_t)VAULT_VALUE_MAX + 1, &s);
		if (r == 0 && binary)
			cli_warn("set: --binary has no effect on a value typed on the terminal");
	}
	if (r == -E2BIG) {
		cli_error("set: %s is too large: the limit is %d bytes", what, VAULT_VALUE_MAX);
		return CLI_EUSAGE;
	}
	if (r == -ENODATA)
		return refuse_empty(what);
	if (r == -EBUSY) {
		cli_error("set: input continued after Ctrl-D ended %s; nothing stored (to store "
			  "control characters, give the value on standard input)",
			  what);
		return CLI_EUSAGE;
	}
	if (r < 0) {
		cli_error("set: cannot read %s: %s", what, strerror(-r));
		return r == -ENXIO ? CLI_EUSAGE : CLI_EIO;
	}
	int rc = value_finish(s, binary, what);
	if (rc != CLI_OK) {
		secret_free(s);
		return rc;
	}
	*ret = s;
	return CLI_OK;
}

/* A value (or sensitive field) too short to redact: say what 'run' will do with it. */
static void warn_short(const char *key, const char *field, const struct secret *s)
{
	if (s->len >= SAN_WARN_SECRET_LEN)
		return;
	if (s->len < SAN_MIN_SECRET_LEN)
		cli_warn("set: the value of %s%s%s is only %zu bytes: 'secretctl run' refuses to "
			 "inject values shorter than %d bytes, as they cannot be redacted from its "
			 "output",
			 key, field ? " field " : "", field ? field : "", s->len,
			 SAN_MIN_SECRET_LEN);
	else
		cli_warn("set: the value of %s%s%s is only %zu bytes: values shorter than %d bytes "
			 "are too short to redact reliably in command output",
			 key, field ? " field " : "", field ? field : "", s->len,
			 SAN_WARN_SECRET_LEN);
}

static bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++) {
		if (!strcmp(v[i], s))
			return true;
	}
	return false;
}

static int nomem(void)
{
	cli_error("set: out of memory");
	return CLI_EIO;
}

static int opt_tags(const char *arg)
{
	return cli_meta_tags(&o.meta, "set", arg);
}

static int opt_expires(const char *arg)
{
	return cli_meta_expires(&o.meta, "set", arg);
}

static int opt_binding(const char *arg)
{
	return cli_meta_binding(&o.meta, "set", arg);
}

/* --field NAME=VALUE copies VALUE into secure memory at once and wipes it from argv. */
static int opt_field(const char *arg)
{
	if (o.nfields == VAULT_FIELDS_MAX) {
		cli_error("set: too many fields (at most %d)", VAULT_FIELDS_MAX);
		return CLI_EUSAGE;
	}
	char *eq = strchr(arg, '=');
	struct field_in *f = &o.fields[o.nfields];
	if (!(f->name = strndup(arg, eq ? (size_t)(eq - arg) : strlen(arg))))
		return nomem();
	o.nfields++;
	if (!eq) {
		o.nstdin_fields++;
		return CLI_OK;
	}
	if (!(f->value = secret_from(eq + 1, strlen(eq + 1)))) {
		cli_error("set: out of secure memory");
		return CLI_EIO;
	}
	/* Shorten the window in which ps and /proc/<pid>/cmdline show it. */
	sodium_memzero(eq + 1, strlen(eq + 1));
	f->inline_value = true;
	return CLI_OK;
}

static const struct cli_opt opts[] = {
	CLI_STRING(0, "notes", "TEXT", &o.meta.notes, "free-form notes (\"\" clears)"),
	CLI_FN1(0, "tags", "a,b", opt_tags,
		"comma-separated tags, replacing the current ones "
		"(\"\" clears)"),
	CLI_STRING(0, "url", "URL", &o.meta.url, "a related URL (\"\" clears)"),
	CLI_FN1(0, "expires", "DURATION", opt_expires,
		"expire after 12h, 30d, 1y, ... (at most " CLI_EXPIRES_MAX ");\n\"never\" clears"),
	CLI_FN(0, "field", "NAME=VALUE", opt_field,
	       "set a field (repeatable); NAME alone asks for the value on the\n"
	       "terminal, or reads it from stdin when stdin is not a terminal"),
	CLI_LIST(0, "sensitive", "NAME", &o.sensitive,
		 "mark field NAME sensitive: masked by 'get --fields', always\n"
		 "redacted by 'run' (repeatable; mark every credential)"),
	CLI_FN(0, "binding", "ENV=FIELD", opt_binding,
	       "inject FIELD as ENV in 'secretctl run'; ENV= injects the single\n"
	       "value (repeatable; replaces the secret's bindings)"),
	CLI_STRING(0, "folder", "PATH", &o.meta.folder,
		   "file it in the folder PATH (\"\" takes it out "
		   "of its folder)"),
	CLI_FLAG(0, "binary", &o.binary,
		 "store stdin byte for byte: NUL bytes allowed, no "
		 "newline removed"),
	CLI_STRING(0, "template", "login|database|api|ssh", &o.template,
		   "the template's fields (asked for, or --field NAME=VALUE),\n"
		   "sensitive flags and default bindings"),
	CLI_OPT_END,
};

static bool field_given(const char *name)
{
	for (size_t i = 0; i < o.nfields; i++)
		if (!strcmp(o.fields[i].name, name))
			return true;
	return false;
}

/* --template: each of its fields not given with --field is asked for (an optional one only on
 * a terminal); its sensitive fields are marked; its bindings apply unless --binding is given. */
static int apply_template(void)
{
	const struct cli_template *t = cli_template_find(o.template);
	if (!t) {
		cli_error("set: unknown --template '%s' (use login, database, api or ssh)",
			  o.template);
		return CLI_EUSAGE;
	}
	bool bind = o.meta.nbindings == 0;
	for (const struct cli_template_field *tf = t->fields;
	     tf < t->fields + CLI_TEMPLATE_FIELDS && tf->name; tf++) {
		if (!field_given(tf->name) && (tf->required || isatty(STDIN_FILENO))) {
			if (o.nfields == VAULT_FIELDS_MAX ||
			    !(o.fields[o.nfields].name = strdup(tf->name)))
				return nomem();
			o.fields[o.nfields++].optional = !tf->required;
			o.nstdin_fields++;
		}
		if (tf->sensitive && field_given(tf->name) &&
		    !strv_contains(o.sensitive, tf->name) && strv_push(&o.sensitive, tf->name) < 0)
			return nomem();
		if (bind && tf->env && field_given(tf->name)) {
			struct vault_binding *b = &o.meta.bindings[o.meta.nbindings++];
			if (!(b->env = strdup(tf->env)) || !(b->field = strdup(tf->name)))
				return nomem();
		}
	}
	return CLI_OK;
}

/* Everything that can be checked without the vault is checked before the password. */
static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	int rc = cli_meta_check(&o.meta, "set");
	if (rc == CLI_OK && o.template)
		rc = apply_template();
	if (rc != CLI_OK)
		return rc;
	for (size_t i = 0; i < o.nfields; i++) {
		const struct field_in *f = &o.fields[i];
		if (!f->name[0]) {
			cli_error("set: --field needs a name (use NAME=VALUE or NAME)");
			return CLI_EUSAGE;
		}
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(f->name, o.fields[k].name)) {
				cli_error("set: field '%s' given twice", f->name);
				return CLI_EUSAGE;
			}
		}
		if (f->inline_value && strv_contains(o.sensitive, f->name))
			cli_warn("set: the value of sensitive field '%s' was given on the command "
				 "line, where other processes can see it; use --field %s alone to "
				 "be asked for it",
				 f->name, f->name);
	}
	if (o.nstdin_fields > 1 && !isatty(STDIN_FILENO)) {
		if (o.template)
			cli_error(
				"set: --template %s: give the fields with --field NAME=VALUE (one "
				"may come from standard input) or run it on a terminal",
				o.template);
		else
			cli_error("set: only one --field NAME without a value can read standard "
				  "input");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* What the terminal prompt says about the input: hidden, pastes whole, Enter ends it. */
#define PROMPT_TAIL " (input hidden; a multi-line paste is kept whole; Enter ends it): "

/* Leave field i out (an optional template field left empty), with its bindings. */
static void drop_field(size_t i)
{
	const char *name = o.fields[i].name;
	for (size_t b = 0; b < o.meta.nbindings;) {
		if (strcmp(o.meta.bindings[b].field, name)) {
			b++;
			continue;
		}
		free(o.meta.bindings[b].env);
		free(o.meta.bindings[b].field);
		o.meta.bindings[b] = o.meta.bindings[--o.meta.nbindings];
	}
	for (size_t k = 0; o.sensitive && o.sensitive[k]; k++) {
		if (strcmp(o.sensitive[k], name))
			continue;
		free(o.sensitive[k]);
		memmove(&o.sensitive[k], &o.sensitive[k + 1],
			(strv_len(o.sensitive) - k) * sizeof(char *));
		break;
	}
	free(o.fields[i].name);
	secret_free(o.fields[i].value);
	memmove(&o.fields[i], &o.fields[i + 1], (o.nfields - i - 1) * sizeof(o.fields[0]));
	o.nfields--;
}

/* A field's value from the terminal or stdin; an optional one may stay empty (*ret_left_out). */
static int field_read(struct field_in *f, bool *ret_left_out)
{
	char what[VAULT_FIELD_NAME_MAX + 64];
	char prompt[VAULT_FIELD_NAME_MAX + sizeof(PROMPT_TAIL) + 64];
	snprintf(what, sizeof(what), "field '%.64s'", f->name);
	*ret_left_out = false;
	if (f->optional && isatty(STDIN_FILENO)) {
		snprintf(prompt, sizeof(prompt),
			 "Value for field %.64s (optional: Enter leaves it out) (input hidden): ",
			 f->name);
		int r = cli_tty_read_secret(prompt, VAULT_VALUE_MAX, &f->value);
		if (r == 0 && f->value->len == 0) {
			*ret_left_out = true;
			return CLI_OK;
		}
		if (r < 0) {
			cli_error("set: cannot read %s: %s", what, strerror(-r));
			return CLI_EIO;
		}
		return CLI_OK;
	}
	snprintf(prompt, sizeof(prompt), "Value for field %.64s" PROMPT_TAIL, f->name);
	return value_read(o.binary, what, prompt, &f->value);
}

/* Read the single value, or every field given without one; warn about short sensitive ones. */
static int read_values(const char *key)
{
	int rc;
	if (o.nfields == 0) {
		char prompt[VAULT_KEY_MAX + sizeof(PROMPT_TAIL) + 16];
		snprintf(prompt, sizeof(prompt), "Value for %s" PROMPT_TAIL, key);
		if ((rc = value_read(o.binary, "the value", prompt, &o.value)) != CLI_OK)
			return rc;
		warn_short(key, NULL, o.value);
	}
	for (size_t i = 0; i < o.nfields; i++) {
		struct field_in *f = &o.fields[i];
		bool left_out = false;
		if (!f->value) {
			if ((rc = field_read(f, &left_out)) != CLI_OK)
				return rc;
		} else if (f->value->len > VAULT_VALUE_MAX) {
			cli_error("set: field '%s' is too large: the limit is %d bytes", f->name,
				  VAULT_VALUE_MAX);
			return CLI_EUSAGE;
		}
		if (left_out) {
			drop_field(i--);
			continue;
		}
		if (strv_contains(o.sensitive, f->name))
			warn_short(key, f->name, f->value);
	}
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	const char *field_names[VAULT_FIELDS_MAX];
	const struct secret *field_values[VAULT_FIELDS_MAX];
	struct reterr err = RETERR_INIT;
	bool created = false;
	o.key = ctx->key;
	/* Checked after the unlock: the rest of stdin follows the password line, and a writer
	 * that started with us has written by now. */
	if (o.nfields && !o.nstdin_fields && cli_stdin_pending()) {
		cli_error(
			"set: standard input holds data, but every --field has its value on the "
			"command line; refusing to ignore it (read a field from stdin with --field "
			"NAME, set the single value without --field, or, when the input is not "
			"for secretctl, as in a 'while read' loop, give </dev/null)");
		return CLI_EUSAGE;
	}
	int rc = read_values(ctx->key);
	if (rc != CLI_OK)
		return rc;
	for (size_t i = 0; i < o.nfields; i++) {
		field_names[i] = o.fields[i].name;
		field_values[i] = o.fields[i].value;
	}
	struct vault_set_in in = {
		.key = ctx->key,
		.value = o.value,
		.notes = o.meta.notes,
		.url = o.meta.url,
		.tags = o.meta.tags,
		.set_expires = o.meta.set_expires,
		.expires_at = o.meta.expires_at,
		.field_names = field_names,
		.field_values = field_values,
		.nfields = o.nfields,
		.sensitive = (const char *const *)o.sensitive,
		.nsensitive = strv_len(o.sensitive),
		.bindings = o.meta.bindings,
		.nbindings = o.meta.nbindings,
		.folder = o.meta.folder,
	};
	int r = vault_set(ctx->vault, &in, &created, &err);
	if (r < 0) {
		cli_error("set: cannot store %s: %s", ctx->key, reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	printf("%s %s\n", created ? "created" : "updated", ctx->key);
	return CLI_OK;
}

static void cleanup(void)
{
	for (size_t i = 0; i < o.nfields; i++) {
		free(o.fields[i].name);
		secret_free(o.fields[i].value);
	}
	cli_meta_release(&o.meta);
	secret_free(o.value);
	memset(&o, 0, sizeof(o));
}

const struct cli_command cli_cmd_set = {
	.name = "set",
	.summary = "store or update a secret (value from stdin)",
	.synopsis = "KEY [options] < value",
	.about = "Store or update a secret. Without --field the value is read from standard "
		 "input (one\ntrailing newline is removed) or asked for, hidden, on the terminal, "
		 "where Enter ends\nit and a multi-line paste (a PEM key, a JSON credential) is "
		 "kept whole. With --field\nthe secret's fields are set instead and an existing "
		 "single value is kept; standard\ninput must then be empty unless a --field NAME "
		 "reads it. Updating keeps everything\nnot given on the command line; to change "
		 "only metadata, use 'secretctl edit'.\n"
		 "With --password-stdin the first line of stdin is the master password and the "
		 "rest\nis the value.",
	.opts = opts,
	.flags = CLI_UNLOCK | CLI_KEY,
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
