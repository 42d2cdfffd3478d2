/* SPDX-License-Identifier: Apache-2.0 */
/* vault audit log: encrypted entries in an HMAC chain; every append also rewrites the
 * authenticated head (head.c) that binds the chain's tail to the secrets manifest. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define AUDIT_CODEC_VERSION 1
#define AUDIT_ACTION_MAX 64
#define AUDIT_AD_BYTES (VAULT_AD_BEGIN_BYTES(VAULT_DOMAIN_AUDIT_AD) + 8 + 8)

/* ---- entry encoding --------------------------------------------------------------------------- */

static int put_field(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	unsigned char t[4];
	vault_le32(t, (uint32_t)n);
	int r = buf_append(b, t, 4);
	return r < 0 ? r : buf_append(b, s ? s : "", n);
}

static void entry_ad(const struct vault *v, uint64_t seq, int64_t ts,
		     unsigned char ad[AUDIT_AD_BYTES])
{
	unsigned char *p =
		VAULT_AD_BEGIN(ad, VAULT_DOMAIN_AUDIT_AD, (uint32_t)VAULT_FORMAT, v->vault_id);
	vault_le64(p, seq);
	vault_le64(p + 8, (uint64_t)ts);
}

/* Chain MAC: the entry's identity (seq, ts), its length-prefixed fields (the plaintext payload
 * is exactly that encoding) and the previous entry's MAC. */
static void entry_mac(const struct vault *v, uint64_t seq, int64_t ts, const unsigned char *pt,
		      size_t ptlen, const unsigned char prev[VAULT_MAC_BYTES],
		      unsigned char out[VAULT_MAC_BYTES])
{
	crypto_auth_hmacsha512256_state s;
	unsigned char b[8];
	crypto_auth_hmacsha512256_init(&s, vault_key(v, VK_AUDIT_MAC), VAULT_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&s, (const unsigned char *)VAULT_DOMAIN_AUDIT_MAC,
					 VAULT_DOMAIN_LEN(VAULT_DOMAIN_AUDIT_MAC));
	crypto_auth_hmacsha512256_update(&s, v->vault_id, VAULT_ID_BYTES);
	vault_le64(b, seq);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	vault_le64(b, (uint64_t)ts);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	vault_le64(b, ptlen);
	crypto_auth_hmacsha512256_update(&s, b, 8);
	crypto_auth_hmacsha512256_update(&s, pt, ptlen);
	crypto_auth_hmacsha512256_update(&s, prev, VAULT_MAC_BYTES);
	crypto_auth_hmacsha512256_final(&s, out);
	sodium_memzero(&s, sizeof(s));
}

int vault_audit_payload_encode(const struct audit_event *ev, const char *source, struct buf *out)
{
	int r;
	if ((r = buf_putc(out, AUDIT_CODEC_VERSION)) < 0 || (r = put_field(out, ev->action)) < 0 ||
	    (r = put_field(out, source)) < 0 || (r = put_field(out, ev->keys)) < 0 ||
	    (r = put_field(out, ev->command)) < 0 || (r = buf_putc(out, ev->success ? 1 : 0)) < 0 ||
	    (r = put_field(out, ev->error)) < 0 || (r = put_field(out, ev->detail)) < 0)
		return r;
	return 0;
}

