#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The session agent as a user meets it: `unlock` once, then commands without the password in
# the agent scope; `status`, `lock`, the time and idle limits, a --full window, a killed agent's
# stale socket, a replaced vault, concurrent clients, signals, stdin, the pinned policy and PATH;
# and the agent scope enforced by the agent itself: every command that shows or changes a value
# is refused, through secretctl and through a hand-written client of the socket (lib/agentc.py).

load helpers
load lib/agent

setup() {
	e2e_setup
	cd "$BATS_TEST_TMPDIR" || return 1
	init_vault
	put API_KEY 'sk-live-0123456789abcdef-value'
	put NOTE_KEY 'plain-enough-value-1234' --notes 'a note'
	sc set db/prod --field host=db-host.internal </dev/null >/dev/null 2>&1
	printf 'very-secret-db-password' | sc set db/prod --field password --sensitive password >/dev/null 2>&1
	AGENTC="python3 $BATS_TEST_DIRNAME/lib/agentc.py"
}

teardown() {
	sc_nopw lock >/dev/null 2>&1 || true
}

@test "unlock, status, lock: the password once, then the agent scope without it" {
	run -3 sc_nopw status
	[[ $output == *"state:    locked"* ]]
	run -0 unlock
	[[ $output == *"unlocked until "* && $output == *"scope: agent"* ]]
	[ "$(stat -c %a "$(sock)")" = 600 ]
	run -0 sc_nopw status --json
	jq -e '.state == "unlocked" and .scope == "agent" and .kdf == "test" and .secrets == 3' <<<"$output"
	jq -e --arg v "$SECRETCTL_VAULT_DIR" '.vault == $v and .idle_s == 1800 and .full_until == null' <<<"$output"
	jq -e '.expires_in_s > 28700 and .expires_in_s <= 28800 and .policy_loaded == false' <<<"$output"
	run -0 sc_nopw status
	[[ $output == *"kdf:      test"* && $output == *"secrets:  3"* ]]
	# No password anywhere: served by the agent.
	run -0 sc_nopw list
	[ "$output" = $'API_KEY\nNOTE_KEY\ndb/prod' ]
	run -0 sc_nopw get API_KEY --masked
	[ "$output" = '********cdef' ] || [[ $output == "********"* ]]
	run -0 sc_nopw lock
	[[ $output == "locked"* ]]
	[ ! -e "$(sock)" ]
	run -3 sc_nopw status --json
	jq -e '.state == "locked"' <<<"$output"
	run -3 sc_nopw list
	[[ $output == *"secretctl unlock"* ]]
	run -0 sc_nopw lock
	[[ $output == "already locked"* ]]
}

@test "the agent scope: lists, masked values, metadata, non-sensitive fields; audited via agent" {
	unlock >/dev/null
	run -0 sc_nopw list --json
	jq -e 'length == 3' <<<"$output"
	run -0 sc_nopw get NOTE_KEY --show-metadata
	[[ $output == *"notes:     a note"* ]]
	run -0 sc_nopw get db/prod --fields
	[[ $output == *"host: db-host.internal"* && $output != *"very-secret-db-password"* ]]
	run -0 sc_nopw get db/prod --field host
	[ "$output" = db-host.internal ]
	run -3 --separate-stderr sc_nopw get db/prod --field password
	[[ $stderr == *"field 'password' of db/prod is sensitive"* ]]
	[ -z "$output" ]
	run -0 sc_nopw get db/prod --field password --masked
	[[ $output == "********"* && $output != *"very-secret"* ]]
	run -2 --separate-stderr sc_nopw get NOSUCH --masked
	[[ $stderr == *"no secret named 'NOSUCH'"* ]]
	run -0 sc audit export
	jq -e '[.[] | select(.action == "secret.list" and .source == "cli")] | last | .detail.via == "agent"' <<<"$output"
}

