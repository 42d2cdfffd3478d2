/* SPDX-License-Identifier: Apache-2.0 */
/* common: implementation of the shared helpers declared in common/common.h. */
#include "common/common.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include <sodium.h>

/* ---- error detail ------------------------------------------------------------------------- */

int reterr_set(struct reterr *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->line = 0;
		err->column = 0;
	}
	return code;
}

int reterr_set_at(struct reterr *err, int code, int line, int column, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->line = line;
		err->column = column;
	}
	return code;
}

const char *reterr_str(const struct reterr *err, int code)
{
	if (err && err->msg[0])
		return err->msg;
	return strerror(code < 0 ? -code : code);
}

/* ---- secure memory ------------------------------------------------------------------------ */

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
} *regions;
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

/* ---- byte buffers ------------------------------------------------------------------------- */

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

char *buf_detach(struct buf *b)
{
	char *p = b->data;
	if (!p)
		p = strdup("");
	buf_init(b);
	return p;
}

static int buf_grow(struct buf *b, size_t extra)
{
	size_t need;
	if (__builtin_add_overflow(b->len, extra, &need) || __builtin_add_overflow(need, 1, &need))
		return -E2BIG;
	if (need <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need) {
		if (__builtin_mul_overflow(ncap, 2, &ncap))
			return -E2BIG;
	}
	char *n = realloc(b->data, ncap);
	if (!n)
		return -ENOMEM;
	b->data = n;
	b->cap = ncap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t len)
{
	int r = buf_grow(b, len);
	if (r < 0)
		return r;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = 0;
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	int r = buf_grow(b, (size_t)n);
	if (r < 0)
		return r;
	int m = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	if (m != n)
		return -EINVAL;
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- string vectors ----------------------------------------------------------------------- */

char **strv_free(char **v)
{
	if (!v)
		return NULL;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	return NULL;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	size_t sz;
	if (__builtin_add_overflow(n, 2, &sz) || __builtin_mul_overflow(sz, sizeof(char *), &sz))
		return -E2BIG;
	char *c = strdup(s);
	if (!c)
		return -ENOMEM;
	char **nv = realloc(*v, sz);
	if (!nv) {
		free(c);
		return -ENOMEM;
	}
	nv[n] = c;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

char **strv_dup(char *const *v)
{
	char **c = calloc(1, sizeof(char *));
	for (size_t i = 0; c && v && v[i]; i++)
		if (strv_push(&c, v[i]) < 0)
			c = strv_free(c);
	return c;
}

int strv_split(const char *s, char sep, char ***ret)
{
	char **v = calloc(1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, sep);
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > 0) {
			char *item = strndup(p, n);
			int r = item ? strv_push(&v, item) : -ENOMEM;
			free(item);
			if (r < 0) {
				strv_free(v);
				return r;
			}
		}
		if (!e)
			break;
		p = e + 1;
	}
	*ret = v;
	return 0;
}

char *strv_join(char *const *v, const char *sep)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; v && v[i]; i++) {
		if ((i && buf_puts(&b, sep) < 0) || buf_puts(&b, v[i]) < 0) {
			buf_release(&b);
			return NULL;
		}
	}
	return buf_detach(&b);
}

/* ---- cleanup helpers ---------------------------------------------------------------------- */

void cleanup_free(void *p)
{
	free(*(void **)p);
}

void cleanup_close(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}

void cleanup_secret(struct secret **s)
{
	secret_free(*s);
}

void cleanup_strv(char ***v)
{
	strv_free(*v);
}

void cleanup_buf(struct buf *b)
{
	buf_release(b);
}

/* ---- fd I/O ------------------------------------------------------------------------------- */

