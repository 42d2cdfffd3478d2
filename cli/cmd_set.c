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
};

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
	if (s->len == 0) {
		cli_error("set: %s is empty; nothing stored", what);
		return CLI_EUSAGE;
	}
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
		r = cli_tty_read_secret(prompt, VAULT_VALUE_MAX, &s);
		if (r == 0 && binary)
			cli_warn("set: --binary has no effect on a value typed on the terminal");
	}
	if (r == -E2BIG) {
		cli_error("set: %s is too large: the limit is %d bytes", what, VAULT_VALUE_MAX);
		return CLI_EUSAGE;
	}
	if (r == -ENODATA) {
		cli_error("set: %s is empty; nothing stored", what);
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

static void warn_short(const char *key, const char *field, const struct secret *s)
{
	if (s->len >= SAN_WARN_SECRET_LEN)
		return;
	cli_warn("set: the value of %s%s%s is only %zu bytes: values shorter than %d bytes are "
		 "too short to redact reliably in command output", key, field ? " field " : "",
		 field ? field : "", s->len, SAN_WARN_SECRET_LEN);
}

static bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++) {
		if (!strcmp(v[i], s))
			return true;
	}
	return false;
}

/* What the options collected; freed by cleanup() whatever happens. */
static struct {
	struct field_in fields[VAULT_FIELDS_MAX];
	struct vault_binding bindings[VAULT_BINDINGS_MAX];
	size_t nfields, nbindings, nstdin_fields;
	char **tags, **sensitive;
	const char *notes, *url, *folder;
	bool binary, set_expires, tags_given;
	int64_t expires_at;
	struct secret *value;
} o;

static int nomem(void)
{
	cli_error("set: out of memory");
	return CLI_EIO;
}

static int opt_tags(const char *arg)
{
	if (o.tags_given) {
		cli_error("set: --tags given twice (give every tag in one comma-separated list)");
		return CLI_EUSAGE;
	}
	o.tags_given = true;
	return strv_split(arg, ',', &o.tags) < 0 ? nomem() : CLI_OK;
}

static int opt_expires(const char *arg)
{
	int64_t ms;
	o.set_expires = true;
	if (!strcmp(arg, "never")) {
		o.expires_at = 0;
		return CLI_OK;
	}
	if (parse_duration_ms(arg, false, &ms) < 0 || ms <= 0) {
		cli_error("set: invalid --expires '%s' (use e.g. 12h, 30d, 1y, or never)", arg);
		return CLI_EUSAGE;
	}
	o.expires_at = clock_now() + ms / 1000;
	return CLI_OK;
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

static int opt_binding(const char *arg)
{
	if (o.nbindings == VAULT_BINDINGS_MAX) {
		cli_error("set: too many bindings (at most %d)", VAULT_BINDINGS_MAX);
		return CLI_EUSAGE;
	}
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1]) {
		cli_error("set: invalid --binding '%s' (use ENV=FIELD)", arg);
		return CLI_EUSAGE;
	}
	struct vault_binding *b = &o.bindings[o.nbindings++];
	b->env = strndup(arg, (size_t)(eq - arg));
	b->field = strdup(eq + 1);
	return b->env && b->field ? CLI_OK : nomem();
}

static const struct cli_opt opts[] = {
	CLI_STRING(0, "notes", "TEXT", &o.notes, "free-form notes (\"\" clears)"),
	CLI_FN(0, "tags", "a,b", opt_tags, "comma-separated tags, replacing the current ones "
					   "(\"\" clears)"),
	CLI_STRING(0, "url", "URL", &o.url, "a related URL (\"\" clears)"),
	CLI_FN(0, "expires", "DURATION", opt_expires, "expire after 12h, 30d, 1y, ...; \"never\" "
						      "clears"),
	CLI_FN(0, "field", "NAME=VALUE", opt_field,
	       "set a field (repeatable); NAME alone asks for the value on the\n"
	       "terminal, or reads it from stdin when stdin is not a terminal"),
	CLI_LIST(0, "sensitive", "NAME", &o.sensitive,
		 "mark field NAME sensitive: masked by 'get --fields' (repeatable)"),
	CLI_FN(0, "binding", "ENV=FIELD", opt_binding,
	       "inject FIELD as ENV in 'secretctl run' (repeatable; replaces the\n"
	       "secret's bindings)"),
	CLI_STRING(0, "folder", "PATH", &o.folder, "file it in the folder PATH (\"\" takes it out "
						   "of its folder)"),
	CLI_FLAG(0, "binary", &o.binary, "store stdin byte for byte: NUL bytes allowed, no "
					 "newline removed"),
	CLI_OPT_END,
};

