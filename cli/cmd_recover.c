/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl recover [--dry-run]` examines a vault that fails its integrity check, names
 * what is damaged, and rebuilds the vault from every intact secret (audited; the damaged file is
 * kept beside it). The work is vault/'s; this file reports. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static bool dry_run, json;

static const struct cli_opt opts[] = {
	CLI_FLAG('n', "dry-run", &dry_run,
		 "examine and report only: open the vault read-only "
		 "and change\nnothing"),
	CLI_FLAG(0, "json", &json, "the report as one JSON object"),
	CLI_OPT_END,
};

static void text_bad(struct outbuf *o, const struct vault_examination *ex)
{
	for (size_t i = 0; i < ex->nbad; i++) {
		const struct vault_bad_row *b = &ex->bad[i];
		outbuf_puts(o, "  damaged: ");
		if (b->key) {
			outbuf_puts(o, "secret '");
			outbuf_escaped(o, b->key, strlen(b->key));
			outbuf_printf(o, "' (row %s)", b->id);
		} else {
			outbuf_printf(o, "row %s (its name cannot be decrypted)", b->id);
		}
		outbuf_printf(o, ": %s\n", b->problem);
	}
	for (size_t i = 0; ex->missing && ex->missing[i]; i++) {
		outbuf_puts(o, "  missing: secret '");
		outbuf_escaped(o, ex->missing[i], strlen(ex->missing[i]));
		outbuf_puts(o, "': the audit log records it, no row holds it (deleted outside "
			       "secretctl)\n");
	}
	for (size_t i = 0; ex->stale && ex->stale[i]; i++) {
		outbuf_puts(o, "  rolled back: secret '");
		outbuf_escaped(o, ex->stale[i], strlen(ex->stale[i]));
		outbuf_puts(o, "': its row is older than its last change in the audit log (kept: "
			       "check its value)\n");
	}
}

static void text_report(struct outbuf *o, const struct vault_examination *ex)
{
	outbuf_printf(o, "secret rows: %zu, intact: %zu, damaged: %zu\n", ex->rows, ex->intact,
		      ex->nbad);
	text_bad(o, ex);
	if (!ex->missing && !ex->stale && !ex->nbad && !ex->rows_match)
		outbuf_puts(o, "  rows were deleted or rolled back outside secretctl (the audit "
			       "log does not say which)\n");
	outbuf_printf(o, "manifest: %s\n",
		      !ex->manifest_ok ? "does not verify (altered)"
		      : ex->rows_match ? "ok"
		      : ex->nbad       ? "ok (it counts the damaged rows too)"
				       : "does not match the rows");
	outbuf_puts(o, "head: ");
	outbuf_escaped(o, ex->head_ok ? "ok" : ex->head_msg,
		       strlen(ex->head_ok ? "ok" : ex->head_msg));
	if (ex->audit_ok)
		outbuf_printf(o, "\naudit log: ok, %llu entries\n",
			      (unsigned long long)ex->audit_entries);
	else
		outbuf_printf(o,
			      "\naudit log: FAILED at entry %llu: %s (recover keeps every entry "
			      "as stored and records this in its vault.recover entry)\n",
			      (unsigned long long)ex->audit_bad_seq, ex->audit_msg);
}

static void json_report(struct outbuf *o, const struct vault_examination *ex, const char *backup)
{
	outbuf_printf(o, "{\"rows\":%zu,\"intact\":%zu,\"damaged\":[", ex->rows, ex->intact);
	for (size_t i = 0; i < ex->nbad; i++) {
		outbuf_printf(o, "%s{\"rowid\":%lld,\"row\":\"%s\",", i ? "," : "",
			      (long long)ex->bad[i].rowid, ex->bad[i].id);
		outbuf_json_member_cstr(o, "key", ex->bad[i].key);
		outbuf_puts(o, ",");
		outbuf_json_member_cstr(o, "problem", ex->bad[i].problem);
		outbuf_puts(o, "}");
	}
	outbuf_puts(o, "],");
	outbuf_json_member_strv(o, "missing", ex->missing);
	outbuf_puts(o, ",");
	outbuf_json_member_strv(o, "rolled_back", ex->stale);
	outbuf_printf(o, ",\"manifest_ok\":%s,\"rows_match\":%s,\"head_ok\":%s,",
		      ex->manifest_ok ? "true" : "false", ex->rows_match ? "true" : "false",
		      ex->head_ok ? "true" : "false");
	outbuf_json_member_cstr(o, "head_error", ex->head_ok ? NULL : ex->head_msg);
	outbuf_printf(o, ",\"audit_ok\":%s,\"audit_entries\":%llu,",
		      ex->audit_ok ? "true" : "false", (unsigned long long)ex->audit_entries);
	outbuf_json_member_cstr(o, "audit_error", ex->audit_ok ? NULL : ex->audit_msg);
	outbuf_printf(o, ",\"clean\":%s,\"rebuilt\":%s,",
		      vault_examination_clean(ex) ? "true" : "false", backup ? "true" : "false");
	outbuf_json_member_cstr(o, "backup", backup);
	outbuf_puts(o, "}\n");
}

/* What happened, in one line after the report (stderr when the report is JSON). */
static int outcome(const struct vault_examination *ex, const char *backup)
{
	FILE *f = json ? stderr : stdout;
	if (vault_examination_clean(ex)) {
		fprintf(f,
			"nothing to recover: every secret row, the manifest and the head "
			"verify%s\n",
			ex->audit_ok ? "" : " (the audit log does not: see above)");
		return CLI_OK;
	}
	if (dry_run) {
		fprintf(f,
			"damaged: 'secretctl recover' would keep the %zu intact secret%s, drop %zu "
			"damaged row%s and keep the damaged file beside the vault\n",
			ex->intact, ex->intact == 1 ? "" : "s", ex->nbad, ex->nbad == 1 ? "" : "s");
		return CLI_EINTEGRITY;
	}
	fprintf(f,
		"vault rebuilt: kept %zu secret%s, dropped %zu damaged row%s; the damaged file is "
		"kept as %s\n",
		ex->intact, ex->intact == 1 ? "" : "s", ex->nbad, ex->nbad == 1 ? "" : "s", backup);
	if (ex->missing || ex->stale)
		cli_warn("recover: missing or rolled-back secrets are listed above: set them again "
			 "(and rotate them if the file was tampered with)");
	return CLI_OK;
}

static int report(const struct vault_examination *ex, const char *backup)
{
	struct outbuf o;
	outbuf_init_fd(&o, STDOUT_FILENO);
	if (json)
		json_report(&o, ex, backup);
	else
		text_report(&o, ex);
	int r = outbuf_finish(&o);
	if (r < 0 && r != -EPIPE) {
		cli_error("recover: cannot write the report: %s", strerror(-r));
		return CLI_EIO;
	}
	return outcome(ex, backup);
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct vault_examination ex = { 0 };
	struct vault *v = NULL;
	AUTO_FREE char *backup = NULL;
	int rc = cli_vault_unlock(ctx->password_stdin,
				  CLI_UNLOCK_RECOVERY | (dry_run ? CLI_READONLY : 0), &v);
	if (rc != CLI_OK)
		return rc;
	int r = vault_examine(v, &ex, &err);
	if (r == 0 && !dry_run)
		r = vault_recover(v, &ex, &backup, &err);
	if (r < 0) {
		cli_error("recover: %s", reterr_str(&err, r));
		rc = cli_exit_from_errno(r);
	} else {
		rc = report(&ex, backup);
	}
	vault_examination_release(&ex);
	vault_free(v);
	return rc;
}

static void cleanup(void)
{
	dry_run = json = false;
}

const struct cli_command cli_cmd_recover = {
	.name = "recover",
	.summary = "rebuild a damaged vault from its intact secrets",
	.synopsis = "[--dry-run] [--json] [--password-stdin]",
	.about =
		"For a vault that fails its integrity check (exit 4). Checks the master "
		"password, then\nexamines every secret row, the manifest, the authenticated head "
		"and the audit log,\nand names what is damaged: rows that do not authenticate (by "
		"key where the name\nstill decrypts, else by row id), secrets the audit log "
		"records but no row holds,\nand rows older than their last change. Then it "
		"rebuilds the vault in one step from\nevery intact secret and the whole audit "
		"log, records a vault.recover entry saying\nwhat was dropped, and keeps the "
		"damaged file as vault.db.damaged-TIME beside it.\nWith --dry-run it only reports, "
		"reading the vault read-only.",
	.notes = "Exit status: 0 when the vault is intact or was rebuilt; 4 when --dry-run found "
		 "damage;\nas for the other commands otherwise. See secretctl-recover(1).",
	.opts = opts,
	.flags = CLI_HARDEN | CLI_PASSWORD,
	.max_args = 0,
	.run = run,
	.cleanup = cleanup,
};
