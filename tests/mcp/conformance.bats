#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The official MCP conformance suite (@modelcontextprotocol/conformance, pinned) against the real
# `secretctl mcp-server`, through tests/mcp/bridge.mjs (the suite speaks Streamable HTTP only),
# once per revision's requirement set. Everything must pass but the entries of
# baselines/secretctl.yml, each a scenario or check that needs a feature or fixture secretctl does
# not serve, with its reason; the suite itself fails on an unexpected failure and on a listed
# entry that passes. The scenarios that test a server as it is must pass outright.

setup() {
	MCP=$BATS_TEST_DIRNAME
	BIN=$(realpath "${SECRETCTL_BIN:-$MCP/../../build/secretctl}")
	BASELINE=$MCP/baselines/secretctl.yml
	cd "$BATS_TEST_TMPDIR" || return 1
	# The bridge's server processes inherit this environment: a throwaway vault and policy.
	export SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/vault
	export SECRETCTL_PASSWORD="master-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
	unset SECRETCTL_POLICY
	setsid -w "$BIN" init --kdf test >/dev/null 2>&1 || return 1
	printf 'tok-%s' "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" | setsid -w "$BIN" set API_KEY >/dev/null 2>&1
	printf 'version: 1\nallowed_commands: [echo]\n' >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	export NO_COLOR=1
}

# suite REV: run one requirement set with the baseline; results in $BATS_TEST_TMPDIR/c.
suite() {
	run "$MCP/conformance.sh" --requirements "$1" --expected-failures "$BASELINE" --out "$BATS_TEST_TMPDIR/c" -- "$BIN" mcp-server
	echo "$output"
	# On failure, the failing checks (id, status, message) of every scenario.
	[ "$status" -eq 0 ] || { python3 - "$BATS_TEST_TMPDIR/c/results" <<-'EOF'
		import json, pathlib, sys
		for c in sorted(pathlib.Path(sys.argv[1]).glob('*/checks.json')):
		    for k in json.loads(c.read_text()):
		        if k.get('status') in ('FAILURE', 'WARNING'):
		            print('#', c.parent.name, k['id'], k['status'], (k.get('errorMessage') or '')[:300])
		EOF
		return 1; }
	[[ $output == *"Baseline check passed: all failures are expected."* ]]
}

# clean SCENARIO [CHECK-ID-TO-IGNORE...]: the scenario ran, and no check failed or warned.
clean() {
	local s=$1
	shift
	python3 - "$BATS_TEST_TMPDIR/c/results" "$s" "$@" <<-'EOF'
	import json, pathlib, sys
	root, scenario, ignore = sys.argv[1], sys.argv[2], set(sys.argv[3:])
	runs = [c for c in pathlib.Path(root).glob(f'server-{scenario}-2*/checks.json')]
	if not runs:
	    sys.exit(f'{scenario}: did not run')
	bad = [(k['id'], k['status'], k.get('errorMessage')) for c in runs for k in json.loads(c.read_text())
	       if k.get('status') in ('FAILURE', 'WARNING') and k['id'] not in ignore]
	ok = sum(k.get('status') == 'SUCCESS' for c in runs for k in json.loads(c.read_text()))
	if bad or not ok:
	    sys.exit(f'{scenario}: {ok} passed; not clean: {bad}')
	EOF
}

@test "baseline: every expected failure gives its reason" {
	run -0 grep -cE '^\s*- ' "$BASELINE"
	[ "$output" -gt 0 ]
	run -1 grep -nE '^\s*- [^#]*$' "$BASELINE" # an entry without a "# reason"
}

@test "conformance --requirements 2025-11-25: all required scenarios pass but the baselined fixtures" {
	suite 2025-11-25
	for s in server-initialize ping tools-list server-sse-multiple-streams dns-rebinding-protection server-session-lifecycle; do
		clean "$s"
	done
}

@test "conformance --requirements 2026-07-28: all required scenarios pass but the baselined fixtures" {
	suite 2026-07-28
	# Stateless era: envelope errors, -32022/-32601 with HTTP statuses, discover, listen.
	clean server-stateless sep-2575-server-rejects-undeclared-capability sep-2575-missing-capability-http-400 \
		sep-2575-http-server-no-independent-requests-on-stream sep-2575-server-no-log-without-loglevel
	clean caching sep-2549-prompts-list-caching-hints sep-2549-resources-list-caching-hints \
		sep-2549-resources-templates-list-caching-hints
	for s in tools-list server-sse-multiple-streams dns-rebinding-protection http-header-validation \
		input-required-result-unsupported-methods input-required-result-validate-input; do
		clean "$s"
	done
}
