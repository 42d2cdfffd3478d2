#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# The hidden value prompt of `set` on a real pseudo-terminal (tests/e2e/lib/ptydrive.py):
# multi-line pastes are stored whole, with and without bracketed paste, editing keys work,
# input is never dropped silently, and the terminal is left as it was found.

load helpers

setup() {
	e2e_setup
	init_vault
	DRIVE=(python3 "$BATS_TEST_DIRNAME/lib/ptydrive.py")
	PEM="$BATS_TEST_TMPDIR/key.pem"
	# A PEM key as a user copies it: 64-column base64 lines, a final newline.
	{
		echo '-----BEGIN PRIVATE KEY-----'
		head -c 1200 /dev/urandom | base64 -w 64
		echo '-----END PRIVATE KEY-----'
	} >"$PEM"
}

# The value stored under $1 must be the bytes of file $2 without its final newline.
stored_is_file() {
	sc get "$1" >"$BATS_TEST_TMPDIR/got"
	head -c -1 "$2" >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
}

pty_set() { # ptydrive steps... -- set arguments...
	SECRETCTL_PASSWORD="$PW" "${DRIVE[@]}" "$@"
}

@test "a PEM key pasted with bracketed paste is stored whole, never echoed" {
	run -0 pty_set --wait 'Enter ends it): ' --paste "$PEM" --send '\r' -- "$BIN" set tls/key
	[[ $output == *"multi-line paste is kept whole"* ]]
	[[ $output == *"created tls/key"* ]]
	[[ $output == *$'\e[?2004h'* && $output == *$'\e[?2004l'* ]]
	[[ $output != *"BEGIN PRIVATE KEY"* ]]
	stored_is_file tls/key "$PEM"
	[ "$(sc get tls/key | wc -l)" -eq "$(($(wc -l <"$PEM") - 1))" ]
}

@test "a multi-line paste on a terminal without bracketed paste is stored whole" {
	run -0 pty_set --wait 'Enter ends it): ' --paste-raw "$PEM" -- "$BIN" set tls/raw
	[[ $output == *"created tls/raw"* ]]
	stored_is_file tls/raw "$PEM"
}

@test "a paste without a final newline waits for Enter; CR LF line ends become LF" {
	# One write, as a paste arrives; CR LF as a Windows file holds it.
	run -0 pty_set --wait 'Enter ends it): ' --send 'line-one-of-json\r\nline-two-of-json' \
		--sleep 0.5 --send '\r' -- "$BIN" set json/cred
	sc get json/cred >"$BATS_TEST_TMPDIR/got"
	assert_bytes "$BATS_TEST_TMPDIR/got" 'line-one-of-json\nline-two-of-json'
}

@test "a multi-line field value pasted at 'set --field NAME'" {
	run -0 pty_set --wait 'Enter ends it): ' --paste "$PEM" --send '\r' -- \
		"$BIN" set svc --field cert --sensitive cert
	sc get svc --field cert >"$BATS_TEST_TMPDIR/got"
	head -c -1 "$PEM" | cmp - "$BATS_TEST_TMPDIR/got"
}

@test "typed values: Enter ends, Backspace and Ctrl-U edit, Ctrl-D ends, arrow keys are dropped" {
	run -0 pty_set --wait 'ends it): ' --send 'typed-valuX' --send '\x7f' --send 'e\r' -- \
		"$BIN" set typed
	sc get typed >"$BATS_TEST_TMPDIR/got"
	assert_bytes "$BATS_TEST_TMPDIR/got" 'typed-value'
	run -0 pty_set --wait 'ends it): ' --send 'wrong-start\x15right\x1b[Dvalue\x04' -- \
		"$BIN" set typed2
	sc get typed2 >"$BATS_TEST_TMPDIR/got"
	assert_bytes "$BATS_TEST_TMPDIR/got" 'rightvalue'
}

@test "input after Ctrl-D is refused and nothing is stored" {
	run -1 pty_set --wait 'ends it): ' --send 'first-part\x04second-part' -- "$BIN" set eot
	[[ $output == *"input continued after Ctrl-D"* ]]
	[[ $output == *"nothing stored"* ]]
	run -2 sc get eot
}

@test "an empty value at the prompt is refused; a paste over the limit is refused and drained" {
	run -1 pty_set --wait 'ends it): ' --send '\r' -- "$BIN" set empty
	[[ $output == *"the value is empty"* ]]
	big="$BATS_TEST_TMPDIR/big"
	head -c 800000 /dev/urandom | base64 -w 76 >"$big" # > 1 MiB in lines
	run -1 pty_set --wait 'ends it): ' --paste-raw "$big" -- "$BIN" set big
	[[ $output == *"too large"* ]]
	run -2 sc get big
}

@test "Ctrl-C at the prompt ends secretctl and turns bracketed paste off again" {
	run -130 pty_set --wait 'ends it): ' --send 'partial' --send '\x03' -- "$BIN" set intr
	[[ $output == *$'\e[?2004l'* ]]
	run -2 sc get intr
}

@test "lines typed after the password at its one-line prompt are reported, not dropped silently" {
	run -0 env -u SECRETCTL_PASSWORD "${DRIVE[@]}" --wait 'Master password: ' \
		--send "$PW\\rrest-of-a-paste\\r" --wait 'ends it): ' --send 'value-typed-1\r' -- \
		"$BIN" set early
	[[ $output == *"16 bytes typed after the input ended were discarded"* ]]
	[[ $output != *"rest-of-a-paste"* ]]
	sc get early >"$BATS_TEST_TMPDIR/got"
	assert_bytes "$BATS_TEST_TMPDIR/got" 'value-typed-1'
}
