/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the seed corpora of fuzz_vault_codec, fuzz_audit_payload and fuzz_backup with the product's own
 * encoders, so the seeds are valid encodings of today's codec plus the damaged variants a hostile
 * vault file would hold (truncated, oversized lengths, trailing bytes, unknown versions/flags).
 * Usage: gen_corpus DIR   (writes DIR/vault_codec/, DIR/audit_payload/ and DIR/backup/;
 * `make fuzz-corpus`) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "vault/vault-internal.h"

#include "backup-keys.h"

/* A writable copy of a literal: struct vault_meta holds char * (and -Wwrite-strings is on). */
#define M(lit) ((char[]){ lit })

static const char *outdir;
static int failed;

static void emit(const char *target, const char *name, const void *p, size_t n)
{
	struct buf path = BUF_INIT;
	if (buf_printf(&path, "%s/%s", outdir, target) < 0 ||
	    (mkdir(path.data, 0755) < 0 && errno != EEXIST) || buf_printf(&path, "/%s", name) < 0) {
		failed = 1;
		buf_release(&path);
		return;
	}
	int fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fd_write_all(fd, p, n) < 0) {
		fprintf(stderr, "gen_corpus: %s: %s\n", path.data, strerror(errno));
		failed = 1;
	}
	if (fd >= 0)
		close(fd);
	buf_release(&path);
}

static void put_le32(unsigned char *p, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(x >> (8 * i));
}

/* ---- vault_codec: byte 0 = 0 then a meta blob ------------------------------------------------ */

static void emit_meta(const char *name, const struct buf *m, size_t len)
{
	struct buf b = BUF_INIT;
	if (buf_putc(&b, 0) < 0 || buf_append(&b, m->data, len) < 0)
		failed = 1;
	else
		emit("vault_codec", name, b.data, b.len);
	buf_release(&b);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memset(s, c, n);
	s[n] = 0;
	return s;
}

