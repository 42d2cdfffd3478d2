/* SPDX-License-Identifier: Apache-2.0 */
/* vault files: where the vault directory is (its parents resolved), the checks on it, the db
 * file and a leftover journal before SQLite sees them (no symlinks, owned by us, private), and
 * new vault files made under a temporary name and renamed into place when complete. */
#include "vault/vault-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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

/* mkdir -p of path, each missing component 0700 (the caller's umask can only narrow it). */
static int mkdir_parents(char *path, struct reterr *err)
{
	for (char *p = path + (path[0] == '/');; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		int r = mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
		if (r < 0)
			reterr_set(err, r, "cannot create directory %s: %s", path, strerror(-r));
		*p = c;
		if (r < 0 || !c)
			return r;
	}
}

int vault_dir_resolve(const char *dir, bool create_parents, char **ret, struct reterr *err)
{
	if (!dir || !*dir)
		return reterr_set(err, -EINVAL, "no vault directory given");
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	AUTO_FREE char *parent = strndup(dir, n);
	if (!parent)
		return reterr_set(err, -ENOMEM, "out of memory");
	char *slash = strrchr(parent, '/');
	const char *base = slash ? slash + 1 : parent;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return reterr_set(err, -EINVAL,
				  "vault directory %s must end in a directory name (not / . or ..)",
				  dir);
	AUTO_FREE char *name = strdup(base);
	if (!name)
		return reterr_set(err, -ENOMEM, "out of memory");
	if (!slash)
		memcpy(parent, ".", 2); /* parent held the name: room for two bytes */
	else if (slash == parent)
		slash[1] = '\0'; /* "/name": the parent is "/" */
	else
		*slash = '\0';
	int r;
	if (create_parents && (r = mkdir_parents(parent, err)) < 0)
		return r;
	/* Symlinks above the vault directory are the user's business (a symlinked $HOME); only
	 * the directory itself and its files are refused when they are symlinks. */
	AUTO_FREE char *real = realpath(parent, NULL);
	if (!real)
		return reterr_set(err, -errno,
				  "cannot access %s (the directory that holds the vault directory "
				  "%s): %s",
				  parent, dir, strerror(errno));
	if (asprintf(ret, "%s%s%s", real, strcmp(real, "/") ? "/" : "", name) < 0)
		return reterr_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int check_owned_private(const struct stat *sb, const char *what, const char *path,
			       struct reterr *err)
{
	if (sb->st_uid != geteuid())
		return reterr_set(err, -EACCES,
				  "refusing %s %s: owned by uid %u, not by you (uid %u)", what,
				  path, (unsigned)sb->st_uid, (unsigned)geteuid());
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
				       : reterr_set(err, -errno,
						    "cannot stat the vault journal in %s", dir);
	if (!S_ISREG(sb.st_mode))
		return reterr_set(err, -EACCES,
				  "refusing vault journal in %s: not a regular file (symlink?)",
				  dir);
	return check_owned_private(&sb, "vault journal in", dir, err);
}

/* ---- new vault files: made under a temporary name, renamed into place when complete ---------- */

#define TMP_PREFIX VAULT_DB_NAME ".tmp-"

static bool tmp_name(const char *name)
{
	return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 && !strchr(name, '/');
}

void vault_tmp_cleanup(int dfd)
{
	int dup_fd = dup(dfd);
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return;
	}
	rewinddir(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat sb;
		size_t n = strlen(e->d_name);
		if (!tmp_name(e->d_name))
			continue;
		if (n > 8 && !strcmp(e->d_name + n - 8, "-journal")) {
			/* A journal whose file is gone has nothing left to roll back. */
			char file[NAME_MAX + 1];
			memcpy(file, e->d_name, n - 8);
			file[n - 8] = '\0';
			if (faccessat(dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
				(void)unlinkat(dfd, e->d_name, 0);
			continue;
		}
		/* A file still locked is another `init` or `recover` at work: leave it alone. */
		int fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			continue;
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0)
			vault_tmp_remove(dfd, e->d_name);
		close(fd);
	}
	closedir(d);
}

int vault_tmp_create(int dfd, const char *dir, char **ret_name, struct reterr *err)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned char rnd[6];
		char hex[2 * sizeof(rnd) + 1], *name = NULL;
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		if (asprintf(&name, TMP_PREFIX "%s", hex) < 0)
			return reterr_set(err, -ENOMEM, "out of memory");
		int fd =
			openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST) {
			free(name);
			continue;
		}
		if (fd < 0) {
			int r = reterr_set(err, -errno, "cannot create a file in %s: %s", dir,
					   strerror(errno));
			free(name);
			return r;
		}
		/* Held until the file is renamed or removed: cleanups skip it meanwhile. */
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int r = reterr_set(err, -errno, "cannot lock %s/%s: %s", dir, name,
					   strerror(errno));
			(void)unlinkat(dfd, name, 0);
			close(fd);
			free(name);
			return r;
		}
		*ret_name = name;
		return fd;
	}
	return reterr_set(err, -EEXIST, "cannot pick a temporary file name in %s", dir);
}

void vault_tmp_remove(int dfd, const char *name)
{
	char journal[NAME_MAX + 1];
	(void)unlinkat(dfd, name, 0);
	if (snprintf(journal, sizeof(journal), "%s-journal", name) < (int)sizeof(journal))
		(void)unlinkat(dfd, journal, 0);
}

int vault_tmp_install(int dfd, const char *dir, const char *name, int fd, bool replace,
		      struct reterr *err)
{
	if (fsync(fd) < 0)
		return reterr_set(err, -errno, "cannot sync %s/%s: %s", dir, name, strerror(errno));
	if (renameat2(dfd, name, dfd, VAULT_DB_NAME, replace ? 0 : RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			return reterr_set(err, -EEXIST, "a vault already exists in %s", dir);
		return reterr_set(err, -errno, "cannot rename %s/%s to %s: %s", dir, name,
				  VAULT_DB_NAME, strerror(errno));
	}
	if (fsync(dfd) < 0)
		return reterr_set(err, -errno, "cannot sync %s: %s", dir, strerror(errno));
	return 0;
}
