/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: 1Password's CSV export (1Password 8: File > Export > CSV; header
 * "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes", columns found by name,
 * any case, so 1Password 7's "website"/"notesPlain" exports read too). One login per row:
 * fields username, password, totp and notes (the last three sensitive), the URL as the URL. */
#include "interchange/interchange-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { C_TITLE, C_URL, C_USER, C_PASS, C_OTP, C_NOTES, C_TAGS, C_ARCHIVED, C_FAV, C_TYPE, C_N };
static const char *const columns[C_N] = {
	[C_TITLE] = "title",
	[C_URL] = "url|website|urls|login_uri",
	[C_USER] = "username|login_username",
	[C_PASS] = "password|login_password",
	[C_OTP] = "otpauth|one-time password|otp|totp",
	[C_NOTES] = "notes|notesplain",
	[C_TAGS] = "tags",
	[C_ARCHIVED] = "archived",
	[C_FAV] = "favorite",
	[C_TYPE] = "type|category",
};

bool ix_1password_header(const struct ix_doc *d, const struct ix_span *hdr, size_t n)
{
	int c[C_N];
	ixc_columns(d, hdr, n, columns, C_N, c);
	return c[C_TITLE] >= 0 && c[C_PASS] >= 0 &&
	       (c[C_URL] >= 0 || c[C_USER] >= 0 || c[C_OTP] >= 0);
}

static struct ix_span col(const struct ix_span *f, size_t nf, int c)
{
	return c >= 0 && (size_t)c < nf ? f[c] : (struct ix_span){ 0, 0 };
}

/* Tags: separated by ',' or ';'. */
static int tags(struct ix_doc *d, struct ix_item *it, struct ix_span s)
{
	const char *p = (const char *)ix_span_ptr(d, s);
	for (size_t i = 0; i < s.len;) {
		size_t n = 0;
		while (i + n < s.len && p[i + n] != ',' && p[i + n] != ';')
			n++;
		size_t lo = i, hi = i + n;
		while (lo < hi && p[lo] == ' ')
			lo++;
		while (hi > lo && p[hi - 1] == ' ')
			hi--;
		if (hi > lo) {
			char *t = strndup(p + lo, hi - lo);
			int r = t ? ix_item_tag(d, it, t) : -ENOMEM;
			free(t);
			if (r < 0)
				return r;
		}
		i += n + 1;
	}
	return 0;
}

/* A URL that the vault takes as metadata; any other goes into a field. */
static int url(struct ix_doc *d, struct ix_item *it, struct ix_span s)
{
	const unsigned char *p = ix_span_ptr(d, s);
	bool ok = s.len <= VAULT_URL_MAX;
	for (size_t i = 0; ok && i < s.len; i++)
		ok = p[i] >= 0x20 && p[i] != 0x7f;
	if (!s.len)
		return 0;
	return ok ? ix_span_str(d, s, &it->url) : ix_item_field(d, it, "url", s, false);
}

static int row(struct ix_doc *d, const struct ix_span *f, size_t nf, const int *c, unsigned line,
	       struct reterr *err)
{
	static const struct {
		int col;
		const char *name;
		bool sensitive;
	} map[] = { { C_USER, "username", false },
		    { C_PASS, "password", true },
		    { C_OTP, "totp", true },
		    { C_NOTES, "notes", true } };
	int r;
	struct ix_item *it = ix_item_add(d, line, &r);
	if (!it)
		return reterr_set(err, r, r == -E2BIG ? "too many items" : "out of memory");
	if ((r = ix_span_str(d, col(f, nf, c[C_TITLE]), &it->name)) < 0)
		return r == -EINVAL ? reterr_set_at(err, r, (int)line, 0,
						    "line %u: a NUL byte in a title", line)
				    : reterr_set(err, r, "out of memory");
	for (size_t k = 0; k < ARRAY_SIZE(map); k++) {
		struct ix_span v = col(f, nf, c[map[k].col]);
		if (v.len && (r = ix_item_field(d, it, map[k].name, v, map[k].sensitive)) < 0)
			return reterr_set(err, r, "out of memory");
	}
	if ((r = url(d, it, col(f, nf, c[C_URL]))) < 0 ||
	    (r = tags(d, it, col(f, nf, c[C_TAGS]))) < 0 ||
	    (ix_span_eq(d, col(f, nf, c[C_ARCHIVED]), "true", true) &&
	     (r = ix_item_tag(d, it, "archived")) < 0))
		return reterr_set(err, r, "out of memory");
	if (!it->nfields && ix_item_skip_empty(d) < 0)
		return reterr_set(err, -ENOMEM, "out of memory");
	return 0;
}

int ix_1password_read(struct ix_doc *d, const unsigned char *p, size_t n, bool preserve_case,
		      struct reterr *err)
{
	struct ixc c;
	struct ix_span f[IX_CSV_COLUMNS_MAX];
	size_t nh, nf;
	unsigned line;
	int cols[C_N];
	ixc_init(&c, p, n);
	int r = ixc_next(&c, d, f, &nh, &line, err);
	if (r <= 0)
		return r < 0 ? r : reterr_set_at(err, -EINVAL, 1, 0, "line 1: empty file");
	if (!ix_1password_header(d, f, nh))
		return reterr_set_at(err, -EINVAL, (int)line, 0,
				     "line %u: not a 1Password CSV header (Title, Url, Username, "
				     "Password, OTPAuth, Favorite, Archived, Tags, Notes)",
				     line);
	ixc_columns(d, f, nh, columns, C_N, cols);
	while ((r = ixc_next(&c, d, f, &nf, &line, err)) == 1) {
		if (nf > nh)
			return reterr_set_at(err, -EINVAL, (int)line, 0,
					     "line %u: %zu fields but the header has %zu", line, nf,
					     nh);
		if ((r = row(d, f, nf, cols, line, err)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	return ix_items_name(d, NULL, preserve_case, err);
}
