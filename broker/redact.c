/* SPDX-License-Identifier: Apache-2.0 */
/* broker: `secretctl redact`: a stream copied through a run's redaction set, with large reads,
 * gathered writes and an idle flush so that a progress line keeps updating. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>

#include "broker/broker-internal.h"

/* Large reads keep the per-call overhead small next to the scan; the output of one read goes out
 * in one writev. */
#define REDACT_READ_SIZE (256 * 1024)
#define REDACT_STAGE_SIZE (64 * 1024)
#define REDACT_IOV_MAX 512

/* Output gathered for one writev: large runs point into the read buffer (valid until the write),
 * small pieces and held bytes (which the stream may move) are copied into stage. */
struct rout {
	int fd;
	const unsigned char *in; /* the current read buffer */
	size_t in_len;
	struct iovec iov[REDACT_IOV_MAX];
	int niov;
	size_t stage_len;
	unsigned char stage[REDACT_STAGE_SIZE];
};

static int rout_flush(struct rout *o)
{
	int i = 0;
	while (i < o->niov) {
		ssize_t w = writev(o->fd, o->iov + i, o->niov - i);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		size_t done = (size_t)w;
		while (i < o->niov && done >= o->iov[i].iov_len)
			done -= o->iov[i++].iov_len;
		if (i < o->niov) {
			o->iov[i].iov_base = (char *)o->iov[i].iov_base + done;
			o->iov[i].iov_len -= done;
		}
	}
	/* Held bytes can be the start of a secret that was released by an idle flush: wipe. */
	explicit_bzero(o->stage, o->stage_len);
	o->niov = 0;
	o->stage_len = 0;
	return 0;
}

static int rout_emit(void *ctx, const void *buf, size_t len)
{
	struct rout *o = ctx;
	const unsigned char *p = buf;
	int r;
	bool stable = p >= o->in && p + len <= o->in + o->in_len;
	if (o->niov == REDACT_IOV_MAX || (!stable && len > sizeof(o->stage) - o->stage_len)) {
		if ((r = rout_flush(o)) < 0)
			return r;
	}
	if (!stable && len > sizeof(o->stage)) {
		/* Larger than the stage: write it now, nothing else is queued after the flush. */
		o->iov[0] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
		o->niov = 1;
		return rout_flush(o);
	}
	if (!stable) {
		memcpy(o->stage + o->stage_len, p, len);
		p = o->stage + o->stage_len;
		o->stage_len += len;
	}
	/* Extend the previous piece when contiguous (the common case for copied bytes). */
	if (o->niov > 0 &&
	    (const unsigned char *)o->iov[o->niov - 1].iov_base + o->iov[o->niov - 1].iov_len ==
		    p) {
		o->iov[o->niov - 1].iov_len += len;
		return 0;
	}
	o->iov[o->niov++] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
	return 0;
}

static int out_error(int r, struct reterr *err)
{
	if (r == -EPIPE)
		return 0; /* the reader left: nothing more to say, like cat(1) under SIGPIPE */
	return reterr_set(err, r, "writing the output failed: %s", strerror(-r));
}

/* Stream in_fd to the output. Waits SAN_IDLE_FLUSH_MS for more input while bytes are held, then
 * releases what cannot reveal anything, so a progress line keeps updating. */
struct chain {
	struct san_stream *st;
	struct rout *o;
};

/* The terminal filter's output into the redactor. */
static int to_redactor(void *ctx, const void *p, size_t n)
{
	const struct chain *c = ctx;
	return n ? san_feed(c->st, p, n, rout_emit, c->o) : 0;
}

