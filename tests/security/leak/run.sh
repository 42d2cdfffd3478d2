#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Leak corpus: every tests/security/leak/cases/*.case is one case, run against the built binary
# ($SECRETCTL_BIN); prints TAP. A case file is bash, sourced in a subshell, using:
#   secret NAME 'VALUE'     a secret (VALUE through printf %b); exported as $NAME, redacted with
#                           --from-env NAME
#   input() { ... }         writes the program's output to stdout
#   via='redact pipe pty'   the paths input()'s output takes (default: redact): `secretctl
#                           redact` (split applies), or input() run by `secretctl run --no-pty`
#                           (pipe) or `--pty` (pty: the terminal writes LF as CRLF, and so
#                           does the expected output); each path is checked on its own
#   split=none|every|bytes  how the output reaches `redact`: one write; two writes split at
#                           every offset (one run per offset); one byte per write
#   expect 'TEXT'           exact expected output (printf %b); optional
#   expect_pty 'TEXT'       the same for the pty path when it is not TEXT with LF as CRLF
#   run_case() { ... }      replaces the default pipeline: write the output to "$OUT" (for
#                           run-based cases: `"$SECRETCTL_BIN" run --from-env S -- sh -c ...`)
#   requires() { ... }      return non-zero when a precondition is missing: the case FAILS
#                           with that reason (a leak test that cannot run is not a pass)
# Every case also checks that no secret is readable in the output: not in the raw bytes, and
# not in any view readable.py decodes them into (escapes, entities, base64, hex, ...).
# LEAK_PASSTHROUGH=1 runs the suite against a redactor that redacts nothing (passthrough.sh:
# `redact` is cat, `run` gets --no-sanitize): every case must then fail (tests/security/
# leak-selfcheck runs it so in `make check`).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=${SECRETCTL_BIN:-$here/../../../build/secretctl}
if [ "${LEAK_PASSTHROUGH:-0}" = 1 ]; then
	export LEAK_REAL_BIN=$BIN
	BIN=$here/passthrough.sh
fi
export SECRETCTL_BIN=$BIN
PY=/usr/bin/python3
work=$(mktemp -d /tmp/secretctl-leak.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0

run_one() { # case-file; prints "ok"/"not ok ... reason" lines body on stdout, returns status
	local case=$1
	(
		set -uo pipefail
		cd "$work" || exit 1
		NAMES=()
		secret() { local v; v=$(printf '%b' "$2"; printf x); v=${v%x}; export "$1=$v"; NAMES+=("$1"); }
		expect() { EXPECT=$(printf '%b' "$1"; printf x); EXPECT=${EXPECT%x}; HAVE_EXPECT=1; }
		expect_pty() { EXPECT_PTY=$(printf '%b' "$1"; printf x); EXPECT_PTY=${EXPECT_PTY%x}; }
		split=none via=redact HAVE_EXPECT=0 EXPECT= EXPECT_PTY=
		OUT=$work/out IN=$work/in
		redact_args() { local a=(); for nm in "${NAMES[@]}"; do a+=(--from-env "$nm"); done; printf '%s\n' "${a[@]}"; }
		# shellcheck disable=SC1090
		source "$case"
		if declare -F requires >/dev/null && ! reason=$(requires); then
			echo "precondition missing: $reason"; exit 1
		fi
		mapfile -t args < <(redact_args)
		oracle_done=0
		check() { # what [expected]
			local got want=${2-$EXPECT}
			got=$(cat "$OUT"; printf x); got=${got%x}
			for nm in "${NAMES[@]}"; do
				if [ -n "${!nm}" ] && grep -qF -- "${!nm}" "$OUT"; then
					echo "raw secret $nm in output$1"; return 1
				fi
			done
			# With an exact expected output, one oracle run per path is enough (the split runs
			# must give that same output).
			if [ "$HAVE_EXPECT" = 0 ] || [ "$oracle_done" = 0 ] || [ -n "${2+x}" ]; then
				oracle_done=1
			elif [ "$got" = "$want" ]; then
				return 0
			fi
			if ! msg=$("$PY" "$here/readable.py" "$OUT" "${NAMES[@]}"); then
				echo "$msg$1" | head -3; return 1
			fi
			if [ "$HAVE_EXPECT" = 1 ] && [ "$got" != "$want" ]; then
				echo "output differs$1: $(printf '%q' "${got:0:200}") != $(printf '%q' "${want:0:200}")"
				return 1
			fi
		}
		if declare -F run_case >/dev/null; then
			run_case || { echo "run_case failed ($?)"; exit 1; }
			check "" || exit 1
			exit 0
		fi
		for path in $via; do
			case $path in
			redact) ;;
			pipe | pty)
				mode=--no-pty want=$EXPECT
				if [ "$path" = pty ]; then
					mode=--pty want=${EXPECT//$'\n'/$'\r\n'}
					[ -n "$EXPECT_PTY" ] && want=$EXPECT_PTY
				fi
				"$BIN" run "$mode" -t 60s "${args[@]}" -- bash -c "$(declare -f input); input" \
					>"$OUT" 2>"$OUT.err" </dev/null || { echo "run $mode exit $?: $(head -c 300 "$OUT.err")"; exit 1; }
				check " (run $mode)" "$want" || exit 1
				continue ;;
			*) echo "unknown path '$path'"; exit 1 ;;
			esac
			input >"$IN" || { echo "input() failed"; exit 1; }
			size=$(stat -c %s "$IN")
			case $split in
			none)
				"$BIN" redact "${args[@]}" <"$IN" >"$OUT" || { echo "redact exit $?"; exit 1; }
				check "" || exit 1 ;;
			every)
				for ((k = 1; k < size; k++)); do
					{ head -c "$k" "$IN"; sleep 0.005; tail -c +"$((k + 1))" "$IN"; } |
						"$BIN" redact "${args[@]}" >"$OUT" || { echo "redact exit $? at split $k"; exit 1; }
					check " (split at $k)" || exit 1
				done ;;
			bytes)
				for ((k = 0; k < size; k++)); do
					tail -c +"$((k + 1))" "$IN" | head -c 1; sleep 0.002
				done | "$BIN" redact "${args[@]}" >"$OUT" || { echo "redact exit $?"; exit 1; }
				check " (byte at a time)" || exit 1 ;;
			*) echo "unknown split '$split'"; exit 1 ;;
			esac
		done
	)
}

for case in "$here"/cases/*.case; do
	[ -e "$case" ] || continue
	n=$((n + 1))
	name=${case##*/}
	name=${name%.case}
	if msg=$(run_one "$case" 2>&1); then
		if [[ $msg == SKIP* ]]; then
			echo "ok $n $name # SKIP ${msg#SKIP }"
		else
			echo "ok $n $name"
		fi
	else
		echo "not ok $n $name"
		printf '%s\n' "$msg" | tail -5 | sed 's/^/# /'
	fi
done
echo "1..$n"
