/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of audit_prune: what is removed (only the old start of the chain), that verify and
 * later writes go on from the checkpoint, and that every tampering with the checkpoint or a
 * tampered log before a prune is caught. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"
#include "vault-util.h"

static int64_t now_value;

static int64_t fake_now(void)
{
	return now_value;
}

/* seq 1 init and 2 unlock at t=1000; seq 3..7 sets at t=2000; seq 8 a set at t=3000. */
static struct vault *prune_vault(const char *dir)
{
	clock_set_fn(fake_now);
	now_value = 1000;
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(vault_audit_unlock(v, &err), 0); /* a command that records nothing */
	char key[16];
	now_value = 2000;
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(vtu_set(v, key, "value"), 0);
	}
	now_value = 3000;
	ck_assert_int_eq(vtu_set(v, "late", "value"), 0);
	return v;
}

static void expect_verify_bad(struct vault *v, uint64_t seq, const char *word)
{
	struct reterr err = { 0 };
	uint64_t bad = 0;
	ck_assert_int_eq(audit_verify(v, NULL, &bad, &err), -EBADMSG);
	ck_assert_msg(bad == seq, "bad seq %llu, want %llu (%s)", (unsigned long long)bad,
		      (unsigned long long)seq, err.msg);
	ck_assert_msg(strstr(err.msg, word), "message '%s' lacks '%s'", err.msg, word);
}

static void expect_seqs(struct vault *v, uint64_t first, size_t count)
{
	struct reterr err = { 0 };
	struct audit_record *a = NULL;
	size_t n = 0;
	struct audit_query q = { 0 };
	ck_assert_int_eq(audit_list(v, &q, &a, &n, &err), 0);
	ck_assert_uint_eq(n, count);
	ck_assert_uint_eq(a[0].seq, first);
	audit_records_free(a, n);
}

