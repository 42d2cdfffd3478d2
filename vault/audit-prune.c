/* SPDX-License-Identifier: Apache-2.0 */
/* vault audit prune: remove the oldest audit entries behind an authenticated checkpoint, so the
 * log stays bounded and `audit verify` still checks everything that is left. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The last seq of the run of entries older than before at the start of the chain (0: none),
 * and that entry's chain MAC. */
static int prune_point(struct vault *v, int64_t before, uint64_t *ret_seq,
		       unsigned char mac[VAULT_MAC_BYTES], struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vdb_prepare(v,
			    "SELECT seq, mac FROM audit WHERE seq < coalesce("
			    "(SELECT min(seq) FROM audit WHERE ts >= ?1), "
			    "(SELECT max(seq) + 1 FROM audit)) ORDER BY seq DESC LIMIT 1",
			    &q, err);
	if (r < 0)
		return r;
	int rc = sqlite3_bind_int64(q, 1, before);
	int64_t seq = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		r = 0;
	} else if (rc != SQLITE_ROW) {
		r = vdb_fail(v, rc, err, "reading the audit log");
	} else if (vdb_col_i64(q, 0, &seq) < 0 || seq < 1 ||
		   vdb_col_blob_exact(q, 1, mac, VAULT_MAC_BYTES) < 0) {
		r = reterr_set(err, -EBADMSG,
			       "an audit entry is malformed: run `secretctl audit "
			       "verify`");
	}
	sqlite3_finalize(q);
	if (r == 0)
		*ret_seq = (uint64_t)seq;
	return r;
}

/* Store the checkpoint and delete the entries it vouches for. */
static int prune_cut(struct vault *v, const struct vault_checkpoint *ck, struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	int r = vault_checkpoint_store(v, ck, err);
	if (r < 0 || (r = vdb_prepare(v, "DELETE FROM audit WHERE seq <= ?", &q, err)) < 0)
		return r;
	int rc = sqlite3_bind_int64(q, 1, (int64_t)ck->seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : vdb_fail(v, rc, err, "removing audit entries");
}

static int prune_apply(struct vault *v, struct vault_state *st, const struct vault_checkpoint *ck,
		       uint64_t removed, int64_t before, struct reterr *err)
{
	char detail[160];
	int r = prune_cut(v, ck, err);
	if (r < 0)
		return r;
	(void)snprintf(detail, sizeof(detail),
		       "{\"removed\":%llu,\"through_seq\":%llu,\"older_than\":%lld}",
		       (unsigned long long)removed, (unsigned long long)ck->seq, (long long)before);
	struct audit_event ev = { .action = "audit.prune", .success = true, .detail = detail };
	return audit_append_locked(v, st, &ev, ck->pruned_at, v->source, err);
}

int vault_audit_cut_locked(struct vault *v, struct vault_state *st, const struct audit_event *ev,
			   struct reterr *err)
{
	struct vault_checkpoint ck = { .seq = st->seq, .pruned_at = clock_now() };
	memcpy(ck.mac, st->last_mac, VAULT_MAC_BYTES);
	int r = audit_append_locked(v, st, ev, ck.pruned_at, v->source, err);
	return r < 0 ? r : prune_cut(v, &ck, err);
}

int audit_prune(struct vault *v, int64_t before, bool dry_run, struct audit_prune_result *ret,
		struct reterr *err)
{
	struct vault_state st;
	struct vault_checkpoint old, ck = { 0 };
	uint64_t verified = 0;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if ((r = vdb_begin(v, err)) < 0)
		return r;
	/* Verified inside the write transaction: nothing can change between the check and the
	 * cut, and the checkpoint only ever vouches for a chain that verified. */
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = vault_audit_verify_locked(v, &verified, NULL, err)) < 0 ||
	    (r = vault_checkpoint_load(v, &old, err)) < 0 ||
	    (r = prune_point(v, before, &ck.seq, ck.mac, err)) < 0)
		goto fail;
	struct audit_prune_result res = { 0 };
	if (ck.seq > old.seq) {
		res.removed = ck.seq - old.seq;
		res.through_seq = ck.seq;
	}
	if (dry_run || res.removed == 0) {
		vdb_rollback(v);
		*ret = res;
		return 0;
	}
	ck.pruned_at = clock_now();
	if ((r = prune_apply(v, &st, &ck, res.removed, before, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0)
		goto fail;
	*ret = res;
	return 0;
fail:
	vdb_rollback(v);
	return r;
}
