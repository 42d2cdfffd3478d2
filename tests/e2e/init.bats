#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# init, master password input and checks, vault location and file modes, missing vault.

load helpers

setup() { e2e_setup; }

@test "init creates a 0700 directory and a 0600 vault.db, warns about --kdf test" {
	run --separate-stderr sc init --kdf test
	[ "$status" -eq 0 ]
	[[ $output == *"vault created in $SECRETCTL_VAULT_DIR"* ]]
	[[ $stderr == *"INSECURE"* ]]
	[ "$(file_mode "$SECRETCTL_VAULT_DIR")" = 700 ]
	[ "$(file_mode "$DB")" = 600 ]
}

@test "init refuses to overwrite an existing vault" {
	init_vault
	before=$(sha256sum "$DB")
	run -1 --separate-stderr sc init --kdf test
	[[ $stderr == *"already exists"* ]]
	[ "$(sha256sum "$DB")" = "$before" ]
}

@test "init --kdf rejects an unknown profile" {
	run -1 --separate-stderr sc init --kdf fast
	[[ $stderr == *"unknown --kdf 'fast'"* ]]
	[ ! -e "$DB" ]
}

@test "init without a password and without a terminal fails clearly" {
	run -3 --separate-stderr sc_nopw init --kdf test
	[[ $stderr == *"no master password"*"SECRETCTL_PASSWORD"*"--password-stdin"* ]]
	[ ! -e "$DB" ]
}

@test "passwords must be 8 to 128 characters" {
	run -1 --separate-stderr env SECRETCTL_PASSWORD=short7c setsid -w "$BIN" init --kdf test
	[[ $stderr == *"8 to 128 characters"* ]]
	long=$(printf 'p%.0s' $(seq 129))
	run -1 --separate-stderr env SECRETCTL_PASSWORD="$long" setsid -w "$BIN" init --kdf test
	[[ $stderr == *"8 to 128 characters"* ]]
	[ ! -e "$DB" ]
	run -0 env SECRETCTL_PASSWORD="${long:1}" setsid -w "$BIN" init --kdf test --allow-weak
}

@test "password length counts characters, not bytes" {
	# 8 two-byte characters: 16 bytes, 8 characters.
	run -0 env SECRETCTL_PASSWORD='éééééééé' setsid -w "$BIN" init --kdf test --allow-weak
	run -0 env SECRETCTL_PASSWORD='éééééééé' setsid -w "$BIN" list
}

@test "--password-stdin reads the first line" {
	run -0 setsid -w "$BIN" init --kdf test --password-stdin <<<"$PW"
	run -0 setsid -w "$BIN" list --password-stdin <<<"$PW"
	run -3 --separate-stderr setsid -w "$BIN" list --password-stdin <<<"wrong password"
	[[ $stderr == *"wrong master password"* ]]
}

@test "--password-stdin with empty stdin fails clearly" {
	init_vault
	run -3 --separate-stderr setsid -w "$BIN" list --password-stdin </dev/null
	[[ $stderr == *"standard input is empty"* ]]
}

@test "--password-stdin wins over SECRETCTL_PASSWORD" {
	init_vault
	run -3 env SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" list --password-stdin <<<"not the password"
	run -0 env SECRETCTL_PASSWORD="not the password" setsid -w "$BIN" list --password-stdin <<<"$PW"
}

@test "a wrong password exits 3 and says so" {
	init_vault
	run -3 --separate-stderr env SECRETCTL_PASSWORD='wrong password!' setsid -w "$BIN" list
	[[ $stderr == *"wrong master password"* ]]
	[[ $stderr != *"wrong password!"* ]]
}

@test "commands on a missing vault exit 2 and point at init" {
	for cmd in "list" "get K" "delete K --yes" "audit list" "audit verify" "password"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr env SECRETCTL_NEW_PASSWORD=newpassword1 \
			SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" $cmd
		[[ $stderr == *"secretctl init"* ]]
	done
	run -2 sc set K <<<"value-long-enough"
}

