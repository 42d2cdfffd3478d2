/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the vault record codec (vault/codec.c) on hostile bytes, as they would come
 * out of a decrypted meta or value blob of an edited vault file. Checks that (a) nothing crashes
 * or leaks, also on the failure paths that release a half-decoded record, (b) no allocation is
 * sized by an unchecked length field (alloc-guard.h), (c) whatever decodes satisfies the limits
 * of vault.h and points only into its own blob, and (d) encode(decode(x)) == x byte for byte
 * (the encoding is canonical) and decodes again to an equal record.
 * Input: byte 0 bit 0 selects the decoder.
 *   0: the rest is a meta blob.
 *   1: u8 has_value ‖ u32 value_len ‖ u8 nfields (the three meta facts the value decoder checks
 *      against), then the value blob. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "vault/vault-internal.h"

#include "alloc-guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The decoders allocate at most one string of the input's size plus fixed-size arrays bounded
 * by VAULT_FIELDS_MAX / VAULT_BINDINGS_MAX entries. */
#define DECODE_SLACK ((size_t)VAULT_BINDINGS_MAX * sizeof(struct vault_binding) + 1024)

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void str_check(const char *s, size_t min, size_t max)
{
	if (!s)
		abort();
	size_t n = strlen(s);
	if (n < min || n > max)
		abort();
}

static void meta_check(const struct vault_meta *m)
{
	str_check(m->key, 1, VAULT_KEY_MAX);
	if (m->notes)
		str_check(m->notes, 0, VAULT_NOTES_MAX);
	if (m->url)
		str_check(m->url, 0, VAULT_URL_MAX);
	if (!m->tags || strv_len(m->tags) > VAULT_TAGS_MAX)
		abort();
	for (size_t i = 0; m->tags[i]; i++)
		str_check(m->tags[i], 1, VAULT_TAG_MAX);
	if (m->value_len > VAULT_VALUE_MAX || (!m->has_value && m->value_len))
		abort();
	if (m->nfields > VAULT_FIELDS_MAX || (m->nfields && !m->fields))
		abort();
	for (size_t i = 0; i < m->nfields; i++)
		str_check(m->fields[i].name, 1, VAULT_FIELD_NAME_MAX);
	if (m->nbindings > VAULT_BINDINGS_MAX || (m->nbindings && !m->bindings))
		abort();
	for (size_t i = 0; i < m->nbindings; i++) {
		str_check(m->bindings[i].env, 1, VAULT_ENV_NAME_MAX);
		str_check(m->bindings[i].field, 0, VAULT_FIELD_NAME_MAX);
	}
}

static bool meta_equal(const struct vault_meta *a, const struct vault_meta *b)
{
	if (!str_eq(a->key, b->key) || !str_eq(a->notes, b->notes) || !str_eq(a->url, b->url) ||
	    strv_len(a->tags) != strv_len(b->tags) || a->created_at != b->created_at ||
	    a->updated_at != b->updated_at || a->expires_at != b->expires_at ||
	    a->has_value != b->has_value || a->value_len != b->value_len ||
	    a->nfields != b->nfields || a->nbindings != b->nbindings)
		return false;
	for (size_t i = 0; a->tags[i]; i++)
		if (!str_eq(a->tags[i], b->tags[i]))
			return false;
	for (size_t i = 0; i < a->nfields; i++)
		if (!str_eq(a->fields[i].name, b->fields[i].name) ||
		    a->fields[i].sensitive != b->fields[i].sensitive)
			return false;
	for (size_t i = 0; i < a->nbindings; i++)
		if (!str_eq(a->bindings[i].env, b->bindings[i].env) ||
		    !str_eq(a->bindings[i].field, b->bindings[i].field))
			return false;
	return true;
}

