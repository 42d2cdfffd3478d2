/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the vault's files: modes 0700/0600 from creation whatever the umask, refusal of
 * symlinks, foreign owners and group/world access, existing vaults and non-vault files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

static char *db_path(const char *dir)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, VAULT_DB_NAME), 0);
	return p;
}

START_TEST(test_modes)
{
	char *dir = vtu_vault_path();
	mode_t old = umask(0);
	struct vault *v = vtu_vault_new(dir);
	umask(old);
	struct stat sb;
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	char *p = db_path(dir);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	/* Journal during a write transaction: same mode as the db. */
	old = umask(0);
	ck_assert_int_eq(vtu_set(v, "k", "v"), 0);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "BEGIN IMMEDIATE; UPDATE unlock_state SET failures = failures + 1;");
	char *j = NULL;
	ck_assert_int_ge(asprintf(&j, "%s-journal", p), 0);
	ck_assert_int_eq(stat(j, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0600);
	vtu_exec(db, "ROLLBACK");
	sqlite3_close(db);
	umask(old);
	free(j);
	free(p);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_exists_and_missing)
{
	char *dir = vtu_vault_path();
	struct reterr err = { 0 };
	struct vault *v = NULL;
	ck_assert_int_eq(vault_open(dir, &v, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "init"));
	vault_free(vtu_vault_new(dir));
	struct secret *pw = vtu_pw(VTU_PASSWORD);
	ck_assert_int_eq(vault_create(dir, pw, VAULT_KDF_TEST, &err), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));
	/* Short password refused before anything is created. */
	char *dir2 = vtu_vault_path();
	struct secret *shortpw = vtu_pw("short");
	ck_assert_int_eq(vault_create(dir2, shortpw, VAULT_KDF_TEST, &err), -EINVAL);
	ck_assert_int_eq(access(dir2, F_OK), -1);
	secret_free(shortpw);
	secret_free(pw);
	vtu_cleanup(dir);
	vtu_cleanup(dir2);
}
END_TEST

START_TEST(test_symlinked_dir_refused)
{
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	char *link = NULL;
	ck_assert_int_ge(asprintf(&link, "%s-link", dir), 0);
	ck_assert_int_eq(symlink(dir, link), 0);
	struct reterr err = { 0 };
	struct vault *v = NULL;
	ck_assert_int_eq(vault_open(link, &v, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.msg, "symlink"));
	struct secret *pw = vtu_pw(VTU_PASSWORD);
	char *link2 = NULL;
	ck_assert_int_ge(asprintf(&link2, "%s-link2", dir), 0);
	char *target = NULL;
	ck_assert_int_ge(asprintf(&target, "%s-target", dir), 0);
	ck_assert_int_eq(mkdir(target, 0700), 0);
	ck_assert_int_eq(symlink(target, link2), 0);
	ck_assert_int_eq(vault_create(link2, pw, VAULT_KDF_TEST, &err), -ELOOP);
	secret_free(pw);
	free(link);
	free(link2);
	free(target);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_symlinked_db_refused)
{
	char *dir = vtu_vault_path();
	char *other = vtu_vault_path();
	vault_free(vtu_vault_new(other));
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char *p = db_path(dir), *q = db_path(other);
	ck_assert_int_eq(symlink(q, p), 0);
	struct reterr err = { 0 };
	struct vault *v = NULL;
	ck_assert_int_eq(vault_open(dir, &v, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.msg, "symlink"));
	/* create must not follow it either. */
	struct secret *pw = vtu_pw(VTU_PASSWORD);
	ck_assert_int_lt(vault_create(dir, pw, VAULT_KDF_TEST, &err), 0);
	secret_free(pw);
	free(p);
	free(q);
	vtu_cleanup(dir);
	vtu_cleanup(other);
}
END_TEST

START_TEST(test_open_modes_refused)
{
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	struct reterr err = { 0 };
	struct vault *v = NULL;
	ck_assert_int_eq(chmod(dir, 0750), 0);
	ck_assert_int_eq(vault_open(dir, &v, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 700"));
	ck_assert_int_eq(chmod(dir, 0700), 0);
	char *p = db_path(dir);
	ck_assert_int_eq(chmod(p, 0644), 0);
	ck_assert_int_eq(vault_open(dir, &v, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "chmod 600"));
	ck_assert_int_eq(chmod(p, 0600), 0);
	ck_assert_int_eq(vault_open(dir, &v, &err), 0);
	vault_free(v);
	free(p);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_foreign_owner_refused)
{
	if (geteuid() != 0)
		return; /* chown to another uid needs root */
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	struct reterr err = { 0 };
	struct vault *v = NULL;
	char *p = db_path(dir);
	ck_assert_int_eq(chown(p, 65534, 65534), 0);
	ck_assert_int_eq(vault_open(dir, &v, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "owned by uid 65534"));
	ck_assert_int_eq(chown(p, 0, 0), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	ck_assert_int_eq(vault_open(dir, &v, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "owned by uid 65534"));
	ck_assert_int_eq(chown(dir, 0, 0), 0);
	free(p);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_not_a_vault)
{
	char *dir = vtu_vault_path();
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char *p = db_path(dir);
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello, not sqlite at all, just text here..", 42), 42);
	close(fd);
	struct reterr err = { 0 };
	struct vault *v = NULL;
	ck_assert_int_eq(vault_open(dir, &v, &err), -EBADMSG);
	/* A real SQLite file that is not ours. */
	unlink(p);
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
	vtu_exec(db, "CREATE TABLE x(y)");
	sqlite3_close(db);
	ck_assert_int_eq(chmod(p, 0600), 0);
	ck_assert_int_eq(vault_open(dir, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a secretctl vault"));
	free(p);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_dir_default)
{
	struct reterr err = { 0 };
	setenv(VAULT_DIR_ENV, "/some/where", 1);
	char *d = vault_dir_default(&err);
	ck_assert_str_eq(d, "/some/where");
	free(d);
	unsetenv(VAULT_DIR_ENV);
	setenv("HOME", "/home/u", 1);
	d = vault_dir_default(&err);
	ck_assert_str_eq(d, "/home/u/.secretctl");
	free(d);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-files");
	TCase *tc = tcase_create("files");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_modes);
	tcase_add_test(tc, test_exists_and_missing);
	tcase_add_test(tc, test_symlinked_dir_refused);
	tcase_add_test(tc, test_symlinked_db_refused);
	tcase_add_test(tc, test_open_modes_refused);
	tcase_add_test(tc, test_foreign_owner_refused);
	tcase_add_test(tc, test_not_a_vault);
	tcase_add_test(tc, test_dir_default);
	suite_add_tcase(s, tc);
	return s;
}
