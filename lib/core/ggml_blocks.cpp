#include "core/ggml_blocks.h"

#include <cstring>

#include "core/dtype.h"
#include "core/error.h"
#include "core/quantize.h"

namespace maskkv::ggml {

namespace {

// Blocks are copied out before use: a block inside a mapped file need not be aligned for its
// 16-bit fields.
template <class Block>
Block load(const uint8_t* p) {
  Block b;
  std::memcpy(&b, p, sizeof(Block));
  return b;
}

void q4_k(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const auto b = load<BlockQ4_K>(src + i * sizeof(BlockQ4_K));
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    const uint8_t* q = b.qs;
    for (int j = 0; j < kQK_K / 64; ++j, q += 32) {
      uint8_t sc, m;
      q4_k_scale_min(b.scales, 2 * j, sc, m);
      const float d1 = d * sc, m1 = dmin * m;
      q4_k_scale_min(b.scales, 2 * j + 1, sc, m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void q6_k(const uint8_t* src, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const auto b = load<BlockQ6_K>(src + i * sizeof(BlockQ6_K));
    const float d = f16_to_f32(b.d);
    const uint8_t* ql = b.ql;
    const uint8_t* qh = b.qh;
    const int8_t* sc = b.scales;
    for (int n = 0; n < kQK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
    }
  }
}

}  // namespace

const char* type_name(uint32_t id) {
  static const char* const kNames[] = {
      "F32",    "F16",     "Q4_0",    "Q4_1",   "Q4_2",   "Q4_3",   "Q5_0",      "Q5_1",
      "Q8_0",   "Q8_1",    "Q2_K",    "Q3_K",   "Q4_K",   "Q5_K",   "Q6_K",      "Q8_K",
      "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",  "IQ4_NL", "IQ3_S",  "IQ2_S",     "IQ4_XS",
      "I8",     "I16",     "I32",     "I64",    "F64",    "IQ1_M",  "BF16",      "Q4_0_4_4",
      "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4",
      "NVFP4",  "Q1_0",    "Q2_0"};
  return id < sizeof(kNames) / sizeof(kNames[0]) ? kNames[id] : nullptr;
}

bool block_shape(uint32_t id, int64_t& elements, size_t& bytes) {
  switch (static_cast<Type>(id)) {
    case Type::f32: elements = 1; bytes = 4; return true;
    case Type::f16:
    case Type::bf16: elements = 1; bytes = 2; return true;
    case Type::q8_0: elements = 32; bytes = sizeof(BlockQ8_0); return true;
    case Type::q4_0: elements = 32; bytes = sizeof(BlockQ4_0); return true;
    case Type::q4_k: elements = kQK_K; bytes = sizeof(BlockQ4_K); return true;
    case Type::q6_k: elements = kQK_K; bytes = sizeof(BlockQ6_K); return true;
  }
  return false;
}

void q4_k_scale_min(const uint8_t s[12], int j, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

void to_f32(uint32_t id, const void* src, float* dst, int64_t n) {
  int64_t block = 0;
  size_t bytes = 0;
  if (!block_shape(id, block, bytes) || n % block != 0)
    fail(Code::internal, "ggml::to_f32: type " + std::to_string(id) + " with " + std::to_string(n) + " elements");
  const auto* p = static_cast<const uint8_t*>(src);
  const int64_t nb = n / block;
  switch (static_cast<Type>(id)) {
    case Type::f32: std::memcpy(dst, p, static_cast<size_t>(n) * 4); return;
    case Type::f16: convert_to_f32(DType::f16, p, dst, static_cast<size_t>(n)); return;
    case Type::bf16: convert_to_f32(DType::bf16, p, dst, static_cast<size_t>(n)); return;
    case Type::q8_0: dequantize_row_q8_0(p, dst, n); return;
    case Type::q4_0: dequantize_row_q4_0(p, dst, n); return;
    case Type::q4_k: q4_k(p, dst, nb); return;
    case Type::q6_k: q6_k(p, dst, nb); return;
  }
}

}  // namespace maskkv::ggml
