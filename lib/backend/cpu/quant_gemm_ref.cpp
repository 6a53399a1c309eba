// The portable reference of the quantized GEMM (cpu/quant_gemm.h) and the activation quantizer
// every implementation shares.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/quant_gemm.h"
#include "core/quant_blocks.h"

namespace maskkv::cpu {

void quantize_activations(const float* x, int64_t k, int64_t r0, int64_t r1, uint8_t* q, float* d) {
  const int64_t nb = k / kQuantBlock;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t b = 0; b < nb; ++b) {
      const float* xs = x + r * k + b * kQuantBlock;
      float amax = 0.0f;
      bool finite = true;
      for (int j = 0; j < kQuantBlock; ++j) {
        amax = std::max(amax, std::fabs(xs[j]));
        finite = finite && std::isfinite(xs[j]);
      }
      uint8_t* qs = q + r * k + b * kQuantBlock;
      if (!finite) {
        // NaN/Inf must reach the output as NaN (sessions reject NaN logits), not as bytes.
        d[r * nb + b] = std::numeric_limits<float>::quiet_NaN();
        std::memset(qs, 128, kQuantBlock);
        continue;
      }
      const float scale = amax / 127.0f;
      const float inv = scale != 0.0f ? 127.0f / amax : 0.0f;
      d[r * nb + b] = scale;
      for (int j = 0; j < kQuantBlock; ++j)
        qs[j] = static_cast<uint8_t>(static_cast<int>(std::nearbyint(xs[j] * inv)) + 128);
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

}  // namespace maskkv::cpu
