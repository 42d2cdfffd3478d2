/* SPDX-License-Identifier: Apache-2.0 */
/* cli: printing a list the session agent holds (`approvals`, `grants`): fetched one item at a
 * time (each above the last id), as text or as one JSON array; without an agent nothing can
 * be listed and the command says why (exit 3, `[]` for --json). */
#include <errno.h>
#include <stdio.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

int cli_agent_list(const struct cli_agent_list *l)
{
	struct reterr err = RETERR_INIT;
	struct outbuf o;
	int64_t after = 0;
	int r, n = 0;
	if (!cli_session()) {
		if (l->json)
			printf("[]\n");
		cli_error("%s: %s", l->name, l->locked);
		return CLI_EAUTH;
	}
	outbuf_init_fd(&o, STDOUT_FILENO);
	if (l->json)
		outbuf_puts(&o, "[");
	while ((r = l->item(cli_session(), &after, &o, l->json, n == 0, &err)) > 0)
		n++;
	if (l->json)
		outbuf_puts(&o, "]\n");
	else if (r == 0 && n == 0)
		outbuf_printf(&o, "%s\n", l->empty);
	if (outbuf_finish(&o) < 0 && r == 0)
		r = reterr_set(&err, -EIO, "cannot write to standard output");
	if (r < 0) {
		cli_error("%s: %s", l->name, reterr_str(&err, r));
		return CLI_EIO;
	}
	return CLI_OK;
}
