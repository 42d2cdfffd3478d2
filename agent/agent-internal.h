/* SPDX-License-Identifier: Apache-2.0 */
/* agent internals: the message format on the agent's socket and on the control channel of each
 * child, the agent's state, and what its source files share. Only agent/ sources, its unit
 * tests and fuzz targets include this. */
#ifndef SECRETCTL_AGENT_INTERNAL_H
#define SECRETCTL_AGENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "agent/agent.h"

/* ---- messages (agent/msg.c) -------------------------------------------------------------------
 * Every message is one SOCK_SEQPACKET datagram (a request's arguments and environment travel
 * in a sealed memfd whose content is one message too):
 *
 *   u32 magic    "SCA1" (0x31414353, little endian)
 *   u16 type     enum agent_msg_type
 *   u16 nfields  0..AGENT_MSG_FIELDS_MAX
 *   fields, nfields times:
 *     u8  tag    enum agent_tag (unique in a message)
 *     u8  kind   1 STR, 2 INT, 3 STRV
 *     u16 zero
 *     u32 len    bytes that follow (STR: the bytes; INT: 8; STRV: the items)
 *     STR: len bytes    INT: i64 little endian    STRV: u32 count, count times (u32 n, n bytes)
 *
 * Every length is checked against the bytes left before it is used; an unknown kind, a tag
 * used twice, a non-zero pad, an INT whose len is not 8, a STRV whose items do not fill len
 * exactly, or trailing bytes are -EPROTO. Unknown tags and types are the reader's to refuse.
 * Decoded fields point into the buffer. Fuzzed: tests/fuzz/fuzz_agent_msg.c. */
#define AGENT_MSG_MAGIC 0x31414353u
#define AGENT_MSG_HEADER 8u
#define AGENT_MSG_FIELDS_MAX 32
#define AGENT_DGRAM_MAX (64u << 10) /* one datagram on a socket */
#define AGENT_FDS_MAX 8		    /* descriptors with one datagram */

enum agent_msg_type {
	AGENT_M_HELLO = 1, /* agent -> client: what it is (info fields), nonce */
	AGENT_M_REFUSED,   /* agent -> client: reason; then it closes */
	AGENT_M_EXEC,	   /* client -> agent: run a command line; fds stdin stdout stderr cwd body
			    * [tty]; proof (STR) optional */
	AGENT_M_MCP,	 /* client -> agent: serve an MCP broker; fds: the broker socket, stderr */
	AGENT_M_LOCK,	 /* client or child -> agent: lock now */
	AGENT_M_SIGNAL,	 /* client -> agent: signo, for the child */
	AGENT_M_EXIT,	 /* agent -> client: status (the child's wait status) */
	AGENT_M_STATUS,	 /* child -> agent: what are you (answered with INFO) */
	AGENT_M_INFO,	 /* agent -> child: info fields */
	AGENT_M_TOUCH,	 /* child -> agent: activity */
	AGENT_M_STALE,	 /* child -> agent: the vault was replaced; lock */
	AGENT_M_BODY,	 /* the memfd of EXEC: argv, env */
	AGENT_M_ASK,	 /* child -> agent: approve this run? (ask fields, serial) */
	AGENT_M_ANSWER,	 /* agent -> child: serial, verdict, reason */
	AGENT_M_PENDING, /* child -> agent: the first waiting approval with an id above id */
	AGENT_M_ITEM,	 /* agent -> child: ask fields, id, asked, left; no id: none */
	AGENT_M_DECIDE,	 /* child -> agent: id, verdict */
	AGENT_M_DECIDED, /* agent -> child: status (0 or -errno), reason */
	AGENT_M_GRANT,	 /* child -> agent: pattern, command, timeout (ms), runs */
	AGENT_M_GRANTED, /* agent -> child: status, id */
	AGENT_M_GRANTS,	 /* child -> agent: the first live grant with an id above id */
	AGENT_M_GRANT_ITEM, /* agent -> child: id, pattern, command, asked, left, runs, used */
	AGENT_M_REVOKE,	    /* child -> agent: id, or all */
	AGENT_M_REVOKED,    /* agent -> child: status, count */
	AGENT_M_TYPE_MAX = AGENT_M_REVOKED,
};

enum agent_msg_kind {
	AGENT_K_STR = 1,
	AGENT_K_INT,
	AGENT_K_STRV,
};

