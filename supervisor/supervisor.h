/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: run one command in a sandbox (namespaces, seccomp, no capabilities, rlimits, hidden
 * paths) with a clean environment, stream its output to caller-given sinks, enforce a timeout.
 * Knows nothing of vaults, policies or MCP. Single-threaded: no threads may exist when sup_run
 * is called (user namespaces and fork need a single-threaded process). */
#ifndef SECRETCTL_SUPERVISOR_H
#define SECRETCTL_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define SUP_ARGV_MAX 4096	     /* arguments of the command */
#define SUP_ENV_MAX 4096	     /* environment entries */
#define SUP_ENV_BYTES_MAX (4u << 20) /* whole environment block (secure memory) */
#define SUP_PATHS_MAX 64	     /* hidden, writable or allowed-socket paths */
#define SUP_SOCKETS_MAX 65536	     /* host sockets covered per run (/proc/net/unix entries) */
#define SUP_GRACE_MS_DEFAULT 2000    /* SIGTERM -> SIGKILL grace period after a timeout */
#define SUP_EXIT_TIMEOUT 124	     /* exit codes as timeout(1)/env(1) */
#define SUP_EXIT_FAILURE 125
#define SUP_EXIT_NOEXEC 126
#define SUP_EXIT_NOTFOUND 127

enum sup_profile {
	SUP_PROFILE_OFF,      /* no sandbox: clean env, rlimits, own session, timeout only */
	SUP_PROFILE_STANDARD, /* namespaces (net only with network deny), seccomp, no caps, host
			       * sockets covered; read-only filesystem but the working directory,
			       * writable paths and a private /tmp; $HOME writes go to a throwaway
			       * layer (docs/sandbox.md "Profiles") */
	SUP_PROFILE_STRICT,   /* standard without the throwaway $HOME layer ($HOME read-only) and
			       * with the network denied by default */
};

enum sup_io {
	SUP_IO_PIPE, /* stdout and stderr separate pipes; stdin per sup_opts.stdin_fd */
	SUP_IO_PTY,  /* a new pseudo-terminal for 0/1/2; all output arrives as SUP_STDOUT */
};

/* The command's streams, also the index of each one's slot in the arrays below (sup_opts.out_fd,
 * sup_result.bytes, ...). Sinks are only ever given SUP_STDOUT and SUP_STDERR. */
enum sup_stream { SUP_STDIN = 0, SUP_STDOUT = 1, SUP_STDERR = 2 };

/* Protections that were active for a run (sup_result.protections), or that a profile uses. */
#define SUP_PROT_USERNS (1u << 0)
#define SUP_PROT_PIDNS (1u << 1)
#define SUP_PROT_MNTNS (1u << 2)
#define SUP_PROT_IPCNS (1u << 3)
#define SUP_PROT_UTSNS (1u << 4)
#define SUP_PROT_CGROUPNS (1u << 5)
#define SUP_PROT_NETNS (1u << 6)
#define SUP_PROT_HIDDEN (1u << 7)  /* hidden paths covered */
#define SUP_PROT_PROC (1u << 8)	   /* fresh /proc */
#define SUP_PROT_KEYRING (1u << 9) /* fresh session keyring */
#define SUP_PROT_RLIMITS (1u << 10)
#define SUP_PROT_CAPS (1u << 11) /* all capability sets empty */
#define SUP_PROT_NNP (1u << 12)	 /* no_new_privs */
#define SUP_PROT_SECCOMP (1u << 13)
#define SUP_PROT_READONLY (1u << 14)	/* read-only filesystem but cwd/writable, private /tmp */
#define SUP_PROT_PIDS_CGROUP (1u << 15) /* pids controller limits the tree (root only) */
#define SUP_PROT_PID_MAX (1u << 16)	/* the pid namespace's own pid_max limits the tree */
#define SUP_PROT_DEV (1u << 17)		/* private /dev: a few device nodes, own devpts and shm */
#define SUP_PROT_KERNFS_RO (1u << 18)	/* /proc and /sys read-only (the kernel's knobs) */
#define SUP_PROT_IPC (1u << 19)	    /* host IPC sockets hidden (D-Bus, systemd, containers, X11) */
#define SUP_PROT_SCOPE (1u << 20)   /* Landlock scopes: no abstract sockets or signals outside */
#define SUP_PROT_NOCORE (1u << 21)  /* core limit 1: no core file and no core_pattern helper */
#define SUP_PROT_SOCKETS (1u << 22) /* every host pathname socket covered (/proc/net/unix) */
#define SUP_PROT_HOME_LAYER (1u << 23) /* $HOME writes land in a throwaway layer (standard) */
#define SUP_PROT_LAST SUP_PROT_HOME_LAYER

