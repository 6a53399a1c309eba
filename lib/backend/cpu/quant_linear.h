// The CPU backend's linear for block-quantized weights (Q8_0, Q4_0) on few activation rows:
// the rows are quantized once, then the int8 kernel (cpu/quant_gemm.h) runs over column chunks
// on the pool. Many-row passes take the backend's dequantize-and-sgemm path instead.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "core/thread_pool.h"

namespace maskkv::cpu {

// Most activation rows for which linear() takes the int8 path: bench/bench_quant_gemm
// --crossover on a Zen 4 (AVX512-VNNI) measured the int8 path ahead of dequantize + OpenBLAS
// sgemm up to 128 rows and level with it at 256 (docs/performance-cpu.md).
constexpr int64_t kQuantGemmMaxRows = 128;

// y[m, n] = x[m, k] W^T (+ bias), W a block-quantized WeightView (cols a multiple of 32).
void quant_linear(ThreadPool& pool, const float* x, int64_t m, const WeightView& w, const float* bias,
                  float* y);

}  // namespace maskkv::cpu
