/* SPDX-License-Identifier: Apache-2.0 */
/* mcp: secret_run, secret_run_with_bindings and policy_check in the broker process. A run is
 * decided and prepared here (broker/), then a worker process forked per run executes it and
 * sends back only sanitized output; this process keeps nothing of the run's secrets and writes
 * its audit record when the worker reports. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mcp/mcp-server.h"
#include "mcp/mcp.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The arguments of a run tool, copied out of the CALL (all validated again here: the front is
 * not trusted either). */
struct run_args {
	char **keys, **args, **argv;
	char *bindings_key;
	char command[BROKER_COMMAND_MAX + 1];
	char key[VAULT_KEY_MAX + 1];
	char env[POLICY_ALIAS_NAME_MAX + 1];
	char prefix[ENV_NAME_MAX + 1];
	char timeout[64];
	int64_t timeout_ms;
};

static void run_args_release(struct run_args *a)
{
	strv_free(a->keys);
	strv_free(a->args);
	strv_free(a->argv);
}

static int bad(struct mcp_reply *rp, const char *what)
{
	return mcp_call_error(rp, "invalid arguments: %s", what) < 0 ? -ENOMEM : 1;
}

/* 0, 1 with a tool error in rp, or -errno. */
static int parse_run_args(const char *tool, const struct mcp_wire_msg *m, bool need_keys,
			  struct mcp_reply *rp, struct run_args *a)
{
	int e, inval = 0;
	bool bindings = !strcmp(tool, "secret_run_with_bindings");

	if (!mcp_field_str(m, "command", a->command, sizeof(a->command), &inval) || inval ||
	    !a->command[0])
		return bad(rp, "'command' must be 1-4096 bytes");
	e = mcp_field_strv(m, "args", MCP_ARGS_MAX, MCP_ARG_MAX, &a->args);
	if (e == -ENOMEM)
		return e;
	if (e < 0)
		return bad(rp, "'args' must be at most 100 strings of at most 32 KiB");
	if (bindings) {
		if (!mcp_field_str(m, "key", a->key, sizeof(a->key), &inval) || inval ||
		    vault_key_check(a->key, NULL) < 0)
			return bad(rp, "'key' must be a secret key");
		a->bindings_key = a->key;
	} else {
		e = mcp_field_strv(m, "keys", MCP_KEYS_MAX, VAULT_KEY_MAX, &a->keys);
		if (e == -ENOMEM)
			return e;
		if (e < 0 || (need_keys && !a->keys))
			return bad(rp, "'keys' must be 1-10 key patterns");
		mcp_field_str(m, "env", a->env, sizeof(a->env), &inval);
		mcp_field_str(m, "env_prefix", a->prefix, sizeof(a->prefix), &inval);
		if (inval)
			return bad(rp, "'env' or 'env_prefix' is too long");
	}
	a->timeout_ms = MCP_RUN_TIMEOUT_DEFAULT_MS;
	if (mcp_field_str(m, "timeout", a->timeout, sizeof(a->timeout), &inval)) {
		if (parse_duration_ms(a->timeout, true, &a->timeout_ms) < 0 || a->timeout_ms <= 0)
			return mcp_call_error(rp,
					      "'timeout': '%s' is not a duration (e.g. 30s, 5m, "
					      "1h)",
					      a->timeout) < 0
				       ? -ENOMEM
				       : 1;
		if (a->timeout_ms > BROKER_TIMEOUT_MAX_MS)
			a->timeout_ms = BROKER_TIMEOUT_MAX_MS;
	}
	if (inval)
		return bad(rp, "'timeout' is too long");
	if (mcp_wire_get(m, "args", MCP_WK_STRV)) {
		/* Words given one by one: the command is the program, not a line to split. */
		if (strv_push(&a->argv, a->command) < 0)
			return -ENOMEM;
		for (size_t i = 0; a->args && a->args[i]; i++)
			if (strv_push(&a->argv, a->args[i]) < 0)
				return -ENOMEM;
	}
	return 0;
}

