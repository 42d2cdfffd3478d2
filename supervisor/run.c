/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: the parent side of a run: prepare pipes/PTY and the filter, clone into the
 * namespaces, then one poll loop over output, stdin, the child's pidfd, a signalfd and the
 * deadline, until the command's whole tree is gone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include <sodium.h>

#include "supervisor/supervisor-internal.h"

#define IO_CHUNK (1024 * 1024) /* = the pipe size: one read empties a full pipe */
#define STDIN_BUF (64 * 1024)
#define PIPE_SIZE (1024 * 1024) /* fewer wake-ups for bulk output; silently kept if refused */
#define OUT_BURST 8		/* full reads in a row before the next poll (8 MiB) */

enum { S_SIG, S_PID, S_REPORT, S_STATUS, S_OUT, S_ERR, S_IN_SRC, S_IN_DST, S_CANCEL, S_N };

struct run {
	struct sup_spec *spec;
	const struct sup_sinks *sinks;
	struct sup_result *res;
	bool sandbox;
	pid_t pid;
	int pidfd;
	int fds[S_N];
	int pty_master;
	int pty_sock; /* PTY mode in a sandbox: the child sends the master here */
	unsigned char *iobuf;
	unsigned char *inbuf;
	size_t in_len, in_off;
	bool in_eof;
	bool reaped;
	bool have_status;
	int status;
	bool exec_done;
	int64_t start, deadline, kill_at, last_out;
	bool term_sent, kill_sent, idle_armed;
	bool abandon; /* the tree is gone and we were told to stop: queued output is dropped */
	int go_w;     /* the go pipe's write end: run_handshake releases the child with one byte */
	enum sup_nproc_bound bound; /* how the tree's process count is bounded ... */
	uint64_t nproc;		    /* ... and to how many (prepare_limits) */
	char cgroup[128];
	struct sup_out io;
	/* The caller's signal state while we run (prepare_signals; signals_restore). */
	bool sigs_blocked, pipe_ignored;
	sigset_t old_mask;
	struct sigaction old_pipe;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void wipe_env(struct sup_spec *spec)
{
	/* The child has executed (or failed): the plaintext is not needed any more. */
	spec->env = secret_free(spec->env);
	spec->nenv = 0;
}

static void send_tree(struct run *r, int sig)
{
	if (r->reaped)
		return;
	if (r->sandbox)
		(void)syscall(SYS_pidfd_send_signal, r->pidfd, sig, NULL, 0);
	else
		(void)kill(-r->pid, sig); /* the command leads its own process group */
}

static void kill_tree(struct run *r)
{
	if (r->reaped)
		return;
	send_tree(r, SIGCONT);
	if (r->sandbox) /* the init's death kills every process of its pid namespace */
		(void)syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
	else {
		(void)kill(-r->pid, SIGKILL);
		(void)syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
	}
	r->kill_sent = true;
}

static int rl_value(int res, uint64_t want, struct rlimit *ret)
{
	struct rlimit cur;
	if (getrlimit(res, &cur) < 0)
		return -errno;
	rlim_t v = want ? (rlim_t)want : cur.rlim_cur;
	/* We cannot raise a hard limit (even root here lacks CAP_SYS_RESOURCE): clamp to it. */
	if (cur.rlim_max != RLIM_INFINITY && (v == RLIM_INFINITY || v > cur.rlim_max))
		v = cur.rlim_max;
	ret->rlim_cur = ret->rlim_max = v;
	return 0;
}

#define SUP_PIDS_CGROUP_ROOT "/sys/fs/cgroup/pids"
#define SUP_PID_MAX_LIMIT 4194304 /* PID_MAX_LIMIT on 64-bit */

static bool kernel_at_least_6_14(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return false;
	char *end;
	errno = 0;
	unsigned long major = strtoul(u.release, &end, 10);
	if (errno || end == u.release || *end != '.')
		return false;
	const char *p = end + 1;
	unsigned long minor = strtoul(p, &end, 10);
	if (errno || end == p)
		return false;
	return major > 6 || (major == 6 && minor >= 14);
}

bool sup_pidns_pid_max(void)
{
	/* Decided by version, not by trying: on an older kernel pid_max is global, and writing it
	 * from a child pid namespace would change the whole machine's limit. Asked once. */
	static int known = -1;
	if (known < 0)
		known = kernel_at_least_6_14();
	return known;
}

enum sup_nproc_bound sup_nproc_bound(uint64_t limit)
{
	if (geteuid() != 0)
		return SUP_NPROC_RLIMIT;
	if (limit >= SUP_PID_MAX_MIN && sup_pidns_pid_max())
		return SUP_NPROC_PIDMAX;
	/* A writable directory is not enough: without /sys mounted, a plain directory at that path
	 * would accept mkdir and "pids.max" files and bound nothing. */
	struct statfs fs;
	if (statfs(SUP_PIDS_CGROUP_ROOT, &fs) < 0 || fs.f_type != CGROUP_SUPER_MAGIC)
		return SUP_NPROC_NONE;
	return access(SUP_PIDS_CGROUP_ROOT, W_OK) == 0 ? SUP_NPROC_CGROUP : SUP_NPROC_NONE;
}

int sup_nproc_check(uint64_t limit, bool required, struct reterr *err)
{
	if (sup_nproc_bound(limit) != SUP_NPROC_NONE)
		return 0;
	/* RLIMIT_NPROC does not bind uid 0; pid_max (>= 300) or a pids cgroup must. */
	if (required)
		return reterr_set(
			err, -EPERM,
			"cannot enforce a limit of %llu processes: running as root, and "
			"neither a per-namespace pid_max (Linux >= 6.14, limits of %d or more) "
			"nor a writable pids cgroup at %s is available (RLIMIT_NPROC does not "
			"apply to root)",
			(unsigned long long)limit, SUP_PID_MAX_MIN, SUP_PIDS_CGROUP_ROOT);
	reterr_set(err, 1,
		   "running as root without a process bound (no per-namespace pid_max, no pids "
		   "cgroup): the command's process count is NOT bounded (only the timeout ends a "
		   "fork bomb); see 'secretctl doctor'");
	return 1;
}

/* The pathname unix sockets bound in our network namespace, from /proc/net/unix ("Num RefCount
 * Protocol Flags Type St Inode Path": the path is the rest of the line), minus the allowed
 * ones and duplicates. Abstract sockets ("@...") are Landlock's and the network namespace's. */
static int host_sockets(char *const *allowed, char ***ret, struct reterr *err)
{
	AUTO_BUF struct buf b = BUF_INIT;
	AUTO_CLOSE int fd = open("/proc/net/unix", O_RDONLY | O_CLOEXEC);
	char **v = NULL;
	size_t n = 0;
	int e;
	if (fd < 0)
		return reterr_set(err, -errno, "/proc/net/unix: %s", strerror(errno));
	/* 16 MiB: well over SUP_SOCKETS_MAX lines of at most ~150 bytes. */
	if ((e = fd_read_all(fd, 16u << 20, &b)) < 0)
		return reterr_set(err, e, "/proc/net/unix: %s", strerror(-e));
	char *line = b.data, *end = b.data + b.len;
	while (line && line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		if (nl)
			*nl = '\0';
		/* Skip seven fields; the path is the rest (it may hold spaces). */
		char *p = line;
		for (int f = 0; f < 7 && p; f++) {
			p += strspn(p, " ");
			p = strchr(p, ' ');
		}
		if (p && *(p += strspn(p, " ")) == '/') {
			bool skip = false;
			for (size_t i = 0; allowed && allowed[i] && !skip; i++)
				skip = !strcmp(allowed[i], p);
			for (size_t i = 0; i < n && !skip; i++)
				skip = !strcmp(v[i], p);
			if (!skip) {
				if (n >= SUP_SOCKETS_MAX) {
					strv_free(v);
					return reterr_set(err, -E2BIG,
							  "more than %d unix sockets on this host",
							  SUP_SOCKETS_MAX);
				}
				if (strv_push(&v, p) < 0) {
					strv_free(v);
					return reterr_set(err, -ENOMEM, "out of memory");
				}
				n++;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	*ret = v;
	return 0;
}

/* root, when sup_nproc_bound chose it: a pids cgroup (v1 controller) bounds the tree, since
 * RLIMIT_NPROC does not apply to uid 0. Best effort: without it the run still has its timeout. */
static void cgroup_create(struct run *r, uint64_t max)
{
	static unsigned seq;
	char path[192];
	r->cgroup[0] = '\0';
	int n = snprintf(r->cgroup, sizeof(r->cgroup), SUP_PIDS_CGROUP_ROOT "/secretctl.%d.%u",
			 (int)getpid(), seq++);
	if (n < 0 || (size_t)n >= sizeof(r->cgroup) || mkdir(r->cgroup, 0700) < 0) {
		r->cgroup[0] = '\0';
		return;
	}
	n = snprintf(path, sizeof(path), "%s/pids.max", r->cgroup);
	char val[32];
	int vn = snprintf(val, sizeof(val), "%llu", (unsigned long long)max);
	int fd = n > 0 && (size_t)n < sizeof(path) ? open(path, O_WRONLY | O_CLOEXEC) : -1;
	if (fd < 0 || vn <= 0 || write(fd, val, (size_t)vn) != vn) {
		if (fd >= 0)
			close(fd);
		rmdir(r->cgroup);
		r->cgroup[0] = '\0';
		return;
	}
	close(fd);
}

static bool cgroup_attach(struct run *r)
{
	char path[192], val[32];
	int n = snprintf(path, sizeof(path), "%s/cgroup.procs", r->cgroup);
	int vn = snprintf(val, sizeof(val), "%d", (int)r->pid);
	if (n < 0 || (size_t)n >= sizeof(path) || vn <= 0)
		return false;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = write(fd, val, (size_t)vn) == vn;
	close(fd);
	return ok;
}

static void cgroup_remove(struct run *r)
{
	if (r->cgroup[0])
		(void)rmdir(r->cgroup);
}

static void read_report(struct run *r)
{
	struct sup_report rep;
	ssize_t n = fd_read(r->fds[S_REPORT], &rep, sizeof(rep));
	if (n == (ssize_t)sizeof(rep) && !r->res->failed) {
		r->res->failed = true;
		r->res->stage = rep.stage > SUP_ST_NONE && rep.stage < SUP_ST_COUNT
					? (enum sup_stage)rep.stage
					: SUP_ST_PARENT;
		r->res->stage_errno = rep.err;
		return; /* EOF follows */
	}
	if (n <= 0) {
		close_fd(&r->fds[S_REPORT]);
		r->exec_done = true;
		wipe_env(r->spec);
	}
}

static void read_status(struct run *r)
{
	int32_t v;
	ssize_t n = fd_read(r->fds[S_STATUS], &v, sizeof(v));
	if (n == (ssize_t)sizeof(v)) {
		r->have_status = true;
		r->status = v;
	}
	close_fd(&r->fds[S_STATUS]);
}

static void reap(struct run *r)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)r->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	r->reaped = true;
	if (!r->sandbox) {
		r->have_status = true;
		r->status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status;
	}
	/* The init's status pipe may still hold the command's status. */
	if (r->fds[S_STATUS] >= 0)
		read_status(r);
	r->fds[S_PID] = -1; /* the pidfd itself stays open until the end (r->pidfd) */
}

/* Our copies of the descriptors only the child uses (closed once it has its own). */
static void close_child_ends(struct sup_child *c)
{
	close_fd(&c->report_w);
	close_fd(&c->status_w);
	close_fd(&c->go_r);
	close_fd(&c->in_r);
	close_fd(&c->out_w);
	close_fd(&c->err_w);
	close_fd(&c->pty_slave);
	close_fd(&c->pty_sock);
}

/* Error paths: take the tree down and wait for it, so nothing outlives us even then. */
static void kill_and_wait(struct run *r)
{
	kill_tree(r);
	while (!r->reaped && r->pidfd >= 0) {
		struct pollfd pf = { r->pidfd, POLLIN, 0 };
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			break;
		reap(r);
	}
}

/* Our reader of stream s left (EPIPE): stop reading it, so that the command meets EPIPE or
 * SIGPIPE on its next write, as in a pipeline (a PTY: the terminal hangs up, SIGHUP, as when a
 * terminal window closes). The sink is told the stream ended and writes nothing more. */
static void stream_gone(struct run *r, int slot, enum sup_stream s)
{
	if (r->fds[slot] < 0)
		return;
	if (r->fds[slot] == r->pty_master) {
		if (r->fds[S_IN_DST] == r->pty_master)
			r->fds[S_IN_DST] = -1;
		r->pty_master = -1;
	}
	close_fd(&r->fds[slot]);
	if (r->sinks && r->sinks->out)
		(void)r->sinks->out(r->sinks->ctx, &r->io, s, NULL, 0);
}

/* After a write to the caller failed: every stream whose destination died goes too. */
static void gone_streams(struct run *r)
{
	if (sup_out_dead(&r->io, SUP_STDOUT))
		stream_gone(r, S_OUT, SUP_STDOUT);
	if (sup_out_dead(&r->io, SUP_STDERR))
		stream_gone(r, S_ERR, SUP_STDERR);
}

/* Hand one chunk of output to the sink, honouring the per-stream cap. */
static int deliver(struct run *r, int slot, enum sup_stream s, const unsigned char *p, size_t n)
{
	uint64_t cap = r->spec->opts.max_output;
	uint64_t before = r->res->bytes[s];
	r->res->bytes[s] += n;
	if (cap) {
		if (before >= cap) {
			r->res->truncated[s] = true;
			return 0;
		}
		if (before + n > cap) {
			n = (size_t)(cap - before);
			r->res->truncated[s] = true;
		}
	}
	if (!r->sinks || !r->sinks->out)
		return 0;
	int e = r->sinks->out(r->sinks->ctx, &r->io, s, p, n);
	if (e == -EPIPE) {
		stream_gone(r, slot, s);
		return 0;
	}
	return e;
}

static int read_output(struct run *r, int slot, enum sup_stream s)
{
	ssize_t n = fd_read(r->fds[slot], r->iobuf, IO_CHUNK);
	if (n == -EAGAIN)
		return 1; /* drained */
	if (n <= 0) {	  /* EOF, or EIO from a PTY master once every slave is closed */
		if (r->fds[slot] == r->pty_master) {
			/* Stop reading, but keep the master open until the tree is gone: closing it
			 * hangs the terminal up, and the kernel then sends SIGHUP to the command's
			 * session, which may still be alive (a command that closes 0/1/2 itself
			 * before it exits, as coreutils do, or one that keeps running without a
			 * terminal). run_teardown closes it after the reap. */
			r->fds[slot] = -1;
		} else {
			close_fd(&r->fds[slot]);
		}
		if (r->sinks && r->sinks->out) {
			int e = r->sinks->out(r->sinks->ctx, &r->io, s, NULL, 0);
			return e == -EPIPE ? 0 : e;
		}
		return 0;
	}
	r->last_out = now_ms();
	r->idle_armed = true;
	int e = deliver(r, slot, s, r->iobuf, (size_t)n);
	if (e < 0)
		return e;
	return (size_t)n < IO_CHUNK ? 1 : 0;
}

/* The caller's reader is behind on stream s: read no more of it until it catches up (the
 * command then waits in its own write, with its pipe full). */
static bool backlogged(const struct run *r, enum sup_stream s)
{
	return sup_out_pending(&r->io, s) > SUP_QUEUE_HIGH;
}

/* While output is flowing (every read fills the buffer) read on without a poll() per chunk; a
 * bounded number of times, so timers, signals and the other stream still get their turn. */
static int drain_output(struct run *r, int slot, enum sup_stream s)
{
	for (int i = 0; i < OUT_BURST && r->fds[slot] >= 0 && !backlogged(r, s); i++) {
		int e = read_output(r, slot, s);
		if (e != 0)
			return e < 0 ? e : 0;
	}
	return 0;
}

static void stdin_done(struct run *r)
{
	/* Our stdin ended: a pipe gets EOF by closing; a PTY gets its EOF character. */
	if (r->pty_master >= 0) {
		struct termios t;
		unsigned char eof = 4;
		if (tcgetattr(r->pty_master, &t) == 0 && t.c_cc[VEOF])
			eof = t.c_cc[VEOF];
		ssize_t w = write(r->pty_master, &eof, 1);
		(void)w;
		r->fds[S_IN_DST] = -1;
	} else {
		close_fd(&r->fds[S_IN_DST]);
	}
}

static void pump_stdin(struct run *r, short src_ev, short dst_ev)
{
	if ((src_ev & (POLLIN | POLLHUP | POLLERR)) && r->in_len == 0) {
		ssize_t n = fd_read(r->fds[S_IN_SRC], r->inbuf, STDIN_BUF);
		if (n > 0) {
			r->in_len = (size_t)n;
			r->in_off = 0;
			r->res->bytes[SUP_STDIN] += (uint64_t)n;
		} else if (n != -EAGAIN) {
			r->fds[S_IN_SRC] = -1; /* borrowed fd: never closed here */
			r->in_eof = true;
		}
	}
	if (r->in_len > 0 && (dst_ev & (POLLOUT | POLLERR | POLLHUP)) && r->fds[S_IN_DST] >= 0) {
		ssize_t n = write(r->fds[S_IN_DST], r->inbuf + r->in_off, r->in_len);
		if (n > 0) {
			r->in_off += (size_t)n;
			r->in_len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			/* The child closed its stdin: stop forwarding, keep running. */
			r->in_len = 0;
			r->fds[S_IN_SRC] = -1;
			if (r->pty_master < 0)
				close_fd(&r->fds[S_IN_DST]);
			else
				r->fds[S_IN_DST] = -1;
		}
	}
	if (r->in_eof && r->in_len == 0 && r->fds[S_IN_DST] >= 0)
		stdin_done(r);
}

static void on_signal(struct run *r)
{
	struct signalfd_siginfo si;
	while (read(r->fds[S_SIG], &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGWINCH) {
			struct winsize ws;
			if (r->pty_master >= 0 && r->spec->opts.stdin_fd >= 0 &&
			    ioctl(r->spec->opts.stdin_fd, TIOCGWINSZ, &ws) == 0)
				(void)ioctl(r->pty_master, TIOCSWINSZ, &ws);
			continue;
		}
		if (r->reaped) {
			/* Nothing left to forward to: only queued output keeps us, and we were
			 * asked to stop. */
			r->abandon = true;
			continue;
		}
		send_tree(r, sig);
	}
}

/* One output channel: the child writes *ret_w; our read end *ret_r is large and never blocks
 * (drain_output reads until EAGAIN). */
static int output_pipe(int *ret_r, int *ret_w, struct reterr *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return reterr_set(err, -errno, "pipe: %s", strerror(errno));
	*ret_r = p[0];
	*ret_w = p[1];
	(void)fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE);
	return fcntl(p[0], F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
}

/* PTY mode in a sandbox: take the master the child made (make_pty in child.c). EOF means the
 * child failed first; its report says where. */
static int recv_pty(struct run *r, struct reterr *err)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = fd_recvmsg(r->pty_sock, &msg, MSG_CMSG_CLOEXEC);
	close_fd(&r->pty_sock);
	if (n < 0)
		return reterr_set(err, (int)n, "receiving the terminal: %s", strerror((int)-n));
	if (n == 0)
		return 0;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int m = -1;
	if (n != 1 || (msg.msg_flags & MSG_CTRUNC) || !cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return reterr_set(err, -EPROTO, "receiving the terminal: malformed message");
	memcpy(&m, CMSG_DATA(cm), sizeof(int));
	r->pty_master = r->fds[S_OUT] = m;
	if (r->spec->opts.stdin_fd >= 0) {
		r->fds[S_IN_SRC] = r->spec->opts.stdin_fd;
		r->fds[S_IN_DST] = m;
	}
	return fcntl(m, F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
}

static int make_stdio(struct run *r, struct sup_child *c, struct reterr *err)
{
	int rc;
	const struct sup_opts *o = &r->spec->opts;
	int p[2];
	c->in_r = c->out_w = c->err_w = c->pty_slave = c->pty_sock = -1;
	if (o->io == SUP_IO_PTY && (c->prot & SUP_PROT_DEV)) {
		/* The child makes the terminal in the sandbox's own devpts and sends us the master
		 * (recv_pty); it starts like ours (modes and size) when we have one. */
		int sp[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			return reterr_set(err, -errno, "socketpair: %s", strerror(errno));
		r->pty_sock = sp[0];
		c->pty_sock = sp[1];
		c->pty_tio_set = o->stdin_fd >= 0 && tcgetattr(o->stdin_fd, &c->pty_tio) == 0;
		c->pty_ws_set = o->stdin_fd >= 0 && ioctl(o->stdin_fd, TIOCGWINSZ, &c->pty_ws) == 0;
		return 0;
	}
	if (o->io == SUP_IO_PTY) {
		int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		char name[128];
		if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 ||
		    ptsname_r(m, name, sizeof(name))) {
			int e = errno;
			if (m >= 0)
				close(m);
			return reterr_set(err, -e, "cannot allocate a pseudo-terminal: %s",
					  strerror(e));
		}
		r->pty_master = r->fds[S_OUT] = m;
		c->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (c->pty_slave < 0)
			return reterr_set(err, -errno, "cannot open %s: %s", name, strerror(errno));
		/* The child's terminal starts like ours (modes and size) when we have one. */
		struct termios t;
		struct winsize ws;
		if (o->stdin_fd >= 0 && tcgetattr(o->stdin_fd, &t) == 0)
			(void)tcsetattr(c->pty_slave, TCSANOW, &t);
		if (o->stdin_fd >= 0 && ioctl(o->stdin_fd, TIOCGWINSZ, &ws) == 0)
			(void)ioctl(c->pty_slave, TIOCSWINSZ, &ws);
		if (o->stdin_fd >= 0) {
			r->fds[S_IN_SRC] = o->stdin_fd;
			r->fds[S_IN_DST] = m;
		}
		return fcntl(m, F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
	}
	if ((rc = output_pipe(&r->fds[S_OUT], &c->out_w, err)) < 0 ||
	    (rc = output_pipe(&r->fds[S_ERR], &c->err_w, err)) < 0)
		return rc;
	if (o->stdin_fd >= 0) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return reterr_set(err, -errno, "pipe: %s", strerror(errno));
		c->in_r = p[0];
		r->fds[S_IN_DST] = p[1];
		r->fds[S_IN_SRC] = o->stdin_fd;
		/* A child that stops reading must not block us: the write side never blocks. */
		if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0)
			return -errno;
	} else {
		c->in_r = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (c->in_r < 0)
			return reterr_set(err, -errno, "/dev/null: %s", strerror(errno));
	}
	return 0;
}

static void fill_result(struct run *r)
{
	struct sup_result *res = r->res;
	res->duration_ms = now_ms() - r->start;
	if (r->spec->probe && !res->failed) {
		res->exited = true; /* the probe child stops after its last setup stage */
		return;
	}
	if (res->failed || !r->have_status) {
		if (!res->failed && !res->timed_out) {
			/* The init died without a status: it was killed from outside. */
			res->signal = SIGKILL;
		}
		return;
	}
	if (WIFEXITED(r->status)) {
		res->exited = true;
		res->exit_code = WEXITSTATUS(r->status);
	} else if (WIFSIGNALED(r->status)) {
		res->signal = WTERMSIG(r->status);
	}
}

static int tick(struct run *r)
{
	const struct sup_opts *o = &r->spec->opts;
	int64_t now = now_ms();
	if (r->deadline && !r->term_sent && now >= r->deadline) {
		r->res->timed_out = true;
		r->term_sent = true;
		r->kill_at = now + o->grace_ms;
		send_tree(r, SIGTERM);
	} else if (r->term_sent && !r->kill_sent && now >= r->kill_at) {
		kill_tree(r);
	}
	if (o->idle_ms && r->idle_armed && now - r->last_out >= o->idle_ms) {
		r->idle_armed = false;
		if (r->sinks && r->sinks->idle) {
			int e = r->sinks->idle(r->sinks->ctx, &r->io);
			gone_streams(r);
			return e == -EPIPE ? 0 : e;
		}
	}
	return 0;
}

static int poll_wait(const struct run *r)
{
	const struct sup_opts *o = &r->spec->opts;
	int64_t now = now_ms(), wait = INT64_MAX;
	/* Once the tree is gone, whatever is still buffered is read without waiting: a leftover
	 * writer outside a pid namespace (profile off) must not hold us. Unless the caller's reader
	 * is behind: then we wait for it (or a signal), as the last stage of a pipeline would. */
	if (r->reaped)
		return backlogged(r, SUP_STDOUT) || backlogged(r, SUP_STDERR) ? -1 : 0;
	if (r->deadline && !r->term_sent)
		wait = r->deadline - now;
	else if (r->term_sent && !r->kill_sent)
		wait = r->kill_at - now;
	if (o->idle_ms && r->idle_armed && r->last_out + o->idle_ms - now < wait)
		wait = r->last_out + o->idle_ms - now;
	if (wait == INT64_MAX)
		return -1;
	if (wait < 0)
		return 0;
	return wait > INT32_MAX ? INT32_MAX : (int)wait;
}

/* The caller's destinations with output waiting: polled for POLLOUT after the S_N slots. */
enum { D_OUT = S_N, D_ERR, P_N };

static int loop(struct run *r)
{
	for (;;) {
		bool outputs = r->fds[S_OUT] >= 0 || r->fds[S_ERR] >= 0;
		if (r->abandon || (r->reaped && r->fds[S_REPORT] < 0 && !outputs))
			return 0;
		struct pollfd pfd[P_N];
		for (int i = 0; i < S_N; i++) {
			pfd[i].fd = r->fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		/* stdin: read only when the buffer is empty, write only when it holds data. */
		if (r->in_len > 0)
			pfd[S_IN_SRC].fd = -1;
		else
			pfd[S_IN_DST].fd = -1;
		pfd[S_IN_DST].events = POLLOUT;
		/* A stream whose reader is behind is not read: it waits in the command's pipe. */
		if (backlogged(r, SUP_STDOUT))
			pfd[S_OUT].fd = -1;
		if (backlogged(r, SUP_STDERR))
			pfd[S_ERR].fd = -1;
		pfd[D_OUT] = (struct pollfd){ .fd = sup_out_pollfd(&r->io, SUP_STDOUT),
					      .events = POLLOUT };
		pfd[D_ERR] = (struct pollfd){ .fd = sup_out_pollfd(&r->io, SUP_STDERR),
					      .events = POLLOUT };
		int n = poll(pfd, P_N, poll_wait(r));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0 && r->reaped) {
			/* The tree is gone: nothing more can arrive. The master (if any) is closed
			 * by run_teardown. */
			if (r->fds[S_OUT] == r->pty_master)
				r->fds[S_OUT] = -1;
			close_fd(&r->fds[S_OUT]);
			close_fd(&r->fds[S_ERR]);
			close_fd(&r->fds[S_REPORT]);
			continue;
		}
		/* Timers run on every pass: a command that never stops printing keeps poll busy. */
		int e = tick(r);
		if (e < 0)
			return e;
		if (n == 0)
			continue;
		if (pfd[S_SIG].revents)
			on_signal(r);
		if (pfd[S_CANCEL].revents) {
			/* The caller gave up on this run (an MCP cancel, its client gone): no grace
			 * period, the whole tree goes now. Output still buffered is read below. */
			r->fds[S_CANCEL] = -1; /* borrowed */
			r->res->cancelled = true;
			kill_tree(r);
		}
		if (pfd[S_REPORT].revents)
			read_report(r);
		if (pfd[S_STATUS].revents)
			read_status(r);
		if (pfd[D_OUT].revents)
			(void)sup_out_flush(&r->io, SUP_STDOUT);
		if (pfd[D_ERR].revents)
			(void)sup_out_flush(&r->io, SUP_STDERR);
		gone_streams(r);
		for (int slot = S_OUT; slot <= S_ERR; slot++) {
			if (pfd[slot].revents && r->fds[slot] >= 0) {
				e = drain_output(r, slot, slot == S_OUT ? SUP_STDOUT : SUP_STDERR);
				if (e < 0)
					return e;
			}
		}
		gone_streams(r);
		if (pfd[S_IN_SRC].revents || pfd[S_IN_DST].revents)
			pump_stdin(r, pfd[S_IN_SRC].revents, pfd[S_IN_DST].revents);
		if (pfd[S_PID].revents)
			reap(r);
	}
}

/* The tree is gone and every byte read: deliver what is still queued, waiting for the reader as
 * the last stage of a pipeline does, unless a signal tells us to stop. */
static void drain_queues(struct run *r)
{
	while (!r->abandon &&
	       (sup_out_pending(&r->io, SUP_STDOUT) || sup_out_pending(&r->io, SUP_STDERR))) {
		struct pollfd pfd[3] = {
			{ .fd = sup_out_pollfd(&r->io, SUP_STDOUT), .events = POLLOUT },
			{ .fd = sup_out_pollfd(&r->io, SUP_STDERR), .events = POLLOUT },
			{ .fd = r->fds[S_SIG], .events = POLLIN },
		};
		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			return;
		if (pfd[2].revents)
			on_signal(r);
		if (pfd[0].revents)
			(void)sup_out_flush(&r->io, SUP_STDOUT);
		if (pfd[1].revents)
			(void)sup_out_flush(&r->io, SUP_STDERR);
	}
}

/* ---- the phases of a run, in order ------------------------------------------------------- */

/* A setup step of our own failed (errno says why). */
static int setup_failed(struct reterr *err)
{
	return reterr_set(err, -errno, "supervisor setup: %s", strerror(errno));
}

/* Prepare, 1: what the child sets up, decided here so that it does no allocation-heavy work:
 * protections, identity, the host sockets to cover, $HOME, the environment's pointers, the
 * filter. No descriptor; c->cover_sockets and c->envp are freed by run_teardown. */
static int prepare_view(struct run *r, struct sup_child *c, struct reterr *err)
{
	const struct sup_opts *o = &r->spec->opts;
	int rc;
	r->sandbox = o->profile != SUP_PROFILE_OFF;
	c->prot = sup_profile_protections(o->profile, o->deny_network);
	c->uid = geteuid();
	c->gid = getegid();
	/* The caller's runtime directory, by its real uid (what logind named it after). */
	snprintf(c->run_user_dir, sizeof(c->run_user_dir), "/run/user/%u", (unsigned)getuid());
	if ((c->prot & SUP_PROT_SOCKETS) &&
	    (rc = host_sockets(o->sockets, &c->cover_sockets, err)) < 0)
		return rc;
	if (c->prot & SUP_PROT_READONLY) {
		/* The $HOME the command gets: its environment's, resolved. */
		const char *home = sup_spec_getenv(r->spec, "HOME");
		if (!home || home[0] != '/' || !realpath(home, c->home) || !strcmp(c->home, "/"))
			c->home[0] = '\0';
	}
	if ((rc = sup_spec_envp(r->spec, &c->envp)) < 0)
		return rc;
	if (r->sandbox && (rc = sup_seccomp_prog(&c->seccomp, err)) < 0)
		return rc;
	return 0;
}

/* Prepare, 2: the rlimits the child applies, and how its tree's process count is bounded: the
 * pid namespace's own pid_max, or a pids cgroup that run_handshake makes (r->bound, r->nproc). */
static int prepare_limits(struct run *r, struct sup_child *c, struct reterr *err)
{
	const struct sup_opts *o = &r->spec->opts;
	int rc;
	if ((rc = rl_value(RLIMIT_NOFILE, o->rlimit_nofile, &c->rl_nofile)) < 0 ||
	    (rc = rl_value(RLIMIT_NPROC, o->rlimit_nproc, &c->rl_nproc)) < 0 ||
	    (rc = rl_value(RLIMIT_FSIZE, o->rlimit_fsize, &c->rl_fsize)) < 0 ||
	    (rc = rl_value(RLIMIT_AS, o->rlimit_as, &c->rl_as)) < 0)
		return reterr_set(err, rc, "getrlimit: %s", strerror(-rc));
	c->set_as = o->rlimit_as != 0;
	/* Core limit 1 (no core file, no core_pattern helper) when our hard limit allows it; a hard
	 * limit of 0 set before us cannot be raised, and then a helper is not stopped. */
	struct rlimit core;
	if (getrlimit(RLIMIT_CORE, &core) < 0)
		return reterr_set(err, -errno, "getrlimit: %s", strerror(errno));
	c->rl_core.rlim_cur = c->rl_core.rlim_max = core.rlim_max >= 1 ? 1 : 0;
	if (core.rlim_max >= 1)
		c->prot |= SUP_PROT_NOCORE;
	/* (RLIM_INFINITY is UINT64_MAX: "no limit" stays the largest limit.) */
	r->nproc = o->rlimit_nproc ? o->rlimit_nproc : (uint64_t)c->rl_nproc.rlim_cur;
	r->bound = r->sandbox ? sup_nproc_bound(r->nproc) : SUP_NPROC_RLIMIT;
	if ((c->prot & SUP_PROT_PIDNS) && (c->prot & SUP_PROT_PROC) &&
	    r->bound == SUP_NPROC_PIDMAX) {
		/* pids 1..nproc: the init and the command's tree. The kernel's ceiling is 2^22. */
		c->pid_max = r->nproc >= SUP_PID_MAX_LIMIT ? SUP_PID_MAX_LIMIT : r->nproc + 1;
		c->prot |= SUP_PROT_PID_MAX;
	}
	return 0;
}

/* A CLOEXEC pipe of the handshake: *ret_r and *ret_w. */
static int setup_pipe(int *ret_r, int *ret_w, struct reterr *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return setup_failed(err);
	*ret_r = p[0];
	*ret_w = p[1];
	return 0;
}

/* Prepare, 3: the descriptors between us and the child: its report and status pipes, the go
 * pipe, its stdio (pipes or a terminal: make_stdio), and our queue to the caller's descriptors.
 * Each end is stored as it is made: the child's (in c) are closed by run_handshake once the
 * child holds its own copies, ours (in r) by run_teardown. */
static int prepare_channels(struct run *r, struct sup_child *c, struct reterr *err)
{
	int rc;
	if ((rc = setup_pipe(&r->fds[S_REPORT], &c->report_w, err)) < 0 ||
	    (rc = setup_pipe(&r->fds[S_STATUS], &c->status_w, err)) < 0 ||
	    (rc = setup_pipe(&c->go_r, &r->go_w, err)) < 0 || (rc = make_stdio(r, c, err)) < 0)
		return rc;
	if ((rc = sup_out_open(&r->io, r->spec->opts.out_fd)) < 0)
		return reterr_set(err, rc, "output: %s", strerror(-rc));
	return 0;
}

/* Prepare, 4: forwarded signals arrive on a signalfd (r->fds[S_SIG]); SIGPIPE must not kill us
 * when a child closes a pipe we write (its stdin) or our own reader goes away. The caller's
 * mask and SIGPIPE action are kept in r for signals_restore. */
static int prepare_signals(struct run *r, struct reterr *err)
{
	sigset_t fwd;
	sigemptyset(&fwd);
	sigaddset(&fwd, SIGINT);
	sigaddset(&fwd, SIGTERM);
	sigaddset(&fwd, SIGHUP);
	sigaddset(&fwd, SIGQUIT);
	sigaddset(&fwd, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &fwd, &r->old_mask) < 0)
		return setup_failed(err);
	r->sigs_blocked = true;
	r->fds[S_SIG] = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->fds[S_SIG] < 0)
		return setup_failed(err);
	struct sigaction ign = { .sa_handler = SIG_IGN };
	if (sigaction(SIGPIPE, &ign, &r->old_pipe) < 0)
		return setup_failed(err);
	r->pipe_ignored = true;
	return 0;
}

