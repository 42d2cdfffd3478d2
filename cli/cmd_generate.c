/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl generate` makes random passwords: uniform over every password of the length
 * that holds at least one character of each enabled class (rejection sampling with
 * randombytes_uniform, which has no modulo bias), built in locked memory; --copy puts the first
 * on the clipboard (cli/clipboard.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

#define GEN_LENGTH_MIN 8
#define GEN_LENGTH_MAX 256
#define GEN_LENGTH_DEFAULT 24
#define GEN_COUNT_MAX 100
/* Draws before falling back to placing one character of each class and shuffling: reached
 * only when --exclude leaves a class almost empty (a class of 1 character in 88 at length 8
 * still succeeds 8.7% of the time: 10 000 tries fail with probability below 1e-390). */
#define GEN_TRIES 10000

enum { LOWER, UPPER, DIGIT, SYMBOL, NCLASS };
static const char *const class_chars[NCLASS] = {
	"abcdefghijklmnopqrstuvwxyz",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"0123456789",
	"!@#$%^&*()_+-=[]{}|;:,.<>?",
};

static struct {
	const char *length, *count, *exclude;
	bool no[NCLASS], copy;
} o;

static const struct cli_opt opts[] = {
	CLI_STRING('l', "length", "N", &o.length, "characters per password, 8..256 (default 24)"),
	CLI_STRING('n', "count", "N", &o.count, "number of passwords, 1..100 (default 1)"),
	CLI_FLAG(0, "no-uppercase", &o.no[UPPER], "no A-Z"),
	CLI_FLAG(0, "no-lowercase", &o.no[LOWER], "no a-z"),
	CLI_FLAG(0, "no-numbers", &o.no[DIGIT], "no 0-9"),
	CLI_FLAG(0, "no-symbols", &o.no[SYMBOL], "no !@#$%^&*()_+-=[]{}|;:,.<>?"),
	CLI_STRING(0, "exclude", "CHARS", &o.exclude,
		   "never use these characters (e.g. \"0O1lI\")"),
	CLI_FLAG('c', "copy", &o.copy,
		 "also copy the first password to the clipboard (cleared "
		 "after\n30 s if it still holds it)"),
	CLI_OPT_END,
};

/* The characters of each enabled class, less the excluded ones. */
struct charset {
	char cls[NCLASS][32];
	unsigned len[NCLASS];
	char all[128];
	unsigned nall, nclass;
	size_t length, count;
};

static int build(struct charset *cs)
{
	memset(cs, 0, sizeof(*cs));
	for (int c = 0; c < NCLASS; c++) {
		if (o.no[c])
			continue;
		for (const char *p = class_chars[c]; *p; p++) {
			if (o.exclude && strchr(o.exclude, *p))
				continue;
			cs->cls[c][cs->len[c]++] = *p;
			cs->all[cs->nall++] = *p;
		}
		cs->nclass += cs->len[c] > 0;
	}
	if (cs->nall == 0) {
		cli_error("generate: the character set is empty: every class is turned off or "
			  "excluded (drop a --no-* option or shorten --exclude)");
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	uint64_t len = GEN_LENGTH_DEFAULT, count = 1;
	if (o.length && parse_u64(o.length, GEN_LENGTH_MIN, GEN_LENGTH_MAX, &len) < 0) {
		cli_error("generate: --length must be a number from %d to %d", GEN_LENGTH_MIN,
			  GEN_LENGTH_MAX);
		return CLI_EUSAGE;
	}
	if (o.count && parse_u64(o.count, 1, GEN_COUNT_MAX, &count) < 0) {
		cli_error("generate: --count must be a number from 1 to %d", GEN_COUNT_MAX);
		return CLI_EUSAGE;
	}
	for (const char *p = o.exclude; p && *p; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			cli_error("generate: --exclude takes printable ASCII characters");
			return CLI_EUSAGE;
		}
	}
	return CLI_OK;
}

static bool has_every_class(const struct charset *cs, const unsigned char *p, size_t n)
{
	for (int c = 0; c < NCLASS; c++) {
		if (!cs->len[c])
			continue;
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = memchr(cs->cls[c], p[i], cs->len[c]) != NULL;
		if (!found)
			return false;
	}
	return true;
}

/* One password into p[0..n): uniform draws from the whole set until every enabled class is
 * present. The fallback places one of each class, fills the rest and shuffles (Fisher-Yates). */
static void one(const struct charset *cs, unsigned char *p, size_t n)
{
	for (int t = 0; t < GEN_TRIES; t++) {
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)cs->all[randombytes_uniform(cs->nall)];
		if (has_every_class(cs, p, n))
			return;
	}
	size_t k = 0;
	for (int c = 0; c < NCLASS; c++)
		if (cs->len[c])
			p[k++] = (unsigned char)cs->cls[c][randombytes_uniform(cs->len[c])];
	for (; k < n; k++)
		p[k] = (unsigned char)cs->all[randombytes_uniform(cs->nall)];
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = randombytes_uniform((uint32_t)i + 1);
		unsigned char t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
}

static int run(struct cli_ctx *ctx)
{
	(void)ctx;
	struct charset cs;
	uint64_t len = GEN_LENGTH_DEFAULT, count = 1;
	int rc = build(&cs);
	if (rc != CLI_OK)
		return rc;
	if (o.length)
		(void)parse_u64(o.length, GEN_LENGTH_MIN, GEN_LENGTH_MAX, &len);
	if (o.count)
		(void)parse_u64(o.count, 1, GEN_COUNT_MAX, &count);
	/* All passwords in one locked buffer, each followed by its newline. */
	AUTO_SECRET struct secret *buf = secret_new((size_t)((len + 1) * count));
	if (!buf) {
		cli_error("generate: out of secure memory");
		return CLI_EIO;
	}
	for (uint64_t i = 0; i < count; i++) {
		one(&cs, buf->data + i * (len + 1), (size_t)len);
		buf->data[i * (len + 1) + len] = '\n';
	}
	buf->len = (size_t)((len + 1) * count);
	int r = fd_write_all(STDOUT_FILENO, buf->data, buf->len);
	if (r < 0 && r != -EPIPE) {
		cli_error("generate: cannot write the output: %s", strerror(-r));
		return CLI_EIO;
	}
	return o.copy ? cli_clipboard_copy("generate", buf->data, (size_t)len) : CLI_OK;
}

static void cleanup(void)
{
	memset(&o, 0, sizeof(o));
}

const struct cli_command cli_cmd_generate = {
	.name = "generate",
	.summary = "generate random passwords",
	.synopsis = "[-l 8..256] [-n 1..100] [--no-uppercase] [--no-lowercase] [--no-numbers]\n"
		    "[--no-symbols] [--exclude CHARS] [-c|--copy]",
	.about =
		"Print random passwords, one per line: uniform over every password of the "
		"length that\nholds at least one character of each enabled class (a-z, A-Z, 0-9, "
		"symbols), drawn\nwith libsodium's randombytes_uniform. --exclude drops characters "
		"(a class it\nempties is turned off). No vault is needed.",
	.notes = "Exit status: 0 done, 1 bad usage (a length or count out of range, an empty "
		 "character set)\nor --copy without a clipboard tool (the passwords are printed "
		 "first).\nEnvironment: SECRETCTL_CLIPBOARD_SECONDS (default 30) delays the "
		 "clearing after --copy.",
	.opts = opts,
	.flags = CLI_HARDEN,
	.max_args = 0,
	.args_hint = "generate takes no operand (see 'secretctl generate --help')",
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
