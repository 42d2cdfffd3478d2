/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the sanitizer's pattern set: every encoding is caught in the form real tools
 * print it, and the set's limits and validation rules hold. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer.h"
#include "tests/unit/unit.h"

static int to_buf(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n);
}

/* Redact text (a C string) with one secret named S; returns a malloc'd result. */
static char *redact1(const void *secret, size_t slen, const char *text)
{
	struct san_set *set = san_set_new();
	ck_assert_int_eq(san_set_add(set, "S", secret, slen), 0);
	ck_assert_int_eq(san_set_compile(set), 0);
	struct san_stream *st = san_stream_new(set);
	struct buf out = BUF_INIT;
	ck_assert_int_eq(san_feed(st, text, strlen(text), to_buf, &out), 0);
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	san_stream_free(st);
	san_set_free(set);
	return buf_detach(&out);
}

#define EXPECT(secret, text, want)                                  \
	do {                                                        \
		char *got_ = redact1(secret, strlen(secret), text); \
		ck_assert_str_eq(got_, want);                       \
		free(got_);                                         \
	} while (0)

static const char S[] = "p4ss/w+rd?&=x"; /* needs escaping in URL form, +/ for base64 */

START_TEST(test_raw)
{
	EXPECT(S, "a p4ss/w+rd?&=x b", "a [REDACTED:S] b");
	EXPECT(S, "p4ss/w+rd?&=x", "[REDACTED:S]");
	EXPECT(S, "no secret here", "no secret here");
}
END_TEST

START_TEST(test_base64)
{
	/* standalone, padded and not, standard and URL alphabet */
	EXPECT("hunter2hunter", "x aHVudGVyMmh1bnRlcg== y", "x [REDACTED:S] y");
	EXPECT("hunter2hunter", "x aHVudGVyMmh1bnRlcg y", "x [REDACTED:S] y");
	/* echo "$S" | base64: the newline encoded with it */
	EXPECT("hunter2hunter", "aHVudGVyMmh1bnRlcgo=", "[REDACTED:S]");
	/* secret in a longer blob at each alignment: "A"+S, "AB"+S, "ABC"+S+"Z" */
	/* the last character also carries neighbour (padding) bits: it stays, like the first */
	EXPECT("hunter2hunter", "QWh1bnRlcjJodW50ZXI=", "QW[REDACTED:S]I=");
	EXPECT("hunter2hunter", "QUJodW50ZXIyaHVudGVy", "QUJ[REDACTED:S]");
	EXPECT("hunter2hunter", "QUJDaHVudGVyMmh1bnRlclo=", "QUJD[REDACTED:S]lo=");
	/* URL alphabet: "\xfb\xff\xbf" encodes to +/+/ in standard, -_-_ in URL form */
	EXPECT("\xfb\xff\xbf\xfb\xff\xbf\xfb\xff\xbf", "<+/+/+/+/+/+/>", "<[REDACTED:S]>");
	EXPECT("\xfb\xff\xbf\xfb\xff\xbf\xfb\xff\xbf", "<-_-_-_-_-_-_>", "<[REDACTED:S]>");
}
END_TEST

START_TEST(test_hex)
{
	EXPECT("hunter2!", "h=68756e74657232 21", "h=68756e74657232 21");
	EXPECT("hunter2!", "h=68756e7465723221.", "h=[REDACTED:S].");
	EXPECT("hunter2!", "h=68756E7465723221.", "h=[REDACTED:S].");
}
END_TEST

START_TEST(test_url)
{
	EXPECT(S, "?q=p4ss%2Fw%2Brd%3F%26%3Dx&", "?q=[REDACTED:S]&");
	EXPECT(S, "?q=p4ss%2fw%2brd%3f%26%3dx&", "?q=[REDACTED:S]&");
	EXPECT("my secret words", "q=my+secret+words", "q=[REDACTED:S]");
	EXPECT("my secret words", "q=my%20secret%20words", "q=[REDACTED:S]");
}
END_TEST

