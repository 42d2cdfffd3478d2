/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: one output channel filtered through a compiled set. The automaton runs over two
 * views of the bytes: the raw bytes and their decoded view (escapes decoded, terminal sequences
 * and wrapped-run line breaks skipped; decode.c). Every occurrence in either view becomes a span
 * of source bytes; overlapping and adjacent spans merge and each merged span is replaced with one
 * placeholder, holding back only bytes that could still become part of a match. */
#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

/* A merged span [start, end) in absolute stream positions, named after its first occurrence in
 * the order: leftmost start, complete before fail-closed partial, longest, lowest label. */
struct span {
	uint64_t start, end;
	uint64_t lab_end; /* end of the occurrence that names it */
	uint16_t label;
	bool lab_partial;
};

/* An extension: a key of a long form matched; the symbols after it are compared with the rest
 * of the form while they agree, and the span grows with them. */
struct cand {
	uint64_t start; /* source start of the span */
	uint64_t end;	/* source end of the last symbol that agreed */
	uint32_t form;
	uint32_t off; /* form byte expected next */
};

/* Source starts of the last symbols of the decoded view, to turn a match's length in symbols
 * into source positions. Longer than any pattern (SAN_WHOLE_MAX). */
#define RING 512u

struct view {
	uint32_t state; /* automaton state */
	uint64_t next;	/* source position of the next byte this view has not consumed */
	uint64_t nsym;	/* symbols consumed */
	unsigned ncand;
	struct cand cand[SAN_CANDS];
};

struct san_stream {
	const struct san_set *set;
	uint64_t pos;	  /* bytes of input seen */
	uint64_t emitted; /* output is decided for every position before this */
	/* Raw bytes [hold_base, hold_base + hold_len) kept from earlier calls (secure memory). */
	uint8_t *hold;
	size_t hold_len, hold_cap;
	uint64_t hold_base;
	/* Pending spans, sorted, disjoint and not adjacent: spans[lo..hi). */
	struct span *spans;
	size_t lo, hi, cap;
	uint64_t *counts;
	uint64_t overflows;

	struct view raw, dec;
	uint64_t *ring; /* RING source starts of the decoded view's symbols */

	/* Events of the decoded view, numbered in the order found: events ev_lo..ev_hi-1 are kept,
	 * sorted by start and disjoint, event number n at evs[n - ev_first] (numbers stay valid
	 * when the array is compacted). The pre-scan has looked at every position before
	 * `scanned`; an introducer at pend (UINT64_MAX: none) waits for bytes that have not
	 * arrived, which are kept in carry (pend..pos). */
	struct san_ev *evs;
	size_t ev_lo, ev_hi, ev_first, ev_cap;
	uint64_t scanned;
	uint64_t ev_end;      /* end of the last event (introducers before it are inside it) */
	struct san_runs runs; /* rule 4's run state of the 64 bytes before `scanned` */
	bool dense;	      /* the last words held candidates close together: scan word by word */
	uint64_t pend;
	uint8_t *carry; /* secure, SAN_ESC_MAX bytes */
	size_t carry_len;
	uint8_t *work; /* secure: carry + the start of the next chunk */

	/* The range being processed: bytes [chunk_base, chunk_base + chunk_len) at chunk. */
	const uint8_t *chunk;
	uint64_t chunk_base;
	size_t chunk_len;
	bool eof;
	san_emit_fn emit;
	void *ctx;
};

#define WORK_CHUNK 4096u
/* Words the pre-scan goes word by word after a candidate came within that many (see prescan). */
#define DENSE_WORDS 8u
#define NONE UINT64_MAX

struct san_stream *san_stream_new(const struct san_set *set)
{
	if (!set || !set->compiled)
		return NULL;
	struct san_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->set = set;
	st->counts = calloc(set->nsecrets ? set->nsecrets : 1, sizeof(uint64_t));
	st->ring = calloc(RING, sizeof(uint64_t));
	st->carry = secure_alloc(SAN_ESC_MAX + SAN_ESC_MAX + WORK_CHUNK);
	if (!st->counts || !st->ring || !st->carry) {
		free(st->counts);
		free(st->ring);
		secure_free(st->carry);
		free(st);
		return NULL;
	}
	st->work = st->carry + SAN_ESC_MAX;
	st->pend = NONE;
	return st;
}

struct san_stream *san_stream_free(struct san_stream *st)
{
	if (!st)
		return NULL;
	if (st->hold)
		secure_free(st->hold);
	secure_free(st->carry);
	free(st->spans);
	free(st->counts);
	free(st->ring);
	free(st->evs);
	free(st);
	return NULL;
}

size_t san_stream_pending(const struct san_stream *st)
{
	return st ? (size_t)(st->pos - st->emitted) : 0;
}

size_t san_stream_stored(const struct san_stream *st)
{
	return st ? st->hold_len + st->carry_len : 0;
}

uint64_t san_stream_overflows(const struct san_stream *st)
{
	return st ? st->overflows : 0;
}

uint64_t san_stream_count(const struct san_stream *st, size_t i)
{
	return st && i < st->set->nsecrets ? st->counts[i] : 0;
}

/* ---- output --------------------------------------------------------------------------------- */

/* Emit the raw bytes [from, to): the older part comes from the hold buffer, the rest from the
 * current range. Every byte asked for here is in one of the two by construction (the bytes
 * between them, if any, lie inside a span and are never asked for). */
