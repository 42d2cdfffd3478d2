/* SPDX-License-Identifier: Apache-2.0 */
/* broker: one run through the path: decide (policy), prepare (keys, redaction set, argv,
 * sandbox spec), exec (supervisor, every output byte through the sanitizer), audit. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker-internal.h"

extern char **environ;

static int copy_str(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int copy_strv(char *const *v, char ***ret)
{
	*ret = NULL;
	for (size_t i = 0; v && v[i]; i++)
		if (strv_push(ret, v[i]) < 0)
			return -ENOMEM;
	return 0;
}

int broker_run_new(struct broker *b, const struct broker_req *q, struct broker_run **ret,
		   struct reterr *err)
{
	struct broker_run *r;
	if (!b || !q)
		return reterr_set(err, -EINVAL, "internal error: no session or request");
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	r->b = b;
	r->expand_vars = q->expand_vars;
	r->pty = q->pty;
	r->no_sanitize = q->no_sanitize;
	r->raw_terminal = q->raw_terminal;
	r->allow_reserved = q->allow_reserved;
	r->dry_run = q->dry_run;
	r->profile = q->profile;
	r->network = q->network;
	r->stdin_fd = q->stdin_fd;
	r->cancel_fd = q->cancel_fd;
	memcpy(r->out_fd, q->out_fd, sizeof(r->out_fd));
	r->timeout_ms = q->timeout_ms;
	r->nproc = q->nproc;
	r->nofile = q->nofile;
	r->fsize = q->fsize;
	r->as = q->as;
	if (copy_strv(q->argv, &r->argv) < 0 || copy_str(q->command_line, &r->command_line) < 0 ||
	    copy_strv(q->patterns, &r->patterns) < 0 || copy_strv(q->from_env, &r->from_env) < 0 ||
	    copy_strv(q->writable, &r->writable) < 0 || copy_strv(q->sockets, &r->sockets) < 0 ||
	    copy_str(q->bindings_key, &r->bindings_key) < 0 ||
	    copy_str(q->env_alias, &r->env_alias) < 0 ||
	    copy_str(q->env_prefix && *q->env_prefix ? q->env_prefix : NULL, &r->env_prefix) < 0 ||
	    copy_str(q->cwd, &r->cwd) < 0) {
		broker_run_free(r);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	*ret = r;
	return 0;
}

struct broker_run *broker_run_free(struct broker_run *r)
{
	if (!r)
		return NULL;
	for (int s = 0; s < 3; s++) {
		san_stream_free(r->st[s]);
		san_term_free(r->term[s]);
	}
	san_set_free(r->set);
	sup_spec_free(r->spec);
	broker_items_free(r);
	strv_free(r->argv);
	free(r->command_line);
	strv_free(r->patterns);
	strv_free(r->from_env);
	strv_free(r->writable);
	strv_free(r->sockets);
	strv_free(r->patterns_used);
	strv_free(r->sandbox_writable);
	strv_free(r->sandbox_sockets);
	strv_free(r->hidden);
	strv_free(r->warnings);
	free(r->bindings_key);
	free(r->env_alias);
	free(r->env_prefix);
	free(r->cwd);
	free(r->keys);
	free(r);
	return NULL;
}

int broker_run_warn(struct broker_run *r, const char *fmt, ...)
{
	AUTO_FREE char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s = NULL;
		return -ENOMEM;
	}
	return strv_push(&r->warnings, s);
}

char *const *broker_run_warnings(const struct broker_run *r)
{
	static char *const none[] = { NULL };
	return r->warnings ? r->warnings : none;
}

const struct policy_decision *broker_run_decision(const struct broker_run *r)
{
	return r->judged ? &r->decision : NULL;
}

char *const *broker_run_argv(const struct broker_run *r)
{
	return r->argv;
}

const char *broker_run_keys(const struct broker_run *r)
{
	return r->keys ? r->keys : "";
}

void broker_run_sandbox(const struct broker_run *r, struct broker_sandbox *ret)
{
	*ret = r->sandbox;
}

size_t broker_run_nnames(const struct broker_run *r)
{
	return r->set ? san_set_size(r->set) : 0;
}

const char *broker_run_name(const struct broker_run *r, size_t i)
{
	return san_set_name(r->set, i);
}

/* ---- audit -------------------------------------------------------------------------------- */

