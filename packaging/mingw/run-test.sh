#!/usr/bin/env bash
# The Windows test (tests/packaging.cmake): cross-build (build-dll.sh, dependencies cached in
# DEPS_PREFIX), then run under wine against the native build (test-dll.sh). Prints the time of
# each part and the sizes of the artifacts.
#
#   run-test.sh SOURCE_DIR BUILD_DIR DEPS_PREFIX NATIVE_C_EXAMPLE NATIVE_CLI
set -euo pipefail
src="$1" build="$2" deps="$3" native_example="$4" native_cli="$5"
here="$(cd "$(dirname "$0")" && pwd)"
t0=$(date +%s)
bash "$here/build-dll.sh" "$src" "$build" "$deps" | grep -v '^\[[0-9]*/[0-9]*\]'
t1=$(date +%s)
bash "$here/test-dll.sh" "$src" "$build/dist" "$build/test" "$native_example" "$native_cli"
t2=$(date +%s)
echo "run-test: cross-build $((t1 - t0)) s, wine tests $((t2 - t1)) s"
