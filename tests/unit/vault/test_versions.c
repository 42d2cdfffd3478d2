/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of vault history (saved versions, keep, rollback), rename/copy and folders: the
 * vault still unlocks (manifest) and the audit log verifies after each; refusals change nothing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

/* The value of key, compared with want. */
static void expect_value(struct vault *v, const char *key, const char *want)
{
	struct vault_entry *e = NULL;
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_get(v, key, VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_uint_eq(e->value_len, strlen(want));
	ck_assert_mem_eq(e->value, want, strlen(want));
	vault_entry_free(e);
}

/* Reopen and unlock (the manifest is recomputed over every row) and verify the audit log. */
static struct vault *reopen_checked(struct vault *v, const char *dir)
{
	struct reterr err = { 0 };
	uint64_t n = 0;
	vault_free(v);
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	ck_assert_msg(audit_verify(v, &n, NULL, &err) == 0, "audit: %s", err.msg);
	return v;
}

START_TEST(test_history_keep_and_rollback)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	struct vault_version *a = NULL;
	size_t n = 0;
	char val[32];
	for (int i = 1; i <= 8; i++) {
		snprintf(val, sizeof(val), "value-%d", i);
		ck_assert_int_eq(vtu_set(v, "k", val), 0);
	}
	ck_assert_int_eq(vault_history(v, "k", &a, &n, &err), 0);
	ck_assert_uint_eq(n, VAULT_HISTORY_KEEP_DEFAULT);
	ck_assert_uint_eq(a[0].size, 7); /* "value-7", newest first */
	ck_assert_str_eq(a[0].source, "cli");
	ck_assert_uint_gt(a[0].version, a[1].version);
	uint64_t v5 = a[2].version;
	free(a);
	uint64_t got = 0;
	ck_assert_int_eq(vault_rollback(v, "k", v5, &got, &err), 0);
	ck_assert_uint_eq(got, v5);
	expect_value(v, "k", "value-5");
	ck_assert_int_eq(vault_rollback(v, "k", 12345, NULL, &err), -ENOENT);
	expect_value(v, "k", "value-5");
	ck_assert_int_eq(vault_history_set_keep(v, 1, &err), 0);
	ck_assert_int_eq(vault_history(v, "k", &a, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(a[0].size, 7); /* the value rollback replaced */
	free(a);
	ck_assert_int_eq(vault_history_set_keep(v, VAULT_HISTORY_KEEP_MAX + 1, &err), -EINVAL);
	unsigned keep = 0;
	ck_assert_int_eq(vault_history_keep(v, &keep, &err), 0);
	ck_assert_uint_eq(keep, 1);
	ck_assert_int_eq(vault_history(v, "missing", &a, &n, &err), -ENOENT);
	v = reopen_checked(v, dir);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_rename_copy)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "a", "value-a"), 0);
	ck_assert_int_eq(vtu_set(v, "b", "value-b"), 0);
	ck_assert_int_eq(vault_rename(v, "a", "b", &err), -EEXIST);
	ck_assert_int_eq(vault_copy(v, "a", "b", &err), -EEXIST);
	ck_assert_int_eq(vault_rename(v, "nope", "c", &err), -ENOENT);
	ck_assert_int_eq(vault_rename(v, "a", "a", &err), -EINVAL);
	ck_assert_int_eq(vault_rename(v, "a", "bad name", &err), -EINVAL);
	expect_value(v, "b", "value-b");
	ck_assert_int_eq(vtu_set(v, "a", "value-a2"), 0);
	ck_assert_int_eq(vtu_set(v, "a", "value-a"), 0);
	ck_assert_int_eq(vault_rename(v, "a", "c/d", &err), 0);
	ck_assert_int_eq(vault_copy(v, "c/d", "e", &err), 0);
	/* The rename carried the two saved versions; the copy has none. */
	struct vault_version *hv = NULL;
	size_t hn = 0;
	ck_assert_int_eq(vault_history(v, "c/d", &hv, &hn, &err), 0);
	ck_assert_uint_eq(hn, 2);
	uint64_t hv_newest = hv[0].version;
	free(hv);
	ck_assert_int_eq(vault_history(v, "e", &hv, &hn, &err), 0);
	ck_assert_uint_eq(hn, 0);
	free(hv);
	uint64_t back = 0;
	ck_assert_int_eq(vault_rollback(v, "c/d", 0, &back, &err), 0);
	ck_assert_uint_eq(back, hv_newest);
	expect_value(v, "c/d", "value-a2");
	ck_assert_int_eq(vault_rollback(v, "c/d", 0, NULL, &err), 0); /* the value just replaced */
	expect_value(v, "c/d", "value-a");
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "a", VAULT_GET_NO_AUDIT, &e, &err), -ENOENT);
	expect_value(v, "c/d", "value-a");
	expect_value(v, "e", "value-a");
	v = reopen_checked(v, dir);
	struct vault_meta *m = NULL;
	size_t n = 0;
	ck_assert_int_eq(vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	vault_meta_array_free(m, n);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_folders)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	struct vault_folder f;
	char **keys = NULL;
	ck_assert_int_eq(vault_folder_create(v, "work", NULL, "x", "#010203", &f, &err), 0);
	ck_assert_str_eq(f.path, "work");
	ck_assert_int_eq(vault_folder_create(v, "aws", "work", NULL, NULL, &f, &err), 0);
	ck_assert_str_eq(f.path, "work/aws");
	ck_assert_int_eq(vault_folder_create(v, "aws", "work", NULL, NULL, NULL, &err), -EEXIST);
	ck_assert_int_eq(vault_folder_create(v, "x", "nope", NULL, NULL, NULL, &err), -ENOENT);
	ck_assert_int_eq(vault_folder_create(v, "x", NULL, NULL, "blue", NULL, &err), -EINVAL);
	ck_assert_int_eq(vault_folder_move(v, "work", "work/aws", &err), -ELOOP);
	ck_assert_int_eq(vault_folder_move(v, "work", "work", &err), -ELOOP);
	ck_assert_int_eq(vtu_set(v, "s", "value-s"), 0);
	ck_assert_int_eq(vault_folder_assign(v, "s", "work/aws", &err), 0);
	ck_assert_int_eq(vault_folder_assign(v, "missing", "work", &err), -ENOENT);
	ck_assert_int_eq(vault_folder_keys(v, "work/aws", &keys, &err), 0);
	ck_assert_uint_eq(strv_len(keys), 1);
	ck_assert_str_eq(keys[0], "s");
	keys = strv_free(keys);
	ck_assert_int_eq(vault_folder_rename(v, "work", "job", &err), 0);
	ck_assert_int_eq(vault_folder_keys(v, "job/aws", &keys, &err), 0);
	ck_assert_uint_eq(strv_len(keys), 1);
	keys = strv_free(keys);
	size_t unfiled = 0;
	ck_assert_int_eq(vault_folder_delete(v, "job", false, NULL, &err), -ENOTEMPTY);
	ck_assert_int_eq(vault_folder_delete(v, "job", true, &unfiled, &err), 0);
	ck_assert_uint_eq(unfiled, 1);
	expect_value(v, "s", "value-s");
	struct vault_folder *a = NULL;
	size_t n = 9;
	ck_assert_int_eq(vault_folder_list(v, NULL, &a, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(a);
	v = reopen_checked(v, dir);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-versions");
	TCase *tc = tcase_create("versions");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_history_keep_and_rollback);
	tcase_add_test(tc, test_rename_copy);
	tcase_add_test(tc, test_folders);
	suite_add_tcase(s, tc);
	return s;
}
