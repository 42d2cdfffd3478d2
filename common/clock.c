/* SPDX-License-Identifier: Apache-2.0 */
/* common: the wall clock, replaceable by tests. */
#include "common/common.h"

#include <time.h>

static int64_t clock_real(void)
{
	return (int64_t)time(NULL);
}

static int64_t (*clock_fn)(void) = clock_real;

int64_t clock_now(void)
{
	return clock_fn();
}

void clock_set_fn(int64_t (*fn)(void))
{
	clock_fn = fn ? fn : clock_real;
}
