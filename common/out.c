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
				/* Not UTF-8: the byte as the text \xNN keeps the string valid JSON,
				 * readable and distinct per byte; the exact bytes go in a _base64
				 * sibling (outbuf_json_member). */
				memcpy(esc, "\\\\x", 3);
				esc[3] = hex[c >> 4];
				esc[4] = hex[c & 15];
				elen = 5;
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

/* Base64 (standard alphabet, padded) of p[0..n), in chunks through a wiped stack buffer. */
static void outbuf_base64(struct outbuf *o, const void *p, size_t n)
{
	const unsigned char *s = p;
	char enc[sodium_base64_ENCODED_LEN(48, sodium_base64_VARIANT_ORIGINAL)];
	for (size_t i = 0; i < n; i += 48) {
		size_t k = n - i < 48 ? n - i : 48;
		sodium_bin2base64(enc, sizeof(enc), s + i, k, sodium_base64_VARIANT_ORIGINAL);
		outbuf_puts(o, enc);
	}
	sodium_memzero(enc, sizeof(enc));
}

static void json_name(struct outbuf *o, const char *name, const char *suffix)
{
	outbuf_puts(o, "\"");
	outbuf_puts(o, name);
	outbuf_puts(o, suffix);
	outbuf_puts(o, "\":");
}

void outbuf_json_member(struct outbuf *o, const char *name, const void *p, size_t n)
{
	json_name(o, name, "");
	if (!p) {
		outbuf_puts(o, "null");
		return;
	}
	outbuf_json_str(o, p, n);
	if (utf8_valid(p, n))
		return;
	outbuf_puts(o, ",");
	json_name(o, name, "_base64");
	outbuf_puts(o, "\"");
	outbuf_base64(o, p, n);
	outbuf_puts(o, "\"");
}

void outbuf_json_member_cstr(struct outbuf *o, const char *name, const char *s)
{
	outbuf_json_member(o, name, s, s ? strlen(s) : 0);
}

void outbuf_json_member_strv(struct outbuf *o, const char *name, char *const *v)
{
	bool valid = true;
	json_name(o, name, "");
	outbuf_json_strv(o, v);
	for (size_t i = 0; v && v[i]; i++)
		valid = valid && utf8_valid(v[i], strlen(v[i]));
	if (valid)
		return;
	outbuf_puts(o, ",");
	json_name(o, name, "_base64");
	outbuf_puts(o, "[");
	for (size_t i = 0; v && v[i]; i++) {
		outbuf_puts(o, i ? ",\"" : "\"");
		outbuf_base64(o, v[i], strlen(v[i]));
		outbuf_puts(o, "\"");
	}
	outbuf_puts(o, "]");
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

static bool text_utf8; /* outbuf_set_utf8_text */

void outbuf_shell_word(struct outbuf *o, const char *w)
{
	bool plain = *w != '\0';
	for (const char *p = w; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "_-./=:,@%+",
			       *p) != NULL;
	if (plain) {
		outbuf_escaped(o, w, strlen(w));
		return;
	}
	outbuf_puts(o, "'");
	for (const char *p = w; *p; p++) {
		if (*p == '\'')
			outbuf_puts(o, "'\\''");
		else
			outbuf_escaped(o, p, 1);
	}
	outbuf_puts(o, "'");
}

void outbuf_set_utf8_text(bool on)
{
	text_utf8 = on;
}

/* The code point of a well-formed sequence of len bytes. */
static uint32_t utf8_cp(const unsigned char *s, size_t len)
{
	uint32_t cp = len == 2 ? s[0] & 0x1fu : len == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
	for (size_t k = 1; k < len; k++)
		cp = (cp << 6) | (s[k] & 0x3fu);
	return cp;
}

/* Characters that are never shown as themselves: C1 controls (U+009B is a terminal's CSI),
 * and the invisible ones that reorder or hide text (zero-width, bidi embeddings, overrides and
 * isolates, line and paragraph separators, the BOM). */
static bool cp_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

void outbuf_escaped(struct outbuf *o, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = p;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = text_utf8 && c >= 0x80 ? utf8_seq(s + i, n - i) : 0;
		bool shown =
			len ? !cp_hidden(utf8_cp(s + i, len)) : c >= 0x20 && c < 0x7f && c != '\\';
		if (shown) {
			outbuf_write(o, s + i, len ? len : 1);
			i += len ? len : 1;
			continue;
		}
		for (size_t k = 0; k < (len ? len : 1); k++) {
			char esc[4] = { '\\', 'x', hex[s[i + k] >> 4], hex[s[i + k] & 15] };
			outbuf_write(o, esc, sizeof(esc));
		}
		i += len ? len : 1;
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
