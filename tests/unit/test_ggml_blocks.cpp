// ggml's quantized block layouts: blocks built by hand byte for byte decode to the values the
// formats define, spot-checked against numbers worked out by hand.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/ggml_blocks.h"

using namespace maskkv;
using ggml::Type;

namespace {

constexpr uint16_t kHalf = 0x3800, kOne = 0x3C00, kTwo = 0x4000, kQuarter = 0x3400;  // f16 bits

std::vector<float> decode(Type t, const void* block, int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  ggml::to_f32(static_cast<uint32_t>(t), block, y.data(), n);
  return y;
}

}  // namespace

TEST(GgmlBlocks, TypeNamesAndShapes) {
  EXPECT_STREQ(ggml::type_name(0), "F32");
  EXPECT_STREQ(ggml::type_name(8), "Q8_0");
  EXPECT_STREQ(ggml::type_name(13), "Q5_K");
  EXPECT_STREQ(ggml::type_name(30), "BF16");
  EXPECT_EQ(ggml::type_name(43), nullptr);
  EXPECT_EQ(ggml::type_name(0xFFFFFFFFu), nullptr);
  int64_t n = 0;
  size_t b = 0;
  ASSERT_TRUE(ggml::block_shape(8, n, b));
  EXPECT_EQ(n, 32);
  EXPECT_EQ(b, 34u);
  ASSERT_TRUE(ggml::block_shape(2, n, b));
  EXPECT_EQ(b, 18u);
  ASSERT_TRUE(ggml::block_shape(12, n, b));
  EXPECT_EQ(n, 256);
  EXPECT_EQ(b, 144u);
  ASSERT_TRUE(ggml::block_shape(14, n, b));
  EXPECT_EQ(b, 210u);
  ASSERT_TRUE(ggml::block_shape(30, n, b));
  EXPECT_EQ(b, 2u);
  EXPECT_FALSE(ggml::block_shape(13, n, b));  // Q5_K: known to ggml, not read by maskkv
  EXPECT_FALSE(ggml::block_shape(3, n, b));
}

TEST(GgmlBlocks, Q8_0) {
  uint8_t raw[2 * 34];
  for (int blk = 0; blk < 2; ++blk) {
    uint8_t* p = raw + 34 * blk;
    const uint16_t d = blk == 0 ? kHalf : kTwo;
    std::memcpy(p, &d, 2);
    for (int j = 0; j < 32; ++j) p[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 128));
  }
  const auto y = decode(Type::q8_0, raw, 64);
  EXPECT_EQ(y[0], -64.0f);        // -128 * 0.5
  EXPECT_EQ(y[17], 4.0f);         // (136 - 128) * 0.5
  EXPECT_EQ(y[31], 60.0f);        // 120 * 0.5
  EXPECT_EQ(y[32], -256.0f);      // -128 * 2, second block
  EXPECT_EQ(y[63], 240.0f);
}

TEST(GgmlBlocks, Q4_0LowNibblesFirstHalf) {
  uint8_t raw[18];
  std::memcpy(raw, &kTwo, 2);
  for (int j = 0; j < 16; ++j) raw[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  const auto y = decode(Type::q4_0, raw, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 2.0f) << j;
    EXPECT_EQ(y[j + 16], (7 - j) * 2.0f) << j;
  }
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[16], 14.0f);
}

TEST(GgmlBlocks, Q4_KScalesAndMins) {
  // Sub-block scales and mins, the upper four's high bits packed into bytes 0-7.
  const uint8_t sc[8] = {1, 2, 3, 4, 17, 33, 50, 63}, mn[8] = {0, 1, 2, 3, 20, 40, 63, 16};
  const uint8_t packed[12] = {65, 130, 195, 196, 64, 129, 194, 67, 65, 129, 242, 15};  // by hand
  for (int j = 0; j < 8; ++j) {
    uint8_t s = 0, m = 0;
    ggml::q4_k_scale_min(packed, j, s, m);
    EXPECT_EQ(s, sc[j]) << j;
    EXPECT_EQ(m, mn[j]) << j;
  }
  ggml::BlockQ4_K b{};
  b.d = kOne;
  b.dmin = kHalf;
  std::memcpy(b.scales, packed, 12);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) b.qs[32 * c + l] = static_cast<uint8_t>(((l + c) & 15) | (((3 * l + c) & 15) << 4));
  const auto y = decode(Type::q4_k, &b, 256);
  // Element 64c + l is sub-block 2c's low nibble; 64c + 32 + l sub-block 2c+1's high nibble.
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      EXPECT_EQ(y[64 * c + l], 1.0f * sc[2 * c] * ((l + c) & 15) - 0.5f * mn[2 * c]);
      EXPECT_EQ(y[64 * c + 32 + l], 1.0f * sc[2 * c + 1] * ((3 * l + c) & 15) - 0.5f * mn[2 * c + 1]);
    }
  EXPECT_EQ(y[128 + 5], 109.0f);     // sub-block 4: 17 * 7 - 0.5 * 20
  EXPECT_EQ(y[192 + 32 + 10], 55.0f);  // sub-block 7: 63 * 1 - 0.5 * 16
  EXPECT_EQ(y[32], -0.5f);           // sub-block 1: 2 * 0 - 0.5 * 1
}

TEST(GgmlBlocks, Q6_KSixBitValuesAndSignedScales) {
  auto q = [](int e) { return (e * 7) & 63; };
  ggml::BlockQ6_K b{};
  b.d = kQuarter;
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j - 8);
  for (int n = 0; n < 2; ++n)
    for (int l = 0; l < 32; ++l) {
      const int q1 = q(128 * n + l), q2 = q(128 * n + l + 32), q3 = q(128 * n + l + 64), q4 = q(128 * n + l + 96);
      b.ql[64 * n + l] = static_cast<uint8_t>((q1 & 15) | ((q3 & 15) << 4));
      b.ql[64 * n + l + 32] = static_cast<uint8_t>((q2 & 15) | ((q4 & 15) << 4));
      b.qh[32 * n + l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  const auto y = decode(Type::q6_k, &b, 256);
  for (int e = 0; e < 256; ++e) EXPECT_EQ(y[e], 0.25f * (e / 16 - 8) * (q(e) - 32)) << e;
  EXPECT_EQ(y[200], 24.0f);  // q = 56: 0.25 * 4 * 24
  EXPECT_EQ(y[5], -6.0f);    // q = 35: 0.25 * -8 * 3
}

TEST(GgmlBlocks, FloatTypesAndUnalignedSource) {
  // A block inside a mapped file may sit at any address.
  std::vector<uint8_t> buf(1 + 34);
  std::memcpy(buf.data() + 1, &kOne, 2);
  for (int j = 0; j < 32; ++j) buf[3 + j] = static_cast<uint8_t>(j);
  const auto y = decode(Type::q8_0, buf.data() + 1, 32);
  EXPECT_EQ(y[31], 31.0f);
  const uint16_t h[2] = {kTwo, 0x4040};  // f16 2.0; bf16 3.0
  EXPECT_EQ(decode(Type::f16, h, 1)[0], 2.0f);
  EXPECT_EQ(decode(Type::bf16, h + 1, 1)[0], 3.0f);
}
