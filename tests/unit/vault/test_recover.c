/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of examining and recovering a damaged vault: bad rows named (by key, or through the
 * audit log by row id), missing rows found, the unlock's message, the rebuild keeping every
 * intact secret and the damaged file, and the read-only handle refusing to rebuild. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

static struct vault *recovery_handle(const char *dir, bool readonly, const char *pw)
{
	struct reterr err = { 0 };
	struct vault *v = NULL;
	int r = readonly ? vault_open_readonly(dir, &v, &err) : vault_open(dir, &v, &err);
	ck_assert_msg(r == 0, "%s", err.msg);
	struct secret *p = vtu_pw(pw);
	r = vault_unlock_for_recovery(v, p, NULL, &err);
	secret_free(p);
	if (r < 0) {
		ck_assert_int_eq(r, -EKEYREJECTED);
		return vault_free(v);
	}
	return v;
}

/* k0 intact; k1's value altered; k2's version edited (its name no longer decrypts); k3 deleted. */
static void damage(const char *dir)
{
	struct vault *v = vtu_vault_new(dir);
	for (int i = 0; i < 4; i++) {
		char key[16], val[32];
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(val, sizeof(val), "value-number-%d", i);
		ck_assert_int_eq(vtu_set(v, key, val), 0);
	}
	vault_free(v);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "UPDATE secrets SET value = randomblob(length(value)) WHERE n = 2;"
		     "UPDATE secrets SET version = version + 100 WHERE n = 3;"
		     "DELETE FROM secrets WHERE n = 4");
	sqlite3_close(db);
}

