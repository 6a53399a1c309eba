#!/usr/bin/env bash
# Writes the ABI baseline packaging/abi/<SONAME>.abi from a built libmaskkv (which must carry the
# debug information of its API layer: MASKKV_ABI_DEBUG_INFO, on by default), and removes the
# baselines of other SONAMEs. Run it only for a deliberate ABI change, after bumping
# MASKKV_SOVERSION, and commit the result.
#
#   update-baseline.sh LIBRARY INCLUDE_DIR
set -euo pipefail
lib="$1" include="$2"
here="$(cd "$(dirname "$0")" && pwd)"
soname="$(objdump -p "$lib" | awk '$1=="SONAME"{print $2}')"
[ -n "$soname" ] || { echo "update-baseline: $lib has no SONAME" >&2; exit 1; }
out="$here/$soname.abi"
abidw --exported-interfaces-only --headers-dir "$include" --drop-private-types --no-show-locs \
  --no-corpus-path --no-comp-dir-path --out-file "$out" "$lib"
# Translation units by their path inside the repository (not the machine's checkout path).
sed -i -E "s|path='[^']*/(lib/[^']*)'|path='\1'|" "$out"
grep -q "<function-decl name='maskkv_" "$out" ||
  { echo "update-baseline: no maskkv_ functions with types in $out (built without -g?)" >&2; exit 1; }
for f in "$here"/*.abi; do [ "$f" = "$out" ] || rm -v "$f"; done
echo "update-baseline: wrote $out ($(grep -c "<function-decl name='maskkv_" "$out") functions)"
