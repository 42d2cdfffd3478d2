/* SPDX-License-Identifier: Apache-2.0 */
/* vault master password: its length rules, and changing it (the data key is rewrapped under the
 * new password's key, from its NFC form; nothing else is re-encrypted; the current password is
 * refused as the new one). */
#include "vault/vault-internal.h"

#include <errno.h>

int vault_password_check(const struct secret *pw, struct reterr *err)
{
	if (!pw || pw->len < VAULT_PASSWORD_MIN)
		return reterr_set(err, -EINVAL, "password too short (at least %d characters)",
				  VAULT_PASSWORD_MIN);
	if (pw->len > VAULT_PASSWORD_MAX)
		return reterr_set(err, -E2BIG, "password too long (at most %d characters)",
				  VAULT_PASSWORD_MAX);
	return 0;
}

/* Whether new_password (either form) is the one that unlocked v: compared through tags keyed with
 * the data key, so the handle never keeps the password itself. */
static bool same_password(const struct vault *v, const struct secret *raw, const struct secret *nfc)
{
	unsigned char tag[VAULT_KEY_BYTES];
	const unsigned char *have = vault_key(v, VK_PASSWORD_TAG);
	bool same = false;
	const struct secret *forms[] = { raw, nfc };
	for (size_t i = 0; i < ARRAY_SIZE(forms) && !same; i++) {
		if (!forms[i])
			continue;
		vault_password_tag(vault_key(v, VK_DATA), forms[i], tag);
		same = sodium_memcmp(tag, have, sizeof(tag)) == 0;
	}
	sodium_memzero(tag, sizeof(tag));
	return same;
}

static int rewrap(struct vault *v, struct vault_header *h, const struct secret *form,
		  enum vault_kdf kdf, struct reterr *err)
{
	struct secret *kek = secret_new(VAULT_KEY_BYTES);
	if (!kek)
		return reterr_set(err, -ENOMEM, "out of memory");
	h->kdf = vault_kdf_profile(kdf);
	int r = vault_header_wrap(h, form, vault_key(v, VK_DATA), kek->data, err);
	secret_free(kek);
	return r;
}

int vault_change_password(struct vault *v, const struct secret *new_password, enum vault_kdf kdf,
			  struct reterr *err)
{
	struct vault_header h;
	struct vault_state st;
	struct secret *nfc = NULL;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_password_check(new_password, err)) < 0)
		return r;
	if ((unsigned)kdf > VAULT_KDF_SENSITIVE)
		return reterr_set(err, -EINVAL, "unknown KDF profile");
	if ((r = vault_header_load(v, &h, err)) < 0)
		return r;
	if ((r = vault_password_nfc(new_password, &nfc)) < 0)
		return reterr_set(err, r, "out of memory");
	if (same_password(v, new_password, nfc)) {
		secret_free(nfc);
		return reterr_set(err, -EEXIST, "the new password is the current one");
	}
	const struct secret *form = nfc ? nfc : new_password;
	struct audit_event ev = { .action = "vault.password", .success = true };
	/* KDF before taking the write lock: other writers are not held up for its duration. */
	if ((r = rewrap(v, &h, form, kdf, err)) < 0 || (r = vdb_begin(v, err)) < 0)
		goto out;
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = vault_header_store(v, &h, false, err)) < 0 ||
	    (r = vault_header_sum_store(v, &h, err)) < 0 ||
	    (r = audit_append_locked(v, &st, &ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto out;
	vault_password_tag(vault_key(v, VK_DATA), form,
			   v->keys->data + (size_t)VK_PASSWORD_TAG * VAULT_KEY_BYTES);
out:
	vdb_rollback(v); /* no-op after a commit */
	secret_free(nfc);
	return r;
}
