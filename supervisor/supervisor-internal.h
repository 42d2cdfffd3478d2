/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor internals shared by spec.c, seccomp.c, child.c, run.c and probe.c; never included
 * from another module. */
#ifndef SECRETCTL_SUPERVISOR_INTERNAL_H
#define SECRETCTL_SUPERVISOR_INTERNAL_H

#include <linux/filter.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <sys/types.h>

#include "supervisor/supervisor.h"

struct sup_spec {
	char **argv;
	/* Environment entries "NAME=value\0" back to back, in secure memory. */
	struct secret *env;
	size_t nenv;
	struct sup_opts opts; /* cwd/hidden/writable point at the copies below */
	char *cwd;
	char **hidden;
	char **writable;
	bool probe; /* sup_probe: stop after the last setup stage */
	bool used; /* sup_run wipes the environment: a spec runs once */
};

/* Setup stages of the child, reported to the parent as {stage, errno} before _exit. */
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

struct sup_report {
	int32_t stage;
	int32_t err;
};

/* Everything the child needs, prepared by the parent before clone so that the child does no
 * allocation-heavy work. */
struct sup_child {
	const struct sup_spec *spec;
	unsigned prot;     /* SUP_PROT_* to set up */
	bool new_userns;   /* the child creates its user namespace (the caller did not enter one) */
	bool probe;        /* stop after the last setup stage */
	int report_w;      /* CLOEXEC: {stage, errno}; EOF in the parent = execve succeeded */
	int status_w;      /* init -> parent: the command's wait status */
	int go_r;          /* parent -> child: may create processes (after the cgroup attach) */
	int in_r, out_w, err_w; /* pipe mode stdio for the command */
	int pty_slave;     /* PTY mode: 0/1/2 of the command */
	/* PTY mode in a sandbox: the child opens the terminal in its own devpts and passes the
	 * master back over this socket (SCM_RIGHTS), with these modes and size applied. */
	int pty_sock;
	bool pty_tio_set, pty_ws_set;
	struct termios pty_tio;
	struct winsize pty_ws;
	uid_t uid;
	gid_t gid;
	char **envp;       /* pointers into spec->env (secure memory) */
	const struct sock_fprog *seccomp;
	struct rlimit rl_nofile, rl_nproc, rl_fsize, rl_as;
	bool set_as;
	uint64_t pid_max;  /* SUP_PROT_PID_MAX: written to the new pid namespace's pid_max */
	char run_user_dir[32]; /* SUP_PROT_IPC: "/run/user/<uid>" of the caller */
};

const char *sup_stage_name(int stage);
/* True once sup_userns_enter moved this process into its own user namespace. */
bool sup_userns_entered(void);
/* Write "id id 1" maps (and setgroups deny) for pid ("self" when 0). 0 or -errno with *ret_stage. */
int sup_write_id_maps(uid_t uid, gid_t gid, int *ret_stage);

/* seccomp.c: the filter, generated as BPF at build time from the libseccomp rules, so the
 * child only loads it. *ret points at constant storage valid for the process lifetime.
 * -ENOSYS when the build has no generated filter (a run then fails closed). */
int sup_seccomp_prog(const struct sock_fprog **ret, struct reterr *err);

/* The kernel's Landlock ABI version (0 without Landlock). Scopes need 6 (Linux 6.12). */
int sup_landlock_abi(void);
#define SUP_LANDLOCK_SCOPE_ABI 6

/* child.c: the child side after clone; never returns. */
__attribute__((noreturn)) void sup_child_main(const struct sup_child *c);

/* spec.c: envp pointer array over spec->env (malloc'd array; strings stay in secure memory). */
int sup_spec_envp(const struct sup_spec *spec, char ***ret);

#endif