static int emit_raw(struct san_stream *st, uint64_t from, uint64_t to)
{
	int r;
	if (from >= to)
		return 0;
	uint64_t hend = st->hold_base + st->hold_len;
	if (from < hend && from >= st->hold_base) {
		uint64_t e = to < hend ? to : hend;
		r = st->emit(st->ctx, st->hold + (from - st->hold_base), (size_t)(e - from));
		if (r < 0)
			return r;
		from = e;
	}
	if (from < to) {
		assert(st->chunk && from >= st->chunk_base && to <= st->chunk_base + st->chunk_len);
		r = st->emit(st->ctx, st->chunk + (from - st->chunk_base), (size_t)(to - from));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Replace the oldest pending span: raw bytes before it, then its placeholder. */
static int finalize_one(struct san_stream *st)
{
	struct span *sp = &st->spans[st->lo];
	int r;
	if ((r = emit_raw(st, st->emitted, sp->start)) < 0)
		return r;
	r = st->emit(st->ctx, st->set->placeholders[sp->label], st->set->ph_len[sp->label]);
	if (r < 0)
		return r;
	st->counts[sp->label]++;
	st->emitted = sp->end;
	if (++st->lo == st->hi)
		st->lo = st->hi = 0;
	return 0;
}

/* Is occurrence a (start, partial, end, label) a better name than b? */
static bool names_before(uint64_t as, bool ap, uint64_t ae, uint16_t al, uint64_t bs, bool bp,
			 uint64_t be, uint16_t bl)
{
	if (as != bs)
		return as < bs;
	if (ap != bp)
		return !ap;
	if (ae != be)
		return ae > be;
	return al < bl;
}

/* Record the occurrence [start, end). The two views report occurrences in source order each,
 * not in one order together, so the new span may go anywhere among the pending ones (in
 * practice near the top): every span it overlaps or touches merges with it. */
static int add_span(struct san_stream *st, uint64_t start, uint64_t end, uint16_t label,
		    bool partial)
{
	if (start < st->emitted)
		start = st->emitted; /* released by an idle flush: cannot be taken back */
	if (start >= end)
		return 0;
	struct span nw = { start, end, end, label, partial };
	size_t j = st->hi;
	while (j > st->lo && st->spans[j - 1].end >= start)
		j--;
	size_t k = j;
	while (k < st->hi && st->spans[k].start <= end) {
		const struct span *o = &st->spans[k];
		if (names_before(o->start, o->lab_partial, o->lab_end, o->label, nw.start,
				 nw.lab_partial, nw.lab_end, nw.label)) {
			nw.label = o->label;
			nw.lab_end = o->lab_end;
			nw.lab_partial = o->lab_partial;
		}
		if (o->start < nw.start)
			nw.start = o->start;
		if (o->end > nw.end)
			nw.end = o->end;
		k++;
	}
	if (k > j) { /* merged spans[j..k) into nw: put it at j, close the gap */
		st->spans[j] = nw;
		memmove(st->spans + j + 1, st->spans + k, (st->hi - k) * sizeof(struct span));
		st->hi -= k - j - 1;
		return 0;
	}
	if (st->hi == st->cap) {
		if (st->lo > 0) {
			memmove(st->spans, st->spans + st->lo,
				(st->hi - st->lo) * sizeof(struct span));
			st->hi -= st->lo;
			j -= st->lo;
			st->lo = 0;
		} else {
			size_t nc = st->cap ? st->cap * 2 : 16;
			struct span *n = reallocarray(st->spans, nc, sizeof(struct span));
			if (!n)
				return -ENOMEM;
			st->spans = n;
			st->cap = nc;
		}
	}
	memmove(st->spans + j + 1, st->spans + j, (st->hi - j) * sizeof(struct span));
	st->spans[j] = nw;
	st->hi++;
	return 0;
}

/* Finalize every span that nothing can reach any more: a future occurrence starts at or after
 * window, so a span ending before window can neither overlap nor touch one. */
static int settle(struct san_stream *st, uint64_t window)
{
	int r;
	while (st->hi > st->lo && st->spans[st->lo].end < window)
		if ((r = finalize_one(st)) < 0)
			return r;
	return 0;
}

/* Emit raw bytes up to limit (but not into a pending span), then keep in the hold buffer only the
 * raw bytes that may still be emitted later: not the inside of the first pending span, and not
 * the inside of a last one that reaches the end (a long extension in progress). */
static int release_and_hold(struct san_stream *st, uint64_t limit)
{
	int r;
	uint64_t to = limit;
	if (st->hi > st->lo && st->spans[st->lo].start < to)
		to = st->spans[st->lo].start;
	if (to > st->emitted) {
		if ((r = emit_raw(st, st->emitted, to)) < 0)
			return r;
		st->emitted = to;
	}
	uint64_t keep = st->emitted, end = st->pos;
	if (st->hi > st->lo && st->spans[st->lo].start <= keep)
		keep = st->spans[st->lo].end; /* a span's own bytes are never needed */
	if (st->hi > st->lo && st->spans[st->hi - 1].end >= end &&
	    st->spans[st->hi - 1].start < end)
		end = st->spans[st->hi - 1].start;
	if (keep > end)
		keep = end = st->pos;
	size_t need = (size_t)(end - keep);
	uint64_t hbase = st->hold_base, hend = hbase + st->hold_len;
	assert(keep >= hbase || keep >= hend);
	/* Bytes of [keep, end) still in the old hold buffer move to the front, those of the
	 * current range are copied after them; a position in neither lies inside a pending span
	 * (it is never emitted) and is zero. */
	size_t have = keep >= hbase && keep < hend ? (size_t)((hend < end ? hend : end) - keep) : 0;
	uint8_t *dst = st->hold;
	if (need > st->hold_cap) {
		size_t nc = st->hold_cap ? st->hold_cap : 4096;
		while (nc < need)
			nc *= 2;
		if (!(dst = secure_alloc(nc)))
			return -ENOMEM;
		if (have)
			memcpy(dst, st->hold + (keep - hbase), have);
		if (st->hold)
			secure_free(st->hold);
		st->hold = dst;
		st->hold_cap = nc;
	} else if (have) {
		memmove(dst, dst + (keep - hbase), have);
	}
	uint64_t x = keep + have;
	if (x < end) {
		uint64_t cb = st->chunk ? st->chunk_base : end;
		uint64_t gap_end = cb >= end ? end : (cb > x ? cb : x);
		memset(dst + have, 0, (size_t)(gap_end - x));
		if (gap_end < end) {
			assert(st->chunk && end <= st->chunk_base + st->chunk_len);
			memcpy(dst + (gap_end - keep), st->chunk + (gap_end - cb),
			       (size_t)(end - gap_end));
		}
	}
	if (st->hold_len > need)
		sodium_memzero(st->hold + need, st->hold_len - need);
	st->hold_len = need;
	st->hold_base = keep;
	return 0;
}

/* ---- the automaton -------------------------------------------------------------------------- */

static inline uint32_t step(const struct san_node *nodes, const uint32_t *root_next, uint32_t s,
			    uint8_t c)
{
	for (;;) {
		if (s == 0)
			return root_next[c];
		const struct san_node *n = &nodes[s];
		uint32_t f = n->first, k = n->nchild;
		if (k == 1) {
			if (nodes[f].byte == c)
				return f;
		} else if (k > 1) {
			uint32_t lo = f, hi = f + k;
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;
				if (nodes[mid].byte < c)
					lo = mid + 1;
				else if (nodes[mid].byte > c)
					hi = mid;
				else
					return mid;
			}
		}
		s = n->fail;
	}
}

/* Source start of the symbol d symbols back in view v (d >= 1, d <= symbols consumed). */
static inline uint64_t sym_start(const struct san_stream *st, const struct view *v, uint64_t d,
				 uint64_t s1)
{
	if (v == &st->raw)
		return s1 - d;
	return st->ring[(v->nsym - d) & (RING - 1)];
}

static int cand_close(struct san_stream *st, struct view *v, unsigned i)
{
	struct cand *c = &v->cand[i];
	int r = add_span(st, c->start, c->end, st->set->forms[c->form].label, false);
	v->cand[i] = v->cand[--v->ncand];
	return r;
}

/* A key ended at this symbol: start an extension for each form that has these key bytes. */
static int cands_start(struct san_stream *st, struct view *v, uint32_t knode, uint64_t s1)
{
	const struct san_set *set = st->set;
	uint64_t kstart = sym_start(st, v, SAN_KEY_LEN, s1);
	for (uint32_t k = san_key_at(set, knode); k != UINT32_MAX; k = set->keys[k].next) {
		const struct san_key *key = &set->keys[k];
		const struct san_form *f = &set->forms[key->form];
		if (key->off + SAN_KEY_LEN >= f->len)
			continue; /* the form's end: nothing follows */
		/* One extension per form at a time: while one goes on, keys of the same form at
		 * other alignments (repeated text, such as the armour lines of a PEM bundle) start
		 * none; when it stops, the next key of the form starts one again. */
		unsigned i;
		for (i = 0; i < v->ncand; i++)
			if (v->cand[i].form == key->form)
				break;
		if (i < v->ncand)
			continue;
		if (v->ncand == SAN_CANDS) {
			st->overflows++;
			continue;
		}
		v->cand[v->ncand++] = (struct cand){
			.start = kstart, .end = s1, .form = key->form, .off = key->off + SAN_KEY_LEN
		};
	}
	return 0;
}

/* One symbol c of view v, from source bytes [s0, s1). */
static int view_sym(struct san_stream *st, struct view *v, uint8_t c, uint64_t s0, uint64_t s1)
{
	const struct san_set *set = st->set;
	int r;
	uint32_t s = step(set->nodes, set->root_next, v->state, c);
	v->state = s;
	if (v != &st->raw)
		st->ring[v->nsym & (RING - 1)] = s0;
	v->nsym++;
	for (unsigned i = 0; i < v->ncand;) {
		struct cand *cd = &v->cand[i];
		const struct san_form *f = &set->forms[cd->form];
		if (san_form_byte(set->arena, f, cd->off) == c) {
			cd->end = s1;
			if (++cd->off < f->len) {
				i++;
				continue;
			}
		}
		if ((r = cand_close(st, v, i)) < 0)
			return r;
	}
	const struct san_node *n = &set->nodes[s];
	if (n->out_len &&
	    (r = add_span(st, sym_start(st, v, n->out_len, s1), s1, n->label, false)) < 0)
		return r;
	if (n->klink && (r = cands_start(st, v, n->klink, s1)) < 0)
		return r;
	return 0;
}

/* ---- events (the decoded view's differences from the bytes) --------------------------------- */

static inline int byte_at(const struct san_stream *st, uint64_t x)
{
	return st->chunk[x - st->chunk_base];
}

static inline const struct san_ev *EV(const struct san_stream *st, size_t n)
{
	return &st->evs[n - st->ev_first];
}

static int ev_push(struct san_stream *st, const struct san_ev *ev)
{
	if (st->ev_hi - st->ev_first == st->ev_cap) {
		size_t drop = st->ev_lo - st->ev_first;
		if (drop > st->ev_cap / 2) {
			memmove(st->evs, st->evs + drop, (st->ev_hi - st->ev_lo) * sizeof(*ev));
			st->ev_first = st->ev_lo;
		} else {
			size_t nc = st->ev_cap ? st->ev_cap * 2 : 64;
			struct san_ev *n = reallocarray(st->evs, nc, sizeof(*ev));
			if (!n)
				return -ENOMEM;
			st->evs = n;
			st->ev_cap = nc;
		}
	}
	st->evs[st->ev_hi++ - st->ev_first] = *ev;
	st->ev_end = ev->start + ev->len;
	return 0;
}

/* Rule 4's last condition for the LF at x, which has its run before it: 1 when a run byte
 * follows (the LF shows nothing), 0 when another byte does, -EAGAIN when the next byte has not
 * been seen yet. */
static int lf_follow(const struct san_stream *st, uint64_t x)
{
	/* the byte after it last: ordinary lines end without waiting for the next one */
	if (x + 1 >= st->chunk_base + st->chunk_len)
		return st->eof ? 0 : -EAGAIN;
	return san_run_alpha(st->chunk[x + 1 - st->chunk_base]);
}

/* The candidates of one word at w0 (bits of cand, bytes at p): each outside an earlier event
 * becomes an event or nothing. 1 when one waits for bytes not seen yet (then st->pend, and
 * scanned is its position), 0, or a negative errno. */
static __attribute__((noinline)) int word_events(struct san_stream *st, const uint8_t *p,
						 uint64_t w0, const struct san_word *m,
						 uint64_t cand)
{
	uint64_t end = st->chunk_base + st->chunk_len;
	/* the run bytes and CRs of the 128 bytes up to the end of this word (st->runs: the 64
	 * before it); bit i is the byte at w0 - 64 + i */
	unsigned __int128 runs = (unsigned __int128)m->alpha << 64 | st->runs.a;
	unsigned __int128 crs = (unsigned __int128)m->cr << 64 | st->runs.c;
	int r;
	for (; cand; cand &= cand - 1) {
		unsigned b = (unsigned)__builtin_ctzll(cand);
		uint64_t x = w0 + b;
		if (x < st->ev_end)
			continue;
		struct san_ev ev = { .start = x };
		int l;
		if (p[b] != '\n') {
			l = san_decode_esc(p + b, (size_t)(end - x), st->eof, 0, &ev);
		} else {
			/* Rule 4 from the masks (every line of a wrapped blob): the CRs right
			 * before the LF (bit 63: the byte before it), then 24 run bytes. With at
			 * most SAN_CR_MAX CRs the run lies within the masks (b + 40 >= ncr). */
			uint64_t cb = (uint64_t)(crs >> b);
			unsigned ncr = ~cb ? (unsigned)__builtin_clzll(~cb) : 64;
			if (ncr > SAN_CR_MAX)
				l = 0;
			else
				l = ((uint64_t)(runs >> (b + 40 - ncr)) & 0xFFFFFF) == 0xFFFFFF
					    ? lf_follow(st, x)
					    : 0;
		}
		if (l == -EAGAIN) {
			st->pend = x;
			return 1;
		}
		if (l > 0) {
			ev.start = x;
			ev.len = (uint16_t)l;
			if ((r = ev_push(st, &ev)) < 0)
				return r;
		}
	}
	return 0;
}

/* Pre-scan the current range up to upto (at least): every escape introducer, CR and LF outside
 * an earlier event that may show differently in the decoded view becomes an event or nothing
 * (san_scan_words finds them 64 bytes at a time; ordinary text has none). Stops at one whose
 * meaning depends on bytes not seen yet (st->pend). */
static __attribute__((noinline)) int prescan_more(struct san_stream *st, uint64_t upto)
{
	uint64_t end = st->chunk_base + st->chunk_len;
	int r;
	if (upto > end)
		upto = end;
	/* look a little past upto, so that a caller asking again soon finds it done */
	uint64_t lim = upto + WORK_CHUNK < end ? upto + WORK_CHUNK : end;
	while (st->scanned < upto && st->pend == NONE) {
		uint64_t w0 = st->scanned;
		const uint8_t *p = st->chunk + (w0 - st->chunk_base);
		size_t nw = (size_t)(lim - w0) / 64;
		struct san_word m;
		uint64_t cand;
		if (nw) {
			/* Batches of 8 words pay off where candidates are rare; where they come every
			 * line (a wrapped base64 blob), word by word until 8 words hold none. */
			size_t w, lw = nw;
			if (st->dense) {
				lw = nw < DENSE_WORDS ? nw : DENSE_WORDS;
				w = san_scan_words_dense(p, lw, &st->runs, &m, &cand);
				if (w == DENSE_WORDS)
					st->dense = false;
			} else {
				w = san_scan_words(p, nw, &st->runs, &m, &cand);
				if (w < DENSE_WORDS && w < nw)
					st->dense = true;
			}
			st->scanned = w0 + 64 * w;
			if (w == lw)
				continue;
			w0 += 64 * w;
			p += 64 * w;
			struct san_runs before = st->runs;
			if ((r = word_events(st, p, w0, &m, cand))) {
				if (r < 0)
					return r;
				/* wait at pend, with the state of the 64 bytes before it */
				unsigned b = (unsigned)(st->pend - w0);
				if (b)
					st->runs = (struct san_runs){
						before.a >> b | m.alpha << (64 - b),
						before.c >> b | m.cr << (64 - b)
					};
				st->scanned = st->pend;
				return 0;
			}
			san_runs_step(&st->runs, &m);
			st->scanned = w0 + 64;
			continue;
		}
		/* the last bytes of the range, fewer than a word: padded (a 0 is in no class) */
		size_t n = (size_t)(lim - w0);
		if (!n)
			break;
		uint8_t tmp[64] = { 0 };
		memcpy(tmp, p, n);
		san_word_masks(tmp, &m);
		cand = san_word_cands(&st->runs, &m, (uint64_t)1 << (n - 1));
		if (cand && (r = word_events(st, p, w0, &m, cand))) {
			if (r < 0)
				return r;
			n = (size_t)(st->pend - w0);
		}
		/* the state before the next byte: the 64 bytes before it */
		if (n) {
			uint64_t keep = ((uint64_t)1 << n) - 1; /* n < 64 */
			st->runs =
				(struct san_runs){ st->runs.a >> n | (m.alpha & keep) << (64 - n),
						   st->runs.c >> n | (m.cr & keep) << (64 - n) };
		}
		st->scanned = w0 + n;
		if (st->pend != NONE)
			return 0;
	}
	return 0;
}

/* prescan_more, called only when there is something to do: it is asked at every sample and
 * every step, and has nearly always done it already. */
static inline int prescan(struct san_stream *st, uint64_t upto)
{
	if (st->scanned >= upto || st->pend != NONE ||
	    st->scanned >= st->chunk_base + st->chunk_len)
		return 0;
	return prescan_more(st, upto);
}

/* ---- scanning ------------------------------------------------------------------------------- */

/* Sample positions i, i+k, i+2k, ... (k = stride) whose gram lies inside the buffer; return the
 * first sample whose gram is in the prefilter, or the first sample past the buffer. No occurrence
 * starts in [i, q-k] (the sample after each such start was rejected), so the caller steps the
 * automaton exactly from max(i, q-k+1) through q.
 * Almost every sample misses, so the main loop tests four samples with both probes each and
 * one branch on the combined result: the loads are independent (the CPU overlaps their cache
 * misses) and the branch is taken about once per 250 groups, so it is predicted. The group that
 * hit is then searched sample by sample for the first one. No calls, no automaton. */
#define PF_BIT(h) ((bits[(h) >> 6] >> ((h)&63)) & 1)
#define PF_TEST(HASH, MA, MB, at) \
	(PF_BIT(HASH(p + (at), MA, shift)) & PF_BIT(HASH(p + (at), MB, shift)))
#define SKIP_BODY(G, HASH, MA, MB)                                                     \
	size_t q = i;                                                                  \
	while (q + 3 * (size_t)k + (G) <= len) {                                       \
		uint64_t t = PF_TEST(HASH, MA, MB, q) | PF_TEST(HASH, MA, MB, q + k) | \
			     PF_TEST(HASH, MA, MB, q + 2 * (size_t)k) |                \
			     PF_TEST(HASH, MA, MB, q + 3 * (size_t)k);                 \
		if (__builtin_expect(t != 0, 0))                                       \
			break;                                                         \
		q += 4 * (size_t)k;                                                    \
	}                                                                              \
	while (q + (G) <= len) {                                                       \
		if (PF_TEST(HASH, MA, MB, q))                                          \
			return q;                                                      \
		q += k;                                                                \
	}                                                                              \
	return q;

static size_t skip4(const uint64_t *bits, unsigned shift, unsigned k, const uint8_t *p, size_t i,
		    size_t len)
{
	SKIP_BODY(4, san_hash4, SAN_HASH_A, SAN_HASH_B)
}

static size_t skip8(const uint64_t *bits, unsigned shift, unsigned k, const uint8_t *p, size_t i,
		    size_t len)
{
	SKIP_BODY(8, san_hash8, SAN_HASH8_A, SAN_HASH8_B)
}

/* The same loops built for BMI2: the table index and bit position are shifts by a count held in
 * a register, one instruction each with BMI2 and three without (about half the cost of a sample,
 * measured). Chosen at compile time of the set from what the CPU reports. */
__attribute__((target("bmi2"))) static size_t
skip4_bmi2(const uint64_t *bits, unsigned shift, unsigned k, const uint8_t *p, size_t i, size_t len)
{
	SKIP_BODY(4, san_hash4, SAN_HASH_A, SAN_HASH_B)
}

__attribute__((target("bmi2"))) static size_t
skip8_bmi2(const uint64_t *bits, unsigned shift, unsigned k, const uint8_t *p, size_t i, size_t len)
{
	SKIP_BODY(8, san_hash8, SAN_HASH8_A, SAN_HASH8_B)
}

static size_t skip(const struct san_set *set, const uint8_t *p, size_t i, size_t len)
{
	if (set->gram == 8)
		return set->bmi2 ? skip8_bmi2(set->bits, set->hshift, set->stride, p, i, len)
				 : skip8(set->bits, set->hshift, set->stride, p, i, len);
	return set->bmi2 ? skip4_bmi2(set->bits, set->hshift, set->stride, p, i, len)
			 : skip4(set->bits, set->hshift, set->stride, p, i, len);
}
#undef SKIP_BODY
#undef PF_TEST
#undef PF_BIT

static bool pf_hit(const struct san_set *set, const uint8_t *g)
{
	uint32_t h1, h2;
	if (set->gram == 8) {
		h1 = san_hash8(g, SAN_HASH8_A, set->hshift);
		h2 = san_hash8(g, SAN_HASH8_B, set->hshift);
	} else {
		h1 = san_hash4(g, SAN_HASH_A, set->hshift);
		h2 = san_hash4(g, SAN_HASH_B, set->hshift);
	}
	return ((set->bits[h1 >> 6] >> (h1 & 63)) & (set->bits[h2 >> 6] >> (h2 & 63)) & 1) != 0;
}

/* First event at or after index e with end > x (events before it end at or before x). */
static size_t ev_after(const struct san_stream *st, size_t e, uint64_t x)
{
	while (e < st->ev_hi && EV(st, e)->start + EV(st, e)->len <= x)
		e++;
	return e;
}

/* Whether the decoded view has a gram in the prefilter at sample q: the first `gram` symbols
 * whose source ends after q, and, when the first of them is one of several an escape stands for
 * (\u00e9 is two bytes), also the grams starting at the others: an occurrence may start inside
 * the escape. true when the symbols are not all known yet (past the range or a pending
 * introducer): the caller then steps exactly. */
static bool dec_gram_hit(struct san_stream *st, uint64_t q)
{
	const struct san_set *set = st->set;
	uint64_t end = st->chunk_base + st->chunk_len, y = q;
	unsigned n = 0, first = 1, want = set->gram + 3;
	uint8_t g[8 + 3];
	size_t e = ev_after(st, st->ev_lo, q);
	/* one pre-scan for the usual case (no long escape among the symbols) */
	if (prescan(st, q + want) < 0)
		return true;
	/* No event among the gram's bytes (the window's event lay before q): the decoded gram is
	 * the raw one, which the caller has tested. */
	if ((e == st->ev_hi || EV(st, e)->start >= q + set->gram) && q + set->gram <= end &&
	    q + set->gram <= st->scanned && q + set->gram <= st->pend)
		return false;
	while (n < want) {
		if (y >= end || y >= st->pend ||
		    (st->scanned <= y && (prescan(st, y + 1) < 0 || st->scanned <= y)))
			break;
		if (e < st->ev_hi && EV(st, e)->start <= y) {
			const struct san_ev *ev = EV(st, e++);
			if (n == 0 && ev->nsym)
				first = ev->nsym;
			for (unsigned k = 0; k < ev->nsym && n < want; k++)
				g[n++] = ev->sym[k];
			y = ev->start + ev->len;
			continue;
		}
		/* plain bytes up to the next event, the scanned end or the range's end */
		uint64_t stop = e < st->ev_hi ? EV(st, e)->start : end;
		if (stop > end)
			stop = end;
		if (stop > st->scanned)
			stop = st->scanned;
		if (stop > st->pend)
			stop = st->pend;
		while (n < want && y < stop)
			g[n++] = st->chunk[y++ - st->chunk_base];
	}
	for (unsigned a = 0; a < first; a++) {
		if (a + set->gram > n)
			return true;
		if (pf_hit(set, g + a))
			return true;
	}
	return false;
}

/* From position i (both views idle): the first sample whose raw or decoded gram is in the
 * prefilter, or the first sample past the range. Samples whose window [q-k+1, q+gram) holds
 * no event start see the same gram in both views and go through the fast loop; the others
 * also test the decoded gram. */
static int sample(struct san_stream *st, uint64_t i, uint64_t *ret_q)
{
	const struct san_set *set = st->set;
	uint64_t base = st->chunk_base, end = base + st->chunk_len, q = i;
	unsigned k = set->stride, G = set->gram;
	size_t e = st->ev_lo;
	int r;
	for (;;) {
		if (q + G > end) {
			*ret_q = q;
			return 0;
		}
		if ((r = prescan(st, q + G + 4 * WORK_CHUNK)) < 0)
			return r;
		uint64_t limit = st->scanned < st->pend ? st->scanned : st->pend;
		/* events ending before the earliest position the exact steps may start from are
		 * behind for good; those starting before q-k+1 do not touch q's window */
		st->ev_lo = ev_after(st, st->ev_lo, q + 1 > i + k ? q + 1 - k : i);
		if (e < st->ev_lo)
			e = st->ev_lo;
		while (e < st->ev_hi && EV(st, e)->start + k <= q)
			e++;
		uint64_t next = e < st->ev_hi ? EV(st, e)->start : NONE;
		if (next < q + G || q + G > limit) {
			/* slow sample: the window holds an event, or is not scanned yet */
			if (!pf_hit(set, st->chunk + (q - base)) && !dec_gram_hit(st, q)) {
				q += k;
				continue;
			}
			*ret_q = q;
			return 0;
		}
		uint64_t lim = next < limit ? next : limit;
		size_t qr = skip(set, st->chunk, (size_t)(q - base), (size_t)(lim - base));
		q = base + qr;
		if (q + G > lim)
			continue;
		*ret_q = q; /* a hit */
		return 0;
	}
}

/* The decoded view consumes what starts at position i (nothing when i is inside an event it has
 * taken already, or after a pending introducer). */
static int dec_step(struct san_stream *st, uint64_t i)
{
	struct view *v = &st->dec;
	int r;
	if (i < v->next || i >= st->pend)
		return 0;
	if ((r = prescan(st, i + 1)) < 0)
		return r;
	if (i >= st->pend)
		return 0;
	size_t e = ev_after(st, st->ev_lo, i);
	st->ev_lo = e; /* events ending at or before i are behind both the view and the samples */
	if (e < st->ev_hi && EV(st, e)->start < i) {
		/* inside an event that started in skipped positions */
		v->next = EV(st, e)->start + EV(st, e)->len;
		return 0;
	}
	if (e < st->ev_hi && EV(st, e)->start == i) {
		const struct san_ev *ev = EV(st, e);
		uint64_t s1 = i + ev->len;
		uint8_t sym[4];
		unsigned ns = ev->nsym;
		memcpy(sym, ev->sym, sizeof(sym));
		v->next = s1;
		for (unsigned k = 0; k < ns; k++)
			if ((r = view_sym(st, v, sym[k], i, s1)) < 0)
				return r;
		return 0;
	}
	v->next = i + 1;
	return view_sym(st, v, (uint8_t)byte_at(st, i), i, i + 1);
}

static bool busy(const struct san_stream *st)
{
	return st->raw.state || st->dec.state || st->raw.ncand || st->dec.ncand;
}

/* Where a future occurrence may start at the earliest (for settling and holding). */
static uint64_t window(const struct san_stream *st)
{
	const struct san_node *nodes = st->set->nodes;
	uint64_t w = st->raw.next - nodes[st->raw.state].depth;
	uint64_t d = st->dec.state
			     ? st->ring[(st->dec.nsym - nodes[st->dec.state].depth) & (RING - 1)]
			     : st->dec.next;
	if (st->pend < d)
		d = st->pend;
	if (d < w)
		w = d;
	for (unsigned i = 0; i < st->raw.ncand; i++)
		if (st->raw.cand[i].start < w)
			w = st->raw.cand[i].start;
	for (unsigned i = 0; i < st->dec.ncand; i++)
		if (st->dec.cand[i].start < w)
			w = st->dec.cand[i].start;
	return w;
}

/* The extensions in progress as spans (they only grow from here). */
static int cand_spans(struct san_stream *st)
{
	int r;
	for (int vi = 0; vi < 2; vi++) {
		struct view *v = vi ? &st->dec : &st->raw;
		for (unsigned i = 0; i < v->ncand; i++) {
			struct cand *c = &v->cand[i];
			if ((r = add_span(st, c->start, c->end, st->set->forms[c->form].label,
					  false)) < 0)
				return r;
		}
	}
	return 0;
}

/* Process positions [base, base + len) of the input, bytes at p. Positions below a view's next
 * have been consumed by that view already (the carry of a pending introducer is processed again
 * for the decoded view only). */
static int feed_range(struct san_stream *st, const uint8_t *p, uint64_t base, size_t len)
{
	const struct san_set *set = st->set;
	uint64_t i = base, end = base + len, force = base, q;
	int r;
	st->chunk = p;
	st->chunk_base = base;
	st->chunk_len = len;
	if (end > st->pos)
		st->pos = end;
	assert(st->scanned == base);
	if (st->raw.next > force)
		force = st->raw.next; /* the carry: the raw view has it, the decoded view not */
	unsigned k = set->stride;
	while (i < end) {
		if (i >= force && !busy(st) && st->pend > i) {
			/* Nothing is in progress: every pending span is final, and the prefilter can
			 * skip to where a pattern may start. */
			if (st->hi > st->lo && (r = settle(st, UINT64_MAX)) < 0)
				return r;
			if ((r = sample(st, i, &q)) < 0)
				return r;
			if (q >= i + k)
				i = q - k + 1;
			force = q + 1;
			if (i >= end)
				break;
		}
		if (i >= st->raw.next) {
			st->raw.next = i + 1;
			if ((r = view_sym(st, &st->raw, p[i - base], i, i + 1)) < 0)
				return r;
		}
		if ((r = dec_step(st, i)) < 0)
			return r;
		i++;
	}
	if ((r = prescan(st, end)) < 0) /* what the samples skipped: the state must reach the end */
		return r;
	if (st->raw.next < end)
		st->raw.next = end;
	if (st->dec.next < end && st->pend == NONE && !st->dec.state && !st->dec.ncand)
		st->dec.next = end; /* skipped by the prefilter (an event may reach further) */
	if ((r = cand_spans(st)) < 0)
		return r;
	uint64_t w = window(st);
	if ((r = settle(st, w)) < 0)
		return r;
	if ((r = release_and_hold(st, w)) < 0)
		return r;
	/* An introducer waiting for more bytes: keep them to parse it again with the next ones. */
	if (st->pend != NONE && st->pend >= base) {
		size_t n = (size_t)(end - st->pend);
		assert(n <= SAN_ESC_MAX);
		memmove(st->carry, p + (st->pend - base), n);
		st->carry_len = n;
	}
	/* events behind both views and every future sample */
	uint64_t behind = st->dec.next < i ? st->dec.next : i;
	st->ev_lo = ev_after(st, st->ev_lo, behind);
	return 0;
}

static void begin(struct san_stream *st, san_emit_fn emit, void *ctx)
{
	st->emit = emit;
	st->ctx = ctx;
}

static void end_call(struct san_stream *st)
{
	st->chunk = NULL;
	st->chunk_len = 0;
	st->chunk_base = st->pos;
}

/* A pending introducer and its carry go through feed_range again, joined with the first bytes
 * of buf (up to WORK_CHUNK); returns how many bytes of buf were used. */
static int feed_carry(struct san_stream *st, const uint8_t *buf, size_t len, size_t *ret_used)
{
	size_t x = len < WORK_CHUNK ? len : WORK_CHUNK, n = st->carry_len;
	uint64_t base = st->pend;
	memcpy(st->work, st->carry, n);
	if (x)
		memcpy(st->work + n, buf, x);
	sodium_memzero(st->carry, n);
	st->carry_len = 0;
	st->pend = NONE;
	st->scanned = base;
	/* events found past the point the decoded view waited at are found again */
	while (st->ev_hi > st->ev_lo && EV(st, st->ev_hi - 1)->start >= base)
		st->ev_hi--;
	if (st->ev_end > base)
		st->ev_end = base;
	int r = feed_range(st, st->work, base, n + x);
	*ret_used = x;
	return r;
}

int san_feed(struct san_stream *st, const void *buf, size_t len, san_emit_fn emit, void *ctx)
{
	const uint8_t *p = buf;
	int r = 0;
	if (!st || !emit || (!buf && len))
		return -EINVAL;
	begin(st, emit, ctx);
	st->eof = false;
	while (len) {
		if (st->carry_len) {
			size_t used;
			if ((r = feed_carry(st, p, len, &used)) < 0)
				break;
			p += used;
			len -= used;
			continue;
		}
		r = feed_range(st, p, st->pos, len);
		break;
	}
	/* After an error the output is no longer consistent with the input: the caller must stop
	 * using the stream (the supervisor ends the run). The state stays so free still wipes. */
	end_call(st);
	return r;
}

/* Shared by san_flush_idle and san_finish: the deepest held partial match of each view that
 * could reveal a secret: its start in *ret_start (UINT64_MAX: none) and its name. */
static void revealing(struct san_stream *st, struct view *v, uint64_t *ret_start,
		      uint16_t *ret_label)
{
	uint32_t node = san_revealing(st->set, v->state, ret_label);
	*ret_start = NONE;
	if (!node)
		return;
	uint32_t d = st->set->nodes[node].depth;
	*ret_start = v == &st->raw ? v->next - d : st->ring[(v->nsym - d) & (RING - 1)];
}

int san_flush_idle(struct san_stream *st, san_emit_fn emit, void *ctx)
{
	int r;
	uint16_t l1, l2;
	uint64_t k1, k2;
	if (!st || !emit)
		return -EINVAL;
	begin(st, emit, ctx);
	end_call(st);
	revealing(st, &st->raw, &k1, &l1);
	revealing(st, &st->dec, &k2, &l2);
	uint64_t keep = k1 < k2 ? k1 : k2;
	/* Extensions in progress are complete matches so far: out with their placeholder. Spans
	 * ending before the revealing partial are released with their placeholder; one that
	 * touches it stays pending, since the partial may still complete into it. With nothing
	 * revealing held every span goes: a later adjacent match gets its own placeholder. */
	if ((r = cand_spans(st)) < 0)
		return r;
	if ((r = settle(st, keep == NONE ? NONE : keep)) < 0)
		return r;
	if ((r = release_and_hold(st, keep == NONE ? st->pos : keep)) < 0)
		return r;
	for (int vi = 0; vi < 2; vi++) {
		struct view *v = vi ? &st->dec : &st->raw;
		for (unsigned i = 0; i < v->ncand; i++)
			if (v->cand[i].start < st->emitted)
				v->cand[i].start = st->emitted;
	}
	return 0;
}

int san_finish(struct san_stream *st, san_emit_fn emit, void *ctx)
{
	int r;
	uint16_t l1, l2;
	uint64_t k1, k2;
	if (!st || !emit)
		return -EINVAL;
	begin(st, emit, ctx);
	st->eof = true;
	if (st->carry_len) {
		size_t used;
		if ((r = feed_carry(st, NULL, 0, &used)) < 0)
			goto out;
	}
	end_call(st);
	revealing(st, &st->raw, &k1, &l1);
	revealing(st, &st->dec, &k2, &l2);
	/* Fail closed: a partial match long enough to reveal part of a secret is redacted. */
	if (k1 != NONE && (r = add_span(st, k1, st->pos, l1, true)) < 0)
		goto out;
	if (k2 != NONE && (r = add_span(st, k2, st->pos, l2, true)) < 0)
		goto out;
	if ((r = cand_spans(st)) < 0)
		goto out;
	if ((r = settle(st, NONE)) < 0)
		goto out;
	if ((r = release_and_hold(st, st->pos)) < 0)
		goto out;
	st->raw.state = st->dec.state = 0;
	st->raw.ncand = st->dec.ncand = 0;
	r = 0;
out:
	end_call(st);
	return r;
}
