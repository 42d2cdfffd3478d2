#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Backup and restore of a 10 000-secret vault through the CLI (`secretctl backup -o`, `restore
# --verify-only`, `restore` into an empty directory, `restore --on-conflict overwrite` merging
# all of them into a vault that holds them), each including its unlock (the vault uses
# the `test` KDF, so the Argon2id cost is out of the numbers), against the floor of a plain
# unencrypted copy by SQLite's own CLI (`sqlite3 vault.db .backup`), on disk (/var/tmp).
# Env: BACKUP_BENCH_N (secrets, default 10000), BACKUP_BENCH_ROUNDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${SECRETCTL_BIN:-build/secretctl}")
FILL=${MCP_VAULT:-${BUILD:-build}/bench/mcp_vault}
N=${BACKUP_BENCH_N:-10000}
ROUNDS=${BACKUP_BENCH_ROUNDS:-5}
for f in "$BIN" "$FILL"; do
	[ -x "$f" ] || { echo "bench/15-backup: $f missing (make bench builds it)"; exit 1; }
done
tmp=$(mktemp -d "${BACKUP_BENCH_DIR:-/var/tmp}/sctl-backup-bench.XXXXXX")
shm=$(mktemp -d /dev/shm/sctl-backup-bench.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp" "$shm"' EXIT
export SECRETCTL_PASSWORD='benchmark password 1'
"$FILL" "$shm/v" "$N"
mkdir -m 700 "$tmp/v"
cp "$shm/v/vault.db" "$tmp/v/vault.db"
export SECRETCTL_VAULT_DIR=$tmp/v

# median of ROUNDS runs of "$@" in ms (each run after `prep`, untimed)
median_ms() {
	local prep=$1 i t0 t1
	shift
	local times=()
	for ((i = 0; i < ROUNDS; i++)); do
		eval "$prep"
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "bench/15-backup: failed: $*" >&2; exit 1; }
		t1=$(date +%s%N)
		times+=($(((t1 - t0) / 1000000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p"
}

db_kb=$(($(stat -c %s "$tmp/v/vault.db") / 1024))
echo "## backup and restore ($N secrets, vault.db ${db_kb} KiB, median of $ROUNDS, on $(df -T "$tmp" | awk 'NR==2 {print $2}'))"
echo
echo "| operation | time | vs sqlite3 .backup |"
echo "| --- | --- | --- |"
floor=$(median_ms 'rm -f "$tmp/plain.db"' sqlite3 "$tmp/v/vault.db" ".backup '$tmp/plain.db'")
b=$(median_ms 'rm -f "$tmp/b.bak"' "$BIN" backup -o "$tmp/b.bak")
ba=$(median_ms 'rm -f "$tmp/ba.bak"' "$BIN" backup --with-audit -o "$tmp/ba.bak")
vo=$(median_ms ':' "$BIN" restore --verify-only "$tmp/b.bak")
rs=$(median_ms 'rm -rf "$tmp/r"' env SECRETCTL_VAULT_DIR="$tmp/r" "$BIN" restore "$tmp/b.bak")
# the merge: every secret of the backup overwrites its twin (history saved), one transaction;
# each round starts from the same copy of the vault
mkdir -m 700 "$tmp/m"
mg=$(median_ms 'cp "$tmp/v/vault.db" "$tmp/m/vault.db"' env SECRETCTL_VAULT_DIR="$tmp/m" \
	"$BIN" restore --on-conflict overwrite "$tmp/b.bak")
ratio() { awk -v a="$1" -v b="$floor" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }'; }
echo "| sqlite3 .backup (plain copy, the floor) | ${floor} ms | 1.0x |"
echo "| secretctl backup -o (no audit log) | ${b} ms | $(ratio "$b") |"
echo "| secretctl backup --with-audit -o | ${ba} ms | $(ratio "$ba") |"
echo "| secretctl restore --verify-only | ${vo} ms | $(ratio "$vo") |"
echo "| secretctl restore (into an empty dir) | ${rs} ms | $(ratio "$rs") |"
echo "| secretctl restore --on-conflict overwrite (merge into a vault holding them) | ${mg} ms | $(ratio "$mg") |"
echo
echo "backup file: $(($(stat -c %s "$tmp/b.bak") / 1024)) KiB (no log), $(($(stat -c %s "$tmp/ba.bak") / 1024)) KiB (with the log)"
