#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# Approvals of MCP runs asked through the client (elicitation, both eras) under the official
# clients (v1 SDK, v2 pinned to 2026-07-28, v2 legacy), and raw 2026-07-28 requestState attacks:
# elicitation.test.mjs.

load lib/node-test

setup() {
	node_test_setup
}

@test "MCP runs asked through elicitation, under the v1 SDK and the v2 client; requestState attacks refused" {
	node_test elicitation.test.mjs
}
