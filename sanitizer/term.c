/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: the terminal control filter. Removes the control sequences a command could use to
 * act on the user's terminal (clipboard, title, report-back queries, ...) by mode, as a stream:
 * byte-by-byte state, bounded buffering, the same output for any chunking. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "sanitizer/sanitizer-internal.h"

enum tstate {
	T_GROUND,
	T_ESC,	    /* after ESC */
	T_CSI,	    /* ESC [ held in buf until its final byte (KEEP_COLOURS) */
	T_CSI_DROP, /* a CSI being removed: bytes up to its final byte go */
	T_NF,	    /* ESC + intermediates held in buf (KEEP_COLOURS) or removed (STRIP_ALL) */
	T_STR,	    /* inside a removed OSC/DCS/SOS/PM/APC string */
	T_STR_ESC,  /* ... after an ESC in it */
	T_OSC_NUM,  /* OSC52: ESC ] and its number held in buf until the ';' */
	T_C2,	    /* a 0xC2 byte held: U+0080..U+009F (C1) or not */
};

struct san_term {
	enum san_term_mode mode;
	enum tstate st;
	uint8_t buf[SAN_TERM_SEQ_MAX]; /* held bytes of an undecided sequence */
	size_t blen;
	bool str_osc;	  /* the string is an OSC: BEL ends it too */
	bool drop;	  /* T_NF: remove rather than hold */
	size_t str_len;	  /* bytes of the current removed string */
	uint32_t osc_num; /* T_OSC_NUM: the number so far */
	unsigned osc_digits;
	uint8_t prev; /* the last byte passed, 0 after a removal: a C1 byte (0x80..0x9F) is
			     * kept only right after a byte that it can continue in UTF-8 */
	uint64_t removed;
	/* during a feed */
	san_emit_fn emit;
	void *ctx;
};

struct san_term *san_term_new(enum san_term_mode mode)
{
	if (mode != SAN_TERM_OFF && mode != SAN_TERM_OSC52 && mode != SAN_TERM_KEEP_COLOURS &&
	    mode != SAN_TERM_STRIP_ALL)
		return NULL;
	struct san_term *t = calloc(1, sizeof(*t));
	if (t)
		t->mode = mode;
	return t;
}

struct san_term *san_term_free(struct san_term *t)
{
	if (!t)
		return NULL;
	sodium_memzero(t, sizeof(*t));
	free(t);
	return NULL;
}

uint64_t san_term_removed(const struct san_term *t)
{
	return t ? t->removed : 0;
}

/* ---- finding the next byte to look at ------------------------------------------------------
 * Everything else passes in every mode: ESC and 0xC2 (the first byte of U+0080..U+009F) always
 * matter; KEEP_COLOURS also removes ENQ (the terminal answers it) and stray C1 bytes; STRIP_ALL
 * removes every C0 control but TAB, LF and CR, DEL and stray C1 bytes. */
static bool special(enum san_term_mode mode, uint8_t c)
{
	if (c == 0x1B || c == 0xC2)
		return true;
	if (mode == SAN_TERM_OSC52)
		return false;
	if (c >= 0x80 && c <= 0x9F)
		return true;
	if (mode == SAN_TERM_KEEP_COLOURS)
		return c == 0x05;
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F;
}

/* The first byte of p[0..n) that `special` accepts, or n. Ordinary output has none, so this is
 * the filter's whole cost per byte: it runs 16, 32 or 64 bytes at a time (SSE2 on every x86-64,
 * AVX2 or AVX-512 when the CPU has them), each implementation checked against the byte loop by
 * test_term.c. */
static size_t next_special_bytes(enum san_term_mode mode, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (special(mode, p[i]))
			return i;
	return n;
}

