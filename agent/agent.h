/* SPDX-License-Identifier: Apache-2.0 */
/* agent: the session agent. `secretctl unlock` asks for the password once and starts it: a
 * per-user process that holds the unlocked vault's keys (never the password, never a database
 * connection) in locked, non-dumpable memory and listens on a private unix socket. Each
 * request of a peer of the same uid is served by a child forked for it, which unlocks its own
 * handle with the keys, in the scope the request earned: the agent scope (what the MCP server
 * may do) or the full scope (a --full window, or a client that proved it knows the password).
 * The agent ends on `lock`, at its time limits (absolute and idle) and when the vault file is
 * replaced, wiping the keys. It also holds the pending approvals and the grants of runs.
 * This header is also the client side: find the agent, run a request there, forward signals.
 * docs/agent.md describes the protocol and the threat model. */
#ifndef SECRETCTL_AGENT_H
#define SECRETCTL_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/broker.h"
#include "common/common.h"
#include "policy/policy.h"
#include "vault/vault.h"

#define AGENT_FOR_DEFAULT_S (8 * 3600) /* unlock --for */
#define AGENT_IDLE_DEFAULT_S (30 * 60) /* unlock --idle */
#define AGENT_FULL_DEFAULT_S (10 * 60) /* unlock --full --for */
#define AGENT_CONNS_MAX 128	       /* connections served at once */
#define AGENT_BODY_MAX (4u << 20)      /* a request's arguments and environment, in bytes */
#define AGENT_ARGS_MAX 4096	       /* arguments of a request */
#define AGENT_ENV_MAX 4096	       /* environment variables of a request */
#define AGENT_PATH_MAX 4096
#define AGENT_SOCKET_NAME "agent.sock"

enum agent_scope {
	AGENT_SCOPE_NONE = 0, /* no agent */
	AGENT_SCOPE_AGENT,    /* list, exists, masked values, metadata, policy-checked runs */
	AGENT_SCOPE_FULL,     /* everything the master password allows */
};
/* "agent", "full" or "none". */
const char *agent_scope_name(enum agent_scope s);

/* What an agent says about itself (to every client that connects, and to `status`). */
struct agent_info {
	pid_t pid;
	enum agent_scope scope; /* the scope a request without proof gets now */
	int64_t started;	/* wall clock, seconds */
	int64_t expires;	/* it locks at this time */
	int64_t full_until;	/* the full window ends (0: none) */
	int64_t idle_s;		/* it locks after this long without a request (0: never) */
	int64_t idle_at;	/* when it locks if nothing happens (0: busy or no idle limit) */
	unsigned serving;	/* requests being served now */
	unsigned pending;	/* approvals waiting for an answer */
	unsigned grants;	/* live grants */
	char vault_dir[AGENT_PATH_MAX];
	char socket[AGENT_PATH_MAX];
	char policy[AGENT_PATH_MAX]; /* the policy loaded at unlock, or the file to create */
	bool policy_loaded;
	bool policy_changed; /* the file is no longer the one loaded (status only) */
};

/* ---- finding an agent ------------------------------------------------------------------------ */

/* The socket of the agent of vault_dir (which must exist; its real path counts):
 * <vault dir>/agent.sock, or, when that path is too long for a socket address,
 * /run/user/<uid>/secretctl/<hash>.sock (when /run/user/<uid> is ours, mode 0700), else
 * /tmp/secretctl-<uid>/<hash>.sock. Every client finds the same path whatever its environment.
 * Directories it names are created 0700 when make_dirs, and must be ours, private and not
 * symlinks (-EACCES/-ELOOP with err saying which). -ENOENT when vault_dir does not exist. */
int agent_socket_path(const char *vault_dir, bool make_dirs, char out[AGENT_PATH_MAX],
		      struct reterr *err);

/* ---- the agent --------------------------------------------------------------------------- */

/* The request a child of the agent serves (opaque). */
struct agent_child;

