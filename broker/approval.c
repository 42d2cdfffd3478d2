/* SPDX-License-Identifier: Apache-2.0 */
/* broker: the digest of a run as it will be made, which an approval is bound to (a stateless
 * MCP answer names the run it approves by this digest: mcp/approve.c). */
#include <sodium.h>
#include <string.h>

#include "broker/broker-internal.h"

/* Each item is its length (8 bytes) then its bytes, so that no two different runs feed the
 * same byte string; a NULL string and a vector end are marked apart from an empty string. */
static void put(crypto_generichash_state *h, const void *p, size_t n)
{
	unsigned char len[8];
	uint64_t v = p ? (uint64_t)n : UINT64_MAX;
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(v >> (8 * i));
	crypto_generichash_update(h, len, sizeof(len));
	if (p && n)
		crypto_generichash_update(h, p, n);
}

static void put_str(crypto_generichash_state *h, const char *s)
{
	put(h, s, s ? strlen(s) : 0);
}

static void put_int(crypto_generichash_state *h, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%lld", (long long)v);
	put(h, b, (size_t)n);
}

static void put_strv(crypto_generichash_state *h, char *const *v)
{
	size_t n = 0;
	for (; v && v[n]; n++)
		;
	put_int(h, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		put_str(h, v[i]);
}

void broker_run_hash(const struct broker_run *r, char *const *keys, int level,
		     unsigned char out[BROKER_RUN_HASH_BYTES])
{
	static const char domain[] = "secretctl run approval v1";
	crypto_generichash_state h;
	crypto_generichash_init(&h, NULL, 0, BROKER_RUN_HASH_BYTES);
	put_str(&h, domain);
	put_str(&h, r->b->source);
	put_strv(&h, r->argv);
	put_str(&h, r->decision.found);
	put_strv(&h, keys);
	put_strv(&h, r->patterns_used);
	put_str(&h, r->bindings_key);
	put_str(&h, r->env_alias);
	put_str(&h, r->env_prefix);
	put_int(&h, r->expand_vars);
	put_int(&h, r->sandbox.profile);
	put_int(&h, r->sandbox.deny_network);
	put_int(&h, r->sandbox.timeout_ms);
	put_int(&h, (int64_t)r->sandbox.max_output);
	put_int(&h, (int64_t)r->sandbox.memory);
	put_strv(&h, r->sandbox.writable);
	put_strv(&h, r->sandbox.sockets);
	put_str(&h, r->cwd);
	put_int(&h, r->pty);
	put_int(&h, level);
	crypto_generichash_final(&h, out, BROKER_RUN_HASH_BYTES);
	sodium_memzero(&h, sizeof(h));
}
