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
#define VAULT_KEY_MAX 256            /* key: 1..256 of [A-Za-z0-9._/-], no empty/./.. segment */
#define VAULT_VALUE_MAX (1024 * 1024) /* one value or one field value */
#define VAULT_NOTES_MAX (10 * 1024)
#define VAULT_URL_MAX 2048
#define VAULT_TAGS_MAX 10
#define VAULT_TAG_MAX 64
#define VAULT_FIELDS_MAX 64
#define VAULT_FIELD_NAME_MAX 64      /* [A-Za-z0-9_.-] */
#define VAULT_BINDINGS_MAX 64
#define VAULT_PASSWORD_MIN 8
#define VAULT_PASSWORD_MAX 128
#define VAULT_SECRETS_MAX 100000     /* per vault */
#define VAULT_ENV_NAME_MAX 128       /* binding env name: [A-Za-z_][A-Za-z0-9_]* */
#define AUDIT_FIELD_MAX (64 * 1024)  /* each text field of an audit event */

#define VAULT_DB_NAME "vault.db"
#define VAULT_DIR_ENV "SECRETCTL_VAULT_DIR"   /* default: $HOME/.secretctl */
#define VAULT_PASSWORD_ENV "SECRETCTL_PASSWORD"

/* KDF profiles (Argon2id via crypto_pwhash). TEST is deliberately weak: tests only. */
enum vault_kdf {
	VAULT_KDF_TEST,        /* opslimit 1, 8 MiB: never for real vaults */
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
	bool has_value;     /* single value present (a secret may be fields only) */
	size_t value_len;   /* length of the single value (so list/get can mask without decrypting) */
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
	char *const *tags;          /* NULL = keep */
	bool set_expires;
	int64_t expires_at;         /* with set_expires; 0 clears */
	/* Fields: each given field is added or replaced; others are kept on update. */
	const char *const *field_names;
	const struct secret *const *field_values;
	size_t nfields;
	const char *const *sensitive; /* field names to mark sensitive */
	size_t nsensitive;
	const struct vault_binding *bindings; /* replaces the binding set when nbindings > 0 */
	size_t nbindings;
};

/* Validate a key name (limits above). 0 or -EINVAL with err saying why. */
int vault_key_check(const char *key, struct reterr *err);

/* Create or update a secret in one transaction (audit `secret.set` in the same transaction).
 * Updating keeps created_at and bumps updated_at. Limits -> -EINVAL/-E2BIG, nothing written.
 * *ret_created (optional) tells whether the key was new. */
int vault_set(struct vault *v, const struct vault_set_in *in, bool *ret_created,
	      struct reterr *err);

/* Flags for vault_get. */
#define VAULT_GET_NO_AUDIT (1u << 0) /* caller audits (e.g. run logs secret.run itself) */
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

/* ---- recovery (docs/vault-format.md "Recovery") ------------------------------------------- */

/* A secret row that does not authenticate. */
struct vault_bad_row {
	int64_t rowid;       /* its number in the secrets table */
	char id[17];         /* the first 8 bytes of its row id in hex ("?" when malformed) */
	char *key;           /* its name when that still decrypts or the audit log names a key
			      * with its row id, else NULL */
	const char *problem; /* what is wrong (static text) */
};

/* What vault_examine found. Strings and arrays are owned by it (vault_examination_release). */
struct vault_examination {
	size_t rows, intact;       /* secret rows in the file; those that authenticate */
	struct vault_bad_row *bad; /* the others */
	size_t nbad;
	/* From the audit log entries that decrypt: keys it says exist that have no row (deleted
	 * outside secretctl), and intact rows older than their last change (rolled back). */
	char **missing, **stale;   /* strv, NULL when none */
	bool manifest_ok;          /* the manifest's MAC verifies */
	bool rows_match;           /* the intact rows are exactly the set it authenticates */
	bool head_ok;              /* the authenticated head matches the log and the manifest */
	char head_msg[RETERR_MSG_MAX];
	bool audit_ok;             /* the whole chain verifies (vault_examine does not repair it) */
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
	const char *error;   /* short reason on failure */
	const char *detail;  /* extra JSON object text (exit code, duration, counts...) or NULL */
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

struct audit_query {
	uint64_t limit;     /* 0 = all; else the newest `limit` entries */
	int64_t since;      /* 0 = all; else ts >= since */
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

/* Verify the whole chain and its authenticated head. 0 with *ret_count = entries checked, or
 * -EBADMSG with err naming the first bad entry (seq) and what is wrong (edited, missing,
 * reordered, inserted, truncated). *ret_bad_seq (optional) set on failure. */
int audit_verify(struct vault *v, uint64_t *ret_count, uint64_t *ret_bad_seq,
		 struct reterr *err);

#endif
