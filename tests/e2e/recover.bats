#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# A vault with one changed row: the failure names the row, `recover --dry-run` reports without
# writing, `recover` rebuilds the vault from every intact secret, keeps the damaged file and is
# audited.

load helpers

setup() {
	e2e_setup
	init_vault
	for k in app/alpha app/beta app/gamma app/delta; do put "$k" "value-of-$k-0123456789"; done
}

@test "one changed row: every command names it and points at recover (exit 4)" {
	# The row's version edited: its name and metadata no longer authenticate.
	sqlite3 "$DB" "UPDATE secrets SET version = version + 7 WHERE n = 2"
	for cmd in list "get app/alpha" "audit verify"; do
		# shellcheck disable=SC2086
		run -4 --separate-stderr sc $cmd
		[[ $stderr == *"integrity check failed"*"secretctl recover --dry-run"*"secret 'app/beta'"* ]]
	done
}

@test "recover --dry-run reports and writes nothing; recover keeps every intact secret" {
	sqlite3 "$DB" "UPDATE secrets SET value = randomblob(length(value)) WHERE n = 1;
		UPDATE secrets SET version = version + 7 WHERE n = 2"
	before=$(sha256sum "$DB")
	run -4 --separate-stderr sc recover --dry-run
	[[ $output == *"secret rows: 4, intact: 2, damaged: 2"* ]]
	[[ $output == *"damaged: secret 'app/alpha' (row "*"): its value does not authenticate"* ]]
	[[ $output == *"damaged: secret 'app/beta' (row "*"): its name and metadata do not authenticate"* ]]
	[[ $output == *"would keep the 2 intact secrets, drop 2 damaged rows"* ]]
	[ "$(sha256sum "$DB")" = "$before" ]
	[ "$(find "$SECRETCTL_VAULT_DIR" -type f | wc -l)" -eq 1 ]

	run -0 --separate-stderr sc recover
	[[ $output == *"vault rebuilt: kept 2 secrets, dropped 2 damaged rows; the damaged file is kept as $SECRETCTL_VAULT_DIR/vault.db.damaged-"* ]]
	backup=$(ls "$SECRETCTL_VAULT_DIR"/vault.db.damaged-*)
	[ "$(sha256sum <"$backup")" = "$(cut -d' ' -f1 <<<"$before")  -" ]
	[ "$(file_mode "$backup")" = 600 ]
	run -0 sc list
	[ "$output" = "$(printf 'app/delta\napp/gamma')" ]
	run -0 sc get app/gamma
	[ "$output" = value-of-app/gamma-0123456789 ]
	run -0 sc audit verify
	run -0 sc audit export
	[ "$(jq -c '[.[] | select(.action == "vault.recover")][0] | [.keys, .detail.kept, (.detail.removed | length)]' <<<"$output")" = '[["app/alpha","app/beta"],2,2]' ]
	# Nothing left to do.
	run -0 sc recover
	[[ $output == *"nothing to recover"* ]]
}

@test "recover names rows deleted outside secretctl from the audit log; --json" {
	sqlite3 "$DB" "DELETE FROM secrets WHERE n = 3"
	run -4 --separate-stderr sc list
	[[ $stderr == *"1 secret(s) missing"* ]]
	run -4 --separate-stderr sc recover --dry-run --json
	[ "$(jq -c '[.rows, .intact, .missing, .clean, .rebuilt]' <<<"$output")" = '[3,3,["app/gamma"],false,false]' ]
	run -0 --separate-stderr sc recover --json
	[ "$(jq -r '.rebuilt' <<<"$output")" = true ]
	[[ $stderr == *"missing or rolled-back secrets are listed above"* ]]
	run -0 sc list
	[ "${#lines[@]}" -eq 3 ]
}

@test "recover checks the password like any unlock, and has --help" {
	run -3 --separate-stderr env SECRETCTL_PASSWORD='not the password' setsid -w "$BIN" recover
	[[ $stderr == *"wrong master password"* ]]
	run -0 sc_nopw recover --help
	[[ $output == *"usage: secretctl recover [--dry-run] [--json]"* ]]
	run -0 sc recover --dry-run
	[[ $output == *"nothing to recover"* ]]
}
