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

# ---- restore --on-conflict: merging a backup into the existing vault -------------------------

# Everything the vault holds, values included, for before/after comparisons.
snapshot() { sc export -f json --with-metadata 2>/dev/null; }

# Another vault (another master password, OPW) holding other/key=VALUE, backed up to OUT.
OPW='a different master passphrase 42'
backup_other() { # VALUE OUT
	SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/other SECRETCTL_PASSWORD="$OPW" \
		setsid -w "$BIN" init --kdf test >/dev/null 2>&1
	printf '%s' "$1" | SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/other \
		SECRETCTL_PASSWORD="$OPW" setsid -w "$BIN" set other/key >/dev/null 2>&1
	SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/other SECRETCTL_PASSWORD="$OPW" \
		setsid -w "$BIN" backup -o "$2" >/dev/null 2>&1
}

# The vault after the backup: one key changed, one deleted, one added.
diverge() {
	put db/prod/password 'changed-after-backup'
	sc delete api/token --yes >/dev/null 2>&1
	put local/only 'only-in-this-vault'
}

@test "restore --on-conflict error names the first key it has and writes nothing" {
	sc backup -o "$BK" >/dev/null
	diverge
	before=$(snapshot)
	grep -q changed-after-backup <<<"$before"
	run -1 --separate-stderr sc restore --on-conflict error "$BK"
	[ "$stderr" = "secretctl: restore: app/login exists in this vault; nothing was restored (use --on-conflict skip or overwrite)" ]
	[ "$(snapshot)" = "$before" ]
	run -2 sc get api/token
	run -0 sc audit verify
	run -0 sc audit list --json
	[[ $output != *'"vault.restore"'* ]]
}

