/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl edit` changes a secret's metadata, fields' sensitivity and bindings, and
 * removes fields, without reading or changing any value (that is `set`). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static struct {
	struct cli_meta meta;
	char **remove_fields, **sensitive, **not_sensitive, **unbind;
	bool clear_bindings;
} o;

static int opt_tags(const char *arg)
{
	return cli_meta_tags(&o.meta, "edit", arg);
}

static int opt_expires(const char *arg)
{
	return cli_meta_expires(&o.meta, "edit", arg);
}

static int opt_binding(const char *arg)
{
	return cli_meta_binding(&o.meta, "edit", arg);
}

static const struct cli_opt opts[] = {
	CLI_STRING(0, "notes", "TEXT", &o.meta.notes, "replace the notes (\"\" clears)"),
	CLI_FN1(0, "tags", "a,b", opt_tags, "replace the tags (\"\" clears)"),
	CLI_STRING(0, "url", "URL", &o.meta.url, "replace the URL (\"\" clears)"),
	CLI_FN1(0, "expires", "DURATION", opt_expires,
		"expire after 12h, 30d, 1y, ... from now "
		"(at most\n" CLI_EXPIRES_MAX "); \"never\" clears"),
	CLI_LIST(0, "remove-field", "NAME", &o.remove_fields, "remove field NAME (repeatable)"),
	CLI_LIST(0, "sensitive", "NAME", &o.sensitive,
		 "mark field NAME sensitive: masked by 'get --fields', always\n"
		 "redacted by 'run' (repeatable)"),
	CLI_LIST(0, "not-sensitive", "NAME", &o.not_sensitive,
		 "mark field NAME not sensitive: configuration such as a user\n"
		 "name, redacted only when 8 bytes or longer (repeatable)"),
	CLI_FLAG(0, "clear-bindings", &o.clear_bindings,
		 "drop every binding (before any "
		 "--binding)"),
	CLI_LIST(0, "unbind", "ENV", &o.unbind, "drop the binding of ENV (repeatable)"),
	CLI_FN(0, "binding", "ENV=FIELD", opt_binding,
	       "inject FIELD as ENV in 'secretctl run'; ENV= injects the single\n"
	       "value (repeatable; adds to or replaces the binding of ENV)"),
	CLI_STRING(0, "folder", "PATH", &o.meta.folder,
		   "move it into the folder PATH (\"\" takes it out of its folder)"),
	CLI_OPT_END,
};

/* Everything that can be checked without the vault is checked before the password. */
static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	if (!cli_meta_given(&o.meta) && !o.remove_fields && !o.sensitive && !o.not_sensitive &&
	    !o.unbind && !o.clear_bindings && !o.meta.folder) {
		cli_error(
			"edit: nothing to change (see 'secretctl edit --help'; to change a value, "
			"use 'secretctl set')");
		return CLI_EUSAGE;
	}
	for (size_t i = 0; o.sensitive && o.sensitive[i]; i++) {
		for (size_t j = 0; o.not_sensitive && o.not_sensitive[j]; j++) {
			if (!strcmp(o.sensitive[i], o.not_sensitive[j])) {
				cli_error("edit: field '%.64s' given to both --sensitive and "
					  "--not-sensitive",
					  o.sensitive[i]);
				return CLI_EUSAGE;
			}
		}
	}
	return cli_meta_check(&o.meta, "edit");
}

/* "tags,notes" as "tags, notes". */
static void print_result(const char *key, const char *changed)
{
	if (!*changed) {
		printf("unchanged %s (it already had these settings)\n", key);
		return;
	}
	printf("edited %s:", key);
	for (const char *p = changed; *p;) {
		size_t n = strcspn(p, ",");
		printf(" %.*s%s", (int)n, p, p[n] ? "," : "");
		p += n + (p[n] == ',');
	}
	printf("\n");
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	AUTO_FREE char *changed = NULL;
	/* After the unlock: with --password-stdin the password line has been read by now. */
	if (cli_stdin_pending()) {
		cli_error("edit: standard input holds data, but edit reads no value; nothing "
			  "changed (to change the value, use 'secretctl set %s'; when the input is "
			  "not for secretctl, as in a 'while read' loop, give </dev/null)",
			  ctx->key);
		return CLI_EUSAGE;
	}
	struct vault_edit_in in = {
		.key = ctx->key,
		.notes = o.meta.notes,
		.url = o.meta.url,
		.tags = o.meta.tags,
		.set_expires = o.meta.set_expires,
		.expires_at = o.meta.expires_at,
		.remove_fields = (const char *const *)o.remove_fields,
		.nremove_fields = strv_len(o.remove_fields),
		.sensitive = (const char *const *)o.sensitive,
		.nsensitive = strv_len(o.sensitive),
		.not_sensitive = (const char *const *)o.not_sensitive,
		.nnot_sensitive = strv_len(o.not_sensitive),
		.clear_bindings = o.clear_bindings,
		.unbind = (const char *const *)o.unbind,
		.nunbind = strv_len(o.unbind),
		.bindings = o.meta.bindings,
		.nbindings = o.meta.nbindings,
		.folder = o.meta.folder,
	};
	int r = vault_edit(ctx->vault, &in, &changed, &err);
	if (r == -ENOENT && o.meta.folder && *o.meta.folder &&
	    strstr(reterr_str(&err, r), "no folder")) {
		cli_error("edit: %s; nothing changed", reterr_str(&err, r));
		return CLI_ENOTFOUND;
	}
	if (r == -ENOENT) {
		cli_error("edit: no secret named '%s' (see 'secretctl list'; 'secretctl set' "
			  "creates one)",
			  ctx->key);
		return CLI_ENOTFOUND;
	}
	if (r < 0) {
		cli_error("edit: cannot edit %s: %s; nothing changed", ctx->key,
			  reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	print_result(ctx->key, changed);
	return CLI_OK;
}

static void cleanup(void)
{
	cli_meta_release(&o.meta);
	memset(&o, 0, sizeof(o));
}

const struct cli_command cli_cmd_edit = {
	.name = "edit",
	.summary = "change a secret's metadata, fields or bindings, not its value",
	.synopsis = "KEY [--notes TEXT] [--tags a,b] [--url URL] [--expires DURATION]\n"
		    "[--remove-field NAME]... [--sensitive NAME]... [--not-sensitive NAME]...\n"
		    "[--clear-bindings] [--unbind ENV]... [--binding ENV=FIELD|ENV=]...\n"
		    "[--folder PATH] [--password-stdin]",
	.about = "Change an existing secret without re-entering its value: notes, URL, tags, "
		 "expiry,\nwhich fields are sensitive, which fields exist (remove only; 'set "
		 "--field' adds),\nthe bindings 'secretctl run' injects, and the folder it is in. "
		 "Everything happens\nin one transaction and one audit entry, which names what "
		 "changed but never a value\nor a note. Nothing is read from standard input "
		 "(except the password line with\n--password-stdin). Bindings: --clear-bindings "
		 "first, then --unbind, then --binding,\nwhich adds or replaces one; a binding "
		 "left naming a removed field is refused.",
	.notes = "Exit status: 0 edited (or already as asked), 1 invalid options or a refused "
		 "change\n(nothing is changed), 2 no such secret or vault, 3 password problems, "
		 "4 integrity.\nSee also: secretctl set, secretctl get --show-metadata.",
	.opts = opts,
	.flags = CLI_UNLOCK | CLI_KEY,
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
