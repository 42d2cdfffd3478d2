#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The leak suite's oracle: is a secret readable in the output?

A secret is readable when it appears in the raw bytes or in any view a reader decodes them into:
terminal sequences stripped, carriage returns dropped, line breaks inside base64/hex runs joined,
percent and form encoding, JSON/C/bash backslash escapes, HTML entities, shell quoting, base64
(both alphabets, every alignment) and hex. Python's own decoders, written apart from the
sanitizer's. Checked for each secret: the value, the value without a trailing line break, and each
line of a multi-line value (8 bytes or more, PEM armour excepted).

usage: readable.py FILE NAME...   (the values are in the environment variables NAME)
Exit 0: nothing readable; 1: prints which view showed which secret."""
import binascii
import html
import os
import re
import sys
import urllib.parse

ANSI = re.compile(rb'\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\'
                  rb'|[ -/]*[0-~])|\xc2[\x80-\x9f]')
SIMPLE = {ord('a'): 7, ord('b'): 8, ord('t'): 9, ord('n'): 10, ord('v'): 11, ord('f'): 12,
          ord('r'): 13, ord('e'): 27, ord('E'): 27}


def unbackslash(v):
    """JSON, C, Python and bash $'...' escapes."""
    out, i, n = bytearray(), 0, len(v)
    while i < n:
        c = v[i]
        if c != 0x5c or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = v[i + 1]
        m = re.match(rb'u([0-9a-fA-F]{4})(?:\\u([0-9a-fA-F]{4}))?', v[i + 1:i + 13])
        if m:
            u = int(m.group(1), 16)
            if 0xD800 <= u < 0xDC00 and m.group(2) and 0xDC00 <= int(m.group(2), 16) < 0xE000:
                cp = 0x10000 + ((u - 0xD800) << 10) + (int(m.group(2), 16) - 0xDC00)
                out += chr(cp).encode()
                i += 13
                continue
            if 0xDC80 <= u <= 0xDCFF:  # Python's surrogateescape: a raw byte
                out.append(u - 0xDC00)
            elif not 0xD800 <= u < 0xE000:
                out += chr(u).encode()
            i += 6
            continue
        m = re.match(rb'U([0-9a-fA-F]{8})|u\{([0-9a-fA-F]{1,6})\}|x([0-9a-fA-F]{1,2})|([0-7]{1,3})',
                     v[i + 1:i + 11])
        if m:
            if m.group(1) or m.group(2):
                cp = int(m.group(1) or m.group(2), 16)
                if cp <= 0x10FFFF and not 0xD800 <= cp < 0xE000:
                    out += chr(cp).encode()
            else:
                out.append(int(m.group(3), 16) if m.group(3) else int(m.group(4), 8) & 0xFF)
            i += 1 + len(m.group(0))
            continue
        out.append(SIMPLE.get(d, d))
        i += 2
    return bytes(out)


def unshell(v):
    """'\\'' and '"'"' as one quote, then a backslash before any character as that character."""
    v = v.replace(b"'\\''", b"'").replace(b"'\"'\"'", b"'")
    return re.sub(rb'\\(.)', rb'\1', v, flags=re.S)


def runs_decoded(t):
    """base64 and hex runs, line breaks inside them joined, decoded at every alignment."""
    joined = re.sub(rb'\r*\n', b'', ANSI.sub(b'', t))
    for m in re.finditer(rb'[A-Za-z0-9+/=_-]{8,}', joined):
        r = m.group(0).replace(b'-', b'+').replace(b'_', b'/').rstrip(b'=')
        for a in range(4):
            s = r[a:].replace(b'=', b'')
            s = s[:len(s) - len(s) % 4] if len(s) % 4 == 1 else s
            try:
                yield 'base64@%d' % a, binascii.a2b_base64(s + b'=' * (-len(s) % 4))
            except binascii.Error:
                pass
    for m in re.finditer(rb'[0-9a-fA-F]{8,}', joined):
        r = m.group(0)
        for a in range(2):
            s = r[a:]
            yield 'hex@%d' % a, bytes.fromhex(s[:len(s) // 2 * 2].decode())


def views(t):
    bases = [('raw', t)]
    s = ANSI.sub(b'', t)
    bases += [('terminal', s), ('terminal-no-cr', s.replace(b'\r', b''))]
    for name, v in bases:
        yield name, v
        yield name + '+percent', urllib.parse.unquote_to_bytes(v)
        yield name + '+form', urllib.parse.unquote_to_bytes(v.replace(b'+', b' '))
        u = v.decode('utf-8', 'surrogateescape')
        yield name + '+html', html.unescape(u).encode('utf-8', 'surrogateescape')
        yield name + '+backslash', unbackslash(v)
        yield name + '+shell', unshell(v)
    yield from runs_decoded(t)


def main():
    t = open(sys.argv[1], 'rb').read()
    secrets = []
    for name in sys.argv[2:]:
        v = os.environb.get(name.encode(), b'')
        forms = {v, v.rstrip(b'\r\n')}
        if b'\n' in v:
            forms |= {ln.rstrip(b'\r') for ln in v.split(b'\n')
                      if len(ln.rstrip(b'\r')) >= 8 and not ln.startswith(b'-----')}
        secrets += [(name, f) for f in forms if len(f) >= 4]
    bad = 0
    for view, data in views(t):
        for name, f in secrets:
            if f in data:
                print('secret %s readable in the %s view' % (name, view))
                bad = 1
    return bad


if __name__ == '__main__':
    sys.exit(main())
