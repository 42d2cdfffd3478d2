#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Try every way a process of the same uid reads another process's memory: PTRACE_ATTACH,
# process_vm_readv, /proc/PID/mem, /proc/PID/environ. Prints one line per way, "read WAY" or
# "refused WAY (errno name)"; exit 0 when every attempt could be made.
#   usage: procpeek.py PID
import ctypes
import errno
import os
import re
import sys

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17


class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def first_region(pid):
    # A writable region to aim at, from the maps file when it can be read (a non-dumpable
    # process's is not: refused too); else any address, as the refusals come before the address
    # is looked at.
    try:
        with open(f"/proc/{pid}/maps") as f:
            for line in f:
                m = re.match(r"([0-9a-f]+)-([0-9a-f]+) rw", line)
                if m:
                    report("/proc/pid/maps", True)
                    return int(m.group(1), 16)
    except OSError as ex:
        report("/proc/pid/maps", False, ex.errno)
    return 0x10000


def report(way, ok, err=0):
    print(f"read {way}" if ok else f"refused {way} ({errno.errorcode.get(err, err)})")


def main():
    pid = int(sys.argv[1])
    addr = first_region(pid)
    # ptrace
    r = libc.ptrace(PTRACE_ATTACH, pid, None, None)
    e = ctypes.get_errno()
    report("ptrace", r == 0, e)
    if r == 0:
        os.waitpid(pid, 0)
        libc.ptrace(PTRACE_DETACH, pid, None, None)
    # process_vm_readv
    buf = ctypes.create_string_buffer(64)
    local = iovec(ctypes.cast(buf, ctypes.c_void_p), 64)
    remote = iovec(addr, 64)
    n = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    report("process_vm_readv", n == 64, ctypes.get_errno())
    # /proc/PID/mem
    try:
        with open(f"/proc/{pid}/mem", "rb") as f:
            f.seek(addr)
            report("/proc/pid/mem", len(f.read(64)) == 64)
    except OSError as ex:
        report("/proc/pid/mem", False, ex.errno)
    # /proc/PID/environ
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            f.read()
            report("/proc/pid/environ", True)
    except OSError as ex:
        report("/proc/pid/environ", False, ex.errno)
    return 0


sys.exit(main())
