/* SPDX-License-Identifier: Apache-2.0 */
/* vault codec: the length-prefixed binary form of a secret's meta blob and value blob, and the
 * release of the structs they decode into. Decoders treat their input as hostile (it comes from
 * the db file): every length is checked first. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

#define CODEC_VERSION 1

/* ---- writers --------------------------------------------------------------------------------- */

static int put_u32(struct buf *b, uint32_t x)
{
	unsigned char t[4];
	vault_le32(t, x);
	return buf_append(b, t, 4);
}

static int put_u64(struct buf *b, uint64_t x)
{
	unsigned char t[8];
	vault_le64(t, x);
	return buf_append(b, t, 8);
}

static int put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (n > UINT32_MAX)
		return -E2BIG;
	int r = put_u32(b, (uint32_t)n);
	return r < 0 ? r : buf_append(b, s, n);
}

int vault_meta_encode(const struct vault_meta *m, struct buf *out)
{
	size_t ntags = strv_len(m->tags);
	unsigned flags = (m->notes ? 1u : 0u) | (m->url ? 2u : 0u) | (m->has_value ? 4u : 0u);
	int r = buf_putc(out, CODEC_VERSION);
	if (!r)
		r = put_str(out, m->key);
	if (!r)
		r = buf_putc(out, (char)flags);
	if (!r && m->notes)
		r = put_str(out, m->notes);
	if (!r && m->url)
		r = put_str(out, m->url);
	if (!r)
		r = put_u32(out, (uint32_t)ntags);
	for (size_t i = 0; !r && i < ntags; i++)
		r = put_str(out, m->tags[i]);
	if (!r)
		r = put_u64(out, (uint64_t)m->created_at);
	if (!r)
		r = put_u64(out, (uint64_t)m->updated_at);
	if (!r)
		r = put_u64(out, (uint64_t)m->expires_at);
	if (!r)
		r = put_u64(out, m->value_len);
	if (!r)
		r = put_u32(out, (uint32_t)m->nfields);
	for (size_t i = 0; !r && i < m->nfields; i++) {
		r = put_str(out, m->fields[i].name);
		if (!r)
			r = buf_putc(out, m->fields[i].sensitive ? 1 : 0);
	}
	if (!r)
		r = put_u32(out, (uint32_t)m->nbindings);
	for (size_t i = 0; !r && i < m->nbindings; i++) {
		r = put_str(out, m->bindings[i].env);
		if (!r)
			r = put_str(out, m->bindings[i].field);
	}
	if (!r && out->len > VAULT_META_MAX)
		r = -E2BIG;
	return r;
}

/* ---- readers --------------------------------------------------------------------------------- */

struct rd {
	const unsigned char *p;
	size_t n;
};

static int get_bytes(struct rd *r, size_t n, const unsigned char **ret)
{
	if (n > r->n)
		return -EBADMSG;
	*ret = r->p;
	r->p += n;
	r->n -= n;
	return 0;
}

static int get_u8(struct rd *r, unsigned *ret)
{
	const unsigned char *p;
	if (get_bytes(r, 1, &p) < 0)
		return -EBADMSG;
	*ret = p[0];
	return 0;
}

static int get_u32(struct rd *r, uint32_t *ret)
{
	const unsigned char *p;
	if (get_bytes(r, 4, &p) < 0)
		return -EBADMSG;
	*ret = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return 0;
}

static int get_u64(struct rd *r, uint64_t *ret)
{
	const unsigned char *p;
	if (get_bytes(r, 8, &p) < 0)
		return -EBADMSG;
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	*ret = x;
	return 0;
}

static int get_i64(struct rd *r, int64_t *ret)
{
	uint64_t x;
	if (get_u64(r, &x) < 0)
		return -EBADMSG;
	*ret = (int64_t)x;
	return 0;
}

/* A C string of at most max bytes, no NUL inside; min 0 or 1. */
static int get_str(struct rd *r, size_t min, size_t max, char **ret)
{
	uint32_t n;
	const unsigned char *p;
	if (get_u32(r, &n) < 0 || n < min || n > max || get_bytes(r, n, &p) < 0 || memchr(p, 0, n))
		return -EBADMSG;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, p, n);
	s[n] = 0;
	*ret = s;
	return 0;
}

