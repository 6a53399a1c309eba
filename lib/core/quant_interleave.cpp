#include "core/quant_interleave.h"

#include <cstring>

#include "core/error.h"

namespace maskkv {

DType interleaved_dtype(DType plain) {
  if (plain == DType::q8_0) return DType::q8_0_x16;
  if (plain == DType::q4_0) return DType::q4_0_x16;
  fail(Code::internal, std::string("no interleaved layout for ") + dtype_name(plain));
}

DType plain_dtype(DType t) {
  if (t == DType::q8_0_x16) return DType::q8_0;
  if (t == DType::q4_0_x16) return DType::q4_0;
  return t;
}

int64_t interleaved_tile_bytes(DType interleaved) {
  if (!dtype_is_interleaved(interleaved))
    fail(Code::internal, std::string(dtype_name(interleaved)) + " is not an interleaved dtype");
  return static_cast<int64_t>(dtype_row_bytes(plain_dtype(interleaved), kQuantBlock)) * kInterleaveRows;
}

void interleave_group(DType plain, const void* src, int64_t k, void* dst) {
  const int64_t nb = k / kQuantBlock;
  const size_t row_bytes = dtype_row_bytes(plain, k), block_bytes = dtype_row_bytes(plain, kQuantBlock);
  const int64_t tile_bytes = interleaved_tile_bytes(interleaved_dtype(plain));
  const auto* in = static_cast<const uint8_t*>(src);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* tile = out + b * tile_bytes;
    for (int r = 0; r < kInterleaveRows; ++r) {
      const uint8_t* blk = in + r * row_bytes + b * block_bytes;
      std::memcpy(tile + 2 * r, blk, 2);
      const uint8_t* qs = blk + 2;
      uint8_t* values = tile + kInterleavedScaleBytes;
      if (plain == DType::q8_0) {
        for (int t = 0; t < kQuantBlock; ++t)
          values[interleaved_value_byte(r, t)] = static_cast<uint8_t>(qs[t] + kInterleavedOffset<DType::q8_0_x16>);
      } else {
        // A plain Q4_0 byte j holds values j and j + 16: already the pair an interleaved byte holds.
        for (int t = 0; t < kQuantBlock / 2; ++t) values[interleaved_value_byte(r, t)] = qs[t];
      }
    }
  }
}

void dequantize_group(DType interleaved, const void* src, int64_t k, float* dst) {
  const int64_t nb = k / kQuantBlock;
  const int64_t tile_bytes = interleaved_tile_bytes(interleaved);
  const auto* in = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* tile = in + b * tile_bytes;
    const uint8_t* q = tile + kInterleavedScaleBytes;
    for (int r = 0; r < kInterleaveRows; ++r) {
      uint16_t h;
      std::memcpy(&h, tile + 2 * r, 2);
      const float d = f16_to_f32(h);
      float* y = dst + r * k + b * kQuantBlock;
      if (interleaved == DType::q8_0_x16) {
        for (int t = 0; t < kQuantBlock; ++t)
          y[t] = d * static_cast<float>(q[interleaved_value_byte(r, t)] - kInterleavedOffset<DType::q8_0_x16>);
      } else {
        for (int t = 0; t < kQuantBlock / 2; ++t) {
          const uint8_t v = q[interleaved_value_byte(r, t)];
          y[t] = d * static_cast<float>((v & 0x0F) - kInterleavedOffset<DType::q4_0_x16>);
          y[t + kQuantBlock / 2] = d * static_cast<float>((v >> 4) - kInterleavedOffset<DType::q4_0_x16>);
        }
      }
    }
  }
}

}  // namespace maskkv
