/* SPDX-License-Identifier: Apache-2.0 */
/* Sanitizer measurements that need the library itself (bench/20-sanitizer.sh):
 *   san_bench patterns FILE N   distinct patterns (whole forms and keys) for the first N secrets
 *                               of a `san_gen secrets` file
 *   san_bench big [KIB]         build the set of one PEM bundle of KIB KiB (default 1024, the
 *                               vault's maximum value) and redact it whole and line by line
 *                               through a PTY (CRLF), each in a stream of its own; prints
 *                               "build_s rss_kib redact_s nodes keys forms out_bytes" on one line
 *   san_bench scan FILE SECRETS N [IMPL]   the CPU cost of each pass over FILE (read into memory
 *                               first) with the first N secrets of SECRETS, fed in 256 KiB chunks
 *                               as `secretctl redact` reads a pipe: "term_ns redact_ns" per byte,
 *                               best of 3 (docs/sanitizer.md, "Pipes"); IMPL: the pre-scan
 *                               (san_scan_select; default: the CPU's best)
 * The bundle is deterministic, so runs compare. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/common.h"
#include "sanitizer/sanitizer-internal.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static size_t out_len;
static int count(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	out_len += n;
	return 0;
}

static struct san_set *load(const char *file, long n)
{
	FILE *f = fopen(file, "r");
	char line[512];
	struct san_set *set = san_set_new();
	if (!f || !set)
		return NULL;
	for (long i = 0; i < n && fgets(line, sizeof(line), f); i++) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		eq[1 + strcspn(eq + 1, "\n")] = '\0';
		if (san_set_add(set, line, eq + 1, strlen(eq + 1)) < 0)
			return NULL;
	}
	fclose(f);
	if (san_set_compile(set) < 0)
		return NULL;
	return set;
}

static int patterns(const char *file, long n)
{
	struct san_set *set = load(file, n);
	if (!set)
		return 1;
	printf("%zu\n", set->npatterns);
	san_set_free(set);
	return 0;
}

static int big(size_t size)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *v = malloc(size), *crlf = malloc(2 * size);
	size_t n = 0, m = 0;
	uint64_t s = 0x243F6A8885A308D3ull;
	if (!v || !crlf)
		return 1;
	while (n + 2000 < size) {
		n += (size_t)snprintf(v + n, size - n, "-----BEGIN CERTIFICATE-----\n");
		for (int l = 0; l < 20; l++) {
			for (int c = 0; c < 64; c++) {
				s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
				v[n++] = al[(s * 2685821657736338717ull) >> 58];
			}
			v[n++] = '\n';
		}
		n += (size_t)snprintf(v + n, size - n, "-----END CERTIFICATE-----\n");
	}
	while (n < size)
		v[n++] = 'A';
	long r0 = maxrss_kib();
	double t0 = now();
	struct san_set *set = san_set_new();
	if (!set || san_set_add(set, "BUNDLE", v, n) < 0 || san_set_compile(set) < 0)
		return 1;
	double t1 = now();
	long r1 = maxrss_kib();
	/* whole, then line by line through a PTY (every LF as CRLF), 64 KiB writes */
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\n')
			crlf[m++] = '\r';
		crlf[m++] = v[i];
	}
	double t2 = now();
	for (int pass = 0; pass < 2; pass++) {
		const char *t = pass ? crlf : v;
		size_t len = pass ? m : n;
		struct san_stream *st = san_stream_new(set);
		if (!st)
			return 1;
		for (size_t i = 0; i < len; i += 65536)
			if (san_feed(st, t + i, len - i < 65536 ? len - i : 65536, count, NULL) < 0)
				return 1;
		if (san_finish(st, count, NULL) < 0)
			return 1;
		san_stream_free(st);
	}
	double t3 = now();
	printf("%.3f %ld %.3f %u %zu %zu %zu\n", t1 - t0, r1 - r0, t3 - t2, set->nnodes, set->nkeys,
	       set->nforms, out_len);
	san_set_free(set);
	free(v);
	free(crlf);
	return 0;
}

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int discard(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

#define SCAN_CHUNK (256u * 1024u)

static int scan(const char *file, const char *secrets, long n, const char *impl)
{
	if (impl && san_scan_select((unsigned)strtoul(impl, NULL, 10)) < 0)
		return 1;
	FILE *f = fopen(file, "r");
	struct san_set *set = load(secrets, n);
	if (!f || !set || fseek(f, 0, SEEK_END) < 0)
		return 1;
	long size = ftell(f);
	uint8_t *buf = size > 0 ? malloc((size_t)size) : NULL;
	rewind(f);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
		return 1;
	fclose(f);
	size_t len = (size_t)size;
	uint8_t *ibuf = malloc(SCAN_CHUNK);
	double best[2] = { 1e9, 1e9 };
	if (!ibuf)
		return 1;
	for (int rep = 0; rep < 3; rep++) {
		struct san_term *t = san_term_new(SAN_TERM_OSC52);
		struct san_stream *st = san_stream_new(set);
		double tt = 0, tr = 0;
		if (!t || !st)
			return 1;
		/* each chunk copied into one buffer first, as a read from a pipe does: the passes
		 * find it in the cache */
		for (size_t i = 0; i < len; i += SCAN_CHUNK) {
			size_t c = len - i < SCAN_CHUNK ? len - i : SCAN_CHUNK;
			memcpy(ibuf, buf + i, c);
			double t0 = cpu_now();
			if (san_term_feed(t, ibuf, c, discard, NULL) < 0)
				return 1;
			double t1 = cpu_now();
			if (san_feed(st, ibuf, c, discard, NULL) < 0)
				return 1;
			tt += t1 - t0;
			tr += cpu_now() - t1;
		}
		if (san_finish(st, discard, NULL) < 0)
			return 1;
		if (tt < best[0])
			best[0] = tt;
		if (tr < best[1])
			best[1] = tr;
		san_stream_free(st);
		san_term_free(t);
	}
	free(ibuf);
	printf("%.3f %.3f\n", best[0] * 1e9 / (double)len, best[1] * 1e9 / (double)len);
	free(buf);
	san_set_free(set);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "scan"))
		return scan(argv[2], argv[3], strtol(argv[4], NULL, 10),
			    argc == 6 ? argv[5] : NULL);
	if (argc == 4 && !strcmp(argv[1], "patterns"))
		return patterns(argv[2], strtol(argv[3], NULL, 10));
	if (argc >= 2 && !strcmp(argv[1], "big"))
		return big(argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) * 1024 : SAN_VALUE_MAX);
	fprintf(stderr, "usage: san_bench patterns FILE N | san_bench big [KIB] | san_bench scan "
			"FILE SECRETS N\n");
	return 2;
}
