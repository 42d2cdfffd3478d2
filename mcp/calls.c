/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the broker process's side of the read-only tools (secret_list, secret_exists,
 * secret_get_masked, secret_list_fields, secret_get_field, security_score, policy_check): each
 * reads the vault through broker/ and vault/, writes the structuredContent JSON with the
 * secret-safe writer (no JSON is ever parsed here) and audits the call. */
#include <errno.h>
#include <string.h>

#include "broker/broker.h"
#include "mcp/mcp-internal.h"
#include "mcp/mcp-server.h"

static bool has_tag(const struct vault_meta *m, const char *tag)
{
	for (size_t i = 0; m->tags && m->tags[i]; i++)
		if (!strcmp(m->tags[i], tag))
			return true;
	return false;
}

/* A key argument: present, a valid key (or, where allowed, a key glob). */
static int key_arg(const struct mcp_wire_msg *m, struct mcp_reply *rp, char *key, bool glob_ok)
{
	int bad = 0;
	struct reterr err = RETERR_INIT;
	if (!mcp_field_str(m, "key", key, VAULT_KEY_MAX + 1, &bad) || bad)
		return mcp_call_error(rp, "'key' must be a secret key of 1-%d characters",
				      VAULT_KEY_MAX) < 0
			       ? -ENOMEM
			       : 1;
	if (glob_ok && glob_is_pattern(key))
		return 0;
	if (vault_key_check(key, &err) < 0)
		return mcp_call_error(rp, "'key': %s", err.msg) < 0 ? -ENOMEM : 1;
	return 0;
}

/* A secret by exact key, decrypted or not. 1 with a tool error when absent. */
static int get_entry(struct broker *b, const char *key, unsigned flags, struct mcp_reply *rp,
		     struct vault_entry **ret)
{
	struct reterr err = RETERR_INIT;
	int e = vault_get(broker_vault(b), key, flags | VAULT_GET_NO_AUDIT, ret, &err);
	if (e == -ENOENT)
		return mcp_call_error(rp,
				      "secret not found: '%s' (secret_list shows the keys; keys "
				      "are case-sensitive)",
				      key) < 0
			       ? -ENOMEM
			       : 1;
	if (e < 0)
		return mcp_call_error(rp, "cannot read '%s': %s", key, reterr_str(&err, e)) < 0
			       ? -ENOMEM
			       : 1;
	return 0;
}

/* ---- the tools ---------------------------------------------------------------------------- */

static int call_list(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char tag[VAULT_TAG_MAX + 1], within[64];
	int bad = 0, e;
	const char *t = mcp_field_str(m, "tag", tag, sizeof(tag), &bad);
	const char *w = mcp_field_str(m, "expiring_within", within, sizeof(within), &bad);
	int64_t ms = 0, now = clock_now();
	struct vault_meta *metas = NULL;
	struct reterr err = RETERR_INIT;
	size_t n = 0;

	if (bad)
		return mcp_call_error(rp, "invalid 'tag' or 'expiring_within'") < 0 ? -ENOMEM : 1;
	if (w && (parse_duration_ms(w, false, &ms) < 0 || ms < 0))
		return mcp_call_error(rp,
				      "'expiring_within': '%s' is not a duration (use e.g. 7d, "
				      "12h, 30d)",
				      w) < 0
			       ? -ENOMEM
			       : 1;
	if ((e = vault_list(broker_vault(b), NULL, VAULT_GET_NO_AUDIT, &metas, &n, &err)) < 0)
		return mcp_call_error(rp, "cannot list secrets: %s", err.msg) < 0 ? -ENOMEM : 1;
	struct outbuf o;
	outbuf_init_buf(&o, &rp->json);
	outbuf_puts(&o, "{\"secrets\":[");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const struct vault_meta *x = &metas[i];
		if ((t && !has_tag(x, t)) ||
		    (w && (!x->expires_at || x->expires_at > now + ms / 1000)))
			continue;
		outbuf_puts(&o, first ? "" : ",");
		broker_render_meta(&o, x, NULL);
		first = false;
	}
	outbuf_puts(&o, "]}");
	vault_meta_array_free(metas, n);
	return outbuf_finish(&o);
}

