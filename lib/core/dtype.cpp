#include "core/dtype.h"

#include <immintrin.h>

#include "core/error.h"
#include "core/quantize.h"

namespace maskkv {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::bf16: return "BF16";
    case DType::f16: return "F16";
    case DType::q8_0: return "Q8_0";
    case DType::q4_0: return "Q4_0";
    case DType::q8_0_x16: return "Q8_0x16";
    case DType::q4_0_x16: return "Q4_0x16";
  }
  return "?";
}

float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }
uint16_t f32_to_f16(float f) { return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT); }

void convert_to_f32(DType t, const void* src, float* dst, size_t n) {
  size_t i = 0;
  if (t == DType::f32) {
    std::memcpy(dst, src, n * sizeof(float));
    return;
  }
  if (t == DType::q8_0) return dequantize_row_q8_0(src, dst, static_cast<int64_t>(n));
  if (t == DType::q4_0) return dequantize_row_q4_0(src, dst, static_cast<int64_t>(n));
  if (dtype_is_interleaved(t))
    fail(Code::internal, std::string("convert_to_f32: ") + dtype_name(t) + " rows are interleaved; use dequantize_group");
  const uint16_t* s = static_cast<const uint16_t*>(src);
  if (t == DType::bf16) {
    for (; i + 8 <= n; i += 8) {
      __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      __m256i w = _mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16);
      _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(w));
    }
    for (; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
  } else {
    for (; i + 8 <= n; i += 8) {
      __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; ++i) dst[i] = f16_to_f32(s[i]);
  }
}

}  // namespace maskkv