/* stdin -> terminal filter (t, may be NULL) -> redactor -> out. */
static int filter(struct san_term *t, struct san_stream *st, int in_fd, unsigned char *ibuf,
		  struct rout *o, struct reterr *err)
{
	struct chain c = { st, o };
	int r;
	/* A bigger pipe buffer lets the writer run ahead and makes each read larger (fewer system
	 * calls per byte). Best effort: not a pipe, or above the system's limit, is fine. */
	(void)fcntl(in_fd, F_SETPIPE_SZ, REDACT_READ_SIZE * 4);
	/* Same on the way out: one read's output fits in the pipe, so a writev rarely waits for the
	 * reader downstream. */
	(void)fcntl(o->fd, F_SETPIPE_SZ, REDACT_READ_SIZE * 4);
	for (;;) {
		/* poll only when something is held: otherwise a blocking read waits just as well and
		 * saves a system call per read. */
		int pr = 1;
		if (san_stream_pending(st)) {
			struct pollfd pfd = { .fd = in_fd, .events = POLLIN };
			pr = poll(&pfd, 1, SAN_IDLE_FLUSH_MS);
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			return reterr_set(err, -errno, "poll on the input failed: %s",
					  strerror(errno));
		}
		if (pr == 0) {
			o->in = NULL;
			o->in_len = 0;
			if ((r = san_flush_idle(st, rout_emit, o)) < 0 || (r = rout_flush(o)) < 0)
				return out_error(r, err);
			continue;
		}
		ssize_t n = fd_read(in_fd, ibuf, REDACT_READ_SIZE);
		if (n < 0) {
			return reterr_set(err, (int)n, "reading the input failed: %s",
					  strerror((int)-n));
		}
		o->in = ibuf;
		o->in_len = (size_t)n;
		if (n == 0) {
			if ((t && (r = san_term_finish(t, to_redactor, &c)) < 0) ||
			    (r = san_finish(st, rout_emit, o)) < 0 || (r = rout_flush(o)) < 0)
				return out_error(r, err);
			return 0;
		}
		r = t ? san_term_feed(t, ibuf, (size_t)n, to_redactor, &c)
		      : san_feed(st, ibuf, (size_t)n, rout_emit, o);
		if (r < 0 || (r = rout_flush(o)) < 0)
			return out_error(r, err);
	}
}

int broker_redact_fd(struct broker_run *r, int in_fd, int out_fd, uint64_t **ret_counts,
		     struct reterr *err)
{
	struct san_stream *st = NULL;
	struct san_term *t = NULL;
	unsigned char *ibuf = NULL;
	struct rout *o = NULL;
	int e;

	if (!r->set)
		return reterr_set(err, -EINVAL, "internal error: redact without a redaction set");
	if (!r->compiled) {
		if ((e = san_set_compile(r->set)) < 0)
			return reterr_set(err, e, "cannot build the matcher: %s", strerror(-e));
		r->compiled = true;
	}
	st = san_stream_new(r->set);
	ibuf = malloc(REDACT_READ_SIZE);
	o = calloc(1, sizeof(*o));
	/* As for a run's output: clipboard writes always, the rest on a terminal. */
	if (!r->raw_terminal)
		t = san_term_new(isatty(out_fd) ? SAN_TERM_KEEP_COLOURS : SAN_TERM_OSC52);
	if (!st || !ibuf || !o || (!r->raw_terminal && !t)) {
		e = -ENOMEM;
		goto out;
	}
	o->fd = out_fd;
	e = filter(t, st, in_fd, ibuf, o, err);
	if (e == 0 && ret_counts) {
		size_t n = san_set_size(r->set);
		uint64_t *c = calloc(n ? n : 1, sizeof(*c));
		if (!c) {
			e = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			c[i] = san_stream_count(st, i);
		*ret_counts = c;
	}
out:
	if (ibuf) {
		/* The last read may hold a secret's raw bytes. */
		explicit_bzero(ibuf, REDACT_READ_SIZE);
		free(ibuf);
	}
	if (o) {
		explicit_bzero(o, sizeof(*o));
		free(o);
	}
	san_stream_free(st);
	san_term_free(t);
	return e;
}
