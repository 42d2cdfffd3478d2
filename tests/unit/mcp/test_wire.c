/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the front/broker message format (mcp/wire.c): round trips of every type and
 * kind, limits, malformed messages (truncated, duplicate names, bad kind/bool/pad, trailing
 * bytes), and whole-message send/receive over a socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "mcp/mcp-internal.h"
#include "tests/unit/unit.h"

/* A message with one field of every kind. */
static void build_all(struct buf *b, enum mcp_wire_type type, uint64_t id)
{
	struct mcp_wire_enc e;
	static const char *const items[] = { "a", "", "b\0c", "\xff\xfe" };
	static const size_t lens[] = { 1, 0, 3, 2 };
	mcp_wire_begin(&e, b, type, id);
	mcp_wire_str(&e, "s", "x\0y\n", 4);
	mcp_wire_cstr(&e, "empty", "");
	mcp_wire_cstr(&e, "null_str", NULL);
	mcp_wire_int(&e, "i_min", INT64_MIN);
	mcp_wire_int(&e, "i_max", INT64_MAX);
	mcp_wire_int(&e, "i_neg", -1);
	mcp_wire_bool(&e, "yes", true);
	mcp_wire_bool(&e, "no", false);
	mcp_wire_strv(&e, "v", items, lens, 4);
	mcp_wire_strv(&e, "v0", NULL, NULL, 0);
	mcp_wire_strv(&e, "v_c", (const char *const[]){ "one", "two" }, NULL, 2);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
}

static void check_all(const struct mcp_wire_msg *m, enum mcp_wire_type type, uint64_t id)
{
	const struct mcp_wire_field *f;
	const char *p;
	size_t len, cur = 0;

	ck_assert_int_eq(m->type, type);
	ck_assert_uint_eq(m->id, id);
	ck_assert_uint_eq(m->nfields, 11);
	ck_assert_str_eq(m->fields[0].name, "s");
	ck_assert_str_eq(m->fields[10].name, "v_c");
	ck_assert_ptr_nonnull(f = mcp_wire_get(m, "s", MCP_WK_STR));
	ck_assert_uint_eq(f->len, 4);
	ck_assert_int_eq(memcmp(f->str, "x\0y\n", 4), 0);
	ck_assert_uint_eq(mcp_wire_get(m, "empty", MCP_WK_STR)->len, 0);
	ck_assert_uint_eq(mcp_wire_get(m, "null_str", MCP_WK_STR)->len, 0);
	ck_assert(mcp_wire_get(m, "i_min", MCP_WK_INT)->i == INT64_MIN);
	ck_assert(mcp_wire_get(m, "i_max", MCP_WK_INT)->i == INT64_MAX);
	ck_assert(mcp_wire_get(m, "i_neg", MCP_WK_INT)->i == -1);
	ck_assert(mcp_wire_get(m, "yes", MCP_WK_BOOL)->b);
	ck_assert(!mcp_wire_get(m, "no", MCP_WK_BOOL)->b);
	ck_assert_ptr_nonnull(f = mcp_wire_get(m, "v", MCP_WK_STRV));
	ck_assert_uint_eq(f->n, 4);
	ck_assert_int_eq(mcp_wire_strv_next(f, &cur, &p, &len), 1);
	ck_assert(len == 1 && p[0] == 'a');
	ck_assert_int_eq(mcp_wire_strv_next(f, &cur, &p, &len), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(mcp_wire_strv_next(f, &cur, &p, &len), 1);
	ck_assert(len == 3 && memcmp(p, "b\0c", 3) == 0);
	ck_assert_int_eq(mcp_wire_strv_next(f, &cur, &p, &len), 1);
	ck_assert(len == 2 && memcmp(p, "\xff\xfe", 2) == 0);
	ck_assert_int_eq(mcp_wire_strv_next(f, &cur, &p, &len), 0);
	ck_assert_int_eq(mcp_wire_strv_next(f, &cur, &p, &len), 0); /* stays at the end */
	ck_assert_int_eq(mcp_wire_strv_item(f, 2, &p, &len), 0);
	ck_assert(len == 3 && memcmp(p, "b\0c", 3) == 0);
	ck_assert_int_eq(mcp_wire_strv_item(f, 4, &p, &len), -ERANGE);
	ck_assert_uint_eq(mcp_wire_get(m, "v0", MCP_WK_STRV)->n, 0);
	ck_assert_ptr_nonnull(f = mcp_wire_get(m, "v_c", MCP_WK_STRV));
	ck_assert_int_eq(mcp_wire_strv_item(f, 1, &p, &len), 0);
	ck_assert(len == 3 && memcmp(p, "two", 3) == 0);
	/* Lookups: absent, and present with another kind. */
	ck_assert_ptr_null(mcp_wire_get(m, "nope", MCP_WK_STR));
	ck_assert_ptr_null(mcp_wire_get(m, "s", MCP_WK_INT));
	ck_assert_ptr_null(mcp_wire_get(m, "yes", MCP_WK_STR));
	cur = 0;
	ck_assert_int_eq(mcp_wire_strv_next(mcp_wire_get(m, "s", MCP_WK_STR), &cur, &p, &len),
			 -EPROTO);
}

START_TEST(test_round_trip)
{
	static const uint64_t ids[] = { 0, 1, 0xffffffffull, 0x100000000ull, UINT64_MAX };
	for (int t = MCP_W_READY; t <= MCP_W_TYPE_MAX; t++) {
		for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
			struct buf b = BUF_INIT;
			struct mcp_wire_msg m;
			build_all(&b, (enum mcp_wire_type)t, ids[i]);
			ck_assert_int_eq(mcp_wire_frame_len(b.data, b.len), (ssize_t)b.len);
			ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
			check_all(&m, (enum mcp_wire_type)t, ids[i]);
			buf_release(&b);
		}
	}
}
END_TEST

