/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the broker process's helpers shared by its tools (calls.c, runs.c): reading an argument
 * of a decoded call, a tool error result, the audit record of a call. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "mcp/mcp-internal.h"
#include "mcp/mcp-server.h"

int mcp_call_error(struct mcp_reply *rp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_reset(&rp->message);
	int r = buf_vprintf(&rp->message, fmt, ap);
	va_end(ap);
	rp->error = true;
	return r < 0 ? r : 0;
}

/* A STR field as a C string (copied into out, at most size-1 bytes, no NUL inside). NULL when
 * absent; -EINVAL through *ret_err when malformed. */
const char *mcp_field_str(const struct mcp_wire_msg *m, const char *name, char *out, size_t size,
			  int *ret_err)
{
	const struct mcp_wire_field *f = mcp_wire_get(m, name, MCP_WK_STR);
	if (!f)
		return NULL;
	if (f->len >= size || memchr(f->str, '\0', f->len)) {
		*ret_err = -EINVAL;
		return NULL;
	}
	memcpy(out, f->str, f->len);
	out[f->len] = '\0';
	return out;
}

/* A STRV field as a strv (NULL when absent or empty). -EINVAL for a NUL inside or more than
 * max items, -ENOMEM. */
int mcp_field_strv(const struct mcp_wire_msg *m, const char *name, size_t max, size_t item_max,
		   char ***ret)
{
	const struct mcp_wire_field *f = mcp_wire_get(m, name, MCP_WK_STRV);
	size_t cur = 0;
	const char *p;
	size_t len;
	int e;
	*ret = NULL;
	if (!f)
		return 0;
	if (f->n > max)
		return -E2BIG;
	while ((e = mcp_wire_strv_next(f, &cur, &p, &len)) > 0) {
		if (len > item_max || memchr(p, '\0', len)) {
			*ret = strv_free(*ret);
			return -EINVAL;
		}
		char *s = strndup(p, len);
		if (!s || strv_push(ret, s) < 0) {
			free(s);
			*ret = strv_free(*ret);
			return -ENOMEM;
		}
		free(s);
	}
	if (e < 0)
		*ret = strv_free(*ret);
	return e;
}

void mcp_audit(struct broker *b, const char *action, const char *tool, const char *keys, bool ok,
	       const char *error)
{
	struct vault *v = broker_vault(b);
	char detail[128];
	if (!v)
		return;
	snprintf(detail, sizeof(detail), "{\"tool\":\"%s\"}", tool);
	struct audit_event ev = {
		.action = action, .keys = keys, .success = ok, .error = error, .detail = detail
	};
	(void)audit_append(v, &ev, NULL);
}