static int event_check(const struct audit_event *ev, const char *source, struct reterr *err)
{
	size_t n = ev->action ? strlen(ev->action) : 0;
	if (n == 0 || n > AUDIT_ACTION_MAX)
		return reterr_set(err, -EINVAL, "audit action must be 1..%d characters",
				  AUDIT_ACTION_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = ev->action[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return reterr_set(err, -EINVAL, "audit action has an invalid character");
	}
	const char *texts[] = { ev->keys, ev->command, ev->error, ev->detail, source };
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		if (texts[i] && strlen(texts[i]) > AUDIT_FIELD_MAX)
			return reterr_set(err, -E2BIG,
					  "audit event field too long (limit %d bytes)",
					  AUDIT_FIELD_MAX);
	return 0;
}

static int append_one(struct vault *v, struct vault_state *st, const struct audit_event *ev,
		      int64_t ts, const char *source, struct reterr *err)
{
	struct buf pt = BUF_INIT;
	unsigned char *ct = NULL;
	sqlite3_stmt *q = NULL;
	unsigned char nonce[VAULT_NONCE_BYTES], ad[AUDIT_AD_BYTES], mac[VAULT_MAC_BYTES];
	int r = event_check(ev, source, err);
	if (r < 0)
		return r;
	if (st->seq >= INT64_MAX)
		return reterr_set(err, -EOVERFLOW, "audit sequence overflow");
	uint64_t seq = st->seq + 1;
	if ((r = vault_audit_payload_encode(ev, source, &pt)) < 0 ||
	    !(ct = malloc(pt.len + VAULT_TAG_BYTES))) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	randombytes_buf(nonce, sizeof(nonce));
	entry_ad(v, seq, ts, ad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, (const unsigned char *)pt.data, pt.len,
						   ad, sizeof(ad), NULL, nonce,
						   vault_key(v, VK_AUDIT_ENC));
	entry_mac(v, seq, ts, (const unsigned char *)pt.data, pt.len, st->last_mac, mac);
	if ((r = vdb_prepare(
		     v, "INSERT INTO audit(seq, ts, nonce, payload, mac) VALUES (?, ?, ?, ?, ?)",
		     &q, err)) < 0)
		goto out;
	int rc;
	if ((rc = sqlite3_bind_int64(q, 1, (int64_t)seq)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(q, 2, ts)) != SQLITE_OK ||
	    vdb_bind_blob(q, 3, nonce, sizeof(nonce)) < 0 ||
	    vdb_bind_blob(q, 4, ct, pt.len + VAULT_TAG_BYTES) < 0 ||
	    vdb_bind_blob(q, 5, mac, sizeof(mac)) < 0 || (rc = sqlite3_step(q)) != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "appending to the audit log");
		goto out;
	}
	st->seq = seq;
	memcpy(st->last_mac, mac, VAULT_MAC_BYTES);
	r = vault_head_store(v, st, err);
	if (r == 0)
		v->audited_in_tx = true; /* once committed, it stands for the unlock too */
out:
	sqlite3_finalize(q);
	if (pt.data)
		sodium_memzero(pt.data, pt.cap);
	buf_release(&pt);
	free(ct);
	return r;
}

int audit_append(struct vault *v, const struct audit_event *ev, struct reterr *err)
{
	struct vault_state st;
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	if (!ev)
		return reterr_set(err, -EINVAL, "no audit event");
	if ((r = event_check(ev, v->source, err)) < 0 || (r = vdb_begin(v, err)) < 0)
		return r;
	if ((r = vault_state_load(v, &st, err)) < 0 ||
	    (r = audit_append_locked(v, &st, ev, clock_now(), v->source, err)) < 0 ||
	    (r = vdb_commit(v, err)) < 0) {
		vdb_rollback(v);
		return r;
	}
	return 0;
}

int audit_append_locked(struct vault *v, struct vault_state *st, const struct audit_event *ev,
			int64_t ts, const char *source, struct reterr *err)
{
	if (!v->via[0])
		return append_one(v, st, ev, ts, source, err);
	/* Served through the session agent: the detail object says so. */
	const char *d = ev->detail && ev->detail[0] == '{' ? ev->detail + 1 : "}";
	AUTO_FREE char *detail = NULL;
	if (asprintf(&detail, "{\"via\":\"%s\"%s%s", v->via, *d == '}' ? "" : ",", d) < 0)
		return reterr_set(err, -ENOMEM, "out of memory");
	struct audit_event via_ev = *ev;
	via_ev.detail = detail;
	return append_one(v, st, &via_ev, ts, source, err);
}

/* ---- reading back ----------------------------------------------------------------------------- */

struct entry_row {
	int64_t seq, ts;
	const unsigned char *nonce, *payload, *mac;
	size_t payload_len;
};

