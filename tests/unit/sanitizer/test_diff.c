/* SPDX-License-Identifier: Apache-2.0 */
/* Differential test of the pre-scan: every stream's output with the batched AVX-512 pre-scans
 * (the default where the CPU has them) against the same stream with the word-by-word scan they
 * replaced, byte for byte, on log-like text with secrets written into it in every spelling the
 * decoded view undoes (wrapped base64 and hex, %xx, \uXXXX, &#NN;, colour inside the value,
 * CRLF), terminal sequences, long wrapped runs, at chunk sizes from 1 byte to the whole text and
 * with idle flushes between chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"
#include "tests/unit/unit.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state += 0x9E3779B97F4A7C15ull;
	uint64_t z = rng_state;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct text {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct text *t, const void *p, size_t n)
{
	if (t->n + n > t->cap) {
		t->cap = (t->n + n) * 2;
		t->p = realloc(t->p, t->cap);
		ck_assert_ptr_nonnull(t->p);
	}
	memcpy(t->p + t->n, p, n);
	t->n += n;
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* v in base64 (wrap > 0: a line break, LF or CRLF, every wrap characters) */
static void put_b64(struct text *t, const uint8_t *v, size_t n, size_t wrap, bool crlf)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)v[i] << 16 | (i + 1 < n ? (uint32_t)v[i + 1] << 8 : 0) |
			     (i + 2 < n ? v[i + 2] : 0);
		for (size_t k = 0; k < 4; k++) {
			char c = k < 2 || i + k - 1 < n ? b64[(w >> (18 - 6 * k)) & 63] : '=';
			put(t, &c, 1);
			if (wrap && ++col == wrap) {
				puts_(t, crlf ? "\r\n" : "\n");
				col = 0;
			}
		}
	}
}

static void put_hex(struct text *t, const uint8_t *v, size_t n, size_t wrap, bool upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		char h[2] = { d[v[i] >> 4], d[v[i] & 15] };
		put(t, h, 2);
		if (wrap && (2 * i + 2) % wrap == 0)
			puts_(t, "\n");
	}
}

/* v with each byte escaped with probability 1/2 in one of the escapes of the decoded view, and
 * sometimes a colour sequence between two bytes */
static void put_escaped(struct text *t, const uint8_t *v, size_t n)
{
	char e[16];
	for (size_t i = 0; i < n; i++) {
		switch (rnd() % 8) {
		case 0: snprintf(e, sizeof(e), "%%%02X", v[i]); break;
		case 1: snprintf(e, sizeof(e), "%%%02x", v[i]); break;
		case 2: snprintf(e, sizeof(e), "\\u%04x", v[i]); break;
		case 3: snprintf(e, sizeof(e), "&#%u;", v[i]); break;
		case 4: snprintf(e, sizeof(e), "\x1b[01;31m%c", v[i]); break;
		default: snprintf(e, sizeof(e), "%c", v[i]); break;
		}
		puts_(t, e);
	}
}

static void put_noise(struct text *t)
{
	static const char *const pieces[] = {
		"2026-11-22T00:00:00.000Z INFO  [worker-28] request completed "
		"path=/api/v1/users/4821",
		" status=200 dur=484ms req=8f8f22bc585c9ce6",
		"\n",
		"\r\n",
		"\x1b[0m",
		"\x1b]0;title\x07",
		"\x1b]52;c;aGVsbG8=\x1b\\",
		"\x1bP1$r0m\x1b\\",
		"'\\''",
		"&amp;",
		"%",
		"\\",
		"&",
		"\r\r\n",
		"\x1b",
		" ",
		"abcdefghijklmnopqrstuvwxyz0123456789ABCD",
		"=",
		"\xc2\x9d",
	};
	size_t k = rnd() % (sizeof(pieces) / sizeof(pieces[0]));
	/* mostly ordinary lines, so that whole batches of words hold no candidate */
	if (rnd() % 4)
		k = rnd() % 3;
	puts_(t, pieces[k]);
}

/* A long base64-alphabet run wrapped at 76, 64 or 60 columns (no secret in it). */
static void put_run(struct text *t)
{
	size_t n = 24 + rnd() % 400, wrap = (size_t[]){ 76, 64, 60 }[rnd() % 3];
	for (size_t i = 0; i < n; i++) {
		put(t, &b64[rnd() % 64], 1);
		if ((i + 1) % wrap == 0)
			puts_(t, rnd() % 2 ? "\r\n" : "\n");
	}
}