@test "every command that shows or changes a value is refused in the agent scope" {
	unlock >/dev/null
	printf 'version: 1\nallowed_commands: ["true"]\n' >p.yaml
	chmod 600 p.yaml
	# Through secretctl: it asks for the password, which a process without one cannot give.
	for cmd in "get API_KEY" "get API_KEY --json" "get NOTE_KEY --json" \
		"set NEW_KEY" "delete API_KEY --yes" "password" "audit list" "audit export" \
		"audit verify" "redact -k API_KEY" "run --no-sanitize -k API_KEY -- true" \
		"run --sandbox off -k API_KEY -- true" "run --policy p.yaml -k API_KEY -- true" \
		"run --limit as=1G -k API_KEY -- true" "run --raw-terminal -k API_KEY -- true"; do
		# shellcheck disable=SC2086
		run --separate-stderr sc_nopw $cmd </dev/null
		echo "$cmd -> $status: $stderr"
		[ "$status" -ne 0 ]
		[[ $stderr == *"master password"* || $stderr == *"new password"* ]]
		[[ $output != *"sk-live"* ]]
	done
	# Through the socket itself, as any process of the user may: the agent refuses and records it.
	for cmd in "get API_KEY" "get API_KEY --json" "get db/prod --field password" "set NEW_KEY" \
		"delete API_KEY --yes" "password" "audit export" "redact -k API_KEY" \
		"run --no-sanitize -k API_KEY -- true"; do
		# shellcheck disable=SC2086
		run --separate-stderr $AGENTC "$(sock)" exec $cmd </dev/null
		echo "$cmd -> $status: $stderr"
		[ "$status" -ne 0 ]
		[[ $stderr == *"refused"* || $stderr == *"sensitive"* || $stderr == *"no new password"* ]]
		[[ $output != *"sk-live"* && $output != *"very-secret"* ]]
	done
	run -0 sc get API_KEY
	[ "$output" = 'sk-live-0123456789abcdef-value' ] # nothing was changed or deleted
	run -0 sc audit export
	jq -e '[.[] | select(.action == "agent.scope_denied")] | length >= 7' <<<"$output"
	jq -e '[.[] | select(.action == "agent.scope_denied" and .command == "get" and .keys == ["API_KEY"])] | length >= 2' <<<"$output"
	# A made-up proof of the password is refused; so is a malformed request.
	run -100 --separate-stderr $AGENTC "$(sock)" exec-proof get API_KEY
	[[ $stderr == *"the proof of the password does not verify"* ]]
	run -100 --separate-stderr $AGENTC "$(sock)" garbage
	[[ $stderr == *"refused"* ]]
	# The agent is still serving.
	run -0 sc_nopw list
}

@test "with the password given, commands run as before (the agent is not asked)" {
	unlock >/dev/null
	run -0 sc get API_KEY
	[ "$output" = 'sk-live-0123456789abcdef-value' ]
	printf 'new-value-1234567890' | sc set API_KEY >/dev/null
	run -0 sc_nopw get API_KEY --masked
	[[ $output == "********"* ]]
}

@test "a --full window: values without the password until it ends, then the agent scope" {
	run -0 unlock --full --for 3s
	[[ $output == *"scope: full until"* ]]
	run -0 sc_nopw status --json
	jq -e '.scope == "full" and .full_until != null and .expires_in_s > 28000' <<<"$output"
	run -0 sc_nopw get API_KEY
	[ "$output" = 'sk-live-0123456789abcdef-value' ]
	printf 'changed-in-window-123456' | sc_nopw set OTHER >/dev/null
	sleep 3.5
	run -3 --separate-stderr sc_nopw get OTHER </dev/null
	[[ $stderr == *"unlock --full"* ]]
	run -0 sc_nopw status --json
	jq -e '.scope == "agent"' <<<"$output"
	run -0 sc get OTHER
	[ "$output" = changed-in-window-123456 ]
}

@test "the agent locks at its time limit and after the idle limit, and removes its socket" {
	unlock --for 2s >/dev/null
	run -0 sc_nopw list
	sleep 3
	run -3 sc_nopw status
	[ ! -e "$(sock)" ]
	unlock --idle 2s >/dev/null
	sleep 1.2
	run -0 sc_nopw list # use: the idle limit starts again
	sleep 1.2
	run -0 sc_nopw status --json
	jq -e '.idle_s == 2' <<<"$output"
	sleep 3
	run -3 sc_nopw status
	[ ! -e "$(sock)" ]
	run -1 --separate-stderr unlock --idle bogus
	[[ $stderr == *"invalid --idle"* ]]
	run -1 --separate-stderr unlock --for 0s
	[[ $stderr == *"invalid --for"* ]]
}

@test "a killed agent's stale socket: commands go on without it, unlock replaces it" {
	unlock >/dev/null
	pid=$(sc_nopw status --json | jq .pid)
	kill -9 "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	[ -S "$(sock)" ] # left behind
	run -3 sc_nopw status
	[[ $output == *locked* ]]
	run -0 sc list # the password path is unaffected
	run -0 unlock
	run -0 sc_nopw status --json
	[ "$(jq .pid <<<"$output")" != "$pid" ]
	# Unlocking again replaces a running agent.
	old=$(jq .pid <<<"$output")
	unlock >/dev/null
	new=$(sc_nopw status --json | jq .pid)
	[ "$new" != "$old" ]
	! kill -0 "$old" 2>/dev/null
	# Something that is not a socket where the socket goes is not touched.
	sc_nopw lock >/dev/null
	echo keep >"$(sock)"
	run -5 --separate-stderr unlock
	[[ $stderr == *"not a socket of yours"* ]]
	[ "$(cat "$(sock)")" = keep ]
	rm "$(sock)"
}

