/* SPDX-License-Identifier: Apache-2.0 */
/* vault: module-private declarations, one section per file that defines them, bottom layer
 * first. A file uses only what lower layers declare, never a file that uses it back
 * (tests/lint/file-cycles.py fails on a circle; with --layers it prints the layers):
 *   0  files.c db.c kdf.c codec.c       dir and file checks, new files, SQLite, KDF and subkeys,
 *      pwform.c backup-format.c         blob codec, the password's NFC form; the backup container;
 *      dbcopy.c                         database copies through the online backup API
 *   1  header.c manifest.c strength.c   the header row (wrapped data key, checksum), the rows'
 *                                       manifest, password strength
 *      history.c folderdb.c             saved previous versions; folder records and links
 *   2  head.c open.c info.c             the authenticated head; the handle (open, free); doctor
 *      audit-checkpoint.c               where the chain starts after `audit prune`
 *   3  audit.c                          the audit log
 *   4  secrets.c cooldown.c password.c  secrets, failed unlocks, password rules and change
 *      audit-prune.c                    removing old audit entries behind a checkpoint
 *   5  create.c examine.c bulk.c        vault_create; what a damaged vault still holds; import
 *      edit.c backup.c restore.c        edit; backups
 *      versions.c rename.c folders.c    history list, rollback; rename and copy; folder verbs
 *   6  unlock.c keys.c                  vault_unlock; the session agent's keys
 *      restore-merge.c                  a verified backup's secrets read and merged into a vault
 *   7  recover.c                        rebuilding a damaged vault
 * Never included from another module (unit tests and fuzz targets of vault/ may). */
#ifndef SECRETCTL_VAULT_INTERNAL_H
#define SECRETCTL_VAULT_INTERNAL_H

#include <sqlite3.h>
#include <sodium.h>
#include <string.h>

#include "vault/vault.h"

#define VAULT_FORMAT 1
#define VAULT_APP_ID 0x53435456 /* "SCTV" in the SQLite header: identifies our files */
#define VAULT_ID_BYTES 16
#define VAULT_HASH_BYTES 32 /* keyed name hash = row id */
#define VAULT_MAC_BYTES crypto_auth_hmacsha512256_BYTES
#define VAULT_KEY_BYTES 32
#define VAULT_NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define VAULT_TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define VAULT_SALT_BYTES crypto_pwhash_SALTBYTES
#define VAULT_SOURCE_MAX 16
#define VAULT_BUSY_MS 10000
#define VAULT_PENDING_MAX 1000 /* queued unlock failures kept (plaintext, bounded) */
#define VAULT_KDF_CONTEXT "sctlvlt1"

/* Domain-separation prefixes (docs/vault-format.md): every AD and MAC input starts with its own,
 * so nothing made for one purpose verifies as another. Part of the format: never change one.
 * VAULT_DOMAIN_LEN is a prefix's length without its NUL: sizeof, never a count by hand. */
#define VAULT_DOMAIN_WRAP "sctl-wrp"	       /* AD of the wrapped data key */
#define VAULT_DOMAIN_RECORD "sctl-rec"	       /* AD of a secret's meta and value blobs */
#define VAULT_DOMAIN_AUDIT_AD "sctl-aud"       /* AD of an audit entry's payload */
#define VAULT_DOMAIN_AUDIT_MAC "sctl-audit-v1" /* an audit entry's chain MAC */
#define VAULT_DOMAIN_ROW "sctl-row-v1"	       /* a secret row's tag in the manifest */
#define VAULT_DOMAIN_MANIFEST "sctl-manifest-v1"
#define VAULT_DOMAIN_HEAD "sctl-head-v1"	     /* the authenticated head */
#define VAULT_DOMAIN_AUDIT_CKPT "sctl-audit-ckpt-v1" /* the checkpoint `audit prune` leaves */
#define VAULT_DOMAIN_HISTORY "sctl-hist"	     /* AD of a saved version's info blob */
#define VAULT_DOMAIN_FOLDER "sctl-fold" /* AD of a folder record or a secret's folder link */
#define VAULT_FOLDER_ID_BYTES 16
#define VAULT_DOMAIN_HEADER_SUM "sctl-hdr-v1" /* the header's (unkeyed) checksum */
#define VAULT_DOMAIN_LEN(d) (sizeof(d) - 1)

/* Largest meta plaintext the decoder accepts: every limit in vault.h at its maximum, rounded
 * up generously. The db file is hostile input: nothing larger is ever allocated for a meta. */
#define VAULT_META_MAX (256 * 1024)
/* Largest value plaintext: the single value plus every field value at their maximum. */
#define VAULT_VALUES_MAX ((size_t)(VAULT_FIELDS_MAX + 1) * (VAULT_VALUE_MAX + 8) + 64)
/* Largest audit payload plaintext: seven length-prefixed fields. */
#define AUDIT_PAYLOAD_MAX ((size_t)7 * (AUDIT_FIELD_MAX + 8) + 64)

/* Subkey ids for crypto_kdf_derive_from_key; slot 0 of the key area holds the data key. The
 * slots after the derived ones hold other key-grade material of the handle. */
