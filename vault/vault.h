/* SPDX-License-Identifier: Apache-2.0 */
/* vault: the encrypted secret store (SQLite + libsodium) and its HMAC-chained audit log.
 * Everything about a secret (name, value, fields, tags, notes, URL) is encrypted; nothing here
 * prints. See docs/vault-format.md for the on-disk format and the key hierarchy. */
#ifndef SECRETCTL_VAULT_H
#define SECRETCTL_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* ---- limits (checked before anything is written) ------------------------------------------ */
#define VAULT_KEY_MAX 256	      /* key: 1..256 of [A-Za-z0-9._/-], no empty/./.. segment */
#define VAULT_VALUE_MAX (1024 * 1024) /* one value or one field value */
#define VAULT_NOTES_MAX (10 * 1024)
#define VAULT_URL_MAX 2048
#define VAULT_TAGS_MAX 10
#define VAULT_TAG_MAX 64
#define VAULT_FIELDS_MAX 64
#define VAULT_FIELD_NAME_MAX 64 /* [A-Za-z0-9_.-] */
#define VAULT_BINDINGS_MAX 64
#define VAULT_PASSWORD_MIN 8
#define VAULT_PASSWORD_MAX 128
#define VAULT_SECRETS_MAX 100000	 /* per vault */
#define VAULT_ENV_NAME_MAX 128		 /* binding env name: [A-Za-z_][A-Za-z0-9_]* */
#define AUDIT_FIELD_MAX (64 * 1024)	 /* each text field of an audit event */
#define VAULT_EXPIRES_MAX 253402300799LL /* 9999-12-31T23:59:59Z: the last RFC 3339 time */

#define VAULT_DB_NAME "vault.db"
#define VAULT_DIR_ENV "SECRETCTL_VAULT_DIR" /* default: $HOME/.secretctl */
#define VAULT_PASSWORD_ENV "SECRETCTL_PASSWORD"

/* KDF profiles (Argon2id via crypto_pwhash). TEST is deliberately weak: tests only. */
enum vault_kdf {
	VAULT_KDF_TEST,	       /* opslimit 1, 8 MiB: never for real vaults */
	VAULT_KDF_INTERACTIVE, /* libsodium INTERACTIVE: 2, 64 MiB */
	VAULT_KDF_MODERATE,    /* libsodium MODERATE: 3, 256 MiB (default) */
	VAULT_KDF_SENSITIVE,   /* libsodium SENSITIVE: 4, 1 GiB */
};

/* Parse "test|interactive|moderate|sensitive". -EINVAL otherwise. */
int vault_kdf_parse(const char *s, enum vault_kdf *ret);

/* ---- handle ------------------------------------------------------------------------------- */
struct vault;

/* Resolve the vault directory: $SECRETCTL_VAULT_DIR, else $HOME/.secretctl (secure_getenv).
 * Returns a malloc'd path (caller frees) or NULL with err set. */
char *vault_dir_default(struct reterr *err);

/* Create a new vault in dir (created 0700 if missing, its missing parents too; an existing dir
 * must be ours, 0700-ish, not a symlink; symlinks above it are resolved). Refuses (-EEXIST) when
 * a vault already exists (an empty vault.db left by an interrupted init of an older version is
 * replaced). The password (borrowed) is used in its Unicode NFC form. The vault is made in a
 * temporary file renamed into place when complete: an interruption leaves no vault.db (leftover
 * temporary files are removed by the next create). Writes the `vault.init` audit event. Can
 * block for the KDF time. */
int vault_create(const char *dir, const struct secret *password, enum vault_kdf kdf,
		 struct reterr *err);

/* Open an existing vault without unlocking it: checks dir and file (no symlink, owner = us, not
 * group/world accessible; symlinks above dir are resolved), opens SQLite. -ENOENT when there is
 * no vault (message says run init), -EACCES/-ELOOP for a file or directory that fails the checks.
 * *ret owned by caller (vault_free). */
int vault_open(const char *dir, struct vault **ret, struct reterr *err);
/* The same, read-only: SQLite opens the file read-only and nothing is ever written through the
 * handle, so a read-only mount, a full disk or a forensic copy work and are left unchanged.
 * vault_unlock then checks the password and the whole vault and appends nothing to the audit log
 * (queued failures stay queued); a wrong password is still counted toward the cooldown when the
 * file can be written (a second, short-lived connection), and reported as not recorded when it
 * cannot. Every verb that writes fails with -EROFS. */
int vault_open_readonly(const char *dir, struct vault **ret, struct reterr *err);

/* Free; wipes keys; NULL-safe; returns NULL. */
struct vault *vault_free(struct vault *v);

/* Source recorded in audit events made through this handle: "cli" (default) or "mcp". */
void vault_set_source(struct vault *v, const char *source);
/* Record "via": via (e.g. "agent": the session agent served the request) in the detail of every
 * audit event made through this handle. Same characters as a source; NULL or "" clears it. */
