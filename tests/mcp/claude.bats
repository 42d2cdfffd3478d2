#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# Claude Code itself (the pinned @anthropic-ai/claude-code, tests/mcp/node_modules/.bin/claude)
# with secretctl configured the ways the documentation says: the user guide's ~/.claude.json
# block, `secretctl mcp-config`'s block, and the `claude mcp add` line mcp-config prints.
# `claude mcp list` works offline with HOME pointing at a scratch directory: it starts each stdio
# server (probing server/discover in place, passing its whole environment), checks it, and
# stops it with SIGINT. Broken setups must show as failed, with our message on the server's
# stderr, which Claude Code keeps in ~/.cache/claude-cli-nodejs/<project>/mcp-logs-<name>/.

setup() {
	MCP=$BATS_TEST_DIRNAME
	CLAUDE=$MCP/node_modules/.bin/claude
	[ -x "$CLAUDE" ] || { echo "no $CLAUDE: run make deps" >&2; return 1; }
	BIN=$(realpath "${SECRETCTL_BIN:-$MCP/../../build/secretctl}")
	H=$BATS_TEST_TMPDIR/home
	PROJ=$BATS_TEST_TMPDIR/project
	mkdir -p "$H" "$PROJ"
	cd "$PROJ" || return 1
	PW="master-$(head -c 12 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
	unset SECRETCTL_PASSWORD SECRETCTL_VAULT_DIR SECRETCTL_POLICY
}

# A vault (test KDF) with one secret, and the user guide's policy, mode 0600, in dir $1.
make_vault() { # dir
	SECRETCTL_VAULT_DIR=$1 SECRETCTL_PASSWORD=$PW setsid -w "$BIN" init --kdf test >/dev/null 2>&1 || return 1
	printf 'ghp_%s' "$(head -c 20 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" |
		SECRETCTL_VAULT_DIR=$1 SECRETCTL_PASSWORD=$PW setsid -w "$BIN" set GITHUB_TOKEN >/dev/null 2>&1 || return 1
	cat >"$1/mcp-policy.yaml" <<-'EOF'
	version: 1
	default_action: deny
	allowed_commands: [npm, node, python, go, cargo, aws, gcloud, kubectl, curl, ./deploy.sh, ./test.sh]
	denied_commands: [rm, sudo, chmod, chown]
	EOF
	chmod 600 "$1/mcp-policy.yaml"
}

teardown() {
	# A session agent a failed test left running.
	[ -z "${vault:-}" ] || env -i PATH=/usr/bin:/bin SECRETCTL_VAULT_DIR="$vault" "$BIN" lock >/dev/null 2>&1 || true
}

# Claude Code in the scratch HOME, with nothing of our environment but PATH.
claude() {
	env -i HOME="$H" PATH="$MCP/node_modules/.bin:/usr/local/bin:/usr/bin:/bin" DISABLE_AUTOUPDATER=1 \
		timeout 120 "$CLAUDE" "$@"
}

