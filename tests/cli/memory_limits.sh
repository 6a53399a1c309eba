#!/usr/bin/env bash
# Under an address-space limit (ulimit -v) from far too small to enough, `maskkv version` and
# `maskkv generate` must end: with status 0, or with MASKKV_ERR_OUT_OF_MEMORY and exit code 1.
# Before, OpenBLAS retried failed buffer allocations forever (a spinning process that never
# exited). A hang fails this test by ctest's timeout. Not run under sanitizers (their shadow
# memory needs terabytes of address space).
#   memory_limits.sh MASKKV_BIN MODEL_DIR
set -uo pipefail
bin="$1" model="$2"
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
fails=0
for kib in 60000 80000 150000 300000 400000 500000 600000 800000; do
  (ulimit -v "$kib"; "$bin" version >/dev/null 2>"$err")
  rc=$?
  if [ $rc -ne 0 ]; then echo "version under ulimit -v $kib: exit $rc: $(cat "$err")"; fails=$((fails + 1)); fi
  (ulimit -v "$kib"; "$bin" generate --model "$model" --prompt-ids 5,6,7,8 --gen-length 8 --threads 2 >/dev/null 2>"$err")
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "generate under ulimit -v $kib: ok"
  elif [ $rc -eq 1 ] && grep -q MASKKV_ERR_OUT_OF_MEMORY "$err"; then
    echo "generate under ulimit -v $kib: out of memory, as expected"
  else
    echo "generate under ulimit -v $kib: exit $rc: $(cat "$err")"
    fails=$((fails + 1))
  fi
done
# Enough address space must work.
"$bin" generate --model "$model" --prompt-ids 5,6,7,8 --gen-length 8 --threads 2 >/dev/null || fails=$((fails + 1))
[ $fails -eq 0 ]
