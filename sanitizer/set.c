/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: the secret set and its compilation into one Aho-Corasick automaton with a hashed
 * gram prefilter, stored in a single secure (sodium_malloc) region; long forms of long values
 * enter it as keys, kept with the forms they are extended over. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

/* ---- secure growable arrays ------------------------------------------------------------------
 * Both arrays grown here hold secret-derived bytes, so both stay in secure memory: the values
 * arena holds the plaintext values, and every trie node of the builder holds a pattern byte (the
 * parent links spell each pattern out). The caller sizes the first allocation to hold a small set
 * whole (see san_set_add and san_set_compile), so that one never regrows; from there growth
 * doubles, so a large set costs O(log size) sodium_malloc calls (each one costs guard pages, a
 * mapping and an mlock). borrowed: *pp lies inside a larger region that its owner frees, so the
 * old elements are only wiped. */
static int sgrow(void *pp, size_t *cap, size_t need, size_t elem, bool borrowed)
{
	void **p = pp;
	size_t ncap = *cap ? *cap : need, bytes;
	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (__builtin_mul_overflow(ncap, 2, &ncap))
			return -E2BIG;
	}
	if (__builtin_mul_overflow(ncap, elem, &bytes))
		return -E2BIG;
	void *n = secure_alloc(bytes);
	if (!n)
		return -ENOMEM;
	if (*p) {
		memcpy(n, *p, *cap * elem);
		if (borrowed)
			sodium_memzero(*p, *cap * elem);
		else
			secure_free(*p);
	}
	*p = n;
	*cap = ncap;
	return 0;
}

struct san_set *san_set_new(void)
{
	if (secret_lib_init() < 0)
		return NULL;
	san_decode_init();
	return calloc(1, sizeof(struct san_set));
}

static void free_values(struct san_set *set)
{
	if (set->values)
		secure_free(set->values);
	set->values = NULL;
	set->values_len = set->values_cap = 0;
}

struct san_set *san_set_free(struct san_set *set)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->nsecrets; i++) {
		free(set->names[i]);
		free(set->placeholders[i]);
	}
	free(set->names);
	free(set->placeholders);
	free(set->ph_len);
	free(set->voff);
	free(set->vlen);
	free_values(set);
	if (set->region)
		secure_free(set->region);
	if (set->arena)
		secure_free(set->arena);
	free(set->forms);
	free(set->keys);
	free(set->keymap);
	free(set);
	return NULL;
}

static bool name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > SAN_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-' || c == '/'))
			return false;
	}
	return true;
}

