#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Include circles between the .c files of a module directory: file A depends on file B when A
# names a function or variable that B defines with external linkage. Fails naming each cycle.
#
# Why symbols and not #include lines: a module's files share one internal header, so the
# include graph is a star and shows no circle; what ties two files together is that each calls
# the other. Comments and string literals are ignored; a name a file also defines `static`
# is that file's own.
#
#   tests/lint/file-cycles.py DIR...                  exit 1 naming each circle, with its edges
#   tests/lint/file-cycles.py --known DIR:a.c,b.c ...  that exact circle is reported, not failed
#                                                     (and fails once it is gone: a ratchet)
#   tests/lint/file-cycles.py --layers DIR...         print the files bottom-up, a layer a line
import os
import re
import sys

TOKEN = re.compile(r"\d[\w.]*|[A-Za-z_]\w*|\S")  # a number is one token: no name in 0x1fu
KEYWORDS_TYPE = {"struct", "union", "enum"}


def strip(text):
    """Blank out comments, string and character literals; keep line structure."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def without_directives(text):
    """Drop preprocessor lines (with their continuations): they define no functions."""
    keep, cont = [], False
    for line in text.split("\n"):
        directive = cont or line.lstrip().startswith("#")
        cont = directive and line.rstrip().endswith("\\")
        keep.append("" if directive else line)
    return "\n".join(keep)


def drop_attributes(toks):
    """Remove __attribute__((...)) groups, which look like calls."""
    out, i = [], 0
    while i < len(toks):
        if toks[i] == "__attribute__":
            i += 1
            depth = 0
            while i < len(toks):
                depth += toks[i] == "("
                depth -= toks[i] == ")"
                i += 1
                if depth == 0:
                    break
            continue
        out.append(toks[i])
        i += 1
    return out


def is_ident(t):
    return t[0].isalpha() or t[0] == "_"


QUALIFIERS = {"const", "volatile", "static", "register", "inline", "_Thread_local", "__thread"}


def variable_name(stmt):
    """Name a file-scope declaration ending in ';' defines as a variable, or None (a prototype,
    a typedef, an extern, a type)."""
    names, depth, brackets, body = [], 0, 0, False
    for t in stmt:
        if depth == 0 and t == "=":
            break
        if depth == 0 and t == "(":
            return None
        depth += t == "{"
        depth -= t == "}"
        brackets += t == "["
        brackets -= t == "]"
        if t == "}" and depth == 0:
            names, body = [], True
        elif depth == 0 and brackets == 0 and is_ident(t) and t not in QUALIFIERS:
            names.append(t)
    if not names or (not body and len(names) == 2 and names[0] in KEYWORDS_TYPE):
        return None
    return names[-1]


def scan(path):
    """(external definitions, static definitions, names used) of one .c file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip(f.read())
    used = set(t for t in TOKEN.findall(text) if is_ident(t))
    toks = TOKEN.findall(without_directives(text))
    ext, local = set(), set()
    stmt, i = [], 0

    def define(name, specifiers):
        if name:  # `static` counts in the declaration specifiers only, not in `a[static 32]`
            (local if "static" in specifiers else ext).add(name)

    while i < len(toks):
        t = toks[i]
        if t == "{":
            s = drop_attributes(stmt)
            function = s and s[-1] == ")" and "=" not in s and s[0] not in ("typedef", "extern")
            depth = 0
            while i < len(toks):  # the body (skipped) or a struct body / initializer (kept)
                depth += toks[i] == "{"
                depth -= toks[i] == "}"
                if not function:
                    stmt.append(toks[i])
                i += 1
                if depth == 0:
                    break
            if function:
                k = s.index("(")
                define(s[k - 1] if k > 0 and is_ident(s[k - 1]) else None, s[:k])
                stmt = []
            continue
        if t == ";":
            s = drop_attributes(stmt)
            if s and s[0] not in ("typedef", "extern"):
                define(variable_name(s), s)
            stmt = []
        else:
            stmt.append(t)
        i += 1
    return ext, local, used - local


def graph(directory):
    files = sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".c"))
    info = {f: scan(f) for f in files}
    owner = {}
    for f in files:
        for name in info[f][0]:
            owner.setdefault(name, f)
    edges = {f: {} for f in files}
    for a in files:
        for name in sorted(info[a][2]):
            b = owner.get(name)
            if b and b != a:
                edges[a].setdefault(b, []).append(name)
    return files, edges


def components(files, edges):
    """Strongly connected components (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for f in files:
        if f not in index:
            visit(f)
    return out


def shortest_cycle(start, comp, edges):
    """Shortest path start -> ... -> start inside comp."""
    prev, queue = {start: None}, [start]
    for v in queue:
        for w in sorted(edges[v]):
            if w not in comp:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return [start]


def describe(path, edges):
    parts = [path[0]]
    for a, b in zip(path, path[1:]):
        names = edges[a][b]
        more = f", +{len(names) - 2} more" if len(names) > 2 else ""
        parts.append(f"{b} (uses {', '.join(names[:2])}{more})")
    return " -> ".join(parts)


def layers(files, edges):
    """Files bottom-up: layer 0 uses no other file, layer n only files of lower layers."""
    level = {}

    def depth(f):
        if f not in level:
            level[f] = 1 + max((depth(b) for b in edges[f]), default=-1)
        return level[f]

    for f in files:
        depth(f)
    return [sorted(f for f in files if level[f] == n) for n in range(max(level.values()) + 1)]


def main(argv):
    """Exit 1 when a circle is found that is not known, or a known one is gone."""
    want_layers, known = False, set()
    while argv and argv[0].startswith("--"):
        if argv[0] == "--layers":
            want_layers, argv = True, argv[1:]
        elif argv[0] == "--known" and len(argv) > 1:
            # DIR:a.c,b.c = a circle that exists today and is to be removed (a ratchet).
            d, _, names = argv[1].partition(":")
            known.add((d.rstrip("/"), tuple(sorted(names.split(",")))))
            argv = argv[2:]
        else:
            break
    if not argv or argv[0].startswith("--"):
        print("usage: file-cycles.py [--layers] [--known DIR:a.c,b.c]... DIR...", file=sys.stderr)
        return 2
    bad = 0
    for d in (a.rstrip("/") for a in argv):
        files, edges = graph(d)
        cycles = [c for c in components(files, edges) if len(c) > 1]
        found = set()
        for comp in cycles:
            key = (d, tuple(os.path.basename(c) for c in comp))
            found.add(key)
            what = "known circle (to be removed)" if key in known else "include circle"
            bad += key not in known
            print(f"{what} in {d}/: {describe(shortest_cycle(comp[0], comp, edges), edges)}"
                  f" [files in the circle: {' '.join(key[1])}]")
            if key not in known:  # every edge inside the circle: each one is to be cut
                for a in comp:
                    for b in sorted(x for x in edges[a] if x in comp):
                        print(f"  {a} -> {b}: {', '.join(edges[a][b])}")
        for k in sorted(x for x in known if x[0] == d and x not in found):
            bad += 1
            print(f"stale: the known circle {','.join(k[1])} in {d}/ is gone: drop it from "
                  f"the known list")
        if want_layers and not cycles:
            for n, layer in enumerate(layers(files, edges)):
                print(f"{d} layer {n}: {' '.join(os.path.basename(f) for f in layer)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