/* Where a run failed (sup_result.stage): the child's setup stages, reported to the parent as
 * {stage, errno} before _exit, plus the supervisor's own (clone, handshake). */
enum sup_stage {
	SUP_ST_NONE,
	SUP_ST_CLONE,
	SUP_ST_PARENT, /* the supervisor died before releasing the child */
	SUP_ST_SETGROUPS,
	SUP_ST_UIDMAP,
	SUP_ST_GIDMAP,
	SUP_ST_MOUNT_PRIVATE,
	SUP_ST_HIDE,
	SUP_ST_READONLY,
	SUP_ST_TMP,
	SUP_ST_WRITABLE,
	SUP_ST_HOME,
	SUP_ST_SOCKETS,
	SUP_ST_PROC,
	SUP_ST_DEV,
	SUP_ST_PTY,
	SUP_ST_KERNFS_RO,
	SUP_ST_PID_MAX,
	SUP_ST_NET,
	SUP_ST_CHDIR,
	SUP_ST_KEYRING,
	SUP_ST_RLIMIT,
	SUP_ST_SECUREBITS,
	SUP_ST_CAPS,
	SUP_ST_NNP,
	SUP_ST_LANDLOCK,
	SUP_ST_SECCOMP,
	SUP_ST_SIGNALS,
	SUP_ST_FORK,
	SUP_ST_SETSID,
	SUP_ST_CTTY,
	SUP_ST_STDIO,
	SUP_ST_CLOSE_RANGE,
	SUP_ST_EXEC,
	SUP_ST_COUNT
};

/* Human name of a stage ("seccomp", "execve", ...); "unknown" outside the enum. */
const char *sup_stage_name(enum sup_stage stage);

/* Everything about a run except argv and environment. Strings and vectors are copied by
 * sup_spec_set_opts. Zero values mean "default" where noted. */
struct sup_opts {
	enum sup_profile profile;
	bool deny_network; /* new network namespace with only loopback */
	enum sup_io io;
	int stdin_fd;	       /* pipe mode: our fd forwarded to the child's stdin through a pipe;
				 * -1 gives the child /dev/null. PTY mode: forwarded to the PTY. */
	const char *cwd;       /* NULL = our cwd */
	char *const *hidden;   /* paths covered in the child's view (dirs: empty tmpfs; files:
				 * /dev/null); missing paths are skipped */
	char *const *writable; /* paths that stay writable (besides cwd): standard and strict */
	char *const *sockets;  /* host pathname sockets the command may still connect to (every
				 * other one bound when the run starts is covered) */
	int64_t timeout_ms;    /* 0 = none */
	int64_t grace_ms;      /* 0 = SUP_GRACE_MS_DEFAULT */
	int idle_ms;	       /* quiet period before sup_sinks.idle is called; 0 = never */
	uint64_t max_output;   /* per stream, bytes handed to the sink; 0 = unlimited; the rest is
				 * read and dropped (result.truncated) */
	int out_fd[3];	       /* [SUP_STDOUT], [SUP_STDERR]: the caller's descriptors that
				 * sup_out_emit writes to (borrowed; 0 = none: the sinks keep the
				 * output themselves) */
	int cancel_fd;	       /* 0 = none (stdin is never a cancel channel), else an fd (borrowed)
				 * that, once readable or hung up (the other end of a pipe closed),
				 * kills the whole tree at once (result.cancelled) */
	/* rlimits, each applied with hard = soft; 0 = keep our current soft value. CORE is 0. */
	uint64_t rlimit_nofile, rlimit_nproc, rlimit_fsize, rlimit_as;
};

