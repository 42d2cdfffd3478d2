#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sanitizer throughput: `secretctl redact` against ripgrep's multi-literal replace and against a
# plain `cat | cat` pipe, on a generated log-like file with secrets sprinkled in (raw, base64,
# hex, JSON). N secrets are registered with every variant for secretctl; ripgrep gets the N raw
# values. Prints a markdown table; ratios compare runs of this invocation only.
# Both pipe cases are two processes on the same data, timed the same way and writing to
# /dev/null: `cat FILE | secretctl redact ... > /dev/null` against `cat FILE | cat > /dev/null`.
# The cat|cat reference is timed again next to each N (best of all its runs), so load from other
# work on the machine hits both sides alike.
# Env: SAN_BENCH_MIB (input size, default 1024), SAN_BENCH_DIR (default /var/tmp/secretctl-bench),
#      SAN_BENCH_NS (default "1 16 100 1000"), SAN_BENCH_REPS (best of, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SECRETCTL_BIN:-$PWD/build/secretctl}
GEN=${SAN_GEN:-$PWD/build/bench/san_gen}
MIB=${SAN_BENCH_MIB:-1024}
DIR=${SAN_BENCH_DIR:-/var/tmp/secretctl-bench}
NS=${SAN_BENCH_NS:-1 16 100 1000}
REPS=${SAN_BENCH_REPS:-3}
[ -x "$GEN" ] || { echo "20-sanitizer: $GEN not built (make bench builds it)"; exit 1; }
command -v rg >/dev/null || { echo "20-sanitizer: ripgrep missing"; exit 1; }
mkdir -p "$DIR"
log=$DIR/log-${MIB}m.txt
# Generated once and reused: the content depends only on the size.
[ -s "$log" ] || { echo "generating $log ..." >&2; "$GEN" log "$MIB" 1000 > "$log.tmp" && mv "$log.tmp" "$log"; }
bytes=$(stat -c %s "$log")
"$GEN" secrets 1000 > "$DIR/secrets.env"
cat "$log" > /dev/null # page cache

best() { # var command...: best wall time (s) of REPS runs into var; max RSS (KiB) into $rss
	local out=$1 t b=999999 r
	shift
	rss=0
	for ((i = 0; i < REPS; i++)); do
		/usr/bin/time -f '%e %M' -o "$DIR/time" "$@" > /dev/null 2>&1
		read -r t r < "$DIR/time"
		b=$(awk -v a="$t" -v b="$b" 'BEGIN{print (a < b) ? a : b}')
		if [ "$r" -gt "$rss" ]; then rss=$r; fi
	done
	printf -v "$out" '%s' "$b"
}
mbs() { awk -v b="$bytes" -v t="$1" 'BEGIN{ if (t <= 0) t = 0.001; printf "%.0f", b / t / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ printf "%.2f", b / a }'; } # time a vs time b: b/a

echo "## Sanitizer: \`secretctl redact\` ($((bytes >> 20)) MiB log, $(nproc) cores)"
echo
echo "| secrets N | distinct patterns | secretctl file→/dev/null | ripgrep \`--passthru -F -r\` | vs rg | secretctl in a pipe | \`cat \| cat\` | vs cat | max RSS |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
rss=0 t_cat=0 t_cat2=0 t_us=0 t_rg=0 t_pipe=0 rss_pipe=0
best t_cat sh -c "cat '$log' | cat"
for n in $NS; do
	head -n "$n" "$DIR/secrets.env" > "$DIR/s$n.env"
	cut -d= -f2 "$DIR/s$n.env" > "$DIR/p$n.txt"
	args=()
	for k in $(cut -d= -f1 "$DIR/s$n.env"); do args+=(--from-env "$k"); done
	set -a
	# shellcheck disable=SC1090
	. "$DIR/s$n.env"
	set +a
	best t_us sh -c '"$@" < "$0"' "$log" "$BIN" redact "${args[@]}"
	rss_us=$rss
	best t_rg rg --passthru -F -f "$DIR/p$n.txt" -r '[REDACTED]' "$log"
	best t_pipe sh -c 'cat "$0" | "$@"' "$log" "$BIN" redact "${args[@]}"
	rss_pipe=$rss
	best t_cat2 sh -c "cat '$log' | cat"
	t_cat=$(awk -v a="$t_cat" -v b="$t_cat2" 'BEGIN{print (a < b) ? a : b}')
	rss=$rss_pipe
	if [ "$rss" -gt "$rss_us" ]; then rss_us=$rss; fi
	printf '| %s | %s | %s MB/s | %s MB/s | %s× | %s MB/s | %s MB/s | %s× | %s MiB |\n' \
		"$n" "$((n * 9))" "$(mbs "$t_us")" "$(mbs "$t_rg")" "$(ratio "$t_us" "$t_rg")" \
		"$(mbs "$t_pipe")" "$(mbs "$t_cat")" "$(ratio "$t_pipe" "$t_cat")" \
		"$(awk -v r="$rss_us" 'BEGIN{printf "%.1f", r / 1024}')"
	for k in $(cut -d= -f1 "$DIR/s$n.env"); do unset "$k"; done
done
echo
echo "Times are wall-clock, best of $REPS; throughput counts input bytes. \"vs\" is how many times faster than the peer."
