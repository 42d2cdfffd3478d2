/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: `inject` templates: references found in order, other braces left as text,
 * malformed references named by line and column, rendering. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interchange/interchange.h"
#include "tests/unit/unit.h"

static int refs(const char *t, struct ix_ref **r, size_t *n, struct reterr *err)
{
	return ix_template_refs((const unsigned char *)t, strlen(t), r, n, err);
}

START_TEST(test_refs_and_render)
{
	const char *t = "db: {{ secretctl \"db/prod\" \"password\" }}\n"
			"helm: {{ .Values.x }} and {{secretctl \"API_KEY\"}}\n"
			"tabs:{{\tsecretctl\t\"q\\\"k\\\\\" }} end {{ secretctlx }}\n";
	struct ix_ref *r = NULL;
	size_t n = 0;
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(secret_lib_init(), 0);
	ck_assert_int_eq(refs(t, &r, &n, &err), -EINVAL); /* q"k\ is not a valid key */
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(err.column, 6);
	t = "db: {{ secretctl \"db/prod\" \"password\" }}\n"
	    "helm: {{ .Values.x }} and {{secretctl \"API_KEY\"}}\n"
	    "{{ secretctlx }} {{secretctl\"db/prod\"}}";
	ck_assert_int_eq(refs(t, &r, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(r[0].key, "db/prod");
	ck_assert_str_eq(r[0].field, "password");
	ck_assert_uint_eq(r[0].line, 1);
	ck_assert_uint_eq(r[0].column, 5);
	ck_assert_str_eq(r[1].key, "API_KEY");
	ck_assert_ptr_null(r[1].field);
	ck_assert_uint_eq(r[1].line, 2);
	ck_assert_uint_eq(r[2].line, 3);
	struct secret *v[3] = { secret_from("pw", 2), secret_from("k\n1", 3),
				secret_from("$x", 2) };
	struct buf out = BUF_INIT;
	struct outbuf o;
	outbuf_init_buf(&o, &out);
	ix_template_render(&o, (const unsigned char *)t, strlen(t), (const struct secret *const *)v,
			   3);
	ck_assert_int_eq(outbuf_finish(&o), 0);
	ck_assert_str_eq(out.data, "db: pw\nhelm: {{ .Values.x }} and k\n1\n{{ secretctlx }} $x");
	buf_release(&out);
	for (int i = 0; i < 3; i++)
		secret_free(v[i]);
	ix_refs_free(r, n);
}
END_TEST

START_TEST(test_malformed)
{
	static const struct {
		const char *t;
		int line, column;
	} cases[] = {
		{ "x {{ secretctl KEY }}", 1, 16 },
		{ "\n\n  {{ secretctl \"KEY\" ", 3, 22 },
		{ "{{ secretctl \"KEY\" \"f\" \"extra\" }}", 1, 24 },
		{ "{{ secretctl \"open }}\n\"", 1, 14 },
		{ "{{ secretctl \"\" }}", 1, 1 },
		{ "{{ secretctl \"a/../b\" }}", 1, 1 },
		{ "{{ secretctl \"K\" }", 1, 18 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ix_ref *r = NULL;
		size_t n = 0;
		struct reterr err = RETERR_INIT;
		ck_assert_int_eq(refs(cases[i].t, &r, &n, &err), -EINVAL);
		ck_assert_msg(err.line == cases[i].line && err.column == cases[i].column,
			      "case %zu: %d:%d (%s)", i, err.line, err.column, err.msg);
	}
	struct ix_ref *r = NULL;
	size_t n = 9;
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(refs("no references { { at all }}", &r, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ix_refs_free(r, n);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("interchange-template");
	TCase *tc = tcase_create("template");
	tcase_add_test(tc, test_refs_and_render);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return s;
}
