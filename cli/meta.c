/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the options `set` and `edit` share: metadata (--notes, --url, --tags, --expires) and
 * bindings (--binding ENV=FIELD, ENV= for the single value), parsed and checked against the
 * vault's limits before any password is asked for. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static int nomem(const char *cmd)
{
	cli_error("%s: out of memory", cmd);
	return CLI_EIO;
}

int cli_meta_tags(struct cli_meta *m, const char *cmd, const char *arg)
{
	m->tags = strv_free(m->tags);
	return strv_split(arg, ',', &m->tags) < 0 ? nomem(cmd) : CLI_OK;
}

int cli_meta_expires(struct cli_meta *m, const char *cmd, const char *arg)
{
	int64_t ms;
	m->set_expires = true;
	if (!strcmp(arg, "never")) {
		m->expires_at = 0;
		return CLI_OK;
	}
	int r = parse_duration_ms(arg, false, &ms);
	if (r == 0 && ms > 0 && ms / 1000 <= CLI_EXPIRES_MAX_S) {
		m->expires_at = clock_now() + ms / 1000;
		return CLI_OK;
	}
	if (r == -ERANGE || (r == 0 && ms / 1000 > CLI_EXPIRES_MAX_S))
		cli_error("%s: --expires '%s' is too far away: at most %s (or never)", cmd, arg,
			  CLI_EXPIRES_MAX);
	else
		cli_error(
			"%s: invalid --expires '%s' (use e.g. 12h, 30d, 1y, at most %s; or never)",
			cmd, arg, CLI_EXPIRES_MAX);
	return CLI_EUSAGE;
}

int cli_meta_binding(struct cli_meta *m, const char *cmd, const char *arg)
{
	if (m->nbindings == VAULT_BINDINGS_MAX) {
		cli_error("%s: too many bindings (at most %d)", cmd, VAULT_BINDINGS_MAX);
		return CLI_EUSAGE;
	}
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		cli_error("%s: invalid --binding '%.64s' (use ENV=FIELD, or ENV= for the single "
			  "value)",
			  cmd, arg);
		return CLI_EUSAGE;
	}
	size_t n = (size_t)(eq - arg);
	for (size_t i = 0; i < m->nbindings; i++) {
		if (strlen(m->bindings[i].env) == n && !strncmp(m->bindings[i].env, arg, n)) {
			cli_error("%s: --binding %.*s given twice", cmd, (int)(n > 64 ? 64 : n),
				  arg);
			return CLI_EUSAGE;
		}
	}
	struct vault_binding *b = &m->bindings[m->nbindings++];
	b->env = strndup(arg, n);
	b->field = strdup(eq + 1);
	return b->env && b->field ? CLI_OK : nomem(cmd);
}

int cli_meta_check(const struct cli_meta *m, const char *cmd)
{
	if (m->notes && strlen(m->notes) > VAULT_NOTES_MAX) {
		cli_error("%s: --notes is too long (%zu bytes; at most %d)", cmd, strlen(m->notes),
			  VAULT_NOTES_MAX);
		return CLI_EUSAGE;
	}
	if (m->url && strlen(m->url) > VAULT_URL_MAX) {
		cli_error("%s: --url is too long (%zu bytes; at most %d)", cmd, strlen(m->url),
			  VAULT_URL_MAX);
		return CLI_EUSAGE;
	}
	if (m->tags && strv_len(m->tags) > VAULT_TAGS_MAX) {
		cli_error("%s: too many tags (%zu; at most %d)", cmd, strv_len(m->tags),
			  VAULT_TAGS_MAX);
		return CLI_EUSAGE;
	}
	for (size_t i = 0; m->tags && m->tags[i]; i++) {
		if (strlen(m->tags[i]) > VAULT_TAG_MAX) {
			cli_error("%s: tag '%.20s...' is too long (at most %d bytes)", cmd,
				  m->tags[i], VAULT_TAG_MAX);
			return CLI_EUSAGE;
		}
	}
	struct reterr err = RETERR_INIT;
	if (m->folder && *m->folder && vault_folder_path_check(m->folder, &err) < 0) {
		cli_error("%s: invalid --folder: %s", cmd, reterr_str(&err, -EINVAL));
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

bool cli_meta_given(const struct cli_meta *m)
{
	return m->notes || m->url || m->tags || m->set_expires || m->nbindings;
}

void cli_meta_release(struct cli_meta *m)
{
	for (size_t i = 0; i < m->nbindings; i++) {
		free(m->bindings[i].env);
		free(m->bindings[i].field);
	}
	strv_free(m->tags);
	memset(m, 0, sizeof(*m));
}
