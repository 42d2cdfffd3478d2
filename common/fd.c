/* SPDX-License-Identifier: Apache-2.0 */
/* common: file descriptor I/O that retries on EINTR and short transfers. */
#include "common/common.h"

#include <errno.h>
#include <sys/socket.h>

ssize_t fd_read(int fd, void *p, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, p, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t fd_recvmsg(int fd, struct msghdr *msg, int flags)
{
	for (;;) {
		ssize_t n = recvmsg(fd, msg, flags);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

int fd_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	while (len > 0) {
		ssize_t n = write(fd, c, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_all(int fd, size_t max, struct buf *ret)
{
	char tmp[16384];
	for (;;) {
		ssize_t n = fd_read(fd, tmp, sizeof(tmp));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		if (ret->len + (size_t)n > max)
			return -E2BIG;
		int r = buf_append(ret, tmp, (size_t)n);
		if (r < 0)
			return r;
	}
}
