/* SPDX-License-Identifier: Apache-2.0 */
/* Differential property test of the sanitizer: random secrets over tiny alphabets, random texts
 * full of escapes, terminal sequences and line breaks, random chunkings from 1 byte to 64 KiB,
 * compared byte for byte with a naive reference model of both views (raw bytes and decoded view)
 * and of the extension of long forms from their keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"
#include "tests/unit/unit.h"

/* ---- reference model ---------------------------------------------------------------------- */
/* Every occurrence of every whole form and key at every position of each view, each key's
 * extension over the symbols that agree with the rest of its form, plus the fail-closed partial
 * at the end of each view; overlapping or adjacent spans merge; a merged span is named by its
 * first occurrence in the order (start ascending, complete before partial, longer first, lower
 * secret index first). The decoded view is san_decode_text's, a plain sequential decoder. */

struct pat {
	uint8_t *p;
	size_t n;
	uint16_t label;
	uint32_t *keys; /* key indexes with these bytes */
	size_t nkeys;
};
struct pats {
	struct pat *v;
	size_t n, cap;
	uint16_t label;
};

static struct pat *pat_add(struct pats *ps, const uint8_t *p, size_t n, uint16_t label)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].n == n && !memcmp(ps->v[i].p, p, n))
			return &ps->v[i]; /* first secret keeps an equal string */
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->v = realloc(ps->v, ps->cap * sizeof(*ps->v));
		ck_assert_ptr_nonnull(ps->v);
	}
	struct pat *t = &ps->v[ps->n++];
	*t = (struct pat){ .p = malloc(n), .n = n, .label = label };
	memcpy(t->p, p, n);
	return t;
}

static int collect(void *ctx, const struct san_form_out *f)
{
	struct pats *ps = ctx;
	if (f->len <= SAN_WHOLE_MAX)
		pat_add(ps, f->p, f->len, ps->label);
	return 0;
}

static void collect_keys(struct pats *ps, const struct san_set *set)
{
	for (size_t k = 0; k < set->nkeys; k++) {
		const struct san_key *key = &set->keys[k];
		const struct san_form *f = &set->forms[key->form];
		uint8_t b[SAN_KEY_LEN];
		for (size_t i = 0; i < SAN_KEY_LEN; i++)
			b[i] = san_form_byte(set->arena, f, key->off + i);
		struct pat *t = pat_add(ps, b, SAN_KEY_LEN, f->label);
		t->keys = realloc(t->keys, (t->nkeys + 1) * sizeof(uint32_t));
		t->keys[t->nkeys++] = (uint32_t)k;
	}
}

static void pats_free(struct pats *ps)
{
	for (size_t k = 0; k < ps->n; k++) {
		free(ps->v[k].p);
		free(ps->v[k].keys);
	}
	free(ps->v);
}

struct occ {
	size_t s, e;
	int partial;
	uint16_t label;
};
struct occs {
	struct occ *v;
	size_t n, cap;
};

static void occ_add(struct occs *o, size_t s, size_t e, int partial, uint16_t label)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		o->v = realloc(o->v, o->cap * sizeof(*o->v));
		ck_assert_ptr_nonnull(o->v);
	}
	o->v[o->n++] = (struct occ){ s, e, partial, label };
}

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

/* All occurrences in one view: m symbols s with source spans [src[i], src_end[i]); the text is
 * n bytes long. Keys extend as the matcher does it: key occurrences in the order of their last
 * symbol (equal keys newest first), one extension per form at a time (a key of a form whose
 * extension is still going on after this symbol starts none). */
