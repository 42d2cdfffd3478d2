/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: expands one secret value into every form in which a program is likely to print it
 * (raw, CRLF, lines, base64 at each alignment, hex, URL, JSON and shell escaping). */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

struct gen {
	san_pattern_fn fn;
	void *ctx;
	uint8_t *out; /* scratch, secure, cap bytes */
	size_t cap;
	uint8_t *tmp; /* second scratch, same region (value with neighbours for base64 forms) */
};

static int put(struct gen *g, const uint8_t *p, size_t n, size_t min)
{
	if (n < min)
		return 0;
	return g->fn(g->ctx, p, n);
}

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";
static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Unpadded base64 of n bytes; returns the number of characters, ceil(8n/6). */
static size_t b64(const uint8_t *in, size_t n, uint8_t *out, const char *alpha)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = (uint8_t)alpha[v >> 18 & 63];
		out[o++] = (uint8_t)alpha[v >> 12 & 63];
		out[o++] = (uint8_t)alpha[v >> 6 & 63];
		out[o++] = (uint8_t)alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = (uint8_t)alpha[v >> 18 & 63];
		out[o++] = (uint8_t)alpha[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = (uint8_t)alpha[v >> 18 & 63];
		out[o++] = (uint8_t)alpha[v >> 12 & 63];
		out[o++] = (uint8_t)alpha[v >> 6 & 63];
	}
	return o;
}

/* Standalone encodings (padded and unpadded) of v, and of v followed by a newline, as printed by
 * `echo "$SECRET" | base64`. */
static int gen_b64_standalone(struct gen *g, const uint8_t *v, size_t n, const char *alpha)
{
	int r;
	for (int nl = 0; nl < 2; nl++) {
		memcpy(g->tmp, v, n);
		size_t m = n;
		if (nl)
			g->tmp[m++] = '\n';
		size_t o = b64(g->tmp, m, g->out, alpha);
		if ((r = put(g, g->out, o, SAN_MIN_VARIANT_LEN)) < 0)
			return r;
		if (o % 4) {
			while (o % 4)
				g->out[o++] = '=';
			if ((r = put(g, g->out, o, SAN_MIN_VARIANT_LEN)) < 0)
				return r;
		}
	}
	return 0;
}

/* The value inside a longer base64 blob, starting at byte offset a (mod 3) of that blob: only the
 * characters whose 6 bits all come from the value are fixed, the ones at either edge depend on
 * the neighbouring bytes and are dropped. */
static int gen_b64_aligned(struct gen *g, const uint8_t *v, size_t n, const char *alpha)
{
	int r;
	for (size_t a = 0; a < 3; a++) {
		memset(g->tmp, 0, a);
		memcpy(g->tmp + a, v, n);
		size_t o = b64(g->tmp, a + n, g->out, alpha);
		size_t from = (8 * a + 5) / 6;    /* first char starting at or after bit 8a */
		size_t to = (8 * (a + n)) / 6;    /* chars ending at or before the last value bit */
		if (to > o)
			to = o;
		if (to > from && (r = put(g, g->out + from, to - from, SAN_MIN_VARIANT_LEN)) < 0)
			return r;
	}
	return 0;
}

static int gen_hex(struct gen *g, const uint8_t *v, size_t n)
{
	int r;
	for (int up = 0; up < 2; up++) {
		const char *h = up ? hex_upper : hex_lower;
		for (size_t i = 0; i < n; i++) {
			g->out[2 * i] = (uint8_t)h[v[i] >> 4];
			g->out[2 * i + 1] = (uint8_t)h[v[i] & 15];
		}
		if ((r = put(g, g->out, 2 * n, SAN_MIN_VARIANT_LEN)) < 0)
			return r;
	}
	return 0;
}

/* Percent-encoding: RFC 3986 unreserved bytes stay; upper or lower hex digits; space as '+' (form
 * encoding) or %20; optionally JavaScript's encodeURIComponent set, which also keeps !'()*. */
static int gen_url(struct gen *g, const uint8_t *v, size_t n)
{
	int r;
	for (unsigned opt = 0; opt < 8; opt++) {
		const char *h = (opt & 1) ? hex_upper : hex_lower;
		bool plus = opt & 2, js = opt & 4;
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = v[i];
			bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
				    c == '~' || (js && (c == '!' || c == '\'' || c == '(' || c == ')' || c == '*'));
			if (keep) {
				g->out[o++] = c;
			} else if (c == ' ' && plus) {
				g->out[o++] = '+';
			} else {
				g->out[o++] = '%';
				g->out[o++] = (uint8_t)h[c >> 4];
				g->out[o++] = (uint8_t)h[c & 15];
			}
		}
		if ((r = put(g, g->out, o, SAN_MIN_VARIANT_LEN)) < 0)
			return r;
	}
	return 0;
}

