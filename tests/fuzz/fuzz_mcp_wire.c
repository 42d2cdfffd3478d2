/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the front/broker message decoder (mcp/wire.c) on hostile bytes, as either
 * process would read them from a compromised peer. Checks that (a) nothing crashes, (b) the
 * decoder allocates nothing and reads only inside the input (ASan), (c) a decoded message has
 * frame_len equal to its size, unique valid names, and STRV fields that iterate to exactly n
 * items, and (d) re-encoding it field by field with the encoder gives the input back byte for
 * byte (the format is canonical). Input: one message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "mcp/mcp-internal.h"

#include "alloc-guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcp_wire_msg m;
	struct buf out = BUF_INIT;
	struct mcp_wire_enc e;

	/* The decoder only points into its input. */
	alloc_guard(1);
	int r = mcp_wire_decode(data, size, &m);
	alloc_guard(0);
	ssize_t total = mcp_wire_frame_len(data, size);
	if (r < 0) {
		if (r != -EPROTO && r != -E2BIG)
			abort();
		return 0;
	}
	if (total != (ssize_t)size || m.nfields > MCP_WIRE_FIELDS_MAX)
		abort();

	mcp_wire_begin(&e, &out, m.type, m.id);
	for (size_t i = 0; i < m.nfields; i++) {
		const struct mcp_wire_field *f = &m.fields[i];
		if (mcp_wire_get(&m, f->name, f->kind) != f)
			abort(); /* names are unique */
		switch (f->kind) {
		case MCP_WK_STR: mcp_wire_str(&e, f->name, f->str, f->len); break;
		case MCP_WK_INT: mcp_wire_int(&e, f->name, f->i); break;
		case MCP_WK_BOOL: mcp_wire_bool(&e, f->name, f->b); break;
		case MCP_WK_STRV: {
			const char **items = calloc(f->n ? f->n : 1, sizeof(*items));
			size_t *lens = calloc(f->n ? f->n : 1, sizeof(*lens));
			size_t cur = 0, k = 0;
			const char *p;
			size_t len;
			if (!items || !lens)
				abort();
			while (mcp_wire_strv_next(f, &cur, &p, &len) == 1) {
				if (k == f->n)
					abort();
				items[k] = p;
				lens[k++] = len;
			}
			if (k != f->n || cur != f->strv_bytes)
				abort();
			mcp_wire_strv(&e, f->name, items, lens, k);
			free(items);
			free(lens);
			break;
		}
		default: abort();
		}
	}
	if (mcp_wire_end(&e) < 0 || out.len != size || memcmp(out.data, data, size) != 0)
		abort(); /* (d) */
	buf_release(&out);
	return 0;
}
