/* SPDX-License-Identifier: Apache-2.0 */
/* policy: command decisions (built-in denies, denied_commands, allowed_commands, default_action),
 * the sandbox settings a run gets, and which vault keys may go to it. Judges argv words and the
 * files they name, never a shell string. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy-internal.h"

const char *policy_rule_kind_name(enum policy_rule_kind k)
{
	switch (k) {
	case POLICY_RULE_BUILTIN: return "built-in";
	case POLICY_RULE_DENIED: return "denied_commands";
	case POLICY_RULE_ALLOWED: return "allowed_commands";
	case POLICY_RULE_DEFAULT: return "default_action";
	case POLICY_RULE_NOT_FOUND: return "not found";
	}
	return "unknown";
}

/* What an entry's command word resolves to, found once per decision: a command line with many
 * words to judge (after a wrapper) must not cost a PATH search per entry per word. */
struct entry_id {
	signed char state; /* 0 not looked up yet, 1 found, -1 not found */
	dev_t dev;
	ino_t ino;
};

/* Hard-linked files already identified (prog_by_file). */
#define LINK_MEMO 8
struct link_memo {
	size_t n;
	struct {
		dev_t dev;
		ino_t ino;
		const struct prog *prog;
	} v[LINK_MEMO];
};

/* One decision in progress. */
struct judge {
	const struct policy *p;
	char *const *argv;
	size_t argc;
	const char *cwd;
	const char *path;
	bool cwd_in_proc; /* the run starts inside /proc: "environ" alone names a process's */
	bool have_self;
	struct stat self; /* our own executable */
	struct policy_decision *d;
	struct entry_id *ids_denied, *ids_allowed, *ids_commands; /* one per entry */
	struct link_memo *memo; /* writable through a const judge */
};

