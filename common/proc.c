/* SPDX-License-Identifier: Apache-2.0 */
/* common: process helpers: hardening (no core dumps, no ptrace), waiting, scrubbing the environment. */
#include "common/common.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sodium.h>

int proc_harden(void)
{
	struct rlimit rl;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	/* Soft 0: no core file of this process. Hard at most 1, not 0: a sandboxed command gets
	 * exactly 1, the value that also stops a core_pattern pipe helper, and a hard limit can
	 * never be raised again once lowered (not even by root, without CAP_SYS_RESOURCE). */
	if (getrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	rl.rlim_cur = 0;
	if (rl.rlim_max > 1)
		rl.rlim_max = 1;
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	return 0;
}

int proc_wait(pid_t pid, int *ret_status)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	*ret_status = st;
	return 0;
}

void proc_scrub_env(const char *name)
{
	char *v = getenv(name);
	if (!v)
		return;
	/* The value usually sits in the initial environment block that /proc/<pid>/environ shows;
	 * unsetenv alone only unlinks the pointer, so wipe the bytes first. */
	sodium_memzero(v, strlen(v));
	(void)unsetenv(name);
}
