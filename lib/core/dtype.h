// Storage dtypes of weights and their conversion to f32 (activations are always f32 on CPU).
// f32/bf16/f16 are element types; q8_0/q4_0 are ggml's block formats (core/quant_blocks.h),
// whose rows are a whole number of 32-value blocks; q8_0_x16/q4_0_x16 hold the same blocks with
// 16 rows interleaved (core/quant_interleave.h), the CPU backend's layout for its VNNI kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace maskkv {

enum class DType : int { f32 = 0, bf16 = 1, f16 = 2, q8_0 = 3, q4_0 = 4, q8_0_x16 = 5, q4_0_x16 = 6 };

// Bytes per element of an element dtype (not meaningful for block dtypes: use dtype_row_bytes).
inline size_t dtype_size(DType t) { return t == DType::f32 ? 4 : 2; }
inline bool dtype_is_interleaved(DType t) { return t == DType::q8_0_x16 || t == DType::q4_0_x16; }
inline bool dtype_is_block(DType t) { return t == DType::q8_0 || t == DType::q4_0 || dtype_is_interleaved(t); }
// Bytes of a row of n values; for a block dtype n must be a multiple of 32 (an interleaved
// matrix takes this per row too, though its rows are not contiguous).
inline size_t dtype_row_bytes(DType t, int64_t n) {
  if (t == DType::q8_0 || t == DType::q8_0_x16) return static_cast<size_t>(n / 32) * 34;
  if (t == DType::q4_0 || t == DType::q4_0_x16) return static_cast<size_t>(n / 32) * 18;
  return static_cast<size_t>(n) * dtype_size(t);
}
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

// dst[i] = float(src[i]) for n elements of dtype t (vectorised where the CPU allows); for a
// block dtype src starts at a block and n is a multiple of 32. Interleaved dtypes are refused
// (Code::internal): their rows are read a group at a time (dequantize_group).
void convert_to_f32(DType t, const void* src, float* dst, size_t n);

}  // namespace maskkv
