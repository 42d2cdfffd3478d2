/* SPDX-License-Identifier: Apache-2.0 */
/* vault info: what `secretctl doctor` shows of a vault without its password (format, KDF
 * parameters and the profile they match). */
#include "vault/vault-internal.h"

#include <errno.h>

int vault_info(struct vault *v, struct vault_info *ret, struct reterr *err)
{
	static const enum vault_kdf profiles[] = { VAULT_KDF_TEST, VAULT_KDF_INTERACTIVE,
						   VAULT_KDF_MODERATE, VAULT_KDF_SENSITIVE };
	struct vault_header h;
	struct vault_info info = { 0 };
	if (!v || !v->db)
		return reterr_set(err, -EINVAL, "no vault open");
	int r = vault_header_load(v, &h, err);
	if (r < 0)
		return r;
	info.format = h.format;
	info.kdf_ops = h.kdf.ops;
	info.kdf_mem = h.kdf.mem;
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++) {
		struct vault_kdf_params p = vault_kdf_profile(profiles[i]);
		if (p.alg == h.kdf.alg && p.ops == h.kdf.ops && p.mem == h.kdf.mem) {
			info.kdf_known = true;
			info.kdf = profiles[i];
		}
	}
	sodium_memzero(&h, sizeof(h));
	*ret = info;
	return 0;
}
