/* SPDX-License-Identifier: Apache-2.0 */
/* agent connections: the peer's uid is checked (SO_PEERCRED) before anything is said, the agent
 * introduces itself with a fresh nonce, reads one request (its descriptors checked one by one,
 * its body from a sealed memfd, its proof of the password checked) and forks the child that
 * serves it. Afterwards the connection carries the client's signals to the child, and the
 * child's control channel its questions to the agent. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agent/agent-internal.h"

/* ---- talking ----------------------------------------------------------------------------- */

static void refuse(int fd, const char *why)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	agent_enc_begin(&e, &b, AGENT_M_REFUSED);
	agent_enc_cstr(&e, AGENT_T_REASON, why);
	if (agent_enc_end(&e) == 0)
		(void)agent_send(fd, &b, NULL, 0);
}

static int hello(struct agent_state *a, struct agent_conn_slot *c)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	struct agent_info in;
	agent_state_info(a, &in);
	randombytes_buf(c->nonce, sizeof(c->nonce));
	agent_enc_begin(&e, &b, AGENT_M_HELLO);
	agent_info_encode(&e, &in);
	agent_enc_str(&e, AGENT_T_NONCE, c->nonce, sizeof(c->nonce));
	int r = agent_enc_end(&e);
	return r < 0 ? r : agent_send(c->fd, &b, NULL, 0);
}

void agent_accept(struct agent_state *a)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred) ||
	    cred.uid != geteuid()) {
		char why[128];
		snprintf(why, sizeof(why), "uid %u is not the uid of this agent (%u)",
			 (unsigned)cred.uid, (unsigned)geteuid());
		refuse(fd, why);
		close(fd);
		return;
	}
	struct agent_conn_slot *c = agent_slot_new(a);
	if (!c) {
		refuse(fd, "too many connections: try again when a request has finished");
		close(fd);
		return;
	}
	c->fd = fd;
	c->deadline = agent_boot_now() + AGENT_REQUEST_WAIT_S * 1000;
	if (hello(a, c) < 0)
		agent_slot_close(c);
}

/* ---- a request --------------------------------------------------------------------------- */

struct request {
	int type;
	int fds[AGENT_FDS_MAX];
	size_t nfds;
	char **argv, **env;
	enum agent_scope scope;
};

static void request_release(struct request *q)
{
	for (size_t i = 0; i < q->nfds; i++)
		if (q->fds[i] >= 0)
			close(q->fds[i]);
	q->nfds = 0;
	q->argv = strv_free(q->argv);
	q->env = strv_free(q->env);
}

/* The body of an EXEC: a memfd sealed against any change, so what is checked is what runs. */
static int read_body(int fd, struct buf *b)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	int need = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
	if (seals < 0 || (seals & need) != need || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || st.st_size > (off_t)AGENT_BODY_MAX)
		return -EPROTO;
	size_t n = (size_t)st.st_size, off = 0;
	char *p = malloc(n + 1);
	if (!p)
		return -ENOMEM;
	while (off < n) {
		ssize_t k = pread(fd, p + off, n - off, (off_t)off);
		if (k <= 0) {
			free(p);
			return k < 0 ? -errno : -EPROTO;
		}
		off += (size_t)k;
	}
	buf_release(b);
	b->data = p;
	b->len = n;
	b->cap = n + 1;
	p[n] = '\0';
	return 0;
}

static bool fd_is(int fd, mode_t type)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (type == 0 || (st.st_mode & S_IFMT) == type);
}

/* EXEC: stdin, stdout, stderr, cwd (a directory), body (a sealed memfd), [tty]. */
static const char *take_exec(struct agent_state *a, struct agent_conn_slot *c,
			     const struct agent_msg *m, struct request *q)
{
	AUTO_BUF struct buf body = BUF_INIT;
	struct agent_msg bm;
	if (q->nfds < 5 || q->nfds > 6)
		return "a command needs 5 or 6 descriptors";
	for (size_t i = 0; i < q->nfds; i++)
		if (!fd_is(q->fds[i], i == 3 ? S_IFDIR : 0))
			return "a descriptor of the request is unusable";
	if (q->nfds == 6 && !isatty(q->fds[5]))
		return "the terminal descriptor is not a terminal";
	if (read_body(q->fds[4], &body) < 0 || agent_msg_decode(body.data, body.len, &bm) < 0 ||
	    bm.type != AGENT_M_BODY)
		return "the request's body is malformed";
	if (agent_msg_strv(&bm, AGENT_T_ARGV, AGENT_ARGS_MAX, &q->argv) < 0 || !q->argv ||
	    !q->argv[0] || agent_msg_strv(&bm, AGENT_T_ENV, AGENT_ENV_MAX, &q->env) < 0)
		return "the request's arguments are malformed";
	q->scope = agent_boot_now() < a->full_until ? AGENT_SCOPE_FULL : AGENT_SCOPE_AGENT;
	const struct agent_field *proof = agent_msg_get(m, AGENT_T_PROOF, AGENT_K_STR);
	if (proof) {
		/* The client unlocked the vault with the password: full scope for this request. */
		AUTO_BUF struct buf msg = BUF_INIT;
		if (proof->len != VAULT_PROOF_BYTES ||
		    buf_append(&msg, c->nonce, sizeof(c->nonce)) < 0 ||
		    buf_append(&msg, body.data, body.len) < 0 ||
		    !vault_keys_proof_check(a->keys, msg.data, msg.len,
					    (const unsigned char *)proof->str))
			return "the proof of the password does not verify";
		q->scope = AGENT_SCOPE_FULL;
	}
	return NULL;
}

