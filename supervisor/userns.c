/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: user namespaces for unprivileged callers: identity id maps, written either by the
 * sandbox child for itself or, before any secret is loaded, by the calling process for itself
 * (sup_userns_enter), so that no process holding secrets is ever dumpable. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "supervisor/supervisor-internal.h"

static bool entered;

bool sup_userns_entered(void)
{
	return entered;
}

/* One write: the kernel accepts a map only in a single write(2). Usable after fork (no malloc). */
static int write_file(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, len);
	int e = errno;
	close(fd);
	if (n != (ssize_t)len)
		return n < 0 ? -e : -EIO;
	return 0;
}

static size_t fmt_map(char *out, size_t cap, unsigned id)
{
	/* "<id> <id> 1\n": the same id inside, so files keep their owner and $USER still fits. */
	char digits[16];
	size_t n = 0, len = 0;
	do {
		digits[n++] = (char)('0' + id % 10);
		id /= 10;
	} while (id && n < sizeof(digits));
	for (int rep = 0; rep < 2; rep++) {
		for (size_t i = n; i > 0 && len < cap; i--)
			out[len++] = digits[i - 1];
		if (len < cap)
			out[len++] = ' ';
	}
	if (len + 2 <= cap) {
		out[len++] = '1';
		out[len++] = '\n';
	}
	return len;
}

int sup_write_id_maps(uid_t uid, gid_t gid, int *ret_stage)
{
	char map[64];
	size_t n;
	int r;
	/* Unprivileged gid mappings require setgroups to be denied first. */
	if ((r = write_file("/proc/self/setgroups", "deny", 4)) < 0) {
		*ret_stage = SUP_ST_SETGROUPS;
		errno = -r;
		return r;
	}
	n = fmt_map(map, sizeof(map), uid);
	if ((r = write_file("/proc/self/uid_map", map, n)) < 0) {
		*ret_stage = SUP_ST_UIDMAP;
		errno = -r;
		return r;
	}
	n = fmt_map(map, sizeof(map), gid);
	if ((r = write_file("/proc/self/gid_map", map, n)) < 0) {
		*ret_stage = SUP_ST_GIDMAP;
		errno = -r;
		return r;
	}
	return 0;
}

int sup_userns_enter(struct reterr *err)
{
	if (entered || geteuid() == 0)
		return 0;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
		return reterr_set(err, -EPERM,
				  "user namespace: this process is no longer dumpable; enter the "
				  "namespace before hardening");
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER) < 0)
		return reterr_set(err, -errno, "cannot create a user namespace: %s",
				  strerror(errno));
	int stage;
	int r = sup_write_id_maps(uid, gid, &stage);
	if (r < 0)
		return reterr_set(err, r, "user namespace: %s: %s", sup_stage_name(stage),
				  strerror(-r));
	entered = true;
	return 0;
}
