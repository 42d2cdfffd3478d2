/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for supervisor/: spec building, environment cleaning, exit-code mapping, the seccomp
 * filter (a forked child tries the syscalls), and runs through sup_run in each profile. */
#include <stdio.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor/supervisor-internal.h"
#include "tests/unit/unit.h"

/* String literals are const (-Wwrite-strings); argv/envp vectors are not. */
#define A(s) ((char *)(s))

struct cap {
	struct buf out, err;
	unsigned idle_calls;
	bool eof[3];
	int fail_with; /* sink returns this once output arrives */
};

static int cap_out(void *ctx, struct sup_out *io, enum sup_stream s, const void *p, size_t n)
{
	struct cap *c = ctx;
	(void)io;
	if (!n) {
		c->eof[s] = true;
		return 0;
	}
	if (c->fail_with)
		return c->fail_with;
	return buf_append(s == SUP_STDOUT ? &c->out : &c->err, p, n);
}

static int cap_idle(void *ctx, struct sup_out *io)
{
	(void)io;
	((struct cap *)ctx)->idle_calls++;
	return 0;
}

/* Run argv in profile p, capture output; returns sup_exit_code. */
static int run_cmd(enum sup_profile p, char *const *argv, char *const *envp, struct sup_opts *extra,
		   struct cap *c, struct sup_result *res)
{
	struct sup_spec *s = sup_spec_new(argv);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sup_spec_env_base(s, envp), 0);
	struct sup_opts o = { .profile = p, .io = SUP_IO_PIPE, .stdin_fd = -1 };
	if (extra)
		o = *extra;
	o.profile = p;
	ck_assert_int_eq(sup_spec_set_opts(s, &o), 0);
	struct sup_sinks sk = { cap_out, cap_idle, c, NULL };
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(sup_run(s, &sk, res, &err), 0);
	sup_spec_free(s);
	return sup_exit_code(res);
}

static char *const base_env[] = { A("PATH=/usr/bin:/bin"),
				  A("HOME=/tmp"),
				  A("LC_ALL=C"),
				  A("LD_PRELOAD=/evil.so"),
				  A("BASH_ENV=/evil"),
				  A("FOO=bar"),
				  A("SECRETCTL_PASSWORD=hunter2hunter2"),
				  A("NODE_OPTIONS=--x"),
				  NULL };

START_TEST(test_spec_new_rejects)
{
	char *const empty[] = { NULL };
	char *const blank[] = { A(""), NULL };
	ck_assert_ptr_null(sup_spec_new(NULL));
	ck_assert_ptr_null(sup_spec_new(empty));
	ck_assert_ptr_null(sup_spec_new(blank));
	ck_assert_ptr_null(sup_spec_free(NULL));
}
END_TEST

START_TEST(test_spec_opts_validation)
{
	char *const argv[] = { A("/bin/true"), NULL };
	struct sup_spec *s = sup_spec_new(argv);
	struct sup_opts o = { .profile = (enum sup_profile)7, .stdin_fd = -1 };
	ck_assert_int_eq(sup_spec_set_opts(s, &o), -EINVAL);
	o.profile = SUP_PROFILE_STANDARD;
	o.cwd = "relative/dir";
	ck_assert_int_eq(sup_spec_set_opts(s, &o), -EINVAL);
	o.cwd = "/tmp";
	char *const rel[] = { A("not/absolute"), NULL };
	o.hidden = rel;
	ck_assert_int_eq(sup_spec_set_opts(s, &o), -EINVAL);
	o.hidden = NULL;
	o.profile = SUP_PROFILE_OFF;
	o.deny_network = true;
	ck_assert_int_eq(sup_spec_set_opts(s, &o), -EINVAL);
	o.deny_network = false;
	o.timeout_ms = -1;
	ck_assert_int_eq(sup_spec_set_opts(s, &o), -EINVAL);
	o.timeout_ms = 0;
	ck_assert_int_eq(sup_spec_set_opts(s, &o), 0);
	ck_assert_int_eq(s->opts.grace_ms, SUP_GRACE_MS_DEFAULT);
	sup_spec_free(s);
}
END_TEST

