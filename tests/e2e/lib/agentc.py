#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A client of the session agent written from docs/agent.md, not from secretctl's code: what any
# process of the user can do with the socket (the agent scope is enforced by the agent, never by
# secretctl's own client). It connects, prints the agent's HELLO, sends one request and prints
# what comes back; the command's output goes to our stdout/stderr as the agent writes it there.
#   agentc.py SOCKET hello                 print the HELLO fields as JSON
#   agentc.py SOCKET exec ARGV...          run a command line; exit with its exit code
#   agentc.py SOCKET exec-proof ARGV...    the same with a made-up proof (must be refused)
#   agentc.py SOCKET lock                  ask it to lock
#   agentc.py SOCKET garbage               send a malformed request (must be refused)
# Exit 100 + a message on stderr when the agent refuses the request or the connection.
import json
import os
import socket
import struct
import sys

MAGIC = 0x31414353
HELLO, REFUSED, EXEC, MCP, LOCK, SIGNAL, EXIT = 1, 2, 3, 4, 5, 6, 7
BODY = 12
STR, INT, STRV = 1, 2, 3
T_PID, T_SCOPE, T_VAULT, T_NONCE, T_REASON, T_PROOF, T_STATUS, T_ARGV, T_ENV = 1, 2, 11, 16, 17, 18, 21, 22, 23
NAMES = {1: "pid", 2: "scope", 3: "started", 4: "expires", 5: "full_until", 6: "idle_s",
         7: "idle_at", 8: "serving", 9: "pending", 10: "grants", 11: "vault", 12: "socket",
         13: "policy", 14: "policy_loaded", 15: "policy_changed", 16: "nonce", 17: "reason",
         24: "version"}


def field(tag, kind, data):
    return struct.pack("<BBHI", tag, kind, 0, len(data)) + data


def message(mtype, fields):
    return struct.pack("<IHH", MAGIC, mtype, len(fields)) + b"".join(fields)


def strv(items):
    out = struct.pack("<I", len(items))
    for it in items:
        b = it.encode()
        out += struct.pack("<I", len(b)) + b
    return out


def decode(data):
    magic, mtype, n = struct.unpack_from("<IHH", data, 0)
    if magic != MAGIC:
        raise ValueError("bad magic")
    off, fields = 8, {}
    for _ in range(n):
        tag, kind, _pad, ln = struct.unpack_from("<BBHI", data, off)
        off += 8
        raw = data[off:off + ln]
        off += ln
        fields[tag] = struct.unpack("<q", raw)[0] if kind == INT else raw
    return mtype, fields


def fail(msg):
    print("agentc: " + msg, file=sys.stderr)
    sys.exit(100)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    mtype, f = decode(s.recv(65536))
    if mtype == REFUSED:
        fail("refused: " + f.get(T_REASON, b"").decode())
    if mtype != HELLO:
        fail("no hello")
    return s, f


def body_fd(argv):
    fd = os.memfd_create("agentc", os.MFD_ALLOW_SEALING | os.MFD_CLOEXEC)
    env = [f"{k}={v}" for k, v in os.environ.items()]
    os.write(fd, message(BODY, [field(T_ARGV, STRV, strv(argv)), field(T_ENV, STRV, strv(env))]))
    import fcntl
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    return fd


def run_exec(s, argv, proof):
    fds = [0, 1, 2, os.open(".", os.O_PATH | os.O_DIRECTORY), body_fd(argv)]
    fields = [field(T_PROOF, STR, os.urandom(32))] if proof else []
    socket.send_fds(s, [message(EXEC, fields)], fds)
    s.settimeout(None)
    while True:
        data = s.recv(65536)
        if not data:
            fail("the agent closed the connection")
        mtype, f = decode(data)
        if mtype == REFUSED:
            fail("refused: " + f.get(T_REASON, b"").decode())
        if mtype == EXIT:
            st = f[T_STATUS]
            sys.exit(os.waitstatus_to_exitcode(st) if st >= 0 else 125)


def main():
    path, what, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    s, hello = connect(path)
    if what == "hello":
        print(json.dumps({NAMES.get(k, str(k)): (v if isinstance(v, int) else v.hex() if k == T_NONCE
                                                 else v.decode(errors="replace"))
                          for k, v in hello.items()}))
    elif what in ("exec", "exec-proof"):
        run_exec(s, rest, what == "exec-proof")
    elif what == "lock":
        s.send(message(LOCK, []))
        s.recv(65536)
    elif what == "garbage":
        s.send(b"SCA1\x03\x00\x05\x00not a message")
        mtype, f = decode(s.recv(65536))
        if mtype == REFUSED:
            fail("refused: " + f.get(T_REASON, b"").decode())
    else:
        fail("unknown action " + what)


if __name__ == "__main__":
    main()
