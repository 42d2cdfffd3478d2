#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# backup and restore end to end: round trips into an empty vault (identical secrets, a verifying
# audit log), each key mode, and damaged, truncated or wrong-key backups refused with nothing
# changed.

load helpers

setup() {
	e2e_setup
	init_vault
	put db/prod/password 'backup-value-one-1' --tags prod,db --url https://db.example
	put api/token 'backup value with spaces "and" $quotes'
	printf 'line1\nline2' | sc set multi/line >/dev/null 2>&1
	sc set app/login --field user=alice --field pass=hunter2-long --sensitive pass </dev/null \
		>/dev/null 2>&1
	BK=$BATS_TEST_TMPDIR/vault.bak
}

# Every key's metadata (timestamps included), value and field values, for comparing two vaults.
dump() {
	local k f
	sc list --json | jq -S .
	for k in $(sc list --json | jq -r '.[].key'); do
		sc get "$k" --fields --json | jq -S .
		if [ "$(sc get "$k" --fields --json | jq -r .has_value)" = true ]; then
			sc get "$k"
		fi
		for f in $(sc get "$k" --fields --json | jq -r '.fields[].name'); do
			echo "$k.$f=$(sc get "$k" --field "$f")"
		done
	done
}

other() { SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/restored "$@"; }

@test "backup -o FILE then restore into an empty vault: identical secrets, audit verifies" {
	run -0 sc backup -o "$BK"
	[[ $output == "backup written to $BK ("*"without the audit log, encrypted with the master password)" ]]
	[ "$(file_mode "$BK")" = 600 ]
	! grep -qa 'backup-value-one-1' "$BK"
	dump >"$BATS_TEST_TMPDIR/before"
	# the dump holds every value and field (so the comparison below means something)
	grep -q 'hunter2-long' "$BATS_TEST_TMPDIR/before"
	grep -q 'https://db.example' "$BATS_TEST_TMPDIR/before"
	grep -q 'app/login.user=alice' "$BATS_TEST_TMPDIR/before"
	grep -q 'backup value with spaces' "$BATS_TEST_TMPDIR/before"
	run -0 other sc restore "$BK"
	[[ $output == *"backup OK: 4 secrets"* ]]
	[[ $output == *"restored into $BATS_TEST_TMPDIR/restored"* ]]
	[ "$(file_mode "$BATS_TEST_TMPDIR/restored/vault.db")" = 600 ]
	[ "$(file_mode "$BATS_TEST_TMPDIR/restored")" = 700 ]
	SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/restored dump >"$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	run -0 other sc get api/token
	[ "$output" = 'backup value with spaces "and" $quotes' ]
	run -0 other sc audit verify
	run -0 other sc audit list --json --limit 0
	[ "$(jq -r '.[0].action' <<<"$output")" = vault.restore ]
	# the source vault recorded the backup
	run -0 sc audit list --json
	[[ $output == *'"vault.backup"'* ]]
}

