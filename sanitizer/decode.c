/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: the decoded view of output (rules in sanitizer-internal.h): the escape grammar, the
 * pre-scan that classifies 64 bytes at a time, and a plain sequential decoder for whole texts. */
#include <errno.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "sanitizer/sanitizer-internal.h"

#define I_ SAN_C_INTRO
#define A_ SAN_C_ALPHA
const uint8_t san_class[256] = {
	['\n'] = SAN_C_LF,  ['\r'] = SAN_C_CR,	[0x1b] = I_, ['\\'] = I_,
	['%'] = I_,	    ['&'] = I_,		['\''] = I_, ['A' ... 'Z'] = A_,
	['a' ... 'z'] = A_, ['0' ... '9'] = A_, ['+'] = A_,  ['/'] = A_,
	['='] = A_,
};
#undef I_
#undef A_

/* ---- the escape grammar ------------------------------------------------------------------- */

/* Bytes at p as far as they are known: a read past avail answers -1 and, unless at end of
 * input, records that the answer depends on bytes still to come. Every decision below is taken
 * only after checking that flag, so the result never depends on how the input was chunked. */
struct rd {
	const uint8_t *p;
	size_t avail;
	bool eof, more;
	bool keep_crlf;
};

static int at(struct rd *r, size_t i)
{
	if (i < r->avail)
		return r->p[i];
	if (!r->eof)
		r->more = true;
	return -1;
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_byte(struct rd *r, struct san_ev *ev, unsigned b)
{
	ev->nsym = 0;
	if ((b == '\r' || b == '\n') && !r->keep_crlf)
		return; /* a line break an escape stands for is not part of the view */
	ev->sym[0] = (uint8_t)b;
	ev->nsym = 1;
}

/* A code point as UTF-8; false when it is not a scalar value. */
static bool put_cp(struct rd *r, struct san_ev *ev, uint32_t cp)
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return false;
	if (cp < 0x80) {
		put_byte(r, ev, cp);
	} else if (cp < 0x800) {
		ev->sym[0] = (uint8_t)(0xC0 | cp >> 6);
		ev->sym[1] = (uint8_t)(0x80 | (cp & 0x3F));
		ev->nsym = 2;
	} else if (cp < 0x10000) {
		ev->sym[0] = (uint8_t)(0xE0 | cp >> 12);
		ev->sym[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		ev->sym[2] = (uint8_t)(0x80 | (cp & 0x3F));
		ev->nsym = 3;
	} else {
		ev->sym[0] = (uint8_t)(0xF0 | cp >> 18);
		ev->sym[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		ev->sym[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		ev->sym[3] = (uint8_t)(0x80 | (cp & 0x3F));
		ev->nsym = 4;
	}
	return true;
}

/* n hex digits at i into *v: 1 yes, 0 no, -1 not known yet. */
static int hexn(struct rd *r, size_t i, unsigned n, uint32_t *v)
{
	uint32_t x = 0;
	for (unsigned k = 0; k < n; k++) {
		int h = hexv(at(r, i + k));
		if (r->more)
			return -1;
		if (h < 0)
			return 0;
		x = x << 4 | (uint32_t)h;
	}
	*v = x;
	return 1;
}

/* The literal string s (n bytes) at i: 1 yes, 0 no, -1 not known yet. */
static int lit(struct rd *r, size_t i, const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int c = at(r, i + k);
		if (r->more)
			return -1;
		if (c != (uint8_t)s[k])
			return 0;
	}
	return 1;
}

/* Rule 1: ESC and what a terminal consumes with it. Shows nothing. */
static int esc_seq(struct rd *r, struct san_ev *ev)
{
	size_t i;
	int c = at(r, 1), b;
	ev->nsym = 0;
	if (r->more)
		return -EAGAIN;
	if (c == '[') { /* CSI: parameter and intermediate bytes, then a final byte */
		for (i = 2; i < SAN_ESC_MAX; i++) {
			b = at(r, i);
			if (r->more)
				return -EAGAIN;
			if (b < 0)
				return (int)i;
			if (b >= 0x40 && b <= 0x7E)
				return (int)i + 1;
			if (b < 0x20 || b > 0x3F)
				return (int)i; /* a control or other byte ends it, and shows */
		}
		return 0;
	}
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
		/* OSC (ends with BEL or ST) and the other strings (ST); CAN and SUB cancel them, and
		 * another ESC starts a new sequence. */
		for (i = 2; i < SAN_ESC_MAX; i++) {
			b = at(r, i);
			if (r->more)
				return -EAGAIN;
			if (b < 0)
				return (int)i;
			if ((b == 0x07 && c == ']') || b == 0x18 || b == 0x1A)
				return (int)i + 1;
			if (b == 0x1B) {
				int b2 = at(r, i + 1);
				if (r->more)
					return -EAGAIN;
				return b2 == '\\' ? (int)i + 2 : (int)i;
			}
		}
		return 0;
	}
	if (c >= 0x20 && c <= 0x2F) { /* nF: intermediates, then a final byte */
		for (i = 2; i < 16; i++) {
			b = at(r, i);
			if (r->more)
				return -EAGAIN;
			if (b < 0x20 || b > 0x7E)
				return (int)i;
			if (b >= 0x30)
				return (int)i + 1;
		}
		return (int)i;
	}
	if (c >= 0x30 && c <= 0x7E)
		return 2;
	return 1; /* ESC before a control, DEL, a non-ASCII byte or the end: the ESC alone */
}

static int backslash(struct rd *r, struct san_ev *ev)
{
	static const char simple[] = "abtnvfreE";
	static const uint8_t value[] = { 7, 8, 9, 10, 11, 12, 13, 0x1B, 0x1B };
	uint32_t u = 0, lo = 0;
	int c = at(r, 1), k;
	if (r->more)
		return -EAGAIN;
	if (c < 0)
		return 0;
	const char *s = c ? strchr(simple, c) : NULL;
	if (s) {
		put_byte(r, ev, value[s - simple]);
		return 2;
	}
	if (c == 'x') { /* \xH or \xHH */
		int h1 = hexv(at(r, 2));
		if (r->more)
			return -EAGAIN;
		if (h1 >= 0) {
			int h2 = hexv(at(r, 3));
			if (r->more)
				return -EAGAIN;
			if (h2 < 0) {
				put_byte(r, ev, (unsigned)h1);
				return 3;
			}
			put_byte(r, ev, (unsigned)(h1 * 16 + h2));
			return 4;
		}
	} else if (c == 'u' && at(r, 2) == '{') { /* \u{H...} (JavaScript, Rust) */
		uint32_t v = 0;
		size_t i = 3;
		for (; i < 10; i++) {
			int h = hexv(at(r, i));
			if (r->more)
				return -EAGAIN;
			if (h < 0)
				break;
			v = v << 4 | (uint32_t)h;
		}
		int close = at(r, i);
		if (r->more)
			return -EAGAIN;
		if (i > 3 && i < 10 && close == '}' && put_cp(r, ev, v))
			return (int)i + 1;
	} else if (c == 'u') { /* \uHHHH, surrogate pairs; \udc80-\udcff is a raw byte (Python) */
		if (r->more)
			return -EAGAIN;
		if ((k = hexn(r, 2, 4, &u)) < 0)
			return -EAGAIN;
		if (k) {
			if (u >= 0xD800 && u <= 0xDBFF) {
				int l1 = lit(r, 6, "\\u", 2);
				if (l1 < 0)
					return -EAGAIN;
				if (l1 && (k = hexn(r, 8, 4, &lo)) < 0)
					return -EAGAIN;
				if (l1 && k && lo >= 0xDC00 && lo <= 0xDFFF &&
				    put_cp(r, ev, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)))
					return 12;
			} else if (u >= 0xDC80 && u <= 0xDCFF) {
				put_byte(r, ev, u - 0xDC00);
				return 6;
			} else if (put_cp(r, ev, u)) {
				return 6;
			}
		}
	} else if (c == 'U') { /* \UHHHHHHHH (Python, bash) */
		if ((k = hexn(r, 2, 8, &u)) < 0)
			return -EAGAIN;
		if (k && put_cp(r, ev, u))
			return 10;
	} else if (c >= '0' && c <= '7') { /* \N, \NN, \NNN octal (bash $'...', printf %q) */
		unsigned v = (unsigned)(c - '0');
		size_t i = 2;
		for (; i < 4; i++) {
			int d = at(r, i);
			if (r->more)
				return -EAGAIN;
			if (d < '0' || d > '7')
				break;
			v = v * 8 + (unsigned)(d - '0');
		}
		put_byte(r, ev, v & 0xFF);
		return (int)i;
	}
	put_byte(r, ev, (unsigned)c); /* \c: the character itself (\\ \" \' \/ \$ \  ...) */
	return 2;
}

