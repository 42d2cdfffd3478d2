#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# completion bash|zsh|fish: the scripts load in the real shells and complete commands,
# subcommands, options, option values, files and (opted in, names only) keys; and every option
# of every command's --help is offered, so completion cannot drift from the parser.

load helpers

setup() {
	e2e_setup
	init_vault
	cd "$BATS_TEST_TMPDIR" || return 1
	mkdir -p bin
	ln -sf "$BIN" bin/secretctl
	export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
	put API_KEY 'sk-complete-0123456789'
	put db/prod 'db-complete-0123456789'
	"$BIN" completion bash >c.bash
	"$BIN" completion zsh >c.zsh
	"$BIN" completion fish >c.fish
}

# Complete the words in bash (the last one is the word being completed).
bash_complete() {
	bash -c 'source ./c.bash
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		_secretctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$@"
}

@test "bash: the script registers with complete and completes the whole tree" {
	run -0 bash -c 'source ./c.bash; complete -p secretctl'
	[ "$output" = "complete -F _secretctl secretctl" ]
	run -0 bash_complete secretctl im
	[ "$output" = import ]
	run -0 bash_complete secretctl security ''
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "duplicates expiring weak " ]
	run -0 bash_complete secretctl import --on-conflict ''
	[ "$(tr '\n' ' ' <<<"$output")" = "skip overwrite error " ]
	run -0 bash_complete secretctl import --fr
	[ "$output" = --from ]
	run -0 bash_complete secretctl export -f ''
	[ "$(tr '\n' ' ' <<<"$output")" = "env json " ]
	run -0 bash_complete secretctl set --template ''
	[ "$(tr '\n' ' ' <<<"$output")" = "login database api ssh " ]
	run -0 bash_complete secretctl completion ''
	[ "$(tr '\n' ' ' <<<"$output")" = "bash zsh fish " ]
	run -0 bash_complete secretctl help sec
	[ "$output" = security ]
	touch template.tmpl
	run -0 bash_complete secretctl inject -i templ
	[ "$output" = template.tmpl ]
	run -0 bash_complete secretctl run -k X -- printen
	[[ $output == *printenv* ]]
	# Options may follow operands (the parser permutes), except after run's command.
	run -0 bash_complete secretctl import a.env --from ''
	[ "$(tr '\n' ' ' <<<"$output")" = "1password bitwarden lastpass " ]
	run -0 bash_complete secretctl import a.env --dr
	[ "$output" = --dry-run ]
	run -0 bash_complete secretctl run -k X env -
	[[ $output != *--sandbox* ]]
	# compgen over the generated word lists works as bash users expect.
	run -0 bash -c 'source ./c.bash; compgen -W "${_secretctl_opts[secretctl generate]}" -- --no-'
	[ "$(tr '\n' ' ' <<<"$output")" = "--no-uppercase --no-lowercase --no-numbers --no-symbols " ]
}

@test "bash: key names only when opted in with a password in the environment, never values" {
	run -0 bash_complete secretctl get ''
	[ -z "$output" ]
	export SECRETCTL_COMPLETION_ENABLED=1
	run -0 bash_complete secretctl get ''
	[ -z "$output" ] # no password source that needs no prompt: nothing, and no prompt
	export SECRETCTL_PASSWORD="$PW"
	run -0 bash_complete secretctl get ''
	[ "$(tr '\n' ' ' <<<"$output")" = "API_KEY db/prod " ]
	run -0 bash_complete secretctl run -k d
	[ "$output" = db/prod ]
	[[ $output != *complete-0123456789* ]]
}

@test "every option of every command's --help is completed (no drift from the parser)" {
	cmds=$(sc_nopw --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}')
	[ -n "$cmds" ]
	for c in $cmds; do
		paths=$c
		subs=$(sc_nopw "$c" --help | awk '/^  [a-z-]+ +[a-z]/ && !/^  -/ {print $1}')
		for s in $subs; do paths+=" $c:$s"; done
		for p in $paths; do
			# shellcheck disable=SC2086
			help=$(sc_nopw ${p/:/ } --help)
			want=$(grep -oE '^  (-[a-zA-Z], )?--[a-z][a-z0-9-]*' <<<"$help" | grep -oE -- '--[a-z0-9-]+' | sort -u)
			# shellcheck disable=SC2086
			got=$(bash_complete secretctl ${p/:/ } -- | sort -u)
			missing=$(comm -23 <(echo "$want") <(echo "$got"))
			[ -z "$missing" ] || { echo "$p: not completed: $missing"; return 1; }
		done
	done
}