/* Length of a valid UTF-8 sequence at p (1..4) and its code point, or 0 when invalid. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t c = p[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		len = 2, v = c & 0x1Fu, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, v = c & 0x0Fu, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, v = c & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3Fu);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

static size_t put_u(uint8_t *out, uint32_t u, const char *h)
{
	out[0] = '\\';
	out[1] = 'u';
	out[2] = (uint8_t)h[u >> 12 & 15];
	out[3] = (uint8_t)h[u >> 8 & 15];
	out[4] = (uint8_t)h[u >> 4 & 15];
	out[5] = (uint8_t)h[u & 15];
	return 6;
}

/* JSON string escaping as done by common encoders: `\"` and `\\` always; `\/` optional (PHP);
 * control bytes as short escapes or \u00XX; non-ASCII raw or as \uHHHH (UTF-16, surrogate pairs;
 * Python's ensure_ascii); HTML-safe <>& as \u003c.. (Go); hex digits in either case. */
static int gen_json(struct gen *g, const uint8_t *v, size_t n)
{
	int r;
	for (unsigned opt = 0; opt < 32; opt++) {
		bool slash = opt & 1, ushort = !(opt & 2), nonascii = opt & 4, html = opt & 8;
		const char *h = (opt & 16) ? hex_upper : hex_lower;
		size_t o = 0;
		for (size_t i = 0; i < n;) {
			uint8_t c = v[i];
			uint32_t cp;
			size_t l;
			if (c == '"' || c == '\\' || (c == '/' && slash)) {
				g->out[o++] = '\\';
				g->out[o++] = c;
				i++;
			} else if (c < 0x20) {
				const char *sh = ushort ? strchr("\b\f\n\r\t", c) : NULL;
				if (sh && c) {
					g->out[o++] = '\\';
					g->out[o++] = (uint8_t)"bfnrt"[sh - "\b\f\n\r\t"];
				} else {
					o += put_u(g->out + o, c, h);
				}
				i++;
			} else if (html && (c == '<' || c == '>' || c == '&')) {
				o += put_u(g->out + o, c, h);
				i++;
			} else if (c >= 0x80 && nonascii && (l = utf8_decode(v + i, n - i, &cp)) > 0) {
				if (cp >= 0x10000) {
					cp -= 0x10000;
					o += put_u(g->out + o, 0xD800 + (cp >> 10), h);
					o += put_u(g->out + o, 0xDC00 + (cp & 0x3FF), h);
				} else {
					o += put_u(g->out + o, cp, h);
				}
				i += l;
			} else {
				g->out[o++] = c;
				i++;
			}
		}
		if ((r = put(g, g->out, o, SAN_MIN_VARIANT_LEN)) < 0)
			return r;
	}
	return 0;
}

/* Shell quoting as printed by `bash -x` ('...' with '\'' for a quote), by Python's shlex.quote
 * ('"'"'), by bash's `printf %q` for printable strings (backslash before each metacharacter) and
 * for the others ($'...' with C escapes and \NNN octal; non-ASCII raw in a UTF-8 locale or octal
 * in the C locale). Only the part between the outer quotes is registered. */
