/* SPDX-License-Identifier: Apache-2.0 */
/* sanitizer internals shared by the pattern builder, the matcher and the module's own tests.
 * Never included from another module. */
#ifndef SECRETCTL_SANITIZER_INTERNAL_H
#define SECRETCTL_SANITIZER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sanitizer/sanitizer.h"

/* Receives one generated pattern; returns 0 or a negative errno (stops generation). */
typedef int (*san_pattern_fn)(void *ctx, const uint8_t *p, size_t len);

/* Generate every pattern for one secret value (raw first, then CRLF, lines and the encodings),
 * already filtered by the minimum lengths. Duplicates may be reported more than once (the set
 * builder's trie merges them). Scratch memory is secure and wiped. 0 or -errno. */
int san_variants(const uint8_t *value, size_t len, san_pattern_fn fn, void *ctx);
/* Bytes of scratch san_variants_in needs for a value of len bytes (len <= SAN_VALUE_MAX). */
size_t san_variants_scratch(size_t len);
/* san_variants with the caller's scratch (borrowed): san_variants_scratch(len) bytes of secure
 * memory, left holding encoded forms of the value for the caller to wipe or overwrite. Lets the
 * set builder share one region among all its values. 0 or -errno. */
int san_variants_in(const uint8_t *value, size_t len, uint8_t *scratch, san_pattern_fn fn,
		    void *ctx);

/* Automaton node. Children of a node are contiguous and sorted by byte (breadth-first layout),
 * so the nodes of one depth below a node also form a contiguous range. */
struct san_node {
	uint32_t fail;    /* longest proper suffix that is a trie node */
	uint32_t first;   /* index of the first child */
	uint32_t depth;   /* length of the string this node spells */
	uint32_t out_len; /* longest pattern that is a suffix of this node's string (0: none) */
	uint16_t label;   /* secret index of that pattern (first added wins for equal strings) */
	uint16_t nchild;
	uint8_t byte; /* the byte on the edge from the parent */
	uint8_t pad[3];
};

struct san_set {
	/* building */
	char **names;        /* malloc'd names, nsecrets of them */
	char **placeholders; /* "[REDACTED:NAME]" per name */
	size_t *ph_len;
	size_t nsecrets, cap_secrets;
	uint8_t *values; /* secure arena with every value back to back (freed by compile) */
	size_t values_len, values_cap;
	size_t *voff, *vlen;
	int compiled;

	/* compiled automaton: one sodium_malloc region holding nodes, root table and prefilter */
	void *region;
	size_t region_size;
	struct san_node *nodes;
	uint32_t nnodes;
	uint32_t *root_next; /* dense transitions of the root: 256 entries */
	uint64_t *bits;      /* prefilter: hashed grams at offsets 0..stride-1 of every pattern */
	unsigned hshift;     /* 32 - log2(number of bits) */
	unsigned stride;     /* the prefilter samples every stride-th position (see skip()) */
	unsigned gram;       /* prefilter gram length: 4 or 8 bytes */
	bool bmi2;           /* the CPU has BMI2: the scan uses its variable-count shifts */
	uint32_t max_depth;  /* longest pattern */
	size_t npatterns;    /* distinct patterns */
};

/* Prefilter limits: the longest sampling stride, and the largest table (bits; 512 KiB), which must
 * stay well inside the L2 cache since every sample reads it at a random place (measured here: a
 * sample costs 2 ns up to 256 KiB, 2.5-3 ns at 512 KiB, 4 ns at 1 MiB). */
#define SAN_STRIDE_MAX 32u
#define SAN_FILTER_BITS_MAX ((size_t)1 << 22)
/* The smallest table (bits; 128 bytes): the table is sized to 64 bits per gram between these two
 * limits, so a set of one secret does not allocate (and zero and lock) a table for thousands. */
#define SAN_FILTER_BITS_MIN_LOG2 10
/* Builder sizing, for the first allocations only: the smallest trie (nodes, hash slots), the
 * expected trie nodes per value byte (all the encoded forms of a secret together), and the first
 * values arena (bytes): with sodium_malloc's 16-byte canary it fills the one 4 KiB page that even
 * a smaller arena would map and lock, so a set of a few secrets never regrows it. */
#define SAN_BUILD_MIN 64u
#define SAN_BUILD_EXPANSION 12u
#define SAN_VALUES_FIRST 4000u

/* The two hashes of the 4 bytes at p for the prefilter, a Bloom filter with two probes: the
 * second probe cuts false candidates (each costs up to stride + depth automaton steps) by another
 * factor of ~30. Same functions at build and scan time. */
#define SAN_HASH_A 0x9E3779B1u
#define SAN_HASH_B 0x85EBCA77u
static inline uint32_t san_hash4(const uint8_t *p, uint32_t mul, unsigned shift)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return (v * mul) >> shift;
}
/* 8-byte grams, used when every pattern is long enough: hex digits and other small alphabets make
 * 4-grams of encoded secrets common in ordinary logs, 8-grams almost never. */
#define SAN_HASH8_A 0x9E3779B97F4A7C15ull
#define SAN_HASH8_B 0xC2B2AE3D27D4EB4Full
static inline uint32_t san_hash8(const uint8_t *p, uint64_t mul, unsigned shift)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return (uint32_t)((v * mul) >> (32 + shift));
}

/* Reveal rule shared by san_flush_idle and san_finish: a held partial match of depth d whose
 * shortest completion is m bytes long is revealing when d >= min(SAN_REVEAL_LEN, ceil(m / 2)).
 * Returns the deepest revealing node on the failure chain of state (0 when none) and the label
 * of that node's shortest completion in *ret_label. */
uint32_t san_revealing(const struct san_set *set, uint32_t state, uint16_t *ret_label);

/* Raw bytes a stream stores right now (its hold buffer), for the memory-bound tests. */
size_t san_stream_stored(const struct san_stream *st);

#endif