/* Undo prepare_signals: SIGPIPE's action, then the mask, after dropping forwarded signals that
 * arrived once the tree was gone. */
static void signals_restore(struct run *r)
{
	if (r->pipe_ignored)
		(void)sigaction(SIGPIPE, &r->old_pipe, NULL);
	if (!r->sigs_blocked)
		return;
	if (r->fds[S_SIG] >= 0) {
		struct signalfd_siginfo si;
		while (fd_read(r->fds[S_SIG], &si, sizeof(si)) > 0)
			;
	}
	(void)sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
}

/* Everything before the clone. What it made is released by run_teardown, on failure too. */
static int run_prepare(struct run *r, struct sup_child *c, struct reterr *err)
{
	int rc;
	if ((rc = prepare_view(r, c, err)) < 0 || (rc = prepare_limits(r, c, err)) < 0)
		return rc;
	r->iobuf = malloc(IO_CHUNK);
	r->inbuf = malloc(STDIN_BUF);
	if (!r->iobuf || !r->inbuf)
		return reterr_set(err, -ENOMEM, "out of memory");
	if ((rc = prepare_channels(r, c, err)) < 0)
		return rc;
	return prepare_signals(r, err);
}

/* The namespaces the child is cloned into. */
static unsigned long clone_flags(const struct sup_child *c)
{
	unsigned long flags = SIGCHLD | CLONE_PIDFD;
	if (c->new_userns)
		flags |= CLONE_NEWUSER;
	if (c->prot & SUP_PROT_PIDNS)
		flags |= CLONE_NEWPID;
	if (c->prot & SUP_PROT_MNTNS)
		flags |= CLONE_NEWNS;
	if (c->prot & SUP_PROT_IPCNS)
		flags |= CLONE_NEWIPC;
	if (c->prot & SUP_PROT_UTSNS)
		flags |= CLONE_NEWUTS;
	if (c->prot & SUP_PROT_CGROUPNS)
		flags |= CLONE_NEWCGROUP;
	if (c->prot & SUP_PROT_NETNS)
		flags |= CLONE_NEWNET;
	return flags;
}

