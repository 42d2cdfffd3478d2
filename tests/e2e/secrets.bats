#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# set / get / list / delete: values, fields, bindings, metadata, JSON output, limits and errors.

load helpers

setup() {
	e2e_setup
	init_vault
}

@test "set reads stdin, strips one newline; get prints the exact bytes" {
	run -0 --separate-stderr sc set API_KEY < <(printf 'sk-test-0123456789abcdef\n')
	[ "$output" = "created API_KEY" ]
	sc get API_KEY >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" 'sk-test-0123456789abcdef'
	# Only one newline is removed.
	sc set TWO_NL < <(printf 'line-one-value\n\n') >/dev/null
	sc get TWO_NL >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" 'line-one-value\n'
}

@test "update says updated, keeps created_at and bumps updated_at" {
	put K 'first-value-123'
	c1=$(sc get K --show-metadata --json | jq -r .created_at)
	u1=$(sc get K --show-metadata --json | jq -r .updated_at)
	sleep 1.1
	run -0 sc set K --notes 'now with notes' < <(printf 'second-value-456')
	[ "$output" = "updated K" ]
	json=$(sc get K --json)
	[ "$(jq -r .created_at <<<"$json")" = "$c1" ]
	[ "$(jq -r .updated_at <<<"$json")" \> "$u1" ]
	[ "$(jq -r .value <<<"$json")" = "second-value-456" ]
	[ "$(jq -r .notes <<<"$json")" = "now with notes" ]
}

@test "metadata: notes, url, tags, expires in text and JSON; never the value" {
	put db/password 'metadata-secret-value' --notes 'primary db' --url https://db.example.com \
		--tags prod,db --expires 30d
	run -0 sc get db/password --show-metadata
	[[ $output == *"notes:     primary db"* ]]
	[[ $output == *"url:       https://db.example.com"* ]]
	[[ $output == *"tags:      prod, db"* ]]
	[[ $output == *"value:     (21 bytes, hidden)"* ]]
	[[ $output == *"expires:   20"* ]]
	[[ $output != *"metadata-secret-value"* ]]
	json=$(sc get db/password --show-metadata --json)
	[ "$(jq -c .tags <<<"$json")" = '["prod","db"]' ]
	[ "$(jq -r .value_length <<<"$json")" = 21 ]
	[ "$(jq -r 'has("value")' <<<"$json")" = false ]
	exp=$(jq -r .expires_at <<<"$json")
	want=$(date -u -d '+30 days' +%Y-%m-%d)
	[[ $exp == "$want"T* ]] || [[ $exp == "$(date -u -d '+29 days' +%Y-%m-%d)"T* ]]
	# Clearing: empty notes/url/tags, --expires never.
	put db/password 'metadata-secret-value' --notes '' --url '' --tags '' --expires never
	json=$(sc get db/password --show-metadata --json)
	[ "$(jq -c '[.notes,.url,.tags,.expires_at]' <<<"$json")" = '[null,null,[],null]' ]
}

@test "metadata survives an update that does not mention it" {
	put K 'value-number-one' --notes keep-me --tags a,b --url https://x.example
	put K 'value-number-two'
	json=$(sc get K --show-metadata --json)
	[ "$(jq -c '[.notes,.url,.tags]' <<<"$json")" = '["keep-me","https://x.example",["a","b"]]' ]
}

