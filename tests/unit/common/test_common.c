/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of common/: durations, globs, buffers, secure buffers, string vectors, time, the
 * EINTR helpers, environment variable names, text made safe for JSON and terminals. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/unit/unit.h"

START_TEST(test_duration)
{
	int64_t ms;
	ck_assert_int_eq(parse_duration_ms("30d", false, &ms), 0);
	ck_assert_int_eq(ms, 30LL * 86400 * 1000);
	ck_assert_int_eq(parse_duration_ms("12h", false, &ms), 0);
	ck_assert_int_eq(ms, 12LL * 3600 * 1000);
	ck_assert_int_eq(parse_duration_ms("1y", false, &ms), 0);
	ck_assert_int_eq(ms, 365LL * 86400 * 1000);
	ck_assert_int_eq(parse_duration_ms("1h30m", false, &ms), 0);
	ck_assert_int_eq(ms, 5400LL * 1000);
	ck_assert_int_eq(parse_duration_ms("90", false, &ms), 0);
	ck_assert_int_eq(ms, 90000);
	ck_assert_int_eq(parse_duration_ms("250ms", true, &ms), 0);
	ck_assert_int_eq(ms, 250);
	ck_assert_int_eq(parse_duration_ms("250ms", false, &ms), -EINVAL);
	ck_assert_int_eq(parse_duration_ms("", false, &ms), -EINVAL);
	ck_assert_int_eq(parse_duration_ms("5x", false, &ms), -EINVAL);
	ck_assert_int_eq(parse_duration_ms("-5s", false, &ms), -EINVAL);
	ck_assert_int_eq(parse_duration_ms("1h30", false, &ms), -EINVAL);
	ck_assert_int_eq(parse_duration_ms("99999999999999999999y", false, &ms), -ERANGE);
}
END_TEST

START_TEST(test_glob)
{
	ck_assert(glob_match("aws/*", "aws/key"));
	ck_assert(!glob_match("aws/*", "aws/x/key"));
	ck_assert(!glob_match("aws/*", "aws"));
	ck_assert(glob_match("*", "API_KEY"));
	ck_assert(!glob_match("*", "a/b"));
	ck_assert(glob_match("db/*/pass", "db/prod/pass"));
	ck_assert(glob_match("API_?EY", "API_KEY"));
	ck_assert(!glob_match("a?b", "a/b"));
	ck_assert(glob_match("exact", "exact"));
	ck_assert(!glob_match("exact", "exactly"));
	ck_assert(glob_match("*_KEY", "API_KEY"));
	ck_assert(glob_match("a*b*c", "aXXbYYc"));
	ck_assert(!glob_match("a*b*c", "aXXbYY"));
	ck_assert(glob_is_pattern("a*"));
	ck_assert(!glob_is_pattern("a/b"));
}
END_TEST

START_TEST(test_buf)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_append(&b, "a\0b", 3), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "x"), 0);
	ck_assert_uint_eq(b.len, 7);
	ck_assert_int_eq(memcmp(b.data, "a\0b42-x", 7), 0);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(buf_putc(&b, 'z'), 0);
	ck_assert_uint_eq(b.len, 10007);
	char *d = buf_detach(&b);
	ck_assert_ptr_null(b.data);
	free(d);
	buf_release(&b);
}
END_TEST

/* What out.c makes of hostile bytes: JSON that is always valid (\xNN for what is not UTF-8, the
 * exact bytes beside it in base64), and terminal text that shows UTF-8 only in a UTF-8 locale
 * and never a control byte or a character that hides or reorders text. */
static char *render(void (*fn)(struct outbuf *, const void *, size_t), const char *s)
{
	struct buf b = BUF_INIT;
	struct outbuf o;
	outbuf_init_buf(&o, &b);
	fn(&o, s, strlen(s));
	ck_assert_int_eq(outbuf_finish(&o), 0);
	ck_assert_int_eq(buf_putc(&b, '\0'), 0);
	return buf_detach(&b);
}

static void json_member(struct outbuf *o, const void *p, size_t n)
{
	outbuf_json_member(o, "c", p, n);
}