static void gen_meta(void)
{
	struct buf b = BUF_INIT;
	char *tags_full[] = { M("prod"), M("db"), M("rotated-2024"), NULL };
	char *tags_none[] = { NULL };
	struct vault_field_meta fields[] = { { M("user"), false }, { M("password"), true } };
	struct vault_binding binds[] = { { M("DB_USER"), M("user") },
					 { M("DB_PASSWORD"), M("password") },
					 { M("DB_URL"), M("") } };

	struct vault_meta min = { .key = M("k"),
				  .tags = tags_none,
				  .has_value = true,
				  .value_len = 5,
				  .created_at = 1700000000,
				  .updated_at = 1700000000 };
	vault_meta_encode(&min, &b);
	emit_meta("meta-minimal", &b, b.len);
	/* The key length claims 4 GiB: the decoder must refuse before allocating. */
	struct buf o = BUF_INIT;
	buf_append(&o, b.data, b.len);
	put_le32((unsigned char *)o.data + 1, UINT32_MAX);
	emit_meta("meta-key-len-4g", &o, o.len);
	/* ntags right after key and flags: claims 4 Gi tags. */
	memcpy(o.data, b.data, b.len);
	put_le32((unsigned char *)o.data + 1 + 4 + 1 + 1, UINT32_MAX);
	emit_meta("meta-ntags-4g", &o, o.len);
	memcpy(o.data, b.data, b.len);
	o.data[1 + 4 + 1] = 8; /* unknown flag */
	emit_meta("meta-unknown-flag", &o, o.len);
	memcpy(o.data, b.data, b.len);
	o.data[0] = 2;
	emit_meta("meta-version-2", &o, o.len);
	memcpy(o.data, b.data, b.len);
	o.data[1 + 4] = 0; /* NUL inside the key */
	emit_meta("meta-key-nul", &o, o.len);
	buf_release(&o);

	buf_reset(&b);
	struct vault_meta full = { .key = M("db/prod/main"),
				   .notes = M("primary\nrotate monthly"),
				   .url = M("https://db.example.com:5432/"),
				   .tags = tags_full,
				   .created_at = 1700000000,
				   .updated_at = 1700003600,
				   .expires_at = 1800000000,
				   .has_value = true,
				   .value_len = 32,
				   .fields = fields,
				   .nfields = ARRAY_SIZE(fields),
				   .bindings = binds,
				   .nbindings = ARRAY_SIZE(binds) };
	vault_meta_encode(&full, &b);
	emit_meta("meta-full", &b, b.len);
	emit_meta("meta-full-trunc-1", &b, b.len - 1);
	emit_meta("meta-full-trunc-half", &b, b.len / 2);
	buf_putc(&b, 0);
	emit_meta("meta-full-trailing", &b, b.len);

	buf_reset(&b);
	struct vault_meta fo = { .key = M("ci/deploy"),
				 .notes = M(""),
				 .url = M(""),
				 .tags = tags_none,
				 .created_at = -1,
				 .updated_at = INT64_MAX,
				 .expires_at = INT64_MIN,
				 .fields = fields,
				 .nfields = ARRAY_SIZE(fields) };
	vault_meta_encode(&fo, &b);
	emit_meta("meta-fields-only-empty-notes", &b, b.len);

	/* Every limit of vault.h at its maximum: the largest meta a real vault can hold. */
	buf_reset(&b);
	char *tags_max[VAULT_TAGS_MAX + 1];
	for (size_t i = 0; i < VAULT_TAGS_MAX; i++)
		tags_max[i] = repeat((char)('a' + i), VAULT_TAG_MAX);
	tags_max[VAULT_TAGS_MAX] = NULL;
	struct vault_field_meta fmax[VAULT_FIELDS_MAX];
	struct vault_binding bmax[VAULT_BINDINGS_MAX];
	for (size_t i = 0; i < VAULT_FIELDS_MAX; i++) {
		fmax[i].name = repeat((char)('A' + i % 26), VAULT_FIELD_NAME_MAX);
		fmax[i].sensitive = i & 1;
	}
	for (size_t i = 0; i < VAULT_BINDINGS_MAX; i++) {
		bmax[i].env = repeat((char)('A' + i % 26), VAULT_ENV_NAME_MAX);
		bmax[i].field = fmax[i % VAULT_FIELDS_MAX].name;
	}
	struct vault_meta max = { .key = repeat('k', VAULT_KEY_MAX),
				  .notes = repeat('n', VAULT_NOTES_MAX),
				  .url = repeat('u', VAULT_URL_MAX),
				  .tags = tags_max,
				  .has_value = true,
				  .value_len = VAULT_VALUE_MAX,
				  .fields = fmax,
				  .nfields = VAULT_FIELDS_MAX,
				  .bindings = bmax,
				  .nbindings = VAULT_BINDINGS_MAX };
	if (vault_meta_encode(&max, &b) < 0)
		failed = 1;
	emit_meta("meta-all-limits", &b, b.len);
	free(max.key);
	free(max.notes);
	free(max.url);
	for (size_t i = 0; i < VAULT_TAGS_MAX; i++)
		free(tags_max[i]);
	for (size_t i = 0; i < VAULT_FIELDS_MAX; i++)
		free(fmax[i].name);
	for (size_t i = 0; i < VAULT_BINDINGS_MAX; i++)
		free(bmax[i].env);
	buf_release(&b);
}

/* ---- vault_codec: byte 0 = 1, u8 has_value, u32 value_len, u8 nfields, value blob ------------ */

static void emit_values(const char *name, bool hv, size_t vlen, size_t nf, const unsigned char *p,
			size_t n)
{
	unsigned char h[7] = { 1, hv ? 1 : 0, 0, 0, 0, 0, (unsigned char)nf };
	put_le32(h + 2, (uint32_t)vlen);
	struct buf b = BUF_INIT;
	if (buf_append(&b, h, sizeof(h)) < 0 || buf_append(&b, p, n) < 0)
		failed = 1;
	else
		emit("vault_codec", name, b.data, b.len);
	buf_release(&b);
}

