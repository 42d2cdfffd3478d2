/* SPDX-License-Identifier: Apache-2.0 */
/* vault files: where the vault directory is, and the checks on it, the db file and a leftover
 * journal before SQLite sees them (no symlinks, owned by us, private). */
#include "vault/vault-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *vault_dir_default(struct reterr *err)
{
	const char *d = secure_getenv(VAULT_DIR_ENV);
	char *p = NULL;
	if (d && *d) {
		p = strdup(d);
	} else {
		const char *home = secure_getenv("HOME");
		if (!home || home[0] != '/') {
			reterr_set(err, -ENOENT, "cannot locate the vault: set $%s or $HOME",
				   VAULT_DIR_ENV);
			return NULL;
		}
		if (asprintf(&p, "%s/.secretctl", home) < 0)
			p = NULL;
	}
	if (!p)
		reterr_set(err, -ENOMEM, "out of memory");
	return p;
}

static int check_owned_private(const struct stat *sb, const char *what, const char *path,
			       struct reterr *err)
{
	if (sb->st_uid != geteuid())
		return reterr_set(err, -EACCES, "refusing %s %s: owned by uid %u, not by you (uid %u)",
				  what, path, (unsigned)sb->st_uid, (unsigned)geteuid());
	if (sb->st_mode & 077)
		return reterr_set(err, -EACCES,
				  "refusing %s %s: accessible by group/others (mode %04o); run "
				  "`chmod %s %s`",
				  what, path, (unsigned)(sb->st_mode & 07777),
				  S_ISDIR(sb->st_mode) ? "700" : "600", path);
	return 0;
}

/* Open the vault directory without following a symlink and check it is ours and private. */
int vault_dir_open(const char *dir, struct reterr *err)
{
	struct stat sb;
	if (lstat(dir, &sb) < 0)
		return reterr_set(err, -errno, "cannot access vault directory %s: %s", dir,
				  strerror(errno));
	if (S_ISLNK(sb.st_mode))
		return reterr_set(err, -ELOOP, "refusing vault directory %s: it is a symlink", dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return reterr_set(err, -errno, "cannot open vault directory %s: %s", dir,
				  strerror(errno));
	int r = fstat(fd, &sb) < 0 ? -errno : 0;
	if (r == 0)
		r = check_owned_private(&sb, "vault directory", dir, err);
	else
		reterr_set(err, r, "cannot stat vault directory %s", dir);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int vault_file_check(int fd, const char *path, struct reterr *err)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return reterr_set(err, -errno, "cannot stat %s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return reterr_set(err, -EINVAL, "refusing vault file %s: not a regular file", path);
	return check_owned_private(&sb, "vault file", path, err);
}

/* A journal left by a crash is replayed by SQLite: it must be as trustworthy as the db. */
int vault_journal_check(int dfd, const char *dir, struct reterr *err)
{
	struct stat sb;
	if (fstatat(dfd, VAULT_DB_NAME "-journal", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : reterr_set(err, -errno, "cannot stat the vault journal in %s",
						    dir);
	if (!S_ISREG(sb.st_mode))
		return reterr_set(err, -EACCES,
				  "refusing vault journal in %s: not a regular file (symlink?)", dir);
	return check_owned_private(&sb, "vault journal in", dir, err);
}
