/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the master password's form and quality: NFC before the KDF (and the raw bytes
 * still unlocking a vault made before), the current password refused as the new one, and the
 * strength estimate. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vault/vault-internal.h"
#include "vault-util.h"
#include "tests/unit/unit.h"

/* "café crème": é and è precomposed (NFC), and as e + a combining accent (NFD). */
#define PW_NFC "caf\xc3\xa9 cr\xc3\xa8me brul\xc3\xa9\x65"
#define PW_NFD "cafe\xcc\x81 cre\xcc\x80me brule\xcc\x81\x65"

static int unlock_with(const char *dir, const char *pw, struct reterr *err)
{
	struct vault *v = NULL;
	int r = vault_open(dir, &v, err);
	ck_assert_int_eq(r, 0);
	struct secret *p = vtu_pw(pw);
	r = vault_unlock(v, p, NULL, err);
	secret_free(p);
	vault_free(v);
	return r;
}

START_TEST(test_nfc_forms_unlock_alike)
{
	struct secret *nfd = vtu_pw(PW_NFD), *nfc = NULL;
	ck_assert_int_eq(vault_password_nfc(nfd, &nfc), 1);
	ck_assert_uint_eq(nfc->len, strlen(PW_NFC));
	ck_assert_mem_eq(nfc->data, PW_NFC, nfc->len);
	secret_free(nfc);
	struct secret *already = vtu_pw(PW_NFC), *bytes = vtu_pw("caf\xe9 latin-1 bytes");
	ck_assert_int_eq(vault_password_nfc(already, &nfc), 0);
	ck_assert_int_eq(vault_password_nfc(bytes, &nfc), 0); /* not UTF-8: used as it is */

	char *dir = vtu_vault_path();
	struct reterr err = { 0 };
	ck_assert_int_eq(vault_create(dir, nfd, VAULT_KDF_TEST, &err), 0);
	ck_assert_int_eq(unlock_with(dir, PW_NFC, &err), 0);
	ck_assert_int_eq(unlock_with(dir, PW_NFD, &err), 0);
	ck_assert_int_eq(unlock_with(dir, "cafe creme brulee", &err), -EKEYREJECTED);
	secret_free(nfd);
	secret_free(already);
	secret_free(bytes);
	vtu_cleanup(dir);
}
END_TEST

/* A vault whose header was wrapped under the raw, decomposed bytes (as before normalisation). */
static void wrap_raw(struct vault *v, const char *pw)
{
	struct reterr err = { 0 };
	struct vault_header h;
	struct secret *raw = vtu_pw(pw), *kek = secret_new(VAULT_KEY_BYTES);
	ck_assert_int_eq(vault_header_load(v, &h, &err), 0);
	ck_assert_int_eq(vault_header_wrap(&h, raw, vault_key(v, VK_DATA), kek->data, &err), 0);
	ck_assert_int_eq(vdb_begin(v, &err), 0);
	ck_assert_int_eq(vault_header_store(v, &h, false, &err), 0);
	ck_assert_int_eq(vault_header_sum_store(v, &h, &err), 0);
	ck_assert_int_eq(vdb_commit(v, &err), 0);
	secret_free(raw);
	secret_free(kek);
}

START_TEST(test_raw_bytes_still_unlock)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	wrap_raw(v, PW_NFD);
	vault_free(v);
	/* The NFC form does not open it, the bytes the user always typed do. */
	ck_assert_int_eq(unlock_with(dir, PW_NFD, &err), 0);
	ck_assert_int_eq(unlock_with(dir, PW_NFC, &err), -EKEYREJECTED);
	/* A password change stores the NFC form: both spellings work from then on. */
	ck_assert_int_eq(vault_open(dir, &v, &err), 0);
	struct secret *p = vtu_pw(PW_NFD), *np = vtu_pw(PW_NFD " 2");
	ck_assert_int_eq(vault_unlock(v, p, NULL, &err), 0);
	ck_assert_int_eq(vault_change_password(v, np, VAULT_KDF_TEST, &err), 0);
	vault_free(v);
	ck_assert_int_eq(unlock_with(dir, PW_NFC " 2", &err), 0);
	ck_assert_int_eq(unlock_with(dir, PW_NFD " 2", &err), 0);
	secret_free(p);
	secret_free(np);
	vtu_cleanup(dir);
}
END_TEST

START_TEST(test_same_password_refused)
{
	char *dir = vtu_vault_path();
	struct vault *v = vtu_vault_new(dir);
	struct reterr err = { 0 };
	struct secret *same = vtu_pw(VTU_PASSWORD), *other = vtu_pw("another long password 7");
	ck_assert_int_eq(vault_change_password(v, same, VAULT_KDF_TEST, &err), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.msg, "current"));
	ck_assert_int_eq(vault_change_password(v, other, VAULT_KDF_TEST, &err), 0);
	/* The handle now knows the new one as the current one. */
	ck_assert_int_eq(vault_change_password(v, other, VAULT_KDF_TEST, &err), -EEXIST);
	ck_assert_int_eq(vault_change_password(v, same, VAULT_KDF_TEST, &err), 0);
	vault_free(v);
	ck_assert_int_eq(unlock_with(dir, VTU_PASSWORD, &err), 0);
	secret_free(same);
	secret_free(other);
	vtu_cleanup(dir);
}
END_TEST

static double bits_of(const char *pw, const char *const *words)
{
	double bits = -1;
	struct secret *p = vtu_pw(pw);
	ck_assert_int_eq(vault_password_strength(p, words, &bits), 0);
	secret_free(p);
	return bits;
}

START_TEST(test_strength)
{
	ck_assert(bits_of("aaaaaaaa", NULL) < VAULT_PASSWORD_MIN_BITS);
	ck_assert(bits_of("password123", NULL) < VAULT_PASSWORD_MIN_BITS);
	ck_assert(bits_of("qwertyuiop1234", NULL) < VAULT_PASSWORD_MIN_BITS);
	ck_assert(bits_of("purple-giraffe-sailing-42", NULL) >= VAULT_PASSWORD_MIN_BITS);
	ck_assert(bits_of("xK8#mQ2!vL9@", NULL) >= VAULT_PASSWORD_MIN_BITS);
	/* Words the caller names (the user's name) count as easy guesses. */
	const char *const words[] = { "zebulonkowalczyk", NULL };
	ck_assert(bits_of("zebulonkowalczyk", NULL) > bits_of("zebulonkowalczyk", words));
	struct secret *nul = secret_from("abc\0def12345", 12);
	double bits;
	ck_assert_int_eq(vault_password_strength(nul, NULL, &bits), -EINVAL);
	secret_free(nul);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vault-password");
	TCase *tc = tcase_create("password");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_nfc_forms_unlock_alike);
	tcase_add_test(tc, test_raw_bytes_still_unlock);
	tcase_add_test(tc, test_same_password_refused);
	tcase_add_test(tc, test_strength);
	suite_add_tcase(s, tc);
	return s;
}