void vault_set_via(struct vault *v, const char *via);

/* Unlock with the master password (borrowed). Enforces the persisted cooldown (-EAGAIN with the
 * remaining seconds in err; *ret_wait_s set when non-NULL; the refusal is queued as a
 * vault.unlock_failed event, not counted), runs the KDF on the password's NFC form and, when that
 * differs and fails, on its raw bytes (vaults made before normalisation), checks the verifier
 * (-EKEYREJECTED "wrong password": counts a failure, queues a vault.unlock_failed event; a header
 * whose checksum does not match is -EBADMSG "damaged", not counted), checks the authenticated
 * manifest and head (-EBADMSG naming the problem and the rows that do not authenticate). On a
 * read-write handle it then moves queued failure events into the audit log; it appends no
 * `vault.unlock` event: the first event written through the handle stands for the unlock (see
 * vault_audit_unlock). Can block for the KDF time. */
int vault_unlock(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
		 struct reterr *err);

/* After a successful vault_unlock: how many failed attempts (wrong passwords, refusals during a
 * cooldown, missing passwords) were queued since the vault was last unlocked, and the time of
 * the last one (0, 0 when none), so that the caller can tell the user as ssh does. */
void vault_unlock_failures(const struct vault *v, unsigned *ret_count, int64_t *ret_last);

/* For a caller that unlocked v and is done: when nothing was audited through v since the
 * unlock, append a `vault.unlock` event, so that no unlock goes unrecorded. 0 when there was
 * nothing to write (also for read-only or locked handles). */
int vault_audit_unlock(struct vault *v, struct reterr *err);

/* Record a failed attempt to unlock that never reached the KDF (no password given): a
 * vault.unlock_failed event with reason (copied; never secret) is queued and written to the
 * audit log at the next unlock. Does not count toward the cooldown. */
int vault_note_unlock_failure(struct vault *v, const char *reason, struct reterr *err);

/* Replace the master password: rewraps the data key only, under the new password's NFC form, in
 * one transaction (the old password keeps working until commit). Vault must be unlocked.
 * -EEXIST when new_password is the one that unlocked v. Audits `vault.password`. */
int vault_change_password(struct vault *v, const struct secret *new_password, enum vault_kdf kdf,
			  struct reterr *err);

/* The least estimated strength of a new master password, in bits (about 10^15 guesses). */
#define VAULT_PASSWORD_MIN_BITS 50
/* How hard password (borrowed; its NFC form) is to guess, in bits (log2 of the guesses zxcvbn
 * estimates an attacker needs: dictionaries, names, keyboard patterns, dates, repeats, l33t).
 * words (NULL-terminated, may be NULL) count as easy guesses too (the user name, the tool's
 * name). 0 and *ret_bits, -EINVAL (a NUL byte), -ENOMEM, -ENOSYS (libzxcvbn.so.0, loaded on
 * first use, is missing). */
int vault_password_strength(const struct secret *password, const char *const *words,
			    double *ret_bits);

/* Number of unlock failures recorded since the last success, and the current cooldown. */
int vault_cooldown(struct vault *v, unsigned *ret_failures, int64_t *ret_wait_s);

/* ---- secrets ------------------------------------------------------------------------------ */

/* Metadata: never secret values. All strings malloc'd, owned by the struct. */
struct vault_field_meta {
	char *name;
	bool sensitive;
};
struct vault_binding {
	char *env;   /* environment variable name */
	char *field; /* field name */
};
struct vault_meta {
	char *key;
	char *notes; /* NULL when unset */
	char *url;   /* NULL when unset */
	char **tags; /* strv, never NULL (may be empty) */
	int64_t created_at, updated_at;
	int64_t expires_at; /* 0 = never */
	bool has_value;	    /* single value present (a secret may be fields only) */
	size_t value_len; /* length of the single value (so list/get can mask without decrypting) */
	struct vault_field_meta *fields;
	size_t nfields;
	struct vault_binding *bindings;
	size_t nbindings;
};

/* A decrypted secret. All value bytes live in one secure allocation (blob); value and
 * field_values point into it. */
struct vault_entry {
	struct vault_meta meta;
	struct secret *blob;
	const unsigned char *value; /* NULL when !meta.has_value */
	size_t value_len;
	const unsigned char **field_values; /* meta.nfields pointers into blob (malloc'd array) */
	size_t *field_lens;
};

void vault_meta_release(struct vault_meta *m);
struct vault_entry *vault_entry_free(struct vault_entry *e);
/* Free an array of n metas from vault_list. */
void vault_meta_array_free(struct vault_meta *a, size_t n);

/* Input for vault_set. Strings and secrets are borrowed. A NULL pointer field means "keep the
 * current value" when updating (clear it by passing ""), "none" when creating. An empty value
 * (len 0) likewise removes the single value; a secret always keeps a value or a field.
 * A binding's field names one of the secret's fields; "" names the single value. */