static void view_occs(const struct pats *ps, const struct san_set *set, const uint8_t *s,
		      const uint32_t *src, const uint32_t *src_end, size_t m, size_t n,
		      struct occs *o)
{
	size_t nf = set->nforms ? set->nforms : 1;
	size_t *j0 = calloc(nf, sizeof(size_t)), *last = calloc(nf, sizeof(size_t));
	bool *done = calloc(nf, sizeof(bool)), *live = calloc(nf, sizeof(bool));
	for (size_t a = 0; a < m; a++) {
		for (size_t k = 0; k < ps->n; k++) {
			const struct pat *p = &ps->v[k];
			if (p->n > m - a || memcmp(s + a, p->p, p->n))
				continue;
			occ_add(o, src[a], src_end[a + p->n - 1], 0, p->label);
		}
	}
	for (size_t j = SAN_KEY_LEN - 1; j < m; j++) {
		size_t a = j + 1 - SAN_KEY_LEN;
		for (size_t k = 0; k < ps->n; k++) {
			const struct pat *p = &ps->v[k];
			if (!p->nkeys || memcmp(s + a, p->p, SAN_KEY_LEN))
				continue;
			for (size_t q = p->nkeys; q-- > 0;) {
				const struct san_key *key = &set->keys[p->keys[q]];
				const struct san_form *f = &set->forms[key->form];
				size_t fi = key->form, e = j + 1, off = key->off + SAN_KEY_LEN;
				if (off >= f->len)
					continue;
				if (live[fi] && (j0[fi] == j || (j0[fi] < j && j <= last[fi] &&
								 !(done[fi] && j == last[fi]))))
					continue;
				while (e < m && off < f->len &&
				       s[e] == san_form_byte(set->arena, f, off))
					e++, off++;
				live[fi] = true;
				j0[fi] = j;
				last[fi] = e - 1;
				done[fi] = off == f->len;
				occ_add(o, src[a], src_end[e - 1], 0, f->label);
			}
		}
	}
	free(j0);
	free(last);
	free(done);
	free(live);
	for (size_t a = 0; a < m; a++) {
		size_t d = m - a, mmin = SIZE_MAX;
		uint16_t lab = UINT16_MAX;
		for (size_t k = 0; k < ps->n; k++) {
			const struct pat *p = &ps->v[k];
			if (p->n > d && !memcmp(p->p, s + a, d)) {
				if (p->n < mmin || (p->n == mmin && p->label < lab)) {
					mmin = p->n;
					lab = p->label;
				}
			}
		}
		if (mmin != SIZE_MAX &&
		    d >= (SAN_REVEAL_LEN < (mmin + 1) / 2 ? SAN_REVEAL_LEN : (mmin + 1) / 2)) {
			occ_add(o, src[a], n, 1, lab);
			break;
		}
	}
}

static void reference(const struct pats *ps, const struct san_set *set, const uint8_t *t, size_t n,
		      struct buf *out)
{
	struct occs o = { 0 };
	uint8_t *ds = malloc(n + 1);
	uint32_t *src = malloc((n + 1) * sizeof(uint32_t)),
		 *src_end = malloc((n + 1) * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++)
		src[i] = (uint32_t)i, src_end[i] = (uint32_t)i + 1;
	view_occs(ps, set, t, src, src_end, n, n, &o);
	size_t m = san_decode_text(t, n, 0, ds, src, src_end);
	view_occs(ps, set, ds, src, src_end, m, n, &o);
	if (o.n)
		qsort(o.v, o.n, sizeof(*o.v), occ_cmp);
	size_t pos = 0;
	for (size_t k = 0; k < o.n;) {
		size_t s = o.v[k].s, e = o.v[k].e;
		uint16_t lab = o.v[k].label;
		k++;
		while (k < o.n && o.v[k].s <= e) {
			if (o.v[k].e > e)
				e = o.v[k].e;
			k++;
		}
		buf_append(out, t + pos, s - pos);
		buf_printf(out, "[REDACTED:%s]", san_set_name(set, lab));
		pos = e;
	}
	buf_append(out, t + pos, n - pos);
	free(o.v);
	free(ds);
	free(src);
	free(src_end);
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
		/* memory per stream stays bounded: the longest pattern's source (escapes make a
		 * symbol's source longer) and a pending escape */
		ck_assert_uint_le(san_stream_stored(st),
				  (set->max_depth + 1) * 16 + 2 * SAN_ESC_MAX);
		i += c;
	}
	ck_assert_int_eq(san_finish(st, to_buf, out), 0);
	ck_assert_uint_eq(san_stream_pending(st), 0);
	ck_assert_uint_eq(san_stream_overflows(st), 0);
	san_stream_free(st);
}