START_TEST(test_out_text)
{
	char *t = render(outbuf_json_str, "caf\xe9 f\xc3\xbcr \x01\"");
	ck_assert_str_eq(t, "\"caf\\\\xe9 f\xc3\xbcr \\u0001\\\"\"");
	free(t);
	t = render(json_member, "caf\xe9");
	ck_assert_str_eq(t, "\"c\":\"caf\\\\xe9\",\"c_base64\":\"Y2Fm6Q==\"");
	free(t);
	t = render(json_member, "caf\xc3\xa9");
	ck_assert_str_eq(t, "\"c\":\"caf\xc3\xa9\"");
	free(t);
	const char *hostile = "f\xc3\xbcr \xe2\x80\xae x\x1b[1m \xc2\x9b \\ \xff";
	outbuf_set_utf8_text(false);
	t = render(outbuf_escaped, hostile);
	ck_assert_str_eq(t, "f\\xc3\\xbcr \\xe2\\x80\\xae x\\x1b[1m \\xc2\\x9b \\x5c \\xff");
	free(t);
	outbuf_set_utf8_text(true);
	t = render(outbuf_escaped, hostile);
	ck_assert_str_eq(t, "f\xc3\xbcr \\xe2\\x80\\xae x\\x1b[1m \\xc2\\x9b \\x5c \\xff");
	free(t);
	outbuf_set_utf8_text(false);
}
END_TEST

START_TEST(test_secret)
{
	ck_assert_int_eq(secret_lib_init(), 0);
	struct secret *a = secret_from("hunter22", 8);
	struct secret *b = secret_new(0);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(!secret_equal(a, b));
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(secret_append(&b, i % 2 ? "r2" : "hunte", i % 2 ? 2 : 5), 0);
	ck_assert_uint_eq(b->len, 350);
	secret_free(b);
	b = secret_from("hunter22", 8);
	ck_assert(secret_equal(a, b));
	ck_assert_int_eq(b->data[8], 0);
	secret_free(a);
	secret_free(b);
}
END_TEST

/* A secret is one region: the header, then data with room for cap + 1 bytes. Filling all of it
 * leaves the header intact; the value stays NUL-terminated; growing keeps the value. */
START_TEST(test_secure_forget_all)
{
	/* A forked child drops its copy of every live secure region; the parent keeps its own. */
	ck_assert_int_eq(secret_lib_init(), 0);
	struct secret *a = secret_from("forget-me-0123456789", 20);
	unsigned char *raw = secure_alloc(10000);
	struct secret *gone = secret_from("freed-before-fork", 17);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(raw);
	ck_assert_ptr_nonnull(gone);
	memset(raw, 0x5a, 10000);
	secret_free(gone); /* unregistered: forget_all must not touch its (unmapped) pages */
	unsigned char *value = a->data; /* the header is in the region too: keep the pointer */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		secure_forget_all();
		size_t nz = 0;
		for (size_t i = 0; i < 10000; i++)
			nz += raw[i] != 0;
		/* The header went too (a->data reads NULL): look at the value's bytes. */
		for (size_t i = 0; i < 20; i++)
			nz += value[i] != 0;
		char ok = nz == 0;
		ssize_t w = write(p[1], &ok, 1);
		_exit(w == 1 ? 0 : 1);
	}
	close(p[1]);
	char ok = 0;
	ck_assert_int_eq(read(p[0], &ok, 1), 1);
	close(p[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_msg(ok, "the child still saw secret bytes after secure_forget_all");
	/* The parent's copies are intact and free normally (canaries untouched). */
	ck_assert_int_eq(memcmp(a->data, "forget-me-0123456789", 20), 0);
	for (size_t i = 0; i < 10000; i++)
		ck_assert_int_eq(raw[i], 0x5a);
	secure_free(raw);
	secret_free(a);
}
END_TEST

START_TEST(test_secret_layout)
{
	static const size_t caps[] = { 0, 1, 7, 8, 9, 22, 4095, 4096, 4097, 70000 };
	ck_assert_int_eq(secret_lib_init(), 0);
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
		struct secret *s = secret_new(caps[i]);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq((uintptr_t)s % _Alignof(struct secret), 0);
		ck_assert_ptr_nonnull(s->data);
		ck_assert(s->data >= (unsigned char *)(s + 1));
		ck_assert_uint_eq(s->len, 0);
		ck_assert_uint_eq(s->cap, caps[i]);
		ck_assert_int_eq(s->data[0], 0);
		memset(s->data, 0xA5, caps[i] + 1);
		ck_assert_uint_eq(s->cap, caps[i]);
		ck_assert_uint_eq(s->len, 0);
		for (size_t j = 0; j <= caps[i]; j++)
			ck_assert_uint_eq(s->data[j], 0xA5);
		ck_assert_ptr_null(secret_free(s));
	}
	ck_assert_ptr_null(secret_new(SIZE_MAX)); /* size overflow, not a short region */

	/* values may hold NULs; the terminator sits after them */
	struct secret *s = secret_from("a\0b", 3);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->len, 3);
	ck_assert_int_eq(memcmp(s->data, "a\0b", 4), 0);

	/* grow through several new regions: content, length and terminator kept */
	unsigned char want[10000];
	for (size_t j = 0; j < sizeof(want); j++)
		want[j] = (unsigned char)(j * 7 + 1);
	memcpy(want, "a\0b", 3);
	for (size_t at = 3; at < sizeof(want);) {
		size_t n = at % 2 ? 1 : 997;
		if (n > sizeof(want) - at)
			n = sizeof(want) - at;
		ck_assert_int_eq(secret_append(&s, want + at, n), 0);
		at += n;
		ck_assert_uint_eq(s->len, at);
		ck_assert_uint_ge(s->cap, at);
		ck_assert(s->data >= (unsigned char *)(s + 1));
		ck_assert_int_eq(memcmp(s->data, want, at), 0);
		ck_assert_int_eq(s->data[at], 0);
	}
	ck_assert_int_eq(secret_append(&s, "", 0), 0);
	ck_assert_uint_eq(s->len, sizeof(want));
	secret_free(s);

	/* fd_read_all_secret grows past its first 4096 bytes the same way */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fd_write_all(p[1], want, sizeof(want)), 0);
	close(p[1]);
	s = NULL;
	ck_assert_int_eq(fd_read_all_secret(p[0], 1 << 20, &s), 0);
	close(p[0]);
	ck_assert_uint_eq(s->len, sizeof(want));
	ck_assert_int_eq(memcmp(s->data, want, sizeof(want)), 0);
	ck_assert_int_eq(s->data[s->len], 0);
	secret_free(s);
	ck_assert_ptr_null(secret_free(NULL));
}
END_TEST

