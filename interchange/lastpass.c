/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: LastPass's CSV export (Advanced Options > Export; header
 * "url,username,password,totp,extra,name,grouping,fav"). A row whose url is "http://sn" is a
 * secure note: its text (extra) is the secret. grouping is the folder ('\' separates levels). */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <string.h>

enum { C_URL, C_USER, C_PASS, C_TOTP, C_EXTRA, C_NAME, C_GROUP, C_FAV, C_N };
static const char *const columns[C_N] = {
	[C_URL] = "url",     [C_USER] = "username", [C_PASS] = "password",  [C_TOTP] = "totp",
	[C_EXTRA] = "extra", [C_NAME] = "name",	    [C_GROUP] = "grouping", [C_FAV] = "fav",
};

bool ix_lastpass_header(const struct ix_doc *d, const struct ix_span *hdr, size_t n)
{
	int c[C_N];
	ixc_columns(d, hdr, n, columns, C_N, c);
	return c[C_URL] >= 0 && c[C_USER] >= 0 && c[C_PASS] >= 0 && c[C_EXTRA] >= 0 &&
	       c[C_NAME] >= 0 && c[C_GROUP] >= 0;
}

static struct ix_span col(const struct ix_span *f, size_t nf, int c)
{
	return c >= 0 && (size_t)c < nf ? f[c] : (struct ix_span){ 0, 0 };
}

static int row(struct ix_doc *d, const struct ix_span *f, size_t nf, const int *c, unsigned line,
	       char **ret_folder, struct reterr *err)
{
	static const struct {
		int col;
		const char *name;
		bool sensitive;
	} map[] = { { C_USER, "username", false },
		    { C_PASS, "password", true },
		    { C_TOTP, "totp", true },
		    { C_EXTRA, "notes", true } };
	int r;
	struct ix_span url = col(f, nf, c[C_URL]);
	bool note = ix_span_eq(d, url, "http://sn", true);
	struct ix_item *it = ix_item_add(d, line, &r);
	if (!it)
		return reterr_set(err, r, r == -E2BIG ? "too many items" : "out of memory");
	if ((r = ix_span_str(d, col(f, nf, c[C_NAME]), &it->name)) < 0 ||
	    (r = ix_span_str(d, col(f, nf, c[C_GROUP]), ret_folder)) < 0)
		return r == -EINVAL ? reterr_set_at(err, r, (int)line, 0,
						    "line %u: a NUL byte in a name or group", line)
				    : reterr_set(err, r, "out of memory");
	for (size_t k = 0; k < ARRAY_SIZE(map); k++) {
		struct ix_span v = col(f, nf, c[map[k].col]);
		if (v.len && (r = ix_item_field(d, it, map[k].name, v, map[k].sensitive)) < 0)
			return reterr_set(err, r, "out of memory");
	}
	const unsigned char *u = ix_span_ptr(d, url);
	bool url_ok = !note && url.len && url.len <= VAULT_URL_MAX;
	for (size_t i = 0; url_ok && i < url.len; i++)
		url_ok = u[i] >= 0x20 && u[i] != 0x7f;
	if (url_ok && (r = ix_span_str(d, url, &it->url)) < 0)
		return reterr_set(err, r, "out of memory");
	if (!note && !url_ok && url.len && (r = ix_item_field(d, it, "url", url, false)) < 0)
		return reterr_set(err, r, "out of memory");
	if (!it->nfields) {
		free(*ret_folder);
		*ret_folder = NULL;
		if (ix_item_skip_empty(d) < 0)
			return reterr_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int ix_lastpass_read(struct ix_doc *d, const unsigned char *p, size_t n, bool preserve_case,
		     struct reterr *err)
{
	struct ixc c;
	struct ix_span f[IX_CSV_COLUMNS_MAX];
	size_t nh, nf, cap = 0;
	unsigned line;
	int cols[C_N];
	char **folders = NULL;
	ixc_init(&c, p, n);
	int r = ixc_next(&c, d, f, &nh, &line, err);
	if (r <= 0)
		return r < 0 ? r : reterr_set_at(err, -EINVAL, 1, 0, "line 1: empty file");
	if (!ix_lastpass_header(d, f, nh))
		return reterr_set_at(err, -EINVAL, (int)line, 0,
				     "line %u: not a LastPass CSV header (url, username, password, "
				     "totp, extra, name, grouping, fav)",
				     line);
	ixc_columns(d, f, nh, columns, C_N, cols);
	while ((r = ixc_next(&c, d, f, &nf, &line, err)) == 1) {
		char *folder = NULL;
		if (nf > nh) {
			r = reterr_set_at(err, -EINVAL, (int)line, 0,
					  "line %u: %zu fields but the header has %zu", line, nf,
					  nh);
			break;
		}
		size_t before = d->n;
		if ((r = row(d, f, nf, cols, line, &folder, err)) < 0) {
			free(folder);
			break;
		}
		if (d->n == before)
			continue;
		if (d->n > cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **a = reallocarray(folders, ncap + 1, sizeof(*a));
			if (!a) {
				free(folder);
				r = reterr_set(err, -ENOMEM, "out of memory");
				break;
			}
			memset(a + cap, 0, (ncap + 1 - cap) * sizeof(*a));
			folders = a;
			cap = ncap;
		}
		folders[d->n - 1] = folder;
	}
	if (r == 0)
		r = ix_items_name(d, folders, preserve_case, err);
	for (size_t i = 0; i < cap; i++)
		free(folders ? folders[i] : NULL);
	free(folders);
	return r;
}
