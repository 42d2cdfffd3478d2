/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: the child side of a run. Sets up the sandbox in a fixed order, every step checked,
 * reporting a failure to the parent as {stage, errno} before _exit; then, as pid 1 of the new pid
 * namespace, forks the command and stays as its init (forwarding signals, reaping orphans). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>

#include <sys/capability.h>

#include "supervisor/supervisor-internal.h"

__attribute__((noreturn)) static void fail(const struct sup_child *c, int stage, int err, int code)
{
	struct sup_report rep = { stage, err };
	/* One write below PIPE_BUF is atomic; nothing useful to do if it fails. */
	ssize_t n = write(c->report_w, &rep, sizeof(rep));
	(void)n;
	_exit(code);
}

#define CHECK(c, cond, stage)                                        \
	do {                                                         \
		if (!(cond))                                         \
			fail((c), (stage), errno, SUP_EXIT_FAILURE); \
	} while (0)

static void setup_userns(const struct sup_child *c)
{
	int stage;
	if (sup_write_id_maps(c->uid, c->gid, &stage) < 0)
		fail(c, stage, errno, SUP_EXIT_FAILURE);
}

static void hide_path(const struct sup_child *c, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		/* Nothing there, or nothing we could reach anyway (the child has less than us). */
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
			return;
		fail(c, SUP_ST_HIDE, errno, SUP_EXIT_FAILURE);
	}
	if (S_ISDIR(st.st_mode)) {
		/* An empty, read-only, mode-000 tmpfs: the directory exists but shows nothing. */
		CHECK(c,
		      mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			    "size=4k,nr_inodes=1,mode=000") == 0,
		      SUP_ST_HIDE);
	} else {
		CHECK(c, mount("/dev/null", path, NULL, MS_BIND, NULL) == 0, SUP_ST_HIDE);
	}
}

/* Host services that run whatever they are asked to, outside any sandbox, for whoever can
 * connect: the system and session buses (systemd-run), systemd's private socket, container
 * engines (a privileged container), the X server (keystrokes into other windows). Connecting to
 * a unix socket needs no write access to its mount, so even strict mode would leave them open.
 * Directories turn into an empty tmpfs, sockets into /dev/null. The caller's /run/user/<uid>
 * (session bus, systemd --user, gpg-agent, wayland, pipewire) is added at run time. */
static const char *const ipc_paths[] = {
	"/run/dbus",
	"/run/systemd/private",
	"/run/docker.sock",
	"/var/run/docker.sock",
	"/run/docker",
	"/run/containerd",
	"/run/podman",
	"/run/crio",
	"/run/libvirt",
	"/run/snapd.socket",
	"/run/snapd-snap.socket",
	"/tmp/.X11-unix",
	"/tmp/.ICE-unix",
};

/* Create the directories of path that are missing (the private /tmp starts empty). */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char save = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		buf[i] = save;
	}
	return 0;
}

/* Detached copies of the writable paths, taken while they are still writable and visible
 * (before / turns read-only and /tmp is replaced), attached again afterwards. */
#define WRITABLE_MAX (SUP_PATHS_MAX + 1)

static size_t clone_writable(const struct sup_child *c, int *fds, const char **paths)
{
	const struct sup_opts *o = &c->spec->opts;
	size_t n = 0;
	if (o->cwd)
		paths[n++] = o->cwd;
	for (size_t i = 0; o->writable && o->writable[i] && n < WRITABLE_MAX; i++)
		paths[n++] = o->writable[i];
	for (size_t i = 0; i < n; i++) {
		fds[i] = open_tree(AT_FDCWD, paths[i],
				   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fds[i] < 0 && errno != ENOENT)
			fail(c, SUP_ST_WRITABLE, errno, SUP_EXIT_FAILURE);
	}
	return n;
}

static void attach_writable(const struct sup_child *c, const int *fds, const char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		CHECK(c, mkdir_p(paths[i]) == 0, SUP_ST_WRITABLE);
		CHECK(c, move_mount(fds[i], "", AT_FDCWD, paths[i], MOVE_MOUNT_F_EMPTY_PATH) == 0,
		      SUP_ST_WRITABLE);
		close(fds[i]);
	}
}

