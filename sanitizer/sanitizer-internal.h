/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer internals shared by the form generator, the decoder, the matcher and the module's own
 * tests. Never included from another module. */
#ifndef SECRETCTL_SANITIZER_INTERNAL_H
#define SECRETCTL_SANITIZER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sanitizer/sanitizer.h"

/* ---- CPU features (cpu.c) -------------------------------------------------------------------
 * What the scans with several implementations may use: asked once (CPUID and the OS's saved
 * register state), then constant. All false on other architectures. */
struct san_cpu {
	bool bmi2;	 /* variable shifts without flags (the prefilter's sampling loop) */
	bool avx2;	 /* 32-byte vectors */
	bool avx512bw;	 /* 64-byte vectors with byte operations and mask registers */
	bool avx512vbmi; /* permutes of bytes across 64-byte vectors (with avx512bw only) */
};
const struct san_cpu *san_cpu(void);

/* ---- terminal filter (term.c) --------------------------------------------------------------
 * The filter's search for the next byte it must look at (ESC, 0xC2, and the mode's controls),
 * with a given implementation (0 bytes, 1 SSE2, 2 AVX2, 3 AVX-512), for the tests: the index of
 * the first such byte in p[0..n), n when none, SIZE_MAX when the CPU lacks the implementation. */
size_t san_term_scan_impl(unsigned impl, enum san_term_mode mode, const uint8_t *p, size_t n);

/* ---- decoded view (decode.c) -----------------------------------------------------------------
 * The decoded view of output bytes, left to right (docs/sanitizer.md, "Decoded view"):
 *  1. an escape sequence (ESC [ ... final, ESC ] ... BEL/ST, ESC P/X/^/_ ... ST, ESC + final)
 *     shows nothing;
 *  2. a character escape shows the character it stands for: backslash escapes (\n \t \xHH
 *     \uHHHH with surrogate pairs, \u{H..}, \UHHHHHHHH, \NNN octal, \e, and \c for any other c),
 *     %HH and %uHHHH, HTML entities (&amp; &lt; &gt; &quot; &apos; &#NN; &#xHH;), and the shell's
 *     quote-in-quote forms '\'' and '"'"'; a CR or LF that an escape stands for shows nothing;
 *  3. a CR followed by a LF, or by up to SAN_CR_MAX more CRs and a LF, shows nothing (a
 *     terminal shows CR CR LF, a CRLF written to a PTY, as one line break);
 *  4. a LF with at least SAN_RUN_MIN base64/hex-alphabet bytes ([A-Za-z0-9+/=]) before it (up
 *     to SAN_CR_MAX CRs in between not counted) and one after it shows nothing: a line break
 *     inside a wrapped base64/hex run;
 *  5. every other byte shows itself.
 * Each shown byte (a "symbol") has a source span: the bytes of its escape, or itself. */
#define SAN_RUN_MIN 24u
#define SAN_CR_MAX 16u
#define SAN_ESC_MAX 512u /* longest escape sequence (rule 1) skipped whole; a longer one shows */

/* One event of the decoded view: source bytes [start, start + len) showing nsym symbols. */
struct san_ev {
	uint64_t start;
	uint16_t len; /* <= SAN_ESC_MAX */
	uint8_t nsym; /* <= 4 */
	uint8_t sym[4];
	uint8_t pad;
};

/* Classes of bytes: introducers of rules 1-2 (ESC, backslash, %, &, '), the run alphabet of
 * rule 4, LF and CR. */
#define SAN_C_INTRO 1u
#define SAN_C_ALPHA 2u
#define SAN_C_LF 4u
#define SAN_C_CR 8u
extern const uint8_t san_class[256];

/* The escape (rules 1-3) introduced by p[0] (ESC, backslash, %, &, ' or CR), with avail bytes
 * readable at p; eof: no more bytes will follow them. Returns the escape's length (> 0, ev
 * filled except ev->start), 0 when p[0] is not an escape (it shows itself), or -EAGAIN when
 * the answer depends on bytes past avail (only when !eof). Never reads past avail. flags:
 * SAN_DECODE_ESCAPES_ONLY (see san_decode_text). */
#define SAN_DECODE_ESCAPES_ONLY 1u
int san_decode_esc(const uint8_t *p, size_t avail, bool eof, unsigned flags, struct san_ev *ev);

