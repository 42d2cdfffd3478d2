/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the sanitizer on arbitrary secrets and output. Checks that (a) nothing
 * crashes, (b) two different chunkings give byte-identical output, and (c) no registered raw
 * secret survives: between two placeholders the output is an untouched run of input bytes, and
 * no such run contains a whole secret, also with idle flushes at arbitrary points.
 * Input: byte 0 = number of secrets (1..4); per secret one length byte (4..19) and its bytes;
 * the rest is the child's output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
	const struct san_set *set;
	struct buf all;  /* whole output */
	struct buf run;  /* raw bytes since the last placeholder */
	const uint8_t *sec[4];
	size_t seclen[4], nsec;
};

static void check_run(struct sink *k)
{
	for (size_t i = 0; i < k->nsec; i++)
		if (k->run.len >= k->seclen[i] && memmem(k->run.data, k->run.len, k->sec[i], k->seclen[i]))
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink k = { .all = BUF_INIT, .run = BUF_INIT };
	size_t off = 1;
	if (size < 1)
		return 0;
	k.nsec = 1 + data[0] % 4;
	struct san_set *set = san_set_new();
	if (!set)
		abort();
	for (size_t i = 0; i < k.nsec; i++) {
		if (off >= size)
			goto out;
		size_t l = 4 + data[off++] % 16;
		if (l > size - off)
			goto out;
		k.sec[i] = data + off;
		k.seclen[i] = l;
		char name[8] = { 'S', (char)('0' + i), 0 };
		if (san_set_add(set, name, data + off, l) < 0)
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
	buf_release(&first);
	buf_reset(&k.all);
	run(&k, t, n, seed + 7, 1 + seed % 5, true);
out:
	buf_release(&k.all);
	buf_release(&k.run);
	san_set_free(set);
	return 0;
}
