/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer: the vector and bit instructions this CPU and OS support, asked once with CPUID for
 * the scans that have several implementations (decode.c, set.c, term.c). */
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "sanitizer/sanitizer-internal.h"

static struct san_cpu cpu;
static bool cpu_ready;

#if defined(__x86_64__)
/* XCR0: which register states the OS saves on a context switch (YMM: bits 1-2; opmask, ZMM:
 * bits 5-7). An instruction set the OS does not save is unusable whatever CPUID says. */
static unsigned xcr0(void)
{
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	return lo;
}

/* Asked directly rather than through __builtin_cpu_supports: that links libgcc's CPU-model
 * constructor, a dozen CPUID instructions (each a trap to the hypervisor on a VM) in every
 * secretctl start-up. */
static void detect(struct san_cpu *c)
{
	unsigned a, b, cx, d;
	if (!__get_cpuid(1, &a, &b, &cx, &d))
		return;
	bool osx = (cx & bit_OSXSAVE) != 0, avx = (cx & bit_AVX) != 0;
	unsigned x = osx ? xcr0() : 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &cx, &d))
		return;
	c->bmi2 = (b & bit_BMI2) != 0;
	c->avx2 = avx && (x & 6) == 6 && (b & bit_AVX2);
	/* AVX512F (EBX 16) and AVX512BW (EBX 30) */
	c->avx512bw = c->avx2 && (x & 0xE6) == 0xE6 && (b & (1u << 16)) && (b & (1u << 30));
	/* AVX512_VBMI (ECX 1): byte permutes across 64 bytes (the pre-scan's class lookup) */
	c->avx512vbmi = c->avx512bw && (cx & (1u << 1));
}
#endif

const struct san_cpu *san_cpu(void)
{
	if (!cpu_ready) {
#if defined(__x86_64__)
		detect(&cpu);
#endif
		cpu_ready = true;
	}
	return &cpu;
}
