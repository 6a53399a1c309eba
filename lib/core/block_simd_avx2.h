// AVX2 pieces shared by the block quantizers of the core (Q8_0 weights) and of the CPU backend
// (activations, whose vec_math.h re-exports hmax8). Only in builds with AVX2 (the x86-64
// baseline).
#pragma once

#if defined(__AVX2__)
#include <immintrin.h>

namespace maskkv {

// The largest of eight floats.
inline float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Thirty-two int32 values held in four registers (values 0-7, 8-15, 16-23, 24-31) as 32 signed
// bytes in order, saturating. The packs work within 128-bit lanes, so their output read as
// 4-byte groups is 0,4,1,5,2,6,3,7, and one permutation restores the order.
inline __m256i pack_ordered_bytes(const __m256i (&v)[4]) {
  const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

}  // namespace maskkv
#endif
