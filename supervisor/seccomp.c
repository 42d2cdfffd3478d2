/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: the seccomp filter. The rules below, written for libseccomp, are the source of
 * truth; compiled with -DSUP_SECCOMP_GEN this file is the build-time generator that turns them
 * into BPF ($(BUILD)/supervisor/seccomp-bpf.inc), and the library only hands that constant
 * program to the child: no libseccomp, allocation or code generation at run time. */
#include <errno.h>
#include <string.h>

#include "supervisor/supervisor-internal.h"

#ifdef SUP_SECCOMP_GEN
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/netlink.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

/* Syscalls answered with EPERM. Each lets a process escape or see past the sandbox: read or write
 * another process (ptrace family), reach kernel-wide state (keyrings, bpf, perf, modules),
 * rearrange the filesystem view (mount API, pivot_root, chroot), leave the namespaces
 * (unshare, setns), run syscalls the filter never sees (io_uring), or stall the kernel on our
 * behalf (userfaultfd). */
static const char *const denied[] = {
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"process_madvise",
	"pidfd_getfd",
	"kcmp",
	"keyctl",
	"add_key",
	"request_key",
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"mount",
	"umount2",
	"fsopen",
	"fsmount",
	"fsconfig",
	"fspick",
	"move_mount",
	"open_tree",
	"mount_setattr",
	"pivot_root",
	"chroot",
	"unshare",
	"setns",
	"open_by_handle_at",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"reboot",
	"swapon",
	"swapoff",
	"acct",
	"iopl",
	"ioperm",
	"quotactl",
	"lookup_dcookie",
	"vhangup",
	"syslog",
	"uselib",
	"_sysctl",
	"nfsservctl",
	"move_pages",
	"migrate_pages",
	"fanotify_init",
	"name_to_handle_at",
	"settimeofday",
	"clock_settime",
	"clock_adjtime",
	"adjtimex",
	"sethostname",
	"setdomainname",
	"landlock_create_ruleset",
};

/* Namespace flags refused on clone(2) (clone3 gets ENOSYS so libc falls back to clone, whose
 * flags are a plain register seccomp can inspect). */
static const uint64_t clone_ns_flags[] = { CLONE_NEWNS,	 CLONE_NEWCGROUP, CLONE_NEWUTS,
					   CLONE_NEWIPC, CLONE_NEWUSER,	  CLONE_NEWPID,
					   CLONE_NEWNET };

/* Terminal ioctls that push input into, or re-line-discipline, a terminal. The kernel compares
 * only the low 32 bits of the command, so the rule masks: an equality match on 64 bits would be
 * bypassed by setting a high bit. */
static const uint64_t tty_denied[] = { TIOCSTI, TIOCLINUX, TIOCSETD };

