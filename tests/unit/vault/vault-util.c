/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the vault unit tests (see vault-util.h). */
#include "vault-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *vtu_vault_path(void)
{
	char tmpl[] = "/tmp/vault-test.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/vault", tmpl), 0);
	return p;
}

void vtu_cleanup(char *vault_dir)
{
	if (!vault_dir)
		return;
	char *slash = strrchr(vault_dir, '/');
	if (slash && strncmp(vault_dir, "/tmp/vault-test.", 16) == 0) {
		*slash = 0;
		char *cmd = NULL;
		if (asprintf(&cmd, "rm -rf '%s'", vault_dir) >= 0)
			if (system(cmd) != 0)
				fprintf(stderr, "cleanup of %s failed\n", vault_dir);
		free(cmd);
	}
	free(vault_dir);
}

struct secret *vtu_pw(const char *s)
{
	ck_assert_int_eq(secret_lib_init(), 0);
	struct secret *p = secret_from(s, strlen(s));
	ck_assert_ptr_nonnull(p);
	return p;
}

struct vault *vtu_vault_new(const char *dir)
{
	struct reterr err = { 0 };
	struct secret *pw = vtu_pw(VTU_PASSWORD);
	int r = vault_create(dir, pw, VAULT_KDF_TEST, &err);
	ck_assert_msg(r == 0, "vault_create: %d %s", r, err.msg);
	struct vault *v = NULL;
	r = vault_open(dir, &v, &err);
	ck_assert_msg(r == 0, "vault_open: %d %s", r, err.msg);
	r = vault_unlock(v, pw, NULL, &err);
	ck_assert_msg(r == 0, "vault_unlock: %d %s", r, err.msg);
	secret_free(pw);
	return v;
}

int vtu_vault_reopen(const char *dir, struct vault **ret, struct reterr *err)
{
	struct secret *pw = vtu_pw(VTU_PASSWORD);
	*ret = NULL;
	int r = vault_open(dir, ret, err);
	if (r == 0)
		r = vault_unlock(*ret, pw, NULL, err);
	secret_free(pw);
	return r;
}

int vtu_set(struct vault *v, const char *key, const char *value)
{
	struct reterr err = { 0 };
	struct secret *s = secret_from(value, strlen(value));
	struct vault_set_in in = { .key = key, .value = s };
	int r = vault_set(v, &in, NULL, &err);
	secret_free(s);
	return r;
}

sqlite3 *vtu_raw(const char *dir)
{
	char *path = NULL;
	sqlite3 *db = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, VAULT_DB_NAME), 0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	free(path);
	return db;
}

void vtu_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
}

int vtu_strings_has(const char *path, const char *needle)
{
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "strings -a -n 4 '%s'", path), 0);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	char line[4096];
	int found = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			found = 1;
	ck_assert_int_eq(pclose(f), 0);
	free(cmd);
	return found;
}
