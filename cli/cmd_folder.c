/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl folder create|list|info|rename|move|delete`: folders that organise secrets
 * (names, icons and colours encrypted like everything else). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static struct {
	const char *parent, *icon, *color;
	bool json, force;
} o;

/* Report a failed folder verb; the exit code. */
static int fail(struct cli_ctx *ctx, const char *what, int r, const struct reterr *err)
{
	cli_error("%s: cannot %s: %s", ctx->name, what, reterr_str(err, r));
	if (r == -ENOTEMPTY || r == -ELOOP)
		return CLI_EUSAGE;
	return cli_exit_from_errno(r);
}

static int finish(struct cli_ctx *ctx, struct outbuf *out)
{
	int r = outbuf_finish(out);
	if (r < 0 && r != -EPIPE) {
		cli_error("%s: cannot write the output: %s", ctx->name, strerror(-r));
		return CLI_EIO;
	}
	return CLI_OK;
}

/* Checked before the password: names, icon, colour. */
static int check_create(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	int r = ctx->argc == 1 ? vault_folder_name_check(ctx->argv[0], &err)
			       : reterr_set(&err, -EINVAL, "give the new folder's NAME");
	if (r == 0 && o.parent)
		r = vault_folder_path_check(o.parent, &err);
	if (r == 0 && o.icon)
		r = vault_folder_icon_check(o.icon, &err);
	if (r == 0 && o.color)
		r = vault_folder_color_check(o.color, &err);
	if (r < 0) {
		cli_error("%s: %s", ctx->name, reterr_str(&err, r));
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int run_create(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault_folder f;
	int r = vault_folder_create(ctx->vault, ctx->argv[0], o.parent, o.icon, o.color, &f, &err);
	if (r < 0)
		return fail(ctx, "create the folder", r, &err);
	struct outbuf out;
	outbuf_init_fd(&out, STDOUT_FILENO);
	if (o.json) {
		broker_render_folder(&out, &f);
		outbuf_puts(&out, "\n");
	} else {
		outbuf_printf(&out, "created folder %s\n", f.path);
	}
	return finish(ctx, &out);
}

/* A folder path operand (PATH, or argv[i] when present). */
static int check_paths(struct cli_ctx *ctx, int min, int max)
{
	struct reterr err = RETERR_INIT;
	if (ctx->argc < min || ctx->argc > max) {
		cli_error("%s: wrong number of operands (see 'secretctl %s --help')", ctx->name,
			  ctx->name);
		return CLI_EUSAGE;
	}
	for (int i = 0; i < ctx->argc; i++) {
		if (i == 1 && !strcmp(ctx->name, "folder move") &&
		    (!strcmp(ctx->argv[1], "/") || !ctx->argv[1][0]))
			continue;
		int r = i == 1 && !strcmp(ctx->name, "folder rename")
				? vault_folder_name_check(ctx->argv[i], &err)
				: vault_folder_path_check(ctx->argv[i], &err);
		if (r < 0) {
			cli_error("%s: '%s': %s", ctx->name, ctx->argv[i], reterr_str(&err, r));
			return CLI_EUSAGE;
		}
	}
	return CLI_OK;
}

static int check_list(struct cli_ctx *ctx)
{
	return check_paths(ctx, 0, 1);
}

static int check_one(struct cli_ctx *ctx)
{
	return check_paths(ctx, 1, 1);
}

static int check_two(struct cli_ctx *ctx)
{
	return check_paths(ctx, 2, 2);
}

static void print_table(struct outbuf *out, const struct vault_folder *a, size_t n)
{
	int w = 4;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(a[i].path) > w)
			w = (int)strlen(a[i].path);
	outbuf_printf(out, "%-*s  %7s  %7s  %-7s  %s\n", w, "PATH", "SECRETS", "FOLDERS", "COLOR",
		      "ICON");
	for (size_t i = 0; i < n; i++)
		outbuf_printf(out, "%-*s  %7zu  %7zu  %-7s  %s\n", w, a[i].path, a[i].secrets,
			      a[i].folders, a[i].color[0] ? a[i].color : "-",
			      a[i].icon[0] ? a[i].icon : "-");
}

static int run_list(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault_folder *a = NULL;
	size_t n = 0;
	int r = vault_folder_list(ctx->vault, ctx->argc ? ctx->argv[0] : NULL, &a, &n, &err);
	if (r < 0)
		return fail(ctx, "list the folders", r, &err);
	struct outbuf out;
	outbuf_init_fd(&out, STDOUT_FILENO);
	if (o.json) {
		outbuf_puts(&out, "[");
		for (size_t i = 0; i < n; i++) {
			outbuf_puts(&out, i ? "," : "");
			broker_render_folder(&out, &a[i]);
		}
		outbuf_puts(&out, "]\n");
	} else if (n) {
		print_table(&out, a, n);
	}
	free(a);
	return finish(ctx, &out);
}

static int run_info(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault_folder f;
	char **keys = NULL;
	char ts[32];
	int r = vault_folder_info(ctx->vault, ctx->argv[0], &f, &keys, &err);
	if (r < 0)
		return fail(ctx, "read the folder", r, &err);
	struct outbuf out;
	outbuf_init_fd(&out, STDOUT_FILENO);
	if (o.json) {
		outbuf_puts(&out, "{\"folder\":");
		broker_render_folder(&out, &f);
		outbuf_puts(&out, ",\"secrets\":");
		outbuf_json_strv(&out, keys);
		outbuf_puts(&out, "}\n");
	} else {
		outbuf_printf(&out, "path:      %s\nid:        %s\n", f.path, f.id);
		outbuf_printf(&out, "icon:      %s\ncolor:     %s\n", f.icon[0] ? f.icon : "-",
			      f.color[0] ? f.color : "-");
		parse_format_time(f.created_at, ts);
		outbuf_printf(&out, "created:   %s\n", ts);
		parse_format_time(f.updated_at, ts);
		outbuf_printf(&out, "updated:   %s\nfolders:   %zu\nsecrets:   %zu\n", ts,
			      f.folders, f.secrets);
		for (size_t i = 0; keys[i]; i++)
			outbuf_printf(&out, "  %s\n", keys[i]);
	}
	strv_free(keys);
	return finish(ctx, &out);
}

static int run_rename(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	int r = vault_folder_rename(ctx->vault, ctx->argv[0], ctx->argv[1], &err);
	if (r < 0)
		return fail(ctx, "rename the folder", r, &err);
	printf("renamed folder %s to %s\n", ctx->argv[0], ctx->argv[1]);
	return CLI_OK;
}

static int run_move(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	const char *to = strcmp(ctx->argv[1], "/") && ctx->argv[1][0] ? ctx->argv[1] : NULL;
	int r = vault_folder_move(ctx->vault, ctx->argv[0], to, &err);
	if (r < 0)
		return fail(ctx, "move the folder", r, &err);
	printf("moved folder %s to %s\n", ctx->argv[0], to ? to : "the top");
	return CLI_OK;
}

static int run_delete(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	size_t unfiled = 0;
	int r = vault_folder_delete(ctx->vault, ctx->argv[0], o.force, &unfiled, &err);
	if (r < 0)
		return fail(ctx, "delete the folder", r, &err);
	printf("deleted folder %s", ctx->argv[0]);
	if (unfiled)
		printf(" (%zu secret%s kept, now in no folder)", unfiled, unfiled == 1 ? "" : "s");
	printf("\n");
	return CLI_OK;
}

static const struct cli_opt create_opts[] = {
	CLI_STRING(0, "parent", "PATH", &o.parent, "create it inside the folder PATH"),
	CLI_STRING(0, "icon", "ICON", &o.icon, "an icon (an emoji or a word, 1..32 bytes)"),
	CLI_STRING(0, "color", "#RRGGBB", &o.color, "a colour"),
	CLI_FLAG(0, "json", &o.json, "print the new folder as a JSON object"),
	CLI_OPT_END,
};

static const struct cli_opt json_opts[] = {
	CLI_FLAG(0, "json", &o.json, "JSON instead of text"),
	CLI_OPT_END,
};

static const struct cli_opt delete_opts[] = {
	CLI_FLAG('f', "force", &o.force,
		 "also delete a folder that is not empty: its folders go\n"
		 "too, its secrets are kept (in no folder)"),
	CLI_OPT_END,
};

static const struct cli_command folder_create = {
	.name = "create",
	.summary = "create a folder",
	.synopsis = "NAME [--parent PATH] [--icon ICON] [--color #RRGGBB] [--json]",
	.about = "Create the folder NAME at the top, or inside --parent. NAME is 1..64 of "
		 "A-Z a-z 0-9 . _ -\nand space; sibling folders have different names.",
	.opts = create_opts,
	.flags = CLI_UNLOCK,
	.max_args = 1,
	.check = check_create,
	.run = run_create,
};

static const struct cli_command folder_list = {
	.name = "list",
	.summary = "list the folders (all, or those inside PARENT)",
	.synopsis = "[PARENT] [--json]",
	.about = "Print every folder (or every folder inside PARENT, at any depth) sorted by "
		 "path, with\nthe number of secrets and folders directly in it.",
	.opts = json_opts,
	.flags = CLI_UNLOCK,
	.max_args = 1,
	.check = check_list,
	.run = run_list,
};

static const struct cli_command folder_info = {
	.name = "info",
	.summary = "show a folder and the secrets in it",
	.synopsis = "PATH [--json]",
	.about = "Print a folder's id, icon, colour, dates, and the keys of the secrets directly "
		 "in it.",
	.opts = json_opts,
	.flags = CLI_UNLOCK,
	.max_args = 1,
	.check = check_one,
	.run = run_info,
};

static const struct cli_command folder_rename = {
	.name = "rename",
	.summary = "rename a folder",
	.synopsis = "PATH NEW_NAME",
	.about = "Give the folder at PATH a new name; what is inside moves with it.",
	.flags = CLI_UNLOCK,
	.max_args = 2,
	.check = check_two,
	.run = run_rename,
};

static const struct cli_command folder_move = {
	.name = "move",
	.summary = "move a folder into another one, or to the top (/)",
	.synopsis = "PATH DEST",
	.about = "Move the folder at PATH, with everything in it, into the folder DEST ('/' or "
		 "'' for the top).\nA folder cannot go into itself; at most 8 levels deep.",
	.flags = CLI_UNLOCK,
	.max_args = 2,
	.check = check_two,
	.run = run_move,
};

static const struct cli_command folder_delete = {
	.name = "delete",
	.summary = "delete a folder (never the secrets in it)",
	.synopsis = "PATH [-f|--force]",
	.about = "Delete an empty folder. With --force a folder that holds folders or secrets is "
		 "deleted\ntoo, with its folders; its secrets are kept, in no folder.",
	.opts = delete_opts,
	.flags = CLI_UNLOCK,
	.max_args = 1,
	.check = check_one,
	.run = run_delete,
};

static const struct cli_command *const folder_subs[] = {
	&folder_create, &folder_list,	&folder_info, &folder_rename,
	&folder_move,	&folder_delete, NULL,
};

const struct cli_command cli_cmd_folder = {
	.name = "folder",
	.summary = "organise secrets in folders",
	.about = "Folders hold secrets (each secret is in at most one: 'set KEY --folder PATH') "
		 "and other\nfolders. A folder is named by its path, e.g. work/aws. Names, icons "
		 "and colours are\nencrypted in the vault; every change is audited. See "
		 "secretctl-folder(1).",
	.notes = "Exit status: 0 done, 1 usage (invalid name, name taken, not empty, into "
		 "itself), 2 no\nsuch folder or vault, 3 authentication, 4 integrity, 5 I/O.",
	.subs = folder_subs,
};
