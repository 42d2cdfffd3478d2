/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the field templates of `set --template` (the reference's Login, Database, API and SSH:
 * its field names, which are sensitive, and its default environment bindings). */
#include <string.h>

#include "cli/cli-internal.h"

static const struct cli_template templates[] = {
	{ "login", { { "username", false, true, NULL }, { "password", true, true, NULL } } },
	{ "database",
	  { { "host", false, true, "PGHOST" },
	    { "port", false, false, "PGPORT" },
	    { "username", false, true, "PGUSER" },
	    { "password", true, true, "PGPASSWORD" },
	    { "database", false, false, "PGDATABASE" } } },
	{ "api",
	  { { "api_key", true, true, "API_KEY" }, { "api_secret", true, false, "API_SECRET" } } },
	{ "ssh", { { "private_key", true, true, NULL }, { "passphrase", true, false, NULL } } },
};

const struct cli_template *cli_template_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(templates); i++)
		if (!strcmp(templates[i].name, name))
			return &templates[i];
	return NULL;
}