enum vault_subkey {
	VK_DATA = 0,
	VK_RECORD = 1,
	VK_NAME = 2,
	VK_MANIFEST = 3,
	VK_AUDIT_MAC = 4,
	VK_AUDIT_ENC = 5,
	VK_DERIVED_END,
	/* BLAKE2b of the password form that unlocked the handle, keyed with the data key: how
	 * `password` refuses the current password as the new one without keeping it. */
	VK_PASSWORD_TAG = VK_DERIVED_END,
	VK_COUNT
};

struct vault {
	sqlite3 *db;
	char *dir;
	char *path;
	char source[VAULT_SOURCE_MAX + 1];
	char via[VAULT_SOURCE_MAX + 1]; /* "" or e.g. "agent": added to each audit detail */
	unsigned char vault_id[VAULT_ID_BYTES];
	bool readonly; /* opened with vault_open_readonly: nothing is ever written through it */
	bool unlocked;
	/* Unlocked and nothing audited through the handle since: the first entry written stands
	 * for the unlock too, else vault_audit_unlock writes vault.unlock. */
	bool audit_owed;
	bool audited_in_tx;	/* the open write transaction appended an audit entry */
	uint64_t failures_seen; /* failed attempts queued when the handle was unlocked */
	int64_t failures_last;	/* and the time of the last one */
	struct secret *keys;	/* VK_COUNT * VAULT_KEY_BYTES, one secure allocation */
};

/* Authenticated state read and re-checked at the start of every write transaction. */
struct vault_state {
	uint64_t seq;				 /* last audit seq */
	unsigned char last_mac[VAULT_MAC_BYTES]; /* its chain MAC */
	uint64_t gen;				 /* manifest generation */
	uint64_t count;				 /* secrets in the manifest */
	unsigned char man_acc[VAULT_MAC_BYTES];	 /* XOR of the rows' tags */
	unsigned char man_mac[VAULT_MAC_BYTES];
};

static inline const unsigned char *vault_key(const struct vault *v, enum vault_subkey k)
{
	return v->keys->data + (size_t)k * VAULT_KEY_BYTES;
}

/* Little-endian integer encoding used in every MAC and AD input and in the blob codecs.
 * Inline: every layer of the module uses it, and a function in one file would tie them all to
 * that file. */
static inline void vault_le64(unsigned char out[8], uint64_t x)
{
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)(x >> (8 * i));
}

static inline void vault_le32(unsigned char out[4], uint32_t x)
{
	for (int i = 0; i < 4; i++)
		out[i] = (unsigned char)(x >> (8 * i));
}

/* Every AD starts alike (docs/vault-format.md): its domain prefix, the format version and the
 * vault id. VAULT_AD_BEGIN writes them at p and yields where the rest of the AD goes;
 * VAULT_AD_BEGIN_BYTES is their size. domain must be one of the VAULT_DOMAIN_ literals. */
#define VAULT_AD_BEGIN_BYTES(domain) (VAULT_DOMAIN_LEN(domain) + 4 + VAULT_ID_BYTES)
#define VAULT_AD_BEGIN(p, domain, format, vault_id) \
	vault_ad_begin(p, domain, VAULT_DOMAIN_LEN(domain), format, vault_id)
static inline unsigned char *vault_ad_begin(unsigned char *p, const char *domain, size_t len,
					    uint32_t format,
					    const unsigned char vault_id[VAULT_ID_BYTES])
{
	memcpy(p, domain, len);
	vault_le32(p + len, format);
	memcpy(p + len + 4, vault_id, VAULT_ID_BYTES);
	return p + len + 4 + VAULT_ID_BYTES;
}

/* Tell p (may be NULL, or without fn) how far step has come. */
static inline void vault_progress_tell(const struct vault_progress *p,
				       enum vault_progress_step step, uint64_t done, uint64_t total)
{
	if (p && p->fn)
		p->fn(p->ctx, step, done, total);
}

/* ---- files.c: the vault directory and file checks -------------------------------------------- */

/* The vault directory dir with its parents resolved (realpath: a symlink above it is fine) and
 * its last component kept as given, so that the checks below still see a symlinked vault
 * directory as one. With create_parents, missing parents are created 0700 first (mkdir -p).
 * *ret malloc'd. -EINVAL (no name: "/", ".", ".."), -ENOENT, -EACCES. */
int vault_dir_resolve(const char *dir, bool create_parents, char **ret, struct reterr *err);
/* Open dir (O_DIRECTORY, no symlink) and check it is ours and private. Returns the fd or -errno
 * with err saying why (-ENOENT when it does not exist). */
int vault_dir_open(const char *dir, struct reterr *err);
/* fd (at path, for messages) must be a regular file, ours, private. */
int vault_file_check(int fd, const char *path, struct reterr *err);
/* A journal SQLite would replay must be as trustworthy as the db: absent, or a regular file,
 * ours, private. */
int vault_journal_check(int dfd, const char *dir, struct reterr *err);

