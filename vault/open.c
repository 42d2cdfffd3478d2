/* SPDX-License-Identifier: Apache-2.0 */
/* vault handle: opening an existing vault, read-write or read-only (directory, file and journal
 * checks, SQLite, the header it must have), its audit source, freeing it, and the unlocked check
 * of keyed verbs. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vault *vault_alloc(const char *dir)
{
	struct vault *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->dir = strdup(dir);
	if (!v->dir || asprintf(&v->path, "%s/%s", dir, VAULT_DB_NAME) < 0) {
		v->path = NULL;
		return vault_free(v);
	}
	snprintf(v->source, sizeof(v->source), "cli");
	return v;
}

struct vault *vault_free(struct vault *v)
{
	if (!v)
		return NULL;
	if (v->db)
		sqlite3_close_v2(v->db);
	secret_free(v->keys);
	free(v->dir);
	free(v->path);
	free(v);
	return NULL;
}

/* A source or via name: 1..VAULT_SOURCE_MAX bytes of [a-z0-9_-] (they go into JSON as is). */
static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > VAULT_SOURCE_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return false;
	return true;
}

void vault_set_source(struct vault *v, const char *source)
{
	if (v && name_ok(source))
		snprintf(v->source, sizeof(v->source), "%s", source);
}

void vault_set_via(struct vault *v, const char *via)
{
	if (v)
		snprintf(v->via, sizeof(v->via), "%s", name_ok(via) ? via : "");
}

int vault_require_unlocked(const struct vault *v, struct reterr *err)
{
	if (!v || !v->db)
		return reterr_set(err, -EINVAL, "no vault open");
	if (!v->unlocked || !v->keys)
		return reterr_set(err, -EACCES, "vault is locked: unlock it first");
	return 0;
}

static int app_id_check(struct vault *v, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v, "PRAGMA application_id", &q, err);
	if (r < 0)
		return r;
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW)
		r = vdb_fail(v, rc, err, "reading the vault file header");
	else if (sqlite3_column_int64(q, 0) != VAULT_APP_ID)
		r = reterr_set(err, -EBADMSG, "%s is not a secretctl vault", v->path);
	sqlite3_finalize(q);
	return r;
}

/* A zero-length vault.db is what an interrupted `init` of an older secretctl left behind: there
 * is nothing in it to lose, and `init` replaces it. */
static int empty_check(int fd, const char *dir, struct reterr *err)
{
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
		return reterr_set(err, -ENOENT,
				  "no vault at %s: %s/%s is empty (an interrupted `secretctl "
				  "init`); run `secretctl init`",
				  dir, dir, VAULT_DB_NAME);
	return 0;
}

static int open_db_file(int dfd, const char *dir, bool readonly, struct reterr *err)
{
	int fd = openat(dfd, VAULT_DB_NAME,
			(readonly ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0)
		return fd;
	int r = -errno;
	if (r == -ENOENT)
		return reterr_set(err, r, "no vault at %s: run `secretctl init` first", dir);
	if (r == -ELOOP)
		return reterr_set(err, r, "refusing vault file %s/%s: it is a symlink", dir,
				  VAULT_DB_NAME);
	return reterr_set(err, r, "cannot open %s/%s: %s", dir, VAULT_DB_NAME, strerror(-r));
}

static int open_mode(const char *dir_arg, bool readonly, struct vault **ret, struct reterr *err)
{
	struct vault *v = NULL;
	int dfd = -1, fd = -1, r;
	AUTO_FREE char *dir = NULL;
	if ((r = secret_lib_init()) < 0)
		return reterr_set(err, r, "libsodium failed to initialise");
	if ((r = vault_dir_resolve(dir_arg, false, &dir, err)) < 0) {
		if (r == -ENOENT)
			reterr_set(err, r, "no vault at %s: run `secretctl init` first", dir_arg);
		return r;
	}
	dfd = vault_dir_open(dir, err);
	if (dfd < 0) {
		r = dfd;
		if (r == -ENOENT)
			reterr_set(err, r, "no vault at %s: run `secretctl init` first", dir);
		goto out;
	}
	if ((fd = open_db_file(dfd, dir, readonly, err)) < 0) {
		r = fd;
		goto out;
	}
	v = vault_alloc(dir);
	if (!v) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	v->readonly = readonly;
	if ((r = vault_file_check(fd, v->path, err)) < 0 || (r = empty_check(fd, dir, err)) < 0 ||
	    (r = vault_journal_check(dfd, dir, err)) < 0 || (r = vdb_open(v, fd, err)) < 0 ||
	    (r = app_id_check(v, err)) < 0)
		goto out;
	struct vault_header h;
	if ((r = vault_header_load(v, &h, err)) < 0)
		goto out;
	memcpy(v->vault_id, h.vault_id, VAULT_ID_BYTES);
	*ret = v;
	v = NULL;
	r = 0;
out:
	vault_free(v);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

int vault_open(const char *dir, struct vault **ret, struct reterr *err)
{
	return open_mode(dir, false, ret, err);
}

int vault_open_readonly(const char *dir, struct vault **ret, struct reterr *err)
{
	return open_mode(dir, true, ret, err);
}
