#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# `secretctl mcp-server` through the session agent ('secretctl unlock'), driven by the official
# clients (v1 SDK, v2 pinned to 2026-07-28, v2 legacy): agent.test.mjs. No password reaches the
# server; a lock turns every call into "vault locked: run 'secretctl unlock'"; an unlock serves
# the same session again.

load lib/node-test

setup() {
	node_test_setup
}

@test "mcp-server through the session agent, under the v1 SDK and the v2 client" {
	node_test agent.test.mjs
}