/* The secrets of the current set, for the failure report. */
static uint8_t last_val[4][2048];
static size_t last_len[4];

static void show(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu): ", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\' ? "%c" : "\\x%02x",
			p[i]);
	fprintf(stderr, "\n");
}

static bool same_buf(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data, a->len));
}

static void check_text(const struct pats *ps, const struct san_set *set, const uint8_t *t, size_t n,
		       size_t maxchunk, uint64_t seed)
{
	struct buf want = BUF_INIT, got1 = BUF_INIT, got2 = BUF_INIT;
	reference(ps, set, t, n, &want);
	run_chunked(set, t, n, maxchunk, &got1);
	run_chunked(set, t, n, 1 + rnd() % 7, &got2);
	if (!same_buf(&want, &got1) || !same_buf(&want, &got2)) {
		fprintf(stderr, "seed %#llx\n", (unsigned long long)seed);
		for (size_t i = 0; i < san_set_size(set) && i < 4; i++)
			show("secret", last_val[i], last_len[i]);
		show("text", t, n);
		if (getenv("SAN_PROPERTY_DUMP")) { /* for replaying a failure outside the test */
			FILE *f = fopen(getenv("SAN_PROPERTY_DUMP"), "w");
			if (f) {
				for (size_t i = 0; i < san_set_size(set) && i < 4; i++) {
					fprintf(f, "%zu\n", last_len[i]);
					fwrite(last_val[i], 1, last_len[i], f);
				}
				fprintf(f, "0\n");
				fwrite(t, 1, n, f);
				fclose(f);
			}
		}
		show("want", (const uint8_t *)want.data, want.len);
		show("got1", (const uint8_t *)got1.data, got1.len);
		show("got2", (const uint8_t *)got2.data, got2.len);
		ck_abort_msg("reference differs");
	}
	buf_release(&want);
	buf_release(&got1);
	buf_release(&got2);
}

static size_t min_secret = SAN_MIN_SECRET_LEN, spread_secret = 6;

/* Back to the secret lengths the other tests expect. */
static void default_lengths(void)
{
	min_secret = SAN_MIN_SECRET_LEN;
	spread_secret = 6;
}

static struct san_set *make_set(const char *alpha, size_t nalpha, size_t nsec, struct pats *ps)
{
	struct san_set *set = san_set_new();
	char name[32];
	uint8_t val[2048];
	uint8_t *scratch = malloc(san_forms_scratch(sizeof(val)));
	for (size_t k = 0; k < nsec; k++) {
		size_t l = min_secret + rnd() % spread_secret;
		for (size_t j = 0; j < l; j++)
			val[j] = (uint8_t)alpha[rnd() % nalpha];
		snprintf(name, sizeof(name), "S%zu", k);
		ck_assert_int_eq(san_set_add(set, name, val, l), 0);
		if (k < 4) {
			memcpy(last_val[k], val, l);
			last_len[k] = l;
		}
		ps->label = (uint16_t)k;
		ck_assert_int_eq(san_forms(val, l, scratch, collect, ps), 0);
	}
	free(scratch);
	ck_assert_int_eq(san_set_compile(set), 0);
	collect_keys(ps, set);
	return set;
}

static void one_round(const char *alpha, size_t nalpha, size_t nsec, size_t textlen,
		      size_t maxchunk)
{
	uint64_t seed = rng_state;
	struct pats ps = { 0 };
	struct san_set *set = make_set(alpha, nalpha, nsec, &ps);
	uint8_t *t = malloc(textlen + 1);
	for (size_t j = 0; j < textlen; j++)
		t[j] = (uint8_t)alpha[rnd() % nalpha];
	check_text(&ps, set, t, textlen, maxchunk, seed);
	free(t);
	pats_free(&ps);
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
	default_lengths();
}
END_TEST

/* ---- texts made of escapes -----------------------------------------------------------------
 * Tokens that the decoded view turns into a, b or nothing, in all the forms the decoder knows,
 * so that secrets over {a, b} occur across escapes, terminal sequences and run line breaks. */
