// AVX2 reads of Q8_0 / Q4_0 weight blocks (core/quant_blocks.h) shared by the quantized GEMM
// kernels. Everything here is in an unnamed namespace: each kernel file gets its own copy, so
// the copy in the AVX512-VNNI file can never stand in for the baseline one at link time.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/dtype.h"
#include "core/quant_blocks.h"

namespace maskkv::cpu {
namespace {

template <DType T>
constexpr int64_t kBlockBytes = T == DType::q8_0 ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0);

// The 32 signed weights of a block (Q4_0: low nibbles are elements 0-15, high nibbles 16-31,
// each minus 8).
template <DType T>
inline __m256i load_weights(const uint8_t* blk) {
  if constexpr (T == DType::q8_0) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
  } else {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
    const __m128i nib = _mm_set1_epi8(0x0F);
    const __m256i v = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b, 4), nib), _mm_and_si128(b, nib));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
  }
}

// The block's f16 scale d as a float.
inline float block_scale(const uint8_t* blk) {
  uint16_t h;
  std::memcpy(&h, blk, 2);
  return _cvtsh_ss(h);
}

}  // namespace
}  // namespace maskkv::cpu
