/* SPDX-License-Identifier: Apache-2.0 */
/* broker internals shared by its sources: the session and run structures, resolution and
 * command-line splitting. Never included from another module (its unit tests excepted). */
#ifndef SECRETCTL_BROKER_INTERNAL_H
#define SECRETCTL_BROKER_INTERNAL_H

#include "broker/broker.h"
#include "sanitizer/sanitizer.h"

struct broker {
	char *source;
	char *vault_dir;
	bool judge;
	struct policy *policy;
	bool policy_borrowed; /* broker_opts.use_policy: not ours to free */
	char *policy_path;
	struct vault *vault;
	int64_t default_timeout_ms;
	uint64_t default_max_output;
	int (*approve)(void *ctx, const struct broker_approval *ask, struct reterr *err);
	void *approve_ctx;
};

/* One variable to inject: its name, the stored key it came from (NULL for --from-env), the
 * field (NULL for a single value or --from-env) and the value in locked memory. A plain item is
 * a field its owner did not mark sensitive (a host or user name): it is redacted only when it is
 * long enough to redact without hiding ordinary text, and never refused for being short. */
struct broker_item {
	char *env;
	char *key;
	char *field;
	bool plain;
	struct secret *value;
};

struct broker_run {
	struct broker *b;
	/* the request, copied */
	char **argv; /* the words of the command, unexpanded (what the policy judges) */
	char *command_line;
	char **patterns, **from_env, **writable, **sockets;
	char *bindings_key, *env_alias, *env_prefix, *cwd;
	bool expand_vars, pty, no_sanitize, raw_terminal, allow_reserved, dry_run;
	int profile, network, stdin_fd, cancel_fd, out_fd[3];
	int64_t timeout_ms;
	uint64_t nproc, nofile, fsize, as;
	/* what decide and prepare worked out */
	bool judged;
	bool consent_denied; /* refused for want of approval or grant: audited as secret.run_denied */
	bool consent_pending;	  /* the question went back to the client (-EAGAIN): not audited */
	const char *approved_via; /* "agent" or "elicitation" when the person approved; static */
	struct policy_decision decision;
	struct broker_item *items;
	size_t nitems, cap;
	char *keys;	      /* stored keys injected, comma-separated (audit) */
	char **patterns_used; /* patterns after alias rewriting (messages, audit of denials) */
	struct broker_sandbox sandbox;
	char **sandbox_writable, **sandbox_sockets;
	char **hidden;
	char **warnings;
	struct san_set *set;
	struct sup_spec *spec;
	/* while running */
	struct san_stream *st[3];
	struct san_term *term[3]; /* before st: the redactor sees what the reader will see */
	bool compiled;
	const struct broker_sink *sink;
	int sink_err[3]; /* per stream: the first error its sink returned */
};

/* resolve.c: fill r->items from patterns/bindings_key/from_env (docs/policy.md "Secrets ->
 * environment variables"). Checks every stored key against the policy and its expiry before any
 * value is decrypted. */
int broker_resolve(struct broker_run *r, struct reterr *err);
void broker_items_free(struct broker_run *r);
/* Comma-separated stored keys of the items (malloc'd; NULL on ENOMEM). */
char *broker_items_keys(const struct broker_run *r);

/* cmdline.c: split a command line into words without a shell. Single quotes keep everything;
 * double quotes keep everything but \" \\ \$ \`; a backslash outside quotes escapes the next
 * byte. Unquoted shell syntax that no shell will interpret (| & ; < > ( ) ` $( and globs * ? [
 * and a leading ~ or #) is refused with -EINVAL naming it. *ret is a strv (malloc'd). */
int broker_cmdline_split(const char *line, char ***ret, struct reterr *err);

/* A value of an injected variable, or NULL. */
typedef const struct secret *(*broker_lookup_fn)(void *ctx, const char *name, size_t len);

/* Expand $NAME and ${NAME} naming injected variables in each word of argv (other names stay as
 * written). When line is non-NULL the words come from splitting it again (so that escaped \$
 * stays literal) rather than from argv. The result is one secure region of NUL-separated words
 * (*ret_mem) and a malloc'd pointer vector into it (*ret_argv). */
int broker_cmdline_expand(const char *line, char *const *argv, broker_lookup_fn lookup, void *ctx,
			  struct secret **ret_mem, char ***ret_argv, struct reterr *err);

/* approval.c: the digest of run r injecting the stored keys keys (sorted, unique, NULL-terminated)
 * at approval level level (broker_approval.run_hash). Pure. */
void broker_run_hash(const struct broker_run *r, char *const *keys, int level,
		     unsigned char out[BROKER_RUN_HASH_BYTES]);

/* run.c: append a warning for the caller to show (copied). */
int broker_run_warn(struct broker_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* audit a refusal or failure of this run (no-op without a vault). */
void broker_run_audit_refusal(struct broker_run *r, const char *action, const char *reason);

/* redact.c: broker_redact_fd with the input read by a second thread (threads, the default) or
 * by the filtering thread itself (the fallback when no thread can be started), for the tests. */
int broker_redact_fds(struct broker_run *r, int in_fd, int out_fd, bool threads,
		      uint64_t **ret_counts, struct reterr *err);

#endif
