/* SPDX-License-Identifier: Apache-2.0 */
/* cli: error reporting, errno -> exit code mapping, and the output helpers shared by the vault
 * commands (a stack-buffered writer for secret bytes, JSON escaping, masking, --since). */
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
	case EINVAL: case E2BIG: case EEXIST: case ENAMETOOLONG: return CLI_EUSAGE;
	case ENOENT: return CLI_ENOTFOUND;
	case EACCES: case EPERM: case EAGAIN: return CLI_EAUTH;
	case EBADMSG: return CLI_EINTEGRITY;
	default: return CLI_EIO;
	}
}

/* ---- stack-buffered writer ---------------------------------------------------------------- */

void cli_out_init(struct cli_out *o, int fd)
{
	o->fd = fd;
	o->err = 0;
	o->len = 0;
}

static void out_flush(struct cli_out *o)
{
	if (o->len && !o->err)
		o->err = fd_write_all(o->fd, o->buf, o->len);
	sodium_memzero(o->buf, o->len);
	o->len = 0;
}

void cli_out_write(struct cli_out *o, const void *p, size_t n)
{
	const unsigned char *s = p;
	while (n > 0) {
		if (o->len == sizeof(o->buf))
			out_flush(o);
		size_t k = sizeof(o->buf) - o->len;
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void cli_out_puts(struct cli_out *o, const char *s)
{
	cli_out_write(o, s, strlen(s));
}

void cli_out_printf(struct cli_out *o, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (!o->err)
			o->err = -EINVAL;
		return;
	}
	size_t len = (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1;
	cli_out_write(o, tmp, len);
	sodium_memzero(tmp, sizeof(tmp));
}

void cli_out_json_str(struct cli_out *o, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	cli_out_write(o, "\"", 1);
	size_t run = 0; /* bytes copied as they are, written in one go */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		char esc[6];
		size_t elen = 0;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 2);
			elen = 2;
		} else if (c == '\t') {
			memcpy(esc, "\\t", 2);
			elen = 2;
		} else if (c == '\r') {
			memcpy(esc, "\\r", 2);
			elen = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (!elen) {
			run++;
			continue;
		}
		cli_out_write(o, s + i - run, run);
		run = 0;
		cli_out_write(o, esc, elen);
	}
	cli_out_write(o, s + n - run, run);
	cli_out_write(o, "\"", 1);
}

void cli_out_json_cstr(struct cli_out *o, const char *s)
{
	if (!s)
		cli_out_puts(o, "null");
	else
		cli_out_json_str(o, s, strlen(s));
}

void cli_out_escaped(struct cli_out *o, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			cli_out_write(o, &c, 1);
		} else {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			cli_out_write(o, esc, sizeof(esc));
		}
	}
}

void cli_out_masked(struct cli_out *o, const void *p, size_t n)
{
	const unsigned char *s = p;
	cli_out_puts(o, "********");
	if (n < CLI_MASK_REVEAL_MIN)
		return;
	for (size_t i = n - 4; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return;
	}
	cli_out_write(o, s + n - 4, 4);
}

int cli_out_finish(struct cli_out *o)
{
	out_flush(o);
	sodium_memzero(o->buf, sizeof(o->buf));
	return o->err;
}

/* ---- text --------------------------------------------------------------------------------- */

bool cli_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t need;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1fu, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0fu, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07u, min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

size_t cli_utf8_chars(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += (s[i] & 0xc0) != 0x80;
	return chars;
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
