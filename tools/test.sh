#!/usr/bin/env bash
# Runs every test (after tools/setup.sh has built the project).
set -euo pipefail
cd "$(dirname "$0")/.."
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900 "$@"
# Then the suite again under ASan+UBSan and TSan, and every fuzzer for 30 s (tools/sanitize.sh;
# about 15 minutes on 2 cores from a cold ccache). Skipped when ctest arguments narrow the run,
# or with MASKKV_SANITIZE=0.
if [ $# -eq 0 ] && [ "${MASKKV_SANITIZE:-1}" != 0 ]; then
  bash tools/sanitize.sh asan tsan fuzz "${MASKKV_FUZZ_SECONDS:-30}"
fi
