/* SPDX-License-Identifier: Apache-2.0 */
/* vault session keys: a copy of an unlocked vault's keys for the session agent, which unlocks
 * later handles with them instead of the password (checked against the header they came from),
 * proves with them that a client knows the password, and reports the vault's facts. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

/* The proof key is one more subkey of the data key, derived only here (docs/vault-format.md):
 * nothing else is made with it, so a proof can never be replayed as anything else. */
#define PROOF_SUBKEY_ID 64
#define PROOF_DOMAIN "sctl-agent-proof-v1"
#define KEYS_AREA ((size_t)VK_COUNT * VAULT_KEY_BYTES)

struct vault_keys {
	/* VK_COUNT keys (slot VK_DATA the data key), then the proof key: one secure region. */
	struct secret *keys;
	unsigned char vault_id[VAULT_ID_BYTES];
	unsigned char header[crypto_generichash_BYTES];
};

struct vault_keys *vault_keys_free(struct vault_keys *k)
{
	if (!k)
		return NULL;
	secret_free(k->keys);
	sodium_memzero(k, sizeof(*k));
	free(k);
	return NULL;
}

int vault_keys_export(struct vault *v, struct vault_keys **ret, struct reterr *err)
{
	struct vault_header h;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_header_load(v, &h, err)) < 0)
		return r;
	struct vault_keys *k = calloc(1, sizeof(*k));
	if (!k || !(k->keys = secret_new(KEYS_AREA + VAULT_KEY_BYTES))) {
		vault_keys_free(k);
		return reterr_set(err, -ENOMEM, "out of secure memory (check 'ulimit -l')");
	}
	memcpy(k->keys->data, v->keys->data, KEYS_AREA);
	crypto_kdf_derive_from_key(k->keys->data + KEYS_AREA, VAULT_KEY_BYTES, PROOF_SUBKEY_ID,
				   VAULT_KDF_CONTEXT, v->keys->data);
	k->keys->len = KEYS_AREA + VAULT_KEY_BYTES;
	memcpy(k->vault_id, v->vault_id, VAULT_ID_BYTES);
	vault_header_digest(&h, k->header);
	*ret = k;
	return 0;
}

/* The read transaction of unlocking: the head and every row against the manifest. */
static int verify(struct vault *v, struct reterr *err)
{
	struct vault_state st;
	int r = vdb_exec(v, "BEGIN", err);
	if (r < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) == 0)
		r = vault_manifest_check(v, &st, err);
	vdb_rollback(v);
	return r;
}

int vault_unlock_with_keys(struct vault *v, const struct vault_keys *k, struct reterr *err)
{
	struct vault_header h;
	unsigned char digest[crypto_generichash_BYTES];
	if (!v || !v->db || !k)
		return reterr_set(err, -EINVAL, "no vault open");
	int r = vault_header_load(v, &h, err);
	if (r < 0)
		return r;
	vault_header_digest(&h, digest);
	if (sodium_memcmp(h.vault_id, k->vault_id, VAULT_ID_BYTES) != 0 ||
	    sodium_memcmp(v->vault_id, k->vault_id, VAULT_ID_BYTES) != 0 ||
	    sodium_memcmp(digest, k->header, sizeof(digest)) != 0)
		return reterr_set(
			err, -ESTALE,
			"the vault in %s was replaced or its password changed since it was "
			"unlocked",
			v->dir);
	struct secret *keys = secret_from(k->keys->data, KEYS_AREA);
	if (!keys)
		return reterr_set(err, -ENOMEM, "out of secure memory (check 'ulimit -l')");
	secret_free(v->keys);
	v->keys = keys;
	v->unlocked = false;
	if ((r = verify(v, err)) < 0) {
		v->keys = secret_free(v->keys);
		return r;
	}
	v->unlocked = true;
	return 0;
}

void vault_keys_proof(const struct vault_keys *k, const void *msg, size_t len,
		      unsigned char out[VAULT_PROOF_BYTES])
{
	crypto_auth_hmacsha512256_state s;
	crypto_auth_hmacsha512256_init(&s, k->keys->data + KEYS_AREA, VAULT_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&s, (const unsigned char *)PROOF_DOMAIN,
					 sizeof(PROOF_DOMAIN) - 1);
	crypto_auth_hmacsha512256_update(&s, k->vault_id, VAULT_ID_BYTES);
	crypto_auth_hmacsha512256_update(&s, msg, len);
	crypto_auth_hmacsha512256_final(&s, out);
	sodium_memzero(&s, sizeof(s));
}

bool vault_keys_proof_check(const struct vault_keys *k, const void *msg, size_t len,
			    const unsigned char proof[VAULT_PROOF_BYTES])
{
	unsigned char want[VAULT_PROOF_BYTES];
	vault_keys_proof(k, msg, len, want);
	bool ok = sodium_memcmp(want, proof, VAULT_PROOF_BYTES) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

static const char *kdf_name(const struct vault_kdf_params *p)
{
	static const struct {
		enum vault_kdf kdf;
		const char *name;
	} profiles[] = {
		{ VAULT_KDF_TEST, "test" },
		{ VAULT_KDF_INTERACTIVE, "interactive" },
		{ VAULT_KDF_MODERATE, "moderate" },
		{ VAULT_KDF_SENSITIVE, "sensitive" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++) {
		struct vault_kdf_params q = vault_kdf_profile(profiles[i].kdf);
		if (q.alg == p->alg && q.ops == p->ops && q.mem == p->mem)
			return profiles[i].name;
	}
	return "custom";
}

int vault_stat(struct vault *v, struct vault_stat *ret, struct reterr *err)
{
	struct vault_header h;
	struct vault_state st;
	int r = vault_require_unlocked(v, err);
	if (r < 0 || (r = vault_header_load(v, &h, err)) < 0 || (r = vdb_exec(v, "BEGIN", err)) < 0)
		return r;
	r = vault_state_load(v, &st, err);
	vdb_rollback(v);
	if (r < 0)
		return r;
	ret->kdf = kdf_name(&h.kdf);
	ret->kdf_mem = h.kdf.mem;
	ret->secrets = st.count;
	return 0;
}