START_TEST(test_env_denied_names)
{
	char *const argv[] = { A("/bin/true"), NULL };
	struct sup_spec *s = sup_spec_new(argv);
	/* The one list (env_name_denied), from every family, including the names that only one of
	 * the two earlier lists had (PATH, GCONV_PATH, GLIBC_TUNABLES, JAVA_TOOL_OPTIONS). */
	static const char *const denied[] = {
		A("LD_PRELOAD"),
		A("LD_LIBRARY_PATH"),
		A("LD_AUDIT"),
		A("LD_ANYTHING"),
		A("BASH_ENV"),
		A("ENV"),
		A("PROMPT_COMMAND"),
		A("PYTHONSTARTUP"),
		A("NODE_OPTIONS"),
		A("PERL5OPT"),
		A("RUBYOPT"),
		A("SECRETCTL_PASSWORD"),
		A("SECRETCTL_POLICY"),
		A("BASH_FUNC_x"),
		A("GCONV_PATH"),
		A("GLIBC_TUNABLES"),
		A("JAVA_TOOL_OPTIONS"),
		A("PATH"),
		A("HOME"),
		A("LC_ALL"),
		A("GIT_SSH_COMMAND"),
		A("GIT_CONFIG_COUNT"),
		A("DYLD_INSERT_LIBRARIES"),
	};
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		ck_assert_msg(env_name_denied(denied[i]), "%s", denied[i]);
		ck_assert_msg(sup_spec_env(s, denied[i], "v", 1) == -EPERM, "%s", denied[i]);
	}
	/* The name is checked first: an exported bash function's real name is not a valid one. */
	ck_assert(env_name_denied("BASH_FUNC_x%%"));
	ck_assert_int_eq(sup_spec_env(s, "BASH_FUNC_x%%", "v", 1), -EINVAL);
	ck_assert_int_eq(sup_spec_env(s, "LD_PRELOAD", "a\0b", 3), -EPERM);
	ck_assert(!env_name_denied("API_KEY"));
	ck_assert_int_eq(sup_spec_env(s, "A=B", "v", 1), -EINVAL);
	ck_assert_int_eq(sup_spec_env(s, "1ABC", "v", 1), -EINVAL);
	ck_assert_int_eq(sup_spec_env(s, "", "v", 1), -EINVAL);
	ck_assert_int_eq(sup_spec_env(s, "NUL", "a\0b", 3), -EINVAL);
	ck_assert_int_eq(sup_spec_env(s, "API_KEY", "one", 3), 0);
	ck_assert_int_eq(sup_spec_env(s, "API_KEY", "two2", 4), 0);
	/* ENV_NAME_MAX, the one maximum */
	char longest[ENV_NAME_MAX + 2];
	memset(longest, 'N', sizeof(longest));
	longest[ENV_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(sup_spec_env(s, longest, "v", 1), -EINVAL);
	longest[ENV_NAME_MAX] = '\0';
	ck_assert_int_eq(sup_spec_env(s, longest, "v", 1), 0);
	char **envp = NULL;
	ck_assert_int_eq(sup_spec_envp(s, &envp), 0);
	ck_assert_str_eq(envp[0], "API_KEY=two2");
	ck_assert_int_eq(strncmp(envp[1], longest, ENV_NAME_MAX), 0);
	ck_assert_str_eq(envp[1] + ENV_NAME_MAX, "=v");
	ck_assert_ptr_null(envp[2]);
	free(envp);
	sup_spec_free(s);
}
END_TEST

