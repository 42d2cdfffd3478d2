#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The real `secretctl mcp-server` driven by the real npm MCP clients: the v1 SDK
# (v1-client.test.mjs) and the v2 client with 'auto' negotiation and pinned to 2026-07-28
# (v2-client.test.mjs), each running lib/client-suite.mjs: every tool on success and error paths,
# ajv-checked schemas and results, progress, cancellation (process tree gone), 8 concurrent runs
# and a 9th refused, policy denials, key scopes, timeouts, env aliases, and no secret value in
# any byte the client received (with a self-test of that scan). Each program runs under node's
# built-in test runner (node:test) through the pinned node 22; its report is printed on failure.

setup() {
	MCP=$BATS_TEST_DIRNAME
	export SECRETCTL_BIN=${SECRETCTL_BIN:-$(realpath "$MCP/../../build/secretctl")}
	[ -x "$SECRETCTL_BIN" ] || { echo "no $SECRETCTL_BIN: run make" >&2; return 1; }
	# The clients pass SECRETCTL_* explicitly; make sure nothing leaks in from the caller.
	unset SECRETCTL_PASSWORD SECRETCTL_VAULT_DIR SECRETCTL_POLICY
	export NO_COLOR=1
}

# node_test FILE [env...]: run one test program; show the report; fail when it failed.
node_test() {
	local file=$1
	shift
	run env "$@" timeout 300 "$MCP/node" --test --test-reporter=spec --test-timeout=120000 "$MCP/$file"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ℹ fail 0"* ]]
}

@test "v1 SDK client (@modelcontextprotocol/sdk): every tool, schemas, progress, cancel, concurrency, no leak" {
	node_test v1-client.test.mjs
}

@test "v2 client (@modelcontextprotocol/client), negotiation 'auto': the same, over 2026-07-28" {
	node_test v2-client.test.mjs MCP_V2_MODES=auto
}

@test "v2 client (@modelcontextprotocol/client), pinned to 2026-07-28: the same" {
	node_test v2-client.test.mjs MCP_V2_MODES=pin
}
