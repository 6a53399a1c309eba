// The quantized GEMM (cpu/quant_gemm.h) with AVX2, the build's baseline, for CPUs without
// AVX512-VNNI. vpmaddubsw multiplies unsigned by signed bytes into saturating 16-bit pairs, so
// the operands are kept small enough never to saturate: |w| (at most 128) times x carrying w's
// sign (|x| <= 127), as ggml does.
#include <immintrin.h>

#include <cstring>

#include "backend/cpu/quant_gemm.h"
#include "backend/cpu/quant_block_simd.h"
#include "backend/cpu/vec_math.h"
#include "core/quant_blocks.h"

namespace maskkv::cpu {

namespace {

template <DType T, int R, int C>
void tile(const QuantActivations& x, int64_t r0, const uint8_t* w0, int64_t wrow, float* y, int64_t ldy) {
  const int64_t nb = x.k / kQuantBlock;
  __m256 acc[R][C];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  const __m256i unbias = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i ones = _mm256_set1_epi16(1);
  const uint8_t* xq = x.q + r0 * x.k;
  const float* xd = x.d + r0 * nb;
  for (int64_t b = 0; b < nb; ++b) {
    __m256i wv[C], wabs[C];
    __m256 dw[C];
    for (int c = 0; c < C; ++c) {
      const uint8_t* blk = w0 + c * wrow + b * kBlockBytes<T>;
      wv[c] = load_weights<T>(blk);
      wabs[c] = _mm256_abs_epi8(wv[c]);
      dw[c] = _mm256_set1_ps(block_scale(blk));
    }
    for (int r = 0; r < R; ++r) {
      const __m256i xs = _mm256_xor_si256(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + r * x.k + b * kQuantBlock)), unbias);
      const __m256 dx = _mm256_set1_ps(xd[r * nb + b]);
      for (int c = 0; c < C; ++c) {
        const __m256i pairs = _mm256_maddubs_epi16(wabs[c], _mm256_sign_epi8(xs, wv[c]));
        const __m256 dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
        acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(dot, dx), dw[c], acc[r][c]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) y[(r0 + r) * ldy + c] = hsum8(acc[r][c]);
}

template <DType T, int C>
void rows(const QuantActivations& x, const uint8_t* w0, int64_t wrow, float* y, int64_t ldy) {
  int64_t r = 0;
  for (; r + 4 <= x.m; r += 4) tile<T, 4, C>(x, r, w0, wrow, y, ldy);
  switch (x.m - r) {
    case 3: tile<T, 3, C>(x, r, w0, wrow, y, ldy); break;
    case 2: tile<T, 2, C>(x, r, w0, wrow, y, ldy); break;
    case 1: tile<T, 1, C>(x, r, w0, wrow, y, ldy); break;
    default: break;
  }
}

template <DType T>
void gemm(const QuantActivations& x, const QuantWeights& w, int64_t c0, int64_t c1, float* y, int64_t ldy) {
  const int64_t wrow = (w.k / kQuantBlock) * kBlockBytes<T>;
  int64_t j = c0;
  for (; j + 2 <= c1; j += 2) rows<T, 2>(x, w.data + j * wrow, wrow, y + j, ldy);
  if (j < c1) rows<T, 1>(x, w.data + j * wrow, wrow, y + j, ldy);
}

}  // namespace

void quant_gemm_avx2(const QuantActivations& x, const QuantWeights& w, int64_t c0, int64_t c1,
                     float* y, int64_t ldy) {
  if (w.dtype == DType::q8_0)
    gemm<DType::q8_0>(x, w, c0, c1, y, ldy);
  else
    gemm<DType::q4_0>(x, w, c0, c1, y, ldy);
}

}  // namespace maskkv::cpu