static void fuzz_meta(const uint8_t *p, size_t n)
{
	struct vault_meta m = { 0 }, m2 = { 0 };
	struct buf enc = BUF_INIT;

	alloc_guard(n + DECODE_SLACK);
	int r = vault_meta_decode(p, n, &m);
	alloc_guard(0);
	if (r < 0) {
		/* A failed decode releases everything and leaves the struct reusable. */
		struct vault_meta zero = { 0 };
		if (memcmp(&m, &zero, sizeof(m)) != 0)
			abort();
		return;
	}
	meta_check(&m);
	if (vault_meta_encode(&m, &enc) < 0)
		abort(); /* every decodable meta is within VAULT_META_MAX */
	if (enc.len != n || memcmp(enc.data, p, n) != 0)
		abort(); /* (d) not canonical */
	if (vault_meta_decode((const unsigned char *)enc.data, enc.len, &m2) < 0 ||
	    !meta_equal(&m, &m2))
		abort();
	vault_meta_release(&m2);
	vault_meta_release(&m);
	buf_release(&enc);
}

/* The value pointers of a decoded entry stay inside its blob. */
static void values_check(const struct vault_entry *e)
{
	const unsigned char *lo = e->blob->data, *hi = lo + e->blob->len;
	if (e->meta.has_value) {
		if (!e->value || e->value < lo || e->value > hi ||
		    e->value_len > (size_t)(hi - e->value))
			abort();
	} else if (e->value || e->value_len) {
		abort();
	}
	for (size_t i = 0; i < e->meta.nfields; i++) {
		const unsigned char *f = e->field_values[i];
		if (!f || f < lo || f > hi || e->field_lens[i] > (size_t)(hi - f) ||
		    e->field_lens[i] > VAULT_VALUE_MAX)
			abort();
	}
}

/* A heap entry as secrets.c builds one: meta facts set, blob holding the decrypted bytes.
 * NULL when the blob cannot be allocated (locked memory is a small resource). */
static struct vault_entry *entry_new(bool has_value, size_t value_len, size_t nfields,
				     const unsigned char *blob, size_t n)
{
	struct vault_entry *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	e->meta.has_value = has_value;
	e->meta.value_len = value_len;
	if (nfields) {
		e->meta.fields = calloc(nfields, sizeof(*e->meta.fields));
		if (!e->meta.fields)
			abort();
		e->meta.nfields = nfields;
	}
	e->blob = secret_from(blob, n);
	if (!e->blob)
		return vault_entry_free(e);
	return e;
}

static void fuzz_values(const uint8_t *p, size_t n)
{
	if (n < 6)
		return;
	bool has_value = p[0] & 1;
	size_t value_len =
		(size_t)p[1] | (size_t)p[2] << 8 | (size_t)p[3] << 16 | (size_t)p[4] << 24;
	size_t nfields = p[5] % (VAULT_FIELDS_MAX + 1);
	if (!has_value)
		value_len = 0;
	else if (value_len > VAULT_VALUE_MAX)
		value_len %= VAULT_VALUE_MAX + 1;
	p += 6;
	n -= 6;

	struct vault_entry *e = entry_new(has_value, value_len, nfields, p, n);
	if (!e)
		return;
	alloc_guard(DECODE_SLACK);
	int r = vault_values_decode(e);
	alloc_guard(0);
	if (r == 0) {
		values_check(e);
		struct secret *s = NULL;
		if (vault_values_encode(e->meta.has_value, e->value, e->value_len, e->field_values,
					e->field_lens, e->meta.nfields, &s) < 0)
			abort();
		if (s->len != n || (n && memcmp(s->data, p, n) != 0))
			abort(); /* (d) not canonical */
		struct vault_entry *e2 = entry_new(has_value, value_len, nfields, s->data, s->len);
		if (e2) {
			if (vault_values_decode(e2) < 0 || e2->value_len != e->value_len ||
			    (e->value_len && memcmp(e2->value, e->value, e->value_len) != 0))
				abort();
			for (size_t i = 0; i < nfields; i++)
				if (e2->field_lens[i] != e->field_lens[i] ||
				    (e->field_lens[i] &&
				     memcmp(e2->field_values[i], e->field_values[i],
					    e->field_lens[i]) != 0))
					abort();
			vault_entry_free(e2);
		}
		secret_free(s);
	}
	vault_entry_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || secret_lib_init() < 0)
		return 0;
	if (data[0] & 1)
		fuzz_values(data + 1, size - 1);
	else
		fuzz_meta(data + 1, size - 1);
	return 0;
}
