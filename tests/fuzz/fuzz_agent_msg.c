/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the session agent's message decoder (agent/msg.c) on hostile bytes, as the
 * agent reads them from any process of its user (a request, a request's memfd body) and a child
 * or client reads them from the agent. Checks that (a) nothing crashes, (b) the decoder allocates
 * nothing and reads only inside the input (ASan), (c) tags are unique and a STRV field copies out
 * to exactly n items (or is refused for a NUL inside), and (d) re-encoding the message field by
 * field gives the input back byte for byte (the format is canonical). Input: one message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent-internal.h"
#include "common/common.h"

#include "alloc-guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-encode one field; false when the field cannot be written back as it was. */
static bool reencode(struct agent_enc *e, const struct agent_msg *m, const struct agent_field *f)
{
	switch (f->kind) {
	case AGENT_K_STR: agent_enc_str(e, f->tag, f->str, f->len); return true;
	case AGENT_K_INT: agent_enc_int(e, f->tag, f->i); return true;
	case AGENT_K_STRV: {
		char **v = NULL;
		int r = agent_msg_strv(m, f->tag, SIZE_MAX, &v);
		if (r == -EPROTO) {
			/* an item holds a NUL: it cannot be a C string, so it is refused */
			agent_enc_str(e, f->tag, f->str, f->len);
			e->err = 0;
			return false;
		}
		if (r < 0 || !v || strv_len(v) != f->n)
			abort();
		agent_enc_strv(e, f->tag, v, f->n);
		strv_free(v);
		return true;
	}
	default: abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_msg m;
	struct buf out = BUF_INIT;
	struct agent_enc e;

	alloc_guard(1);
	int r = agent_msg_decode(data, size, &m);
	alloc_guard(0);
	if (r < 0) {
		if (r != -EPROTO)
			abort();
		return 0;
	}
	if (m.nfields > AGENT_MSG_FIELDS_MAX)
		abort();
	bool canonical = true;
	agent_enc_begin(&e, &out, (enum agent_msg_type)m.type);
	for (size_t i = 0; i < m.nfields; i++) {
		const struct agent_field *f = &m.f[i];
		if (agent_msg_get(&m, f->tag, f->kind) != f)
			abort(); /* tags are unique */
		canonical &= reencode(&e, &m, f);
	}
	r = agent_enc_end(&e);
	if (canonical && size <= AGENT_BODY_MAX &&
	    (r < 0 || out.len != size || memcmp(out.data, data, size) != 0))
		abort(); /* (d) */
	buf_release(&out);
	return 0;
}