/* Where the sinks' output goes when it is for the caller's own descriptors (sup_opts.out_fd):
 * sup_out_emit queues it and the supervisor writes it without ever blocking, reading no more of
 * the command's output while the caller's reader is behind (the command then waits in its own
 * write). So a slow or stopped reader never delays the timeout, a cancel or a signal. */
struct sup_out;
/* Queue n bytes of stream s for its descriptor. Never blocks. 0, -EPIPE once that reader has
 * gone (nothing more is written there: the command's stream is closed, so it meets EPIPE or
 * SIGPIPE, as in a pipeline), -EINVAL without a descriptor for s, -ENOMEM. */
int sup_out_emit(struct sup_out *io, enum sup_stream s, const void *p, size_t n);

/* Output callbacks, called from sup_run only. out: len bytes of a stream (len 0 = that stream
 * ended); write the result with sup_out_emit(io, ...) or keep it; return 0, -EPIPE to stop
 * reading that stream, or another negative errno to abort the run (the tree is killed). idle:
 * after idle_ms of quiet following output. Either may be NULL. */
struct sup_sinks {
	int (*out)(void *ctx, struct sup_out *io, enum sup_stream s, const void *buf, size_t len);
	int (*idle)(void *ctx, struct sup_out *io);
	void *ctx;
	/* Optional: called once right after the child is created, while it sets its sandbox up
	 * on another CPU and before any output is read, so work the sinks need (building the
	 * redaction set) overlaps with that setup instead of delaying it. A negative return kills
	 * the tree and fails the run with that error. */
	int (*started)(void *ctx);
};

struct sup_result {
	bool exited; /* normal exit: exit_code valid */
	int exit_code;
	int signal; /* killed by this signal (0 if exited) */
	bool timed_out;
	bool failed;	      /* setup failed or the command could not be executed */
	bool cancelled;	      /* sup_opts.cancel_fd fired: the tree was killed at once */
	enum sup_stage stage; /* failed stage (SUP_ST_NONE unless failed) */
	int stage_errno;
	int64_t duration_ms;
	uint64_t bytes[3];    /* [SUP_STDIN] forwarded to the command; [SUP_STDOUT], [SUP_STDERR]
				 * read from it (all of it, also what the cap dropped) */
	bool truncated[3];    /* [SUP_STDOUT], [SUP_STDERR]: the cap dropped some */
	unsigned protections; /* SUP_PROT_* active */
};

struct sup_spec;

/* New spec for argv (copied into secure memory, since an argument may carry a secret; argv[0]
 * is searched in the child's PATH unless sup_spec_set_exec names the file). NULL on ENOMEM or
 * an empty or too long argv. */
struct sup_spec *sup_spec_new(char *const *argv);
/* Execute the absolute file path (copied) with the spec's argv, instead of searching argv[0]:
 * the file a policy judged is the file that runs. With dev/ino non-zero, the child checks right
 * before execve that path (symlinks followed) is still that file, and fails the run (stage
 * execve, ESTALE) otherwise. -EINVAL for a relative path. */
int sup_spec_set_exec(struct sup_spec *spec, const char *path, uint64_t dev, uint64_t ino);
/* Wipe (environment in secure memory) and free; NULL-safe; returns NULL. */
struct sup_spec *sup_spec_free(struct sup_spec *spec);

/* Copy the clean base environment from envp (borrowed): PATH, HOME, USER, LOGNAME, LANG,
 * LANGUAGE, LC_*, TERM, TZ, TMPDIR (names that are env_name_valid). Anything else, and every
 * loader/shell start-up variable, is left out. */
int sup_spec_env_base(struct sup_spec *spec, char *const *envp);
/* Add NAME=value (copied into secure memory; replaces an earlier NAME). -EINVAL for a name that
 * is not env_name_valid (checked first), then -EPERM for a name that env_name_denied refuses
 * (LD_PRELOAD, BASH_ENV, PATH, SECRETCTL_PASSWORD, ...: base variables come from
 * sup_spec_env_base only), then -EINVAL for a value with a NUL byte, -E2BIG past the limits. */
int sup_spec_env(struct sup_spec *spec, const char *name, const void *value, size_t len);

/* Set the options (copied). -EINVAL for bad values, -E2BIG for too many paths. */
int sup_spec_set_opts(struct sup_spec *spec, const struct sup_opts *o);

