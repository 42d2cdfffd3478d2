/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl restore` verifies a whole backup, then makes it the vault in one rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

/* The file is read whole before it is checked: bounded by the largest image plus the stream's
 * per-chunk overhead and the header. */
#define RESTORE_FILE_MAX (VAULT_BACKUP_IMAGE_MAX + VAULT_BACKUP_IMAGE_MAX / 1024 + 4096)

static const char *key_file, *conflict;
static bool dry_run, verify_only, with_audit, force, json;
static enum vault_conflict mode;

/* --on-conflict (and --conflict, as import has both): merge into the existing vault. */
static int opt_conflict(const char *arg)
{
	return cli_conflict_parse("restore", "--on-conflict", arg, &conflict, &mode);
}

static const struct cli_opt opts[] = {
	CLI_FN(0, "on-conflict", "skip|overwrite|error", opt_conflict,
	       "merge the backup's secrets into the existing vault; a key\nit has already is "
	       "skipped, overwritten or (error) refused,\nand then nothing is restored"),
	CLI_FN(0, "conflict", "skip|overwrite|error", opt_conflict, "same as --on-conflict"),
	CLI_FLAG('n', "dry-run", &dry_run, "verify and say what would change; change nothing"),
	CLI_FLAG(0, "verify-only", &verify_only, "verify the backup only (exit 0 or 4)"),
	CLI_FLAG(0, "with-audit", &with_audit, "restore the audit log the backup carries"),
	CLI_STRING(0, "key-file", "F", &key_file, "the key file the backup was made with"),
	CLI_FLAG(0, "force", &force, "replace an existing vault (its contents are lost)"),
	CLI_FLAG(0, "json", &json, "print the result as a JSON object"),
	CLI_OPT_END,
};

static int check(struct cli_ctx *ctx)
{
	if (ctx->argc != 1) {
		cli_error("restore: name the backup file (or - for standard input)");
		return CLI_EUSAGE;
	}
	if (conflict && (with_audit || force)) {
		cli_error("restore: --on-conflict merges secrets into this vault, whose audit log "
			  "goes on: it takes neither --with-audit nor --force (restore into an "
			  "empty directory to get the backup's log)");
		return CLI_EUSAGE;
	}
	if (conflict && verify_only) {
		cli_error("restore: --verify-only changes nothing: it takes no --on-conflict");
		return CLI_EUSAGE;
	}
	if (!strcmp(ctx->argv[0], "-") && ctx->password_stdin) {
		cli_error("restore: standard input cannot carry both the backup and the password; "
			  "use a file or $" VAULT_PASSWORD_ENV);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int read_backup(const char *path, struct buf *b)
{
	bool in = !strcmp(path, "-");
	AUTO_CLOSE int fd = in ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli_error("restore: cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? CLI_ENOTFOUND : CLI_EIO;
	}
	int r = fd_read_all(fd, RESTORE_FILE_MAX, b);
	if (r < 0) {
		cli_error("restore: cannot read %s: %s", path,
			  r == -E2BIG ? "larger than any backup can be" : strerror(-r));
		return r == -E2BIG ? CLI_EUSAGE : CLI_EIO;
	}
	return CLI_OK;
}

/* The backup key (per the header) and the master password that unlocks the vault inside: pw
 * when given (a merge: this vault's, tried first), else asked for. */
static int keys(const struct vault_backup_info *info, bool pw_stdin, const struct secret *pw,
		struct secret **ret_key, struct secret **ret_pw)
{
	int rc;
	if (info->mode == VAULT_BACKUP_KEYFILE && !key_file) {
		cli_error("restore: this backup was made with a key file: pass --key-file F");
		return CLI_EUSAGE;
	}
	if (info->mode != VAULT_BACKUP_KEYFILE && key_file) {
		cli_error("restore: this backup was not made with a key file (it uses a %s)",
			  info->mode == VAULT_BACKUP_MASTER ? "master password"
							    : "backup password");
		return CLI_EUSAGE;
	}
	if (pw && !(*ret_pw = secret_from(pw->data, pw->len))) {
		cli_error("out of secure memory (check 'ulimit -l')");
		return CLI_EIO;
	}
	if (!pw && (rc = cli_password(pw_stdin, false, "Master password (of the backed-up vault): ",
				      ret_pw)) != CLI_OK)
		return rc;
	if (info->mode == VAULT_BACKUP_KEYFILE)
		return cli_key_file_read("restore", key_file, ret_key);
	if (info->mode == VAULT_BACKUP_PASSWORD)
		return cli_backup_password("restore", false, ret_key);
	*ret_key = secret_from((*ret_pw)->data, (*ret_pw)->len);
	if (!*ret_key) {
		cli_error("out of secure memory (check 'ulimit -l')");
		return CLI_EIO;
	}
	return CLI_OK;
}

static int fail(const char *what, int r, const struct reterr *err)
{
	cli_error("restore: %s: %s; nothing was changed", what, reterr_str(err, r));
	return r == -EKEYREJECTED ? CLI_EAUTH : cli_exit_from_errno(r);
}

static void report(const struct vault_backup_info *info, const char *dir, const char *done)
{
	char ts[32];
	parse_format_time(info->created_at, ts);
	if (json) {
		struct outbuf o;
		outbuf_init_fd(&o, STDOUT_FILENO);
		outbuf_printf(&o,
			      "{\"result\":\"%s\",\"secrets\":%llu,\"audit_entries\":%llu,"
			      "\"backup_has_audit\":%s,\"created_at\":\"%s\",\"vault_dir\":",
			      done, (unsigned long long)info->secrets,
			      (unsigned long long)info->audit_entries,
			      info->flags & VAULT_BACKUP_WITH_AUDIT ? "true" : "false", ts);
		outbuf_json_cstr(&o, dir);
		outbuf_puts(&o, "}\n");
		(void)outbuf_finish(&o);
		return;
	}
	printf("backup OK: %llu secrets, %llu audit entries%s, made %s\n",
	       (unsigned long long)info->secrets, (unsigned long long)info->audit_entries,
	       info->flags & VAULT_BACKUP_WITH_AUDIT ? " (full log)" : " (log not included)", ts);
	if (!strcmp(done, "restored"))
		printf("restored into %s (audit log %s)\n", dir,
		       with_audit ? "carried over" : "started from the backup");
	else if (!strcmp(done, "dry-run"))
		printf("would %s the vault in %s; run without --dry-run to do it\n",
		       force ? "replace" : "create", dir);
}

static struct vault_progress progress_of(struct cli_progress *bar)
{
	cli_progress_init(bar, NULL, 0);
	return (struct vault_progress){ .fn = cli_progress_vault, .ctx = bar };
}

static int apply(struct vault_restore *rs, const struct vault_backup_info *info)
{
	struct reterr err = RETERR_INIT;
	AUTO_FREE char *dir = vault_dir_default(&err);
	if (!dir) {
		cli_error("restore: %s", reterr_str(&err, -EINVAL));
		return CLI_EUSAGE;
	}
	if (dry_run) {
		report(info, dir, "dry-run");
		return CLI_OK;
	}
	unsigned flags =
		(with_audit ? VAULT_BACKUP_WITH_AUDIT : 0) | (force ? VAULT_RESTORE_REPLACE : 0);
	struct cli_progress bar;
	struct vault_progress progress = progress_of(&bar);
	int r = vault_restore_apply(rs, dir, flags, &progress, &err);
	cli_progress_done(&bar);
	if (r == -EEXIST) {
		cli_error(
			"restore: a vault already exists in %s: pass --force to replace it (its "
			"contents are lost: back it up first), or --on-conflict to merge into it; "
			"nothing was changed",
			dir);
		return CLI_EUSAGE;
	}
	if (r < 0)
		return fail("cannot restore", r, &err);
	report(info, dir, "restored");
	return CLI_OK;
}

/* ---- merging into the existing vault (--on-conflict) ------------------------------------ */

static const char *const merge_verbs[] = {
	[VAULT_OUTCOME_CREATED] = "create",
	[VAULT_OUTCOME_UPDATED] = "overwrite",
	[VAULT_OUTCOME_SKIPPED] = "skip",
};

static void merge_json(const struct vault_merge_result *res, const struct vault_backup_info *info)
{
	static const char *const lists[] = { "created", "updated", "skipped" };
	struct outbuf o;
	outbuf_init_fd(&o, STDOUT_FILENO);
	outbuf_printf(&o,
		      "{\"result\":\"%s\",\"on_conflict\":\"%s\",\"dry_run\":%s,\"secrets\":%llu,"
		      "\"audit_entries\":%llu,\"versions_not_merged\":%llu",
		      dry_run ? "dry-run" : "merged", conflict, dry_run ? "true" : "false",
		      (unsigned long long)info->secrets, (unsigned long long)info->audit_entries,
		      (unsigned long long)res->versions);
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		const char *sep = "";
		outbuf_printf(&o, ",\"%s\":[", lists[l]);
		for (size_t i = 0; i < res->n; i++) {
			if (res->items[i].outcome !=
			    (enum vault_outcome)(VAULT_OUTCOME_CREATED + l))
				continue;
			outbuf_puts(&o, sep);
			outbuf_json_cstr(&o, res->items[i].key);
			sep = ",";
		}
		outbuf_puts(&o, "]");
	}
	outbuf_puts(&o, "}\n");
	(void)outbuf_finish(&o);
}

static void merge_report(const struct vault_merge_result *res, const struct vault_backup_info *info)
{
	if (res->versions)
		cli_warn("restore: the backup's %llu saved previous version%s %s not merged (only "
			 "current secrets are; restore into an empty directory to get %s)",
			 (unsigned long long)res->versions, res->versions == 1 ? "" : "s",
			 res->versions == 1 ? "is" : "are", res->versions == 1 ? "it" : "them");
	if (json) {
		merge_json(res, info);
		return;
	}
	report(info, "", "merged");
	fflush(stdout); /* before the lines written to the fd directly */
	struct outbuf o;
	outbuf_init_fd(&o, STDOUT_FILENO);
	for (size_t i = 0; dry_run && i < res->n; i++) {
		enum vault_outcome oc = res->items[i].outcome;
		outbuf_printf(&o, "would %s %s%s\n", merge_verbs[oc], res->items[i].key,
			      oc == VAULT_OUTCOME_SKIPPED ? " (exists)" : "");
	}
	outbuf_printf(&o,
		      "%s %zu secret%s of the backup: %zu created, %zu overwritten, %zu "
		      "skipped%s\n",
		      dry_run ? "dry run: would merge" : "merged", res->n, res->n == 1 ? "" : "s",
		      res->created, res->updated, res->skipped,
		      dry_run ? "; nothing was written" : "");
	(void)outbuf_finish(&o);
}

static int merge(struct vault_restore *rs, struct vault *v, const struct vault_backup_info *info)
{
	struct reterr err = RETERR_INIT;
	struct vault_merge_result res;
	struct cli_progress bar;
	struct vault_progress progress = progress_of(&bar);
	struct vault_merge_opts mo = { .conflict = mode,
				       .dry_run = dry_run,
				       .progress = &progress };
	int r = vault_restore_merge(rs, v, &mo, &res, &err);
	cli_progress_done(&bar);
	if (r == -EEXIST) {
		cli_error("restore: %s; nothing was restored (use --on-conflict skip or overwrite)",
			  reterr_str(&err, r));
		return CLI_EUSAGE;
	}
	if (r < 0)
		return fail("cannot merge the backup", r, &err);
	merge_report(&res, info);
	vault_merge_result_release(&res);
	return CLI_OK;
}

/* Verify the backup with pw (this vault's password, a merge tries it first) or, when that does
 * not unlock the vault inside and a prompt is possible, the one asked for. */
static int open_backup(const struct buf *file, const char *path, bool pw_stdin, bool prompt,
		       const struct secret *pw, struct vault_restore **rs,
		       struct vault_backup_info *info)
{
	struct reterr err = RETERR_INIT;
	AUTO_SECRET struct secret *key = NULL, *upw = NULL;
	int rc = keys(info, pw_stdin, pw, &key, &upw);
	if (rc != CLI_OK)
		return rc;
	struct cli_progress bar;
	struct vault_progress progress = progress_of(&bar);
	int r = vault_restore_open(file->data, file->len, key, upw, &progress, rs, info, &err);
	cli_progress_done(&bar);
	if (r == -EKEYREJECTED && pw && prompt)
		return open_backup(file, path, pw_stdin, false, NULL, rs, info);
	if (r == -EKEYREJECTED && pw)
		cli_error("restore: %s: %s (the backed-up vault's master password is not this "
			  "vault's; give it at the prompt: run without $" VAULT_PASSWORD_ENV
			  " and --password-stdin); nothing was changed",
			  path, reterr_str(&err, r));
	return r == -EKEYREJECTED && pw ? CLI_EAUTH : r < 0 ? fail(path, r, &err) : CLI_OK;
}

static int run_merge(struct cli_ctx *ctx, const struct buf *file, struct vault_backup_info *info)
{
	AUTO_SECRET struct secret *pw = NULL;
	struct vault *v = NULL;
	struct vault_restore *rs = NULL;
	/* Known before the unlock scrubs it: a second password can only come from a prompt. */
	bool prompt = !ctx->password_stdin && !secure_getenv(VAULT_PASSWORD_ENV);
	int rc = cli_vault_unlock_pw(ctx->password_stdin, 0, &v, &pw);
	if (rc != CLI_OK)
		return rc;
	rc = open_backup(file, ctx->argv[0], ctx->password_stdin, prompt, pw, &rs, info);
	if (rc == CLI_OK)
		rc = merge(rs, v, info);
	vault_restore_free(rs);
	int rc2 = cli_vault_close(v);
	return rc != CLI_OK ? rc : rc2;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct buf file = BUF_INIT;
	struct vault_restore *rs = NULL;
	struct vault_backup_info info;
	const char *path = ctx->argv[0];
	int rc = read_backup(path, &file);
	if (rc != CLI_OK)
		goto out;
	int r = vault_backup_inspect(file.data, file.len, &info, &err);
	if (r < 0) {
		rc = fail(path, r, &err);
		goto out;
	}
	if (with_audit && !(info.flags & VAULT_BACKUP_WITH_AUDIT)) {
		cli_error("restore: %s does not carry the audit log (make it with `backup "
			  "--with-audit`); nothing was changed",
			  path);
		rc = CLI_EUSAGE;
		goto out;
	}
	if (conflict) {
		rc = run_merge(ctx, &file, &info);
		goto out;
	}
	if ((rc = open_backup(&file, path, ctx->password_stdin, false, NULL, &rs, &info)) != CLI_OK)
		goto out;
	if (verify_only)
		report(&info, "", "verified");
	else
		rc = apply(rs, &info);