START_TEST(test_layout)
{
	/* The bytes of a small message, exactly as mcp-internal.h describes them. */
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_CANCEL, 0x0102030405060708ull);
	mcp_wire_bool(&e, "b", true);
	mcp_wire_int(&e, "n", -2);
	mcp_wire_str(&e, "s", "hi", 2);
	mcp_wire_strv(&e, "v", (const char *const[]){ "z" }, NULL, 1);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	static const unsigned char want[] = {
		48,	     0,		  0,	0,    MCP_W_CANCEL,
		4,	     0,		  0,	8,    7,
		6,	     5,		  4,	3,    2,
		1,	     MCP_WK_BOOL, 1,	'b',  1,
		MCP_WK_INT,  1,		  'n',	0xfe, 0xff,
		0xff,	     0xff,	  0xff, 0xff, 0xff,
		0xff,	     MCP_WK_STR,  1,	's',  2,
		0,	     0,		  0,	'h',  'i',
		MCP_WK_STRV, 1,		  'v',	1,    0,
		0,	     0,		  1,	0,    0,
		0,	     'z',
	};
	ck_assert_uint_eq(b.len, sizeof(want));
	ck_assert_int_eq(memcmp(b.data, want, sizeof(want)), 0);
	buf_release(&b);
}
END_TEST

START_TEST(test_several_in_one_buffer)
{
	/* Messages append; an error removes only the partial message. */
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	struct mcp_wire_msg m;
	mcp_wire_begin(&e, &b, MCP_W_RESULT, 7);
	mcp_wire_bool(&e, "error", false);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	size_t first = b.len;
	mcp_wire_begin(&e, &b, MCP_W_RESULT, 8);
	mcp_wire_bool(&e, "error", false);
	mcp_wire_bool(&e, "Bad", false);
	mcp_wire_cstr(&e, "later", "ignored after the error");
	ck_assert_int_eq(mcp_wire_end(&e), -EINVAL);
	ck_assert_uint_eq(b.len, first);
	mcp_wire_begin(&e, &b, MCP_W_PROGRESS, 9);
	mcp_wire_int(&e, "progress", 5);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	ssize_t n1 = mcp_wire_frame_len(b.data, b.len);
	ck_assert_int_eq(n1, (ssize_t)first);
	ck_assert_int_eq(mcp_wire_decode(b.data, first, &m), 0);
	ck_assert_uint_eq(m.id, 7);
	ck_assert_int_eq(mcp_wire_decode(b.data + first, b.len - first, &m), 0);
	ck_assert_uint_eq(m.id, 9);
	ck_assert_int_eq(m.type, MCP_W_PROGRESS);
	/* Two messages are not one. */
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), -EPROTO);
	buf_release(&b);
}
END_TEST

