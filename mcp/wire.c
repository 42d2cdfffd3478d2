/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the length-prefixed message format between the front and the broker process (encoder,
 * bounded decoder, whole-message send/receive). The layout is in mcp/mcp-internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/mcp-internal.h"

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len > MCP_WIRE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* ---- encoder ------------------------------------------------------------------------------ */

struct reader {
	const unsigned char *p;
	size_t left;
};
static int decode_field(struct reader *r, struct mcp_wire_field *f);

static void enc_put(struct mcp_wire_enc *e, const void *p, size_t len)
{
	if (!e->err && buf_append(e->b, p, len) < 0)
		e->err = -ENOMEM;
	if (!e->err && e->b->len - e->start > MCP_WIRE_MAX)
		e->err = -E2BIG;
}

static void enc_u32(struct mcp_wire_enc *e, uint32_t v)
{
	unsigned char b[4];
	put_u32(b, v);
	enc_put(e, b, 4);
}

void mcp_wire_begin(struct mcp_wire_enc *e, struct buf *b, enum mcp_wire_type type, uint64_t id)
{
	unsigned char h[MCP_WIRE_HEADER] = { 0 };
	*e = (struct mcp_wire_enc){ .b = b, .start = b->len };
	h[4] = (unsigned char)type;
	put_u32(h + 8, (uint32_t)id);
	put_u32(h + 12, (uint32_t)(id >> 32));
	enc_put(e, h, sizeof(h));
}

/* Is a field of this name in the message being encoded already? (The decoder refuses a
 * message with a name twice: the encoder never makes one.) */
static bool enc_has(const struct mcp_wire_enc *e, const char *name, size_t nl)
{
	struct reader r = { (const unsigned char *)e->b->data + e->start + MCP_WIRE_HEADER,
			    e->b->len - e->start - MCP_WIRE_HEADER };
	for (unsigned i = 0; i < e->nfields; i++) {
		struct mcp_wire_field f;
		if (decode_field(&r, &f) < 0)
			return false;
		if (strlen(f.name) == nl && !memcmp(f.name, name, nl))
			return true;
	}
	return false;
}

/* Field header: kind and name; counts the field. */
static void enc_field(struct mcp_wire_enc *e, const char *name, enum mcp_wire_kind kind)
{
	size_t nl = name ? strlen(name) : 0;
	if (e->err)
		return;
	if (!name_ok(name, nl) || enc_has(e, name, nl)) {
		e->err = -EINVAL;
		return;
	}
	if (e->nfields >= MCP_WIRE_FIELDS_MAX) {
		e->err = -E2BIG;
		return;
	}
	e->nfields++;
	unsigned char h[2] = { (unsigned char)kind, (unsigned char)nl };
	enc_put(e, h, 2);
	enc_put(e, name, nl);
}

static void enc_bytes(struct mcp_wire_enc *e, const void *p, size_t len)
{
	if (len > MCP_WIRE_MAX) {
		if (!e->err)
			e->err = -E2BIG;
		return;
	}
	enc_u32(e, (uint32_t)len);
	enc_put(e, p, len);
}

void mcp_wire_str(struct mcp_wire_enc *e, const char *name, const void *p, size_t len)
{
	enc_field(e, name, MCP_WK_STR);
	enc_bytes(e, p, len);
}

void mcp_wire_cstr(struct mcp_wire_enc *e, const char *name, const char *s)
{
	mcp_wire_str(e, name, s ? s : "", s ? strlen(s) : 0);
}

void mcp_wire_int(struct mcp_wire_enc *e, const char *name, int64_t v)
{
	unsigned char b[8];
	enc_field(e, name, MCP_WK_INT);
	put_u32(b, (uint32_t)(uint64_t)v);
	put_u32(b + 4, (uint32_t)((uint64_t)v >> 32));
	enc_put(e, b, 8);
}

void mcp_wire_bool(struct mcp_wire_enc *e, const char *name, bool v)
{
	unsigned char b = v ? 1 : 0;
	enc_field(e, name, MCP_WK_BOOL);
	enc_put(e, &b, 1);
}

