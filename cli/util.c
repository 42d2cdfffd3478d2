/* SPDX-License-Identifier: Apache-2.0 */
/* cli: error reporting, errno -> exit code mapping, and the output helpers shared by the vault
 * commands (masking, --since, the KDF options). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

/* One write(2) per message: two processes reporting on one terminal do not interleave. */
static void vreport(const char *kind, const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "secretctl: %s", kind);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2) {
		len = sizeof(line) - 2;
		memcpy(line + len - 3, "...", 3);
	}
	line[len++] = '\n';
	(void)fd_write_all(STDERR_FILENO, line, len);
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
	case EINVAL:
	case E2BIG:
	case EEXIST:
	case ENAMETOOLONG:
	case EKEYEXPIRED: return CLI_EUSAGE;
	case ENOENT: return CLI_ENOTFOUND;
	case EAGAIN:
	case EKEYREJECTED:
	case ENOKEY: return CLI_EAUTH;
	/* Permissions, ownership, modes and symlinks: something the user fixes on the files,
	 * never a wrong password (3). */
	case EACCES:
	case EPERM:
	case ELOOP: return CLI_EACCESS;
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

bool cli_use_color(int fd)
{
	const char *nc = secure_getenv("NO_COLOR");
	const char *term = secure_getenv("TERM");
	return isatty(fd) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

int cli_out_json_value(struct outbuf *o, const unsigned char *p, size_t n, bool masked)
{
	if (masked) {
		outbuf_puts(o, "\"value\":\"");
		cli_out_masked(o, p, n);
		outbuf_puts(o, "\"");
		return 0;
	}
	if (utf8_valid(p, n)) {
		outbuf_puts(o, "\"value\":");
		outbuf_json_str(o, p, n);
		return 0;
	}
	size_t enc_len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	struct secret *enc = secret_new(enc_len);
	if (!enc)
		return -ENOMEM;
	sodium_bin2base64((char *)enc->data, enc_len, p, n, sodium_base64_VARIANT_ORIGINAL);
	outbuf_puts(o, "\"value_base64\":\"");
	outbuf_write(o, enc->data, strlen((const char *)enc->data));
	outbuf_puts(o, "\"");
	secret_free(enc);
	return 0;
}

/* "YYYY-MM-DD": that day's start, UTC. */
static int parse_date(const char *s, int64_t *ret_ts)
{
	struct tm tm = { 0 };
	for (size_t i = 0; i < 10; i++)
		if (!s[i] || ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9')))
			return -EINVAL;
	if (s[10])
		return -EINVAL;
	tm.tm_year =
		(s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	int mon = tm.tm_mon, mday = tm.tm_mday;
	time_t t = timegm(&tm);
	/* timegm normalises 2026-02-30 to March: such a date is refused, not moved. */
	if (t == (time_t)-1 || tm.tm_mon != mon || tm.tm_mday != mday)
		return -EINVAL;
	*ret_ts = (int64_t)t;
	return 0;
}

int cli_parse_since(const char *s, int64_t *ret_ts)
{
	int64_t ms, ts;
	if (parse_time(s, &ts) == 0 || parse_date(s, &ts) == 0) {
		*ret_ts = ts;
		return 0;
	}
	if (parse_duration_ms(s, false, &ms) < 0 || ms <= 0)
		return -EINVAL;
	*ret_ts = clock_now() - ms / 1000;
	return 0;
}

int cli_kdf_parse(const char *cmd, const char *arg, enum vault_kdf *ret)
{
	if (vault_kdf_parse(arg, ret) == 0)
		return CLI_OK;
	cli_error("%s: unknown --kdf '%s' (use interactive, moderate, sensitive or test)", cmd,
		  arg);
	return CLI_EUSAGE;
}

void cli_warn_test_kdf(enum vault_kdf kdf)
{
	if (kdf == VAULT_KDF_TEST)
		cli_warn(
			"--kdf test is INSECURE: its password hash is cheap to brute-force; use it "
			"for test suites only");
}

void cli_format_duration(int64_t s, char out[static 32])
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, 32, "%lldd%lldh", (long long)(s / 86400),
			 (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, 32, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, 32, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, 32, "%llds", (long long)s);
}