/* The command as written, for records of runs that never started (nothing was injected, so
 * nothing needs redacting; an agent never holds a value to type). */
static char *command_text(const struct broker_run *r)
{
	if (r->command_line)
		return strdup(r->command_line);
	return strv_join(r->argv, " ");
}

static char *requested_keys(const struct broker_run *r)
{
	if (r->bindings_key)
		return strdup(r->bindings_key);
	return strv_join(r->patterns, ",");
}

void broker_run_audit_refusal(struct broker_run *r, const char *action, const char *reason)
{
	struct vault *v = r->b->vault;
	if (!v || r->dry_run)
		return;
	AUTO_FREE char *cmd = command_text(r);
	AUTO_FREE char *keys = r->keys ? strdup(r->keys) : requested_keys(r);
	struct audit_event ev = {
		.action = action,
		.keys = keys,
		.command = cmd,
		.success = false,
		.error = reason,
	};
	/* Best effort: the refusal itself is what the caller reports. */
	(void)audit_append(v, &ev, NULL);
}

void broker_run_forget(struct broker_run *r)
{
	r->spec = sup_spec_free(r->spec);
	r->set = san_set_free(r->set);
	broker_items_free(r);
}

int broker_run_audit(struct broker_run *r, const struct broker_result *res, struct reterr *err)
{
	if (!r->b->vault)
		return 0;
	const char *error = NULL;
	if (res->sup.failed)
		error = sup_stage_name(res->sup.stage);
	else if (res->sup.cancelled)
		error = "cancelled";
	else if (res->sup.timed_out)
		error = "timeout";
	struct audit_event ev = {
		.action = "secret.run",
		.keys = r->keys,
		.command = res->command,
		.success = !res->sup.failed && !res->sup.timed_out && !res->sup.cancelled,
		.error = error,
		.detail = res->detail,
	};
	return audit_append(r->b->vault, &ev, err);
}

/* ---- decide ------------------------------------------------------------------------------- */

static int settle_sandbox(struct broker_run *r);