out:
	vault_restore_free(rs);
	buf_release(&file);
	return rc;
}

static void cleanup(void)
{
	key_file = conflict = NULL;
	dry_run = verify_only = with_audit = force = json = false;
	mode = VAULT_CONFLICT_ERROR;
}

const struct cli_command cli_cmd_restore = {
	.name = "restore",
	.summary = "verify a backup and make it the vault, or merge it into the vault",
	.synopsis =
		"FILE|- [--dry-run] [--verify-only] [--with-audit] [--key-file F] [--force] "
		"[--json]\nFILE|- --on-conflict skip|overwrite|error [--dry-run] [--key-file F] "
		"[--json]",
	.about = "Read the whole backup and verify it before anything is touched: the stream "
		 "(nothing\ntruncated, appended or altered), the database inside, its header "
		 "(the master password\nit had when it was backed up must unlock it), its manifest "
		 "and its audit chain. Then\nwrite it as a new file beside the vault and rename it "
		 "into place: the vault is the\nold one or the restored one, never a mix. A backup "
		 "made with --backup-password asks\nfor that password ($" CLI_BACKUP_PASSWORD_ENV
		 " or a prompt); one made with --key-file\nneeds the same --key-file. "
		 "--with-audit keeps the backup's full audit log; without it\nthe restored log "
		 "starts from the backup (behind a checkpoint, so it verifies). The\nrestore is "
		 "recorded in the restored vault (vault.restore).\n\n"
		 "With --on-conflict the backup is merged into the existing vault instead, secret "
		 "by\nsecret, in one transaction (all or nothing): this vault is unlocked with its "
		 "own\npassword, which is tried on the backed-up vault too (a prompt asks for that "
		 "one when\nit differs). Each secret comes whole (value, fields, notes, URL, tags, "
		 "expiry,\nbindings, dates, folder: a folder this vault lacks is an error). A key "
		 "the vault\nhas already is refused (error: nothing is restored), kept (skip) or "
		 "replaced\n(overwrite: the replaced version stays in its history). The backup's "
		 "saved versions\nare not merged (a warning says how many). The merge is one "
		 "vault.restore audit\nentry; --with-audit and --force do not apply.\n\n"
		 "On a terminal, standard error shows a progress bar (bytes decrypted, pages "
		 "written,\nsecrets merged); never otherwise.",
	.notes = "Exit status: 0 done (or verified); 1 usage, a vault exists without --force, a "
		 "key\nexists under --on-conflict error; 2 no such file, no vault to merge into, a "
		 "folder\nthe vault lacks; 3 wrong password or key; 4 the backup is damaged, "
		 "truncated or\ntampered with; 5 I/O. On any failure nothing was changed.",
	.opts = opts,
	.flags = CLI_HARDEN | CLI_PASSWORD,
	.max_args = 1,
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
