/* SPDX-License-Identifier: Apache-2.0 */
/* broker: the vault's health score (MCP security_score): strength, uniqueness, expiry and
 * coverage. Values are decrypted one secret at a time into locked memory, measured and
 * fingerprinted with a keyed hash, and wiped; only key names and counts come out. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <sodium.h>

#include "broker/broker-internal.h"

#define WEAK_BITS 64.0
#define WEAK_LEN 12

/* One secret part's fingerprint: a keyed hash, so equal values can be found by sorting without
 * keeping any value (the key is random per computation and wiped). */
struct print {
	unsigned char h[16];
	size_t secret; /* index into the key list */
};

static double strength_bits(const unsigned char *p, size_t n)
{
	bool lower = false, upper = false, digit = false, other = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
		digit |= c >= '0' && c <= '9';
		other |= !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9'));
	}
	double charset = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0);
	return charset > 1 ? (double)n * log2(charset) : 0;
}

static bool weak(const unsigned char *p, size_t n)
{
	return n < WEAK_LEN || strength_bits(p, n) < WEAK_BITS;
}

static int cmp_print(const void *a, const void *b)
{
	const struct print *x = a, *y = b;
	int c = memcmp(x->h, y->h, sizeof(x->h));
	if (c)
		return c;
	return x->secret < y->secret ? -1 : x->secret > y->secret;
}

struct scan {
	struct print *prints;
	size_t n, cap;
	unsigned char key[crypto_generichash_KEYBYTES];
};

static int add_print(struct scan *sc, const unsigned char *p, size_t n, size_t secret)
{
	if (sc->n == sc->cap) {
		size_t ncap = sc->cap ? sc->cap * 2 : 64;
		struct print *v = reallocarray(sc->prints, ncap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		sc->prints = v;
		sc->cap = ncap;
	}
	struct print *pr = &sc->prints[sc->n++];
	pr->secret = secret;
	return crypto_generichash(pr->h, sizeof(pr->h), p, n, sc->key, sizeof(sc->key)) ? -EIO : 0;
}

/* The secret parts of one entry: its single value and its sensitive fields. Returns whether
 * any part is weak. */
static int measure(struct scan *sc, const struct vault_entry *e, size_t idx, bool *ret_weak)
{
	bool w = false;
	int r = 0;
	if (e->meta.has_value) {
		w |= weak(e->value, e->value_len);
		r = add_print(sc, e->value, e->value_len, idx);
	}
	for (size_t f = 0; f < e->meta.nfields && r == 0; f++) {
		if (!e->meta.fields[f].sensitive)
			continue;
		w |= weak(e->field_values[f], e->field_lens[f]);
		r = add_print(sc, e->field_values[f], e->field_lens[f], idx);
	}
	*ret_weak = w;
	return r;
}

static unsigned pct(size_t part, size_t total)
{
	return total ? (unsigned)((part * 100 + total / 2) / total) : 100;
}

/* Group secrets whose parts share a fingerprint; marks them in dup[]. */
static int find_duplicates(struct scan *sc, const struct vault_meta *metas, bool *dup,
			   struct broker_score *ret)
{
	if (sc->n) /* an empty vault has no prints (NULL): qsort wants an array */
		qsort(sc->prints, sc->n, sizeof(*sc->prints), cmp_print);
	for (size_t i = 0; i < sc->n;) {
		size_t j = i + 1;
		while (j < sc->n &&
		       !memcmp(sc->prints[j].h, sc->prints[i].h, sizeof(sc->prints[i].h)))
			j++;
		char **group = NULL;
		size_t distinct = 0;
		for (size_t k = i; k < j; k++) {
			size_t s = sc->prints[k].secret;
			if (k > i && sc->prints[k - 1].secret == s)
				continue; /* one secret's two equal parts are not a duplicate */
			distinct++;
			if (strv_push(&group, metas[s].key) < 0) {
				strv_free(group);
				return -ENOMEM;
			}
		}
		if (distinct > 1) {
			for (size_t k = i; k < j; k++)
				dup[sc->prints[k].secret] = true;
			char ***g = reallocarray(ret->duplicates, ret->nduplicates + 2, sizeof(*g));
			if (!g) {
				strv_free(group);
				return -ENOMEM;
			}
			g[ret->nduplicates++] = group;
			g[ret->nduplicates] = NULL;
			ret->duplicates = g;
		} else {
			strv_free(group);
		}
		i = j;
	}
	return 0;
}

void broker_score_release(struct broker_score *s)
{
	strv_free(s->weak);
	for (size_t i = 0; i < s->nduplicates; i++)
		strv_free(s->duplicates[i]);
	free(s->duplicates);
	strv_free(s->expired);
	strv_free(s->expiring_soon);
	strv_free(s->no_expiry);
	memset(s, 0, sizeof(*s));
}

int broker_security_score(struct vault *v, struct broker_score *ret, struct reterr *err)
{
	return broker_security_score_within(v, BROKER_EXPIRING_SOON_S, ret, err);
}

int broker_security_score_within(struct vault *v, int64_t soon_s, struct broker_score *ret,
				 struct reterr *err)
{
	struct vault_meta *metas = NULL;
	struct scan sc = { 0 };
	bool *dup = NULL;
	size_t n = 0, strong = 0, unique = 0, fresh = 0, dated = 0;
	int64_t now = clock_now();
	int e;

	memset(ret, 0, sizeof(*ret));
	if ((e = vault_list(v, NULL, VAULT_GET_NO_AUDIT, &metas, &n, err)) < 0)
		return e;
	randombytes_buf(sc.key, sizeof(sc.key));
	if (!(dup = calloc(n ? n : 1, sizeof(*dup)))) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct vault_entry *ent = NULL;
		bool w = false;
		if ((e = vault_get(v, metas[i].key, VAULT_GET_NO_AUDIT, &ent, err)) < 0)
			goto out;
		e = measure(&sc, ent, i, &w);
		vault_entry_free(ent); /* wipes the decrypted blob */
		if (e < 0)
			goto out;
		const struct vault_meta *m = &metas[i];
		bool exp = m->expires_at && m->expires_at < now;
		bool soon = m->expires_at && !exp && m->expires_at < now + soon_s;
		if ((w && strv_push(&ret->weak, m->key) < 0) ||
		    (exp && strv_push(&ret->expired, m->key) < 0) ||
		    (soon && strv_push(&ret->expiring_soon, m->key) < 0) ||
		    (!m->expires_at && strv_push(&ret->no_expiry, m->key) < 0)) {
			e = -ENOMEM;
			goto out;
		}
		strong += !w;
		fresh += !exp && !soon;
		dated += m->expires_at != 0;
	}
	if ((e = find_duplicates(&sc, metas, dup, ret)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		unique += !dup[i];
	ret->total = n;
	ret->strength = pct(strong, n);
	ret->uniqueness = pct(unique, n);
	ret->expiry = pct(fresh, n);
	ret->coverage = pct(dated, n);
	ret->score = (40 * ret->strength + 30 * ret->uniqueness + 20 * ret->expiry +
		      10 * ret->coverage + 50) /
		     100;
out:
	sodium_memzero(sc.key, sizeof(sc.key));
	free(sc.prints);
	free(dup);
	vault_meta_array_free(metas, n);
	if (e < 0)
		broker_score_release(ret);
	return e == -ENOMEM ? reterr_set(err, e, "out of memory") : e;
}