struct vault_set_in {
	const char *key;
	const struct secret *value; /* NULL = keep (update) / none (create; then fields required) */
	const char *notes;
	const char *url;
	char *const *tags; /* NULL = keep */
	bool set_expires;
	int64_t expires_at; /* with set_expires; 0 clears; at most VAULT_EXPIRES_MAX */
	/* Fields: each given field is added or replaced; others are kept on update. */
	const char *const *field_names;
	const struct secret *const *field_values;
	size_t nfields;
	const char *const *sensitive; /* field names to mark sensitive */
	size_t nsensitive;
	const struct vault_binding *bindings; /* replaces the binding set when nbindings > 0 */
	size_t nbindings;
	const char *folder; /* NULL = keep (none when creating); "" = in no folder; else a path */
};

/* Validate a key name (limits above). 0 or -EINVAL with err saying why. */
int vault_key_check(const char *key, struct reterr *err);

/* Create or update a secret in one transaction (audit `secret.set` in the same transaction).
 * Updating keeps created_at and bumps updated_at. Limits -> -EINVAL/-E2BIG, nothing written.
 * *ret_created (optional) tells whether the key was new. */
int vault_set(struct vault *v, const struct vault_set_in *in, bool *ret_created,
	      struct reterr *err);

/* Input for vault_edit: changes to an existing secret that leave its values as they are.
 * Strings and vectors are borrowed; NULL or a zero count changes nothing. */
struct vault_edit_in {
	const char *key;
	const char *notes; /* "" clears */
	const char *url;   /* "" clears */
	char *const *tags; /* replaces the tags; an empty vector clears them */
	bool set_expires;
	int64_t expires_at; /* with set_expires; 0 clears; at most VAULT_EXPIRES_MAX */
	const char *const *remove_fields; /* fields to remove (each must exist) */
	size_t nremove_fields;
	const char *const *sensitive; /* fields to mark sensitive (each must exist) */
	size_t nsensitive;
	const char *const *not_sensitive; /* fields to mark not sensitive (each must exist) */
	size_t nnot_sensitive;
	bool clear_bindings;	   /* drop every binding first */
	const char *const *unbind; /* env names whose binding is dropped (each must exist) */
	size_t nunbind;
	const struct vault_binding *bindings; /* added, or replacing the binding of the same env;
					       * field "" names the single value */
	size_t nbindings;
	const char *folder; /* NULL = keep; "" = in no folder; else a folder's path */
};

/* Edit an existing secret in one IMMEDIATE transaction: metadata, then removed fields, then
 * sensitivity, then bindings (clear, unbind, bind), then its folder, in that order. The result
 * must still be a secret: a value or a field, and every binding naming one (a binding to a
 * removed field must be dropped or rebound in the same edit). A field may not be both marked and
 * unmarked sensitive. Values are not changed (they are re-encrypted under the row's new
 * version); updated_at is bumped only when something in the row changed (a folder change alone
 * writes the link but no new row version). One `secret.edit` audit event names what changed
 * (which attributes, field and env names, the folder's path; never values, notes, URLs or tags);
 * a refused edit is audited as a failure with its reason. -ENOENT when the secret or the folder
 * is absent; -EINVAL/-E2BIG naming the problem with nothing changed. *ret_changed (optional;
 * caller frees): what changed, comma-separated ("tags,notes,fields,sensitivity,bindings,
 * folder,..."), "" when the edit changed nothing. */
int vault_edit(struct vault *v, const struct vault_edit_in *in, char **ret_changed,
	       struct reterr *err);

/* What `secretctl doctor` shows of an open vault without unlocking it (v from vault_open). The
 * KDF parameters are read from the header as stored: unlocking authenticates them. 0, or -errno
 * with err naming a malformed header. */
struct vault_info {
	int64_t format;
	bool kdf_known; /* the parameters are exactly those of kdf */
	enum vault_kdf kdf;
	uint64_t kdf_ops; /* Argon2id passes */
	uint64_t kdf_mem; /* Argon2id memory, bytes */
};
int vault_info(struct vault *v, struct vault_info *ret, struct reterr *err);

/* Flags for vault_get. */
#define VAULT_GET_NO_AUDIT (1u << 0)  /* caller audits (e.g. run logs secret.run itself) */
#define VAULT_GET_META_ONLY (1u << 1) /* do not decrypt values (blob NULL) */

/* Read one secret. -ENOENT when absent. Audits `secret.get` unless VAULT_GET_NO_AUDIT.
 * *ret owned by caller (vault_entry_free). */
int vault_get(struct vault *v, const char *key, unsigned flags, struct vault_entry **ret,
	      struct reterr *err);

/* List metadata of all secrets (values are not decrypted), sorted by key. When pattern is
 * non-NULL only keys matching glob_match(pattern). Audits `secret.list` unless
 * VAULT_GET_NO_AUDIT in flags. *ret is an array of *ret_n (vault_meta_array_free). */
