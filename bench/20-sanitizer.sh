#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sanitizer throughput: `secretctl redact` against ripgrep's multi-literal replace and against a
# plain `cat | cat` pipe, on a generated log-like file with secrets sprinkled in (raw, base64,
# hex, JSON). N secrets are registered with every form for secretctl (and it decodes escapes and
# terminal sequences in the output as well); ripgrep gets the N raw values. Prints a markdown
# table; ratios compare runs of this invocation only. Then the cost of the largest secret the
# vault holds (1 MiB): building its set, and redacting it printed whole and line by line.
# Both pipe cases are two processes on the same data, timed the same way and writing to
# /dev/null: `cat FILE | secretctl redact ... > /dev/null` against `cat FILE | cat > /dev/null`.
# The cat|cat reference is timed again next to each N and every pipe is compared with its best
# run of the whole invocation, so load from other work on the machine cannot favour secretctl. The CPU time of the pipe's consumer (secretctl, or
# the second cat) per input byte is printed too: unlike the wall-clock ratio it does not depend
# on how the kernel places the two processes on the CPUs (docs/sanitizer.md, "Pipes"). Where the
# kernel puts the two cats on different vCPUs, `cat | cat` slows down several times on a VM
# (a wake-up across vCPUs per pipe buffer); the pipe is therefore also compared with both cats
# pinned to one CPU (`taskset -c 0`), the fastest this two-process pipe runs on this machine,
# and with a consumer that does nothing but read (`bench/pipe_drain`: 1 MiB pipe, 1 MiB reads)
# as the kernel places it, the fastest a consumer reading in one thread can be.
# Env: SAN_BENCH_MIB (input size, default 1024), SAN_BENCH_DIR (default /var/tmp/secretctl-bench),
#      SAN_BENCH_NS (default "1 16 100 1000"), SAN_BENCH_REPS (best of, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SECRETCTL_BIN:-$PWD/build/secretctl}
GEN=${SAN_GEN:-$PWD/build/bench/san_gen}
DRAIN=${PIPE_DRAIN:-$PWD/build/bench/pipe_drain}
SB=${SAN_BENCH:-$PWD/build/bench/san_bench}
MIB=${SAN_BENCH_MIB:-1024}
DIR=${SAN_BENCH_DIR:-/var/tmp/secretctl-bench}
NS=${SAN_BENCH_NS:-1 16 100 1000}
REPS=${SAN_BENCH_REPS:-3}
[ -x "$GEN" ] && [ -x "$SB" ] && [ -x "$DRAIN" ] || { echo "20-sanitizer: $GEN, $SB or $DRAIN not built (make bench builds them)"; exit 1; }
command -v rg >/dev/null || { echo "20-sanitizer: ripgrep missing"; exit 1; }
mkdir -p "$DIR"
log=$DIR/log-${MIB}m.txt
# Generated once and reused: the content depends only on the size.
[ -s "$log" ] || { echo "generating $log ..." >&2; "$GEN" log "$MIB" 1000 > "$log.tmp" && mv "$log.tmp" "$log"; }
bytes=$(stat -c %s "$log")
"$GEN" secrets 1000 > "$DIR/secrets.env"
cat "$log" > /dev/null # page cache

# use_secrets N: the first N secrets into s$N.env (and their values into p$N.txt, for ripgrep),
# the environment, and --from-env arguments in args; drop_secrets N: out of the environment again.
use_secrets() {
	head -n "$1" "$DIR/secrets.env" > "$DIR/s$1.env"
	cut -d= -f2 "$DIR/s$1.env" > "$DIR/p$1.txt"
	args=()
	for k in $(cut -d= -f1 "$DIR/s$1.env"); do args+=(--from-env "$k"); done
	set -a
	# shellcheck disable=SC1090
	. "$DIR/s$1.env"
	set +a
}
drop_secrets() { for k in $(cut -d= -f1 "$DIR/s$1.env"); do unset "$k"; done; }

# best VAR CMD...: best wall time (s) of REPS runs into VAR; max RSS (KiB) into $rss; the best
# consumer CPU (user+sys, s) into $cpu when CMD writes it to $DIR/cpu.
best() {
	local out=$1 t b=999999 r c
	shift
	rss=0 cpu=999999
	for ((i = 0; i < REPS; i++)); do
		rm -f "$DIR/cpu"
		/usr/bin/time -f '%e %M' -o "$DIR/time" "$@" > /dev/null 2>&1
		read -r t r < "$DIR/time"
		b=$(awk -v a="$t" -v b="$b" 'BEGIN{print (a < b) ? a : b}')
		if [ "$r" -gt "$rss" ]; then rss=$r; fi
		if [ -s "$DIR/cpu" ]; then
			c=$(awk '{print $1 + $2}' "$DIR/cpu")
			cpu=$(awk -v a="$c" -v b="$cpu" 'BEGIN{print (a < b) ? a : b}')
		fi
	done
	printf -v "$out" '%s' "$b"
}
mbs() { awk -v b="${2:-$bytes}" -v t="$1" 'BEGIN{ if (t <= 0) t = 0.001; printf "%.0f", b / t / 1e6 }'; }
nsb() { awk -v b="$bytes" -v t="$1" 'BEGIN{ printf "%.2f", t * 1e9 / b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ printf "%.2f", b / a }'; } # time a vs time b: b/a
TIMECPU="/usr/bin/time -f %U\ %S -o $DIR/cpu"

