/* SPDX-License-Identifier: Apache-2.0 */
/* vault create: a new vault directory and db file (owner-only whatever the umask), its schema,
 * the header with a fresh data key, an empty manifest and head, and the vault.init event. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
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

static int create_in(struct vault *v, int dfd, int fd, const struct secret *password,
		     enum vault_kdf kdf, struct reterr *err)
{
	struct vault_header h = { .format = VAULT_FORMAT, .kdf = vault_kdf_profile(kdf) };
	struct vault_state st = { 0 };
	int r;
	randombytes_buf(h.vault_id, sizeof(h.vault_id));
	memcpy(v->vault_id, h.vault_id, VAULT_ID_BYTES);
	v->keys = vault_keys_new();
	struct secret *kek = secret_new(VAULT_KEY_BYTES);
	if (!v->keys || !kek) {
		secret_free(kek);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	randombytes_buf(v->keys->data, VAULT_KEY_BYTES);
	vault_keys_derive(v);
	r = vault_header_wrap(&h, password, v->keys->data, kek->data, err);
	secret_free(kek);
	if (r < 0)
		return r;
	if (fsync(dfd) < 0)
		return reterr_set(err, -errno, "cannot sync %s: %s", v->dir, strerror(errno));
	if ((r = vdb_open(v, fd, err)) < 0 || (r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vdb_exec(v, schema_sql, err)) < 0 || (r = vault_header_store(v, &h, true, err)) < 0)
		goto fail;
	if ((r = vault_manifest_store(v, &st, err)) < 0 ||
	    (r = vault_head_store(v, &st, err)) < 0)
		goto fail;
	struct audit_event ev = { .action = "vault.init", .success = true };
	if ((r = audit_append_locked(v, &st, &ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto fail;
	v->unlocked = true;
	return 0;
fail:
	vdb_rollback(v);
	return r;
}

int vault_create(const char *dir, const struct secret *password, enum vault_kdf kdf,
		 struct reterr *err)
{
	struct vault *v = NULL;
	int dfd = -1, fd = -1, r;
	bool created = false;
	/* Nothing we create may ever be wider than owner-only, whatever the caller's umask. */
	mode_t old_mask = umask(077);
	if ((r = secret_lib_init()) < 0) {
		reterr_set(err, r, "libsodium failed to initialise");
		goto out;
	}
	if (!dir || !*dir) {
		r = reterr_set(err, -EINVAL, "no vault directory given");
		goto out;
	}
	if ((r = vault_password_check(password, err)) < 0)
		goto out;
	if ((unsigned)kdf > VAULT_KDF_SENSITIVE) {
		r = reterr_set(err, -EINVAL, "unknown KDF profile");
		goto out;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = reterr_set(err, -errno, "cannot create vault directory %s: %s", dir,
			       strerror(errno));
		goto out;
	}
	if ((dfd = vault_dir_open(dir, err)) < 0) {
		r = dfd;
		goto out;
	}
	if (faccessat(dfd, VAULT_DB_NAME "-journal", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		r = reterr_set(err, -EEXIST,
			       "%s holds a leftover %s-journal but no vault: remove it first", dir,
			       VAULT_DB_NAME);
		goto out;
	}
	/* Create the file 0600 ourselves before SQLite sees it: SQLite would use the umask. */
	fd = openat(dfd, VAULT_DB_NAME, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		if (r == -EEXIST)
			reterr_set(err, r, "a vault already exists in %s", dir);
		else
			reterr_set(err, r, "cannot create %s/%s: %s", dir, VAULT_DB_NAME,
				   strerror(-r));
		goto out;
	}
	created = true;
	v = vault_alloc(dir);
	if (!v) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = vault_file_check(fd, v->path, err)) < 0)
		goto out;
	r = create_in(v, dfd, fd, password, kdf, err);
out:
	if (r < 0 && created) {
		/* Leave no half-made vault behind: a retry must start clean. */
		if (v && v->db) {
			sqlite3_close_v2(v->db);
			v->db = NULL;
		}
		(void)unlinkat(dfd, VAULT_DB_NAME, 0);
		(void)unlinkat(dfd, VAULT_DB_NAME "-journal", 0);
	}
	vault_free(v);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	umask(old_mask);
	return r;
}
