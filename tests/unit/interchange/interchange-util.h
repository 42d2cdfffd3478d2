/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the interchange unit tests: reading a document from a string with the
 * expected outcome, and finding an item by key. */
#ifndef SECRETCTL_TESTS_INTERCHANGE_UTIL_H
#define SECRETCTL_TESTS_INTERCHANGE_UTIL_H

#include <check.h>

#include "interchange/interchange.h"

/* ix_read of n bytes at p as format f; asserts the result is want and, on failure, that
 * err.line is want_line. The document (NULL on failure; caller frees). */
struct ix_doc *itu_read(const void *p, size_t n, enum ix_format f, bool preserve_case, int want,
			unsigned want_line);
/* The item with this key; the test fails when there is none. */
const struct ix_item *itu_find(const struct ix_doc *d, const char *key);

#endif
