/* SPDX-License-Identifier: Apache-2.0 */
/* interchange: the 1Password, Bitwarden and LastPass exports under tests/fixtures/import/
 * (realistic samples), their mapping to keys and fields, and their malformed variants. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interchange-util.h"
#include "tests/unit/unit.h"

#define FIXTURES "tests/fixtures/import/"

static struct ix_doc *read_file(const char *name, enum ix_format f, bool pc)
{
	struct buf b = BUF_INIT;
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: run from the source tree", name);
	ck_assert_int_eq(fd_read_all(fd, IX_FILE_MAX, &b), 0);
	close(fd);
	struct ix_doc *d = itu_read(b.data, b.len, f, pc, 0, 0);
	buf_release(&b);
	return d;
}

static int read_str(const char *text, enum ix_format f, struct reterr *err)
{
	struct ix_doc *d = NULL;
	struct ix_opts o = { .format = f };
	int r = ix_read((const unsigned char *)text, strlen(text), &o, &d, err);
	ix_doc_free(d);
	return r;
}

#define find itu_find

/* Field name=value (sensitive as given); value NULL: only that it is absent. */
static void field(const struct ix_item *it, const char *name, const char *value, bool sensitive)
{
	for (size_t i = 0; i < it->nfields; i++) {
		const struct ix_field *f = &it->fields[i];
		if (strcmp(f->name, name))
			continue;
		ck_assert_msg(value, "%s has a field %s", it->key, name);
		ck_assert_msg(f->value.len == strlen(value) &&
				      !memcmp(f->value.data, value, f->value.len),
			      "%s.%s differs", it->key, name);
		ck_assert_msg(f->sensitive == sensitive, "%s.%s sensitive %d", it->key, name,
			      f->sensitive);
		return;
	}
	ck_assert_msg(!value, "%s has no field %s", it->key, name);
}

static bool warned(const struct ix_doc *d, const char *needle)
{
	for (size_t i = 0; d->warnings && d->warnings[i]; i++)
		if (strstr(d->warnings[i], needle))
			return true;
	return false;
}

START_TEST(test_1password)
{
	struct ix_doc *d = read_file(FIXTURES "1password.csv", IX_AUTO, false);
	ck_assert_int_eq(d->format, IX_1PASSWORD);
	ck_assert_uint_eq(d->n, 5);
	const struct ix_item *gh = find(d, "github");
	field(gh, "username", "octocat@example.com", false);
	field(gh, "password", "gh-P@ss,word\"quoted", true);
	field(gh, "totp", "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
	      true);
	ck_assert_str_eq(gh->url, "https://github.com/login");
	ck_assert_str_eq(gh->tags[0], "Work");
	ck_assert_str_eq(gh->tags[1], "Dev");
	const struct ix_item *aws = find(d, "aws_console");
	field(aws, "notes", "Account ID: 123456789012\nRegion: eu-west-1", true);
	ck_assert_uint_eq(aws->line, 3);
	field(find(d, "home_wi-fi"), "password", "correct horse battery staple", true);
	field(find(d, "home_wi-fi"), "username", NULL, false);
	const struct ix_item *bank = find(d, "caf_bank");
	ck_assert_str_eq(bank->tags[1], "archived");
	ck_assert_str_eq(find(d, "github-2")->url, "https://github.example.com");
	ck_assert(warned(d, "\"Empty Item\" holds nothing"));
	ck_assert(warned(d, "stored as github-2"));
	ix_doc_free(d);
	d = read_file(FIXTURES "1password.csv", IX_1PASSWORD, true);
	find(d, "GitHub");
	find(d, "Caf_Bank");
	ix_doc_free(d);
}
END_TEST

START_TEST(test_lastpass)
{
	struct ix_doc *d = read_file(FIXTURES "lastpass.csv", IX_AUTO, false);
	ck_assert_int_eq(d->format, IX_LASTPASS);
	ck_assert_uint_eq(d->n, 5);
	const struct ix_item *g = find(d, "email/google");
	field(g, "password", "G00gle-Pa55!", true);
	ck_assert_str_eq(g->url, "https://accounts.google.com/signin");
	const struct ix_item *wm = find(d, "work/email/work_mail");
	field(wm, "totp", "JBSWY3DPEHPK3PXP", true);
	field(wm, "notes", "Recovery codes:\n1111-2222\n3333-4444", true);
	const struct ix_item *note = find(d, "work/servers/prod_db_server");
	ck_assert_ptr_null(note->url);
	ck_assert_uint_eq(note->nfields, 1);
	ck_assert_uint_eq(note->line, 6);
	field(find(d, "shop"), "username", "jane, doe", false);
	field(find(d, "shop-2"), "username", "jane2", false);
	ix_doc_free(d);
}
END_TEST