/* Text for a rule line: at most max bytes of s, non-printable bytes as '?'. */
static const char *show(const char *s, char *out, size_t max)
{
	size_t i, o = 0, len = strlen(s);
	for (i = 0; i < len && o + 4 < max; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static void rule_set(struct policy_decision *d, enum policy_verdict v, enum policy_rule_kind k,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void rule_set(struct policy_decision *d, enum policy_verdict v, enum policy_rule_kind k,
		     const char *fmt, ...)
{
	va_list ap;
	d->verdict = v;
	d->kind = k;
	va_start(ap, fmt);
	/* A long argument may be cut: the rule is one line for people, not a record. */
	if (vsnprintf(d->rule, sizeof(d->rule), fmt, ap) < 0)
		d->rule[0] = '\0';
	va_end(ap);
}

static const char *base(const char *s)
{
	const char *b = strrchr(s, '/');
	return b ? b + 1 : s;
}

/* ---- resolving a command word ------------------------------------------------------------- */

/* A regular file we may execute. */
static bool exec_file(const char *path, struct stat *st)
{
	return stat(path, st) == 0 && S_ISREG(st->st_mode) &&
	       faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

static int resolve_final(const char *cand, char *ret_real, struct stat *ret_st)
{
	char *real = realpath(cand, NULL);
	if (!real)
		return -ENOENT;
	size_t l = strlen(real);
	if (l >= PATH_MAX || stat(real, ret_st) < 0 || !S_ISREG(ret_st->st_mode)) {
		free(real);
		return -ENOENT;
	}
	memcpy(ret_real, real, l + 1);
	free(real);
	return 0;
}

/* Resolve a command word as execvp would: a word without '/' through each directory of PATH,
 * any other against cwd; then realpath into ret_real (PATH_MAX bytes), the file's stat into
 * ret_st (also used as scratch), and the path as found, symlinks not resolved, into ret_found
 * (PATH_MAX bytes; may be NULL). 0 or -ENOENT. PATH entries that are not absolute (an empty
 * entry means the working directory) are skipped: a file dropped into the working directory
 * must not become "npm". */
static int resolve_found(const struct judge *jd, const char *word, char *ret_real,
			 struct stat *ret_st, char *ret_found)
{
	char cand[PATH_MAX];
	int n;
	if (!*word)
		return -ENOENT;
	if (strchr(word, '/')) {
		n = word[0] == '/' ? snprintf(cand, sizeof(cand), "%s", word)
				   : snprintf(cand, sizeof(cand), "%s/%s", jd->cwd, word);
		if (n < 0 || (size_t)n >= sizeof(cand) || !exec_file(cand, ret_st))
			return -ENOENT;
		if (ret_found)
			memcpy(ret_found, cand, (size_t)n + 1);
		return resolve_final(cand, ret_real, ret_st);
	}
	for (const char *p = jd->path; *p;) {
		size_t l = strcspn(p, ":");
		if (l && l < PATH_MAX && p[0] == '/') {
			n = snprintf(cand, sizeof(cand), "%.*s/%s", (int)l, p, word);
			if (n >= 0 && (size_t)n < sizeof(cand) && exec_file(cand, ret_st)) {
				if (ret_found)
					memcpy(ret_found, cand, (size_t)n + 1);
				return resolve_final(cand, ret_real, ret_st);
			}
		}
		p += l;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

static int resolve(const struct judge *jd, const char *word, char *ret_real, struct stat *ret_st)
{
	return resolve_found(jd, word, ret_real, ret_st, NULL);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* ---- entries ------------------------------------------------------------------------------ */

/* Is the entry's command word the file st? Looked up once per decision (id may be NULL). */
static bool entry_is_file(const struct judge *jd, const struct policy_cmd *e, struct entry_id *id,
			  const struct stat *st)
{
	char real[PATH_MAX];
	struct stat est;
	struct entry_id local = { 0 };
	if (!id)
		id = &local;
	if (id->state == 0) {
		bool found = resolve(jd, e->words[0], real, &est) == 0;
		*id = (struct entry_id){ .state = found ? 1 : -1,
					 .dev = est.st_dev,
					 .ino = est.st_ino };
	}
	return id->state == 1 && id->dev == st->st_dev && id->ino == st->st_ino;
}

/* Does entry e match the command argv[0..argc) whose argv[0] resolved to (resolved, st)? */
static bool entry_matches(const struct judge *jd, const struct policy_cmd *e, struct entry_id *id,
			  char *const *argv, size_t argc, const char *resolved,
			  const struct stat *st)
{
	if (argc < e->nwords)
		return false;
	for (size_t i = 1; i < e->nwords; i++)
		if (strcmp(e->words[i], argv[i]) != 0)
			return false;
	if (!e->is_path && strcmp(base(resolved), e->words[0]) == 0)
		return true;
	/* The entry's own file: "python" is whatever PATH's python is (python3.11 through a
	 * symlink); "./deploy.sh" the file in the run's working directory. */
	return entry_is_file(jd, e, id, st);
}

static const struct policy_cmd *list_match(const struct judge *jd, const struct policy_cmd_list *l,
					   struct entry_id *ids, char *const *argv, size_t argc,
					   const char *resolved, const struct stat *st)
{
	for (size_t i = 0; i < l->n; i++)
		if (entry_matches(jd, &l->v[i], ids ? &ids[i] : NULL, argv, argc, resolved, st))
			return &l->v[i];
	return NULL;
}

/* ---- built-in denies ---------------------------------------------------------------------- */

enum {
	CLS_ENV = 1u << 0,	 /* prints the environment */
	CLS_SHELL = 1u << 1,	 /* -c runs a command line */
	CLS_WRAPPER = 1u << 2,	 /* runs its arguments as a command */
	CLS_MULTI = 1u << 3,	 /* multi-call binary: the next argument is the program */
	CLS_COREUTILS = 1u << 4, /* multi-call through --coreutils-prog=NAME */
	CLS_SELF = 1u << 5,	 /* secretctl itself */
};
enum {
	SH_UPPER_C = 1u << 0, /* -C also runs a command line (fish, pwsh) */
	SH_E = 1u << 1,	      /* -e / -EncodedCommand runs one (pwsh) */
};

struct prog {
	const char *name;
	unsigned cls, sh;
};

/* Known by name. Keep docs/policy.md "Built-in denies" in step. */
static const struct prog progs[] = {
	{ "busybox", CLS_MULTI, 0 },
	{ "toybox", CLS_MULTI, 0 },
	{ "coreutils", CLS_COREUTILS, 0 },
	{ "env", CLS_ENV | CLS_WRAPPER, 0 },
	{ "printenv", CLS_ENV, 0 },
	{ "secretctl", CLS_SELF, 0 },
	{ "export", CLS_ENV, 0 },
	{ "set", CLS_ENV, 0 },
	{ "sh", CLS_SHELL, 0 },
	{ "bash", CLS_SHELL, 0 },
	{ "rbash", CLS_SHELL, 0 },
	{ "dash", CLS_SHELL, 0 },
	{ "ash", CLS_SHELL, 0 },
	{ "hush", CLS_SHELL, 0 },
	{ "zsh", CLS_SHELL, 0 },
	{ "ksh", CLS_SHELL, 0 },
	{ "mksh", CLS_SHELL, 0 },
	{ "pdksh", CLS_SHELL, 0 },
	{ "oksh", CLS_SHELL, 0 },
	{ "loksh", CLS_SHELL, 0 },
	{ "lksh", CLS_SHELL, 0 },
	{ "posh", CLS_SHELL, 0 },
	{ "yash", CLS_SHELL, 0 },
	{ "csh", CLS_SHELL, 0 },
	{ "tcsh", CLS_SHELL, 0 },
	{ "fish", CLS_SHELL, SH_UPPER_C },
	{ "rc", CLS_SHELL, 0 },
	{ "es", CLS_SHELL, 0 },
	{ "elvish", CLS_SHELL, 0 },
	{ "nu", CLS_SHELL, 0 },
	{ "xonsh", CLS_SHELL, 0 },
	{ "pwsh", CLS_SHELL, SH_UPPER_C | SH_E },
	{ "powershell", CLS_SHELL, SH_UPPER_C | SH_E },
	/* -c hands a command line to a shell */
	{ "su", CLS_SHELL | CLS_WRAPPER, 0 },
	{ "runuser", CLS_SHELL | CLS_WRAPPER, 0 },
	{ "sg", CLS_SHELL | CLS_WRAPPER, 0 },
	{ "script", CLS_SHELL, 0 },
	{ "flock", CLS_SHELL | CLS_WRAPPER, 0 },
	/* run their arguments as a command */
	{ "nice", CLS_WRAPPER, 0 },
	{ "nohup", CLS_WRAPPER, 0 },
	{ "timeout", CLS_WRAPPER, 0 },
	{ "stdbuf", CLS_WRAPPER, 0 },
	{ "setsid", CLS_WRAPPER, 0 },
	{ "time", CLS_WRAPPER, 0 },
	{ "xargs", CLS_WRAPPER, 0 },
	{ "sudo", CLS_WRAPPER, 0 },
	{ "doas", CLS_WRAPPER, 0 },
	{ "pkexec", CLS_WRAPPER, 0 },
	{ "chroot", CLS_WRAPPER, 0 },
	{ "unshare", CLS_WRAPPER, 0 },
	{ "nsenter", CLS_WRAPPER, 0 },
	{ "setpriv", CLS_WRAPPER, 0 },
	{ "ionice", CLS_WRAPPER, 0 },
	{ "taskset", CLS_WRAPPER, 0 },
	{ "chrt", CLS_WRAPPER, 0 },
	{ "prlimit", CLS_WRAPPER, 0 },
	{ "watch", CLS_WRAPPER, 0 },
	{ "strace", CLS_WRAPPER, 0 },
	{ "ltrace", CLS_WRAPPER, 0 },
	{ "valgrind", CLS_WRAPPER, 0 },
	{ "eatmydata", CLS_WRAPPER, 0 },
	{ "fakeroot", CLS_WRAPPER, 0 },
	{ "firejail", CLS_WRAPPER, 0 },
	{ "bwrap", CLS_WRAPPER, 0 },
	{ "proot", CLS_WRAPPER, 0 },
	{ "systemd-run", CLS_WRAPPER, 0 },
	{ "find", CLS_WRAPPER, 0 },
	{ "parallel", CLS_WRAPPER, 0 },
	{ "command", CLS_WRAPPER, 0 },
	{ "builtin", CLS_WRAPPER, 0 },
	{ "exec", CLS_WRAPPER, 0 },
};

/* name is the program's name, or it plus a version or static-build suffix ("bash5.2",
 * "busybox-static"). */
static const struct prog *prog_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		size_t l = strlen(progs[i].name);
		if (strncmp(name, progs[i].name, l) != 0)
			continue;
		const char *rest = name + l;
		if (!*rest || !strcmp(rest, "-static") || !strcmp(rest, ".static") ||
		    strspn(rest, "0123456789.") == strlen(rest))
			return &progs[i];
	}
	return NULL;
}

bool policy_is_shell(const char *word)
{
	const char *base = word ? strrchr(word, '/') : NULL;
	const struct prog *pr = word ? prog_find(base ? base + 1 : word) : NULL;
	return pr && (pr->cls & CLS_SHELL);
}

static const char *const std_dirs[] = {
	"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
};

/* Is st the file that name resolves to in a standard directory or a PATH directory? */
static bool file_named(const struct judge *jd, const char *name, const struct stat *st)
{
	char cand[PATH_MAX];
	struct stat o;
	for (size_t i = 0; i < ARRAY_SIZE(std_dirs); i++) {
		int n = snprintf(cand, sizeof(cand), "%s/%s", std_dirs[i], name);
		if (n > 0 && (size_t)n < sizeof(cand) && stat(cand, &o) == 0 && same_file(&o, st))
			return true;
	}
	char real[PATH_MAX];
	return resolve(jd, name, real, &o) == 0 && same_file(&o, st);
}

/* A file with several hard links has several names: find a known program among them (the
 * multi-call binaries first: their other names are their applets, judged by name). */
static const struct prog *prog_by_file(const struct judge *jd, const struct stat *st)
{
	const struct prog *found = NULL;
	if (st->st_nlink < 2)
		return NULL;
	struct link_memo *m = jd->memo;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].dev == st->st_dev && m->v[i].ino == st->st_ino)
			return m->v[i].prog;
	for (int pass = 0; pass < 2 && !found; pass++)
		for (size_t i = 0; i < ARRAY_SIZE(progs) && !found; i++) {
			bool multi = progs[i].cls & (CLS_MULTI | CLS_COREUTILS);
			if (multi == (pass == 0) && file_named(jd, progs[i].name, st))
				found = &progs[i];
		}
	/* Remembered: many words can name one file (`xargs perl perl perl ...`). */
	size_t slot = m->n < LINK_MEMO ? m->n++ : LINK_MEMO - 1;
	m->v[slot].dev = st->st_dev;
	m->v[slot].ino = st->st_ino;
	m->v[slot].prog = found;
	return found;
}

/* Where options that run a command line appear (the last index of each kind, 0 for none). */
struct scan {
	size_t last_c;	   /* -c, a cluster with c (-ec), --command, --init-command */
	size_t last_upper; /* a cluster with C */
	size_t last_e;	   /* a cluster with e or E */
	bool wrapped;	   /* a wrapper was seen: every later word may be the command it runs */
	size_t applet;	   /* the argument a multi-call binary runs, 0 for none */
	const char *via;   /* the wrapper or multi-call program that runs the current word */
};

static void scan_options(const struct judge *jd, struct scan *sc)
{
	for (size_t i = 1; i < jd->argc; i++) {
		const char *a = jd->argv[i];
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] == '-') {
			size_t l = strcspn(a + 2, "=");
			if (str_eq_n(a + 2, l, "command") || str_eq_n(a + 2, l, "init-command"))
				sc->last_c = i;
			continue;
		}
		if (strchr(a + 1, 'c'))
			sc->last_c = i;
		if (strchr(a + 1, 'C'))
			sc->last_upper = i;
		if (strchr(a + 1, 'e') || strchr(a + 1, 'E'))
			sc->last_e = i;
	}
}

static bool shell_runs_line(const struct scan *sc, const struct prog *pr, size_t j)
{
	return sc->last_c > j || ((pr->sh & SH_UPPER_C) && sc->last_upper > j) ||
	       ((pr->sh & SH_E) && sc->last_e > j);
}

/* The shell at argv[j] may run -c when an allowed_commands entry matches it ("bash", or
 * "bash -c" for any command line). */
static bool shell_waived(const struct judge *jd, size_t j, const char *resolved,
			 const struct stat *st)
{
	return jd->p && resolved &&
	       list_match(jd, &jd->p->allowed, jd->ids_allowed, jd->argv + j, jd->argc - j,
			  resolved, st);
}

/* Judge one name of the word at argv[j] (shown as `word`). 1 denied (rule set), else 0. */
static int judge_name(const struct judge *jd, struct scan *sc, size_t j, const struct prog *pr,
		      const char *how, const char *resolved, const struct stat *st)
{
	char w[96], v[64];
	show(jd->argv[j], w, sizeof(w));
	if (pr->cls & CLS_SELF) {
		rule_set(jd->d, POLICY_DENY, POLICY_RULE_BUILTIN,
			 "built-in: '%s'%s is secretctl itself (a run must not reach the vault or "
			 "start runs)",
			 w, how);
		return 1;
	}
	if (pr->cls & CLS_ENV) {
		if (sc->via)
			rule_set(jd->d, POLICY_DENY, POLICY_RULE_BUILTIN,
				 "built-in: '%s'%s (run by '%s') prints the environment", w, how,
				 show(sc->via, v, sizeof(v)));
		else
			rule_set(jd->d, POLICY_DENY, POLICY_RULE_BUILTIN,
				 "built-in: '%s'%s prints the environment", w, how);
		return 1;
	}
	if ((pr->cls & CLS_SHELL) && shell_runs_line(sc, pr, j) &&
	    !shell_waived(jd, j, resolved, st)) {
		rule_set(jd->d, POLICY_DENY, POLICY_RULE_BUILTIN,
			 "built-in: '%s'%s with -c runs a command line (list that shell in "
			 "allowed_commands to allow it)",
			 w, how);
		return 1;
	}
	if (pr->cls & CLS_WRAPPER) {
		sc->wrapped = true;
		sc->via = pr->name;
	}
	return 0;
}

/* coreutils as a single binary: `coreutils --coreutils-prog=env`. */
static int judge_coreutils(const struct judge *jd, struct scan *sc, size_t j)
{
	static const char opt[] = "--coreutils-prog=";
	for (size_t i = j + 1; i < jd->argc; i++) {
		if (strncmp(jd->argv[i], opt, sizeof(opt) - 1) != 0)
			continue;
		const struct prog *pr = prog_find(jd->argv[i] + sizeof(opt) - 1);
		sc->via = "coreutils";
		if (pr && judge_name(jd, sc, i, pr, "", NULL, NULL))
			return 1;
	}
	return 0;
}

/* Judge the word at argv[j] as a program: by its name as written (the first word of it: a
 * wrapper such as watch may hand it to a shell), by the name of the file it resolves to, and
 * by a known program that file is a hard link of. */
static int judge_word(const struct judge *jd, struct scan *sc, size_t j, const char *resolved,
		      const struct stat *st)
{
	char tok[PATH_MAX];
	const char *word = jd->argv[j];
	size_t tl = strcspn(word, " \t\n");
	if (tl >= sizeof(tok))
		tl = sizeof(tok) - 1;
	memcpy(tok, word, tl);
	tok[tl] = '\0';

	static const struct prog self = { "secretctl", CLS_SELF, 0 };
	const struct prog *written = prog_find(base(tok));
	const struct prog *real = resolved ? prog_find(base(resolved)) : NULL;
	const struct prog *linked = resolved ? prog_by_file(jd, st) : NULL;
	char how[96], r[64];
	/* /proc/self/exe, or another link to our own binary */
	if (resolved && jd->have_self && same_file(&jd->self, st))
		real = &self;
	if (written && judge_name(jd, sc, j, written, "", resolved, st))
		return 1;
	snprintf(how, sizeof(how), " (the file is %s)",
		 resolved ? show(resolved, r, sizeof(r)) : "");
	if (real && real != written && judge_name(jd, sc, j, real, how, resolved, st))
		return 1;
	snprintf(how, sizeof(how), " (a hard link of '%s')", linked ? linked->name : "");
	if (linked && linked != written && linked != real &&
	    !(linked->cls & (CLS_MULTI | CLS_COREUTILS)) &&
	    judge_name(jd, sc, j, linked, how, resolved, st))
		return 1;
	/* `busybox env`: the applet is the next word; `sh` linked to busybox is judged as "sh". */
	if (written && (written->cls & CLS_MULTI)) {
		sc->applet = j + 1;
		sc->via = written->name;
	}
	if ((written && (written->cls & CLS_COREUTILS)) || (real && (real->cls & CLS_COREUTILS)))
		return judge_coreutils(jd, sc, j);
	return 0;
}

/* "environ" (or "mem") as a path segment of an argument that names /proc: a process's
 * environment holds the secrets of the run. */
static bool names_proc_secret(const char *arg, bool in_proc)
{
	static const char *const files[] = { "environ", "mem" };
	if (!in_proc && !strstr(arg, "proc"))
		return false;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		size_t l = strlen(files[f]);
		for (const char *p = arg; (p = strstr(p, files[f])); p += l) {
			char next = p[l];
			bool word = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
				    (next >= '0' && next <= '9') || next == '_';
			if ((p == arg || p[-1] == '/') && !word)
				return true;
		}
	}
	return false;
}

