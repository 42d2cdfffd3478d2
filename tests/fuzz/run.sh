#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replays every saved fuzz corpus file through its target's replay driver (built by
# `make check` as $BUILD/tests/fuzz/replay_<name>), one TAP line per file.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
build=${SECRETCTL_BUILD:-build}
n=0
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=${src#tests/fuzz/fuzz_}
	name=${name%.c}
	bin=$build/tests/fuzz/replay_$name
	for f in tests/fuzz/corpus/"$name"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if [ ! -x "$bin" ]; then
			echo "not ok $n $name/${f##*/} # replay_$name not built"
		elif out=$("$bin" "$f" 2>&1); then
			echo "ok $n $name/${f##*/}"
		else
			echo "not ok $n $name/${f##*/}"
			printf '%s\n' "$out" | tail -5 | sed 's/^/# /'
		fi
	done
done
echo "1..$n"