/* What the agent's children do, given by the program that starts the agent (no module below
 * cli/ and mcp/ knows how to run a command line or an MCP broker). */
struct agent_ops {
	/* Run a command line of this program (argv[0] is the command name) with the client's
	 * standard streams, working directory, environment (the vault directory forced to the
	 * agent's, no password) and terminal. Returns the exit code. */
	int (*exec)(struct agent_child *c, int argc, char **argv);
	/* Serve the MCP broker side on fd (the wire protocol of mcp/), stderr the client's.
	 * Returns the exit code. */
	int (*mcp)(struct agent_child *c, int fd);
};

struct agent_opts {
	const char *vault_dir; /* the vault the keys belong to */
	int64_t for_s;	       /* lifetime (> 0) */
	int64_t idle_s;	       /* 0: no idle limit */
	int64_t full_s;	       /* a full window from the start (0: none) */
	const struct agent_ops *ops;
};

/* Start the agent of o->vault_dir with keys and policy (both taken, also on failure; policy
 * may be NULL: then runs are refused until the user writes policy_path (copied) and unlocks
 * again). An agent already serving the vault is told to lock first (ended) and a socket a
 * killed agent left is replaced. The daemon is forked (setsid, stdio on /dev/null, cwd /); this
 * returns in the caller once it listens, with *ret describing it. Call with the process already
 * hardened (and, unprivileged, inside the user namespace runs are made from). */
int agent_start(const struct agent_opts *o, struct vault_keys *keys, struct policy *policy,
		const char *policy_path, struct agent_info *ret, struct reterr *err);

/* In a child: the scope its request was granted. */
enum agent_scope agent_child_scope(const struct agent_child *c);
/* The agent's vault directory (real path). */
const char *agent_child_vault_dir(const struct agent_child *c);
/* The client's terminal (an open descriptor; -1 when it has none). */
int agent_child_tty(const struct agent_child *c);
/* Open the agent's vault and unlock it with the held keys; audit events say "via": "agent".
 * -ESTALE when the vault was replaced or its password changed: the agent is told and locks
 * itself. *ret owned by the caller. */
int agent_child_vault(struct agent_child *c, struct vault **ret, struct reterr *err);
/* The policy the agent loaded at unlock (NULL when there was none) and its path (or the file
 * to create). Borrowed. */
const struct policy *agent_child_policy(const struct agent_child *c, const char **ret_path);
/* Ask the agent about itself. */
int agent_child_status(struct agent_child *c, struct agent_info *ret, struct reterr *err);
/* Lock the agent (it kills every request in flight, this one last). */
int agent_child_lock(struct agent_child *c, struct reterr *err);
/* Something happened (an MCP call): the idle limit starts again. Rate-limited; never blocks. */
void agent_child_touch(struct agent_child *c);

/* ---- consent (in a child) -------------------------------------------------------------------- */

enum agent_verdict {
	AGENT_DENY = 0,
	AGENT_ALLOW_ONCE,    /* this run */
	AGENT_ALLOW_SESSION, /* and later runs of the same program with the same keys and sandbox:
			      * for the rest of the MCP session (approval: session) or until the
			      * vault locks (approval: once); approval: always asks every time */
};

/* The broker's approval hook (broker_opts.approve) for a child of the agent (ctx): the
 * question waits in the agent (`secretctl approvals`) until the person answers, or
 * ask->timeout_ms passes. 0 allowed; -EACCES denied or timed out (err says which); -EPIPE the
 * agent is gone. Blocks. */
int agent_child_approve(void *ctx, const struct broker_approval *ask, struct reterr *err);
/* The same question, answered at once from what the agent holds: a live grant that covers the
 * run (it counts as used) or an earlier "allow for this session" answer. 0 covered; -EACCES
 * not covered (nobody is asked); -EPIPE the agent is gone. */
int agent_child_covered(struct agent_child *c, const struct broker_approval *ask,
			struct reterr *err);

