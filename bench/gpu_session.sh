#!/usr/bin/env bash
# The GPU checks of docs/cuda.md and docs/performance.md on one GPU machine, in one go, each
# step under its own time limit so that a slow step cannot starve the rest: the CUDA tests,
# compute-sanitizer memcheck, the 8B benchmark grid and the PyTorch baseline. Results (logs,
# CSVs) go to $OUT (default ./gpu-results).
#
#   bench/gpu_session.sh BIN_DIR     # BIN_DIR holds maskkv_unit_tests and bench_gpu
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: bench/gpu_session.sh BIN_DIR}
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
step() {  # step NAME SECONDS COMMAND...
  local name=$1 limit=$2
  shift 2
  echo "=== $name (limit ${limit}s)"
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  echo "exit $? ($name)"
  tail -n 25 "$OUT/$name.log"
}
step cuda_tests 120 "$BIN/maskkv_unit_tests" --gtest_filter='Cuda*:*CudaLinear*'
step memcheck 240 compute-sanitizer --tool memcheck "$BIN/maskkv_unit_tests" \
  --gtest_filter='Cuda*:*CudaLinear*:-*MemoryIsAccounted*'
step memcheck_oom 60 compute-sanitizer --tool memcheck --report-api-errors no "$BIN/maskkv_unit_tests" \
  --gtest_filter='*MemoryIsAccounted*'
CSV="$OUT/bench-g32.csv" step bench_g32 900 bench/run_gpu.sh "$BIN/bench_gpu" --ops \
  --lengths 2048,8192,16384,32768 --gens 32
CSV="$OUT/bench-g128.csv" step bench_g128 900 bench/run_gpu.sh "$BIN/bench_gpu" \
  --lengths 2048,8192,16384,32768 --gens 128 --none-max-prompt 16384
step torch_baseline 1200 python3 bench/torch_baseline.py --model "${MODEL:-/tmp/maskkv-llada-8b}" \
  --lengths 2048,8192,16384,32768 --gens 32,128 --csv "$OUT/torch-baseline.csv"
