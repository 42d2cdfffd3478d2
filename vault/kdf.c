/* SPDX-License-Identifier: Apache-2.0 */
/* vault key derivation: the Argon2id profiles that turn the master password into the key that
 * wraps the data key (and the bounds a stored header must respect), and the data key's subkeys. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

/* ---- password KDF profiles ------------------------------------------------------------------- */

/* The TEST profile: the least Argon2id a header may ask for (1 pass, 8 MiB). */
#define KDF_TEST_OPS 1
#define KDF_TEST_MEM (8u << 20)
/* The most passes a header may ask for: SENSITIVE uses 4; more is a forged header making every
 * unlock attempt expensive. Memory is bounded by SENSITIVE's own limit. */
#define KDF_OPS_MAX 32

struct vault_kdf_params vault_kdf_profile(enum vault_kdf kdf)
{
	struct vault_kdf_params p = { crypto_pwhash_ALG_ARGON2ID13, 0, 0 };
	switch (kdf) {
	case VAULT_KDF_TEST:
		p.ops = KDF_TEST_OPS;
		p.mem = KDF_TEST_MEM;
		break;
	case VAULT_KDF_INTERACTIVE:
		p.ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		p.mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	case VAULT_KDF_SENSITIVE:
		p.ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		p.mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		break;
	case VAULT_KDF_MODERATE:
	default:
		p.ops = crypto_pwhash_OPSLIMIT_MODERATE;
		p.mem = crypto_pwhash_MEMLIMIT_MODERATE;
		break;
	}
	return p;
}

int vault_kdf_parse(const char *s, enum vault_kdf *ret)
{
	static const struct {
		const char *name;
		enum vault_kdf kdf;
	} names[] = {
		{ "test", VAULT_KDF_TEST },
		{ "interactive", VAULT_KDF_INTERACTIVE },
		{ "moderate", VAULT_KDF_MODERATE },
		{ "sensitive", VAULT_KDF_SENSITIVE },
	};
	for (size_t i = 0; s && i < ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*ret = names[i].kdf;
			return 0;
		}
	}
	return -EINVAL;
}

/* The header is hostile input too: bound what a forged header may make the KDF spend. */
bool vault_kdf_params_sane(const struct vault_kdf_params *p)
{
	return p->alg == crypto_pwhash_ALG_ARGON2ID13 && p->ops >= KDF_TEST_OPS &&
	       p->ops <= KDF_OPS_MAX && p->mem >= KDF_TEST_MEM &&
	       p->mem <= crypto_pwhash_MEMLIMIT_SENSITIVE;
}

int vault_kdf_derive(const struct vault_kdf_params *p, const unsigned char salt[VAULT_SALT_BYTES],
		     const struct secret *password, unsigned char *kek, struct reterr *err)
{
	if (crypto_pwhash(kek, VAULT_KEY_BYTES, (const char *)password->data, password->len, salt,
			  p->ops, (size_t)p->mem, p->alg) != 0)
		return reterr_set(err, -ENOMEM,
				  "key derivation failed (not enough memory for %llu MiB?)",
				  (unsigned long long)(p->mem >> 20));
	return 0;
}

/* ---- the data key's subkeys ------------------------------------------------------------------ */

/* Derive the subkeys from the data key in slot VK_DATA. */
void vault_keys_derive(struct vault *v)
{
	unsigned char *base = v->keys->data;
	for (int k = VK_RECORD; k < VK_DERIVED_END; k++)
		crypto_kdf_derive_from_key(base + (size_t)k * VAULT_KEY_BYTES, VAULT_KEY_BYTES,
					   (uint64_t)k, VAULT_KDF_CONTEXT, base);
}

struct secret *vault_keys_new(void)
{
	struct secret *s = secret_new((size_t)VK_COUNT * VAULT_KEY_BYTES);
	if (s)
		s->len = (size_t)VK_COUNT * VAULT_KEY_BYTES;
	return s;
}
