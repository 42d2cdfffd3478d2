/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: `secretctl mcp-server`: start the confined front process, unlock the vault in this one
 * (the broker), then serve the front's calls in one poll loop: read-only tools at once, runs in
 * worker processes whose results arrive later, progress while they are in flight. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "mcp/mcp-server.h"
#include "mcp/mcp.h"

#define PASSWORD_FILE_MAX 4096
#define SHUTDOWN_WAIT_MS 10000 /* runs get this long to report after their trees are killed */

/* One message on stderr, in one write (two processes share it). Never secret bytes. */
static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "secretctl mcp-server: ");
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	(void)fd_write_all(STDERR_FILENO, line, len);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the front process -------------------------------------------------------------------- */

/* In the child: drop everything but stdio and the broker socket, confine, serve. */
__attribute__((noreturn)) static void front_main(int sock, pid_t parent)
{
	struct reterr err = RETERR_INIT;
	/* Its copy of the environment block still holds the password: wipe it. */
	proc_scrub_env(VAULT_PASSWORD_ENV);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	(void)proc_harden();
	if (sock != 3 && (dup2(sock, 3) < 0 || close(sock) < 0))
		_exit(1);
	if (close_range(4, ~0u, 0) < 0) {
		logmsg("front: close_range: %s", strerror(errno));
		_exit(1);
	}
	if (sup_confine_self(&err) < 0) {
		logmsg("front: cannot confine the process that parses requests: %s; refusing to "
		       "serve",
		       err.msg);
		_exit(1);
	}
	_exit(mcp_front_run(STDIN_FILENO, STDOUT_FILENO, 3));
}

/* ---- unlocking ---------------------------------------------------------------------------- */

/* The password from --password-file (a regular 0600 file of ours, not a symlink; one trailing
 * newline dropped) or $SECRETCTL_PASSWORD (scrubbed from our environment block either way). */
static int read_password(const char *file, struct secret **ret, struct reterr *err)
{
	const char *env = secure_getenv(VAULT_PASSWORD_ENV);
	struct secret *pw = NULL;
	int e = 0;
	if (file) {
		struct stat st;
		int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			e = reterr_set(
				err, -errno, "--password-file %s: %s%s", file, strerror(errno),
				errno == ELOOP ? " (a symbolic link: name the real file)" : "");
		else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			e = reterr_set(err, -EACCES, "--password-file %s: not a regular file",
				       file);
		else if (st.st_uid != geteuid() || (st.st_mode & 077))
			e = reterr_set(
				err, -EACCES,
				"--password-file %s: must be yours and not readable by others "
				"(mode %04o): run 'chmod 600 %s'",
				file, (unsigned)(st.st_mode & 07777), file);
		else if ((e = fd_read_all_secret(fd, PASSWORD_FILE_MAX, &pw)) < 0)
			reterr_set(err, e, "--password-file %s: %s", file, strerror(-e));
		if (fd >= 0)
			close(fd);
		if (pw && pw->len && pw->data[pw->len - 1] == '\n')
			pw->data[--pw->len] = '\0';
	} else if (env) {
		if (!(pw = secret_from(env, strlen(env))))
			e = -ENOMEM;
	} else {
		e = reterr_set(err, -ENOKEY,
			       "no master password and no session agent: run 'secretctl unlock' "
			       "(then no password needs to be in the MCP configuration), or set "
			       "SECRETCTL_PASSWORD in the server's environment (the \"env\" of "
			       "its MCP configuration), or pass --password-file FILE");
	}
	proc_scrub_env(VAULT_PASSWORD_ENV);
	if (e < 0) {
		secret_free(pw);
		return e;
	}
	*ret = pw;
	return 0;
}