START_TEST(test_env_base_is_clean)
{
	char *const argv[] = { A("/usr/bin/env"), NULL };
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_OFF, argv, base_env, NULL, &c, &res), 0);
	ck_assert_ptr_nonnull(strstr(c.out.data, "PATH=/usr/bin:/bin\n"));
	ck_assert_ptr_nonnull(strstr(c.out.data, "LC_ALL=C\n"));
	ck_assert_ptr_nonnull(strstr(c.out.data, "HOME=/tmp\n"));
	ck_assert_ptr_null(strstr(c.out.data, "LD_PRELOAD"));
	ck_assert_ptr_null(strstr(c.out.data, "BASH_ENV"));
	ck_assert_ptr_null(strstr(c.out.data, "FOO"));
	ck_assert_ptr_null(strstr(c.out.data, "SECRETCTL_PASSWORD"));
	ck_assert_ptr_null(strstr(c.out.data, "NODE_OPTIONS"));
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_env_default_path)
{
	char *const argv[] = { A("env"), NULL };
	char *const envp[] = { A("HOME=/tmp"), NULL };
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_OFF, argv, envp, NULL, &c, &res), 0);
	ck_assert_ptr_nonnull(strstr(c.out.data, "PATH=/usr/local/bin:/usr/bin:/bin"));
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_exit_code_mapping)
{
	struct sup_result r;
	memset(&r, 0, sizeof(r));
	r.exited = true;
	r.exit_code = 3;
	ck_assert_int_eq(sup_exit_code(&r), 3);
	r.exited = false;
	r.signal = SIGKILL;
	ck_assert_int_eq(sup_exit_code(&r), 137);
	r.timed_out = true;
	ck_assert_int_eq(sup_exit_code(&r), 124);
	memset(&r, 0, sizeof(r));
	r.failed = true;
	r.stage = SUP_ST_EXEC;
	r.stage_errno = ENOENT;
	ck_assert_int_eq(sup_exit_code(&r), 127);
	r.stage_errno = EACCES;
	ck_assert_int_eq(sup_exit_code(&r), 126);
	r.stage = SUP_ST_SECCOMP;
	ck_assert_int_eq(sup_exit_code(&r), 125);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(sup_exit_code(&r), 125); /* neither exited nor signalled */
}
END_TEST

/* ---- seccomp: a forked child loads the filter and tries the syscalls ----------------------- */

static int filtered_child(int (*body)(void))
{
	const struct sock_fprog *prog;
	ck_assert_int_eq(sup_seccomp_prog(&prog, NULL), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) < 0)
			_exit(200);
		_exit(body());
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

#define EXPECT_ERRNO(call, e)                      \
	do {                                       \
		errno = 0;                         \
		if ((call) != -1 || errno != (e))  \
			return __LINE__ % 200 + 1; \
	} while (0)

static int try_denied(void)
{
	EXPECT_ERRNO(syscall(SYS_ptrace, 0, 1, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_process_vm_readv, 1, NULL, 0, NULL, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_add_key, "user", "x", "y", 1, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_userfaultfd, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_io_uring_setup, 1, NULL), EPERM);
	EXPECT_ERRNO(syscall(SYS_unshare, CLONE_NEWUSER), EPERM);
	EXPECT_ERRNO(syscall(SYS_setns, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_mount, "x", "/", "tmpfs", 0, NULL), EPERM);
	EXPECT_ERRNO(syscall(SYS_fsopen, "tmpfs", 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_open_tree, -1, "/", 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_chroot, "/"), EPERM);
	EXPECT_ERRNO(syscall(SYS_pivot_root, "/", "/"), EPERM);
	EXPECT_ERRNO(syscall(SYS_pidfd_getfd, 0, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_kcmp, 1, 1, 0, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_clone3, NULL, 0), ENOSYS);
	EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0), EPERM);
	EXPECT_ERRNO(syscall(SYS_ioctl, 0, TIOCSTI, "x"), EPERM);
	EXPECT_ERRNO(syscall(SYS_ioctl, 0, 0x100000000ul | TIOCSTI, "x"), EPERM);
	EXPECT_ERRNO(syscall(SYS_ioctl, 0, TIOCLINUX, "x"), EPERM);
	EXPECT_ERRNO(syscall(SYS_personality, ADDR_NO_RANDOMIZE), EPERM);
	EXPECT_ERRNO(syscall(SYS_personality, READ_IMPLIES_EXEC), EPERM);
	EXPECT_ERRNO(syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
	return 0;
}