@test "backup --with-audit carries the whole log; restore --with-audit keeps it" {
	sc backup --with-audit -o "$BK" >/dev/null
	src_log=$(sc audit export | jq -c '[.[] | select(.action != "vault.unlock") | {seq, action, keys}]')
	run -0 other sc restore --with-audit "$BK"
	[[ $output == *"(full log)"* ]]
	run -0 other sc audit verify
	got=$(other sc audit export | jq -c '[.[] | select(.action != "vault.unlock" and .action != "vault.restore") | {seq, action, keys}]')
	# the restored log is the source's (up to the backup) plus the backup record itself
	[ "$(jq -c 'map(select(.action != "vault.backup"))' <<<"$got")" = "$(jq -c 'map(select(.action != "vault.backup"))' <<<"$src_log")" ]
	[ "$(other sc audit export | jq -r '.[0].action')" = vault.init ]
	# a backup without the log cannot be restored --with-audit
	sc backup -o "$BK.nolog" >/dev/null
	run -1 --separate-stderr env SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/r2" SECRETCTL_PASSWORD="$PW" \
		setsid -w "$BIN" restore --with-audit "$BK.nolog"
	[[ $stderr == *"does not carry the audit log"*"nothing was changed"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/r2/vault.db" ]
}

@test "backup --stdout, restore -; --key-file and --backup-password modes" {
	sc backup --stdout >"$BK"
	run -0 other sc restore --verify-only "$BK"
	run -0 other sc restore - <"$BK"
	run -0 other sc get multi/line
	[ "$output" = $'line1\nline2' ]
	run -1 --separate-stderr other sc restore --password-stdin - <"$BK"
	[[ $stderr == *"cannot carry both"* ]]
	head -c 32 /dev/urandom >"$BATS_TEST_TMPDIR/key"
	chmod 600 "$BATS_TEST_TMPDIR/key"
	sc backup --key-file "$BATS_TEST_TMPDIR/key" -o "$BK.k" >/dev/null
	run -1 --separate-stderr other sc restore --force "$BK.k"
	[[ $stderr == *"made with a key file: pass --key-file F"* ]]
	run -0 other sc restore --force --key-file "$BATS_TEST_TMPDIR/key" "$BK.k"
	run -0 other sc get db/prod/password
	[ "$output" = backup-value-one-1 ]
	SECRETCTL_BACKUP_PASSWORD='separate backup pw' sc backup --backup-password -o "$BK.p" >/dev/null
	run -3 --separate-stderr env SECRETCTL_BACKUP_PASSWORD='wrong backup pw!' SECRETCTL_PASSWORD="$PW" \
		setsid -w "$BIN" restore --verify-only "$BK.p"
	[[ $stderr == *"does not open with this password"* ]]
	run -0 env SECRETCTL_BACKUP_PASSWORD='separate backup pw' SECRETCTL_PASSWORD="$PW" \
		setsid -w "$BIN" restore --verify-only "$BK.p"
	# a key file others can read is refused
	chmod 644 "$BATS_TEST_TMPDIR/key"
	run -1 --separate-stderr sc backup --key-file "$BATS_TEST_TMPDIR/key" -o "$BK.k2"
	[[ $stderr == *"must be owned by you and private"* ]]
	[ ! -e "$BK.k2" ]
}

@test "truncated, tampered, appended or wrong-password backups are refused; nothing changes" {
	sc backup -o "$BK" >/dev/null
	size=$(stat -c %s "$BK")
	head -c $((size - 1)) "$BK" >"$BK.trunc"
	head -c 100 "$BK" >"$BK.short"
	cp "$BK" "$BK.flip"
	printf '\x55' | dd of="$BK.flip" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	{ cat "$BK"; printf x; } >"$BK.app"
	for f in "$BK.trunc" "$BK.short" "$BK.flip" "$BK.app"; do
		run -4 --separate-stderr other sc restore "$f"
		[[ $stderr == *"nothing was changed"* ]]
		[ ! -e "$BATS_TEST_TMPDIR/restored/vault.db" ]
	done
	run -3 --separate-stderr env SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/restored" \
		SECRETCTL_PASSWORD='not the password' setsid -w "$BIN" restore "$BK"
	[ ! -e "$BATS_TEST_TMPDIR/restored/vault.db" ]
	echo 'not a backup at all' >"$BK.txt"
	run -4 --separate-stderr other sc restore "$BK.txt"
	[[ $stderr == *"not a secretctl backup"* ]]
	run -2 --separate-stderr other sc restore "$BATS_TEST_TMPDIR/missing"
}

@test "restore over an existing vault needs --force; --dry-run and --verify-only change nothing" {
	sc backup -o "$BK" >/dev/null
	put extra 'added-after-the-backup'
	cp "$DB" "$BATS_TEST_TMPDIR/db.before"
	run -1 --separate-stderr sc restore "$BK"
	[[ $stderr == *"a vault already exists"*"pass --force"* ]]
	run -0 sc restore --dry-run --force "$BK"
	[[ $output == *"would replace the vault in $SECRETCTL_VAULT_DIR"* ]]
	run -0 sc restore --verify-only --json "$BK"
	[ "$(jq -r .secrets <<<"$output")" = 4 ]
	[ "$(jq -r .result <<<"$output")" = verified ]
	# nothing above changed the vault (only its own unlock entries would; restore unlocks nothing)
	cmp "$DB" "$BATS_TEST_TMPDIR/db.before"
	run -0 sc restore --force "$BK"
	run -2 sc get extra
	run -0 sc get db/prod/password
	run -0 sc audit verify
}

@test "backup: usage errors before any password; no file written on failure" {
	run -1 --separate-stderr sc_nopw backup
	[[ $stderr == *"-o FILE or --stdout"* ]]
	run -1 --separate-stderr sc_nopw backup -o "$BK" --stdout
	run -1 --separate-stderr sc_nopw backup -o "$BK" --backup-password --key-file x
	[[ $stderr == *"exclude each other"* ]]
	echo keep >"$BK"
	run -1 --separate-stderr sc backup -o "$BK"
	[[ $stderr == *"exists (add --force to replace it)"* ]]
	[ "$(cat "$BK")" = keep ]
	run -0 sc backup -o "$BK" --force --json
	[ "$(jq -r .with_audit <<<"$output")" = false ]
	run -3 --separate-stderr env SECRETCTL_PASSWORD='wrong password!' setsid -w "$BIN" backup -o "$BK.2"
	[ ! -e "$BK.2" ]
	[ "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name '.*tmp' | wc -l)" = 0 ]
}

@test "backup and restore: listed in --help; --help, -h, help COMMAND; unknown options" {
	run -0 sc_nopw --help
	[[ $output == *"  backup "* ]]
	[[ $output == *"  restore "* ]]
	for c in backup restore; do
		run -0 --separate-stderr sc_nopw "$c" --help
		[[ $output == "usage: secretctl $c"* ]]
		[[ $output == *"Exit status"* ]]
		[ -z "$stderr" ]
		a=$output
		run -0 sc_nopw help "$c"
		[ "$a" = "$output" ]
		run -0 sc_nopw "$c" -h
		run -1 --separate-stderr sc_nopw "$c" --no-such-option
		[[ $stderr == *"usage: secretctl $c"* ]]
	done
	run -1 --separate-stderr sc_nopw restore
	[[ $stderr == *"name the backup file"* ]]
	run -1 sc_nopw restore a b
}