static int percent(struct rd *r, struct san_ev *ev)
{
	uint32_t u;
	int k, c = at(r, 1);
	if (r->more)
		return -EAGAIN;
	if (c == 'u' || c == 'U') { /* %uHHHH (JavaScript escape()) */
		if ((k = hexn(r, 2, 4, &u)) < 0)
			return -EAGAIN;
		return k && put_cp(r, ev, u) ? 6 : 0;
	}
	if ((k = hexn(r, 1, 2, &u)) < 0)
		return -EAGAIN;
	if (!k)
		return 0;
	put_byte(r, ev, u);
	return 3;
}

static int entity(struct rd *r, struct san_ev *ev)
{
	static const struct {
		const char *name;
		uint8_t c;
	} named[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' }
	};
	int c = at(r, 1);
	if (r->more)
		return -EAGAIN;
	if (c == '#') { /* &#NN; and &#xHH; */
		int x = at(r, 2);
		if (r->more)
			return -EAGAIN;
		bool hex = x == 'x' || x == 'X';
		size_t i = hex ? 3 : 2, max = hex ? 6 : 7, nd = 0;
		uint32_t v = 0;
		for (; nd <= max; i++, nd++) {
			int d = at(r, i);
			if (r->more)
				return -EAGAIN;
			int dv = hex ? hexv(d) : (d >= '0' && d <= '9' ? d - '0' : -1);
			if (dv < 0)
				break;
			v = v * (hex ? 16u : 10u) + (uint32_t)dv;
		}
		int semi = at(r, i);
		if (r->more)
			return -EAGAIN;
		if (nd == 0 || nd > max || semi != ';' || !put_cp(r, ev, v))
			return 0;
		return (int)i + 1;
	}
	for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
		int m = lit(r, 1, named[k].name, strlen(named[k].name));
		if (m < 0)
			return -EAGAIN;
		if (m) {
			put_byte(r, ev, named[k].c);
			return 1 + (int)strlen(named[k].name);
		}
	}
	return 0;
}

