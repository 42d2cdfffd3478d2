/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the terminal control filter on arbitrary output. Checks that (a) nothing
 * crashes, (b) chunking never changes the output, (c) each mode's promise holds on the output:
 * STRIP_ALL leaves no escape, C1 or C0 control but TAB/LF/CR; KEEP_COLOURS no string sequence
 * (OSC, DCS, SOS, PM, APC), ENQ or C1 control; every mode but OFF no clipboard OSC (52, 5522);
 * OFF changes nothing. Input: byte 0 = mode (low 2 bits), the rest is the output. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int to_buf(void *ctx, const void *p, size_t n)
{
	return buf_append(ctx, p, n) < 0 ? -ENOMEM : 0;
}

static void filt(enum san_term_mode mode, const uint8_t *t, size_t n, size_t step, struct buf *out)
{
	struct san_term *term = san_term_new(mode);
	if (!term)
		abort();
	for (size_t i = 0; i < n;) {
		size_t c = step && step < n - i ? step : n - i;
		/* vary the chunk sizes from the data itself */
		if (step && i < n)
			c = 1 + (t[i] + i) % step;
		if (c > n - i)
			c = n - i;
		if (san_term_feed(term, t + i, c, to_buf, out) < 0)
			abort();
		i += c;
	}
	if (san_term_finish(term, to_buf, out) < 0)
		abort();
	san_term_free(term);
}

static void check(enum san_term_mode mode, const uint8_t *o, size_t n, const uint8_t *in,
		  size_t nin)
{
	if (mode == SAN_TERM_OFF) {
		if (n != nin || (n && memcmp(o, in, n)))
			abort();
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t c = o[i], d = i + 1 < n ? o[i + 1] : 0;
		bool c1 = c == 0xC2 && d >= 0x80 && d <= 0x9F;
		if (mode == SAN_TERM_STRIP_ALL &&
		    (c1 || c == 0x1B || c == 0x7F ||
		     (c < 0x20 && c != '\t' && c != '\n' && c != '\r')))
			abort();
		if (mode == SAN_TERM_KEEP_COLOURS &&
		    (c1 || c == 0x05 || (c == 0x1B && d && strchr("]P_^X", d))))
			abort();
		size_t j;
		if (c == 0x1B && d == ']')
			j = i + 2;
		else if (c1 && d == 0x9D)
			j = i + 2;
		else
			continue;
		unsigned v = 0, nd = 0;
		while (j < n && o[j] >= '0' && o[j] <= '9' && nd < 9)
			v = v * 10 + (unsigned)(o[j++] - '0'), nd++;
		if (nd && j < n && o[j] == ';' && (v == 52 || v == 5522))
			abort(); /* a clipboard OSC survived */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum san_term_mode mode = (enum san_term_mode)(data[0] & 3);
	const uint8_t *t = data + 1;
	size_t n = size - 1;
	struct buf a = BUF_INIT, b = BUF_INIT;
	filt(mode, t, n, 0, &a);
	filt(mode, t, n, 1 + data[0] % 13, &b);
	if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		abort(); /* (b) */
	check(mode, (const uint8_t *)a.data, a.len, t, n);
	buf_release(&a);
	buf_release(&b);
	return 0;
}
