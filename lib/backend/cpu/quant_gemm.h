// Weight-only quantized GEMM for few activation rows: y[m, n] = x[m, k] W^T with W in Q8_0 or
// Q4_0 (core/quant_blocks.h). Each activation row is quantized to signed 8-bit blocks of 32
// with one f32 scale per block (as ggml's q8 activation path does), stored biased by +128 as
// unsigned bytes; a column is then a sum over blocks of scale_x * scale_w * (integer dot).
//
// Three implementations of the same arithmetic: a portable scalar reference, AVX2 (the build's
// baseline) and AVX512-VNNI (vpdpbusd; compiled with its own -m flags, used only when the CPU
// reports the instructions). The integer dots are exact in all three; only the order of the
// f32 accumulation differs.
//
// On CPUs with AVX512-VNNI the weights are interleaved at load (core/quant_interleave.h) and
// read by a second kernel pair (scalar reference, VNNI) that computes sixteen columns per
// instruction: there the activations are signed bytes and the weights the unsigned operand
// (Q8_0 stored as q + 128, Q4_0 nibbles as stored), and the offset times each activation
// block's sum is subtracted once per block.
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

// Activation rows for the interleaved kernels.
struct QuantRows {
  const int8_t* q = nullptr;     // [m, k]: q in [-127, 127]
  const float* d = nullptr;      // [m, k / 32]: the scale of each block
  const int32_t* sum = nullptr;  // [m, k / 32]: the sum of each block's q
  int64_t m = 0, k = 0;
};

// Quantizes rows [r0, r1) of x [*, k] (k a multiple of 32) into q / d laid out as in
// QuantActivations: per block of 32, scale amax / 127 and each value x * 127 / amax rounded to
// the nearest integer (ties to even). A block holding NaN or Inf gets scale NaN, so its outputs
// are NaN; a block too small for 127 / amax to be finite (zeros included) is zeros with scale 0.
void quantize_activations(const float* x, int64_t k, int64_t r0, int64_t r1, uint8_t* q, float* d);
// The same quantization laid out as in QuantRows (same d; q unbiased; block sums).
void quantize_rows(const float* x, int64_t k, int64_t r0, int64_t r1, int8_t* q, float* d, int32_t* sum);
// Both as portable scalar code: the references the AVX2 quantizers above equal byte for byte.
void quantize_activations_ref(const float* x, int64_t k, int64_t r0, int64_t r1, uint8_t* q, float* d);
void quantize_rows_ref(const float* x, int64_t k, int64_t r0, int64_t r1, int8_t* q, float* d, int32_t* sum);

// y[i * ldy + j] = sum over the row for every activation row i and weight row j in [c0, c1).
using QuantGemmFn = void (*)(const QuantActivations& x, const QuantWeights& w, int64_t c0,
                             int64_t c1, float* y, int64_t ldy);
void quant_gemm_ref(const QuantActivations&, const QuantWeights&, int64_t, int64_t, float*, int64_t);
void quant_gemm_avx2(const QuantActivations&, const QuantWeights&, int64_t, int64_t, float*, int64_t);
void quant_gemm_vnni(const QuantActivations&, const QuantWeights&, int64_t, int64_t, float*, int64_t);

// y[i * ldy + j] for every activation row i and every column j of the 16-row groups [g0, g1)
// of an interleaved weight (w.dtype q8_0_x16 or q4_0_x16).
using InterleavedGemmFn = void (*)(const QuantRows& x, const QuantWeights& w, int64_t g0, int64_t g1,
                                   float* y, int64_t ldy);
void quant_gemm_x16_ref(const QuantRows&, const QuantWeights&, int64_t, int64_t, float*, int64_t);
void quant_gemm_x16_vnni(const QuantRows&, const QuantWeights&, int64_t, int64_t, float*, int64_t);
// AMX tile products.
void quant_gemm_x16_amx(const QuantRows&, const QuantWeights&, int64_t, int64_t, float*, int64_t);

// True where the CPU backend interleaves block weights at load: the CPU has AVX512-VNNI.
bool quant_weights_interleaved();

// Activation rows from which the AMX kernel runs instead of the VNNI one, per interleaved dtype:
// below, its fixed cost per block (tile loads, products stored and read back) outweighs what it
// saves. Measured as a cached step meets the kernels, weights streamed from memory by 2 threads
// (`bench_quant_gemm --kernels --streamed`, 2-core Xeon with AMX, 4096 x 4096): AMX ahead from
// 3 rows for Q8_0 and from 6 for Q4_0 (docs/performance-cpu.md).
constexpr int64_t amx_min_rows(DType interleaved) { return interleaved == DType::q8_0_x16 ? 3 : 6; }

// The interleaved kernel for m activation rows of a weight in `interleaved` on this CPU.
InterleavedGemmFn interleaved_gemm_for(DType interleaved, int64_t m);

// quant_gemm_vnni and quant_gemm_x16_vnni run only where cpu::has_avx512_vnni()
// (cpu_features.h) says so, quant_gemm_x16_amx only where cpu::has_amx_int8() does.
// The fastest implementation this CPU runs, chosen once; its name ("vnni", "avx2").
QuantGemmFn quant_gemm_best();
const char* quant_gemm_best_name();

}  // namespace maskkv::cpu