/* The shell's way to put ' inside '...': '\'' (bash -x, printf %q) and '"'"' (shlex.quote). */
static int quote(struct rd *r, struct san_ev *ev)
{
	int m = lit(r, 1, "\\''", 3);
	if (m < 0)
		return -EAGAIN;
	if (m) {
		put_byte(r, ev, '\'');
		return 4;
	}
	m = lit(r, 1, "\"'\"'", 4);
	if (m < 0)
		return -EAGAIN;
	if (m) {
		put_byte(r, ev, '\'');
		return 5;
	}
	return 0;
}

int san_decode_esc(const uint8_t *p, size_t avail, bool eof, unsigned flags, struct san_ev *ev)
{
	struct rd r = { .p = p,
			.avail = avail,
			.eof = eof,
			.keep_crlf = (flags & SAN_DECODE_ESCAPES_ONLY) != 0 };
	bool esc_only = r.keep_crlf;
	if (!avail)
		return eof ? 0 : -EAGAIN;
	ev->nsym = 0;
	switch (p[0]) {
	case 0x1B: return esc_only ? 0 : esc_seq(&r, ev);
	case '\\': return backslash(&r, ev);
	case '%': return percent(&r, ev);
	case '&': return entity(&r, ev);
	case '\'': return quote(&r, ev);
	case '\r': { /* rule 3: CRs before a LF (a terminal shows one line break for CR CR LF) */
		if (esc_only)
			return 0;
		for (size_t i = 1; i <= SAN_CR_MAX; i++) {
			int c = at(&r, i);
			if (r.more)
				return -EAGAIN;
			if (c == '\n')
				return 1;
			if (c != '\r')
				return 0;
		}
		return 0;
	}
	default: return 0;
	}
}