static void fill_req(const struct run_args *a, struct broker_req *q)
{
	*q = (struct broker_req){
		.argv = a->argv,
		.command_line = a->argv ? NULL : a->command,
		.expand_vars = true,
		.patterns = a->keys,
		.bindings_key = a->bindings_key,
		.env_alias = a->env[0] ? a->env : NULL,
		.env_prefix = a->prefix[0] ? a->prefix : NULL,
		.profile = -1,
		.network = -1,
		.timeout_ms = a->timeout_ms,
		.stdin_fd = -1,
	};
}

/* ---- policy_check ------------------------------------------------------------------------- */

static void render_sandbox(struct outbuf *o, const struct broker_sandbox *sb)
{
	static const char *const prof[] = { "off", "standard", "strict" };
	outbuf_printf(o,
		      ",\"sandbox\":{\"profile\":\"%s\",\"network\":\"%s\",\"timeout_ms\":%lld,"
		      "\"max_output\":%llu,\"memory\":",
		      prof[sb->profile], sb->deny_network ? "deny" : "allow",
		      (long long)sb->timeout_ms, (unsigned long long)sb->max_output);
	if (sb->memory)
		outbuf_printf(o, "%llu", (unsigned long long)sb->memory);
	else
		outbuf_puts(o, "null");
	outbuf_puts(o, ",\"writable\":");
	outbuf_json_strv(o, sb->writable);
	outbuf_puts(o, ",\"sockets\":");
	outbuf_json_strv(o, sb->sockets);
	outbuf_puts(o, "}");
}

static void render_check(struct outbuf *o, const struct broker_run *run, bool allowed,
			 const char *why, const struct broker_key_check *kc, size_t nk)
{
	const struct policy_decision *d = broker_run_decision(run);
	struct broker_sandbox sb;
	outbuf_printf(o, "{\"allowed\":%s,\"rule\":", allowed ? "true" : "false");
	outbuf_json_cstr(o, why);
	outbuf_puts(o, ",\"kind\":");
	outbuf_json_cstr(o, d ? policy_rule_kind_name(d->kind) : "none");
	outbuf_puts(o, ",\"resolved_command\":");
	outbuf_json_cstr(o, d ? d->resolved : "");
	outbuf_puts(o, ",\"argv\":");
	outbuf_json_strv(o, broker_run_argv(run));
	outbuf_puts(o, ",\"keys\":[");
	for (size_t i = 0; i < nk; i++) {
		outbuf_puts(o, i ? ",{\"pattern\":" : "{\"pattern\":");
		outbuf_json_cstr(o, kc[i].pattern);
		outbuf_puts(o, ",\"matches\":");
		outbuf_json_strv(o, kc[i].matches);
		outbuf_printf(o, ",\"allowed\":%s,\"reason\":", kc[i].allowed ? "true" : "false");
		outbuf_json_cstr(o, kc[i].reason);
		outbuf_puts(o, "}");
	}
	outbuf_puts(o, "]");
	broker_run_sandbox(run, &sb);
	render_sandbox(o, &sb);
	outbuf_puts(o, "}");
}

