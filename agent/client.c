/* SPDX-License-Identifier: Apache-2.0 */
/* agent clients: find and connect to the agent of a vault (a socket a killed agent left counts
 * as none), read what it says about itself, and hand it a request: a command line with our
 * standard streams, working directory, environment and terminal (signals forwarded while it
 * runs), an MCP broker socket, or a lock. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "agent/agent-internal.h"

#define HELLO_WAIT_MS 5000
#define LOCK_WAIT_MS ((AGENT_LOCK_GRACE_S + 5) * 1000)

extern char **environ;

struct agent_conn {
	int fd;
	struct agent_info info;
	unsigned char nonce[AGENT_NONCE_BYTES];
};

const char *agent_scope_name(enum agent_scope s)
{
	switch (s) {
	case AGENT_SCOPE_AGENT: return "agent";
	case AGENT_SCOPE_FULL: return "full";
	default: return "none";
	}
}

struct agent_conn *agent_conn_free(struct agent_conn *c)
{
	if (!c)
		return NULL;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

const struct agent_info *agent_conn_info(const struct agent_conn *c)
{
	return &c->info;
}

int agent_conn_fd(const struct agent_conn *c)
{
	return c->fd;
}

/* Wait for one datagram (at most ms; -1 forever). */
static int recv_wait(int fd, int ms, struct buf *b, struct agent_msg *m)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ETIMEDOUT;
		int r = agent_recv(fd, b, NULL, &(size_t){ 0 });
		if (r == -EAGAIN || r == -EINTR)
			continue;
		if (r < 0)
			return r;
		return agent_msg_decode(b->data, b->len, m) < 0 ? -EPROTO : 0;
	}
}

static int dial(const char *path, struct reterr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	if (lstat(path, &st) < 0)
		return -ENOENT;
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
		return reterr_set(err, -ENOENT, "%s is not a socket of yours: no agent", path);
	size_t len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return reterr_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, len + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return reterr_set(err, -errno, "socket: %s", strerror(errno));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		int e = errno;
		close(fd);
		if (e == ECONNREFUSED || e == ENOENT)
			return -ENOENT; /* a socket a killed agent left behind */
		return reterr_set(err, -e, "cannot reach the session agent at %s: %s", path,
				  strerror(e));
	}
	return fd;
}

int agent_connect(const char *vault_dir, struct agent_conn **ret, struct reterr *err)
{
	char path[AGENT_PATH_MAX];
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_msg m = { 0 };
	int r = agent_socket_path(vault_dir, false, path, NULL);
	if (r < 0)
		return -ENOENT;
	int fd = dial(path, err);
	if (fd < 0)
		return fd;
	r = recv_wait(fd, HELLO_WAIT_MS, &b, &m);
	if (r < 0 || (m.type != AGENT_M_HELLO && m.type != AGENT_M_REFUSED)) {
		close(fd);
		if (r == -ENODATA || r == -ECONNRESET)
			return -ENOENT; /* it was locking */
		return reterr_set(err, r == -ETIMEDOUT ? r : -EPROTO,
				  "the session agent at %s did not introduce itself", path);
	}
	if (m.type == AGENT_M_REFUSED) {
		char why[256] = "";
		agent_msg_cstr(&m, AGENT_T_REASON, why, sizeof(why));
		close(fd);
		return reterr_set(err, -EACCES, "the session agent at %s refused us: %s", path,
				  why);
	}
	const struct agent_field *nonce = agent_msg_get(&m, AGENT_T_NONCE, AGENT_K_STR);
	struct agent_conn *c = calloc(1, sizeof(*c));
	if (!c || !nonce || nonce->len != AGENT_NONCE_BYTES) {
		free(c);
		close(fd);
		return reterr_set(err, c ? -EPROTO : -ENOMEM, "the session agent's hello is bad");
	}
	c->fd = fd;
	agent_info_decode(&m, &c->info);
	memcpy(c->nonce, nonce->str, AGENT_NONCE_BYTES);
	*ret = c;
	return 0;
}

/* ---- a command line ---------------------------------------------------------------------- */

