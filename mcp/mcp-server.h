/* SPDX-License-Identifier: Apache-2.0 */
/* mcp internals of the broker process: the answer to one call, the read-only tools, and the run
 * workers. Only mcp/ sources (and mcp's unit tests) include this. */
#ifndef SECRETCTL_MCP_SERVER_H
#define SECRETCTL_MCP_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker/broker.h"
#include "mcp/mcp-internal.h"

/* The answer to one CALL: structuredContent JSON (json, may be empty) and, for a tool error,
 * a message. */
struct mcp_reply {
	bool error;
	bool denied; /* refused by a rule (audited as a denial) */
	struct buf json;
	struct buf message;
};

/* Set a tool error (formatted message). 0 or -ENOMEM. */
int mcp_call_error(struct mcp_reply *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* CALL argument access. See calls.c. */
const char *mcp_field_str(const struct mcp_wire_msg *m, const char *name, char *out, size_t size,
			  int *ret_err);
int mcp_field_strv(const struct mcp_wire_msg *m, const char *name, size_t max, size_t item_max,
		   char ***ret);

/* Audit one MCP call that is not a run (source mcp; detail {"tool": ...}). */
void mcp_audit(struct broker *b, const char *action, const char *tool, const char *keys, bool ok,
	       const char *error);

/* A read-only tool (everything but the runs): fills rp and audits. -ENOENT for a tool that is
 * not one of them; -ENOMEM. */
int mcp_call_read(struct broker *b, const char *tool, const struct mcp_wire_msg *m,
		  struct mcp_reply *rp);
/* folder_list, folder_create, folder_move_secret (folders.c): fills rp; the vault audits them.
 * The writing two are refused unless the policy sets mcp_folder_writes. -ENOENT for another
 * tool; -ENOMEM. */
int mcp_call_folder(struct broker *b, const char *tool, const struct mcp_wire_msg *m,
		    struct mcp_reply *rp);
/* policy_check: what secret_run would decide (runs.c). */
int mcp_call_policy_check(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp);

/* ---- runs (runs.c) ---------------------------------------------------------------------- */

/* One secret_run in flight: the worker process and the pipes to it. */
struct mcp_run {
	uint64_t id;   /* the CALL's wire id */
	pid_t pid;     /* the worker */
	int result_fd; /* worker -> broker: one wire message, then EOF */
	int cancel_fd; /* broker's end of the cancel pipe: closing it kills the tree */
	bool progress; /* the client asked for progress notifications */
	bool cancelled;
	int64_t start_ms, next_progress_ms, timeout_ms;
	struct broker_run *run;
	struct buf in; /* the worker's message as it arrives */
};

/* Start a secret_run / secret_run_with_bindings for CALL m: decide and prepare in this process
 * (denials and refusals become a tool error in rp, audited), then fork the worker, which runs
 * the command and writes its result to the returned run's result_fd. 0 with *ret (in flight),
 * 1 with rp filled (answered at once), or -errno. front_fd and the fds of other runs are
 * closed in the worker (pass them in keep_closed, -1 terminated). */
int mcp_run_start(struct broker *b, const char *tool, const struct mcp_wire_msg *m,
		  const int *close_in_worker, struct mcp_reply *rp, struct mcp_run **ret);
/* The worker's message has arrived (EOF on result_fd): audit the run and fill rp with what goes
 * to the front. Reaps the worker. */
int mcp_run_finish(struct mcp_run *run, struct mcp_reply *rp);
/* Kill the run's tree (closing the cancel pipe); its result still arrives. */
void mcp_run_cancel(struct mcp_run *run);
struct mcp_run *mcp_run_free(struct mcp_run *run);

/* ---- approvals (approve.c) --------------------------------------------------------------
 * The broker's approval hook (broker_opts.approve). The front says in each CALL how the client
 * can be asked: field "elicitation" (INT, MCP_ELICIT_*); a 2026-07-28 call repeated with an
 * answer adds "request_state" (STR: params.requestState), "approval_action" (STR: accept,
 * decline or cancel) and "approval_decision" (STR: content.decision), from
 * params.inputResponses.approval. */
#define MCP_STATES_USED_MAX 1024 /* answered requestStates kept (until they expire) */
#define MCP_ALLOWED_MAX 64	 /* "allow for this session" answers kept (oldest go first) */

struct agent_child;
struct mcp_approver {
	struct broker *b;
	struct agent_child *agent; /* the session agent's child, or NULL (the password unlocked) */
	int front;		   /* the front's socket (blocking) */
	int sigfd;		   /* the loop's signalfd: a stop signal ends a wait (-1 none) */
	struct buf *in;		   /* bytes from the front not handled yet (the loop's buffer) */
	const struct mcp_wire_msg *call; /* the call being served (set around mcp_run_start) */
	/* Set by the hook when the question goes back to a 2026-07-28 client: the question and
	 * the requestState to answer with (input_required). */
	bool input_required;
	struct buf message;
	char state[MCP_REQUEST_STATE_MAX + 1];
	unsigned char key[32]; /* crypto_auth key of this process: requestStates are ours */
	struct {
		unsigned char nonce[16];
		int64_t expiry;
	} used[MCP_STATES_USED_MAX];
	size_t nused;
	char *allowed[MCP_ALLOWED_MAX]; /* what "allow_session" answers cover */
	size_t nallowed, next_allowed;
};
/* A new random key; b and agent are borrowed. 0 or -EIO. */
int mcp_approver_init(struct mcp_approver *a, struct broker *b, struct agent_child *agent);
void mcp_approver_release(struct mcp_approver *a);
/* The hook (ctx: a struct mcp_approver). Through the client when the call says it can be asked
 * and the policy's approval_channel is client (and no grant is required), else through the
 * session agent (-ENOSYS without one). A 2025 question waits for the ANSWER up to
 * ask->timeout_ms, keeping every other front message in *in; a 2026 question sets
 * input_required and returns -EAGAIN; an answer with a requestState is checked (MAC, run
 * digest, expiry, single use) before it counts. */
int mcp_approve(void *ctx, const struct broker_approval *ask, struct reterr *err);

/* ---- through the session agent (relay.c) ------------------------------------------------ */

struct agent_conn;
/* The mcp-server process when a session agent serves the vault: relay the wire protocol between
 * the front (front_fd) and a broker the agent runs in a child of its own (asked for on c, which
 * is taken), answering every call with "vault locked" while no agent serves the vault, and
 * asking a new agent for a broker (on the next call) after the vault was unlocked again.
 * Returns the exit code when the front ends (0) or the relay fails (1); *ret_signalled tells
 * whether SIGTERM, SIGINT or SIGHUP ended it (the caller then stops the front). */
int mcp_relay_main(int front_fd, const char *vault_dir, struct agent_conn *c, bool *ret_signalled);

#endif
