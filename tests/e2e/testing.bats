#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The test harness's own switches: on a host where the sandbox cannot work, a test that needs it
# is skipped loudly (and not counted as passed), or fails with MUST_WORK=1.

load helpers

setup() {
	e2e_setup
	cp "$BATS_TEST_DIRNAME/../lib/fixtures/needs-sandbox.bats.in" "$BATS_TEST_TMPDIR/needs.bats"
	export SANDBOX_LIB
	SANDBOX_LIB=$(realpath "$BATS_TEST_DIRNAME/../lib/sandbox.bash")
}

@test "need_sandbox: skips loudly where the sandbox cannot work" {
	run -0 env -u MUST_WORK -u SCTL_SANDBOX_OK SANDBOX_PROBE=false bats --tap "$BATS_TEST_TMPDIR/needs.bats"
	[[ $output == *"ok 1 needs the sandbox # skip SANDBOX UNAVAILABLE"* ]]
}

@test "need_sandbox: fails with MUST_WORK=1 where the sandbox cannot work" {
	run -1 env -u SCTL_SANDBOX_OK MUST_WORK=1 SANDBOX_PROBE=false bats --tap "$BATS_TEST_TMPDIR/needs.bats"
	[[ $output == *"not ok 1 needs the sandbox"* ]]
	[[ $output == *"MUST_WORK=1"* ]]
}

@test "need_sandbox: runs the test where the sandbox works" {
	run -0 env -u SCTL_SANDBOX_OK MUST_WORK=1 SANDBOX_PROBE=true bats --tap "$BATS_TEST_TMPDIR/needs.bats"
	[[ $output == *"ok 1 needs the sandbox"* ]]
	[[ $output != *"skip"* ]]
}

@test "run-all counts a skip apart and warns, never as a pass" {
	mkdir -p "$BATS_TEST_TMPDIR/tree/tests"
	cp "$BATS_TEST_TMPDIR/needs.bats" "$BATS_TEST_TMPDIR/tree/tests/needs.bats"
	cp "$BATS_TEST_DIRNAME/../run-all.sh" "$BATS_TEST_TMPDIR/tree/tests/run-all.sh"
	mkdir -p "$BATS_TEST_TMPDIR/tree/build/tests/unit"
	ln -s "$BIN" "$BATS_TEST_TMPDIR/tree/build/secretctl"
	run -1 env -u MUST_WORK -u SCTL_SANDBOX_OK -u TESTS_FILTER -u BUILD -u SECRETCTL_ASAN SANDBOX_PROBE=false "$BATS_TEST_TMPDIR/tree/tests/run-all.sh"
	[[ $output == *"tests/needs.bats: 0 passed, 0 failed"* ]]
	[[ $output == *"WARNING: 1 tests SKIPPED"*"SANDBOX UNAVAILABLE"* ]]
	# nothing passed, so the run as a whole is not a success either
	[ "${lines[-1]}" = "0 passed, 1 failed" ]
}
