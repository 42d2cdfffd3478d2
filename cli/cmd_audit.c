/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl audit list|verify|export` reads and checks the HMAC-chained audit log. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

#define AUDIT_LIST_DEFAULT_LIMIT 100

static const char usage_text[] =
	"usage: secretctl audit list [--limit N] [--since WHEN] [--source SRC] [--json]\n"
	"       secretctl audit verify\n"
	"       secretctl audit export [--format json|jsonl] [--since WHEN] [--source SRC]\n"
	"\n"
	"Every unlock, read, change, run and MCP call is recorded in an HMAC-chained log\n"
	"inside the vault. No secret value is ever recorded.\n"
	"\n"
	"  list     the newest entries, oldest first (default: the last 100)\n"
	"  verify   check the whole chain; exits 4 naming the first bad entry\n"
	"  export   every entry as one JSON array (json, default) or JSON lines (jsonl)\n"
	"\n"
	"  --limit N          at most the newest N entries (0 = all)\n"
	"  --since WHEN       entries newer than a duration (24h, 7d) or an RFC 3339 time\n"
	"  --source SRC       only entries made through SRC (cli or mcp)\n"
	"  --json             (list) a JSON array instead of a table\n"
	"  --format FMT       (export) json or jsonl\n"
	"  --password-stdin   read the master password from the first line of stdin\n"
	"  -h, --help         show this help\n"
	"\n"
	"Each command that unlocks the vault is itself recorded (vault.unlock).\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

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

enum audit_sub { AUDIT_LIST, AUDIT_VERIFY, AUDIT_EXPORT };

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "source", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum audit_sub sub;

	if (argc < 2) {
		usage(stderr);
		return CLI_EUSAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "list"))
		sub = AUDIT_LIST;
	else if (!strcmp(argv[1], "verify"))
		sub = AUDIT_VERIFY;
	else if (!strcmp(argv[1], "export"))
		sub = AUDIT_EXPORT;
	else {
		cli_error("audit: unknown subcommand '%s' (use list, verify or export)", argv[1]);
		return CLI_EUSAGE;
	}

	struct audit_query q = { .limit = sub == AUDIT_LIST ? AUDIT_LIST_DEFAULT_LIMIT : 0 };
	bool json = false, jsonl = false, password_stdin = false;
	int c, idx = 0;
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		if (c != 'h' && c != 'P' && c != '?' && (sub == AUDIT_VERIFY ||
		    (sub == AUDIT_EXPORT && (c == 'n' || c == 'j')) ||
		    (sub == AUDIT_LIST && c == 'f'))) {
			cli_error("audit %s: option --%s does not apply here", argv[0],
				  opts[idx].name);
			return CLI_EUSAGE;
		}
		switch (c) {
		case 'n':
			if (parse_u64(optarg, 0, UINT32_MAX, &q.limit) < 0) {
				cli_error("audit list: invalid --limit '%s' (a number, 0 = all)",
					  optarg);
				return CLI_EUSAGE;
			}
			break;
		case 's':
			if (cli_parse_since(optarg, &q.since) < 0) {
				cli_error("audit %s: invalid --since '%s' (use e.g. 24h, 7d or "
					  "2026-01-31T00:00:00Z)", argv[0], optarg);
				return CLI_EUSAGE;
			}
			break;
		case 'S':
			q.source = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'f':
			if (!strcmp(optarg, "jsonl")) {
				jsonl = true;
			} else if (strcmp(optarg, "json")) {
				cli_error("audit export: unknown --format '%s' (use json or jsonl)",
					  optarg);
				return CLI_EUSAGE;
			}
			break;
		case 'P':
			password_stdin = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_EUSAGE;
		}
	}
	if (optind != argc) {
		cli_error("audit %s: unexpected argument '%s'", argv[0], argv[optind]);
		return CLI_EUSAGE;
	}

	cli_harden();
	struct vault *v = NULL;
	int rc = cli_vault_unlock(password_stdin, &v);
	if (rc != CLI_OK)
		return rc;

	struct reterr err = { .msg = "" };
	int r;
	if (sub == AUDIT_VERIFY) {
		uint64_t count = 0, bad = 0;
		r = audit_verify(v, &count, &bad, &err);
		vault_free(v);
		if (r == -EBADMSG) {
			cli_error("audit log FAILED at entry %llu: %s", (unsigned long long)bad,
				  err.msg[0] ? err.msg : "the chain is broken");
			return CLI_EINTEGRITY;
		}
		if (r < 0) {
			cli_error("audit verify: %s", err.msg[0] ? err.msg : strerror(-r));
			return cli_exit_from_errno(r);
		}
		printf("audit log OK: %llu entries verified\n", (unsigned long long)count);
		return CLI_OK;
	}

	struct audit_record *recs = NULL;
	size_t n = 0;
	r = audit_list(v, &q, &recs, &n, &err);
	vault_free(v);
	if (r < 0) {
		cli_error("audit %s: cannot read the log: %s", argv[0],
			  err.msg[0] ? err.msg : strerror(-r));
		return cli_exit_from_errno(r);
	}
	struct outbuf o;
	outbuf_init_fd(&o, STDOUT_FILENO);
	rc = CLI_OK;
	if (sub == AUDIT_LIST && !json)
		print_table(&o, recs, n);
	else if (print_json(&o, recs, n, sub == AUDIT_EXPORT && jsonl) < 0)
		rc = CLI_EIO;
	if (rc != CLI_OK)
		cli_error("audit %s: out of memory", argv[0]);
	r = outbuf_finish(&o);
	if (r < 0 && r != -EPIPE && rc == CLI_OK) {
		cli_error("audit %s: cannot write the output: %s", argv[0], strerror(-r));
		rc = CLI_EIO;
	}
	audit_records_free(recs, n);
	return rc;
}