static bool reads_environ(const struct judge *jd, const char *arg)
{
	char cand[PATH_MAX];
	if (names_proc_secret(arg, jd->cwd_in_proc))
		return true;
	/* Through a symlink (e -> /proc/self/environ): the file the argument names, if any. */
	int n = arg[0] == '/' ? snprintf(cand, sizeof(cand), "%s", arg)
			      : snprintf(cand, sizeof(cand), "%s/%s", jd->cwd, arg);
	if (n < 0 || (size_t)n >= sizeof(cand) || !*arg)
		return false;
	char *real = realpath(cand, NULL);
	bool hit = real && str_has_prefix(real, "/proc/") && names_proc_secret(real, true);
	free(real);
	return hit;
}

/* 1 when a built-in deny applies (d->rule set), else 0. */
static int builtin_deny(const struct judge *jd, const struct stat *st0)
{
	struct scan sc = { 0 };
	char w[96];
	for (size_t i = 1; i < jd->argc; i++)
		if (reads_environ(jd, jd->argv[i])) {
			rule_set(jd->d, POLICY_DENY, POLICY_RULE_BUILTIN,
				 "built-in: argument '%s' reads a process's environment or memory",
				 show(jd->argv[i], w, sizeof(w)));
			return 1;
		}
	scan_options(jd, &sc);
	const char *r0 = jd->d->resolved[0] ? jd->d->resolved : NULL;
	if (judge_word(jd, &sc, 0, r0, r0 ? st0 : NULL))
		return 1;
	for (size_t j = 1; j < jd->argc; j++) {
		if (!sc.wrapped && j != sc.applet)
			continue;
		char real[PATH_MAX];
		struct stat st;
		bool found = resolve(jd, jd->argv[j], real, &st) == 0;
		if (judge_word(jd, &sc, j, found ? real : NULL, found ? &st : NULL))
			return 1;
	}
	return 0;
}