/* Spawn: the child, in its namespaces, with a pidfd (r->pidfd, polled as r->fds[S_PID]); it
 * runs sup_child_main and never comes back here. False when clone failed: the result says so
 * (stage clone) and there is no child. */
static bool run_spawn(struct run *r, struct sup_child *c)
{
	/* A caller that entered its own user namespace (sup_userns_enter) already holds every
	 * capability needed for the other namespaces; else the child gets a user namespace. */
	c->new_userns = (c->prot & SUP_PROT_USERNS) && !sup_userns_entered();
	unsigned long flags = clone_flags(c);
	r->start = now_ms();
	/* Raw clone: fork semantics (own copy of memory, child continues here) with the
	 * namespaces created in the same step, and a pidfd for the poll loop. */
	long pid = syscall(SYS_clone, flags, NULL, &r->pidfd, NULL, 0);
	if (pid < 0) {
		r->res->failed = true;
		r->res->stage = SUP_ST_CLONE;
		r->res->stage_errno = errno;
		return false;
	}
	if (pid == 0) {
		close(r->go_w);
		sup_child_main(c);
	}
	r->pid = (pid_t)pid;
	r->fds[S_PID] = r->pidfd;
	r->res->protections = c->prot;
	return true;
}

/* Handshake, while the child sets its sandbox up on another CPU: put it in its pids cgroup,
 * close our copies of its descriptors, take the terminal it made (PTY mode in a sandbox),
 * release it with the go byte (r->go_w, closed here), let the sinks prepare. On failure the
 * tree is killed and reaped before returning. */
