#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Scan a process's memory (as root: /proc/PID/maps + /proc/PID/mem) for byte strings given in
# files. Prints "found NAME" or "absent NAME" per needle; exit 0 when the scan itself worked.
#   usage: memscan.py PID NAME=FILE...
import re
import sys


def regions(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or m.group(3)[0] != "r":
                continue
            # vsyscall cannot be read through /proc/PID/mem
            if "[vsyscall]" in line:
                continue
            yield int(m.group(1), 16), int(m.group(2), 16)


def main():
    pid = int(sys.argv[1])
    needles = {}
    for arg in sys.argv[2:]:
        name, path = arg.split("=", 1)
        with open(path, "rb") as f:
            needles[name] = f.read()
    found = {n: False for n in needles}
    scanned = 0
    with open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for lo, hi in regions(pid):
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            scanned += len(data)
            for n, b in needles.items():
                if not found[n] and b in data:
                    found[n] = True
    if scanned == 0:
        print("scanned nothing", file=sys.stderr)
        return 2
    for n in needles:
        print(("found " if found[n] else "absent ") + n)
    return 0


sys.exit(main())