/* New vault files (init, recover) are made as VAULT_DB_NAME ".tmp-" + random hex in the vault
 * directory, flock'ed while in the making, and renamed to VAULT_DB_NAME when complete: an
 * interruption (a signal, kill -9, a crash) leaves no vault.db behind, only a temporary file that
 * nothing opens and the next init or recover removes.
 * vault_tmp_create: a new, locked temporary file (0600): its fd and *ret_name (malloc'd).
 * vault_tmp_install: sync it, rename it to VAULT_DB_NAME (never over an existing file unless
 * replace; -EEXIST), sync the directory. vault_tmp_remove: remove it and its journal.
 * vault_tmp_cleanup: remove the temporary files (and journals) no process holds locked. */
int vault_tmp_create(int dfd, const char *dir, char **ret_name, struct reterr *err);
int vault_tmp_install(int dfd, const char *dir, const char *name, int fd, bool replace,
		      struct reterr *err);
void vault_tmp_remove(int dfd, const char *name);
void vault_tmp_cleanup(int dfd);

/* ---- db.c: SQLite helpers -------------------------------------------------------------------- */

/* Open v->path read-write (read-only when v->readonly; no symlink) and check it is still the
 * inode of fd, the file the caller checked; then configure the connection (busy timeout,
 * defensive, pragmas). */
int vdb_open(struct vault *v, int fd, struct reterr *err);
/* Map an SQLite result code to -errno and describe it; what says which step failed. */
int vdb_fail(struct vault *v, int rc, struct reterr *err, const char *what);
int vdb_exec(struct vault *v, const char *sql, struct reterr *err);
int vdb_prepare(struct vault *v, const char *sql, sqlite3_stmt **ret, struct reterr *err);
/* BEGIN IMMEDIATE (waits up to the busy timeout for other writers); -EROFS on a read-only
 * handle. */
int vdb_begin(struct vault *v, struct reterr *err);
int vdb_commit(struct vault *v, struct reterr *err);
void vdb_rollback(struct vault *v);
/* Typed, bounded column readers: -EBADMSG when the stored type or length is wrong. A zero-length
 * blob yields a non-NULL pointer. */
int vdb_col_blob(sqlite3_stmt *st, int col, size_t min, size_t max, const unsigned char **ret,
		 size_t *ret_len);
int vdb_col_blob_exact(sqlite3_stmt *st, int col, void *out, size_t len);
int vdb_col_i64(sqlite3_stmt *st, int col, int64_t *ret);
int vdb_bind_blob(sqlite3_stmt *st, int col, const void *p, size_t len);
/* SQLite's online backup from src into dst ("main" of both), a slice of pages at a time so that
 * progress hears step (pages copied of the source's pages). busy_tries: how often a busy
 * source is waited for (50 ms each) before -EBUSY. 0 or -errno with err saying what failed. */
int vault_db_copy(sqlite3 *dst, sqlite3 *src, int busy_tries, const struct vault_progress *progress,
		  enum vault_progress_step step, struct reterr *err);

/* Whether the table name exists (tables added by a later migration may not, yet). */
int vdb_table_exists(struct vault *v, const char *name, bool *ret, struct reterr *err);

/* ---- kdf.c: password KDF profiles, subkeys --------------------------------------------------- */

/* Argon2id parameters: a profile's, or those a vault header stores. */
struct vault_kdf_params {
	int alg;
	uint64_t ops;
	uint64_t mem;
};

/* The parameters of a profile (an unknown one reads as MODERATE). */
struct vault_kdf_params vault_kdf_profile(enum vault_kdf kdf);
/* Whether stored parameters are within what any profile uses: the header is hostile input, this
 * bounds what a forged one can make the KDF spend. */
bool vault_kdf_params_sane(const struct vault_kdf_params *p);
/* Argon2id of password (borrowed) with p and salt into kek (VAULT_KEY_BYTES, secure memory).
 * -ENOMEM when the KDF cannot get its memory. Blocks for the KDF time. */
int vault_kdf_derive(const struct vault_kdf_params *p, const unsigned char salt[VAULT_SALT_BYTES],
		     const struct secret *password, unsigned char *kek, struct reterr *err);
/* A secure area for the data key and its subkeys (VK_COUNT keys), or NULL (ENOMEM). */
struct secret *vault_keys_new(void);
/* Fill the subkey slots of v->keys from the data key in slot VK_DATA. */
void vault_keys_derive(struct vault *v);

/* ---- codec.c: the meta and value blobs, and what they decode into ---------------------------- */

int vault_meta_encode(const struct vault_meta *m, struct buf *out);
/* Parse a decrypted meta; m must be zeroed; on failure m is released. -EBADMSG/-ENOMEM. */
int vault_meta_decode(const unsigned char *p, size_t n, struct vault_meta *m);
/* Serialise the values into one new secure buffer. fv/fl: nf field values. */
int vault_values_encode(bool has_value, const unsigned char *value, size_t value_len,
			const unsigned char *const *fv, const size_t *fl, size_t nf,
			struct secret **ret);
/* Point e->value / e->field_values into e->blob (already decrypted). -EBADMSG/-ENOMEM. */
int vault_values_decode(struct vault_entry *e);
/* Release what an entry on the stack holds (meta, blob, field arrays) and zero it; the
 * vault_entry_free of an entry that is not on the heap. */