echo "## Sanitizer: \`secretctl redact\` ($((bytes >> 20)) MiB log, $(nproc) cores)"
echo
rss=0 t_us=0 t_rg=0 t_pipe=0 cpu=0 rows=()
best t_cat sh -c "cat '$log' | $TIMECPU cat"
cpu_cat=$cpu
best t_cat1 sh -c "taskset -c 0 cat '$log' | taskset -c 0 cat"
best t_drain sh -c "cat '$log' | '$DRAIN'"
for n in $NS; do
	use_secrets "$n"
	best t_us sh -c '"$@" < "$0"' "$log" "$BIN" redact "${args[@]}"
	rss_us=$rss
	# (exit 1: no match, as in a small log with few secrets)
	best t_rg sh -c 'rg "$@"; [ $? -le 1 ]' rg --passthru -F -f "$DIR/p$n.txt" -r '[REDACTED]' "$log"
	best t_pipe sh -c 'cat "$0" | '"$TIMECPU"' "$@"' "$log" "$BIN" redact "${args[@]}"
	rss_pipe=$rss cpu_us=$cpu
	best t_cat2 sh -c "cat '$log' | $TIMECPU cat"
	t_cat=$(awk -v a="$t_cat" -v b="$t_cat2" 'BEGIN{print (a < b) ? a : b}')
	best t_cat2 sh -c "taskset -c 0 cat '$log' | taskset -c 0 cat"
	t_cat1=$(awk -v a="$t_cat1" -v b="$t_cat2" 'BEGIN{print (a < b) ? a : b}')
	best t_cat2 sh -c "cat '$log' | '$DRAIN'"
	t_drain=$(awk -v a="$t_drain" -v b="$t_cat2" 'BEGIN{print (a < b) ? a : b}')
	cpu_cat=$(awk -v a="$cpu_cat" -v b="$cpu" 'BEGIN{print (a < b) ? a : b}')
	if [ "$rss_pipe" -gt "$rss_us" ]; then rss_us=$rss_pipe; fi
	rows+=("$n $("$SB" patterns "$DIR/secrets.env" "$n") $t_us $t_rg $t_pipe $cpu_us $rss_us")
	drop_secrets "$n"
done
# Every pipe is compared with the best `cat | cat` of the whole invocation (the fastest the
# machine managed), not with the one measured next to it.
echo "| secrets N | patterns | secretctl file→/dev/null | ripgrep \`--passthru -F -r\` | vs rg | secretctl in a pipe | \`cat \| cat\` (best) | vs cat | \`cat \| cat\` on one CPU (best) | vs that | \`cat \| pipe_drain\` (best) | vs that | consumer CPU secretctl / cat | max RSS |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
	read -r n np t_us t_rg t_pipe cpu_us rss_us <<<"$row"
	printf '| %s | %s | %s MB/s | %s MB/s | %s× | %s MB/s | %s MB/s | %s× | %s MB/s | %s× | %s MB/s | %s× | %s / %s ns/B | %s MiB |\n' \
		"$n" "$np" "$(mbs "$t_us")" "$(mbs "$t_rg")" "$(ratio "$t_us" "$t_rg")" \
		"$(mbs "$t_pipe")" "$(mbs "$t_cat")" "$(ratio "$t_pipe" "$t_cat")" \
		"$(mbs "$t_cat1")" "$(ratio "$t_pipe" "$t_cat1")" \
		"$(mbs "$t_drain")" "$(ratio "$t_pipe" "$t_drain")" \
		"$(nsb "$cpu_us")" "$(nsb "$cpu_cat")" "$(awk -v r="$rss_us" 'BEGIN{printf "%.1f", r / 1024}')"
done
echo
echo "Times are wall-clock, best of $REPS; throughput counts input bytes. \"vs\" is how many times faster than the peer."
echo
# Wrapped base64 (random bytes through `base64`, 76 columns): every line break lies inside a run
# and the decoded view joins it (docs/sanitizer.md, rule 4), the densest events ordinary output
# has. N = 16, from a file, against ripgrep on the same file.
b64=$DIR/b64-${MIB}m.txt
[ -s "$b64" ] || { echo "generating $b64 ..." >&2; head -c $((MIB * 786432)) /dev/urandom | base64 -w 76 > "$b64.tmp" && mv "$b64.tmp" "$b64"; }
cat "$b64" > /dev/null
b64_bytes=$(stat -c %s "$b64")
use_secrets 16
best t_b64 sh -c '"$@" < "$0"' "$b64" "$BIN" redact "${args[@]}"
best t_b64rg sh -c 'rg "$@"; [ $? -le 1 ]' rg --passthru -F -f "$DIR/p16.txt" -r '[REDACTED]' "$b64"
drop_secrets 16
echo "Wrapped base64 ($((b64_bytes >> 20)) MiB of \`base64\` output, 76 columns; every line break is joined in the" \
	"decoded view), N = 16, file→/dev/null: secretctl $(mbs "$t_b64" "$b64_bytes") MB/s," \
	"ripgrep $(mbs "$t_b64rg" "$b64_bytes") MB/s ($(ratio "$t_b64" "$t_b64rg")×)."
echo
big=() best_b=999999
for ((i = 0; i < REPS; i++)); do
	read -r -a r < <("$SB" big)
	if awk -v a="${r[0]}" -v b="$best_b" 'BEGIN{exit !(a < b)}'; then best_b=${r[0]}; big=("${r[@]}"); fi
done
echo "1 MiB secret (a PEM bundle; the vault's largest value): set built in ${big[0]} s (best of $REPS)," \
	"peak RSS +$((big[1] / 1024)) MiB, ${big[3]} automaton nodes, ${big[4]} keys over ${big[5]} long forms;" \
	"printed whole and then line by line through a PTY (3 MiB of output) it is redacted in ${big[2]} s" \
	"to ${big[6]} bytes of placeholders."