/* Pre-scan, 64 bytes (a word) at a time. For each word: the bytes in the run alphabet of rule
 * 4, the CRs and LFs, and the introducers of escapes (ESC, backslash, %, &, '), bit i for byte i;
 * runs of 24 run bytes by doubling, with the masks of the word before carried along. */
struct san_runs {
	uint64_t a, c; /* the 64 bytes before: run bytes, CRs */
};
struct san_word {
	uint64_t alpha, cr, lf, intro;
};
/* Scan the nwords words at p, advancing rs over each, until a word holds a candidate: an
 * introducer, a LF after 24 run bytes (or after one CR after them) followed by a run byte, a CR
 * before a LF or a CR, a LF after two or more CRs. Returns its index (rs is then the state
 * before it, *ret_word its masks, *ret_cand the candidates; the last byte's follower is not
 * known and counts as a run byte), or nwords. Uses AVX-512 or AVX2 when the CPU has it. */
size_t san_scan_words(const uint8_t *p, size_t nwords, struct san_runs *rs,
		      struct san_word *ret_word, uint64_t *ret_cand);
/* The same, word by word whatever the CPU (no batches): for a stretch where candidates are
 * dense, as in a wrapped base64 blob; same results. */
size_t san_scan_words_dense(const uint8_t *p, size_t nwords, struct san_runs *rs,
			    struct san_word *ret_word, uint64_t *ret_cand);
/* san_scan_words with a given implementation (0 portable, 1 AVX2, 2 AVX-512 word by word, 3
 * AVX-512 in batches of 8 words, 4 the same with the classes looked up by AVX512-VBMI; the
 * default is the last the CPU has), for the tests; SIZE_MAX when the CPU lacks it. */
size_t san_scan_words_impl(unsigned impl, const uint8_t *p, size_t nwords, struct san_runs *rs,
			   struct san_word *ret_word, uint64_t *ret_cand);
/* Make every stream's pre-scan use implementation impl from now on (the numbers above), for the
 * differential tests: the word-by-word scans are the reference the batched ones are checked
 * against. 0, or -ENOTSUP when the CPU lacks it. Not thread-safe; never called by secretctl.
 * san_scan_default: the implementation streams use unless told otherwise. */
int san_scan_select(unsigned impl);
unsigned san_scan_default(void);
/* The classes of one word (a partial one padded by the caller), and the step of rs over it. */
void san_word_masks(const uint8_t *p, struct san_word *ret_word);
void san_runs_step(struct san_runs *rs, const struct san_word *w);
/* The candidates of a word given rs, the state before it. top: its last valid byte's bit. */
uint64_t san_word_cands(const struct san_runs *rs, const struct san_word *w, uint64_t top);
/* Choose the pre-scan implementation (idempotent; called by san_set_new). */
void san_decode_init(void);
/* c is in the run alphabet of rule 4. */
static inline bool san_run_alpha(uint8_t c)
{
	return (san_class[c] & SAN_C_ALPHA) != 0;
}

/* The decoded view of the whole text in[0..n) (no bytes before or after it). out receives the
 * symbols (at most n); src, when not NULL, the source start of each symbol and src_end its
 * end. Returns the number of symbols. flags: SAN_DECODE_ESCAPES_ONLY applies rule 2 only and
 * keeps the CR and LF that escapes stand for (a program's "unescaped" value). */
size_t san_decode_text(const uint8_t *in, size_t n, unsigned flags, uint8_t *out, uint32_t *src,
		       uint32_t *src_end);

/* ---- forms (variants.c) ----------------------------------------------------------------------
 * A form of a secret: a text form (bytes in the set's form arena) or an encoding computed from
 * the value (hex, base64 at one alignment). Forms up to SAN_WHOLE_MAX bytes are inserted whole;
 * longer ones are kept here and matched from keys. */
enum san_form_kind {
	SAN_FORM_TEXT = 0, /* arena[off .. off+len) */
	SAN_FORM_PLUS = 1, /* the same, each space read as '+' (form encoding) */
	SAN_FORM_HEX = 2,  /* value arena[off .. off+vlen) in hex; param 0 lower, 1 upper */
	SAN_FORM_B64 = 3,  /* value in base64; param = alphabet (0 std, 1 url) * 3 + alignment */
};