static const char *const tokens[] = {
	"a",
	"b",
	"a",
	"b",
	"a",
	"b",
	"a",
	"b",
	"\\x61",
	"\\x62",
	"%61",
	"%62",
	"%6",
	"&#97;",
	"&#x62;",
	"&#X61;",
	"\\u0061",
	"\\u0062",
	"\\u{62}",
	"\\U00000061",
	"\\141",
	"\\142",
	"%u0061",
	"&amp;",
	"&",
	"&#;",
	"\\",
	"%",
	"\x1b[0m",
	"\x1b[01;31m",
	"\x1b]0;ab\x07",
	"\x1b]0;x\x1b\\",
	"\x1bPq\x1b\\",
	"\x1b(B",
	"\x1b",
	"\x1b[",
	"\r\n",
	"\n",
	"\r",
	"\\n",
	"%0a",
	"&#10;",
	"'\\''",
	"'\"'\"'",
	"'",
	"aaaaaaaaaaaaaaaaaaaaaaaa\n",
	"abababababababababababab\r\n",
	"bbbbbbbbbbbbbbbbbbbbbbbb\r\r\n",
	"\r\r",
	"\\\\",
	"\\b",
	"\\a",
	"\\ud83d\\udd11",
	"\\udc80",
	"\\ud800",
	"\xc3\xa9",
	"\\u00e9",
	"%C3%A9",
	"&lt;",
	"<",
};

static size_t gen_text(uint8_t *t, size_t cap)
{
	size_t n = 0;
	const size_t ntok = sizeof(tokens) / sizeof(tokens[0]);
	while (n < cap) {
		const char *k = tokens[rnd() % ntok];
		size_t l = strlen(k);
		if (l > cap - n)
			break;
		memcpy(t + n, k, l);
		n += l;
	}
	return n;
}

START_TEST(test_property_escapes)
{
	static const char al[] = "ab";
	rng_state = 0x5eed0007;
	for (int it = 0; it < 3000; it++) {
		uint64_t seed = rng_state;
		struct pats ps = { 0 };
		min_secret = 4 + rnd() % 8;
		spread_secret = 1 + rnd() % 12;
		struct san_set *set = make_set(al, 2, 1 + rnd() % 3, &ps);
		uint8_t t[1200];
		size_t n = gen_text(t, 1 + rnd() % sizeof(t));
		check_text(&ps, set, t, n, 1 + rnd() % 64, seed);
		pats_free(&ps);
		san_set_free(set);
	}
	default_lengths();
}
END_TEST

START_TEST(test_property_escaped_secrets)
{
	/* Secrets that contain escapes and line breaks themselves: their decoded and line-break
	 * free forms are registered as well. */
	static const char al[] = { 'a',	 'b',  '\\', 'x', '6', '1', '%',
				   '\n', '\r', '&',  '#', ';', ' ' };
	rng_state = 0x5eed0008;
	for (int it = 0; it < 2000; it++) {
		uint64_t seed = rng_state;
		struct pats ps = { 0 };
		min_secret = 4;
		spread_secret = 10;
		struct san_set *set = make_set(al, sizeof(al), 1 + rnd() % 2, &ps);
		uint8_t t[600];
		size_t n = 0;
		while (n < 500) {
			if (rnd() % 3) {
				n += gen_text(t + n, 1 + rnd() % 20);
			} else {
				for (size_t j = 1 + rnd() % 10; j-- > 0;)
					t[n++] = (uint8_t)al[rnd() % sizeof(al)];
			}
		}
		check_text(&ps, set, t, n, 1 + rnd() % 48, seed);
		pats_free(&ps);
		san_set_free(set);
	}
	default_lengths();
}
END_TEST

/* Rule 4 at its edges, at every position of the LF within a 64-byte word of the pre-scan (the
 * run and the CRs before it then lie in this word, the word before, or both): a secret split by
 * c CRs and a LF, after a run of R bytes. Joined for R >= 24 and c <= SAN_CR_MAX only. */
