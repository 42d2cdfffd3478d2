/* SPDX-License-Identifier: Apache-2.0 */
/* common: the functions behind the AUTO_* cleanup attributes. */
#include "common/common.h"

#include <errno.h>

void cleanup_free(void *p)
{
	free(*(void **)p);
}

void cleanup_close(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		(void)close(*fd);
		errno = saved;
	}
}

void cleanup_secret(struct secret **s)
{
	secret_free(*s);
}

void cleanup_strv(char ***v)
{
	strv_free(*v);
}

void cleanup_buf(struct buf *b)
{
	buf_release(b);
}
