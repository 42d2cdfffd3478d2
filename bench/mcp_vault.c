/* SPDX-License-Identifier: Apache-2.0 */
/* Vault filler for bench/40-mcp.sh: creates a `test`-KDF vault in DIR with N secrets (keys
 * app/groupGGG/secretNNNNN, 40-byte values, tags and notes on some) plus any KEY=VALUE given,
 * through the library as `secretctl set` would store them (one audited transaction each; run it
 * on tmpfs, where the fsyncs cost nothing). The master password comes from SECRETCTL_PASSWORD. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault.h"

static int die(const char *what, int r, const struct reterr *err)
{
	fprintf(stderr, "mcp_vault: %s: %d %s\n", what, r, err->msg);
	return 1;
}

static int put(struct vault *v, const char *key, const char *val, char *const *tags,
	       const char *notes, struct reterr *err)
{
	struct secret *s = secret_from(val, strlen(val));
	if (!s)
		return -ENOMEM;
	struct vault_set_in in = { .key = key, .value = s, .tags = tags, .notes = notes };
	int r = vault_set(v, &in, NULL, err);
	secret_free(s);
	return r;
}

int main(int argc, char **argv)
{
	uint64_t n = 0;
	const char *pws = getenv(VAULT_PASSWORD_ENV);
	if (argc < 3 || parse_u64(argv[2], 0, VAULT_SECRETS_MAX, &n) < 0 || !pws) {
		fprintf(stderr, "usage: SECRETCTL_PASSWORD=PW mcp_vault DIR N [KEY=VALUE...]\n");
		return 2;
	}
	if (secret_lib_init() < 0)
		return 1;
	struct reterr err = { 0 };
	struct secret *pw = secret_from(pws, strlen(pws));
	struct vault *v = NULL;
	int r;
	if (!pw)
		return 1;
	if ((r = vault_create(argv[1], pw, VAULT_KDF_TEST, &err)) < 0 ||
	    (r = vault_open(argv[1], &v, &err)) < 0 || (r = vault_unlock(v, pw, NULL, &err)) < 0)
		return die("create", r, &err);
	static char t_ci[] = "ci", t_prod[] = "prod", t_team[] = "team-a";
	char *tags_ci[] = { t_ci, t_team, NULL }, *tags_prod[] = { t_prod, NULL },
	     *none[] = { NULL };
	char key[64], val[64], notes[64];
	for (uint64_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "app/group%03llu/secret%05llu",
			 (unsigned long long)(i % 100), (unsigned long long)i);
		snprintf(val, sizeof(val), "v%05llu-0123456789abcdefghijklmnopqrstuvwx",
			 (unsigned long long)i);
		snprintf(notes, sizeof(notes), "benchmark entry %llu", (unsigned long long)i);
		char *const *tags = i % 3 == 0 ? tags_ci : i % 3 == 1 ? tags_prod : none;
		if ((r = put(v, key, val, tags, i % 2 ? notes : NULL, &err)) < 0)
			return die(key, r, &err);
	}
	for (int a = 3; a < argc; a++) {
		char *eq = strchr(argv[a], '=');
		if (!eq || eq == argv[a]) {
			fprintf(stderr, "mcp_vault: expected KEY=VALUE: %s\n", argv[a]);
			return 2;
		}
		*eq = '\0';
		if ((r = put(v, argv[a], eq + 1, none, NULL, &err)) < 0)
			return die(argv[a], r, &err);
	}
	vault_free(v);
	secret_free(pw);
	return 0;
}