int vault_meta_decode(const unsigned char *p, size_t n, struct vault_meta *m)
{
	struct rd r = { p, n };
	unsigned u, flags;
	uint32_t cnt;
	uint64_t vlen;
	int e = -EBADMSG;
	if (get_u8(&r, &u) < 0 || u != CODEC_VERSION)
		goto fail;
	if ((e = get_str(&r, 1, VAULT_KEY_MAX, &m->key)) < 0)
		goto fail;
	e = -EBADMSG;
	if (get_u8(&r, &flags) < 0 || (flags & ~7u))
		goto fail;
	if ((flags & 1u) && (e = get_str(&r, 0, VAULT_NOTES_MAX, &m->notes)) < 0)
		goto fail;
	if ((flags & 2u) && (e = get_str(&r, 0, VAULT_URL_MAX, &m->url)) < 0)
		goto fail;
	m->has_value = flags & 4u;
	e = -EBADMSG;
	if (get_u32(&r, &cnt) < 0 || cnt > VAULT_TAGS_MAX)
		goto fail;
	m->tags = calloc((size_t)cnt + 1, sizeof(char *));
	if (!m->tags) {
		e = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < cnt; i++)
		if ((e = get_str(&r, 1, VAULT_TAG_MAX, &m->tags[i])) < 0)
			goto fail;
	e = -EBADMSG;
	if (get_i64(&r, &m->created_at) < 0 || get_i64(&r, &m->updated_at) < 0 ||
	    get_i64(&r, &m->expires_at) < 0 || get_u64(&r, &vlen) < 0 || vlen > VAULT_VALUE_MAX ||
	    (!m->has_value && vlen != 0))
		goto fail;
	m->value_len = (size_t)vlen;
	if (get_u32(&r, &cnt) < 0 || cnt > VAULT_FIELDS_MAX)
		goto fail;
	if (cnt) {
		m->fields = calloc(cnt, sizeof(*m->fields));
		if (!m->fields) {
			e = -ENOMEM;
			goto fail;
		}
	}
	for (uint32_t i = 0; i < cnt; i++) {
		if ((e = get_str(&r, 1, VAULT_FIELD_NAME_MAX, &m->fields[i].name)) < 0)
			goto fail;
		m->nfields = i + 1;
		e = -EBADMSG;
		if (get_u8(&r, &u) < 0 || u > 1)
			goto fail;
		m->fields[i].sensitive = u;
	}
	e = -EBADMSG;
	if (get_u32(&r, &cnt) < 0 || cnt > VAULT_BINDINGS_MAX)
		goto fail;
	if (cnt) {
		m->bindings = calloc(cnt, sizeof(*m->bindings));
		if (!m->bindings) {
			e = -ENOMEM;
			goto fail;
		}
	}
	for (uint32_t i = 0; i < cnt; i++) {
		m->nbindings = i + 1;
		if ((e = get_str(&r, 1, VAULT_ENV_NAME_MAX, &m->bindings[i].env)) < 0 ||
		    (e = get_str(&r, 0, VAULT_FIELD_NAME_MAX, &m->bindings[i].field)) < 0)
			goto fail;
	}
	if (r.n != 0) {
		e = -EBADMSG;
		goto fail;
	}
	return 0;
fail:
	vault_meta_release(m);
	return e;
}

/* ---- values ---------------------------------------------------------------------------------- */

static void sput_u32(unsigned char **p, size_t x)
{
	vault_le32(*p, (uint32_t)x);
	*p += 4;
}

int vault_values_encode(bool has_value, const unsigned char *value, size_t value_len,
			const unsigned char *const *fv, const size_t *fl, size_t nf,
			struct secret **ret)
{
	/* Exact size first: the plaintext is written once, straight into secure memory. */
	size_t total = 1 + 1 + 4 + value_len + 4;
	if (value_len > VAULT_VALUE_MAX || nf > VAULT_FIELDS_MAX)
		return -E2BIG;
	for (size_t i = 0; i < nf; i++) {
		if (fl[i] > VAULT_VALUE_MAX)
			return -E2BIG;
		total += 4 + fl[i];
	}
	struct secret *s = secret_new(total);
	if (!s)
		return -ENOMEM;
	unsigned char *p = s->data;
	*p++ = CODEC_VERSION;
	*p++ = has_value ? 1 : 0;
	sput_u32(&p, value_len);
	if (value_len)
		memcpy(p, value, value_len);
	p += value_len;
	sput_u32(&p, nf);
	for (size_t i = 0; i < nf; i++) {
		sput_u32(&p, fl[i]);
		if (fl[i])
			memcpy(p, fv[i], fl[i]);
		p += fl[i];
	}
	s->len = total;
	s->data[total] = 0;
	*ret = s;
	return 0;
}

int vault_values_decode(struct vault_entry *e)
{
	struct rd r = { e->blob->data, e->blob->len };
	unsigned ver, hv;
	uint32_t n, nf;
	const unsigned char *p;
	if (get_u8(&r, &ver) < 0 || ver != CODEC_VERSION || get_u8(&r, &hv) < 0 || hv > 1 ||
	    (hv != 0) != e->meta.has_value || get_u32(&r, &n) < 0 || n > VAULT_VALUE_MAX ||
	    get_bytes(&r, n, &p) < 0 || (!hv && n != 0) || (hv && n != e->meta.value_len))
		return -EBADMSG;
	e->value = hv ? p : NULL;
	e->value_len = hv ? n : 0;
	if (get_u32(&r, &nf) < 0 || nf != e->meta.nfields)
		return -EBADMSG;
	if (nf) {
		e->field_values = calloc(nf, sizeof(*e->field_values));
		e->field_lens = calloc(nf, sizeof(*e->field_lens));
		if (!e->field_values || !e->field_lens)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < nf; i++) {
		if (get_u32(&r, &n) < 0 || n > VAULT_VALUE_MAX || get_bytes(&r, n, &p) < 0)
			return -EBADMSG;
		e->field_values[i] = p;
		e->field_lens[i] = n;
	}
	return r.n == 0 ? 0 : -EBADMSG;
}

/* ---- ownership of what the decoders fill ----------------------------------------------------- */

void vault_meta_release(struct vault_meta *m)
{
	if (!m)
		return;
	free(m->key);
	free(m->notes);
	free(m->url);
	strv_free(m->tags);
	for (size_t i = 0; i < m->nfields; i++)
		free(m->fields[i].name);
	free(m->fields);
	for (size_t i = 0; i < m->nbindings; i++) {
		free(m->bindings[i].env);
		free(m->bindings[i].field);
	}
	free(m->bindings);
	memset(m, 0, sizeof(*m));
}

void vault_entry_release(struct vault_entry *e)
{
	vault_meta_release(&e->meta);
	secret_free(e->blob);
	free(e->field_values);
	free(e->field_lens);
	memset(e, 0, sizeof(*e));
}

struct vault_entry *vault_entry_free(struct vault_entry *e)
{
	if (!e)
		return NULL;
	vault_entry_release(e);
	free(e);
	return NULL;
}

void vault_meta_array_free(struct vault_meta *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		vault_meta_release(&a[i]);
	free(a);
}
