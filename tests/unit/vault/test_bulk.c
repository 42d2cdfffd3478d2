/* SPDX-License-Identifier: Apache-2.0 */
/* vault_set_many: all or nothing in one transaction, conflict policies, dry runs, one audit
 * entry (split when the key list is long), kept dates, and the chain still verifying. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault-util.h"
#include "tests/unit/unit.h"

#define NMAX 2000

struct batch {
	struct vault_bulk_item items[NMAX];
	struct secret *values[NMAX];
	char keys[NMAX][VAULT_KEY_MAX + 1];
	size_t n;
};

static struct batch *batch_new(void)
{
	struct batch *b = calloc(1, sizeof(*b));
	ck_assert_ptr_nonnull(b);
	return b;
}

static void batch_add(struct batch *b, const char *key, const char *value)
{
	ck_assert_uint_lt(b->n, NMAX);
	size_t i = b->n++;
	snprintf(b->keys[i], sizeof(b->keys[i]), "%s", key);
	b->values[i] = secret_from(value, strlen(value));
	ck_assert_ptr_nonnull(b->values[i]);
	b->items[i].in.key = b->keys[i];
	b->items[i].in.value = b->values[i];
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		secret_free(b->values[i]);
	free(b);
}

static uint64_t audit_count(struct vault *v)
{
	uint64_t n = 0;
	struct reterr err = { 0 };
	ck_assert_int_eq(audit_verify(v, &n, NULL, &err), 0);
	return n;
}

static size_t secret_count(struct vault *v)
{
	struct vault_meta *m = NULL;
	size_t n = 0;
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_list(v, NULL, VAULT_GET_NO_AUDIT, &m, &n, &err), 0);
	vault_meta_array_free(m, n);
	return n;
}

static void assert_value(struct vault *v, const char *key, const char *want)
{
	struct vault_entry *e = NULL;
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_get(v, key, VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_uint_eq(e->value_len, strlen(want));
	ck_assert(memcmp(e->value, want, e->value_len) == 0);
	vault_entry_free(e);
}

static const struct audit_record *last_audit(struct vault *v, struct audit_record **all, size_t *n)
{
	struct reterr err = { 0 };
	struct audit_query q = { 0 };
	ck_assert_int_eq(audit_list(v, &q, all, n, &err), 0);
	ck_assert_uint_gt(*n, 0);
	return &(*all)[*n - 1];
}

static size_t progress_calls;
static void progress(void *ctx, size_t done, size_t total)
{
	(void)ctx;
	ck_assert_uint_le(done, total);
	progress_calls++;
}

START_TEST(test_one_transaction_one_entry)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct batch *b = batch_new();
	batch_add(b, "API_KEY", "value-one-0123456789");
	batch_add(b, "db/password", "value two with spaces");
	batch_add(b, "X", "three");
	uint64_t before = audit_count(v);
	struct vault_bulk_opts o = { .action = "secret.import", .progress = progress };
	struct reterr err = { 0 };
	progress_calls = 0;
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), 0);
	ck_assert_uint_eq(progress_calls, 3);
	for (size_t i = 0; i < b->n; i++)
		ck_assert_int_eq(b->items[i].outcome, VAULT_OUTCOME_CREATED);
	ck_assert_uint_eq(audit_count(v), before + 1);
	struct audit_record *all = NULL;
	size_t na = 0;
	const struct audit_record *a = last_audit(v, &all, &na);
	ck_assert_str_eq(a->action, "secret.import");
	ck_assert_str_eq(a->keys, "API_KEY,db/password,X");
	ck_assert_str_eq(a->detail, "{\"created\":3,\"updated\":0,\"skipped\":0}");
	audit_records_free(all, na);
	assert_value(v, "db/password", "value two with spaces");
	batch_free(b);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_conflicts)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	ck_assert_int_eq(vtu_set(v, "B", "stored-b"), 0);
	struct batch *b = batch_new();
	batch_add(b, "A", "new-a");
	batch_add(b, "B", "new-b");
	batch_add(b, "C", "new-c");
	struct reterr err = { 0 };
	uint64_t before = audit_count(v);

	/* error: nothing at all is written, the conflicting item is named. */
	struct vault_bulk_opts o = { .action = "secret.import", .conflict = VAULT_CONFLICT_ERROR };
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "B"));
	ck_assert_int_eq(b->items[1].outcome, VAULT_OUTCOME_FAILED);
	ck_assert_uint_eq(secret_count(v), 1);
	ck_assert_uint_eq(audit_count(v), before);

	/* skip: the stored one stays. */
	o.conflict = VAULT_CONFLICT_SKIP;
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), 0);
	ck_assert_int_eq(b->items[0].outcome, VAULT_OUTCOME_CREATED);
	ck_assert_int_eq(b->items[1].outcome, VAULT_OUTCOME_SKIPPED);
	assert_value(v, "B", "stored-b");
	struct audit_record *all = NULL;
	size_t na = 0;
	const struct audit_record *a = last_audit(v, &all, &na);
	ck_assert_str_eq(a->keys, "A,C");
	ck_assert_str_eq(a->detail, "{\"created\":2,\"updated\":0,\"skipped\":1}");
	audit_records_free(all, na);

	/* overwrite: all three updated. */
	o.conflict = VAULT_CONFLICT_OVERWRITE;
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), 0);
	for (size_t i = 0; i < b->n; i++)
		ck_assert_int_eq(b->items[i].outcome, VAULT_OUTCOME_UPDATED);
	assert_value(v, "B", "new-b");
	batch_free(b);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_dry_run_writes_nothing)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	ck_assert_int_eq(vtu_set(v, "OLD", "stored"), 0);
	struct batch *b = batch_new();
	batch_add(b, "OLD", "replacement");
	batch_add(b, "NEW", "fresh");
	uint64_t before = audit_count(v);
	struct vault_bulk_opts o = { .action = "secret.import",
				     .dry_run = true,
				     .conflict = VAULT_CONFLICT_OVERWRITE };
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), 0);
	ck_assert_int_eq(b->items[0].outcome, VAULT_OUTCOME_UPDATED);
	ck_assert_int_eq(b->items[1].outcome, VAULT_OUTCOME_CREATED);
	ck_assert_uint_eq(secret_count(v), 1);
	assert_value(v, "OLD", "stored");
	ck_assert_uint_eq(audit_count(v), before);
	/* The handle still writes normally afterwards (the transaction was rolled back). */
	ck_assert_int_eq(vtu_set(v, "AFTER", "x-value"), 0);
	batch_free(b);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_bad_item_writes_nothing)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct batch *b = batch_new();
	batch_add(b, "GOOD1", "one");
	batch_add(b, "GOOD2", "two");
	batch_add(b, "BAD", "three");
	const char *notes = "line\001control";
	b->items[2].in.notes = notes;
	struct vault_bulk_opts o = { .action = "secret.import" };
	struct reterr err = { 0 };
	uint64_t before = audit_count(v);
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), -EINVAL);
	ck_assert_int_eq(b->items[2].outcome, VAULT_OUTCOME_FAILED);
	ck_assert_uint_eq(secret_count(v), 0);
	ck_assert_uint_eq(audit_count(v), before);

	/* A key given twice is refused before anything is written; the later one is marked. */
	b->items[2].in.notes = NULL;
	snprintf(b->keys[2], sizeof(b->keys[2]), "GOOD1");
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), -EINVAL);
	ck_assert_int_eq(b->items[2].outcome, VAULT_OUTCOME_FAILED);
	ck_assert_int_eq(b->items[0].outcome, VAULT_OUTCOME_NONE);
	ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
	snprintf(b->keys[2], sizeof(b->keys[2]), "bad key");
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), -EINVAL);
	ck_assert_uint_eq(secret_count(v), 0);
	batch_free(b);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_dates_kept)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct batch *b = batch_new();
	batch_add(b, "DATED", "value");
	b->items[0].created_at = 1700000000;
	b->items[0].updated_at = 1700000100;
	struct vault_bulk_opts o = { .action = "secret.import" };
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), 0);
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "DATED", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_int_eq(e->meta.created_at, 1700000000);
	ck_assert_int_eq(e->meta.updated_at, 1700000100);
	vault_entry_free(e);
	batch_free(b);
	vault_free(v);
	vtu_cleanup(dir);
}
END_TEST

