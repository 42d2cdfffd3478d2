/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the session agent's request as the commands see it in the agent's child (its scope, its
 * policy, the client's terminal, the vault unlocked with the agent's keys), and what a client
 * learnt about an agent it met. */
#include <errno.h>
#include <stdio.h>

#include "agent/agent.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static struct agent_child *session;
static bool agent_seen; /* an agent serves our vault, in a scope too small for this command */

struct agent_child *cli_session(void)
{
	return session;
}

enum cli_scope cli_session_scope(void)
{
	if (!session)
		return CLI_SCOPE_NONE;
	return agent_child_scope(session) == AGENT_SCOPE_FULL ? CLI_SCOPE_FULL : CLI_SCOPE_AGENT;
}

const struct policy *cli_session_policy(const char **ret_path)
{
	if (ret_path)
		*ret_path = NULL;
	return session ? agent_child_policy(session, ret_path) : NULL;
}

int cli_session_tty(void)
{
	return session ? agent_child_tty(session) : -1;
}

bool cli_session_agent_seen(void)
{
	return agent_seen;
}

void cli_session_note_agent(void)
{
	agent_seen = true;
}

void cli_session_set(struct agent_child *c)
{
	session = c;
}

int cli_session_vault(struct vault **ret)
{
	struct reterr err = RETERR_INIT;
	int r = agent_child_vault(session, ret, &err);
	if (r == 0)
		return CLI_OK;
	if (r == -ESTALE) {
		cli_error(
			"the vault was replaced or its password changed since 'secretctl unlock': "
			"the session agent locked itself; run 'secretctl unlock' again");
		return CLI_EAUTH;
	}
	cli_error("cannot open the vault: %s", reterr_str(&err, r));
	return cli_exit_from_errno(r);
}
