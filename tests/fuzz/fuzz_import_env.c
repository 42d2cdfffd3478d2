/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the .env importer (ix_read with IX_ENV) on arbitrary bytes (properties in
 * import-check.h), and the writer's promise: every value read that has no NUL byte, written
 * back with ix_env_write and read again, comes back byte for byte under the same key. */
#include "import-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct ix_doc *d)
{
	struct buf out = BUF_INIT;
	struct outbuf o;
	size_t written = 0;
	outbuf_init_buf(&o, &out);
	for (size_t i = 0; i < d->n; i++) {
		const struct ix_item *it = &d->items[i];
		/* Names of .env lines are environment names; the reader takes any key. */
		if (ix_env_write(&o, it->key, it->value.data, it->value.len) == 0)
			written++;
	}
	if (outbuf_finish(&o) < 0)
		abort();
	struct ix_doc *again = NULL;
	struct reterr err = RETERR_INIT;
	struct ix_opts opts = { .format = IX_ENV };
	if (ix_read((const unsigned char *)(out.data ? out.data : ""), out.len, &opts, &again,
		    &err) < 0 ||
	    again->n != written)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct ix_item *a = &d->items[i];
		if (memchr(a->value.data, 0, a->value.len))
			continue;
		const struct ix_item *b = &again->items[k++];
		if (strcmp(a->key, b->key) || a->value.len != b->value.len ||
		    memcmp(a->value.data, b->value.data, a->value.len))
			abort();
	}
	ix_doc_free(again);
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ix_doc *d = import_run(data, size, IX_ENV, true);
	if (d)
		roundtrip(d);
	ix_doc_free(d);
	return 0;
}
