#!/usr/bin/env bash
# Shows that check-abi.py catches what it must: builds a toy library in versions that append a
# field to a size-prefixed struct, add a function (both compatible), remove a function, change a
# signature, change or insert a member (incompatible), and bump the SONAME (allowed), and
# compares each with the first version's abidw baseline.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
CC="${CC:-cc}"
lib() { # NAME SONAME STRUCT_BODY EXTRA_DECLS
  printf '#include <stdint.h>\ntypedef struct maskkv_opts { %s } maskkv_opts;\nint maskkv_run(const maskkv_opts* o%s);\nint maskkv_old(void);\n%s\n' \
    "$3" "${5:-}" "$4" >"$1.h"
  printf '#include "%s.h"\nint maskkv_run(const maskkv_opts* o%s) { return (int)o->size; }\nint maskkv_old(void) { return 1; }\n%s\n' \
    "$1" "${5:-}" "${6:-}" >"$1.c"
  "$CC" -g -shared -fPIC -Wl,-soname,"$2" "$1.c" -o "$1.so"
}
base='uint32_t size; int32_t a; float b;'
lib v0 libtoy.so.0 "$base" ""
cp v0.h maskkv.h
abidw --exported-interfaces-only --no-show-locs --out-file base.abi v0.so
expect() { # VERDICT NAME DESCRIPTION
  set +e
  /usr/bin/python3 "$here/check-abi.py" "$2.so" base.abi maskkv.h >"$2.log" 2>&1
  rc=$?
  set -e
  if { [ "$1" = pass ] && [ $rc -ne 0 ]; } || { [ "$1" = fail ] && [ $rc -ne 1 ]; }; then
    cat "$2.log"
    echo "abi selftest: $3: expected $1, check-abi.py exited $rc" >&2
    exit 1
  fi
  echo "abi selftest: $3: $1 (as expected)"
}
lib v1 libtoy.so.0 "$base int32_t c; double d;" ""
expect pass v1 "fields appended to a size-prefixed struct"
lib v2 libtoy.so.0 "$base" "int maskkv_new(void);" "" "int maskkv_new(void) { return 2; }"
expect pass v2 "function added"
printf '#include <stdint.h>\ntypedef struct maskkv_opts { %s } maskkv_opts;\nint maskkv_run(const maskkv_opts* o);\n' "$base" >v3.h
printf '#include "v3.h"\nint maskkv_run(const maskkv_opts* o) { return (int)o->size; }\n' >v3.c
"$CC" -g -shared -fPIC -Wl,-soname,libtoy.so.0 v3.c -o v3.so
expect fail v3 "function removed"
lib v4 libtoy.so.0 "$base" "" ", int extra"
expect fail v4 "parameter added"
lib v5 libtoy.so.0 'uint32_t size; double a; float b;' ""
expect fail v5 "member type changed"
lib v6 libtoy.so.0 'uint32_t size; int32_t x; int32_t a; float b;' ""
expect fail v6 "member inserted in the middle"
lib v7 libtoy.so.0 'uint32_t size; float a; float b;' ""
expect fail v7 "member type changed, same size"
lib v8 libtoy.so.1 'uint32_t size; double a; float b;' ""
expect pass v8 "incompatible change with the SONAME bumped"
