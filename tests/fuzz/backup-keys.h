/* SPDX-License-Identifier: Apache-2.0 */
/* The fixed keys of fuzz_backup and of the backup seeds gen_corpus writes: a key file and the
 * master password of the vault inside, so that seeds decrypt and mutations reach the reader. */
#ifndef SECRETCTL_FUZZ_BACKUP_KEYS_H
#define SECRETCTL_FUZZ_BACKUP_KEYS_H

#define FUZZ_BACKUP_KEYFILE "fuzz-backup-key-file-0123456789abcdef"
#define FUZZ_BACKUP_PASSWORD "fuzz vault password"

#endif
