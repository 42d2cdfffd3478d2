#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A narrated tour of secretctl on a throwaway vault: init, set, list, masked get, metadata,
# audit list and verify. Runs unattended; never prints a real secret value.
# Usage: scripts/demo.sh [path/to/secretctl]
set -euo pipefail

BIN=$(realpath "${1:-build/secretctl}")
[ -x "$BIN" ] || { echo "demo: $BIN is not built (run make)" >&2; exit 1; }

DEMO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/secretctl-demo.XXXXXX")
cleanup() { rm -rf "$DEMO_DIR"; }
trap cleanup EXIT

export SECRETCTL_VAULT_DIR="$DEMO_DIR/vault"
# A demo password in the environment keeps the demo unattended; secretctl wipes it from its own
# environment block once read. Interactive users get a hidden prompt instead.
DEMO_PASSWORD="demo-only $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
# Show a command line as one would type it: quote only the arguments that need it.
show() { # prefix args...
	local out=$1 a
	shift
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=,@+-]+$ ]]; then out+=" $a"; else out+=" '$a'"; fi
	done
	printf '%s\n' "$out"
}
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
run() {
	show '$ secretctl' "$@"
	SECRETCTL_PASSWORD="$DEMO_PASSWORD" "$BIN" "$@"
}
# Like run, with a value piped in; the value itself is not echoed.
run_with_value() { # value args...
	local value=$1
	shift
	show '$ printf ... | secretctl' "$@"
	printf '%s' "$value" | SECRETCTL_PASSWORD="$DEMO_PASSWORD" "$BIN" "$@"
}

section_init() {
	say "Create a vault (Argon2id, interactive profile) in a temporary directory"
	run init --kdf interactive
	stat -c '    %A  %n' "$SECRETCTL_VAULT_DIR" "$SECRETCTL_VAULT_DIR/vault.db"
}

section_set() {
	say "Store a single-value secret from stdin, with tags and an expiry"
	run_with_value "sk-demo-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" \
		set openai/api-key --tags ai,dev --expires 90d --notes "demo key, rotate quarterly"
	say "Store a multi-field secret: the password field is sensitive and comes from stdin"
	run_with_value "pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" \
		set db/prod --field host=db.internal.example --field user=app --field password \
		--sensitive password --binding PGHOST=host --binding PGUSER=user \
		--binding PGPASSWORD=password --tags prod,db --url https://db.internal.example
}

section_list() {
	say "List names (values are never listed)"
	run list
	say "A table, and a filter by tag"
	run list --long
	run list --tag prod
}

section_get() {
	say "Read masked: only the last characters of long values are shown"
	run get openai/api-key --masked
	say "Fields of a multi-field secret: sensitive ones are masked"
	run get db/prod --fields
	say "Metadata only: the value is not even decrypted"
	run get db/prod --show-metadata
}

section_audit() {
	say "Every unlock, read and change is in the HMAC-chained audit log"
	run audit list --limit 8
	say "Verify the whole chain"
	run audit verify
	say "Nothing readable on disk: strings(1) on vault.db"
	printf '$ strings vault.db | grep -ci -e openai -e db.internal -e prod\n'
	strings "$SECRETCTL_VAULT_DIR/vault.db" | grep -ci -e openai -e db.internal -e prod || true
}

main() {
	section_init
	section_set
	section_list
	section_get
	section_audit
	say "Done (the temporary vault is removed on exit)"
}

main "$@"

# ---- sandboxed run ------------------------------------------------------------------------
section_run() {
	say "Run a command with a secret injected, sandboxed, its output redacted"
	run run -k openai/api-key --no-pty -- sh -c 'echo "key is $OPENAI_API_KEY"; printf %s "$OPENAI_API_KEY" | base64'
	say "The command cannot see the vault, has no capabilities, and is under seccomp"
	run run -k openai/api-key --no-pty -- sh -c 'ls -A "$0" | wc -l; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status' "$SECRETCTL_VAULT_DIR"
	say "A timeout kills the whole tree (exit 124); the run is in the audit log"
	run run -k openai/api-key --no-pty -t 1s -- sleep 30 || true
	run audit list --limit 3
}
section_run
