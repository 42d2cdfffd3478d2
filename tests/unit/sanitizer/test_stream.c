/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of sanitizer streams: merging and naming of spans, chunking, idle flush and the
 * fail-closed end of stream, binary data, bounded memory and counts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"
#include "tests/unit/unit.h"

static int to_buf(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n);
}

static struct san_set *mkset(const char *const *kv)
{
	struct san_set *set = san_set_new();
	for (size_t i = 0; kv[i]; i += 2)
		ck_assert_int_eq(san_set_add(set, kv[i], kv[i + 1], strlen(kv[i + 1])), 0);
	ck_assert_int_eq(san_set_compile(set), 0);
	return set;
}

/* Whole text through one stream, chunk bytes at a time (0 = one call). */
static char *run(const struct san_set *set, const void *t, size_t n, size_t chunk)
{
	struct san_stream *st = san_stream_new(set);
	struct buf out = BUF_INIT;
	const char *p = t;
	for (size_t i = 0; i < n;) {
		size_t c = chunk && chunk < n - i ? chunk : n - i;
		ck_assert_int_eq(san_feed(st, p + i, c, to_buf, &out), 0);
		i += c;
	}
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	san_stream_free(st);
	if (!out.data)
		buf_putc(&out, '\0'), out.len = 0;
	return buf_detach(&out);
}

static void expect_all_chunkings(const struct san_set *set, const char *t, const char *want)
{
	for (size_t c = 0; c <= strlen(t); c++) {
		char *got = run(set, t, strlen(t), c);
		ck_assert_msg(!strcmp(got, want), "chunk %zu: got '%s' want '%s'", c, got, want);
		free(got);
	}
}

START_TEST(test_overlap_merge)
{
	static const char *const kv[] = { "A", "abcdef", "B", "defghi", NULL };
	struct san_set *set = mkset(kv);
	/* overlapping: one placeholder, nothing left over; the leftmost occurrence names it */
	expect_all_chunkings(set, "x abcdefghi y", "x [REDACTED:A] y");
	/* adjacent: merged too */
	expect_all_chunkings(set, "x abcdefdefghi y", "x [REDACTED:A] y");
	/* separated by one byte: two placeholders */
	expect_all_chunkings(set, "abcdef-defghi", "[REDACTED:A]-[REDACTED:B]");
	san_set_free(set);
}
END_TEST

START_TEST(test_self_overlap)
{
	/* a secret that repeats its own start (GitLab's writer leaks it across a write boundary) */
	static const char *const kv[] = { "R", "abab", NULL };
	struct san_set *set = mkset(kv);
	expect_all_chunkings(set, "xaabababx", "xa[REDACTED:R]x");
	expect_all_chunkings(set, "ababab", "[REDACTED:R]");
	san_set_free(set);
}
END_TEST

START_TEST(test_longest_and_infix)
{
	static const char *const kv[] = { "SHORT", "token", "LONG", "mytokenvalue", NULL };
	struct san_set *set = mkset(kv);
	/* the longer secret contains the shorter: the span starts with LONG's occurrence */
	expect_all_chunkings(set, "[mytokenvalue]", "[[REDACTED:LONG]]");
	expect_all_chunkings(set, "[mytokenval]", "[my[REDACTED:SHORT]val]");
	/* prefix and suffix positions */
	expect_all_chunkings(set, "tokenvalue", "[REDACTED:SHORT]value");
	expect_all_chunkings(set, "a-token", "a-[REDACTED:SHORT]");
	san_set_free(set);
}
END_TEST

START_TEST(test_placeholder_not_rescanned)
{
	/* a secret equal to part of a placeholder is not found again in the output */
	static const char *const kv[] = { "REDACTED", "REDACTED:X", "X", "sekrit1", NULL };
	struct san_set *set = mkset(kv);
	expect_all_chunkings(set, "sekrit1", "[REDACTED:X]");
	san_set_free(set);
}
END_TEST

START_TEST(test_binary_nul)
{
	static const char *const kv[] = { "B", "s3cr3t", NULL };
	struct san_set *set = mkset(kv);
	const char t[] = "\0\xff\x1b[31ms3cr3t\x1b[0m\0\x80";
	char *got = run(set, t, sizeof(t) - 1, 1);
	const char want[] = "\0\xff\x1b[31m[REDACTED:B]\x1b[0m\0\x80";
	ck_assert_mem_eq(got, want, sizeof(want) - 1);
	free(got);
	san_set_free(set);
}
END_TEST

START_TEST(test_finish_fail_closed)
{
	static const char *const kv[] = { "F", "0123456789abcdef", NULL };
	struct san_set *set = mkset(kv);
	/* a held partial at end of stream at or above the threshold is redacted */
	expect_all_chunkings(set, "key=01234", "key=[REDACTED:F]");
	expect_all_chunkings(set, "key=0123", "key=[REDACTED:F]");
	/* below the threshold it is released */
	expect_all_chunkings(set, "key=012", "key=012");
	san_set_free(set);
	/* short secret: half of it is enough to be redacted at the end */
	static const char *const kv2[] = { "G", "wxyz", NULL };
	set = mkset(kv2);
	expect_all_chunkings(set, "a wx", "a [REDACTED:G]");
	expect_all_chunkings(set, "a w", "a w");
	san_set_free(set);
}
END_TEST