static int call_exists(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char key[VAULT_KEY_MAX + 1];
	struct outbuf o;
	int e = key_arg(m, rp, key, true);
	if (e)
		return e;
	outbuf_init_buf(&o, &rp->json);
	if (glob_is_pattern(key)) {
		struct vault_meta *metas = NULL;
		struct reterr err = RETERR_INIT;
		size_t n = 0;
		if ((e = vault_list(broker_vault(b), key, VAULT_GET_NO_AUDIT, &metas, &n, &err)) <
		    0)
			return mcp_call_error(rp, "cannot list secrets: %s", err.msg) < 0 ? -ENOMEM
											  : 1;
		outbuf_printf(&o, "{\"exists\":%s,\"key\":", n ? "true" : "false");
		outbuf_json_cstr(&o, key);
		outbuf_puts(&o, ",\"matches\":[");
		for (size_t i = 0; i < n; i++) {
			outbuf_puts(&o, i ? "," : "");
			outbuf_json_cstr(&o, metas[i].key);
		}
		outbuf_puts(&o, "]}");
		vault_meta_array_free(metas, n);
		return outbuf_finish(&o);
	}
	struct vault_entry *ent = NULL;
	struct reterr err = RETERR_INIT;
	e = vault_get(broker_vault(b), key, VAULT_GET_NO_AUDIT | VAULT_GET_META_ONLY, &ent, &err);
	if (e == -ENOENT) {
		outbuf_puts(&o, "{\"exists\":false,\"key\":");
		outbuf_json_cstr(&o, key);
		outbuf_puts(&o, "}");
		return outbuf_finish(&o);
	}
	if (e < 0)
		return mcp_call_error(rp, "cannot read '%s': %s", key, err.msg) < 0 ? -ENOMEM : 1;
	struct broker_render_opts ro = { .open_end = true };
	broker_render_meta(&o, &ent->meta, &ro);
	outbuf_puts(&o, ",\"exists\":true}");
	vault_entry_free(ent);
	return outbuf_finish(&o);
}

static int masked_field(struct outbuf *o, size_t i, void *ctx)
{
	const struct vault_entry *e = ctx;
	if (e->meta.fields[i].sensitive || !utf8_valid(e->field_values[i], e->field_lens[i])) {
		outbuf_puts(o, ",\"masked_value\":");
		broker_render_masked(o, e->field_values[i], e->field_lens[i]);
	} else {
		outbuf_puts(o, ",\"value\":");
		outbuf_json_str(o, e->field_values[i], e->field_lens[i]);
	}
	outbuf_printf(o, ",\"value_length\":%zu", e->field_lens[i]);
	return 0;
}

static int call_get_masked(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char key[VAULT_KEY_MAX + 1];
	struct vault_entry *ent = NULL;
	struct outbuf o;
	int e = key_arg(m, rp, key, false);
	if (e || (e = get_entry(b, key, 0, rp, &ent)))
		return e;
	outbuf_init_buf(&o, &rp->json);
	struct broker_render_opts ro = { .open_end = true,
					 .field_extra = masked_field,
					 .ctx = ent };
	broker_render_meta(&o, &ent->meta, &ro);
	outbuf_puts(&o, ",\"masked_value\":");
	if (ent->meta.has_value)
		broker_render_masked(&o, ent->value, ent->value_len);
	else
		outbuf_puts(&o, "\"\"");
	outbuf_puts(&o, "}");
	vault_entry_free(ent);
	return outbuf_finish(&o);
}

static int length_field(struct outbuf *o, size_t i, void *ctx)
{
	const struct vault_entry *e = ctx;
	outbuf_printf(o, ",\"value_length\":%zu", e->field_lens[i]);
	return 0;
}

static int call_list_fields(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char key[VAULT_KEY_MAX + 1];
	struct vault_entry *ent = NULL;
	struct outbuf o;
	int e = key_arg(m, rp, key, false);
	if (e || (e = get_entry(b, key, 0, rp, &ent)))
		return e;
	outbuf_init_buf(&o, &rp->json);
	outbuf_puts(&o, "{\"key\":");
	outbuf_json_cstr(&o, key);
	outbuf_puts(&o, ",\"fields\":[");
	for (size_t i = 0; i < ent->meta.nfields; i++) {
		outbuf_puts(&o, i ? ",{\"name\":" : "{\"name\":");
		outbuf_json_cstr(&o, ent->meta.fields[i].name);
		outbuf_printf(&o, ",\"sensitive\":%s",
			      ent->meta.fields[i].sensitive ? "true" : "false");
		length_field(&o, i, ent);
		outbuf_puts(&o, "}");
	}
	outbuf_puts(&o, "]}");
	vault_entry_free(ent);
	return outbuf_finish(&o);
}