/* ---- pre-scan ------------------------------------------------------------------------------
 * The classes by the nibble-table method: a byte is in a class when the table entries of its
 * low and of its high nibble share a bit; each bit is one block of bytes (a set of high nibbles
 * times a set of low nibbles), so eight blocks fit one table pair:
 *   0: A-O a-o   1: P-Z p-z   2: 0-9 =   3: + /   (the run alphabet)
 *   4: ESC       5: backslash 6: % & '              (introducers)   7: LF CR */
static bool use_avx2, use_avx512, use_vbmi;
static bool decode_ready;

#define NIB_LO                                                                        \
	6, 7, 7, 7, 7, 7 | 64, 7 | 64, 7 | 64, 7, 7, (char)(3 | 128), 9 | 16, 1 | 32, \
		(char)(5 | 128), 1, 9
#define NIB_HI (char)128, 16, 8 | 64, 4, 1, 2 | 32, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0

void san_runs_step(struct san_runs *rs, const struct san_word *w)
{
	rs->a = w->alpha;
	rs->c = w->cr;
}

uint64_t san_word_cands(const struct san_runs *rs, const struct san_word *w, uint64_t top)
{
	uint64_t ap = rs->a, cp = rs->c, A = w->alpha, C = w->cr, L = w->lf;
	uint64_t l2 = ap & (ap << 1), l4 = l2 & (l2 << 2), l8 = l4 & (l4 << 4);
	uint64_t l24 = l8 & (l8 << 8) & (l8 << 16);
	uint64_t r2 = A & (A << 1 | ap >> 63);
	uint64_t r4 = r2 & (r2 << 2 | l2 >> 62);
	uint64_t r8 = r4 & (r4 << 4 | l4 >> 60);
	uint64_t r24 = r8 & (r8 << 8 | l8 >> 56) & (r8 << 16 | l8 >> 48);
	uint64_t R1 = r24 << 1 | l24 >> 63, R2 = r24 << 2 | l24 >> 62;
	uint64_t C1 = C << 1 | cp >> 63, C2 = C << 2 | cp >> 62;
	return w->intro | (L & (((R1 | (C1 & R2)) & ((A >> 1) | top)) | (C1 & C2))) |
	       (C & ((L >> 1) | (C >> 1) | top));
}

void san_word_masks(const uint8_t *p, struct san_word *ret_word)
{
	struct san_word k = { 0 };
	for (unsigned i = 0; i < 64; i++) {
		uint64_t c = san_class[p[i]], bit = (uint64_t)1 << i;
		k.intro |= c & SAN_C_INTRO ? bit : 0;
		k.alpha |= c & SAN_C_ALPHA ? bit : 0;
		k.lf |= c & SAN_C_LF ? bit : 0;
		k.cr |= c & SAN_C_CR ? bit : 0;
	}
	*ret_word = k;
}

/* The loop shared by the implementations. A LF after 24 run bytes is one with no other byte in
 * the 24 before it: the other bytes' mask is smeared 1..24 positions up by doubling (the bytes
 * of the word before count through the length of its trailing run), which takes
 * half the operations of doubling the runs themselves. CRs are rare outside a PTY: their rules
 * are computed (from the runs, as san_word_cands does) only in a word that has one. */
#define SCAN_BODY(MASKS)                                                                        \
	uint64_t ap = rs->a, cp = rs->c;                                                        \
	unsigned tail = ~ap ? (unsigned)__builtin_clzll(~ap) : 64; /* trailing run before */    \
	size_t w = 0;                                                                           \
	for (; w < nwords; w++, p += 64) {                                                      \
		uint64_t A, C, L, I;                                                            \
		MASKS;                                                                          \
		uint64_t s1 = ~A << 1, s2 = s1 | s1 << 1, s4 = s2 | s2 << 2, s8 = s4 | s4 << 4; \
		uint64_t s24 = s8 | s8 << 8 | s8 << 16;                                         \
		uint64_t near = tail >= 24 ? 0 : ((uint64_t)1 << (24 - tail)) - 1;              \
		uint64_t top = (uint64_t)1 << 63;                                               \
		uint64_t cand = I | (L & ~(s24 | near) & ((A >> 1) | top));                     \
		if (__builtin_expect((C | cp >> 62) != 0, 0)) {                                 \
			struct san_runs b_ = { ap, cp };                                        \
			cand |= san_word_cands(&b_, &(struct san_word){ A, C, L, 0 }, top);     \
		}                                                                               \
		if (__builtin_expect(cand != 0, 0)) {                                           \
			*ret_word = (struct san_word){ A, C, L, I };                            \
			*ret_cand = cand;                                                       \
			break;                                                                  \
		}                                                                               \
		tail = ~A ? (unsigned)__builtin_clzll(~A) : 64;                                 \
		ap = A;                                                                         \
		cp = C;                                                                         \
	}                                                                                       \
	rs->a = ap;                                                                             \
	rs->c = cp;                                                                             \
	return w;