struct san_form {
	uint32_t off;  /* arena offset of the text, or of the value for HEX/B64 */
	uint32_t len;  /* bytes in the form */
	uint32_t vlen; /* HEX/B64: value bytes */
	uint16_t label;
	uint8_t kind;
	uint8_t param;
	uint8_t lines; /* keys also at every line start (the raw form of a multi-line value) */
	uint8_t pad[3];
};

/* The generator's output for one form. Whole forms come with their bytes; long text forms too
 * (to be copied into the arena); long encodings only with their kind and parameters. */
struct san_form_out {
	const uint8_t *p; /* bytes, or NULL for a long encoding */
	size_t len;
	uint8_t kind, param, lines;
	bool value; /* p is the value itself (the raw form) */
};
typedef int (*san_form_fn)(void *ctx, const struct san_form_out *f);

/* Generate every form of one value (raw first), already filtered by the minimum lengths, into
 * fn. Duplicates may be reported more than once (the builder merges them). scratch holds
 * san_forms_scratch(len) bytes of secure memory, left holding forms of the value for the
 * caller to wipe. 0 or -errno. */
size_t san_forms_scratch(size_t len);
int san_forms(const uint8_t *value, size_t len, uint8_t *scratch, san_form_fn fn, void *ctx);

extern const char san_hex_digits[2][17];
extern const char san_b64_alphabets[2][65];

/* Byte o (< f->len) of a long form. Inline: an extension compares one a symbol. */
static inline uint8_t san_form_byte(const uint8_t *arena, const struct san_form *f, size_t o)
{
	const uint8_t *v = arena + f->off;
	switch (f->kind) {
	case SAN_FORM_PLUS: return v[o] == ' ' ? '+' : v[o];
	case SAN_FORM_HEX: {
		uint8_t b = v[o >> 1];
		return (uint8_t)san_hex_digits[f->param][(o & 1) ? b & 15 : b >> 4];
	}
	case SAN_FORM_B64: {
		/* character o of the value's encoding after a (0..2) bytes: its 6 bits start at bit
		 * 6 * (o + ceil(8a/6)) - 8a of the value */
		size_t a = f->param % 3, bit = 6 * (o + (8 * a + 5) / 6) - 8 * a, b = bit >> 3;
		unsigned w = (unsigned)v[b] << 8 | (b + 1 < f->vlen ? v[b + 1] : 0u);
		return (uint8_t)san_b64_alphabets[f->param >= 3][(w >> (10 - (bit & 7))) & 63];
	}
	default: return v[o];
	}
}

/* ---- the compiled set (set.c) ---------------------------------------------------------------- */

/* Automaton node. Children of a node are contiguous and sorted by byte (breadth-first layout),
 * so the nodes of one depth below a node also form a contiguous range. Depths are bounded by
 * SAN_WHOLE_MAX (long forms enter the trie only as keys). */
struct san_node {
	uint32_t fail;	  /* longest proper suffix that is a trie node */
	uint32_t first;	  /* index of the first child */
	uint32_t klink;	  /* nearest node on the fail chain (self included) ending a key; 0: none */
	uint16_t depth;	  /* length of the string this node spells */
	uint16_t out_len; /* longest pattern that is a suffix of this node's string (0: none) */
	uint16_t label;	  /* secret index of that pattern (first added wins for equal strings) */
	uint16_t nchild;
	uint8_t byte; /* the byte on the edge from the parent */
	uint8_t pad[3];
};

/* A key: SAN_KEY_LEN bytes of a long form at offset off. Keys with equal bytes share one trie
 * node; keymap maps that node to its first key, next chains the others (UINT32_MAX ends). */
struct san_key {
	uint32_t form;
	uint32_t off;
	uint32_t next;
};
struct san_keymap {
	uint32_t node;
	uint32_t key;
};

struct san_set {
	/* building */
	char **names;	     /* malloc'd names, nsecrets of them */
	char **placeholders; /* "[REDACTED:NAME]" per name */
	size_t *ph_len;
	size_t nsecrets, cap_secrets;
	uint8_t *values; /* secure arena with every value back to back (freed by compile) */
	size_t values_len, values_cap;
	size_t *voff, *vlen;
	int compiled;

