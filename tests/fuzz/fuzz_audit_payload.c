/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the audit entry payload decoder (vault/audit.c) on hostile bytes, as they
 * would come out of a decrypted audit row of an edited vault file. Checks that (a) nothing
 * crashes or leaks, (b) no allocation is sized by an unchecked length (alloc-guard.h), (c) a
 * decoded record has every text field non-NULL and within AUDIT_FIELD_MAX, and (d) re-encoding
 * it with the writer's encoder gives the input back byte for byte and decodes to an equal
 * record. Input: the plaintext payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "vault/vault-internal.h"

#include "alloc-guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void texts(const struct audit_record *a, char *out[6])
{
	out[0] = a->action;
	out[1] = a->source;
	out[2] = a->keys;
	out[3] = a->command;
	out[4] = a->error;
	out[5] = a->detail;
}

static void record_free(struct audit_record *a)
{
	char *t[6];
	texts(a, t);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		free(t[i]);
	memset(a, 0, sizeof(*a));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_record a = { 0 }, b = { 0 };
	struct buf enc = BUF_INIT;
	char *ta[6], *tb[6];

	/* One string of the input's size is the largest allocation a decode may make. */
	alloc_guard(size + 64);
	int r = vault_audit_payload_decode(data, size, &a);
	alloc_guard(0);
	if (r < 0) {
		struct audit_record zero = { 0 };
		if (memcmp(&a, &zero, sizeof(a)) != 0)
			abort(); /* a failed decode releases what it allocated */
		return 0;
	}
	texts(&a, ta);
	for (size_t i = 0; i < ARRAY_SIZE(ta); i++)
		if (!ta[i] || strlen(ta[i]) > AUDIT_FIELD_MAX)
			abort();

	struct audit_event ev = { .action = a.action,
				  .keys = a.keys,
				  .command = a.command,
				  .success = a.success,
				  .error = a.error,
				  .detail = a.detail };
	if (vault_audit_payload_encode(&ev, a.source, &enc) < 0)
		abort();
	if (enc.len != size || memcmp(enc.data, data, size) != 0)
		abort(); /* (d) not canonical */
	if (vault_audit_payload_decode((const unsigned char *)enc.data, enc.len, &b) < 0 ||
	    a.success != b.success)
		abort();
	texts(&b, tb);
	for (size_t i = 0; i < ARRAY_SIZE(ta); i++)
		if (strcmp(ta[i], tb[i]) != 0)
			abort();
	record_free(&b);
	record_free(&a);
	buf_release(&enc);
	return 0;
}
