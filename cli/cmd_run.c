/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl run|exec`: the command line of a run, handed to broker/ (which decides,
 * resolves, runs in the sandbox with every output byte redacted, and audits); this file only
 * parses options, asks for the password and reports. Exit codes follow env(1)/timeout(1): the
 * child's code, 128+N for signal N, 124 timeout, 125 our own failure, 126 cannot execute, 127
 * not found. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "broker/broker.h"
#include "cli/cli.h"
#include "cli/cli-internal.h"

struct run_opts {
	char **patterns, **from_env, **writable, **sockets;
	const char *env_alias, *env_prefix, *policy;
	int64_t timeout_ms;
	bool no_sanitize, raw_terminal, password_stdin;
	int pty; /* -1 auto */
	bool profile_set;
	enum sup_profile profile;
	int network; /* -1 default, 0 allow, 1 deny */
	uint64_t nproc, nofile, fsize, as;
};

static int parse_limit(struct run_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	uint64_t v;
	if (!eq || parse_bytes(eq + 1, &v) < 0)
		return -EINVAL;
	size_t n = (size_t)(eq - arg);
	if (str_eq_n(arg, n, "nproc"))
		o->nproc = v;
	else if (str_eq_n(arg, n, "nofile"))
		o->nofile = v;
	else if (str_eq_n(arg, n, "fsize"))
		o->fsize = v;
	else if (str_eq_n(arg, n, "as"))
		o->as = v;
	else
		return -EINVAL;
	return 0;
}

static struct run_opts o = { .pty = -1, .profile = SUP_PROFILE_STANDARD, .network = -1 };

static int opt_timeout(const char *arg)
{
	if (parse_duration_ms(arg, true, &o.timeout_ms) < 0 || o.timeout_ms <= 0) {
		cli_error("run: invalid --timeout '%s' (e.g. 90s, 5m, 500ms)", arg);
		return SUP_EXIT_FAILURE;
	}
	return CLI_OK;
}

static int opt_sandbox(const char *arg)
{
	static const struct {
		const char *name;
		enum sup_profile p;
	} profiles[] = {
		{ "standard", SUP_PROFILE_STANDARD },
		{ "strict", SUP_PROFILE_STRICT },
		{ "off", SUP_PROFILE_OFF },
	};
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++) {
		if (!strcmp(arg, profiles[i].name)) {
			o.profile = profiles[i].p;
			o.profile_set = true;
			return CLI_OK;
		}
	}
	cli_error("run: --sandbox must be standard, strict or off");
	return SUP_EXIT_FAILURE;
}

static int opt_network(const char *arg)
{
	if (strcmp(arg, "allow") && strcmp(arg, "deny")) {
		cli_error("run: --network must be allow or deny");
		return SUP_EXIT_FAILURE;
	}
	o.network = !strcmp(arg, "deny");
	return CLI_OK;
}

/* --writable and --allow-socket: stored resolved, so the sandbox sees the real path. */
static int push_real(char ***v, const char *opt, const char *arg)
{
	char real[PATH_MAX];
	if (!realpath(arg, real)) {
		cli_error("run: %s %s: %s", opt, arg, strerror(errno));
		return SUP_EXIT_FAILURE;
	}
	if (strv_push(v, real) < 0) {
		cli_error("run: out of memory");
		return SUP_EXIT_FAILURE;
	}
	return CLI_OK;
}

static int opt_writable(const char *arg)
{
	return push_real(&o.writable, "--writable", arg);
}

static int opt_socket(const char *arg)
{
	return push_real(&o.sockets, "--allow-socket", arg);
}

static int opt_limit(const char *arg)
{
	if (parse_limit(&o, arg) < 0) {
		cli_error("run: invalid --limit '%s' (nproc|nofile|fsize|as=N[K|M|G])", arg);
		return SUP_EXIT_FAILURE;
	}
	return CLI_OK;
}

static const struct cli_opt opts[] = {
	CLI_LIST('k', "key", "PATTERN", &o.patterns,
		 "inject vault secrets matching PATTERN ('aws/*' = one level);\n"
		 "key -> env name: '/' and '-' become '_', upper-cased"),
	CLI_LIST(0, "from-env", "NAME", &o.from_env,
		 "treat our variable NAME as a secret (inject + redact; no vault)"),
	CLI_STRING(0, "env", "ALIAS", &o.env_alias,
		   "rewrite patterns through the policy's env "
		   "alias ALIAS"),
	CLI_STRING(0, "env-prefix", "P", &o.env_prefix, "prefix every injected name with P"),
	CLI_FN1('t', "timeout", "DUR", opt_timeout,
		"kill the command's tree after DUR (90s, 5m, 500ms; exit 124)"),
	CLI_FN1(0, "sandbox", "PROFILE", opt_sandbox,
		"standard (default: read-only fs except cwd, --writable and a\n"
		"private /tmp, throwaway $HOME), strict (the same with a\n"
		"read-only $HOME and no network), or off (no sandbox)"),
	CLI_FN1(0, "network", "allow|deny", opt_network,
		"deny: own network namespace with loopback only\n"
		"(default: allow for standard, deny for strict)"),
	CLI_FN(0, "writable", "PATH", opt_writable,
	       "keep PATH writable and its changes (repeatable); otherwise\n"
	       "only the working directory and a private /tmp are, and\n"
	       "$HOME changes vanish at the end (standard)"),
	CLI_FN(0, "allow-socket", "PATH", opt_socket,
	       "let the command connect to the host unix socket PATH (every\n"
	       "other host socket is covered; repeatable)"),
	CLI_FN(0, "limit", "NAME=VALUE", opt_limit,
	       "rlimit for the tree: nproc, nofile, fsize, as (sizes: K M G)"),
	CLI_SET("pty", &o.pty, 1,
		"give the command a new terminal (default when stdin and "
		"stdout\nare terminals)"),
	CLI_SET("no-pty", &o.pty, 0, "give it pipes instead (stdout and stderr kept apart)"),
	CLI_FLAG(0, "no-sanitize", &o.no_sanitize, "do NOT redact output (warns loudly)"),
	CLI_FLAG(0, "raw-terminal", &o.raw_terminal,
		 "pass terminal control sequences through (by default clipboard\n"
		 "writes are removed, and on a terminal titles and queries too)"),
	CLI_STRING(0, "policy", "FILE", &o.policy,
		   "judge the command and keys by this policy, as an agent's\n"
		   "run would be (docs/policy.md); without it a person at a\n"
		   "terminal is trusted"),
	CLI_OPT_END,
};

static int check(struct cli_ctx *ctx)
{
	(void)ctx;
	if (o.profile == SUP_PROFILE_OFF && o.network == 1) {
		cli_error("run: --network deny needs a sandbox (not --sandbox off)");
		return SUP_EXIT_FAILURE;
	}
	if ((o.writable || o.sockets) && o.profile == SUP_PROFILE_OFF) {
		cli_error("run: --writable and --allow-socket need a sandbox (with --sandbox off "
			  "everything is reachable already)");
		return SUP_EXIT_FAILURE;
	}
	return CLI_OK;
}

/* Without -k no vault is opened. With it, through the session agent's agent scope the run is
 * what secret_run would be: judged by the policy the agent loaded, in the sandbox the policy
 * gives; any option that would choose otherwise (or skip redaction) needs the full scope. */
static enum cli_scope scope(const struct cli_ctx *ctx)
{
	(void)ctx;
	if (!o.patterns)
		return CLI_SCOPE_NONE;
	if (o.no_sanitize || o.raw_terminal || o.profile_set || o.network >= 0 || o.writable ||
	    o.sockets || o.policy || o.nproc || o.nofile || o.fsize || o.as)
		return CLI_SCOPE_FULL;
	return CLI_SCOPE_AGENT;
}

static void report_failure(const struct sup_result *res, const char *cmdline)
{
	if (res->stage == SUP_ST_EXEC) {
		cli_error("run: cannot execute '%s': %s", cmdline, strerror(res->stage_errno));
		return;
	}
	const char *hint = "";
	if (res->stage >= SUP_ST_CLONE && res->stage <= SUP_ST_GIDMAP)
		hint = " (user namespaces unavailable? see 'secretctl doctor')";
	else if (res->stage == SUP_ST_SECCOMP)
		hint = " (seccomp unavailable? see 'secretctl doctor')";
	cli_error("run: the sandbox could not be set up: %s failed: %s%s; refusing to run without "
		  "it (--sandbox off runs unsandboxed, explicitly)",
		  sup_stage_name(res->stage), strerror(res->stage_errno), hint);
}

static void print_warnings(const struct broker_run *run)
{
	for (char *const *w = broker_run_warnings(run); *w; w++)
		cli_warn("run: %s", *w);
}

/* The flags that weaken the protection say so, loudly, every time. */
static void warn_flags(void)
{
	if (o.no_sanitize)
		fprintf(stderr, "secretctl: WARNING: --no-sanitize: output is NOT redacted; any "
				"secret the command prints appears in clear text\n");
	if (o.profile == SUP_PROFILE_OFF)
		cli_warn("run: --sandbox off: the command runs WITHOUT the sandbox (it can read "
			 "the vault files and signal or trace this process); output is still %s",
			 o.no_sanitize ? "NOT redacted" : "redacted");
}

/* decide -> unlock -> prepare -> exec -> audit; each step is broker's, this only reports. */
static int run_steps(struct broker *b, struct broker_run *run)
{
	struct reterr err = RETERR_INIT;
	struct vault *v = NULL;
	struct broker_result res;
	int e, rc;

	if ((e = broker_run_decide(run, &err)) < 0) {
		cli_error("run: %s", reterr_str(&err, e));
		return SUP_EXIT_FAILURE;
	}
	if (o.patterns) {
		if (cli_vault_unlock(o.password_stdin, 0, &v) != CLI_OK)
			return SUP_EXIT_FAILURE;
		broker_set_vault(b, v);
	}
	if ((e = broker_run_prepare(run, &err)) < 0) {
		print_warnings(run);
		cli_error("run: %s", reterr_str(&err, e));
		rc = SUP_EXIT_FAILURE;
		goto out;
	}
	print_warnings(run);
	warn_flags();
	/* Redacted output goes to our stdout and stderr, never blocking on them (broker/). */
	e = broker_run_exec(run, NULL, &res, &err);
	rc = res.exit_code;
	if (e < 0)
		cli_error("run: %s", reterr_str(&err, e));
	else if (res.sup.failed)
		report_failure(&res.sup, res.command ? res.command : "");
	else if (res.sup.timed_out)
		cli_error("run: timed out after %lld ms; the command's processes were killed",
			  (long long)o.timeout_ms);
	if (v && (e = broker_run_audit(run, &res, &err)) < 0) {
		cli_error("run: could not record the run in the audit log: %s", err.msg);
		if (rc == 0)
			rc = SUP_EXIT_FAILURE;
	}
	broker_result_release(&res);
out:
	broker_set_vault(b, NULL);
	if (cli_vault_close(v) != CLI_OK && rc == 0)
		rc = SUP_EXIT_FAILURE;
	return rc;
}

static struct broker_req request(char **argv)
{
	bool pty = o.pty < 0 ? isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) : o.pty == 1;
	return (struct broker_req){
		.argv = argv,
		.patterns = o.patterns,
		.from_env = o.from_env,
		.env_alias = o.env_alias,
		.env_prefix = o.env_prefix,
		.profile = (int)o.profile,
		.network = o.network,
		.writable = o.writable,
		.sockets = o.sockets,
		.timeout_ms = o.timeout_ms,
		.nproc = o.nproc,
		.nofile = o.nofile,
		.fsize = o.fsize,
		.as = o.as,
		.pty = pty,
		.stdin_fd = fcntl(STDIN_FILENO, F_GETFD) < 0 ? -1 : STDIN_FILENO,
		.out_fd = { [SUP_STDOUT] = STDOUT_FILENO, [SUP_STDERR] = STDERR_FILENO },
		.no_sanitize = o.no_sanitize,
		.raw_terminal = o.raw_terminal,
	};
}

static int run(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	struct broker *b = NULL;
	struct broker_run *r = NULL;
	int rc = SUP_EXIT_FAILURE, e;

	o.password_stdin = ctx->password_stdin;
	/* The policy (hostile input) is read before anything else, the process is hardened
	 * before any secret is in memory. */
	struct broker_opts bo = { .source = "cli",
				  .policy_path = o.policy,
				  .judge_commands = o.policy != NULL,
				  .want_policy = o.env_alias != NULL };
	bool agent_scope = cli_session_scope() == CLI_SCOPE_AGENT;
	if (agent_scope) {
		/* As an MCP run: the agent's policy judges it and sets its sandbox. */
		bo.judge_commands = true;
		bo.policy_may_be_missing = true;
		bo.use_policy = true;
		bo.policy = cli_session_policy(&bo.policy_file);
		/* Runs the policy wants approved wait in the agent for the person's answer. */
		bo.approve = agent_child_approve;
		bo.approve_ctx = cli_session();
	}
	if ((e = broker_new(&bo, &b, &err)) < 0) {
		cli_error("run: %s", reterr_str(&err, e));
		goto out;
	}
	if ((e = broker_process_init(o.profile != SUP_PROFILE_OFF, &err)) < 0) {
		cli_error("run: the sandbox could not be set up: %s (user namespaces unavailable? "
			  "see 'secretctl doctor'); refusing to run without it (--sandbox off runs "
			  "unsandboxed, explicitly)",
			  err.msg);
		goto out;
	}
	struct broker_req q = request(ctx->argv);
	if (agent_scope)
		q.profile = -1;
	if ((e = broker_run_new(b, &q, &r, &err)) < 0) {
		cli_error("run: %s", reterr_str(&err, e));
		goto out;
	}
	rc = run_steps(b, r);
out:
	broker_run_free(r);
	broker_free(b);
	return rc;
}

static void cleanup(void)
{
	o.writable = strv_free(o.writable);
	o.sockets = strv_free(o.sockets);
}

const struct cli_command cli_cmd_run = {
	.name = "run",
	.summary = "run a command with secrets injected, sandboxed, output redacted",
	.synopsis = "[options] -- COMMAND [ARGS...]",
	.about = "Run COMMAND with secrets in its environment, inside a sandbox, with everything "
		 "it prints\nredacted. The command cannot read the vault, the policy or the audit "
		 "log, cannot reach\nsecretctl's memory, and does not outlive --timeout.",
	.notes = "Exit status: the command's; 128+N when signal N ended it; 124 timed out; 125 "
		 "a\nsecretctl failure or usage error; 126 cannot execute; 127 not found.\n"
		 "See secretctl-run(1) and docs/sandbox.md for what the sandbox does and does not "
		 "protect.",
	.opts = opts,
	.flags = CLI_PASSWORD | CLI_COMMAND,
	.usage_exit = SUP_EXIT_FAILURE,
	.check = check,
	.scope = scope,
	.run = run,
	.cleanup = cleanup,
};
