/* SPDX-License-Identifier: Apache-2.0 */
/* common: secure memory: locked, guarded regions for secret bytes, wiped on free. */
#include "common/common.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <sodium.h>

int secret_lib_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

/* A secret is one sodium_malloc region: the header, then the value, so each secret costs one
 * mapping, one set of guard pages and one mlock rather than two. sodium_malloc returns the end of
 * its region minus the size asked for, so the size is rounded up to the header's alignment (the
 * way libsodium documents for structures); the padding goes between the header and the value, which
 * then ends exactly at the region's end: a write past data[cap] still hits the guard page. */
#define SECRET_ALIGN _Alignof(struct secret)

/* Live secure regions: addresses and sizes only (no secret bytes), in plain memory. Freeing
 * searches from the end, where the region just allocated usually is. */
static struct secure_region {
	void *p;
	size_t n;
} * regions;
static size_t nregions, capregions;

void *secure_alloc(size_t n)
{
	if (nregions == capregions) {
		size_t nc = capregions ? capregions * 2 : 32;
		struct secure_region *g = reallocarray(regions, nc, sizeof(*g));
		if (!g)
			return NULL;
		regions = g;
		capregions = nc;
	}
	void *p = sodium_malloc(n);
	if (p)
		regions[nregions++] = (struct secure_region){ p, n };
	return p;
}

void secure_free(void *p)
{
	if (!p)
		return;
	for (size_t i = nregions; i-- > 0;) {
		if (regions[i].p == p) {
			regions[i] = regions[--nregions];
			break;
		}
	}
	sodium_free(p);
}

void secure_forget_all(void)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < nregions; i++) {
		uintptr_t a = (uintptr_t)regions[i].p & ~(pg - 1);
		uintptr_t e = ((uintptr_t)regions[i].p + regions[i].n + pg - 1) & ~(pg - 1);
		(void)madvise((void *)a, e - a, MADV_DONTNEED);
	}
}

struct secret *secret_new(size_t cap)
{
	size_t data_size, total;
	if (__builtin_add_overflow(cap, 1, &data_size) ||
	    __builtin_add_overflow(data_size, sizeof(struct secret), &total) ||
	    __builtin_add_overflow(total, SECRET_ALIGN - 1, &total))
		return NULL;
	total &= ~(SECRET_ALIGN - 1);
	unsigned char *region = secure_alloc(total);
	if (!region)
		return NULL;
	struct secret *s = (struct secret *)(void *)region;
	s->data = region + total - data_size;
	s->data[0] = 0;
	s->len = 0;
	s->cap = cap;
	return s;
}

struct secret *secret_from(const void *p, size_t len)
{
	struct secret *s = secret_new(len);
	if (!s)
		return NULL;
	if (len)
		memcpy(s->data, p, len);
	s->len = len;
	s->data[len] = 0;
	return s;
}

struct secret *secret_free(struct secret *s)
{
	if (!s)
		return NULL;
	secure_free(s); /* header and value are one region; wiped before unmapping */
	return NULL;
}

/* Move the value of *sp into a new secret with room for cap bytes (cap >= len): the region is
 * fixed-size, so growing means a new region; the old one is wiped and freed. -ENOMEM leaves *sp
 * as it was. */
static int secret_regrow(struct secret **sp, size_t cap)
{
	struct secret *s = *sp, *n = secret_new(cap);
	if (!n)
		return -ENOMEM;
	memcpy(n->data, s->data, s->len);
	n->len = s->len;
	n->data[n->len] = 0;
	secret_free(s);
	*sp = n;
	return 0;
}

int secret_append(struct secret **sp, const void *p, size_t len)
{
	size_t need;
	int r;
	if (__builtin_add_overflow((*sp)->len, len, &need))
		return -E2BIG;
	if (need > (*sp)->cap) {
		size_t ncap = (*sp)->cap ? (*sp)->cap : 64;
		while (ncap < need) {
			if (__builtin_mul_overflow(ncap, 2, &ncap))
				return -E2BIG;
		}
		if ((r = secret_regrow(sp, ncap)) < 0)
			return r;
	}
	struct secret *s = *sp;
	if (len)
		memcpy(s->data + s->len, p, len);
	s->len = need;
	s->data[need] = 0;
	return 0;
}

bool secret_equal(const struct secret *a, const struct secret *b)
{
	if (a->len != b->len)
		return false;
	if (a->len == 0)
		return true;
	return sodium_memcmp(a->data, b->data, a->len) == 0;
}

int fd_read_all_secret(int fd, size_t max, struct secret **ret)
{
	/* Read into secure memory directly: no plaintext copy in ordinary heap or stack. */
	struct secret *s = secret_new(4096);
	if (!s)
		return -ENOMEM;
	for (;;) {
		if (s->len == s->cap) {
			if (s->cap > max) {
				secret_free(s);
				return -E2BIG;
			}
			int r = secret_regrow(&s, s->cap * 2);
			if (r < 0) {
				secret_free(s);
				return r;
			}
		}
		ssize_t n = fd_read(fd, s->data + s->len, s->cap - s->len);
		if (n < 0) {
			secret_free(s);
			return (int)n;
		}
		if (n == 0)
			break;
		s->len += (size_t)n;
		if (s->len > max) {
			secret_free(s);
			return -E2BIG;
		}
	}
	s->data[s->len] = 0;
	*ret = s;
	return 0;
}