static const char *take(struct agent_state *a, struct agent_conn_slot *c, struct request *q)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_msg m;
	int r = agent_recv(c->fd, &b, q->fds, &q->nfds);
	if (r == -EAGAIN)
		return "";
	if (r < 0 || agent_msg_decode(b.data, b.len, &m) < 0)
		return r == -ENODATA ? NULL : "malformed request";
	q->type = m.type;
	switch (m.type) {
	case AGENT_M_EXEC: return take_exec(a, c, &m, q);
	case AGENT_M_MCP:
		if (q->nfds != 2 || !fd_is(q->fds[0], S_IFSOCK) || !fd_is(q->fds[1], 0))
			return "an MCP broker needs its socket and stderr";
		q->scope = AGENT_SCOPE_AGENT; /* what the MCP server may do, never more */
		return NULL;
	case AGENT_M_LOCK: return q->nfds ? "a lock request carries no descriptors" : NULL;
	default: return "unknown request";
	}
}

/* ---- the child ----------------------------------------------------------------------------- */

/* Move the received descriptors out of the way of 0, 1 and 2 (and of each other). */
static int lift(struct request *q)
{
	for (size_t i = 0; i < q->nfds; i++) {
		int fd = fcntl(q->fds[i], F_DUPFD_CLOEXEC, 10);
		if (fd < 0)
			return -errno;
		close(q->fds[i]);
		q->fds[i] = fd;
	}
	return 0;
}

/* The client's environment, minus the passwords, with the agent's vault (and, in the agent
 * scope, the agent's PATH: the client's would choose which file a policy entry names). */
static int environment(const struct agent_state *a, const struct request *q)
{
	if (clearenv() != 0)
		return -ENOMEM;
	for (size_t i = 0; q->env && q->env[i]; i++) {
		const char *kv = q->env[i], *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			continue;
		AUTO_FREE char *name = strndup(kv, (size_t)(eq - kv));
		if (!name || !env_name_valid(name) || !strcmp(name, VAULT_PASSWORD_ENV) ||
		    !strcmp(name, "SECRETCTL_NEW_PASSWORD"))
			continue;
		if (setenv(name, eq + 1, 1) < 0)
			return -ENOMEM;
	}
	if (setenv(VAULT_DIR_ENV, a->vault_dir, 1) < 0)
		return -ENOMEM;
	if (q->scope != AGENT_SCOPE_FULL && setenv("PATH", a->path, 1) < 0)
		return -ENOMEM;
	return 0;
}

static int child_exec(struct agent_state *a, struct request *q, struct agent_child *ch)
{
	if (lift(q) < 0 || dup2(q->fds[0], 0) < 0 || dup2(q->fds[1], 1) < 0 ||
	    dup2(q->fds[2], 2) < 0 || fchdir(q->fds[3]) < 0)
		return 125;
	for (size_t i = 0; i < 5; i++) {
		close(q->fds[i]);
		q->fds[i] = -1;
	}
	if (environment(a, q) < 0) {
		(void)!write(2, "secretctl: agent: out of memory\n", 32);
		return 125;
	}
	ch->tty = q->nfds == 6 ? q->fds[5] : -1;
	int argc = (int)strv_len(q->argv);
	return a->ops->exec(ch, argc, q->argv);
}

static int child_mcp(struct agent_state *a, struct request *q, struct agent_child *ch)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || lift(q) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(q->fds[1], 2) < 0)
		return 1;
	ch->tty = -1;
	return a->ops->mcp(ch, q->fds[0]);
}

