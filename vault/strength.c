/* SPDX-License-Identifier: Apache-2.0 */
/* vault password strength: how many guesses a would-be master password would cost an attacker
 * with a copy of the vault, as estimated by zxcvbn (dictionaries, names, keyboard patterns,
 * l33t, dates, repeats), in bits. */
#include "vault/vault-internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <zxcvbn.h>

/* libzxcvbn is loaded when a password is rated (init, password), not linked: every other start
 * of the binary, each `exec` included, would pay for loading it. Debian's runtime package is
 * libzxcvbn0. */
#define ZXCVBN_SONAME "libzxcvbn.so.0"

typedef double (*zxcvbn_match_fn)(const char *pw, const char *words[], ZxcMatch_t **info);

static zxcvbn_match_fn zxcvbn_match(void)
{
	static zxcvbn_match_fn fn;
	static bool tried;
	if (!tried) {
		tried = true;
		void *h = dlopen(ZXCVBN_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (h)
			*(void **)&fn = dlsym(h, "ZxcvbnMatch");
	}
	return fn;
}

/* zxcvbn works on copies of the password in its own stack frames; wipe what its calls left below
 * ours. Not inlined, so that the area is really below this frame. */
#define STACK_SCRUB_BYTES (64 * 1024)

static __attribute__((noinline)) void stack_scrub(void)
{
	unsigned char area[STACK_SCRUB_BYTES];
	sodium_memzero(area, sizeof(area));
	__asm__ __volatile__("" : : "r"(area) : "memory");
}

int vault_password_strength(const struct secret *pw, const char *const *words, double *ret_bits)
{
	struct secret *nfc = NULL;
	zxcvbn_match_fn match = zxcvbn_match();
	if (!pw || memchr(pw->data, 0, pw->len))
		return -EINVAL;
	if (!match)
		return -ENOSYS;
	int r = vault_password_nfc(pw, &nfc);
	if (r < 0)
		return r;
	const struct secret *p = r > 0 ? nfc : pw;
	/* The library wants C strings; secrets are NUL-terminated at data[len]. */
	double bits = match((const char *)p->data, (const char **)words, NULL);
	secret_free(nfc);
	stack_scrub();
	*ret_bits = bits < 0 ? 0 : bits;
	return 0;
}
