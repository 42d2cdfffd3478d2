/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation bound for fuzz targets of decoders: while armed, any single allocation larger than
 * the limit aborts, so a decoder that sizes a buffer from an unchecked length field is caught on
 * the first input that claims a large length, long before it would exhaust memory.
 * Active under ASan (libFuzzer, check-asan); the plain replay build has no malloc hooks. */
#ifndef SECRETCTL_FUZZ_ALLOC_GUARD_H
#define SECRETCTL_FUZZ_ALLOC_GUARD_H

#include <stddef.h>
#include <stdlib.h>

int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *))
	__attribute__((weak));

static size_t alloc_guard_limit; /* 0 = disarmed */

static void alloc_guard_malloc(const volatile void *p, size_t n)
{
	(void)p;
	if (alloc_guard_limit && n > alloc_guard_limit)
		abort();
}

static void alloc_guard_free(const volatile void *p)
{
	(void)p;
}

/* Arm with a limit (bytes per allocation); 0 disarms. Hooks are installed on first use. */
static inline void alloc_guard(size_t limit)
{
	static int installed;
	if (!installed && __sanitizer_install_malloc_and_free_hooks) {
		__sanitizer_install_malloc_and_free_hooks(alloc_guard_malloc, alloc_guard_free);
		installed = 1;
	}
	alloc_guard_limit = limit;
}

#endif