static int unlock(const struct mcp_server_opts *o, struct vault **ret)
{
	struct reterr err = RETERR_INIT;
	struct secret *pw = NULL;
	struct vault *v = NULL;
	AUTO_FREE char *dir = vault_dir_default(&err);
	int e;

	if (!dir) {
		proc_scrub_env(VAULT_PASSWORD_ENV);
		logmsg("%s", err.msg[0] ? err.msg : "cannot find the vault directory");
		return -EINVAL;
	}
	if ((e = vault_open(dir, &v, &err)) < 0) {
		proc_scrub_env(VAULT_PASSWORD_ENV);
		logmsg("cannot open the vault in %s: %s", dir, reterr_str(&err, e));
		return e;
	}
	vault_set_source(v, "mcp");
	if ((e = read_password(o->password_file, &pw, &err)) < 0) {
		logmsg("%s", err.msg);
		/* Audited when the vault is next unlocked: who failed to start, and why. */
		(void)vault_note_unlock_failure(v, "mcp-server: no master password", NULL);
		vault_free(v);
		return e;
	}
	e = vault_unlock(v, pw, NULL, &err);
	secret_free(pw);
	/* A session's unlock is its own entry: the calls that follow may be few or none. */
	if (e == 0)
		e = vault_audit_unlock(v, &err);
	if (e < 0) {
		if (e == -EKEYREJECTED)
			logmsg("wrong master password (from %s); the failed attempt is recorded in "
			       "the audit log",
			       o->password_file ? "--password-file" : "SECRETCTL_PASSWORD");
		else
			logmsg("cannot unlock the vault in %s: %s", dir, reterr_str(&err, e));
		vault_free(v);
		return e;
	}
	*ret = v;
	return 0;
}

/* ---- the broker loop ---------------------------------------------------------------------- */

struct server {
	struct broker *b;
	struct agent_child *agent; /* served by the session agent's child, or NULL */
	int front;
	int sigfd;
	struct buf in;
	struct mcp_run **runs;
	size_t nruns;
	unsigned max_runs;
	bool stopping;
	bool signalled; /* SIGTERM, SIGINT or SIGHUP ended the server (a client's way to stop it) */
	struct mcp_approver ap; /* asks the person about runs the policy wants approved */
};

static int send_reply(struct server *s, uint64_t id, const struct mcp_reply *rp)
{
	AUTO_BUF struct buf out = BUF_INIT;
	struct mcp_wire_enc enc;
	mcp_wire_begin(&enc, &out, MCP_W_RESULT, id);
	mcp_wire_bool(&enc, "error", rp->error);
	if (rp->error)
		mcp_wire_str(&enc, "message", rp->message.data ? rp->message.data : "",
			     rp->message.len);
	if (rp->json.len)
		mcp_wire_str(&enc, "json", rp->json.data, rp->json.len);
	int e = mcp_wire_end(&enc);
	if (e == -E2BIG) {
		/* Cannot happen with the output caps; answer rather than drop the call. */
		struct mcp_reply small = { .error = true };
		buf_init(&small.json);
		buf_init(&small.message);
		buf_puts(&small.message, "the result is too large to send");
		e = send_reply(s, id, &small);
		buf_release(&small.message);
		return e;
	}
	return e < 0 ? e : mcp_wire_send(s->front, &out);
}

/* A 2026-07-28 run waits for the person: the front answers input_required with this question
 * and requestState; the client repeats the call with both. */
static int send_input_required(struct server *s, uint64_t id)
{
	AUTO_BUF struct buf out = BUF_INIT;
	struct mcp_wire_enc enc;
	mcp_wire_begin(&enc, &out, MCP_W_RESULT, id);
	mcp_wire_bool(&enc, "error", false);
	mcp_wire_bool(&enc, "input_required", true);
	mcp_wire_str(&enc, "message", s->ap.message.data, s->ap.message.len);
	mcp_wire_cstr(&enc, "request_state", s->ap.state);
	int e = mcp_wire_end(&enc);
	return e < 0 ? e : mcp_wire_send(s->front, &out);
}

static void reply_release(struct mcp_reply *rp)
{
	buf_release(&rp->json);
	buf_release(&rp->message);
}

static int send_progress(struct server *s, struct mcp_run *r, int64_t now)
{
	AUTO_BUF struct buf out = BUF_INIT;
	struct mcp_wire_enc enc;
	char msg[64];
	int64_t elapsed = now - r->start_ms;
	snprintf(msg, sizeof(msg), "running for %lld s", (long long)(elapsed / 1000));
	mcp_wire_begin(&enc, &out, MCP_W_PROGRESS, r->id);
	mcp_wire_int(&enc, "progress", elapsed);
	mcp_wire_int(&enc, "total", r->timeout_ms);
	mcp_wire_cstr(&enc, "message", msg);
	int e = mcp_wire_end(&enc);
	return e < 0 ? e : mcp_wire_send(s->front, &out);
}

/* Descriptors a new worker must not keep: the front's socket, the signalfd and every other
 * run's pipes (a worker holding another run's cancel pipe would keep it from firing). */
