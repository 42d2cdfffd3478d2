/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the relay of an mcp-server that the session agent serves. The front stays in this
 * process's child as always; the broker runs in a child of the agent (which holds the keys);
 * this process passes whole wire messages between them and holds nothing secret. When the agent
 * locks, its broker ends: calls in flight and every later call are answered "vault locked", and
 * the first call after the next `secretctl unlock` gets a broker from the new agent. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "agent/agent.h"
#include "mcp/mcp-server.h"
#include "mcp/mcp.h"

#define LOCKED_MSG                                                                          \
	"vault locked: run 'secretctl unlock' in a terminal, then call again (the session " \
	"agent ended: it was locked, ran out of time or was idle too long)"
#define QUEUE_HIGH (8u << 20) /* stop reading a side while the other is this far behind */

/* Bytes waiting for one side, written as it takes them (never blocking: each side writes to
 * us blocking, so we must never wait on it while it waits on us). */
struct queue {
	int fd;
	struct buf b;
	size_t off;
};

struct relay {
	struct queue front, broker;
	struct buf from_front, from_broker;
	struct agent_conn *conn; /* the broker's request (its end: the broker ended) */
	const char *vault_dir;
	uint64_t *inflight; /* calls sent to the broker and not answered yet */
	size_t ninflight;
	bool ready; /* the first READY went to the front */
	int sigfd;
};

static int enqueue(struct queue *q, const void *p, size_t len)
{
	return buf_append(&q->b, p, len) < 0 ? -ENOMEM : 0;
}

static int flush(struct queue *q)
{
	while (q->off < q->b.len) {
		ssize_t n = write(q->fd, q->b.data + q->off, q->b.len - q->off);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		q->off += (size_t)n;
	}
	q->off = 0;
	buf_reset(&q->b);
	if (q->b.cap > (1u << 20))
		buf_release(&q->b);
	return 0;
}

/* A tool error for call id, to the front. */
static int answer_locked(struct relay *r, uint64_t id)
{
	AUTO_BUF struct buf out = BUF_INIT;
	struct mcp_wire_enc enc;
	mcp_wire_begin(&enc, &out, MCP_W_RESULT, id);
	mcp_wire_bool(&enc, "error", true);
	mcp_wire_cstr(&enc, "message", LOCKED_MSG);
	int e = mcp_wire_end(&enc);
	return e < 0 ? e : enqueue(&r->front, out.data, out.len);
}

