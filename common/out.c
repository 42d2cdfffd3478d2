/* SPDX-License-Identifier: Apache-2.0 */
/* common: the secret-safe output writer (a stack buffer wiped after each flush, to an fd or into
 * a struct buf), JSON string and terminal escaping over it, and UTF-8 checks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/common.h"

void outbuf_init_fd(struct outbuf *o, int fd)
{
	o->fd = fd;
	o->b = NULL;
	o->err = 0;
	o->len = 0;
}

void outbuf_init_buf(struct outbuf *o, struct buf *b)
{
	o->fd = -1;
	o->b = b;
	o->err = 0;
	o->len = 0;
}

static void flush(struct outbuf *o)
{
	if (o->len && !o->err) {
		if (o->b)
			o->err = buf_append(o->b, o->stage, o->len);
		else
			o->err = fd_write_all(o->fd, o->stage, o->len);
	}
	sodium_memzero(o->stage, o->len);
	o->len = 0;
}

void outbuf_write(struct outbuf *o, const void *p, size_t n)
{
	const unsigned char *s = p;
	while (n > 0) {
		if (o->len == sizeof(o->stage))
			flush(o);
		size_t k = sizeof(o->stage) - o->len;
		if (k > n)
			k = n;
		memcpy(o->stage + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
	}
}

void outbuf_puts(struct outbuf *o, const char *s)
{
	outbuf_write(o, s, strlen(s));
}

void outbuf_printf(struct outbuf *o, const char *fmt, ...)
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
	outbuf_write(o, tmp, len);
	sodium_memzero(tmp, sizeof(tmp));
}

/* Length of the well-formed UTF-8 sequence at s[0..n) (n > 0, s[0] >= 0x80), 0 if malformed. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t cp, min;
	if ((c & 0xe0) == 0xc0)
		need = 1, cp = c & 0x1fu, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		need = 2, cp = c & 0x0fu, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		need = 3, cp = c & 0x07u, min = 0x10000;
	else
		return 0;
	if (n - 1 < need)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

void outbuf_json_str(struct outbuf *o, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	outbuf_write(o, "\"", 1);
	size_t run = 0; /* bytes copied as they are, written in one go */
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		char esc[6];
		size_t elen = 0, step = 1;
		if (c >= 0x80) {
			step = utf8_seq(s + i, n - i);
			if (!step) {
				/* Not UTF-8: one U+FFFD per bad byte keeps the text valid JSON (and
				 * never joins the bytes around it). */
				memcpy(esc, "\xef\xbf\xbd", 3);
				elen = 3;
				step = 1;
			}
		} else if (c == '"' || c == '\\') {
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
			run += step;
			i += step;
			continue;
		}
		outbuf_write(o, s + i - run, run);
		run = 0;
		outbuf_write(o, esc, elen);
		i += step;
	}
	outbuf_write(o, s + n - run, run);
	outbuf_write(o, "\"", 1);
}

void outbuf_json_cstr(struct outbuf *o, const char *s)
{
	if (!s)
		outbuf_puts(o, "null");
	else
		outbuf_json_str(o, s, strlen(s));
}

void outbuf_json_bool(struct outbuf *o, bool v)
{
	outbuf_puts(o, v ? "true" : "false");
}

void outbuf_json_time(struct outbuf *o, int64_t t)
{
	char ts[32];
	if (!t) {
		outbuf_puts(o, "null");
		return;
	}
	parse_format_time(t, ts);
	outbuf_json_cstr(o, ts);
}

void outbuf_json_strv(struct outbuf *o, char *const *v)
{
	outbuf_puts(o, "[");
	for (size_t i = 0; v && v[i]; i++) {
		if (i)
			outbuf_puts(o, ",");
		outbuf_json_cstr(o, v[i]);
	}
	outbuf_puts(o, "]");
}

void outbuf_escaped(struct outbuf *o, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			outbuf_write(o, &c, 1);
		} else {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			outbuf_write(o, esc, sizeof(esc));
		}
	}
}

int outbuf_finish(struct outbuf *o)
{
	flush(o);
	sodium_memzero(o->stage, sizeof(o->stage));
	return o->err;
}

/* ---- UTF-8 -------------------------------------------------------------------------------- */

bool utf8_valid(const void *p, size_t n)
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

size_t utf8_chars(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += (s[i] & 0xc0) != 0x80;
	return chars;
}