START_TEST(test_prune_and_go_on)
{
	char *dir = vtu_vault_path();
	struct vault *v = prune_vault(dir);
	struct reterr err = { 0 };
	struct audit_prune_result res;
	uint64_t count = 0;
	ck_assert_int_eq(audit_prune(v, 2000, true, &res, &err), 0);
	ck_assert_uint_eq(res.removed, 2);
	ck_assert_uint_eq(res.through_seq, 2);
	expect_seqs(v, 1, 8); /* the dry run wrote nothing */
	now_value = 4000;
	ck_assert_int_eq(audit_prune(v, 2500, false, &res, &err), 0);
	ck_assert_uint_eq(res.removed, 7);
	ck_assert_uint_eq(res.through_seq, 7);
	expect_seqs(v, 8, 2);
	struct audit_record *a = NULL;
	size_t n = 0;
	ck_assert_int_eq(audit_list(v, NULL, &a, &n, &err), 0);
	ck_assert_str_eq(a[1].action, "audit.prune");
	ck_assert_ptr_nonnull(strstr(a[1].detail, "\"removed\":7"));
	audit_records_free(a, n);
	ck_assert_int_eq(audit_verify(v, &count, NULL, &err), 0);
	ck_assert_uint_eq(count, 2);
	/* Nothing older is left at the start: a second prune removes nothing. */
	ck_assert_int_eq(audit_prune(v, 2500, false, &res, &err), 0);
	ck_assert_uint_eq(res.removed, 0);
	/* The chain goes on, across a reopen, and prunes again from the checkpoint. */
	ck_assert_int_eq(vtu_set(v, "after", "value"), 0);
	vault_free(v);
	now_value = 5000;
	ck_assert_int_eq(vtu_vault_reopen(dir, &v, &err), 0);
	ck_assert_int_eq(vault_audit_unlock(v, &err), 0); /* as a command that records nothing */
	ck_assert_int_eq(audit_verify(v, &count, NULL, &err), 0);
	ck_assert_uint_eq(count, 4);
	ck_assert_int_eq(audit_prune(v, 4500, false, &res, &err), 0);
	ck_assert_uint_eq(res.removed, 3);
	ck_assert_uint_eq(res.through_seq, 10);
	ck_assert_int_eq(audit_verify(v, &count, NULL, &err), 0);
	ck_assert_uint_eq(count, 2);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

/* The chain is only cut at its start: an entry not old enough stops the prune even when
 * older entries (a clock set back) come after it. */
START_TEST(test_prune_stops_at_first_new)
{
	char *dir = vtu_vault_path();
	struct vault *v = prune_vault(dir);
	struct reterr err = { 0 };
	struct audit_prune_result res;
	now_value = 500; /* seq 9 is older than everything before it */
	ck_assert_int_eq(vtu_set(v, "skewed", "value"), 0);
	ck_assert_int_eq(audit_prune(v, 1500, false, &res, &err), 0);
	ck_assert_uint_eq(res.through_seq, 2);
	ck_assert_int_eq(audit_verify(v, NULL, NULL, &err), 0);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

static struct vault *pruned_vault(const char *dir)
{
	struct vault *v = prune_vault(dir);
	struct reterr err = { 0 };
	struct audit_prune_result res;
	ck_assert_int_eq(audit_prune(v, 2500, false, &res, &err), 0);
	ck_assert_uint_eq(res.through_seq, 7);
	return v;
}

START_TEST(test_checkpoint_tampering)
{
	static const char *const cases[][2] = {
		{ "DELETE FROM audit_checkpoint", "seq 1 is missing" },
		{ "DROP TABLE audit_checkpoint", "seq 1 is missing" },
		{ "UPDATE audit_checkpoint SET seq = 6", "checkpoint" },
		{ "UPDATE audit_checkpoint SET pruned_at = 1", "checkpoint" },
		{ "UPDATE audit_checkpoint SET mac = zeroblob(32)", "checkpoint" },
		{ "UPDATE audit_checkpoint SET ck_mac = x'00'", "malformed" },
		/* Hiding entry 8 behind a moved checkpoint needs the key. */
		{ "UPDATE audit_checkpoint SET seq = 8; DELETE FROM audit WHERE seq = 8",
		  "checkpoint" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = vtu_vault_path();
		struct vault *v = pruned_vault(dir);
		sqlite3 *db = vtu_raw(dir);
		vtu_exec(db, cases[i][0]);
		sqlite3_close(db);
		expect_verify_bad(v, 1, cases[i][1]);
		vault_free(v);
		vtu_cleanup(dir);
	}
}
END_TEST

/* A log that does not verify is not pruned: a prune must not launder an edit. */
START_TEST(test_prune_refuses_tampered_log)
{
	char *dir = vtu_vault_path();
	struct vault *v = prune_vault(dir);
	struct reterr err = { 0 };
	struct audit_prune_result res = { .removed = 99 };
	sqlite3 *db = vtu_raw(dir);
	vtu_exec(db, "UPDATE audit SET mac = zeroblob(32) WHERE seq = 3");
	sqlite3_close(db);
	ck_assert_int_eq(audit_prune(v, 2500, false, &res, &err), -EBADMSG);
	ck_assert_uint_eq(res.removed, 99); /* ret untouched on failure */
	expect_seqs(v, 1, 8);
	expect_verify_bad(v, 3, "breaks the chain");
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_until)
{
	char *dir = vtu_vault_path();
	struct vault *v = prune_vault(dir);
	struct reterr err = { 0 };
	struct audit_record *a = NULL;
	size_t n = 0;
	struct audit_query q = { .since = 2000, .until = 2000 };
	ck_assert_int_eq(audit_list(v, &q, &a, &n, &err), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(a[0].seq, 3);
	ck_assert_uint_eq(a[4].seq, 7);
	audit_records_free(a, n);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-audit-prune");
	TCase *tc = tcase_create("prune");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_prune_and_go_on);
	tcase_add_test(tc, test_prune_stops_at_first_new);
	tcase_add_test(tc, test_checkpoint_tampering);
	tcase_add_test(tc, test_prune_refuses_tampered_log);
	tcase_add_test(tc, test_until);
	suite_add_tcase(s, tc);
	return s;
}
