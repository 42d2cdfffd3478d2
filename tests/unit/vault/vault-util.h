/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the vault unit tests: temporary vaults, raw SQLite access for tampering,
 * and a scan of files for leaked plaintext. */
#ifndef SECRETCTL_TESTS_VAULT_UTIL_H
#define SECRETCTL_TESTS_VAULT_UTIL_H

#include <check.h>
#include <sqlite3.h>

#include "vault/vault.h"

#define VTU_PASSWORD "correct horse battery"

/* Fresh temporary parent directory; returns "<tmp>/vault" (not yet created). Caller frees. */
char *vtu_vault_path(void);
/* Remove the temporary tree made by vtu_vault_path (pass its result). */
void vtu_cleanup(char *vault_dir);
struct secret *vtu_pw(const char *s);
/* Create (VAULT_KDF_TEST) + open + unlock; asserts success. */
struct vault *vtu_vault_new(const char *dir);
/* Open + unlock with VTU_PASSWORD; returns the unlock result, *ret set when open worked. */
int vtu_vault_reopen(const char *dir, struct vault **ret, struct reterr *err);
/* Set a single-value secret; returns vault_set's result. */
int vtu_set(struct vault *v, const char *key, const char *value);
/* Raw SQLite handle on dir/vault.db for tampering (sqlite3_close when done). */
sqlite3 *vtu_raw(const char *dir);
void vtu_exec(sqlite3 *db, const char *sql);
/* True when `strings -a -n 4 path` prints a line containing needle. */
int vtu_strings_has(const char *path, const char *needle);

#endif