static int check_meta(void)
{
	if (o.notes && strlen(o.notes) > VAULT_NOTES_MAX) {
		cli_error("set: --notes is too long (%zu bytes; at most %d)", strlen(o.notes),
			  VAULT_NOTES_MAX);
		return CLI_EUSAGE;
	}
	if (o.url && strlen(o.url) > VAULT_URL_MAX) {
		cli_error("set: --url is too long (%zu bytes; at most %d)", strlen(o.url),
			  VAULT_URL_MAX);
		return CLI_EUSAGE;
	}
	if (o.tags && strv_len(o.tags) > VAULT_TAGS_MAX) {
		cli_error("set: too many tags (%zu; at most %d)", strv_len(o.tags), VAULT_TAGS_MAX);
		return CLI_EUSAGE;
	}
	struct reterr err = RETERR_INIT;
	if (o.folder && *o.folder && vault_folder_path_check(o.folder, &err) < 0) {
		cli_error("set: invalid --folder: %s", reterr_str(&err, -EINVAL));
		return CLI_EUSAGE;
	}
	for (size_t i = 0; o.tags && o.tags[i]; i++) {
		if (strlen(o.tags[i]) > VAULT_TAG_MAX) {
			cli_error("set: tag '%.20s...' is too long (at most %d bytes)", o.tags[i],
				  VAULT_TAG_MAX);
			return CLI_EUSAGE;
		}
	}
	return CLI_OK;
}

/* Everything that can be checked without the vault is checked before the password. */
static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	int rc = check_meta();
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
				 "be asked for it", f->name, f->name);
	}
	if (o.nstdin_fields > 1 && !isatty(STDIN_FILENO)) {
		cli_error("set: only one --field NAME without a value can read standard input");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* Read the single value, or every field given without one; warn about short sensitive ones. */
static int read_values(const char *key)
{
	int rc;
	if (o.nfields == 0) {
		char prompt[VAULT_KEY_MAX + 64];
		snprintf(prompt, sizeof(prompt), "Value for %s (input hidden): ", key);
		if ((rc = value_read(o.binary, "the value", prompt, &o.value)) != CLI_OK)
			return rc;
		warn_short(key, NULL, o.value);
	}
	for (size_t i = 0; i < o.nfields; i++) {
		struct field_in *f = &o.fields[i];
		if (!f->value) {
			char what[VAULT_FIELD_NAME_MAX + 64], prompt[VAULT_FIELD_NAME_MAX + 64];
			snprintf(what, sizeof(what), "field '%.64s'", f->name);
			snprintf(prompt, sizeof(prompt), "Value for field %.64s (input hidden): ",
				 f->name);
			if ((rc = value_read(o.binary, what, prompt, &f->value)) != CLI_OK)
				return rc;
		} else if (f->value->len > VAULT_VALUE_MAX) {
			cli_error("set: field '%s' is too large: the limit is %d bytes", f->name,
				  VAULT_VALUE_MAX);
			return CLI_EUSAGE;
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
	int rc = read_values(ctx->key);
	if (rc != CLI_OK)
		return rc;
	for (size_t i = 0; i < o.nfields; i++) {
		field_names[i] = o.fields[i].name;
		field_values[i] = o.fields[i].value;
	}
	struct vault_set_in in = {
		.key = ctx->key, .value = o.value, .notes = o.notes, .url = o.url, .tags = o.tags,
		.set_expires = o.set_expires, .expires_at = o.expires_at,
		.field_names = field_names, .field_values = field_values, .nfields = o.nfields,
		.sensitive = (const char *const *)o.sensitive, .nsensitive = strv_len(o.sensitive),
		.bindings = o.bindings, .nbindings = o.nbindings, .folder = o.folder,
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
	for (size_t i = 0; i < o.nbindings; i++) {
		free(o.bindings[i].env);
		free(o.bindings[i].field);
	}
	secret_free(o.value);
	strv_free(o.tags);
	memset(&o, 0, sizeof(o));
}

const struct cli_command cli_cmd_set = {
	.name = "set",
	.summary = "store or update a secret (value from stdin)",
	.synopsis = "KEY [options] < value",
	.about = "Store or update a secret. Without --field the value is read from standard "
		 "input (one\ntrailing newline is removed) or asked for, hidden, on the terminal. "
		 "With --field the\nsecret's fields are set instead and an existing single value "
		 "is kept. Updating keeps\neverything not given on the command line.\n"
		 "With --password-stdin the first line of stdin is the master password and the "
		 "rest\nis the value.",
	.opts = opts,
	.flags = CLI_UNLOCK | CLI_KEY,
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
