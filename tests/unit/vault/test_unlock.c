/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of unlocking: wrong password, the persisted cooldown (injected clock), queued
 * vault.unlock_failed events, header tampering, and password change. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

static int64_t fake_now = 1700000000;
static int64_t fake_clock(void)
{
	return fake_now;
}

static int try_unlock(const char *dir, const char *pw, int64_t *wait, struct reterr *err)
{
	struct vault *v = NULL;
	int r = vault_open(dir, &v, err);
	ck_assert_int_eq(r, 0);
	struct secret *p = vtu_pw(pw);
	r = vault_unlock(v, p, wait, err);
	secret_free(p);
	vault_free(v);
	return r;
}

START_TEST(test_wrong_password)
{
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	struct reterr err = { 0 };
	ck_assert_int_eq(try_unlock(dir, "not the password", NULL, &err), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(err.msg, "wrong password"));
	ck_assert_int_eq(try_unlock(dir, "", NULL, &err), -EKEYREJECTED);
	struct vault *v = NULL;
	ck_assert_int_eq(vault_open(dir, &v, &err), 0);
	unsigned f = 0;
	int64_t w = -1;
	ck_assert_int_eq(vault_cooldown(v, &f, &w), 0);
	ck_assert_uint_eq(f, 2);
	ck_assert_int_eq(w, 0);
	vault_free(v);
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, NULL, &err), 0);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_cooldown_thresholds)
{
	clock_set_fn(fake_clock);
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	struct reterr err = { 0 };
	int64_t wait = 0;
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(try_unlock(dir, "wrong-password", &wait, &err), -EKEYREJECTED);
	ck_assert_int_eq(wait, 0);
	/* 5th failure starts a 30 s cooldown. */
	ck_assert_int_eq(try_unlock(dir, "wrong-password", &wait, &err), -EKEYREJECTED);
	ck_assert_int_eq(wait, 30);
	/* Even the right password is refused during the cooldown, without counting. */
	fake_now += 10;
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, &wait, &err), -EAGAIN);
	ck_assert_int_eq(wait, 20);
	ck_assert_ptr_nonnull(strstr(err.msg, "20 s"));
	fake_now += 20;
	/* 6..9 -> still 30 s each; 10th -> 5 min. */
	for (int i = 6; i <= 10; i++) {
		ck_assert_int_eq(try_unlock(dir, "wrong-password", &wait, &err), -EKEYREJECTED);
		fake_now += wait;
	}
	ck_assert_int_eq(wait, 300);
	for (int i = 11; i <= 20; i++) {
		ck_assert_int_eq(try_unlock(dir, "wrong-password", &wait, &err), -EKEYREJECTED);
		if (i < 20)
			ck_assert_int_eq(wait, 300);
		fake_now += wait;
	}
	ck_assert_int_eq(wait, 1800);
	fake_now -= 1; /* one second short of the 30 min */
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, &wait, &err), -EAGAIN);
	ck_assert_int_eq(wait, 1);
	fake_now += 1;
	/* Success resets the counter and flushes the 20 queued failures into the audit log. */
	struct vault *v = NULL;
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	unsigned f = 9;
	ck_assert_int_eq(vault_cooldown(v, &f, &wait), 0);
	ck_assert_uint_eq(f, 0);
	ck_assert_int_eq(wait, 0);
	struct audit_record *a = NULL;
	size_t n = 0;
	ck_assert_int_eq(audit_list(v, NULL, &a, &n, &err), 0);
	size_t failed = 0, refused = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(a[i].action, "vault.unlock_failed") == 0) {
			ck_assert(!a[i].success);
			ck_assert_str_eq(a[i].source, "cli");
			failed += strcmp(a[i].error, "wrong password") == 0;
			refused += strcmp(a[i].error, "refused: cooldown") == 0;
			ck_assert_int_ge(a[i].ts, 1700000000);
		}
	}
	/* The two attempts refused during a cooldown are recorded too (not counted). */
	ck_assert_uint_eq(failed, 20);
	ck_assert_uint_eq(refused, 2);
	ck_assert_str_eq(a[n - 1].action, "vault.unlock_failed");
	audit_records_free(a, n);
	/* The unlock tells how many attempts failed since the last one, and when the last was. */
	unsigned seen = 0;
	int64_t last = 0;
	vault_unlock_failures(v, &seen, &last);
	ck_assert_uint_eq(seen, 22);
	ck_assert_int_eq(last, fake_now - 1);
	uint64_t count = 0;
	ck_assert_int_eq(audit_verify(v, &count, NULL, &err), 0);
	ck_assert_uint_eq(count, n);
	vault_free(v);
	vtu_cleanup(dir);
	clock_set_fn(NULL);
}
END_TEST