@test "multi-field secret: fields, sensitive masking, bindings" {
	run -0 --separate-stderr sc set db/prod --field host=db.example.com --field port=5432 \
		--field password=Sup3r-S3cret-Passw0rd --sensitive password \
		--binding PGHOST=host --binding PGPASSWORD=password </dev/null
	[[ $stderr == *"sensitive field 'password' was given on the command line"* ]]
	run -0 sc get db/prod --field host
	[ "$output" = db.example.com ]
	run -0 sc get db/prod --field password
	[ "$output" = Sup3r-S3cret-Passw0rd ]
	run -0 sc get db/prod --fields
	[[ $output == *"host: db.example.com"* ]]
	[[ $output == *"port: 5432"* ]]
	[[ $output == *"password: ********w0rd"* ]]
	[[ $output != *"Sup3r-S3cret"* ]]
	run -2 --separate-stderr sc get db/prod
	[[ $stderr == *"has no single value"* ]]
	run -2 --separate-stderr sc get db/prod --field nope
	[[ $stderr == *"has no field 'nope'"* ]]
	json=$(sc get db/prod --show-metadata --json)
	[ "$(jq -c '[.fields[] | [.name, .sensitive]]' <<<"$json")" = \
		'[["host",false],["port",false],["password",true]]' ] ||
		[ "$(jq -c '[.fields[] | [.name, .sensitive]] | sort' <<<"$json")" = \
		'[["host",false],["password",true],["port",false]]' ]
	[ "$(jq -c '[.bindings[] | .env + "=" + .field] | sort' <<<"$json")" = \
		'["PGHOST=host","PGPASSWORD=password"]' ]
	json=$(sc get db/prod --fields --json)
	[ "$(jq -r '.fields[] | select(.name=="password") | .value' <<<"$json")" = "********w0rd" ]
	[ "$(jq -r '.fields[] | select(.name=="host") | .value' <<<"$json")" = "db.example.com" ]
}

@test "--field NAME without a value reads stdin; fields are added to an existing secret" {
	put svc 'the-single-value-1'
	run -0 sc set svc --field token --sensitive token < <(printf 'field-from-stdin-value\n')
	run -0 sc get svc --field token
	[ "$output" = field-from-stdin-value ]
	run -0 sc get svc
	[ "$output" = the-single-value-1 ]
	run -1 --separate-stderr sc set svc --field a --field b <<<"x"
	[[ $stderr == *"only one --field NAME without a value"* ]]
}

@test "--password-stdin with a value: first line password, the rest is the value" {
	run -0 setsid -w "$BIN" set PIPED --password-stdin < <(printf '%s\nthe-piped-value\n' "$PW")
	sc get PIPED >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" 'the-piped-value'
}

@test "NUL bytes need --binary; --binary keeps bytes exactly" {
	run -1 --separate-stderr sc set BIN1 < <(printf 'abc\0defghij')
	[[ $stderr == *"NUL byte"*"--binary"* ]]
	run -2 sc get BIN1
	printf 'ab\0cd\377\376\n' >"$BATS_TEST_TMPDIR/blob"
	run -0 sc set BIN1 --binary <"$BATS_TEST_TMPDIR/blob"
	sc get BIN1 >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/blob"
	# Not UTF-8: JSON carries base64.
	b64=$(sc get BIN1 --json | jq -r .value_base64)
	[ "$b64" = "$(base64 -w0 <"$BATS_TEST_TMPDIR/blob")" ]
}

@test "value limit: 1 MiB accepted (plus newline), 1 MiB + 1 refused" {
	head -c 1048576 /dev/zero | tr '\0' 'a' >"$BATS_TEST_TMPDIR/max"
	run -0 sc set BIG <"$BATS_TEST_TMPDIR/max"
	{ cat "$BATS_TEST_TMPDIR/max"; echo; } | sc set BIG2 >/dev/null
	[ "$(sc get BIG2 | wc -c)" -eq 1048576 ]
	{ cat "$BATS_TEST_TMPDIR/max"; printf b; } >"$BATS_TEST_TMPDIR/over"
	run -1 --separate-stderr sc set BIG3 <"$BATS_TEST_TMPDIR/over"
	[[ $stderr == *"too large"*"1048576"* ]]
	run -2 sc get BIG3
}

@test "empty value refused; short value warns about redaction" {
	run -1 --separate-stderr sc set EMPTY </dev/null
	[[ $stderr == *"empty"* ]]
	run -1 sc set EMPTY < <(printf '\n')
	run -0 --separate-stderr sc set SHORT < <(printf 'abc12')
	[[ $stderr == *"only 5 bytes"*"redact"* ]]
	[[ $stderr != *"abc12"* ]]
}

@test "invalid keys are refused with exit 1 before any password is needed" {
	for k in "" "../etc" "a//b" "a/./b" "bad key" "x;y" "/lead" "trail/" \
		"$(printf 'k%.0s' $(seq 257))"; do
		run -1 --separate-stderr sc_nopw set "$k" <<<"some-value-here"
		[[ $stderr == *"invalid key"* ]]
	done
	run -0 sc set "$(printf 'k%.0s' $(seq 256))" <<<"some-value-here"
	run -0 sc set "a-b_c.d/e/F9" <<<"some-value-here"
}