static void gen(struct text *t, uint8_t sec[][400], const size_t *len, size_t nsec, size_t size)
{
	t->n = 0;
	while (t->n < size) {
		unsigned what = (unsigned)(rnd() % 16);
		size_t idx = (size_t)(rnd() % nsec), n = len[idx];
		const uint8_t *v = sec[idx];
		switch (what) {
		case 0: put(t, v, n); break;
		case 1: /* wrapped from 24 columns (the shortest rule 4 joins) to 76 */
			puts_(t, " ");
			put_b64(t, v, n, (size_t[]){ 0, 76, 64, 24 + rnd() % 8 }[rnd() % 4],
				rnd() % 2);
			break;
		case 2: put_hex(t, v, n, rnd() % 2 ? 60 : 0, rnd() % 2); break;
		case 3: put_escaped(t, v, n); break;
		case 4: put(t, v, n - 1 - rnd() % 4); break; /* a partial one */
		case 5: put_run(t); break;
		default: put_noise(t); break;
		}
	}
}

static int append(void *ctx, const void *p, size_t n)
{
	struct text *o = ctx;
	put(o, p, n);
	return 0;
}

/* The stream's output for t fed in chunks drawn from seed (1..maxc bytes), with an idle flush
 * after some chunks when idle. */
static void run(const struct san_set *set, const struct text *t, uint64_t seed, size_t maxc,
		bool idle, struct text *out)
{
	struct san_stream *st = san_stream_new(set);
	ck_assert_ptr_nonnull(st);
	uint64_t save = rng_state;
	rng_state = seed;
	out->n = 0;
	for (size_t i = 0; i < t->n;) {
		size_t c = 1 + rnd() % maxc;
		if (c > t->n - i)
			c = t->n - i;
		ck_assert_int_eq(san_feed(st, t->p + i, c, append, out), 0);
		if (idle && rnd() % 4 == 0)
			ck_assert_int_eq(san_flush_idle(st, append, out), 0);
		i += c;
	}
	ck_assert_int_eq(san_finish(st, append, out), 0);
	san_stream_free(st);
	rng_state = save;
}

/* The batched pre-scans (3, and 4 where the CPU has VBMI) against the word-by-word AVX-512 scan
 * they replaced (2). */
START_TEST(test_prescan_differential)
{
	static uint8_t sec[4][400];
	size_t len[4];
	struct text t = { 0 }, want = { 0 }, got = { 0 };
	static const size_t maxcs[] = { 1, 3, 64, 65, 511, 4096, 65536, (size_t)1 << 30 };
	if (san_scan_select(3) < 0) {
		printf("# skip prescan_differential: no AVX-512 on this CPU (no batched "
		       "pre-scan)\n");
		return;
	}
	rng_state = 0xD1FFD1FF;
	for (unsigned round = 0; round < 24; round++) {
		struct san_set *set = san_set_new();
		ck_assert_ptr_nonnull(set);
		size_t nsec = 1 + rnd() % 4;
		for (size_t i = 0; i < nsec; i++) {
			/* short and long (keys, extension) secrets over the run alphabet and beyond */
			len[i] = i == 3 ? 300 + rnd() % 100 : 8 + rnd() % 40;
			for (size_t k = 0; k < len[i]; k++)
				sec[i][k] = (uint8_t)(rnd() % 3 ? b64[rnd() % 64]
								: "-_.:!~ "[rnd() % 7]);
			char name[8] = { 'S', (char)('0' + i), 0 };
			ck_assert_int_eq(san_set_add(set, name, sec[i], len[i]), 0);
		}
		ck_assert_int_eq(san_set_compile(set), 0);
		gen(&t, sec, len, nsec, 20000 + rnd() % 100000);
		for (size_t c = 0; c < sizeof(maxcs) / sizeof(maxcs[0]); c++) {
			uint64_t seed = rnd();
			bool idle = c % 2 == 1;
			ck_assert_int_eq(san_scan_select(2), 0);
			run(set, &t, seed, maxcs[c], idle, &want);
			for (unsigned impl = 3; impl <= 4; impl++) {
				if (san_scan_select(impl) < 0)
					continue; /* VBMI missing */
				run(set, &t, seed, maxcs[c], idle, &got);
				ck_assert_msg(want.n == got.n && !memcmp(want.p, got.p, want.n),
					      "impl %u round %u chunks up to %zu: output differs "
					      "(%zu vs %zu bytes)",
					      impl, round, maxcs[c], want.n, got.n);
			}
		}
		san_set_free(set);
	}
	free(t.p);
	free(want.p);
	free(got.p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sanitizer-diff");
	TCase *tc = tcase_create("diff");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_prescan_differential);
	suite_add_tcase(s, tc);
	return s;
}