/* ---- decisions ---------------------------------------------------------------------------- */

static void merge_sandbox(struct policy_sandbox *out, const struct policy_sandbox *o)
{
	if (o->profile)
		out->profile = o->profile;
	if (o->network >= 0)
		out->network = o->network;
	if (o->writable)
		out->writable = o->writable;
	if (o->sockets)
		out->sockets = o->sockets;
	if (o->timeout_ms)
		out->timeout_ms = o->timeout_ms;
	if (o->max_output)
		out->max_output = o->max_output;
	if (o->memory)
		out->memory = o->memory;
}

static void decide_lists(const struct judge *jd, const struct stat *st)
{
	const struct policy *p = jd->p;
	struct policy_decision *d = jd->d;
	const struct policy_cmd *e;
	char w[128], cmd[200];
	if (p &&
	    (e = list_match(jd, &p->denied, jd->ids_denied, jd->argv, jd->argc, d->resolved, st))) {
		rule_set(d, POLICY_DENY, POLICY_RULE_DENIED, "denied_commands: '%s' (line %d)",
			 show(e->text, w, sizeof(w)), e->line);
		return;
	}
	if (p && (e = list_match(jd, &p->allowed, jd->ids_allowed, jd->argv, jd->argc, d->resolved,
				 st))) {
		rule_set(d, POLICY_ALLOW, POLICY_RULE_ALLOWED, "allowed_commands: '%s' (line %d)",
			 show(e->text, w, sizeof(w)), e->line);
		return;
	}
	/* The file judged and its first argument (what "npm test"-style entries look at). */
	show(d->resolved, cmd, 128);
	if (jd->argc > 1) {
		size_t o = strlen(cmd);
		cmd[o++] = ' ';
		show(jd->argv[1], cmd + o, sizeof(cmd) - o);
	}
	if (p && p->default_action == POLICY_ALLOW)
		rule_set(d, POLICY_ALLOW, POLICY_RULE_DEFAULT,
			 "default_action: allow (no denied_commands or allowed_commands entry "
			 "matches '%s')",
			 cmd);
	else
		rule_set(d, POLICY_DENY, POLICY_RULE_DEFAULT,
			 "default_action: deny (no allowed_commands entry matches '%s')", cmd);
}

