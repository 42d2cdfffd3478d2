/* SPDX-License-Identifier: Apache-2.0 */
/* broker: the one path a secret-bearing command takes: the policy decision, key resolution, the
 * redaction set, the sandboxed run with every output byte sanitized, and its audit record.
 * cli/ and mcp/ build a request, call these verbs in order and render what comes back; neither
 * holds a step of the path. Never prints: -errno with a reterr, plus warnings for the caller to
 * show. See DESIGN.md §2 and docs/policy.md. */
#ifndef SECRETCTL_BROKER_H
#define SECRETCTL_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "policy/policy.h"
#include "supervisor/supervisor.h"
#include "vault/vault.h"

#define BROKER_NPROC_DEFAULT 4096 /* processes in a run's tree unless the caller says otherwise */
#define BROKER_ITEMS_MAX 1024	  /* injected variables per run (each is a locked allocation) */
#define BROKER_TIMEOUT_MAX_MS (60ll * 60 * 1000) /* an agent's run never lasts longer (MCP) */
#define BROKER_COMMAND_MAX 4096 /* bytes of a command line to split (MCP `command`) */

/* ---- the session: one front end's policy and vault ------------------------------------------ */

struct broker;

/* The digest of a run as the broker will make it (broker_approval.run_hash). */
#define BROKER_RUN_HASH_BYTES 32

/* What the person is asked to approve (docs/policy.md "Approvals"): everything borrowed, for the
 * length of the call. Holds no value: nothing is decrypted yet. */
struct broker_approval {
	enum policy_approval level; /* what the person must be asked (NEVER with require_grant) */
	const char *why;	    /* the rule that asks ("commands entry 'psql' (line 7): ...") */
	bool require_grant;	    /* a key needs a live grant (`keys:` require_grant) */
	const char *grant_why;	    /* which key and rule, when require_grant */
	const char *source;	    /* "cli" or "mcp" */
	char *const *argv;	    /* the command as judged (unexpanded words) */
	const char *program;	    /* the file that will run (absolute) */
	char *const *keys;	    /* the stored keys to inject (sorted, unique) */
	const char *profile;	    /* "standard", "strict", "off" */
	bool deny_network;
	int64_t timeout_ms; /* how long to wait for an answer */
	/* A keyed-free digest (BLAKE2b) of everything the run will use and the question shows:
	 * source, argv, program, keys, the variables' alias and prefix, the bindings key, the
	 * sandbox (profile, network, timeout, output and memory caps, writable paths, sockets),
	 * the working directory and the approval level. Two runs with the same digest are the
	 * same run (a stateless answer is bound to it: mcp/approve.c). */
	unsigned char run_hash[BROKER_RUN_HASH_BYTES];
};

/* What the approval hook (broker_opts.approve) returns besides -errno. */
enum {
	BROKER_APPROVED = 0,	    /* approved by the session agent (an answer or a grant) */
	BROKER_APPROVED_CLIENT = 1, /* approved through the MCP client (elicitation): audited so */
};

struct broker_opts {
	const char *source;	 /* "cli" or "mcp": recorded in every audit event */
	const char *vault_dir;	 /* NULL: vault_dir_default() */
	const char *policy_path; /* --policy FILE, or NULL for the default location */
	/* The policy decides which commands run, with which keys and sandbox (MCP always; the CLI
	 * with --policy). A missing policy file is then an error naming the file to create. */
	bool judge_commands;
	/* Load the policy for its env aliases even when not judging (the CLI with --env). */
	bool want_policy;
	/* While judging, a missing policy file at the default location is not an error: the
	 * session starts and every command is refused with a message naming the file to create
	 * (MCP: listing and masked reads work before the user writes a policy). */
	bool policy_may_be_missing;
	/* Judge by this policy, loaded elsewhere (the session agent's, loaded at unlock), instead
	 * of reading the file: borrowed, may be NULL (no file then: every command is refused with
	 * a message naming policy_file, the file to create). Only with use_policy. */
	bool use_policy;
	const struct policy *policy;
	const char *policy_file;
	/* Defaults for what neither the request nor the policy sets (0 = none/unlimited). */
	int64_t default_timeout_ms;
	uint64_t default_max_output;
	/* Ask the person when the policy wants a run approved (policy_approval_for) or its keys
	 * need a grant (policy_requires_grant): called once the keys are named and checked,
	 * before any value is decrypted. BROKER_APPROVED (or a live grant covers it) or
	 * BROKER_APPROVED_CLIENT (the run's secret.run record says "approved_via"); -EACCES
	 * refused (err says why: denied, timed out, no grant, no one to ask); -EAGAIN the
	 * question went back to the client, which repeats the call with the answer (MCP
	 * 2026-07-28 input_required: the run stops here and nothing is audited); -ENOSYS no one
	 * to ask here (as for a NULL hook); another -errno a failure. NULL: such a run is
	 * refused, naming the session agent as the way to ask. Either refusal is audited as
	 * secret.run_denied with the reason. */
	int (*approve)(void *ctx, const struct broker_approval *ask, struct reterr *err);
	void *approve_ctx;
};