void vault_entry_release(struct vault_entry *e);

/* ---- pwform.c: the master password's form (strength.c declares only in vault.h) -------------- */

/* The NFC form of password (borrowed) when it is UTF-8 and differs from it: 1 and *ret (secure
 * memory, caller frees); 0 when the bytes are already the form to use (already NFC, or not
 * UTF-8); -ENOMEM. */
int vault_password_nfc(const struct secret *password, struct secret **ret);
/* BLAKE2b of a password form keyed with the data key (VAULT_KEY_BYTES of dek). */
void vault_password_tag(const unsigned char *dek, const struct secret *form,
			unsigned char out[VAULT_KEY_BYTES]);

/* ---- header.c: the header row and the wrapped data key --------------------------------------- */

struct vault_header {
	int64_t format;
	unsigned char vault_id[VAULT_ID_BYTES];
	struct vault_kdf_params kdf;
	unsigned char salt[VAULT_SALT_BYTES];
	unsigned char nonce[VAULT_NONCE_BYTES];
	unsigned char wrapped[VAULT_KEY_BYTES + VAULT_TAG_BYTES];
};

/* Read and check the header row (format, KDF bounds). -EBADMSG malformed, -EPROTO other format. */
int vault_header_load(struct vault *v, struct vault_header *h, struct reterr *err);
/* New salt and nonce; derive the password's key with h->kdf into kek (secure scratch of
 * VAULT_KEY_BYTES, wiped after) and wrap dek under it. password borrowed. Blocks for the KDF. */
int vault_header_wrap(struct vault_header *h, const struct secret *password,
		      const unsigned char *dek, unsigned char *kek, struct reterr *err);
/* Unwrap the data key into dek with the password's key kek: false when it does not
 * authenticate (wrong password, or an edited header). */
bool vault_header_unwrap(const struct vault_header *h, const unsigned char *kek,
			 unsigned char *dek);
/* Write h: insert (create) or update the existing row (password change). */
int vault_header_store(struct vault *v, const struct vault_header *h, bool insert,
		       struct reterr *err);
/* The header's checksum: BLAKE2b-256, unkeyed, over every field of h (docs/vault-format.md).
 * With the password unknown it is what tells a damaged header from a wrong password; it is no
 * MAC (whoever can write the file can recompute it, as they can reset the cooldown). */
#define VAULT_HEADER_SUM_SQL                                                             \
	"CREATE TABLE IF NOT EXISTS header_sum(one INTEGER PRIMARY KEY CHECK (one = 1)," \
	" sum BLOB NOT NULL);"
void vault_header_sum(const struct vault_header *h, unsigned char out[VAULT_HASH_BYTES]);
/* The same digest without a domain: the session agent's fingerprint of the header (another
 * vault, or this one after a password change, gives another). */
void vault_header_digest(const struct vault_header *h, unsigned char out[VAULT_HASH_BYTES]);
/* 1 when the stored checksum matches h, 0 when the vault has none (made before it existed),
 * -EBADMSG with err saying so when it does not match (a damaged header), other -errno. */
int vault_header_sum_check(struct vault *v, const struct vault_header *h, struct reterr *err);
/* Store h's checksum, creating its table in a vault made before it existed. Inside a write
 * transaction. */
int vault_header_sum_store(struct vault *v, const struct vault_header *h, struct reterr *err);

/* ---- manifest.c: the authenticated set of secret rows ---------------------------------------- */

/* Manifest: count, generation and the XOR of per-row tags PRF(id, version), under one MAC.
 * check: full recomputation over the rows (unlock). apply: incremental update for one row
 * change, then store. store: write st's manifest (and its MAC into st->man_mac). */
void vault_manifest_mac(const struct vault *v, const struct vault_state *st,
			unsigned char out[VAULT_MAC_BYTES]);
int vault_manifest_check(struct vault *v, const struct vault_state *st, struct reterr *err);
/* One row's tag, as the manifest XORs it in. */
void vault_manifest_row_tag(const struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
			    uint64_t version, unsigned char out[VAULT_MAC_BYTES]);
/* The count and tag accumulator of the rows as stored (and their highest version, optional). */
int vault_manifest_compute(struct vault *v, uint64_t *ret_count,
			   unsigned char ret_acc[VAULT_MAC_BYTES], uint64_t *ret_max_version,
			   struct reterr *err);
int vault_manifest_apply(struct vault *v, struct vault_state *st,
			 const unsigned char id[VAULT_HASH_BYTES], bool had_old,
			 uint64_t old_version, bool remove, uint64_t new_version,
			 struct reterr *err);
int vault_manifest_store(struct vault *v, struct vault_state *st, struct reterr *err);

/* ---- head.c: the authenticated head (audit tail + manifest) ---------------------------------- */

/* Load and authenticate the head (audit tail + manifest binding). Inside a transaction. */
int vault_state_load(struct vault *v, struct vault_state *st, struct reterr *err);
/* Write the authenticated head for st (used by create and every append). */
int vault_head_store(struct vault *v, const struct vault_state *st, struct reterr *err);
void vault_head_mac(const struct vault *v, const struct vault_state *st,
		    unsigned char out[VAULT_MAC_BYTES]);

