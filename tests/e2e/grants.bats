#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# Grants through the session agent: `secretctl grant` (with the password) lets runs whose keys
# it covers go on without asking, until its time or its runs run out or `revoke` ends it;
# `require_grant: true` refuses keys no live grant covers; `--command` limits a grant to one
# program; grants are listed (`grants`), audited (agent.grant, agent.revoke) and end at lock.

load helpers
load lib/agent

setup() {
	e2e_setup
	need_sandbox
	cd "$BATS_TEST_TMPDIR" || return 1
	init_vault
	put aws/key 'aws-secret-key-0123456789'
	put aws/id 'aws-key-id-0123456789'
	put OTHER 'other-secret-value-0123'
}

teardown() {
	sc_nopw lock >/dev/null 2>&1 || true
}

@test "a grant lets runs through without asking until its runs run out; grants lists it" {
	policy 'version: 1
allowed_commands: [sh]
approval: always'
	unlock >/dev/null
	run -3 --separate-stderr sc_nopw grant 'aws/*'
	[[ $stderr == *"master password"* ]]
	run -0 sc grant --runs 2 'aws/*'
	[[ $output == "grant 1: runs with keys matching aws/* go on without asking, for 30m00s or 2 runs" ]]
	run -0 sc_nopw grants --json
	jq -e '.[0] | .id == 1 and .pattern == "aws/*" and .command == null and .runs_left == 2 and .used == 0' <<<"$output"
	jq -e '.[0].ends_in_ms > 1790000' <<<"$output"
	run -0 sc_nopw status
	[[ $output == *"grants:   1 live ('secretctl grants')"* ]]
	run -0 sc_nopw run -k 'aws/*' -- sh -c 'echo one $AWS_KEY'
	[ "$output" = 'one [REDACTED:AWS_KEY]' ]
	run -0 sc_nopw run -k aws/id -- sh -c 'echo two'
	run -0 sc_nopw grants
	[ "$output" = "no live grant" ]
	run -0 sc_nopw status --json
	jq -e '.grants == 0' <<<"$output"
	# Spent: the next run asks again.
	( rc=0; setsid -w "$BIN" run -k aws/id -- sh -c 'echo three' >run.out 2>&1 </dev/null || rc=$?; echo $rc >run.rc ) &
	id=$(first_id)
	run -0 sc_nopw deny "$id"
	for _ in $(seq 50); do [ -s run.rc ] && break; sleep 0.2; done
	[ "$(cat run.rc)" = 125 ]
	run -0 sc audit export
	jq -e '[.[] | select(.action == "agent.grant")] | length == 1 and .[0].keys == ["aws/*"] and .[0].detail.runs == 2' <<<"$output"
}

@test "a grant ends with its time, with revoke, and with the lock" {
	policy 'version: 1
allowed_commands: [sh]
keys:
  - match: "aws/*"
    require_grant: true'
	unlock >/dev/null
	run -0 sc grant --for 2s 'aws/*'
	run -0 sc_nopw run -k aws/key -- sh -c 'echo in-time'
	[ "$output" = in-time ]
	sleep 2.5
	run -125 --separate-stderr sc_nopw run -k aws/key -- sh -c 'echo late'
	[[ $stderr == *"key 'aws/key' needs a grant"* && $stderr == *"no live grant covers this run"* ]]
	[ -z "$output" ]
	run -0 sc grant 'aws/*'
	run -0 sc grant 'aws/id'
	run -0 sc_nopw grants --json
	jq -e 'length == 2' <<<"$output"
	id=$(jq -r '.[0].id' <<<"$output")
	run -0 sc_nopw revoke "$id"
	[ "$output" = "revoked grant $id" ]
	run -2 --separate-stderr sc_nopw revoke "$id"
	[[ $stderr == *"no live grant $id"* ]]
	run -125 sc_nopw run -k aws/key -- sh -c 'echo revoked'
	run -0 sc_nopw run -k aws/id -- sh -c 'echo still'
	run -0 sc_nopw revoke --all
	[ "$output" = "revoked 1 grant" ]
	run -125 sc_nopw run -k aws/id -- sh -c 'echo none'
	run -0 sc grant 'aws/*'
	sc_nopw lock >/dev/null
	unlock >/dev/null
	run -0 sc_nopw grants
	[ "$output" = "no live grant" ]
	run -0 sc audit export
	jq -e '[.[] | select(.action == "agent.revoke")] | length == 2' <<<"$output"
	jq -e '[.[] | select(.action == "secret.run_denied")] | all(.error | contains("needs a grant"))' <<<"$output"
	run -1 --separate-stderr sc_nopw revoke
	[[ $stderr == *"give one grant ID"* ]]
}

@test "require_grant: refused at once without a grant; --command limits a grant to one program" {
	policy 'version: 1
allowed_commands: [sh, cat]
keys:
  - match: "aws/*"
    require_grant: true'
	unlock >/dev/null
	# No grant: refused without waiting for anyone; a key without the rule runs.
	start=$SECONDS
	run -125 --separate-stderr sc_nopw run -k aws/key -- sh -c 'echo x'
	[ $((SECONDS - start)) -lt 5 ]
	[[ $stderr == *"needs a grant (keys entry 'aws/*' (line 4): require_grant)"* ]]
	run -0 sc_nopw run -k OTHER -- sh -c 'echo free'
	run -0 sc grant --command cat 'aws/*'
	[[ $output == *"(program cat)"* ]]
	run -125 sc_nopw run -k aws/key -- sh -c 'echo wrong program'
	run -0 bash -c "echo via-cat | setsid -w '$BIN' run -k aws/key -- cat"
	[ "$output" = via-cat ]
	# A run with a key the grant does not cover is not covered.
	run -125 sc_nopw run -k aws/key -k OTHER -- cat /dev/null
	run -1 --separate-stderr sc grant --command /bin/cat 'aws/*'
	[[ $stderr == *"not a program name"* ]]
	run -1 --separate-stderr sc grant 'aws/$(x)'
	[[ $stderr == *"not a key pattern"* ]]
	run -1 --separate-stderr sc grant --for 2d 'aws/*'
	[[ $stderr == *"invalid --for"* ]]
}

@test "without a session agent, keys that need a grant are refused, saying how to get one" {
	policy 'version: 1
allowed_commands: [sh]
keys:
  - match: "aws/*"
    require_grant: true'
	run -125 --separate-stderr sc run --policy "$SECRETCTL_VAULT_DIR/mcp-policy.yaml" -k aws/key -- sh -c 'echo $AWS_KEY'
	[[ $stderr == *"needs a grant"* && $stderr == *"secretctl unlock"* && $stderr == *"secretctl grant"* ]]
	run -3 --separate-stderr sc_nopw grant 'aws/*'
	[[ $stderr == *"locked"* ]]
	run -3 sc_nopw grants
	run -0 sc_nopw revoke --all
}