static int try_allowed(void)
{
	if (getpid() <= 0)
		return 1;
	if (syscall(SYS_personality, 0) < 0)
		return 2;
	pid_t p = fork(); /* plain clone without namespace flags */
	if (p < 0)
		return 3;
	if (p == 0)
		_exit(0);
	int st;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st))
		return 4;
	int fds[2];
	if (pipe(fds) < 0)
		return 5;
	return 0;
}

static int try_x32(void)
{
	/* An x32 syscall number (bit 30) must not reach the kernel's x32 table. */
	long r = syscall(0x40000000 | SYS_getpid);
	return r >= 0 ? 1 : 0;
}

START_TEST(test_seccomp_denies)
{
	int st = filtered_child(try_denied);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "denied-syscall check failed at %d",
		      WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}
END_TEST

START_TEST(test_seccomp_allows)
{
	int st = filtered_child(try_allowed);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "allowed-syscall check failed: %d",
		      WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}
END_TEST

/* Socket families a command never needs, and the core limit, which must stay where it is. */
static int try_families(void)
{
	int sv[2];
	struct rlimit zero = { 0, 0 };
	EXPECT_ERRNO(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0), EAFNOSUPPORT);
	EXPECT_ERRNO(socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	EXPECT_ERRNO(socket(AF_NETLINK, SOCK_RAW, 9 /* NETLINK_AUDIT */), EAFNOSUPPORT);
	EXPECT_ERRNO(syscall(SYS_socket, 40L | (1L << 32), (long)SOCK_STREAM, 0L), EAFNOSUPPORT);
	EXPECT_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	EXPECT_ERRNO(setrlimit(RLIMIT_CORE, &zero), EPERM);
	EXPECT_ERRNO(prlimit(0, RLIMIT_CORE, &zero, NULL), EPERM);
	/* What commands need keeps working. */
	int fds[] = { socket(AF_UNIX, SOCK_STREAM, 0), socket(AF_INET, SOCK_DGRAM, 0),
		      socket(AF_INET6, SOCK_STREAM, 0), socket(AF_NETLINK, SOCK_RAW, 0 /* ROUTE */),
		      socketpair(AF_UNIX, SOCK_STREAM, 0, sv) };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] < 0)
			return 100 + (int)i;
	struct rlimit cur;
	if (prlimit(0, RLIMIT_CORE, NULL, &cur) < 0)
		return 110;
	return 0;
}

START_TEST(test_seccomp_families)
{
	int st = filtered_child(try_families);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "socket family check failed at %d",
		      WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}
END_TEST

START_TEST(test_seccomp_x32)
{
	int st = filtered_child(try_x32);
	/* Killed by the filter (SIGSYS): never executed, and not merely refused by a kernel built
	 * without x32 (which would pass with no filter at all). */
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "x32 getpid: status %d", st);
}
END_TEST

/* ---- sup_run ------------------------------------------------------------------------------- */