#if defined(__x86_64__)
static size_t next_special_sse2(enum san_term_mode mode, const uint8_t *p, size_t n)
{
	size_t i = 0;
	const __m128i esc = _mm_set1_epi8(0x1B), c2 = _mm_set1_epi8((char)0xC2);
	const __m128i enq = _mm_set1_epi8(0x05), c1 = _mm_set1_epi8((char)0xA0);
	const __m128i b1f = _mm_set1_epi8(0x1F), tab = _mm_set1_epi8('\t'),
		      lf = _mm_set1_epi8('\n');
	const __m128i cr = _mm_set1_epi8('\r'), del = _mm_set1_epi8(0x7F);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, esc), _mm_cmpeq_epi8(v, c2));
		if (mode != SAN_TERM_OSC52) {
			/* 0x80..0x9F are the signed bytes below -96 */
			m = _mm_or_si128(m, _mm_cmplt_epi8(v, c1));
			if (mode == SAN_TERM_KEEP_COLOURS) {
				m = _mm_or_si128(m, _mm_cmpeq_epi8(v, enq));
			} else {
				__m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, b1f), v);
				ctl = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab), ctl);
				ctl = _mm_andnot_si128(_mm_cmpeq_epi8(v, lf), ctl);
				ctl = _mm_andnot_si128(_mm_cmpeq_epi8(v, cr), ctl);
				m = _mm_or_si128(m, _mm_or_si128(ctl, _mm_cmpeq_epi8(v, del)));
			}
		}
		int bits = _mm_movemask_epi8(m);
		if (bits)
			return i + (size_t)__builtin_ctz((unsigned)bits);
	}
	return i + next_special_bytes(mode, p + i, n - i);
}

/* The same tests on 32 bytes. */
__attribute__((target("avx2"))) static inline uint32_t special_avx2(enum san_term_mode mode,
								    __m256i v)
{
	__m256i m = _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x1B)),
				    _mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)0xC2)));
	if (mode != SAN_TERM_OSC52) {
		m = _mm256_or_si256(m, _mm256_cmpgt_epi8(_mm256_set1_epi8((char)0xA0), v));
		if (mode == SAN_TERM_KEEP_COLOURS) {
			m = _mm256_or_si256(m, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x05)));
		} else {
			__m256i ctl =
				_mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
			__m256i ok = _mm256_or_si256(
				_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t')),
				_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n')),
						_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r'))));
			m = _mm256_or_si256(m, _mm256_andnot_si256(ok, ctl));
			m = _mm256_or_si256(m, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x7F)));
		}
	}
	return (uint32_t)_mm256_movemask_epi8(m);
}

__attribute__((target("avx2"))) static size_t next_special_avx2(enum san_term_mode mode,
								const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		uint32_t a = special_avx2(mode, _mm256_loadu_si256((const void *)(p + i)));
		uint32_t b = special_avx2(mode, _mm256_loadu_si256((const void *)(p + i + 32)));
		if (__builtin_expect((a | b) != 0, 0))
			return i + (size_t)__builtin_ctzll((uint64_t)b << 32 | a);
	}
	return i + next_special_sse2(mode, p + i, n - i);
}

/* The same tests on 64 bytes, into a mask register. */
__attribute__((target("avx512bw"))) static inline uint64_t special_avx512(enum san_term_mode mode,
									  __m512i v)
{
	uint64_t m = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(0x1B)) |
		     _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)0xC2));
	if (mode != SAN_TERM_OSC52) {
		m |= _mm512_cmplt_epi8_mask(v, _mm512_set1_epi8((char)0xA0));
		if (mode == SAN_TERM_KEEP_COLOURS) {
			m |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(0x05));
		} else {
			uint64_t ok = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t')) |
				      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')) |
				      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r'));
			m |= _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(0x1F)) & ~ok;
			m |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(0x7F));
		}
	}
	return m;
}

__attribute__((target("avx512bw"))) static size_t next_special_avx512(enum san_term_mode mode,
								      const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 128 <= n; i += 128) {
		uint64_t a = special_avx512(mode, _mm512_loadu_si512((const void *)(p + i)));
		uint64_t b = special_avx512(mode, _mm512_loadu_si512((const void *)(p + i + 64)));
		if (__builtin_expect((a | b) != 0, 0))
			return i +
			       (a ? (size_t)__builtin_ctzll(a) : 64 + (size_t)__builtin_ctzll(b));
	}
	return i + next_special_sse2(mode, p + i, n - i);
}
#endif

size_t san_term_scan_impl(unsigned impl, enum san_term_mode mode, const uint8_t *p, size_t n)
{
	switch (impl) {
	case 0: return next_special_bytes(mode, p, n);
#if defined(__x86_64__)
	case 1: return next_special_sse2(mode, p, n);
	case 2: return san_cpu()->avx2 ? next_special_avx2(mode, p, n) : SIZE_MAX;
	case 3: return san_cpu()->avx512bw ? next_special_avx512(mode, p, n) : SIZE_MAX;
#endif
	default: return SIZE_MAX;
	}
}