static size_t scan_scalar(const uint8_t *p, size_t nwords, struct san_runs *rs,
			  struct san_word *ret_word, uint64_t *ret_cand)
{
	SCAN_BODY(struct san_word m; san_word_masks(p, &m); A = m.alpha; C = m.cr; L = m.lf;
		  I = m.intro)
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static size_t scan_avx2(const uint8_t *p, size_t nwords,
							struct san_runs *rs,
							struct san_word *ret_word,
							uint64_t *ret_cand)
{
	const __m256i nib = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
	const __m256i lo_t = _mm256_setr_epi8(NIB_LO, NIB_LO),
		      hi_t = _mm256_setr_epi8(NIB_HI, NIB_HI);
	const __m256i alpha_b = _mm256_set1_epi8(0x0F), intro_b = _mm256_set1_epi8(0x70);
	const __m256i lf = _mm256_set1_epi8('\n');
#define MASKS_AVX2                                                                                 \
	do {                                                                                       \
		uint64_t in_ = 0, al_ = 0, ln_ = 0, nl_ = 0;                                       \
		for (unsigned h_ = 0; h_ < 2; h_++) {                                              \
			__m256i v_ =                                                               \
				_mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * h_));  \
			__m256i c_ = _mm256_and_si256(                                             \
				_mm256_shuffle_epi8(lo_t, _mm256_and_si256(v_, nib)),              \
				_mm256_shuffle_epi8(                                               \
					hi_t, _mm256_and_si256(_mm256_srli_epi16(v_, 4), nib)));   \
			al_ |= (uint64_t) ~(uint32_t)_mm256_movemask_epi8(                         \
				       _mm256_cmpeq_epi8(_mm256_and_si256(c_, alpha_b), zero))     \
			       << (32 * h_);                                                       \
			in_ |= (uint64_t) ~(uint32_t)_mm256_movemask_epi8(                         \
				       _mm256_cmpeq_epi8(_mm256_and_si256(c_, intro_b), zero))     \
			       << (32 * h_);                                                       \
			ln_ |= (uint64_t)(uint32_t)_mm256_movemask_epi8(c_) << (32 * h_);          \
			nl_ |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v_, lf)) \
			       << (32 * h_);                                                       \
		}                                                                                  \
		A = al_;                                                                           \
		C = ln_ & ~nl_;                                                                    \
		L = nl_;                                                                           \
		I = in_;                                                                           \
	} while (0)
	SCAN_BODY(MASKS_AVX2)
#undef MASKS_AVX2
}

/* The nibble tables and the constants of the AVX-512 scans. */
#define NIB_AVX512                                                          \
	const __m512i nib = _mm512_set1_epi8(0x0F);                         \
	const __m512i lo_t = _mm512_broadcast_i32x4(_mm_setr_epi8(NIB_LO)); \
	const __m512i hi_t = _mm512_broadcast_i32x4(_mm_setr_epi8(NIB_HI)); \
	const __m512i alpha_b = _mm512_set1_epi8(0x0F), lf = _mm512_set1_epi8('\n')