START_TEST(test_run_streams_and_code)
{
	char *const argv[] = { A("/bin/sh"), A("-c"), A("printf out; printf err >&2; exit 7"),
			       NULL };
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, argv, base_env, NULL, &c, &res), 7);
	ck_assert_str_eq(c.out.data, "out");
	ck_assert_str_eq(c.err.data, "err");
	ck_assert(c.eof[SUP_STDOUT] && c.eof[SUP_STDERR]);
	ck_assert_uint_eq(res.bytes[SUP_STDOUT], 3);
	ck_assert_uint_eq(res.bytes[SUP_STDERR], 3);
	ck_assert(res.protections & SUP_PROT_SECCOMP);
	ck_assert(res.protections & SUP_PROT_PIDNS);
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_run_sandbox_view)
{
	char *const argv[] = {
		A("/bin/sh"), A("-c"),
		A("echo $$; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"), NULL
	};
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, argv, base_env, NULL, &c, &res), 0);
	/* The command is pid 2: pid 1 is the sandbox's init. */
	ck_assert_msg(!strncmp(c.out.data, "2\n", 2), "got %s", c.out.data);
	ck_assert_ptr_nonnull(strstr(c.out.data, "CapEff:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(c.out.data, "NoNewPrivs:\t1"));
	ck_assert_ptr_nonnull(strstr(c.out.data, "Seccomp:\t2"));
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_run_signal_and_exec_errors)
{
	char *const kill_self[] = { A("/bin/sh"), A("-c"), A("kill -TERM $$"), NULL };
	char *const missing[] = { A("definitely-not-a-command-xyz"), NULL };
	char *const noexec[] = { A("/etc/passwd"), NULL };
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, kill_self, base_env, NULL, &c, &res), 143);
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, missing, base_env, NULL, &c, &res), 127);
	ck_assert(res.failed);
	ck_assert_int_eq(res.stage, SUP_ST_EXEC);
	ck_assert_str_eq(sup_stage_name(res.stage), "execve");
	ck_assert_int_eq(run_cmd(SUP_PROFILE_OFF, noexec, base_env, NULL, &c, &res), 126);
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

/* sup_spec_set_exec: the judged file runs under the name it was found by; a file that is no
 * longer the one judged (dev/ino) does not run at all. */
START_TEST(test_run_exec_file_checked)
{
	char *const argv[] = { A("true-by-another-name"), NULL };
	struct stat st;
	struct sup_result res;
	struct reterr err = RETERR_INIT;
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_sinks sk = { cap_out, cap_idle, &c, NULL };
	ck_assert_int_eq(stat("/bin/true", &st), 0);
	for (int wrong = 0; wrong < 2; wrong++) {
		struct sup_spec *s = sup_spec_new(argv);
		struct sup_opts o = { .profile = SUP_PROFILE_STANDARD,
				      .io = SUP_IO_PIPE,
				      .stdin_fd = -1 };
		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(sup_spec_env_base(s, base_env), 0);
		ck_assert_int_eq(sup_spec_set_opts(s, &o), 0);
		ck_assert_int_eq(sup_spec_set_exec(s, "/bin/true", (uint64_t)st.st_dev,
						   (uint64_t)st.st_ino + (uint64_t)wrong),
				 0);
		ck_assert_int_eq(sup_run(s, &sk, &res, &err), 0);
		sup_spec_free(s);
		if (!wrong) {
			ck_assert_int_eq(sup_exit_code(&res), 0);
		} else {
			ck_assert(res.failed);
			ck_assert_int_eq(res.stage, SUP_ST_EXEC);
			ck_assert_int_eq(res.stage_errno, ESTALE);
			ck_assert_int_eq(sup_exit_code(&res), 126);
		}
	}
	ck_assert_int_eq(sup_spec_set_exec(NULL, "rel", 0, 0), -EINVAL);
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_run_timeout_kills_tree)
{
	char *const argv[] = { A("/bin/sh"), A("-c"),
			       A("trap '' TERM; (trap '' TERM; sleep 30) & sleep 30"), NULL };
	struct sup_opts o = {
		.io = SUP_IO_PIPE, .stdin_fd = -1, .timeout_ms = 300, .grace_ms = 200
	};
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, argv, base_env, &o, &c, &res), 124);
	ck_assert(res.timed_out);
	ck_assert_int_lt(res.duration_ms, 3000);
	ck_assert_int_ge(res.duration_ms, 450);
	/* Profile off: the process group is killed the same way. */
	ck_assert_int_eq(run_cmd(SUP_PROFILE_OFF, argv, base_env, &o, &c, &res), 124);
	ck_assert_int_lt(res.duration_ms, 3000);
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_run_max_output_and_idle)
{
	char *const argv[] = { A("/bin/sh"), A("-c"), A("printf 0123456789; sleep 0.2; printf abc"),
			       NULL };
	struct sup_opts o = { .io = SUP_IO_PIPE, .stdin_fd = -1, .max_output = 4, .idle_ms = 50 };
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, argv, base_env, &o, &c, &res), 0);
	ck_assert_str_eq(c.out.data, "0123");
	ck_assert(res.truncated[SUP_STDOUT]);
	ck_assert_uint_eq(res.bytes[SUP_STDOUT], 13);
	ck_assert_uint_ge(c.idle_calls, 1);
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_run_sink_epipe_stops_stream)
{
	/* The sink's reader left: the child meets EPIPE/SIGPIPE instead of running forever. */
	char *const argv[] = { A("/usr/bin/yes"), NULL };
	struct sup_opts o = { .io = SUP_IO_PIPE, .stdin_fd = -1, .timeout_ms = 5000 };
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, -EPIPE };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, argv, base_env, &o, &c, &res),
			 128 + SIGPIPE);
	ck_assert(!res.timed_out);
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

