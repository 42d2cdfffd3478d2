/* SPDX-License-Identifier: Apache-2.0 */
/* policy internals: the bounded YAML document tree the schema is checked against, the loaded
 * model, and the section parsers shared by policy.c and rules.c. Only the policy/ sources (and
 * the module's own tests) include this. */
#ifndef SECRETCTL_POLICY_INTERNAL_H
#define SECRETCTL_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/common.h"
#include "policy/policy.h"

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

/* One node of a parsed document. A mapping keeps its entries as kids[2i] (key), kids[2i+1]
 * (value) in file order, duplicates included: the schema walk rejects them with a position. */
struct ynode {
	enum ynode_type type;
	int line;   /* 1-based */
	int column; /* 1-based */
	bool plain; /* scalar written without quotes or block style */
	char *str;  /* scalar bytes, NUL-terminated; may contain NUL bytes (see len) */
	size_t len;
	struct ynode **kids;
	size_t nkids;
	size_t cap;
};

/* Parse one YAML document into a tree, enforcing POLICY_DEPTH_MAX, POLICY_NODES_MAX and
 * POLICY_STRING_MAX and refusing anchors, aliases, explicit tags and multiple documents.
 * *ret is NULL for a stream without a document. -EINVAL/-E2BIG/-ENOMEM with err positioned. */
int ydoc_parse(const void *data, size_t len, struct ynode **ret, struct reterr *err);
struct ynode *ynode_free(struct ynode *n);

/* Human-readable name of a node type ("a mapping"). */
const char *ynode_type_name(enum ynode_type t);

/* ---- reading the tree (yaml.c) ------------------------------------------------------------ */

#define YSHOW_MAX 72 /* bytes of a ynode_show / policy_show buffer */

/* At most 64 bytes of s (len bytes) fit for a message: non-printable bytes become '?', a cut is
 * marked "...", so hostile text cannot put terminal escapes into diagnostics. Returns out. */
const char *policy_show(const char *s, size_t len, char out[static YSHOW_MAX]);
/* policy_show of a scalar, or the node type's name for a collection. */
const char *ynode_show(const struct ynode *n, char out[static YSHOW_MAX]);
/* -EINVAL positioned at n unless n has type t; what names the value ("'sandbox'"). */
int ynode_expect(const struct ynode *n, enum ynode_type t, const char *what, struct reterr *err);
/* Mapping keys must be distinct scalars (libyaml checks neither). */
int ynode_check_map_keys(const struct ynode *map, const char *what, struct reterr *err);
/* True when n is a scalar equal to s. */
bool ynode_is(const struct ynode *n, const char *s);
/* malloc'd copy of a scalar's bytes; NULL on ENOMEM. */
char *ynode_strdup(const struct ynode *n);

/* ---- the model ---------------------------------------------------------------------------- */

/* One env_aliases rule: "db/<star>" -> "staging/db/<star>" (prefix) or "special" ->
 * "prod/special" (exact). */
struct policy_rule {
	char *pattern;
	char *target;
	size_t plen; /* bytes of pattern before '*' (whole pattern when !prefix) */
	size_t tlen; /* same for target */
	bool prefix;
};

struct policy_alias {
	char *name;
	struct policy_rule *rules;
	size_t nrules;
};

/* A command entry: "npm run build" is words {"npm", "run", "build"}. words[0] is the command
 * ("~/" already expanded); is_path when it contains '/' (it then names a file). */
struct policy_cmd {
	char **words; /* strv */
	size_t nwords;
	char *text; /* the entry as written, for messages */
	int line, column;
	bool is_path;
};

struct policy_cmd_list {
	struct policy_cmd *v;
	size_t n;
};

/* A list of key globs with the line of each (messages name it). present distinguishes an
 * absent key from an empty list ("allowed_keys: []" allows no key). */
struct policy_globs {
	char **v; /* strv */
	int *lines;
	size_t n;
	bool present;
	int line; /* of the list itself */
};

/* Sandbox settings as parsed; pub's pointers point into writable/sockets. */
struct policy_sandbox_conf {
	struct policy_sandbox pub;
	char **writable; /* strv; an empty list is a vector with no element, NULL unset */
	char **sockets;
	int line, column; /* of the mapping */
};

/* One `commands:` entry. */
struct policy_cmd_rule {
	struct policy_cmd match;
	struct policy_globs keys;
	struct policy_sandbox_conf sb;
	enum policy_approval approval;
	int approval_line; /* 0 when absent */
	int line, column;
};

/* One `keys:` entry: what runs that inject a matching key need. */
struct policy_key_rule {
	char *match;
	enum policy_approval approval;
	bool require_grant;
	int line;
};

struct policy {
	unsigned version;
	struct policy_alias *aliases;
	size_t naliases;
	enum policy_verdict default_action;
	int default_line; /* 0 when absent */
	struct policy_cmd_list allowed, denied;
	int allowed_line, denied_line;
	struct policy_globs allowed_keys, denied_keys;
	struct policy_sandbox_conf sandbox;
	struct policy_cmd_rule *commands;
	size_t ncommands;
	unsigned max_concurrent;
	bool mcp_folder_writes; /* the MCP folder_create / folder_move_secret tools are offered */
	/* consent.c */
	enum policy_approval approval;
	int approval_line;			       /* 0 when absent */
	int64_t approval_timeout_ms;		       /* 0 when absent */
	enum policy_approval_channel approval_channel; /* CLIENT when absent */
	struct policy_key_rule *key_rules;
	size_t nkey_rules;
};

#define POLICY_VERSION 1

/* ---- section parsers (rules.c); each is one row of the table in policy.c ------------------ */

int policy_parse_default_action(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_allowed_commands(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_denied_commands(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_allowed_keys(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_denied_keys(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_sandbox(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_commands(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_max_concurrent_runs(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_mcp_folder_writes(struct policy *p, const struct ynode *v, struct reterr *err);
/* Consent (docs/policy.md "Approvals"): the top-level approval, approval_timeout and keys
 * sections (consent.c reads what they set). */
int policy_parse_approval(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_approval_timeout(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_approval_channel(struct policy *p, const struct ynode *v, struct reterr *err);
int policy_parse_key_rules(struct policy *p, const struct ynode *v, struct reterr *err);
/* Checks across sections, once every section is parsed (an entry in both command lists, a
 * sandbox that asks for network deny without a sandbox). */
int policy_parse_finish(struct policy *p, struct reterr *err);
/* Set the defaults of the sections rules.c owns (before parsing). */
void policy_rules_init(struct policy *p);
/* Free what rules.c allocated. */
void policy_rules_release(struct policy *p);

/* ---- command entries (rules.c), also used by the unit tests ------------------------------- */

/* Split a command entry into words and check it (see docs/policy.md "Command entries"); "~/"
 * in the command word is expanded with home (NULL: refused). -EINVAL/-E2BIG/-ENOMEM with a
 * message (no position). *ret filled on success (caller releases with policy_cmd_release). */
int policy_cmd_parse(const char *text, size_t len, const char *home, struct policy_cmd *ret,
		     struct reterr *err);
void policy_cmd_release(struct policy_cmd *c);

#endif
