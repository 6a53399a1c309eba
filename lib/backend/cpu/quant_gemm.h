// Weight-only quantized GEMM for few activation rows: y[m, n] = x[m, k] W^T with W in Q8_0 or
// Q4_0 (core/quant_blocks.h). Each activation row is quantized to signed 8-bit blocks of 32
// with one f32 scale per block (as ggml's q8 activation path does), stored biased by +128 as
// unsigned bytes; a column is then a sum over blocks of scale_x * scale_w * (integer dot).
//
// Three implementations of the same arithmetic: a portable scalar reference, AVX2 (the build's
// baseline) and AVX512-VNNI (vpdpbusd; compiled with its own -m flags, used only when the CPU
// reports the instructions). The integer dots are exact in all three; only the order of the
// f32 accumulation differs.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace maskkv::cpu {

// Activation rows quantized for the kernels.
struct QuantActivations {
  const uint8_t* q = nullptr;  // [m, k]: q + 128 per value, q in [-127, 127]
  const float* d = nullptr;    // [m, k / 32]: the scale of each block
  int64_t m = 0, k = 0;
};

// The weight operand: n rows of k values in a block dtype (rows of k / 32 blocks).
struct QuantWeights {
  DType dtype = DType::q8_0;
  const uint8_t* data = nullptr;
  int64_t k = 0;
};

// Quantizes rows [r0, r1) of x [*, k] (k a multiple of 32) into q / d laid out as in
// QuantActivations.
void quantize_activations(const float* x, int64_t k, int64_t r0, int64_t r1, uint8_t* q, float* d);

// y[i * ldy + j] = sum over the row for every activation row i and weight row j in [c0, c1).
using QuantGemmFn = void (*)(const QuantActivations& x, const QuantWeights& w, int64_t c0,
                             int64_t c1, float* y, int64_t ldy);
void quant_gemm_ref(const QuantActivations&, const QuantWeights&, int64_t, int64_t, float*, int64_t);
void quant_gemm_avx2(const QuantActivations&, const QuantWeights&, int64_t, int64_t, float*, int64_t);
void quant_gemm_vnni(const QuantActivations&, const QuantWeights&, int64_t, int64_t, float*, int64_t);

// quant_gemm_vnni runs only where cpu::has_avx512_vnni() (cpu_features.h) says so.
// The fastest implementation this CPU runs, chosen once; its name ("vnni", "avx2").
QuantGemmFn quant_gemm_best();
const char* quant_gemm_best_name();

}  // namespace maskkv::cpu
