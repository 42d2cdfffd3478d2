/* SPDX-License-Identifier: Apache-2.0 */
/* supervisor: the run spec (argv, clean environment in secure memory, options) and the pure
 * helpers around it: environment filtering, exit-code mapping, protection names. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

#include <sodium.h>

#include "supervisor/supervisor-internal.h"

/* Variables copied from the caller's environment: identity, locale, terminal, time zone. */
static const char *const env_base_names[] = { "PATH", "HOME", "USER",	"LOGNAME", "LANG",
					      "TERM", "TZ",   "TMPDIR", "LANGUAGE" };

struct sup_spec *sup_spec_new(char *const *argv)
{
	size_t n = argv ? strv_len(argv) : 0, bytes = 0;
	if (!argv || !argv[0] || !argv[0][0] || n > SUP_ARGV_MAX || secret_lib_init() < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(argv[i]) + 1;
		if (l > SUP_ENV_BYTES_MAX || (bytes += l) > SUP_ENV_BYTES_MAX)
			return NULL;
	}
	struct sup_spec *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	/* The strings go to secure memory: an argument may carry a secret the caller expanded
	 * into it ("curl -H 'Authorization: Bearer $TOKEN'"). */
	s->argv_mem = secret_new(bytes);
	s->argv = calloc(n + 1, sizeof(*s->argv));
	if (!s->argv_mem || !s->argv)
		return sup_spec_free(s);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(argv[i]) + 1;
		s->argv[i] = (char *)s->argv_mem->data + s->argv_mem->len;
		memcpy(s->argv[i], argv[i], l);
		s->argv_mem->len += l;
	}
	s->opts.profile = SUP_PROFILE_STANDARD;
	s->opts.stdin_fd = -1;
	return s;
}

struct sup_spec *sup_spec_free(struct sup_spec *s)
{
	if (!s)
		return NULL;
	free(s->argv);
	secret_free(s->argv_mem);
	secret_free(s->env);
	free(s->exec_file);
	free(s->cwd);
	strv_free(s->hidden);
	strv_free(s->writable);
	strv_free(s->sockets);
	free(s);
	return NULL;
}

int sup_spec_set_exec(struct sup_spec *s, const char *path, uint64_t dev, uint64_t ino)
{
	if (!s || s->used || !path || path[0] != '/')
		return -EINVAL;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	free(s->exec_file);
	s->exec_file = copy;
	s->exec_dev = dev;
	s->exec_ino = ino;
	return 0;
}

/* Remove an entry NAME=... from the block, wiping the bytes that move. */
static void env_remove(struct sup_spec *s, const char *name, size_t nlen)
{
	if (!s->env)
		return;
	unsigned char *p = s->env->data, *end = p + s->env->len;
	while (p < end) {
		size_t elen = strlen((const char *)p) + 1;
		if (elen > nlen && !memcmp(p, name, nlen) && p[nlen] == '=') {
			size_t tail = (size_t)(end - (p + elen));
			memmove(p, p + elen, tail);
			sodium_memzero(p + tail, elen);
			s->env->len -= elen;
			s->nenv--;
			return;
		}
		p += elen;
	}
}

static int env_put(struct sup_spec *s, const char *name, const void *value, size_t len)
{
	size_t nlen = strlen(name), total;
	if (memchr(value, '\0', len))
		return -EINVAL;
	if (__builtin_add_overflow(nlen, len, &total) || total + 2 > SUP_ENV_BYTES_MAX)
		return -E2BIG;
	env_remove(s, name, nlen);
	if (s->nenv >= SUP_ENV_MAX || (s->env && s->env->len + total + 2 > SUP_ENV_BYTES_MAX))
		return -E2BIG;
	int r;
	if (!s->env) {
		s->env = secret_new(4096 > total + 2 ? 4096 : total + 2);
		if (!s->env)
			return -ENOMEM;
	}
	if ((r = secret_append(&s->env, name, nlen)) < 0 ||
	    (r = secret_append(&s->env, "=", 1)) < 0 ||
	    (r = secret_append(&s->env, value, len)) < 0 || (r = secret_append(&s->env, "", 1)) < 0)
		return r;
	s->nenv++;
	return 0;
}

