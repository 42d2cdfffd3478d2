/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the --conflict / --on-conflict modes of import and restore, parsed alike. */
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

int cli_conflict_parse(const char *cmd, const char *opt, const char *arg, const char **slot,
		       enum vault_conflict *ret)
{
	static const char *const modes[] = {
		[VAULT_CONFLICT_ERROR] = "error",
		[VAULT_CONFLICT_SKIP] = "skip",
		[VAULT_CONFLICT_OVERWRITE] = "overwrite",
	};
	if (*slot && strcmp(*slot, arg)) {
		cli_error("%s: %s given twice with different modes (give it once)", cmd, opt);
		return CLI_EUSAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcmp(arg, modes[i])) {
			*slot = modes[i];
			*ret = (enum vault_conflict)i;
			return CLI_OK;
		}
	}
	cli_error("%s: unknown %s '%s' (use skip, overwrite or error)", cmd, opt, arg);
	return CLI_EUSAGE;
}