START_TEST(test_run_daemon_dies_with_run)
{
	/* A double-forked, setsid'd daemon writes a marker after 1s: it must never appear. */
	char path[] = "/tmp/sup-daemon-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);
	char script[256];
	snprintf(script, sizeof(script), "setsid sh -c '(sleep 1; echo alive > %s) &' & exit 0",
		 path);
	char *const argv[] = { A("/bin/sh"), A("-c"), script, NULL };
	struct cap c = { BUF_INIT, BUF_INIT, 0, { false }, 0 };
	struct sup_result res;
	ck_assert_int_eq(run_cmd(SUP_PROFILE_STANDARD, argv, base_env, NULL, &c, &res), 0);
	usleep(1500 * 1000);
	ck_assert_int_ne(access(path, F_OK), 0);
	buf_release(&c.out);
	buf_release(&c.err);
}
END_TEST

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct started_ctx {
	unsigned calls;
	int ret;
	bool saw_output_before; /* output reached a sink before started ran */
	struct cap cap;
};

static int st_out(void *ctx, struct sup_out *io, enum sup_stream s, const void *p, size_t n)
{
	struct started_ctx *sc = ctx;
	if (n && !sc->calls)
		sc->saw_output_before = true;
	return cap_out(&sc->cap, io, s, p, n);
}

static int st_started(void *ctx)
{
	struct started_ctx *sc = ctx;
	sc->calls++;
	return sc->ret;
}

static int run_started(struct started_ctx *sc, char *const *argv, struct sup_result *res,
		       struct reterr *err)
{
	struct sup_spec *s = sup_spec_new(argv);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(sup_spec_env_base(s, base_env), 0);
	struct sup_opts o = { .profile = SUP_PROFILE_STANDARD,
			      .io = SUP_IO_PIPE,
			      .stdin_fd = -1,
			      .timeout_ms = 10000 };
	ck_assert_int_eq(sup_spec_set_opts(s, &o), 0);
	struct sup_sinks sk = { st_out, NULL, sc, st_started };
	int r = sup_run(s, &sk, res, err);
	sup_spec_free(s);
	return r;
}

START_TEST(test_run_started_callback)
{
	/* Called exactly once, before any output reaches a sink. */
	char *const hello[] = { A("/bin/echo"), A("hello"), NULL };
	struct started_ctx sc = { 0, 0, false, { BUF_INIT, BUF_INIT, 0, { false }, 0 } };
	struct sup_result res;
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(run_started(&sc, hello, &res, &err), 0);
	ck_assert_uint_eq(sc.calls, 1);
	ck_assert(!sc.saw_output_before);
	ck_assert_str_eq(sc.cap.out.data, "hello\n");
	ck_assert_int_eq(sup_exit_code(&res), 0);
	buf_release(&sc.cap.out);
	buf_release(&sc.cap.err);

	/* A failing callback fails the run with its error and takes the tree down: the command
	 * would otherwise run for 30 s. */
	char *const slow[] = { A("/bin/sleep"), A("30"), NULL };
	struct started_ctx bad = { 0, -ENOMEM, false, { BUF_INIT, BUF_INIT, 0, { false }, 0 } };
	int64_t t0 = mono_ms();
	ck_assert_int_eq(run_started(&bad, slow, &res, &err), -ENOMEM);
	ck_assert_uint_eq(bad.calls, 1);
	ck_assert_int_lt(mono_ms() - t0, 10000);
	ck_assert_ptr_nonnull(strstr(err.msg, "preparing the output failed"));
	buf_release(&bad.cap.out);
	buf_release(&bad.cap.err);
}
END_TEST

