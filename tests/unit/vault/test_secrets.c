/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of vault secrets: round trips (values, fields, binary, 1 MiB), updates, list,
 * delete, and every input limit (nothing written on error). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

START_TEST(test_roundtrip_value)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	bool created = false;
	struct secret *val = secret_from("s3cr3t-value", 12);
	struct vault_set_in in = { .key = "aws/prod/key",
				   .value = val,
				   .notes = "rotate monthly",
				   .url = "https://example.test/console" };
	char *tags[] = { (char *)"prod", (char *)"aws", NULL };
	in.tags = tags;
	ck_assert_int_eq(vault_set(v, &in, &created, &err), 0);
	ck_assert(created);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "aws/prod/key", 0, &e, &err), 0);
	ck_assert(e->meta.has_value);
	ck_assert_uint_eq(e->value_len, 12);
	ck_assert_uint_eq(e->meta.value_len, 12);
	ck_assert_mem_eq(e->value, "s3cr3t-value", 12);
	ck_assert_str_eq(e->meta.key, "aws/prod/key");
	ck_assert_str_eq(e->meta.notes, "rotate monthly");
	ck_assert_str_eq(e->meta.url, "https://example.test/console");
	ck_assert_uint_eq(strv_len(e->meta.tags), 2);
	ck_assert_str_eq(e->meta.tags[1], "aws");
	ck_assert_int_gt(e->meta.created_at, 0);
	int64_t created_at = e->meta.created_at;
	e = vault_entry_free(e);

	/* Update: value replaced, notes kept (NULL), url cleared (""). */
	struct secret *val2 = secret_from("new", 3);
	struct vault_set_in up = { .key = "aws/prod/key", .value = val2, .url = "" };
	ck_assert_int_eq(vault_set(v, &up, &created, &err), 0);
	ck_assert(!created);
	ck_assert_int_eq(vault_get(v, "aws/prod/key", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_mem_eq(e->value, "new", 3);
	ck_assert_str_eq(e->meta.notes, "rotate monthly");
	ck_assert_ptr_null(e->meta.url);
	ck_assert_int_eq(e->meta.created_at, created_at);
	e = vault_entry_free(e);

	/* Meta only: no plaintext value loaded. */
	ck_assert_int_eq(vault_get(v, "aws/prod/key", VAULT_GET_META_ONLY, &e, &err), 0);
	ck_assert_ptr_null(e->blob);
	ck_assert_uint_eq(e->meta.value_len, 3);
	e = vault_entry_free(e);

	ck_assert_int_eq(vault_get(v, "missing", 0, &e, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing"));
	secret_free(val);
	secret_free(val2);
	vault_free(v);

	/* Survives reopening. */
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	ck_assert_int_eq(vault_get(v, "aws/prod/key", 0, &e, &err), 0);
	ck_assert_mem_eq(e->value, "new", 3);
	vault_entry_free(e);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_roundtrip_binary_and_big)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	static const unsigned char bin[] = { 0, 1, 2, 0, 255, 0, 'x', 0 };
	struct secret *b = secret_from(bin, sizeof(bin));
	struct vault_set_in in = { .key = "bin", .value = b };
	ck_assert_int_eq(vault_set(v, &in, NULL, &err), 0);
	struct secret *big = secret_new(VAULT_VALUE_MAX);
	for (size_t i = 0; i < VAULT_VALUE_MAX; i++)
		big->data[i] = (unsigned char)(i * 7 + 3);
	big->len = VAULT_VALUE_MAX;
	struct vault_set_in in2 = { .key = "big", .value = big };
	ck_assert_int_eq(vault_set(v, &in2, NULL, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "bin", 0, &e, &err), 0);
	ck_assert_uint_eq(e->value_len, sizeof(bin));
	ck_assert_mem_eq(e->value, bin, sizeof(bin));
	e = vault_entry_free(e);
	ck_assert_int_eq(vault_get(v, "big", 0, &e, &err), 0);
	ck_assert_uint_eq(e->value_len, VAULT_VALUE_MAX);
	ck_assert(memcmp(e->value, big->data, VAULT_VALUE_MAX) == 0);
	e = vault_entry_free(e);
	/* One byte over the limit: refused, nothing written. */
	struct secret *over = secret_new(VAULT_VALUE_MAX + 1);
	over->len = VAULT_VALUE_MAX + 1;
	memset(over->data, 'a', over->len);
	struct vault_set_in in3 = { .key = "over", .value = over };
	ck_assert_int_eq(vault_set(v, &in3, NULL, &err), -E2BIG);
	ck_assert_int_eq(vault_get(v, "over", VAULT_GET_NO_AUDIT, &e, &err), -ENOENT);
	secret_free(b);
	secret_free(big);
	secret_free(over);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_fields_and_bindings)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	struct secret *user = secret_from("admin", 5), *pass = secret_from("p\0ss", 4);
	const char *names[] = { "username", "password" };
	const struct secret *vals[] = { user, pass };
	const char *sens[] = { "password" };
	struct vault_binding binds[] = { { (char *)"DB_USER", (char *)"username" },
					 { (char *)"DB_PASS", (char *)"password" } };
	struct vault_set_in in = { .key = "db/prod",
				   .field_names = names,
				   .field_values = vals,
				   .nfields = 2,
				   .sensitive = sens,
				   .nsensitive = 1,
				   .bindings = binds,
				   .nbindings = 2 };
	ck_assert_int_eq(vault_set(v, &in, NULL, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "db/prod", 0, &e, &err), 0);
	ck_assert(!e->meta.has_value);
	ck_assert_ptr_null(e->value);
	ck_assert_uint_eq(e->meta.nfields, 2);
	ck_assert_str_eq(e->meta.fields[0].name, "username");
	ck_assert(!e->meta.fields[0].sensitive);
	ck_assert(e->meta.fields[1].sensitive);
	ck_assert_uint_eq(e->field_lens[1], 4);
	ck_assert_mem_eq(e->field_values[1], "p\0ss", 4);
	ck_assert_mem_eq(e->field_values[0], "admin", 5);
	ck_assert_uint_eq(e->meta.nbindings, 2);
	ck_assert_str_eq(e->meta.bindings[1].env, "DB_PASS");
	ck_assert_str_eq(e->meta.bindings[1].field, "password");
	e = vault_entry_free(e);

	/* Update one field: the other is kept. */
	struct secret *p2 = secret_from("rotated", 7);
	const char *n2[] = { "password" };
	const struct secret *v2[] = { p2 };
	struct vault_set_in up = {
		.key = "db/prod", .field_names = n2, .field_values = v2, .nfields = 1
	};
	ck_assert_int_eq(vault_set(v, &up, NULL, &err), 0);
	ck_assert_int_eq(vault_get(v, "db/prod", 0, &e, &err), 0);
	ck_assert_mem_eq(e->field_values[0], "admin", 5);
	ck_assert_mem_eq(e->field_values[1], "rotated", 7);
	ck_assert(e->meta.fields[1].sensitive);
	e = vault_entry_free(e);

	/* Binding to a missing field: refused, nothing changed. */
	struct vault_binding bad[] = { { (char *)"X", (char *)"nope" } };
	struct vault_set_in b2 = { .key = "db/prod", .bindings = bad, .nbindings = 1 };
	ck_assert_int_eq(vault_set(v, &b2, NULL, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "binding"));
	/* A secret needs a value or a field. */
	struct vault_set_in empty = { .key = "nothing" };
	ck_assert_int_eq(vault_set(v, &empty, NULL, &err), -EINVAL);
	secret_free(user);
	secret_free(pass);
	secret_free(p2);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_list_and_delete)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "zeta", "1"), 0);
	ck_assert_int_eq(vtu_set(v, "aws/a", "2"), 0);
	ck_assert_int_eq(vtu_set(v, "aws/b", "3"), 0);
	ck_assert_int_eq(vtu_set(v, "aws/x/deep", "4"), 0);
	struct vault_meta *m = NULL;
	size_t n = 0;
	ck_assert_int_eq(vault_list(v, NULL, 0, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(m[0].key, "aws/a");
	ck_assert_str_eq(m[3].key, "zeta");
	ck_assert_uint_eq(m[3].value_len, 1);
	vault_meta_array_free(m, n);
	ck_assert_int_eq(vault_list(v, "aws/*", 0, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	vault_meta_array_free(m, n);
	ck_assert_int_eq(vault_delete(v, "aws/a", &err), 0);
	ck_assert_int_eq(vault_delete(v, "aws/a", &err), -ENOENT);
	ck_assert_int_eq(vault_list(v, "aws/*", VAULT_GET_NO_AUDIT, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(m[0].key, "aws/b");
	vault_meta_array_free(m, n);
	/* Deleting then re-adding works, and the manifest still verifies on unlock. */
	ck_assert_int_eq(vtu_set(v, "aws/a", "again"), 0);
	vault_free(v);
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_key_check)
{
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_key_check("a", &err), 0);
	ck_assert_int_eq(vault_key_check("aws/prod/KEY_1.x-y", &err), 0);
	ck_assert_int_eq(vault_key_check("", &err), -EINVAL);
	ck_assert_int_eq(vault_key_check("a b", &err), -EINVAL);
	ck_assert_int_eq(vault_key_check("a//b", &err), -EINVAL);
	ck_assert_int_eq(vault_key_check("/a", &err), -EINVAL);
	ck_assert_int_eq(vault_key_check("a/", &err), -EINVAL);
	ck_assert_int_eq(vault_key_check("a/../b", &err), -EINVAL);
	ck_assert_int_eq(vault_key_check("./b", &err), -EINVAL);
	ck_assert_int_eq(vault_key_check("a/.hidden", &err), 0);
	ck_assert_int_eq(vault_key_check("k\xc3\xa9", &err), -EINVAL);
	char longk[VAULT_KEY_MAX + 2];
	memset(longk, 'k', sizeof(longk));
	longk[VAULT_KEY_MAX] = 0;
	ck_assert_int_eq(vault_key_check(longk, &err), 0);
	longk[VAULT_KEY_MAX] = 'k';
	longk[VAULT_KEY_MAX + 1] = 0;
	ck_assert_int_eq(vault_key_check(longk, &err), -EINVAL);
}
END_TEST

START_TEST(test_limits)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	struct secret *val = secret_from("v", 1);
	char big[VAULT_URL_MAX + 2];
	memset(big, 'u', sizeof(big));
	big[sizeof(big) - 1] = 0;
	struct vault_set_in in = { .key = "k", .value = val, .url = big };
	ck_assert_int_eq(vault_set(v, &in, NULL, &err), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "URL"));
	char *notes = malloc(VAULT_NOTES_MAX + 2);
	memset(notes, 'n', VAULT_NOTES_MAX + 1);
	notes[VAULT_NOTES_MAX + 1] = 0;
	struct vault_set_in in2 = { .key = "k", .value = val, .notes = notes };
	ck_assert_int_eq(vault_set(v, &in2, NULL, &err), -E2BIG);
	notes[VAULT_NOTES_MAX] = 0;
	ck_assert_int_eq(vault_set(v, &in2, NULL, &err), 0);
	char *tags[VAULT_TAGS_MAX + 2];
	for (int i = 0; i <= VAULT_TAGS_MAX; i++)
		tags[i] = (char *)"t";
	tags[VAULT_TAGS_MAX + 1] = NULL;
	struct vault_set_in in3 = { .key = "k2", .value = val, .tags = tags };
	ck_assert_int_eq(vault_set(v, &in3, NULL, &err), -E2BIG);
	char longtag[VAULT_TAG_MAX + 2];
	memset(longtag, 't', sizeof(longtag));
	longtag[VAULT_TAG_MAX + 1] = 0;
	char *tags2[] = { longtag, NULL };
	in3.tags = tags2;
	ck_assert_int_eq(vault_set(v, &in3, NULL, &err), -E2BIG);
	const char *fn[] = { "bad name" };
	const struct secret *fv[] = { val };
	struct vault_set_in in4 = {
		.key = "k3", .field_names = fn, .field_values = fv, .nfields = 1
	};
	ck_assert_int_eq(vault_set(v, &in4, NULL, &err), -EINVAL);
	struct vault_set_in in5 = { .key = "../k", .value = val };
	ck_assert_int_eq(vault_set(v, &in5, NULL, &err), -EINVAL);
	/* Too many fields in total across updates. */
	char names[VAULT_FIELDS_MAX + 1][16];
	const char *np[VAULT_FIELDS_MAX + 1];
	const struct secret *vp[VAULT_FIELDS_MAX + 1];
	for (int i = 0; i <= VAULT_FIELDS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		np[i] = names[i];
		vp[i] = val;
	}
	struct vault_set_in in6 = {
		.key = "many", .field_names = np, .field_values = vp, .nfields = VAULT_FIELDS_MAX
	};
	ck_assert_int_eq(vault_set(v, &in6, NULL, &err), 0);
	struct vault_set_in in7 = { .key = "many",
				    .field_names = np + VAULT_FIELDS_MAX,
				    .field_values = vp,
				    .nfields = 1 };
	ck_assert_int_eq(vault_set(v, &in7, NULL, &err), -E2BIG);
	/* Nothing from the refused calls exists. */
	struct vault_meta *m = NULL;
	size_t n = 0;
	ck_assert_int_eq(vault_list(v, NULL, 0, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	vault_meta_array_free(m, n);
	free(notes);
	secret_free(val);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_locked_handle)
{
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	struct vault *v = NULL;
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_open(dir, &v, &err), 0);
	ck_assert_int_eq(vtu_set(v, "k", "v"), -EACCES);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "k", 0, &e, &err), -EACCES);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-secrets");
	TCase *tc = tcase_create("secrets");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip_value);
	tcase_add_test(tc, test_roundtrip_binary_and_big);
	tcase_add_test(tc, test_fields_and_bindings);
	tcase_add_test(tc, test_list_and_delete);
	tcase_add_test(tc, test_key_check);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_locked_handle);
	suite_add_tcase(s, tc);
	return s;
}
