/* SPDX-License-Identifier: Apache-2.0 */
/* vault master password: its length rules, and changing it (the data key is rewrapped under the
 * new password's key; nothing else is re-encrypted). */
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

int vault_change_password(struct vault *v, const struct secret *new_password, enum vault_kdf kdf,
			  struct reterr *err)
{
	struct vault_header h;
	struct vault_state st;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vault_password_check(new_password, err)) < 0)
		return r;
	if ((unsigned)kdf > VAULT_KDF_SENSITIVE)
		return reterr_set(err, -EINVAL, "unknown KDF profile");
	if ((r = vault_header_load(v, &h, err)) < 0)
		return r;
	struct secret *kek = secret_new(VAULT_KEY_BYTES);
	if (!kek)
		return reterr_set(err, -ENOMEM, "out of memory");
	/* KDF before taking the write lock: other writers are not held up for its duration. */
	h.kdf = vault_kdf_profile(kdf);
	r = vault_header_wrap(&h, new_password, vault_key(v, VK_DATA), kek->data, err);
	secret_free(kek);
	if (r < 0)
		return r;
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	struct audit_event ev = { .action = "vault.password", .success = true };
	if ((r = vault_state_load(v, &st, err)) < 0 || (r = vault_header_store(v, &h, false, err)) < 0 ||
	    (r = audit_append_locked(v, &st, &ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0) {
		vdb_rollback(v);
		return r;
	}
	return 0;
}
