/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: the .env reader and writer (round trips of hostile values), secretctl's JSON,
 * format detection, line numbers in errors, and key naming. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interchange-util.h"
#include "tests/unit/unit.h"

static struct ix_doc *read_str(const char *text, enum ix_format f, int want, unsigned want_line)
{
	return itu_read(text, strlen(text), f, false, want, want_line);
}

#define find itu_find

static void assert_value(const struct ix_doc *d, const char *key, const void *want, size_t n)
{
	const struct ix_item *it = find(d, key);
	ck_assert(it->has_value);
	ck_assert_msg(it->value.len == n && memcmp(it->value.data, want, n) == 0,
		      "value of %s differs (len %zu, want %zu)", key, it->value.len, n);
}

#define VALUE(d, k, s) assert_value(d, k, s, sizeof(s) - 1)

START_TEST(test_env_syntax)
{
	const char *text = "\xef\xbb\xbf# a comment\n"
			   "\n"
			   "PLAIN=abc\n"
			   "export EXPORTED = spaced value   \n"
			   "INLINE=value # a comment\n"
			   "HASH=a#b\n"
			   "SQ='keeps \\n and $HOME'\n"
			   "DQ=\"tab\\tnl\\nq\\\"bs\\\\dollar\\$x\\y\"\n"
			   "MULTI=\"line one\n"
			   "line two\"  # trailing comment\n"
			   "CRLF=windows\r\n"
			   "EMPTY=\n"
			   "db/password=with/slash\n";
	struct ix_doc *d = read_str(text, IX_AUTO, 0, 0);
	ck_assert_int_eq(d->format, IX_ENV);
	VALUE(d, "PLAIN", "abc");
	VALUE(d, "EXPORTED", "spaced value");
	VALUE(d, "INLINE", "value");
	VALUE(d, "HASH", "a#b");
	VALUE(d, "SQ", "keeps \\n and $HOME");
	VALUE(d, "DQ", "tab\tnl\nq\"bs\\dollar$x\\y");
	VALUE(d, "MULTI", "line one\nline two");
	VALUE(d, "CRLF", "windows");
	VALUE(d, "db/password", "with/slash");
	ck_assert_uint_eq(find(d, "MULTI")->line, 9);
	ck_assert_uint_eq(find(d, "CRLF")->line, 11);
	/* EMPTY is skipped with a warning naming its line. */
	bool warned = false;
	for (size_t i = 0; d->warnings && d->warnings[i]; i++)
		warned |= strstr(d->warnings[i], "line 12: EMPTY") != NULL;
	ck_assert(warned);
	ix_doc_free(d);
}
END_TEST

START_TEST(test_env_errors)
{
	ix_doc_free(read_str("A=1\nB=2\nNOT AN ASSIGNMENT\n", IX_ENV, -EINVAL, 3));
	ix_doc_free(read_str("A=1\nB=\"open\n\nstill open\n", IX_ENV, -EINVAL, 2));
	ix_doc_free(read_str("A=1\n\nC='x'y\n", IX_ENV, -EINVAL, 3));
	ix_doc_free(read_str("MY VAR=1\n", IX_ENV, -EINVAL, 1));
	ix_doc_free(read_str("A=1\nbad/../key=2\n", IX_ENV, -EINVAL, 2));
	ix_doc_free(read_str("A=1\nB=2\nA=3\n", IX_ENV, -EINVAL, 3));
	struct ix_doc *d = NULL;
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(ix_read((const unsigned char *)"K=1\nK=2\n", 8, NULL, &d, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "first on line 1"));
}
END_TEST