@test "metadata limits: notes, url, tags" {
	notes=$(head -c 10241 /dev/zero | tr '\0' n)
	run -1 --separate-stderr sc set K --notes "$notes" <<<"value-long-enough"
	[[ $stderr == *"notes"* ]]
	run -0 sc set K --notes "${notes:1}" <<<"value-long-enough"
	url="https://$(head -c 2041 /dev/zero | tr '\0' u)"
	run -1 --separate-stderr sc set K --url "$url" <<<"value-long-enough"
	[[ $stderr == *"url"* ]]
	run -1 --separate-stderr sc set K --tags a,b,c,d,e,f,g,h,i,j,k <<<"value-long-enough"
	[[ $stderr == *"too many tags"* ]]
	run -0 sc set K --tags a,b,c,d,e,f,g,h,i,j <<<"value-long-enough"
	run -1 sc set K --tags "$(head -c 65 /dev/zero | tr '\0' t)" <<<"value-long-enough"
	run -1 --separate-stderr sc set K --expires soon <<<"value-long-enough"
	[[ $stderr == *"invalid --expires"* ]]
	run -1 --separate-stderr sc set K --binding NOEQUALS <<<"value-long-enough"
	[[ $stderr == *"ENV=FIELD"* ]]
}

@test "get --masked and get --json escape and mask correctly" {
	put LONG 'abcdefghijklmnop-WXYZ'
	put SHORTV 'tiny-val'
	run -0 sc get LONG --masked
	[ "$output" = '********WXYZ' ]
	run -0 sc get SHORTV --masked
	[ "$output" = '********' ]
	printf 'quote " back \\ tab \t nl \n ctl \001 é end' | sc set WEIRD >/dev/null
	sc get WEIRD --json | jq -j .value >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" 'quote " back \\ tab \t nl \n ctl \001 é end'
	[ "$(sc get LONG --json --masked | jq -r .value)" = '********WXYZ' ]
}

@test "get of an unknown key exits 2" {
	run -2 --separate-stderr sc get NOPE
	[[ $stderr == *"no secret named 'NOPE'"* ]]
}

@test "list: sorted names, glob, --tag, --expiring, --long, --json; never values" {
	put b/one 'list-value-b-one' --tags prod
	put a/two 'list-value-a-two' --tags dev,prod --expires 3d
	put a/x/deep 'list-value-deep' --expires 60d
	put zeta 'list-value-zeta'
	run -0 sc list
	[ "$output" = $'a/two\na/x/deep\nb/one\nzeta' ]
	run -0 sc list 'a/*'
	[ "$output" = "a/two" ]
	run -0 sc list --tag prod
	[ "$output" = $'a/two\nb/one' ]
	run -0 sc list --expiring 7d
	[ "$output" = "a/two" ]
	run -0 sc list --long
	[[ ${lines[0]} == KEY* ]]
	[[ $output == *"a/two"*"16"*"dev,prod"* ]]
	run -0 sc list --json
	[ "$(jq -r 'length' <<<"$output")" = 4 ]
	[ "$(jq -r '.[] | select(.key=="b/one") | .tags[0]' <<<"$output")" = prod ]
	[ "$(jq -r '.[0].value_length' <<<"$output")" = 16 ]
	[[ $output != *list-value* ]]
	run -0 sc list --long
	[[ $output != *list-value* ]]
}

@test "list of an empty vault prints nothing; --json prints []" {
	run -0 sc list
	[ -z "$output" ]
	run -0 sc list --json
	[ "$output" = "[]" ]
}

@test "delete --yes removes; without a terminal and without --yes it refuses" {
	put GONE 'to-be-deleted-value'
	run -1 --separate-stderr sc delete GONE
	[[ $stderr == *"without confirmation"*"--yes"* ]]
	run -0 sc get GONE
	run -0 sc delete GONE --yes
	[ "$output" = "deleted GONE" ]
	run -2 sc get GONE
	run -2 --separate-stderr sc delete GONE -y
	[[ $stderr == *"no secret named 'GONE'"* ]]
}

