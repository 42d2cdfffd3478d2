/* SPDX-License-Identifier: Apache-2.0 */
/* common: bounded parsers of numbers, byte sizes, durations and times; key globs. */
#include "common/common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int parse_bytes(const char *s, uint64_t *ret)
{
	char *end;
	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	uint64_t mul = 1;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K':
		mul = 1024;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1024 * 1024;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1024ull * 1024 * 1024;
		end++;
		break;
	default: return -EINVAL;
	}
	if (*end || v == 0 || __builtin_mul_overflow((uint64_t)v, mul, ret))
		return -EINVAL;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	if (!s || !*s)
		return -EINVAL;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -ERANGE;
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int parse_duration_ms(const char *s, bool allow_ms, int64_t *ret_ms)
{
	if (!s || !*s)
		return -EINVAL;
	int64_t total = 0;
	const char *p = s;
	bool bare = true;
	while (*p) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		int64_t v = 0;
		while (*p >= '0' && *p <= '9') {
			if (__builtin_mul_overflow(v, 10, &v) ||
			    __builtin_add_overflow(v, *p - '0', &v))
				return -ERANGE;
			p++;
		}
		int64_t mult;
		if (!*p) {
			if (!bare)
				return -EINVAL; /* "1h30" is ambiguous */
			mult = 1000;
		} else if (p[0] == 'm' && p[1] == 's') {
			if (!allow_ms)
				return -EINVAL;
			mult = 1;
			p += 2;
		} else {
			switch (*p) {
			case 's': mult = 1000; break;
			case 'm': mult = 60 * 1000; break;
			case 'h': mult = 3600 * 1000; break;
			case 'd': mult = 86400LL * 1000; break;
			case 'w': mult = 7 * 86400LL * 1000; break;
			case 'y': mult = 365 * 86400LL * 1000; break;
			default: return -EINVAL;
			}
			p++;
		}
		bare = false;
		if (__builtin_mul_overflow(v, mult, &v) || __builtin_add_overflow(total, v, &total))
			return -ERANGE;
	}
	*ret_ms = total;
	return 0;
}

void parse_format_time(int64_t t, char out[static 32])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "invalid-time");
}

int parse_time(const char *s, int64_t *ret)
{
	struct tm tm = { 0 };
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!e || *e)
		return -EINVAL;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}

bool glob_is_pattern(const char *pattern)
{
	return strpbrk(pattern, "*?") != NULL;
}

bool glob_match(const char *pat, const char *key)
{
	/* Iterative matcher with one backtrack point per '*' segment (no exponential blow-up). */
	const char *star = NULL, *star_key = NULL;
	while (*key) {
		if (*pat == '*') {
			star = ++pat;
			star_key = key;
			continue;
		}
		if (*pat && *key != '/' && (*pat == '?' || *pat == *key)) {
			pat++;
			key++;
			continue;
		}
		if (*pat && *pat == *key) { /* literal '/' */
			pat++;
			key++;
			continue;
		}
		if (star && *star_key != '/') {
			pat = star;
			key = ++star_key;
			continue;
		}
		return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == 0;
}