static size_t next_special(enum san_term_mode mode, const uint8_t *p, size_t n)
{
#if defined(__x86_64__)
	if (san_cpu()->avx512bw)
		return next_special_avx512(mode, p, n);
	if (san_cpu()->avx2)
		return next_special_avx2(mode, p, n);
	return next_special_sse2(mode, p, n);
#else
	return next_special_bytes(mode, p, n);
#endif
}

/* ---- what KEEP_COLOURS keeps -----------------------------------------------------------------
 * Colours, cursor movement, erasing, scrolling and a few display modes. Everything that makes
 * the terminal answer (DSR n, DA c, window reports t, mode reports $p, ...), changes how it
 * reports input (mouse, focus) or is not in the list goes. */
static bool params_in(const uint8_t *p, size_t n, const unsigned *allowed, size_t nallowed)
{
	unsigned v = 0;
	bool any = false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] >= '0' && p[i] <= '9') {
			v = v * 10 + (unsigned)(p[i] - '0');
			if (v > 100000)
				return false;
			any = true;
			continue;
		}
		if (i < n && p[i] != ';')
			return false;
		if (any) {
			size_t k = 0;
			while (k < nallowed && allowed[k] != v)
				k++;
			if (k == nallowed)
				return false;
		}
		v = 0;
		any = false;
	}
	return true;
}

/* buf holds ESC [ ... final. */
static bool csi_allowed(const uint8_t *b, size_t n)
{
	static const unsigned dec_modes[] = { 1, 3, 5, 6, 7, 12, 25, 47, 1047, 1048, 1049, 2004 };
	static const unsigned ansi_modes[] = { 4, 20 };
	uint8_t fin = b[n - 1];
	size_t i = 2, pe, ie;
	uint8_t priv = 0;
	if (i < n - 1 && b[i] >= 0x3C && b[i] <= 0x3F)
		priv = b[i++];
	for (pe = i; pe < n - 1 && b[pe] >= 0x30 && b[pe] <= 0x3F; pe++)
		if (b[pe] >= 0x3C)
			return false; /* a private marker after parameters */
	for (ie = pe; ie < n - 1 && b[ie] >= 0x20 && b[ie] <= 0x2F; ie++)
		;
	if (ie != n - 1)
		return false;
	size_t nint = ie - pe;
	if (nint == 1 && b[pe] == ' ' && fin == 'q' && !priv)
		return true; /* DECSCUSR: cursor shape */
	if (nint)
		return false;
	if (priv == '?') {
		if (fin == 'h' || fin == 'l')
			return params_in(b + i, pe - i, dec_modes,
					 sizeof(dec_modes) / sizeof(dec_modes[0]));
		return fin == 'J' || fin == 'K';
	}
	if (priv)
		return false;
	if (fin == 'h' || fin == 'l')
		return params_in(b + i, pe - i, ansi_modes,
				 sizeof(ansi_modes) / sizeof(ansi_modes[0]));
	if (fin == 'T' && memchr(b + i, ';', pe - i))
		return false; /* CSI Ps;Ps;Ps;Ps;Ps T: mouse highlight tracking */
	return fin && strchr("mABCDEFGHJKSTXdfrsu@LMPaeg`", fin);
}

/* ---- the machine -------------------------------------------------------------------------- */

static int out(struct san_term *t, const void *p, size_t n)
{
	if (!n)
		return 0;
	t->prev = ((const uint8_t *)p)[n - 1];
	return t->emit(t->ctx, p, n);
}

static void remove_one(struct san_term *t)
{
	t->removed++;
	t->blen = 0;
	t->prev = 0;
}

static void start_string(struct san_term *t, bool osc)
{
	t->st = T_STR;
	t->str_osc = osc;
	t->str_len = 0;
}

/* One byte c after an ESC. Returns 0 or emit's error; sets the next state. */
static int after_esc(struct san_term *t, uint8_t c);

/* One byte in the ground state that next_special stopped at. */
static int ground_special(struct san_term *t, uint8_t c)
{
	if (c == 0x1B) {
		t->st = T_ESC;
		t->buf[0] = c;
		t->blen = 1;
		return 0;
	}
	if (c == 0xC2) {
		t->st = T_C2;
		return 0;
	}
	if (c >= 0x80 && c <= 0x9F) {
		/* not after a byte of a UTF-8 character: a C1 control */
		if (t->prev < 0x80) {
			remove_one(t);
			return 0;
		}
		return out(t, &c, 1);
	}
	/* C0 controls and DEL removed by the mode */
	remove_one(t);
	return 0;
}