/* The same with 64-byte registers and mask results: a third of the instructions. */
__attribute__((target("avx512bw"))) static size_t scan_avx512(const uint8_t *p, size_t nwords,
							      struct san_runs *rs,
							      struct san_word *ret_word,
							      uint64_t *ret_cand)
{
	NIB_AVX512;
	const __m512i intro_b = _mm512_set1_epi8(0x70);
#define MASKS_AVX512                                                                           \
	do {                                                                                   \
		__m512i v_ = _mm512_loadu_si512((const void *)p);                              \
		__m512i c_ = _mm512_and_si512(                                                 \
			_mm512_shuffle_epi8(lo_t, _mm512_and_si512(v_, nib)),                  \
			_mm512_shuffle_epi8(hi_t,                                              \
					    _mm512_and_si512(_mm512_srli_epi16(v_, 4), nib))); \
		L = _mm512_cmpeq_epi8_mask(v_, lf);                                            \
		A = _mm512_test_epi8_mask(c_, alpha_b);                                        \
		C = _mm512_movepi8_mask(c_) & ~L;                                              \
		I = _mm512_test_epi8_mask(c_, intro_b);                                        \
	} while (0)
	SCAN_BODY(MASKS_AVX512)
#undef MASKS_AVX512
}

/* Batches of 8 words: the masks of each word go to memory (run bytes, LFs, and introducers or
 * CRs together), then the candidate rule runs on the 8 words at once, one 64-bit lane per word,
 * instead of one word at a time in general registers (the smear and the look back into the word
 * before were 30 of the 45 instructions per word). A batch with an introducer, a CR or a
 * candidate, and the words after the last whole batch, go through scan_avx512, which finds the
 * same candidate: the batches only skip words that hold none. CLASSES(v) sets A (run bytes), L
 * (LFs) and X (introducers and CRs) of the 64 bytes v. "near" (m) has bit j when the word before
 * has a byte outside the run alphabet at 40 + j or later: the window of byte j reaches back
 * to 40 + j. */
#define BATCH_BODY(CLASSES)                                                                         \
	const __m512i top = _mm512_set1_epi64((long long)(1ull << 63));                             \
	uint64_t ma[8], ml[8], mx[8];                                                               \
	/* the word before the batch (lane 7) */                                                    \
	__m512i prev_a = _mm512_set1_epi64((long long)rs->a);                                       \
	uint64_t pa = rs->a, pc = rs->c;                                                            \
	size_t w = 0;                                                                               \
	for (; w + 8 <= nwords; w += 8) {                                                           \
		const uint8_t *q = p + 64 * w;                                                      \
		for (unsigned j = 0; j < 8; j++) {                                                  \
			__m512i v = _mm512_loadu_si512((const void *)(q + 64 * j));                 \
			__mmask64 A, L, X;                                                          \
			CLASSES;                                                                    \
			ma[j] = A;                                                                  \
			ml[j] = L;                                                                  \
			mx[j] = X;                                                                  \
		}                                                                                   \
		__m512i A = _mm512_loadu_si512((const void *)ma);                                   \
		__m512i L = _mm512_loadu_si512((const void *)ml);                                   \
		__m512i X = _mm512_loadu_si512((const void *)mx);                                   \
		/* each lane's word before: lane j-1, lane 0 the last word of the batch before */   \
		__m512i P = _mm512_alignr_epi64(A, prev_a, 7);                                      \
		__m512i s1 = _mm512_slli_epi64(_mm512_ternarylogic_epi64(A, A, A, 0x55), 1);        \
		__m512i s2 = _mm512_or_si512(s1, _mm512_slli_epi64(s1, 1));                         \
		__m512i s4 = _mm512_or_si512(s2, _mm512_slli_epi64(s2, 2));                         \
		__m512i s8 = _mm512_or_si512(s4, _mm512_slli_epi64(s4, 4));                         \
		__m512i s24 = _mm512_ternarylogic_epi64(s8, _mm512_slli_epi64(s8, 8),               \
							_mm512_slli_epi64(s8, 16), 0xFE);           \
		/* near: the word before's non-run bytes among its last 24 (see above) */           \
		__m512i m = _mm512_srli_epi64(_mm512_ternarylogic_epi64(P, P, P, 0x55), 40);        \
		m = _mm512_or_si512(m, _mm512_srli_epi64(m, 1));                                    \
		m = _mm512_or_si512(m, _mm512_srli_epi64(m, 2));                                    \
		m = _mm512_or_si512(m, _mm512_srli_epi64(m, 4));                                    \
		m = _mm512_or_si512(m, _mm512_srli_epi64(m, 8));                                    \
		m = _mm512_or_si512(m, _mm512_srli_epi64(m, 16));                                   \
		/* L & ~(s24 | near) & (A >> 1 | top) */                                            \
		__m512i follow = _mm512_or_si512(_mm512_srli_epi64(A, 1), top);                     \
		__m512i cand =                                                                      \
			_mm512_ternarylogic_epi64(L, _mm512_or_si512(s24, m), follow, 0x20);        \
		/* an introducer or CR in a word, or a CR in the last two bytes before the batch */ \
		if (__builtin_expect((pc >> 62) != 0 || _mm512_test_epi64_mask(                     \
								_mm512_or_si512(cand, X),           \
								_mm512_or_si512(cand, X)) != 0,     \
				     0))                                                            \
			break;                                                                      \
		prev_a = A;                                                                         \
		pa = ma[7];                                                                         \
		pc = 0;                                                                             \
	}                                                                                           \
	rs->a = pa;                                                                                 \
	rs->c = pc;                                                                                 \
	if (w == nwords)                                                                            \
		return w;                                                                           \
	return w + scan_avx512(p + 64 * w, nwords - w, rs, ret_word, ret_cand);