/* Every value a shell or a person might put in a secret survives write -> read. */
START_TEST(test_env_roundtrip)
{
	static const char *const values[] = {
		"plain",
		"with spaces",
		"it's",
		"say \"hi\"",
		"both ' and \"",
		"# not a comment",
		"a #b",
		"$HOME and ${PATH} and $(id)",
		"back`tick`",
		"back\\slash\\n",
		"line1\nline2\n",
		"cr\rlf\r\n",
		"\ttabbed\t",
		"unicode: caf\xc3\xa9 \xe2\x9c\x93",
		"bytes \xff\xfe\x01\x7f",
		"=starts=with=",
		"'quoted'",
		"\"dq\"",
		" lead",
		"trail ",
		"\\",
		"'",
		"\"",
		"$",
		"a'b\"c$d`e\\f\ng",
	};
	struct buf out = BUF_INIT;
	struct outbuf o;
	outbuf_init_buf(&o, &out);
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		char name[16];
		snprintf(name, sizeof(name), "V%zu", i);
		ck_assert_int_eq(
			ix_env_write(&o, name, (const unsigned char *)values[i], strlen(values[i])),
			0);
	}
	ck_assert_int_eq(outbuf_finish(&o), 0);
	struct ix_doc *d = read_str(out.data, IX_ENV, 0, 0);
	ck_assert_uint_eq(d->n, ARRAY_SIZE(values));
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		char name[16];
		snprintf(name, sizeof(name), "V%zu", i);
		assert_value(d, name, values[i], strlen(values[i]));
	}
	ix_doc_free(d);
	buf_release(&out);
	/* A NUL byte cannot be carried. */
	outbuf_init_buf(&o, &out);
	ck_assert_int_eq(ix_env_write(&o, "N", (const unsigned char *)"a\0b", 3), -EINVAL);
	outbuf_finish(&o);
	buf_release(&out);
}
END_TEST

START_TEST(test_json_flat_and_meta)
{
	const char *text =
		"{\n"
		"  \"A\": \"one\",\n"
		"  \"NUM\": 42.5e1,\n"
		"  \"FLAG\": true,\n"
		"  \"NOTHING\": null,\n"
		"  \"ESC\": \"q\\\"\\u00e9\\ud83d\\ude00\\u0000end\",\n"
		"  \"db/prod\": {\n"
		"    \"fields\": [{\"name\": \"host\", \"value\": \"db\", \"sensitive\": false},\n"
		"               {\"name\": \"password\", \"value_base64\": \"AP8B\", "
		"\"sensitive\": true}],\n"
		"    \"bindings\": {\"PGHOST\": \"host\"},\n"
		"    \"tags\": [\"prod\", \"db\"], \"url\": \"https://db\", \"notes\": null,\n"
		"    \"created_at\": \"2024-01-02T03:04:05Z\", \"expires_at\": null\n"
		"  }\n"
		"}\n";
	struct ix_doc *d = read_str(text, IX_AUTO, 0, 0);
	ck_assert_int_eq(d->format, IX_JSON);
	ck_assert_uint_eq(d->n, 5);
	VALUE(d, "A", "one");
	VALUE(d, "NUM", "42.5e1");
	VALUE(d, "FLAG", "true");
	VALUE(d, "ESC", "q\"\xc3\xa9\xf0\x9f\x98\x80\0end");
	const struct ix_item *it = find(d, "db/prod");
	ck_assert(!it->has_value);
	ck_assert_uint_eq(it->line, 7);
	ck_assert_uint_eq(it->nfields, 2);
	ck_assert_str_eq(it->fields[1].name, "password");
	ck_assert(it->fields[1].sensitive);
	ck_assert_uint_eq(it->fields[1].value.len, 3);
	ck_assert(memcmp(it->fields[1].value.data, "\0\xff\x01", 3) == 0);
	ck_assert_uint_eq(it->nbindings, 1);
	ck_assert_str_eq(it->bindings[0].env, "PGHOST");
	ck_assert_str_eq(it->tags[1], "db");
	ck_assert_str_eq(it->url, "https://db");
	ck_assert_ptr_null(it->notes);
	ck_assert_int_eq(it->created_at, 1704164645);
	ck_assert(it->set_expires);
	ck_assert_int_eq(it->expires_at, 0);
	ix_doc_free(d);
}
END_TEST

