/* SPDX-License-Identifier: Apache-2.0 */
/* Shared body of the import fuzz targets (fuzz_import_<format>.c): ix_read of one format on
 * arbitrary bytes, then what every successful read must satisfy: valid and distinct keys, values
 * inside the document's arena, field names the vault accepts (competitor formats name them),
 * at most VAULT_FIELDS_MAX fields; and no allocation sized beyond a bound of the input's size
 * (alloc-guard.h). ix_detect runs on the same bytes. */
#ifndef SECRETCTL_FUZZ_IMPORT_CHECK_H
#define SECRETCTL_FUZZ_IMPORT_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "interchange/interchange.h"

#include "alloc-guard.h"

/* Nodes, items and their arrays grow by doubling: a few hundred bytes per input byte. */
#define IMPORT_ALLOC_BOUND(n) ((n)*512 + (1u << 20))

static bool in_arena(const struct ix_doc *d, const struct secret *v)
{
	const unsigned char *lo = d->arena->data, *hi = lo + d->arena->len;
	return v->data >= lo && v->data + v->len <= hi;
}

static bool field_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > VAULT_FIELD_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void import_check(const struct ix_doc *d, bool named_fields)
{
	struct reterr err = RETERR_INIT;
	char **keys = calloc(d->n + 1, sizeof(*keys));
	if (!keys)
		abort();
	for (size_t i = 0; i < d->n; i++) {
		const struct ix_item *it = &d->items[i];
		if (vault_key_check(it->key, &err) < 0 || it->line == 0)
			abort();
		if (it->has_value && !in_arena(d, &it->value))
			abort();
		if (it->nfields > VAULT_FIELDS_MAX || (!it->has_value && !it->nfields))
			abort();
		for (size_t f = 0; f < it->nfields; f++) {
			if (!in_arena(d, &it->fields[f].value))
				abort();
			if (named_fields && !field_name_ok(it->fields[f].name))
				abort();
		}
		keys[i] = it->key;
	}
	qsort(keys, d->n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < d->n; i++)
		if (!strcmp(keys[i - 1], keys[i]))
			abort();
	free(keys);
}

/* Read data as format f; returns the document (caller frees) or NULL. */
static struct ix_doc *import_run(const uint8_t *data, size_t size, enum ix_format f,
				 bool named_fields)
{
	struct ix_doc *d = NULL;
	struct reterr err = RETERR_INIT;
	struct ix_opts o = { .format = f, .preserve_case = size & 1 };
	if (secret_lib_init() < 0)
		abort();
	alloc_guard(IMPORT_ALLOC_BOUND(size));
	(void)ix_detect(data, size);
	int r = ix_read(data, size, &o, &d, &err);
	alloc_guard(0);
	if (r == 0) {
		if (!d)
			abort();
		import_check(d, named_fields);
	} else if (d || !err.msg[0]) {
		abort(); /* a failure leaves nothing behind and always says why */
	}
	return d;
}

#endif
