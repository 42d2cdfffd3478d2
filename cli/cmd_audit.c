/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl audit list|verify|export` reads and checks the HMAC-chained audit log
 * (`audit prune` is in cmd_audit_prune.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

#define AUDIT_LIST_DEFAULT_LIMIT 100

/* detail: the JSON object the vault wrote, printed as such; anything else (not an object, not
 * UTF-8) as a string member with its _base64 sibling. cJSON only ever sees audit records, which
 * by contract hold no secret values. */
static int out_detail(struct outbuf *o, const char *d)
{
	if (!d || !d[0]) {
		outbuf_puts(o, "\"detail\":null");
		return 0;
	}
	cJSON *j = utf8_valid(d, strlen(d)) ? cJSON_Parse(d) : NULL;
	char *text = cJSON_IsObject(j) ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!text) {
		outbuf_json_member_cstr(o, "detail", d);
		return 0;
	}
	outbuf_puts(o, "\"detail\":");
	outbuf_puts(o, text);
	free(text);
	return 0;
}

static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* One entry as a JSON object: the user guide's names (timestamp, action, source, keys, command,
 * success) plus seq (null for a queued failed unlock, not yet chained), error and detail. Text
 * that is not UTF-8 shows its bad bytes as \\xNN and gets a NAME_base64 sibling. */
static int record_json(struct outbuf *o, const struct audit_record *a)
{
	char ts[32];
	AUTO_STRV char **kv = NULL;
	parse_format_time(a->ts, ts);
	if (a->seq)
		outbuf_printf(o, "{\"seq\":%llu,", (unsigned long long)a->seq);
	else
		outbuf_puts(o, "{\"seq\":null,");
	outbuf_printf(o, "\"timestamp\":\"%s\",", ts);
	outbuf_json_member_cstr(o, "action", or_null(a->action));
	outbuf_puts(o, ",");
	outbuf_json_member_cstr(o, "source", or_null(a->source));
	outbuf_puts(o, ",");
	if (a->keys && a->keys[0] && strv_split(a->keys, ',', &kv) < 0)
		return -ENOMEM;
	outbuf_json_member_strv(o, "keys", kv);
	outbuf_puts(o, ",");
	outbuf_json_member_cstr(o, "command", or_null(a->command));
	outbuf_printf(o, ",\"success\":%s,", a->success ? "true" : "false");
	outbuf_json_member_cstr(o, "error", or_null(a->error));
	outbuf_puts(o, ",");
	out_detail(o, a->detail);
	if (a->unreadable)
		outbuf_puts(o, ",\"unreadable\":true");
	outbuf_puts(o, "}");
	return 0;
}

static const char *cell(const char *s)
{
	return s && s[0] ? s : "-";
}

static int width(const char *s, int cur, int cap)
{
	size_t n = strlen(cell(s));
	if (n > (size_t)cap)
		n = (size_t)cap;
	return (int)n > cur ? (int)n : cur;
}

/* A padded table for reading (scripts use --json). Every stored string is shown with control
 * bytes escaped, so a crafted key name or command line cannot drive the terminal. */
static void print_table(struct outbuf *o, const struct audit_record *a, size_t n)
{
	int seqw = 3, srcw = 6, actw = 6, keyw = 4;
	for (size_t i = 0; i < n; i++) {
		char tmp[32];
		int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)a[i].seq);
		if (len > seqw)
			seqw = len;
		srcw = width(a[i].source, srcw, 16);
		actw = width(a[i].action, actw, 32);
		keyw = width(a[i].keys, keyw, 40);
	}
	outbuf_printf(o, "%*s  %-20s  %-*s  %-*s  %-6s  %-*s  %s\n", seqw, "SEQ", "TIME", srcw,
		      "SOURCE", actw, "ACTION", "RESULT", keyw, "KEYS", "DETAIL");
	for (size_t i = 0; i < n; i++) {
		char ts[32];
		parse_format_time(a[i].ts, ts);
		if (a[i].seq)
			outbuf_printf(o, "%*llu  %-20s  ", seqw, (unsigned long long)a[i].seq, ts);
		else /* a failed unlock still queued: not in the chain yet */
			outbuf_printf(o, "%*s  %-20s  ", seqw, "-", ts);
		const char *cols[] = { cell(a[i].source), cell(a[i].action),
				       a[i].success ? "ok" : "FAILED", cell(a[i].keys) };
		const int widths[] = { srcw, actw, 6, keyw };
		for (size_t c = 0; c < ARRAY_SIZE(cols); c++) {
			size_t len = strlen(cols[c]);
			outbuf_escaped(o, cols[c], len);
			for (size_t k = len; k < (size_t)widths[c] + 2; k++)
				outbuf_puts(o, " ");
		}
		if (!a[i].success && a[i].error && a[i].error[0]) {
			outbuf_escaped(o, a[i].error, strlen(a[i].error));
			outbuf_puts(o, " ");
		}
		const char *d = a[i].command && a[i].command[0] ? a[i].command : a[i].detail;
		outbuf_escaped(o, cell(d), strlen(cell(d)));
		outbuf_puts(o, "\n");
	}
}

/* Write records as one JSON array (lines = false) or one object per line. */
static int print_json(struct outbuf *o, const struct audit_record *a, size_t n, bool lines)
{
	if (!lines)
		outbuf_puts(o, "[");
	for (size_t i = 0; i < n; i++) {
		if (!lines && i)
			outbuf_puts(o, ",\n");
		if (record_json(o, &a[i]) < 0)
			return -ENOMEM;
		if (lines)
			outbuf_puts(o, "\n");
	}
	if (!lines)
		outbuf_puts(o, "]\n");
	return 0;
}

/* One CSV cell (RFC 4180). A cell a spreadsheet would run as a formula gets a leading "'"
 * (the OWASP advice against CSV injection): the log holds text an agent chose. */
static void csv_cell(struct outbuf *o, const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (strchr("=+-@\t\r", s[0]) && s[0]) {
		outbuf_puts(o, "\"'");
		quote = true;
	} else if (quote) {
		outbuf_puts(o, "\"");
	}
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			outbuf_puts(o, "\"\"");
		else
			outbuf_write(o, p, 1);
	}
	if (quote)
		outbuf_puts(o, "\"");
}

static void print_csv(struct outbuf *o, const struct audit_record *a, size_t n)
{
	outbuf_puts(o, "seq,ts,source,action,success,keys,command,error,detail\r\n");
	for (size_t i = 0; i < n; i++) {
		char ts[32];
		parse_format_time(a[i].ts, ts);
		outbuf_printf(o, "%llu,%s,", (unsigned long long)a[i].seq, ts);
		const char *cols[] = { a[i].source, a[i].action,  a[i].success ? "true" : "false",
				       a[i].keys,   a[i].command, a[i].error,
				       a[i].detail };
		for (size_t c = 0; c < ARRAY_SIZE(cols); c++) {
			csv_cell(o, cols[c] ? cols[c] : "");
			outbuf_puts(o, c + 1 < ARRAY_SIZE(cols) ? "," : "\r\n");
		}
	}
}

enum export_format { EXPORT_JSON, EXPORT_JSONL, EXPORT_CSV };

static struct audit_query q = { .limit = AUDIT_LIST_DEFAULT_LIMIT };
static bool json, force;
static enum export_format format;
static const char *out_path;

static int opt_limit(const char *arg)
{
	if (parse_u64(arg, 0, UINT32_MAX, &q.limit) < 0) {
		cli_error("audit list: invalid --limit '%s' (a number, 0 = all)", arg);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

/* --since / --until: a duration back from now or an RFC 3339 time. */
static int opt_time(const char *name, const char *arg, int64_t *dest)
{
	if (cli_parse_since(arg, dest) < 0) {
		cli_error("audit: invalid --%s '%s' (use e.g. 24h, 7d, 2026-01-31 or "
			  "2026-01-31T12:00:00Z)",
			  name, arg);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int opt_since(const char *arg)
{
	return opt_time("since", arg, &q.since);
}

static int opt_until(const char *arg)
{
	return opt_time("until", arg, &q.until);
}

static int opt_format(const char *arg)
{
	static const char *const names[] = {
		[EXPORT_JSON] = "json", [EXPORT_JSONL] = "jsonl", [EXPORT_CSV] = "csv"
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(arg, names[i])) {
			format = (enum export_format)i;
			return CLI_OK;
		}
	cli_error("audit export: unknown --format '%s' (use json, jsonl or csv)", arg);
	return CLI_EUSAGE;
}

#define OPT_SINCE                                                               \
	CLI_FN(0, "since", "WHEN", opt_since,                                   \
	       "entries newer than a duration (24h, 7d), a date (2026-01-31,\n" \
	       "UTC) or an RFC 3339 time")
#define OPT_UNTIL                                                               \
	CLI_FN(0, "until", "WHEN", opt_until,                                   \
	       "entries not newer than a duration ago, a date or an RFC 3339\n" \
	       "time")
#define OPT_SOURCE \
	CLI_STRING(0, "source", "SRC", &q.source, "only entries made through SRC (cli or mcp)")

static const struct cli_opt list_opts[] = {
	CLI_FN(0, "limit", "N", opt_limit, "at most the newest N entries (default 100; 0 = all)"),
	OPT_SINCE,
	OPT_UNTIL,
	OPT_SOURCE,
	CLI_FLAG(0, "json", &json, "a JSON array instead of a table"),
	CLI_OPT_END,
};

static const struct cli_opt export_opts[] = {
	CLI_FN('f', "format", "FMT", opt_format,
	       "json (one array, default), jsonl (one object "
	       "per line) or csv"),
	OPT_SINCE,
	OPT_UNTIL,
	OPT_SOURCE,
	CLI_STRING('o', "output", "FILE", &out_path,
		   "write FILE (0600, atomically) instead of "
		   "stdout"),
	CLI_FLAG(0, "force", &force, "replace FILE when it exists"),
	CLI_OPT_END,
};

static int run_verify(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	uint64_t count = 0, bad = 0;
	int r = audit_verify(ctx->vault, &count, &bad, &err);
	if (r == -EBADMSG) {
		cli_error("audit log FAILED at entry %llu: %s", (unsigned long long)bad,
			  err.msg[0] ? err.msg : "the chain is broken");
		return CLI_EINTEGRITY;
	}
	if (r < 0) {
		cli_error("audit verify: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	printf("audit log OK: %llu entries verified\n", (unsigned long long)count);
	return CLI_OK;
}

/* list and export check the chain first: entries of a log that does not verify are still
 * shown (they are what there is), followed by a warning, and the exit status is 4. */
static int verify_quietly(struct cli_ctx *ctx, struct reterr *why, uint64_t *bad)
{
	uint64_t count = 0;
	int r = audit_verify(ctx->vault, &count, bad, why);
	if (r == 0 || r == -EBADMSG)
		return r;
	cli_error("%s: cannot verify the log: %s", ctx->name, reterr_str(why, r));
	return r;
}

/* list and export: verify, read the records, then print a table or JSON. */
static int run_read(struct cli_ctx *ctx, bool export)
{
	struct reterr err = RETERR_INIT, why = RETERR_INIT;
	struct audit_record *recs = NULL;
	size_t n = 0;
	uint64_t bad = 0;
	if (export)
		q.limit = 0;
	int v = verify_quietly(ctx, &why, &bad);
	if (v < 0 && v != -EBADMSG)
		return cli_exit_from_errno(v);
	int r = audit_list(ctx->vault, &q, &recs, &n, &err);
	if (r < 0) {
		cli_error("%s: cannot read the log: %s", ctx->name, reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	struct outbuf o;
	struct cli_plainfile f = { .fd = -1 };
	int rc = CLI_OK;
	if (out_path && (rc = cli_plainfile_check(ctx->name, out_path, force)) == CLI_OK)
		rc = cli_plainfile_open(&f, ctx->name, out_path, force);
	if (rc != CLI_OK)
		goto out;
	outbuf_init_fd(&o, out_path ? f.fd : STDOUT_FILENO);
	if (!export && !json)
		print_table(&o, recs, n);
	else if (export && format == EXPORT_CSV)
		print_csv(&o, recs, n);
	else if (print_json(&o, recs, n, export && format == EXPORT_JSONL) < 0)
		rc = CLI_EIO;
	if (rc != CLI_OK)
		cli_error("%s: out of memory", ctx->name);
	r = outbuf_finish(&o);
	if (r < 0 && (r != -EPIPE || out_path) && rc == CLI_OK) {
		cli_error("%s: cannot write the output: %s", ctx->name, strerror(-r));
		rc = CLI_EIO;
	}
	if (out_path)
		rc = rc == CLI_OK ? cli_plainfile_commit(&f, ctx->name)
				  : (cli_plainfile_abort(&f), rc);
out:
	audit_records_free(recs, n);
	if (v == -EBADMSG && rc == CLI_OK) {
		cli_error("%s: WARNING: the audit log FAILED verification at entry %llu: %s; the "
			  "entries are shown as stored, not as verified (see 'secretctl audit "
			  "verify')",
			  ctx->name, (unsigned long long)bad, why.msg);
		rc = CLI_EINTEGRITY;
	}
	return rc;
}

static int run_list(struct cli_ctx *ctx)
{
	return run_read(ctx, false);
}

static int run_export(struct cli_ctx *ctx)
{
	return run_read(ctx, true);
}

static const struct cli_command audit_list_cmd = {
	.name = "list",
	.summary = "the newest entries, oldest first (default: the last 100)",
	.synopsis = "[--limit N] [--since WHEN] [--until WHEN] [--source SRC] [--json]",
	.about = "Print the newest audit entries as a table, oldest first. Stored text is shown "
		 "with\ncontrol bytes escaped. The chain is verified first: on a log that fails, "
		 "the\nentries are shown, then a warning, and the exit status is 4.",
	.opts = list_opts,
	.flags = CLI_UNLOCK | CLI_READONLY,
	.run = run_list,
};

static const struct cli_command audit_verify_cmd = {
	.name = "verify",
	.summary = "check the whole chain; exits 4 naming the first bad entry",
	.about = "Check every entry's HMAC and its link to the one before; exit 4 naming the "
		 "first\nentry that fails.",
	.flags = CLI_UNLOCK | CLI_READONLY,
	.run = run_verify,
};

static const struct cli_command audit_export_cmd = {
	.name = "export",
	.summary = "every entry as JSON (default), JSON lines or CSV",
	.synopsis = "[--format json|jsonl|csv] [--since WHEN] [--until WHEN] [--source SRC]\n"
		    "[-o FILE [--force]]",
	.about =
		"Print every entry (or those --since/--until/--source keep), oldest first, as one "
		"JSON\narray, one JSON object per line, or CSV with a header row (RFC 4180; a "
		"cell that\nstarts with = + - @ gets a leading ' so spreadsheets do not run it). "
		"With -o the\nfile is created 0600 and appears complete or not at all. Text that "
		"is not UTF-8 shows\nits bad bytes as \\xNN, with the exact bytes in a NAME_base64 "
		"member. The chain is\nverified first: on a log that fails, a warning follows and "
		"the exit status is 4.",
	.opts = export_opts,
	.flags = CLI_UNLOCK | CLI_READONLY,
	.run = run_export,
};

static const struct cli_command *const audit_subs[] = {
	&audit_list_cmd, &audit_verify_cmd, &audit_export_cmd, &cli_cmd_audit_prune, NULL,
};

const struct cli_command cli_cmd_audit = {
	.name = "audit",
	.summary = "list, verify, export or prune the audit log",
	.about = "Every read, change, run, MCP call and failed unlock is recorded in an "
		 "HMAC-chained\nlog inside the vault. No secret value is ever recorded. A "
		 "command's entry stands for\nits unlock. list, verify and export open the vault "
		 "read-only and record nothing\nthemselves.",
	.subs = audit_subs,
};
