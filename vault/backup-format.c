/* SPDX-License-Identifier: Apache-2.0 */
/* vault backup file: the versioned header and the secretstream container around a database
 * image (docs/vault-format.md "Backups"). No handle, no SQLite: the reader is fuzzed alone. */
#include "vault/vault-internal.h"

#include <errno.h>
#include <string.h>

#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define KEYFILE_DOMAIN "sctl-backup-keyfile-v1"
#define CHECK_DOMAIN "sctl-backup-check-v1"

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void vault_backup_header_write(const struct vault_backup_header *h,
			       unsigned char out[VAULT_BACKUP_HEADER_BYTES])
{
	memcpy(out, VAULT_BACKUP_MAGIC, 8);
	vault_le32(out + 8, h->version);
	vault_le32(out + 12, h->flags);
	vault_le32(out + 16, h->mode);
	vault_le32(out + 20, (uint32_t)h->kdf.alg);
	vault_le64(out + 24, h->kdf.ops);
	vault_le64(out + 32, h->kdf.mem);
	memcpy(out + 40, h->salt, VAULT_SALT_BYTES);
	vault_le64(out + 56, h->image_len);
	memcpy(out + 64, h->vault_id, VAULT_ID_BYTES);
	vault_le64(out + 80, (uint64_t)h->created_at);
	memcpy(out + VAULT_BACKUP_AD_BYTES, h->check, sizeof(h->check));
	memcpy(out + VAULT_BACKUP_AD_BYTES + VAULT_BACKUP_CHECK_BYTES, h->ss_header,
	       sizeof(h->ss_header));
}

void vault_backup_header_check(const unsigned char *hdr, const unsigned char key[VAULT_KEY_BYTES],
			       unsigned char out[VAULT_BACKUP_CHECK_BYTES])
{
	crypto_generichash_state s;
	crypto_generichash_init(&s, key, VAULT_KEY_BYTES, VAULT_BACKUP_CHECK_BYTES);
	crypto_generichash_update(&s, (const unsigned char *)CHECK_DOMAIN,
				  VAULT_DOMAIN_LEN(CHECK_DOMAIN));
	crypto_generichash_update(&s, hdr, VAULT_BACKUP_AD_BYTES);
	crypto_generichash_final(&s, out, VAULT_BACKUP_CHECK_BYTES);
	sodium_memzero(&s, sizeof(s));
}

int vault_backup_header_parse(const unsigned char *p, size_t n, struct vault_backup_header *h,
			      struct reterr *err)
{
	struct vault_backup_header x = { 0 };
	if (n < 8 || memcmp(p, VAULT_BACKUP_MAGIC, 8) != 0)
		return reterr_set(err, -EBADMSG, "not a secretctl backup (no backup header)");
	if (n < VAULT_BACKUP_HEADER_BYTES)
		return reterr_set(err, -EBADMSG, "the backup is truncated (in its header)");
	x.version = rd32(p + 8);
	if (x.version != VAULT_BACKUP_VERSION)
		return reterr_set(err, -EPROTO,
				  "backup format %u is not supported (this build reads %d)",
				  x.version, VAULT_BACKUP_VERSION);
	x.flags = rd32(p + 12);
	x.mode = rd32(p + 16);
	uint32_t alg = rd32(p + 20);
	x.kdf.ops = rd64(p + 24);
	x.kdf.mem = rd64(p + 32);
	memcpy(x.salt, p + 40, VAULT_SALT_BYTES);
	x.image_len = rd64(p + 56);
	memcpy(x.vault_id, p + 64, VAULT_ID_BYTES);
	x.created_at = (int64_t)rd64(p + 80);
	memcpy(x.check, p + VAULT_BACKUP_AD_BYTES, sizeof(x.check));
	memcpy(x.ss_header, p + VAULT_BACKUP_AD_BYTES + VAULT_BACKUP_CHECK_BYTES,
	       sizeof(x.ss_header));
	if (x.flags & ~(uint32_t)VAULT_BACKUP_WITH_AUDIT)
		return reterr_set(err, -EBADMSG, "the backup header has unknown flags");
	if (x.mode < VAULT_BACKUP_MASTER || x.mode > VAULT_BACKUP_KEYFILE)
		return reterr_set(err, -EBADMSG, "the backup header names no known key");
	if (x.mode != VAULT_BACKUP_KEYFILE) {
		x.kdf.alg = alg > INT32_MAX ? -1 : (int)alg;
		/* Hostile input: bounds what a forged header can make the KDF spend. */
		if (!vault_kdf_params_sane(&x.kdf))
			return reterr_set(err, -EBADMSG,
					  "the backup header has out-of-range KDF "
					  "parameters");
	} else if (alg || x.kdf.ops || x.kdf.mem) {
		return reterr_set(err, -EBADMSG, "the backup header is malformed");
	}
	/* Ciphertext is never shorter than its plaintext: a header cannot ask for more memory
	 * than the file's own size. */
	if (x.image_len == 0 || x.image_len > VAULT_BACKUP_IMAGE_MAX ||
	    x.image_len > n - VAULT_BACKUP_HEADER_BYTES)
		return reterr_set(err, -EBADMSG,
				  "the backup is truncated or its header is "
				  "malformed (image size)");
	*h = x;
	return 0;
}

