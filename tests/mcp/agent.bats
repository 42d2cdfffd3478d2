#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# `secretctl mcp-server` through the session agent ('secretctl unlock'), driven by the official
# clients (v1 SDK, v2 pinned to 2026-07-28, v2 legacy): agent.test.mjs. No password reaches the
# server; a lock turns every call into "vault locked: run 'secretctl unlock'"; an unlock serves
# the same session again.

setup() {
	MCP=$BATS_TEST_DIRNAME
	export SECRETCTL_BIN=${SECRETCTL_BIN:-$(realpath "$MCP/../../build/secretctl")}
	[ -x "$SECRETCTL_BIN" ] || { echo "no $SECRETCTL_BIN: run make" >&2; return 1; }
	unset SECRETCTL_PASSWORD SECRETCTL_VAULT_DIR SECRETCTL_POLICY
	export NO_COLOR=1
}

@test "mcp-server through the session agent, under the v1 SDK and the v2 client" {
	run timeout 300 "$MCP/node" --test --test-reporter=spec --test-timeout=120000 "$MCP/agent.test.mjs"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ℹ fail 0"* ]]
}