static void decide_sandbox(const struct judge *jd, const struct stat *st)
{
	const struct policy *p = jd->p;
	struct policy_decision *d = jd->d;
	if (!p)
		return;
	merge_sandbox(&d->sandbox, &p->sandbox.pub);
	for (size_t i = 0; st && i < p->ncommands; i++)
		if (entry_matches(jd, &p->commands[i].match, &jd->ids_commands[i], jd->argv,
				  jd->argc, d->resolved, st)) {
			d->command_index = (int)i;
			merge_sandbox(&d->sandbox, &p->commands[i].sb.pub);
			break;
		}
}

/* One entry_id per entry of the lists and of commands: (see struct entry_id). */
static int alloc_ids(struct judge *jd, struct entry_id **ret_all)
{
	const struct policy *p = jd->p;
	size_t n = p ? p->denied.n + p->allowed.n + p->ncommands : 0;
	struct entry_id *ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	jd->ids_denied = ids;
	jd->ids_allowed = ids + (p ? p->denied.n : 0);
	jd->ids_commands = jd->ids_allowed + (p ? p->allowed.n : 0);
	*ret_all = ids;
	return 0;
}

int policy_decide(const struct policy *p, const struct policy_request *rq,
		  struct policy_decision *ret, struct reterr *err)
{
	struct policy_decision d = { .command_index = -1, .sandbox = { .network = -1 } };
	struct link_memo memo = { 0 };
	struct judge jd = { .p = p, .d = &d, .memo = &memo };
	AUTO_FREE struct entry_id *ids = NULL;
	char w[96], cwd[PATH_MAX];
	struct stat st;

