/* SPDX-License-Identifier: Apache-2.0 */
/* vault create: a new vault directory (and its missing parents) and db file, owner-only whatever
 * the umask: the KDF first, then the schema, the header with a fresh data key, an empty manifest
 * and head and the vault.init event in a temporary file, renamed to vault.db when complete. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char schema_sql[] =
	"PRAGMA application_id = 1396921430;"
	"PRAGMA user_version = 1;"
	"CREATE TABLE header(one INTEGER PRIMARY KEY CHECK (one = 1), format INTEGER NOT NULL,"
	" vault_id BLOB NOT NULL, created_at INTEGER NOT NULL, kdf_alg INTEGER NOT NULL,"
	" kdf_ops INTEGER NOT NULL, kdf_mem INTEGER NOT NULL, kdf_salt BLOB NOT NULL,"
	" wrap_nonce BLOB NOT NULL, wrapped_key BLOB NOT NULL);"
	/* A rowid table (rows can be large) with a unique index on the keyed name hash. */
	"CREATE TABLE secrets(n INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
	" version INTEGER NOT NULL, meta_nonce BLOB NOT NULL, meta BLOB NOT NULL,"
	" value_nonce BLOB NOT NULL, value BLOB NOT NULL);"

	"CREATE TABLE manifest(one INTEGER PRIMARY KEY CHECK (one = 1),"
	" generation INTEGER NOT NULL, count INTEGER NOT NULL, acc BLOB NOT NULL,"
	" mac BLOB NOT NULL);"
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, nonce BLOB NOT NULL,"
	" payload BLOB NOT NULL, mac BLOB NOT NULL);"
	"CREATE TABLE audit_head(one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL,"
	" mac BLOB NOT NULL, head_mac BLOB NOT NULL);"
	"CREATE TABLE unlock_state(one INTEGER PRIMARY KEY CHECK (one = 1),"
	" failures INTEGER NOT NULL, last_failure INTEGER NOT NULL);"
	"CREATE TABLE unlock_pending(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" source TEXT NOT NULL, reason TEXT NOT NULL);"
	"INSERT INTO unlock_state VALUES (1, 0, 0);";

_Static_assert(VAULT_APP_ID == 1396921430, "schema_sql spells VAULT_APP_ID in decimal");

int vault_schema_create(struct vault *v, struct reterr *err)
{
	return vdb_exec(v, schema_sql, err);
}

/* A fresh data key and its subkeys in v, and the header wrapping it under the password's NFC
 * form: the KDF runs before any file exists, so an interruption leaves nothing behind. */