START_TEST(test_json)
{
	EXPECT("a\"b\\c/d\ne", "{\"k\":\"a\\\"b\\\\c/d\\ne\"}", "{\"k\":\"[REDACTED:S]\"}");
	EXPECT("a\"b\\c/d\ne", "{\"k\":\"a\\\"b\\\\c\\/d\\ne\"}", "{\"k\":\"[REDACTED:S]\"}");
	EXPECT("a\"b\\c/d\ne", "{\"k\":\"a\\\"b\\\\c/d\\u000ae\"}", "{\"k\":\"[REDACTED:S]\"}");
	EXPECT("a\"b\\c/d\ne", "{\"k\":\"a\\\"b\\\\c/d\\u000Ae\"}", "{\"k\":\"[REDACTED:S]\"}");
	/* non-ASCII as \uXXXX (Python ensure_ascii), both cases, and a surrogate pair */
	EXPECT("caf\xc3\xa9-\xf0\x9f\x94\x91-key", "\"caf\\u00e9-\\ud83d\\udd11-key\"",
	       "\"[REDACTED:S]\"");
	EXPECT("caf\xc3\xa9-\xf0\x9f\x94\x91-key", "\"caf\\u00E9-\\uD83D\\uDD11-key\"",
	       "\"[REDACTED:S]\"");
	/* Go's HTML-safe escaping */
	EXPECT("<tag>&amp", "\"\\u003ctag\\u003e\\u0026amp\"", "\"[REDACTED:S]\"");
}
END_TEST

START_TEST(test_shell)
{
	/* bash -x: 'it'\''s a secret' */
	EXPECT("it's a secret", "+ echo 'it'\\''s a secret'", "+ echo '[REDACTED:S]'");
	/* Python shlex.quote */
	EXPECT("it's a secret", "'it'\"'\"'s a secret'", "'[REDACTED:S]'");
	/* printf %q, printable: backslashes */
	EXPECT("it's a secret", "it\\'s\\ a\\ secret", "[REDACTED:S]");
	/* printf %q with a control byte: $'...' */
	EXPECT("line1\nline2\x01", "$'line1\\nline2\\001'", "$'[REDACTED:S]'");
}
END_TEST

START_TEST(test_multiline)
{
	const char *pem =
		"-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcN\nLYLI3r4eP5L0nBL2a9\n-----END "
		"KEY-----\n";
	/* PTY: \n became \r\n */
	EXPECT(pem,
	       "k: -----BEGIN "
	       "KEY-----\r\nMIIBOgIBAAJBAKj34GkxFhD90vcN\r\nLYLI3r4eP5L0nBL2a9\r\n-----END "
	       "KEY-----\r\n.",
	       "k: [REDACTED:S].");
	/* one line printed alone is caught; the public armour line is not a pattern */
	EXPECT(pem, "line LYLI3r4eP5L0nBL2a9 end", "line [REDACTED:S] end");
	EXPECT(pem, "-----BEGIN KEY----- (cert)", "-----BEGIN KEY----- (cert)");
}
END_TEST