static int build(scmp_filter_ctx ctx, struct reterr *err)
{
	int r;
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
		return reterr_set(err, r, "seccomp: bad-arch action: %s", strerror(-r));
	/* A binary tree over syscall numbers instead of one comparison per rule in a row: every
	 * system call the command makes walks ~10 instructions instead of up to ~150, and so does
	 * the kernel when it precomputes its allow cache for each syscall at load time. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		return reterr_set(err, r, "seccomp: optimize attribute: %s", strerror(-r));
	/* We set no_new_privs ourselves, in its place in the setup order. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return reterr_set(err, r, "seccomp: nnp attribute: %s", strerror(-r));
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture (e.g. iopl elsewhere) */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			return reterr_set(err, r, "seccomp: rule %s: %s", denied[i], strerror(-r));
	}
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
		return reterr_set(err, r, "seccomp: clone3: %s", strerror(-r));
	for (size_t i = 0; i < ARRAY_SIZE(clone_ns_flags); i++) {
		uint64_t f = clone_ns_flags[i];
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					  SCMP_A0(SCMP_CMP_MASKED_EQ, f, f))) < 0)
			return reterr_set(err, r, "seccomp: clone flags: %s", strerror(-r));
	}
	for (size_t i = 0; i < ARRAY_SIZE(tty_denied); i++) {
		if ((r = seccomp_rule_add(
			     ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
			     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, tty_denied[i]))) < 0)
			return reterr_set(err, r, "seccomp: ioctl: %s", strerror(-r));
	}
	/* Socket families: only what commands need (unix, IPv4, IPv6, and netlink's routing
	 * protocol, which getaddrinfo and `ip` use). The rest answer EAFNOSUPPORT as if the kernel
	 * lacked them, as container runtimes do: AF_VSOCK reaches the hypervisor whatever the
	 * network namespace (it does not separate vsock ports), packet sockets read the wire, and
	 * rarely used families are where kernel bugs live. The family is an int: compared on its
	 * low 32 bits, the ones the kernel reads. Values from 64 up are refused by the kernel. */
	for (uint64_t fam = 0; fam < 64; fam++) {
		if (fam == AF_UNIX || fam == AF_INET || fam == AF_INET6)
			continue;
		if (fam == AF_NETLINK) {
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
						  SCMP_SYS(socket), 2,
						  SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, fam),
						  /* any bit set: the low 32 cannot all be 0 */
						  SCMP_A2(SCMP_CMP_NE, NETLINK_ROUTE))) < 0)
				return reterr_set(err, r, "seccomp: socket: %s", strerror(-r));
			continue;
		}
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
					  SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, fam))) < 0)
			return reterr_set(err, r, "seccomp: socket: %s", strerror(-r));
	}
	/* socketpair is only ever AF_UNIX. */
	for (uint64_t fam = 0; fam < 64; fam++) {
		if (fam == AF_UNIX)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socketpair),
					  1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, fam))) < 0)
			return reterr_set(err, r, "seccomp: socketpair: %s", strerror(-r));
	}
	/* The core limit is 1 (see setup_rlimits): no core file, and no core-dump helper either
	 * (systemd-coredump would store the command's environment, its secrets, in the journal).
	 * Lowering it to 0 would bring the helper back, so the command may not change it. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setrlimit), 1,
				  SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, RLIMIT_CORE))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prlimit64), 2,
				  SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, RLIMIT_CORE),
				  SCMP_A2(SCMP_CMP_NE, 0))) < 0)
		return reterr_set(err, r, "seccomp: core limit: %s", strerror(-r));
	/* personality: EPERM unless the argument is 0, PER_LINUX32, UNAME26 or both. libseccomp
	 * allows one comparison per argument and rule, so: anything above 0x20008, or any bit
	 * below it other than the two allowed ones. (This also refuses the 0xffffffff query.) */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
				  SCMP_A0(SCMP_CMP_GT, 0x20008))) < 0)
		return reterr_set(err, r, "seccomp: personality: %s", strerror(-r));
	for (unsigned bit = 0; bit < 17; bit++) {
		uint64_t m = 1ull << bit;
		if (m == 0x8)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
					  SCMP_A0(SCMP_CMP_MASKED_EQ, m, m))) < 0)
			return reterr_set(err, r, "seccomp: personality: %s", strerror(-r));
	}
	return 0;
}

/* The confined process (sup_confine_self): an allow list of I/O on descriptors it already holds
 * and memory management. What would let a compromised process act on the system (exec, new
 * processes, files, sockets, signals to others, tracing) kills it; anything else not listed
 * fails with EPERM, so an unforeseen library call is an error, not a crash. */
static const char *const confine_allowed[] = {
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"poll",
	"ppoll",
	"close",
	"brk",
	"munmap",
	"mremap",
	"madvise",
	"exit",
	"exit_group",
	"rt_sigreturn",
	"rt_sigprocmask",
	"clock_gettime",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
	"getpid",
	"gettid",
	"getrandom",
	"futex",
	"restart_syscall",
	"fcntl",
	"lseek",
	"sigaltstack",
	"sched_yield",
};
static const char *const confine_killed[] = {
	"execve",
	"execveat",
	"fork",
	"vfork",
	"clone",
	"clone3",
	"ptrace",
	"socket",
	"socketpair",
	"connect",
	"bind",
	"listen",
	"accept",
	"accept4",
	"sendto",
	"sendmsg",
	"open",
	"openat",
	"openat2",
	"creat",
	"unlink",
	"unlinkat",
	"rename",
	"renameat",
	"renameat2",
	"mkdir",
	"mkdirat",
	"symlink",
	"symlinkat",
	"link",
	"linkat",
	"chmod",
	"fchmod",
	"fchmodat",
	"chown",
	"fchown",
	"fchownat",
	"truncate",
	"ftruncate",
	"kill",
	"tkill",
	"tgkill",
	"process_vm_readv",
	"process_vm_writev",
	"pidfd_open",
	"pidfd_getfd",
	"pidfd_send_signal",
	"memfd_create",
	"io_uring_setup",
	"bpf",
	"userfaultfd",
	"perf_event_open",
	"mount",
	"unshare",
	"setns",
	"prctl",
	"seccomp",
	"ioctl",
	"mknod",
	"mknodat",
};

