/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the backup reader (vault/backup-format.c, vault/restore.c) on hostile bytes,
 * as a restored file could hold. Checks that (a) nothing crashes or leaks on any path, (b) no
 * allocation is sized by an unchecked header or chunk length (alloc-guard.h: nothing larger
 * than the input), (c) what opens satisfies the limits. The keyed header check is recomputed
 * for key-file backups with the fixed key (backup-keys.h), so mutations get past it to the
 * chunk framing, the secretstream, the SQLite image and the vault checks behind it.
 * Input: a backup file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "vault/vault-internal.h"

#include "alloc-guard.h"
#include "backup-keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct secret *kf, *pw;
	struct vault_backup_info info;
	struct vault_backup_header h;
	unsigned char key[VAULT_KEY_BYTES], *img = NULL;
	size_t img_len = 0;
	if (!kf) {
		if (secret_lib_init() < 0)
			abort();
		kf = secret_from(FUZZ_BACKUP_KEYFILE, strlen(FUZZ_BACKUP_KEYFILE));
		pw = secret_from(FUZZ_BACKUP_PASSWORD, strlen(FUZZ_BACKUP_PASSWORD));
		if (!kf || !pw)
			abort();
	}
	alloc_guard(size + 4096);
	int r = vault_backup_inspect(data, size, &info, NULL);
	alloc_guard(0);
	if (r < 0 || vault_backup_header_parse(data, size, &h, NULL) < 0 ||
	    h.mode != VAULT_BACKUP_KEYFILE)
		return 0;
	unsigned char *copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	if (vault_backup_key(&h, kf, key, NULL) < 0)
		abort();
	vault_backup_header_check(copy, key, copy + VAULT_BACKUP_AD_BYTES);
	alloc_guard(size + 4096);
	r = vault_backup_unseal(copy, size, key, NULL, &img, &img_len, NULL);
	alloc_guard(0);
	if (r == 0) {
		if (!img || img_len == 0 || img_len != h.image_len || img_len > size)
			abort();
		free(img);
		/* The whole restore check: image, header, password, manifest, audit chain. */
		struct vault_restore *rs = NULL;
		struct vault_backup_info ri;
		if (vault_restore_open(copy, size, kf, pw, NULL, &rs, &ri, NULL) == 0) {
			if (!rs || ri.secrets > VAULT_SECRETS_MAX ||
			    ri.mode != VAULT_BACKUP_KEYFILE)
				abort();
			vault_restore_free(rs);
		}
	}
	sodium_memzero(key, sizeof(key));
	free(copy);
	return 0;
}