	/* compiled automaton: one sodium_malloc region holding nodes, root table and prefilter */
	void *region;
	size_t region_size;
	struct san_node *nodes;
	uint32_t nnodes;
	uint32_t *root_next; /* dense transitions of the root: 256 entries */
	uint64_t *bits;	     /* prefilter: hashed grams at offsets 0..stride-1 of every pattern */
	unsigned hshift;     /* 32 - log2(number of bits) */
	unsigned stride;     /* the prefilter samples every stride-th position (see skip()) */
	unsigned gram;	     /* prefilter gram length: 4 or 8 bytes */
	bool bmi2;	     /* the CPU has BMI2: the scan uses its variable-count shifts */
	uint32_t max_depth;  /* longest pattern */
	size_t npatterns;    /* distinct patterns (keys included) */

	/* long forms: their texts and values in one secure arena, the keys that find them */
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct san_form *forms;
	size_t nforms, cap_forms;
	struct san_key *keys;
	size_t nkeys, cap_keys;
	struct san_keymap *keymap; /* sorted by node */
	size_t nkeymap;
	size_t key_stride; /* bytes between grid keys of a long form (SIZE_MAX: none) */
	size_t line_step;  /* every line_step-th line start of a raw multi-line form is a key */
};

/* Prefilter limits: the longest sampling stride, and the largest table (bits; 512 KiB), which must
 * stay well inside the L2 cache since every sample reads it at a random place (measured here: a
 * sample costs 2 ns up to 256 KiB, 2.5-3 ns at 512 KiB, 4 ns at 1 MiB). */
#define SAN_STRIDE_MAX 32u
#define SAN_FILTER_BITS_MAX ((size_t)1 << 22)
/* The smallest table (bits; 128 bytes): the table is sized to 64 bits per gram between these two
 * limits, so a set of one secret does not allocate (and zero and lock) a table for thousands. */
#define SAN_FILTER_BITS_MIN_LOG2 10
/* Builder sizing, for the first allocations only: the smallest trie (nodes, hash slots), the
 * expected trie nodes per value byte (all the whole forms of a secret together), and the first
 * values arena (bytes): with sodium_malloc's 16-byte canary it fills the one 4 KiB page that even
 * a smaller arena would map and lock, so a set of a few secrets never regrows it. */
#define SAN_BUILD_MIN 64u
#define SAN_BUILD_EXPANSION 12u
#define SAN_VALUES_FIRST 4000u

/* The two hashes of the 4 bytes at p for the prefilter, a Bloom filter with two probes: the
 * second probe cuts false candidates (each costs up to stride + depth automaton steps) by another
 * factor of ~30. Same functions at build and scan time. */
#define SAN_HASH_A 0x9E3779B1u
#define SAN_HASH_B 0x85EBCA77u
static inline uint32_t san_hash4(const uint8_t *p, uint32_t mul, unsigned shift)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return (v * mul) >> shift;
}
/* 8-byte grams, used when every pattern is long enough: hex digits and other small alphabets make
 * 4-grams of encoded secrets common in ordinary logs, 8-grams almost never. */
#define SAN_HASH8_A 0x9E3779B97F4A7C15ull
#define SAN_HASH8_B 0xC2B2AE3D27D4EB4Full
static inline uint32_t san_hash8(const uint8_t *p, uint64_t mul, unsigned shift)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return (uint32_t)((v * mul) >> (32 + shift));
}

/* Reveal rule shared by san_flush_idle and san_finish: a held partial match of depth d whose
 * shortest completion is m bytes long is revealing when d >= min(SAN_REVEAL_LEN, ceil(m / 2)).
 * Returns the deepest revealing node on the failure chain of state (0 when none) and the label
 * of that node's shortest completion in *ret_label. */
uint32_t san_revealing(const struct san_set *set, uint32_t state, uint16_t *ret_label);

/* The keys ending at node (a klink target): the first key's index, or UINT32_MAX. */
uint32_t san_key_at(const struct san_set *set, uint32_t node);

/* Raw bytes a stream stores right now (its hold buffer), for the memory-bound tests. */
size_t san_stream_stored(const struct san_stream *st);
/* Extensions a stream could not start for lack of a free slot (SAN_CANDS per view). */
uint64_t san_stream_overflows(const struct san_stream *st);
#define SAN_CANDS 16

#endif
