#include "core/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/quant_blocks.h"

namespace maskkv {

void quantize_row_q8_0(const float* x, void* dst, int64_t n) {
  auto* out = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kQuantBlock; ++b, x += kQuantBlock) {
    float amax = 0.0f;
    for (int j = 0; j < kQuantBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ8_0 blk;
    blk.d = f32_to_f16(d);
    for (int j = 0; j < kQuantBlock; ++j) blk.qs[j] = static_cast<int8_t>(std::round(x[j] * id));
    std::memcpy(out + b, &blk, sizeof(blk));
  }
}

void quantize_row_q4_0(const float* x, void* dst, int64_t n) {
  auto* out = static_cast<BlockQ4_0*>(dst);
  for (int64_t b = 0; b < n / kQuantBlock; ++b, x += kQuantBlock) {
    // The value of largest magnitude maps to q = 0 (x = -8 d): d takes its sign, so the full
    // range -8..7 serves the side where the extreme lies.
    float amax = 0.0f, extreme = 0.0f;
    for (int j = 0; j < kQuantBlock; ++j)
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        extreme = x[j];
      }
    const float d = extreme / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_0 blk;
    blk.d = f32_to_f16(d);
    for (int j = 0; j < kQuantBlock / 2; ++j) {
      const int lo = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int hi = std::min(15, static_cast<int>(x[j + kQuantBlock / 2] * id + 8.5f));
      blk.qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
    std::memcpy(out + b, &blk, sizeof(blk));
  }
}

void dequantize_row_q8_0(const void* src, float* y, int64_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kQuantBlock; ++b, y += kQuantBlock) {
    BlockQ8_0 blk;
    std::memcpy(&blk, in + b * sizeof(BlockQ8_0), sizeof(blk));
    const float d = f16_to_f32(blk.d);
    for (int j = 0; j < kQuantBlock; ++j) y[j] = d * static_cast<float>(blk.qs[j]);
  }
}

void dequantize_row_q4_0(const void* src, float* y, int64_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  for (int64_t b = 0; b < n / kQuantBlock; ++b, y += kQuantBlock) {
    BlockQ4_0 blk;
    std::memcpy(&blk, in + b * sizeof(BlockQ4_0), sizeof(blk));
    const float d = f16_to_f32(blk.d);
    for (int j = 0; j < kQuantBlock / 2; ++j) {
      y[j] = d * static_cast<float>((blk.qs[j] & 0x0F) - 8);
      y[j + kQuantBlock / 2] = d * static_cast<float>((blk.qs[j] >> 4) - 8);
    }
  }
}

void quantize_row(DType to, const float* x, void* dst, int64_t n) {
  if (n % kQuantBlock != 0)
    fail(Code::invalid_argument, "cannot quantize a row of " + std::to_string(n) +
                                     " values: block formats need a multiple of 32");
  if (to == DType::q8_0) return quantize_row_q8_0(x, dst, n);
  if (to == DType::q4_0) return quantize_row_q4_0(x, dst, n);
  fail(Code::invalid_argument, std::string("quantize_row: ") + dtype_name(to) + " is not a block dtype");
}

}  // namespace maskkv
