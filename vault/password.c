/* SPDX-License-Identifier: Apache-2.0 */
/* vault master password: its length rules, which creating a vault and changing the password
 * both apply. */
#include "vault/vault-internal.h"

#include <errno.h>

int vault_password_check(const struct secret *pw, struct reterr *err)
{
	if (!pw || pw->len < VAULT_PASSWORD_MIN)
		return reterr_set(err, -EINVAL, "password too short (at least %d characters)",
				  VAULT_PASSWORD_MIN);
	if (pw->len > VAULT_PASSWORD_MAX)
		return reterr_set(err, -E2BIG, "password too long (at most %d characters)",
				  VAULT_PASSWORD_MAX);
	return 0;
}
