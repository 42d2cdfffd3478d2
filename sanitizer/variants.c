/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: expands one secret value into the forms a program prints it in. Character escapes
 * (URL, JSON, HTML, shell quoting, ...) are not enumerated here: the matcher decodes them in the
 * output (decode.c). What is left are the forms no decoding of the output can undo: the value's
 * own text forms, and its re-encodings as hex and base64. */
#include <errno.h>
#include <string.h>

#include "sanitizer/sanitizer-internal.h"

static const char *const hex_lower = san_hex_digits[0];
static const char *const hex_upper = san_hex_digits[1];
static const char *const b64_std = san_b64_alphabets[0];
static const char *const b64_url = san_b64_alphabets[1];

const char san_hex_digits[2][17] = { "0123456789abcdef", "0123456789ABCDEF" };
const char san_b64_alphabets[2][65] = {
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
};

struct gen {
	san_form_fn fn;
	void *ctx;
	const uint8_t *v; /* the value */
	size_t n;
	uint8_t *tmp, *out; /* scratch for whole encodings: SAN_WHOLE_MAX + 8 bytes each */
};

static int emit(struct gen *g, const uint8_t *p, size_t len, uint8_t kind, uint8_t param,
		uint8_t lines, size_t min)
{
	if (len < min)
		return 0;
	struct san_form_out f = {
		.p = p, .len = len, .kind = kind, .param = param, .lines = lines, .value = p == g->v
	};
	if (len > SAN_WHOLE_MAX && (kind == SAN_FORM_HEX || kind == SAN_FORM_B64))
		f.p = NULL; /* a long encoding is computed from the value when needed */
	return g->fn(g->ctx, &f);
}

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

/* The characters of the value inside a longer base64 blob that starts a (0..2) bytes before
 * it: only those whose 6 bits all come from the value are fixed. */
static size_t b64_from(size_t a)
{
	return (8 * a + 5) / 6;
}
static size_t b64_to(size_t a, size_t n)
{
	return 8 * (a + n) / 6;
}

/* Encodings of one byte string s (the value, or the value without its trailing line break):
 * hex in both cases; base64 in both alphabets, standalone (with and without padding, alone and
 * followed by the newline `echo "$S" | base64` adds; short strings only) and inside a longer
 * blob at each of the three byte alignments (only the characters fixed by s). */