static int track(struct relay *r, uint64_t id)
{
	uint64_t *v = reallocarray(r->inflight, r->ninflight + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->inflight = v;
	r->inflight[r->ninflight++] = id;
	return 0;
}

static void untrack(struct relay *r, uint64_t id)
{
	for (size_t i = 0; i < r->ninflight; i++)
		if (r->inflight[i] == id) {
			r->inflight[i] = r->inflight[--r->ninflight];
			return;
		}
}

/* The broker is gone (the agent locked): answer what it left unanswered. */
static int broker_gone(struct relay *r)
{
	int e = 0;
	if (r->broker.fd >= 0)
		close(r->broker.fd);
	r->broker.fd = -1;
	buf_release(&r->broker.b);
	r->broker.off = 0;
	buf_reset(&r->from_broker);
	r->conn = agent_conn_free(r->conn);
	for (size_t i = 0; i < r->ninflight && e == 0; i++)
		e = answer_locked(r, r->inflight[i]);
	r->ninflight = 0;
	if (!r->ready)
		return -ENOTCONN; /* the front never got READY: it cannot be served */
	return e;
}

/* Ask the agent for a broker on a new socket. -ENOENT: no agent. */
static int connect_broker(struct relay *r)
{
	struct reterr err = RETERR_INIT;
	int sv[2], e;
	if (!r->conn && (e = agent_connect(r->vault_dir, &r->conn, &err)) < 0)
		return e;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r->conn = agent_conn_free(r->conn);
		return -errno;
	}
	e = agent_conn_mcp(r->conn, sv[1], &err);
	close(sv[1]);
	if (e < 0) {
		close(sv[0]);
		r->conn = agent_conn_free(r->conn);
		return e;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	r->broker.fd = sv[0];
	return 0;
}

/* Complete messages in in: each to handle(). Compacts in. -EPROTO for damage. */
static int frames(struct relay *r, struct buf *in,
		  int (*handle)(struct relay *, const struct mcp_wire_msg *, const void *, size_t))
{
	size_t off = 0;
	int e = 0;
	while (e == 0) {
		ssize_t need = mcp_wire_frame_len(in->data + off, in->len - off);
		if (need < 0)
			return (int)need;
		if (need == 0 || (size_t)need > in->len - off)
			break;
		struct mcp_wire_msg m;
		if ((e = mcp_wire_decode(in->data + off, (size_t)need, &m)) < 0)
			return e;
		e = handle(r, &m, in->data + off, (size_t)need);
		off += (size_t)need;
	}
	memmove(in->data, in->data + off, in->len - off);
	in->len -= off;
	return e;
}

static int from_front(struct relay *r, const struct mcp_wire_msg *m, const void *p, size_t len)
{
	if (r->broker.fd < 0 && m->type == MCP_W_CALL && connect_broker(r) < 0)
		return answer_locked(r, m->id);
	if (r->broker.fd < 0)
		return 0; /* a cancel for a broker that is gone */
	if (m->type == MCP_W_CALL && track(r, m->id) < 0)
		return -ENOMEM;
	return enqueue(&r->broker, p, len);
}

static int from_broker(struct relay *r, const struct mcp_wire_msg *m, const void *p, size_t len)
{
	if (m->type == MCP_W_READY) {
		if (r->ready)
			return 0; /* a new broker after an unlock: the front is served already */
		r->ready = true;
	}
	if (m->type == MCP_W_RESULT)
		untrack(r, m->id);
	return enqueue(&r->front, p, len);
}

/* Read what a side sent. 1 at its end. */
static int take(int fd, struct buf *in)
{
	char tmp[65536];
	ssize_t n = fd_read(fd, tmp, sizeof(tmp));
	if (n < 0)
		return n == -EAGAIN ? 0 : (int)n;
	if (n == 0)
		return 1;
	if (in->len + (size_t)n > MCP_WIRE_MAX + sizeof(tmp))
		return -E2BIG;
	return buf_append(in, tmp, (size_t)n) < 0 ? -ENOMEM : 0;
}

static int step(struct relay *r)
{
	bool broker = r->broker.fd >= 0;
	struct pollfd p[4] = {
		{ .fd = r->front.fd,
		  .events = (short)((r->broker.b.len < QUEUE_HIGH ? POLLIN : 0) |
				    (r->front.b.len ? POLLOUT : 0)) },
		{ .fd = broker ? r->broker.fd : -1,
		  .events = (short)((r->front.b.len < QUEUE_HIGH ? POLLIN : 0) |
				    (r->broker.b.len ? POLLOUT : 0)) },
		{ .fd = broker && r->conn ? agent_conn_fd(r->conn) : -1, .events = POLLIN },
		{ .fd = r->sigfd, .events = POLLIN },
	};
	if (poll(p, 4, -1) < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[3].revents)
		return 2; /* SIGTERM, SIGINT, SIGHUP: end as if stdin closed */
	int e = 0;
	if (p[0].revents & POLLOUT)
		e = flush(&r->front);
	if (e == 0 && broker && (p[1].revents & POLLOUT))
		e = flush(&r->broker);
	if (e == 0 && broker && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
		int t = take(r->broker.fd, &r->from_broker);
		e = t == 0 ? frames(r, &r->from_broker, from_broker) : broker_gone(r);
	}
	if (e == 0 && r->broker.fd >= 0 && p[2].revents)
		e = broker_gone(r); /* the agent ended the broker's request */
	if (e == 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		int t = take(r->front.fd, &r->from_front);
		e = t < 0 ? t : t == 1 ? 1 : frames(r, &r->from_front, from_front);
	}
	return e;
}

int mcp_relay_main(int front_fd, const char *vault_dir, struct agent_conn *c, bool *ret_signalled)
{
	struct relay r = { .front = { front_fd, BUF_INIT, 0 },
			   .broker = { -1, BUF_INIT, 0 },
			   .from_front = BUF_INIT,
			   .from_broker = BUF_INIT,
			   .conn = c,
			   .vault_dir = vault_dir,
			   .sigfd = -1 };
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	int e = sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
				(r.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
				fcntl(front_fd, F_SETFL, O_NONBLOCK) < 0
			? -errno
			: connect_broker(&r);
	if (e < 0)
		fprintf(stderr, "secretctl mcp-server: cannot use the session agent: %s\n",
			strerror(-e));
	while (e == 0)
		e = step(&r);
	*ret_signalled = e == 2;
	if (e == -ENOTCONN)
		fprintf(stderr, "secretctl mcp-server: the session agent's broker ended before it "
				"was ready (its message is above); run 'secretctl unlock'\n");
	else if (e < 0)
		fprintf(stderr, "secretctl mcp-server: stopping: %s\n", strerror(-e));
	/* Closing the broker's socket ends its runs (their records are written). */
	if (r.broker.fd >= 0)
		close(r.broker.fd);
	(void)flush(&r.front);
	agent_conn_free(r.conn);
	if (r.sigfd >= 0)
		close(r.sigfd);
	buf_release(&r.front.b);
	buf_release(&r.broker.b);
	buf_release(&r.from_front);
	buf_release(&r.from_broker);
	free(r.inflight);
	return e < 0 ? 1 : 0;
}
