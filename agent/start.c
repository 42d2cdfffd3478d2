/* SPDX-License-Identifier: Apache-2.0 */
/* agent start: find the vault's socket path, end an agent already serving it (a socket a killed
 * agent left is removed), bind the new socket 0600 in its private directory, and fork the
 * daemon, which reports over a pipe once it listens. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "agent/agent-internal.h"

/* An agent already there: ask it to lock; a socket nobody listens on: remove it. */
static int clear_path(const char *vault_dir, const char *path, struct reterr *err)
{
	struct stat st;
	struct agent_conn *c = NULL;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : reterr_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
		return reterr_set(err, -EEXIST,
				  "refusing %s: it is not a socket of yours (remove it "
				  "if it is not needed)",
				  path);
	int r = agent_connect(vault_dir, &c, err);
	if (r == 0) {
		r = agent_conn_lock(c, err);
		agent_conn_free(c);
		if (r < 0)
			return r;
	} else if (r != -ENOENT) {
		return r;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return reterr_set(err, -errno, "cannot remove the old socket %s: %s", path,
				  strerror(errno));
	return 0;
}

static int bind_socket(const char *path, struct reterr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return reterr_set(err, -ENAMETOOLONG, "socket path too long: %s", path);
	memcpy(sa.sun_path, path, len + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return reterr_set(err, -errno, "socket: %s", strerror(errno));
	/* Created 0600 by the umask, so no other user ever gets a window to connect. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (r < 0) {
		close(fd);
		return reterr_set(err, -e, "cannot listen on %s: %s%s", path, strerror(e),
				  e == EADDRINUSE ? " (another agent started just now?)" : "");
	}
	if (chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
		e = errno;
		unlink(path);
		close(fd);
		return reterr_set(err, -e, "cannot listen on %s: %s", path, strerror(e));
	}
	return fd;
}

/* In the daemon: its own session, nothing of the caller's but the socket and the report pipe. */
static int detach(int lfd, int report)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (setsid() < 0 || chdir("/") < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0)
		return -errno;
	close(null);
	int keep_lo = lfd < report ? lfd : report, keep_hi = lfd < report ? report : lfd;
	(void)close_range(3, (unsigned)keep_lo - 1, 0);
	(void)close_range((unsigned)keep_lo + 1, (unsigned)keep_hi - 1, 0);
	(void)close_range((unsigned)keep_hi + 1, ~0u, 0);
	return 0;
}

/* The daemon: set up, report "ok" or the error, serve. */
__attribute__((noreturn)) static void daemon_main(const struct agent_opts *o, int lfd,
						  const char *path, struct vault_keys *keys,
						  struct policy *policy, const char *policy_path,
						  int report)
{
	struct reterr err = RETERR_INIT;
	struct agent_state *a = NULL;
	int e = detach(lfd, report);
	if (e < 0)
		reterr_set(&err, e, "cannot detach: %s", strerror(-e));
	else
		e = agent_state_new(o, lfd, path, keys, policy, policy_path, &a, &err);
	if (e < 0) {
		unlink(path);
		(void)fd_write_all(report, err.msg, strlen(err.msg));
		_exit(1);
	}
	(void)fd_write_all(report, "ok", 2);
	close(report);
	agent_serve(a);
}

static int wait_report(int fd, struct reterr *err)
{
	AUTO_BUF struct buf b = BUF_INIT;
	int r = fd_read_all(fd, RETERR_MSG_MAX, &b);
	if (r == 0 && b.len == 2 && !memcmp(b.data, "ok", 2))
		return 0;
	return reterr_set(err, -EIO, "the session agent did not start: %s",
			  r == 0 && b.len ? b.data : "it ended at once");
}

int agent_start(const struct agent_opts *o, struct vault_keys *keys, struct policy *policy,
		const char *policy_path, struct agent_info *ret, struct reterr *err)
{
	char path[AGENT_PATH_MAX], real[PATH_MAX];
	int pipefd[2], e;
	if (!realpath(o->vault_dir, real))
		e = reterr_set(err, -errno, "no vault directory %s: %s", o->vault_dir,
			       strerror(errno));
	else if ((e = agent_socket_path(real, true, path, err)) == 0)
		e = clear_path(real, path, err);
	int lfd = e < 0 ? e : bind_socket(path, err);
	if (lfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		e = lfd < 0 ? lfd : reterr_set(err, -errno, "pipe: %s", strerror(errno));
		goto fail;
	}
	struct agent_opts ro = *o;
	ro.vault_dir = real;
	pid_t pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		daemon_main(&ro, lfd, path, keys, policy, policy_path, pipefd[1]);
	}
	close(pipefd[1]);
	close(lfd);
	if (pid < 0) {
		close(pipefd[0]);
		unlink(path);
		e = reterr_set(err, -errno, "fork: %s", strerror(errno));
		lfd = -1;
		goto fail;
	}
	/* The daemon holds the keys now; this process drops its copy. */
	vault_keys_free(keys);
	policy_free(policy);
	e = wait_report(pipefd[0], err);
	close(pipefd[0]);
	if (e < 0)
		return e;
	struct agent_conn *c = NULL;
	if ((e = agent_connect(real, &c, err)) < 0)
		return e;
	*ret = *agent_conn_info(c);
	agent_conn_free(c);
	return 0;
fail:
	if (lfd >= 0) {
		close(lfd);
		unlink(path);
	}
	vault_keys_free(keys);
	policy_free(policy);
	return e;
}
