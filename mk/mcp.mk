# SPDX-License-Identifier: Apache-2.0
# MCP test tooling (tests/mcp/README.md). `make check` already runs tests/mcp/*.bats; these run
# the official conformance suite on demand, through tests/mcp/bridge.mjs (it speaks HTTP only):
#   make mcp-conformance    against secretctl's own server: MCP_SERVER (default: build/secretctl
#                           mcp-server), MCP_REQUIREMENTS (revisions), or MCP_SCENARIOS (names,
#                           at MCP_SPEC_VERSION), MCP_BASELINE (expected failures), MCP_OUT (keep
#                           results there). The server inherits make's environment: pass
#                           SECRETCTL_VAULT_DIR, SECRETCTL_PASSWORD, ... on the command line.
#   make mcp-reference      the same suite against the SDK-built reference servers (proves the bridge)
#   make mcp-wire           what the v1 and v2 clients put on the wire, per negotiation mode
MCP_NODE         := tests/mcp/node
MCP_SERVER       ?= $(abspath $(BIN)) mcp-server
MCP_REQUIREMENTS ?= 2025-11-25 2026-07-28
MCP_SCENARIOS    ?=
MCP_SPEC_VERSION ?=
MCP_BASELINE     ?=
MCP_OUT          ?=

MCP_SUITE_ARGS = $(if $(MCP_SCENARIOS),$(foreach s,$(MCP_SCENARIOS),--scenario $(s)) \
		$(if $(MCP_SPEC_VERSION),--spec-version $(MCP_SPEC_VERSION)),$(foreach r,$(MCP_REQUIREMENTS),--requirements $(r))) \
	$(if $(MCP_BASELINE),--expected-failures $(MCP_BASELINE)) $(if $(MCP_OUT),--out $(MCP_OUT))

.PHONY: mcp-conformance mcp-reference mcp-wire

mcp-conformance: deps ## the official MCP conformance suite against mcp-server
	$(MAKE) --no-print-directory all
	tests/mcp/conformance.sh $(MCP_SUITE_ARGS) -- $(MCP_SERVER)

mcp-reference: deps ## the conformance suite against the SDK reference servers
	tests/mcp/conformance.sh --requirements 2025-11-25 -- $(MCP_NODE) tests/mcp/lib/reference-server.mjs
	tests/mcp/conformance.sh --requirements 2026-07-28 --expected-failures tests/mcp/baselines/reference-v2.yml \
		-- $(MCP_NODE) tests/mcp/lib/reference-server-v2.mjs

mcp-wire: deps ## print what the SDK clients send on the wire
	$(MCP_NODE) tests/mcp/wire-probe.mjs $(MCP_WIRE)
