# SPDX-License-Identifier: Apache-2.0
# For the bats files that run a node:test program against the real `secretctl mcp-server`
# (clients, agent, approvals, elicitation): one setup and one runner.

# The binary under test; nothing SECRETCTL_* leaks in from the caller (the programs pass what
# they need explicitly).
node_test_setup() {
	MCP=$BATS_TEST_DIRNAME
	export SECRETCTL_BIN=${SECRETCTL_BIN:-$(realpath "$MCP/../../build/secretctl")}
	[ -x "$SECRETCTL_BIN" ] || { echo "no $SECRETCTL_BIN: run make" >&2; return 1; }
	unset SECRETCTL_PASSWORD SECRETCTL_VAULT_DIR SECRETCTL_POLICY
	export NO_COLOR=1
}

# node_test FILE [env...]: run one test program through the pinned node 22; show its report;
# fail when it failed.
node_test() {
	local file=$1
	shift
	run env "$@" timeout 300 "$MCP/node" --test --test-reporter=spec --test-timeout=120000 "$MCP/$file"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ℹ fail 0"* ]]
}
