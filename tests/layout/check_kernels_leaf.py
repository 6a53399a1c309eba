#!/usr/bin/env python3
"""Checks that kernels/ is a leaf: no file in it includes anything from lib/ (or the public
header), so the CUDA kernels build with only the CUDA toolkit on the include path.

    check_kernels_leaf.py REPO_ROOT      check REPO_ROOT/kernels
    check_kernels_leaf.py --self-test    show that the check catches each kind of bad include

A quoted include must name a file inside kernels/ (relative to the including file); an angle
include must not name a file that exists under lib/ or include/.
"""
import os
import re
import shutil
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def problems(root):
    kernels = os.path.realpath(os.path.join(root, "kernels"))
    if not os.path.isdir(kernels):
        return ["%s: no kernels/ folder" % root]
    found = []
    for folder, _, files in os.walk(kernels):
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                kind, target = m.group(1), m.group(2)
                line = text.count("\n", 0, m.start()) + 1
                if kind == '"':
                    resolved = os.path.realpath(os.path.join(folder, target))
                    if not resolved.startswith(kernels + os.sep) or not os.path.isfile(resolved):
                        found.append('%s:%d: "%s" is not a file inside kernels/' % (rel, line, target))
                else:
                    for base in ("lib", "include"):
                        if os.path.isfile(os.path.join(root, base, target)):
                            found.append("%s:%d: <%s> is %s/%s" % (rel, line, target, base, target))
    return found


def self_test():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    bad_includes = ['#include "../lib/core/dtype.h"', "#include <core/dtype.h>",
                    "#include <maskkv.h>", '#include "no_such_file.cuh"']
    with tempfile.TemporaryDirectory() as tmp:
        for base in ("kernels", "lib/core", "include"):
            os.makedirs(os.path.join(tmp, base))
        shutil.copy(os.path.join(repo, "lib/core/dtype.h"), os.path.join(tmp, "lib/core/dtype.h"))
        shutil.copy(os.path.join(repo, "include/maskkv.h"), os.path.join(tmp, "include/maskkv.h"))
        probe = os.path.join(tmp, "kernels", "probe.cuh")
        with open(probe, "w") as f:
            f.write('#include <cstdint>\n#include "probe.cuh"\n')
        if problems(tmp):
            print("self-test: a clean kernels/ was flagged: %s" % problems(tmp))
            return 1
        for bad in bad_includes:
            with open(probe, "w") as f:
                f.write("#include <cstdint>\n%s\n" % bad)
            if not problems(tmp):
                print("self-test: %s was not caught" % bad)
                return 1
    print("self-test: every bad include was caught")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    found = problems(argv[1])
    for p in found:
        print(p)
    if found:
        print("kernels/ must include nothing from lib/: move the code the kernels need into kernels/, "
              "or keep it in the launchers (lib/backend/cuda)")
        return 1
    print("kernels/ includes nothing from lib/ (%d files)" % sum(len(f) for _, _, f in os.walk(os.path.join(argv[1], "kernels"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
