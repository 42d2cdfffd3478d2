#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# MCP server benchmarks (`secretctl mcp-server`), ratios within this one run:
#   reads:  secret_list over 10 000 secrets and secret_get_masked, JSON-RPC round trips on the
#           server's stdio after initialize (median, p95); ping and the CLI's `list` beside them
#   run:    secret_run of /bin/true with one key vs `secretctl exec -k KEY -- /bin/true` (a new
#           process each time) on the same vault (a 1-secret one: the target; and the 10 000),
#           vs `exec --from-env` and bare /bin/true, interleaved
#   load:   8 concurrent `sleep 1` runs (wall to the 8th result) and the server's RSS (broker +
#           front + workers, from /proc) idle and at peak
#   output: 100 MiB through secret_run with max_output 1M vs the pipe floor, and the peak RSS;
#           the command generates it (`seq 1 12885411`: 100 MiB of text less 4 bytes): no file
#           has to be visible in the sandbox (its /tmp, /var/tmp, /dev/shm are private), text
#           stays its size in JSON (NULs from /dev/zero would not), and the floors run the same
#           generator
# The vault is a `test`-KDF vault (bench/mcp_vault fills it on tmpfs, then it is copied to disk,
# where the server's audit appends fsync as in use). Unlock cost is excluded from the MCP numbers
# (one unlock at server start); exec pays a test-KDF unlock per run.
# Env: MCP_BENCH_N (secrets, default 10000), MCP_BENCH_QUICK=1 (few iterations),
#      MCP_BENCH_DIR (parent of the temp dir, default /var/tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${SECRETCTL_BIN:-build/secretctl}")
FILL=${MCP_VAULT:-${BUILD:-build}/bench/mcp_vault}
DRAIN=$(realpath "${PIPE_DRAIN:-${BUILD:-build}/bench/pipe_drain}")
N=${MCP_BENCH_N:-10000}
for f in "$BIN" "$FILL" "$DRAIN"; do
	[ -x "$f" ] || { echo "bench/40-mcp: $f missing (make bench builds it)"; exit 1; }
done
command -v python3 >/dev/null || { echo "bench/40-mcp: python3 missing"; exit 1; }

tmp=$(mktemp -d "${MCP_BENCH_DIR:-/var/tmp}/sctl-mcp-bench.XXXXXX")
shm=$(mktemp -d /dev/shm/sctl-mcp-bench.XXXXXX 2>/dev/null || mktemp -d)
cleanup() {
	# The driver stops its servers itself, and a server whose driver died sees EOF on stdin
	# and exits; this is for one still there (the driver records their pids).
	local pid
	if [ -s "$tmp/server.pids" ]; then
		while read -r pid; do
			[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BIN" ] && kill -KILL "$pid" 2>/dev/null
		done <"$tmp/server.pids"
	fi
	rm -rf "$tmp" "$shm"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PW='bench password for the mcp server'
KEY=BENCH_TOKEN
SECRETCTL_PASSWORD=$PW "$FILL" "$shm/vault" "$N" "$KEY=bench-token-value-0123456789abcdef"
SECRETCTL_PASSWORD=$PW "$FILL" "$shm/small" 0 "$KEY=bench-token-value-0123456789abcdef"
cp -a "$shm/vault" "$shm/small" "$tmp/"
rm -rf "${shm:?}/vault" "${shm:?}/small"
for v in vault small; do
	cat >"$tmp/$v/mcp-policy.yaml" <<'EOF'
version: 1
allowed_commands: [/bin/true, sleep, seq]
max_concurrent_runs: 8
sandbox:
  max_output: 1M
EOF
	chmod 600 "$tmp/$v/mcp-policy.yaml"
done
quick=()
[ "${MCP_BENCH_QUICK:-0}" = 1 ] && quick=(--quick)
MCP_BENCH_PASSWORD=$PW python3 bench/mcp_bench.py --bin "$BIN" --vault "$tmp/vault" \
	--small-vault "$tmp/small" --key "$KEY" --drain "$DRAIN" --secrets "$N" "${quick[@]}"