/* ---- open.c: the handle ---------------------------------------------------------------------- */

/* A handle for the vault in dir (paths set, source "cli", no db yet), or NULL (ENOMEM). */
struct vault *vault_alloc(const char *dir);
/* 0 when v is open and unlocked; else -EINVAL (no vault) or -EACCES (locked) with err set.
 * Every verb that needs the keys starts with it. */
int vault_require_unlocked(const struct vault *v, struct reterr *err);

/* ---- backup-format.c: the backup file (docs/vault-format.md "Backups") ---------------------- */

#define VAULT_BACKUP_MAGIC "SCTLBAK\x01"
#define VAULT_BACKUP_VERSION 1
#define VAULT_BACKUP_AD_BYTES 88    /* the header before the secretstream header: AD of chunk 1 */
#define VAULT_BACKUP_CHECK_BYTES 32 /* keyed hash of those: tells a wrong key from tampering */
#define VAULT_BACKUP_HEADER_BYTES                           \
	(VAULT_BACKUP_AD_BYTES + VAULT_BACKUP_CHECK_BYTES + \
	 crypto_secretstream_xchacha20poly1305_HEADERBYTES)
#define VAULT_BACKUP_CHUNK (1u << 20) /* plaintext bytes per secretstream message */

struct vault_backup_header {
	uint32_t version, flags, mode; /* flags: VAULT_BACKUP_WITH_AUDIT; mode: vault_backup_mode */
	struct vault_kdf_params kdf;   /* password modes; all zero for a key file */
	unsigned char salt[VAULT_SALT_BYTES];
	uint64_t image_len; /* bytes of the database image inside */
	unsigned char vault_id[VAULT_ID_BYTES];
	int64_t created_at;
	unsigned char check[VAULT_BACKUP_CHECK_BYTES];
	unsigned char ss_header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
};

void vault_backup_header_write(const struct vault_backup_header *h,
			       unsigned char out[VAULT_BACKUP_HEADER_BYTES]);
/* Parse and bound a header (hostile): magic, version, flags, mode, KDF bounds, an image size
 * the file can hold. -EBADMSG / -EPROTO (other version) with err saying what. */
int vault_backup_header_parse(const unsigned char *p, size_t n, struct vault_backup_header *h,
			      struct reterr *err);
/* The header's check: a keyed hash of its fields (the first VAULT_BACKUP_AD_BYTES of hdr);
 * matches only with the right key and an intact header. */
void vault_backup_header_check(const unsigned char *hdr, const unsigned char key[VAULT_KEY_BYTES],
			       unsigned char out[VAULT_BACKUP_CHECK_BYTES]);
/* The stream key from a password (Argon2id with h's parameters and salt; blocks) or key file
 * bytes (keyed BLAKE2b). material borrowed. */
int vault_backup_key(const struct vault_backup_header *h, const struct secret *material,
		     unsigned char key[VAULT_KEY_BYTES], struct reterr *err);
/* Write the header and img (h->image_len bytes) as secretstream chunks to fd; fills
 * h->check and h->ss_header. The first chunk's AD is the header; the last is tagged FINAL. */
int vault_backup_seal(struct vault_backup_header *h, const unsigned char key[VAULT_KEY_BYTES],
		      const unsigned char *img, int fd, const struct vault_progress *progress,
		      struct reterr *err);
/* Decrypt a whole backup file (p, n) into *ret_img (malloc'd, *ret_len bytes): every chunk
 * authenticates, the last is FINAL and ends the file, the sizes add up. -EKEYREJECTED when the
 * header's check does not match the key (wrong key, or the header was altered), -EBADMSG for
 * everything else; nothing returned. */
int vault_backup_unseal(const unsigned char *p, size_t n, const unsigned char key[VAULT_KEY_BYTES],
			const struct vault_progress *progress, unsigned char **ret_img,
			size_t *ret_len, struct reterr *err);

/* ---- restore.c: the verified backup, for restore-merge.c ------------------------------------ */

/* The backup's vault: an in-memory database, unlocked with its keys, verified; nothing that
 * reads it may write to it (it is what vault_restore_apply would install). */
struct vault *vault_restore_vault(const struct vault_restore *rs);

/* ---- backup.c: snapshots (also used by restore.c) ---------------------------------------------- */

/* A consistent copy of src's main database in a new in-memory connection (*ret, caller
 * closes), through SQLite's online backup API. */
int vault_db_snapshot(sqlite3 *src, const struct vault_progress *progress, sqlite3 **ret,
		      struct reterr *err);
/* On a snapshot handle c (its own db, the keys of the vault it came from): reset the local
 * unlock counter and queue, then append ev, keeping the log (keep_log) or cutting every entry
 * before ev behind a checkpoint (and vacuuming the freed pages away). */
int vault_snapshot_prepare(struct vault *c, bool keep_log, const struct audit_event *ev,
			   struct reterr *err);

/* ---- audit-checkpoint.c: where the chain starts after a prune ------------------------------- */

