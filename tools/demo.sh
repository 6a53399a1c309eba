#!/usr/bin/env bash
# The main job on the bundled demo model: describe it, then denoise a response while streaming
# the steps (after tools/setup.sh has built the project).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/demo}
build/maskkv info --model "$MODEL"
echo
echo "maskkv generate --model $MODEL --prompt-ids 503,17,42,99,7 --gen-length 32 --steps 32 --block-length 8 --json"
build/maskkv generate --model "$MODEL" --prompt-ids 503,17,42,99,7 --gen-length 32 --steps 32 \
  --block-length 8 --json
