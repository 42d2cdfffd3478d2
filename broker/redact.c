/* SPDX-License-Identifier: Apache-2.0 */
/* broker: `secretctl redact`: a stream copied through a run's redaction set, read by a second
 * thread, written with gathered writes, and with an idle flush so that a progress line keeps
 * updating. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker-internal.h"

/* The output of one input slot (below) goes out in one writev. */
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

/* The input arrives through a ring of slots. A reader thread fills them from in_fd while the
 * calling thread filters the slots before it, so on a machine with a second CPU the copy out of
 * the input pipe and the scan run side by side (docs/sanitizer.md, "Pipes"). Without the thread
 * (it could not be started) the filtering thread reads each slot itself. Each slot is read in
 * one read(2); its length is published with the slot: bytes, 0 at end of input, or -errno. */
/* 16 slots of 32 KiB (512 KiB, inside either CPU's L2 cache): measured against 16 KiB x 32,
 * 64 KiB x 8 and x 16, 128 KiB x 4 and x 8, 256 KiB x 2 and x 4, it was as fast as the best
 * of them or faster. */
#define RING_SLOT (32 * 1024)
#define RING_SLOTS 16u
/* A filter that just consumed a full slot (the writer is ahead) spins this long for the next
 * before it sleeps: a sleeping thread on an idle CPU is woken by an inter-processor interrupt,
 * which on a VM costs tens of microseconds. Slow input (partial slots) never spins. */
#define RING_SPIN_NS (200 * 1000)

struct ring {
	int fd;
	bool threaded;
	unsigned char *buf; /* RING_SLOTS * RING_SLOT bytes */
	ssize_t len[RING_SLOTS];
	/* Slots filled (written by the reader) and released (by the filter), counting from 0;
	 * both are futex words. head - tail <= RING_SLOTS. */
	_Atomic uint32_t head, tail;
	_Atomic uint32_t head_waiter; /* the filter sleeps on head */
	_Atomic uint32_t tail_waiter; /* the reader sleeps on tail */
	_Atomic bool stop;	      /* the filter gave up: the reader ends */
	pthread_t thread;
};

