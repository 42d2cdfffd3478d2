#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# Approvals of MCP runs asked through the client (elicitation, both eras) under the official
# clients (v1 SDK, v2 pinned to 2026-07-28, v2 legacy), and raw 2026-07-28 requestState attacks:
# elicitation.test.mjs.

setup() {
	MCP=$BATS_TEST_DIRNAME
	export SECRETCTL_BIN=${SECRETCTL_BIN:-$(realpath "$MCP/../../build/secretctl")}
	[ -x "$SECRETCTL_BIN" ] || { echo "no $SECRETCTL_BIN: run make" >&2; return 1; }
	unset SECRETCTL_PASSWORD SECRETCTL_VAULT_DIR SECRETCTL_POLICY
	export NO_COLOR=1
}

@test "MCP runs asked through elicitation, under the v1 SDK and the v2 client; requestState attacks refused" {
	run timeout 300 "$MCP/node" --test --test-reporter=spec --test-timeout=120000 "$MCP/elicitation.test.mjs"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ℹ fail 0"* ]]
}