static int *worker_closes(const struct server *s)
{
	int *v = calloc(2 * s->nruns + 3, sizeof(*v));
	size_t n = 0;
	if (!v)
		return NULL;
	v[n++] = s->front;
	v[n++] = s->sigfd;
	for (size_t i = 0; i < s->nruns; i++) {
		v[n++] = s->runs[i]->result_fd;
		if (s->runs[i]->cancel_fd >= 0)
			v[n++] = s->runs[i]->cancel_fd;
	}
	v[n] = -1;
	return v;
}

static int start_run(struct server *s, const char *tool, const struct mcp_wire_msg *m,
		     struct mcp_reply *rp)
{
	if (s->nruns >= s->max_runs) {
		mcp_audit(s->b, "secret.run_denied", tool, NULL, false, "too many concurrent runs");
		return mcp_call_error(rp,
				      "too many runs in flight (max_concurrent_runs is %u in the "
				      "policy): wait for one to finish, or cancel one",
				      s->max_runs) < 0
			       ? -ENOMEM
			       : 1;
	}
	struct mcp_run **v = reallocarray(s->runs, s->nruns + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->runs = v; /* before anything reads the array again: it may have moved */
	AUTO_FREE int *closes = worker_closes(s);
	if (!closes)
		return -ENOMEM;
	struct mcp_run *run = NULL;
	int e = mcp_run_start(s->b, tool, m, closes, rp, &run);
	if (e == 0)
		s->runs[s->nruns++] = run;
	return e;
}

static int on_call(struct server *s, const struct mcp_wire_msg *m)
{
	struct mcp_reply rp = { .json = BUF_INIT, .message = BUF_INIT };
	const struct mcp_wire_field *t = mcp_wire_get(m, "tool", MCP_WK_STR);
	char tool[64] = "";
	int e;

	if (t && t->len < sizeof(tool))
		memcpy(tool, t->str, t->len);
	if (s->agent)
		agent_child_touch(s->agent); /* a call is use: the idle limit starts again */
	if (!strcmp(tool, "secret_run") || !strcmp(tool, "secret_run_with_bindings")) {
		s->ap.call = m;
		s->ap.input_required = false;
		e = start_run(s, tool, m, &rp);
		s->ap.call = NULL;
		if (e == 0) {
			reply_release(&rp);
			return 0; /* answered when the worker reports */
		}
		if (e > 0 && s->ap.input_required) {
			reply_release(&rp);
			return send_input_required(s, m->id);
		}
	} else {
		e = mcp_call_folder(s->b, tool, m, &rp);
		if (e == -ENOENT)
			e = mcp_call_read(s->b, tool, m, &rp);
		if (e == -ENOENT)
			e = mcp_call_error(&rp, "unknown tool '%s'", tool);
	}
	if (e == -ENOMEM)
		e = mcp_call_error(&rp, "out of memory");
	if (e >= 0)
		e = send_reply(s, m->id, &rp);
	reply_release(&rp);
	return e;
}

static void on_cancel(struct server *s, uint64_t id)
{
	for (size_t i = 0; i < s->nruns; i++)
		if (s->runs[i]->id == id)
			mcp_run_cancel(s->runs[i]);
}

/* Whole messages from the front, as they arrive. Each is copied out of s->in before it is
 * handled: a run's approval may read more of the front's messages into s->in while it waits
 * (those are handled next, in order). -EPROTO ends the server. */
static int read_front(struct server *s)
{
	char tmp[65536];
	ssize_t n = fd_read(s->front, tmp, sizeof(tmp));
	if (n < 0)
		return n == -EAGAIN ? 0 : (int)n;
	if (n == 0)
		return 1; /* the front ended: stdin closed */
	if (buf_append(&s->in, tmp, (size_t)n) < 0)
		return -ENOMEM;
	AUTO_BUF struct buf one = BUF_INIT;
	int e = 0;
	while (e == 0) {
		ssize_t need = mcp_wire_frame_len(s->in.data, s->in.len);
		if (need < 0)
			return (int)need;
		if (need == 0 || (size_t)need > s->in.len)
			break;
		buf_reset(&one);
		if (buf_append(&one, s->in.data, (size_t)need) < 0)
			return -ENOMEM;
		memmove(s->in.data, s->in.data + need, s->in.len - (size_t)need);
		s->in.len -= (size_t)need;
		struct mcp_wire_msg m;
		if ((e = mcp_wire_decode(one.data, one.len, &m)) < 0)
			return e;
		if (m.type == MCP_W_CALL)
			e = on_call(s, &m);
		else if (m.type == MCP_W_CANCEL)
			on_cancel(s, m.id);
		else if (m.type != MCP_W_ANSWER) /* an answer after its question gave up: none */
			e = -EPROTO;
	}
	return e;
}

static void remove_run(struct server *s, size_t i)
{
	mcp_run_free(s->runs[i]);
	s->runs[i] = s->runs[--s->nruns];
}

/* A worker's pipe is readable: gather its message; at EOF audit and answer. */
static int read_run(struct server *s, size_t i)
{
	struct mcp_run *r = s->runs[i];
	char tmp[65536];
	ssize_t n = fd_read(r->result_fd, tmp, sizeof(tmp));
	if (n < 0)
		return n == -EAGAIN ? 0 : (int)n;
	if (n > 0) {
		if (r->in.len + (size_t)n > MCP_WIRE_MAX)
			return -E2BIG;
		return buf_append(&r->in, tmp, (size_t)n) < 0 ? -ENOMEM : 0;
	}
	struct mcp_reply rp = { .json = BUF_INIT, .message = BUF_INIT };
	int e = mcp_run_finish(r, &rp);
	if (e >= 0 && !s->stopping)
		e = send_reply(s, r->id, &rp);
	reply_release(&rp);
	remove_run(s, i);
	return e;
}

static int progress_due(struct server *s, int64_t now)
{
	int wait = -1;
	for (size_t i = 0; i < s->nruns; i++) {
		struct mcp_run *r = s->runs[i];
		if (!r->progress || r->cancelled || s->stopping)
			continue;
		if (now >= r->next_progress_ms) {
			int e = send_progress(s, r, now);
			if (e < 0)
				return e;
			r->next_progress_ms = now + MCP_PROGRESS_MS;
		}
		int64_t w = r->next_progress_ms - now;
		if (wait < 0 || w < wait)
			wait = (int)w;
	}
	return wait;
}

static int loop(struct server *s)
{
	int64_t deadline = 0;
	s->ap.sigfd = s->sigfd; /* a stop signal also ends a wait for an approval */
	for (;;) {
		if (s->stopping && s->nruns == 0)
			return 0;
		int64_t now = now_ms();
		if (s->stopping && now >= deadline)
			return 0; /* the rest are freed (killed) by the caller */
		int wait = progress_due(s, now);
		if (wait < -1)
			return wait;
		if (s->stopping)
			wait = (int)(deadline - now);
		size_t np = s->nruns + 2;
		struct pollfd *pfd = calloc(np, sizeof(*pfd));
		if (!pfd)
			return -ENOMEM;
		pfd[0] = (struct pollfd){ .fd = s->stopping ? -1 : s->front, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
		for (size_t i = 0; i < s->nruns; i++)
			pfd[i + 2] =
				(struct pollfd){ .fd = s->runs[i]->result_fd, .events = POLLIN };
		/* The runs polled: read_front may start more before the loop below looks. */
		size_t polled = s->nruns;
		int n = poll(pfd, (nfds_t)np, wait);
		int e = 0;
		if (n < 0 && errno != EINTR)
			e = -errno;
		if (n > 0 && pfd[1].revents) {
			struct signalfd_siginfo si;
			while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			e = 1; /* SIGTERM, SIGINT, SIGHUP: end as if stdin closed */
			s->signalled = true;
		}
		if (n > 0 && e == 0 && pfd[0].revents)
			e = read_front(s);
		/* Runs from the end, so removing one does not skip another; runs started just now
		 * (after the poll, at the end of the array) were not polled. */
		for (size_t i = polled; n > 0 && e >= 0 && i-- > 0;)
			if (pfd[i + 2].revents)
				e = read_run(s, i);
		free(pfd);
		if (e < 0)
			return e;
		if (e > 0 && !s->stopping) {
			/* The client is gone: every run's tree is killed now; their records are
			 * written as they report. */
			s->stopping = true;
			deadline = now_ms() + SHUTDOWN_WAIT_MS;
			for (size_t i = 0; i < s->nruns; i++)
				mcp_run_cancel(s->runs[i]);
		}
	}
}

static int send_ready(struct server *s)
{
	AUTO_BUF struct buf out = BUF_INIT;
	struct mcp_wire_enc enc;
	const char *pol = broker_policy_path(s->b);
	mcp_wire_begin(&enc, &out, MCP_W_READY, 0);
	mcp_wire_cstr(&enc, "version", SECRETCTL_VERSION);
	mcp_wire_cstr(&enc, "policy", pol ? pol : "");
	mcp_wire_bool(&enc, "policy_loaded", broker_policy(s->b) != NULL);
	mcp_wire_bool(&enc, "folder_writes", policy_mcp_folder_writes(broker_policy(s->b)));
	int e = mcp_wire_end(&enc);
	return e < 0 ? e : mcp_wire_send(s->front, &out);
}

static int serve(struct server *s, struct vault *v);

/* The broker side after the fork: stdio to /dev/null, harden, unlock, serve. */
static int broker_main(struct server *s, const struct mcp_server_opts *o)
{
	struct reterr err = RETERR_INIT;
	struct vault *v = NULL;
	int e, null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* Only the front speaks on stdio; logs go to stderr. */
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0) {
		logmsg("cannot redirect stdio: %s", strerror(errno));
		return 1;
	}
	close(null);
	if ((e = broker_process_init(true, &err)) < 0) {
		/* The sandbox needs this; without it every run fails its setup and says so. */
		logmsg("WARNING: %s; commands will not run (see 'secretctl doctor')", err.msg);
		if ((e = proc_harden()) < 0) {
			logmsg("cannot harden the process: %s", strerror(-e));
			return 1;
		}
	}
	if (unlock(o, &v) < 0)
		return 1;
	int rc = serve(s, v);
	vault_free(v);
	return rc;
}

/* The vault is open: signals, READY, the loop. */
static int serve(struct server *s, struct vault *v)
{
	int e;
	broker_set_vault(s->b, v);
	s->ap.front = s->front;
	s->ap.in = &s->in;
	s->max_runs = policy_max_concurrent_runs(broker_policy(s->b));
	if (!broker_policy(s->b))
		logmsg("no policy file yet: secret_run is refused until %s exists (mode 0600)",
		       broker_policy_path(s->b));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    fcntl(s->front, F_SETFL, O_NONBLOCK) < 0) {
		logmsg("setup: %s", strerror(errno));
		e = -errno;
	} else if ((e = send_ready(s)) == 0) {
		/* The front reads whole messages and answers at once; a blocking write here
		 * waits only for it. */
		int fl = fcntl(s->front, F_GETFL);
		(void)fcntl(s->front, F_SETFL, fl & ~O_NONBLOCK);
		e = loop(s);
	}
	if (e < 0 && e != -EPIPE)
		logmsg("stopping: %s", strerror(-e));
	broker_set_vault(s->b, NULL);
	return e < 0 && e != -EPIPE ? 1 : 0;
}

