# SPDX-License-Identifier: Apache-2.0
# Shared setup for the end-to-end suites: a fresh vault directory per test, a test-strength KDF,
# and wrappers that run the binary without a controlling terminal (setsid) so a developer's
# terminal never turns a "no TTY" test into a prompt.

PW='correct horse battery staple'

# need_sandbox
# shellcheck source=tests/lib/sandbox.bash
source "$(dirname "${BASH_SOURCE[0]}")/../lib/sandbox.bash"

e2e_setup() {
	BIN=${SECRETCTL_BIN:?SECRETCTL_BIN is set by tests/run-all.sh}
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault"
	DB="$SECRETCTL_VAULT_DIR/vault.db"
	unset SECRETCTL_PASSWORD SECRETCTL_NEW_PASSWORD
}

# secretctl with the master password in the environment and no controlling terminal.
sc() {
	SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" "$@"
}

# secretctl without a password and without a controlling terminal.
sc_nopw() {
	setsid -w "$BIN" "$@"
}

init_vault() {
	SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" init --kdf test >/dev/null 2>&1 ||
		{ echo "init failed" >&2; return 1; }
}

# Store a value (given as an argument) under a key.
put() { # key value [options...]
	local k=$1 v=$2
	shift 2
	printf '%s' "$v" | sc set "$k" "$@" >/dev/null 2>&1 || { echo "set $k failed" >&2; return 1; }
}

# Assert that the exact bytes of file $1 equal printf output of $2.
assert_bytes() { # file printf-format
	local want="$BATS_TEST_TMPDIR/want.$RANDOM"
	# shellcheck disable=SC2059
	printf "$2" >"$want"
	cmp "$1" "$want" || { od -c "$1" | head >&2; return 1; }
}

file_mode() { stat -c %a "$1"; }