int mcp_call_policy_check(struct broker *b, const struct mcp_wire_msg *m, struct mcp_reply *rp)
{
	struct run_args a = { 0 };
	struct broker_req q;
	struct broker_run *run = NULL;
	struct broker_key_check *kc = NULL;
	struct reterr err = RETERR_INIT;
	size_t nk = 0;
	int e = parse_run_args("policy_check", m, false, rp, &a);
	if (e)
		goto out;
	fill_req(&a, &q);
	q.dry_run = true;
	if ((e = broker_run_new(b, &q, &run, &err)) < 0)
		goto out;
	e = broker_run_decide(run, &err);
	if (e < 0 && e != -EACCES) {
		e = mcp_call_error(rp, "%s", err.msg) < 0 ? -ENOMEM : 1;
		goto out;
	}
	bool allowed = e == 0;
	const struct policy_decision *d = broker_run_decision(run);
	const char *why = d ? d->rule : err.msg;
	if (d && (e = broker_run_check_keys(run, &kc, &nk, &err)) < 0)
		goto out;
	for (size_t i = 0; i < nk; i++)
		allowed &= kc[i].allowed;
	struct outbuf o;
	outbuf_init_buf(&o, &rp->json);
	render_check(&o, run, allowed, why, kc, nk);
	e = outbuf_finish(&o);
out:
	broker_key_checks_free(kc, nk);
	broker_run_free(run);
	run_args_release(&a);
	return e;
}

/* ---- the worker --------------------------------------------------------------------------- */

struct collect {
	struct buf out[3];
	uint64_t cap;
	bool truncated[3];
};

/* Sanitized output, kept up to the cap (the supervisor caps what it reads; a redaction can make
 * the text longer, so the cap holds here too). */
static int collect_write(void *ctx, enum sup_stream s, const void *p, size_t n)
{
	struct collect *c = ctx;
	struct buf *b = &c->out[s];
	if (c->cap && b->len + n > c->cap) {
		c->truncated[s] = true;
		n = b->len < c->cap ? (size_t)(c->cap - b->len) : 0;
	}
	return n && buf_append(b, p, n) < 0 ? -ENOMEM : 0;
}

/* What went wrong, for the agent, or NULL when the command ran (whatever its exit code). */
static const char *run_problem(const struct broker_result *res, char *buf, size_t size,
			       const struct broker_sandbox *sb)
{
	const struct sup_result *s = &res->sup;
	if (s->cancelled)
		snprintf(buf, size, "the run was cancelled; its processes were killed");
	else if (s->timed_out)
		snprintf(buf, size,
			 "timed out after %lld ms; the command's processes were killed "
			 "(ask for a longer 'timeout', at most 1h, or raise the policy's "
			 "sandbox.timeout)",
			 (long long)sb->timeout_ms);
	else if (s->failed && s->stage == SUP_ST_EXEC)
		snprintf(buf, size, "cannot execute the command: %s", strerror(s->stage_errno));
	else if (s->failed)
		snprintf(buf, size,
			 "the sandbox could not be set up: %s failed: %s (see "
			 "'secretctl doctor')",
			 sup_stage_name(s->stage), strerror(s->stage_errno));
	else
		return NULL;
	return buf;
}

