/* SPDX-License-Identifier: Apache-2.0 */
/* cli: the dispatcher. Finds the command (and subcommand), hardens, parses its declared options,
 * checks its operands, unlocks the vault when it says so, runs it and cleans up; and prints every
 * command's help from the same declarations, so the help cannot drift from the parser. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define OPT_BASE 256 /* getopt values of options without a short name: OPT_BASE + index */
#define OPT_HELP (-1)
#define OPT_PASSWORD_STDIN (-2)
#define HELP_COL_MIN 20
#define HELP_COL_MAX 26

static const struct cli_opt help_opt = CLI_FLAG('h', "help", NULL, "show this help");
static const struct cli_opt password_opt = CLI_FLAG(0, "password-stdin", NULL,
						    "read the master password from the first "
						    "line of stdin");

static const struct cli_command *resolve(const struct cli_command *c)
{
	return c->alias ? c->alias : c;
}

/* Append " word" (or "word" to an empty name), cut at the buffer's end. */
static void name_append(char *name, size_t cap, const char *word)
{
	size_t len = strlen(name), n = strlen(word);
	if (len && len + 1 < cap)
		name[len++] = ' ';
	if (n > cap - 1 - len)
		n = cap - 1 - len;
	memcpy(name + len, word, n);
	name[len + n] = '\0';
}

static size_t count_opts(const struct cli_opt *o)
{
	size_t n = 0;
	while (o && o[n].long_name)
		n++;
	return n;
}

/* The i-th option of a command as the parser sees it: its own, then --password-stdin, --help. */
static const struct cli_opt *opt_at(const struct cli_command *c, size_t i, int *ret_id)
{
	c = resolve(c);
	size_t own = count_opts(c->opts);
	if (i < own) {
		*ret_id = (int)i;
		return &c->opts[i];
	}
	if (i == own && (c->flags & CLI_PASSWORD)) {
		*ret_id = OPT_PASSWORD_STDIN;
		return &password_opt;
	}
	if (i == own + !!(c->flags & CLI_PASSWORD)) {
		*ret_id = OPT_HELP;
		return &help_opt;
	}
	return NULL;
}

const struct cli_opt *cli_opt_at(const struct cli_command *c, size_t i)
{
	int id;
	return opt_at(c, i, &id);
}

/* ---- help ----------------------------------------------------------------------------------- */

static void print_lines(FILE *f, const char *first, const char *next, const char *text)
{
	const char *prefix = first;
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		fprintf(f, "%s%.*s\n", prefix, (int)n, text);
		text += n + (text[n] == '\n');
		prefix = next;
	}
}

