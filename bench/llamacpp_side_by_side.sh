#!/usr/bin/env bash
# Side-by-side CPU benchmark against llama.cpp's diffusion CLI (docs/performance-cpu.md):
# one random ~117M-parameter LLaDA-shaped bf16 model in both formats (safetensors for maskkv,
# GGUF bf16 for llama.cpp, identical weights), the same random prompts, 2 threads each,
# gen length 32, steps 32; llama-diffusion-cli (flash attention on) and `maskkv generate` with
# policies none, maskkv@256 and snapkv@256, alternating. Prints the runs as CSV and the
# per-step and end-to-end tables as markdown.
#
#   bench/llamacpp_side_by_side.sh --llama-cli PATH [--build DIR] [--model-dir DIR]
#       [--with-4096 | --lengths LIST] [--rounds N] [--threads N] [--csv FILE]
#
# Prompt lengths are 512, 1024 and 2048 tokens; --with-4096 adds 4096 (llama.cpp alone takes
# several minutes there); --lengths replaces them (comma-separated).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
LLAMA_CLI=${LLAMA_DIFFUSION_CLI:-}
BUILD=build
MODEL=/tmp/maskkv-llamacpp-llada-117m
LENGTHS="512,1024,2048"
ROUNDS=1
THREADS=2
CSV=bench-llamacpp.csv
while [ $# -gt 0 ]; do
  case "$1" in
    --llama-cli) LLAMA_CLI=${2:?--llama-cli needs a path}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --model-dir) MODEL=${2:?--model-dir needs a directory}; shift 2 ;;
    --with-4096) LENGTHS="$LENGTHS,4096"; shift ;;
    --lengths) LENGTHS=${2:?--lengths needs a comma-separated list}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --csv) CSV=${2:?--csv needs a file}; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option $1" >&2; usage >&2 ;;
  esac
done
[ -n "$LLAMA_CLI" ] || { echo "give --llama-cli PATH (or LLAMA_DIFFUSION_CLI) of llama-diffusion-cli" >&2; exit 2; }
[ -x "$LLAMA_CLI" ] || { echo "$LLAMA_CLI is not an executable" >&2; exit 2; }
[ -x "$BUILD/maskkv" ] || { echo "$BUILD/maskkv not found: build maskkv first (bash tools/setup.sh)" >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1

if [ ! -f "$MODEL/model.gguf" ]; then
  /usr/bin/python3 bench/llamacpp_fixture.py model "$MODEL" >&2
fi
for n in ${LENGTHS//,/ }; do
  [ -f "$MODEL/prompt-$n.ids" ] || /usr/bin/python3 bench/llamacpp_fixture.py prompt "$MODEL" "$n"
done

# The MaskKV profile: calibrated on four 1024-token prompts of the same random byte tokens.
PROFILE="$MODEL/profile.json"
if [ ! -f "$PROFILE" ]; then
  CALIB="$MODEL/calibration.jsonl"
  /usr/bin/python3 - "$MODEL" > "$CALIB" <<'PY'
import json, random, sys
sys.path.insert(0, "bench")
from llamacpp_fixture import BOS, PROMPT_ALPHABET
for k in range(4):
    rng = random.Random(1000 + k)
    print(json.dumps({"prompt_ids": [BOS] + [ord(rng.choice(PROMPT_ALPHABET)) for _ in range(1023)]}))
PY
  "$BUILD/maskkv" calibrate --model "$MODEL" --data "$CALIB" --out "$PROFILE" --gen-length 32 \
    --threads "$THREADS" >&2
fi

/usr/bin/python3 bench/llamacpp_side_by_side.py --llama-cli "$LLAMA_CLI" --maskkv "$BUILD/maskkv" \
  --model-dir "$MODEL" --profile "$PROFILE" --lengths "$LENGTHS" --threads "$THREADS" \
  --rounds "$ROUNDS" --csv "$CSV"
