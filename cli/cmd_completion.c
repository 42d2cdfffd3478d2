/* SPDX-License-Identifier: Apache-2.0 */
/* cli: `secretctl completion bash|zsh|fish` prints a completion script generated from the
 * command table itself (the dispatcher's table and cli_opt_at), so completion cannot drift from the
 * parser: commands, subcommands, every option, option values (choices, files, keys) and
 * operands. Key names come from `secretctl list` (names only) and only when the user opts in
 * with SECRETCTL_COMPLETION_ENABLED=1 and SECRETCTL_PASSWORD is set: completion never prompts. */
#include <stdio.h>
#include <string.h>

#include "cli/cli-internal.h"
#include "cli/cli.h"

static const struct cli_command *resolve(const struct cli_command *c)
{
	return c->alias ? c->alias : c;
}

/* Append word (with a space before all but the first) to out. */
static void word_add(char *out, size_t n, const char *word, size_t wlen)
{
	size_t len = strlen(out);
	if (len + 1 + wlen + 1 > n)
		return;
	if (len)
		out[len++] = ' ';
	memcpy(out + len, word, wlen);
	out[len + wlen] = 0;
}

/* "a|b|c" at s (up to a space, ']' or the end) as "a b c"; false when s has no '|'. */
static bool choices(const char *s, char *out, size_t n)
{
	size_t len = strcspn(s, " ]\n");
	if (!memchr(s, '|', len) || memchr(s, '.', len))
		return false;
	out[0] = 0;
	for (size_t i = 0; i < len;) {
		size_t k = strcspn(s + i, "| ]\n");
		word_add(out, n, s + i, k);
		i += k + 1;
	}
	return true;
}