/* In the child: drop everything of the agent that is not this request's, serve, exit. */
__attribute__((noreturn)) static void child_main(struct agent_state *a, struct agent_conn_slot *me,
						 struct request *q, int ctl, pid_t agent)
{
	sigset_t none;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != agent)
		_exit(125);
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++)
		if (&a->conns[i] != me && (a->conns[i].fd >= 0 || a->conns[i].ctl >= 0)) {
			if (a->conns[i].fd >= 0)
				close(a->conns[i].fd);
			if (a->conns[i].ctl >= 0)
				close(a->conns[i].ctl);
		}
	close(me->fd);
	close(a->lfd);
	close(a->sigfd);
	close(a->tfd);
	close(a->ino);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct agent_child ch = {
		.ctl = ctl,
		.scope = q->scope,
		.vault_dir = a->vault_dir,
		.path = a->path,
		.keys = a->keys,
		.policy = a->policy,
		.policy_path = a->policy_path,
		.tty = -1,
	};
	int rc = q->type == AGENT_M_EXEC ? child_exec(a, q, &ch) : child_mcp(a, q, &ch);
	fflush(NULL); /* what the command printed through stdio */
	_exit(rc & 0xff);
}

static void start_child(struct agent_state *a, struct agent_conn_slot *c, struct request *q)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		refuse(c->fd, "cannot serve the request now (out of descriptors?)");
		agent_slot_close(c);
		return;
	}
	pid_t agent = getpid(), pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child_main(a, c, q, sv[1], agent);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		refuse(c->fd, "cannot serve the request now (fork failed)");
		agent_slot_close(c);
		return;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->ctl = sv[0];
	c->scope = q->scope;
	c->exec = q->type == AGENT_M_EXEC;
	a->last_use = agent_boot_now();
}

/* ---- input ----------------------------------------------------------------------------- */

static void running_input(struct agent_state *a, struct agent_conn_slot *c)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_msg m;
	(void)a;
	int r = agent_recv(c->fd, &b, NULL, &(size_t){ 0 });
	if (r == -EAGAIN)
		return;
	if (r < 0) {
		/* The client left: the request is hung up on, as a terminal would. */
		close(c->fd);
		c->fd = -1;
		kill(c->pid, SIGHUP);
		c->hung = true;
		c->deadline = agent_boot_now() + AGENT_HANGUP_GRACE_S * 1000;
		return;
	}
	if (agent_msg_decode(b.data, b.len, &m) < 0 || m.type != AGENT_M_SIGNAL)
		return;
	int sig = (int)agent_msg_int(&m, AGENT_T_SIGNO, 0);
	if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT || sig == SIGWINCH)
		kill(c->pid, sig);
}

void agent_conn_input(struct agent_state *a, struct agent_conn_slot *c)
{
	if (c->pid) {
		running_input(a, c);
		return;
	}
	struct request q = { 0 };
	const char *why = take(a, c, &q);
	if (why && !*why)
		return; /* nothing yet */
	if (!why && q.type == 0) {
		agent_slot_close(c); /* it left without asking */
	} else if (why) {
		refuse(c->fd, why);
		agent_slot_close(c);
	} else if (q.type == AGENT_M_LOCK) {
		/* Locking closes this connection too, once the keys are wiped and the socket is
		 * gone: its end tells the client. */
		agent_lock(a, "secretctl lock");
	} else if (a->locking) {
		refuse(c->fd, "the agent is locking");
		agent_slot_close(c);
	} else {
		start_child(a, c, &q);
	}
	request_release(&q);
}

/* ---- the children's questions ----------------------------------------------------------- */

static void answer_info(struct agent_state *a, struct agent_conn_slot *c)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	struct agent_info in;
	agent_state_info(a, &in);
	agent_enc_begin(&e, &b, AGENT_M_INFO);
	agent_info_encode(&e, &in);
	if (agent_enc_end(&e) == 0)
		(void)agent_send(c->ctl, &b, NULL, 0);
}

void agent_ctl_input(struct agent_state *a, struct agent_conn_slot *c)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_msg m;
	int r = agent_recv(c->ctl, &b, NULL, &(size_t){ 0 });
	if (r == -EAGAIN)
		return;
	if (r < 0) {
		close(c->ctl); /* the child closed it (it is ending) */
		c->ctl = -1;
		return;
	}
	if (agent_msg_decode(b.data, b.len, &m) < 0)
		return;
	switch (m.type) {
	case AGENT_M_STATUS: answer_info(a, c); break;
	case AGENT_M_TOUCH: a->last_use = agent_boot_now(); break;
	case AGENT_M_STALE:
		c->ends_itself = true; /* it says why to its client, then ends */
		agent_lock(a, "the vault was replaced or its password changed");
		break;
	case AGENT_M_LOCK:
		c->ends_itself = true;
		agent_lock(a, "secretctl lock");
		break;
	case AGENT_M_ASK: agent_consent_ask(a, c, &b, &m); break;
	case AGENT_M_PENDING: agent_consent_list(a, c, &m); break;
	case AGENT_M_DECIDE: agent_consent_decide(a, c, &m); break;
	case AGENT_M_GRANT: agent_consent_grant(a, c, &m); break;
	case AGENT_M_GRANTS: agent_consent_grants(a, c, &m); break;
	case AGENT_M_REVOKE: agent_consent_revoke(a, c, &m); break;
	default: break;
	}
}