static int serve_unlocked(const struct mcp_server_opts *o);

int mcp_agent_broker_main(struct agent_child *c, int fd)
{
	struct reterr err = RETERR_INIT;
	struct server s = { .agent = c, .front = fd, .sigfd = -1, .in = BUF_INIT };
	const char *ppath = NULL;
	const struct policy *pol = agent_child_policy(c, &ppath);
	struct broker_opts bo = {
		.source = "mcp",
		.judge_commands = true,
		.policy_may_be_missing = true,
		.use_policy = true,
		.policy = pol,
		.policy_file = ppath,
		.default_timeout_ms = MCP_RUN_TIMEOUT_DEFAULT_MS,
		.default_max_output = MCP_OUTPUT_DEFAULT,
		/* Runs the policy wants approved ask through the client (elicitation) or wait in
		 * the agent for the person's answer. */
		.approve = mcp_approve,
		.approve_ctx = &s.ap,
	};
	struct vault *v = NULL;
	int e, rc = 1;

	signal(SIGPIPE, SIG_IGN);
	if (broker_new(&bo, &s.b, &err) < 0) {
		logmsg("%s", err.msg);
		return 1;
	}
	if (mcp_approver_init(&s.ap, s.b, c) < 0) {
		logmsg("cannot initialise libsodium");
		broker_free(s.b);
		return 1;
	}
	/* Inherited from the agent: the user namespace (entered at unlock) and the hardening. */
	if ((e = broker_process_init(true, &err)) < 0)
		logmsg("WARNING: %s; commands will not run (see 'secretctl doctor')", err.msg);
	if ((e = agent_child_vault(c, &v, &err)) < 0) {
		logmsg("%s%s", err.msg,
		       e == -ESTALE ? ": the session agent locked itself; run "
				      "'secretctl unlock'"
				    : "");
	} else {
		vault_set_source(v, "mcp");
		rc = serve(&s, v);
	}
	for (size_t i = 0; i < s.nruns; i++)
		mcp_run_free(s.runs[i]);
	free(s.runs);
	if (s.sigfd >= 0)
		close(s.sigfd);
	close(fd);
	buf_release(&s.in);
	mcp_approver_release(&s.ap);
	vault_free(v);
	broker_free(s.b);
	return rc;
}