int vault_list(struct vault *v, const char *pattern, unsigned flags, struct vault_meta **ret,
	       size_t *ret_n, struct reterr *err);

/* Delete a secret. -ENOENT when absent. Audits `secret.delete`. */
int vault_delete(struct vault *v, const char *key, struct reterr *err);

/* ---- many secrets at once (import) -------------------------------------------------------- */

/* What vault_set_many does with an item whose key exists. */
enum vault_conflict {
	VAULT_CONFLICT_ERROR,	  /* fail with -EEXIST naming the key: nothing is written */
	VAULT_CONFLICT_SKIP,	  /* leave the stored secret as it is */
	VAULT_CONFLICT_OVERWRITE, /* update it as vault_set does (what the item leaves NULL stays) */
};

enum vault_outcome {
	VAULT_OUTCOME_NONE,
	VAULT_OUTCOME_CREATED,
	VAULT_OUTCOME_UPDATED,
	VAULT_OUTCOME_SKIPPED,
	VAULT_OUTCOME_FAILED, /* the item a failure is about */
};

/* One secret of a bulk write. */
struct vault_bulk_item {
	struct vault_set_in in; /* borrowed, as for vault_set */
	int64_t created_at;	/* > 0: creation time of a new secret (imports keep their dates) */
	int64_t updated_at;	/* > 0: update time instead of now */
	/* With VAULT_CONFLICT_OVERWRITE: the item replaces a stored secret whole (what it leaves
	 * NULL is cleared; the stored fields, bindings and sensitivity it does not name go; the
	 * creation time stays) instead of updating it. */
	bool replace;
	enum vault_outcome
		outcome; /* out: every item's on success; on failure FAILED marks the item
				     * at fault (none when the database or the audit log failed) */
};

struct vault_bulk_opts {
	const char *action; /* audit action, e.g. "secret.import" */
	enum vault_conflict conflict;
	bool dry_run; /* check and compute everything, then roll back: nothing is
				       * written and nothing audited; the outcomes say what would be */
	/* Called after each item with the number done and n, inside the transaction: it must not
	 * use the vault. NULL: none. */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
};

/* Store n items in one IMMEDIATE transaction, all or none: one unlock, one transaction, one
 * commit. Each item is checked as vault_set checks it; keys must be distinct (-EINVAL naming
 * the repeated one). The audit log gets one o->action entry listing every key created or
 * updated, with {"created":N,"updated":N,"skipped":N} as detail (a list longer than
 * AUDIT_FIELD_MAX is split over consecutive entries of the same transaction, each saying its
 * "part" of "parts"). Errors as vault_set, -EEXIST under VAULT_CONFLICT_ERROR; err names the
 * key. Can block for the busy timeout; runs no KDF. items[].outcome is written either way. */
int vault_set_many(struct vault *v, struct vault_bulk_item *items, size_t n,
		   const struct vault_bulk_opts *o, struct reterr *err);

/* ---- backup and restore (docs/vault-format.md "Backups") ----------------------------------- */

/* What a long backup or restore reports as it goes: one step after the other, each counting its
 * own units from 0 to total. */
enum vault_progress_step {
	VAULT_PROGRESS_COPY,  /* backup: database pages copied (SQLite's online backup) */
	VAULT_PROGRESS_SEAL,  /* backup: bytes of the image encrypted and written */
	VAULT_PROGRESS_OPEN,  /* restore: bytes of the image decrypted and authenticated */
	VAULT_PROGRESS_WRITE, /* restore: database pages written into the new vault file */
	VAULT_PROGRESS_MERGE, /* restore into a vault (vault_restore_merge): secrets stored */
};
/* A progress callback (NULL fn: none). Called in the caller's thread, in the middle of the
 * operation: it must not use the vault, and it must return promptly. */
struct vault_progress {
	void (*fn)(void *ctx, enum vault_progress_step step, uint64_t done, uint64_t total);
	void *ctx;
};

/* What a backup's stream key comes from. */
enum vault_backup_mode {
	VAULT_BACKUP_MASTER = 1,   /* the master password (Argon2id, the backup's own salt) */
	VAULT_BACKUP_PASSWORD = 2, /* a separate backup password (likewise) */
	VAULT_BACKUP_KEYFILE = 3,  /* the bytes of a key file (keyed BLAKE2b with the salt) */
};
#define VAULT_BACKUP_WITH_AUDIT (1u << 0)   /* carry the whole audit log */
#define VAULT_RESTORE_REPLACE (1u << 1)	    /* replace an existing vault (restore) */
#define VAULT_BACKUP_IMAGE_MAX (1ull << 30) /* largest database image a backup may hold */
#define VAULT_KEYFILE_MIN 32
#define VAULT_KEYFILE_MAX 4096

