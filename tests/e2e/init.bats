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

# Start init with the real (moderate, 256 MiB) KDF in the background (SIGINT not ignored, as it
# would be for a background job) and wait until it is inside it: its memory passes 100 MiB,
# which only Argon2id allocates. Sets INIT_PID.
init_in_kdf() {
	SECRETCTL_PASSWORD="$PW" env --default-signal=INT,HUP,TERM "$BIN" init --kdf moderate \
		</dev/null >/dev/null 2>&1 &
	INIT_PID=$!
	local rss=0
	for _ in $(seq 300); do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$INIT_PID/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt 102400 ] && return 0
		sleep 0.01
	done
	echo "init never reached the KDF" >&2
	return 1
}

@test "an interrupted init (INT, TERM, HUP, kill -9 during the KDF) leaves no vault behind" {
	for sig in INT TERM HUP KILL; do
		rm -rf "$SECRETCTL_VAULT_DIR"
		init_in_kdf
		kill -s "$sig" "$INIT_PID"
		st=0
		wait "$INIT_PID" || st=$?
		# Killed by that very signal, inside the KDF.
		[ "$st" -eq $((128 + $(kill -l "$sig"))) ]
		[ ! -e "$DB" ]
		# Nothing is mistaken for a vault: commands say there is none, init starts clean.
		run -2 --separate-stderr sc list
		[[ $stderr == *"no vault"*"secretctl init"* ]]
		run -0 sc init --kdf test
		run -0 sc list
	done
}

@test "leftovers of an interrupted init are ignored and removed; an empty vault.db is replaced" {
	mkdir -m 700 "$SECRETCTL_VAULT_DIR"
	# A temporary file and journal an interrupted init (or recover) may leave.
	head -c 4096 /dev/urandom >"$SECRETCTL_VAULT_DIR/vault.db.tmp-0123456789ab"
	: >"$SECRETCTL_VAULT_DIR/vault.db.tmp-0123456789ab-journal"
	run -2 --separate-stderr sc list
	[[ $stderr == *"no vault"* ]]
	run -0 sc init --kdf test
	[ -z "$(find "$SECRETCTL_VAULT_DIR" -name 'vault.db.tmp-*')" ]
	# The empty vault.db an older version left when interrupted: no vault, and init replaces it.
	rm -f "$DB"
	: >"$DB"
	chmod 600 "$DB"
	run -2 --separate-stderr sc list
	[[ $stderr == *"is empty (an interrupted"*"secretctl init"* ]]
	run -0 sc init --kdf test
	run -0 sc list
}

@test "init creates missing parent directories 0700 and says so" {
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/a/b/c/vault"
	run -0 --separate-stderr sc init --kdf test
	[[ $output == *"created the missing directory $BATS_TEST_TMPDIR/a and those below it (mode 0700)"* ]]
	for d in a a/b a/b/c a/b/c/vault; do [ "$(file_mode "$BATS_TEST_TMPDIR/$d")" = 700 ]; done
	run -0 sc list
	# Only the vault directory missing: nothing to say beyond the usual.
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/a/vault2"
	run -0 --separate-stderr sc init --kdf test
	[[ $output != *"missing"* ]]
}

@test "a symlink above the vault directory is resolved; the directory itself still may not be one" {
	mkdir -p "$BATS_TEST_TMPDIR/real-home"
	ln -s "$BATS_TEST_TMPDIR/real-home" "$BATS_TEST_TMPDIR/home"
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/home/.secretctl"
	run -0 sc init --kdf test
	[ -f "$BATS_TEST_TMPDIR/real-home/.secretctl/vault.db" ]
	put k 'value-behind-a-symlinked-home'
	run -0 sc get k
	[ "$output" = value-behind-a-symlinked-home ]
	ln -s "$BATS_TEST_TMPDIR/real-home/.secretctl" "$BATS_TEST_TMPDIR/real-home/link"
	SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/home/link" run -6 --separate-stderr sc list
	[[ $stderr == *"symlink"* ]]
}

