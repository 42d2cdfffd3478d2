/* SPDX-License-Identifier: Apache-2.0 */
/* Test helpers for mcp/: see mcp-util.h. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mcp-util.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sess_start(struct session *s, bool ready)
{
	sess_start_with(s, ready, false);
}

void sess_start_with(struct session *s, bool ready, bool folder_writes)
{
	int in[2], out[2], bk[2];
	*s = (struct session){ .pid = -1, .outbuf = BUF_INIT, .bbuf = BUF_INIT, .msg = BUF_INIT };
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bk), 0);
	/* A front that dies must show as EOF/EPIPE here, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		close(in[1]);
		close(out[0]);
		close(bk[0]);
		_exit(mcp_front_run(in[0], out[1], bk[1]));
	}
	close(in[0]);
	close(out[1]);
	close(bk[1]);
	s->in = in[1];
	s->out = out[0];
	s->broker = bk[0];
	if (ready) {
		struct buf b = BUF_INIT;
		struct mcp_wire_enc e;
		mcp_wire_begin(&e, &b, MCP_W_READY, 0);
		mcp_wire_cstr(&e, "version", SESS_VERSION);
		mcp_wire_cstr(&e, "policy", "/tmp/mcp-policy.yaml");
		if (folder_writes)
			mcp_wire_bool(&e, "folder_writes", true);
		ck_assert_int_eq(mcp_wire_end(&e), 0);
		sess_broker_send(s, &b);
		buf_release(&b);
	}
}

/* Read what stdout has into outbuf; false at EOF or timeout. */
static bool fill_out(struct session *s, int timeout_ms)
{
	struct pollfd p = { .fd = s->out, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	char tmp[65536];
	ssize_t n = read(s->out, tmp, sizeof(tmp));
	if (n <= 0)
		return false;
	ck_assert_int_eq(buf_append(&s->outbuf, tmp, (size_t)n), 0);
	return true;
}

int sess_wait(struct session *s)
{
	int64_t end = now_ms() + SESS_TIMEOUT_MS;
	while (now_ms() < end) {
		int st;
		pid_t r = waitpid(s->pid, &st, WNOHANG);
		if (r == s->pid) {
			s->pid = -1;
			s->status = st;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		/* Keep reading stdout: a front blocked writing to us would never exit. */
		if (!fill_out(s, 10))
			usleep(1000);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
	return -1;
}

int sess_finish(struct session *s)
{
	if (s->in >= 0) {
		close(s->in);
		s->in = -1;
	}
	return sess_wait(s);
}

void sess_release(struct session *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	if (s->in >= 0)
		close(s->in);
	close(s->out);
	close(s->broker);
	buf_release(&s->outbuf);
	buf_release(&s->bbuf);
	buf_release(&s->msg);
}

void sess_write(struct session *s, const void *p, size_t len)
{
	const char *c = p;
	/* Write in pieces while reading stdout, so a large line cannot deadlock with answers. */
	while (len > 0) {
		struct pollfd pf[2] = { { .fd = s->in, .events = POLLOUT },
					{ .fd = s->out, .events = POLLIN } };
		ck_assert_int_gt(poll(pf, 2, SESS_TIMEOUT_MS), 0);
		if (pf[1].revents & POLLIN)
			fill_out(s, 0);
		if (!(pf[0].revents & (POLLOUT | POLLERR)))
			continue;
		size_t want = len < 4096 ? len : 4096;
		ssize_t n = write(s->in, c, want);
		ck_assert_int_gt(n, 0);
		c += n;
		len -= (size_t)n;
	}
}

void sess_send(struct session *s, const char *line)
{
	sess_write(s, line, strlen(line));
	sess_write(s, "\n", 1);
}

void sess_sendf(struct session *s, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	ck_assert_int_eq(buf_vprintf(&b, fmt, ap), 0);
	va_end(ap);
	sess_send(s, b.data);
	buf_release(&b);
}

char *sess_read_text(struct session *s, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	for (;;) {
		char *nl = s->outbuf.len ? memchr(s->outbuf.data, '\n', s->outbuf.len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - s->outbuf.data);
			char *line = strndup(s->outbuf.data, n);
			ck_assert_ptr_nonnull(line);
			ck_assert_uint_eq(strlen(line), n); /* no NUL inside a line */
			memmove(s->outbuf.data, nl + 1, s->outbuf.len - n - 1);
			s->outbuf.len -= n + 1;
			s->outbuf.data[s->outbuf.len] = '\0';
			return line;
		}
		int64_t left = end - now_ms();
		if (left <= 0 || !fill_out(s, (int)left))
			return NULL;
	}
}

cJSON *sess_read(struct session *s, int timeout_ms)
{
	char *line = sess_read_text(s, timeout_ms);
	if (!line)
		return NULL;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithOpts(line, &end, true);
	ck_assert_msg(j != NULL, "not JSON: %s", line);
	/* Every line the front writes is a JSON-RPC 2.0 message. */
	ck_assert_str_eq(jstr(j, "jsonrpc"), "2.0");
	free(line);
	return j;
}

bool sess_quiet(struct session *s, int ms)
{
	if (s->outbuf.len)
		return false;
	return !fill_out(s, ms);
}

void sess_sync(struct session *s, int id)
{
	sess_sendf(s, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\"}", id);
	cJSON *r = sess_read(s, SESS_TIMEOUT_MS);
	ck_assert_ptr_nonnull(r);
	char want[64];
	snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{}}", id);
	ck_assert_msg(jeq(r, want), "expected the ping answer %s", want);
	cJSON_Delete(r);
}

enum mcp_proto sess_init(struct session *s, const char *version)
{
	sess_sendf(s,
		   "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
		   "\"protocolVersion\":\"%s\",\"capabilities\":{},"
		   "\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
		   version);
	cJSON *r = sess_read(s, SESS_TIMEOUT_MS);
	ck_assert_ptr_nonnull(r);
	const char *got = jstr(r, "result|protocolVersion");
	ck_assert_ptr_nonnull(got);
	enum mcp_proto p = mcp_proto_parse(got);
	ck_assert_int_ne(p, MCP_PROTO_NONE);
	cJSON_Delete(r);
	sess_send(s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	return p;
}

/* ---- broker side -------------------------------------------------------------------------- */

static int fill_broker(struct session *s, int timeout_ms)
{
	struct pollfd p = { .fd = s->broker, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	char tmp[65536];
	ssize_t n = read(s->broker, tmp, sizeof(tmp));
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	ck_assert_int_eq(buf_append(&s->bbuf, tmp, (size_t)n), 0);
	return 1;
}

bool sess_broker_recv(struct session *s, struct mcp_wire_msg *m, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	for (;;) {
		ssize_t total =
			s->bbuf.len >= 4 ? mcp_wire_frame_len(s->bbuf.data, s->bbuf.len) : 0;
		ck_assert_int_ge(total, 0);
		if (total > 0 && (size_t)total <= s->bbuf.len) {
			buf_reset(&s->msg);
			ck_assert_int_eq(buf_append(&s->msg, s->bbuf.data, (size_t)total), 0);
			memmove(s->bbuf.data, s->bbuf.data + total, s->bbuf.len - (size_t)total);
			s->bbuf.len -= (size_t)total;
			ck_assert_int_eq(mcp_wire_decode(s->msg.data, s->msg.len, m), 0);
			return true;
		}
		int64_t left = end - now_ms();
		if (left <= 0 || fill_broker(s, (int)left) <= 0)
			return false;
	}
}

bool sess_broker_eof(struct session *s, int ms)
{
	int64_t end = now_ms() + ms;
	for (;;) {
		int64_t left = end - now_ms();
		if (left <= 0)
			return false;
		int r = fill_broker(s, (int)left);
		if (r == 0 || r == -ECONNRESET)
			return true;
		if (r < 0)
			return false;
	}
}

void sess_broker_send(struct session *s, const struct buf *b)
{
	ck_assert_int_eq(fd_write_all(s->broker, b->data, b->len), 0);
}

void sess_result(struct session *s, uint64_t id, bool error, const char *json, const char *message)
{
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_RESULT, id);
	mcp_wire_bool(&e, "error", error);
	if (json)
		mcp_wire_cstr(&e, "json", json);
	if (message)
		mcp_wire_cstr(&e, "message", message);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(s, &b);
	buf_release(&b);
}

void sess_progress(struct session *s, uint64_t id, int64_t progress, int64_t total,
		   const char *message)
{
	struct buf b = BUF_INIT;
	struct mcp_wire_enc e;
	mcp_wire_begin(&e, &b, MCP_W_PROGRESS, id);
	mcp_wire_int(&e, "progress", progress);
	mcp_wire_int(&e, "total", total);
	if (message)
		mcp_wire_cstr(&e, "message", message);
	ck_assert_int_eq(mcp_wire_end(&e), 0);
	sess_broker_send(s, &b);
	buf_release(&b);
}

uint64_t sess_expect_call(struct session *s, const char *tool, struct mcp_wire_msg *m)
{
	ck_assert_msg(sess_broker_recv(s, m, SESS_TIMEOUT_MS), "no CALL for %s", tool);
	ck_assert_int_eq(m->type, MCP_W_CALL);
	char *t = wire_str(m, "tool");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t, tool);
	free(t);
	ck_assert_uint_ne(m->id, 0);
	return m->id;
}

char *wire_str(const struct mcp_wire_msg *m, const char *name)
{
	const struct mcp_wire_field *f = mcp_wire_get(m, name, MCP_WK_STR);
	return f ? strndup(f->str, f->len) : NULL;
}

/* ---- JSON --------------------------------------------------------------------------------- */

const cJSON *jget(const cJSON *o, const char *path)
{
	char seg[256];
	while (o && *path) {
		const char *bar = strchr(path, '|');
		size_t n = bar ? (size_t)(bar - path) : strlen(path);
		ck_assert_uint_lt(n, sizeof(seg));
		memcpy(seg, path, n);
		seg[n] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, seg);
		path += n + (bar ? 1 : 0);
	}
	return o;
}

