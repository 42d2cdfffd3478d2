/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl backup` writes an encrypted, authenticated copy of the vault (optionally with
 * its audit log) to a file or standard output. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static const char *out_path, *key_file;
static bool to_stdout, with_audit, backup_password, force, json;

static const struct cli_opt opts[] = {
	CLI_STRING('o', "output", "FILE", &out_path, "write the backup to FILE (0600, atomically)"),
	CLI_FLAG(0, "stdout", &to_stdout, "write the backup to standard output (not a terminal)"),
	CLI_FLAG(0, "with-audit", &with_audit, "carry the whole audit log"),
	CLI_FLAG(0, "backup-password", &backup_password,
		 "encrypt with a separate backup password\n($" CLI_BACKUP_PASSWORD_ENV
		 " or a prompt) instead of the master password"),
	CLI_STRING(0, "key-file", "F", &key_file,
		   "encrypt with the key in file F (32..4096 "
		   "bytes, mode 0600)"),
	CLI_FLAG(0, "force", &force, "replace FILE when it exists"),
	CLI_FLAG(0, "json", &json, "print the summary as a JSON object"),
	CLI_OPT_END,
};

/* Decided before the password: usage errors cost no KDF and change nothing. */
static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	if (!!out_path == to_stdout) {
		cli_error("backup: say where the backup goes: -o FILE or --stdout (one of them)");
		return CLI_EUSAGE;
	}
	if (to_stdout && isatty(STDOUT_FILENO)) {
		cli_error("backup: refusing to write a binary backup to a terminal: redirect "
			  "standard output or use -o FILE");
		return CLI_EUSAGE;
	}
	if (backup_password && key_file) {
		cli_error("backup: --backup-password and --key-file exclude each other");
		return CLI_EUSAGE;
	}
	return out_path ? cli_plainfile_check("backup", out_path, force) : CLI_OK;
}

static void summary(const struct vault_backup_info *info)
{
	FILE *f = to_stdout ? stderr : stdout;
	const char *key = backup_password ? "backup password"
			  : key_file	  ? "key file"
					  : "master password";
	if (json) {
		struct outbuf o;
		outbuf_init_fd(&o, fileno(f));
		outbuf_puts(&o, "{\"file\":");
		if (to_stdout)
			outbuf_puts(&o, "null");
		else
			outbuf_json_cstr(&o, out_path);
		outbuf_printf(&o, ",\"bytes\":%llu,\"with_audit\":%s,\"key\":\"%s\"}\n",
			      (unsigned long long)info->image_bytes, with_audit ? "true" : "false",
			      key);
		(void)outbuf_finish(&o);
		return;
	}
	fprintf(f, "backup written to %s (%llu bytes of vault, %s, encrypted with the %s)\n",
		to_stdout ? "standard output" : out_path, (unsigned long long)info->image_bytes,
		with_audit ? "with the audit log" : "without the audit log", key);
}

/* The key material: the master password, a backup password, or a key file. */
static int key_material(struct secret **pw, struct secret **ret, enum vault_backup_mode *mode)
{
	if (key_file) {
		*mode = VAULT_BACKUP_KEYFILE;
		return cli_key_file_read("backup", key_file, ret);
	}
	if (backup_password) {
		*mode = VAULT_BACKUP_PASSWORD;
		return cli_backup_password("backup", true, ret);
	}
	*mode = VAULT_BACKUP_MASTER;
	*ret = TAKE_PTR(*pw);
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	AUTO_SECRET struct secret *pw = NULL, *material = NULL;
	struct vault *v = NULL;
	struct vault_backup_info info;
	struct cli_plainfile f = { .fd = -1 };
	enum vault_backup_mode mode;
	int rc = cli_vault_unlock_pw(ctx->password_stdin, 0, &v, &pw);
	if (rc != CLI_OK)
		return rc;
	if ((rc = key_material(&pw, &material, &mode)) != CLI_OK ||
	    (out_path && (rc = cli_plainfile_open(&f, "backup", out_path, force)) != CLI_OK))
		goto out;
	struct cli_progress bar;
	cli_progress_init(&bar, NULL, 0);
	struct vault_progress progress = { .fn = cli_progress_vault, .ctx = &bar };
	int r = vault_backup(v, with_audit ? VAULT_BACKUP_WITH_AUDIT : 0, mode, material,
			     out_path ? f.fd : STDOUT_FILENO, &progress, &info, &err);
	cli_progress_done(&bar);
	if (r < 0) {
		cli_error("backup: %s%s", reterr_str(&err, r),
			  out_path ? "; no file was written" : "");
		rc = cli_exit_from_errno(r);
		if (out_path)
			cli_plainfile_abort(&f);
		goto out;
	}
	if (out_path && (rc = cli_plainfile_commit(&f, "backup")) != CLI_OK)
		goto out;
	summary(&info);
out:
	vault_free(v);
	return rc;
}

const struct cli_command cli_cmd_backup = {
	.name = "backup",
	.summary = "write an encrypted, authenticated backup of the vault",
	.synopsis = "-o FILE | --stdout [--with-audit] [--backup-password | --key-file F] "
		    "[--force] [--json]",
	.about = "Copy the vault through SQLite's online backup API (a consistent snapshot, even "
		 "while\nother processes use it) and write it encrypted with libsodium's "
		 "secretstream under a\nkey of its own: from the master password (default), a "
		 "separate backup password, or\na key file, with a fresh salt. Truncation, "
		 "appended data and any edit are detected\nby `secretctl restore`. Without "
		 "--with-audit the copy's audit log is cut behind an\nauthenticated checkpoint "
		 "(it still verifies); with it the whole log is carried.\nThe backup is "
		 "recorded in the audit log (vault.backup). On a terminal, standard error\n"
		 "shows a progress bar (pages copied, bytes encrypted); never otherwise.",
	.notes = "Exit status: 0 written; 1 usage (no destination, FILE exists without --force);\n"
		 "3 password; 4 the vault does not verify; 5 I/O.",
	.opts = opts,
	.flags = CLI_HARDEN | CLI_PASSWORD,
	.max_args = 0,
	.check = check,
	.run = run,
};