int vault_backup_key(const struct vault_backup_header *h, const struct secret *material,
		     unsigned char key[VAULT_KEY_BYTES], struct reterr *err)
{
	if (!material || material->len == 0)
		return reterr_set(err, -EINVAL, "no backup key given");
	if (h->mode != VAULT_BACKUP_KEYFILE)
		return vault_kdf_derive(&h->kdf, h->salt, material, key, err);
	/* A key file is high-entropy: a keyed hash with the backup's own salt is enough. */
	crypto_generichash_state s;
	crypto_generichash_init(&s, h->salt, VAULT_SALT_BYTES, VAULT_KEY_BYTES);
	crypto_generichash_update(&s, (const unsigned char *)KEYFILE_DOMAIN,
				  VAULT_DOMAIN_LEN(KEYFILE_DOMAIN));
	crypto_generichash_update(&s, material->data, material->len);
	crypto_generichash_final(&s, key, VAULT_KEY_BYTES);
	sodium_memzero(&s, sizeof(s));
	return 0;
}

int vault_backup_seal(struct vault_backup_header *h, const unsigned char key[VAULT_KEY_BYTES],
		      const unsigned char *img, int fd, const struct vault_progress *progress,
		      struct reterr *err)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char hdr[VAULT_BACKUP_HEADER_BYTES];
	unsigned char *chunk = malloc(4 + VAULT_BACKUP_CHUNK + SS_ABYTES);
	if (!chunk)
		return reterr_set(err, -ENOMEM, "out of memory");
	crypto_secretstream_xchacha20poly1305_init_push(&st, h->ss_header, key);
	vault_backup_header_write(h, hdr); /* the fields; check and ss_header follow */
	vault_backup_header_check(hdr, key, h->check);
	vault_backup_header_write(h, hdr);
	int r = fd_write_all(fd, hdr, sizeof(hdr));
	size_t off = 0;
	while (r >= 0 && off < h->image_len) {
		size_t n = h->image_len - off > VAULT_BACKUP_CHUNK ? VAULT_BACKUP_CHUNK
								   : (size_t)(h->image_len - off);
		bool last = off + n == h->image_len;
		vault_le32(chunk, (uint32_t)(n + SS_ABYTES));
		crypto_secretstream_xchacha20poly1305_push(
			&st, chunk + 4, NULL, img + off, n, off == 0 ? hdr : NULL,
			off == 0 ? VAULT_BACKUP_AD_BYTES : 0, last ? SS_TAG_FINAL : 0);
		r = fd_write_all(fd, chunk, 4 + n + SS_ABYTES);
		off += n;
		if (r >= 0)
			vault_progress_tell(progress, VAULT_PROGRESS_SEAL, off, h->image_len);
	}
	sodium_memzero(&st, sizeof(st));
	free(chunk);
	return r < 0 ? reterr_set(err, r, "cannot write the backup: %s", strerror(-r)) : 0;
}

int vault_backup_unseal(const unsigned char *p, size_t n, const unsigned char key[VAULT_KEY_BYTES],
			const struct vault_progress *progress, unsigned char **ret_img,
			size_t *ret_len, struct reterr *err)
{
	struct vault_backup_header h;
	crypto_secretstream_xchacha20poly1305_state st;
	int r = vault_backup_header_parse(p, n, &h, err);
	if (r < 0)
		return r;
	unsigned char want[VAULT_BACKUP_CHECK_BYTES];
	vault_backup_header_check(p, key, want);
	if (sodium_memcmp(want, h.check, sizeof(want)) != 0)
		return reterr_set(
			err, -EKEYREJECTED,
			"the backup does not open with this %s (or its header was altered)",
			h.mode == VAULT_BACKUP_KEYFILE ? "key file" : "password");
	unsigned char *img = malloc((size_t)h.image_len);
	if (!img)
		return reterr_set(err, -ENOMEM, "out of memory (backup image of %llu bytes)",
				  (unsigned long long)h.image_len);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, h.ss_header, key) != 0) {
		r = reterr_set(err, -EBADMSG, "the backup header is malformed");
		goto out;
	}
	size_t off = VAULT_BACKUP_HEADER_BYTES, got = 0;
	unsigned char tag = 0;
	while (tag != SS_TAG_FINAL) {
		if (n - off < 4) {
			r = reterr_set(err, -EBADMSG,
				       "the backup is truncated (after %zu bytes of "
				       "data)",
				       got);
			goto out;
		}
		size_t c = rd32(p + off);
		off += 4;
		if (c < SS_ABYTES || c > VAULT_BACKUP_CHUNK + SS_ABYTES ||
		    c - SS_ABYTES > h.image_len - got) {
			r = reterr_set(err, -EBADMSG,
				       "the backup is damaged (a chunk has an "
				       "impossible size)");
			goto out;
		}
		if (n - off < c) {
			r = reterr_set(err, -EBADMSG,
				       "the backup is truncated (after %zu bytes of "
				       "data)",
				       got);
			goto out;
		}
		unsigned long long m = 0;
		if (crypto_secretstream_xchacha20poly1305_pull(
			    &st, img + got, &m, &tag, p + off, c, got == 0 ? p : NULL,
			    got == 0 ? VAULT_BACKUP_AD_BYTES : 0) != 0) {
			r = reterr_set(err, -EBADMSG,
				       "the backup was altered (data at byte %zu does not "
				       "authenticate)",
				       off);
			goto out;
		}
		off += c;
		got += (size_t)m;
		vault_progress_tell(progress, VAULT_PROGRESS_OPEN, got, h.image_len);
		if (tag != 0 && tag != SS_TAG_FINAL) {
			r = reterr_set(err, -EBADMSG, "the backup is damaged (unexpected tag)");
			goto out;
		}
	}
	if (got != h.image_len || off != n) {
		r = reterr_set(err, -EBADMSG,
			       got != h.image_len ? "the backup is damaged (image size mismatch)"
						  : "the backup has data after its end (appended)");
		goto out;
	}
	*ret_img = img;
	*ret_len = got;
	img = NULL;
	r = 0;
out:
	sodium_memzero(&st, sizeof(st));
	free(img);
	return r;
}
