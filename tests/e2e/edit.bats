#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# `secretctl edit`: metadata, fields, sensitivity and bindings change without re-entering the
# value; refusals change nothing; each edit is one audit entry that names no value.

load helpers

setup() {
	e2e_setup
	init_vault
}

db() {
	sc set db/prod --field host=db.example.com --field user=app --field password \
		--sensitive password --binding PGHOST=host --binding PGUSER=user \
		--binding PGPASSWORD=password < <(printf 'Sup3r-S3cret-Passw0rd') >/dev/null 2>&1
}

meta() { sc get "$1" --show-metadata --json; }

@test "metadata changes without the value: tags, notes, url, expires" {
	put api/key 'sk-live-0123456789abcdef' --tags old
	run -0 --separate-stderr sc edit api/key --tags prod,payments --notes 'rotate monthly' \
		--url https://dash.example --expires 30d
	[ "$output" = "edited api/key: notes, url, tags, expires" ]
	json=$(meta api/key)
	[ "$(jq -c '[.tags,.notes,.url]' <<<"$json")" = \
		'[["prod","payments"],"rotate monthly","https://dash.example"]' ]
	[ "$(jq -r .expires_at <<<"$json")" != null ]
	sc get api/key >"$BATS_TEST_TMPDIR/v"
	assert_bytes "$BATS_TEST_TMPDIR/v" 'sk-live-0123456789abcdef'
	run -0 sc edit api/key --tags prod,payments
	[ "$output" = "unchanged api/key (it already had these settings)" ]
	run -0 sc edit api/key --tags '' --notes '' --url '' --expires never
	[ "$(meta api/key | jq -c '[.tags,.notes,.url,.expires_at]')" = '[[],null,null,null]' ]
}

@test "set with metadata only and no value points at edit" {
	put api/key 'sk-live-0123456789abcdef'
	run -1 --separate-stderr sc set api/key --tags x </dev/null
	[[ $stderr == *"the value is empty; nothing stored"* ]]
	[[ $stderr == *"use 'secretctl edit api/key'"* ]]
}

@test "fields: remove one (with its binding), change sensitivity; values untouched" {
	db
	run -1 --separate-stderr sc edit db/prod --remove-field user
	[[ $stderr == *"binding PGUSER names field user"* ]]
	[ "$(meta db/prod | jq '.fields | length')" = 3 ]
	run -0 sc edit db/prod --remove-field user --unbind PGUSER --not-sensitive password \
		--sensitive host
	[ "$output" = "edited db/prod: fields, sensitivity, bindings" ]
	json=$(meta db/prod)
	[ "$(jq -c '[.fields[] | [.name, .sensitive]]' <<<"$json")" = \
		'[["host",true],["password",false]]' ]
	[ "$(jq -c '[.bindings[].env]' <<<"$json")" = '["PGHOST","PGPASSWORD"]' ]
	run -0 sc get db/prod --field password
	[ "$output" = Sup3r-S3cret-Passw0rd ]
	run -0 sc get db/prod --fields
	[[ $output == *"password: Sup3r-S3cret-Passw0rd"* ]]
	[[ $output == *"host: ********"* && $output != *"db.example.com"* ]]
	run -1 --separate-stderr sc edit db/prod --remove-field nope
	[[ $stderr == *"no such field"* ]]
	run -1 --separate-stderr sc edit db/prod --remove-field host --remove-field password \
		--clear-bindings
	[[ $stderr == *"neither a value nor a field"* ]]
}

@test "bindings: clear, rebind, and bind the single value to a custom name" {
	db
	run -0 sc edit db/prod --clear-bindings --binding DB_PASS=password
	[ "$(meta db/prod | jq -c '[.bindings[] | .env + "=" + .field]')" = '["DB_PASS=password"]' ]
	run -0 --separate-stderr sc run --key db/prod -- sh -c 'echo "${PGHOST:-unset} $DB_PASS"'
	[ "$output" = "unset [REDACTED:DB_PASS]" ]
	put api/key 'sk-live-0123456789abcdef'
	run -0 sc edit api/key --binding STRIPE_KEY=
	run -0 --separate-stderr sc run -k api/key -- sh -c 'test "$STRIPE_KEY" = sk-live-0123456789abcdef && echo "${API_KEY:-no API_KEY}"'
	[ "$output" = "no API_KEY" ]
	# A field-only secret has no single value to bind.
	run -1 --separate-stderr sc edit db/prod --binding X=
	[[ $stderr == *"single value"* ]]
	run -1 --separate-stderr sc edit db/prod --unbind NOPE
	[[ $stderr == *"no such binding"* ]]
}

@test "edit reads no value: data on stdin is refused; nothing to change is a usage error" {
	put api/key 'sk-live-0123456789abcdef'
	run -1 --separate-stderr sc edit api/key --tags x < <(printf 'new-value')
	[[ $stderr == *"edit reads no value"* && $stderr == *"give </dev/null"* ]]
	[ "$(meta api/key | jq -c .tags)" = '[]' ]
	# A loop reading its list from stdin gives the loop's input away with </dev/null.
	printf 'api/key\n' >"$BATS_TEST_TMPDIR/keys"
	while read -r k; do sc edit "$k" --tags looped </dev/null; done <"$BATS_TEST_TMPDIR/keys"
	[ "$(meta api/key | jq -c .tags)" = '["looped"]' ]
	run -1 --separate-stderr sc_nopw edit api/key
	[[ $stderr == *"nothing to change"* ]]
	run -1 --separate-stderr sc_nopw edit api/key --sensitive a --not-sensitive a
	[[ $stderr == *"both --sensitive and --not-sensitive"* ]]
	run -1 --separate-stderr sc_nopw edit api/key --expires 1000000y
	[[ $stderr == *"at most 100y"* ]]
	run -2 --separate-stderr sc edit missing/key --tags x
	[[ $stderr == *"no secret named 'missing/key'"* ]]
	# --password-stdin: the password line is not "data".
	run -0 setsid -w "$BIN" edit api/key --tags y --password-stdin < <(printf '%s\n' "$PW")
}

@test "each edit is one audit entry naming what changed, never a value or note" {
	db
	sc edit db/prod --notes 'do-not-log-this-note' --remove-field user --unbind PGUSER >/dev/null
	sc edit db/prod --tags x --remove-field nope >/dev/null 2>&1 || true
	json=$(sc audit export)
	[ "$(jq '[.[] | select(.action == "secret.edit")] | length' <<<"$json")" = 2 ]
	ok=$(jq -c '[.[] | select(.action == "secret.edit")][0]' <<<"$json")
	[ "$(jq -c '.detail.changed' <<<"$ok")" = '["notes","fields","bindings"]' ]
	[ "$(jq -c '.detail.fields_removed' <<<"$ok")" = '["user"]' ]
	bad=$(jq -c '[.[] | select(.action == "secret.edit")][1]' <<<"$json")
	[ "$(jq -r '.success' <<<"$bad")" = false ]
	[[ $json != *"do-not-log-this-note"* ]]
	[[ $json != *"Sup3r-S3cret"* && $json != *"db.example.com"* ]]
	run -0 sc audit verify
}
