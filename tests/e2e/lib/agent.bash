# SPDX-License-Identifier: Apache-2.0
# Helpers of the session agent suites (agent.bats, approvals.bats, grants.bats); load after
# helpers.

policy() { # YAML: the vault's policy file, mode 0600
	printf '%s\n' "$1" >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
}

unlock() {
	printf '%s\n' "$PW" | setsid -w "$BIN" unlock --password-stdin "$@"
}

sock() { echo "$SECRETCTL_VAULT_DIR/agent.sock"; }

# The id of the first approval waiting in the agent, waiting up to 10 s for one.
first_id() {
	local id
	for _ in $(seq 50); do
		id=$(sc_nopw approvals --json | jq -r '.[0].id // empty')
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.2
	done
	return 1
}