const char *jstr(const cJSON *o, const char *path)
{
	const cJSON *x = jget(o, path);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

bool jeq(const cJSON *o, const char *expected)
{
	cJSON *want = cJSON_Parse(expected);
	ck_assert_msg(want != NULL, "bad expected JSON: %s", expected);
	bool eq = cJSON_Compare(o, want, true);
	if (!eq) {
		char *got = cJSON_PrintUnformatted(o);
		fprintf(stderr, "jeq: got      %s\njeq: expected %s\n", got ? got : "(null)",
			expected);
		cJSON_free(got);
	}
	cJSON_Delete(want);
	return eq;
}

void expect_error(const cJSON *msg, const char *id, int code, const char *message)
{
	ck_assert_ptr_nonnull(msg);
	const cJSON *e = jget(msg, "error");
	char *idtext = cJSON_PrintUnformatted(jget(msg, "id"));
	ck_assert_msg(e != NULL, "not an error answer (id %s)", idtext ? idtext : "absent");
	ck_assert_ptr_null(jget(msg, "result"));
	ck_assert_str_eq(idtext ? idtext : "absent", id);
	cJSON_free(idtext);
	const cJSON *c = jget(e, "code");
	ck_assert(cJSON_IsNumber(c));
	ck_assert_int_eq(c->valueint, code);
	ck_assert(cJSON_IsString(jget(e, "message")));
	if (message)
		ck_assert_str_eq(jstr(e, "message"), message);
}
