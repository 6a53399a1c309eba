#!/usr/bin/env python3
"""Fails when a source file of the engine layer calls a Backend operation.

The engine decides what to compute and what to keep; the model's forward pass (lib/model) runs
the backend. The operations are read from the Backend class in lib/backend/backend.h (every
virtual method), so that a new operation is covered the day it is added; the few queries the
engine may make (which backend, its memory statistics, timing) are listed below and must still
exist in the header.

    check_engine_calls.py BACKEND_H DIR [DIR...]     exit 0: no calls; 1: calls found (listed)
"""
import pathlib
import re
import sys

# Backend methods that neither compute nor move activations.
ALLOWED = {"name", "n_threads", "host_memory", "memory", "reset_peak", "synchronize"}


def backend_methods(header_text):
    m = re.search(r"\bclass\s+Backend\s*\{(.*?)\n\};", header_text, re.S)
    if not m:
        raise SystemExit("check_engine_calls: no 'class Backend { ... };' in the backend header")
    body = strip_comments(m.group(1))
    names = set(re.findall(r"\bvirtual\s[^;{(]*?\b([A-Za-z_]\w*)\s*\(", body))
    names.discard("Backend")  # the destructor
    if not names:
        raise SystemExit("check_engine_calls: no virtual methods found in class Backend")
    return names


def strip_comments(text):
    """Comments and string literals blanked, newlines kept (so line numbers stay right)."""
    pattern = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    header = pathlib.Path(argv[1])
    methods = backend_methods(header.read_text())
    stale = ALLOWED - methods
    if stale:
        print(f"check_engine_calls: allowed queries no longer in {header}: {sorted(stale)}", file=sys.stderr)
        return 1
    ops = sorted(methods - ALLOWED)
    call = re.compile(r"(?:\.|->)\s*(" + "|".join(map(re.escape, ops)) + r")\s*\(")
    files = []
    for d in argv[2:]:
        p = pathlib.Path(d)
        if not p.is_dir():
            print(f"check_engine_calls: {p} is not a directory", file=sys.stderr)
            return 2
        files += sorted(f for f in p.iterdir() if f.suffix in (".cpp", ".h", ".hpp", ".cc"))
    if not files:
        print("check_engine_calls: no source files found", file=sys.stderr)
        return 2
    hits = []
    for f in files:
        text = strip_comments(f.read_text())
        for m in call.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            hits.append(f"{f}:{line}: calls Backend::{m.group(1)}")
    if hits:
        print("Backend operations called from the engine layer (move them into the model's "
              "forward pass or the cache):", file=sys.stderr)
        print("\n".join(hits), file=sys.stderr)
        return 1
    print(f"check_engine_calls: {len(files)} files, none calls any of {len(ops)} Backend operations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
