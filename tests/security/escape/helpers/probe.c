/* SPDX-License-Identifier: Apache-2.0 */
/* Escape-suite helper: each subcommand attempts one escape from inside the sandbox and prints
 * "denied <what>: <errno>" when the kernel refused, or "ESCAPED <what>" when it worked.
 * Exit 0 = refused, 1 = escaped, 2 = usage. Compiled by run.sh with cc. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int result(const char *what, long r)
{
	if (r < 0) {
		printf("denied %s: %s\n", what, strerror(errno));
		return 0;
	}
	printf("ESCAPED %s (returned %ld)\n", what, r);
	return 1;
}

static int sockets(const char *kind)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "1.1.1.1", &a.sin_addr);
	if (!strcmp(kind, "tcp")) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0)
			return result("tcp socket", -1);
		struct timeval tv = { 2, 0 };
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		return result("tcp connect 1.1.1.1:53", connect(s, (void *)&a, sizeof(a)));
	}
	if (!strcmp(kind, "udp")) {
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		if (s < 0)
			return result("udp socket", -1);
		return result("udp sendto 1.1.1.1:53", sendto(s, "x", 1, 0, (void *)&a, sizeof(a)));
	}
	return result("raw socket", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *cmd = argv[1];
	pid_t target = argc > 2 ? (pid_t)atoi(argv[2]) : 1;
	if (!strcmp(cmd, "ptrace"))
		return result("ptrace attach", ptrace(PTRACE_ATTACH, target, 0, 0));
	if (!strcmp(cmd, "vmread")) {
		char buf[16];
		struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x400000, sizeof(buf) };
		return result("process_vm_readv", process_vm_readv(target, &l, 1, &r, 1, 0));
	}
	if (!strcmp(cmd, "pidfd_getfd")) {
		int pfd = (int)syscall(SYS_pidfd_open, target, 0);
		return result("pidfd_getfd", pfd < 0 ? pfd : syscall(SYS_pidfd_getfd, pfd, 0, 0));
	}
	if (!strcmp(cmd, "tiocsti") || !strcmp(cmd, "tiocsti_hi")) {
		unsigned long req = TIOCSTI;
		if (!strcmp(cmd, "tiocsti_hi"))
			req |= 0x100000000ul; /* the kernel only looks at the low 32 bits */
		int rc = 0;
		char c = '#';
		rc |= result("TIOCSTI on fd 0", syscall(SYS_ioctl, 0, req, &c));
		int tty = open("/dev/tty", O_RDWR);
		if (tty >= 0)
			rc |= result("TIOCSTI on /dev/tty", syscall(SYS_ioctl, tty, req, &c));
		else
			printf("denied open /dev/tty: %s\n", strerror(errno));
		return rc;
	}
	if (!strcmp(cmd, "keyctl")) {
		/* KEYCTL_READ of the user keyring (-4) and the session keyring (-3). */
		char buf[256];
		int rc = result("keyctl read @u", syscall(SYS_keyctl, 11, -4, buf, sizeof(buf)));
		rc |= result("keyctl read @s", syscall(SYS_keyctl, 11, -3, buf, sizeof(buf)));
		rc |= result("add_key", syscall(SYS_add_key, "user", "x", "y", 1, -3));
		rc |= result("request_key", syscall(SYS_request_key, "user", "x", NULL, 0));
		return rc;
	}
	if (!strcmp(cmd, "io_uring")) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		return result("io_uring_setup", syscall(SYS_io_uring_setup, 4, &p));
	}
	if (!strcmp(cmd, "bpf"))
		return result("bpf", syscall(SYS_bpf, 0, NULL, 0));
	if (!strcmp(cmd, "perf")) {
		struct perf_event_attr a;
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_SOFTWARE;
		a.config = PERF_COUNT_SW_CPU_CLOCK;
		a.exclude_kernel = 1;
		return result("perf_event_open", syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
	}
	if (!strcmp(cmd, "userfaultfd"))
		return result("userfaultfd", syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */));
	if (!strcmp(cmd, "unshare")) {
		int rc = result("unshare user", unshare(CLONE_NEWUSER));
		rc |= result("unshare mount", unshare(CLONE_NEWNS));
		rc |= result("clone newuser",
			     syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
		return rc;
	}
	if (!strcmp(cmd, "setns")) {
		int fd = open("/proc/1/ns/mnt", O_RDONLY);
		return result("setns", fd < 0 ? fd : setns(fd, 0));
	}
	if (!strcmp(cmd, "mount")) {
		int rc = result("mount tmpfs", mount("x", "/mnt", "tmpfs", 0, NULL));
		rc |= result("umount /proc", umount2("/proc", MNT_DETACH));
		rc |= result("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
		rc |= result("open_tree", syscall(SYS_open_tree, -100, "/", 1 /* CLONE */));
		rc |= result("chroot", chroot("/tmp"));
		return rc;
	}
	if (!strcmp(cmd, "x32"))
		return result("x32 getpid", syscall(0x40000000 | SYS_getpid));
	if (!strcmp(cmd, "personality"))
		return result("personality ADDR_NO_RANDOMIZE", personality(ADDR_NO_RANDOMIZE));
	if (!strcmp(cmd, "tcp") || !strcmp(cmd, "udp") || !strcmp(cmd, "raw"))
		return sockets(cmd);
	if (!strcmp(cmd, "kill"))
		return result("kill supervisor", kill(target, SIGTERM));
	if (!strcmp(cmd, "rlimit_core")) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		return result("raise RLIMIT_CORE", setrlimit(RLIMIT_CORE, &rl));
	}
	if (!strcmp(cmd, "family") && argc > 2) {
		/* Socket families a command never needs: refused (EAFNOSUPPORT), whatever the
		 * network namespace. AF_VSOCK reaches the hypervisor from a VM. */
		if (!strcmp(argv[2], "vsock"))
			return result("socket(AF_VSOCK)",
				      socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
		if (!strcmp(argv[2], "vsock-pair")) {
			int sv[2];
			return result("socketpair(AF_VSOCK)", socketpair(40, SOCK_STREAM, 0, sv));
		}
		if (!strcmp(argv[2], "packet"))
			return result("socket(AF_PACKET)", socket(AF_PACKET, SOCK_RAW, 0));
		if (!strcmp(argv[2], "netlink-audit"))
			return result("socket(AF_NETLINK, NETLINK_AUDIT)",
				      socket(AF_NETLINK, SOCK_RAW, 9 /* NETLINK_AUDIT */));
		if (!strcmp(argv[2], "family-hi-bits"))
			return result("socket(AF_VSOCK | 1 << 32)",
				      syscall(SYS_socket, 40L | (1L << 32), (long)SOCK_STREAM, 0L));
		return 2;
	}
	if (!strcmp(cmd, "connect") && argc > 2) {
		/* A host service's unix socket: connecting must fail (hidden or covered). A name
		 * starting with '@' is an abstract socket. */
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		if (strlen(argv[2]) >= sizeof(a.sun_path))
			return 2;
		memcpy(a.sun_path, argv[2], strlen(argv[2]) + 1);
		socklen_t alen = sizeof(a);
		if (argv[2][0] == '@') {
			a.sun_path[0] = '\0';
			alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					   strlen(argv[2]));
		}
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s < 0)
			return result("unix socket", -1);
		char what[160];
		snprintf(what, sizeof(what), "connect %s", argv[2]);
		return result(what, connect(s, (void *)&a, alen));
	}
	if (!strcmp(cmd, "forkcount") && argc > 2) {
		/* Fork idle children until the kernel refuses or the cap is reached; report how
		 * many there were, then take them down again. */
		long cap = strtol(argv[2], NULL, 10), n = 0;
		pid_t *kids = calloc((size_t)cap, sizeof(*kids));
		if (!kids)
			return 2;
		int err = 0;
		while (n < cap) {
			pid_t p = fork();
			if (p == 0) {
				pause();
				_exit(0);
			}
			if (p < 0) {
				err = errno;
				break;
			}
			kids[n++] = p;
		}
		for (long i = 0; i < n; i++)
			kill(kids[i], SIGKILL);
		while (wait(NULL) > 0)
			;
		if (n >= cap) {
			printf("ESCAPED no process limit: %ld forks\n", n);
			return 1;
		}
		printf("bounded at %ld\n", n);
		fprintf(stderr, "fork: %s\n", strerror(err));
		return 0;
	}
	if (!strcmp(cmd, "membomb")) {
		/* Touch memory until the address-space limit stops us. */
		size_t total = 0;
		for (;;) {
			char *p = malloc(16 << 20);
			if (!p)
				break;
			memset(p, 1, 16 << 20);
			total += 16;
			if (total > 64 * 1024) { /* 64 GiB: no limit applied */
				printf("ESCAPED memory limit\n");
				return 1;
			}
		}
		printf("denied memory bomb stopped at %zu MiB\n", total);
		return 0;
	}
	if (!strcmp(cmd, "coredump")) {
		/* Crash with the secret in memory; the runner checks no core file appears. */
		const char *s = getenv("SCTL_SECRET");
		char *copy = s ? strdup(s) : NULL;
		(void)copy;
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		setrlimit(RLIMIT_CORE, &rl);
		raise(SIGSEGV);
		return 1;
	}
	return 2;
}