static int run_handshake(struct run *r, struct sup_child *c, struct reterr *err)
{
	const struct sup_sinks *sinks = r->sinks;
	int rc;
	/* The child waits for the go byte only before it can create a process, so the cgroup
	 * work overlaps with its setup. */
	if (r->bound == SUP_NPROC_CGROUP)
		cgroup_create(r, r->nproc);
	if (r->cgroup[0] && cgroup_attach(r))
		r->res->protections |= SUP_PROT_PIDS_CGROUP; /* best effort, like the mkdir */
	close_child_ends(c);
	if (r->pty_sock >= 0 && (rc = recv_pty(r, err)) < 0) {
		kill_and_wait(r);
		return rc;
	}
	if (write(r->go_w, "g", 1) != 1)
		kill_tree(r);
	close_fd(&r->go_w);
	if (sinks && sinks->started && (rc = sinks->started(sinks->ctx)) < 0) {
		reterr_set(err, rc, "supervisor: preparing the output failed: %s", strerror(-rc));
		kill_and_wait(r);
		return rc;
	}
	return 0;
}

/* Raw passthrough for PTY mode: our terminal's keys go to the child's terminal unchanged; the
 * child's line discipline does echo, ^C and friends. True when fd is a terminal that is raw
 * now, with its modes before in *ret_saved. */
