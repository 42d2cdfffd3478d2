#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# Approvals through the session agent, as a person meets them: a policy that says `approval:`
# makes a run wait before anything is decrypted; `secretctl approvals` shows what waits (the
# exact command, keys, sandbox), `approve` (with the password) lets it go on, `deny` or the
# timeout refuses it (exit 125, audited secret.run_denied with the reason); `--session`
# answers hold as the policy's level says; without an agent such a run is refused.

load helpers
load lib/agent

setup() {
	e2e_setup
	need_sandbox
	cd "$BATS_TEST_TMPDIR" || return 1
	init_vault
	put API_KEY 'sk-live-0123456789abcdef-value'
	put aws/key 'aws-secret-key-0123456789'
	put OTHER 'other-secret-value-0123'
}

teardown() {
	sc_nopw lock >/dev/null 2>&1 || true
}

# A run through the agent, in the background; its output in run.out, its status in run.rc.
bg_run() {
	( rc=0; setsid -w "$BIN" run "$@" >run.out 2>run.err </dev/null || rc=$?; echo $rc >run.rc ) &
}

wait_rc() {
	for _ in $(seq 100); do [ -s run.rc ] && break; sleep 0.2; done
	cat run.rc
}

@test "a run the policy wants approved waits until the person approves it" {
	policy 'version: 1
allowed_commands: [sh]
commands:
  - match: sh
    approval: always'
	unlock >/dev/null
	bg_run -k API_KEY -- sh -c 'echo "ran with $API_KEY"'
	id=$(first_id)
	run -0 sc_nopw approvals --json
	jq -e --arg id "$id" '.[0] | .id == ($id|tonumber) and .source == "cli" and .argv == ["sh","-c","echo \"ran with $API_KEY\""]' <<<"$output"
	jq -e '.[0] | .keys == ["API_KEY"] and .profile == "standard" and .network == "allow" and .approval == "always"' <<<"$output"
	jq -e '.[0].why | contains("commands entry '"'"'sh'"'"'")' <<<"$output"
	run -0 sc_nopw approvals
	[[ $output == *"command: sh -c 'echo \"ran with \$API_KEY\"'"* && $output == *"keys:    API_KEY"* ]]
	run -0 sc_nopw status --json
	jq -e '.pending_approvals == 1' <<<"$output"
	run -0 sc_nopw status
	[[ $output == *"waiting:  1 run for your approval ('secretctl approvals')"* ]]
	[ ! -s run.rc ]
	# Approving needs the password: without it the agent refuses.
	run -3 --separate-stderr sc_nopw approve "$id"
	[[ $stderr == *"master password"* ]]
	[ ! -s run.rc ]
	run -0 sc approve "$id"
	[ "$output" = "allowed once $id" ]
	[ "$(wait_rc)" = 0 ]
	[ "$(cat run.out)" = 'ran with [REDACTED:API_KEY]' ]
	run -0 sc_nopw approvals
	[ "$output" = "no run waits for approval" ]
	run -0 sc audit export
	jq -e '[.[] | select(.action == "secret.run")] | last | .success and .keys == ["API_KEY"]' <<<"$output"
}

@test "deny and the timeout refuse the run before anything is decrypted; audited secret.run_denied" {
	policy 'version: 1
allowed_commands: [sh]
approval_timeout: 2s
keys:
  - match: "aws/*"
    approval: once'
	unlock >/dev/null
	# A key without approval runs at once.
	run -0 sc_nopw run -k OTHER -- sh -c 'echo ok'
	bg_run -k aws/key -- sh -c 'echo "$AWS_KEY"'
	id=$(first_id)
	run -0 sc_nopw deny "$id"
	[ "$output" = "denied $id" ]
	[ "$(wait_rc)" = 125 ]
	[[ $(cat run.err) == *"not approved: denied by the person (secretctl deny $id)"* ]]
	[ ! -s run.out ]
	rm -f run.rc
	run -125 --separate-stderr sc_nopw run -k aws/key -- sh -c 'echo "$AWS_KEY"'
	[[ $stderr == *"no answer within the approval timeout"* ]]
	[ -z "$output" ]
	run -0 sc audit export
	jq -e '[.[] | select(.action == "secret.run_denied")] | length == 2' <<<"$output"
	jq -e '[.[] | select(.action == "secret.run_denied")] | .[0].error | contains("denied by the person")' <<<"$output"
	jq -e '[.[] | select(.action == "secret.run_denied")] | .[1].error | contains("approval timeout")' <<<"$output"
	jq -e '[.[] | select(.action == "secret.run_denied")] | all(.keys == ["aws/key"])' <<<"$output"
	jq -e '[.[] | select(.action == "secret.run" and .keys == ["aws/key"])] | length == 0' <<<"$output"
	# An unknown ID, a bad one.
	run -2 --separate-stderr sc_nopw deny 999
	[[ $stderr == *"no such approval is waiting"* ]]
	run -1 --separate-stderr sc_nopw deny x1
	[[ $stderr == *"not an approval ID"* ]]
}

