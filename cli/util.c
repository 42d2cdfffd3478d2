/* SPDX-License-Identifier: Apache-2.0 */
/* cli: error reporting, errno -> exit code mapping, and the output helpers shared by the vault
 * commands (masking, --since, the KDF options). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static void vreport(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "secretctl: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int cli_exit_from_errno(int r)
{
	switch (-r) {
	case 0: return CLI_OK;
	case EINVAL: case E2BIG: case EEXIST: case ENAMETOOLONG: case EKEYEXPIRED: case ELOOP:
		return CLI_EUSAGE;
	case ENOENT: return CLI_ENOTFOUND;
	case EACCES: case EPERM: case EAGAIN: case EKEYREJECTED: return CLI_EAUTH;
	case EBADMSG: return CLI_EINTEGRITY;
	default: return CLI_EIO;
	}
}

void cli_out_masked(struct outbuf *o, const void *p, size_t n)
{
	const unsigned char *s = p;
	outbuf_puts(o, "********");
	if (n < CLI_MASK_REVEAL_MIN)
		return;
	for (size_t i = n - 4; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return;
	}
	outbuf_write(o, s + n - 4, 4);
}

int cli_parse_since(const char *s, int64_t *ret_ts)
{
	int64_t ms, ts;
	if (parse_time(s, &ts) == 0) {
		*ret_ts = ts;
		return 0;
	}
	if (parse_duration_ms(s, false, &ms) < 0 || ms <= 0)
		return -EINVAL;
	*ret_ts = clock_now() - ms / 1000;
	return 0;
}

int cli_parse_kdf_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *f),
		       enum vault_kdf *ret_kdf, bool *ret_password_stdin)
{
	static const struct option opts[] = {
		{ "kdf", required_argument, NULL, 'k' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum vault_kdf kdf = VAULT_KDF_MODERATE;
	bool password_stdin = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (vault_kdf_parse(optarg, &kdf) < 0) {
				cli_error("%s: unknown --kdf '%s' (use interactive, moderate, "
					  "sensitive or test)", cmd, optarg);
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
		cli_error("%s: unexpected argument '%s'", cmd, argv[optind]);
		usage(stderr);
		return CLI_EUSAGE;
	}
	*ret_kdf = kdf;
	*ret_password_stdin = password_stdin;
	return -1;
}
