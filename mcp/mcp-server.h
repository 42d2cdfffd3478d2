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