START_TEST(test_header_tamper)
{
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	struct reterr err = { 0 };
	/* Weakening the stored KDF parameters breaks the verifier (they are in its AD); the
	 * header's checksum tells it from a wrong password, and it is not counted. */
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "CREATE TABLE saved AS SELECT * FROM header;"
		     "UPDATE header SET kdf_ops = 2");
	sqlite3_close(db);
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, NULL, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "damaged"));
	ck_assert_ptr_nonnull(strstr(err.msg, "not a wrong password"));
	db = vtu_raw(dir);
	vtu_exec(db, "UPDATE header SET wrapped_key = (SELECT wrapped_key FROM saved), kdf_ops = 1;"
		     "UPDATE header SET wrapped_key = CAST(zeroblob(48) AS BLOB)");
	sqlite3_close(db);
	ck_assert_int_eq(try_unlock(dir, "not the password", NULL, &err), -EBADMSG);
	struct vault *v = NULL;
	unsigned f = 9;
	ck_assert_int_eq(vault_open(dir, &v, &err), 0);
	ck_assert_int_eq(vault_cooldown(v, &f, NULL), 0);
	ck_assert_uint_eq(f, 0);
	vault_free(v);
	/* A vault made before the checksum existed: a damaged header reads as a wrong password,
	 * as it always did; the next unlock adds the checksum. */
	db = vtu_raw(dir);
	vtu_exec(db, "DROP TABLE header_sum");
	sqlite3_close(db);
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, NULL, &err), -EKEYREJECTED);
	db = vtu_raw(dir);
	vtu_exec(db, "UPDATE header SET wrapped_key = (SELECT wrapped_key FROM saved)");
	sqlite3_close(db);
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, NULL, &err), 0);
	db = vtu_raw(dir);
	vtu_exec(db, "UPDATE header SET kdf_ops = 2");
	sqlite3_close(db);
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, NULL, &err), -EBADMSG);
	db = vtu_raw(dir);
	vtu_exec(db, "UPDATE header SET kdf_ops = 1, kdf_mem = 1099511627776");
	sqlite3_close(db);
	ck_assert_int_eq(vault_open(dir, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "KDF"));
	db = vtu_raw(dir);
	vtu_exec(db, "UPDATE header SET kdf_mem = 8388608, format = 99");
	sqlite3_close(db);
	ck_assert_int_eq(vault_open(dir, &v, &err), -EPROTO);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_change_password)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "keep/me", "intact-value"), 0);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "CREATE TABLE old_salt AS SELECT kdf_salt FROM header");
	sqlite3_close(db);
	struct secret *np = vtu_pw("a brand new password");
	struct secret *shortpw = vtu_pw("short");
	ck_assert_int_eq(vault_change_password(v, shortpw, VAULT_KDF_TEST, &err), -EINVAL);
	ck_assert_int_eq(vault_change_password(v, np, VAULT_KDF_TEST, &err), 0);
	vault_free(v);
	db = vtu_raw(dir);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db,
					    "SELECT (SELECT kdf_salt FROM header) = "
					    "(SELECT kdf_salt FROM old_salt)",
					    -1, &q, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 0); /* new salt */
	sqlite3_finalize(q);
	sqlite3_close(db);
	ck_assert_int_eq(try_unlock(dir, VTU_PASSWORD, NULL, &err), -EKEYREJECTED);
	ck_assert_int_eq(vault_open(dir, &v, &err), 0);
	ck_assert_int_eq(vault_unlock(v, np, NULL, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "keep/me", 0, &e, &err), 0);
	ck_assert_mem_eq(e->value, "intact-value", 12);
	vault_entry_free(e);
	struct audit_record *a = NULL;
	size_t n = 0;
	ck_assert_int_eq(audit_list(v, NULL, &a, &n, &err), 0);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		seen |= strcmp(a[i].action, "vault.password") == 0;
	ck_assert(seen);
	audit_records_free(a, n);
	ck_assert_int_eq(audit_verify(v, NULL, NULL, &err), 0);
	vault_free(v);
	secret_free(np);
	secret_free(shortpw);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_kdf_parse)
{
	enum vault_kdf k;
	ck_assert_int_eq(vault_kdf_parse("test", &k), 0);
	ck_assert_int_eq(k, VAULT_KDF_TEST);
	ck_assert_int_eq(vault_kdf_parse("moderate", &k), 0);
	ck_assert_int_eq(k, VAULT_KDF_MODERATE);
	ck_assert_int_eq(vault_kdf_parse("sensitive", &k), 0);
	ck_assert_int_eq(vault_kdf_parse("interactive", &k), 0);
	ck_assert_int_eq(vault_kdf_parse("fast", &k), -EINVAL);
	ck_assert_int_eq(vault_kdf_parse(NULL, &k), -EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-unlock");
	TCase *tc = tcase_create("unlock");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_cooldown_thresholds);
	tcase_add_test(tc, test_header_tamper);
	tcase_add_test(tc, test_change_password);
	tcase_add_test(tc, test_kdf_parse);
	suite_add_tcase(s, tc);
	return s;
}
