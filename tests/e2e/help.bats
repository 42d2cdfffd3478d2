#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# --help / -h for every vault command, usage errors and unknown options (exit 1).

load helpers

setup() { e2e_setup; }

@test "secretctl --help lists every command; no command or an unknown one is a usage error" {
	run -0 sc_nopw --help
	for c in init set get list delete password audit run exec redact doctor; do
		[[ $output == *"  $c "* ]]
	done
	run -1 sc_nopw
	run -1 --separate-stderr sc_nopw frobnicate
	[[ $stderr == *"unknown command 'frobnicate'"* ]]
}

@test "every vault command: --help and -h print usage to stdout and exit 0" {
	for c in init set get list delete password audit; do
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
	for c in init "set K" "get K" list "delete K" password "audit list"; do
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
