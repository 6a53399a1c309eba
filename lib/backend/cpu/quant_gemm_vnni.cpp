// The quantized GEMM (cpu/quant_gemm.h) with AVX512-VNNI on 256-bit vectors: one block of 32
// values is one vector. vpdpbusd multiplies unsigned by signed bytes; the activations are
// stored biased (x + 128), so the weights' contribution 128 * sum(w) is computed once per weight
// block and subtracted by starting the accumulator at its negation. Called only when the CPU has
// AVX512-VNNI (cpu::has_avx512_vnni, cpu_features.h).
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "backend/cpu/quant_gemm.h"
#include "backend/cpu/quant_block_simd.h"
#include "backend/cpu/vec_math.h"
#include "core/quant_blocks.h"

// The AVX-512 instructions are enabled for the code below only, not with -m flags for the whole
// file: the standard-library and project inline functions included above (std::vector's among
// them) are instantiated in other files too, the linker keeps one copy of each, and a copy
// compiled for AVX-512 here would stop a CPU without it in code that never checked the CPU.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))), \
                             apply_to = function)
#else
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni")
#endif

namespace maskkv::cpu {

namespace {

// R activation rows x C weight rows, over all k. The products of the two block scales are
// formed first, eight blocks per multiply, so that the inner loop is three instructions per
// block and pair of rows: vpdpbusd, the conversion to f32 and one FMA with a broadcast scale.
template <DType T, int R, int C>
void tile(const QuantActivations& x, int64_t r0, const uint8_t* w0, int64_t wrow, const float* dw, float* scales,
          float* y, int64_t ldy) {
  const int64_t nb = x.k / kQuantBlock;
  const float* xd = x.d + r0 * nb;
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      float* s = scales + (r * C + c) * nb;
      const float* a = xd + r * nb;
      const float* b = dw + c * nb;
      int64_t i = 0;
      for (; i + 8 <= nb; i += 8) _mm256_storeu_ps(s + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
      for (; i < nb; ++i) s[i] = a[i] * b[i];
    }
  __m256 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  const uint8_t* xq = x.q + r0 * x.k;
  for (int64_t b = 0; b < nb; ++b) {
    __m256i wv[C], neg[C];
    for (int c = 0; c < C; ++c) {
      wv[c] = load_weights<T>(w0 + c * wrow + b * kBlockBytes<T>);
      neg[c] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), bias, wv[c]));
    }
    for (int r = 0; r < R; ++r) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + r * x.k + b * kQuantBlock));
      for (int c = 0; c < C; ++c) {
        const __m256 dot = _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(neg[c], xv, wv[c]));
        acc[r][c] = _mm256_fmadd_ps(dot, _mm256_set1_ps(scales[(r * C + c) * nb + b]), acc[r][c]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) y[(r0 + r) * ldy + c] = hsum8(acc[r][c]);
}

constexpr int kRows = 4;

template <DType T, int C>
void rows(const QuantActivations& x, const uint8_t* w0, int64_t wrow, float* y, int64_t ldy, float* dw,
          float* scales) {
  const int64_t nb = x.k / kQuantBlock;
  for (int c = 0; c < C; ++c)
    for (int64_t b = 0; b < nb; ++b) dw[c * nb + b] = block_scale(w0 + c * wrow + b * kBlockBytes<T>);
  int64_t r = 0;
  for (; r + kRows <= x.m; r += kRows) tile<T, kRows, C>(x, r, w0, wrow, dw, scales, y, ldy);
  switch (x.m - r) {
    case 3: tile<T, 3, C>(x, r, w0, wrow, dw, scales, y, ldy); break;
    case 2: tile<T, 2, C>(x, r, w0, wrow, dw, scales, y, ldy); break;
    case 1: tile<T, 1, C>(x, r, w0, wrow, dw, scales, y, ldy); break;
    default: break;
  }
}

constexpr int kCols = 4;

template <DType T>
void gemm(const QuantActivations& x, const QuantWeights& w, int64_t c0, int64_t c1, float* y, int64_t ldy) {
  const int64_t nb = w.k / kQuantBlock;
  const int64_t wrow = nb * kBlockBytes<T>;
  // Per call: the weight scales of a column group and the scale products of a tile.
  std::vector<float> dw(static_cast<size_t>(kCols * nb)), scales(static_cast<size_t>(kRows * kCols * nb));
  int64_t j = c0;
  for (; j + kCols <= c1; j += kCols) rows<T, kCols>(x, w.data + j * wrow, wrow, y + j, ldy, dw.data(), scales.data());
  for (; j < c1; ++j) rows<T, 1>(x, w.data + j * wrow, wrow, y + j, ldy, dw.data(), scales.data());
}

}  // namespace

void quant_gemm_vnni(const QuantActivations& x, const QuantWeights& w, int64_t c0, int64_t c1,
                     float* y, int64_t ldy) {
  if (w.dtype == DType::q8_0)
    gemm<DType::q8_0>(x, w, c0, c1, y, ldy);
  else
    gemm<DType::q4_0>(x, w, c0, c1, y, ldy);
}

}  // namespace maskkv::cpu

#if defined(__clang__)
#pragma clang attribute pop
#endif
