// Storage dtypes of weights and their conversion to f32 (activations are always f32 on CPU).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace maskkv {

enum class DType : int { f32 = 0, bf16 = 1, f16 = 2 };

inline size_t dtype_size(DType t) { return t == DType::f32 ? 4 : 2; }
const char* dtype_name(DType t);

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Round to nearest even, as PyTorch does (NaN stays NaN).
inline uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// dst[i] = float(src[i]) for n elements of dtype t (vectorised where the CPU allows).
void convert_to_f32(DType t, const void* src, float* dst, size_t n);

}  // namespace maskkv
