/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl import FILE` reads .env, secretctl JSON, or a 1Password, Bitwarden or
 * LastPass export, and stores every secret in one transaction (all or nothing). The file is
 * parsed, whole, before the vault is unlocked; values stay in locked memory throughout. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"
#include "interchange/interchange.h"

static struct {
	const char *format, *from, *conflict, *tag;
	char **keys;
	bool dry_run, preserve_case, json;
	enum vault_conflict mode;
	struct secret *file;
	struct ix_doc *doc;
} o;

static int opt_conflict(const char *arg)
{
	return cli_conflict_parse("import", "--conflict", arg, &o.conflict, &o.mode);
}

static const struct cli_opt opts[] = {
	CLI_STRING('f', "format", "env|json", &o.format,
		   "the file's format (default: detected from its content)"),
	CLI_STRING(0, "from", "1password|bitwarden|lastpass", &o.from,
		   "the file is that product's export (CSV, JSON, CSV)"),
	CLI_FN(0, "conflict", "skip|overwrite|error", opt_conflict,
	       "what to do with a key the vault has (default: error, and\nnothing is imported)"),
	CLI_FN(0, "on-conflict", "skip|overwrite|error", opt_conflict, "same as --conflict"),
	CLI_FLAG(0, "dry-run", &o.dry_run,
		 "list what would be created, updated or skipped; write "
		 "nothing"),
	CLI_LIST('k', "key", "PATTERN", &o.keys,
		 "import only the keys matching PATTERN (glob; repeatable)"),
	CLI_FLAG(0, "preserve-case", &o.preserve_case,
		 "keep the case of item names in keys (competitor exports)"),
	CLI_STRING(0, "tag", "TAG", &o.tag, "add TAG to every imported secret"),
	CLI_FLAG(0, "json", &o.json, "print the outcome as one JSON object"),
	CLI_OPT_END,
};

/* The file, into locked memory: a regular file (or a pipe) of our limit, no symlink. */
static int read_file(const char *path)
{
	AUTO_CLOSE int fd = -1;
	struct stat st;
	if (!strcmp(path, "-")) {
		fd = dup(STDIN_FILENO);
	} else if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		cli_error("import: cannot open %s: %s", path,
			  errno == ELOOP ? "it is a symbolic link (name the file itself)"
					 : strerror(errno));
		return errno == ENOENT ? CLI_ENOTFOUND : CLI_EIO;
	}
	if (fd < 0 || fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		cli_error("import: %s is not a file", path);
		return CLI_EUSAGE;
	}
	if (S_ISREG(st.st_mode) && st.st_size > IX_FILE_MAX) {
		cli_error("import: %s is too large (%lld bytes; at most %u)", path,
			  (long long)st.st_size, IX_FILE_MAX);
		return CLI_EUSAGE;
	}
	int r = fd_read_all_secret(fd, IX_FILE_MAX, &o.file);
	if (r < 0) {
		cli_error("import: cannot read %s: %s", path,
			  r == -E2BIG ? "more than the limit of 64 MiB" : strerror(-r));
		return r == -E2BIG ? CLI_EUSAGE : CLI_EIO;
	}
	return CLI_OK;
}

static int check_options(struct cli_ctx *ctx)
{
	if (ctx->argc != 1) {
		cli_error("import: name one FILE to import (see 'secretctl import --help')");
		return CLI_EUSAGE;
	}
	if (o.format && o.from) {
		cli_error("import: give --format or --from, not both");
		return CLI_EUSAGE;
	}
	if (o.format && strcmp(o.format, "env") && strcmp(o.format, "json")) {
		cli_error("import: unknown --format '%s' (use env or json; --from for a "
			  "competitor's export)",
			  o.format);
		return CLI_EUSAGE;
	}
	enum ix_format f;
	if (o.from && (ix_format_parse(o.from, &f) < 0 || f == IX_ENV || f == IX_JSON)) {
		cli_error("import: unknown --from '%s' (use 1password, bitwarden or lastpass)",
			  o.from);
		return CLI_EUSAGE;
	}
	if (!strcmp(ctx->argv[0], "-") && ctx->password_stdin) {
		cli_error("import: --password-stdin and a FILE of '-' both want standard input; "
			  "use SECRETCTL_PASSWORD or name the file");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* Keep the items matching a -k pattern; each pattern must match one. */
static int filter(const char *path)
{
	if (!o.keys)
		return CLI_OK;
	bool *used = calloc(strv_len(o.keys) + 1, sizeof(*used));
	size_t kept = 0;
	if (!used)
		return CLI_EIO;
	struct ix_doc *d = o.doc;
	for (size_t i = 0; i < d->n; i++) {
		bool keep = false;
		for (size_t k = 0; o.keys[k]; k++)
			if (glob_match(o.keys[k], d->items[i].key))
				keep = used[k] = true;
		if (!keep)
			continue;
		struct ix_item tmp = d->items[kept];
		d->items[kept++] = d->items[i];
		d->items[i] = tmp;
	}
	int rc = CLI_OK;
	for (size_t k = 0; o.keys[k] && rc == CLI_OK; k++) {
		if (!used[k]) {
			cli_error("import: -k '%s' matches no key in %s", o.keys[k], path);
			rc = CLI_ENOTFOUND;
		}
	}
	free(used);
	ix_doc_truncate(d, kept);
	return rc;
}

static int parse(const char *path)
{
	struct ix_opts io = { .format = IX_AUTO, .preserve_case = o.preserve_case };
	struct reterr err = RETERR_INIT;
	if (o.format)
		io.format = !strcmp(o.format, "env") ? IX_ENV : IX_JSON;
	else if (o.from)
		(void)ix_format_parse(o.from, &io.format);
	int r = ix_read(o.file->data, o.file->len, &io, &o.doc, &err);
	if (r < 0) {
		cli_error("import: %s: %s%s", path, reterr_str(&err, r),
			  r == -EINVAL ? "; nothing was imported" : "");
		return r == -ENOMEM ? CLI_EIO : CLI_EUSAGE;
	}
	for (size_t i = 0; o.doc->warnings && o.doc->warnings[i]; i++)
		cli_warn("import: %s: %s", path, o.doc->warnings[i]);
	return CLI_OK;
}

/* Parse the whole file before the vault is unlocked: a bad file costs no password. */
static int check(struct cli_ctx *ctx)
{
	int rc = check_options(ctx);
	if (rc == CLI_OK)
		rc = read_file(ctx->argv[0]);
	if (rc == CLI_OK)
		rc = parse(ctx->argv[0]);
	if (rc == CLI_OK)
		rc = filter(ctx->argv[0]);
	struct reterr err = RETERR_INIT;
	int r;
	if (rc == CLI_OK && o.tag && (r = ix_doc_tag_all(o.doc, o.tag, &err)) < 0) {
		cli_error("import: --tag '%s': %s", o.tag, reterr_str(&err, r));
		rc = r == -ENOMEM ? CLI_EIO : CLI_EUSAGE;
	}
	return rc;
}

static void progress(void *ctx, size_t done, size_t total)
{
	(void)total;
	cli_progress_update(ctx, done);
}

static const char *const verbs[] = {
	[VAULT_OUTCOME_CREATED] = "create",
	[VAULT_OUTCOME_UPDATED] = "update",
	[VAULT_OUTCOME_SKIPPED] = "skip",
};

static void print_text(const struct vault_bulk_item *items, size_t n, const size_t *count,
		       const char *path)
{
	struct outbuf out;
	outbuf_init_fd(&out, STDOUT_FILENO);
	for (size_t i = 0; o.dry_run && i < n; i++) {
		enum vault_outcome oc = items[i].outcome;
		outbuf_printf(&out, "would %s %s%s\n", verbs[oc], items[i].in.key,
			      oc == VAULT_OUTCOME_SKIPPED ? " (exists)" : "");
	}
	outbuf_printf(&out, "%s %zu secret%s from %s: %zu created, %zu updated, %zu skipped%s\n",
		      o.dry_run ? "dry run: would import" : "imported",
		      count[VAULT_OUTCOME_CREATED] + count[VAULT_OUTCOME_UPDATED],
		      count[VAULT_OUTCOME_CREATED] + count[VAULT_OUTCOME_UPDATED] == 1 ? "" : "s",
		      path, count[VAULT_OUTCOME_CREATED], count[VAULT_OUTCOME_UPDATED],
		      count[VAULT_OUTCOME_SKIPPED], o.dry_run ? "; nothing was written" : "");
	(void)outbuf_finish(&out);
}

static void print_json(const struct vault_bulk_item *items, size_t n, const char *path)
{
	static const char *const lists[] = { "created", "updated", "skipped" };
	struct outbuf out;
	outbuf_init_fd(&out, STDOUT_FILENO);
	outbuf_puts(&out, "{\"file\":");
	outbuf_json_cstr(&out, path);
	outbuf_printf(&out, ",\"format\":\"%s\",\"dry_run\":%s", ix_format_name(o.doc->format),
		      o.dry_run ? "true" : "false");
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		const char *sep = "";
		outbuf_printf(&out, ",\"%s\":[", lists[l]);
		for (size_t i = 0; i < n; i++) {
			if (items[i].outcome != (enum vault_outcome)(VAULT_OUTCOME_CREATED + l))
				continue;
			outbuf_puts(&out, sep);
			outbuf_json_cstr(&out, items[i].in.key);
			sep = ",";
		}
		outbuf_puts(&out, "]");
	}
	outbuf_puts(&out, ",\"warnings\":");
	outbuf_json_strv(&out, o.doc->warnings);
	outbuf_puts(&out, "}\n");
	(void)outbuf_finish(&out);
}

/* Why the bulk write failed, naming the item and its line. */
static int report(const struct vault_bulk_item *items, size_t n, const char *path, int r,
		  const struct reterr *err)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i].outcome != VAULT_OUTCOME_FAILED)
			continue;
		const struct ix_item *it = &o.doc->items[i];
		if (r == -EEXIST)
			cli_error("import: %s (line %u) exists in the vault; nothing was imported "
				  "(use --on-conflict skip or overwrite)",
				  it->key, it->line);
		else
			cli_error("import: %s: line %u: %s: %s; nothing was imported", path,
				  it->line, it->key, reterr_str(err, r));
		return r == -EEXIST ? CLI_EUSAGE : cli_exit_from_errno(r);
	}
	cli_error("import: %s; nothing was imported", reterr_str(err, r));
	return cli_exit_from_errno(r);
}

/* The vault_set_in of every item, over three pointer arrays shared by all of them. */
static int build(struct vault_bulk_item **ret_items, const char ***ret_ptrs)
{
	struct ix_doc *d = o.doc;
	size_t total = 0;
	for (size_t i = 0; i < d->n; i++)
		total += d->items[i].nfields;
	struct vault_bulk_item *items = calloc(d->n + 1, sizeof(*items));
	const char **ptrs = calloc(3 * total + 1, sizeof(*ptrs));
	if (!items || !ptrs) {
		free(items);
		free(ptrs);
		cli_error("import: out of memory");
		return CLI_EIO;
	}
	const char **names = ptrs, **sens = ptrs + total;
	const struct secret **vals = (const struct secret **)(ptrs + 2 * total);
	for (size_t i = 0, at = 0; i < d->n; at += d->items[i++].nfields) {
		const struct ix_item *it = &d->items[i];
		ix_item_set_in(it, names + at, vals + at, sens + at, &items[i].in);
		items[i].created_at = it->created_at;
		items[i].updated_at = it->updated_at;
	}
	*ret_items = items;
	*ret_ptrs = ptrs;
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	const char *path = ctx->argv[0];
	struct vault_bulk_item *items = NULL;
	const char **ptrs = NULL;
	struct reterr err = RETERR_INIT;
	struct cli_progress bar;
	size_t count[VAULT_OUTCOME_FAILED + 1] = { 0 };
	int rc = build(&items, &ptrs);
	if (rc != CLI_OK)
		return rc;
	cli_progress_init(&bar, "import", o.doc->n);
	struct vault_bulk_opts bo = { .action = "secret.import",
				      .conflict = o.mode,
				      .dry_run = o.dry_run,
				      .progress = progress,
				      .progress_ctx = &bar };
	int r = vault_set_many(ctx->vault, items, o.doc->n, &bo, &err);
	cli_progress_done(&bar);
	if (r < 0) {
		rc = report(items, o.doc->n, path, r, &err);
	} else {
		for (size_t i = 0; i < o.doc->n; i++)
			count[items[i].outcome]++;
		if (o.json)
			print_json(items, o.doc->n, path);
		else
			print_text(items, o.doc->n, count, path);
	}
	free(items);
	free(ptrs);
	return rc;
}

static void cleanup(void)
{
	ix_doc_free(o.doc);
	secret_free(o.file);
	memset(&o, 0, sizeof(o));
}

const struct cli_command cli_cmd_import = {
	.name = "import",
	.summary = "import secrets from .env, JSON, 1Password, Bitwarden or LastPass",
	.synopsis = "FILE [-f env|json | --from 1password|bitwarden|lastpass]\n"
		    "[--on-conflict skip|overwrite|error] [--dry-run] [-k PATTERN]...\n"
		    "[--preserve-case] [--tag TAG] [--json] [--password-stdin]",
	.about = "Store every secret of FILE ('-': standard input) in one transaction: all of "
		 "them or,\nafter any error, none. The format is detected from the content "
		 "(a JSON document,\na CSV export's header, else .env) unless --format or --from "
		 "names it. A malformed\nline is reported with its number and nothing is written. "
		 "Keys of 1Password,\nBitwarden and LastPass items are made from their folder and "
		 "name: see\n'man secretctl-import'.",
	.notes = "Exit status: 0 imported (or dry run), 1 bad usage, malformed file or a key that "
		 "exists,\n2 no such file or -k matches nothing, 3 password problem, 4 integrity "
		 "failure,\n5 I/O error.",
	.opts = opts,
	.flags = CLI_UNLOCK,
	.max_args = 1,
	.args_hint = "import takes one FILE",
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
