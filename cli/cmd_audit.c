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

/* cJSON only ever sees audit records, which by contract hold no secret values. */
static cJSON *record_json(const struct audit_record *a)
{
	char ts[32];
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	parse_format_time(a->ts, ts);
	cJSON_AddNumberToObject(o, "seq", (double)a->seq);
	cJSON_AddStringToObject(o, "ts", ts);
	cJSON_AddStringToObject(o, "source", a->source ? a->source : "");
	cJSON_AddStringToObject(o, "action", a->action ? a->action : "");
	cJSON_AddBoolToObject(o, "success", a->success);
	cJSON *keys = cJSON_AddArrayToObject(o, "keys");
	if (!keys) {
		cJSON_Delete(o);
		return NULL;
	}
	char **kv = NULL;
	if (a->keys && strv_split(a->keys, ',', &kv) == 0) {
		for (size_t i = 0; kv[i]; i++)
			cJSON_AddItemToArray(keys, cJSON_CreateString(kv[i]));
	}
	strv_free(kv);
	cJSON_AddItemToObject(o, "command", a->command && a->command[0]
						    ? cJSON_CreateString(a->command)
						    : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "error", a->error && a->error[0] ? cJSON_CreateString(a->error)
								  : cJSON_CreateNull());
	cJSON *detail = a->detail && a->detail[0] ? cJSON_Parse(a->detail) : NULL;
	if (!detail && a->detail && a->detail[0])
		detail = cJSON_CreateString(a->detail);
	cJSON_AddItemToObject(o, "detail", detail ? detail : cJSON_CreateNull());
	return o;
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
		outbuf_printf(o, "%*llu  %-20s  ", seqw, (unsigned long long)a[i].seq, ts);
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
		cJSON *j = record_json(&a[i]);
		char *text = j ? cJSON_PrintUnformatted(j) : NULL;
		cJSON_Delete(j);
		if (!text)
			return -ENOMEM;
		if (!lines && i)
			outbuf_puts(o, ",\n");
		outbuf_puts(o, text);
		if (lines)
			outbuf_puts(o, "\n");
		free(text);
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
		const char *cols[] = { a[i].source, a[i].action, a[i].success ? "true" : "false",
				       a[i].keys, a[i].command, a[i].error, a[i].detail };
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
		cli_error("audit: invalid --%s '%s' (use e.g. 24h, 7d or 2026-01-31T00:00:00Z)",
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
	static const char *const names[] = { [EXPORT_JSON] = "json", [EXPORT_JSONL] = "jsonl",
					     [EXPORT_CSV] = "csv" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(arg, names[i])) {
			format = (enum export_format)i;
			return CLI_OK;
		}
	cli_error("audit export: unknown --format '%s' (use json, jsonl or csv)", arg);
	return CLI_EUSAGE;
}

#define OPT_SINCE CLI_FN(0, "since", "WHEN", opt_since, \
			 "entries newer than a duration (24h, 7d) or an RFC 3339 time")
#define OPT_UNTIL CLI_FN(0, "until", "WHEN", opt_until, \
			 "entries not newer than a duration ago or an RFC 3339 time")
#define OPT_SOURCE CLI_STRING(0, "source", "SRC", &q.source, \
			      "only entries made through SRC (cli or mcp)")

static const struct cli_opt list_opts[] = {
	CLI_FN(0, "limit", "N", opt_limit, "at most the newest N entries (default 100; 0 = all)"),
	OPT_SINCE,
	OPT_UNTIL,
	OPT_SOURCE,
	CLI_FLAG(0, "json", &json, "a JSON array instead of a table"),
	CLI_OPT_END,
};

static const struct cli_opt export_opts[] = {
	CLI_FN('f', "format", "FMT", opt_format, "json (one array, default), jsonl (one object "
						 "per line) or csv"),
	OPT_SINCE,
	OPT_UNTIL,
	OPT_SOURCE,
	CLI_STRING('o', "output", "FILE", &out_path, "write FILE (0600, atomically) instead of "
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

/* list and export: read the records, then print a table or JSON. */
static int run_read(struct cli_ctx *ctx, bool export)
{
	struct reterr err = RETERR_INIT;
	struct audit_record *recs = NULL;
	size_t n = 0;
	if (export)
		q.limit = 0;
	int r = audit_list(ctx->vault, &q, &recs, &n, &err);
	if (r < 0) {
		cli_error("%s: cannot read the log: %s", ctx->name, reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	struct outbuf o;
	struct cli_outfile f = { .fd = -1, .dfd = -1 };
	int rc = out_path ? cli_outfile_open(ctx->name, out_path, force, &f) : CLI_OK;
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
		rc = rc == CLI_OK ? cli_outfile_commit(ctx->name, &f) : (cli_outfile_abort(&f), rc);
out:
	audit_records_free(recs, n);
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
		 "with\ncontrol bytes escaped.",
	.opts = list_opts,
	.flags = CLI_UNLOCK,
	.run = run_list,
};

static const struct cli_command audit_verify_cmd = {
	.name = "verify",
	.summary = "check the whole chain; exits 4 naming the first bad entry",
	.about = "Check every entry's HMAC and its link to the one before; exit 4 naming the "
		 "first\nentry that fails.",
	.flags = CLI_UNLOCK,
	.run = run_verify,
};

static const struct cli_command audit_export_cmd = {
	.name = "export",
	.summary = "every entry as JSON (default), JSON lines or CSV",
	.synopsis = "[--format json|jsonl|csv] [--since WHEN] [--until WHEN] [--source SRC]\n"
		    "[-o FILE [--force]]",
	.about = "Print every entry (or those --since/--until/--source keep), oldest first, as one "
		 "JSON\narray, one JSON object per line, or CSV with a header row (RFC 4180; a "
		 "cell that\nstarts with = + - @ gets a leading ' so spreadsheets do not run it). "
		 "With -o the\nfile is created 0600 and appears complete or not at all.",
	.opts = export_opts,
	.flags = CLI_UNLOCK,
	.run = run_export,
};

static const struct cli_command *const audit_subs[] = {
	&audit_list_cmd, &audit_verify_cmd, &audit_export_cmd, &cli_cmd_audit_prune, NULL,
};

const struct cli_command cli_cmd_audit = {
	.name = "audit",
	.summary = "list, verify, export or prune the audit log",
	.about = "Every unlock, read, change, run and MCP call is recorded in an HMAC-chained "
		 "log\ninside the vault. No secret value is ever recorded. Each command that "
		 "unlocks the\nvault is itself recorded (vault.unlock).",
	.subs = audit_subs,
};
