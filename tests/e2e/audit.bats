#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# audit list / verify / export, and tampering with the log or the secrets caught end to end.

load helpers

setup() {
	e2e_setup
	init_vault
	put alpha 'audit-value-alpha-1'
	put beta 'audit-value-beta-22' --tags t1
	sc get alpha >/dev/null
}

@test "audit list: a table, oldest first, with the actions that happened" {
	run -0 sc audit list
	[[ ${lines[0]} == SEQ* ]]
	[[ $output == *"vault.init"* ]]
	[[ $output == *"secret.set"*"alpha"* ]]
	[[ $output == *"secret.get"*"alpha"* ]]
	[[ $output != *audit-value* ]]
}

@test "audit list --json, --limit, --since, --source" {
	run -0 sc audit list --json
	actions=$(jq -r '[.[].action] | join(" ")' <<<"$output")
	[[ $actions == vault.init* ]]
	[[ $actions == *"secret.set"*"secret.set"*"secret.get"* ]]
	[ "$(jq -r '.[0].seq' <<<"$output")" = 1 ]
	[ "$(jq -r '[.[] | .source] | unique | join(",")' <<<"$output")" = cli ]
	run -0 sc audit list --json --limit 2
	[ "$(jq length <<<"$output")" = 2 ]
	# The newest two, oldest first: reading the log adds nothing to it.
	[ "$(jq -r '.[0].action' <<<"$output")" = secret.set ]
	[ "$(jq -r '.[1].action' <<<"$output")" = secret.get ]
	run -0 sc audit list --json --source mcp
	[ "$output" = "[]" ]
	run -0 sc audit list --json --since 1h
	[ "$(jq length <<<"$output")" -eq 4 ]
	run -0 sc audit list --json --since 2099-01-01T00:00:00Z
	[ "$output" = "[]" ]
	run -1 --separate-stderr sc audit list --since yesterday
	[[ $stderr == *"invalid --since"* ]]
	run -1 sc audit list --limit -3
}

@test "audit verify counts the entries it checked" {
	run -0 sc audit verify
	[[ $output =~ ^"audit log OK: "([0-9]+)" entries verified"$ ]]
	n=${BASH_REMATCH[1]}
	run -0 sc audit export
	# export saw the same entries: neither verify nor export writes one.
	[ "$(jq length <<<"$output")" -eq "$n" ]
}