/* Entries 1..seq were pruned; mac is entry seq's chain MAC, the chain's link to what is left.
 * seq 0: never pruned (the chain starts at seq 1 from an all-zero MAC). */
struct vault_checkpoint {
	uint64_t seq;
	unsigned char mac[VAULT_MAC_BYTES];
	int64_t pruned_at;
};

/* Create the checkpoint table when missing (inside the caller's transaction). */
int vault_checkpoint_schema(struct vault *v, struct reterr *err);
/* Read and authenticate the checkpoint: *ret zeroed when there is none, -EBADMSG when it does
 * not authenticate. */
int vault_checkpoint_load(struct vault *v, struct vault_checkpoint *ret, struct reterr *err);
/* Write c (creating the table) inside the caller's transaction. */
int vault_checkpoint_store(struct vault *v, const struct vault_checkpoint *c, struct reterr *err);

/* ---- audit.c: appending inside a transaction, the payload codec ------------------------------ */

/* Append inside the caller's transaction; st must come from vault_state_load and is advanced. */
int audit_append_locked(struct vault *v, struct vault_state *st, const struct audit_event *ev,
			int64_t ts, const char *source, struct reterr *err);
/* Append the plaintext payload of one entry (codec in docs/vault-format.md) to out; strings
 * borrowed, NULL encodes as empty. Lengths are not checked here (event_check does that before
 * any append). -ENOMEM. */
int vault_audit_payload_encode(const struct audit_event *ev, const char *source, struct buf *out);
/* Parse a decrypted payload into a (zeroed; seq/ts untouched) record; on failure it is released.
 * Hostile input: every length is checked against AUDIT_FIELD_MAX first. -EBADMSG/-ENOMEM. */
int vault_audit_payload_decode(const unsigned char *p, size_t n, struct audit_record *a);
/* audit_verify inside the caller's transaction (read or write). */
int vault_audit_verify_locked(struct vault *v, uint64_t *ret_count, uint64_t *ret_bad_seq,
			      struct reterr *err);

/* ---- audit-prune.c ---------------------------------------------------------------------------- */

/* Inside the caller's transaction (st loaded): append ev, then remove every entry before it
 * behind a checkpoint, so the log holds ev alone and still verifies (backups without the log). */
int vault_audit_cut_locked(struct vault *v, struct vault_state *st, const struct audit_event *ev,
			   struct reterr *err);

/* ---- secrets.c: one secret written inside the caller's transaction ------------------------- */

/* How vault_set_locked writes (NULL: as vault_set does). */
struct vault_set_opts {
	bool only_new;	    /* -EEXIST (nothing written) when the key exists already */
	int64_t created_at; /* > 0: the creation time of a new secret, instead of now */
	int64_t updated_at; /* > 0: the update time, instead of now */
	bool replace; /* an existing secret is replaced whole, not updated (created_at kept) */
};

/* Check in, then create or update its secret as vault_set does (row, manifest; st comes from
 * vault_state_load and is advanced), without an audit entry: the caller appends one and
 * commits, or rolls back. *ret_created (optional) tells whether the key was new. */
int vault_set_locked(struct vault *v, struct vault_state *st, const struct vault_set_in *in,
		     const struct vault_set_opts *o, bool *ret_created, struct reterr *err);

/* ---- secrets.c: checks and the row rewrite that edit.c builds on ----------------------------- */

/* Check a vault_set_in against every limit (key, sizes, names, tags, expiry, bindings) before
 * anything is read or written. -EINVAL/-E2BIG with err saying why. */
int vault_set_in_check(const struct vault_set_in *in, struct reterr *err);
/* A change to a decrypted secret: may change e->meta and drop fields (e->field_values and
 * e->field_lens stay parallel to e->meta.fields), never values. Appends the audit detail (a
 * JSON object, names only) to detail. 1 changed, 0 nothing to change, -errno with err set. */
typedef int (*vault_rewrite_fn)(struct vault_entry *e, void *ctx, struct buf *detail,
				struct reterr *err);
/* In one IMMEDIATE transaction: load and authenticate key's row, apply change, store the row
 * under a new version when it changed (updated_at bumped) with its manifest update, and append
 * one `action` event with change's detail. A refusal (absent key: -ENOENT; change failed) is
 * audited as a failure with its reason and nothing else is written. */
int vault_secret_rewrite(struct vault *v, const char *key, const char *action,
			 vault_rewrite_fn change, void *ctx, struct reterr *err);

/* audit_list and audit_verify for a handle that holds the keys but is not unlocked (recovery:
 * the vault does not verify as a whole). */
int vault_audit_read(struct vault *v, const struct audit_query *q, struct audit_record **ret,
		     size_t *ret_n, struct reterr *err);
int vault_audit_verify_chain(struct vault *v, uint64_t *ret_count, uint64_t *ret_bad_seq,
			     struct reterr *err);

/* ---- cooldown.c: failed unlocks -------------------------------------------------------------- */

/* Failures recorded since the last unlock and the seconds left to wait (0: none). */
int vault_cooldown_read(struct vault *v, int64_t *ret_failures, int64_t *ret_wait,
			struct reterr *err);
