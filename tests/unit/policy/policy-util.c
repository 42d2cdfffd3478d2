/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the policy unit tests (see policy-util.h). */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/unit/policy/policy-util.h"

struct policy *pu_load_ok(const char *yaml)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	int r = policy_load_buf(yaml, strlen(yaml), &p, &err);
	ck_assert_msg(r == 0, "load failed (%d) at %d:%d: %s\n%s", r, err.line, err.column, err.msg,
		      yaml);
	ck_assert_ptr_nonnull(p);
	return p;
}

void pu_load_bad(const char *yaml, int code, int line, int col, const char *needle)
{
	struct policy *p = NULL;
	struct reterr err = RETERR_INIT;
	int r = policy_load_buf(yaml, strlen(yaml), &p, &err);
	ck_assert_msg(r == code, "got %d, want %d (%s) for:\n%s", r, code, err.msg, yaml);
	ck_assert_ptr_null(p);
	ck_assert_msg(err.line == line && err.column == col, "position %d:%d, want %d:%d (%s)",
		      err.line, err.column, line, col, err.msg);
	ck_assert_msg(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

static char dir[64];

void pu_dir_setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_policy.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

void pu_dir_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

const char *pu_dir(void)
{
	return dir;
}

char *pu_path(const char *rel)
{
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, rel), 0);
	return path;
}

char *pu_write(const char *rel, const char *content, mode_t mode)
{
	char *path = pu_path(rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "cannot create %s", path);
	ck_assert_int_eq(fd_write_all(fd, content, strlen(content)), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}