/* PTY mode: the command's terminal is made in the sandbox's own devpts, so it is /dev/pts/0
 * inside (ttyname() and tty work) and no host terminal is reachable; the master goes back to the
 * supervisor over the socket. TIOCGPTPEER opens the slave through the master, never by name. */
static void make_pty(struct sup_child *c)
{
	int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(c, m >= 0, SUP_ST_PTY);
	int unlock = 0;
	CHECK(c, ioctl(m, TIOCSPTLCK, &unlock) == 0, SUP_ST_PTY);
	int slave = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(c, slave >= 0, SUP_ST_PTY);
	/* The command's terminal starts like the caller's (modes and size). */
	if (c->pty_tio_set)
		(void)tcsetattr(slave, TCSANOW, &c->pty_tio);
	if (c->pty_ws_set)
		(void)ioctl(slave, TIOCSWINSZ, &c->pty_ws);
	char byte = 'm';
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &m, sizeof(int));
	CHECK(c, sendmsg(c->pty_sock, &msg, MSG_NOSIGNAL) == 1, SUP_ST_PTY);
	close(m);
	close(c->pty_sock);
	c->pty_sock = -1;
	c->pty_slave = slave;
}

/* A /dev of our own, as bwrap's --dev: a tmpfs with the harmless character devices bound in
 * from the host, a devpts instance and a /dev/shm of its own. Without it a root command (no
 * capabilities, but still uid 0 for file permissions) could open the disks and read or rewrite
 * them under any hidden path. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static void setup_dev(struct sup_child *c)
{
	int fds[ARRAY_SIZE(dev_nodes)];
	char path[64];
	/* Detached copies of the nodes first: the tmpfs hides the originals. */
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		fds[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0 && errno != ENOENT)
			fail(c, SUP_ST_DEV, errno, SUP_EXIT_FAILURE);
	}
	CHECK(c,
	      mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    "mode=0755,size=64k,nr_inodes=64") == 0,
	      SUP_ST_DEV);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		if (fds[i] < 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		/* An empty regular file as the mount point (no CAP_MKNOD needed for S_IFREG). */
		CHECK(c, mknod(path, S_IFREG | 0666, 0) == 0, SUP_ST_DEV);
		CHECK(c, move_mount(fds[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) == 0,
		      SUP_ST_DEV);
		close(fds[i]);
	}
	static const char *const links[][2] = {
		{ "/proc/self/fd", "/dev/fd" },	      { "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
		{ "pts/ptmx", "/dev/ptmx" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		CHECK(c, symlink(links[i][0], links[i][1]) == 0, SUP_ST_DEV);
	CHECK(c, mkdir("/dev/pts", 0755) == 0 && mkdir("/dev/shm", 01777) == 0, SUP_ST_DEV);
	/* A devpts of its own: the command can make terminals (script, ssh -t) but cannot open
	 * anyone else's. No gid= option: group 5 may not exist in a user namespace. */
	CHECK(c,
	      mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=0620") == 0,
	      SUP_ST_DEV);
	if (c->pty_sock >= 0)
		make_pty(c);
	CHECK(c, mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") == 0,
	      SUP_ST_DEV);
}

/* Make the mount at path read-only, with everything mounted below it. */
static void make_ro(const struct sup_child *c, const char *path)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	CHECK(c, mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)) == 0,
	      SUP_ST_KERNFS_RO);
}

/* The kernel's own knobs: uid 0 may write most of /proc/sys and /sys by file permission alone,
 * capabilities or not (core_pattern, sysrq-trigger, cgroup.procs ...). The whole fresh /proc
 * turns read-only, not just /proc/sys and friends: one mount flag instead of a bind mount per
 * path, each of which costs again when the namespace is torn down. */
static void kernfs_ro(const struct sup_child *c)
{
	struct statfs fs;
	/* Only a real sysfs mount: on a bare directory mount_setattr would hit the root mount. */
	if (statfs("/sys", &fs) == 0 && fs.f_type == SYSFS_MAGIC)
		make_ro(c, "/sys");
	make_ro(c, "/proc");
}

/* The pid namespace's own pid_max (Linux >= 6.14) caps the number of pids, i.e. processes and
 * threads, in the sandbox: the fork-bomb bound for root, where RLIMIT_NPROC does not apply.
 * Written while we still hold CAP_SYS_ADMIN, read back, and then made read-only with the rest of
 * /proc/sys (uid 0 may otherwise write it back up without any capability). */