/* In its own transaction: queue a vault.unlock_failed event with reason (borrowed) for the audit
 * log; when count, also count it toward the cooldown. Through a read-only handle it writes over a
 * short-lived read-write connection, and fails when the file cannot be written. */
int vault_failure_record(struct vault *v, const char *reason, bool count, struct reterr *err);
/* The failures queued since the last unlock: how many, and the time of the last one. */
int vault_failures_pending(struct vault *v, uint64_t *ret_count, int64_t *ret_last,
			   struct reterr *err);
/* Inside the unlock's transaction: append the queued failure events to the audit log (st is
 * advanced), then clear the queue and the counter. */
int vault_failures_flush(struct vault *v, struct vault_state *st, struct reterr *err);

/* ---- password.c: the master password --------------------------------------------------------- */

/* VAULT_PASSWORD_MIN..VAULT_PASSWORD_MAX bytes: -EINVAL too short (or NULL), -E2BIG too long. */
int vault_password_check(const struct secret *pw, struct reterr *err);

/* ---- history.c: previous versions of a secret -------------------------------------------- */

/* The history tables, as their own migration: created (if missing) inside the caller's write
 * transaction the first time a write needs them, so older vaults gain them on first use. */
int vault_history_migrate(struct vault *v, struct reterr *err);
/* The hook every writer calls inside its transaction BEFORE it replaces the secrets row of id
 * (vault_set, vault_rollback, and any other verb that rewrites a value): saves the current row
 * (no-op when there is none) with when, who (v->source) and size (bytes of value and fields),
 * then trims id's history to the keep count. */
int vault_history_push(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], uint64_t size,
		       struct reterr *err);
/* Forget every saved version of id (delete; rename after carrying them). */
int vault_history_purge(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
			struct reterr *err);
/* The keep count (VAULT_HISTORY_KEEP_DEFAULT when never set); store it (migrating) and trim
 * every secret's history to it. */
int vault_history_keep_read(struct vault *v, unsigned *ret, struct reterr *err);
int vault_history_keep_store(struct vault *v, unsigned keep, struct reterr *err);
/* A saved version's sealed row blobs (as the secrets table holds them, bound to an id and a
 * version). */
struct vault_row_blobs {
	unsigned char mnonce[VAULT_NONCE_BYTES], vnonce[VAULT_NONCE_BYTES];
	unsigned char *meta, *value; /* ciphertexts with their tags (malloc) */
	size_t meta_len, value_len;
};
void vault_row_blobs_release(struct vault_row_blobs *b);
/* Call fn for each saved version of id, oldest first, its info authenticated; q's columns from 0
 * are version, meta_nonce, meta, value_nonce, value (for vault_row_open). fn returns 0 or -errno
 * (which stops the walk). -EBADMSG when an info blob does not authenticate. */
typedef int (*vault_history_fn)(void *ctx, sqlite3_stmt *q, const struct vault_version *info,
				struct reterr *err);
int vault_history_each(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		       vault_history_fn fn, void *ctx, struct reterr *err);
/* Save blobs (sealed for id and info->version) as the newest saved version of id, with info
 * (when, who, size) sealed for id. The keep count is not applied. */
int vault_history_insert_sealed(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
				const struct vault_row_blobs *b, const struct vault_version *info,
				struct reterr *err);
/* id's saved versions, newest first, info authenticated. *ret freed with free(). */
int vault_history_read(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		       struct vault_version **ret, size_t *ret_n, struct reterr *err);

/* ---- folderdb.c: folder records and secret -> folder links ------------------------------- */

struct vault_folder_rec {
	unsigned char fid[VAULT_FOLDER_ID_BYTES];
	unsigned char parent[VAULT_FOLDER_ID_BYTES];
	unsigned char has_parent;
	struct vault_folder pub; /* path and counts filled by vault_folder_tree_index */
};
struct vault_folder_link {
	unsigned char id[VAULT_HASH_BYTES]; /* the secret's row id */
	unsigned char fid[VAULT_FOLDER_ID_BYTES];
};
/* Every folder and link, decrypted and authenticated (a vault without the tables has none). */
struct vault_folder_tree {
	size_t n;
	struct vault_folder_rec f[VAULT_FOLDERS_MAX];
	struct vault_folder_link *links;
	size_t nlinks, caplinks;
};

/* The folder schema, its own migration (idempotent, inside the caller's transaction). */
int vault_folders_migrate(struct vault *v, struct reterr *err);
int vault_folder_tree_load(struct vault *v, struct vault_folder_tree **ret, struct reterr *err);
void vault_folder_tree_free(struct vault_folder_tree *t);
/* Recompute paths and counts after a change in memory; -EBADMSG on a cycle or a lost parent. */
int vault_folder_tree_index(struct vault_folder_tree *t, struct reterr *err);
ssize_t vault_folder_tree_find(const struct vault_folder_tree *t, const char *path);
ssize_t vault_folder_tree_by_id(const struct vault_folder_tree *t,
				const unsigned char fid[VAULT_FOLDER_ID_BYTES]);
/* Write (insert or replace) or delete one folder record. */
int vault_folder_row_store(struct vault *v, const struct vault_folder_rec *f, struct reterr *err);
int vault_folder_row_delete(struct vault *v, const unsigned char fid[VAULT_FOLDER_ID_BYTES],
			    struct reterr *err);
