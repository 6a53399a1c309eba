// The two block-quantized weight formats, laid out byte for byte as ggml (llama.cpp, GGUF) lays
// them out, so that GGUF tensors of these types can be used as they are stored.
//
// A row of k values (k a multiple of 32) is k / 32 consecutive blocks; each block holds 32
// values and an IEEE half-precision scale d:
//   Q8_0: d, then 32 signed bytes q[j];                      x[j] = d * q[j]
//   Q4_0: d, then 16 bytes; value j < 16 in the low nibble of byte j, value j + 16 in its high
//         nibble, each an unsigned 4-bit q;                  x[j] = d * (q[j] - 8)
#pragma once

#include <cstdint>

namespace maskkv {

constexpr int kQuantBlock = 32;  // values per block, both formats

struct BlockQ8_0 {
  uint16_t d;  // f16 bits
  int8_t qs[kQuantBlock];
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must be 34 bytes, as in ggml");

struct BlockQ4_0 {
  uint16_t d;  // f16 bits
  uint8_t qs[kQuantBlock / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block must be 18 bytes, as in ggml");

}  // namespace maskkv
