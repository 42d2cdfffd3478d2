/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl list` prints secret names and metadata, filtered by glob, tag or expiry.
 * Values are never decrypted here. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: secretctl list [PATTERN] [--tag TAG] [--expiring DURATION] [--long] [--json]\n"
	"                      [--password-stdin]\n"
	"\n"
	"Print the names of the secrets, one per line, sorted. Values are never shown.\n"
	"\n"
	"  PATTERN              only keys matching the glob ('*' stays within one '/' level)\n"
	"  --tag TAG            only secrets carrying TAG\n"
	"  --expiring DURATION  only secrets that expire within DURATION (7d, 12h, ...),\n"
	"                       already expired ones included\n"
	"  -l, --long           a table: key, value size, fields, updated, expires, tags\n"
	"  --json               a JSON array of metadata objects\n"
	"  --password-stdin     read the master password from the first line of stdin\n"
	"  -h, --help           show this help\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static bool has_tag(const struct vault_meta *m, const char *tag)
{
	for (size_t i = 0; m->tags && m->tags[i]; i++) {
		if (!strcmp(m->tags[i], tag))
			return true;
	}
	return false;
}

/* One table row; columns padded for reading (scripts use --json). Keys never need escaping
 * (vault_key_check allows only [A-Za-z0-9._/-]); tags come last as they vary most. */
static void print_long(struct outbuf *o, const struct vault_meta *m, int64_t now, int keyw)
{
	char upd[32], ts[32], exp[48], size[32];
	parse_format_time(m->updated_at, upd);
	if (!m->expires_at) {
		snprintf(exp, sizeof(exp), "never");
	} else {
		parse_format_time(m->expires_at, ts);
		snprintf(exp, sizeof(exp), "%s%s", ts, m->expires_at <= now ? " (expired)" : "");
	}
	if (m->has_value)
		snprintf(size, sizeof(size), "%zu", m->value_len);
	else
		snprintf(size, sizeof(size), "-");
	AUTO_FREE char *tags = strv_join(m->tags, ",");
	outbuf_printf(o, "%-*s  %7s  %6zu  %-20s  %-20s  ", keyw, m->key, size, m->nfields, upd,
		       exp);
	if (tags && tags[0])
		outbuf_escaped(o, tags, strlen(tags));
	else
		outbuf_puts(o, "-");
	outbuf_puts(o, "\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "expiring", required_argument, NULL, 'e' },
		{ "long", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tag = NULL, *pattern = NULL;
	bool json = false, long_fmt = false, password_stdin = false, expiring = false;
	int64_t expiring_ms = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "hl", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tag = optarg;
			break;
		case 'e':
			if (parse_duration_ms(optarg, false, &expiring_ms) < 0 || expiring_ms < 0) {
				cli_error("list: invalid --expiring '%s' (use e.g. 7d, 12h)",
					  optarg);
				return CLI_EUSAGE;
			}
			expiring = true;
			break;
		case 'l':
			long_fmt = true;
			break;
		case 'j':
			json = true;
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
	if (argc - optind > 1) {
		cli_error("list: at most one PATTERN (quote it so the shell does not expand it)");
		return CLI_EUSAGE;
	}
	if (optind < argc)
		pattern = argv[optind];

	cli_harden();
	struct vault *v = NULL;
	int rc = cli_vault_unlock(password_stdin, &v);
	if (rc != CLI_OK)
		return rc;

	struct reterr err = { .msg = "" };
	struct vault_meta *metas = NULL;
	size_t n = 0;
	int r = vault_list(v, pattern, 0, &metas, &n, &err);
	if (r < 0) {
		cli_error("list: cannot list the secrets: %s", err.msg[0] ? err.msg : strerror(-r));
		vault_free(v);
		return cli_exit_from_errno(r);
	}

	int64_t now = clock_now();
	struct outbuf o;
	outbuf_init_fd(&o, STDOUT_FILENO);
	rc = CLI_OK;
	/* Filter once, so the table can size its key column. */
	int keyw = 3;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vault_meta *m = &metas[i];
		if ((tag && !has_tag(m, tag)) ||
		    (expiring && (!m->expires_at || m->expires_at > now + expiring_ms / 1000)))
			continue;
		if (kept != i) {
			struct vault_meta tmp = metas[kept];
			metas[kept] = metas[i];
			metas[i] = tmp;
		}
		size_t kl = strlen(metas[kept].key);
		if (kl > (size_t)keyw)
			keyw = kl > VAULT_KEY_MAX ? VAULT_KEY_MAX : (int)kl;
		kept++;
	}
	if (long_fmt && !json)
		outbuf_printf(&o, "%-*s  %7s  %6s  %-20s  %-20s  %s\n", keyw, "KEY", "SIZE",
			       "FIELDS", "UPDATED", "EXPIRES", "TAGS");
	if (json)
		outbuf_puts(&o, "[");
	for (size_t i = 0; i < kept; i++) {
		const struct vault_meta *m = &metas[i];
		if (json) {
			if (i)
				outbuf_puts(&o, ",");
			broker_render_meta(&o, m, NULL);
		} else if (long_fmt) {
			print_long(&o, m, now, keyw);
		} else {
			outbuf_escaped(&o, m->key, strlen(m->key));
			outbuf_puts(&o, "\n");
		}
	}
	if (json)
		outbuf_puts(&o, "]\n");
	r = outbuf_finish(&o);
	if (r < 0 && r != -EPIPE && rc == CLI_OK) {
		cli_error("list: cannot write the output: %s", strerror(-r));
		rc = CLI_EIO;
	}
	vault_meta_array_free(metas, n);
	vault_free(v);
	return rc;
}