@test "delete asks on a terminal (pty): 'n' keeps, 'y' deletes" {
	command -v script >/dev/null || skip "script(1) missing"
	put ASK 'ask-before-delete'
	{ sleep 0.7; printf 'n\n'; sleep 0.5; } |
		SECRETCTL_PASSWORD="$PW" script -qec "$BIN delete ASK" /dev/null >"$BATS_TEST_TMPDIR/o" 2>&1 || true
	grep -q "Delete secret 'ASK'" "$BATS_TEST_TMPDIR/o"
	run -0 sc get ASK
	{ sleep 0.7; printf 'y\n'; sleep 0.5; } |
		SECRETCTL_PASSWORD="$PW" script -qec "$BIN delete ASK" /dev/null >"$BATS_TEST_TMPDIR/o" 2>&1
	run -2 sc get ASK
}

@test "set prompts for the value with echo off on a terminal (pty)" {
	command -v script >/dev/null || skip "script(1) missing"
	{ sleep 0.7; printf 'typed-secret-value\n'; sleep 0.5; } |
		SECRETCTL_PASSWORD="$PW" script -qec "$BIN set TYPED" /dev/null >"$BATS_TEST_TMPDIR/o" 2>&1
	grep -q "Value for TYPED" "$BATS_TEST_TMPDIR/o"
	run -1 grep -q typed-secret-value "$BATS_TEST_TMPDIR/o"
	sc get TYPED >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" 'typed-secret-value'
}

@test "get --field with --masked and --json; list with a pattern matching nothing" {
	run -0 sc set svc --field token=abcdefghijklmnop-TAIL --field user=bob </dev/null
	run -0 sc get svc --field token --masked
	[ "$output" = '********TAIL' ]
	json=$(sc get svc --field user --json)
	[ "$(jq -r '.field + "=" + .value' <<<"$json")" = user=bob ]
	run -0 sc list 'nothing/*'
	[ -z "$output" ]
}

@test "an over-long password line on --password-stdin is refused (exit 1)" {
	long=$(printf 'p%.0s' $(seq 200))
	run -1 --separate-stderr setsid -w "$BIN" list --password-stdin <<<"$long"
	[[ $stderr == *"8 to 128 characters"* ]]
	[[ $stderr != *"$long"* ]]
}

