/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the policy unit tests: load a document expecting success or a positioned
 * error, and a scratch directory with files of a given mode. Each helper asserts (Check). */
#ifndef SECRETCTL_TEST_POLICY_UTIL_H
#define SECRETCTL_TEST_POLICY_UTIL_H

#include <sys/types.h>

#include "policy/policy.h"

/* Load yaml; fails the test (with the error and its position) unless it loads. */
struct policy *pu_load_ok(const char *yaml);
/* Expect exactly code at line:col with a message containing needle; nothing returned. */
void pu_load_bad(const char *yaml, int code, int line, int col, const char *needle);

/* A fresh scratch directory (mkdtemp under /tmp); pu_dir() is its path. */
void pu_dir_setup(void);
void pu_dir_teardown(void);
const char *pu_dir(void);
/* pu_dir()/rel as a malloc'd string (caller frees). */
char *pu_path(const char *rel);
/* Write content to pu_dir()/rel with mode; returns the path (caller frees). */
char *pu_write(const char *rel, const char *content, mode_t mode);

#endif
