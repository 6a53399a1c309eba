// The activation quantizers of cpu/quant_gemm.h with AVX2, the build's baseline: the same
// arithmetic as the scalar references in quant_gemm_ref.cpp (one f32 division for 127 / amax,
// one f32 product per value, rounding to nearest even as vcvtps2dq does under the default
// rounding mode), so the bytes, scales and sums are identical.
#include <immintrin.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/quant_gemm.h"
#include "backend/cpu/vec_math.h"
#include "core/block_simd_avx2.h"
#include "core/quant_blocks.h"

namespace maskkv::cpu {

namespace {

// One block of 32 values: its bytes in order (q in [-127, 127]), the sum of q, and the scale.
struct QuantBlock {
  __m256i q;
  int32_t sum;
  float d;
};

inline QuantBlock quantize_block(const float* x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 v[4], amax = _mm256_setzero_ps();
  int finite = 0xFF;
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm256_loadu_ps(x + 8 * i);
    const __m256 a = _mm256_andnot_ps(sign, v[i]);
    amax = _mm256_max_ps(amax, a);
    // False for NaN (unordered) and for +-Inf.
    finite &= _mm256_movemask_ps(_mm256_cmp_ps(a, _mm256_set1_ps(FLT_MAX), _CMP_LE_OQ));
  }
  if (finite != 0xFF) return {_mm256_setzero_si256(), 0, std::numeric_limits<float>::quiet_NaN()};
  const float m = hmax8(amax);
  const float inv = 127.0f / m;
  if (!std::isfinite(inv)) return {_mm256_setzero_si256(), 0, 0.0f};
  const __m256 scale = _mm256_set1_ps(inv);
  __m256i i32[4];
  for (int i = 0; i < 4; ++i) i32[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], scale));
  const __m256i s = _mm256_add_epi32(_mm256_add_epi32(i32[0], i32[1]), _mm256_add_epi32(i32[2], i32[3]));
  __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
  return {pack_ordered_bytes(i32), _mm_cvtsi128_si32(s4), m / 127.0f};
}

}  // namespace

void quantize_activations(const float* x, int64_t k, int64_t r0, int64_t r1, uint8_t* q, float* d) {
  const int64_t nb = k / kQuantBlock;
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      const QuantBlock blk = quantize_block(x + r * k + b * kQuantBlock);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + r * k + b * kQuantBlock), _mm256_xor_si256(blk.q, bias));
      d[r * nb + b] = blk.d;
    }
}

void quantize_rows(const float* x, int64_t k, int64_t r0, int64_t r1, int8_t* q, float* d, int32_t* sum) {
  const int64_t nb = k / kQuantBlock;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      const QuantBlock blk = quantize_block(x + r * k + b * kQuantBlock);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + r * k + b * kQuantBlock), blk.q);
      d[r * nb + b] = blk.d;
      sum[r * nb + b] = blk.sum;
    }
}

}  // namespace maskkv::cpu