START_TEST(test_limits)
{
	struct san_set *set = san_set_new();
	ck_assert_int_eq(san_set_add(set, "S", "abc", 3), -EINVAL); /* too short */
	ck_assert_int_eq(san_set_add(set, "bad name", "abcd", 4), -EINVAL);
	ck_assert_int_eq(san_set_add(set, "", "abcd", 4), -EINVAL);
	ck_assert_int_eq(san_set_add(set, "A.b-c/d_9", "abcd", 4), 0);
	ck_assert_uint_eq(san_set_size(set), 1);
	ck_assert_str_eq(san_set_name(set, 0), "A.b-c/d_9");
	ck_assert_ptr_null(san_set_name(set, 1));
	ck_assert_ptr_null(san_stream_new(set)); /* not compiled */
	ck_assert_int_eq(san_set_compile(set), 0);
	ck_assert_int_eq(san_set_add(set, "T", "abcdef", 6), -EBUSY);
	ck_assert_int_eq(san_set_compile(set), -EBUSY);
	san_set_free(set);
	set = san_set_new();
	char big[SAN_NAME_MAX + 2];
	memset(big, 'N', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(san_set_add(set, big, "abcd", 4), -EINVAL);
	ck_assert_int_eq(san_set_add(set, "S", "abcd", SAN_VALUE_MAX + 1), -E2BIG);
	/* an empty set compiles and passes everything through */
	ck_assert_int_eq(san_set_compile(set), 0);
	struct san_stream *st = san_stream_new(set);
	struct buf out = BUF_INIT;
	ck_assert_int_eq(san_feed(st, "hello", 5, to_buf, &out), 0);
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	ck_assert_str_eq(out.data, "hello");
	buf_release(&out);
	san_stream_free(st);
	san_set_free(set);
	ck_assert_ptr_null(san_set_free(NULL));
	ck_assert_ptr_null(san_stream_free(NULL));
}
END_TEST

START_TEST(test_many_secrets)
{
	/* one automaton for thousands of secrets; every one is found */
	struct san_set *set = san_set_new();
	char name[32], val[40];
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "K%d", i);
		snprintf(val, sizeof(val), "secret-value-%08d-x", i * 7919);
		ck_assert_int_eq(san_set_add(set, name, val, strlen(val)), 0);
	}
	ck_assert_int_eq(san_set_compile(set), 0);
	struct san_stream *st = san_stream_new(set);
	struct buf out = BUF_INIT;
	const char *t = "a secret-value-00079190-x b secret-value-23749081-x c";
	ck_assert_int_eq(san_feed(st, t, strlen(t), to_buf, &out), 0);
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	ck_assert_str_eq(out.data, "a [REDACTED:K10] b [REDACTED:K2999] c");
	ck_assert_uint_eq(san_stream_count(st, 10), 1);
	ck_assert_uint_eq(san_stream_count(st, 2999), 1);
	ck_assert_uint_eq(san_stream_count(st, 0), 0);
	buf_release(&out);
	san_stream_free(st);
	san_set_free(set);
}
END_TEST

/* The builder's first allocation is sized from the values: this binary value's forms share so
 * few prefixes that the trie outgrows it and moves out (measured: these sizes do), and the
 * scratch is sized for the longest value, which here is neither the first nor the last added.
 * Every secret is still found in every form. */
START_TEST(test_builder_sizes)
{
	uint8_t bin[300], lng[600];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(1 + (i * 37) % 255);
	for (size_t i = 0; i < sizeof(lng); i++)
		lng[i] = (uint8_t) "abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + i / 36) % 36];
	struct san_set *set = san_set_new();
	ck_assert_int_eq(san_set_add(set, "TOK", "short-tok", 9), 0);
	ck_assert_int_eq(san_set_add(set, "LONG", lng, sizeof(lng)), 0);
	ck_assert_int_eq(san_set_add(set, "BIN", bin, sizeof(bin)), 0);
	ck_assert_int_eq(san_set_compile(set), 0);

	struct buf in = BUF_INIT, out = BUF_INIT;
	char hex[2 * sizeof(bin) + 1],
		b64[sodium_base64_ENCODED_LEN(sizeof(lng), sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2hex(hex, sizeof(hex), bin, sizeof(bin));
	sodium_bin2base64(b64, sizeof(b64), lng, sizeof(lng), sodium_base64_VARIANT_ORIGINAL);
	ck_assert_int_eq(buf_printf(&in, "A %s B short-tok C %s D ", hex, b64), 0);
	ck_assert_int_eq(buf_append(&in, bin, sizeof(bin)), 0);
	ck_assert_int_eq(buf_puts(&in, " E"), 0);
	struct san_stream *st = san_stream_new(set);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(san_feed(st, in.data, in.len, to_buf, &out), 0);
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	ck_assert_str_eq(out.data,
			 "A [REDACTED:BIN] B [REDACTED:TOK] C [REDACTED:LONG] D [REDACTED:BIN] E");
	buf_release(&in);
	buf_release(&out);
	san_stream_free(st);
	san_set_free(set);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sanitizer-variants");
	TCase *tc = tcase_create("variants");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_raw);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_shell);
	tcase_add_test(tc, test_multiline);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_many_secrets);
	tcase_add_test(tc, test_builder_sizes);
	suite_add_tcase(s, tc);
	return s;
}
