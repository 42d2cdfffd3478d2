/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the keys of `backup` and `restore` other than the master password: a backup password
 * ($SECRETCTL_BACKUP_PASSWORD or a prompt) and a key file (private, 32..4096 bytes). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

int cli_backup_password(const char *cmd, bool confirm, struct secret **ret)
{
	AUTO_SECRET struct secret *pw = NULL, *again = NULL;
	const char *env = secure_getenv(CLI_BACKUP_PASSWORD_ENV);
	if (env) {
		pw = secret_from(env, strlen(env));
		proc_scrub_env(CLI_BACKUP_PASSWORD_ENV);
	} else {
		int r = cli_tty_read_secret("Backup password: ", VAULT_PASSWORD_MAX + 1, &pw);
		if (r == -ENXIO) {
			cli_error("%s: no backup password: set %s or run on a terminal", cmd,
				  CLI_BACKUP_PASSWORD_ENV);
			return CLI_EAUTH;
		}
		if (r == 0 && confirm &&
		    (r = cli_tty_read_secret("Backup password again: ", VAULT_PASSWORD_MAX + 1,
					     &again)) == 0 &&
		    !secret_equal(pw, again)) {
			cli_error("%s: the two backup passwords differ", cmd);
			return CLI_EUSAGE;
		}
		if (r < 0) {
			cli_error("%s: cannot read the backup password: %s", cmd, strerror(-r));
			return r == -E2BIG ? CLI_EUSAGE : CLI_EIO;
		}
	}
	if (!pw) {
		cli_error("out of secure memory (check 'ulimit -l')");
		return CLI_EIO;
	}
	if (cli_password_check(pw, "backup password") != CLI_OK)
		return CLI_EUSAGE;
	*ret = TAKE_PTR(pw);
	return CLI_OK;
}

int cli_key_file_read(const char *cmd, const char *path, struct secret **ret)
{
	struct stat sb;
	AUTO_CLOSE int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli_error("%s: cannot open the key file %s: %s%s", cmd, path, strerror(errno),
			  errno == ELOOP ? " (a symlink: name the file itself)" : "");
		return errno == ENOENT ? CLI_ENOTFOUND : CLI_EUSAGE;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		cli_error("%s: the key file %s is not a regular file", cmd, path);
		return CLI_EUSAGE;
	}
	/* Like ssh with a private key: a key others can read or replace protects nothing. */
	if (sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		cli_error("%s: the key file %s must be owned by you and private (chmod 600 %s)",
			  cmd, path, path);
		return CLI_EUSAGE;
	}
	struct secret *k = NULL;
	int r = fd_read_all_secret(fd, VAULT_KEYFILE_MAX, &k);
	if (r < 0 || k->len < VAULT_KEYFILE_MIN) {
		secret_free(k);
		cli_error("%s: the key file %s must hold %d to %d bytes (make one with: head -c 32 "
			  "/dev/urandom > FILE)",
			  cmd, path, VAULT_KEYFILE_MIN, VAULT_KEYFILE_MAX);
		return CLI_EUSAGE;
	}
	*ret = k;
	return CLI_OK;
}
