#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# set --template login|database|api|ssh: the reference's fields, sensitive flags and default
# bindings; fields asked for like --field NAME; optional ones left out; errors.

load helpers

setup() {
	e2e_setup
	init_vault
	cd "$BATS_TEST_TMPDIR" || return 1
}

meta() { sc get "$1" --show-metadata --json; }

@test "set --template database: fields, sensitive password, PG bindings; run injects them" {
	run -0 sc set db/prod --template database --field host=db.internal --field username=appuser \
		--field port=5432 < <(printf 'pg-secret-password\n')
	[ "$output" = "created db/prod" ]
	json=$(meta db/prod)
	[ "$(jq -c '[.fields[] | [.name, .sensitive]]' <<<"$json")" = \
		'[["host",false],["username",false],["port",false],["password",true]]' ]
	[ "$(jq -c '[.bindings[] | .env + "=" + .field]' <<<"$json")" = \
		'["PGHOST=host","PGPORT=port","PGUSER=username","PGPASSWORD=password"]' ]
	[ "$(sc get db/prod --field password)" = pg-secret-password ]
	run -0 --separate-stderr sc run -k db/prod -- sh -c \
		'[ "$PGHOST $PGUSER $PGPORT $PGPASSWORD" = "db.internal appuser 5432 pg-secret-password" ] && echo bound'
	[ "$output" = bound ]
}

@test "set --template login / api / ssh; an optional field not given is left out" {
	run -0 sc set site --template login --field username=ana < <(printf 'login-password-12\n')
	[ "$(meta site | jq -c '[.fields[] | [.name, .sensitive]]')" = '[["username",false],["password",true]]' ]
	[ "$(meta site | jq '.bindings | length')" = 0 ]
	run -0 sc set stripe --template api < <(printf 'sk_live_0123456789abcdef\n')
	json=$(meta stripe)
	[ "$(jq -c '[.fields[] | [.name, .sensitive]]' <<<"$json")" = '[["api_key",true]]' ]
	[ "$(jq -c '[.bindings[] | .env + "=" + .field]' <<<"$json")" = '["API_KEY=api_key"]' ]
	printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n' >key
	run -0 sc set ssh/srv --template ssh --binary <key
	sc get ssh/srv --field private_key >got
	cmp key got
	[ "$(meta ssh/srv | jq -c '[.fields[] | [.name, .sensitive]]')" = '[["private_key",true]]' ]
}

@test "set --template: --binding replaces the defaults; a second missing field needs a terminal" {
	run -0 sc set db/x --template database --field host=h --field username=u \
		--binding DB_PASS=password < <(printf 'db-password-value\n')
	[ "$(meta db/x | jq -c '[.bindings[] | .env + "=" + .field]')" = '["DB_PASS=password"]' ]
	run -1 --separate-stderr sc set db/y --template database </dev/null
	[[ $stderr == *"--template database: give the fields with --field NAME=VALUE (one may come from standard input) or run it on a terminal"* ]]
	run -1 --separate-stderr sc set db/y --template mysql
	[[ $stderr == *"unknown --template 'mysql' (use login, database, api or ssh)"* ]]
	run -2 sc get db/y
}

@test "set --template on a terminal asks for each field; an optional one may be left empty" {
	# script(1) gives the command a terminal; the answers are typed into it.
	run -0 env SECRETCTL_PASSWORD="$PW" SECRETCTL_VAULT_DIR="$SECRETCTL_VAULT_DIR" \
		script -qec "$BIN set api/t --template api" /dev/null < <(sleep 1; printf 'key-value-0123456789\n'; sleep 1; printf '\n')
	[[ $output == *"Value for field api_key (input hidden; a multi-line paste is kept whole; Enter ends it):"* ]]
	[[ $output == *"Value for field api_secret (optional: Enter leaves it out) (input hidden):"* ]]
	json=$(meta api/t)
	[ "$(jq -c '[.fields[].name]' <<<"$json")" = '["api_key"]' ]
	[ "$(jq -c '[.bindings[] | .env + "=" + .field]' <<<"$json")" = '["API_KEY=api_key"]' ]
}