static int opt_left(const struct cli_opt *o, char *out, size_t n)
{
	char sh[8] = "";
	if (o->short_name)
		snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
	return snprintf(out, n, "  %s--%s%s%s", sh, o->long_name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

static void print_opts(const struct cli_command *c, FILE *f)
{
	char left[128];
	int col = HELP_COL_MIN, id;
	const struct cli_opt *o;
	for (size_t i = 0; (o = opt_at(c, i, &id)); i++) {
		int w = opt_left(o, left, sizeof(left)) + 2;
		if (w > col && w <= HELP_COL_MAX)
			col = w;
	}
	for (size_t i = 0; (o = opt_at(c, i, &id)); i++) {
		int w = opt_left(o, left, sizeof(left));
		if (w + 2 > col)
			fprintf(f, "%s\n%*s", left, col, "");
		else
			fprintf(f, "%-*s", col, left);
		size_t n = strcspn(o->help, "\n");
		fprintf(f, "%.*s\n", (int)n, o->help);
		for (const char *h = o->help + n; *h == '\n';) {
			h++;
			n = strcspn(h, "\n");
			fprintf(f, "%*s%.*s\n", col, "", (int)n, h);
			h += n;
		}
	}
}

/* "usage: secretctl NAME SYN" for each synopsis line; a parent shows its subcommands' lines. */
static void print_usage_lines(const struct cli_command *c, const char *name, FILE *f, int *nth)
{
	if (c->subs && c->run) {
		const struct cli_command own = { .synopsis = c->synopsis };
		print_usage_lines(&own, name, f, nth);
	}
	if (c->subs) {
		for (const struct cli_command *const *s = c->subs; *s; s++) {
			char sub[128];
			snprintf(sub, sizeof(sub), "%s %s", name, (*s)->name);
			print_usage_lines(*s, sub, f, nth);
		}
		return;
	}
	/* Later synopsis lines continue the first one, aligned under its arguments. */
	const char *syn = c->synopsis ? c->synopsis : "";
	size_t n = strcspn(syn, "\n");
	int indent = (int)strlen("usage: secretctl ") + (int)strlen(name) + 1;
	fprintf(f, "%s secretctl %s%s%.*s\n", (*nth)++ ? "      " : "usage:", name, n ? " " : "",
		(int)n, syn);
	for (syn += n; *syn == '\n'; syn += n) {
		syn++;
		n = strcspn(syn, "\n");
		fprintf(f, "%*s%.*s\n", indent, "", (int)n, syn);
	}
}

void cli_help(const struct cli_command *cmd, const char *name, FILE *f, bool full)
{
	const struct cli_command *c = resolve(cmd);
	int nth = 0;
	print_usage_lines(c, name, f, &nth);
	if (!full) {
		fprintf(f, "See 'secretctl %s --help'.\n", name);
		return;
	}
	if (c->about) {
		fputc('\n', f);
		print_lines(f, "", "", c->about);
	}
	if (c->subs) {
		fputc('\n', f);
		for (const struct cli_command *const *s = c->subs; *s; s++)
			fprintf(f, "  %-10s %s\n", (*s)->name, (*s)->summary);
		fprintf(f, "\nRun 'secretctl %s COMMAND --help' for a command's options.\n", name);
	}
	if (!c->subs || c->run) {
		fputc('\n', f);
		print_opts(c, f);
	}
	if (c->notes) {
		fputc('\n', f);
		print_lines(f, "", "", c->notes);
	}
}

/* ---- finding the command -------------------------------------------------------------------- */

static const struct cli_command *find_in(const struct cli_command *const *t, const char *w)
{
	for (; t && *t; t++) {
		if (!strcmp((*t)->name, w))
			return *t;
	}
	return NULL;
}

const struct cli_command *cli_find(const struct cli_command *const *table, char **words, int nwords,
				   int *ret_used)
{
	const struct cli_command *c = nwords > 0 ? find_in(table, words[0]) : NULL;
	int used = c ? 1 : 0;
	while (c && used < nwords && resolve(c)->subs) {
		const struct cli_command *s = find_in(resolve(c)->subs, words[used]);
		if (!s)
			break;
		c = s;
		used++;
	}
	*ret_used = used;
	return c;
}

/* ---- parsing -------------------------------------------------------------------------------- */

struct parse {
	const struct cli_command *cmd, *parent;
	const char *name;
	struct option *lopts;
	char optstring[128];
	bool *seen; /* per option: a single-valued option given once already */
};

static int parse_init(struct parse *p)
{
	size_t n = 0, k = 0;
	int id;
	const struct cli_opt *o;
	while (opt_at(p->cmd, n, &id))
		n++;
	p->lopts = calloc(n + 1, sizeof(*p->lopts));
	p->seen = calloc(n + 1, sizeof(*p->seen));
	if (!p->lopts || !p->seen)
		return -ENOMEM;
	/* '+': a command line follows, its options are its own; ':' reports a missing argument. */
	k = (size_t)snprintf(p->optstring, sizeof(p->optstring),
			     "%s:", p->cmd->flags & CLI_COMMAND ? "+" : "");
	for (size_t i = 0; (o = opt_at(p->cmd, i, &id)); i++) {
		p->lopts[i] =
			(struct option){ o->long_name, o->arg ? required_argument : no_argument,
					 NULL, OPT_BASE + (int)i };
		if (o->short_name && k + 3 < sizeof(p->optstring)) {
			p->optstring[k++] = (char)o->short_name;
			if (o->arg)
				p->optstring[k++] = ':';
			p->optstring[k] = '\0';
		}
	}
	return 0;
}

static void usage_error(const struct parse *p)
{
	cli_help(p->cmd, p->name, stderr, false);
}

static int usage_exit(const struct cli_command *c)
{
	return c->usage_exit ? c->usage_exit : CLI_EUSAGE;
}

/* Whether a sibling subcommand knows the long option (name, n bytes), to say "does not apply"
 * rather than "unknown". */
static bool sibling_knows(const struct parse *p, const char *name, size_t n)
{
	if (!p->parent)
		return false;
	for (const struct cli_command *const *s = resolve(p->parent)->subs; s && *s; s++) {
		for (const struct cli_opt *o = (*s)->opts; o && o->long_name; o++) {
			if (str_eq_n(name, n, o->long_name))
				return true;
		}
	}
	return false;
}

static int bad_option(const struct parse *p, int c, char **argv)
{
	const char *word = argv[optind - 1] ? argv[optind - 1] : "?", *dash = "", *text = word;
	char ch[2] = { 0, 0 };
	size_t n;
	if (optopt && optopt < OPT_BASE && !str_has_prefix(word, "--")) {
		ch[0] = (char)optopt;
		dash = "-";
		text = ch;
		n = 1;
	} else if (optopt >= OPT_BASE) {
		dash = "--";
		text = p->lopts[optopt - OPT_BASE].name;
		n = strlen(text);
	} else {
		if (str_has_prefix(word, "--")) {
			dash = "--";
			text = word + 2;
		}
		n = strcspn(text, "=");
	}
	int len = n > 64 ? 64 : (int)n;
	if (c == ':')
		cli_error("%s: option %s%.*s needs an argument", p->name, dash, len, text);
	else if (*dash == '-' && dash[1] == '-' && sibling_knows(p, text, n))
		cli_error("%s: option %s%.*s does not apply here", p->name, dash, len, text);
	else
		cli_error("%s: unknown option '%s%.*s'", p->name, dash, len, text);
	usage_error(p);
	return usage_exit(p->cmd);
}

/* One option found by getopt: store it. CLI_OK, -1 for --help, or an exit code. */
static int take(struct parse *p, struct cli_ctx *ctx, size_t i, const char *arg)
{
	int id;
	const struct cli_opt *o = opt_at(p->cmd, i, &id);
	if (id == OPT_HELP)
		return -1;
	if (id == OPT_PASSWORD_STDIN) {
		ctx->password_stdin = true;
		return CLI_OK;
	}
	if (o->kind == CLI_OPT_STRING || (o->kind == CLI_OPT_FN && o->once)) {
		if (p->seen[i]) {
			cli_error("%s: --%s given twice (give it once)", p->name, o->long_name);
			return usage_exit(p->cmd);
		}
		p->seen[i] = true;
	}
	switch (o->kind) {
	case CLI_OPT_FLAG: *(bool *)o->dest = true; return CLI_OK;
	case CLI_OPT_SET: *(int *)o->dest = o->value; return CLI_OK;
	case CLI_OPT_STRING: *(const char **)o->dest = arg; return CLI_OK;
	case CLI_OPT_LIST:
		if (strv_push((char ***)o->dest, arg) < 0) {
			cli_error("%s: out of memory", p->name);
			return CLI_EIO;
		}
		return CLI_OK;
	case CLI_OPT_FN: return o->fn(arg);
	}
	return CLI_EIO;
}

static int parse_opts(struct parse *p, struct cli_ctx *ctx, int argc, char **argv)
{
	int c;
	opterr = 0;
	optind = 0; /* a full re-initialisation of glibc's getopt */
	while ((c = getopt_long(argc, argv, p->optstring, p->lopts, NULL)) != -1) {
		size_t i;
		if (c == '?' || c == ':')
			return bad_option(p, c, argv);
		if (c >= OPT_BASE) {
			i = (size_t)(c - OPT_BASE);
		} else {
			int id;
			const struct cli_opt *o;
			for (i = 0; (o = opt_at(p->cmd, i, &id)) && o->short_name != c; i++)
				;
		}
		int r = take(p, ctx, i, optarg);
		if (r == -1) {
			cli_help(p->cmd, p->name, stdout, true);
			return -1;
		}
		if (r != CLI_OK)
			return r;
	}
	ctx->argc = argc - optind;
	ctx->argv = argv + optind;
	return CLI_OK;
}

static int check_operands(const struct parse *p, struct cli_ctx *ctx)
{
	const struct cli_command *c = p->cmd;
	struct reterr err = RETERR_INIT;
	if (c->flags & CLI_KEY) {
		if (ctx->argc != 1) {
			cli_error("%s: expected exactly one KEY (see 'secretctl %s --help')",
				  p->name, p->name);
			return usage_exit(c);
		}
		if (vault_key_check(ctx->argv[0], &err) < 0) {
			cli_error("%s: invalid key: %s", p->name, reterr_str(&err, -EINVAL));
			return usage_exit(c);
		}
		ctx->key = ctx->argv[0];
	} else if (c->flags & CLI_COMMAND) {
		if (ctx->argc < 1) {
			cli_error("%s: no command given (usage: secretctl %s [options] -- COMMAND "
				  "[ARGS...])",
				  p->name, p->name);
			return usage_exit(c);
		}
	} else if (c->max_args >= 0 && ctx->argc > c->max_args) {
		if (c->args_hint)
			cli_error("%s: %s", p->name, c->args_hint);
		else
			cli_error("%s: unexpected argument '%s'", p->name, ctx->argv[c->max_args]);
		usage_error(p);
		return usage_exit(c);
	}
	return CLI_OK;
}

/* Free what the declared options collected (lists). */
static void release_opts(const struct cli_command *c)
{
	for (const struct cli_opt *o = c->opts; o && o->long_name; o++) {
		if (o->kind == CLI_OPT_LIST)
			*(char ***)o->dest = strv_free(*(char ***)o->dest);
	}
	if (c->cleanup)
		c->cleanup();
}

/* The command line as cli_dispatch got it (from the command name on), for the agent. */
static int whole_argc;
static char **whole_argv;

static enum cli_scope scope_of(const struct cli_command *c, const struct cli_ctx *ctx)
{
	if (c->scope)
		return c->scope(ctx);
	if (!(c->flags & CLI_VAULT))
		return CLI_SCOPE_NONE;
	return c->flags & CLI_AGENT_SCOPE ? CLI_SCOPE_AGENT : CLI_SCOPE_FULL;
}

static int run_command(const struct cli_command *const *table, const struct cli_command *cmd,
		       const struct cli_command *parent, const char *name, int argc, char **argv)
{
	const struct cli_command *c = resolve(cmd);
	struct parse p = { .cmd = c, .parent = parent, .name = name };
	struct cli_ctx ctx = { .name = name, .table = table };
	int rc;

	if (c->flags & CLI_HARDEN)
		cli_harden();
	if (parse_init(&p) < 0) {
		cli_error("%s: out of memory", name);
		rc = CLI_EIO;
		goto out;
	}
	rc = parse_opts(&p, &ctx, argc, argv);
	if (rc == -1) {
		rc = CLI_OK;
		goto out;
	}
	if (rc != CLI_OK || (rc = check_operands(&p, &ctx)) != CLI_OK)
		goto out;
	if (c->check && (rc = c->check(&ctx)) != CLI_OK)
		goto out;
	ctx.scope = scope_of(c, &ctx);
	if ((rc = cli_session_route(c, &ctx, whole_argc, whole_argv)) >= 0)
		goto out;
	if ((c->flags & CLI_VAULT) &&
	    (rc = cli_vault_unlock(ctx.password_stdin, c->flags & CLI_READONLY, &ctx.vault)))
		goto out;
	rc = c->run(&ctx);
out:
	if (cli_vault_close(ctx.vault) != CLI_OK && rc == CLI_OK)
		rc = CLI_EIO;
	release_opts(c);
	free(p.lopts);
	free(p.seen);
	return rc;
}

static void usage_top(const struct cli_command *const *table, FILE *f)
{
	fprintf(f, "usage: secretctl <command> [options]\n\ncommands:\n");
	for (const struct cli_command *const *t = table; *t; t++)
		fprintf(f, "  %-11s %s\n", (*t)->name, (*t)->summary);
	fprintf(f, "\nRun 'secretctl help <command>' or 'secretctl <command> --help' for a "
		   "command's options;\n'secretctl --version' for the version; 'man secretctl' for "
		   "the manual.\n");
}

/* `secretctl help [COMMAND [SUB]]`. */
static int help_command(const struct cli_command *const *table, int argc, char **argv)
{
	if (argc < 2) {
		usage_top(table, stdout);
		return CLI_OK;
	}
	int used;
	const struct cli_command *c = cli_find(table, argv + 1, argc - 1, &used);
	if (!c || used != argc - 1) {
		cli_error("help: no command '%s' (see 'secretctl --help')", argv[1 + used]);
		return CLI_EUSAGE;
	}
	char name[128] = "";
	for (int i = 1; i <= used; i++)
		name_append(name, sizeof(name), argv[i]);
	cli_help(c, name, stdout, true);
	return CLI_OK;
}

static bool is_help(const char *s)
{
	return !strcmp(s, "--help") || !strcmp(s, "-h") || !strcmp(s, "help");
}

static const struct cli_command *const *first_table;

const struct cli_command *const *cli_dispatch_table(void)
{
	return first_table;
}

int cli_dispatch(const struct cli_command *const *table, int argc, char **argv)
{
	if (!first_table)
		first_table = table;
	whole_argc = argc;
	whole_argv = argv;
	if (argc < 1) {
		usage_top(table, stderr);
		return CLI_EUSAGE;
	}
	if (!strcmp(argv[0], "help"))
		return help_command(table, argc, argv);
	if (is_help(argv[0])) {
		usage_top(table, stdout);
		return CLI_OK;
	}
	const struct cli_command *c = find_in(table, argv[0]), *parent = NULL;
	if (!c) {
		cli_error("unknown command '%s' (see 'secretctl --help')", argv[0]);
		return CLI_EUSAGE;
	}
	char name[128] = "";
	name_append(name, sizeof(name), argv[0]);
	while (resolve(c)->subs) {
		/* A command with subcommands and a run of its own (security) runs itself when no
		 * subcommand follows. */
		if (resolve(c)->run &&
		    (argc < 2 || argv[1][0] == '-' || !find_in(resolve(c)->subs, argv[1])) &&
		    (argc < 2 || !is_help(argv[1])))
			break;
		if (argc < 2) {
			cli_help(c, name, stderr, false);
			return CLI_EUSAGE;
		}
		if (is_help(argv[1])) {
			cli_help(c, name, stdout, true);
			return CLI_OK;
		}
		const struct cli_command *s = find_in(resolve(c)->subs, argv[1]);
		if (!s) {
			cli_error("%s: unknown subcommand '%s' (see 'secretctl %s --help')", name,
				  argv[1], name);
			return CLI_EUSAGE;
		}
		name_append(name, sizeof(name), s->name);
		parent = c;
		c = s;
		argc--;
		argv++;
	}
	return run_command(table, c, parent, name, argc, argv);
}