/* Start a session: the policy (hostile input) is loaded and checked now, before any secret is
 * in memory. opts strings are copied. -ENOENT (no policy file while judging: err names the file
 * to create), -EINVAL/-E2BIG/-EACCES/-ELOOP (a bad or unsafe policy: err says what and where).
 * *ret owned by the caller (broker_free). */
int broker_new(const struct broker_opts *opts, struct broker **ret, struct reterr *err);
/* Give the session its unlocked vault (borrowed: the caller frees it after broker_free). Runs
 * that name keys need it; denials and failures are then audited too. */
void broker_set_vault(struct broker *b, struct vault *v);
struct vault *broker_vault(const struct broker *b);
/* The loaded policy (NULL when none was loaded) and the file it came from (NULL likewise). */
const struct policy *broker_policy(const struct broker *b);
const char *broker_policy_path(const struct broker *b);
struct broker *broker_free(struct broker *b);

/* Call once, before any secret is in this process. For sandboxed runs of an unprivileged caller
 * it first enters the user namespace later runs are made from (writing its id maps needs a
 * dumpable process: sup_userns_enter); then the process becomes non-dumpable with no core file.
 * -errno with err when user namespaces are unavailable (the caller refuses to run sandboxed) or
 * the process cannot be hardened. */
int broker_process_init(bool sandboxed, struct reterr *err);

/* ---- a run ---------------------------------------------------------------------------------- */

/* What a front end asks for. Strings and vectors are copied by broker_run_new. */
struct broker_req {
	/* The command: argv, or (argv NULL) a command line split into words without a shell
	 * (quotes and backslashes; docs/mcp.md "Command strings"). */
	char *const *argv;
	const char *command_line;
	/* Expand $NAME and ${NAME} that name injected variables in the arguments (MCP), inside
	 * quotes too; never when the command is a shell (it expands from its environment). */
	bool expand_vars;
	char *const *patterns;	  /* key globs to inject ("aws/<star>" is one level) */
	const char *bindings_key; /* inject exactly this key's bindings (it must have some) */
	char *const *from_env;	  /* CLI --from-env: our own variables, injected and redacted */
	const char *env_alias;	  /* rewrite patterns through the policy's env alias */
	const char *env_prefix;	  /* prefix every name made from a key */
	/* Sandbox choices of the caller; unset ones come from the policy, then the defaults. */
	int profile;	       /* -1 unset, else enum sup_profile */
	int network;	       /* -1 unset, 0 allow, 1 deny */
	char *const *writable; /* paths kept writable besides the working directory (absolute) */
	char *const *sockets;  /* host unix sockets the command may connect to (absolute) */
	int64_t timeout_ms;    /* 0 unset; with a policy timeout the smaller one applies */
	uint64_t nproc;	       /* 0: BROKER_NPROC_DEFAULT (then a bound that cannot be
				  * enforced is a warning, not a refusal) */
	uint64_t nofile, fsize, as; /* rlimits, 0 unset (as falls to the policy's memory) */
	bool pty;		    /* a new terminal instead of pipes */
	int stdin_fd;		    /* forwarded to the command; -1: /dev/null */
	int out_fd[3];	  /* [SUP_STDOUT], [SUP_STDERR]: write the redacted output to these
				  * descriptors (never blocking on them: see sup_out_emit); 0 = hand it
				  * to the sink given to broker_run_exec instead */
	int cancel_fd;	  /* 0 none; see sup_opts.cancel_fd */
	bool no_sanitize; /* CLI --no-sanitize: output is NOT redacted */
	/* Terminal control sequences in the output (sanitizer/sanitizer.h, san_term): by default
	 * clipboard writes are removed from output to a pipe or file, titles, device strings and
	 * report-back queries too from output to a terminal (colours stay), and every sequence
	 * from output handed to a sink (MCP). raw_terminal (CLI --raw-terminal) passes them all. */
	bool raw_terminal;
	const char *cwd;     /* NULL: our working directory */
	bool allow_reserved; /* tests only: allow names such as PATH */
	bool dry_run;	     /* only judge (policy_check): nothing is audited or decrypted */
};