static bool term_raw(int fd, struct termios *ret_saved)
{
	struct termios saved, t;
	if (fd < 0 || !isatty(fd) || tcgetattr(fd, &saved) != 0)
		return false;
	t = saved;
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSAFLUSH, &t) != 0)
		return false;
	*ret_saved = saved;
	return true;
}

/* Supervise: the poll loop until the tree is gone, our terminal raw meanwhile in PTY mode (and
 * restored before we wait for a slow reader), then what is still queued for the caller. */
static int run_supervise(struct run *r, struct reterr *err)
{
	const struct sup_opts *o = &r->spec->opts;
	struct termios saved;
	bool raw = r->pty_master >= 0 && term_raw(o->stdin_fd, &saved);
	if (o->timeout_ms)
		r->deadline = r->start + o->timeout_ms;
	r->fds[S_CANCEL] = o->cancel_fd > 0 ? o->cancel_fd : -1;
	int rc = loop(r);
	if (rc < 0) {
		reterr_set(err, rc, "supervisor: %s", strerror(-rc));
		kill_and_wait(r);
	}
	if (raw)
		(void)tcsetattr(o->stdin_fd, TCSAFLUSH, &saved);
	drain_queues(r);
	return rc;
}

/* Teardown, on every path: the caller's signal state back, every descriptor we hold closed
 * once (not the borrowed ones: the caller's stdin and cancel_fd), the cgroup removed, the
 * buffers freed (the stdin buffer wiped). */
