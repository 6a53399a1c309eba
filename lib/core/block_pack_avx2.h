// Thirty-two int32 values held in four AVX2 registers (values 0-7, 8-15, 16-23, 24-31) as 32
// signed bytes in order, saturating. The packs work within 128-bit lanes, so their output read as
// 4-byte groups is 0,4,1,5,2,6,3,7, and one permutation restores the order. Shared by the weight
// and activation quantizers; only in builds with AVX2 (the x86-64 baseline).
#pragma once

#if defined(__AVX2__)
#include <immintrin.h>

namespace maskkv {

inline __m256i pack_ordered_bytes(const __m256i (&v)[4]) {
  const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

}  // namespace maskkv
#endif