@test "zsh: the script loads under compinit, registers _secretctl and completes" {
	command -v zsh >/dev/null || skip "zsh is not installed (make deps installs it)"
	cat >t.zsh <<'EOF2'
autoload -Uz compinit && compinit -u -D
source ./c.zsh
print -r -- "registered: $_comps[secretctl]"
# Outside a completion widget, print what would be offered.
compadd() { while [[ $1 == -* ]]; do [[ $1 == -a ]] && { shift; print -rl -- "${(P@)1}"; return }; [[ $1 == -- ]] && { shift; break }; shift; done; print -rl -- "$@" }
_describe() { print -rl -- "${(P@)${@[-1]}}" }
_files() { print -r -- "<files>" }
_command_names() { print -r -- "<commands>" }
t() { words=("$@"); CURRENT=$#words; _secretctl }
print -- '--- security'; t secretctl security ''
print -- '--- conflict'; t secretctl import --on-conflict ''
print -- '--- after operand'; t secretctl import a.env --from ''
print -- '--- options'; t secretctl security weak -
print -- '--- run'; t secretctl run -- ''
print -- '--- keys'; SECRETCTL_COMPLETION_ENABLED=1 t secretctl get ''
EOF2
	run -0 env SECRETCTL_PASSWORD="$PW" zsh -f t.zsh
	echo "$output"
	[[ ${lines[0]} == "registered: _secretctl" ]]
	[[ $output == *$'--- security\nduplicates:list the groups of secrets that share a value\nweak:'* ]]
	[[ $output == *$'--- conflict\nskip\noverwrite\nerror'* ]]
	[[ $output == *$'--- after operand\n1password\nbitwarden\nlastpass'* ]]
	[[ $output == *$'--json:a JSON object\n--password-stdin:'* ]]
	[[ $output == *$'--- run\n<commands>'* ]]
	[[ $output == *$'--- keys\nAPI_KEY\ndb/prod'* ]]
}

@test "fish: complete -C offers commands, subcommands, options, values" {
	command -v fish >/dev/null || skip "fish is not installed (make deps installs it)"
	fc() { fish -c "source ./c.fish; complete -C '$1'" | cut -f1; }
	run -0 fc 'secretctl imp'
	[ "$output" = import ]
	run -0 fc 'secretctl security '
	[ "$(tr '\n' ' ' <<<"$output")" = "duplicates expiring weak " ]
	run -0 fc 'secretctl import --on-conflict '
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "error overwrite skip " ]
	run -0 fc 'secretctl security weak --'
	[ "$(tr '\n' ' ' <<<"$output")" = "--help --json --password-stdin " ]
	run -0 fc 'secretctl import a.env --from '
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "1password bitwarden lastpass " ]
	run -0 fc 'secretctl run -k X env -'
	[[ $output != *--sandbox* ]]
	run -0 fc 'secretctl completion '
	[ "$(tr '\n' ' ' <<<"$output")" = "bash fish zsh " ]
	run -0 env SECRETCTL_COMPLETION_ENABLED=1 SECRETCTL_PASSWORD="$PW" fish -c "source ./c.fish; complete -C 'secretctl get '"
	[ "$(cut -f1 <<<"$output" | tr '\n' ' ')" = "API_KEY db/prod " ]
}

@test "completion: a shell is required; an unknown one is refused" {
	run -1 --separate-stderr sc_nopw completion
	[[ $stderr == *"name a shell: bash, zsh or fish"* ]]
	run -1 --separate-stderr sc_nopw completion powershell
	[[ $stderr == *"unknown shell 'powershell'"* ]]
	run -1 sc_nopw completion bash zsh
}