START_TEST(test_json_errors)
{
	ix_doc_free(read_str("{\n\"A\": \"x\",\n\"B\": [1]\n}", IX_JSON, -EINVAL, 3));
	ix_doc_free(read_str("{\n\"A\": \"x\"\n\"B\": \"y\"}", IX_JSON, -EINVAL, 3));
	ix_doc_free(read_str("{\"A\": \"line\nbreak\"}", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("{\"A\": \"\\ud800x\"}", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("{\"A\": 01}", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("{\"A\": \"x\"} trailing", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("[\"A\"]", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("{\n\n\"A\": {\"value\": \"a\", \"value_base64\": \"YQ==\"}}", IX_JSON,
			     -EINVAL, 3));
	ix_doc_free(read_str("{\"A\": {\"value_base64\": \"***\"}}", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("{\"A\": {\"notes\": \"no value\"}}", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("{\"A\": {\"value\": \"v\", \"created_at\": \"yesterday\"}}", IX_JSON,
			     -EINVAL, 1));
	ix_doc_free(read_str("{\"bad key\": \"v\"}", IX_JSON, -EINVAL, 1));
	ix_doc_free(read_str("{\"A\": \"1\",\n\"A\": \"2\"}", IX_JSON, -EINVAL, 2));
	/* Depth is bounded. */
	char deep[300];
	memset(deep, '[', 200);
	deep[200] = 0;
	ix_doc_free(read_str(deep, IX_JSON, -E2BIG, 1));
}
END_TEST

START_TEST(test_detect)
{
	ck_assert_int_eq(ix_detect((const unsigned char *)"A=1\n", 4), IX_ENV);
	ck_assert_int_eq(ix_detect((const unsigned char *)" {\"A\":\"1\"}", 10), IX_JSON);
	const char *bw = "{\"encrypted\": false, \"items\": []}";
	ck_assert_int_eq(ix_detect((const unsigned char *)bw, strlen(bw)), IX_BITWARDEN);
	const char *op = "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\r\n";
	ck_assert_int_eq(ix_detect((const unsigned char *)op, strlen(op)), IX_1PASSWORD);
	const char *lp = "url,username,password,totp,extra,name,grouping,fav\n";
	ck_assert_int_eq(ix_detect((const unsigned char *)lp, strlen(lp)), IX_LASTPASS);
	const char *csv = "a,b,c\n1,2,3\n";
	ck_assert_int_eq(ix_detect((const unsigned char *)csv, strlen(csv)), IX_ENV);
	enum ix_format f;
	ck_assert_int_eq(ix_format_parse("Bitwarden", &f), 0);
	ck_assert_int_eq(f, IX_BITWARDEN);
	ck_assert_int_eq(ix_format_parse("keepass", &f), -EINVAL);
}
END_TEST

static void key_is(const char *folder, const char *name, bool pc, const char *want)
{
	char *k = NULL;
	ck_assert_int_eq(ix_key_from_name(folder, name, pc, &k), 0);
	ck_assert_msg(!strcmp(k, want), "key of '%s' '%s' is '%s', want '%s'", folder ? folder : "",
		      name, k, want);
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(vault_key_check(k, &err), 0);
	free(k);
}

START_TEST(test_key_naming)
{
	key_is(NULL, "GitHub", false, "github");
	key_is(NULL, "GitHub", true, "GitHub");
	key_is(NULL, "My Bank (personal)!", false, "my_bank_personal");
	key_is(NULL, "  spaced  out  ", false, "spaced_out");
	key_is(NULL, "caf\xc3\xa9 login", false, "caf_login");
	key_is(NULL, "already_snake-case.v2", false, "already_snake-case.v2");
	key_is(NULL, "", false, "item");
	key_is(NULL, "!!!", false, "item");
	key_is(NULL, "..", false, "_");
	key_is(NULL, "a/b", false, "a_b");
	key_is("Work", "Email", false, "work/email");
	key_is("Work\\Dev Ops", "Jenkins", true, "Work/Dev_Ops/Jenkins");
	key_is("Work//", "x", false, "work/x");
	key_is("(none)", "x", false, "none/x");
	char longname[600];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	char *k = NULL;
	ck_assert_int_eq(ix_key_from_name(NULL, longname, false, &k), 0);
	ck_assert_uint_le(strlen(k), VAULT_KEY_MAX - 8);
	free(k);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("interchange-formats");
	TCase *tc = tcase_create("formats");
	tcase_add_test(tc, test_env_syntax);
	tcase_add_test(tc, test_env_errors);
	tcase_add_test(tc, test_env_roundtrip);
	tcase_add_test(tc, test_json_flat_and_meta);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_detect);
	tcase_add_test(tc, test_key_naming);
	suite_add_tcase(s, tc);
	return s;
}