/* 2000 keys of 100+ bytes: more than AUDIT_FIELD_MAX of names, so several entries, each
 * within the limit, all keys listed once, the chain verifying after a reopen. */
START_TEST(test_long_key_list_split)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct batch *b = batch_new();
	char key[160];
	for (size_t i = 0; i < NMAX; i++) {
		snprintf(key, sizeof(key), "team/%0100zu", i);
		batch_add(b, key, "v");
	}
	uint64_t before = audit_count(v);
	struct vault_bulk_opts o = { .action = "secret.import" };
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_set_many(v, b->items, b->n, &o, &err), 0);
	uint64_t after = audit_count(v);
	ck_assert_uint_eq(after - before, 4); /* 2000 * 106 bytes = 212000 > 3 * 65536 */
	struct audit_record *all = NULL;
	size_t na = 0, listed = 0;
	last_audit(v, &all, &na);
	for (size_t i = na - 4; i < na; i++) {
		ck_assert_str_eq(all[i].action, "secret.import");
		ck_assert_uint_le(strlen(all[i].keys), AUDIT_FIELD_MAX);
		char want[64];
		snprintf(want, sizeof(want), "\"part\":%zu,\"parts\":4}", i - (na - 4) + 1);
		ck_assert_ptr_nonnull(strstr(all[i].detail, want));
		for (const char *p = all[i].keys; *p; p++)
			listed += *p == ',';
		listed++;
	}
	ck_assert_uint_eq(listed, NMAX);
	audit_records_free(all, na);
	vault_free(v);
	struct vault *v2 = NULL;
	ck_assert_int_eq(vtu_vault_reopen(dir, &v2, &err), 0);
	ck_assert_uint_eq(secret_count(v2), NMAX);
	audit_count(v2);
	vault_free(v2);
	batch_free(b);
	vtu_cleanup(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-bulk");
	TCase *tc = tcase_create("bulk");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_one_transaction_one_entry);
	tcase_add_test(tc, test_conflicts);
	tcase_add_test(tc, test_dry_run_writes_nothing);
	tcase_add_test(tc, test_bad_item_writes_nothing);
	tcase_add_test(tc, test_dates_kept);
	tcase_add_test(tc, test_long_key_list_split);
	suite_add_tcase(s, tc);
	return s;
}