/* Run the spec once; blocks until the command's tree is gone (or the timeout killed it). The
 * environment is wiped as soon as the child has executed. SIGINT, SIGTERM, SIGHUP, SIGQUIT are
 * forwarded to the tree, SIGWINCH resizes the PTY; SIGPIPE is ignored while running. Returns 0
 * with *ret filled (also when the sandbox or exec failed: see ret->failed/stage), or -errno for a
 * failure of the supervisor itself (err says what). */
int sup_run(struct sup_spec *spec, const struct sup_sinks *sinks, struct sup_result *ret,
	    struct reterr *err);

/* For a caller that is not root and is about to load secrets: move this process into a user
 * namespace of its own now (uid and gid mapped to themselves), so that later runs create their
 * other namespaces from here. Writing the id maps needs a dumpable process, and a non-dumpable
 * process holding secrets must never become dumpable again, even for a moment: call this once,
 * before PR_SET_DUMPABLE 0 (cli_harden) and before any secret is in memory. The process must be
 * single-threaded. No-op for root or when already done. 0 or -errno (-EPERM/-EINVAL/-ENOSPC
 * when user namespaces are unavailable; err says so). */
int sup_userns_enter(struct reterr *err);

/* Confine the calling process for good (no_new_privs and a seccomp allow list): from now on it
 * can only read and write descriptors it holds, poll, close and manage non-executable memory.
 * exec, fork, open, sockets, signals to other processes and ptrace kill it; anything else fails
 * with EPERM. For a process that parses hostile input and needs nothing else (the MCP front).
 * Single-threaded callers only. 0 or -errno. */
int sup_confine_self(struct reterr *err);

/* Exit code for a result, following env(1)/timeout(1): child's code, 128+N for signal N,
 * 124 timeout, 125 setup failure, 126 cannot execute, 127 not found. */
int sup_exit_code(const struct sup_result *r);

/* Protections a profile would use here (SUP_PROT_*), as decided by sup_spec_set_opts. */
unsigned sup_profile_protections(enum sup_profile p, bool deny_network);
/* Human name of one SUP_PROT_* bit ("user namespace", ...). */
const char *sup_protection_name(unsigned bit);

/* Probe the kernel: try one profile's full child setup without executing anything. Returns 0
 * when it works, else fills stage/errno in *ret (failed=true). Blocks for a few milliseconds. */
int sup_probe(enum sup_profile p, bool deny_network, struct sup_result *ret);

/* How the number of processes in a sandboxed tree of at most `limit` processes (threads count,
 * the sandbox's init too) is bounded on this machine. RLIMIT_NPROC does not apply to uid 0, so
 * root runs use the pid namespace's own pid_max (Linux >= 6.14; it cannot express fewer than
 * SUP_PID_MAX_MIN processes) or else a v1 pids cgroup, whose attach costs a full RCU grace
 * period (often 10-20 ms); without either (no /sys, read-only cgroupfs, old kernel) only the
 * timeout ends a fork bomb. */
#define SUP_PID_MAX_MIN 300
enum sup_nproc_bound {
	SUP_NPROC_RLIMIT, /* unprivileged: RLIMIT_NPROC inside the user namespace */
	SUP_NPROC_PIDMAX, /* root: pid_max of the run's pid namespace */
	SUP_NPROC_CGROUP, /* root: a pids cgroup per run */
	SUP_NPROC_NONE,	  /* root, nothing usable: unbounded but for the timeout */
};
enum sup_nproc_bound sup_nproc_bound(uint64_t limit);
/* Whether this kernel keeps a pid_max per pid namespace (Linux >= 6.14). */
bool sup_pidns_pid_max(void);

/* Can the tree of a sandboxed run be held to `limit` processes here (sup_nproc_bound)? 0 yes.
 * Otherwise (root without pid_max or a pids cgroup): -EPERM when `required` (the user asked for
 * this limit; err says why it cannot be enforced), else 1 with a warning in err (a default
 * limit that cannot be enforced: only the timeout ends a fork bomb). */
int sup_nproc_check(uint64_t limit, bool required, struct reterr *err);

#endif