enum agent_tag {
	AGENT_T_PID = 1,
	AGENT_T_SCOPE,
	AGENT_T_STARTED,
	AGENT_T_EXPIRES,
	AGENT_T_FULL_UNTIL,
	AGENT_T_IDLE_S,
	AGENT_T_IDLE_AT,
	AGENT_T_SERVING,
	AGENT_T_PENDING,
	AGENT_T_GRANTS,
	AGENT_T_VAULT,
	AGENT_T_SOCKET,
	AGENT_T_POLICY,
	AGENT_T_POLICY_LOADED,
	AGENT_T_POLICY_CHANGED,
	AGENT_T_NONCE,
	AGENT_T_REASON,
	AGENT_T_PROOF,
	AGENT_T_TTY,
	AGENT_T_SIGNO,
	AGENT_T_STATUS,
	AGENT_T_ARGV,
	AGENT_T_ENV,
	AGENT_T_VERSION,
	/* consent */
	AGENT_T_ID,	/* a waiting approval */
	AGENT_T_SERIAL, /* the child's number for its question, echoed in the answer */
	AGENT_T_LEVEL,	/* enum policy_approval */
	AGENT_T_WHY,
	AGENT_T_SOURCE,
	AGENT_T_PROGRAM,
	AGENT_T_KEYS,
	AGENT_T_PROFILE,
	AGENT_T_NETWORK, /* 1: denied */
	AGENT_T_TIMEOUT, /* ms */
	AGENT_T_VERDICT, /* enum agent_verdict */
	AGENT_T_ASKED,	 /* wall clock, seconds */
	AGENT_T_LEFT,	 /* ms until it times out */
	AGENT_T_REQUIRE, /* 1: a key needs a live grant */
	AGENT_T_GRANT_WHY,
	AGENT_T_PATTERN, /* a grant's key glob */
	AGENT_T_COMMAND, /* a grant's program name ("" any) */
	AGENT_T_RUNS,	 /* runs left (-1: no limit) */
	AGENT_T_USED,	 /* runs let through */
	AGENT_T_ALL,
	AGENT_T_COUNT,
	AGENT_T_NO_WAIT, /* ASK: 1 answer from grants and earlier answers only; never queue it */
};

struct agent_field {
	uint8_t tag, kind;
	const char *str; /* STR: the bytes (not NUL-terminated); STRV: the raw items */
	size_t len;	 /* STR, STRV: bytes */
	int64_t i;	 /* INT */
	size_t n;	 /* STRV: items */
};

struct agent_msg {
	uint16_t type;
	size_t nfields;
	struct agent_field f[AGENT_MSG_FIELDS_MAX];
};

/* Encoder: appends one message to b; errors are sticky and returned by agent_enc_end (-E2BIG
 * past AGENT_BODY_MAX or too many fields, -EINVAL a tag used twice, -ENOMEM). */
struct agent_enc {
	struct buf *b;
	size_t start;
	unsigned nfields;
	uint64_t tags[4]; /* tags used (bit set) */
	int err;
};
void agent_enc_begin(struct agent_enc *e, struct buf *b, enum agent_msg_type type);
void agent_enc_str(struct agent_enc *e, uint8_t tag, const void *p, size_t len);
void agent_enc_cstr(struct agent_enc *e, uint8_t tag, const char *s);
void agent_enc_int(struct agent_enc *e, uint8_t tag, int64_t v);
void agent_enc_strv(struct agent_enc *e, uint8_t tag, char *const *v, size_t n);
int agent_enc_end(struct agent_enc *e);

/* Decode one whole message (p, len). 0 and *ret (pointing into p), or -EPROTO. Pure. */
int agent_msg_decode(const void *p, size_t len, struct agent_msg *ret);
/* The field with tag of kind, or NULL. */
const struct agent_field *agent_msg_get(const struct agent_msg *m, uint8_t tag, uint8_t kind);
/* An INT field, or def when absent. */
int64_t agent_msg_int(const struct agent_msg *m, uint8_t tag, int64_t def);
/* A STR field copied into out (NUL-terminated, at most size - 1 bytes, no NUL inside): out, or
 * NULL when absent, too long or holding a NUL. */
const char *agent_msg_cstr(const struct agent_msg *m, uint8_t tag, char *out, size_t size);
/* A STRV field as a new strv (each item without NUL bytes, at most max items): 0 and *ret
 * (NULL when absent), -EPROTO, -E2BIG, -ENOMEM. */
int agent_msg_strv(const struct agent_msg *m, uint8_t tag, size_t max, char ***ret);

/* Send one message with optional descriptors (SCM_RIGHTS). 0 or -errno. Never blocks longer
 * than the socket does. */