@test "access problems exit 6, not 3 (the wrong-password code)" {
	init_vault
	chmod 0644 "$DB"
	run -6 --separate-stderr sc list
	[[ $stderr == *"chmod 600"* ]]
	chmod 0600 "$DB"
	chmod 0755 "$SECRETCTL_VAULT_DIR"
	run -6 sc list
	chmod 0700 "$SECRETCTL_VAULT_DIR"
	mv "$DB" "$BATS_TEST_TMPDIR/elsewhere.db"
	ln -s "$BATS_TEST_TMPDIR/elsewhere.db" "$DB"
	run -6 --separate-stderr sc list
	[[ $stderr == *"symlink"* ]]
	rm "$DB"
	mv "$BATS_TEST_TMPDIR/elsewhere.db" "$DB"
	if [ "$(id -u)" -eq 0 ]; then
		chown 4242 "$DB"
		run -6 --separate-stderr sc list
		[[ $stderr == *"owned by uid 4242"* ]]
		chown 0 "$DB"
	fi
	run -3 env SECRETCTL_PASSWORD='wrong password!' setsid -w "$BIN" list
}

@test "a damaged vault header is told from a wrong password: exit 4, not counted" {
	init_vault
	sqlite3 "$DB" "UPDATE header SET wrapped_key = randomblob(48)"
	for pw in "$PW" 'any other password'; do
		run -4 --separate-stderr env SECRETCTL_PASSWORD="$pw" setsid -w "$BIN" list
		[[ $stderr == *"vault header is damaged"*"not a wrong password"* ]]
	done
	[ "$(sqlite3 "$DB" 'SELECT failures FROM unlock_state')" = 0 ]
}

@test "init and password refuse easy passwords (--allow-weak for tests); init warns it cannot be recovered" {
	run -1 --separate-stderr env SECRETCTL_PASSWORD=aaaaaaaa setsid -w "$BIN" init --kdf test
	[[ $stderr == *"too easy to guess"*"bits"* ]]
	[ ! -e "$DB" ]
	run -1 --separate-stderr env SECRETCTL_PASSWORD=password123 setsid -w "$BIN" init --kdf test
	[ ! -e "$DB" ]
	run -0 --separate-stderr sc init --kdf test
	[[ $output == *"cannot be recovered"* ]]
	run -1 --separate-stderr env SECRETCTL_PASSWORD="$PW" SECRETCTL_NEW_PASSWORD=qwertyuiop12 \
		setsid -w "$BIN" password --kdf test
	[[ $stderr == *"too easy to guess"* ]]
	# The current password again is refused too, and both refusals are recorded.
	run -1 --separate-stderr env SECRETCTL_PASSWORD="$PW" SECRETCTL_NEW_PASSWORD="$PW" \
		setsid -w "$BIN" password --kdf test
	[[ $stderr == *"the new password is the current one"* ]]
	run -0 sc list
	run -0 sc audit export
	[ "$(jq -c '[.[] | select(.action == "vault.password") | [.success, .error]]' <<<"$output")" = \
		'[[false,"the new password is too easy to guess"],[false,"the new password is the current one"]]' ]
	run -0 env SECRETCTL_PASSWORD="$PW" SECRETCTL_NEW_PASSWORD=qwertyuiop12 \
		setsid -w "$BIN" password --kdf test --allow-weak
}

@test "the password is normalised (NFC): é as one code point or as e + accent opens the vault" {
	nfd=$(printf 'cre\xcc\x80me bru\xcc\x82le\xcc\x81e, cafe\xcc\x81 noir 42')
	nfc=$(printf 'cr\xc3\xa8me br\xc3\xbbl\xc3\xa9e, caf\xc3\xa9 noir 42')
	run -0 env SECRETCTL_PASSWORD="$nfd" setsid -w "$BIN" init --kdf test
	run -0 env SECRETCTL_PASSWORD="$nfc" setsid -w "$BIN" list
	run -0 env SECRETCTL_PASSWORD="$nfd" setsid -w "$BIN" list
	run -3 env SECRETCTL_PASSWORD='creme brulee, cafe noir 42' setsid -w "$BIN" list
}
