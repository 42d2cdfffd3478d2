/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the one main of every Check binary (see unit.h). */
#include <stdio.h>
#include <stdlib.h>

#include "common/common.h"
#include "tests/unit/unit.h"

int main(void)
{
	if (secret_lib_init() < 0) {
		fprintf(stderr, "unit: cannot initialise libsodium\n");
		return EXIT_FAILURE;
	}
	Suite *s = unit_suite();
	if (!s)
		return EXIT_FAILURE;
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