/* The classes by the nibble tables, as scan_avx512. */
__attribute__((target("avx512bw"))) static size_t scan_avx512_batch(const uint8_t *p, size_t nwords,
								    struct san_runs *rs,
								    struct san_word *ret_word,
								    uint64_t *ret_cand)
{
	NIB_AVX512;
	const __m512i special_b = _mm512_set1_epi8((char)0xF0);
#define CLASSES_NIBBLE                                                                        \
	do {                                                                                  \
		__m512i c_ = _mm512_and_si512(                                                \
			_mm512_shuffle_epi8(lo_t, _mm512_and_si512(v, nib)),                  \
			_mm512_shuffle_epi8(hi_t,                                             \
					    _mm512_and_si512(_mm512_srli_epi16(v, 4), nib))); \
		L = _mm512_cmpeq_epi8_mask(v, lf);                                            \
		A = _mm512_test_epi8_mask(c_, alpha_b);                                       \
		X = _mm512_test_epi8_mask(c_, special_b) & ~L;                                \
	} while (0)
	BATCH_BODY(CLASSES_NIBBLE)
#undef CLASSES_NIBBLE
}

/* The classes by one lookup of the low 7 bits in a 128-byte table (AVX512-VBMI), bytes with the
 * high bit in no class: two instructions instead of six. */
__attribute__((target("avx512bw,avx512vbmi"))) static size_t
scan_avx512_vbmi(const uint8_t *p, size_t nwords, struct san_runs *rs, struct san_word *ret_word,
		 uint64_t *ret_cand)
{
	const __m512i t0 = _mm512_loadu_si512((const void *)san_class);
	const __m512i t1 = _mm512_loadu_si512((const void *)(san_class + 64));
	const __m512i high = _mm512_set1_epi8((char)0x80), alpha_b = _mm512_set1_epi8(SAN_C_ALPHA);
	const __m512i lf_b = _mm512_set1_epi8(SAN_C_LF);
	const __m512i special_b = _mm512_set1_epi8(SAN_C_INTRO | SAN_C_CR);
#define CLASSES_VBMI                                                                             \
	do {                                                                                     \
		__m512i c_ = _mm512_maskz_permutex2var_epi8(_mm512_testn_epi8_mask(v, high), t0, \
							    v, t1);                              \
		L = _mm512_test_epi8_mask(c_, lf_b);                                             \
		A = _mm512_test_epi8_mask(c_, alpha_b);                                          \
		X = _mm512_test_epi8_mask(c_, special_b);                                        \
	} while (0)
	BATCH_BODY(CLASSES_VBMI)
#undef CLASSES_VBMI
}
#undef BATCH_BODY
#undef NIB_AVX512

#endif

typedef size_t (*scan_fn)(const uint8_t *p, size_t nwords, struct san_runs *rs,
			  struct san_word *ret_word, uint64_t *ret_cand);
static scan_fn scan_chosen = scan_scalar, scan_word_chosen = scan_scalar;

static scan_fn scan_impl_fn(unsigned impl)
{
	switch (impl) {
	case 0: return scan_scalar;
#if defined(__x86_64__)
	case 1: return use_avx2 ? scan_avx2 : NULL;
	case 2: return use_avx512 ? scan_avx512 : NULL;
	case 3: return use_avx512 ? scan_avx512_batch : NULL;
	case 4: return use_vbmi ? scan_avx512_vbmi : NULL;
#endif
	default: return NULL;
	}
}