START_TEST(test_encoder_limits)
{
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	char name[40];

	/* 32 fields fit, 33 do not. */
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	for (int i = 0; i < MCP_WIRE_FIELDS_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		mcp_wire_bool(&e, name, true);
	}
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	struct mcp_wire_msg m;
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	ck_assert_uint_eq(m.nfields, MCP_WIRE_FIELDS_MAX);
	buf_reset(&b);
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	for (int i = 0; i <= MCP_WIRE_FIELDS_MAX; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		mcp_wire_bool(&e, name, true);
	}
	ck_assert_int_eq(mcp_wire_end(&e), -E2BIG);
	ck_assert_uint_eq(b.len, 0);

	/* Names: 1..32 of [a-z0-9_]. */
	static const char *const bad_names[] = {
		"", "A", "a-b", "a b", "é", "abc.def", "123456789012345678901234567890123"
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
		mcp_wire_bool(&e, bad_names[i], true);
		ck_assert_int_eq(mcp_wire_end(&e), -EINVAL);
		ck_assert_uint_eq(b.len, 0);
	}
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	mcp_wire_int(&e, NULL, 1);
	ck_assert_int_eq(mcp_wire_end(&e), -EINVAL);
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	mcp_wire_bool(&e, "12345678901234567890123456789012", true); /* 32: fine */
	mcp_wire_bool(&e, "_0_9az", true);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	buf_reset(&b);

	/* String vectors: at most MCP_WIRE_STRV_MAX items. */
	const char **items = calloc(MCP_WIRE_STRV_MAX + 1, sizeof(*items));
	ck_assert_ptr_nonnull(items);
	for (size_t i = 0; i <= MCP_WIRE_STRV_MAX; i++)
		items[i] = "x";
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	mcp_wire_strv(&e, "v", items, NULL, MCP_WIRE_STRV_MAX);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	ck_assert_uint_eq(mcp_wire_get(&m, "v", MCP_WK_STRV)->n, MCP_WIRE_STRV_MAX);
	buf_reset(&b);
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	mcp_wire_strv(&e, "v", items, NULL, MCP_WIRE_STRV_MAX + 1);
	ck_assert_int_eq(mcp_wire_end(&e), -E2BIG);
	ck_assert_uint_eq(b.len, 0);
	free(items);

	/* A string longer than a message is refused before it is read. */
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	mcp_wire_str(&e, "s", "", (size_t)MCP_WIRE_MAX + 1);
	ck_assert_int_eq(mcp_wire_end(&e), -E2BIG);
	ck_assert_uint_eq(b.len, 0);
	buf_release(&b);
}
END_TEST

START_TEST(test_message_size_limit)
{
	/* Total size: exactly MCP_WIRE_MAX fits, one byte more does not. */
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	struct mcp_wire_msg m;
	size_t overhead = MCP_WIRE_HEADER + 2 + 1 + 4; /* header, kind+nlen, "s", u32 length */
	size_t n = MCP_WIRE_MAX - overhead;
	char *big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'q', n + 1);
	mcp_wire_begin(&e, &b, MCP_W_RESULT, 3);
	mcp_wire_str(&e, "s", big, n);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	ck_assert_uint_eq(b.len, MCP_WIRE_MAX);
	ck_assert_int_eq(mcp_wire_frame_len(b.data, b.len), (ssize_t)MCP_WIRE_MAX);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	ck_assert_uint_eq(mcp_wire_get(&m, "s", MCP_WK_STR)->len, n);
	buf_reset(&b);
	mcp_wire_begin(&e, &b, MCP_W_RESULT, 3);
	mcp_wire_str(&e, "s", big, n + 1);
	ck_assert_int_eq(mcp_wire_end(&e), -E2BIG);
	ck_assert_uint_eq(b.len, 0);
	free(big);
	buf_release(&b);
}
END_TEST

START_TEST(test_frame_len)
{
	unsigned char h[4] = { 0 };
	ck_assert_int_eq(mcp_wire_frame_len(h, 0), 0);
	ck_assert_int_eq(mcp_wire_frame_len(h, 3), 0);
	ck_assert_int_eq(mcp_wire_frame_len(h, 4), -EPROTO); /* 0 < header */
	h[0] = MCP_WIRE_HEADER - 5;
	ck_assert_int_eq(mcp_wire_frame_len(h, 4), -EPROTO);
	h[0] = MCP_WIRE_HEADER - 4;
	ck_assert_int_eq(mcp_wire_frame_len(h, 4), MCP_WIRE_HEADER);
	uint32_t max = MCP_WIRE_MAX - 4;
	memcpy(h, &max, 4); /* little endian host */
	ck_assert_int_eq(mcp_wire_frame_len(h, 4), (ssize_t)MCP_WIRE_MAX);
	max++;
	memcpy(h, &max, 4);
	ck_assert_int_eq(mcp_wire_frame_len(h, 4), -E2BIG);
	memset(h, 0xff, 4);
	ck_assert_int_eq(mcp_wire_frame_len(h, 4), -E2BIG);
}
END_TEST