START_TEST(test_run_spec_once)
{
	char *const argv[] = { A("/bin/true"), NULL };
	struct sup_spec *s = sup_spec_new(argv);
	struct sup_result res;
	ck_assert_int_eq(sup_run(s, NULL, &res, NULL), 0);
	ck_assert_int_eq(sup_run(s, NULL, &res, NULL), -EINVAL);
	sup_spec_free(s);
}
END_TEST

START_TEST(test_probe_standard)
{
	struct sup_result res;
	ck_assert_int_eq(sup_probe(SUP_PROFILE_STANDARD, false, &res), 0);
	ck_assert(res.protections & SUP_PROT_SECCOMP);
	ck_assert_int_eq(sup_probe(SUP_PROFILE_STRICT, true, &res), 0);
	ck_assert(res.protections & SUP_PROT_READONLY);
	ck_assert(res.protections & SUP_PROT_NETNS);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervisor");
	TCase *tc = tcase_create("spec");
	tcase_add_test(tc, test_spec_new_rejects);
	tcase_add_test(tc, test_spec_opts_validation);
	tcase_add_test(tc, test_env_denied_names);
	tcase_add_test(tc, test_exit_code_mapping);
	suite_add_tcase(s, tc);
	tc = tcase_create("seccomp");
	tcase_add_test(tc, test_seccomp_denies);
	tcase_add_test(tc, test_seccomp_allows);
	tcase_add_test(tc, test_seccomp_x32);
	tcase_add_test(tc, test_seccomp_families);
	tcase_add_test(tc, test_run_exec_file_checked);
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_env_base_is_clean);
	tcase_add_test(tc, test_env_default_path);
	tcase_add_test(tc, test_run_streams_and_code);
	tcase_add_test(tc, test_run_sandbox_view);
	tcase_add_test(tc, test_run_signal_and_exec_errors);
	tcase_add_test(tc, test_run_timeout_kills_tree);
	tcase_add_test(tc, test_run_max_output_and_idle);
	tcase_add_test(tc, test_run_sink_epipe_stops_stream);
	tcase_add_test(tc, test_run_daemon_dies_with_run);
	tcase_add_test(tc, test_run_started_callback);
	tcase_add_test(tc, test_run_spec_once);
	tcase_add_test(tc, test_probe_standard);
	suite_add_tcase(s, tc);
	return s;
}

Suite *unit_suite(void)
{
	/* Where the sandbox cannot work at all, one loud skip instead of every test failing; CI
	 * sets MUST_WORK=1 and gets the failures (tests/lib/sandbox.bash, tests/run-all.sh). */
	struct sup_result probe = { 0 };
	const char *must = getenv("MUST_WORK");
	if (sup_probe(SUP_PROFILE_STANDARD, false, &probe) < 0 && !(must && !strcmp(must, "1"))) {
		printf("# skip SANDBOX UNAVAILABLE on this host (%s failed: %s; see 'secretctl "
		       "doctor'); MUST_WORK=1 makes this a failure\n",
		       probe.failed ? sup_stage_name(probe.stage) : "the probe",
		       probe.failed ? strerror(probe.stage_errno) : "unknown");
		return suite_create("skipped");
	}
	return suite();
}
