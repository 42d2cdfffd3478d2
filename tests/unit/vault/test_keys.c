/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the session keys (vault/keys.c): a handle unlocked with exported keys reads and
 * writes like one unlocked with the password; a replaced vault or a changed password is refused
 * (-ESTALE); tampered rows are still caught; proofs verify only with the same vault's keys;
 * "via" reaches the audit detail; vault_stat's facts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

static struct vault_keys *export_keys(const char *dir)
{
	struct reterr err = { 0 };
	struct vault *v = NULL;
	struct vault_keys *k = NULL;
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	ck_assert_int_eq(vault_keys_export(v, &k, &err), 0);
	vault_free(v);
	return k;
}

static int open_with(const char *dir, const struct vault_keys *k, struct vault **ret,
		     struct reterr *err)
{
	int r = vault_open(dir, ret, err);
	ck_assert_msg(r == 0, "vault_open: %s", err->msg);
	return vault_unlock_with_keys(*ret, k, err);
}

START_TEST(test_unlock_with_keys)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "API_KEY", "value-of-the-api-key"), 0);
	struct vault_keys *k = NULL;
	ck_assert_int_eq(vault_keys_export(v, &k, &err), 0);
	vault_free(v);

	/* A locked handle cannot export. */
	ck_assert_int_eq(vault_open(dir, &v, &err), 0);
	struct vault_keys *none = NULL;
	ck_assert_int_eq(vault_keys_export(v, &none, &err), -EACCES);
	ck_assert_ptr_null(none);
	vault_free(v);

	ck_assert_int_eq(open_with(dir, k, &v, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "API_KEY", 0, &e, &err), 0);
	ck_assert_mem_eq(e->value, "value-of-the-api-key", e->value_len);
	vault_entry_free(e);
	ck_assert_int_eq(vtu_set(v, "OTHER", "another-value-1234"), 0);
	ck_assert_int_eq(audit_verify(v, NULL, NULL, &err), 0);
	vault_free(v);
	/* The password still opens what the keys wrote. */
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	ck_assert_int_eq(vault_get(v, "OTHER", 0, &e, &err), 0);
	vault_entry_free(e);
	vault_free(v);
	vault_keys_free(k);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_replaced_vault_refused)
{
	char *a = vtu_vault_path(), *b = vtu_vault_path();
	vault_free(vtu_vault_new(a));
	vault_free(vtu_vault_new(b));
	struct vault_keys *ka = export_keys(a);
	struct reterr err = { 0 };
	struct vault *v = NULL;
	/* Another vault (same password): another id, another header. */
	ck_assert_int_eq(open_with(b, ka, &v, &err), -ESTALE);
	ck_assert_ptr_nonnull(strstr(err.msg, "replaced or its password changed"));
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "x", 0, &e, NULL), -EACCES);
	vault_free(v);
	/* The same vault after a password change: the wrapped key changed. */
	ck_assert_int_eq(vtu_vault_reopen(a, &v, &err), 0);
	struct secret *np = vtu_pw("a brand new password");
	ck_assert_int_eq(vault_change_password(v, np, VAULT_KDF_TEST, &err), 0);
	secret_free(np);
	vault_free(v);
	ck_assert_int_eq(open_with(a, ka, &v, &err), -ESTALE);
	vault_free(v);
	vault_keys_free(ka);
	vtu_cleanup(a);
	vtu_cleanup(b);
}
END_TEST

START_TEST(test_tampered_rows_caught)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "A", "value-a-1234567890"), 0);
	ck_assert_int_eq(vtu_set(v, "B", "value-b-1234567890"), 0);
	vault_free(v);
	struct vault_keys *k = export_keys(dir);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "DELETE FROM secrets WHERE rowid = (SELECT min(rowid) FROM secrets)");
	sqlite3_close(db);
	ck_assert_int_eq(open_with(dir, k, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing"));
	vault_free(v);
	vault_keys_free(k);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_proofs)
{
	char *a = vtu_vault_path(), *b = vtu_vault_path();
	vault_free(vtu_vault_new(a));
	vault_free(vtu_vault_new(b));
	struct vault_keys *ka = export_keys(a), *ka2 = export_keys(a), *kb = export_keys(b);
	unsigned char p[VAULT_PROOF_BYTES];
	const char msg[] = "nonce and request";
	vault_keys_proof(ka, msg, sizeof(msg), p);
	ck_assert(vault_keys_proof_check(ka2, msg, sizeof(msg), p));
	ck_assert(!vault_keys_proof_check(kb, msg, sizeof(msg), p));
	ck_assert(!vault_keys_proof_check(ka, msg, sizeof(msg) - 1, p));
	p[0] ^= 1;
	ck_assert(!vault_keys_proof_check(ka, msg, sizeof(msg), p));
	vault_keys_free(ka);
	vault_keys_free(ka2);
	vault_keys_free(kb);
	ck_assert_ptr_null(vault_keys_free(NULL));
	vtu_cleanup(a);
	vtu_cleanup(b);
}
END_TEST

START_TEST(test_via_and_stat)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "A", "value-a-1234567890"), 0);
	vault_set_via(v, "agent");
	struct audit_event ev = { .action = "test.one", .success = true };
	ck_assert_int_eq(audit_append(v, &ev, &err), 0);
	struct audit_event ev2 = { .action = "test.two",
				   .success = true,
				   .detail = "{\"count\":2}" };
	ck_assert_int_eq(audit_append(v, &ev2, &err), 0);
	vault_set_via(v, "Not Valid");
	ck_assert_int_eq(audit_append(v, &ev, &err), 0);
	struct audit_record *recs = NULL;
	size_t n = 0;
	struct audit_query q = { .limit = 3 };
	ck_assert_int_eq(audit_list(v, &q, &recs, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(recs[0].detail, "{\"via\":\"agent\"}");
	ck_assert_str_eq(recs[1].detail, "{\"via\":\"agent\",\"count\":2}");
	ck_assert_str_eq(recs[2].detail, "");
	audit_records_free(recs, n);
	ck_assert_int_eq(audit_verify(v, NULL, NULL, &err), 0);
	struct vault_stat st;
	ck_assert_int_eq(vault_stat(v, &st, &err), 0);
	ck_assert_str_eq(st.kdf, "test");
	ck_assert_uint_eq(st.secrets, 1);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-keys");
	TCase *tc = tcase_create("keys");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unlock_with_keys);
	tcase_add_test(tc, test_replaced_vault_refused);
	tcase_add_test(tc, test_tampered_rows_caught);
	tcase_add_test(tc, test_proofs);
	tcase_add_test(tc, test_via_and_stat);
	suite_add_tcase(s, tc);
	return s;
}