__attribute__((noreturn)) static void worker_main(struct broker_run *run, int result_fd,
						  uint64_t id)
{
	struct collect c = { .out = { BUF_INIT, BUF_INIT, BUF_INIT } };
	struct broker_result res;
	struct broker_sandbox sb;
	struct reterr err = RETERR_INIT;
	struct buf json = BUF_INIT, msg = BUF_INIT;
	char problem[512];

	broker_run_sandbox(run, &sb);
	c.cap = sb.max_output;
	struct broker_sink sink = { collect_write, &c };
	int e = broker_run_exec(run, &sink, &res, &err);
	const char *why = e < 0 ? err.msg : run_problem(&res, problem, sizeof(problem), &sb);
	bool truncated = c.truncated[SUP_STDOUT] || c.truncated[SUP_STDERR] ||
			 res.sup.truncated[SUP_STDOUT] || res.sup.truncated[SUP_STDERR];

	struct outbuf o;
	outbuf_init_buf(&o, &json);
	outbuf_printf(&o, "{\"exit_code\":%d,\"stdout\":", res.exit_code);
	outbuf_json_str(&o, c.out[SUP_STDOUT].data, c.out[SUP_STDOUT].len);
	outbuf_puts(&o, ",\"stderr\":");
	outbuf_json_str(&o, c.out[SUP_STDERR].data, c.out[SUP_STDERR].len);
	outbuf_printf(&o,
		      ",\"duration_ms\":%lld,\"sanitized\":%s,\"timed_out\":%s,"
		      "\"truncated\":%s}",
		      (long long)res.sup.duration_ms, res.sanitized ? "true" : "false",
		      res.sup.timed_out ? "true" : "false", truncated ? "true" : "false");
	int fe = outbuf_finish(&o);

	struct mcp_wire_enc enc;
	mcp_wire_begin(&enc, &msg, MCP_W_RESULT, id);
	mcp_wire_bool(&enc, "error", why != NULL || fe < 0);
	if (why || fe < 0)
		mcp_wire_cstr(&enc, "message", why ? why : "out of memory");
	if (fe == 0)
		mcp_wire_str(&enc, "json", json.data, json.len);
	/* For the audit record, written by the broker process. */
	mcp_wire_cstr(&enc, "audit_command", res.command);
	mcp_wire_cstr(&enc, "audit_detail", res.detail);
	mcp_wire_int(&enc, "exit_code", res.exit_code);
	mcp_wire_bool(&enc, "failed", res.sup.failed);
	mcp_wire_int(&enc, "stage", (int64_t)res.sup.stage);
	mcp_wire_bool(&enc, "timed_out", res.sup.timed_out);
	mcp_wire_bool(&enc, "cancelled", res.sup.cancelled);
	int rc = mcp_wire_end(&enc) == 0 && mcp_wire_send(result_fd, &msg) == 0 ? 0 : 1;
	_exit(rc);
}

int mcp_run_start(struct broker *b, const char *tool, const struct mcp_wire_msg *m,
		  const int *close_in_worker, struct mcp_reply *rp, struct mcp_run **ret)
{
	struct run_args a = { 0 };
	struct broker_req q;
	struct reterr err = RETERR_INIT;
	struct mcp_run *run = NULL;
	int cancel[2] = { -1, -1 }, result[2] = { -1, -1 };
	int e = parse_run_args(tool, m, true, rp, &a);
	if (e)
		goto out;
	if (!(run = calloc(1, sizeof(*run)))) {
		e = -ENOMEM;
		goto out;
	}
	run->id = m->id;
	run->result_fd = run->cancel_fd = -1;
	buf_init(&run->in);
	const struct mcp_wire_field *pf = mcp_wire_get(m, "progress", MCP_WK_BOOL);
	run->progress = pf && pf->b;
	if (pipe2(cancel, O_CLOEXEC) < 0 || pipe2(result, O_CLOEXEC) < 0) {
		e = -errno;
		goto out;
	}
	fill_req(&a, &q);
	q.cancel_fd = cancel[0];
	if ((e = broker_run_new(b, &q, &run->run, &err)) < 0)
		goto out;
	if ((e = broker_run_decide(run->run, &err)) < 0 ||
	    (e = broker_run_prepare(run->run, &err)) < 0) {
		/* Denied or refused: audited by broker/, answered at once. */
		rp->denied = e == -EACCES;
		e = e == -ENOMEM ? e : mcp_call_error(rp, "%s", err.msg) < 0 ? -ENOMEM : 1;
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		e = -errno;
		goto out;
	}
	if (pid == 0) {
		for (const int *fd = close_in_worker; fd && *fd >= 0; fd++)
			close(*fd);
		close(cancel[1]);
		close(result[0]);
		worker_main(run->run, result[1], run->id);
	}
	/* The worker holds the run's secrets now; this process keeps none of them. */
	broker_run_forget(run->run);
	run->pid = pid;
	run->result_fd = TAKE_FD(result[0]);
	run->cancel_fd = TAKE_FD(cancel[1]);
	(void)fcntl(run->result_fd, F_SETFL, O_NONBLOCK);
	run->start_ms = now_ms();
	run->next_progress_ms = run->start_ms;
	struct broker_sandbox sb;
	broker_run_sandbox(run->run, &sb);
	run->timeout_ms = sb.timeout_ms;
	*ret = TAKE_PTR(run);
	e = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (cancel[i] >= 0)
			close(cancel[i]);
		if (result[i] >= 0)
			close(result[i]);
	}
	mcp_run_free(run);
	run_args_release(&a);
	return e;
}

