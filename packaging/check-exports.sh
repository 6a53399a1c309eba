#!/usr/bin/env bash
# Fails unless the shared library's dynamic symbol table exports the C ABI and nothing else:
# every defined symbol `nm -D --defined-only` lists must start with maskkv_, and every function
# the header declares must be there.
#
#   check-exports.sh LIBRARY HEADER
set -euo pipefail
lib="$1" header="$2"
defined="$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u)"
bad="$(grep -v '^maskkv_' <<<"$defined" || true)"
if [ -n "$bad" ]; then
  echo "check-exports: $lib exports symbols outside the C ABI:" >&2
  sed 's/^/  /' <<<"$bad" >&2
  exit 1
fi
declared="$(sed -n 's/^MASKKV_API[^(]*[ *]\(maskkv_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u)"
missing="$(comm -23 <(echo "$declared") <(echo "$defined"))"
if [ -n "$missing" ]; then
  echo "check-exports: declared in $header but not exported by $lib:" >&2
  sed 's/^/  /' <<<"$missing" >&2
  exit 1
fi
extra="$(comm -13 <(echo "$declared") <(echo "$defined"))"
if [ -n "$extra" ]; then
  echo "check-exports: exported by $lib but not declared in $header:" >&2
  sed 's/^/  /' <<<"$extra" >&2
  exit 1
fi
echo "check-exports: $(wc -l <<<"$defined") symbols, all maskkv_*, exactly the functions of $(basename "$header")"
soname="$(objdump -p "$lib" | awk '$1=="SONAME"{print $2}')"
echo "check-exports: SONAME $soname"
