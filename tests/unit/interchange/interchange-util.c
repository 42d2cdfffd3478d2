/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the interchange unit tests (see interchange-util.h). */
#include "interchange-util.h"

#include <string.h>

struct ix_doc *itu_read(const void *p, size_t n, enum ix_format f, bool preserve_case, int want,
			unsigned want_line)
{
	struct ix_doc *d = NULL;
	struct reterr err = RETERR_INIT;
	struct ix_opts o = { .format = f, .preserve_case = preserve_case };
	ck_assert_int_eq(secret_lib_init(), 0);
	int r = ix_read(p, n, &o, &d, &err);
	ck_assert_msg(r == want, "ix_read: %d (want %d): %s", r, want, err.msg);
	if (want < 0) {
		ck_assert_msg((unsigned)err.line == want_line, "line %d, want %u: %s", err.line,
			      want_line, err.msg);
		ck_assert_ptr_null(d);
	}
	return d;
}

const struct ix_item *itu_find(const struct ix_doc *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->items[i].key, key))
			return &d->items[i];
	ck_abort_msg("no item %s", key);
	return NULL;
}
