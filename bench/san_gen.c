/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark input generator for the sanitizer: deterministic secrets and a log-like stream with
 * some of them sprinkled in raw and encoded forms.
 *   san_gen secrets N        N lines "BENCH_SECRET_<i>=<value>" (32 characters each)
 *   san_gen log MIB N        MIB MiB of log lines on stdout; about one line in 500 carries one
 *                            of the first N secrets (raw, base64, hex or JSON-escaped)
 * The output only depends on the arguments, so runs are comparable. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x243F6A8885A308D3ull;

static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static void secret(unsigned i, char out[33])
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t s = 0x9E3779B97F4A7C15ull * (i + 1);
	for (int k = 0; k < 32; k++) {
		s ^= s >> 31;
		s *= 0xBF58476D1CE4E5B9ull;
		s ^= s >> 29;
		out[k] = al[s % 62];
	}
	out[32] = '\0';
}

static void b64(const char *in, size_t n, char *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)(unsigned char)in[i] << 16 |
			     (unsigned)(unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = al[v >> 6 & 63];
		out[o++] = al[v & 63];
	}
	if (n - i) {
		unsigned v = (unsigned)(unsigned char)in[i] << 16 |
			     (n - i == 2 ? (unsigned)(unsigned char)in[i + 1] << 8 : 0u);
		out[o++] = al[v >> 18 & 63];
		out[o++] = al[v >> 12 & 63];
		out[o++] = n - i == 2 ? al[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "secrets")) {
		unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
		char s[33];
		for (unsigned i = 0; i < n; i++) {
			secret(i, s);
			printf("BENCH_SECRET_%u=%s\n", i, s);
		}
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "log")) {
		fprintf(stderr, "usage: san_gen secrets N | san_gen log MIB N\n");
		return 2;
	}
	static const char *const lvl[] = { "INFO", "DEBUG", "WARN", "INFO", "ERROR", "INFO" };
	static const char *const path[] = { "/api/v1/items",  "/api/v1/users",	"/healthz",
					    "/api/v2/orders", "/static/app.js", "/login" };
	static const char *const msg[] = { "request completed", "cache miss, fetching upstream",
					   "retrying connection to db-primary:5432",
					   "user session refreshed", "rendered template in" };
	unsigned long long target = strtoull(argv[2], NULL, 10) << 20, done = 0;
	unsigned nsec = (unsigned)strtoul(argv[3], NULL, 10);
	static char out[1 << 16];
	size_t o = 0;
	char s[33], enc[128];
	unsigned long long line = 0;
	while (done < target) {
		uint64_t r = next();
		char l[512];
		int n = snprintf(l, sizeof(l),
				 "2026-11-22T%02u:%02u:%02u.%03uZ %-5s [worker-%02u] %s path=%s/%u "
				 "status=%u dur=%ums req=%08x%08x",
				 (unsigned)(line / 3600000 % 24), (unsigned)(line / 60000 % 60),
				 (unsigned)(line / 1000 % 60), (unsigned)(line % 1000), lvl[r % 6],
				 (unsigned)(r >> 8 & 31), msg[r >> 16 & 3], path[(r >> 20) % 6],
				 (unsigned)(r >> 24 & 0xffff), (r >> 40 & 7) ? 200u : 503u,
				 (unsigned)(r >> 43 & 511), (unsigned)(r >> 32), (unsigned)r);
		if (nsec && (r >> 52) % 500 == 0) {
			unsigned k = (unsigned)((r >> 12) % nsec);
			secret(k, s);
			switch ((r >> 5) & 3) {
			case 0: n += snprintf(l + n, sizeof(l) - (size_t)n, " token=%s", s); break;
			case 1:
				b64(s, 32, enc);
				n += snprintf(l + n, sizeof(l) - (size_t)n, " auth=Basic %s", enc);
				break;
			case 2:
				for (int j = 0; j < 32; j++)
					snprintf(enc + 2 * j, 3, "%02x", (unsigned char)s[j]);
				n += snprintf(l + n, sizeof(l) - (size_t)n, " hex=%s", enc);
				break;
			default:
				n += snprintf(l + n, sizeof(l) - (size_t)n,
					      " body={\"key\":\"%s\"}", s);
			}
		}
		l[n++] = '\n';
		if (o + (size_t)n > sizeof(out)) {
			fwrite(out, 1, o, stdout);
			o = 0;
		}
		memcpy(out + o, l, (size_t)n);
		o += (size_t)n;
		done += (unsigned long long)n;
		line++;
	}
	fwrite(out, 1, o, stdout);
	return 0;
}
