/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl inject` renders a template whose {{ secretctl "KEY" ["FIELD"] }} references
 * are replaced by secret values, to stdout or a 0600 file written whole; a reference to a
 * missing secret or field writes nothing. Audited before any plaintext leaves. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"
#include "interchange/interchange.h"

static struct {
	const char *in, *out;
	bool force;
	struct buf tmpl;
	struct ix_ref *refs;
	size_t nrefs;
} o;

static const struct cli_opt opts[] = {
	CLI_STRING('i', "in-file", "TEMPLATE", &o.in, "the template (default: standard input)"),
	CLI_STRING('o', "out-file", "FILE", &o.out,
		   "write FILE (mode 0600, replaced whole) instead of stdout"),
	CLI_FLAG('f', "force", &o.force, "replace FILE when it exists"),
	CLI_OPT_END,
};

static const char *tmpl_name(void)
{
	return o.in ? o.in : "stdin";
}

static int read_template(bool password_stdin)
{
	AUTO_CLOSE int fd = -1;
	if (!o.in && password_stdin) {
		cli_error(
			"inject: --password-stdin needs the template from -i FILE (standard input "
			"carries the password)");
		return CLI_EUSAGE;
	}
	if (!o.in)
		fd = dup(STDIN_FILENO);
	else if ((fd = open(o.in, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		cli_error("inject: cannot open %s: %s", o.in, strerror(errno));
		return errno == ENOENT ? CLI_ENOTFOUND : CLI_EIO;
	}
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		cli_error("inject: %s is not a file", tmpl_name());
		return CLI_EUSAGE;
	}
	int r = fd_read_all(fd, IX_FILE_MAX, &o.tmpl);
	if (r < 0) {
		cli_error("inject: cannot read %s: %s", tmpl_name(),
			  r == -E2BIG ? "larger than 64 MiB" : strerror(-r));
		return r == -E2BIG ? CLI_EUSAGE : CLI_EIO;
	}
	return CLI_OK;
}

/* Read and parse the template before the vault is unlocked. */
static int check(struct cli_ctx *ctx)
{
	struct reterr err = RETERR_INIT;
	int rc = read_template(ctx->password_stdin);
	if (rc != CLI_OK)
		return rc;
	int r = ix_template_refs((const unsigned char *)o.tmpl.data, o.tmpl.len, &o.refs, &o.nrefs,
				 &err);
	if (r < 0) {
		cli_error("inject: %s: %s; nothing was written", tmpl_name(), reterr_str(&err, r));
		return r == -ENOMEM ? CLI_EIO : CLI_EUSAGE;
	}
	return o.out ? cli_plainfile_check("inject", o.out, o.force) : CLI_OK;
}

/* The loaded secrets, one per distinct key, and each reference's value (pointing into them). */
struct loaded {
	struct vault_entry **entries;
	const char **keys;
	size_t n;
	struct secret *views; /* per reference */
	const struct secret **values;
};

static void loaded_free(struct loaded *l)
{
	for (size_t i = 0; i < l->n; i++)
		vault_entry_free(l->entries[i]);
	free(l->entries);
	free(l->keys);
	free(l->views);
	free(l->values);
}

static int entry_for(struct vault *v, struct loaded *l, const struct ix_ref *ref,
		     const struct vault_entry **ret)
{
	struct reterr err = RETERR_INIT;
	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->keys[i], ref->key)) {
			*ret = l->entries[i];
			return CLI_OK;
		}
	}
	int r = vault_get(v, ref->key, VAULT_GET_NO_AUDIT, &l->entries[l->n], &err);
	if (r < 0) {
		cli_error("inject: %s:%u:%u: %s; nothing was written", tmpl_name(), ref->line,
			  ref->column,
			  r == -ENOENT ? "no such secret (see 'secretctl list')"
				       : reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	l->keys[l->n] = ref->key;
	*ret = l->entries[l->n++];
	return CLI_OK;
}

static int resolve(struct vault *v, struct loaded *l)
{
	size_t n = o.nrefs + 1;
	l->entries = calloc(n, sizeof(*l->entries));
	l->keys = calloc(n, sizeof(*l->keys));
	l->views = calloc(n, sizeof(*l->views));
	l->values = calloc(n, sizeof(*l->values));
	if (!l->entries || !l->keys || !l->views || !l->values) {
		cli_error("inject: out of memory");
		return CLI_EIO;
	}
	for (size_t i = 0; i < o.nrefs; i++) {
		const struct ix_ref *ref = &o.refs[i];
		const struct vault_entry *e = NULL;
		int rc = entry_for(v, l, ref, &e);
		if (rc != CLI_OK)
			return rc;
		if (!ref->field && e->meta.has_value) {
			l->views[i] = (struct secret){ (unsigned char *)e->value, e->value_len,
						       e->value_len };
		} else {
			size_t f = 0;
			while (ref->field && f < e->meta.nfields &&
			       strcmp(e->meta.fields[f].name, ref->field))
				f++;
			if (!ref->field || f == e->meta.nfields) {
				cli_error("inject: %s:%u:%u: %s has no %s%s%s; nothing was written",
					  tmpl_name(), ref->line, ref->column, ref->key,
					  ref->field ? "field '" : "value (name one of its fields)",
					  ref->field ? ref->field : "", ref->field ? "'" : "");
				return CLI_ENOTFOUND;
			}
			l->views[i] = (struct secret){ (unsigned char *)e->field_values[f],
						       e->field_lens[f], e->field_lens[f] };
		}
		l->values[i] = &l->views[i];
	}
	return CLI_OK;
}

static int audit(struct vault *v, const struct loaded *l)
{
	struct reterr err = RETERR_INIT;
	char detail[96];
	snprintf(detail, sizeof(detail), "{\"references\":%zu,\"to\":\"%s\"}", o.nrefs,
		 o.out ? "file" : "stdout");
	struct audit_event ev = { .action = "secret.inject", .success = true, .detail = detail };
	int r = audit_append_keys(v, &ev, l->keys, l->n, &err);
	if (r < 0) {
		cli_error("inject: cannot record the audit entry: %s; nothing was written",
			  reterr_str(&err, r));
		return cli_exit_from_errno(r);
	}
	return CLI_OK;
}

static int render(const struct loaded *l, int fd)
{
	struct outbuf out;
	outbuf_init_fd(&out, fd);
	ix_template_render(&out, (const unsigned char *)o.tmpl.data, o.tmpl.len, l->values,
			   o.nrefs);
	int w = outbuf_finish(&out);
	if (w < 0 && !(w == -EPIPE && fd == STDOUT_FILENO)) {
		cli_error("inject: cannot write %s: %s", o.out ? o.out : "the output",
			  strerror(-w));
		return CLI_EIO;
	}
	return CLI_OK;
}

static int run(struct cli_ctx *ctx)
{
	struct loaded l = { 0 };
	struct cli_plainfile f = { .fd = -1 };
	int rc = resolve(ctx->vault, &l);
	if (rc == CLI_OK && o.out)
		rc = cli_plainfile_open(&f, "inject", o.out, o.force);
	if (rc == CLI_OK) {
		cli_warn_plaintext("inject", o.out);
		rc = o.out ? render(&l, f.fd) : audit(ctx->vault, &l);
	}
	if (rc == CLI_OK)
		rc = o.out ? audit(ctx->vault, &l) : render(&l, STDOUT_FILENO);
	if (o.out && rc == CLI_OK)
		rc = cli_plainfile_commit(&f, "inject");
	else if (o.out)
		cli_plainfile_abort(&f);
	loaded_free(&l);
	return rc;
}

static void cleanup(void)
{
	ix_refs_free(o.refs, o.nrefs);
	buf_release(&o.tmpl);
	memset(&o, 0, sizeof(o));
}

const struct cli_command cli_cmd_inject = {
	.name = "inject",
	.summary = "render a template with secret values (as op inject)",
	.synopsis = "[-i TEMPLATE] [-o FILE] [-f] [--password-stdin]",
	.about =
		"Copy TEMPLATE (default: standard input) to stdout or FILE with every reference "
		"replaced\nby a secret's value:\n"
		"    {{ secretctl \"KEY\" }}            the secret's value\n"
		"    {{ secretctl \"KEY\" \"FIELD\" }}    one of its fields\n"
		"Other text, other \"{{ }}\" included, is copied as it is. A malformed reference "
		"or "
		"one\nto a missing secret or field is an error and nothing is written. -o writes a "
		"0600\nfile in one piece and never replaces one without --force. Audited "
		"(secret.inject).",
	.notes = "Exit status: 0 written, 1 bad usage or a malformed template (line and column "
		 "given),\n2 a missing secret or field, 3 password problem, 4 integrity failure, 5 "
		 "I/O error.\nThe grammar: 'man secretctl-inject'.",
	.opts = opts,
	.flags = CLI_UNLOCK,
	.max_args = 0,
	.args_hint = "inject takes no operand: name the template with -i TEMPLATE",
	.check = check,
	.run = run,
	.cleanup = cleanup,
};
