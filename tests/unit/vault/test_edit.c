/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of vault_edit: metadata, field removal, sensitivity and bindings change without
 * touching values; refused edits change nothing; every edit is one audit entry without values;
 * the vault still verifies (manifest, audit chain) after edits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

/* db: host, user (plain), password (sensitive), bound PGHOST/PGUSER/PGPASSWORD; no value. */
static void make_db(struct vault *v)
{
	struct reterr err = { 0 };
	struct secret *h = secret_from("db.internal", 11), *u = secret_from("app", 3),
		      *p = secret_from("pw-0123456789", 13);
	const char *names[] = { "host", "user", "password" };
	const struct secret *vals[] = { h, u, p };
	const char *sens[] = { "password" };
	struct vault_binding b[] = { { (char *)"PGHOST", (char *)"host" },
				     { (char *)"PGUSER", (char *)"user" },
				     { (char *)"PGPASSWORD", (char *)"password" } };
	struct vault_set_in in = { .key = "db",
				   .field_names = names,
				   .field_values = vals,
				   .nfields = 3,
				   .sensitive = sens,
				   .nsensitive = 1,
				   .bindings = b,
				   .nbindings = 3 };
	ck_assert_int_eq(vault_set(v, &in, NULL, &err), 0);
	secret_free(h);
	secret_free(u);
	secret_free(p);
}

static struct audit_record *last_audit(struct vault *v, size_t *ret_n, struct audit_record **all)
{
	struct reterr err = { 0 };
	ck_assert_int_eq(audit_list(v, NULL, all, ret_n, &err), 0);
	ck_assert_uint_gt(*ret_n, 0);
	return &(*all)[*ret_n - 1];
}

/* After edits the audit chain verifies and a reopened vault authenticates the rewritten rows;
 * frees v and removes dir. */
static void verify_and_close(char *dir, struct vault *v)
{
	struct reterr err = { 0 };
	uint64_t count = 0;
	ck_assert_int_eq(audit_verify(v, &count, NULL, &err), 0);
	vault_free(v);
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	vault_free(v);
	vtu_cleanup(dir);
}