/* A valid message with one field of each kind, to damage. */
static void sample(struct buf *b)
{
	struct mcp_wire_enc e;
	buf_reset(b);
	mcp_wire_begin(&e, b, MCP_W_CALL, 42);
	mcp_wire_cstr(&e, "tool", "secret_run");
	mcp_wire_bool(&e, "progress", true);
	mcp_wire_int(&e, "n", 5);
	mcp_wire_strv(&e, "keys", (const char *const[]){ "a", "bc" }, NULL, 2);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
}

static void set_len(struct buf *b)
{
	uint32_t n = (uint32_t)(b->len - 4);
	memcpy(b->data, &n, 4);
}

START_TEST(test_truncated)
{
	struct buf b = BUF_INIT;
	struct mcp_wire_msg m;
	sample(&b);
	/* Every prefix, with its length field telling the truth or not, is refused. */
	for (size_t n = 0; n < b.len; n++) {
		ck_assert_int_ne(mcp_wire_decode(b.data, n, &m), 0);
		struct buf c = BUF_INIT;
		ck_assert_int_eq(buf_append(&c, b.data, n), 0);
		if (n >= 4) {
			set_len(&c);
			ck_assert_int_ne(mcp_wire_decode(c.data, c.len, &m), 0);
		}
		buf_release(&c);
	}
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), 0);
	buf_release(&b);
}
END_TEST

START_TEST(test_trailing_bytes)
{
	struct buf b = BUF_INIT;
	struct mcp_wire_msg m;
	sample(&b);
	ck_assert_int_eq(buf_putc(&b, 0), 0);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), -EPROTO); /* length disagrees */
	set_len(&b);
	ck_assert_int_eq(mcp_wire_decode(b.data, b.len, &m), -EPROTO); /* a byte after the fields */
	buf_release(&b);
}
END_TEST

/* Offsets in sample(): header 16; "tool" field at 16: kind, nlen, name(4), u32, 10 bytes. */
#define OFF_TOOL 16
#define OFF_PROGRESS (OFF_TOOL + 2 + 4 + 4 + 10)
#define OFF_N (OFF_PROGRESS + 2 + 8 + 1)
#define OFF_KEYS (OFF_N + 2 + 1 + 8)

static int decode_patched(size_t off, unsigned char v)
{
	struct buf b = BUF_INIT;
	struct mcp_wire_msg m;
	sample(&b);
	ck_assert_uint_lt(off, b.len);
	b.data[off] = (char)v;
	int r = mcp_wire_decode(b.data, b.len, &m);
	buf_release(&b);
	return r;
}

START_TEST(test_malformed_fields)
{
	struct buf b = BUF_INIT;
	sample(&b);
	ck_assert_uint_eq(b.len, OFF_KEYS + 2 + 4 + 4 + 4 + 1 + 4 + 2);
	ck_assert_int_eq(b.data[OFF_PROGRESS], MCP_WK_BOOL);
	ck_assert_int_eq(b.data[OFF_KEYS], MCP_WK_STRV);
	buf_release(&b);

	ck_assert_int_eq(decode_patched(4, 0), -EPROTO);		  /* type 0 */
	ck_assert_int_eq(decode_patched(4, MCP_W_TYPE_MAX + 1), -EPROTO); /* unknown type */
	ck_assert_int_eq(decode_patched(5, 5), -EPROTO);		  /* fewer fields */
	ck_assert_int_eq(decode_patched(5, 3), -EPROTO);		  /* trailing field */
	ck_assert_int_eq(decode_patched(5, MCP_WIRE_FIELDS_MAX + 1), -E2BIG);
	ck_assert_int_eq(decode_patched(6, 1), -EPROTO);		     /* pad */
	ck_assert_int_eq(decode_patched(7, 0x80), -EPROTO);		     /* pad */
	ck_assert_int_eq(decode_patched(OFF_TOOL, 0), -EPROTO);		     /* kind 0 */
	ck_assert_int_eq(decode_patched(OFF_TOOL, MCP_WK_MAX + 1), -EPROTO); /* kind 5 */
	ck_assert_int_eq(decode_patched(OFF_TOOL + 1, 0), -EPROTO);	     /* empty name */
	ck_assert_int_eq(decode_patched(OFF_TOOL + 2, 'T'), -EPROTO);	     /* 'T' in a name */
	ck_assert_int_eq(decode_patched(OFF_TOOL + 2, '-'), -EPROTO);
	ck_assert_int_eq(decode_patched(OFF_TOOL + 6, 11), -EPROTO);	 /* STR runs past */
	ck_assert_int_eq(decode_patched(OFF_TOOL + 9, 0x80), -EPROTO);	 /* huge STR length */
	ck_assert_int_eq(decode_patched(OFF_PROGRESS + 10, 2), -EPROTO); /* bool 2 */
	ck_assert_int_eq(decode_patched(OFF_PROGRESS + 10, 0xff), -EPROTO);
	ck_assert_int_eq(decode_patched(OFF_PROGRESS + 10, 0), 0);    /* bool 0 is fine */
	ck_assert_int_eq(decode_patched(OFF_KEYS + 6, 3), -EPROTO);   /* 3 items, 2 there */
	ck_assert_int_eq(decode_patched(OFF_KEYS + 6, 1), -EPROTO);   /* 1 item + trailing */
	ck_assert_int_eq(decode_patched(OFF_KEYS + 7, 0x04), -E2BIG); /* 1026 items */
	ck_assert_int_eq(decode_patched(OFF_KEYS + 10, 9), -EPROTO);  /* item runs past */
	/* A kind changed to one with another layout: the rest no longer parses. */
	ck_assert_int_eq(decode_patched(OFF_N, MCP_WK_STR), -EPROTO);
	/* Rename "n" to "tool": a duplicate name. Same length names: rename "keys" to "tool". */
	struct buf c = BUF_INIT;
	struct mcp_wire_msg m;
	sample(&c);
	memcpy(c.data + OFF_KEYS + 2, "tool", 4);
	ck_assert_int_eq(mcp_wire_decode(c.data, c.len, &m), -EPROTO);
	memcpy(c.data + OFF_KEYS + 2, "toom", 4);
	ck_assert_int_eq(mcp_wire_decode(c.data, c.len, &m), 0);
	buf_release(&c);
}
END_TEST