# The lines Claude Code logged for server NAME (its stderr among them), as text.
mcp_log() { # name
	cat "$H"/.cache/claude-cli-nodejs/*/mcp-logs-"$1"/*.jsonl 2>/dev/null
}

@test "the user guide's ~/.claude.json block (vault in ~/.secretctl): claude mcp list says Connected" {
	make_vault "$H/.secretctl"
	# The guide's block as written, with the absolute path of the binary: only the password in env.
	cat >"$H/.claude.json" <<-EOF
	{
	  "mcpServers": {
	    "secretctl": {
	      "command": "$BIN",
	      "args": ["mcp-server"],
	      "env": {
	        "SECRETCTL_PASSWORD": "$PW"
	      }
	    }
	  }
	}
	EOF
	run -0 claude mcp list
	echo "$output"
	[[ $output == *"secretctl: $BIN mcp-server - ✔ Connected"* ]]
	# One process, probed in place with server/discover: the 2026-07-28 era; ended by SIGINT, cleanly.
	log=$(mcp_log secretctl)
	[[ $log == *'\"protocolEra\":\"modern\",\"negotiatedProtocolVersion\":\"2026-07-28\"'* ]]
	[[ $log == *"Sending SIGINT to MCP server process"* && $log == *"MCP server process exited cleanly"* ]]
	[[ $log != *"$PW"* ]]
	# The unlock is in the vault's audit log as the MCP server's.
	run -0 env SECRETCTL_VAULT_DIR="$H/.secretctl" SECRETCTL_PASSWORD="$PW" "$BIN" audit list --source mcp --json
	[ "$(jq '[.[] | select(.action == "vault.unlock")] | length' <<<"$output")" -ge 1 ]
}

@test "secretctl mcp-config: its JSON block and its 'claude mcp add' line both connect" {
	vault=$BATS_TEST_TMPDIR/vault
	make_vault "$vault"
	# The block, as printed (--json), with the password substituted.
	SECRETCTL_VAULT_DIR=$vault "$BIN" mcp-config --json |
		jq --arg pw "$PW" '.mcpServers.secretctl.env.SECRETCTL_PASSWORD = $pw' >"$H/.claude.json"
	[ "$(jq -r '.mcpServers.secretctl | [.command, (.args | join(" ")), .env.SECRETCTL_VAULT_DIR] | join(" ")' "$H/.claude.json")" = \
		"$BIN mcp-server $vault" ]
	run -0 claude mcp list
	echo "$output"
	[[ $output == *"secretctl: $BIN mcp-server - ✔ Connected"* ]]

	# The command line mcp-config prints, run as printed with the password substituted.
	rm -rf "$H/.claude.json" "$H/.claude" "$H/.cache"
	line=$(SECRETCTL_VAULT_DIR=$vault "$BIN" mcp-config | grep '^claude mcp add ')
	[[ $line == *"your-master-password"* ]]
	line=${line//your-master-password/$PW}
	run -0 env -i HOME="$H" PATH="$MCP/node_modules/.bin:/usr/bin:/bin" DISABLE_AUTOUPDATER=1 bash -c "$line"
	echo "$output"
	run -0 claude mcp get secretctl
	echo "$output"
	[[ $output == *"Command: $BIN"* && $output == *"Args: mcp-server"* ]]
	[[ $output == *"SECRETCTL_VAULT_DIR=$vault"* && $output == *"SECRETCTL_PASSWORD=$PW"* ]]
	run -0 claude mcp list
	echo "$output"
	[[ $output == *"secretctl: $BIN mcp-server - ✔ Connected"* ]]
}

@test "broken setups (wrong password, missing vault) fail to connect, with our message on the server's stderr" {
	vault=$BATS_TEST_TMPDIR/vault
	make_vault "$vault"
	jq -n --arg bin "$BIN" --arg vault "$vault" --arg none "$BATS_TEST_TMPDIR/none" --arg pw "$PW" '{mcpServers: {
		good:    {command: $bin, args: ["mcp-server"], env: {SECRETCTL_PASSWORD: $pw, SECRETCTL_VAULT_DIR: $vault}},
		badpw:   {command: $bin, args: ["mcp-server"], env: {SECRETCTL_PASSWORD: "not-the-password", SECRETCTL_VAULT_DIR: $vault}},
		novault: {command: $bin, args: ["mcp-server"], env: {SECRETCTL_PASSWORD: $pw, SECRETCTL_VAULT_DIR: $none}}}}' >"$H/.claude.json"
	run -0 claude mcp list
	echo "$output"
	echo "--- Claude Code's logs of the broken servers:"
	mcp_log badpw
	mcp_log novault
	[[ $output == *"good: $BIN mcp-server - ✔ Connected"* ]]
	[[ $output == *"badpw: $BIN mcp-server - ✘ Failed to connect"* ]]
	[[ $output == *"novault: $BIN mcp-server - ✘ Failed to connect"* ]]
	# Claude Code kept the server's stderr: our message says what is wrong and what to do.
	[[ $(mcp_log badpw) == *"secretctl mcp-server: wrong master password (from SECRETCTL_PASSWORD)"* ]]
	[[ $(mcp_log novault) == *"secretctl mcp-server: cannot open the vault in $BATS_TEST_TMPDIR/none"*"run \`secretctl init\` first"* ]]
	# The same configurations through secretctl mcp-server directly: exit 1, the same messages.
	run -1 --separate-stderr env SECRETCTL_PASSWORD=not-the-password SECRETCTL_VAULT_DIR="$vault" "$BIN" mcp-server </dev/null
	[[ $stderr == *"wrong master password"* ]]
	run -1 --separate-stderr env SECRETCTL_PASSWORD="$PW" SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/none" "$BIN" mcp-server </dev/null
	[[ $stderr == *"no vault at $BATS_TEST_TMPDIR/none"* ]]
	# The wrong password is in the audit log.
	run -0 --separate-stderr env SECRETCTL_VAULT_DIR="$vault" SECRETCTL_PASSWORD="$PW" "$BIN" audit list --source mcp --json
	[ "$(jq '[.[] | select(.action == "vault.unlock_failed")] | length' <<<"$output")" -ge 1 ]
}

@test "the password-free block (session agent): Connected while unlocked, Failed once locked" {
	vault=$BATS_TEST_TMPDIR/vault
	make_vault "$vault"
	sc_agent() { env -i HOME="$H" PATH=/usr/bin:/bin SECRETCTL_VAULT_DIR="$vault" setsid -w "$BIN" "$@"; }
	printf '%s\n' "$PW" | sc_agent unlock --password-stdin >/dev/null
	# The block as mcp-config prints it while the agent runs: no password in it.
	sc_agent mcp-config --json >"$H/.claude.json"
	run -0 jq -e '.mcpServers.secretctl.env | has("SECRETCTL_PASSWORD") | not' "$H/.claude.json"
	run -0 claude mcp get secretctl
	echo "$output"
	[[ $output != *"$PW"* && $output != *SECRETCTL_PASSWORD* ]]
	run -0 claude mcp list
	echo "$output"
	[[ $output == *"secretctl: $BIN mcp-server - ✔ Connected"* ]]
	run -0 sc_agent lock
	run -0 claude mcp list
	echo "$output"
	mcp_log secretctl | tail -5
	[[ $output == *"secretctl: $BIN mcp-server - ✘ Failed to connect"* ]]
	[[ $(mcp_log secretctl) == *"no master password and no session agent: run 'secretctl unlock'"* ]]
	# Unlocked again, the same configuration connects again.
	printf '%s\n' "$PW" | sc_agent unlock --password-stdin >/dev/null
	run -0 claude mcp list
	[[ $output == *"secretctl: $BIN mcp-server - ✔ Connected"* ]]
	sc_agent lock >/dev/null
}