static void gen_values(void)
{
	struct secret *s = NULL;
	const unsigned char v[] = "s3cr3t-value";
	const unsigned char *fv[] = { (const unsigned char *)"admin", (const unsigned char *)"",
				      (const unsigned char *)"p\0ss\xff" };
	const size_t fl[] = { 5, 0, 5 };

	if (vault_values_encode(true, v, sizeof(v) - 1, NULL, NULL, 0, &s) < 0)
		abort();
	emit_values("values-single", true, sizeof(v) - 1, 0, s->data, s->len);
	emit_values("values-single-trunc-1", true, sizeof(v) - 1, 0, s->data, s->len - 1);
	emit_values("values-meta-len-mismatch", true, sizeof(v), 0, s->data, s->len);
	emit_values("values-meta-has-no-value", false, 0, 0, s->data, s->len);
	/* The value length claims 4 GiB. */
	put_le32(s->data + 2, UINT32_MAX);
	emit_values("values-len-4g", true, sizeof(v) - 1, 0, s->data, s->len);
	s = secret_free(s);

	if (vault_values_encode(true, v, sizeof(v) - 1, fv, fl, ARRAY_SIZE(fv), &s) < 0)
		abort();
	emit_values("values-fields", true, sizeof(v) - 1, ARRAY_SIZE(fv), s->data, s->len);
	emit_values("values-fields-trunc-half", true, sizeof(v) - 1, ARRAY_SIZE(fv), s->data,
		    s->len / 2);
	emit_values("values-nfields-mismatch", true, sizeof(v) - 1, ARRAY_SIZE(fv) - 1, s->data,
		    s->len);
	/* The last field's length claims 4 GiB (it starts 4 + 5 bytes before the end). */
	put_le32(s->data + s->len - 9, UINT32_MAX);
	emit_values("values-field-len-4g", true, sizeof(v) - 1, ARRAY_SIZE(fv), s->data, s->len);
	s = secret_free(s);

	if (vault_values_encode(false, NULL, 0, fv, fl, 2, &s) < 0)
		abort();
	emit_values("values-fields-only", false, 0, 2, s->data, s->len);
	unsigned char *t = malloc(s->len + 1);
	if (!t)
		abort();
	memcpy(t, s->data, s->len);
	t[s->len] = 0;
	emit_values("values-trailing", false, 0, 2, t, s->len + 1);
	t[0] = 2;
	emit_values("values-version-2", false, 0, 2, t, s->len);
	free(t);
	s = secret_free(s);
}

/* ---- audit_payload -------------------------------------------------------------------------- */

static void gen_audit(void)
{
	struct buf b = BUF_INIT;
	struct audit_event get = { .action = "secret.get",
				   .keys = "db/prod/main",
				   .success = true };
	vault_audit_payload_encode(&get, "cli", &b);
	emit("audit_payload", "get", b.data, b.len);
	emit("audit_payload", "get-trunc-1", b.data, b.len - 1);
	emit("audit_payload", "get-trunc-in-len", b.data, 3);
	struct buf o = BUF_INIT;
	buf_append(&o, b.data, b.len);
	put_le32((unsigned char *)o.data + 1, UINT32_MAX);
	emit("audit_payload", "action-len-4g", o.data, o.len);
	memcpy(o.data, b.data, b.len);
	put_le32((unsigned char *)o.data + 1, AUDIT_FIELD_MAX + 1);
	emit("audit_payload", "action-len-over-limit", o.data, o.len);
	memcpy(o.data, b.data, b.len);
	o.data[0] = 2;
	emit("audit_payload", "version-2", o.data, o.len);
	memcpy(o.data, b.data, b.len);
	o.data[1 + 4 + 2] = 0; /* NUL inside the action */
	emit("audit_payload", "action-nul", o.data, o.len);
	buf_release(&o);
	buf_putc(&b, 'x');
	emit("audit_payload", "get-trailing", b.data, b.len);

	buf_reset(&b);
	struct audit_event run = { .action = "secret.run",
				   .keys = "db/*,api/token",
				   .command = "psql -h db \"select 1\"\n\t[REDACTED:db/pw]",
				   .success = false,
				   .error = "exit 2",
				   .detail = "{\"exit\":2,\"duration_ms\":41,\"redacted\":3}" };
	vault_audit_payload_encode(&run, "mcp", &b);
	emit("audit_payload", "run-failed", b.data, b.len);
	/* success byte sits right after the fourth field. */
	size_t off = 1;
	for (int i = 0; i < 4; i++) {
		const unsigned char *q = (const unsigned char *)b.data + off;
		off += 4 +
		       ((size_t)q[0] | (size_t)q[1] << 8 | (size_t)q[2] << 16 | (size_t)q[3] << 24);
	}
	b.data[off] = 2;
	emit("audit_payload", "success-2", b.data, b.len);

	buf_reset(&b);
	struct audit_event empty = { .action = "" };
	vault_audit_payload_encode(&empty, NULL, &b);
	emit("audit_payload", "all-empty", b.data, b.len);

	buf_reset(&b);
	char *big = repeat('d', AUDIT_FIELD_MAX);
	struct audit_event max = { .action = "vault.unlock", .detail = big, .success = true };
	vault_audit_payload_encode(&max, "cli", &b);
	emit("audit_payload", "detail-at-limit", b.data, b.len);
	free(big);
	buf_release(&b);
}

