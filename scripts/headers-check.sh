#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make headers-check`: every header of the tree compiles on its own (it includes what it uses)
# and twice in a row (it has an include guard), with the project's warnings as errors.
#   usage: scripts/headers-check.sh [HEADER...]    (default: every header git knows)
set -uo pipefail
cd "$(dirname "$0")/.."
cc=${CC:-gcc}
flags=(-std=gnu11 -I. -D_GNU_SOURCE "-DSECRETCTL_VERSION=\"0\"" -Wall -Wextra -Wshadow -Wconversion
	-Wsign-conversion -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings -Werror
	-fsyntax-only $(pkg-config --cflags libsodium sqlite3 libcjson yaml-0.1 libseccomp libcap check))
if [ $# -gt 0 ]; then headers=("$@"); else
	mapfile -t headers < <(git ls-files '*.h' ':!tests/lint/fixtures' 2>/dev/null)
fi
ok=0 bad=0
for h in "${headers[@]}"; do
	if msg=$(printf '#include "%s"\n#include "%s"\n' "$h" "$h" | "$cc" "${flags[@]}" -x c - 2>&1); then
		ok=$((ok + 1))
	else
		bad=$((bad + 1)); echo "headers-check: $h does not compile on its own:"; echo "$msg" | head -5
	fi
done
echo "headers-check: $ok headers compile on their own, $bad do not"
[ "$bad" -eq 0 ]