struct vault_backup_info {
	uint32_t version;
	unsigned flags; /* VAULT_BACKUP_WITH_AUDIT */
	enum vault_backup_mode mode;
	int64_t created_at;
	uint64_t image_bytes;
	uint64_t secrets;	/* after vault_restore_open only */
	uint64_t audit_entries; /* entries in the log (after vault_restore_open only) */
	unsigned char vault_id[16];
};

/* Write a backup of the unlocked vault v to fd: a consistent snapshot through SQLite's online
 * backup API (never a file copy), without the audit log unless VAULT_BACKUP_WITH_AUDIT (its
 * entries are cut behind an authenticated checkpoint, so the copy still verifies), encrypted
 * with a secretstream key from key_material (the master password, a backup password or key
 * file bytes, per mode; borrowed). Audits `vault.backup`. Blocks for the KDF and the I/O.
 * progress (optional, borrowed) hears COPY then SEAL. *ret (optional) describes what was
 * written. */
int vault_backup(struct vault *v, unsigned flags, enum vault_backup_mode mode,
		 const struct secret *key_material, int fd, const struct vault_progress *progress,
		 struct vault_backup_info *ret, struct reterr *err);

/* Read the header of a backup file (no key needed): its version, mode and flags, so a caller
 * knows which key to ask for. -EBADMSG not a backup or damaged, -EPROTO other version. */
int vault_backup_inspect(const void *file, size_t len, struct vault_backup_info *ret,
			 struct reterr *err);

struct vault_restore;

/* Decrypt and verify a whole backup file (borrowed) before anything is touched: the stream
 * (nothing truncated, appended or altered), the database image, its header (password must
 * unlock it: the master password the vault had when it was backed up), its manifest and its
 * audit chain. key_material as for vault_backup (for VAULT_BACKUP_MASTER pass the password).
 * -EBADMSG (damaged, tampered, wrong key), -EKEYREJECTED (the password does not unlock the
 * vault inside), -EPROTO. progress (optional, borrowed) hears OPEN. *ret owned by caller
 * (vault_restore_free). Blocks for the KDF. */
int vault_restore_open(const void *file, size_t len, const struct secret *key_material,
		       const struct secret *password, const struct vault_progress *progress,
		       struct vault_restore **ret, struct vault_backup_info *ret_info,
		       struct reterr *err);
/* Make the verified backup the vault in dir, atomically (a new file renamed over vault.db; the
 * directory is created 0700 when missing). An existing vault is refused (-EEXIST) unless
 * VAULT_RESTORE_REPLACE. The audit log is carried when the backup has it and
 * VAULT_BACKUP_WITH_AUDIT is given (else -EINVAL when asked for and absent; without it the
 * backup's log is cut behind a checkpoint); a `vault.restore` entry is appended either way.
 * progress (optional, borrowed) hears WRITE. */
int vault_restore_apply(struct vault_restore *rs, const char *dir, unsigned flags,
			const struct vault_progress *progress, struct reterr *err);
struct vault_restore *vault_restore_free(struct vault_restore *rs);

/* Reading a verified backup (rs from vault_restore_open) secret by secret. Nothing is audited:
 * the backup's vault is not the user's (what is done with what is read is). */
/* The keys of the backup's secrets, sorted (*ret: strv_free). */
int vault_restore_keys(struct vault_restore *rs, char ***ret, struct reterr *err);
/* One secret of the backup with its values, as vault_get gives it (*ret: vault_entry_free),
 * and the path of its folder in the backup (*ret_folder, optional: malloc'd, "" in none).
 * -ENOENT no such key. */
int vault_restore_get(struct vault_restore *rs, const char *key, struct vault_entry **ret,
		      char **ret_folder, struct reterr *err);

/* How vault_restore_merge goes. */
struct vault_merge_opts {
	enum vault_conflict conflict; /* for a key both have */
	bool dry_run;		      /* compute every outcome, write nothing, audit nothing */
	const struct vault_progress *progress; /* optional: hears MERGE */
};
struct vault_merge_item {
	char *key;
	enum vault_outcome outcome; /* CREATED, UPDATED (overwritten) or SKIPPED */
};
struct vault_merge_result {
	struct vault_merge_item *items; /* every secret of the backup, sorted by key */
	size_t n, created, updated, skipped;
	uint64_t versions; /* saved previous versions in the backup: never merged */
};
/* Merge every secret of the verified backup into the unlocked vault v, in one transaction
 * through vault_set_many: all of them or none. Each secret is carried whole (value, fields and
 * their sensitivity, notes, URL, tags, expiry, bindings, creation and update times, and its
 * folder, which v must have: -ENOENT naming it otherwise); a key v has already is refused
 * (VAULT_CONFLICT_ERROR: -EEXIST naming the first such key), kept (SKIP), or replaced whole
 * (OVERWRITE: v's previous version goes into its history, as vault_set does). The backup's own
 * saved versions are not merged (counted in ret->versions). Audited as one `vault.restore`
 * entry listing the keys written, with the counts ({"created","updated","skipped"}). *ret
 * (vault_merge_result_release) on success only. */
