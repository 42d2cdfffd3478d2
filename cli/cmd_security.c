/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl security` shows the vault's health score, the one MCP security_score gives
 * (broker/score.c), and `security duplicates|weak|expiring` list every secret at fault. Values
 * are decrypted in the broker, measured and wiped; only key names come out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "cli/cli-internal.h"
#include "cli/cli.h"

#define DAYS_DEFAULT 30
#define DAYS_MAX 36500

static struct {
	bool json, verbose;
	const char *days;
	int64_t window;
} o;

static int opt_days(const char *arg)
{
	uint64_t d;
	if (parse_u64(arg, 0, DAYS_MAX, &d) < 0) {
		cli_error("security: --days must be a number of days from 0 to %d", DAYS_MAX);
		return CLI_EUSAGE;
	}
	o.days = arg;
	o.window = (int64_t)d * 86400;
	return CLI_OK;
}

static const struct cli_opt score_opts[] = {
	CLI_FLAG(0, "json", &o.json, "the score as MCP security_score returns it, with every key"),
	CLI_FLAG('v', "verbose", &o.verbose, "list every secret at fault"),
	CLI_FN(0, "days", "N", opt_days, "\"expiring soon\" means within N days (default 30)"),
	CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
	CLI_FLAG(0, "json", &o.json, "a JSON object"),
	CLI_OPT_END,
};
static const struct cli_opt expiring_opts[] = {
	CLI_FN(0, "days", "N", opt_days, "within N days (default 30); expired ones included"),
	CLI_FLAG(0, "json", &o.json, "a JSON array of {key, expires_at, expired}"),
	CLI_OPT_END,
};

static int64_t window(void)
{
	return o.days ? o.window : (int64_t)DAYS_DEFAULT * 86400;
}

static int score(struct vault *v, struct broker_score *sc)
{
	struct reterr err = RETERR_INIT;
	int r = broker_security_score_within(v, window(), sc, &err);
	if (r < 0) {
		cli_error("security: cannot score the vault: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	char detail[96];
	snprintf(detail, sizeof(detail), "{\"score\":%u,\"total\":%zu}", sc->score, sc->total);
	struct audit_event ev = { .action = "security.score", .success = true, .detail = detail };
	if ((r = audit_append(v, &ev, &err)) < 0) {
		broker_score_release(sc);
		cli_error("security: cannot record the audit entry: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	return CLI_OK;
}

static void key_lines(struct outbuf *out, const char *title, char *const *keys)
{
	if (!keys)
		return;
	outbuf_printf(out, "%s:\n", title);
	for (size_t i = 0; keys[i]; i++)
		outbuf_printf(out, "  %s\n", keys[i]);
}

static void verbose(struct outbuf *out, const struct broker_score *sc)
{
	char soon[64];
	snprintf(soon, sizeof(soon), "expiring within %lld days", (long long)(window() / 86400));
	key_lines(out, "weak", sc->weak);
	if (sc->nduplicates)
		outbuf_puts(out, "duplicates (secrets sharing a value):\n");
	for (size_t g = 0; g < sc->nduplicates; g++) {
		AUTO_FREE char *joined = strv_join(sc->duplicates[g], ", ");
		outbuf_printf(out, "  %s\n", joined ? joined : "?");
	}
	key_lines(out, "expired", sc->expired);
	key_lines(out, soon, sc->expiring_soon);
	key_lines(out, "no expiry", sc->no_expiry);
}

static void text(struct outbuf *out, const struct broker_score *sc)
{
	bool color = cli_use_color(STDOUT_FILENO);
	const char *c = !color		  ? ""
			: sc->score >= 80 ? "\033[32m"
			: sc->score >= 50 ? "\033[33m"
					  : "\033[31m";
	long long days = (long long)(window() / 86400);
	outbuf_printf(out, "security score: %s%u/100%s\n", c, sc->score, color ? "\033[0m" : "");
	outbuf_printf(out,
		      "  strength    %3u  values long and varied (40%% of the score)\n"
		      "  uniqueness  %3u  no value shared with another secret (30%%)\n"
		      "  expiry      %3u  neither expired nor expiring within %lld days (20%%)\n"
		      "  coverage    %3u  with an expiry date (10%%)\n",
		      sc->strength, sc->uniqueness, sc->expiry, days, sc->coverage);
	outbuf_printf(out,
		      "%zu secret%s: %zu weak, %zu group%s of duplicates, %zu expired, %zu "
		      "expiring within %lld days, %zu without expiry\n",
		      sc->total, sc->total == 1 ? "" : "s", strv_len(sc->weak), sc->nduplicates,
		      sc->nduplicates == 1 ? "" : "s", strv_len(sc->expired),
		      strv_len(sc->expiring_soon), days, strv_len(sc->no_expiry));
	if (o.verbose)
		verbose(out, sc);
	else if (sc->weak || sc->nduplicates || sc->expired || sc->expiring_soon)
		outbuf_puts(out, "the keys: 'secretctl security weak|duplicates|expiring' or -v\n");
}

static int finish(struct outbuf *out)
{
	int w = outbuf_finish(out);
	if (w < 0 && w != -EPIPE) {
		cli_error("security: cannot write the output: %s", strerror(-w));
		return CLI_EIO;
	}
	return CLI_OK;
}

static int run_score(struct cli_ctx *ctx)
{
	struct broker_score sc;
	struct outbuf out;
	int rc = score(ctx->vault, &sc);
	if (rc != CLI_OK)
		return rc;
	outbuf_init_fd(&out, STDOUT_FILENO);
	if (o.json) {
		broker_render_score(&out, &sc, true);
		outbuf_puts(&out, "\n");
	} else {
		text(&out, &sc);
	}
	broker_score_release(&sc);
	return finish(&out);
}

static int run_weak(struct cli_ctx *ctx)
{
	struct broker_score sc;
	struct outbuf out;
	int rc = score(ctx->vault, &sc);
	if (rc != CLI_OK)
		return rc;
	outbuf_init_fd(&out, STDOUT_FILENO);
	if (o.json) {
		outbuf_puts(&out, "{\"weak\":");
		outbuf_json_strv(&out, sc.weak);
		outbuf_puts(&out, "}\n");
	}
	for (size_t i = 0; !o.json && sc.weak && sc.weak[i]; i++)
		outbuf_printf(&out, "%s\n", sc.weak[i]);
	broker_score_release(&sc);
	return finish(&out);
}

static int run_duplicates(struct cli_ctx *ctx)
{
	struct broker_score sc;
	struct outbuf out;
	int rc = score(ctx->vault, &sc);
	if (rc != CLI_OK)
		return rc;
	outbuf_init_fd(&out, STDOUT_FILENO);
	outbuf_puts(&out, o.json ? "{\"duplicates\":[" : "");
	for (size_t g = 0; g < sc.nduplicates; g++) {
		if (o.json) {
			outbuf_puts(&out, g ? "," : "");
			outbuf_json_strv(&out, sc.duplicates[g]);
			continue;
		}
		AUTO_FREE char *joined = strv_join(sc.duplicates[g], " ");
		outbuf_printf(&out, "%s\n", joined ? joined : "?");
	}
	outbuf_puts(&out, o.json ? "]}\n" : "");
	broker_score_release(&sc);
	return finish(&out);
}

/* From metadata alone: no value is decrypted. */
static int run_expiring(struct cli_ctx *ctx)
{
	struct vault_meta *m = NULL;
	size_t n = 0;
	struct reterr err = RETERR_INIT;
	int r = vault_list(ctx->vault, NULL, 0, &m, &n, &err);
	if (r < 0) {
		cli_error("security: cannot list the secrets: %s", reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	int64_t now = clock_now();
	struct outbuf out;
	const char *sep = "";
	outbuf_init_fd(&out, STDOUT_FILENO);
	outbuf_puts(&out, o.json ? "[" : "");
	for (size_t i = 0; i < n; i++) {
		char ts[32];
		if (!m[i].expires_at || m[i].expires_at > now + window())
			continue;
		bool past = m[i].expires_at <= now;
		parse_format_time(m[i].expires_at, ts);
		if (o.json) {
			outbuf_printf(&out, "%s{\"key\":", sep);
			outbuf_json_cstr(&out, m[i].key);
			outbuf_printf(&out, ",\"expires_at\":\"%s\",\"expired\":%s}", ts,
				      past ? "true" : "false");
			sep = ",";
		} else {
			int64_t d = (past ? now - m[i].expires_at : m[i].expires_at - now) / 86400;
			outbuf_printf(&out, "%s  %s  (%s %lld day%s%s)\n", m[i].key, ts,
				      past ? "expired" : "in", (long long)d, d == 1 ? "" : "s",
				      past ? " ago" : "");
		}
	}
	outbuf_puts(&out, o.json ? "]\n" : "");
	vault_meta_array_free(m, n);
	return finish(&out);
}

static void cleanup(void)
{
	memset(&o, 0, sizeof(o));
}

static const char exit_notes[] =
	"Exit status: 0 shown (whatever the score), 1 bad usage, 2 no vault, 3 password problem,\n"
	"4 integrity failure, 5 I/O error.";

static const struct cli_command cmd_duplicates = {
	.name = "duplicates",
	.summary = "list the groups of secrets that share a value",
	.synopsis = "[--json] [--password-stdin]",
	.about = "Print each group of secrets whose values (or sensitive fields) are equal, one "
		 "group per\nline. Values are compared by keyed hash in locked memory.",
	.notes = exit_notes,
	.opts = list_opts,
	.flags = CLI_UNLOCK,
	.max_args = 0,
	.run = run_duplicates,
	.cleanup = cleanup,
};
static const struct cli_command cmd_weak = {
	.name = "weak",
	.summary = "list the secrets with a weak value",
	.synopsis = "[--json] [--password-stdin]",
	.about = "Print every secret whose value or a sensitive field is shorter than 12 bytes or "
		 "below\n64 bits by a character-class estimate.",
	.notes = exit_notes,
	.opts = list_opts,
	.flags = CLI_UNLOCK,
	.max_args = 0,
	.run = run_weak,
	.cleanup = cleanup,
};
static const struct cli_command cmd_expiring = {
	.name = "expiring",
	.summary = "list the secrets expired or expiring within N days",
	.synopsis = "[--days N] [--json] [--password-stdin]",
	.about = "Print every secret that has expired or expires within --days (30), with its "
		 "expiry\ntime. Nothing is decrypted.",
	.notes = exit_notes,
	.opts = expiring_opts,
	.flags = CLI_UNLOCK,
	.max_args = 0,
	.run = run_expiring,
	.cleanup = cleanup,
};
static const struct cli_command *const subs[] = { &cmd_duplicates, &cmd_weak, &cmd_expiring, NULL };

const struct cli_command cli_cmd_security = {
	.name = "security",
	.summary = "the vault's security score and the secrets at fault",
	.synopsis = "[--json] [-v] [--days N] [--password-stdin]",
	.about = "Score the vault 0..100 as the MCP tool security_score does: 40% strength "
		 "(values long\nand varied), 30% uniqueness (no value shared), 20% expiry (none "
		 "expired or expiring\nwithin --days), 10% coverage (an expiry date set). Every "
		 "value is decrypted in locked\nmemory, measured and wiped; only key names are "
		 "shown. Audited (security.score).",
	.notes = exit_notes,
	.opts = score_opts,
	.flags = CLI_UNLOCK,
	.max_args = 0,
	.args_hint = "unknown subcommand (use duplicates, weak or expiring)",
	.run = run_score,
	.cleanup = cleanup,
	.subs = subs,
};
