/* SPDX-License-Identifier: Apache-2.0 */
/* Differential property test of the sanitizer: random secrets over tiny alphabets, random
 * chunkings from 1 byte to 64 KiB, compared byte for byte with a naive reference model. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

/* ---- reference model ---------------------------------------------------------------------- */
/* Every occurrence of every pattern at every position, plus the fail-closed partial at the end;
 * overlapping or adjacent spans merge; a merged span is named by its first occurrence in the
 * order (start ascending, complete before partial, longer first, lower secret index first). */

struct pat {
	uint8_t *p;
	size_t n;
	uint16_t label;
};
struct pats {
	struct pat *v;
	size_t n, cap;
	uint16_t label;
};

static int collect(void *ctx, const uint8_t *p, size_t n)
{
	struct pats *ps = ctx;
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].n == n && !memcmp(ps->v[i].p, p, n))
			return 0; /* first secret keeps an equal string */
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->v = realloc(ps->v, ps->cap * sizeof(*ps->v));
		ck_assert_ptr_nonnull(ps->v);
	}
	ps->v[ps->n].p = malloc(n);
	memcpy(ps->v[ps->n].p, p, n);
	ps->v[ps->n].n = n;
	ps->v[ps->n].label = ps->label;
	ps->n++;
	return 0;
}

struct occ {
	size_t s, e;
	int partial;
	uint16_t label;
};

static int occ_cmp(const void *a, const void *b)
{
	const struct occ *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->partial != y->partial)
		return x->partial - y->partial;
	if (x->e != y->e)
		return x->e > y->e ? -1 : 1;
	return (int)x->label - (int)y->label;
}

static void reference(const struct pats *ps, const struct san_set *set, const uint8_t *t, size_t n,
		      struct buf *out)
{
	size_t cap = 1024, no = 0;
	struct occ *o = malloc(cap * sizeof(*o));
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < ps->n; k++) {
			const struct pat *p = &ps->v[k];
			if (p->n <= n - i && !memcmp(t + i, p->p, p->n)) {
				if (no == cap)
					o = realloc(o, (cap *= 2) * sizeof(*o));
				o[no++] = (struct occ){ i, i + p->n, 0, p->label };
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t d = n - i, mmin = SIZE_MAX;
		uint16_t lab = UINT16_MAX;
		for (size_t k = 0; k < ps->n; k++) {
			const struct pat *p = &ps->v[k];
			if (p->n > d && !memcmp(p->p, t + i, d)) {
				if (p->n < mmin || (p->n == mmin && p->label < lab)) {
					mmin = p->n;
					lab = p->label;
				}
			}
		}
		if (mmin != SIZE_MAX && d >= (SAN_REVEAL_LEN < (mmin + 1) / 2 ? SAN_REVEAL_LEN : (mmin + 1) / 2)) {
			if (no == cap)
				o = realloc(o, (cap *= 2) * sizeof(*o));
			o[no++] = (struct occ){ i, n, 1, lab };
			break;
		}
	}
	qsort(o, no, sizeof(*o), occ_cmp);
	size_t pos = 0;
	for (size_t k = 0; k < no;) {
		size_t s = o[k].s, e = o[k].e;
		uint16_t lab = o[k].label;
		k++;
		while (k < no && o[k].s <= e) {
			if (o[k].e > e)
				e = o[k].e;
			k++;
		}
		buf_append(out, t + pos, s - pos);
		buf_printf(out, "[REDACTED:%s]", san_set_name(set, lab));
		pos = e;
	}
	buf_append(out, t + pos, n - pos);
	free(o);
}

/* ---- system under test -------------------------------------------------------------------- */

static int to_buf(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n);
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	/* xorshift64*: deterministic from the seed so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static void run_chunked(const struct san_set *set, const uint8_t *t, size_t n, size_t maxchunk,
			struct buf *out)
{
	struct san_stream *st = san_stream_new(set);
	ck_assert_ptr_nonnull(st);
	for (size_t i = 0; i < n;) {
		size_t c = 1 + rnd() % maxchunk;
		if (c > n - i)
			c = n - i;
		ck_assert_int_eq(san_feed(st, t + i, c, to_buf, out), 0);
		/* memory per stream stays bounded by the longest pattern */
		ck_assert_uint_le(san_stream_stored(st), set->max_depth);
		i += c;
	}
	ck_assert_int_eq(san_finish(st, to_buf, out), 0);
	ck_assert_uint_eq(san_stream_pending(st), 0);
	san_stream_free(st);
}