START_TEST(test_property_run_breaks)
{
	static const char al[] = "ab";
	rng_state = 0x5eed000b;
	min_secret = 40;
	spread_secret = 1;
	struct pats ps = { 0 };
	struct san_set *set = make_set(al, 2, 1, &ps);
	const uint8_t *v = last_val[0];
	for (size_t off = 0; off < 72; off++)
		for (size_t run = SAN_RUN_MIN - 1; run <= SAN_RUN_MIN + 1; run++)
			for (size_t c = 0; c <= SAN_CR_MAX + 2; c++) {
				uint64_t seed = rng_state;
				uint8_t t[256];
				size_t n = 0, cut = 20;
				memset(t, '.', off);
				n = off;
				for (size_t j = cut; j < run; j++)
					t[n++] = (uint8_t)al[rnd() % 2];
				memcpy(t + n, v, cut);
				n += cut;
				memset(t + n, '\r', c);
				n += c;
				t[n++] = '\n';
				memcpy(t + n, v + cut, 40 - cut);
				n += 40 - cut;
				memcpy(t + n, " end\n", 5);
				n += 5;
				check_text(&ps, set, t, n, 1 + rnd() % 80, seed);
			}
	pats_free(&ps);
	san_set_free(set);
	default_lengths();
}
END_TEST

/* Long secrets: forms longer than SAN_WHOLE_MAX are found from keys and extended. The texts
 * splice fragments of the secret's forms (raw, escaped, wrapped, hex, base64) with noise. */
static size_t splice_fragment(const struct san_set *set, uint8_t *t, size_t cap)
{
	const struct san_form *f = &set->forms[rnd() % set->nforms];
	size_t from = rnd() % 3 ? 0 : rnd() % f->len;
	size_t len = 1 + rnd() % (f->len - from);
	size_t n = 0, mode = rnd() % 4;
	for (size_t i = 0; i < len && n + 8 < cap; i++) {
		uint8_t c = san_form_byte(set->arena, f, from + i);
		if (mode == 1 && rnd() % 4 == 0) { /* JSON-style \u escapes */
			n += (size_t)snprintf((char *)t + n, cap - n, "\\u%04x", c);
		} else if (mode == 2 && i % 61 == 60) { /* wrapped at 60 columns */
			t[n++] = c;
			t[n++] = '\n';
		} else if (mode == 3 && rnd() % 97 == 0) { /* an error: the extension stops */
			t[n++] = '!';
		} else {
			t[n++] = c;
		}
	}
	return n;
}

START_TEST(test_property_long)
{
	static const char al[] = "abcdefghijklmnop\n";
	rng_state = 0x5eed0009;
	for (int it = 0; it < 150; it++) {
		uint64_t seed = rng_state;
		struct pats ps = { 0 };
		min_secret = 200;
		spread_secret = 600;
		struct san_set *set = make_set(al, sizeof(al) - 1, 1 + rnd() % 2, &ps);
		ck_assert_uint_gt(set->nkeys, 0);
		static uint8_t t[16384];
		size_t n = 0;
		while (n + 4096 < sizeof(t)) {
			if (rnd() % 2 && set->nforms)
				n += splice_fragment(set, t + n, sizeof(t) - n);
			else
				n += gen_text(t + n, 1 + rnd() % 40);
		}
		check_text(&ps, set, t, n, 1 + rnd() % 4096, seed);
		pats_free(&ps);
		san_set_free(set);
	}
	default_lengths();
}
END_TEST

/* The pre-scan, each implementation the CPU has, against the candidate rule written byte by
 * byte (sanitizer-internal.h, san_scan_words): random words over the bytes that matter (run
 * bytes, other bytes, LF, CR, introducers), with long runs so the 24-byte rule is exercised at
 * every offset and across words. */
static bool ref_run(const uint8_t *t, size_t i, size_t end) /* 24 run bytes end at i - 1 */
{
	if (i < 24)
		return false;
	for (size_t j = i - 24; j < end; j++)
		if (!san_run_alpha(t[j]))
			return false;
	return true;
}

