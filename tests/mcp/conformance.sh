#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run the official MCP conformance suite's server scenarios against a stdio MCP server, through
# tests/mcp/bridge.mjs (the suite speaks Streamable HTTP only). Ends with "N passed, N failed"
# (checks), exit 0 only when the suite passed every run.
# Usage: tests/mcp/conformance.sh [options] -- SERVER_COMMAND [ARG...]
#   --requirements REV     run what revision REV requires (2025-11-25, 2026-07-28); repeatable
#   --scenario NAME        run one scenario (at the suite's default wire); repeatable
#   --spec-version V       with --scenario: the wire to run it at (e.g. 2026-07-28)
#   --expected-failures F  the suite's baseline file (scenario or scenario:check-id entries)
#   --out DIR              keep results (checks.json per scenario, bridge log) in DIR
# Without --requirements or --scenario: both revisions' requirement sets. The server process
# inherits this script's environment (pass SECRETCTL_* here).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node=$here/node
reqs=() scenarios=() extra=() out=""
while [ $# -gt 0 ]; do
	case $1 in
	--requirements) reqs+=("$2"); shift 2 ;;
	--scenario) scenarios+=("$2"); shift 2 ;;
	--spec-version) extra+=(--spec-version "$2"); shift 2 ;;
	--expected-failures) extra+=(--expected-failures "$(realpath "$2")"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "conformance.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: conformance.sh [options] -- SERVER_COMMAND [ARG...]" >&2; exit 2; }
"$node" --version >/dev/null || exit 1 # says "run make deps" itself
[ ${#reqs[@]} -gt 0 ] || [ ${#scenarios[@]} -gt 0 ] || reqs=(2025-11-25 2026-07-28)
if [ -z "$out" ]; then out=$(mktemp -d /tmp/mcp-conformance.XXXXXX); else mkdir -p "$out"; fi
out=$(realpath "$out")

"$node" "$here/bridge.mjs" --port-file "$out/bridge.port" --log "$out/bridge.jsonl" \
	--stderr "$out/server.stderr" -- "$@" >"$out/bridge.out" 2>&1 &
bridge=$!
trap 'kill $bridge 2>/dev/null; wait $bridge 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$out/bridge.port" ] && break; sleep 0.05; done
[ -s "$out/bridge.port" ] || { echo "conformance.sh: bridge did not start:" >&2; cat "$out/bridge.out" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$out/bridge.port")/mcp"

rc=0
suite() { # label, conformance args...
	local label=$1 r
	shift
	echo "=== $label"
	(cd "$out" && "$node" "$here/node_modules/@modelcontextprotocol/conformance/dist/index.js" \
		server --url "$url" -o "$out/results" "$@") >"$out/$label.txt" 2>&1
	r=$?
	sed -n '/=== SUMMARY ===/,$p' "$out/$label.txt" | grep -v '^=== SUMMARY' | sed 's/^/  /'
	[ $r -eq 0 ] || { echo "  (exit $r; full output in $out/$label.txt)"; rc=1; }
}
for r in "${reqs[@]}"; do suite "requirements-$r" --requirements "$r" "${extra[@]}"; done
for s in "${scenarios[@]}"; do suite "scenario-$s" --scenario "$s" "${extra[@]}"; done

# One line over every check of every run (checks.json per scenario).
read -r passed failed < <(python3 - "$out/results" <<'EOF'
import json, pathlib, sys
p = f = 0
for c in pathlib.Path(sys.argv[1]).glob('*/checks.json'):
    for chk in json.loads(c.read_text()):
        if chk.get('status') == 'SUCCESS': p += 1
        elif chk.get('status') == 'FAILURE': f += 1
print(p, f)
EOF
)
echo "results in $out"
echo "${passed:-0} passed, ${failed:-0} failed"
exit $rc