static void run_teardown(struct run *r, struct sup_child *c)
{
	signals_restore(r);
	/* The PTY master can stand in the output and stdin slots: it is closed once, below. The
	 * pid slot is r->pidfd. */
	for (int i = 0; i < S_N; i++)
		if (r->fds[i] == r->pty_master)
			r->fds[i] = -1;
	r->fds[S_PID] = r->fds[S_IN_SRC] = r->fds[S_CANCEL] = -1;
	for (int i = 0; i < S_N; i++)
		close_fd(&r->fds[i]);
	close_fd(&r->pty_master);
	close_fd(&r->pidfd);
	close_fd(&r->go_w);
	close_child_ends(c);
	close_fd(&r->pty_sock);
	cgroup_remove(r);
	sup_out_close(&r->io);
	free(c->envp);
	strv_free(c->cover_sockets);
	free(r->iobuf);
	if (r->inbuf)
		sodium_memzero(r->inbuf, STDIN_BUF);
	free(r->inbuf);
}

int sup_run(struct sup_spec *spec, const struct sup_sinks *sinks, struct sup_result *ret,
	    struct reterr *err)
{
	if (!spec || !ret || spec->used)
		return reterr_set(err, -EINVAL, "supervisor: a spec runs once");
	spec->used = true;
	memset(ret, 0, sizeof(*ret));
	struct run r = { .spec = spec,
			 .sinks = sinks,
			 .res = ret,
			 .pidfd = -1,
			 .pty_master = -1,
			 .pty_sock = -1,
			 .go_w = -1 };
	struct sup_child c = { .spec = spec,
			       .probe = spec->probe,
			       .report_w = -1,
			       .status_w = -1,
			       .go_r = -1,
			       .in_r = -1,
			       .out_w = -1,
			       .err_w = -1,
			       .pty_slave = -1,
			       .pty_sock = -1 };
	for (int i = 0; i < S_N; i++)
		r.fds[i] = -1;
	int rc = run_prepare(&r, &c, err);
	bool attempted = rc >= 0; /* a clone: from here on the result describes the run */
	if (attempted && run_spawn(&r, &c) && (rc = run_handshake(&r, &c, err)) >= 0)
		rc = run_supervise(&r, err);
	/* The child has executed or failed, or never existed: the plaintext is not needed. */
	wipe_env(spec);
	if (attempted)
		fill_result(&r);
	run_teardown(&r, &c);
	return rc;
}
