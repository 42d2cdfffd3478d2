/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the broker's command lines: splitting without a shell (quotes, backslashes,
 * refused shell syntax) and $NAME expansion of injected values into locked memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker-internal.h"
#include "tests/unit/unit.h"

static void split_is(const char *line, const char *const *want)
{
	struct reterr err = RETERR_INIT;
	char **v = NULL;
	int e = broker_cmdline_split(line, &v, &err);
	ck_assert_msg(e == 0, "split(%s) = %d: %s", line, e, err.msg);
	size_t n = 0;
	while (want[n])
		n++;
	ck_assert_msg(strv_len(v) == n, "split(%s): %zu words, want %zu", line, strv_len(v), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(v[i], want[i]);
	strv_free(v);
}

static void split_fails(const char *line, int code, const char *needle)
{
	struct reterr err = RETERR_INIT;
	char **v = NULL;
	ck_assert_int_eq(broker_cmdline_split(line, &v, &err), code);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

START_TEST(test_split_words)
{
	split_is("npm test", (const char *[]){ "npm", "test", NULL });
	split_is("  psql   $DATABASE_URL -c 'SELECT COUNT(*) FROM users'  ",
		 (const char *[]){ "psql", "$DATABASE_URL", "-c", "SELECT COUNT(*) FROM users",
				   NULL });
	split_is("curl -H 'Authorization: Bearer $GITHUB_TOKEN' https://api.github.com/user/repos",
		 (const char *[]){ "curl", "-H", "Authorization: Bearer $GITHUB_TOKEN",
				   "https://api.github.com/user/repos", NULL });
	/* double quotes keep all but \" \\ \$ \` */
	split_is("echo \"a \\\"b\\\" \\$X \\n\"",
		 (const char *[]){ "echo", "a \"b\" $X \\n", NULL });
	/* backslash outside quotes escapes one byte; adjacent parts make one word; '' is a word */
	split_is("a\\ b c'd'\"e\" ''", (const char *[]){ "a b", "cde", "", NULL });
	split_is("x\\|y \\*", (const char *[]){ "x|y", "*", NULL });
	/* tabs and newlines separate; a backslash-newline joins */
	split_is("a\tb\nc\\\nd", (const char *[]){ "a", "b", "cd", NULL });
	/* '~' and '#' are literal inside a word */
	split_is("git log a~1 x#y", (const char *[]){ "git", "log", "a~1", "x#y", NULL });
}
END_TEST

START_TEST(test_split_refusals)
{
	split_fails("npm test | grep x", -EINVAL, "a pipe '|'");
	split_fails("make && make install", -EINVAL, "'&'");
	split_fails("a; b", -EINVAL, "';'");
	split_fails("cat < /etc/passwd", -EINVAL, "a redirection");
	split_fails("echo > f", -EINVAL, "a redirection");
	split_fails("echo $(id)", -EINVAL, "command substitution $(...)");
	split_fails("echo \"$(id)\"", -EINVAL, "command substitution");
	split_fails("echo `id`", -EINVAL, "command substitution `...`");
	split_fails("echo \"`id`\"", -EINVAL, "command substitution");
	split_fails("ls *.txt", -EINVAL, "a glob pattern");
	split_fails("ls ~/x", -EINVAL, "'~' (home directory)");
	split_fails("echo # comment", -EINVAL, "a comment");
	split_fails("(cd x)", -EINVAL, "parentheses");
	split_fails("echo 'open", -EINVAL, "unterminated single quote");
	split_fails("echo \"open", -EINVAL, "unterminated double quote");
	split_fails("echo x\\", -EINVAL, "ends with a backslash");
	split_fails("", -EINVAL, "empty");
	split_fails("   ", -EINVAL, "empty");
	char *big = malloc(BROKER_COMMAND_MAX + 2);
	memset(big, 'a', BROKER_COMMAND_MAX + 1);
	big[BROKER_COMMAND_MAX + 1] = '\0';
	split_fails(big, -E2BIG, "longer than");
	free(big);
}
END_TEST

/* A lookup over two injected variables. */
static struct secret *tok, *url;

static const struct secret *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	if (len == 12 && !memcmp(name, "GITHUB_TOKEN", 12))
		return tok;
	if (len == 12 && !memcmp(name, "DATABASE_URL", 12))
		return url;
	return NULL;
}

static void expand_is(const char *line, char *const *argv, const char *const *want)
{
	struct reterr err = RETERR_INIT;
	struct secret *mem = NULL;
	char **v = NULL;
	int e = broker_cmdline_expand(line, argv, lookup, NULL, &mem, &v, &err);
	ck_assert_msg(e == 0, "expand(%s) = %d: %s", line ? line : argv[0], e, err.msg);
	size_t n = 0;
	while (want[n])
		n++;
	ck_assert_uint_eq(strv_len(v), n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(v[i], want[i]);
		/* every word lives in the locked region */
		ck_assert((unsigned char *)v[i] >= mem->data &&
			  (unsigned char *)v[i] < mem->data + mem->len);
	}
	free(v);
	secret_free(mem);
}

START_TEST(test_expand)
{
	tok = secret_from("ghp_SECRET", 10);
	url = secret_from("postgresql://app:pw@127.0.0.1/db", 32);
	/* unquoted, in single quotes (the user guide's curl) and in double quotes */
	expand_is("psql $DATABASE_URL -c 'SELECT 1'", NULL,
		  (const char *[]){ "psql", "postgresql://app:pw@127.0.0.1/db", "-c", "SELECT 1",
				    NULL });
	expand_is("curl -H 'Authorization: Bearer $GITHUB_TOKEN' x", NULL,
		  (const char *[]){ "curl", "-H", "Authorization: Bearer ghp_SECRET", "x", NULL });
	expand_is("echo \"${GITHUB_TOKEN}!\" pre${GITHUB_TOKEN}post", NULL,
		  (const char *[]){ "echo", "ghp_SECRET!", "preghp_SECRETpost", NULL });
	/* not injected, escaped, malformed: left as written */
	expand_is("echo $HOME \\$GITHUB_TOKEN \"\\$GITHUB_TOKEN\" $ ${ ${1} $9", NULL,
		  (const char *[]){ "echo", "$HOME", "$GITHUB_TOKEN", "$GITHUB_TOKEN", "$", "${",
				    "${1}", "$9", NULL });
	/* a longer name is another variable */
	expand_is("echo $GITHUB_TOKENX", NULL, (const char *[]){ "echo", "$GITHUB_TOKENX", NULL });
	/* words given one by one: only $NAME, no quoting */
	char *argv[] = { (char *)"curl", (char *)"-H", (char *)"Bearer '$GITHUB_TOKEN'", NULL };
	expand_is(NULL, argv, (const char *[]){ "curl", "-H", "Bearer 'ghp_SECRET'", NULL });
	secret_free(tok);
	secret_free(url);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cmdline");
	TCase *tc = tcase_create("cmdline");
	tcase_add_test(tc, test_split_words);
	tcase_add_test(tc, test_split_refusals);
	tcase_add_test(tc, test_expand);
	suite_add_tcase(s, tc);
	return s;
}
