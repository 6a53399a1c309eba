// Q8_0 / Q4_0 block formats: hand-computed blocks (ggml's byte layout), round trips and the
// error bound each format promises.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/dtype.h"
#include "core/error.h"
#include "core/quant_blocks.h"
#include "core/quantize.h"

using namespace maskkv;

namespace {

std::vector<float> random_values(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace

TEST(Quantize, Q8_0HandComputedBlock) {
  // amax = 127 gives d = 1 exactly, so q[j] = round(x[j]).
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j * 8) - 127.0f + 0.2f * (j % 3);
  x[31] = 127.0f;
  uint8_t bytes[34];
  quantize_row_q8_0(x, bytes, 32);
  EXPECT_EQ(bytes[0], 0x00);  // f16 1.0 = 0x3C00, little-endian
  EXPECT_EQ(bytes[1], 0x3C);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(static_cast<int8_t>(bytes[2 + j]), static_cast<int>(std::round(x[j]))) << j;
  float back[32];
  dequantize_row_q8_0(bytes, back, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(back[j], std::round(x[j]));
}

TEST(Quantize, Q8_0RoundsAsRoundf) {
  // d = 1 again (amax 127): halves go away from zero, the float just below a half goes down, as
  // roundf does; then random blocks of several magnitudes against roundf of the same products.
  float x[32] = {127.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 126.5f, -126.5f, 0.49999997f, -0.49999997f,
                 1.4999999f, -1.4999999f, 0.0f, -0.0f, 3.0f, -3.0f};
  uint8_t bytes[34];
  quantize_row_q8_0(x, bytes, 32);
  const int want[17] = {127, 1, -1, 2, -2, 3, -3, 127, -127, 0, 0, 1, -1, 0, 0, 3, -3};
  for (int j = 0; j < 17; ++j) EXPECT_EQ(static_cast<int8_t>(bytes[2 + j]), want[j]) << j;
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float scale : {1e-3f, 1.0f, 37.0f, 1e4f}) {
    std::vector<float> v(32 * 64);
    for (float& e : v) e = dist(rng) * scale;
    std::vector<uint8_t> q(34 * 64);
    quantize_row_q8_0(v.data(), q.data(), static_cast<int64_t>(v.size()));
    for (size_t b = 0; b < 64; ++b) {
      float amax = 0.0f;
      for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(v[b * 32 + j]));
      const float id = 1.0f / (amax / 127.0f);
      for (int j = 0; j < 32; ++j)
        ASSERT_EQ(static_cast<int8_t>(q[b * 34 + 2 + j]), static_cast<int>(std::round(v[b * 32 + j] * id)))
            << scale << " " << b << " " << j;
    }
  }
}

TEST(Quantize, Q4_0HandComputedBlock) {
  // The extreme value -8 gives d = -8 / -8 = 1, so q = x + 8; value j < 16 in the low nibble of
  // byte j, value j + 16 in its high nibble.
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>((j * 5) % 16) - 8.0f;
  uint8_t bytes[18];
  quantize_row_q4_0(x, bytes, 32);
  EXPECT_EQ(bytes[0], 0x00);
  EXPECT_EQ(bytes[1], 0x3C);
  for (int j = 0; j < 16; ++j) {
    const int lo = (j * 5) % 16, hi = ((j + 16) * 5) % 16;
    EXPECT_EQ(bytes[2 + j], lo | (hi << 4)) << j;
  }
  float back[32];
  dequantize_row_q4_0(bytes, back, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(back[j], x[j]) << j;
}

TEST(Quantize, DequantizesHandWrittenGgmlBlocks) {
  // Blocks written byte by byte as ggml stores them: d = 0.5 (f16 0x3800).
  uint8_t q8[34] = {0x00, 0x38};
  for (int j = 0; j < 32; ++j) q8[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j - 16));
  float y[32];
  dequantize_row_q8_0(q8, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * (j - 16)) << j;
  uint8_t q4[18] = {0x00, 0x38};
  for (int j = 0; j < 16; ++j) q4[2 + j] = static_cast<uint8_t>((15 - j) | (j << 4));
  dequantize_row_q4_0(q4, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * ((15 - j) - 8)) << j;
    EXPECT_EQ(y[j + 16], 0.5f * (j - 8)) << j;
  }
  // Through the generic conversion as well (what the CPU backend's dequantizing path calls).
  convert_to_f32(DType::q4_0, q4, y, 32);
  EXPECT_EQ(y[16], -4.0f);
}

TEST(Quantize, RoundTripErrorWithinHalfAStep) {
  const int64_t n = 32 * 37;
  const auto x = random_values(n, 7, 3.0f);
  std::vector<uint8_t> q8(dtype_row_bytes(DType::q8_0, n)), q4(dtype_row_bytes(DType::q4_0, n));
  EXPECT_EQ(q8.size(), 37u * 34u);
  EXPECT_EQ(q4.size(), 37u * 18u);
  quantize_row(DType::q8_0, x.data(), q8.data(), n);
  quantize_row(DType::q4_0, x.data(), q4.data(), n);
  std::vector<float> y8(n), y4(n);
  dequantize_row_q8_0(q8.data(), y8.data(), n);
  dequantize_row_q4_0(q4.data(), y4.data(), n);
  for (int64_t b = 0; b < n / 32; ++b) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    // Half a quantization step, plus the f16 rounding of the scale (relative 2^-11 of amax).
    const float tol8 = amax / 127.0f * 0.5f + amax * 1e-3f;
    const float tol4 = amax / 8.0f * 0.5f + amax * 1e-3f;
    for (int j = 0; j < 32; ++j) {
      const int64_t i = b * 32 + j;
      EXPECT_NEAR(y8[i], x[i], tol8) << i;
      // Q4_0 has 15 steps on one side of zero: the clamp at q = 15 costs up to one step there.
      EXPECT_NEAR(y4[i], x[i], 2.0f * tol4) << i;
    }
  }
}

TEST(Quantize, AllZeroBlockStaysZero) {
  std::vector<float> x(64, 0.0f), y(64, 1.0f);
  uint8_t q8[68], q4[36];
  quantize_row_q8_0(x.data(), q8, 64);
  quantize_row_q4_0(x.data(), q4, 64);
  dequantize_row_q8_0(q8, y.data(), 64);
  for (float v : y) EXPECT_EQ(v, 0.0f);
  dequantize_row_q4_0(q4, y.data(), 64);
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST(Quantize, RefusesRowsThatAreNotWholeBlocks) {
  std::vector<float> x(40, 1.0f);
  uint8_t out[64];
  try {
    quantize_row(DType::q8_0, x.data(), out, 40);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("multiple of 32"), std::string::npos) << e.what();
  }
}