static void set_pid_max(const struct sup_child *c)
{
	char want[24], got[24];
	int n = snprintf(want, sizeof(want), "%llu", (unsigned long long)c->pid_max);
	int fd = open("/proc/sys/kernel/pid_max", O_RDWR | O_CLOEXEC);
	CHECK(c, fd >= 0, SUP_ST_PID_MAX);
	CHECK(c, n > 0 && write(fd, want, (size_t)n) == n, SUP_ST_PID_MAX);
	ssize_t r = pread(fd, got, sizeof(got) - 1, 0);
	CHECK(c, r > 0, SUP_ST_PID_MAX);
	got[r] = '\0';
	errno = EIO;
	CHECK(c, strtoull(got, NULL, 10) == c->pid_max, SUP_ST_PID_MAX);
	close(fd);
}

/* The throwaway $HOME layer (standard): an overlay whose upper layer is a tmpfs that vanishes
 * with the mount namespace, so tools can write their caches and settings (~/.cache, ~/.npm,
 * ~/.config) while ~/.bashrc, ~/.ssh/authorized_keys, ~/.config/systemd/user and the like
 * stay as they were on the host. The staging tmpfs lives in the fresh /tmp and is detached
 * once the overlay holds it. A $HOME whose path overlayfs cannot take (',' ':' '\\') stays
 * read-only instead. */
/* A $HOME under /tmp, /var/tmp or /dev/shm (a CI job's, a test's) would vanish under the
 * private tmpfs: a detached copy taken before is put back, read-only like the rest. */
static bool under_private_tmp(const char *path)
{
	static const char *const tmps[] = { "/tmp/", "/var/tmp/", "/dev/shm/" };
	for (size_t i = 0; i < ARRAY_SIZE(tmps); i++)
		if (str_has_prefix(path, tmps[i]))
			return true;
	return false;
}

static int clone_home(const struct sup_child *c)
{
	if (!c->home[0] || !under_private_tmp(c->home))
		return -1;
	int fd = open_tree(AT_FDCWD, c->home, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0 && errno != ENOENT && errno != EACCES)
		fail(c, SUP_ST_HOME, errno, SUP_EXIT_FAILURE);
	return fd;
}

static void restore_home(const struct sup_child *c, int fd)
{
	if (fd < 0)
		return;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	CHECK(c, mkdir_p(c->home) == 0, SUP_ST_HOME);
	CHECK(c, move_mount(fd, "", AT_FDCWD, c->home, MOVE_MOUNT_F_EMPTY_PATH) == 0, SUP_ST_HOME);
	CHECK(c, mount_setattr(AT_FDCWD, c->home, AT_RECURSIVE, &attr, sizeof(attr)) == 0,
	      SUP_ST_HOME);
	close(fd);
}