static int make_keys(struct vault *v, struct vault_header *h, const struct secret *password,
		     enum vault_kdf kdf, struct reterr *err)
{
	struct secret *nfc = NULL;
	*h = (struct vault_header){ .format = VAULT_FORMAT, .kdf = vault_kdf_profile(kdf) };
	randombytes_buf(h->vault_id, sizeof(h->vault_id));
	memcpy(v->vault_id, h->vault_id, VAULT_ID_BYTES);
	v->keys = vault_keys_new();
	struct secret *kek = secret_new(VAULT_KEY_BYTES);
	int r = vault_password_nfc(password, &nfc);
	if (!v->keys || !kek || r < 0) {
		secret_free(kek);
		secret_free(nfc);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	const struct secret *form = nfc ? nfc : password;
	randombytes_buf(v->keys->data, VAULT_KEY_BYTES);
	vault_keys_derive(v);
	r = vault_header_wrap(h, form, v->keys->data, kek->data, err);
	if (r == 0)
		vault_password_tag(v->keys->data, form,
				   v->keys->data + (size_t)VK_PASSWORD_TAG * VAULT_KEY_BYTES);
	secret_free(kek);
	secret_free(nfc);
	return r;
}

/* Schema, header, empty manifest and head, and the vault.init event, in one transaction. */
static int fill(struct vault *v, int fd, const struct vault_header *h, struct reterr *err)
{
	struct vault_state st = { 0 };
	struct audit_event ev = { .action = "vault.init", .success = true };
	int r;
	if ((r = vdb_open(v, fd, err)) < 0 || (r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_schema_create(v, err)) < 0 ||
	    (r = vault_header_store(v, h, true, err)) < 0 ||
	    (r = vault_header_sum_store(v, h, err)) < 0 ||
	    (r = vault_manifest_store(v, &st, err)) < 0 ||
	    (r = vault_head_store(v, &st, err)) < 0 ||
	    (r = audit_append_locked(v, &st, &ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0) {
		vdb_rollback(v);
		return r;
	}
	sqlite3_close_v2(v->db);
	v->db = NULL;
	return 0;
}

/* 0 when dir holds no vault.db: the empty file an interrupted init of an older version left is
 * removed first (the new file is then renamed into place only where none exists, so that two
 * inits never replace each other's vault). -EEXIST for a vault. */
static int existing(int dfd, const char *dir, struct reterr *err)
{
	struct stat sb;
	if (fstatat(dfd, VAULT_DB_NAME, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : reterr_set(err, -errno, "cannot access %s/%s: %s", dir,
						    VAULT_DB_NAME, strerror(errno));
	if (!S_ISREG(sb.st_mode) || sb.st_size != 0 || sb.st_uid != geteuid())
		return reterr_set(err, -EEXIST, "a vault already exists in %s", dir);
	if (unlinkat(dfd, VAULT_DB_NAME, 0) < 0 && errno != ENOENT)
		return reterr_set(err, -errno, "cannot remove the empty %s/%s: %s", dir,
				  VAULT_DB_NAME, strerror(errno));
	return 0;
}

static int create_at(int dfd, const char *dir, const struct secret *password, enum vault_kdf kdf,
		     struct reterr *err)
{
	struct vault *v = vault_alloc(dir);
	struct vault_header h;
	AUTO_FREE char *name = NULL;
	int fd = -1, r;
	if (!v)
		return reterr_set(err, -ENOMEM, "out of memory");
	if (faccessat(dfd, VAULT_DB_NAME "-journal", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		r = reterr_set(err, -EEXIST,
			       "%s holds a leftover %s-journal but no vault: remove it first", dir,
			       VAULT_DB_NAME);
		goto out;
	}
	if ((r = existing(dfd, dir, err)) < 0 || (r = make_keys(v, &h, password, kdf, err)) < 0)
		goto out;
	vault_tmp_cleanup(dfd);
	if ((fd = r = vault_tmp_create(dfd, dir, &name, err)) < 0)
		goto out;
	free(v->path);
	if (asprintf(&v->path, "%s/%s", dir, name) < 0) {
		v->path = NULL;
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = vault_file_check(fd, v->path, err)) < 0 || (r = fill(v, fd, &h, err)) < 0 ||
	    (r = vault_tmp_install(dfd, dir, name, fd, false, err)) < 0)
		goto out;
	r = 0;
out:
	if (r < 0 && name)
		vault_tmp_remove(dfd, name);
	vault_free(v);
	if (fd >= 0)
		close(fd);
	return r;
}

int vault_create(const char *dir_arg, const struct secret *password, enum vault_kdf kdf,
		 struct reterr *err)
{
	AUTO_FREE char *dir = NULL;
	int dfd = -1, r;
	/* Nothing we create may ever be wider than owner-only, whatever the caller's umask. */
	mode_t old_mask = umask(077);
	if ((r = secret_lib_init()) < 0) {
		reterr_set(err, r, "libsodium failed to initialise");
		goto out;
	}
	if ((r = vault_password_check(password, err)) < 0)
		goto out;
	if ((unsigned)kdf > VAULT_KDF_SENSITIVE) {
		r = reterr_set(err, -EINVAL, "unknown KDF profile");
		goto out;
	}
	if ((r = vault_dir_resolve(dir_arg, true, &dir, err)) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = reterr_set(err, -errno, "cannot create vault directory %s: %s", dir,
			       strerror(errno));
		goto out;
	}
	if ((dfd = r = vault_dir_open(dir, err)) < 0)
		goto out;
	r = create_at(dfd, dir, password, kdf, err);
out:
	if (dfd >= 0)
		close(dfd);
	umask(old_mask);
	return r;
}