int agent_send(int fd, const struct buf *b, const int *fds, size_t nfds);
/* Receive one datagram into b (reset first) and up to AGENT_FDS_MAX descriptors (CLOEXEC) into
 * fds (*ret_nfds of them; the caller closes them). 0, -ENODATA at EOF, -EPROTO for a truncated
 * datagram or control data, -errno. */
int agent_recv(int fd, struct buf *b, int *fds, size_t *ret_nfds);

/* Info fields (HELLO, INFO): encode from / decode into struct agent_info. */
void agent_info_encode(struct agent_enc *e, const struct agent_info *in);
void agent_info_decode(const struct agent_msg *m, struct agent_info *out);

/* ---- the agent process -------------------------------------------------------------------
 * Files, bottom layer first (tests/lint/file-cycles.py --layers agent):
 *   msg.c path.c       the message format; where the socket is
 *   state.c            the daemon's state: clocks, connection slots, info, locking, set-up
 *   child.c client.c   a child's control channel; the client side
 *   ask.c              a child's questions about consent (approve, list, decide)
 *   grants.c           grants: runs whose keys they cover go on without asking
 *   consent.c          the approvals waiting in the agent, "allow for this session" answers
 *   conn.c             connections: peer checks, requests, forking a child per request,
 *                      control messages of the children
 *   server.c           the poll loop: signals, timers, the vault watch
 *   start.c            agent_start: replace a running or stale agent, bind, fork the daemon */

#define AGENT_NONCE_BYTES 32
#define AGENT_REQUEST_WAIT_S 10 /* a connection must send its request within this */
#define AGENT_LOCK_GRACE_S 5	/* children get this long after SIGTERM before SIGKILL */
#define AGENT_HANGUP_GRACE_S 10 /* a child whose client left: SIGHUP, then SIGKILL after this */
#define AGENT_TOUCH_EVERY_S 1	/* children report activity at most this often */

/* ---- consent (agent/consent.c in the agent, agent/ask.c in its children) -------------------
 * A run the policy wants approved is asked about by the child serving it (ASK, blocking); the
 * agent answers at once when an earlier "allow for this session" covers it, else queues it
 * until a child serving `secretctl approve|deny` decides (DECIDE; allowing needs that request
 * to have the full scope) or it times out. */
#define AGENT_PENDING_MAX 32	/* approvals waiting at once */
#define AGENT_REMEMBER_MAX 64	/* "allow for this session" answers kept */
#define AGENT_ASK_GRACE_MS 5000 /* a child waits this much longer than the agent would */

struct agent_pending {
	int64_t id; /* 0: free */
	struct agent_conn_slot *slot;
	uint64_t slot_serial; /* the slot's, when it asked (a reused slot does not match) */
	int64_t serial;	      /* the child's number for the question */
	int64_t asked;	      /* wall clock, seconds */
	int64_t deadline;     /* boot ms */
	struct buf ask;	      /* the ASK datagram as received (decoded again to list it) */
};

#define AGENT_GRANTS_MAX 64

/* `secretctl grant`: runs whose keys it covers need no approval, nor another grant. */
struct agent_grant {
	int64_t id;	 /* 0: free */
	char *pattern;	 /* key glob */
	char *command;	 /* program name the run's file must have, or NULL: any */
	int64_t created; /* wall clock, seconds */
	int64_t until;	 /* boot ms */
	int64_t runs;	 /* runs left, -1: no limit */
	int64_t used;
};

struct agent_remembered {
	uint64_t session; /* the slot serial it holds for; 0: until the agent locks */
	char *what;	  /* program, keys, profile and network, one string */
};

/* What a forked child serves (its part of struct agent_state, inherited by fork). */
struct agent_child {
	int ctl; /* control channel to the agent (SOCK_SEQPACKET) */
	enum agent_scope scope;
	const char *vault_dir;
	const char *path; /* PATH of the agent (forced on agent-scope requests) */
	const struct vault_keys *keys;
	const struct policy *policy;
	const char *policy_path;
	int tty; /* the client's terminal, or -1 */
	int64_t last_touch;
};

/* One connection, and the child serving its request. */
struct agent_conn_slot {
	int fd;	   /* the client's connection; -1 when free or the client left */
	int ctl;   /* our end of the child's control channel, -1 */
	pid_t pid; /* the child, 0 before the request */
	enum agent_scope scope;
	bool exec;	  /* a command line (counts as busy for the idle limit) */
	bool hung;	  /* the client left: SIGHUP sent, SIGKILL at deadline */
	bool ends_itself; /* it asked for the lock: not signalled, it is ending anyway */
	int64_t deadline; /* boot time (ms): the request's, or the SIGKILL's */
	uint64_t serial;  /* unique for the agent's life (0: free) */
	unsigned char nonce[AGENT_NONCE_BYTES];
};

