/* SPDX-License-Identifier: Apache-2.0 */
/* vault password form: the master password goes into the KDF in Unicode NFC, so that "é" typed
 * as one code point or as "e" and a combining accent unlocks the same vault. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <uninorm.h>
#include <unistr.h>

/* NFC can make a string longer: by at most 3 times in UTF-8 (Unicode's stability policy); the
 * result is written straight into secure memory of that size. */
#define NFC_EXPANSION 3

int vault_password_nfc(const struct secret *pw, struct secret **ret)
{
	if (!pw || !pw->len || pw->len > VAULT_PASSWORD_MAX || u8_check(pw->data, pw->len) != NULL)
		return 0; /* not UTF-8: the bytes are the password */
	size_t cap = pw->len * NFC_EXPANSION, len = cap;
	struct secret *s = secret_new(cap);
	if (!s)
		return -ENOMEM;
	uint8_t *out = u8_normalize(UNINORM_NFC, pw->data, pw->len, s->data, &len);
	if (out != s->data) {
		/* libunistring only allocates when the result does not fit, which NFC_EXPANSION
		 * rules out; never keep a copy of the password in ordinary heap memory. */
		if (out) {
			sodium_memzero(out, len);
			free(out);
		}
		secret_free(s);
		return out ? -E2BIG : (errno == ENOMEM ? -ENOMEM : 0);
	}
	s->len = len;
	s->data[len] = 0;
	if (len == pw->len && sodium_memcmp(s->data, pw->data, len) == 0) {
		secret_free(s);
		return 0;
	}
	*ret = s;
	return 1;
}

void vault_password_tag(const unsigned char *dek, const struct secret *form,
			unsigned char out[VAULT_KEY_BYTES])
{
	crypto_generichash(out, VAULT_KEY_BYTES, form->data, form->len, dek, VAULT_KEY_BYTES);
}