@test "audit export: one JSON array for jq; jsonl one object per line; no values" {
	run -0 sc audit export
	[ "$(jq -r 'type' <<<"$output")" = array ]
	[ "$(jq -r '.[] | select(.source == "cli") | .action' <<<"$output" | grep -c secret.set)" = 2 ]
	[ "$(jq -r '.[] | select(.action == "secret.set") | .keys[0]' <<<"$output" | sort | xargs)" = "alpha beta" ]
	[[ $(jq -r '.[0].timestamp' <<<"$output") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
	[[ $output != *audit-value* ]]
	[[ $output != *"$PW"* ]]
	sc audit export --format jsonl >"$BATS_TEST_TMPDIR/log.jsonl"
	while IFS= read -r line; do
		[ "$(jq -r type <<<"$line")" = object ]
	done <"$BATS_TEST_TMPDIR/log.jsonl"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/log.jsonl")" -eq 4 ]
	run -0 sc audit export --since 2099-01-01T00:00:00Z
	[ "$(jq length <<<"$output")" = 0 ]
	run -1 --separate-stderr sc audit export --format yaml
	[[ $stderr == *"unknown --format 'yaml'"* ]]
	run -1 sc audit export --limit 3
}

@test "failed unlocks are recorded once the right password is used" {
	run -3 env SECRETCTL_PASSWORD='wrong password 1' setsid -w "$BIN" list
	run -0 --separate-stderr sc audit export
	[ "$(jq '[.[] | select(.action == "vault.unlock_failed" and .success == false)] | length' <<<"$output")" = 1 ]
}

@test "editing an audit row: verify exits 4 and names the entry" {
	sqlite3 "$DB" "UPDATE audit SET payload = randomblob(length(payload)) WHERE seq = 3"
	run -4 --separate-stderr sc audit verify
	[[ $stderr == *"audit log FAILED at entry 3:"*"edited"* ]]
}

@test "deleting an audit row: verify exits 4 and names where the chain breaks" {
	sqlite3 "$DB" "DELETE FROM audit WHERE seq = 2"
	run -4 --separate-stderr sc audit verify
	[[ $stderr == *"FAILED at entry 2:"*"missing"* ]]
}

@test "reordering timestamps: verify exits 4" {
	sqlite3 "$DB" "UPDATE audit SET ts = ts - 86400 WHERE seq = 4"
	run -4 --separate-stderr sc audit verify
	[[ $stderr == *"FAILED at entry 4"* ]]
}

@test "truncating the log tail is caught" {
	last=$(sqlite3 "$DB" "SELECT max(seq) FROM audit")
	sqlite3 "$DB" "DELETE FROM audit WHERE seq = $last"
	run -4 --separate-stderr sc audit verify
	[[ $stderr == *"audit"* ]]
}

@test "tampering with secrets: a deleted row or a swapped blob is an integrity error (exit 4)" {
	cp "$DB" "$BATS_TEST_TMPDIR/orig.db"
	sqlite3 "$DB" "DELETE FROM secrets WHERE rowid IN (SELECT rowid FROM secrets LIMIT 1)" 2>/dev/null ||
		sqlite3 "$DB" "DELETE FROM secrets WHERE id = (SELECT id FROM secrets LIMIT 1)"
	run -4 --separate-stderr sc list
	[[ $stderr == *"integrity"* ]]
	cp "$BATS_TEST_TMPDIR/orig.db" "$DB"
	sqlite3 "$DB" "UPDATE secrets SET value = (SELECT value FROM secrets ORDER BY id DESC LIMIT 1),
		value_nonce = (SELECT value_nonce FROM secrets ORDER BY id DESC LIMIT 1)
		WHERE id = (SELECT id FROM secrets ORDER BY id LIMIT 1)"
	run --separate-stderr sc get alpha
	a=$status
	run --separate-stderr sc get beta
	[ "$a" -eq 4 ] || [ "$status" -eq 4 ]
	[[ $output != *audit-value-beta* ]] || [ "$a" -eq 4 ]
}

@test "audit: --help, unknown subcommand, misplaced options" {
	run -0 sc_nopw audit --help
	[[ $output == *"usage: secretctl audit list"* ]]
	run -0 sc_nopw audit list --help
	run -0 sc_nopw audit verify -h
	run -1 --separate-stderr sc_nopw audit frobnicate
	[[ $stderr == *"unknown subcommand 'frobnicate'"* ]]
	run -1 sc_nopw audit
	run -1 --separate-stderr sc_nopw audit verify --json
	[[ $stderr == *"does not apply"* ]]
	run -1 sc_nopw audit list --bogus
}

@test "audit verify, list and export write nothing; other commands record one entry each" {
	before=$(sha256sum "$DB")
	n=$(sqlite3 "$DB" 'SELECT count(*) FROM audit')
	run -0 sc audit verify
	run -0 sc audit list
	run -0 sc audit export
	run -0 sc audit export --format jsonl
	[ "$(sha256sum "$DB")" = "$before" ]
	# No vault.unlock entries: a command's own entry stands for its unlock.
	sc list >/dev/null
	sc get beta >/dev/null
	[ "$(sqlite3 "$DB" 'SELECT count(*) FROM audit')" -eq $((n + 2)) ]
	run -0 sc audit export
	[ "$(jq '[.[] | select(.action == "vault.unlock")] | length' <<<"$output")" = 0 ]
	# A command that unlocks and records nothing else records its unlock.
	run -0 sc redact -k alpha <<<"text with audit-value-alpha-1 in it"
	[ "$output" = "text with [REDACTED:ALPHA] in it" ]
	run -0 sc audit export
	[ "$(jq -r '.[-1].action' <<<"$output")" = vault.unlock ]
}

@test "audit commands work on a read-only mount; the others refuse and say why" {
	unshare -Urm true 2>/dev/null || skip "no user namespaces"
	run -0 unshare -Urm bash -c '
		mount --bind -o ro "$1" "$1" || exit 99
		SECRETCTL_PASSWORD="$2" "$3" audit verify || exit 1
		SECRETCTL_PASSWORD="$2" "$3" audit export >/dev/null || exit 2
		SECRETCTL_PASSWORD="$2" "$3" list 2>&1 && exit 3
		exit 0' _ "$SECRETCTL_VAULT_DIR" "$PW" "$BIN"
	[[ $output == *"audit log OK"* ]]
	[[ $output == *"Read-only file system"*"does not run without"*"audit list, verify and export work read-only"* ]]
}

@test "on a full disk the audit commands still work and the others fail closed" {
	unshare -Urm true 2>/dev/null || skip "no user namespaces"
	run unshare -Urm bash -c '
		mnt=$1/full; mkdir "$mnt"; mount -t tmpfs -o size=512k tmpfs "$mnt" || exit 99
		cp -a "$2" "$mnt/vault"; export SECRETCTL_VAULT_DIR=$mnt/vault SECRETCTL_PASSWORD=$3
		head -c 1M /dev/zero >"$mnt/fill" 2>/dev/null
		"$4" audit verify || exit 1
		"$4" audit export >/dev/null || exit 2
		"$4" list && exit 3
		exit 0' _ "$BATS_TEST_TMPDIR" "$SECRETCTL_VAULT_DIR" "$PW" "$BIN"
	[ "$status" -eq 0 ]
	[[ $output == *"audit log OK"* ]]
	[[ $output == *"list: cannot list the secrets:"*"audit log"*"full"* ]]
}

@test "audit export is valid JSON whatever the bytes: not UTF-8 as \\xNN plus an exact _base64" {
	run -0 sc run -k alpha -- echo "$(printf 'caf\xe9 f\xc3\xbcr')"
	sc audit export >"$BATS_TEST_TMPDIR/log.json"
	python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$BATS_TEST_TMPDIR/log.json"
	jq -e . "$BATS_TEST_TMPDIR/log.json" >/dev/null
	last=$(jq -c '.[-1]' "$BATS_TEST_TMPDIR/log.json")
	[ "$(jq -r .command <<<"$last")" = 'echo caf\xe9 für' ]
	[ "$(jq -r .command_base64 <<<"$last" | base64 -d | od -An -tx1 | tr -d ' \n')" = "$(printf 'echo caf\xe9 f\xc3\xbcr' | od -An -tx1 | tr -d ' \n')" ]
	run -1 grep -q $'\xef\xbf\xbd' "$BATS_TEST_TMPDIR/log.json"
	sc audit export --format jsonl >"$BATS_TEST_TMPDIR/log.jsonl"
	python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1], "rb").read().decode("utf-8").splitlines()]' "$BATS_TEST_TMPDIR/log.jsonl"
}