static int grow_plain(void *pp, size_t n, size_t elem)
{
	void **p = pp;
	void *q = reallocarray(*p, n, elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

int san_set_add(struct san_set *set, const char *name, const void *value, size_t len)
{
	int r;
	if (!set || !name || (!value && len))
		return -EINVAL;
	if (set->compiled)
		return -EBUSY;
	if (!name_valid(name) || len < SAN_MIN_SECRET_LEN)
		return -EINVAL;
	if (len > SAN_VALUE_MAX || set->nsecrets >= SAN_SECRETS_MAX)
		return -E2BIG;
	if (set->nsecrets == set->cap_secrets) {
		size_t nc = set->cap_secrets ? set->cap_secrets * 2 : 16;
		if ((r = grow_plain(&set->names, nc, sizeof(char *))) < 0 ||
		    (r = grow_plain(&set->placeholders, nc, sizeof(char *))) < 0 ||
		    (r = grow_plain(&set->ph_len, nc, sizeof(size_t))) < 0 ||
		    (r = grow_plain(&set->voff, nc, sizeof(size_t))) < 0 ||
		    (r = grow_plain(&set->vlen, nc, sizeof(size_t))) < 0)
			return r;
		set->cap_secrets = nc;
	}
	size_t need;
	if (__builtin_add_overflow(set->values_len, len, &need))
		return -E2BIG;
	/* The first arena is as large as the page sodium_malloc maps for it anyway, so a set of a
	 * few secrets fills it without a second allocation. */
	if (!set->values_cap && need < SAN_VALUES_FIRST)
		need = SAN_VALUES_FIRST;
	if ((r = sgrow(&set->values, &set->values_cap, need, 1, false)) < 0)
		return r;
	size_t i = set->nsecrets;
	struct buf ph = BUF_INIT;
	char *nm = strdup(name);
	if (!nm || buf_printf(&ph, "[REDACTED:%s]", name) < 0) {
		free(nm);
		buf_release(&ph);
		return -ENOMEM;
	}
	set->names[i] = nm;
	set->ph_len[i] = ph.len;
	set->placeholders[i] = buf_detach(&ph);
	memcpy(set->values + set->values_len, value, len);
	set->voff[i] = set->values_len;
	set->vlen[i] = len;
	set->values_len += len;
	set->nsecrets++;
	return 0;
}

size_t san_set_size(const struct san_set *set)
{
	return set ? set->nsecrets : 0;
}

const char *san_set_name(const struct san_set *set, size_t i)
{
	return set && i < set->nsecrets ? set->names[i] : NULL;
}

/* ---- trie construction ------------------------------------------------------------------- */

struct tnode {
	uint32_t parent;
	uint32_t depth;
	uint32_t key; /* first key ending here + 1 (0: none) */
	uint16_t label;
	uint8_t byte;
	uint8_t term;
};

struct builder {
	struct san_set *set;
	void *arena;	  /* secure: the first node array, then the san_forms scratch */
	uint8_t *scratch; /* in arena, san_forms_scratch(longest value) bytes */
	struct tnode *tn; /* secure: in arena until it outgrows it, then a region of its own */
	size_t ntn, cap_tn;
	uint32_t *hash;	  /* (parent, byte) -> child id; 0 = empty (the root is never a child) */
	size_t hcap;	  /* power of two */
	size_t hcap_hint; /* first size: fits the expected trie, so a small set never rehashes */
	size_t total;	  /* pattern bytes inserted, for SAN_PATTERN_BYTES_MAX */
	uint16_t label;	  /* secret being inserted */
	/* long forms of the secret being inserted */
	size_t value_off;	   /* the value in the set's arena, SIZE_MAX until needed */
	size_t last_off, last_len; /* the text copied last (a repeated text is not copied again) */
	size_t line_keys;	   /* line starts that may become keys, over all forms */
	size_t long_bytes;	   /* bytes of all long forms */
};

static size_t hslot(uint32_t parent, uint8_t byte, size_t mask)
{
	uint64_t k = ((uint64_t)parent << 8 | byte) * 0x9E3779B97F4A7C15ull;
	return (size_t)(k >> 32) & mask;
}

static int hash_grow(struct builder *b)
{
	size_t ncap = b->hcap ? b->hcap * 2 : b->hcap_hint;
	uint32_t *h = calloc(ncap, sizeof(uint32_t));
	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < b->hcap; i++) {
		uint32_t c = b->hash[i];
		if (!c)
			continue;
		size_t s = hslot(b->tn[c].parent, b->tn[c].byte, ncap - 1);
		while (h[s])
			s = (s + 1) & (ncap - 1);
		h[s] = c;
	}
	free(b->hash);
	b->hash = h;
	b->hcap = ncap;
	return 0;
}

/* Insert p; returns the node that ends it, or a negative errno. */
static int64_t insert(struct builder *b, const uint8_t *p, size_t len)
{
	uint32_t cur = 0;
	int r;
	if (len > SAN_PATTERN_BYTES_MAX - b->total)
		return -E2BIG;
	b->total += len;
	for (size_t i = 0; i < len; i++) {
		if ((b->ntn + 1) * 2 > b->hcap && (r = hash_grow(b)) < 0)
			return r;
		size_t mask = b->hcap - 1, s = hslot(cur, p[i], mask);
		uint32_t c;
		while ((c = b->hash[s]) && !(b->tn[c].parent == cur && b->tn[c].byte == p[i]))
			s = (s + 1) & mask;
		if (!c) {
			if ((r = sgrow(&b->tn, &b->cap_tn, b->ntn + 1, sizeof(struct tnode),
				       (void *)b->tn == b->arena)) < 0)
				return r;
			c = (uint32_t)b->ntn++;
			b->tn[c] = (struct tnode){ .parent = cur,
						   .depth = (uint32_t)i + 1,
						   .byte = p[i] };
			b->hash[s] = c;
		}
		cur = c;
	}
	if (!b->tn[cur].term) {
		/* Equal strings from different secrets: the first secret added names the match. */
		b->tn[cur].term = 1;
		b->tn[cur].label = b->label;
	}
	return cur;
}

/* Copy a long form's text into the set's arena (secure; the value itself once per secret, a
 * text equal to the value or to the text copied just before is not copied again). Returns its
 * offset, or a negative errno. */
static int64_t arena_put(struct builder *b, const uint8_t *p, size_t len, bool value)
{
	struct san_set *set = b->set;
	int r;
	if (value && b->value_off != SIZE_MAX)
		return (int64_t)b->value_off;
	if (!value && b->value_off != SIZE_MAX && len <= set->vlen[b->label] &&
	    !memcmp(set->arena + b->value_off, p, len))
		return (int64_t)b->value_off;
	if (!value && b->last_len == len && !memcmp(set->arena + b->last_off, p, len))
		return (int64_t)b->last_off;
	size_t need;
	if (__builtin_add_overflow(set->arena_len, len, &need) || need > SAN_FORM_BYTES_MAX)
		return -E2BIG;
	if ((r = sgrow(&set->arena, &set->arena_cap, need, 1, false)) < 0)
		return r;
	size_t off = set->arena_len;
	memcpy(set->arena + off, p, len);
	set->arena_len = need;
	if (value)
		b->value_off = off;
	b->last_off = off;
	b->last_len = len;
	return (int64_t)off;
}

static bool armour_at(const uint8_t *t, size_t n)
{
	return n >= 5 && !memcmp(t, "-----", 5);
}

/* Calls fn(ctx, offset) for each line start of text t[0..n) whose line is at least
 * SAN_KEY_LEN bytes and not PEM armour, the step-th of them (counting from 0) only. */
static size_t line_starts(const uint8_t *t, size_t n, size_t step, int (*fn)(void *, size_t),
			  void *ctx, int *ret)
{
	size_t count = 0;
	*ret = 0;
	for (size_t s = 0; s < n;) {
		const uint8_t *nl = memchr(t + s, '\n', n - s);
		size_t e = nl ? (size_t)(nl - t) : n;
		if (e - s >= SAN_KEY_LEN && !armour_at(t + s, e - s)) {
			if (fn && count % step == 0 && (*ret = fn(ctx, s)) < 0)
				return count;
			count++;
		}
		s = e + 1;
	}
	return count;
}

/* One form from the generator: a whole one goes into the trie now, a long one is kept until
 * the key stride is known. */
static int add_form(void *ctx, const struct san_form_out *f)
{
	struct builder *b = ctx;
	struct san_set *set = b->set;
	int r;
	if (f->len <= SAN_WHOLE_MAX) {
		int64_t node = insert(b, f->p, f->len);
		return node < 0 ? (int)node : 0;
	}
	if (set->nforms == set->cap_forms) {
		size_t nc = set->cap_forms ? set->cap_forms * 2 : 16;
		if ((r = grow_plain(&set->forms, nc, sizeof(struct san_form))) < 0)
			return r;
		set->cap_forms = nc;
	}
	const uint8_t *v = set->values + set->voff[b->label];
	size_t vlen = set->vlen[b->label];
	int64_t off;
	if (f->kind == SAN_FORM_HEX || f->kind == SAN_FORM_B64)
		off = arena_put(b, v, vlen, true);
	else
		off = arena_put(b, f->p, f->len, f->value);
	if (off < 0)
		return (int)off;
	set->forms[set->nforms++] = (struct san_form){
		.off = (uint32_t)off,
		.len = (uint32_t)f->len,
		.vlen = (uint32_t)vlen,
		.label = b->label,
		.kind = f->kind,
		.param = f->param,
		.lines = f->lines,
	};
	b->long_bytes += f->len;
	if (f->lines)
		b->line_keys += line_starts(f->p, f->len, 1, NULL, NULL, &r);
	return 0;
}

struct keygen {
	struct builder *b;
	uint32_t form;
	size_t last; /* offset of the key made last (keys of one form come in increasing order
		      * from each source; equal offsets from two sources are made once) */
};

static int add_key(void *ctx, size_t off);

/* A line start that is not already a grid or end key. */
static int add_line_key(void *ctx, size_t off)
{
	struct keygen *kg = ctx;
	const struct san_form *f = &kg->b->set->forms[kg->form];
	size_t stride = kg->b->set->key_stride;
	if ((stride != SIZE_MAX && off % stride == 0) || off == f->len - SAN_KEY_LEN)
		return 0;
	return add_key(ctx, off);
}

static int add_key(void *ctx, size_t off)
{
	struct keygen *kg = ctx;
	struct builder *b = kg->b;
	struct san_set *set = b->set;
	const struct san_form *f = &set->forms[kg->form];
	uint8_t k[SAN_KEY_LEN];
	int r;
	if (off == kg->last)
		return 0;
	kg->last = off;
	if (set->nkeys >= UINT32_MAX - 1)
		return -E2BIG;
	if (set->nkeys == set->cap_keys) {
		size_t nc = set->cap_keys ? set->cap_keys * 2 : 64;
		if ((r = grow_plain(&set->keys, nc, sizeof(struct san_key))) < 0)
			return r;
		set->cap_keys = nc;
	}
	for (size_t i = 0; i < SAN_KEY_LEN; i++)
		k[i] = san_form_byte(set->arena, f, off + i);
	b->label = f->label;
	int64_t node = insert(b, k, SAN_KEY_LEN);
	sodium_memzero(k, sizeof(k));
	if (node < 0)
		return (int)node;
	uint32_t id = (uint32_t)set->nkeys++;
	struct tnode *t = &b->tn[node];
	set->keys[id] = (struct san_key){ .form = kg->form,
					  .off = (uint32_t)off,
					  .next = t->key ? t->key - 1 : UINT32_MAX };
	t->key = id + 1;
	return 0;
}

/* Keys for every long form: at offset 0 and at the end (a print of the whole form, of its
 * start, of its end), every key_stride bytes, and at every line_step-th line start of a raw
 * multi-line form. The stride and the step are chosen so that the set's keys stay within
 * SAN_KEYS_MAX: line starts (a PEM bundle printed line by line, one line of it in a log) get up
 * to seven eighths of what the ends leave, the grid the rest. */
static int add_keys(struct builder *b)
{
	struct san_set *set = b->set;
	size_t ends = 2 * set->nforms, avail = SAN_KEYS_MAX > ends ? SAN_KEYS_MAX - ends : 0;
	size_t step = SIZE_MAX, stride = SIZE_MAX, used = 0, for_lines = avail - avail / 8;
	int r;
	if (b->line_keys && for_lines) {
		step = (b->line_keys + for_lines - 1) / for_lines;
		used = (b->line_keys + step - 1) / step;
	}
	if (avail > used) {
		size_t grid = avail - used;
		stride = (b->long_bytes + grid - 1) / grid;
		if (stride < SAN_KEY_LEN)
			stride = SAN_KEY_LEN;
	}
	set->key_stride = stride;
	set->line_step = step;
	for (size_t i = 0; i < set->nforms; i++) {
		const struct san_form *f = &set->forms[i];
		struct keygen kg = { .b = b, .form = (uint32_t)i, .last = SIZE_MAX };
		size_t last = f->len - SAN_KEY_LEN;
		for (size_t off = 0; off<last; off = stride> last - off ? last : off + stride)
			if ((r = add_key(&kg, off)) < 0)
				return r;
		if ((r = add_key(&kg, last)) < 0)
			return r;
		if (f->lines && step != SIZE_MAX) {
			kg.last = SIZE_MAX;
			line_starts(set->arena + f->off, f->len, step, add_line_key, &kg, &r);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static uint32_t child_of(const struct san_node *nodes, uint32_t s, uint8_t c)
{
	const struct san_node *n = &nodes[s];
	uint32_t lo = n->first, hi = n->first + n->nchild;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (nodes[mid].byte < c)
			lo = mid + 1;
		else if (nodes[mid].byte > c)
			hi = mid;
		else
			return mid;
	}
	return 0;
}

/* Lay the trie out breadth-first with each node's children contiguous and sorted by byte, then
 * compute failure links, outputs, key links, the root table and the prefilter. */
static int layout(struct builder *b)
{
	struct san_set *set = b->set;
	size_t n = b->ntn;
	uint32_t *cstart = NULL, *clist = NULL, *newid = NULL, *order = NULL;
	int r = -ENOMEM;
	size_t bits_log2 = SAN_FILTER_BITS_MIN_LOG2, nbits, size;

	cstart = calloc(n + 1, sizeof(uint32_t));
	clist = malloc(n * sizeof(uint32_t));
	newid = malloc(n * sizeof(uint32_t));
	order = malloc(n * sizeof(uint32_t));
	if (!cstart || !clist || !newid || !order)
		goto out;
	if (set->nkeys && !(set->keymap = calloc(set->nkeys, sizeof(struct san_keymap))))
		goto out;
	/* Children lists (CSR) grouped by parent. */
	for (size_t i = 1; i < n; i++)
		cstart[b->tn[i].parent + 1]++;
	for (size_t i = 0; i < n; i++)
		cstart[i + 1] += cstart[i];
	{
		uint32_t *fill = newid; /* reused as a cursor array before it gets its real use */
		memcpy(fill, cstart, n * sizeof(uint32_t));
		for (size_t i = 1; i < n; i++)
			clist[fill[b->tn[i].parent]++] = (uint32_t)i;
	}
	for (size_t p = 0; p < n; p++) {
		/* insertion sort by byte: lists are short except near the root */
		for (uint32_t i = cstart[p] + 1; i < cstart[p + 1]; i++) {
			uint32_t v = clist[i], j = i;
			while (j > cstart[p] && b->tn[clist[j - 1]].byte > b->tn[v].byte) {
				clist[j] = clist[j - 1];
				j--;
			}
			clist[j] = v;
		}
	}
	/* Prefilter. A scan that samples every k-th position finds every occurrence when the table
	 * holds, for each pattern, its g-grams at offsets 0..k-1 and every pattern is at least
	 * k+g-1 bytes long: the occurrence contains one sample with its whole gram. g is 8 when
	 * the shortest pattern allows a useful stride with it, else 4. A longer stride means fewer
	 * samples per input byte (the scan's whole cost on ordinary text) but k grams per pattern
	 * in the table: k is capped at SAN_STRIDE_MAX, and lowered (not below 8) while the grams
	 * would need more than SAN_FILTER_BITS_MAX bits, so the table stays in the L2 cache. 64
	 * bits per gram (32 when the table is at its maximum size) with two probes each keep false
	 * candidates at 0.05-0.2 % of samples: each costs about stride + 5 automaton steps, which
	 * are cache misses in a large automaton. */
	uint32_t min_len = UINT32_MAX;
	size_t at_depth[8 + SAN_STRIDE_MAX] = { 0 };
	for (size_t i = 1; i < n; i++) {
		if (b->tn[i].term && b->tn[i].depth < min_len)
			min_len = b->tn[i].depth;
		if (b->tn[i].depth < 8 + SAN_STRIDE_MAX)
			at_depth[b->tn[i].depth]++;
	}
	if (min_len == UINT32_MAX)
		min_len = 4;
	unsigned g = min_len >= 12 ? 8 : 4;
	unsigned k =
		min_len - g + 1 > SAN_STRIDE_MAX ? SAN_STRIDE_MAX : (unsigned)(min_len - g + 1);
	size_t ngrams = 0;
	for (unsigned d = g; d < g + k; d++)
		ngrams += at_depth[d];
	while (k > 8 && ngrams * 32 > SAN_FILTER_BITS_MAX)
		ngrams -= at_depth[g + --k];
	while (((size_t)1 << bits_log2) < SAN_FILTER_BITS_MAX &&
	       ((size_t)1 << bits_log2) < ngrams * 64)
		bits_log2++;
	nbits = (size_t)1 << bits_log2;
	size = n * sizeof(struct san_node) + 256 * sizeof(uint32_t) + nbits / 8;
	set->region = secure_alloc(size);
	if (!set->region)
		goto out;
	set->region_size = size;
	memset(set->region, 0, size);
	set->nodes = set->region;
	set->root_next = (uint32_t *)(set->nodes + n);
	set->bits = (uint64_t *)(set->root_next + 256);
	set->hshift = (unsigned)(32 - bits_log2);
	set->stride = k;
	set->gram = g;
	set->bmi2 = san_cpu()->bmi2;
	set->nnodes = (uint32_t)n;

	/* BFS renumbering: order[new] = old. */
	size_t head = 0, tail = 1;
	order[0] = 0;
	newid[0] = 0;
	while (head < tail) {
		uint32_t old = order[head];
		struct san_node *nd = &set->nodes[head];
		nd->first = (uint32_t)tail;
		nd->nchild = (uint16_t)(cstart[old + 1] - cstart[old]);
		nd->depth = (uint16_t)b->tn[old].depth;
		nd->byte = b->tn[old].byte;
		for (uint32_t i = cstart[old]; i < cstart[old + 1]; i++) {
			newid[clist[i]] = (uint32_t)tail;
			order[tail++] = clist[i];
		}
		head++;
	}
	/* Failure links, outputs and key links in BFS order (a node's fail target is shallower). */
	for (size_t v = 1; v < n; v++) {
		struct san_node *nd = &set->nodes[v];
		uint32_t parent = newid[b->tn[order[v]].parent];
		uint32_t f = 0;
		if (parent != 0) {
			f = set->nodes[parent].fail;
			uint32_t c;
			while (!(c = child_of(set->nodes, f, nd->byte)) && f != 0)
				f = set->nodes[f].fail;
			f = c;
		}
		nd->fail = f;
		const struct tnode *t = &b->tn[order[v]];
		if (t->term) {
			nd->out_len = nd->depth;
			nd->label = t->label;
		} else {
			nd->out_len = set->nodes[f].out_len;
			nd->label = set->nodes[f].label;
		}
		if (t->key) {
			nd->klink = (uint32_t)v;
			set->keymap[set->nkeymap++] =
				(struct san_keymap){ (uint32_t)v, t->key - 1 };
		} else {
			nd->klink = set->nodes[f].klink;
		}
		if (nd->depth > set->max_depth)
			set->max_depth = nd->depth;
		set->npatterns += t->term;
	}
	for (unsigned c = 0; c < 256; c++)
		set->root_next[c] = child_of(set->nodes, 0, (uint8_t)c);
	for (size_t v = 1; v < n; v++) {
		if (set->nodes[v].depth < g || set->nodes[v].depth >= g + k)
			continue;
		uint8_t pre[8];
		uint32_t u = order[v], h1, h2;
		for (unsigned j = g; j-- > 0;) {
			pre[j] = b->tn[u].byte;
			u = b->tn[u].parent;
		}
		if (g == 8) {
			h1 = san_hash8(pre, SAN_HASH8_A, set->hshift);
			h2 = san_hash8(pre, SAN_HASH8_B, set->hshift);
		} else {
			h1 = san_hash4(pre, SAN_HASH_A, set->hshift);
			h2 = san_hash4(pre, SAN_HASH_B, set->hshift);
		}
		set->bits[h1 >> 6] |= 1ull << (h1 & 63);
		set->bits[h2 >> 6] |= 1ull << (h2 & 63);
		sodium_memzero(pre, sizeof(pre));
	}
	r = 0;
out:
	free(cstart);
	free(clist);
	free(newid);
	free(order);
	return r;
}

/* True when an escape would rewrite some byte of v (anything but letters, digits and "-._"):
 * such values used to get several escaped forms; their text forms still differ more often.
 * Measured trie nodes per value byte: 7-10 for tokens, more for printable passwords and binary
 * values (which may still grow the array). */
static bool escapes_some_byte(const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = v[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return true;
	}
	return false;
}

int san_set_compile(struct san_set *set)
{
	struct builder b = { .set = set };
	int r;
	if (!set)
		return -EINVAL;
	if (set->compiled)
		return -EBUSY;
	/* First sizes from the values: the whole forms of one secret (raw, hex, base64 forms, its
	 * text forms...) come to roughly SAN_BUILD_EXPANSION times its length in trie nodes, or
	 * up to twice that when its bytes need escaping (see escapes_some_byte); a long value's
	 * forms enter as keys, up to SAN_KEYS_MAX of them. Sizing the builder to the set keeps a
	 * one-secret set to a few pages and one allocation, which matters because every `exec`
	 * run compiles its set before the command starts; a large set still grows by doubling. */
	size_t expect = SAN_BUILD_MIN, vmax = 0, long_total = 0;
	for (size_t i = 0; i < set->nsecrets; i++) {
		size_t n = set->vlen[i], per = SAN_BUILD_EXPANSION;
		if (escapes_some_byte(set->values + set->voff[i], n))
			per *= 2;
		if (n > SAN_WHOLE_MAX / 4)
			long_total += n * per;
		else
			expect += n * per;
		vmax = n > vmax ? n : vmax;
	}
	if (long_total > (size_t)SAN_KEYS_MAX * SAN_KEY_LEN)
		long_total = (size_t)SAN_KEYS_MAX * SAN_KEY_LEN;
	/* a trie has at most one node per pattern byte, plus the root */
	const size_t nodes_max = (size_t)SAN_PATTERN_BYTES_MAX + 1;
	if (__builtin_add_overflow(expect, long_total, &expect) || expect > nodes_max)
		expect = nodes_max;
	b.hcap_hint = SAN_BUILD_MIN;
	while (b.hcap_hint < 2 * expect && b.hcap_hint < ((size_t)1 << 24))
		b.hcap_hint *= 2;
	/* The node array is rounded up to a power of two like its later sizes (headroom for values
	 * whose forms branch more than the estimate), within that bound. */
	b.cap_tn = SAN_BUILD_MIN;
	while (b.cap_tn < expect)
		b.cap_tn *= 2;
	if (b.cap_tn > nodes_max)
		b.cap_tn = nodes_max;
	/* The first node array and the scratch that san_forms writes every value's forms into
	 * (sized for the longest) share one region: one allocation for the builder, not one per
	 * value plus the nodes. The nodes come first: with the size a multiple of their alignment,
	 * the region's start is aligned (sodium_malloc returns its end minus the size). The
	 * scratch comes last, against the guard page. */
	size_t nodes_bytes, scratch_bytes = san_forms_scratch(vmax), total;
	const size_t align = _Alignof(struct tnode);
	if (__builtin_mul_overflow(b.cap_tn, sizeof(struct tnode), &nodes_bytes) ||
	    __builtin_add_overflow(nodes_bytes, scratch_bytes, &total) ||
	    __builtin_add_overflow(total, align - 1, &total))
		return -E2BIG;
	total &= ~(align - 1);
	b.arena = secure_alloc(total);
	if (!b.arena)
		return -ENOMEM;
	b.tn = b.arena;
	b.scratch = (uint8_t *)b.arena + total - scratch_bytes;
	b.tn[0] = (struct tnode){ 0 };
	b.ntn = 1;
	for (size_t i = 0; i < set->nsecrets; i++) {
		b.label = (uint16_t)i;
		b.value_off = SIZE_MAX;
		b.last_len = SIZE_MAX;
		r = san_forms(set->values + set->voff[i], set->vlen[i], b.scratch, add_form, &b);
		if (r < 0)
			goto out;
	}
	sodium_memzero(b.scratch, scratch_bytes);
	if ((r = add_keys(&b)) < 0)
		goto out;
	if (b.ntn > UINT32_MAX / 2) {
		r = -E2BIG;
		goto out;
	}
	/* Only the trie is needed from here: drop the lookup table, the plain values and the
	 * scratch (the whole arena once the nodes have moved out of it) before the final region is
	 * allocated, which keeps the peak memory of a large set down. */
	sodium_memzero(b.hash, b.hcap * sizeof(uint32_t));
	free(b.hash);
	b.hash = NULL;
	free_values(set);
	if ((void *)b.tn != b.arena) {
		secure_free(b.arena);
		b.arena = NULL;
	}
	if ((r = layout(&b)) < 0)
		goto out;
	set->compiled = 1;
	r = 0;
out:
	if (b.tn && (void *)b.tn != b.arena)
		secure_free(b.tn);
	if (b.arena)
		secure_free(b.arena);
	if (b.hash) {
		sodium_memzero(b.hash, b.hcap * sizeof(uint32_t));
		free(b.hash);
	}
	if (r < 0 && set->region) {
		secure_free(set->region);
		set->region = NULL;
		set->nodes = NULL;
	}
	return r;
}

uint32_t san_revealing(const struct san_set *set, uint32_t state, uint16_t *ret_label)
{
	const struct san_node *nodes = set->nodes;
	for (uint32_t v = state; v != 0; v = nodes[v].fail) {
		uint32_t d = nodes[v].depth;
		/* Walk the subtree level by level: with the breadth-first layout each level below v is
		 * one contiguous range. The first level holding a pattern end gives the shortest
		 * completion; among equals the lowest label wins. */
		uint32_t lo = nodes[v].first, hi = lo + nodes[v].nchild;
		uint32_t limit = d >= SAN_REVEAL_LEN ? UINT32_MAX : 2 * d;
		bool found = false;
		uint16_t label = UINT16_MAX;
		while (lo < hi && !found && nodes[lo].depth <= limit) {
			uint32_t nlo = UINT32_MAX, nhi = 0;
			for (uint32_t u = lo; u < hi; u++) {
				if (nodes[u].out_len == nodes[u].depth) {
					found = true;
					if (nodes[u].label < label)
						label = nodes[u].label;
				}
				if (nodes[u].nchild) {
					if (nodes[u].first < nlo)
						nlo = nodes[u].first;
					nhi = nodes[u].first + nodes[u].nchild;
				}
			}
			if (nlo == UINT32_MAX)
				break;
			lo = nlo;
			hi = nhi;
		}
		if (found) {
			*ret_label = label;
			return v;
		}
	}
	return 0;
}

uint32_t san_key_at(const struct san_set *set, uint32_t node)
{
	size_t lo = 0, hi = set->nkeymap;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->keymap[mid].node < node)
			lo = mid + 1;
		else if (set->keymap[mid].node > node)
			hi = mid;
		else
			return set->keymap[mid].key;
	}
	return UINT32_MAX;
}
