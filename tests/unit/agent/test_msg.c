/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the session agent's message format (agent/msg.c): round trips of every kind,
 * the encoder's limits, every malformed input the decoder must refuse, descriptors passed with
 * a datagram, and the socket path (short paths in the vault directory, long ones hashed into a
 * private directory of ours). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent-internal.h"
#include "tests/unit/unit.h"

static struct buf encode_sample(void)
{
	struct buf b = BUF_INIT;
	struct agent_enc e;
	char a0[] = "get", a1[] = "API_KEY", a2[] = "", a3[] = "--masked";
	char *v[] = { a0, a1, a2, a3, NULL };
	agent_enc_begin(&e, &b, AGENT_M_BODY);
	agent_enc_strv(&e, AGENT_T_ARGV, v, 4);
	agent_enc_int(&e, AGENT_T_PID, -42);
	agent_enc_cstr(&e, AGENT_T_REASON, "why not");
	agent_enc_str(&e, AGENT_T_NONCE, "\0\1\2", 3);
	ck_assert_int_eq(agent_enc_end(&e), 0);
	return b;
}

START_TEST(test_round_trip)
{
	struct buf b = encode_sample();
	struct agent_msg m;
	char s[64];
	char **v = NULL;
	ck_assert_int_eq(agent_msg_decode(b.data, b.len, &m), 0);
	ck_assert_int_eq(m.type, AGENT_M_BODY);
	ck_assert_uint_eq(m.nfields, 4);
	ck_assert_int_eq(agent_msg_int(&m, AGENT_T_PID, 0), -42);
	ck_assert_int_eq(agent_msg_int(&m, AGENT_T_SCOPE, 7), 7);
	ck_assert_str_eq(agent_msg_cstr(&m, AGENT_T_REASON, s, sizeof(s)), "why not");
	ck_assert_ptr_null(agent_msg_cstr(&m, AGENT_T_REASON, s, 4));	     /* too long for out */
	ck_assert_ptr_null(agent_msg_cstr(&m, AGENT_T_NONCE, s, sizeof(s))); /* holds a NUL */
	ck_assert_ptr_null(agent_msg_get(&m, AGENT_T_PID, AGENT_K_STR));     /* wrong kind */
	ck_assert_int_eq(agent_msg_strv(&m, AGENT_T_ARGV, 10, &v), 0);
	ck_assert_uint_eq(strv_len(v), 4);
	ck_assert_str_eq(v[1], "API_KEY");
	ck_assert_str_eq(v[2], "");
	strv_free(v);
	ck_assert_int_eq(agent_msg_strv(&m, AGENT_T_ARGV, 3, &v), -E2BIG);
	ck_assert_int_eq(agent_msg_strv(&m, AGENT_T_ENV, 3, &v), 0);
	ck_assert_ptr_null(v); /* absent */
	buf_release(&b);
}
END_TEST

