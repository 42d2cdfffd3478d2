/* SPDX-License-Identifier: Apache-2.0 */
/* agent state: the daemon's clocks, its connection slots, what it says about itself, locking
 * (keys wiped first, socket removed, children ended), and setting it all up: signals, the
 * boot-time timer and the watch on the vault and socket directories. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>

#include "agent/agent-internal.h"

int64_t agent_now(void)
{
	return clock_now();
}

int64_t agent_boot_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- slots ------------------------------------------------------------------------------- */

struct agent_conn_slot *agent_slot_new(struct agent_state *a)
{
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++)
		if (a->conns[i].fd < 0 && !a->conns[i].pid) {
			a->conns[i] = (struct agent_conn_slot){ .fd = -1,
								.ctl = -1,
								.serial = ++a->next_serial };
			return &a->conns[i];
		}
	return NULL;
}

void agent_slot_close(struct agent_conn_slot *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->ctl >= 0)
		close(c->ctl);
	*c = (struct agent_conn_slot){ .fd = -1, .ctl = -1 };
}

bool agent_busy(const struct agent_state *a)
{
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++)
		if (a->conns[i].pid && a->conns[i].exec)
			return true;
	for (size_t i = 0; i < AGENT_PENDING_MAX; i++)
		if (a->pending[i].id)
			return true; /* someone waits for the person: not idle */
	return false;
}

unsigned agent_serving(const struct agent_state *a)
{
	unsigned n = 0;
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++)
		n += a->conns[i].pid != 0;
	return n;
}

/* ---- info -------------------------------------------------------------------------------- */

static int64_t wall(const struct agent_state *a, int64_t boot)
{
	return a->started + (boot - a->boot0 + 999) / 1000;
}

static bool policy_changed(const struct agent_state *a)
{
	struct stat st;
	if (!a->policy)
		return lstat(a->policy_path, &st) == 0; /* it exists now */
	return lstat(a->policy_path, &st) < 0 || st.st_dev != a->policy_st.st_dev ||
	       st.st_ino != a->policy_st.st_ino || st.st_size != a->policy_st.st_size ||
	       st.st_mtim.tv_sec != a->policy_st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != a->policy_st.st_mtim.tv_nsec;
}

void agent_state_info(const struct agent_state *a, struct agent_info *ret)
{
	int64_t now = agent_boot_now();
	memset(ret, 0, sizeof(*ret));
	ret->pid = getpid();
	ret->scope = now < a->full_until ? AGENT_SCOPE_FULL : AGENT_SCOPE_AGENT;
	ret->started = a->started;
	ret->expires = wall(a, a->expires);
	ret->full_until = now < a->full_until ? wall(a, a->full_until) : 0;
	ret->idle_s = a->idle_ms / 1000;
	/* While a command runs the idle limit waits; this is when it locks if nothing more
	 * happens after what is running now. */
	ret->idle_at = a->idle_ms ? wall(a, a->last_use + a->idle_ms) : 0;
	ret->serving = agent_serving(a);
	for (size_t i = 0; i < AGENT_PENDING_MAX; i++)
		ret->pending += a->pending[i].id != 0;
	for (size_t i = 0; i < AGENT_GRANTS_MAX; i++)
		ret->grants +=
			a->grants[i].id && a->grants[i].runs != 0 && now < a->grants[i].until;
	snprintf(ret->vault_dir, sizeof(ret->vault_dir), "%s", a->vault_dir);
	snprintf(ret->socket, sizeof(ret->socket), "%s", a->sock);
	snprintf(ret->policy, sizeof(ret->policy), "%s", a->policy_path ? a->policy_path : "");
	ret->policy_loaded = a->policy != NULL;
	ret->policy_changed = a->policy_path && policy_changed(a);
}

/* ---- locking ----------------------------------------------------------------------------- */

void agent_lock(struct agent_state *a, const char *why)
{
	struct stat st;
	if (a->locking)
		return;
	a->locking = true;
	snprintf(a->lock_reason, sizeof(a->lock_reason), "%s", why);
	/* The keys first: whatever happens next, this process holds none. */
	a->keys = vault_keys_free(a->keys);
	a->policy = policy_free(a->policy);
	if (lstat(a->sock, &st) == 0 && st.st_dev == a->sock_dev && st.st_ino == a->sock_ino)
		unlink(a->sock);
	if (a->lfd >= 0)
		close(a->lfd);
	a->lfd = -1;
	a->lock_deadline = agent_boot_now() + AGENT_LOCK_GRACE_S * 1000;
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++) {
		struct agent_conn_slot *c = &a->conns[i];
		if (c->pid && !c->ends_itself)
			kill(c->pid, SIGTERM);
		else if (c->fd >= 0)
			agent_slot_close(c);
	}
}

