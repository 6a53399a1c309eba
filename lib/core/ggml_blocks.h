// ggml's tensor types as GGUF files store them: the type ids, the quantized block layouts
// (byte for byte as ggml-common.h defines them) and their conversion to f32 (as ggml's
// dequantize_row_* computes it). Quantized values are stored in blocks of consecutive elements
// of one row; a row holds a whole number of blocks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/quant_blocks.h"

namespace maskkv::ggml {

// ggml_type ids (the values GGUF tensor infos carry).
enum class Type : uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q8_0 = 8,
  q4_k = 12,
  q6_k = 14,
  bf16 = 30,
};

// Elements per super-block of the K-quants.
constexpr int kQK_K = 256;

// Q8_0 and Q4_0: maskkv's own block dtypes, defined once in core/quant_blocks.h.
using maskkv::BlockQ4_0;
using maskkv::BlockQ8_0;
// Q4_K: 256 elements in 8 sub-blocks of 32, each with a 6-bit scale and a 6-bit min packed in
// `scales`; y = d * scale * q - dmin * min, q a 4-bit value (qs: the low nibbles hold the first
// 32 of each 64 elements, the high nibbles the next 32).
struct BlockQ4_K {
  uint16_t d;     // f16, scale of the scales
  uint16_t dmin;  // f16, scale of the mins
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};
// Q6_K: 256 elements in 16 sub-blocks of 16 with int8 scales; y = d * scale * (q - 32), q a
// 6-bit value split into 4 low bits (ql) and 2 high bits (qh).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;  // f16
};

static_assert(sizeof(BlockQ4_K) == 144, "ggml block_q4_K is 144 bytes");
static_assert(sizeof(BlockQ6_K) == 210, "ggml block_q6_K is 210 bytes");

// The name ggml gives a type id ("Q4_K"), for every id ggml has defined (also those maskkv
// does not read); nullptr for an id ggml never used.
const char* type_name(uint32_t id);

// Elements and bytes per block of a type maskkv reads (F32/F16/BF16: a block of 1); false for
// any other id.
bool block_shape(uint32_t id, int64_t& elements, size_t& bytes);

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K block.
void q4_k_scale_min(const uint8_t scales[12], int j, uint8_t& scale, uint8_t& min);

// Converts n elements (a whole number of blocks) of type `id` at `src` (any alignment) to f32.
// Requires block_shape(id) to be true.
void to_f32(uint32_t id, const void* src, float* dst, int64_t n);

}  // namespace maskkv::ggml