static void home_layer(const struct sup_child *c)
{
	static const char stage[] = "/tmp/.secretctl-home-layer";
	char opts[3 * 4096 + 128];
	const char *h = c->home;
	struct stat st;
	if (!h[0] || strpbrk(h, ",:\\") || stat(h, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	/* A $HOME that is a private tmp directory itself is a throwaway already. */
	if (!strcmp(h, "/tmp") || !strcmp(h, "/var/tmp") || !strcmp(h, "/dev/shm"))
		return;
	CHECK(c, mkdir(stage, 0700) == 0, SUP_ST_HOME);
	CHECK(c, mount("tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") == 0,
	      SUP_ST_HOME);
	CHECK(c,
	      mkdir("/tmp/.secretctl-home-layer/upper", 0700) == 0 &&
		      mkdir("/tmp/.secretctl-home-layer/work", 0700) == 0,
	      SUP_ST_HOME);
	/* The upper layer's root takes the lower directory's owner and mode, as $HOME had them
	 * (an owner or group this user namespace does not map stays ours: EINVAL). */
	if (chown("/tmp/.secretctl-home-layer/upper", st.st_uid, st.st_gid) < 0 &&
	    chown("/tmp/.secretctl-home-layer/upper", st.st_uid, (gid_t)-1) < 0)
		CHECK(c, errno == EINVAL, SUP_ST_HOME);
	CHECK(c, chmod("/tmp/.secretctl-home-layer/upper", st.st_mode & 07777) == 0, SUP_ST_HOME);
	int n = snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", h,
			 stage, stage);
	errno = ENAMETOOLONG;
	CHECK(c, n > 0 && (size_t)n < sizeof(opts) - 16, SUP_ST_HOME);
	/* In a user namespace overlayfs keeps its metadata in user.* xattrs. */
	if (mount("overlay", h, "overlay", MS_NOSUID | MS_NODEV, opts) < 0) {
		memcpy(opts + n, ",userxattr", 11);
		CHECK(c, mount("overlay", h, "overlay", MS_NOSUID | MS_NODEV, opts) == 0,
		      SUP_ST_HOME);
	}
	CHECK(c, umount2(stage, MNT_DETACH) == 0 && rmdir(stage) == 0, SUP_ST_HOME);
}

/* Every host unix socket bound when the run started (the parent read /proc/net/unix) is covered
 * by /dev/null, except those the caller allowed: by construction, not by a list of services
 * (tmux, screen, an ssh ControlMaster, an IDE helper, a user's own service...). Connecting to a
 * socket needs no write access to its mount, so read-only mounts alone would not stop it. */
static void cover_sockets(const struct sup_child *c)
{
	for (char **p = c->cover_sockets; p && *p; p++) {
		struct stat st;
		/* Gone, hidden already, or not reachable by us (the child has less than us). */
		if (lstat(*p, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (mount("/dev/null", *p, NULL, MS_BIND, NULL) < 0 && errno != ENOENT &&
		    errno != EACCES)
			fail(c, SUP_ST_SOCKETS, errno, SUP_EXIT_FAILURE);
	}
}

static void setup_mounts(struct sup_child *c)
{
	const struct sup_opts *o = &c->spec->opts;
	/* Nothing we mount may propagate back to the host's mount namespace. */
	CHECK(c, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, SUP_ST_MOUNT_PRIVATE);
	if (c->prot & SUP_PROT_DEV)
		setup_dev(c);
	if (c->prot & SUP_PROT_READONLY) {
		int fds[WRITABLE_MAX];
		const char *paths[WRITABLE_MAX];
		size_t nw = clone_writable(c, fds, paths);
		int home_fd = clone_home(c);
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		CHECK(c, mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) == 0,
		      SUP_ST_READONLY);
		static const char *const tmps[] = { "/tmp", "/var/tmp", "/dev/shm" };
		for (size_t i = 0; i < ARRAY_SIZE(tmps); i++) {
			if (mount("tmpfs", tmps[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") <
				    0 &&
			    errno != ENOENT)
				fail(c, SUP_ST_TMP, errno, SUP_EXIT_FAILURE);
		}
		restore_home(c, home_fd);
		if (c->prot & SUP_PROT_HOME_LAYER)
			home_layer(c);
		attach_writable(c, fds, paths, nw);
	}
	/* Hidden paths last: the $HOME layer shows its lower directory without the mounts below
	 * it, and the writable clones were taken before anything was hidden, so either could
	 * bring the vault directory back if it were hidden first. */
	for (size_t i = 0; o->hidden && o->hidden[i]; i++)
		hide_path(c, o->hidden[i]);
	if (c->prot & SUP_PROT_IPC) {
		for (size_t i = 0; i < ARRAY_SIZE(ipc_paths); i++)
			hide_path(c, ipc_paths[i]);
		hide_path(c, c->run_user_dir);
	}
	if (c->prot & SUP_PROT_SOCKETS)
		cover_sockets(c);
	/* A /proc of the new pid namespace: our supervisor and every other host process vanish. */
	CHECK(c, mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0,
	      SUP_ST_PROC);
	if (c->prot & SUP_PROT_PID_MAX)
		set_pid_max(c);
	if (c->prot & SUP_PROT_KERNFS_RO)
		kernfs_ro(c);
}

static void setup_loopback(const struct sup_child *c)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(c, s >= 0, SUP_ST_NET);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	CHECK(c, ioctl(s, SIOCGIFFLAGS, &ifr) == 0, SUP_ST_NET);
	ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
	CHECK(c, ioctl(s, SIOCSIFFLAGS, &ifr) == 0, SUP_ST_NET);
	close(s);
}

static void setup_rlimits(const struct sup_child *c)
{
	/* hard = soft everywhere, so the command cannot raise any of them back. The core limit is
	 * 1, not 0: 0 stops core files but not a core_pattern helper ("|/usr/lib/systemd/
	 * systemd-coredump ..." stores the crashing process's environment, its secrets, in the
	 * journal), while 1 stops both (the kernel refuses a pipe dump at exactly 1, and a core
	 * file is never that small). The seccomp filter keeps the command from lowering it. */
	CHECK(c, setrlimit(RLIMIT_CORE, &c->rl_core) == 0, SUP_ST_RLIMIT);
	CHECK(c, setrlimit(RLIMIT_NOFILE, &c->rl_nofile) == 0, SUP_ST_RLIMIT);
	CHECK(c, setrlimit(RLIMIT_NPROC, &c->rl_nproc) == 0, SUP_ST_RLIMIT);
	CHECK(c, setrlimit(RLIMIT_FSIZE, &c->rl_fsize) == 0, SUP_ST_RLIMIT);
	/* RLIMIT_AS is set by the command itself, just before execve (see exec_command). */
}

static void drop_caps(const struct sup_child *c)
{
	/* Lock root out of its special cases before the sets are emptied (needs CAP_SETPCAP). */
	unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
			     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
			     SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	CHECK(c, prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) == 0, SUP_ST_SECUREBITS);
	int max = cap_max_bits();
	for (int cap = 0; cap < max; cap++)
		CHECK(c, cap_drop_bound((cap_value_t)cap) == 0, SUP_ST_CAPS);
	/* One call (libcap's cap_reset_ambient asks about every capability first). */
	CHECK(c, prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0, SUP_ST_CAPS);
	cap_t empty = cap_init();
	CHECK(c, empty != NULL, SUP_ST_CAPS);
	CHECK(c, cap_set_proc(empty) == 0, SUP_ST_CAPS);
	cap_free(empty);
}

/* Landlock scopes (ABI 6): the sandbox can neither connect to an abstract unix socket made
 * outside it nor signal a process outside it. An empty ruleset otherwise: no filesystem or
 * network rules. The struct is spelled out because the build's kernel headers may predate it. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0)
#define LL_SCOPE_SIGNAL (1ull << 1)

static void landlock_scope(const struct sup_child *c)
{
	struct ll_ruleset_attr attr = { 0, 0, LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL };
	long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	CHECK(c, fd >= 0, SUP_ST_LANDLOCK);
	CHECK(c, syscall(SYS_landlock_restrict_self, (int)fd, 0) == 0, SUP_ST_LANDLOCK);
	close((int)fd);
}

static int move_high(int fd)
{
	/* Keep the fds we dup onto 0/1/2 out of that range first, so no dup2 clobbers another. */
	if (fd < 0 || fd > 2)
		return fd;
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void exec_path(const char *path, char *const *argv, char *const *envp)
{
	execve(path, argv, envp);
	if (errno != ENOEXEC)
		return;
	/* A script without "#!": run it with /bin/sh, as execvp(3) does. */
	static char *sh_argv[SUP_ARGV_MAX + 2];
	size_t n = 0;
	sh_argv[n++] = (char *)"sh";
	sh_argv[n++] = (char *)path;
	for (size_t i = 1; argv[i] && n < ARRAY_SIZE(sh_argv) - 1; i++)
		sh_argv[n++] = argv[i];
	sh_argv[n] = NULL;
	execve("/bin/sh", sh_argv, envp);
	errno = ENOEXEC;
}

/* execvp(3) semantics, but searching the PATH of the command's environment (execvpe would use
 * ours). Returns the errno to report: EACCES if an existing candidate was not executable, else
 * the last failure (ENOENT when nothing was found). */
static int exec_search(char *const *argv, char *const *envp)
{
	const char *name = argv[0];
	if (strchr(name, '/')) {
		exec_path(name, argv, envp);
		return errno;
	}
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	for (size_t i = 0; envp[i]; i++)
		if (str_has_prefix(envp[i], "PATH="))
			path = envp[i] + 5;
	size_t nlen = strlen(name);
	bool eacces = false;
	int last = ENOENT;
	char full[PATH_MAX];
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		if (dlen == 0) { /* an empty entry means the current directory */
			p = ".";
			dlen = 1;
		}
		if (dlen + 1 + nlen < sizeof(full)) {
			memcpy(full, p, dlen);
			full[dlen] = '/';
			memcpy(full + dlen + 1, name, nlen + 1);
			exec_path(full, argv, envp);
			/* A directory we cannot search is "not there" (as in a shell), not
			 * "cannot execute": only an existing file counts as EACCES. */
			if (errno == EACCES)
				eacces = eacces || access(full, F_OK) == 0;
			else if (errno != ENOENT && errno != ENOTDIR)
				last = errno;
		}
		if (!*end)
			break;
		p = end;
	}
	return eacces ? EACCES : last;
}

/* Become the command: session, terminal, stdio, fds, then execve. */
__attribute__((noreturn)) static void exec_command(const struct sup_child *c)
{
	sigset_t none;
	sigemptyset(&none);
	/* The supervisor ignores SIGPIPE and blocks the forwarded signals; the command starts
	 * with the defaults (ignored dispositions survive execve, handlers do not). */
	CHECK(c, signal(SIGPIPE, SIG_DFL) != SIG_ERR, SUP_ST_SIGNALS);
	CHECK(c, sigprocmask(SIG_SETMASK, &none, NULL) == 0, SUP_ST_SIGNALS);
	CHECK(c, setsid() >= 0, SUP_ST_SETSID);
	int in = c->in_r, out = c->out_w, err = c->err_w;
	if (c->pty_slave >= 0) {
		CHECK(c, ioctl(c->pty_slave, TIOCSCTTY, 0) == 0, SUP_ST_CTTY);
		in = out = err = c->pty_slave;
	}
	CHECK(c, (in = move_high(in)) >= 0, SUP_ST_STDIO);
	CHECK(c, (out = move_high(out)) >= 0, SUP_ST_STDIO);
	CHECK(c, (err = move_high(err)) >= 0, SUP_ST_STDIO);
	CHECK(c, dup2(in, 0) == 0 && dup2(out, 1) == 1 && dup2(err, 2) == 2, SUP_ST_STDIO);
	/* Everything but 0/1/2 closes at execve: the report pipe stays usable until then, and a
	 * successful execve closes it, which is how the parent learns the command started. */
	CHECK(c, close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) == 0, SUP_ST_CLOSE_RANGE);
	/* The address-space limit is the command's (rlimits are per process, not shared through
	 * vfork): the init, whose memory the command borrows until execve, stays outside it, so a
	 * runtime that maps memory on the init's behalf meanwhile (ASan remaps shadow around
	 * vfork) cannot fail under a small --limit as. hard = soft, like the others. */
	if (c->set_as)
		CHECK(c, setrlimit(RLIMIT_AS, &c->rl_as) == 0, SUP_ST_RLIMIT);
	int e;
	if (c->spec->exec_file) {
		struct stat st;
		/* The file judged must be the file that runs: a symlink swapped since is refused. */
		if ((c->spec->exec_dev || c->spec->exec_ino) &&
		    (stat(c->spec->exec_file, &st) < 0 ||
		     (uint64_t)st.st_dev != c->spec->exec_dev ||
		     (uint64_t)st.st_ino != c->spec->exec_ino))
			fail(c, SUP_ST_EXEC, ESTALE, SUP_EXIT_NOEXEC);
		exec_path(c->spec->exec_file, c->spec->argv, c->envp);
		e = errno;
	} else {
		e = exec_search(c->spec->argv, c->envp);
	}
	fail(c, SUP_ST_EXEC, e, e == ENOENT ? SUP_EXIT_NOTFOUND : SUP_EXIT_NOEXEC);
}

