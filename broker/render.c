/* SPDX-License-Identifier: Apache-2.0 */
/* broker: how a secret's metadata and a masked value are written as JSON, once for every front
 * end (list --json, get --json, MCP). Metadata only: no value passes through here unmasked. */
#include <string.h>

#include "broker/broker-internal.h"

int broker_render_meta(struct outbuf *o, const struct vault_meta *m,
		       const struct broker_render_opts *ro)
{
	int e = 0;
	outbuf_puts(o, "{");
	outbuf_json_member_cstr(o, "key", m->key);
	outbuf_printf(o, ",\"has_value\":%s,\"value_length\":%zu,\"field_count\":%zu,",
		      m->has_value ? "true" : "false", m->has_value ? m->value_len : 0, m->nfields);
	outbuf_puts(o, "\"fields\":[");
	for (size_t i = 0; i < m->nfields; i++) {
		outbuf_puts(o, i ? ",{\"name\":" : "{\"name\":");
		outbuf_json_cstr(o, m->fields[i].name);
		outbuf_printf(o, ",\"sensitive\":%s", m->fields[i].sensitive ? "true" : "false");
		if (ro && ro->field_extra && e == 0)
			e = ro->field_extra(o, i, ro->ctx);
		outbuf_puts(o, "}");
	}
	outbuf_puts(o, "],\"bindings\":[");
	for (size_t i = 0; i < m->nbindings; i++) {
		outbuf_puts(o, i ? ",{\"env\":" : "{\"env\":");
		outbuf_json_cstr(o, m->bindings[i].env);
		outbuf_puts(o, ",\"field\":");
		outbuf_json_cstr(o, m->bindings[i].field);
		outbuf_puts(o, "}");
	}
	outbuf_puts(o, "],");
	/* Tags, notes and URLs are the user's text and may be any bytes: not UTF-8 ones are
	 * written as \\xNN with a lossless _base64 sibling. */
	outbuf_json_member_strv(o, "tags", m->tags);
	outbuf_puts(o, ",");
	outbuf_json_member_cstr(o, "notes", m->notes);
	outbuf_puts(o, ",");
	outbuf_json_member_cstr(o, "url", m->url);
	outbuf_printf(o, ",\"has_notes\":%s,\"has_url\":%s,",
		      m->notes && m->notes[0] ? "true" : "false",
		      m->url && m->url[0] ? "true" : "false");
	outbuf_puts(o, "\"created_at\":");
	outbuf_json_time(o, m->created_at);
	outbuf_puts(o, ",\"updated_at\":");
	outbuf_json_time(o, m->updated_at);
	outbuf_puts(o, ",\"expires_at\":");
	outbuf_json_time(o, m->expires_at);
	if (!ro || !ro->open_end)
		outbuf_puts(o, "}");
	return e;
}

void broker_render_masked(struct outbuf *o, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t shown = n <= 4 ? 0 : n <= 8 ? 2 : 4;
	/* Only printable ASCII is ever shown: half a UTF-8 character or a control byte is not a
	 * useful hint and would not be valid JSON text. */
	for (size_t i = n - shown; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			shown = 0;
	/* At most BROKER_MASK_STARS stars: value_length tells the length, and a 1 MiB value must
	 * not make a 1 MiB answer. */
	size_t stars = n - shown < BROKER_MASK_STARS ? n - shown : BROKER_MASK_STARS;
	outbuf_puts(o, "\"");
	for (size_t i = 0; i < stars; i++)
		outbuf_write(o, "*", 1);
	for (size_t i = n - shown; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			outbuf_write(o, "\\", 1);
		outbuf_write(o, s + i, 1);
	}
	outbuf_puts(o, "\"");
}

static void json_keys(struct outbuf *o, const char *name, char *const *keys, bool include)
{
	outbuf_printf(o, ",\"%s\":", name);
	outbuf_json_strv(o, include ? keys : NULL);
}

void broker_render_score(struct outbuf *o, const struct broker_score *sc, bool include_keys)
{
	bool inc = include_keys;
	outbuf_printf(o,
		      "{\"score\":%u,\"total_secrets\":%zu,\"components\":{\"strength\":%u,"
		      "\"uniqueness\":%u,\"expiry\":%u,\"coverage\":%u},",
		      sc->score, sc->total, sc->strength, sc->uniqueness, sc->expiry, sc->coverage);
	outbuf_printf(o,
		      "\"counts\":{\"weak\":%zu,\"duplicates\":%zu,\"expired\":%zu,"
		      "\"expiring_soon\":%zu,\"no_expiry\":%zu}",
		      strv_len(sc->weak), sc->nduplicates, strv_len(sc->expired),
		      strv_len(sc->expiring_soon), strv_len(sc->no_expiry));
	json_keys(o, "weak", sc->weak, inc);
	outbuf_puts(o, ",\"duplicates\":[");
	for (size_t i = 0; inc && i < sc->nduplicates; i++) {
		outbuf_puts(o, i ? "," : "");
		outbuf_json_strv(o, sc->duplicates[i]);
	}
	outbuf_puts(o, "]");
	json_keys(o, "expired", sc->expired, inc);
	json_keys(o, "expiring_soon", sc->expiring_soon, inc);
	outbuf_puts(o, ",\"suggestions\":[");
	const char *sep = "";
	if (sc->weak) {
		outbuf_printf(o,
			      "%s\"replace %zu weak secret(s) with long random values "
			      "(secretctl set KEY)\"",
			      sep, strv_len(sc->weak));
		sep = ",";
	}
	if (sc->nduplicates) {
		outbuf_printf(o,
			      "%s\"give each service its own credential: %zu group(s) of "
			      "secrets share a value\"",
			      sep, sc->nduplicates);
		sep = ",";
	}
	if (sc->expired || sc->expiring_soon) {
		outbuf_printf(o, "%s\"rotate %zu expired or soon-expiring secret(s)\"", sep,
			      strv_len(sc->expired) + strv_len(sc->expiring_soon));
		sep = ",";
	}
	if (sc->no_expiry)
		outbuf_printf(o, "%s\"set an expiry (a rotation date) on %zu secret(s)\"", sep,
			      strv_len(sc->no_expiry));
	outbuf_puts(o, "]}");
}

void broker_render_folder(struct outbuf *o, const struct vault_folder *f)
{
	outbuf_puts(o, "{\"id\":");
	outbuf_json_cstr(o, f->id);
	outbuf_puts(o, ",\"name\":");
	outbuf_json_cstr(o, f->name);
	outbuf_puts(o, ",\"path\":");
	outbuf_json_cstr(o, f->path);
	outbuf_puts(o, ",\"parent_id\":");
	outbuf_json_cstr(o, f->parent_id[0] ? f->parent_id : NULL);
	outbuf_puts(o, ",\"icon\":");
	outbuf_json_cstr(o, f->icon[0] ? f->icon : NULL);
	outbuf_puts(o, ",\"color\":");
	outbuf_json_cstr(o, f->color[0] ? f->color : NULL);
	outbuf_printf(o, ",\"secret_count\":%zu,\"folder_count\":%zu,\"created_at\":", f->secrets,
		      f->folders);
	outbuf_json_time(o, f->created_at);
	outbuf_puts(o, ",\"updated_at\":");
	outbuf_json_time(o, f->updated_at);
	outbuf_puts(o, "}");
}
