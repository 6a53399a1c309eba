#!/usr/bin/env bash
# The main job on the bundled demo model (after tools/setup.sh has built the project): describe
# the model, then answer a retrieval question over a 2048-token prompt with the full prompt
# cache and with MaskKV at a budget of 32 K/V pairs per head, printing answer, time and K/V
# memory side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/demo}
build/maskkv info --model "$MODEL"
echo
echo "Retrieval demo: full cache vs MaskKV at budget 32"
/usr/bin/python3 tools/demo_retrieval.py --model "$MODEL"
