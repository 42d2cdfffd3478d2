#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# --help / -h for every vault command, usage errors and unknown options (exit 1).

load helpers

setup() { e2e_setup; }

@test "secretctl --help lists every command; no command or an unknown one is a usage error" {
	run -0 sc_nopw --help
	for c in init set edit get list delete rename copy history rollback folder password audit recover \
		run exec redact doctor unlock lock status approvals approve deny grant grants revoke; do
		[[ $output == *"  $c "* ]]
	done
	run -1 sc_nopw
	run -1 --separate-stderr sc_nopw frobnicate
	[[ $stderr == *"unknown command 'frobnicate'"* ]]
}

@test "every vault command: --help and -h print usage to stdout and exit 0" {
	for c in init set edit get list delete rename copy history rollback password audit recover unlock \
		lock status approvals approve deny grant grants revoke; do
		run -0 --separate-stderr sc_nopw "$c" --help
		[[ $output == "usage: secretctl $c"* ]]
		[ -z "$stderr" ]
		run -0 sc_nopw "$c" -h
		[[ $output == "usage: secretctl $c"* ]]
	done
	for s in list verify export prune; do
		run -0 sc_nopw audit "$s" --help
		[[ $output == "usage: secretctl audit"* ]]
	done
}

@test "every vault command: an unknown option is a usage error (exit 1) with usage on stderr" {
	for c in init "set K" "edit K" "get K" list "delete K" "rename A B" "copy A B" "history K" \
		"rollback K" password "audit list" recover approvals "approve 1" "deny 1" "grant K" grants \
		"revoke 1"; do
		# shellcheck disable=SC2086
		run -1 --separate-stderr sc_nopw $c --no-such-option
		[[ $stderr == *"usage: secretctl"* ]]
		[ -z "$output" ]
	done
}

@test "argument count errors (exit 1)" {
	run -1 sc_nopw set
	run -1 sc_nopw set A B
	run -1 sc_nopw edit
	run -1 sc_nopw edit A B --tags x
	run -1 sc_nopw get
	run -1 sc_nopw delete
	run -1 sc_nopw init extra
	run -1 sc_nopw password extra
	run -1 sc_nopw list a b
	run -1 --separate-stderr sc_nopw get K --field a --fields
	[[ $stderr == *"exclude each other"* ]]
}

@test "help COMMAND prints the same help as COMMAND --help, subcommands too" {
	for c in init set edit get list delete password audit recover run exec redact doctor policy mcp-server \
		mcp-config; do
		run -0 sc_nopw help "$c"
		a=$output
		run -0 sc_nopw "$c" --help
		[ "$a" = "$output" ]
	done
	run -0 sc_nopw help set
	[[ $output == "usage: secretctl set KEY"* && $output != *"commands:"* ]]
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

@test "import, export, generate, inject, security, completion: help, -h, unknown options" {
	run -0 sc_nopw --help
	for c in import export generate inject security completion; do
		[[ $output == *"  $c "* ]]
	done
	for c in import export generate inject security "security duplicates" "security weak" \
		"security expiring" completion; do
		# shellcheck disable=SC2086
		run -0 sc_nopw help $c
		a=$output
		# shellcheck disable=SC2086
		run -0 --separate-stderr sc_nopw $c --help
		[ "$a" = "$output" ]
		[[ $output == "usage: secretctl ${c}"* ]]
		[[ $output == *"Exit status:"* ]]
		# shellcheck disable=SC2086
		run -1 --separate-stderr sc_nopw $c --no-such-option
		[[ $stderr == *"unknown option '--no-such-option'"*"usage: secretctl"* ]]
	done
	# security's help shows its own options and its subcommands.
	run -0 sc_nopw security --help
	[[ $output == *"usage: secretctl security [--json]"* ]]
	[[ $output == *"secretctl security duplicates"* && $output == *"  expiring "* ]]
	[[ $output == *"--days N"* ]]
	run -0 sc_nopw --version
	[[ $output =~ ^secretctl\ [0-9]+\.[0-9]+ ]]
	[ "$output" = "secretctl $(cat "$BATS_TEST_DIRNAME/../../VERSION")" ]
	run -1 --separate-stderr sc_nopw --version extra
	[[ $stderr == *"--version: takes no arguments"* ]]
	run -0 sc_nopw --help
	[[ $output == *"'secretctl --version' for the version"* ]]
}

@test "single-valued options parsed by a function are refused twice too" {
	run -1 --separate-stderr sc_nopw set K --expires 1d --expires 2d </dev/null
	[[ $stderr == *"--expires given twice"* ]]
	run -1 --separate-stderr sc_nopw edit K --expires 1d --expires never
	[[ $stderr == *"--expires given twice"* ]]
	run -1 --separate-stderr sc_nopw edit K --tags a --tags b
	[[ $stderr == *"--tags given twice"* ]]
	run -1 --separate-stderr sc_nopw list --expiring 1d --expiring 2d
	[[ $stderr == *"--expiring given twice"* ]]
	for o in "--timeout 1s --timeout 2s" "--sandbox off --sandbox strict" \
		"--network allow --network deny"; do
		# shellcheck disable=SC2086
		run -125 --separate-stderr sc_nopw run $o -- true
		[[ $stderr == *"given twice"* ]]
	done
	run -1 --separate-stderr sc_nopw mcp-config --client claude --client generic
	[[ $stderr == *"--client given twice"* ]]
	# Repeatable ones stay repeatable.
	run -1 --separate-stderr sc_nopw set K --binding A=x --binding A=y </dev/null
	[[ $stderr == *"--binding A given twice"* ]]
}

@test "each message is one write(2): two processes on one terminal cannot interleave" {
	command -v strace >/dev/null || skip "strace missing (make deps installs it)"
	init_vault
	log="$BATS_TEST_TMPDIR/strace"
	# LeakSanitizer cannot run under ptrace: the sanitizer build (make check-asan) checks for
	# leaks in every other test, not under strace.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	# An error, an error with a hint, and warnings: every write to stderr is one whole line.
	run -2 strace -f -qq -s 4096 -e trace=write -o "$log" env SECRETCTL_PASSWORD="$PW" \
		setsid -w "$BIN" get no/such/key
	run -1 strace -f -qq -s 4096 -e trace=write -o "$log.2" env SECRETCTL_PASSWORD="$PW" \
		setsid -w "$BIN" set some/key --tags a </dev/null
	run -0 strace -f -qq -s 4096 -e trace=write -o "$log.3" env SECRETCTL_PASSWORD="$PW" \
		setsid -w "$BIN" set short/key < <(printf 'abc')
	cat "$log" "$log.2" "$log.3" | grep -E '^[0-9]+ +write\(2, ' >"$log.err"
	[ "$(wc -l <"$log.err")" -eq 3 ]
	while read -r line; do
		[[ $line =~ write\(2,\ \"secretctl:\ [^\"]*\\n\",\ [0-9]+\)\ =\ [0-9]+$ ]] ||
			{ echo "not one whole message: $line" >&2; return 1; }
	done <"$log.err"
	grep -q "no secret named 'no/such/key'" "$log.err"
	grep -q "use 'secretctl edit some/key'" "$log.err"
}
