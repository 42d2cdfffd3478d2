#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive a command on a new pseudo-terminal as a person at a terminal would.

usage: ptydrive.py [STEP...] -- COMMAND [ARGS...]

Steps, in order (the command is the session leader of the pty, which is its controlling
terminal, so it opens /dev/tty as it would in a terminal window):
  --wait TEXT        wait until TEXT has appeared in the output since the last --wait
  --send TEXT        type TEXT (Python escapes: \\r \\n \\x04 \\x1b ...) in one write
  --paste FILE       paste FILE as a terminal in bracketed-paste mode does: ESC [200~, the
                     bytes with each LF sent as CR, ESC [201~, all in one write
  --paste-raw FILE   the same without the markers (a terminal without bracketed paste)
  --sleep SECONDS
Prints everything the command wrote to the terminal on stdout and exits with its status
(128+N for signal N); 99 when a --wait times out (10 s) or the command does not end (20 s).
"""
import os
import pty
import select
import sys
import time

WAIT_S = 10
END_S = 20


def read_some(fd, out, timeout):
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the slave side is closed
        return False
    if not data:
        return False
    out.extend(data)
    return True


def wait_for(fd, out, start, text):
    deadline = time.monotonic() + WAIT_S
    while text not in out[start:]:
        if time.monotonic() > deadline or not read_some(fd, out, 0.05):
            sys.stdout.buffer.write(bytes(out))
            sys.stderr.write("ptydrive: timed out waiting for %r\n" % text)
            sys.exit(99)
    return out.index(text, start) + len(text)


def write_all(fd, data, out):
    """Write while reading the output, so that neither side blocks the other; stop when the
    command has closed the terminal."""
    deadline = time.monotonic() + WAIT_S
    while data and time.monotonic() < deadline:
        r, w, _ = select.select([fd], [fd], [], 0.05)
        if r and not read_some(fd, out, 0):
            return
        if w:
            try:
                data = data[os.write(fd, data[:4096]):]
            except OSError:
                return


def paste_bytes(path, marked):
    data = open(path, "rb").read().replace(b"\n", b"\r")
    return b"\x1b[200~" + data + b"\x1b[201~" if marked else data


def main(argv):
    if "--" not in argv:
        sys.exit(__doc__)
    cut = argv.index("--")
    steps, cmd = argv[:cut], argv[cut + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = bytearray()
    mark = 0
    i = 0
    while i < len(steps):
        op, arg = steps[i], steps[i + 1]
        i += 2
        if op == "--wait":
            mark = wait_for(fd, out, mark, arg.encode())
        elif op == "--send":
            write_all(fd, arg.encode().decode("unicode_escape").encode("latin-1"), out)
        elif op in ("--paste", "--paste-raw"):
            write_all(fd, paste_bytes(arg, op == "--paste"), out)
        elif op == "--sleep":
            end = time.monotonic() + float(arg)
            while time.monotonic() < end:
                read_some(fd, out, max(0.0, end - time.monotonic()))
        else:
            sys.exit("ptydrive: unknown step " + op)
    deadline = time.monotonic() + END_S
    while read_some(fd, out, 0.05):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            sys.stderr.write("ptydrive: the command did not end\n")
            break
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(bytes(out))
    if time.monotonic() > deadline:
        sys.exit(99)
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main(sys.argv[1:])