@test "audit list shows UTF-8 as text in a UTF-8 locale, control bytes and bidi overrides escaped" {
	# The run records its command line without escape sequences (the terminal filter); what
	# is left of them is the list's to escape.
	run -0 sc run -k alpha -- echo "$(printf 'f\xc3\xbcr \xe2\x80\xaeevil \x1b[31m')"
	run -0 env LC_ALL=C.UTF-8 SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" audit list --limit 1
	[[ $output == *'echo für \xe2\x80\xaeevil'* ]]
	run -0 env LC_ALL=C SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" audit list --limit 1
	[[ $output == *'echo f\xc3\xbcr \xe2\x80\xaeevil'* ]]
	! grep -q $'\x1b\|\xe2\x80\xae' <<<"$output"
}

@test "entries carry the user guide's field names; --since takes a date" {
	run -0 sc audit export
	for f in timestamp action source keys command success; do
		[ "$(jq "[.[] | has(\"$f\")] | all" <<<"$output")" = true ]
	done
	[ "$(jq '[.[] | has("ts")] | any' <<<"$output")" = false ]
	run -0 sc audit list --json
	[ "$(jq '.[0] | has("timestamp")' <<<"$output")" = true ]
	run -0 sc audit list --since 2026-01-01 --json
	[ "$(jq length <<<"$output")" -eq 4 ]
	run -0 sc audit export --since 2099-12-31
	[ "$output" = "[]" ]
	run -1 --separate-stderr sc audit list --since 2026-02-30
	[[ $stderr == *"invalid --since '2026-02-30'"* ]]
}

@test "a failed get is recorded as failed, with why" {
	run -0 sc set fieldsonly --field user=app --field pass=secret-pass-value </dev/null
	run -2 sc get fieldsonly
	run -2 sc get alpha --field nope
	run -2 sc get no/such/key
	run -0 sc audit export
	[ "$(jq -c '[.[] | select(.action == "secret.get" and .success == false) | [.keys[0], .error]]' <<<"$output")" = \
		'[["fieldsonly","no value"],["alpha","no such field"],["no/such/key","not found"]]' ]
	[ "$(jq '[.[] | select(.action == "secret.get" and .success)] | length' <<<"$output")" = 1 ]
}

@test "list and export of a log that fails verification: entries shown, a warning, exit 4" {
	sqlite3 "$DB" "UPDATE audit SET payload = randomblob(length(payload)) WHERE seq = 2"
	run -4 --separate-stderr sc audit list
	[[ $stderr == *"audit list: WARNING: the audit log FAILED verification at entry 2"* ]]
	[[ $output == *"secret.get"* ]]
	run -4 --separate-stderr sc audit export
	[[ $stderr == *"FAILED verification at entry 2"* ]]
	[ "$(jq -c '.[1] | [.seq, .unreadable, .success]' <<<"$output")" = '[2,true,false]' ]
	[ "$(jq length <<<"$output")" -eq 4 ]
}