/* A C1 control (U+0080..U+009F as C2 xx). */
static int c1_control(struct san_term *t, uint8_t c)
{
	static const uint8_t c2[] = { 0xC2 };
	if (t->mode == SAN_TERM_OSC52) {
		if (c == 0x9D) { /* OSC */
			t->buf[0] = 0xC2;
			t->buf[1] = c;
			t->blen = 2;
			t->osc_num = 0;
			t->osc_digits = 0;
			t->st = T_OSC_NUM;
			return 0;
		}
		int r = out(t, c2, 1);
		return r < 0 ? r : out(t, &c, 1);
	}
	remove_one(t);
	return 0;
}

static int after_esc(struct san_term *t, uint8_t c)
{
	enum san_term_mode m = t->mode;
	if (c == 0x1B) { /* the first ESC is abandoned */
		remove_one(t);
		t->blen = 1;
		return 0;
	}
	if (m == SAN_TERM_OSC52) {
		if (c == ']') {
			t->buf[1] = c;
			t->blen = 2;
			t->osc_num = 0;
			t->osc_digits = 0;
			t->st = T_OSC_NUM;
			return 0;
		}
		t->st = T_GROUND;
		if (special(m, c)) {
			/* ESC before ESC or 0xC2: passed alone it could join what follows a removed
			 * sequence into a new one (ESC + "]52;"), so it goes */
			remove_one(t);
			return ground_special(t, c);
		}
		uint8_t two[2] = { 0x1B, c };
		t->blen = 0;
		return out(t, two, 2);
	}
	if (c == '[') {
		if (m == SAN_TERM_STRIP_ALL) {
			t->st = T_CSI_DROP;
			remove_one(t);
		} else {
			t->buf[1] = c;
			t->blen = 2;
			t->st = T_CSI;
		}
		return 0;
	}
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
		remove_one(t);
		start_string(t, c == ']');
		return 0;
	}
	if (c >= 0x20 && c <= 0x2F) {
		t->buf[1] = c;
		t->blen = 2;
		t->drop =
			m == SAN_TERM_STRIP_ALL || !(c == '(' || c == ')' || c == '*' || c == '+' ||
						     c == '-' || c == '.' || c == '/');
		t->st = T_NF;
		return 0;
	}
	t->st = T_GROUND;
	if (c >= 0x30 && c <= 0x7E) { /* two-byte sequence */
		if (m == SAN_TERM_KEEP_COLOURS && strchr("78=>DEMH", c)) {
			uint8_t two[2] = { 0x1B, c };
			t->blen = 0;
			return out(t, two, 2);
		}
		remove_one(t);
		return 0;
	}
	/* ESC before a control, DEL or a non-ASCII byte: the ESC alone goes */
	remove_one(t);
	return special(m, c) ? ground_special(t, c) : out(t, &c, 1);
}