/* The decoder refuses a name used twice, so the encoder never writes one. */
START_TEST(test_encoder_duplicate_name)
{
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	struct mcp_wire_msg m;
	mcp_wire_begin(&e, &b, MCP_W_CALL, 1);
	mcp_wire_cstr(&e, "tool", "a");
	mcp_wire_cstr(&e, "tool", "b");
	ck_assert_int_eq(mcp_wire_end(&e), -EINVAL);
	ck_assert_uint_eq(b.len, 0); /* the partial message is gone */
	(void)m;
	buf_release(&b);
}
END_TEST

START_TEST(test_send_recv)
{
	int sv[2];
	struct buf out = BUF_INIT, in = BUF_INIT;
	struct mcp_wire_msg m;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	build_all(&out, MCP_W_RESULT, 77);
	ck_assert_int_eq(mcp_wire_send(sv[0], &out), 0);
	ck_assert_int_eq(mcp_wire_send(sv[0], &out), 0);
	ck_assert_int_eq(mcp_wire_recv(sv[1], &in), 0);
	ck_assert_uint_eq(in.len, out.len);
	ck_assert_int_eq(mcp_wire_decode(in.data, in.len, &m), 0);
	check_all(&m, MCP_W_RESULT, 77);
	ck_assert_int_eq(mcp_wire_recv(sv[1], &in), 0);
	ck_assert_uint_eq(in.len, out.len);
	/* A clean EOF between messages. */
	close(sv[0]);
	ck_assert_int_eq(mcp_wire_recv(sv[1], &in), 0);
	ck_assert_uint_eq(in.len, 0);
	close(sv[1]);

	/* EOF inside the length, inside the body; a bad length. */
	static const size_t cuts[] = { 2, 4, 10, 20 };
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		ck_assert_int_eq(fd_write_all(sv[0], out.data, cuts[i]), 0);
		close(sv[0]);
		ck_assert_int_eq(mcp_wire_recv(sv[1], &in), -EPROTO);
		close(sv[1]);
	}
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(fd_write_all(sv[0], "\xff\xff\xff\xff", 4), 0);
	ck_assert_int_eq(mcp_wire_recv(sv[1], &in), -E2BIG);
	ck_assert_int_eq(fd_write_all(sv[0], "\x01\x00\x00\x00", 4), 0);
	ck_assert_int_eq(mcp_wire_recv(sv[1], &in), -EPROTO);
	close(sv[0]);
	close(sv[1]);
	buf_release(&out);
	buf_release(&in);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mcp-wire");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_several_in_one_buffer);
	tcase_add_test(tc, test_encoder_limits);
	tcase_add_test(tc, test_message_size_limit);
	tcase_add_test(tc, test_frame_len);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_trailing_bytes);
	tcase_add_test(tc, test_malformed_fields);
	tcase_add_test(tc, test_encoder_duplicate_name);
	tcase_add_test(tc, test_send_recv);
	suite_add_tcase(s, tc);
	return s;
}