@test "restore --on-conflict skip keeps this vault's secrets and adds the backup's others" {
	sc backup -o "$BK" >/dev/null
	diverge
	run -0 --separate-stderr sc restore --on-conflict skip --dry-run "$BK"
	made=$(sc restore --verify-only --json "$BK" | jq -r .created_at)
	[ "$output" = "backup OK: 4 secrets, 1 audit entries (log not included), made $made
would create api/token
would skip app/login (exists)
would skip db/prod/password (exists)
would skip multi/line (exists)
dry run: would merge 4 secrets of the backup: 1 created, 0 overwritten, 3 skipped; nothing was written" ] ||
		{ echo "$output"; false; }
	run -2 sc get api/token
	run -0 --separate-stderr sc restore --on-conflict skip "$BK"
	[[ $output == *"merged 4 secrets of the backup: 1 created, 0 overwritten, 3 skipped" ]]
	run -0 sc get api/token
	[ "$output" = 'backup value with spaces "and" $quotes' ]
	run -0 sc get db/prod/password
	[ "$output" = changed-after-backup ]
	run -0 sc get local/only
	run -0 sc audit verify
	detail=$(sc audit list --json | jq -c '[.[] | select(.action == "vault.restore")] | .[0] | [.keys, .detail]')
	[ "$detail" = '[["api/token"],{"created":1,"updated":0,"skipped":3}]' ]
}

@test "restore --on-conflict overwrite replaces whole secrets; history keeps what they were" {
	printf 'first' | sc set multi/line >/dev/null 2>&1
	printf 'line1\nline2' | sc set multi/line >/dev/null 2>&1
	sc backup -o "$BK" >/dev/null
	diverge
	sc edit app/login --notes 'added after the backup' >/dev/null 2>&1
	run -0 --separate-stderr sc restore --on-conflict overwrite --dry-run --json "$BK"
	[ "$(jq -c '[.result, .created, .updated, .skipped]' <<<"$output")" = \
		'["dry-run",["api/token"],["app/login","db/prod/password","multi/line"],[]]' ]
	run -0 sc get db/prod/password
	[ "$output" = changed-after-backup ]
	run -0 --separate-stderr sc restore --conflict overwrite "$BK"
	[[ $output == *"merged 4 secrets of the backup: 1 created, 3 overwritten, 0 skipped" ]]
	# the backup's own saved versions stay behind, and the user is told
	[[ $stderr == *"the backup's 2 saved previous versions are not merged"* ]]
	run -0 sc get db/prod/password
	[ "$output" = backup-value-one-1 ]
	run -0 sc get app/login --field pass
	[ "$output" = hunter2-long ]
	run -0 sc get app/login --fields --json
	[ "$(jq -r .notes <<<"$output")" = null ]
	run -0 sc get local/only
	run -0 sc history db/prod/password --json
	v=$(jq -r '.versions[0].version' <<<"$output")
	run -0 sc rollback db/prod/password --version "$v"
	run -0 sc get db/prod/password
	[ "$output" = changed-after-backup ]
	run -0 sc audit verify
}

@test "restore --on-conflict: damaged backups and wrong passwords change nothing" {
	SECRETCTL_BACKUP_PASSWORD='separate backup pw' sc backup --backup-password -o "$BK" >/dev/null
	diverge
	before=$(snapshot)
	size=$(stat -c %s "$BK")
	head -c $((size - 1)) "$BK" >"$BK.trunc"
	cp "$BK" "$BK.flip"
	printf '\x55' | dd of="$BK.flip" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	for f in "$BK.trunc" "$BK.flip"; do
		run -4 --separate-stderr env SECRETCTL_BACKUP_PASSWORD='separate backup pw' \
			SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" restore --on-conflict overwrite "$f"
		[[ $stderr == *"nothing was changed"* ]]
		[ "$(snapshot)" = "$before" ]
	done
	run -3 --separate-stderr env SECRETCTL_BACKUP_PASSWORD='wrong backup pw!' \
		SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" restore --on-conflict overwrite "$BK"
	[[ $stderr == *"does not open with this password"* ]]
	[ "$(snapshot)" = "$before" ]
	# a backup of a vault with another master password cannot be opened without a prompt
	backup_other 'x-value-123' "$BK.other"
	run -3 --separate-stderr sc restore --on-conflict skip "$BK.other"
	[[ $stderr == *"the backed-up vault's master password is not this vault's"* ]]
	[ "$(snapshot)" = "$before" ]
	run -0 sc audit verify
}

@test "restore --on-conflict: usage errors; no vault to merge into; a folder it lacks" {
	sc backup -o "$BK" >/dev/null
	run -1 --separate-stderr sc_nopw restore --on-conflict skip --with-audit "$BK"
	[[ $stderr == *"takes neither --with-audit nor --force"* ]]
	run -1 --separate-stderr sc_nopw restore --on-conflict skip --force "$BK"
	run -1 --separate-stderr sc_nopw restore --on-conflict skip --verify-only "$BK"
	run -1 --separate-stderr sc_nopw restore --on-conflict maybe "$BK"
	[[ $stderr == *"unknown --on-conflict 'maybe' (use skip, overwrite or error)"* ]]
	run -1 --separate-stderr sc_nopw restore --on-conflict skip --conflict overwrite "$BK"
	# bash completion offers the flag and its modes
	source <("$BIN" completion bash)
	COMP_WORDS=(secretctl restore --on-c)
	COMP_CWORD=2
	_secretctl
	[ "${COMPREPLY[*]}" = --on-conflict ]
	COMP_WORDS=(secretctl restore --on-conflict o)
	COMP_CWORD=3
	_secretctl
	[ "${COMPREPLY[*]}" = overwrite ]
	run -2 --separate-stderr other sc restore --on-conflict skip "$BK"
	[ ! -e "$BATS_TEST_TMPDIR/restored/vault.db" ]
	# the backup files a secret in a folder this vault does not have
	sc folder create team >/dev/null
	printf 'in-a-folder-1' | sc set team/key --folder team >/dev/null 2>&1
	sc backup -o "$BK.f" --force >/dev/null
	other sc restore "$BK" >/dev/null
	before=$(other sc export -f json)
	run -2 --separate-stderr other sc restore --on-conflict skip "$BK.f"
	[[ $stderr == *"team/key is in folder team in the backup, which this vault does not have"* ]]
	[ "$(other sc export -f json)" = "$before" ]
	other sc folder create team >/dev/null
	run -0 other sc restore --on-conflict skip "$BK.f"
	run -0 other sc folder info team --json
	[[ $output == *'"team/key"'* ]]
}

@test "backup and restore show progress on a terminal, nothing of it otherwise" {
	run -0 env SECRETCTL_PASSWORD="$PW" script -qec "$BIN backup -o $BK" /dev/null
	[[ $output == *"copying ["*"] 100% "* ]]
	[[ $output == *"encrypting ["*"] 100% "* ]]
	run -0 env SECRETCTL_PASSWORD="$PW" SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/restored" \
		script -qec "$BIN restore $BK" /dev/null
	[[ $output == *"decrypting ["*"] 100% "* ]]
	[[ $output == *"writing ["*"] 100% "* ]]
	run -0 env SECRETCTL_PASSWORD="$PW" script -qec "$BIN restore --on-conflict overwrite $BK" /dev/null
	[[ $output == *"merging ["*"] 100% 4/4"* ]]
	run -0 --separate-stderr sc backup -o "$BK" --force
	[ -z "$stderr" ]
	run -0 --separate-stderr sc restore --on-conflict overwrite "$BK"
	# only the warning that the backup's saved versions stay behind
	[[ $stderr != *"["* && $stderr != *$'\r'* ]]
	[[ $stderr == "secretctl: warning: restore: the backup's "*" not merged "* ]]
	run -0 --separate-stderr other sc restore --force "$BK"
	[ -z "$stderr" ]
	[[ $output != *"["* ]]
}

@test "restore --on-conflict on a terminal asks for the backed-up vault's password when it differs" {
	backup_other 'other-value-123' "$BK"
	run -0 python3 "$BATS_TEST_DIRNAME/lib/ptydrive.py" --wait 'assword' --send "$PW\r" \
		--wait 'of the backed-up vault' --send "$OPW\r" -- "$BIN" restore --on-conflict skip "$BK"
	[[ $output == *"merged 1 secret of the backup: 1 created, 0 overwritten, 0 skipped"* ]]
	run -0 sc get other/key
	[ "$output" = other-value-123 ]
	run -0 sc audit verify
}
