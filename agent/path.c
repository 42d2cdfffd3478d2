/* SPDX-License-Identifier: Apache-2.0 */
/* agent paths: where the agent of a vault listens, found the same way by every client whatever
 * its environment (MCP clients pass only a few variables on), and the checks on the
 * directories involved (ours, private, not symlinks). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <sodium.h>

#include "agent/agent-internal.h"

#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

int agent_dir_check(const char *dir, bool make, struct reterr *err)
{
	struct stat st;
	if (make && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return reterr_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	if (lstat(dir, &st) < 0)
		return reterr_set(err, -errno, "cannot use %s: %s", dir, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return reterr_set(err, -ELOOP, "refusing %s: it is a symbolic link", dir);
	if (!S_ISDIR(st.st_mode))
		return reterr_set(err, -ENOTDIR, "refusing %s: not a directory", dir);
	if (st.st_uid != geteuid())
		return reterr_set(err, -EACCES, "refusing %s: owned by uid %u, not by you (uid %u)",
				  dir, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 077)
		return reterr_set(err, -EACCES,
				  "refusing %s: accessible by group or others (mode %04o): run "
				  "'chmod 700 %s'",
				  dir, (unsigned)(st.st_mode & 07777), dir);
	return 0;
}

/* dir/name when it fits a socket address. */
static bool fits(const char *dir, const char *name, char out[AGENT_PATH_MAX])
{
	size_t d = strlen(dir), n = strlen(name);
	if (d + 1 + n > SUN_PATH_MAX)
		return false;
	memcpy(out, dir, d);
	out[d] = '/';
	memcpy(out + d + 1, name, n + 1);
	return true;
}

/* A short directory for the socket of a vault whose path is too long: the user's runtime
 * directory when systemd made one, else one of ours in /tmp. */
static int short_dir(bool make, char out[AGENT_PATH_MAX], struct reterr *err)
{
	char run[64];
	snprintf(run, sizeof(run), "/run/user/%u", (unsigned)geteuid());
	if (agent_dir_check(run, false, NULL) == 0) {
		snprintf(out, AGENT_PATH_MAX, "%s/secretctl", run);
		return agent_dir_check(out, make, err);
	}
	snprintf(out, AGENT_PATH_MAX, "/tmp/secretctl-%u", (unsigned)geteuid());
	return agent_dir_check(out, make, err);
}

int agent_socket_path(const char *vault_dir, bool make_dirs, char out[AGENT_PATH_MAX],
		      struct reterr *err)
{
	char real[PATH_MAX], dir[AGENT_PATH_MAX], name[64];
	if (!vault_dir || !realpath(vault_dir, real))
		return reterr_set(err, -ENOENT, "no vault directory %s",
				  vault_dir ? vault_dir : "");
	if (fits(real, AGENT_SOCKET_NAME, out))
		return 0;
	unsigned char h[16];
	if (secret_lib_init() < 0)
		return reterr_set(err, -EIO, "cannot initialise libsodium");
	crypto_generichash(h, sizeof(h), (const unsigned char *)real, strlen(real), NULL, 0);
	char hex[2 * sizeof(h) + 1];
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(name, sizeof(name), "%s.sock", hex);
	int e = short_dir(make_dirs, dir, err);
	if (e < 0)
		return e;
	if (!fits(dir, name, out))
		return reterr_set(err, -ENAMETOOLONG,
				  "no short enough place for the agent's socket");
	return 0;
}
