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
	char **argv;		 /* pointers into argv_mem */
	struct secret *argv_mem; /* the argument strings back to back (secure memory) */
	char *exec_file;	 /* sup_spec_set_exec: run this file instead of searching argv[0] */
	uint64_t exec_dev, exec_ino; /* ... and it must still be this file (0: not checked) */
	/* Environment entries "NAME=value\0" back to back, in secure memory. */
	struct secret *env;
	size_t nenv;
	struct sup_opts opts; /* cwd/hidden/writable point at the copies below */
	char *cwd;
	char **hidden;
	char **writable;
	char **sockets;
	bool probe; /* sup_probe: stop after the last setup stage */
	bool used;  /* sup_run wipes the environment: a spec runs once */
};

struct sup_report {
	int32_t stage;
	int32_t err;
};

/* Everything the child needs, prepared by the parent before clone so that the child does no
 * allocation-heavy work. */
struct sup_child {
	const struct sup_spec *spec;
	unsigned prot;	 /* SUP_PROT_* to set up */
	bool new_userns; /* the child creates its user namespace (the caller did not enter one) */
	bool probe;	 /* stop after the last setup stage */
	int report_w;	 /* CLOEXEC: {stage, errno}; EOF in the parent = execve succeeded */
	int status_w;	 /* init -> parent: the command's wait status */
	int go_r;	 /* parent -> child: may create processes (after the cgroup attach) */
	int in_r, out_w, err_w; /* pipe mode stdio for the command */
	int pty_slave;		/* PTY mode: 0/1/2 of the command */
	/* PTY mode in a sandbox: the child opens the terminal in its own devpts and passes the
	 * master back over this socket (SCM_RIGHTS), with these modes and size applied. */
	int pty_sock;
	bool pty_tio_set, pty_ws_set;
	struct termios pty_tio;
	struct winsize pty_ws;
	uid_t uid;
	gid_t gid;
	char **envp; /* pointers into spec->env (secure memory) */
	const struct sock_fprog *seccomp;
	struct rlimit rl_nofile, rl_nproc, rl_fsize, rl_as, rl_core;
	bool set_as;
	uint64_t pid_max;      /* SUP_PROT_PID_MAX: written to the new pid namespace's pid_max */
	char run_user_dir[32]; /* SUP_PROT_IPC: "/run/user/<uid>" of the caller */
	char **cover_sockets;  /* SUP_PROT_SOCKETS: host socket paths to cover (parent's heap) */
	char home[4096];       /* SUP_PROT_READONLY: the command's $HOME, resolved ("" = none) */
};
/* ---- the caller's side of the output (out.c) ---------------------------------------------- */

/* Queued output for one destination. */
struct sup_outq {
	int fd;
	bool own;  /* a description opened here (O_NONBLOCK), closed at the end */
	bool sock; /* written with send(MSG_DONTWAIT) */
	bool dead; /* the reader left: nothing more is written */
	struct buf q;
	size_t off;
};

struct sup_out {
	struct sup_outq *o[3]; /* per stream; stdout and stderr may share one */
	struct sup_outq store[3];
};

/* The command's streams are read no further while more than this waits for the caller. */
#define SUP_QUEUE_HIGH (1024u * 1024)

int sup_out_open(struct sup_out *io, const int out_fd[3]);
void sup_out_close(struct sup_out *io);
int sup_out_flush(struct sup_out *io, enum sup_stream s); /* 0, or -EPIPE: the reader left */
size_t sup_out_pending(const struct sup_out *io, enum sup_stream s);
bool sup_out_dead(const struct sup_out *io, enum sup_stream s);
int sup_out_pollfd(const struct sup_out *io, enum sup_stream s); /* fd for POLLOUT, or -1 */

/* The value of NAME in the spec's environment block, or NULL (points into secure memory; use
 * before sup_run wipes it). */
const char *sup_spec_getenv(const struct sup_spec *s, const char *name);
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
