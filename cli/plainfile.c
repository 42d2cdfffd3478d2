/* SPDX-License-Identifier: Apache-2.0 */
/* cli: writing plaintext secrets to a file (export, inject): a private temporary file beside the
 * target, renamed over it once complete, so the target is never half-written and never
 * replaced without --force; and the warning a person at a terminal gets about plaintext. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

int cli_plainfile_check(const char *cmd, const char *path, bool force)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return CLI_OK;
		cli_error("%s: cannot use %s: %s", cmd, path, strerror(errno));
		return CLI_EIO;
	}
	if (S_ISDIR(st.st_mode)) {
		cli_error("%s: %s is a directory (name a file)", cmd, path);
		return CLI_EUSAGE;
	}
	if (!force) {
		cli_error("%s: %s exists (add --force to replace it)", cmd, path);
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

int cli_plainfile_open(struct cli_plainfile *f, const char *cmd, const char *path, bool force)
{
	AUTO_FREE char *copy = strdup(path);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (!copy ||
	    asprintf(&f->tmp, "%s/.%s.XXXXXX", dirname(copy), basename((char *)path)) < 0) {
		f->tmp = NULL;
		cli_error("%s: out of memory", cmd);
		return CLI_EIO;
	}
	/* mkostemp creates the file 0600 with O_EXCL: nobody else's file, never a symlink. */
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0) {
		cli_error("%s: cannot create a file beside %s: %s", cmd, path, strerror(errno));
		free(f->tmp);
		f->tmp = NULL;
		return CLI_EIO;
	}
	f->path = path;
	f->force = force;
	return CLI_OK;
}

void cli_plainfile_abort(struct cli_plainfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		(void)unlink(f->tmp);
	free(f->tmp);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

int cli_plainfile_commit(struct cli_plainfile *f, const char *cmd)
{
	int r = fsync(f->fd) < 0 ? -errno : 0;
	if (r == 0 && close(f->fd) < 0)
		r = -errno;
	f->fd = -1;
	if (r == 0 &&
	    (f->force ? rename(f->tmp, f->path)
		      : renameat2(AT_FDCWD, f->tmp, AT_FDCWD, f->path, RENAME_NOREPLACE)) < 0)
		r = -errno;
	if (r < 0) {
		if (r == -EEXIST)
			cli_error("%s: %s appeared meanwhile (add --force to replace it)", cmd,
				  f->path);
		else
			cli_error("%s: cannot write %s: %s", cmd, f->path, strerror(-r));
		cli_plainfile_abort(f);
		return r == -EEXIST ? CLI_EUSAGE : CLI_EIO;
	}
	/* The rename is durable once the directory is synced. */
	AUTO_FREE char *copy = strdup(f->path);
	if (copy) {
		int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	free(f->tmp);
	f->tmp = NULL;
	return CLI_OK;
}

void cli_warn_plaintext(const char *cmd, const char *where)
{
	if (!isatty(STDERR_FILENO))
		return;
	if (where)
		cli_warn("%s: writing secrets in plaintext to %s (mode 0600): delete it when done "
			 "and keep it out of version control",
			 cmd, where);
	else
		cli_warn("%s: writing secrets in plaintext to standard output", cmd);
}