START_TEST(test_bitwarden)
{
	struct ix_doc *d = read_file(FIXTURES "bitwarden.json", IX_AUTO, false);
	ck_assert_int_eq(d->format, IX_BITWARDEN);
	ck_assert_uint_eq(d->n, 6);
	const struct ix_item *gh = find(d, "work/github");
	field(gh, "username", "octocat", false);
	field(gh, "password", "bw-Gh-pass-9f8e7d", true);
	field(gh, "url_2", "https://api.github.com", false);
	field(gh, "api_token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", true);
	field(gh, "team", "platform", false);
	field(gh, "sso_enforced", "true", false);
	field(gh, "login_name", NULL, false);
	field(gh, "notes", "2FA via the app; recovery codes in the safe.", true);
	ck_assert_str_eq(gh->url, "https://github.com/login");
	ck_assert_int_eq(gh->created_at, 1700467200);
	ck_assert_int_eq(gh->updated_at, 1709630130);
	field(find(d, "server_notes"), "notes",
	      "root password: \"s3rv3r-r00t\"\nbackup key: AKIAEXAMPLE", true);
	const struct ix_item *card = find(d, "personal/finance/visa_card");
	field(card, "number", "4111111111111111", true);
	field(card, "exp_month", "7", false);
	field(card, "code", "123", true);
	const struct ix_item *id = find(d, "jane_doe");
	field(id, "ssn", "078-05-1120", true);
	field(id, "first_name", "Jane", false);
	field(id, "middle_name", NULL, false);
	const struct ix_item *ssh = find(d, "work/deploy_key");
	field(ssh, "public_key",
	      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qta2V5LW5vdC1hLXJlYWwta2V5 deploy@ci",
	      false);
	ck_assert_uint_eq(ssh->nfields, 3);
	field(find(d, "work/github-2"), "username", "octocat-bot", false);
	ck_assert(warned(d, "\"Passkey only\" holds nothing"));
	ix_doc_free(d);
}
END_TEST

START_TEST(test_malformed)
{
	struct reterr err = RETERR_INIT;
	ck_assert_int_eq(
		read_str("Title,Url,Username,Password\nA,u,n,p\nB,u,\"open,p\n", IX_AUTO, &err),
		-EINVAL);
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(
		read_str("Title,Url,Username,Password\nA,u,n,p,extra\n", IX_1PASSWORD, &err),
		-EINVAL);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(read_str("url,username,password,extra,name,grouping\n"
				  "u,n,\"p\"x,e,N,g\n",
				  IX_AUTO, &err),
			 -EINVAL);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(read_str("a,b\n1,2\n", IX_LASTPASS, &err), -EINVAL);
	ck_assert_int_eq(err.line, 1);
	ck_assert_int_eq(
		read_str("{\"encrypted\": false, \"items\": [\n{\"name\": \"x\"}]}", IX_AUTO, &err),
		-EINVAL);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(read_str("{\"encrypted\": false, \"items\": [{\"type\": 1, \"name\": "
				  "\"x\", \"login\": {\"password\": [5]}}]}",
				  IX_AUTO, &err),
			 -EINVAL);
	ck_assert_int_eq(read_str("{\"encrypted\": true, \"encKeyValidation_DO_NOT_EDIT\": "
				  "\"2.x\", \"items\": []}",
				  IX_AUTO, &err),
			 -EPROTO);
	ck_assert_int_eq(read_str("{\"encrypted\": true, \"passwordProtected\": true, \"salt\": "
				  "\"x\", \"data\": \"y\"}",
				  IX_BITWARDEN, &err),
			 -EPROTO);
	ck_assert_int_eq(read_str("{\"folders\": [], \"items\": {}}", IX_AUTO, &err), -EINVAL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("interchange-competitors");
	TCase *tc = tcase_create("competitors");
	tcase_add_test(tc, test_1password);
	tcase_add_test(tc, test_lastpass);
	tcase_add_test(tc, test_bitwarden);
	tcase_add_test(tc, test_malformed);
	suite_add_tcase(s, tc);
	return s;
}
