/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the sanitizer on arbitrary secrets and output, alone and behind the terminal
 * filter. Checks that (a) nothing crashes, (b) two different chunkings give byte-identical output,
 * and (c) no registered raw secret survives: between two placeholders the output is an untouched
 * run of input bytes, and no such run contains a whole secret, also with idle flushes at
 * arbitrary points; (d) behind the filter in STRIP_ALL mode no escape byte is left; (e) the
 * batched pre-scan and the word-by-word one it replaced give byte-identical output.
 * Input: byte 0 = bits 0-1 number of secrets - 1, bit 2 long secrets (keys and extension),
 * bits 3-4 terminal filter mode for the chained run; per secret one length byte (4..19 bytes
 * follow; a long secret is 200..710 bytes stretched from them) and its bytes; the rest is the
 * child's output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	const struct san_set *set;
	struct buf all; /* whole output */
	struct buf run; /* raw bytes since the last placeholder */
	const uint8_t *sec[4];
	size_t seclen[4], nsec;
};

static void check_run(struct sink *k)
{
	for (size_t i = 0; i < k->nsec; i++)
		if (k->run.len >= k->seclen[i] &&
		    memmem(k->run.data, k->run.len, k->sec[i], k->seclen[i]))
			abort(); /* (c) a raw secret reached the output */
	buf_reset(&k->run);
}

static int sink_emit(void *ctx, const void *p, size_t n)
{
	struct sink *k = ctx;
	if (buf_append(&k->all, p, n) < 0)
		abort();
	for (size_t i = 0; i < san_set_size(k->set); i++) {
		if (p == k->set->placeholders[i]) {
			check_run(k);
			return 0;
		}
	}
	if (buf_append(&k->run, p, n) < 0)
		abort();
	return 0;
}

static uint64_t mix(uint64_t *s)
{
	*s += 0x9E3779B97F4A7C15ull;
	uint64_t z = *s;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Feed text in chunks drawn from seed (max chunk maxc); idle flushes between chunks when idle. */
static void run(struct sink *k, const uint8_t *t, size_t n, uint64_t seed, size_t maxc, bool idle)
{
	struct san_stream *st = san_stream_new(k->set);
	if (!st)
		abort();
	for (size_t i = 0; i < n;) {
		size_t c = 1 + mix(&seed) % maxc;
		if (c > n - i)
			c = n - i;
		if (san_feed(st, t + i, c, sink_emit, k) < 0)
			abort();
		if (idle && (mix(&seed) & 3) == 0 && san_flush_idle(st, sink_emit, k) < 0)
			abort();
		i += c;
	}
	if (san_finish(st, sink_emit, k) < 0 || san_stream_pending(st) != 0)
		abort();
	check_run(k);
	san_stream_free(st);
}

/* The terminal filter in front: its output goes through a stream. */
struct chain {
	struct san_stream *st;
	struct sink *k;
};

static int to_stream(void *ctx, const void *p, size_t n)
{
	struct chain *c = ctx;
	return san_feed(c->st, p, n, sink_emit, c->k);
}

static void run_term(struct sink *k, enum san_term_mode mode, const uint8_t *t, size_t n,
		     uint64_t seed, size_t maxc)
{
	struct chain c = { san_stream_new(k->set), k };
	struct san_term *term = san_term_new(mode);
	if (!c.st || !term)
		abort();
	for (size_t i = 0; i < n;) {
		size_t l = 1 + mix(&seed) % maxc;
		if (l > n - i)
			l = n - i;
		if (san_term_feed(term, t + i, l, to_stream, &c) < 0)
			abort();
		i += l;
	}
	if (san_term_finish(term, to_stream, &c) < 0 || san_finish(c.st, sink_emit, k) < 0)
		abort();
	check_run(k);
	if (mode == SAN_TERM_STRIP_ALL && k->all.len && memchr(k->all.data, 0x1B, k->all.len))
		abort(); /* (d) */
	san_term_free(term);
	san_stream_free(c.st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink k = { .all = BUF_INIT, .run = BUF_INIT };
	uint8_t *longs[4] = { NULL, NULL, NULL, NULL };
	size_t off = 1;
	if (size < 1)
		return 0;
	k.nsec = 1 + data[0] % 4;
	bool is_long = (data[0] >> 2) & 1;
	enum san_term_mode mode = (enum san_term_mode)((data[0] >> 3) & 3);
	struct san_set *set = san_set_new();
	if (!set)
		abort();
	for (size_t i = 0; i < k.nsec; i++) {
		if (off >= size)
			goto out;
		uint8_t lb = data[off++];
		size_t l = 4 + lb % 16;
		if (l > size - off)
			goto out;
		k.sec[i] = data + off;
		k.seclen[i] = l;
		if (is_long) {
			/* stretched without a period: each byte mixes a source byte with its index */
			size_t ll = 200 + 2 * (size_t)lb;
			if (!(longs[i] = malloc(ll)))
				abort();
			for (size_t j = 0; j < ll; j++)
				longs[i][j] = (uint8_t)(data[off + j % l] ^ (uint8_t)(j * 131 / l));
			k.sec[i] = longs[i];
			k.seclen[i] = ll;
		}
		char name[8] = { 'S', (char)('0' + i), 0 };
		if (san_set_add(set, name, k.sec[i], k.seclen[i]) < 0)
			abort();
		off += l;
	}
	if (san_set_compile(set) < 0)
		abort();
	k.set = set;
	const uint8_t *t = data + off;
	size_t n = size - off;
	uint64_t seed = 0;
	for (size_t i = 0; i < size; i++)
		seed = seed * 131 + data[i];

	run(&k, t, n, seed, 1 + seed % 17, false);
	struct buf first = k.all;
	buf_init(&k.all);
	run(&k, t, n, seed ^ 0xabcdef, 4096, false);
	if (first.len != k.all.len || (first.len && memcmp(first.data, k.all.data, first.len)))
		abort(); /* (b) chunking changed the output */
	/* (e) the default pre-scan (batched where the CPU has AVX-512) against the word-by-word
	 * reference, same chunking */
	unsigned def = san_scan_default();
	if (def > 2 && san_scan_select(2) == 0) {
		buf_reset(&k.all);
		run(&k, t, n, seed ^ 0xabcdef, 4096, false);
		if (san_scan_select(def) < 0 || first.len != k.all.len ||
		    (first.len && memcmp(first.data, k.all.data, first.len)))
			abort();
	}
	buf_release(&first);
	buf_reset(&k.all);
	run(&k, t, n, seed + 7, 1 + seed % 5, true);
	buf_reset(&k.all);
	run_term(&k, mode, t, n, seed + 11, 1 + seed % 9);
	first = k.all;
	buf_init(&k.all);
	run_term(&k, mode, t, n, seed + 13, 4096);
	if (first.len != k.all.len || (first.len && memcmp(first.data, k.all.data, first.len)))
		abort(); /* (b) behind the filter */
	buf_release(&first);
out:
	for (size_t i = 0; i < 4; i++)
		free(longs[i]);
	buf_release(&k.all);
	buf_release(&k.run);
	san_set_free(set);
	return 0;
}
