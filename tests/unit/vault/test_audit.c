/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the audit log: contents and queries, every tamper case (edit, delete, reorder,
 * insert, truncate) named by seq, and two processes writing concurrently. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

/* A vault with seq 1 = vault.init, then n secret.set entries (an unlock is no entry of its own:
 * the first entry written after it stands for it). */
static struct vault *audit_vault(const char *dir, int n)
{
	struct vault *v = vtu_vault_new(dir);
	char key[32];
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(vtu_set(v, key, "value"), 0);
	}
	return v;
}

static void expect_bad(struct vault *v, uint64_t seq, const char *word)
{
	struct reterr err = { 0 };
	uint64_t bad = 0;
	ck_assert_int_eq(audit_verify(v, NULL, &bad, &err), -EBADMSG);
	ck_assert_msg(bad == seq, "bad seq %llu, want %llu (%s)", (unsigned long long)bad,
		      (unsigned long long)seq, err.msg);
	ck_assert_msg(strstr(err.msg, word), "message '%s' lacks '%s'", err.msg, word);
}

START_TEST(test_contents_and_queries)
{
	char *dir = vtu_vault_path();
	struct vault *v = audit_vault(dir, 3);
	struct reterr err = { 0 };
	vault_set_source(v, "mcp");
	struct audit_event ev = { .action = "secret.run",
				  .keys = "k0,k1",
				  .command = "env",
				  .success = false,
				  .error = "exit 3",
				  .detail = "{\"exit\":3}" };
	ck_assert_int_eq(audit_append(v, &ev, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "k1", 0, &e, &err), 0);
	vault_entry_free(e);
	struct audit_record *a = NULL;
	size_t n = 0;
	ck_assert_int_eq(audit_list(v, NULL, &a, &n, &err), 0);
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(a[0].seq, 1);
	ck_assert_str_eq(a[0].action, "vault.init");
	ck_assert_str_eq(a[1].action, "secret.set");
	ck_assert_str_eq(a[1].keys, "k0");
	ck_assert_str_eq(a[4].action, "secret.run");
	ck_assert_str_eq(a[4].source, "mcp");
	ck_assert_str_eq(a[4].command, "env");
	ck_assert_str_eq(a[4].error, "exit 3");
	ck_assert_str_eq(a[4].detail, "{\"exit\":3}");
	ck_assert(!a[4].success);
	ck_assert_str_eq(a[5].action, "secret.get");
	ck_assert_uint_eq(a[5].seq, 6);
	audit_records_free(a, n);
	struct audit_query q = { .limit = 2 };
	ck_assert_int_eq(audit_list(v, &q, &a, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(a[0].seq, 5);
	ck_assert_uint_eq(a[1].seq, 6);
	audit_records_free(a, n);
	struct audit_query qs = { .source = "mcp" };
	ck_assert_int_eq(audit_list(v, &qs, &a, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	audit_records_free(a, n);
	struct audit_query qt = { .since = clock_now() + 3600 };
	ck_assert_int_eq(audit_list(v, &qt, &a, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	audit_records_free(a, n);
	uint64_t count = 0;
	ck_assert_int_eq(audit_verify(v, &count, NULL, &err), 0);
	ck_assert_uint_eq(count, 6);
	struct audit_event badev = { .action = "Bad Action" };
	ck_assert_int_eq(audit_append(v, &badev, &err), -EINVAL);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_edit_column)
{
	char *dir = vtu_vault_path();
	struct vault *v = audit_vault(dir, 4);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "UPDATE audit SET ts = ts + 1 WHERE seq = 4");
	expect_bad(v, 4, "edited");
	vtu_exec(db, "UPDATE audit SET ts = ts - 1 WHERE seq = 4");
	struct reterr err = { 0 };
	ck_assert_int_eq(audit_verify(v, NULL, NULL, &err), 0);
	vtu_exec(db, "UPDATE audit SET payload = CAST((CASE WHEN substr(payload, 1, 1) = x'00' "
		     "THEN x'01' ELSE x'00' END) || substr(payload, 2) AS BLOB) WHERE seq = 3");
	expect_bad(v, 3, "edited");
	sqlite3_close(db);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_edit_mac)
{
	char *dir = vtu_vault_path();
	struct vault *v = audit_vault(dir, 4);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "UPDATE audit SET mac = zeroblob(32) WHERE seq = 2");
	expect_bad(v, 2, "chain");
	sqlite3_close(db);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_delete_row)
{
	char *dir = vtu_vault_path();
	struct vault *v = audit_vault(dir, 4);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "DELETE FROM audit WHERE seq = 3");
	expect_bad(v, 3, "missing");
	/* Renumbering to hide the gap breaks authentication instead. */
	vtu_exec(db, "UPDATE audit SET seq = seq - 1 WHERE seq > 3");
	expect_bad(v, 3, "edited");
	sqlite3_close(db);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_reorder)
{
	char *dir = vtu_vault_path();
	struct vault *v = audit_vault(dir, 4);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "UPDATE audit SET seq = -seq WHERE seq IN (3, 5);"
		     "UPDATE audit SET seq = 5 WHERE seq = -3;"
		     "UPDATE audit SET seq = 3 WHERE seq = -5;");
	expect_bad(v, 3, "reordered");
	sqlite3_close(db);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_insert_forged)
{
	char *dir = vtu_vault_path();
	struct vault *v = audit_vault(dir, 3);
	sqlite3 *db = vtu_raw(dir);
	/* A copy of a real entry appended after the head. */
	vtu_exec(db,
		 "INSERT INTO audit SELECT 5, ts, nonce, payload, mac FROM audit WHERE seq = 4");
	expect_bad(v, 5, "does not authenticate");
	vtu_exec(db, "DELETE FROM audit WHERE seq = 5");
	/* A forged entry (random payload) in the middle is caught at its seq. */
	vtu_exec(
		db,
		"UPDATE audit SET seq = 5 WHERE seq = 4;"
		"UPDATE audit SET seq = 4 WHERE seq = 3;"
		"INSERT INTO audit VALUES (3, 0, randomblob(24), randomblob(60), randomblob(32));");
	expect_bad(v, 3, "forged");
	sqlite3_close(db);
	/* Any write through the library refuses a log whose tail does not match its head. */
	ck_assert_int_lt(vtu_set(v, "zz", "v"), 0);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_truncate_tail)
{
	char *dir = vtu_vault_path();
	struct vault *v = audit_vault(dir, 4);
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "DELETE FROM audit WHERE seq >= 5");
	expect_bad(v, 5, "truncated");
	sqlite3_close(db);
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_set(v, "new", "v"), -EBADMSG);
	vault_free(v);
	/* Unlock refuses it too. */
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "audit"));
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

