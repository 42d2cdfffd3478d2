/* SPDX-License-Identifier: Apache-2.0 */
/* vault unlock: the cooldown check, the KDF, the password verifier, then the full integrity check
 * (head and manifest) before the handle holds usable keys; and the audit of all of it. */
#include "vault/vault-internal.h"

#include <errno.h>

int vault_unlock(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
		 struct reterr *err)
{
	struct vault_header h;
	struct secret *keys = NULL, *kek = NULL;
	int64_t failures, wait;
	int r = vault_cooldown_read(v, &failures, &wait, err);
	if (r < 0)
		return r;
	if (ret_wait_s)
		*ret_wait_s = wait;
	if (wait > 0)
		return reterr_set(err, -EAGAIN,
				  "too many failed unlock attempts (%lld): try again in %lld s",
				  (long long)failures, (long long)wait);
	if ((r = vault_header_load(v, &h, err)) < 0)
		return r;
	if (sodium_memcmp(h.vault_id, v->vault_id, VAULT_ID_BYTES) != 0)
		return reterr_set(err, -EBADMSG, "vault header changed while open");
	keys = vault_keys_new();
	kek = secret_new(VAULT_KEY_BYTES);
	if (!keys || !kek) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	bool ok = false;
	if (password && password->len >= 1 && password->len <= VAULT_PASSWORD_MAX) {
		if ((r = vault_kdf_derive(&h.kdf, h.salt, password, kek->data, err)) < 0)
			goto out;
		ok = vault_header_unwrap(&h, kek->data, keys->data);
	}
	if (!ok) {
		r = vault_failure_record(v, "wrong password", true, err);
		if (r < 0)
			goto out;
		(void)vault_cooldown_read(v, &failures, &wait, NULL);
		if (ret_wait_s)
			*ret_wait_s = wait;
		if (wait > 0)
			r = reterr_set(err, -EKEYREJECTED,
				       "wrong password (%lld failed attempts: next try in %lld s)",
				       (long long)failures, (long long)wait);
		else
			r = reterr_set(err, -EKEYREJECTED, "wrong password");
		goto out;
	}
	struct secret *old = v->keys;
	v->keys = keys;
	keys = NULL;
	vault_keys_derive(v);
	struct vault_state st;
	if ((r = vdb_begin(v, err)) < 0)
		goto fail;
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = vault_manifest_check(v, &st, err)) < 0 ||
	    (r = vault_failures_flush(v, &st, err)) < 0)
		goto fail;
	struct audit_event ev = { .action = "vault.unlock", .success = true };
	if ((r = audit_append_locked(v, &st, &ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto fail;
	secret_free(old);
	v->unlocked = true;
	if (ret_wait_s)
		*ret_wait_s = 0;
	r = 0;
	goto out;
fail:
	vdb_rollback(v);
	/* Integrity failure with the right password: keep the handle locked, old keys (if any)
	 * stay wiped too, nothing can be read from a vault that does not verify. */
	secret_free(v->keys);
	secret_free(old);
	v->keys = NULL;
	v->unlocked = false;
out:
	secret_free(keys);
	secret_free(kek);
	return r;
}
