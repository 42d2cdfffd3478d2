/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: the caller's side of the output: what the sinks made of the command's output is
 * queued per destination and written without ever blocking, so a slow or stopped reader (a
 * pager, Ctrl-S, a slow log shipper) cannot hold up the deadline, a cancel or a signal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor/supervisor-internal.h"

/* A description of our own with O_NONBLOCK for the caller's fd, so that setting the flag does
 * not reach the file description the caller shares with its shell (a terminal's stdin and
 * stdout are usually one description: non-blocking there would break the shell's reads).
 * Pipes and terminals are reopened through /proc/self/fd; sockets use MSG_DONTWAIT; regular
 * files and other devices never wait for a reader and are written as they are. */
static int open_dest(struct sup_outq *q, int fd)
{
	struct stat st;
	char path[32];
	q->fd = fd;
	if (fstat(fd, &st) < 0) {
		/* A closed descriptor: as a reader that has gone. */
		if (errno != EBADF)
			return -errno;
		q->dead = true;
		return 0;
	}
	if (S_ISSOCK(st.st_mode)) {
		q->sock = true;
		return 0;
	}
	if (!S_ISFIFO(st.st_mode) && !(S_ISCHR(st.st_mode) && isatty(fd)))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd >= 0) {
		q->fd = nfd;
		q->own = true;
	} else if (errno == ENXIO) {
		/* A FIFO without a reader: its reader already left. */
		q->dead = true;
	}
	/* Otherwise (no /proc here, say) the caller's own description is used as it is. */
	return 0;
}

int sup_out_open(struct sup_out *io, const int out_fd[3])
{
	struct stat a, b;
	memset(io, 0, sizeof(*io));
	for (int s = SUP_STDOUT; s <= SUP_STDERR; s++) {
		io->store[s].fd = -1;
		buf_init(&io->store[s].q);
	}
	for (int s = SUP_STDOUT; s <= SUP_STDERR; s++) {
		if (out_fd[s] <= 0)
			continue;
		/* stdout and stderr to one place (a terminal, `2>&1`) share one queue, so their
		 * bytes arrive in the order they were made. */
		if (s == SUP_STDERR && io->o[SUP_STDOUT] && fstat(out_fd[SUP_STDOUT], &a) == 0 &&
		    fstat(out_fd[SUP_STDERR], &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			io->o[s] = io->o[SUP_STDOUT];
			continue;
		}
		int e = open_dest(&io->store[s], out_fd[s]);
		if (e < 0)
			return e;
		io->o[s] = &io->store[s];
	}
	return 0;
}

void sup_out_close(struct sup_out *io)
{
	for (int s = SUP_STDOUT; s <= SUP_STDERR; s++) {
		struct sup_outq *q = &io->store[s];
		if (q->own && q->fd >= 0)
			close(q->fd);
		/* Output is redacted, but a held partial match may be in there: wipe. */
		if (q->q.data)
			explicit_bzero(q->q.data, q->q.cap);
		buf_release(&q->q);
		q->fd = -1;
	}
}

static void discard(struct sup_outq *q)
{
	if (q->q.data)
		explicit_bzero(q->q.data, q->q.len);
	buf_reset(&q->q);
	q->off = 0;
}

int sup_out_flush(struct sup_out *io, enum sup_stream s)
{
	struct sup_outq *q = io->o[s];
	if (!q || q->dead)
		return q && q->dead ? -EPIPE : 0;
	while (q->off < q->q.len) {
		const char *p = q->q.data + q->off;
		size_t n = q->q.len - q->off;
		ssize_t w = q->sock ? send(q->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL)
				    : write(q->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			/* EPIPE, or an error that means the same for us: nothing more goes there,
			 * and nothing is written after it. */
			q->dead = true;
			discard(q);
			return -EPIPE;
		}
		q->off += (size_t)w;
	}
	discard(q);
	return 0;
}

int sup_out_emit(struct sup_out *io, enum sup_stream s, const void *p, size_t n)
{
	struct sup_outq *q = io && (s == SUP_STDOUT || s == SUP_STDERR) ? io->o[s] : NULL;
	if (!q)
		return -EINVAL;
	if (q->dead)
		return -EPIPE;
	if (!n)
		return 0;
	/* The queue is bounded by the supervisor reading no more of the command's output while it
	 * is over SUP_QUEUE_HIGH; what one read makes of a chunk is what it can grow by. */
	if (buf_append(&q->q, p, n) < 0)
		return -ENOMEM;
	return sup_out_flush(io, s);
}

size_t sup_out_pending(const struct sup_out *io, enum sup_stream s)
{
	const struct sup_outq *q = io->o[s];
	return q && !q->dead ? q->q.len - q->off : 0;
}

bool sup_out_dead(const struct sup_out *io, enum sup_stream s)
{
	return io->o[s] && io->o[s]->dead;
}

int sup_out_pollfd(const struct sup_out *io, enum sup_stream s)
{
	/* Only the first stream of a shared queue polls for it. */
	if (s == SUP_STDERR && io->o[SUP_STDERR] == io->o[SUP_STDOUT])
		return -1;
	return sup_out_pending(io, s) ? io->o[s]->fd : -1;
}
