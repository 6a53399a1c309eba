#!/usr/bin/env bash
# Runs an example program and checks it against the C example (examples/c/generate.c): both
# must succeed and print the same "response:" line for the same model and prompt.
#
#   run-example.sh C_EXAMPLE MODEL_DIR PROMPT_IDS -- COMMAND [ARGS...]
#
# COMMAND gets MODEL_DIR and the prompt ids appended (space-separated ids: "1 2 3").
set -euo pipefail
c_example="$1" model="$2" ids="$3"
shift 3
[ "$1" = "--" ] && shift
# shellcheck disable=SC2086
expected="$("$c_example" "$model" $ids | grep '^response:')"
# shellcheck disable=SC2086
out="$("$@" "$model" $ids)"
printf '%s\n' "$out"
got="$(printf '%s\n' "$out" | grep '^response:' || true)"
steps="$(printf '%s\n' "$out" | grep -c '^step ' || true)"
if [ "$got" != "$expected" ]; then
  echo "run-example: expected '$expected' (C example), got '$got'" >&2
  exit 1
fi
if [ "$steps" -lt 1 ]; then
  echo "run-example: no streamed steps printed" >&2
  exit 1
fi
echo "run-example: $steps steps streamed; response matches the C example"