/* One byte in a state other than the ground. */
static int state_byte(struct san_term *t, uint8_t c)
{
	int r;
	switch (t->st) {
	case T_ESC: return after_esc(t, c);
	case T_CSI:
		if (c >= 0x40 && c <= 0x7E) {
			t->buf[t->blen++] = c;
			t->st = T_GROUND;
			if (csi_allowed(t->buf, t->blen)) {
				r = out(t, t->buf, t->blen);
				t->blen = 0;
				return r;
			}
			remove_one(t);
			return 0;
		}
		if (c >= 0x20 && c <= 0x3F) {
			if (t->blen + 1 < SAN_TERM_SEQ_MAX) {
				t->buf[t->blen++] = c;
			} else { /* too long to be one we keep */
				remove_one(t);
				t->st = T_CSI_DROP;
			}
			return 0;
		}
		/* a control or another byte breaks it off: what was held goes */
		remove_one(t);
		t->st = T_GROUND;
		return special(t->mode, c) ? ground_special(t, c) : out(t, &c, 1);
	case T_CSI_DROP:
		if (c >= 0x20 && c <= 0x3F)
			return 0;
		t->st = T_GROUND;
		if (c >= 0x40 && c <= 0x7E)
			return 0;
		return special(t->mode, c) ? ground_special(t, c) : out(t, &c, 1);
	case T_NF:
		if (c >= 0x20 && c <= 0x2F && t->blen + 1 < SAN_TERM_SEQ_MAX) {
			t->buf[t->blen++] = c;
			return 0;
		}
		t->st = T_GROUND;
		if (c >= 0x30 && c <= 0x7E) {
			t->buf[t->blen++] = c;
			if (!t->drop && t->blen == 3) {
				r = out(t, t->buf, t->blen);
				t->blen = 0;
				return r;
			}
			remove_one(t);
			return 0;
		}
		remove_one(t);
		return special(t->mode, c) ? ground_special(t, c) : out(t, &c, 1);
	case T_STR:
		if (++t->str_len > SAN_TERM_STRING_MAX) {
			/* never terminated: stop removing (the terminal never saw it start) */
			t->st = T_GROUND;
			return special(t->mode, c) ? ground_special(t, c) : out(t, &c, 1);
		}
		if (c == 0x1B)
			t->st = T_STR_ESC;
		else if ((c == 0x07 && t->str_osc) || c == 0x18 || c == 0x1A || c == 0x9C)
			t->st = T_GROUND;
		return 0;
	case T_STR_ESC:
		if (c == '\\') {
			t->st = T_GROUND;
			return 0;
		}
		/* the string ended before this ESC, which starts a new sequence */
		t->st = T_ESC;
		t->buf[0] = 0x1B;
		t->blen = 1;
		return after_esc(t, c);
	case T_OSC_NUM:
		if (c >= '0' && c <= '9' && t->osc_digits < 8 && t->blen + 1 < SAN_TERM_SEQ_MAX) {
			t->osc_num = t->osc_num * 10 + (uint32_t)(c - '0');
			t->osc_digits++;
			t->buf[t->blen++] = c;
			return 0;
		}
		if (c == ';' && t->osc_digits && (t->osc_num == 52 || t->osc_num == 5522)) {
			/* a clipboard write (or read): removed with its payload */
			remove_one(t);
			start_string(t, true);
			return 0;
		}
		t->st = T_GROUND;
		if (c != ';') {
			/* no "Ps ;": a broken-off OSC, removed (passed, "ESC ] 5" and a "2;" after
			 * something removed would make a clipboard write) */
			remove_one(t);
			return special(t->mode, c) ? ground_special(t, c) : out(t, &c, 1);
		}
		t->buf[t->blen++] = c;
		r = out(t, t->buf, t->blen);
		t->blen = 0;
		return r;
	case T_C2:
		t->st = T_GROUND;
		if (c >= 0x80 && c <= 0x9F)
			return c1_control(t, c);
		if (special(t->mode, c)) {
			/* a lead byte without its character; passed, it could join a 0x9D after
			 * something removed into an 8-bit OSC */
			remove_one(t);
			return ground_special(t, c);
		}
		uint8_t two[2] = { 0xC2, c };
		return out(t, two, 2);
	case T_GROUND: break;
	}
	return special(t->mode, c) ? ground_special(t, c) : out(t, &c, 1);
}

int san_term_feed(struct san_term *t, const void *buf, size_t len, san_emit_fn emit, void *ctx)
{
	const uint8_t *p = buf;
	int r;
	if (!t || !emit || (!buf && len))
		return -EINVAL;
	if (!len)
		return 0;
	if (t->mode == SAN_TERM_OFF)
		return emit(ctx, buf, len);
	t->emit = emit;
	t->ctx = ctx;
	size_t i = 0;
	while (i < len) {
		if (t->st != T_GROUND) {
			uint8_t c = p[i];
			if ((r = state_byte(t, c)) < 0)
				return r;
			i++;
			continue;
		}
		/* ground: a run that passes, then one byte to look at */
		size_t j = i + next_special(t->mode, p + i, len - i);
		if ((r = out(t, p + i, j - i)) < 0)
			return r;
		if (j == len)
			break;
		if ((r = ground_special(t, p[j])) < 0)
			return r;
		i = j + 1;
	}
	return 0;
}

int san_term_finish(struct san_term *t, san_emit_fn emit, void *ctx)
{
	int r = 0;
	if (!t || !emit)
		return -EINVAL;
	t->emit = emit;
	t->ctx = ctx;
	switch (t->st) {
	case T_ESC:
		/* a lone ESC at the end: harmless in a pipe, removed for a terminal */
		if (t->mode == SAN_TERM_OSC52)
			r = out(t, t->buf, 1);
		else
			t->removed++;
		break;
	case T_C2: r = out(t, "\xc2", 1); break;
	case T_CSI:
	case T_NF:
	case T_OSC_NUM: /* might have become a clipboard write */ t->removed++; break;
	default: break;
	}
	t->st = T_GROUND;
	t->blen = 0;
	return r;
}
