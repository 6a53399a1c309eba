#!/usr/bin/env bash
# Runs every test (after tools/setup.sh has built the project).
set -euo pipefail
cd "$(dirname "$0")/.."
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900 "$@"
