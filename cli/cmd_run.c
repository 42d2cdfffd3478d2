/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl run|exec`: resolve secrets, run the command in the supervisor's sandbox with
 * them in its environment, redact every output byte, record a secret.run audit event.
 * Exit codes follow env(1)/timeout(1): the child's code, 128+N for signal N, 124 timeout,
 * 125 our own failure, 126 cannot execute, 127 not found. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli-internal.h"
#include "policy/policy.h"
#include "sanitizer/sanitizer.h"
#include "supervisor/supervisor.h"

extern char **environ;


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
	"  --sandbox PROFILE      standard (default), strict (read-only fs except cwd and\n"
	"                         --writable, private /tmp, no network), or off (no sandbox)\n"
	"  --network allow|deny   deny: own network namespace with loopback only\n"
	"                         (default: allow for standard, deny for strict)\n"
	"  --writable PATH        strict: keep PATH writable (repeatable)\n"
	"  --limit NAME=VALUE     rlimit for the tree: nproc, nofile, fsize, as (sizes: K M G)\n"
	"  --pty / --no-pty       give the command a new terminal (default when stdin and stdout\n"
	"                         are terminals) or pipes (stdout and stderr kept apart)\n"
	"  --no-sanitize          do NOT redact output (warns loudly)\n"
	"  --password-stdin       read the master password from the first line of stdin\n"
	"  -h, --help             show this help\n"
	"\n"
	"See secretctl-run(1) and docs/sandbox.md for what the sandbox does and does not protect.\n";

struct run_opts {
	char **patterns, **from_env, **writable;
	const char *env_alias, *env_prefix;
	int64_t timeout_ms;
	bool no_sanitize, password_stdin;
	int pty; /* -1 auto */
	enum sup_profile profile;
	int network; /* -1 default, 0 allow, 1 deny */
	uint64_t nproc, nofile, fsize, as;
};

struct run_io {
	struct san_stream *st[3];
	struct san_set *set; /* compiled by sink_started, once the child exists */
	bool sanitize;
	bool compiled;
};

static int emit_fd(void *ctx, const void *buf, size_t len)
{
	int fd = *(const int *)ctx;
	return fd_write_all(fd, buf, len);
}

static int sink_out(void *ctx, enum sup_stream s, const void *buf, size_t len)
{
	struct run_io *io = ctx;
	int fd = s == SUP_STDERR ? STDERR_FILENO : STDOUT_FILENO;
	if (!io->sanitize)
		return len ? fd_write_all(fd, buf, len) : 0;
	if (!len)
		return san_finish(io->st[s], emit_fd, &fd);
	return san_feed(io->st[s], buf, len, emit_fd, &fd);
}

/* Called by the supervisor right after the clone: building the automaton overlaps with the
 * child's sandbox setup on the other CPU instead of delaying the command's start. */
static int sink_started(void *ctx)
{
	struct run_io *io = ctx;
	if (!io->sanitize)
		return 0;
	int r = san_set_compile(io->set);
	if (r < 0)
		return r;
	for (int s = SUP_STDOUT; s <= SUP_STDERR; s++)
		if (!(io->st[s] = san_stream_new(io->set)))
			return -ENOMEM;
	io->compiled = true;
	return 0;
}

static int sink_idle(void *ctx)
{
	struct run_io *io = ctx;
	for (int s = SUP_STDOUT; s <= SUP_STDERR && io->sanitize; s++) {
		int fd = s;
		if (!io->st[s] || !san_stream_pending(io->st[s]))
			continue;
		int r = san_flush_idle(io->st[s], emit_fd, &fd);
		if (r < 0 && r != -EPIPE)
			return r;
	}
	return 0;
}

static int emit_buf(void *ctx, const void *p, size_t len)
{
	return buf_append(ctx, p, len);
}

/* The command line as recorded and echoed: joined, then redacted like the output. */
static int sanitize_argv(const struct san_set *set, char *const *argv, struct buf *ret)
{
	AUTO_FREE char *joined = strv_join(argv, " ");
	if (!joined)
		return -ENOMEM;
	if (!set)
		return buf_puts(ret, joined);
	struct san_stream *st = san_stream_new(set);
	if (!st)
		return -ENOMEM;
	int r = san_feed(st, joined, strlen(joined), emit_buf, ret);
	if (r >= 0)
		r = san_finish(st, emit_buf, ret);
	san_stream_free(st);
	return r;
}

static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	uint64_t mul = 1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mul = 1024; end++; break;
	case 'm': case 'M': mul = 1024 * 1024; end++; break;
	case 'g': case 'G': mul = 1024ull * 1024 * 1024; end++; break;
	default: return -EINVAL;
	}
	if (*end || v == 0 || __builtin_mul_overflow((uint64_t)v, mul, ret))
		return -EINVAL;
	return 0;
}

static int parse_limit(struct run_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	uint64_t v;
	if (!eq || parse_size(eq + 1, &v) < 0)
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
	OPT_SANDBOX, OPT_NETWORK, OPT_WRITABLE, OPT_PASSWORD_STDIN, OPT_LIMIT,
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
	if (o->writable && o->profile != SUP_PROFILE_STRICT) {
		cli_error("run: --writable only applies to --sandbox strict (everything else is "
			  "writable already)");
		return -1;
	}
	return 0;
}

static const char *profile_name(enum sup_profile p)
{
	return p == SUP_PROFILE_OFF ? "off" : p == SUP_PROFILE_STRICT ? "strict" : "standard";
}

/* The detail JSON of the secret.run event: names only, never values. */
static int audit_detail(struct buf *b, const struct run_opts *o, bool deny_net, bool pty,
			const struct sup_result *res, int code, const struct san_set *set,
			struct run_io *io)
{
	int r = buf_printf(b,
			   "{\"exit\":%d,\"duration_ms\":%lld,\"timed_out\":%s,\"sandbox\":\"%s\","
			   "\"network\":\"%s\",\"pty\":%s,\"sanitized\":%s,\"bytes_out\":%llu,"
			   "\"bytes_err\":%llu,\"protections\":%u,\"redactions\":{",
			   code, (long long)res->duration_ms, res->timed_out ? "true" : "false",
			   profile_name(o->profile), deny_net ? "deny" : "allow",
			   pty ? "true" : "false", io->sanitize ? "true" : "false",
			   (unsigned long long)res->bytes[1], (unsigned long long)res->bytes[2],
			   res->protections);
	for (size_t i = 0; set && io->sanitize && i < san_set_size(set) && r >= 0; i++) {
		uint64_t n = 0;
		for (int s = SUP_STDOUT; s <= SUP_STDERR; s++)
			if (io->st[s])
				n += san_stream_count(io->st[s], i);
		/* Set names are [A-Za-z0-9_.-/]: no JSON escaping needed. */
		r = buf_printf(b, "%s\"%s\":%llu", i ? "," : "", san_set_name(set, i),
			       (unsigned long long)n);
	}
	if (r >= 0 && res->failed)
		r = buf_printf(b, "},\"failed_stage\":\"%s\",\"errno\":%d}", res->stage,
			       res->stage_errno);
	else if (r >= 0)
		r = buf_puts(b, "}}");
	return r;
}

static void report_failure(const struct sup_result *res, const char *cmdline)
{
	if (!strcmp(res->stage, "execve")) {
		cli_error("run: cannot execute '%s': %s", cmdline, strerror(res->stage_errno));
		return;
	}
	const char *hint = "";
	if (!strncmp(res->stage, "namespaces", 10) || !strncmp(res->stage, "user namespace", 14))
		hint = " (user namespaces unavailable? see 'secretctl doctor')";
	else if (!strcmp(res->stage, "seccomp"))
		hint = " (seccomp unavailable? see 'secretctl doctor')";
	cli_error("run: the sandbox could not be set up: %s failed: %s%s; refusing to run without "
		  "it (--sandbox off runs unsandboxed, explicitly)",
		  res->stage, strerror(res->stage_errno), hint);
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

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .pty = -1, .profile = SUP_PROFILE_STANDARD, .network = -1 };
	int rc = parse_args(argc, argv, &o);
	struct vault *v = NULL;
	struct cli_secrets *secrets = NULL;
	struct san_set *set = NULL;
	struct sup_spec *spec = NULL;
	struct run_io io = { .sanitize = false };
	char *keys = NULL, *vdir = NULL;
	char **hidden = NULL;
	struct buf cmdline = BUF_INIT, detail = BUF_INIT;
	if (rc != 0) {
		rc = rc > 0 ? 0 : SUP_EXIT_FAILURE;
		goto out;
	}
	rc = SUP_EXIT_FAILURE;
	char **cmd = argv + optind;
	bool deny_net = o.network < 0 ? o.profile == SUP_PROFILE_STRICT : o.network == 1;
	bool pty = o.pty < 0 ? isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) : o.pty == 1;

	/* Before any secret is in memory: an unprivileged user's user namespace (its id maps need
	 * a dumpable process), then not dumpable, no core, password scrubbed. */
	if (o.profile != SUP_PROFILE_OFF) {
		struct reterr uerr = { .msg = "" };
		if (sup_userns_enter(&uerr) < 0) {
			cli_error("run: the sandbox could not be set up: %s (user namespaces "
				  "unavailable? see 'secretctl doctor'); refusing to run without it "
				  "(--sandbox off runs unsandboxed, explicitly)",
				  uerr.msg);
			goto out;
		}
	}
	if (o.profile != SUP_PROFILE_OFF &&
	    sup_nproc_bound(o.nproc ? o.nproc : CLI_RUN_NPROC_DEFAULT) == SUP_NPROC_NONE) {
		/* RLIMIT_NPROC does not bind uid 0; pid_max (>= 300) or a pids cgroup must. */
		if (o.nproc) {
			cli_error("run: cannot enforce --limit nproc=%llu: running as root, and neither "
				  "a per-namespace pid_max (Linux >= 6.14, limits of %d or more) nor a "
				  "writable pids cgroup at /sys/fs/cgroup/pids is available "
				  "(RLIMIT_NPROC does not apply to root); refusing to run",
				  (unsigned long long)o.nproc, SUP_PID_MAX_MIN);
			goto out;
		}
		cli_warn("run: running as root without a process bound (no per-namespace pid_max, no "
			 "pids cgroup): the command's process count is NOT bounded (only --timeout "
			 "ends a fork bomb); see 'secretctl doctor'");
	}
	cli_harden();
	if (o.patterns) {
		int r = cli_vault_unlock(o.password_stdin, &v);
		if (r != CLI_OK)
			goto out;
	}
	struct cli_resolve_opts ro = { .patterns = o.patterns, .from_env = o.from_env,
				       .env_alias = o.env_alias, .env_prefix = o.env_prefix };
	if (cli_resolve(v, &ro, &secrets) != CLI_OK)
		goto out;
	keys = cli_secrets_keys(secrets);

	io.sanitize = !o.no_sanitize;
	if (io.sanitize) {
		set = san_set_new();
		if (!set) {
			cli_error("out of memory");
			goto out;
		}
		for (size_t i = 0; i < secrets->n; i++) {
			const struct cli_secret_item *it = &secrets->items[i];
			/* The placeholder names the variable the command sees ([REDACTED:DB_PASSWORD]),
			 * which is what its output refers to; the error names the vault key. */
			const char *name = it->key ? it->key : it->env;
			int r = san_set_add(set, it->env, it->value->data, it->value->len);
			if (r == -EINVAL) {
				cli_error("run: secret %s is shorter than %d bytes and cannot be redacted "
					  "reliably; refusing (--no-sanitize to run anyway)",
					  name, SAN_MIN_SECRET_LEN);
				goto out;
			} else if (r < 0) {
				cli_error("run: cannot add %s to the redaction set: %s", name,
					  strerror(-r));
				goto out;
			}
		}
		io.set = set; /* compiled by sink_started, in parallel with the sandbox setup */
	} else {
		fprintf(stderr, "secretctl: WARNING: --no-sanitize: output is NOT redacted; any "
				"secret the command prints appears in clear text\n");
	}
	if (o.profile == SUP_PROFILE_OFF)
		cli_warn("run: --sandbox off: the command runs WITHOUT the sandbox (it can read "
			 "the vault files and signal or trace this process); output is still %s",
			 io.sanitize ? "redacted" : "NOT redacted");

	spec = sup_spec_new(cmd);
	if (!spec || sup_spec_env_base(spec, environ) < 0) {
		cli_error("run: cannot prepare the command (too many arguments or out of memory)");
		goto out;
	}
	for (size_t i = 0; i < secrets->n; i++) {
		const struct cli_secret_item *it = &secrets->items[i];
		int r = sup_spec_env(spec, it->env, it->value->data, it->value->len);
		if (r == -EPERM) {
			cli_error("run: refusing to inject %s: that variable changes how programs "
				  "start (use --env-prefix)", it->env);
			goto out;
		} else if (r < 0) {
			cli_error("run: cannot inject %s: %s", it->env,
				  r == -EINVAL ? "invalid name or a value with a NUL byte"
					       : strerror(-r));
			goto out;
		}
	}
	/* The spec holds the only copy the child needs; the sanitizer set keeps its own. */
	secrets = cli_secrets_free(secrets);

	vdir = vault_dir_default(NULL);
	if ((vdir && strv_push(&hidden, vdir) < 0)) {
		cli_error("out of memory");
		goto out;
	}
	const char *pol = secure_getenv(POLICY_ENV);
	if ((pol && pol[0] == '/' && strv_push(&hidden, pol) < 0) || hide_agents(&hidden) < 0) {
		cli_error("out of memory");
		goto out;
	}
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		cli_error("run: cannot determine the working directory: %s", strerror(errno));
		goto out;
	}
	int in_fd = fcntl(STDIN_FILENO, F_GETFD) < 0 ? -1 : STDIN_FILENO;
	struct sup_opts so = {
		.profile = o.profile, .deny_network = deny_net,
		.io = pty ? SUP_IO_PTY : SUP_IO_PIPE, .stdin_fd = in_fd, .cwd = cwd,
		.hidden = hidden, .writable = o.writable, .timeout_ms = o.timeout_ms,
		.idle_ms = SAN_IDLE_FLUSH_MS, .rlimit_nproc = o.nproc ? o.nproc : CLI_RUN_NPROC_DEFAULT,
		.rlimit_nofile = o.nofile, .rlimit_fsize = o.fsize, .rlimit_as = o.as,
	};
	int r = sup_spec_set_opts(spec, &so);
	if (r < 0) {
		cli_error("run: invalid sandbox options: %s", strerror(-r));
		goto out;
	}
	struct sup_sinks sinks = { sink_out, sink_idle, &io, sink_started };
	struct sup_result res;
	struct reterr err = { .msg = "" };
	r = sup_run(spec, &sinks, &res, &err);
	spec = sup_spec_free(spec);
	/* The command line as the audit log and our errors show it: redacted with the compiled
	 * set; should building it have failed, it is withheld rather than shown unredacted. */
	if (io.sanitize && !io.compiled ? buf_puts(&cmdline, "[command withheld]") < 0
					: sanitize_argv(io.sanitize ? set : NULL, cmd, &cmdline) < 0) {
		cli_error("out of memory");
		rc = SUP_EXIT_FAILURE;
		goto out;
	}
	if (r < 0) {
		cli_error("run: %s", err.msg[0] ? err.msg : strerror(-r));
		memset(&res, 0, sizeof(res));
		res.failed = true;
		snprintf(res.stage, sizeof(res.stage), "supervisor");
		res.stage_errno = -r;
		rc = SUP_EXIT_FAILURE;
	} else {
		rc = sup_exit_code(&res);
		if (res.failed)
			report_failure(&res, cmdline.data ? cmdline.data : "");
		else if (res.timed_out)
			cli_error("run: timed out after %lld ms; the command's processes were "
				  "killed",
				  (long long)o.timeout_ms);
	}
	if (v) {
		struct reterr aerr = { .msg = "" };
		if (audit_detail(&detail, &o, deny_net, pty, &res, rc, set, &io) < 0) {
			cli_error("out of memory");
			rc = SUP_EXIT_FAILURE;
			goto out;
		}
		struct audit_event ev = {
			.action = "secret.run", .keys = keys, .command = cmdline.data,
			.success = !res.failed && !res.timed_out,
			.error = res.failed ? res.stage : res.timed_out ? "timeout" : NULL,
			.detail = detail.data,
		};
		if (audit_append(v, &ev, &aerr) < 0) {
			cli_error("run: could not record the run in the audit log: %s", aerr.msg);
			if (rc == 0)
				rc = SUP_EXIT_FAILURE;
		}
	}
out:
	for (int s = 0; s < 3; s++)
		san_stream_free(io.st[s]);
	san_set_free(set);
	sup_spec_free(spec);
	cli_secrets_free(secrets);
	vault_free(v);
	free(keys);
	free(vdir);
	strv_free(hidden);
	strv_free(o.patterns);
	strv_free(o.from_env);
	strv_free(o.writable);
	buf_release(&cmdline);
	buf_release(&detail);
	return rc;
}