/* One concurrent writer process: its own handle, n sets. Returns an exit code. */
static int writer(const char *dir, int p, int n)
{
	struct vault *v = NULL;
	struct reterr err = { 0 };
	if (vtu_vault_reopen(dir, &v, &err) != 0) {
		vault_free(v);
		return 2;
	}
	char key[32];
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "p%d/k%d", p, i);
		if (vtu_set(v, key, key) != 0) {
			vault_free(v);
			return 3;
		}
	}
	vault_free(v);
	return 0;
}

START_TEST(test_two_writers)
{
	char *dir = vtu_vault_path();
	vault_free(vtu_vault_new(dir));
	enum { PER_PROC = 200 };
	pid_t pids[2];
	for (int p = 0; p < 2; p++) {
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			int code = writer(dir, p, PER_PROC);
			free(dir);
			_exit(code);
		}
	}
	for (int p = 0; p < 2; p++) {
		int status = 0;
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: status %d",
			      p, status);
	}
	struct vault *v = NULL;
	struct reterr err = { 0 };
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	struct vault_meta *m = NULL;
	size_t n = 0;
	ck_assert_int_eq(vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &n, &err), 0);
	ck_assert_uint_eq(n, 2 * PER_PROC);
	vault_meta_array_free(m, n);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "p1/k199", 0, &e, &err), 0);
	ck_assert_mem_eq(e->value, "p1/k199", 7);
	vault_entry_free(e);
	uint64_t count = 0;
	ck_assert_int_eq(audit_verify(v, &count, NULL, &err), 0);
	/* init + 400 sets + get: the unlocks are folded into the entries that follow them */
	ck_assert_uint_eq(count, 1 + 2 * PER_PROC + 1);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-audit");
	TCase *tc = tcase_create("audit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_contents_and_queries);
	tcase_add_test(tc, test_edit_column);
	tcase_add_test(tc, test_edit_mac);
	tcase_add_test(tc, test_delete_row);
	tcase_add_test(tc, test_reorder);
	tcase_add_test(tc, test_insert_forged);
	tcase_add_test(tc, test_truncate_tail);
	tcase_add_test(tc, test_two_writers);
	suite_add_tcase(s, tc);
	return s;
}
