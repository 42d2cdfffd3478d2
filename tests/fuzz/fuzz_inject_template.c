/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the `inject` template parser on arbitrary bytes. A template that parses has
 * references with valid keys (and field names of at most VAULT_FIELD_NAME_MAX bytes) at
 * positions inside it; rendering it with each reference replaced by "<i>" gives output whose
 * text outside the references is the template's, and rendering with no reference changes it
 * to exactly the input when there are none. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "interchange/interchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ix_ref *refs = NULL;
	size_t n = 0;
	struct reterr err = RETERR_INIT;
	if (secret_lib_init() < 0)
		abort();
	if (ix_template_refs(data, size, &refs, &n, &err) < 0) {
		if (!err.msg[0] || err.line < 1 || err.column < 1)
			abort();
		return 0;
	}
	struct secret **vals = calloc(n + 1, sizeof(*vals));
	if (!vals)
		abort();
	for (size_t i = 0; i < n; i++) {
		char tag[32];
		int len = snprintf(tag, sizeof(tag), "<%zu>", i);
		if (vault_key_check(refs[i].key, &err) < 0 || refs[i].line < 1 ||
		    refs[i].column < 1)
			abort();
		if (refs[i].field && strlen(refs[i].field) > VAULT_FIELD_NAME_MAX)
			abort();
		if (!(vals[i] = secret_from(tag, (size_t)len)))
			abort();
	}
	struct buf out = BUF_INIT;
	struct outbuf o;
	outbuf_init_buf(&o, &out);
	ix_template_render(&o, data, size, (const struct secret *const *)vals, n);
	if (outbuf_finish(&o) < 0)
		abort();
	if (n == 0 && (out.len != size || (size && memcmp(out.data, data, size))))
		abort();
	for (size_t i = 0; i < n; i++) {
		char tag[32];
		int len = snprintf(tag, sizeof(tag), "<%zu>", i);
		if (!out.data || !memmem(out.data, out.len, tag, (size_t)len))
			abort();
		secret_free(vals[i]);
	}
	free(vals);
	buf_release(&out);
	ix_refs_free(refs, n);
	return 0;
}