const char *sup_spec_getenv(const struct sup_spec *s, const char *name)
{
	size_t nlen = strlen(name);
	if (!s->env)
		return NULL;
	const unsigned char *p = s->env->data, *end = p + s->env->len;
	while (p < end) {
		size_t elen = strlen((const char *)p) + 1;
		if (elen > nlen && !memcmp(p, name, nlen) && p[nlen] == '=')
			return (const char *)p + nlen + 1;
		p += elen;
	}
	return NULL;
}

int sup_spec_env_base(struct sup_spec *s, char *const *envp)
{
	if (!s || s->used)
		return -EINVAL;
	bool have_path = false;
	for (size_t i = 0; envp && envp[i]; i++) {
		const char *eq = strchr(envp[i], '=');
		if (!eq || eq == envp[i])
			continue;
		size_t nlen = (size_t)(eq - envp[i]);
		bool keep = nlen > 3 && str_has_prefix(envp[i], "LC_");
		for (size_t j = 0; !keep && j < ARRAY_SIZE(env_base_names); j++)
			keep = strlen(env_base_names[j]) == nlen &&
			       !strncmp(envp[i], env_base_names[j], nlen);
		if (!keep)
			continue;
		char name[ENV_NAME_MAX + 1];
		if (nlen >= sizeof(name))
			continue;
		memcpy(name, envp[i], nlen);
		name[nlen] = '\0';
		if (!env_name_valid(name))
			continue;
		int r = env_put(s, name, eq + 1, strlen(eq + 1));
		if (r < 0)
			return r;
		have_path |= !strcmp(name, "PATH");
	}
	/* execvpe needs a search path; use the one a login shell would get. */
	if (!have_path) {
		static const char def[] = "/usr/local/bin:/usr/bin:/bin";
		return env_put(s, "PATH", def, sizeof(def) - 1);
	}
	return 0;
}

int sup_spec_env(struct sup_spec *s, const char *name, const void *value, size_t len)
{
	if (!s || s->used || !name || (!value && len))
		return -EINVAL;
	/* Named here so that no caller can get round the list (a secret named LD_PRELOAD would load
	 * a library of its choosing). */
	if (!env_name_valid(name))
		return -EINVAL;
	if (env_name_denied(name))
		return -EPERM;
	return env_put(s, name, value ? value : "", len);
}