START_TEST(test_encoder_limits)
{
	struct buf b = BUF_INIT;
	struct agent_enc e;
	agent_enc_begin(&e, &b, AGENT_M_STATUS);
	agent_enc_int(&e, AGENT_T_PID, 1);
	agent_enc_int(&e, AGENT_T_PID, 2);
	ck_assert_int_eq(agent_enc_end(&e), -EINVAL); /* a tag twice */
	ck_assert_uint_eq(b.len, 0);		      /* nothing half-written */
	agent_enc_begin(&e, &b, AGENT_M_STATUS);
	for (int i = 0; i < AGENT_MSG_FIELDS_MAX + 1; i++)
		agent_enc_int(&e, (uint8_t)(i + 1), i);
	ck_assert_int_eq(agent_enc_end(&e), -E2BIG);
	char *big = malloc(AGENT_BODY_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', AGENT_BODY_MAX);
	big[AGENT_BODY_MAX] = '\0';
	char *v[] = { big, NULL };
	agent_enc_begin(&e, &b, AGENT_M_BODY);
	agent_enc_strv(&e, AGENT_T_ARGV, v, 1);
	ck_assert_int_eq(agent_enc_end(&e), -E2BIG);
	free(big);
	buf_release(&b);
}
END_TEST

/* Damage one copy of the sample and expect -EPROTO. */
static void refused(void (*damage)(struct buf *b))
{
	struct buf b = encode_sample();
	struct agent_msg m;
	damage(&b);
	ck_assert_int_eq(agent_msg_decode(b.data, b.len, &m), -EPROTO);
	buf_release(&b);
}

static void bad_magic(struct buf *b)
{
	b->data[0] ^= 1;
}
static void truncated(struct buf *b)
{
	b->len -= 1;
}
static void trailing(struct buf *b)
{
	ck_assert_int_eq(buf_putc(b, 0), 0);
}
static void too_many(struct buf *b)
{
	b->data[6] = (char)(AGENT_MSG_FIELDS_MAX + 1);
}
static void fewer(struct buf *b)
{
	b->data[6] = 3;
}
/* Fields start at byte 8: tag, kind, pad(2), len(4). */
static void bad_kind(struct buf *b)
{
	b->data[9] = 9;
}
static void bad_pad(struct buf *b)
{
	b->data[10] = 1;
}
static void long_len(struct buf *b)
{
	b->data[15] = 0x7f;
}
static void dup_tag(struct buf *b)
{
	/* the second field (the INT after the STRV) takes the first one's tag */
	size_t strv_len = (size_t)(unsigned char)b->data[12] | (size_t)(unsigned char)b->data[13]
								       << 8;
	b->data[8 + 8 + strv_len] = b->data[8];
}
static void int_len(struct buf *b)
{
	size_t strv_len = (size_t)(unsigned char)b->data[12] | (size_t)(unsigned char)b->data[13]
								       << 8;
	b->data[8 + 8 + strv_len + 4] = 7;
}
static void strv_count(struct buf *b)
{
	b->data[16] = 5;
} /* 5 items claimed, 4 there */

START_TEST(test_malformed)
{
	struct agent_msg m;
	ck_assert_int_eq(agent_msg_decode(NULL, 0, &m), -EPROTO);
	ck_assert_int_eq(agent_msg_decode("SCA1", 4, &m), -EPROTO);
	refused(bad_magic);
	refused(truncated);
	refused(trailing);
	refused(too_many);
	refused(fewer);
	refused(bad_kind);
	refused(bad_pad);
	refused(long_len);
	refused(dup_tag);
	refused(int_len);
	refused(strv_count);
}
END_TEST

START_TEST(test_send_recv_fds)
{
	int sv[2], p[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	struct buf b = encode_sample(), in = BUF_INIT;
	int fds[AGENT_FDS_MAX];
	size_t n = 0;
	ck_assert_int_eq(agent_send(sv[0], &b, &p[1], 1), 0);
	ck_assert_int_eq(agent_recv(sv[1], &in, fds, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(in.len, b.len);
	ck_assert_mem_eq(in.data, b.data, b.len);
	ck_assert_int_eq(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write(fds[0], "x", 1), 1); /* the very pipe */
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(fds[0]);
	/* Descriptors where none are expected: refused, and closed. */
	ck_assert_int_eq(agent_send(sv[0], &b, &p[1], 1), 0);
	ck_assert_int_eq(agent_recv(sv[1], &in, NULL, &n), -EPROTO);
	close(sv[0]);
	ck_assert_int_eq(agent_recv(sv[1], &in, fds, &n), -ENODATA);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	buf_release(&b);
	buf_release(&in);
}
END_TEST

START_TEST(test_socket_path)
{
	char tmpl[] = "/tmp/agent-test.XXXXXX", path[AGENT_PATH_MAX], want[AGENT_PATH_MAX];
	struct reterr err = RETERR_INIT;
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_eq(agent_socket_path(tmpl, false, path, &err), 0);
	snprintf(want, sizeof(want), "%s/agent.sock", tmpl);
	ck_assert_str_eq(path, want);
	/* A vault whose path is too long for a socket address: a hashed name elsewhere, the same
	 * for every caller. */
	char deep[AGENT_PATH_MAX];
	snprintf(deep, sizeof(deep), "%s/%0120d", tmpl, 0);
	ck_assert_int_eq(mkdir(deep, 0700), 0);
	ck_assert_int_eq(agent_socket_path(deep, true, path, &err), 0);
	ck_assert_uint_le(strlen(path), 107);
	ck_assert_ptr_nonnull(strstr(path, ".sock"));
	ck_assert_ptr_null(strstr(path, tmpl));
	char again[AGENT_PATH_MAX];
	ck_assert_int_eq(agent_socket_path(deep, false, again, &err), 0);
	ck_assert_str_eq(path, again);
	ck_assert_int_eq(agent_socket_path("/nonexistent/vault", false, path, &err), -ENOENT);
	/* A directory of others, or open to them, is refused. */
	ck_assert_int_eq(chmod(tmpl, 0755), 0);
	ck_assert_int_eq(agent_dir_check(tmpl, false, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 700"));
	rmdir(deep);
	rmdir(tmpl);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("agent-msg");
	TCase *tc = tcase_create("msg");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_encoder_limits);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_send_recv_fds);
	tcase_add_test(tc, test_socket_path);
	suite_add_tcase(s, tc);
	return s;
}