static bool is_any(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static const char *const file_args[] = { "FILE", "PATH", "DIR", "TEMPLATE", NULL };
static const char *const key_args[] = { "KEY", "PATTERN", NULL };

/* What an option's argument completes to: choices ("a b c", from the argument's name or the
 * synopsis), "@file", "@key", or "" (free text). */
static void arg_kind(const struct cli_command *c, const struct cli_opt *o, char *out, size_t n)
{
	char pat[80];
	snprintf(pat, sizeof(pat), "--%s ", o->long_name);
	const char *syn = c->synopsis ? strstr(c->synopsis, pat) : NULL;
	out[0] = 0;
	if (choices(o->arg, out, n) || (syn && choices(syn + strlen(pat), out, n)))
		return;
	if (is_any(o->arg, file_args))
		snprintf(out, n, "@file");
	else if (is_any(o->arg, key_args))
		snprintf(out, n, "@key");
}

/* What the operands complete to, from the flags and the synopsis's first word. */
static void operand_kind(const struct cli_command *c, char *out, size_t n)
{
	char first[64] = "";
	const char *syn = c->synopsis ? c->synopsis : "";
	size_t len = strcspn(syn, " \n");
	snprintf(first, sizeof(first), "%.*s", (int)(len < 60 ? len : 60), syn);
	char *w = first + (first[0] == '[');
	w[strcspn(w, "]")] = 0;
	out[0] = 0;
	if (c->flags & CLI_COMMAND)
		snprintf(out, n, "@cmd");
	else if ((c->flags & CLI_KEY) || is_any(w, key_args))
		snprintf(out, n, "@key");
	else if (is_any(w, file_args))
		snprintf(out, n, "@file");
	else if (c->max_args != 0)
		(void)choices(w, out, n);
}

/* ---- the walk over the table ------------------------------------------------------------------ */

struct emit {
	FILE *f;
	const struct cli_command *const *table; /* every command */
	/* One command path ("" is the top level): its subcommands (names), operand kind. */
	void (*path)(struct emit *e, const char *path, const struct cli_command *c);
	/* One option of path: kind NULL when it takes no argument. */
	void (*opt)(struct emit *e, const char *path, const struct cli_opt *o, const char *kind);
};

static void subs_of(const struct cli_command *const *subs, char *out, size_t n)
{
	out[0] = 0;
	for (; subs && *subs; subs++)
		word_add(out, n, (*subs)->name, strlen((*subs)->name));
}

static void walk(struct emit *e, const char *path, const struct cli_command *c)
{
	c = resolve(c);
	e->path(e, path, c);
	for (size_t i = 0;; i++) {
		const struct cli_opt *o = cli_opt_at(c, i);
		char kind[256];
		if (!o)
			break;
		if (o->arg)
			arg_kind(c, o, kind, sizeof(kind));
		e->opt(e, path, o, o->arg ? kind : NULL);
	}
	for (const struct cli_command *const *s = c->subs; s && *s; s++) {
		char sub[128];
		snprintf(sub, sizeof(sub), "%s %s", path, (*s)->name);
		walk(e, sub, *s);
	}
}

/* Paths start with the program's name: "secretctl", "secretctl audit list" (shells keep no
 * empty key in an associative array). */
#define ROOT "secretctl"

static bool is_root(const char *path)
{
	return !strcmp(path, ROOT);
}

static void walk_all(struct emit *e)
{
	static const struct cli_command root = { .name = ROOT, .max_args = 0 };
	e->path(e, ROOT, &root);
	for (const struct cli_command *const *t = e->table; *t; t++) {
		char path[128];
		snprintf(path, sizeof(path), ROOT " %s", (*t)->name);
		walk(e, path, *t);
	}
}

/* ---- bash --------------------------------------------------------------------------------------- */

static void top_words(const struct emit *e, char *out, size_t n)
{
	subs_of(e->table, out, n);
	word_add(out, n, "help", 4);
}

/* array[key] op 'value', through a variable subscript: bash and zsh read it alike (zsh takes
 * quotes inside a subscript literally). */
static void entry(FILE *f, const char *array, const char *key, const char *op, const char *value)
{
	fprintf(f, "_sk='%s'; %s[$_sk]%s'%s'\n", key, array, op, value);
}

static void bash_path(struct emit *e, const char *path, const struct cli_command *c)
{
	char subs[1024], operand[256];
	if (is_root(path))
		top_words(e, subs, sizeof(subs));
	else
		subs_of(resolve(c)->subs, subs, sizeof(subs));
	if (is_root(path)) {
		entry(e->f, "_secretctl_opts", ROOT, "=", "--help -h --version");
		entry(e->f, "_secretctl_operand", ROOT " help", "=", subs);
	}
	operand_kind(resolve(c), operand, sizeof(operand));
	entry(e->f, "_secretctl_subs", path, "=", subs);
	entry(e->f, "_secretctl_operand", path, "=", operand);
	if (!is_root(path))
		entry(e->f, "_secretctl_opts", path, "=", "");
}

static void bash_opt(struct emit *e, const char *path, const struct cli_opt *o, const char *kind)
{
	char words[96], key[200];
	if (o->short_name)
		snprintf(words, sizeof(words), " --%.64s -%c", o->long_name, o->short_name);
	else
		snprintf(words, sizeof(words), " --%.64s", o->long_name);
	entry(e->f, "_secretctl_opts", path, "+=", words);
	if (!kind)
		return;
	snprintf(key, sizeof(key), "%s|--%s", path, o->long_name);
	entry(e->f, "_secretctl_args", key, "=", kind);
	if (o->short_name) {
		snprintf(key, sizeof(key), "%s|-%c", path, o->short_name);
		entry(e->f, "_secretctl_args", key, "=", kind);
	}
}

static const char bash_head[] =
	"# bash completion for secretctl, generated by `secretctl completion bash` from its\n"
	"# command table. Load it with: source <(secretctl completion bash)\n"
	"# Key names are offered only with SECRETCTL_COMPLETION_ENABLED=1 and SECRETCTL_PASSWORD\n"
	"# set: they come from `secretctl list` (names only, never values; each listing is an\n"
	"# unlock, recorded in the audit log). Completion never asks for a password.\n"
	"declare -gA _secretctl_subs=() _secretctl_opts=() _secretctl_args=() "
	"_secretctl_operand=()\n";

/* What bash and zsh share: the key names, and the walk over the words typed so far that finds
 * the command path, whether an option waits for its argument, and the operands. Written in the
 * common subset of both shells (an unquoted subscript: zsh keeps quotes in one). */
static const char shared_body[] =
	"_secretctl_keys() {\n"
	"\t[[ ${SECRETCTL_COMPLETION_ENABLED:-} == 1 && -n ${SECRETCTL_PASSWORD:-} ]] || return 0\n"
	"\tcommand secretctl list </dev/null 2>/dev/null\n"
	"}\n"
	"# Sets _sc_path (\"secretctl audit list\"), _sc_skip (the last word is an option that "
	"takes\n"
	"# an argument), _sc_operands, _sc_dashdash and _sc_stop (options are over: after \"--\" "
	"or\n"
	"# the command run runs; elsewhere options may follow operands, as the parser permutes)\n"
	"# from the words before the current one.\n"
	"_secretctl_walk() {\n"
	"\tlocal w\n"
	"\t_sc_path=secretctl _sc_skip=0 _sc_operands=0 _sc_dashdash=0 _sc_stop=0\n"
	"\tfor w; do\n"
	"\t\tif ((_sc_skip)); then _sc_skip=0; continue; fi\n"
	"\t\tif ((!_sc_stop)) && [[ $w == -- ]]; then _sc_dashdash=1 _sc_stop=1; continue; fi\n"
	"\t\tif ((!_sc_stop)) && [[ $w == -* ]]; then\n"
	"\t\t\t[[ -n ${_secretctl_args[$_sc_path|$w]+set} ]] && _sc_skip=1\n"
	"\t\t\tcontinue\n"
	"\t\tfi\n"
	"\t\tif ((!_sc_operands && !_sc_dashdash)) && [[ \" ${_secretctl_subs[$_sc_path]-} \" == "
	"*\" $w \"* ]]; then\n"
	"\t\t\t_sc_path=\"$_sc_path $w\"; continue\n"
	"\t\tfi\n"
	"\t\t_sc_operands=$((_sc_operands + 1))\n"
	"\t\t[[ ${_secretctl_operand[$_sc_path]-} == @cmd ]] && _sc_stop=1\n"
	"\tdone\n"
	"}\n";

static const char bash_body[] =
	"_secretctl_words() { # kind current-word\n"
	"\tcase $1 in\n"
	"\t@file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- \"$2\") "
	";;\n"
	"\t@key) mapfile -t COMPREPLY < <(compgen -W \"$(_secretctl_keys)\" -- \"$2\") ;;\n"
	"\t@cmd) mapfile -t COMPREPLY < <(compgen -c -- \"$2\") ;;\n"
	"\t*) mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$2\") ;;\n"
	"\tesac\n"
	"}\n"
	"_secretctl() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	"\tlocal _sc_path _sc_skip _sc_operands _sc_dashdash _sc_stop\n"
	"\tCOMPREPLY=()\n"
	"\t_secretctl_walk \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"\n"
	"\tlocal operand=${_secretctl_operand[$_sc_path]-}\n"
	"\tif [[ $operand == @cmd ]] && ((_sc_dashdash || _sc_operands)); then\n"
	"\t\tif ((_sc_operands)); then _secretctl_words @file \"$cur\"; else _secretctl_words @cmd "
	"\"$cur\"; fi\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tif ((_sc_skip)); then # prev is an option that takes an argument\n"
	"\t\t_secretctl_words \"${_secretctl_args[$_sc_path|$prev]}\" \"$cur\"; return\n"
	"\tfi\n"
	"\tif ((!_sc_stop)) && [[ $cur == -* ]]; then\n"
	"\t\tmapfile -t COMPREPLY < <(compgen -W \"${_secretctl_opts[$_sc_path]-}\" -- \"$cur\"); "
	"return\n"
	"\tfi\n"
	"\tif ((!_sc_operands)) && [[ -n ${_secretctl_subs[$_sc_path]-} ]]; then\n"
	"\t\tmapfile -t COMPREPLY < <(compgen -W \"${_secretctl_subs[$_sc_path]}\" -- \"$cur\")\n"
	"\t\t[[ -z $operand ]] && return\n"
	"\tfi\n"
	"\tif [[ -n $operand && $operand != @cmd ]]; then\n"
	"\t\tlocal keep=(\"${COMPREPLY[@]}\")\n"
	"\t\t_secretctl_words \"$operand\" \"$cur\"\n"
	"\t\tCOMPREPLY+=(\"${keep[@]}\")\n"
	"\tfi\n"
	"}\n"
	"complete -F _secretctl secretctl\n";

static void bash(FILE *f, const struct cli_command *const *table)
{
	struct emit e = { .f = f, .table = table, .path = bash_path, .opt = bash_opt };
	fputs(bash_head, f);
	walk_all(&e);
	fputs(shared_body, f);
	fputs(bash_body, f);
}

/* ---- zsh ---------------------------------------------------------------------------------------- */

/* Text in single quotes for zsh/fish, as "name:description" for _describe (':' escaped), first
 * line of the help only. */
static void quoted_desc(FILE *f, const char *name, const char *help, bool colon)
{
	fputc('\'', f);
	for (const char *p = name; *p; p++)
		fputs(*p == '\'' ? "'\\''" : colon && *p == ':' ? "\\:" : (char[]){ *p, 0 }, f);
	if (colon)
		fputc(':', f);
	for (const char *p = help; p && *p && *p != '\n'; p++)
		fputs(*p == '\'' ? "'\\''" : colon && *p == ':' ? "\\:" : (char[]){ *p, 0 }, f);
	fputc('\'', f);
}

static void zsh_path(struct emit *e, const char *path, const struct cli_command *c)
{
	bash_path(e, path, c);
	entry(e->f, "_secretctl_sdesc", path, "=", "");
	const struct cli_command *const *subs = !is_root(path) ? resolve(c)->subs : e->table;
	for (; subs && *subs; subs++) {
		fputs("_secretctl_sdesc[$_sk]+=", e->f);
		quoted_desc(e->f, (*subs)->name, (*subs)->summary, true);
		fputs("$'\\0'\n", e->f);
	}
	if (is_root(path))
		fputs("_secretctl_sdesc[$_sk]+='help:show the help of a command'$'\\0'\n", e->f);
}

static void zsh_opt(struct emit *e, const char *path, const struct cli_opt *o, const char *kind)
{
	char name[80];
	bash_opt(e, path, o, kind);
	for (int i = 0; i < (o->short_name ? 2 : 1); i++) {
		if (i)
			snprintf(name, sizeof(name), "-%c", o->short_name);
		else
			snprintf(name, sizeof(name), "--%s", o->long_name);
		fprintf(e->f, "_sk='%s'; _secretctl_odesc[$_sk]+=", path);
		quoted_desc(e->f, name, o->help, true);
		fputs("$'\\0'\n", e->f);
	}
}

static const char zsh_head[] =
	"#compdef secretctl\n"
	"# zsh completion for secretctl, generated by `secretctl completion zsh` from its\n"
	"# command table. Load it with: source <(secretctl completion zsh) (after compinit), or\n"
	"# save it as _secretctl in a directory of $fpath.\n"
	"# Key names are offered only with SECRETCTL_COMPLETION_ENABLED=1 and SECRETCTL_PASSWORD\n"
	"# set: they come from `secretctl list` (names only, never values). It never prompts.\n"
	"# Descriptions are \"name:text\" entries separated by NUL bytes (zsh keeps no arrays in\n"
	"# an associative array).\n"
	"typeset -gA _secretctl_subs _secretctl_opts _secretctl_args _secretctl_operand\n"
	"typeset -gA _secretctl_sdesc _secretctl_odesc\n";

static const char zsh_body[] =
	"_secretctl_words() { # kind\n"
	"\tcase $1 in\n"
	"\t@file) _files ;;\n"
	"\t@key) local -a keys; keys=(${(f)\"$(_secretctl_keys)\"}); compadd -a keys ;;\n"
	"\t@cmd) _command_names -e ;;\n"
	"\t*) compadd -- ${=1} ;;\n"
	"\tesac\n"
	"}\n"
	"_secretctl() {\n"
	"\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n"
	"\tlocal _sc_path _sc_skip _sc_operands _sc_dashdash _sc_stop\n"
	"\t_secretctl_walk \"${(@)words[2,CURRENT-1]}\"\n"
	"\tlocal operand=${_secretctl_operand[$_sc_path]-}\n"
	"\tif [[ $operand == @cmd ]] && ((_sc_dashdash || _sc_operands)); then\n"
	"\t\tif ((_sc_operands)); then _files; else _command_names -e; fi\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tif ((_sc_skip)); then # prev is an option that takes an argument\n"
	"\t\t_secretctl_words \"${_secretctl_args[$_sc_path|$prev]}\"; return\n"
	"\tfi\n"
	"\tlocal -a d\n"
	"\tif ((!_sc_stop)) && [[ $cur == -* ]]; then\n"
	"\t\td=(\"${(@ps:\\0:)_secretctl_odesc[$_sc_path]}\"); d=(${d:#}); _describe -t options "
	"option d; return\n"
	"\tfi\n"
	"\tif ((!_sc_operands)) && [[ -n ${_secretctl_subs[$_sc_path]-} ]]; then\n"
	"\t\td=(\"${(@ps:\\0:)_secretctl_sdesc[$_sc_path]}\"); d=(${d:#}); _describe -t commands "
	"command d\n"
	"\tfi\n"
	"\t[[ -n $operand && $operand != @cmd ]] && _secretctl_words \"$operand\"\n"
	"\treturn 0\n"
	"}\n"
	"if (( $+functions[compdef] )); then compdef _secretctl secretctl; fi\n";

static void zsh(FILE *f, const struct cli_command *const *table)
{
	struct emit e = { .f = f, .table = table, .path = zsh_path, .opt = zsh_opt };
	fputs(zsh_head, f);
	walk_all(&e);
	fputs(shared_body, f);
	fputs(zsh_body, f);
}

/* ---- fish --------------------------------------------------------------------------------------- */

/* A fish variable name for a path: every byte that is not a letter or digit becomes '_'. */
static void mangle(const char *path, char *out, size_t n)
{
	size_t i = 0;
	for (; path[i] && i + 1 < n; i++) {
		char c = path[i];
		out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
				 ? c
				 : '_';
	}
	out[i] = 0;
}

static void fish_words(FILE *f, const char *kind)
{
	if (!strcmp(kind, "@file"))
		fputs(" -r -F", f);
	else if (!strcmp(kind, "@key"))
		fputs(" -x -a '(__secretctl_keys)'", f);
	else if (!strcmp(kind, "@cmd"))
		fputs(" -x -a '(__fish_complete_command)'", f);
	else
		fprintf(f, " -x -a '%s'", kind);
}

static void fish_path(struct emit *e, const char *path, const struct cli_command *c)
{
	char var[160], operand[256];
	const struct cli_command *const *subs = !is_root(path) ? resolve(c)->subs : e->table;
	mangle(path, var, sizeof(var));
	fprintf(e->f, "set -g __secretctl_subs_%s", var);
	for (const struct cli_command *const *s = subs; s && *s; s++)
		fprintf(e->f, " %s", (*s)->name);
	fprintf(e->f, "%s\nset -g __secretctl_argopts_%s\n", is_root(path) ? " help" : "", var);
	for (const struct cli_command *const *s = subs; s && *s; s++) {
		fprintf(e->f, "complete -c secretctl -n '__secretctl_at \"%s\"' -a %s -d ", path,
			(*s)->name);
		quoted_desc(e->f, "", (*s)->summary, false);
		fputc('\n', e->f);
	}
	if (is_root(path)) {
		char words[1024];
		top_words(e, words, sizeof(words));
		fputs("complete -c secretctl -n '__secretctl_at " ROOT
		      "' -a help -d 'show the help "
		      "of a command'\ncomplete -c secretctl -n '__secretctl_at " ROOT
		      "' -l version "
		      "-d 'print the version'\n",
		      e->f);
		fprintf(e->f,
			"complete -c secretctl -n '__secretctl_free \"" ROOT " help\"' -x -a "
			"'%s'\ncomplete -c secretctl -n '__secretctl_at \"" ROOT " help\"' -x -a "
			"'%s'\n",
			words, words);
		return;
	}
	operand_kind(resolve(c), operand, sizeof(operand));
	if (!*operand)
		return;
	fprintf(e->f, "complete -c secretctl -n '__secretctl_%s \"%s\"'",
		!strcmp(operand, "@cmd") ? "free" : "at", path);
	fish_words(e->f, !strcmp(operand, "@cmd") ? "@file" : operand);
	fputc('\n', e->f);
	if (!strcmp(operand, "@cmd"))
		fprintf(e->f,
			"set -g __secretctl_runs_%s 1\ncomplete -c secretctl -n "
			"'__secretctl_cmd \"%s\"' -x -a '(__fish_complete_command)'\n",
			var, path);
}

static void fish_opt(struct emit *e, const char *path, const struct cli_opt *o, const char *kind)
{
	char var[160];
	mangle(path, var, sizeof(var));
	if (kind) {
		fprintf(e->f, "set -a __secretctl_argopts_%s --%s", var, o->long_name);
		if (o->short_name)
			fprintf(e->f, " -%c", o->short_name);
		fputc('\n', e->f);
	}
	fprintf(e->f, "complete -c secretctl -n '__secretctl_opt \"%s\"' -l %s", path,
		o->long_name);
	if (o->short_name)
		fprintf(e->f, " -s %c", o->short_name);
	if (kind)
		fish_words(e->f, *kind ? kind : "");
	fputs(" -d ", e->f);
	quoted_desc(e->f, "", o->help, false);
	fputc('\n', e->f);
}

static const char fish_head[] =
	"# fish completion for secretctl, generated by `secretctl completion fish` from its\n"
	"# command table. Save it as ~/.config/fish/completions/secretctl.fish\n"
	"# Key names are offered only with SECRETCTL_COMPLETION_ENABLED=1 and SECRETCTL_PASSWORD\n"
	"# set: they come from `secretctl list` (names only, never values). It never prompts.\n"
	"complete -c secretctl -e\n"
	"complete -c secretctl -f\n"
	"function __secretctl_keys\n"
	"    test \"$SECRETCTL_COMPLETION_ENABLED\" = 1; and test -n \"$SECRETCTL_PASSWORD\"; or "
	"return 0\n"
	"    command secretctl list </dev/null 2>/dev/null\n"
	"end\n"
	"# The command path of the line so far (\"\", \"audit\", \"audit list\"), the number of\n"
	"# operands after it, whether a \"--\" came, and whether options are over (after \"--\"\n"
	"# or the command run runs; elsewhere they may follow operands, as the parser permutes).\n"
	"function __secretctl_state\n"
	"    set -l tokens (commandline -opc)\n"
	"    set -e tokens[1]\n"
	"    set -l path secretctl\n"
	"    set -l skip 0\n"
	"    set -l operands 0\n"
	"    set -l dashdash 0\n"
	"    set -l stop 0\n"
	"    for w in $tokens\n"
	"        if test $skip = 1; set skip 0; continue; end\n"
	"        set -l var (string replace -ra '[^A-Za-z0-9]' _ -- \"$path\")\n"
	"        if test $stop = 0; and test \"$w\" = --\n"
	"            set dashdash 1; set stop 1; continue\n"
	"        end\n"
	"        if test $stop = 0; and string match -q -- '-*' $w\n"
	"            set -l av __secretctl_argopts_$var\n"
	"            if contains -- $w $$av; set skip 1; end\n"
	"            continue\n"
	"        end\n"
	"        set -l sv __secretctl_subs_$var\n"
	"        if test $operands = 0; and test $dashdash = 0; and contains -- $w $$sv\n"
	"            set path (string trim -- \"$path $w\")\n"
	"            continue\n"
	"        end\n"
	"        set operands (math $operands + 1)\n"
	"        if set -q __secretctl_runs_$var; set stop 1; end\n"
	"    end\n"
	"    echo $path\n"
	"    echo $operands\n"
	"    echo $dashdash\n"
	"    echo $stop\n"
	"end\n"
	"function __secretctl_opt # path: an option of path (options may follow operands)\n"
	"    set -l s (__secretctl_state)\n"
	"    test \"$s[1]\" = \"$argv[1]\"; and test $s[4] = 0\n"
	"end\n"
	"function __secretctl_at # path: an option or the first operand of path\n"
	"    set -l s (__secretctl_state)\n"
	"    test \"$s[1]\" = \"$argv[1]\"; and test $s[2] = 0; and test $s[3] = 0\n"
	"end\n"
	"function __secretctl_cmd # path: the command that path runs\n"
	"    set -l s (__secretctl_state)\n"
	"    test \"$s[1]\" = \"$argv[1]\"; and test $s[2] = 0\n"
	"end\n"
	"function __secretctl_free # path: the arguments of that command\n"
	"    set -l s (__secretctl_state)\n"
	"    test \"$s[1]\" = \"$argv[1]\"; and test $s[2] -ge 1\n"
	"end\n";

static void fish(FILE *f, const struct cli_command *const *table)
{
	struct emit e = { .f = f, .table = table, .path = fish_path, .opt = fish_opt };
	fputs(fish_head, f);
	walk_all(&e);
}

/* ---- the command -------------------------------------------------------------------------------- */

static int run(struct cli_ctx *ctx)
{
	static const struct {
		const char *name;
		void (*gen)(FILE *f, const struct cli_command *const *table);
	} shells[] = { { "bash", bash }, { "zsh", zsh }, { "fish", fish } };
	if (ctx->argc != 1) {
		cli_error("completion: name a shell: bash, zsh or fish");
		return CLI_EUSAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(shells); i++) {
		if (!strcmp(ctx->argv[0], shells[i].name)) {
			shells[i].gen(stdout, ctx->table);
			if (fflush(stdout) != 0) {
				cli_error("completion: cannot write the script");
				return CLI_EIO;
			}
			return CLI_OK;
		}
	}
	cli_error("completion: unknown shell '%s' (use bash, zsh or fish)", ctx->argv[0]);
	return CLI_EUSAGE;
}

const struct cli_command cli_cmd_completion = {
	.name = "completion",
	.summary = "print a shell completion script (bash, zsh, fish)",
	.synopsis = "bash|zsh|fish",
	.about = "Print a completion script for the shell, made from secretctl's own command "
		 "table:\ncommands, subcommands, options and their values. Install it with\n"
		 "    source <(secretctl completion bash)      # ~/.bashrc\n"
		 "    source <(secretctl completion zsh)       # ~/.zshrc, after compinit\n"
		 "    secretctl completion fish > ~/.config/fish/completions/secretctl.fish\n"
		 "Key names are completed only with SECRETCTL_COMPLETION_ENABLED=1 and "
		 "SECRETCTL_PASSWORD\nset: each completion then runs 'secretctl list' (names only, "
		 "an audited unlock).\nCompletion never asks for a password.",
	.notes = "Exit status: 0 printed, 1 no or an unknown shell.",
	.max_args = 1,
	.run = run,
};