void mcp_run_cancel(struct mcp_run *run)
{
	run->cancelled = true;
	if (run->cancel_fd >= 0) {
		close(run->cancel_fd);
		run->cancel_fd = -1;
	}
}

static void reap(struct mcp_run *run)
{
	int st;
	if (run->pid > 0)
		(void)proc_wait(run->pid, &st);
	run->pid = 0;
}

int mcp_run_finish(struct mcp_run *run, struct mcp_reply *rp)
{
	struct mcp_wire_msg m;
	struct broker_result res = { 0 };
	struct reterr err = RETERR_INIT;
	const struct mcp_wire_field *f;
	int e;

	reap(run);
	if (mcp_wire_decode(run->in.data, run->in.len, &m) < 0 || m.type != MCP_W_RESULT) {
		/* The worker died without reporting: the run is recorded as failed. */
		res.sup.failed = true;
		res.sup.stage = SUP_ST_PARENT;
		res.command = strdup("[the run's worker failed]");
		(void)broker_run_audit(run->run, &res, NULL);
		free(res.command);
		return mcp_call_error(rp,
				      "the run failed inside secretctl (its worker ended without "
				      "a result); see the server's log");
	}
	f = mcp_wire_get(&m, "audit_command", MCP_WK_STR);
	res.command = f ? strndup(f->str, f->len) : NULL;
	f = mcp_wire_get(&m, "audit_detail", MCP_WK_STR);
	res.detail = f ? strndup(f->str, f->len) : NULL;
	if ((f = mcp_wire_get(&m, "exit_code", MCP_WK_INT)))
		res.exit_code = (int)f->i;
	if ((f = mcp_wire_get(&m, "failed", MCP_WK_BOOL)))
		res.sup.failed = f->b;
	if ((f = mcp_wire_get(&m, "stage", MCP_WK_INT)) && f->i >= 0 && f->i < SUP_ST_COUNT)
		res.sup.stage = (enum sup_stage)f->i;
	if ((f = mcp_wire_get(&m, "timed_out", MCP_WK_BOOL)))
		res.sup.timed_out = f->b;
	if ((f = mcp_wire_get(&m, "cancelled", MCP_WK_BOOL)))
		res.sup.cancelled = f->b;
	e = broker_run_audit(run->run, &res, &err);
	broker_result_release(&res);
	if (e < 0)
		fprintf(stderr,
			"secretctl mcp-server: could not record a run in the audit log: %s\n",
			err.msg);
	f = mcp_wire_get(&m, "error", MCP_WK_BOOL);
	rp->error = f && f->b;
	if ((f = mcp_wire_get(&m, "message", MCP_WK_STR)) &&
	    buf_append(&rp->message, f->str, f->len) < 0)
		return -ENOMEM;
	if ((f = mcp_wire_get(&m, "json", MCP_WK_STR)) && buf_append(&rp->json, f->str, f->len) < 0)
		return -ENOMEM;
	if (rp->error && !rp->message.len)
		return mcp_call_error(rp, "the run failed");
	return 0;
}

struct mcp_run *mcp_run_free(struct mcp_run *run)
{
	if (!run)
		return NULL;
	if (run->pid > 0) {
		kill(run->pid, SIGKILL);
		reap(run);
	}
	if (run->result_fd >= 0)
		close(run->result_fd);
	if (run->cancel_fd >= 0)
		close(run->cancel_fd);
	broker_run_free(run->run);
	buf_release(&run->in);
	free(run);
	return NULL;
}
