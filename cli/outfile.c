/* SPDX-License-Identifier: Apache-2.0 */
/* cli: files the CLI writes for the user (-o FILE): created 0600 beside the target, synced,
 * then renamed into place, so a reader never sees half a file and a failure leaves none. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int cli_outfile_open(const char *cmd, const char *path, bool force, struct cli_outfile *ret)
{
	struct stat sb;
	char *d = strdup(path), *b = strdup(path);
	int r = CLI_EIO;
	if (!d || !b) {
		cli_error("%s: out of memory", cmd);
		goto out;
	}
	if (!force && lstat(path, &sb) == 0) {
		cli_error("%s: %s already exists (pass --force to replace it)", cmd, path);
		r = CLI_EUSAGE;
		goto out;
	}
	int dfd = open(dirname(d), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dfd < 0) {
		cli_error("%s: cannot open the directory of %s: %s", cmd, path, strerror(errno));
		goto out;
	}
	const char *base = basename(b);
	char tmp[4096];
	int n = snprintf(tmp, sizeof(tmp), ".%s.%08x.tmp", base, randombytes_random());
	int fd = n > 0 && (size_t)n < sizeof(tmp)
			 ? openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				  0600)
			 : (errno = ENAMETOOLONG, -1);
	if (fd < 0) {
		cli_error("%s: cannot create a file beside %s: %s", cmd, path, strerror(errno));
		close(dfd);
		goto out;
	}
	*ret = (struct cli_outfile){ .fd = fd, .dfd = dfd, .force = force };
	memcpy(ret->tmp, tmp, (size_t)n + 1);
	ret->path = path;
	ret->base = b;
	b = NULL;
	r = CLI_OK;
out:
	free(d);
	free(b);
	return r;
}

/* Remove the temporary file and close everything (after a failure, or after the rename). */
static void outfile_release(struct cli_outfile *f, bool unlink_tmp)
{
	if (unlink_tmp)
		(void)unlinkat(f->dfd, f->tmp, 0);
	if (f->fd >= 0)
		close(f->fd);
	if (f->dfd >= 0)
		close(f->dfd);
	free(f->base);
	f->fd = f->dfd = -1;
	f->base = NULL;
}

void cli_outfile_abort(struct cli_outfile *f)
{
	if (f->dfd >= 0)
		outfile_release(f, true);
}

int cli_outfile_commit(const char *cmd, struct cli_outfile *f)
{
	if (fsync(f->fd) < 0) {
		cli_error("%s: cannot write %s: %s", cmd, f->path, strerror(errno));
		outfile_release(f, true);
		return CLI_EIO;
	}
	int rc = renameat2(f->dfd, f->tmp, f->dfd, f->base, f->force ? 0 : RENAME_NOREPLACE);
	if (rc < 0) {
		int e = errno;
		if (e == EEXIST)
			cli_error("%s: %s appeared meanwhile (pass --force to replace it)", cmd,
				  f->path);
		else
			cli_error("%s: cannot rename into %s: %s", cmd, f->path, strerror(e));
		outfile_release(f, true);
		return e == EEXIST ? CLI_EUSAGE : CLI_EIO;
	}
	(void)fsync(f->dfd);
	outfile_release(f, false);
	return CLI_OK;
}