int vault_restore_merge(struct vault_restore *rs, struct vault *v, const struct vault_merge_opts *o,
			struct vault_merge_result *ret, struct reterr *err);
void vault_merge_result_release(struct vault_merge_result *r);

/* ---- history, rename, copy ----------------------------------------------------------------- */

#define VAULT_HISTORY_KEEP_DEFAULT 5 /* previous versions kept per secret */
#define VAULT_HISTORY_KEEP_MAX 100

/* One saved previous version: never its value. version is the row version it had (stable:
 * what vault_rollback takes); replaced_at/source say when and through what ("cli", "mcp") it
 * was replaced; size is the bytes of its value and field values. */
struct vault_version {
	uint64_t version;
	int64_t replaced_at;
	uint64_t size;
	char source[17];
};

/* The saved versions of key, newest first (*ret: free()). -ENOENT when key does not exist.
 * Audits `secret.history`. */
int vault_history(struct vault *v, const char *key, struct vault_version **ret, size_t *ret_n,
		  struct reterr *err);
/* Make saved version `version` (0: the newest saved) key's current value, metadata included
 * (created_at kept); the replaced value is saved in turn. -ENOENT no such key or version.
 * Audits `secret.rollback`. *ret_version (optional): the version restored. */
int vault_rollback(struct vault *v, const char *key, uint64_t version, uint64_t *ret_version,
		   struct reterr *err);
/* How many previous versions are kept per secret; setting it trims every history at once
 * (0 keeps none) and audits `vault.history_keep`. -EINVAL above VAULT_HISTORY_KEEP_MAX. */
int vault_history_keep(struct vault *v, unsigned *ret, struct reterr *err);
int vault_history_set_keep(struct vault *v, unsigned keep, struct reterr *err);

/* Rename from to to, or copy it there, in one transaction with its audit event
 * (`secret.rename`, `secret.copy`): -ENOENT no from, -EEXIST to exists (nothing changed).
 * Both keep created_at and the metadata. The saved versions stay bound to the old name: a
 * rename forgets them (history of the new name starts empty), a copy starts a new history. */
int vault_rename(struct vault *v, const char *from, const char *to, struct reterr *err);
int vault_copy(struct vault *v, const char *from, const char *to, struct reterr *err);

/* ---- folders ------------------------------------------------------------------------------ */

/* Folders organise secrets (each secret is in at most one folder); everything about a folder is
 * encrypted. A folder is named by its path: the names from the top joined by '/'. */
#define VAULT_FOLDER_NAME_MAX 64 /* a name: 1..64 of [A-Za-z0-9._ -], not . or .., no edge space */
#define VAULT_FOLDER_ICON_MAX 32 /* UTF-8, no control characters (an emoji, a word) */
#define VAULT_FOLDER_DEPTH_MAX 8
#define VAULT_FOLDER_PATH_MAX (VAULT_FOLDER_DEPTH_MAX * (VAULT_FOLDER_NAME_MAX + 1))
#define VAULT_FOLDERS_MAX 1000

struct vault_folder {
	char id[33];	    /* 32 hex digits, stable across rename and move */
	char parent_id[33]; /* "" at the top */
	char name[VAULT_FOLDER_NAME_MAX + 1];
	char path[VAULT_FOLDER_PATH_MAX + 1];
	char icon[VAULT_FOLDER_ICON_MAX + 1]; /* "" none */
	char color[8];			      /* "#RRGGBB" or "" */
	int64_t created_at, updated_at;
	size_t secrets; /* secrets directly in it */
	size_t folders; /* folders directly in it */
};

/* Check a folder name, an icon, a "#RRGGBB" colour, a path. 0 or -EINVAL with err. */
int vault_folder_name_check(const char *name, struct reterr *err);
int vault_folder_icon_check(const char *icon, struct reterr *err);
int vault_folder_color_check(const char *color, struct reterr *err);
int vault_folder_path_check(const char *path, struct reterr *err);

/* Create folder name under parent (a path; NULL or "" at the top). icon/color NULL for none.
 * -EEXIST a sibling has that name, -ENOENT no parent, -E2BIG too deep or too many.
 * Audits `folder.create`. *ret (optional) the new folder. */
int vault_folder_create(struct vault *v, const char *name, const char *parent, const char *icon,
			const char *color, struct vault_folder *ret, struct reterr *err);
/* Folders sorted by path: all (parent NULL or ""), or those below parent. -ENOENT no parent.
 * Audits `folder.list`. *ret: free(). */
int vault_folder_list(struct vault *v, const char *parent, struct vault_folder **ret, size_t *ret_n,
		      struct reterr *err);
/* One folder and the keys directly in it (sorted strv, never NULL). -ENOENT. Audits
 * `folder.info`. */
int vault_folder_info(struct vault *v, const char *path, struct vault_folder *ret, char ***ret_keys,
		      struct reterr *err);