START_TEST(test_idle_flush)
{
	static const char *const kv[] = { "I", "0123456789abcdef", NULL };
	struct san_set *set = mkset(kv);
	struct san_stream *st = san_stream_new(set);
	struct buf out = BUF_INIT;
	/* progress line: everything except a possible secret start is out at once */
	ck_assert_int_eq(san_feed(st, "50% done 01", 11, to_buf, &out), 0);
	ck_assert_uint_eq(out.len, 9);
	ck_assert_uint_eq(san_stream_pending(st), 2);
	/* idle: two bytes cannot reveal anything, they go */
	ck_assert_int_eq(san_flush_idle(st, to_buf, &out), 0);
	ck_assert_uint_eq(out.len, 11);
	ck_assert_uint_eq(san_stream_pending(st), 0);
	/* the rest of the secret still gets redacted */
	ck_assert_int_eq(san_feed(st, "23456789abcdef!", 15, to_buf, &out), 0);
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	ck_assert_str_eq(out.data, "50% done 01[REDACTED:I]!");
	buf_reset(&out);
	san_stream_free(st);

	/* a partial long enough to reveal something stays held across idle flushes */
	st = san_stream_new(set);
	ck_assert_int_eq(san_feed(st, "x 012345", 8, to_buf, &out), 0);
	ck_assert_int_eq(san_flush_idle(st, to_buf, &out), 0);
	ck_assert_int_eq(san_flush_idle(st, to_buf, &out), 0);
	ck_assert_str_eq(out.data, "x ");
	ck_assert_int_eq(san_feed(st, "\n", 1, to_buf, &out), 0);
	ck_assert_str_eq(out.data, "x 012345\n");
	/* a complete match waiting for a possible extension is released by the idle flush */
	ck_assert_int_eq(san_feed(st, "0123456789abcdef", 16, to_buf, &out), 0);
	ck_assert_int_eq(san_flush_idle(st, to_buf, &out), 0);
	ck_assert_str_eq(out.data, "x 012345\n[REDACTED:I]");
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	ck_assert_uint_eq(san_stream_count(st, 0), 1);
	buf_release(&out);
	san_stream_free(st);
	san_set_free(set);
}
END_TEST

START_TEST(test_memory_bounded)
{
	/* a secret repeated back to back forms one endless span: memory stays bounded and the
	 * output is one placeholder */
	static const char *const kv[] = { "M", "repeatme", NULL };
	struct san_set *set = mkset(kv);
	struct san_stream *st = san_stream_new(set);
	struct buf out = BUF_INIT;
	for (int i = 0; i < 100000; i++) {
		ck_assert_int_eq(san_feed(st, "repeatme", 8, to_buf, &out), 0);
		ck_assert_uint_le(san_stream_stored(st), set->max_depth);
	}
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(san_finish(st, to_buf, &out), 0);
	ck_assert_str_eq(out.data, "[REDACTED:M]");
	buf_release(&out);
	san_stream_free(st);
	san_set_free(set);
}
END_TEST

static int fail_emit(void *ctx, const void *p, size_t n)
{
	(void)ctx, (void)p, (void)n;
	return -EPIPE;
}

START_TEST(test_emit_error)
{
	static const char *const kv[] = { "E", "abcdefgh", NULL };
	struct san_set *set = mkset(kv);
	struct san_stream *st = san_stream_new(set);
	ck_assert_int_eq(san_feed(st, "hello abcdefgh world", 20, fail_emit, NULL), -EPIPE);
	ck_assert_int_eq(san_feed(NULL, "x", 1, fail_emit, NULL), -EINVAL);
	san_stream_free(st);
	san_set_free(set);
}
END_TEST

START_TEST(test_utf8_split)
{
	/* a multi-byte secret split inside a character */
	static const char *const kv[] = { "U", "p\xc3\xa4ss\xe2\x82\xac\xf0\x9f\x94\x91", NULL };
	struct san_set *set = mkset(kv);
	expect_all_chunkings(set, "<p\xc3\xa4ss\xe2\x82\xac\xf0\x9f\x94\x91>", "<[REDACTED:U]>");
	san_set_free(set);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sanitizer-stream");
	TCase *tc = tcase_create("stream");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_overlap_merge);
	tcase_add_test(tc, test_self_overlap);
	tcase_add_test(tc, test_longest_and_infix);
	tcase_add_test(tc, test_placeholder_not_rescanned);
	tcase_add_test(tc, test_binary_nul);
	tcase_add_test(tc, test_finish_fail_closed);
	tcase_add_test(tc, test_idle_flush);
	tcase_add_test(tc, test_memory_bounded);
	tcase_add_test(tc, test_emit_error);
	tcase_add_test(tc, test_utf8_split);
	suite_add_tcase(s, tc);
	return s;
}
