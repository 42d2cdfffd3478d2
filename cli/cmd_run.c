/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl run|exec`: the command line of a run, handed to broker/ (which decides,
 * resolves, runs in the sandbox with every output byte redacted, and audits); this file only
 * parses options, asks for the password and reports. Exit codes follow env(1)/timeout(1): the
 * child's code, 128+N for signal N, 124 timeout, 125 our own failure, 126 cannot execute, 127
 * not found. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "cli/cli.h"
#include "cli/cli-internal.h"

static const char usage_text[] =
	"usage: secretctl run|exec [options] -- COMMAND [ARGS...]\n"
	"\n"
	"Run COMMAND with secrets in its environment, inside a sandbox, with everything it prints\n"
	"redacted. The command cannot read the vault, the policy or the audit log, cannot reach\n"
	"secretctl's memory, and does not outlive --timeout.\n"
	"\n"
	"  -k, --key PATTERN      inject vault secrets matching PATTERN ('aws/*' = one level);\n"
	"                         key -> env name: '/' and '-' become '_', upper-cased\n"
	"  --from-env NAME        treat our variable NAME as a secret (inject + redact; no vault)\n"
	"  --env ALIAS            rewrite patterns through the policy's env alias ALIAS\n"
	"  --env-prefix P         prefix every injected name with P\n"
	"  -t, --timeout DUR      kill the command's tree after DUR (90s, 5m, 500ms; exit 124)\n"
	"  --sandbox PROFILE      standard (default: read-only fs except cwd, --writable and a\n"
	"                         private /tmp, throwaway $HOME), strict (the same with a\n"
	"                         read-only $HOME and no network), or off (no sandbox)\n"
	"  --network allow|deny   deny: own network namespace with loopback only\n"
	"                         (default: allow for standard, deny for strict)\n"
	"  --writable PATH        keep PATH writable and its changes (repeatable); otherwise\n"
	"                         only the working directory and a private /tmp are, and\n"
	"                         $HOME changes vanish at the end (standard)\n"
	"  --allow-socket PATH    let the command connect to the host unix socket PATH (every\n"
	"                         other host socket is covered; repeatable)\n"
	"  --limit NAME=VALUE     rlimit for the tree: nproc, nofile, fsize, as (sizes: K M G)\n"
	"  --pty / --no-pty       give the command a new terminal (default when stdin and stdout\n"
	"                         are terminals) or pipes (stdout and stderr kept apart)\n"
	"  --no-sanitize          do NOT redact output (warns loudly)\n"
	"  --policy FILE          judge the command and keys by this policy, as an agent's\n"
	"                         run would be (docs/policy.md); without it a person at a\n"
	"                         terminal is trusted\n"
	"  --password-stdin       read the master password from the first line of stdin\n"
	"  -h, --help             show this help\n"
	"\n"
	"See secretctl-run(1) and docs/sandbox.md for what the sandbox does and does not protect.\n";

struct run_opts {
	char **patterns, **from_env, **writable, **sockets;
	const char *env_alias, *env_prefix, *policy;
	int64_t timeout_ms;
	bool no_sanitize, password_stdin;
	int pty; /* -1 auto */
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
	if (n == 5 && !strncmp(arg, "nproc", n))
		o->nproc = v;
	else if (n == 6 && !strncmp(arg, "nofile", n))
		o->nofile = v;
	else if (n == 5 && !strncmp(arg, "fsize", n))
		o->fsize = v;
	else if (n == 2 && !strncmp(arg, "as", n))
		o->as = v;
	else
		return -EINVAL;
	return 0;
}

enum {
	OPT_FROM_ENV = 256, OPT_ENV, OPT_ENV_PREFIX, OPT_NO_SANITIZE, OPT_PTY, OPT_NO_PTY,
	OPT_SANDBOX, OPT_NETWORK, OPT_WRITABLE, OPT_PASSWORD_STDIN, OPT_LIMIT, OPT_POLICY,
	OPT_ALLOW_SOCKET,
};

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "from-env", required_argument, NULL, OPT_FROM_ENV },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "env-prefix", required_argument, NULL, OPT_ENV_PREFIX },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-sanitize", no_argument, NULL, OPT_NO_SANITIZE },
		{ "pty", no_argument, NULL, OPT_PTY },
		{ "no-pty", no_argument, NULL, OPT_NO_PTY },
		{ "sandbox", required_argument, NULL, OPT_SANDBOX },
		{ "network", required_argument, NULL, OPT_NETWORK },
		{ "writable", required_argument, NULL, OPT_WRITABLE },
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "allow-socket", required_argument, NULL, OPT_ALLOW_SOCKET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	/* '+': stop at the first non-option, so the command's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+k:t:h", opts, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'k': r = strv_push(&o->patterns, optarg); break;
		case OPT_FROM_ENV: r = strv_push(&o->from_env, optarg); break;
		case OPT_ENV: o->env_alias = optarg; break;
		case OPT_ENV_PREFIX: o->env_prefix = optarg; break;
		case 't':
			if (parse_duration_ms(optarg, true, &o->timeout_ms) < 0 || o->timeout_ms <= 0) {
				cli_error("run: invalid --timeout '%s' (e.g. 90s, 5m, 500ms)", optarg);
				return -1;
			}
			break;
		case OPT_NO_SANITIZE: o->no_sanitize = true; break;
		case OPT_PTY: o->pty = 1; break;
		case OPT_NO_PTY: o->pty = 0; break;
		case OPT_SANDBOX:
			if (!strcmp(optarg, "standard"))
				o->profile = SUP_PROFILE_STANDARD;
			else if (!strcmp(optarg, "strict"))
				o->profile = SUP_PROFILE_STRICT;
			else if (!strcmp(optarg, "off"))
				o->profile = SUP_PROFILE_OFF;
			else {
				cli_error("run: --sandbox must be standard, strict or off");
				return -1;
			}
			break;
		case OPT_NETWORK:
			if (!strcmp(optarg, "allow"))
				o->network = 0;
			else if (!strcmp(optarg, "deny"))
				o->network = 1;
			else {
				cli_error("run: --network must be allow or deny");
				return -1;
			}
			break;
		case OPT_WRITABLE: {
			char real[PATH_MAX];
			if (!realpath(optarg, real)) {
				cli_error("run: --writable %s: %s", optarg, strerror(errno));
				return -1;
			}
			r = strv_push(&o->writable, real);
			break;
		}
		case OPT_PASSWORD_STDIN: o->password_stdin = true; break;
		case OPT_POLICY: o->policy = optarg; break;
		case OPT_ALLOW_SOCKET: {
			char real[PATH_MAX];
			if (!realpath(optarg, real)) {
				cli_error("run: --allow-socket %s: %s", optarg, strerror(errno));
				return -1;
			}
			r = strv_push(&o->sockets, real);
			break;
		}
		case OPT_LIMIT:
			if (parse_limit(o, optarg) < 0) {
				cli_error("run: invalid --limit '%s' (nproc|nofile|fsize|as=N[K|M|G])",
					  optarg);
				return -1;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 1;
		default: fputs(usage_text, stderr); return -1;
		}
		if (r < 0) {
			cli_error("out of memory");
			return -1;
		}
	}
	if (optind >= argc) {
		cli_error("run: no command given (usage: secretctl run [options] -- COMMAND ...)");
		return -1;
	}
	if (o->profile == SUP_PROFILE_OFF && o->network == 1) {
		cli_error("run: --network deny needs a sandbox (not --sandbox off)");
		return -1;
	}
	if ((o->writable || o->sockets) && o->profile == SUP_PROFILE_OFF) {
		cli_error("run: --writable and --allow-socket need a sandbox (with --sandbox off "
			  "everything is reachable already)");
		return -1;
	}
	return 0;
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
static void warn_flags(const struct run_opts *o)
{
	if (o->no_sanitize)
		fprintf(stderr, "secretctl: WARNING: --no-sanitize: output is NOT redacted; any "
				"secret the command prints appears in clear text\n");
	if (o->profile == SUP_PROFILE_OFF)
		cli_warn("run: --sandbox off: the command runs WITHOUT the sandbox (it can read "
			 "the vault files and signal or trace this process); output is still %s",
			 o->no_sanitize ? "NOT redacted" : "redacted");
}

/* decide -> unlock -> prepare -> exec -> audit; each step is broker's, this only reports. */
static int run_steps(struct broker *b, struct broker_run *run, const struct run_opts *o)
{
	struct reterr err = { .msg = "" };
	struct vault *v = NULL;
	struct broker_result res;
	int e, rc;

	if ((e = broker_run_decide(run, &err)) < 0) {
		cli_error("run: %s", err.msg[0] ? err.msg : strerror(-e));
		return SUP_EXIT_FAILURE;
	}
	if (o->patterns) {
		if (cli_vault_unlock(o->password_stdin, &v) != CLI_OK)
			return SUP_EXIT_FAILURE;
		broker_set_vault(b, v);
	}
	if ((e = broker_run_prepare(run, &err)) < 0) {
		print_warnings(run);
		cli_error("run: %s", err.msg[0] ? err.msg : strerror(-e));
		rc = SUP_EXIT_FAILURE;
		goto out;
	}
	print_warnings(run);
	warn_flags(o);
	/* Redacted output goes to our stdout and stderr, never blocking on them (broker/). */
	e = broker_run_exec(run, NULL, &res, &err);
	rc = res.exit_code;
	if (e < 0)
		cli_error("run: %s", err.msg[0] ? err.msg : strerror(-e));
	else if (res.sup.failed)
		report_failure(&res.sup, res.command ? res.command : "");
	else if (res.sup.timed_out)
		cli_error("run: timed out after %lld ms; the command's processes were killed",
			  (long long)o->timeout_ms);
	if (v && (e = broker_run_audit(run, &res, &err)) < 0) {
		cli_error("run: could not record the run in the audit log: %s", err.msg);
		if (rc == 0)
			rc = SUP_EXIT_FAILURE;
	}
	broker_result_release(&res);
out:
	broker_set_vault(b, NULL);
	vault_free(v);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .pty = -1, .profile = SUP_PROFILE_STANDARD, .network = -1 };
	struct reterr err = { .msg = "" };
	struct broker *b = NULL;
	struct broker_run *run = NULL;
	int rc = parse_args(argc, argv, &o), e;

	if (rc != 0) {
		rc = rc > 0 ? 0 : SUP_EXIT_FAILURE;
		goto out;
	}
	rc = SUP_EXIT_FAILURE;
	/* The policy (hostile input) is read before anything else, the process is hardened
	 * before any secret is in memory. */
	struct broker_opts bo = { .source = "cli", .policy_path = o.policy,
				  .judge_commands = o.policy != NULL,
				  .want_policy = o.env_alias != NULL };
	if ((e = broker_new(&bo, &b, &err)) < 0) {
		cli_error("run: %s", err.msg[0] ? err.msg : strerror(-e));
		goto out;
	}
	if ((e = broker_process_init(o.profile != SUP_PROFILE_OFF, &err)) < 0) {
		cli_error("run: the sandbox could not be set up: %s (user namespaces unavailable? "
			  "see 'secretctl doctor'); refusing to run without it (--sandbox off runs "
			  "unsandboxed, explicitly)",
			  err.msg);
		goto out;
	}
	bool pty = o.pty < 0 ? isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) : o.pty == 1;
	struct broker_req q = {
		.argv = argv + optind, .patterns = o.patterns, .from_env = o.from_env,
		.env_alias = o.env_alias, .env_prefix = o.env_prefix, .profile = (int)o.profile,
		.network = o.network, .writable = o.writable, .sockets = o.sockets,
		.timeout_ms = o.timeout_ms,
		.nproc = o.nproc, .nofile = o.nofile, .fsize = o.fsize, .as = o.as, .pty = pty,
		.stdin_fd = fcntl(STDIN_FILENO, F_GETFD) < 0 ? -1 : STDIN_FILENO,
		.out_fd = { [SUP_STDOUT] = STDOUT_FILENO, [SUP_STDERR] = STDERR_FILENO },
		.no_sanitize = o.no_sanitize,
	};
	if ((e = broker_run_new(b, &q, &run, &err)) < 0) {
		cli_error("run: %s", err.msg[0] ? err.msg : strerror(-e));
		goto out;
	}
	rc = run_steps(b, run, &o);
out:
	broker_run_free(run);
	broker_free(b);
	strv_free(o.patterns);
	strv_free(o.from_env);
	strv_free(o.writable);
	strv_free(o.sockets);
	return rc;
}