START_TEST(test_strv)
{
	char **v = NULL;
	ck_assert_int_eq(strv_split("a,,b,c,", ',', &v), 0);
	ck_assert_uint_eq(strv_len(v), 3);
	char *j = strv_join(v, "+");
	ck_assert_str_eq(j, "a+b+c");
	free(j);
	char **c = strv_dup(v);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_ne(c[0], v[0]); /* copies, not borrowed pointers */
	j = strv_join(c, "+");
	ck_assert_str_eq(j, "a+b+c");
	free(j);
	strv_free(c);
	strv_free(v);
	c = strv_dup(NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(strv_len(c), 0);
	strv_free(c);
}
END_TEST

START_TEST(test_time)
{
	char s[32];
	parse_format_time(0, s);
	ck_assert_str_eq(s, "1970-01-01T00:00:00Z");
	int64_t t;
	ck_assert_int_eq(parse_time("2026-11-22T02:39:03Z", &t), 0);
	parse_format_time(t, s);
	ck_assert_str_eq(s, "2026-11-22T02:39:03Z");
	ck_assert_int_eq(parse_time("2026-11-22", &t), -EINVAL);
}
END_TEST

static int64_t fake_now(void)
{
	return 12345;
}

START_TEST(test_clock)
{
	clock_set_fn(fake_now);
	ck_assert_int_eq(clock_now(), 12345);
	clock_set_fn(NULL);
	ck_assert_int_gt(clock_now(), 1700000000);
}
END_TEST

START_TEST(test_env_names)
{
	/* the class and the one maximum */
	ck_assert(env_name_valid("A"));
	ck_assert(env_name_valid("_"));
	ck_assert(env_name_valid("my_var_2"));
	ck_assert(!env_name_valid(NULL));
	ck_assert(!env_name_valid(""));
	ck_assert(!env_name_valid("1A"));
	ck_assert(!env_name_valid("A=B"));
	ck_assert(!env_name_valid("A B"));
	ck_assert(!env_name_valid("A-B"));
	ck_assert(!env_name_valid("A\xc3\xa9"));
	char name[ENV_NAME_MAX + 2];
	memset(name, 'X', sizeof(name));
	name[ENV_NAME_MAX] = '\0';
	ck_assert(env_name_valid(name));
	ck_assert(env_name_valid_upper(name));
	name[ENV_NAME_MAX] = 'X';
	name[ENV_NAME_MAX + 1] = '\0';
	ck_assert(!env_name_valid(name));
	ck_assert(!env_name_valid_upper(name));
	ck_assert(env_name_valid_upper("APP_1"));
	ck_assert(env_name_valid_upper("_X"));
	ck_assert(!env_name_valid_upper("App_"));
	ck_assert(!env_name_valid_upper("9A"));
	ck_assert(!env_name_valid_upper(""));
	ck_assert(env_name_char('a', true) && env_name_char('_', true) &&
		  env_name_char('9', false));
	ck_assert(!env_name_char('9', true) && !env_name_char('-', false) &&
		  !env_name_char('\0', false));

	/* the one deny list: a name of each family, each prefix, and near misses that pass */
	static const char *const denied[] = {
		"PATH",
		"HOME",
		"USER",
		"SHELL",
		"TMPDIR",
		"TERMINFO",
		"MAIL",
		"IFS",
		"BASH_ENV",
		"ENV",
		"PS4",
		"PROMPT_COMMAND",
		"HISTFILE",
		"GCONV_PATH",
		"GLIBC_TUNABLES",
		"NLSPATH",
		"MALLOC_PERTURB_",
		"PYTHONPATH",
		"NODE_OPTIONS",
		"PERL5DB",
		"JAVA_TOOL_OPTIONS",
		"_JAVA_OPTIONS",
		"CLASSPATH",
		"PAGER",
		"LESSOPEN",
		"GIT_SSH_COMMAND",
		"GIT_EXTERNAL_DIFF",
		"LC_ALL",
		"LD_PRELOAD",
		"LD_AUDIT",
		"DYLD_INSERT_LIBRARIES",
		"SECRETCTL_PASSWORD",
		"SECRETCTL_",
		"BASH_FUNC_f%%",
		"GIT_CONFIG",
		"GIT_CONFIG_COUNT",
	};
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++)
		ck_assert_msg(env_name_denied(denied[i]), "%s", denied[i]);
	static const char *const allowed[] = {
		"API_KEY", "DB_PASSWORD", "APP_PATH",  "PATHS",	  "path",	 "LC",
		"LD",	   "SECRETCTL",	  "GIT_TOKEN", "MY_HOME", "ENVIRONMENT",
	};
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		ck_assert_msg(!env_name_denied(allowed[i]), "%s", allowed[i]);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A SIGALRM handler without SA_RESTART, firing every 10 ms: a blocked call returns EINTR. */
static void interrupt_often(bool on)
{
	struct sigaction sa = { .sa_handler = on ? on_alarm : SIG_DFL };
	struct itimerval it = { { 0, on ? 10000 : 0 }, { 0, on ? 10000 : 0 } };
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

/* The helpers sit out interruptions: the child answers only after several signals arrived. */
START_TEST(test_eintr_helpers)
{
	int sv[2], p[2], st = -1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		usleep(100 * 1000);
		if (send(sv[1], "m", 1, 0) != 1)
			_exit(1);
		usleep(100 * 1000);
		_exit(write(p[1], "p", 1) == 1 ? 7 : 1);
	}
	close(sv[1]);
	close(p[1]);
	alarms = 0;
	interrupt_often(true);

	char c = 0;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ck_assert_int_eq(fd_recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC), 1);
	ck_assert_int_eq(c, 'm');
	ck_assert_int_gt(alarms, 1);
	int before = alarms;
	ck_assert_int_eq(fd_read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, 'p');
	ck_assert_int_gt(alarms, before);

	/* proc_wait: the child's status, once; then it is gone. */
	ck_assert_int_eq(proc_wait(pid, &st), 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	st = -1;
	ck_assert_int_eq(proc_wait(pid, &st), -ECHILD);
	ck_assert_int_eq(st, -1); /* written only on success */
	interrupt_often(false);

	/* The other end gone: EOF (0), not an error; a bad descriptor: -errno. */
	ck_assert_int_eq(fd_recvmsg(sv[0], &msg, 0), 0);
	ck_assert_int_eq(fd_read(p[0], &c, 1), 0);
	close(sv[0]);
	close(p[0]);
	ck_assert_int_eq(fd_recvmsg(sv[0], &msg, 0), -EBADF);
	ck_assert_int_eq(fd_read(p[0], &c, 1), -EBADF);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_glob);
	tcase_add_test(tc, test_buf);
	tcase_add_test(tc, test_secure_forget_all);
	tcase_add_test(tc, test_secret);
	tcase_add_test(tc, test_secret_layout);
	tcase_add_test(tc, test_strv);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_eintr_helpers);
	tcase_add_test(tc, test_env_names);
	tcase_add_test(tc, test_out_text);
	suite_add_tcase(s, tc);
	return s;
}