/* Where sanitized output goes when the request names no out_fd: stream SUP_STDOUT or
 * SUP_STDERR, n > 0 bytes. 0, -EPIPE (the reader left: that stream is no longer read, the
 * command meets EPIPE/SIGPIPE), or another -errno to abort the run. Must not block. */
struct broker_sink {
	int (*write)(void *ctx, enum sup_stream s, const void *p, size_t n);
	void *ctx;
};

struct broker_result {
	struct sup_result sup; /* exit status, signal, timeout, failed stage, bytes, duration */
	int exit_code;	       /* as env(1)/timeout(1): sup_exit_code, 125 for our own failures */
	bool sanitized;	       /* something was redacted */
	uint64_t redactions;
	char *command; /* the command line as recorded: sanitized (malloc'd) */
	char *detail;  /* the audit detail JSON (malloc'd; names and counts only) */
};
void broker_result_release(struct broker_result *res);

struct broker_run;

/* A run of req in session b (borrowed; must outlive the run). -ENOMEM/-EINVAL. */
int broker_run_new(struct broker *b, const struct broker_req *req, struct broker_run **ret,
		   struct reterr *err);
/* Judge the command when the session judges commands (else only split the command line): no
 * secret is touched. A denial is -EACCES with err naming the rule, audited (secret.run_denied)
 * when the session has a vault. -EINVAL for a command line that cannot be split. */
int broker_run_decide(struct broker_run *r, struct reterr *err);
/* Resolve the keys (through the env alias), check each stored key against the policy and its
 * expiry before any value is decrypted, load the values into locked memory, build the redaction
 * set, the expanded argv and the sandbox spec. Refusals are -EINVAL (names, lengths),
 * -ENOENT (no such key), -EACCES (policy), -EKEYEXPIRED (expired), -EPERM (a process limit that
 * cannot be enforced); each is audited (secret.run, success false) when the session has a
 * vault. */
int broker_run_prepare(struct broker_run *r, struct reterr *err);
/* Run the command in its sandbox; every output byte passes the sanitizer on its way to sink.
 * Touches no vault and no policy file (a forked worker may call it). Blocks until the command's
 * whole tree is gone. 0 with *res filled (also when the command failed or timed out: see
 * res->sup), or -errno for a failure of the supervisor itself. */
int broker_run_exec(struct broker_run *r, const struct broker_sink *sink, struct broker_result *res,
		    struct reterr *err);
/* The run executes in another process (a worker forked after prepare): wipe and drop this
 * process's copy of its secrets (the sandbox spec and the redaction set). What broker_run_audit
 * needs stays. */
void broker_run_forget(struct broker_run *r);
/* Record the secret.run event of res (a run whose record cannot be written is reported). */
int broker_run_audit(struct broker_run *r, const struct broker_result *res, struct reterr *err);
/* Wipe and free; NULL-safe; returns NULL. */
struct broker_run *broker_run_free(struct broker_run *r);

/* For a judged run (dry or not): what each pattern names and whether the policy lets it go to
 * this command, without decrypting anything. allowed is false when the pattern matches no
 * secret, or any key it matches is refused (reason says why; the key name may appear). */
struct broker_key_check {
	char *pattern;
	char **matches; /* stored keys (strv, may be NULL) */
	bool allowed;
	char *reason; /* NULL when allowed */
};
int broker_run_check_keys(struct broker_run *r, struct broker_key_check **ret, size_t *ret_n,
			  struct reterr *err);
void broker_key_checks_free(struct broker_key_check *c, size_t n);

/* What the caller may show or render (borrowed from the run). */
char *const *broker_run_warnings(const struct broker_run *r); /* NULL-terminated, may be empty */
const struct policy_decision *
broker_run_decision(const struct broker_run *r);	  /* NULL unless judged */
char *const *broker_run_argv(const struct broker_run *r); /* the split argv, unexpanded */
const char *broker_run_keys(const struct broker_run *r);  /* injected keys, comma-separated */
/* The sandbox the run uses (known after decide). */
struct broker_sandbox {
	enum sup_profile profile;
	bool deny_network;
	int64_t timeout_ms;
	uint64_t max_output;
	uint64_t memory;
	char *const *writable;
	char *const *sockets;
};
void broker_run_sandbox(const struct broker_run *r, struct broker_sandbox *ret);

/* ---- redacting a stream (secretctl redact) -------------------------------------------------- */

/* After broker_run_prepare of a run without a command: copy in_fd to out_fd through the
 * redaction set, releasing held bytes after SAN_IDLE_FLUSH_MS of quiet. 0 at EOF (also when
 * the reader of out_fd left), -errno. *ret_counts (optional) receives one count per name
 * (malloc'd, broker_run_names order). */
