#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Leak corpus: every tests/security/leak/cases/*.case is one case, run against the built binary
# ($SECRETCTL_BIN) through `secretctl redact`; prints TAP. A case file is bash, sourced in a
# subshell, using:
#   secret NAME 'VALUE'     a secret (VALUE through printf %b); exported as $NAME, redacted with
#                           --from-env NAME
#   input() { ... }         writes the program's output to stdout
#   split=none|every|bytes  how the output reaches secretctl: one write; two writes split at
#                           every offset (one run per offset); one byte per write
#   expect 'TEXT'           exact expected output (printf %b); optional
#   run_case() { ... }      replaces the default pipeline: write the output to "$OUT" (for
#                           run-based cases: `"$SECRETCTL_BIN" run --from-env S -- sh -c ...`)
#   requires() { ... }      return non-zero when a precondition is missing: the case FAILS
#                           with that reason (a leak test that cannot run is not a pass)
# Every case also checks that no secret's raw value appears in the output.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=${SECRETCTL_BIN:-$here/../../../build/secretctl}
export SECRETCTL_BIN=$BIN
work=$(mktemp -d /tmp/secretctl-leak.XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0

run_one() { # case-file; prints "ok"/"not ok ... reason" lines body on stdout, returns status
	local case=$1
	(
		set -uo pipefail
		NAMES=()
		secret() { local v; v=$(printf '%b' "$2"; printf x); v=${v%x}; export "$1=$v"; NAMES+=("$1"); }
		expect() { EXPECT=$(printf '%b' "$1"; printf x); EXPECT=${EXPECT%x}; HAVE_EXPECT=1; }
		split=none HAVE_EXPECT=0 EXPECT=
		OUT=$work/out IN=$work/in
		redact_args() { local a=(); for nm in "${NAMES[@]}"; do a+=(--from-env "$nm"); done; printf '%s\n' "${a[@]}"; }
		# shellcheck disable=SC1090
		source "$case"
		if declare -F requires >/dev/null && ! reason=$(requires); then
			echo "precondition missing: $reason"; exit 1
		fi
		mapfile -t args < <(redact_args)
		check() {
			local got; got=$(cat "$OUT"; printf x); got=${got%x}
			for nm in "${NAMES[@]}"; do
				if [ -n "${!nm}" ] && grep -qF -- "${!nm}" "$OUT"; then
					echo "raw secret $nm in output$1"; return 1
				fi
			done
			if [ "$HAVE_EXPECT" = 1 ] && [ "$got" != "$EXPECT" ]; then
				echo "output differs$1: $(printf '%q' "${got:0:200}") != $(printf '%q' "${EXPECT:0:200}")"
				return 1
			fi
		}
		if declare -F run_case >/dev/null; then
			run_case || { echo "run_case failed ($?)"; exit 1; }
			check "" || exit 1
			exit 0
		fi
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
