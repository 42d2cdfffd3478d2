/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: one output channel filtered through a compiled set. Finds every occurrence of every
 * pattern, merges overlapping and adjacent occurrences and replaces each merged span with one
 * placeholder, holding back only bytes that could still become part of a match. */
#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

/* A merged span [start, end) in absolute stream positions, named after its leftmost-longest
 * occurrence. */
struct span {
	uint64_t start, end;
	uint16_t label;
};

struct san_stream {
	const struct san_set *set;
	uint32_t state;   /* automaton state after the last byte */
	uint64_t pos;     /* bytes consumed */
	uint64_t emitted; /* output is decided for every position before this */
	/* Raw bytes [hold_base, hold_base + hold_len) kept from earlier calls (secure memory). */
	uint8_t *hold;
	size_t hold_len, hold_cap;
	uint64_t hold_base;
	/* Pending spans, sorted, disjoint and not adjacent: spans[lo..hi). */
	struct span *spans;
	size_t lo, hi, cap;
	uint64_t *counts;
	/* The caller's chunk during san_feed. */
	const uint8_t *chunk;
	uint64_t chunk_base;
	size_t chunk_len;
	san_emit_fn emit;
	void *ctx;
};

struct san_stream *san_stream_new(const struct san_set *set)
{
	if (!set || !set->compiled)
		return NULL;
	struct san_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->set = set;
	st->counts = calloc(set->nsecrets ? set->nsecrets : 1, sizeof(uint64_t));
	if (!st->counts) {
		free(st);
		return NULL;
	}
	return st;
}

struct san_stream *san_stream_free(struct san_stream *st)
{
	if (!st)
		return NULL;
	if (st->hold)
		secure_free(st->hold);
	free(st->spans);
	free(st->counts);
	free(st);
	return NULL;
}

size_t san_stream_pending(const struct san_stream *st)
{
	return st ? (size_t)(st->pos - st->emitted) : 0;
}

size_t san_stream_stored(const struct san_stream *st)
{
	return st ? st->hold_len : 0;
}

uint64_t san_stream_count(const struct san_stream *st, size_t i)
{
	return st && i < st->set->nsecrets ? st->counts[i] : 0;
}

/* Emit the raw bytes [from, to): the older part comes from the hold buffer, the rest from the
 * caller's chunk. Every byte asked for here is present in one of the two by construction. */
