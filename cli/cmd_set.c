/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl set` stores or updates a secret: a single value read from stdin (or asked for
 * on the terminal), named fields, bindings and metadata. Values go straight into secure memory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"
#include "sanitizer/sanitizer.h"

static const char usage_text[] =
	"usage: secretctl set KEY [options] < value\n"
	"\n"
	"Store or update a secret. Without --field the value is read from standard input (one\n"
	"trailing newline is removed) or asked for, hidden, on the terminal. With --field the\n"
	"secret's fields are set instead and an existing single value is kept. Updating keeps\n"
	"everything not given on the command line.\n"
	"\n"
	"  --notes TEXT          free-form notes (\"\" clears)\n"
	"  --tags a,b            comma-separated tags, replacing the current ones (\"\" clears)\n"
	"  --url URL             a related URL (\"\" clears)\n"
	"  --expires DURATION    expire after 12h, 30d, 1y, ...; \"never\" clears\n"
	"  --field NAME=VALUE    set a field (repeatable); NAME alone asks for the value on the\n"
	"                        terminal, or reads it from stdin when stdin is not a terminal\n"
	"  --sensitive NAME      mark field NAME sensitive: masked by 'get --fields' (repeatable)\n"
	"  --binding ENV=FIELD   inject FIELD as ENV in 'secretctl run' (repeatable; replaces the\n"
	"                        secret's bindings)\n"
	"  --binary              store stdin byte for byte: NUL bytes allowed, no newline removed\n"
	"  --password-stdin      the first line of stdin is the master password, the rest is the\n"
	"                        value\n"
	"  -h, --help            show this help\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

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

int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "notes", required_argument, NULL, 'n' },
		{ "tags", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		{ "expires", required_argument, NULL, 'e' },
		{ "field", required_argument, NULL, 'f' },
		{ "sensitive", required_argument, NULL, 's' },
		{ "binding", required_argument, NULL, 'b' },
		{ "binary", no_argument, NULL, 'B' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct reterr err = { .msg = "" };
	struct vault *v = NULL;
	struct secret *value = NULL;
	struct field_in fields[VAULT_FIELDS_MAX];
	const char *field_names[VAULT_FIELDS_MAX];
	const struct secret *field_values[VAULT_FIELDS_MAX];
	struct vault_binding bindings[VAULT_BINDINGS_MAX];
	size_t nfields = 0, nbindings = 0, nstdin_fields = 0;
	char **tags = NULL, **sensitive = NULL;
	const char *notes = NULL, *url = NULL, *key;
	bool binary = false, password_stdin = false, set_expires = false, created = false;
	int64_t expires_at = 0;
	int rc = CLI_EUSAGE, c, r;

	/* Before anything secret is copied: --field NAME=VALUE values are, during parsing. */
	cli_harden();
	memset(fields, 0, sizeof(fields));
	memset(bindings, 0, sizeof(bindings));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			notes = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 't':
			tags = strv_free(tags);
			if (strv_split(optarg, ',', &tags) < 0) {
				cli_error("set: out of memory");
				rc = CLI_EIO;
				goto out;
			}
			break;
		case 'e': {
			int64_t ms;
			if (!strcmp(optarg, "never")) {
				set_expires = true;
				expires_at = 0;
				break;
			}
			if (parse_duration_ms(optarg, false, &ms) < 0 || ms <= 0) {
				cli_error("set: invalid --expires '%s' (use e.g. 12h, 30d, 1y, "
					  "or never)", optarg);
				goto out;
			}
			set_expires = true;
			expires_at = clock_now() + ms / 1000;
			break;
		}
		case 'f': {
			if (nfields == VAULT_FIELDS_MAX) {
				cli_error("set: too many fields (at most %d)", VAULT_FIELDS_MAX);
				goto out;
			}
			char *eq = strchr(optarg, '=');
			size_t nlen = eq ? (size_t)(eq - optarg) : strlen(optarg);
			struct field_in *f = &fields[nfields];
			f->name = strndup(optarg, nlen);
			if (!f->name) {
				cli_error("set: out of memory");
				rc = CLI_EIO;
				goto out;
			}
			nfields++;
			if (eq) {
				if (secret_lib_init() < 0 ||
				    !(f->value = secret_from(eq + 1, strlen(eq + 1)))) {
					cli_error("set: out of secure memory");
					rc = CLI_EIO;
					goto out;
				}
				/* Shorten the window in which ps and /proc/<pid>/cmdline
				 * show it. */
				sodium_memzero(eq + 1, strlen(eq + 1));
				f->inline_value = true;
			} else {
				nstdin_fields++;
			}
			break;
		}
		case 's':
			if (strv_push(&sensitive, optarg) < 0) {
				cli_error("set: out of memory");
				rc = CLI_EIO;
				goto out;
			}
			break;
		case 'b': {
			if (nbindings == VAULT_BINDINGS_MAX) {
				cli_error("set: too many bindings (at most %d)",
					  VAULT_BINDINGS_MAX);
				goto out;
			}
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1]) {
				cli_error("set: invalid --binding '%s' (use ENV=FIELD)", optarg);
				goto out;
			}
			struct vault_binding *b = &bindings[nbindings];
			b->env = strndup(optarg, (size_t)(eq - optarg));
			b->field = strdup(eq + 1);
			nbindings++;
			if (!b->env || !b->field) {
				cli_error("set: out of memory");
				rc = CLI_EIO;
				goto out;
			}
			break;
		}
		case 'B':
			binary = true;
			break;
		case 'P':
			password_stdin = true;
			break;
		case 'h':
			usage(stdout);
			rc = CLI_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (argc - optind != 1) {
		cli_error("set: expected exactly one KEY (see 'secretctl set --help')");
		goto out;
	}
	key = argv[optind];

	/* Everything that can be checked without the vault is checked before the password. */
	r = vault_key_check(key, &err);
	if (r < 0) {
		cli_error("set: invalid key: %s", err.msg[0] ? err.msg : key);
		goto out;
	}
	if (notes && strlen(notes) > VAULT_NOTES_MAX) {
		cli_error("set: --notes is too long (%zu bytes; at most %d)", strlen(notes),
			  VAULT_NOTES_MAX);
		goto out;
	}
	if (url && strlen(url) > VAULT_URL_MAX) {
		cli_error("set: --url is too long (%zu bytes; at most %d)", strlen(url),
			  VAULT_URL_MAX);
		goto out;
	}
	if (tags && strv_len(tags) > VAULT_TAGS_MAX) {
		cli_error("set: too many tags (%zu; at most %d)", strv_len(tags), VAULT_TAGS_MAX);
		goto out;
	}
	for (size_t i = 0; tags && tags[i]; i++) {
		if (strlen(tags[i]) > VAULT_TAG_MAX) {
			cli_error("set: tag '%.20s...' is too long (at most %d bytes)", tags[i],
				  VAULT_TAG_MAX);
			goto out;
		}
	}
	for (size_t i = 0; i < nfields; i++) {
		if (!fields[i].name[0]) {
			cli_error("set: --field needs a name (use NAME=VALUE or NAME)");
			goto out;
		}
		for (size_t k = 0; k < i; k++) {
			if (!strcmp(fields[i].name, fields[k].name)) {
				cli_error("set: field '%s' given twice", fields[i].name);
				goto out;
			}
		}
		if (fields[i].inline_value && strv_contains(sensitive, fields[i].name))
			cli_warn("set: the value of sensitive field '%s' was given on the command "
				 "line, where other processes can see it; use --field %s alone to "
				 "be asked for it", fields[i].name, fields[i].name);
	}
	if (nstdin_fields > 1 && !isatty(STDIN_FILENO)) {
		cli_error("set: only one --field NAME without a value can read standard input");
		goto out;
	}

	rc = cli_vault_unlock(password_stdin, &v);
	if (rc != CLI_OK)
		goto out;
	rc = CLI_EUSAGE;

	if (nfields == 0) {
		char prompt[VAULT_KEY_MAX + 64];
		snprintf(prompt, sizeof(prompt), "Value for %s (input hidden): ", key);
		rc = value_read(binary, "the value", prompt, &value);
		if (rc != CLI_OK)
			goto out;
		warn_short(key, NULL, value);
	}
	for (size_t i = 0; i < nfields; i++) {
		struct field_in *f = &fields[i];
		if (!f->value) {
			char what[VAULT_FIELD_NAME_MAX + 64], prompt[VAULT_FIELD_NAME_MAX + 64];
			snprintf(what, sizeof(what), "field '%.64s'", f->name);
			snprintf(prompt, sizeof(prompt), "Value for field %.64s (input hidden): ",
				 f->name);
			rc = value_read(binary, what, prompt, &f->value);
			if (rc != CLI_OK)
				goto out;
		} else if (f->value->len > VAULT_VALUE_MAX) {
			cli_error("set: field '%s' is too large: the limit is %d bytes", f->name,
				  VAULT_VALUE_MAX);
			goto out;
		}
		if (strv_contains(sensitive, f->name))
			warn_short(key, f->name, f->value);
		field_names[i] = f->name;
		field_values[i] = f->value;
	}

	struct vault_set_in in = {
		.key = key,
		.value = value,
		.notes = notes,
		.url = url,
		.tags = tags,
		.set_expires = set_expires,
		.expires_at = expires_at,
		.field_names = field_names,
		.field_values = field_values,
		.nfields = nfields,
		.sensitive = (const char *const *)sensitive,
		.nsensitive = strv_len(sensitive),
		.bindings = bindings,
		.nbindings = nbindings,
	};
	r = vault_set(v, &in, &created, &err);
	if (r < 0) {
		cli_error("set: cannot store %s: %s", key, err.msg[0] ? err.msg : strerror(-r));
		rc = cli_exit_from_errno(r);
		goto out;
	}
	printf("%s %s\n", created ? "created" : "updated", key);
	rc = CLI_OK;
out:
	for (size_t i = 0; i < nfields; i++) {
		free(fields[i].name);
		secret_free(fields[i].value);
	}
	for (size_t i = 0; i < nbindings; i++) {
		free(bindings[i].env);
		free(bindings[i].field);
	}
	secret_free(value);
	strv_free(tags);
	strv_free(sensitive);
	vault_free(v);
	return rc;
}