void mcp_wire_strv(struct mcp_wire_enc *e, const char *name, const char *const *items,
		   const size_t *lens, size_t n)
{
	enc_field(e, name, MCP_WK_STRV);
	if (n > MCP_WIRE_STRV_MAX) {
		if (!e->err)
			e->err = -E2BIG;
		return;
	}
	enc_u32(e, (uint32_t)n);
	for (size_t i = 0; i < n && !e->err; i++)
		enc_bytes(e, items[i], lens ? lens[i] : strlen(items[i]));
}

int mcp_wire_end(struct mcp_wire_enc *e)
{
	if (!e->err) {
		size_t total = e->b->len - e->start;
		unsigned char *h = (unsigned char *)e->b->data + e->start;
		put_u32(h, (uint32_t)(total - 4));
		h[5] = (unsigned char)e->nfields;
		return 0;
	}
	/* Drop the partial message so the buffer holds whole messages only. */
	e->b->len = e->start;
	if (e->b->data)
		e->b->data[e->b->len] = '\0';
	return e->err;
}

/* ---- decoder ------------------------------------------------------------------------------ */

static int rd(struct reader *r, size_t n, const unsigned char **ret)
{
	if (n > r->left)
		return -EPROTO;
	*ret = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

static int rd_u32(struct reader *r, uint32_t *ret)
{
	const unsigned char *p;
	int e = rd(r, 4, &p);
	if (e == 0)
		*ret = get_u32(p);
	return e;
}

/* A u32 length and that many bytes. */
static int rd_bytes(struct reader *r, const unsigned char **ret, size_t *ret_len)
{
	uint32_t n;
	int e = rd_u32(r, &n);
	if (e == 0)
		e = rd(r, n, ret);
	if (e == 0)
		*ret_len = n;
	return e;
}

static int decode_field(struct reader *r, struct mcp_wire_field *f)
{
	const unsigned char *h, *p;
	int e = rd(r, 2, &h);
	if (e < 0)
		return e;
	if (h[0] < MCP_WK_STR || h[0] > MCP_WK_MAX)
		return -EPROTO;
	f->kind = (enum mcp_wire_kind)h[0];
	if ((e = rd(r, h[1], &p)) < 0 || !name_ok((const char *)p, h[1]))
		return -EPROTO;
	memcpy(f->name, p, h[1]);
	f->name[h[1]] = '\0';
	switch (f->kind) {
	case MCP_WK_STR:
		if ((e = rd_bytes(r, &p, &f->len)) < 0)
			return e;
		f->str = (const char *)p;
		return 0;
	case MCP_WK_INT:
		if ((e = rd(r, 8, &p)) < 0)
			return e;
		f->i = (int64_t)get_u64(p);
		return 0;
	case MCP_WK_BOOL:
		if ((e = rd(r, 1, &p)) < 0 || *p > 1)
			return -EPROTO;
		f->b = *p == 1;
		return 0;
	case MCP_WK_STRV: {
		uint32_t n;
		if ((e = rd_u32(r, &n)) < 0)
			return e;
		if (n > MCP_WIRE_STRV_MAX)
			return -E2BIG;
		const unsigned char *start = r->p;
		for (uint32_t k = 0; k < n; k++) {
			size_t len;
			if ((e = rd_bytes(r, &p, &len)) < 0)
				return e;
		}
		f->n = n;
		f->strv = start;
		f->strv_bytes = (size_t)(r->p - start);
		return 0;
	}
	}
	return -EPROTO;
}

ssize_t mcp_wire_frame_len(const void *data, size_t avail)
{
	if (avail < 4)
		return 0;
	uint32_t n = get_u32(data);
	if (n < MCP_WIRE_HEADER - 4)
		return -EPROTO;
	if (n > MCP_WIRE_MAX - 4)
		return -E2BIG;
	return (ssize_t)n + 4;
}

int mcp_wire_decode(const void *data, size_t len, struct mcp_wire_msg *ret)
{
	const unsigned char *h;
	struct reader r = { data, len };
	ssize_t total = mcp_wire_frame_len(data, len);
	struct mcp_wire_msg msg, *m = &msg;

	if (total <= 0)
		return total < 0 ? (int)total : -EPROTO;
	if ((size_t)total != len)
		return -EPROTO;
	if (rd(&r, MCP_WIRE_HEADER, &h) < 0)
		return -EPROTO;
	if (h[4] < MCP_W_READY || h[4] > MCP_W_TYPE_MAX || h[6] || h[7])
		return -EPROTO;
	if (h[5] > MCP_WIRE_FIELDS_MAX)
		return -E2BIG;
	/* Decoded aside (on the stack: the decoder allocates nothing), so that *ret is written
	 * only for a valid message. */
	m->type = (enum mcp_wire_type)h[4];
	m->id = get_u64(h + 8);
	m->nfields = h[5];
	int e = 0;
	for (size_t i = 0; i < m->nfields && e == 0; i++) {
		struct mcp_wire_field *f = &m->fields[i];
		*f = (struct mcp_wire_field){ .kind = MCP_WK_STR };
		e = decode_field(&r, f);
		for (size_t j = 0; j < i && e == 0; j++)
			if (strcmp(m->fields[j].name, f->name) == 0)
				e = -EPROTO;
	}
	if (e == 0 && r.left != 0)
		e = -EPROTO;
	if (e == 0)
		*ret = *m;
	return e;
}

const struct mcp_wire_field *mcp_wire_get(const struct mcp_wire_msg *m, const char *name,
					  enum mcp_wire_kind kind)
{
	for (size_t i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return m->fields[i].kind == kind ? &m->fields[i] : NULL;
	return NULL;
}

int mcp_wire_strv_next(const struct mcp_wire_field *f, size_t *cursor, const char **ret_p,
		       size_t *ret_len)
{
	const unsigned char *p;
	if (f->kind != MCP_WK_STRV || *cursor > f->strv_bytes)
		return -EPROTO;
	if (*cursor == f->strv_bytes)
		return 0;
	struct reader r = { f->strv + *cursor, f->strv_bytes - *cursor };
	int e = rd_bytes(&r, &p, ret_len);
	if (e < 0)
		return e;
	*ret_p = (const char *)p;
	*cursor = (size_t)(r.p - f->strv);
	return 1;
}

int mcp_wire_strv_item(const struct mcp_wire_field *f, size_t k, const char **ret_p,
		       size_t *ret_len)
{
	size_t cur = 0;
	if (k >= f->n)
		return -ERANGE;
	for (size_t i = 0; i <= k; i++) {
		int e = mcp_wire_strv_next(f, &cur, ret_p, ret_len);
		if (e <= 0)
			return e < 0 ? e : -EPROTO;
	}
	return 0;
}

/* ---- transport ---------------------------------------------------------------------------- */

int mcp_wire_send(int fd, const struct buf *b)
{
	return fd_write_all(fd, b->data, b->len);
}

/* Read exactly len bytes into b (appending). -EPROTO at EOF. */
static int read_exact(int fd, struct buf *b, size_t len)
{
	while (len > 0) {
		char tmp[65536];
		size_t want = len < sizeof(tmp) ? len : sizeof(tmp);
		ssize_t n = fd_read(fd, tmp, want);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPROTO;
		if (buf_append(b, tmp, (size_t)n) < 0)
			return -ENOMEM;
		len -= (size_t)n;
	}
	return 0;
}

int mcp_wire_recv(int fd, struct buf *b)
{
	unsigned char h[4];
	size_t got = 0;
	buf_reset(b);
	while (got < 4) {
		ssize_t n = fd_read(fd, h + got, 4 - got);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return got == 0 ? 0 : -EPROTO;
		got += (size_t)n;
	}
	ssize_t total = mcp_wire_frame_len(h, 4);
	if (total < 0)
		return (int)total;
	if (buf_append(b, h, 4) < 0)
		return -ENOMEM;
	return read_exact(fd, b, (size_t)total - 4);
}