START_TEST(test_edit_meta_keeps_values)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	char *changed = NULL;
	ck_assert_int_eq(vtu_set(v, "api", "the-api-token-value"), 0);
	char *tags[] = { (char *)"prod", NULL };
	struct vault_edit_in in = { .key = "api",
				    .notes = "rotate monthly",
				    .tags = tags,
				    .set_expires = true,
				    .expires_at = 4102444800 };
	ck_assert_int_eq(vault_edit(v, &in, &changed, &err), 0);
	ck_assert_str_eq(changed, "notes,tags,expires");
	free(changed);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "api", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_mem_eq(e->value, "the-api-token-value", 19);
	ck_assert_str_eq(e->meta.notes, "rotate monthly");
	ck_assert_str_eq(e->meta.tags[0], "prod");
	ck_assert_int_eq(e->meta.expires_at, 4102444800);
	int64_t updated = e->meta.updated_at;
	e = vault_entry_free(e);

	/* The same edit again changes nothing: no rewrite, "" changed, still audited. */
	ck_assert_int_eq(vault_edit(v, &in, &changed, &err), 0);
	ck_assert_str_eq(changed, "");
	free(changed);
	ck_assert_int_eq(vault_get(v, "api", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_int_eq(e->meta.updated_at, updated);
	e = vault_entry_free(e);

	/* Clearing: "" notes, empty tags, expiry 0. */
	char *none[] = { NULL };
	struct vault_edit_in clr = { .key = "api", .notes = "", .tags = none, .set_expires = true };
	ck_assert_int_eq(vault_edit(v, &clr, NULL, &err), 0);
	ck_assert_int_eq(vault_get(v, "api", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_ptr_null(e->meta.notes);
	ck_assert_uint_eq(strv_len(e->meta.tags), 0);
	ck_assert_int_eq(e->meta.expires_at, 0);
	ck_assert_mem_eq(e->value, "the-api-token-value", 19);
	vault_entry_free(e);

	verify_and_close(dir, v);
}
END_TEST

START_TEST(test_edit_fields_and_bindings)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	char *changed = NULL;
	make_db(v);
	/* Removing a bound field without its binding is refused; nothing changes. */
	const char *rm[] = { "user" };
	struct vault_edit_in bad = { .key = "db", .remove_fields = rm, .nremove_fields = 1 };
	ck_assert_int_eq(vault_edit(v, &bad, NULL, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "PGUSER"));
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "db", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_uint_eq(e->meta.nfields, 3);
	e = vault_entry_free(e);

	const char *unbind[] = { "PGUSER" }, *unsens[] = { "password" }, *sens[] = { "host" };
	struct vault_binding b[] = { { (char *)"DBHOST", (char *)"host" } };
	struct vault_edit_in ok = { .key = "db",
				    .remove_fields = rm,
				    .nremove_fields = 1,
				    .unbind = unbind,
				    .nunbind = 1,
				    .not_sensitive = unsens,
				    .nnot_sensitive = 1,
				    .sensitive = sens,
				    .nsensitive = 1,
				    .bindings = b,
				    .nbindings = 1 };
	ck_assert_int_eq(vault_edit(v, &ok, &changed, &err), 0);
	ck_assert_str_eq(changed, "fields,sensitivity,bindings");
	free(changed);
	ck_assert_int_eq(vault_get(v, "db", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_uint_eq(e->meta.nfields, 2);
	ck_assert_str_eq(e->meta.fields[0].name, "host");
	ck_assert(e->meta.fields[0].sensitive);
	ck_assert_mem_eq(e->field_values[0], "db.internal", 11);
	ck_assert_str_eq(e->meta.fields[1].name, "password");
	ck_assert(!e->meta.fields[1].sensitive);
	ck_assert_mem_eq(e->field_values[1], "pw-0123456789", 13);
	ck_assert_uint_eq(e->meta.nbindings, 3);
	ck_assert_str_eq(e->meta.bindings[2].env, "DBHOST");
	e = vault_entry_free(e);

	/* The audit entry names what changed, never a value. */
	size_t n = 0;
	struct audit_record *all = NULL, *a = last_audit(v, &n, &all);
	ck_assert_str_eq(a->action, "secret.edit");
	ck_assert(a->success);
	ck_assert_ptr_nonnull(strstr(a->detail, "\"fields_removed\":[\"user\"]"));
	ck_assert_ptr_nonnull(strstr(a->detail, "\"bindings_removed\":[\"PGUSER\"]"));
	ck_assert_ptr_null(strstr(a->detail, "db.internal"));
	ck_assert_ptr_null(strstr(a->detail, "pw-0123"));
	audit_records_free(all, n);

	/* Clear every binding, then bind the (missing) single value: refused. */
	struct vault_binding one[] = { { (char *)"TOKEN", (char *)"" } };
	struct vault_edit_in val = {
		.key = "db", .clear_bindings = true, .bindings = one, .nbindings = 1
	};
	ck_assert_int_eq(vault_edit(v, &val, NULL, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "single value"));
	/* ... and the refusal is audited as a failure. */
	a = last_audit(v, &n, &all);
	ck_assert_str_eq(a->action, "secret.edit");
	ck_assert(!a->success);
	audit_records_free(all, n);

	/* Removing every field would leave nothing. */
	const char *both[] = { "host", "password" };
	struct vault_edit_in empty = {
		.key = "db", .remove_fields = both, .nremove_fields = 2, .clear_bindings = true
	};
	ck_assert_int_eq(vault_edit(v, &empty, NULL, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "neither a value nor a field"));

	verify_and_close(dir, v);
}
END_TEST

START_TEST(test_edit_refusals)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	make_db(v);
	struct vault_edit_in absent = { .key = "nope", .notes = "x" };
	ck_assert_int_eq(vault_edit(v, &absent, NULL, &err), -ENOENT);
	const char *f[] = { "nofield" };
	struct vault_edit_in nofield = { .key = "db", .sensitive = f, .nsensitive = 1 };
	ck_assert_int_eq(vault_edit(v, &nofield, NULL, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "no such field"));
	const char *u[] = { "NOPE" };
	struct vault_edit_in nobind = { .key = "db", .unbind = u, .nunbind = 1 };
	ck_assert_int_eq(vault_edit(v, &nobind, NULL, &err), -EINVAL);
	const char *h[] = { "host" };
	struct vault_edit_in both = { .key = "db",
				      .sensitive = h,
				      .nsensitive = 1,
				      .not_sensitive = h,
				      .nnot_sensitive = 1 };
	ck_assert_int_eq(vault_edit(v, &both, NULL, &err), -EINVAL);
	struct vault_edit_in far = { .key = "db",
				     .set_expires = true,
				     .expires_at = VAULT_EXPIRES_MAX + 1 };
	ck_assert_int_eq(vault_edit(v, &far, NULL, &err), -EINVAL);
	struct vault_binding badenv[] = { { (char *)"1BAD", (char *)"host" } };
	struct vault_edit_in be = { .key = "db", .bindings = badenv, .nbindings = 1 };
	ck_assert_int_eq(vault_edit(v, &be, NULL, &err), -EINVAL);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "db", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_uint_eq(e->meta.nfields, 3);
	ck_assert_uint_eq(e->meta.nbindings, 3);
	ck_assert(!e->meta.fields[0].sensitive);
	vault_entry_free(e);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_edit_folder)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	char *changed = NULL, **keys = NULL;
	ck_assert_int_eq(vtu_set(v, "api", "the-api-token-value"), 0);
	ck_assert_int_eq(vault_folder_create(v, "work", NULL, NULL, NULL, NULL, &err), 0);
	struct vault_edit_in mv = { .key = "api", .folder = "work" };
	ck_assert_int_eq(vault_edit(v, &mv, &changed, &err), 0);
	ck_assert_str_eq(changed, "folder");
	free(changed);
	ck_assert_int_eq(vault_folder_keys(v, "work", &keys, &err), 0);
	ck_assert_str_eq(keys[0], "api");
	ck_assert_ptr_null(keys[1]);
	strv_free(keys);
	/* Already there: nothing changed. */
	ck_assert_int_eq(vault_edit(v, &mv, &changed, &err), 0);
	ck_assert_str_eq(changed, "");
	free(changed);
	/* A missing folder refuses the whole edit: the notes are not stored either. */
	struct vault_edit_in bad = { .key = "api", .folder = "nope", .notes = "never" };
	ck_assert_int_eq(vault_edit(v, &bad, NULL, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no folder named nope"));
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "api", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_ptr_null(e->meta.notes);
	e = vault_entry_free(e);
	struct vault_edit_in badpath = { .key = "api", .folder = "a*b" };
	ck_assert_int_eq(vault_edit(v, &badpath, NULL, &err), -EINVAL);
	/* Out of its folder, with a note, in one audited edit. */
	struct vault_edit_in out = { .key = "api", .folder = "", .notes = "filed out" };
	ck_assert_int_eq(vault_edit(v, &out, &changed, &err), 0);
	ck_assert_str_eq(changed, "notes,folder");
	free(changed);
	ck_assert_int_eq(vault_folder_keys(v, "work", &keys, &err), 0);
	ck_assert_ptr_null(keys[0]);
	strv_free(keys);
	size_t n = 0;
	struct audit_record *all = NULL;
	struct audit_record *last = last_audit(v, &n, &all);
	ck_assert_str_eq(last->action, "secret.edit");
	ck_assert_ptr_nonnull(strstr(last->detail, "\"folder\":\"\""));
	audit_records_free(all, n);
	verify_and_close(dir, v);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-edit");
	TCase *tc = tcase_create("edit");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_edit_meta_keeps_values);
	tcase_add_test(tc, test_edit_fields_and_bindings);
	tcase_add_test(tc, test_edit_refusals);
	tcase_add_test(tc, test_edit_folder);
	suite_add_tcase(s, tc);
	return s;
}