@test "--expires is bounded: at most 100y, and stored as an RFC 3339 time" {
	run -1 --separate-stderr sc set far --expires 1000000y </dev/null
	[[ $stderr == *"--expires '1000000y' is too far away: at most 100y"* ]]
	run -1 --separate-stderr sc set far --expires 99999999999999999999y </dev/null
	[[ $stderr == *"too far away"* ]]
	run -2 sc get far
	put far 'far-future-value' --expires 100y
	exp=$(sc get far --show-metadata --json | jq -r .expires_at)
	[[ $exp =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
}

@test "--binding ENV= binds the single value to a name of the user's choice" {
	run -0 sc set api/token --binding API_TOKEN= < <(printf 'tok-0123456789abcdef')
	json=$(sc get api/token --show-metadata --json)
	[ "$(jq -c '.bindings' <<<"$json")" = '[{"env":"API_TOKEN","field":""}]' ]
	run -0 --separate-stderr sc run -k api/token -- sh -c 'test "$API_TOKEN" = tok-0123456789abcdef && echo bound'
	[ "$output" = bound ]
	# A secret without a single value cannot bind it.
	run -1 --separate-stderr sc set f/only --field a=abcdefgh --binding X= </dev/null
	[[ $stderr == *"binding X refers to a missing value"* ]]
}

@test "set --field NAME=VALUE refuses data on stdin rather than ignore it" {
	run -1 --separate-stderr sc set amb --field user=app < <(printf 'the-intended-value')
	[[ $stderr == *"standard input holds data"* && $stderr == *"give </dev/null"* ]]
	run -2 sc get amb
	printf 'the-intended-value' >"$BATS_TEST_TMPDIR/v"
	run -1 --separate-stderr sc set amb --field user=app <"$BATS_TEST_TMPDIR/v"
	[[ $stderr == *"standard input holds data"* ]]
	# Empty stdin, /dev/null, or a field that reads stdin are fine.
	run -0 sc set amb --field user=app </dev/null
	run -0 sc set amb --field user=app < <(printf '')
	run -0 sc set amb --field user=app --field token < <(printf 'from-stdin-token')
	run -0 sc get amb --field token
	[ "$output" = from-stdin-token ]
	# With --password-stdin only what follows the password line counts.
	run -0 setsid -w "$BIN" set amb --field user=bob --password-stdin < <(printf '%s\n' "$PW")
	run -1 setsid -w "$BIN" set amb --field user=bob --password-stdin < <(printf '%s\nextra' "$PW")
}

@test "get KEY --json of a secret with fields only: every field's value, sensitive ones too" {
	run -0 sc set db/creds --field user=app --field password=Sup3r-S3cret-Passw0rd \
		--sensitive password </dev/null
	run -0 --separate-stderr sc get db/creds --json
	[ "$(jq -c '[.fields[] | [.name, .value]]' <<<"$output")" = \
		'[["user","app"],["password","Sup3r-S3cret-Passw0rd"]]' ]
	[ "$(jq -r 'has("value")' <<<"$output")" = false ]
	run -0 sc get db/creds --json --masked
	[ "$(jq -c '[.fields[].value]' <<<"$output")" = '["********","********w0rd"]' ]
	# A secret with both: the value and every field.
	run -0 sc set both --field extra=extra-field-value </dev/null
	put both 'the-single-value-1'
	run -0 sc get both --json
	[ "$(jq -c '[.value, .fields[0].value]' <<<"$output")" = \
		'["the-single-value-1","extra-field-value"]' ]
	# Text mode still asks which part.
	run -2 --separate-stderr sc get db/creds
	[[ $stderr == *"has no single value"* ]]
}

@test "get of an expired secret warns on stderr and still prints the exact value" {
	put old/key 'expired-secret-value' --expires 1s
	sleep 2
	run -0 --separate-stderr sc get old/key
	[ "$output" = expired-secret-value ]
	[[ $stderr == *"warning: get: old/key expired at 20"* ]]
	[[ $stderr == *"secretctl edit old/key --expires"* ]]
	put new/key 'fresh-secret-value' --expires 1d
	run -0 --separate-stderr sc get new/key
	[ -z "$stderr" ]
}

@test "list/get --json stay valid and lossless for text that is not UTF-8; UTF-8 is text in a UTF-8 locale" {
	notes=$(printf 'caf\xe9 f\xc3\xbcr')
	put weird 'value-of-weird-123456' --notes "$notes" --tags "$(printf 'l\xe4ndle'),ok" --url "$(printf 'https://x/\xff')"
	for cmd in "list --json" "get weird --json" "get weird --show-metadata --json"; do
		# shellcheck disable=SC2086
		sc $cmd >"$BATS_TEST_TMPDIR/out.json"
		python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$BATS_TEST_TMPDIR/out.json"
		run -1 grep -q $'\xef\xbf\xbd' "$BATS_TEST_TMPDIR/out.json"
	done
	run -0 sc get weird --show-metadata --json
	[ "$(jq -r .notes <<<"$output")" = 'caf\xe9 für' ]
	[ "$(jq -r .notes_base64 <<<"$output" | base64 -d)" = "$notes" ]
	[ "$(jq -r '.tags_base64[0]' <<<"$output" | base64 -d | od -An -tx1 | tr -d ' \n')" = 6ce46e646c65 ]
	[ "$(jq -r '.tags[1]' <<<"$output")" = ok ]
	[ "$(jq -r .url <<<"$output")" = 'https://x/\xff' ]
	run -0 sc get weird --json
	[ "$(jq -r .value <<<"$output")" = value-of-weird-123456 ]
	# Valid UTF-8 needs no sibling.
	put plain 'value-of-plain-123456' --notes 'für Ärger'
	run -0 sc get plain --show-metadata --json
	[ "$(jq -c '[.notes, has("notes_base64")]' <<<"$output")" = '["für Ärger",false]' ]
	run -0 env LC_ALL=C.UTF-8 SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" get weird --show-metadata
	[[ $output == *'notes:     caf\xe9 für'* ]]
	run -0 env LC_ALL=C SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" get weird --show-metadata
	[[ $output == *'notes:     caf\xe9 f\xc3\xbcr'* ]]
}
