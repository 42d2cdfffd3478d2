#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# SPDX-License-Identifier: Apache-2.0
# `secretctl doctor` looks at the vault too: path, modes and owner, KDF profile, without a
# password; a test-profile vault is warned about, a vault every command would refuse fails it.

load helpers

setup() { e2e_setup; }

# doctor's exit status also depends on the sandbox; these tests need the standard profile.
need_standard() {
	"$BIN" doctor 2>/dev/null | grep -q '^  standard  *OK' || skip "standard profile unavailable here"
}

@test "doctor without a vault says where it would be" {
	need_standard
	run -0 --separate-stderr "$BIN" doctor
	[[ $output == *$'\nvault:\n  none at '"$SECRETCTL_VAULT_DIR (create one with 'secretctl init')"* ]]
}

@test "doctor shows the vault's path, modes, owner and KDF profile; warns about the test profile" {
	need_standard
	init_vault
	me=$(id -un)
	run -0 --separate-stderr env -u SECRETCTL_PASSWORD "$BIN" doctor
	[[ $output == *"  directory  $SECRETCTL_VAULT_DIR  mode 0700, owner $me (uid $(id -u)): ok"* ]]
	[[ $output == *"  file       $DB  mode 0600, owner $me (uid $(id -u)): ok"* ]]
	[[ $output == *"  KDF        Argon2id, test profile (1 pass, 8 MiB)"* ]]
	[[ $output == *"WARNING: this vault uses the TEST profile"* ]]
	[[ $stderr == *"insecure test KDF profile"* ]]
}

@test "doctor names a real profile without warning" {
	need_standard
	SECRETCTL_PASSWORD="$PW" setsid -w "$BIN" init --kdf interactive >/dev/null 2>&1
	run -0 --separate-stderr "$BIN" doctor
	[[ $output == *"  KDF        Argon2id, interactive profile (2 passes, 64 MiB)"* ]]
	[[ $output != *WARNING:*TEST* ]]
	[ -z "$stderr" ]
}

@test "doctor fails on a vault the other commands would refuse, and says why" {
	need_standard
	init_vault
	chmod 0750 "$SECRETCTL_VAULT_DIR"
	run -1 --separate-stderr "$BIN" doctor
	[[ $output == *"  directory  $SECRETCTL_VAULT_DIR  mode 0750"*": group/others have access: refused"* ]]
	[[ $output == *"  PROBLEM: refusing vault directory"*"chmod 700"* ]]
	chmod 0700 "$SECRETCTL_VAULT_DIR"
	chmod 0644 "$DB"
	run -1 --separate-stderr "$BIN" doctor
	[[ $output == *"  file       $DB  mode 0644"*"refused"* ]]
}