static size_t min_secret = SAN_MIN_SECRET_LEN, spread_secret = 6;

static void one_round(const char *alpha, size_t nalpha, size_t nsec, size_t textlen, size_t maxchunk)
{
	struct san_set *set = san_set_new();
	struct pats ps = { 0 };
	char name[32];
	uint8_t val[64];
	for (size_t k = 0; k < nsec; k++) {
		size_t l = min_secret + rnd() % spread_secret;
		for (size_t j = 0; j < l; j++)
			val[j] = (uint8_t)alpha[rnd() % nalpha];
		snprintf(name, sizeof(name), "S%zu", k);
		ck_assert_int_eq(san_set_add(set, name, val, l), 0);
		ps.label = (uint16_t)k;
		ck_assert_int_eq(san_variants(val, l, collect, &ps), 0);
	}
	ck_assert_int_eq(san_set_compile(set), 0);
	uint8_t *t = malloc(textlen + 1);
	for (size_t j = 0; j < textlen; j++)
		t[j] = (uint8_t)alpha[rnd() % nalpha];
	struct buf want = BUF_INIT, got1 = BUF_INIT, got2 = BUF_INIT;
	reference(&ps, set, t, textlen, &want);
	run_chunked(set, t, textlen, maxchunk, &got1);
	run_chunked(set, t, textlen, 1 + rnd() % 7, &got2);
	if (want.len != got1.len || memcmp(want.data, got1.data, want.len)) {
		fprintf(stderr, "seed mismatch\ntext: %.*s\nwant: %s\ngot:  %s\n", (int)textlen, t,
			want.data, got1.data);
		ck_abort_msg("reference differs");
	}
	ck_assert_uint_eq(got2.len, want.len);
	ck_assert_mem_eq(got2.data, want.data, want.len);
	buf_release(&want);
	buf_release(&got1);
	buf_release(&got2);
	free(t);
	for (size_t k = 0; k < ps.n; k++)
		free(ps.v[k].p);
	free(ps.v);
	san_set_free(set);
}

START_TEST(test_property_ab)
{
	rng_state = 0x5eed0001;
	for (int it = 0; it < 3000; it++)
		one_round("ab", 2, 1 + rnd() % 4, 1 + rnd() % 200, 1 + rnd() % 16);
}
END_TEST

START_TEST(test_property_abc)
{
	rng_state = 0x5eed0002;
	for (int it = 0; it < 2000; it++)
		one_round("abc", 3, 1 + rnd() % 6, 1 + rnd() % 300, 1 + rnd() % 64);
}
END_TEST

START_TEST(test_property_binary)
{
	/* NUL, newline, quote and high bytes: encodings of these are multi-byte */
	static const char al[] = { 0, '\n', '\'', '"', 'a', (char)0xc3, (char)0xa9, '%' };
	rng_state = 0x5eed0003;
	for (int it = 0; it < 1500; it++)
		one_round(al, sizeof(al), 1 + rnd() % 3, 1 + rnd() % 200, 1 + rnd() % 32);
}
END_TEST

START_TEST(test_property_large_chunks)
{
	/* long texts with chunks up to 64 KiB */
	rng_state = 0x5eed0004;
	for (int it = 0; it < 12; it++)
		one_round("ab", 2, 2, 20000 + rnd() % 60000, 65536);
}
END_TEST

START_TEST(test_property_stride)
{
	/* Longer secrets: the prefilter samples every k-th position with 4- and 8-byte grams. */
	rng_state = 0x5eed0005;
	min_secret = 8;
	spread_secret = 16;
	for (int it = 0; it < 2000; it++)
		one_round("ab", 2, 1 + rnd() % 3, 1 + rnd() % 400, 1 + rnd() % 40);
	rng_state = 0x5eed0006;
	for (int it = 0; it < 500; it++)
		one_round("abc", 3, 1 + rnd() % 3, 1 + rnd() % 400, 1 + rnd() % 40);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sanitizer-property");
	TCase *tc = tcase_create("property");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_property_ab);
	tcase_add_test(tc, test_property_abc);
	tcase_add_test(tc, test_property_binary);
	tcase_add_test(tc, test_property_large_chunks);
	tcase_add_test(tc, test_property_stride);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
