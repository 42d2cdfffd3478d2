#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# audit export formats and files, and audit prune: what it removes, that verify still passes
# from its checkpoint, and that tampering with the checkpoint or the log is caught.

load helpers

setup() {
	e2e_setup
	init_vault
	put alpha 'audit-value-alpha-1'
	printf audit-value-dash-22 | sc set -- -x >/dev/null 2>&1
}

future() { date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ; }

@test "audit export --format csv: a header, one row per entry, formula cells defused" {
	run -0 sc audit export --format json
	want=$(jq length <<<"$output")
	run -0 sc audit export -f csv
	[[ ${lines[0]} == "seq,ts,source,action,success,keys,command,error,detail"* ]]
	[[ $output != *audit-value* ]]
	rows=$(python3 -c 'import csv,sys; r=list(csv.reader(sys.stdin)); print(len(r)-1);
keys=[x[5] for x in r[1:]]; assert "alpha" in keys and "'"'"'-x" in keys, keys' <<<"$output")
	# the audit commands open the vault read-only: the json export added no entry
	[ "$rows" -eq "$want" ]
	run -1 --separate-stderr sc audit export --format xml
	[[ $stderr == *"unknown --format 'xml' (use json, jsonl or csv)"* ]]
}

@test "audit export --since/--until select a time window" {
	run -0 sc audit export --until 2000-01-01T00:00:00Z
	[ "$output" = "[]" ]
	run -0 sc audit export --since 1h --until "$(future)" -f jsonl
	[ "${#lines[@]}" -ge 3 ]
	run -1 --separate-stderr sc audit export --until yesterday
	[[ $stderr == *"invalid --until 'yesterday'"* ]]
}

@test "audit export -o FILE: 0600, never over an existing file without --force" {
	run -0 sc audit export -o "$BATS_TEST_TMPDIR/log.json"
	[ "$output" = "" ]
	[ "$(file_mode "$BATS_TEST_TMPDIR/log.json")" = 600 ]
	jq -e 'length >= 3' "$BATS_TEST_TMPDIR/log.json"
	echo keep >"$BATS_TEST_TMPDIR/other"
	run -1 --separate-stderr sc audit export -f csv -o "$BATS_TEST_TMPDIR/other"
	[[ $stderr == *"exists (add --force to replace it)"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/other")" = keep ]
	run -0 sc audit export -f csv -o "$BATS_TEST_TMPDIR/other" --force
	head -1 "$BATS_TEST_TMPDIR/other" | grep -q '^seq,ts,'
	# no temporary file is left behind
	[ "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '.*tmp' | wc -l)" = 0 ]
	run -5 --separate-stderr sc audit export -o "$BATS_TEST_TMPDIR/nodir/log.json"
	[[ $stderr == *"cannot create a file beside"* ]]
}

@test "audit prune needs --older-than, and --force without a terminal" {
	before=$(sqlite3 "$DB" "SELECT count(*) FROM audit")
	run -1 --separate-stderr sc audit prune --force
	[[ $stderr == *"--older-than is required"* ]]
	run -1 --separate-stderr sc audit prune --older-than 1d
	[[ $stderr == *"pass --force"* ]]
	run -1 --separate-stderr sc audit prune --older-than soon --force
	[[ $stderr == *"invalid --older-than 'soon'"* ]]
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit")" = "$before" ]
}

@test "audit prune --dry-run says what would go and removes nothing" {
	before=$(sqlite3 "$DB" "SELECT count(*) FROM audit")
	run -0 sc audit prune --older-than "$(future)" --dry-run
	# a command's entry stands for its unlock: nothing was added before the prune looked
	[[ $output == "would remove $before audit entries (through seq $before)" ]]
	run -0 sc audit prune --older-than 30d --dry-run --json
	[ "$output" = '{"removed":0,"through_seq":0,"dry_run":true}' ]
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit")" = "$((before + 2))" ]
}

@test "audit prune removes old entries and audit verify still passes" {
	run -0 sc audit prune --older-than "$(future)" --force --json
	removed=$(jq -r .removed <<<"$output")
	[ "$removed" -ge 3 ]
	run -0 sc audit list --json --limit 0
	[ "$(jq -r '.[0].action' <<<"$output")" = audit.prune ]
	[ "$(jq -r '.[0].seq' <<<"$output")" = $((removed + 1)) ]
	run -0 sc audit verify
	[[ $output == "audit log OK: 1 entries verified" ]]
	# the vault goes on: writes, reads and a second prune
	put beta 'audit-value-beta-333'
	run -0 sc get beta
	run -0 sc audit prune --older-than "$(future)" --force
	[[ $output == "removed "*" audit entries (through seq "* ]]
	run -0 sc audit verify
}

@test "a pruned log whose checkpoint is deleted or edited fails verify (exit 4)" {
	run -0 sc audit prune --older-than "$(future)" --force
	cp "$DB" "$BATS_TEST_TMPDIR/pruned.db"
	sqlite3 "$DB" "DELETE FROM audit_checkpoint"
	run -4 --separate-stderr sc audit verify
	[[ $stderr == *"FAILED at entry 1:"*"missing"* ]]
	cp "$BATS_TEST_TMPDIR/pruned.db" "$DB"
	sqlite3 "$DB" "UPDATE audit_checkpoint SET seq = seq - 1"
	run -4 --separate-stderr sc audit verify
	[[ $stderr == *"checkpoint"*"does not authenticate"* ]]
}

@test "a log that does not verify is not pruned (exit 4, nothing removed)" {
	sqlite3 "$DB" "UPDATE audit SET payload = randomblob(length(payload)) WHERE seq = 3"
	before=$(sqlite3 "$DB" "SELECT count(*) FROM audit")
	run -4 --separate-stderr sc audit prune --older-than "$(future)" --force
	[[ $stderr == *"does not verify, nothing was removed"* ]]
	[ "$(sqlite3 "$DB" "SELECT min(seq) FROM audit")" = 1 ]
	# only the prune's own unlock was added
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit")" = "$((before + 1))" ]
}
