#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Supervisor benchmarks, ratios within this one run:
#   spawn:      secretctl exec (full standard sandbox) vs bwrap --unshare-all vs bare /bin/true
#   throughput: secretctl exec -- cat 1GiB > /dev/null vs bare cat; vs cat | cat (one pipe hop);
#               and vs the floor of any design that captures a command's output through a pipe:
#               the same cat writing into a pipe whose reader only reads (bench/pipe_drain.c:
#               1 MiB pipe and reads like the supervisor, no scan, no output). The output is
#               wrapped base64 (every line break joined by the sanitizer's decoded view, its
#               densest case) and, as secretctl-log, a generated log (bench/san_gen.c)
set -euo pipefail
BIN=${SECRETCTL_BIN:-build/secretctl}
DRAIN=${PIPE_DRAIN:-${BUILD:-build}/bench/pipe_drain}
GEN=${SAN_GEN:-${BUILD:-build}/bench/san_gen}
[ -x "$DRAIN" ] || { echo "bench/30-supervisor: $DRAIN missing (make bench builds it)"; exit 1; }
[ -x "$GEN" ] || { echo "bench/30-supervisor: $GEN missing (make bench builds it)"; exit 1; }
for t in hyperfine bwrap; do
	command -v "$t" >/dev/null || { echo "bench/30-supervisor: $t missing (make bench installs it)"; exit 1; }
done
# Not under /tmp or /var/tmp: the sandbox gives commands private ones, so `cat FILE` would not
# find the file there.
if [ "$(id -u)" -eq 0 ]; then tmp=$(mktemp -d /var/lib/sctl-bench.XXXXXX); else tmp=$(mktemp -d "$HOME/.sctl-bench.XXXXXX"); fi
trap 'rm -rf "$tmp"' EXIT
export BENCH_TOKEN=bench-token-0123456789
echo "## supervisor: spawn (median and min ms; the VM is shared, so compare within one run)"
hyperfine -N -w 20 -r "${BENCH_RUNS:-200}" --export-json "$tmp/spawn.json" \
	-n secretctl "$BIN exec --from-env BENCH_TOKEN -- /bin/true" \
	-n bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent --new-session /bin/true" \
	-n bare "/bin/true" >/dev/null
jq -r '.results[] | "\(.command)\t\(.median * 1000 * 100 | round / 100) ms\tmin \(.min * 1000 * 100 | round / 100) ms"' "$tmp/spawn.json" | column -t
jq -r '(.results | map({(.command): .median}) | add) as $m |
	(.results | map({(.command): .min}) | add) as $n |
	"ratio secretctl/bwrap: \($m.secretctl / $m.bwrap * 100 | round / 100) (target <= 0.5; min/min \($n.secretctl / $n.bwrap * 100 | round / 100))\n" +
	"ratio secretctl/bare:  \($m.secretctl / $m.bare * 100 | round / 100)"' "$tmp/spawn.json"

echo
echo "## supervisor: spawn one at a time (0.2 s idle before each run, as a person or an agent runs commands)"
# Back-to-back runs hide costs that wait on the kernel (RCU grace periods, e.g. a v1 cgroup
# attach): this is the latency a single command sees.
hyperfine -N -w 3 -r "${BENCH_COLD_RUNS:-30}" --prepare 'sleep 0.2' --export-json "$tmp/cold.json" \
	-n secretctl "$BIN exec --from-env BENCH_TOKEN -- /bin/true" \
	-n bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent --new-session /bin/true" \
	-n bare "/bin/true" >/dev/null
jq -r '.results[] | "\(.command)\t\(.median * 1000 * 100 | round / 100) ms\tmin \(.min * 1000 * 100 | round / 100) ms"' "$tmp/cold.json" | column -t
jq -r '(.results | map({(.command): .median}) | add) as $m |
	"ratio secretctl/bwrap: \($m.secretctl / $m.bwrap * 100 | round / 100)"' "$tmp/cold.json"

echo
echo "## supervisor: throughput, 1 GiB of output (median s)"
# ~1 GiB of text; no trailing `head` (its early exit would fail the pipe under pipefail)
head -c 805306368 /dev/urandom | base64 -w 100 >"$tmp/1g"
"$GEN" log 1037 1000 >"$tmp/log" # the same 1088 MB
hyperfine -w 1 -r "${BENCH_TPUT_RUNS:-5}" --export-json "$tmp/tput.json" \
	-n secretctl "$BIN exec --from-env BENCH_TOKEN -- cat $tmp/1g > /dev/null" \
	-n secretctl-log "$BIN exec --from-env BENCH_TOKEN -- cat $tmp/log > /dev/null" \
	-n cat "cat $tmp/1g > /dev/null" \
	-n cat-pipe "cat $tmp/1g | cat > /dev/null" \
	-n pipe-floor "cat $tmp/1g | $DRAIN" >/dev/null
jq -r '.results[] | "\(.command)\t\(.median * 1000 | round / 1000) s\t\(1088 / .median | round) MB/s"' "$tmp/tput.json" | column -t
jq -r '(.results | map({(.command): .median}) | add) as $m |
	"throughput secretctl/cat:      \($m.cat / $m.secretctl * 100 | round / 100) (target >= 0.8)\n" +
	"throughput secretctl/cat|cat:  \($m["cat-pipe"] / $m.secretctl * 100 | round / 100)\n" +
	"pipe floor / bare cat:         \($m.cat / $m["pipe-floor"] * 100 | round / 100) (the best any pipe-capturing supervisor can reach)\n" +
	"throughput secretctl/floor:    \($m["pipe-floor"] / $m.secretctl * 100 | round / 100)\n" +
	"same, a log:                   \($m["pipe-floor"] / $m["secretctl-log"] * 100 | round / 100)"' "$tmp/tput.json"