/* A waiting approval as `secretctl approvals` shows it. Strings are untrusted text (an agent
 * wrote the command): escape them before printing. */
struct agent_pending_info {
	int64_t id;
	enum policy_approval level;
	char *why, *source, *program, *profile;
	char **argv, **keys;
	bool deny_network;
	int64_t asked;	 /* wall clock, seconds */
	int64_t left_ms; /* until it times out */
};
void agent_pending_info_release(struct agent_pending_info *p);
/* The waiting approval with the smallest id above after: 1 and *ret (release it), 0 none. */
int agent_child_pending(struct agent_child *c, int64_t after, struct agent_pending_info *ret,
			struct reterr *err);
/* Answer approval id. -ENOENT no such approval waits; -EPERM allowing needs the full scope. */
int agent_child_decide(struct agent_child *c, int64_t id, enum agent_verdict v, struct reterr *err);

/* A live grant as `secretctl grants` shows it. */
struct agent_grant_info {
	int64_t id;
	char *pattern;
	char *command;	 /* "" when any program */
	int64_t created; /* wall clock, seconds */
	int64_t left_ms; /* until it ends */
	int64_t runs;	 /* runs left, -1 no limit */
	int64_t used;	 /* runs it let through */
};
void agent_grant_info_release(struct agent_grant_info *g);
/* Grant runs the keys matching pattern (a key glob) without asking, for ms, for at most runs
 * runs (-1 no limit), of programs named command only (NULL: any). 0 and *ret_id; -EPERM the
 * request has the agent scope only; -EINVAL; -ENOSPC AGENT_GRANTS_MAX live already. */
int agent_child_grant(struct agent_child *c, const char *pattern, const char *command, int64_t ms,
		      int64_t runs, int64_t *ret_id, struct reterr *err);
/* The live grant with the smallest id above after: 1 and *ret (release it), 0 none. */
int agent_child_grants(struct agent_child *c, int64_t after, struct agent_grant_info *ret,
		       struct reterr *err);
/* End grant id (or all): the number ended in *ret_n; -ENOENT no such live grant. */
int agent_child_revoke(struct agent_child *c, int64_t id, bool all, int64_t *ret_n,
		       struct reterr *err);

/* ---- clients ------------------------------------------------------------------------------- */

struct agent_conn;

/* Connect to the agent of vault_dir and read what it says about itself. -ENOENT when no agent
 * serves it (no socket, or one a killed agent left), -EACCES when the agent refused us (err
 * says why), -ETIMEDOUT when it did not answer. *ret owned by the caller (agent_conn_free). */
int agent_connect(const char *vault_dir, struct agent_conn **ret, struct reterr *err);
const struct agent_info *agent_conn_info(const struct agent_conn *c);
struct agent_conn *agent_conn_free(struct agent_conn *c);

/* Run argv (argv[0] a command name of this program) in the agent with our standard streams,
 * working directory, environment and terminal. proof (optional): keys of the same vault this
 * process unlocked with the password; the request then gets the full scope. SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT and SIGWINCH are forwarded while it runs. Blocks until it ends: 0 and its
 * wait status in *ret_status, or -errno (-EPIPE: the agent stopped, e.g. locked, meanwhile). */
int agent_conn_exec(struct agent_conn *c, int argc, char *const *argv,
		    const struct vault_keys *proof, int *ret_status, struct reterr *err);
/* Ask for an MCP broker on fd (passed to the agent). The connection then stays open while the
 * broker serves: poll agent_conn_fd for its end (EOF: the agent locked or the broker ended). */
int agent_conn_mcp(struct agent_conn *c, int fd, struct reterr *err);
int agent_conn_fd(const struct agent_conn *c);
/* Tell the agent to lock (any peer may: it only takes access away). Returns once it has wiped
 * its keys and removed its socket (its children get AGENT_LOCK_GRACE_S more to end). */
int agent_conn_lock(struct agent_conn *c, struct reterr *err);

#endif
