/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: every Check binary shares one main (tests/unit/unit-main.c), which initialises
 * libsodium, asks the test file for its suite and runs it (each test in its own process). */
#ifndef SECRETCTL_TESTS_UNIT_H
#define SECRETCTL_TESTS_UNIT_H

#include <check.h>

/* Defined by each test file: its suite, or NULL when it cannot start (it said why on stderr;
 * the binary then exits 1). A file whose tests cannot run on this host prints a line starting
 * with "# skip" (tests/run-all.sh counts it) and returns an empty suite. */
Suite *unit_suite(void);

#endif
