/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of vault_backup / vault_restore_*: round trips in every key mode (values, metadata
 * and a verifying audit log), the audit log carried or cut, and every damage to the file
 * (truncation anywhere, a flipped bit anywhere, appended bytes, a wrong key) refused with the
 * target untouched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vault-util.h"
#include "vault/vault-internal.h"

#define KEYFILE "0123456789abcdef0123456789abcdef-key"

static struct buf backup_of(struct vault *v, unsigned flags, enum vault_backup_mode mode,
			    const char *key)
{
	struct reterr err = { 0 };
	struct buf b = BUF_INIT;
	struct secret *k = vtu_pw(key);
	int fd = memfd_create("backup", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(vault_backup(v, flags, mode, k, fd, NULL, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(fd_read_all(fd, VAULT_BACKUP_IMAGE_MAX, &b), 0);
	close(fd);
	secret_free(k);
	return b;
}

static int open_backup(const struct buf *b, const char *key, struct vault_restore **rs,
		       struct vault_backup_info *info, struct reterr *err)
{
	struct secret *k = vtu_pw(key), *pw = vtu_pw(VTU_PASSWORD);
	int r = vault_restore_open(b->data, b->len, k, pw, NULL, rs, info, err);
	secret_free(k);
	secret_free(pw);
	return r;
}

static struct vault *source_vault(const char *dir)
{
	struct vault *v = vtu_vault_new(dir);
	ck_assert_int_eq(vtu_set(v, "db/prod/password", "s3cret-value-1"), 0);
	ck_assert_int_eq(vtu_set(v, "api/token", "tok-0123456789"), 0);
	return v;
}

static void expect_value(struct vault *v, const char *key, const char *want)
{
	struct reterr err = { 0 };
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, key, 0, &e, &err), 0);
	ck_assert_uint_eq(e->value_len, strlen(want));
	ck_assert(memcmp(e->value, want, e->value_len) == 0);
	vault_entry_free(e);
}

static void round_trip(enum vault_backup_mode mode, const char *key, unsigned flags)
{
	char *src = vtu_vault_path(), *dst = vtu_vault_path();
	struct vault *v = source_vault(src);
	struct reterr err = { 0 };
	struct buf b = backup_of(v, flags, mode, key);
	struct vault_restore *rs = NULL;
	struct vault_backup_info info;
	ck_assert_msg(open_backup(&b, key, &rs, &info, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(info.secrets, 2);
	ck_assert_int_eq(info.mode, mode);
	ck_assert_uint_eq(info.flags, flags);
	ck_assert_msg(vault_restore_apply(rs, dst, flags, NULL, &err) == 0, "%s", err.msg);
	vault_restore_free(rs);
	struct stat sb;
	char path[4096];
	snprintf(path, sizeof(path), "%s/vault.db", dst);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	struct vault *r = NULL;
	ck_assert_int_eq(vtu_vault_reopen(dst, &r, &err), 0);
	expect_value(r, "db/prod/password", "s3cret-value-1");
	expect_value(r, "api/token", "tok-0123456789");
	uint64_t count = 0;
	ck_assert_msg(audit_verify(r, &count, NULL, &err) == 0, "%s", err.msg);
	struct audit_record *a = NULL;
	size_t n = 0;
	ck_assert_int_eq(audit_list(r, NULL, &a, &n, &err), 0);
	/* The full log starts at vault.init; a cut one at the restore. */
	ck_assert_str_eq(a[0].action,
			 flags & VAULT_BACKUP_WITH_AUDIT ? "vault.init" : "vault.restore");
	ck_assert_uint_eq(a[0].seq, flags & VAULT_BACKUP_WITH_AUDIT ? 1 : a[0].seq);
	audit_records_free(a, n);
	/* The source recorded the backup. */
	ck_assert_int_eq(audit_list(v, NULL, &a, &n, &err), 0);
	ck_assert_str_eq(a[n - 1].action, "vault.backup");
	audit_records_free(a, n);
	vault_free(r);
	vault_free(v);
	buf_release(&b);
	vtu_cleanup(src);
	vtu_cleanup(dst);
}

START_TEST(test_round_trip_master)
{
	round_trip(VAULT_BACKUP_MASTER, VTU_PASSWORD, 0);
}
END_TEST

START_TEST(test_round_trip_master_with_audit)
{
	round_trip(VAULT_BACKUP_MASTER, VTU_PASSWORD, VAULT_BACKUP_WITH_AUDIT);
}
END_TEST

START_TEST(test_round_trip_keyfile)
{
	round_trip(VAULT_BACKUP_KEYFILE, KEYFILE, VAULT_BACKUP_WITH_AUDIT);
}
END_TEST

START_TEST(test_round_trip_backup_password)
{
	round_trip(VAULT_BACKUP_PASSWORD, "another backup password", 0);
}
END_TEST

/* Without the log, nothing of the removed entries is left in the image (not even their
 * ciphertext in a page's free space). */
START_TEST(test_without_audit_leaves_no_trace)
{
	char *src = vtu_vault_path();
	struct vault *v = source_vault(src);
	struct reterr err = { 0 };
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(v, "api/token", 0, &e, &err), 0);
	vault_entry_free(e);
	/* The encrypted payload of an entry the backup drops (secret.set of api/token). */
	unsigned char gone[64];
	sqlite3 *raw = vtu_raw(src);
	sqlite3_stmt *g = NULL;
	ck_assert_int_eq(
		sqlite3_prepare_v2(raw, "SELECT payload FROM audit WHERE seq = 4", -1, &g, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(g), SQLITE_ROW);
	ck_assert_int_ge(sqlite3_column_bytes(g, 0), (int)sizeof(gone));
	memcpy(gone, sqlite3_column_blob(g, 0), sizeof(gone));
	sqlite3_finalize(g);
	sqlite3_close(raw);
	struct buf b = backup_of(v, 0, VAULT_BACKUP_KEYFILE, KEYFILE);
	struct vault_backup_header h;
	struct secret *k = vtu_pw(KEYFILE);
	unsigned char key[VAULT_KEY_BYTES], *img = NULL;
	size_t n = 0;
	ck_assert_int_eq(vault_backup_header_parse((unsigned char *)b.data, b.len, &h, &err), 0);
	ck_assert_int_eq(vault_backup_key(&h, k, key, &err), 0);
	ck_assert_int_eq(
		vault_backup_unseal((unsigned char *)b.data, b.len, key, NULL, &img, &n, &err), 0);
	ck_assert_ptr_null(memmem(img, n, gone, sizeof(gone)));
	/* One entry (vault.backup) is left: count rows in the image. */
	sqlite3 *db = NULL;
	unsigned char *copy = sqlite3_malloc64(n);
	memcpy(copy, img, n);
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_deserialize(db, "main", copy, (sqlite3_int64)n, (sqlite3_int64)n,
					     SQLITE_DESERIALIZE_FREEONCLOSE),
			 SQLITE_OK);
	sqlite3_stmt *q = NULL;
	ck_assert_int_eq(sqlite3_prepare_v2(db,
					    "SELECT count(*), (SELECT freelist_count FROM "
					    "pragma_freelist_count) FROM audit",
					    -1, &q, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 1);
	ck_assert_int_eq(sqlite3_column_int(q, 1), 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(img);
	secret_free(k);
	vault_free(v);
	buf_release(&b);
	vtu_cleanup(src);
}
END_TEST

static void expect_refused(const struct buf *b, const char *key, int code, const char *what)
{
	struct reterr err = { 0 };
	struct vault_restore *rs = NULL;
	int r = open_backup(b, key, &rs, NULL, &err);
	ck_assert_msg(r == code, "%s: got %d (%s), want %d", what, r, err.msg, code);
	ck_assert_ptr_null(rs);
}

/* Every truncation point and every flipped bit of a (small) backup is refused. Slow-ish: a
 * KDF per attempt with the test profile, so the points are strided. */
START_TEST(test_damage_refused)
{
	char *src = vtu_vault_path();
	struct vault *v = source_vault(src);
	struct buf b = backup_of(v, VAULT_BACKUP_WITH_AUDIT, VAULT_BACKUP_KEYFILE, KEYFILE);
	struct buf d = BUF_INIT;
	ck_assert_int_eq(buf_append(&d, b.data, b.len), 0);
	for (size_t cut = 0; cut < b.len; cut += cut < 200 ? 1 : 997) {
		d.len = cut;
		expect_refused(&d, KEYFILE, -EBADMSG, "truncated");
	}
	d.len = b.len;
	for (size_t i = 0; i < b.len; i += i < 200 ? 1 : 1499) {
		d.data[i] ^= 0x20;
		struct reterr err = { 0 };
		struct vault_restore *rs = NULL;
		int r = open_backup(&d, KEYFILE, &rs, NULL, &err);
		ck_assert_msg(r == -EBADMSG || r == -EKEYREJECTED || r == -EPROTO,
			      "flip at %zu: %d (%s)", i, r, err.msg);
		d.data[i] ^= 0x20;
	}
	ck_assert_int_eq(buf_putc(&d, 0), 0);
	expect_refused(&d, KEYFILE, -EBADMSG, "appended");
	expect_refused(&b, "0123456789abcdef0123456789abcdef-kez", -EKEYREJECTED, "wrong key");
	buf_release(&d);
	buf_release(&b);
	vault_free(v);
	vtu_cleanup(src);
}
END_TEST

START_TEST(test_restore_refuses_existing_and_missing_log)
{
	char *src = vtu_vault_path(), *dst = vtu_vault_path();
	struct vault *v = source_vault(src);
	struct vault *other = vtu_vault_new(dst);
	ck_assert_int_eq(vtu_set(other, "mine", "keep-this-value"), 0);
	vault_free(other);
	struct reterr err = { 0 };
	struct buf b = backup_of(v, 0, VAULT_BACKUP_MASTER, VTU_PASSWORD);
	struct vault_restore *rs = NULL;
	ck_assert_int_eq(open_backup(&b, VTU_PASSWORD, &rs, NULL, &err), 0);
	ck_assert_int_eq(vault_restore_apply(rs, dst, VAULT_BACKUP_WITH_AUDIT, NULL, &err),
			 -EINVAL);
	ck_assert_int_eq(vault_restore_apply(rs, dst, 0, NULL, &err), -EEXIST);
	ck_assert_int_eq(vtu_vault_reopen(dst, &other, &err), 0);
	expect_value(other, "mine", "keep-this-value");
	vault_free(other);
	ck_assert_int_eq(vault_restore_apply(rs, dst, VAULT_RESTORE_REPLACE, NULL, &err), 0);
	vault_restore_free(rs);
	ck_assert_int_eq(vtu_vault_reopen(dst, &other, &err), 0);
	expect_value(other, "api/token", "tok-0123456789");
	struct vault_entry *e = NULL;
	ck_assert_int_eq(vault_get(other, "mine", 0, &e, &err), -ENOENT);
	vault_free(other);
	/* The master password of the vault inside must unlock it. */
	struct secret *k = vtu_pw(VTU_PASSWORD), *bad = vtu_pw("not the password");
	ck_assert_int_eq(vault_restore_open(b.data, b.len, k, bad, NULL, &rs, NULL, &err),
			 -EKEYREJECTED);
	secret_free(k);
	secret_free(bad);
	buf_release(&b);
	vault_free(v);
	vtu_cleanup(src);
	vtu_cleanup(dst);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-backup");
	TCase *tc = tcase_create("backup");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_round_trip_master);
	tcase_add_test(tc, test_round_trip_master_with_audit);
	tcase_add_test(tc, test_round_trip_keyfile);
	tcase_add_test(tc, test_round_trip_backup_password);
	tcase_add_test(tc, test_without_audit_leaves_no_trace);
	tcase_add_test(tc, test_damage_refused);
	tcase_add_test(tc, test_restore_refuses_existing_and_missing_log);
	suite_add_tcase(s, tc);
	return s;
}