static int build_confine(scmp_filter_ctx ctx, struct reterr *err)
{
	int r;
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return reterr_set(err, r, "seccomp: attributes: %s", strerror(-r));
	for (size_t i = 0; i < ARRAY_SIZE(confine_allowed); i++) {
		int nr = seccomp_syscall_resolve_name(confine_allowed[i]);
		if (nr != __NR_SCMP_ERROR && (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			return reterr_set(err, r, "seccomp: rule %s: %s", confine_allowed[i],
					  strerror(-r));
	}
	for (size_t i = 0; i < ARRAY_SIZE(confine_killed); i++) {
		int nr = seccomp_syscall_resolve_name(confine_killed[i]);
		if (nr != __NR_SCMP_ERROR &&
		    (r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0)) < 0)
			return reterr_set(err, r, "seccomp: rule %s: %s", confine_killed[i],
					  strerror(-r));
	}
	/* Memory, but never executable memory: no new code can be mapped or made runnable. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))) < 0)
		return reterr_set(err, r, "seccomp: mmap rules: %s", strerror(-r));
	return 0;
}

/* Generator: build one filter ("sandbox", the default, or "confine"), export it as BPF and
 * print it as C initialisers on stdout. */
int main(int argc, char **argv)
{
	bool confine = argc > 1 && !strcmp(argv[1], "confine");
	/* The sandbox: default ALLOW with a deny list keeps ordinary programs working; the
	 * filter's job is to close the escape routes, the namespaces and the capability drop do
	 * the rest. The confined process: an allow list (see build_confine). */
	scmp_filter_ctx ctx = seccomp_init(confine ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW);
	struct reterr err = RETERR_INIT;
	struct sock_filter *f = NULL;
	struct stat st;
	int memfd = -1, rc = 1;
	if (!ctx || (confine ? build_confine(ctx, &err) : build(ctx, &err)) < 0) {
		fprintf(stderr, "seccomp-gen: %s\n", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	memfd = memfd_create("secretctl-seccomp", MFD_CLOEXEC);
	if (memfd < 0 || seccomp_export_bpf(ctx, memfd) < 0 || fstat(memfd, &st) < 0 ||
	    st.st_size <= 0 || (size_t)st.st_size % sizeof(struct sock_filter) != 0 ||
	    (size_t)st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		fprintf(stderr, "seccomp-gen: exporting the filter failed\n");
		goto out;
	}
	size_t len = (size_t)st.st_size, n = len / sizeof(struct sock_filter);
	f = malloc(len);
	if (!f || pread(memfd, f, len, 0) != (ssize_t)len) {
		fprintf(stderr, "seccomp-gen: reading the exported filter failed\n");
		goto out;
	}
	printf("/* Generated by seccomp-gen from supervisor/seccomp.c (libseccomp %u.%u.%u); "
	       "do not edit. */\n",
	       seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
	for (size_t i = 0; i < n; i++)
		printf("{ 0x%04x, %u, %u, 0x%08x },\n", f[i].code, f[i].jt, f[i].jf, f[i].k);
	rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
out:
	free(f);
	if (memfd >= 0)
		close(memfd);
	if (ctx)
		seccomp_release(ctx);
	return rc;
}

#else /* the library side */

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/seccomp.h>

#if __has_include("seccomp-bpf.inc") && __has_include("seccomp-confine-bpf.inc")
static const struct sock_filter filter[] = {
#include "seccomp-bpf.inc"
};
static const struct sock_filter confine_filter[] = {
#include "seccomp-confine-bpf.inc"
};
_Static_assert(ARRAY_SIZE(confine_filter) <= BPF_MAXINSNS, "seccomp filter too long");

int sup_confine_self(struct reterr *err)
{
	static const struct sock_fprog prog = { .len = (unsigned short)ARRAY_SIZE(confine_filter),
						.filter = (struct sock_filter *)confine_filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return reterr_set(err, -errno, "no_new_privs: %s", strerror(errno));
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return reterr_set(err, -errno, "seccomp: %s", strerror(errno));
	return 0;
}
_Static_assert(ARRAY_SIZE(filter) <= BPF_MAXINSNS, "seccomp filter too long");

int sup_seccomp_prog(const struct sock_fprog **ret, struct reterr *err)
{
	/* The kernel copies the program at PR_SET_SECCOMP and never writes through the pointer. */
	static const struct sock_fprog prog = { .len = (unsigned short)ARRAY_SIZE(filter),
						.filter = (struct sock_filter *)filter };
	(void)err;
	*ret = &prog;
	return 0;
}
#else
/* Built without the generated filters (the fuzz build compiles the sources directly): no sandbox
 * can be set up and no process confined; both fail closed. */
int sup_seccomp_prog(const struct sock_fprog **ret, struct reterr *err)
{
	(void)ret;
	return reterr_set(err, -ENOSYS, "seccomp: this build has no filter");
}

int sup_confine_self(struct reterr *err)
{
	return reterr_set(err, -ENOSYS, "seccomp: this build has no filter");
}
#endif

#endif
