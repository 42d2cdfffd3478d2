/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: module-private declarations, one section per file, bottom layer first (no file
 * uses one above it; tests/lint/file-cycles.py checks):
 *   0  doc.c json.c csv.c             documents and items, the JSON and CSV tokenizers
 *   1  env.c native.c bitwarden.c onepassword.c lastpass.c template.c   the formats
 *   2  read.c                          detection and ix_read
 * Never included from another module (unit tests and fuzz targets of interchange/ may). */
#ifndef SECRETCTL_INTERCHANGE_INTERNAL_H
#define SECRETCTL_INTERCHANGE_INTERNAL_H

#include "interchange/interchange.h"

/* ---- doc.c: the document, its arena and its items -------------------------------------------- */

/* A run of bytes in the arena. */
struct ix_span {
	size_t off, len;
};

/* A new document for a file of n bytes: the arena can hold every decoded byte (no decoding
 * makes anything longer than its source). NULL on ENOMEM. */
struct ix_doc *ix_doc_new(enum ix_format format, size_t n);
/* Reserve len bytes at the end of the arena: their offset. -E2BIG past its size. */
int ix_arena_reserve(struct ix_doc *d, size_t len, size_t *ret_off);
/* Copy len bytes in. */
int ix_arena_put(struct ix_doc *d, const void *p, size_t len, struct ix_span *ret);
static inline const unsigned char *ix_span_ptr(const struct ix_doc *d, struct ix_span s)
{
	return d->arena->data + s.off;
}
/* A malloc'd C string of a span (for names and metadata, never values): -EINVAL when it holds
 * a NUL byte. */
int ix_span_str(const struct ix_doc *d, struct ix_span s, char **ret);
/* Whether span s equals the C string s (ASCII case folded when nocase). */
bool ix_span_eq(const struct ix_doc *d, struct ix_span s, const char *str, bool nocase);

/* Append an item (zeroed, line set) and return it, or NULL (ENOMEM, or E2BIG past
 * IX_ITEMS_MAX: *ret_err says which). */
struct ix_item *ix_item_add(struct ix_doc *d, unsigned line, int *ret_err);
/* Drop the last item, which turned out to hold nothing to store, with a warning naming its line
 * and name. 0 or -ENOMEM. */
int ix_item_skip_empty(struct ix_doc *d);
/* Add a field whose value is the span s (name copied). -E2BIG past VAULT_FIELDS_MAX. */
int ix_item_field(struct ix_doc *d, struct ix_item *it, const char *name, struct ix_span s,
		  bool sensitive);
/* Add a tag (copied), dropping it with a warning when the vault would refuse it. */
int ix_item_tag(struct ix_doc *d, struct ix_item *it, const char *tag);
/* Add a one-line warning (printf-like; never pass a value). */
int ix_warn(struct ix_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A name from the file, safe to show: non-printable bytes become '?', cut at 64 bytes. */
void ix_name_show(const char *name, char out[static 72]);
/* Name competitor items: key from folder and name (ix_key_from_name) with "-2", "-3" ... for
 * repeats, in file order, never taking a name another item has by right. names[i] is the
 * folder of item i (NULL for none). */
int ix_items_name(struct ix_doc *d, char *const *folders, bool preserve_case, struct reterr *err);
/* A field name from a label: A-Z a-z 0-9 _ . - kept, other runs '_', cut to
 * VAULT_FIELD_NAME_MAX, lower-cased unless preserve_case, "field" when empty; made distinct
 * from the item's fields with "_2", "_3" .... *ret malloc'd. */
int ix_field_name(const struct ix_item *it, const char *label, bool preserve_case, char **ret);

/* ---- json.c: a JSON document whose strings live in the arena --------------------------------- */

enum ixj_type { IXJ_NULL, IXJ_FALSE, IXJ_TRUE, IXJ_NUM, IXJ_STR, IXJ_ARR, IXJ_OBJ };

struct ixj_node {
	enum ixj_type type;
	unsigned line;
	struct ix_span str;  /* IXJ_STR: the decoded string; IXJ_NUM: its text */
	struct ix_span name; /* member name, when the parent is an object */
	size_t child, next;  /* first child, next sibling: node indices, 0 = none */
	size_t count;	     /* children */
};

struct ixj {
	struct ixj_node *nodes; /* nodes[0] is the root */
	size_t n, cap;
};

/* Parse p[0..n) (RFC 8259; a UTF-8 BOM is skipped) into j, strings decoded into d's arena.
 * -EINVAL with err->line for malformed JSON, -E2BIG deeper than IX_JSON_DEPTH_MAX. */
int ixj_parse(struct ix_doc *d, const unsigned char *p, size_t n, struct ixj *j,
	      struct reterr *err);
void ixj_release(struct ixj *j);
/* Member name of an object, or 0 when absent. */
size_t ixj_get(const struct ix_doc *d, const struct ixj *j, size_t obj, const char *name);
/* A node that is a string (or NULL/absent: false), its span in *ret. -EINVAL for another
 * type. */
int ixj_string(const struct ixj *j, size_t node, struct ix_span *ret);

/* ---- csv.c: RFC 4180 records --------------------------------------------------------------- */

struct ixc {
	const unsigned char *p;
	size_t n, pos;
	unsigned line;
};

void ixc_init(struct ixc *c, const unsigned char *p, size_t n);
/* The next record's fields, decoded into d's arena (quotes, "" escapes, newlines inside quotes;
 * CRLF or LF), and the line it starts on. 1 a record, 0 at the end, -EINVAL (unterminated
 * quote, text after a closing quote) or -E2BIG (more than IX_CSV_COLUMNS_MAX fields) with
 * err->line. Blank lines are skipped. */
int ixc_next(struct ixc *c, struct ix_doc *d, struct ix_span *fields, size_t *ret_n,
	     unsigned *ret_line, struct reterr *err);
/* Map a header record to column indices: cols[k] = index of the first header equal (ASCII case
 * folded, spaces trimmed) to any of names[k] ("a|b|c"), or -1. */
void ixc_columns(const struct ix_doc *d, const struct ix_span *hdr, size_t nh,
		 const char *const *names, size_t nnames, int *cols);

/* ---- the formats (one file each) -------------------------------------------------------------- */

int ix_env_read(struct ix_doc *d, const unsigned char *p, size_t n, struct reterr *err);
/* secretctl's JSON, from a parsed document. */
int ix_native_read(struct ix_doc *d, const struct ixj *j, struct reterr *err);
int ix_bitwarden_read(struct ix_doc *d, const struct ixj *j, bool preserve_case,
		      struct reterr *err);
int ix_1password_read(struct ix_doc *d, const unsigned char *p, size_t n, bool preserve_case,
		      struct reterr *err);
int ix_lastpass_read(struct ix_doc *d, const unsigned char *p, size_t n, bool preserve_case,
		     struct reterr *err);
/* Whether a JSON document looks like a Bitwarden export (ix_detect's rule). */
bool ix_bitwarden_is(const struct ix_doc *d, const struct ixj *j);
/* Whether a CSV header is 1Password's / LastPass's (ix_detect's rule). */
bool ix_1password_header(const struct ix_doc *d, const struct ix_span *hdr, size_t n);
bool ix_lastpass_header(const struct ix_doc *d, const struct ix_span *hdr, size_t n);

#endif
