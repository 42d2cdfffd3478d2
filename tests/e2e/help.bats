#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# --help / -h for every vault command, usage errors and unknown options (exit 1).

load helpers

setup() { e2e_setup; }

@test "secretctl --help lists every command; no command or an unknown one is a usage error" {
	run -0 sc_nopw --help
	for c in init set get list delete password audit recover run exec redact doctor; do
		[[ $output == *"  $c "* ]]
	done
	run -1 sc_nopw
	run -1 --separate-stderr sc_nopw frobnicate
	[[ $stderr == *"unknown command 'frobnicate'"* ]]
}

@test "every vault command: --help and -h print usage to stdout and exit 0" {
	for c in init set get list delete password audit recover; do
		run -0 --separate-stderr sc_nopw "$c" --help
		[[ $output == "usage: secretctl $c"* ]]
		[ -z "$stderr" ]
		run -0 sc_nopw "$c" -h
		[[ $output == "usage: secretctl $c"* ]]
	done
	for s in list verify export; do
		run -0 sc_nopw audit "$s" --help
		[[ $output == "usage: secretctl audit"* ]]
	done
}

@test "every vault command: an unknown option is a usage error (exit 1) with usage on stderr" {
	for c in init "set K" "get K" list "delete K" password "audit list" recover; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr sc_nopw $c --no-such-option
		[[ $stderr == *"usage: secretctl"* ]]
		[ -z "$output" ]
	done
}

@test "argument count errors (exit 1)" {
	run -1 sc_nopw set
	run -1 sc_nopw set A B
	run -1 sc_nopw get
	run -1 sc_nopw delete
	run -1 sc_nopw init extra
	run -1 sc_nopw password extra
	run -1 sc_nopw list a b
	run -1 --separate-stderr sc_nopw get K --field a --fields
	[[ $stderr == *"exclude each other"* ]]
}

@test "help COMMAND prints the same help as COMMAND --help, subcommands too" {
	for c in init set get list delete password audit recover run exec redact doctor policy mcp-server mcp-config; do
		run -0 sc_nopw help "$c"
		a=$output
		run -0 sc_nopw "$c" --help
		[ "$a" = "$output" ]
	done
	run -0 sc_nopw help audit verify
	[[ $output == "usage: secretctl audit verify"* ]]
	run -0 sc_nopw help policy check
	[[ $output == "usage: secretctl policy check"* ]]
	run -0 sc_nopw help
	[[ $output == *"  mcp-server "* ]]
	run -1 --separate-stderr sc_nopw help frobnicate
	[[ $stderr == *"no command 'frobnicate'"* ]]
}

@test "help lists every declared option of a command, each once" {
	run -0 sc_nopw run --help
	for o in --key --from-env --env --env-prefix --timeout --sandbox --network --writable \
		--allow-socket --limit --pty --no-pty --no-sanitize --policy --password-stdin --help; do
		[ "$(grep -c -- "^  \(-., \)\?$o\( \|$\)" <<<"$output")" -eq 1 ]
	done
}

@test "an unknown option names itself in one line, then the usage; a missing argument says so" {
	run -1 --separate-stderr sc_nopw get K --frob
	[ "${stderr%%$'\n'*}" = "secretctl: get: unknown option '--frob'" ]
	[[ $stderr == *"usage: secretctl get KEY"* ]]
	run -1 --separate-stderr sc_nopw list -Z
	[ "${stderr%%$'\n'*}" = "secretctl: list: unknown option '-Z'" ]
	run -1 --separate-stderr sc_nopw list --tag
	[ "${stderr%%$'\n'*}" = "secretctl: list: option --tag needs an argument" ]
	run -125 --separate-stderr sc_nopw run --timeout
	[[ $stderr == *"option --timeout needs an argument"* ]]
}

@test "a single-valued option given twice is refused, not silently overridden" {
	run -1 --separate-stderr sc_nopw list --tag a --tag b
	[[ $stderr == *"--tag given twice"* ]]
	run -1 --separate-stderr sc_nopw set K --notes a --notes b </dev/null
	[[ $stderr == *"--notes given twice"* ]]
	run -1 --separate-stderr sc_nopw set K --tags a --tags b </dev/null
	[[ $stderr == *"--tags given twice"* ]]
	run -125 --separate-stderr sc_nopw run --policy a --policy b -- true
	[[ $stderr == *"--policy given twice"* ]]
}
