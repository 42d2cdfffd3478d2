#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# Approvals of MCP runs through the session agent under the official clients (v1 SDK, v2 pinned
# to 2026-07-28, v2 legacy), answered from another process: approvals.test.mjs.

load lib/node-test

setup() {
	node_test_setup
}

@test "MCP runs wait for secretctl approve/deny, under the v1 SDK and the v2 client" {
	node_test approvals.test.mjs
}
