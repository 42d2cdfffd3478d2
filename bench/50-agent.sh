#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Session agent benchmark: the same commands cold (the master password given: every command
# runs the KDF, here the default `moderate` profile, 256 MiB) and warm (`secretctl unlock` once,
# then no password: the agent's child serves each command), side by side, with hyperfine.
# Warm numbers are the whole command as a caller sees it (exec of secretctl, connect, the
# agent's fork, its own vault handle, the audit append on disk), so they are "our own time"
# but for `run`, whose line also shows bare /bin/true in the same sandbox-free measure.
# Target: list, get --masked and run -k K -- /bin/true each <= 10 ms warm.
# Env: AGENT_BENCH_DIR (parent of the temp dir, default /var/tmp: a disk, as in use),
#      AGENT_BENCH_QUICK=1 (few runs).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${SECRETCTL_BIN:-build/secretctl}")
[ -x "$BIN" ] || { echo "bench/50-agent: $BIN missing (make bench builds it)"; exit 1; }
command -v hyperfine >/dev/null || { echo "bench/50-agent: hyperfine missing (make bench installs it)"; exit 1; }
tmp=$(mktemp -d "${AGENT_BENCH_DIR:-/var/tmp}/sctl-agent-bench.XXXXXX")
export SECRETCTL_VAULT_DIR=$tmp/vault
trap 'env -u SECRETCTL_PASSWORD "$BIN" lock >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
PW='bench password for the session agent'
KEY=BENCH_TOKEN
quick=${AGENT_BENCH_QUICK:-0}
cold_runs=$([ "$quick" = 1 ] && echo 3 || echo 10)
warm_runs=$([ "$quick" = 1 ] && echo 20 || echo 200)

printf '%s\n' "$PW" | "$BIN" init --password-stdin >/dev/null 2>&1 # the default KDF: moderate
printf '%s\n%s' "$PW" 'bench-token-value-0123456789abcdef' | "$BIN" set "$KEY" --password-stdin >/dev/null
printf 'version: 1\nallowed_commands: [/bin/true]\n' >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
printf '%s\n' "$PW" | "$BIN" unlock --password-stdin >/dev/null

# median and p95 (ms) of one command line (split as a shell would, run without one)
measure() { # runs command-line
	local json=$tmp/h.json
	hyperfine -N --style none --warmup 3 --runs "$1" --export-json "$json" "$2" >/dev/null 2>&1 ||
		{ echo "bench/50-agent: '$2' failed" >&2; echo "- -"; return; }
	python3 -c 'import json,sys
t=sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
med=t[len(t)//2]*1000; p95=t[min(len(t)-1,int(len(t)*0.95))]*1000
print(f"{med:.1f} {p95:.1f}")' "$json"
}

echo "## session agent (secretctl unlock): warm commands vs the password each time ($(df -T "$tmp" | awk 'NR==2 {print $2}'))"
echo
echo "| command | cold: password, moderate KDF (median) | warm: agent (median, p95) | ratio | <= 10 ms |"
echo "| --- | --- | --- | --- | --- |"
row() { # label args
	local label=$1 args=$2 c w wp ratio ok
	read -r c _ < <(measure "$cold_runs" "env 'SECRETCTL_PASSWORD=$PW' $BIN $args")
	read -r w wp < <(measure "$warm_runs" "$BIN $args")
	ratio=$(python3 -c "print(f'{float(\"$c\")/float(\"$w\"):.0f}x')" 2>/dev/null || echo -)
	ok=$(python3 -c "print('yes' if float('$w') <= 10 else 'NO')" 2>/dev/null || echo -)
	echo "| \`secretctl $label\` | $c ms | $w ms (p95 $wp) | $ratio | $ok |"
}
row "list" "list"
row "get KEY --masked" "get $KEY --masked"
row "run -k KEY -- /bin/true" "run --no-pty -k $KEY -- /bin/true"
read -r t tp < <(measure "$warm_runs" /bin/true)
echo "| \`/bin/true\` alone | | $t ms (p95 $tp) | | |"
echo
echo "Cold pays Argon2id (moderate: 3 passes over 256 MiB) in every command; warm pays none: the"
echo "agent forks a child that unlocks its own handle with the held keys, runs the command and"
echo "appends its audit record (synchronous, on $(df -T "$tmp" | awk 'NR==2 {print $2}'))."
