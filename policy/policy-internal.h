/* SPDX-License-Identifier: Apache-2.0 */
/* policy internals: the bounded YAML document tree the schema is checked against. Only
 * the policy/ sources include this. */
#ifndef SECRETCTL_POLICY_INTERNAL_H
#define SECRETCTL_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/common.h"

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

#endif
