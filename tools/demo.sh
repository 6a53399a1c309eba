#!/usr/bin/env bash
# The demo, on the bundled models (after tools/setup.sh has built maskkv): describe
# each model, then answer a multi-key retrieval question (several "The magic number for KEY is
# NN." needles in filler text, one key asked) with the full prompt cache and with MaskKV at a
# budget of 32 K/V pairs per head, printing answer, time and K/V memory side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
LENGTH=${LENGTH:-512}
for MODEL in ${MODELS:-models/demo models/demo-dream}; do
  echo "== $MODEL"
  build/maskkv info --model "$MODEL"
  echo
  /usr/bin/python3 tools/eval/demo_retrieval.py --model "$MODEL" --task multikey --length "$LENGTH" --budget 32
  echo
done