@test "a replaced vault file, or a changed password, ends the agent" {
	unlock >/dev/null
	pid=$(sc_nopw status --json | jq .pid)
	cp "$DB" db.copy
	mv db.copy "$DB" # same content, another file
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
	run -3 sc_nopw status
	unlock >/dev/null
	pid=$(sc_nopw status --json | jq .pid)
	printf '%s\n%s\n' "$PW" 'a completely new password' |
		setsid -w "$BIN" password --password-stdin >/dev/null 2>&1 ||
		SECRETCTL_PASSWORD="$PW" SECRETCTL_NEW_PASSWORD='a completely new password' setsid -w "$BIN" password --allow-weak >/dev/null
	run -3 --separate-stderr sc_nopw list
	# The child that found the change says so; the agent may end before its client reads it.
	[[ $stderr == *"replaced or its password changed"* || $stderr == *"session agent stopped"* ]]
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
}

@test "concurrent clients are all served" {
	unlock >/dev/null
	for i in $(seq 24); do
		if ((i % 2)); then sc_nopw list >"out.$i" 2>&1 & else sc_nopw get API_KEY --masked >"out.$i" 2>&1 & fi
	done
	wait
	for i in $(seq 24); do
		if ((i % 2)); then grep -qx API_KEY "out.$i"; else grep -q '^\*\*\*\*\*\*\*\*' "out.$i"; fi
	done
	run -0 sc audit verify
}

@test "runs in the agent scope: judged by the policy loaded at unlock, stdin and signals pass" {
	policy 'version: 1
allowed_commands: [sh, cat, sleep]'
	unlock >/dev/null
	run -0 sc_nopw run -k API_KEY -- sh -c 'echo "key=$API_KEY"'
	[ "$output" = 'key=[REDACTED:API_KEY]' ]
	run -0 bash -c "printf 'from stdin\n' | setsid -w '$BIN' run -k API_KEY -- cat"
	[ "$output" = 'from stdin' ]
	run -125 --separate-stderr sc_nopw run -k API_KEY -- ls
	[[ $stderr == *"not allowed by the policy"* ]]
	# The policy is the one loaded at unlock: allowing more needs another unlock.
	policy 'version: 1
allowed_commands: [sh, cat, sleep, ls]'
	run -125 sc_nopw run -k API_KEY -- ls
	run -0 sc_nopw status --json
	jq -e '.policy_changed == true' <<<"$output"
	unlock >/dev/null
	run -0 sc_nopw run -k API_KEY -- ls
	# Ctrl-C reaches the command through the agent; the client ends as it did.
	setsid -w "$BIN" run -k API_KEY -- sleep 31 &
	client=$!
	# Once the command runs (a sanitizer build starts slowly, so not after a fixed pause).
	for _ in $(seq 300); do pgrep -x -f 'sleep 31' >/dev/null && break; sleep 0.1; done
	kill -INT "$client"
	rc=0
	wait "$client" || rc=$?
	[ "$rc" -eq 130 ]
	run -0 sc audit export
	jq -e '[.[] | select(.action == "secret.run")] | last | .detail.exit == 130 and .detail.via == "agent"' <<<"$output"
}

@test "agent-scope runs use the agent's PATH, not the caller's" {
	mkdir bin
	printf '#!/bin/sh\necho "fake tool sees $API_KEY"\n' >bin/hello-tool
	chmod 755 bin/hello-tool
	policy 'version: 1
allowed_commands: [hello-tool]'
	unlock >/dev/null
	run -125 --separate-stderr env PATH="$PWD/bin:$PATH" setsid -w "$BIN" run -k API_KEY -- hello-tool
	[[ $stderr == *"hello-tool"* ]]
	[[ $output != *"sk-live"* ]]
}

@test "mcp-config prints the block without a password while the agent runs" {
	run -0 sc_nopw mcp-config --json
	jq -e '.mcpServers.secretctl.env.SECRETCTL_PASSWORD' <<<"$output"
	unlock >/dev/null
	run -0 sc_nopw mcp-config --json
	jq -e '.mcpServers.secretctl.env | has("SECRETCTL_PASSWORD") | not' <<<"$output"
	run -0 sc_nopw mcp-config
	[[ $output == *"claude mcp add secretctl -e SECRETCTL_VAULT_DIR="* && $output != *"your-master-password"* ]]
	run -0 sc_nopw mcp-config --password --json
	jq -e '.mcpServers.secretctl.env.SECRETCTL_PASSWORD' <<<"$output"
}
