#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# `secretctl mcp-server` and `mcp-config` through the real binary, as an MCP client drives them
# (tests/e2e/lib/mcpc.py speaks the JSON-RPC lines): start-up failures, every tool on a real
# vault, denials, the audit trail; and `run --policy`, the CLI's way to judge a command as an
# agent's run would be.

load helpers

MCPC="$BATS_TEST_DIRNAME/lib/mcpc.py"
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}'
INITED='{"jsonrpc":"2.0","method":"notifications/initialized"}'

setup() {
	e2e_setup
	cd "$BATS_TEST_TMPDIR" || return 1
	init_vault
	TOKEN='ghp_e2eTokenValue0123456789abcdef'
	put GITHUB_TOKEN "$TOKEN" --tags github,ci --notes 'CI token'
	put aws/access_key 'AKIAE2EEXAMPLE12345678'
	put aws/secret_key 'e2e-aws-secret-key-value-0987654321'
	printf 'db-password-value-42' | sc set db/prod --field host=db.example.com --field password \
		--sensitive password --binding PGHOST=host --binding PGPASSWORD=password >/dev/null
}

policy() { # yaml
	printf '%s\n' "$1" >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
}

# call TOOL ARGS-JSON [ID]: one tools/call line
call() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "${3:-2}" "$1" "$2"; }

# serve LINE...: run a session with the password in the environment
serve() {
	printf '%s\n' "$INIT" "$INITED" "$@" |
		SECRETCTL_PASSWORD="$PW" python3 "$MCPC" -- "$BIN" mcp-server
}

# The JSON-RPC message with this id.
msg() { grep -F "\"id\":$1," <<<"$output" | head -1; }

@test "mcp-server --help, mcp-config prints the block and the claude command for this binary" {
	run -0 "$BIN" mcp-server --help
	[[ $output == *"--password-file"* ]]
	run -0 "$BIN" mcp-config
	self=$(readlink -f "$BIN")
	[[ $output == *"\"command\": \"$self\""* ]]
	[[ $output == *"\"args\": [\"mcp-server\"]"* ]]
	[[ $output == *"claude mcp add secretctl "*" -- $self mcp-server"* ]]
	[[ $output == *"SECRETCTL_VAULT_DIR"* ]]
	run -0 "$BIN" mcp-config --json
	jq -e --arg s "$self" '.mcpServers.secretctl.command == $s and .mcpServers.secretctl.args == ["mcp-server"]' <<<"$output"
	run -1 "$BIN" mcp-config --client nope
}

@test "start-up failures: no vault, no password, wrong password, unsafe policy; each exits 1 and says why" {
	run -1 --separate-stderr env SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/none" SECRETCTL_PASSWORD="$PW" "$BIN" mcp-server </dev/null
	[[ $stderr == *"secretctl init"* ]]
	run -1 --separate-stderr "$BIN" mcp-server </dev/null
	[[ $stderr == *"no master password"*"SECRETCTL_PASSWORD"* ]]
	run -1 --separate-stderr env SECRETCTL_PASSWORD=wrong-password-here "$BIN" mcp-server </dev/null
	[[ $stderr == *"wrong master password"* ]]
	policy 'version: 1'
	chmod 644 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	run -1 --separate-stderr env SECRETCTL_PASSWORD="$PW" "$BIN" mcp-server </dev/null
	[[ $stderr == *"chmod 600"* ]]
	# The failed starts are in the audit log, as the MCP server's.
	run -0 --separate-stderr sc audit list --json
	[ "$(jq '[.[] | select(.action == "vault.unlock_failed" and .source == "mcp")] | length' <<<"$output")" -ge 2 ]
}