int sup_spec_envp(const struct sup_spec *s, char ***ret)
{
	char **v = calloc(s->nenv + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	size_t i = 0;
	if (s->env) {
		unsigned char *p = s->env->data, *end = p + s->env->len;
		while (p < end && i < s->nenv) {
			v[i++] = (char *)p;
			p += strlen((const char *)p) + 1;
		}
	}
	v[i] = NULL;
	*ret = v;
	return 0;
}

static int strv_copy(char *const *src, char ***ret)
{
	char **v = NULL;
	if (strv_len(src) > SUP_PATHS_MAX)
		return -E2BIG;
	for (size_t i = 0; src && src[i]; i++) {
		if (src[i][0] != '/') {
			strv_free(v);
			return -EINVAL;
		}
		if (strv_push(&v, src[i]) < 0) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

int sup_spec_set_opts(struct sup_spec *s, const struct sup_opts *o)
{
	if (!s || !o || s->used)
		return -EINVAL;
	if (o->profile != SUP_PROFILE_OFF && o->profile != SUP_PROFILE_STANDARD &&
	    o->profile != SUP_PROFILE_STRICT)
		return -EINVAL;
	if ((o->io != SUP_IO_PIPE && o->io != SUP_IO_PTY) || o->timeout_ms < 0 || o->grace_ms < 0 ||
	    o->idle_ms < 0 || o->cancel_fd < 0 || (o->cwd && o->cwd[0] != '/'))
		return -EINVAL;
	/* Without a mount namespace nothing can be hidden: refuse rather than pretend. */
	if (o->profile == SUP_PROFILE_OFF && o->deny_network)
		return -EINVAL;
	char **hidden = NULL, **writable = NULL, **sockets = NULL, *cwd = NULL;
	if (strv_len(o->hidden) > SUP_PATHS_MAX || strv_len(o->writable) > SUP_PATHS_MAX ||
	    strv_len(o->sockets) > SUP_PATHS_MAX)
		return -E2BIG;
	int r = strv_copy(o->hidden, &hidden);
	if (r == 0)
		r = strv_copy(o->writable, &writable);
	if (r == 0)
		r = strv_copy(o->sockets, &sockets);
	if (r == 0 && o->cwd && !(cwd = strdup(o->cwd)))
		r = -ENOMEM;
	if (r < 0) {
		strv_free(hidden);
		strv_free(writable);
		strv_free(sockets);
		return r;
	}
	strv_free(s->hidden);
	strv_free(s->writable);
	strv_free(s->sockets);
	free(s->cwd);
	s->hidden = hidden;
	s->writable = writable;
	s->sockets = sockets;
	s->cwd = cwd;
	s->opts = *o;
	s->opts.hidden = s->hidden;
	s->opts.writable = s->writable;
	s->opts.sockets = s->sockets;
	s->opts.cwd = s->cwd;
	if (!s->opts.grace_ms)
		s->opts.grace_ms = SUP_GRACE_MS_DEFAULT;
	return 0;
}

unsigned sup_profile_protections(enum sup_profile p, bool deny_network)
{
	if (p == SUP_PROFILE_OFF)
		return SUP_PROT_RLIMITS;
	unsigned m = SUP_PROT_PIDNS | SUP_PROT_MNTNS | SUP_PROT_IPCNS | SUP_PROT_UTSNS |
		     SUP_PROT_CGROUPNS | SUP_PROT_HIDDEN | SUP_PROT_PROC | SUP_PROT_KEYRING |
		     SUP_PROT_RLIMITS | SUP_PROT_CAPS | SUP_PROT_NNP | SUP_PROT_SECCOMP |
		     SUP_PROT_DEV | SUP_PROT_KERNFS_RO | SUP_PROT_IPC;
	/* root already owns its namespaces' capabilities; everyone else needs a user namespace. */
	if (geteuid() != 0)
		m |= SUP_PROT_USERNS;
	/* Nothing written outside the working directory, the writable paths and a private /tmp
	 * survives the run: a command cannot plant code that runs later on the host. */
	m |= SUP_PROT_READONLY | SUP_PROT_SOCKETS;
	if (p == SUP_PROFILE_STANDARD)
		m |= SUP_PROT_HOME_LAYER;
	if (deny_network)
		m |= SUP_PROT_NETNS;
	/* Defence in depth where the kernel has it (Linux >= 6.12): without a network namespace,
	 * abstract unix sockets (an X server listens on one) are otherwise reachable. */
	if (sup_landlock_abi() >= SUP_LANDLOCK_SCOPE_ABI)
		m |= SUP_PROT_SCOPE;
	return m;
}

const char *sup_protection_name(unsigned bit)
{
	switch (bit) {
	case SUP_PROT_USERNS: return "user namespace";
	case SUP_PROT_PIDNS: return "pid namespace";
	case SUP_PROT_MNTNS: return "mount namespace";
	case SUP_PROT_IPCNS: return "ipc namespace";
	case SUP_PROT_UTSNS: return "uts namespace";
	case SUP_PROT_CGROUPNS: return "cgroup namespace";
	case SUP_PROT_NETNS: return "network namespace (loopback only)";
	case SUP_PROT_HIDDEN: return "hidden vault/policy paths";
	case SUP_PROT_PROC: return "fresh /proc";
	case SUP_PROT_KEYRING: return "fresh session keyring";
	case SUP_PROT_RLIMITS: return "rlimits (hard = soft)";
	case SUP_PROT_CAPS: return "no capabilities";
	case SUP_PROT_NNP: return "no_new_privs";
	case SUP_PROT_SECCOMP: return "seccomp filter";
	case SUP_PROT_READONLY:
		return "read-only filesystem but cwd and writable paths, private /tmp";
	case SUP_PROT_SOCKETS: return "host unix sockets covered";
	case SUP_PROT_HOME_LAYER: return "throwaway $HOME layer";
	case SUP_PROT_PIDS_CGROUP: return "pids cgroup";
	case SUP_PROT_PID_MAX: return "pid namespace pid_max";
	case SUP_PROT_DEV: return "private /dev";
	case SUP_PROT_KERNFS_RO: return "read-only /proc and /sys";
	case SUP_PROT_IPC: return "host IPC sockets hidden";
	case SUP_PROT_SCOPE: return "landlock scopes (abstract sockets, signals)";
	case SUP_PROT_NOCORE: return "no core dump, no core helper";
	default: return "unknown";
	}
}

static const char *const stage_names[SUP_ST_COUNT] = {
	[SUP_ST_NONE] = "none",
	[SUP_ST_CLONE] = "namespaces (clone)",
	[SUP_ST_PARENT] = "supervisor handshake",
	[SUP_ST_SETGROUPS] = "user namespace (setgroups)",
	[SUP_ST_UIDMAP] = "user namespace (uid_map)",
	[SUP_ST_GIDMAP] = "user namespace (gid_map)",
	[SUP_ST_MOUNT_PRIVATE] = "mount namespace (private)",
	[SUP_ST_HIDE] = "hidden paths",
	[SUP_ST_READONLY] = "read-only root",
	[SUP_ST_TMP] = "private /tmp",
	[SUP_ST_WRITABLE] = "writable paths",
	[SUP_ST_HOME] = "throwaway $HOME layer (--sandbox strict keeps $HOME read-only instead)",
	[SUP_ST_SOCKETS] = "host sockets covered",
	[SUP_ST_PROC] = "fresh /proc",
	[SUP_ST_DEV] = "private /dev",
	[SUP_ST_PTY] = "pseudo-terminal",
	[SUP_ST_KERNFS_RO] = "read-only /proc and /sys",
	[SUP_ST_PID_MAX] = "pid namespace pid_max",
	[SUP_ST_NET] = "network namespace (loopback)",
	[SUP_ST_CHDIR] = "working directory",
	[SUP_ST_KEYRING] = "session keyring",
	[SUP_ST_RLIMIT] = "rlimits",
	[SUP_ST_SECUREBITS] = "securebits",
	[SUP_ST_CAPS] = "capability drop",
	[SUP_ST_NNP] = "no_new_privs",
	[SUP_ST_LANDLOCK] = "landlock scopes",
	[SUP_ST_SECCOMP] = "seccomp",
	[SUP_ST_SIGNALS] = "signal setup",
	[SUP_ST_FORK] = "fork",
	[SUP_ST_SETSID] = "setsid",
	[SUP_ST_CTTY] = "controlling terminal",
	[SUP_ST_STDIO] = "stdio",
	[SUP_ST_CLOSE_RANGE] = "close_range",
	[SUP_ST_EXEC] = "execve",
};

const char *sup_stage_name(enum sup_stage stage)
{
	if ((int)stage < 0 || stage >= SUP_ST_COUNT || !stage_names[stage])
		return "unknown";
	return stage_names[stage];
}

int sup_exit_code(const struct sup_result *r)
{
	if (r->timed_out)
		return SUP_EXIT_TIMEOUT;
	if (r->failed) {
		if (r->stage != SUP_ST_EXEC)
			return SUP_EXIT_FAILURE;
		return r->stage_errno == ENOENT ? SUP_EXIT_NOTFOUND : SUP_EXIT_NOEXEC;
	}
	if (r->exited)
		return r->exit_code & 0xff;
	if (r->signal > 0 && r->signal < NSIG)
		return 128 + r->signal;
	return SUP_EXIT_FAILURE;
}

int sup_landlock_abi(void)
{
	static int abi = -1;
	if (abi < 0) {
		long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
				 1u /* LANDLOCK_CREATE_RULESET_VERSION */);
		abi = v > 0 ? (int)v : 0;
	}
	return abi;
}