static const char *child_path(void)
{
	const char *p = getenv("PATH");
	return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

int broker_run_decide(struct broker_run *r, struct reterr *err)
{
	char cwd[PATH_MAX];
	int e;

	if (!r->argv && !r->command_line)
		return 0; /* redacting a stream: no command to judge */
	if (!r->argv && (e = broker_cmdline_split(r->command_line, &r->argv, err)) < 0) {
		broker_run_audit_refusal(r, "secret.run_denied", err ? err->msg : "bad command");
		return e;
	}
	if (!r->b->judge)
		return 0;
	if (!r->cwd) {
		if (!getcwd(cwd, sizeof(cwd)))
			return reterr_set(err, -errno, "cannot determine the working directory: %s",
					  strerror(errno));
		if (!(r->cwd = strdup(cwd)))
			return -ENOMEM;
	}
	if (!r->b->policy) {
		/* Judging without a policy file (MCP before the user wrote one): no command runs. */
		broker_run_audit_refusal(r, "secret.run_denied", "no policy file");
		if (r->b->policy_borrowed)
			return reterr_set(
				err, -EACCES,
				"no policy was loaded when the vault was unlocked: write %s "
				"(mode 0600; see 'man secretctl-policy'), then run 'secretctl "
				"unlock' again to load it",
				broker_policy_path(r->b));
		return reterr_set(err, -EACCES,
				  "no policy allows commands yet: create %s (see 'man "
				  "secretctl-policy') and run 'chmod 600 %s'",
				  broker_policy_path(r->b), broker_policy_path(r->b));
	}
	struct policy_request pq = { .argv = r->argv, .cwd = r->cwd, .path = child_path() };
	if ((e = policy_decide(r->b->policy, &pq, &r->decision, err)) < 0)
		return e;
	r->judged = true;
	if ((e = settle_sandbox(r)) < 0)
		return e;
	if (r->decision.verdict == POLICY_ALLOW)
		return 0;
	broker_run_audit_refusal(r, "secret.run_denied", r->decision.rule);
	return reterr_set(err, -EACCES, "command not allowed by the policy (%s): %s",
			  broker_policy_path(r->b), r->decision.rule);
}

/* ---- prepare ------------------------------------------------------------------------------ */

static bool parse_profile(const char *s, enum sup_profile *ret)
{
	if (!s)
		return false;
	if (!strcmp(s, "standard"))
		*ret = SUP_PROFILE_STANDARD;
	else if (!strcmp(s, "strict"))
		*ret = SUP_PROFILE_STRICT;
	else if (!strcmp(s, "off"))
		*ret = SUP_PROFILE_OFF;
	else
		return false;
	return true;
}

/* The caller's choice, else the policy's (the matched commands: entry over the top-level
 * sandbox:), else the defaults. A policy timeout is also the most an agent may ask for. */
static int settle_sandbox(struct broker_run *r)
{
	const struct policy_sandbox *ps = r->judged ? &r->decision.sandbox : NULL;
	struct broker_sandbox *sb = &r->sandbox;
	enum sup_profile p = SUP_PROFILE_STANDARD;

	if (r->profile >= 0)
		p = (enum sup_profile)r->profile;
	else if (ps)
		(void)parse_profile(ps->profile, &p);
	sb->profile = p;
	if (r->network >= 0)
		sb->deny_network = r->network == 1;
	else if (ps && ps->network >= 0)
		sb->deny_network = ps->network == 1;
	else
		sb->deny_network = p == SUP_PROFILE_STRICT;
	if (p == SUP_PROFILE_OFF)
		sb->deny_network = false;

	int64_t t = r->timeout_ms;
	if (ps && ps->timeout_ms)
		t = t ? (t < ps->timeout_ms ? t : ps->timeout_ms) : ps->timeout_ms;
	if (!t)
		t = r->b->default_timeout_ms;
	if (r->b->judge && (!t || t > BROKER_TIMEOUT_MAX_MS))
		t = BROKER_TIMEOUT_MAX_MS;
	sb->timeout_ms = t;
	sb->max_output = ps && ps->max_output ? ps->max_output : r->b->default_max_output;
	sb->memory = r->as ? r->as : ps ? ps->memory : 0;

	if (copy_strv(r->writable, &r->sandbox_writable) < 0 ||
	    copy_strv(r->sockets, &r->sandbox_sockets) < 0)
		return -ENOMEM;
	for (size_t i = 0; ps && ps->writable && ps->writable[i]; i++)
		if (strv_push(&r->sandbox_writable, ps->writable[i]) < 0)
			return -ENOMEM;
	for (size_t i = 0; ps && ps->sockets && ps->sockets[i]; i++)
		if (strv_push(&r->sandbox_sockets, ps->sockets[i]) < 0)
			return -ENOMEM;
	sb->writable = r->sandbox_writable;
	sb->sockets = r->sandbox_sockets;
	return 0;
}

/* The caller's key agents: whoever can connect signs or decrypts with the caller's keys (ssh
 * into their servers, sign commits). Their variables are not passed on, but the sockets sit at
 * guessable paths; the sandbox covers them. (The supervisor already covers /run/user/<uid>,
 * where they usually live.) */
static int hide_agents(char ***hidden)
{
	const char *ssh = getenv("SSH_AUTH_SOCK");
	if (ssh && ssh[0] == '/' && strv_push(hidden, ssh) < 0)
		return -ENOMEM;
	const char *home = getenv("HOME");
	if (!home || home[0] != '/')
		return 0;
	static const char *const gpg[] = { "S.gpg-agent", "S.gpg-agent.ssh", "S.gpg-agent.extra",
					   "S.gpg-agent.browser" };
	for (size_t i = 0; i < ARRAY_SIZE(gpg); i++) {
		AUTO_FREE char *p = NULL;
		if (asprintf(&p, "%s/.gnupg/%s", home, gpg[i]) < 0)
			return -ENOMEM;
		if (strv_push(hidden, p) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* What the command must never see: the vault, the policy, the caller's key agents. */
static int hidden_paths(struct broker_run *r)
{
	const char *pol = secure_getenv(POLICY_ENV);
	const char *used = broker_policy_path(r->b);
	if ((r->b->vault_dir && strv_push(&r->hidden, r->b->vault_dir) < 0) ||
	    (used && used[0] == '/' && strv_push(&r->hidden, used) < 0) ||
	    (pol && pol[0] == '/' && strv_push(&r->hidden, pol) < 0))
		return -ENOMEM;
	return hide_agents(&r->hidden);
}

/* A value too short to redact: refused, naming where it comes from and what to do. */
static int refuse_short(const struct broker_item *it, struct reterr *err)
{
	if (it->field)
		return reterr_set(
			err, -EINVAL,
			"secret %s field %s is %zu bytes and cannot be redacted reliably "
			"(%d at least); refusing: make it longer or, if it is no secret "
			"(a user or host name), run 'secretctl edit %s --not-sensitive %s'",
			it->key, it->field, it->value->len, SAN_MIN_SECRET_LEN, it->key, it->field);
	return reterr_set(
		err, -EINVAL,
		"%s%s is %zu bytes and cannot be redacted reliably (%d at least); refusing",
		it->key ? "secret " : "--from-env ", it->key ? it->key : it->env, it->value->len,
		SAN_MIN_SECRET_LEN);
}

static int build_set(struct broker_run *r, struct reterr *err)
{
	if (r->no_sanitize)
		return 0;
	if (!(r->set = san_set_new()))
		return -ENOMEM;
	for (size_t i = 0; i < r->nitems; i++) {
		const struct broker_item *it = &r->items[i];
		/* A field its owner did not call sensitive is no secret: redacted as a precaution
		 * when long enough to be matched without hiding ordinary text, never refused. */
		if (it->plain && it->value->len < SAN_WARN_SECRET_LEN)
			continue;
		/* The placeholder names the variable the command sees ([REDACTED:DB_PASSWORD]),
		 * which is what its output refers to; the message names the vault key. */
		int e = san_set_add(r->set, it->env, it->value->data, it->value->len);
		if (e == -EINVAL && it->value->len < SAN_MIN_SECRET_LEN)
			return refuse_short(it, err);
		if (e < 0)
			return reterr_set(err, e, "cannot add %s to the redaction set: %s",
					  it->key ? it->key : "--from-env", strerror(-e));
		if (it->value->len < SAN_WARN_SECRET_LEN &&
		    broker_run_warn(r,
				    "%s is only %zu bytes long: ordinary text may be redacted "
				    "too",
				    it->env, it->value->len) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* A shell expands $NAME from its own environment: expanding first would turn a value into
 * script text. So nothing is expanded when any word names a shell (the command itself, or one a
 * wrapper such as timeout or nice would start). */
static bool names_shell(const struct broker_run *r)
{
	for (size_t i = 0; r->argv && r->argv[i]; i++)
		if (policy_is_shell(r->argv[i]))
			return true;
	return r->judged && r->decision.resolved[0] && policy_is_shell(r->decision.resolved);
}

static const struct secret *lookup_item(void *ctx, const char *name, size_t len)
{
	const struct broker_run *r = ctx;
	for (size_t i = 0; i < r->nitems; i++)
		if (strlen(r->items[i].env) == len && !memcmp(r->items[i].env, name, len))
			return r->items[i].value;
	return NULL;
}

static bool expands(const struct broker_run *r)
{
	return r->expand_vars && r->nitems && !names_shell(r);
}

static int build_spec(struct broker_run *r, struct reterr *err)
{
	struct secret *mem = NULL;
	char **xargv = NULL;
	char cwd[PATH_MAX];
	int e;

	if (expands(r)) {
		/* Expanded words go from locked memory to locked memory (sup_spec_new). */
		e = broker_cmdline_expand(r->command_line, r->command_line ? NULL : r->argv,
					  lookup_item, r, &mem, &xargv, err);
		if (e < 0)
			return e;
	}
	r->spec = sup_spec_new(xargv ? xargv : r->argv);
	free(xargv);
	secret_free(mem);
	if (!r->spec || sup_spec_env_base(r->spec, environ) < 0)
		return reterr_set(
			err, -E2BIG,
			"cannot prepare the command (too many arguments or out of memory)");
	for (size_t i = 0; i < r->nitems; i++) {
		const struct broker_item *it = &r->items[i];
		e = sup_spec_env(r->spec, it->env, it->value->data, it->value->len);
		if (e == -EPERM)
			return reterr_set(
				err, -EINVAL,
				"refusing to inject %s: that variable changes how programs "
				"start (use an env prefix)",
				it->env);
		if (e < 0)
			return reterr_set(err, e, "cannot inject %s: %s", it->env,
					  e == -EINVAL ? "invalid name or a value with a NUL byte"
						       : strerror(-e));
	}
	/* The file the policy judged is the file that runs: the path as found (a wrapper script
	 * such as psql -> pg_wrapper dispatches on it), checked in the child to be that file. */
	if (r->judged && r->decision.found[0] &&
	    (e = sup_spec_set_exec(r->spec, r->decision.found, r->decision.dev, r->decision.ino)) <
		    0)
		return e;
	if (!r->cwd) {
		if (!getcwd(cwd, sizeof(cwd)))
			return reterr_set(err, -errno, "cannot determine the working directory: %s",
					  strerror(errno));
		if (!(r->cwd = strdup(cwd)))
			return -ENOMEM;
	}
	if ((e = hidden_paths(r)) < 0)
		return e;
	const struct broker_sandbox *sb = &r->sandbox;
	struct sup_opts so = {
		.profile = sb->profile,
		.deny_network = sb->deny_network,
		.io = r->pty ? SUP_IO_PTY : SUP_IO_PIPE,
		.stdin_fd = r->stdin_fd,
		.cwd = r->cwd,
		.hidden = r->hidden,
		.writable = sb->writable,
		.sockets = sb->sockets,
		.timeout_ms = sb->timeout_ms,
		.idle_ms = SAN_IDLE_FLUSH_MS,
		.max_output = sb->max_output,
		.cancel_fd = r->cancel_fd,
		.out_fd = { [SUP_STDOUT] = r->out_fd[SUP_STDOUT],
			    [SUP_STDERR] = r->out_fd[SUP_STDERR] },
		.rlimit_nproc = r->nproc ? r->nproc : BROKER_NPROC_DEFAULT,
		.rlimit_nofile = r->nofile,
		.rlimit_fsize = r->fsize,
		.rlimit_as = sb->memory,
	};
	if ((e = sup_spec_set_opts(r->spec, &so)) < 0)
		return reterr_set(err, e, "invalid sandbox options: %s", strerror(-e));
	return 0;
}

int broker_run_prepare(struct broker_run *r, struct reterr *err)
{
	struct reterr w = RETERR_INIT;
	bool command = r->argv || r->command_line;
	int e;

	if (r->command_line && !r->argv)
		return reterr_set(err, -EINVAL, "internal error: prepare before decide");
	if (!r->judged && (e = settle_sandbox(r)) < 0)
		return e;
	if (command && r->sandbox.profile != SUP_PROFILE_OFF) {
		uint64_t limit = r->nproc ? r->nproc : BROKER_NPROC_DEFAULT;
		e = sup_nproc_check(limit, r->nproc != 0, err);
		if (e < 0)
			goto refuse;
		if (e > 0) {
			(void)sup_nproc_check(limit, false, &w);
			if (broker_run_warn(r, "%s", w.msg) < 0)
				return -ENOMEM;
		}
	}
	if (r->env_alias && !(r->patterns && r->patterns[0]) && !r->bindings_key &&
	    broker_run_warn(r, "env alias %s has no effect without key patterns", r->env_alias) < 0)
		return -ENOMEM;
	if ((e = broker_resolve(r, err)) < 0)
		goto refuse;
	if (!(r->keys = broker_items_keys(r)))
		return -ENOMEM;
	if ((e = build_set(r, err)) < 0 || (command && (e = build_spec(r, err)) < 0))
		goto refuse;
	/* The spec holds the only copy the child needs, the set its own: drop ours now. */
	broker_items_free(r);
	return 0;
refuse:
	if (command && !r->consent_pending)
		broker_run_audit_refusal(r, r->consent_denied ? "secret.run_denied" : "secret.run",
					 err ? err->msg : strerror(-e));
	broker_items_free(r);
	return e;
}

/* ---- exec --------------------------------------------------------------------------------- */

struct emit_ctx {
	struct broker_run *r;
	struct sup_out *io;
	enum sup_stream s;
};

/* Redacted bytes on their way out: to the caller's descriptors (through the supervisor's
 * queue, never blocking) or to the sink. */
static int emit(void *ctx, const void *p, size_t n)
{
	const struct emit_ctx *c = ctx;
	if (!n)
		return 0;
	if (c->r->out_fd[c->s] > 0)
		return sup_out_emit(c->io, c->s, p, n);
	return c->r->sink->write(c->r->sink->ctx, c->s, p, n);
}

/* After the terminal filter: through the stream's redactor (when there is a set) to emit. */
static int redact_emit(void *ctx, const void *p, size_t n)
{
	const struct emit_ctx *c = ctx;
	if (!n)
		return 0;
	return c->r->set ? san_feed(c->r->st[c->s], p, n, emit, ctx) : emit(ctx, p, n);
}

/* Output from the supervisor: through the stream's terminal filter, then its redactor, to its
 * destination. Once a stream's destination failed (its reader left: -EPIPE), nothing more goes
 * to it and its filters are never used again; the other stream goes on. */
static int sink_out(void *ctx, struct sup_out *io, enum sup_stream s, const void *p, size_t n)
{
	struct broker_run *r = ctx;
	struct emit_ctx ec = { r, io, s };
	int e = 0;
	if (r->sink_err[s])
		return r->sink_err[s];
	if (n)
		e = r->term[s] ? san_term_feed(r->term[s], p, n, redact_emit, &ec)
			       : redact_emit(&ec, p, n);
	else if (r->term[s])
		e = san_term_finish(r->term[s], redact_emit, &ec);
	if (!n && e >= 0 && r->set)
		e = san_finish(r->st[s], emit, &ec);
	if (e < 0)
		r->sink_err[s] = e;
	return e;
}

/* The terminal filter of a stream: none with --raw-terminal; everything for a sink (an agent
 * has no terminal, and hidden text is an injection channel); on a terminal what acts on it
 * besides colours and cursor movement; elsewhere the clipboard writes a pipe usually carries
 * to a terminal in the end (| tee, | less -R). */
static enum san_term_mode term_mode(const struct broker_run *r, enum sup_stream s)
{
	if (r->raw_terminal)
		return SAN_TERM_OFF;
	if (r->out_fd[s] <= 0)
		return SAN_TERM_STRIP_ALL;
	return isatty(r->out_fd[s]) ? SAN_TERM_KEEP_COLOURS : SAN_TERM_OSC52;
}

/* Right after the clone: the automaton is built while the child sets its sandbox up. */
static int sink_started(void *ctx)
{
	struct broker_run *r = ctx;
	for (int s = SUP_STDOUT; s <= SUP_STDERR; s++) {
		enum san_term_mode m = term_mode(r, (enum sup_stream)s);
		if (m != SAN_TERM_OFF && !(r->term[s] = san_term_new(m)))
			return -ENOMEM;
	}
	if (!r->set)
		return 0;
	int e = san_set_compile(r->set);
	if (e < 0)
		return e;
	for (int s = SUP_STDOUT; s <= SUP_STDERR; s++)
		if (!(r->st[s] = san_stream_new(r->set)))
			return -ENOMEM;
	r->compiled = true;
	return 0;
}

static int sink_idle(void *ctx, struct sup_out *io)
{
	struct broker_run *r = ctx;
	for (int s = SUP_STDOUT; s <= SUP_STDERR && r->set; s++) {
		struct emit_ctx ec = { r, io, (enum sup_stream)s };
		if (r->sink_err[s] || !r->st[s] || !san_stream_pending(r->st[s]))
			continue;
		int e = san_flush_idle(r->st[s], emit, &ec);
		if (e < 0) {
			r->sink_err[s] = e;
			if (e != -EPIPE)
				return e;
		}
	}
	return 0;
}

static int emit_buf(void *ctx, const void *p, size_t len)
{
	return buf_append(ctx, p, len);
}

struct argv_ctx {
	struct san_stream *st;
	struct buf *b;
};

static int argv_redact(void *ctx, const void *p, size_t len)
{
	const struct argv_ctx *c = ctx;
	return c->st ? san_feed(c->st, p, len, emit_buf, c->b) : emit_buf(c->b, p, len);
}

/* The command line as recorded and shown: as the caller wrote it (a command line, or the words
 * joined; never the expanded arguments), without terminal sequences (it is read in the audit
 * log and by agents), redacted like the output. Should the set not have been built, it is
 * withheld rather than shown unredacted. */
static int sanitize_argv(struct broker_run *r, char **ret)
{
	AUTO_BUF struct buf b = BUF_INIT;
	AUTO_FREE char *text = NULL;
	struct argv_ctx c = { NULL, &b };
	struct san_term *t = NULL;
	int e = -ENOMEM;
	if (r->set && !r->compiled) {
		*ret = strdup("[command withheld]");
		return *ret ? 0 : -ENOMEM;
	}
	if (!(text = command_text(r)) || !(t = san_term_new(SAN_TERM_STRIP_ALL)) ||
	    (r->set && !(c.st = san_stream_new(r->set))))
		goto out;
	e = san_term_feed(t, text, strlen(text), argv_redact, &c);
	if (e >= 0)
		e = san_term_finish(t, argv_redact, &c);
	if (e >= 0 && c.st)
		e = san_finish(c.st, emit_buf, &b);
	if (e >= 0 && !b.data)
		e = buf_append(&b, "", 0);
	if (e >= 0)
		*ret = buf_detach(&b);
out:
	san_stream_free(c.st);
	san_term_free(t);
	return e < 0 ? e : 0;
}

static const char *profile_name(enum sup_profile p)
{
	return p == SUP_PROFILE_OFF ? "off" : p == SUP_PROFILE_STRICT ? "strict" : "standard";
}

/* The detail JSON of the secret.run event: names and counts only, never values. */
static int audit_detail(const struct broker_run *r, const struct broker_result *res, struct buf *b)
{
	struct outbuf o;
	const struct sup_result *sr = &res->sup;
	outbuf_init_buf(&o, b);
	outbuf_printf(&o, "{\"exit\":%d,\"duration_ms\":%lld,\"timed_out\":%s,\"cancelled\":%s,",
		      res->exit_code, (long long)sr->duration_ms, sr->timed_out ? "true" : "false",
		      sr->cancelled ? "true" : "false");
	outbuf_printf(&o, "\"sandbox\":\"%s\",\"network\":\"%s\",\"pty\":%s,\"sanitized\":%s,",
		      profile_name(r->sandbox.profile), r->sandbox.deny_network ? "deny" : "allow",
		      r->pty ? "true" : "false", r->set ? "true" : "false");
	outbuf_printf(&o, "\"bytes_out\":%llu,\"bytes_err\":%llu,\"truncated\":%s,",
		      (unsigned long long)sr->bytes[SUP_STDOUT],
		      (unsigned long long)sr->bytes[SUP_STDERR],
		      sr->truncated[SUP_STDOUT] || sr->truncated[SUP_STDERR] ? "true" : "false");
	if (r->judged) {
		outbuf_puts(&o, "\"policy_rule\":");
		outbuf_json_cstr(&o, r->decision.rule);
		outbuf_puts(&o, ",");
	}
	if (r->approved_via)
		outbuf_printf(&o, "\"approved_via\":\"%s\",", r->approved_via);
	outbuf_puts(&o, "\"protections\":[");
	bool first = true;
	for (unsigned bit = 1; bit && bit <= SUP_PROT_LAST; bit <<= 1) {
		if (!(sr->protections & bit))
			continue;
		outbuf_puts(&o, first ? "" : ",");
		outbuf_json_cstr(&o, sup_protection_name(bit));
		first = false;
	}
	outbuf_puts(&o, "],\"redactions\":{");
	for (size_t i = 0; r->set && r->compiled && i < san_set_size(r->set); i++) {
		uint64_t n = 0;
		for (int s = SUP_STDOUT; s <= SUP_STDERR; s++)
			if (r->st[s])
				n += san_stream_count(r->st[s], i);
		outbuf_puts(&o, i ? "," : "");
		outbuf_json_cstr(&o, san_set_name(r->set, i));
		outbuf_printf(&o, ":%llu", (unsigned long long)n);
	}
	outbuf_puts(&o, "}");
	uint64_t removed = 0;
	for (int s = SUP_STDOUT; s <= SUP_STDERR; s++)
		removed += r->term[s] ? san_term_removed(r->term[s]) : 0;
	outbuf_printf(&o, ",\"terminal_sequences_removed\":%llu", (unsigned long long)removed);
	if (sr->failed) {
		outbuf_puts(&o, ",\"failed_stage\":");
		outbuf_json_cstr(&o, sup_stage_name(sr->stage));
		outbuf_printf(&o, ",\"errno\":%d", sr->stage_errno);
	}
	outbuf_puts(&o, "}");
	return outbuf_finish(&o);
}

static uint64_t count_redactions(const struct broker_run *r)
{
	uint64_t n = 0;
	for (size_t i = 0; r->set && r->compiled && i < san_set_size(r->set); i++)
		for (int s = SUP_STDOUT; s <= SUP_STDERR; s++)
			if (r->st[s])
				n += san_stream_count(r->st[s], i);
	return n;
}

void broker_result_release(struct broker_result *res)
{
	if (!res)
		return;
	free(res->command);
	free(res->detail);
	res->command = res->detail = NULL;
}

int broker_run_exec(struct broker_run *r, const struct broker_sink *sink, struct broker_result *res,
		    struct reterr *err)
{
	AUTO_BUF struct buf detail = BUF_INIT;
	int e;

	memset(res, 0, sizeof(*res));
	if (!r->spec ||
	    ((r->out_fd[SUP_STDOUT] <= 0 || r->out_fd[SUP_STDERR] <= 0) && (!sink || !sink->write)))
		return reterr_set(err, -EINVAL, "internal error: exec before prepare, or no sink");
	r->sink = sink;
	struct sup_sinks sinks = { sink_out, sink_idle, r, sink_started };
	e = sup_run(r->spec, &sinks, &res->sup, err);
	if (e < 0) {
		/* A failure of the supervisor itself: the tree is gone, nothing more to read. */
		memset(&res->sup, 0, sizeof(res->sup));
		res->sup.failed = true;
		res->sup.stage = SUP_ST_PARENT;
		res->sup.stage_errno = -e;
		res->exit_code = SUP_EXIT_FAILURE;
	} else {
		res->exit_code = sup_exit_code(&res->sup);
	}
	res->redactions = count_redactions(r);
	res->sanitized = res->redactions > 0;
	if (sanitize_argv(r, &res->command) < 0 || audit_detail(r, res, &detail) < 0) {
		broker_result_release(res);
		return reterr_set(err, -ENOMEM, "out of memory");
	}
	res->detail = buf_detach(&detail);
	return e;
}
