/* SPDX-License-Identifier: Apache-2.0 */
/* agent: the daemon's poll loop over the listening socket, its connections, the control
 * channels of the children serving them, a signalfd (children ending, SIGTERM), a boot-time
 * timerfd (expiry even across a suspend, idle, request deadlines) and an inotify watch on the
 * vault and socket directories (a replaced vault file locks the agent at once). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "agent/agent-internal.h"

/* ---- children ---------------------------------------------------------------------------- */

/* Tell the client how its request ended. */
static void send_exit(int fd, int status)
{
	AUTO_BUF struct buf b = BUF_INIT;
	struct agent_enc e;
	agent_enc_begin(&e, &b, AGENT_M_EXIT);
	agent_enc_int(&e, AGENT_T_STATUS, status);
	if (agent_enc_end(&e) == 0)
		(void)agent_send(fd, &b, NULL, 0);
}

/* A child may write to its control channel just before it ends (a vault found replaced is
 * reported that way): read what it left before its slot goes, or the report is lost. */
static void drain_ctl(struct agent_state *a, struct agent_conn_slot *c)
{
	for (int k = 0; k < 64 && c->ctl >= 0; k++) {
		struct pollfd p = { .fd = c->ctl, .events = POLLIN };
		if (poll(&p, 1, 0) != 1)
			return;
		agent_ctl_input(a, c);
	}
}

static void reap(struct agent_state *a)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (size_t i = 0; i < AGENT_CONNS_MAX; i++) {
			struct agent_conn_slot *c = &a->conns[i];
			if (c->pid != pid)
				continue;
			c->pid = 0; /* reaped: no signal may go to its (reusable) pid */
			if (c->fd >= 0)
				send_exit(c->fd, st);
			if (c->exec)
				a->last_use = agent_boot_now();
			drain_ctl(a, c);
			agent_slot_close(c);
		}
	}
}

static void kill_late(struct agent_state *a, int64_t now)
{
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++) {
		struct agent_conn_slot *c = &a->conns[i];
		if (c->pid && c->hung && now >= c->deadline) {
			kill(c->pid, SIGKILL);
			c->hung = false;
		}
		if (!c->pid && c->fd >= 0 && now >= c->deadline)
			agent_slot_close(c); /* never sent its request */
	}
	if (a->locking && now >= a->lock_deadline)
		for (size_t i = 0; i < AGENT_CONNS_MAX; i++)
			if (a->conns[i].pid)
				kill(a->conns[i].pid, SIGKILL);
}

/* ---- time -------------------------------------------------------------------------------- */

static void check_limits(struct agent_state *a, int64_t now)
{
	if (a->locking)
		return;
	if (now >= a->expires)
		agent_lock(a, "its time limit (unlock --for) ran out");
	else if (a->idle_ms && !agent_busy(a) && now >= a->last_use + a->idle_ms)
		agent_lock(a, "it was idle for longer than unlock --idle");
}

static void min_at(int64_t *t, int64_t v)
{
	if (v > 0 && (*t == 0 || v < *t))
		*t = v;
}

/* Arm the timer for the next thing that has a time. */
static void arm(struct agent_state *a, int64_t now)
{
	int64_t next = 0;
	if (!a->locking) {
		min_at(&next, a->expires);
		if (a->idle_ms && !agent_busy(a))
			min_at(&next, a->last_use + a->idle_ms);
		if (a->full_until > now)
			min_at(&next, a->full_until);
	} else {
		min_at(&next, a->lock_deadline);
	}
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++) {
		const struct agent_conn_slot *c = &a->conns[i];
		if ((c->fd >= 0 && !c->pid) || c->hung)
			min_at(&next, c->deadline);
	}
	min_at(&next, agent_consent_deadline(a));
	if (next && next <= now)
		next = now + 1;
	struct itimerspec its = { .it_value = { .tv_sec = next / 1000,
						.tv_nsec = (long)(next % 1000) * 1000000 } };
	(void)timerfd_settime(a->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ---- watching the vault ----------------------------------------------------------------- */

static void watched(struct agent_state *a)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	bool look = false;
	while ((n = read(a->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT))
				agent_lock(a, "the vault directory was removed or moved");
			else
				look = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!look || a->locking)
		return;
	struct stat st;
	AUTO_FREE char *db = NULL;
	if (asprintf(&db, "%s/%s", a->vault_dir, VAULT_DB_NAME) < 0)
		return;
	if (lstat(db, &st) < 0 || st.st_dev != a->vault_dev || st.st_ino != a->vault_ino)
		agent_lock(a, "the vault file was replaced or removed");
	else if (lstat(a->sock, &st) < 0 || st.st_dev != a->sock_dev || st.st_ino != a->sock_ino)
		agent_lock(a, "its socket was removed");
}

/* ---- the loop ---------------------------------------------------------------------------- */

static void signalled(struct agent_state *a)
{
	struct signalfd_siginfo si;
	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(a);
		else
			agent_lock(a, "it was stopped by a signal");
	}
}

enum { FIXED = 4, NPOLL = FIXED + 2 * AGENT_CONNS_MAX };

static size_t fill_poll(struct agent_state *a, struct pollfd *p, struct agent_conn_slot **who,
			bool *is_ctl)
{
	size_t n = 0;
	p[n++] = (struct pollfd){ .fd = a->sigfd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = a->tfd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = a->ino, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = a->locking ? -1 : a->lfd, .events = POLLIN };
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++) {
		struct agent_conn_slot *c = &a->conns[i];
		if (c->fd >= 0) {
			who[n] = c;
			is_ctl[n] = false;
			p[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		}
		if (c->ctl >= 0) {
			who[n] = c;
			is_ctl[n] = true;
			p[n++] = (struct pollfd){ .fd = c->ctl, .events = POLLIN };
		}
	}
	return n;
}

static void dispatch(struct agent_state *a, struct pollfd *p, size_t n,
		     struct agent_conn_slot **who, const bool *is_ctl)
{
	if (p[0].revents)
		signalled(a);
	if (p[1].revents) {
		uint64_t ticks;
		(void)!read(a->tfd, &ticks, sizeof(ticks));
	}
	if (p[2].revents)
		watched(a);
	if (p[3].revents && !a->locking)
		agent_accept(a);
	for (size_t i = FIXED; i < n; i++) {
		/* A slot freed by an earlier event in this round is not looked at again. */
		if (!p[i].revents || (is_ctl[i] ? who[i]->ctl : who[i]->fd) != p[i].fd)
			continue;
		if (is_ctl[i])
			agent_ctl_input(a, who[i]);
		else
			agent_conn_input(a, who[i]);
	}
}

__attribute__((noreturn)) void agent_serve(struct agent_state *a)
{
	static struct pollfd p[NPOLL];
	static struct agent_conn_slot *who[NPOLL];
	static bool is_ctl[NPOLL];
	for (;;) {
		int64_t now = agent_boot_now();
		check_limits(a, now);
		kill_late(a, now);
		agent_consent_expire(a, now);
		if (a->locking && agent_serving(a) == 0)
			_exit(0);
		arm(a, now);
		size_t n = fill_poll(a, p, who, is_ctl);
		if (poll(p, n, -1) < 0) {
			if (errno != EINTR)
				agent_lock(a, "its poll loop failed");
			continue;
		}
		dispatch(a, p, n, who, is_ctl);
	}
}
