#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A minimal MCP stdio client for end-to-end tests: starts `secretctl mcp-server` (argv after
# "--"), sends the JSON-RPC lines given on stdin one by one (each request waits for its answer;
# "#sleep N" pauses; "#nowait LINE" sends LINE without waiting), and prints every line the
# server sent, then
# "#exit N" with the server's exit code once stdin is closed. Raw bytes are sent as given, so
# malformed input can be tested too.
#   usage: mcpc.py [--timeout S] -- CMD ARGS...
import json
import select
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    timeout = 20.0
    if args[:1] == ["--timeout"]:
        timeout = float(args[1])
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    buf = b""

    def read_until(pred):
        nonlocal buf
        deadline = time.time() + timeout
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                sys.stdout.write(line.decode("utf-8", "replace") + "\n")
                sys.stdout.flush()
                try:
                    msg = json.loads(line)
                except (ValueError, RecursionError):
                    msg = None
                if pred(msg):
                    return True
            left = deadline - time.time()
            if left <= 0:
                return False
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                return False
            chunk = p.stdout.read1(65536)
            if not chunk:
                return False
            buf += chunk

    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\n")
        if line.startswith(b"#sleep "):
            time.sleep(float(line[7:]))
            continue
        nowait = line.startswith(b"#nowait ")
        if nowait:
            line = line[8:]
        try:
            p.stdin.write(line + b"\n")
            p.stdin.flush()
        except BrokenPipeError:
            break
        try:
            req = json.loads(line)
        except (ValueError, RecursionError):  # malformed, or nested deeper than Python parses
            req = None
        if nowait:
            continue
        if isinstance(req, dict) and "id" in req and "method" in req:
            want = req["id"]
            if not read_until(lambda m: isinstance(m, dict) and m.get("id") == want and
                              ("result" in m or "error" in m)):
                print("#timeout waiting for id %r" % (want,))
        elif req is None or (isinstance(req, dict) and "id" in req):
            # malformed or a bare response: wait briefly for whatever comes back
            read_until(lambda m: True)
    p.stdin.close()
    read_until(lambda m: False)
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "killed"
    print("#exit %s" % rc)


main()
