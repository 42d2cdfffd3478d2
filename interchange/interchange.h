/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: secrets in the formats of other tools, read and written without a secret byte
 * leaving locked memory: .env and secretctl's JSON (import and export), the exports of
 * 1Password (CSV), Bitwarden (JSON) and LastPass (CSV) (import), and `inject` templates.
 * Every input is hostile: bounded, checked, and a failure names the line. Never prints.
 * docs/import-export.md describes the formats, the key naming rules and the template grammar. */
#ifndef SECRETCTL_INTERCHANGE_H
#define SECRETCTL_INTERCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "vault/vault.h"

#define IX_FILE_MAX (64u << 20) /* bytes of a file to import or a template to render */
#define IX_JSON_DEPTH_MAX 64	/* nesting of a JSON document */
#define IX_CSV_COLUMNS_MAX 64	/* columns of a CSV export */
#define IX_ITEMS_MAX VAULT_SECRETS_MAX

enum ix_format {
	IX_AUTO,      /* ix_detect */
	IX_ENV,	      /* .env: KEY=VALUE lines */
	IX_JSON,      /* secretctl's JSON: {"KEY": "value"} or with metadata */
	IX_1PASSWORD, /* 1Password CSV export */
	IX_BITWARDEN, /* Bitwarden JSON export (unencrypted) */
	IX_LASTPASS,  /* LastPass CSV export */
};

/* "env", "json", "1password", "bitwarden", "lastpass" (any case). -EINVAL otherwise. */
int ix_format_parse(const char *s, enum ix_format *ret);
const char *ix_format_name(enum ix_format f);
/* The format of a file from its first bytes: a JSON document is Bitwarden's when its top
 * object has an "items" array and "encrypted", "folders" or "collections"; else secretctl's.
 * A first line that is a CSV header with LastPass's columns (url, username, password, extra,
 * name, grouping) or 1Password's (title and password, with url/website/username/otpauth) is
 * theirs. Anything else is .env. Pure. */
enum ix_format ix_detect(const unsigned char *p, size_t n);

/* ---- reading -------------------------------------------------------------------------------- */

struct ix_field {
	char *name;
	struct secret value; /* a view into the document's arena (never secret_free'd) */
	bool sensitive;
};

/* One secret read from a file. Strings are malloc'd (metadata, never values); values are views
 * into the document's locked arena. */
struct ix_item {
	char *key;
	char *name;    /* the item's own name in a competitor's export (messages), or NULL */
	unsigned line; /* 1-based line where the item starts */
	bool has_value;
	struct secret value; /* view; valid when has_value */
	struct ix_field *fields;
	size_t nfields;
	char *notes, *url; /* NULL when absent */
	char **tags;	   /* strv, NULL when absent */
	bool set_expires;
	int64_t expires_at, created_at, updated_at; /* 0: absent */
	struct vault_binding *bindings;
	size_t nbindings;
};

struct ix_doc {
	enum ix_format format;
	struct ix_item *items;
	size_t n;
	char **warnings; /* strv of one-line notes for the user (skipped items, ignored columns);
			      * never a value */
	struct secret *arena; /* every decoded value */
};

struct ix_opts {
	enum ix_format format; /* IX_AUTO: ix_detect */
	bool preserve_case;    /* competitor formats: keep the case of item and field names */
};

/* Parse a whole file (p, n borrowed; n <= IX_FILE_MAX) into items. Keys are checked
 * (vault_key_check) and distinct: a key given twice in .env or JSON is an error naming both
 * lines; competitor items are named by the documented rule (ix_key_from_name) with "-2", "-3"
 * for repeats. -EINVAL (malformed: err->line and a message that never quotes a value),
 * -E2BIG (a limit), -EPROTO (an encrypted or password-protected export), -ENOMEM. *ret owned
 * by the caller (ix_doc_free). */
int ix_read(const unsigned char *p, size_t n, const struct ix_opts *o, struct ix_doc **ret,
	    struct reterr *err);
struct ix_doc *ix_doc_free(struct ix_doc *d);
/* Add tag to every item (import --tag). -EINVAL for a tag the vault refuses (1..VAULT_TAG_MAX
 * bytes, no comma or control character), -E2BIG when an item has VAULT_TAGS_MAX already (err
 * names it). */
int ix_doc_tag_all(struct ix_doc *d, const char *tag, struct reterr *err);
/* Keep the first n items (the caller reordered them), releasing the rest. */
void ix_doc_truncate(struct ix_doc *d, size_t n);

/* The vault_set_in of an item: pointers into it, and into names, values and sensitive (room for
 * it->nfields each), which must outlive in. */
void ix_item_set_in(const struct ix_item *it, const char **names, const struct secret **values,
		    const char **sensitive, struct vault_set_in *in);

/* The key of an item called name (in folder, which may be NULL or "") in a competitor's export:
 * each folder level and the name keep A-Z a-z 0-9 . _ - ; every run of other bytes (spaces,
 * punctuation, non-ASCII) becomes one '_', '_' at either end is dropped, ASCII letters are
 * lower-cased unless preserve_case, an empty result is "item" (a level: dropped), and a level
 * "." or ".." becomes "_". Levels join with '/'; the result is cut to fit VAULT_KEY_MAX with
 * room for a "-N" suffix. *ret malloc'd. -ENOMEM. Pure. */
int ix_key_from_name(const char *folder, const char *name, bool preserve_case, char **ret);

/* ---- writing -------------------------------------------------------------------------------- */

/* One .env line "NAME=VALUE\n" (name borrowed, an environment name). The value is written bare
 * when it is only A-Z a-z 0-9 and _ . / : @ % + , = -; else in single quotes when it has no
 * single quote (literal, newlines included); else in double quotes with \ " $ ` escaped by a
 * backslash (newlines kept). So a POSIX shell sourcing the file and ix_read get the same bytes.
 * -EINVAL for a value with a NUL byte (.env cannot carry one). */
int ix_env_write(struct outbuf *o, const char *name, const unsigned char *p, size_t n);

/* ---- inject templates ----------------------------------------------------------------------- */

/* A template is text with references
 *     {{ secretctl "KEY" }}            the secret's value
 *     {{ secretctl "KEY" "FIELD" }}    one of its fields
 * (grammar in docs/import-export.md: spaces and tabs around the words, strings in double
 * quotes with \" and \\ escapes, nothing else inside the braces). Any other "{{" is text. */
struct ix_ref {
	char *key;
	char *field; /* NULL: the value */
	unsigned line, column;
};
/* The references of a template, in order (a key may repeat). -EINVAL with err->line/column for
 * a malformed reference. *ret array of *ret_n (ix_refs_free). Pure. */
int ix_template_refs(const unsigned char *p, size_t n, struct ix_ref **ret, size_t *ret_n,
		     struct reterr *err);
void ix_refs_free(struct ix_ref *refs, size_t n);
/* Write the template with reference i replaced by values[i] (as ix_template_refs found them). */
void ix_template_render(struct outbuf *o, const unsigned char *p, size_t n,
			const struct secret *const *values, size_t nvalues);

#endif