@test "a symlinked vault directory is refused" {
	mkdir -m 700 "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/link"
	SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/link" run --separate-stderr sc init --kdf test
	[ "$status" -ne 0 ]
	[[ $stderr == *"symlink"* || $stderr == *"symbolic link"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/real/vault.db" ]
	# An existing vault reached through a symlink is refused too.
	SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/real" run -0 sc init --kdf test
	SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/link" run --separate-stderr sc list
	[ "$status" -ne 0 ]
}

@test "a symlinked vault.db is refused" {
	init_vault
	mv "$DB" "$BATS_TEST_TMPDIR/elsewhere.db"
	ln -s "$BATS_TEST_TMPDIR/elsewhere.db" "$DB"
	run --separate-stderr sc list
	[ "$status" -ne 0 ]
	[ "$status" -ne 2 ] || [[ $stderr == *"symlink"* || $stderr == *"symbolic"* ]]
}

@test "a vault readable by others is refused" {
	init_vault
	chmod 0644 "$DB"
	run --separate-stderr sc list
	[ "$status" -ne 0 ]
	chmod 0600 "$DB"
	chmod 0777 "$SECRETCTL_VAULT_DIR"
	run --separate-stderr sc list
	[ "$status" -ne 0 ]
}

@test "init asks twice on a terminal with echo off (pty)" {
	command -v script >/dev/null || skip "script(1) missing"
	{ sleep 0.5; printf '%s\n' "$PW"; sleep 0.3; printf '%s\n' "$PW"; sleep 0.5; } |
		script -qec "$BIN init --kdf test" /dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>&1
	[ -e "$DB" ]
	grep -q "New master password" "$BATS_TEST_TMPDIR/tty.out"
	grep -q "Repeat the password" "$BATS_TEST_TMPDIR/tty.out"
	run -1 grep -q "$PW" "$BATS_TEST_TMPDIR/tty.out"
}

@test "init on a terminal refuses two different passwords (pty)" {
	command -v script >/dev/null || skip "script(1) missing"
	run -1 bash -c "{ sleep 0.5; printf 'first password\n'; sleep 0.3; printf 'other password\n'; sleep 0.5; } |
		script -qec '$BIN init --kdf test' /dev/null"
	[[ $output == *"do not match"* ]]
	[ ! -e "$DB" ]
}

@test "password change via SECRETCTL_NEW_PASSWORD: old refused, new accepted, secrets kept" {
	init_vault
	put K 'value-before-change'
	run -0 env SECRETCTL_PASSWORD="$PW" SECRETCTL_NEW_PASSWORD='a brand new password' \
		setsid -w "$BIN" password --kdf test --allow-weak
	[[ $output == *"master password changed"* ]]
	run -3 sc list
	run -0 --separate-stderr env SECRETCTL_PASSWORD='a brand new password' setsid -w "$BIN" get K
	[ "$output" = "value-before-change" ]
	[[ $stderr == *"1 failed attempt to unlock the vault since it was last unlocked"* ]]
}

@test "password change via --password-stdin: current then new line" {
	init_vault
	run -0 setsid -w "$BIN" password --kdf test --allow-weak --password-stdin < <(printf '%s\n%s\n' "$PW" 'second password 2')
	run -0 setsid -w "$BIN" list --password-stdin <<<'second password 2'
}

@test "password change checks the new password and needs a source for it" {
	init_vault
	run -1 --separate-stderr env SECRETCTL_PASSWORD="$PW" SECRETCTL_NEW_PASSWORD=short \
		setsid -w "$BIN" password --kdf test
	[[ $stderr == *"new password must be 8 to 128"* ]]
	run -3 --separate-stderr sc password --kdf test
	[[ $stderr == *"SECRETCTL_NEW_PASSWORD"* ]]
	run -0 sc list
}