static int entry_row_read(sqlite3_stmt *q, struct entry_row *e, bool with_mac)
{
	size_t n;
	if (vdb_col_i64(q, 0, &e->seq) < 0 || vdb_col_i64(q, 1, &e->ts) < 0 ||
	    vdb_col_blob(q, 2, VAULT_NONCE_BYTES, VAULT_NONCE_BYTES, &e->nonce, &n) < 0 ||
	    vdb_col_blob(q, 3, VAULT_TAG_BYTES, AUDIT_PAYLOAD_MAX + VAULT_TAG_BYTES, &e->payload,
			 &e->payload_len) < 0)
		return -EBADMSG;
	if (with_mac && vdb_col_blob(q, 4, VAULT_MAC_BYTES, VAULT_MAC_BYTES, &e->mac, &n) < 0)
		return -EBADMSG;
	return 0;
}

/* Decrypt into pt (malloc'd, len in *ptlen). -EBADMSG when it does not authenticate. */
static int entry_decrypt(const struct vault *v, const struct entry_row *e, unsigned char **pt,
			 size_t *ptlen)
{
	unsigned char ad[AUDIT_AD_BYTES];
	size_t n = e->payload_len - VAULT_TAG_BYTES;
	unsigned char *p = malloc(n ? n : 1);
	if (!p)
		return -ENOMEM;
	entry_ad(v, (uint64_t)e->seq, e->ts, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(p, NULL, NULL, e->payload, e->payload_len,
						       ad, sizeof(ad), e->nonce,
						       vault_key(v, VK_AUDIT_ENC)) != 0) {
		free(p);
		return -EBADMSG;
	}
	*pt = p;
	*ptlen = n;
	return 0;
}

static int get_field(const unsigned char **p, size_t *n, char **ret)
{
	if (*n < 4)
		return -EBADMSG;
	size_t l = (size_t)(*p)[0] | (size_t)(*p)[1] << 8 | (size_t)(*p)[2] << 16 |
		   (size_t)(*p)[3] << 24;
	if (l > AUDIT_FIELD_MAX || l > *n - 4 || memchr(*p + 4, 0, l))
		return -EBADMSG;
	char *s = malloc(l + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, *p + 4, l);
	s[l] = 0;
	*p += 4 + l;
	*n -= 4 + l;
	*ret = s;
	return 0;
}

static void record_release(struct audit_record *a)
{
	free(a->action);
	free(a->source);
	free(a->keys);
	free(a->command);
	free(a->error);
	free(a->detail);
	memset(a, 0, sizeof(*a));
}

int vault_audit_payload_decode(const unsigned char *p, size_t n, struct audit_record *a)
{
	int r = -EBADMSG;
	if (n < 1 || p[0] != AUDIT_CODEC_VERSION)
		goto fail;
	p++, n--;
	if ((r = get_field(&p, &n, &a->action)) < 0 || (r = get_field(&p, &n, &a->source)) < 0 ||
	    (r = get_field(&p, &n, &a->keys)) < 0 || (r = get_field(&p, &n, &a->command)) < 0)
		goto fail;
	r = -EBADMSG;
	if (n < 1 || p[0] > 1)
		goto fail;
	a->success = p[0];
	p++, n--;
	if ((r = get_field(&p, &n, &a->error)) < 0 || (r = get_field(&p, &n, &a->detail)) < 0)
		goto fail;
	if (n != 0) {
		r = -EBADMSG;
		goto fail;
	}
	return 0;
fail:
	record_release(a);
	return r;
}

void audit_records_free(struct audit_record *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		record_release(&a[i]);
	free(a);
}

/* A growing array of records. */
struct records {
	struct audit_record *a;
	size_t n, cap;
};

static int records_push(struct records *rs, struct audit_record *rec)
{
	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 64;
		struct audit_record *na = realloc(rs->a, nc * sizeof(*na));
		if (!na) {
			record_release(rec);
			return -ENOMEM;
		}
		rs->a = na;
		rs->cap = nc;
	}
	rs->a[rs->n++] = *rec;
	return 0;
}

static int text_dup(sqlite3_stmt *st, int col, char **ret)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);
	*ret = strndup(t && len > 0 ? (const char *)t : "", len > 0 ? (size_t)len : 0);
	return *ret ? 0 : -ENOMEM;
}

