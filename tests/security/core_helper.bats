#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# A crashing sandboxed command must not hand its environment (the injected secrets) to a
# core_pattern helper, which systemd-coredump would store in the journal: RLIMIT_CORE 0 does not
# stop a helper, 1 does, and the sandbox keeps the command from lowering it. Sets the host's
# core_pattern for the duration of the test (root only; restored on every path) to a helper
# that records every crash it is given. The control: with --sandbox off the same command lowers
# its limit and the helper receives the secret.

load ../e2e/helpers

setup() {
	e2e_setup
	need_sandbox
	[ "$(id -u)" -eq 0 ] || { echo "changes the host's core_pattern: run as root (CI does)" >&2; return 1; }
	cd "$BATS_TEST_TMPDIR" || return 1
	OLD_PATTERN=$(cat /proc/sys/kernel/core_pattern)
	export CRASHES="$BATS_TEST_TMPDIR/crashes"
	mkdir -p "$CRASHES"
	cat >helper.sh <<EOF
#!/bin/sh
# core_pattern helper: keep the crashing process's environment, as systemd-coredump does.
cat "/proc/\$1/environ" >"$CRASHES/env.\$1" 2>/dev/null
cat >/dev/null
EOF
	chmod 755 helper.sh
	echo "|$BATS_TEST_TMPDIR/helper.sh %p" >/proc/sys/kernel/core_pattern
	export TOK="core-helper-secret-$RANDOM$RANDOM"
}

teardown() {
	[ -z "${OLD_PATTERN:-}" ] || printf '%s\n' "$OLD_PATTERN" >/proc/sys/kernel/core_pattern
}

crash='ulimit -c 0 2>/dev/null; ulimit -H -c 0 2>/dev/null; kill -SEGV $$'

@test "core helper: a crashing sandboxed command reaches no core_pattern helper" {
	run -139 "$BIN" exec --from-env TOK -- sh -c "$crash"
	sleep 1
	run ls "$CRASHES"
	[ -z "$output" ]
	run -0 "$BIN" doctor
	[[ $output == *"core_pattern pipes crashes to a helper"* ]]
}

@test "core helper: control: with --sandbox off the helper gets the secret" {
	run -139 "$BIN" exec --sandbox off --from-env TOK -- sh -c "$crash"
	for _ in $(seq 50); do
		[ -z "$(ls "$CRASHES")" ] || break
		sleep 0.1
	done
	grep -qF "$TOK" "$CRASHES"/env.*
}
