#!/usr/bin/env bash
# The eviction benchmark of docs/performance-cpu.md: a ~117M-parameter random LLaDA-shaped bf16
# checkpoint, gen_length 32, steps 32, block 8; `none` at 1k/2k/4k prompts and the caching
# policies at 1k..16k, budget 256. Prints a CSV (and writes it to $OUT, default
# bench-policies.csv).
#
#   bench/run_policies.sh [BUILD_DIR] [MODEL_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MODEL=${2:-/tmp/maskkv-llada-117m}
OUT=${OUT:-bench-policies.csv}
NONE_LENGTHS=${NONE_LENGTHS:-"1024 2048 4096"}
LENGTHS=${LENGTHS:-"1024 2048 4096 8192 16384"}
POLICIES=${POLICIES:-"full maskkv maskkv-online snapkv pyramidkv squeezeattention adakv"}
if [ ! -f "$MODEL/model.safetensors" ]; then
  /usr/bin/python3 tools/fixtures/make_random_checkpoint.py --out "$MODEL" --max-seq 20000 >&2
fi
PROFILE="$MODEL/profile.json"
if [ ! -f "$PROFILE" ]; then
  /usr/bin/python3 - "$MODEL" > /tmp/maskkv-calib.jsonl <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1] + "/config.json"))
v = cfg["vocab_size"] - 8
for k in range(4):
    print(json.dumps({"prompt_ids": [(i * 104729 + 31 * k) % v for i in range(1024)]}))
PY
  "$BUILD/maskkv" calibrate --model "$MODEL" --data /tmp/maskkv-calib.jsonl --out "$PROFILE" --gen-length 32 >&2
fi
BIN="$BUILD/bench/bench_policies"
"$BIN" "$MODEL" --policy none --prompt 16 --gen 8 --steps 8 --block 8 --header | head -1 | tee "$OUT"
for n in $NONE_LENGTHS; do "$BIN" "$MODEL" --policy none --prompt "$n" | tee -a "$OUT"; done
for n in $LENGTHS; do
  for p in $POLICIES; do
    case "$p" in
      maskkv) "$BIN" "$MODEL" --policy maskkv --profile "$PROFILE" --prompt "$n" ;;
      maskkv-online) "$BIN" "$MODEL" --policy maskkv --prompt "$n" | sed 's/^maskkv,/maskkv-online,/' ;;
      *) "$BIN" "$MODEL" --policy "$p" --prompt "$n" ;;
    esac | tee -a "$OUT"
  done
done
