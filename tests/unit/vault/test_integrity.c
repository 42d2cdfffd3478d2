/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of vault integrity and confidentiality: tampered ciphertext, a row copied over
 * another, deleted/added/rolled-back rows (manifest), and no plaintext in the db or journal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

START_TEST(test_tampered_ciphertext)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "k1", "value-one"), 0);
	sqlite3 *db = vtu_raw(dir);
	/* Flip one byte in the middle of the value ciphertext. */
	vtu_exec(db, "UPDATE secrets SET value = CAST(substr(value, 1, 10) || "
		     "(CASE WHEN substr(value, 11, 1) = x'00' THEN x'01' ELSE x'00' END) || "
		     "substr(value, 12) AS BLOB)");
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "k1", VAULT_GET_NO_AUDIT, &e, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not authenticate"));
	/* Meta still fine: list works (it never touches values). */
	struct vault_meta *m = NULL;
	size_t n = 0;
	ck_assert_int_eq(vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &n, &err), 0);
	vault_meta_array_free(m, n);
	vtu_exec(db, "UPDATE secrets SET meta = zeroblob(length(meta))");
	ck_assert_int_eq(vault_get(v, "k1", VAULT_GET_NO_AUDIT, &e, &err), -EBADMSG);
	ck_assert_int_eq(vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &n, &err), -EBADMSG);
	/* Malformed column types are refused without crashing. */
	vtu_exec(db, "UPDATE secrets SET meta = 'text', value_nonce = x'00'");
	ck_assert_int_eq(vault_get(v, "k1", VAULT_GET_NO_AUDIT, &e, &err), -EBADMSG);
	ck_assert_int_eq(vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &n, &err), -EBADMSG);
	sqlite3_close(db);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_swapped_row)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "alice", "alice-secret"), 0);
	ck_assert_int_eq(vtu_set(v, "bob", "bob-secret"), 0);
	sqlite3 *db = vtu_raw(dir);
	/* Copy every blob (and the version) of one row over the other. */
	vtu_exec(db, "CREATE TEMP TABLE t AS SELECT * FROM secrets");
	vtu_exec(db, "UPDATE secrets SET (version, meta_nonce, meta, value_nonce, value) = "
		     "(SELECT version, meta_nonce, meta, value_nonce, value FROM t "
		     "WHERE t.id <> secrets.id)");
	sqlite3_close(db);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "alice", VAULT_GET_NO_AUDIT, &e, &err), -EBADMSG);
	ck_assert_int_eq(vault_get(v, "bob", VAULT_GET_NO_AUDIT, &e, &err), -EBADMSG);
	ck_assert_ptr_null(e);
	vault_free(v);
	/* And the manifest catches it at unlock. */
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "integrity"));
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_value_blob_swap_between_rows)
{
	/* Only the value blob of bob copied onto alice: meta opens, value must not. */
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "alice", "aaaa"), 0);
	ck_assert_int_eq(vtu_set(v, "bob", "bbbb"), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "alice", VAULT_GET_META_ONLY | VAULT_GET_NO_AUDIT, &e, &err),
			 0);
	e = vault_entry_free(e);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "CREATE TEMP TABLE t AS SELECT id, version, value_nonce, value FROM secrets");
	vtu_exec(db, "UPDATE secrets SET (value_nonce, value) = (SELECT value_nonce, value FROM t "
		     "WHERE t.id <> secrets.id)");
	sqlite3_close(db);
	ck_assert_int_eq(vault_get(v, "alice", VAULT_GET_NO_AUDIT, &e, &err), -EBADMSG);
	ck_assert_int_eq(vault_get(v, "bob", VAULT_GET_NO_AUDIT, &e, &err), -EBADMSG);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_deleted_row)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "a", "1"), 0);
	ck_assert_int_eq(vtu_set(v, "b", "2"), 0);
	vault_free(v);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "DELETE FROM secrets WHERE id = (SELECT min(id) FROM secrets)");
	sqlite3_close(db);
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "1 secret(s) missing"));
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_rolled_back_row)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "k", "old-value"), 0);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "CREATE TABLE saved AS SELECT * FROM secrets");
	sqlite3_close(db);
	ck_assert_int_eq(vtu_set(v, "k", "new-value"), 0);
	db = vtu_raw(dir);
	vtu_exec(db, "INSERT OR REPLACE INTO secrets SELECT * FROM saved");
	sqlite3_close(db);
	/* A later write through an open handle does not bless the rolled-back row: the manifest
	 * is updated incrementally for the written row only. */
	ck_assert_int_eq(vtu_set(v, "other", "x"), 0);
	vault_free(v);
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "rolled back"));
	vault_free(v);
	/* A whole deleted row re-added (same old version) is caught the same way. */
	db = vtu_raw(dir);
	vtu_exec(db, "DELETE FROM secrets; INSERT INTO secrets SELECT * FROM saved;");
	sqlite3_close(db);
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), -EBADMSG);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_added_row_and_manifest_replay)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "a", "1"), 0);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "CREATE TABLE m0 AS SELECT * FROM manifest; CREATE TABLE s0 AS SELECT * FROM "
		     "secrets");
	sqlite3_close(db);
	ck_assert_int_eq(vtu_set(v, "b", "2"), 0);
	vault_free(v);
	/* Rows and manifest both rolled back, audit kept: the head binding catches it. */
	db = vtu_raw(dir);
	vtu_exec(db, "DELETE FROM secrets; INSERT INTO secrets SELECT * FROM s0;"
		     "DELETE FROM manifest; INSERT INTO manifest SELECT * FROM m0;");
	sqlite3_close(db);
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "head"));
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

