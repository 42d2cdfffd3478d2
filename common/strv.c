/* SPDX-License-Identifier: Apache-2.0 */
/* common: NULL-terminated string vectors. */
#include "common/common.h"

#include <errno.h>
#include <string.h>

char **strv_free(char **v)
{
	if (!v)
		return NULL;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
	return NULL;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	size_t sz;
	if (__builtin_add_overflow(n, 2, &sz) || __builtin_mul_overflow(sz, sizeof(char *), &sz))
		return -E2BIG;
	char *c = strdup(s);
	if (!c)
		return -ENOMEM;
	char **nv = realloc(*v, sz);
	if (!nv) {
		free(c);
		return -ENOMEM;
	}
	nv[n] = c;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

int strv_split(const char *s, char sep, char ***ret)
{
	char **v = calloc(1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, sep);
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > 0) {
			char *item = strndup(p, n);
			int r = item ? strv_push(&v, item) : -ENOMEM;
			free(item);
			if (r < 0) {
				strv_free(v);
				return r;
			}
		}
		if (!e)
			break;
		p = e + 1;
	}
	*ret = v;
	return 0;
}

char *strv_join(char *const *v, const char *sep)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; v && v[i]; i++) {
		if ((i && buf_puts(&b, sep) < 0) || buf_puts(&b, v[i]) < 0) {
			buf_release(&b);
			return NULL;
		}
	}
	return buf_detach(&b);
}
