#!/usr/bin/env bash
# Generates maskkv-sys/src/bindings.rs from include/maskkv.h with Debian's bindgen.
#
#   bindgen.sh            rewrite src/bindings.rs
#   bindgen.sh --check    regenerate into a temporary file and fail (exit 1, with a diff) if it
#                         differs from the checked-in src/bindings.rs
#
# The output depends on the bindgen version (Debian 12: 0.60.1), its libclang and the rustfmt it
# formats with: RUSTFMT, else the rustfmt beside `cargo` (rustup), else the one on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
header="$root/include/maskkv.h"
out="$here/src/bindings.rs"

command -v bindgen >/dev/null || { echo "bindgen.sh: bindgen not found (apt-get install bindgen)" >&2; exit 1; }
if [ -z "${RUSTFMT:-}" ]; then
  for c in "${CARGO:-}" "$(command -v cargo || true)" "$HOME/.cargo/bin/cargo"; do
    if [ -n "$c" ] && [ -x "$(dirname "$c")/rustfmt" ]; then RUSTFMT="$(dirname "$c")/rustfmt"; break; fi
  done
fi
: "${RUSTFMT:=$(command -v rustfmt || true)}"
[ -x "$RUSTFMT" ] || { echo "bindgen.sh: rustfmt not found (rustup component add rustfmt)" >&2; exit 1; }
export RUSTFMT

generate() {
  bindgen "$header" \
    --allowlist-function 'maskkv_.*' \
    --allowlist-type 'maskkv_.*' \
    --allowlist-var 'MASKKV_.*' \
    --size_t-is-usize \
    --rustfmt-bindings \
    --output "$1" \
    -- -I"$root/include"
}

if [ "${1:-}" = "--check" ]; then
  tmp="$(mktemp --suffix=.rs)"
  trap 'rm -f "$tmp"' EXIT
  generate "$tmp"
  if ! diff -u "$out" "$tmp"; then
    echo "bindgen.sh: $out is stale: run bindings/rust/maskkv-sys/bindgen.sh and commit the result" >&2
    exit 1
  fi
  echo "bindgen.sh: $out matches what bindgen $(bindgen --version | cut -d' ' -f2) generates from $header"
else
  generate "$out"
  echo "bindgen.sh: wrote $out"
fi