int broker_redact_fd(struct broker_run *r, int in_fd, int out_fd, uint64_t **ret_counts,
		     struct reterr *err);
/* Names in the redaction set (placeholder names), for reporting counts. */
size_t broker_run_nnames(const struct broker_run *r);
const char *broker_run_name(const struct broker_run *r, size_t i);

/* ---- a secret's environment variables (run, export -f env) --------------------------------- */

/* Called with each variable: env is taken (malloc'd), field is the field the value comes from
 * (NULL: the single value), the value points into the entry. Returns 0 to go on, or anything
 * else to stop (returned by broker_entry_vars). */
typedef int (*broker_var_fn)(void *ctx, char *env, const struct vault_field_meta *field,
			     const unsigned char *value, size_t len, struct reterr *err);
/* The variables secret e gives a command when asked for as logical (its key as the user named
 * it, before an env alias) with prefix (may be NULL): its value named by policy_env_name unless
 * a binding names the value; then its bindings (prefixed) when it has any, else each field as
 * <logical>_<FIELD>. bindings_only: the bindings alone (secret_run_with_bindings). -EINVAL with
 * err for a key that makes no valid name, a binding to a missing field, or a secret with
 * neither value nor fields. Pure but for fn. */
int broker_entry_vars(const struct vault_entry *e, const char *logical, const char *prefix,
		      bool bindings_only, broker_var_fn fn, void *ctx, struct reterr *err);

/* ---- the vault's health (security_score, `secretctl security`) ------------------------------ */

#define BROKER_EXPIRING_SOON_S (30 * 24 * 3600) /* "expiring soon": within 30 days */

/* Every secret's value and sensitive fields are read (decrypted into locked memory, compared
 * and measured, wiped); nothing but key names and counts comes out. Components are 0..100:
 *   strength   share of secrets whose every secret part is strong (>= 64 bits by a
 *              character-class estimate and at least 12 bytes),
 *   uniqueness share of secrets sharing no secret part with another secret,
 *   expiry     share of secrets neither expired nor expiring within BROKER_EXPIRING_SOON_S,
 *   coverage   share of secrets with an expiry set (a rotation date);
 * score = 40% strength + 30% uniqueness + 20% expiry + 10% coverage (100 for an empty vault). */
struct broker_score {
	unsigned score, strength, uniqueness, expiry, coverage;
	size_t total;
	char **weak;	    /* keys (strv; NULL when empty) */
	char ***duplicates; /* groups of keys sharing a value (NULL-terminated list of strvs) */
	size_t nduplicates;
	char **expired, **expiring_soon, **no_expiry;
};
int broker_security_score(struct vault *v, struct broker_score *ret, struct reterr *err);
/* The same with "expiring soon" meaning within soon_s seconds (`security --days N`). */
int broker_security_score_within(struct vault *v, int64_t soon_s, struct broker_score *ret,
				 struct reterr *err);
void broker_score_release(struct broker_score *s);

/* ---- rendering shared by the front ends ----------------------------------------------------- */

/* One secret's metadata as a JSON object (never a value): key, has_value, value_length,
 * field_count, fields [{name, sensitive}], bindings [{env, field}], tags, notes, url, has_notes,
 * has_url, created_at, updated_at, expires_at. Used by list --json, get --json and MCP. ro may
 * be NULL. */
struct broker_render_opts {
	bool open_end; /* leave the closing brace out, so the caller can add members */
	/* Called inside field i's object, after "sensitive", to add members (",\"value\":..."). */
	int (*field_extra)(struct outbuf *o, size_t i, void *ctx);
	void *ctx;
};
int broker_render_meta(struct outbuf *o, const struct vault_meta *m,
		       const struct broker_render_opts *ro);
/* A score as MCP security_score returns it: score, total_secrets, components, counts, then the
 * keys (weak, duplicates, expired, expiring_soon: empty unless include_keys) and suggestions. */
void broker_render_score(struct outbuf *o, const struct broker_score *sc, bool include_keys);
/* The masked form of a value, by bytes: 1-4 all '*', 5-8 the last 2 shown, >= 9 the last 4
 * shown; a shown byte that is not printable ASCII is masked too; one '*' per hidden byte, at
 * most BROKER_MASK_STARS. Written as a JSON string. */
#define BROKER_MASK_STARS 64
void broker_render_masked(struct outbuf *o, const void *p, size_t n);
/* A folder as one JSON object: id, name, path, parent_id, icon, color (null when unset),
 * secret_count, folder_count, created_at, updated_at. */
void broker_render_folder(struct outbuf *o, const struct vault_folder *f);

#endif
