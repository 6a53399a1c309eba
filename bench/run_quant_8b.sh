#!/usr/bin/env bash
# Cached denoising steps of an 8B-shaped checkpoint with its weights as stored (bf16), quantized
# to Q8_0 and to Q4_0 at load: one process per weight type, so that each peak RSS is its own.
# Prints a markdown table: load seconds, prefill (the first step), seconds per step after it,
# the maximum resident set from /usr/bin/time -v and the engine's own peak RSS.
#
#   bench/run_quant_8b.sh BUILD_DIR MODEL_DIR [THREADS]
#
# The checkpoint (16 GB in bf16):
#   /usr/bin/python3 tools/fixtures/make_random_checkpoint.py --out /tmp/llada-8b --d-model 4096 \
#       --layers 32 --heads 32 --mlp 12288 --vocab 126464 --max-seq 4096 --tiled --dtype BF16
# Decoding: policy snapkv, budget 256, a 32-token prompt, gen length 32, 32 steps, block 32
# (dLLM-Cache defaults: the steps after the first are cached passes over the response).
set -euo pipefail
build="$1" model="$2" threads="${3:-2}"
bin="$build/bench/bench_policies"
[ -x "$bin" ] || { echo "run_quant_8b: $bin not found (build the bench targets)" >&2; exit 1; }
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
echo "| weights | load s | prefill s | s/step after prefill | max RSS GiB (time -v) | peak_rss_bytes |"
echo "|---|---:|---:|---:|---:|---:|"
for t in auto q8_0 q4_0; do
  line="$(/usr/bin/time -v "$bin" "$model" --policy snapkv --budget 256 --prompt 32 --gen 32 --steps 32 \
          --block 32 --threads "$threads" --weight-type "$t" 2>"$err" | tail -1)"
  load="$(sed -n 's/^load \([0-9.]*\) s.*/\1/p' "$err")"
  kib="$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$err")"
  IFS=, read -r _ _ _ prefill step _ _ _ rss <<<"$line"
  printf "| %s | %s | %s | %s | %.2f | %s |\n" "$t" "$load" "$prefill" "$step" \
    "$(echo "$kib / 1048576" | bc -l)" "$rss"
done