static int gen_shell(struct gen *g, const uint8_t *v, size_t n)
{
	static const char meta[] = " !\"$&'()*,;<>?[\\]^`{|}";
	int r;
	size_t o;
	for (int form = 0; form < 2; form++) {
		const char *rep = form ? "'\"'\"'" : "'\\''";
		o = 0;
		for (size_t i = 0; i < n; i++) {
			if (v[i] == '\'') {
				memcpy(g->out + o, rep, strlen(rep));
				o += strlen(rep);
			} else {
				g->out[o++] = v[i];
			}
		}
		if ((r = put(g, g->out, o, SAN_MIN_VARIANT_LEN)) < 0)
			return r;
	}
	o = 0;
	for (size_t i = 0; i < n; i++) {
		if ((v[i] && strchr(meta, v[i])) || (i == 0 && (v[i] == '#' || v[i] == '~')))
			g->out[o++] = '\\';
		g->out[o++] = v[i];
	}
	if ((r = put(g, g->out, o, SAN_MIN_VARIANT_LEN)) < 0)
		return r;
	for (int c_locale = 0; c_locale < 2; c_locale++) {
		o = 0;
		for (size_t i = 0; i < n; i++) {
			uint8_t c = v[i];
			const char *sh = c ? strchr("\a\b\f\n\r\t\v", c) : NULL;
			if (sh) {
				g->out[o++] = '\\';
				g->out[o++] = (uint8_t)"abfnrtv"[sh - "\a\b\f\n\r\t\v"];
			} else if (c == 0x1b) {
				g->out[o++] = '\\';
				g->out[o++] = 'E';
			} else if (c == '\\' || c == '\'') {
				g->out[o++] = '\\';
				g->out[o++] = c;
			} else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c_locale)) {
				g->out[o++] = '\\';
				g->out[o++] = (uint8_t)('0' + (c >> 6));
				g->out[o++] = (uint8_t)('0' + (c >> 3 & 7));
				g->out[o++] = (uint8_t)('0' + (c & 7));
			} else {
				g->out[o++] = c;
			}
		}
		if ((r = put(g, g->out, o, SAN_MIN_VARIANT_LEN)) < 0)
			return r;
	}
	return 0;
}

/* Multi-line values: the CRLF form a PTY prints, and every line of meaningful length on its own
 * (a program may print a PEM key line by line, or only part of it). PEM armour lines
 * ("-----BEGIN ...-----") are public and would redact every certificate, so they are skipped. */
static int gen_lines(struct gen *g, const uint8_t *v, size_t n)
{
	int r;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r'))
			g->out[o++] = '\r';
		g->out[o++] = v[i];
	}
	if (o != n && (r = put(g, g->out, o, SAN_MIN_SECRET_LEN)) < 0)
		return r;
	for (size_t s = 0; s < n;) {
		const uint8_t *nl = memchr(v + s, '\n', n - s);
		size_t e = nl ? (size_t)(nl - v) : n;
		size_t le = e;
		if (le > s && v[le - 1] == '\r')
			le--;
		bool armour = le - s >= 5 && !memcmp(v + s, "-----", 5);
		if (!armour && (r = put(g, v + s, le - s, SAN_MIN_LINE_LEN)) < 0)
			return r;
		s = e + 1;
	}
	return 0;
}

size_t san_variants_scratch(size_t len)
{
	/* tmp: the value with up to 2 neighbour bytes or a newline (base64 forms), then out: the
	 * widest form is \uHHHH for a control byte, 6 output bytes per input byte. */
	return (len + 4) + (6 * len + 16);
}

int san_variants_in(const uint8_t *value, size_t len, uint8_t *scratch, san_pattern_fn fn,
		    void *ctx)
{
	int r;
	if (len == 0 || len > SAN_VALUE_MAX)
		return -EINVAL;
	/* Both scratch buffers are bytes, so carving them from one region needs no alignment. out
	 * goes last: its writes vary in width, and at the end of a sodium_malloc region (where
	 * san_variants and the set builder place the scratch) a write past it hits the guard
	 * page. */
	struct gen g = { .fn = fn, .ctx = ctx, .tmp = scratch, .out = scratch + len + 4,
			 .cap = 6 * len + 16 };
	if ((r = put(&g, value, len, 1)) < 0)
		return r;
	if (memchr(value, '\n', len) && (r = gen_lines(&g, value, len)) < 0)
		return r;
	if ((r = gen_hex(&g, value, len)) < 0)
		return r;
	for (int url = 0; url < 2; url++) {
		const char *alpha = url ? b64_url : b64_std;
		if ((r = gen_b64_standalone(&g, value, len, alpha)) < 0 ||
		    (r = gen_b64_aligned(&g, value, len, alpha)) < 0)
			return r;
	}
	if ((r = gen_url(&g, value, len)) < 0 || (r = gen_json(&g, value, len)) < 0 ||
	    (r = gen_shell(&g, value, len)) < 0)
		return r;
	return 0;
}

int san_variants(const uint8_t *value, size_t len, san_pattern_fn fn, void *ctx)
{
	if (len == 0 || len > SAN_VALUE_MAX)
		return -EINVAL;
	uint8_t *scratch = secure_alloc(san_variants_scratch(len));
	if (!scratch)
		return -ENOMEM;
	int r = san_variants_in(value, len, scratch, fn, ctx);
	secure_free(scratch); /* wipes the encoded forms */
	return r;
}