/* The word-by-word implementation of the same family: where candidates are dense (a base64 or
 * hex blob wrapped at every 60-100 bytes), a batch of 8 words would be computed and then
 * scanned again word by word for nearly every candidate. */
static unsigned word_impl(unsigned impl)
{
	return impl >= 3 ? 2 : impl;
}

void san_decode_init(void)
{
	if (decode_ready)
		return;
	use_avx2 = san_cpu()->avx2;
	use_avx512 = san_cpu()->avx512bw;
	use_vbmi = use_avx512 && san_cpu()->avx512vbmi;
	decode_ready = true;
	scan_chosen = scan_impl_fn(san_scan_default());
	scan_word_chosen = scan_impl_fn(word_impl(san_scan_default()));
}

unsigned san_scan_default(void)
{
	san_decode_init();
	return use_vbmi ? 4 : use_avx512 ? 3 : use_avx2 ? 1 : 0;
}

int san_scan_select(unsigned impl)
{
	san_decode_init();
	scan_fn f = scan_impl_fn(impl);
	if (!f)
		return -ENOTSUP;
	scan_chosen = f;
	scan_word_chosen = scan_impl_fn(word_impl(impl));
	return 0;
}

size_t san_scan_words(const uint8_t *p, size_t nwords, struct san_runs *rs,
		      struct san_word *ret_word, uint64_t *ret_cand)
{
	return scan_chosen(p, nwords, rs, ret_word, ret_cand);
}

size_t san_scan_words_dense(const uint8_t *p, size_t nwords, struct san_runs *rs,
			    struct san_word *ret_word, uint64_t *ret_cand)
{
	return scan_word_chosen(p, nwords, rs, ret_word, ret_cand);
}

size_t san_scan_words_impl(unsigned impl, const uint8_t *p, size_t nwords, struct san_runs *rs,
			   struct san_word *ret_word, uint64_t *ret_cand)
{
	san_decode_init();
	scan_fn f = scan_impl_fn(impl);
	return f ? f(p, nwords, rs, ret_word, ret_cand) : SIZE_MAX;
}

/* ---- sequential decoder --------------------------------------------------------------------
 * The definition of the view, written plainly: the streaming matcher's pre-scan must agree
 * with it on every input (tests/unit/sanitizer/test_property.c checks that). */
static bool run_alpha(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/* Run-alphabet bytes directly before position i, counted up to SAN_RUN_MIN. */
static size_t run_before(const uint8_t *in, size_t i)
{
	size_t r = 0;
	while (i > 0 && r < SAN_RUN_MIN && run_alpha(in[i - 1])) {
		i--;
		r++;
	}
	return r;
}

size_t san_decode_text(const uint8_t *in, size_t n, unsigned flags, uint8_t *out, uint32_t *src,
		       uint32_t *src_end)
{
	size_t o = 0, i = 0;
	bool esc_only = (flags & SAN_DECODE_ESCAPES_ONLY) != 0;
	while (i < n) {
		uint8_t c = in[i];
		size_t len = 1;
		struct san_ev ev = { .nsym = 1, .sym = { c } };
		if (c == '\n' && !esc_only) {
			size_t j = i;
			while (j > 0 && in[j - 1] == '\r' && i - j < SAN_CR_MAX)
				j--;
			size_t before = run_before(in, j);
			if (before >= SAN_RUN_MIN && i + 1 < n && run_alpha(in[i + 1]))
				ev.nsym = 0; /* rule 4 */
		} else if (c == 0x1B || c == '\\' || c == '%' || c == '&' || c == '\'' ||
			   c == '\r') {
			int l = san_decode_esc(in + i, n - i, true, flags, &ev);
			if (l > 0)
				len = (size_t)l;
			else
				ev = (struct san_ev){ .nsym = 1, .sym = { c } };
		}
		for (unsigned k = 0; k < ev.nsym; k++) {
			out[o] = ev.sym[k];
			if (src)
				src[o] = (uint32_t)i;
			if (src_end)
				src_end[o] = (uint32_t)(i + len);
			o++;
		}
		i += len;
	}
	return o;
}