static void futex_wake(_Atomic uint32_t *w)
{
	(void)syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Sleep while *w == v, at most until deadline (CLOCK_MONOTONIC; NULL: no limit). Returns early
 * on a wake-up, a signal or a changed word; the caller checks again. -ETIMEDOUT after the
 * deadline. */
static int futex_wait(_Atomic uint32_t *w, uint32_t v, const struct timespec *deadline)
{
	if (syscall(SYS_futex, w, FUTEX_WAIT_BITSET_PRIVATE, v, deadline, NULL,
		    FUTEX_BITSET_MATCH_ANY) < 0 &&
	    errno == ETIMEDOUT)
		return -ETIMEDOUT;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Read slot h from the input (the reader thread, or the filter without one). */
static void ring_fill(struct ring *g, uint32_t h)
{
	g->len[h % RING_SLOTS] =
		fd_read(g->fd, g->buf + (size_t)(h % RING_SLOTS) * RING_SLOT, RING_SLOT);
}

/* The reader thread. It runs with cancellation disabled except inside read(2), so that the
 * filter can end it while it waits for input that may never come (a terminal, a stalled
 * writer) and never anywhere else. When the ring is full it sleeps until half of it is free:
 * a filter slower than the input then wakes it once per half ring, not once per slot. */
static void *ring_reader(void *arg)
{
	struct ring *g = arg;
	uint32_t h = 0;
	(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		if (h - atomic_load(&g->tail) >= RING_SLOTS) {
			atomic_store(&g->tail_waiter, 1);
			for (;;) {
				uint32_t t = atomic_load(&g->tail);
				if (h - t <= RING_SLOTS / 2 || atomic_load(&g->stop))
					break;
				(void)futex_wait(&g->tail, t, NULL);
			}
			atomic_store(&g->tail_waiter, 0);
		}
		if (atomic_load(&g->stop))
			return NULL;
		(void)pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		ring_fill(g, h);
		(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		ssize_t n = g->len[h % RING_SLOTS];
		atomic_store(&g->head, ++h);
		if (atomic_load(&g->head_waiter))
			futex_wake(&g->head);
		if (n <= 0)
			return NULL;
	}
}

/* Wait for slot t. timeout_ms < 0: as long as it takes. Returns true when the slot is there,
 * false after timeout_ms without it. */
static bool ring_wait(struct ring *g, uint32_t t, bool spin, int timeout_ms)
{
	if (!g->threaded) {
		if (timeout_ms >= 0) {
			struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
			int pr;
			while ((pr = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
				;
			if (pr == 0)
				return false;
			/* (a poll error: the read reports it) */
		}
		ring_fill(g, t);
		atomic_store(&g->head, t + 1);
		return true;
	}
	if (atomic_load(&g->head) != t)
		return true;
	if (spin) {
		uint64_t until = mono_ns() + RING_SPIN_NS;
		do {
			for (int i = 0; i < 64; i++) {
				if (atomic_load_explicit(&g->head, memory_order_acquire) != t)
					return true;
				__builtin_ia32_pause();
			}
		} while (mono_ns() < until);
	}
	struct timespec dl, *dlp = NULL;
	if (timeout_ms >= 0) {
		uint64_t at = mono_ns() + (uint64_t)timeout_ms * 1000000u;
		dl = (struct timespec){ .tv_sec = (time_t)(at / 1000000000u),
					.tv_nsec = (long)(at % 1000000000u) };
		dlp = &dl;
	}
	/* The reader stores head before it reads head_waiter, this thread the other way round
	 * (both sequentially consistent): either the reader sees the waiter or this thread sees
	 * the new head, and a head stored before the sleep makes the sleep return at once. */
	atomic_store(&g->head_waiter, 1);
	bool got = true;
	while (atomic_load(&g->head) == t) {
		if (futex_wait(&g->head, t, dlp) == -ETIMEDOUT && atomic_load(&g->head) == t) {
			got = false;
			break;
		}
	}
	atomic_store(&g->head_waiter, 0);
	return got;
}

/* Slot t is consumed: the reader may fill it again. */
static void ring_release(struct ring *g, uint32_t t)
{
	atomic_store(&g->tail, t + 1);
	if (g->threaded && atomic_load(&g->tail_waiter) &&
	    atomic_load(&g->head) - (t + 1) <= RING_SLOTS / 2)
		futex_wake(&g->tail);
}

/* Start the reader thread, with every signal blocked in it (they keep going to the thread that
 * handled them before). g->threaded tells whether it started: if not, the filter reads by
 * itself. */
static void ring_start(struct ring *g)
{
	sigset_t all, old;
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return;
	g->threaded = pthread_create(&g->thread, NULL, ring_reader, g) == 0;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* End the reader: after the end of input it has returned already; otherwise (the filter gave
 * up) it is told to stop, woken if it waits for a free slot and cancelled if it waits in
 * read(2). */
static void ring_stop(struct ring *g)
{
	if (!g->threaded)
		return;
	atomic_store(&g->stop, true);
	futex_wake(&g->tail);
	uint32_t h = atomic_load(&g->head);
	if (h == 0 || g->len[(h - 1) % RING_SLOTS] > 0)
		(void)pthread_cancel(g->thread);
	(void)pthread_join(g->thread, NULL);
	g->threaded = false;
}

/* Stream the input to the output. Waits SAN_IDLE_FLUSH_MS for more input while bytes are
 * held, then releases what cannot reveal anything, so a progress line keeps updating. */
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

/* input slots -> terminal filter (t, may be NULL) -> redactor -> out. */
static int filter(struct san_term *t, struct san_stream *st, struct ring *g, struct rout *o,
		  struct reterr *err)
{
	struct chain c = { st, o };
	bool spin = false;
	int r;
	for (uint32_t s = 0;; s++) {
		while (!ring_wait(g, s, spin, san_stream_pending(st) ? SAN_IDLE_FLUSH_MS : -1)) {
			o->in = NULL;
			o->in_len = 0;
			if ((r = san_flush_idle(st, rout_emit, o)) < 0 || (r = rout_flush(o)) < 0)
				return out_error(r, err);
			spin = false;
		}
		unsigned char *in = g->buf + (size_t)(s % RING_SLOTS) * RING_SLOT;
		ssize_t n = g->len[s % RING_SLOTS];
		if (n < 0) {
			return reterr_set(err, (int)n, "reading the input failed: %s",
					  strerror((int)-n));
		}
		o->in = in;
		o->in_len = (size_t)n;
		if (n == 0) {
			if ((t && (r = san_term_finish(t, to_redactor, &c)) < 0) ||
			    (r = san_finish(st, rout_emit, o)) < 0 || (r = rout_flush(o)) < 0)
				return out_error(r, err);
			return 0;
		}
		r = t ? san_term_feed(t, in, (size_t)n, to_redactor, &c)
		      : san_feed(st, in, (size_t)n, rout_emit, o);
		if (r < 0 || (r = rout_flush(o)) < 0)
			return out_error(r, err);
		spin = n == RING_SLOT;
		ring_release(g, s);
	}
}

int broker_redact_fds(struct broker_run *r, int in_fd, int out_fd, bool threads,
		      uint64_t **ret_counts, struct reterr *err)
{
	struct san_stream *st = NULL;
	struct san_term *t = NULL;
	struct ring *g = NULL;
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
	g = calloc(1, sizeof(*g));
	o = calloc(1, sizeof(*o));
	/* As for a run's output: clipboard writes always, the rest on a terminal. */
	if (!r->raw_terminal)
		t = san_term_new(isatty(out_fd) ? SAN_TERM_KEEP_COLOURS : SAN_TERM_OSC52);
	if (!st || !g || !o || (!r->raw_terminal && !t) ||
	    !(g->buf = malloc((size_t)RING_SLOTS * RING_SLOT))) {
		e = -ENOMEM;
		goto out;
	}
	o->fd = out_fd;
	g->fd = in_fd;
	/* A bigger pipe buffer lets the writer run ahead of the reader. On the way out, one
	 * slot's output fits in the pipe, so a writev rarely waits for the reader downstream.
	 * Best effort: not a pipe, or above the system's limit, is fine. */
	(void)fcntl(in_fd, F_SETPIPE_SZ, RING_SLOTS * RING_SLOT);
	(void)fcntl(out_fd, F_SETPIPE_SZ, RING_SLOTS * RING_SLOT);
	if (threads)
		ring_start(g);
	e = filter(t, st, g, o, err);
	ring_stop(g);
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
	if (g) {
		/* The slots may hold a secret's raw bytes. */
		if (g->buf) {
			explicit_bzero(g->buf, (size_t)RING_SLOTS * RING_SLOT);
			free(g->buf);
		}
		free(g);
	}
	if (o) {
		explicit_bzero(o, sizeof(*o));
		free(o);
	}
	san_stream_free(st);
	san_term_free(t);
	return e;
}

int broker_redact_fd(struct broker_run *r, int in_fd, int out_fd, uint64_t **ret_counts,
		     struct reterr *err)
{
	return broker_redact_fds(r, in_fd, out_fd, true, ret_counts, err);
}
