/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl list` prints secret names and metadata, filtered by glob, tag or expiry.
 * Values are never decrypted here. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether key is in sorted (a sorted strv; bsearch). */
static bool in_sorted(char *const *sorted, const char *key)
{
	return bsearch(&key, sorted, strv_len(sorted), sizeof(char *), str_cmp) != NULL;
}

static bool has_tag(const struct vault_meta *m, const char *tag)
{
	for (size_t i = 0; m->tags && m->tags[i]; i++) {
		if (!strcmp(m->tags[i], tag))
			return true;
	}
	return false;
}

/* One table row; columns padded for reading (scripts use --json). Keys never need escaping
 * (vault_key_check allows only [A-Za-z0-9._/-]); tags come last as they vary most. */
static void print_long(struct outbuf *o, const struct vault_meta *m, int64_t now, int keyw)
{
	char upd[32], ts[32], exp[48], size[32];
	parse_format_time(m->updated_at, upd);
	if (!m->expires_at) {
		snprintf(exp, sizeof(exp), "never");
	} else {
		parse_format_time(m->expires_at, ts);
		snprintf(exp, sizeof(exp), "%s%s", ts, m->expires_at <= now ? " (expired)" : "");
	}
	if (m->has_value)
		snprintf(size, sizeof(size), "%zu", m->value_len);
	else
		snprintf(size, sizeof(size), "-");
	AUTO_FREE char *tags = strv_join(m->tags, ",");
	outbuf_printf(o, "%-*s  %7s  %6zu  %-20s  %-20s  ", keyw, m->key, size, m->nfields, upd,
		      exp);
	if (tags && tags[0])
		outbuf_escaped(o, tags, strlen(tags));
	else
		outbuf_puts(o, "-");
	outbuf_puts(o, "\n");
}

static struct {
	const char *tag, *folder;
	bool json, long_fmt, expiring;
	int64_t expiring_ms;
} o;

static int opt_expiring(const char *arg)
{
	if (parse_duration_ms(arg, false, &o.expiring_ms) < 0 || o.expiring_ms < 0) {
		cli_error("list: invalid --expiring '%s' (use e.g. 7d, 12h)", arg);
		return CLI_EUSAGE;
	}
	o.expiring = true;
	return CLI_OK;
}

static const struct cli_opt opts[] = {
	CLI_STRING(0, "tag", "TAG", &o.tag, "only secrets carrying TAG"),
	CLI_STRING(0, "folder", "PATH", &o.folder, "only secrets directly in the folder PATH"),
	CLI_FN1(0, "expiring", "DURATION", opt_expiring,
		"only secrets that expire within DURATION (7d, 12h, ...),\n"
		"already expired ones included"),
	CLI_FLAG('l', "long", &o.long_fmt,
		 "a table: key, value size, fields, updated, expires, "
		 "tags"),
	CLI_FLAG(0, "json", &o.json, "a JSON array of metadata objects"),
	CLI_OPT_END,
};

/* Move the entries the filters keep (in_folder: the keys of --folder) to the front; their
 * count, and the widest key in *keyw. */
static size_t filter(struct vault_meta *metas, size_t n, int64_t now, char **in_folder, int *keyw)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vault_meta *m = &metas[i];
		if ((o.tag && !has_tag(m, o.tag)) || (in_folder && !in_sorted(in_folder, m->key)) ||

		    (o.expiring && (!m->expires_at || m->expires_at > now + o.expiring_ms / 1000)))
			continue;
		if (kept != i) {
			struct vault_meta tmp = metas[kept];
			metas[kept] = metas[i];
			metas[i] = tmp;
		}
		size_t kl = strlen(metas[kept].key);
		if (kl > (size_t)*keyw)
			*keyw = kl > VAULT_KEY_MAX ? VAULT_KEY_MAX : (int)kl;
		kept++;
	}
	return kept;
}

static void print(struct outbuf *out, const struct vault_meta *metas, size_t n, int64_t now,
		  int keyw)
{
	if (o.long_fmt && !o.json)
		outbuf_printf(out, "%-*s  %7s  %6s  %-20s  %-20s  %s\n", keyw, "KEY", "SIZE",
			      "FIELDS", "UPDATED", "EXPIRES", "TAGS");
	if (o.json)
		outbuf_puts(out, "[");
	for (size_t i = 0; i < n; i++) {
		const struct vault_meta *m = &metas[i];
		if (o.json) {
			if (i)
				outbuf_puts(out, ",");
			broker_render_meta(out, m, NULL);
		} else if (o.long_fmt) {
			print_long(out, m, now, keyw);
		} else {
			outbuf_escaped(out, m->key, strlen(m->key));
			outbuf_puts(out, "\n");
		}
	}
	if (o.json)
		outbuf_puts(out, "]\n");
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault_meta *metas = NULL;
	size_t n = 0;
	AUTO_STRV char **in_folder = NULL;
	int r = o.folder ? vault_folder_keys(ctx->vault, o.folder, &in_folder, &err) : 0;
	if (r < 0) {
		cli_error("list: --folder: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	r = vault_list(ctx->vault, ctx->argc ? ctx->argv[0] : NULL, 0, &metas, &n, &err);
	if (r < 0) {
		cli_error("list: cannot list the secrets: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	int64_t now = clock_now();
	int keyw = 3, rc = CLI_OK;
	struct outbuf out;
	outbuf_init_fd(&out, STDOUT_FILENO);
	print(&out, metas, filter(metas, n, now, in_folder, &keyw), now, keyw);
	r = outbuf_finish(&out);
	if (r < 0 && r != -EPIPE) {
		cli_error("list: cannot write the output: %s", strerror(-r));
		rc = CLI_EIO;
	}
	vault_meta_array_free(metas, n);
	return rc;
}

const struct cli_command cli_cmd_list = {
	.name = "list",
	.summary = "list secret names and metadata (never values)",
	.synopsis =
		"[PATTERN] [--tag TAG] [--folder PATH] [--expiring DURATION] [--long] [--json]\n"
		"[--password-stdin]",
	.about = "Print the names of the secrets, one per line, sorted. Values are never shown.\n"
		 "PATTERN keeps only the keys matching the glob ('*' stays within one '/' level).",
	.opts = opts,
	.flags = CLI_UNLOCK | CLI_AGENT_SCOPE,
	.max_args = 1,
	.args_hint = "at most one PATTERN (quote it so the shell does not expand it)",
	.run = run,
};