ssize_t fd_read(int fd, void *p, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, p, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t fd_recvmsg(int fd, struct msghdr *msg, int flags)
{
	for (;;) {
		ssize_t n = recvmsg(fd, msg, flags);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

int fd_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	while (len > 0) {
		ssize_t n = write(fd, c, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_all(int fd, size_t max, struct buf *ret)
{
	char tmp[16384];
	for (;;) {
		ssize_t n = fd_read(fd, tmp, sizeof(tmp));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		if (ret->len + (size_t)n > max)
			return -E2BIG;
		int r = buf_append(ret, tmp, (size_t)n);
		if (r < 0)
			return r;
	}
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

/* ---- parsing ------------------------------------------------------------------------------ */

int parse_bytes(const char *s, uint64_t *ret)
{
	char *end;
	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	uint64_t mul = 1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mul = 1024; end++; break;
	case 'm': case 'M': mul = 1024 * 1024; end++; break;
	case 'g': case 'G': mul = 1024ull * 1024 * 1024; end++; break;
	default: return -EINVAL;
	}
	if (*end || v == 0 || __builtin_mul_overflow((uint64_t)v, mul, ret))
		return -EINVAL;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	if (!s || !*s)
		return -EINVAL;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -ERANGE;
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int parse_duration_ms(const char *s, bool allow_ms, int64_t *ret_ms)
{
	if (!s || !*s)
		return -EINVAL;
	int64_t total = 0;
	const char *p = s;
	bool bare = true;
	while (*p) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		int64_t v = 0;
		while (*p >= '0' && *p <= '9') {
			if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
				return -ERANGE;
			p++;
		}
		int64_t mult;
		if (!*p) {
			if (!bare)
				return -EINVAL; /* "1h30" is ambiguous */
			mult = 1000;
		} else if (p[0] == 'm' && p[1] == 's') {
			if (!allow_ms)
				return -EINVAL;
			mult = 1;
			p += 2;
		} else {
			switch (*p) {
			case 's': mult = 1000; break;
			case 'm': mult = 60 * 1000; break;
			case 'h': mult = 3600 * 1000; break;
			case 'd': mult = 86400LL * 1000; break;
			case 'w': mult = 7 * 86400LL * 1000; break;
			case 'y': mult = 365 * 86400LL * 1000; break;
			default: return -EINVAL;
			}
			p++;
		}
		bare = false;
		if (__builtin_mul_overflow(v, mult, &v) || __builtin_add_overflow(total, v, &total))
			return -ERANGE;
	}
	*ret_ms = total;
	return 0;
}

void parse_format_time(int64_t t, char out[static 32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "invalid-time");
}

int parse_time(const char *s, int64_t *ret)
{
	struct tm tm = { 0 };
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!e || *e)
		return -EINVAL;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}

bool glob_is_pattern(const char *pattern)
{
	return strpbrk(pattern, "*?") != NULL;
}

bool glob_match(const char *pat, const char *key)
{
	/* Iterative matcher with one backtrack point per '*' segment (no exponential blow-up). */
	const char *star = NULL, *star_key = NULL;
	while (*key) {
		if (*pat == '*') {
			star = ++pat;
			star_key = key;
			continue;
		}
		if (*pat && *key != '/' && (*pat == '?' || *pat == *key)) {
			pat++;
			key++;
			continue;
		}
		if (*pat && *pat == *key) { /* literal '/' */
			pat++;
			key++;
			continue;
		}
		if (star && *star_key != '/') {
			pat = star;
			key = ++star_key;
			continue;
		}
		return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == 0;
}

/* ---- time --------------------------------------------------------------------------------- */

static int64_t clock_real(void)
{
	return (int64_t)time(NULL);
}

static int64_t (*clock_fn)(void) = clock_real;

int64_t clock_now(void)
{
	return clock_fn();
}

void clock_set_fn(int64_t (*fn)(void))
{
	clock_fn = fn ? fn : clock_real;
}

/* ---- process hardening -------------------------------------------------------------------- */

int proc_harden(void)
{
	struct rlimit rl;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	/* Soft 0: no core file of this process. Hard at most 1, not 0: a sandboxed command gets
	 * exactly 1, the value that also stops a core_pattern pipe helper, and a hard limit can
	 * never be raised again once lowered (not even by root, without CAP_SYS_RESOURCE). */
	if (getrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	rl.rlim_cur = 0;
	if (rl.rlim_max > 1)
		rl.rlim_max = 1;
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	return 0;
}

int proc_wait(pid_t pid, int *ret_status)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	*ret_status = st;
	return 0;
}

void proc_scrub_env(const char *name)
{
	char *v = getenv(name);
	if (!v)
		return;
	/* The value usually sits in the initial environment block that /proc/<pid>/environ shows;
	 * unsetenv alone only unlinks the pointer, so wipe the bytes first. */
	sodium_memzero(v, strlen(v));
	(void)unsetenv(name);
}
