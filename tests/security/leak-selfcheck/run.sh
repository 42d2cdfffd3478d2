#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Tests must be able to fail: the leak suite (tests/security/leak) run against a redactor that
# redacts nothing (LEAK_PASSTHROUGH=1: `redact` is cat, `run` gets --no-sanitize) must fail
# every case. Prints TAP: one line per leak case, ok when the case failed as it should; a case
# that passes without redaction is "not ok" (it cannot catch the leak it is about).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(LEAK_PASSTHROUGH=1 "$here/../leak/run.sh" 2>&1)
n=0 cases=0
while IFS= read -r line; do
	if [[ $line =~ ^(not\ )?ok\ [0-9]+\ ([^ ]+) ]]; then
		n=$((n + 1))
		if [ -n "${BASH_REMATCH[1]}" ]; then
			echo "ok $n ${BASH_REMATCH[2]} fails without redaction"
		else
			echo "not ok $n ${BASH_REMATCH[2]} passes with a pass-through redactor"
		fi
	elif [[ $line =~ ^1\.\.([0-9]+) ]]; then
		cases=${BASH_REMATCH[1]}
	fi
done <<<"$out"
if [ "$cases" -ne "$n" ] || [ "$n" -eq 0 ]; then
	n=$((n + 1))
	echo "not ok $n the leak suite reported $cases cases, $((n - 1)) results"
fi
echo "1..$n"