/* ---- setting up --------------------------------------------------------------------------- */

static int watch(struct agent_state *a, struct reterr *err)
{
	uint32_t mask = IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF |
			IN_MOVE_SELF | IN_ONLYDIR;
	if ((a->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(a->ino, a->vault_dir, mask) < 0)
		return reterr_set(err, -errno, "cannot watch %s: %s", a->vault_dir,
				  strerror(errno));
	AUTO_FREE char *sdir = strdup(a->sock);
	char *slash = sdir ? strrchr(sdir, '/') : NULL;
	if (!slash)
		return reterr_set(err, -ENOMEM, "out of memory");
	*slash = '\0';
	if (strcmp(sdir, a->vault_dir) && inotify_add_watch(a->ino, sdir, mask) < 0)
		return reterr_set(err, -errno, "cannot watch %s: %s", sdir, strerror(errno));
	return 0;
}

static int files(struct agent_state *a, struct reterr *err)
{
	struct stat st;
	AUTO_FREE char *db = NULL;
	if (asprintf(&db, "%s/%s", a->vault_dir, VAULT_DB_NAME) < 0)
		return reterr_set(err, -ENOMEM, "out of memory");
	if (lstat(db, &st) < 0)
		return reterr_set(err, -errno, "cannot stat %s: %s", db, strerror(errno));
	a->vault_dev = st.st_dev;
	a->vault_ino = st.st_ino;
	if (lstat(a->sock, &st) < 0)
		return reterr_set(err, -errno, "cannot stat %s: %s", a->sock, strerror(errno));
	a->sock_dev = st.st_dev;
	a->sock_ino = st.st_ino;
	if (a->policy && a->policy_path && lstat(a->policy_path, &a->policy_st) < 0)
		memset(&a->policy_st, 0, sizeof(a->policy_st));
	return 0;
}

static int signals(struct agent_state *a, struct reterr *err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (a->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (a->tfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK)) < 0)
		return reterr_set(err, -errno, "cannot set up signals and timers: %s",
				  strerror(errno));
	return 0;
}

static void state_free(struct agent_state *a)
{
	vault_keys_free(a->keys);
	policy_free(a->policy);
	free(a->path);
	free(a->vault_dir);
	free(a->sock);
	free(a->policy_path);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->tfd >= 0)
		close(a->tfd);
	if (a->ino >= 0)
		close(a->ino);
	free(a);
}

int agent_state_new(const struct agent_opts *o, int lfd, const char *sock, struct vault_keys *keys,
		    struct policy *policy, const char *policy_path, struct agent_state **ret,
		    struct reterr *err)
{
	struct agent_state *a = calloc(1, sizeof(*a));
	int e;
	if (!a) {
		vault_keys_free(keys);
		policy_free(policy);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	a->keys = keys;
	a->policy = policy;
	a->lfd = lfd;
	a->sigfd = a->tfd = a->ino = -1;
	a->ops = o->ops;
	for (size_t i = 0; i < AGENT_CONNS_MAX; i++)
		a->conns[i] = (struct agent_conn_slot){ .fd = -1, .ctl = -1 };
	a->started = agent_now();
	a->boot0 = agent_boot_now();
	a->expires = a->boot0 + o->for_s * 1000;
	a->idle_ms = o->idle_s * 1000;
	a->last_use = a->boot0;
	a->full_until = o->full_s ? a->boot0 + o->full_s * 1000 : 0;
	/* Agent-scope requests run with this PATH, not the client's (docs/agent.md). */
	const char *path = getenv("PATH");
	a->path = strdup(path && *path ? path : POLICY_DEFAULT_PATH);
	a->vault_dir = strdup(o->vault_dir);
	a->sock = strdup(sock);
	a->policy_path = policy_path ? strdup(policy_path) : NULL;
	if (!a->path || !a->vault_dir || !a->sock || (policy_path && !a->policy_path)) {
		e = reterr_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((e = files(a, err)) < 0 || (e = signals(a, err)) < 0 || (e = watch(a, err)) < 0)
		goto fail;
	*ret = a;
	return 0;
fail:
	state_free(a);
	return e;
}