struct agent_state {
	const struct agent_ops *ops;
	int lfd, sigfd, tfd, ino;
	char *vault_dir, *sock, *policy_path, *path;
	struct vault_keys *keys;
	struct policy *policy;
	struct stat policy_st;
	dev_t vault_dev, sock_dev;
	ino_t vault_ino, sock_ino;
	int64_t started; /* wall clock at start, seconds */
	int64_t boot0;	 /* boot clock at start, ms; every time below is boot time in ms */
	int64_t expires, full_until, idle_ms, last_use;
	struct agent_conn_slot conns[AGENT_CONNS_MAX];
	bool locking;
	int64_t lock_deadline;
	char lock_reason[128];
	uint64_t next_serial;
	int64_t next_id;
	struct agent_pending pending[AGENT_PENDING_MAX];
	struct agent_remembered remembered[AGENT_REMEMBER_MAX];
	unsigned remembered_next; /* the entry replaced next when all are used */
	struct agent_grant grants[AGENT_GRANTS_MAX];
	int64_t next_grant_id;
};

/* state.c */
int64_t agent_now(void);      /* wall clock, seconds */
int64_t agent_boot_now(void); /* boot clock (counts suspend), milliseconds */
/* Set up the daemon's state around the bound, listening lfd at sock: clocks, signals (a
 * signalfd; SIGPIPE ignored), the boot-time timer, the vault watch. Takes keys and policy, also
 * on failure (then the caller closes lfd and removes sock). */
int agent_state_new(const struct agent_opts *o, int lfd, const char *sock, struct vault_keys *keys,
		    struct policy *policy, const char *policy_path, struct agent_state **ret,
		    struct reterr *err);
void agent_state_info(const struct agent_state *a, struct agent_info *ret);
/* Requests being served, and whether a command line is among them. */
unsigned agent_serving(const struct agent_state *a);
bool agent_busy(const struct agent_state *a);
struct agent_conn_slot *agent_slot_new(struct agent_state *a);
void agent_slot_close(struct agent_conn_slot *c);
/* Wipe the keys, remove the socket, stop listening, end every child (SIGTERM now, SIGKILL
 * after AGENT_LOCK_GRACE_S); the loop exits once they are gone. */
void agent_lock(struct agent_state *a, const char *why);

/* conn.c */
void agent_accept(struct agent_state *a);
void agent_conn_input(struct agent_state *a, struct agent_conn_slot *c);
void agent_ctl_input(struct agent_state *a, struct agent_conn_slot *c);

/* consent.c: the control messages of consent; approvals that timed out or whose asker left
 * (answered or dropped); the earliest deadline (0: none). */
void agent_consent_ask(struct agent_state *a, struct agent_conn_slot *c, const struct buf *b,
		       const struct agent_msg *m);
void agent_consent_list(struct agent_state *a, struct agent_conn_slot *c,
			const struct agent_msg *m);
void agent_consent_decide(struct agent_state *a, struct agent_conn_slot *c,
			  const struct agent_msg *m);
void agent_consent_grant(struct agent_state *a, struct agent_conn_slot *c,
			 const struct agent_msg *m);
void agent_consent_grants(struct agent_state *a, struct agent_conn_slot *c,
			  const struct agent_msg *m);
void agent_consent_revoke(struct agent_state *a, struct agent_conn_slot *c,
			  const struct agent_msg *m);
/* grants.c: a grant still lets runs through at now (boot ms); whether live grants cover every
 * key of an ASK (for its program): the smallest id among those used (each counts the run), or
 * 0 when some key is not covered. */
bool agent_grant_live(const struct agent_grant *g, int64_t now);
int64_t agent_grants_cover(struct agent_state *a, const struct agent_msg *m);
/* Free the grants that ran out (time or runs). */
void agent_grants_expire(struct agent_state *a, int64_t now);
void agent_consent_expire(struct agent_state *a, int64_t now);
int64_t agent_consent_deadline(const struct agent_state *a);

/* server.c */
__attribute__((noreturn)) void agent_serve(struct agent_state *a);

/* path.c: make sure a directory is ours, private and not a symlink (created 0700 when make). */
int agent_dir_check(const char *dir, bool make, struct reterr *err);

/* child.c: one request on a child's control channel and its answer (of type want), waiting at
 * most timeout_ms. */
int agent_child_call(struct agent_child *c, const struct buf *req, int want, int timeout_ms,
		     struct buf *ans, struct agent_msg *ret, struct reterr *err);

#endif
