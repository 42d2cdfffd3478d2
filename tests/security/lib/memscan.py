#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Scan a process's memory (as root: /proc/PID/maps + /proc/PID/mem) for byte strings given in
# files. Prints "found NAME" or "absent NAME" per needle; exit 0 when the scan itself worked.
#   usage: memscan.py PID NAME=FILE...
# Regions are read in chunks (overlapping by the longest needle, so nothing is missed at a
# chunk edge). In an AddressSanitizer build the shadow memory (terabytes of poison bytes that
# never hold program data, at the fixed x86-64 range below) is skipped; everything else,
# the ASan heap included, is scanned.
import re
import sys

CHUNK = 8 << 20
ASAN_SHADOW = (0x00007FFF8000, 0x10007FFF8000)  # LowShadow .. end of HighShadow (x86-64)


def regions(pid):
    asan = False
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            if "libasan" in line:
                asan = True
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or m.group(3)[0] != "r":
                continue
            # vsyscall cannot be read through /proc/PID/mem
            if "[vsyscall]" in line:
                continue
            out.append((int(m.group(1), 16), int(m.group(2), 16)))
    for lo, hi in out:
        if asan:
            slo, shi = ASAN_SHADOW
            if lo >= slo and hi <= shi:
                continue
            if lo < shi and hi > slo:
                # partly shadow: keep the parts outside it
                if lo < slo:
                    yield lo, slo
                if hi > shi:
                    yield shi, hi
                continue
        yield lo, hi


def main():
    pid = int(sys.argv[1])
    needles = {}
    for arg in sys.argv[2:]:
        name, path = arg.split("=", 1)
        with open(path, "rb") as f:
            needles[name] = f.read()
    overlap = max((len(b) for b in needles.values()), default=1) - 1
    found = {n: False for n in needles}
    scanned = 0
    with open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for lo, hi in regions(pid):
            pos = lo
            while pos < hi:
                end = min(hi, pos + CHUNK)
                try:
                    mem.seek(pos)
                    data = mem.read(end - pos + (overlap if end < hi else 0))
                except OSError:
                    break
                scanned += len(data)
                for n, b in needles.items():
                    if not found[n] and b in data:
                        found[n] = True
                pos = end
    if scanned == 0:
        print("scanned nothing", file=sys.stderr)
        return 2
    for n in needles:
        print(("found " if found[n] else "absent ") + n)
    print(f"scanned {scanned} bytes", file=sys.stderr)
    return 0


sys.exit(main())
