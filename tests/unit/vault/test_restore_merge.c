/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of reading a verified backup (vault_restore_keys/get) and merging it into a vault
 * (vault_restore_merge): each conflict mode, every attribute of a secret carried, a missing
 * folder refused, dry runs and refusals writing nothing; and the progress callbacks of backup,
 * restore and merge. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault-util.h"
#include "vault/vault-internal.h"

/* What a progress callback heard: per step, how often, the last done and total. */
struct heard {
	unsigned calls[VAULT_PROGRESS_MERGE + 1];
	uint64_t done[VAULT_PROGRESS_MERGE + 1], total[VAULT_PROGRESS_MERGE + 1];
	bool backwards;
};

static void hear(void *ctx, enum vault_progress_step step, uint64_t done, uint64_t total)
{
	struct heard *h = ctx;
	ck_assert_int_le(step, VAULT_PROGRESS_MERGE);
	if (h->calls[step] && done < h->done[step] && total == h->total[step])
		h->backwards = true;
	h->calls[step]++;
	h->done[step] = done;
	h->total[step] = total;
}

static struct buf backup_of(struct vault *v, struct heard *h)
{
	struct reterr err = { 0 };
	struct buf b = BUF_INIT;
	struct secret *k = vtu_pw(VTU_PASSWORD);
	struct vault_progress p = { .fn = hear, .ctx = h };
	int fd = memfd_create("backup", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(vault_backup(v, 0, VAULT_BACKUP_MASTER, k, fd, h ? &p : NULL, NULL, &err) ==
			      0,
		      "%s", err.msg);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(fd_read_all(fd, VAULT_BACKUP_IMAGE_MAX, &b), 0);
	close(fd);
	secret_free(k);
	return b;
}

static struct vault_restore *open_backup(const struct buf *b, struct heard *h)
{
	struct reterr err = { 0 };
	struct secret *pw = vtu_pw(VTU_PASSWORD);
	struct vault_restore *rs = NULL;
	struct vault_progress p = { .fn = hear, .ctx = h };
	ck_assert_msg(vault_restore_open(b->data, b->len, pw, pw, h ? &p : NULL, &rs, NULL, &err) ==
			      0,
		      "%s", err.msg);
	secret_free(pw);
	return rs;
}

/* A secret with everything a secret can have, in folder ops/db. */
static void set_full(struct vault *v, const char *key)
{
	struct reterr err = { 0 };
	struct secret *val = vtu_pw("the-main-value-1"), *f1 = vtu_pw("alice"),
		      *f2 = vtu_pw("field-secret-2");
	const char *names[] = { "user", "pass" };
	const struct secret *vals[] = { f1, f2 };
	const char *sens[] = { "pass" };
	char t1[] = "prod", t2[] = "db", env[] = "DB_PASS", fld[] = "pass";
	char *tags[] = { t1, t2, NULL };
	struct vault_binding bind[] = { { .env = env, .field = fld } };
	struct vault_set_in in = { .key = key,
				   .value = val,
				   .notes = "rotated monthly",
				   .url = "https://db.example",
				   .tags = tags,
				   .set_expires = true,
				   .expires_at = 4102444800LL,
				   .field_names = names,
				   .field_values = vals,
				   .nfields = 2,
				   .sensitive = sens,
				   .nsensitive = 1,
				   .bindings = bind,
				   .nbindings = 1,
				   .folder = "ops/db" };
	ck_assert_msg(vault_set(v, &in, NULL, &err) == 0, "%s", err.msg);
	secret_free(val);
	secret_free(f1);
	secret_free(f2);
}

static void folders(struct vault *v)
{
	struct reterr err = { 0 };
	ck_assert_msg(vault_folder_create(v, "ops", NULL, NULL, NULL, NULL, &err) == 0, "%s",
		      err.msg);
	ck_assert_msg(vault_folder_create(v, "db", "ops", NULL, NULL, NULL, &err) == 0, "%s",
		      err.msg);
}

static void expect_value(struct vault *v, const char *key, const char *want)
{
	struct reterr err = { 0 };
	struct vault_entry *e = NULL;
	ck_assert_msg(vault_get(v, key, VAULT_GET_NO_AUDIT, &e, &err) == 0, "%s: %s", key, err.msg);
	ck_assert_uint_eq(e->value_len, strlen(want));
	ck_assert(memcmp(e->value, want, e->value_len) == 0);
	vault_entry_free(e);
}

static uint64_t audit_count(struct vault *v)
{
	struct reterr err = { 0 };
	uint64_t n = 0;
	ck_assert_msg(audit_verify(v, &n, NULL, &err) == 0, "%s", err.msg);
	return n;
}

/* The source: a/full (everything), b/plain, c/new; the target: a/full as a different secret
 * (other fields, a binding, notes), b/plain with another value, t/own of its own. */
struct pair {
	char *src_dir, *dst_dir;
	struct vault *src, *dst;
	struct buf b;
};

static void pair_make(struct pair *p, bool target_folders)
{
	p->src_dir = vtu_vault_path();
	p->dst_dir = vtu_vault_path();
	p->src = vtu_vault_new(p->src_dir);
	p->dst = vtu_vault_new(p->dst_dir);
	folders(p->src);
	set_full(p->src, "a/full");
	ck_assert_int_eq(vtu_set(p->src, "b/plain", "backup-plain-1"), 0);
	ck_assert_int_eq(vtu_set(p->src, "c/new", "backup-new-1"), 0);
	if (target_folders)
		folders(p->dst);
	struct reterr err = { 0 };
	struct secret *x = vtu_pw("target-field-x");
	const char *names[] = { "extra" };
	const struct secret *vals[] = { x };
	char env[] = "EXTRA", fld[] = "extra";
	struct vault_binding bind[] = { { .env = env, .field = fld } };
	struct vault_set_in in = { .key = "a/full",
				   .notes = "target notes",
				   .field_names = names,
				   .field_values = vals,
				   .nfields = 1,
				   .bindings = bind,
				   .nbindings = 1 };
	ck_assert_msg(vault_set(p->dst, &in, NULL, &err) == 0, "%s", err.msg);
	secret_free(x);
	ck_assert_int_eq(vtu_set(p->dst, "b/plain", "target-plain-2"), 0);
	ck_assert_int_eq(vtu_set(p->dst, "t/own", "target-own-3"), 0);
	p->b = backup_of(p->src, NULL);
}

static void pair_free(struct pair *p)
{
	vault_free(p->src);
	vault_free(p->dst);
	buf_release(&p->b);
	vtu_cleanup(p->src_dir);
	vtu_cleanup(p->dst_dir);
}

static int merge(struct pair *p, enum vault_conflict c, bool dry, struct vault_merge_result *res,
		 struct reterr *err)
{
	struct vault_restore *rs = open_backup(&p->b, NULL);
	struct vault_merge_opts o = { .conflict = c, .dry_run = dry };
	int r = vault_restore_merge(rs, p->dst, &o, res, err);
	vault_restore_free(rs);
	return r;
}

/* Nothing of the backup reached the target: its log, its own value, the backup's new key. */
static void expect_unchanged(struct pair *p, uint64_t audit_before)
{
	struct reterr err = { 0 };
	struct vault_entry *e = NULL;
	ck_assert_uint_eq(audit_count(p->dst), audit_before);
	expect_value(p->dst, "b/plain", "target-plain-2");
	ck_assert_int_eq(vault_get(p->dst, "c/new", VAULT_GET_NO_AUDIT, &e, &err), -ENOENT);
}

START_TEST(test_read_backup)
{
	struct pair p;
	pair_make(&p, true);
	struct reterr err = { 0 };
	struct vault_restore *rs = open_backup(&p.b, NULL);
	char **keys = NULL, *folder = NULL;
	struct vault_entry *e = NULL;
	ck_assert_msg(vault_restore_keys(rs, &keys, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(strv_len(keys), 3);
	ck_assert_str_eq(keys[0], "a/full");
	ck_assert_str_eq(keys[2], "c/new");
	ck_assert_msg(vault_restore_get(rs, "a/full", &e, &folder, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(folder, "ops/db");
	ck_assert_uint_eq(e->meta.nfields, 2);
	ck_assert_str_eq(e->meta.notes, "rotated monthly");
	vault_entry_free(e);
	free(folder);
	ck_assert_msg(vault_restore_get(rs, "b/plain", &e, &folder, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(folder, "");
	vault_entry_free(e);
	free(folder);
	ck_assert_int_eq(vault_restore_get(rs, "no/such", &e, NULL, &err), -ENOENT);
	strv_free(keys);
	vault_restore_free(rs);
	pair_free(&p);
}
END_TEST

START_TEST(test_error_mode_names_key_writes_nothing)
{
	struct pair p;
	pair_make(&p, true);
	struct reterr err = { 0 };
	struct vault_merge_result res;
	uint64_t before = audit_count(p.dst);
	ck_assert_int_eq(merge(&p, VAULT_CONFLICT_ERROR, false, &res, &err), -EEXIST);
	ck_assert_str_eq(err.msg, "a/full exists in this vault");
	expect_unchanged(&p, before);
	pair_free(&p);
}
END_TEST

START_TEST(test_skip_keeps_existing)
{
	struct pair p;
	pair_make(&p, true);
	struct reterr err = { 0 };
	struct vault_merge_result res;
	ck_assert_msg(merge(&p, VAULT_CONFLICT_SKIP, false, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.n, 3);
	ck_assert_uint_eq(res.created, 1);
	ck_assert_uint_eq(res.skipped, 2);
	ck_assert_str_eq(res.items[2].key, "c/new");
	ck_assert_int_eq(res.items[2].outcome, VAULT_OUTCOME_CREATED);
	vault_merge_result_release(&res);
	expect_value(p.dst, "b/plain", "target-plain-2");
	expect_value(p.dst, "c/new", "backup-new-1");
	expect_value(p.dst, "t/own", "target-own-3");
	audit_count(p.dst);
	pair_free(&p);
}
END_TEST

/* An overwritten secret is the backup's whole: nothing of the target's version is left in it
 * (its extra field, binding, notes), which stays in its history. */
START_TEST(test_overwrite_replaces_whole)
{
	struct pair p;
	pair_make(&p, true);
	struct reterr err = { 0 };
	struct vault_merge_result res;
	ck_assert_msg(merge(&p, VAULT_CONFLICT_OVERWRITE, false, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.created, 1);
	ck_assert_uint_eq(res.updated, 2);
	vault_merge_result_release(&res);
	expect_value(p.dst, "b/plain", "backup-plain-1");
	expect_value(p.dst, "t/own", "target-own-3");
	struct vault_entry *e = NULL, *s = NULL;
	ck_assert_int_eq(vault_get(p.dst, "a/full", VAULT_GET_NO_AUDIT, &e, &err), 0);
	ck_assert_int_eq(vault_get(p.src, "a/full", VAULT_GET_NO_AUDIT, &s, &err), 0);
	ck_assert_uint_eq(e->meta.nfields, 2);
	ck_assert_str_eq(e->meta.fields[0].name, "user");
	ck_assert(!e->meta.fields[0].sensitive);
	ck_assert(e->meta.fields[1].sensitive);
	ck_assert(e->field_lens[1] == strlen("field-secret-2") &&
		  !memcmp(e->field_values[1], "field-secret-2", e->field_lens[1]));
	ck_assert_str_eq(e->meta.notes, "rotated monthly");
	ck_assert_str_eq(e->meta.url, "https://db.example");
	ck_assert_uint_eq(strv_len(e->meta.tags), 2);
	ck_assert_int_eq(e->meta.expires_at, 4102444800LL);
	ck_assert_uint_eq(e->meta.nbindings, 1);
	ck_assert_str_eq(e->meta.bindings[0].env, "DB_PASS");
	ck_assert_int_eq(e->meta.updated_at, s->meta.updated_at);
	vault_entry_free(e);
	vault_entry_free(s);
	char **keys = NULL;
	ck_assert_int_eq(vault_folder_keys(p.dst, "ops/db", &keys, &err), 0);
	ck_assert_uint_eq(strv_len(keys), 1);
	ck_assert_str_eq(keys[0], "a/full");
	strv_free(keys);
	struct vault_version *ver = NULL;
	size_t nv = 0;
	ck_assert_int_eq(vault_history(p.dst, "b/plain", &ver, &nv, &err), 0);
	ck_assert_uint_eq(nv, 1);
	free(ver);
	ck_assert_int_eq(vault_rollback(p.dst, "b/plain", 0, NULL, &err), 0);
	expect_value(p.dst, "b/plain", "target-plain-2");
	audit_count(p.dst);
	struct audit_record *a = NULL;
	size_t n = 0;
	ck_assert_int_eq(audit_list(p.dst, NULL, &a, &n, &err), 0);
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(a[i].action, "vault.restore")) {
			seen = true;
			ck_assert_str_eq(a[i].keys, "a/full,b/plain,c/new");
			ck_assert(strstr(a[i].detail, "\"updated\":2"));
		}
	ck_assert(seen);
	audit_records_free(a, n);
	pair_free(&p);
}
END_TEST

START_TEST(test_dry_run_writes_nothing)
{
	struct pair p;
	pair_make(&p, true);
	struct reterr err = { 0 };
	struct vault_merge_result res;
	uint64_t before = audit_count(p.dst);
	ck_assert_msg(merge(&p, VAULT_CONFLICT_OVERWRITE, true, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.updated, 2);
	ck_assert_int_eq(res.items[0].outcome, VAULT_OUTCOME_UPDATED);
	vault_merge_result_release(&res);
	expect_unchanged(&p, before);
	pair_free(&p);
}
END_TEST

START_TEST(test_missing_folder_refused)
{
	struct pair p;
	pair_make(&p, false);
	struct reterr err = { 0 };
	struct vault_merge_result res;
	uint64_t before = audit_count(p.dst);
	ck_assert_int_eq(merge(&p, VAULT_CONFLICT_OVERWRITE, false, &res, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "a/full is in folder ops/db in the backup"), "%s", err.msg);
	expect_unchanged(&p, before);
	pair_free(&p);
}
END_TEST

/* The backup's saved versions are counted (they are not merged). */
START_TEST(test_versions_counted)
{
	struct pair p;
	pair_make(&p, true);
	ck_assert_int_eq(vtu_set(p.src, "b/plain", "backup-plain-again"), 0);
	buf_release(&p.b);
	p.b = backup_of(p.src, NULL);
	struct reterr err = { 0 };
	struct vault_merge_result res;
	ck_assert_msg(merge(&p, VAULT_CONFLICT_SKIP, false, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.versions, 1);
	vault_merge_result_release(&res);
	pair_free(&p);
}
END_TEST

START_TEST(test_progress_reported)
{
	struct pair p;
	pair_make(&p, true);
	struct heard h = { 0 };
	struct reterr err = { 0 };
	struct buf b = backup_of(p.src, &h);
	ck_assert_uint_ge(h.calls[VAULT_PROGRESS_COPY], 1);
	ck_assert_uint_gt(h.total[VAULT_PROGRESS_COPY], 0);
	ck_assert_uint_eq(h.done[VAULT_PROGRESS_COPY], h.total[VAULT_PROGRESS_COPY]);
	ck_assert_uint_ge(h.calls[VAULT_PROGRESS_SEAL], 1);
	ck_assert_uint_eq(h.done[VAULT_PROGRESS_SEAL], h.total[VAULT_PROGRESS_SEAL]);
	uint64_t image = h.total[VAULT_PROGRESS_SEAL];
	struct vault_restore *rs = open_backup(&b, &h);
	ck_assert_uint_eq(h.total[VAULT_PROGRESS_OPEN], image);
	ck_assert_uint_eq(h.done[VAULT_PROGRESS_OPEN], image);
	struct vault_progress pr = { .fn = hear, .ctx = &h };
	struct vault_merge_opts o = { .conflict = VAULT_CONFLICT_SKIP, .progress = &pr };
	struct vault_merge_result res;
	ck_assert_msg(vault_restore_merge(rs, p.dst, &o, &res, &err) == 0, "%s", err.msg);
	vault_merge_result_release(&res);
	ck_assert_uint_eq(h.calls[VAULT_PROGRESS_MERGE], 3);
	ck_assert_uint_eq(h.done[VAULT_PROGRESS_MERGE], 3);
	ck_assert_uint_eq(h.total[VAULT_PROGRESS_MERGE], 3);
	char *dst = vtu_vault_path();
	ck_assert_msg(vault_restore_apply(rs, dst, 0, &pr, &err) == 0, "%s", err.msg);
	ck_assert_uint_ge(h.calls[VAULT_PROGRESS_WRITE], 1);
	ck_assert_uint_eq(h.done[VAULT_PROGRESS_WRITE], h.total[VAULT_PROGRESS_WRITE]);
	ck_assert(!h.backwards);
	vault_restore_free(rs);
	buf_release(&b);
	vtu_cleanup(dst);
	pair_free(&p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-restore-merge");
	TCase *tc = tcase_create("merge");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_read_backup);
	tcase_add_test(tc, test_error_mode_names_key_writes_nothing);
	tcase_add_test(tc, test_skip_keeps_existing);
	tcase_add_test(tc, test_overwrite_replaces_whole);
	tcase_add_test(tc, test_dry_run_writes_nothing);
	tcase_add_test(tc, test_missing_folder_refused);
	tcase_add_test(tc, test_versions_counted);
	tcase_add_test(tc, test_progress_reported);
	suite_add_tcase(s, tc);
	return s;
}