	if (!rq || !rq->argv || !rq->argv[0] || !ret)
		return reterr_set(err, -EINVAL, "no command to judge");
	if (!rq->cwd || rq->cwd[0] != '/')
		return reterr_set(err, -EINVAL, "the working directory must be an absolute path");
	while (rq->argv[jd.argc])
		if (++jd.argc > POLICY_ARGV_MAX)
			return reterr_set(err, -E2BIG, "more than %d arguments", POLICY_ARGV_MAX);
	jd.argv = rq->argv;
	jd.cwd = rq->cwd;
	jd.path = rq->path ? rq->path : POLICY_DEFAULT_PATH;
	const char *c = realpath(rq->cwd, cwd) ? cwd : rq->cwd;
	jd.cwd_in_proc = !strcmp(c, "/proc") || str_has_prefix(c, "/proc/");
	/* Through the link's text, as a run would see it (and as valgrind shows it). */
	char self[PATH_MAX];
	jd.have_self = realpath("/proc/self/exe", self) && stat(self, &jd.self) == 0;
	if (alloc_ids(&jd, &ids) < 0)
		return -ENOMEM;

	bool found = resolve_found(&jd, rq->argv[0], d.resolved, &st, d.found) == 0;
	if (!found) {
		d.resolved[0] = '\0';
		d.found[0] = '\0';
	} else {
		d.dev = (uint64_t)st.st_dev;
		d.ino = (uint64_t)st.st_ino;
	}
	if (builtin_deny(&jd, &st)) {
		/* decided */
	} else if (!found) {
		show(rq->argv[0], w, sizeof(w));
		if (strchr(rq->argv[0], '/'))
			rule_set(&d, POLICY_DENY, POLICY_RULE_NOT_FOUND,
				 "not found: '%s' is not an executable file", w);
		else
			rule_set(&d, POLICY_DENY, POLICY_RULE_NOT_FOUND,
				 "not found: no executable '%s' in PATH", w);
	} else {
		decide_lists(&jd, &st);
	}
	decide_sandbox(&jd, found ? &st : NULL);
	*ret = d;
	return 0;
}