/* Rename (same parent) or move (under new_parent; NULL or "" the top) a folder with everything
 * in it. -EEXIST name taken there, -ELOOP into itself, -E2BIG too deep. Audits `folder.rename`,
 * `folder.move`. */
int vault_folder_rename(struct vault *v, const char *path, const char *new_name,
			struct reterr *err);
int vault_folder_move(struct vault *v, const char *path, const char *new_parent,
		      struct reterr *err);
/* Delete a folder. -ENOTEMPTY when it holds secrets or folders, unless force: then its folders
 * go too and every secret in them is kept, in no folder (*ret_unfiled, optional, counts them).
 * Audits `folder.delete`. */
int vault_folder_delete(struct vault *v, const char *path, bool force, size_t *ret_unfiled,
			struct reterr *err);
/* Put secret key in folder (NULL or "": in none). -ENOENT no such key or folder. Audits
 * `secret.move`. */
int vault_folder_assign(struct vault *v, const char *key, const char *folder, struct reterr *err);
/* The keys directly in folder, sorted (strv, never NULL). -ENOENT no such folder. No audit: a
 * filter for a listing its caller audits. */
int vault_folder_keys(struct vault *v, const char *folder, char ***ret_keys, struct reterr *err);
/* ---- session keys: the session agent (vault/keys.c) ------------------------------------- */

/* A copy of an unlocked vault's keys, so that a long-lived process (the session agent, which
 * holds no database connection) can unlock later handles of the same vault without the
 * password. It holds the data key and its subkeys in one secure allocation, the vault id and a
 * digest of the header row the keys came from. */
struct vault_keys;

/* Export the keys of the unlocked v. -EACCES when locked, -ENOMEM. *ret owned by the caller
 * (vault_keys_free: wipes). */
int vault_keys_export(struct vault *v, struct vault_keys **ret, struct reterr *err);
/* Wipe and free; NULL-safe; returns NULL. */
struct vault_keys *vault_keys_free(struct vault_keys *k);
/* Unlock the open v with exported keys instead of the password (no KDF, no cooldown). The header
 * must still be the one k was exported from: -ESTALE when the vault was replaced or its password
 * changed since. The authenticated head and every row are checked as vault_unlock checks them
 * (-EBADMSG naming the problem). Nothing is audited (the unlock that made k was). k borrowed. */
int vault_unlock_with_keys(struct vault *v, const struct vault_keys *k, struct reterr *err);

/* A proof that its maker holds the vault's keys (so knew the password): HMAC-SHA-512/256 of msg
 * under a subkey used for nothing else, bound to the vault id. check compares in constant time. */
#define VAULT_PROOF_BYTES 32
void vault_keys_proof(const struct vault_keys *k, const void *msg, size_t len,
		      unsigned char out[VAULT_PROOF_BYTES]);
bool vault_keys_proof_check(const struct vault_keys *k, const void *msg, size_t len,
			    const unsigned char proof[VAULT_PROOF_BYTES]);

/* Facts about an unlocked vault for `secretctl status`: the KDF profile its header names
 * ("test", "interactive", "moderate", "sensitive" or "custom"; static), the KDF memory in bytes
 * and the number of secrets (the authenticated manifest's count). */
struct vault_stat {
	const char *kdf;
	uint64_t kdf_mem;
	uint64_t secrets;
};
int vault_stat(struct vault *v, struct vault_stat *ret, struct reterr *err);

/* ---- recovery (docs/vault-format.md "Recovery") ------------------------------------------- */

/* A secret row that does not authenticate. */
struct vault_bad_row {
	int64_t rowid;	     /* its number in the secrets table */
	char id[17];	     /* the first 8 bytes of its row id in hex ("?" when malformed) */
	char *key;	     /* its name when that still decrypts or the audit log names a key
			      * with its row id, else NULL */
	const char *problem; /* what is wrong (static text) */
};

/* What vault_examine found. Strings and arrays are owned by it (vault_examination_release). */
struct vault_examination {
	size_t rows, intact;	   /* secret rows in the file; those that authenticate */
	struct vault_bad_row *bad; /* the others */
	size_t nbad;
	/* From the audit log entries that decrypt: keys it says exist that have no row (deleted
	 * outside secretctl), and intact rows older than their last change (rolled back). */
	char **missing, **stale; /* strv, NULL when none */
	bool manifest_ok;	 /* the manifest's MAC verifies */
	bool rows_match;	 /* the intact rows are exactly the set it authenticates */
	bool head_ok;		 /* the authenticated head matches the log and the manifest */
	char head_msg[RETERR_MSG_MAX];
	bool audit_ok; /* the whole chain verifies (vault_examine does not repair it) */
	uint64_t audit_entries, audit_bad_seq;
	char audit_msg[RETERR_MSG_MAX];
};