/* pid 1 of the sandbox: forwards signals sent from outside to every process inside, reaps
 * orphans, and when the command exits reports its status and exits, which makes the kernel kill
 * whatever is left in the namespace (a daemon cannot outlive the run). */
__attribute__((noreturn)) static void init_loop(const struct sup_child *c, pid_t cmd, int sfd)
{
	for (;;) {
		struct signalfd_siginfo si;
		if (fd_read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			_exit(SUP_EXIT_FAILURE);
		if (si.ssi_signo == SIGCHLD) {
			int st;
			pid_t p;
			while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
				if (p != cmd)
					continue;
				int32_t v = st;
				ssize_t w = write(c->status_w, &v, sizeof(v));
				(void)w;
				_exit(0);
			}
			continue;
		}
		/* Only signals from outside the namespace (pid 0 here) are forwarded: processes
		 * inside cannot use the init to signal each other. */
		if (si.ssi_pid == 0)
			(void)kill(-1, (int)si.ssi_signo);
	}
}

void sup_child_main(const struct sup_child *parent_view)
{
	/* Our own copy (the parent's is its stack, copied by the clone anyway): setup fills in
	 * what it creates here, such as the terminal. */
	struct sup_child local = *parent_view;
	struct sup_child *c = &local;
	bool sandbox = c->spec->opts.profile != SUP_PROFILE_OFF;
	/* If the supervisor dies, so does the sandbox (its init takes the namespace along). */
	CHECK(c, prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0, SUP_ST_PARENT);

	if (c->new_userns)
		setup_userns(c);
	if (c->prot & SUP_PROT_MNTNS)
		setup_mounts(c);
	if (c->prot & SUP_PROT_NETNS)
		setup_loopback(c);
	if (c->spec->opts.cwd)
		CHECK(c, chdir(c->spec->opts.cwd) == 0, SUP_ST_CHDIR);
	if (c->prot & SUP_PROT_KEYRING)
		CHECK(c, syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) >= 0,
		      SUP_ST_KEYRING);
	setup_rlimits(c);
	if (c->prot & SUP_PROT_CAPS)
		drop_caps(c);
	if (c->prot & SUP_PROT_NNP)
		CHECK(c, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, SUP_ST_NNP);
	if (c->prot & SUP_PROT_SCOPE)
		landlock_scope(c);
	if (c->prot & SUP_PROT_SECCOMP)
		CHECK(c, prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, c->seccomp, 0, 0) == 0,
		      SUP_ST_SECCOMP);
	/* Wait for the go byte only now, right before anything can create a process: the
	 * supervisor attaches us to the pids cgroup while the setup above runs (on another CPU),
	 * and EOF tells us that it died. */
	char go;
	ssize_t n = fd_read(c->go_r, &go, 1);
	if (n != 1)
		fail(c, SUP_ST_PARENT, n < 0 ? (int)-n : EPIPE, SUP_EXIT_FAILURE);
	close(c->go_r);
	if (c->probe)
		_exit(0);
	if (!sandbox)
		exec_command(c);

	/* The init: every signal goes to a signalfd (pid 1 ignores default-action signals, so
	 * blocking them is what makes forwarding possible). */
	sigset_t all;
	sigfillset(&all);
	CHECK(c, sigprocmask(SIG_SETMASK, &all, NULL) == 0, SUP_ST_SIGNALS);
	int sfd = signalfd(-1, &all, SFD_CLOEXEC);
	CHECK(c, sfd >= 0, SUP_ST_SIGNALS);
	/* vfork: the command borrows our memory until its execve instead of copying the page
	 * tables of a whole supervisor (and exec then tearing that copy down again), which is a
	 * good part of a short command's start-up. The init is suspended meanwhile; the command
	 * only makes system calls and writes memory the init does not use again before its
	 * execve or _exit. */
	pid_t cmd = vfork();
	CHECK(c, cmd >= 0, SUP_ST_FORK);
	if (cmd == 0) {
		close(sfd);
		exec_command(c);
	}
	/* The command holds the report pipe until its execve; the init keeps nothing but its
	 * status pipe and signalfd (a copy of the supervisor's end of a pipe would keep the
	 * command from ever seeing EOF on its stdin). */
	int keep_lo = c->status_w < sfd ? c->status_w : sfd;
	int keep_hi = c->status_w < sfd ? sfd : c->status_w;
	if (keep_lo > 0)
		(void)close_range(0, (unsigned)keep_lo - 1, 0);
	if (keep_hi - keep_lo > 1)
		(void)close_range((unsigned)keep_lo + 1, (unsigned)keep_hi - 1, 0);
	(void)close_range((unsigned)keep_hi + 1, ~0u, 0);
	/* The command has its own memory now (execve done or failed). Our copy-on-write snapshot
	 * of the supervisor still maps its secure regions: the environment block, and whatever else
	 * the caller holds (redaction values, vault keys). Drop them all: from here on the init holds
	 * no secret bytes while the command runs. */
	secure_forget_all();
	init_loop(c, cmd, sfd);
}
