#!/usr/bin/env python3
"""Checks libmaskkv against the ABI baseline in packaging/abi/ with abidiff (abigail-tools).

    check-abi.py LIBRARY BASELINE.abi HEADER

Passes when the library is ABI compatible with the baseline, or when its SONAME differs from the
baseline's (a deliberate break: then regenerate the baseline with update-baseline.sh). Fails on
anything an old binary could trip over:
  - a removed or changed function or variable (a changed signature, or a change of any type it
    reaches);
  - a struct that changed other than by data members appended at its end, and appended members
    are allowed only in the size-prefixed option and result structs (first member `size`), as
    include/maskkv.h promises ("new fields are only ever appended").
Added functions are compatible and only reported.
"""
import re
import subprocess
import sys


def soname(path):
    if path.endswith(".abi"):
        m = re.search(r"<abi-corpus [^>]*soname='([^']*)'", open(path, encoding="utf-8").read())
        return m.group(1) if m else None
    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^\s*SONAME\s+(\S+)", out, re.M)
    return m.group(1) if m else None


def size_prefixed_structs(header):
    text = open(header, encoding="utf-8").read()
    return set(re.findall(r"typedef\s+struct\s+(maskkv_\w+)\s*\{\s*uint32_t\s+size\s*;", text))


def problems_in(report, growable):
    """The incompatible changes in an `abidiff --leaf-changes-only` report."""
    problems = []
    for kind in ("functions", "variables"):
        m = re.search(r"Removed/Changed/Added %s summary: (\d+) Removed, (\d+) Changed" % kind, report)
        if m is None:
            problems.append("abidiff report without a %s summary" % kind)
        elif int(m.group(1)) or int(m.group(2)):
            problems.append("%s removed or changed: %s" % (kind, m.group(0)))
    # Each changed leaf type is a block "'struct X' changed:" followed by indented lines.
    current, old_size = None, None
    for line in report.splitlines():
        head = re.match(r"^'(struct|union|enum|typedef|class) ([^']+)' changed:$", line)
        if head:
            current, old_size = (head.group(1), head.group(2)), None
            continue
        if current is None or not line.startswith("  "):
            if line and not line.startswith(" "):
                current = None
            continue
        kind, name = current
        s = line.strip()
        m = re.match(r"type size changed from (\d+) to (\d+) \(in bits\)", s)
        if m:
            old_size = int(m.group(1))
            if int(m.group(2)) < old_size:
                problems.append("%s %s shrank: %s" % (kind, name, s))
            elif kind != "struct" or name not in growable:
                problems.append("%s %s changed size and is not a size-prefixed struct: %s"
                                % (kind, name, s))
            continue
        if re.match(r"\d+ data member insertions?:$", s):
            continue
        m = re.match(r"'.*', at offset (\d+) \(in bits\)$", s)
        if m:
            if old_size is None or int(m.group(1)) < old_size:
                problems.append("%s %s: member inserted before its old end: %s" % (kind, name, s))
            continue
        problems.append("%s %s: %s" % (kind, name, s))
    return problems


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    lib, baseline, header = argv[1:]
    cur, base = soname(lib), soname(baseline)
    cmd = ["abidiff", "--exported-interfaces-only", "--leaf-changes-only", "--no-show-locs",
           baseline, lib]
    p = subprocess.run(cmd, capture_output=True, text=True)
    report = p.stdout + p.stderr
    if p.returncode & 3:  # 1: error, 2: usage error
        print(report, file=sys.stderr)
        print("check-abi: abidiff failed (exit %d)" % p.returncode, file=sys.stderr)
        return 1
    if cur != base:
        print(report)
        print("check-abi: SONAME %s -> %s: a deliberate ABI break. Regenerate the baseline: "
              "packaging/abi/update-baseline.sh (cmake --build BUILD --target maskkv_abi_baseline)"
              % (base, cur))
        return 0
    if p.returncode == 0:
        print("check-abi: %s: ABI identical to the baseline %s" % (cur, baseline))
        return 0
    problems = problems_in(report, size_prefixed_structs(header))
    print(report)
    if problems:
        print("check-abi: INCOMPATIBLE with the baseline while the SONAME stays %s:" % cur,
              file=sys.stderr)
        for pr in problems:
            print("  - " + pr, file=sys.stderr)
        print("Either keep the ABI (append fields to size-prefixed structs, add new functions), "
              "or bump MASKKV_SOVERSION and regenerate the baseline.", file=sys.stderr)
        return 1
    print("check-abi: %s: compatible with the baseline (additions only)" % cur)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