static void check_no_plaintext(const char *path)
{
	static const char *const needles[] = { "kingfisher",	 "GHOSTVALUE",	   "lemontag",
					       "notebook-words", "portal.example", "fieldnamezz",
					       "fieldvaluezz" };
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		ck_assert_msg(!vtu_strings_has(path, needles[i]), "%s leaks %s", path, needles[i]);
}

START_TEST(test_strings_finds_nothing)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	struct secret *val = secret_from("GHOSTVALUE-1234", 15),
		      *fvs = secret_from("fieldvaluezz", 12);
	char *tags[] = { (char *)"lemontag", NULL };
	const char *fn[] = { "fieldnamezz" };
	const struct secret *fv[] = { fvs };
	struct vault_set_in in = { .key = "kingfisher/api",
				   .value = val,
				   .notes = "notebook-words",
				   .url = "https://portal.example/x",
				   .tags = tags,
				   .field_names = fn,
				   .field_values = fv,
				   .nfields = 1 };
	ck_assert_int_eq(vault_set(v, &in, NULL, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "kingfisher/api", 0, &e, &err), 0);
	vault_entry_free(e);
	ck_assert_int_eq(vault_delete(v, "kingfisher/api", &err), 0);
	ck_assert_int_eq(vault_set(v, &in, NULL, &err), 0);
	char *path = NULL, *jpath = NULL, *jcopy = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/vault.db", dir), 0);
	ck_assert_int_ge(asprintf(&jpath, "%s/vault.db-journal", dir), 0);
	ck_assert_int_ge(asprintf(&jcopy, "%s/../journal-copy", dir), 0);
	check_no_plaintext(path);
	/* Hold a write transaction so a journal exists, and scan it too. */
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "BEGIN IMMEDIATE; UPDATE secrets SET version = version + 1; "
		     "UPDATE audit SET ts = ts + 1;");
	struct stat sb;
	ck_assert_int_eq(stat(jpath, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "cp '%s' '%s'", jpath, jcopy), 0);
	ck_assert_int_eq(system(cmd), 0);
	vtu_exec(db, "ROLLBACK");
	sqlite3_close(db);
	check_no_plaintext(jcopy);
	free(cmd);
	free(path);
	free(jpath);
	free(jcopy);
	secret_free(val);
	secret_free(fvs);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-integrity");
	TCase *tc = tcase_create("integrity");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tampered_ciphertext);
	tcase_add_test(tc, test_swapped_row);
	tcase_add_test(tc, test_value_blob_swap_between_rows);
	tcase_add_test(tc, test_deleted_row);
	tcase_add_test(tc, test_rolled_back_row);
	tcase_add_test(tc, test_added_row_and_manifest_replay);
	tcase_add_test(tc, test_strings_finds_nothing);
	suite_add_tcase(s, tc);
	return s;
}