/* ---- keys --------------------------------------------------------------------------------- */

static int glob_find(const struct policy_globs *g, const char *key)
{
	for (size_t i = 0; i < g->n; i++)
		if (glob_match(g->v[i], key))
			return (int)i;
	return -1;
}

int policy_key_check(const struct policy *p, const struct policy_decision *d, const char *key,
		     struct reterr *err)
{
	char k[YSHOW_MAX], g[YSHOW_MAX], m[YSHOW_MAX];
	int i;
	if (!d || !key || !*key)
		return reterr_set(err, -EINVAL, "no key to check");
	if (!p)
		return 0;
	if (d->command_index >= 0 && (size_t)d->command_index >= p->ncommands)
		return reterr_set(err, -EINVAL, "the decision is not from this policy");
	policy_show(key, strlen(key), k);
	if ((i = glob_find(&p->denied_keys, key)) >= 0)
		return reterr_set(err, -EACCES, "key '%s' is refused by denied_keys '%s' (line %d)",
				  k,
				  policy_show(p->denied_keys.v[i], strlen(p->denied_keys.v[i]), g),
				  p->denied_keys.lines[i]);
	if (p->allowed_keys.present && glob_find(&p->allowed_keys, key) < 0)
		return reterr_set(err, -EACCES, "key '%s' is not in allowed_keys (line %d)", k,
				  p->allowed_keys.line);
	const struct policy_cmd_rule *own =
		d->command_index >= 0 ? &p->commands[d->command_index] : NULL;
	if (own && own->keys.present) {
		if (glob_find(&own->keys, key) >= 0)
			return 0; /* listed for this very command */
		return reterr_set(err, -EACCES,
				  "key '%s' is not in the keys of commands entry '%s' (line %d)", k,
				  policy_show(own->match.text, strlen(own->match.text), m),
				  own->match.line);
	}
	for (size_t c = 0; c < p->ncommands; c++) {
		const struct policy_cmd_rule *cr = &p->commands[c];
		if (cr == own || (i = glob_find(&cr->keys, key)) < 0)
			continue;
		return reterr_set(err, -EACCES,
				  "key '%s' is reserved for commands entry '%s' (line %d) by its "
				  "keys entry '%s'",
				  k, policy_show(cr->match.text, strlen(cr->match.text), m),
				  cr->match.line,
				  policy_show(cr->keys.v[i], strlen(cr->keys.v[i]), g));
	}
	return 0;
}