/* ---- backup: real backups of a small vault with the fuzz keys, and damaged variants --------- */

static void emit_backup(struct vault *v, unsigned flags, enum vault_backup_mode mode,
			const struct secret *key, const char *name)
{
	struct buf b = BUF_INIT;
	char n[64];
	int fd = memfd_create("backup", MFD_CLOEXEC);
	if (fd < 0 || vault_backup(v, flags, mode, key, fd, NULL, NULL, NULL) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0 || fd_read_all(fd, VAULT_BACKUP_IMAGE_MAX, &b) < 0) {
		fprintf(stderr, "gen_corpus: cannot make the %s backup\n", name);
		failed = 1;
		goto out;
	}
	emit("backup", name, b.data, b.len);
	snprintf(n, sizeof(n), "%s-trunc-1", name);
	emit("backup", n, b.data, b.len - 1);
	snprintf(n, sizeof(n), "%s-header-only", name);
	emit("backup", n, b.data, VAULT_BACKUP_HEADER_BYTES);
	b.data[VAULT_BACKUP_HEADER_BYTES + 4 + b.len / 3] ^= 1;
	snprintf(n, sizeof(n), "%s-flipped", name);
	emit("backup", n, b.data, b.len);
	b.data[VAULT_BACKUP_HEADER_BYTES + 4 + b.len / 3] ^= 1;
	put_le32((unsigned char *)b.data + VAULT_BACKUP_HEADER_BYTES, UINT32_MAX);
	snprintf(n, sizeof(n), "%s-chunk-len-4g", name);
	emit("backup", n, b.data, b.len);
	buf_putc(&b, 'x');
	snprintf(n, sizeof(n), "%s-appended", name);
	emit("backup", n, b.data, b.len);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
}

static void gen_backup(void)
{
	char tmp[] = "/tmp/gen-corpus-XXXXXX", dir[64];
	struct secret *pw = secret_from(FUZZ_BACKUP_PASSWORD, strlen(FUZZ_BACKUP_PASSWORD));
	struct secret *kf = secret_from(FUZZ_BACKUP_KEYFILE, strlen(FUZZ_BACKUP_KEYFILE));
	struct secret *val = secret_from("seed-value-0123456789", 21);
	struct vault *v = NULL;
	if (!mkdtemp(tmp) || !pw || !kf || !val) {
		failed = 1;
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/vault", tmp);
	struct vault_set_in in = { .key = "db/prod/password", .value = val, .url = "https://db" };
	if (vault_create(dir, pw, VAULT_KDF_TEST, NULL) < 0 || vault_open(dir, &v, NULL) < 0 ||
	    vault_unlock(v, pw, NULL, NULL) < 0 || vault_set(v, &in, NULL, NULL) < 0) {
		fprintf(stderr, "gen_corpus: cannot make the seed vault\n");
		failed = 1;
		goto out;
	}
	emit_backup(v, 0, VAULT_BACKUP_KEYFILE, kf, "keyfile");
	emit_backup(v, VAULT_BACKUP_WITH_AUDIT, VAULT_BACKUP_KEYFILE, kf, "keyfile-audit");
	emit_backup(v, 0, VAULT_BACKUP_MASTER, pw, "master");
out:
	vault_free(v);
	if (tmp[0] && strcmp(tmp + strlen(tmp) - 6, "XXXXXX") != 0) {
		snprintf(dir, sizeof(dir), "%s/vault/vault.db", tmp);
		unlink(dir);
		snprintf(dir, sizeof(dir), "%s/vault", tmp);
		rmdir(dir);
		rmdir(tmp);
	}
	secret_free(pw);
	secret_free(kf);
	secret_free(val);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	if (secret_lib_init() < 0)
		return 1;
	gen_meta();
	gen_values();
	gen_audit();
	gen_backup();
	return failed;
}
