#!/usr/bin/env bash
# The GPU benchmark of docs/performance.md: an LLaDA-8B-shaped random bf16 checkpoint (32 layers,
# 4096 wide, 32 heads, MLP 12288, vocab 126464, 4k training context: longer prompts use RoPE
# scaling), written by tools/fixtures/make_random_checkpoint.py --tiled, then bench_gpu over the grid.
#
#   bench/run_gpu.sh BENCH_GPU_BINARY [bench_gpu options...]
# Environment: MODEL (default /tmp/maskkv-llada-8b), CSV (default bench-gpu.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: bench/run_gpu.sh BENCH_GPU_BINARY [options]}
shift
MODEL=${MODEL:-/tmp/maskkv-llada-8b}
if [ ! -f "$MODEL/model.safetensors" ]; then
  t0=$(date +%s)
  python3 tools/fixtures/make_random_checkpoint.py --out "$MODEL" --family llada --d-model 4096 --layers 32 \
    --heads 32 --mlp 12288 --vocab 126464 --max-seq 4096 --dtype BF16 --tiled >&2
  echo "checkpoint written in $(( $(date +%s) - t0 )) s" >&2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
"$BIN" "$MODEL" --csv "${CSV:-bench-gpu.csv}" "$@"
