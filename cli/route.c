/* SPDX-License-Identifier: Apache-2.0 */
/* cli: routing a parsed command. In a client: to the session agent that serves our vault when
 * its scope allows (or after proving the password, for the commands that must run there), else
 * here with the password. In the agent's child: a command that needs more than the request's
 * scope is refused (and audited) before anything is read. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

/* ---- in the agent's child ---------------------------------------------------------------- */

/* A command that needs the full scope, asked in the agent scope: recorded, then refused. */
static int refuse(const struct cli_command *c, const struct cli_ctx *ctx)
{
	struct vault *v = NULL;
	struct reterr err = RETERR_INIT;
	if (agent_child_vault(cli_session(), &v, &err) == 0) {
		struct audit_event ev = { .action = "agent.scope_denied",
					  .keys = ctx->key,
					  .command = ctx->name,
					  .success = false,
					  .error = "needs the master password (full scope)" };
		(void)audit_append(v, &ev, NULL);
		vault_free(v);
	}
	cli_error(
		"%s: refused: this shows or changes secret values, which needs the master "
		"password; the session agent serves only what an MCP client may do (lists, masked "
		"values, metadata, runs the policy allows). Run it with the password (on a "
		"terminal, --password-stdin or $%s), or open a window first with 'secretctl "
		"unlock --full --for 10m'",
		ctx->name, VAULT_PASSWORD_ENV);
	return c->usage_exit ? c->usage_exit : CLI_EAUTH; /* run: 125, its own failure */
}

/* ---- in a client ------------------------------------------------------------------------- */

/* The exit code of a wait status; a signal that ended the command ends us the same way. */
static int exit_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		return 128 + sig;
	}
	return CLI_EIO;
}

/* Unlock here with the password, for a proof that we know it. */
static int prove(const struct cli_ctx *ctx, struct vault_keys **ret)
{
	struct vault *v = NULL;
	struct reterr err = RETERR_INIT;
	int rc = cli_vault_unlock(ctx->password_stdin, 0, &v);
	if (rc != CLI_OK)
		return rc;
	int r = vault_keys_export(v, ret, &err);
	vault_free(v);
	if (r < 0) {
		cli_error("%s: %s", ctx->name, reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	return CLI_OK;
}

static int forward(const struct cli_ctx *ctx, struct agent_conn *conn, int argc, char **argv,
		   const struct vault_keys *proof)
{
	struct reterr err = RETERR_INIT;
	int st = 0;
	int r = agent_conn_exec(conn, argc, argv, proof, &st, &err);
	if (r < 0) {
		cli_error("%s: %s", ctx->name, reterr_str(&err, r));
		return r == -EPIPE ? CLI_EAUTH : CLI_EIO;
	}
	return exit_of(st);
}

int cli_session_route(const struct cli_command *c, const struct cli_ctx *ctx, int argc, char **argv)
{
	struct reterr err = RETERR_INIT;
	struct agent_conn *conn = NULL;
	struct vault_keys *proof = NULL;
	bool in_agent = c->flags & CLI_IN_AGENT;

	if (cli_session())
		return ctx->scope == CLI_SCOPE_FULL && cli_session_scope() != CLI_SCOPE_FULL
			       ? refuse(c, ctx)
			       : -1;
	if (ctx->scope == CLI_SCOPE_NONE && !in_agent)
		return -1;
	/* A password given explicitly is used here, as always (except to prove it). */
	if (!in_agent && (ctx->password_stdin || secure_getenv(VAULT_PASSWORD_ENV)))
		return -1;
	AUTO_FREE char *dir = vault_dir_default(NULL);
	int r = dir ? agent_connect(dir, &conn, &err) : -ENOENT;
	if (r < 0) {
		if (r != -ENOENT)
			cli_warn("%s: %s; going on without the session agent", ctx->name, err.msg);
		return -1;
	}
	if (ctx->scope == CLI_SCOPE_FULL && agent_conn_info(conn)->scope != AGENT_SCOPE_FULL) {
		cli_session_note_agent();
		if (!in_agent) {
			agent_conn_free(conn);
			return -1;
		}
		/* The password may take a while to type: connect again afterwards (the agent
		 * waits only AGENT_REQUEST_WAIT_S for a request). */
		conn = agent_conn_free(conn);
		int rc = prove(ctx, &proof);
		if (rc != CLI_OK)
			return rc;
		if ((r = agent_connect(dir, &conn, &err)) < 0) {
			vault_keys_free(proof);
			cli_error("%s: the session agent is gone: %s", ctx->name,
				  r == -ENOENT ? "it was locked meanwhile" : err.msg);
			return CLI_EAUTH;
		}
	}
	int rc = forward(ctx, conn, argc, argv, proof);
	vault_keys_free(proof);
	agent_conn_free(conn);
	return rc;
}