static int gen_encodings(struct gen *g, const uint8_t *s, size_t n, bool is_value)
{
	int r;
	/* A long string's encodings are computed from the value itself (the arena keeps only the
	 * value), so they are registered for the value only. */
	bool long_ok = is_value;
	for (uint8_t up = 0; up < 2; up++) {
		if (2 * n <= SAN_WHOLE_MAX) {
			const char *h = up ? hex_upper : hex_lower;
			for (size_t i = 0; i < n; i++) {
				g->out[2 * i] = (uint8_t)h[s[i] >> 4];
				g->out[2 * i + 1] = (uint8_t)h[s[i] & 15];
			}
			r = emit(g, g->out, 2 * n, SAN_FORM_HEX, up, 0, SAN_MIN_VARIANT_LEN);
		} else {
			r = long_ok ? emit(g, NULL, 2 * n, SAN_FORM_HEX, up, 0, SAN_MIN_VARIANT_LEN)
				    : 0;
		}
		if (r < 0)
			return r;
	}
	for (uint8_t url = 0; url < 2; url++) {
		const char *alpha = url ? b64_url : b64_std;
		if (b64_to(0, n + 1) + 4 <= SAN_WHOLE_MAX) {
			for (int nl = 0; nl < 2; nl++) {
				memcpy(g->tmp, s, n);
				size_t m = n;
				if (nl)
					g->tmp[m++] = '\n';
				size_t o = b64(g->tmp, m, g->out, alpha);
				if ((r = emit(g, g->out, o, SAN_FORM_B64, 0, 0,
					      SAN_MIN_VARIANT_LEN)) < 0)
					return r;
				if (o % 4) {
					while (o % 4)
						g->out[o++] = '=';
					r = emit(g, g->out, o, SAN_FORM_B64, 0, 0,
						 SAN_MIN_VARIANT_LEN);
					if (r < 0)
						return r;
				}
			}
		}
		for (uint8_t a = 0; a < 3; a++) {
			size_t from = b64_from(a), to = b64_to(a, n);
			if (to <= from)
				continue;
			if (to - from <= SAN_WHOLE_MAX) {
				memset(g->tmp, 0, a);
				memcpy(g->tmp + a, s, n);
				b64(g->tmp, a + n, g->out, alpha);
				r = emit(g, g->out + from, to - from, SAN_FORM_B64,
					 (uint8_t)(url * 3 + a), 0, SAN_MIN_VARIANT_LEN);
			} else {
				r = long_ok ? emit(g, NULL, to - from, SAN_FORM_B64,
						   (uint8_t)(url * 3 + a), 0, SAN_MIN_VARIANT_LEN)
					    : 0;
			}
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Lines of a multi-line value on their own (a program may print a PEM key line by line, or only
 * part of it), trailing CR dropped. PEM armour lines ("-----BEGIN ...-----") are public and
 * would redact every certificate, so they are skipped. Lines of at least SAN_KEY_LEN bytes of a
 * long value are found by the keys at line starts of its raw form instead. */
static int gen_lines(struct gen *g, bool long_value)
{
	const uint8_t *v = g->v;
	size_t n = g->n;
	int r;
	for (size_t s = 0; s < n;) {
		const uint8_t *nl = memchr(v + s, '\n', n - s);
		size_t e = nl ? (size_t)(nl - v) : n, le = e;
		if (le > s && v[le - 1] == '\r')
			le--;
		bool armour = le - s >= 5 && !memcmp(v + s, "-----", 5);
		size_t len = le - s;
		if (!armour && len <= SAN_WHOLE_MAX && !(long_value && len >= SAN_KEY_LEN) &&
		    (r = emit(g, v + s, len, SAN_FORM_TEXT, 0, 0, SAN_MIN_LINE_LEN)) < 0)
			return r;
		s = e + 1;
	}
	return 0;
}

static bool same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && !memcmp(a, b, an);
}

size_t san_forms_scratch(size_t len)
{
	/* five text forms of at most len bytes, the CRLF form of a short value, and the two
	 * buffers for whole encodings */
	return 5 * len + 2 * SAN_WHOLE_MAX + 2 * (SAN_WHOLE_MAX + 8);
}

int san_forms(const uint8_t *value, size_t len, uint8_t *scratch, san_form_fn fn, void *ctx)
{
	int r;
	if (len == 0 || len > SAN_VALUE_MAX)
		return -EINVAL;
	uint8_t *dv = scratch, *sv = dv + len, *uv = sv + len, *duv = uv + len, *pv = duv + len;
	uint8_t *crlf = pv + len;
	struct gen g = { .fn = fn,
			 .ctx = ctx,
			 .v = value,
			 .n = len,
			 .tmp = crlf + 2 * SAN_WHOLE_MAX,
			 .out = crlf + 3 * SAN_WHOLE_MAX + 8 };
	bool multi = memchr(value, '\n', len) != NULL, long_value = len > SAN_WHOLE_MAX;

	/* raw; with keys at its line starts when it is long and has lines */
	if ((r = emit(&g, value, len, SAN_FORM_TEXT, 0, multi && long_value, 1)) < 0)
		return r;
	/* without a trailing line break (a value read from a CRLF file, printed by a line) */
	size_t tn = len;
	while (tn > 0 && (value[tn - 1] == '\n' || value[tn - 1] == '\r'))
		tn--;
	if (tn != len && tn <= SAN_WHOLE_MAX &&
	    (r = emit(&g, value, tn, SAN_FORM_TEXT, 0, 0, SAN_MIN_SECRET_LEN)) < 0)
		return r; /* (a long value's extension covers all of it but the line break anyway) */
	/* as the decoded view shows the raw value (run line breaks gone, CRLF as LF, its own
	 * escapes decoded) */
	size_t dn = san_decode_text(value, len, 0, dv, NULL, NULL);
	if (!same(dv, dn, value, len) &&
	    (r = emit(&g, dv, dn, SAN_FORM_TEXT, 0, 0, SAN_MIN_SECRET_LEN)) < 0)
		return r;
	/* without any line break: what the decoded view shows of the value printed with escapes
	 * (JSON "\n", %0A, ...) */
	size_t sn = 0;
	for (size_t i = 0; i < len; i++)
		if (value[i] != '\n' && value[i] != '\r')
			sv[sn++] = value[i];
	if (sn != len && !same(sv, sn, dv, dn) &&
	    (r = emit(&g, sv, sn, SAN_FORM_TEXT, 0, 0, SAN_MIN_SECRET_LEN)) < 0)
		return r;
	/* form encoding writes a space as '+', which no decoding can tell from a '+' (a long one
	 * is read from the line-break-free text as it is kept) */
	if (memchr(sv, ' ', sn)) {
		if (sn > SAN_WHOLE_MAX) {
			r = emit(&g, sv, sn, SAN_FORM_PLUS, 0, 0, SAN_MIN_SECRET_LEN);
		} else {
			for (size_t i = 0; i < sn; i++)
				pv[i] = sv[i] == ' ' ? '+' : sv[i];
			r = emit(&g, pv, sn, SAN_FORM_TEXT, 0, 0, SAN_MIN_SECRET_LEN);
		}
		if (r < 0)
			return r;
	}
	/* a value that is itself escaped (a service-account JSON with "\n" in its key) as a
	 * program prints it unescaped (jq -r), in the decoded view */
	size_t un = san_decode_text(value, len, SAN_DECODE_ESCAPES_ONLY, uv, NULL, NULL);
	if (!same(uv, un, value, len)) {
		size_t dun = san_decode_text(uv, un, 0, duv, NULL, NULL);
		if (!same(duv, dun, dv, dn) && !same(duv, dun, value, len) &&
		    (r = emit(&g, duv, dun, SAN_FORM_TEXT, 0, 0, SAN_MIN_SECRET_LEN)) < 0)
			return r;
	}
	if (multi) {
		/* the CRLF form a PTY prints, for a short value also as a whole pattern of the raw
		 * bytes (the decoded view shows it as the LF form, see above) */
		size_t o = 0;
		if (len <= SAN_WHOLE_MAX) {
			for (size_t i = 0; i < len; i++) {
				if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
					crlf[o++] = '\r';
				crlf[o++] = value[i];
			}
			if (o != len &&
			    (r = emit(&g, crlf, o, SAN_FORM_TEXT, 0, 0, SAN_MIN_SECRET_LEN)) < 0)
				return r;
		}
		if ((r = gen_lines(&g, long_value)) < 0)
			return r;
	}
	if ((r = gen_encodings(&g, value, len, true)) < 0)
		return r;
	if (tn != len && tn >= SAN_MIN_SECRET_LEN && (r = gen_encodings(&g, value, tn, false)) < 0)
		return r;
	return 0;
}