/* The failed unlocks queued since the last unlock (a read-only handle never moves them into the
 * chain): as the vault.unlock_failed entries they will become, with seq 0. Plaintext rows, as
 * the cooldown keeps them. */
static int pending_push(struct vault *v, const struct audit_query *q, struct records *rs,
			struct reterr *err)
{
	sqlite3_stmt *st = NULL;
	int r = vdb_prepare(v,
			    "SELECT ts, source, reason FROM unlock_pending WHERE ts >= ? "
			    "ORDER BY id",
			    &st, err);
	if (r < 0)
		return r;
	int rc = sqlite3_bind_int64(st, 1, q && q->since ? q->since : INT64_MIN);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		struct audit_record rec = { .ts = sqlite3_column_int64(st, 0) };
		if (text_dup(st, 1, &rec.source) < 0 || text_dup(st, 2, &rec.error) < 0 ||
		    !(rec.action = strdup("vault.unlock_failed")) || !(rec.keys = strdup("")) ||
		    !(rec.command = strdup("")) || !(rec.detail = strdup("{\"queued\":true}"))) {
			record_release(&rec);
			r = reterr_set(err, -ENOMEM, "out of memory");
			break;
		}
		if ((q && q->source && strcmp(q->source, rec.source) != 0) ||
		    strlen(rec.source) > VAULT_SOURCE_MAX || strlen(rec.error) > AUDIT_FIELD_MAX) {
			record_release(&rec);
			continue;
		}
		if ((r = records_push(rs, &rec)) < 0) {
			reterr_set(err, r, "out of memory");
			break;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = vdb_fail(v, rc, err, "reading queued unlock failures");
	sqlite3_finalize(st);
	return r;
}

/* An entry that cannot be read (malformed, or it does not authenticate): shown as such, so that
 * a damaged log can still be listed around it (audit_verify names the problem). */
static int unreadable(struct audit_record *rec, int64_t seq, int64_t ts)
{
	*rec = (struct audit_record){ .seq = (uint64_t)seq, .ts = ts, .unreadable = true };
	if (!(rec->action = strdup("")) || !(rec->source = strdup("")) ||
	    !(rec->keys = strdup("")) || !(rec->command = strdup("")) ||
	    !(rec->error = strdup("this entry does not authenticate (edited or forged)")) ||
	    !(rec->detail = strdup(""))) {
		record_release(rec);
		return -ENOMEM;
	}
	return 0;
}

/* One entry of the chain, decrypted (rec zeroed by the caller). */
static int entry_read(const struct vault *v, sqlite3_stmt *st, struct audit_record *rec,
		      struct reterr *err)
{
	struct entry_row e;
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	int64_t seq = 0, ts = 0;
	if (vdb_col_i64(st, 0, &seq) < 0 || seq < 1)
		return reterr_set(err, -EBADMSG,
				  "an audit entry has no valid seq: run `secretctl audit verify`");
	int r = entry_row_read(st, &e, false);
	if (r == 0) {
		r = entry_decrypt(v, &e, &pt, &ptlen);
		if (r == 0) {
			r = vault_audit_payload_decode(pt, ptlen, rec);
			sodium_memzero(pt, ptlen);
			free(pt);
		}
	}
	if (r == -EBADMSG) {
		(void)vdb_col_i64(st, 1, &ts);
		r = unreadable(rec, seq, ts);
	}
	if (r < 0)
		return reterr_set(err, r, "cannot read audit entry seq %lld", (long long)seq);
	rec->seq = (uint64_t)seq;
	rec->ts = rec->unreadable ? ts : e.ts;
	return 0;
}

int audit_list(struct vault *v, const struct audit_query *q, struct audit_record **ret,
	       size_t *ret_n, struct reterr *err)
{
	int r = vault_require_unlocked(v, err);
	return r < 0 ? r : vault_audit_read(v, q, ret, ret_n, err);
}

int vault_audit_read(struct vault *v, const struct audit_query *q, struct audit_record **ret,
		     size_t *ret_n, struct reterr *err)
{
	struct records rs = { 0 };
	sqlite3_stmt *st = NULL;
	int r;
	uint64_t limit = q ? q->limit : 0;
	/* Newest first so `limit` stops early; reversed to oldest first at the end. */
	if ((r = vdb_prepare(v,
			     "SELECT seq, ts, nonce, payload FROM audit WHERE ts >= ? AND ts <= ? "
			     "ORDER BY seq DESC",
			     &st, err)) < 0)
		return r;
	int rc;
	if ((rc = sqlite3_bind_int64(st, 1, q && q->since ? q->since : INT64_MIN)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(st, 2, q && q->until ? q->until : INT64_MAX)) != SQLITE_OK) {
		r = vdb_fail(v, rc, err, "reading the audit log");
		goto out;
	}
	while ((limit == 0 || rs.n < limit) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_record rec = { 0 };
		if ((r = entry_read(v, st, &rec, err)) < 0)
			goto out;
		if (q && q->source && strcmp(q->source, rec.source) != 0) {
			record_release(&rec);
			continue;
		}
		if ((r = records_push(&rs, &rec)) < 0) {
			reterr_set(err, r, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "reading the audit log");
		goto out;
	}
	for (size_t i = 0; i < rs.n / 2; i++) {
		struct audit_record t = rs.a[i];
		rs.a[i] = rs.a[rs.n - 1 - i];
		rs.a[rs.n - 1 - i] = t;
	}
	if ((r = pending_push(v, q, &rs, err)) < 0)
		goto out;
	/* The queued failures are the newest: the oldest chained entries make room for them. */
	size_t drop = limit && rs.n > limit ? rs.n - (size_t)limit : 0;
	for (size_t i = 0; i < drop; i++)
		record_release(&rs.a[i]);
	if (drop) {
		memmove(rs.a, rs.a + drop, (rs.n - drop) * sizeof(*rs.a));
		rs.n -= drop;
	}
	if (!rs.a && !(rs.a = calloc(1, sizeof(*rs.a)))) {
		r = reterr_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	*ret = rs.a;
	*ret_n = rs.n;
	rs.a = NULL;
	rs.n = 0;
	r = 0;
out:
	sqlite3_finalize(st);
	audit_records_free(rs.a, rs.n);
	return r;
}

static int verify_fail(struct reterr *err, uint64_t *ret_bad, uint64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int verify_fail(struct reterr *err, uint64_t *ret_bad, uint64_t seq, const char *fmt, ...)
{
	char msg[RETERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ret_bad)
		*ret_bad = seq;
	return reterr_set(err, -EBADMSG, "%s", msg);
}

int vault_audit_verify_locked(struct vault *v, uint64_t *ret_count, uint64_t *ret_bad_seq,
			      struct reterr *err)
{
	int r = vault_require_unlocked(v, err);
	return r < 0 ? r : vault_audit_verify_chain(v, ret_count, ret_bad_seq, err);
}

int vault_audit_verify_chain(struct vault *v, uint64_t *ret_count, uint64_t *ret_bad_seq,
			     struct reterr *err)
{
	sqlite3_stmt *q = NULL;
	unsigned char prev[VAULT_MAC_BYTES] = { 0 }, mac[VAULT_MAC_BYTES];
	struct vault_state st;
	struct vault_checkpoint ck;
	uint64_t expect = 1, count = 0;
	int r = vault_checkpoint_load(v, &ck, err);
	if (r < 0) {
		if (ret_bad_seq)
			*ret_bad_seq = 1;
		return r;
	}
	/* After a prune the chain goes on from the checkpoint's entry. */
	expect = ck.seq + 1;
	memcpy(prev, ck.mac, VAULT_MAC_BYTES);
	if ((r = vdb_prepare(v, "SELECT seq, ts, nonce, payload, mac FROM audit ORDER BY seq", &q,
			     err)) < 0)
		goto out;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct entry_row e;
		unsigned char *pt = NULL;
		size_t ptlen = 0;
		struct audit_record rec = { 0 };
		if (entry_row_read(q, &e, true) < 0 || e.seq < 1) {
			r = verify_fail(err, ret_bad_seq, expect,
					"audit entry seq %llu is malformed (edited)",
					(unsigned long long)expect);
			goto out;
		}
		if ((uint64_t)e.seq != expect) {
			r = verify_fail(err, ret_bad_seq, expect,
					"audit entry seq %llu is missing (deleted; next present is "
					"seq %llu)",
					(unsigned long long)expect, (unsigned long long)e.seq);
			goto out;
		}
		r = entry_decrypt(v, &e, &pt, &ptlen);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			r = verify_fail(err, ret_bad_seq, expect,
					"audit entry seq %llu does not authenticate (edited, "
					"reordered or forged)",
					(unsigned long long)expect);
			goto out;
		}
		entry_mac(v, (uint64_t)e.seq, e.ts, pt, ptlen, prev, mac);
		r = vault_audit_payload_decode(pt, ptlen, &rec);
		record_release(&rec);
		sodium_memzero(pt, ptlen);
		free(pt);
		if (r == -ENOMEM)
			goto out;
		if (r < 0 || sodium_memcmp(mac, e.mac, VAULT_MAC_BYTES) != 0) {
			r = verify_fail(err, ret_bad_seq, expect,
					"audit entry seq %llu breaks the chain (edited, reordered, "
					"inserted, or an entry before it was replaced)",
					(unsigned long long)expect);
			goto out;
		}
		memcpy(prev, e.mac, VAULT_MAC_BYTES);
		count++;
		expect++;
	}
	if (rc != SQLITE_DONE) {
		r = vdb_fail(v, rc, err, "reading the audit log");
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((r = vdb_prepare(v, "SELECT seq, mac, head_mac FROM audit_head WHERE one = 1", &q,
			     err)) < 0)
		goto out;
	int64_t hseq;
	if ((rc = sqlite3_step(q)) != SQLITE_ROW || vdb_col_i64(q, 0, &hseq) < 0 || hseq < 0 ||
	    vdb_col_blob_exact(q, 1, st.last_mac, VAULT_MAC_BYTES) < 0 ||
	    sqlite3_column_type(q, 2) != SQLITE_BLOB) {
		r = verify_fail(err, ret_bad_seq, expect,
				"the authenticated audit head is missing or malformed (after seq "
				"%llu)",
				(unsigned long long)(expect - 1));
		goto out;
	}
	uint64_t last = ck.seq + count;
	if ((uint64_t)hseq > last) {
		r = verify_fail(err, ret_bad_seq, last + 1,
				"audit log truncated: entries seq %llu..%llu are missing",
				(unsigned long long)(last + 1), (unsigned long long)hseq);
		goto out;
	}
	if ((uint64_t)hseq < last) {
		r = verify_fail(err, ret_bad_seq, (uint64_t)hseq + 1,
				"audit entries seq %llu..%llu were added after the authenticated "
				"head (inserted)",
				(unsigned long long)hseq + 1, (unsigned long long)last);
		goto out;
	}
	if (sodium_memcmp(st.last_mac, prev, VAULT_MAC_BYTES) != 0) {
		r = verify_fail(err, ret_bad_seq, last ? last : 1,
				"the audit head does not match entry seq %llu (tail replaced)",
				(unsigned long long)last);
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	/* The head MAC also binds the manifest: reuse the state loader for the full check. */
	if ((r = vault_state_load(v, &st, err)) < 0) {
		if (ret_bad_seq)
			*ret_bad_seq = last;
		goto out;
	}
	if (ret_count)
		*ret_count = count;
	r = 0;
out:
	sqlite3_finalize(q);
	return r;
}

int audit_verify(struct vault *v, uint64_t *ret_count, uint64_t *ret_bad_seq, struct reterr *err)
{
	int r = vault_require_unlocked(v, err);
	if (r < 0)
		return r;
	/* One read transaction: the chain and its head are seen at one instant. */
	if ((r = vdb_exec(v, "BEGIN", err)) < 0)
		return r;
	r = vault_audit_verify_locked(v, ret_count, ret_bad_seq, err);
	vdb_rollback(v);
	return r;
}