@test "approve --session: remembered until lock for approval once, never for always" {
	policy 'version: 1
allowed_commands: [sh, true]
commands:
  - match: "true"
    approval: always
keys:
  - match: "aws/*"
    approval: once'
	unlock >/dev/null
	bg_run -k aws/key -- sh -c 'echo first'
	id=$(first_id)
	run -0 sc approve --session "$id"
	[ "$(wait_rc)" = 0 ]
	# approval: once: the same program with the same keys and sandbox no longer asks.
	run -0 sc_nopw run -k aws/key -- sh -c 'echo second'
	[ "$output" = second ]
	# Another key set asks again (timing out here, with nobody answering).
	run -0 sc_nopw status --json
	rm -f run.rc
	bg_run -k aws/key -k OTHER -- sh -c 'echo third'
	id=$(first_id)
	run -0 sc_nopw deny "$id"
	[ "$(wait_rc)" = 125 ]
	# approval: always asks every time, even after --session.
	rm -f run.rc
	bg_run -k OTHER -- true
	id=$(first_id)
	run -0 sc approve --session "$id"
	[ "$(wait_rc)" = 0 ]
	rm -f run.rc
	bg_run -k OTHER -- true
	id=$(first_id)
	run -0 sc_nopw deny "$id"
	[ "$(wait_rc)" = 125 ]
	# Locking forgets: after a new unlock the once-approved run asks again.
	sc_nopw lock >/dev/null
	unlock >/dev/null
	rm -f run.rc
	bg_run -k aws/key -- sh -c 'echo again'
	id=$(first_id)
	run -0 sc_nopw deny "$id"
	[ "$(wait_rc)" = 125 ]
}

@test "without a session agent a run that needs approval is refused, saying how to get one" {
	policy 'version: 1
allowed_commands: [sh]
approval: session'
	run -125 --separate-stderr sc run --policy "$SECRETCTL_VAULT_DIR/mcp-policy.yaml" -k API_KEY -- sh -c 'echo $API_KEY'
	[[ $stderr == *"needs the person's approval (approval (line 3): session)"* && $stderr == *"secretctl unlock"* ]]
	[ -z "$output" ]
	run -0 sc audit export
	jq -e '[.[] | select(.action == "secret.run_denied")] | last | .error | contains("approval")' <<<"$output"
	run -3 --separate-stderr sc_nopw approvals
	[[ $stderr == *"vault is locked"* ]]
	run -3 --separate-stderr sc_nopw approvals --json
	[ "$output" = "[]" ]
}

@test "a hostile command line is shown escaped, and a child of another request cannot approve" {
	policy 'version: 1
allowed_commands: [sh]
approval: always'
	unlock >/dev/null
	bg_run -k API_KEY -- sh -c "$(printf 'echo hi\033]0;owned\007')"
	id=$(first_id)
	run -0 sc_nopw approvals
	[[ $output == *'\x1b]0;owned\x07'* ]]
	[[ $output != *$'\033'* ]]
	# Through the socket itself, in the agent scope: allowing is refused by the agent.
	run --separate-stderr python3 "$BATS_TEST_DIRNAME/lib/agentc.py" "$SECRETCTL_VAULT_DIR/agent.sock" exec approve "$id" </dev/null
	[ "$status" -ne 0 ]
	[[ $stderr == *"refused"* ]]
	[ ! -s run.rc ]
	run -0 sc_nopw deny "$id"
	[ "$(wait_rc)" = 125 ]
}

@test "policy check and validate: the approval a run needs and the rule that asks" {
	policy 'version: 1
allowed_commands: [sh, psql]
commands:
  - match: psql
    approval: session
keys:
  - match: "aws/*"
    approval: always'
	run -0 sc_nopw policy validate
	run -0 sc_nopw policy check -k OTHER -- sh
	[[ $output == *"approval:    never"* ]]
	run -0 sc_nopw policy check -k OTHER -- psql
	[[ $output == *"approval:    session (commands entry 'psql' (line 5): approval session)"* ]]
	run -0 sc_nopw policy check --json -k aws/key -- psql
	jq -e '.approval == "always" and .approval_rule == "keys entry '"'aws/*'"' (line 7): approval always"' <<<"$output"
	policy 'version: 1
keys:
  - match: "aws/*"
    approval: maybe'
	run -1 --separate-stderr sc_nopw policy validate
	[[ $stderr == *":4:15: 'approval' must be never, once, session or always, not 'maybe'"* ]]
}
