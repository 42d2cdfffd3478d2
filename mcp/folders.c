/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: the broker process's side of the folder tools (folder_list, and, when the policy sets
 * mcp_folder_writes, folder_create and folder_move_secret). The vault verbs audit each call with
 * source mcp; a call the policy refuses is audited here. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "mcp/mcp-server.h"
#include "policy/policy.h"

/* An optional STR argument into out; 1 with rp filled when it is malformed. */
static int str_arg(const struct mcp_wire_msg *m, struct mcp_reply *rp, const char *name, char *out,
		   size_t size, const char **ret)
{
	int bad = 0;
	*ret = mcp_field_str(m, name, out, size, &bad);
	if (bad)
		return mcp_call_error(rp, "'%s' is too long or contains a NUL byte", name) < 0
			       ? -ENOMEM
			       : 1;
	return 0;
}

static int vault_error(struct mcp_reply *rp, const char *what, const struct reterr *err)
{
	return mcp_call_error(rp, "cannot %s: %s", what, err->msg) < 0 ? -ENOMEM : 0;
}

static int call_list(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char pbuf[VAULT_FOLDER_PATH_MAX + 1];
	const char *parent;
	struct vault_folder *a = NULL;
	size_t n = 0;
	struct reterr err = RETERR_INIT;
	int e = str_arg(m, rp, "parent", pbuf, sizeof(pbuf), &parent);
	if (e)
		return e < 0 ? e : 0;
	if (vault_folder_list(broker_vault(b), parent, &a, &n, &err) < 0)
		return vault_error(rp, "list the folders", &err);
	struct outbuf o;
	outbuf_init_buf(&o, &rp->json);
	outbuf_puts(&o, "{\"folders\":[");
	for (size_t i = 0; i < n; i++) {
		outbuf_puts(&o, i ? "," : "");
		broker_render_folder(&o, &a[i]);
	}
	outbuf_puts(&o, "]}");
	free(a);
	return outbuf_finish(&o);
}

static int call_create(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char nbuf[VAULT_FOLDER_NAME_MAX + 1], pbuf[VAULT_FOLDER_PATH_MAX + 1];
	char ibuf[VAULT_FOLDER_ICON_MAX + 1], cbuf[8];
	const char *name, *parent, *icon, *color;
	struct vault_folder f;
	struct reterr err = RETERR_INIT;
	int e;
	if ((e = str_arg(m, rp, "name", nbuf, sizeof(nbuf), &name)) ||
	    (e = str_arg(m, rp, "parent", pbuf, sizeof(pbuf), &parent)) ||
	    (e = str_arg(m, rp, "icon", ibuf, sizeof(ibuf), &icon)) ||
	    (e = str_arg(m, rp, "color", cbuf, sizeof(cbuf), &color)))
		return e < 0 ? e : 0;
	if (!name)
		return mcp_call_error(rp, "'name' is required") < 0 ? -ENOMEM : 0;
	if (vault_folder_create(broker_vault(b), name, parent, icon, color, &f, &err) < 0)
		return vault_error(rp, "create the folder", &err);
	struct outbuf o;
	outbuf_init_buf(&o, &rp->json);
	outbuf_puts(&o, "{\"folder\":");
	broker_render_folder(&o, &f);
	outbuf_puts(&o, "}");
	return outbuf_finish(&o);
}

static int call_move(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	char key[VAULT_KEY_MAX + 1], fbuf[VAULT_FOLDER_PATH_MAX + 1];
	const char *k, *folder;
	struct reterr err = RETERR_INIT;
	int e;
	if ((e = str_arg(m, rp, "key", key, sizeof(key), &k)) ||
	    (e = str_arg(m, rp, "folder", fbuf, sizeof(fbuf), &folder)))
		return e < 0 ? e : 0;
	if (!k || !folder)
		return mcp_call_error(rp, "'key' and 'folder' are required") < 0 ? -ENOMEM : 0;
	if (vault_folder_assign(broker_vault(b), k, folder, &err) < 0)
		return vault_error(rp, "move the secret", &err);
	struct outbuf o;
	outbuf_init_buf(&o, &rp->json);
	outbuf_puts(&o, "{\"key\":");
	outbuf_json_cstr(&o, k);
	outbuf_puts(&o, ",\"folder\":");
	outbuf_json_cstr(&o, *folder ? folder : NULL);
	outbuf_puts(&o, "}");
	return outbuf_finish(&o);
}

static const struct {
	const char *tool, *action;
	bool writes;
	int (*fn)(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp);
} folder_calls[] = {
	{ "folder_list", "folder.list", false, call_list },
	{ "folder_create", "folder.create", true, call_create },
	{ "folder_move_secret", "secret.move", true, call_move },
};

int mcp_call_folder(struct broker *b, const char *tool, const struct mcp_wire_msg *m,
		    struct mcp_reply *rp)
{
	for (size_t i = 0; i < ARRAY_SIZE(folder_calls); i++) {
		if (strcmp(folder_calls[i].tool, tool) != 0)
			continue;
		/* The front does not offer these without the policy; check again here. */
		if (folder_calls[i].writes && !policy_mcp_folder_writes(broker_policy(b))) {
			rp->denied = true;
			mcp_audit(b, folder_calls[i].action, tool, NULL, false,
				  "folder changes are off in the policy");
			return mcp_call_error(rp,
					      "%s is off: the policy does not set "
					      "mcp_folder_writes: true",
					      tool) < 0
				       ? -ENOMEM
				       : 0;
		}
		return folder_calls[i].fn(b, m, rp);
	}
	return -ENOENT;
}