START_TEST(test_examine_and_recover)
{
	char *dir = vtu_vault_path();
	struct reterr err = { 0 };
	struct vault *v = NULL;
	damage(dir);
	/* The unlock refuses, naming the row it can name and what to do. */
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), -EBADMSG);
	vault_free(v);
	ck_assert_msg(strstr(err.msg, "secret 'k2'") && strstr(err.msg, "secretctl recover"), "%s",
		      err.msg);
	ck_assert_ptr_null(recovery_handle(dir, false, "not the password"));

	v = recovery_handle(dir, false, VTU_PASSWORD);
	struct vault_examination ex;
	ck_assert_int_eq(vault_examine(v, &ex, &err), 0);
	ck_assert_uint_eq(ex.rows, 3);
	ck_assert_uint_eq(ex.intact, 1);
	ck_assert_uint_eq(ex.nbad, 2);
	ck_assert_str_eq(ex.bad[0].key, "k1");
	ck_assert_ptr_nonnull(strstr(ex.bad[0].problem, "value"));
	ck_assert_str_eq(ex.bad[1].key, "k2"); /* named through the log: its row id is k2's */
	ck_assert_ptr_nonnull(ex.missing);
	ck_assert_str_eq(ex.missing[0], "k3");
	ck_assert_ptr_null(ex.missing[1]);
	ck_assert(ex.manifest_ok && !ex.rows_match && ex.head_ok && ex.audit_ok);
	ck_assert(!vault_examination_clean(&ex));

	char *backup = NULL;
	ck_assert_int_eq(vault_recover(v, &ex, &backup, &err), 0);
	ck_assert_ptr_nonnull(backup);
	struct stat st;
	ck_assert_int_eq(stat(backup, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	vault_examination_release(&ex);
	vault_free(v);

	/* The rebuilt vault unlocks, keeps k0 and verifies; the recovery is its last entry. */
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "k0", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_mem_eq(e->value, "value-number-0", 14);
	vault_entry_free(e);
	ck_assert_int_eq(vault_get(v, "k1", VAULT_GET_NO_AUDIT, &e, &err), -ENOENT);
	ck_assert_int_eq(audit_verify(v, NULL, NULL, &err), 0);
	struct audit_record *a = NULL;
	size_t n = 0;
	ck_assert_int_eq(audit_list(v, NULL, &a, &n, &err), 0);
	/* The failed attempt queued before the recovery is moved into the log after it. */
	ck_assert_str_eq(a[n - 1].action, "vault.unlock_failed");
	ck_assert_str_eq(a[n - 2].action, "vault.recover");
	ck_assert_str_eq(a[n - 2].keys, "k1,k2,k3");
	ck_assert_ptr_nonnull(strstr(a[n - 2].detail, "\"kept\":1"));
	audit_records_free(a, n);
	ck_assert_int_eq(vault_examine(v, &ex, &err), 0);
	ck_assert(vault_examination_clean(&ex)); /* k1..k3 are accounted for by the recovery */
	ck_assert_ptr_null(ex.missing);
	vault_examination_release(&ex);
	vault_free(v);

	/* The kept copy is the damaged vault, as it was. */
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open_v2(backup, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM secrets", -1, &q, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 3);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(backup);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_readonly_examines_only)
{
	char *dir = vtu_vault_path();
	struct reterr err = { 0 };
	damage(dir);
	struct vault *v = recovery_handle(dir, true, VTU_PASSWORD);
	struct vault_examination ex;
	ck_assert_int_eq(vault_examine(v, &ex, &err), 0);
	ck_assert_uint_eq(ex.nbad, 2);
	char *backup = NULL;
	ck_assert_int_eq(vault_recover(v, &ex, &backup, &err), -EROFS);
	ck_assert_ptr_null(backup);
	vault_examination_release(&ex);
	vault_free(v);
	/* A clean vault has nothing to recover: no copy, no entry. */
	char *dir2 = vtu_vault_path();
	v = vtu_vault_new(dir2);
	ck_assert_int_eq(vault_examine(v, &ex, &err), 0);
	ck_assert(vault_examination_clean(&ex));
	ck_assert_int_eq(vault_recover(v, &ex, &backup, &err), 0);
	ck_assert_ptr_null(backup);
	vault_examination_release(&ex);
	vault_free(v);
	vtu_cleanup(dir);
	vtu_cleanup(dir2);
}
END_TEST

/* A clock that moves on at every read, as a busy machine's may between two reads of one set. */
static int64_t ticks;
static int64_t ticking_clock(void)
{
	return 1800000000 + 10 * ticks++;
}

static void examine_expect_stale(const char *dir, const char *stale)
{
	struct reterr err = { 0 };
	struct vault *v = recovery_handle(dir, true, VTU_PASSWORD);
	struct vault_examination ex;
	ck_assert_int_eq(vault_examine(v, &ex, &err), 0);
	if (stale) {
		ck_assert_ptr_nonnull(ex.stale);
		ck_assert_str_eq(ex.stale[0], stale);
		ck_assert_ptr_null(ex.stale[1]);
	} else {
		ck_assert_msg(!ex.stale, "%s called rolled back", ex.stale ? ex.stale[0] : "");
		ck_assert(vault_examination_clean(&ex));
	}
	vault_examination_release(&ex);
	vault_free(v);
}

/* Rolled back means an older copy of a row: never an intact row whose set took a while. */
START_TEST(test_rolled_back)
{
	char *dir = vtu_vault_path();
	clock_set_fn(ticking_clock);
	struct vault *v = vtu_vault_new(dir);
	ck_assert_int_eq(vtu_set(v, "k0", "value-number-0"), 0);
	ck_assert_int_eq(vtu_set(v, "k1", "value-number-1"), 0);
	vault_free(v);
	examine_expect_stale(dir, NULL);
	/* k1's row as it was, put back after a later set. */
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "CREATE TABLE old AS SELECT * FROM secrets WHERE n = 2");
	sqlite3_close(db);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	ck_assert_int_eq(vtu_set(v, "k1", "value-number-1b"), 0);
	vault_free(v);
	db = vtu_raw(dir);
	vtu_exec(db, "DELETE FROM secrets WHERE id = (SELECT id FROM old);"
		     "INSERT INTO secrets SELECT * FROM old;"
		     "DROP TABLE old");
	sqlite3_close(db);
	examine_expect_stale(dir, "k1");
	clock_set_fn(NULL);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-recover");
	TCase *tc = tcase_create("recover");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_examine_and_recover);
	tcase_add_test(tc, test_readonly_examines_only);
	tcase_add_test(tc, test_rolled_back);
	suite_add_tcase(s, tc);
	return s;
}