static int emit_raw(struct san_stream *st, uint64_t from, uint64_t to)
{
	int r;
	if (from >= to)
		return 0;
	uint64_t hend = st->hold_base + st->hold_len;
	if (from < hend) {
		uint64_t e = to < hend ? to : hend;
		r = st->emit(st->ctx, st->hold + (from - st->hold_base), (size_t)(e - from));
		if (r < 0)
			return r;
		from = e;
	}
	if (from < to) {
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

/* Record the occurrence [start, end) (end = current position). Spans it overlaps or touches are
 * at the top of the stack (every pending span ends at or before end) and merge with it; the
 * merged span keeps the label of its leftmost occurrence, the newer (longer) one on a tie
 * unless it is a fail-closed partial, which never renames a complete match. */
static int add_span(struct san_stream *st, uint64_t start, uint64_t end, uint16_t label,
		    bool partial)
{
	if (start < st->emitted)
		start = st->emitted; /* released by an idle flush: cannot be taken back */
	if (start >= end)
		return 0;
	while (st->hi > st->lo && st->spans[st->hi - 1].end >= start) {
		struct span *top = &st->spans[st->hi - 1];
		if (top->start < start || (partial && top->start == start)) {
			start = top->start;
			label = top->label;
		}
		partial = false;
		st->hi--;
	}
	if (st->hi == st->cap) {
		if (st->lo > 0) {
			memmove(st->spans, st->spans + st->lo, (st->hi - st->lo) * sizeof(struct span));
			st->hi -= st->lo;
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
	st->spans[st->hi++] = (struct span){ start, end, label };
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
 * raw bytes that may still be emitted later. */
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
	uint64_t keep = st->emitted;
	if (st->hi > st->lo && st->spans[st->lo].start <= keep)
		keep = st->spans[st->lo].end; /* a span's own bytes are never needed */
	if (keep > st->pos)
		keep = st->pos;
	assert(keep >= st->hold_base);
	size_t need = (size_t)(st->pos - keep);
	uint64_t hend = st->hold_base + st->hold_len;
	if (need > st->hold_cap) {
		size_t nc = st->hold_cap ? st->hold_cap : 4096;
		while (nc < need)
			nc *= 2;
		uint8_t *n = secure_alloc(nc);
		if (!n)
			return -ENOMEM;
		if (keep < hend) {
			memcpy(n, st->hold + (keep - st->hold_base), (size_t)(hend - keep));
		}
		if (st->hold)
			secure_free(st->hold);
		st->hold = n;
		st->hold_cap = nc;
	} else if (keep < hend) {
		memmove(st->hold, st->hold + (keep - st->hold_base), (size_t)(hend - keep));
	}
	size_t have = keep < hend ? (size_t)(hend - keep) : 0;
	if (need > have) {
		uint64_t from = keep + have;
		memcpy(st->hold + have, st->chunk + (from - st->chunk_base), need - have);
	}
	if (st->hold_len > need)
		sodium_memzero(st->hold + need, st->hold_len - need);
	st->hold_len = need;
	st->hold_base = keep;
	return 0;
}

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

/* Sample positions i, i+k, i+2k, ... (k = stride) whose gram lies inside the chunk; return the
 * first sample whose gram is in the prefilter, or the first sample past the chunk. No occurrence
 * starts in [i, q-k] (the sample after each such start was rejected), so the caller steps the
 * automaton exactly from max(i, q-k+1) through q.
 * Almost every sample misses, so the main loop tests four samples with both probes each and
 * one branch on the combined result: the loads are independent (the CPU overlaps their cache
 * misses) and the branch is taken about once per 250 groups, so it is predicted. The group that
 * hit is then searched sample by sample for the first one. No calls, no automaton. */
#define PF_BIT(h) ((bits[(h) >> 6] >> ((h) & 63)) & 1)
#define PF_TEST(HASH, MA, MB, at)                                                                  \
	(PF_BIT(HASH(p + (at), MA, shift)) & PF_BIT(HASH(p + (at), MB, shift)))
#define SKIP_BODY(G, HASH, MA, MB)                                                                 \
	size_t q = i;                                                                              \
	while (q + 3 * (size_t)k + (G) <= len) {                                                   \
		uint64_t t = PF_TEST(HASH, MA, MB, q) | PF_TEST(HASH, MA, MB, q + k) |             \
			     PF_TEST(HASH, MA, MB, q + 2 * (size_t)k) |                            \
			     PF_TEST(HASH, MA, MB, q + 3 * (size_t)k);                             \
		if (__builtin_expect(t != 0, 0))                                                   \
			break;                                                                     \
		q += 4 * (size_t)k;                                                                \
	}                                                                                          \
	while (q + (G) <= len) {                                                                   \
		if (PF_TEST(HASH, MA, MB, q))                                                      \
			return q;                                                                  \
		q += k;                                                                            \
	}                                                                                          \
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

int san_feed(struct san_stream *st, const void *buf, size_t len, san_emit_fn emit, void *ctx)
{
	const struct san_set *set;
	const struct san_node *nodes;
	const uint8_t *p = buf;
	uint32_t s;
	size_t i = 0;
	int r;

	if (!st || !emit || (!buf && len))
		return -EINVAL;
	set = st->set;
	nodes = set->nodes;
	s = st->state;
	st->chunk = p;
	st->chunk_base = st->pos;
	st->chunk_len = len;
	st->emit = emit;
	st->ctx = ctx;
	size_t force = 0; /* step exactly (no skipping) up to here */
	unsigned k = set->stride;
	while (i < len) {
		if (s == 0 && i >= force) {
			/* Nothing is in progress: every pending span is final, and the prefilter can
			 * skip to where a pattern may start. */
			if (st->hi > st->lo && (r = settle(st, UINT64_MAX)) < 0)
				goto fail;
			size_t q = skip(set, p, i, len);
			if (q >= i + k)
				i = q - k + 1;
			force = q + 1;
			if (i >= len)
				break;
		}
		s = step(nodes, set->root_next, s, p[i]);
		i++;
		const struct san_node *n = &nodes[s];
		uint64_t pos = st->chunk_base + i;
		if (n->out_len && (r = add_span(st, pos - n->out_len, pos, n->label, false)) < 0)
			goto fail;
		if (st->hi > st->lo && st->spans[st->lo].end < pos - n->depth &&
		    (r = settle(st, pos - n->depth)) < 0)
			goto fail;
	}
	st->state = s;
	st->pos = st->chunk_base + len;
	r = release_and_hold(st, st->pos - nodes[s].depth);
	if (r < 0)
		goto fail;
	st->chunk = NULL;
	return 0;
fail:
	/* The output is no longer consistent with the input: the caller must stop using the stream
	 * (the supervisor ends the run). Keep the state so free still wipes what is held. */
	st->state = s;
	st->chunk = NULL;
	return r;
}

/* Shared start of san_flush_idle and san_finish: no input chunk, output goes to emit, and the
 * held partial match that could reveal a secret (node 0 when none) is returned, its name's
 * label in *ret_label. */
static uint32_t begin_release(struct san_stream *st, san_emit_fn emit, void *ctx,
			      uint16_t *ret_label)
{
	st->emit = emit;
	st->ctx = ctx;
	st->chunk = NULL;
	st->chunk_base = st->pos;
	return san_revealing(st->set, st->state, ret_label);
}

int san_flush_idle(struct san_stream *st, san_emit_fn emit, void *ctx)
{
	int r;
	uint16_t label;
	if (!st || !emit)
		return -EINVAL;
	uint32_t v = begin_release(st, emit, ctx, &label);
	uint64_t keep = st->pos - st->set->nodes[v].depth;
	/* Spans ending before the revealing partial are released with their placeholder; one that
	 * touches it stays pending, since the partial may still complete into it. With nothing
	 * revealing held every span goes: a later adjacent match gets its own placeholder. */
	if ((r = settle(st, v ? keep : keep + 1)) < 0)
		return r;
	return release_and_hold(st, keep);
}

int san_finish(struct san_stream *st, san_emit_fn emit, void *ctx)
{
	int r;
	uint16_t label;
	if (!st || !emit)
		return -EINVAL;
	uint32_t v = begin_release(st, emit, ctx, &label);
	if (v) {
		/* Fail closed: a partial match long enough to reveal part of a secret is redacted. */
		r = add_span(st, st->pos - st->set->nodes[v].depth, st->pos, label, true);
		if (r < 0)
			return r;
	}
	if ((r = settle(st, UINT64_MAX)) < 0)
		return r;
	if ((r = release_and_hold(st, st->pos)) < 0)
		return r;
	st->state = 0;
	return 0;
}