/* For a vault that does not unlock because it fails its integrity check: check the password as
 * vault_unlock does (cooldown, counted failures) and keep the keys, without trusting anything
 * else. The handle then serves vault_examine and vault_recover only. */
int vault_unlock_for_recovery(struct vault *v, const struct secret *password, int64_t *ret_wait_s,
			      struct reterr *err);
/* Examine every secret row (each is decrypted and wiped at once), the manifest, the head and the
 * audit chain. Writes nothing. v from vault_unlock or vault_unlock_for_recovery. */
int vault_examine(struct vault *v, struct vault_examination *ret, struct reterr *err);
/* Whether the secrets, the manifest and the head are intact: nothing for vault_recover to do
 * (a broken audit chain alone is not repaired: it stays visible to audit_verify). */
bool vault_examination_clean(const struct vault_examination *ex);
void vault_examination_release(struct vault_examination *ex);
/* Rebuild the vault from what ex found intact, atomically: a new file holds the header, every
 * intact secret row and the whole audit log as stored (a broken chain stays visible), a
 * recomputed manifest and head, and a `vault.recover` event naming what was dropped; it is
 * renamed over vault.db after the damaged file was kept as vault.db.damaged-<time> (a hard link;
 * *ret_backup is its path, malloc'd). v must be read-write; ex from vault_examine(v). */
int vault_recover(struct vault *v, const struct vault_examination *ex, char **ret_backup,
		  struct reterr *err);

/* ---- audit log ---------------------------------------------------------------------------- */

/* One event to append. Borrowed strings; NULL = empty. Never put secret values here. */
struct audit_event {
	const char *action;  /* "secret.run", ... */
	const char *keys;    /* comma-separated key names */
	const char *command; /* sanitized argv, space-joined */
	bool success;
	const char *error;  /* short reason on failure */
	const char *detail; /* extra JSON object text (exit code, duration, counts...) or NULL */
};

/* A stored entry, as read back. Strings malloc'd, never NULL (empty when unset). seq 0: a
 * failed unlock still queued (not yet in the chain: see audit_list). */
struct audit_record {
	uint64_t seq;
	int64_t ts;
	char *action, *source, *keys, *command, *error, *detail;
	bool success;
	bool unreadable; /* malformed or does not authenticate: only seq and ts (error says so) */
};

/* Append one event (timestamp now, source of the handle) in its own IMMEDIATE transaction.
 * Vault must be unlocked. */
int audit_append(struct vault *v, const struct audit_event *ev, struct reterr *err);

/* Append ev naming many keys (borrowed; ev->keys is ignored) in one IMMEDIATE transaction: the
 * keys comma-separated, over as many entries as AUDIT_FIELD_MAX needs; with several, the
 * detail (a JSON object text or NULL) of each gains "part" and "parts". Vault must be
 * unlocked. */
int audit_append_keys(struct vault *v, const struct audit_event *ev, const char *const *keys,
		      size_t n, struct reterr *err);

struct audit_query {
	uint64_t limit;	    /* 0 = all; else the newest `limit` entries */
	int64_t since;	    /* 0 = all; else ts >= since */
	int64_t until;	    /* 0 = all; else ts <= until */
	const char *source; /* NULL = all */
};

/* Read entries oldest first (after verifying nothing; use audit_verify for that; an entry that
 * does not authenticate comes back unreadable instead of failing the list), then the failed
 * unlocks queued since the last unlock, as the vault.unlock_failed entries (seq 0, detail
 * {"queued":true}) the next read-write unlock will chain (a read-only handle never does).
 * *ret array of *ret_n (audit_records_free). */
int audit_list(struct vault *v, const struct audit_query *q, struct audit_record **ret,
	       size_t *ret_n, struct reterr *err);
void audit_records_free(struct audit_record *a, size_t n);

/* What audit_prune removed (or, dry run, would remove). */
struct audit_prune_result {
	uint64_t removed;     /* entries removed */
	uint64_t through_seq; /* the last removed seq; 0 when none */
};

/* Remove the entries older than before (ts < before), oldest first, up to the first entry that
 * is not: the chain is only ever cut at its start. Verifies the whole chain first (-EBADMSG,
 * nothing removed: a prune must not hide tampering); then, in one transaction, writes an
 * authenticated checkpoint (the last removed entry's seq and chain MAC) from which audit_verify
 * goes on, deletes the entries and appends `audit.prune`. dry_run: counts only, writes nothing.
 * Vault must be unlocked. */
int audit_prune(struct vault *v, int64_t before, bool dry_run, struct audit_prune_result *ret,
		struct reterr *err);

/* Verify the whole chain and its authenticated head. 0 with *ret_count = entries checked, or
 * -EBADMSG with err naming the first bad entry (seq) and what is wrong (edited, missing,
 * reordered, inserted, truncated). *ret_bad_seq (optional) set on failure. */
int audit_verify(struct vault *v, uint64_t *ret_count, uint64_t *ret_bad_seq, struct reterr *err);

#endif