/* Serve through the session agent: the front here, the broker in a child of the agent, this
 * process relaying between them (it holds no key: it only passes typed messages on). */
static int through_agent(const struct mcp_server_opts *o, const char *dir, struct agent_conn *c)
{
	int sv[2];
	if (o->policy_path) {
		agent_conn_free(c);
		logmsg("--policy applies when the server unlocks the vault itself; the session "
		       "agent "
		       "judges by the policy loaded at 'secretctl unlock' (give --policy there), "
		       "or "
		       "drop --policy");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		agent_conn_free(c);
		logmsg("socketpair: %s", strerror(errno));
		return 1;
	}
	pid_t parent = getpid(), front = fork();
	if (front == 0) {
		close(sv[0]);
		agent_conn_free(c);
		front_main(sv[1], parent);
	}
	close(sv[1]);
	bool signalled = false;
	int rc = front < 0 ? 1 : mcp_relay_main(sv[0], dir, c, &signalled);
	if (front > 0 && signalled)
		kill(front, SIGTERM);
	close(sv[0]);
	int st;
	if (front > 0)
		(void)proc_wait(front, &st);
	return rc;
}

int mcp_server_main(const struct mcp_server_opts *o)
{
	/* No password given: the session agent, when one serves the vault. */
	const char *pw = secure_getenv(VAULT_PASSWORD_ENV);
	if (!o->password_file && !(pw && *pw)) {
		struct agent_conn *c = NULL;
		struct reterr aerr = RETERR_INIT;
		AUTO_FREE char *dir = vault_dir_default(NULL);
		int r = dir ? agent_connect(dir, &c, &aerr) : -ENOENT;
		if (r == 0)
			return through_agent(o, dir, c);
		if (r != -ENOENT)
			logmsg("%s", aerr.msg);
	}
	return serve_unlocked(o);
}

