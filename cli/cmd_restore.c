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

static const char *key_file;
static bool dry_run, verify_only, with_audit, force, json;

static const struct cli_opt opts[] = {
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

/* The backup key (per the header) and the master password that unlocks the vault inside. */
static int keys(const struct vault_backup_info *info, bool pw_stdin, struct secret **ret_key,
		struct secret **ret_pw)
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
	if ((rc = cli_password(pw_stdin, false,
			       "Master password (of the backed-up vault): ", ret_pw)) != CLI_OK)
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
	int r = vault_restore_apply(rs, dir, flags, &err);
	if (r == -EEXIST) {
		cli_error("restore: a vault already exists in %s: pass --force to replace it (its "
			  "contents are lost: back it up first); nothing was changed",
			  dir);
		return CLI_EUSAGE;
	}
	if (r < 0)
		return fail("cannot restore", r, &err);
	report(info, dir, "restored");
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct buf file = BUF_INIT;
	AUTO_SECRET struct secret *key = NULL, *pw = NULL;
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
	if ((rc = keys(&info, ctx->password_stdin, &key, &pw)) != CLI_OK)
		goto out;
	if ((r = vault_restore_open(file.data, file.len, key, pw, &rs, &info, &err)) < 0) {
		rc = fail(path, r, &err);
		goto out;
	}
	if (verify_only)
		report(&info, "", "verified");
	else
		rc = apply(rs, &info);
out:
	vault_restore_free(rs);
	buf_release(&file);
	return rc;
}

const struct cli_command cli_cmd_restore = {
	.name = "restore",
	.summary = "verify a backup and make it the vault",
	.synopsis = "FILE|- [--dry-run] [--verify-only] [--with-audit] [--key-file F] [--force] "
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
		 "recorded in the restored vault (vault.restore).",
	.notes = "Exit status: 0 done (or verified); 1 usage, a vault exists without --force;\n"
		 "2 no such file; 3 wrong password or key; 4 the backup is damaged, truncated or\n"
		 "tampered with; 5 I/O. On any failure nothing was changed.",
	.opts = opts,
	.flags = CLI_HARDEN | CLI_PASSWORD,
	.max_args = 1,
	.check = check,
	.run = run,
};