@test "--password-file: a 0600 file works, a readable one is refused" {
	policy 'version: 1'
	printf '%s\n' "$PW" >pw
	chmod 600 pw
	run -0 bash -c "printf '%s\n' '$INIT' | python3 '$MCPC' -- '$BIN' mcp-server --password-file pw"
	[[ $output == *'"protocolVersion"'* ]]
	[[ $output == *"#exit 0"* ]]
	chmod 640 pw
	run -1 --separate-stderr "$BIN" mcp-server --password-file pw </dev/null
	[[ $stderr == *"chmod 600 pw"* ]]
}

@test "read tools on a real vault: list, exists (glob), masked, fields; never a value" {
	policy 'version: 1'
	run -0 serve "$(call secret_list '{}' 2)" "$(call secret_list '{"tag":"ci"}' 3)" \
		"$(call secret_exists '{"key":"aws/*"}' 4)" "$(call secret_exists '{"key":"nope"}' 5)" \
		"$(call secret_get_masked '{"key":"GITHUB_TOKEN"}' 6)" \
		"$(call secret_get_masked '{"key":"missing"}' 7)"
	[[ $output == *"#exit 0"* ]]
	[ "$(msg 2 | jq -c '[.result.structuredContent.secrets[].key]')" = '["GITHUB_TOKEN","aws/access_key","aws/secret_key","db/prod"]' ]
	[ "$(msg 3 | jq -c '[.result.structuredContent.secrets[].key]')" = '["GITHUB_TOKEN"]' ]
	[ "$(msg 4 | jq -c '.result.structuredContent | [.exists, .matches]')" = '[true,["aws/access_key","aws/secret_key"]]' ]
	[ "$(msg 5 | jq -c '.result.structuredContent.exists')" = false ]
	m=$(msg 6 | jq -c '.result.structuredContent | [.masked_value, .value_length, .notes, .tags]')
	[ "$m" = '["*****************************cdef",33,"CI token",["github","ci"]]' ]
	[ "$(msg 7 | jq '.result.isError')" = true ]
	[[ $(msg 7) == *"secret not found"* ]]
	! grep -qF "$TOKEN" <<<"$output"
	run -0 serve "$(call secret_list_fields '{"key":"db/prod"}' 2)" \
		"$(call secret_get_field '{"key":"db/prod","field":"host"}' 3)" \
		"$(call secret_get_field '{"key":"db/prod","field":"password"}' 4)" \
		"$(call secret_get_masked '{"key":"db/prod"}' 5)"
	[ "$(msg 2 | jq -c '[.result.structuredContent.fields[] | [.name, .sensitive, .value_length]]')" = '[["host",false,14],["password",true,20]]' ]
	[ "$(msg 3 | jq -r '.result.structuredContent.value')" = db.example.com ]
	[ "$(msg 4 | jq '.result.isError')" = true ]
	[[ $(msg 4) == *"sensitive"* ]]
	[ "$(msg 5 | jq -c '[.result.structuredContent.fields[] | .value // .masked_value]')" = '["db.example.com","****************e-42"]' ]
	! grep -qF 'db-password-value-42' <<<"$output"
	run -0 sc audit list --json
	jq -e '[.[] | select(.source == "mcp") | .action] | index("secret.list") and index("secret.exists") and index("secret.get_masked") and index("secret.get_field_denied")' <<<"$output"
}

@test "secret_run: allowed and redacted, denied command, denied key, no policy file; all audited" {
	run -0 serve "$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"echo tok=$GITHUB_TOKEN"}' 2)"
	# no policy file yet: refused, and the message names the file to create
	[ "$(msg 2 | jq '.result.isError')" = true ]
	[[ $(msg 2) == *"mcp-policy.yaml"* ]]
	policy 'version: 1
allowed_commands: [echo, printf]
denied_keys: ["aws/secret_key"]'
	run -0 serve "$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"echo tok=$GITHUB_TOKEN"}' 2)" \
		"$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"rm","args":["-rf","x"]}' 3)" \
		"$(call secret_run '{"keys":["aws/*"],"command":"echo x"}' 4)" \
		"$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"printf","args":["%s","$GITHUB_TOKEN"]}' 5)"
	[ "$(msg 2 | jq -c '.result.structuredContent | [.exit_code, .stdout, .sanitized]')" = '[0,"tok=[REDACTED:GITHUB_TOKEN]\n",true]' ]
	[ "$(msg 3 | jq '.result.isError')" = true ]
	[[ $(msg 3) == *"not allowed by the policy"* ]]
	[ "$(msg 4 | jq '.result.isError')" = true ]
	[[ $(msg 4) == *"aws/secret_key"* ]]
	[ "$(msg 5 | jq -r '.result.structuredContent.stdout')" = '[REDACTED:GITHUB_TOKEN]' ]
	! grep -qF "$TOKEN" <<<"$output"
	run -0 sc audit list --json
	[ "$(jq '[.[] | select(.source == "mcp" and .action == "secret.run" and .success)] | length' <<<"$output")" -eq 2 ]
	[ "$(jq '[.[] | select(.source == "mcp" and .action == "secret.run_denied")] | length' <<<"$output")" -ge 2 ]
	jq -e '[.[] | select(.action == "secret.run" and .source == "mcp")][0].command == "echo tok=$GITHUB_TOKEN"' <<<"$output"
	! grep -qF "$TOKEN" <<<"$output"
}

@test "closing stdin ends a run in flight and the server exits 0" {
	policy 'version: 1
allowed_commands: [sleep]'
	start=$(date +%s)
	# The client sends the run and leaves at once (stdin closed) without waiting for it.
	run -0 serve "#nowait $(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"sleep 30"}' 2)" "#sleep 1"
	[[ $output == *"#exit 0"* ]]
	[ $(($(date +%s) - start)) -lt 15 ]
	run -0 sc audit list --json
	jq -e '[.[] | select(.action == "secret.run" and .source == "mcp")] | last | .error == "cancelled"' <<<"$output"
}

@test "run --policy: a denied command is refused (125) before any password is asked" {
	policy 'version: 1
allowed_commands: [echo]'
	run -125 --separate-stderr "$BIN" run --policy "$SECRETCTL_VAULT_DIR/mcp-policy.yaml" -k GITHUB_TOKEN -- rm -rf x
	[[ $stderr == *"not allowed by the policy"* ]]
	[[ $stderr != *"password"* ]]
	run -0 sc run --policy "$SECRETCTL_VAULT_DIR/mcp-policy.yaml" -k GITHUB_TOKEN -- echo ok
	[[ $output == *ok* ]]
}

@test "secret_run: \$NAME is expanded for programs, never into a shell's script" {
	# A value that is shell syntax: expanded into `sh -c` text it would run `echo INJECTED`.
	put tricky 'x$(echo INJECTED)y-tricky-value'
	policy 'version: 1
allowed_commands: [printf, sh, timeout]'
	run -0 serve "$(call secret_run '{"keys":["tricky"],"command":"sh -c '"'"'printf %s \"$TRICKY\"'"'"'"}' 2)" \
		"$(call secret_run '{"keys":["tricky"],"command":"timeout 5 sh -c '"'"'printf %s \"$TRICKY\"'"'"'"}' 3)" \
		"$(call secret_run '{"keys":["tricky"],"command":"printf %s $TRICKY"}' 4)"
	[ "$(msg 2 | jq -r '.result.structuredContent.stdout')" = '[REDACTED:TRICKY]' ]
	[ "$(msg 3 | jq -r '.result.structuredContent.stdout')" = '[REDACTED:TRICKY]' ]
	[ "$(msg 4 | jq -r '.result.structuredContent.stdout')" = '[REDACTED:TRICKY]' ]
	! grep -q INJECTED <<<"$output"
}

@test "secret_run: six runs in flight at once, each answered; a seventh beyond the limit refused at once" {
	policy 'version: 1
allowed_commands: [sleep]
max_concurrent_runs: 6'
	reqs=()
	for i in 2 3 4 5 6 7; do
		reqs+=("#nowait $(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"sleep 1"}' "$i")")
	done
	run -0 serve "${reqs[@]}" "#sleep 0.3" "$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"sleep 1"}' 8)" "#sleep 2"
	for i in 2 3 4 5 6 7; do
		[ "$(msg "$i" | jq '.result.structuredContent.exit_code')" = 0 ]
	done
	[ "$(msg 8 | jq '.result.isError')" = true ]
	[[ $(msg 8) == *"max_concurrent_runs"* ]]
	[[ $output == *"#exit 0"* ]]
}

@test "the user guide's audit recipes work unchanged on audit export" {
	policy 'version: 1
allowed_commands: [echo]'
	run -0 serve "$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"echo hi"}' 2)" \
		"$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"rm -rf x"}' 3)"
	sc audit export >"$BATS_TEST_TMPDIR/export.json"
	# The guide's example entry: these members, with these types.
	run -0 jq -c '[.[] | select(.action == "secret.run" and .source == "mcp")][0] |
		[.timestamp, .action, .source, .keys, .command, .success]' "$BATS_TEST_TMPDIR/export.json"
	[[ $output =~ ^\[\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\",\"secret.run\",\"mcp\",\[\"GITHUB_TOKEN\"\],\"echo\ hi\",true\]$ ]]
	# "Review MCP access" and "Check for failures", verbatim from the guide.
	run -0 bash -c "secretctl() { SECRETCTL_PASSWORD='$PW' '$BIN' \"\$@\"; }
		secretctl audit export | jq '.[] | select(.source == \"mcp\")'"
	[ "$(jq -s 'length' <<<"$output")" -ge 2 ]
	[ "$(jq -s '[.[] | .source] | unique' -c <<<"$output")" = '["mcp"]' ]
	run -0 bash -c "secretctl() { SECRETCTL_PASSWORD='$PW' '$BIN' \"\$@\"; }
		secretctl audit export | jq '.[] | select(.success == false)'"
	[ "$(jq -s '[.[] | .action] | index("secret.run_denied") != null' <<<"$output")" = true ]
	[ "$(jq -s '[.[] | .success] | unique' -c <<<"$output")" = '[false]' ]
}

@test "secret_run: terminal escape sequences never reach the agent; the CLI keeps colours on a pipe but not the clipboard" {
	need_sandbox
	policy $'version: 1\nallowed_commands:\n  - printf'
	# A clipboard write, a title, colour around a secret split by it, and hidden text.
	run -0 serve "$(call secret_run '{"keys":["GITHUB_TOKEN"],"command":"printf","args":["\\033]52;c;aGk=\\007\\033]0;title\\007\\033[31mred\\033[0m ghp_e2eTo\\033[1mkenValue0123456789abcdef\\n"]}' 2)"
	out=$(msg 2 | jq -r '.result.structuredContent.stdout')
	[ "$out" = $'red [REDACTED:GITHUB_TOKEN]' ]
	! grep -q $'\033' <<<"$(msg 2)"
	! msg 2 | jq -r '.result.content[0].text' | grep -q $'\033'
	! grep -qF "$TOKEN" <<<"$output"
	run -0 sc audit list --json
	[ "$(jq '[.[] | select(.action == "secret.run")][-1].detail.terminal_sequences_removed' <<<"$output")" -ge 5 ]
	# The CLI to a pipe: colours stay, the clipboard write goes; --raw-terminal keeps it.
	run -0 env TOK=unused-token-value-123456 "$BIN" exec --from-env TOK -- printf '\033]52;c;aGk=\007\033[31mred\033[0m\n'
	[ "$output" = $'\033[31mred\033[0m' ]
	run -0 env TOK=unused-token-value-123456 "$BIN" exec --raw-terminal --from-env TOK -- printf '\033]52;c;aGk=\007x\n'
	[ "$output" = $'\033]52;c;aGk=\007x' ]
}
