/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the broker's key resolution (broker_resolve) against a real (test-KDF) vault:
 * globs, naming, prefixes, fields and bindings, reserved and duplicate names, expiry,
 * --from-env and env aliases, the policy's key rules. Links the library like every test. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/broker-internal.h"
#include "tests/unit/unit.h"

/* Vectors are char ** in broker.h; literals are const under -Wwrite-strings. */
#define S(lit) ((char *)(lit))

static char last_msg[RETERR_MSG_MAX];
static bool allow_reserved;

static char dir[64];
static struct vault *v;
static int64_t fake_now;

static int64_t clock_fake(void)
{
	return fake_now;
}

static void setup(void)
{
	struct reterr err = RETERR_INIT;
	struct secret *pw;

	ck_assert_int_eq(secret_lib_init(), 0);
	strcpy(dir, "/tmp/test_resolve.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	pw = secret_from("test password 123", 17);
	ck_assert_ptr_nonnull(pw);
	ck_assert_msg(vault_create(dir, pw, VAULT_KDF_TEST, &err) == 0, "%s", err.msg);
	ck_assert_msg(vault_open(dir, &v, &err) == 0, "%s", err.msg);
	ck_assert_msg(vault_unlock(v, pw, NULL, &err) == 0, "%s", err.msg);
	secret_free(pw);
	unsetenv(POLICY_ENV);
	setenv(VAULT_DIR_ENV, dir, 1);
	last_msg[0] = '\0';
}

static void teardown(void)
{
	char cmd[128];
	v = vault_free(v);
	clock_set_fn(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *key, const char *value)
{
	struct reterr err = RETERR_INIT;
	struct secret *s = secret_from(value, strlen(value));
	struct vault_set_in in = { .key = key, .value = s };
	ck_assert_msg(vault_set(v, &in, NULL, &err) == 0, "set %s: %s", key, err.msg);
	secret_free(s);
}

/* A secret with fields user=u-val, pass=p-val and optional bindings. */
static void put_fields(const char *key, const char *value, const struct vault_binding *b, size_t nb)
{
	struct reterr err = RETERR_INIT;
	struct secret *val = value ? secret_from(value, strlen(value)) : NULL;
	struct secret *u = secret_from("u-val", 5), *p = secret_from("p-val", 5);
	const char *names[] = { "user", "pass.word" };
	const struct secret *vals[] = { u, p };
	struct vault_set_in in = {
		.key = key,
		.value = val,
		.field_names = names,
		.field_values = vals,
		.nfields = 2,
		.bindings = b,
		.nbindings = nb,
	};
	ck_assert_msg(vault_set(v, &in, NULL, &err) == 0, "set %s: %s", key, err.msg);
	secret_free(val);
	secret_free(u);
	secret_free(p);
}

/* Resolve the given patterns (NULL-terminated) with these options in a fresh session; the run
 * is returned with its items (free with run_free). The session loads the policy when an alias
 * is given, as `run --env` does. */
static int resolve(char **patterns, char **from_env, const char *alias, const char *prefix,
		   struct broker_run **ret)
{
	struct reterr err = RETERR_INIT;
	struct broker_opts bo = { .source = "cli", .want_policy = alias != NULL };
	struct broker_req q = { .patterns = patterns,
				.from_env = from_env,
				.env_alias = alias,
				.env_prefix = prefix,
				.profile = -1,
				.network = -1,
				.stdin_fd = -1,
				.allow_reserved = allow_reserved };
	struct broker *b = NULL;
	struct broker_run *r = NULL;
	int e;

	*ret = NULL;
	if ((e = broker_new(&bo, &b, &err)) < 0)
		goto out;
	broker_set_vault(b, v);
	ck_assert_int_eq(broker_run_new(b, &q, &r, &err), 0);
	if ((e = broker_resolve(r, &err)) == 0) {
		*ret = r;
		return 0; /* the session is freed with the run (run_free) */
	}
	broker_run_free(r);
	broker_free(b);
out:
	snprintf(last_msg, sizeof(last_msg), "%s", err.msg);
	return e;
}

static struct broker_run *run_free(struct broker_run *r)
{
	if (r) {
		struct broker *b = r->b;
		broker_run_free(r);
		broker_free(b);
	}
	return NULL;
}

static const struct broker_item *find(const struct broker_run *s, const char *env)
{
	for (size_t i = 0; i < s->nitems; i++)
		if (strcmp(s->items[i].env, env) == 0)
			return &s->items[i];
	return NULL;
}

static void has(const struct broker_run *s, const char *env, const char *key, const char *value)
{
	const struct broker_item *it = find(s, env);
	ck_assert_msg(it != NULL, "no %s", env);
	if (key)
		ck_assert_str_eq(it->key, key);
	else
		ck_assert_ptr_null(it->key);
	ck_assert_uint_eq(it->value->len, strlen(value));
	ck_assert_mem_eq(it->value->data, value, it->value->len);
}

static void fails(char **patterns, char **from_env, const char *alias, const char *prefix, int code,
		  const char *needle)
{
	struct broker_run *s = NULL;
	last_msg[0] = '\0';
	ck_assert_int_eq(resolve(patterns, from_env, alias, prefix, &s), code);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(last_msg, needle), "message '%s' lacks '%s'", last_msg, needle);
}

START_TEST(test_exact_and_glob)
{
	struct broker_run *s;
	put("db/password", "pw1");
	put("db/host", "h1");
	put("db/x/deep", "d");
	put("api-key", "k1");

	char *p1[] = { S("db/password"), NULL };
	ck_assert_int_eq(resolve(p1, NULL, NULL, NULL, &s), 0);
	ck_assert_uint_eq(s->nitems, 1);
	has(s, "DB_PASSWORD", "db/password", "pw1");
	s = run_free(s);

	/* '*' stays within one segment; a key matched twice is injected once */
	char *p2[] = { S("db/*"), S("db/host"), S("api-key"), NULL };
	ck_assert_int_eq(resolve(p2, NULL, NULL, NULL, &s), 0);
	ck_assert_uint_eq(s->nitems, 3);
	has(s, "DB_HOST", "db/host", "h1");
	has(s, "DB_PASSWORD", "db/password", "pw1");
	has(s, "API_KEY", "api-key", "k1");
	ck_assert_ptr_null(find(s, "DB_X_DEEP"));
	char *keys = broker_items_keys(s);
	ck_assert_str_eq(keys, "db/host,db/password,api-key");
	free(keys);
	s = run_free(s);

	char *p3[] = { S("nope/*"), NULL };
	fails(p3, NULL, NULL, NULL, -ENOENT, "'nope/*' matches no secret");
	char *p4[] = { S("db/missing"), NULL };
	fails(p4, NULL, NULL, NULL, -ENOENT, "no secret 'db/missing'");
	char *p5[] = { S(""), NULL };
	fails(p5, NULL, NULL, NULL, -EINVAL, "empty key pattern");

	/* nothing requested: an empty set */
	ck_assert_int_eq(resolve(NULL, NULL, NULL, NULL, &s), 0);
	ck_assert_uint_eq(s->nitems, 0);
	keys = broker_items_keys(s);
	ck_assert_str_eq(keys, "");
	free(keys);
	run_free(s);
}
END_TEST

START_TEST(test_names)
{
	struct broker_run *s;
	put("path", "evil");
	put("db-pw", "a");
	put("db/pw", "b");
	put("9lives", "c");

	char *p1[] = { S("path"), NULL };
	fails(p1, NULL, NULL, NULL, -EINVAL, "PATH, which is reserved");
	ck_assert_int_eq(resolve(p1, NULL, NULL, "APP_", &s), 0);
	has(s, "APP_PATH", "path", "evil");
	s = run_free(s);
	allow_reserved = true;
	ck_assert_int_eq(resolve(p1, NULL, NULL, NULL, &s), 0);
	allow_reserved = false;
	has(s, "PATH", "path", "evil");
	s = run_free(s);

	char *p2[] = { S("db-pw"), S("db/pw"), NULL };
	fails(p2, NULL, NULL, NULL, -EINVAL,
	      "db-pw and db/pw both set the environment "
	      "variable DB_PW");

	char *p3[] = { S("9lives"), NULL };
	fails(p3, NULL, NULL, NULL, -EINVAL, "valid environment variable name");
	ck_assert_int_eq(resolve(p3, NULL, NULL, "X_", &s), 0);
	has(s, "X_9LIVES", "9lives", "c");
	s = run_free(s);

	fails(p3, NULL, NULL, "x_", -EINVAL, "env prefix 'x_'");
	fails(p3, NULL, NULL, "9", -EINVAL, "env prefix '9'");
	/* a prefix can also move a name into a reserved family */
	char *p4[] = { S("db/pw"), NULL };
	fails(p4, NULL, NULL, "LD_", -EINVAL, "LD_DB_PW, which is reserved");
}
END_TEST

START_TEST(test_fields_and_bindings)
{
	struct broker_run *s;
	put_fields("svc/creds", NULL, NULL, 0);
	const struct vault_binding b[] = { { S("PGUSER"), S("user") },
					   { S("PGPASSWORD"), S("pass.word") } };
	put_fields("pg", "conn-string", b, 2);
	const struct vault_binding bv[] = { { S("TOKEN"), S("") } };
	put_fields("tok", "t-val", bv, 1);

	char *p1[] = { S("svc/creds"), NULL };
	ck_assert_int_eq(resolve(p1, NULL, NULL, NULL, &s), 0);
	ck_assert_uint_eq(s->nitems, 2);
	has(s, "SVC_CREDS_USER", "svc/creds", "u-val");
	has(s, "SVC_CREDS_PASS_WORD", "svc/creds", "p-val");
	s = run_free(s);

	/* bindings name the variables (prefixed); the unbound single value keeps the key name */
	char *p2[] = { S("pg"), NULL };
	ck_assert_int_eq(resolve(p2, NULL, NULL, "APP_", &s), 0);
	ck_assert_uint_eq(s->nitems, 3);
	has(s, "APP_PGUSER", "pg", "u-val");
	has(s, "APP_PGPASSWORD", "pg", "p-val");
	has(s, "APP_PG", "pg", "conn-string");
	char *keys = broker_items_keys(s);
	ck_assert_str_eq(keys, "pg");
	free(keys);
	s = run_free(s);

	/* a binding to "" names the single value; unbound fields stay out */
	char *p3[] = { S("tok"), NULL };
	ck_assert_int_eq(resolve(p3, NULL, NULL, NULL, &s), 0);
	ck_assert_uint_eq(s->nitems, 1);
	has(s, "TOKEN", "tok", "t-val");
	run_free(s);
}
END_TEST

START_TEST(test_expired)
{
	struct reterr err = RETERR_INIT;
	struct broker_run *s;
	struct secret *val = secret_from("old", 3);
	int64_t now = clock_now();
	struct vault_set_in in = {
		.key = "old/token", .value = val, .set_expires = true, .expires_at = now + 100
	};
	ck_assert_int_eq(vault_set(v, &in, NULL, &err), 0);
	secret_free(val);
	put("old/other", "fine");

	char *p1[] = { S("old/token"), NULL };
	ck_assert_int_eq(resolve(p1, NULL, NULL, NULL, &s), 0);
	run_free(s);

	fake_now = now + 1000;
	clock_set_fn(clock_fake);
	fails(p1, NULL, NULL, NULL, -EKEYEXPIRED, "secret 'old/token' expired at");
	char *p2[] = { S("old/*"), NULL };
	fails(p2, NULL, NULL, NULL, -EKEYEXPIRED, "secret 'old/token' expired at");
	char *p3[] = { S("old/other"), NULL };
	ck_assert_int_eq(resolve(p3, NULL, NULL, NULL, &s), 0);
	run_free(s);
}
END_TEST

START_TEST(test_from_env)
{
	struct broker_run *s;
	put("db/pw", "vault-pw");
	setenv("MY_TOKEN", "tok-123", 1);
	setenv("EMPTY_ONE", "", 1);
	unsetenv("NOT_SET_ANYWHERE");

	char *p[] = { S("db/pw"), NULL };
	char *e1[] = { S("MY_TOKEN"), S("EMPTY_ONE"), NULL };
	ck_assert_int_eq(resolve(p, e1, NULL, "APP_", &s), 0);
	ck_assert_uint_eq(s->nitems, 3);
	has(s, "APP_DB_PW", "db/pw", "vault-pw");
	has(s, "MY_TOKEN", NULL, "tok-123"); /* no prefix for --from-env */
	has(s, "EMPTY_ONE", NULL, "");
	char *keys = broker_items_keys(s);
	ck_assert_str_eq(keys, "db/pw");
	free(keys);
	s = run_free(s);
	/* The values now live in secure memory only: gone from our environment. */
	ck_assert_ptr_null(getenv("MY_TOKEN"));
	ck_assert_ptr_null(getenv("EMPTY_ONE"));

	/* without a vault when no pattern is given */
	setenv("MY_TOKEN", "tok-123", 1);
	setenv("EMPTY_ONE", "", 1);
	ck_assert_int_eq(resolve(NULL, e1, NULL, NULL, &s), 0);
	ck_assert_uint_eq(s->nitems, 2);
	s = run_free(s);

	char *e2[] = { S("NOT_SET_ANYWHERE"), NULL };
	fails(NULL, e2, NULL, NULL, -EINVAL,
	      "--from-env NOT_SET_ANYWHERE: the variable is not "
	      "set");
	char *e3[] = { S("BAD-NAME"), NULL };
	fails(NULL, e3, NULL, NULL, -EINVAL, "not a valid environment variable name");
	char *e4[] = { S("MY_TOKEN"), S("HOME"), NULL };
	setenv("HOME", "/home/resolve-test", 1);
	setenv("MY_TOKEN", "tok-123", 1);
	fails(NULL, e4, NULL, NULL, -EINVAL, "HOME, which is reserved");
	/* A failed resolve leaves the environment alone, the names before the bad one included. */
	ck_assert_str_eq(getenv("HOME"), "/home/resolve-test");
	ck_assert_str_eq(getenv("MY_TOKEN"), "tok-123");
	char *e5[] = { S("MY_TOKEN"), S("MY_TOKEN"), NULL };
	fails(NULL, e5, NULL, NULL, -EINVAL, "both set the environment variable MY_TOKEN");
}
END_TEST

static void write_policy(const char *name, const char *yaml, mode_t mode)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fd_write_all(fd, yaml, strlen(yaml)), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(test_env_alias)
{
	struct broker_run *s;
	put("staging/db/password", "stage-pw");
	put("staging/db/host", "stage-host");
	put("prod/db/password", "prod-pw");
	put("prod/special", "sp");
	put("db/password", "plain-pw");
	write_policy("policy.yaml",
		     "version: 1\nenv_aliases:\n"
		     "  staging: [{pattern: 'db/*', target: 'staging/db/*'}]\n"
		     "  prod:\n"
		     "    - {pattern: 'db/*', target: 'prod/db/*'}\n"
		     "    - {pattern: 'special_key', target: 'prod/special'}\n"
		     "  empty: []\n",
		     0600);

	/* names come from the pattern as written: the same in every environment */
	char *p1[] = { S("db/*"), NULL };
	ck_assert_int_eq(resolve(p1, NULL, "staging", NULL, &s), 0);
	ck_assert_uint_eq(s->nitems, 2);
	has(s, "DB_PASSWORD", "staging/db/password", "stage-pw");
	has(s, "DB_HOST", "staging/db/host", "stage-host");
	s = run_free(s);

	char *p2[] = { S("db/password"), S("special_key"), NULL };
	ck_assert_int_eq(resolve(p2, NULL, "prod", "APP_", &s), 0);
	ck_assert_uint_eq(s->nitems, 2);
	has(s, "APP_DB_PASSWORD", "prod/db/password", "prod-pw");
	has(s, "APP_SPECIAL_KEY", "prod/special", "sp");
	char *keys = broker_items_keys(s);
	ck_assert_str_eq(keys, "prod/db/password,prod/special");
	free(keys);
	s = run_free(s);

	/* an alias without a matching rule leaves the pattern alone */
	ck_assert_int_eq(resolve(p1, NULL, "empty", NULL, &s), 0);
	has(s, "DB_PASSWORD", "db/password", "plain-pw");
	s = run_free(s);

	char *p3[] = { S("db/nothing*"), NULL };
	fails(p3, NULL, "prod", NULL, -ENOENT,
	      "'db/nothing*' (as 'prod/db/nothing*' under env alias prod) matches no secret");
	fails(p1, NULL, "dev", NULL, -EINVAL, "env alias 'dev': no such alias");

	/* $SECRETCTL_POLICY wins over the vault directory's file */
	write_policy("other.yaml",
		     "version: 1\nenv_aliases: {dev: [{pattern: 'db/*', target: 'prod/db/*'}]}\n",
		     0600);
	char other[128];
	snprintf(other, sizeof(other), "%s/other.yaml", dir);
	setenv(POLICY_ENV, other, 1);
	char *p4[] = { S("db/password"), NULL };
	ck_assert_int_eq(resolve(p4, NULL, "dev", NULL, &s), 0);
	has(s, "DB_PASSWORD", "prod/db/password", "prod-pw");
	s = run_free(s);
	fails(p4, NULL, "staging", NULL, -EINVAL, "env alias 'staging': no such alias");

	/* an unsafe or broken policy is refused with its path */
	write_policy("other.yaml", "version: 1\n", 0666);
	fails(p4, NULL, "dev", NULL, -EACCES, "chmod 600");
	write_policy("other.yaml", "version: 1\nenv_alias: {}\n", 0600);
	fails(p4, NULL, "dev", NULL, -EINVAL, "other.yaml:2:1: unknown key 'env_alias'");
	setenv(POLICY_ENV, "/nonexistent/policy.yaml", 1);
	fails(p4, NULL, "dev", NULL, -ENOENT, "no such policy file");
	/* without --env the policy is not read at all */
	ck_assert_int_eq(resolve(p4, NULL, NULL, NULL, &s), 0);
	has(s, "DB_PASSWORD", "db/password", "plain-pw");
	run_free(s);
	unsetenv(POLICY_ENV);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("resolve");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_exact_and_glob);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_fields_and_bindings);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_from_env);
	tcase_add_test(tc, test_env_alias);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	return s;
}
