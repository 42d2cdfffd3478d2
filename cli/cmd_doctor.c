/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl doctor` shows which sandbox protections this kernel supports and what each
 * profile of `secretctl run` will use, by trying each profile's real setup, and how the vault
 * is kept: path, modes, owner, KDF profile (no password needed). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli-internal.h"
#include "broker/broker.h"
#include "supervisor/supervisor.h"

static void read_line(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "re");
	out[0] = '\0';
	if (!f)
		return;
	if (fgets(out, (int)n, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

struct probe_case {
	const char *label;
	enum sup_profile profile;
	bool deny_net;
};

static void print_nproc_bound(const char *label, uint64_t limit)
{
	switch (sup_nproc_bound(limit)) {
	case SUP_NPROC_RLIMIT:
		printf("%s RLIMIT_NPROC (bounds the tree inside the user namespace)\n", label);
		break;
	case SUP_NPROC_PIDMAX:
		printf("%s pid_max of each run's own pid namespace (Linux >= 6.14; bounds root "
		       "runs "
		       "at 300 processes or more)\n",
		       label);
		break;
	case SUP_NPROC_CGROUP:
		printf("%s pids cgroup (bounds the process tree of root runs; its attach costs a "
		       "kernel RCU grace period, often 10-20 ms per run)\n",
		       label);
		break;
	case SUP_NPROC_NONE:
		printf("%s NONE for root runs: no writable pids cgroup at /sys/fs/cgroup/pids, no "
		       "per-namespace pid_max, and RLIMIT_NPROC does not apply to root; only "
		       "--timeout "
		       "ends a fork bomb, and `run --limit nproc=N` is refused\n",
		       label);
		break;
	}
}

static void print_core_pattern(void)
{
	char buf[256];
	read_line("/proc/sys/kernel/core_pattern", buf, sizeof(buf));
	if (buf[0] == '|') {
		struct rlimit rl;
		bool stopped = getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_max >= 1;
		printf("core dumps:    WARNING: core_pattern pipes crashes to a helper (%s);\n"
		       "               such a helper (systemd-coredump) keeps the crashing "
		       "process's\n"
		       "               environment, that is, injected secrets.\n",
		       buf);
		if (stopped)
			printf("               Sandboxed commands run with a core limit of 1, "
			       "which the\n"
			       "               kernel treats as 'no helper', and cannot change it; "
			       "with\n"
			       "               --sandbox off a command can.\n");
		else
			printf("               Your hard core limit is 0, so the sandbox cannot "
			       "set the\n"
			       "               1 that stops the helper: raise it (ulimit -H -c 1) "
			       "or\n"
			       "               disable the helper.\n");
	} else if (buf[0]) {
		printf("core dumps:    core_pattern '%s' (sandboxed commands: core limit 1, no "
		       "core)\n",
		       buf);
	}
}

/* One line for the vault directory or file: mode, owner, and what is wrong with them (the rules
 * vault_open enforces: not a symlink, ours, nothing for group and others). */
static void print_vault_path(const char *label, const char *path, bool dir)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("  %-10s %s: %s\n", label, path, strerror(errno));
		return;
	}
	const struct passwd *pw = getpwuid(st.st_uid);
	const char *problem = S_ISLNK(st.st_mode)	     ? "a symlink: refused"
			      : dir != !!S_ISDIR(st.st_mode) ? "wrong file type: refused"
			      : st.st_uid != geteuid()	     ? "not yours: refused"
			      : (st.st_mode & 077)	     ? "group/others have access: refused"
							     : "ok";
	printf("  %-10s %s  mode %04o, owner %s (uid %u): %s\n", label, path,
	       (unsigned)(st.st_mode & 07777), pw ? pw->pw_name : "?", (unsigned)st.st_uid,
	       problem);
}

static const char *kdf_name(enum vault_kdf k)
{
	switch (k) {
	case VAULT_KDF_TEST: return "test";
	case VAULT_KDF_INTERACTIVE: return "interactive";
	case VAULT_KDF_MODERATE: return "moderate";
	case VAULT_KDF_SENSITIVE: return "sensitive";
	}
	return "?";
}

/* The vault section: false when a vault is there but its commands would refuse it. */
static bool print_vault(void)
{
	struct reterr err = RETERR_INIT;
	struct vault *v = NULL;
	struct vault_info info;
	AUTO_FREE char *dir = vault_dir_default(&err);
	AUTO_FREE char *file = NULL;
	printf("\nvault:\n");
	if (!dir || asprintf(&file, "%s/" VAULT_DB_NAME, dir) < 0) {
		printf("  %s\n", dir ? "out of memory" : reterr_str(&err, -ENOENT));
		return false;
	}
	if (access(dir, F_OK) < 0 && errno == ENOENT) {
		printf("  none at %s (create one with 'secretctl init')\n", dir);
		return true;
	}
	print_vault_path("directory", dir, true);
	print_vault_path("file", file, false);
	int r = vault_open(dir, &v, &err);
	if (r == -ENOENT) {
		printf("  no vault file (create one with 'secretctl init')\n");
		return true;
	}
	if (r == 0)
		r = vault_info(v, &info, &err);
	vault_free(v);
	if (r < 0) {
		printf("  PROBLEM: %s\n", reterr_str(&err, r));
		return false;
	}
	printf("  %-10s %lld\n", "format", (long long)info.format);
	printf("  %-10s Argon2id, %s%s (%llu pass%s, %llu MiB)\n", "KDF",
	       info.kdf_known ? kdf_name(info.kdf) : "custom", info.kdf_known ? " profile" : "",
	       (unsigned long long)info.kdf_ops, info.kdf_ops == 1 ? "" : "es",
	       (unsigned long long)(info.kdf_mem >> 20));
	if (info.kdf_known && info.kdf == VAULT_KDF_TEST) {
		printf("  WARNING: this vault uses the TEST profile, meant for test suites: its "
		       "password is\n  cheap to brute-force from a copy of vault.db. Re-key it: "
		       "secretctl password --kdf moderate\n");
		cli_warn("doctor: the vault in %s uses the insecure test KDF profile (re-key it: "
			 "secretctl password --kdf moderate)",
			 dir);
	}
	return true;
}

static int run(struct cli_ctx *ctx)
{
	(void)ctx;
	struct utsname u;
	char buf[256];
	if (uname(&u) == 0)
		printf("kernel:        %s %s %s\n", u.sysname, u.release, u.machine);
	printf("running as:    uid %u%s\n", (unsigned)geteuid(),
	       geteuid() == 0 ? " (root: no user namespace needed)" : "");
	read_line("/proc/sys/kernel/unprivileged_userns_clone", buf, sizeof(buf));
	if (buf[0])
		printf("unprivileged_userns_clone: %s\n", buf);
	read_line("/proc/sys/user/max_user_namespaces", buf, sizeof(buf));
	printf("max_user_namespaces: %s\n", buf[0] ? buf : "unknown");
	read_line("/proc/sys/kernel/seccomp/actions_avail", buf, sizeof(buf));
	printf("seccomp actions: %s\n", buf[0] ? buf : "unavailable");
	read_line("/proc/sys/dev/tty/legacy_tiocsti", buf, sizeof(buf));
	if (buf[0])
		printf("legacy TIOCSTI: %s%s\n", buf,
		       buf[0] == '1' ? " (blocked inside the sandbox by seccomp)" : "");
	print_core_pattern();
	print_nproc_bound("process limit:", BROKER_NPROC_DEFAULT);
	if (sup_nproc_bound(BROKER_NPROC_DEFAULT) == SUP_NPROC_PIDMAX)
		print_nproc_bound("process limit (--limit nproc below 300):", SUP_PID_MAX_MIN - 1);

	static const struct probe_case cases[] = {
		{ "standard", SUP_PROFILE_STANDARD, false },
		{ "standard --network deny", SUP_PROFILE_STANDARD, true },
		{ "strict", SUP_PROFILE_STRICT, true },
		{ "off", SUP_PROFILE_OFF, false },
	};
	bool standard_ok = false;
	printf("\nprofiles:\n");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sup_result res;
		int r = sup_probe(cases[i].profile, cases[i].deny_net, &res);
		if (r == 0) {
			printf("  %-24s OK\n", cases[i].label);
			if (i == 0)
				standard_ok = true;
		} else if (res.failed) {
			printf("  %-24s UNAVAILABLE: %s failed: %s\n", cases[i].label,
			       sup_stage_name(res.stage), strerror(res.stage_errno));
		} else {
			printf("  %-24s UNAVAILABLE: %s\n", cases[i].label, strerror(-r));
		}
		unsigned prot =
			r == 0 ? res.protections
			       : sup_profile_protections(cases[i].profile, cases[i].deny_net);
		printf("  %-24s uses:", "");
		const char *sep = " ";
		for (unsigned bit = 1; bit && bit <= SUP_PROT_LAST; bit <<= 1) {
			if (prot & bit) {
				printf("%s%s", sep, sup_protection_name(bit));
				sep = ", ";
			}
		}
		printf("\n");
	}
	printf("\nnot protected by any profile: a process of the same user outside the sandbox "
	       "can\n"
	       "read the command's /proc/<pid>/environ; argv is visible in /proc; output the\n"
	       "sanitizer cannot recognise (transformed secrets) is not redacted. See\n"
	       "docs/sandbox.md.\n");
	if (!standard_ok)
		printf("\nsecretctl run will refuse to run (exit 125) unless --sandbox off is "
		       "given.\n");
	bool vault_ok = print_vault();
	return standard_ok && vault_ok ? CLI_OK : CLI_EUSAGE;
}

const struct cli_command cli_cmd_doctor = {
	.name = "doctor",
	.summary = "show what this kernel supports and how the vault is kept",
	.about = "Try each sandbox profile of 'secretctl run' on this machine (without running "
		 "anything)\nand print what works, what each profile uses, and what is missing. "
		 "Then show the vault\n($SECRETCTL_VAULT_DIR or ~/.secretctl): its path, the modes "
		 "and owner of its directory\nand file, and its KDF profile (no password is "
		 "needed; a test-profile vault is\nwarned about).",
	.notes = "Exit status: 0 when the standard profile works and the vault, if there is one, "
		 "passes\nthe checks every command makes; 1 otherwise.",
	.run = run,
};
