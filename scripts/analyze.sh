#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make analyze`: GCC's static analyzer (-fanalyzer) over every library and cli source file.
# Each finding is keyed by file, warning and the text of the line it points at (stable when code
# above it moves). Findings listed in scripts/analyze-known.txt are ones we read and judged
# false (each with its reason); any other finding fails, and so does a listed one that no longer
# occurs (the list only shrinks). Prints one line per finding and "analyze: N new, N known".
#   usage: scripts/analyze.sh [FILE.c...]     (default: every library and cli file)
set -uo pipefail
cd "$(dirname "$0")/.."
known=scripts/analyze-known.txt
cc=${CC:-gcc}
cflags=(-std=gnu11 -O2 -I. -D_GNU_SOURCE "-DSECRETCTL_VERSION=\"analyze\"" -fanalyzer
	-fdiagnostics-format=json $(pkg-config --cflags libsodium sqlite3 libcjson yaml-0.1 libseccomp libcap))
all=0
if [ $# -gt 0 ]; then files=("$@"); else
	all=1
	mapfile -t files < <(ls common/*.c sanitizer/*.c supervisor/*.c policy/*.c vault/*.c broker/*.c \
		mcp/*.c cli/*.c 2>/dev/null)
fi
out=$(mktemp -d /tmp/secretctl-analyze.XXXXXX)
trap 'rm -rf "$out"' EXIT
# Two at a time: each compile takes seconds under the analyzer.
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} sh -c \
	'f={}; '"$cc"' "$@" -c -o /dev/null "$f" 2>"'"$out"'/$(echo "$f" | tr / _).json" || true' sh "${cflags[@]}"
python3 - "$out" "$known" "$all" "${files[@]}" <<'PY'
import json, os, sys
out, known_path, every, files = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
known = {}
for ln in open(known_path):
    ln = ln.rstrip("\n")
    if not ln or ln.startswith("#"):
        continue
    key, _, reason = ln.partition("  # ")
    if not reason.strip():
        sys.exit(f"analyze: {known_path}: an entry without a reason: {ln}")
    known[key] = reason
seen, new = set(), []
for name in sorted(os.listdir(out)):
    text = open(os.path.join(out, name)).read().strip()
    if not text:
        continue
    try:
        diags = json.loads(text)
    except ValueError:
        print(text)
        sys.exit("analyze: the compiler failed (output above)")
    for d in diags:
        if d.get("kind") == "error":
            sys.exit(f"analyze: compile error: {d['locations'][0]['caret']} {d['message']}")
        opt = (d.get("option") or "").lstrip("-W")
        if not opt.startswith("analyzer-"):
            continue
        loc = d["locations"][0]["caret"]
        src = open(loc["file"]).read().split("\n")[loc["line"] - 1].strip()
        key = f"{os.path.normpath(loc['file'])}|{opt}|{src}"
        where = f"{loc['file']}:{loc['line']}: {d['message']} [{opt}]"
        if key in known:
            seen.add(key)
            print(f"known {where}")
        else:
            new.append(key)
            print(f"NEW   {where}\n      key: {key}")
checked = {os.path.normpath(f) for f in files}
stale = [k for k in known if (every or k.split("|")[0] in checked) and k not in seen]
for k in stale:
    print(f"STALE {k}  (no longer found: remove it from {known_path})")
print(f"analyze: {len(new)} new, {len(seen)} known, {len(stale)} stale")
sys.exit(1 if new or stale else 0)
PY
