#!/usr/bin/env bash
# Set-up check for the bindings (run by tools/setup.sh after its apt-get step): the tools that
# Debian packages do not provide, or that CMake would otherwise only find at configure time.
# Prints what is missing and exits 1; prints one line and exits 0 when all is there.
set -uo pipefail
missing=()
cargo="$(command -v cargo || true)"
for c in "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" /root/.cargo/bin/cargo; do
  [ -z "$cargo" ] && [ -x "$c" ] && cargo="$c"
done
if [ -z "$cargo" ]; then
  missing+=("cargo (a rustup stable toolchain under ~/.cargo/bin; not installable from the registries here)")
else
  "$cargo" --version >/dev/null 2>&1 || missing+=("a working cargo ($cargo --version fails)")
  [ -x "$(dirname "$cargo")/rustfmt" ] || command -v rustfmt >/dev/null ||
    missing+=("rustfmt (rustup component add rustfmt): bindgen.sh formats bindings.rs with it")
fi
for t in swig bindgen abidiff abidw javac java x86_64-w64-mingw32-g++-posix wine; do
  command -v "$t" >/dev/null || missing+=("$t (tools/setup.sh installs it)")
done
[ -f /usr/share/java/junit-platform-console-standalone.jar ] || missing+=("junit5 (JUnit console launcher)")
/usr/bin/python3 -c 'import numpy, pytest' 2>/dev/null || missing+=("python3-numpy / python3-pytest")
if [ ${#missing[@]} -gt 0 ]; then
  echo "bindings/check-tools.sh: missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
echo "bindings/check-tools.sh: $("$cargo" --version), swig $(swig -version | sed -n 's/^SWIG Version //p'), $(bindgen --version), javac $(javac -version 2>&1 | cut -d' ' -f2)"