static uint64_t ref_cands(const uint8_t *t, size_t w)
{
	uint64_t m = 0;
	for (size_t b = 0; b < 64; b++) {
		size_t i = 64 * w + b;
		uint8_t c = t[i];
		bool last = b == 63, next_run = last || san_run_alpha(t[i + 1]);
		bool cand = c == 0x1B || c == '\\' || c == '%' || c == '&' || c == '\'';
		if (c == '\n') {
			bool cr1 = i >= 1 && t[i - 1] == '\r',
			     cr2 = cr1 && i >= 2 && t[i - 2] == '\r';
			cand |= next_run && ref_run(t, i, i);
			cand |= next_run && cr1 && ref_run(t, i - 1, i - 1);
			cand |= cr2;
		}
		if (c == '\r')
			cand |= last || t[i + 1] == '\n' || t[i + 1] == '\r';
		m |= cand ? (uint64_t)1 << b : 0;
	}
	return m;
}

START_TEST(test_prescan)
{
	static const char pick[] = "AZaz09+/=Qx-_ .:\n\r\x1b\\%&'";
	static uint8_t t[64 * 64];
	rng_state = 0x5CA77E57;
	for (unsigned round = 0; round < 800; round++) {
		/* rounds from 400 on: text with runs shorter than 24 and rare candidates, so that
		 * whole batches of words (scan_avx512_batch) hold none and are skipped */
		for (size_t i = 0; round >= 400 && i < sizeof(t);) {
			size_t run = rnd() % 26, every = round < 600 ? 3000 : 300;
			for (size_t k = 0; k < run && i < sizeof(t); k++)
				t[i++] = (uint8_t)pick[rnd() % 9];
			if (i < sizeof(t))
				t[i++] = rnd() % 5 ? ' ' : '\n';
			if (rnd() % every == 0 && i < sizeof(t))
				t[i++] = (uint8_t)pick[9 + rnd() % (sizeof(pick) - 10)];
		}
		for (size_t i = 0; round < 400 && i < sizeof(t);) {
			/* a run of run bytes of random length, then a few other bytes */
			size_t run = rnd() % 70;
			for (size_t k = 0; k < run && i < sizeof(t); k++)
				t[i++] = (uint8_t)pick[rnd() % 9];
			size_t other = 1 + rnd() % 3;
			for (size_t k = 0; k < other && i < sizeof(t); k++)
				t[i++] = (uint8_t)pick[rnd() % (sizeof(pick) - 1)];
		}
		for (unsigned impl = 0; impl < 5; impl++) {
			struct san_runs rs = { 0, 0 };
			struct san_word m;
			uint64_t cand;
			size_t w = 0, nw = sizeof(t) / 64;
			while (w < nw) {
				size_t k = san_scan_words_impl(impl, t + 64 * w, nw - w, &rs, &m,
							       &cand);
				if (k == SIZE_MAX)
					break; /* not on this CPU */
				for (size_t j = w; j < w + k; j++)
					ck_assert_msg(ref_cands(t, j) == 0,
						      "impl %u round %u word %zu: missed", impl,
						      round, j);
				w += k;
				if (w == nw)
					break;
				ck_assert_msg(cand == ref_cands(t, w),
					      "impl %u round %u word %zu: %016llx != %016llx", impl,
					      round, w, (unsigned long long)cand,
					      (unsigned long long)ref_cands(t, w));
				san_runs_step(&rs, &m);
				w++;
			}
		}
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("sanitizer-property");
	TCase *tc = tcase_create("property");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_property_ab);
	tcase_add_test(tc, test_property_abc);
	tcase_add_test(tc, test_property_binary);
	tcase_add_test(tc, test_property_large_chunks);
	tcase_add_test(tc, test_property_stride);
	tcase_add_test(tc, test_property_escapes);
	tcase_add_test(tc, test_property_escaped_secrets);
	tcase_add_test(tc, test_property_long);
	tcase_add_test(tc, test_property_run_breaks);
	tcase_add_test(tc, test_prescan);
	suite_add_tcase(s, tc);
	return s;
}
