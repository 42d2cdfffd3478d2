#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# What an attacker with the file or the process list sees: no plaintext on disk, no password in
# the environment, no core dumps; guessing is throttled by a persisted cooldown.

load helpers

setup() {
	e2e_setup
	need_sandbox
	init_vault
}

@test "strings on vault.db finds no key name, value, tag, note, url, field or binding" {
	put zqkeyname/zqsub 'zqsecretvalue-0123456789' --tags zqtagone,zqtagtwo \
		--notes 'zqnotetext here' --url https://zqurl.example.com
	run -0 sc set zqmulti --field zqfieldname=zqfieldvalue-0987 --sensitive zqfieldname \
		--binding ZQENVNAME=zqfieldname </dev/null
	sc get zqkeyname/zqsub >/dev/null
	sc list >/dev/null
	sc audit list >/dev/null
	[ -s "$DB" ]
	# Look for each plaintext token whole (and a distinctive part of each): ciphertext is random
	# bytes, and a two-letter probe like "zq" turns up in random data now and then.
	markers=(zqkeyname zqsecretvalue 0123456789 zqtagone zqtagtwo zqnotetext zqurl.example
		zqmulti zqfieldname zqfieldvalue ZQENVNAME)
	run bash -c "strings -n 3 '$DB'; cat '$SECRETCTL_VAULT_DIR'/* | strings -n 3;
		cat '$SECRETCTL_VAULT_DIR'/* | strings -el -n 3"
	[ "$status" -eq 0 ]
	local seen=${output,,}
	for m in "${markers[@]}"; do
		[[ $seen != *"${m,,}"* ]] || { echo "found $m in the vault directory"; false; }
		# Raw bytes too, the journal and temporary files included.
		run -1 grep -railF -- "$m" "$SECRETCTL_VAULT_DIR"
	done
}

@test "SECRETCTL_PASSWORD is scrubbed from the process environment; core dumps are off" {
	fifo="$BATS_TEST_TMPDIR/in"
	mkfifo "$fifo"
	exec 7<>"$fifo"
	SECRETCTL_PASSWORD="$PW" SOME_OTHER=visible "$BIN" set SCRUBBED <"$fifo" >/dev/null 2>&1 7>&- &
	pid=$!
	# Wait until it has unlocked and sits reading the value from the fifo.
	for _ in $(seq 100); do
		[[ "$(cat /proc/$pid/wchan 2>/dev/null)" == *pipe_read ]] && break
		sleep 0.05
	done
	[[ "$(cat /proc/$pid/wchan)" == *pipe_read ]]
	env_now=$(tr '\0' '\n' </proc/$pid/environ)
	[[ $env_now == *"SOME_OTHER=visible"* ]]
	# The bytes of the value are wiped in place; the name may remain with an empty value.
	run -1 grep -E '^SECRETCTL_PASSWORD=.' <<<"$env_now"
	[[ $env_now != *"$PW"* ]]
	grep -a "$PW" /proc/$pid/environ && false
	# soft 0 (no core file); hard at most 1 (the sandbox's commands get exactly 1: no core helper)
	grep -E '^Max core file size +0 +[01] ' /proc/$pid/limits
	printf 'scrubbed-value-1234\n' >&7
	exec 7>&-
	wait "$pid"
	run -0 sc get SCRUBBED
	[ "$output" = scrubbed-value-1234 ]
}

@test "the master password never reaches the audit log or error messages" {
	run -3 --separate-stderr env SECRETCTL_PASSWORD='guess-password-9' setsid -w "$BIN" list
	[[ $stderr != *"guess-password-9"* ]]
	run -0 sc audit export
	[[ $output != *"guess-password-9"* ]]
	[[ $output != *"$PW"* ]]
	run -1 --separate-stderr sc set X --binary --notes "$(head -c 20000 /dev/zero | tr '\0' n)" <<<"value-in-error-path"
	[[ $stderr != *"value-in-error-path"* ]]
}

@test "cooldown: after 5 wrong passwords the right one is refused too (exit 3)" {
	for i in 1 2 3 4 5; do
		run -3 --separate-stderr env SECRETCTL_PASSWORD="wrong password $i" setsid -w "$BIN" list
		[[ $stderr == *"wrong master password"* ]]
	done
	run -3 --separate-stderr sc list
	[[ $stderr == *"cooldown"*"try again in"*"seconds"* ]]
	run -3 --separate-stderr sc get anything
	[[ $stderr == *"cooldown"* ]]
	# Let the cooldown elapse by ageing the last failure; the failures are then audited, the
	# two attempts refused during the cooldown too (not counted toward it).
	sqlite3 "$DB" "UPDATE unlock_state SET last_failure = last_failure - 3600"
	run -0 --separate-stderr sc list
	[[ $stderr == *"7 failed attempts to unlock the vault since it was last unlocked, the last at "* ]]
	run -0 --separate-stderr sc audit export
	[ "$(jq '[.[] | select(.action == "vault.unlock_failed" and .error == "wrong password")] | length' <<<"$output")" = 5 ]
	[ "$(jq '[.[] | select(.action == "vault.unlock_failed" and .error == "refused: cooldown")] | length' <<<"$output")" = 2 ]
	[ "$(jq '[.[] | select(.action == "vault.unlock_failed") | .seq | numbers] | length' <<<"$output")" = 7 ]
	run -0 sc audit verify
}

@test "a value typed on the command line as --field NAME=VALUE is wiped from argv" {
	fifo="$BATS_TEST_TMPDIR/pw"
	mkfifo "$fifo"
	exec 7<>"$fifo"
	"$BIN" set ARGV --field token=argv-secret-value-77 --password-stdin <"$fifo" >/dev/null 2>&1 7>&- &
	pid=$!
	for _ in $(seq 100); do
		[[ "$(cat /proc/$pid/wchan 2>/dev/null)" == *pipe_read ]] && break
		sleep 0.05
	done
	run cat /proc/$pid/cmdline
	printf '%s\n' "$PW" >&7
	exec 7>&-
	wait "$pid"
	[[ $output == *"token="* ]]
	[[ $output != *"argv-secret-value-77"* ]]
	run -0 sc get ARGV --field token
	[ "$output" = argv-secret-value-77 ]
}
