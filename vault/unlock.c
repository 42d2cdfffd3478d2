/* SPDX-License-Identifier: Apache-2.0 */
/* vault unlock: the cooldown check, the KDF (the password's NFC form, then its raw bytes), the
 * password verifier (told apart from a damaged header), then the full integrity check (head and
 * manifest) before the handle holds usable keys. Failures are queued for the audit log; a
 * successful unlock writes only what is owed (queued failures, the header checksum), so that the
 * read-only commands write nothing and the others fold the unlock into their own entry. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>

static int refuse_cooldown(struct vault *v, int64_t failures, int64_t wait, struct reterr *err)
{
	/* Not counted (the KDF never ran), but recorded: a refusal is an attempt too. */
	(void)vault_failure_record(v, "refused: cooldown", false, NULL);
	return reterr_set(err, -EAGAIN,
			  "too many failed unlock attempts (%lld): try again in %lld s",
			  (long long)failures, (long long)wait);
}

/* Unwrap the data key into keys with the password's NFC form (what create and password store),
 * then its raw bytes when they differ (vaults made before passwords were normalised). 1 with
 * the tag of the form that worked in keys' VK_PASSWORD_TAG slot, 0 when neither unwraps. */
static int try_password(const struct vault_header *h, const struct secret *password,
			struct secret *kek, struct secret *keys, struct reterr *err)
{
	struct secret *nfc = NULL;
	int r = 0;
	if (!password || password->len < 1 || password->len > VAULT_PASSWORD_MAX)
		return 0;
	if ((r = vault_password_nfc(password, &nfc)) < 0)
		return reterr_set(err, r, "out of memory");
	const struct secret *forms[] = { nfc ? nfc : password, nfc ? password : NULL };
	r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(forms) && forms[i] && r == 0; i++) {
		if ((r = vault_kdf_derive(&h->kdf, h->salt, forms[i], kek->data, err)) < 0)
			break;
		if (vault_header_unwrap(h, kek->data, keys->data)) {
			vault_password_tag(keys->data, forms[i],
					   keys->data + (size_t)VK_PASSWORD_TAG * VAULT_KEY_BYTES);
			r = 1;
		}
	}
	secret_free(nfc);
	return r;
}

static int wrong_password(struct vault *v, const struct vault_header *h, int64_t *ret_wait_s,
			  struct reterr *err)
{
	int64_t failures = 0, wait = 0;
	int r = vault_header_sum_check(v, h, err);
	if (r == -EBADMSG) {
		(void)vault_failure_record(v, "damaged vault header", false, NULL);
		return r;
	}
	r = vault_failure_record(v, "wrong password", true, err);
	if (r < 0 && !v->readonly)
		return r;
	const char *unrecorded = r < 0 ? "; the attempt could not be recorded: the vault is "
					 "read-only"
				       : "";
	(void)vault_cooldown_read(v, &failures, &wait, NULL);
	if (ret_wait_s)
		*ret_wait_s = wait;
	if (wait > 0)
		return reterr_set(err, -EKEYREJECTED,
				  "wrong password (%lld failed attempts: next try in %lld s%s)",
				  (long long)failures, (long long)wait, unrecorded);
	return reterr_set(err, -EKEYREJECTED, "wrong password%s", unrecorded);
}

/* The keys of v from the password: cooldown, KDF, verifier. On success v->keys holds the data
 * key and its subkeys (v is not unlocked yet: nothing has been checked but the password). */
int vault_unlock_keys(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
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
		return refuse_cooldown(v, failures, wait, err);
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
	if ((r = try_password(&h, password, kek, keys, err)) < 0)
		goto out;
	if (r == 0) {
		r = wrong_password(v, &h, ret_wait_s, err);
		goto out;
	}
	if ((r = vault_failures_pending(v, &v->failures_seen, &v->failures_last, err)) < 0)
		goto out;
	secret_free(v->keys);
	v->keys = keys;
	keys = NULL;
	vault_keys_derive(v);
	v->unlocked = false;
	r = 0;
out:
	secret_free(keys);
	secret_free(kek);
	return r;
}

/* What a successful unlock owes the file: the queued failures moved into the audit log, and the
 * header's checksum for a vault made before it existed. */
static int unlock_owes(struct vault *v, struct reterr *err)
{
	struct vault_header h;
	int64_t failures = 0, wait;
	if (v->readonly)
		return 0;
	int r = vault_cooldown_read(v, &failures, &wait, err);
	if (r < 0)
		return r;
	if (v->failures_seen > 0 || failures > 0)
		return 1;
	r = vault_header_load(v, &h, err);
	if (r == 0)
		r = vault_header_sum_check(v, &h, err);
	return r == 1 ? 0 : r == 0 || r == -EBADMSG ? 1 : r;
}

/* err says the vault failed its check: add the rows that do not authenticate, by name where it
 * still decrypts, and what to do. */
static void damaged(struct vault *v, struct reterr *err)
{
	char rows[RETERR_MSG_MAX], msg[RETERR_MSG_MAX];
	if (!err)
		return;
	snprintf(msg, sizeof(msg), "%s", err->msg);
	if (vault_damage_summary(v, rows, sizeof(rows)) < 0)
		rows[0] = '\0';
	/* The advice first: a long list of rows may be cut at the message's end. */
	reterr_set(err, -EBADMSG,
		   "%s (`secretctl recover --dry-run` reports what is intact, `secretctl recover` "
		   "rebuilds the vault from it)%s%s",
		   msg, rows[0] ? ": " : "", rows);
}

/* The integrity check (head, manifest over every row), in a read transaction, or in a write
 * transaction with what the unlock owes. */
static int unlock_check(struct vault *v, struct reterr *err)
{
	struct vault_state st;
	struct vault_header h;
	int owes = unlock_owes(v, err);
	if (owes < 0)
		return owes;
	int r = owes ? vdb_begin(v, err) : vdb_exec(v, "BEGIN", err);
	if (r < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = vault_manifest_check(v, &st, err)) < 0) {
		if (r == -EBADMSG)
			damaged(v, err);
		goto out;
	}
	if (owes && ((r = vault_failures_flush(v, &st, err)) < 0 ||
		     (r = vault_header_load(v, &h, err)) < 0 ||
		     (r = vault_header_sum_store(v, &h, err)) < 0 || (r = vdb_commit(v, err)) < 0))
		goto out;
out:
	vdb_rollback(v); /* the read transaction, or a failed write; no-op after a commit */
	return r;
}

int vault_unlock(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
		 struct reterr *err)
{
	int r = vault_unlock_keys(v, password, ret_wait_s, err);
	if (r < 0)
		return r;
	if ((r = unlock_check(v, err)) < 0) {
		/* Integrity failure with the right password: nothing can be read from a vault
		 * that does not verify; the keys are wiped, the handle stays locked. */
		v->keys = secret_free(v->keys);
		return r;
	}
	v->unlocked = true;
	v->audit_owed = !v->readonly;
	if (ret_wait_s)
		*ret_wait_s = 0;
	return 0;
}

void vault_unlock_failures(const struct vault *v, unsigned *ret_count, int64_t *ret_last)
{
	uint64_t n = v && v->unlocked ? v->failures_seen : 0;
	*ret_count = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	*ret_last = n ? v->failures_last : 0;
}

int vault_audit_unlock(struct vault *v, struct reterr *err)
{
	if (!v || !v->unlocked || !v->audit_owed)
		return 0;
	struct audit_event ev = { .action = "vault.unlock", .success = true };
	return audit_append(v, &ev, err);
}