static int call_get_field(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char key[VAULT_KEY_MAX + 1], field[VAULT_FIELD_NAME_MAX + 1];
	struct vault_entry *ent = NULL;
	int bad = 0, e = key_arg(m, rp, key, false);
	if (e)
		return e;
	if (!mcp_field_str(m, "field", field, sizeof(field), &bad) || bad)
		return mcp_call_error(rp, "'field' must be a field name") < 0 ? -ENOMEM : 1;
	if ((e = get_entry(b, key, 0, rp, &ent)))
		return e;
	size_t fi = ent->meta.nfields;
	for (size_t i = 0; i < ent->meta.nfields; i++)
		if (!strcmp(ent->meta.fields[i].name, field))
			fi = i;
	if (fi == ent->meta.nfields) {
		e = mcp_call_error(rp,
				   "secret '%s' has no field '%s' (secret_list_fields lists them)",
				   key, field);
	} else if (ent->meta.fields[fi].sensitive) {
		rp->denied = true;
		e = mcp_call_error(rp,
				   "field '%s' of '%s' is sensitive: its value is never returned "
				   "to an agent; use secret_run to give it to a command",
				   field, key);
	} else if (!utf8_valid(ent->field_values[fi], ent->field_lens[fi])) {
		e = mcp_call_error(rp, "field '%s' of '%s' is not text (not UTF-8)", field, key);
	} else {
		struct outbuf o;
		outbuf_init_buf(&o, &rp->json);
		outbuf_puts(&o, "{\"key\":");
		outbuf_json_cstr(&o, key);
		outbuf_puts(&o, ",\"field\":");
		outbuf_json_cstr(&o, field);
		outbuf_puts(&o, ",\"value\":");
		outbuf_json_str(&o, ent->field_values[fi], ent->field_lens[fi]);
		outbuf_puts(&o, ",\"sensitive\":false}");
		e = outbuf_finish(&o);
	}
	vault_entry_free(ent);
	return e < 0 ? e : rp->error ? 1 : 0;
}

static int call_score(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	const struct mcp_wire_field *f = mcp_wire_get(m, "include_keys", MCP_WK_BOOL);
	struct broker_score sc;
	struct reterr err = RETERR_INIT;
	struct outbuf o;
	int e = broker_security_score(broker_vault(b), &sc, &err);
	if (e < 0)
		return mcp_call_error(rp, "cannot score the vault: %s", err.msg) < 0 ? -ENOMEM : 1;
	outbuf_init_buf(&o, &rp->json);
	broker_render_score(&o, &sc, f && f->b);
	broker_score_release(&sc);
	return outbuf_finish(&o);
}

static const struct mcp_call {
	const char *tool;
	const char *action; /* audit action */
	int (*fn)(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp);
} calls[] = {
	{ "secret_list", "secret.list", call_list },
	{ "secret_exists", "secret.exists", call_exists },
	{ "secret_get_masked", "secret.get_masked", call_get_masked },
	{ "secret_list_fields", "secret.list_fields", call_list_fields },
	{ "secret_get_field", "secret.get_field", call_get_field },
	{ "security_score", "security.score", call_score },
	{ "policy_check", "policy.check", mcp_call_policy_check },
};

int mcp_call_read(struct broker *b, const char *tool, const struct mcp_wire_msg *m,
		  struct mcp_reply *rp)
{
	for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
		if (strcmp(calls[i].tool, tool) != 0)
			continue;
		char key[VAULT_KEY_MAX + 1];
		int bad = 0;
		const char *k = mcp_field_str(m, "key", key, sizeof(key), &bad);
		int e = calls[i].fn(b, m, rp);
		if (e < 0)
			return e;
		const char *action = calls[i].action;
		if (rp->denied && !strcmp(action, "secret.get_field"))
			action = "secret.get_field_denied";
		mcp_audit(b, action, calls[i].tool, k, !rp->error,
			  rp->error ? rp->message.data : NULL);
		return 0;
	}
	return -ENOENT;
}
