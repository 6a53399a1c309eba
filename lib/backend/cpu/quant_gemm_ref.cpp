// The portable references of the quantized GEMMs (cpu/quant_gemm.h), plain and interleaved, and
// the activation quantizers every implementation shares.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/quant_gemm.h"
#include "core/quant_blocks.h"
#include "core/quant_interleave.h"

namespace maskkv::cpu {

namespace {

// Quantizes the 32 values at xs: put(j, q) receives each rounded value q in [-127, 127] (nearest,
// ties to even); returns the block's scale. A block holding NaN or Inf puts zeros and returns
// NaN, so that the non-finite value reaches the output as NaN (sessions reject NaN logits), not
// as bytes. A block whose largest magnitude is so small that 127 / amax overflows (below about
// 4e-37, zeros included) is all zeros with scale 0.
template <class Put>
float quantize_block(const float* xs, Put put) {
  float amax = 0.0f;
  bool finite = true;
  for (int j = 0; j < kQuantBlock; ++j) {
    amax = std::max(amax, std::fabs(xs[j]));
    finite = finite && std::isfinite(xs[j]);
  }
  if (!finite) {
    for (int j = 0; j < kQuantBlock; ++j) put(j, 0);
    return std::numeric_limits<float>::quiet_NaN();
  }
  const float inv = 127.0f / amax;
  if (!std::isfinite(inv)) {
    for (int j = 0; j < kQuantBlock; ++j) put(j, 0);
    return 0.0f;
  }
  for (int j = 0; j < kQuantBlock; ++j) put(j, static_cast<int>(std::nearbyint(xs[j] * inv)));
  return amax / 127.0f;
}

}  // namespace

void quantize_activations_ref(const float* x, int64_t k, int64_t r0, int64_t r1, uint8_t* q, float* d) {
  const int64_t nb = k / kQuantBlock;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t* qs = q + r * k + b * kQuantBlock;
      d[r * nb + b] = quantize_block(x + r * k + b * kQuantBlock, [qs](int j, int v) { qs[j] = static_cast<uint8_t>(v + 128); });
    }
}

void quantize_rows_ref(const float* x, int64_t k, int64_t r0, int64_t r1, int8_t* q, float* d, int32_t* sum) {
  const int64_t nb = k / kQuantBlock;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      int8_t* qs = q + r * k + b * kQuantBlock;
      int32_t s = 0;
      d[r * nb + b] = quantize_block(x + r * k + b * kQuantBlock, [qs, &s](int j, int v) {
        qs[j] = static_cast<int8_t>(v);
        s += v;
      });
      sum[r * nb + b] = s;
    }
}

namespace {

// The 32 signed weights and the scale of block b of weight row j.
float weight_block(const QuantWeights& w, int64_t j, int64_t b, int (&v)[kQuantBlock]) {
  const int64_t nb = w.k / kQuantBlock;
  if (w.dtype == DType::q8_0) {
    BlockQ8_0 blk;
    std::memcpy(&blk, w.data + (j * nb + b) * sizeof(BlockQ8_0), sizeof(blk));
    for (int t = 0; t < kQuantBlock; ++t) v[t] = blk.qs[t];
    return f16_to_f32(blk.d);
  }
  BlockQ4_0 blk;
  std::memcpy(&blk, w.data + (j * nb + b) * sizeof(BlockQ4_0), sizeof(blk));
  for (int t = 0; t < kQuantBlock / 2; ++t) {
    v[t] = (blk.qs[t] & 0x0F) - 8;
    v[t + kQuantBlock / 2] = (blk.qs[t] >> 4) - 8;
  }
  return f16_to_f32(blk.d);
}

}  // namespace

void quant_gemm_ref(const QuantActivations& x, const QuantWeights& w, int64_t c0, int64_t c1,
                    float* y, int64_t ldy) {
  const int64_t nb = w.k / kQuantBlock;
  int v[kQuantBlock];
  for (int64_t j = c0; j < c1; ++j)
    for (int64_t i = 0; i < x.m; ++i) {
      float sum = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        const float dw = weight_block(w, j, b, v);
        const uint8_t* qs = x.q + i * x.k + b * kQuantBlock;
        int32_t dot = 0;
        for (int t = 0; t < kQuantBlock; ++t) dot += (static_cast<int>(qs[t]) - 128) * v[t];
        sum += x.d[i * nb + b] * dw * static_cast<float>(dot);
      }
      y[i * ldy + j] = sum;
    }
}

// The interleaved reference reads each weight through the layout's definition
// (core/quant_interleave.h), independently of how the SIMD kernels walk it.
void quant_gemm_x16_ref(const QuantRows& x, const QuantWeights& w, int64_t g0, int64_t g1, float* y,
                        int64_t ldy) {
  const int64_t nb = w.k / kQuantBlock;
  const int64_t tile_bytes = interleaved_tile_bytes(w.dtype);
  const bool q8 = w.dtype == DType::q8_0_x16;
  for (int64_t g = g0; g < g1; ++g)
    for (int r = 0; r < kInterleaveRows; ++r)
      for (int64_t i = 0; i < x.m; ++i) {
        float sum = 0.0f;
        for (int64_t b = 0; b < nb; ++b) {
          const uint8_t* tile = w.data + (g * nb + b) * tile_bytes;
          uint16_t h;
          std::memcpy(&h, tile + 2 * r, 2);
          const int8_t* xs = x.q + i * x.k + b * kQuantBlock;
          int32_t dot = 0;
          for (int t = 0; t < kQuantBlock; ++t) {
            const uint8_t byte = tile[kInterleavedScaleBytes + interleaved_value_byte(r, q8 ? t : t % 16)];
            const int v = q8 ? byte - kInterleavedOffset<DType::q8_0_x16>
                             : (t < 16 ? byte & 0x0F : byte >> 4) - kInterleavedOffset<DType::q4_0_x16>;
            dot += v * xs[t];
          }
          sum += x.d[i * nb + b] * f16_to_f32(h) * static_cast<float>(dot);
        }
        y[i * ldy + g * kInterleaveRows + r] = sum;
      }
}

}  // namespace maskkv::cpu