/* Serve with the password: unlock the vault in this process. */
static int serve_unlocked(const struct mcp_server_opts *o)
{
	struct reterr err = RETERR_INIT;
	struct server s = { .front = -1, .sigfd = -1, .in = BUF_INIT };
	struct broker_opts bo = {
		.source = "mcp",
		.policy_path = o->policy_path,
		.judge_commands = true,
		.policy_may_be_missing = true,
		.default_timeout_ms = MCP_RUN_TIMEOUT_DEFAULT_MS,
		.default_max_output = MCP_OUTPUT_DEFAULT,
		/* Runs the policy wants approved ask through the client when it can be asked
		 * (without a session agent there is no one else to ask). */
		.approve = mcp_approve,
		.approve_ctx = &s.ap,
	};
	int sv[2], st, rc;

	/* The policy (hostile input) is read and checked before anything else. */
	if (broker_new(&bo, &s.b, &err) < 0 || mcp_approver_init(&s.ap, s.b, NULL) < 0) {
		proc_scrub_env(VAULT_PASSWORD_ENV);
		logmsg("%s", err.msg[0] ? err.msg : "cannot initialise libsodium");
		broker_free(s.b);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		logmsg("socketpair: %s", strerror(errno));
		broker_free(s.b);
		return 1;
	}
	/* The front is forked before the password is read: it never holds it, nor the key. */
	pid_t parent = getpid();
	pid_t front = fork();
	if (front < 0) {
		logmsg("fork: %s", strerror(errno));
		broker_free(s.b);
		return 1;
	}
	if (front == 0) {
		close(sv[0]);
		front_main(sv[1], parent);
	}
	close(sv[1]);
	s.front = sv[0];
	rc = broker_main(&s, o);
	/* After a signal the front is asked to stop first (it would only report that the broker
	 * went away); closing the socket ends it otherwise. */
	if (s.signalled)
		kill(front, SIGTERM);
	close(s.front);
	for (size_t i = 0; i < s.nruns; i++)
		mcp_run_free(s.runs[i]);
	free(s.runs);
	(void)proc_wait(front, &st);
	if (rc == 0 && !s.signalled && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		if (WIFSIGNALED(st))
			logmsg("the front process was killed by signal %d%s", WTERMSIG(st),
			       WTERMSIG(st) == SIGSYS ? " (it made a forbidden system call)" : "");
		rc = 1;
	}
	if (s.sigfd >= 0)
		close(s.sigfd);
	buf_release(&s.in);
	mcp_approver_release(&s.ap);
	broker_free(s.b);
	return rc;
}
