/* SPDX-License-Identifier: Apache-2.0 */
/* Vault benchmark: unlock time per KDF profile and set/get/list rates at scale; prints markdown
 * table rows for bench/10-vault.sh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vault/vault.h"

#define PASSWORD "benchmark password 1"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what, int r, const struct reterr *err)
{
	fprintf(stderr, "vault_bench: %s: %d %s\n", what, r, err->msg);
	return 1;
}

static int bench_unlock(const char *dir, const char *profile, int rounds)
{
	enum vault_kdf kdf;
	struct reterr err = { 0 };
	if (vault_kdf_parse(profile, &kdf) < 0)
		return die("profile", -EINVAL, &err);
	struct secret *pw = secret_from(PASSWORD, strlen(PASSWORD));
	int r = vault_create(dir, pw, kdf, &err);
	if (r < 0)
		return die("create", r, &err);
	double best = 1e9, total = 0;
	for (int i = 0; i < rounds; i++) {
		struct vault *v = NULL;
		double t0 = now_s();
		if ((r = vault_open(dir, &v, &err)) < 0 ||
		    (r = vault_unlock(v, pw, NULL, &err)) < 0)
			return die("unlock", r, &err);
		double t = now_s() - t0;
		vault_free(v);
		total += t;
		if (t < best)
			best = t;
	}
	printf("| unlock (%s) | %d | %.1f ms | best %.1f ms |\n", profile, rounds,
	       total / rounds * 1e3, best * 1e3);
	secret_free(pw);
	return 0;
}

static void row(const char *what, long n, double secs)
{
	printf("| %s | %ld | %.3f s | %.0f ops/s (%.3f ms/op) |\n", what, n, secs,
	       secs > 0 ? (double)n / secs : 0.0, n ? secs * 1e3 / (double)n : 0.0);
}

static int bench_ops(const char *dir, long n)
{
	struct reterr err = { 0 };
	struct secret *pw = secret_from(PASSWORD, strlen(PASSWORD));
	struct vault *v = NULL;
	int r;
	if ((r = vault_create(dir, pw, VAULT_KDF_TEST, &err)) < 0 ||
	    (r = vault_open(dir, &v, &err)) < 0 || (r = vault_unlock(v, pw, NULL, &err)) < 0)
		return die("setup", r, &err);
	char key[64], val[64];
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "bench/group%ld/key%ld", i % 100, i);
		snprintf(val, sizeof(val), "value-%ld-abcdefghijklmnopqrstuvwxyz", i);
		struct secret *s = secret_from(val, strlen(val));
		struct vault_set_in in = { .key = key, .value = s, .notes = "benchmark entry" };
		r = vault_set(v, &in, NULL, &err);
		secret_free(s);
		if (r < 0)
			return die("set", r, &err);
	}
	row("set (new key, audited, fsync'd)", n, now_s() - t0);
	struct vault_meta *m = NULL;
	size_t cnt = 0;
	t0 = now_s();
	if ((r = vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &cnt, &err)) < 0)
		return die("list", r, &err);
	double tl = now_s() - t0;
	printf("| list all (metas only) | %zu | %.3f s | %.1f µs/secret |\n", cnt, tl,
	       tl * 1e6 / (double)cnt);
	t0 = now_s();
	for (size_t i = 0; i < cnt; i++) {
		struct vault_entry *e = NULL;
		if ((r = vault_get(v, m[i].key, VAULT_GET_NO_AUDIT, &e, &err)) < 0)
			return die("get", r, &err);
		vault_entry_free(e);
	}
	double tg = now_s() - t0;
	printf("| get all (values decrypted, no audit) | %zu | %.3f s | %.1f µs/secret (%.0fx "
	       "list) "
	       "|\n",
	       cnt, tg, tg * 1e6 / (double)cnt, tl > 0 ? tg / tl : 0.0);
	long sample = n < 1000 ? n : 1000;
	t0 = now_s();
	for (long i = 0; i < sample; i++) {
		struct vault_entry *e = NULL;
		if ((r = vault_get(v, m[i].key, 0, &e, &err)) < 0)
			return die("get", r, &err);
		vault_entry_free(e);
	}
	row("get (audited, fsync'd)", sample, now_s() - t0);
	t0 = now_s();
	for (long i = 0; i < sample; i++) {
		snprintf(val, sizeof(val), "updated-%ld", i);
		struct secret *s = secret_from(val, strlen(val));
		struct vault_set_in in = { .key = m[i].key, .value = s };
		r = vault_set(v, &in, NULL, &err);
		secret_free(s);
		if (r < 0)
			return die("update", r, &err);
	}
	row("set (update, audited, fsync'd)", sample, now_s() - t0);
	vault_meta_array_free(m, cnt);
	vault_free(v);
	t0 = now_s();
	if ((r = vault_open(dir, &v, &err)) < 0 || (r = vault_unlock(v, pw, NULL, &err)) < 0)
		return die("unlock", r, &err);
	printf("| unlock (test KDF) incl. manifest check | %ld | %.1f ms | |\n", n,
	       (now_s() - t0) * 1e3);
	uint64_t count = 0;
	t0 = now_s();
	if ((r = audit_verify(v, &count, NULL, &err)) < 0)
		return die("verify", r, &err);
	printf("| audit verify | %llu | %.3f s | |\n", (unsigned long long)count, now_s() - t0);
	vault_free(v);
	secret_free(pw);
	return 0;
}

int main(int argc, char **argv)
{
	if (secret_lib_init() < 0)
		return 1;
	uint64_t num = 0;
	if (argc == 5 && strcmp(argv[1], "unlock") == 0 && parse_u64(argv[4], 1, 1000, &num) == 0)
		return bench_unlock(argv[2], argv[3], (int)num);
	if (argc == 4 && strcmp(argv[1], "ops") == 0 &&
	    parse_u64(argv[3], 1, VAULT_SECRETS_MAX, &num) == 0)
		return bench_ops(argv[2], (long)num);
	fprintf(stderr, "usage: vault_bench unlock DIR PROFILE ROUNDS | ops DIR N\n");
	return 2;
}