/* File secret row id in folder fid, or in none (fid NULL). Every verb that removes a row calls
 * it with NULL. */
int vault_folder_link(struct vault *v, const unsigned char id[VAULT_HASH_BYTES],
		      const unsigned char *fid, struct reterr *err);
/* Give row to the folder row from is in (rename: keep false drops from's link; copy: true). */
int vault_folder_link_move(struct vault *v, const unsigned char from[VAULT_HASH_BYTES],
			   const unsigned char to[VAULT_HASH_BYTES], bool keep, struct reterr *err);
/* File row id in the folder at path ("" none); -ENOENT no such folder. */
int vault_folder_file(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], const char *path,
		      struct reterr *err);

/* ---- secrets.c: row helpers for the verbs above it (versions.c, rename.c) ------------------- */

void vault_name_hash(const struct vault *v, const char *key, unsigned char id[VAULT_HASH_BYTES]);
/* Load key's current row (inside the caller's transaction): 1 found (e filled, values when
 * want_values; *ret_version), 0 absent, -errno with err. */
int vault_entry_load(struct vault *v, const char *key, const unsigned char id[VAULT_HASH_BYTES],
		     bool want_values, struct vault_entry *e, int64_t *ret_version,
		     struct reterr *err);
/* Open the row at columns col.. of q (version, meta_nonce, meta, value_nonce, value) as key's:
 * 0 with e filled, -EBADMSG when it does not authenticate as key's, -ENOMEM. */
int vault_row_open(struct vault *v, const char *key, const unsigned char id[VAULT_HASH_BYTES],
		   sqlite3_stmt *q, int col, bool want_values, struct vault_entry *e,
		   int64_t *ret_version);
/* Write m with e's values as id's row at version st->gen + 1 and update the manifest (had_old:
 * the row replaces one at old_version). Inside the caller's transaction. */
int vault_entry_store(struct vault *v, struct vault_state *st,
		      const unsigned char id[VAULT_HASH_BYTES], const struct vault_meta *m,
		      const struct vault_entry *e, bool had_old, int64_t old_version,
		      struct reterr *err);
/* Delete id's row (at version) and its history, updating the manifest. */
int vault_row_delete(struct vault *v, struct vault_state *st,
		     const unsigned char id[VAULT_HASH_BYTES], int64_t version, struct reterr *err);
/* Seal m with e's values for id at version: the blobs of a row or a saved version. -ENOMEM,
 * -E2BIG with err. */
int vault_row_seal(struct vault *v, const unsigned char id[VAULT_HASH_BYTES], uint64_t version,
		   const struct vault_meta *m, const struct vault_entry *e,
		   struct vault_row_blobs *ret, struct reterr *err);
/* Bytes of a loaded entry's value and field values (history's size column). */
uint64_t vault_entry_size(const struct vault_entry *e);
/* Append an event about key inside the caller's transaction (st advanced). */
int vault_audit_in_tx(struct vault *v, struct vault_state *st, const char *action, const char *key,
		      bool success, const char *error, const char *detail, struct reterr *err);

/* ---- secrets.c: examining rows (recovery) ---------------------------------------------------- */

/* What one secret row is worth: problem NULL when it authenticates (name, metadata, value). key
 * (malloc'd; the caller frees) when the name decrypts. */
struct vault_row_check {
	int64_t n; /* rowid */
	bool id_ok;
	unsigned char id[VAULT_HASH_BYTES];
	int64_t version;
	int64_t updated_at;
	char *key;
	const char *problem; /* static text */
};
/* Examine the row q is on: SELECT n, id, version, meta_nonce, meta, value_nonce, value FROM
 * secrets. Values are decrypted into locked memory and wiped at once. 0 (also for a bad row) or
 * -ENOMEM. */
int vault_row_examine(const struct vault *v, sqlite3_stmt *q, struct vault_row_check *ret);
/* The row id of key (its keyed name hash). */
void vault_row_id(const struct vault *v, const char *key, unsigned char id[VAULT_HASH_BYTES]);

/* ---- create.c: a new vault ------------------------------------------------------------------- */

/* Create every table of an empty vault file (inside the caller's transaction). */
int vault_schema_create(struct vault *v, struct reterr *err);

/* ---- examine.c: what a damaged vault still holds --------------------------------------------- */

/* The secret rows that do not authenticate, named ("secret 'k': why; row 3f2a...: why", at
 * most three and a count) into out: what an unlock that fails its check tells the user. Empty
 * when every row authenticates (the damage is elsewhere: deleted or rolled-back rows). */
int vault_damage_summary(struct vault *v, char *out, size_t size);

/* ---- unlock.c (used by recover.c) ------------------------------------------------------------ */

/* The password part of vault_unlock: the cooldown, the KDF, the verifier (a failure is counted and
 * queued, a damaged header told apart). On success v->keys holds the data key and its subkeys but
 * v is not unlocked: nothing has been checked beyond the password. */
int vault_unlock_keys(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
		      struct reterr *err);

#endif
