#include "core/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/block_simd_avx2.h"
#include "core/error.h"
#include "core/quant_blocks.h"

namespace maskkv {

namespace {

// One Q8_0 block's values, q = roundf(x * id) (halves away from zero, as ggml's quantizer rounds),
// and the block's largest magnitude. With AVX2 (the x86-64 build's baseline) eight values at a
// time: v - trunc(v) is exact, so comparing its magnitude with 0.5 decides exactly as roundf.
// A libm call per value made quantizing at load several times slower.
#if defined(__AVX2__)
float block_amax(const float* x) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m256 m = _mm256_setzero_ps();
  for (int j = 0; j < kQuantBlock; j += 8) m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(x + j), abs_mask));
  return hmax8(m);
}

void round_block(const float* x, float id, int8_t* q) {
  const __m256 scale = _mm256_set1_ps(id), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256i r[4];
  for (int i = 0; i < 4; ++i) {
    const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + 8 * i), scale);
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 away = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(v, t)), half, _CMP_GE_OQ);
    const __m256 step = _mm256_and_ps(away, _mm256_or_ps(one, _mm256_and_ps(v, sign)));
    r[i] = _mm256_cvttps_epi32(_mm256_add_ps(t, step));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), pack_ordered_bytes(r));
}
#else
float block_amax(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kQuantBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
  return amax;
}

void round_block(const float* x, float id, int8_t* q) {
  for (int j = 0; j < kQuantBlock; ++j) q[j] = static_cast<int8_t>(std::round(x[j] * id));
}
#endif

}  // namespace

void quantize_row_q8_0(const float* x, void* dst, int64_t n) {
  auto* out = static_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < n / kQuantBlock; ++b, x += kQuantBlock) {
    const float d = block_amax(x) / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ8_0 blk;
    blk.d = f32_to_f16(d);
    round_block(x, id, blk.qs);
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
