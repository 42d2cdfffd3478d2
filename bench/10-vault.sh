#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Vault benchmark: unlock time per KDF profile (Argon2id cost dominates) and set/get/list at
# scale. list decrypts metas only; "get all" decrypts every value, for comparison.
# Env: VAULT_BENCH_N (secrets, default 10000), VAULT_BENCH_SENSITIVE=1 adds the 1 GiB profile.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BUILD:-build}/bench/vault_bench
[ -x "$bin" ] || { echo "10-vault: $bin not built (make bench)"; exit 1; }
n=${VAULT_BENCH_N:-10000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vault-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "## vault (SQLite rollback journal, synchronous=FULL, on $(df -T "$tmp" | awk 'NR==2 {print $2}'))"
echo
echo "| operation | n | time | rate |"
echo "| --- | --- | --- | --- |"
profiles="test:5 interactive:3 moderate:2"
[ "${VAULT_BENCH_SENSITIVE:-0}" = 1 ] && profiles+=" sensitive:1"
for p in $profiles; do
	"$bin" unlock "$tmp/unlock-${p%%:*}" "${p%%:*}" "${p##*:}"
done
"$bin" ops "$tmp/ops" "$n"