/* Our arguments and environment in a sealed memfd. */
static int body_fd(int argc, char *const *argv, struct buf *b, struct reterr *err)
{
	struct agent_enc e;
	agent_enc_begin(&e, b, AGENT_M_BODY);
	agent_enc_strv(&e, AGENT_T_ARGV, argv, (size_t)argc);
	agent_enc_strv(&e, AGENT_T_ENV, environ, strv_len(environ));
	int r = agent_enc_end(&e);
	if (r < 0)
		return reterr_set(err, r,
				  "the command line or environment is too large for the "
				  "session agent");
	int fd = memfd_create("secretctl-request", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return reterr_set(err, -errno, "memfd_create: %s", strerror(errno));
	if ((r = fd_write_all(fd, b->data, b->len)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = r < 0 ? r : -errno;
		close(fd);
		return reterr_set(err, r, "cannot write the request: %s", strerror(-r));
	}
	return fd;
}

/* Descriptor i of our standard streams, or /dev/null when it is closed. */
static int stdio_fd(int i)
{
	if (fcntl(i, F_GETFD) >= 0)
		return fcntl(i, F_DUPFD_CLOEXEC, 3);
	return open("/dev/null", i ? O_WRONLY | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int send_exec(struct agent_conn *c, int argc, char *const *argv,
		     const struct vault_keys *proof, struct reterr *err)
{
	AUTO_BUF struct buf body = BUF_INIT;
	AUTO_BUF struct buf msg = BUF_INIT;
	int fds[6] = { -1, -1, -1, -1, -1, -1 };
	size_t n = 5;
	struct agent_enc e;
	int r;
	if ((fds[4] = body_fd(argc, argv, &body, err)) < 0)
		return fds[4];
	for (int i = 0; i < 3; i++)
		fds[i] = stdio_fd(i);
	fds[3] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if ((fds[5] = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0)
		n = 6;
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || fds[3] < 0) {
		close_all(fds, 6);
		return reterr_set(err, -EBADF,
				  "cannot pass our standard streams or working "
				  "directory to the session agent");
	}
	agent_enc_begin(&e, &msg, AGENT_M_EXEC);
	if (proof) {
		unsigned char p[VAULT_PROOF_BYTES];
		AUTO_BUF struct buf signed_part = BUF_INIT;
		if (buf_append(&signed_part, c->nonce, sizeof(c->nonce)) < 0 ||
		    buf_append(&signed_part, body.data, body.len) < 0) {
			close_all(fds, 6);
			return reterr_set(err, -ENOMEM, "out of memory");
		}
		vault_keys_proof(proof, signed_part.data, signed_part.len, p);
		agent_enc_str(&e, AGENT_T_PROOF, p, sizeof(p));
	}
	if ((r = agent_enc_end(&e)) == 0)
		r = agent_send(c->fd, &msg, fds, n);
	close_all(fds, 6);
	if (r < 0)
		return reterr_set(err, r, "cannot send the request to the session agent: %s",
				  strerror(-r));
	return 0;
}

static void forward(int fd, int sig)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	agent_enc_begin(&e, &b, AGENT_M_SIGNAL);
	agent_enc_int(&e, AGENT_T_SIGNO, sig);
	if (agent_enc_end(&e) == 0)
		(void)agent_send(fd, &b, NULL, 0);
}

/* Wait for EXIT, forwarding our signals. */
static int wait_exit(struct agent_conn *c, int sigfd, int *ret_status, struct reterr *err)
{
	AUTO_BUF struct buf b = BUF_INIT;
	for (;;) {
		struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN },
				       { .fd = sigfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return reterr_set(err, -errno, "poll: %s", strerror(errno));
		}
		struct signalfd_siginfo si;
		if (p[1].revents && read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			forward(c->fd, (int)si.ssi_signo);
		if (!p[0].revents)
			continue;
		struct agent_msg m;
		int r = agent_recv(c->fd, &b, NULL, &(size_t){ 0 });
		if (r == -EAGAIN || r == -EINTR)
			continue;
		if (r < 0)
			return reterr_set(err, -EPIPE,
					  "the session agent stopped (it was locked?) "
					  "before the command finished");
		if (agent_msg_decode(b.data, b.len, &m) == 0 && m.type == AGENT_M_EXIT) {
			*ret_status = (int)agent_msg_int(&m, AGENT_T_STATUS, 125 << 8);
			return 0;
		}
		if (agent_msg_decode(b.data, b.len, &m) == 0 && m.type == AGENT_M_REFUSED) {
			char why[256] = "";
			agent_msg_cstr(&m, AGENT_T_REASON, why, sizeof(why));
			return reterr_set(err, -EACCES, "the session agent refused the request: %s",
					  why);
		}
	}
}

int agent_conn_exec(struct agent_conn *c, int argc, char *const *argv,
		    const struct vault_keys *proof, int *ret_status, struct reterr *err)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	/* Blocked before the request goes out: a Ctrl-C from then on reaches the command. */
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		return reterr_set(err, -errno, "sigprocmask: %s", strerror(errno));
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	int r = sigfd < 0 ? reterr_set(err, -errno, "signalfd: %s", strerror(errno))
			  : send_exec(c, argc, argv, proof, err);
	if (r == 0)
		r = wait_exit(c, sigfd, ret_status, err);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* ---- MCP and lock ------------------------------------------------------------------------- */

int agent_conn_mcp(struct agent_conn *c, int fd, struct reterr *err)
{
	AUTO_BUF struct buf msg = BUF_INIT;
	struct agent_enc e;
	int fds[2] = { fd, STDERR_FILENO };
	agent_enc_begin(&e, &msg, AGENT_M_MCP);
	int r = agent_enc_end(&e);
	if (r == 0)
		r = agent_send(c->fd, &msg, fds, 2);
	return r < 0 ? reterr_set(err, r, "cannot send the request to the session agent: %s",
				  strerror(-r))
		     : 0;
}

int agent_conn_lock(struct agent_conn *c, struct reterr *err)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	struct agent_msg m;
	agent_enc_begin(&e, &b, AGENT_M_LOCK);
	int r = agent_enc_end(&e);
	if (r == 0)
		r = agent_send(c->fd, &b, NULL, 0);
	if (r < 0)
		return reterr_set(err, r, "cannot reach the session agent: %s", strerror(-r));
	/* It closes every connection when it exits. */
	do
		r = recv_wait(c->fd, LOCK_WAIT_MS, &b, &m);
	while (r == 0 || r == -EPROTO);
	if (r == -ETIMEDOUT)
		return reterr_set(err, r, "the session agent (pid %d) did not end within %d s",
				  (int)c->info.pid, LOCK_WAIT_MS / 1000);
	return 0;
}
