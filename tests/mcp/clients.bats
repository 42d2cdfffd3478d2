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

load lib/node-test

setup() {
	node_test_setup
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
